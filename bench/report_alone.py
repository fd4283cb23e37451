"""``graphcrm report`` alone, right after the analyses ran (results kept in the store).

    python bench/report_alone.py --folder /tmp/gcrm-bench/demo-100000 --store /tmp/b100k.duckdb [--runs 3]
    python bench/report_alone.py --store /tmp/b100k.duckdb --profile 25

1. If the store does not exist: ``graphcrm load FOLDER`` into it (timed).
2. ``graphcrm run`` on it (every analysis, the targets and the report, each result kept in the
   store keyed by the data version and options), unless ``--skip-run``.
3. ``graphcrm report`` alone, ``--runs`` times, each in a fresh process: wall seconds, CPU
   seconds (user + system: less sensitive to other processes on a shared machine) and peak
   resident memory (the child's ``ru_maxrss``), with the load average before each run.

``--profile N`` instead runs the report once in this process under cProfile (after the kept
results are there) and prints the N most expensive functions by cumulative time: where the
report still spends its time.  Timings are never asserted in tests.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


#: CPU seconds (user + system) of the last child: less sensitive to a busy machine than wall time
LAST_CPU = [0.0]


def _graphcrm(*args: str) -> tuple[float, float, int]:
    """Run ``graphcrm ARGS`` in a fresh process: (wall s, that process's peak RSS MiB, exit code);
    its CPU seconds go to :data:`LAST_CPU`."""
    cpu0 = _cpu()
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "graphcrm.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    wall = time.perf_counter() - t
    # the child's own rusage (wait4 after communicate is too late: use the resource of the
    # reaped child through the difference of RUSAGE_CHILDREN maxima only when it grew)
    LAST_CPU[0] = _cpu() - cpu0
    rc = proc.returncode
    if rc:
        print(out[-2000:], err[-4000:], sep="\n", file=sys.stderr)
    return wall, _last_child_peak(), rc


_seen = [0]


def _last_child_peak() -> float:
    """Peak RSS (MiB) of the child just reaped: RUSAGE_CHILDREN's maximum when it grew, else
    reported as at most the earlier maximum (shown with '<=')."""
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    grew = peak > _seen[0]
    _seen[0] = max(_seen[0], peak)
    return peak / 1024 if grew else -peak / 1024


def _mib(v: float) -> str:
    return f"{v:7.0f} MiB" if v >= 0 else f"<={-v:5.0f} MiB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--folder", default=None, help="demo or export folder to load when the store does not exist")
    ap.add_argument("--out", default=None, help="folder for the HTML files (default: next to the store)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-run", action="store_true", help="the analyses already ran on this store")
    ap.add_argument("--profile", type=int, default=0, metavar="N")
    a = ap.parse_args()
    store = Path(a.store)
    out = Path(a.out) if a.out else store.parent
    out.mkdir(parents=True, exist_ok=True)
    print(f"load average {os.getloadavg()[0]:.2f}; python {sys.executable}")
    if not store.exists():
        if not a.folder:
            ap.error("the store does not exist: give --folder to load")
        wall, mem, rc = _graphcrm("load", a.folder, "--store", str(store), "--rejects", str(out / "rejects.csv"))
        print(f"load                      {wall:8.1f} s  {_mib(mem)}  (exit {rc})")
    if not a.skip_run and not a.profile:
        wall, mem, rc = _graphcrm("run", "--store", str(store), "-o", str(out / "run.html"), "--no-progress")
        print(f"graphcrm run (keeps all)  {wall:8.1f} s wall  {LAST_CPU[0]:6.1f} s CPU  {_mib(mem)}  (exit {rc})")
    if a.profile:
        import cProfile
        import pstats

        import graphcrm

        with graphcrm.open(store) as cg:
            prof = cProfile.Profile()
            t = time.perf_counter()
            prof.enable()
            cg.report(out / "profiled.html", progress=False)
            prof.disable()
            print(f"report in process: {time.perf_counter() - t:.1f} s")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(a.profile)
        return
    for i in range(a.runs):
        load = os.getloadavg()[0]
        wall, mem, rc = _graphcrm("report", "--store", str(store), "-o", str(out / f"alone-{i}.html"))
        print(f"graphcrm report alone #{i + 1} {wall:8.1f} s wall  {LAST_CPU[0]:6.1f} s CPU  {_mib(mem)}  "
              f"(exit {rc}, load average {load:.2f})")


if __name__ == "__main__":
    main()
