"""The Chinese report is Chinese: no English words outside owner ids, car model names, file
names and the product name (a word-list check on the visible text, SVG labels included); the
CSVs beside it have Chinese headers; the action list is there with the same counts as in English."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest

import graphcrm
from tests._report_data import HOSTILE, HOSTILE_ID, HOSTILE_TITLE, demo_reports, demo_store

#: Latin words a Chinese reader sees in Chinese business text as they are (acronyms and the
#: spreadsheet's name); everything else must be translated
ALLOWED = {"KOC", "CRM", "CSV", "UTF", "AUC", "Excel", "graphcrm"}


class _Visible(HTMLParser):
    """Visible text: every text node outside <style>/<script>/<title> and outside id chips."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class") or ""
        if tag in ("style", "script", "title") or (tag == "span" and "oid" in cls.split()):
            self._skip.append(tag)
        elif self._skip:
            self._skip.append(tag)

    def handle_endtag(self, tag):
        if self._skip:
            self._skip.pop()

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


@pytest.fixture(scope="module")
def zh(tmp_path_factory):
    base = tmp_path_factory.getbasetemp() / "report-demo"
    reports = demo_reports(base)
    with graphcrm.open(demo_store(base)) as cg:
        owners = cg.table("owners")
    return reports, owners


def _english_words(text: str, owners: pd.DataFrame) -> dict[str, int]:
    p = _Visible()
    p.feed(text)
    vis = " ".join(p.parts)
    for data in (HOSTILE, HOSTILE_ID, HOSTILE_TITLE):  # data values, not words of the report
        vis = vis.replace(data, " ")
    vis = re.sub(r"[\w.-]+\.(csv|duckdb|html)\b", " ", vis)  # file names
    ids = set(owners["owner_id"].astype(str))
    models = set(owners["car_model"].dropna().astype(str))
    words: dict[str, int] = {}
    for w in re.findall(r"[A-Za-z][A-Za-z0-9_]*", vis):
        if w in ids or w in models or w in ALLOWED or len(re.sub(r"[^A-Za-z]", "", w)) < 2:
            continue
        if re.fullmatch(r"[A-Z]{1,3}\d+[A-Z]?", w):  # car model names (ES6, ET5T ...)
            continue
        words[w] = words.get(w, 0) + 1
    return words


def test_no_english_words_in_the_chinese_report(zh):
    reports, owners = zh
    text = reports["zh"].read_text(encoding="utf-8")
    assert re.search(r'data-status="(failed|unavailable)"', text) is None  # every section ran
    words = _english_words(text, owners)
    assert not words, sorted(words.items(), key=lambda kv: -kv[1])[:30]
    # the check can fail: the English report is full of English words
    assert len(_english_words(reports["en"].read_text(encoding="utf-8"), owners)) > 100


def test_chinese_months_and_enum_values(zh):
    reports, _ = zh
    text = reports["zh"].read_text(encoding="utf-8")
    assert re.search(r"<text[^>]*>\s*(\d{4}年)?\d{1,2}月\s*</text>", text)  # month names on the time axis
    assert "阶段 delivered" not in text and "delivered" not in text
    assert "蒙特卡洛 95% 置信区间" in text


def test_chinese_csv_headers_rounded_values(zh):
    reports, _ = zh
    csv_dir = reports["zh"].with_name(f"{reports['zh'].stem}-csv")
    files = sorted(csv_dir.glob("*.csv"))
    assert len(files) >= 20
    for f in files:
        cols = pd.read_csv(f, encoding="utf-8-sig", nrows=0).columns
        latin = [c for c in cols if not re.search(r"[\u4e00-\u9fff]", c)]
        assert not latin, (f.name, latin)
    kocs = pd.read_csv(csv_dir / "kocs.csv", encoding="utf-8-sig")
    assert "车主编号" in kocs.columns and "得分" in kocs.columns
    digits = kocs["得分"].astype(str).str.split(".").str[1].fillna("").str.len()
    assert digits.max() <= 3  # rounded for people
    # the English report keeps the analyses' column names (for machines)
    en = pd.read_csv(reports["en"].with_name("report-en-csv") / "kocs.csv", encoding="utf-8-sig", nrows=0)
    assert "owner_id" in en.columns and "score" in en.columns


def test_action_list_the_same_in_both_languages(zh):
    reports, _ = zh
    counts = {}
    for lang in ("en", "zh"):
        text = reports[lang].read_text(encoding="utf-8")
        counts[lang] = dict(re.findall(r'data-action="(\w+)" data-count="(\d+)"', text))
        assert "本周待办" in text if lang == "zh" else "This week" in text
    assert counts["en"] == counts["zh"] and len(counts["en"]) == 6


def test_segment_report_in_chinese_has_no_english_words(zh, tmp_path_factory):
    """A segment's report (banner, whole-community notes, circle table with segment members,
    the headline's movement line) is Chinese too."""
    _, owners = zh
    base = tmp_path_factory.getbasetemp() / "report-demo"
    out = base / "segment-zh" / "report.html"
    with graphcrm.open(demo_store(base)) as cg:
        cg.report(out, lang="zh", strict=True, progress=False, segment={"city": ["北京"]},
                  sections=["actions", "headline", "kocs", "circles", "ambassadors", "targets", "volunteers",
                            "levels", "movement"])
    text = out.read_text(encoding="utf-8")
    assert "细分 城市 北京" in text and "此表针对整个社区" in text and "整个社区" in text
    words = _english_words(text, owners)
    assert not words, sorted(words.items(), key=lambda kv: -kv[1])[:30]
