"""Do two loads of the same real data, rows in two orders, give the same pair weights and circles?

    python bench/store_determinism.py [--sets collegemsg stackexchange_quantumcomputing higgs_twitter]

For each timestamped real data set of ``../shared/data`` (adapted as in ``bench/backtest_real.py``),
loads the same tables into two in-memory DuckDB stores, the interaction rows shuffled differently
(seeds 1 and 2), and compares bit for bit: the store's interaction pair weights (default kind weights,
90-day half-life) and ``circles(seed=0)`` (circle, strength and row order).  Run it with
``PYTHONPATH=SNAPSHOT`` to check another commit.  Prints one line per set.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import backtest_real as br  # noqa: E402

import graphcrm  # noqa: E402
import graphcrm.projections as proj  # noqa: E402


def _one(tables: dict[str, pd.DataFrame], seed: int) -> tuple[np.ndarray, pd.DataFrame]:
    t = dict(tables)
    t["interactions"] = t["interactions"].sample(frac=1.0, random_state=seed).reset_index(drop=True)
    cg = graphcrm.open(":memory:")
    try:
        cg.load(t, progress=False)
        as_of = pd.Timestamp(t["interactions"]["created_at"].max())
        w = cg.store.interaction_pairs(weights=proj.kind_weights(), half_life_days=90.0, as_of=as_of)["weight"]
        circ = cg.circles(seed=0)[["owner_id", "circle", "strength"]]
    finally:
        cg.close()
    return w, circ


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", nargs="*", default=["collegemsg", "stackexchange_quantumcomputing"])
    a = ap.parse_args()
    for name in a.sets:
        t0 = time.perf_counter()
        tables = br._contract_frames(br.SETS[name]())
        (wa, ca), (wb, cb) = _one(tables, 1), _one(tables, 2)
        m = ca.merge(cb, on="owner_id")
        print(f"{name}: {len(wa):,} pairs, {int((wa != wb).sum()):,} weights differ; {len(ca):,} owners in circles, "
              f"{int((m.strength_x != m.strength_y).sum()):,} strengths and {int((m.circle_x != m.circle_y).sum()):,} "
              f"circles differ, {int((ca.owner_id.to_numpy() != cb.owner_id.to_numpy()).sum()):,} rows in another "
              f"order ({time.perf_counter() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
