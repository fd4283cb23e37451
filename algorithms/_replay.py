"""The backtest's replay step, compiled: one hop of time-respecting reach over the exposures.

:func:`relax_hop` is the loop form of the NumPy step it replaces in
:func:`graphcrm.algorithms.backtest.temporal_reach`::

    live = r[src] < t
    np.minimum.at(new, dst[live], t[live])

(``new`` starting as a copy of ``r``): the same minimum per owner, without the mask, the two
gathered copies and ``ufunc.at``'s per-element dispatch.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _relax(src, dst, t, r, new):  # pragma: no cover - compiled
    for i in range(src.shape[0]):
        ti = t[i]
        if r[src[i]] < ti and ti < new[dst[i]]:
            new[dst[i]] = ti


def relax_hop(src: np.ndarray, dst: np.ndarray, t: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Reach times after one more hop: ``new[v] = min(r[v], min{t : u -> v at t, r[u] < t})``.

    Parameters
    ----------
    src, dst, t : int64 arrays
        The exposures ``src -> dst`` at ``t``.
    r : int64 array
        Reach time of every owner so far (``int64`` max: not reached).

    Returns
    -------
    numpy.ndarray
        The new reach times (a new array; ``r`` is unchanged).

    Example
    -------
    >>> inf = np.iinfo(np.int64).max
    >>> relax_hop(np.array([0, 1]), np.array([1, 2]), np.array([5, 6]), np.array([0, inf, inf])).tolist() == [0, 5, inf]
    True
    """
    new = r.copy()
    _relax(np.ascontiguousarray(src, dtype=np.int64), np.ascontiguousarray(dst, dtype=np.int64),
           np.ascontiguousarray(t, dtype=np.int64), r, new)
    return new
