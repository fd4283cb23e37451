"""The store's two pair aggregations with exact sums (stop 31) against plain ``sum()`` of doubles.

    python bench/pair_sums_bench.py STORE.duckdb [--repeat 3]

Times ``DuckDBStore.interaction_pairs`` (default kind weights, 90-day half-life) and
``DuckDBStore.coattendance_pairs`` (events up to 150 attendees) on a loaded store, alternating
the exact sums (``_exact_sum``, the code) with a plain ``sum(expr)`` swapped in for the same
query, and says how many pair weights differ between the two and by how much.  Prints one line
per run.  Nothing is written to the store.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import graphcrm
import graphcrm.projections as proj
from graphcrm.stores.duckdb_store import DuckDBStore


def _plain(expr: str, largest: float) -> str:
    return f"sum({expr})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    cg = graphcrm.open(a.store)
    st = cg.store
    exact = DuckDBStore.__dict__["_exact_sum"]  # the staticmethod itself
    as_of = pd.Timestamp(st.con.execute("SELECT max(created_at) FROM interactions").fetchone()[0])
    last = {}
    for rep in range(a.repeat):
        for mode, fn in (("plain", staticmethod(_plain)), ("exact", exact)):
            DuckDBStore._exact_sum = fn
            t = time.perf_counter()
            r = st.interaction_pairs(weights=proj.kind_weights(), half_life_days=90.0, as_of=as_of)
            t1 = time.perf_counter() - t
            t = time.perf_counter()
            c, _ = st.coattendance_pairs(max_event_size=150, checked_in_only=True)
            t2 = time.perf_counter() - t
            last[mode] = (r["weight"], c["weight"])
            print(f"run {rep + 1} {mode}: interactions {t1:.2f} s ({len(r['weight']):,} pairs), "
                  f"co-attendance {t2:.2f} s ({len(c['weight']):,} pairs)", flush=True)
    DuckDBStore._exact_sum = exact
    for i, name in enumerate(("interactions", "co-attendance")):
        x, y = last["plain"][i], last["exact"][i]
        rel = np.abs(x - y) / np.maximum(np.abs(y), 1e-300)
        print(f"{name}: {(x != y).sum():,} of {len(y):,} weights differ, largest relative difference {rel.max():.2e}")
    cg.close()


if __name__ == "__main__":
    main()
