"""The earlier period's circles: full detection (the default) vs ``quick_circles_then=True``.

    python bench/movement_circles_then.py                       # demos of 1,500 / 2,000 / 5,000 owners
    python bench/movement_circles_then.py --sizes 1500:3 100000:0

For each demo (owners:seed) ``movement`` and ``rising_stars`` run twice on fresh communities:
with the full circle detection of the earlier period (resolution scan and consensus, the
default) and with one Leiden run at the resolution today's circles chose.  Prints the CPU
seconds of each (movement from a cold cache: today's KOCs and circles included), how many
owners get the same earlier KOC rank / earlier circle, the Spearman correlation of the earlier
KOC ranks, the circle changes each flags and the rising stars in common.  Timings are never
asserted in tests.
"""
from __future__ import annotations

import argparse
import os
import time

from graphcrm.algorithms.movement import movement, rising_stars
from graphcrm.community import Community
from graphcrm.demo import generate_demo


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="*", default=["1500:3", "2000:11", "5000:0"], help="owners:seed")
    a = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    for spec in a.sizes:
        n, seed = (int(x) for x in spec.split(":"))
        tables, _ = generate_demo(n, seed=seed)
        out = {}
        for quick in (False, True):
            c = Community(tables)
            t = time.process_time()
            m = movement(c, quick_circles_then=quick)
            r = rising_stars(c, quick_circles_then=quick)
            out[quick] = (m, r, time.process_time() - t)
        (f, rf, tf), (q, rq, tq) = out[False], out[True]

        def same(col: str) -> float:
            return float(((q[col] == f[col]) | (q[col].isna() & f[col].isna())).mean())

        rho = q["koc_rank_then"].astype(float).corr(f["koc_rank_then"].astype(float), method="spearman")
        print(f"{n:>7,} owners (seed {seed}): CPU full {tf:.1f} s, quick {tq:.1f} s; same koc_rank_then "
              f"{same('koc_rank_then'):.1%}, same circle_then {same('circle_then'):.1%}, Spearman {rho:.4f}; "
              f"circle changes full {int(f['circle_changed'].sum())} / quick {int(q['circle_changed'].sum())}; "
              f"rising stars full {len(rf)} / quick {len(rq)}, in common {len(set(rf['owner_id']) & set(rq['owner_id']))}")


if __name__ == "__main__":
    main()
