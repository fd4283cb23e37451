"""The volunteers' ``helping`` feature: the merge-and-compare formula of stop 21 against the
position path of stop 22, on one community, alternately, CPU seconds each, and whether equal.

    python bench/volunteers_helping.py /tmp/gcrm-bench/bench-100000.duckdb [--rounds 3]

The store is copied to a temporary file first (never written in place).
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import numpy as np

    import graphcrm
    import graphcrm.algorithms.volunteers as V

    def merge_formula(community, n):
        t = community.tables
        posts = t["posts"][["post_id", "author_id"]]
        inter = t["interactions"]
        inter = inter[inter["kind"].astype(str).isin(["comment", "reply"])]
        inter = inter.merge(posts, on="post_id", how="inner")
        inter = inter[inter["owner_id"].astype(object) != inter["author_id"].astype(object)]
        hp = V._positions(community, inter["owner_id"])
        return np.bincount(hp[hp >= 0], minlength=n).astype(float)

    tmp = Path(tempfile.mkdtemp(prefix="gcrm-help-"))
    try:
        shutil.copyfile(args.store, tmp / "s.duckdb")
        cg = graphcrm.open(tmp / "s.duckdb")
        com = cg.community()
        n = len(com.owner_ids)
        print(f"{n:,} owners, {len(com.tables['interactions']):,} interactions")
        for r in range(args.rounds):
            for name, f in (("merge (before)", merge_formula), ("positions (now)", V._helping)):
                c, w = time.process_time(), time.perf_counter()
                out = f(com, n)
                print(f"  round {r + 1} {name:16s} {time.perf_counter() - w:6.2f} s wall {time.process_time() - c:6.2f} s CPU"
                      f"  load {os.getloadavg()[0]:.1f}  sum {out.sum():,.0f}", flush=True)
        print("equal:", bool(np.array_equal(merge_formula(com, n), V._helping(com, n))))
        cg.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
