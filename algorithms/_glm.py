"""The objective of the L2-penalised GLM fits (logistic and Poisson) in one compiled pass.

The learned influence model (:func:`graphcrm.algorithms.influence_learning._fit_glm`) and the
volunteer model (:func:`graphcrm.algorithms.volunteers._fit_logistic`) minimise their loss with
scipy's L-BFGS-B, which calls the objective 30-50 times per fit.  Written with numpy, each call
is a matrix-vector product, two transcendental passes and a transposed product; the two
products go to OpenBLAS, which on a shared 2-core machine splits a 200,000 x 13 product over
threads that wait for each other (measured on the 100k demo store at load average ~3: 8 ms per
product instead of 1.5 ms single-threaded, 31-51 ms per objective call).  This kernel reads the
design matrix once per call, single-threaded, and returns the same sums: per row ``eta = w0 +
z_i . w``, the loss term and the residual, and the gradient ``(sum r, z^T r)``.  Sums are taken
in blocks of :data:`BLOCK` rows (block sums added in order), so they agree with numpy's
pairwise sums to a few units in the last place (tests/test_glm.py).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

BINOMIAL = 0
POISSON = 1
BLOCK = 256
_FAMILIES = {"binomial": BINOMIAL, "poisson": POISSON}


@njit(cache=True)
def _loss_grad_kernel(z, y, w, family, block):  # pragma: no cover - compiled
    n, p = z.shape
    g = np.zeros(p + 1)
    gb = np.zeros(p + 1)
    loss = 0.0
    w0 = w[0]
    start = 0
    while start < n:
        stop = min(start + block, n)
        lb = 0.0
        gb[:] = 0.0
        for i in range(start, stop):
            eta = 0.0
            for j in range(p):
                eta += z[i, j] * w[j + 1]
            eta += w0
            yi = y[i]
            if family == 0:
                # numpy's logaddexp(0, eta) and scipy's expit(eta)
                if eta > 0.0:
                    la = eta + math.log1p(math.exp(-eta))
                else:
                    la = math.log1p(math.exp(eta))
                r = 1.0 / (1.0 + math.exp(-eta)) - yi
                lb += la - yi * eta
            else:
                mu = math.exp(min(eta, 30.0))
                lb += mu - yi * eta
                r = mu - yi
            gb[0] += r
            for j in range(p):
                gb[j + 1] += z[i, j] * r
        loss += lb
        for j in range(p + 1):
            g[j] += gb[j]
        start = stop
    return loss, g


def loss_grad(z: np.ndarray, y: np.ndarray, w: np.ndarray, *, family: str) -> tuple[float, np.ndarray]:
    """Unpenalised GLM loss and gradient at ``w`` (intercept first), summed over the rows.

    Parameters
    ----------
    z : numpy.ndarray
        (n, p) float64 design matrix (copied to C order if it is not).
    y : numpy.ndarray
        (n,) outcomes (0/1 for ``"binomial"``, counts for ``"poisson"``; cast to float64).
    w : numpy.ndarray
        (p + 1,) float64 coefficients, the intercept first.
    family : {"binomial", "poisson"}
        Logistic loss ``sum(log(1 + e^eta) - y eta)`` with residual ``expit(eta) - y``, or
        Poisson loss ``sum(mu - y eta)`` with ``mu = exp(min(eta, 30))`` and residual ``mu - y``.

    Returns
    -------
    loss : float
        The summed loss (no penalty, not divided by n).
    grad : numpy.ndarray
        (p + 1,) float64: ``sum(r)`` then ``z^T r``.

    Raises
    ------
    ValueError
        Unknown ``family`` or shapes that do not match.

    Example
    -------
    >>> import numpy as np
    >>> z = np.array([[0.0], [1.0]]); y = np.array([0.0, 1.0])
    >>> loss, g = loss_grad(z, y, np.zeros(2), family="binomial")
    >>> round(loss, 6), g.tolist()
    (1.386294, [0.0, -0.5])
    """
    if family not in _FAMILIES:
        raise ValueError(f"family must be one of {sorted(_FAMILIES)}, got {family!r}")
    z = np.ascontiguousarray(z, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    w = np.ascontiguousarray(w, dtype=np.float64)
    if z.ndim != 2 or y.shape != (z.shape[0],) or w.shape != (z.shape[1] + 1,):
        raise ValueError(f"shapes do not match: z {z.shape}, y {y.shape}, w {w.shape}")
    loss, g = _loss_grad_kernel(z, y, w, _FAMILIES[family], BLOCK)
    return float(loss), g
