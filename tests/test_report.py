"""The HTML community report: self-contained, every section present (or a visible note), CSVs,
escaping of hostile strings, hand-checked headline numbers, the CLI and the progress helper."""
from __future__ import annotations

import html
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import graphcrm
from graphcrm.community import Community
from graphcrm.errors import AnalysisError, ConfigError, ResultContractError
from graphcrm.reports import charts
from graphcrm.reports import headline as hl
from graphcrm.reports import html as rh
from tests._report_data import HOSTILE, HOSTILE_ID, HOSTILE_TITLE, PII_NAME, demo_reports, demo_store

SECTIONS = [k for k, _ in rh.SECTIONS]


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    return demo_reports(tmp_path_factory.getbasetemp() / "report-demo")


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <style> blocks."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data


def _parse(path: Path) -> tuple[str, _Tags]:
    text = path.read_text(encoding="utf-8")
    p = _Tags()
    p.feed(text)
    return text, p


def _section_status(text: str) -> dict[str, str]:
    return dict(re.findall(r'<section class="card sec-(\w+) st-\w+" id="\w+" data-status="(\w+)"', text))


# ---------------------------------------------------------------------------------------------
# the demo report
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_self_contained(reports, lang):
    text, p = _parse(reports[lang])
    external = re.compile(r"^\s*(https?:|//|ftp:)", re.I)
    for tag, attrs in p.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed"), tag
        for k, v in attrs.items():
            assert not k.startswith("on"), (tag, k)
            if k in ("src", "href", "xlink:href", "srcset", "action", "poster", "data"):
                assert not external.match(v or ""), (tag, k, v)
    assert "@import" not in p.style and not re.search(r"url\(\s*['\"]?(https?:|//)", p.style)
    assert "@font-face" not in p.style  # no web fonts: the browser's own fonts draw every label
    assert not re.search(r"url\(\s*['\"]?(https?:|//)", text)
    assert text.count("<svg") >= 8  # charts are inline SVG


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_section_present_or_noted(reports, lang):
    text = reports[lang].read_text(encoding="utf-8")
    status = _section_status(text)
    assert list(status) == SECTIONS
    for key in SECTIONS:  # every analysis ships: every section runs on the demo community
        assert status[key] == "ok", (key, status[key])
    # the action list comes first
    assert SECTIONS[0] == "actions" and text.index('id="actions"') < text.index('id="headline"')
    # each analysis section that ran has its chart(s)
    for key in ("headline", "kocs", "circles", "referrals", "integrity", "ambassadors", "volunteers", "levels"):
        if status[key] == "ok":
            body = text.split(f'id="{key}"', 1)[1].split("</section>", 1)[0]
            assert '<figure class="chart' in body and "<svg" in body, key


def test_language(reports):
    en = reports["en"].read_text(encoding="utf-8")
    zh = reports["zh"].read_text(encoding="utf-8")
    assert '<html lang="en">' in en and '<html lang="zh-CN">' in zh
    assert "Community report" in en and "车主社区报告" in zh
    # Chinese chart labels are SVG text (the browser's CJK fonts draw them), not paths
    assert re.search(r"<text[^>]*>[^<]*每周活跃车主", zh)
    assert re.search(r"<text[^>]*>[^<]*大使人数", zh) or _section_status(zh)["ambassadors"] != "ok"
    assert "font-family" in zh and "Noto Sans CJK SC" in zh
    assert "每周活跃车主" not in en


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_hostile_strings_escaped(reports, lang):
    text, p = _parse(reports[lang])
    assert HOSTILE not in text
    assert "<img" not in text and "onerror" not in text.replace("onerror=alert(2)&gt;", "")
    assert HOSTILE_TITLE not in text
    assert html.escape(HOSTILE) in text  # the city is shown, escaped (tables and SVG labels)
    # the planted KOC with the hostile id is on the leaderboard, escaped
    if _section_status(text)["kocs"] == "ok":
        assert html.escape(HOSTILE_ID) in text
    assert not any(tag in ("script", "img") for tag, _ in p.tags)


def test_no_owner_names(reports, tmp_path_factory):
    store = demo_store(tmp_path_factory.getbasetemp() / "report-demo")
    with graphcrm.open(store) as cg:
        names = cg.table("owners")["name"].dropna().astype(str)
    names = [n for n in names if len(n) >= 3][:300] + [PII_NAME]
    assert len(names) > 10
    for lang in ("en", "zh"):
        text = reports[lang].read_text(encoding="utf-8")
        leaked = [n for n in names if n in text]
        assert not leaked, leaked[:5]
        csv_dir = reports[lang].with_name(f"{reports[lang].stem}-csv")
        for f in csv_dir.glob("*.csv"):
            assert "name" not in pd.read_csv(f, encoding="utf-8-sig", nrows=0).columns, f


def test_csvs(reports, tmp_path_factory):
    path = reports["en"]
    csv_dir = path.with_name("report-en-csv")
    text = path.read_text(encoding="utf-8")
    status = _section_status(text)
    expected = {"headline", "weekly_activity"}
    expected |= {"kocs"} if status["kocs"] == "ok" else set()
    expected |= {"circles", "circle_members", "circle_ties"} if status["circles"] == "ok" else set()
    expected |= {"referral_chains", "referral_trees"} if status["referrals"] == "ok" else set()
    expected |= {"referral_issues"} if status["integrity"] == "ok" else set()
    expected |= {"ambassadors", "spread_curve"} if status["ambassadors"] == "ok" else set()
    expected |= {"volunteer_candidates", "volunteer_pipeline"} if status["volunteers"] == "ok" else set()
    expected |= {"owner_levels", "level_summary", "closest_to_next_level"} if status["levels"] == "ok" else set()
    expected |= {"targets", "targets_ambassador", "targets_reactivation"} if status["targets"] == "ok" else set()
    expected |= {"drifting_owners", "rising_stars", "level_transitions", "new_owner_cohort"} \
        if status["movement"] == "ok" else set()
    expected |= {f"action_{a}" for a in rh.ACTIONS}
    written = {f.stem for f in csv_dir.glob("*.csv")}
    assert expected <= written
    for name in written:
        raw = (csv_dir / f"{name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name  # UTF-8 with BOM: Excel shows Chinese correctly
        assert f'href="report-en-csv/{name}.csv"' in text  # linked from the report
    store = demo_store(tmp_path_factory.getbasetemp() / "report-demo")
    if status["kocs"] == "ok":
        kocs = pd.read_csv(csv_dir / "kocs.csv", encoding="utf-8-sig", dtype={"owner_id": str})
        with graphcrm.open(store) as cg:
            assert len(kocs) == len(cg.kocs())  # every row, not just the top shown
        assert HOSTILE_ID in set(kocs["owner_id"])  # raw value in the CSV (it is data, not HTML)
    head = pd.read_csv(csv_dir / "headline.csv", encoding="utf-8-sig")
    assert list(head["metric"][:6]) == ["owners", "active_owners", "events", "interactions", "referred_share",
                                        "volunteers"]
    with graphcrm.open(store) as cg:
        assert head.set_index("metric").loc["owners", "current"] == len(cg.table("owners"))


def test_cli_report_window(tmp_path, tmp_path_factory):
    store = demo_store(tmp_path_factory.getbasetemp() / "report-demo")
    from graphcrm.cli import cli

    out = tmp_path / "weekly" / "r.html"
    res = CliRunner().invoke(cli, ["report", "--store", str(store), "-o", str(out), "--lang", "zh",
                                   "--since", "2026-08-01", "--until", "2026-09-30", "--csv-dir", str(tmp_path / "tables"),
                                   "-k", "5", "--top", "5"])
    assert res.exit_code == 0, res.output
    assert "报告已写入" in res.output  # --lang zh: the line for people is Chinese too
    text = out.read_text(encoding="utf-8")
    assert "2026-08-01 – 2026-09-30" in text and "2026-06-01 – 2026-07-31" in text  # previous 61 days
    assert (tmp_path / "tables" / "headline.csv").exists()
    assert 'href="../tables/headline.csv"' in text
    bad = CliRunner().invoke(cli, ["report", "--store", str(store), "-o", str(tmp_path / "x.html"),
                                   "--since", "2026-09-30", "--until", "2026-08-01"])
    assert bad.exit_code == 1 and "after" in bad.output


# ---------------------------------------------------------------------------------------------
# sections light up, notes otherwise
# ---------------------------------------------------------------------------------------------
class _FakeCG:
    def __init__(self, exc: Exception):
        self.exc = exc

    def kocs(self, **_):
        raise self.exc


def _ctx(cg, strict=False):
    return rh._Ctx(cg=cg, lang="en", since=None, until=None, seed=0, k=3, top=5, csv_dir=Path("."), csv_href="",
                   strict=strict)


def test_section_notes():
    sec = rh._run_section(_ctx(_FakeCG(AnalysisError("no volunteers to learn from"))), "kocs", "sec_koc")
    assert sec.status == "unavailable" and "no volunteers" in sec.note
    sec = rh._run_section(_ctx(_FakeCG(ZeroDivisionError("boom"))), "kocs", "sec_koc")
    assert sec.status == "failed" and "ZeroDivisionError" in sec.note
    with pytest.raises(ZeroDivisionError):
        rh._run_section(_ctx(_FakeCG(ZeroDivisionError("boom")), strict=True), "kocs", "sec_koc")
    # a result that breaks its declaration is a bug in graphcrm: failed (re-raised when strict), not "unavailable"
    sec = rh._run_section(_ctx(_FakeCG(ResultContractError("kocs: missing column"))), "kocs", "sec_koc")
    assert sec.status == "failed" and "missing column" in sec.note
    with pytest.raises(ResultContractError):
        rh._run_section(_ctx(_FakeCG(ResultContractError("x")), strict=True), "kocs", "sec_koc")
    note = rh._note("missing", "<x>")
    assert "&lt;x&gt;" in note and "note-missing" in note


def test_report_on_tiny_community_notes(tmp_path):
    """A community without events, posts or volunteers: sections that cannot run say why."""
    owners = pd.DataFrame({"owner_id": ["a", "b", "c"], "joined_at": ["2024-01-01", "2024-02-01", "2024-03-01"]})
    refs = pd.DataFrame({"referrer_id": ["a"], "referee_id": ["b"], "referred_at": ["2024-01-15"], "stage": ["order"]})
    with graphcrm.open(tmp_path / "tiny.duckdb") as cg:
        cg.load({"owners": owners, "referrals": refs})
        path = cg.report(tmp_path / "tiny.html", progress=False, ambassadors_k=2)
    text = path.read_text(encoding="utf-8")
    status = _section_status(text)
    assert list(status) == SECTIONS
    assert status["headline"] == "ok"
    assert status["volunteers"] == "unavailable"  # no volunteers: AnalysisError, shown as a note
    for key, st in status.items():
        assert st in ("ok", "unavailable"), (key, st)
        if st != "ok":
            body = text.split(f'id="{key}"', 1)[1].split("</section>", 1)[0]
            assert 'class="note note-' in body


def test_bad_options(tmp_path):
    with graphcrm.open(tmp_path / "e.duckdb") as cg:
        with pytest.raises(ConfigError):
            cg.report(tmp_path / "x.html", lang="fr")
        with pytest.raises(ConfigError):
            cg.report(tmp_path / "x.html", ambassadors_k=0)
        with pytest.raises(ConfigError, match="unknown report section"):
            cg.report(tmp_path / "x.html", sections=["kocs", "horoscope"])


def test_sections_subset(tmp_path):
    owners = pd.DataFrame({"owner_id": ["a", "b", "c"], "joined_at": ["2024-01-01", "2024-02-01", "2024-03-01"]})
    refs = pd.DataFrame({"referrer_id": ["a"], "referee_id": ["b"], "referred_at": ["2024-01-15"], "stage": ["order"]})
    with graphcrm.open(tmp_path / "s.duckdb") as cg:
        cg.load({"owners": owners, "referrals": refs})
        path = cg.report(tmp_path / "s.html", progress=False, sections=["integrity", "actions", "headline"])
    status = _section_status(path.read_text(encoding="utf-8"))
    assert list(status) == ["actions", "headline", "integrity"]  # in the report's order
    text = path.read_text(encoding="utf-8")
    assert 'data-action="decide_findings" data-count="0"' in text  # from the integrity section built
    assert 'data-action="brief_ambassadors" data-count=""' in text  # targets not built: said so


# ---------------------------------------------------------------------------------------------
# headline numbers, checked by hand
# ---------------------------------------------------------------------------------------------
def _tiny() -> Community:
    owners = pd.DataFrame({
        "owner_id": ["a", "b", "c", "d", "e"],
        "joined_at": ["2024-01-01", "2024-03-10", "2024-03-20", "2024-02-15", "2024-04-05"],
        "is_volunteer": [True, False, False, False, False],
    })
    posts = pd.DataFrame({"post_id": ["p1", "p2"], "author_id": ["a", "c"],
                          "created_at": ["2024-03-15", "2024-02-20"]})
    inter = pd.DataFrame({"owner_id": ["b", "d"], "post_id": ["p1", "p2"], "kind": ["like", "comment"],
                          "created_at": ["2024-03-16", "2024-02-21"]})
    events = pd.DataFrame({"event_id": ["e1", "e2"], "starts_at": ["2024-03-05", "2024-02-10"]})
    att = pd.DataFrame({"event_id": ["e1", "e1", "e2"], "owner_id": ["a", "b", "c"],
                        "role": ["organizer", "attendee", "attendee"], "checked_in": [True, True, False]})
    refs = pd.DataFrame({"referrer_id": ["a", "a"], "referee_id": ["b", "d"],
                         "referred_at": ["2024-03-01", "2024-02-01"], "stage": ["order", "lead"]})
    return Community.from_frames({"owners": owners, "posts": posts, "interactions": inter, "events": events,
                                  "attendance": att, "referrals": refs})


def test_headline_by_hand():
    c = _tiny()
    cur, prev, explicit = hl.periods(c.tables, c.as_of, "2024-03-01", "2024-03-31")
    assert explicit
    assert cur.start == pd.Timestamp("2024-03-01") and cur.end.floor("s") == pd.Timestamp("2024-03-31 23:59:59")
    assert prev.start == pd.Timestamp("2024-01-30") and prev.end.floor("s") == pd.Timestamp("2024-02-29 23:59:59")
    assert round(cur.days) == round(prev.days) == 31
    df = hl.headline(c.tables, cur, prev).set_index("metric")
    # owners joined by the end: a b c d now (e joins in April), a d before
    assert (df.loc["owners", "current"], df.loc["owners", "previous"]) == (4, 2)
    assert df.loc["owners", "change"] == pytest.approx(1.0)
    # active: a (post, event, referral), b (like, event) now; a (referral), c (post), d (comment) before;
    # c's unchecked-in attendance does not count
    assert (df.loc["active_owners", "current"], df.loc["active_owners", "previous"]) == (2, 3)
    assert df.loc["active_owners", "change"] == pytest.approx(2 / 3 - 1)
    assert (df.loc["events", "current"], df.loc["events", "previous"]) == (1, 1)
    assert (df.loc["interactions", "current"], df.loc["interactions", "previous"]) == (1, 1)
    # new owners: b (referred) and c now -> 50%; d (referred) before -> 100%; change in points
    assert df.loc["referred_share", "current"] == pytest.approx(0.5)
    assert df.loc["referred_share", "previous"] == pytest.approx(1.0)
    assert df.loc["referred_share", "change"] == pytest.approx(-50.0)
    assert (df.loc["new_owners", "current"], df.loc["new_referred", "current"]) == (2, 1)
    assert (df.loc["volunteers", "current"], df.loc["volunteers", "previous"]) == (1, 1)
    assert (df.loc["volunteers_led", "current"], df.loc["volunteers_led", "previous"]) == (1, 0)


def test_default_period_is_last_30_days():
    c = _tiny()
    cur, prev, explicit = hl.periods(c.tables, c.as_of)
    assert not explicit
    assert cur.end == c.as_of == pd.Timestamp("2024-04-05")
    assert cur.days == pytest.approx(30) and prev.days == pytest.approx(30)
    assert prev.end < cur.start and (cur.start - prev.end) == pd.Timedelta(microseconds=1)
    only_since = hl.periods(c.tables, c.as_of, "2024-03-01")[0]
    assert only_since.end == c.as_of


def test_weekly_series():
    c = _tiny()
    wk = hl.weekly(c.tables, pd.Timestamp("2024-03-31 23:59:59.999999"), weeks=6)
    assert list(wk.columns) == ["week", "active", "new_referred", "new_other"]
    assert (wk["week"].dt.day_of_week == 0).all()
    w = wk.set_index("week")
    assert len(w) == 6 and w.index[-1] == pd.Timestamp("2024-03-25")  # the week ending on Sunday 31st is complete
    # week of Monday 4 March: event e1 (a, b checked in); b joined on Sunday the 10th, referred
    assert tuple(w.loc[pd.Timestamp("2024-03-04")]) == (2, 1, 0)
    # week of 11 March: a's post (15th) and b's like (16th), nobody joined
    assert tuple(w.loc[pd.Timestamp("2024-03-11")]) == (2, 0, 0)
    # week of 18 March: c joined (not referred), no activity
    assert tuple(w.loc[pd.Timestamp("2024-03-18")]) == (0, 0, 1)
    # a week that is not over yet is left out
    assert hl.weekly(c.tables, pd.Timestamp("2024-03-27"), weeks=6)["week"].iloc[-1] == pd.Timestamp("2024-03-18")


# ---------------------------------------------------------------------------------------------
# charts and helpers
# ---------------------------------------------------------------------------------------------
def test_chart_svg_is_inline_and_escaped():
    charts.reset_ids()
    a = charts.hbar(["<script>x</script>", "上海"], [3, 1], title="车主 & <b>")
    charts.reset_ids()
    b = charts.hbar(["<script>x</script>", "上海"], [3, 1], title="车主 & <b>")
    assert a == b  # deterministic
    assert a.startswith("<svg") and "<?xml" not in a and "<!DOCTYPE" not in a
    assert "<script>" not in a and "&lt;script&gt;" in a and "车主 &amp; &lt;b&gt;" in a
    assert re.search(r"<text[^>]*>上海</text>", a)  # text kept as text, not glyph paths
    c = charts.hbar(["x"], [1], title="t")
    ids_a = set(re.findall(r'id="([^"]+)"', a))
    ids_c = set(re.findall(r'id="([^"]+)"', c))
    assert ids_a and not (ids_a & ids_c)  # unique ids across charts of one page


def test_progress_quiet_off_terminal(monkeypatch, capsys):
    from graphcrm import progress

    monkeypatch.delenv("GRAPHCRM_PROGRESS", raising=False)
    assert progress.enabled(None) is False  # pytest captures stderr: not a TTY
    assert progress.enabled(True) is True
    monkeypatch.setenv("GRAPHCRM_PROGRESS", "1")
    assert progress.enabled(None) is True
    monkeypatch.setenv("GRAPHCRM_PROGRESS", "0")
    assert progress.enabled(None) is False
    monkeypatch.delenv("GRAPHCRM_PROGRESS")
    with progress.steps(["a", "b"], desc="x") as step:
        step("a")
        step("b")
    assert list(progress.bar(range(3))) == [0, 1, 2]
    assert capsys.readouterr().err == ""
    buf = io.StringIO()
    monkeypatch.setattr("sys.stderr", buf)
    with progress.steps(["a", "b"], desc="shown", progress=True) as step:
        step("a")
        step("b")
    assert "shown" in buf.getvalue()


def test_store_shown_without_credentials():
    assert rh._safe_store("bolt://neo4j:secret@db.example:7687") == "bolt://db.example:7687"
    assert rh._safe_store("/home/someone/data/community.duckdb") == "community.duckdb"
    assert "secret" not in rh._safe_store("neo4j+s://u:secret@host")


# ---------------------------------------------------------------------------------------------
# "This week", legends, honest boxes, consistency
# ---------------------------------------------------------------------------------------------
def _actions(text: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-action="(\w+)" data-count="(\d+)"', text)}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_action_list_counts_equal_their_tables(reports, lang, tmp_path_factory):
    """Each action of "This week" counts exactly the rows of its table (computed here again
    through the API with the report's options), names its first owners and links its CSV."""
    text = reports[lang].read_text(encoding="utf-8")
    got = _actions(text)
    assert set(got) == set(rh.ACTIONS)  # every action present (the demo runs every analysis)
    store = demo_store(tmp_path_factory.getbasetemp() / "report-demo")
    with graphcrm.open(store) as cg:
        tg = cg.targets(ambassadors_k=30, seed=0, lang=lang)
        issues = cg.referral_issues(lang=lang)
        drift = cg.drifting_owners(lang=lang)
    by_program = tg["program"].astype(str).value_counts()
    want = {"invite_volunteers": by_program.get("volunteer_invite", 0),
            "reward_referrers": by_program.get("referral_reward", 0),
            "win_back_lapsed": by_program.get("reactivation", 0),
            "brief_ambassadors": by_program.get("ambassador", 0),
            "decide_findings": int(issues["kind"].astype(str).isin(["double_claim", "burst"]).sum()),
            "reactivate_drifting": len(drift)}
    assert got == {k: int(v) for k, v in want.items()}
    assert got["brief_ambassadors"] == 30 and got["decide_findings"] > 0 and got["win_back_lapsed"] > 0
    csv_dir = reports[lang].with_name(f"{reports[lang].stem}-csv")
    body = text.split('id="actions"', 1)[1].split("</section>", 1)[0]
    for key, n in got.items():
        rows = pd.read_csv(csv_dir / f"action_{key}.csv", encoding="utf-8-sig", dtype=str)
        assert len(rows) == n, key
        assert f"action_{key}.csv" in body
        first = rows.iloc[0, 0] if n else None  # owner_id (or 车主编号) comes first in every action table
        if n and key != "decide_findings":
            assert html.escape(str(first)) in body.split(f'data-action="{key}"', 1)[1].split("</li>", 1)[0]
    # the targets table is in the report, reactivation included
    tsec = text.split('id="targets"', 1)[1].split("</section>", 1)[0]
    assert 'id="tg-reactivation"' in tsec and "targets_reactivation.csv" in tsec


def test_every_table_has_a_legend_from_its_spec(reports):
    """Under every table a legend; the English meanings are the ResultSpec's words."""
    from graphcrm.analyses import spec

    text = reports["en"].read_text(encoding="utf-8")
    tables = re.findall(r'<table data-csv="([^"]*)">.*?</table></div>(<ul class="legend")?', text, flags=re.S)
    assert len(tables) >= 15
    assert all(legend for _, legend in tables), [name for name, legend in tables if not legend]
    for src in ("kocs.reach", "kocs.authority", "circle_profiles.density", "volunteer_candidates.score",
                "owner_levels.points_to_next", "targets.priority", "drifting_owners.activity_drop"):
        analysis, col = src.split(".")
        c = spec(analysis).column(col)
        assert html.escape(c.meaning) in text, src
        assert f"[{html.escape(c.unit)}]" in text, src
    # relative statements instead of raw scores: standing and multiples of the median
    koc = text.split('id="kocs"', 1)[1].split("</section>", 1)[0]
    assert re.search(r">top 0\.\d%<", koc) and re.search(r">\d+\.\d×<", koc)
    # the ambassadors' guarantee in words
    amb = text.split('id="ambassadors"', 1)[1].split("</section>", 1)[0]
    assert "certified ≥ 0." in amb and "best possible set" in amb


def test_top_share_and_times_median_by_hand():
    df = pd.DataFrame({"s": [10.0, 8.0, 8.0, 1.0], "x": [4.0, 2.0, 0.0, 1.0]})
    out = rh.times_median(rh.top_share(df, "s"), ["x"])
    assert list(out["standing"]) == ["top 25%", "top 75%", "top 75%", "top 100%"]  # ties share the lower place
    assert list(out["x_x"]) == ["2.0×", "1.0×", "0", "0.5×"]  # median of the positive values is 2


def _validation(auc, rec, k=50, hidden=8):
    from graphcrm.algorithms.volunteers import VolunteerValidation

    return VolunteerValidation(auc=auc, recall_at_k=rec, recall_at_k_no_role=rec, k=k, hidden=hidden, seed=0,
                               candidates=1000, masked_roles=0)


def test_validation_box_does_not_contradict_itself():
    """A high AUC beside a recall@k of 0 is not a green box: each figure is coloured by what it
    means, the box by the weaker one, and the text says which part is weak."""
    box = rh.validation_box(_validation(0.98, 0.0), "en")
    assert 'data-grade="poor"' in box and "vfig-good" in box and "vfig-poor" in box
    assert "catches few" in box and "0 of 8 hidden volunteers" in box
    good = rh.validation_box(_validation(0.95, 0.875), "en")
    assert 'data-grade="good"' in good and "both find volunteers" in good
    # recall is judged against what the top k can hold: 10 of 100 hidden in a top 10 is perfect
    capped = rh.validation_box(_validation(0.9, 0.1, k=10, hidden=100), "en")
    assert 'data-grade="good"' in capped and "at most 10%" in capped
    zh = rh.validation_box(_validation(0.98, 0.0), "zh")
    assert "前 50 名" in zh and 'data-grade="poor"' in zh


def test_closest_to_next_level_by_hand():
    df = pd.DataFrame({"owner_id": ["a", "b", "c", "d", "e"], "level_rank": [1, 1, 1, 2, 4],
                       "contribution": [20.0, 75.0, 79.0, 190.0, 400.0],
                       "next_level": ["fan", "fan", "fan", "advocate", ""],
                       "points_to_next": [60.0, 5.0, 0.0, 10.0, 0.0]})
    out = rh.closest_to_next(df)
    # c has the points (misses a step) and e is at the top: not "close"; b and d are
    assert list(out["owner_id"]) == ["b", "d", "a"]
    assert out["gap_share"].is_monotonic_increasing


def test_levels_closest_rows_are_close_and_distinct(reports):
    csv_dir = reports["en"].with_name("report-en-csv")
    close = pd.read_csv(csv_dir / "closest_to_next_level.csv", encoding="utf-8-sig", dtype={"owner_id": str})
    assert (close["points_to_next"] > 0).all()
    shown = close.head(10)
    assert shown["owner_id"].is_unique and shown["contribution"].nunique() > 1


def test_median_days_to_delivery_one_definition(reports, tmp_path_factory):
    """The report's chain table is referral_trees (what graphcrm referral-trees prints)."""
    from graphcrm.algorithms.referrals import referral_trees

    csv_dir = reports["en"].with_name("report-en-csv")
    shown = pd.read_csv(csv_dir / "referral_trees.csv", encoding="utf-8-sig", dtype={"root_id": str})
    store = demo_store(tmp_path_factory.getbasetemp() / "report-demo")
    with graphcrm.open(store) as cg:
        cli = referral_trees(cg.community())
    merged = shown.merge(cli, on="root_id")
    assert len(merged) == len(cli) == len(shown)
    pd.testing.assert_series_equal(merged["median_days_to_delivery_x"], merged["median_days_to_delivery_y"],
                                   check_names=False)
    assert (merged["chain_size"] == merged["size"]).all() and (merged["conversions_x"] == merged["conversions_y"]).all()
    text = reports["en"].read_text(encoding="utf-8")
    first = cli.iloc[0]
    sec = text.split('id="referrals"', 1)[1].split("</section>", 1)[0]
    row = sec.split(f">{first.root_id}<", 1)[1].split("</tr>", 1)[0]
    assert f">{first.median_days_to_delivery:.1f}<" in row  # one decimal, as the CLI prints it


def test_circle_map_labels_match_the_table(reports):
    text = reports["en"].read_text(encoding="utf-8")
    sec = text.split('id="circles"', 1)[1].split("</section>", 1)[0]
    table_labels = re.findall(r'<tr class="row"><td class="text">([^<]*)</td>', sec)
    svg = sec.split("<svg", 1)[1].split("</svg>", 1)[0]
    svg_text = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg)) + " " + " ".join(
        re.findall(r"<!-- ([^>]*?) -->", svg))
    assert table_labels
    # the largest circles carry their label on the map: the same text as in the table
    big = [lbl for lbl in table_labels[:3]]
    for lbl in big:
        head = html.unescape(lbl).split(" · ")[0]
        assert html.escape(head) in svg_text or head in html.unescape(svg_text), lbl
    # counts agree: the summary's number of circles = rows of the table; no-ties owners are not a circle
    n = int(re.search(r"([\d,]+) circles", sec).group(1).replace(",", ""))
    total = int(re.search(r"of ([\d,]+) rows", sec).group(1).replace(",", ""))
    assert n == total
    assert "no circle" not in " ".join(table_labels) and "#-1" not in sec


def test_owner_ids_in_a_font_where_O_and_0_differ(reports):
    text, p = _parse(reports["en"])
    mono = re.search(r"--mono:([^;}]*)", p.style).group(1)
    assert mono.split(",")[0].strip('"') in ("DejaVu Sans Mono", "Menlo", "Consolas")  # slashed or dotted zero
    assert re.search(r"\.oid\{[^}]*font-family:var\(--mono\)[^}]*slashed-zero", p.style)


def test_print_rules_lift_scroll_boxes(reports):
    _, p = _parse(reports["en"])
    m = re.search(r"@media print\{(.*)\}\s*$", p.style, flags=re.S)
    assert m and "max-height:none" in m.group(1) and "overflow:visible" in m.group(1)


def test_headline_frames_same_from_compact_codes_and_from_text():
    """The headline reads owner ids through the compact community's categorical codes; plain
    text columns (ids naming no owner included: a post by "ghost", a referral by "zz") give the
    same frames."""
    c = _tiny()
    t = {k: v.copy() for k, v in c.tables.items()}
    t["owners"]["city"] = ["上海", "上海", "北京", None, "北京"]
    text = {k: v.copy() for k, v in t.items()}
    for name, cols in (("interactions", ["owner_id"]), ("referrals", ["referrer_id", "referee_id"]),
                       ("attendance", ["owner_id"]), ("posts", ["author_id"])):
        for col in cols:
            text[name][col] = text[name][col].astype(str).astype(object)
    ghost = text["posts"].iloc[:1].assign(post_id="pg", author_id="ghost")
    text["posts"] = pd.concat([text["posts"], ghost], ignore_index=True)
    text["referrals"] = pd.concat([text["referrals"], text["referrals"].iloc[:1].assign(referrer_id="zz")],
                                  ignore_index=True)
    assert isinstance(t["interactions"]["owner_id"].dtype, pd.CategoricalDtype)  # the compact path is tested
    cur, prev, _ = hl.periods(t, c.as_of, "2024-03-01", "2024-03-31")
    act = hl.activity(text)
    assert "ghost" in set(act["owner_id"].astype(str)) and act["owner_id"].isna().sum() == 0
    for fn in (lambda x: hl.headline(x, cur, prev), lambda x: hl.drilldown(x, cur, prev),
               lambda x: hl.weekly(x, cur.end, weeks=8)):
        pd.testing.assert_frame_equal(fn(t), fn({**t, "interactions": text["interactions"],
                                                 "attendance": text["attendance"]}))
    # the ghost's post and the non-owner's referral count as activity of their own ids
    assert hl.headline(text, cur, prev).set_index("metric").loc["active_owners", "current"] >= \
        hl.headline(t, cur, prev).set_index("metric").loc["active_owners", "current"]


def test_headline_drilldown_by_hand():
    c = _tiny()
    t = {k: v.copy() for k, v in c.tables.items()}
    t["owners"]["city"] = ["上海", "上海", "北京", "北京", None]
    t["events"]["kind"] = ["meetup", "drive"]
    t["events"]["city"] = ["上海", "上海"]
    cur, prev, _ = hl.periods(t, c.as_of, "2024-03-01", "2024-03-31")
    d = hl.drilldown(t, cur, prev).set_index(["measure", "group"])
    # active now: a, b (上海); before: a (上海), c (北京), d (北京)
    assert tuple(d.loc[("active_owners", "北京")]) == (0, 2, -2)
    assert tuple(d.loc[("active_owners", "上海")]) == (2, 1, 1)
    assert list(d.loc["active_owners"].index) == ["北京", "上海"]  # the largest change first
    assert tuple(d.loc[("events", "meetup")]) == (1, 0, 1) and tuple(d.loc[("events", "drive")]) == (0, 1, -1)
    assert tuple(d.loc[("events_city", "上海")]) == (1, 1, 0)


# -- segments (issue 16) and the headline's links to the movement tables ---------------------------
SEG_SECTIONS = ["actions", "headline", "kocs", "circles", "integrity", "ambassadors", "targets", "volunteers",
                "levels", "movement"]


@pytest.fixture(scope="module")
def segment_report(tmp_path_factory):
    base = tmp_path_factory.getbasetemp() / "report-demo"
    store = demo_store(base)
    out = base / "segment" / "report.html"
    with graphcrm.open(store) as cg:
        owners = cg.table("owners")
        city = "北京"
        seg = set(owners.loc[owners["city"] == city, "owner_id"].astype(str))
        cg.report(out, lang="en", strict=True, progress=False, segment={"city": [city]}, sections=SEG_SECTIONS)
    return out, seg, owners


def _section_html(text: str, key: str) -> str:
    return text.split(f'id="{key}"', 1)[1].split("</section>", 1)[0]


def test_segment_report_shows_only_the_segments_owners(segment_report):
    path, seg, owners = segment_report
    text = path.read_text(encoding="utf-8")
    assert set(re.findall(r'data-status="(\w+)"', text)) == {"ok"}
    banner = re.search(r'class="note note-info seg-banner"[^>]*>.*?</div>', text, flags=re.S).group(0)
    assert "city 北京" in banner and f"{len(seg):,} of {len(owners):,} owners" in banner
    for key in ("kocs", "ambassadors", "targets", "volunteers", "levels", "integrity", "actions"):
        body = _section_html(text, key)
        ids = {html.unescape(x) for x in re.findall(r'<td class="owner"><span class="oid">(.*?)</span>', body)}
        if key == "actions":
            ids = {html.unescape(x) for x in re.findall(r'<span class="oid">(.*?)</span>', body)}
        assert ids <= seg, (key, sorted(ids - seg)[:5])
        if key in ("kocs", "ambassadors", "targets", "volunteers", "levels"):
            assert ids, key  # the tables are not empty: the segment's owners are there
    # the whole community's tables say so
    assert text.count("This table is about the whole community") >= 2


def test_segment_targets_and_actions_agree(segment_report):
    path, seg, _ = segment_report
    text = path.read_text(encoding="utf-8")
    csv_dir = path.with_name("report-csv")
    tg = pd.read_csv(csv_dir / "targets.csv", encoding="utf-8-sig", dtype={"owner_id": str})
    assert len(tg) and set(tg["owner_id"]) <= seg
    amb = pd.read_csv(csv_dir / "ambassadors.csv", encoding="utf-8-sig", dtype={"owner_id": str})
    assert len(amb) == 30 and set(amb["owner_id"]) <= seg  # all k picks in the segment
    counts = _actions(text)
    per = tg["program"].value_counts()
    assert counts["brief_ambassadors"] == per.get("ambassador", 0)
    assert counts["invite_volunteers"] == per.get("volunteer_invite", 0)
    assert counts["win_back_lapsed"] == per.get("reactivation", 0)


def test_segment_headline_counts_the_segments_owners(segment_report, tmp_path_factory):
    path, seg, owners = segment_report
    head = pd.read_csv(path.with_name("report-csv") / "headline.csv", encoding="utf-8-sig").set_index("metric")
    with graphcrm.open(demo_store(tmp_path_factory.getbasetemp() / "report-demo")) as cg:
        full = cg.community()
        cur, _, _ = hl.periods(full.tables, full.as_of)
    o = owners[owners["owner_id"].astype(str).isin(seg)]
    joined = pd.to_datetime(o["joined_at"]).fillna(pd.to_datetime(o["purchased_at"]))
    assert int(head.loc["owners", "current"]) == int((~(joined > cur.end)).sum()) > 0
    assert int(head.loc["owners", "current"]) < len(owners)  # not the whole community


def test_segment_that_matches_nobody_names_the_values(tmp_path, tmp_path_factory):
    store = demo_store(tmp_path_factory.getbasetemp() / "report-demo")
    out = tmp_path / "r.html"
    with graphcrm.open(store) as cg:
        with pytest.raises(ConfigError, match=r"no owner has city '火星'; cities: .*北京 \(\d+\)"):
            cg.report(out, segment={"city": "火星"}, progress=False)
    assert not out.exists()
    from graphcrm.cli import cli

    r = CliRunner().invoke(cli, ["report", "--store", str(store), "-o", str(out), "--city", "火星"])
    assert r.exit_code == 1 and "no owner has city '火星'" in r.output and "北京" in r.output
    assert not out.exists()


def test_headline_links_to_the_movement_tables(reports):
    for lang in ("en", "zh"):
        text = reports[lang].read_text(encoding="utf-8")
        ids = set(re.findall(r'\bid="([^"]+)"', text))
        hrefs = set(re.findall(r'href="#([^"]+)"', text))
        assert hrefs <= ids, sorted(hrefs - ids)
        head = _section_html(text, "headline")
        for anchor in ("mv-transitions", "mv-rising", "mv-drifting", "mv-cohort", "dd-active_owners", "dd-events"):
            assert f'href="#{anchor}"' in head, (lang, anchor)
        assert len(re.findall(r'class="kpi-link"', head)) == 6
        # the numbers on the line are the movement tables' row counts
        csv = reports[lang].with_name(f"{reports[lang].stem}-csv")
        enc = dict(encoding="utf-8-sig")
        rising = pd.read_csv(csv / "rising_stars.csv", **enc)
        drifting = pd.read_csv(csv / "drifting_owners.csv", **enc)
        moved = re.search(r'<p class="moved">(.*?)</p>', head, flags=re.S).group(1)
        assert f">{len(rising):,} " in moved and f">{len(drifting):,} " in moved


def test_movement_by_city_by_hand():
    moves = pd.DataFrame({"owner_id": ["a", "b", "c", "d", "e"],
                          "direction": ["up", "down", "up", "held", "new"],
                          "activity_then": [1, 3, 0, 2, 0], "activity_now": [2, 0, 1, 0, 4]})
    meta = {"a": ("上海", "ES6"), "b": ("上海", ""), "c": ("北京", ""), "d": ("北京", ""), "e": ("", "")}
    rising = pd.DataFrame({"owner_id": ["e"]})
    drifting = pd.DataFrame({"owner_id": ["b", "d"]})
    out = rh.movement_by_city(moves, rising, drifting, meta)
    assert out.to_dict("records") == [
        {"city": "上海", "moved_up": 1, "moved_down": 1, "rising": 0, "drifting": 1, "active_then": 2, "active_now": 1},
        {"city": "北京", "moved_up": 1, "moved_down": 0, "rising": 0, "drifting": 1, "active_then": 1, "active_now": 1},
        {"city": "", "moved_up": 0, "moved_down": 0, "rising": 1, "drifting": 0, "active_then": 0, "active_now": 1},
    ]
    assert len(rh.movement_by_city(moves, rising, drifting, meta, top=1)) == 1


def test_movement_city_table_in_the_report(reports):
    text = reports["en"].read_text(encoding="utf-8")
    mv = _section_html(text, "movement")
    assert 'id="mv-cities"' in mv and 'data-csv="movement_by_city.csv"' in mv
    assert 'href="#mv-cities"' in _section_html(text, "headline")
    by_city = pd.read_csv(reports["en"].with_name("report-en-csv") / "movement_by_city.csv", encoding="utf-8-sig")
    drift = pd.read_csv(reports["en"].with_name("report-en-csv") / "drifting_owners.csv", encoding="utf-8-sig")
    assert by_city["drifting"].sum() == len(drift)  # every drifting owner is counted in one city


def test_circle_profiles_same_from_the_report_s_lean_frames():
    """The circles section hands circle_profiles the circles table without its reasons and the
    KOC scores alone (cheaper cache keys): the same profiles as from the full tables."""
    from graphcrm.algorithms.circles import circle_profiles, circles
    from graphcrm.algorithms.koc import kocs
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1500, seed=4)
    c = Community(tables)
    circ, k = circles(c, seed=0), kocs(c)
    full = circle_profiles(c, circles_frame=circ, kocs_frame=k, circle_options={"seed": 0})
    lean = circle_profiles(c, circles_frame=circ.drop(columns=["reason"]), kocs_frame=k[["owner_id", "score"]],
                           circle_options={"seed": 0})
    pd.testing.assert_frame_equal(full, lean)
    assert (full["leaders"].astype(str) != "").any()


def _old_circle_ties(c, memb, drawn):
    """reports.html._circle_ties as it was: four look-ups per pair on int64 copies."""
    import numpy as np

    n = len(c.owner_ids)
    keep = (memb >= 0) if drawn is None else np.isin(memb, np.fromiter(drawn, dtype=np.int64))
    us, vs = [], []
    for kind in ("coattendance", "interactions"):
        e = c.edges(kind)
        if len(e):
            src, dst = e.source.astype(np.int64), e.target.astype(np.int64)
            sel = keep[src] & keep[dst] & (memb[src] != memb[dst])
            us.append(np.minimum(src[sel], dst[sel]))
            vs.append(np.maximum(src[sel], dst[sel]))
    key = np.unique(np.concatenate(us) * n + np.concatenate(vs))
    a, b = memb[key // n], memb[key % n]
    ok = (a >= 0) & (b >= 0) & (a != b)
    return (pd.DataFrame({"a": np.minimum(a[ok], b[ok]), "b": np.maximum(a[ok], b[ok])}).groupby(["a", "b"]).size()
            .rename("weight").reset_index())


def test_circle_ties_equal_the_plain_selection(tmp_path):
    """The inter-circle ties (pairs selected by one circle look-up per end) equal the plain
    selection of before, on a community read from a store and on one built from frames."""
    import numpy as np

    from graphcrm.algorithms.circles import circles
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1500, seed=5)
    cg = graphcrm.open(tmp_path / "s.duckdb")
    cg.load(tables)
    for c in (cg.community(), Community(tables)):
        circ = circles(c, seed=0)
        memb = circ.set_index("owner_id")["circle"].reindex(c.owner_ids).fillna(-1).to_numpy(np.int64)
        big = set(np.argsort(-np.bincount(memb[memb >= 0]), kind="stable")[:6].tolist())
        for drawn in (None, big):
            got, want = rh._circle_ties(c, memb, drawn), _old_circle_ties(c, memb, drawn)
            pd.testing.assert_frame_equal(got, want)
            assert want["weight"].sum() > 0
    cg.close()


# ---------------------------------------------------------------------------------------------
# the order sections are built in (a worker still computing one: graphcrm run --jobs 2)
# ---------------------------------------------------------------------------------------------
class _Pending:
    """A community whose cache entries ``names`` are "pending" for the first ``times`` asks."""

    def __init__(self, names: set[str], times: int):
        self.names, self.left = names, times

    def pending(self, names):
        if self.left > 0 and set(names) & self.names:
            self.left -= 1
            return True
        return False


def test_a_pending_section_is_built_after_the_ready_ones():
    ctx = _ctx(None)
    ctx.full = _Pending({"result:movement", "result:volunteer_candidates"}, times=99)
    ctx.community = None
    order = [k for k, _ in rh._build_order(ctx, list(rh.SECTIONS))]
    assert sorted(order) == sorted(SECTIONS)
    # the waiting ones after every ready one, in their own order; actions and headline last
    assert order[-4:] == ["volunteers", "movement", "actions", "headline"]
    assert order[:-4] == [k for k in SECTIONS if k not in ("volunteers", "movement", "headline", "actions")]
    # pending only for a while: asked again before each pick, built as soon as it is ready
    ctx.full = _Pending({"result:movement"}, times=2)
    order = [k for k, _ in rh._build_order(ctx, list(rh.SECTIONS))]
    assert order[order.index("levels"):] == ["levels", "backtest", "campaigns", "movement", "regulars", "actions",
                                             "headline"]
    # nothing pending: the page's order (LATE last)
    ctx.full = _Pending(set(), times=0)
    assert [k for k, _ in rh._build_order(ctx, list(rh.SECTIONS))] == \
        [k for k in SECTIONS if k not in rh.LATE] + [k for k in SECTIONS if k in rh.LATE]


def test_the_page_does_not_depend_on_the_order_sections_are_built_in(reports, tmp_path_factory, monkeypatch):
    """The en report built again with movement, volunteers and the backtest "pending" (built
    after every other section, as while a worker computes them) is the same page, byte for
    byte, but for the time it was generated: chart ids are scoped per section."""
    from graphcrm.community import Community

    store = demo_store(tmp_path_factory.getbasetemp() / "report-demo")
    waiting = _Pending({"result:movement", "result:volunteer_candidates", "result:backtest"}, times=99)
    monkeypatch.setattr(Community, "pending", lambda self, names: waiting.pending(names))
    built = []
    run = rh._run_section
    monkeypatch.setattr(rh, "_run_section", lambda ctx, key, label: built.append(key) or run(ctx, key, label))
    out = tmp_path_factory.mktemp("report-order") / "report-en.html"  # the same CSV links
    with graphcrm.open(store) as cg:
        cg.report(out, lang="en", progress=False, strict=True)
    assert built[-5:] == ["volunteers", "movement", "backtest", "actions", "headline"]

    def page(p):
        return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "T", p.read_text(encoding="utf-8"))

    assert page(out) == page(reports["en"])
