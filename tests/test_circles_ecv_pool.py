"""Edge cross-validation over the whole candidate pool (algorithms/circles_ecv.py): the one-SE
rule toward fewer circles, on small hand-checked graphs."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from graphcrm.algorithms import circles_ecv as E
from graphcrm.errors import ConfigError
from tests.test_circles_ecv import _cliques




def _ring_of_groups(k: int, per_group: int, groups: int, ties_between: int) -> tuple[int, np.ndarray, np.ndarray]:
    """``groups`` groups of ``per_group`` cliques of ``k`` owners; ``ties_between`` ties between
    every two cliques of a group; each group tied to the next one (a ring) by one tie."""
    bridges = []
    for g in range(groups):
        for a, b in itertools.combinations(range(per_group), 2):
            ca, cb = (g * per_group + a) * k, (g * per_group + b) * k
            bridges += [(ca + i % k, cb + (3 * i) % k) for i in range(ties_between)]
        nxt = ((g + 1) % groups) * per_group * k
        bridges.append((g * per_group * k + k - 1, nxt + k - 2))
    return _cliques([k] * (per_group * groups), bridges)


def _circles(p: np.ndarray) -> int:
    return len(np.unique(p[p >= 0]))


def test_pool_names_cover_the_three_bands_and_both_infomaps():
    names = E.pool_names()
    assert names[:9] == ["leiden 0.25", "leiden 0.35", "leiden 0.5", "leiden 0.71", "leiden 1", "leiden 1.41",
                         "leiden 2", "leiden 2.83", "leiden 4"]
    assert names[9:] == ["infomap", "consensus infomap"]


def test_one_se_rule_takes_the_fewest_circles_within_one_standard_error():
    g = {"fine": np.array([1.00, 1.10, 0.90, 1.05, 0.95]),   # best mean 1.0, SE = 0.079 / sqrt(5) ~ 0.035
         "mid": np.array([0.98, 1.00, 0.96, 0.97, 0.99]),    # 0.98: within one SE
         "coarse": np.array([0.90, 0.90, 0.90, 0.90, 0.90])}  # 0.90: outside
    k = {"fine": np.full(5, 12.0), "mid": np.full(5, 6.0), "coarse": np.full(5, 2.0)}
    pick, best, se = E.one_se_pick(g, k)
    assert pick == "mid"
    assert best == pytest.approx(1.0)
    assert se == pytest.approx(np.std(g["fine"], ddof=1) / np.sqrt(5))
    assert E.best_pick(g) == "fine"
    # equal circle counts go to the higher gain
    k["mid"] = np.full(5, 12.0)
    assert E.one_se_pick(g, k)[0] == "fine"


def test_two_cliques_joined_by_a_tie_get_two_circles():
    n, u, v = _cliques([8, 8], bridges=[(0, 8)])
    r = E.choose_by_ecv(n, u, v, np.ones(len(u)))
    assert r["blocks"][r["pick"]] == 2.0
    # one circle is the configuration model (gain 0); the finest level splits the cliques and loses
    assert r["gains"][r["pick"]] > 0.5
    assert r["gains"]["leiden 4"] < r["gains"][r["pick"]]
    p = E.pool_partitions(n, u, v, np.ones(len(u)), seed=0, levels=(float(r["pick"].split()[1]),), engines=())
    assert p[r["pick"]].tolist() == [0] * 8 + [1] * 8


def test_ring_of_cliques_at_two_scales_keeps_the_cliques_when_held_out_ties_tell_them_apart():
    # 4 groups of 3 cliques of 10; 10 ties between the cliques of a group: the coarse levels merge
    # each group (4 circles), but the 12 cliques predict the held-out ties far better
    n, u, v = _ring_of_groups(10, 3, 4, 10)
    w = np.ones(len(u))
    r = E.choose_by_ecv(n, u, v, w, engines=())
    assert r["blocks"]["leiden 0.25"] == 4.0
    assert r["blocks"][r["pick"]] == 12.0
    assert r["gains"][r["pick"]] - r["gains"]["leiden 0.25"] > 3 * r["se"]
    memb = E.pool_partitions(n, u, v, w, seed=1, levels=(float(r["pick"].split()[1]),), engines=())[r["pick"]]
    assert sorted(np.bincount(memb).tolist()) == [10] * 12
    assert all(len(set(memb[c * 10:(c + 1) * 10])) == 1 for c in range(12))


def test_ring_of_small_cliques_goes_coarser_when_the_folds_cannot_tell():
    # 4 groups of 3 cliques of 6 joined by 3 ties: 220 ties, 22 held out per fold - the cliques
    # predict better on average, but within one standard error of the folds: the 4 groups
    n, u, v = _ring_of_groups(6, 3, 4, 3)
    r = E.choose_by_ecv(n, u, v, np.ones(len(u)), engines=())
    best = max(r["gains"], key=r["gains"].get)
    assert r["blocks"][best] == 12.0
    assert r["blocks"][r["pick"]] == 4.0
    assert r["gains"][r["pick"]] >= r["best"] - r["se"]


def test_random_dense_groups_are_not_split():
    # 4 groups of 25 owners, each pair tied with probability 0.4, groups joined by 3 ties each:
    # the finest level splits the groups at random; the held-out ties keep 4 circles
    rng = np.random.default_rng(5)
    edges = [(a, b) for g in range(4) for a, b in itertools.combinations(range(25 * g, 25 * g + 25), 2)
             if rng.random() < 0.4]
    edges += [(25 * g + i, (25 * (g + 1) + i) % 100) for g in range(4) for i in range(3)]
    e = np.array(edges)
    r = E.choose_by_ecv(100, e[:, 0], e[:, 1], np.ones(len(e)), engines=())
    assert r["blocks"]["leiden 4"] > 4
    assert r["blocks"][r["pick"]] == 4.0


def test_the_choice_does_not_depend_on_any_seed_and_large_graphs_are_refused(monkeypatch):
    n, u, v = _cliques([7, 7, 7], bridges=[(0, 7), (8, 14), (1, 15)])
    a = E.choose_by_ecv(n, u, v, np.ones(len(u)), engines=("infomap",))
    b = E.choose_by_ecv(n, u, v, np.ones(len(u)), engines=("infomap",))
    assert a == b
    monkeypatch.setattr(E, "ECV_POOL_MAX_TIES", len(u) - 1)
    with pytest.raises(ConfigError):
        E.choose_by_ecv(n, u, v, np.ones(len(u)))
