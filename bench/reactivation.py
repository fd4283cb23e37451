"""Reactivation driven by drifting owners (issue 16): what it finds and what it costs.

    python bench/reactivation.py [--owners 10000] [--seed 11]

On a demo community (which plants drifting owners: a strong record, then nothing in the last 30
days; ``truth["movement"]["drifters"]``) it compares the reactivation program with its baseline,
the old rule alone ("quiet for 90 days", ``_lapsed``):

* how many planted drifters each list holds, and at which priority;
* the time of each part on a fresh community, and of ``targets(programs=["reactivation"])``
  cold and after the report's ``drifting_owners`` call (the one cache).

Prints one line per measure; timings depend on the machine's load (note ``uptime``).
"""
from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--owners", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()

    from graphcrm.algorithms.movement import drifting_owners
    from graphcrm.algorithms.targeting import _lapsed, targets
    from graphcrm.community import Community
    from graphcrm.demo import generate_demo

    tables, truth = generate_demo(args.owners, seed=args.seed)
    planted = set(truth["movement"]["drifters"])
    print(f"demo: {args.owners:,} owners, seed {args.seed}; planted drifters: {len(planted)}; "
          f"load average {os.getloadavg()[0]:.2f}")

    def timed(fn):
        t = time.perf_counter()
        out = fn()
        return out, time.perf_counter() - t

    c = Community(tables)
    old, t_old = timed(lambda: _lapsed(c, 90, 3, "en"))
    found_old = planted & set(old["owner_id"])
    print(f"baseline 'quiet 90 days': {len(old):,} owners, {t_old:.2f} s; planted drifters in it: "
          f"{len(found_old)} of {len(planted)}")

    c = Community(tables)
    new, t_new = timed(lambda: targets(c, programs=["reactivation"]))
    pos = {o: i + 1 for i, o in enumerate(new["owner_id"])}
    hit = sorted(pos[o] for o in planted if o in pos)
    n_drift = int(new["reason"].str.startswith("drifting").sum())
    print(f"reactivation (drifting first, then quiet 90 days), first 100: {n_drift} drifting + "
          f"{len(new) - n_drift} lapsed, {t_new:.2f} s cold; planted drifters in it: {len(hit)} of "
          f"{len(planted)}, at priorities {hit}")

    c = Community(tables)
    _, t_drift = timed(lambda: drifting_owners(c))
    _, t_warm = timed(lambda: targets(c, programs=["reactivation"]))
    print(f"drifting_owners alone (the report computes it for its movement section): {t_drift:.2f} s; "
          f"targets(programs=['reactivation']) after it: {t_warm:.2f} s")


if __name__ == "__main__":
    main()
