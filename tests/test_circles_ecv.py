"""method="auto" (offered, not the default): consensus modularity or Infomap, chosen by edge cross-validation."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from graphcrm.algorithms import circles as C
from graphcrm.community import Community
from graphcrm.errors import ConfigError


def _cliques(sizes: list[int], bridges: list[tuple[int, int]] = ()) -> tuple[int, np.ndarray, np.ndarray]:
    edges, start = [], 0
    for s in sizes:
        edges += list(itertools.combinations(range(start, start + s), 2))
        start += s
    edges += list(bridges)
    e = np.array(edges)
    return start, e[:, 0], e[:, 1]


def _brute_loss(n, u, v, hold, memb, p, a=None):
    """The held-out loss with every untied pair listed (quadratic; the reference)."""
    a = np.ones(len(u)) if a is None else a
    tr = ~hold
    k = np.zeros(n)
    np.add.at(k, u[tr], a[tr])
    np.add.at(k, v[tr], a[tr])
    live = np.flatnonzero(k > 0)
    blocks = {b: i for i, b in enumerate(sorted(set(memb[live])))}
    b = np.array([blocks.get(m, -1) for m in memb])
    nb = len(blocks)
    m = np.zeros((nb, nb))
    for x, y, w in zip(u[tr], v[tr], a[tr]):
        m[b[x], b[y]] += w
        m[b[y], b[x]] += w
    kappa = np.array([k[b == r].sum() for r in range(nb)])
    big = kappa.sum()

    def lam(i, j):
        return k[i] * k[j] * m[b[i], b[j]] / (kappa[b[i]] * kappa[b[j]]) / (1 - p)

    tie = {(min(x, y), max(x, y)): w for x, y, w in zip(u, v, a)}
    held = {(min(x, y), max(x, y)) for x, y, h in zip(u, v, hold) if h}
    loss = 0.0
    for i, j in itertools.combinations(live.tolist(), 2):
        lij = lam(i, j)
        if (i, j) in tie:
            if (i, j) in held:
                lij = max(lij, C.ECV_FLOOR * k[i] * k[j] / big / (1 - p))
                loss += lij - tie[(i, j)] * np.log(lij)
        else:
            loss += p * lij  # each untied pair is held out with probability p
    return loss


def test_ecv_loss_equals_the_quadratic_reference():
    n, u, v = _cliques([6, 6, 5], bridges=[(0, 6), (7, 12), (1, 13)])
    rng = np.random.default_rng(3)
    a = rng.integers(1, 5, len(u)).astype(float)
    hold = rng.random(len(u)) < 0.2
    for memb in (np.zeros(n, dtype=int), np.repeat([0, 1, 2], [6, 6, 5]), np.arange(n), rng.integers(0, 4, n)):
        for w in (None, a):
            got = C._ecv_loss(n, u, v, hold, memb, 0.2, weights=w)[0]
            assert got == pytest.approx(_brute_loss(n, u, v, hold, memb, 0.2, w), rel=1e-9)


@pytest.mark.parametrize("fold_set", [0, 1, 2])
def test_ecv_prefers_the_two_cliques_over_one_circle_and_over_singletons(fold_set):
    # two 8-cliques joined by two bridges, on the folds method="auto" draws.  (With a single
    # bridge, a fold that holds it out leaves no training tie between the two circles: the fitted
    # two-circle model gives it no chance (floored at ECV_FLOOR), so one fold can cost more than
    # the cliques gain - the block model's own verdict on a lone bridge.)
    n, u, v = _cliques([8, 8], bridges=[(0, 8), (1, 9)])
    parts = {"one": np.zeros(n, dtype=int), "two": np.repeat([0, 1], 8), "singletons": np.arange(n)}
    total = dict.fromkeys(parts, 0.0)
    for hold in C._ecv_folds(len(u), fold_set):
        for name, memb in parts.items():
            total[name] += C._ecv_loss(n, u, v, hold, memb, C.ECV_HOLDOUT)[0]
    assert total["two"] < total["one"] < total["singletons"]


def test_pick_keeps_the_default_within_noise_and_takes_a_clear_winner():
    clear = {"modularity": np.array([0.20, 0.22, 0.21, 0.19, 0.20]), "infomap": np.array([0.30, 0.31, 0.29, 0.30, 0.32])}
    assert C._ecv_pick(clear)[0] == "infomap"
    noisy = {"modularity": np.array([0.20, 0.30, 0.10, 0.25, 0.15]), "infomap": np.array([0.30, 0.20, 0.15, 0.26, 0.14])}
    assert C._ecv_pick(noisy)[0] == "modularity"
    best, facts = C._ecv_pick(clear)
    assert [f[0] for f in facts] == ["modularity", "infomap"] and facts[0][2] == 0.0
    assert facts[1][1] == pytest.approx(0.304)


def _community(n, u, v):
    ids = [f"o{i:03d}" for i in range(n)]
    ev = [f"e{k}" for k in range(len(u))]
    att = pd.DataFrame({"event_id": ev + ev, "owner_id": [ids[i] for i in u] + [ids[j] for j in v]})
    return Community.from_frames({"owners": pd.DataFrame({"owner_id": ids}),
                                  "events": pd.DataFrame({"event_id": ev, "starts_at": "2024-01-01"}),
                                  "attendance": att})


def test_auto_on_clear_cliques_keeps_modularity_and_finds_them():
    # two 15-cliques and a bridge: 211 ties, both candidates find the two cliques, so their held-out
    # gains are equal and the choice stays with consensus modularity
    n, u, v = _cliques([15, 15], bridges=[(0, 15)])
    df, info = C.circles(_community(n, u, v), method="auto", details=True)
    assert info.method == "modularity" and "edge cross-validation" in info.method_rule
    assert [f[0] for f in info.ecv] == ["modularity", "infomap"]
    assert info.ecv[0][1] == pytest.approx(info.ecv[1][1])
    memb = df.sort_values("owner_id")["circle"].to_numpy()
    assert len(set(memb[:15])) == 1 and len(set(memb[15:])) == 1 and memb[0] != memb[15]


def test_auto_choice_depends_on_the_data_only():
    rng = np.random.default_rng(5)
    # five groups of 12 with dense insides and a few random ties between groups
    n, u, v = _cliques([12] * 5)
    keep = rng.random(len(u)) < 0.8
    extra = rng.integers(0, n, size=(40, 2))
    extra = extra[extra[:, 0] != extra[:, 1]]
    u, v = np.concatenate([u[keep], extra[:, 0]]), np.concatenate([v[keep], extra[:, 1]])
    c = _community(n, u, v)
    a = C.circles(c, method="auto", seed=0, details=True)[1]
    b = C.circles(c, method="auto", seed=7, details=True)[1]
    assert a.method == b.method and a.ecv == b.ecv and a.method_rule == b.method_rule
    c2 = _community(n, u, v)
    again = C.circles(c2, method="auto", seed=0, details=True)
    assert again[1].ecv == a.ecv
    assert (again[0]["circle"].to_numpy() == C.circles(c, method="auto", seed=0)["circle"].to_numpy()).all()


def test_auto_falls_back_to_modularity_where_it_does_not_cross_validate():
    n, u, v = _cliques([4, 4], bridges=[(0, 4)])
    c = _community(n, u, v)
    info = C.circles(c, method="auto", details=True)[1]
    assert info.method == "modularity" and info.ecv == () and "too few" in info.method_rule
    n, u, v = _cliques([15, 15], bridges=[(0, 15)])
    c = _community(n, u, v)
    for opts in (dict(granularity="finer"), dict(resolution=0.5), dict(consensus_runs=1)):
        info = C.circles(c, method="auto", details=True, **opts)[1]
        assert info.method == "modularity" and info.ecv == () and "options of modularity" in info.method_rule
    given = C.circles(c, method="modularity", details=True)[1]
    assert given.method_rule == "given" and given.ecv == ()


def test_auto_is_offered_and_options_are_checked():
    # offered, not the default (docs/validation.md, "Edge cross-validation between engines")
    assert C.DEFAULT_METHOD == "modularity" and "auto" in C.METHODS
    n, u, v = _cliques([4, 4], bridges=[(0, 4)])
    c = _community(n, u, v)
    with pytest.raises(ConfigError):
        C.circles(c, method="ecv")
    with pytest.raises(ConfigError):
        C.circles(c, method="infomap", granularity="finer")
    # the same partition whichever of circles() and circle_ids() asks first
    assert (C.circle_ids(c, method="auto") == C.circles(c, method="auto").set_index("owner_id")
            .loc[c.owner_ids, "circle"].to_numpy()).all()
    assert C.circles(c, details=True)[1].method_rule == "given"


def test_infomap_trials_keep_the_best_code_length():
    n, u, v = _cliques([6, 6, 6], bridges=[(0, 6), (6, 12)])
    w = np.ones(len(u))
    m = C._find_circles(n, u, v, w, method="infomap", resolution=None, granularity="default", runs=1, seed=3,
                        n_iterations=2, engine="auto", trials=C.INFOMAP_TRIALS)[0]
    assert sorted(np.bincount(m).tolist()) == [6, 6, 6]
