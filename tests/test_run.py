"""``graphcrm run``, the weekly job in one process, end to end on a small demo: load, every
analysis, targets, report and write-back, with a progress bar per step; a second run on the
same data reuses the results kept in the store and writes back the same targets."""
from __future__ import annotations

import json

import pandas as pd

import pytest
from click.testing import CliRunner

import graphcrm
from graphcrm.cli import cli
from graphcrm.commands.run import WEEKLY
from graphcrm.demo import write_demo


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    folder = tmp / "exports"
    truth = write_demo(folder, 1_000, seed=3, weeks=52)
    store = tmp / "crm.duckdb"
    report = tmp / "out" / "weekly.html"
    report.parent.mkdir()
    res = CliRunner().invoke(cli, ["run", str(folder), "--store", str(store), "-o", str(report), "-k", "5",
                                   "--write-back", "week-1", "--seed", "1", "--progress",
                                   "--rejects", str(tmp / "rejects.csv")])
    return dict(tmp=tmp, folder=folder, truth=truth, store=store, report=report, res=res)


def _timings(output: str) -> dict[str, str]:
    """Step name -> the rest of its line in the timing table printed at the end."""
    rows = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[2] == "s":
            rows[parts[0]] = " ".join(parts[3:])
    return rows


def test_run_loads_analyses_reports_and_writes_back(job):
    res = job["res"]
    assert res.exit_code == 0, res.output + str(res.exception)
    steps = ["load", "community", *[n for n, _ in WEEKLY], "targets", "report", "write-back"]
    rows = _timings(res.stdout)
    assert list(rows) == steps  # every step, in order, timed
    # the load report comes first: all six tables read and loaded
    for table in ("owners", "referrals", "events", "attendance", "posts", "interactions"):
        assert any(line.startswith(table) for line in res.stdout.splitlines()), table
    # a progress bar on stderr, named by the step it is in
    assert "weekly job: load" in res.stderr and "weekly job: write-back" in res.stderr
    assert job["report"].exists() and job["report"].stat().st_size > 10_000
    assert "report written to" in res.stdout
    # write-back: the targets, one row per owner, under the campaign, every owner a real owner
    cg = graphcrm.open(job["store"])
    written = cg.store.read_results("targets")
    owners = set(cg.store.table("owners")["owner_id"])
    assert len(written) and set(written["campaign"]) == {"week-1"} and set(written["label"]) == {"Target"}
    assert written["owner_id"].is_unique and set(written["owner_id"]) <= owners
    assert rows["write-back"] == f"{len(written):,} written"
    # the ambassadors step ran with -k 5
    assert rows["ambassadors"] == "5 rows"
    # owner names and phone-like fields never appear in what the job prints
    names = cg.store.table("owners", columns=["name"])["name"].dropna().astype(str)
    assert not any(name in res.output for name in names.head(200) if len(name) >= 2)
    cg.close()


def test_second_run_reuses_kept_results_and_writes_the_same_targets(job):
    first = job["res"]
    assert first.exit_code == 0
    cg = graphcrm.open(job["store"])
    before = cg.store.read_results("targets").drop(columns=["written_at"])
    kept = cg.store.result_cache()
    cg.close()
    kept_names = {json.loads(k)[-1].split("{", 1)[0].removeprefix("result:") for k in kept["key"]}
    assert {n for n, _ in WEEKLY} <= kept_names  # every analysis was kept in the store
    res = CliRunner().invoke(cli, ["run", "--store", str(job["store"]), "-o", str(job["report"]), "-k", "5",
                                   "--write-back", "week-1", "--seed", "1", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert list(_timings(res.stdout))[0] == "community"  # no folder: no load
    assert res.stderr == ""  # --no-progress: no bar
    cg = graphcrm.open(job["store"])
    after = cg.store.read_results("targets").drop(columns=["written_at"])
    assert len(cg.store.result_cache()) == len(kept)  # reused, nothing new computed and kept
    cg.close()
    assert after.equals(before)


@pytest.fixture(scope="module")
def no_volunteers(tmp_path_factory):
    """A small demo whose owners table marks no one as a volunteer (as in real exports that
    carry no such flag: the Bitcoin OTC and Stack Exchange folders of bench/real_folders.py)."""
    folder = tmp_path_factory.mktemp("novol") / "exports"
    write_demo(folder, 1_000, seed=5, weeks=26)
    owners = pd.read_csv(folder / "owners.csv")
    assert owners["is_volunteer"].any()
    owners.assign(is_volunteer=False).to_csv(folder / "owners.csv", index=False)
    return folder


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_community_without_volunteers_runs_and_says_so(no_volunteers, tmp_path, jobs):
    report = tmp_path / "weekly.html"
    res = CliRunner().invoke(cli, ["run", str(no_volunteers), "--store", str(tmp_path / "s.duckdb"), "-o",
                                   str(report), "-k", "5", "--jobs", str(jobs), "--no-progress",
                                   "--rejects", str(tmp_path / "rejects.csv")])
    assert res.exit_code == 0, res.output + str(res.exception)
    rows = _timings(res.stdout)
    assert list(rows) == ["load", "community", *[n for n, _ in WEEKLY], "targets", "report"]  # every step ran
    assert rows["volunteer_candidates"] == ("skipped: no volunteers (is_volunteer) among non-staff owners: "
                                            "nothing to learn from")
    assert rows["contribution"].endswith(" rows") and rows["owner_levels"].endswith(" rows")  # the steps after it ran
    html = report.read_text(encoding="utf-8")
    assert 'id="volunteers" data-status="unavailable"' in html and "no volunteers (is_volunteer)" in html
    targets = pd.read_csv(tmp_path / "weekly-csv" / "targets.csv")
    assert len(targets) and "volunteer_invite" not in set(targets["program"])
    assert {"ambassador", "referral_reward"} <= set(targets["program"])


def test_without_volunteers_the_chinese_job_says_so_in_chinese(no_volunteers, tmp_path):
    res = CliRunner().invoke(cli, ["run", str(no_volunteers), "--store", str(tmp_path / "s.duckdb"), "-o",
                                   str(tmp_path / "w.html"), "-k", "5", "--jobs", "1", "--no-progress",
                                   "--lang", "zh", "--rejects", str(tmp_path / "rejects.csv")])
    assert res.exit_code == 0, res.output + str(res.exception)
    assert _timings(res.stdout)["volunteer_candidates"] == "已跳过：非员工车主中没有志愿者（`is_volunteer`）：无从学习"
    # the report's section says why in Chinese too (it gave the English text inside the Chinese note)
    html = (tmp_path / "w.html").read_text(encoding="utf-8")
    section = html[html.index('id="volunteers" data-status="unavailable"'):][:1500]
    assert "非员工车主中没有志愿者" in section and "no volunteers" not in section


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_owners_only_export_runs_and_the_report_says_what_it_cannot_do(tmp_path, jobs):
    # the smallest export a brand may start with: three owners, no activity at all.  The
    # report's backtest, computed ahead by the job, has nothing to backtest: the job goes on
    # and the report's section says why
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "owners.csv").write_text("owner_id,city\no1,Shanghai\no2,Beijing\no3,Shanghai\n", encoding="utf-8")
    report = tmp_path / "weekly.html"
    res = CliRunner().invoke(cli, ["run", str(folder), "--store", str(tmp_path / "s.duckdb"), "-o", str(report),
                                   "--jobs", str(jobs), "--no-progress", "--rejects", str(tmp_path / "rejects.csv")])
    assert res.exit_code == 0, res.output + str(res.exception)
    assert list(_timings(res.stdout))[-1] == "report"
    html = report.read_text(encoding="utf-8")
    assert 'id="backtest" data-status="unavailable"' in html and "nothing to backtest" in html
    assert 'id="volunteers" data-status="unavailable"' in html
