"""The demo community's planted circles: graphcrm's default circles beside the stock algorithms a
user would run (networkx Louvain, igraph Leiden modularity, igraph Infomap; seeds 0-4, the same
weighted combined graph), scored against the planted cities and city x hobby circles.

    python bench/circles_demo_stock.py --owners 5000
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validate_circles import baselines, planted_demo  # noqa: E402

from graphcrm.algorithms.circles import circles, combined_graph, compare_partitions  # noqa: E402


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--owners", type=int, default=5000)
    args = ap.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, load {os.getloadavg()}")
    c, _, planted, city = planted_demo(args.owners)
    u, v, _ = combined_graph(c)
    tied = np.zeros(len(c.owner_ids), dtype=bool)
    tied[u] = tied[v] = True
    print(f"{args.owners:,} owners, {len(u):,} ties, {int(tied.sum()):,} owners with ties")
    print("| method | seeds | circles | city NMI / ARI (mean [min-max]) | city x hobby NMI / ARI | CPU s per run |")
    print("|---|---|---|---|---|---|")

    def row(name: str, parts: list[np.ndarray], secs: float) -> None:
        a = [compare_partitions(city[tied], m[tied]) for m in parts]
        b = [compare_partitions(planted[tied], m[tied]) for m in parts]

        def f(xs: list[dict], key: str) -> str:
            vals = [x[key] for x in xs]
            return f"{np.mean(vals):.3f} [{min(vals):.3f}-{max(vals):.3f}]"

        k = [len(set(m[tied])) for m in parts]
        print(f"| {name} | {len(parts)} | {min(k)}-{max(k)} | {f(a, 'nmi')} / {f(a, 'ari')} | "
              f"{f(b, 'nmi')} / {f(b, 'ari')} | {secs / len(parts):.2f} |")

    t = _cpu()
    mine = [circles(c, seed=s).set_index("owner_id").loc[c.owner_ids, "circle"].to_numpy() for s in range(5)]
    row("graphcrm circles() default", mine, _cpu() - t)
    t = _cpu()
    base = baselines(c)
    secs = (_cpu() - t) / len(base)
    for name, parts in base.items():
        row(name + " (stock)", parts, secs)
    print("(stock CPU s: the three baselines' total split evenly, graph building included)")


if __name__ == "__main__":
    main()
