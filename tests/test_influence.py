"""Ambassador selection: RR sampling, OPIM-C, constraints, Monte Carlo, community wiring, CLI.

Expected spreads are computed by hand (paths, stars) or by enumerating every live-edge world
of a small graph.
"""
from __future__ import annotations

import itertools
import math
import sys

import numpy as np
import pandas as pd
import pytest

from graphcrm.algorithms import _rrsets as rr
from graphcrm.algorithms import influence as im
from graphcrm.community import Community
from graphcrm.errors import ConfigError, GraphCRMError


# ----------------------------------------------------------------------------- helpers
def exact_ic_spread(n, src, dst, p, seeds):
    """Expected IC spread by enumerating all 2^m live-edge worlds (tiny graphs only)."""
    total = 0.0
    m = len(src)
    for live in itertools.product((0, 1), repeat=m):
        pr = 1.0
        adj: dict[int, list[int]] = {}
        for i, on in enumerate(live):
            pr *= p[i] if on else 1 - p[i]
            if on:
                adj.setdefault(src[i], []).append(dst[i])
        seen, stack = set(seeds), list(seeds)
        while stack:
            for u in adj.get(stack.pop(), []):
                if u not in seen:
                    seen.add(u)
                    stack.append(u)
        total += pr * len(seen)
    return total


def assert_mc_close(graph, seeds, expected, runs=200_000, seed=1):
    mc = im.spread_mc(graph, seeds, runs=runs, seed=seed)
    half = mc["ci_high"] - mc["mean"]
    # 95% CI half-width; allow 4 standard errors (a false alarm has probability ~6e-5)
    assert abs(mc["mean"] - expected) <= 4 * half / 1.96 + 1e-9, (mc, expected)
    return mc


def path_graph(n=5, p=0.5):
    return im.influence_graph(n, np.arange(n - 1), np.arange(1, n), np.full(n - 1, p))


# ----------------------------------------------------------------------------- spread: exact vs MC vs RR
def test_path_spread_by_hand():
    g = path_graph(5, 0.5)
    expected = 1 + 0.5 + 0.25 + 0.125 + 0.0625
    assert_mc_close(g, [0], expected)
    sel = im.select_seeds(g, k=1, seed=3, eval_sets=200_000)
    assert sel.picks.tolist() == [0]
    assert sel.reach == pytest.approx(expected, rel=0.02)


def test_star_spread_and_pick():
    # centre 0 -> 6 leaves with p = 0.3; a leaf is worth 1, the centre 1 + 6 * 0.3 = 2.8
    g = im.influence_graph(7, np.zeros(6, int), np.arange(1, 7), np.full(6, 0.3))
    assert_mc_close(g, [0], 2.8)
    sel = im.select_seeds(g, k=1, seed=0)
    assert sel.picks.tolist() == [0]


def test_mixed_probabilities_exercise_skip_and_thin():
    # 40 out-edges with distinct probabilities (> 16: the skip-and-thin sampler, not coins)
    rng = np.random.default_rng(5)
    p = rng.uniform(0.0, 0.6, 40)
    g = im.influence_graph(41, np.zeros(40, int), np.arange(1, 41), p)
    assert_mc_close(g, [0], 1 + p.sum())
    # the same star reversed: every leaf feeds the centre; RR sets rooted at the centre
    # contain each leaf independently with its probability
    rg = im.influence_graph(41, np.arange(1, 41), np.zeros(40, int), p)
    coll = rr.RRCollection(rg.reverse, rg.model, seed=2, stream=1)
    coll.grow_to(40_000)
    flat, off = coll.flat, coll.offsets
    roots = flat[off[:-1]]
    at_centre = np.flatnonzero(roots == 0)
    counts = np.zeros(41)
    for r in at_centre:
        counts[flat[off[r] + 1: off[r + 1]]] += 1
    freq = counts[1:] / len(at_centre)
    se = np.sqrt(p * (1 - p) / len(at_centre))
    assert np.all(np.abs(freq - p) <= 5 * se + 1e-3)


def test_exact_enumeration_matches_mc_and_rr():
    rng = np.random.default_rng(7)
    edges = [(0, 1), (0, 2), (0, 3), (1, 4), (2, 4), (3, 5), (4, 5), (5, 1), (2, 3), (4, 0), (1, 2)]
    src = [a for a, _ in edges]
    dst = [b for _, b in edges]
    p = rng.uniform(0.1, 0.9, len(edges))
    g = im.influence_graph(6, src, dst, p)
    for seeds in ([0], [1, 3]):
        exact = exact_ic_spread(6, src, dst, p, seeds)
        assert_mc_close(g, seeds, exact)
        coll = rr.RRCollection(g.reverse, g.model, seed=4, stream=1)
        coll.grow_to(200_000)
        cov = rr.coverage_curve(coll.flat, coll.offsets, np.asarray(seeds, dtype=np.int64), 6)
        f = cov[-1] / 200_000
        assert 6 * f == pytest.approx(exact, abs=4 * 6 * math.sqrt(f * (1 - f) / 200_000))


def test_two_disjoint_stars_optimum():
    # star A: centre 0 -> 1..4 (p 0.5): spread 3.0; star B: centre 5 -> 6..8 (p 0.9): 3.7;
    # decoy 9 -> 6..8 (p 0.6): 2.8 alone, and overlaps B.  Best pair: {5, 0} = 6.7.
    src = [0] * 4 + [5] * 3 + [9] * 3
    dst = [1, 2, 3, 4, 6, 7, 8, 6, 7, 8]
    p = [0.5] * 4 + [0.9] * 3 + [0.6] * 3
    g = im.influence_graph(10, src, dst, p)

    def closed_form(seeds):  # bipartite: leaf active unless every chosen parent fails
        miss = np.ones(10)
        for s, d, q in zip(src, dst, p):
            if s in seeds:
                miss[d] *= 1 - q
        return len(seeds) + sum(1 - miss[v] for v in range(10) if v not in seeds)

    best = max(itertools.combinations(range(10), 2), key=closed_form)
    assert set(best) == {0, 5}
    sel = im.select_seeds(g, k=2, seed=0, eps=0.02, delta=1e-6)  # enough samples to separate 3.7 / 3.0
    assert sel.picks.tolist() == [5, 0]
    assert sel.approximation >= 1 - 1 / math.e - 0.02
    assert_mc_close(g, sel.picks, closed_form({0, 5}))


def test_linear_threshold():
    # path with weights 0.5: LT activates the next node when its threshold <= 0.5
    g = im.influence_graph(4, [0, 1, 2], [1, 2, 3], [0.5, 0.5, 0.5], model="lt")
    assert_mc_close(g, [0], 1.875)
    # two parents of node 2 with weights 0.3 + 0.4: LT gives 0.7 (IC would give 0.58)
    g = im.influence_graph(3, [0, 1], [2, 2], [0.3, 0.4], model="lt")
    assert_mc_close(g, [0, 1], 2.7)
    gi = im.influence_graph(3, [0, 1], [2, 2], [0.3, 0.4], model="ic")
    assert_mc_close(gi, [0, 1], 2.58)
    with pytest.raises(ValueError):
        im.influence_graph(3, [0, 1], [2, 2], [0.7, 0.6], model="lt")


def test_lt_rr_sets_are_reverse_walks():
    rng = np.random.default_rng(1)
    n, m = 60, 300
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    ok = src != dst
    src, dst = src[ok], dst[ok]
    indeg = np.bincount(dst, minlength=n)
    g = im.influence_graph(n, src, dst, 1.0 / indeg[dst], model="lt")
    coll = rr.RRCollection(g.reverse, g.model, seed=0, stream=1)
    coll.grow_to(2000)
    edges = set(zip(src.tolist(), dst.tolist()))
    for r in range(len(coll)):
        s = coll.flat[coll.offsets[r]:coll.offsets[r + 1]].tolist()
        assert len(set(s)) == len(s)
        assert all((s[i + 1], s[i]) in edges for i in range(len(s) - 1))


# ----------------------------------------------------------------------------- RR set properties
def test_rr_sets_are_ancestor_sets():
    rng = np.random.default_rng(3)
    n, m = 200, 800
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    g1 = im.influence_graph(n, src, dst, np.ones(m))  # p = 1: RR set = all ancestors of the root
    gh = im.influence_graph(n, src, dst, np.full(m, 0.3))
    import igraph as ig

    G = ig.Graph(n=n, edges=list(zip(src[src != dst].tolist(), dst[src != dst].tolist())), directed=True)
    for graph, full in ((g1, True), (gh, False)):
        coll = rr.RRCollection(graph.reverse, graph.model, seed=5, stream=1)
        coll.grow_to(300)
        assert coll.flat.dtype == np.uint32 and coll.offsets.dtype == np.int64
        assert coll.offsets[-1] == coll.total_size == coll.flat.shape[0]
        for r in range(300):
            s = coll.flat[coll.offsets[r]:coll.offsets[r + 1]].astype(int)
            anc = set(G.subcomponent(int(s[0]), mode="in"))
            assert len(set(s.tolist())) == len(s)
            assert set(s.tolist()) <= anc
            if full:
                assert set(s.tolist()) == anc


def test_rr_sets_do_not_depend_on_threads_or_chunks():
    g = path_graph(30, 0.7)
    a = rr.RRCollection(g.reverse, g.model, seed=9, stream=1)
    a.grow_to(5000, threads=1, chunk=5000)
    b = rr.RRCollection(g.reverse, g.model, seed=9, stream=1)
    b.grow_to(1234, threads=2, chunk=100)
    b.grow_to(5000, threads=2, chunk=333)
    assert np.array_equal(a.flat, b.flat) and np.array_equal(a.offsets, b.offsets)
    c = rr.RRCollection(g.reverse, g.model, seed=10, stream=1)
    c.grow_to(5000)
    assert not np.array_equal(a.flat, c.flat)


def test_packed_collection_holds_the_same_sets():
    rng = np.random.default_rng(4)
    n, m = 3000, 30000  # big sets take the bitmap sort, small ones the quicksort
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    ok = src != dst
    indeg = np.bincount(dst[ok], minlength=n)
    g = im.influence_graph(n, src[ok], dst[ok], 1.0 / indeg[dst[ok]])
    plain = rr.RRCollection(g.reverse, g.model, seed=3, stream=1)
    packed = rr.RRCollection(g.reverse, g.model, seed=3, stream=1, packed=True)
    plain.grow_to(3000)
    packed.grow_to(1000, threads=1)
    packed.grow_to(3000, threads=2, chunk=100)
    sizes = np.diff(plain.offsets)
    assert sizes.max() > 200 and packed.total_size == plain.total_size
    assert np.array_equal(packed.counts, np.bincount(plain.flat, minlength=n))
    data, boff = rr.pack_sets(plain.flat, plain.offsets, n, rr._DEBRUIJN_INDEX)
    assert np.array_equal(data, packed.data) and np.array_equal(boff, packed.offsets)
    assert np.array_equal(rr.node_counts(data, boff, n), packed.counts)
    assert packed.nbytes < 0.6 * plain.nbytes
    # the greedy gives the same answer on both forms
    a = im.max_coverage(plain.flat, plain.offsets, n, 5, eligible=np.ones(n, bool))
    b = im.max_coverage(packed.data, packed.offsets, n, 5, eligible=np.ones(n, bool), packed=True,
                        counts=packed.counts)
    assert a[0].tolist() == b[0].tolist() and a[1].tolist() == b[1].tolist() and a[2] == b[2]
    # repeated ids in hand-made sets count once
    d2, o2 = rr.pack_sets(np.array([5, 5, 1], dtype=np.uint32), np.array([0, 3]), 8, rr._DEBRUIJN_INDEX)
    assert rr.node_counts(d2, o2, 8).tolist() == [0, 1, 0, 0, 0, 1, 0, 0]


def test_max_coverage_hand_made_sets_repeating_ids():
    """A hand-made set longer than n with a repeated id (the bitmap sort path) counts each id
    once (it segfaulted: the queue held n ids and the sweep's duplicates left stale slots)."""
    flat = np.array([3] * 40 + [1, 2] + [3] + [0, 0], dtype=np.uint32)  # {1, 2, 3}, {3}, {0}
    offsets = np.array([0, 42, 43, 45])
    data, boff = rr.pack_sets(flat, offsets, 4, rr._DEBRUIJN_INDEX)
    assert rr.node_counts(data, boff, 4).tolist() == [1, 1, 1, 2]
    picks, gains, _ = im.max_coverage(flat, offsets, 4, 2, eligible=np.ones(4, bool))
    assert picks.tolist() == [3, 0] and gains.tolist() == [2, 1]
    big = np.array(list(range(40)) * 3 + [1], dtype=np.uint32)  # two sets, both {0..39}
    dedup = np.r_[np.arange(40), np.arange(40)].astype(np.uint32)
    a = im.max_coverage(big, np.array([0, 60, 121]), 40, 2, eligible=np.ones(40, bool))
    b = im.max_coverage(dedup, np.array([0, 40, 80]), 40, 2, eligible=np.ones(40, bool))
    assert a[0].tolist() == b[0].tolist() == [0] and a[1].tolist() == b[1].tolist() == [2]


@pytest.mark.parametrize("flat, offsets", [
    ([0, 4], [0, 2]),        # id 4 outside 0..3
    ([0, -1], [0, 2]),       # negative id
    ([0, 1], [0, 3]),        # offsets past the ids
    ([0, 1, 2], [0, 2, 1, 3]),  # decreasing offsets
    ([0, 1], [1, 2]),        # not starting at 0
])
def test_max_coverage_rejects_bad_sets(flat, offsets):
    with pytest.raises(ConfigError) as info:
        im.max_coverage(np.array(flat), np.array(offsets), 4, 1, eligible=np.ones(4, bool))
    assert isinstance(info.value, GraphCRMError)


# ----------------------------------------------------------------------------- constraints
def _hubs():
    """Hubs 0..5 with 6, 5, ..., 1 leaves (p = 1): hub h is worth 7 - h, a leaf 1.

    With p = 1 the RR set of a root is exactly its ancestors, so one RR set per node gives
    exact coverage: the greedy can be checked without sampling noise.
    """
    src, dst, nxt = [], [], 6
    for h in range(6):
        for _ in range(6 - h):
            src.append(h)
            dst.append(nxt)
            nxt += 1
    flat, offsets = [], [0]
    for v in range(nxt):
        flat += [v] if v < 6 else [v, src[v - 6]]
        offsets.append(len(flat))
    graph = im.influence_graph(nxt, src, dst, np.ones(len(src)))
    return graph, nxt, np.asarray(flat, dtype=np.uint32), np.asarray(offsets, dtype=np.int64)


def test_greedy_exclusion():
    _, n, flat, off = _hubs()
    elig = np.ones(n, bool)
    picks, gains, bound = im.max_coverage(flat, off, n, 3, eligible=elig)
    assert picks.tolist() == [0, 1, 2] and gains.tolist() == [7, 6, 5] and bound == 18
    elig[[0, 2]] = False
    picks, gains, _ = im.max_coverage(flat, off, n, 3, eligible=elig)
    assert picks.tolist() == [1, 3, 4] and gains.tolist() == [6, 4, 3]


def test_greedy_group_caps():
    _, n, flat, off = _hubs()
    group = np.full(n, -1)
    group[[0, 1, 2]] = 0  # the three best hubs share a city
    group[[3, 4, 5]] = 1
    picks, gains, _ = im.max_coverage(flat, off, n, 4, eligible=np.ones(n, bool), group=group[:, None],
                                      caps=np.array([1, 2]))
    assert picks.tolist()[:3] == [0, 3, 4] and gains.tolist() == [7, 4, 3, 1]
    assert group[picks[3]] == -1  # the 4th pick can only be an uncapped leaf of hub 1, 2 or 5
    # two kinds of caps at once (city and circle): hub 3 shares hub 0's circle
    circle = np.full(n, -1)
    circle[[0, 3]] = 2
    both = np.column_stack([group, circle])
    picks, _, _ = im.max_coverage(flat, off, n, 3, eligible=np.ones(n, bool), group=both,
                                  caps=np.array([1, 2, 1]))
    assert picks.tolist() == [0, 4, 5]


def test_greedy_budget_ratio_and_best_single():
    _, n, flat, off = _hubs()
    cost = np.ones(n)
    cost[0] = 10.0  # hub 0 is too expensive for the budget
    picks, _, _ = im.max_coverage(flat, off, n, 5, eligible=np.ones(n, bool), cost=cost, budget=3.0)
    assert picks.tolist() == [1, 2, 3]
    # hubs cost 10, leaves 0.5: the ratio greedy takes leaves (ratio 2 > 0.7) and hub 0 no
    # longer fits; three leaves are worth 3, the best single affordable owner (hub 0) 7
    cost2 = np.full(n, 10.0)
    cost2[6:] = 0.5
    picks, gains, _ = im.max_coverage(flat, off, n, 3, eligible=np.ones(n, bool), cost=cost2, budget=10.0)
    assert picks.tolist() == [0] and gains.tolist() == [7]
    cost2[0] = 3.0  # now hub 0 has the best ratio (7/3): greedy takes it, then two leaves of hub 1
    picks, _, _ = im.max_coverage(flat, off, n, 3, eligible=np.ones(n, bool), cost=cost2, budget=10.0)
    assert picks.tolist() == [0, 12, 13]  # worth 9, more than the best single (7)


def _plain_greedy(sets, k):
    """Reference greedy max coverage in pure Python (ties to the smaller node id)."""
    covered = [False] * len(sets)
    picks, gains = [], []
    for _ in range(k):
        count: dict[int, int] = {}
        for r, members in enumerate(sets):
            if not covered[r]:
                for v in set(members):
                    count[v] = count.get(v, 0) + 1
        count = {v: c for v, c in count.items() if v not in picks}
        if not count:
            break
        best = min(count, key=lambda v: (-count[v], v))
        picks.append(best)
        gains.append(count[best])
        for r, members in enumerate(sets):
            if best in members:
                covered[r] = True
    return picks, gains


def test_max_coverage_candidate_pool_matches_plain_greedy():
    # 300 "clones" (nodes 0..299) share 1000 big sets: after one of them is picked the rest
    # are worth nothing, so the later picks lie outside the first candidate pool (256 nodes)
    # and the pool must widen; the result must equal the plain greedy.
    rng = np.random.default_rng(0)
    n = 3000
    sets = [list(range(300)) + [int(rng.integers(300, n))] for _ in range(1000)]
    sets += [rng.choice(np.arange(300, n), size=int(rng.integers(1, 4)), replace=False).tolist() for _ in range(3000)]
    flat = np.asarray([v for s_ in sets for v in s_], dtype=np.uint32)
    offsets = np.r_[0, np.cumsum([len(s_) for s_ in sets])].astype(np.int64)
    picks, gains, bound = im.max_coverage(flat, offsets, n, 4, eligible=np.ones(n, bool))
    ref_picks, ref_gains = _plain_greedy(sets, 4)
    assert picks.tolist() == ref_picks and gains.tolist() == ref_gains
    assert bound >= sum(ref_gains)


def test_select_seeds_constraints_and_determinism():
    g, n, _, _ = _hubs()
    elig = np.ones(n, bool)
    elig[[0, 2]] = False
    group = np.full(n, -1)
    group[[1, 3, 4]] = 0
    cost = np.ones(n)
    cost[5] = 100.0
    a = im.select_seeds(g, k=4, seed=0, eligible=elig, group=group, caps=np.array([1]), cost=cost, budget=4.0)
    assert not {0, 2, 5} & set(a.picks.tolist())
    assert (group[a.picks] == 0).sum() <= 1 and cost[a.picks].sum() <= 4.0
    b = im.select_seeds(g, k=4, seed=0, eligible=elig, group=group, caps=np.array([1]), cost=cost, budget=4.0,
                        threads=1)
    assert a.picks.tolist() == b.picks.tolist()
    assert np.array_equal(a.cumulative_reach, b.cumulative_reach)
    assert 0 < a.approximation <= 1 and a.target == pytest.approx((1 - 1 / math.e) / 2)
    with pytest.raises(ValueError):
        im.select_seeds(g, k=2, cost=cost)


# ----------------------------------------------------------------------------- community level
def _community(extra_owners=None):
    owners = pd.DataFrame({
        "owner_id": ["a", "b", "c", "d", "e", "f", "s", "x"],
        "city": ["Hefei", "Hefei", "Hefei", "Shanghai", "Shanghai", "Shanghai", "Hefei", "Shanghai"],
        "is_staff": [False, False, False, False, False, False, True, False],
        "marketing_opt_out": [False, False, False, False, False, False, False, True],
    })
    posts = pd.DataFrame({"post_id": ["pa", "ps", "px"], "author_id": ["a", "s", "x"],
                          "created_at": ["2024-01-01"] * 3})
    # b, c, d engage with a's post; everybody engages with the staff member's and x's posts
    rows = [(o, "pa", "comment") for o in "bcd"] + [(o, "ps", "share") for o in "abcdef"] + \
           [(o, "px", "share") for o in "abcdef"]
    inter = pd.DataFrame(rows, columns=["owner_id", "post_id", "kind"])
    inter["created_at"] = "2024-02-01"
    refs = pd.DataFrame({"referrer_id": ["e"], "referee_id": ["f"], "stage": ["delivered"],
                         "referred_at": ["2024-01-15"]})
    return Community.from_frames({"owners": owners, "posts": posts, "interactions": inter, "referrals": refs})


def test_influence_direction():
    c = _community()
    e = im.influence_edges(c, layers={"interactions": 1.0})
    ids = c.owner_ids
    pairs = {(ids[s], ids[d]) for s, d in zip(e["src"], e["dst"])}
    assert ("a", "b") in pairs and ("b", "a") not in pairs  # author -> engager
    e = im.influence_edges(c, layers=["referrals"])
    assert [(ids[s], ids[d]) for s, d in zip(e["src"], e["dst"])] == [("e", "f")]  # referrer -> referee
    p = im.edge_probabilities(im.influence_edges(c), len(ids))
    tot = np.bincount(im.influence_edges(c)["dst"], weights=p, minlength=len(ids))
    assert np.allclose(tot[tot > 0], 1.0)  # weighted cascade: in-probabilities sum to one
    with pytest.raises(ConfigError):
        im.influence_edges(c, layers={"followers": 1})


def test_ambassadors_never_staff_opted_out_or_excluded():
    c = _community()
    df, info = im.ambassadors(c, k=3, mc_runs=2000, seed=1, details=True)
    assert list(df.columns) == ["rank", "owner_id", "city", "marginal_gain", "cumulative_reach",
                                "direct_reach", "main_channel", "reason"]
    assert not {"s", "x"} & set(df["owner_id"])  # staff and opted-out, though the best spreaders
    assert df["owner_id"].iloc[0] == "a"
    assert df["rank"].tolist() == list(range(1, len(df) + 1))
    assert np.allclose(df["cumulative_reach"], df["marginal_gain"].cumsum(), atol=0.05)
    curve = info.spread_curve
    assert curve["k"].tolist() == list(range(len(df) + 1)) and curve["expected_reach"].iloc[0] == 0
    mc = info.mc_check
    assert mc.runs == 2000 and mc.ci_low <= mc.mean <= mc.ci_high and mc.precision is None
    assert abs(mc.mean - df["cumulative_reach"].iloc[-1]) < 0.1 * mc.mean
    ex = im.ambassadors(c, k=3, exclude=["a"], mc_runs=0, seed=1)
    assert "a" not in set(ex["owner_id"]) and not {"s", "x"} & set(ex["owner_id"])
    same = im.ambassadors(c, k=3, mc_runs=0, seed=1)
    assert same["owner_id"].tolist() == df["owner_id"].tolist()
    zh = im.ambassadors(c, k=1, mc_runs=0, lang="zh")
    assert "位车主" in zh["reason"].iloc[0]
    assert "owners" in df["reason"].iloc[0] and "a" == df["owner_id"].iloc[0]


def test_ambassadors_caps_and_options():
    c = _community()
    df = im.ambassadors(c, k=4, per_city=1, mc_runs=0)
    assert df["city"].value_counts().max() <= 1
    lt, lt_info = im.ambassadors(c, k=2, model="lt", probability="exp", lam=0.5, mc_runs=200, details=True)
    assert len(lt) == 2 and lt_info.model == "lt" and lt_info.probability == "exp"
    bud = im.ambassadors(c, k=4, costs={"a": 5.0, "b": 1.0}, budget=3.0, mc_runs=0)
    assert "a" not in set(bud["owner_id"])
    for bad in ({"k": 0}, {"eps": 1.5}, {"model": "sir"}, {"probability": "x"}, {"per_city": 0},
                {"costs": {"a": 1.0}}, {"lang": "fr"}):
        with pytest.raises(GraphCRMError):
            im.ambassadors(c, **bad)


def test_per_circle_without_circles_module(monkeypatch):
    c = _community()
    monkeypatch.setitem(sys.modules, "graphcrm.algorithms.circles", None)
    with pytest.raises(ConfigError, match="circles"):
        im.ambassadors(c, k=2, per_circle=1, mc_runs=0)


def test_per_circle():
    pytest.importorskip("graphcrm.algorithms.circles")
    c = _community()
    df = im.ambassadors(c, k=3, per_circle=1, mc_runs=0)
    from graphcrm.algorithms.circles import circles

    circ = circles(c, seed=0).set_index("owner_id")["circle"]
    got = circ.reindex(df["owner_id"])
    assert got[got >= 0].value_counts().max() <= 1


def test_cli_ambassadors(tmp_path):
    from click.testing import CliRunner

    import graphcrm
    from graphcrm.cli import cli

    c = _community()
    store = str(tmp_path / "s.duckdb")
    cg = graphcrm.open(store)
    cg.load({k: v for k, v in c.tables.items()})
    (tmp_path / "ex.txt").write_text("a\n")
    runner = CliRunner()
    res = runner.invoke(cli, ["ambassadors", "-k", "2", "--store", store, "--format", "csv",
                              "--exclude", str(tmp_path / "ex.txt"), "--mc-runs", "100"])
    assert res.exit_code == 0, res.output
    body = [ln for ln in res.stdout.splitlines() if ln.startswith(("rank", "1,", "2,"))]
    assert body[0].startswith("rank,owner_id")
    assert all(",a," not in ln for ln in body[1:])
    res = runner.invoke(cli, ["ambassadors", "-k", "2", "--store", store, "--write-back", "spring",
                              "--mc-runs", "0"])
    assert res.exit_code == 0, res.output
    assert "Monte Carlo" in res.output and "spring" in res.output
    res = runner.invoke(cli, ["ambassadors", "--store", store, "--costs", str(tmp_path / "ex.txt")])
    assert res.exit_code == 1


# ----------------------------------------------------------------------------- hop-limited IC, spread()
def exact_ic_spread_hops(n, src, dst, p, seeds, hops):
    """Expected number of nodes within ``hops`` live edges of the seeds (all 2^m worlds)."""
    total = 0.0
    m = len(src)
    for live in itertools.product((0, 1), repeat=m):
        pr = 1.0
        adj: dict[int, list[int]] = {}
        for i, on in enumerate(live):
            pr *= p[i] if on else 1 - p[i]
            if on:
                adj.setdefault(src[i], []).append(dst[i])
        dist = {s: 0 for s in seeds}
        frontier = list(seeds)
        for d in range(1, hops + 1):
            nxt = []
            for u in frontier:
                for w in adj.get(u, []):
                    if w not in dist:
                        dist[w] = d
                        nxt.append(w)
            frontier = nxt
        total += pr * len(dist)
    return total


def test_max_hops_path_by_hand():
    # path 0 -> 1 -> 2 -> 3 -> 4 with p = 1: two rounds reach exactly 0, 1, 2
    g = im.influence_graph(5, np.arange(4), np.arange(1, 5), np.ones(4), max_hops=2)
    assert im.spread_mc(g, [0], runs=50)["mean"] == 3.0
    sel = im.select_seeds(g, k=1, seed=0, eval_sets=20_000)
    # each node reaches itself and two more, except near the end: 3, 3, 3, 2, 1 -> node 0..2 tie
    assert sel.reach == pytest.approx(3.0, rel=0.03)
    # no limit (0) keeps the old behaviour: the whole path
    g0 = im.influence_graph(5, np.arange(4), np.arange(1, 5), np.ones(4))
    assert im.spread_mc(g0, [0], runs=10)["mean"] == 5.0
    with pytest.raises(ValueError):
        im.influence_graph(3, [0], [1], [0.5], model="lt", max_hops=1)


def test_max_hops_matches_enumeration():
    src = [0, 0, 1, 2, 3, 1]
    dst = [1, 2, 3, 3, 4, 4]
    p = [0.6, 0.5, 0.7, 0.4, 0.9, 0.3]
    for hops in (1, 2):
        g = im.influence_graph(5, src, dst, p, max_hops=hops)
        exp = exact_ic_spread_hops(5, src, dst, p, [0], hops)
        assert_mc_close(g, [0], exp)
        coll = rr.RRCollection(g.reverse, g.model, seed=3, stream=1, max_depth=hops)
        coll.grow_to(200_000)
        hits = sum(1 for i in range(len(coll)) if 0 in set(coll.flat[coll.offsets[i]:coll.offsets[i + 1]].tolist()))
        assert 5 * hits / len(coll) == pytest.approx(exp, rel=0.02)


def _star_community():
    o = pd.DataFrame({"owner_id": ["a", "b", "c", "d"]})
    r = pd.DataFrame({"referrer_id": ["a", "a", "a"], "referee_id": ["b", "c", "d"],
                      "stage": ["order"] * 3, "referred_at": ["2024-01-01"] * 3})
    return Community.from_frames({"owners": o, "referrals": r})


def test_spread_public_by_hand():
    c = _star_community()
    res, info = im.spread(c, ["a", "zz", "a"], probability="wc", runs=200, details=True)
    # weighted cascade: each referee has one referrer -> p = 1: a reaches all four
    assert list(res.columns) == im.SPREAD.column_names and len(res) == 1
    row = res.iloc[0]
    assert row["mean"] == 4.0 and row["others"] == 3.0 and row["seeds"] == 1 and row["unknown"] == 1
    assert row["ci_low"] <= 4.0 <= row["ci_high"] and row["runs"] == 200 and row["model"] == "ic"
    assert info.seed_ids == ("a",) and info.unknown_ids == ("zz",) and info.fallback is None
    assert im.SPREAD.problems(res) == []
    assert im.spread(c, ["b"], probability="wc", runs=50)["mean"].item() == 1.0
    empty = im.spread(c, [], probability="wc")
    assert empty["mean"].item() == 0.0 and empty["seeds"].item() == 0
    # a Series or a DataFrame with owner_id gives the same result as the list
    same = im.spread(c, pd.DataFrame({"owner_id": ["a", "zz"]}), probability="wc", runs=200)
    assert same.equals(res)
    # one timestamp only: too little history to learn from -> documented fallback to wc
    res, info = im.spread(c, ["a"], runs=50, details=True)
    assert res["probability"].item() == "wc" and res["mean"].item() == 4.0
    assert info.probability_asked == "learned" and "weighted cascade" in info.fallback
    with pytest.raises(ConfigError):
        im.spread(c, ["a"], probability="nope")
    with pytest.raises(ConfigError):
        im.spread(c, ["a"], runs=0)


def test_ambassadors_learned_reports_model(tmp_path):
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1000, seed=2)
    c = Community(tables)
    df, info = im.ambassadors(c, k=5, mc_runs=100, seed=1, details=True)
    assert info.probability == "learned" and info.max_hops == 2 and info.fallback is None
    assert "tie_coefficients" in info.learned and info.stats.audience_nodes >= 0
    assert df["owner_id"].isin(c.owner_ids[c.eligible()]).all() and len(df) == 5
    again = im.ambassadors(c, k=5, mc_runs=100, seed=1)
    assert again["owner_id"].tolist() == df["owner_id"].tolist()
    # the reported reach and the Monte Carlo check agree (the same hop-limited model)
    mc = info.mc_check
    assert abs(df["cumulative_reach"].iloc[-1] - mc.mean) < 0.1 * mc.mean + 5
    with pytest.raises(ConfigError):
        im.ambassadors(c, k=2, model="lt", max_hops=2)
    with pytest.raises(ConfigError):
        im.edge_probabilities(pd.DataFrame({"src": [0], "dst": [1], "weight": [1.0]}), 2, probability="learned")


def test_leaves_are_reached_from_seeds_only():
    # owners 0 -> 1 (p = 1); leaves 2, 3 hang off owner 1 (p = 1 and 0.5), leaf 4 off owner 0 (p = 0.5)
    g = im.influence_graph(5, [0, 1, 1, 0], [1, 2, 3, 4], [1.0, 1.0, 0.5, 0.5], max_hops=2, leaf_start=2)
    # seed 0: itself, owner 1, its own leaf 4 half the time; 1's leaves are not 0's audience
    assert_mc_close(g, [0], 2.5, runs=100_000)
    assert_mc_close(g, [1], 2.5, runs=100_000)  # 1, leaf 2, leaf 3 half the time
    assert_mc_close(g, [0, 1], 4.0, runs=100_000)
    # RR estimates agree: a leaf's set holds only its direct live in-neighbour
    sel = im.select_seeds(g, k=2, seed=0, eval_sets=200_000)
    assert sorted(sel.picks.tolist()) == [0, 1]
    assert sel.reach == pytest.approx(4.0, rel=0.02)
    sel1 = im.select_seeds(g, k=1, seed=0, eval_sets=200_000)
    assert sel1.reach == pytest.approx(2.5, rel=0.03)


def test_csr_edge_order_is_the_lexsort_order():
    """build_csr's fast path (one stable sort of a 64-bit key) gives the order of the three-key
    lexsort (key, probability descending, neighbour) whenever it is taken, and falls back otherwise."""
    rng = np.random.default_rng(7)
    for _ in range(300):
        m = int(rng.integers(0, 50))
        key = rng.integers(0, 6, m)
        other = rng.integers(0, 6, m)
        p = rng.choice([0.0, 0.1, 0.25, 0.5, 1.0], m).astype(np.float32)
        for order in (np.arange(m), np.argsort(other, kind="stable"), np.lexsort((other, key))):
            k, o, q = key[order], other[order], p[order]
            got, ref = rr._csr_order(k, o, q), np.lexsort((o, -q, k))
            assert (k[got] == k[ref]).all() and (q[got] == q[ref]).all() and (o[got] == o[ref]).all()


def test_one_varint_decoder_reads_what_the_encoder_wrote():
    """read_varint (the only decoder of packed RR sets) inverts _encode_into, multi-byte gaps
    included, and the passes built on it (node counts, inverted index) agree with the raw sets."""
    ids = np.array([0, 1, 127, 128, 129, 16_383, 16_384, 2**21 + 5, 2**28 + 1, 2**31 + 7], dtype=np.int64)
    out = np.zeros(64, dtype=np.uint8)
    end = rr._encode_into(ids.copy(), len(ids), out, 0)
    got, p, prev = [], 0, -1
    while p < end:
        x, p = rr.read_varint(out, p)
        prev = prev + 1 + x
        got.append(prev)
    assert got == ids.tolist()
    sets = [np.array([3, 0, 5]), np.array([5]), np.array([1, 3, 4, 0])]
    flat = np.concatenate(sets).astype(np.uint32)
    offsets = np.r_[0, np.cumsum([len(s) for s in sets])].astype(np.int64)
    data, boff = rr.pack_sets(flat, offsets, 6, rr._DEBRUIJN_INDEX)
    assert rr.node_counts(data, boff, 6).tolist() == [2, 1, 0, 2, 1, 2]
    ptr, members = rr._invert(data, boff, rr.node_counts(data, boff, 6), np.ones(6, dtype=bool))
    assert [members[ptr[v]:ptr[v + 1]].tolist() for v in range(6)] == [[0, 2], [2], [], [0, 2], [2], [0, 1]]


def test_influence_edges_from_arrays_equal_the_igraph_projections():
    """influence_edges reads Community.edges(); the same edges and per-layer weights as read
    from the igraph projections (author -> engager, referrer -> referee, co-attendance both ways)."""
    from graphcrm.demo import generate_demo

    c = Community(generate_demo(1000, seed=2)[0])
    got = im.influence_edges(c)
    n = len(c.owner_ids)
    want: dict[tuple[int, int], list[float]] = {}

    def add(s, t, w, layer):
        for a, b, x in zip(s, t, w):
            if a != b and x > 0:
                want.setdefault((int(a), int(b)), [0.0, 0.0, 0.0])[layer] += float(x)

    gi = c.graph("interactions")
    el = np.asarray(gi.get_edgelist()).reshape(-1, 2)
    add(el[:, 1], el[:, 0], np.asarray(gi.es["weight"]) * im.DEFAULT_LAYERS["interactions"], im.LAYERS.index("interactions"))
    gr = c.graph("referrals")
    el = np.asarray(gr.get_edgelist()).reshape(-1, 2)
    add(el[:, 0], el[:, 1], np.full(len(el), im.DEFAULT_LAYERS["referrals"]), im.LAYERS.index("referrals"))
    gc = c.graph("coattendance")
    el = np.asarray(gc.get_edgelist()).reshape(-1, 2)
    w = np.asarray(gc.es["weight"]) * im.DEFAULT_LAYERS["coattendance"]
    add(np.r_[el[:, 0], el[:, 1]], np.r_[el[:, 1], el[:, 0]], np.r_[w, w], im.LAYERS.index("coattendance"))
    assert len(got) == len(want) > 100 and got["src"].max() < n
    keys = sorted(want)
    assert got[["src", "dst"]].to_numpy().tolist() == [list(k) for k in keys]
    np.testing.assert_allclose(got[list(im.LAYERS)].to_numpy(), np.array([want[k] for k in keys]), rtol=1e-12)
    np.testing.assert_allclose(got["weight"].to_numpy(), got[list(im.LAYERS)].sum(axis=1).to_numpy(), rtol=1e-12)
