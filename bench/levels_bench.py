"""``contribution`` and ``owner_levels`` alone on a bench store: wall and CPU seconds, peak memory.

    python bench/levels_bench.py /tmp/gcrm-bench/bench-1000000.duckdb [--compute-only] [--out PREFIX]

The store is copied to ``--work`` (never written in place; the copy is removed at the end).  The
community is built, then ``contribution()`` and ``owner_levels()`` run with ``GRAPHCRM_FRESH=1``
(computed, not read from kept results).  ``--compute-only`` detaches the community from the
store's kept results, so nothing is written back and the figures are the analyses' own.
``--out PREFIX`` saves ``PREFIX_contribution.parquet`` and ``PREFIX_owner_levels.parquet`` for a
comparison between commits (run an older commit with ``PYTHONPATH`` at a ``git archive`` copy of
its package).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import time
import warnings
from pathlib import Path


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--work", type=Path, default=Path("/tmp/gcrm-levels-bench"))
    ap.add_argument("--compute-only", action="store_true")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    os.environ["GRAPHCRM_FRESH"] = "1"
    warnings.filterwarnings("ignore")
    args.work.mkdir(parents=True, exist_ok=True)
    db = args.work / args.store.name
    shutil.copy(args.store, db)
    import graphcrm

    try:
        cg = graphcrm.open(db)
        t = time.perf_counter()
        c = cg.community()
        print(f"community {time.perf_counter() - t:.2f} s", flush=True)
        if args.compute_only:
            c._results_store = None  # nothing kept: the analyses' own time
        for name in ("contribution", "owner_levels"):
            c0, t = _cpu(), time.perf_counter()
            df = getattr(cg, name)()
            print(f"{name}: {time.perf_counter() - t:.2f} s wall, {_cpu() - c0:.2f} s CPU, {len(df):,} rows, "
                  f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB (process), "
                  f"load average {os.getloadavg()[0]:.2f}", flush=True)
            if args.out:
                df.to_parquet(f"{args.out}_{name}.parquet")
        cg.close()
    finally:
        db.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
