"""The credit-distribution model (algorithms/credit.py) on hand-checked action logs."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from graphcrm.algorithms import credit as cd
from graphcrm.community import Community
from graphcrm.errors import ConfigError

# one episode (0, 100]: exposures src -> dst at t
#   0 -> 1 @10, 0 -> 2 @20, 1 -> 2 @30, 2 -> 3 @40, 4 -> 3 @50, 3 -> 1 @5
# parents: 1 {0, 3}, 2 {0, 1}, 3 {2, 4}: every direct credit is 1/2
SRC = np.array([0, 0, 1, 2, 4, 3])
DST = np.array([1, 2, 2, 3, 3, 1])
T = np.array([10, 20, 30, 40, 50, 5])


def hand_log(**kw):
    return cd.credit_log(SRC, DST, T, 5, end_ns=100, episode_ns=100, **kw)


def test_direct_credits_are_one_over_parents():
    log = hand_log()
    assert log.episodes == 1 and len(log.owner) == 5 and len(log.dst) == 6
    assert np.allclose(log.gamma, 0.5)
    assert np.allclose(log.weight, 1.0)


def test_spread_of_single_seeds_by_hand():
    log = hand_log()
    # {0}: itself 1 + direct 1/2 (1) + 1/2 (2) + through 1 to 2: 1/4 + through 2 to 3: 1/4
    assert cd.credit_spread(log, [0]) == pytest.approx(2.5)
    # {3}: 1 + 1/2 (1) + through 1 to 2 (1 -> 2 @30 after 3 -> 1 @5): 1/4
    assert cd.credit_spread(log, [3]) == pytest.approx(1.75)
    # {4}: 1 + 1/2 (3); 3 -> 1 @5 is before 4 -> 3 @50: no chain credit
    assert cd.credit_spread(log, [4]) == pytest.approx(1.5)
    assert cd.credit_spread(log, [2]) == pytest.approx(1.5)
    assert cd.credit_spread(log, [1]) == pytest.approx(1.75)
    # direct credit only
    assert cd.credit_spread(log, [0], max_hops=1) == pytest.approx(2.0)


def test_set_credit_by_hand():
    log = hand_log()
    # {0, 1}: 0, 1 themselves, 2 fully (1/2 + 1/2), 3 through 2 from both (1/4 + 1/4)
    assert cd.credit_spread(log, [0, 1]) == pytest.approx(3.5)
    # {0, 3}: 1 fully, 2: 1/2 from 0 + 1/4 + 1/4 through 1, 3 itself
    assert cd.credit_spread(log, [0, 3]) == pytest.approx(4.0)


def test_greedy_picks_by_hand():
    log = hand_log()
    picks, gains, evals = cd.credit_greedy(log, 2)
    # first 0 (2.5); then 3 and 4 both add 1.5 (1 gains 1.0, 2 gains 0.5): the smaller number
    assert picks.tolist() == [0, 3]
    assert gains.tolist() == pytest.approx([2.5, 1.5])
    assert evals >= 5
    # the tie goes the other way with the order reversed
    picks, _, _ = cd.credit_greedy(log, 2, order=np.array([4, 3, 2, 1, 0]))
    assert picks.tolist() == [0, 4]
    # candidates limit the picks
    picks, gains, _ = cd.credit_greedy(log, 2, candidates=np.array([1, 2]))
    assert picks.tolist() == [1, 2] and gains[0] == pytest.approx(1.75)


def test_full_credit_is_coverage_by_hand():
    log = hand_log()
    picks, gains, _ = cd.credit_greedy(log, 2, credit="full")
    # {0} reaches 1, 2 and, through 2 (2 -> 3 @40 after 0 -> 2 @20), 3: 4 owners; then only 4 adds one
    assert picks.tolist() == [0, 4]
    assert gains.tolist() == pytest.approx([4.0, 1.0])


def test_episodes_weights_and_normalization():
    # episode 0 = (100, 200]: 0 -> 1 @150; episode 1 = (0, 100]: the hand log
    src, dst, t = np.r_[SRC, 0], np.r_[DST, 1], np.r_[T, 150]
    log = cd.credit_log(src, dst, t, 5, end_ns=200, episode_ns=100, start_ns=0, half_life_episodes=None)
    assert log.episodes == 2
    assert sorted(zip(log.episode.tolist(), log.owner.tolist())) == [(0, 0), (0, 1)] + [(1, u) for u in range(5)]
    assert np.allclose(log.weight, 0.5)  # every episode alike, divided by the 2 episodes
    # the latest episode's edge 0 -> 1 has one parent
    e0 = [i for i in range(len(log.dst)) if log.episode[log.dst[i]] == 0]
    assert len(e0) == 1 and log.gamma[e0[0]] == pytest.approx(1.0)
    # spread {0}: half of episode 1's 2.5 plus half of episode 0's 2 (itself and 1)
    assert cd.credit_spread(log, [0]) == pytest.approx(0.5 * 2.5 + 0.5 * 2.0)
    # the paper's per-user average: 0 and 1 appear twice (1/2 each), 2, 3, 4 once (1)
    user = cd.credit_log(src, dst, t, 5, end_ns=200, episode_ns=100, start_ns=0, normalize="user",
                         half_life_episodes=None)
    w = {(int(e), int(o)): float(x) for e, o, x in zip(user.episode, user.owner, user.weight)}
    assert w[(0, 0)] == w[(1, 0)] == w[(0, 1)] == w[(1, 1)] == pytest.approx(0.5)
    assert w[(1, 2)] == w[(1, 3)] == w[(1, 4)] == pytest.approx(1.0)
    # recency: weights 1 and 1/2 for episodes 0 and 1, divided by their sum
    rec = cd.credit_log(src, dst, t, 5, end_ns=200, episode_ns=100, start_ns=0, half_life_episodes=1.0)
    assert np.allclose(rec.weight, np.where(rec.episode == 0, 1 / 1.5, 0.5 / 1.5))


def test_time_decayed_direct_credit():
    # pair 0 -> 1 in two episodes: delay 10 after 0's first appearance in one, 0 in the other: tau = 5
    src = np.array([0, 0, 0])
    dst = np.array([2, 1, 1])
    t = np.array([110, 120, 50])
    log = cd.credit_log(src, dst, t, 3, end_ns=200, episode_ns=100, start_ns=0, decay=True)
    g = {(int(log.episode[log.dst[i]]), int(log.owner[log.dst[i]])): float(log.gamma[i]) for i in range(len(log.dst))}
    assert g[(0, 1)] == pytest.approx(math.exp(-2.0))  # delay 10 / tau 5
    assert g[(1, 1)] == pytest.approx(1.0)  # delay 0
    assert g[(0, 2)] == pytest.approx(1.0)


def _brute_spread(log, seeds, hops=2):
    """Gamma_{S,u} summed directly: members 1, else the direct credit of the members plus the
    chain credit through non-members (edges listed from the CSR)."""
    S = set(seeds)
    P = len(log.owner)
    edges = [(p, int(log.dst[e]), float(log.gamma[e]), int(log.t_first[e]), int(log.t_last[e]))
             for p in range(P) for e in range(log.indptr[p], log.indptr[p + 1])]
    total = 0.0
    for u in range(P):
        if log.owner[u] in S:
            total += log.weight[u]
            continue
        c = sum(g for p, q, g, _, _ in edges if q == u and log.owner[p] in S)
        if hops >= 2:
            for p, w, g1, tf, _ in edges:
                if log.owner[p] not in S or log.owner[w] in S:
                    continue
                c += sum(g1 * g2 for a, q, g2, _, tl in edges if a == w and q == u and tl > tf)
        total += log.weight[u] * c
    return total


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernel_matches_brute_force_and_is_submodular(seed):
    rng = np.random.default_rng(seed)
    n, m = 7, 30
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    ok = src != dst
    src, dst = src[ok], dst[ok]
    t = rng.integers(1, 300, len(src))
    log = cd.credit_log(src, dst, t, n, end_ns=300, episode_ns=100, start_ns=0, half_life_episodes=1.5)
    for size in (1, 2, 3):
        for S in itertools.combinations(range(n), size):
            assert cd.credit_spread(log, S) == pytest.approx(_brute_spread(log, S), abs=1e-12)
    # monotone and submodular: x adds no more to a superset
    for x in range(n):
        for S in itertools.combinations([v for v in range(n) if v != x], 2):
            a = cd.credit_spread(log, [S[0], x]) - cd.credit_spread(log, [S[0]])
            b = cd.credit_spread(log, [*S, x]) - cd.credit_spread(log, list(S))
            assert -1e-12 <= b <= a + 1e-12
    picks, gains, _ = cd.credit_greedy(log, 4)
    assert np.all(np.diff(gains) <= 1e-12)
    assert gains.sum() == pytest.approx(cd.credit_spread(log, picks))


def test_credit_ambassadors_on_a_community():
    # referrals a -> b, a -> c, b -> d (chain after a -> b), e -> d; staff s refers everyone later
    owners = pd.DataFrame({"owner_id": ["a", "b", "c", "d", "e", "s"],
                           "is_staff": [False, False, False, False, False, True]})
    ref = pd.DataFrame({"referrer_id": ["a", "a", "b", "e", "s", "s"], "referee_id": ["b", "c", "d", "d", "e", "c"],
                        "stage": "order",
                        "referred_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-06",
                                                       "2024-01-07", "2024-01-08"])})
    c = Community.from_frames({"owners": owners, "referrals": ref})
    df, info = cd.credit_ambassadors(c, k=2, episode_days=30, details=True)
    # one episode; a: itself 1 + b 1 (its one parent) + c 1/2 (parents a, s) + d through b
    # (b -> d after a -> b): 1 * 1/2 = 3.0; staff never picked
    assert df["owner_id"].tolist()[0] == "a"
    assert df["marginal_credit"].iloc[0] == pytest.approx(3.0)
    assert "s" not in df["owner_id"].tolist()
    assert info.episodes == 1 and info.max_hops == 2 and info.credit == "share"
    assert df["credit"].iloc[-1] == pytest.approx(info.spread)
    with pytest.raises(ConfigError):
        cd.credit_ambassadors(c, k=0)
    with pytest.raises(ConfigError):
        cd.credit_ambassadors(c, k=2, normalize="nope")
    with pytest.raises(ConfigError):
        cd.credit_ambassadors(c, k=2, max_hops=3)
    with pytest.raises(ConfigError):
        cd.credit_ambassadors(c, k=2, credit="nope")


def test_backtest_method_credit():
    from graphcrm.algorithms.backtest import backtest
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1000, seed=0)
    df, info = backtest(Community(tables), k=5, methods=["credit", "out_degree"], bootstrap=0, details=True)
    assert df["method"].tolist() == ["credit", "out_degree"]
    assert len(info.picks["credit"]) == 5
    assert info.models["credit"]["model"] == "credit"


def test_backtest_auto_chooses_by_an_inner_backtest():
    from graphcrm.algorithms import backtest as bt
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1000, seed=0)
    c = Community(tables)
    at = pd.Timestamp(tables["interactions"]["created_at"].quantile(0.7))
    df, info = bt.backtest(c, at=at, k=5, methods=["auto", *bt.AUTO_CANDIDATES], bootstrap=0, details=True)
    auto = info.models["auto"]
    assert auto["chosen"] in bt.AUTO_CANDIDATES
    assert set(auto["inner_reach"]) == set(bt.AUTO_CANDIDATES)
    # the inner split lies before the outer one: nothing after it is seen
    assert pd.Timestamp(auto["inner_at"]) < at
    # its picks are the chosen model's picks on the same data
    assert info.picks["auto"] == info.picks[auto["chosen"]]
    # the chosen one reached most in the inner backtest (ties: the first candidate)
    best = max(auto["inner_reach"].values())
    assert auto["inner_reach"][auto["chosen"]] == best
    assert auto["chosen"] == next(m for m in bt.AUTO_CANDIDATES if auto["inner_reach"][m] == best)


# ------------------------------------------------------------------ ambassadors(probability="credit")
# The community above: referrals a -> b @1, a -> c @2, b -> d @5, e -> d @6, s -> e @7, s -> c @8
# (days of January 2024), s is staff.  With horizon_days=120 the episodes are 30 days: one episode.
# Parents: b {a}, c {a, s}, d {b, e}, e {s}; direct credits a->b 1, a->c 1/2, s->c 1/2, b->d 1/2,
# e->d 1/2, s->e 1; the one credited chain is a -> b -> d (b -> d @5 after a -> b @1; e -> d @6 is
# before s -> e @7).  Single credits: a 1 + b 1 + c 1/2 + d (through b) 1/2 = 3.0; b, e 1.5; c, d 1.
# After a: e adds 1 + 1/2 (d) = 1.5, c and d 1/2 each, b 0.  After a, e: c 1/2, d 0.
H = 120


def hand_community(**owner_cols):
    owners = pd.DataFrame({"owner_id": ["a", "b", "c", "d", "e", "s"],
                           "is_staff": [False, False, False, False, False, True], **owner_cols})
    ref = pd.DataFrame({"referrer_id": ["a", "a", "b", "e", "s", "s"], "referee_id": ["b", "c", "d", "d", "e", "c"],
                        "stage": "order",
                        "referred_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-06",
                                                       "2024-01-07", "2024-01-08"])})
    return Community.from_frames({"owners": owners, "referrals": ref})


def _amb(c, **kw):
    from graphcrm.algorithms.influence import ambassadors

    return ambassadors(c, probability="credit", horizon_days=H, details=True, **kw)


def test_ambassadors_credit_picks_and_gains_by_hand():
    df, info = _amb(hand_community(), k=3)
    assert df["owner_id"].tolist() == ["a", "e", "c"]
    assert df["marginal_gain"].tolist() == pytest.approx([3.0, 1.5, 0.5])
    assert df["cumulative_reach"].tolist() == pytest.approx([3.0, 4.5, 5.0])
    assert df["rank"].tolist() == [1, 2, 3]
    # a referred b and c, e referred d; c exposed nobody
    assert df["direct_reach"].tolist() == [2, 1, 0]
    assert df["main_channel"].tolist() == ["referrals", "referrals", ""]
    assert info.model == info.probability == info.probability_asked == "credit"
    assert info.mc_check is None and info.fallback is None and info.learned is None
    assert info.credit["episodes"] == 1 and info.credit["episode_days"] == pytest.approx(30.0)
    assert info.credit["max_hops"] == 2 and info.max_hops == 2
    assert "credit from past activity" in info.notes[0] and "credit" in info.backtest
    assert info.spread_curve["expected_reach"].tolist() == pytest.approx([0.0, 3.0, 4.5, 5.0])
    # greedy exhausted every positive gain: the bound is the picks' own credit
    assert info.approximation == pytest.approx(1.0) and info.stats.opt_upper == pytest.approx(5.0)
    assert "pick #1: credited with 3.0 more owners" in df["reason"].iloc[0]
    # the same picks and gains as the credit module's own entry point
    ref = cd.credit_ambassadors(hand_community(), k=3, horizon_days=H)
    assert ref["owner_id"].tolist() == df["owner_id"].tolist()
    assert ref["marginal_credit"].tolist() == pytest.approx(df["marginal_gain"].tolist())
    # direct credit only: a 1 + b 1 + c 1/2 = 2.5
    df1, _ = _amb(hand_community(), k=1, max_hops=1)
    assert df1["marginal_gain"].tolist() == pytest.approx([2.5])


def test_ambassadors_credit_never_picks_staff_opted_out_or_excluded():
    # staff s has a positive credit (s -> e, s -> c) but is never picked, even with k = every owner
    df, _ = _amb(hand_community(), k=6)
    assert "s" not in set(df["owner_id"])
    # a opted out of marketing, or excluded: b and e tie at 1.5 (b first by id); after b, e still
    # adds 1 + 1/2; then c 1 (its parents a and s are not picked)
    for c, kw in ((hand_community(marketing_opt_out=[True, False, False, False, False, False]), {}),
                  (hand_community(), {"exclude": ["a"]})):
        df, _ = _amb(c, k=3, **kw)
        assert df["owner_id"].tolist() == ["b", "e", "c"]
        assert df["marginal_gain"].tolist() == pytest.approx([1.5, 1.5, 1.0])


def test_ambassadors_credit_caps_by_hand():
    # a and e in X, the rest in Y: with one per city, e (1.5 after a) is capped; c and d tie at 1/2
    c = hand_community(city=["X", "Y", "Y", "Y", "X", "Y"])
    df, info = _amb(c, k=3, per_city=1)
    assert df["owner_id"].tolist() == ["a", "c"]
    assert df["marginal_gain"].tolist() == pytest.approx([3.0, 0.5])
    assert df["city"].tolist() == ["X", "Y"]
    assert info.constrained == "caps" and info.target_ratio == pytest.approx(0.5)
    # without the cap e is second
    assert _amb(c, k=2)[0]["owner_id"].tolist() == ["a", "e"]
    # a minimum of one per city is met
    df, info = _amb(c, k=2, min_per_city=1, per_city=1)
    assert sorted(df["city"]) == ["X", "Y"]


def test_ambassadors_credit_budget_by_hand():
    # a costs 3, the others 1, budget 3: credit per cost b 1.5 (before e by id), then e 1.5, then a
    # (1.5 after b) no longer fits and c adds 1: 4.0 > a alone (3.0)
    c = hand_community()
    cost = {"a": 3.0, "b": 1, "c": 1, "d": 1, "e": 1, "s": 1}
    df, info = _amb(c, k=3, costs=cost, budget=3)
    assert df["owner_id"].tolist() == ["b", "e", "c"]
    assert df["marginal_gain"].tolist() == pytest.approx([1.5, 1.5, 1.0])
    assert info.constrained == "budget"
    # k = 1: the greedy's b (1.5) loses to the best single affordable owner a (3.0)
    df, _ = _amb(c, k=1, costs=cost, budget=3)
    assert df["owner_id"].tolist() == ["a"] and df["marginal_gain"].tolist() == pytest.approx([3.0])


def test_ambassadors_credit_active_and_segment_by_hand():
    # a already active: gains on top of its 3.0
    df, info = _amb(hand_community(), k=2, active=["a"])
    assert df["owner_id"].tolist() == ["e", "c"]
    assert df["marginal_gain"].tolist() == pytest.approx([1.5, 0.5])
    assert info.active == ("a",) and info.active_reach == pytest.approx(3.0)
    # reach counted among d only (d itself excluded): a (through b), b, e each 1/2, a first by id;
    # after a, b adds nothing more (its credit for d went through a's chain), e 1/2
    df, info = _amb(hand_community(), k=2, reach_among=["d"], exclude=["d"])
    assert df["owner_id"].tolist() == ["a", "e"]
    assert df["marginal_gain"].tolist() == pytest.approx([0.5, 0.5])
    assert info.segment_owners == 1


def test_ambassadors_credit_options_that_do_not_apply():
    c = hand_community()
    for kw in ({"model": "lt"}, {"layers": {"referrals": 1}}, {"half_life_days": 30}, {"mc_runs": 100},
               {"max_hops": 0}, {"max_hops": 3}):
        with pytest.raises(ConfigError):
            _amb(c, k=1, **kw)
    from graphcrm.algorithms.influence import ambassadors, spread

    with pytest.raises(ConfigError):
        ambassadors(c, k=1, probability="nope")
    with pytest.raises(ConfigError):
        spread(c, ["a"], probability="nope")
    _amb(c, k=1, mc_runs=0)  # 0 = no check: accepted


def test_ambassadors_credit_in_chinese():
    from graphcrm.algorithms.influence import ambassadors

    df, info = ambassadors(hand_community(city=["X"] * 6), k=1, probability="credit", horizon_days=H, lang="zh",
                           details=True)
    assert df["reason"].iloc[0].startswith("第 1 位人选：按历史归因")
    assert "历史行为归因" in info.notes[0]
    import re

    assert not re.search(r"[A-Za-z]{2,}", info.notes[0] + df["reason"].iloc[0].replace("X", ""))


def test_spread_credit_is_the_models_own_estimate():
    from graphcrm.algorithms.influence import spread

    df, info = spread(hand_community(), ["a", "zz"], probability="credit", horizon_days=H, details=True)
    r = df.iloc[0]
    assert (r["seeds"], r["unknown"], r["runs"], r["model"], r["probability"]) == (1, 1, 1, "credit", "credit")
    assert r["mean"] == pytest.approx(3.0) and r["others"] == pytest.approx(2.0)
    assert r["ci_low"] == r["ci_high"] == pytest.approx(3.0)  # one episode: nothing varies
    assert info.probability_asked == "credit" and info.unknown_ids == ("zz",)
    # two equal episodes (the log of test_episodes_weights_and_normalization): {0} earns 2.5 and 2.0
    src, dst, t = np.r_[SRC, 0], np.r_[DST, 1], np.r_[T, 150]
    log = cd.credit_log(src, dst, t, 5, end_ns=200, episode_ns=100, start_ns=0, half_life_episodes=None)
    est = cd.credit_estimate(log, [0])
    assert est["mean"] == pytest.approx(2.25) and est["std"] == pytest.approx(0.25)
    assert est["ci_high"] - est["mean"] == pytest.approx(1.96 * 0.25 * math.sqrt(0.5))
    assert est["others"] == pytest.approx(0.5 * 1.5 + 0.5 * 1.0) and est["episodes"] == 2
    assert est["mean"] == pytest.approx(cd.credit_spread(log, [0]))
    user = cd.credit_log(src, dst, t, 5, end_ns=200, episode_ns=100, start_ns=0, normalize="user")
    with pytest.raises(ConfigError):
        cd.credit_estimate(user, [0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_credit_select_bound_brackets_the_optimum(seed):
    # on random logs: greedy credit <= best k-set's credit (brute force) <= the reported bound,
    # with and without caps and a budget; the greedy's ratio is at least its worst case
    rng = np.random.default_rng(seed)
    n, m = 8, 40
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    ok = src != dst
    src, dst = src[ok], dst[ok]
    log = cd.credit_log(src, dst, rng.integers(1, 300, len(src)), n, end_ns=300, episode_ns=100, start_ns=0)
    group = (np.arange(n) % 2)[:, None]
    cost = rng.uniform(0.5, 2.0, n)
    for k in (1, 2, 3):
        for kw in ({}, {"group": group, "caps": np.array([1, 1])}, {"cost": cost, "budget": 2.5}):
            sel = cd.credit_select(log, k, **kw)
            best = 0.0
            for size in range(1, k + 1):
                for S in itertools.combinations(range(n), size):
                    if "caps" in kw and np.bincount(group[list(S), 0], minlength=2).max() > 1:
                        continue
                    if "budget" in kw and cost[list(S)].sum() > 2.5:
                        continue
                    best = max(best, cd.credit_spread(log, S))
            got = sel.gains.sum()
            assert got == pytest.approx(cd.credit_spread(log, sel.picks))
            assert got <= best + 1e-12 <= sel.upper + 2e-12
            assert got >= sel.target * best - 1e-12
            assert sel.approximation <= got / best + 1e-12


def test_ambassadors_credit_deterministic_and_same_as_the_backtest_method():
    from graphcrm.algorithms.backtest import backtest
    from graphcrm.algorithms.influence import ambassadors
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1000, seed=0)
    whole = Community(tables)
    df, info = backtest(whole, k=10, methods=["credit"], bootstrap=0, details=True)
    train = Community(tables, until=info.at)
    h = (info.end - info.at).total_seconds() / 86400.0
    amb, det = ambassadors(train, k=10, probability="credit", horizon_days=h, details=True)
    assert amb["owner_id"].tolist() == info.picks["credit"]
    assert det.credit["episodes"] == info.models["credit"]["episodes"]
    assert 1 - 1 / math.e - 1e-9 <= det.approximation <= 1.0
    assert np.all(np.diff(amb["marginal_gain"].to_numpy()) <= 1e-9)
    # the same seed gives the same picks, also with circle caps (circles depend on the seed)
    a1 = ambassadors(Community(tables), k=10, probability="credit", per_circle=2, seed=3)
    a2 = ambassadors(Community(tables), k=10, probability="credit", per_circle=2, seed=3)
    pd.testing.assert_frame_equal(a1, a2)
    circ = __import__("graphcrm.algorithms.circles", fromlist=["circles"]).circles(Community(tables), seed=3)
    of = dict(zip(circ["owner_id"].astype(str), circ["circle"]))
    counts = pd.Series([of[o] for o in a1["owner_id"] if of[o] >= 0]).value_counts()
    assert counts.max() <= 2


def test_campaign_file_with_the_credit_model(tmp_path):
    """probability = "credit" in a campaign file: ambassadors and the ambassador rows of targets
    are the same picks in the same order, the excluded owner never among them."""
    from graphcrm.algorithms.influence import ambassadors
    from graphcrm.algorithms.targeting import targets
    from graphcrm.campaign_file import read_campaign_file
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1000, seed=0)
    plain = ambassadors(Community(tables), k=5, probability="credit")["owner_id"].tolist()
    p = tmp_path / "c.toml"
    p.write_text(f'seed = 1\n[ambassadors]\nk = 5\nprobability = "credit"\nper_city = 2\n'
                 f'[exclude]\nowner_ids = ["{plain[0]}"]\n', encoding="utf-8")
    f = read_campaign_file(p)
    c = Community(tables)
    direct = ambassadors(c, **f.ambassador_options())
    tg = targets(c, programs=["ambassador"], **f.target_options())
    assert tg["owner_id"].astype(str).tolist() == direct["owner_id"].tolist()
    assert len(direct) == 5 and plain[0] not in set(direct["owner_id"])
    assert direct.groupby("city").size().max() <= 2


def test_report_names_the_credit_model_in_both_languages(tmp_path):
    """A report whose campaign file asks for the credit model: its ambassadors section names the
    model in plain words, in English and (with no English words left) in Chinese."""
    import graphcrm
    from graphcrm.campaign_file import read_campaign_file
    from tests._report_data import demo_store
    from tests.test_report_zh import _english_words

    store = demo_store(tmp_path / "store")
    p = tmp_path / "c.toml"
    p.write_text('[ambassadors]\nk = 5\nprobability = "credit"\n', encoding="utf-8")
    f = read_campaign_file(p)
    sections = {}
    with graphcrm.open(store) as cg:
        owners = cg.table("owners")
        picks = cg.ambassadors(**f.ambassador_options())["owner_id"].astype(str).tolist()
        for lang in ("en", "zh"):
            path = cg.report(tmp_path / f"r-{lang}.html", lang=lang, campaign=f, sections=["ambassadors"],
                             progress=False, strict=True)
            text = path.read_text(encoding="utf-8")
            sections[lang] = text.split('id="ambassadors"', 1)[1].split(">", 1)[1].split("</section>", 1)[0]
        shown = pd.read_csv(tmp_path / "r-en-csv" / "ambassadors.csv", encoding="utf-8-sig", dtype={"owner_id": str})
    assert shown["owner_id"].tolist() == picks
    assert "credit-distribution model (credit from past activity" in sections["en"]
    assert "历史行为归因" in sections["zh"] and "按历史归因" in sections["zh"]
    assert _english_words(sections["zh"], owners) == {}
    # the guarantee and the column meanings speak of credit earned in the history, not of an
    # expectation under a sampled cascade
    assert "computed exactly from the history, no sampling" in sections["en"]
    assert "with high probability" not in sections["en"] and "in expectation" not in sections["en"]
    assert "credited with influencing per period of the history" in sections["en"]
    assert "由历史记录精确算出" in sections["zh"] and "成立的概率很高" not in sections["zh"]


def test_cli_ambassadors_and_spread_with_the_credit_model(tmp_path):
    import json

    from click.testing import CliRunner

    import graphcrm
    from graphcrm.cli import cli
    from tests._report_data import demo_store

    store = str(demo_store(tmp_path / "store"))
    with graphcrm.open(store) as cg:
        expected = cg.ambassadors(k=4, probability="credit", per_city=1)["owner_id"].astype(str).tolist()
        # a segment restricts the picks (the other owners are passed as exclude)
        city = str(cg.table("owners")["city"].dropna().astype(str).value_counts().index[0])
        seg = cg.ambassadors(k=3, probability="credit", segment={"city": [city]})
        assert len(seg) == 3 and set(seg["city"].astype(str)) == {city}
    r = CliRunner().invoke(cli, ["ambassadors", "--store", store, "-k", "4", "--probability", "credit",
                                 "--per-city", "1", "--format", "json"])
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert [row["owner_id"] for row in body["rows"]] == expected
    assert body["summary"]["probability"] == "credit" and body["summary"]["mc_check"] == "skipped"
    assert "credited with" in r.stderr and "credit from past activity" in r.stderr and "RR sets" not in r.stderr
    r = CliRunner().invoke(cli, ["ambassadors", "--store", store, "-k", "4", "--probability", "credit",
                                 "--model", "lt"])
    assert r.exit_code == 1 and "does not apply to probability='credit'" in r.output
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("\n".join(expected[:2]) + "\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["spread", "--store", store, "--seeds", str(seeds), "--probability", "credit",
                                 "--format", "json"])
    assert r.exit_code == 0, r.output
    row = json.loads(r.stdout)[0]
    assert row["probability"] == "credit" and row["seeds"] == 2 and row["ci_low"] <= row["mean"] <= row["ci_high"]
