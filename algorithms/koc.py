"""KOC (key opinion consumer) ranking: who moves other owners, with anti-gaming rules.

Components (each its own output column)
---------------------------------------
``reach``
    Distinct owners who engaged with the owner's posts (self-engagement never counts).
``engagement``
    Engagement received: each interaction weighs its kind (default like 1, favorite 2,
    comment 3, reply 3, share 5, as in :data:`graphcrm.projections.DEFAULT_KIND_WEIGHTS`) times
    ``0.5 ** (age / half_life_days)`` (default half-life 90 days, "now" = ``community.as_of``),
    after the closed-group discount below.
``authority``
    Weighted PageRank (damping 0.85) on the engager → author projection, i.e. being engaged by
    owners who are themselves engaged; reported as a multiple of the average (1.0 = average).
    The closed-group discount also applies here: the discounted part of an engager's weight
    flows to a sink vertex (and from there teleports uniformly) instead of to the author, so a
    ring cannot trap PageRank by engaging only with itself.
``conversion``
    Multi-level referral credit from :func:`graphcrm.algorithms.referrals.referral_attribution`
    on the cleaned referral forest (converted referrals only; direct 1.0, second level 0.5,
    third 0.25 by default).
``bridging``
    How many different circles (the partition of :func:`graphcrm.algorithms.circles.circles`, read
    through :func:`~graphcrm.algorithms.circles.circle_ids`: no circles table is built) the owner's
    independent engagers come from (``bridging="count"``), or the effective number of circles
    ``exp(entropy)`` of that audience (``bridging="entropy"``).

Anti-gaming (in the spirit of Discourse trust levels)
-----------------------------------------------------
* **Closed groups.**  An engagement pair e → a is *mutual* when a also engages with e.  Two
  numbers say whether a mutual pair sits inside a small closed group:

  - c(e), the engager's *closedness*: the share of e's engagement weight that goes to owners
    who engage e back;
  - g(e, a), the *closure* of the group around the pair: (mutual partners e and a share + 1)
    over the larger of their numbers of mutual partners, i.e. how much of the two owners'
    mutual circles is one and the same group; 0 when either has more than ``max_group_size``
    (default 50) mutual partners (not a *small* group).

  A like ring (members engaging only with each other) has c = g = 1 on every pair, and so does
  a pair of owners who only ever engage each other.  Mutual conversations are not a ring:
  someone who trades comments with ten owners who do not engage each other has g = 1/10 on
  each of those pairs (in both directions); most fans of a KOC are not mutual at all.  Each mutual pair is discounted by
  ``closed_group_discount * c(e) * g(e, a)`` (default discount 0.9), so the engagement, the
  reach count and the PageRank flow of a pure ring keep a tenth of their weight.  The
  common-partner count runs over the undirected mutual graph with sorted adjacency lists and
  stops at ``max_group_size`` partners, so it is linear in the number of pairs.
  ``closed_group_share`` reports the discounted share of an owner's engagement.
* **Diversity gate.**  Engagement-based components (reach, engagement, authority, bridging) count
  in the score only when the owner has at least ``min_distinct_engagers`` (default 3)
  *independent* engagers (reach after the discount) on at least ``min_distinct_days``
  (default 2) distinct days; otherwise ``qualified`` is False.  Referral conversions still count.
* **Staff** are left out of the ranking by default (their engagement of others still counts).

Combining
---------
Each component x is log-scaled and normalised to [0, 1] over the ranked owners:
``log1p(x) / log1p(max x)``.  Log scaling because all five are heavy-tailed (a few owners have
orders of magnitude more reach than the median), so a linear max-normalisation would zero out
everyone but the top handful, while percentile ranks would erase the gap between a top-1% and
a top-0.1% owner, which is exactly the KOC distinction.  The score is ``100 * sum_c W_c n_c /
sum_c W_c`` with default weights :data:`DEFAULT_WEIGHTS`:

* reach 0.30: distinct people reached is the core of "opinion leader" and the hardest to fake;
* engagement 0.25: depth of that reach (comments and shares over one-tap likes);
* authority 0.20: second-order reach, being engaged by the engaged;
* conversion 0.15: the business outcome; sparse (most owners refer nobody), and rewarded in
  full by the referral lists, so it refines rather than dominates the KOC ranking;
* bridging 0.10: spreading across circles; a tie-breaker between owners of similar reach.

Cost: one pass over interactions (group-bys and sorted-key look-ups), one PageRank, the
cached circles partition and the linear referral forest: linear in owners + interactions.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import igraph as ig
import numba
import numpy as np
import pandas as pd

from graphcrm.arrays import unique_sorted
from graphcrm.errors import ConfigError
from graphcrm.i18n import check_lang, join, pick
from graphcrm.projections import authors_of, interaction_weights, post_rows_of
from graphcrm.results import Col, ResultSpec, analysis

if TYPE_CHECKING:  # pragma: no cover
    from graphcrm.community import Community

__all__ = ["kocs", "engagement_pairs", "DEFAULT_WEIGHTS", "COMPONENTS", "KOCS"]

COMPONENTS = ("reach", "engagement", "authority", "conversion", "bridging")
#: default component weights (see the module docstring for the reasoning)
DEFAULT_WEIGHTS: dict[str, float] = {
    "reach": 0.30, "engagement": 0.25, "authority": 0.20, "conversion": 0.15, "bridging": 0.10,
}


def _pl(n: float, word: str) -> str:
    """English count with plural: 1 owner, 2 owners."""
    return f"{n:g} {word}" if n == 1 else f"{n:g} {word}s"


def _check_weights(weights: dict[str, float] | None) -> dict[str, float]:
    w = dict(DEFAULT_WEIGHTS)
    for k, v in (weights or {}).items():
        if k not in COMPONENTS:
            raise ConfigError(f"unknown KOC component {k!r}; the components are {', '.join(COMPONENTS)}")
        if v is None or not np.isfinite(v) or v < 0:
            raise ConfigError(f"weight of {k} must be a non-negative number, got {v!r}")
        w[k] = float(v)
    if sum(w.values()) <= 0:
        raise ConfigError("at least one KOC weight must be positive")
    return w


@numba.njit(cache=True)
def _common_partners(indptr, indices, src, dst, max_deg):  # pragma: no cover - compiled
    """For each pair (src[i], dst[i]): the number of partners they share.

    ``indptr``/``indices``: CSR adjacency of the undirected mutual graph, each row sorted.
    Pairs where either side has more than ``max_deg`` partners are skipped (-1), so the cost
    is at most ``max_deg * log(max_deg)`` per pair: linear in the number of pairs.
    """
    out = np.full(src.shape[0], -1, dtype=np.int64)
    for i in range(src.shape[0]):
        u = src[i]
        v = dst[i]
        du = indptr[u + 1] - indptr[u]
        dv = indptr[v + 1] - indptr[v]
        if du > max_deg or dv > max_deg:
            continue
        if du > dv:  # walk the shorter list, search the longer one
            u, v = v, u
        lo = indptr[v]
        hi = indptr[v + 1]
        cnt = 0
        for j in range(indptr[u], indptr[u + 1]):
            x = indices[j]
            a = lo
            b = hi
            while a < b:
                m = (a + b) // 2
                if indices[m] < x:
                    a = m + 1
                else:
                    b = m
            if a < hi and indices[a] == x:
                cnt += 1
        out[i] = cnt
    return out


def _interaction_rows(community: Community) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Engager and author positions of every interaction (self-engagement and unknown owners
    or posts dropped), and the row numbers kept; computed once per community (its one cache)."""
    return community.memo("interaction_rows", {}, lambda: _interaction_rows_uncached(community))


def _interaction_rows_uncached(community: Community) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = community.tables
    inter, posts = t["interactions"], t["posts"]
    if not len(inter) or not len(posts):
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    # post -> author position, then interaction -> post position, through the compact
    # community's categorical codes (no string per interaction)
    a = authors_of(pd.Index(community.owner_ids), posts, inter)
    e = community.index_of(inter["owner_id"])
    rows = np.flatnonzero((e >= 0) & (a >= 0) & (e != a))
    return e[rows].astype(np.int64), a[rows].astype(np.int64), rows


def engagement_pairs(
    community: Community,
    *,
    kind_weights: dict[str, float] | None = None,
    half_life_days: float | None = 90.0,
    closed_group_discount: float = 0.9,
    max_group_size: int = 50,
) -> pd.DataFrame:
    """Engager → author pairs with weights, mutuality and the closed-group factor.

    Parameters
    ----------
    community : graphcrm.community.Community
        The community snapshot.
    kind_weights : dict, optional
        Weight per interaction kind (default the projection's kind weights).
    half_life_days : float or None, default 90
        Time decay of engagement (None: no decay).
    closed_group_discount : float, default 0.9
        Share of a pure closed-group pair's weight that is discounted.
    max_group_size : int, default 50
        Owners with more mutual partners than this are not in a *small* closed group (pairs
        involving them are never discounted); also bounds the cost of the closure count.

    Returns
    -------
    pandas.DataFrame
        Columns ``e`` and ``a`` (engager and author positions in ``community.owner_ids``),
        ``weight`` (kind-weighted, decayed), ``count``, ``mutual`` (a engages e too),
        ``closedness`` (c(e): share of e's engagement going to mutual partners), ``closure``
        (g(e, a): shared mutual partners + 1 over the larger mutual-partner count; 0 for
        non-mutual pairs) and ``factor`` (``1 - discount * c(e) * g(e, a)`` for mutual pairs,
        1 otherwise).

    Raises
    ------
    ConfigError
        Bad kind weights, half-life, discount or group size.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> o = pd.DataFrame({"owner_id": ["a", "b"]})
    >>> p = pd.DataFrame({"post_id": ["p", "q"], "author_id": ["a", "b"], "created_at": ["2024-01-01"] * 2})
    >>> i = pd.DataFrame({"owner_id": ["b", "a"], "post_id": ["p", "q"], "kind": ["like", "like"],
    ...                   "created_at": ["2024-01-02"] * 2})
    >>> engagement_pairs(Community.from_frames({"owners": o, "posts": p, "interactions": i}))["factor"].tolist()
    [0.1, 0.1]
    """
    _check_pair_options(closed_group_discount, half_life_days, max_group_size)
    n = len(community.owner_ids)
    t = community.tables
    inter, posts = t["interactions"], t["posts"]
    if not len(inter) or not len(posts):
        return _no_pairs()
    e, a, rows = _interaction_rows(community)
    w = interaction_weights(inter, weights=kind_weights, half_life_days=half_life_days,
                            as_of=community.as_of)[rows]
    return _pairs_from(e, a, w, n, closed_group_discount=closed_group_discount, max_group_size=max_group_size)


def _check_pair_options(closed_group_discount: float, half_life_days: float | None, max_group_size: int) -> None:
    if not 0 <= closed_group_discount <= 1:
        raise ConfigError("closed_group_discount must be between 0 and 1")
    if half_life_days is not None and half_life_days <= 0:
        raise ConfigError("half_life_days must be positive (or None for no decay)")
    if max_group_size < 1:
        raise ConfigError("max_group_size must be at least 1")


_PAIR_COLUMNS = ("e", "a", "weight", "count", "mutual", "closedness", "closure", "factor")


def _no_pairs() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float) for c in _PAIR_COLUMNS})


def _pairs_from(e: np.ndarray, a: np.ndarray, w: np.ndarray, n: int, *, closed_group_discount: float,
                max_group_size: int) -> pd.DataFrame:
    """:func:`engagement_pairs` from the engager and author positions (among ``n`` owners) and
    the weight of each kept interaction row, in row order (options already checked)."""
    if not len(e):
        return _no_pairs()
    uniq, pw, pc = _pair_sums(e * n + a, w)
    pe, pa = uniq // n, uniq % n
    mutual = _reverse_present(uniq, pa * n + pe)
    # c(e): share of e's engagement going to owners who engage e back
    out_w = np.bincount(pe, weights=pw, minlength=n)
    out_mutual = np.bincount(pe, weights=np.where(mutual, pw, 0.0), minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        closed = np.where(out_w > 0, out_mutual / out_w, 0.0)
    c = closed[pe]
    # g(e, a): closure of the mutual group around the pair, from the undirected mutual graph
    closure = np.zeros(len(pe))
    if mutual.any():
        # both directions are present; the pairs come sorted by (e, a) (``uniq`` is sorted), so
        # they already are the rows of the mutual graph's CSR, each row sorted
        me, ma = pe[mutual], pa[mutual]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(me, minlength=n), out=indptr[1:])
        common = _common_partners(indptr, ma, me, ma, int(max_group_size))
        deg = np.maximum(indptr[me + 1] - indptr[me], indptr[ma + 1] - indptr[ma])
        g = np.where(common >= 0, (common + 1) / np.maximum(deg, 1), 0.0)
        closure[mutual] = g
    factor = np.round(1.0 - closed_group_discount * c * closure, 12)
    return pd.DataFrame({"e": pe, "a": pa, "weight": pw, "count": pc, "mutual": mutual,
                         "closedness": c, "closure": np.round(closure, 12), "factor": factor})


def _pair_sums(key: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sorted distinct ``key`` values, the summed ``w`` and the row count of each.

    One stable argsort, then ``bincount`` over the run numbers of the sorted keys: each pair's
    weights are added in row order, as ``np.unique(key, return_inverse=True)`` + ``bincount``
    adds them, so the sums are the same to the last bit, without the inverse's scatter."""
    if not len(key):
        return key.astype(np.int64), np.zeros(0), np.zeros(0, dtype=np.int64)
    order = np.argsort(key, kind="stable")
    ks = key[order]
    new = np.empty(len(ks), dtype=bool)
    new[0] = True
    np.not_equal(ks[1:], ks[:-1], out=new[1:])
    run = np.cumsum(new) - 1
    start = np.flatnonzero(new)
    counts = np.diff(np.r_[start, len(ks)]).astype(np.int64)
    return ks[start], np.bincount(run, weights=w[order]), counts


def _reverse_present(uniq: np.ndarray, rev: np.ndarray) -> np.ndarray:
    """``rev[i] in uniq`` for every i, where ``uniq`` are sorted distinct pair keys and ``rev[i]``
    the key of the reverse pair of ``uniq[i]``.

    Reversing is its own inverse, so ``rev[i]`` is in ``uniq`` exactly when ``uniq[i]`` is among
    the ``rev`` keys: ``uniq`` (sorted) is looked up in ``np.sort(rev)``, both in order, no
    permutation.  Binary searches for 20M keys in random order into a 20M-long array (the code
    before stop 22) missed the cache at every step: with the pair sums, 55 of the 139 s CPU of
    the 1,000,000-owner bench store's KOC step outside the circles (docs/benchmarks.md)."""
    if not len(uniq):
        return np.zeros(len(rev), dtype=bool)
    rs = np.sort(rev)
    pos = np.minimum(np.searchsorted(rs, uniq), len(rs) - 1)
    return rs[pos] == uniq


def _lognorm(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    x = np.where(mask, np.maximum(x, 0.0), 0.0)
    top = x.max() if len(x) else 0.0
    if top <= 0:
        return np.zeros_like(x)
    return np.log1p(x) / np.log1p(top)


KOCS = ResultSpec(
    "kocs",
    key=("owner_id",),
    columns=(
        Col("owner_id", "str", "", "the owner"),
        Col("rank", "int", "rank", "KOC rank, 1 = strongest"),
        Col("score", "float", "0-100", "KOC score: weighted mix of the five components"),
        Col("reach", "int", "owners", "distinct owners who engaged with their posts"),
        Col("effective_reach", "float", "owners", "reach after the closed-group (like ring) discount"),
        Col("engagement", "float", "points", "engagement received, weighted by kind and age, after the discount"),
        Col("active_days", "int", "days", "distinct days on which others engaged with them"),
        Col("closed_group_share", "float", "share 0-1", "share of their engagement discounted as a closed group"),
        Col("authority", "float", "PageRank × owners", "being engaged by owners who are engaged themselves "
                                                       "(1 = average)"),
        Col("conversion", "float", "conversions", "multi-level referral credit (direct 1, then 0.5, 0.25)"),
        Col("bridging", "float", "circles", "circles their independent audience comes from"),
        Col("qualified", "bool", "", "enough independent engagers on enough days for engagement to count"),
        Col("reason", "str", "", "why they rank here, in plain words"),
    ),
    sort=(("score", False), ("owner_id", True)),
    depends=("referral_attribution", "circles"),
    description="KOC ranking from reach, engagement, authority, conversion and bridging",
)


@analysis(KOCS)
def kocs(
    community: Community,
    *,
    weights: dict[str, float] | None = None,
    kind_weights: dict[str, float] | None = None,
    half_life_days: float | None = 90.0,
    min_distinct_engagers: float = 3,
    min_distinct_days: int = 2,
    closed_group_discount: float = 0.9,
    max_group_size: int = 50,
    damping: float = 0.85,
    bridging: str = "count",
    referral_decay: tuple[float, ...] | list[float] | None = None,
    include_staff: bool = False,
    circles_frame: pd.DataFrame | None = None,
    circle_options: dict | None = None,
    top: int | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """Rank owners as KOCs from reach, engagement, authority, conversion and bridging.

    See the module docstring for the components, the anti-gaming rules and the default weights.

    Parameters
    ----------
    community : graphcrm.community.Community
        The community snapshot (a since/until window limits the activity counted).
    weights : dict, optional
        Component weights, merged into :data:`DEFAULT_WEIGHTS`.
    kind_weights : dict, optional
        Interaction kind weights (default like 1, favorite 2, comment 3, reply 3, share 5).
    half_life_days : float or None, default 90
        Engagement half-life (None: no time decay).
    min_distinct_engagers : float, default 3
        Independent engagers (reach after the closed-group discount) needed to qualify.
    min_distinct_days : int, default 2
        Distinct days with engagement received needed to qualify.
    closed_group_discount : float, default 0.9
        Discount of engagement from a pure closed mutual group.
    max_group_size : int, default 50
        Engagers with more mutual partners than this are never treated as a small closed group.
    damping : float, default 0.85
        PageRank damping.
    bridging : {"count", "entropy"}, default "count"
        Distinct circles of the independent audience, or ``exp(entropy)`` of it.
    referral_decay : sequence of float, optional
        Attribution credit per level (default (1.0, 0.5, 0.25)).
    include_staff : bool, default False
        Rank staff too.
    circles_frame : DataFrame, optional
        A :func:`~graphcrm.algorithms.circles.circles` result to use for bridging.
    circle_options : dict, optional
        Options for computing the circles when ``circles_frame`` is absent.
    top : int, optional
        Keep only the first ``top`` rows.
    lang : {"en", "zh"}
        Language of ``reason``.

    Returns
    -------
    pandas.DataFrame
        One row per ranked owner: ``owner_id``; ``rank`` (1 = best); ``score`` (0-100);
        ``reach`` (distinct engagers); ``effective_reach`` (after the closed-group discount);
        ``engagement``; ``active_days``; ``closed_group_share``; ``authority`` (PageRank × number
        of owners); ``conversion`` (referral credit); ``bridging``; ``qualified``; ``reason``.
        Sorted by score descending, then owner_id.

    Raises
    ------
    ConfigError
        Bad weights, half-life, discount, damping, bridging mode or lang.

    Example
    -------
    >>> from graphcrm.demo import generate_demo
    >>> from graphcrm.community import Community
    >>> tables, truth = generate_demo(1_000, seed=1)
    >>> top = kocs(Community(tables), top=len(truth["kocs"]))
    >>> len(set(top["owner_id"]) & set(truth["kocs"])) >= 0.8 * len(truth["kocs"])
    True
    """
    return koc_table(community, weights=weights, kind_weights=kind_weights, half_life_days=half_life_days,
                     min_distinct_engagers=min_distinct_engagers, min_distinct_days=min_distinct_days,
                     closed_group_discount=closed_group_discount, max_group_size=max_group_size, damping=damping,
                     bridging=bridging, referral_decay=referral_decay, include_staff=include_staff,
                     circles_frame=circles_frame, circle_options=circle_options, top=top, lang=lang)


def koc_table(community: Community, *, weights: dict[str, float] | None, kind_weights: dict[str, float] | None,
              half_life_days: float | None, min_distinct_engagers: float, min_distinct_days: int,
              closed_group_discount: float, max_group_size: int, damping: float, bridging: str,
              referral_decay: tuple[float, ...] | list[float] | None, include_staff: bool,
              circles_frame: pd.DataFrame | None, circle_options: dict | None, top: int | None, lang: str,
              reasons: bool = True) -> pd.DataFrame:
    """:func:`kocs`' table, not cached, every option given (see :func:`kocs`); ``reasons=False``
    leaves out the ``reason`` column (a caller that reads only ranks and scores, e.g. the
    earlier period's KOC ranks of :func:`graphcrm.algorithms.movement.movement`, saves the
    per-owner texts: 0.4 s of 2.7 at 100,000 owners).  The other columns are the same.

    Example
    -------
    >>> import inspect
    >>> from graphcrm.demo import generate_demo
    >>> from graphcrm.community import Community
    >>> c = Community(generate_demo(1_000, seed=1)[0])
    >>> opts = {k: p.default for k, p in inspect.signature(kocs).parameters.items() if k not in ("community", "details")}
    >>> k = koc_table(c, **opts, reasons=False)
    >>> k.equals(kocs(c).drop(columns="reason"))
    True
    """
    lang, W = _check_table_options(weights, bridging, damping, lang)
    n = len(community.owner_ids)
    memb = None
    if circles_frame is None and len(community.tables["interactions"]) and len(community.tables["posts"]):
        # the circles partition before the engagement pairs: its working set (the igraph graph
        # and Leiden's, +2.7 GB at 1,000,000 owners) then does not come on top of the pairs and
        # the interaction rows (+2.0 GB there); the same partition (docs/benchmarks.md, stop 24)
        from graphcrm.algorithms.circles import circle_ids

        memb = circle_ids(community, **(circle_options or {}))
    pairs = engagement_pairs(community, kind_weights=kind_weights, half_life_days=half_life_days,
                             closed_group_discount=closed_group_discount, max_group_size=max_group_size)
    return _ranked(community, pairs, _active_days(community, n), memb, W=W, min_distinct_engagers=min_distinct_engagers,
                   min_distinct_days=min_distinct_days, damping=damping, bridging=bridging,
                   referral_decay=referral_decay, include_staff=include_staff, circles_frame=circles_frame,
                   circle_options=circle_options, top=top, lang=lang, reasons=reasons)


def _check_table_options(weights: dict[str, float] | None, bridging: str, damping: float,
                         lang: str) -> tuple[str, dict[str, float]]:
    lang = check_lang(lang)
    W = _check_weights(weights)
    if bridging not in ("count", "entropy"):
        raise ConfigError(f"bridging must be 'count' or 'entropy', got {bridging!r}")
    if not 0 < damping < 1:
        raise ConfigError("damping must be between 0 and 1")
    return lang, W


def koc_table_until(community: Community, until: pd.Timestamp, *, weights: dict[str, float] | None,
                    kind_weights: dict[str, float] | None, half_life_days: float | None,
                    min_distinct_engagers: float, min_distinct_days: int, closed_group_discount: float,
                    max_group_size: int, damping: float, bridging: str,
                    referral_decay: tuple[float, ...] | list[float] | None, include_staff: bool,
                    circles_frame: pd.DataFrame | None, circle_options: dict | None, top: int | None, lang: str,
                    reasons: bool = True) -> pd.DataFrame | None:
    """:func:`koc_table` of the community as known at ``until``, i.e. of
    ``Community(community.tables, until=until)``, from ``community``'s own interaction rows
    (cached) cut by time, without building that window community.

    The rows the window would keep are ``community``'s kept interaction rows (engager and
    author known, not the same owner) created by ``until``, on a post created by then (or
    undated), between owners who joined by then (or undated), in the same order; the positions
    are renumbered into the window's owners (a sorted subset of ``community.owner_ids``, so
    the renumbering keeps the order of the engagement pairs); weights decay to ``until``.  Only
    the owners and referrals are windowed (a community of those two tables), for the staff
    flags and the referral credit.  So the table is the same, to the last bit, as the window's
    (tests/test_koc_until.py).  Options as in :func:`kocs` (all given); every option is
    checked as there.

    Returns
    -------
    pandas.DataFrame or None
        :func:`koc_table`'s table (the same columns), or None when this way does not apply
        and the caller builds the window community: no ``circles_frame`` (the window's own
        circles partition needs the window's graph), repeated post ids, or a community that is
        not compact (ids not categorical).

    Raises
    ------
    ConfigError
        Bad weights, half-life, discount, damping, bridging mode or lang.

    Example
    -------
    >>> import inspect
    >>> import pandas as pd
    >>> from graphcrm.demo import generate_demo
    >>> from graphcrm.community import Community
    >>> from graphcrm.algorithms.circles import circles
    >>> c = Community(generate_demo(1_000, seed=1)[0])
    >>> opts = {k: p.default for k, p in inspect.signature(kocs).parameters.items() if k not in ("community", "details")}
    >>> opts["circles_frame"] = circles(c)[["owner_id", "circle"]]
    >>> t = c.as_of - pd.Timedelta(days=30)
    >>> koc_table_until(c, t, **opts).equals(koc_table(Community(c.tables, until=t), **opts))
    True
    """
    from graphcrm.community import Community

    lang, W = _check_table_options(weights, bridging, damping, lang)
    _check_pair_options(closed_group_discount, half_life_days, max_group_size)
    if circles_frame is None:
        return None
    until = pd.Timestamp(until)
    t = community.tables
    inter, posts, owners = t["interactions"], t["posts"], t["owners"]
    if not isinstance(inter["owner_id"].dtype, pd.CategoricalDtype) or (len(posts) and not posts["post_id"].is_unique):
        return None
    # the window's owners and referrals (Community's own windowing of those two tables)
    small = Community({"owners": owners, "referrals": t["referrals"]}, until=until)
    n_full, n = len(community.owner_ids), len(small.owner_ids)
    known = np.ones(n_full, dtype=bool)
    if "joined_at" in owners:
        known = ~(owners["joined_at"] > until).fillna(False).to_numpy(dtype=bool)
    if int(known.sum()) != n:  # owners not as the window numbers them: not this way
        return None
    if not len(inter) or not len(posts):
        pairs, active = _no_pairs(), np.zeros(n, dtype=np.int64)
    else:
        e, a, rows = _interaction_rows(community)
        created = inter["created_at"]
        keep = (created <= until).fillna(False).to_numpy(dtype=bool)[rows]
        p = posts.drop_duplicates("post_id")
        post_ok = np.r_[~(p["created_at"] > until).fillna(False).to_numpy(dtype=bool), False]
        keep &= post_ok[post_rows_of(p, inter)[rows]]
        keep &= known[e] & known[a]
        rows = rows[keep]
        new_pos = np.cumsum(known) - 1  # full position -> window position (monotone)
        e, a = new_pos[e[keep]], new_pos[a[keep]]
        sub = pd.DataFrame({"kind": inter["kind"].take(rows).reset_index(drop=True),
                            "created_at": created.take(rows).reset_index(drop=True)})
        w = interaction_weights(sub, weights=kind_weights, half_life_days=half_life_days, as_of=until)
        del sub
        pairs = _pairs_from(e, a, w, n, closed_group_discount=closed_group_discount, max_group_size=max_group_size)
        del w, e
        active = _active_days_of(created, rows, a, n)
        del rows, a, keep  # not held while the PageRank graph is built
    return _ranked(small, pairs, active, None, W=W, min_distinct_engagers=min_distinct_engagers,
                   min_distinct_days=min_distinct_days, damping=damping, bridging=bridging,
                   referral_decay=referral_decay, include_staff=include_staff, circles_frame=circles_frame,
                   circle_options=circle_options, top=top, lang=lang, reasons=reasons)


def _ranked(community: Community, pairs: pd.DataFrame, active_days: np.ndarray, memb: np.ndarray | None, *,
            W: dict[str, float], min_distinct_engagers: float, min_distinct_days: int, damping: float,
            bridging: str, referral_decay: tuple[float, ...] | list[float] | None, include_staff: bool,
            circles_frame: pd.DataFrame | None, circle_options: dict | None, top: int | None, lang: str,
            reasons: bool) -> pd.DataFrame:
    """The KOC table from the engagement pairs and active days (options checked): the
    components, the gate, the scores and the ranks.  ``community`` gives the owners (ids,
    staff), the referral credit and the circles (``memb``, ``circles_frame`` or the cached
    partition)."""
    ids = community.owner_ids
    n = len(ids)
    owners = community.owners
    comp = _engagement(pairs, n)
    comp["active_days"] = active_days
    comp["authority"] = _authority(pairs, n, damping)
    comp["conversion"] = _conversion(community, referral_decay)
    comp["bridging"] = _bridging(community, pairs, n, bridging, circles_frame, circle_options, memb)

    staff = owners["is_staff"].to_numpy(bool) if "is_staff" in owners else np.zeros(n, bool)
    ranked = np.ones(n, bool) if include_staff else ~staff
    qualified = (comp["effective_reach"] >= min_distinct_engagers - 1e-9) & (comp["active_days"] >= min_distinct_days)
    score = _score(comp, ranked, qualified, W)

    idx = np.flatnonzero(ranked)
    df = pd.DataFrame({
        "owner_id": ids[idx],
        "score": score[idx],
        "reach": comp["reach"][idx],
        "effective_reach": np.round(comp["effective_reach"][idx], 6),
        "engagement": np.round(comp["engagement"][idx], 6),
        "active_days": comp["active_days"][idx],
        "closed_group_share": np.round(comp["closed_group_share"][idx], 6),
        "authority": np.round(comp["authority"][idx], 6),
        "conversion": np.round(comp["conversion"][idx], 6),
        "bridging": np.round(comp["bridging"][idx], 6),
        "qualified": qualified[idx],
    })
    df = df.sort_values(["score", "owner_id"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
    df.insert(1, "rank", np.arange(1, len(df) + 1))
    if top is not None:
        df = df.head(int(top))
    if reasons:
        df["reason"] = _reasons(df, lang, min_distinct_engagers, min_distinct_days, bridging)
    return df


def _engagement(pairs: pd.DataFrame, n: int) -> dict[str, np.ndarray]:
    """Per owner (as author): reach, effective reach, discounted engagement and closed-group share."""
    pa = pairs["a"].to_numpy(np.int64)
    pw = pairs["weight"].to_numpy(float)
    pf = pairs["factor"].to_numpy(float)
    raw_eng = np.bincount(pa, weights=pw, minlength=n)
    engagement = np.bincount(pa, weights=pw * pf, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        closed_share = np.where(raw_eng > 0, 1.0 - engagement / raw_eng, 0.0)
    return {
        "reach": np.bincount(pa, minlength=n).astype(np.int64),
        "effective_reach": np.bincount(pa, weights=pf, minlength=n),
        "engagement": engagement,
        "closed_group_share": np.clip(closed_share, 0.0, 1.0),
    }


def _authority_edges(pairs: pd.DataFrame, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The authority PageRank's edges (``n + 1`` vertices): engager → author weighted by weight ×
    closed-group factor, and each engager → the sink ``n`` with the weight the factor took away;
    edges of weight 0 left out.  ``(src, dst, weight)``."""
    pe = pairs["e"].to_numpy(np.int64)
    pa = pairs["a"].to_numpy(np.int64)
    pw = pairs["weight"].to_numpy(float)
    pf = pairs["factor"].to_numpy(float)
    lost = np.bincount(pe, weights=pw * (1.0 - pf), minlength=n)
    src = np.concatenate([pe, np.flatnonzero(lost > 0)])
    dst = np.concatenate([pa, np.full(int((lost > 0).sum()), n, dtype=np.int64)])
    ew = np.concatenate([pw * pf, lost[lost > 0]])
    keep = ew > 0
    return src[keep], dst[keep], ew[keep]


def _authority(pairs: pd.DataFrame, n: int, damping: float) -> np.ndarray:
    """PageRank × owners on engager → author, the discounted weight sent to a sink vertex."""
    if not len(pairs):
        return np.ones(n)
    src, dst, ew = _authority_edges(pairs, n)
    # edges as pairs of Python ints, made block by block: igraph reads tuples ~2x faster than the
    # rows of an (m, 2) array (0.40 vs 0.85 s CPU for 1M edges), and the blocks keep the
    # transient lists small (with one list of all 20M pairs the 1M-owner bench store's PageRank
    # step peaked 3.5 GB above the resident size, 1.9 GB with the blocks);
    # the weights go to the call as a list (igraph's PageRank takes a list or an attribute name)
    # and are not kept on the graph.  The same edges in the same order and the same weights:
    # the same PageRank.  The ends and the weight array are freed before PageRank runs (the
    # graph holds the ends, the list the weights): 3 x 8 bytes per edge less at the peak
    g = ig.Graph(n=n + 1, edges=_edge_tuples(src, dst), directed=True)
    del src, dst
    ew = ew.tolist()
    pr = np.asarray(g.pagerank(weights=ew, damping=damping, directed=True), dtype=float)
    del g, ew
    return pr[:n] / pr[:n].sum() * n if pr[:n].sum() > 0 else np.ones(n)


#: edges turned into Python tuples at a time while an igraph graph is built
_EDGE_BLOCK = 1_000_000


def _edge_tuples(src: np.ndarray, dst: np.ndarray):
    """``(src[i], dst[i])`` as Python ints, made :data:`_EDGE_BLOCK` at a time."""
    for s in range(0, len(src), _EDGE_BLOCK):
        yield from zip(src[s:s + _EDGE_BLOCK].tolist(), dst[s:s + _EDGE_BLOCK].tolist())


def _conversion(community: Community, referral_decay) -> np.ndarray:
    """Multi-level referral credit on the cleaned forest (staff included: they are ranked or
    left out later), in owner order."""
    from graphcrm.algorithms.referrals import DEFAULT_DECAY, referral_attribution

    att = referral_attribution(community, decay=referral_decay or DEFAULT_DECAY, include_staff=True)
    return (pd.Series(att["credit"].to_numpy(), index=att["owner_id"]).reindex(community.owner_ids)
            .fillna(0.0).to_numpy())


def _bridging(community: Community, pairs: pd.DataFrame, n: int, bridging: str,
              circles_frame: pd.DataFrame | None, circle_options: dict | None,
              memb: np.ndarray | None = None) -> np.ndarray:
    """Distinct circles (or exp(entropy) of them) of each owner's independent engagers
    (``memb``: the circle of every owner, when the caller has it already)."""
    pe = pairs["e"].to_numpy(np.int64)
    pa = pairs["a"].to_numpy(np.int64)
    pf = pairs["factor"].to_numpy(float)
    bridge = np.zeros(n)
    if not len(pe):
        return bridge
    if memb is not None:
        memb = np.asarray(memb, dtype=np.int64)
    elif circles_frame is None:
        # only who is in which circle: the cached partition, not the circles table (labels,
        # bridge scores, reasons); circles() with the same options reuses it
        from graphcrm.algorithms.circles import circle_ids

        memb = circle_ids(community, **(circle_options or {}))
    else:
        memb = (circles_frame.set_index("owner_id")["circle"].reindex(community.owner_ids).fillna(-1)
                .to_numpy(np.int64))
    indep = (pf >= 0.5) & (memb[pe] >= 0)
    ac = pd.DataFrame({"a": pa[indep], "c": memb[pe[indep]]})
    if not len(ac):
        return bridge
    cnt = ac.groupby(["a", "c"], sort=False).size()
    a_idx = cnt.index.get_level_values(0).to_numpy()
    if bridging == "count":
        return np.bincount(a_idx, minlength=n).astype(float)
    tot = np.bincount(a_idx, weights=cnt.to_numpy(float), minlength=n)
    p = cnt.to_numpy(float) / tot[a_idx]
    h = np.bincount(a_idx, weights=-p * np.log(p), minlength=n)
    return np.where(tot > 0, np.exp(h), 0.0)


def _score(comp: dict[str, np.ndarray], ranked: np.ndarray, qualified: np.ndarray,
           W: dict[str, float]) -> np.ndarray:
    """0-100: weighted log-normalised components; engagement-based ones only past the gate."""
    gate = qualified.astype(float)
    norm = {
        "reach": _lognorm(comp["effective_reach"], ranked) * gate,
        "engagement": _lognorm(comp["engagement"], ranked) * gate,
        "authority": _lognorm(comp["authority"], ranked) * gate,
        "conversion": _lognorm(comp["conversion"], ranked),
        "bridging": _lognorm(comp["bridging"], ranked) * gate,
    }
    total_w = sum(W.values())
    score = sum(W[c] * norm[c] for c in COMPONENTS) / total_w * 100.0
    return np.round(score, 6)


def _reasons(df: pd.DataFrame, lang: str, min_eng: float, min_days: int, bridging: str) -> np.ndarray:
    nothing = ((df["reach"] == 0) & (df["conversion"] == 0)).to_numpy()
    reasons = np.full(len(df), pick(lang, en="no engagement received and no converted referrals yet",
                                    zh="尚未获得互动，也没有成交推荐"), dtype=object)
    reasons[~nothing] = [_reason(r, lang, min_eng, min_days, bridging)
                         for r in df[~nothing].itertuples(index=False)]
    return reasons


def _active_days(community: Community, n: int) -> np.ndarray:
    """Distinct calendar days on which each owner received engagement from someone else."""
    _e, a, rows = _interaction_rows(community)
    return _active_days_of(community.tables["interactions"]["created_at"], rows, a, n)


def _active_days_of(created: pd.Series, rows: np.ndarray, a: np.ndarray, n: int) -> np.ndarray:
    """:func:`_active_days` from the interactions' ``created`` column, the kept row numbers and
    their authors' positions (among ``n`` owners)."""
    if not len(rows):
        return np.zeros(n, dtype=np.int64)
    if not (isinstance(created.dtype, np.dtype) and created.dtype.kind == "M"):
        created = pd.to_datetime(created)
    if isinstance(created.dtype, np.dtype) and created.dtype.kind == "M":
        # naive datetimes: whole days since 1970 straight from the numpy values (a cast to
        # datetime64[D] floors, as ``dt.floor("D")``), not the Series arithmetic below
        t = created.to_numpy()[rows]
        ok = ~np.isnat(t)
        a = a[ok]
        d = t[ok].astype("datetime64[D]").astype(np.int64)
    else:  # any other datetime type (time-zone aware): as pandas floors it
        day = created.iloc[rows].dt.floor("D")
        ok = day.notna().to_numpy()
        a = a[ok]
        d = ((day[ok] - pd.Timestamp("1970-01-01")) // pd.Timedelta(days=1)).to_numpy(np.int64)
    d = d - d.min() if len(d) else d
    span = int(d.max()) + 1 if len(d) else 1
    # by a sort: a plain np.unique hashes (NumPy 2.3+), 40-80x slower at 22M keys (graphcrm.arrays)
    key = unique_sorted(a * span + d)
    return np.bincount(key // span, minlength=n).astype(np.int64)


def _reason(r, lang: str, min_eng: float, min_days: int, bridging: str) -> str:
    parts = []
    if r.reach == 0 and r.conversion == 0:
        return pick(lang, en="no engagement received and no converted referrals yet",
                    zh="尚未获得互动，也没有成交推荐")
    if r.reach:
        parts.append(pick(lang, en=f"{_pl(r.reach, 'owner')} engaged on {_pl(r.active_days, 'day')}",
                          zh=f"{r.reach} 位车主在 {r.active_days} 天里与其互动"))
        if not r.qualified:
            why_en, why_zh = [], []
            if r.effective_reach < min_eng - 1e-9:
                why_en.append(f"only {r.effective_reach:.1f} independent engagers (need {min_eng:g})")
                why_zh.append(f"独立互动者仅 {r.effective_reach:.1f} 人（需 {min_eng:g} 人）")
            if r.active_days < min_days:
                why_en.append(f"only {_pl(r.active_days, 'active day')} (need {min_days})")
                why_zh.append(f"活跃天数仅 {r.active_days} 天（需 {min_days} 天）")
            parts.append(pick(lang, en="engagement not counted: " + " and ".join(why_en),
                              zh="互动不计分：" + "，".join(why_zh)))
        else:
            parts.append(pick(lang, en=f"engagement {r.engagement:.1f}", zh=f"互动分 {r.engagement:.1f}"))
            parts.append(pick(lang, en=f"authority {r.authority:.1f}x average",
                              zh=f"影响力为平均的 {r.authority:.1f} 倍"))
            if r.bridging:
                b = f"{r.bridging:.0f}" if bridging == "count" else f"{r.bridging:.1f}"
                parts.append(pick(lang, en=f"audience spans {b} circle{'' if b == '1' else 's'}",
                                  zh=f"受众覆盖 {b} 个圈层"))
        if r.closed_group_share >= 0.25:
            parts.append(pick(lang,
                              en=f"{r.closed_group_share:.0%} of engagement from a closed mutual group (discounted)",
                              zh=f"{r.closed_group_share:.0%} 的互动来自封闭互赞小圈子（已降权）"))
    if r.conversion:
        parts.append(pick(lang, en=f"referral credit {r.conversion:g}", zh=f"推荐成交积分 {r.conversion:g}"))
    return join(parts, lang)
