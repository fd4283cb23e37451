"""A load reads, validates and lets go of one table at a time (loaders.iter_sources into
validate): the same frames, counts, rejects and errors as validating the whole dict, and never
two raw tables held at once."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import graphcrm
from graphcrm.contract import TABLES
from graphcrm.errors import InputFileError
from graphcrm.loaders import Mapping, iter_sources, read_sources, validate
from graphcrm.loaders._memory import load_memory_pool

NOW = "2026-01-01"

FILES = {
    "owners.csv": "owner_id,name,city,joined_at,is_volunteer,points\n"
                  "o1,张三,上海,2023-01-06,true,100\no2,李四,上海,2023-02-30,false,5\n"
                  "o3,王五,北京,2023-05-03,maybe,0\no1,重复,上海,2023-01-06,true,1\no4,赵六,北京,,,\n",
    "events.csv": "event_id,title,kind,city,starts_at,capacity\ne1,咖啡,meetup,上海,2024-03-02 10:00:00,20\n"
                  "e2,自驾,drive,北京,2024-03-09 09:00:00,-3\n",
    "posts.csv": "post_id,author_id,created_at,channel\np1,o1,2024-03-03 12:00:00,车友圈\n"
                 "p2,o2,2024-03-04 12:00:00,动态\np3,o9,2024-03-04 12:00:00,动态\n",
    "referrals.csv": "referrer_id,referee_id,referred_at,stage\no1,o4,2023-01-01,delivered\no1,o4,2023-01-02,lead\n"
                     "o2,o3,2023-01-01,lead\n",
    "attendance.csv": "event_id,owner_id,role,checked_in\ne1,o1,organizer,true\ne1,o2,,\ne2,o3,attendee,false\n"
                      "e3,o4,attendee,true\n",
    "interactions.csv": "owner_id,post_id,kind,created_at\no4,p1,like,2024-03-03 13:00:00\n"
                        "o4,p1,like,2024-03-03 13:00:00\no3,p1,comment,2024-03-01 09:00:00\n"
                        "o4,p2,share,2024-03-05 09:00:00\no1,p3,like,2024-03-05 09:00:00\no1,p1,like\n",
}


def _folder(tmp_path: Path, files: dict[str, str] = FILES) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    for name, text in files.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


def test_stream_validates_exactly_like_the_whole_dict(tmp_path):
    d = _folder(tmp_path)
    whole = validate(read_sources(d, mapping=Mapping())[0], now=NOW)
    it, ignored = iter_sources(d, mapping=Mapping())
    assert ignored == []
    one = validate(it, now=NOW)
    assert set(whole.frames) == set(one.frames) == set(TABLES)
    for name in TABLES:
        pd.testing.assert_frame_equal(whole.frames[name], one.frames[name], check_exact=True)
    pd.testing.assert_frame_equal(whole.counts, one.counts)
    pd.testing.assert_frame_equal(whole.rejects, one.rejects)
    assert whole.normalized_ids == one.normalized_ids
    assert whole.ignored_columns == one.ignored_columns
    # the hand-checked parts: rows in = loaded + rejected, and the reasons
    assert (one.counts["read"] == one.counts["loaded"] + one.counts["rejected"]).all()
    reasons = one.rejects["reason"].tolist()
    assert "duplicate key (owner_id) first seen at row 2" in reasons
    assert any(r.startswith("author_id='o9'") or "unknown author_id='o9'" in r for r in reasons)
    assert "owner_id='o2': that owners row was rejected in this load" in reasons
    assert "interaction dated before its post was created" in reasons
    assert dict(zip(one.counts["table"], one.counts["loaded"])) == {
        "owners": 2, "events": 1, "posts": 1, "referrals": 1, "attendance": 1, "interactions": 1}


def test_stream_never_holds_two_raw_tables(tmp_path):
    d = _folder(tmp_path)
    it, _ = iter_sources(d, mapping=Mapping())
    taken = []

    def watch():
        for src in it:
            # every table handed out before this one has been let go of
            assert all(len(s.frame) == 0 for s in taken), [s.table for s in taken if len(s.frame)]
            taken.append(src)
            yield src

    validate(watch(), now=NOW)
    assert [s.table for s in taken] == list(TABLES)
    assert all(len(s.frame) == 0 for s in taken)


def test_missing_columns_in_two_files_named_together(tmp_path):
    files = dict(FILES)
    files["posts.csv"] = "post_id,created_at\np1,2024-03-03 12:00:00\n"
    files["interactions.csv"] = "owner_id,kind\no1,like\n"
    d = _folder(tmp_path, files)
    with pytest.raises(InputFileError) as whole:
        validate(read_sources(d, mapping=Mapping())[0], now=NOW)
    with pytest.raises(InputFileError) as one:
        validate(iter_sources(d, mapping=Mapping())[0], now=NOW)
    assert str(one.value) == str(whole.value)
    assert "posts.csv" in str(one.value) and "interactions.csv" in str(one.value)


def test_a_bad_later_file_loads_nothing(tmp_path):
    files = dict(FILES)
    files["interactions.csv"] = "owner_id,post_id,post_id,created_at\no1,p1,p2,2024-03-03 13:00:00\n"  # a header twice
    d = _folder(tmp_path, files)
    store = tmp_path / "s.duckdb"
    rejects = tmp_path / "rejects.csv"
    with pytest.raises(InputFileError):
        graphcrm.open(store).load(d, now=NOW, rejects_path=rejects, progress=False)
    assert not store.exists() and not rejects.exists()
    # a store that held data before: unchanged
    (tmp_path / "g").mkdir()
    good = _folder(tmp_path / "g")
    cg = graphcrm.open(store)
    cg.load(good, now=NOW, rejects_path=rejects, progress=False)
    before = {n: cg.store.table(n) for n in TABLES}
    with pytest.raises(InputFileError):
        cg.load(d, now=NOW, rejects_path=tmp_path / "r2.csv", progress=False)
    for n in TABLES:
        pd.testing.assert_frame_equal(before[n], cg.store.table(n))
    assert not (tmp_path / "r2.csv").exists()


def test_out_of_order_stream_is_refused(tmp_path):
    d = _folder(tmp_path)
    sources = read_sources(d, mapping=Mapping())[0]
    with pytest.raises(ValueError, match="contract order"):
        validate(iter([sources["posts"], sources["owners"]]), now=NOW)


def test_load_memory_pool_is_restored_and_arrays_survive():
    before = pa.default_memory_pool().backend_name
    with load_memory_pool():
        arr = pa.array(np.arange(1000))
    assert pa.default_memory_pool().backend_name == before
    assert arr.to_numpy().sum() == 999 * 1000 // 2


def test_first_load_plain_insert_equals_the_upsert_path(tmp_path):
    """A table with nothing stored is written by a plain INSERT; a table holding rows by the
    update + anti-join path: the same rows either way (contract defaults for blanks included)."""
    d = _folder(tmp_path)
    fresh = graphcrm.open(tmp_path / "a.duckdb")
    fresh.load(d, now=NOW, rejects_path=tmp_path / "ra.csv", progress=False)
    held = graphcrm.open(tmp_path / "b.duckdb")
    seed = {"owners": pd.DataFrame({"owner_id": ["zz"]}), "events": pd.DataFrame({"event_id": ["ezz"], "kind": ["meetup"], "starts_at": ["2024-01-01"]}),
            "posts": pd.DataFrame({"post_id": ["pzz"], "author_id": ["zz"], "created_at": ["2024-01-01"]}),
            "referrals": pd.DataFrame({"referrer_id": ["zz"], "referee_id": ["zz"], "referred_at": ["2024-01-01"],
                                      "stage": ["lead"]}),
            "attendance": pd.DataFrame({"event_id": ["ezz"], "owner_id": ["zz"]}),
            "interactions": pd.DataFrame({"owner_id": ["zz"], "post_id": ["pzz"], "kind": ["like"],
                                          "created_at": ["2024-01-02"]})}
    held.load(seed, now=NOW, rejects_path=tmp_path / "rs.csv", progress=False)
    held.load(d, now=NOW, rejects_path=tmp_path / "rb.csv", progress=False)
    for name, t in TABLES.items():
        a = fresh.store.table(name)
        b = held.store.table(name)
        zz = np.zeros(len(b), dtype=bool)
        for k in t.key:
            zz |= b[k].isin(["zz", "ezz", "pzz"]).to_numpy()
        assert zz.sum() == 1, name
        pd.testing.assert_frame_equal(a, b[~zz].reset_index(drop=True), check_exact=True)
    assert fresh.store.table("owners").set_index("owner_id")["is_staff"].tolist() == [False, False]  # defaults
