"""CLI output: library defaults shown (never restated), -o files with a BOM, JSON with a summary,
tables fitted to the terminal, --quiet, Chinese headers and errors, one campaign file, one list."""
from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner

import graphcrm
from graphcrm.cli import cli
from graphcrm.commands.options import LibraryOption, _for_people, library_function, source_default

from tests.test_cli import all_commands
from tests.test_loading import GOOD, write


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    base = tmp_path_factory.mktemp("out")
    store = str(base / "s.duckdb")
    with graphcrm.open(store) as cg:
        cg.load(write(base / "in", GOOD), rejects_path=base / "rej.csv", now="2026-01-01")
    return store


def library_options():
    for path, cmd in all_commands(cli):
        for p in cmd.params:
            if isinstance(p, LibraryOption):
                yield path, cmd, p


def test_library_options_show_the_library_default():
    found = list(library_options())
    assert len(found) >= 15  # kocs, circles, volunteers, levels, targets, movement, ambassadors ...
    for path, cmd, opt in found:
        name, param = opt.library
        assert opt.default is None, f"{path} {opt.name} restates a default"
        if type(opt).library_default is LibraryOption.library_default:
            module, func = library_function(name)
            want = inspect.signature(getattr(importlib.import_module(module), func)).parameters[param].default
            assert opt.library_default() == want
            # read from the source, not the imported function (a command's --help imports no analysis)
            assert source_default(module, func, param) == want, (path, opt.name)
        else:  # a subclass that looks its default up itself
            want = opt.library_default()
        shown = opt.shown(want) if opt.shown else ("none" if want is None else str(want))
        text = " ".join(CliRunner().invoke(cli, [*path, "--help"], terminal_width=400).output.split())
        assert re.search(rf"\[default: {re.escape(shown)}[;\]]", text), (path, opt.name, shown)


def test_option_not_given_is_not_passed(small, monkeypatch):
    """Without --half-life the library's own default applies (nothing restated in the CLI)."""
    seen = {}
    from graphcrm import api

    real = api._AnalysisMethod.run

    def spy(self, obj, since, until, segment, options):
        seen[self.name] = dict(options)
        return real(self, obj, since, until, segment, options)

    monkeypatch.setattr(api._AnalysisMethod, "run", spy)
    assert CliRunner().invoke(cli, ["levels", "--store", small]).exit_code == 0
    assert "half_life_days" not in seen["owner_levels"]
    assert CliRunner().invoke(cli, ["levels", "--store", small, "--half-life", "0"]).exit_code == 0
    assert seen["owner_levels"]["half_life_days"] is None  # 0 = no decay


def test_output_file_has_a_bom_stdout_does_not(small, tmp_path):
    out = tmp_path / "k.csv"
    r = CliRunner().invoke(cli, ["levels", "--store", small, "-o", str(out), "--format", "csv", "-n", "1"])
    assert r.exit_code == 0, r.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(out, encoding="utf-8-sig")
    assert len(back) == 3  # every non-staff owner, not just the -n 1 rows shown
    assert not r.stdout.startswith("\ufeff") and len(r.stdout.strip().splitlines()) == 2
    assert "3 rows written to" in r.stderr
    # the store itself is never an output
    r = CliRunner().invoke(cli, ["levels", "--store", small, "-o", small])
    assert r.exit_code == 1


def test_json_carries_the_summary(small):
    r = CliRunner().invoke(cli, ["circles", "--store", small, "--format", "json"])
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert set(body) == {"summary", "rows"}
    assert body["summary"]["n_circles"] == len([x for x in body["rows"] if x["circle"] != -1]) or body["rows"]


def test_table_fits_the_width_and_rounds():
    df = pd.DataFrame({"owner_id": ["O1", "O2"], "score": [61.61234, 0.0123456],
                       "reason": ["a very long reason " * 10, "short"]})
    show = _for_people(df, "en", 60)
    text = show.to_string(index=False)
    assert all(len(line) <= 60 for line in text.splitlines()), text
    assert "…" in text and "61.61" in text and "0.0123" in text and "61.6123" not in text
    zh = _for_people(df, "zh", None)
    assert "原因" in " ".join(zh.columns) or list(zh.columns) != list(df.columns)


def test_quiet_and_chinese_errors(small):
    r = CliRunner().invoke(cli, ["levels", "--store", small])
    assert "owners per level" in r.stdout
    r = CliRunner().invoke(cli, ["-q", "levels", "--store", small])
    assert r.exit_code == 0 and "owners per level" not in r.stdout
    r = CliRunner().invoke(cli, ["levels", "--store", small, "--city", "上海x", "--lang", "zh"])
    assert r.exit_code == 1 and "\n错误：没有车主的城市为 '上海x'" in r.output
    r = CliRunner().invoke(cli, ["levels", "--store", small, "--city", "上海", "--lang", "zh"])
    assert "细分：城市 上海" in r.output


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Path:
    from tests._report_data import demo_store as build

    return build(tmp_path_factory.getbasetemp() / "report-demo")


def test_campaign_file_same_picks_in_ambassadors_targets_report(demo_store, tmp_path):
    (tmp_path / "c.toml").write_text('name = "w"\nseed = 2\n[ambassadors]\nk = 5\nper_city = 2\nmc_runs = 0\n'
                                     '[exclude]\nowner_ids = ["O000163", "NOPE-1"]\n'
                                     '[targets]\nprograms = ["ambassador"]\n', encoding="utf-8")
    f = str(tmp_path / "c.toml")
    store = str(demo_store)
    r = CliRunner().invoke(cli, ["ambassadors", "--store", store, "--campaign-file", f, "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert "2 ids read, 1 of them owners of this community; 1 unknown: NOPE-1" in r.stderr
    amb = pd.read_csv(pd.io.common.StringIO(r.stdout), dtype={"owner_id": str})["owner_id"].tolist()
    r = CliRunner().invoke(cli, ["targets", "--store", store, "--campaign-file", f, "--format", "csv", "-n", "0"])
    assert r.exit_code == 0, r.output
    assert "1 unknown: NOPE-1" in r.stderr
    tg = pd.read_csv(pd.io.common.StringIO(r.stdout), dtype={"owner_id": str})
    assert tg["program"].eq("ambassador").all()
    r = CliRunner().invoke(cli, ["report", "--store", store, "-o", str(tmp_path / "r.html"), "--campaign-file", f])
    assert r.exit_code == 0, r.output
    shown = pd.read_csv(tmp_path / "r-csv" / "ambassadors.csv", encoding="utf-8-sig", dtype={"owner_id": str})
    assert len(amb) == 5 and "O000163" not in amb
    assert amb == tg["owner_id"].tolist() == shown["owner_id"].tolist()


def test_ambassadors_budget_caps_and_skipped_check(demo_store, tmp_path):
    owners = graphcrm.open(str(demo_store)).table("owners")["owner_id"].astype(str)
    costs = tmp_path / "costs.csv"
    pd.DataFrame({"owner_id": owners, "cost": 100.0}).to_csv(costs, index=False)
    r = CliRunner().invoke(cli, ["ambassadors", "--store", str(demo_store), "-k", "4", "--costs", str(costs),
                                 "--budget", "250", "--per-city", "1", "--mc-runs", "0", "--format", "json"])
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    n = len(body["rows"])
    assert n == 2  # 100 each within 250
    s = body["summary"]
    assert s["mc_check"] == "skipped" and "Monte Carlo check skipped" in r.stderr
    assert s["cost"] == 200.0 and s["budget_left"] == 50.0 and s["budget_used_share"] == pytest.approx(0.8)
    assert "cost 200 of budget 250 (80% used, 50 left)" in r.stderr
    cities = [row["city"] for row in body["rows"]]
    assert s["caps_bound"] == [f"per_city 1 bound in {', '.join(sorted(set(cities)))}"]
    assert "approximation" in s and "guarantee" in s


def test_no_command_declares_an_option_twice():
    for path, cmd in all_commands(cli):
        opts = [o for p in cmd.params for o in getattr(p, "opts", [])]
        assert len(opts) == len(set(opts)), (path, sorted(o for o in opts if opts.count(o) > 1))


def test_targets_segment_picks_in_segment(demo_store):
    owners = graphcrm.open(str(demo_store)).table("owners")
    city = "北京"
    in_city = set(owners.loc[owners["city"] == city, "owner_id"].astype(str))
    r = CliRunner().invoke(cli, ["targets", "--store", str(demo_store), "--city", city, "--program", "ambassador",
                                 "--ambassadors", "3", "--format", "csv", "-n", "0"])
    assert r.exit_code == 0, r.output
    tg = pd.read_csv(pd.io.common.StringIO(r.stdout), dtype={"owner_id": str})
    assert len(tg) == 3 and set(tg["owner_id"]) <= in_city
