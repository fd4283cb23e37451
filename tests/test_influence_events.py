"""Shared events as group nodes of the learned influence graph (owner -> event -> owner).

Hand-computed spreads on tiny graphs with a group node, and the learned model streamed over
co-attendance pairs (``coattendance="events"``) against the same model with every pair built
(``"pairs"``) on a demo history.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphcrm.algorithms import _rrsets as rr
from graphcrm.algorithms import influence as im
from graphcrm.algorithms import influence_learning as il
from graphcrm.community import Community


def _mc(graph, seeds, runs=100_000):
    return im.spread_mc(graph, seeds, runs=runs, seed=1)


def assert_close(mc, expected):
    half = mc["ci_high"] - mc["mean"]
    assert abs(mc["mean"] - expected) <= 4 * half / 1.96 + 1e-9, (mc, expected)


def _event_graph(max_hops=2):
    # owners 0..3, event node 4: 0 reaches the event with a = 0.5, the event reaches 1 and 2
    # with b = 1; 1 -> 3 is a direct tie (p = 1); 1 and 2 also attended (their a = 0)
    return im.influence_graph(5, [0, 4, 4, 1], [4, 1, 2, 3], [0.5, 1.0, 1.0, 1.0], max_hops=max_hops,
                              groups=(4, 5))


def test_group_node_is_a_pass_through_not_a_hop_and_not_counted():
    g = _event_graph(max_hops=2)
    assert g.n_counted == 4
    # seed 0: itself; half the time the event fires: 1 and 2 (one tie away), then 3 (two ties)
    assert_close(_mc(g, [0]), 1 + 0.5 * 3)
    # one hop: 0 -> event -> 1, 2 is one tie; 1 -> 3 is not reached
    assert_close(_mc(_event_graph(max_hops=1), [0]), 1 + 0.5 * 2)
    # p = 1 everywhere: exact, and the event node never counts
    g1 = im.influence_graph(5, [0, 4, 4, 1], [4, 1, 2, 3], [1.0, 1.0, 1.0, 1.0], max_hops=1, groups=(4, 5))
    assert im.spread_mc(g1, [0], runs=20)["mean"] == 3.0
    # the RR estimate of the same model and the pick
    sel = im.select_seeds(g, k=1, seed=0, eval_sets=200_000)
    assert sel.picks.tolist() == [0]
    assert sel.reach == pytest.approx(2.5, rel=0.02)


def test_two_person_event_equals_the_pair_tie():
    # a two-person event: 0 -> e (a) and e -> 1 (b) is the tie 0 -> 1 with p = a * b
    a, b = 0.6, 0.5
    g = im.influence_graph(3, [0, 2], [2, 1], [a, b], groups=(2, 3))
    assert_close(_mc(g, [0]), 1 + a * b)
    pair = im.influence_graph(2, [0], [1], [a * b])
    assert_close(_mc(pair, [0]), 1 + a * b)


def test_rr_sets_never_hold_or_start_at_a_group_node():
    g = _event_graph()
    coll = rr.RRCollection(g.reverse, g.model, seed=3, stream=1, max_depth=2, groups=g.groups)
    coll.grow_to(40_000)
    flat, off = coll.flat, coll.offsets
    assert not (flat == 4).any()
    roots = flat[off[:-1]]
    counts = np.bincount(roots, minlength=5)
    assert counts[4] == 0 and (np.abs(counts[:4] / len(coll) - 0.25) < 0.02).all()
    # a set rooted at 3 holds 1 (direct) and, through the event, 0 half the time
    sets3 = [set(flat[off[i]:off[i + 1]].tolist()) for i in range(len(coll)) if roots[i] == 3]
    assert all(1 in s for s in sets3)
    assert np.mean([0 in s for s in sets3]) == pytest.approx(0.5, abs=0.03)
    # packed collection: the same sets
    pk = rr.RRCollection(g.reverse, g.model, seed=3, stream=1, packed=True, max_depth=2, groups=g.groups)
    pk.grow_to(2_000)
    assert pk.counts[4] == 0 and pk.counts.sum() == coll.offsets[2_000]


def test_group_nodes_are_checked():
    with pytest.raises(ValueError):
        im.influence_graph(3, [0], [2], [0.5], model="lt", groups=(2, 3))
    with pytest.raises(ValueError):  # leaves must come after the group nodes
        im.influence_graph(4, [0], [2], [0.5], leaf_start=2, groups=(2, 4))


@pytest.fixture(scope="module")
def demo_community():
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1500, seed=0)
    return Community(tables)


def test_streamed_coattendance_equals_the_pairs(demo_community):
    c = demo_community
    n = len(c.owner_ids)
    lp = il.learn_influence(c, coattendance="pairs")
    le = il.learn_influence(c, coattendance="events")
    assert lp.info["pairs_train"] <= il.MAX_FIT_ROWS  # every row in the fit: the same fit
    for k in ("pairs_train", "positives_train", "pairs", "sources_train", "new_audience_train"):
        assert le.info[k] == lp.info[k], k
    assert le.info["layer_rates"] == lp.info["layer_rates"]
    for k in ("expected_ties", "predicted_train", "expected_new_audience"):
        assert le.info[k] == pytest.approx(lp.info[k], rel=1e-9), k
    for name, w in lp.info["tie_coefficients"].items():
        assert le.info["tie_coefficients"][name] == pytest.approx(w, abs=1e-3), name
    # the ties kept as ties are the pair model's ties that are not co-attendance only, with the
    # same features and probabilities
    ep, ee = lp.edges, le.edges
    co_only = ep["coattend"] & (ep["days"] == 0) & (ep["rev_days"] == 0) & ~ep["referral"]
    kept = ep[~co_only].reset_index(drop=True)
    assert len(kept) == len(ee)
    for col in ("src", "dst", "days", "rev_days", "referral", "coattend"):
        assert np.array_equal(kept[col].to_numpy(), ee[col].to_numpy()), col
    np.testing.assert_allclose(ee["prob"].to_numpy(), kept["prob"].to_numpy(), rtol=1e-9)
    # per owner: the streamed co-attendance-only probability sums are the pair model's
    dropped = ep[co_only]
    want = np.bincount(dropped["src"].to_numpy(), weights=dropped["prob"].to_numpy(), minlength=n)
    np.testing.assert_allclose(le.coattend_out, want, rtol=1e-9, atol=1e-12)
    assert le.info["coattend_only_pairs"] == len(dropped)
    # the events carry the same expected direct transmissions (calibrated)
    assert le.info["expected_coattend_events"] == pytest.approx(want.sum(), rel=1e-9)
    assert np.allclose(le.audience, lp.audience)


def test_event_groups_hold_the_checked_in_attendees(demo_community):
    c = demo_community
    le = il.learn_influence(c)
    ev = le.events
    att = c.tables["attendance"]
    att = att[att["checked_in"].astype(bool)]
    size = att.groupby(att["event_id"].astype(str))["owner_id"].nunique()
    small = size[(size >= 2) & (size <= 150)]
    assert ev.count == len(small) and len(ev.owner) == int(small.sum())
    assert (np.diff(ev.ptr) >= 2).all() and (np.diff(ev.start) >= 0).all()
    assert ((ev.a >= 0) & (ev.a <= 1) & (ev.b >= 0) & (ev.b <= 1)).all()
    n = len(c.owner_ids)
    n_total, src, dst, prob, kind = il.learned_graph_arrays(le, n)
    on = kind == 2
    assert on.sum() == 2 * len(ev.owner)
    assert ((src[on] >= n) ^ (dst[on] >= n)).all() and (np.r_[src[on], dst[on]].max() < n + ev.count)
    assert (dst[kind == 1] >= n + ev.count).all()  # the audience leaves come after the events


def test_learned_graph_arrays_in_32_bits_give_the_same_influence_graph_as_int64(demo_community):
    c = demo_community
    n = len(c.owner_ids)
    n_total, src, dst, prob, _ = il.learned_graph_arrays(il.learn_influence(c), n)
    assert src.dtype == dst.dtype == np.uint32 and prob.dtype == np.float64
    ev = il.learn_influence(c).events
    groups = (n, n + ev.count)
    g32 = im.influence_graph(n_total, src, dst, prob, max_hops=2, leaf_start=groups[1], groups=groups)
    g64 = im.influence_graph(n_total, src.astype(np.int64), dst.astype(np.int64), prob, max_hops=2,
                             leaf_start=groups[1], groups=groups)
    for name in ("src", "dst", "prob"):
        a, b = getattr(g32, name), getattr(g64, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    for part in ("reverse", "forward"):
        a, b = getattr(g32, part), getattr(g64, part)
        for f in ("indptr", "indices", "probs", "logq", "cum", "nodes"):
            assert np.array_equal(getattr(a, f), getattr(b, f)), (part, f)
    s32 = im.select_seeds(g32, k=5, eps=0.3, seed=3)
    s64 = im.select_seeds(g64, k=5, eps=0.3, seed=3)
    assert s32.picks.tolist() == s64.picks.tolist() and len(s32.picks) == 5
    assert np.array_equal(im.influence_graph(4, np.array([0, 1, 2], dtype=np.int32), [1, 2, 3], [0.5] * 3).src,
                          np.array([0, 1, 2], dtype=np.uint32))
    with pytest.raises(ValueError):
        im.influence_graph(3, np.array([-1], dtype=np.int32), np.array([1], dtype=np.int32), [0.5])


def test_learned_ambassadors_with_events_are_deterministic_and_checked(demo_community):
    c = demo_community
    df, info = im.ambassadors(c, k=5, mc_runs=200, seed=1, details=True)
    assert info.probability == "learned" and info.learned["coattendance"] == "events"
    assert df["owner_id"].isin(c.owner_ids[c.eligible()]).all() and len(df) == 5
    again = im.ambassadors(c, k=5, mc_runs=200, seed=1)
    assert again.equals(df)
    mc = info.mc_check
    assert abs(df["cumulative_reach"].iloc[-1] - mc.mean) < 0.1 * mc.mean + 5
    # direct reach counts co-attendees through the events: at least the owners tied directly
    g, _, _, _ = im._build_graph(c, model="ic", probability="learned", lam=im.DEFAULT_LAM, layers=None,
                                 half_life_days=None, horizon_days=None, max_hops=None)
    picks = c.index_of(df["owner_id"].tolist())
    n = len(c.owner_ids)
    for v, reach in zip(picks, df["direct_reach"]):
        direct = set(g.dst[(g.src == v) & (g.dst < n)].tolist()) - {v}
        assert reach >= len(direct)


def test_fit_sample_when_rows_exceed_the_cap(demo_community, monkeypatch):
    c = demo_community
    full = il.learn_influence(c)
    monkeypatch.setattr(il, "MAX_FIT_ROWS", 5_000)
    a = il.learn_influence(c)
    b = il.learn_influence(c)
    assert a.info["tie_coefficients"] == b.info["tie_coefficients"]  # seeded
    assert a.info["pairs_train"] == full.info["pairs_train"]  # counts are over every pair
    # the sampled fit still calibrates on the whole internal split (within a few percent)
    assert a.info["predicted_train"] == pytest.approx(a.info["observed_train"], rel=0.15)
    assert a.info["tie_coefficients"]["log_days"] > 0


def test_referral_only_history_learns_the_new_audience_not_the_ties():
    """No tie ever carries anything twice (each referral brings a new owner): the tie model is the
    smoothed observed rate for every tie, the new-audience model is still learned, and the learned
    model is used (no fallback) - the steady referrer is picked."""
    rows = []
    t0 = pd.Timestamp("2024-01-01")
    for w in range(40):  # R0 refers a new owner every week, R1 every fourth week, R2 once
        rows.append(("R0", f"A{w}", t0 + pd.Timedelta(days=7 * w)))
        if w % 4 == 0:
            rows.append(("R1", f"B{w}", t0 + pd.Timedelta(days=7 * w + 1)))
    rows.append(("R2", "C0", t0 + pd.Timedelta(days=3)))
    ref = pd.DataFrame(rows, columns=["referrer_id", "referee_id", "referred_at"]).assign(stage="order")
    owners = pd.DataFrame({"owner_id": sorted(set(ref["referrer_id"]) | set(ref["referee_id"]))})
    c = Community.from_frames({"owners": owners, "referrals": ref})
    li = il.learn_influence(c, horizon_days=28)
    assert li.info["positives_train"] == 0 and li.info["tie_model"] == "constant"
    rate = 0.5 / (li.info["pairs_train"] + 1)
    scale = 28 / li.info["label_days"]
    np.testing.assert_allclose(li.edges["prob"], 1 - (1 - rate) ** scale, rtol=1e-9)
    aud = pd.Series(li.audience, index=c.owner_ids)
    assert aud["R0"] > aud["R1"] > 0 and aud.drop(["R0", "R1", "R2"]).max() == 0
    df, info = im.ambassadors(c, k=1, mc_runs=200, seed=0, details=True)
    assert info.probability == "learned" and info.fallback is None
    assert df["owner_id"].tolist() == ["R0"]
