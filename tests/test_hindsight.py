"""The hindsight ceiling of a backtest (algorithms/hindsight.py): reach as a coverage function,
greedy with hindsight and its bounds, on a hand-built history and on random ones."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from graphcrm.algorithms import backtest as bt
from graphcrm.algorithms import hindsight as hs
from tests.test_backtest import _history

T = pd.Timestamp("2024-06-01").value + 1  # the backtest's window starts just after the split


def _arrays(c):
    ex = bt.exposures(c)
    return ex["src"].to_numpy(), ex["dst"].to_numpy(), ex["t"].to_numpy()


def _sets(indptr, indices, names, ids):
    return {names[i]: sorted(ids[indices[indptr[i]:indptr[i + 1]]]) for i in range(len(names))}


def test_own_reach_sets_by_hand():
    c = _history()
    src, dst, t = _arrays(c)
    ids = c.owner_ids
    who = ["a", "b", "c", "g", "d"]
    p, ix = hs.reach_sets(src, dst, t, len(ids), c.index_of(who), start=T)
    # a: b (like 06-02), e (referral), f (check-in at a's drive), c via b (06-03, after b was reached);
    # b: d (06-01 10:00 is after T), c, h via c; c: h; g: a (a liked g's post 06-08); d reaches no one
    assert _sets(p, ix, who, ids) == {"a": ["b", "c", "e", "f"], "b": ["c", "d", "h"], "c": ["h"], "g": ["a"],
                                      "d": []}
    p1, ix1 = hs.reach_sets(src, dst, t, len(ids), c.index_of(who), start=T, max_hops=1)
    assert _sets(p1, ix1, who, ids)["a"] == ["b", "e", "f"]
    p3, ix3 = hs.reach_sets(src, dst, t, len(ids), c.index_of(["a"]), start=T, max_hops=3)
    assert _sets(p3, ix3, ["a"], ids)["a"] == ["b", "c", "e", "f", "h"]


def test_set_reach_is_the_union_of_own_reaches_minus_the_picks_by_hand():
    c = _history()
    src, dst, t = _arrays(c)
    ids = c.owner_ids
    cand = c.index_of(["a", "b", "c", "g"])
    p, ix = hs.reach_sets(src, dst, t, len(ids), cand, start=T)
    for rows, picks in (([0], ["a"]), ([0, 1], ["a", "b"]), ([0, 3], ["a", "g"]), ([1, 2], ["b", "c"])):
        got = bt.backtest(c, at="2024-06-01", methods=[], picks=picks, bootstrap=0)["reach"].iloc[0]
        assert hs.set_reach(p, ix, cand, rows, len(ids)) == got
    # {a, g}: g's only reach is a, a pick: not counted -> a's 4
    assert hs.set_reach(p, ix, cand, [0, 3], len(ids)) == 4


@pytest.mark.parametrize("max_hops", [1, 2, 3])
def test_coverage_identity_on_random_histories(max_hops):
    rng = np.random.default_rng(7)
    for trial in range(40):
        n = int(rng.integers(3, 14))
        m = int(rng.integers(1, 45))
        src = rng.integers(0, n, m)
        dst = (src + rng.integers(1, n, m)) % n  # no self-exposure
        t = rng.integers(0, 12, m)  # many ties in time: a chain needs strictly later links
        start = int(rng.integers(0, 6))
        end = None if trial % 3 else int(rng.integers(start, 13))
        cand = np.arange(n)
        p, ix = hs.reach_sets(src, dst, t, n, cand, start=start, end=end, max_hops=max_hops)
        for i in range(n):  # each own set is what temporal_reach gives the owner alone
            alone = bt.temporal_reach(src, dst, t, n, [i], start=start, end=end, max_hops=max_hops)
            assert ix[p[i]:p[i + 1]].tolist() == np.flatnonzero(alone > 0).tolist()
        for _ in range(5):
            seeds = np.unique(rng.choice(n, size=int(rng.integers(1, min(n, 5) + 1)), replace=False))
            hops = bt.temporal_reach(src, dst, t, n, seeds, start=start, end=end, max_hops=max_hops)
            union = set()
            for s in seeds:
                union |= set(ix[p[s]:p[s + 1]].tolist())
            assert set(np.flatnonzero(hops > 0).tolist()) == union - set(seeds.tolist())
            assert hs.set_reach(p, ix, cand, seeds, n) == int((hops > 0).sum())


def test_greedy_and_bounds_by_hand():
    c = _history()
    src, dst, t = _arrays(c)
    n = len(c.owner_ids)
    elig = c.eligible()  # i is staff
    one = hs.hindsight_ceiling(src, dst, t, n, elig, k=1, start=T, exact_seconds=10)
    assert list(c.owner_ids[one.picks]) == ["a"] and one.greedy == 4 and one.exact == 4 and one.upper == 4
    two = hs.hindsight_ceiling(src, dst, t, n, elig, k=2, start=T, exact_seconds=10)
    # a (4: b, c, e, f), then b adds d and h but is itself covered: 4 + 2 - 1 = 5; c adds 0 (h - c), g 0
    assert list(c.owner_ids[two.picks]) == ["a", "b"] and two.greedy == 5
    # coverage greedy: a 4, b 2 more = 6; online bound g(S_i) + two largest gains at S_i:
    # 0 + 4 + 3, 4 + 2 (b) + 1 (c or g), 6 + 1 (g: a is in no set but its own) + 0 -> 7
    assert two.upper_online == 7 and two.upper_simple == 7
    assert two.exact == 5 and two.exact_optimal and two.upper == 5
    assert two.candidates == 4
    assert {c.owner_ids[i]: int(two.single[i]) for i in range(n) if two.single[i] > 0} == {"a": 4, "b": 3, "c": 1,
                                                                                           "g": 1}
    assert two.single[list(c.owner_ids).index("i")] == -1  # staff: not eligible


def test_greedy_hand_case_where_the_largest_set_is_not_in_the_optimum():
    # rows: 0 = {1..6}; 1 = {1, 2, 3, 7}; 2 = {4, 5, 6, 8}: greedy takes 0 first (6), then 7 or 8 (1 more)
    indptr = np.array([0, 6, 10, 14])
    indices = np.array([1, 2, 3, 4, 5, 6, 1, 2, 3, 7, 4, 5, 6, 8])
    cand = np.array([10, 11, 12])  # the picks are outside every set
    rows = hs.greedy_reach(indptr, indices, cand, 13, 2)
    assert rows == [0, 1] and hs.set_reach(indptr, indices, cand, rows, 13) == 7
    value, bound, optimal = hs.exact_max_reach(indptr, indices, cand, 13, 2)
    assert (value, bound, optimal) == (8.0, 8.0, True)  # {1, 2}: all eight
    online, g_greedy, _ = hs.coverage_upper_bound(indptr, indices, 13, 2)
    assert g_greedy == 7 and online >= 8


def _brute(indptr, indices, cand, n, k):
    return max(hs.set_reach(indptr, indices, cand, list(rows), n)
               for r in range(0, k + 1) for rows in itertools.combinations(range(len(cand)), r))


def test_bounds_bracket_the_optimum_on_random_instances():
    rng = np.random.default_rng(3)
    for _ in range(60):
        n = int(rng.integers(7, 14))
        m = int(rng.integers(1, 7))
        cand = rng.choice(n, size=m, replace=False)
        rows = [np.unique(rng.choice(np.setdiff1d(np.arange(n), [s]), size=int(rng.integers(0, n // 2 + 1)),
                                     replace=False)) for s in cand]
        indptr = np.r_[0, np.cumsum([len(r) for r in rows])].astype(np.int64)
        indices = np.concatenate(rows).astype(np.int64)
        k = int(rng.integers(1, m + 1))
        opt = _brute(indptr, indices, cand, n, k)
        g = hs.set_reach(indptr, indices, cand, hs.greedy_reach(indptr, indices, cand, n, k), n)
        online, g_greedy, _ = hs.coverage_upper_bound(indptr, indices, n, k)
        simple = min(g_greedy / (1 - 1 / np.e), float(np.sort(np.diff(indptr))[::-1][:k].sum()))
        value, bound, optimal = hs.exact_max_reach(indptr, indices, cand, n, k)
        assert g <= opt <= min(online, simple) + 1e-9
        assert optimal and value == opt and bound == opt


def test_exact_program_stopped_early_still_gives_valid_bounds():
    rng = np.random.default_rng(0)
    n, m = 3000, 400
    rows = [np.unique(rng.choice(n, size=int(rng.integers(1, 200)), replace=False)) for _ in range(m)]
    cand = np.arange(n, n + m)  # the picks are outside every set
    indptr = np.r_[0, np.cumsum([len(r) for r in rows])].astype(np.int64)
    indices = np.concatenate(rows).astype(np.int64)
    greedy = hs.set_reach(indptr, indices, cand, hs.greedy_reach(indptr, indices, cand, n + m, 20), n + m)
    online, _, _ = hs.coverage_upper_bound(indptr, indices, n + m, 20)
    for limit in (0.01, 1.0):
        value, bound, optimal = hs.exact_max_reach(indptr, indices, cand, n + m, 20, time_limit=limit)
        assert np.isnan(value) or value <= online  # a feasible set's reach, counted as the backtest would
        assert bound >= greedy  # a proven bound (infinite when the solver had none)
        if not optimal:
            continue
        assert value == bound >= greedy
