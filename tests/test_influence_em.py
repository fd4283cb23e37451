"""EM for the IC model (algorithms/influence_em.py): hand-computed fixed points, episode trials
listed by hand, properties on random logs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphcrm.algorithms.influence_em import (EpisodeTrials, em_ic, em_influence, episode_trials, to_horizon)
from graphcrm.errors import ConfigError


def _trials(rows: list[tuple[int, bool, int]], m: int) -> EpisodeTrials:
    tie = np.array([r[0] for r in rows], dtype=np.int64)
    par = np.array([r[1] for r in rows], dtype=bool)
    grp = np.array([r[2] for r in rows], dtype=np.int64)
    return EpisodeTrials(n=2 * m, tie_src=np.arange(m), tie_dst=np.arange(m) + m, trial_tie=tie, parent=par,
                         group=grp, groups=int(grp.max()) + 1 if (grp >= 0).any() else 0, episodes=len(rows),
                         episode_ns=1)


def _three_ties() -> EpisodeTrials:
    """Ties 0 (v1 -> w) and 1 (v2 -> w) into the same owner, tie 2 (v3 -> x) alone.

    Ties 0 and 1: 3 episodes with both as potential parents of w's activation, 1 with both
    active and w not following, 1 with each alone as the parent, 1 with each alone and failing.
    Tie 2: one success, three failures.

    By hand, at kappa_0 = kappa_1 = 1/2: P_w = 1 - (1/2)(1/2) = 3/4 in the shared episodes,
    credit to tie 0 = 3 * (1/2)/(3/4) + 1 (alone: kappa/kappa) = 3 over 3 + 1 + 1 + 1 = 6 trials:
    1/2, the fixed point (and symmetric for tie 1).  Tie 2 has a single parent every time:
    the Bernoulli rate 1/4.
    """
    rows: list[tuple[int, bool, int]] = []
    g = 0
    for _ in range(3):
        rows += [(0, True, g), (1, True, g)]
        g += 1
    rows += [(0, False, -1), (1, False, -1)]
    rows += [(0, True, g)]
    g += 1
    rows += [(1, True, g)]
    g += 1
    rows += [(0, False, -1), (1, False, -1)]
    rows += [(2, True, g)] + [(2, False, -1)] * 3
    return _trials(rows, 3)


def test_em_fixed_point_by_hand():
    tr = _three_ties()
    for init in (0.5, 0.9, 0.05):
        r = em_ic(tr, prior_trials=0, iterations=10_000, tol=1e-13, init=init)
        assert r.converged
        np.testing.assert_allclose(r.prob, [0.5, 0.5, 0.25], atol=1e-8)
    r = em_ic(tr, prior_trials=0, iterations=10_000, tol=1e-13)
    assert r.trials.tolist() == [6, 6, 4] and r.parents.tolist() == [4, 4, 1]
    np.testing.assert_allclose(r.credit, [3.0, 3.0, 1.0], atol=1e-7)
    # the pooled rate: all credit over all trials
    assert r.prior_mean == pytest.approx(7 / 16, abs=1e-7)


def test_em_shared_credit_below_bernoulli():
    """Shared activations are split: each tie's EM rate (1/2) is below its Bernoulli rate
    'episodes as a potential parent / trials' (4/6), while a tie never sharing keeps it."""
    r = em_ic(_three_ties(), prior_trials=0, iterations=10_000, tol=1e-13)
    bern = r.parents / r.trials
    assert r.prob[0] < bern[0] and r.prob[1] < bern[1]
    assert r.prob[2] == pytest.approx(bern[2])


def test_em_log_likelihood_increases_and_is_maximal():
    tr = _three_ties()
    r = em_ic(tr, prior_trials=0, iterations=10_000, tol=1e-13, init=0.9)
    ll = np.array(r.log_likelihood)
    assert np.all(np.diff(ll) >= -1e-9)  # EM never decreases the likelihood
    # the hand fixed point beats a grid of alternatives for ties 0 and 1
    from graphcrm.algorithms.influence_em import _log_likelihood

    best = _log_likelihood(tr, np.array([0.5, 0.5, 0.25]))
    for a in np.linspace(0.05, 0.95, 19):
        for b in np.linspace(0.05, 0.95, 19):
            assert _log_likelihood(tr, np.array([a, b, 0.25])) <= best + 1e-12


def test_prior_by_hand():
    """With a fixed prior mean mu and m pseudo-trials, a tie that never shares gets
    (successes + mu m) / (trials + m): tie 2: (1 + 0.1 * 2) / (4 + 2) = 0.2."""
    r = em_ic(_three_ties(), prior_trials=2, prior_mean=0.1, iterations=10_000, tol=1e-13)
    assert r.prob[2] == pytest.approx(1.2 / 6)
    # the shared ties are pulled towards 0.1 from 1/2, and stay equal
    assert 0.1 < r.prob[0] < 0.5 and r.prob[0] == pytest.approx(r.prob[1])
    # fixed point of the MAP update: kappa = (3 (kappa/P) + 1 + 0.2) / 8 with P = 1 - (1 - kappa)^2
    k = r.prob[0]
    assert k == pytest.approx((3 * k / (1 - (1 - k) ** 2) + 1.2) / 8, abs=1e-8)


def test_tie_without_trials_gets_pooled_rate():
    tr = _trials([(0, True, 0), (0, False, -1)], 2)  # tie 1 never had a chance
    r = em_ic(tr, prior_trials=2, iterations=1000, tol=1e-13)
    assert r.trials.tolist() == [2, 0]
    assert r.prob[1] == pytest.approx(r.prior_mean)
    assert r.prior_mean == pytest.approx(0.5)  # 1 credited success over 2 trials


def _ns(day: float) -> int:
    return int(day * 86_400 * 10**9)


def test_episode_trials_by_hand():
    """Owners 0..3; exposures (src -> dst at day):
    episode 1 = days (0, 10]: 0 -> 1 at 2, 1 -> 2 at 5, 3 -> 2 at 6;
    episode 0 = days (10, 20]: 0 -> 1 at 12, 2 -> 3 at 13, 3 -> 2 at 15.
    Ties (sorted): 0->1, 1->2, 2->3, 3->2.

    Episode 1: active (first appearance) 0 @2, 1 @2, 2 @5, 3 @6; activated (first received)
    1 @2, 2 @5.  Tie 0->1: 1 received at 2 >= 2: a parent.  1->2: 2 received at 5 >= 2: a parent.
    2->3: 3 never received: S-.  3->2: 2 received at 5 before 3 was active at 6: no trial.
    Episode 0: active 0 @12, 1 @12, 2 @13, 3 @13; activated 1 @12, 3 @13, 2 @15.
    0->1: parent.  1->2: parent (15 >= 12).  2->3: 3 received at 13 >= 13: parent.
    3->2: 2 received at 15 >= 13: parent; so activation (episode 0, owner 2) has two potential
    parents, ties 1->2 and 3->2.
    With parents="sources": 1->2 carried no exposure in episode 0, so it is S- there.
    """
    src = np.array([0, 1, 3, 0, 2, 3])
    dst = np.array([1, 2, 2, 1, 3, 2])
    t = np.array([_ns(d) for d in (2, 5, 6, 12, 13, 15)])
    tr = episode_trials(src, dst, t, 4, end=_ns(20), episode_ns=_ns(10))
    assert tr.episodes == 2
    assert list(zip(tr.tie_src.tolist(), tr.tie_dst.tolist())) == [(0, 1), (1, 2), (2, 3), (3, 2)]
    got = sorted(zip(tr.trial_tie.tolist(), tr.parent.tolist()))
    assert got == [(0, True), (0, True), (1, True), (1, True), (2, False), (2, True), (3, True)]
    # the shared activation: ties 1 and 3 in the same group once
    g = {}
    for tie, par, grp in zip(tr.trial_tie, tr.parent, tr.group):
        if par:
            g.setdefault(int(grp), []).append(int(tie))
    assert sorted(map(sorted, g.values())) == [[0], [0], [1], [1, 3], [2]]
    assert tr.groups == 5

    ts = episode_trials(src, dst, t, 4, end=_ns(20), episode_ns=_ns(10), parents="sources")
    assert sorted(zip(ts.trial_tie.tolist(), ts.parent.tolist())) == [
        (0, True), (0, True), (1, False), (1, True), (2, False), (2, True), (3, True)]
    # a window of 2 days: 1 -> 2 comes 3 days after its source was active in both episodes: S-
    tw = episode_trials(src, dst, t, 4, end=_ns(20), episode_ns=_ns(10), window_ns=_ns(2))
    assert sorted(zip(tw.trial_tie.tolist(), tw.parent.tolist())) == [
        (0, True), (0, True), (1, False), (1, False), (2, False), (2, True), (3, True)]


def test_em_on_hand_log():
    """The log above, EM by hand (prior off): 0->1 is the sole parent in both of its 2
    trials: 1.  2->3: one sole-parent activation in 2 trials: 1/2.  1->2: sole parent in
    episode 1, shared with 3->2 in episode 0 (its only trial).  The likelihood of these two,
    kappa_1 * (1 - (1 - kappa_1)(1 - kappa_3)), is maximal at kappa_1 = 1 whatever kappa_3:
    3->2 is not identifiable, and EM leaves it where the iterations from 1/2 stop (between 1/2
    and 1); kappa_1 -> 1 (its update (1 + kappa_1 / P) / 2 has the fixed point 1 when P -> 1)."""
    src = np.array([0, 1, 3, 0, 2, 3])
    dst = np.array([1, 2, 2, 1, 3, 2])
    t = np.array([_ns(d) for d in (2, 5, 6, 12, 13, 15)])
    tr = episode_trials(src, dst, t, 4, end=_ns(20), episode_ns=_ns(10))
    r = em_ic(tr, prior_trials=0, iterations=20_000, tol=1e-12)
    assert r.prob[0] == pytest.approx(1.0) and r.prob[2] == pytest.approx(0.5)
    assert r.prob[1] == pytest.approx(1.0, abs=1e-3)
    assert 0.5 < r.prob[3] <= 1.0


def test_random_logs_properties():
    rng = np.random.default_rng(3)
    for _ in range(5):
        n, e = 30, 300
        src = rng.integers(0, n, e)
        dst = rng.integers(0, n, e)
        t = np.sort(rng.integers(0, _ns(40), e))
        tr = episode_trials(src, dst, t, n, end=_ns(40), episode_ns=_ns(5))
        for prior in (0.0, 2.0):
            r = em_ic(tr, prior_trials=prior, iterations=3000, tol=1e-10)
            assert np.all((r.prob >= 0) & (r.prob <= 1))
            assert np.all(r.parents <= r.trials)
            if prior == 0:
                # never above the share of trials as a potential parent (credit per activation <= 1)
                ok = r.trials > 0
                assert np.all(r.prob[ok] <= r.parents[ok] / r.trials[ok] + 1e-6)
                ll = np.array(r.log_likelihood)
                assert np.all(np.diff(ll) >= -1e-7)
        # every tie is an observed pair, every trial's tie exists
        assert set(zip(tr.tie_src.tolist(), tr.tie_dst.tolist())) == {
            (int(a), int(b)) for a, b in zip(src, dst) if a != b}


def test_to_horizon():
    np.testing.assert_allclose(to_horizon([0.0, 0.5, 1.0], 0.25), [0.0, 1 - 0.5 ** 4, 1.0], atol=1e-12)


def _community():
    from graphcrm.community import Community

    owners = pd.DataFrame({"owner_id": list("abcd")})
    posts = pd.DataFrame({"post_id": ["pa", "pb", "pc"], "author_id": ["a", "b", "c"],
                          "created_at": pd.to_datetime(["2024-01-01"] * 3)})
    inter = pd.DataFrame({"owner_id": ["b", "c", "b", "d", "c"], "post_id": ["pa", "pb", "pa", "pc", "pb"],
                          "kind": "like",
                          "created_at": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-12", "2024-01-13",
                                                        "2024-01-14"])})
    return Community.from_frames({"owners": owners, "posts": posts, "interactions": inter})


def test_em_influence_on_a_community():
    c = _community()
    ties, info = em_influence(c, horizon_days=40.0, episode_share=0.25, prior_trials=0)
    ids = c.owner_ids
    pairs = {(ids[s], ids[d]) for s, d in zip(ties["src"], ties["dst"])}
    assert pairs == {("a", "b"), ("b", "c"), ("c", "d")}
    assert info["episodes"] == 2
    assert ties["prob"].between(0, 1).all()
    # activity factor: every source here is active in both 10-day episodes -> alpha 1
    t2, _ = em_influence(c, horizon_days=40.0, episode_share=0.25, prior_trials=0, activity="share")
    np.testing.assert_allclose(t2["alpha"], 1.0)
    np.testing.assert_allclose(t2["prob"], ties["prob"])
    with pytest.raises(ConfigError):
        em_influence(c, horizon_days=0.0)
    with pytest.raises(ConfigError):
        em_influence(c, horizon_days=10.0, activity="bogus")
    with pytest.raises(ConfigError):
        episode_trials([0], [1], [1], 2, end=1, episode_ns=10, parents="bogus")
