"""What a read of an owner-indexed array costs at 100k, 1M and 10M owners, at random and in
order (numpy gather of 20M reads of an int64 array; best of 3).

    python bench/random_reads.py [--reads 20000000] [--sizes 100000 1000000 10000000]

The compiled kernels of the influence step read arrays indexed by owner at random; this tells how
much more such a read costs once the arrays outgrow the CPU's caches (``lscpu`` prints their
sizes).  Timings belong in docs/benchmarks.md, never in tests.
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reads", type=int, default=20_000_000)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    for n in a.sizes:
        arr = rng.integers(0, 1000, n)
        idx = rng.integers(0, n, a.reads)
        out = []
        for label, ix in (("random", idx), ("in order", np.sort(idx))):
            best = float("inf")
            for _ in range(3):
                t = time.perf_counter()
                arr[ix].sum()
                best = min(best, time.perf_counter() - t)
            out.append(f"{label} {best / a.reads * 1e9:.2f} ns a read")
        print(f"{n:>12,} int64 ({n * 8 / 2**20:.1f} MiB): " + ", ".join(out), flush=True)


if __name__ == "__main__":
    main()
