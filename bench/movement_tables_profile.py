"""Where the report's movement tables spend their time on a loaded store (the weekly job's
``report:movement`` step): cProfile of ``Ahead.movement_tables()`` after ``kocs`` and ``circles``,
as the job runs them, on a copy of the store with its kept results ignored (fresh).

    python bench/movement_tables_profile.py STORE.duckdb [--top 40] [--dump out.prof]

Prints the step's wall seconds and the functions by cumulative time; compare a 100k and a 1M
store to see which pieces grow faster than the owners (docs/benchmarks.md, stop 34).  Profiling
slows the run: the seconds here are not timings of the step.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import tempfile
import time
import warnings
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--dump", type=Path, default=None, help="write the profile here (pstats format)")
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    os.environ["GRAPHCRM_FRESH"] = "1"  # recompute: the store's kept results are not read
    import graphcrm
    from graphcrm.reports.prefetch import Ahead

    tmp = Path(tempfile.mkdtemp(prefix="movement-profile-"))
    try:
        db = tmp / "store.duckdb"
        shutil.copyfile(a.store, db)
        cg = graphcrm.open(db)
        cg.community()
        cg.kocs()
        cg.circles(seed=0)
        ahead = Ahead(cg, seed=0, ambassadors_k=30, jobs=1)
        pr = cProfile.Profile()
        t = time.perf_counter()
        pr.enable()
        ahead.movement_tables()
        pr.disable()
        print(f"movement tables {time.perf_counter() - t:.2f} s (profiled)")
        if a.dump is not None:
            pr.dump_stats(a.dump)
        pstats.Stats(pr).sort_stats("cumulative").print_stats(a.top)
        cg.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
