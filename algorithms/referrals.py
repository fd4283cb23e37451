"""Referral chains, multi-level attribution, top-referrer lists and referral integrity.

Everything here runs on the *cleaned* referral graph, built once per call by
:func:`clean_referrals` from the community's ``referrals`` table:

1. **self-referrals** (referrer == referee) are dropped;
2. **double claims** (one referee claimed by several referrers) are resolved *first-touch*:
   the earliest claim wins (ties: the smaller ``referrer_id``); the losing claims are dropped.
   The winning edge takes the furthest stage reached over all claims, because the stage
   describes the referee's own progress (lead → test drive → order → delivered), whoever
   claimed them;
3. **cycles** (A referred B, B referred C, C referred A): after step 2 every owner has at most
   one referrer, so every cycle is a strongly connected component of the claim graph; in each
   cycle the latest claim (the one that closed the loop; ties: larger referrer_id) is dropped.

Flags that do **not** change the forest:

* **staff referrals**: kept in the forest (the chain runs through them) but staff never receive
  attribution credit nor appear in top-referrer lists;
* **referral after delivery** (``referred_at`` later than the referee's ``purchased_at``): kept in
  the forest, but the referral cannot have caused the purchase, so it is never counted as a
  conversion;
* **bursts**: one referrer with an unusual number of referrals inside a short window.  For each
  referrer, take the largest number of referrals in any ``burst_window_days`` window; the
  threshold is ``max(burst_min, median + burst_k * MAD)`` over all referrers, MAD scaled by 1.4826
  (so ``burst_k = 3.5`` is the Iglewicz-Hoaglin modified z-score rule).

All passes are linear in owners + referrals: pandas group-bys, one igraph strongly-connected
components call and numba loops over the forest (children in CSR form, one BFS, one reverse pass,
and an ancestor walk of at most ``len(decay)`` steps per converted referee).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd

from graphcrm.contract import CONVERTED_STAGES, REFERRAL_STAGES
from graphcrm.errors import ConfigError
from graphcrm.i18n import check_lang, join, pick
from graphcrm.results import Col, ResultSpec, analysis

if TYPE_CHECKING:  # pragma: no cover
    from graphcrm.community import Community

__all__ = [
    "clean_referrals",
    "referral_issues",
    "referral_chains",
    "referral_trees",
    "referral_attribution",
    "top_referrers",
    "DEFAULT_DECAY",
]

#: default credit per level for multi-level attribution: direct referral 1.0, the referrer's
#: referrer 0.5, one more level up 0.25 (halving per level, as in two-tier referral schemes
#: where the second tier earns half of the first; beyond three levels nobody plausibly
#: influenced the purchase)
DEFAULT_DECAY: tuple[float, ...] = (1.0, 0.5, 0.25)

_STAGE_RANK = {s: i for i, s in enumerate(REFERRAL_STAGES)}
_CONVERTED_RANK = min(_STAGE_RANK[s] for s in CONVERTED_STAGES)
_KIND_ORDER = ("self_referral", "cycle", "double_claim", "staff_referral", "after_delivery", "burst")

#: levels of attribution reported (``level_1`` ... ``level_3``); a longer decay is refused
MAX_LEVELS = 3
#: the three lists of the referrer board, in order
BOARD_LISTS = ("top", "growers", "region")


def _pl(n: float, word: str) -> str:
    """English count with plural: 1 referral, 2 referrals."""
    return f"{n:g} {word}" if n == 1 else f"{n:g} {word}s"


def _d(ts: pd.Timestamp) -> str:
    return "?" if pd.isna(ts) else f"{pd.Timestamp(ts):%Y-%m-%d}"


def _check_decay(decay: tuple[float, ...] | list[float]) -> np.ndarray:
    try:
        arr = np.asarray(list(decay), dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"decay must be a list of numbers, got {decay!r}") from None
    if arr.ndim != 1 or len(arr) == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ConfigError(f"decay must be a non-empty list of non-negative numbers, got {decay!r}")
    if len(arr) > MAX_LEVELS:
        raise ConfigError(f"decay has {len(arr)} levels; at most {MAX_LEVELS} are attributed "
                          f"(beyond three levels nobody plausibly influenced the purchase)")
    return arr


_OWNER = Col("owner_id", "str", "", "the owner")

REFERRAL_ISSUES = ResultSpec(
    "referral_issues",
    key=("finding_id",),
    columns=(
        Col("finding_id", "str", "", "stable id of the finding: kind:owner (#2, #3 ... when one owner has several)"),
        Col("kind", "category", "", "what looks wrong: self_referral, cycle, double_claim, staff_referral, "
                                    "after_delivery or burst"),
        Col("owner_id", "str", "", "the owner the finding is about (the referrer; the referee for a double claim)"),
        Col("owners", "str", "", "every owner involved, comma-separated"),
        Col("action", "str", "", "what the cleaning did: dropped, first touch, no credit, not a conversion, flagged"),
        Col("reason", "str", "", "plain-words evidence with dates"),
    ),
    sort=(("kind", True), ("owner_id", True), ("owners", True)),
    description="referral integrity findings, one row per finding (keyed by finding_id, not owner_id)",
)

REFERRAL_CHAINS = ResultSpec(
    "referral_chains",
    key=("owner_id",),
    columns=(
        _OWNER,
        Col("referrer_id", "str", "", "who referred them after cleaning (empty for the start of a chain)"),
        Col("root_id", "str", "", "the owner who started their chain"),
        Col("depth", "int", "levels", "levels below the start of the chain (0 = starts it)"),
        Col("direct_referrals", "int", "owners", "owners they referred directly"),
        Col("total_downstream", "int", "owners", "all owners below them in the chain"),
        Col("direct_conversions", "int", "conversions", "directly referred owners who ordered or took delivery"),
        Col("downstream_conversions", "int", "conversions", "owners below them, all levels, who converted"),
        Col("stage", "str", "", "their own stage as a referee (empty for the start of a chain)"),
        Col("days_to_delivery", "float", "days", "from their own referral to their delivery, when converted",
            nullable=True),
        Col("median_days_to_delivery", "float", "days", "median of that over their direct converted referees",
            nullable=True),
        Col("chain_size", "int", "owners", "owners in their whole chain"),
        Col("chain_depth", "int", "levels", "levels of their whole chain"),
        Col("reason", "str", "", "their place in the chain in plain words"),
    ),
    sort=(("total_downstream", False), ("downstream_conversions", False), ("owner_id", True)),
    description="the cleaned referral forest, one row per owner in it",
)

REFERRAL_ATTRIBUTION = ResultSpec(
    "referral_attribution",
    key=("owner_id",),
    columns=(
        _OWNER,
        Col("credit", "float", "conversions", "multi-level credit: 1 per direct converted referral, 0.5 one "
                                              "level down, 0.25 two levels down (by default)"),
        *(Col(f"level_{i}", "int", "conversions", f"converted referees {i} level{'s' if i > 1 else ''} below "
                                                  f"(0 when the decay has fewer levels)")
          for i in range(1, MAX_LEVELS + 1)),
        Col("conversions", "int", "conversions", "converted referees credited, all levels"),
        Col("region", "str", "", "the owner's region (empty if unknown)"),
        Col("reason", "str", "", "where the credit comes from"),
    ),
    sort=(("credit", False), ("owner_id", True)),
    description="multi-level referral credit per referrer with credit > 0",
)

TOP_REFERRERS = ResultSpec(
    "top_referrers",
    key=("list", "position"),
    columns=(
        Col("list", "category", "", "which list: top (overall), growers (fastest growing) or region"),
        Col("position", "int", "rank", "row of the list, 1 = first (the region list runs region by region)"),
        Col("region", "str", "", "the referrer's region (empty if unknown)"),
        Col("rank", "int", "rank", "rank within the list (within the region for the region list)"),
        _OWNER,
        Col("conversions", "int", "conversions", "direct converted referrals dated in this period"),
        Col("credit", "float", "conversions", "multi-level credit of this period's conversions"),
        Col("previous_conversions", "int", "conversions", "direct converted referrals in the period before"),
        Col("growth", "int", "conversions", "conversions minus previous_conversions"),
        Col("period_start", "datetime", "", "first moment of the period"),
        Col("period_end", "datetime", "", "end of the period (exclusive)"),
        Col("reason", "str", "", "the numbers behind the place on the board"),
    ),
    sort=(("list", True), ("position", True)),
    description="referrer board of one period: top N, fastest growers, top per region (keyed by list and "
                "position; an owner can be on several lists)",
)


@dataclass
class CleanReferrals:
    """The cleaned referral forest plus the integrity findings (see :func:`clean_referrals`).

    ``edges`` has one row per kept claim: ``referrer_id``, ``referee_id``, ``referred_at``,
    ``stage``, ``src``/``dst`` (owner positions in ``Community.owner_ids``), ``converted``
    (stage is order/delivered and the referral is not dated after the referee's delivery),
    ``late`` and ``staff_referrer``.  ``parent`` maps each owner position to its referrer's
    position (-1 for none).  ``issues`` is the findings table of :func:`referral_issues`.
    Shared through the community's cache: read it, never change it.
    """

    edges: pd.DataFrame
    parent: np.ndarray
    issues: pd.DataFrame
    owner_ids: np.ndarray


@dataclass(frozen=True)
class _Forest:
    """The cleaned forest and the findings of the cleaning, in both languages (no options: the
    forest does not depend on the burst rule or the language, so it is built once per community)."""

    edges: pd.DataFrame
    parent: np.ndarray
    #: findings with ``evidence`` as ``{"en": ..., "zh": ...}``
    findings: tuple[dict, ...]
    #: the non-self claims before first touch (the burst rule looks at every claim made)
    claims: pd.DataFrame


def _both(*, en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


def clean_referrals(
    community: Community,
    *,
    burst_window_days: float = 1.0,
    burst_min: int = 5,
    burst_k: float = 3.5,
    lang: str = "en",
) -> CleanReferrals:
    """Build the cleaned referral forest and the integrity findings.

    The forest is built once per community (:meth:`graphcrm.community.Community.memo`): every
    analysis here, the KOC conversion component and targeting share it.

    Parameters
    ----------
    community : graphcrm.community.Community
        The community snapshot.
    burst_window_days : float, default 1
        Length of the sliding window used to detect bursts (one day: a batch of sign-ups in a
        day is what a claim farm looks like; busy genuine referrers spread theirs over weeks).
    burst_min : int, default 5
        A burst needs at least this many referrals in one window, whatever the statistics say.
    burst_k : float, default 3.5
        Robust threshold multiplier: ``median + burst_k * MAD`` (MAD scaled by 1.4826) over the
        per-referrer maximum window counts.
    lang : {"en", "zh"}
        Language of the findings' ``reason`` texts.

    Returns
    -------
    CleanReferrals
        ``edges`` (columns ``referrer_id``, ``referee_id``, ``referred_at``, ``stage``, ``src``,
        ``dst``, ``converted``, ``late``, ``staff_referrer``), ``parent`` (int64 per owner),
        ``issues`` (see :func:`referral_issues`) and ``owner_ids``.

    Raises
    ------
    ConfigError
        For a bad ``lang`` or burst parameter.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> owners = pd.DataFrame({"owner_id": ["a", "b", "c"]})
    >>> refs = pd.DataFrame({"referrer_id": ["a", "b", "c"], "referee_id": ["b", "c", "a"],
    ...                      "referred_at": ["2024-01-01", "2024-01-02", "2024-01-03"], "stage": "lead"})
    >>> clean = clean_referrals(Community.from_frames({"owners": owners, "referrals": refs}))
    >>> clean.edges[["referrer_id", "referee_id"]].values.tolist(), list(clean.issues["kind"])
    ([['a', 'b'], ['b', 'c']], ['cycle'])
    """
    lang = check_lang(lang)
    if burst_window_days <= 0 or burst_min < 1 or burst_k < 0:
        raise ConfigError("burst_window_days must be > 0, burst_min >= 1 and burst_k >= 0")
    options = dict(burst_window_days=burst_window_days, burst_min=burst_min, burst_k=burst_k, lang=lang)
    return community.memo("clean_referrals", options, lambda: _with_findings(community, **options))


def _with_findings(community: Community, *, burst_window_days: float, burst_min: int, burst_k: float,
                   lang: str) -> CleanReferrals:
    forest = community.memo("referral_forest", {}, lambda: _cleaned_forest(community))
    findings = [dict(f, evidence=f["evidence"][lang]) for f in forest.findings]
    findings += _bursts(forest.claims, burst_window_days, burst_min, burst_k, lang)
    return CleanReferrals(edges=forest.edges, parent=forest.parent, issues=_issues_table(findings),
                          owner_ids=np.asarray(community.owner_ids))


def _issues_table(findings: list[dict]) -> pd.DataFrame:
    """The findings as the :data:`REFERRAL_ISSUES` table: sorted, with a stable ``finding_id``."""
    issues = pd.DataFrame(findings, columns=["kind", "owner_id", "owners", "action", "evidence"])
    issues = issues.rename(columns={"evidence": "reason"}).astype(
        {"kind": object, "owner_id": object, "owners": object, "action": object, "reason": object})
    order = {k: i for i, k in enumerate(_KIND_ORDER)}
    issues = (issues.assign(_k=issues["kind"].map(order))
              .sort_values(["_k", "owner_id", "owners"], kind="mergesort")
              .drop(columns="_k").reset_index(drop=True))
    base = issues["kind"].astype(str) + ":" + issues["owner_id"].astype(str)
    nth = base.groupby(base, sort=False).cumcount() + 1
    issues.insert(0, "finding_id", np.where(nth > 1, base + "#" + nth.astype(str), base).astype(object))
    issues["kind"] = pd.Categorical(issues["kind"], categories=_KIND_ORDER, ordered=True)
    return issues


def _placed_claims(community: Community) -> pd.DataFrame:
    """The referrals with owner positions ``src``/``dst`` and stage ``rank``; rows whose owners
    are unknown cannot be placed (a validated load never has them)."""
    index = pd.Index(np.asarray(community.owner_ids))
    refs = community.tables["referrals"]
    refs = refs.loc[:, ["referrer_id", "referee_id", "referred_at", "stage"]].copy()
    refs["src"] = index.get_indexer(refs["referrer_id"])
    refs["dst"] = index.get_indexer(refs["referee_id"])
    refs = refs[(refs["src"] >= 0) & (refs["dst"] >= 0)]
    refs["rank"] = refs["stage"].map(_STAGE_RANK).fillna(0).astype(np.int64)
    return refs


def _drop_self_referrals(refs: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """Step 1: self-referrals are dropped."""
    selfm = refs["src"].to_numpy() == refs["dst"].to_numpy()
    findings = [dict(
        kind="self_referral", owner_id=r.referrer_id, owners=r.referrer_id, action="dropped",
        evidence=_both(en=f"{r.referrer_id} referred themselves on {_d(r.referred_at)} (stage {r.stage}); dropped",
                       zh=f"{r.referrer_id} 于 {_d(r.referred_at)} 推荐了自己（阶段 {r.stage}），已剔除"))
        for r in refs[selfm].sort_values(["referrer_id", "referred_at"]).itertuples(index=False)]
    return refs[~selfm], findings


def _flag_staff(refs: pd.DataFrame, is_staff: np.ndarray) -> list[dict]:
    """Staff referrals stay in the chain and are never credited."""
    staff_m = is_staff[refs["src"].to_numpy()]
    return [dict(
        kind="staff_referral", owner_id=r.referrer_id, owners=f"{r.referrer_id},{r.referee_id}",
        action="no credit",
        evidence=_both(en=f"staff member {r.referrer_id} referred {r.referee_id} on "
                          f"{_d(r.referred_at)}; kept in the chain, never credited",
                       zh=f"员工 {r.referrer_id} 于 {_d(r.referred_at)} 推荐了 {r.referee_id}；"
                          f"保留在链中，但不计奖励"))
        for r in refs[staff_m].sort_values(["referrer_id", "referee_id"]).itertuples(index=False)]


def _flag_late(refs: pd.DataFrame, purchased: np.ndarray | None) -> tuple[pd.DataFrame, list[dict]]:
    """Referrals dated after the referee's delivery (column ``late``): never a conversion."""
    if purchased is not None and len(refs):
        bought = purchased[refs["dst"].to_numpy()]
        ra = refs["referred_at"].to_numpy()
        late_m = ~pd.isna(bought) & ~pd.isna(ra) & (ra > bought)
    else:
        late_m = np.zeros(len(refs), dtype=bool)
    refs = refs.assign(late=late_m)
    findings = []
    for r in refs[late_m].sort_values(["referee_id", "referrer_id"]).itertuples(index=False):
        b = pd.Timestamp(purchased[r.dst])
        days = (pd.Timestamp(r.referred_at) - b) / pd.Timedelta(days=1)
        findings.append(dict(
            kind="after_delivery", owner_id=r.referrer_id, owners=f"{r.referrer_id},{r.referee_id}",
            action="not a conversion",
            evidence=_both(en=f"{r.referrer_id} claimed {r.referee_id} on {_d(r.referred_at)}, "
                              f"{days:.0f} days after their delivery on {_d(b)}; never counted "
                              f"as a conversion",
                           zh=f"{r.referrer_id} 于 {_d(r.referred_at)} 登记推荐 {r.referee_id}，"
                              f"晚于其 {_d(b)} 提车 {days:.0f} 天；不计为转化")))
    return refs, findings


def _dates(ts: pd.Series) -> np.ndarray:
    """:func:`_d` of every value at once (``YYYY-MM-DD``, ``?`` when missing)."""
    out = pd.to_datetime(ts).dt.strftime("%Y-%m-%d")
    return np.where(out.isna().to_numpy(), "?", out.fillna("?").astype(object).to_numpy())


def _first_touch(refs: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """Step 2: double claims are resolved first-touch; the winner takes the furthest stage.

    One finding per referee claimed more than once, built column-wise (a referral export with
    tens of thousands of such referees must not loop over pandas groups: 3,439 of them took
    ~3 s of a 5,573-owner community's ``kocs``)."""
    refs = refs.sort_values(["dst", "referred_at", "referrer_id"], kind="mergesort", na_position="last")
    max_rank = refs.groupby("dst", sort=False)["rank"].transform("max")
    n_claims = refs.groupby("dst", sort=False)["src"].transform("size")
    first = ~refs["dst"].duplicated(keep="first")
    multi = refs[n_claims.to_numpy() > 1]
    findings = []
    if len(multi):
        # multi is sorted by dst (then date, referrer): each group's rows are contiguous and
        # its first row is the first-touch winner; groups come in dst order (groupby's sort)
        dst = multi["dst"].to_numpy()
        starts = np.flatnonzero(np.r_[True, dst[1:] != dst[:-1]])
        group = np.cumsum(np.r_[True, dst[1:] != dst[:-1]]) - 1
        ref_id = np.array([f"{v}" for v in multi["referrer_id"]], dtype=object)  # as the f-strings print them
        stage_s = np.array([f"{v}" for v in multi["stage"]], dtype=object)
        date_s = _dates(multi["referred_at"])
        ra = multi["referred_at"]
        win_ra = ra.iloc[starts[group]].to_numpy()
        same = (ra.to_numpy() == win_ra) & ~pd.isna(win_ra)  # NaT never equals NaT
        same_day = np.bincount(group, weights=same.astype(np.float64)) > 1
        top_rank = np.maximum.reduceat(multi["rank"].to_numpy(np.int64), starts)
        en = pd.Series(ref_id + " (" + date_s + ", " + stage_s + ")").groupby(group, sort=False).agg(", ".join)
        zh = pd.Series(ref_id + "（" + date_s + "，" + stage_s + "）").groupby(group, sort=False).agg("、".join)
        who = pd.Series(ref_id).groupby(group, sort=False).agg(",".join)
        referee = np.array([f"{v}" for v in multi["referee_id"].iloc[starts]], dtype=object)
        winner = ref_id[starts]
        for g in range(len(starts)):
            stage = REFERRAL_STAGES[int(top_rank[g])]
            why_en = "earliest claim; tie on date broken by the smaller referrer id" if same_day[g] else "earliest claim"
            why_zh = "最早登记；同一时间则取编号较小者" if same_day[g] else "最早登记"
            findings.append(dict(
                kind="double_claim", owner_id=referee[g], owners=f"{referee[g]},{who.iat[g]}",
                action="first touch",
                evidence=_both(en=f"{referee[g]} claimed by {en.iat[g]}; first-touch keeps "
                                  f"{winner[g]} ({why_en}); other claims dropped; referee "
                                  f"stage taken as {stage}",
                               zh=f"{referee[g]} 被多人登记：{zh.iat[g]}；按首次触达归属 "
                                  f"{winner[g]}（{why_zh}），其余登记剔除；被推荐人阶段取 {stage}")))
    refs = refs.assign(rank=max_rank)[first.to_numpy()].copy()
    refs["stage"] = [REFERRAL_STAGES[i] for i in refs["rank"].to_numpy()]
    return refs, findings


def _break_cycles(refs: pd.DataFrame, owner_ids: np.ndarray) -> tuple[pd.DataFrame, list[dict]]:
    """Step 3: in each cycle (a strongly connected component) the latest claim is dropped."""
    n = len(owner_ids)
    src = refs["src"].to_numpy(np.int64)
    dst = refs["dst"].to_numpy(np.int64)
    drop = np.zeros(len(refs), dtype=bool)
    findings: list[dict] = []
    if not len(refs):
        return refs, findings
    import igraph as ig

    g = ig.Graph(n=n, edges=np.column_stack([src, dst]).tolist(), directed=True)
    memb = np.asarray(g.connected_components(mode="strong").membership, dtype=np.int64)
    sizes = np.bincount(memb)
    in_cycle = (memb[src] == memb[dst]) & (sizes[memb[src]] > 1)
    if not in_cycle.any():
        return refs, findings
    cyc = refs[in_cycle].assign(comp=memb[src[in_cycle]], pos=np.flatnonzero(in_cycle))
    cyc = cyc.sort_values(["comp", "referred_at", "referrer_id"], na_position="first")
    parent_tmp = np.full(n, -1, dtype=np.int64)
    parent_tmp[dst] = src
    for _, grp in cyc.groupby("comp", sort=False):
        last = grp.iloc[-1]
        drop[int(last.pos)] = True
        # the loop, read from the referee of the dropped claim down to its referrer
        chain = [int(last.src)]
        v = int(parent_tmp[int(last.src)])
        while v != int(last.dst) and len(chain) <= len(grp):
            chain.append(v)
            v = int(parent_tmp[v])
        chain.append(int(last.dst))
        ids = [str(owner_ids[i]) for i in reversed(chain)]
        loop = " → ".join(ids + [ids[0]])
        findings.append(dict(
            kind="cycle", owner_id=last.referrer_id, owners=",".join(sorted(ids)), action="dropped",
            evidence=_both(en=f"referral cycle {loop}; dropped the latest claim "
                              f"{last.referrer_id} → {last.referee_id} ({_d(last.referred_at)})",
                           zh=f"推荐成环 {loop}；剔除最晚的登记 {last.referrer_id} → "
                              f"{last.referee_id}（{_d(last.referred_at)}）")))
    return refs[~drop], findings


def _cleaned_forest(community: Community) -> _Forest:
    """Steps 1-3 of the module docstring and the flags, in order; see :func:`clean_referrals`."""
    owners = community.owners
    owner_ids = np.asarray(community.owner_ids)
    n = len(owner_ids)
    is_staff = owners["is_staff"].to_numpy(dtype=bool) if "is_staff" in owners else np.zeros(n, bool)
    purchased = pd.to_datetime(owners["purchased_at"]).to_numpy() if "purchased_at" in owners else None

    refs, findings = _drop_self_referrals(_placed_claims(community))
    findings += _flag_staff(refs, is_staff)
    refs, late = _flag_late(refs, purchased)
    findings += late
    claims = refs
    refs, double = _first_touch(refs)
    findings += double
    refs, cycles = _break_cycles(refs, owner_ids)
    findings += cycles

    edges = refs.drop(columns=["rank"]).reset_index(drop=True)
    edges["converted"] = edges["stage"].isin(CONVERTED_STAGES).to_numpy() & ~edges["late"].to_numpy()
    edges["staff_referrer"] = is_staff[edges["src"].to_numpy()]
    edges = edges.sort_values(["referrer_id", "referee_id"], kind="mergesort").reset_index(drop=True)
    parent = np.full(n, -1, dtype=np.int64)
    parent[edges["dst"].to_numpy(np.int64)] = edges["src"].to_numpy(np.int64)
    return _Forest(edges=edges, parent=parent, findings=tuple(findings), claims=claims)


def _bursts(refs: pd.DataFrame, window_days: float, min_count: int, k: float, lang: str) -> list[dict]:
    """Per referrer, the largest count of referrals in any window; robust outlier threshold."""
    r = refs.dropna(subset=["referred_at"])
    if r.empty:
        return []
    r = r.sort_values(["src", "referred_at"], kind="mergesort")
    grp = r["src"].to_numpy(np.int64)
    t = (r["referred_at"] - r["referred_at"].min()) / pd.Timedelta(days=1)
    t = t.to_numpy(np.float64)
    span = float(t.max()) + 2.0 * window_days + 1.0
    # one sorted key per (referrer, time): a window never crosses into the next referrer
    _, g_dense = np.unique(grp, return_inverse=True)
    key = g_dense * span + t
    end = np.searchsorted(key, key + window_days, side="left")
    counts = end - np.arange(len(key))
    per = pd.DataFrame({"g": grp, "c": counts, "i": np.arange(len(key))})
    best = per.sort_values(["g", "c", "i"], ascending=[True, False, True]).drop_duplicates("g")
    c = best["c"].to_numpy(np.float64)
    med = float(np.median(c))
    mad = float(np.median(np.abs(c - med))) * 1.4826
    threshold = max(float(min_count), med + k * mad)
    out = []
    ids = r["referrer_id"].to_numpy()
    times = r["referred_at"].to_numpy()
    gap_ok = np.r_[(np.diff(t) <= window_days) & (grp[1:] == grp[:-1]), False]
    for row in best[best["c"] >= threshold].itertuples(index=False):
        i, cnt = int(row.i), int(row.c)
        who = ids[i]
        # the whole episode: extend the busiest window while referrals follow within the window
        lo, hi = i, i + cnt - 1
        while lo > 0 and gap_ok[lo - 1]:
            lo -= 1
        while gap_ok[hi]:
            hi += 1
        n_ep = hi - lo + 1
        out.append(dict(
            kind="burst", owner_id=who, owners=who, action="flagged",
            evidence=pick(lang,
                          en=f"{who} made {_pl(cnt, 'referral')} within {window_days:g} "
                             f"{'day' if window_days == 1 else 'days'} (episode: {n_ep} from "
                             f"{_d(times[lo])} to {_d(times[hi])}); threshold {threshold:.1f} = "
                             f"max({min_count}, median {med:g} + {k:g} x MAD {mad:.2f})",
                          zh=f"{who} 在 {window_days:g} 天内登记了 {cnt} 个推荐（整段 {_d(times[lo])} 至 "
                             f"{_d(times[hi])} 共 {n_ep} 个）；阈值 {threshold:.1f} = max({min_count}, "
                             f"中位数 {med:g} + {k:g} × MAD {mad:.2f})")))
    return out


@analysis(REFERRAL_ISSUES)
def referral_issues(
    community: Community,
    *,
    burst_window_days: float = 1.0,
    burst_min: int = 5,
    burst_k: float = 3.5,
    lang: str = "en",
) -> pd.DataFrame:
    """Referral integrity findings: what looks wrong in the referrals table, and what was done.

    Kinds: ``self_referral`` (dropped), ``cycle`` (latest claim in the loop dropped),
    ``double_claim`` (first-touch: the earliest claim wins, ties by the smaller referrer id),
    ``staff_referral`` (kept, never credited), ``after_delivery`` (referral dated after the
    referee's ``purchased_at``: kept, never a conversion) and ``burst`` (a referrer whose busiest
    ``burst_window_days`` window holds at least ``max(burst_min, median + burst_k * MAD)``
    referrals, statistics over all referrers).  Findings never raise: bad rows are reported, not
    fatal.

    Parameters
    ----------
    community : graphcrm.community.Community
        The community snapshot.
    burst_window_days, burst_min, burst_k
        Burst rule parameters (see :func:`clean_referrals`).
    lang : {"en", "zh"}
        Language of ``reason``.

    Returns
    -------
    pandas.DataFrame
        One row per finding (:data:`REFERRAL_ISSUES`), keyed by ``finding_id`` (``kind:owner_id``,
        with ``#2``, ``#3`` ... when one owner has several findings of a kind); ``kind``
        (categorical, in the order above); ``owner_id`` (the owner the finding is about:
        the referrer, or the referee for a double claim); ``owners`` (every owner involved,
        comma-separated); ``action`` (what the cleaning did: dropped, first touch, no credit,
        not a conversion, flagged); ``reason`` (plain-words evidence with dates; this column
        was called ``evidence`` before the result contract).  Sorted by kind (in the order
        above), then owner_id, then owners.

    Raises
    ------
    ConfigError
        For a bad ``lang`` or burst parameter.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> owners = pd.DataFrame({"owner_id": ["a", "b"]})
    >>> refs = pd.DataFrame({"referrer_id": ["a", "b"], "referee_id": ["a", "a"],
    ...                      "referred_at": ["2024-01-01", "2024-01-02"], "stage": ["lead", "lead"]})
    >>> c = Community.from_frames({"owners": owners, "referrals": refs})
    >>> list(referral_issues(c)["kind"])
    ['self_referral']
    """
    return clean_referrals(community, burst_window_days=burst_window_days, burst_min=burst_min,
                           burst_k=burst_k, lang=lang).issues


# --------------------------------------------------------------------------------------------
# the forest passes (numba): linear in owners + kept referrals
# --------------------------------------------------------------------------------------------
@numba.njit(cache=True)
def _forest_pass(parent, in_forest, converted, decay):  # pragma: no cover - compiled
    n = parent.shape[0]
    L = decay.shape[0]
    # children in CSR form
    counts = np.zeros(n + 1, dtype=np.int64)
    for v in range(n):
        p = parent[v]
        if p >= 0:
            counts[p + 1] += 1
    for i in range(n):
        counts[i + 1] += counts[i]
    fill = counts[:-1].copy()
    children = np.empty(counts[n], dtype=np.int64)
    for v in range(n):
        p = parent[v]
        if p >= 0:
            children[fill[p]] = v
            fill[p] += 1
    # BFS from the roots, in owner order
    order = np.empty(n, dtype=np.int64)
    depth = np.full(n, -1, dtype=np.int64)
    root = np.full(n, -1, dtype=np.int64)
    head = 0
    tail = 0
    for v in range(n):
        if in_forest[v] and parent[v] < 0:
            order[tail] = v
            tail += 1
            depth[v] = 0
            root[v] = v
    while head < tail:
        v = order[head]
        head += 1
        for j in range(counts[v], counts[v + 1]):
            c = children[j]
            if depth[c] < 0:
                depth[c] = depth[v] + 1
                root[c] = root[v]
                order[tail] = c
                tail += 1
    # reverse pass: downstream sizes and conversions
    size = np.ones(n, dtype=np.int64)
    conv_down = np.zeros(n, dtype=np.int64)
    height = np.zeros(n, dtype=np.int64)
    for k in range(tail - 1, -1, -1):
        v = order[k]
        p = parent[v]
        if p >= 0:
            size[p] += size[v]
            conv_down[p] += conv_down[v] + (1 if converted[v] else 0)
            if height[v] + 1 > height[p]:
                height[p] = height[v] + 1
    # attribution: each converted referee credits up to L ancestors
    credit = np.zeros(n, dtype=np.float64)
    levels = np.zeros((n, L), dtype=np.int64)
    for v in range(n):
        if converted[v]:
            a = parent[v]
            lv = 0
            while a >= 0 and lv < L:
                credit[a] += decay[lv]
                levels[a, lv] += 1
                a = parent[a]
                lv += 1
    return order[:tail], depth, root, size, conv_down, height, credit, levels


def _forest(clean: CleanReferrals, decay: np.ndarray):
    n = len(clean.owner_ids)
    e = clean.edges
    in_forest = np.zeros(n, dtype=np.bool_)
    in_forest[e["src"].to_numpy(np.int64)] = True
    in_forest[e["dst"].to_numpy(np.int64)] = True
    converted = np.zeros(n, dtype=np.bool_)
    converted[e["dst"].to_numpy(np.int64)] = e["converted"].to_numpy(bool)
    out = _forest_pass(clean.parent, in_forest, converted, decay)
    return in_forest, converted, out


@analysis(REFERRAL_CHAINS)
def referral_chains(
    community: Community,
    *,
    burst_window_days: float = 1.0,
    burst_min: int = 5,
    burst_k: float = 3.5,
    top: int | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """The referral forest on the cleaned graph, one row per owner in it.

    Parameters
    ----------
    community : graphcrm.community.Community
        The community snapshot (windowed by ``referred_at`` when built with since/until).
    burst_window_days, burst_min, burst_k
        Integrity parameters (see :func:`clean_referrals`); they only affect findings.
    top : int, optional
        Keep only the first ``top`` rows.
    lang : {"en", "zh"}
        Language of ``reason``.

    Returns
    -------
    pandas.DataFrame
        Columns: ``owner_id``; ``referrer_id`` (who referred them after cleaning, "" for a root);
        ``root_id`` (the top of their chain); ``depth`` (0 for a root); ``direct_referrals``;
        ``total_downstream`` (all owners below them); ``direct_conversions``;
        ``downstream_conversions`` (converted owners below them, all levels);
        ``stage`` (their own stage as a referee, "" for a root);
        ``days_to_delivery`` (their own referral date to ``purchased_at``, when converted and
        known); ``median_days_to_delivery`` (over their direct converted referees);
        ``chain_size`` and ``chain_depth`` (size and height of their whole tree); ``reason``.
        Sorted by total_downstream, downstream_conversions (both descending), then owner_id.

    Raises
    ------
    ConfigError
        For a bad ``lang`` or parameter.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> owners = pd.DataFrame({"owner_id": ["a", "b", "c"]})
    >>> refs = pd.DataFrame({"referrer_id": ["a", "b"], "referee_id": ["b", "c"],
    ...                      "referred_at": ["2024-01-01", "2024-02-01"], "stage": ["order", "lead"]})
    >>> df = referral_chains(Community.from_frames({"owners": owners, "referrals": refs}))
    >>> df[["owner_id", "depth", "total_downstream"]].values.tolist()
    [['a', 0, 2], ['b', 1, 1], ['c', 2, 0]]
    """
    lang = check_lang(lang)
    clean = clean_referrals(community, burst_window_days=burst_window_days, burst_min=burst_min,
                            burst_k=burst_k, lang=lang)
    decay = np.array([1.0])
    in_forest, converted, (order, depth, root, size, conv_down, height, _c, levels) = _forest(clean, decay)
    ids = clean.owner_ids
    idx = np.flatnonzero(in_forest)
    e = clean.edges
    stage = np.full(len(ids), "", dtype=object)
    stage[e["dst"].to_numpy(np.int64)] = e["stage"].to_numpy()
    # time from referral to delivery for converted referees
    days = np.full(len(ids), np.nan)
    if "purchased_at" in community.owners and len(e):
        bought = pd.to_datetime(community.owners["purchased_at"]).to_numpy()[e["dst"].to_numpy(np.int64)]
        dd = (pd.Series(bought) - pd.Series(e["referred_at"].to_numpy())) / pd.Timedelta(days=1)
        dd = dd.to_numpy(np.float64)
        ok = e["converted"].to_numpy(bool) & ~np.isnan(dd) & (dd >= 0)
        days[e["dst"].to_numpy(np.int64)[ok]] = dd[ok]
    direct = np.bincount(e["src"].to_numpy(np.int64), minlength=len(ids))
    direct_conv = np.bincount(e["src"].to_numpy(np.int64), weights=e["converted"].to_numpy(float),
                              minlength=len(ids)).astype(np.int64)
    med = (pd.DataFrame({"src": e["src"].to_numpy(np.int64), "d": days[e["dst"].to_numpy(np.int64)]})
           .dropna().groupby("src")["d"].median())
    med_days = np.full(len(ids), np.nan)
    med_days[med.index.to_numpy(np.int64)] = med.to_numpy()
    par = clean.parent
    referrer = np.where(par >= 0, ids[np.maximum(par, 0)], "")
    r = root
    df = pd.DataFrame({
        "owner_id": ids[idx],
        "referrer_id": referrer[idx],
        "root_id": ids[np.maximum(r[idx], 0)],
        "depth": depth[idx],
        "direct_referrals": direct[idx],
        "total_downstream": size[idx] - 1,
        "direct_conversions": direct_conv[idx],
        "downstream_conversions": conv_down[idx],
        "stage": stage[idx],
        "days_to_delivery": np.round(days[idx], 1),
        "median_days_to_delivery": np.round(med_days[idx], 1),
        "chain_size": size[np.maximum(r[idx], 0)],
        "chain_depth": height[np.maximum(r[idx], 0)],
    })
    df = df.sort_values(["total_downstream", "downstream_conversions", "owner_id"],
                        ascending=[False, False, True], kind="mergesort").reset_index(drop=True)
    if top is not None:
        df = df.head(int(top))
    df["reason"] = [_chain_reason(row, lang) for row in df.itertuples(index=False)]
    return df


def _chain_reason(r, lang: str) -> str:
    parts = []
    if r.depth == 0:
        parts.append(pick(lang, en=f"starts a chain of {_pl(r.chain_size, 'owner')}, {_pl(r.chain_depth, 'level')} deep",
                          zh=f"推荐链起点，链上 {r.chain_size} 人，共 {r.chain_depth} 层"))
    else:
        parts.append(pick(lang, en=f"referred by {r.referrer_id} (level {r.depth} under {r.root_id})",
                          zh=f"由 {r.referrer_id} 推荐（位于 {r.root_id} 之下第 {r.depth} 层）"))
    if r.direct_referrals:
        parts.append(pick(lang,
                          en=f"{_pl(r.direct_referrals, 'direct referral')} ({r.direct_conversions} converted), "
                             f"{r.total_downstream} downstream ({r.downstream_conversions} converted)",
                          zh=f"直接推荐 {r.direct_referrals} 人（{r.direct_conversions} 人成交），"
                             f"下游共 {r.total_downstream} 人（{r.downstream_conversions} 人成交）"))
    if not np.isnan(r.days_to_delivery):
        parts.append(pick(lang, en=f"delivered {_pl(round(r.days_to_delivery), 'day')} after referral",
                          zh=f"被推荐后 {r.days_to_delivery:.0f} 天提车"))
    return join(parts, lang)


def referral_trees(
    community: Community,
    *,
    sort: str = "size",
    top: int | None = None,
    max_path: int = 12,
    lang: str = "en",
) -> pd.DataFrame:
    """One row per referral tree (chain): the largest and the longest chains.

    Parameters
    ----------
    community : graphcrm.community.Community
        The community snapshot.
    sort : {"size", "depth"}, default "size"
        ``"size"`` lists the largest chains first, ``"depth"`` the longest.
    top : int, optional
        Keep only the first ``top`` trees (the path of the longest branch is spelled out for
        these only, so the cost stays linear).
    max_path : int, default 12
        Longest branch shown in ``longest_path`` (ids beyond it are elided with "…").
    lang : {"en", "zh"}
        Language of ``reason``.

    Returns
    -------
    pandas.DataFrame
        Columns: ``root_id``; ``size`` (owners in the tree, root included); ``depth`` (levels
        below the root); ``conversions`` (converted referees in the tree);
        ``median_days_to_delivery`` (over the tree's converted referees); ``longest_path``
        (root → … → deepest owner); ``reason``.  Sorted by the ``sort`` key, then the other,
        then conversions (all descending) and root_id.

    Raises
    ------
    ConfigError
        For an unknown ``sort`` or bad ``lang``.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> owners = pd.DataFrame({"owner_id": ["a", "b", "c"]})
    >>> refs = pd.DataFrame({"referrer_id": ["a", "b"], "referee_id": ["b", "c"],
    ...                      "referred_at": ["2024-01-01", "2024-02-01"], "stage": ["order", "lead"]})
    >>> referral_trees(Community.from_frames({"owners": owners, "referrals": refs}))["longest_path"][0]
    'a → b → c'
    """
    lang = check_lang(lang)
    if sort not in ("size", "depth"):
        raise ConfigError(f"sort must be 'size' or 'depth', got {sort!r}")
    chains = referral_chains(community, lang=lang)
    if chains.empty:
        return pd.DataFrame(columns=["root_id", "size", "depth", "conversions",
                                     "median_days_to_delivery", "longest_path", "reason"])
    roots = chains[chains["depth"] == 0]
    med = chains.groupby("root_id")["days_to_delivery"].median()
    df = pd.DataFrame({
        "root_id": roots["owner_id"].to_numpy(),
        "size": roots["chain_size"].to_numpy(),
        "depth": roots["chain_depth"].to_numpy(),
        "conversions": roots["downstream_conversions"].to_numpy(),
        "median_days_to_delivery": np.round(med.reindex(roots["owner_id"]).to_numpy(), 1),
    })
    keys = ["size", "depth"] if sort == "size" else ["depth", "size"]
    df = df.sort_values(keys + ["conversions", "root_id"], ascending=[False, False, False, True],
                        kind="mergesort").reset_index(drop=True)
    if top is not None:
        df = df.head(int(top))
    # deepest owner per tree (ties: smallest owner_id), then walk up its referrers
    deepest = (chains[chains["root_id"].isin(df["root_id"])]
               .sort_values(["root_id", "depth", "owner_id"], ascending=[True, False, True])
               .drop_duplicates("root_id").set_index("root_id")["owner_id"])
    up = dict(zip(chains["owner_id"], chains["referrer_id"]))
    paths = []
    for rid in df["root_id"]:
        v = deepest[rid]
        path = [v]
        while up.get(v, ""):
            v = up[v]
            path.append(v)
        path.reverse()
        if len(path) > max_path:
            path = path[: max_path - 1] + ["…", path[-1]]
        paths.append(" → ".join(path))
    df["longest_path"] = paths
    df["reason"] = [
        pick(lang,
             en=f"chain of {_pl(r.size, 'owner')} from {r.root_id}, {_pl(r.depth, 'level')} deep, "
                f"{r.conversions} converted",
             zh=f"{r.root_id} 发起的推荐链共 {r.size} 人，{r.depth} 层，{r.conversions} 人成交")
        for r in df.itertuples(index=False)]
    return df


@analysis(REFERRAL_ATTRIBUTION)
def referral_attribution(
    community: Community,
    *,
    decay: tuple[float, ...] | list[float] = DEFAULT_DECAY,
    include_staff: bool = False,
    top: int | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """Multi-level credit per referrer for converted referrals, on the cleaned forest.

    A referee counts as converted when their (cleaned) stage is order or delivered and the
    referral is not dated after their delivery.  Each converted referee gives ``decay[0]`` to
    their referrer, ``decay[1]`` to the referrer's referrer, and so on for ``len(decay)``
    levels.  Default ``(1.0, 0.5, 0.25)``: see :data:`DEFAULT_DECAY`.

    Parameters
    ----------
    community : graphcrm.community.Community
        The community snapshot.
    decay : sequence of float, default (1.0, 0.5, 0.25)
        Credit per level, direct first; at most :data:`MAX_LEVELS` (3) levels.
    include_staff : bool, default False
        Staff are never credited unless this is True.
    top : int, optional
        Keep only the first ``top`` rows.
    lang : {"en", "zh"}
        Language of ``reason``.

    Returns
    -------
    pandas.DataFrame
        Columns: ``owner_id``; ``credit`` (sum of decayed credit); ``level_1``, ``level_2``,
        ``level_3`` (converted referees credited at each level; 0 beyond the decay's length, so
        the table has the same columns whatever the decay); ``conversions`` (sum of the
        levels); ``region``;
        ``reason``.  Only owners with credit > 0; sorted by credit desc, owner_id asc.

    Raises
    ------
    ConfigError
        For a bad ``decay`` (not numbers, negative, or more than three levels) or ``lang``.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> owners = pd.DataFrame({"owner_id": ["a", "b", "c"]})
    >>> refs = pd.DataFrame({"referrer_id": ["a", "b"], "referee_id": ["b", "c"],
    ...                      "referred_at": ["2024-01-01", "2024-02-01"], "stage": ["order", "delivered"]})
    >>> referral_attribution(Community.from_frames({"owners": owners, "referrals": refs}))[["owner_id", "credit"]].values.tolist()
    [['a', 1.5], ['b', 1.0]]
    """
    lang = check_lang(lang)
    dec = _check_decay(decay)
    clean = clean_referrals(community)  # the forest only: shared, whatever the language
    _in, _conv, (_o, _d_, _r, _s, _cd, _h, credit, levels) = _forest(clean, dec)
    ids = clean.owner_ids
    owners = community.owners
    keep = credit > 0
    if not include_staff and "is_staff" in owners:
        keep &= ~owners["is_staff"].to_numpy(dtype=bool)
    idx = np.flatnonzero(keep)
    df = pd.DataFrame({"owner_id": ids[idx], "credit": np.round(credit[idx], 10)})
    for lv in range(MAX_LEVELS):
        df[f"level_{lv + 1}"] = levels[idx, lv] if lv < len(dec) else np.zeros(len(idx), dtype=np.int64)
    df["conversions"] = levels[idx].sum(axis=1)
    region = owners["region"] if "region" in owners else pd.Series([None] * len(ids))
    df["region"] = region.fillna("").astype(str).to_numpy()[idx]
    df = df.sort_values(["credit", "owner_id"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
    if top is not None:
        df = df.head(int(top))
    reasons = []
    for row in df.itertuples(index=False):
        lv = [int(getattr(row, f"level_{i + 1}")) for i in range(len(dec))]
        en = ", ".join(f"{c} at level {i + 1}" for i, c in enumerate(lv) if c)
        zh = "，".join(f"第 {i + 1} 层 {c} 人" for i, c in enumerate(lv) if c)
        reasons.append(pick(lang, en=f"credit {row.credit:g} from converted referrals: {en}",
                            zh=f"推荐成交积分 {row.credit:g}：{zh}"))
    df["reason"] = reasons
    return df


_PERIODS = {"month": "M", "quarter": "Q", "year": "Y", "week": "W"}


def _period_bounds(as_of: pd.Timestamp, period: str) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """Start of the previous period, start of the current period, end (exclusive) of it.

    The current period is the calendar period containing ``as_of`` (``period`` in week, month,
    quarter, year) or, for ``"<n>d"``, the ``n`` days ending at ``as_of``.
    """
    as_of = pd.Timestamp(as_of)
    if period.endswith("d") and period[:-1].isdigit():
        days = pd.Timedelta(days=int(period[:-1]))
        end = as_of + pd.Timedelta(microseconds=1)
        return end - 2 * days, end - days, end
    if period not in _PERIODS:
        raise ConfigError(f"period must be week, month, quarter, year or '<n>d', got {period!r}")
    p = as_of.to_period(_PERIODS[period])
    return (p - 1).start_time, p.start_time, (p + 1).start_time


@analysis(TOP_REFERRERS)
def top_referrers(
    community: Community,
    *,
    period: str = "quarter",
    as_of: str | pd.Timestamp | None = None,
    top: int = 10,
    growers: int = 5,
    per_region: int = 3,
    min_conversions: int = 1,
    decay: tuple[float, ...] | list[float] = DEFAULT_DECAY,
    lang: str = "en",
) -> pd.DataFrame:
    """An EP-Club-style referrer board for one period: top N, fastest growers, top per region.

    A conversion is dated by the referee's ``purchased_at`` when it is known (and not before the
    referral), else by ``referred_at``; it belongs to the period that date falls in.  Ranking
    counts *direct* converted referrals (``conversions``); ties are broken by the multi-level
    ``credit`` within the period (same decay as :func:`referral_attribution`), then owner_id.
    Staff never appear.

    Parameters
    ----------
    community : graphcrm.community.Community
        The community snapshot.
    period : str, default "quarter"
        ``week``, ``month``, ``quarter``, ``year`` (the calendar period containing ``as_of``) or
        ``"<n>d"`` (the n days ending at ``as_of``).  The previous period has the same length.
    as_of : str or Timestamp, optional
        Day in the period to report (default ``community.as_of``).
    top : int, default 10
        Length of the overall list.
    growers : int, default 5
        Length of the fastest-growers list (largest increase in conversions over the previous
        period, at least ``min_conversions`` now).
    per_region : int, default 3
        Entries per region (the referrer's ``region``; empty region is listed as "").
    min_conversions : int, default 1
        Minimum conversions in the period to be listed at all.
    decay : sequence of float
        Multi-level credit per level, direct first.
    lang : {"en", "zh"}
        Language of ``reason``.

    Returns
    -------
    pandas.DataFrame
        Keyed by (``list``, ``position``), not by owner_id (an owner can be on several lists):
        ``list`` ("top", "growers" or "region", categorical in that order); ``position`` (row
        of the list, 1-based; the region list runs region by region); ``region``; ``rank``
        (1-based within its list, and within its region for "region"); ``owner_id``; ``conversions`` (direct,
        this period); ``credit`` (multi-level, this period); ``previous_conversions``;
        ``growth`` (conversions − previous_conversions); ``period_start``; ``period_end``
        (exclusive); ``reason``.  Sorted by list, then position.

    Raises
    ------
    ConfigError
        For a bad ``period``, ``decay`` or ``lang``.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> owners = pd.DataFrame({"owner_id": ["a", "b", "c"], "region": ["east", "east", "west"]})
    >>> refs = pd.DataFrame({"referrer_id": ["a", "a"], "referee_id": ["b", "c"],
    ...                      "referred_at": ["2024-01-05", "2024-02-01"], "stage": ["order", "delivered"]})
    >>> b = top_referrers(Community.from_frames({"owners": owners, "referrals": refs}), period="year")
    >>> b.loc[b["list"] == "top", ["owner_id", "conversions"]].values.tolist()
    [['a', 2]]
    """
    lang = check_lang(lang)
    dec = _check_decay(decay)
    try:
        as_of = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(community.as_of)
    except (TypeError, ValueError):
        raise ConfigError(f"as_of={as_of!r} is not a date (use YYYY-MM-DD)") from None
    p0, p1, p2 = _period_bounds(as_of, period)
    base = _board_candidates(community, p0, p1, p2, dec, min_conversions)
    lists = _board_lists(base, top=top, growers=growers, per_region=per_region)
    cols = list(TOP_REFERRERS.column_names)
    if not lists:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
        empty["list"] = pd.Categorical([], categories=BOARD_LISTS, ordered=True)
        return empty
    res = pd.concat(lists, ignore_index=True)
    res["list"] = pd.Categorical(res["list"], categories=BOARD_LISTS, ordered=True)
    res["period_start"] = p1
    res["period_end"] = p2
    res["reason"] = _board_reasons(res, lang)
    return res[cols]


def _conversion_dates(owners: pd.DataFrame, e: pd.DataFrame) -> np.ndarray:
    """When each converted referral ``e`` converted: the referee's ``purchased_at`` when it is
    known and not before the referral, else ``referred_at``."""
    if not len(e):
        return np.array([], dtype="datetime64[ns]")
    bought = pd.to_datetime(owners["purchased_at"]).to_numpy()[e["dst"].to_numpy(np.int64)] \
        if "purchased_at" in owners else np.full(len(e), np.datetime64("NaT"))
    when = pd.Series(bought)
    ra = pd.Series(e["referred_at"].to_numpy())
    return when.where(~when.isna() & (when >= ra), ra).to_numpy()


def _board_candidates(community: Community, p0: pd.Timestamp, p1: pd.Timestamp, p2: pd.Timestamp,
                      dec: np.ndarray, min_conversions: int) -> pd.DataFrame:
    """Non-staff referrers with at least ``min_conversions`` conversions in ``[p1, p2)``: their
    region, direct conversions, multi-level credit, conversions in ``[p0, p1)`` and growth."""
    clean = clean_referrals(community)  # the forest only: shared, whatever the language
    e = clean.edges
    e = e[e["converted"].to_numpy(bool)]
    owners = community.owners
    ids = clean.owner_ids
    when = _conversion_dates(owners, e)
    is_staff = owners["is_staff"].to_numpy(bool) if "is_staff" in owners else np.zeros(len(ids), bool)
    region = (owners["region"].fillna("").astype(str).to_numpy() if "region" in owners
              else np.full(len(ids), "", dtype=object))

    def tally(lo, hi):
        m = (when >= np.datetime64(lo)) & (when < np.datetime64(hi))
        conv = np.zeros(len(ids), np.bool_)
        conv[e["dst"].to_numpy(np.int64)[m]] = True
        direct = np.bincount(e["src"].to_numpy(np.int64)[m], minlength=len(ids))
        credit = _credit_only(clean.parent, conv, dec)
        return direct, credit

    cur, cur_credit = tally(p1, p2)
    prev, _ = tally(p0, p1)
    cand = np.flatnonzero((cur >= max(1, min_conversions)) & ~is_staff)
    base = pd.DataFrame({
        "owner_id": ids[cand], "region": region[cand], "conversions": cur[cand],
        "credit": np.round(cur_credit[cand], 10), "previous_conversions": prev[cand],
    })
    base["growth"] = base["conversions"] - base["previous_conversions"]
    return base


def _board_lists(base: pd.DataFrame, *, top: int, growers: int, per_region: int) -> list[pd.DataFrame]:
    """The board's three lists (top, growers, region), each with ``list``, ``rank`` and
    ``position``; empty lists left out."""
    order = ["conversions", "credit", "owner_id"]
    asc = [False, False, True]
    best = base.sort_values(order, ascending=asc, kind="mergesort")
    lists = [best.head(top).assign(list="top")]
    gr = base[base["growth"] > 0].sort_values(["growth"] + order, ascending=[False] + asc, kind="mergesort")
    lists.append(gr.head(growers).assign(list="growers"))
    reg = best.groupby("region", sort=True, group_keys=False).head(per_region)
    reg = reg.sort_values(["region"] + order, ascending=[True] + asc, kind="mergesort")
    lists.append(reg.assign(list="region"))
    out = []
    for df in lists:
        if df.empty:
            continue
        df = df.copy()
        if df["list"].iloc[0] == "region":
            df["rank"] = df.groupby("region").cumcount() + 1
        else:
            df["rank"] = np.arange(1, len(df) + 1)
        df["position"] = np.arange(1, len(df) + 1)
        out.append(df)
    return out


def _board_reasons(res: pd.DataFrame, lang: str) -> list[str]:
    reasons = []
    for r in res.itertuples(index=False):
        en = f"{_pl(r.conversions, 'converted referral')} this period (credit {r.credit:g}), {r.previous_conversions} before"
        zh = f"本期推荐成交 {r.conversions} 人（积分 {r.credit:g}），上期 {r.previous_conversions} 人"
        if r.list == "growers":
            en += f"; up {r.growth}"
            zh += f"，增加 {r.growth} 人"
        if r.list == "region":
            en += f"; #{r.rank} in region {r.region or '(none)'}"
            zh += f"，在 {r.region or '（无）'} 地区排第 {r.rank}"
        reasons.append(pick(lang, en=en, zh=zh))
    return reasons


@numba.njit(cache=True)
def _credit_only(parent, converted, decay):  # pragma: no cover - compiled
    n = parent.shape[0]
    credit = np.zeros(n, dtype=np.float64)
    for v in range(n):
        if converted[v]:
            a = parent[v]
            lv = 0
            while a >= 0 and lv < decay.shape[0]:
                credit[a] += decay[lv]
                a = parent[a]
                lv += 1
    return credit
