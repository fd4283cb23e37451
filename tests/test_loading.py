"""Loading: every validation rule, encodings, mapping, idempotency, incrementality, atomicity."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import graphcrm
from graphcrm.contract import TABLE_NAMES
from graphcrm.errors import InputFileError, MappingError, StoreError

NOW = "2026-01-01"

OWNERS = """owner_id,name,city,region,car_model,purchased_at,joined_at,is_volunteer,is_staff,marketing_opt_out,points,contribution
o1,张三,上海,华东,ES6,2023-01-05,2023-01-06,true,false,false,100,10
o2,李四,上海,华东,ET5,2023-03-01,2023-03-02,false,false,false,50,5
o3,王五,北京,华北,ES8,2023-05-01,2023-05-03,false,true,false,0,0
o4,赵六,北京,华北,EC6,2024-02-01,2024-02-01,false,false,true,,
"""
EVENTS = """event_id,title,kind,city,starts_at,capacity
e1,上海 周末咖啡,meetup,上海,2024-03-02 10:00:00,20
e2,北京 自驾,drive,北京,2024-03-09 09:00:00,30
"""
ATTENDANCE = """event_id,owner_id,role,checked_in
e1,o1,organizer,true
e1,o2,,
e1,o3,attendee,false
e2,o3,attendee,true
e2,o4,volunteer,true
"""
POSTS = """post_id,author_id,created_at,channel
p1,o1,2024-03-03 12:00:00,车友圈
p2,o2,2024-03-04 12:00:00,动态
"""
INTERACTIONS = """owner_id,post_id,kind,created_at
o2,p1,like,2024-03-03 13:00:00
o2,p1,comment,2024-03-03 13:05:00
o3,p1,share,2024-03-04 09:00:00
o1,p2,like,2024-03-05 08:00:00
o2,p2,like,2024-03-05 09:00:00
"""
REFERRALS = """referrer_id,referee_id,referred_at,stage
o1,o2,2023-02-01,delivered
o2,o4,2023-12-01,order
"""
GOOD = {"owners": OWNERS, "events": EVENTS, "attendance": ATTENDANCE, "posts": POSTS,
        "interactions": INTERACTIONS, "referrals": REFERRALS}


def write(folder: Path, tables: dict[str, str], encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_bytes(text.encode(encoding))
    return folder


def snapshot(cg) -> dict[str, pd.DataFrame]:
    return {n: cg.table(n) for n in TABLE_NAMES}


def assert_same(a: dict, b: dict) -> None:
    for n in TABLE_NAMES:
        pd.testing.assert_frame_equal(a[n].reset_index(drop=True), b[n].reset_index(drop=True), check_dtype=False)


@pytest.fixture
def cg(tmp_path):
    with graphcrm.open(tmp_path / "store.duckdb") as c:
        yield c


def load(cg, folder, **kw):
    kw.setdefault("now", NOW)
    kw.setdefault("rejects_path", folder.parent / "rejects.csv")
    r = cg.load(folder, **kw)
    # rows in = rows loaded + rows rejected, always
    assert (r.counts["read"] == r.counts["loaded"] + r.counts["rejected"]).all()
    rejected_rows = r.rejects.groupby("table")["row"].nunique() if len(r.rejects) else pd.Series(dtype=int)
    for row in r.counts.itertuples():
        assert rejected_rows.get(row.table, 0) == row.rejected
    return r


def test_good_folder_loads_everything(cg, tmp_path):
    r = load(cg, write(tmp_path / "in", GOOD))
    assert r.rejected == 0 and r.rejects_path is None
    assert dict(zip(r.counts["table"], r.counts["loaded"])) == {
        "owners": 4, "events": 2, "posts": 2, "referrals": 2, "attendance": 5, "interactions": 5}
    att = cg.table("attendance").set_index(["event_id", "owner_id"])
    assert att.loc[("e1", "o2"), "role"] == "attendee"          # default role
    assert bool(att.loc[("e1", "o2"), "checked_in"]) is True      # default checked_in
    owners = cg.table("owners").set_index("owner_id")
    assert owners.loc["o1", "city"] == "上海" and bool(owners.loc["o3", "is_staff"])
    assert pd.isna(owners.loc["o4", "points"])


# ---- each validation rule, with a file that breaks it --------------------------------------
CASES = [
    # (table, bad row appended, column, reason fragment)
    ("owners", ",nobody,上海,,,,,,,,,", "owner_id", "missing required value"),
    ("owners", "o1,dup,上海,,,,,,,,,", "owner_id", "duplicate key (owner_id) first seen at row 2"),
    ("owners", "o9,x,上海,,,2023-02-30,,,,,,", "purchased_at", "not a valid date"),
    ("owners", "o9,x,上海,,,2099-01-01,,,,,,", "purchased_at", "in the future"),
    ("owners", "o9,x,上海,,,1960-01-01,,,,,,", "purchased_at", "before 1970"),
    ("owners", "o9,x,上海,,,,,maybe,,,,", "is_volunteer", "not a yes/no value"),
    ("owners", "o9,x,上海,,,,,,,,lots,", "points", "not a number"),
    ("events", "e9,t,meetup,上海,2024-01-01,-5", "capacity", "negative"),
    ("events", "e9,t,meetup,上海,,10", "starts_at", "missing required value"),
    ("referrals", "o1,o3,2024-01-01,bought", "stage", "not one of lead|test_drive|order|delivered"),
    ("referrals", "ghost,o3,2024-01-01,lead", "referrer_id", "unknown referrer_id='ghost'"),
    ("attendance", "e404,o1,attendee,true", "event_id", "unknown event_id='e404'"),
    ("attendance", "e1,o1,dancer,true", "role", "not one of attendee|organizer|volunteer|host"),
    ("posts", "p9,ghost,2024-03-03 12:00:00,动态", "author_id", "unknown author_id='ghost'"),
    ("interactions", "o1,p404,like,2024-03-05 08:00:00", "post_id", "unknown post_id='p404'"),
    ("interactions", "o1,p2,love,2024-03-05 08:00:00", "kind", "not one of like|comment|share|reply|favorite"),
    ("interactions", "o3,p2,like,2024-03-01 08:00:00", "created_at", "before its post was created"),
    ("interactions", "o2,p1,like,2024-03-03 13:00:00", "owner_id,post_id,kind,created_at", "duplicate key"),
]


@pytest.mark.parametrize("table,row,column,reason", CASES, ids=[f"{c[0]}-{c[3][:25]}" for c in CASES])
def test_each_validation_rule(cg, tmp_path, table, row, column, reason):
    tables = dict(GOOD)
    tables[table] = tables[table] + row + "\n"
    r = load(cg, write(tmp_path / "in", tables))
    bad = r.rejects
    assert r.rejected == 1, bad
    hit = bad[(bad["table"] == table) & (bad["column"] == column)]
    assert len(hit) == 1 and reason in hit["reason"].iat[0], bad.to_dict("records")
    n_data_rows = tables[table].strip().count("\n")  # header is row 1, so the last row's number
    assert hit["row"].iat[0] == n_data_rows + 1
    assert hit["source_file"].iat[0].endswith(f"{table}.csv")
    assert json.loads(hit["values"].iat[0])  # original values kept
    # the rejects file names file, row, column and reason
    rej = pd.read_csv(r.rejects_path, encoding="utf-8-sig")
    assert list(rej.columns) == ["table", "source_file", "row", "column", "reason", "values"]
    assert len(cg.table(table)) == tables[table].strip().count("\n") - 1


def test_all_problems_collected_and_cascade(cg, tmp_path):
    tables = dict(GOOD)
    # o5 is rejected for a bad date; its referral, post and the interaction on that post follow it
    tables["owners"] += "o5,x,上海,,,2023-13-01,,,,,,\n"
    tables["referrals"] += "o5,o3,2024-01-01,lead\no1,o3,2024-01-01,nope\n"
    tables["posts"] += "p5,o5,2024-03-03 12:00:00,动态\n"
    tables["interactions"] += "o1,p5,like,2024-03-05 08:00:00\n"
    r = load(cg, write(tmp_path / "in", tables))
    per = dict(zip(r.counts["table"], r.counts["rejected"]))
    assert per == {"owners": 1, "events": 0, "posts": 1, "referrals": 2, "attendance": 0, "interactions": 1}
    reasons = " | ".join(r.rejects["reason"])
    assert "owner_id='o5': that owners row was rejected" in reasons.replace("referrer_id", "owner_id").replace("author_id", "owner_id")
    assert "post_id='p5': that posts row was rejected" in reasons


def test_missing_required_column_refuses_file_and_writes_nothing(cg, tmp_path):
    load(cg, write(tmp_path / "a", GOOD))
    before = snapshot(cg)
    tables = dict(GOOD)
    tables["interactions"] = INTERACTIONS.replace("kind,", "type,")
    with pytest.raises(InputFileError) as ei:
        cg.load(write(tmp_path / "b", tables), now=NOW)
    msg = str(ei.value)
    assert "interactions.csv" in msg and "kind" in msg and "mapping" in msg
    assert_same(before, snapshot(cg))


def test_undecodable_bytes_are_a_clear_error(cg, tmp_path):
    folder = write(tmp_path / "in", {"owners": OWNERS})
    (folder / "owners.csv").write_bytes(OWNERS.encode("utf-8") + b"o9,\xff\xfe\xfa\xfb\x80,x\n")
    with pytest.raises(InputFileError) as ei:
        cg.load(folder, now=NOW, encoding="utf-8")
    assert "owners.csv" in str(ei.value) and "--encoding" in str(ei.value)
    assert not (tmp_path / "store.duckdb").exists()  # a first load that fails leaves no store behind


def test_gb18030_detected_and_forced(cg, tmp_path):
    r = load(cg, write(tmp_path / "gbk", GOOD, encoding="gb18030"))
    assert r.rejected == 0
    assert cg.table("owners").set_index("owner_id").loc["o1", "name"] == "张三"
    assert cg.table("events").set_index("event_id").loc["e1", "title"] == "上海 周末咖啡"
    # forcing the encoding works too; a UTF-8 file with BOM is read as UTF-8
    with graphcrm.open(tmp_path / "b.duckdb") as cg2:
        assert load(cg2, write(tmp_path / "gbk2", GOOD, encoding="gb18030"), encoding="gbk").rejected == 0
        assert load(cg2, write(tmp_path / "bom", GOOD, encoding="utf-8-sig")).rejected == 0
        assert cg2.table("owners").columns[0] == "owner_id"


MAPPING = """
[owners]
file = "车主.csv"
[owners.columns]
"车主ID" = "owner_id"
"姓名" = "name"
"城市" = "city"
"是否志愿者" = "is_volunteer"
[interactions]
file = "互动.csv"
[interactions.columns]
"用户ID" = "owner_id"
"帖子ID" = "post_id"
"互动类型" = "kind"
"时间" = "created_at"
[interactions.values.kind]
"点赞" = "like"
"评论" = "comment"
"转发" = "share"
[posts.columns]
"帖子ID" = "post_id"
"作者ID" = "author_id"
"发布时间" = "created_at"
"""


def test_mapping_with_chinese_headers_and_values(cg, tmp_path):
    folder = tmp_path / "cn"
    folder.mkdir()
    (folder / "车主.csv").write_bytes("车主ID,姓名,城市,是否志愿者,手机号\nA1,张三,合肥,是,13800000000\nA2,李四,合肥,否,13900000000\n".encode("gb18030"))
    (folder / "posts.csv").write_text("帖子ID,作者ID,发布时间\nP1,A1,2024/5/1 10:00\n", encoding="utf-8-sig")
    (folder / "互动.csv").write_text("用户ID,帖子ID,互动类型,时间\nA2,P1,点赞,2024-05-01 11:00\nA2,P1,转发,2024-05-01 11:05\nA2,P1,收藏夹,2024-05-01 11:06\n", encoding="utf-8")
    (folder / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    r = load(cg, folder, mapping=folder / "mapping.toml")
    assert dict(zip(r.counts["table"], r.counts["loaded"])) == {"owners": 2, "posts": 1, "interactions": 2}
    assert r.rejects["reason"].str.contains("kind='收藏夹' is not one of").any()
    assert r.ignored_columns["owners"] == ["手机号"]          # phone column ignored, never stored
    assert "mapping.toml" in r.ignored_files
    owners = cg.table("owners").set_index("owner_id")
    assert bool(owners.loc["A1", "is_volunteer"]) and not bool(owners.loc["A2", "is_volunteer"])
    assert set(cg.table("interactions")["kind"]) == {"like", "share"}
    assert "13800000000" not in r.format()


def test_bad_mapping_is_a_clear_error(cg, tmp_path):
    p = tmp_path / "m.toml"
    p.write_text('[owners.columns]\n"ID" = "owner"\n[cars]\nfile="x"\n', encoding="utf-8")
    with pytest.raises(MappingError) as ei:
        cg.load(write(tmp_path / "in", GOOD), mapping=p)
    assert "'owner'" in str(ei.value) and "[cars]" in str(ei.value)


def test_double_load_equals_single_load(cg, tmp_path):
    folder = write(tmp_path / "in", GOOD)
    load(cg, folder)
    once = snapshot(cg)
    r2 = load(cg, folder)
    assert r2.rejected == 0
    assert_same(once, snapshot(cg))


def test_incremental_load_adds_and_updates(cg, tmp_path):
    load(cg, write(tmp_path / "a", GOOD))
    # a later export: one new owner, o2's city changed, a referral moved on to 'delivered'
    update = {
        "owners": "owner_id,city\no2,杭州\no5,杭州\n",
        "referrals": "referrer_id,referee_id,referred_at,stage\no2,o4,2023-12-01,delivered\no5,o3,2024-01-02,lead\n",
        "interactions": "owner_id,post_id,kind,created_at\no5,p1,like,2024-03-06 10:00:00\n",
    }
    r = load(cg, write(tmp_path / "b", update))
    assert r.rejected == 0
    owners = cg.table("owners").set_index("owner_id")
    assert len(owners) == 5
    assert owners.loc["o2", "city"] == "杭州"
    assert owners.loc["o2", "name"] == "李四"            # columns absent from the update keep their value
    assert owners.loc["o2", "car_model"] == "ET5"
    assert not bool(owners.loc["o5", "is_volunteer"])   # new rows take defaults
    ref = cg.table("referrals").set_index(["referrer_id", "referee_id"])
    assert len(ref) == 3 and ref.loc[("o2", "o4"), "stage"] == "delivered"
    assert len(cg.table("interactions")) == 6


def test_failed_load_leaves_store_unchanged(cg, tmp_path, monkeypatch):
    load(cg, write(tmp_path / "a", GOOD))
    before = snapshot(cg)
    update = {"owners": "owner_id,city\no2,杭州\no7,杭州\n",
              "interactions": "owner_id,post_id,kind,created_at\no7,p1,like,2024-03-06 10:00:00\n"}
    # make the write of the second table fail midway through the transaction
    import graphcrm.stores.duckdb_store as ds

    real = ds._for_duckdb
    calls = {"n": 0}

    def failing(df):
        calls["n"] += 1
        if calls["n"] == 2:
            import duckdb
            raise duckdb.IOException("disk full (simulated)")
        return real(df)

    monkeypatch.setattr(ds, "_for_duckdb", failing)
    with pytest.raises(StoreError) as ei:
        cg.load(write(tmp_path / "b", update), now=NOW)
    assert "rolled back" in str(ei.value)
    assert calls["n"] == 2
    assert_same(before, snapshot(cg))


def test_parquet_and_frames_load_the_same(cg, tmp_path):
    folder = write(tmp_path / "csv", GOOD)
    frames = {n: pd.read_csv(folder / f"{n}.csv", dtype=str, keep_default_na=False) for n in GOOD}
    pq = tmp_path / "pq"
    pq.mkdir()
    for n, df in frames.items():
        df.to_parquet(pq / f"{n}.parquet")
    load(cg, folder)
    a = snapshot(cg)
    for src in (pq, frames):
        with graphcrm.open(":memory:") as other:
            r = other.load(src, now=NOW)
            assert r.rejected == 0
            assert_same(a, snapshot(other))


def test_future_dates_relative_to_now(cg, tmp_path):
    tables = {"owners": "owner_id,joined_at\na,2025-06-01\n"}
    r = cg.load(write(tmp_path / "in", tables), now="2025-01-01", rejects_path=tmp_path / "r.csv")
    assert r.rejected == 1 and "in the future" in r.rejects["reason"].iat[0]


def test_unknown_folder_and_empty_folder(cg, tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        cg.load(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputFileError, match="owners.csv"):
        cg.load(tmp_path / "empty")


def test_store_env_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRAPHCRM_STORE", raising=False)
    with graphcrm.open() as cg:
        assert cg.store.uri == "graphcrm.duckdb"
    monkeypatch.setenv("GRAPHCRM_STORE", str(tmp_path / "env.duckdb"))
    with graphcrm.open() as cg:
        assert cg.store.uri.endswith("env.duckdb")
        assert not (tmp_path / "env.duckdb").exists()  # created by the first load, not by opening
        cg.load({"owners": pd.DataFrame({"owner_id": ["a"]})})
    assert (tmp_path / "env.duckdb").exists()


def test_duplicate_keys_of_several_columns_and_posts_time():
    """A repeated four-column interaction key is rejected pointing at its first row; a row that
    differs in one key column is not a duplicate; an interaction before its post is rejected."""
    import numpy as np
    import pandas as pd

    from graphcrm.loaders import Source, validate

    owners = pd.DataFrame({"owner_id": ["a", "b"]})
    posts = pd.DataFrame({"post_id": ["p1", "p2"], "author_id": ["a", "b"],
                          "created_at": ["2024-01-01 00:00:00", "2024-02-01 00:00:00"]})
    inter = pd.DataFrame({"owner_id": ["b", "b", "b", "a", "b"], "post_id": ["p1", "p1", "p1", "p2", "p2"],
                          "kind": ["like", "like", "share", "like", "like"],
                          "created_at": ["2024-01-02 00:00:00", "2024-01-02 00:00:00", "2024-01-02 00:00:00",
                                         "2024-01-15 00:00:00", "2024-02-03 00:00:00"]})
    src = {n: Source(n, f, f"<{n}>", np.arange(len(f)) + 2) for n, f in
           (("owners", owners), ("posts", posts), ("interactions", inter))}
    v = validate(src, now="2025-01-01")
    rej = v.rejects[v.rejects["table"] == "interactions"].sort_values("row")
    assert rej["row"].tolist() == [3, 5]
    assert rej["reason"].tolist() == ["duplicate key (owner_id, post_id, kind, created_at) first seen at row 2",
                                      "interaction dated before its post was created"]
    assert len(v.frames["interactions"]) == 3


def test_release_frees_the_raw_values_and_changes_nothing_else():
    """``validate(..., release=True)`` (what a load uses) gives the same frames, counts and rejects
    and leaves each source's frame empty with its columns."""
    import numpy as np
    import pandas as pd

    from graphcrm.loaders import Source, validate

    def sources():
        owners = pd.DataFrame({"owner_id": ["a", "b", "b", ""], "city": ["上海", "北京", "x", "y"]})
        refs = pd.DataFrame({"referrer_id": ["a", "zz"], "referee_id": ["b", "a"], "referred_at": ["2024-01-01", "2024-01-02"],
                             "stage": ["order", "lead"]})
        return {n: Source(n, f, f"<{n}>", np.arange(len(f)) + 2) for n, f in (("owners", owners), ("referrals", refs))}

    keep, free = sources(), sources()
    a, b = validate(keep, now="2025-01-01"), validate(free, now="2025-01-01", release=True)
    assert len(a.rejects) == 3
    pd.testing.assert_frame_equal(a.rejects, b.rejects)
    pd.testing.assert_frame_equal(a.counts, b.counts)
    for name in a.frames:
        pd.testing.assert_frame_equal(a.frames[name], b.frames[name])
        assert len(keep[name].frame) > 0 and len(free[name].frame) == 0
        assert list(free[name].frame.columns) == list(keep[name].frame.columns)


def test_dates_parsed_in_arrow_agree_with_the_pandas_parser():
    """The arrow fast path (YYYY-MM-DD HH:MM:SS and YYYY-MM-DD) keeps only texts that print back
    the same: 2024-02-30 is no date (arrow alone would roll it over to March), 24:00:00 neither;
    other spellings still go through pandas."""
    import numpy as np
    import pyarrow as pa

    from graphcrm.loaders.validate import _parse_text_dates

    texts = ["2024-01-02 10:00:00", "2024-02-30 00:00:00", "2024-12-31 24:00:00", "2024-05-01",
             "2024-1-2 3:4:5", "2024/5/1 10:00", "2024-05-01T08:30:00", "today", None]
    got = _parse_text_dates(pa.array(texts), np.array([t is not None for t in texts]))
    want = ["2024-01-02T10:00:00", "NaT", "NaT", "2024-05-01T00:00:00", "2024-01-02T03:04:05",
            "2024-05-01T10:00:00", "2024-05-01T08:30:00", "NaT", "NaT"]
    assert [str(x)[:19] if not np.isnat(x) else "NaT" for x in got] == want
