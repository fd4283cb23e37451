"""The whole pipeline on a loaded store, per step in wall and CPU seconds; cProfile on request.

    python bench/pipeline_profile.py STORE                          # every step: wall s, CPU s
    python bench/pipeline_profile.py STORE --profile targets report --top 40

STORE is a loaded embedded store (e.g. /tmp/gcrm-bench/bench-100000.duckdb; the script copies
it to a temporary file and never writes to it).  As in ``bench/pipeline_bench.py`` (same steps
and options, in one process, kept results not read: ``GRAPHCRM_FRESH=1``): the community, the
projections, the analyses with the report's options, ``targets(seed=0)`` and ``report(seed=0)``;
the load is not repeated.  Each step prints its wall seconds and its CPU seconds
(``time.process_time``: every thread of the process), which on a shared machine are the steadier
figure, and the 1-minute load average at its end.  ``--profile`` runs those steps under cProfile
(printed by cumulative time; profiling inflates them; ``--dump`` keeps the stats for
``pstats``).  ``--json`` writes the per-step figures.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_bench import ANALYSES  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--profile", nargs="*", default=[], metavar="STEP")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--dump", type=Path, default=None, help="write each profiled step's stats to DUMP.STEP.pstats")
    args = ap.parse_args(argv)
    os.environ["GRAPHCRM_FRESH"] = "1"
    import warnings

    warnings.filterwarnings("ignore")
    import graphcrm

    tmp = Path(tempfile.mkdtemp(prefix="gcrm-prof-"))
    db = tmp / "store.duckdb"
    shutil.copyfile(args.store, db)
    cg = graphcrm.open(db)
    steps = [("community", lambda: cg.community()),
             ("projections", lambda: [cg.community().edges(k) for k in ("interactions", "coattendance", "referrals")])]
    steps += [(name, lambda name=name, opts=opts: getattr(cg, name)(**opts)) for name, opts in ANALYSES]
    steps += [("targets", lambda: cg.targets(seed=0)), ("report", lambda: cg.report(tmp / "r.html", seed=0))]
    rows = []
    w_all, c_all = time.perf_counter(), time.process_time()
    for name, fn in steps:
        prof = cProfile.Profile() if name in args.profile else None
        w, c = time.perf_counter(), time.process_time()
        prof.runcall(fn) if prof is not None else fn()
        w, c = time.perf_counter() - w, time.process_time() - c
        rows.append({"step": name, "wall_s": round(w, 2), "cpu_s": round(c, 2), "load_1min": round(os.getloadavg()[0], 2)})
        print(f"  {name:22s} {w:8.2f} s wall {c:8.2f} s CPU  load {os.getloadavg()[0]:.2f}"
              + ("  (profiled)" if prof is not None else ""), flush=True)
        if prof is not None:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(args.top)
            if args.dump:
                prof.dump_stats(f"{args.dump}.{name}.pstats")
    w_all, c_all = time.perf_counter() - w_all, time.process_time() - c_all
    print(f"  {'all steps':22s} {w_all:8.2f} s wall {c_all:8.2f} s CPU", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"steps": rows, "wall_s": round(w_all, 2), "cpu_s": round(c_all, 2)}, indent=2))
    cg.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
