"""``drifting_owners``, ``targets`` and the report's movement calls on a store whose other
results are kept (the state after ``graphcrm run``), the movement family recomputed.

    cp /tmp/gcrm-bench/bench-100000.duckdb /tmp/mv.duckdb     # a copy: entries are deleted
    python bench/movement_after_run.py /tmp/mv.duckdb --save tables.pkl [--profile 40]

The store's kept ``movement``, ``drifting_owners``, ``rising_stars``, ``level_transitions`` and
``targets`` entries are deleted, so these are computed again while today's KOCs, circles,
levels, ambassadors ... come from the store; the earlier period's KOCs, circles and level
checkpoints are always computed (they are not kept).  Prints wall and CPU seconds of
``drifting_owners`` (movement's shared core), ``targets`` and movement + rising stars + level
transitions (the earlier KOCs and circles); ``--save`` pickles the five tables to compare two
versions of the code.  Timings are never asserted in tests.
"""
from __future__ import annotations

import argparse
import os
import pickle
import time

import graphcrm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store")
    ap.add_argument("--save", default=None)
    ap.add_argument("--profile", type=int, default=0, metavar="N")
    a = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    with graphcrm.open(a.store) as cg:
        con = cg.store.con
        keys = [r[0] for r in con.execute("SELECT key FROM graphcrm_result_cache").fetchall()]
        for k in keys:
            if any(w in k for w in ('"movement', '"drifting', '"rising', '"level_trans', '"targets')):
                con.execute("DELETE FROM graphcrm_result_cache WHERE key = ?", [k])
        cg.community()
        prof = None
        if a.profile:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
        t0, c0 = time.perf_counter(), time.process_time()
        d = cg.drifting_owners(lang="en")
        t1, c1 = time.perf_counter(), time.process_time()
        tg = cg.targets(seed=0)
        t2, c2 = time.perf_counter(), time.process_time()
        m, r, lt = cg.movement(lang="en"), cg.rising_stars(lang="en"), cg.level_transitions(lang="en")
        t3, c3 = time.perf_counter(), time.process_time()
        if prof is not None:
            prof.disable()
        print(f"drifting_owners {t1 - t0:.1f} s wall / {c1 - c0:.1f} s CPU; targets {t2 - t1:.1f} / {c2 - c1:.1f}; "
              f"movement + rising_stars + level_transitions {t3 - t2:.1f} / {c3 - c2:.1f}")
        if a.save:
            with open(a.save, "wb") as fh:
                pickle.dump({"drifting": d, "targets": tg, "movement": m, "rising": r, "transitions": lt}, fh)
        if prof is not None:
            import pstats

            pstats.Stats(prof).sort_stats("cumulative").print_stats(a.profile)


if __name__ == "__main__":
    main()
