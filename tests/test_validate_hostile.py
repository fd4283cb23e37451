"""Validation under hostile values (issue 10): blanks, dates and numbers that do not fit, ids with
invisible characters, rows with read problems, personal data in the rejects.

Each case is small and checked by hand; the outcome asserted is exact (frame values, dtypes,
reasons, counts).  Tests go through :func:`graphcrm.loaders.validate` and through
``graphcrm.open(":memory:").load({...})``.
"""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphcrm
from graphcrm.loaders import LoadReport, Source, validate
from graphcrm.loaders.validate import NO_DATE_DAYS

NOW = pd.Timestamp("2026-01-01")


def src(table: str, df: pd.DataFrame, *, problems=None, normalized_ids=None) -> Source:
    return Source(table, df.reset_index(drop=True), f"<DataFrame {table}>", np.arange(len(df)),
                  problems=list(problems or []), normalized_ids=dict(normalized_ids or {}))


def run(**tables: pd.DataFrame):
    return validate({n: src(n, df) for n, df in tables.items()}, now=NOW)


def reasons(v, table: str | None = None) -> dict[int, list[str]]:
    """row -> reasons (of one table)."""
    r = v.rejects if table is None else v.rejects[v.rejects["table"] == table]
    out: dict[int, list[str]] = {}
    for row, reason in zip(r["row"], r["reason"]):
        out.setdefault(int(row), []).append(reason)
    return out


def accounting_holds(v) -> None:
    assert (v.counts["read"] == v.counts["loaded"] + v.counts["rejected"]).all()
    for row in v.counts.itertuples():
        got = v.rejects[v.rejects["table"] == row.table]["row"].nunique()
        assert got == row.rejected
        assert len(v.frames[row.table]) == row.loaded


# ---- 1. a blank is missing, never a default --------------------------------------------------
def test_blank_values_are_missing_not_defaults():
    owners = pd.DataFrame({
        "owner_id": ["o1", "o2", "o3"],
        "city": ["上海", "", "  "],
        "joined_at": ["2024-01-01", "", None],
        "is_staff": ["true", "", "false"],
        "marketing_opt_out": ["", "false", "  "],
        "points": ["1.5", "", None],
    })
    events = pd.DataFrame({"event_id": ["e1", "e2"], "starts_at": ["2024-03-01", "2024-03-02"], "capacity": ["", "20"]})
    attendance = pd.DataFrame({"event_id": ["e1", "e1", "e2"], "owner_id": ["o1", "o2", "o3"],
                               "role": ["", "host", None], "checked_in": ["", "false", "yes"]})
    v = run(owners=owners, events=events, attendance=attendance)
    accounting_holds(v)
    assert v.rejects.empty
    o = v.frames["owners"]
    assert o["is_staff"].dtype == "boolean" and o["marketing_opt_out"].dtype == "boolean"
    assert o["is_staff"].tolist() == [True, pd.NA, False]
    # an explicit false is kept apart from a blank
    assert o["marketing_opt_out"].tolist() == [pd.NA, False, pd.NA]
    assert o["city"].isna().tolist() == [False, True, True]
    assert o["joined_at"].isna().tolist() == [False, True, True]
    assert o["points"].isna().tolist() == [False, True, True]
    e = v.frames["events"]
    assert e["capacity"].dtype == "Int64" and e["capacity"].tolist() == [pd.NA, 20]
    a = v.frames["attendance"]
    assert a["role"].isna().tolist() == [True, False, True]       # not the default 'attendee'
    assert a["role"].iloc[1] == "host"
    assert a["checked_in"].tolist() == [pd.NA, False, True]       # not the default true


def test_a_column_blank_in_every_row_is_left_out():
    owners = pd.DataFrame({"owner_id": ["o1", "o2"], "city": ["上海", "北京"],
                           "is_staff": ["", " "], "marketing_opt_out": [None, None], "points": [np.nan, np.nan]})
    v = run(owners=owners)
    assert list(v.frames["owners"].columns) == ["owner_id", "city"]
    # Parquet/Arrow all-null columns arrive as object None or float NaN: the same
    owners2 = pd.DataFrame({"owner_id": [1, 2], "marketing_opt_out": pd.Series([None, None], dtype=object),
                            "is_volunteer": pd.array([None, None], dtype="boolean")})
    v2 = run(owners=owners2)
    assert list(v2.frames["owners"].columns) == ["owner_id"]
    assert v2.frames["owners"]["owner_id"].tolist() == ["1", "2"]


def test_reexport_with_blank_flags_keeps_stored_flags():
    with graphcrm.open(":memory:") as cg:
        cg.load({"owners": pd.DataFrame({"owner_id": ["o1", "o2", "o3"], "city": ["上海", "上海", "北京"],
                                         "is_staff": ["true", "false", "false"],
                                         "marketing_opt_out": ["false", "true", "false"]})}, now=NOW)
        # the same owners re-exported: flag columns present but empty, a city changed
        r = cg.load({"owners": pd.DataFrame({"owner_id": ["o1", "o2", "o3"], "city": ["上海", "杭州", "北京"],
                                             "is_staff": ["", "", ""], "marketing_opt_out": ["", "", " "]})}, now=NOW)
        assert r.rejected == 0
        o = cg.table("owners").set_index("owner_id")
        assert o["is_staff"].tolist() == [True, False, False]
        assert o["marketing_opt_out"].tolist() == [False, True, False]
        assert o.loc["o2", "city"] == "杭州"


# ---- 2. dates pandas cannot hold -------------------------------------------------------------
def test_no_date_placeholders_are_blank_in_optional_columns():
    texts = ["9999-12-31", "9999-12-31 23:59:59", "0001-01-01", "0000-00-00", "0000-00-00 00:00:00",
             "1900-01-01", "1899-12-30", "1970-01-01", "1970-01-01 08:00:00", "2024-05-01"]
    owners = pd.DataFrame({"owner_id": [f"o{i}" for i in range(len(texts))], "joined_at": texts})
    v = run(owners=owners)
    assert v.rejects.empty
    j = v.frames["owners"]["joined_at"]
    assert j.dtype == "datetime64[ns]"
    assert j.isna().tolist() == [True] * 9 + [False]
    assert j.iloc[-1] == pd.Timestamp("2024-05-01")
    assert set(NO_DATE_DAYS) >= {"9999-12-31", "0001-01-01", "1900-01-01", "1970-01-01"}


def test_dates_out_of_range_are_row_rejects_not_crashes():
    texts = ["2263-01-01", "3000-06-01 10:00:00", "1600-01-01", "0002-03-04", "1677-09-21", "2024-02-30", "today",
             "now", "2024-01-01"]
    owners = pd.DataFrame({"owner_id": [f"o{i}" for i in range(len(texts))], "purchased_at": texts})
    v = run(owners=owners)
    accounting_holds(v)
    got = reasons(v)
    assert got == {
        0: ["purchased_at='2263-01-01' is in the future"],
        1: ["purchased_at='3000-06-01 10:00:00' is in the future"],
        2: ["purchased_at='1600-01-01' is before 1970"],
        3: ["purchased_at='0002-03-04' is before 1970"],
        4: ["purchased_at='1677-09-21' is before 1970"],
        5: ["purchased_at='2024-02-30' is not a valid date/time (use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)"],
        6: ["purchased_at='today' is not a valid date/time (use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)"],
        7: ["purchased_at='now' is not a valid date/time (use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)"],
    }
    assert v.frames["owners"]["owner_id"].tolist() == ["o8"]


def test_placeholder_in_a_required_date_is_a_reject():
    owners = pd.DataFrame({"owner_id": ["o1"]})
    events = pd.DataFrame({"event_id": ["e1", "e2", "e3"], "starts_at": ["9999-12-31", "0000-00-00", "2024-03-01"]})
    v = run(owners=owners, events=events)
    accounting_holds(v)
    assert reasons(v, "events") == {
        0: ["starts_at='9999-12-31' is a placeholder for 'no date', but starts_at is required"],
        1: ["starts_at='0000-00-00' is a placeholder for 'no date', but starts_at is required"],
    }
    assert set(v.rejects["reason_kind"]) == {"missing required value"}


def test_datetime_typed_input_beyond_nanoseconds():
    # Parquet keeps datetime64[us] (and coarser) values pandas' nanoseconds cannot hold
    us = np.array(["9999-12-31", "2024-01-01T10:00", "0001-01-01", "2500-01-01", "1600-01-01", "NaT"],
                  dtype="datetime64[us]")
    events = pd.DataFrame({"event_id": ["e1", "e2", "e3", "e4", "e5", "e6"], "starts_at": us})
    v = run(events=events)
    accounting_holds(v)
    assert reasons(v) == {
        0: ["starts_at='9999-12-31 00:00:00' is a placeholder for 'no date', but starts_at is required"],
        2: ["starts_at='0001-01-01 00:00:00' is a placeholder for 'no date', but starts_at is required"],
        3: ["starts_at='2500-01-01 00:00:00' is in the future"],
        4: ["starts_at='1600-01-01 00:00:00' is before 1970"],
        5: ["missing required value"],
    }
    assert v.frames["events"]["starts_at"].tolist() == [pd.Timestamp("2024-01-01 10:00")]
    seconds = np.array(["20000-01-01", "2024-01-01"], dtype="datetime64[s]")
    v2 = run(owners=pd.DataFrame({"owner_id": ["a", "b"], "joined_at": seconds}))
    assert reasons(v2) == {0: ["joined_at='20000-01-01 00:00:00' is in the future"]}


def test_object_column_of_python_dates_numbers_and_text():
    vals = [dt.datetime(9999, 12, 31), dt.date(2024, 1, 2), dt.datetime(1, 1, 1), None,
            pd.Timestamp("2024-01-01 08:00", tz="Asia/Shanghai"), 45292, "2024-03-01", True, 1.7e9, float("nan")]
    owners = pd.DataFrame({"owner_id": [f"o{i}" for i in range(10)], "joined_at": pd.Series(vals, dtype=object)})
    v = run(owners=owners)
    accounting_holds(v)
    got = reasons(v)
    assert sorted(got) == [7, 8]
    assert got[7] == ["joined_at='True' is not a valid date/time (use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)"]
    assert got[8][0].startswith("joined_at='1700000000' is a number, not a date/time")
    j = v.frames["owners"].set_index("owner_id")["joined_at"]
    assert j.isna().to_dict() == {"o0": True, "o1": False, "o2": True, "o3": True, "o4": False, "o5": False,
                                  "o6": False, "o9": True}
    assert j["o1"] == pd.Timestamp("2024-01-02")
    assert j["o4"] == pd.Timestamp("2024-01-01 00:00")      # converted to UTC
    assert j["o5"] == pd.Timestamp("2024-01-01")            # Excel serial 45292


def test_excel_serials_as_numbers_and_text():
    owners = pd.DataFrame({"owner_id": ["a", "b", "c", "d", "e"],
                           "joined_at": ["45292", "45292.5", "1700000000", "100", "0"]})
    v = run(owners=owners)
    got = reasons(v)
    assert got[2][0].startswith("joined_at='1700000000' is a number, not a date/time")
    assert got[3] == ["joined_at='100' is before 1970 (read as an Excel date serial: 1900-04-09 00:00:00)"]
    assert sorted(got) == [2, 3]
    j = v.frames["owners"].set_index("owner_id")["joined_at"]
    assert j["a"] == pd.Timestamp("2024-01-01") and j["b"] == pd.Timestamp("2024-01-01 12:00")
    assert pd.isna(j["e"])  # serial 0 = 1899-12-30, a "no date" placeholder
    numeric = run(owners=pd.DataFrame({"owner_id": ["a", "b"], "joined_at": [45292.25, np.nan]}))
    assert numeric.rejects.empty
    assert numeric.frames["owners"]["joined_at"].tolist()[0] == pd.Timestamp("2024-01-01 06:00")


def test_full_width_and_invisible_characters_in_dates():
    owners = pd.DataFrame({"owner_id": ["a", "b"], "joined_at": ["２０２４－０１－０２", "2024-01-03\u200b"]})
    v = run(owners=owners)
    assert v.rejects.empty
    assert v.frames["owners"]["joined_at"].tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]


def test_far_dates_load_through_the_store_without_a_traceback():
    with graphcrm.open(":memory:") as cg:
        r = cg.load({"owners": pd.DataFrame({"owner_id": ["o1", "o2", "o3"],
                                             "joined_at": ["9999-12-31", "2024-01-01", "2300-01-01"]})}, now=NOW)
        assert (r.read, r.loaded, r.rejected) == (3, 2, 1)
        assert r.rejects["reason"].tolist() == ["joined_at='2300-01-01' is in the future"]
        o = cg.table("owners").set_index("owner_id")
        assert pd.isna(o.loc["o1", "joined_at"]) and o.loc["o2", "joined_at"] == pd.Timestamp("2024-01-01")


# ---- 3. numbers that do not fit ------------------------------------------------------------
def test_capacity_that_does_not_fit_is_rejected_with_a_reason():
    caps = ["1e20", "99999999999999999999", "inf", "nan", "-Infinity", "1e309", "9223372036854775808",
            "9223372036854775807", "12.0", "１２", "1,000", "12.5", "-3", "0x10", ""]
    events = pd.DataFrame({"event_id": [f"e{i}" for i in range(len(caps))], "starts_at": "2024-01-01", "capacity": caps})
    v = run(events=events)
    accounting_holds(v)
    big = " is too large (a whole number between -9223372036854775808 and 9223372036854775807)"
    assert reasons(v) == {
        0: ["capacity='1e20'" + big],
        1: ["capacity='99999999999999999999'" + big],
        2: ["capacity='inf' is not a finite number"],
        3: ["capacity='nan' is not a finite number"],
        4: ["capacity='-Infinity' is not a finite number"],
        5: ["capacity='1e309'" + big],
        6: ["capacity='9223372036854775808'" + big],
        10: ["capacity='1,000' is not a number (write it without thousands separators: 1000, and '.' for decimals)"],
        11: ["capacity='12.5' is not a whole number"],
        12: ["capacity='-3' is negative"],
        13: ["capacity='0x10' is not a number"],
    }
    e = v.frames["events"].set_index("event_id")["capacity"]
    assert e.dtype == "Int64"
    assert e.index.tolist() == ["e7", "e8", "e9", "e14"]
    assert e.iloc[:3].tolist() == [9223372036854775807, 12, 12] and e.isna().tolist() == [False] * 3 + [True]


def test_points_that_do_not_fit_are_rejected():
    pts = ["1e309", "-Infinity", "NaN", "1e300", "-2.5", "", "１２.５"]
    owners = pd.DataFrame({"owner_id": [f"o{i}" for i in range(len(pts))], "points": pts})
    v = run(owners=owners)
    assert reasons(v) == {0: ["points='1e309' is too large"], 1: ["points='-Infinity' is not a finite number"],
                          2: ["points='NaN' is not a finite number"]}
    p = v.frames["owners"].set_index("owner_id")["points"]
    assert p.dtype == "float64"
    assert p["o3"] == 1e300 and p["o4"] == -2.5 and np.isnan(p["o5"]) and p["o6"] == 12.5


def test_numeric_dtype_input_that_does_not_fit():
    owners = pd.DataFrame({"owner_id": ["a", "b", "c"], "points": [np.inf, np.nan, 3.0]})
    events = pd.DataFrame({"event_id": ["e1", "e2", "e3", "e4"], "starts_at": "2024-01-01",
                           "capacity": [1e20, 20.0, np.nan, 2.5]})
    v = run(owners=owners, events=events)
    assert reasons(v, "owners") == {0: ["points='inf' is not a finite number"]}
    assert reasons(v, "events") == {
        0: ["capacity='100000000000000000000' is too large (a whole number between -9223372036854775808 and "
            "9223372036854775807)"],
        3: ["capacity='2.5' is not a whole number"]}
    u = run(events=pd.DataFrame({"event_id": ["e1", "e2"], "starts_at": "2024-01-01",
                                 "capacity": np.array([2**64 - 1, 7], dtype="uint64")}))
    assert list(reasons(u)) == [0] and u.frames["events"]["capacity"].tolist() == [7]


def test_embedded_store_keeps_int64_exactly_and_rejects_overflow():
    with graphcrm.open(":memory:") as cg:
        r = cg.load({"events": pd.DataFrame({"event_id": ["e1", "e2", "e3"], "starts_at": "2024-01-01",
                                             "capacity": ["9223372036854775807", "99999999999999999999", "inf"]})},
                    now=NOW)
        assert (r.loaded, r.rejected) == (1, 2)
        assert cg.table("events")["capacity"].tolist() == [9223372036854775807]


# ---- 4. ids ----------------------------------------------------------------------------------
INVISIBLE_TWINS = ["o1\u200b", "\ufeffo1", "o1\u2060", "o\u00ad1", "ｏ１", " o1\u3000", "o1\x00", "o\u200d1", "o1\u202c"]


@pytest.mark.parametrize("twin", INVISIBLE_TWINS, ids=[repr(t) for t in INVISIBLE_TWINS])
def test_invisible_twin_is_the_same_owner(twin):
    owners = pd.DataFrame({"owner_id": ["o1", twin], "city": ["上海", "北京"]})
    v = run(owners=owners)
    assert reasons(v) == {1: ["duplicate key (owner_id) first seen at row 0"]}
    changed = 0 if twin == " o1\u3000" else 1  # trimming whitespace alone is not counted
    assert v.normalized_ids == ({"owners": {"owner_id": 1}} if changed else {})


def test_ids_are_cleaned_the_same_in_every_table():
    owners = pd.DataFrame({"owner_id": ["o1", "o2", "ｏ３"]})
    posts = pd.DataFrame({"post_id": ["p1\u200b"], "author_id": ["o1\ufeff"], "created_at": ["2024-03-01"]})
    events = pd.DataFrame({"event_id": ["\u2060e1"], "starts_at": ["2024-03-01"]})
    attendance = pd.DataFrame({"event_id": ["e1"], "owner_id": ["o3"]})
    referrals = pd.DataFrame({"referrer_id": ["o1\u200c"], "referee_id": ["Ｏ2".lower()], "referred_at": ["2024-01-01"],
                              "stage": ["lead"]})
    interactions = pd.DataFrame({"owner_id": ["o2\u00ad"], "post_id": ["p1"], "kind": ["like"],
                                 "created_at": ["2024-03-02"]})
    v = run(owners=owners, posts=posts, events=events, attendance=attendance, referrals=referrals,
            interactions=interactions)
    accounting_holds(v)
    assert v.rejects.empty, v.rejects.to_dict("records")
    assert v.frames["owners"]["owner_id"].tolist() == ["o1", "o2", "o3"]
    assert v.frames["posts"][["post_id", "author_id"]].values.tolist() == [["p1", "o1"]]
    assert v.frames["interactions"][["owner_id", "post_id"]].values.tolist() == [["o2", "p1"]]
    assert v.normalized_ids == {"owners": {"owner_id": 1}, "events": {"event_id": 1},
                                "posts": {"post_id": 1, "author_id": 1},
                                "referrals": {"referrer_id": 1, "referee_id": 1},
                                "interactions": {"owner_id": 1}}


def test_integer_looking_ids_match_across_tables():
    owners = pd.DataFrame({"owner_id": [7.0, 8.0, np.nan]})                # float (a NaN made it float)
    posts = pd.DataFrame({"post_id": [100, 101], "author_id": ["7", "8.0"], "created_at": ["2024-03-01"] * 2})
    interactions = pd.DataFrame({"owner_id": pd.array([8, 7], dtype="Int64"), "post_id": [100.0, 101.0],
                                 "kind": ["like", "share"], "created_at": ["2024-03-02"] * 2})
    v = run(owners=owners, posts=posts, interactions=interactions)
    assert reasons(v) == {2: ["missing required value"]}
    assert v.frames["owners"]["owner_id"].tolist() == ["7", "8"]
    assert v.frames["posts"]["post_id"].tolist() == ["100", "101"]
    assert v.frames["posts"]["author_id"].tolist() == ["7", "8"]
    assert v.frames["interactions"][["owner_id", "post_id"]].values.tolist() == [["8", "100"], ["7", "101"]]
    # only the text "8.0" was changed; numbers written as text are not counted
    assert v.normalized_ids == {"posts": {"author_id": 1}}


def test_id_empty_after_cleaning_and_excel_scientific_ids_are_rejected():
    owners = pd.DataFrame({"owner_id": ["\u200b", "\ufeff\u2060", "1.23457E+11", "o4", "  "]})
    v = run(owners=owners)
    accounting_holds(v)
    assert reasons(v) == {
        0: ["owner_id is empty after removing invisible characters"],
        1: ["owner_id is empty after removing invisible characters"],
        2: ["owner_id='1.23457E+11' looks like a number Excel shortened to scientific notation (the original id "
            "is lost): format the column as text before exporting"],
        4: ["missing required value"],
    }
    # the rejects file shows the invisible characters as escapes
    assert v.rejects["values"].iat[0] == '{"owner_id": "\\u200b"}'
    assert json.loads(v.rejects["values"].iat[0]) == {"owner_id": "\u200b"}


def test_invisible_twins_through_the_store_and_the_report():
    with graphcrm.open(":memory:") as cg:
        cg.load({"owners": pd.DataFrame({"owner_id": ["o1", "o2"], "marketing_opt_out": ["true", "false"]})}, now=NOW)
        r = cg.load({"owners": pd.DataFrame({"owner_id": ["o1\u200b", "ｏ２", "o3"], "city": ["上海", "北京", "上海"]}),
                     "events": pd.DataFrame({"event_id": ["e1"], "starts_at": ["2024-03-01"]}),
                     "attendance": pd.DataFrame({"event_id": ["e1\u2060", "e1"], "owner_id": ["o1", "\ufeffo2"]})},
                    now=NOW)
        assert r.rejected == 0
        o = cg.table("owners").set_index("owner_id")
        assert o.index.tolist() == ["o1", "o2", "o3"]            # no invisible twins
        assert o["marketing_opt_out"].tolist() == [True, False, False]
        assert o["city"].tolist() == ["上海", "北京", "上海"]
        assert cg.table("attendance")[["event_id", "owner_id"]].values.tolist() == [["e1", "o1"], ["e1", "o2"]]


def test_load_report_shows_normalized_ids():
    v = validate({"owners": src("owners", pd.DataFrame({"owner_id": ["o1\u200b", "ｏ2", "o3"]}),
                                normalized_ids={"owner_id": 2})}, now=NOW)
    assert v.normalized_ids == {"owners": {"owner_id": 4}}        # 2 from reading + 2 here
    report = LoadReport(store=":memory:", counts=v.counts, rejects=v.rejects, normalized_ids=v.normalized_ids)
    assert "ids cleaned (invisible characters, full-width forms, spaces, 7.0 -> 7): owners.owner_id 4" in report.format()
    plain = LoadReport(store=":memory:", counts=v.counts, rejects=v.rejects)
    assert "ids cleaned" not in plain.format()


# ---- 5. rows with read problems ------------------------------------------------------------
def test_read_problems_reject_their_rows():
    owners = pd.DataFrame({"owner_id": ["o1", "o2", "o3", "o4"], "name": ["张三", "李四", "", "赵六"],
                           "city": ["上海", "上海", "", "北京"]})
    problems = [(2, "", "row has 2 fields, the header has 3", "short row"),
                (3, "city", "NUL byte in the value", "NUL byte"),
                (3, "city", "bytes not valid UTF-8", "NUL byte")]
    attendance = pd.DataFrame({"event_id": ["e1", "e1"], "owner_id": ["o3", "o1"]})
    v = validate({"owners": src("owners", owners, problems=problems),
                  "events": src("events", pd.DataFrame({"event_id": ["e1"], "starts_at": ["2024-01-01"]})),
                  "attendance": src("attendance", attendance)}, now=NOW)
    accounting_holds(v)
    assert dict(zip(v.counts["table"], v.counts["rejected"])) == {"owners": 2, "events": 0, "attendance": 1}
    assert reasons(v, "owners") == {2: ["row has 2 fields, the header has 3"],
                                    3: ["NUL byte in the value; bytes not valid UTF-8"]}
    owners_rej = v.rejects[v.rejects["table"] == "owners"]
    assert owners_rej["reason_kind"].tolist() == ["short row", "NUL byte"]
    assert owners_rej["column"].tolist() == ["", "city"]
    assert reasons(v, "attendance") == {0: ["owner_id='o3': that owners row was rejected in this load"]}
    assert v.frames["owners"]["owner_id"].tolist() == ["o1", "o2"]


def test_read_problem_outside_the_table_is_an_error():
    from graphcrm.errors import InputFileError

    with pytest.raises(InputFileError, match="position 5"):
        validate({"owners": src("owners", pd.DataFrame({"owner_id": ["o1"]}), problems=[(5, "", "x", "short row")])})


# ---- 6. no personal data in the rejects ------------------------------------------------------
def test_rejects_hide_names_and_phone_like_digits():
    owners = pd.DataFrame({"owner_id": ["o1", "o2"], "name": ["张三丰", "李四"],
                           "city": ["13812345678", "+86 139-1234-5678 上海"], "car_model": ["ES6", "ET5"],
                           "joined_at": ["2099-01-01", "2024-13-01"]})
    v = run(owners=owners)
    text = v.rejects.to_csv(index=False)
    for secret in ("张三丰", "李四", "13812345678", "139-1234-5678", "1234"):
        assert secret not in text
    values = [json.loads(x) for x in v.rejects["values"]]
    assert values[0] == {"owner_id": "o1", "name": "<hidden: personal data>", "city": "<digits hidden>",
                         "car_model": "ES6", "joined_at": "2099-01-01"}
    assert values[1]["city"] == "<digits hidden> 上海" and values[1]["joined_at"] == "2024-13-01"
    assert v.rejects["row"].tolist() == [0, 1]   # enough to find the row


def test_rejects_file_written_by_a_load_holds_no_name(tmp_path):
    with graphcrm.open(":memory:") as cg:
        r = cg.load({"owners": pd.DataFrame({"owner_id": ["o1", "o2"], "name": ["欧阳娜娜", "张三"],
                                             "is_staff": ["maybe", "no"]})},
                    now=NOW, rejects_path=tmp_path / "rej.csv")
        assert r.rejected == 1
        text = (tmp_path / "rej.csv").read_text(encoding="utf-8-sig")
        assert "欧阳娜娜" not in text and "is_staff='maybe' is not a yes/no value" in text
        assert "欧阳娜娜" not in r.format()


def test_phone_numbers_in_text_columns_are_not_stored():
    # a shifted row puts a mobile number into city; an event title carries one among its words
    # and a date: the city is left blank, the title keeps its words and date, the rows load
    owners = pd.DataFrame({"owner_id": ["o1", "o2", "o3"], "city": ["13812345678", "上海", "+86 139-1234-5678"],
                           "region": ["310115000000", "021-12345678", "东区"], "car_model": ["ES6", "ET5", "EC6"]})
    events = pd.DataFrame({"event_id": ["e1", "e2"], "starts_at": "2024-01-01",
                           "title": ["2026-10-01 国庆自驾 call 138 1234 5678", "周末摄影 2026/10/03"]})
    v = run(owners=owners, events=events)
    accounting_holds(v)
    assert v.rejects.empty
    assert v.frames["owners"]["city"].tolist()[1] == "上海"
    assert v.frames["owners"]["city"].isna().tolist() == [True, False, True]
    # a label loses only what is shaped like a phone number: a 12-digit region code stays, a landline goes
    assert v.frames["owners"]["region"].tolist()[0] == "310115000000"
    assert v.frames["owners"]["region"].isna().tolist() == [False, True, False]
    assert v.frames["events"]["title"].tolist() == ["2026-10-01 国庆自驾 call <digits hidden>", "周末摄影 2026/10/03"]
    assert v.hidden_digits == {"owners": {"city": 2, "region": 1}, "events": {"title": 1}}


def test_a_phone_number_in_an_update_never_blanks_the_stored_value(tmp_path):
    with graphcrm.open(tmp_path / "s.duckdb") as cg:
        cg.load({"owners": pd.DataFrame({"owner_id": ["o1", "o2"], "city": ["上海", "北京"]})}, now=NOW)
        r = cg.load({"owners": pd.DataFrame({"owner_id": ["o1"], "city": ["13812345678"]})}, now=NOW)
        assert "phone-like digits not stored" in r.format() and "owners.city 1" in r.format()
        assert "13812345678" not in r.format()
        assert cg.table("owners").set_index("owner_id")["city"].to_dict() == {"o1": "上海", "o2": "北京"}


# ---- 7. other values of the same kind --------------------------------------------------------
def test_yes_no_and_enum_spellings():
    owners = pd.DataFrame({"owner_id": [f"o{i}" for i in range(8)],
                           "is_volunteer": ["TRUE ", "True", "是 ", "Ｙｅｓ", "√", "否", "FALSE", "\u200bno"]})
    v = run(owners=owners)
    assert v.rejects.empty
    assert v.frames["owners"]["is_volunteer"].tolist() == [True] * 5 + [False] * 3
    inter = pd.DataFrame({"owner_id": ["o1"] * 4, "post_id": ["p1"] * 4, "kind": ["ＬＩＫＥ", " Share ", "COMMENT", "lik e"],
                          "created_at": ["2024-03-02"] * 4})
    v = run(owners=pd.DataFrame({"owner_id": ["o1"]}),
            posts=pd.DataFrame({"post_id": ["p1"], "author_id": ["o1"], "created_at": ["2024-03-01"]}),
            interactions=inter)
    assert reasons(v, "interactions") == {3: ["kind='lik e' is not one of like|comment|share|reply|favorite"]}
    assert v.frames["interactions"]["kind"].tolist() == ["like", "share", "comment"]


def test_bool_typed_and_nullable_input():
    owners = pd.DataFrame({"owner_id": ["a", "b", "c"], "is_staff": [True, False, True],
                           "marketing_opt_out": pd.array([True, None, False], dtype="boolean")})
    v = run(owners=owners)
    o = v.frames["owners"]
    assert o["is_staff"].tolist() == [True, False, True]
    assert o["marketing_opt_out"].tolist() == [True, pd.NA, False]


def test_text_columns_lose_invisible_characters_free_text_keeps_its_form():
    owners = pd.DataFrame({"owner_id": ["o1", "o2"], "name": ["\u200b张三 ", "Ａnn\u200d"], "city": ["上海\u200b", "Ｓhanghai"]})
    events = pd.DataFrame({"event_id": ["e1"], "title": ["周末（咖啡）\x07"], "kind": ["ｍｅｅｔｕｐ"], "starts_at": ["2024-01-01"]})
    v = run(owners=owners, events=events)
    o = v.frames["owners"]
    assert o["city"].tolist() == ["上海", "Shanghai"]          # categories: NFKC + invisible removed
    assert o["name"].tolist() == ["张三", "Ａnn"]              # free text: as written, edges trimmed
    e = v.frames["events"]
    assert e["title"].tolist() == ["周末（咖啡）"] and e["kind"].tolist() == ["meetup"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["true", "false", "", " ", None, "是", "否", "0", "1", "Yes"]), min_size=1, max_size=30))
def test_property_bool_column_is_explicit_value_or_missing(cells):
    owners = pd.DataFrame({"owner_id": [f"o{i}" for i in range(len(cells))],
                           "city": "x", "marketing_opt_out": pd.Series(cells, dtype=object)})
    v = run(owners=owners)
    accounting_holds(v)
    truth = {"true": True, "是": True, "1": True, "yes": True, "false": False, "否": False, "0": False}
    expect = [truth.get((c or "").strip().lower(), pd.NA) for c in cells]
    frame = v.frames["owners"]
    if all(e is pd.NA for e in expect):
        assert "marketing_opt_out" not in frame
    else:
        assert frame["marketing_opt_out"].tolist() == expect


def test_id_cleaning_keeps_leading_zeros_case_and_inner_spaces():
    owners = pd.DataFrame({"owner_id": ["007", "O1", "o1", "a b", "7.00", "-3.0"]})
    v = run(owners=owners)
    assert v.rejects.empty
    assert v.frames["owners"]["owner_id"].tolist() == ["007", "O1", "o1", "a b", "7", "-3"]


HOSTILE = ["", " ", None, "\u200b", "\ufeff", "o1", "o1\u200b", "ｏ１", "7", "7.0", "1.23457E+11", "true", "FALSE ",
           "是", "maybe", "9999-12-31", "0000-00-00", "2024-02-30", "2263-01-01", "1600-01-01", "45292", "today",
           "2024-05-01 10:00:00", "2024-05-01T10:00:00+08:00", "1e20", "1e309", "inf", "-Infinity", "nan", "1,000",
           "１２", "-3", "12.5", "99999999999999999999", "like", "ＬＩＫＥ", "host", "13800000000", "\x00", "a\tb",
           "=1+1", "上海", "\u202eevil"]


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_property_hostile_cells_never_crash_and_account_for_every_row(data):
    n = data.draw(st.integers(min_value=0, max_value=12))
    cell = st.sampled_from(HOSTILE)
    owners = pd.DataFrame({c: data.draw(st.lists(cell, min_size=n, max_size=n)) for c in
                           ["owner_id", "name", "city", "joined_at", "is_staff", "marketing_opt_out", "points"]},
                          dtype=object)
    events = pd.DataFrame({c: data.draw(st.lists(cell, min_size=n, max_size=n)) for c in
                           ["event_id", "title", "starts_at", "capacity"]}, dtype=object)
    attendance = pd.DataFrame({c: data.draw(st.lists(cell, min_size=n, max_size=n)) for c in
                               ["event_id", "owner_id", "role", "checked_in"]}, dtype=object)
    v = run(owners=owners, events=events, attendance=attendance)
    accounting_holds(v)
    o, e = v.frames["owners"], v.frames["events"]
    for frame, key in ((o, "owner_id"), (e, "event_id")):
        ids = frame[key].tolist()
        assert len(set(ids)) == len(ids) and all(isinstance(i, str) and i for i in ids)
        assert all(i.isprintable() and i == i.strip() for i in ids)
    for c in ("is_staff", "marketing_opt_out"):
        if c in o:
            assert o[c].dtype == "boolean"
    if "joined_at" in o:
        assert o["joined_at"].dtype == "datetime64[ns]"
    if "points" in o:
        assert np.isfinite(o["points"].dropna()).all()
    if "capacity" in e:
        assert e["capacity"].dtype == "Int64" and (e["capacity"].dropna() >= 0).all()
    # phone-like digits never show from text columns (ids, dates and numbers are shown as they are)
    text_columns = {"name", "city", "title", "role", "checked_in", "is_staff", "marketing_opt_out"}
    for values, column, reason in zip(v.rejects["values"], v.rejects["column"], v.rejects["reason"]):
        assert not any("13800000000" in (x or "") for k, x in json.loads(values).items() if k in text_columns)
        assert column not in text_columns or "13800000000" not in reason


def test_empty_tables_and_tables_rejected_whole():
    empty = {n: pd.DataFrame({c: pd.Series([], dtype=object) for c in cols}) for n, cols in
             {"owners": ["owner_id", "joined_at", "is_staff"], "events": ["event_id", "starts_at"]}.items()}
    v = run(**empty)
    accounting_holds(v)
    assert v.counts["read"].tolist() == [0, 0]
    att = pd.DataFrame({"event_id": ["e1", "e2"], "owner_id": ["o1", "o2"]})
    v = run(owners=pd.DataFrame({"owner_id": ["", None]}), events=pd.DataFrame({"event_id": ["e1"], "starts_at": [""]}),
            attendance=att)
    accounting_holds(v)
    assert v.counts["loaded"].tolist() == [0, 0, 0]


def test_partly_blank_columns_never_overwrite_and_new_rows_take_defaults():
    with graphcrm.open(":memory:") as cg:
        cg.load({"owners": pd.DataFrame({"owner_id": ["o1", "o2", "o3"], "city": ["上海", "北京", "杭州"],
                                         "marketing_opt_out": ["true", "true", "false"]}),
                 "events": pd.DataFrame({"event_id": ["e1"], "starts_at": ["2024-03-01"]}),
                 "attendance": pd.DataFrame({"event_id": ["e1"], "owner_id": ["o1"], "role": ["host"],
                                             "checked_in": ["false"]})}, now=NOW)
        cg.load({"owners": pd.DataFrame({"owner_id": ["o1", "o2", "o3", "o4"], "city": ["", "南京", None, ""],
                                         "marketing_opt_out": ["", "false", " ", ""]}),
                 "attendance": pd.DataFrame({"event_id": ["e1", "e1"], "owner_id": ["o1", "o2"], "role": ["", ""],
                                             "checked_in": ["", "no"]})}, now=NOW)
        o = cg.table("owners").set_index("owner_id")
        assert o["marketing_opt_out"].tolist() == [True, False, False, False]   # o4 new: the default
        assert o["city"].tolist() == ["上海", "南京", "杭州", None]
        a = cg.table("attendance").set_index("owner_id")
        assert a.loc["o1", "role"] == "host" and not a.loc["o1", "checked_in"]   # kept
        assert a.loc["o2", "role"] == "attendee" and not a.loc["o2", "checked_in"]  # new: default role


def test_text_without_a_whole_date_is_no_date():
    # the flexible parser would fill the missing parts from today / year 1 (a different value each day)
    texts = ["10:00:00", "10:00", "Jan", "May 5", "Jan 5 2024", "2024/5/1 10:00", "2024-01-01 10:00:00.123456789",
             "9999-12-31"]
    owners = pd.DataFrame({"owner_id": [f"o{i}" for i in range(len(texts))], "joined_at": texts})
    v = run(owners=owners)
    bad = " is not a valid date/time (use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)"
    assert reasons(v) == {i: [f"joined_at={texts[i]!r}{bad}"] for i in range(4)}
    j = v.frames["owners"]["joined_at"].tolist()
    assert j[:3] == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-05-01 10:00"),
                     pd.Timestamp("2024-01-01 10:00:00.123456")] and pd.isna(j[3])


def test_a_phone_number_in_a_date_column_is_masked_a_date_or_unix_time_is_not():
    # a shifted row puts an owner's mobile number into joined_at: refused, and the rejects file
    # must not show it; a bad date, a Unix time and an Excel serial stay readable
    owners = pd.DataFrame({"owner_id": ["o1", "o2", "o3", "o4", "o5"],
                           "joined_at": ["13800138000", "+86 139-1234-5678", "2024-13-01", "1700000000",
                                         "1700000000000x"]})
    v = run(owners=owners)
    accounting_holds(v)
    text = v.rejects.to_csv(index=False)
    for secret in ("13800138000", "139-1234-5678", "1234-5678"):
        assert secret not in text
    got = reasons(v)
    assert got[0][0].startswith("joined_at='<digits hidden>' is")
    assert got[1][0].startswith("joined_at='<digits hidden>' is")
    assert got[2][0].startswith("joined_at='2024-13-01'")
    assert got[3][0].startswith("joined_at='1700000000' is a number, not a date/time")
    values = [json.loads(x) for x in v.rejects["values"]]
    assert [x["joined_at"] for x in values][:3] == ["<digits hidden>", "<digits hidden>", "2024-13-01"]


def test_a_phone_number_in_a_number_column_is_masked_a_plain_number_is_not():
    owners = pd.DataFrame({"owner_id": ["o1", "o2"], "points": ["abc13912345678", "+86 139-1234-5678"]})
    events = pd.DataFrame({"event_id": ["e1"], "starts_at": "2024-01-01", "capacity": ["99999999999999999999"]})
    v = run(owners=owners, events=events)
    accounting_holds(v)
    text = v.rejects.to_csv(index=False)
    for secret in ("13912345678", "139-1234-5678"):
        assert secret not in text
    got = reasons(v, "owners")
    assert got[0] == ["points='abc<digits hidden>' is not a number"]
    assert got[1][0].startswith("points='<digits hidden>' is not a number")
    # a plain number refused for its size is shown: the number is the reason
    assert reasons(v, "events")[0][0].startswith("capacity='99999999999999999999' is too large")


def test_dates_written_the_chinese_way():
    # Excel with a Chinese locale and many Chinese systems export dates as 2026年1月2日 text
    owners = pd.DataFrame({"owner_id": [f"o{i}" for i in range(6)],
                           "joined_at": ["2024年1月2日", "2024年12月31日 14:30", "2024 年 3 月 5 号", "２０２４年１月２日",
                                         "2024年13月1日", "二〇二四年一月二日"]})
    v = run(owners=owners)
    accounting_holds(v)
    j = v.frames["owners"].set_index("owner_id")["joined_at"]
    assert j["o0"] == pd.Timestamp("2024-01-02") and j["o1"] == pd.Timestamp("2024-12-31 14:30")
    assert j["o2"] == pd.Timestamp("2024-03-05") and j["o3"] == pd.Timestamp("2024-01-02")
    got = reasons(v)
    assert sorted(got) == [4, 5]  # no 13th month; Chinese numerals are not read
    assert got[4] == ["joined_at='2024年13月1日' is not a valid date/time (use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)"]


def test_load_summary_columns_stay_apart_at_a_million_owners():
    """22,096,565 interactions (the 1M demo) is wider than the old fixed 10-character column:
    the printed read/loaded/rejected counts ran together ("22,096,56522,096,565")."""
    import re

    counts = pd.DataFrame({"table": ["owners", "interactions"], "source_file": ["owners.csv", "interactions.csv"],
                           "read": [1_000_000, 22_096_565], "loaded": [1_000_000, 22_096_565], "rejected": [0, 0]})
    for lang in ("en", "zh"):
        text = LoadReport(store=":memory:", counts=counts, rejects=pd.DataFrame()).format(lang)
        row = next(line for line in text.splitlines() if line.startswith("interactions"))
        assert re.findall(r"[\d,]+", row.split("interactions.csv")[0].replace("interactions", "")) == \
            ["22,096,565", "22,096,565", "0"], row
        total = text.splitlines()[len(counts) + 2]
        assert total.split()[1:] == ["23,096,565", "23,096,565", "0"], total
