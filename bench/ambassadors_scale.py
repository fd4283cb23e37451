"""``ambassadors`` with the report's options on the demo community at N owners: time, memory, stages.

    python bench/ambassadors_scale.py --owners 20000 100000 [--work /tmp/gcrm-amb] [--also-targets]
    python bench/ambassadors_scale.py --store /tmp/gcrm-bench/bench-100000.duckdb

For each size a demo store is built once (``graphcrm demo --owners N --store DIR/amb-N.duckdb``,
kept in ``--work`` and reused) unless ``--store`` names existing stores.  Then **one fresh process
per store** opens it, builds the community and calls ``cg.ambassadors(k=30, seed=0)`` (the
report's call) with ``GRAPHCRM_FRESH=1`` (results kept in the store are not reused), and prints
the wall seconds and the peak resident memory of that call (Linux ``VmHWM``, reset before it;
the community it holds is included), the influence graph's size and the seconds of the stages
(learning and building the graph = the rest; RR sampling, greedy, validation, Monte Carlo
check from ``details.stats.seconds``).  ``--also-targets`` then times ``cg.targets(seed=0)`` in
the same process (it reuses the cached influence graph).  ``--profile`` wraps the call in
cProfile and prints its 25 costliest functions (own time) to stderr.  Timings are never
asserted in tests; the load average is printed because other processes share the cores.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _status(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def child(store: str, targets: bool, profile: bool = False) -> None:
    import warnings

    warnings.filterwarnings("ignore")
    import graphcrm

    cg = graphcrm.open(store)
    t = time.perf_counter()
    cg.community()
    community_s = time.perf_counter() - t
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    import resource

    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t = time.perf_counter()
    _, det = cg.ambassadors(k=30, seed=0, details=True)
    amb_s = time.perf_counter() - t
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    if prof is not None:
        import pstats

        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    st = det.stats
    rec = {"store": store, "owners": st.owners, "edges": st.edges, "audience_nodes": st.audience_nodes,
           "event_nodes": getattr(st, "event_nodes", 0),
           "community_s": round(community_s, 2), "ambassadors_s": round(amb_s, 2), "cpu_s": round(cpu_s, 2),
           "peak_mib": round(_status("VmHWM")), "rss_after_mib": round(_status("VmRSS")),
           "stages_s": {k: round(v, 2) for k, v in st.seconds.items()},
           "learn_and_graph_s": round(amb_s - sum(st.seconds.values()), 2),
           "mc_runs": det.mc_check.runs if det.mc_check else 0, "load_average": os.getloadavg()[0],
           "learned": {k: (det.learned or {}).get(k) for k in ("pairs", "coattend_only_pairs", "events",
                                                               "event_memberships", "coattendance")}}
    if targets:
        t = time.perf_counter()
        cg.targets(seed=0)
        rec["targets_s"] = round(time.perf_counter() - t, 2)
    print(json.dumps(rec), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--owners", nargs="*", type=int, default=[20000, 100000])
    ap.add_argument("--store", nargs="*", default=None, help="existing stores to use instead of --owners")
    ap.add_argument("--work", type=Path, default=Path("/tmp/gcrm-amb"))
    ap.add_argument("--also-targets", action="store_true")
    ap.add_argument("--profile", action="store_true", help="cProfile the call (top 25 by own time, to stderr)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child, a.also_targets, a.profile)
        return
    stores = a.store
    if not stores:
        a.work.mkdir(parents=True, exist_ok=True)
        stores = []
        for n in a.owners:
            db = a.work / f"amb-{n}.duckdb"
            if not db.exists():
                subprocess.run([sys.executable, "-m", "graphcrm.cli", "demo", "--owners", str(n), "--out",
                                str(a.work / f"demo-{n}"), "--store", str(db)], check=True, stdout=subprocess.DEVNULL)
            stores.append(str(db))
    print(f"# load average at start {os.getloadavg()[0]:.2f} (2 cores shared)", flush=True)
    env = {**os.environ, "GRAPHCRM_FRESH": "1"}
    for db in stores:
        cmd = ([sys.executable, __file__, "--child", db] + (["--also-targets"] if a.also_targets else [])
               + (["--profile"] if a.profile else []))
        done = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
        if a.profile:
            print(done.stderr, file=sys.stderr)
        print(done.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
