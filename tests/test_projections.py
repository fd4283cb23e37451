"""Graph projections on a tiny community whose answers were worked out by hand."""
from __future__ import annotations

import resource

import numpy as np
import pandas as pd
import pytest

from graphcrm.community import Community
from graphcrm.errors import ConfigError
from graphcrm.projections import coattendance_graph, interaction_graph, to_networkx

T = pd.Timestamp


@pytest.fixture(scope="module")
def tiny() -> Community:
    owners = pd.DataFrame({"owner_id": ["d", "a", "c", "b"]})  # unsorted on purpose
    posts = pd.DataFrame({"post_id": ["p1", "p2"], "author_id": ["a", "b"],
                          "created_at": [T("2024-01-01"), T("2024-01-01")]})
    inter = pd.DataFrame({
        "owner_id": ["b", "b", "c", "a", "a"],
        "post_id": ["p1", "p1", "p1", "p1", "p2"],
        "kind": ["like", "comment", "share", "like", "favorite"],
        "created_at": [T("2024-01-11"), T("2024-01-21"), T("2024-01-21"), T("2024-01-02"), T("2024-01-21")],
    })
    events = pd.DataFrame({"event_id": ["e1", "e2"], "starts_at": [T("2024-01-05"), T("2024-01-06")]})
    att = pd.DataFrame({"event_id": ["e1", "e1", "e1", "e2", "e2", "e2"],
                        "owner_id": ["a", "b", "c", "a", "b", "d"],
                        "checked_in": [True, True, True, True, True, False]})
    refs = pd.DataFrame({"referrer_id": ["a", "b"], "referee_id": ["b", "c"],
                         "referred_at": [T("2023-01-01"), T("2023-06-01")], "stage": ["delivered", "lead"]})
    return Community.from_frames({"owners": owners, "posts": posts, "interactions": inter, "events": events,
                                  "attendance": att, "referrals": refs}, now="2025-01-01")


def edges(g, attr):
    n = g.vs["name"]
    return {(n[e.source], n[e.target]): round(e[attr], 6) for e in g.es}


def test_vertex_order_is_owner_id_for_every_projection(tiny):
    for kind in ("referrals", "interactions", "coattendance"):
        assert tiny.graph(kind).vs["name"] == ["a", "b", "c", "d"]


def test_referral_graph(tiny):
    g = tiny.graph("referrals")
    assert g.is_directed()
    assert edges(g, "stage") if False else {(g.vs[e.source]["name"], g.vs[e.target]["name"]): e["stage"] for e in g.es} == {
        ("a", "b"): "delivered", ("b", "c"): "lead"}
    assert g.es[0]["referred_at"] == T("2023-01-01")


def test_interaction_graph_weights_by_kind(tiny):
    g = tiny.graph("interactions")
    # b->a: like 1 + comment 3; c->a: share 5; a->b: favorite 2; a's like on its own post: no edge
    assert edges(g, "weight") == {("b", "a"): 4.0, ("c", "a"): 5.0, ("a", "b"): 2.0}
    assert edges(g, "count") == {("b", "a"): 2, ("c", "a"): 1, ("a", "b"): 1}


def test_interaction_graph_time_decay_and_custom_weights(tiny):
    # as_of = 2024-01-21 (latest interaction); half-life 10 days: the like of 01-11 counts 0.5
    g = tiny.graph("interactions", half_life_days=10)
    assert edges(g, "weight") == {("b", "a"): 3.5, ("c", "a"): 5.0, ("a", "b"): 2.0}
    g = tiny.graph("interactions", weights={"share": 1.0, "like": 0.0})
    assert edges(g, "weight")[("c", "a")] == 1.0
    with pytest.raises(ConfigError):
        tiny.graph("interactions", weights={"poke": 1})


def test_coattendance_by_hand(tiny):
    g = tiny.graph("coattendance")
    assert not g.is_directed()
    # e1 has 3 checked-in attendees: 1/2 per pair; e2 has 2 checked in (d did not): 1 for a-b
    assert edges(g, "weight") == {("a", "b"): 1.5, ("a", "c"): 0.5, ("b", "c"): 0.5}
    assert edges(g, "shared") == {("a", "b"): 2, ("a", "c"): 1, ("b", "c"): 1}
    g2 = tiny.graph("coattendance", checked_in_only=False)
    # e2 now has 3: a-b gets 1/2 + 1/2, a-d and b-d 1/2
    assert edges(g2, "weight") == {("a", "b"): 1.0, ("a", "c"): 0.5, ("b", "c"): 0.5, ("a", "d"): 0.5, ("b", "d"): 0.5}


def test_networkx_export(tiny):
    G = to_networkx(tiny.graph("interactions"))
    assert set(G.nodes) == {"a", "b", "c", "d"}
    assert G["b"]["a"]["weight"] == 4.0


def test_window_limits_activity(tiny):
    w = Community(tiny.tables, since="2024-01-15", until="2024-01-31")
    assert len(w.tables["interactions"]) == 3
    assert edges(w.graph("interactions"), "weight") == {("b", "a"): 3.0, ("c", "a"): 5.0, ("a", "b"): 2.0}
    assert len(w.tables["events"]) == 0 and len(w.tables["attendance"]) == 0
    assert w.as_of == T("2024-01-31 23:59:59.999999")


def test_one_huge_event_stays_small():
    """A 5,000-attendee national day must not create 12.5 million edges."""
    n = 5_000
    owners = pd.DataFrame({"owner_id": [f"o{i:05d}" for i in range(n)]})
    big = pd.DataFrame({"event_id": "nio_day", "owner_id": owners["owner_id"], "checked_in": True})
    # plus 250 small city meetups of 20 people each
    small = pd.DataFrame({"event_id": [f"m{i // 20}" for i in range(n)], "owner_id": owners["owner_id"], "checked_in": True})
    att = pd.concat([big, small], ignore_index=True)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    g = coattendance_graph(owners, None, att)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert g["large_events_skipped"] == 1
    assert g.ecount() == 250 * 190          # only the meetups' pairs (20 choose 2 each)
    assert np.allclose(g.es["weight"], 1 / 19)
    assert grown_mb < 200
    # with the cap raised the same event would be a clique: the guard is what keeps it small
    g_small_cap = coattendance_graph(owners.head(300), None, att[att["owner_id"].isin(owners["owner_id"].head(300))], max_event_size=1000)
    assert g_small_cap.ecount() == 300 * 299 // 2


def test_edges_are_the_graphs_as_compact_arrays(tiny):
    """``Community.edges`` gives the same edges, weights and counts as ``graph`` (built from
    them) as int32 / float64 / int32 arrays, by hand on the tiny community."""
    e = tiny.edges("coattendance")
    assert (e.projection, e.directed, e.n, len(e)) == ("coattendance", False, 4, 3)
    assert e.source.dtype == np.int32 and e.target.dtype == np.int32 and e.count.dtype == np.int32
    assert e.weight.dtype == np.float64
    # a=0, b=1, c=2: (a,b) 1.5 over two events, (a,c) and (b,c) 0.5
    assert list(zip(e.source.tolist(), e.target.tolist())) == [(0, 1), (0, 2), (1, 2)]
    assert e.weight.tolist() == [1.5, 0.5, 0.5] and e.count.tolist() == [2, 1, 1]
    assert e.attributes == {"max_event_size": 150, "large_events_skipped": 0}
    i = tiny.edges("interactions", half_life_days=10)
    assert list(zip(i.source.tolist(), i.target.tolist(), i.weight.tolist(), i.count.tolist())) == [
        (0, 1, 2.0, 1), (1, 0, 3.5, 2), (2, 0, 5.0, 1)]
    r = tiny.edges("referrals")
    assert list(zip(r.source.tolist(), r.target.tolist())) == [(0, 1), (1, 2)] and r.directed
    for kind, opts in [("coattendance", {}), ("coattendance", {"checked_in_only": False, "max_event_size": 2}),
                       ("interactions", {}), ("interactions", {"half_life_days": 10})]:
        g, a = tiny.graph(kind, **opts), tiny.edges(kind, **opts)
        assert g.get_edgelist() == list(zip(a.source.tolist(), a.target.tolist()))
        assert g.es["weight"] == a.weight.tolist()
        assert g.es["count" if kind == "interactions" else "shared"] == a.count.tolist()
    assert tiny.edges("coattendance") is e  # cached per options
    with pytest.raises(ConfigError):
        tiny.edges("friends")
    with pytest.raises(ConfigError):
        tiny.edges("coattendance", max_event_size=1)
    with pytest.raises(ConfigError):
        tiny.edges("referrals", weights={"like": 1.0})


def test_index_of_checks_each_categories_object_once(tiny):
    from graphcrm import projections as proj

    c = Community(tiny.tables)
    col = c.tables["attendance"]["owner_id"]
    index = pd.Index(c.owner_ids)
    assert isinstance(col.dtype, pd.CategoricalDtype)
    assert c.index_of(col).tolist() == proj.codes(index, col).tolist()
    assert c.index_of(col[col.index % 2 == 0]).tolist() == proj.codes(index, col[col.index % 2 == 0]).tolist()
    assert len(c._checked_categories) == 1  # the filtered column kept the same categories
    # categories that do not start with the owners: looked up by text, -1 for unknown ids
    other = pd.Series([c.owner_ids[1], "nobody", c.owner_ids[0]], dtype="category")
    assert c.index_of(other).tolist() == [1, -1, 0]
    assert c.index_of(other).tolist() == [1, -1, 0]  # the answer for that object is kept
    assert [a for _, a in c._checked_categories] == [True, False]
    # ids after the owners (naming no owner) are -1
    extra = pd.Series(pd.Categorical([c.owner_ids[0], "zz-none"], categories=[*c.owner_ids, "zz-none"]))
    assert c.index_of(extra).tolist() == [0, -1]


@pytest.mark.parametrize("bad", [float("inf"), float("nan")])
def test_interaction_weights_must_be_finite(bad):
    from graphcrm.errors import ConfigError
    from graphcrm.projections import kind_weights

    with pytest.raises(ConfigError, match="finite"):
        kind_weights({"like": bad})
