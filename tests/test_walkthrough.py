"""The walkthrough example runs end to end, and the notebook holds the same content as the script."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _script_cells(text: str) -> list[tuple[str, str]]:
    """The script's ``# %%`` cells as (kind, source), markdown without its comment marks."""
    out = []
    for block in re.split(r"^# %%", text, flags=re.M)[1:]:
        head, _, body = block.partition("\n")
        if head.strip() == "[markdown]":
            lines = [ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in body.strip("\n").splitlines()]
            out.append(("markdown", "\n".join(lines)))
        else:
            out.append(("code", body.strip("\n")))
    return out


def test_notebook_matches_script():
    script = _script_cells((EXAMPLES / "walkthrough.py").read_text(encoding="utf-8"))
    nb = json.loads((EXAMPLES / "walkthrough.ipynb").read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    cells = [(c["cell_type"], "".join(c["source"]).strip("\n")) for c in nb["cells"]]
    assert cells == script
    assert all(c.get("outputs", []) == [] for c in nb["cells"])  # shipped without outputs


def test_walkthrough_runs(tmp_path):
    proc = subprocess.run([sys.executable, str(EXAMPLES / "walkthrough.py"), "--owners", "1000", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "walkthrough done" in proc.stdout
    report = tmp_path / "report.html"
    assert report.exists() and (tmp_path / "report-csv" / "kocs.csv").exists()
    assert 'data-status="failed"' not in report.read_text(encoding="utf-8")
    assert (tmp_path / "targets.csv").exists()


# --- "Add an analysis" (docs/architecture.md): the worked example touches four files --------------
ROOT = EXAMPLES.parent
#: the files the event_regulars example touched beyond its tests, as docs/architecture.md lists them
WALKTHROUGH_FILES = {"algorithms/events.py", "graphcrm/analyses.py", "graphcrm/commands/events.py", "reports/html.py"}
#: what only that analysis names: the function, its command, its declaration and its report words
WALKTHROUGH_NAMES = ("event_regulars", "EVENT_REGULARS", "regulars_cmd", "sec_regulars", "regulars_lead",
                     "h_event_cities", "h_months", "h_days_since")


def _source_files():
    for folder in ("graphcrm", "algorithms", "loaders", "reports"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_add_an_analysis_touches_four_files():
    """Every library source file that names the example analysis, its command or one of its report
    words is one of the four files of the walkthrough; the report's phrase table (reports/text.py)
    is not among them: the section's words, in English and Chinese, are declared with the analysis."""
    touched = {rel for rel, text in _source_files() if any(n in text for n in WALKTHROUGH_NAMES)}
    assert touched == WALKTHROUGH_FILES
    assert len(touched) <= 4
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = doc.split("## Add an analysis", 1)[1]
    rows = re.findall(r"^\| \d \| `([^`]+)`", section, flags=re.M)
    assert set(rows) == WALKTHROUGH_FILES, rows


def test_declared_words_reach_the_report(tmp_path):
    """The example's section reads its title, lead, headers and the Chinese of its legends from
    the declaration (EVENT_REGULARS.phrases), in both languages, and its Chinese CSV headers too."""
    import pandas as pd

    import graphcrm
    from graphcrm.algorithms.events import EVENT_REGULARS
    from tests.test_events import frames

    with graphcrm.open(str(tmp_path / "s.duckdb")) as cg:
        cg.load(frames(), now="2024-03-31", rejects_path=tmp_path / "rejects.csv")
        for lang in ("en", "zh"):
            out = cg.report(tmp_path / f"r-{lang}.html", lang=lang, sections=["regulars"],
                            csv_dir=tmp_path / f"csv-{lang}")
            html = Path(out).read_text(encoding="utf-8")
            ph = EVENT_REGULARS.phrases
            for key in ("sec_regulars", "regulars_lead", "h_months", "h_event_cities"):
                assert ph.label(key, lang) in html, (lang, key)
            assert 'data-status="failed"' not in html
            if lang == "zh":
                assert ph.meaning_zh("months_attended") in html  # the legend, in Chinese
                head = pd.read_csv(tmp_path / "csv-zh" / "event_regulars.csv", nrows=0, encoding="utf-8-sig")
                assert ph.header_zh("months_attended") in head.columns
