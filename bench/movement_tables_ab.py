"""Time the report's movement tables (the weekly job's ``report:movement`` step) for several code
versions on the same store, alternating in fresh processes, and check that they give the same
tables.

    python bench/movement_tables_ab.py STORE.duckdb --versions /tmp/snap/OLD /tmp/snap/NEW --repeat 2

A version is a folder holding a ``graphcrm`` package (a ``git archive`` of the repository with
``algorithms``, ``loaders`` and ``reports`` copied into ``graphcrm/``), put first on
``PYTHONPATH``; the default is this checkout.  Each run copies the store (once per run, so the
file given is never touched), recomputes (``GRAPHCRM_FRESH=1``: kept results are not read) the
steps the job runs before it that the tables read (``community``, ``kocs``, ``circles`` with
seed 0), then times ``Ahead.movement_tables()`` alone, as the job's one-process step computes
it (no profiler).  Prints per run the step's wall and CPU seconds and a digest of the three
tables (``movement``, ``rising_stars``, ``level_transitions``: values, dtypes and row order),
then the best and the median per version and whether every digest equals the first version's.
Timings belong in docs/benchmarks.md, never in tests.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import hashlib, json, os, sys, time, warnings
import pandas as pd
warnings.filterwarnings("ignore")
os.environ["GRAPHCRM_FRESH"] = "1"
import graphcrm
from graphcrm.reports.prefetch import Ahead
from graphcrm.reports.html import MOVEMENT_OPTIONS
cg = graphcrm.open(sys.argv[1])
cg.community(); cg.kocs(); cg.circles(seed=0)
ahead = Ahead(cg, seed=0, ambassadors_k=30, jobs=1)
t, c = time.perf_counter(), time.process_time()
ahead.movement_tables()
wall, cpu = time.perf_counter() - t, time.process_time() - c
h = hashlib.sha256()
for name in ("movement", "rising_stars", "level_transitions"):
    df = getattr(cg, name)(**ahead._lang(name, MOVEMENT_OPTIONS))
    h.update(repr((name, list(df.columns), [str(d) for d in df.dtypes], len(df))).encode())
    h.update(pd.util.hash_pandas_object(df.astype(object), index=False).to_numpy().tobytes())
with open(sys.argv[2], "w") as f:  # a file, not stdout: DuckDB's progress bar shares stdout
    json.dump({"wall": wall, "cpu": cpu, "digest": h.hexdigest()[:16], "load": os.getloadavg()[0]}, f)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--versions", nargs="+", type=Path, default=[ROOT])
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="movement-ab-"))
    runs: dict[Path, list[dict]] = {v: [] for v in a.versions}
    try:
        for r in range(a.repeat):
            order = a.versions if r % 2 == 0 else a.versions[::-1]  # ABBA: drift hits every version alike
            for v in order:
                db = tmp / "store.duckdb"
                shutil.copyfile(a.store, db)
                env = {**os.environ, "PYTHONPATH": str(v)}
                res = tmp / "result.json"
                subprocess.run([sys.executable, "-c", CHILD, str(db), str(res)], env=env, cwd=tmp,
                               stdout=subprocess.DEVNULL, check=True)
                rec = json.loads(res.read_text())
                runs[v].append(rec)
                print(f"{v}: {rec['wall']:.2f} s wall, {rec['cpu']:.2f} s CPU, digest {rec['digest']}, "
                      f"load {rec['load']:.2f}", flush=True)
                db.unlink()
        first = runs[a.versions[0]][0]["digest"]
        for v, rs in runs.items():
            w = [x["wall"] for x in rs]
            print(f"{v}: best {min(w):.2f} s, median {statistics.median(w):.2f} s; "
                  f"tables {'identical' if all(x['digest'] == first for x in rs) else 'DIFFERENT'} to the first version's")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
