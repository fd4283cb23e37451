"""``volunteer_candidates`` alone on a bench store: wall and CPU seconds, peak memory, and the
table for a before/after comparison.

    python bench/volunteers_bench.py /tmp/gcrm-bench/bench-100000.duckdb [--out after.parquet] [--profile 40]
    python bench/volunteers_bench.py --compare before.parquet after.parquet

The store is copied next to ``--work`` first (never written in place).  The community is built
and the circles are read from the kept results (as the pipeline has them when the volunteers
step runs), then ``volunteer_candidates(seed=0)`` (the pipeline's call, with the hold-out
validation) is timed alone: wall seconds, CPU seconds of the process (user + system, all
threads), ``ru_maxrss`` and the 1-minute load average.  ``--profile N`` prints the N largest
cumulative entries of a cProfile taken on CPU time.  To time an older commit, run this script
with ``PYTHONPATH`` pointing at a copy of that commit's package (``git archive``).

``--compare`` reports, for two saved tables, whether the rows come in the same order and the
largest difference per numeric column (the score is a logistic fit whose BLAS sums are not
bit-reproducible from run to run: 1.1e-15 between two runs of the same code on the 100k store).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import time
import warnings
from pathlib import Path


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def compare(a_path: Path, b_path: Path) -> None:
    import numpy as np
    import pandas as pd

    a, b = pd.read_parquet(a_path), pd.read_parquet(b_path)
    print(f"rows {len(a):,} / {len(b):,}; same order: {bool(len(a) == len(b) and (a.owner_id.values == b.owner_id.values).all())}")
    A, B = a.set_index("owner_id"), b.set_index("owner_id").reindex(a["owner_id"])
    for k in A.columns:
        if A[k].dtype.kind == "f":
            print(f"  {k:16s} max |difference| {float(np.abs(A[k] - B[k]).max()):.3g}")
        else:
            print(f"  {k:16s} equal share {float((A[k].to_numpy() == B[k].to_numpy()).mean()):.6f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path, nargs="?")
    ap.add_argument("--work", type=Path, default=Path("/tmp/gcrm-volunteers-bench"))
    ap.add_argument("--out", type=Path, default=None, help="save the table (parquet)")
    ap.add_argument("--profile", type=int, default=0)
    ap.add_argument("--compare", type=Path, nargs=2, default=None)
    args = ap.parse_args()
    if args.compare:
        compare(*args.compare)
        return
    if args.store is None:
        ap.error("a store is needed")
    warnings.filterwarnings("ignore")
    args.work.mkdir(parents=True, exist_ok=True)
    db = args.work / args.store.name
    if not db.exists():
        shutil.copy(args.store, db)
    import graphcrm
    from graphcrm.algorithms import volunteers as V

    cg = graphcrm.open(db)
    t = time.perf_counter()
    c = cg.community()
    print(f"community {time.perf_counter() - t:.2f} s", flush=True)
    t = time.perf_counter()
    cg.circles(seed=0)  # kept result: the pipeline has the circles when volunteers run
    print(f"circles (kept) {time.perf_counter() - t:.2f} s", flush=True)
    t = time.perf_counter()
    e = c.edges("coattendance")
    print(f"co-attendance pairs {len(e.source):,} in {time.perf_counter() - t:.2f} s", flush=True)

    def run():
        return V.volunteer_candidates.__wrapped__(c, seed=0)  # computed, not read from the kept results

    c0, t = _cpu(), time.perf_counter()
    if args.profile:
        import cProfile
        import pstats

        pr = cProfile.Profile(time.process_time)
        pr.enable()
        table, det = run()
        pr.disable()
    else:
        table, det = run()
    wall, cpu = time.perf_counter() - t, _cpu() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"volunteer_candidates: {wall:.2f} s wall, {cpu:.2f} s CPU, peak {peak:,.0f} MiB (process), "
          f"load average {os.getloadavg()[0]:.2f}; {len(table):,} rows, AUC {det.validation.auc:.4f}", flush=True)
    if args.out:
        table.to_parquet(args.out)
    if args.profile:
        pstats.Stats(pr).sort_stats("cumulative").print_stats(args.profile)
    cg.close()


if __name__ == "__main__":
    sys.exit(main())
