"""The second worker's pieces of ``graphcrm run --jobs 2`` one by one, in one process: how long the
volunteers and the movement tables take, against which ``Ahead.tables_first`` orders its queue.

    python bench/late_worker_pieces.py STORE.duckdb [ORDER]
    # ORDER: comma-separated, default earlier_kocs,movement,rising_stars,level_transitions,vol,vol_nv

STORE is a loaded store (e.g. the ``bench-100000.duckdb`` that ``bench/pipeline_bench.py`` leaves in its
work folder).  ``kocs`` and the drifting owners' core run first (as in the job, where the second worker
starts after ``kocs`` with the core adopted); then each piece, printed as ``name wall_s cpu_s``.
Results are recomputed (``GRAPHCRM_FRESH=1``); nothing is written to the store.
"""
from __future__ import annotations

import inspect
import os
import sys
import time

os.environ["GRAPHCRM_FRESH"] = "1"

import graphcrm  # noqa: E402
from graphcrm.algorithms.movement import earlier_kocs  # noqa: E402
from graphcrm.reports.html import MOVEMENT_OPTIONS  # noqa: E402

DEFAULT = "earlier_kocs,movement,rising_stars,level_transitions,vol,vol_nv"


def main() -> None:
    store, order = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else DEFAULT).split(",")
    cg = graphcrm.open(store)
    c = cg.community()
    accepted = inspect.signature(earlier_kocs).parameters
    pieces = {
        "earlier_kocs": lambda: earlier_kocs(c, **{k: v for k, v in MOVEMENT_OPTIONS.items() if k in accepted}),
        "movement": lambda: cg.movement(**MOVEMENT_OPTIONS, lang="en"),
        "rising_stars": lambda: cg.rising_stars(**MOVEMENT_OPTIONS, lang="en"),
        "level_transitions": lambda: cg.level_transitions(**MOVEMENT_OPTIONS, lang="en"),
        "vol": lambda: cg.volunteer_candidates(seed=0, lang="en"),
        "vol_nv": lambda: cg.volunteer_candidates(seed=0, lang="en", validate=False),
    }
    bad = [p for p in order if p not in pieces]
    if bad:
        raise SystemExit(f"unknown piece(s) {bad}; pieces are {', '.join(pieces)}")

    def step(label, f):
        t, cpu = time.perf_counter(), time.process_time()
        f()
        print(f"{label:22s} {time.perf_counter() - t:8.2f} {time.process_time() - cpu:8.2f}", flush=True)

    step("kocs", cg.kocs)
    step("drifting_owners(core)", lambda: cg.drifting_owners(lang="en"))
    for name in order:
        step(name, pieces[name])
    cg.close()


if __name__ == "__main__":
    main()
