"""RR-set memory of the ambassador selection on a large random graph (issue 13: what grows).

A seeded random directed graph (``--nodes``, ``--edges``, weighted cascade), k = 50, eps = 0.1:
prints the RR sets sampled, node ids stored, bytes per stored id, and the peak RSS of the
process (``VmHWM``) before and after the selection.

Usage::

    python bench/rr_memory.py --nodes 1000000 --edges 10000000

Not run by the tests; numbers in docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from graphcrm.algorithms import influence as im


def _hwm_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=10_000_000)
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--eps", type=float, default=0.1)
    a = ap.parse_args()
    rng = np.random.default_rng(20240601)
    src = rng.integers(0, a.nodes, a.edges, dtype=np.int64)
    dst = rng.integers(0, a.nodes, a.edges, dtype=np.int64)
    indeg = np.bincount(dst, minlength=a.nodes)
    g = im.influence_graph(a.nodes, src, dst, 1.0 / indeg[dst])
    del src, dst, indeg
    im.select_seeds(im.influence_graph(10, [0, 1], [1, 2], [0.5, 0.5]), k=1)  # load the compiled kernels
    before = _hwm_mb()
    t = time.perf_counter()
    sel = im.select_seeds(g, k=a.k, eps=a.eps, seed=0)
    secs = time.perf_counter() - t
    after = _hwm_mb()
    print(f"nodes {a.nodes:,}, edges {g.m:,}, k {a.k}, eps {a.eps}; load average {os.getloadavg()[0]:.2f}")
    print(f"selection {secs:.1f} s ({', '.join(f'{k} {v:.1f} s' for k, v in sel.seconds.items())}); "
          f"RR sets {sel.r1_sets:,} + {sel.r2_sets:,}; node ids stored {sel.rr_entries:,}; "
          f"peak RSS {before:,.0f} MB before (graph in memory), {after:,.0f} MB after; certified "
          f"{sel.approximation:.3f}")


if __name__ == "__main__":
    main()
