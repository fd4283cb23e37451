"""The pieces of the large-graph circles partition on a saved combined graph, and the stock
baseline beside them: the renumbering (reverse Cuthill-McKee), sorting the renumbered ties (the
old argsort of int64 keys against the CSR sort now used), building the igraph graph, one
Leiden run as circles makes it (2 iterations, renumbered graph), and stock igraph Leiden
(modularity, resolution 1, to convergence) on the graph in the original numbering.

    python bench/circles_ab.py --store /tmp/b1m.duckdb --save-graph /tmp/g1m.npz
    python bench/circles_pieces.py /tmp/g1m.npz

CPU seconds (``time.process_time``) and wall seconds per piece, the load average, the peak.
"""
from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

import numpy as np

import graphcrm.algorithms.circles as C


def _peak() -> str:
    return Path("/proc/self/status").read_text().split("VmHWM:")[1].split("\n")[0].strip()


def main(path: str) -> None:
    z = np.load(path)
    u, v, w, n = z["u"], z["v"], z["w"], int(z["n"])
    tied = np.zeros(n, dtype=bool)
    tied[u] = True
    tied[v] = True
    pos = (np.cumsum(tied) - 1).astype(u.dtype)
    nt = int(tied.sum())
    eu, ev = pos[u], pos[v]
    print(f"{nt:,} owners with ties, {len(u):,} ties; load average {os.getloadavg()[0]:.1f}", flush=True)

    def timed(name, f):
        t, cpu = time.perf_counter(), time.process_time()
        r = f()
        print(f"| {name} | {time.perf_counter() - t:.1f} | {time.process_time() - cpu:.1f} | "
              f"{os.getloadavg()[0]:.1f} | {_peak()} |", flush=True)
        return r

    print("| piece | wall s | CPU s | load | peak |\n|---|---:|---:|---:|---:|")
    rank = timed("renumbering (reverse Cuthill-McKee)", lambda: C._locality_order(nt, eu, ev))

    def argsort_keys():
        a, b = rank[eu], rank[ev]
        key = np.minimum(a, b).astype(np.int64) * nt + np.maximum(a, b)
        del a, b
        order = np.argsort(key)
        return key[order], w[order]

    key, wk = timed("sort the renumbered ties: argsort of int64 keys (before)", argsort_keys)
    del wk
    g, wl, _ = timed("renumbering + CSR sort + igraph graph (_local_graph, now)", lambda: C._local_graph(nt, eu, ev, w))
    # (not g.get_edgelist(): a list of every edge as Python tuples, ~5 GB at 45.5M ties)
    first = np.array([g.es[i].tuple for i in range(min(1000, g.ecount()))], dtype=np.int64).reshape(-1, 2)
    same = np.array_equal(first, np.column_stack([key[:len(first)] // nt, key[:len(first)] % nt]))
    print(f"(the same edge order as the argsort: {same})")
    del key
    timed("one run as circles makes it (Leiden, 2 iterations, renumbered graph)",
          lambda: C._run_once(g, wl, method="modularity", resolution=1.0, seed=1, n_iterations=2, engine="igraph"))
    del g, wl
    g = timed("igraph graph in the original numbering (_graph)", lambda: C._graph(nt, eu, ev, w))
    random.seed(0)
    m = timed("baseline: stock igraph Leiden, modularity, resolution 1, to convergence",
              lambda: np.asarray(g.community_leiden(objective_function="modularity", weights=w, n_iterations=-1).membership))
    print(f"(stock Leiden: {len(np.unique(m)):,} communities among the owners with ties)")


if __name__ == "__main__":
    main(sys.argv[1])
