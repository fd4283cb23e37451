"""Look at a report the way a reader does: headless Chromium measures it and takes a screenshot.

Used by the browser test and to make the README screenshot::

    python -m graphcrm.reports.browser report.html report.png [--width 1280] [--height 2200]

Chromium runs with ``--headless --no-sandbox --disable-gpu --disable-background-networking
--no-first-run --disable-component-update --disable-sync`` and a fresh ``--user-data-dir``; set
``GRAPHCRM_CHROMIUM`` to use another binary.  Nothing here needs the network (the report is
self-contained, and the measuring copy only adds an inline script).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--force-device-scale-factor=1",
         "--disable-extensions", "--mute-audio")
#: Chromium cannot capture taller pages in one screenshot
MAX_HEIGHT = 16_000
#: desktop Chromium's narrowest window; narrower (phone) widths are laid out in an iframe
MIN_WINDOW = 500
_WRAPPER = """<!DOCTYPE html><html><head><meta charset="utf-8"></head>
<body style="margin:0;background:#fff"><iframe src="{src}" style="display:block;width:{w}px;height:{h}px;border:0"></iframe>
<script>window.addEventListener('message', function(e){{
  var p = document.createElement('pre'); p.id = '__graphcrm_measure'; p.style.display = 'none';
  p.textContent = e.data; document.body.appendChild(p);}});</script></body></html>"""

#: a script appended to a copy of the page: measures charts and two CJK probe strings
_MEASURE = """
<div id="__probe" style="position:absolute;top:0;left:0;z-index:99;display:block;background:#fff;padding:8px 24px;font-family:var(--font);font-size:40px;line-height:1.2;color:#000">
<span id="__cjk_a">车主社区</span> <span id="__cjk_b">报告圈层</span>
<span class="oid" id="__oid_a" style="font-size:40px">OOOO</span> <span class="oid" id="__oid_b" style="font-size:40px">0000</span></div>
<script>
(function(){
  var out = {charts: [], texts: 0, cjk_texts: 0};
  var de = document.documentElement;
  function box(el){
    var r = el.getBoundingClientRect();
    return {x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height};
  }
  document.querySelectorAll('figure.chart svg, figure.chart img, img').forEach(function(el){
    var b = box(el), sec = el.closest('section'), fig = el.closest('figure');
    b.tag = el.tagName.toLowerCase(); b.section = sec ? sec.id : '';
    b.panel = !!(fig && fig.classList.contains('panel'));
    b.fig_w = fig ? fig.clientWidth : 0; b.fig_scroll_w = fig ? fig.scrollWidth : 0;
    b.min_font = null;
    if (b.tag === 'svg' && el.viewBox && el.viewBox.baseVal && el.viewBox.baseVal.width) {
      var scale = el.getBoundingClientRect().width / el.viewBox.baseVal.width;
      el.querySelectorAll('text').forEach(function(t){
        var px = parseFloat(getComputedStyle(t).fontSize) * scale;
        if (t.textContent.trim() && (b.min_font === null || px < b.min_font)) { b.min_font = px; }
      });
    }
    out.charts.push(b);
  });
  document.querySelectorAll('svg text').forEach(function(el){
    out.texts += 1;
    if (/[\\u4e00-\\u9fff]/.test(el.textContent)) { out.cjk_texts += 1; }
  });
  out.tables = [];
  document.querySelectorAll('table').forEach(function(el){
    var b = box(el), sec = el.closest('section'), wrap = el.parentElement;
    b.section = sec ? sec.id : ''; b.csv = el.getAttribute('data-csv') || '';
    b.rows = el.querySelectorAll('tbody tr').length;
    b.wrap_w = wrap.getBoundingClientRect().width; b.wrap_h = wrap.getBoundingClientRect().height;
    b.scroll_w = wrap.scrollWidth; b.scroll_h = wrap.scrollHeight;
    out.tables.push(b);
  });
  out.cjk_a = box(document.getElementById('__cjk_a'));
  out.cjk_b = box(document.getElementById('__cjk_b'));
  out.oid_a = box(document.getElementById('__oid_a'));
  out.oid_b = box(document.getElementById('__oid_b'));
  out.height = Math.max(de.scrollHeight, document.body.scrollHeight);
  out.probe_top = out.height;
  out.width = de.scrollWidth;
  var pre = document.createElement('pre');
  pre.id = '__graphcrm_measure'; pre.style.display = 'none';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
  if (window.parent !== window) { window.parent.postMessage(JSON.stringify(out), '*'); }
})();
</script>
"""


class BrowserError(RuntimeError):
    """Chromium is missing or failed."""


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome binary (``$GRAPHCRM_CHROMIUM`` first), or None."""
    env = os.environ.get("GRAPHCRM_CHROMIUM")
    if env:
        return env if Path(env).exists() or shutil.which(env) else None
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(args: list[str], *, timeout: float) -> subprocess.CompletedProcess:
    binary = find_chromium()
    if binary is None:
        raise BrowserError("no chromium found (install Debian's chromium package or set GRAPHCRM_CHROMIUM)")
    with tempfile.TemporaryDirectory(prefix="graphcrm-chromium-") as profile:
        cmd = [binary, *FLAGS, f"--user-data-dir={profile}", *args]
        env = dict(os.environ, HOME=profile)  # keep crash dumps and caches inside the fresh profile
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env, check=False)
        except subprocess.TimeoutExpired:
            raise BrowserError(f"chromium timed out after {timeout:g} s") from None
    if proc.returncode != 0:
        raise BrowserError(f"chromium failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-800:]}")
    return proc


def _probe_copy(html_path: Path, *, print_media: bool = False) -> Path:
    """A copy of the page (same folder, so relative links still work) with the measuring script;
    with ``print_media`` the page's ``@media print`` rules apply on screen too (to measure the
    printed layout)."""
    text = html_path.read_text(encoding="utf-8")
    if print_media:
        text = text.replace("@media print{", "@media all{")
    i = text.rfind("</body>")
    text = text[:i] + _MEASURE + text[i:] if i >= 0 else text + _MEASURE
    fd, name = tempfile.mkstemp(prefix=".measure-", suffix=".html", dir=html_path.parent)
    os.close(fd)
    copy = Path(name)
    copy.write_text(text, encoding="utf-8")
    return copy


def _wrapper(page: Path, width: int, height: int) -> Path:
    """A page showing ``page`` in an iframe ``width`` px wide: a phone-sized viewport (media
    queries see ``width``) inside a window Chromium allows."""
    fd, name = tempfile.mkstemp(prefix=".phone-", suffix=".html", dir=page.parent)
    os.close(fd)
    out = Path(name)
    out.write_text(_WRAPPER.format(src=page.name, w=int(width), h=int(height)), encoding="utf-8")
    return out


def measure(html_path: str | os.PathLike, *, width: int = 1280, timeout: float = 90,
            print_media: bool = False) -> dict:
    """Lay the page out in headless Chromium and return what the reader would see.

    The page is measured from a copy with an inline script and two probe strings of Chinese
    (drawn with the report's font stack) laid over the top left corner of the page (so a
    screenshot holds them however long the page is).

    Returns
    -------
    dict
        ``height``/``width`` of the measured copy (CSS px); ``probe_top``: the height of the
        report itself (the probe lies over its top and adds nothing); ``charts``: one dict per ``figure.chart`` svg or img
        with ``tag``, ``x``, ``y``, ``w``, ``h`` (page coordinates), ``section`` (its section's
        id), ``panel`` (a panel of a multi-panel chart), ``fig_w``/``fig_scroll_w`` (its
        figure's visible and scrolled width: larger means it scrolls sideways) and ``min_font``
        (the smallest text drawn in it, CSS px as rendered: font size times the SVG's scale); ``texts``/``cjk_texts``: SVG text elements, and those holding Chinese; ``cjk_a``/
        ``cjk_b``: boxes of the two probe strings; ``oid_a``/``oid_b``: boxes of "OOOO" and
        "0000" set as owner-id chips; ``tables``: one dict per table with its box,
        ``section``, ``csv``, ``rows`` (body rows) and its wrapper's ``wrap_w``/``wrap_h`` against
        ``scroll_w``/``scroll_h`` (larger scroll sizes: part of the table is hidden behind a
        scroll box); ``dom``: the serialized DOM after layout.  With ``print_media`` the page
        is laid out with its print rules.
    """
    html_path = Path(html_path).resolve()
    copy = _probe_copy(html_path, print_media=print_media)
    wrapper = _wrapper(copy, width, 1000) if width < MIN_WINDOW else None
    try:
        proc = _run([f"--window-size={max(width, MIN_WINDOW)},1000", "--dump-dom", (wrapper or copy).as_uri()],
                    timeout=timeout)
    finally:
        copy.unlink(missing_ok=True)
        if wrapper is not None:
            wrapper.unlink(missing_ok=True)
    dom = proc.stdout.decode("utf-8", errors="replace")
    m = re.search(r'<pre id="__graphcrm_measure"[^>]*>(.*?)</pre>', dom, flags=re.S)
    if not m:
        raise BrowserError("the measuring script did not run (no result in the DOM)")
    import html as _html

    out = json.loads(_html.unescape(m.group(1)))
    out["dom"] = dom
    return out


def screenshot(html_path: str | os.PathLike, png_path: str | os.PathLike, *, width: int = 1280,
               height: int | None = None, probe: bool = False, timeout: float = 120) -> dict:
    """Screenshot the page (the whole page unless ``height`` is given) into ``png_path``.

    With ``probe`` the screenshot is of the measuring copy, so it shows the two Chinese probe
    strings in its top left corner (to check that Chinese is drawn as glyphs, not as empty boxes).

    Returns
    -------
    dict
        The :func:`measure` result (page coordinates match the screenshot's pixels), plus
        ``shot_height``.
    """
    html_path = Path(html_path).resolve()
    info = measure(html_path, width=width, timeout=timeout)
    full = int(math.ceil(info["height"] if probe else info["probe_top"]))
    h = min(int(height) if height else full, MAX_HEIGHT)
    copy = _probe_copy(html_path) if probe else None
    page = copy or html_path
    wrapper = _wrapper(page, width, h) if width < MIN_WINDOW else None
    try:
        _run([f"--window-size={max(width, MIN_WINDOW)},{h}", f"--screenshot={Path(png_path).resolve()}",
              (wrapper or page).as_uri()], timeout=timeout)
    finally:
        if copy is not None:
            copy.unlink(missing_ok=True)
        if wrapper is not None:
            wrapper.unlink(missing_ok=True)
    if width < MIN_WINDOW:  # keep the phone's width only
        import matplotlib.image as mpimg

        mpimg.imsave(png_path, mpimg.imread(png_path)[:, : int(width)])
    info["shot_height"] = h
    return info


def print_pdf(html_path: str | os.PathLike, pdf_path: str | os.PathLike, *, timeout: float = 180) -> Path:
    """Print the page to PDF as Chromium's print dialog would (A4, the page's ``@media print``
    rules, no header or footer); return the PDF path."""
    html_path = Path(html_path).resolve()
    pdf = Path(pdf_path).resolve()
    _run(["--no-pdf-header-footer", "--run-all-compositor-stages-before-draw", f"--print-to-pdf={pdf}",
          html_path.as_uri()], timeout=timeout)
    if not pdf.exists() or pdf.stat().st_size == 0:
        raise BrowserError(f"chromium wrote no PDF to {pdf}")
    return pdf


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Screenshot an HTML report with headless Chromium.")
    ap.add_argument("html")
    ap.add_argument("png")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=None, help="capture only the top HEIGHT px (default: whole page)")
    a = ap.parse_args(argv)
    info = screenshot(a.html, a.png, width=a.width, height=a.height)
    print(f"{a.png}: {a.width}x{info['shot_height']} px, {len(info['charts'])} charts")


if __name__ == "__main__":  # pragma: no cover
    main()
