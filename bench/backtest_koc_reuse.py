"""Backtests at k = 10, 50, 100 on one split in one process: the kocs baseline's cost per call.

    .venv/bin/python bench/backtest_koc_reuse.py --owners 5000 --at 0.9
    git show eb3785d~1:algorithms/backtest.py > /tmp/old_backtest.py
    .venv/bin/python bench/backtest_koc_reuse.py --owners 5000 --at 0.9 --old /tmp/old_backtest.py

Prints each call's wall time, the kocs method's ``seconds`` and reach, and the load average.
``--alternatives`` instead compares the KOC top 50 on the training window with two cheaper
variants that were considered and not taken (they are different baselines): bridging weight 0,
and circles from one plain-modularity run (``resolution=1, consensus_runs=1``).

    .venv/bin/python bench/backtest_koc_reuse.py --alternatives
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time

from graphcrm.community import Community
from graphcrm.demo import generate_demo


def _top(train, k=50, **kw):
    import pandas as pd

    from graphcrm.algorithms.backtest import _rank_top
    from graphcrm.algorithms.koc import kocs

    t = time.perf_counter()
    kd = kocs(train, **kw)
    s = time.perf_counter() - t
    score = pd.Series(kd["score"].to_numpy(float), index=kd["owner_id"].astype(str))
    sel = _rank_top(score.reindex(train.owner_ids).fillna(0.0).to_numpy() + 1e-12, train.owner_ids,
                    train.eligible(), k)
    return set(train.owner_ids[sel]), s


def alternatives() -> None:
    from graphcrm.algorithms.backtest import _split_time

    print("load average", os.getloadavg())
    for n in (5000, 20000):
        tables, _ = generate_demo(n, seed=0)
        c = Community(tables)
        _top(Community(tables, until=_split_time(c, 0.5)[1]), k=5)  # compile the kernels first
        for at in (0.7, 0.9):
            cut = _split_time(c, at)[1]
            a, sa = _top(Community(tables, until=cut))
            b, sb = _top(Community(tables, until=cut), weights={"bridging": 0.0})
            d, sd = _top(Community(tables, until=cut), circle_options={"resolution": 1.0, "consensus_runs": 1})
            print(f"{n} owners at={at}: kocs() {sa:.2f} s | bridging 0: {sb:.2f} s, {len(a & b)}/50 the same | "
                  f"one-run circles: {sd:.2f} s, {len(a & d)}/50 the same", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--owners", type=int, default=5000)
    ap.add_argument("--at", type=float, default=0.9)
    ap.add_argument("--old", help="an older algorithms/backtest.py to run instead")
    ap.add_argument("--alternatives", action="store_true")
    args = ap.parse_args()
    if args.alternatives:
        alternatives()
        return
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
