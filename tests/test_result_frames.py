"""Kept results: DataFrames stored as DuckDB tables read back equal, dtypes included
(graphcrm.stores.kept); frames DuckDB cannot hold exactly stay pickled; a load or a clear drops
the tables."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

import graphcrm
from graphcrm.stores import kept


@dataclass(frozen=True)
class _Details:
    notes: tuple
    points: pd.DataFrame


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "owner_id": pd.Series(["a", "b", None, "中文"], dtype="str"),
        "obj_none": pd.Series(["x", None, "y", None], dtype=object),
        "obj_nan": pd.Series(["x", np.nan, "y", "z"], dtype=object),
        "obj_full": pd.Series(["=1+1", "", "a,b", "line\nbreak"], dtype=object),
        "kind": pd.Categorical(["b", "a", None, "b"], categories=["b", "a", "c"], ordered=True),
        "circle": pd.Categorical([3, 1, 1, None], categories=[1, 3]),
        "rank": pd.array([1, None, 3, 4], dtype="Int64"),
        "flag": pd.array([True, None, False, True], dtype="boolean"),
        "share": [0.5, np.nan, np.inf, -0.0],
        "n": np.array([1, 2, 3, 2**62], dtype=np.int64),
        "small": np.array([1, 2, 3, 4], dtype=np.int32),
        "u": np.array([0, 1, 2, 2**63], dtype=np.uint64),
        "f32": np.array([0.25, 1.5, np.nan, 3], dtype=np.float32),
        "ok": [True, False, True, False],
        "at": pd.to_datetime(["2024-01-01 10:00:00.123456789", None, "2025-06-30 00:00:00.000000001", "1970-01-01 00:00:00.0"], format="ISO8601").astype("datetime64[ns]"),
        "day": pd.to_datetime(["2024-01-01", "2024-02-01", None, "2024-03-01"]).astype("datetime64[s]"),
    })


def _store(tmp_path):
    cg = graphcrm.open(tmp_path / "s.duckdb")
    cg.load({"owners": pd.DataFrame({"owner_id": ["a"]})}, rejects_path=tmp_path / "r.csv")
    return cg


def _tables(cg) -> list[str]:
    return [r[0] for r in cg.store.con.execute(
        "SELECT table_name FROM information_schema.tables WHERE starts_with(table_name, 'graphcrm_kept_')").fetchall()]


def test_frames_round_trip_equal_through_tables(tmp_path):
    df = _frame()
    empty = df.iloc[:0]
    other_index = df.iloc[[3, 1]]
    value = (df, _Details(notes=("n",), points=empty), {"again": other_index, "plain": [1, "x"]})
    with _store(tmp_path) as cg:
        assert kept.storable(df) is not None
        assert cg.store.cache_result("k", value) > 0
        assert len(_tables(cg)) == 3  # three frames, three tables; the pickle holds the rest
        (payload,) = cg.store.con.execute("SELECT payload FROM graphcrm_result_cache").fetchone()
        assert len(payload) < 10_000
    with graphcrm.open(tmp_path / "s.duckdb") as cg:  # another session
        found, back = cg.store.cached_result("k")
    assert found
    pd.testing.assert_frame_equal(back[0], df, check_exact=True)
    assert back[0]["obj_none"].iloc[1] is None and np.isnan(back[0]["obj_nan"].iloc[1])
    assert back[0]["kind"].cat.ordered and list(back[0]["kind"].cat.categories) == ["b", "a", "c"]
    assert back[0]["at"].iloc[0] == pd.Timestamp("2024-01-01 10:00:00.123456789")
    pd.testing.assert_frame_equal(back[1].points, empty, check_exact=True)
    assert back[1].notes == ("n",)
    pd.testing.assert_frame_equal(back[2]["again"], other_index, check_exact=True)
    assert back[2]["plain"] == [1, "x"]


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"lists": [[1, 2], [3]]}),                       # Python objects
    pd.DataFrame({"mixed": ["a", 1]}),                            # not only text
    pd.DataFrame({"nulls": pd.Series(["a", None, np.nan], dtype=object)}),  # None and NaN mixed
    pd.DataFrame({"td": pd.to_timedelta([1, 2], unit="D")}),      # no exact DuckDB type
    pd.DataFrame({"tz": pd.to_datetime(["2024-01-01"]).tz_localize("Asia/Shanghai")}),
    pd.DataFrame({0: [1, 2]}),                                    # a label that is not text
    pd.DataFrame({"a": [1], "A": [2]}),                           # labels equal but for case
    pd.DataFrame([[1, 2]], columns=["a", "a"]),                   # duplicate labels
    pd.DataFrame(index=range(3)),                                 # no columns
    pd.DataFrame({"s": pd.Series(["ok", "bad \udc80"], dtype=object)}),  # text Arrow cannot encode
])
def test_other_frames_stay_pickled_and_equal(tmp_path, frame):
    if "s" not in frame.columns:
        assert kept.storable(frame) is None
    with _store(tmp_path) as cg:
        cg.store.cache_result("k", (frame, None))
        assert _tables(cg) == []
        found, back = cg.store.cached_result("k")
    assert found
    pd.testing.assert_frame_equal(back[0], frame, check_exact=True)


def test_tables_go_with_their_entry_a_load_and_a_clear(tmp_path):
    with _store(tmp_path) as cg:
        cg.store.cache_result("k1", (_frame(), None))
        cg.store.cache_result("k2", (_frame(), None))
        assert len(_tables(cg)) == 2
        cg.store.cache_result("k1", (_frame().head(1), None))  # replaced: the old table goes
        assert len(_tables(cg)) == 2
        assert len(cg.store.cached_result("k1")[1][0]) == 1
        cg.load({"owners": pd.DataFrame({"owner_id": ["b"]})}, rejects_path=tmp_path / "r.csv")
        assert _tables(cg) == [] and cg.store.cached_result("k2") == (False, None)
        cg.store.cache_result("k3", (_frame(), None))
        assert cg.store.clear_result_cache() == 1 and _tables(cg) == []


def test_a_missing_table_is_a_miss(tmp_path):
    with _store(tmp_path) as cg:
        cg.store.cache_result("k", (_frame(), None))
        (name,) = _tables(cg)
        cg.store.con.execute(f'DROP TABLE "{name}"')
        assert cg.store.cached_result("k") == (False, None)


def test_an_analysis_result_reads_back_equal(tmp_path):
    """A real kept result (categorical key columns, nullable ints, reasons) through a new session."""
    owners = pd.DataFrame({"owner_id": ["a", "b", "c", "d"], "city": ["上海", "上海", "北京", "北京"]})
    refs = pd.DataFrame({"referrer_id": ["a", "a", "b"], "referee_id": ["b", "c", "d"],
                         "referred_at": ["2024-01-01", "2024-02-01", "2024-03-01"], "stage": ["order", "lead", "delivered"]})
    db = tmp_path / "s.duckdb"
    with graphcrm.open(db) as cg:
        cg.load({"owners": owners, "referrals": refs}, rejects_path=tmp_path / "r.csv")
        first = {name: getattr(cg, name)() for name in ("referral_chains", "referral_issues", "top_referrers")}
        assert _tables(cg)
    with graphcrm.open(db) as cg:
        for name, df in first.items():
            pd.testing.assert_frame_equal(getattr(cg, name)(), df, check_exact=True)
