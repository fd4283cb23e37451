"""Circles on large graphs: which Leiden runs are made on the owners, and the per-circle tie sums."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import graphcrm.algorithms.circles as circ_mod
from graphcrm.algorithms.circles import _circle_ties, _scan_runs_agree, circles, compare_partitions
from graphcrm.community import Community


def _pairs_community(i: np.ndarray, j: np.ndarray, n: int) -> Community:
    """Owners o0..o{n-1}; every pair (i, j) met at a two-person event of its own."""
    ids = np.array([f"o{k:04d}" for k in range(n)])
    ev = np.array([f"e{k}" for k in range(len(i))])
    frames = {
        "owners": pd.DataFrame({"owner_id": ids}),
        "events": pd.DataFrame({"event_id": ev, "starts_at": "2024-01-01"}),
        "attendance": pd.DataFrame({"event_id": np.concatenate([ev, ev]), "owner_id": np.concatenate([ids[i], ids[j]])}),
    }
    return Community.from_frames(frames)


def _groups(n: int, k: int, p_in: float, p_out: float, seed: int) -> tuple[Community, np.ndarray]:
    rng = np.random.default_rng(seed)
    planted = np.arange(n) % k
    iu, ju = np.triu_indices(n, 1)
    keep = rng.random(len(iu)) < np.where(planted[iu] == planted[ju], p_in, p_out)
    c = _pairs_community(iu[keep], ju[keep], n)
    order = pd.Index([f"o{x:04d}" for x in range(n)]).get_indexer(c.owner_ids)
    return c, planted[order]


def _count_owner_runs(monkeypatch, nt: int) -> list[int]:
    calls = [0]
    real = circ_mod._run_once

    def run_once(g, *a, **k):
        calls[0] += g.vcount() == nt
        return real(g, *a, **k)

    monkeypatch.setattr(circ_mod, "_run_once", run_once)
    return calls


def _memb(df: pd.DataFrame, c: Community) -> np.ndarray:
    return df.set_index("owner_id").loc[c.owner_ids, "circle"].to_numpy()


def test_scan_runs_agree_within_the_tie_margin():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 20, 2000)
    b = (a + 7) % 20  # the same partition, renumbered
    c = a.copy()
    c[:3] = (c[:3] + 1) % 20  # three owners of 2,000 moved: NMI above 0.99
    d = rng.integers(0, 20, 2000)  # unrelated
    assert _scan_runs_agree([a, b]) and _scan_runs_agree([a, c])
    assert not _scan_runs_agree([a, d]) and not _scan_runs_agree([a, b, d])
    assert not _scan_runs_agree([a])  # one run: nothing to compare


def test_large_graph_path_skips_the_seed_run_only_where_the_scan_runs_agree(monkeypatch):
    """Clear groups: the two scan runs agree on every owner, no third run on the owners, and the
    circles are those the path with the third run finds, for every seed.  Noisy ties: the scan's
    runs differ and the run on ``seed`` is made."""
    monkeypatch.setattr(circ_mod, "COARSEN_TIES", 0)
    c, planted = _groups(240, 6, 0.35, 0.004, seed=1)
    n = len(c.owner_ids)
    calls = _count_owner_runs(monkeypatch, n)
    runs = {}
    for seed in (0, 1, 2):
        df, info = circles(c, seed=seed, details=True)
        runs[seed] = _memb(df, c)
        assert len(info.scan) == 1 and info.scan[0][2] == 1.0  # stable at the first level
    assert calls[0] == 3 * 2  # the two scan runs per call, no run on seed
    for seed in (1, 2):
        assert compare_partitions(runs[0], runs[seed])["ari"] == 1.0
    assert compare_partitions(planted, runs[0])["ari"] == 1.0
    # the same circles when the run on seed is forced (the behaviour before)
    monkeypatch.setattr(circ_mod, "_scan_runs_agree", lambda parts: False)
    c2, _ = _groups(240, 6, 0.35, 0.004, seed=1)
    calls[0] = 0
    forced = _memb(circles(c2, seed=0), c2)
    assert calls[0] == 3
    assert compare_partitions(runs[0], forced)["ari"] == 1.0
    monkeypatch.undo()

    # noisy: weak groups, the two scan runs disagree somewhere, so the run on seed is made
    monkeypatch.setattr(circ_mod, "COARSEN_TIES", 0)
    c3, _ = _groups(300, 5, 0.06, 0.02, seed=2)
    calls = _count_owner_runs(monkeypatch, len(c3.owner_ids))
    _, info = circles(c3, details=True)
    assert info.scan[0][2] < 1.0
    assert calls[0] == 2 * len(info.scan) + 1


@pytest.mark.parametrize("n_circles", [3, None])
def test_circle_ties_is_a_groupby_of_owner_and_neighbour_circle(n_circles):
    """Both ways of summing (a count by key for few circles, a sort for many) give the sorted
    (owner, circle, weight) rows of a plain group-by."""
    rng = np.random.default_rng(5)
    n = 60
    iu, ju = np.triu_indices(n, 1)
    keep = rng.random(len(iu)) < 0.1
    u, v = iu[keep].astype(np.int32), ju[keep].astype(np.int32)
    w = rng.random(len(u)) + 0.1
    memb = rng.integers(0, n_circles, n) if n_circles else np.arange(n)
    if n_circles is None:
        assert n * n > 8 * len(u) + 1024  # this one takes the sort
    who, circ, tw = _circle_ties(u, v, w, memb)
    ref = (pd.DataFrame({"o": np.concatenate([u, v]), "c": np.concatenate([memb[v], memb[u]]),
                         "w": np.concatenate([w, w])}).groupby(["o", "c"])["w"].sum())
    assert who.tolist() == ref.index.get_level_values("o").tolist()
    assert circ.tolist() == ref.index.get_level_values("c").tolist()
    np.testing.assert_allclose(tw, ref.to_numpy(), rtol=1e-12)
