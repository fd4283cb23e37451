"""``backtest(..., ceiling=True)`` and ``graphcrm backtest --ceiling``: the hindsight row, counted by hand."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from graphcrm.algorithms import backtest as bt
from graphcrm.algorithms import hindsight as hs
from graphcrm.errors import ConfigError
from tests.test_backtest import _history

AT = "2024-06-01"


def _brute_force_best(c, k: int) -> int:
    """The most any k eligible owners reach after AT, every k-set replayed by the backtest itself."""
    elig = [str(o) for o in c.owner_ids[c.eligible()]]
    best = 0
    for picks in itertools.combinations(elig, k):
        got = bt.backtest(c, at=AT, methods=[], picks=list(picks), bootstrap=0)["reach"].iloc[0]
        best = max(best, int(got))
    return best


@pytest.mark.parametrize("k, expected, picks", [(1, 4, ["a"]), (2, 5, ["a", "b"])])
def test_ceiling_row_is_the_hand_counted_optimum(k, expected, picks):
    c = _history()
    # by hand (tests/test_hindsight.py): own reach after T of a = {b, c, e, f}, b = {c, d, h}, c = {h},
    # g = {a}, nobody else reaches anyone; k = 1: a, 4 owners; k = 2: a and b, {b..h} minus b = 5
    # ({a, c}: 4 + 0 (h is c's only) ... {a, g}: a is a pick: 4); i (staff) is never eligible
    assert _brute_force_best(c, k) == expected
    df, info = bt.backtest(c, at=AT, k=k, methods=["out_degree", "random"], bootstrap=50, ceiling=True,
                           details=True)
    assert df["method"].tolist() == ["out_degree", "random", "hindsight"]
    row = df.set_index("method").loc["hindsight"]
    assert int(row["reach"]) == expected and int(row["k"]) == k
    assert info.ceiling["optimal"] and info.ceiling["upper"] == expected and info.ceiling["solver"] == "highs"
    assert sorted(info.ceiling["picks"]) == picks and "i" not in info.ceiling["picks"]
    # the hindsight set replayed as user picks reaches the same
    again = bt.backtest(c, at=AT, methods=[], picks=info.ceiling["picks"], bootstrap=0)
    assert int(again["reach"].iloc[0]) == expected and int(again["direct_reach"].iloc[0]) == int(row["direct_reach"])
    # its ratio is to the best baseline, which it never becomes
    assert info.best_baseline == "out_degree"
    best = int(df.set_index("method").loc["out_degree", "reach"])
    assert row["ratio_to_best_baseline"] == pytest.approx(round(expected / best, 4))
    assert df.set_index("method").loc["out_degree", "ratio_to_best_baseline"] == 1.0
    # every row's reach is at most the ceiling
    assert (df["reach"] <= expected).all()
    assert row["reach_low"] <= expected <= row["reach_high"]
    assert row["ratio_low"] <= row["ratio_to_best_baseline"] <= row["ratio_high"]


def test_ceiling_off_by_default_and_the_other_rows_unchanged():
    c = _history()
    kw = dict(at=AT, k=2, methods=["out_degree", "pagerank", "random"], picks=["c"], bootstrap=40)
    off = bt.backtest(c, **kw)
    default = bt.backtest(c, **kw, ceiling=False)
    pd.testing.assert_frame_equal(off, default)
    assert "hindsight" not in set(off["method"])
    on, info = bt.backtest(c, **kw, ceiling=True, details=True)
    assert list(on.columns) == list(off.columns) and on.dtypes.equals(off.dtypes)
    pd.testing.assert_frame_equal(on.iloc[:-1].drop(columns="seconds"), off.drop(columns="seconds"))
    assert on["method"].iloc[-1] == "hindsight"
    _, off_info = bt.backtest(c, **kw, details=True)
    assert off_info.ceiling is None and "hindsight" not in off_info.picks
    assert info.best_baseline == off_info.best_baseline


def test_hindsight_is_never_the_best_baseline():
    c = _history()
    # random alone: no baseline asked, so no ratio, even though the hindsight row reaches most
    df, info = bt.backtest(c, at=AT, k=1, methods=["random"], bootstrap=0, ceiling=True, details=True)
    assert info.best_baseline is None and df["ratio_to_best_baseline"].isna().all()
    # the weakest baseline stays the denominator even when hindsight reaches more
    df, info = bt.backtest(c, at=AT, k=1, methods=["pagerank"], bootstrap=0, ceiling=True, details=True)
    assert info.best_baseline == "pagerank"
    by = df.set_index("method")
    assert by.loc["hindsight", "reach"] >= by.loc["pagerank", "reach"]
    assert by.loc["pagerank", "ratio_to_best_baseline"] == 1.0
    with pytest.raises(ConfigError):
        bt.backtest(c, at=AT, k=1, methods=["hindsight"], bootstrap=0)  # not a method one can ask for


def test_ceiling_bounds_when_the_pool_is_truncated():
    # the memory bound of algorithms/hindsight.py: only the largest sets built, greedy on those,
    # the upper bound still over every candidate (outsiders by their sizes)
    rng = np.random.default_rng(3)
    for _ in range(30):
        n = int(rng.integers(4, 12))
        m = int(rng.integers(3, 40))
        src = rng.integers(0, n, m)
        dst = (src + rng.integers(1, n, m)) % n
        t = rng.integers(0, 10, m)
        elig = rng.random(n) < 0.8
        k = int(rng.integers(1, 4))
        full = hs.hindsight_ceiling(src, dst, t, n, elig, k=k, start=0, exact_seconds=10)
        cut = hs.hindsight_ceiling(src, dst, t, n, elig, k=k, start=0, max_entries=max(1, m // 4))
        assert cut.greedy <= full.exact <= cut.upper
        assert np.array_equal(cut.single, full.single) and cut.candidates == full.candidates
        if cut.pool_truncated:
            assert cut.exact is None
        assert len(full.exact_picks) <= k and set(full.exact_picks) <= set(np.flatnonzero(elig))


def test_cli_backtest_ceiling(tmp_path):
    from click.testing import CliRunner

    from graphcrm.cli import cli

    store = str(tmp_path / "s.duckdb")
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "--owners", "1000", "--seed", "1", "--store", store]).exit_code == 0
    args = ["backtest", "--store", store, "-k", "5", "--methods", "out_degree,random", "--bootstrap", "20",
            "--format", "csv"]
    r = runner.invoke(cli, [*args, "--ceiling"])
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    assert lines[0].startswith("method,k,reach")
    assert [ln.split(",")[0] for ln in lines[1:]] == ["out_degree", "random", "hindsight"]
    assert "With hindsight, the best 5 owners would have reached" in r.stderr
    assert "the best simple method reached" in r.stderr
    plain = runner.invoke(cli, args)
    assert plain.exit_code == 0 and "hindsight" not in plain.stdout and "With hindsight" not in plain.stderr
    table = runner.invoke(cli, ["backtest", "--store", store, "-k", "3", "--methods", "out_degree,ambassadors:learned",
                                "--bootstrap", "0", "--ceiling"])
    assert table.exit_code == 0, table.output
    assert "our picks (ambassadors:learned) reached" in table.stdout


def test_ceiling_sentence_when_not_proven_optimal():
    from types import SimpleNamespace

    from graphcrm.commands.backtest import ceiling_sentence

    df = pd.DataFrame({"method": ["out_degree", "picks", "hindsight"], "k": [3, 3, 3], "reach": [10, 12, 15],
                       "ratio_to_best_baseline": [1.0, 1.2, 1.5]})
    info = SimpleNamespace(best_baseline="out_degree",
                           ceiling={"optimal": False, "upper": 19.0, "stopped": "integer program stopped"})
    text = ceiling_sentence(df, info)
    assert text.startswith("With hindsight, the best 3 owners would have reached at least 15 and at most 19 ")
    assert "(the best simple method reached 10: 1.50x); your picks reached 12." in text
    assert text.endswith("(Not proven optimal: integer program stopped.)")
