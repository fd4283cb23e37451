"""The 100k pipeline with ``--jobs 2`` on a loaded store: CPU seconds per step of the main process.

    python bench/pipeline_jobs_cpu.py STORE [--order run] [--profile STEP ...]
    PYTHONPATH=X python bench/pipeline_jobs_cpu.py STORE    # a snapshot X of another version (A/B)

STORE is a loaded embedded store (e.g. /tmp/gcrm-bench/bench-100000.duckdb; copied to a
temporary file, never written; results recomputed: ``GRAPHCRM_FRESH=1``).  The steps are those
of ``bench/pipeline_bench.py`` (the load excepted), with its second processes
(:class:`graphcrm.reports.prefetch.Ahead`, forced on as ``--jobs 2``).  ``--order run`` takes
``graphcrm run``'s step order instead.  Per step it prints wall seconds and the *main process's*
CPU seconds (``time.process_time``), user and sys, and minor page faults.  On a shared machine
the main chain's CPU is steadier than wall time.  At the end it prints the workers' CPU (reaped
children).  ``--profile`` runs those steps under cProfile.  ``--out DIR`` keeps the report's HTML and CSV
files (to compare two versions' files with ``bench/report_csv_compare.py``).  Timings are never asserted in tests.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_bench import ANALYSES  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--order", choices=("bench", "run"), default="bench")
    ap.add_argument("--profile", nargs="*", default=[], metavar="STEP")
    ap.add_argument("--top", type=int, default=50)
    ap.add_argument("--out", type=Path, default=None, help="keep the report's HTML and CSV files here")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    os.environ["GRAPHCRM_FRESH"] = "1"
    tmp = Path(tempfile.mkdtemp())
    db = tmp / "s.duckdb"
    shutil.copyfile(args.store, db)
    import graphcrm
    from graphcrm.reports.prefetch import Ahead

    cg = graphcrm.open(db)
    print(f"graphcrm from {Path(graphcrm.__file__).parent}")
    out = args.out or tmp
    out.mkdir(parents=True, exist_ok=True)

    def step(name: str, fn) -> None:
        pr = cProfile.Profile() if name in args.profile else None
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t, c = time.perf_counter(), time.process_time()
        if pr:
            pr.enable()
        fn()
        if pr:
            pr.disable()
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        print(f"  {name:22s} {time.perf_counter() - t:7.2f} s wall {time.process_time() - c:7.2f} s CPU "
              f"(user {r1.ru_utime - r0.ru_utime:6.2f} sys {r1.ru_stime - r0.ru_stime:6.2f} "
              f"minflt {r1.ru_minflt - r0.ru_minflt:8d}) load {os.getloadavg()[0]:.2f}", flush=True)
        if pr:
            pstats.Stats(pr).sort_stats("cumulative").print_stats(args.top)

    t0, c0 = time.perf_counter(), time.process_time()
    step("community", lambda: cg.community())
    step("projections", lambda: [cg.community().edges(k) for k in ("interactions", "coattendance", "referrals")])
    ahead = Ahead(cg, seed=0, ambassadors_k=30, jobs=2, ambassadors_options=dict(ANALYSES)["ambassadors"])
    analyses = ANALYSES
    if args.order == "run":
        from graphcrm.commands.run import WEEKLY

        opts = dict(ANALYSES)
        analyses = [(n, opts[n]) for n, _ in WEEKLY]
    try:
        ahead.after("community")
        for name, opts in analyses:
            step(name, lambda name=name, opts=opts: (ahead.before(name), getattr(cg, name)(**opts)))
            ahead.after(name)
        step("targets", lambda: (ahead.before("targets"), cg.targets(seed=0)))
        step("report", lambda: (ahead.before("report"), cg.report(out / "r.html", seed=0)))
    finally:
        ahead.close()
    errors = [e for p in (ahead.early, ahead.late) if p is not None for e in p.errors]
    print(f"  main chain {time.perf_counter() - t0:.2f} s wall {time.process_time() - c0:.2f} s CPU; "
          f"adopted {len(ahead.adopted)} errors {errors}")
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"  workers CPU {ch.ru_utime + ch.ru_stime:.1f} s")
    cg.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
