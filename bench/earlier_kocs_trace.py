"""The movement tables' earlier-period KOCs on a store, by the window community or by the cut rows.

    python bench/earlier_kocs_trace.py STORE --path rows   --out new.parquet
    python bench/earlier_kocs_trace.py STORE --path window --out old.parquet
    python bench/earlier_kocs_trace.py --compare old.parquet new.parquet
    flock /tmp/brief/1m.lock python bench/earlier_kocs_trace.py COPY-OF-1M.duckdb --path rows --max-rss-gib 12

STORE is a store that ``bench/pipeline_bench.py`` (or ``graphcrm run``) ran on, so that today's
circles are kept in it and read back; it is copied to a temporary file (never written in place).
Phases, each with its wall and CPU seconds (``time.process_time``), the kernel's high-water mark
``VmHWM`` (reset when the phase starts) and the resident size after: ``community`` (the store
read), ``circles`` (the kept circles read back, or computed when not kept), ``earlier_kocs``
(:func:`graphcrm.algorithms.movement.earlier_kocs` with the report's options
``reports.html.MOVEMENT_OPTIONS``, i.e. with today's circles).  ``--path window`` makes
``koc_table_until`` decline, so the earlier KOCs are computed as before stop 26: on a window
community of their own (``Community(tables, until=...)``); ``--path rows`` is the library's
default (the community's interaction rows cut at the date).  ``--out`` writes the earlier KOCs
(parquet); ``--movement`` then times the rest of the movement table (its core: the levels under
grace and the activity of both periods; then the table itself, not read back from the store);
``--compare A B`` says whether two such files are equal (exactly).
``--max-rss-gib`` stops the process when its resident memory passes the limit (no swap here).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _guard(limit_gib: float) -> None:
    def watch() -> None:
        while True:
            if _status("VmRSS") > limit_gib * 1024:
                print(f"resident memory passed {limit_gib} GiB: stopping", flush=True)
                os._exit(3)
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("store", type=Path, nargs="?")
    ap.add_argument("--path", choices=("rows", "window"), default="rows")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--compare", type=Path, nargs=2, default=None)
    ap.add_argument("--max-rss-gib", type=float, default=12.0)
    ap.add_argument("--movement", action="store_true",
                    help="then the rest of the movement table: its core (levels under grace, activity) and the table")
    args = ap.parse_args(argv)
    import pandas as pd

    if args.compare:
        a, b = (pd.read_parquet(p) for p in args.compare)
        same = a.equals(b)
        print(f"{len(a)} / {len(b)} rows; equal: {same}")
        return 0 if same else 1
    _guard(args.max_rss_gib)
    warnings.filterwarnings("ignore")
    import graphcrm
    from graphcrm.algorithms import koc, movement
    from graphcrm.reports.html import MOVEMENT_OPTIONS

    if args.path == "window":
        koc.koc_table_until = lambda *a, **k: None  # movement then builds the window community
    tmp = Path(tempfile.mkdtemp(prefix="gcrm-ek-"))
    try:
        db = tmp / "store.duckdb"
        shutil.copyfile(args.store, db)
        cg = graphcrm.open(db)
        out = {}
        steps = [("community", lambda: cg.community()), ("circles", lambda: cg.circles()),
                 ("earlier_kocs", lambda: out.setdefault("k", movement.earlier_kocs(cg.community(), **{
                     k: v for k, v in MOVEMENT_OPTIONS.items() if k in ("compare_circles", "quick_circles_then")})))]
        if args.movement:  # not read back from the store: the core is a memo entry, the table is computed unwrapped
            steps += [("movement:core", lambda: movement._core(
                          cg.community(), period="30D", as_of=None, grace_days=movement.DEFAULT_GRACE_DAYS,
                          grace_step_days=movement.DEFAULT_GRACE_STEP_DAYS, thresholds=None, points=None,
                          half_life_days=180)),
                      ("movement table", lambda: movement.movement.__wrapped__(cg.community(), **MOVEMENT_OPTIONS))]
        for name, fn in steps:
            _reset_peak()
            w, c = time.perf_counter(), time.process_time()
            fn()
            w, c = time.perf_counter() - w, time.process_time() - c
            print(f"  {name:14s} {w:8.2f} s wall {c:8.2f} s CPU  peak {_status('VmHWM'):8,.0f} MiB  "
                  f"after {_status('VmRSS'):8,.0f} MiB  load {os.getloadavg()[0]:.2f}", flush=True)
        k = out["k"]
        print(f"path {args.path}: {len(k)} owners scored in the earlier period", flush=True)
        if args.out:
            k.to_parquet(args.out)
        cg.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
