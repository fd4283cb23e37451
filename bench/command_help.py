"""Time one command's ``--help`` (``graphcrm kocs --help`` ...) as a user's shell runs it.

    python bench/command_help.py [--runs 7]

A command's help shows the library's defaults.  They are read from the analysis function's
source (graphcrm.commands.options.library_default), so no analysis is imported; the baseline is
what reading them from the imported function cost: ``python -c "import <analysis module>"``
(the import the help used to pay, numba, igraph and pandas with it).  Prints the median, min and
max wall time of fresh processes, and the load average.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

#: command -> the analysis module its --help used to import for its defaults
COMMANDS = {"kocs": "graphcrm.algorithms.koc", "circles": "graphcrm.algorithms.circles",
            "targets": "graphcrm.algorithms.targeting", "movement": "graphcrm.algorithms.movement",
            "volunteers": "graphcrm.algorithms.volunteers", "ambassadors": "graphcrm.algorithms.influence"}


def _median(cmd: list[str], runs: int) -> tuple[float, float, float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times), max(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    exe = Path(sys.executable).with_name("graphcrm")
    cmd0 = [str(exe)] if exe.exists() else [shutil.which("graphcrm") or "graphcrm"]
    print(f"load average {os.getloadavg()[0]:.2f}, {args.runs} runs each")
    for command, module in COMMANDS.items():
        med, lo, hi = _median(cmd0 + [command, "--help"], args.runs)
        bmed, blo, bhi = _median([sys.executable, "-c", f"import {module}"], args.runs)
        print(f"graphcrm {command:<10} --help median {med:.3f} s (min {lo:.3f}, max {hi:.3f});  "
              f"baseline import {module}: median {bmed:.3f} s (min {blo:.3f}, max {bhi:.3f})")


if __name__ == "__main__":
    main()
