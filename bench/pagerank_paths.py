"""Weighted PageRank of a large directed graph two ways, side by side: igraph (what the KOC pass
does: ``ig.Graph`` from blocks of Python tuples, then PRPACK) and a scipy sparse power iteration
(no igraph graph), on the same random edges and weights.

    python bench/pagerank_paths.py [--nodes 1000000] [--edges 17750000] [--tol 1e-10] [--seed 0]
    python bench/pagerank_paths.py --store STORE.duckdb     # the KOC pass's own graph of a loaded store

The default size is the KOC pass's engager -> author pairs of the 1M demo (17.75M). The power
iteration follows igraph's definition (weights normalised per source, a vertex with no out-weight
spreads its rank uniformly, uniform teleport, damping 0.85) and stops when the L1 change is under
``--tol``.  With ``--store`` the graph is the one ``algorithms.koc._authority`` builds from the
store's engagement pairs (default options): engager -> author weighted by weight x factor, plus
the discounted weight sent to a sink vertex.  Prints the seconds of each way (build and solve apart), the iterations and the largest
relative difference between the two vectors.  Timings belong in docs/benchmarks.md, never in tests.
"""
from __future__ import annotations

import argparse
import time

import igraph as ig
import numpy as np
import scipy.sparse as sp


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=17_750_000)
    ap.add_argument("--tol", type=float, default=1e-10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--store", default=None)
    a = ap.parse_args()
    d = 0.85
    if a.store:
        import graphcrm
        from graphcrm.algorithms.koc import _authority_edges, engagement_pairs

        c = graphcrm.open(a.store).community()
        n0 = len(c.owner_ids)
        src, dst, w = _authority_edges(engagement_pairs(c), n0)
        n, m = n0 + 1, len(src)
        print(f"{a.store}: {n:,} vertices (with the sink), {m:,} edges", flush=True)
    else:
        rng = np.random.default_rng(a.seed)
        n, m = a.nodes, a.edges
        src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
        w = rng.random(m) + 0.01

    t = time.perf_counter()
    def tuples():
        for s in range(0, m, 1_000_000):
            yield from zip(src[s:s + 1_000_000].tolist(), dst[s:s + 1_000_000].tolist())
    g = ig.Graph(n=n, edges=tuples(), directed=True)
    wl = w.tolist()
    t_build = time.perf_counter() - t
    t = time.perf_counter()
    pr_ig = np.asarray(g.pagerank(weights=wl, damping=d, directed=True))
    t_solve = time.perf_counter() - t
    print(f"igraph: build {t_build:.2f} s, PRPACK {t_solve:.2f} s, total {t_build + t_solve:.2f} s", flush=True)
    del g, wl

    t = time.perf_counter()
    out_w = np.bincount(src, weights=w, minlength=n)
    P = sp.csr_matrix((w / out_w[src], (dst, src)), shape=(n, n))  # column-stochastic, transposed
    dangling = out_w == 0
    t_build = time.perf_counter() - t
    t = time.perf_counter()
    x = np.full(n, 1.0 / n)
    it = 0
    while True:
        it += 1
        nxt = d * (P @ x + x[dangling].sum() / n) + (1.0 - d) / n
        nxt /= nxt.sum()
        delta = np.abs(nxt - x).sum()
        x = nxt
        if delta < a.tol or it >= 1000:
            break
    t_solve = time.perf_counter() - t
    rel = np.max(np.abs(x - pr_ig) / pr_ig)
    print(f"scipy power iteration: build {t_build:.2f} s, {it} iterations {t_solve:.2f} s, total "
          f"{t_build + t_solve:.2f} s; largest relative difference to igraph {rel:.2e}", flush=True)


if __name__ == "__main__":
    main()
