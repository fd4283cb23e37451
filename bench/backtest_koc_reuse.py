"""Backtests at k = 10, 50, 100 on one split in one process: the kocs baseline's cost per call.

    .venv/bin/python bench/backtest_koc_reuse.py --owners 5000 --at 0.9
    git show eb3785d~1:algorithms/backtest.py > /tmp/old_backtest.py
    .venv/bin/python bench/backtest_koc_reuse.py --owners 5000 --at 0.9 --old /tmp/old_backtest.py

Prints each call's wall time, the kocs method's ``seconds`` and reach, and the load average.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time

from graphcrm.community import Community
from graphcrm.demo import generate_demo


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--owners", type=int, default=5000)
    ap.add_argument("--at", type=float, default=0.9)
    ap.add_argument("--old", help="an older algorithms/backtest.py to run instead")
    args = ap.parse_args()
    if args.old:
        spec = importlib.util.spec_from_file_location("old_backtest", args.old)
        bt = importlib.util.module_from_spec(spec)
        sys.modules["old_backtest"] = bt
        spec.loader.exec_module(bt)
    else:
        from graphcrm.algorithms import backtest as bt
    c = Community(generate_demo(args.owners, seed=0)[0])
    print("load average", os.getloadavg())
    total = 0.0
    for k in (10, 50, 100):
        t = time.perf_counter()
        df = bt.backtest(c, at=args.at, k=k, seed=0).set_index("method")
        s = time.perf_counter() - t
        total += s
        print(f"k={k}: {s:.2f} s, kocs {df.loc['kocs', 'seconds']:.2f} s, kocs reach {df.loc['kocs', 'reach']}")
    print(f"total {total:.2f} s, load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
