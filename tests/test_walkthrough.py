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
