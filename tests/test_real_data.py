"""Loading real public community data from ../shared/data (skipped when the folder is absent)."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import graphcrm

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
RSVP = DATA / "meetup_rsvp_stream_2017" / "meetup_rsvps_anonymized.csv"

MAPPING = """
# the Meetup RSVP export, described to graphcrm: members are owners, RSVPs are attendance
[attendance]
file = "rsvps.csv"
[attendance.columns]
"member_id" = "owner_id"
"event_id" = "event_id"
"response" = "checked_in"
[attendance.values.checked_in]
"yes" = "true"
"no" = "false"
"""


def _meetup_folder(tmp_path: Path) -> tuple[pd.DataFrame, Path]:
    """The raw RSVPs and a folder of them: owners and events derived from the export (as a CRM
    would hold them); attendance is the raw file, described by :data:`MAPPING`."""
    raw = pd.read_csv(RSVP, dtype=str)
    folder = tmp_path / "meetup"
    folder.mkdir()
    owners = raw.groupby("member_id").agg(city=("group_city", "first")).reset_index().rename(columns={"member_id": "owner_id"})
    owners.to_csv(folder / "owners.csv", index=False)
    events = raw.groupby("event_id").agg(ms=("event_time_ms", "first"), city=("group_city", "first")).reset_index()
    events["starts_at"] = pd.to_datetime(events.pop("ms").astype("int64"), unit="ms").dt.strftime("%Y-%m-%d %H:%M:%S")
    events.to_csv(folder / "events.csv", index=False)
    raw.to_csv(folder / "rsvps.csv", index=False)
    (folder / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    return raw, folder


@pytest.mark.skipif(not RSVP.exists(), reason=f"real data folder absent: {RSVP}")
def test_meetup_rsvps_load_with_full_accounting(tmp_path):
    raw, folder = _meetup_folder(tmp_path)
    cg = graphcrm.open(tmp_path / "m.duckdb")
    r = cg.load(folder, mapping=folder / "mapping.toml", rejects_path=tmp_path / "rej.csv", now="2026-01-01")
    counts = r.counts.set_index("table")
    assert (counts["read"] == counts["loaded"] + counts["rejected"]).all()
    assert counts.loc["owners", "loaded"] == raw["member_id"].nunique() == 2136
    assert counts.loc["events", "loaded"] == raw["event_id"].nunique() == 2232
    # members who changed their RSVP appear twice for one event: the later rows are duplicates
    n_pairs = raw[["event_id", "member_id"]].drop_duplicates().shape[0]
    assert counts.loc["attendance", "loaded"] == n_pairs
    assert counts.loc["attendance", "rejected"] == len(raw) - n_pairs
    assert set(r.rejects["reason"].str.extract(r"^(duplicate key)")[0].dropna()) == {"duplicate key"}
    assert r.ignored_columns["attendance"]  # group_urlname etc. are reported, not silently dropped
    # the co-attendance graph of real RSVPs (yes only) has the expected pairs
    g = cg.graph("coattendance")
    att = cg.table("attendance")
    yes = att[att["checked_in"]]
    sizes = yes.groupby("event_id").size()
    assert g.ecount() <= int((sizes * (sizes - 1) / 2).sum())
    assert g.ecount() > 0 and g.vcount() == 2136


@pytest.mark.skipif(not RSVP.exists(), reason=f"real data folder absent: {RSVP}")
def test_the_weekly_job_on_real_rsvps_has_no_failed_section(tmp_path):
    # the job as a user runs it on a real export of events only (no posts, referrals, volunteers):
    # every step runs, and every report section is either built or says why it cannot be
    from click.testing import CliRunner

    from graphcrm.cli import cli

    _, folder = _meetup_folder(tmp_path)
    report = tmp_path / "weekly.html"
    res = CliRunner().invoke(cli, ["run", str(folder), "--mapping", str(folder / "mapping.toml"), "--store",
                                   str(tmp_path / "s.duckdb"), "-o", str(report), "--jobs", "1", "--no-progress",
                                   "--rejects", str(tmp_path / "rejects.csv")])
    assert res.exit_code == 0, res.output + str(res.exception)
    html = report.read_text(encoding="utf-8")
    statuses = re.findall(r'data-status="([a-z]+)"', html)
    assert statuses and "failed" not in statuses
    assert 'id="regulars" data-status="ok"' in html  # 20 regulars: members at events in 2+ months
