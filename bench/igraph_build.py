"""Ways to build an igraph graph from numpy edge arrays, timed side by side (issue #13).

    python bench/igraph_build.py [--owners 1000000] [--edges 10000000] [--seed 0]

Random undirected edges (``numpy.random.default_rng(seed)``), the same arrays for every way:
``tuples`` (graphcrm's ``algorithms.circles._graph``: ``zip`` over ``tolist()`` of each column in
blocks of 1,000,000, one ``ig.Graph(n, edges=iterator)`` call), ``ndarray`` (``ig.Graph(n,
edges=array of shape (m, 2))``, what a user would write), ``add_edges`` (an empty graph, then
``add_edges(array)``) and ``edgelist`` (the array written as a text edge list, read back by
``ig.Graph.Read_Edgelist``; write and read timed apart).  Prints wall seconds per way and checks
that every graph has the same edges.  Timings belong in docs/benchmarks.md, never in tests.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import igraph as ig
import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--owners", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    n, m = a.owners, a.edges
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    print(f"{n:,} vertices, {m:,} edges; load {os.getloadavg()[0]:.2f}", flush=True)
    graphs = {}

    def tuples():
        for s in range(0, m, 1_000_000):
            yield from zip(u[s:s + 1_000_000].tolist(), v[s:s + 1_000_000].tolist())

    t = time.perf_counter()
    graphs["tuples"] = ig.Graph(n=n, edges=tuples())
    print(f"tuples (graphcrm)   {time.perf_counter() - t:7.2f} s", flush=True)
    e = np.column_stack([u, v]).astype(np.int64)
    t = time.perf_counter()
    graphs["ndarray"] = ig.Graph(n=n, edges=e)
    print(f"ndarray             {time.perf_counter() - t:7.2f} s", flush=True)
    t = time.perf_counter()
    g = ig.Graph(n=n)
    g.add_edges(e)
    graphs["add_edges"] = g
    print(f"add_edges(ndarray)  {time.perf_counter() - t:7.2f} s", flush=True)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "edges.txt")
        t = time.perf_counter()
        with open(path, "w") as fh:
            fh.write("\n".join(map(" ".join, zip(u.astype(str), v.astype(str)))) + "\n")
        t1 = time.perf_counter()
        graphs["edgelist"] = ig.Graph.Read_Edgelist(path, directed=False)
        # Read_Edgelist makes as many vertices as the largest id + 1: pad to n
        if graphs["edgelist"].vcount() < n:
            graphs["edgelist"].add_vertices(n - graphs["edgelist"].vcount())
        print(f"edge list: write    {t1 - t:7.2f} s, Read_Edgelist {time.perf_counter() - t1:7.2f} s", flush=True)
    ref = np.asarray(graphs["tuples"].get_edgelist())
    for name, gr in graphs.items():
        same = gr.vcount() == n and np.array_equal(np.asarray(gr.get_edgelist()), ref)
        print(f"{name:10s} {gr.vcount():,} vertices, {gr.ecount():,} edges, same edges as tuples: {same}")


if __name__ == "__main__":
    main()
