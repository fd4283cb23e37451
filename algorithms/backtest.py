"""Backtest of ambassador picks on the community's own history.

Would our picks have beaten the obvious ones last quarter?  Split the history at a time
``T``, pick ``k`` owners with each method using only what happened before ``T``, and count
whom each set actually reached after ``T``.

Exposures
---------
An *exposure* ``u -> v`` at time ``t`` is an observed moment at which owner ``v`` took in
something of owner ``u``'s:

* ``interactions``: ``v`` liked, favourited, commented on, replied to or shared a post by
  ``u`` (``t`` = the interaction's ``created_at``; own posts excluded);
* ``events``: ``v`` checked in at an event of at most :data:`MAX_EVENT_CHECKINS` (150)
  check-ins where ``u`` was ``organizer`` or ``host`` (``t`` = the event's ``starts_at``;
  ``v`` in any role, ``v != u``).  A mass event (a national owners' day with 150,000
  check-ins and 1,500 hosts at 1M owners) carries no personal exposure: counting every host
  as reaching every attendee grows with the square of the community (232M of the 1M demo's
  exposures, from one event) and is not what "reached by this owner" means.  The same cap
  as the learned model's shared events;
* ``referrals``: ``u`` referred ``v`` (``t`` = ``referred_at``).

Reach after ``T``
-----------------
For a seed set ``S`` the reach time ``r(v)`` of every owner is the earliest arrival along
time-respecting chains of exposures inside the evaluation window ``(T, T_end]``:

* ``r(s) = T`` for every pick ``s`` (the campaign starts at ``T``);
* ``v`` is reached at ``t`` when there is an exposure ``u -> v`` at ``t`` with
  ``T < t <= T_end`` and ``u`` a pick or reached *strictly before* ``t``;
* a chain has at most ``max_hops`` exposures (default 2: the picks' own audience and that
  audience's audience, later than it was reached; ``None`` = no limit).

``reach`` is the number of owners with a finite ``r`` other than the picks, each counted once
however often and by however many picks they were reached; ``direct_reach`` the same with one
hop.  Owners who joined after ``T`` count when reached (they are real new audience).

Uncertainty
-----------
A Poisson bootstrap over owners: replicate ``b`` gives every owner a weight ``w ~ Poisson(1)``
(the same weights for all methods, so comparisons are paired), the replicate's reach of a
method is the weighted count of the owners it reached, and ``reach_low``/``reach_high`` are
the 2.5 and 97.5 percentiles over the replicates.  The ratio to the best simple baseline
(the baseline with the highest point reach) is bootstrapped the same way.  It measures how
much the result depends on which owners happen to make up the community, not how the picks
would change on another history.
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from graphcrm.arrays import unique_sorted
from graphcrm.results import Col, ResultSpec, analysis

#: default split: this share of the time span of the exposures (picking before, counting after)
DEFAULT_SPLIT = 0.7
#: default "recent" window of the recent-engagers baseline (capped at a quarter of the training span)
DEFAULT_RECENT_DAYS = 30.0
DEFAULT_MAX_HOPS = 2
#: events with more check-ins than this carry no exposures (mass events; module docstring)
MAX_EVENT_CHECKINS = 150
#: models the ``auto`` method chooses among by an inner backtest on the data before the split
AUTO_CANDIDATES = ("ambassadors:learned", "credit")
#: the inner split of ``auto`` falls back to this share of the picking period when the last
#: evaluation-window-long stretch before the split would leave less than a quarter of it to pick on
AUTO_FALLBACK_SPLIT = 0.7
#: the simple baselines the ratio is taken against
BASELINES = ("out_degree", "pagerank", "recent_engagers", "kocs")
EXPOSURE_LAYERS = ("interactions", "events", "referrals")
#: the ``ceiling=True`` row's method name (the best k picks with hindsight: not a method, not a baseline)
HINDSIGHT = "hindsight"
#: time limit of the ceiling's integer program (HiGHS), seconds; when it stops, the row has the
#: best set found and ``details.ceiling["upper"]`` the proven bound
CEILING_SECONDS = 60.0
#: the exact program is tried only while the eligible owners' own reach sets after T hold at
#: most this many owners in all (its nonzeros; every cell of docs/validation.md's ceiling table,
#: Higgs included, is far below): above it, greedy with hindsight and the upper bound
CEILING_EXACT_MAX_ENTRIES = 5_000_000
#: memory bound of the ceiling's reach sets (int64 entries, 800 MB): above it greedy runs on the
#: candidates with the largest sets (algorithms/hindsight.py, ``max_entries``)
CEILING_MAX_ENTRIES = 100_000_000
#: with ``max_hops`` other than 1 or 2 each candidate's set is one replay: at most this many candidates
CEILING_SLOW_MAX_CANDIDATES = 5_000
_NS_DAY = 86_400 * 10**9
_INF = np.iinfo(np.int64).max


def _config_error(msg: str) -> Exception:
    from graphcrm.errors import ConfigError

    return ConfigError(msg)


def default_methods() -> tuple[str, ...]:
    """The methods :func:`backtest` compares when ``methods`` is not given."""
    from graphcrm.algorithms.influence import PROBABILITIES

    return (*(f"ambassadors:{p}" for p in PROBABILITIES), "kocs", "out_degree", "pagerank",
            "recent_engagers", "random")


# =============================================================================== exposures
def positions(values: pd.Series, index: pd.Index) -> np.ndarray:
    """int64 position of each value in ``index`` (-1 where absent or missing), compared as text.
    A categorical is matched through its categories (one lookup per category, not per row)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories
        if cats.dtype == object and len(cats) == len(index) and index.is_unique and cats.equals(index) and \
                pd.api.types.infer_dtype(cats, skipna=False) == "string":
            at = np.arange(len(cats), dtype=np.int64)  # the categories are the index itself (owner ids)
        else:
            at = index.get_indexer(np.asarray([str(x) for x in cats], dtype=object)).astype(np.int64)
        if not len(at):
            return np.full(len(values), -1, dtype=np.int64)
        # one gather: code -1 (missing) reads the leading -1
        return np.concatenate([np.full(1, -1, dtype=np.int64), at])[values.cat.codes.to_numpy().astype(np.intp) + 1]
    v = values.astype(object)
    v = v.where(v.notna(), "\x00").to_numpy(dtype=object)
    return index.get_indexer(np.asarray([x if type(x) is str else str(x) for x in v], dtype=object)).astype(np.int64)


def lookup(keys: pd.Series, table: pd.DataFrame, key: str, value: str) -> np.ndarray:
    """``table[value]`` at the first row whose ``table[key]`` equals each of ``keys`` (None where
    there is none), compared as text, so categorical columns with different categories match."""
    t = table.drop_duplicates(key)
    index = pd.Index(t[key].astype(object).astype(str).to_numpy(dtype=object))
    pos = positions(keys, index)
    vals = t[value].to_numpy(dtype=object) if t[value].dtype == object or isinstance(
        t[value].dtype, (pd.CategoricalDtype, pd.StringDtype)) else t[value].to_numpy()
    if vals.dtype == object:
        out = np.full(len(keys), None, dtype=object)
        out[pos >= 0] = vals[pos[pos >= 0]]
        return out
    out = np.full(len(keys), np.datetime64("NaT") if vals.dtype.kind == "M" else np.nan, dtype=vals.dtype
                  if vals.dtype.kind == "M" else np.float64)
    out[pos >= 0] = vals[pos[pos >= 0]]
    return out


def exposures(community: Any, ids: np.ndarray | None = None) -> pd.DataFrame:
    """Every observed exposure ``src -> dst`` of a community (see the module docstring).

    Parameters
    ----------
    community : graphcrm.community.Community
    ids : array of str, optional
        Vertex order to number owners by (default ``community.owner_ids``); exposures of
        owners not in it are dropped.

    Returns
    -------
    pandas.DataFrame
        ``src``, ``dst`` (int64 vertex numbers; ``dst`` took in something of ``src``'s),
        ``t`` (int64 nanoseconds since the epoch, UTC-naive), ``layer`` (0 interactions,
        1 events, 2 referrals), sorted by ``t``.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a", "b"]}),
    ...     "referrals": pd.DataFrame({"referrer_id": ["a"], "referee_id": ["b"], "stage": ["order"],
    ...                                "referred_at": ["2024-01-01"]})})
    >>> exposures(c)[["src", "dst", "layer"]].values.tolist()
    [[0, 1, 2]]
    """
    memo = getattr(community, "memo", None)
    if ids is None and memo is not None:  # once per community (learning, backtest and the split share it)
        ex = memo("exposures", {}, lambda: (_exposures(community, community.owner_ids),))[0]
        return ex.copy(deep=False)  # copy-on-write: a caller's edit never reaches the cached frame
    return _exposures(community, community.owner_ids if ids is None else np.asarray(ids, dtype=object).astype(str))


def _ns(when: Any) -> np.ndarray:
    """int64 nanoseconds of datetimes (NaT as the int64 minimum), a view where no conversion is needed."""
    if isinstance(when, np.ndarray) and when.dtype == "datetime64[ns]":
        return when.view(np.int64)
    return np.asarray(pd.to_datetime(when).to_numpy(dtype="datetime64[ns]")).view(np.int64)


def log_order(t: np.ndarray, src: np.ndarray, dst: np.ndarray, *, n: int | None = None) -> np.ndarray:
    """The permutation ``np.lexsort((dst, src, t))`` (stable: ties keep their input order), cheaper on logs.

    One stable sort by ``t`` (timsort, fast on the long ascending runs a log of interactions has),
    then each run of rows sharing one ``t`` sorted again, stably, by its pair key
    ``src * n + dst`` (a compiled pass: a run stays in place), so the result is the lexsort's.

    Parameters
    ----------
    t, src, dst : numpy.ndarray
        Integer keys of equal length; ``src`` and ``dst`` in ``[0, n)``.
    n : int, optional
        Bound of ``src`` and ``dst`` (default: their maximum + 1); ``n * n`` must fit in int64,
        else the tied rows are lexsorted.

    Returns
    -------
    numpy.ndarray
        int64 positions, the rows in ``(t, src, dst)`` order, equal keys in input order.

    Example
    -------
    >>> log_order(np.array([5, 1, 5, 1]), np.array([0, 2, 0, 1]), np.array([3, 0, 1, 0])).tolist()
    [3, 1, 2, 0]
    """
    order = np.argsort(t, kind="stable").astype(np.int64, copy=False)
    if len(order) < 2:
        return order
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    if n is None:
        n = int(max(src.max(), dst.max())) + 1
    if min(int(src.min()), int(dst.min())) >= 0 and max(int(src.max()), int(dst.max())) < n and float(n) * n < 2.0**62:
        from graphcrm.algorithms._logsort import sort_tied_runs

        return sort_tied_runs(order, np.asarray(t, dtype=np.int64), src, dst, np.int64(n))
    ts = t[order]
    eq = ts[1:] == ts[:-1]
    del ts
    tied = np.zeros(len(order), dtype=bool)
    tied[1:] = eq
    tied[:-1] |= eq
    del eq
    at = np.flatnonzero(tied)
    del tied
    if len(at):
        sub = order[at]
        order[at] = sub[np.lexsort((dst[sub], src[sub], t[sub]))]
    return order


def _post_rows(post_of: pd.Series, post_ids: pd.Series) -> np.ndarray:
    """Row in ``post_ids`` (unique post ids) of each interaction's ``post_of``, -1 where absent
    or missing, compared as text: ``positions(post_of, Index(post_ids as text))``.  A community's
    columns are categoricals whose categories begin with the posts' (``Community._compact``),
    so the rows are found through the codes, without a string per post (at 1,000,000 owners
    several seconds per exposure log, built for the whole history and again for the backtest's
    training window).

    Example
    -------
    >>> posts = pd.Series(["p2", "p1"], dtype=pd.CategoricalDtype(["p1", "p2"]))
    >>> _post_rows(pd.Series(["p1", "p3", None, "p2"], dtype=pd.CategoricalDtype(["p1", "p2", "p3"])), posts).tolist()
    [1, -1, -1, 0]
    """
    if isinstance(post_of.dtype, pd.CategoricalDtype) and isinstance(post_ids.dtype, pd.CategoricalDtype):
        ci, cp = post_of.cat.categories, post_ids.cat.categories
        if ci is cp or (len(ci) >= len(cp) and ci[:len(cp)].equals(cp)):
            pc = post_ids.cat.codes.to_numpy().astype(np.int64)
            if (pc >= 0).all():  # a post without an id is matched as the text "nan" below
                row = np.full(len(ci) + 1, -1, dtype=np.int64)  # row[code + 1]; code -1 (missing) reads -1
                row[pc + 1] = np.arange(len(pc), dtype=np.int64)
                return row[post_of.cat.codes.to_numpy().astype(np.intp) + 1]
    return positions(post_of, pd.Index(post_ids.astype(object).astype(str).to_numpy(dtype=object)))


def _exposures(community: Any, ids: np.ndarray) -> pd.DataFrame:
    # Built column by column: each layer's ids as int64 vertex numbers and times as int64
    # nanoseconds (views of the tables' arrays where possible), the layers concatenated once per
    # column, one ordering (log_order: the lexsort's permutation) and one gather per column into
    # the frame (copy=False: no block of the three int64 columns stacked again).  At 1M owners /
    # 22M interactions the old build held the layers' frames, their concatenation, the lexsort and
    # the sorted copy (and a stacked copy of that) at once.
    index = pd.Index(np.asarray(ids, dtype=object), dtype=object)
    t = community.tables
    cols: dict[str, list[np.ndarray]] = {"src": [], "dst": [], "t": [], "layer": []}

    def add(src: Any, dst: Any, when: Any, layer: int) -> None:
        s = src if isinstance(src, np.ndarray) else positions(src, index)
        d = dst if isinstance(dst, np.ndarray) else positions(dst, index)
        tt = _ns(when)
        ok = (s >= 0) & (d >= 0) & (s != d) & (tt != np.iinfo(np.int64).min)
        m = int(ok.sum())
        whole = m == len(ok)
        for name, v in (("src", s), ("dst", d), ("t", tt)):
            v = v if whole else v[ok]
            cols[name].append(v.astype(np.int64, copy=False))
        cols["layer"].append(np.full(m, layer, dtype=np.int8))

    inter, posts = t["interactions"], t["posts"]
    if len(inter) and len(posts):
        # each post's author as a vertex number, then per interaction through its post
        p = posts.drop_duplicates("post_id")
        author = positions(p["author_id"], index)
        at = _post_rows(inter["post_id"], p["post_id"])
        if len(author):
            src_i = np.where(at >= 0, author[np.maximum(at, 0)], -1)
        else:
            src_i = np.full(len(at), -1, dtype=np.int64)
        del at
        add(src_i, inter["owner_id"], inter["created_at"], 0)
        del src_i
    att, ev = t["attendance"], t["events"]
    if len(att) and len(ev):
        a = att[att["checked_in"].astype(bool)] if "checked_in" in att else att
        # every (organiser or host, checked-in owner) pair of an event, built on integer arrays:
        # each lead row repeated over its event's rows (row order within a layer does not matter:
        # equal (t, src, dst) rows are identical)
        ecode, euniq = pd.factorize(np.asarray(a["event_id"].astype(object).astype(str), dtype=object))
        owner = positions(a["owner_id"], index)
        ne = len(euniq)
        size = np.bincount(ecode, minlength=ne)
        lead = np.flatnonzero(a["role"].astype(object).isin(["organizer", "host"]).to_numpy(dtype=bool)
                              & (size[ecode] <= MAX_EVENT_CHECKINS))
        if len(lead):
            by_event = np.argsort(ecode, kind="stable")
            first = np.r_[0, np.cumsum(size)[:-1]]
            le = ecode[lead]
            reps = size[le]
            total = int(reps.sum())
            off = np.repeat(first[le] - np.r_[0, np.cumsum(reps)[:-1]], reps) + np.arange(total)
            starts = lookup(pd.Series(euniq, dtype=object), ev, "event_id", "starts_at")
            add(np.repeat(owner[lead], reps), owner[by_event][off], np.repeat(starts[le], reps), 1)
    ref = t["referrals"]
    if len(ref):
        add(ref["referrer_id"], ref["referee_id"], ref["referred_at"], 2)
    if not cols["t"]:
        return pd.DataFrame({"src": np.zeros(0, np.int64), "dst": np.zeros(0, np.int64), "t": np.zeros(0, np.int64),
                             "layer": np.zeros(0, np.int8)})
    whole = {}
    for name in ("t", "src", "dst", "layer"):  # one concatenation per column, the layers' pieces let go
        whole[name] = np.concatenate(cols.pop(name))
    order = log_order(whole["t"], whole["src"], whole["dst"], n=len(index))  # = np.lexsort((dst, src, t))
    out = {}
    for name in ("src", "dst", "t", "layer"):
        out[name] = whole.pop(name)[order]
    del order
    return pd.DataFrame(out, copy=False)


def in_window(src: Any, dst: Any, t: Any, *, start: int,
              end: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The exposures ``(src, dst, t)`` as int64 arrays with ``start <= t`` (and ``t <= end``).

    Example
    -------
    >>> [a.tolist() for a in in_window([0, 1], [1, 2], [5, 9], start=6)]
    [[1], [2], [9]]
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    t = np.asarray(t, dtype=np.int64)
    keep = t >= start
    if end is not None:
        keep &= t <= end
    return src[keep], dst[keep], t[keep]


def temporal_reach(src: np.ndarray, dst: np.ndarray, t: np.ndarray, n: int, seeds: Any, *, start: int,
                   end: int | None = None, max_hops: int | None = DEFAULT_MAX_HOPS) -> np.ndarray:
    """Hops from the seeds along time-respecting exposure chains (module docstring).

    Parameters
    ----------
    src, dst, t : arrays
        Exposures (``t`` in int64 nanoseconds).
    n : int
        Number of owners.
    seeds : array-like of int
        The picks (reached at ``start``).
    start, end : int
        Evaluation window in nanoseconds (``end`` inclusive; ``None`` = no end).
    max_hops : int or None, default 2
        Longest chain counted (``None``: no limit).

    Returns
    -------
    numpy.ndarray
        int64 ``(n,)``: 0 for the seeds, the number of exposures on the earliest-arriving
        chain of at most ``max_hops`` exposures for reached owners, -1 for the rest.

    Example
    -------
    >>> temporal_reach(np.array([0, 1]), np.array([1, 2]), np.array([5, 6]), 3, [0], start=0).tolist()
    [0, 1, 2]
    """
    src, dst, t = in_window(src, dst, t, start=start, end=end)
    return _reach_in_window(src, dst, t, n, seeds, start=start, max_hops=max_hops)


def _reach_in_window(src: np.ndarray, dst: np.ndarray, t: np.ndarray, n: int, seeds: Any, *, start: int,
                     max_hops: int | None) -> np.ndarray:
    """:func:`temporal_reach` on exposures already cut to the window (int64 arrays, every ``t``
    in ``[start, end]``, as :func:`in_window` returns them): the backtest cuts the window once
    and replays it for every method (at 1,000,000 owners a cut of the window's rows is 0.7 s)."""
    seeds = unique_sorted(np.asarray(seeds, dtype=np.int64))
    r = np.full(n, _INF, dtype=np.int64)
    hops = np.full(n, -1, dtype=np.int64)
    r[seeds] = start - 1
    hops[seeds] = 0
    limit = n if max_hops is None else int(max_hops)
    from graphcrm.algorithms._replay import relax_hop

    for h in range(1, limit + 1):
        new = relax_hop(src, dst, t, r)  # min(r, earliest exposure from an owner reached before it)
        changed = new < r
        if not changed.any():
            break
        hops[changed & (hops < 0)] = h
        # an owner reached earlier through a longer chain keeps the hop count of its first
        # (shortest) chain; what matters for counting is only whether it is reached
        r = new
    return hops


# =============================================================================== baselines
def _rank_top(score: np.ndarray, ids: np.ndarray, eligible: np.ndarray, k: int) -> np.ndarray:
    """Vertex numbers of the k eligible owners with the highest score (ties: smaller owner_id)."""
    cand = np.flatnonzero(eligible & (score > 0))
    order = np.lexsort((ids[cand], -score[cand]))
    return cand[order[:k]]


def _koc_scores(train: Any) -> np.ndarray:
    """KOC score (0-100) of every owner of ``train`` in ``owner_ids`` order (0: not ranked)."""
    from graphcrm.algorithms.koc import kocs

    kd = kocs(train)
    score = pd.Series(kd["score"].to_numpy(dtype=np.float64), index=kd["owner_id"].astype(str))
    out = score.reindex(train.owner_ids).fillna(0.0).to_numpy()
    out.setflags(write=False)  # shared through the memo
    return out


def _distinct_out(exp: pd.DataFrame, n: int, since: int | None = None) -> np.ndarray:
    e = exp if since is None else exp[exp["t"] >= since]
    if not len(e):
        return np.zeros(n)
    pairs = unique_sorted(e["src"].to_numpy() * n + e["dst"].to_numpy())  # sorted, not np.unique's hash table
    return np.bincount(pairs // n, minlength=n).astype(np.float64)


def _pagerank(exp: pd.DataFrame, n: int) -> np.ndarray:
    """Weighted PageRank (damping 0.85) on the exposure graph reversed: ``v -> u`` for every
    exposure ``u -> v`` (engager -> author, attendee -> organiser, referee -> referrer),
    weight = number of exposures of the pair."""
    import igraph as ig

    if not len(exp):
        return np.zeros(n)
    key, cnt = np.unique(exp["dst"].to_numpy() * n + exp["src"].to_numpy(), return_counts=True)
    g = ig.Graph(n=n, edges=np.column_stack([key // n, key % n]), directed=True)
    g.es["weight"] = cnt.astype(np.float64).tolist()
    return np.asarray(g.pagerank(weights="weight", directed=True, damping=0.85), dtype=np.float64)


# =============================================================================== backtest
@dataclass(frozen=True)
class BacktestDetails:
    """The side results of :func:`backtest` (``details=True``).

    Attributes
    ----------
    at, start, end : Timestamp
        The split ``T``, the first exposure (picking runs from ``start`` to ``at``) and the end
        of the evaluation window.
    best_baseline : str or None
        The simple baseline with the highest reach (the ratios' denominator).
    max_hops : int or None
        Longest exposure chain counted (None: no limit).
    owners : int
        Owners of the whole history.
    exposures_after : int
        Exposures in the evaluation window.
    recent_days : float
        Window of the recent_engagers baseline, days.
    bootstrap : int
        Bootstrap replicates behind the intervals.
    picks : dict
        Method -> the owner ids it picked.
    models : dict
        ``ambassadors:<probability>`` -> ``model``, ``probability`` (used), ``edges`` and
        ``learned`` (the learned model's fit) of its ambassadors call.
    unknown_picks : tuple of str
        Ids in ``picks=`` that are not owners of the community.
    ceiling : dict or None
        With ``ceiling=True``: ``reach`` (the hindsight row's, owners), ``upper`` (proven upper
        bound on any k eligible owners' reach, owners; equals ``reach`` when ``optimal``),
        ``optimal`` (bool), ``solver`` (``"highs"``: the integer program's set; ``"greedy"``:
        greedy with hindsight), ``stopped`` (why it is not proven optimal, or None), ``greedy``
        (greedy with hindsight's reach), ``candidates`` (eligible owners who reach anyone after
        the split), ``entries`` (owners in their reach sets in all),
        ``pool_truncated``, ``picks`` (the set's owner ids), ``seconds``.  None otherwise.
    """

    at: pd.Timestamp
    start: pd.Timestamp
    end: pd.Timestamp
    best_baseline: str | None
    max_hops: int | None
    owners: int
    exposures_after: int
    recent_days: float
    bootstrap: int
    picks: dict
    models: dict
    unknown_picks: tuple[str, ...]
    ceiling: dict | None = None


BACKTEST = ResultSpec(
    "backtest",
    key=("method",),
    columns=(
        Col("method", "str", "", "how the owners were picked: ambassadors:<probability model>, kocs, out_degree, "
                                 "pagerank, recent_engagers, random or picks (your own list); hindsight "
                                 "(ceiling=True): the best picks knowing the period after the split"),
        Col("k", "int", "owners", "owners the method picked"),
        Col("reach", "int", "owners", "owners reached after the split, picks excluded, each counted once"),
        Col("reach_low", "float", "owners", "2.5% bootstrap percentile of reach (missing without bootstrap)",
            nullable=True),
        Col("reach_high", "float", "owners", "97.5% bootstrap percentile of reach (missing without bootstrap)",
            nullable=True),
        Col("direct_reach", "int", "owners", "owners exposed to a pick directly after the split"),
        Col("ratio_to_best_baseline", "float", "x best baseline",
            "reach / reach of the best simple baseline (1.0 for that baseline; missing without baselines)",
            nullable=True),
        Col("ratio_low", "float", "x best baseline", "2.5% bootstrap percentile of the ratio", nullable=True),
        Col("ratio_high", "float", "x best baseline", "97.5% bootstrap percentile of the ratio", nullable=True),
        Col("active_picks", "int", "owners", "picks with an exposure of their own after the split"),
        Col("seconds", "float", "seconds", "wall time of the method's selection"),
    ),
    sort=(),
    reason=None,
    depends=("ambassadors", "kocs"),
    details=BacktestDetails,
    runtime=("threads",),
    description="backtest: would our picks have beaten the obvious ones on the community's own history?",
)


def _split_time(community: Any, at: Any) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    from graphcrm.community import _ts

    ex = exposures(community)
    if not len(ex):
        from graphcrm.errors import AnalysisError

        raise AnalysisError("nothing to backtest: the community has no timed interactions, hosted events "
                            "or referrals")
    t0, t1 = pd.Timestamp(int(ex["t"].iloc[0])), pd.Timestamp(int(ex["t"].iloc[-1]))
    if at is None:
        at = DEFAULT_SPLIT
    if isinstance(at, float) and 0 < at < 1:
        cut = t0 + (t1 - t0) * at
    else:
        cut = _ts(at, "at")
    if not t0 < cut < t1:
        raise _config_error(f"at={cut} is outside the history ({t0} .. {t1}): nothing to pick on or nothing to count")
    return t0, cut, t1


@analysis(BACKTEST)
def backtest(
    community: Any,
    *,
    at: Any = None,
    k: int = 50,
    methods: Sequence[str] | None = None,
    picks: Iterable[str] | None = None,
    window_days: float | None = None,
    recent_days: float | None = None,
    max_hops: int | None = DEFAULT_MAX_HOPS,
    eps: float = 0.1,
    seed: int = 0,
    bootstrap: int = 200,
    threads: int | None = None,
    ceiling: bool = False,
) -> pd.DataFrame:
    """Backtest ambassador picks against simple alternatives on the community's own history.

    Splits the history at ``at``, picks ``k`` owners per method from the data before it
    (``Community(tables, until=at)``), and counts the owners each set reached afterwards
    (module docstring: exposures, reach, bootstrap).  Only owners who may be targeted (not
    staff, not opted out before ``at``) are picked by the built-in methods.

    Methods: ``ambassadors:<probability>`` (OPIM-C with that probability model, IC,
    ``eps``, the cascade limited to ``max_hops`` ties like the reach it is scored on;
    ``ambassadors:learned`` learns the tie probabilities from the data before
    ``at`` with the evaluation window length as horizon), ``kocs`` (KOC score top k),
    ``out_degree`` (most distinct owners exposed to the owner before ``at``: engaged with their
    posts, checked in at events they organised or hosted, or were referred by them),
    ``pagerank`` (weighted PageRank on the exposures reversed: engager -> author,
    attendee -> organiser, referee -> referrer), ``recent_engagers`` (most
    distinct owners exposed to them in the last ``recent_days`` before ``at``), ``random``
    (``k`` eligible owners drawn with ``seed``), ``picks`` (the given list, as is) and, when
    asked for, ``credit`` (the credit-distribution model of :mod:`graphcrm.algorithms.credit`:
    episodes of the evaluation window's length before ``at``, chains of at most ``max_hops``)
    and ``auto`` (the one of :data:`AUTO_CANDIDATES` that reached most in an inner backtest on
    the data before ``at``, its evaluation window the last stretch of the evaluation window's
    length before ``at``; ``details.models["auto"]`` says which and the inner reaches).

    Parameters
    ----------
    community : graphcrm.community.Community
        The whole history (no ``until``); a window limits what is replayed.
    at : date, timestamp or float in (0, 1), optional
        The split ``T``; a float ``q`` means ``first + q * (last - first)`` over the times of
        the exposures.  Default 0.7 (the first 70% of the time span for picking, the last 30%
        for counting).  Data up to ``T`` inclusive are for picking, reach counts after ``T``.
        With a long, sparse start (years of referrals before the app's posts) give a date.
    k : int, default 50
    methods : list of str, optional
        Default: every ambassadors probability model, kocs, out_degree, pagerank,
        recent_engagers, random (plus ``picks`` when given).
    picks : iterable of str, optional
        A user-supplied set of owner ids (e.g. marketing's own list), evaluated as method
        ``picks`` (unknown ids reach nobody and are listed in ``details.unknown_picks``).
    window_days : float, optional
        Count reach only up to ``at + window_days`` (default: to the end of the data).
    recent_days : float, optional
        Window of ``recent_engagers`` (default 30 days, at most a quarter of the training span).
    max_hops : int or None, default 2
        Longest exposure chain counted as reach (``None``: no limit).
    eps : float, default 0.1
        OPIM-C slack of the ambassadors methods.
    seed : int, default 0
        Seed of every random part (ambassadors, random, bootstrap); the kocs baseline is
        :func:`~graphcrm.algorithms.koc.kocs` with its defaults (circles with their default seed).
    bootstrap : int, default 200
        Bootstrap replicates (0: no intervals).
    threads : int, optional
        Sampling threads of the ambassadors methods.
    ceiling : bool, default False
        Add one row, ``method="hindsight"``: the most owners any ``k`` eligible owners (what the
        built-in methods may pick: known before ``at``, not staff, not opted out) would have
        reached, found *with hindsight*, reading the period after ``at`` (the same reach, by
        :mod:`graphcrm.algorithms.hindsight`).  It is the room there was, not a method: it is
        never a baseline nor the best method.  ``reach`` is the exact optimum (HiGHS integer
        program, :data:`CEILING_SECONDS` time limit) when ``details.ceiling["optimal"]``;
        otherwise (the program stopped, or was not tried because the reach sets hold more than
        :data:`CEILING_EXACT_MAX_ENTRIES` owners) the best set found (greedy with hindsight or
        the program's) with the proven bound in ``details.ceiling["upper"]``.  ``k`` is the
        number of owners in that set (fewer than asked when more picks would add no one),
        ``reach_low``/``reach_high`` and ``ratio_low``/``ratio_high`` come from the same paired
        bootstrap run again over the owners reached by the methods and the hindsight set
        (the other rows keep theirs), ``seconds`` is the ceiling's wall time.

    Returns
    -------
    pandas.DataFrame
        One row per method, in the order asked: ``method``, ``k`` (owners picked),
        ``reach`` (owners reached after ``at``, picks excluded, each once), ``reach_low``,
        ``reach_high`` (95% bootstrap interval, owners), ``direct_reach`` (owners exposed to
        a pick directly after ``at``), ``ratio_to_best_baseline`` (reach / reach of the best
        of out_degree, pagerank, recent_engagers and kocs; 1.0 for that baseline itself),
        ``ratio_low``, ``ratio_high`` (its 95% bootstrap interval), ``active_picks`` (picks
        with an exposure of their own after ``at``), ``seconds`` (wall time of the
        selection); see :data:`BACKTEST`.  With ``ceiling=True`` a last row ``hindsight``
        (see ``ceiling``).  With ``details=True``: ``(table, BacktestDetails)`` (split times,
        best baseline, each method's picks, the ambassadors models, unknown picks, the ceiling).

    Raises
    ------
    ConfigError
        Bad options or an unknown method; ``ceiling=True`` with ``max_hops`` other than 1 or 2
        and more than :data:`CEILING_SLOW_MAX_CANDIDATES` owners active after the split.
    AnalysisError
        No timed activity to backtest on.

    Example
    -------
    >>> from graphcrm.demo import generate_demo
    >>> from graphcrm.community import Community
    >>> tables, _ = generate_demo(1000, seed=0)
    >>> df = backtest(Community(tables), k=5, methods=["out_degree", "random"], bootstrap=20)
    >>> df["method"].tolist()
    ['out_degree', 'random']
    """
    from graphcrm.community import Community

    bootstrap, methods, user_picks = _check_options(k, max_hops, bootstrap, methods, picks)
    t0, cut, t1 = _split_time(community, at)
    end = t1
    if window_days is not None:
        if not float(window_days) > 0:
            raise _config_error("window_days must be positive")
        end = min(t1, cut + pd.Timedelta(days=float(window_days)))
    train = Community(community.tables, since=community.since, until=cut)
    span_days = (cut - t0).total_seconds() / 86400.0
    rdays = float(recent_days) if recent_days is not None else min(DEFAULT_RECENT_DAYS, span_days / 4)
    horizon_days = (end - cut).total_seconds() / 86400.0

    chosen, models, secs = _select_all(community, train, methods, cut=cut, k=int(k), rdays=rdays,
                                       horizon_days=horizon_days, max_hops=max_hops, eps=eps, seed=seed,
                                       threads=threads)
    if user_picks is not None:
        chosen["picks"] = np.asarray(list(dict.fromkeys(user_picks)), dtype=object)

    n = len(community.owner_ids)
    rows, reached, unknown, n_win = _replay(community, methods, chosen, secs, cut_ns=int(cut.value),
                                            end_ns=int(end.value), max_hops=max_hops)
    ceil_info = None
    if ceiling:
        row, reached_h, ceil_info = _ceiling(community, train, k=int(k), cut_ns=int(cut.value),
                                             end_ns=int(end.value), max_hops=max_hops)
        rows.append(row)
    out = pd.DataFrame(rows)
    base = [m for m in methods if m in BASELINES]
    best = max(base, key=lambda m: (int(reached[m].sum()), -base.index(m))) if base else None
    best_reach = float(reached[best].sum()) if best else float("nan")
    out["ratio_to_best_baseline"] = out["reach"] / best_reach if best and best_reach > 0 else np.nan

    lo, hi, rlo, rhi = _bootstrap_intervals(reached, methods, best, n=n, bootstrap=bootstrap, seed=seed)
    out["reach_low"] = out["method"].map(lo).astype(float)
    out["reach_high"] = out["method"].map(hi).astype(float)
    out["ratio_low"] = out["method"].map(rlo).astype(float)
    out["ratio_high"] = out["method"].map(rhi).astype(float)
    if ceil_info is not None:
        # the hindsight set's intervals: the same paired bootstrap (seed, replicates) over the union
        # that includes its reached owners; the methods' own intervals above are left as they were
        both = {**reached, HINDSIGHT: reached_h}
        hlo, hhi, hrlo, hrhi = _bootstrap_intervals(both, [*methods, HINDSIGHT], best, n=n, bootstrap=bootstrap,
                                                    seed=seed)
        at_h = out["method"] == HINDSIGHT
        for col, d in (("reach_low", hlo), ("reach_high", hhi), ("ratio_low", hrlo), ("ratio_high", hrhi)):
            out.loc[at_h, col] = float(d[HINDSIGHT])
    out = out[["method", "k", "reach", "reach_low", "reach_high", "direct_reach", "ratio_to_best_baseline",
               "ratio_low", "ratio_high", "active_picks", "seconds"]]
    for c in ("ratio_to_best_baseline", "ratio_low", "ratio_high"):
        out[c] = out[c].round(4)
    info = BacktestDetails(
        at=cut, start=t0, end=end, best_baseline=best, max_hops=max_hops, owners=n, exposures_after=n_win,
        recent_days=float(rdays), bootstrap=bootstrap, picks={m: [str(x) for x in chosen[m]] for m in methods},
        models=models, unknown_picks=tuple(unknown), ceiling=ceil_info)
    return out, info


def _ceiling(community: Any, train: Any, *, k: int, cut_ns: int, end_ns: int,
             max_hops: int | None) -> tuple[dict, np.ndarray, dict]:
    """The ``ceiling=True`` row: ``(result row, reached mask, details.ceiling)`` (backtest docstring)."""
    from graphcrm.algorithms import hindsight as hs

    t_start = time.perf_counter()
    ids = community.owner_ids
    n = len(ids)
    elig = np.zeros(n, dtype=bool)
    pos = community.index_of(train.owner_ids[train.eligible()])
    elig[pos[pos >= 0]] = True
    ex = exposures(community)
    tt_all = ex["t"].to_numpy()
    win = (tt_all > cut_ns) & (tt_all <= end_ns)
    src, dst, tt = (ex[c].to_numpy()[win] for c in ("src", "dst", "t"))
    start = cut_ns + 1
    active = np.zeros(n, dtype=bool)
    active[src] = True
    if max_hops not in (1, 2) and int((elig & active).sum()) > CEILING_SLOW_MAX_CANDIDATES:
        raise _config_error(f"ceiling with max_hops={max_hops}: {int((elig & active).sum()):,} candidates after "
                            f"the split, at most {CEILING_SLOW_MAX_CANDIDATES:,} (use max_hops 1 or 2)")
    c = hs.hindsight_ceiling(src, dst, tt, n, elig, k=int(k), start=start, end=end_ns, max_hops=max_hops,
                             exact_seconds=CEILING_SECONDS, max_entries=CEILING_MAX_ENTRIES,
                             exact_max_entries=CEILING_EXACT_MAX_ENTRIES)
    entries = c.entries
    exact_ok = entries <= CEILING_EXACT_MAX_ENTRIES
    use_exact = c.exact is not None and c.exact_picks is not None and math.isfinite(c.exact) and c.exact >= c.greedy
    picks = np.asarray(c.exact_picks if use_exact else c.picks, dtype=np.int64)
    hops = temporal_reach(src, dst, tt, n, picks, start=start, end=end_ns, max_hops=max_hops)
    mask = hops > 0
    reach = int(mask.sum())
    optimal = bool((use_exact and c.exact_optimal) or reach >= c.upper)
    if not exact_ok:
        stopped = f"integer program not tried: {entries:,} reach-set entries > {CEILING_EXACT_MAX_ENTRIES:,}"
    elif c.exact is not None and not c.exact_optimal:
        stopped = f"integer program stopped at its {CEILING_SECONDS:g} s time limit"
    else:
        stopped = None
    seconds = time.perf_counter() - t_start
    row = {"method": HINDSIGHT, "k": int(len(picks)), "reach": reach, "direct_reach": int((hops == 1).sum()),
           "active_picks": int(active[picks].sum()), "seconds": round(seconds, 3)}
    info = {"reach": reach, "upper": float(max(c.upper, reach)), "optimal": optimal,
            "solver": "highs" if use_exact else "greedy", "stopped": None if optimal else stopped,
            "greedy": int(c.greedy), "candidates": int(c.candidates), "entries": entries,
            "pool_truncated": bool(c.pool_truncated), "picks": [str(x) for x in ids[picks]],
            "seconds": round(seconds, 3)}
    return row, mask, info


def _check_options(k: Any, max_hops: Any, bootstrap: Any, methods: Sequence[str] | None,
                   picks: Iterable[str] | None) -> tuple[int, list[str], list[str] | None]:
    """Check :func:`backtest`'s options; return ``(bootstrap, methods, user_picks)`` (ConfigError if bad)."""
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise _config_error("k must be a positive integer")
    if max_hops is not None and (not isinstance(max_hops, (int, np.integer)) or max_hops < 1):
        raise _config_error("max_hops must be a positive integer or None")
    bootstrap = int(bootstrap)
    if bootstrap < 0:
        raise _config_error("bootstrap must be 0 or more")
    methods = list(default_methods() if methods is None else methods)
    user_picks = None if picks is None else [str(x) for x in picks]
    if user_picks is not None and "picks" not in methods:
        methods.append("picks")
    known = set(default_methods()) | {"picks", "ambassadors:learned", "credit", "auto"}
    bad = [m for m in methods if m not in known]
    if bad:
        raise _config_error(f"unknown method(s) {bad}; methods are {', '.join(sorted(known))}")
    if "picks" in methods and user_picks is None:
        raise _config_error("method 'picks' needs picks=")
    return bootstrap, methods, user_picks


def _select_all(community: Any, train: Any, methods: list[str], *, cut: pd.Timestamp, k: int, rdays: float,
                horizon_days: float, max_hops: int | None, eps: float, seed: int,
                threads: int | None) -> tuple[dict[str, np.ndarray], dict[str, dict], dict[str, float]]:
    """Each method's picks on the data before ``cut``: ``(chosen ids, ambassadors models, seconds)``."""
    tr_ids = train.owner_ids
    n_tr = len(tr_ids)
    elig = train.eligible()
    ex_tr = exposures(train)
    cut_ns = int(cut.value)
    chosen: dict[str, np.ndarray] = {}
    models: dict[str, dict] = {}
    secs: dict[str, float] = {}
    for m in methods:
        t_start = time.perf_counter()
        if m.startswith("ambassadors:"):
            from graphcrm.algorithms.influence import ambassadors

            prob = m.split(":", 1)[1]
            opts = {"horizon_days": horizon_days} if prob == "learned" else {}
            # every model plans for the reach that is counted: cascades of at most max_hops ties
            # (unlimited, the exp rule percolates: on the 20,000-owner demo over 5 minutes
            # instead of 1 s, the RR sets holding most of the community)
            df, info = ambassadors(train, k=int(k), eps=eps, probability=prob, mc_runs=0, seed=seed,
                                   max_hops=0 if max_hops is None else int(max_hops), threads=threads,
                                   progress=False, details=True, **opts)
            sel = train.index_of(df["owner_id"])
            models[m] = {"model": info.model, "probability": info.probability, "edges": info.stats.edges,
                         "learned": info.learned}
        elif m == "credit":
            # the credit-distribution model (algorithms/credit.py): episodes of the evaluation
            # window's length, credited chains as long as the counted ones
            from graphcrm.algorithms import credit as cd

            df, cinfo = cd.credit_ambassadors(train, k=int(k), horizon_days=horizon_days, eligible=elig,
                                              normalize=cd.DEFAULT_NORMALIZE,
                                              half_life_episodes=cd.DEFAULT_HALF_LIFE_EPISODES,
                                              max_hops=1 if max_hops == 1 else cd.DEFAULT_MAX_HOPS,
                                              credit=cd.DEFAULT_CREDIT, decay=cd.DEFAULT_DECAY, details=True)
            sel = train.index_of(df["owner_id"])
            models[m] = {"model": "credit", "probability": "credit", "edges": cinfo.edges,
                         "episodes": cinfo.episodes, "episode_days": round(cinfo.episode_days, 3),
                         "normalize": cinfo.normalize, "half_life_episodes": cinfo.half_life_episodes,
                         "credit": cd.DEFAULT_CREDIT}
        elif m == "auto":
            sel, models[m] = _auto_select(community, train, cut=cut, k=k, rdays=rdays, horizon_days=horizon_days,
                                          max_hops=max_hops, eps=eps, seed=seed, threads=threads)
        elif m == "kocs":
            # graphcrm's own KOC ranking (default options) on the data before T, kept on the
            # whole community per window: backtests at other k, methods or seeds on the same
            # split reuse it (its circles scan is most of its cost)
            score = community.memo("backtest_koc_scores", {"since": community.since, "until": cut},
                                   lambda: _koc_scores(train))
            sel = _rank_top(score + 1e-12, tr_ids, elig, int(k))
        elif m == "out_degree":
            sel = _rank_top(_distinct_out(ex_tr, n_tr), tr_ids, elig, int(k))
        elif m == "recent_engagers":
            sel = _rank_top(_distinct_out(ex_tr, n_tr, since=cut_ns - int(rdays * _NS_DAY)), tr_ids, elig, int(k))
        elif m == "pagerank":
            sel = _rank_top(_pagerank(ex_tr, n_tr), tr_ids, elig, int(k))
        elif m == "random":
            rng = np.random.default_rng([int(seed), 0xBAC7])
            pool = np.flatnonzero(elig)
            sel = np.sort(rng.choice(pool, size=min(int(k), len(pool)), replace=False)) if len(pool) else pool
        else:  # picks
            sel = None
        secs[m] = time.perf_counter() - t_start
        chosen[m] = np.asarray([], dtype=object) if sel is None else tr_ids[np.asarray(sel, dtype=np.int64)]
    return chosen, models, secs


def _auto_select(community: Any, train: Any, *, cut: pd.Timestamp, k: int, rdays: float, horizon_days: float,
                 max_hops: int | None, eps: float, seed: int, threads: int | None) -> tuple[np.ndarray, dict]:
    """The ``auto`` method: backtest :data:`AUTO_CANDIDATES` inside the picking period (split at
    ``cut - horizon``: the last stretch as long as the evaluation window is its evaluation
    window; nothing after ``cut`` is seen), then pick with the candidate that reached most."""
    ex = exposures(train)
    t0 = pd.Timestamp(int(ex["t"].iloc[0]))
    inner = cut - pd.Timedelta(days=float(horizon_days))
    if not inner > t0 + (cut - t0) * 0.25:
        inner = t0 + (cut - t0) * AUTO_FALLBACK_SPLIT
    df, _ = backtest(train, at=inner, k=int(k), methods=list(AUTO_CANDIDATES), bootstrap=0, max_hops=max_hops,
                     eps=eps, seed=seed, threads=threads, details=True)
    reach = dict(zip(df["method"], df["reach"].astype(int)))
    chosen = max(AUTO_CANDIDATES, key=lambda m: (reach[m], -AUTO_CANDIDATES.index(m)))
    picks, models, _ = _select_all(community, train, [chosen], cut=cut, k=k, rdays=rdays, horizon_days=horizon_days,
                                   max_hops=max_hops, eps=eps, seed=seed, threads=threads)
    info = {"model": "auto", "chosen": chosen, "inner_at": str(inner), "inner_reach": reach, **{
        f"chosen_{key}": v for key, v in models.get(chosen, {}).items() if key != "learned"}}
    return train.index_of(picks[chosen]), info


def _replay(community: Any, methods: list[str], chosen: dict[str, np.ndarray], secs: dict[str, float], *,
            cut_ns: int, end_ns: int,
            max_hops: int | None) -> tuple[list[dict], dict[str, np.ndarray], list[str], int]:
    """Replay ``(cut_ns, end_ns]`` on the whole history: ``(result rows, reached masks, unknown picks, exposures)``."""
    ids = community.owner_ids
    n = len(ids)
    ex = exposures(community)
    win = ex[(ex["t"] > cut_ns) & (ex["t"] <= end_ns)]
    # the window cut once: in_window(start=cut_ns + 1, end=end_ns) of these rows keeps them all
    src, dst, tt = (np.ascontiguousarray(win[c].to_numpy(), dtype=np.int64) for c in ("src", "dst", "t"))
    active_src = np.zeros(n, dtype=bool)
    active_src[src] = True
    reached: dict[str, np.ndarray] = {}
    rows = []
    unknown: list[str] = []
    for m in methods:
        idx = community.index_of(chosen[m])
        if m == "picks":
            unknown = [str(x) for x, i in zip(chosen[m], idx) if i < 0]
        idx = idx[idx >= 0]
        hops = _reach_in_window(src, dst, tt, n, idx, start=cut_ns + 1, max_hops=max_hops)
        mask = hops > 0
        reached[m] = mask
        rows.append({"method": m, "k": int(len(chosen[m])), "reach": int(mask.sum()),
                     "direct_reach": int((hops == 1).sum()), "active_picks": int(active_src[idx].sum()),
                     "seconds": round(secs[m], 3)})
    return rows, reached, unknown, int(len(win))


def _bootstrap_intervals(reached: dict[str, np.ndarray], methods: list[str], best: str | None, *, n: int,
                         bootstrap: int, seed: int) -> tuple[dict, dict, dict, dict]:
    """Paired Poisson-bootstrap 95% intervals of reach and ratio per method: ``(lo, hi, ratio lo, ratio hi)``."""
    from graphcrm.algorithms._bootstrap import poisson_bootstrap_sums

    lo = {m: np.nan for m in methods}
    hi, rlo, rhi = dict(lo), dict(lo), dict(lo)
    if bootstrap and n:
        union = np.zeros(n, dtype=bool)
        for m in methods:
            union |= reached[m]
        cols = np.flatnonzero(union)
        rng = np.random.default_rng([int(seed), 0xB007])
        # the replicates' weighted counts, w @ reached[m][cols] for every method at once for
        # w = rng.poisson(1.0, size=(bootstrap, len(cols))), without building w (200 x the
        # reached owners, 3.2 GB at 1M with its float copy): the same draws, exact sums
        masks = np.column_stack([reached[m][cols] for m in methods]).astype(np.uint8)
        sums = poisson_bootstrap_sums(rng, masks, bootstrap)
        rep = {m: sums[:, i] for i, m in enumerate(methods)}
        for m in methods:
            lo[m], hi[m] = np.percentile(rep[m], [2.5, 97.5])
            if best is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = np.where(rep[best] > 0, rep[m] / rep[best], np.nan)
                if np.isfinite(ratio).any():
                    rlo[m], rhi[m] = np.nanpercentile(ratio, [2.5, 97.5])
    return lo, hi, rlo, rhi


def format_summary(df: pd.DataFrame, info: BacktestDetails) -> str:
    """A one-paragraph reading of a :func:`backtest` result and its details (for the CLI and reports)."""
    best = info.best_baseline
    lines = [f"Backtest: picks from {info.start:%Y-%m-%d %H:%M} to {info.at:%Y-%m-%d %H:%M}, reach counted "
             f"to {info.end:%Y-%m-%d %H:%M} ({info.exposures_after:,} exposures; chains of at most "
             f"{info.max_hops or 'any number of'} hops; 95% intervals from {info.bootstrap} owner-bootstrap "
             f"replicates)."]
    if best:
        b = df.loc[df["method"] == best].iloc[0]
        lines.append(f"Best simple baseline: {best} with {int(b['reach']):,} owners reached.")
    for r in df.itertuples(index=False):
        if r.method.startswith("ambassadors") and not math.isnan(r.ratio_to_best_baseline):
            lines.append(f"{r.method}: {r.reach:,} owners = {r.ratio_to_best_baseline:.3f} x best baseline "
                         f"(95% CI {r.ratio_low:.3f}-{r.ratio_high:.3f}).")
    return "\n".join(lines)
