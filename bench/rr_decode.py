"""The decode-heavy kernels of the packed RR sets, timed on synthetic sets (optionally against an
older copy of ``algorithms/_rrsets.py``).

    python bench/rr_decode.py
    git show 0f6dca5~1:algorithms/_rrsets.py > /tmp/rr_old.py   # the module before the varint fold
    python bench/rr_decode.py --old /tmp/rr_old.py

400,000 sets of geometric size (mean 60) over 100,000 nodes, each node at most once per set,
packed by ``pack_sets``; per module and round: ``node_counts``, ``_invert`` (400 candidates) and
``greedy_cover`` (k = 50), each the mean of 3 calls after a warm-up (numba compiles on first use
of a fresh copy).  The picks are printed so both modules can be seen to agree.  Not run by tests.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time

import numpy as np


def _load(path: str):
    spec = importlib.util.spec_from_file_location("rr_copy", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["rr_copy"] = mod
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", default=None, help="path of another copy of _rrsets.py to compare with")
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    from graphcrm.algorithms import _rrsets as rr

    mods = [("current", rr)] + ([("old", _load(a.old))] if a.old else [])
    rng = np.random.default_rng(5)
    n, nsets = 100_000, 400_000
    sizes = rng.geometric(1 / 60, nsets)
    ids = rng.integers(0, n, int(sizes.sum()))
    key = np.unique(np.repeat(np.arange(nsets), sizes) * n + ids)
    flat = (key % n).astype(np.uint32)
    offsets = np.r_[0, np.cumsum(np.bincount(key // n, minlength=nsets))].astype(np.int64)
    data, boff = rr.pack_sets(flat, offsets, n, rr._DEBRUIJN_INDEX)
    print(f"# {len(flat):,} ids in {nsets:,} sets, {len(data):,} bytes packed; load average {os.getloadavg()[0]:.2f}")
    g = np.full((n, 0), -1, dtype=np.int64)
    for rnd in range(a.rounds):
        for name, mod in mods:
            cov0 = mod.node_counts(data, boff, n)
            cand = np.zeros(n, bool)
            cand[np.argsort(-cov0, kind="stable")[:400]] = True
            ptr, sets = mod._invert(data, boff, cov0, cand)
            mod.greedy_cover(data, boff, ptr, sets, cov0, cand, 50, np.ones(n, bool), g, np.zeros(0, np.int64),
                             np.ones(n), -1.0, 10, 8, np.zeros(0, np.int64))  # warm-up
            t0 = time.perf_counter()
            for _ in range(3):
                cov0 = mod.node_counts(data, boff, n)
            t1 = time.perf_counter()
            for _ in range(3):
                ptr, sets = mod._invert(data, boff, cov0, cand)
            t2 = time.perf_counter()
            for _ in range(3):
                picks, _, _, _ = mod.greedy_cover(data, boff, ptr, sets, cov0, cand, 50, np.ones(n, bool), g,
                                                  np.zeros(0, np.int64), np.ones(n), -1.0, 10, 8,
                                                  np.zeros(0, np.int64))
            t3 = time.perf_counter()
            print(f"round {rnd + 1} {name:8s} node_counts {(t1 - t0) / 3:.3f} s  invert {(t2 - t1) / 3:.3f} s  "
                  f"greedy {(t3 - t2) / 3:.3f} s  picks {picks[:5].tolist()}", flush=True)


if __name__ == "__main__":
    main()
