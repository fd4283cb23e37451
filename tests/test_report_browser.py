"""Open the report in headless Chromium: every chart rendered (present, sized, not blank) and
Chinese drawn as text with real glyphs.

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

from graphcrm.reports.browser import find_chromium, screenshot
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
    assert ok_sections <= {c["section"] for c in info["charts"]} | {"integrity"}
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
