"""The compiled GLM objective (algorithms/_glm.py) against the numpy formulas it replaced, the fits
of the learned influence model and the volunteer model against fits with the numpy objective, and
the volunteers' average ranks against scipy.stats.rankdata."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit
from scipy.stats import rankdata

from graphcrm.algorithms import influence_learning as il
from graphcrm.algorithms import volunteers as vo
from graphcrm.algorithms._glm import BLOCK, loss_grad


def _numpy_loss_grad(z, y, w, family):
    """The objective as it was written with numpy (commit 44c0f41)."""
    eta = z @ w[1:] + w[0]
    if family == "binomial":
        loss = float(np.sum(np.logaddexp(0.0, eta) - y * eta))
        r = expit(eta) - y
    else:
        mu = np.exp(np.minimum(eta, 30.0))
        loss = float(np.sum(mu - y * eta))
        r = mu - y
    return loss, np.r_[r.sum(), z.T @ r]


def _data(n, p, family, seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, p))
    eta = 0.7 * z[:, 0] - 0.4 * z[:, 1 % p] - 1.0
    y = (rng.random(n) < expit(eta)).astype(float) if family == "binomial" else rng.poisson(np.exp(eta)).astype(float)
    return z, y


def test_hand_checked_binomial():
    # eta = 0 everywhere: loss 2 log 2, residuals 0.5 - y
    z = np.array([[0.0], [1.0]])
    y = np.array([0.0, 1.0])
    loss, g = loss_grad(z, y, np.zeros(2), family="binomial")
    assert loss == pytest.approx(2 * math.log(2), rel=1e-15)
    assert g.tolist() == [0.0, -0.5]


def test_hand_checked_poisson_and_cap():
    # eta = 1 + 2 z: rows z=0 -> mu e, z=20 -> eta 41 capped at 30 for mu
    z = np.array([[0.0], [20.0]])
    y = np.array([1.0, 3.0])
    loss, g = loss_grad(z, y, np.array([1.0, 2.0]), family="poisson")
    mu = np.array([math.e, math.exp(30.0)])
    assert loss == pytest.approx(float(np.sum(mu - y * np.array([1.0, 41.0]))), rel=1e-15)
    np.testing.assert_allclose(g, [(mu - y).sum(), 20.0 * (mu[1] - y[1])], rtol=1e-15)


@pytest.mark.parametrize("family", ["binomial", "poisson"])
@pytest.mark.parametrize("n", [0, 1, BLOCK - 1, BLOCK, 3 * BLOCK + 7, 20_000])
def test_matches_numpy(family, n):
    p = 5
    z, y = _data(n, p, family, seed=n)
    rng = np.random.default_rng(1)
    for _ in range(3):
        w = rng.normal(scale=0.5, size=p + 1)
        loss, g = loss_grad(z, y, w, family=family)
        ref_loss, ref_g = _numpy_loss_grad(z, y, w, family)
        assert loss == pytest.approx(ref_loss, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(g, ref_g, rtol=1e-11, atol=1e-10)


def test_extreme_eta_is_finite_and_matches():
    z = np.array([[-800.0], [800.0], [0.0]])
    y = np.array([0.0, 1.0, 1.0])
    w = np.array([0.0, 1.0])
    loss, g = loss_grad(z, y, w, family="binomial")
    ref_loss, ref_g = _numpy_loss_grad(z, y, w, "binomial")
    assert np.isfinite(loss) and np.all(np.isfinite(g))
    assert loss == pytest.approx(ref_loss, rel=1e-15)
    np.testing.assert_allclose(g, ref_g, rtol=1e-15)


def test_non_contiguous_and_bad_input():
    z, y = _data(300, 4, "binomial", seed=3)
    zf = np.asfortranarray(z)
    w = np.full(5, 0.1)
    assert loss_grad(zf, y, w, family="binomial")[0] == loss_grad(z, y, w, family="binomial")[0]
    with pytest.raises(ValueError):
        loss_grad(z, y, w, family="gamma")
    with pytest.raises(ValueError):
        loss_grad(z, y[:-1], w, family="binomial")


def _old_fit_glm(x, y, *, family, l2):
    """influence_learning._fit_glm with the numpy objective (commit 44c0f41)."""
    mu = x.mean(axis=0)
    sd = x.std(axis=0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    z = (x - mu) / sd
    m = len(y)
    ybar = float(y.mean())
    b0 = math.log(max(ybar, 1e-6) / max(1 - ybar, 1e-6)) if family == "binomial" else math.log(max(ybar, 1e-6))

    def f(w):
        loss, g = _numpy_loss_grad(z, y, w, family)
        loss += 0.5 * l2 * float(w[1:] @ w[1:])
        g[1:] += l2 * w[1:]
        return loss / m, g / m

    return minimize(f, np.r_[b0, np.zeros(z.shape[1])], jac=True, method="L-BFGS-B", options={"maxiter": 500}).x


@pytest.mark.parametrize("family", ["binomial", "poisson"])
def test_learned_fit_same_coefficients(family):
    z, y = _data(30_000, 6, family, seed=7)
    x = z * np.array([1.0, 3.0, 0.5, 10.0, 1.0, 2.0]) + 4.0
    new = il._fit_glm(x, y, family=family, l2=1.0)
    old = _old_fit_glm(x, y, family=family, l2=1.0)
    np.testing.assert_allclose(new["w"], old, rtol=1e-7, atol=1e-9)
    # and the predictions the influence graph is built from
    np.testing.assert_allclose(il._predict(new, x), il._predict({**new, "w": old}, x), rtol=1e-7)


def test_volunteer_fit_same_coefficients():
    z, y = _data(20_000, 7, "binomial", seed=11)
    yb = y.astype(bool)
    b0, w = vo._fit_logistic(z, yb, 30.0)
    p = z.shape[1]

    def f(w_):
        zz = z @ w_[1:] + w_[0]
        loss = np.logaddexp(0.0, zz).sum() - y @ zz + 0.5 * 30.0 * (w_[1:] @ w_[1:])
        r = expit(zz) - y
        return float(loss), np.r_[r.sum(), z.T @ r + 30.0 * w_[1:]]

    w0 = np.zeros(p + 1)
    w0[0] = np.log(y.mean() / (1 - y.mean()))
    old = minimize(f, w0, jac=True, method="L-BFGS-B", bounds=[(None, None)] + [(0.0, None)] * p,
                   options={"maxiter": 500}).x
    np.testing.assert_allclose(np.r_[b0, w], old, rtol=1e-7, atol=1e-9)
    assert np.all(w >= 0)


@pytest.mark.parametrize("seed", range(4))
def test_average_ranks_equal_rankdata(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 20, size=500).astype(float) / 7.0  # many ties
    assert np.array_equal(vo._average_ranks(a), rankdata(a))
    b = rng.random(1000)
    assert np.array_equal(vo._average_ranks(b), rankdata(b))


def test_average_ranks_hand_checked():
    assert vo._average_ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [3.5, 1.0, 3.5, 2.0]
    assert vo._average_ranks(np.array([])).tolist() == []
    assert np.isnan(vo._average_ranks(np.array([1.0, np.nan]))).all()
    assert np.isnan(rankdata(np.array([1.0, np.nan]))).all()


# ---------------------------------------------------------------------------------------------
# the Monte Carlo check's leaf edges (algorithms/influence.py::_leaf_edge_probs)
# ---------------------------------------------------------------------------------------------
def _scan_leaf_probs(graph, s):
    on = (graph.dst.astype(np.int64) >= graph.leaf_start) & np.isin(graph.src.astype(np.int64), s)
    return graph.prob[on].astype(np.float64)


@pytest.mark.parametrize("shuffle", [False, True])
def test_leaf_edge_probs_same_multiset_as_the_scan(shuffle):
    from graphcrm.algorithms import influence as inf

    rng = np.random.default_rng(5)
    n_owner, n_leaf = 60, 40
    src = rng.integers(0, n_owner, 500)
    dst = np.where(rng.random(500) < 0.5, rng.integers(0, n_owner, 500), n_owner + rng.integers(0, n_leaf, 500))
    keep = src != dst
    src, dst = src[keep], dst[keep]
    order = np.lexsort((dst, src))
    if shuffle:
        order = rng.permutation(len(src))
    g = inf.influence_graph(n_owner + n_leaf, src[order], dst[order], rng.random(len(src))[order] * 0.5,
                            max_hops=2, leaf_start=n_owner)
    assert g.leaf_start == n_owner
    for s in (np.array([0]), np.array([3, 7, 59]), np.arange(n_owner), np.array([], dtype=np.int64)):
        got = np.sort(inf._leaf_edge_probs(g, s))
        ref = np.sort(_scan_leaf_probs(g, s))
        assert np.array_equal(got, ref)
    # hand-checked: node 0's leaf edges
    s = np.array([0])
    expect = np.sort(g.prob[(g.src == 0) & (g.dst >= n_owner)].astype(np.float64))
    assert np.array_equal(np.sort(inf._leaf_edge_probs(g, s)), expect)
