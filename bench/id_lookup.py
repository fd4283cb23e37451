"""Looking up a million owner ids held as text (pandas 3's ``str`` column), the ways graphcrm did
and does, beside what a user would write (``Series.reindex`` by id).

    python bench/id_lookup.py [--owners 1000000] [--repeat 3]

Ways, each giving the position of every id in a cached owner index (checked identical):
``objects, then text`` (``Community.index_of`` and ``projections.codes`` before stop 35:
``pd.Series(ids, dtype=object).astype(str)`` then ``get_indexer``), ``as it is`` (since stop
35: ``get_indexer`` of the text column), ``object array`` (``to_numpy(dtype=object)`` first),
and the user's ``reindex`` (``pd.Series(values, index=ids).reindex(owner_ids)``, which builds a
hash table on the ids every call).  Best of ``--repeat`` wall seconds.  Timings belong in
docs/benchmarks.md, never in tests.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--owners", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    n = a.owners
    owner_ids = np.array([f"O{i:07d}" for i in range(1, n + 1)], dtype=object)
    index = pd.Index(owner_ids)
    index.get_indexer(owner_ids[:10])  # the cached index's hash table, built once (as the community does)
    perm = np.random.default_rng(0).permutation(n)
    col = pd.Series(owner_ids[perm]).astype("str")
    ways = {
        "objects, then text (before)": lambda: index.get_indexer(pd.Series(col, dtype=object).astype(str)),
        "as it is (now)": lambda: index.get_indexer(col),
        "object array": lambda: index.get_indexer(col.to_numpy(dtype=object)),
        "user's reindex by id": lambda: pd.Series(np.arange(n), index=col).reindex(owner_ids).to_numpy(),
    }
    ref = None
    for name, f in ways.items():
        best = float("inf")
        for _ in range(a.repeat):
            t = time.perf_counter()
            out = f()
            best = min(best, time.perf_counter() - t)
        if name == "user's reindex by id":  # positions of the owners in col: the inverse permutation
            same = np.array_equal(perm[out], np.arange(n))
        else:
            same = ref is None or np.array_equal(out, ref)
            ref = out if ref is None else ref
        print(f"{name:<30} {best:7.3f} s  {'same positions' if same else 'DIFFERENT'}", flush=True)


if __name__ == "__main__":
    main()
