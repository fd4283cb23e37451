"""Poisson-bootstrap sums without the replicate matrix (the backtest's intervals).

The backtest's paired Poisson bootstrap gives every owner of the reached union a weight
``w[b, j] ~ Poisson(1)`` per replicate ``b`` and needs, per method, the weighted count of the
owners it reached: ``W @ masks`` with ``W = rng.poisson(1.0, size=(B, U))``.  Building ``W``
costs ``B × U`` int64 plus its float64 copy (3.2 GB at 200 replicates × 1M owners) and most of
the time goes to drawing it one variate at a time.

:func:`poisson_bootstrap_sums` returns the same sums, bit for bit, from the same generator
state: NumPy draws a Poisson variate of mean below 10 by multiplying uniforms
(``random_poisson_mult`` in NumPy's ``distributions.c``: ``prod *= next_double()`` until
``prod <= exp(-lam)``; the variate is the number of factors before the last), and
``Generator.random`` hands out the same ``next_double`` stream.  So the uniforms are drawn in
blocks and a compiled loop splits them into variates and adds each to its replicate's sums,
in the order ``rng.poisson`` fills ``W`` (row by row).  The sums are integers, exact in any
order, so they equal ``W.astype(float) @ masks`` exactly.

The equivalence rests on NumPy's algorithm: :func:`_kernel_matches_numpy` checks it once per
process on a small draw (a 64 × 64 matrix against ``rng.poisson``), and if NumPy ever draws
differently the function falls back to ``rng.poisson`` in row blocks (same numbers, bounded
memory, NumPy's speed).  ``tests/test_backtest.py`` checks both paths against the matrix.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

#: uniforms drawn per block (8 MiB of float64)
BLOCK = 1 << 20
#: replicate rows drawn at once by the NumPy fallback
FALLBACK_ROWS = 8

_checked: list[bool] = []


@njit(cache=True)
def _poisson_mult_sums(u, prod, x, enlam, pattern, acc, b, j):  # pragma: no cover - compiled
    """Split the uniforms ``u`` into Poisson variates (NumPy's multiplication method, carrying
    the unfinished variate's ``prod`` and count ``x`` between blocks) and add variate
    ``(b, j)`` to ``acc[b, pattern[j]]``; return the state after the block."""
    n_u = u.shape[0]
    n_cols = pattern.shape[0]
    n_rep = acc.shape[0]
    i = 0
    while i < n_u and b < n_rep:
        prod *= u[i]
        i += 1
        more = prod > enlam  # branch-free: about half the uniforms end a variate
        acc[b, pattern[j]] += 0 if more else x
        x = x + 1 if more else 0
        prod = prod if more else 1.0
        j += 0 if more else 1
        if j == n_cols:
            j = 0
            b += 1
    return prod, x, b, j


def _kernel_sums(rng: np.random.Generator, masks: np.ndarray, replicates: int) -> np.ndarray:
    n_cols, n_sets = masks.shape
    if n_cols == 0 or replicates == 0:
        return np.zeros((replicates, n_sets), dtype=np.int64)
    # units with the same membership pattern are summed together (one add per variate), the
    # patterns are then expanded to the sets: integer sums, exact
    patterns, pattern = np.unique(masks, axis=0, return_inverse=True)
    pattern = np.ascontiguousarray(pattern.reshape(-1), dtype=np.int64)
    acc = np.zeros((replicates, len(patterns)), dtype=np.int64)
    enlam = math.exp(-1.0)  # the C library's exp, as NumPy's C code calls it
    prod, x, b, j = 1.0, 0, 0, 0
    u = np.empty(BLOCK)
    while b < replicates:
        rng.random(out=u)
        prod, x, b, j = _poisson_mult_sums(u, prod, x, enlam, pattern, acc, b, j)
    return acc @ patterns.astype(np.int64)


def _numpy_sums(rng: np.random.Generator, masks: np.ndarray, replicates: int) -> np.ndarray:
    n_cols, n_sets = masks.shape
    acc = np.zeros((replicates, n_sets), dtype=np.int64)
    m = masks.astype(np.int64)
    for b in range(0, replicates, FALLBACK_ROWS):
        rows = min(FALLBACK_ROWS, replicates - b)
        acc[b:b + rows] = rng.poisson(1.0, size=(rows, n_cols)) @ m
    return acc


def _kernel_matches_numpy() -> bool:
    """Whether the compiled split gives ``rng.poisson(1.0, ...)``'s variates (checked once)."""
    if not _checked:
        eye = np.eye(64, dtype=np.uint8)
        want = np.random.default_rng(20261201).poisson(1.0, size=(64, 64))
        got = _kernel_sums(np.random.default_rng(20261201), eye, 64)
        _checked.append(bool(np.array_equal(want, got)))
    return _checked[0]


def poisson_bootstrap_sums(rng: np.random.Generator, masks: np.ndarray, replicates: int) -> np.ndarray:
    """``rng.poisson(1.0, size=(replicates, U)) @ masks`` without the ``replicates × U`` matrix.

    Parameters
    ----------
    rng : numpy.random.Generator
        The generator (its stream is consumed; afterwards it is not where ``rng.poisson``
        would have left it, the last block being drawn whole).
    masks : ndarray of bool or uint8, shape (U, m)
        Column ``c``: which of the ``U`` bootstrapped units set ``c`` holds.
    replicates : int
        Number of replicates ``B``.

    Returns
    -------
    numpy.ndarray
        float64 ``(B, m)``: per replicate and set, the sum of the Poisson(1) weights of the
        set's units (owners); exactly the float64 product of the weight matrix and ``masks``.

    Example
    -------
    >>> masks = np.array([[1, 0], [1, 1], [0, 1]], dtype=np.uint8)
    >>> want = np.random.default_rng(0).poisson(1.0, size=(5, 3)).astype(float) @ masks
    >>> bool((poisson_bootstrap_sums(np.random.default_rng(0), masks, 5) == want).all())
    True
    """
    masks = np.ascontiguousarray(masks, dtype=np.uint8)
    if masks.ndim != 2:
        raise ValueError("masks must be a (units, sets) matrix")
    replicates = int(replicates)
    sums = _kernel_sums(rng, masks, replicates) if _kernel_matches_numpy() else _numpy_sums(rng, masks, replicates)
    return sums.astype(np.float64)
