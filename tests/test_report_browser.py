"""Open the report in headless Chromium: every chart rendered (present, sized, not blank),
Chinese drawn as text with real glyphs, printed to PDF with every shown row and column, and
readable at a phone's 390 px width (charts keep a minimum size).

Needs Debian's ``chromium`` (and ``fonts-noto-cjk`` for the Chinese check).  When they are
missing and we run as root (CI), the test installs them with apt-get; otherwise it is skipped
with the reason printed.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from graphcrm.reports.browser import find_chromium, measure, print_pdf, screenshot
from tests._report_data import demo_reports

APT_PACKAGES = ["chromium", "chromium-driver", "fonts-noto-cjk"]


def _has_cjk_font() -> bool:
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout
    return bool(out.strip())


def _ensure_browser() -> str | None:
    """Install Chromium and a CJK font when possible; return a reason to skip, or None."""
    if find_chromium() and _has_cjk_font():
        return None
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        try:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=600, check=False)
            subprocess.run(["apt-get", "install", "-y", *APT_PACKAGES], env=env,
                           capture_output=True, timeout=1200, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"could not install {' '.join(APT_PACKAGES)}: {exc}"
    if find_chromium() is None:
        return "headless Chromium is not installed and cannot be installed here (apt-get install chromium needs root)"
    if not _has_cjk_font():
        return "no CJK font (apt-get install fonts-noto-cjk): Chinese cannot be checked"
    return None


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    reason = _ensure_browser()
    if reason:
        print(f"SKIP browser test: {reason}")
        pytest.skip(reason)
    base = tmp_path_factory.getbasetemp() / "report-demo"
    reports = demo_reports(base)
    out = {}
    for lang, path in reports.items():
        png = base / f"screenshot-{lang}.png"
        info = screenshot(path, png, probe=(lang == "zh"))
        out[lang] = (png, info)
    return out


def _gray(png: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(png) as im:
        return np.asarray(im.convert("L"), dtype=np.float64)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_chart_rendered(shots, lang):
    png, info = shots[lang]
    img = _gray(png)
    assert img.shape[1] == 1280 and img.shape[0] == info["shot_height"]
    assert img.std() > 20  # the page is not blank
    html = Path(png).parent.joinpath(f"report-{lang}.html").read_text(encoding="utf-8")
    n_charts = html.count('<figure class="chart')
    assert n_charts >= 8 and len(info["charts"]) == n_charts  # every chart was laid out
    ok_sections = set(re.findall(r'id="(\w+)" data-status="ok"', html))
    no_chart = {"integrity", "actions", "targets", "movement", "backtest", "campaigns", "regulars"}  # tables and notes only
    assert ok_sections - no_chart <= {c["section"] for c in info["charts"]}
    for c in info["charts"]:
        assert c["w"] > 200 and c["h"] > 150, c  # present with a real size
        x0, y0 = int(c["x"]), int(c["y"])
        x1, y1 = int(c["x"] + c["w"]), int(min(c["y"] + c["h"], img.shape[0]))
        assert y1 - y0 > 100, c
        crop = img[y0:y1, x0:x1]
        assert crop.std() > 8, c  # something was drawn
        assert (crop < 200).mean() > 0.01, c  # and not just a faint box


def test_chinese_is_text_with_glyphs(shots):
    png, info = shots["zh"]
    dom = info["dom"]
    assert info["cjk_texts"] >= 20, info["cjk_texts"]
    for label in ("每周活跃车主", "得分", "圈层地图", "各层级的被推荐车主数", "从车主到志愿者", "各等级车主人数"):
        assert re.search(r"<text[^>]*>[^<]*" + label, dom), label
    assert "车主社区报告" in dom
    # glyphs, not empty boxes: two different probe strings drawn with the report's fonts must
    # look different (missing glyphs all draw the same box) and must not be blank
    img = _gray(png)
    crops = []
    for key in ("cjk_a", "cjk_b"):
        b = info[key]
        assert b["w"] > 60 and b["h"] > 20, b
        crop = img[int(b["y"]):int(b["y"] + b["h"]), int(b["x"]):int(b["x"] + b["w"])]
        assert crop.std() > 20 and (crop < 128).mean() > 0.03, key
        crops.append(crop)
    h = min(crops[0].shape[0], crops[1].shape[0])
    w = min(crops[0].shape[1], crops[1].shape[1])
    assert np.abs(crops[0][:h, :w] - crops[1][:h, :w]).mean() > 10


def test_owner_id_chips_tell_O_from_0(shots):
    """In the owner-id font the letter O and the digit 0 are drawn differently (the zero is
    dotted or slashed, and narrower)."""
    png, info = shots["zh"]
    img = _gray(png)
    crops = []
    for key in ("oid_a", "oid_b"):
        b = info[key]
        assert b["w"] > 60 and b["h"] > 20, b
        crops.append(img[int(b["y"]):int(b["y"] + b["h"]), int(b["x"]):int(b["x"] + b["w"])] < 128)
    h = min(c.shape[0] for c in crops)
    w = min(c.shape[1] for c in crops)
    a, z = crops[0][:h, :w], crops[1][:h, :w]
    assert (a != z).mean() > 0.02  # the glyphs differ
    mid = slice(int(h * 0.4), int(h * 0.6))  # a dotted or slashed zero has ink inside its counter
    assert z[mid].sum() != a[mid].sum()


# ---------------------------------------------------------------------------------------------
# print / PDF and phone
# ---------------------------------------------------------------------------------------------
def _norm(text: str) -> str:
    """Text compared between HTML and PDF: NFKC (ligatures, full-width punctuation), every CJK
    character as one placeholder (PDF text extraction returns Kangxi/radical code points for
    some ideographs: 人 comes back as ⼈), no whitespace."""
    import unicodedata

    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[\u2e80-\u2fdf\u3400-\u9fff\uf900-\ufaff]", "§", text)
    return re.sub(r"\s+", "", text)


def _shown_rows(html_text: str) -> list[tuple[str, str]]:
    """(key, tail) of every table row shown: its first owner id (else its first cell) and the
    end of its last cell."""
    import html as _h

    out = []
    for row in re.findall(r'<tr class="row">(.*?)</tr>', html_text, flags=re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        first = re.search(r'<span class="oid">(.*?)</span>', row)
        key = _h.unescape(first.group(1) if first else re.sub("<[^>]+>", "", cells[0]))
        last = _h.unescape(re.sub("<[^>]+>", "", cells[-1]))
        out.append((_norm(key), _norm(last)[-8:]))
    return out


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, tuple[str, str]]:
    reason = _ensure_browser()
    if reason:
        pytest.skip(reason)
    from pypdf import PdfReader

    base = tmp_path_factory.getbasetemp() / "report-demo"
    out = {}
    for lang, path in demo_reports(base).items():
        pdf = print_pdf(path, base / f"report-{lang}.pdf")
        text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
        out[lang] = (path.read_text(encoding="utf-8"), text)
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pdf_holds_every_shown_row(pdfs, lang):
    """Printing keeps every row of every table shown (scroll boxes are lifted) and its last
    column (nothing cut at the right edge)."""
    html_text, pdf_text = pdfs[lang]
    flat = _norm(pdf_text)
    rows = _shown_rows(html_text)
    assert len(rows) >= 150
    missing = [k for k, _ in rows if k not in flat]
    assert not missing, missing[:10]
    cut = [(k, tail) for k, tail in rows if tail not in flat]
    assert not cut, cut[:10]
    n_amb = len(re.findall(r'<tr class="row">', html_text.split('id="ambassadors"', 1)[1].split("</section>", 1)[0]))
    assert n_amb == 30  # all 30 picks are shown (and printed: checked above)


def test_print_layout_keeps_every_column(shots):
    """Laid out with its print rules at the width of an A4 page, no table is wider or taller
    than its box (nothing hidden behind a scroll bar)."""
    path = Path(shots["en"][0]).parent / "report-en.html"
    info = measure(path, width=718, print_media=True)
    html_text = path.read_text(encoding="utf-8")
    assert len(info["tables"]) == html_text.count("<table ")
    bad = [t for t in info["tables"] if t["scroll_w"] > t["wrap_w"] + 1 or t["scroll_h"] > t["wrap_h"] + 1]
    assert not bad, [(t["section"], t["csv"]) for t in bad]
    assert info["probe_top"] > 0 and info["width"] <= 720
    # on screen the long tables do scroll (the print rules are what lifts them)
    screen = measure(path, width=1280)
    assert any(t["scroll_h"] > t["wrap_h"] + 1 for t in screen["tables"])


@pytest.fixture(scope="module")
def phone(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    reason = _ensure_browser()
    if reason:
        pytest.skip(reason)
    base = tmp_path_factory.getbasetemp() / "report-demo"
    out = {}
    for lang, path in demo_reports(base).items():
        png = base / f"phone-{lang}.png"
        out[lang] = (png, screenshot(path, png, width=390))
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_phone_width_charts_keep_a_minimum_size(phone, lang):
    """At 390 px the page is 390 px wide (no sideways page scroll).  Multi-panel charts (weekly
    activity, referral distributions, the largest chains) stack: one panel per row, each at
    least 300 x 150 px, none scrolling sideways, their smallest text at least 8.5 px as drawn.
    Every other chart keeps at least 340 x 150 px (the wide single ones 540 px, scrolled sideways
    in their own box) instead of shrinking to a thumbnail, and every chart is drawn."""
    png, info = phone[lang]
    img = _gray(png)
    assert img.shape[1] == 390
    assert info["width"] <= 390
    assert len(info["charts"]) >= 8
    panels = [c for c in info["charts"] if c["panel"]]
    assert len(panels) >= 6 and {"headline", "referrals"} <= {c["section"] for c in panels}
    for c in panels:
        assert c["w"] >= 300 and c["h"] >= 150, c
        assert c["fig_scroll_w"] <= c["fig_w"] + 1, c  # no sideways scrolling
        assert c["min_font"] is not None and c["min_font"] >= 8.5, c
    spans = sorted((c["y"], c["y"] + c["h"]) for c in panels)
    assert all(b0 >= a1 - 1 for (_, a1), (b0, _) in zip(spans, spans[1:]))  # one panel per row
    for c in info["charts"]:
        assert c["w"] >= (300 if c["panel"] else 340) and c["h"] >= 150, c
        assert c["x"] < 40, c  # stacked: every chart starts at the left edge of its card
        if c["y"] + 100 < img.shape[0]:
            crop = img[int(c["y"]):int(min(c["y"] + c["h"], img.shape[0])), int(c["x"]):390]
            assert crop.std() > 8, c
    wide = [c for c in info["charts"] if c["section"] in ("kocs", "circles", "ambassadors") and not c["panel"]]
    assert wide and all(c["w"] >= 540 for c in wide)


def test_desktop_panels_side_by_side(shots):
    """On a wide screen the panels of one chart stand side by side (the phone rule is a media query)."""
    _, info = shots["en"]
    head = [c for c in info["charts"] if c["panel"] and c["section"] == "headline"]
    assert len(head) == 2 and abs(head[0]["y"] - head[1]["y"]) < 2 and head[1]["x"] > head[0]["x"] + 300
