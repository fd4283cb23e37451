"""What the circles cost beside the baselines a user would run instead, on the real labelled networks.

    python bench/circles_cost_labelled.py [--demo 2000,5000]

For every labelled network of ``bench/validate_circles.py`` (../shared/data, never copied), and
optionally demo communities of the sizes given: CPU seconds (``time.process_time``, this process
only) of one call each, seed 0, on the same weighted combined graph:

* ``circles(c)`` - graphcrm's default (consensus modularity with its resolution scan, table included);
* ``circles(c, method="auto")`` - edge cross-validation between consensus modularity and Infomap;
* stock igraph Leiden (modularity, ``n_iterations=-1``), igraph Infomap (10 trials) and networkx
  Louvain, each including building its graph from the tie arrays (what a user would do).

Timings belong here and in docs/benchmarks.md, never in tests.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import igraph as ig
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validate_circles import labelled_sets, planted_demo  # noqa: E402

from graphcrm.algorithms.circles import circles, combined_graph  # noqa: E402
from graphcrm.community import Community  # noqa: E402


def _cpu(fn) -> tuple[object, float]:
    t = time.process_time()
    out = fn()
    return out, time.process_time() - t


def _stock(c: Community) -> dict[str, float]:
    import networkx as nx

    u, v, w = combined_graph(c)
    n = len(c.owner_ids)

    def leiden():
        g = ig.Graph(n=n, edges=np.column_stack([u, v]).tolist())
        random.seed(0)
        return g.community_leiden(objective_function="modularity", weights=w.tolist(), n_iterations=-1)

    def infomap():
        g = ig.Graph(n=n, edges=np.column_stack([u, v]).tolist())
        random.seed(0)
        return g.community_infomap(edge_weights=w.tolist())

    def louvain():
        G = nx.Graph()
        G.add_nodes_from(range(n))
        G.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist()))
        return nx.community.louvain_communities(G, weight="weight", seed=0)

    return {name: _cpu(fn)[1] for name, fn in (("igraph Leiden", leiden), ("igraph Infomap", infomap),
                                               ("networkx Louvain", louvain))}


def row(name: str, c: Community) -> None:
    ties = len(combined_graph(c)[0])
    _, default = _cpu(lambda: circles(c, seed=0))
    c_auto = Community(c.tables)  # a fresh cache: auto must not reuse the default's partition pieces
    _, auto = _cpu(lambda: circles(c_auto, method="auto", seed=0))
    s = _stock(c)
    print(f"| {name} | {len(c.owner_ids):,} / {ties:,} | {default:.2f} | {auto:.2f} | {s['igraph Leiden']:.2f} | "
          f"{s['igraph Infomap']:.2f} | {s['networkx Louvain']:.2f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--demo", default="", help="also these demo sizes, comma-separated (e.g. 2000,5000)")
    a = ap.parse_args()
    print("| network | owners / ties | graphcrm default | graphcrm auto | igraph Leiden | igraph Infomap (10 trials) "
          "| networkx Louvain |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, tables, _labels in labelled_sets():
        row(name, Community(tables))
    for n in [int(x) for x in a.demo.split(",") if x]:
        row(f"demo {n:,}", planted_demo(n)[0])


if __name__ == "__main__":
    main()
