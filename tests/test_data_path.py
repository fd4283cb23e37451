"""The compact data path (ids as codes from SQL, projections aggregated in DuckDB) gives the
same results as the reference path (string frames from ``store.table``, pandas projections).

Float tolerance: weights summed in SQL and in numpy differ only in summation order, so edge
weights agree to 1e-9 relative and every analysis result to 1e-9 relative (scores derived
from them); everything else (ids, order, ranks, circles, reasons) is identical.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import graphcrm
from graphcrm.community import Community, categorical
from graphcrm.contract import TABLE_NAMES
from graphcrm.demo import generate_demo

WINDOWS = [(None, None), ("2025-06-01", "2026-03-31"), (None, "2026-01-15")]


@pytest.fixture(scope="module")
def store():
    tables, _ = generate_demo(2000, seed=0)
    cg = graphcrm.open(":memory:")
    cg.load(tables)
    yield cg.store
    cg.close()


def _pair(store, since=None, until=None):
    new = Community.from_store(store, since=since, until=until)
    old = Community({n: store.table(n) for n in TABLE_NAMES}, since=since, until=until, compact=False)
    return new, old


def test_the_new_path_is_compact_and_aggregates_in_the_store(store):
    new, old = _pair(store)
    assert new._pairs_store is store and old._pairs_store is None
    inter = new.tables["interactions"]
    assert isinstance(inter["owner_id"].dtype, pd.CategoricalDtype)
    # the codes of an owner column are the owners' vertex numbers
    assert (inter["owner_id"].cat.codes.to_numpy() == new.index_of(inter["owner_id"].astype(str))).all()
    assert (new.index_of(inter["owner_id"]) == old.index_of(old.tables["interactions"]["owner_id"])).all()
    assert inter.memory_usage(deep=True).sum() < old.tables["interactions"].memory_usage(deep=True).sum() / 5
    for name in TABLE_NAMES:
        a, b = new.tables[name], old.tables[name]
        assert list(a.columns) == list(b.columns) and len(a) == len(b)
        for c in a.columns:  # the same values, row by row
            assert a[c].astype(object).where(a[c].notna(), None).tolist() == b[c].astype(object).where(b[c].notna(), None).tolist(), (name, c)


@pytest.mark.parametrize("since,until", WINDOWS)
def test_projections_agree(store, since, until):
    new, old = _pair(store, since, until)
    assert (new.owner_ids == old.owner_ids).all()
    for kind, opts in [("interactions", {}), ("interactions", {"half_life_days": 90.0, "weights": {"like": 0.5}}),
                       ("coattendance", {}), ("coattendance", {"max_event_size": 20, "checked_in_only": False}),
                       ("referrals", {})]:
        a, b = new.graph(kind, **opts), old.graph(kind, **opts)
        assert a.ecount() > 0
        assert a.get_edgelist() == b.get_edgelist(), kind
        assert a.vs["name"] == b.vs["name"]
        assert {k: a[k] for k in a.attributes()} == {k: b[k] for k in b.attributes()}
        for attr in b.es.attributes():
            if attr == "weight":
                np.testing.assert_allclose(a.es[attr], b.es[attr], rtol=1e-9, atol=0)
            else:
                assert a.es[attr] == b.es[attr], (kind, attr)
        if kind != "referrals":  # the arrays (SQL on the new path, numpy on the old) agree too
            x, y = new.edges(kind, **opts), old.edges(kind, **opts)
            assert x.source.dtype == np.int32 and (x.source == y.source).all() and (x.target == y.target).all()
            assert (x.count == y.count).all() and x.attributes == y.attributes
            np.testing.assert_allclose(x.weight, y.weight, rtol=1e-9, atol=0)


ANALYSES = [
    ("kocs", {}), ("circles", {"seed": 0}), ("referral_chains", {}), ("referral_attribution", {}),
    ("top_referrers", {}), ("referral_issues", {}), ("volunteer_candidates", {"seed": 0, "validate": False}),
    ("owner_levels", {}), ("ambassadors", {"k": 5, "seed": 0}),
]


@pytest.mark.parametrize("name,opts", ANALYSES, ids=[a for a, _ in ANALYSES])
def test_analyses_agree(store, name, opts):
    from graphcrm import analyses

    fn = analyses.function(name)
    new, old = _pair(store)
    a, b = fn(new, **opts), fn(old, **opts)
    assert len(a) and list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False,
                                  check_categorical=False, rtol=1e-9, atol=1e-12)


def test_mapping_ids_through_a_table_agrees(store):
    """``inter["post_id"].map(posts.set_index("post_id")["author_id"])`` (campaigns, demo) gives
    the same authors: pandas 3.1 maps a categorical through categorical *values* wrongly, so
    the compact community keeps ``author_id`` as text."""
    new, old = _pair(store)
    a = new.tables["interactions"]["post_id"].map(new.tables["posts"].set_index("post_id")["author_id"])
    b = old.tables["interactions"]["post_id"].map(old.tables["posts"].set_index("post_id")["author_id"])
    assert a.astype(object).tolist() == b.astype(object).tolist()


def test_categorical_keeps_unknown_values_after_the_head():
    s = categorical(pd.Series(["b", "zz", None, "a", "y"]), pd.Index(["a", "b", "c"]))
    assert list(s.cat.categories) == ["a", "b", "c", "y", "zz"]
    assert s.cat.codes.tolist() == [1, 4, -1, 0, 3]
    again = categorical(s, pd.Index(["b", "y"]))  # recoded through the categories
    assert again.cat.codes.tolist()[:2] == [0, 3] and again.tolist()[:2] == ["b", "zz"]


def test_community_read_under_a_tiny_memory_cap_gives_the_same_tables(store, monkeypatch):
    """The community's reads run with DuckDB's memory capped (spilling, or retried without the
    cap when a query cannot fit): the same tables either way, and the store's limit is back after."""
    limit = store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    want = store.community_tables()
    monkeypatch.setattr(type(store), "COMMUNITY_READ_MEMORY", "1MB")
    got = store.community_tables()
    assert store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == limit
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name])


def test_community_tables_are_in_the_key_order_of_the_text(store):
    """With ids as codes, the rows come in the order ``store.table`` gives (key order), with the
    same values."""
    coded = store.community_tables()
    for name in ("referrals", "attendance", "posts", "interactions"):
        want = store.table(name)
        got = coded[name]
        assert len(got) == len(want) > 0, name
        for c in want.columns:
            assert got[c].astype(object).where(got[c].notna(), None).tolist() == \
                want[c].astype(object).where(want[c].notna(), None).tolist(), (name, c)


def _tiny_tables(order: list[int]) -> dict[str, pd.DataFrame]:
    """Three owners; b engages three times with a's post (a like, a comment, a share); a, b and c
    meet at three events of 2, 3 and 4 attendees.  ``order`` permutes the interaction rows."""
    owners = pd.DataFrame({"owner_id": ["a", "b", "c", "d"]})
    posts = pd.DataFrame({"post_id": ["p"], "author_id": ["a"], "created_at": ["2026-01-01"]})
    inter = pd.DataFrame({"post_id": ["p"] * 3, "owner_id": ["b"] * 3, "kind": ["like", "comment", "share"],
                          "created_at": ["2026-01-02"] * 3}).iloc[order].reset_index(drop=True)
    events = pd.DataFrame({"event_id": ["e2", "e3", "e4"], "starts_at": ["2026-01-05"] * 3})
    att = pd.DataFrame({"event_id": ["e2", "e2", "e3", "e3", "e3", "e4", "e4", "e4", "e4"],
                        "owner_id": ["a", "b", "a", "b", "c", "a", "b", "c", "d"], "checked_in": [True] * 9})
    att = att.iloc[[order[i % 3] * 3 + i // 3 for i in range(9)]].reset_index(drop=True)
    return {"owners": owners, "posts": posts, "interactions": inter, "events": events, "attendance": att}


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 1, 0], [1, 2, 0]])
def test_weights_summed_in_the_store_are_exact_in_any_row_order(order):
    """A pair's weight is the correctly rounded sum of its terms, whatever order the rows are in:
    0.1 + 0.2 + 0.3 in doubles is 0.6000000000000001 one way and 0.6 another; the store gives 0.6
    (``math.fsum``) for every order.  Co-attendance of a and b: 1/1 + 1/2 + 1/3 = 11/6."""
    import math

    import graphcrm.projections as proj

    cg = graphcrm.open(":memory:")
    try:
        cg.load(_tiny_tables(order))
        w = proj.kind_weights({"like": 0.1, "comment": 0.2, "share": 0.3})
        r = cg.store.interaction_pairs(weights=w, half_life_days=None, as_of=pd.Timestamp("2026-02-01"))
        assert r["source"].tolist() == [1] and r["target"].tolist() == [0] and r["count"].tolist() == [3]
        assert r["weight"].tolist() == [math.fsum([0.1, 0.2, 0.3])] == [0.6]
        c, skipped = cg.store.coattendance_pairs(max_event_size=150, checked_in_only=True)
        pairs = dict(zip(zip(c["source"].tolist(), c["target"].tolist()), c["weight"].tolist()))
        assert skipped == 0 and pairs[(0, 1)] == math.fsum([1.0, 1 / 2, 1 / 3])
        assert pairs[(0, 2)] == math.fsum([1 / 2, 1 / 3]) and pairs[(2, 3)] == 1 / 3
    finally:
        cg.close()


def test_store_sums_are_the_same_bits_in_two_row_orders():
    """A 2,000-owner demo loaded with its rows in two different orders: every interaction and
    co-attendance weight is the same double (before exact sums, the last bits followed the
    order DuckDB's threads added the rows in: 1,138 circle strengths moved between two runs at
    100,000 owners)."""
    import graphcrm.projections as proj

    tables, _ = generate_demo(2000, seed=1)
    got = []
    for k in (1, 2):
        shuffled = {n: t.sample(frac=1.0, random_state=k).reset_index(drop=True) for n, t in tables.items()}
        cg = graphcrm.open(":memory:")
        try:
            cg.load(shuffled)
            got.append((cg.store.interaction_pairs(weights=proj.kind_weights(), half_life_days=30.0,
                                                   as_of=pd.Timestamp("2026-06-01")),
                        cg.store.coattendance_pairs(max_event_size=150, checked_in_only=False)[0]))
        finally:
            cg.close()
    (ia, ca), (ib, cb) = got
    for x, y in ((ia, ib), (ca, cb)):
        assert len(x["weight"]) > 1000
        for col in x:
            assert np.array_equal(x[col], y[col]), col
