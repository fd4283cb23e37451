"""Attempt 10 of issue #12: predicted own reach covered with last-period overlap (algorithms/reach_cover.py).

    python bench/backtest_reach_cover.py --inner --bootstrap 0            # choose the setting (data before T only)
    python bench/backtest_reach_cover.py --overlap fitted                  # the evaluation periods, once

The same data sets, adapters, splits and replay as bench/backtest_real.py.  Per data set and k
the picks of every ``--overlap`` setting (made on ``Community(tables, until=T)`` with the
evaluation window's length as ``horizon_days``) go through ``backtest(..., picks=)``: the first
setting in the same call as ``ambassadors:learned`` and the four baselines (paired bootstrap),
the others in calls of their own (the reach is deterministic; ratios to the same best baseline).
"""
from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backtest_real import SETS, _contract_frames, data_sets, demo_split  # noqa: E402

from graphcrm.algorithms import backtest as bt  # noqa: E402
from graphcrm.algorithms.reach_cover import OVERLAPS, reach_cover  # noqa: E402
from graphcrm.community import Community  # noqa: E402

METHODS = ["ambassadors:learned", *bt.BASELINES]


def say(text: str = "") -> None:
    print(text, flush=True)


def run(name: str, tables: dict, ks: list[int], overlaps: list[str], bootstrap: int, inner: bool) -> list[dict]:
    c = Community(_contract_frames(tables)) if name != "demo" else Community(tables)
    if inner:
        outer = demo_split(tables) if name == "demo" else bt._split_time(c, None)[1]
        c = Community(c.tables, until=outer)
        if name == "demo":
            t0 = tables["interactions"]["created_at"].min()
            tables = {"interactions": pd.DataFrame({"created_at": [t0, outer]})}
    at = demo_split(tables) if name == "demo" else None
    _, cut, end = bt._split_time(c, at)
    train = Community(c.tables, since=c.since, until=cut)
    horizon = (end - cut).total_seconds() / 86400.0
    out = []
    for k in ks:
        picks, secs, infos = {}, {}, {}
        for ov in overlaps:
            t1 = time.perf_counter()
            df, info = reach_cover(train, k=k, horizon_days=horizon, overlap=ov, details=True)
            secs[ov] = time.perf_counter() - t1
            picks[ov], infos[ov] = df["owner_id"].tolist(), info
        res, a = bt.backtest(c, at=at, k=k, methods=METHODS, picks=picks[overlaps[0]], bootstrap=bootstrap,
                             max_hops=2, details=True)
        res = res.set_index("method")
        best = float(res.loc[a.best_baseline, "reach"])
        row = {"data": name, "k": k, "best": a.best_baseline, "best_reach": int(best),
               "learned": int(res.loc["ambassadors:learned", "reach"]),
               "learned_ratio": float(res.loc["ambassadors:learned", "ratio_to_best_baseline"])}
        line = (f"{name}{' (inner)' if inner else ''} k={k}: best {a.best_baseline} {int(best):,}; learned "
                f"{row['learned']:,} ({row['learned_ratio']:.3f}"
                + (f", CI {res.loc['ambassadors:learned', 'ratio_low']:.3f}-"
                   f"{res.loc['ambassadors:learned', 'ratio_high']:.3f}" if bootstrap else "") + ")")
        for i, ov in enumerate(overlaps):
            if i == 0:
                r = res.loc["picks"]
            else:
                r = bt.backtest(c, at=at, k=k, methods=[], picks=picks[ov], bootstrap=0, max_hops=2).iloc[0]
            row[ov] = int(r["reach"])
            row[f"{ov}_ratio"] = r["reach"] / best if best else float("nan")
            ci = (f", CI {r['ratio_low']:.3f}-{r['ratio_high']:.3f}" if i == 0 and bootstrap else "")
            inf = infos[ov]
            line += (f"; reach_cover:{ov} {int(r['reach']):,} ({row[f'{ov}_ratio']:.3f}{ci}; rho {inf.rho:.3f}, "
                     f"fit rows {inf.rows:,}/{inf.positives:,} > 0, {secs[ov]:.1f} s)")
        say(line)
        say(f"  coefficients ({overlaps[0]}): {infos[overlaps[0]].coef}; load {os.getloadavg()[0]:.2f}")
        out.append(row)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--k", nargs="*", type=int, default=[10, 50, 100])
    ap.add_argument("--demo-owners", type=int, default=5000)
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--inner", action="store_true")
    ap.add_argument("--overlap", nargs="*", default=list(OVERLAPS), choices=OVERLAPS)
    ap.add_argument("--label-share", type=float, default=None,
                    help="reach_cover's window L as a share of the horizon (default 1.0)")
    ap.add_argument("--sources-only", action="store_true",
                    help="fit reach_cover's regression on owners who were a source before the internal split only")
    args = ap.parse_args(argv)
    if args.sources_only:
        import graphcrm.algorithms.reach_cover as rcm

        rcm.SOURCES_ONLY = True
    if args.label_share is not None:
        import graphcrm.algorithms.reach_cover as rcm

        rcm.LABEL_SHARE = args.label_share
    say(f"label share {__import__('graphcrm.algorithms.reach_cover', fromlist=['x']).LABEL_SHARE}")
    say(f"{pd.Timestamp.now('UTC'):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()}")
    rows = []
    for name, tables in data_sets(args.only, args.demo_owners, say):
        rows += run(name, tables, args.k, args.overlap, args.bootstrap, args.inner)
    say()
    say("| data set | k | best baseline: reach | learned: ratio | " + " | ".join(f"reach_cover:{o}: ratio"
                                                                            for o in args.overlap) + " |")
    say("|---|---|---|---|" + "---|" * len(args.overlap))
    for r in rows:
        say(f"| {r['data']} | {r['k']} | {r['best']} {r['best_reach']:,} | {r['learned']:,}, {r['learned_ratio']:.3f} | "
            + " | ".join(f"{r[o]:,}, {r[f'{o}_ratio']:.3f}" for o in args.overlap) + " |")

    def gmean(key: str, skip_conlang: bool) -> float:
        v = [r[key] for r in rows if not (skip_conlang and r["data"] == "stackexchange_conlang")]
        v = [max(x, 1e-3) for x in v if not math.isnan(x)]
        return float(np.exp(np.mean(np.log(v)))) if v else float("nan")

    for skip in (False, True):
        say(f"geometric mean of the ratio over {'the cells but conlang' if skip else 'all cells'} "
            f"(zeros as 0.001): learned {gmean('learned_ratio', skip):.3f}; "
            + "; ".join(f"{o} {gmean(f'{o}_ratio', skip):.3f}" for o in args.overlap))
    ru = resource.getrusage(resource.RUSAGE_SELF)
    say(f"CPU user {ru.ru_utime:.0f} s, sys {ru.ru_stime:.0f} s, peak RSS {ru.ru_maxrss / 1024:.0f} MiB; "
        f"load {os.getloadavg()}")


if __name__ == "__main__":
    sys.exit(main())
