"""Check and time ``backtest(..., ceiling=True)``: the hindsight row against bench/backtest_ceiling.py's ceiling.

For each data set and k: the backtest with and without ``ceiling=True`` (the same methods as
bench/backtest_ceiling.py), asserting that every other row is unchanged (all columns but
``seconds``), and the hindsight row's reach against :func:`graphcrm.algorithms.hindsight.hindsight_ceiling`
called directly as in bench/backtest_ceiling.py (exact, 60 s).  Prints the row, the ceiling's
wall time (the row's ``seconds``) and how the ceiling was obtained.

    python bench/backtest_ceiling_row.py [--only demo collegemsg ...] [--k 10 50 100] [--demo-owners 5000]
    python bench/backtest_ceiling_row.py --store /tmp/copy-of-bench-100000.duckdb --k 50   # a store (demo data)
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backtest_real import DATA, SETS, _contract_frames, demo, demo_split  # noqa: E402

from graphcrm.algorithms import backtest as bt  # noqa: E402
from graphcrm.algorithms.hindsight import hindsight_ceiling  # noqa: E402
from graphcrm.community import Community  # noqa: E402

METHODS = ["ambassadors:learned", *bt.BASELINES]


def say(text: str = "") -> None:
    print(text, flush=True)


def check(name: str, c: Community, at, ks: list[int], bootstrap: int, direct: bool) -> None:
    for k in ks:
        off = bt.backtest(c, at=at, k=k, methods=METHODS, bootstrap=bootstrap, max_hops=2)
        t0, p0 = time.perf_counter(), time.process_time()
        on, info = bt.backtest(c, at=at, k=k, methods=METHODS, bootstrap=bootstrap, max_hops=2, ceiling=True,
                               details=True)
        wall, cpu = time.perf_counter() - t0, time.process_time() - p0
        same = on.iloc[:-1].drop(columns="seconds").equals(off.drop(columns="seconds"))
        h = on.iloc[-1]
        ce = info.ceiling
        ref = ""
        if direct:
            n = len(c.owner_ids)
            train = Community(c.tables, since=c.since, until=info.at)
            elig = np.zeros(n, dtype=bool)
            pos = c.index_of(train.owner_ids[train.eligible()])
            elig[pos[pos >= 0]] = True
            ex = bt.exposures(c)
            start, end_ns = int(info.at.value) + 1, int(info.end.value)
            w = (ex["t"].to_numpy() >= start) & (ex["t"].to_numpy() <= end_ns)
            src, dst, tt = (ex[col].to_numpy()[w] for col in ("src", "dst", "t"))
            direct_c = hindsight_ceiling(src, dst, tt, n, elig, k=k, start=start, end=end_ns, max_hops=2,
                                         exact_seconds=60.0)
            ref = f"; direct hindsight_ceiling: exact {direct_c.exact:,.0f} (optimal {direct_c.exact_optimal})"
            assert not direct_c.exact_optimal or not ce["optimal"] or direct_c.exact == h["reach"], (direct_c, h)
        best = info.best_baseline
        say(f"{name} k={k}: other rows unchanged: {same}; best baseline {best} {int(off.set_index('method').loc[best, 'reach']):,}; "
            f"hindsight reach {int(h['reach']):,} (k {int(h['k'])}, [{h['reach_low']:.0f}, {h['reach_high']:.0f}]), "
            f"ratio {h['ratio_to_best_baseline']:.3f} [{h['ratio_low']:.3f}, {h['ratio_high']:.3f}], "
            f"optimal {ce['optimal']} by {ce['solver']}, upper {ce['upper']:,.0f}, greedy {ce['greedy']:,}, "
            f"{ce['candidates']:,} candidates, {ce['entries']:,} set entries; ceiling {h['seconds']:.1f} s wall; "
            f"whole ceiling=True backtest {wall:.1f} s wall, {cpu:.1f} s CPU{ref}")
        assert same


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=None, help="data sets (demo, " + ", ".join(SETS) + ")")
    ap.add_argument("--k", nargs="*", type=int, default=[10, 50, 100])
    ap.add_argument("--demo-owners", type=int, default=5000)
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--store", default=None, help="a DuckDB store instead (default split 0.7; no direct check)")
    args = ap.parse_args(argv)
    say(f"{pd.Timestamp.now('UTC'):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()}")
    if args.store:
        from graphcrm.api import open as open_store

        check(Path(args.store).name, open_store(args.store).community(), None, args.k, args.bootstrap,
              direct=False)
    else:
        for name in args.only or ["demo", *SETS]:
            if name == "demo":
                tables = demo(args.demo_owners)
                check(name, Community(tables), demo_split(tables), args.k, args.bootstrap, direct=True)
            elif (DATA / name).exists():
                check(name, Community(_contract_frames(SETS[name]())), None, args.k, args.bootstrap, direct=True)
            else:
                say(f"(skipped {name}: absent)")
    ru = resource.getrusage(resource.RUSAGE_SELF)
    say(f"CPU user {ru.ru_utime:.0f} s, sys {ru.ru_stime:.0f} s, peak RSS {ru.ru_maxrss / 1024:.0f} MiB; "
        f"load {os.getloadavg()}")


if __name__ == "__main__":
    sys.exit(main())
