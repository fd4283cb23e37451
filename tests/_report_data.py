"""Shared data of the report tests: a small demo community with hostile strings, and its reports.

Built once per test session (both report test modules call :func:`demo_reports` with the same
session temp folder; the second call finds the files).
"""
from __future__ import annotations

import json
from pathlib import Path

import graphcrm
from graphcrm.demo import generate_demo

N_OWNERS = 1_500
HOSTILE = "<script>alert(1)</script>"
HOSTILE_ID = 'K"><img src=x onerror=alert(2)>'
HOSTILE_TITLE = "<b onmouseover=alert(3)>Drive</b>"
PII_NAME = "PII-NAME-马小明"


def hostile_tables(n_owners: int = N_OWNERS, seed: int = 0) -> tuple[dict, dict]:
    """The demo community where the biggest city is called ``HOSTILE``, one planted KOC has
    the id ``HOSTILE_ID`` and event titles and channels are hostile too."""
    tables, truth = generate_demo(n_owners, seed=seed)
    t = {k: v.copy() for k, v in tables.items()}
    t["owners"]["city"] = t["owners"]["city"].replace("上海", HOSTILE)
    t["events"]["city"] = t["events"]["city"].replace("上海", HOSTILE)
    t["events"]["title"] = HOSTILE_TITLE
    t["posts"]["channel"] = t["posts"]["channel"].astype(str) + HOSTILE
    old = truth["kocs"][0]
    for table, cols in (("owners", ["owner_id"]), ("referrals", ["referrer_id", "referee_id"]),
                        ("attendance", ["owner_id"]), ("posts", ["author_id"]), ("interactions", ["owner_id"])):
        for c in cols:
            t[table][c] = t[table][c].replace(old, HOSTILE_ID)
    t["owners"].loc[t["owners"]["owner_id"] == HOSTILE_ID, "name"] = PII_NAME
    truth = dict(truth, hostile_koc=HOSTILE_ID)
    return t, truth


def demo_store(base: Path) -> Path:
    """A DuckDB store with the hostile demo community (built once)."""
    base.mkdir(parents=True, exist_ok=True)
    store = base / "demo.duckdb"
    marker = base / "store.done"
    if not marker.exists():
        tables, truth = hostile_tables()
        with graphcrm.open(store) as cg:
            rep = cg.load(tables, rejects_path=base / "rejects.csv")
            assert rep.rejected == 0, rep.format()
        (base / "truth.json").write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
        marker.touch()
    return store


def demo_reports(base: Path) -> dict[str, Path]:
    """The en and zh reports of the hostile demo community (built once, strict)."""
    store = demo_store(base)
    out = {}
    for lang in ("en", "zh"):
        path = base / f"report-{lang}.html"
        marker = base / f"report-{lang}.done"
        if not marker.exists():
            with graphcrm.open(store) as cg:
                cg.report(path, lang=lang, strict=True, progress=False)
            marker.touch()
        out[lang] = path
    return out
