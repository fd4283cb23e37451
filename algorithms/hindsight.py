"""The hindsight ceiling of a backtest: how much could *any* k picks have reached after T?

A measurement tool for :func:`graphcrm.algorithms.backtest.backtest`, not a pick method: it
reads the evaluation period (the future, from the picks' point of view) and so can only say
how far the baselines and the models are from the best possible picks on that history.

Reach as a coverage function
----------------------------
Reach after ``T`` of a set ``S`` (backtest module docstring: earliest arrival along
time-respecting chains of at most ``max_hops`` exposures in ``(T, T_end]``, the picks reached
at ``T``) is the union of the picks' *own* reach sets minus the picks::

    reach(S) = | (R(s_1) u ... u R(s_k)) \\ S |

where ``R(s)`` is what ``s`` alone reaches (``s`` excluded).  Why: the earliest arrival with at
most ``h`` hops from a set is the minimum over its members' earliest arrivals (a chain starts
at one pick; a pick reached by another pick is a seed itself, reached earlier, so every chain
through it is also a chain from it), and an owner is reached when that minimum is finite.
``tests/test_hindsight.py`` checks the identity on a hand-built history and on random ones.

So the best achievable reach is a maximum-coverage problem over the eligible owners' after-T
reach sets, with the picks themselves removed.  ``f(S) = |U(S) \\ S|`` is submodular (the gain
of ``s``, ``|R(s) \\ (U u S u {s})| - [s in U \\ S]``, only shrinks as ``S`` grows) but not
monotone; ``g(S) = |U(S)|`` is monotone submodular and ``f <= g``.

Bounds
------
* **lower**: ``f`` of the lazy-greedy set on ``f`` (a set some picks could have been);
* **upper** on ``max f``: ``max f <= max g <= g(S_i) + (sum of the k largest gains of g at S_i)``
  for every greedy prefix ``S_i`` of ``g`` (monotone submodular: ``g(OPT) <= g(S_i u OPT) <=
  g(S_i) + sum_{o in OPT} gain(o | S_i)``; Leskovec et al., KDD 2007, the "online bound"); the
  minimum over the prefixes is reported.  At ``i = 0`` it is the sum of the k largest single
  reaches.  The textbook bound ``upper_simple = min(g(S_k) / (1 - 1/e), top-k singles)`` is
  reported beside it, and ``upper`` is the smaller of the two.
* optionally **exact**: the integer program ``max sum y_v`` s.t. ``y_v <= sum_{s: v in R(s)} x_s``,
  ``y_v + x_v <= 1`` (a pick is not counted), ``sum x_s = k`` solved by HiGHS (scipy ``milp``)
  under a time limit; its dual bound is a valid upper bound even when it stops early.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from graphcrm.arrays import unique_sorted


# ------------------------------------------------------------------------------- reach sets
@njit(cache=True)
def _two_hop_sets(ptr, out_dst, out_t, cands, n, hops, fill, indptr, indices):  # pragma: no cover - compiled
    """Count (fill=False) or write (fill=True) each candidate's own reach set within ``hops`` <= 2."""
    seen = np.full(n, -1, dtype=np.int64)
    first = np.zeros(n, dtype=np.int64)
    direct = np.empty(n, dtype=np.int64)
    for ci in range(cands.shape[0]):
        s = cands[ci]
        seen[s] = ci  # never counted
        nd = 0
        pos = indptr[ci] if fill else 0
        cnt = 0
        for j in range(ptr[s], ptr[s + 1]):  # s's exposures in time order: first one per owner = arrival
            u = out_dst[j]
            if seen[u] != ci:
                seen[u] = ci
                first[u] = out_t[j]
                direct[nd] = u
                nd += 1
                if fill:
                    indices[pos] = u
                    pos += 1
                cnt += 1
        if hops >= 2:
            for a in range(nd):
                u = direct[a]
                lo, hi = ptr[u], ptr[u + 1]
                # first of u's exposures strictly later than u was reached
                j = lo + np.searchsorted(out_t[lo:hi], first[u], side="right")
                for jj in range(j, hi):
                    v = out_dst[jj]
                    if seen[v] != ci:
                        seen[v] = ci
                        if fill:
                            indices[pos] = v
                            pos += 1
                        cnt += 1
        if not fill:
            indptr[ci + 1] = cnt
        else:
            indices[indptr[ci]:pos].sort()


def _by_source(src: Any, dst: Any, t: Any, n: int, *, start: int,
               end: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The window's exposures grouped by source, by time within a source: ``(ptr, dst, t)``,
    source ``u``'s exposures at ``ptr[u]:ptr[u + 1]``."""
    from graphcrm.algorithms.backtest import in_window

    src, dst, t = in_window(src, dst, t, start=start, end=end)
    order = np.lexsort((t, src))
    ptr = np.zeros(n + 1, dtype=np.int64)
    ptr[1:] = np.cumsum(np.bincount(src, minlength=n))
    return ptr, dst[order], t[order]


def reach_sets(src: np.ndarray, dst: np.ndarray, t: np.ndarray, n: int, candidates: Any, *, start: int,
               end: int | None = None, max_hops: int | None = 2) -> tuple[np.ndarray, np.ndarray]:
    """Each candidate's own reach set after ``start`` (what it alone would reach as the only pick).

    Parameters
    ----------
    src, dst, t : arrays
        Exposures (``t`` in int64 nanoseconds), as :func:`~graphcrm.algorithms.backtest.temporal_reach`.
    n : int
        Number of owners.
    candidates : array-like of int
        Owner numbers to compute the sets of (duplicates are kept as given).
    start, end : int
        Evaluation window in nanoseconds (``end`` inclusive; ``None`` = no end), as ``temporal_reach``.
    max_hops : int or None, default 2
        Longest chain counted.  1 and 2 are compiled passes over the window's exposures grouped
        by source; other values replay :func:`temporal_reach` once per candidate (slow, exact).

    Returns
    -------
    (indptr, indices) : tuple of numpy.ndarray
        CSR rows: ``indices[indptr[i]:indptr[i + 1]]`` are the owners (sorted, int64) the
        ``i``-th candidate reaches, the candidate itself excluded.

    Example
    -------
    >>> p, ix = reach_sets(np.array([0, 1, 1]), np.array([1, 2, 3]), np.array([5, 6, 4]), 4, [0, 1], start=0)
    >>> [ix[p[i]:p[i + 1]].tolist() for i in range(2)]
    [[1, 2], [2, 3]]
    """
    cands = np.asarray(candidates, dtype=np.int64)
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    t = np.asarray(t, dtype=np.int64)
    if max_hops is not None and max_hops not in (1, 2):
        from graphcrm.algorithms.backtest import temporal_reach

        rows = [np.flatnonzero(temporal_reach(src, dst, t, n, [c], start=start, end=end, max_hops=max_hops) > 0)
                for c in cands]
        indptr = np.zeros(len(cands) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(r) for r in rows])
        indices = np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, np.int64)
        return indptr, indices
    ptr, dst, t = _by_source(src, dst, t, n, start=start, end=end)
    hops = 1 if max_hops == 1 else 2
    counts = np.zeros(len(cands) + 1, dtype=np.int64)
    dummy = np.zeros(0, dtype=np.int64)
    _two_hop_sets(ptr, dst, t, cands, n, hops, False, counts, dummy)
    indptr = np.cumsum(counts)
    indices = np.empty(int(indptr[-1]), dtype=np.int64)
    _two_hop_sets(ptr, dst, t, cands, n, hops, True, indptr, indices)
    return indptr, indices


def reach_sizes(src: np.ndarray, dst: np.ndarray, t: np.ndarray, n: int, candidates: Any, *, start: int,
                end: int | None = None, max_hops: int = 2) -> np.ndarray:
    """Sizes of :func:`reach_sets`' rows without building them (``max_hops`` 1 or 2).

    Example
    -------
    >>> reach_sizes(np.array([0, 1, 1]), np.array([1, 2, 3]), np.array([5, 6, 4]), 4, [0, 1, 2], start=0).tolist()
    [2, 2, 0]
    """
    if max_hops not in (1, 2):
        raise ValueError("reach_sizes: max_hops must be 1 or 2")
    cands = np.asarray(candidates, dtype=np.int64)
    ptr, dst, t = _by_source(src, dst, t, n, start=start, end=end)
    counts = np.zeros(len(cands) + 1, dtype=np.int64)
    _two_hop_sets(ptr, dst, t, cands, n, int(max_hops), False, counts, np.zeros(0, dtype=np.int64))
    return counts[1:]


# ------------------------------------------------------------------------------- greedy
@njit(cache=True)
def _gains(indptr, indices, covered):  # pragma: no cover - compiled
    out = np.zeros(indptr.shape[0] - 1, dtype=np.int64)
    for i in range(out.shape[0]):
        c = 0
        for j in range(indptr[i], indptr[i + 1]):
            if not covered[indices[j]]:
                c += 1
        out[i] = c
    return out


def _gain_f(i: int, indptr: np.ndarray, indices: np.ndarray, covered: np.ndarray, picked: np.ndarray,
            cand: np.ndarray) -> int:
    row = indices[indptr[i]:indptr[i + 1]]
    return int((~(covered[row] | picked[row])).sum()) - int(covered[cand[i]] and not picked[cand[i]])


def set_reach(indptr: np.ndarray, indices: np.ndarray, cand: np.ndarray, rows: Any, n: int) -> int:
    """``f(S) = |(union of the rows' sets) minus the rows' owners|`` (the backtest's reach of those picks).

    Example
    -------
    >>> set_reach(np.array([0, 2, 3]), np.array([1, 2, 0]), np.array([0, 1]), [0, 1], 3)
    1
    """
    rows = np.asarray(rows, dtype=np.int64)
    covered = np.zeros(n, dtype=bool)
    for i in rows:
        covered[indices[indptr[i]:indptr[i + 1]]] = True
    covered[cand[rows]] = False
    return int(covered.sum())


def greedy_reach(indptr: np.ndarray, indices: np.ndarray, cand: np.ndarray, n: int, k: int) -> list[int]:
    """Lazy greedy on ``f(S) = |U(S) \\ S|`` (module docstring): the rows picked, in order.

    Stops early when no candidate adds anyone (a non-positive gain): the rest of the k picks can
    be owners who add nothing (an uncovered owner without activity after T adds 0), so the reach
    is that of a full k-set.  Ties: the lower row.

    Example
    -------
    >>> # row 0 reaches {1, 2, 3}, row 1 reaches {3}, row 2 reaches {4}; owners 0, 5, 6 are the picks
    >>> greedy_reach(np.array([0, 3, 4, 5]), np.array([1, 2, 3, 3, 4]), np.array([0, 5, 6]), 7, 2)
    [0, 2]
    """
    covered = np.zeros(n, dtype=bool)
    picked = np.zeros(n, dtype=bool)
    sizes = np.diff(indptr)
    heap = [(-int(sizes[i]), i) for i in range(len(cand)) if sizes[i] > 0]
    heapq.heapify(heap)
    out: list[int] = []
    while heap and len(out) < k:
        neg, i = heapq.heappop(heap)
        g = _gain_f(i, indptr, indices, covered, picked, cand)
        if heap and (-g, i) > heap[0]:
            heapq.heappush(heap, (-g, i))  # stale: re-queue with the fresh gain
            continue
        if g <= 0:
            break
        out.append(i)
        covered[indices[indptr[i]:indptr[i + 1]]] = True
        picked[cand[i]] = True
    return out


def coverage_upper_bound(indptr: np.ndarray, indices: np.ndarray, n: int, k: int,
                         checkpoints: int = 12, *, outside: np.ndarray | None = None) -> tuple[float, float, list[int]]:
    """Upper bounds on ``max_{|S| <= k} |U(S)|`` from greedy on the coverage ``g``.

    ``outside``: own reach-set sizes of candidates left out of the rows (a pool of the largest
    sets, :func:`hindsight_ceiling`'s ``max_entries``); an outsider's gain at any ``S_i`` is at
    most its size, so the sizes stand in for its gains and the bound stays one over every
    candidate (the greedy itself runs on the rows only).

    Returns
    -------
    (online, g_greedy, rows)
        ``online``: the minimum over greedy prefixes ``S_i`` (``i`` = 0, the last, and up to
        ``checkpoints`` spaced between) of ``g(S_i) + sum of the k largest gains at S_i``;
        ``g_greedy``: ``g`` of the greedy set (so ``g_greedy / (1 - 1/e)`` is the textbook bound);
        ``rows``: the greedy rows.

    Example
    -------
    >>> coverage_upper_bound(np.array([0, 2, 4]), np.array([1, 2, 2, 3]), 4, 1)[:2]
    (2.0, 2.0)
    """
    covered = np.zeros(n, dtype=bool)
    m = len(indptr) - 1
    at = sorted({0, k, *np.unique(np.geomspace(1, max(k, 1), num=checkpoints).astype(int)).tolist()})
    gains = _gains(indptr, indices, covered)
    heap = [(-int(gains[i]), i) for i in range(m) if gains[i] > 0]
    heapq.heapify(heap)
    rows: list[int] = []
    best = math.inf
    g_now = 0
    for step in range(k + 1):
        if step in at:
            gains = _gains(indptr, indices, covered)
            pool = gains if outside is None or not len(outside) else np.concatenate([gains, outside])
            top = np.sort(pool)[::-1][:k].sum() if len(pool) else 0
            best = min(best, float(g_now + top))
        if step == k:
            break
        while heap:
            neg, i = heapq.heappop(heap)
            row = indices[indptr[i]:indptr[i + 1]]
            g = int((~covered[row]).sum())
            if heap and g < -heap[0][0]:
                heapq.heappush(heap, (-g, i))
                continue
            if g > 0:
                rows.append(i)
                covered[row] = True
                g_now += g
            break
    return best, float(g_now), rows


def exact_max_reach(indptr: np.ndarray, indices: np.ndarray, cand: np.ndarray, n: int, k: int, *,
                    time_limit: float = 60.0) -> tuple[float, float, bool]:
    """``max f`` by the integer program of the module docstring (HiGHS through ``scipy.optimize.milp``).

    Returns
    -------
    (value, dual_bound, optimal)
        The best set's reach found (owners), a proven upper bound, and whether it is proven optimal.

    Example
    -------
    >>> exact_max_reach(np.array([0, 3, 4, 5]), np.array([1, 2, 3, 3, 4]), np.array([0, 5, 6]), 7, 2)
    (4.0, 4.0, True)
    """
    value, bound, optimal, _ = exact_max_reach_rows(indptr, indices, cand, n, k, time_limit=time_limit)
    return value, bound, optimal


def exact_max_reach_rows(indptr: np.ndarray, indices: np.ndarray, cand: np.ndarray, n: int, k: int, *,
                         time_limit: float = 60.0) -> tuple[float, float, bool, np.ndarray]:
    """:func:`exact_max_reach` and the rows of the best set found (int64, empty when none was found).

    Example
    -------
    >>> exact_max_reach_rows(np.array([0, 3, 4, 5]), np.array([1, 2, 3, 3, 4]), np.array([0, 5, 6]), 7, 2)[3].tolist()
    [0, 2]
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix, csr_matrix, vstack

    m = len(cand)
    elems = unique_sorted(indices) if len(indices) else np.zeros(0, np.int64)
    ne = len(elems)
    if not ne or not m:
        return 0.0, 0.0, True, np.zeros(0, np.int64)
    col = np.searchsorted(elems, indices)
    row_of = np.repeat(np.arange(m), np.diff(indptr))
    # variables: x_0..x_{m-1}, y_0..y_{ne-1}; maximise sum y  ->  minimise -sum y
    c = np.concatenate([np.zeros(m), -np.ones(ne)])
    # y_e - sum_{s: e in R(s)} x_s <= 0
    a1 = coo_matrix((np.concatenate([-np.ones(len(indices)), np.ones(ne)]),
                     (np.concatenate([col, np.arange(ne)]), np.concatenate([row_of, m + np.arange(ne)]))),
                    shape=(ne, m + ne))
    # y_e + x_s <= 1 where e is candidate s itself
    pos = np.searchsorted(elems, cand)
    hit = (pos < ne) & (elems[np.minimum(pos, ne - 1)] == cand)
    hs = np.flatnonzero(hit)
    a2 = coo_matrix((np.ones(2 * len(hs)), (np.concatenate([np.arange(len(hs))] * 2),
                                            np.concatenate([hs, m + pos[hs]]))), shape=(len(hs), m + ne))
    a3 = coo_matrix((np.ones(m), (np.zeros(m, dtype=np.int64), np.arange(m))), shape=(1, m + ne))
    a = csr_matrix(vstack([a1, a2, a3]))
    lo = np.concatenate([np.full(ne, -np.inf), np.full(len(hs), -np.inf), [0.0]])
    hi = np.concatenate([np.zeros(ne), np.ones(len(hs)), [float(min(k, m))]])
    integrality = np.concatenate([np.ones(m), np.zeros(ne)])
    res = milp(c, constraints=LinearConstraint(a, lo, hi), integrality=integrality,
               bounds=Bounds(np.zeros(m + ne), np.ones(m + ne)),
               options={"time_limit": float(time_limit), "disp": False, "mip_rel_gap": 1e-9})
    value = float(-res.fun) if res.x is not None else float("nan")
    xs = np.zeros(0, np.int64)
    if res.x is not None:  # the value of the integer x found, counted as the backtest would
        xs = np.flatnonzero(res.x[:m] > 0.5).astype(np.int64)
        value = float(set_reach(indptr, indices, cand, xs, n))
    dual = getattr(res, "mip_dual_bound", None)
    bound = float(-dual) if dual is not None and np.isfinite(dual) else float("inf")
    optimal = bool(res.status == 0)
    if optimal:
        bound = min(bound, value) if np.isfinite(bound) else value
    # no proven bound (stopped before the relaxation was solved): infinite
    return value, float(math.floor(bound + 1e-6)) if math.isfinite(bound) else math.inf, optimal, xs


# ------------------------------------------------------------------------------- the ceiling
@dataclass(frozen=True)
class Ceiling:
    """The hindsight ceiling of one backtest cell (owners reached after T).

    Attributes
    ----------
    k : int
    candidates : int
        Eligible owners with a non-empty reach set after T.
    greedy : int
        Reach of the greedy-with-hindsight picks (a lower bound on the best achievable).
    upper : float
        Proven upper bound on the best achievable reach (the smallest of the bounds below).
    upper_online, upper_simple : float
        Online bound of greedy on the coverage; ``min(g_greedy / (1 - 1/e), sum of the k largest
        single reaches)`` (module docstring).
    exact, exact_bound : float or None
        The integer program's best reach and its proven bound (None when not run).
    exact_optimal : bool
    picks : numpy.ndarray
        Owner numbers of the greedy picks, in greedy order.
    single : numpy.ndarray
        Own reach-set size of every eligible owner (0 where empty), by owner number (-1: not eligible).
    exact_picks : numpy.ndarray or None
        Owner numbers of the integer program's best set (None when not run).
    pool_truncated : bool
        The reach sets held more than ``max_entries`` owners in all: greedy ran on the candidates
        with the largest sets only (still a real set of picks), the bounds cover every candidate,
        and the integer program was not run.
    entries : int
        Owners in all the candidates' reach sets (the integer program's size).
    """

    k: int
    candidates: int
    greedy: int
    upper: float
    upper_online: float
    upper_simple: float
    exact: float | None
    exact_bound: float | None
    exact_optimal: bool
    picks: np.ndarray
    single: np.ndarray
    exact_picks: np.ndarray | None = None
    pool_truncated: bool = False
    entries: int = -1


def hindsight_ceiling(src: np.ndarray, dst: np.ndarray, t: np.ndarray, n: int, eligible: np.ndarray, *,
                      k: int, start: int, end: int | None = None, max_hops: int | None = 2,
                      exact_seconds: float | None = None, max_entries: int | None = None,
                      exact_max_entries: int | None = None) -> Ceiling:
    """Bounds on the best reach after T any ``k`` eligible owners could have had (module docstring).

    Parameters
    ----------
    src, dst, t : arrays
        The whole history's exposures (as :func:`~graphcrm.algorithms.backtest.exposures`).
    n : int
        Owners of the whole history.
    eligible : numpy.ndarray of bool
        ``(n,)``: owners a built-in method may pick (known before T, not staff, not opted out).
    k : int
    start, end : int
        The evaluation window (the backtest's ``cut + 1`` and ``end``, nanoseconds).
    max_hops : int or None, default 2
    exact_seconds : float, optional
        Also solve the integer program under this time limit.
    max_entries : int, optional
        Memory bound (``max_hops`` 1 or 2): when the candidates' reach sets hold more owners than
        this in all (counted first, without building them), only the largest sets are built, as
        many as fit (at least ``k``), greedy runs on those, the upper bound treats the others by
        their sizes (:func:`coverage_upper_bound`'s ``outside``), and the integer program is skipped.
    exact_max_entries : int, optional
        Skip the integer program when the reach sets hold more owners than this in all.

    Returns
    -------
    Ceiling

    Example
    -------
    >>> c = hindsight_ceiling(np.array([0, 1, 2]), np.array([1, 3, 4]), np.array([5, 6, 7]), 5,
    ...                       np.array([True, True, True, False, False]), k=1, start=0)
    >>> c.greedy, c.upper
    (2, 2.0)
    """
    src = np.asarray(src, dtype=np.int64)
    t = np.asarray(t, dtype=np.int64)
    live = t >= start
    if end is not None:
        live &= t <= end
    active = np.zeros(n, dtype=bool)
    active[src[live]] = True
    cand = np.flatnonzero(np.asarray(eligible, dtype=bool) & active)
    single = np.where(np.asarray(eligible, dtype=bool), 0, -1).astype(np.int64)
    outside = None
    entries = -1
    if max_entries is not None and max_hops in (1, 2):
        all_sizes = reach_sizes(src, dst, t, n, cand, start=start, end=end, max_hops=int(max_hops))
        entries = int(all_sizes.sum())
        single[cand] = all_sizes
        top_all = float(np.sort(all_sizes)[::-1][:k].sum()) if len(all_sizes) else 0.0
        if int(all_sizes.sum()) > int(max_entries):
            order = np.lexsort((cand, -all_sizes))  # largest sets first, ties: lower owner number
            fit = int(np.searchsorted(np.cumsum(all_sizes[order]), int(max_entries), side="right"))
            keep = np.sort(order[:max(fit, min(int(k), len(order)))])
            rest = np.ones(len(cand), dtype=bool)
            rest[keep] = False
            outside = all_sizes[rest]
            cand = cand[keep]
    indptr, indices = reach_sets(src, dst, t, n, cand, start=start, end=end, max_hops=max_hops)
    sizes = np.diff(indptr)
    single[cand] = sizes
    if entries < 0:
        entries = int(len(indices))
    rows = greedy_reach(indptr, indices, cand, n, k)
    greedy = set_reach(indptr, indices, cand, rows, n)
    online, g_greedy, _ = coverage_upper_bound(indptr, indices, n, k, outside=outside)
    top_k = float(np.sort(sizes)[::-1][:k].sum()) if len(sizes) else 0.0
    if outside is not None:  # greedy on the pool says nothing of the whole: the k largest sets only
        simple = top_all
    else:
        simple = min(g_greedy / (1 - 1 / math.e), top_k)
    upper = min(online, simple)
    exact = bound = exact_rows = None
    optimal = False
    if exact_seconds and outside is None and (exact_max_entries is None or entries <= exact_max_entries):
        exact, bound, optimal, xs = exact_max_reach_rows(indptr, indices, cand, n, k, time_limit=exact_seconds)
        exact_rows = cand[xs]
        upper = min(upper, bound)
    return Ceiling(k=int(k), candidates=int((single > 0).sum()), greedy=int(greedy), upper=float(upper),
                   upper_online=float(online), upper_simple=float(simple), exact=exact, exact_bound=bound,
                   exact_optimal=optimal, picks=cand[np.asarray(rows, dtype=np.int64)], single=single,
                   exact_picks=exact_rows, pool_truncated=outside is not None, entries=entries)
