"""Compiled helper of :func:`graphcrm.algorithms.backtest.log_order` (numba, cached on disk)."""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def sort_tied_runs(order, t, src, dst, n):  # pragma: no cover - compiled
    """In place: every run of equal ``t[order]`` (``order`` sorted by ``t``, stable) re-ordered by
    the pair key ``src * n + dst``, stably (mergesort), so equal keys keep their order in
    ``order``.  With ``0 <= dst < n`` the pair key orders as ``(src, dst)``: the result is
    ``np.lexsort((dst, src, t))``."""
    m = order.shape[0]
    i = 0
    while i < m:
        ti = t[order[i]]
        j = i + 1
        while j < m and t[order[j]] == ti:
            j += 1
        g = j - i
        if g == 2:
            a, b = order[i], order[i + 1]
            if src[b] * n + dst[b] < src[a] * n + dst[a]:
                order[i], order[i + 1] = b, a
        elif g > 2:
            key = np.empty(g, dtype=np.int64)
            for k in range(g):
                r = order[i + k]
                key[k] = src[r] * n + dst[r]
            perm = np.argsort(key, kind="mergesort")
            run = order[i:j].copy()
            for k in range(g):
                order[i + k] = run[perm[k]]
        i = j
    return order
