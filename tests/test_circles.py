"""Circles: consensus clustering, chosen resolution, engines, no circle, labels, overlap, metrics."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphcrm.community import Community
from graphcrm.errors import ConfigError
from graphcrm.algorithms.circles import (
    GRANULARITY,
    circle_labels,
    circle_memberships,
    circle_profiles,
    circles,
    combined_graph,
    compare_partitions,
    interest_tags,
    overlap_f1,
)

# Two groups that each met at their own events, and z who went to both, twice as often to a's:
#   ea, ea2: a1 a2 a3 a4 z    eb: b1 b2 b3 b4 z    (5 attendees -> each pair 1/4 per event)
#   iso went to nothing and engaged with nobody.
IDS = ["a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4", "iso", "z"]
OWNERS = pd.DataFrame({
    "owner_id": IDS,
    "city": ["上海"] * 4 + ["北京"] * 3 + ["天津", "上海", "北京"],
    "car_model": ["ES6"] * 4 + ["ET5"] * 4 + ["ES8", "ES6"],
})
EVENTS = pd.DataFrame({"event_id": ["ea", "ea2", "eb"], "starts_at": ["2024-01-06", "2024-01-13", "2024-01-07"],
                       "kind": ["drive", "drive", "meetup"],
                       "title": ["上海 自驾穿越", "上海 自驾穿越", "北京 摄影外拍"], "city": ["上海", "上海", "北京"]})
A = ["a1", "a2", "a3", "a4", "z"]
B = ["b1", "b2", "b3", "b4", "z"]
ATT = pd.DataFrame({"event_id": ["ea"] * 5 + ["ea2"] * 5 + ["eb"] * 5, "owner_id": A + A + B})


@pytest.fixture(scope="module")
def community() -> Community:
    return Community.from_frames({"owners": OWNERS, "events": EVENTS, "attendance": ATT})


def cliques(sizes: list[int], links: list[tuple[int, int]], *, extra: int = 0) -> Community:
    """Cliques of owners g<k>_<i> (every pair met at a two-person event: weight 1), plus one
    two-person event per link between the first members of two cliques, plus ``extra`` owners
    with no ties at all."""
    ids, rows, ev = [], [], []
    for k, s in enumerate(sizes):
        members = [f"g{k}_{i}" for i in range(s)]
        ids += members
        for i in range(s):
            for j in range(i + 1, s):
                ev.append(f"e{k}_{i}_{j}")
                rows += [(ev[-1], members[i]), (ev[-1], members[j])]
    for j, (a, b) in enumerate(links):
        rows += [(f"l{j}", f"g{a}_0"), (f"l{j}", f"g{b}_0")]
        ev.append(f"l{j}")
    ids += [f"x{i}" for i in range(extra)]
    att = pd.DataFrame(rows, columns=["event_id", "owner_id"])
    events = pd.DataFrame({"event_id": ev, "starts_at": "2024-01-01"})
    return Community.from_frames({"owners": pd.DataFrame({"owner_id": ids}), "events": events, "attendance": att})


def test_two_cliques_joined_by_one_edge_and_no_circle():
    c = cliques([6, 6], [(0, 1)], extra=2)
    df, info = circles(c, details=True)
    d = df.set_index("owner_id")
    assert d.loc[[f"g0_{i}" for i in range(6)], "circle"].nunique() == 1
    assert d.loc[[f"g1_{i}" for i in range(6)], "circle"].nunique() == 1
    assert d.loc["g0_0", "circle"] != d.loc["g1_0", "circle"]
    # owners with no ties are "no circle": not a circle, size 0, listed last
    assert (d.loc[["x0", "x1"], "circle"] == -1).all() and (d.loc[["x0", "x1"], "circle_size"] == 0).all()
    assert set(d.loc[["x0", "x1"], "label"]) == {"no circle"} and d.loc["x0", "reason"].startswith("no circle")
    assert list(df["owner_id"].tail(2)) == ["x0", "x1"]
    # counts agree: details, distinct circles and profile rows
    prof = circle_profiles(c, circles_frame=df, leaders=0)
    assert info.n_circles == 2 == df.loc[df["circle"] >= 0, "circle"].nunique() == len(prof)
    assert info.n_no_circle == 2 and (prof["circle"] >= 0).all()
    with_none = circle_profiles(c, circles_frame=df, leaders=0, include_no_ties=True)
    assert list(with_none["circle"]) == [0, 1, -1] and with_none["size"].iloc[-1] == 2
    assert with_none["label"].iloc[-1] == "no circle"
    # the details say how the circles were found
    assert info.method == "modularity" and info.converged and info.runs == 10
    assert info.resolution in GRANULARITY["default"] and info.granularity == "default"
    assert [r for r, _, _ in info.scan] == list(GRANULARITY["default"])
    assert info.seed_stability == pytest.approx(1.0) and info.consensus_agreement == 1.0


def test_bridge_participation_by_hand(community):
    df = circles(community).set_index("owner_id")
    a = set(df.loc[["a1", "a2", "a3", "a4"], "circle"])
    b = set(df.loc[["b1", "b2", "b3", "b4"], "circle"])
    assert len(a) == 1 and len(b) == 1 and a != b
    assert df.loc["iso", "circle"] == -1 and "no ties" in df.loc["iso", "reason"]
    # z is with group a (2 of its 3 events): circle 0, the larger (5 owners)
    assert df.loc["z", "circle"] == df.loc["a1", "circle"] == 0 and df.loc["z", "circle_size"] == 5
    # z: weight 4 x 2/4 = 2 into a, 4 x 1/4 = 1 into b -> participation 1 - (4/9 + 1/9) = 4/9
    assert df.loc["z", "participation"] == pytest.approx(4 / 9)
    assert df.loc["z", "n_circles"] == 2 and df.loc["z", "degree"] == 8
    assert not df.loc["z", "is_bridge"]  # 4/9 < 0.5
    # b1: 3/4 of the weight at home, 1/4 towards z -> 1 - (9/16 + 1/16)
    assert df.loc["b1", "participation"] == pytest.approx(0.375)
    assert df.loc["b1", "internal_share"] == pytest.approx(0.75)
    bridged = circles(community, bridge_threshold=0.4).set_index("owner_id")
    assert bridged.loc["z", "is_bridge"] and "bridge" in bridged.loc["z", "reason"]
    assert list(df.index[-1:]) == ["iso"]  # no circle listed last


def test_layer_normalisation_by_hand():
    o = pd.DataFrame({"owner_id": ["u", "v", "w"]})
    ev = pd.DataFrame({"event_id": ["e"], "starts_at": ["2024-01-01"]})
    at = pd.DataFrame({"event_id": ["e", "e"], "owner_id": ["u", "v"]})  # one tie of weight 1
    posts = pd.DataFrame({"post_id": ["p", "q"], "author_id": ["u", "w"], "created_at": ["2024-01-01"] * 2})
    inter = pd.DataFrame({"owner_id": ["v", "v", "u"], "post_id": ["p", "p", "q"],
                          "kind": ["comment", "share", "like"], "created_at": ["2024-01-02"] * 3})
    c = Community.from_frames({"owners": o, "events": ev, "attendance": at, "posts": posts, "interactions": inter})
    # interaction layer: u-v 3+5 = 8, u-w 1 -> mean 4.5 -> 8/4.5 and 1/4.5; co-attendance u-v 1 -> 1
    u, v, w = combined_graph(c)
    got = {(c.owner_ids[i], c.owner_ids[j]): x for i, j, x in zip(u, v, w)}
    assert got[("u", "v")] == pytest.approx(1 + 8 / 4.5)
    assert got[("u", "w")] == pytest.approx(1 / 4.5)
    u, v, w = combined_graph(c, layer_weights={"coattendance": 2.0, "interactions": 0.0})
    assert [(c.owner_ids[i], c.owner_ids[j], x) for i, j, x in zip(u, v, w)] == [("u", "v", 2.0)]
    with pytest.raises(ConfigError):
        combined_graph(c, layer_weights={"phone_calls": 1.0})


def test_interaction_only_circles():
    """Two triangles of mutual commenters with no events: the interaction layer alone separates them."""
    ids = ["p1", "p2", "p3", "q1", "q2", "q3"]
    posts = pd.DataFrame({"post_id": [f"post_{i}" for i in ids], "author_id": ids, "created_at": "2024-01-01",
                          "channel": ["摄影"] * 3 + ["问答"] * 3})
    rows = [(x, f"post_{y}", "comment", "2024-01-02") for g in (ids[:3], ids[3:]) for x in g for y in g if x != y]
    rows.append(("p1", "post_q1", "like", "2024-01-03"))
    inter = pd.DataFrame(rows, columns=["owner_id", "post_id", "kind", "created_at"])
    c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ids}), "posts": posts, "interactions": inter})
    df = circles(c).set_index("owner_id")
    assert df.loc["p1", "circle"] == df.loc["p3", "circle"] != df.loc["q1", "circle"] == df.loc["q2", "circle"]
    assert (df["circle"] >= 0).all()
    # named after the post channel their members write in
    assert df.loc["p1", "label"] == "摄影" and df.loc["q1", "label"] == "问答"
    assert df.loc["p1", "interests"] == "摄影"


def _noisy_groups(seed: int = 0) -> tuple[Community, np.ndarray]:
    """4 planted groups of 12; each pair meets inside its group with p 0.5, across with p 0.03."""
    rng = np.random.default_rng(seed)
    n = 48
    g = np.repeat(np.arange(4), 12)
    iu, ju = np.triu_indices(n, 1)
    p = np.where(g[iu] == g[ju], 0.5, 0.03)
    keep = rng.random(len(iu)) < p
    ids = np.array([f"o{i:02d}" for i in range(n)])
    ev = [f"e{k}" for k in range(int(keep.sum()))]
    att = pd.DataFrame({"event_id": np.repeat(ev, 2), "owner_id": np.column_stack([ids[iu[keep]], ids[ju[keep]]]).ravel()})
    c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ids}),
                               "events": pd.DataFrame({"event_id": ev, "starts_at": "2024-01-01"}), "attendance": att})
    return c, g


def test_seed_independence_and_planted_groups():
    c, truth = _noisy_groups()
    parts = [circles(c, seed=s).set_index("owner_id").loc[c.owner_ids, "circle"].to_numpy() for s in range(5)]
    for p in parts[1:]:
        assert compare_partitions(parts[0], p)["nmi"] == 1.0  # the same circles whatever the seed
    assert compare_partitions(truth, parts[0])["ari"] >= 0.9
    # shuffled input rows give the same table
    t = {k: v for k, v in c.tables.items()}
    shuffled = Community.from_frames({"owners": t["owners"].sample(frac=1, random_state=1),
                                      "events": t["events"], "attendance": t["attendance"].sample(frac=1, random_state=2)})
    pd.testing.assert_frame_equal(circles(c, seed=3), circles(shuffled, seed=3))


@pytest.mark.parametrize("method", ["modularity", "cpm", "infomap", "louvain"])
def test_every_method_recovers_planted_groups(method):
    c, truth = _noisy_groups(1)
    df, info = circles(c, method=method, details=True)
    got = df.set_index("owner_id").loc[c.owner_ids, "circle"].to_numpy()
    assert compare_partitions(truth, got)["ari"] >= 0.85, method
    assert info.method == method and info.n_circles == len(set(got))
    if method == "infomap":
        assert info.resolution is None and "map equation" in info.resolution_rule
    else:
        assert info.resolution is not None and len(info.scan) == 3


def test_engines_agree_and_bad_options(community):
    first, det = circles(community, seed=3, details=True)
    assert det.engine == "igraph"  # the default engine on every graph (AUTO_ENGINE_EDGES = 0)
    la = circles(community, engine="leidenalg", seed=3)
    assert compare_partitions(first["circle"], la.set_index("owner_id").loc[first["owner_id"], "circle"])["ari"] == 1.0
    sizes = first[first["circle"] >= 0].groupby("circle")["owner_id"].size()
    assert list(sizes) == sorted(sizes, reverse=True)
    for bad in (dict(method="spectral"), dict(resolution=0), dict(granularity="huge"), dict(consensus_runs=0),
                dict(method="infomap", granularity="finer"), dict(method="infomap", resolution=1.0),
                dict(engine="gpu")):
        with pytest.raises(ConfigError):
            circles(community, **bad)


def test_granularity_and_fixed_resolution():
    """Two pairs of 6-cliques: each pair joined by three ties, the pairs by one."""
    c = cliques([6, 6, 6, 6], [(0, 1)] * 3 + [(2, 3)] * 3 + [(0, 2)])
    counts = {}
    for g in ("coarser", "default", "finer"):
        df, info = circles(c, granularity=g, details=True)
        counts[g] = info.n_circles
        assert info.resolution in GRANULARITY[g] and info.granularity == g
    assert counts["coarser"] <= counts["default"] <= counts["finer"]
    assert counts["default"] == 4
    fixed = circles(c, resolution=0.01, details=True)[1]
    assert fixed.n_circles < 4 and fixed.resolution == 0.01 and fixed.resolution_rule == "given"
    assert len(fixed.scan) == 1
    fine = circles(c, method="cpm", resolution=0.9, details=True)[1]
    assert fine.n_circles >= 4


def test_profiles_labels_and_interests_by_hand(community):
    circ = circles(community)
    kocs_frame = pd.DataFrame({"owner_id": ["a2", "b3", "z"], "score": [50.0, 40.0, 10.0]})
    prof = circle_profiles(community, circles_frame=circ, kocs_frame=kocs_frame).set_index("circle")
    assert list(prof.index) == [0, 1]  # no circle is not a circle
    assert prof.loc[0, "size"] == 5 and prof.loc[1, "size"] == 4
    assert prof.loc[0, "density"] == pytest.approx(1.0) and prof.loc[1, "density"] == pytest.approx(1.0)
    assert prof.loc[0, "top_cities"] == "上海 80%, 北京 20%" and prof.loc[0, "leaders"] == "a2,z"
    assert prof.loc[1, "top_cities"] == "北京 75%, 天津 25%"
    # tags: a's members all went to two 上海 drives titled "自驾穿越"; b's to one 北京 photo walk
    assert prof.loc[0, "top_interests"] == "drive 100%, 自驾穿越 100%, meetup 20%"
    # labels: main city (>= 50%), main model (>= 40%), distinctive tags (share x log lift)
    assert prof.loc[0, "label"] == "上海 · ES6 · drive/自驾穿越"
    assert prof.loc[1, "label"] == "北京 · ET5 · meetup/摄影外拍"
    # the same label everywhere
    by_owner = circ.set_index("owner_id")
    assert by_owner.loc["a1", "label"] == prof.loc[0, "label"] and by_owner.loc["b1", "label"] == prof.loc[1, "label"]
    assert by_owner.loc["z", "interests"] == "drive, 自驾穿越, meetup"  # by count, then name
    zh = circle_profiles(community, circles_frame=circles(community, lang="zh"), kocs_frame=kocs_frame, lang="zh",
                         include_no_ties=True)
    assert "位车主" in zh["reason"].iloc[0] and zh["label"].iloc[-1] == "无圈层"
    assert zh["label"].iloc[0] == "上海 · ES6 · 自驾/自驾穿越"  # event kinds in Chinese for zh
    tags = interest_tags(community)
    z = community.owner_ids.tolist().index("z")
    assert tags[tags["owner"] == z].set_index("tag")["count"].to_dict() == {"drive": 2, "meetup": 1, "自驾穿越": 2, "摄影外拍": 1}


def test_labels_from_hand_made_profiles():
    o = pd.DataFrame({"owner_id": [f"o{i:02d}" for i in range(13)],
                      "city": ["上海", "上海", "杭州", "杭州", "苏州", "北京", "北京", "北京", "深圳", "广州", "成都",
                               "深圳", "广州"],
                      "car_model": ["ES6", "ET5", "EC6", "ES8", "ET7", "ES6", "ES6", "ET5", "ES6", "ES6", "ET5",
                                    "ET9", "ET9"]})
    c = Community.from_frames({"owners": o})
    memb = [0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3]
    lab = circle_labels(c, memb)
    assert lab[0] == "上海/杭州"  # 40% + 40%: the two main cities; no model reaches 40%
    assert lab[1] == "北京 · ES6"  # 100% 北京, ES6 2 of 3
    assert lab[2] == "several cities · ES6"  # three cities, a third each
    assert lab[3] == "广州/深圳 · ET9"  # half and half: both cities
    assert lab[-1] == "no circle"
    # a name that would repeat is numbered in circle order
    twice = circle_labels(c, [0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 3])
    assert twice[1] == "北京 · ES6" and circle_labels(c, [1, 1, 1, 1, 1, 0, 0, 2, 2, 2, 2, 3, 3] )[0] == "北京 · ES6"
    dup = circle_labels(c, [0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3])
    assert dup[1] == "北京 · ES6" and dup[2] == "北京 · ES6 #2"
    zh = circle_labels(c, memb, lang="zh")
    assert zh[-1] == "无圈层" and zh[2] == "多城市 · ES6"


def test_overlap_owner_in_two_groups(community):
    m = circle_memberships(community)
    z = m[m["owner_id"] == "z"]
    assert z["circle"].tolist() == [0, 1] and z["is_primary"].tolist() == [True, False]
    assert z["strength"].tolist() == pytest.approx([2 / 3, 1 / 3]) and z["rank"].tolist() == [1, 2]
    assert z["label"].tolist() == ["上海 · ES6 · drive/自驾穿越", "北京 · ET5 · meetup/摄影外拍"]
    # b1 has 1/4 of its weight towards z (circle 0): below 0.3, one membership only
    assert m[m["owner_id"] == "b1"]["circle"].tolist() == [1]
    assert "iso" not in set(m["owner_id"])  # no ties: no circle at all
    assert set(m.loc[m["is_primary"], "owner_id"]) == set(IDS) - {"iso"}
    loose = circle_memberships(community, min_strength=0.2)
    assert len(loose[loose["owner_id"] == "b1"]) == 2
    capped = circle_memberships(community, max_circles=1)
    assert capped["is_primary"].all() and len(capped) == 9
    with pytest.raises(ConfigError):
        circle_memberships(community, min_strength=0)


def test_compare_partitions_known_values():
    # values checked against the textbook formulas (and scikit-learn's documented examples)
    assert compare_partitions([0, 0, 1, 1], [1, 1, 0, 0]) == {"nmi": 1.0, "ari": 1.0, "n": 4}
    r = compare_partitions([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2])
    assert r["ari"] == pytest.approx(0.24242424, abs=1e-8)
    assert r["nmi"] == pytest.approx(0.51580374, abs=1e-8)
    r = compare_partitions([0, 0, 1, 1], [0, 0, 1, 2])
    assert r["nmi"] == pytest.approx(0.8) and r["ari"] == pytest.approx(4 / 7)
    assert compare_partitions(["x"] * 3, [1, 2, 3])["ari"] == 0.0
    with pytest.raises(ConfigError):
        compare_partitions([1, 2], [1])


def test_overlap_f1_by_hand():
    same = overlap_f1([(1, "a"), (2, "a"), (3, "b")], [(1, 7), (2, 7), (3, 8)])
    assert same == {"f1": 1.0, "f1_true": 1.0, "f1_pred": 1.0}
    # true {1,2,3},{3,4}; predicted {1,2},{3,4}: true side (0.8 + 1)/2, predicted side (0.8 + 1)/2
    r = overlap_f1([(1, "a"), (2, "a"), (3, "a"), (3, "b"), (4, "b")], [(1, 0), (2, 0), (3, 1), (4, 1)])
    assert r["f1_true"] == pytest.approx(0.9) and r["f1_pred"] == pytest.approx(0.9)
    with pytest.raises(ConfigError):
        overlap_f1([], [(1, 0)])


def test_many_small_groups_scale_linearly():
    """2,000 disjoint 5-person events: 2,000 circles of 5, each a clique, no bridges."""
    k = 2000
    ids = np.array([f"o{i:05d}" for i in range(5 * k)])
    att = pd.DataFrame({"event_id": np.repeat([f"e{j}" for j in range(k)], 5), "owner_id": ids,
                        "role": "attendee", "checked_in": True})
    ev = pd.DataFrame({"event_id": [f"e{j}" for j in range(k)], "starts_at": pd.Timestamp("2024-01-01")})
    c = Community({"owners": pd.DataFrame({"owner_id": ids, "is_staff": False, "marketing_opt_out": False}),
                   "events": ev, "attendance": att})
    df, info = circles(c, details=True)
    assert df["circle"].nunique() == k == info.n_circles and (df["circle_size"] == 5).all() and not df["is_bridge"].any()
    prof = circle_profiles(c, circles_frame=df, leaders=0)
    assert (prof["density"] == 1.0).all()


# --- large graphs: the consensus on a coarse-grained graph -----------------------------------
def test_coarse_grained_consensus_gives_the_same_circles(monkeypatch):
    """Above COARSEN_TIES ties the consensus runs on the groups every first run agrees on; on
    planted groups it finds the same circles as the consensus on the owners themselves."""
    import graphcrm.algorithms.circles as circ_mod

    for seed in (1, 2):
        c, truth = _noisy_groups(seed)
        plain, info = circles(c, details=True)
        assert info.coarse_groups == len(c.owner_ids)  # small graph: no coarse-graining
        monkeypatch.setattr(circ_mod, "COARSEN_TIES", 0)
        c2, _ = _noisy_groups(seed)
        coarse, cinfo = circles(c2, details=True)
        monkeypatch.undo()
        a = plain.set_index("owner_id").loc[c.owner_ids, "circle"].to_numpy()
        b = coarse.set_index("owner_id").loc[c.owner_ids, "circle"].to_numpy()
        assert compare_partitions(a, b)["ari"] == 1.0
        assert compare_partitions(truth, b)["ari"] >= 0.85
        assert cinfo.n_circles == info.n_circles and cinfo.coarse_groups < len(c.owner_ids)
        assert cinfo.resolution in GRANULARITY["default"] and 0.9 <= cinfo.seed_stability <= 1.0


def test_coarse_graph_keeps_modularity_and_weighted_agreement():
    """Modularity of a partition of groups on the graph of groups (inside ties as self-loops,
    the strengths with the loops) equals that of the owners' partition it stands for; the
    owner-weighted NMI/ARI of groups equals that of the expanded labels."""
    import igraph as ig

    from graphcrm.algorithms.circles import _aggregate, _agreement, _graph, _meet, _run_once

    rng = np.random.default_rng(4)
    n = 300
    planted = rng.integers(0, 6, n)
    iu, ju = np.triu_indices(n, 1)
    keep = rng.random(len(iu)) < np.where(planted[iu] == planted[ju], 0.2, 0.01)
    u, v = iu[keep], ju[keep]
    w = rng.random(len(u)) + 0.5
    g = _graph(n, u, v, w)
    assert g.ecount() == len(u) and g.get_edgelist()[:3] == list(zip(u[:3].tolist(), v[:3].tolist()))
    runs = [_run_once(g, w.tolist(), method="modularity", resolution=1.41, seed=s, n_iterations=2, engine="igraph")
            for s in (1, 2, 3)]
    grp = _meet(runs)
    for r in runs:  # every run is a union of groups
        assert (pd.Series(r).groupby(grp).nunique() == 1).all()
    ng = int(grp.max()) + 1
    au, av, aw, ties = _aggregate(grp, ng, u, v, w)
    assert aw.sum() == pytest.approx(w.sum()) and ties.sum() == len(u)
    G = ig.Graph(n=ng, edges=list(zip(au.tolist(), av.tolist())))
    part = rng.integers(0, 4, ng)
    for res in (0.5, 1.0, 2.0):
        assert G.modularity(part.tolist(), weights=aw.tolist(), resolution=res) == pytest.approx(
            g.modularity(part[grp].tolist(), weights=w.tolist(), resolution=res))
    # Leiden on the graph of groups is as good as on the owners (igraph's default node weights
    # would leave the loops out and merge nearly everything)
    found = _run_once(G, aw.tolist(), method="modularity", resolution=1.0, seed=0, n_iterations=2, engine="igraph",
                      node_sizes=np.bincount(grp).tolist())
    assert compare_partitions(planted, found[grp])["ari"] >= 0.9
    sizes = np.bincount(grp)
    other = rng.integers(0, 3, ng)
    nmi, ari = _agreement(part, other, sizes)
    ref = compare_partitions(part[grp], other[grp])
    assert nmi == pytest.approx(ref["nmi"]) and ari == pytest.approx(ref["ari"])


def test_circle_ids_is_the_circles_partition_and_kocs_needs_no_table(monkeypatch):
    """kocs' bridging reads only who is in which circle (the cached partition), and circles()
    with the same options reuses that partition."""
    import graphcrm.algorithms.circles as circ_mod
    from graphcrm.algorithms.circles import circle_ids
    from graphcrm.algorithms.koc import kocs

    c, _ = _noisy_groups(3)
    calls = []
    # the partition (combined graph, method="auto"'s choice, circles) is computed once per community
    real = circ_mod._partition
    monkeypatch.setattr(circ_mod, "_partition", lambda *a, **k: calls.append(1) or real(*a, **k))
    ids = circle_ids(c)
    df = circles(c)
    assert len(calls) == 1
    assert ids.tolist() == df.set_index("owner_id").loc[c.owner_ids, "circle"].tolist()
    assert circle_ids(c, lang="zh", bridge_threshold=0.2).tolist() == ids.tolist()
    with pytest.raises(TypeError):
        circle_ids(c, leaders=3)
    with pytest.raises(ConfigError):
        circle_ids(c, granularity="huge")
    from graphcrm.demo import generate_demo

    demo = Community(generate_demo(1_000, seed=2)[0])
    monkeypatch.setattr(circ_mod, "circles", lambda *a, **k: (_ for _ in ()).throw(AssertionError("table built")))
    k = kocs(demo)  # the bridging needs the partition, not the circles table
    assert len(calls) == 2 and (k["bridging"] > 1).any()
    monkeypatch.undo()
    assert len(calls) == 2 and circles(demo)["circle"].nunique() > 1  # the partition kocs computed


def test_profiles_name_circles_in_their_language(community):
    """circle_profiles(lang="zh") computes its circles in Chinese: the same label as circles()
    and circle_memberships() in that language (event kinds translated), never the English one."""
    c = Community.from_frames({"owners": OWNERS, "events": EVENTS, "attendance": ATT})
    circles(c)  # an English table in the cache first
    names = {}
    for lang in ("en", "zh"):
        lab = circles(c, lang=lang).query("circle >= 0").groupby("circle")["label"].first()
        prof = circle_profiles(c, lang=lang, leaders=0).set_index("circle")["label"]
        mem = circle_memberships(c, lang=lang).groupby("circle")["label"].first()
        assert prof.to_dict() == lab.to_dict() == mem.to_dict()
        names[lang] = lab.to_dict()
    assert names["en"] != names["zh"] and any("自驾" in x for x in names["zh"].values())


def test_locality_order_is_a_renumbering_of_the_same_graph():
    """The runs on the owners of a large graph see them renumbered (reverse Cuthill-McKee): the
    renumbered graph has the same ties and weights, a partition found on it maps back to the
    owners with the same modularity, and the two ends of a tie get close numbers."""
    from graphcrm.algorithms.circles import _graph, _local_graph, _locality_order, _run_once

    rng = np.random.default_rng(7)
    n = 400
    planted = rng.permutation(np.repeat(np.arange(8), 50))  # groups scattered over the numbers
    iu, ju = np.triu_indices(n, 1)
    keep = rng.random(len(iu)) < np.where(planted[iu] == planted[ju], 0.3, 0.002)
    u, v = iu[keep].astype(np.int32), ju[keep].astype(np.int32)
    w = rng.random(len(u)) + 0.5
    rank = _locality_order(n, u, v)
    assert sorted(rank.tolist()) == list(range(n))
    g, wl, back = _local_graph(n, u, v, w)
    assert back.tolist() == rank.tolist() and g.vcount() == n and g.ecount() == len(u)
    inv = np.empty(n, dtype=np.int64)
    inv[rank] = np.arange(n)
    mapped = {(min(a, b), max(a, b)): x for (a, b), x in zip(((int(inv[s]), int(inv[t])) for s, t in g.get_edgelist()), wl)}
    assert mapped == {(int(a), int(b)): x for a, b, x in zip(u, v, w)}
    m = _run_once(g, wl, method="modularity", resolution=1.0, seed=0, n_iterations=2, engine="igraph")[back]
    g0 = _graph(n, u, v, w)
    assert g0.modularity(m.tolist(), weights=w.tolist()) == pytest.approx(g.modularity(m[inv].tolist(), weights=wl.tolist()))
    assert compare_partitions(planted, m)["ari"] >= 0.95
    # locality: the two ends of a tie get much closer numbers than in the scattered numbering
    gap = lambda r: np.abs(r[u].astype(int) - r[v].astype(int)).mean()  # noqa: E731
    assert gap(rank) < 0.5 * gap(np.arange(n))
