"""The two label-free resolution criteria of stop 26 (algorithms/circles_resolution.py)."""
from __future__ import annotations

import numpy as np
import pytest

from graphcrm.algorithms.circles_resolution import (
    _null_edges,
    null_gain,
    pick_resolution,
    resample_stability,
)
from graphcrm.errors import ConfigError


def _cliques(k: int, size: int, bridges: bool = True) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """``k`` cliques of ``size`` owners, clique i tied to clique i+1 by one tie (a ring)."""
    u, v = [], []
    for c in range(k):
        base = c * size
        for a in range(size):
            for b in range(a + 1, size):
                u.append(base + a)
                v.append(base + b)
        if bridges and k > 1:
            u.append(base)
            v.append(((c + 1) % k) * size + 1)
    return k * size, np.array(u), np.array(v), np.ones(len(u))


def test_two_cliques_every_level_stable_tie_goes_to_one():
    # two 8-cliques joined by one tie: every level of the default band finds the two cliques in
    # every subsample (dropping 20% of a clique's 28 ties never splits it), so every level scores
    # 1 and the tie rule keeps resolution 1
    n, u, v, w = _cliques(2, 8)
    s = resample_stability(n, u, v, w, runs=6)
    assert set(s) == {0.71, 1.0, 1.41}
    assert all(x == pytest.approx(1.0) for x in s.values())
    assert pick_resolution(n, u, v, w, criterion="resample", runs=6)["pick"] == 1.0


def test_resample_depends_on_the_data_only():
    n, u, v, w = _cliques(6, 5)
    a = pick_resolution(n, u, v, w, criterion="resample")
    b = pick_resolution(n, u, v, w, criterion="resample")
    assert a == b


def test_null_gain_large_on_cliques_small_on_a_random_graph():
    n, u, v, w = _cliques(6, 8)
    g = null_gain(n, u, v, w)
    # ring of 6 cliques of 8: Q(1) of the six cliques = 1 - 1/6 - (bridge share) ~ 0.80; a random
    # graph with the same degrees (7-8 ties each, 48 owners) reaches far less
    assert all(gain > 0.3 for gain, _ in g.values())
    assert g[1.0][1] == pytest.approx(1 - 6 * (1 / 6) ** 2 - 6 / len(u), abs=0.02)
    rng = np.random.default_rng(5)
    m = 3000
    a, b = rng.integers(0, 600, m), rng.integers(0, 600, m)
    ok = a != b
    key = np.unique(np.minimum(a, b)[ok] * 600 + np.maximum(a, b)[ok])
    ru, rv = key // 600, key % 600
    gr = null_gain(600, ru, rv, np.ones(len(ru)))
    # an Erdos-Renyi graph is its own null: no level gains much over it
    assert all(abs(gain) < 0.05 for gain, _ in gr.values())


def test_null_edges_keep_degrees_up_to_loops_and_repeats():
    rng = np.random.default_rng(1)
    n, u, v, w = _cliques(10, 6)
    a, b, ww = _null_edges(u, v, w, rng)
    deg = np.bincount(np.concatenate([u, v]), minlength=n)
    dn = np.bincount(np.concatenate([a, b]), minlength=n)
    assert np.all(dn <= deg)
    assert np.all(a < b)
    assert ww.sum() <= w.sum()
    # a sparse graph: collisions are rare, nearly every tie end survives
    assert dn.sum() >= 0.9 * deg.sum()


def test_bad_options_raise():
    n, u, v, w = _cliques(2, 4)
    with pytest.raises(ConfigError):
        pick_resolution(n, u, v, w, criterion="nope")
    with pytest.raises(ConfigError):
        resample_stability(n, u, v, w, runs=1)
    with pytest.raises(ConfigError):
        null_gain(n, u, v, w, null_graphs=0)
