"""A report on the same data and kept results reuses its charts: no chart drawn again, the same
page byte for byte (up to the generation time), the same CSV files."""
from __future__ import annotations

import re

import graphcrm
from graphcrm.reports import charts
from tests._report_data import demo_store


def _page(path) -> str:
    return re.sub(r"<b>Generated</b>[0-9: -]+", "", path.read_text(encoding="utf-8"))


def test_second_report_replays_kept_charts(tmp_path, monkeypatch):
    import shutil

    store = tmp_path / "s.duckdb"
    shutil.copy(demo_store(tmp_path / "demo"), store)
    drawn = []
    real = charts.to_svg
    monkeypatch.setattr(charts, "to_svg", lambda *a, **kw: drawn.append(1) or real(*a, **kw))
    with graphcrm.open(store) as cg:
        cg.report(tmp_path / "a.html", progress=False)
    first = len(drawn)
    assert first > 5
    with graphcrm.open(store) as cg:  # another session: the kept results and charts
        cg.report(tmp_path / "b.html", progress=False)
    assert len(drawn) == first  # nothing drawn again
    a, b = _page(tmp_path / "a.html"), _page(tmp_path / "b.html").replace("b-csv/", "a-csv/")
    assert a == b
    for f in sorted((tmp_path / "a-csv").iterdir()):
        assert (tmp_path / "b-csv" / f.name).read_bytes() == f.read_bytes(), f.name
    # another language draws its own charts (their labels are inputs of the key)
    with graphcrm.open(store) as cg:
        cg.report(tmp_path / "zh.html", lang="zh", progress=False)
    assert len(drawn) > first
