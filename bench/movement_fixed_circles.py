"""The report's rising stars across today's circles against the earlier period's own circles.

    python bench/movement_fixed_circles.py --owners 20000            # seed 0
    python bench/movement_fixed_circles.py --owners 100000 --json out.json
    python bench/movement_fixed_circles.py --real collegemsg bitcoin_otc stackexchange_quantumcomputing higgs_twitter

The report calls the movement tables with ``compare_circles=False`` (``MOVEMENT_OPTIONS`` in
reports/html.py): the earlier period's KOC ranks measure bridging across *today's* circles
instead of a second circle detection on the earlier period's graph.  This script measures what
that changes on the demo (``generate_demo(N, seed)``), each way on a fresh community that has
today's KOCs and circles already (as in a report, not timed):

* CPU and wall seconds of ``movement`` + ``rising_stars`` + ``level_transitions``;
* the rising-star lists: length, owners in common, the first 10 / 50 rows in common, the largest
  shift of an owner's position, owners whose rank gain differs, the planted rising stars found
  (``truth["movement"]``);
* the movement table: owners whose ``koc_rank_then`` differs, Spearman of ``koc_rank_then``,
  and whether the level and activity columns and the level transitions are identical.

``--real NAME ...`` runs the same comparison on real timestamped networks from ../shared/data,
read by the adapters of ``bench/backtest_real.py`` (messages, trades, answers, retweets as
posts and interactions): no planted truth there, so what it measures is how many rising stars
and earlier KOC ranks the two ways share.  A data set whose folder is absent is skipped.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import pandas as pd

from graphcrm.algorithms.circles import circles
from graphcrm.algorithms.koc import kocs
from graphcrm.algorithms.movement import level_transitions, movement, rising_stars
from graphcrm.community import Community
from graphcrm.demo import generate_demo


def _run(tables: dict, opts: dict) -> dict:
    c = Community(tables)
    kocs(c)
    circles(c)  # today's, as the report has them
    w0, t0 = time.perf_counter(), time.process_time()
    m = movement(c, **opts)
    r = rising_stars(c, **opts)
    lt = level_transitions(c, **opts)
    return {"m": m, "r": r, "lt": lt, "wall_s": time.perf_counter() - w0, "cpu_s": time.process_time() - t0}


def _real_tables(name: str) -> dict | None:
    """A real data set as contract frames (bench/backtest_real.py's adapters), or None if absent."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import backtest_real as br

    folder = br.DATA / name
    if not folder.exists():
        print(f"(skipped {name}: {folder} absent)")
        return None
    return br._contract_frames(br.SETS[name]())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--owners", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--real", nargs="*", default=None, help="real data sets instead of the demo")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    if args.real is not None:
        results = []
        for name in args.real:
            tables = _real_tables(name)
            if tables is not None:
                results.append(compare(tables, set(), label=name))
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(results, fh, indent=2)
        return 0
    tables, truth = generate_demo(args.owners, seed=args.seed)
    compare(tables, set(truth["movement"]["rising_stars"]), label=f"demo {args.owners} seed {args.seed}",
            json_path=args.json)
    return 0


def compare(tables: dict, planted: set, *, label: str, json_path: str | None = None) -> dict:
    """Both ways on one data set; prints and returns the comparison."""
    full = _run(tables, {})
    fixed = _run(tables, {"compare_circles": False})
    rf, rx = full["r"]["owner_id"].tolist(), fixed["r"]["owner_id"].tolist()
    mf, mx = full["m"].set_index("owner_id"), fixed["m"].set_index("owner_id")
    kf, kx = mf["koc_rank_then"].astype(float), mx["koc_rank_then"].reindex(mf.index).astype(float)
    same_cols = ["direction", "level_then", "level_now", "contribution_then", "contribution_now", "koc_rank_now",
                 "activity_then", "activity_now", "engagement_then", "engagement_now", "engagers_now"]
    out = {
        "data": label, "owners": int(len(tables["owners"])), "load_1min": os.getloadavg()[0],
        "full": {"wall_s": round(full["wall_s"], 2), "cpu_s": round(full["cpu_s"], 2), "rising": len(rf),
                 "planted_found": len(planted & set(rf))},
        "fixed": {"wall_s": round(fixed["wall_s"], 2), "cpu_s": round(fixed["cpu_s"], 2), "rising": len(rx),
                  "planted_found": len(planted & set(rx))},
        "planted_rising": len(planted),
        "rising_in_common": len(set(rf) & set(rx)),
        "first10_in_common": len(set(rf[:10]) & set(rx[:10])),
        "first50_in_common": len(set(rf[:50]) & set(rx[:50])),
        "rising_same_order": rf == rx,
        "rising_max_position_shift": max((abs(rf.index(o) - rx.index(o)) for o in set(rf) & set(rx)), default=0),
        "rising_gain_differs": int((full["r"].set_index("owner_id")["koc_rank_gain"]
                                    != fixed["r"].set_index("owner_id")["koc_rank_gain"].reindex(rf)).sum()),
        "koc_rank_then_differs": int(((kf != kx) & ~(kf.isna() & kx.isna())).sum()),
        "koc_rank_then_scored": int(kf.notna().sum()),
        "koc_rank_then_spearman": round(float(kf.corr(kx, method="spearman")), 6),
        "other_columns_identical": bool(mf[same_cols].equals(mx[same_cols].reindex(mf.index))),
        "level_transitions_identical": bool(full["lt"].equals(fixed["lt"])),
    }
    print(json.dumps(out, indent=2), flush=True)
    if json_path:
        with open(json_path, "w") as fh:
            json.dump(out, fh, indent=2)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
