"""``targets`` right after the report's analyses ran: what it still computes itself.

    python bench/targets_bench.py STORE.duckdb [--profile 30]

Opens the store with ``GRAPHCRM_FRESH=1`` (results kept in the store are recomputed, and
replaced), runs the analyses of ``bench/pipeline_bench.py`` with the report's options (KOCs,
circles, referrals, ambassadors k=30, volunteers, contribution, levels), then times
``targets(seed=0)`` (its reactivation program calls ``drifting_owners``, which the analyses
above do not compute), then ``movement()`` and ``drifting_owners()`` as the report calls them
next (they reuse what ``targets`` computed).  With ``--profile N`` the ``targets`` call runs
under cProfile and the N costliest functions (cumulative) are printed.  Prints the 1-minute
load average beside each timing: the machine is shared, timings are noisy.  Never asserted in
tests.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

os.environ["GRAPHCRM_FRESH"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent))

import graphcrm  # noqa: E402
from pipeline_bench import ANALYSES  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store")
    ap.add_argument("--profile", type=int, default=0, help="profile targets and print the N costliest functions")
    a = ap.parse_args()
    cg = graphcrm.open(a.store)

    def timed(label: str, fn):
        t = time.perf_counter()
        out = fn()
        print(f"{label:<24} {time.perf_counter() - t:8.2f} s   load {os.getloadavg()[0]:.2f}", flush=True)
        return out

    t0 = time.perf_counter()
    for name, opts in ANALYSES:
        getattr(cg, name)(**opts)
    print(f"{'analyses (11)':<24} {time.perf_counter() - t0:8.2f} s   load {os.getloadavg()[0]:.2f}", flush=True)
    pr = cProfile.Profile() if a.profile else None
    if pr:
        pr.enable()
    out = timed("targets", lambda: cg.targets(seed=0))
    if pr:
        pr.disable()
    print(f"  rows per program: {out.groupby('program', observed=True).size().to_dict()}")
    timed("movement (report)", lambda: cg.movement())
    timed("drifting_owners (report)", lambda: cg.drifting_owners())
    if pr:
        pstats.Stats(pr).sort_stats("cumulative").print_stats(a.profile)


if __name__ == "__main__":
    main()
