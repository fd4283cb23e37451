"""Contribution points and relationship levels of owners.

Two functions:

* :func:`contribution` - points per owner by activity kind (in the spirit of NIO Value),
  time-decayed, from a configurable points table (:data:`DEFAULT_POINTS`);
* :func:`owner_levels` - a relationship level per owner from FIXED thresholds
  (:data:`DEFAULT_LEVELS`), with the next level and what the owner needs to reach it.

Why fixed thresholds and not percentiles
----------------------------------------
A percentile level ("top 5 % are companions") is a quota: it can stay *full*.  A member who
does everything a companion does is still shut out while enough others score higher, and an
owner's level can drop without them doing anything different because someone else did more.
Fixed thresholds say exactly what each level takes ("300 points, one converted referral and
two events organised"), so every owner can be told what to do next and reaching it is
guaranteed to count.

The default thresholds were set on the demo community (20,000 owners, two years, 180-day
half-life): about 28 % of owners are members or above, 7 % fans or above, 1 % advocates and
0.1 % companions; most active volunteers are fans or advocates.  They are a starting point
for a brand to set, not a quota: change them with ``thresholds=``.

The module also offers :func:`activity_log`, one row per dated activity of an owner, shared by
:mod:`graphcrm.algorithms.volunteers` and :mod:`graphcrm.algorithms.targeting`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from graphcrm.contract import CONVERTED_STAGES, REFERRAL_STAGES
from graphcrm.errors import ConfigError
from graphcrm.i18n import check_lang, join
from graphcrm.results import Col, ResultSpec, analysis

#: Default points per unit of activity.  Every value is multiplied by a time decay
#: ``0.5 ** (age_days / half_life_days)`` (age at ``community.as_of``) and summed per owner.
#:
#: ============================  =====  =====================================================
#: key                           pts    one unit is
#: ============================  =====  =====================================================
#: ``post``                      5      a post written by the owner
#: ``engagement_received``       1      a like/favorite/comment/reply/share by ANOTHER owner
#:                                      on one of the owner's posts
#: ``event_attended``            10     an event attended (checked in) as ``attendee``
#: ``event_organised``           60     an event attended as ``organizer`` or ``host``
#: ``volunteering``              40     an event attended as ``volunteer``
#: ``referral_lead``             5      a referral whose current stage is ``lead``
#: ``referral_test_drive``       20     ... whose current stage is ``test_drive``
#: ``referral_order``            80     ... whose current stage is ``order``
#: ``referral_delivered``        120    ... whose current stage is ``delivered``
#: ============================  =====  =====================================================
#:
#: A referral earns the points of the stage it has reached (not the sum of the stages), dated
#: by ``referred_at``.  Pass ``points={...}`` to override any subset of the keys.
DEFAULT_POINTS: dict[str, float] = {
    "post": 5.0,
    "engagement_received": 1.0,
    "event_attended": 10.0,
    "event_organised": 60.0,
    "volunteering": 40.0,
    "referral_lead": 5.0,
    "referral_test_drive": 20.0,
    "referral_order": 80.0,
    "referral_delivered": 120.0,
}

#: Default relationship levels, lowest first.  ``points`` is the minimum contribution;
#: ``all`` maps a count to its minimum (every one must hold); ``any`` maps counts to minimums
#: of which at least one must hold.  Counts (not decayed, within the community's window):
#: ``posts``, ``events_attended`` (checked in, any role), ``events_led`` (organizer, host or
#: volunteer), ``referrals`` (any stage), ``converted_referrals`` (order or delivered).
#: Levels form a ladder: an owner holds the highest level whose requirements AND those of
#: every lower level are met.
DEFAULT_LEVELS: tuple[dict[str, Any], ...] = (
    {"level": "buyer", "en": "Buyer", "zh": "车主", "points": 0},
    {"level": "member", "en": "Member", "zh": "会员", "points": 20},
    {"level": "fan", "en": "Fan", "zh": "粉丝", "points": 80},
    {
        "level": "advocate",
        "en": "Advocate",
        "zh": "推荐官",
        "points": 200,
        "any": {"converted_referrals": 1, "events_led": 1},
    },
    {
        "level": "companion",
        "en": "Companion",
        "zh": "伙伴",
        "points": 300,
        "all": {"converted_referrals": 1, "events_led": 2},
    },
)

#: counts usable in level conditions, with the wording of "what to do next"
_CONDITION_TEXT: dict[str, tuple[str, str]] = {
    "posts": ("publish {n} more post(s)", "再发布 {n} 篇帖子"),
    "events_attended": ("attend {n} more event(s)", "再参加 {n} 场活动"),
    "events_led": ("organise or volunteer at {n} more event(s)", "再组织或志愿服务 {n} 场活动"),
    "referrals": ("refer {n} more friend(s)", "再推荐 {n} 位好友"),
    "converted_referrals": ("refer {n} more friend(s) who order", "再推荐 {n} 位好友下订"),
}
_HAVE_TEXT: dict[str, tuple[str, str]] = {
    "posts": ("{n} posts", "{n} 篇帖子"),
    "events_attended": ("{n} events attended", "参加 {n} 场活动"),
    "events_led": ("{n} events organised/volunteered", "组织或志愿服务 {n} 场活动"),
    "referrals": ("{n} referrals", "推荐 {n} 人"),
    "converted_referrals": ("{n} converted referrals", "成交推荐 {n} 人"),
}
COUNT_COLUMNS: tuple[str, ...] = tuple(_CONDITION_TEXT)

_LED_ROLES = ("organizer", "host", "volunteer")


# ---------------------------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------------------------
def owner_positions(community: Any, ids: pd.Series) -> np.ndarray:
    """Positions of ``ids`` in ``community.owner_ids`` (-1 for unknown ids).

    A column of the community's tables (a categorical over the owner ids) is mapped through
    its categorical codes (:meth:`graphcrm.community.Community.index_of`), without hashing a
    string per row; other ids go through the community's owner index, built once.
    """
    if isinstance(ids, pd.Series) and isinstance(ids.dtype, pd.CategoricalDtype) and hasattr(community, "index_of"):
        return np.asarray(community.index_of(ids), dtype=np.int64)
    index = community.memo("owner_index", {}, lambda: pd.Index(np.asarray(community.owner_ids, dtype=object)))
    return index.get_indexer(pd.Series(ids, dtype=object).to_numpy())


def _positions_in(index: pd.Index, values: pd.Series) -> np.ndarray:
    """Positions of ``values`` in ``index`` (-1 where absent); a categorical column is looked up
    once per category, not once per row."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        m = index.get_indexer(values.cat.categories.astype(str).to_numpy(dtype=object))
        c = values.cat.codes.to_numpy().astype(np.int64)
        return np.where(c >= 0, m[np.maximum(c, 0)], -1) if len(m) else np.full(len(c), -1, dtype=np.int64)
    return index.get_indexer(values.astype(str).to_numpy(dtype=object))


def _attendance_with_time(community: Any, attendance: pd.DataFrame | None = None) -> pd.DataFrame:
    """Checked-in attendance rows with their event's ``starts_at``."""
    att = community.tables["attendance"] if attendance is None else attendance
    events = community.tables["events"][["event_id", "starts_at"]]
    att = att[att["checked_in"].astype(bool)]
    return att.merge(events, on="event_id", how="inner")


def activity_log(community: Any, *, attendance: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per dated activity OF an owner (what the owner did, not what they received).

    Parameters
    ----------
    community : Community
        The community snapshot.
    attendance : DataFrame, optional
        Use this attendance table instead of the community's (e.g. with masked roles).

    Returns
    -------
    DataFrame
        Columns ``pos`` (int, position in ``community.owner_ids``), ``at`` (datetime64) and
        ``kind`` (a categorical over :data:`ACTIVITY_KINDS`: ``post``, ``interaction``,
        ``event``, ``referral``, in that order); events count only when checked in.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> c = Community.from_frames({
    ...     "owners": pd.DataFrame({"owner_id": ["a", "b"]}),
    ...     "posts": pd.DataFrame({"post_id": ["p"], "author_id": ["a"], "created_at": ["2024-05-01"]})})
    >>> activity_log(c)[["pos", "kind"]].values.tolist()
    [[0, 'post']]
    """
    if attendance is None and hasattr(community, "memo"):
        # built once per community (movement's two periods, the lapsed owners of targets and the
        # cohorts all read it); the cache hands out a copy
        return community.memo("activity_log", {}, lambda: _activity_log(community, None))
    return _activity_log(community, attendance)


#: the kinds of :func:`activity_log` rows, the categories of its ``kind`` column in this order
ACTIVITY_KINDS = ("post", "interaction", "event", "referral")


def _activity_log(community: Any, attendance: pd.DataFrame | None) -> pd.DataFrame:
    t = community.tables
    att = _attendance_with_time(community, attendance)
    # the kind as one byte per row (a categorical), not a string per row: at a million owners
    # the log has 25M rows, and each reader compared the kind text row by row
    parts = [
        pd.DataFrame({"pos": owner_positions(community, t["posts"]["author_id"]),
                      "at": t["posts"]["created_at"].to_numpy(), "code": np.int8(0)}),
        pd.DataFrame({"pos": owner_positions(community, t["interactions"]["owner_id"]),
                      "at": t["interactions"]["created_at"].to_numpy(), "code": np.int8(1)}),
        pd.DataFrame({"pos": owner_positions(community, att["owner_id"]),
                      "at": att["starts_at"].to_numpy(), "code": np.int8(2)}),
        pd.DataFrame({"pos": owner_positions(community, t["referrals"]["referrer_id"]),
                      "at": t["referrals"]["referred_at"].to_numpy(), "code": np.int8(3)}),
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({"pos": pd.Series([], dtype=np.int64),
                             "at": pd.Series([], dtype="datetime64[ns]"),
                             "kind": pd.Categorical.from_codes(np.array([], np.int8), categories=list(ACTIVITY_KINDS))})
    log = pd.concat(parts, ignore_index=True)
    log = log[(log["pos"] >= 0) & log["at"].notna()]
    log = pd.DataFrame({"pos": log["pos"].to_numpy(), "at": log["at"].astype("datetime64[ns]").to_numpy(),
                        "kind": pd.Categorical.from_codes(log["code"].to_numpy(np.int8),
                                                          categories=list(ACTIVITY_KINDS))})
    return log


def kind_codes(log: pd.DataFrame) -> np.ndarray:
    """The ``kind`` column of an :func:`activity_log` as its codes: position in
    :data:`ACTIVITY_KINDS` (-1: another kind), one byte per row, no string compared per row."""
    kind = log["kind"]
    if isinstance(kind.dtype, pd.CategoricalDtype) and tuple(kind.cat.categories) == ACTIVITY_KINDS:
        return kind.cat.codes.to_numpy()
    return pd.Index(ACTIVITY_KINDS).get_indexer(kind.astype(object).to_numpy()).astype(np.int8)


def _decay(at: pd.Series | np.ndarray, as_of: pd.Timestamp, half_life_days: float | None) -> np.ndarray:
    at = pd.to_datetime(pd.Series(at)).astype("datetime64[ns]")
    if half_life_days is None:
        return np.ones(len(at))
    if half_life_days <= 0:
        raise ConfigError(f"half_life_days must be positive or None, got {half_life_days!r}")
    age = (pd.Timestamp(as_of) - at).dt.total_seconds().to_numpy() / 86400.0
    age = np.clip(np.nan_to_num(age, nan=0.0), 0.0, None)
    return 0.5 ** (age / float(half_life_days))


def _per_kind(community: Any, half_life_days: float | None) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Raw counts and decayed counts per points key, as arrays in owner order (computed once
    per community and half-life)."""
    return community.memo("activity_per_kind", {"half_life_days": half_life_days},
                          lambda: _per_kind_uncached(community, half_life_days))


def _per_kind_uncached(community: Any, half_life_days: float | None) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    n = len(community.owner_ids)
    rows = community.memo("activity_rows", {}, lambda: _kind_rows(community))
    raw: dict[str, np.ndarray] = {}
    dec: dict[str, np.ndarray] = {}
    for key, (pos, at, _) in rows.items():
        raw[key] = np.bincount(pos, minlength=n).astype(float)
        if half_life_days is None:  # weights of 1.0: the same sums (whole numbers) as the counts
            dec[key] = raw[key].copy()
            continue
        w = _decay(at, community.as_of, half_life_days)
        dec[key] = np.bincount(pos, weights=w, minlength=n)
    return raw, dec


def _kind_rows(community: Any) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    """Per points key, the owner position and the time (datetime64[ns]) of each activity row of a
    known owner, in row order: what :func:`_per_kind` counts and decays for any half-life (built
    once per community; the arrays are shared, never changed).  The third array is, for
    ``engagement_received``, the creation time of the post engaged with (what
    :func:`levels_at` needs to leave out engagement on posts created after a cut-off; ``None``
    for the other keys, and for engagement when post ids are not unique)."""
    t = community.tables
    rows: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None]] = {}

    def add(key: str, pos: np.ndarray, at, post_at=None) -> None:
        ok = pos >= 0
        when = pd.to_datetime(pd.Series(at)).astype("datetime64[ns]").to_numpy()
        extra = None if post_at is None else pd.to_datetime(pd.Series(post_at)).astype("datetime64[ns]").to_numpy()[ok]
        rows[key] = (pos[ok], when[ok], extra)

    posts = t["posts"]
    add("post", owner_positions(community, posts["author_id"]), posts["created_at"])

    # engagement received: the author of each interaction's post, by positions (the post's author
    # looked up once per post, the interaction's post through an index over post ids), not by a
    # merge on string columns; interactions on unknown posts and on one's own posts are left out
    inter = t["interactions"]
    author = owner_positions(community, posts["author_id"])
    post_ix = pd.Index(posts["post_id"].astype(str).to_numpy(dtype=object))
    if post_ix.is_unique:
        at_post = _positions_in(post_ix, inter["post_id"])
        known = at_post >= 0
        a_pos = np.where(known, author[np.maximum(at_post, 0)], -1)
        own = owner_positions(community, inter["owner_id"])
        same = (own == a_pos) & (own >= 0)
        keep = known & ~same
        post_at = posts["created_at"].to_numpy()[at_post[keep]]
        add("engagement_received", a_pos[keep], inter["created_at"].to_numpy()[keep], post_at)
    else:  # duplicate post ids (not a valid store): the merge's semantics, one row per match
        m = inter.merge(posts[["post_id", "author_id"]], on="post_id", how="inner")
        m = m[m["owner_id"].astype(object) != m["author_id"].astype(object)]
        add("engagement_received", owner_positions(community, m["author_id"]), m["created_at"])

    att = _attendance_with_time(community)
    role = att["role"].astype(str)
    for key, mask in (
        ("event_attended", role == "attendee"),
        ("event_organised", role.isin(["organizer", "host"])),
        ("volunteering", role == "volunteer"),
    ):
        sub = att[mask.to_numpy()]
        add(key, owner_positions(community, sub["owner_id"]), sub["starts_at"])

    ref = t["referrals"]
    for stage in REFERRAL_STAGES:
        sub = ref[ref["stage"].astype(str) == stage]
        add(f"referral_{stage}", owner_positions(community, sub["referrer_id"]), sub["referred_at"])
    return rows


def _sort_desc(out: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``out`` sorted by the numeric ``keys`` descending, then ``owner_id`` ascending.

    Rows in owner order (ids ascending, as :attr:`Community.owner_ids`) need no string sort: a
    stable sort on the keys keeps tied rows in id order.  Otherwise (checked, one comparison per
    row) pandas sorts by the keys and the ids.
    """
    ids = out["owner_id"].to_numpy(dtype=object)
    if len(ids) < 2 or bool((ids[1:] > ids[:-1]).all()):
        cols = [-out[k].to_numpy(dtype=float) for k in reversed(keys)]  # np.lexsort: last key first, stable
        return out.iloc[np.lexsort(cols)]
    return out.sort_values([*keys, "owner_id"], ascending=[False] * len(keys) + [True], kind="mergesort")


def _check_points(points: Mapping[str, float] | None) -> dict[str, float]:
    table = dict(DEFAULT_POINTS)
    if points:
        unknown = sorted(set(points) - set(DEFAULT_POINTS))
        if unknown:
            raise ConfigError(
                f"unknown points key(s) {', '.join(unknown)}; the keys are {', '.join(DEFAULT_POINTS)}"
            )
        for k, v in points.items():
            try:
                table[k] = float(v)
            except (TypeError, ValueError):
                raise ConfigError(f"points[{k!r}] must be a number, got {v!r}") from None
    return table


# ---------------------------------------------------------------------------------------------
# contribution
# ---------------------------------------------------------------------------------------------
_POINTS_MEANING = {
    "post": "posts written",
    "engagement_received": "likes, favorites, comments, replies and shares by other owners on their posts",
    "event_attended": "events attended (checked in) as an attendee",
    "event_organised": "events organised or hosted",
    "volunteering": "events where they volunteered",
    "referral_lead": "referrals still at the lead stage",
    "referral_test_drive": "referrals that reached a test drive",
    "referral_order": "referrals that ordered",
    "referral_delivered": "referrals that took delivery",
}


@dataclass(frozen=True)
class ContributionDetails:
    """What :func:`contribution` computed with.

    Attributes
    ----------
    points : dict of str to float
        The points table used (:data:`DEFAULT_POINTS` with the overrides applied), points per
        unit of each activity kind.
    half_life_days : float or None
        Half-life of the time decay in days (None: no decay).
    """

    points: dict[str, float]
    half_life_days: float | None


CONTRIBUTION = ResultSpec(
    "contribution",
    key=("owner_id",),
    columns=(
        Col("owner_id", "str", "", "the owner"),
        Col("contribution", "float", "points", "total contribution points, recent activity counting more"),
        *(Col(f"points_{k}", "float", "points", f"points earned from {m} (time-decayed)")
          for k, m in _POINTS_MEANING.items()),
    ),
    sort=(("contribution", False), ("owner_id", True)),
    reason=None,
    details=ContributionDetails,
    description="contribution points per owner by activity kind, time-decayed (staff included)",
)


@analysis(CONTRIBUTION)
def contribution(
    community: Any,
    *,
    points: Mapping[str, float] | None = None,
    half_life_days: float | None = 180,
) -> pd.DataFrame:
    """Contribution points per owner by activity kind, time-decayed.

    Each unit of activity earns the points of its kind from the points table
    (:data:`DEFAULT_POINTS`, overridable per key), multiplied by
    ``0.5 ** (age_days / half_life_days)`` where the age is measured at ``community.as_of``:
    with the default half-life of 180 days, what an owner did six months ago counts half.

    Defaults: post 5; engagement received 1 per like/favorite/comment/reply/share by another
    owner on the owner's posts; event attended 10; event organised or hosted 60; volunteering
    at an event 40; referral by the stage it reached: lead 5, test drive 20, order 80,
    delivered 120.  Events count only when checked in.

    Parameters
    ----------
    community : Community
        The community snapshot (its window applies).
    points : mapping, optional
        Points per key, overriding :data:`DEFAULT_POINTS` for the keys given.
    half_life_days : float or None, default 180
        Half-life of the time decay in days; ``None`` disables decay.

    Returns
    -------
    DataFrame
        One row per owner (staff included), sorted by ``contribution`` desc then ``owner_id``:
        ``owner_id``; ``contribution`` (total points); and one column per points key,
        ``points_post``, ``points_engagement_received``, ``points_event_attended``,
        ``points_event_organised``, ``points_volunteering``, ``points_referral_lead``,
        ``points_referral_test_drive``, ``points_referral_order``,
        ``points_referral_delivered`` (points earned from that kind, decayed).
        With ``details=True``: ``(table, ContributionDetails)``, the points table used and
        the half-life.

    Raises
    ------
    ConfigError
        Unknown points key, non-numeric points, or a non-positive half-life.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> c = Community.from_frames({
    ...     "owners": pd.DataFrame({"owner_id": ["a", "b"]}),
    ...     "posts": pd.DataFrame({"post_id": ["p1", "p2"], "author_id": ["a", "a"],
    ...                            "created_at": ["2024-01-01", "2024-06-29"]})})
    >>> contribution(c)[["owner_id", "contribution"]].values.tolist()  # 5 * 0.5 + 5 (180 days)
    [['a', 7.5], ['b', 0.0]]
    >>> table, info = contribution(c, points={"post": 2}, half_life_days=None, details=True)
    >>> table["contribution"].tolist(), info.points["post"]
    ([4.0, 0.0], 2.0)
    """
    table = _check_points(points)
    if half_life_days is not None:
        _decay(pd.Series([], dtype="datetime64[ns]"), community.as_of, half_life_days)
    _, dec = _per_kind(community, half_life_days)
    out = pd.DataFrame({"owner_id": np.asarray(community.owner_ids, dtype=object)})
    total = np.zeros(len(out))
    cols = {}
    for key, pts in table.items():
        cols[f"points_{key}"] = dec[key] * pts
        total += cols[f"points_{key}"]
    out["contribution"] = np.round(total, 6)
    for c, v in cols.items():
        out[c] = np.round(v, 6)
    out = _sort_desc(out, ["contribution"])
    return out.reset_index(drop=True), ContributionDetails(points=table, half_life_days=half_life_days)


def activity_counts(community: Any, *, _raw: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Undecayed counts used by level conditions, one row per owner in owner order.

    Returns
    -------
    DataFrame
        ``owner_id``, ``posts``, ``events_attended`` (checked in, any role), ``events_led``
        (organizer, host or volunteer), ``referrals`` (any stage), ``converted_referrals``.
    """
    raw = _raw if _raw is not None else _per_kind(community, None)[0]
    out = pd.DataFrame({"owner_id": np.asarray(community.owner_ids, dtype=object)})
    out["posts"] = raw["post"].astype(np.int64)
    out["events_attended"] = (raw["event_attended"] + raw["event_organised"] + raw["volunteering"]).astype(np.int64)
    out["events_led"] = (raw["event_organised"] + raw["volunteering"]).astype(np.int64)
    out["referrals"] = sum(raw[f"referral_{s}"] for s in REFERRAL_STAGES).astype(np.int64)
    out["converted_referrals"] = sum(raw[f"referral_{s}"] for s in CONVERTED_STAGES).astype(np.int64)
    return out


# ---------------------------------------------------------------------------------------------
# levels
# ---------------------------------------------------------------------------------------------
def _check_levels(thresholds: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    levels = [dict(x) for x in (DEFAULT_LEVELS if thresholds is None else thresholds)]
    if not levels:
        raise ConfigError("thresholds must name at least one level")
    prev = -np.inf
    seen = set()
    for lv in levels:
        name = lv.get("level")
        if not isinstance(name, str) or not name:
            raise ConfigError("every level needs a non-empty 'level' name")
        if name in seen:
            raise ConfigError(f"level {name!r} appears twice")
        seen.add(name)
        lv.setdefault("en", name)
        lv.setdefault("zh", lv["en"])
        try:
            lv["points"] = float(lv.get("points", 0))
        except (TypeError, ValueError):
            raise ConfigError(f"level {name!r}: points must be a number") from None
        if lv["points"] < prev:
            raise ConfigError(f"level {name!r}: points must not decrease along the ladder")
        prev = lv["points"]
        for part in ("all", "any"):
            cond = dict(lv.get(part) or {})
            bad = sorted(set(cond) - set(COUNT_COLUMNS))
            if bad:
                raise ConfigError(
                    f"level {name!r}: unknown condition(s) {', '.join(bad)}; use {', '.join(COUNT_COLUMNS)}"
                )
            lv[part] = {k: int(v) for k, v in cond.items()}
        extra = sorted(set(lv) - {"level", "en", "zh", "points", "all", "any"})
        if extra:
            raise ConfigError(f"level {name!r}: unknown field(s) {', '.join(extra)}")
    return levels


def _meets(lv: Mapping[str, Any], contrib: np.ndarray, counts: pd.DataFrame) -> np.ndarray:
    ok = contrib >= lv["points"] - 1e-9
    for k, v in lv["all"].items():
        ok &= counts[k].to_numpy() >= v
    if lv["any"]:
        anyok = np.zeros(len(contrib), dtype=bool)
        for k, v in lv["any"].items():
            anyok |= counts[k].to_numpy() >= v
        ok &= anyok
    return ok


@dataclass(frozen=True)
class LevelsDetails:
    """The ladder :func:`owner_levels` used.

    Attributes
    ----------
    levels : tuple of dict
        The levels lowest first (``level_rank`` is the position), each normalised to
        ``{"level": key, "en": name, "zh": name, "points": float, "all": {count: min},
        "any": {count: min}}`` (see :data:`DEFAULT_LEVELS`).
    """

    levels: tuple[dict[str, Any], ...]


OWNER_LEVELS = ResultSpec(
    "owner_levels",
    key=("owner_id",),
    columns=(
        Col("owner_id", "str", "", "the owner"),
        Col("level", "str", "", "relationship level (key, e.g. fan)"),
        Col("level_name", "str", "", "the level's name in the report language"),
        Col("level_rank", "int", "rank", "position of the level on the ladder (0 = lowest)"),
        Col("contribution", "float", "points", "contribution points (time-decayed) the level is based on"),
        Col("posts", "int", "posts", "posts written (not decayed)"),
        Col("events_attended", "int", "events", "events attended, checked in, any role"),
        Col("events_led", "int", "events", "events organised, hosted or volunteered at"),
        Col("referrals", "int", "referrals", "friends referred, any stage"),
        Col("converted_referrals", "int", "referrals", "referred friends who ordered or took delivery"),
        Col("next_level", "str", "", "the next level up (empty at the top)"),
        Col("points_to_next", "float", "points", "points still missing for the next level (0 if enough)"),
        Col("next_step", "str", "", "what to do to reach the next level"),
        Col("reason", "str", "", "why the owner has this level"),
    ),
    sort=(("level_rank", False), ("contribution", False), ("owner_id", True)),
    depends=("contribution",),
    details=LevelsDetails,
    description="relationship level of every non-staff owner from fixed thresholds",
)


@analysis(OWNER_LEVELS)
def owner_levels(
    community: Any,
    *,
    thresholds: Sequence[Mapping[str, Any]] | None = None,
    points: Mapping[str, float] | None = None,
    half_life_days: float | None = 180,
    lang: str = "en",
) -> pd.DataFrame:
    """Relationship level of every (non-staff) owner, with what they need for the next one.

    Levels come from FIXED thresholds on the decayed :func:`contribution` plus concrete
    conditions, never from percentiles (a percentile level is a quota that can stay full and
    shut out a deserving member; a fixed threshold tells each owner exactly what to do).
    Defaults (:data:`DEFAULT_LEVELS`), a ladder where each level also requires the lower ones:

    ==========  ==========  =======  ======================================================
    level       zh          points   condition
    ==========  ==========  =======  ======================================================
    buyer       车主         0        -
    member      会员         20       -
    fan         粉丝         80       -
    advocate    推荐官       200      1 converted referral OR 1 event organised/volunteered
    companion   伙伴         300      1 converted referral AND 2 events organised/volunteered
    ==========  ==========  =======  ======================================================

    Parameters
    ----------
    community : Community
        The community snapshot.
    thresholds : sequence of mappings, optional
        Levels lowest first, each ``{"level": str, "en": str, "zh": str, "points": float,
        "all": {count: min}, "any": {count: min}}`` (see :data:`DEFAULT_LEVELS`; counts are
        ``posts``, ``events_attended``, ``events_led``, ``referrals``, ``converted_referrals``).
    points : mapping, optional
        Points table overrides passed to :func:`contribution`.
    half_life_days : float or None, default 180
        Passed to :func:`contribution`.  Levels follow recent contribution; ``None`` makes
        them permanent.
    lang : {"en", "zh"}
        Language of ``level_name``, ``next_step`` and ``reason``.

    Returns
    -------
    DataFrame
        One row per non-staff owner, sorted by ``level_rank`` desc, ``contribution`` desc,
        ``owner_id``: ``owner_id``; ``level`` (key, e.g. ``"fan"``); ``level_name`` (in
        ``lang``); ``level_rank`` (0 = lowest); ``contribution`` (decayed points);
        ``posts``, ``events_attended``, ``events_led``, ``referrals``,
        ``converted_referrals`` (undecayed counts); ``next_level`` (key, empty at the top);
        ``points_to_next`` (points missing, 0 if enough); ``next_step`` (what to do to reach
        the next level); ``reason`` (why this level).  With ``details=True``:
        ``(table, LevelsDetails)``, the ladder used.

    Raises
    ------
    ConfigError
        Malformed thresholds or points, or an unknown ``lang``.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> c = Community.from_frames({
    ...     "owners": pd.DataFrame({"owner_id": ["a"]}),
    ...     "posts": pd.DataFrame({"post_id": ["p1", "p2"], "author_id": ["a", "a"],
    ...                            "created_at": ["2024-01-01", "2024-01-02"]})})
    >>> owner_levels(c, half_life_days=None)[["level", "next_step"]].values.tolist()
    [['buyer', 'to reach Member: earn 10 more points']]
    >>> owner_levels(c, half_life_days=None, lang="zh")["next_step"].tolist()
    ['升级到会员：再获得 10 积分']
    """
    lang = check_lang(lang)
    levels = _check_levels(thresholds)
    counts = activity_counts(community)  # owner order
    points_table = contribution(community, points=points, half_life_days=half_life_days)
    contrib = (points_table.set_index("owner_id")["contribution"]
               .reindex(np.asarray(community.owner_ids, dtype=object)).to_numpy(float))
    rank = _level_ranks(levels, contrib, counts)

    out = counts.copy()
    out.insert(1, "contribution", np.round(contrib, 2))
    out.insert(1, "level_rank", rank)
    out.insert(1, "level_name", [levels[r][lang] for r in rank])
    out.insert(1, "level", [levels[r]["level"] for r in rank])
    cnt = {k: out[k].to_numpy() for k in COUNT_COLUMNS}
    nxt_key, missing_pts, steps = _next_steps(levels, rank, contrib, cnt, lang)
    out["next_level"] = nxt_key
    out["points_to_next"] = missing_pts
    out["next_step"] = steps
    out["reason"] = _level_reasons(contrib, cnt, lang)

    owners = community.owners.set_index("owner_id")
    staff = owners["is_staff"].reindex(out["owner_id"]).fillna(False).astype(bool).to_numpy()
    out = _sort_desc(out[~staff], ["level_rank", "contribution"]).reset_index(drop=True)
    return out, LevelsDetails(levels=tuple(levels))


def _level_ranks(levels: list[dict[str, Any]], contrib: np.ndarray, counts: pd.DataFrame) -> np.ndarray:
    """Per owner the highest level whose requirements it meets together with every lower one's.
    Owners below the lowest level (if the first level has requirements) get rank 0 anyway: the
    first level is the entry level of the ladder."""
    rank = np.full(len(counts), -1, dtype=np.int64)
    ok_so_far = np.ones(len(counts), dtype=bool)
    for i, lv in enumerate(levels):
        ok_so_far &= _meets(lv, contrib, counts)
        rank[ok_so_far] = i
    return np.maximum(rank, 0)


def levels_at(
    community: Any,
    dates: Sequence[Any],
    *,
    thresholds: Sequence[Mapping[str, Any]] | None = None,
    points: Mapping[str, float] | None = None,
    half_life_days: float | None = 180,
) -> dict[pd.Timestamp, tuple[np.ndarray, np.ndarray]] | None:
    """Level rank and contribution of every owner at earlier cut-off dates, in one pass over the
    community's activity rows.

    At a date ``t`` the values are those :func:`owner_levels` gives on the community as known at
    ``t`` (owners who joined after ``t`` left out; posts, interactions, referrals and events
    dated after ``t`` or undated left out, with the attendance of those events and the
    engagement on those posts; decay measured at ``t``), bit for bit: the same activity rows are
    counted in the same order.  They are taken from the rows the community already holds
    (:func:`contribution`'s, built once) instead of building a community per date and its
    activity rows (what grace checkpoints of :mod:`graphcrm.algorithms.movement` need).

    Parameters
    ----------
    community : Community
        The community snapshot.
    dates : sequence of date-likes
        The cut-off dates.
    thresholds, points, half_life_days
        As in :func:`owner_levels`.

    Returns
    -------
    dict or None
        date (Timestamp) -> ``(level_rank, contribution)``, two arrays over
        ``community.owner_ids``: the level rank (0 = lowest; -1 for staff and for owners who had
        not joined by that date: the owners :func:`owner_levels` does not list) and the decayed
        contribution in points, rounded to 2 decimals as in :func:`owner_levels` (NaN where the
        rank is -1).  ``None`` when the community's post ids are not unique (then
        only a community per date reproduces :func:`owner_levels`' merge).

    Raises
    ------
    ConfigError
        Malformed thresholds or points, or a non-positive half-life.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> c = Community.from_frames({
    ...     "owners": pd.DataFrame({"owner_id": ["a"]}),
    ...     "posts": pd.DataFrame({"post_id": [f"p{i}" for i in range(5)], "author_id": "a",
    ...                            "created_at": pd.date_range("2024-01-01", periods=5, freq="D")})})
    >>> at = levels_at(c, ["2024-01-02", "2024-01-05"], half_life_days=None)
    >>> [(int(r[0]), float(p[0])) for r, p in at.values()]
    [(0, 10.0), (1, 25.0)]
    """
    levels = _check_levels(thresholds)
    table = _check_points(points)
    if half_life_days is not None:
        _decay(pd.Series([], dtype="datetime64[ns]"), community.as_of, half_life_days)
    rows = community.memo("activity_rows", {}, lambda: _kind_rows(community))
    if rows["engagement_received"][2] is None:
        return None
    n = len(community.owner_ids)
    owners = community.owners
    staff = owners["is_staff"].fillna(False).astype(bool).to_numpy()
    out: dict[pd.Timestamp, tuple[np.ndarray, np.ndarray]] = {}
    for d in dates:
        t = pd.Timestamp(d)
        t64 = np.datetime64(t.to_datetime64(), "ns")
        member = ~(owners["joined_at"] > t).fillna(False).to_numpy(dtype=bool)
        raw: dict[str, np.ndarray] = {}
        dec: dict[str, np.ndarray] = {}
        for key, (pos, at, post_at) in rows.items():
            m = (at <= t64) & member[pos]  # NaT compares false: undated rows are left out, as in a cut
            if post_at is not None:
                m &= post_at <= t64
            p, a = pos[m], at[m]
            raw[key] = np.bincount(p, minlength=n).astype(float)
            if half_life_days is None:
                dec[key] = raw[key].copy()
            else:
                dec[key] = np.bincount(p, weights=_decay(a, t, half_life_days), minlength=n)
        total = np.zeros(n)
        for key, pts in table.items():  # contribution()'s sum, in its order
            total += dec[key] * pts
        contrib = np.round(total, 6)
        rank = _level_ranks(levels, contrib, activity_counts(community, _raw=raw))
        listed = member & ~staff  # the rows of owner_levels' table at t
        out[t] = (np.where(listed, rank, -1), np.where(listed, np.round(contrib, 2), np.nan))
    return out


def _level_reasons(contrib: np.ndarray, cnt: dict[str, np.ndarray], lang: str) -> np.ndarray:
    """``"<points>; <count> <what>; ..."`` per owner, built column-wise (object arrays
    concatenate in C)."""
    zh = lang == "zh"
    li = 1 if zh else 0
    sep = "，" if zh else "; "
    reasons = np.array([f"{x:,.0f} 积分" if zh else f"{x:,.0f} points" for x in contrib.tolist()], dtype=object)
    for k in COUNT_COLUMNS:
        if k == "referrals":
            continue
        v = cnt[k]
        tmpl = _HAVE_TEXT[k][li]
        part = np.full(len(v), "", dtype=object)
        nz = np.flatnonzero(v > 0)
        part[nz] = [sep + tmpl.format(n=n) for n in v[nz].tolist()]
        reasons = reasons + part
    return reasons


def _next_steps(levels: list[dict[str, Any]], rank: np.ndarray, contrib: np.ndarray, cnt: dict[str, np.ndarray],
                lang: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per owner the next level's key ("" at the top), the points still missing for it and what
    to do, in words.  Everything the text depends on is (rank, missing points, counts short of a
    condition), so texts are built once per distinct combination."""
    top = rank + 1 >= len(levels)
    nxt = np.minimum(rank + 1, len(levels) - 1)
    need_pts = np.array([lv["points"] for lv in levels])[nxt]
    gap = np.where(top, 0.0, np.maximum(need_pts - contrib, 0.0))
    missing_pts = np.where(gap > 1e-9, np.ceil(gap - 1e-9), 0.0)
    cond_keys = sorted({k for lv in levels for part in ("all", "any") for k in lv[part]})
    key_cols = [rank, missing_pts.astype(np.int64)] + [np.minimum(cnt[k], 1 << 30) for k in cond_keys]
    # the distinct combinations through one int64 key (codes of each column in mixed radix) where
    # it fits, instead of a row-wise unique; the texts are the same whatever the combos' order
    codes, uniq = zip(*[(inv.ravel(), u) for u, inv in (np.unique(c, return_inverse=True) for c in key_cols)])
    sizes = [len(u) for u in uniq]
    if float(np.prod([max(z, 1) for z in sizes], dtype=float)) < 2.0**62:
        key = np.zeros(len(rank), dtype=np.int64)
        for c, z in zip(codes, sizes):
            key = key * z + c
        _, at, inverse = np.unique(key, return_index=True, return_inverse=True)
        combos = np.column_stack([col[at] for col in key_cols]) if len(at) else np.zeros((0, len(key_cols)), np.int64)
    else:
        combos, inverse = np.unique(np.column_stack(key_cols), axis=0, return_inverse=True)
    texts = [_next_step_text(levels, row[0], row[1], dict(zip(cond_keys, row[2:])), lang) for row in combos.tolist()]
    steps = np.asarray(texts, dtype=object)[inverse.ravel()]
    nxt_key = np.where(top, "", np.array([lv["level"] for lv in levels], dtype=object)[nxt])
    return nxt_key, missing_pts, steps


def _next_step_text(levels: list[dict[str, Any]], r: int, pts_missing: int, have: dict[str, int], lang: str) -> str:
    """What an owner at level ``r``, ``pts_missing`` points and ``have`` counts short, does next."""
    zh = lang == "zh"
    li = 1 if zh else 0
    if r + 1 >= len(levels):
        return "已是最高等级" if zh else "top level reached"
    lv = levels[r + 1]
    todo: list[str] = []
    if pts_missing > 0:
        todo.append(f"再获得 {pts_missing:,} 积分" if zh else f"earn {pts_missing:,} more points")
    for k, v in lv["all"].items():
        if have[k] < v:
            todo.append(_CONDITION_TEXT[k][li].format(n=v - have[k]))
    if lv["any"] and not any(have[k] >= v for k, v in lv["any"].items()):
        opts = [_CONDITION_TEXT[k][li].format(n=v - have[k]) for k, v in lv["any"].items()]
        todo.append(("或".join(opts)) if zh else "either " + " or ".join(opts))
    head = f"升级到{lv['zh']}：" if zh else f"to reach {lv['en']}: "
    return head + join(todo, lang) if todo else head + ("条件已满足" if zh else "requirements met")
