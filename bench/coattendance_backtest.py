"""The learned model's shared events as group nodes vs one tie per pair of attendees: backtest.

    python bench/coattendance_backtest.py [--demo-owners 5000 20000] [--k 10 50 100]

Runs ``bench/backtest_real.py``'s demo backtest (split at 70% of the interactions' span, chains
of at most 2 hops, 200 owner-bootstrap replicates, every method of the backtest) twice per size,
once with ``graphcrm.algorithms.influence.LEARNED_COATTENDANCE = "pairs"`` (one tie per ordered
pair of co-attendees, the model before) and once with ``"events"`` (one node per shared event,
owner -> event -> owner), and prints both tables.  The real data sets of ``../shared/data``
have no events, so only the demo can tell the two apart (on them both give the same graph).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import backtest_real as br  # noqa: E402

import graphcrm.algorithms.influence as im  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo-owners", nargs="*", type=int, default=[5000])
    ap.add_argument("--k", nargs="*", type=int, default=[10, 50, 100])
    ap.add_argument("--modes", nargs="*", default=["pairs", "events"])
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--methods", nargs="*", default=None)
    a = ap.parse_args()
    for n in a.demo_owners:
        tables = br.demo(n)
        for mode in a.modes:
            im.LEARNED_COATTENDANCE = mode
            print(f"## demo {n:,} owners, co-attendance as {mode}", flush=True)
            br.run("demo", tables, a.k, a.methods, a.bootstrap, 2)


if __name__ == "__main__":
    main()
