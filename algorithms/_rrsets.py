"""Compiled core of influence maximization: RR-set sampling, max coverage, Monte Carlo.

Works on plain numpy arrays and has no graphcrm dependency, so it can be benchmarked
and tested on its own.  Everything random is driven by a counter-based generator:
the random stream of RR set number ``i`` (or Monte Carlo run number ``i``) is a pure
function of ``(seed, stream, i)``.  Results are therefore identical for a given seed
whatever the number of threads or the chunking.

Graph layout
------------
A :class:`CSRGraph` holds, for every node ``v``, the edges of one direction
(in-edges for the *reverse* graph used by RR sampling, out-edges for the *forward*
graph used by Monte Carlo) in ``indices[indptr[v]:indptr[v+1]]`` (uint32) with their
probabilities in ``probs`` (float32).  Inside one node the edges are sorted by
probability, largest first, which is what the skip sampler below needs.

Edge sampling (SUBSIM, Guo et al. SIGMOD 2020)
----------------------------------------------
To sample which of the ``d`` edges of a node are live under IC, the naive method flips
``d`` coins.  Instead we jump straight to the next live edge with a geometric skip:
when the edges of a node share one probability ``p`` (weighted cascade gives every
in-edge of ``v`` probability ``1/indeg(v)``), the gap to the next success is
``floor(log U / log(1-p))``, so the cost is O(1 + number of live edges) rather than
O(d).  For general probabilities the edges are sorted in decreasing order; standing at
position ``i`` we skip geometrically with the bound ``p_i`` and accept the landing edge
``j`` with probability ``p_j / p_i`` (thinning), then continue from ``j + 1`` with the
new bound ``p_{j+1}``.  Every edge is live with exactly its own probability, and when
all probabilities are equal no acceptance coin is drawn at all.

Two cheaper equivalents are used where they apply.  When the edges share ``p`` and the
expected number of live edges is small (weighted cascade: one on average), the number of
live edges ``K ~ Binomial(d, p)`` is drawn by inversion (a handful of multiplications,
no logarithm) and ``K`` distinct positions are then drawn uniformly (Floyd's algorithm):
the same law as ``d`` independent coins, at the cost of O(1 + K).  Lists of mixed
probabilities with at most 16 edges flip one coin per edge.

Parallelism and storage
-----------------------
Sampling runs in chunks of RR sets on a thread pool (numba kernels compiled with
``nogil=True``, one thread per core by default); chunks are joined in order, so the
collection is the same for any number of threads.  A collection is one array plus int64
offsets: plain (uint32 node ids, the set's root first) or packed (each set sorted, big ones
by a bitmap sweep, and written as LEB128 varints of the gaps: about 1.3 bytes per id on a
100,000-node weighted-cascade graph).  The greedy reads packed sets directly.

Implementation notes: the generator state is a scalar threaded through the loops (an
array-held state, or passing arrays to small helpers in the inner loop, makes numba
emit atomic reference-count updates that cost more than the sampling itself), and each
kernel calls the breadth-first search once per RR set or simulation.  Kernels are cached
on disk (``cache=True``); the first use after installation compiles them (10-15 s).
"""
from __future__ import annotations

import math
import os
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numba
import numpy as np
from numba import njit

MODEL_IC = 0
MODEL_LT = 1

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_STREAM_MUL = np.uint64(0xD1B54A32D192ED03)


# --------------------------------------------------------------------------- RNG
# splitmix64 with the state held in a scalar: ``s += _GOLDEN; bits = _mix(s)``.
@njit(inline="always", cache=True)
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(inline="always", cache=True)
def _u01(bits):
    """Uniform double in the open interval (0, 1) from 64 random bits."""
    return ((bits >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@njit(inline="always", cache=True)
def _randint(s, n):
    """``(x, s)``: x uniform in [0, n), n < 2**32 (Lemire's multiply-shift with rejection)."""
    nn = np.uint64(n)
    s += _GOLDEN
    m = (_mix(s) >> np.uint64(32)) * nn
    low = m & np.uint64(0xFFFFFFFF)
    if low < nn:
        t = (np.uint64(4294967296) - nn) % nn
        while low < t:
            s += _GOLDEN
            m = (_mix(s) >> np.uint64(32)) * nn
            low = m & np.uint64(0xFFFFFFFF)
    return np.int64(m >> np.uint64(32)), s


@njit(inline="always", cache=True)
def _stream_state(base, stream, i):
    """Initial state of item ``i`` (an RR set or a simulation) of ``stream``."""
    return _mix(base ^ _mix(np.uint64(stream) * _STREAM_MUL + np.uint64(i) * _GOLDEN))


def base_seed(seed: int) -> np.uint64:
    """The 64-bit key every stream of a run is derived from."""
    return np.uint64(int(seed) & 0xFFFFFFFFFFFFFFFF)


# --------------------------------------------------------------------------- graphs
@dataclass
class CSRGraph:
    """Compressed adjacency of one direction with IC probabilities / LT weights.

    Attributes
    ----------
    n : number of nodes.
    indptr : int64 (n+1,) offsets.
    indices : uint32 neighbours, per node sorted by probability descending.
    probs : float32 probabilities (IC) or weights (LT).
    logq : float32 ``log(1 - p)`` per edge (``-inf`` when p = 1), for the skip sampler.
    cum : float64 per-node cumulative weights (LT random walk), empty when not built.
    nodes : one 32-byte record per node (:data:`NODE_DTYPE`): edge range, how its live
        edges are drawn (``kind``) and the numbers that needs.  One cache line per visited
        node instead of three.
    """

    n: int
    indptr: np.ndarray
    indices: np.ndarray
    probs: np.ndarray
    logq: np.ndarray
    cum: np.ndarray
    nodes: np.ndarray

    @property
    def m(self) -> int:
        return int(self.indices.shape[0])

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.indptr, self.indices, self.probs, self.logq, self.cum, self.nodes))


#: per-node record: edges ``start .. end-1``; ``kind`` says how their live subset is drawn
#: (see :func:`_live_edges_ic`); ``p`` is the first (largest) probability; ``q0`` the
#: chance that no edge is live when all share ``p``; ``a`` is ``p/(1-p)`` (binomial kind)
#: or ``log(1-p)`` (geometric kind).
NODE_DTYPE = np.dtype([("start", np.int64), ("end", np.int64), ("p", np.float32), ("a", np.float32),
                       ("q0", np.float32), ("kind", np.int32)], align=True)
KIND_NONE, KIND_ALL, KIND_BINOMIAL, KIND_GEOMETRIC, KIND_COINS, KIND_THIN = 0, 1, 2, 3, 4, 5
#: nodes with mixed probabilities and at most this many edges flip one coin per edge
#: (cheaper than skip-and-thin for short lists, measured on weighted-cascade out-lists)
_COIN_MAX_DEGREE = 16
#: uniform nodes whose expected number of live edges (about d*p) is at most this draw that
#: number by binomial inversion and then the edges uniformly; others skip geometrically
_BINOMIAL_MAX_MEAN = 12.0


def build_csr(
    n: int, key: np.ndarray, other: np.ndarray, probs: np.ndarray, *, with_cum: bool = False
) -> CSRGraph:
    """CSR grouped by ``key`` (the node owning the edge list) pointing to ``other``.

    For the reverse graph of edges ``u -> v`` pass ``key=v, other=u``; for the forward
    graph pass ``key=u, other=v``.  Edges of one node are sorted by probability
    descending (ties by neighbour id, for determinism).
    """
    # 32-bit ids are used as they are (no int64 copies of tens of millions of edges)
    key = np.asarray(key)
    other = np.asarray(other)
    if key.dtype not in (np.int32, np.uint32):
        key = key.astype(np.int64, copy=False)
    if other.dtype not in (np.int32, np.uint32):
        other = other.astype(np.int64, copy=False)
    p = np.asarray(probs, dtype=np.float32)
    if key.shape != other.shape or key.shape != p.shape:
        raise ValueError("edge arrays must have the same length")
    if key.size and (key.min() < 0 or key.max() >= n or other.min() < 0 or other.max() >= n):
        raise ValueError("edge endpoint out of range")
    if n >= 2**32 - 1:
        raise ValueError("too many nodes for uint32 indices")
    order = _csr_order(key, other, p)
    counts = np.bincount(key, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = other[order].astype(np.uint32)
    p = p[order]
    del order
    with np.errstate(divide="ignore"):
        logq = np.log1p(-p.astype(np.float64)).astype(np.float32)
    cum = np.empty(0, dtype=np.float64)
    if with_cum:
        cum = _segment_cumsum(indptr, p)
    nodes = np.zeros(n, dtype=NODE_DTYPE)
    nodes["start"] = indptr[:-1]
    nodes["end"] = indptr[1:]
    if p.size:
        deg = counts.astype(np.float64)
        has = counts > 0
        first = np.minimum(indptr[:-1], p.size - 1)
        last = np.maximum(indptr[1:] - 1, 0)
        p1 = np.where(has, p[first], 0.0).astype(np.float64)
        uniform = has & (p[first] == p[last])  # sorted: first == last <=> all equal
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lq1 = np.log1p(-np.minimum(p1, 1.0))
            mean_live = -deg * lq1  # = -log P(no live edge); about d*p
            binom = uniform & (p1 < 1.0) & (mean_live <= _BINOMIAL_MAX_MEAN)
            kind = np.where(~has, KIND_NONE,
                   np.where(uniform & (p1 >= 1.0), KIND_ALL,
                   np.where(binom, KIND_BINOMIAL,
                   np.where(uniform, KIND_GEOMETRIC,
                   np.where(counts <= _COIN_MAX_DEGREE, KIND_COINS, KIND_THIN)))))
            nodes["p"] = p1
            nodes["a"] = np.where(binom, p1 / (1.0 - p1), np.where(kind == KIND_GEOMETRIC, lq1, 0.0))
            nodes["q0"] = np.where(binom, np.exp(deg * lq1), 0.0)
        nodes["kind"] = kind
    return CSRGraph(n, indptr, indices, p, logq, cum, nodes)


def _csr_order(key: np.ndarray, other: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The edge order of :func:`build_csr`: by ``key``, then probability descending, then ``other``.

    A stable counting sort by ``key`` and a stable sort of each node's few edges by probability
    (:func:`_bucket_order`), after a stable sort by ``other`` unless ``other`` already ascends
    within every key (edges sorted by ``other``, or by ``(key, other)``).  The same order as the
    three-key ``np.lexsort((other, -p, key))`` (tested), about 3 times faster on 10M edges."""
    m = key.shape[0]
    if m < 2:
        return np.arange(m, dtype=np.int64)
    bits = np.where(p > 0, p, np.float32(0)).astype(np.float32).view(np.uint32)
    desc = np.uint32(0xFFFFFFFF) - bits  # ascends as p descends (non-negative float32 bits ascend with p)
    nkeys = int(key.max()) + 1
    same = key[1:] == key[:-1]
    up = other[1:] >= other[:-1]
    if bool(up.all()) or bool(((key[1:] > key[:-1]) | (same & up)).all()):
        return _bucket_order(key, desc, nkeys)
    first = np.argsort(other, kind="stable")
    return first[_bucket_order(key[first], desc[first], nkeys)]


@njit(cache=True)
def _bucket_order(key, desc, n):  # pragma: no cover - compiled
    """Stable counting sort of edges by ``key``, then a stable sort of each key's edges by ``desc``."""
    m = key.shape[0]
    start = np.zeros(n + 1, dtype=np.int64)
    for i in range(m):
        start[key[i] + 1] += 1
    for v in range(n):
        start[v + 1] += start[v]
    pos = start[:-1].copy()
    order = np.empty(m, dtype=np.int64)
    for i in range(m):
        k = key[i]
        order[pos[k]] = i
        pos[k] += 1
    for v in range(n):
        a, b = start[v], start[v + 1]
        if b - a < 2:
            continue
        done = True
        for j in range(a + 1, b):
            if desc[order[j]] < desc[order[j - 1]]:
                done = False
                break
        if done:
            continue
        if b - a <= 24:  # insertion sort (stable) for short lists
            for j in range(a + 1, b):
                x = order[j]
                dx = desc[x]
                i = j - 1
                while i >= a and desc[order[i]] > dx:
                    order[i + 1] = order[i]
                    i -= 1
                order[i + 1] = x
        else:
            seg = order[a:b].copy()
            idx = np.argsort(desc[seg], kind="mergesort")
            for j in range(b - a):
                order[a + j] = seg[idx[j]]
    return order


@njit(cache=True)
def _segment_cumsum(indptr, p):
    out = np.empty(p.shape[0], dtype=np.float64)
    for v in range(indptr.shape[0] - 1):
        acc = 0.0
        for j in range(indptr[v], indptr[v + 1]):
            acc += p[j]
            out[j] = acc
    return out


# --------------------------------------------------------------------------- sampling kernels
@njit(cache=True)
def _ic_bfs(nodes, indices, probs, logq, s, mark, stamp, queue, qend, scratch, max_depth, g0, g1, gstack):
    """Independent-cascade BFS from ``queue[:qend]`` (already marked with ``stamp``).

    Follows live edges (drawn per node as described in the module docstring), marks and
    appends every newly reached node, at most ``max_depth`` hops from the start (``<= 0``: no
    limit).  The BFS meets nodes in order of their hop distance in the live-edge world, so
    with a limit the result is the set within ``max_depth`` live hops (the IC model run for
    ``max_depth`` rounds); without one the random stream is used exactly as before.

    Nodes ``g0 .. g1-1`` are *group* nodes (a shared event, see
    :func:`graphcrm.algorithms.influence_learning.learned_graph_arrays`): a pass-through that
    is not a hop and not part of the result.  A group node reached from a node is expanded
    right after it (from ``gstack``), so the nodes it reaches are one hop further than that
    node, as a direct tie's would be; group nodes link only to non-group nodes.  With
    ``g0 == g1`` (no groups) the random stream is used exactly as without them.
    Returns ``(qend, s)``.
    """
    head = 0
    depth = 0
    level_end = qend
    gtop = 0
    gn = np.uint32(g1 - g0)  # w is a group node iff (w - g0) mod 2^32 < gn: one comparison
    while head < qend or gtop > 0:
        if gtop > 0:  # a group node met by the node just expanded: same level as that node
            gtop -= 1
            v = np.int64(gstack[gtop])
        else:
            if head == level_end:
                depth += 1
                level_end = qend
            if max_depth > 0 and depth >= max_depth:
                break
            v = np.int64(queue[head])
            head += 1
        rec = nodes[v]
        kind = rec.kind
        j = rec.start
        e = rec.end
        if kind == KIND_NONE:
            continue
        if kind == KIND_BINOMIAL:
            s += _GOLDEN
            u = _u01(_mix(s))
            q = np.float64(rec.q0)
            if u < q:
                continue
            d = e - j
            r = np.float64(rec.a)
            pk = q * d * r
            cum = q + pk
            k = 1
            while u >= cum and k < d:
                pk = pk * (d - k) / (k + 1) * r
                k += 1
                cum += pk
            if k == 1:
                x, s = _randint(s, d)
                w = indices[j + x]
                if mark[w] != stamp:
                    mark[w] = stamp
                    if np.uint32(w - g0) < gn:
                        gstack[gtop] = w
                        gtop += 1
                    else:
                        queue[qend] = w
                        qend += 1
            elif k >= d:
                for i in range(j, e):
                    w = indices[i]
                    if mark[w] != stamp:
                        mark[w] = stamp
                        if np.uint32(w - g0) < gn:
                            gstack[gtop] = w
                            gtop += 1
                        else:
                            queue[qend] = w
                            qend += 1
            elif k <= scratch.shape[0]:
                c = 0
                for t in range(d - k, d):  # Floyd: k distinct positions in [0, d)
                    x, s = _randint(s, t + 1)
                    for i in range(c):
                        if scratch[i] == x:
                            x = t
                            break
                    scratch[c] = x
                    c += 1
                for i in range(c):
                    w = indices[j + scratch[i]]
                    if mark[w] != stamp:
                        mark[w] = stamp
                        if np.uint32(w - g0) < gn:
                            gstack[gtop] = w
                            gtop += 1
                        else:
                            queue[qend] = w
                            qend += 1
            else:
                need = k  # selection sampling (Knuth's algorithm S) for a rare large k
                for i in range(d):
                    s += _GOLDEN
                    if _u01(_mix(s)) * (d - i) < need:
                        w = indices[j + i]
                        if mark[w] != stamp:
                            mark[w] = stamp
                            if np.uint32(w - g0) < gn:
                                gstack[gtop] = w
                                gtop += 1
                            else:
                                queue[qend] = w
                                qend += 1
                        need -= 1
                        if need == 0:
                            break
        elif kind == KIND_ALL:
            for i in range(j, e):
                w = indices[i]
                if mark[w] != stamp:
                    mark[w] = stamp
                    if np.uint32(w - g0) < gn:
                        gstack[gtop] = w
                        gtop += 1
                    else:
                        queue[qend] = w
                        qend += 1
        elif kind == KIND_GEOMETRIC:
            lq = np.float64(rec.a)
            while True:  # geometric skips over edges sharing one probability
                s += _GOLDEN
                f = math.log(_u01(_mix(s))) / lq
                if f >= e - j:
                    break
                j += np.int64(f)
                w = indices[j]
                if mark[w] != stamp:
                    mark[w] = stamp
                    if np.uint32(w - g0) < gn:
                        gstack[gtop] = w
                        gtop += 1
                    else:
                        queue[qend] = w
                        qend += 1
                j += 1
        elif kind == KIND_COINS:
            for i in range(j, e):
                s += _GOLDEN
                if _u01(_mix(s)) < probs[i]:
                    w = indices[i]
                    if mark[w] != stamp:
                        mark[w] = stamp
                        if np.uint32(w - g0) < gn:
                            gstack[gtop] = w
                            gtop += 1
                        else:
                            queue[qend] = w
                            qend += 1
        else:  # KIND_THIN: sorted probabilities, skip with the current bound, thin on landing
            while j < e:
                pb = probs[j]
                if pb <= 0.0:
                    break
                if pb < 1.0:
                    s += _GOLDEN
                    f = math.log(_u01(_mix(s))) / logq[j]
                    if f >= e - j:
                        break
                    j += np.int64(f)
                    pj = probs[j]
                    if pj < pb:
                        s += _GOLDEN
                        if _u01(_mix(s)) * pb >= pj:
                            j += 1
                            continue
                w = indices[j]
                if mark[w] != stamp:
                    mark[w] = stamp
                    if np.uint32(w - g0) < gn:
                        gstack[gtop] = w
                        gtop += 1
                    else:
                        queue[qend] = w
                        qend += 1
                j += 1
    return qend, s


@njit(cache=True)
def _lt_walk(indptr, indices, cum, s, mark, stamp, queue, qend):
    """LT RR set: reverse random walk from ``queue[qend-1]``; at ``v`` pick in-neighbour
    ``u`` with probability = its weight (stop with the remaining probability) and stop at a
    node already on the walk.  Returns ``(qend, s)``."""
    v = np.int64(queue[qend - 1])
    while True:
        a = indptr[v]
        b = indptr[v + 1]
        if a == b:
            break
        s += _GOLDEN
        r = _u01(_mix(s))
        if r >= cum[b - 1]:
            break
        lo = a
        hi = b - 1
        while lo < hi:  # first position with cum > r
            mid = (lo + hi) >> 1
            if cum[mid] > r:
                hi = mid
            else:
                lo = mid + 1
        u = indices[lo]
        if mark[u] == stamp:
            break
        mark[u] = stamp
        queue[qend] = u
        qend += 1
        v = np.int64(u)
    return qend, s


@njit(cache=True)
def _lt_forward(indptr, indices, probs, s, mark, stamp, queue, qend, tmark, thresh, acc):
    """Forward LT cascade from ``queue[:qend]``: a node draws a uniform threshold when first
    reached and activates once its active in-neighbours' weights sum to it.  ``(qend, s)``."""
    head = 0
    while head < qend:
        v = np.int64(queue[head])
        head += 1
        for j in range(indptr[v], indptr[v + 1]):
            u = indices[j]
            if mark[u] == stamp:
                continue
            if tmark[u] != stamp:
                tmark[u] = stamp
                s += _GOLDEN
                thresh[u] = _u01(_mix(s))
                acc[u] = 0.0
            acc[u] += probs[j]
            if acc[u] >= thresh[u]:
                mark[u] = stamp
                queue[qend] = u
                qend += 1
    return qend, s


_DEBRUIJN = np.uint64(0x03F79D71B4CB0A89)
_DEBRUIJN_INDEX = np.zeros(64, dtype=np.int64)
for _i in range(64):
    _DEBRUIJN_INDEX[(((1 << _i) * 0x03F79D71B4CB0A89) & 0xFFFFFFFFFFFFFFFF) >> 58] = _i
del _i


@njit(cache=True)
def _sort_ids(queue, qend, n, words, tab):
    """Sort ``queue[:qend]`` in place: a bitmap sweep for big sets, a quicksort else.

    Returns the number of ids now at the front of ``queue``: ``qend``, except that the bitmap
    sweep drops repeated ids (RR sets never repeat one; hand-made sets may, see
    :func:`pack_sets`).

    ``tab`` is :data:`_DEBRUIJN_INDEX`, passed in: a global array read inside a cached
    function is rebuilt on every access, which made this three times slower.
    """
    if qend > 32 and (n >> 6) <= 64 * qend:  # sweeping n/64 words (sequential) per set
        for i in range(qend):
            v = np.int64(queue[i])
            words[v >> 6] |= np.uint64(1) << np.uint64(v & 63)
        c = 0
        for w in range(words.shape[0]):
            x = words[w]
            if x != np.uint64(0):
                words[w] = np.uint64(0)
                while x != np.uint64(0):
                    low = x & (~x + np.uint64(1))  # lowest set bit; its index by de Bruijn
                    queue[c] = (w << 6) + tab[(low * _DEBRUIJN) >> np.uint64(58)]
                    c += 1
                    x ^= low
        return c
    if qend > 1:
        _quicksort(queue, qend)
    return qend


@njit(cache=True)
def _quicksort(queue, qend):
    """Sort ``queue[:qend]`` in place: iterative quicksort (median of three), insertion sort
    below 24 elements."""
    stack = np.empty(128, dtype=np.int64)
    top = 0
    lo = 0
    hi = qend - 1
    while True:
        if hi - lo < 24:
            for i in range(lo + 1, hi + 1):
                x = queue[i]
                j = i - 1
                while j >= lo and queue[j] > x:
                    queue[j + 1] = queue[j]
                    j -= 1
                queue[j + 1] = x
            if top == 0:
                break
            top -= 2
            lo = stack[top]
            hi = stack[top + 1]
            continue
        mid = (lo + hi) >> 1
        if queue[mid] < queue[lo]:
            queue[mid], queue[lo] = queue[lo], queue[mid]
        if queue[hi] < queue[lo]:
            queue[hi], queue[lo] = queue[lo], queue[hi]
        if queue[hi] < queue[mid]:
            queue[hi], queue[mid] = queue[mid], queue[hi]
        pivot = queue[mid]
        i = lo
        j = hi
        while i <= j:
            while queue[i] < pivot:
                i += 1
            while queue[j] > pivot:
                j -= 1
            if i <= j:
                queue[i], queue[j] = queue[j], queue[i]
                i += 1
                j -= 1
        # push the larger part, loop on the smaller (stack depth <= log2(qend))
        if j - lo > hi - i:
            stack[top] = lo
            stack[top + 1] = j
            top += 2
            lo = i
        else:
            stack[top] = i
            stack[top + 1] = hi
            top += 2
            hi = j


@njit(cache=True)
def _encode_into(queue, qend, out, pos):
    """Append sorted ids ``queue[:qend]`` as varints (first id, then gaps minus one)."""
    prev = -1
    for i in range(qend):
        v = np.int64(queue[i])
        if v == prev:  # a repeated id (never in RR sets; possible in hand-made input)
            continue
        x = v - prev - 1
        prev = v
        while x >= 128:
            out[pos] = np.uint8((x & 127) | 128)
            pos += 1
            x >>= 7
        out[pos] = np.uint8(x)
        pos += 1
    return pos


@njit(cache=True, inline="always")
def read_varint(data, p):
    """The varint at byte ``p`` of ``data`` and the position after it: the one decoder of the
    packed RR sets (:func:`_encode_into` writes them; 7 bits a byte, high bit = more bytes).
    Inlined into every caller by numba (``inline="always"``), so a per-id call costs no
    call or reference count."""
    x = np.int64(0)
    shift = 0
    while True:
        b = data[p]
        p += 1
        x |= np.int64(b & 127) << shift
        if b < 128:
            return x, p
        shift += 7


@njit(nogil=True, cache=True)
def sample_rr_range(nodes, indptr, indices, probs, logq, cum, n, model, base, stream, start, count, max_depth,
                    leaf_start, roots, active, g0=0, g1=0):
    """Generate RR sets number ``start .. start+count-1`` of ``stream``.

    Returns ``(flat, sizes)``: the concatenated node ids (uint32, each set starting with
    its root) and each set's size.  IC only: ``max_depth`` limits the reverse hops (0 = no
    limit); a root ``>= leaf_start`` (``leaf_start >= 0``) is a *leaf* whose set holds only its
    direct live in-neighbours (leaves are reached from seeds only, see
    :func:`graphcrm.algorithms.influence_learning.learned_graph_arrays`).  ``roots``: when not
    empty, roots are drawn uniformly from these node ids (reach counted among them only) instead
    of from all ``n`` nodes.  ``active``: when not empty, a uint8 mask of nodes already active
    (existing ambassadors): a set that contains one of them is already covered and is stored
    empty (it still counts in the number of sets).  ``g0 .. g1-1``: group nodes (IC only, see
    :func:`_ic_bfs`): never a root (without ``roots`` the root is drawn from the other
    ``n - (g1 - g0)`` nodes) and never stored.
    """
    if leaf_start < 0:
        leaf_start = n
    mark = np.zeros(n, dtype=np.uint32)
    queue = np.empty(n, dtype=np.uint32)
    scratch = np.empty(64, dtype=np.int64)
    gstack = np.empty(max(g1 - g0, 1), dtype=np.uint32)
    sizes = np.empty(count, dtype=np.int64)
    cap = max(1024, count * 8)
    flat = np.empty(cap, dtype=np.uint32)
    pos = 0
    for t in range(count):
        s = _stream_state(base, stream, start + t)
        stamp = np.uint32(t + 1)
        if roots.shape[0]:
            x, s = _randint(s, roots.shape[0])
            root = np.int64(roots[x])
        else:
            root, s = _randint(s, n - (g1 - g0))
            if root >= g0 and g1 > g0:
                root += g1 - g0
        mark[root] = stamp
        queue[0] = root
        if model == MODEL_IC:
            depth = 1 if root >= leaf_start else max_depth
            qend, s = _ic_bfs(nodes, indices, probs, logq, s, mark, stamp, queue, 1, scratch, depth, g0, g1, gstack)
        else:
            qend, s = _lt_walk(indptr, indices, cum, s, mark, stamp, queue, 1)
        if active.shape[0]:
            for i in range(qend):
                if active[queue[i]]:
                    qend = 0
                    break
        if pos + qend > cap:
            cap = max(cap * 2, pos + qend)
            grown = np.empty(cap, dtype=np.uint32)
            grown[:pos] = flat[:pos]
            flat = grown
        for i in range(qend):
            flat[pos + i] = queue[i]
        pos += qend
        sizes[t] = qend
    return flat[:pos].copy(), sizes


@njit(nogil=True, cache=True)
def sample_rr_range_packed(nodes, indptr, indices, probs, logq, cum, n, model, base, stream, start, count, counts,
                           tab, max_depth, leaf_start, roots, active, g0=0, g1=0):
    """Like :func:`sample_rr_range` (the same sets), stored packed.

    Each set's ids are sorted and written as LEB128 varints of the first id and of the gaps
    minus one: about 1.3 bytes per id on a 100,000-node weighted-cascade graph instead of 4.
    Returns ``(data, nbytes, sizes)``: the bytes (uint8), the bytes of each set and the
    number of nodes of each set; adds one to ``counts[v]`` for every stored id.  ``tab`` is
    :data:`_DEBRUIJN_INDEX`.
    """
    if leaf_start < 0:
        leaf_start = n
    mark = np.zeros(n, dtype=np.uint32)
    queue = np.empty(n, dtype=np.uint32)
    scratch = np.empty(64, dtype=np.int64)
    gstack = np.empty(max(g1 - g0, 1), dtype=np.uint32)
    words = np.zeros((n >> 6) + 1, dtype=np.uint64)
    sizes = np.empty(count, dtype=np.int64)
    nbytes = np.empty(count, dtype=np.int64)
    cap = max(4096, count * 16)
    data = np.empty(cap, dtype=np.uint8)
    pos = 0
    for t in range(count):
        s = _stream_state(base, stream, start + t)
        stamp = np.uint32(t + 1)
        if roots.shape[0]:
            x, s = _randint(s, roots.shape[0])
            root = np.int64(roots[x])
        else:
            root, s = _randint(s, n - (g1 - g0))
            if root >= g0 and g1 > g0:
                root += g1 - g0
        mark[root] = stamp
        queue[0] = root
        if model == MODEL_IC:
            depth = 1 if root >= leaf_start else max_depth
            qend, s = _ic_bfs(nodes, indices, probs, logq, s, mark, stamp, queue, 1, scratch, depth, g0, g1, gstack)
        else:
            qend, s = _lt_walk(indptr, indices, cum, s, mark, stamp, queue, 1)
        if active.shape[0]:
            for i in range(qend):
                if active[queue[i]]:
                    qend = 0
                    break
        sizes[t] = qend
        for i in range(qend):
            counts[queue[i]] += 1
        _sort_ids(queue, qend, n, words, tab)
        need = pos + 5 * qend
        if need > cap:
            cap = max(cap * 2, need)
            grown = np.empty(cap, dtype=np.uint8)
            grown[:pos] = data[:pos]
            data = grown
        end = _encode_into(queue, qend, data, pos)
        nbytes[t] = end - pos
        pos = end
    return data[:pos].copy(), nbytes, sizes


@njit(cache=True)
def pack_sets(flat, offsets, n, tab):
    """Packed form (see :func:`sample_rr_range_packed`) of plain sets: ``(data, byte_offsets)``.

    ``tab`` is :data:`_DEBRUIJN_INDEX`.  Every id must be in ``0..n-1`` (checked by
    :func:`graphcrm.algorithms.influence.max_coverage`); a set may repeat an id (it is kept
    once), so the queue holds the longest set, not ``n`` ids."""
    nsets = offsets.shape[0] - 1
    longest = 0
    for r in range(nsets):
        longest = max(longest, offsets[r + 1] - offsets[r])
    queue = np.empty(max(n, longest), dtype=np.uint32)
    words = np.zeros((n >> 6) + 1, dtype=np.uint64)
    boff = np.zeros(nsets + 1, dtype=np.int64)
    data = np.empty(max(16, 5 * flat.shape[0]), dtype=np.uint8)
    pos = 0
    for r in range(nsets):
        q = 0
        for i in range(offsets[r], offsets[r + 1]):
            queue[q] = flat[i]
            q += 1
        q = _sort_ids(queue, q, n, words, tab)
        pos = _encode_into(queue, q, data, pos)
        boff[r + 1] = pos
    return data[:pos].copy(), boff


# --------------------------------------------------------------------------- forward Monte Carlo
@njit(nogil=True, cache=True)
def mc_spread_range(nodes, indptr, indices, probs, logq, n, model, base, stream, start, count, seeds, max_depth,
                    counted, g0=0, g1=0):
    """Forward simulations ``start..start+count-1``; returns the spread of each run (with
    ``counted``, a uint8 mask, only the active nodes it marks are counted; group nodes
    ``g0 .. g1-1`` are passed through and never counted, see :func:`_ic_bfs`)."""
    out = np.empty(count, dtype=np.int64)
    mark = np.zeros(n, dtype=np.uint32)
    queue = np.empty(n, dtype=np.uint32)
    scratch = np.empty(64, dtype=np.int64)
    gstack = np.empty(max(g1 - g0, 1), dtype=np.uint32)
    lt = model == MODEL_LT
    tmark = np.zeros(n if lt else 1, dtype=np.uint32)
    thresh = np.zeros(n if lt else 1, dtype=np.float64)
    acc = np.zeros(n if lt else 1, dtype=np.float64)
    for t in range(count):
        s = _stream_state(base, stream, start + t)
        stamp = np.uint32(t + 1)
        qend = 0
        for v in seeds:
            if mark[v] != stamp:
                mark[v] = stamp
                queue[qend] = v
                qend += 1
        if lt:
            qend, s = _lt_forward(indptr, indices, probs, s, mark, stamp, queue, qend, tmark, thresh, acc)
        else:
            qend, s = _ic_bfs(nodes, indices, probs, logq, s, mark, stamp, queue, qend, scratch, max_depth, g0, g1,
                              gstack)
        if counted.shape[0]:
            c = 0
            for i in range(qend):
                c += counted[queue[i]]
            out[t] = c
        else:
            out[t] = qend
    return out


# --------------------------------------------------------------------------- inverted index
# The greedy works on packed sets (see :func:`sample_rr_range_packed`).  Every pass decodes
# them with the one decoder :func:`read_varint` (inlined by numba: no call and no
# reference-count update per id).
@njit(cache=True)
def node_counts(data, boff, n):
    """How many RR sets contain each node (its coverage before any pick)."""
    counts = np.zeros(n, dtype=np.int64)
    p = 0
    end = boff[boff.shape[0] - 1]
    prev = -1
    for r in range(boff.shape[0] - 1):
        p = boff[r]
        end = boff[r + 1]
        prev = -1
        while p < end:
            x, p = read_varint(data, p)
            prev = prev + 1 + x
            counts[prev] += 1
    return counts


@njit(cache=True)
def _invert(data, boff, counts, keep):
    """node -> RR-set ids (CSR) for the nodes with ``keep[v]``; others get empty lists.

    ``counts`` are the nodes' set counts (:func:`node_counts`), so one decoding pass fills
    the index; memory 4 bytes per kept (node, set) pair.
    """
    n = counts.shape[0]
    ptr = np.zeros(n + 1, dtype=np.int64)
    for v in range(n):
        ptr[v + 1] = ptr[v] + (counts[v] if keep[v] else 0)
    fill = ptr[:-1].copy()
    sets = np.empty(ptr[n], dtype=np.uint32)
    for r in range(boff.shape[0] - 1):
        p = boff[r]
        end = boff[r + 1]
        prev = -1
        while p < end:
            x, p = read_varint(data, p)
            prev = prev + 1 + x
            if keep[prev]:
                sets[fill[prev]] = r
                fill[prev] += 1
    return ptr, sets


# --------------------------------------------------------------------------- greedy max coverage
@njit(cache=True)
def _topk_sum(cov, eligible, k, heap):
    """Sum of the k largest ``cov`` among eligible nodes (``heap``: int64 work array >= k)."""
    size = 0
    for v in range(cov.shape[0]):
        c = cov[v]
        if c <= 0 or not eligible[v]:
            continue
        if size < k:
            i = size
            heap[i] = c
            size += 1
            while i > 0:
                p = (i - 1) >> 1
                if heap[i] < heap[p]:
                    heap[i], heap[p] = heap[p], heap[i]
                    i = p
                else:
                    break
        elif c > heap[0]:
            heap[0] = c
            i = 0
            while True:
                left = 2 * i + 1
                if left >= size:
                    break
                b = left
                if left + 1 < size and heap[left + 1] < heap[left]:
                    b = left + 1
                if heap[b] < heap[i]:
                    heap[b], heap[i] = heap[i], heap[b]
                    i = b
                else:
                    break
    total = 0
    for i in range(size):
        total += heap[i]
    return total


@njit(cache=True, inline="always")
def _uncover_packed(r, boff, data, cov):
    """Decrement the coverage of every node of packed RR set ``r`` (sorted ids, varint gaps)."""
    p = boff[r]
    end = boff[r + 1]
    prev = -1
    while p < end:
        x, p = read_varint(data, p)
        prev = prev + 1 + x
        cov[prev] -= 1


@njit(cache=True)
def greedy_cover(data, boff, node_ptr, node_sets, cov0, candidate, k, eligible, group, caps, cost, budget,
                 bound_every, max_scans, mins):
    """Lazy greedy maximum coverage with constraints, linear in the size of the RR sets.

    Parameters
    ----------
    data, boff : the RR sets, packed (see :func:`sample_rr_range_packed`).
    node_ptr, node_sets : inverted index (node -> RR-set ids) of the candidate nodes.
    cov0 : int64 (n,) coverage of every node before any pick.
    candidate : bool (n,) the nodes whose lists are in the index.  Every eligible node
        competes; when a non-candidate wins a step its list is found by one scan of the
        sets (at most ``max_scans`` times, then the call gives up with ``ok`` False so that
        the caller can index more candidates).
    k : at most k picks.
    eligible : bool (n,), False = never picked (excluded owners).
    group, caps : int64 (n, c) group ids per node, one column per kind of cap (-1 = none;
        ids index ``caps``), and the cap per group id.  A pick is skipped when any of its
        groups is full (``c = 0``: no caps).
    mins : int64, the minimum picks per group id (0 = none; empty = no minimums).  A pick is
        skipped when, after it, the picks left could no longer reach every kind's unmet
        minimums (skipped nodes stay infeasible to the end, so dropping them is exact); an
        owner of a group still short of its minimum competes even with zero coverage.
    cost, budget : float64 cost per node and the budget; ``budget < 0`` disables costs.
        With costs the key is marginal coverage / cost (cost-effective greedy).
    bound_every : compute the OPIM-C upper bound Cov(S_i) + sum of the top-k marginal
        coverages over all eligible nodes at greedy step i when ``i % bound_every == 0``
        and at the end.

    Returns
    -------
    picks (int64), gains (int64 marginal coverage of each pick), bound (int64, the
    smallest upper bound seen on the coverage of any eligible k-set), ok (bool).
    """
    n = cov0.shape[0]
    nsets = boff.shape[0] - 1
    cov = cov0.copy()
    use_cost = budget >= 0.0
    nk = group.shape[1]
    has_min = mins.shape[0] > 0
    need = np.zeros(nk, dtype=np.int64)  # unmet minimum picks per kind of group
    in_min = np.zeros(n, dtype=np.bool_)
    if has_min:
        for v in range(n):
            for col in range(nk):
                g = group[v, col]
                if g >= 0 and mins[g] > 0:
                    in_min[v] = True
        seen = np.zeros(mins.shape[0], dtype=np.bool_)
        for v in range(n):
            for col in range(nk):
                g = group[v, col]
                if g >= 0 and not seen[g]:
                    seen[g] = True
                    need[col] += mins[g]
    # max-heap of (key, node) as two arrays; ties go to the smaller node id
    hk = np.empty(n, dtype=np.float64)
    hv = np.empty(n, dtype=np.int64)
    size = 0
    for v in range(n):
        if eligible[v] and (cov[v] > 0 or in_min[v]):
            key = cov[v] / cost[v] if use_cost else float(cov[v])
            i = size
            size += 1
            while i > 0:
                p = (i - 1) >> 1
                if hk[p] > key or (hk[p] == key and hv[p] < v):
                    break
                hk[i] = hk[p]
                hv[i] = hv[p]
                i = p
            hk[i] = key
            hv[i] = v
    covered = np.zeros(nsets, dtype=np.bool_)
    used = np.zeros(caps.shape[0], dtype=np.int64)
    picks = np.empty(k, dtype=np.int64)
    gains = np.empty(k, dtype=np.int64)
    work = np.empty(max(k, 1), dtype=np.int64)
    npick = 0
    total = 0
    spent = 0.0
    bound = np.int64(nsets)
    ok = True
    scans = 0
    extra = np.empty(0, dtype=np.int64)
    while npick < k:
        if npick % bound_every == 0:
            b = total + _topk_sum(cov, eligible, k, work)
            if b < bound:
                bound = b
        chosen = -1
        while size > 0:
            key = hk[0]
            v = hv[0]
            # pop the top
            size -= 1
            lk = hk[size]
            lv = hv[size]
            i = 0
            while True:
                c = 2 * i + 1
                if c >= size:
                    break
                if c + 1 < size and (hk[c + 1] > hk[c] or (hk[c + 1] == hk[c] and hv[c + 1] < hv[c])):
                    c += 1
                if hk[c] > lk or (hk[c] == lk and hv[c] < lv):
                    hk[i] = hk[c]
                    hv[i] = hv[c]
                    i = c
                else:
                    break
            if size > 0:
                hk[i] = lk
                hv[i] = lv
            full = False
            for col in range(group.shape[1]):
                g = group[v, col]
                if g >= 0 and used[g] >= caps[g]:
                    full = True
            if full:
                continue
            if use_cost and spent + cost[v] > budget:
                continue
            short = False  # v counts towards a minimum still unmet
            if has_min:
                bad = False
                for col in range(nk):
                    g = group[v, col]
                    red = 1 if (g >= 0 and used[g] < mins[g]) else 0
                    if red:
                        short = True
                    if need[col] - red > k - npick - 1:
                        bad = True
                if bad:
                    continue
            cv = cov[v]
            if cv <= 0 and not short:
                continue
            cur = cv / cost[v] if use_cost else float(cv)
            if cur < key:  # stale: push back with the current key
                i = size
                size += 1
                while i > 0:
                    p = (i - 1) >> 1
                    if hk[p] > cur or (hk[p] == cur and hv[p] < v):
                        break
                    hk[i] = hk[p]
                    hv[i] = hv[p]
                    i = p
                hk[i] = cur
                hv[i] = v
                continue
            chosen = v
            break
        if chosen < 0:
            break
        v = chosen
        if not candidate[v]:
            scans += 1
            if scans > max_scans:
                ok = False
                break
            extra = np.empty(cov0[v], dtype=np.int64)  # its RR sets, by one scan
            c = 0
            for r in range(nsets):
                p = boff[r]
                end = boff[r + 1]
                prev = -1
                while p < end:
                    x, p = read_varint(data, p)
                    prev = prev + 1 + x
                    if prev >= v:  # ids are sorted
                        if prev == v:
                            extra[c] = r
                            c += 1
                        break
        for col in range(group.shape[1]):
            g = group[v, col]
            if g >= 0:
                if has_min and used[g] < mins[g]:
                    need[col] -= 1
                used[g] += 1
        if use_cost:
            spent += cost[v]
        picks[npick] = v
        gains[npick] = cov[v]
        total += cov[v]
        npick += 1
        if candidate[v]:
            for i in range(node_ptr[v], node_ptr[v + 1]):
                r = np.int64(node_sets[i])
                if covered[r]:
                    continue
                covered[r] = True
                _uncover_packed(r, boff, data, cov)
        else:
            for i in range(extra.shape[0]):
                r = extra[i]
                if covered[r]:
                    continue
                covered[r] = True
                _uncover_packed(r, boff, data, cov)
    b = total + _topk_sum(cov, eligible, k, work)
    if b < bound:
        bound = b
    return picks[:npick].copy(), gains[:npick].copy(), bound, ok


@njit(cache=True)
def coverage_curve(flat, offsets, picks, n):
    """Cumulative coverage of each prefix of ``picks`` on the given RR sets."""
    k = picks.shape[0]
    rank = np.full(n, k, dtype=np.int64)
    for i in range(k):
        rank[picks[i]] = i
    hist = np.zeros(k + 1, dtype=np.int64)
    for r in range(offsets.shape[0] - 1):
        best = k
        for j in range(offsets[r], offsets[r + 1]):
            q = rank[np.int64(flat[j])]
            if q < best:
                best = q
        hist[best] += 1
    return np.cumsum(hist[:k])


# --------------------------------------------------------------------------- parallel drivers
def n_threads() -> int:
    """Threads used for sampling: numba's thread count (defaults to the core count)."""
    try:
        return max(1, int(numba.get_num_threads()))
    except Exception:  # pragma: no cover - numba without threading layer
        return max(1, os.cpu_count() or 1)


def _chunks(start: int, count: int, chunk: int) -> list[tuple[int, int]]:
    return [(s, min(chunk, start + count - s)) for s in range(start, start + count, chunk)]


def _iter_chunks(fn: Callable, parts: list, threads: int) -> Iterator:
    """Results of the nogil kernel ``fn`` over ``parts``, in order, computed on ``threads``
    threads with at most ``2 * threads`` chunks in flight (so finished results do not pile up)."""
    if threads <= 1 or len(parts) <= 1:
        for p in parts:
            yield fn(p)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        pending: deque = deque()
        it = iter(parts)
        for p in it:
            pending.append(pool.submit(fn, p))
            if len(pending) >= 2 * threads:
                break
        while pending:
            res = pending.popleft().result()
            nxt = next(it, None)
            if nxt is not None:
                pending.append(pool.submit(fn, nxt))
            yield res


def _run_chunks(fn: Callable, parts: list, threads: int) -> list:
    return list(_iter_chunks(fn, parts, threads))


class RRCollection:
    """A growing collection of RR sets in one array plus int64 offsets.

    Plain (default): ``flat`` holds the node ids (uint32, each set starting with its root)
    and ``offsets[i]:offsets[i+1]`` delimits set ``i``.  Packed (``packed=True``): ``data``
    holds each set sorted and varint-coded (see :func:`sample_rr_range_packed`, about a
    third of the memory) and ``offsets`` are byte offsets.

    Sets are numbered; set ``i`` of this collection's stream is always the same random set
    for a given seed (plain or packed), so growing from ``a`` to ``b`` sets only samples
    ``a..b-1``.
    """

    def __init__(self, graph: CSRGraph, model: int, seed: int, stream: int, *, packed: bool = False,
                 max_depth: int = 0, leaf_start: int = -1, roots: np.ndarray | None = None,
                 active: np.ndarray | None = None, groups: tuple[int, int] = (0, 0)):
        self.graph = graph
        #: IC only: group nodes ``groups[0] .. groups[1]-1`` (pass-through, never stored; (0, 0) = none)
        self.g0, self.g1 = (int(groups[0]), int(groups[1])) if groups[1] > groups[0] else (0, 0)
        #: roots are drawn from these node ids (empty: from all nodes)
        self.roots = np.zeros(0, np.uint32) if roots is None else np.ascontiguousarray(roots, dtype=np.uint32)
        #: uint8 mask of already-active nodes: sets meeting one are stored empty (empty: none)
        self.active = np.zeros(0, np.uint8) if active is None else np.ascontiguousarray(active, dtype=np.uint8)
        #: IC only: RR sets hold the nodes within this many live reverse hops (0 = no limit)
        self.max_depth = int(max_depth)
        #: IC only: roots from this id on are leaves (reached from seeds only; -1 = none)
        self.leaf_start = int(leaf_start)
        self.model = int(model)
        self.base = base_seed(seed)
        self.stream = int(stream)
        self.packed = bool(packed)
        self._buf = np.empty(0, dtype=np.uint8 if packed else np.uint32)
        self._used = 0  # elements of _buf in use
        self._ids = 0  # node ids stored
        self._offsets = np.zeros(1, dtype=np.int64)
        #: how many sets contain each node (kept up to date for packed collections)
        self.counts = np.zeros(graph.n if packed else 0, dtype=np.int64)

    def __len__(self) -> int:
        return self._offsets.shape[0] - 1

    @property
    def flat(self) -> np.ndarray:
        if self.packed:
            raise AttributeError("a packed collection has .data, not .flat")
        return self._buf[: self._used]

    @property
    def data(self) -> np.ndarray:
        if not self.packed:
            raise AttributeError("a plain collection has .flat, not .data")
        return self._buf[: self._used]

    @property
    def offsets(self) -> np.ndarray:
        return self._offsets

    @property
    def total_size(self) -> int:
        """Number of node ids in all sets."""
        return self._ids

    @property
    def nbytes(self) -> int:
        return self._used * self._buf.itemsize + self._offsets.nbytes

    def grow_to(self, target: int, *, threads: int | None = None, chunk: int | None = None,
                progress: Callable[[int], None] | None = None) -> None:
        """Sample sets ``len(self) .. target-1`` in parallel and append them.

        ``chunk`` sets go to one kernel call (default ``max(2048, n // 32)``: each call
        allocates a few arrays of ``n`` entries, so chunks grow with the graph).
        """
        have = len(self)
        if target <= have:
            return
        g = self.graph
        threads = n_threads() if threads is None else threads
        chunk = max(2048, g.n >> 5) if chunk is None else int(chunk)
        parts = _chunks(have, target - have, chunk)
        kernel = sample_rr_range_packed if self.packed else sample_rr_range

        local = threading.local()
        tallies: list[np.ndarray] = []

        def work(p):
            if not self.packed:
                return kernel(g.nodes, g.indptr, g.indices, g.probs, g.logq, g.cum, g.n, self.model,
                              self.base, self.stream, p[0], p[1], self.max_depth, self.leaf_start, self.roots,
                              self.active, self.g0, self.g1)
            tally = getattr(local, "tally", None)
            if tally is None:  # one per thread: increments commute, so results stay exact
                tally = local.tally = np.zeros(g.n, dtype=np.int64)
                tallies.append(tally)
            return kernel(g.nodes, g.indptr, g.indices, g.probs, g.logq, g.cum, g.n, self.model,
                          self.base, self.stream, p[0], p[1], tally, _DEBRUIJN_INDEX, self.max_depth,
                          self.leaf_start, self.roots, self.active, self.g0, self.g1)

        lengths = []
        for (start, count), res in zip(parts, _iter_chunks(work, parts, threads)):
            block = res[0]
            need = self._used + block.shape[0]
            if need > self._buf.shape[0]:
                self._grow_capacity(max(need, int(self._buf.shape[0] * 1.5), 1 << 16))
            self._buf[self._used: need] = block
            self._used = need
            self._ids += int(res[-1].sum())
            lengths.append(res[1] if self.packed else res[-1])
            if progress is not None:
                progress(count)
        for tally in tallies:
            self.counts += tally
        lengths = np.concatenate(lengths)
        offs = np.empty(len(self) + 1 + lengths.shape[0], dtype=np.int64)
        offs[: len(self) + 1] = self._offsets
        np.cumsum(lengths, out=offs[len(self) + 1:])
        offs[len(self) + 1:] += self._offsets[-1]
        self._offsets = offs

    def _grow_capacity(self, cap: int) -> None:
        # np.empty + copy rather than ndarray.resize: resize zero-fills the new capacity,
        # and pages never written stay out of the resident set
        grown = np.empty(cap, dtype=self._buf.dtype)
        grown[: self._used] = self._buf[: self._used]
        self._buf = grown


def monte_carlo(forward: CSRGraph, model: int, seeds: np.ndarray, runs: int, seed: int, *,
                stream: int = 7, threads: int | None = None, chunk: int = 64, max_depth: int = 0,
                start: int = 0, counted: np.ndarray | None = None, groups: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Spread (number of active nodes, seeds included) of forward simulations ``start ..
    start+runs-1`` (IC: at most ``max_depth`` rounds, 0 = until no new node); with ``counted``
    (a boolean mask over the nodes) only the active nodes it marks are counted; group nodes
    ``groups[0] .. groups[1]-1`` are passed through, never counted (see :func:`_ic_bfs`)."""
    g0, g1 = (int(groups[0]), int(groups[1])) if groups[1] > groups[0] else (0, 0)
    seeds = np.unique(np.asarray(seeds, dtype=np.int64))
    cmask = np.zeros(0, np.uint8) if counted is None else np.ascontiguousarray(counted, dtype=np.uint8)
    base = base_seed(seed)
    g = forward
    threads = n_threads() if threads is None else threads

    def work(p):
        return mc_spread_range(g.nodes, g.indptr, g.indices, g.probs, g.logq, g.n, int(model), base,
                               int(stream), p[0], p[1], seeds, int(max_depth), cmask, g0, g1)

    if runs <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(_run_chunks(work, _chunks(int(start), runs, chunk), threads))
