"""Settings of the credit-distribution model (algorithms/credit.py) compared by backtest.

    python bench/credit_grid.py --inner            # choose on the picking period only
    python bench/credit_grid.py --configs share:0.25:1 share:1:none   # outer backtest of given settings

Each setting is ``credit:episode_share:half_life`` (credit ``share`` = the paper's 1/N_in,
``full`` = coverage; episode length as a share of the horizon; recency half-life in episodes
or ``none``).  For every data set of bench/backtest_real.py and k = 10, 50, 100 it prints the
reach of ``credit`` and its ratio to the best of out_degree, pagerank, recent_engagers and kocs
(bootstrap off), one TSV line each.  ``--inner`` runs on the data before each data set's
usual split, split again at 70% (nothing of the evaluation period is seen).
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time

import pandas as pd

import graphcrm.algorithms.credit as cd
from graphcrm.algorithms.backtest import BASELINES, _split_time, backtest
from graphcrm.community import Community

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from backtest_real import DATA, SETS, _contract_frames, demo, demo_split  # noqa: E402


def community_for(name: str, inner: bool, demo_owners: int) -> tuple[Community, object]:
    """The community of a data set and its split (the inner one with ``inner``)."""
    if name == "demo":
        tables = demo(demo_owners)
        c = Community(tables)
        at = demo_split(tables)
        if inner:
            c = Community(tables, until=at)
            t0 = tables["interactions"]["created_at"].min()
            at = t0 + (at - t0) * 0.7
        return c, at
    c = Community(_contract_frames(SETS[name]()))
    if inner:
        c = Community(c.tables, until=_split_time(c, None)[1])
    return c, None


def parse(cfg: str) -> tuple[str, float, float | None]:
    credit, share, hl = cfg.split(":")
    return credit, float(share), None if hl == "none" else float(hl)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--k", nargs="*", type=int, default=[10, 50, 100])
    ap.add_argument("--inner", action="store_true")
    ap.add_argument("--demo-owners", type=int, default=5000)
    ap.add_argument("--configs", nargs="*", default=None,
                    help="credit:episode_share:half_life (default: share/full x 1/0.5/0.25/0.1 x none/1)")
    args = ap.parse_args(argv)
    configs = args.configs or [f"{c}:{s}:{h}" for c, s, h in
                               itertools.product(("share", "full"), ("1", "0.5", "0.25", "0.1"), ("none", "1"))]
    names = args.only or ["demo", *[s for s in SETS if s != "stackexchange_conlang"]]
    print("set\tk\tconfig\treach\tbest_baseline\tbest_reach\tratio\tseconds", flush=True)
    for name in names:
        if name != "demo" and not (DATA / name).exists():
            continue
        c, at = community_for(name, args.inner, args.demo_owners)
        for k in args.k:
            for cfg in configs:
                cd.DEFAULT_CREDIT, cd.DEFAULT_EPISODE_SHARE, cd.DEFAULT_HALF_LIFE_EPISODES = parse(cfg)
                t = time.perf_counter()
                # the undecorated function: the result cache is keyed by backtest's options, which
                # do not include these module settings (the KOC scores stay cached per split)
                df, info = backtest.__wrapped__(c, at=at, k=k, methods=["credit", *BASELINES], bootstrap=0)
                r = df.set_index("method")
                best = info.best_baseline
                print(f"{name}\t{k}\t{cfg}\t{int(r.loc['credit', 'reach'])}\t{best}\t{int(r.loc[best, 'reach'])}\t"
                      f"{float(r.loc['credit', 'ratio_to_best_baseline']):.3f}\t{time.perf_counter() - t:.1f}",
                      flush=True)


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    sys.exit(main())
