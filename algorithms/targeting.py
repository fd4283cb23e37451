"""Incentive targeting: one table for the CRM, across four programs.

================  ==============================================  ==================================
program           who                                             ``expected_impact`` means
================  ==============================================  ==================================
ambassador        seeds of :func:`graphcrm.algorithms.influence.   expected additional owners reached
                  ambassadors` (influence maximization)           (marginal gain in the cascade)
volunteer_invite  best :func:`graphcrm.algorithms.volunteers.      probability-like score 0-1 of
                  volunteer_candidates`                           resembling a volunteer
referral_reward   owners whose referrals converted (order or      conversions attributed to the
                  delivered), from :func:`graphcrm.algorithms.    owner (referral_attribution)
                  referrals.referral_attribution`
reactivation      first the drifting owners of :func:`graphcrm.      activities per month a return
                  algorithms.movement.drifting_owners` (high       would restore: for a drifting
                  past contribution, activity falling now), in     owner the fall of activity between
                  their order; then owners with at least           the two periods (per 30 days), for
                  ``min_activities`` activities who have been      a lapsed one the rate in the year
                  quiet for ``quiet_days`` days                   up to their last activity
================  ==============================================  ==================================

Staff, marketing opt-outs and owners in ``exclude`` never appear, whatever the source says.
An ambassador pick with no tie to any other owner (``direct_reach`` 0: it reaches only
themselves, as every pick of a community with no activity yet) is left out, with a note.
An owner may appear in several programs (one row each: the table is keyed by ``(program,
owner_id)``); :func:`collapse_targets` makes one row per owner for write-back.

The sources are the analyses themselves, called with the same options a user (or the report)
would pass, so that results already computed on the community are reused from its cache.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from graphcrm.algorithms.levels import activity_log
from graphcrm.errors import AnalysisError, ConfigError
from graphcrm.i18n import check_lang, join, pick
from graphcrm.results import Col, ResultSpec, analysis

PROGRAMS: tuple[str, ...] = ("ambassador", "volunteer_invite", "referral_reward", "reactivation")
COLUMNS: tuple[str, ...] = ("owner_id", "program", "priority", "expected_impact", "reason")


def _empty() -> pd.DataFrame:
    return pd.DataFrame({
        "owner_id": pd.Series([], dtype=object),
        "program": pd.Series([], dtype=object),
        "priority": pd.Series([], dtype=np.int64),
        "expected_impact": pd.Series([], dtype=float),
        "reason": pd.Series([], dtype=object),
    })


def _rows(program: str, ids, impact, reasons, k: int | None) -> pd.DataFrame:
    df = pd.DataFrame({
        "owner_id": pd.Series(ids, dtype=object).astype(str).to_numpy(),
        "program": program,
        "expected_impact": np.asarray(impact, dtype=float),
        "reason": pd.Series(reasons, dtype=object).to_numpy(),
    })
    df = df.drop_duplicates("owner_id")
    df = df.sort_values(["expected_impact", "owner_id"], ascending=[False, True], kind="mergesort")
    if k is not None:
        df = df.head(int(k))
    df.insert(2, "priority", np.arange(1, len(df) + 1, dtype=np.int64))
    return df.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# the four programs
# ---------------------------------------------------------------------------------------------
def _in_order(out: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """``out`` (from :func:`_rows`) in the order of ``ids`` (the source's own ranking), priorities renumbered."""
    order = pd.Series(np.arange(len(ids)), index=ids.astype(str).to_numpy())
    out = out.iloc[np.argsort(order.reindex(out["owner_id"]).to_numpy(), kind="stable")].reset_index(drop=True)
    out["priority"] = np.arange(1, len(out) + 1, dtype=np.int64)
    return out


def _ineligible_ids(community: Any) -> set[str]:
    """Owner ids that no analysis may target (staff, marketing opt-outs: ``~community.eligible()``)."""
    return set(np.asarray(community.owner_ids, dtype=object)[~community.eligible()].astype(str))


def _ambassadors(community: Any, k: int, seed: int, lang: str, blocked: set[str],
                 options: Mapping[str, Any]) -> tuple[pd.DataFrame, str | None]:
    from graphcrm.algorithms.influence import ambassadors  # noqa: PLC0415 - heavy, imported when used

    opts = {"k": k, "seed": seed, "lang": lang, **dict(options)}
    # ambassadors never picks staff or opt-outs itself (community.eligible()): only the other
    # blocked ids (the caller's ``exclude``) are passed, so that without them this is the
    # report's call, read from the community's cache rather than searched again
    extra = sorted(blocked - _ineligible_ids(community))
    if extra:
        opts.setdefault("exclude", extra)
    df = ambassadors(community, **opts)
    # a pick with no tie to any other owner reaches only themselves: not worth an incentive
    # (a community with no activity yet has only such picks)
    alone = df["direct_reach"].to_numpy() <= 0
    note = None
    if alone.any():
        n = int(alone.sum())
        note = pick(lang, en=f"ambassador program: {n} pick(s) left out: they influence no other owner (no ties yet)",
                    zh=f"大使计划：{n} 位人选未列入：尚未与任何其他车主建立联系，影响不到他人")
        df = df[~alone]
    # ambassadors' declared columns: marginal_gain (owners) and reason
    out = _rows("ambassador", df["owner_id"], df["marginal_gain"], df["reason"], None)
    return _in_order(out, df["owner_id"]), note  # the influence ranking (greedy order), not by marginal gain


def _volunteers(community: Any, k: int, seed: int, lang: str) -> tuple[pd.DataFrame, str | None]:
    from graphcrm.algorithms.volunteers import volunteer_candidates  # noqa: PLC0415

    try:
        # the model on all volunteers is shared with volunteer_candidates(seed=seed) of the report
        df = volunteer_candidates(community, validate=False, seed=seed, lang=lang)
    except AnalysisError as exc:
        return _empty(), f"volunteer_invite program skipped: {exc}"
    df = df[~df["opted_out"].to_numpy(dtype=bool)]
    return _rows("volunteer_invite", df["owner_id"], df["score"].round(4), df["reason"], None), None


def _referrals(community: Any, lang: str) -> pd.DataFrame:
    """Attributed conversions per referrer (the ``credit`` of referral_attribution)."""
    from graphcrm.algorithms.referrals import referral_attribution  # noqa: PLC0415

    att = referral_attribution(community, lang=lang)  # only owners with credit > 0
    return _rows("referral_reward", att["owner_id"], att["credit"].round(4).to_numpy(), att["reason"], None)


def _drifting(community: Any, lang: str, options: Mapping[str, Any]) -> pd.DataFrame:
    """The drifting owners as reactivation rows, in drifting_owners' order (past contribution
    first); impact = activities lost per 30 days (earlier period minus current one)."""
    from graphcrm.algorithms.movement import drifting_owners  # noqa: PLC0415

    # with no options this is the report's call: computed once, read from the community's cache
    df, det = drifting_owners(community, lang=lang, details=True, **dict(options))
    lost = (df["activity_then"] - df["activity_now"]).to_numpy(float) * (30.0 / det.period_days)
    head = "活跃度下滑（过往贡献高、近期活动减少）：" if lang == "zh" else "drifting (high past contribution, activity falling): "
    out = _rows("reactivation", df["owner_id"], np.round(lost, 4), [head + r for r in df["reason"]], None)
    return _in_order(out, df["owner_id"])


def _reactivation(community: Any, quiet_days: float | None, min_activities: int, lang: str,
                  drift_options: Mapping[str, Any]) -> pd.DataFrame:
    """Drifting owners first, then lapsed ones (quiet for ``quiet_days``; None: drifting only)."""
    drifting = _drifting(community, lang, drift_options)
    if quiet_days is None:
        return drifting
    lapsed = _lapsed(community, quiet_days, min_activities, lang)
    lapsed = lapsed[~lapsed["owner_id"].isin(set(drifting["owner_id"]))]
    out = pd.concat([p for p in (drifting, lapsed) if len(p)] or [_empty()], ignore_index=True)
    out["priority"] = np.arange(1, len(out) + 1, dtype=np.int64)
    return out


def _lapsed(community: Any, quiet_days: float, min_activities: int, lang: str) -> pd.DataFrame:
    """Owners with ``min_activities`` activities and none in the last ``quiet_days`` days; impact =
    their activities per month over the year up to their last activity."""
    zh = lang == "zh"
    log = activity_log(community)
    if log.empty:
        return _empty()
    last = log.groupby("pos")["at"].transform("max")
    total = log.groupby("pos").size()
    # lapsed engagement: activities per month over the year up to the owner's last activity
    recent = log[log["at"] > last - pd.Timedelta(days=365)].groupby("pos").size()
    stats = pd.DataFrame({"n": total, "last": log.groupby("pos")["at"].max(), "year": recent})
    as_of = pd.Timestamp(community.as_of)
    quiet = (as_of - stats["last"]).dt.total_seconds() / 86400.0
    stats = stats[(quiet >= quiet_days) & (stats["n"] >= min_activities)]
    if stats.empty:
        return _empty()
    quiet = quiet.loc[stats.index]
    rate = stats["year"] / 12.0
    ids = np.asarray(community.owner_ids, dtype=object)[stats.index.to_numpy()]
    reasons = [
        (f"已沉寂 {int(q)} 天；此前一年 {y} 次活动（每月 {r:.1f} 次），共 {n} 次" if zh
         else f"quiet for {int(q)} days; {y} activities in their last active year ({r:.1f} per month), {n} in all")
        for q, y, r, n in zip(quiet.to_numpy(), stats["year"].to_numpy(), rate.to_numpy(), stats["n"].to_numpy())
    ]
    return _rows("reactivation", ids, rate.round(4).to_numpy(), reasons, None)


# ---------------------------------------------------------------------------------------------
# public
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TargetDetails:
    """The side results of :func:`targets`.

    Attributes
    ----------
    notes : tuple of str
        Programs that were skipped, and why (e.g. no volunteers to learn from).
    campaign : str or None
        The campaign name given (also the ``campaign`` column).
    as_of : pandas.Timestamp
        "Now" of the community (``community.as_of``): quiet days are counted up to it.
    """

    notes: tuple[str, ...]
    campaign: str | None
    as_of: pd.Timestamp


TARGETS = ResultSpec(
    "targets",
    key=("program", "owner_id"),
    columns=(
        Col("owner_id", "str", "", "the owner to target (never staff or opted out)"),
        Col("program", "category", "", "the incentive program: ambassador, volunteer_invite, referral_reward "
                                       "or reactivation"),
        Col("priority", "int", "rank", "order within the program, 1 = first"),
        Col("expected_impact", "float", "per program", "ambassador: extra owners reached; volunteer_invite: "
                                                       "score 0-1; referral_reward: credited conversions; "
                                                       "reactivation: activities per month a return would restore "
                                                       "(drifting: the fall per 30 days; lapsed: the monthly rate "
                                                       "before going quiet)"),
        Col("reason", "str", "", "why this owner, in plain words"),
        Col("campaign", "str", "", "the campaign name (empty when none was given)", nullable=True),
    ),
    sort=(("program", True), ("priority", True)),
    depends=("ambassadors", "volunteer_candidates", "referral_attribution", "drifting_owners"),
    details=TargetDetails,
    description="incentive targets across four programs (keyed by program and owner_id: an owner can be "
                "in several programs)",
)


@analysis(TARGETS)
def targets(
    community: Any,
    *,
    campaign: str | None = None,
    programs: Iterable[str] = PROGRAMS,
    ambassadors_k: int = 30,
    volunteer_k: int = 50,
    referral_k: int = 50,
    reactivation_k: int = 100,
    quiet_days: float | None = 90,
    min_activities: int = 3,
    exclude: Iterable[str] = (),
    ambassador_options: Mapping[str, Any] | None = None,
    drift_options: Mapping[str, Any] | None = None,
    seed: int = 0,
    lang: str = "en",
) -> pd.DataFrame:
    """One incentive-targeting table for the CRM across four programs.

    Programs and the meaning of ``expected_impact`` in each:

    * ``ambassador`` - picks of :func:`graphcrm.algorithms.influence.ambassadors` (``k =
      ambassadors_k``) in their greedy order; impact = marginal expected reach (owners);
    * ``volunteer_invite`` - the best ``volunteer_k`` of
      :func:`graphcrm.algorithms.volunteers.volunteer_candidates`; impact = its score
      (probability-like, 0-1);
    * ``referral_reward`` - the ``referral_k`` owners with the most conversion credit from
      :func:`graphcrm.algorithms.referrals.referral_attribution` (multi-level: a converted
      referee credits 1 to the referrer, 0.5 to the referrer's referrer, ...); impact =
      attributed conversions (credit);
    * ``reactivation`` - driven by movement: first the drifting owners of
      :func:`graphcrm.algorithms.movement.drifting_owners` (high past contribution, activity
      falling between the period before and the current one; default the last 30 days vs the
      30 before ``community.as_of``), in its order (past contribution first), impact = the
      activities per 30 days they lost; then the lapsed owners, with at least
      ``min_activities`` activities (posts, interactions, events, referrals) and none in the
      last ``quiet_days`` days, the largest lapsed engagement first (their activities per month
      over the 365 days up to their last activity); ``reactivation_k`` rows in all.  The
      reason says which of the two an owner is.

    Staff, marketing opt-outs and ``exclude`` never appear (they are removed from every
    source, and the ambassador search is told to skip them).

    Parameters
    ----------
    community : Community
        The community snapshot.
    campaign : str, optional
        Campaign name, added as a ``campaign`` column (and kept on write-back).
    programs : iterable of str
        Programs to include (default all four).
    ambassadors_k, volunteer_k, referral_k, reactivation_k : int
        Rows per program.
    quiet_days : float or None, default 90
        Days without activity that make a previously active owner lapsed; None lists only the
        drifting owners.
    min_activities : int, default 3
        Activities needed to count as previously active.
    exclude : iterable of str
        Owner ids never to target (e.g. already rewarded).
    ambassador_options : mapping, optional
        Extra options for ``ambassadors`` (e.g. ``{"eps": 0.1, "per_city": 3}``).
    drift_options : mapping, optional
        Options for ``drifting_owners`` (e.g. ``{"period": "60D", "min_drop": 0.7}``); without
        them the drifting owners are the report's (computed once per community).
    seed : int, default 0
        Seed passed to the ambassador and volunteer models.
    lang : {"en", "zh"}
        Language of ``reason``.

    Returns
    -------
    DataFrame
        Keyed by (``program``, ``owner_id``), sorted by program (in the order above, a
        categorical) then ``priority``: ``owner_id``; ``program``; ``priority`` (1 = first
        within the program); ``expected_impact`` (per program, see above); ``reason``;
        ``campaign`` (the campaign name, missing when none is given).  With
        ``details=True``: ``(table, TargetDetails)``; its ``notes`` list programs that were
        skipped, and why.

    Raises
    ------
    ConfigError
        Unknown program, negative sizes, or an unknown ``lang``.

    Example
    -------
    >>> from graphcrm.community import Community
    >>> from graphcrm.demo import generate_demo
    >>> tables, truth = generate_demo(3000, seed=0)
    >>> t = targets(Community(tables), campaign="spring-2025", programs=["volunteer_invite", "reactivation"])
    >>> t.groupby("program")["priority"].max().to_dict()  # programs in their declared order
    {'volunteer_invite': 50, 'reactivation': 100}
    """
    lang = check_lang(lang)
    programs = list(programs)
    bad = sorted(set(programs) - set(PROGRAMS))
    if bad:
        raise ConfigError(f"unknown program(s) {', '.join(bad)}; choose from {', '.join(PROGRAMS)}")
    for name, v in (("ambassadors_k", ambassadors_k), ("volunteer_k", volunteer_k),
                    ("referral_k", referral_k), ("reactivation_k", reactivation_k),
                    ("quiet_days", 0 if quiet_days is None else quiet_days), ("min_activities", min_activities)):
        if v is None or v < 0:
            raise ConfigError(f"{name} must be >= 0, got {v!r}")

    owners = community.owners
    blocked_mask = owners["is_staff"].astype(bool).to_numpy() | owners["marketing_opt_out"].astype(bool).to_numpy()
    blocked = set(owners["owner_id"].astype(str).to_numpy()[blocked_mask]) | {str(x) for x in exclude}

    parts: list[pd.DataFrame] = []
    notes: list[str] = []

    def keep(df: pd.DataFrame, k: int) -> pd.DataFrame:
        df = df[~df["owner_id"].isin(blocked)].head(int(k)).reset_index(drop=True)
        df["priority"] = np.arange(1, len(df) + 1, dtype=np.int64)
        return df

    if "ambassador" in programs and ambassadors_k > 0:
        df, note = _ambassadors(community, ambassadors_k, seed, lang, blocked, ambassador_options or {})
        parts.append(keep(df, ambassadors_k))
        notes += [note] if note else []
    if "volunteer_invite" in programs and volunteer_k > 0:
        df, note = _volunteers(community, volunteer_k, seed, lang)
        parts.append(keep(df, volunteer_k))
        notes += [note] if note else []
    if "referral_reward" in programs and referral_k > 0:
        parts.append(keep(_referrals(community, lang), referral_k))
    if "reactivation" in programs and reactivation_k > 0:
        parts.append(keep(_reactivation(community, quiet_days, min_activities, lang, drift_options or {}),
                          reactivation_k))

    parts = [p for p in parts if len(p)]
    out = pd.concat(parts, ignore_index=True) if parts else _empty()
    out = out[list(COLUMNS)]
    rank = {p: i for i, p in enumerate(PROGRAMS)}
    out = out.assign(_p=out["program"].map(rank)).sort_values(["_p", "priority"], kind="mergesort")
    out = out.drop(columns="_p").reset_index(drop=True)
    out["priority"] = out["priority"].astype(np.int64)
    out["program"] = pd.Categorical(out["program"].astype(object), categories=PROGRAMS, ordered=True)
    out["campaign"] = pd.Series([None if campaign is None else str(campaign)] * len(out), dtype=object)
    return out, TargetDetails(notes=tuple(notes), campaign=None if campaign is None else str(campaign),
                              as_of=pd.Timestamp(community.as_of))


def collapse_targets(df: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """One row per owner (for write-back, where a property can hold one value per owner).

    Parameters
    ----------
    df : DataFrame
        Output of :func:`targets` (a ``campaign`` column is kept when it holds a name).
    lang : {"en", "zh"}
        Language of the joined reason.

    Returns
    -------
    DataFrame
        ``owner_id``; ``programs`` (the owner's programs joined by ``"|"`` in program order);
        ``priority`` (best priority over them); ``expected_impact`` (of the first program);
        ``reason`` (reasons joined); ``campaign`` if present.  Sorted by ``owner_id``.

    Example
    -------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"owner_id": ["a", "a", "b"], "program": ["reactivation", "ambassador", "ambassador"],
    ...                   "priority": [3, 1, 2], "expected_impact": [0.5, 12.0, 9.0], "reason": ["x", "y", "z"]})
    >>> collapse_targets(t)[["owner_id", "programs", "priority", "reason"]].values.tolist()
    [['a', 'ambassador|reactivation', 1, 'y; x'], ['b', 'ambassador', 2, 'z']]
    """
    lang = check_lang(lang)
    if df.empty:
        base = _empty().rename(columns={"program": "programs"})
        return base
    rank = {p: i for i, p in enumerate(PROGRAMS)}
    df = df.assign(program=df["program"].astype(object))
    d = df.assign(_p=df["program"].map(rank)).sort_values(["owner_id", "_p", "priority"], kind="mergesort")
    g = d.groupby("owner_id", sort=True)
    out = pd.DataFrame({
        "programs": g["program"].agg("|".join),
        "priority": g["priority"].min().astype(np.int64),
        "expected_impact": g["expected_impact"].first(),
        "reason": g["reason"].agg(lambda s: join([str(x) for x in s], lang)),
    })
    if "campaign" in d.columns and d["campaign"].notna().any():
        out["campaign"] = g["campaign"].first()
    return out.reset_index()
