#!/usr/bin/env python
"""Write the demo community as the CSV contract (six tables plus demo_truth.json).

Usage::

    python examples/generate_demo.py OUTDIR --owners 20000 --seed 0

The files show what a community team's exports should look like; ``graphcrm load OUTDIR``
loads them.  ``demo_truth.json`` holds what was planted (KOCs, a like ring, referral anomalies,
volunteers and look-alike helpers) and the measured numbers of docs/demo-community.md.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from graphcrm.demo import write_demo
from graphcrm.errors import GraphCRMError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("outdir", help="folder to write the CSV files to (created if needed)")
    parser.add_argument("--owners", type=int, default=20_000, help="number of owners (default 20000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--end", default="2026-09-30", help="last date of the data (default 2026-09-30)")
    parser.add_argument("--weeks", type=int, default=104, help="weeks of activity before --end (default 104)")
    parser.add_argument("--interactions-per-owner", type=float, default=None,
                        help="about this many interactions per owner (default: about 10)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    try:
        truth = write_demo(args.outdir, args.owners, seed=args.seed, end=args.end, weeks=args.weeks,
                           interactions_per_owner=args.interactions_per_owner)
    except GraphCRMError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - t0
    stats = truth["stats"]
    for name, rows in stats["rows"].items():
        print(f"{name + '.csv':18s} {rows:>10,} rows")
    print("demo_truth.json    planted truth and measured numbers")
    print(f"referral share of buyers: {stats['referral_share']:.1%}; "
          f"national day: {stats['national_day_attendees']:,} attendees")
    print(f"written to {args.outdir} in {seconds:.1f} s")
    print(json.dumps({k: v for k, v in stats.items() if k != "rows"}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
