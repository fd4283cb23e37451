"""One stock igraph Leiden run on saved tie arrays: the user's baseline beside graphcrm's partition.

    /usr/bin/time -v python bench/leiden_stock_graph.py g1m.npz [--n-iterations 2]

``g1m.npz`` as written by ``bench/kocs_memtrace.py --save-graph`` (arrays ``u``, ``v``, ``w``, ``n``:
the combined owner graph of a community).  Builds the igraph graph from the numpy arrays and runs
``community_leiden(objective_function="modularity", weights=..., n_iterations=...)`` once, seed 0,
printing wall and CPU seconds per phase.  Compare with ``bench/kocs_memtrace.py --graph g1m.npz``
(graphcrm's partition on the same arrays).  Timings belong in docs/benchmarks.md, never in tests.
"""
from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path

import igraph as ig
import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("graph", type=Path)
    ap.add_argument("--n-iterations", type=int, default=2)
    a = ap.parse_args()
    z = np.load(a.graph)
    u, v, w, n = z["u"], z["v"], z["w"], int(z["n"])
    print(f"{n:,} owners, {len(u):,} ties; load {os.getloadavg()[0]:.2f}", flush=True)
    t, c = time.perf_counter(), time.process_time()
    g = ig.Graph(n=n, edges=np.column_stack([u, v]), edge_attrs={"weight": w})
    del u, v
    print(f"graph: {time.perf_counter() - t:.1f} s wall, {time.process_time() - c:.1f} s CPU", flush=True)
    random.seed(0)
    ig.set_random_number_generator(random)
    t, c = time.perf_counter(), time.process_time()
    p = g.community_leiden(objective_function="modularity", weights="weight", n_iterations=a.n_iterations)
    print(f"leiden: {time.perf_counter() - t:.1f} s wall, {time.process_time() - c:.1f} s CPU, {len(p):,} communities, "
          f"modularity {p.modularity:.4f}; load {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
