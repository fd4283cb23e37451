"""Attempt 10 of issue #12 (algorithms/reach_cover.py): predicted own reach covered with last-period overlap."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphcrm.algorithms import reach_cover as rc
from graphcrm.community import Community
from graphcrm.demo import generate_demo
from graphcrm.errors import ConfigError

# candidates 0, 1, 2 (predicted reach 5, 4, 3); last-window sets {3, 4}, {3, 4}, {5}
YHAT = np.array([5.0, 4.0, 3.0, 0, 0, 0, 0])
CAND = np.array([0, 1, 2])
PTR = np.array([0, 2, 4, 5])
IDX = np.array([3, 4, 3, 4, 5])


def test_cover_greedy_by_hand():
    assert rc.cover_greedy(YHAT, CAND, PTR, IDX, 7, k=2, rho=0.0) == [(0, 5.0), (1, 4.0)]  # top k by prediction
    assert rc.cover_greedy(YHAT, CAND, PTR, IDX, 7, k=2, rho=1.0) == [(0, 5.0), (2, 3.0)]  # 1 fully overlaps 0
    # rho 0.5: 1's gain 4 * (1 - 0.5) = 2 < 2's 3
    assert rc.cover_greedy(YHAT, CAND, PTR, IDX, 7, k=3, rho=0.5) == [(0, 5.0), (2, 3.0), (1, 2.0)]


def test_cover_greedy_counts_a_pick_the_others_reach_as_lost():
    # 0 reached 1 last time: picking 1 after 0 costs rho (1 is a pick, not counted)
    yhat = np.array([5.0, 4.0, 3.9, 0])
    got = rc.cover_greedy(yhat, np.array([0, 1, 2]), np.array([0, 1, 1, 2]), np.array([1, 3]), 4, k=2, rho=1.0)
    assert got == [(0, 5.0), (2, 3.9)]  # 1: 4 * (1 - 0) - 1 = 3 < 3.9


def test_reach_cover_on_the_demo():
    tables, _ = generate_demo(1000, seed=0)
    c = Community(tables)
    t = tables["interactions"]["created_at"]
    train = Community(tables, until=t.min() + (t.max() - t.min()) * 0.7)
    df, info = rc.reach_cover(train, k=8, horizon_days=60, details=True)
    assert len(df) == 8 and df["owner_id"].is_unique and df["rank"].tolist() == list(range(1, 9))
    assert set(df["owner_id"]) <= set(train.owner_ids[train.eligible()])
    assert (np.diff(df["gain"].to_numpy()) <= 1e-9).all()  # lazy greedy on shrinking gains
    assert 0.0 <= info.rho_fitted <= 1.0 and info.fit_at < info.at and info.rows > 0
    again = rc.reach_cover(train, k=8, horizon_days=60)
    pd.testing.assert_frame_equal(df, again)
    top = rc.reach_cover(train, k=8, horizon_days=60, overlap="none")
    assert (np.diff(top["predicted_reach"].to_numpy()) <= 0).all()
    assert np.allclose(top["gain"], top["predicted_reach"])
    # only the data up to the split are read: the same picks from the tables cut there
    cut = info.at
    cut_tables = {name: df_ for name, df_ in tables.items()}
    cut_tables["interactions"] = tables["interactions"][tables["interactions"]["created_at"] <= cut]
    same = rc.reach_cover(Community(cut_tables, until=cut), k=8, horizon_days=60)
    assert same["owner_id"].tolist() == df["owner_id"].tolist()
    assert len(c.owner_ids) >= len(train.owner_ids)


def test_reach_cover_errors():
    from tests.test_backtest import _history

    c = _history()
    assert len(rc.reach_cover(c, k=2, horizon_days=30)) == 2
    with pytest.raises(ConfigError):
        rc.reach_cover(c, k=0, horizon_days=10)
    with pytest.raises(ConfigError):
        rc.reach_cover(c, k=3, horizon_days=-1)
    with pytest.raises(ConfigError):
        rc.reach_cover(c, k=3, horizon_days=10, overlap="some")
