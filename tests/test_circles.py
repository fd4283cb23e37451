"""Circles (Leiden on the combined owner graph), bridges, profiles and partition metrics."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphcrm.community import Community
from graphcrm.errors import ConfigError
from graphcrm.algorithms.circles import circle_profiles, circles, combined_graph, compare_partitions

# Two groups that each met at their own event, and z who went to both:
#   e1: a1 a2 a3 a4 z    e2: b1 b2 b3 b4 z    (5 attendees -> each pair 1/4)
#   iso went to nothing and engaged with nobody.
IDS = ["a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4", "iso", "z"]
OWNERS = pd.DataFrame({
    "owner_id": IDS,
    "city": ["上海"] * 4 + ["北京"] * 3 + ["天津", "上海", "北京"],
    "car_model": ["ES6"] * 4 + ["ET5"] * 4 + ["ES8", "ES6"],
})
EVENTS = pd.DataFrame({"event_id": ["e1", "e2"], "starts_at": ["2024-01-06", "2024-01-07"]})
ATT = pd.DataFrame({"event_id": ["e1"] * 5 + ["e2"] * 5,
                    "owner_id": ["a1", "a2", "a3", "a4", "z", "b1", "b2", "b3", "b4", "z"]})


@pytest.fixture(scope="module")
def community() -> Community:
    return Community.from_frames({"owners": OWNERS, "events": EVENTS, "attendance": ATT})


def test_two_groups_a_bridge_and_no_ties(community):
    df = circles(community).set_index("owner_id")
    a = set(df.loc[["a1", "a2", "a3", "a4"], "circle"])
    b = set(df.loc[["b1", "b2", "b3", "b4"], "circle"])
    assert len(a) == 1 and len(b) == 1 and a != b
    assert df.loc["iso", "circle"] == -1 and "no ties" in df.loc["iso", "reason"]
    # circle 0 is the larger one: the group z joined (5 owners)
    zc = df.loc["z", "circle"]
    assert zc == 0 and df.loc["z", "circle_size"] == 5
    # z: 4 ties of 1/4 into each group -> participation 1 - (0.5^2 + 0.5^2) = 0.5
    assert df.loc["z", "participation"] == pytest.approx(0.5)
    assert df.loc["z", "is_bridge"] and df.loc["z", "n_circles"] == 2 and df.loc["z", "degree"] == 8
    # an owner of the other group: 3/4 of the weight at home, 1/4 towards z -> 1 - (9/16 + 1/16)
    other = "b1" if df.loc["b1", "circle"] != zc else "a1"
    assert df.loc[other, "participation"] == pytest.approx(0.375)
    assert not df.loc[other, "is_bridge"]
    assert df.loc[other, "internal_share"] == pytest.approx(0.75)
    assert "bridge" in df.loc["z", "reason"]
    assert list(df.index[-1:]) == ["iso"]  # no-ties circle listed last


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
    posts = pd.DataFrame({"post_id": [f"post_{i}" for i in ids], "author_id": ids, "created_at": "2024-01-01"})
    rows = [(x, f"post_{y}", "comment", "2024-01-02") for g in (ids[:3], ids[3:]) for x in g for y in g if x != y]
    rows.append(("p1", "post_q1", "like", "2024-01-03"))
    inter = pd.DataFrame(rows, columns=["owner_id", "post_id", "kind", "created_at"])
    c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ids}), "posts": posts, "interactions": inter})
    df = circles(c).set_index("owner_id")
    assert df.loc["p1", "circle"] == df.loc["p3", "circle"] != df.loc["q1", "circle"] == df.loc["q2", "circle"]
    assert (df["circle"] >= 0).all()


def test_deterministic_stable_labels_and_engines(community):
    first = circles(community, seed=3)
    again = circles(Community.from_frames({"owners": OWNERS.sample(frac=1, random_state=1),
                                           "events": EVENTS, "attendance": ATT.sample(frac=1, random_state=2)}),
                    seed=3)
    pd.testing.assert_frame_equal(first, again)
    ig_engine = circles(community, engine="igraph", seed=3)
    assert compare_partitions(first["circle"], ig_engine.set_index("owner_id").loc[first["owner_id"], "circle"])["ari"] == 1.0
    sizes = first[first["circle"] >= 0].groupby("circle")["owner_id"].size()
    assert list(sizes) == sorted(sizes, reverse=True)
    with pytest.raises(ConfigError):
        circles(community, method="louvain")
    with pytest.raises(ConfigError):
        circles(community, resolution=0)


def test_resolution_splits(community):
    coarse = circles(community, resolution=0.05)
    fine = circles(community, method="cpm", resolution=0.9)
    assert coarse.loc[coarse["circle"] >= 0, "circle"].nunique() == 1
    assert fine.loc[fine["circle"] >= 0, "circle"].nunique() >= 2


def test_profiles_by_hand(community):
    circ = circles(community)
    kocs_frame = pd.DataFrame({"owner_id": ["a2", "b3", "z"], "score": [50.0, 40.0, 10.0]})
    prof = circle_profiles(community, circles_frame=circ, kocs_frame=kocs_frame).set_index("circle")
    assert list(prof.index) == [0, 1, -1]
    zc = circ.set_index("owner_id").loc["z", "circle"]
    assert prof.loc[0, "size"] == 5 and prof.loc[1, "size"] == 4 and prof.loc[-1, "size"] == 1
    # each group is a clique (every pair met at its event): density 1
    assert prof.loc[0, "density"] == pytest.approx(1.0) and prof.loc[1, "density"] == pytest.approx(1.0)
    assert prof.loc[0, "bridges"] == "z" and prof.loc[0, "n_bridges"] == 1
    group_of_z = "a" if circ.set_index("owner_id").loc["a1", "circle"] == zc else "b"
    if group_of_z == "a":
        assert prof.loc[0, "top_cities"] == "上海 80%, 北京 20%" and prof.loc[0, "leaders"] == "a2,z"
        assert prof.loc[1, "top_cities"] == "北京 75%, 天津 25%"
    else:
        assert prof.loc[0, "top_cities"] == "北京 80%, 天津 20%" and prof.loc[0, "leaders"] == "b3,z"
    assert prof.loc[0, "top_car_models"].endswith("%")
    zh = circle_profiles(community, circles_frame=circ, kocs_frame=kocs_frame, lang="zh")
    assert "位车主" in zh["reason"].iloc[0]


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


def test_many_small_groups_scale_linearly():
    """2,000 disjoint 5-person events: 2,000 circles of 5, each a clique, no bridges."""
    k = 2000
    ids = np.array([f"o{i:05d}" for i in range(5 * k)])
    att = pd.DataFrame({"event_id": np.repeat([f"e{j}" for j in range(k)], 5), "owner_id": ids,
                        "role": "attendee", "checked_in": True})
    ev = pd.DataFrame({"event_id": [f"e{j}" for j in range(k)], "starts_at": pd.Timestamp("2024-01-01")})
    c = Community({"owners": pd.DataFrame({"owner_id": ids, "is_staff": False, "marketing_opt_out": False}),
                   "events": ev, "attendance": att})
    df = circles(c)
    assert df["circle"].nunique() == k and (df["circle_size"] == 5).all() and not df["is_bridge"].any()
    prof = circle_profiles(c, circles_frame=df, leaders=0)
    assert (prof["density"] == 1.0).all()
