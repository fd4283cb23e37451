"""Time the credit-distribution model on a whole real log (default: Higgs, 304k owners, 563k actions).

    python bench/credit_bench.py                      # Higgs, k = 50, horizon 2.1 days (the backtest's)
    python bench/credit_bench.py --set collegemsg --k 10 50 100 --horizon-days 58

Prints, per k, the wall and CPU seconds (user + sys of this process) of ``credit_ambassadors``
(exposures read once before: they are shared with every other analysis of the community), the
episodes, (episode, owner) nodes, (episode, pair) edges, gain evaluations, and the peak RSS.
The first call includes numba's compilation unless it is cached.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from backtest_real import SETS, _contract_frames  # noqa: E402

from graphcrm.algorithms.backtest import exposures  # noqa: E402
from graphcrm.algorithms.credit import credit_ambassadors  # noqa: E402
from graphcrm.community import Community  # noqa: E402


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="higgs_twitter", choices=sorted(SETS))
    ap.add_argument("--k", nargs="*", type=int, default=[50])
    ap.add_argument("--horizon-days", type=float, default=2.1)
    args = ap.parse_args(argv)
    c = Community(_contract_frames(SETS[args.set]()))
    t, u = time.perf_counter(), cpu()
    ex = exposures(c)
    print(f"{args.set}: {len(c.owner_ids):,} owners, {len(ex):,} exposures (read in {time.perf_counter() - t:.1f} s "
          f"wall, {cpu() - u:.1f} s CPU)")
    credit_ambassadors(c, k=1, horizon_days=args.horizon_days)  # compile (or load numba's cache)
    for k in args.k:
        t, u = time.perf_counter(), cpu()
        df, info = credit_ambassadors(c, k=k, horizon_days=args.horizon_days, details=True)
        print(f"k={k}: {time.perf_counter() - t:.2f} s wall, {cpu() - u:.2f} s CPU; {info.episodes} episodes of "
              f"{info.episode_days:.3f} days, {info.pseudo_nodes:,} (episode, owner) nodes, {info.edges:,} edges, "
              f"{info.evaluations:,} gain evaluations, spread {info.spread:,.1f}")
    print(f"peak RSS of the process (data included): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
