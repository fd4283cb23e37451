"""Segments: the analysis runs on the whole community; the output keeps the segment's owners;
ambassadors/targets pick only segment owners; an empty segment names the values that exist."""
from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

import graphcrm
from graphcrm.errors import ConfigError
from graphcrm.segments import Segment, restrict

from tests.test_loading import GOOD, write


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    base = tmp_path_factory.mktemp("seg")
    store = str(base / "s.duckdb")
    with graphcrm.open(store) as cg:
        cg.load(write(base / "in", GOOD), rejects_path=base / "rej.csv", now="2026-01-01")
    return store


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from graphcrm.demo import generate_demo

    base = tmp_path_factory.mktemp("segdemo")
    store = str(base / "d.duckdb")
    with graphcrm.open(store) as cg:
        cg.load(generate_demo(1500, seed=3)[0], rejects_path=base / "rej.csv")
    return store


def test_segment_values_and_label():
    s = Segment(city=("上海,北京",), level="fan")
    assert s.city == ("上海", "北京") and s.level == ("fan",)
    assert s.label() == "city 上海, 北京; level fan"
    assert s.label("zh") == "城市 上海, 北京；等级 fan"
    assert Segment.coerce({}) is None and Segment.coerce(None) is None
    with pytest.raises(ConfigError, match="unknown field.*colour"):
        Segment.coerce({"colour": "red"})


def test_restrict_keeps_owner_rows_only():
    t = pd.DataFrame({"owner_id": ["a", "b", "c"], "x": [1, 2, 3]})
    assert restrict(t, {"a", "c"})["x"].tolist() == [1, 3]
    whole = pd.DataFrame({"circle": [0, 1]})
    assert restrict(whole, {"a"}) is whole


def test_kocs_segment_is_the_whole_run_filtered(small):
    with graphcrm.open(small) as cg:
        every = cg.kocs()
        sh = cg.kocs(segment={"city": ["上海"]})
    # o1, o2 live in 上海 (o3 is staff, left out of the KOC ranking anyway)
    assert set(sh["owner_id"]) == {"o1", "o2"} & set(every["owner_id"])
    # scores are those of the whole-community run (influence crosses segments)
    merged = sh.merge(every, on="owner_id", suffixes=("", "_all"))
    assert (merged["score"] == merged["score_all"]).all()


def test_empty_segment_names_existing_values(small):
    with graphcrm.open(small) as cg:
        with pytest.raises(ConfigError, match=r"no owner has city '上海x'; cities: 上海 \(2\), 北京 \(2\)"):
            cg.kocs(segment={"city": ["上海x"]})
        with pytest.raises(ConfigError, match="no owner is in the segment city 上海; region 华北"):
            cg.kocs(segment=Segment(city=("上海",), region=("华北",)))


def test_ambassadors_pick_k_segment_owners(demo):
    with graphcrm.open(demo) as cg:
        owners = cg.table("owners")
        city = owners["city"].value_counts().index[1]  # not the largest city
        in_city = set(owners.loc[owners["city"] == city, "owner_id"])
        whole = cg.ambassadors(k=5, mc_runs=0)
        seg = cg.ambassadors(k=5, mc_runs=0, segment={"city": city})
    assert len(seg) == 5 and set(seg["owner_id"]) <= in_city
    # not just the in-city part of the community-wide picks
    assert len(set(whole["owner_id"]) & in_city) < 5


def test_levels_segment(demo):
    with graphcrm.open(demo) as cg:
        lv = cg.owner_levels()
        fans = cg.owner_levels(segment={"level": "fan"})
        assert len(fans) == (lv["level"] == "fan").sum() > 0
        with pytest.raises(ConfigError, match="no owner has level 'fam'; levels: "):
            cg.owner_levels(segment={"level": "fam"})


def test_cli_segment_options(small):
    from graphcrm.cli import cli

    r = CliRunner().invoke(cli, ["kocs", "--store", small, "--city", "上海", "--format", "csv"])
    assert r.exit_code == 0, r.output
    ids = [ln.split(",")[0] for ln in r.stdout.splitlines()[1:]]
    assert ids and set(ids) <= {"o1", "o2"}
    assert "segment: city 上海" in r.stderr
    r = CliRunner().invoke(cli, ["kocs", "--store", small, "--city", "上海x"])
    assert r.exit_code == 1 and "cities: 上海 (2), 北京 (2)" in r.output
