"""CPU of ``ambassadors``, the report's backtest and ``volunteer_candidates``, each on a fresh community.

    python bench/ambvolbt_profile.py STORE [--profile] [--top 30] [--repeat 1]

STORE is a loaded embedded store (e.g. /tmp/gcrm-bench/bench-100000.duckdb); the script copies it to
a temporary file and never writes to it.  The three steps run in the order of the weekly job
(``ambassadors(k=30, seed=0)``, the report's ``backtest(community, k=30, seed=0)``, then
``volunteer_candidates(seed=0)``), kept results not read (``GRAPHCRM_FRESH=1``), after the community
is built (``--after-pipeline``: after the job's earlier steps, as in ``bench/pipeline_bench.py
--jobs 1``, so that what they leave in the cache is reused); each prints wall seconds, CPU seconds (``time.process_time``, every thread) and the 1-minute
load average.  ``--profile`` runs each under cProfile timed in CPU seconds and prints the costliest
functions by own time and by cumulative time.  ``--repeat N`` repeats the three steps on a new
``graphcrm.open`` each time (the first run compiles numba kernels the cache lacks).
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--steps", nargs="*", default=None, metavar="STEP",
                    help="only these of ambassadors, report:backtest, volunteer_candidates (default all three)")
    ap.add_argument("--save", type=Path, default=None,
                    help="pickle each step's result (table and details) of the last run here, for an old-vs-new comparison")
    ap.add_argument("--kept", action="store_true",
                    help="read the results kept in the store (delete the three steps' entries first): e.g. a 1M "
                         "store of a whole run, whose circles volunteer_candidates then reads instead of computing")
    ap.add_argument("--after-pipeline", action="store_true",
                    help="run the job's steps before ambassadors first (kocs, circles, ...) and the report's "
                         "movement tables between the backtest and volunteers, unprofiled, as bench/pipeline_bench.py --jobs 1")
    args = ap.parse_args(argv)
    if not args.kept:
        os.environ["GRAPHCRM_FRESH"] = "1"
    import warnings

    warnings.filterwarnings("ignore")
    import graphcrm
    from graphcrm.algorithms.backtest import backtest
    from graphcrm.reports.prefetch import Ahead

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from pipeline_bench import ANALYSES

    print("graphcrm from", Path(graphcrm.__file__).resolve().parent, flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="gcrm-avb-"))
    db = tmp / "store.duckdb"
    shutil.copyfile(args.store, db)
    try:
        for rep in range(args.repeat):
            cg = graphcrm.open(db)
            cg.community()
            ahead = Ahead(cg, seed=0, ambassadors_k=30, jobs=1, ambassadors_options={"k": 30, "seed": 0})
            ahead.active = False
            w, c = time.perf_counter(), time.process_time()
            if args.after_pipeline:  # the weekly job's steps before ambassadors, unprofiled
                for name, opts in ANALYSES[:ANALYSES.index(("ambassadors", {"k": 30, "seed": 0}))]:
                    getattr(cg, name)(**opts)
            print(f"run {rep} {'before (unprofiled)':22s} {time.perf_counter() - w:7.2f} s wall "
                  f"{time.process_time() - c:7.2f} s CPU", flush=True)
            steps = [("ambassadors", lambda: cg.ambassadors(k=30, seed=0)),
                     ("report:backtest", lambda: backtest(cg.community(), k=30, seed=0)),
                     ("report:movement", None),
                     ("volunteer_candidates", lambda: cg.volunteer_candidates(seed=0))]
            tot_w = tot_c = 0.0
            saved = {}
            for name, fn in steps:
                if args.steps is not None and fn is not None and name not in args.steps:
                    continue
                if fn is None:  # the job's step between them, unprofiled, not counted
                    if args.after_pipeline:
                        ahead.movement_tables()
                    continue
                prof = cProfile.Profile(time.process_time) if args.profile else None
                w, c = time.perf_counter(), time.process_time()
                out = prof.runcall(fn) if prof is not None else fn()
                saved[name] = out
                w, c = time.perf_counter() - w, time.process_time() - c
                tot_w += w
                tot_c += c
                print(f"run {rep} {name:22s} {w:7.2f} s wall {c:7.2f} s CPU  load {os.getloadavg()[0]:.2f}", flush=True)
                if prof is not None:
                    st = pstats.Stats(prof)
                    st.sort_stats("tottime").print_stats(args.top)
                    st.sort_stats("cumulative").print_stats(args.top)
            print(f"run {rep} {'steps run':22s} {tot_w:7.2f} s wall {tot_c:7.2f} s CPU", flush=True)
            if args.save:
                import pickle

                args.save.write_bytes(pickle.dumps(saved))
            cg.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
