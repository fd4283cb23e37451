"""Movement between two periods: who moved up, down or away, and who is rising.

For two periods of the same length ending at ``as_of`` (default: the last 30 days, and the 30
days before them) :func:`movement` gives, per owner, the level, KOC rank, circle and activity
*then* (at the end of the earlier period) and *now* (at ``as_of``).  Four companion tables are
built on it:

* :func:`level_transitions` - per level: owners then, moved up, held, moved down (Orbit-style),
  held by the grace period, new owners landing there, owners now;
* :func:`rising_stars` - the largest KOC rank gains among owners active enough for the gain to
  be real (see the threshold below);
* :func:`drifting_owners` - high past contribution, falling activity (the reactivation list);
* :func:`new_owner_cohort` - owners by join month: how many posted, attended, engaged and
  referred in their first 90 days.

What "then" and "now" mean
--------------------------
*States* (level, KOC rank, circle) are measured AT the end of each period on everything known
up to that moment: "then" runs the same analyses on the community windowed to
``until = then_end`` (:class:`graphcrm.community.Community` with ``until``), so decay and
history are treated exactly as in a report run on that day.  *Activity* is counted INSIDE each
period: an owner's own posts, interactions, events attended (checked in) and referrals made
(``activity_*``), and the likes/comments/... that other owners gave their posts
(``engagement_*``).

The grace period for level downgrades
-------------------------------------
Levels follow decayed contribution, so one quiet month can push a companion's raw score under
the companion threshold.  graphcrm does not demote on that: **a level can drop only after the
owner's record has stayed below it for ``grace_days`` (default 60 days)**.  The record is
checked every ``grace_step_days`` (default 30) back from the date, and the level held at a
date is the highest level the record met at any checkpoint within the ``grace_days`` before
it (the date itself included; owners are not checked before they joined).  Upgrades count at
once.  The same rule gives "level then" and "level now", so both sides of the comparison are
like for like.  ``raw_level_now`` is the level without grace and ``grace_hold`` flags owners
the grace period kept at their level; ``grace_days=0`` switches the rule off.

Rising stars: what "enough activity to be real" means
-----------------------------------------------------
A rank gain counts when the owner, NOW, (1) passes the KOC diversity gate (``qualified``:
engagement from at least 3 independent owners on at least 2 days), (2) did at least
``min_activity`` (default 3) things themselves in the current period, (3) was engaged by at
least ``min_engagers`` (default 3) distinct owners in the current period and (4) ranks within
the first ``rising_top`` KOCs (default: the top 2 % of owners with a KOC score now, at least
100 ranks: 150 ranks on the 20,000-owner demo, 750 at 100,000).  Owners with no KOC score then are counted as
tied last then (rank = number of owners with a positive score + 1), so an owner appearing from
nowhere shows their full climb.

Cost
----
The current-period analyses are the ones a report runs anyway (and are reused through the
community's cache); the earlier period runs KOCs and circles once more on a windowed
community, and levels at each grace checkpoint (four by default; the earlier ones from the
community's own activity rows, :func:`graphcrm.algorithms.levels.levels_at`); both are kept in
the community's cache, so the companion tables and other options reuse them.  The report calls
the tables with ``compare_circles=False`` (no circle detection of the earlier period; its KOC
ranks across today's circles: docs/validation.md, "Movement").  See docs/benchmarks.md,
"Movement" for the time at 20,000 and 100,000 owners.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from graphcrm.arrays import unique_sorted
from graphcrm.errors import ConfigError
from graphcrm.i18n import check_lang, join, pick
from graphcrm.results import Col, ResultSpec, analysis

__all__ = ["movement", "level_transitions", "rising_stars", "drifting_owners", "new_owner_cohort",
           "MovementDetails", "parse_period", "grace_levels", "DEFAULT_GRACE_DAYS"]

#: default grace period of a level downgrade, in days
DEFAULT_GRACE_DAYS = 60
#: default step between grace checkpoints, in days
DEFAULT_GRACE_STEP_DAYS = 30

DIRECTIONS = ("up", "held", "down", "new")


# ---------------------------------------------------------------------------------------------
# details
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MovementDetails:
    """The periods and the grace rule behind a movement table.

    Attributes
    ----------
    then_start, then_end, now_start, now_end : Timestamp
        The two periods: ``(then_start, then_end]`` and ``(now_start, now_end]``;
        ``then_end == now_start``.
    period_days : float
        Length of each period in days.
    grace_days, grace_step_days : float
        The grace period of a level downgrade and the step between its checkpoints.
    grace_rule : str
        The rule in plain words (in the language of the call).
    checkpoints : tuple of Timestamp
        Dates at which the level record was evaluated (newest first).
    owners, moved_up, held, moved_down, new, held_by_grace : int
        Owner counts (non-staff owners known at ``now_end``).
    """

    then_start: pd.Timestamp
    then_end: pd.Timestamp
    now_start: pd.Timestamp
    now_end: pd.Timestamp
    period_days: float
    grace_days: float
    grace_step_days: float
    grace_rule: str
    checkpoints: tuple
    owners: int
    moved_up: int
    held: int
    moved_down: int
    new: int
    held_by_grace: int

    def label(self) -> str:
        """``then_start - then_end vs now_start - now_end`` as dates."""
        d = lambda x: f"{pd.Timestamp(x):%Y-%m-%d}"  # noqa: E731
        return f"{d(self.then_start)}..{d(self.then_end)} vs {d(self.now_start)}..{d(self.now_end)}"


def _grace_rule(grace_days: float, step: float, lang: str) -> str:
    if grace_days <= 0:
        return pick(lang, en="no grace period: levels follow the record at each date",
                    zh="无宽限期：等级按当日记录计算")
    return pick(
        lang,
        en=(f"a level drops only after the record has stayed below it for {grace_days:g} days "
            f"(checked every {step:g} days); upgrades count at once"),
        zh=f"记录连续 {grace_days:g} 天低于当前等级才会降级（每 {step:g} 天检查一次）；升级立即生效",
    )


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def parse_period(period: Any) -> pd.Timedelta:
    """A period length: ``"30D"``, ``"4W"``, ``"1M"`` (30 days), ``"1Q"`` (91 days), a number
    of days or a :class:`pandas.Timedelta`.

    Raises
    ------
    ConfigError
        Not a positive duration.

    Example
    -------
    >>> parse_period("30D").days, parse_period("2W").days, parse_period(14).days, parse_period("1M").days
    (30, 14, 14, 30)
    """
    if isinstance(period, pd.Timedelta):
        td = period
    elif isinstance(period, (int, float, np.integer, np.floating)) and not isinstance(period, bool):
        td = pd.Timedelta(days=float(period))
    elif isinstance(period, str):
        s = period.strip().upper()
        try:
            if s.endswith("M") and s[:-1].strip().isdigit():
                td = pd.Timedelta(days=30 * int(s[:-1]))
            elif s.endswith("Q") and s[:-1].strip().isdigit():
                td = pd.Timedelta(days=91 * int(s[:-1]))
            elif s.isdigit():
                td = pd.Timedelta(days=int(s))
            else:
                td = pd.Timedelta(s)
        except (ValueError, TypeError):
            raise ConfigError(f"period={period!r} is not a duration (use e.g. 30D, 4W, 1M, 1Q)") from None
    else:
        raise ConfigError(f"period={period!r} is not a duration (use e.g. 30D, 4W, 1M, 1Q)")
    if not td > pd.Timedelta(0):
        raise ConfigError(f"period={period!r} must be positive")
    return td


def _as_of(community: Any, as_of: Any) -> pd.Timestamp:
    if as_of is None or as_of == "":
        return pd.Timestamp(community.as_of)
    try:
        ts = pd.Timestamp(as_of)
    except (ValueError, TypeError):
        raise ConfigError(f"as_of={as_of!r} is not a date (use YYYY-MM-DD)") from None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    if isinstance(as_of, str) and len(as_of.strip()) <= 10:  # a date covers the whole day
        ts = ts + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return ts


def _cut(community: Any, t: pd.Timestamp) -> Any:
    """The community as known at ``t``: every row dated after ``t`` left out (a fast
    ``until=t`` window for level checkpoints; ``as_of`` is ``t``), kept in ``community``'s
    cache so that the analyses run on it are computed once."""
    return community.memo("movement:cut", {"t": str(pd.Timestamp(t))}, lambda: _cut_uncached(community, t))


def _then(community: Any, until: pd.Timestamp) -> Any:
    """``community`` windowed to ``until`` (cached in ``community``: its KOCs and circles are reused)."""
    from graphcrm.community import Community

    return community.memo("movement:until", {"until": str(pd.Timestamp(until))},
                          lambda: Community(community.tables, until=until))


def _cut_uncached(community: Any, t: pd.Timestamp) -> Any:
    from graphcrm.community import Community

    tb = community.tables

    def upto(df: pd.DataFrame, col: str) -> pd.DataFrame:
        return df[(df[col] <= t).fillna(False).to_numpy(dtype=bool)]

    owners = tb["owners"]
    owners = owners[~(owners["joined_at"] > t).fillna(False).to_numpy(dtype=bool)]
    events = upto(tb["events"], "starts_at")
    out = {
        "owners": owners,
        "events": events,
        "posts": upto(tb["posts"], "created_at"),
        "referrals": upto(tb["referrals"], "referred_at"),
        "interactions": upto(tb["interactions"], "created_at"),
        "attendance": tb["attendance"][tb["attendance"]["event_id"].isin(events["event_id"])],
    }
    c = Community(out)
    c.as_of = pd.Timestamp(t)
    return c


def _ladder(thresholds: Sequence[Mapping[str, Any]] | None, lang: str) -> tuple[list[str], list[str]]:
    from graphcrm.algorithms.levels import DEFAULT_LEVELS

    levels = list(DEFAULT_LEVELS if thresholds is None else thresholds)
    keys = [str(lv.get("level")) for lv in levels]
    names = [str(lv.get(lang) or lv.get("en") or lv.get("level")) for lv in levels]
    return keys, names


def _raw_rank(community: Any, ids: np.ndarray, level_options: dict,
              positions: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Level rank (-1 where unknown or staff) and contribution per owner of ``ids``
    (``positions``: theirs in ``community.owner_ids``, when the caller has them)."""
    from graphcrm.algorithms.levels import owner_levels

    lv = owner_levels(community, **level_options)
    pos = community.index_of(ids) if positions is None else positions
    got = _at_owners(community, lv, pos, {"level_rank": -1, "contribution": np.nan})
    return got["level_rank"].astype(np.int64), got["contribution"].astype(float)


def _at_owners(community: Any, frame: pd.DataFrame, pos: np.ndarray,
               columns: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Columns of ``frame`` (one row per owner, column ``owner_id``) at the owners ``pos``
    (positions in ``community.owner_ids``, -1: unknown), ``columns[col]`` where the frame has
    no row: what ``frame.set_index("owner_id")[col].reindex(ids).fillna(fill)`` gives, with
    the frame's ids looked up once against the community's owner index instead of a hash
    table built on them and probed with every id per column (at a million owners each of
    those lookups hashes a million strings)."""
    fp = community.index_of(frame["owner_id"])
    ok = fp >= 0
    n = len(community.owner_ids)
    have = pos >= 0
    out = {}
    for col, fill in columns.items():
        v = frame[col].to_numpy()[ok]
        dtype = np.result_type(v.dtype, np.asarray(fill).dtype) if v.dtype != object else object
        full = np.full(n, fill, dtype=dtype)
        full[fp[ok]] = v
        out[col] = np.where(have, full[np.maximum(pos, 0)], fill).astype(dtype, copy=False)
    return out


def _checkpoints(end: pd.Timestamp, grace_days: float, step: float) -> list[pd.Timestamp]:
    if grace_days <= 0:
        return [end]
    k = int(np.ceil(grace_days / step - 1e-9))
    return [end - pd.Timedelta(days=min(i * step, grace_days)) for i in range(k + 1)]


def grace_levels(
    community: Any,
    ids: np.ndarray,
    dates: Sequence[pd.Timestamp],
    *,
    grace_days: float = DEFAULT_GRACE_DAYS,
    grace_step_days: float = DEFAULT_GRACE_STEP_DAYS,
    level_options: Mapping[str, Any] | None = None,
    positions: np.ndarray | None = None,
) -> dict[pd.Timestamp, dict[str, np.ndarray]]:
    """Levels of ``ids`` at each of ``dates`` under the grace rule (see the module docstring);
    ``positions``: the positions of ``ids`` in ``community.owner_ids`` when the caller has them
    (else looked up).

    Returns
    -------
    dict
        date -> ``{"held": level rank held under grace, "raw": level rank the record meets at
        that date, "contribution": decayed points at that date}``, arrays over ``ids``
        (-1: not an owner yet, or staff); plus the key ``"checkpoints"`` -> the sorted list of
        dates evaluated.
    """
    from graphcrm.algorithms.levels import levels_at

    opts = dict(level_options or {})
    grace_days = float(grace_days)
    step = float(grace_step_days)
    if grace_days < 0:
        raise ConfigError(f"grace_days must be >= 0, got {grace_days!r}")
    if not step > 0:
        raise ConfigError(f"grace_step_days must be positive, got {grace_step_days!r}")
    needed: dict[pd.Timestamp, list[pd.Timestamp]] = {d: _checkpoints(d, grace_days, step) for d in dates}
    points = sorted({p for ps in needed.values() for p in ps}, reverse=True)
    raw: dict[pd.Timestamp, tuple[np.ndarray, np.ndarray]] = {}
    now = pd.Timestamp(community.as_of)
    # the earlier checkpoints from the community's own activity rows, in one pass per date (the
    # same values as owner_levels on a community cut at the date, without building it)
    cuts = levels_at(community, [p for p in points if p != now], **opts)
    pos = community.index_of(ids) if positions is None else positions
    for p in points:
        if p == now:
            raw[p] = _raw_rank(community, ids, opts, pos)
        elif cuts is not None:
            rank, contrib = cuts[p]
            raw[p] = (np.where(pos >= 0, rank[np.maximum(pos, 0)], -1).astype(np.int64),
                      np.where(pos >= 0, contrib[np.maximum(pos, 0)], np.nan))
        else:  # post ids not unique: only a community per date reproduces owner_levels' merge
            raw[p] = _raw_rank(_cut(community, p), ids, opts)
    out: dict[Any, Any] = {}
    for d, ps in needed.items():
        held = np.max(np.column_stack([raw[p][0] for p in ps]), axis=1)
        out[d] = {"held": held, "raw": raw[d][0], "contribution": raw[d][1]}
    out["checkpoints"] = tuple(points)
    return out


def _activity(community: Any, lo: pd.Timestamp, hi: pd.Timestamp) -> dict[str, np.ndarray]:
    """Per owner (community order): own activities, engagement received and distinct engagers in (lo, hi]."""
    from graphcrm.algorithms.levels import ACTIVITY_KINDS, activity_log, kind_codes, owner_positions

    n = len(community.owner_ids)
    log = activity_log(community)
    at = log["at"].to_numpy()
    m = (at > np.datetime64(lo)) & (at <= np.datetime64(hi))
    pos = log["pos"].to_numpy(np.int64)[m]
    kind = kind_codes(log)[m]
    out = {"activity": np.bincount(pos, minlength=n)}
    for i, k in enumerate(ACTIVITY_KINDS):
        out[k] = np.bincount(pos[kind == i], minlength=n)
    eng = _engagement_rows(community)
    if eng is not None:
        ea, ee, eat = eng
        em = (eat > np.datetime64(lo)) & (eat <= np.datetime64(hi))
        a, e = ea[em], ee[em]
    else:  # post ids not unique: one row per matching post, as the merge gives
        t = community.tables
        inter = t["interactions"]
        im = ((inter["created_at"] > lo) & (inter["created_at"] <= hi)).fillna(False).to_numpy(bool)
        inter = inter[im].merge(t["posts"][["post_id", "author_id"]], on="post_id", how="inner")
        inter = inter[inter["owner_id"].astype(object) != inter["author_id"].astype(object)]
        a = owner_positions(community, inter["author_id"])
        e = owner_positions(community, inter["owner_id"])
        ok = (a >= 0) & (e >= 0)
        a, e = a[ok], e[ok]
    out["engagement"] = np.bincount(a, minlength=n)
    if len(a):
        pair = unique_sorted(a.astype(np.int64) * n + e)  # sorted (np.unique's hash table: ~100x slower)
        out["engagers"] = np.bincount(pair // n, minlength=n)
    else:
        out["engagers"] = np.zeros(n, np.int64)
    return out


def _engagement_rows(community: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Every interaction by a known owner on a known owner's post, not their own: the author's
    and the engager's positions and the interaction's time (datetime64[ns]; undated rows fall
    outside every period), in row order.  The positions are the KOC pass's interaction rows
    (:func:`graphcrm.algorithms.koc._interaction_rows`, one cache entry shared with the KOCs,
    the projections' author lookup by categorical codes); only the times of those rows are
    kept here (``movement:engagement_times``).  ``None`` when post ids are not unique (then
    :func:`_activity` merges, one row per matching post)."""
    from graphcrm.algorithms.koc import _interaction_rows

    if not community.memo("movement:posts_unique", {}, lambda: _post_ids_unique(community)):
        return None
    e, a, rows = _interaction_rows(community)
    at = community.memo("movement:engagement_times", {}, lambda: _times_of(community, rows))
    return a, e, at


def _post_ids_unique(community: Any) -> bool:
    posts = community.tables["posts"]
    return bool(pd.Index(posts["post_id"].astype(str).to_numpy(dtype=object)).is_unique)


def _times_of(community: Any, rows: np.ndarray) -> np.ndarray:
    """``created_at`` of the interaction rows ``rows`` as datetime64[ns] (NaT: undated); a
    datetime64 column is read in place and only the kept rows are converted."""
    at = community.tables["interactions"]["created_at"]
    if isinstance(at.dtype, np.dtype) and at.dtype.kind == "M":
        return at.to_numpy()[rows].astype("datetime64[ns]", copy=False)
    return pd.to_datetime(at).astype("datetime64[ns]").to_numpy()[rows]


def _koc(community: Any, ids: np.ndarray, koc_options: Mapping[str, Any] | None,
         positions: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """KOC rank (-1 where unscored: score 0 or staff), score and qualified flag per owner of ``ids``."""
    return _koc_arrays(community, _scored(community, koc_options), ids, positions)


def _scored(community: Any, koc_options: Mapping[str, Any] | None) -> pd.DataFrame:
    """The KOC table's scored owners (score > 0): ``owner_id``, ``rank``, ``score``, ``qualified``."""
    from graphcrm.algorithms.koc import kocs

    k = kocs(community, **dict(koc_options or {}))
    return k.loc[k["score"] > 0, ["owner_id", "rank", "score", "qualified"]].reset_index(drop=True)


def _koc_arrays(community: Any, k: pd.DataFrame, ids: np.ndarray,
                positions: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Rank, score and qualified flag of the scored KOC table ``k`` at ``ids`` (``positions``:
    theirs in ``community.owner_ids``)."""
    pos = community.index_of(ids) if positions is None else positions
    got = _at_owners(community, k, pos, {"rank": -1, "score": 0.0, "qualified": False})
    return {"rank": got["rank"].astype(np.int64), "score": got["score"].astype(float),
            "qualified": got["qualified"].astype(bool), "scored": int(len(k))}


def _circle(community: Any, ids: np.ndarray, options: Mapping[str, Any] | None = None, *,
            table: bool = True, positions: np.ndarray | None = None) -> np.ndarray:
    """Circle of each of ``ids`` (-1: none or unknown).  ``table=False`` reads the cached
    partition (:func:`~graphcrm.algorithms.circles.circle_ids`: the same ``circle`` column as
    :func:`~graphcrm.algorithms.circles.circles`, without its labels, bridge scores and reasons)."""
    from graphcrm.algorithms.circles import circle_ids, circles

    if not table:
        memb = circle_ids(community, **dict(options or {}))
        pos = community.index_of(ids) if positions is None else positions
        return np.where(pos >= 0, memb[np.maximum(pos, 0)], -1).astype(np.int64)
    c = circles(community, **dict(options or {}))
    return c.set_index("owner_id")["circle"].reindex(ids).fillna(-1).to_numpy(np.int64)


def _match_circles(then: np.ndarray, now: np.ndarray) -> np.ndarray:
    """Relabel ``then`` circles with the ``now`` circle sharing most of their members (-1: none)."""
    both = (then >= 0) & (now >= 0)
    out = np.full(len(then), -1, np.int64)
    if not both.any():
        return out
    ct = pd.DataFrame({"a": then[both], "b": now[both]}).value_counts().reset_index(name="n")
    ct = ct.sort_values(["a", "n", "b"], ascending=[True, False, True], kind="mergesort").drop_duplicates("a")
    best = pd.Series(ct["b"].to_numpy(), index=ct["a"].to_numpy())
    has = then >= 0
    out[has] = best.reindex(then[has]).fillna(-1).to_numpy(np.int64)
    return out


def _nullable_int(values: np.ndarray, missing: np.ndarray) -> pd.Series:
    return pd.Series(pd.array(np.where(missing, 0, values), dtype="Int64")).mask(missing)


# ---------------------------------------------------------------------------------------------
# movement
# ---------------------------------------------------------------------------------------------
MOVEMENT_SPEC = ResultSpec(
    "movement",
    key=("owner_id",),
    columns=(
        Col("owner_id", "str", "", "the owner"),
        Col("direction", "str", "", "level movement: up, held, down, or new (joined during the current period)"),
        Col("level_then", "str", "", "level held at the end of the earlier period (grace rule applied; empty: not an owner yet)", nullable=True),
        Col("level_now", "str", "", "level held now (grace rule applied)"),
        Col("level_rank_then", "int", "rank", "0 = lowest level", nullable=True),
        Col("level_rank_now", "int", "rank", "0 = lowest level"),
        Col("raw_level_now", "str", "", "level the record meets now, without the grace period"),
        Col("grace_hold", "bool", "", "kept at level_now by the grace period (the record alone would drop)"),
        Col("contribution_then", "float", "points", "decayed contribution at the end of the earlier period", nullable=True),
        Col("contribution_now", "float", "points", "decayed contribution now"),
        Col("koc_rank_then", "int", "rank", "KOC rank then (1 = best; empty: no KOC score)", nullable=True),
        Col("koc_rank_now", "int", "rank", "KOC rank now (1 = best; empty: no KOC score)", nullable=True),
        Col("koc_rank_gain", "int", "ranks", "places climbed (unscored counts as tied last)", nullable=True),
        Col("koc_score_then", "float", "0-100", "KOC score then"),
        Col("koc_score_now", "float", "0-100", "KOC score now"),
        Col("qualified_now", "bool", "", "passes the KOC diversity gate now"),
        Col("circle_then", "int", "circle", "circle then, relabelled to the current circle sharing most of its members (-1: none)"),
        Col("circle_now", "int", "circle", "circle now (-1: no ties)"),
        Col("circle_changed", "bool", "", "in a circle both times, and not the same one"),
        Col("activity_then", "int", "activities", "own posts, interactions, events attended and referrals in the earlier period"),
        Col("activity_now", "int", "activities", "the same in the current period"),
        Col("engagement_then", "int", "interactions", "interactions other owners made on the owner's posts in the earlier period"),
        Col("engagement_now", "int", "interactions", "the same in the current period"),
        Col("engagers_now", "int", "owners", "distinct owners who engaged with the owner's posts in the current period"),
        Col("reason", "str", "", "what changed, in plain words"),
    ),
    sort=(("level_rank_now", False), ("contribution_now", False), ("owner_id", True)),
    reason="reason",
    depends=("owner_levels", "kocs", "circles"),
    details=MovementDetails,
    description="Per owner: level, KOC rank, circle and activity in the earlier period and now.",
)


@analysis(MOVEMENT_SPEC)
def movement(
    community: Any,
    *,
    period: str | int | pd.Timedelta = "30D",
    as_of: Any = None,
    grace_days: float = DEFAULT_GRACE_DAYS,
    grace_step_days: float = DEFAULT_GRACE_STEP_DAYS,
    thresholds: Sequence[Mapping[str, Any]] | None = None,
    points: Mapping[str, float] | None = None,
    half_life_days: float | None = 180,
    koc_options: Mapping[str, Any] | None = None,
    compare_circles: bool = True,
    quick_circles_then: bool = False,
    lang: str = "en",
) -> tuple[pd.DataFrame, MovementDetails]:
    """Per owner: level, KOC rank, circle and activity in the earlier period and now.

    The current period is ``(as_of - period, as_of]``, the earlier one the ``period`` before
    it.  Levels, KOC ranks and circles are measured at each period's end on everything known
    then; activity is counted inside each period; level downgrades wait ``grace_days`` (see
    the module docstring for all three rules).

    Parameters
    ----------
    community : Community
        The community snapshot.
    period : str, int or Timedelta, default "30D"
        Length of each period (``"30D"``, ``"4W"``, ``"1M"`` = 30 days, ``"1Q"`` = 91 days, or days).
    as_of : date, optional
        End of the current period (default ``community.as_of``, the latest data; a date means
        the end of that day).
    grace_days : float, default 60
        A level drops only after the record stayed below it this long (0: no grace).
    grace_step_days : float, default 30
        Step between the checkpoints of the grace rule.
    thresholds, points, half_life_days
        Level options, as in :func:`graphcrm.algorithms.levels.owner_levels`.
    koc_options : mapping, optional
        Options for :func:`graphcrm.algorithms.koc.kocs` (both periods).
    compare_circles : bool, default True
        Find the earlier period's circles too (a second circle detection, the costliest step on
        a large community).  ``False`` leaves ``circle_then`` at -1 and ``circle_changed``
        false, and the earlier KOC scores measure bridging with today's circles.
    quick_circles_then : bool, default False
        How the earlier period's circles are found.  By default the full detection (resolution
        scan and consensus rounds), exactly as a report run at the end of the earlier period
        would have found them.  ``True``: one Leiden run (same method, seed and other options)
        at the resolution today's circles chose - about half the cost of the earlier period at
        100,000 owners, but one run moves with the seed: on the 5,000-owner demo it flags 362
        circle changes where the full detection flags 128, and moves 13 % of the earlier KOC
        ranks by a few places (docs/movement.md, "Cost").
    lang : {"en", "zh"}
        Language of ``reason`` and the grace rule.

    Returns
    -------
    table : DataFrame
        One row per non-staff owner known at ``as_of``, sorted by ``level_rank_now`` desc,
        ``contribution_now`` desc, ``owner_id``: ``owner_id``; ``direction`` (up, held, down,
        new); ``level_then``/``level_now`` (level keys; grace applied); ``level_rank_then``/
        ``level_rank_now`` (0 = lowest); ``raw_level_now`` (no grace); ``grace_hold``;
        ``contribution_then``/``contribution_now`` (points); ``koc_rank_then``/``koc_rank_now``
        (1 = best, empty without a KOC score); ``koc_rank_gain`` (places); ``koc_score_then``/
        ``koc_score_now`` (0-100); ``qualified_now``; ``circle_then`` (relabelled to today's
        circles), ``circle_now``, ``circle_changed``; ``activity_then``/``activity_now``
        (activities); ``engagement_then``/``engagement_now`` (interactions received);
        ``engagers_now`` (owners); ``reason``.
    details : MovementDetails
        With ``details=True``: the periods, the grace rule and the counts per direction.

    Raises
    ------
    ConfigError
        Bad period, date, grace option, level or KOC option, or ``lang``.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(6)], "author_id": "a",
    ...                       "created_at": pd.date_range("2024-05-05", periods=6, freq="D")})
    >>> c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a", "b"],
    ...                            "joined_at": ["2024-01-01", "2024-01-01"]}), "posts": posts})
    >>> m = movement(c, as_of="2024-05-31", half_life_days=None)
    >>> m[["owner_id", "direction", "level_then", "level_now", "activity_then", "activity_now"]].values.tolist()
    [['a', 'up', 'buyer', 'member', 0, 6], ['b', 'held', 'buyer', 'buyer', 0, 0]]
    """
    lang = check_lang(lang)
    core = _core(community, period=period, as_of=as_of, grace_days=grace_days, grace_step_days=grace_step_days,
                 thresholds=thresholds, points=points, half_life_days=half_life_days)
    td, ids = core["td"], core["ids"]
    then_start, then_end, now_start, now_end = core["then_start"], core["then_end"], core["now_start"], core["now_end"]
    now_c = _now(community, now_end)  # the core's own community (cached), not held in the core
    held_now, raw_now, contrib_now = core["held_now"], core["raw_now"], core["contrib_now"]
    held_then, contrib_then, unknown_then = core["held_then"], core["contrib_then"], core["unknown_then"]
    direction = core["direction"]
    a_now, a_then = core["a_now"], core["a_then"]
    keys, names = _ladder(thresholds, lang)
    keys_a = np.asarray(keys, dtype=object)

    then_circles = _then_circle_options(now_c, koc_options, quick_circles_then) if compare_circles else {}
    pos = _core_positions(now_c, ids)
    k_now, k_then = _koc_both(community, now_c, then_end, ids, koc_options, compare_circles, then_circles, pos)
    eff_now = np.where(k_now["rank"] > 0, k_now["rank"], k_now["scored"] + 1)
    eff_then = np.where(k_then["rank"] > 0, k_then["rank"], k_then["scored"] + 1)
    gain = eff_then - eff_now
    no_gain = ((k_now["rank"] < 0) & (k_then["rank"] < 0)) | unknown_then
    c_now, c_then = _circles_both(community, now_c, then_end, ids, compare_circles, then_circles, pos)
    c_then[unknown_then] = -1

    df = pd.DataFrame({
        "owner_id": pd.Series(ids, dtype=object).astype(str).to_numpy(),
        "direction": direction,
        "level_then": pd.Series(keys_a[np.maximum(held_then, 0)], dtype=object).mask(unknown_then),
        "level_now": keys_a[held_now],
        "level_rank_then": _nullable_int(held_then, unknown_then),
        "level_rank_now": held_now.astype(np.int64),
        "raw_level_now": keys_a[raw_now],
        "grace_hold": raw_now < held_now,
        "contribution_then": pd.Series(np.round(contrib_then, 2)).mask(unknown_then),
        "contribution_now": np.round(np.nan_to_num(contrib_now), 2),
        "koc_rank_then": _nullable_int(k_then["rank"], (k_then["rank"] < 0) | unknown_then),
        "koc_rank_now": _nullable_int(k_now["rank"], k_now["rank"] < 0),
        "koc_rank_gain": _nullable_int(gain, no_gain),
        "koc_score_then": np.round(k_then["score"], 4),
        "koc_score_now": np.round(k_now["score"], 4),
        "qualified_now": k_now["qualified"],
        "circle_then": c_then,
        "circle_now": c_now,
        "circle_changed": (c_then >= 0) & (c_now >= 0) & (c_then != c_now),
        "activity_then": a_then["activity"].astype(np.int64),
        "activity_now": a_now["activity"].astype(np.int64),
        "engagement_then": a_then["engagement"].astype(np.int64),
        "engagement_now": a_now["engagement"].astype(np.int64),
        "engagers_now": a_now["engagers"].astype(np.int64),
    })
    df["reason"] = _reasons(df, names, keys, td.days if td.days else td / pd.Timedelta(days=1), grace_days, lang)
    det = _details(len(df), int(df["grace_hold"].sum()), direction, then_start, then_end, now_start, now_end, td,
                   grace_days, grace_step_days, core["checkpoints"], lang)
    return df, det



def _core(community: Any, *, period: str | int | pd.Timedelta, as_of: Any, grace_days: float,
          grace_step_days: float, thresholds: Sequence[Mapping[str, Any]] | None,
          points: Mapping[str, float] | None, half_life_days: float | None) -> dict[str, Any]:
    """What :func:`movement` and :func:`drifting_owners` share: the periods, the owners (non-staff,
    known at ``as_of``), their levels under grace, contributions and activity in both periods,
    as arrays over the owners (no KOC ranks, no circles, no text, no community).  Computed once per community
    and options (the community's cache), so that the drifting owners of ``targets`` and the
    movement tables of the report do it once between them."""
    td = parse_period(period)
    now_end = _as_of(community, as_of)
    opts = {"period": str(td), "as_of": str(now_end), "grace_days": grace_days, "grace_step_days": grace_step_days,
            "thresholds": thresholds, "points": points, "half_life_days": half_life_days}
    return community.memo("movement:core", opts, lambda: _core_uncached(
        community, td, now_end, grace_days=grace_days, grace_step_days=grace_step_days,
        level_options={"thresholds": thresholds, "points": points, "half_life_days": half_life_days}))


def _core_uncached(community: Any, td: pd.Timedelta, now_end: pd.Timestamp, *, grace_days: float,
                   grace_step_days: float, level_options: dict) -> dict[str, Any]:
    now_start = now_end - td
    then_end, then_start = now_start, now_start - td

    now_c = _now(community, now_end)

    owners = now_c.owners
    staff = owners["is_staff"].astype(bool).to_numpy()
    ids = np.asarray(now_c.owner_ids, dtype=object)[~staff]
    pos = np.flatnonzero(~staff)  # the positions of ids in now_c.owner_ids, by construction
    joined = pd.to_datetime(owners["joined_at"]).to_numpy()[~staff]
    new = ~pd.isna(joined) & (joined > np.datetime64(then_end))

    g = grace_levels(now_c, ids, [now_end, then_end], grace_days=grace_days, grace_step_days=grace_step_days,
                     level_options=level_options, positions=pos)
    held_now, raw_now, contrib_now = g[now_end]["held"], g[now_end]["raw"], g[now_end]["contribution"]
    held_then, contrib_then = g[then_end]["held"], g[then_end]["contribution"]
    held_now = np.maximum(held_now, 0)
    raw_now = np.maximum(raw_now, 0)
    unknown_then = (held_then < 0) | new

    direction = np.where(held_now > held_then, "up", np.where(held_now < held_then, "down", "held")).astype(object)
    direction[unknown_then] = "new"

    a_now = {k: v[pos] for k, v in _activity(now_c, now_start, now_end).items()}
    a_then = {k: v[pos] for k, v in _activity(now_c, then_start, then_end).items()}
    # no community in the core: it is plain arrays and timestamps, so a worker process can hand
    # it over (graphcrm.reports.prefetch); movement() finds the community again with _now()
    return {"td": td, "ids": ids,
            "then_start": then_start, "then_end": then_end, "now_start": now_start, "now_end": now_end,
            "held_now": held_now, "raw_now": raw_now, "contrib_now": contrib_now,
            "held_then": held_then, "contrib_then": contrib_then, "unknown_then": unknown_then,
            "direction": direction, "a_now": a_now, "a_then": a_then, "checkpoints": g["checkpoints"]}

def _then_circle_options(now_c: Any, koc_options: Mapping[str, Any] | None, quick_circles_then: bool) -> dict:
    """Circle options of the earlier period: today's (``koc_options["circle_options"]``), and
    with ``quick_circles_then`` one Leiden run at the resolution today's circles chose instead
    of the resolution scan and the consensus rounds (see :func:`movement`)."""
    base = dict((koc_options or {}).get("circle_options") or {})
    if not quick_circles_then:
        return base
    from graphcrm.algorithms.circles import circles

    _, det = circles(now_c, details=True, **base)
    return {**base, "resolution": det.resolution, "consensus_runs": 1}


def _core_positions(now_c: Any, ids: np.ndarray) -> np.ndarray:
    """Positions in ``now_c.owner_ids`` of a core's ``ids`` (the non-staff owners of ``now_c``,
    in its order: :func:`_core_uncached`), without looking a million ids up; looked up when
    ``ids`` are not those (a core made elsewhere)."""
    pos = np.flatnonzero(~now_c.owners["is_staff"].astype(bool).to_numpy())
    oid = np.asarray(now_c.owner_ids, dtype=object)
    if len(pos) == len(ids) and (not len(ids) or np.array_equal(oid[pos], ids)):
        return pos
    return now_c.index_of(ids)


def _now(community: Any, now_end: pd.Timestamp) -> Any:
    """The community as known at the end of the current period (``community`` itself when that
    is its own end and it has no window)."""
    full = community.since is None and community.until is None
    return community if (full and now_end == pd.Timestamp(community.as_of)) else _then(community, now_end)


def _koc_both(community: Any, now_c: Any, then_end: pd.Timestamp, ids: np.ndarray,
              koc_options: Mapping[str, Any] | None, compare_circles: bool,
              then_circles: dict, positions: np.ndarray | None = None) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """KOC ranks and scores of ``ids`` now and at the end of the earlier period (bridging with
    the earlier circles of ``then_circles`` options, or with today's circles when the earlier
    circles are not compared)."""
    pos = now_c.index_of(ids) if positions is None else positions
    k_now = _koc(now_c, ids, koc_options, pos)
    k_then = _kocs_then(community, now_c, then_end, koc_options, compare_circles, then_circles)
    return k_now, _koc_arrays(now_c, k_then, ids, pos)


def _kocs_then(community: Any, now_c: Any, then_end: pd.Timestamp, koc_options: Mapping[str, Any] | None,
               compare_circles: bool, then_circles: dict) -> pd.DataFrame:
    """The earlier period's scored KOCs (:func:`_scored` of ``kocs`` on the window ending at
    ``then_end``), kept in ``community``'s cache: the window itself is built only when this is
    computed, so a value computed elsewhere (:func:`earlier_kocs` in a worker process, adopted
    under the same cache key: :mod:`graphcrm.reports.prefetch`) spares building it."""
    name, opts = _kocs_then_entry(now_c, then_end, koc_options, compare_circles, then_circles)
    return community.memo(name, opts, lambda: _scored_then(community, then_end, opts["kocs"]))


def _scored_then(community: Any, then_end: pd.Timestamp, koc_options: Mapping[str, Any]) -> pd.DataFrame:
    """:func:`_scored` of the community as known at ``then_end``, without the KOC table's
    per-owner reasons (and without caching the table: the earlier window's table is read only
    here).  With a circles frame (``compare_circles=False``, the report's call) the table comes
    from ``community``'s own interaction rows cut at ``then_end``
    (:func:`~graphcrm.algorithms.koc.koc_table_until`: the same table, no window community);
    otherwise, or where that does not apply, from the window community (:func:`_then`), whose
    circles the earlier circles then reuse."""
    import inspect

    from graphcrm.algorithms.koc import koc_table, koc_table_until, kocs

    bound = inspect.signature(kocs).bind(community, **dict(koc_options))
    bound.apply_defaults()
    args = {k: v for k, v in bound.arguments.items() if k not in ("community", "details")}
    k = koc_table_until(community, then_end, **args, reasons=False)
    if k is None:
        k = koc_table(_then(community, then_end), **args, reasons=False)
    return k.loc[k["score"] > 0, ["owner_id", "rank", "score", "qualified"]].reset_index(drop=True)


def _kocs_then_entry(now_c: Any, then_end: pd.Timestamp, koc_options: Mapping[str, Any] | None,
                     compare_circles: bool, then_circles: dict) -> tuple[str, dict]:
    then_koc_options = dict(koc_options or {})
    if not compare_circles:
        from graphcrm.algorithms.circles import circle_ids

        # bridging reads the memberships only (today's partition, the ``circle`` column of
        # ``circles(now_c)``, in owner order: no circles table needed); the frame is hashed into
        # the cache key by content
        then_koc_options["circles_frame"] = pd.DataFrame({"owner_id": now_c.owner_ids, "circle": circle_ids(now_c)})
    elif "circles_frame" not in then_koc_options:
        then_koc_options["circle_options"] = then_circles or None
    return "movement:kocs_then", {"until": str(pd.Timestamp(then_end)), "kocs": then_koc_options}


def earlier_kocs(community: Any, *, period: str | int | pd.Timedelta = "30D", as_of: Any = None,
                 koc_options: Mapping[str, Any] | None = None, compare_circles: bool = True,
                 quick_circles_then: bool = False) -> pd.DataFrame:
    """The earlier period's KOCs as :func:`movement` with the same options ranks them: the
    scored owners (score > 0) of :func:`~graphcrm.algorithms.koc.kocs` on the community as known
    at the end of the earlier period, kept in ``community``'s cache.

    This is the part of :func:`movement` that needs neither the levels nor the current period's
    analyses beyond today's circles (with ``compare_circles=False``), so it can run ahead, e.g.
    in a second process (:mod:`graphcrm.reports.prefetch`); ``movement`` then finds it.

    Parameters
    ----------
    community : Community
        The community snapshot.
    period, as_of, koc_options, compare_circles, quick_circles_then
        As in :func:`movement`.

    Returns
    -------
    DataFrame
        ``owner_id`` (str), ``rank`` (int, 1 = best KOC of the earlier period), ``score``
        (float, 0-100), ``qualified`` (bool): one row per owner with a score above 0 then.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a", "b"],
    ...                            "joined_at": ["2024-01-01", "2024-01-01"]})})
    >>> list(earlier_kocs(c, compare_circles=False).columns)
    ['owner_id', 'rank', 'score', 'qualified']
    """
    td = parse_period(period)
    now_end = _as_of(community, as_of)
    now_c = _now(community, now_end)
    then_circles = _then_circle_options(now_c, koc_options, quick_circles_then) if compare_circles else {}
    return _kocs_then(community, now_c, now_end - td, koc_options, compare_circles, then_circles)


def _circles_both(community: Any, now_c: Any, then_end: pd.Timestamp, ids: np.ndarray, compare_circles: bool,
                  then_circles: dict, positions: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Circle of ``ids`` now, and then relabelled to today's circles (-1 when not compared);
    ``positions``: those of ``ids`` in ``now_c.owner_ids``."""
    c_now = _circle(now_c, ids, table=False, positions=positions)
    if not compare_circles:
        return c_now, np.full(len(ids), -1, np.int64)
    then_c = _then(community, then_end)  # the earlier window, built only to find its circles
    return c_now, _match_circles(_circle(then_c, ids, then_circles, table=False), c_now)


def _details(owners: int, held_by_grace: int, direction: np.ndarray, then_start: pd.Timestamp, then_end: pd.Timestamp,
             now_start: pd.Timestamp, now_end: pd.Timestamp, td: pd.Timedelta, grace_days: float,
             grace_step_days: float, checkpoints: Sequence[pd.Timestamp], lang: str) -> MovementDetails:
    """The periods, the grace rule in words and the counts per direction."""
    return MovementDetails(
        then_start=then_start, then_end=then_end, now_start=now_start, now_end=now_end,
        period_days=td / pd.Timedelta(days=1), grace_days=float(grace_days), grace_step_days=float(grace_step_days),
        grace_rule=_grace_rule(float(grace_days), float(grace_step_days), lang),
        checkpoints=tuple(checkpoints), owners=int(owners),
        moved_up=int((direction == "up").sum()), held=int((direction == "held").sum()),
        moved_down=int((direction == "down").sum()), new=int((direction == "new").sum()),
        held_by_grace=int(held_by_grace),
    )


def _reasons(df: pd.DataFrame, names: list[str], keys: list[str], days: float, grace_days: float, lang: str) -> np.ndarray:
    zh = lang == "zh"
    name_of = dict(zip(keys, names))
    out = []
    fmt = lambda v: "-" if pd.isna(v) else f"{int(v):,}"  # noqa: E731
    # the columns as Python lists once (iterating rows of arrow-backed or nullable columns
    # converts every cell on its own: ~1.7 s for 100,000 owners)
    cols = [df[c].tolist() for c in ("direction", "level_now", "level_then", "raw_level_now", "grace_hold",
                                      "koc_rank_now", "koc_rank_then", "activity_now", "activity_then")]
    for direction, level_now, level_then, raw_level_now, grace_hold, rank_now, rank_then, act_now, act_then in zip(*cols):
        parts = []
        ln = name_of.get(level_now, level_now)
        if direction == "new":
            parts.append(f"本期新加入，等级 {ln}" if zh else f"joined in this period; now {ln}")
        elif direction == "held":
            parts.append(f"保持 {ln}" if zh else f"held {ln}")
        else:
            lt = name_of.get(level_then, level_then)
            word = ("升级" if direction == "up" else "降级") if zh else ("up" if direction == "up" else "down")
            parts.append(f"{lt} → {ln}（{word}）" if zh else f"{lt} -> {ln} ({word})")
        if grace_hold:
            rl = name_of.get(raw_level_now, raw_level_now)
            parts.append(f"宽限期 {grace_days:g} 天内保留等级（当前记录为 {rl}）" if zh
                         else f"kept by the {grace_days:g}-day grace period (the record alone is {rl})")
        if not pd.isna(rank_now) or not pd.isna(rank_then):
            parts.append(f"KOC 排名 {fmt(rank_then)} → {fmt(rank_now)}" if zh
                         else f"KOC rank {fmt(rank_then)} -> {fmt(rank_now)}")
        parts.append(f"近 {days:g} 天活动 {act_now} 次（此前 {act_then} 次）" if zh
                     else f"{act_now} activities in the last {days:g} days ({act_then} before)")
        out.append(join(parts, lang))
    return np.asarray(out, dtype=object)


# ---------------------------------------------------------------------------------------------
# level transitions
# ---------------------------------------------------------------------------------------------
TRANSITIONS_SPEC = ResultSpec(
    "level_transitions",
    key=("level",),
    columns=(
        Col("level", "str", "", "the level (key)"),
        Col("level_name", "str", "", "the level's name"),
        Col("level_rank", "int", "rank", "0 = lowest"),
        Col("owners_then", "int", "owners", "owners at this level at the end of the earlier period"),
        Col("moved_up", "int", "owners", "of those, now at a higher level"),
        Col("held", "int", "owners", "of those, still at this level"),
        Col("held_by_grace", "int", "owners", "of those held, kept by the grace period"),
        Col("moved_down", "int", "owners", "of those, now at a lower level"),
        Col("arrived", "int", "owners", "owners now at this level who were at another level then"),
        Col("new", "int", "owners", "owners who joined in the current period and are at this level now"),
        Col("owners_now", "int", "owners", "owners at this level now"),
        Col("reason", "str", "", "the row in plain words"),
    ),
    sort=(("level_rank", False),),
    reason="reason",
    depends=("movement",),
    details=MovementDetails,
    description="Per level: owners then, moved up, held, moved down, arrived, new, owners now.",
)


@analysis(TRANSITIONS_SPEC)
def level_transitions(
    community: Any,
    *,
    period: str | int | pd.Timedelta = "30D",
    as_of: Any = None,
    grace_days: float = DEFAULT_GRACE_DAYS,
    grace_step_days: float = DEFAULT_GRACE_STEP_DAYS,
    thresholds: Sequence[Mapping[str, Any]] | None = None,
    points: Mapping[str, float] | None = None,
    half_life_days: float | None = 180,
    compare_circles: bool = True,
    quick_circles_then: bool = False,
    lang: str = "en",
) -> tuple[pd.DataFrame, MovementDetails]:
    """The level transition matrix, Orbit-style: per level, who moved up, held or moved down.

    Built on :func:`movement` (same options; grace rule applied to both periods).

    Parameters
    ----------
    community : Community
        The community snapshot.
    period, as_of, grace_days, grace_step_days, thresholds, points, half_life_days, compare_circles, quick_circles_then, lang
        As in :func:`movement` (``compare_circles`` and ``quick_circles_then`` only change the
        cost: levels need no circles).

    Returns
    -------
    table : DataFrame
        One row per level, highest first: ``level``; ``level_name``; ``level_rank``;
        ``owners_then``; ``moved_up``; ``held``; ``held_by_grace``; ``moved_down``; ``arrived``;
        ``new``; ``owners_now`` (all owners); ``reason``.  ``owners_then = moved_up + held +
        moved_down`` and ``owners_now = held + arrived + new`` on every row.
    details : MovementDetails
        With ``details=True``.

    Raises
    ------
    ConfigError
        As :func:`movement`.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(6)], "author_id": "a",
    ...                       "created_at": pd.date_range("2024-05-05", periods=6, freq="D")})
    >>> c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a", "b"],
    ...                            "joined_at": ["2024-01-01", "2024-01-01"]}), "posts": posts})
    >>> t = level_transitions(c, as_of="2024-05-31", half_life_days=None)
    >>> t.loc[t["level"] == "buyer", ["owners_then", "moved_up", "held", "owners_now"]].values.tolist()
    [[2, 1, 1, 1]]
    """
    lang = check_lang(lang)
    m, det = movement(community, period=period, as_of=as_of, grace_days=grace_days, grace_step_days=grace_step_days,
                      thresholds=thresholds, points=points, half_life_days=half_life_days,
                      compare_circles=compare_circles, quick_circles_then=quick_circles_then, lang=lang, details=True)
    keys, names = _ladder(thresholds, lang)
    zh = lang == "zh"
    rows = []
    for rank, (key, name) in enumerate(zip(keys, names)):
        then = m[m["level_then"] == key]
        now = m[m["level_now"] == key]
        r = {
            "level": key, "level_name": name, "level_rank": rank,
            "owners_then": len(then),
            "moved_up": int((then["direction"] == "up").sum()),
            "held": int((then["direction"] == "held").sum()),
            "held_by_grace": int(((then["direction"] == "held") & then["grace_hold"]).sum()),
            "moved_down": int((then["direction"] == "down").sum()),
            "arrived": int(now["direction"].isin(["up", "down"]).sum()),
            "new": int((now["direction"] == "new").sum()),
            "owners_now": len(now),
        }
        r["reason"] = (
            f"{name}：期初 {r['owners_then']} 人，升级 {r['moved_up']}，保持 {r['held']}（宽限期保留 {r['held_by_grace']}），"
            f"降级 {r['moved_down']}；新进入 {r['arrived']}，新车主 {r['new']}；现有 {r['owners_now']} 人" if zh else
            f"{name}: {r['owners_then']} then; {r['moved_up']} moved up, {r['held']} held ({r['held_by_grace']} by grace), "
            f"{r['moved_down']} moved down; {r['arrived']} arrived, {r['new']} new; {r['owners_now']} now"
        )
        rows.append(r)
    return pd.DataFrame(rows), det


# ---------------------------------------------------------------------------------------------
# rising stars
# ---------------------------------------------------------------------------------------------
RISING_SPEC = ResultSpec(
    "rising_stars",
    key=("owner_id",),
    columns=(
        Col("owner_id", "str", "", "the owner"),
        Col("koc_rank_then", "int", "rank", "KOC rank then (empty: no KOC score then)", nullable=True),
        Col("koc_rank_now", "int", "rank", "KOC rank now"),
        Col("koc_rank_gain", "int", "ranks", "places climbed (unscored then counts as tied last)"),
        Col("koc_score_now", "float", "0-100", "KOC score now"),
        Col("activity_now", "int", "activities", "own activities in the current period"),
        Col("engagers_now", "int", "owners", "distinct owners engaging with their posts in the current period"),
        Col("level_then", "str", "", "level then", nullable=True),
        Col("level_now", "str", "", "level now"),
        Col("reason", "str", "", "why they are listed"),
    ),
    sort=(("koc_rank_gain", False), ("koc_rank_now", True), ("owner_id", True)),
    reason="reason",
    depends=("movement",),
    details=MovementDetails,
    description="The largest KOC rank gains among owners active enough for the gain to be real.",
)


@analysis(RISING_SPEC)
def rising_stars(
    community: Any,
    *,
    period: str | int | pd.Timedelta = "30D",
    as_of: Any = None,
    grace_days: float = DEFAULT_GRACE_DAYS,
    min_activity: int = 3,
    min_engagers: int = 3,
    rising_top: int | None = None,
    koc_options: Mapping[str, Any] | None = None,
    compare_circles: bool = True,
    quick_circles_then: bool = False,
    top: int | None = None,
    lang: str = "en",
) -> tuple[pd.DataFrame, MovementDetails]:
    """Rising stars: the largest KOC rank gains with enough activity to be real.

    Listed: owners who now pass the KOC diversity gate, did at least ``min_activity`` things
    themselves in the current period, were engaged by at least ``min_engagers`` distinct owners
    in it, rank within the first ``rising_top`` KOCs and climbed (see the module docstring).
    ``grace_days`` only affects the level columns.

    Parameters
    ----------
    community : Community
        The community snapshot.
    period, as_of, grace_days, koc_options, compare_circles, quick_circles_then
        As in :func:`movement` (``compare_circles=False``: the earlier KOC ranks measure bridging
        with today's circles).
    min_activity : int, default 3
        Own activities (posts, interactions, events, referrals) needed in the current period.
    min_engagers : int, default 3
        Distinct owners engaging with their posts needed in the current period.
    rising_top : int, optional
        Only owners now ranked within this many KOCs (default: 2 % of the owners with a KOC
        score now, at least 100).
    top : int, optional
        Keep the first ``top`` rows.
    lang : {"en", "zh"}
        Language of ``reason``.

    Returns
    -------
    table : DataFrame
        Sorted by ``koc_rank_gain`` desc, ``koc_rank_now``, ``owner_id``: ``owner_id``;
        ``koc_rank_then`` (empty: unscored then); ``koc_rank_now``; ``koc_rank_gain`` (places);
        ``koc_score_now`` (0-100); ``activity_now`` (activities); ``engagers_now`` (owners);
        ``level_then``; ``level_now``; ``reason``.
    details : MovementDetails
        With ``details=True``.

    Raises
    ------
    ConfigError
        As :func:`movement`, or negative thresholds.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a", "b"]})})
    >>> len(rising_stars(c))
    0
    """
    lang = check_lang(lang)
    if min_activity < 0 or min_engagers < 0 or (rising_top is not None and rising_top < 1):
        raise ConfigError("min_activity and min_engagers must be >= 0 and rising_top >= 1")
    m, det = movement(community, period=period, as_of=as_of, grace_days=grace_days, koc_options=koc_options,
                      compare_circles=compare_circles, quick_circles_then=quick_circles_then, lang=lang, details=True)
    if rising_top is None:
        rising_top = max(100, int(np.ceil(0.02 * int(m["koc_rank_now"].notna().sum()))))
    ok = (m["qualified_now"] & (m["activity_now"] >= min_activity) & (m["engagers_now"] >= min_engagers)
          & m["koc_rank_now"].notna() & (m["koc_rank_gain"].fillna(0) > 0))
    ok &= m["koc_rank_now"].fillna(rising_top + 1) <= rising_top
    df = m[ok.to_numpy(bool)].copy()
    df = df.sort_values(["koc_rank_gain", "koc_rank_now", "owner_id"], ascending=[False, True, True], kind="mergesort")
    if top is not None:
        df = df.head(int(top))
    zh = lang == "zh"
    fmt = lambda v: ("未上榜" if zh else "unscored") if pd.isna(v) else f"{int(v):,}"  # noqa: E731
    days = det.period_days
    df["reason"] = [
        (f"KOC 排名 {fmt(r.koc_rank_then)} → {int(r.koc_rank_now):,}（上升 {int(r.koc_rank_gain):,} 位）；"
         f"近 {days:g} 天 {r.activity_now} 次活动，{r.engagers_now} 位车主互动" if zh else
         f"KOC rank {fmt(r.koc_rank_then)} -> {int(r.koc_rank_now):,} (up {int(r.koc_rank_gain):,}); "
         f"{r.activity_now} activities and {r.engagers_now} distinct engagers in the last {days:g} days")
        for r in df.itertuples(index=False)
    ]
    df["koc_rank_now"] = df["koc_rank_now"].astype("int64")
    df["koc_rank_gain"] = df["koc_rank_gain"].astype("int64")
    return df[[c.name for c in RISING_SPEC.columns]], det


# ---------------------------------------------------------------------------------------------
# drifting owners
# ---------------------------------------------------------------------------------------------
DRIFT_SPEC = ResultSpec(
    "drifting_owners",
    key=("owner_id",),
    columns=(
        Col("owner_id", "str", "", "the owner"),
        Col("level_then", "str", "", "level then"),
        Col("level_now", "str", "", "level now (grace rule applied)"),
        Col("contribution_then", "float", "points", "decayed contribution at the end of the earlier period"),
        Col("activity_then", "int", "activities", "own activities in the earlier period"),
        Col("activity_now", "int", "activities", "own activities in the current period"),
        Col("activity_drop", "float", "share 0-1", "1 - activity_now / activity_then"),
        Col("engagement_then", "int", "interactions", "engagement received in the earlier period"),
        Col("engagement_now", "int", "interactions", "engagement received in the current period"),
        Col("reason", "str", "", "why they are listed"),
    ),
    sort=(("contribution_then", False), ("activity_drop", False), ("owner_id", True)),
    reason="reason",
    depends=("movement",),
    details=MovementDetails,
    description="High past contribution, falling activity: who to reach out to before they lapse.",
)


@analysis(DRIFT_SPEC)
def drifting_owners(
    community: Any,
    *,
    period: str | int | pd.Timedelta = "30D",
    as_of: Any = None,
    grace_days: float = DEFAULT_GRACE_DAYS,
    contribution_quantile: float = 0.9,
    min_activity: int = 3,
    min_drop: float = 0.5,
    compare_circles: bool = True,
    top: int | None = None,
    lang: str = "en",
) -> tuple[pd.DataFrame, MovementDetails]:
    """Drifting owners: high past contribution, falling activity.

    Listed: non-staff owners whose contribution at the end of the earlier period was at least
    the ``contribution_quantile`` quantile of the positive contributions then ("high past
    contribution"), who did at least ``min_activity`` things in the earlier period and whose
    activity fell by at least ``min_drop`` (share) in the current one.  Their level usually
    has not dropped yet (the grace period and the slow decay keep it): this is the list to
    reach out to before it does.

    Parameters
    ----------
    community : Community
        The community snapshot.
    period, as_of, grace_days, compare_circles
        As in :func:`movement` (``grace_days`` only affects ``level_now``; ``compare_circles``
        only the cost: the list needs no circles).
    contribution_quantile : float, default 0.9
        Quantile (0-1) of positive contributions then that counts as "high".
    min_activity : int, default 3
        Activities needed in the earlier period.
    min_drop : float, default 0.5
        Minimum fall of activity, as a share of the earlier period's (1 = stopped entirely).
    top : int, optional
        Keep the first ``top`` rows.
    lang : {"en", "zh"}
        Language of ``reason``.

    Returns
    -------
    table : DataFrame
        Sorted by ``contribution_then`` desc, ``activity_drop`` desc, ``owner_id``:
        ``owner_id``; ``level_then``; ``level_now``; ``contribution_then`` (points);
        ``activity_then``, ``activity_now`` (activities); ``activity_drop`` (share 0-1);
        ``engagement_then``, ``engagement_now`` (interactions received); ``reason``.
    details : MovementDetails
        With ``details=True``.

    Raises
    ------
    ConfigError
        As :func:`movement`, or thresholds out of range.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a", "b"]})})
    >>> len(drifting_owners(c))
    0
    """
    lang = check_lang(lang)
    if not 0 <= contribution_quantile <= 1 or not 0 < min_drop <= 1 or min_activity < 1:
        raise ConfigError("contribution_quantile must be in [0, 1], min_drop in (0, 1] and min_activity >= 1")
    # the columns below come from movement's shared core (levels, contributions, activity), not
    # from the whole movement table: KOC ranks, circles and the per-owner texts are not needed
    core = _core(community, period=period, as_of=as_of, grace_days=grace_days,
                 grace_step_days=DEFAULT_GRACE_STEP_DAYS, thresholds=None, points=None, half_life_days=180)
    m, det = _drift_frame(core, grace_days=grace_days, lang=lang)
    m = m[m["direction"] != "new"]
    pos = m["contribution_then"].fillna(0.0)
    high = float(np.quantile(pos[pos > 0], contribution_quantile)) if (pos > 0).any() else np.inf
    drop = 1.0 - m["activity_now"] / m["activity_then"].where(m["activity_then"] > 0)
    ok = (pos >= high) & (pos > 0) & (m["activity_then"] >= min_activity) & (drop.fillna(0.0) >= min_drop - 1e-9)
    df = m[ok.to_numpy(bool)].copy()
    df["activity_drop"] = np.round(drop[ok.to_numpy(bool)].astype(float), 4)
    df["level_then"] = df["level_then"].astype(object)
    df = df.sort_values(["contribution_then", "activity_drop", "owner_id"], ascending=[False, False, True],
                        kind="mergesort")
    if top is not None:
        df = df.head(int(top))
    zh = lang == "zh"
    days = det.period_days
    df["reason"] = [
        (f"期初贡献 {r.contribution_then:,.0f} 分（前 {100 * (1 - contribution_quantile):g}%）；活动 {r.activity_then} → "
         f"{r.activity_now} 次（下降 {100 * r.activity_drop:.0f}%）；收到互动 {r.engagement_then} → {r.engagement_now}" if zh else
         f"{r.contribution_then:,.0f} points then (top {100 * (1 - contribution_quantile):g}%); activities "
         f"{r.activity_then} -> {r.activity_now} in {days:g} days (down {100 * r.activity_drop:.0f}%); "
         f"engagement received {r.engagement_then} -> {r.engagement_now}")
        for r in df.itertuples(index=False)
    ]
    df["contribution_then"] = df["contribution_then"].astype(float)
    return df[[c.name for c in DRIFT_SPEC.columns]], det



def _drift_frame(core: dict[str, Any], *, grace_days: float, lang: str) -> tuple[pd.DataFrame, MovementDetails]:
    """The columns of :func:`movement` that :func:`drifting_owners` reads (the same values, in
    owner order), and movement's details, from the shared core."""
    keys, _ = _ladder(None, lang)
    keys_a = np.asarray(keys, dtype=object)
    unknown_then, held_now, raw_now = core["unknown_then"], core["held_now"], core["raw_now"]
    df = pd.DataFrame({
        "owner_id": pd.Series(core["ids"], dtype=object).astype(str).to_numpy(),
        "direction": core["direction"],
        "level_then": pd.Series(keys_a[np.maximum(core["held_then"], 0)], dtype=object).mask(unknown_then),
        "level_now": keys_a[held_now],
        "contribution_then": pd.Series(np.round(core["contrib_then"], 2)).mask(unknown_then),
        "activity_then": core["a_then"]["activity"].astype(np.int64),
        "activity_now": core["a_now"]["activity"].astype(np.int64),
        "engagement_then": core["a_then"]["engagement"].astype(np.int64),
        "engagement_now": core["a_now"]["engagement"].astype(np.int64),
    })
    det = _details(len(df), int((raw_now < held_now).sum()), core["direction"], core["then_start"], core["then_end"],
                   core["now_start"], core["now_end"], core["td"], grace_days, DEFAULT_GRACE_STEP_DAYS,
                   core["checkpoints"], lang)
    return df, det

# ---------------------------------------------------------------------------------------------
# new owners' first days
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CohortDetails:
    """The window behind a cohort table: ``as_of``, ``first_days`` and the months covered."""

    as_of: pd.Timestamp
    first_days: float
    months: int
    owners: int


COHORT_SPEC = ResultSpec(
    "new_owner_cohort",
    key=("cohort",),
    columns=(
        Col("cohort", "str", "", "join month (YYYY-MM)"),
        Col("owners", "int", "owners", "non-staff owners who joined that month"),
        Col("complete", "bool", "", "every owner of the cohort has had the full first_days by as_of"),
        Col("posted", "int", "owners", "wrote at least one post in their first days"),
        Col("engaged", "int", "owners", "liked, commented, shared ... at least once in their first days"),
        Col("attended", "int", "owners", "attended (checked in) at least one event in their first days"),
        Col("referred", "int", "owners", "referred at least one friend in their first days"),
        Col("any_activity", "int", "owners", "did any of the above"),
        Col("posted_share", "float", "share 0-1", "posted / owners"),
        Col("attended_share", "float", "share 0-1", "attended / owners"),
        Col("referred_share", "float", "share 0-1", "referred / owners"),
        Col("active_share", "float", "share 0-1", "any_activity / owners"),
        Col("reason", "str", "", "the cohort in plain words"),
    ),
    sort=(("cohort", False),),
    reason="reason",
    details=CohortDetails,
    description="New owners by join month: how many posted, engaged, attended and referred in their first days.",
)


@analysis(COHORT_SPEC)
def new_owner_cohort(
    community: Any,
    *,
    as_of: Any = None,
    months: int = 6,
    first_days: float = 90,
    lang: str = "en",
) -> tuple[pd.DataFrame, CohortDetails]:
    """New owners' first days, by join month: how many posted, engaged, attended and referred.

    Each non-staff owner who joined in the last ``months`` calendar months up to ``as_of``
    (the current month included) is followed from ``joined_at`` for ``first_days`` days (or up
    to ``as_of`` if sooner: ``complete`` says whether the whole cohort has had its full window).

    Parameters
    ----------
    community : Community
        The community snapshot.
    as_of : date, optional
        Default ``community.as_of``.
    months : int, default 6
        Join months covered.
    first_days : float, default 90
        Length of each owner's first window, in days.
    lang : {"en", "zh"}
        Language of ``reason``.

    Returns
    -------
    table : DataFrame
        One row per join month, newest first: ``cohort`` (YYYY-MM); ``owners``; ``complete``;
        ``posted``, ``engaged``, ``attended``, ``referred``, ``any_activity`` (owners);
        ``posted_share``, ``attended_share``, ``referred_share``, ``active_share`` (0-1);
        ``reason``.
    details : CohortDetails
        With ``details=True``.

    Raises
    ------
    ConfigError
        Bad date, months or first_days, or ``lang``.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> owners = pd.DataFrame({"owner_id": ["a", "b"], "joined_at": ["2024-05-02", "2024-05-20"]})
    >>> posts = pd.DataFrame({"post_id": ["p"], "author_id": ["a"], "created_at": ["2024-05-10"]})
    >>> c = Community.from_frames({"owners": owners, "posts": posts})
    >>> new_owner_cohort(c, as_of="2024-05-31", months=1)[["cohort", "owners", "posted"]].values.tolist()
    [['2024-05', 2, 1]]
    """
    from graphcrm.algorithms.levels import ACTIVITY_KINDS, activity_log, kind_codes

    lang = check_lang(lang)
    if int(months) < 1 or not float(first_days) > 0:
        raise ConfigError("months must be >= 1 and first_days positive")
    end = _as_of(community, as_of)
    first = (end.to_period("M") - (int(months) - 1)).to_timestamp()
    o = community.owners
    joined = pd.to_datetime(o["joined_at"])
    sel = (joined >= first) & (joined <= end) & ~o["is_staff"].astype(bool)
    sel = sel.fillna(False).to_numpy(bool)
    pos = np.flatnonzero(sel)
    j = joined.to_numpy()[pos]
    log = activity_log(community)
    n = len(community.owner_ids)
    jmap = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    jmap[pos] = j
    lp = log["pos"].to_numpy(np.int64)
    at = log["at"].to_numpy()
    jj = jmap[lp]
    within = ~np.isnat(jj) & (at >= jj) & (at <= jj + np.timedelta64(int(float(first_days) * 86400), "s")) & (at <= np.datetime64(end))
    lp, kind = lp[within], kind_codes(log)[within]

    def did(k: str | None) -> np.ndarray:
        hit = np.zeros(n, bool)
        hit[lp if k is None else lp[kind == ACTIVITY_KINDS.index(k)]] = True
        return hit[pos]

    frame = pd.DataFrame({
        "cohort": pd.Series(j).dt.strftime("%Y-%m").to_numpy(),
        "posted": did("post"), "engaged": did("interaction"), "attended": did("event"),
        "referred": did("referral"), "any_activity": did(None),
        "full": (j + np.timedelta64(int(float(first_days) * 86400), "s")) <= np.datetime64(end),
    })
    months_all = [p.strftime("%Y-%m") for p in pd.period_range(first, end, freq="M")]
    g = frame.groupby("cohort").agg(owners=("posted", "size"), posted=("posted", "sum"), engaged=("engaged", "sum"),
                                    attended=("attended", "sum"), referred=("referred", "sum"),
                                    any_activity=("any_activity", "sum"), complete=("full", "all"))
    g = g.reindex(months_all)
    g["complete"] = g["complete"].astype(object).where(g["complete"].notna(), False).astype(bool)
    g = g.fillna(0)
    for c in ("owners", "posted", "engaged", "attended", "referred", "any_activity"):
        g[c] = g[c].astype(np.int64)
    den = g["owners"].where(g["owners"] > 0)
    for c, src in (("posted_share", "posted"), ("attended_share", "attended"), ("referred_share", "referred"),
                   ("active_share", "any_activity")):
        g[c] = (g[src] / den).fillna(0.0).round(4)
    g = g.reset_index().rename(columns={"index": "cohort"})
    zh = lang == "zh"
    fd = float(first_days)
    g["reason"] = [
        (f"{r.cohort} 加入 {r.owners} 人：前 {fd:g} 天发帖 {r.posted}，互动 {r.engaged}，参加活动 {r.attended}，推荐 {r.referred}"
         + ("" if r.complete else "（未满期）") if zh else
         f"{r.owners} joined in {r.cohort}: in their first {fd:g} days {r.posted} posted, {r.engaged} engaged, "
         f"{r.attended} attended, {r.referred} referred" + ("" if r.complete else " (window still open)"))
        for r in g.itertuples(index=False)
    ]
    det = CohortDetails(as_of=end, first_days=fd, months=int(months), owners=int(len(pos)))
    return g, det
