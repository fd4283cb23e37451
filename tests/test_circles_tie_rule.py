"""The resolution scan's tie rule (SCAN_TIE_RULE): levels within STABILITY_TIE of the most
seed-stable one go to the coarsest level or to the level nearest plain modularity, and the
large-graph scan's early stop keeps exactly the full scan's choice under either rule."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import graphcrm.algorithms.circles as cm
from graphcrm.algorithms.circles import GRANULARITY, STABILITY_TIE, circles
from graphcrm.community import Community
from graphcrm.errors import ConfigError


def two_pairs_of_cliques() -> Community:
    """Four 6-cliques g0..g3 whose pairs met at two events each (weight-2 ties); g0-g1 and
    g2-g3 joined by 16 weight-1 ties each (member i of one to member j of the other where
    i + j is even, the first 16 such pairs), no tie between the pairs.  m = 4 x 15 x 2 +
    2 x 16 = 152, a clique's strength d = 60 + 16 = 76.  Merging g0 and g1 changes the
    generalised modularity by 16/152 - gamma x 76^2 / (2 x 152^2) = 0.1053 - 0.125 gamma: > 0 at
    gamma 0.71 (+0.017, 2 circles), < 0 at 1 and 1.41 (4 circles).  Every level is found by
    every run (seed stability 1 at all three): a three-way tie.  (The weight-1 cliques with 8
    links each of the same gain left Leiden in a 3-circle local optimum at gamma 1 in 5-8% of
    the seeds of either engine; these do not: 300 of 300 seeds, both engines.)"""
    g = [[f"g{k}_{i}" for i in range(6)] for k in range(4)]
    pairs = [(m[i], m[j]) for m in g for i in range(6) for j in range(i + 1, 6)] * 2
    link = [(i, j) for i in range(6) for j in range(6) if (i + j) % 2 == 0][:16]
    for a, b in ((0, 1), (2, 3)):
        pairs += [(g[a][i], g[b][j]) for i, j in link]
    rows, ev = [], []
    for j, (a, b) in enumerate(pairs):
        ev.append(f"e{j}")
        rows += [(f"e{j}", a), (f"e{j}", b)]
    return Community.from_frames({"owners": pd.DataFrame({"owner_id": sum(g, [])}),
                                  "events": pd.DataFrame({"event_id": ev, "starts_at": "2024-01-01"}),
                                  "attendance": pd.DataFrame(rows, columns=["event_id", "owner_id"])})


def _groups(df: pd.DataFrame) -> set[frozenset[str]]:
    return {frozenset(x) for x in df.groupby("circle")["owner_id"].apply(list)}


@pytest.mark.parametrize("coarse", [False, True])
def test_tie_goes_to_the_coarsest_level(monkeypatch, coarse):
    if coarse:  # the large-graph path: scan in the rule's order, early stop, consensus on groups
        monkeypatch.setattr(cm, "COARSEN_TIES", 0)
    g = [frozenset(f"g{k}_{i}" for i in range(6)) for k in range(4)]
    monkeypatch.setattr(cm, "SCAN_TIE_RULE", "coarsest")
    df, info = circles(two_pairs_of_cliques(), details=True)
    assert info.resolution == 0.71 and info.n_circles == 2
    assert _groups(df) == {g[0] | g[1], g[2] | g[3]}
    assert "coarsest" in info.resolution_rule
    if coarse:  # 0.71 is scanned first and fully stable: no later level can win the tie
        assert [r for r, _, _ in info.scan] == [0.71]
    else:
        assert [s for _, _, s in info.scan] == [1.0, 1.0, 1.0]  # the three-way tie
        assert [k for _, k, _ in info.scan] == [2, 4, 4]
    monkeypatch.setattr(cm, "SCAN_TIE_RULE", "nearest")
    df, info = circles(two_pairs_of_cliques(), details=True)
    assert info.resolution == 1.0 and info.n_circles == 4 and _groups(df) == set(g)
    assert "closest to plain modularity" in info.resolution_rule


def test_unknown_tie_rule(monkeypatch):
    monkeypatch.setattr(cm, "SCAN_TIE_RULE", "finest")
    with pytest.raises(ConfigError, match="SCAN_TIE_RULE"):
        circles(two_pairs_of_cliques())


@pytest.mark.parametrize("rule", ["coarsest", "nearest"])
def test_early_stop_keeps_the_full_scans_choice(monkeypatch, rule):
    """Every stability triple on a grid around the margin (1 - STABILITY_TIE and the tie width
    itself): scanning in the rule's order and stopping when _scan_settled says so keeps the
    level the full scan's rule keeps."""
    monkeypatch.setattr(cm, "SCAN_TIE_RULE", rule)
    levels = GRANULARITY["default"]
    grid = sorted({1.0, 1 - STABILITY_TIE, 1 - STABILITY_TIE / 2, 1 - 1.5 * STABILITY_TIE,
                   1 - 2 * STABILITY_TIE, 0.97, 0.9, 0.5})
    order = sorted(levels, key=lambda r: cm._tie_key(r, 1.0))
    assert order[0] == (0.71 if rule == "coarsest" else 1.0)
    stopped_early = 0
    for stab in itertools.product(grid, repeat=3):
        full = [(r, None, s) for r, s in zip(levels, stab)]
        best = max(s for *_, s in full)
        want = min((t for t in full if t[2] >= best - STABILITY_TIE), key=lambda t: cm._tie_key(t[0], 1.0))[0]
        scanned = []
        for r in order:
            scanned.append((r, None, dict(zip(levels, stab))[r]))
            if cm._scan_settled(scanned, 1.0):
                break
        stopped_early += len(scanned) < 3
        best = max(s for *_, s in scanned)
        got = min((t for t in scanned if t[2] >= best - STABILITY_TIE), key=lambda t: cm._tie_key(t[0], 1.0))[0]
        assert got == want, (stab, scanned)
    assert stopped_early > 0
