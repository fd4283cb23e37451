"""ambassadors(probability="credit") on real data: the same picks as the backtest's credit method,
and its cost beside the learned model (the default) on the same community.

    python bench/credit_ambassadors.py same-picks            # every real data set + the 5,000-owner demo
    python bench/credit_ambassadors.py timing --store S.duckdb --k 50

``same-picks``: for each data set and k = 10 / 50 / 100, the backtest (default split, methods
``credit``, no bootstrap) and ``ambassadors(probability="credit")`` on the data before the split with
the backtest's horizon (the evaluation window's length): are the picks the same, in the same order?
``timing``: wall and CPU seconds (user + sys of this process) of ``ambassadors(k, probability=...)``
for credit and learned on a fresh community of the store each (the store's community loaded once),
and the peak RSS so far.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


from graphcrm.algorithms.backtest import backtest  # noqa: E402
from graphcrm.algorithms.influence import ambassadors  # noqa: E402
from graphcrm.community import Community  # noqa: E402


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def same_picks(ks: list[int], only: list[str] | None) -> None:
    import backtest_real as br

    names = only or ["demo", *br.SETS]
    print("| data set | k | same picks, same order | backtest credit s | ambassadors(probability='credit') s |")
    print("|---|---|---|---|---|")
    for name in names:
        if name == "demo":
            tables = br.demo(5000)
            c = Community(tables)
        else:
            if not (br.DATA / name).exists():
                print(f"(skipped {name}: absent)")
                continue
            c = Community(br._contract_frames(br.SETS[name]()))
            tables = None
        at = br.demo_split(tables) if name == "demo" else None
        for k in ks:
            df, info = backtest(c, at=at, k=k, methods=["credit"], bootstrap=0, details=True)
            train = Community(c.tables, since=c.since, until=info.at)
            h = (info.end - info.at).total_seconds() / 86400.0
            t = time.perf_counter()
            amb = ambassadors(train, k=k, probability="credit", horizon_days=h)
            secs = time.perf_counter() - t
            same = amb["owner_id"].astype(str).tolist() == info.picks["credit"]
            print(f"| {name} | {k} | {'yes' if same else 'NO'} ({len(amb)} picks) | {df['seconds'].iloc[0]:.2f} | "
                  f"{secs:.2f} |", flush=True)


def timing(store: str, k: int) -> None:
    import graphcrm

    with graphcrm.open(store) as cg:
        tables = {n: cg.table(n) for n in ("owners", "posts", "interactions", "events", "attendance", "referrals")}
    print(f"owners {len(tables['owners']):,}, interactions {len(tables['interactions']):,}; peak {peak_mib():,.0f} MiB")
    for prob in ("credit", "learned", "credit"):
        c = Community(tables)
        w, u = time.perf_counter(), cpu()
        df, info = ambassadors(c, k=k, probability=prob, mc_runs=0, details=True)
        print(f"{prob}: k={k} {time.perf_counter() - w:.2f} s wall, {cpu() - u:.2f} s CPU, "
              f"cumulative_reach {df['cumulative_reach'].iloc[-1]:,.1f}, approximation {info.approximation:.3f}; "
              f"peak RSS so far {peak_mib():,.0f} MiB; stages "
              + ", ".join(f"{a} {b:.2f}" for a, b in info.stats.seconds.items()), flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("same-picks", "timing"))
    ap.add_argument("--k", nargs="*", type=int, default=None)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--store", default=None)
    a = ap.parse_args(argv)
    if a.mode == "same-picks":
        same_picks(a.k or [10, 50, 100], a.only)
    else:
        timing(a.store, (a.k or [50])[0])


if __name__ == "__main__":
    sys.exit(main())
