"""The campaign file: read and checked (clear errors naming the file and the problem), and the
same picks in the report, ``cg.ambassadors`` and ``cg.targets`` with the same file."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import graphcrm
from graphcrm.campaign_file import read_campaign_file, read_ids
from graphcrm.errors import ConfigError, InputFileError
from tests._report_data import demo_store

FULL = """
name = "winter-2026"
seed = 3

[ambassadors]
k = 6
eps = 0.2
per_city = 2
mc_runs = 200

[exclude]
owner_ids = ["O000163", "NOPE-1"]
files = ["rewarded.csv"]

[targets]
programs = ["ambassador", "volunteer_invite", "reactivation"]
volunteer_k = 7
reactivation_k = 9
quiet_days = 60
drift_options = { period = "45D", min_drop = 0.6 }

[holdout]
share = 0.2
window_days = 21
start = "2026-12-07"
"""


def _write(tmp_path: Path, text: str, name: str = "campaign.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_read_full_file(tmp_path):
    (tmp_path / "rewarded.csv").write_text("owner_id,note\nO000873,x\nO000163,again\n", encoding="utf-8")
    f = read_campaign_file(_write(tmp_path, FULL))
    assert f.name == "winter-2026" and f.seed == 3 and f.k == 6
    assert f.exclude == ("O000163", "NOPE-1", "O000873")  # inline then files, de-duplicated
    assert f.ambassador_options() == {"k": 6, "eps": 0.2, "per_city": 2, "mc_runs": 200,
                                      "exclude": ["O000163", "NOPE-1", "O000873"], "seed": 3}
    t = f.target_options()
    assert t["ambassadors_k"] == 6 and t["campaign"] == "winter-2026" and t["seed"] == 3
    assert t["drift_options"] == {"period": "45D", "min_drop": 0.6} and t["quiet_days"] == 60
    assert t["ambassador_options"] == {"eps": 0.2, "per_city": 2, "mc_runs": 200,
                                       "exclude": ["O000163", "NOPE-1", "O000873"]}
    assert t["exclude"] == ["O000163", "NOPE-1", "O000873"] and t["volunteer_k"] == 7
    assert f.holdout == {"share": 0.2, "window_days": 21, "start": "2026-12-07"}
    check = f.check_exclusions(["O000163", "O000873", "O000001"])
    assert (check.read, check.known, check.unknown) == (3, ("O000163", "O000873"), ("NOPE-1",))
    assert "3 ids read" in check.summary() and "1 unknown: NOPE-1" in check.summary()
    assert "3 个 ID" in check.summary("zh")


def test_costs_file_and_table(tmp_path):
    (tmp_path / "costs.csv").write_text("owner_id,cost\na,100\nb,250.5\n", encoding="utf-8")
    f = read_campaign_file(_write(tmp_path, '[ambassadors]\ncosts = "costs.csv"\nbudget = 300\n'))
    assert f.ambassadors["costs"] == {"a": 100.0, "b": 250.5} and f.ambassadors["budget"] == 300
    f = read_campaign_file(_write(tmp_path, "[ambassadors]\nbudget = 5\n[ambassadors.costs]\na = 1\nb = 2.5\n"))
    assert f.ambassadors["costs"] == {"a": 1.0, "b": 2.5}
    (tmp_path / "bad.csv").write_text("owner_id,cost\na,cheap\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"bad\.csv: row 2: cost 'cheap' is not a number"):
        read_campaign_file(_write(tmp_path, '[ambassadors]\ncosts = "bad.csv"\nbudget = 1\n'))


@pytest.mark.parametrize("text, error, match", [
    ("name = 'x'\nseed = = 1", InputFileError, r"not a valid campaign file \(TOML\).*line 2"),
    ("colour = 1", ConfigError, r"unknown key 'colour'"),
    ("[ambassadors]\nkk = 3", ConfigError, r"\[ambassadors\] has an unknown key 'kk'"),
    ("[ambassadors]\nk = 0", ConfigError, r"k must be at least 1"),
    ("[ambassadors]\nk = 2.5", ConfigError, r"k = 2.5 must be a whole number"),
    ("[ambassadors]\nper_city = true", ConfigError, r"per_city = True must be a whole number"),
    ("[targets]\ndrift_options = { periods = 3 }", ConfigError, r"\[targets.drift_options\] has an unknown key 'periods'"),
    ("[targets]\ndrift_options = { min_drop = \"a\" }", ConfigError, r"min_drop = 'a' must be a number"),
    ("[ambassadors]\nbudget = 10", ConfigError, r"costs and budget go together"),
    ("[targets]\nprograms = [\"ambassador\", \"vip\"]", ConfigError, r"unknown program\(s\) \['vip'\]"),
    ("[holdout]\nshare = 1.5", ConfigError, r"share must be between 0 and 1"),
    ("ambassadors = 3", ConfigError, r"ambassadors must be a table"),
    ("[exclude]\nfiles = [\"missing.csv\"]", InputFileError, r"missing\.csv: cannot read the id list"),
])
def test_bad_files_are_clear_errors(tmp_path, text, error, match):
    p = _write(tmp_path, text)
    with pytest.raises(error, match=match) as info:
        read_campaign_file(p)
    assert str(p) in str(info.value) or "missing.csv" in str(info.value)


def test_read_ids_formats(tmp_path):
    (tmp_path / "a.txt").write_text("\ufeff# approved by marketing\nO1\n\nO2\n", encoding="utf-8")
    assert read_ids(tmp_path / "a.txt") == ["O1", "O2"]
    (tmp_path / "b.csv").write_text("name,owner_id\nx,O3\ny,O4\n", encoding="utf-8")
    assert read_ids(tmp_path / "b.csv") == ["O3", "O4"]
    (tmp_path / "c.csv").write_text("name,id\nx,O3\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="none is called owner_id"):
        read_ids(tmp_path / "c.csv")
    with pytest.raises(InputFileError):
        read_campaign_file(tmp_path / "nope.toml")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return demo_store(tmp_path_factory.getbasetemp() / "report-demo")


def test_report_picks_equal_ambassadors_and_targets(tmp_path, store):
    """One file, one list: the report's ambassador table, ``cg.ambassadors(**ambassador_options())``
    and the ambassador rows of ``cg.targets(**target_options())`` hold the same owners in the same
    order; the excluded never appear; the exclusion check is shown."""
    (tmp_path / "rewarded.csv").write_text("owner_id\nO000873\n", encoding="utf-8")
    f = read_campaign_file(_write(tmp_path, FULL))
    with graphcrm.open(store) as cg:
        plain = cg.ambassadors(k=6, seed=3, mc_runs=0)["owner_id"].astype(str).tolist()
        direct = cg.ambassadors(**f.ambassador_options())["owner_id"].astype(str).tolist()
        tg = cg.targets(**f.target_options())
        path = cg.report(tmp_path / "r.html", campaign=f, progress=False, strict=True)
    via_targets = tg[tg["program"].astype(str) == "ambassador"]["owner_id"].astype(str).tolist()
    shown = pd.read_csv(tmp_path / "r-csv" / "ambassadors.csv", encoding="utf-8-sig", dtype={"owner_id": str})
    assert shown["owner_id"].tolist() == direct == via_targets
    assert len(direct) == 6
    assert {"O000163", "O000873"} & set(direct) == set()
    assert "O000163" in plain  # the exclusion changed the list (the check can fail)
    rep_targets = pd.read_csv(tmp_path / "r-csv" / "targets.csv", encoding="utf-8-sig", dtype={"owner_id": str})
    assert rep_targets["owner_id"].tolist() == tg["owner_id"].astype(str).tolist()
    assert set(rep_targets["campaign"]) == {"winter-2026"}
    assert rep_targets.groupby("program")["owner_id"].size().to_dict() == {"ambassador": 6, "volunteer_invite": 7,
                                                                           "reactivation": 9}
    text = path.read_text(encoding="utf-8")
    assert "3 ids read, 2 of them owners of this community; 1 unknown: NOPE-1" in text
    amb = text.split('id="ambassadors"', 1)[1].split("</section>", 1)[0]
    assert "Caps per city or circle lower the proven share" in amb  # why the guarantee is lower


def test_cli_report_campaign_file(tmp_path, store):
    from graphcrm.cli import cli

    (tmp_path / "rewarded.csv").write_text("owner_id\nO000873\n", encoding="utf-8")
    p = _write(tmp_path, FULL)
    res = CliRunner().invoke(cli, ["report", "--store", str(store), "-o", str(tmp_path / "c.html"),
                                   "--campaign-file", str(p), "--top", "5", "--csv-lang", "en", "--lang", "zh"])
    assert res.exit_code == 0, res.output
    assert "1 个未知：NOPE-1" in res.output and str(tmp_path / "c.html") in res.output  # written (message in --lang)
    f = read_campaign_file(p)
    with graphcrm.open(store) as cg:
        direct = cg.ambassadors(**f.ambassador_options())["owner_id"].astype(str).tolist()
    shown = pd.read_csv(tmp_path / "c-csv" / "ambassadors.csv", encoding="utf-8-sig", dtype={"owner_id": str})
    assert shown["owner_id"].tolist() == direct  # --csv-lang en keeps owner_id beside a zh report
    bad = _write(tmp_path, "[ambassadors]\nk = 0\n", "bad.toml")
    res = CliRunner().invoke(cli, ["report", "--store", str(store), "-o", str(tmp_path / "x.html"),
                                   "--campaign-file", str(bad)])
    assert res.exit_code == 1 and "k must be at least 1" in res.output and "Traceback" not in res.output
    assert re.search(r"bad\.toml", res.output)


def test_campaign_file_with_holdout_records_the_campaign(tmp_path, store):
    """A file with a name and a [holdout] table records the campaign like --campaign NAME --holdout."""
    import shutil

    from graphcrm.cli import cli

    mine = tmp_path / "mine.duckdb"
    shutil.copy(store, mine)
    p = _write(tmp_path, 'name = "file-camp"\n[targets]\nprograms = ["volunteer_invite"]\nvolunteer_k = 40\n'
                         '[holdout]\nshare = 0.25\nwindow_days = 14\n', "camp.toml")
    out = tmp_path / "treated.csv"
    res = CliRunner().invoke(cli, ["targets", "--store", str(mine), "--campaign-file", str(p), "-o", str(out)])
    assert res.exit_code == 0, res.output
    with graphcrm.open(mine) as cg:
        camps = cg.campaigns()
        assert "file-camp" in set(camps["name"])
        campaign, members = cg.campaign("file-camp")
    assert campaign.window_days == 14
    listed = set(pd.read_csv(out, encoding="utf-8-sig", dtype={"owner_id": str})["owner_id"])
    control = set(members.loc[members["group"] == "control", "owner_id"].astype(str))
    treated = set(members.loc[members["group"] == "treated", "owner_id"].astype(str))
    assert control and not (control & listed)  # the control group is never in the exported list
    assert listed == treated
    assert round(len(control) / len(members), 2) == 0.25
