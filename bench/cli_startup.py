"""Time ``graphcrm --help`` and ``graphcrm --version`` as a user's shell runs them.

    python bench/cli_startup.py [--runs 15]

Runs the installed ``graphcrm`` entry point (the one next to this Python) in a fresh process
each time and prints the median, min and max wall time in seconds.  The target is a median
under 0.5 s (issue: a thin, fast CLI); the heavy libraries are imported only by the commands
that use them (tests/test_import_weight.py checks that).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    exe = Path(sys.executable).with_name("graphcrm")
    cmd0 = [str(exe)] if exe.exists() else [shutil.which("graphcrm") or "graphcrm"]
    for flag in ("--help", "--version"):
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            subprocess.run(cmd0 + [flag], check=True, capture_output=True)
            times.append(time.perf_counter() - t)
        print(f"graphcrm {flag:<9} median {statistics.median(times):.3f} s  "
              f"min {min(times):.3f}  max {max(times):.3f}  ({args.runs} runs)")


if __name__ == "__main__":
    main()
