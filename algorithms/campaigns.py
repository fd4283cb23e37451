"""Campaigns: who was treated, who was held out, and what the program changed.

A campaign is a program run (``ambassador``, ``volunteer_invite``, ``referral_reward``,
``reactivation`` or a user's own) starting on a date for a window of days.  Two steps:

1. :func:`plan_campaign` takes the program's eligible targets (from
   :func:`graphcrm.algorithms.targeting.targets`, or a frame you give: staff and opted-out owners
   are removed either way) and splits them into a **treated** group (contacted) and a **control**
   group (never contacted):

   * every program but ``ambassador``: a seeded random share ``holdout`` of the eligible targets
     is the control (a randomised experiment: the groups differ only by chance);
   * ``ambassador``: the picks are all treated (holding out the best seeds would waste them), and
     the control is a **matched set** - for each pick, ``matches`` eligible owners who were *not*
     picked with the nearest *one-hop audience* (distinct owners linked to them before the start
     in the neighbour graph below, compared on ``log1p``; ties broken by a seeded random order;
     each owner used once).  The audience is the reach a pick has before any cascade, the part of
     the ambassador search's predicted reach that can be measured for every owner.  Matching
     balances that one number only: the picks may still differ from their matches in ways the
     search saw (that is why they were picked), so an ambassador lift is an upper-leaning
     estimate, and the plan's ``balance`` says how close the matches are.

2. :func:`campaign_lift` (also :func:`evaluate`) compares the groups after the window, per
   member, on :data:`OUTCOMES`, and does the same for their **graph neighbours** (owners one hop
   from a treated member vs one hop from a control member, before the start; members themselves,
   staff, and owners adjacent to both groups are left out), which measures spillover - how word
   of mouth pays.

The neighbour graph (undirected, activity strictly before the campaign's start): an interaction
links the engager and the post's author; a referral links referrer and referee; with
``"coattendance"`` in ``neighbour_layers``, checked-in owners of the same event of at most 30
checked-in attendees are linked too.

Outcomes (counted in ``[start, start + window_days)``; per member):

======================  ==================================================================
outcome                 what is counted
======================  ==================================================================
referrals_made          referrals the owner made (any stage)
referrals_converted     of those, the ones now at a converted stage (order, delivered)
events_attended         events attended (checked in, any role)
events_led              events organised, hosted or volunteered at (checked in)
posts                   posts written
engagement_received     interactions by other owners on the owner's posts
engagement_given        interactions the owner made on other owners' posts
level_change            level rank at the window's end minus at the start (see
                        :func:`graphcrm.algorithms.levels.owner_levels`, default ladder and
                        half-life, recomputed on the data up to each date)
======================  ==================================================================

The lift of an outcome is the difference in means (treated minus control).  Its interval:

* members - a percentile bootstrap (owners resampled with replacement within each group,
  ``bootstrap`` resamples, seeded), or with ``bootstrap=0`` a normal interval from Welch's
  standard error;
* neighbours - a randomisation interval: the hold-out is re-drawn ``bootstrap`` times (1,000
  when 0; for ambassadors each pick swaps places with its own matched controls only), both
  neighbour sides are rebuilt, and the interval is the difference minus the central
  ``confidence`` range of those chance differences.  Neighbours of one member, and members
  sharing neighbours, are not independent owners: resampling neighbours (or even members) as if
  they were gave intervals too narrow - a placebo on the demo called 20% of neighbour outcomes
  an effect with them, 7% with re-drawn hold-outs (5% is the nominal rate; docs/validation.md).

Verdicts: fewer than ``min_group`` owners in a group - "too small to tell"; an interval that
spans zero - "no measurable effect"; otherwise "higher" or "lower".
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from graphcrm.arrays import unique_sorted
from graphcrm.contract import CONVERTED_STAGES
from graphcrm.errors import ConfigError
from graphcrm.i18n import check_lang
from graphcrm.results import Col, ResultSpec, analysis

#: the programs of graphcrm.algorithms.targeting (a campaign may also name a program of its own)
PROGRAMS: tuple[str, ...] = ("ambassador", "volunteer_invite", "referral_reward", "reactivation")
OUTCOMES: tuple[str, ...] = ("referrals_made", "referrals_converted", "events_attended", "events_led", "posts",
                             "engagement_received", "engagement_given", "level_change")
SCOPES: tuple[str, ...] = ("members", "neighbours")
NEIGHBOUR_LAYERS: tuple[str, ...] = ("interactions", "referrals", "coattendance")
_LED_ROLES = ("organizer", "host", "volunteer")
_COATTENDANCE_MAX = 30
_OUTCOME_TEXT = {
    "referrals_made": ("referrals made", "推荐数"),
    "referrals_converted": ("converted referrals", "成交推荐数"),
    "events_attended": ("events attended", "参加活动数"),
    "events_led": ("events led", "组织/志愿活动数"),
    "posts": ("posts", "发帖数"),
    "engagement_received": ("engagement received", "收到互动数"),
    "engagement_given": ("engagement given", "发出互动数"),
    "level_change": ("level change", "等级变化"),
}


# ---------------------------------------------------------------------------------------------
# the campaign
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Campaign:
    """One recorded campaign.

    Attributes
    ----------
    name : str
        Its name (the key in the store).
    program : str
        ``ambassador``, ``volunteer_invite``, ``referral_reward``, ``reactivation`` or your own.
    start : pandas.Timestamp
        First moment of the campaign.
    window_days : int
        Days after ``start`` over which outcomes are counted.
    created_at : pandas.Timestamp
        When it was planned.
    options : str
        JSON text of the planning options (holdout, seed, matches, ...).
    """

    name: str
    program: str
    start: pd.Timestamp
    window_days: int
    created_at: pd.Timestamp
    options: str = "{}"

    @property
    def end(self) -> pd.Timestamp:
        """The end of the window (exclusive)."""
        return self.start + pd.Timedelta(days=int(self.window_days))

    def to_record(self) -> dict[str, Any]:
        """The mapping :meth:`graphcrm.stores.base.Store.write_campaign` takes."""
        return {"name": self.name, "program": self.program, "start": self.start, "window_days": int(self.window_days),
                "created_at": self.created_at, "options": self.options}

    @classmethod
    def from_record(cls, rec: Mapping[str, Any]) -> "Campaign":
        """A campaign from a row of :meth:`graphcrm.stores.base.Store.campaigns`."""
        return cls(name=str(rec["name"]), program=str(rec["program"]), start=pd.Timestamp(rec["start"]),
                   window_days=int(rec["window_days"]), created_at=pd.Timestamp(rec["created_at"]),
                   options=str(rec.get("options") or "{}"))


@dataclass(frozen=True)
class CampaignPlan:
    """What :func:`plan_campaign` returns.

    Attributes
    ----------
    campaign : Campaign
    members : DataFrame
        One row per member: ``owner_id``; ``group`` (``treated`` or ``control``); ``matched_to``
        (ambassadors: the pick a control stands in for; else missing); ``priority`` (the
        program's order, missing for matched controls); ``expected_impact`` (the program's
        impact column, missing where none); ``audience`` (distinct one-hop neighbours before
        the start, owners).  Treated first, by priority.
    balance : float or None
        Ambassadors: mean absolute difference in ``log1p(audience)`` between a pick and its
        match (0 = identical audiences); None for random hold-outs.
    notes : tuple of str
        What was dropped and why (staff, opted out, unknown owners, too few to match).
    """

    campaign: Campaign
    members: pd.DataFrame
    balance: float | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def treated(self) -> pd.DataFrame:
        """The members to contact: the only rows that may be exported to a CRM."""
        return self.members[self.members["group"] == "treated"].reset_index(drop=True)

    @property
    def control(self) -> pd.DataFrame:
        """The hold-out: recorded, never contacted."""
        return self.members[self.members["group"] == "control"].reset_index(drop=True)


def _ts(value: Any, what: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what}={value!r} is not a date (use YYYY-MM-DD)") from None
    if pd.isna(ts):
        raise ConfigError(f"{what} is missing")
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts


# ---------------------------------------------------------------------------------------------
# the neighbour graph (undirected, before a date)
# ---------------------------------------------------------------------------------------------
def neighbour_edges(community: Any, *, before: Any = None,
                    layers: Iterable[str] = ("interactions", "referrals")) -> np.ndarray:
    """Undirected owner-owner links from activity strictly before ``before`` (all if None).

    Parameters
    ----------
    community : Community
    before : date, optional
    layers : iterable of {"interactions", "referrals", "coattendance"}
        Interactions link engager and author, referrals referrer and referee, co-attendance
        checked-in owners of one event of at most 30 checked-in attendees.

    Returns
    -------
    ndarray of shape (m, 2), int64
        Owner positions (in ``community.owner_ids``), each link once with ``a < b``; no self links.

    Raises
    ------
    ConfigError
        An unknown layer.
    """
    layers = list(layers)
    bad = sorted(set(layers) - set(NEIGHBOUR_LAYERS))
    if bad or not layers:
        raise ConfigError(f"neighbour layers must be some of {', '.join(NEIGHBOUR_LAYERS)}, got {layers}")
    t = community.tables
    cut = None if before is None else _ts(before, "before")
    idx = community.index_of
    parts = []

    def early(s: pd.Series) -> np.ndarray:
        return np.ones(len(s), dtype=bool) if cut is None else (s < cut).fillna(False).to_numpy(dtype=bool)

    if "interactions" in layers and len(t["interactions"]):
        it = t["interactions"][early(t["interactions"]["created_at"])]
        author = it["post_id"].map(t["posts"].set_index("post_id")["author_id"])
        parts.append(np.column_stack([idx(it["owner_id"]), idx(author.astype(object).fillna(""))]))
    if "referrals" in layers and len(t["referrals"]):
        r = t["referrals"][early(t["referrals"]["referred_at"])]
        parts.append(np.column_stack([idx(r["referrer_id"]), idx(r["referee_id"])]))
    if "coattendance" in layers and len(t["attendance"]):
        ev = t["events"][early(t["events"]["starts_at"])]["event_id"]
        a = t["attendance"]
        a = a[a["checked_in"].astype(bool).to_numpy() & a["event_id"].isin(ev).to_numpy()]
        size = a.groupby("event_id")["owner_id"].transform("size")
        a = a[(size <= _COATTENDANCE_MAX).to_numpy()]
        if len(a):
            pairs = a[["event_id", "owner_id"]].merge(a[["event_id", "owner_id"]], on="event_id")
            parts.append(np.column_stack([idx(pairs["owner_id_x"]), idx(pairs["owner_id_y"])]))
    if not parts:
        return np.empty((0, 2), dtype=np.int64)
    e = np.concatenate(parts).astype(np.int64)
    e = e[(e[:, 0] >= 0) & (e[:, 1] >= 0) & (e[:, 0] != e[:, 1])]
    e = np.sort(e, axis=1)
    if not len(e):
        return e
    n = np.int64(max(len(community.owner_ids), 1))
    code = unique_sorted(e[:, 0] * n + e[:, 1])  # one int per link: far faster than unique rows
    return np.column_stack([code // n, code % n])


def _adjacent(edges: np.ndarray, n: int, members: np.ndarray) -> np.ndarray:
    """Boolean mask over owners: one hop from any position in ``members``."""
    inset = np.zeros(n, dtype=bool)
    inset[members] = True
    out = np.zeros(n, dtype=bool)
    if len(edges):
        out[edges[inset[edges[:, 0]], 1]] = True
        out[edges[inset[edges[:, 1]], 0]] = True
    return out


def _audience(edges: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(edges.ravel(), minlength=n).astype(float) if len(edges) else np.zeros(n)


# ---------------------------------------------------------------------------------------------
# planning
# ---------------------------------------------------------------------------------------------
def plan_campaign(
    community: Any,
    *,
    name: str,
    program: str,
    start: Any = None,
    window_days: int = 30,
    holdout: float = 0.1,
    seed: int = 0,
    targets_frame: pd.DataFrame | None = None,
    matches: int = 1,
    neighbour_layers: Iterable[str] = ("interactions", "referrals"),
    created_at: Any = None,
    target_options: Mapping[str, Any] | None = None,
) -> CampaignPlan:
    """Split a program's eligible targets into treated and a never-contacted control group.

    Parameters
    ----------
    community : Community
        The community at planning time.
    name : str
        The campaign name.
    program : str
        One of :data:`PROGRAMS` or your own (then ``targets_frame`` is required).
    start : date, optional
        First day of the campaign; default the day after the community's latest data.
    window_days : int, default 30
        Days over which :func:`campaign_lift` will count outcomes.
    holdout : float, default 0.1
        Share of the eligible targets kept as the control (0 <= holdout < 1), drawn at random with
        ``seed``.  Ambassadors: any share above 0 records ``matches`` matched controls per pick
        (see the module docstring); 0 records no control.
    seed : int, default 0
        Seed of the draw (same seed and targets, same groups, whatever their input order).
    targets_frame : DataFrame, optional
        The targets (an ``owner_id`` column; ``priority`` and ``expected_impact`` kept when
        present; rows of other programs dropped when there is a ``program`` column).  Default:
        :func:`graphcrm.algorithms.targeting.targets` for ``program`` with ``target_options``.
    matches : int, default 1
        Ambassadors: matched controls per pick.
    neighbour_layers : iterable of str
        The neighbour graph for the audience (see :func:`neighbour_edges`).
    created_at : date, optional
        Default: now.
    target_options : mapping, optional
        Options for ``targets`` (e.g. ``{"reactivation_k": 500}``).

    Returns
    -------
    CampaignPlan
        The campaign and its members (``owner_id``, ``group``, ``matched_to``, ``priority``,
        ``expected_impact``, ``audience`` - see :class:`CampaignPlan`).

    Raises
    ------
    ConfigError
        A bad option, a user program without ``targets_frame``, no eligible targets.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> c = Community.from_frames({"owners": pd.DataFrame({"owner_id": [f"o{i}" for i in range(20)]})})
    >>> plan = plan_campaign(c, name="test", program="my_program", start="2026-01-01", holdout=0.25,
    ...                      targets_frame=pd.DataFrame({"owner_id": [f"o{i}" for i in range(20)]}))
    >>> plan.members["group"].value_counts().to_dict()
    {'treated': 15, 'control': 5}
    """
    if not isinstance(name, str) or not name.strip():
        raise ConfigError("a campaign needs a name")
    if not isinstance(program, str) or not program.strip():
        raise ConfigError("a campaign needs a program")
    if not (isinstance(holdout, (int, float)) and 0 <= holdout < 1):
        raise ConfigError(f"holdout must be a share 0 <= holdout < 1, got {holdout!r}")
    if not isinstance(window_days, (int, np.integer)) or window_days < 1:
        raise ConfigError(f"window_days must be a whole number >= 1, got {window_days!r}")
    if not isinstance(matches, (int, np.integer)) or matches < 1:
        raise ConfigError(f"matches must be a whole number >= 1, got {matches!r}")
    layers = tuple(neighbour_layers)
    start_ts = (_ts(start, "start") if start is not None
                else pd.Timestamp(community.as_of).normalize() + pd.Timedelta(days=1))
    created = _ts(created_at, "created_at") if created_at is not None else pd.Timestamp.now().floor("s")
    notes: list[str] = []
    given = targets_frame is not None
    if targets_frame is None:
        if program not in PROGRAMS:
            raise ConfigError(f"program {program!r} is not one of {', '.join(PROGRAMS)}: give its targets "
                              f"(targets_frame, or --targets FILE)")
        from graphcrm.algorithms.targeting import targets  # noqa: PLC0415

        targets_frame = targets(community, programs=[program], seed=seed, **dict(target_options or {}))
    tf, pos = _eligible_targets(community, targets_frame, name=name, program=program, notes=notes)
    eligible = community.eligible()
    priority = (pd.to_numeric(tf["priority"], errors="coerce") if "priority" in tf.columns
                else pd.Series(np.arange(1, len(tf) + 1), dtype=float))
    impact = (pd.to_numeric(tf["expected_impact"], errors="coerce") if "expected_impact" in tf.columns
              else pd.Series(np.nan, index=tf.index))
    n = len(community.owner_ids)
    audience = _audience(neighbour_edges(community, before=start_ts, layers=layers), n)
    rng = np.random.default_rng(seed)
    base = pd.DataFrame({"owner_id": tf["owner_id"].to_numpy(dtype=object), "matched_to": None,
                         "priority": priority.to_numpy(dtype=float), "expected_impact": impact.to_numpy(dtype=float),
                         "audience": audience[pos]})
    balance = None
    if program == "ambassador":
        base["group"] = "treated"
        controls, balance = ([], None) if holdout <= 0 else _matched_controls(
            community, base, pos, eligible, audience, matches=int(matches), rng=rng, notes=notes)
        members = pd.concat([base, pd.DataFrame(controls, columns=list(base.columns))], ignore_index=True) \
            if controls else base
    else:
        base["group"] = _random_holdout(base["owner_id"].to_numpy(dtype=object), holdout, rng)
        members = base
    members = members.assign(_g=(members["group"] != "treated").astype(int))
    members = members.sort_values(["_g", "priority", "owner_id"], kind="stable", na_position="last")
    members = members.drop(columns="_g").reset_index(drop=True)
    members["priority"] = members["priority"].astype("Float64").round().astype("Int64")
    members["matched_to"] = members["matched_to"].astype(object).where(members["matched_to"].notna(), None)
    members = members[["owner_id", "group", "matched_to", "priority", "expected_impact", "audience"]]
    options = json.dumps({"holdout": holdout, "seed": seed, "matches": matches, "neighbour_layers": list(layers),
                          "targets": "given" if given else "targets()",
                          **({"target_options": dict(target_options)} if target_options else {})},
                         sort_keys=True, default=str)
    camp = Campaign(name=name, program=program, start=start_ts, window_days=int(window_days),
                    created_at=created, options=options)
    return CampaignPlan(campaign=camp, members=members, balance=balance, notes=tuple(notes))


def _eligible_targets(community: Any, targets_frame: pd.DataFrame, *, name: str, program: str,
                      notes: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The program's rows of ``targets_frame``, one per owner, that are eligible owners of the
    community (unknown, staff and opted-out ones dropped with a note), and their positions.

    Raises
    ------
    ConfigError
        No ``owner_id`` column, or no eligible target left.
    """
    if "owner_id" not in targets_frame.columns:
        raise ConfigError("the targets need an owner_id column")
    tf = targets_frame
    if "program" in tf.columns and program in set(tf["program"].astype(str)):
        tf = tf[tf["program"].astype(str).to_numpy() == program]
    tf = tf.assign(owner_id=tf["owner_id"].astype(str)).drop_duplicates("owner_id")
    pos = community.index_of(tf["owner_id"])
    if (pos < 0).any():
        notes.append(f"{int((pos < 0).sum())} target(s) are not owners of this community and were dropped")
    eligible = community.eligible()
    ok = pos >= 0
    blocked = ok & ~eligible[np.where(ok, pos, 0)]
    if blocked.any():
        notes.append(f"{int(blocked.sum())} staff or opted-out target(s) dropped (never contacted, never a control)")
    keep = ok & ~blocked
    tf, pos = tf[keep].reset_index(drop=True), pos[keep]
    if not len(tf):
        raise ConfigError(f"campaign {name!r}: no eligible targets for program {program!r}")
    return tf, pos


def _matched_controls(community: Any, base: pd.DataFrame, pos: np.ndarray, eligible: np.ndarray,
                      audience: np.ndarray, *, matches: int, rng: np.random.Generator,
                      notes: list[str]) -> tuple[list[dict], float | None]:
    """``matches`` controls per pick, in priority order: the free eligible non-pick whose
    one-hop audience is nearest on a log scale (ties broken by a seeded order).  Returns the
    control rows and the mean |log gap| (None without controls)."""
    n = len(community.owner_ids)
    taken = np.zeros(n, dtype=bool)
    taken[pos] = True
    cand = np.flatnonzero(eligible & ~taken)
    cand = cand[rng.permutation(len(cand))]  # seeded tie-break: the first nearest in this order
    la = np.log1p(audience)
    free = np.ones(len(cand), dtype=bool)
    gaps: list[float] = []
    controls: list[dict] = []
    order = np.argsort(base["priority"].to_numpy(), kind="stable")
    for i in order:
        for _ in range(matches):
            if not free.any():
                break
            d = np.abs(la[cand] - la[pos[i]])
            d[~free] = np.inf
            j = int(np.argmin(d))
            free[j] = False
            gaps.append(float(d[j]))
            controls.append({"owner_id": str(community.owner_ids[cand[j]]), "group": "control",
                             "matched_to": base["owner_id"].iloc[i], "priority": np.nan,
                             "expected_impact": np.nan, "audience": audience[cand[j]]})
    if len(controls) < len(base) * matches:
        notes.append(f"only {len(controls)} matched control(s) for {len(base)} pick(s): too few other "
                     f"eligible owners")
    return controls, (float(np.mean(gaps)) if gaps else None)


def _random_holdout(ids: np.ndarray, holdout: float, rng: np.random.Generator) -> np.ndarray:
    """``"control"`` for a seeded random ``holdout`` share of ``ids`` (the draw does not depend
    on their order), ``"treated"`` for the rest."""
    order = np.argsort(ids, kind="stable")
    n_control = int(round(holdout * len(ids)))
    control = np.zeros(len(ids), dtype=bool)
    if n_control:
        control[order[rng.permutation(len(ids))[:n_control]]] = True
    return np.where(control, "control", "treated")


# ---------------------------------------------------------------------------------------------
# outcomes and lift
# ---------------------------------------------------------------------------------------------
def outcome_counts(community: Any, start: Any, end: Any, *, outcomes: Iterable[str] = OUTCOMES) -> pd.DataFrame:
    """Each owner's outcomes in ``[start, end)`` (see the module docstring), in owner order.

    Returns
    -------
    DataFrame
        ``owner_id`` then one float column per outcome (counts; ``level_change`` in level steps).

    Raises
    ------
    ConfigError
        An unknown outcome.
    """
    outcomes = list(outcomes)
    bad = sorted(set(outcomes) - set(OUTCOMES))
    if bad:
        raise ConfigError(f"unknown outcome(s) {', '.join(bad)}; choose from {', '.join(OUTCOMES)}")
    lo, hi = _ts(start, "start"), _ts(end, "end")
    t = community.tables
    n = len(community.owner_ids)
    idx = community.index_of

    def within(s: pd.Series) -> np.ndarray:
        return ((s >= lo) & (s < hi)).fillna(False).to_numpy(dtype=bool)

    def count(ids: pd.Series) -> np.ndarray:
        p = idx(ids)
        return np.bincount(p[p >= 0], minlength=n).astype(float)

    out = pd.DataFrame({"owner_id": np.asarray(community.owner_ids, dtype=object)})
    r = t["referrals"][within(t["referrals"]["referred_at"])]
    a = t["attendance"].merge(t["events"][["event_id", "starts_at"]], on="event_id")
    a = a[within(a["starts_at"]) & a["checked_in"].astype(bool).to_numpy()]
    p = t["posts"][within(t["posts"]["created_at"])]
    it = t["interactions"][within(t["interactions"]["created_at"])]
    author = it["post_id"].map(t["posts"].set_index("post_id")["author_id"]).astype(object)
    others = (author.to_numpy() != it["owner_id"].to_numpy())
    for o in outcomes:
        if o == "referrals_made":
            out[o] = count(r["referrer_id"])
        elif o == "referrals_converted":
            out[o] = count(r["referrer_id"][r["stage"].isin(CONVERTED_STAGES).to_numpy()])
        elif o == "events_attended":
            out[o] = count(a["owner_id"])
        elif o == "events_led":
            out[o] = count(a["owner_id"][a["role"].isin(_LED_ROLES).to_numpy()])
        elif o == "posts":
            out[o] = count(p["author_id"])
        elif o == "engagement_received":
            out[o] = count(author[others].fillna(""))
        elif o == "engagement_given":
            out[o] = count(it["owner_id"][others])
        elif o == "level_change":
            out[o] = _level_rank(community, hi) - _level_rank(community, lo)
    return out


def _level_rank(community: Any, at: pd.Timestamp) -> np.ndarray:
    """Level rank of every owner on the data up to ``at`` (exclusive; 0 where not ranked)."""
    from graphcrm.algorithms.levels import owner_levels  # noqa: PLC0415
    from graphcrm.community import Community  # noqa: PLC0415

    snap = Community(community.tables, until=at - pd.Timedelta(microseconds=1))
    lv = owner_levels(snap)
    ranks = pd.Series(lv["level_rank"].to_numpy(dtype=float), index=lv["owner_id"].astype(str).to_numpy())
    return ranks.reindex(community.owner_ids).fillna(0.0).to_numpy(dtype=float)


def _boot_ratio(u: np.ndarray, d: np.ndarray, b: int, rng: np.random.Generator) -> np.ndarray:
    """``b`` bootstrap values of ``sum(u) / sum(d)`` per column of ``u``, resampling rows
    (clusters) with replacement; shape (b, m)."""
    n = len(u)
    out = np.empty((b, u.shape[1]))
    step = max(1, 2_000_000 // max(n, 1))
    for s in range(0, b, step):
        k = min(step, b - s)
        draw = rng.integers(0, n, size=(k, n))
        den = d[draw].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[s:s + k] = u[draw].sum(axis=1) / den[:, None]
    return out


def _redrawn_differences(edges: np.ndarray, t_pos: np.ndarray, c_pos: np.ndarray, blocks: np.ndarray,
                         excluded: np.ndarray, x: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Neighbour differences (treated-side mean minus control-side mean, per outcome column) under
    ``draws`` re-drawn assignments of the members: the spread the neighbour comparison has by
    chance alone, shape (draws, m).

    Each draw shuffles the treated/control labels among the members within each block (one block
    for a random hold-out; a pick and its matched controls for ambassadors), then rebuilds both
    neighbour sides exactly as the real comparison does (one hop from that side only; members and
    ``excluded`` owners left out).  Only links touching a member matter, so a draw costs the
    members' links, not the graph.
    """
    import scipy.sparse as sp  # noqa: PLC0415

    n = len(x)
    mem = np.concatenate([t_pos, c_pos])
    label = np.concatenate([np.ones(len(t_pos), dtype=bool), np.zeros(len(c_pos), dtype=bool)])
    slot = np.full(n, -1)
    slot[mem] = np.arange(len(mem))
    out_ok = (slot < 0) & ~excluded
    e = np.concatenate([edges[(slot[edges[:, 0]] >= 0) & out_ok[edges[:, 1]]],
                        edges[(slot[edges[:, 1]] >= 0) & out_ok[edges[:, 0]]][:, ::-1]]) if len(edges) else \
        np.empty((0, 2), dtype=np.int64)
    m = x.shape[1]
    if not len(e):
        return np.full((draws, m), np.nan)
    others, oidx = np.unique(e[:, 1], return_inverse=True)
    # member x neighbour incidence: labels (draws x members) @ A -> adjacent members of each side
    A = sp.csr_matrix((np.ones(len(e), dtype=np.float32), (slot[e[:, 0]], oidx)), shape=(len(mem), len(others)))
    X = x[others]
    # within-block shuffles: order members by (block, random key); the first t_b of a block are treated
    _, bidx = np.unique(blocks, return_inverse=True)
    t_per_block = np.bincount(bidx, weights=label.astype(float)).astype(np.int64)
    block_start = np.concatenate([[0], np.cumsum(np.bincount(bidx))[:-1]])
    out = np.empty((draws, m))
    step = max(1, min(draws, 4_000_000 // max(len(others), 1)))
    for s0 in range(0, draws, step):
        k = min(step, draws - s0)
        keys = bidx[None, :] + rng.random((k, len(mem)))
        order = np.argsort(keys, axis=1)
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(len(mem))[None, :].repeat(k, axis=0), axis=1)
        lab = (rank - block_start[bidx][None, :]) < t_per_block[bidx][None, :]
        near_t = (A.T @ lab.T.astype(np.float32)).T > 0
        near_c = (A.T @ (~lab).T.astype(np.float32)).T > 0
        side_t = (near_t & ~near_c).astype(float)
        side_c = (near_c & ~near_t).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[s0:s0 + k] = (side_t @ X) / side_t.sum(axis=1, keepdims=True) - (side_c @ X) / side_c.sum(axis=1, keepdims=True)
    return out


def _compare(side_t: tuple[np.ndarray, np.ndarray], side_c: tuple[np.ndarray, np.ndarray], *, bootstrap: int,
             confidence: float, rng: np.random.Generator):
    """Means of each side, their difference and its interval, per outcome column.

    Each side is ``(u, d)``: per resampled unit the outcome sums ``u`` and the owners ``d`` they
    cover; the side's mean is ``sum(u) / sum(d)`` (members: ``u`` their outcomes, ``d`` = 1).
    """
    m = side_t[0].shape[1]
    nan = np.full(m, np.nan)

    def mean(u, d):
        return u.sum(axis=0) / d.sum() if d.sum() > 0 else nan

    mt, mc = mean(*side_t), mean(*side_c)
    diff = mt - mc
    if (side_t[1] > 0).sum() < 2 or (side_c[1] > 0).sum() < 2:
        return mt, mc, diff, nan, nan
    alpha = 1 - confidence
    if bootstrap:
        dd = _boot_ratio(*side_t, bootstrap, rng) - _boot_ratio(*side_c, bootstrap, rng)
        lo, hi = np.nanquantile(dd, [alpha / 2, 1 - alpha / 2], axis=0)
    else:  # Welch-type normal interval; the ratio's variance by linearisation over clusters
        from scipy.stats import norm  # noqa: PLC0415

        def var(u, d, r):
            z = (u - r[None, :] * d[:, None]) / d.mean()
            return z.var(axis=0, ddof=1) / len(d)

        se = np.sqrt(var(*side_t, mt) + var(*side_c, mc))
        z = norm.ppf(1 - alpha / 2)
        lo, hi = diff - z * se, diff + z * se
    return mt, mc, diff, lo, hi


@dataclass(frozen=True)
class LiftDetails:
    """The side results of :func:`campaign_lift`.

    Attributes
    ----------
    campaign, program : str
    start, end, as_of : pandas.Timestamp
        The window ``[start, end)`` and the community's latest data.
    complete : bool
        The data reaches the end of the window (otherwise outcomes are counted up to ``as_of``).
    treated, control : int
        Members per group (known owners; staff never counted).
    neighbours_treated, neighbours_control : int
        One-hop neighbours of each group used for spillover.
    neighbours_both : int
        Neighbours adjacent to both groups, left out.
    matched : bool
        The control is a matched set (ambassadors), not a random hold-out.
    bootstrap, seed : int
        Resamples (0 = Welch normal interval) and their seed.
    confidence : float
        Interval level (e.g. 0.95).
    min_group : int
        Fewer owners than this in a group: "too small to tell".
    neighbour_layers : tuple of str
    notes : tuple of str
        Plain-words caveats (window not over, groups too small, matched control, unknown members).
    """

    campaign: str
    program: str
    start: pd.Timestamp
    end: pd.Timestamp
    as_of: pd.Timestamp
    complete: bool
    treated: int
    control: int
    neighbours_treated: int
    neighbours_control: int
    neighbours_both: int
    matched: bool
    bootstrap: int
    seed: int
    confidence: float
    min_group: int
    neighbour_layers: tuple[str, ...]
    notes: tuple[str, ...]


CAMPAIGN_LIFT = ResultSpec(
    "campaign_lift",
    key=("scope", "outcome"),
    columns=(
        Col("scope", "category", "", "members (treated vs control) or neighbours (one hop from treated vs one "
                                     "hop from control: spillover)"),
        Col("outcome", "category", "", "what was counted in the window (see the campaigns module)"),
        Col("treated_n", "int", "owners", "owners in the treated side"),
        Col("control_n", "int", "owners", "owners in the control side"),
        Col("treated_mean", "float", "per owner", "mean outcome of the treated side", nullable=True),
        Col("control_mean", "float", "per owner", "mean outcome of the control side", nullable=True),
        Col("difference", "float", "per owner", "treated mean minus control mean: the lift", nullable=True),
        Col("ci_low", "float", "per owner", "lower end of the interval of the difference", nullable=True),
        Col("ci_high", "float", "per owner", "upper end of the interval of the difference", nullable=True),
        Col("verdict", "str", "", "higher, lower, no measurable effect, or too small to tell"),
        Col("reason", "str", "", "the lift in plain words"),
    ),
    sort=(("scope", True), ("outcome", True)),
    depends=("owner_levels",),
    details=LiftDetails,
    description="a campaign's lift: treated vs control per member, and spillover to graph neighbours",
)


@analysis(CAMPAIGN_LIFT)
def campaign_lift(
    community: Any,
    *,
    campaign: Campaign,
    members: pd.DataFrame,
    outcomes: Iterable[str] = OUTCOMES,
    bootstrap: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    min_group: int = 30,
    neighbour_layers: Iterable[str] = ("interactions", "referrals"),
    lang: str = "en",
) -> pd.DataFrame:
    """What a campaign changed: treated vs control, per member and among graph neighbours.

    See the module docstring for the outcomes, the neighbour graph and the verdicts.

    Parameters
    ----------
    community : Community
        The community with data covering the campaign window (not windowed before its end).
    campaign : Campaign
        The campaign (``start``, ``window_days``, ``program``).
    members : DataFrame
        ``owner_id`` and ``group`` (``treated``/``control``), as recorded by
        :meth:`graphcrm.api.CommunityGraph.record_campaign`.
    outcomes : iterable of str, default :data:`OUTCOMES`
    bootstrap : int, default 1000
        Bootstrap resamples for the members' intervals (0: Welch's normal interval instead) and
        re-drawn hold-outs for the neighbours' (0: 1,000).
    seed : int, default 0
        Seed of the resampling.
    confidence : float, default 0.95
    min_group : int, default 30
        Fewer owners than this on a side: "too small to tell".
    neighbour_layers : iterable of str
        The neighbour graph (see :func:`neighbour_edges`).
    lang : {"en", "zh"}
        Language of ``reason``.

    Returns
    -------
    DataFrame
        Keyed by (``scope``, ``outcome``), sorted members first then outcomes in the order of
        :data:`OUTCOMES`: ``scope``; ``outcome``; ``treated_n``, ``control_n`` (owners);
        ``treated_mean``, ``control_mean`` (outcome per owner in the window); ``difference``
        (treated minus control, per owner); ``ci_low``, ``ci_high`` (its interval at
        ``confidence``; missing with fewer than 2 owners on a side); ``verdict``; ``reason``.
        With ``details=True``: ``(table, LiftDetails)``.

    Raises
    ------
    ConfigError
        Bad options, members without the columns, a window that starts after the data ends.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> owners = pd.DataFrame({"owner_id": ["a", "b", "c", "d"]})
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "author_id": ["a", "a", "b"],
    ...                       "created_at": pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-07"])})
    >>> c = Community.from_frames({"owners": owners, "posts": posts})
    >>> camp = Campaign("t", "my_program", pd.Timestamp("2026-01-01"), 30, pd.Timestamp("2025-12-31"))
    >>> m = pd.DataFrame({"owner_id": ["a", "b", "c", "d"], "group": ["treated", "treated", "control", "control"]})
    >>> t = campaign_lift(c, campaign=camp, members=m, outcomes=["posts"], bootstrap=200)
    >>> t[["scope", "treated_mean", "control_mean", "difference", "verdict"]].values.tolist()[0]
    ['members', 1.5, 0.0, 1.5, 'too small to tell']
    """
    lang = check_lang(lang)
    zh = lang == "zh"
    outcomes = _lift_outcomes(outcomes, bootstrap=bootstrap, confidence=confidence, min_group=min_group,
                              members=members)
    layers = tuple(neighbour_layers)
    start, end = pd.Timestamp(campaign.start), campaign.end
    as_of = pd.Timestamp(community.as_of)
    if start > as_of:
        raise ConfigError(f"campaign {campaign.name!r} starts {start.date()}, after the latest data "
                          f"({as_of.date()}): nothing to evaluate yet")
    notes: list[str] = []
    complete = as_of >= end
    if not complete:
        days = (as_of - start).total_seconds() / 86400
        notes.append(f"the window is not over: outcomes counted for {days:.0f} of {campaign.window_days} days"
                     if not zh else f"窗口尚未结束：只统计了 {campaign.window_days} 天中的 {days:.0f} 天")
    n = len(community.owner_ids)
    pos, t_pos, c_pos, matched = _lift_groups(community, members, notes, zh)
    staff = community.owners["is_staff"].astype(bool).to_numpy()
    keep = pos >= 0

    counts = outcome_counts(community, start, end, outcomes=outcomes)
    x = counts[outcomes].to_numpy(dtype=float)
    edges = neighbour_edges(community, before=start, layers=layers)
    near_t, near_c = _adjacent(edges, n, t_pos), _adjacent(edges, n, c_pos)
    member = np.zeros(n, dtype=bool)
    member[t_pos] = member[c_pos] = True
    member[pos[keep]] = True
    both = near_t & near_c & ~member & ~staff
    nt = np.flatnonzero(near_t & ~near_c & ~member & ~staff)
    nc = np.flatnonzero(near_c & ~near_t & ~member & ~staff)

    rng = np.random.default_rng(seed)
    rows = []
    blocks = _redraw_blocks(members, np.asarray(community.owner_ids, dtype=object), t_pos, c_pos, matched)
    for scope, a, b in (("members", t_pos, c_pos), ("neighbours", nt, nc)):
        if scope == "members":
            mt, mc, diff, lo, hi = _compare((x[a], np.ones(len(a))), (x[b], np.ones(len(b))),
                                            bootstrap=int(bootstrap), confidence=confidence, rng=rng)
        else:
            mt, mc, diff, lo, hi = _neighbour_lift(x, a, b, edges, t_pos, c_pos, blocks, staff | member,
                                                   bootstrap=int(bootstrap) or 1000, confidence=confidence, rng=rng)
        small = len(a) < min_group or len(b) < min_group
        for j, o in enumerate(outcomes):
            verdict = ("too small to tell" if small or np.isnan(lo[j]) else "higher" if lo[j] > 0
                       else "lower" if hi[j] < 0 else "no measurable effect")
            rows.append({"scope": scope, "outcome": o, "treated_n": len(a), "control_n": len(b),
                         "treated_mean": mt[j], "control_mean": mc[j], "difference": diff[j],
                         "ci_low": lo[j], "ci_high": hi[j], "verdict": verdict,
                         "reason": _reason(scope, o, len(a), len(b), mt[j], mc[j], diff[j], lo[j], hi[j], verdict,
                                           confidence, min_group, zh)})
    if len(t_pos) < min_group or len(c_pos) < min_group:
        notes.append(f"fewer than {min_group} members in a group ({len(t_pos)} treated, {len(c_pos)} control): "
                     f"too small to tell" if not zh else
                     f"某组成员少于 {min_group} 人（处理组 {len(t_pos)}，对照组 {len(c_pos)}）：样本太小，无法判断")
    table = pd.DataFrame(rows, columns=CAMPAIGN_LIFT.column_names)
    table["scope"] = pd.Categorical(table["scope"], categories=SCOPES, ordered=True)
    table["outcome"] = pd.Categorical(table["outcome"], categories=OUTCOMES, ordered=True)
    for c in ("treated_n", "control_n"):
        table[c] = table[c].astype(np.int64)
    details = LiftDetails(
        campaign=campaign.name, program=campaign.program, start=start, end=end, as_of=as_of, complete=bool(complete),
        treated=len(t_pos), control=len(c_pos), neighbours_treated=len(nt), neighbours_control=len(nc),
        neighbours_both=int(both.sum()), matched=bool(matched), bootstrap=int(bootstrap), seed=int(seed),
        confidence=float(confidence), min_group=int(min_group), neighbour_layers=layers, notes=tuple(notes))
    return table, details


def _lift_outcomes(outcomes: Iterable[str] | str, *, bootstrap: int, confidence: float, min_group: int,
                   members: pd.DataFrame) -> list[str]:
    """The outcomes asked, in :data:`OUTCOMES` order, once the options are checked.

    Raises
    ------
    ConfigError
        An unknown or no outcome, a bad ``bootstrap``, ``confidence`` or ``min_group``, or
        members without ``owner_id`` and ``group``.
    """
    asked = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    unknown_outcomes = sorted(set(asked) - set(OUTCOMES))
    if unknown_outcomes:
        raise ConfigError(f"unknown outcome(s) {', '.join(map(str, unknown_outcomes))}; choose from {', '.join(OUTCOMES)}")
    chosen = [o for o in OUTCOMES if o in set(asked)]
    if not chosen:
        raise ConfigError(f"choose at least one outcome from {', '.join(OUTCOMES)}")
    if not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise ConfigError(f"bootstrap must be a whole number >= 0, got {bootstrap!r}")
    if not (0 < confidence < 1):
        raise ConfigError(f"confidence must be between 0 and 1, got {confidence!r}")
    if not isinstance(min_group, (int, np.integer)) or min_group < 2:
        raise ConfigError(f"min_group must be a whole number >= 2, got {min_group!r}")
    if not {"owner_id", "group"} <= set(members.columns):
        raise ConfigError("campaign members need the columns owner_id and group")
    return chosen


def _lift_groups(community: Any, members: pd.DataFrame, notes: list[str],
                 zh: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Positions of the members (-1: not an owner, noted), of the non-staff treated and control
    owners, and whether the control is a matched set (noted)."""
    pos = community.index_of(members["owner_id"])
    group = members["group"].astype(str).to_numpy()
    unknown = int((pos < 0).sum())
    if unknown:
        notes.append(f"{unknown} member(s) are not owners of this community and were left out")
    staff = community.owners["is_staff"].astype(bool).to_numpy()
    keep = pos >= 0
    t_pos = unique_sorted(pos[keep & (group == "treated")])
    c_pos = unique_sorted(pos[keep & (group == "control")])
    t_pos, c_pos = t_pos[~staff[t_pos]], c_pos[~staff[c_pos]]
    matched = bool("matched_to" in members.columns and members["matched_to"].notna().any())
    if matched:
        notes.append("the control is a matched set (similar one-hop audience, not picked), not a random hold-out: "
                     "the picks may differ in ways the search saw, so read the lift as an upper-leaning estimate"
                     if not zh else "对照组为匹配组（受众规模相近、未被选中），并非随机留出：提升可能偏高")
    return pos, t_pos, c_pos, matched


def _redraw_blocks(members: pd.DataFrame, ids: np.ndarray, t_pos: np.ndarray, c_pos: np.ndarray,
                   matched: bool) -> np.ndarray:
    """The block of each member (treated then control) within which re-drawn hold-outs swap
    groups: a pick with its own matched controls; one block for a random hold-out."""
    if not matched:
        return np.zeros(len(t_pos) + len(c_pos), dtype=np.int64)
    match = dict(zip(members["owner_id"].astype(str), members["matched_to"]))
    return np.array([str(match.get(i) or i) if g == "control" else str(i)
                     for i, g in zip(ids[np.concatenate([t_pos, c_pos])],
                                     ["treated"] * len(t_pos) + ["control"] * len(c_pos))], dtype=object)


def _neighbour_lift(x: np.ndarray, a: np.ndarray, b: np.ndarray, edges: np.ndarray, t_pos: np.ndarray,
                    c_pos: np.ndarray, blocks: np.ndarray, excluded: np.ndarray, *, bootstrap: int,
                    confidence: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Means of the treated members' neighbours ``a`` and the control's ``b``, their difference
    and its interval from ``bootstrap`` re-drawn hold-outs (NaN with fewer than 2 on a side)."""
    nan = np.full(x.shape[1], np.nan)
    mt = x[a].mean(axis=0) if len(a) else nan
    mc = x[b].mean(axis=0) if len(b) else nan
    diff = mt - mc
    lo = hi = nan
    if len(a) >= 2 and len(b) >= 2:
        null = _redrawn_differences(edges, t_pos, c_pos, blocks, excluded, x, bootstrap, rng)
        alpha = 1 - confidence
        q_lo, q_hi = np.nanquantile(null, [alpha / 2, 1 - alpha / 2], axis=0)
        lo, hi = diff - q_hi, diff - q_lo
    return mt, mc, diff, lo, hi


def _reason(scope: str, outcome: str, n_t: int, n_c: int, mt: float, mc: float, diff: float, lo: float, hi: float,
            verdict: str, confidence: float, min_group: int, zh: bool) -> str:
    what = _OUTCOME_TEXT[outcome][1 if zh else 0]
    who = ("成员" if scope == "members" else "邻居") if zh else ("members" if scope == "members" else "neighbours")
    pct = f"{confidence:.0%}"
    if verdict == "too small to tell":
        return (f"{who}：处理 {n_t} 人、对照 {n_c} 人，少于 {min_group} 人，无法判断" if zh
                else f"{who}: {n_t} treated vs {n_c} control, fewer than {min_group} on a side - too small to tell")
    if zh:
        return (f"{who}{what}：处理组每人 {mt:.3f}，对照组 {mc:.3f}，差 {diff:+.3f}"
                f"（{pct} 区间 {lo:+.3f} 至 {hi:+.3f}）" + ("，无可测效果" if verdict == "no measurable effect" else ""))
    tail = {"higher": "higher", "lower": "lower", "no measurable effect": "no measurable effect"}[verdict]
    return (f"{who}, {what}: {mt:.3f} per treated vs {mc:.3f} per control owner, difference {diff:+.3f} "
            f"({pct} interval {lo:+.3f} to {hi:+.3f}): {tail}")


#: the brief's name for the lift (``evaluate(community, campaign=..., members=...)``)
evaluate = campaign_lift


__all__ = ["Campaign", "CampaignPlan", "LiftDetails", "CAMPAIGN_LIFT", "OUTCOMES", "PROGRAMS", "SCOPES",
           "plan_campaign", "campaign_lift", "evaluate", "outcome_counts", "neighbour_edges"]
