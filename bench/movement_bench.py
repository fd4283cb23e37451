"""Movement between periods on the demo community: time per step and the planted truth found.

    python bench/movement_bench.py                      # 20,000 owners, seed 0
    python bench/movement_bench.py --owners 100000
    python bench/movement_bench.py --owners 2000 --seed 11
    python bench/movement_bench.py --owners 100000 --profile   # also time owner_profile and to_networkx

The demo plants rising stars (ordinary owners who start posting in the last 30 days) and
drifters (ordinary owners with a strong half year who stop entirely in the last 30 days); see
:meth:`graphcrm.demo._Demo.plant_movement`.  This prints, with the default options, how many of
them :func:`~graphcrm.algorithms.movement.rising_stars` and
:func:`~graphcrm.algorithms.movement.drifting_owners` list (recall, and recall within the first
as many rows as were planted), how the planted owners moved, and the wall time of each step:
the first call of ``movement`` runs the current period's KOCs and circles (a report would have
run them already), the earlier period's KOCs and circles and the level checkpoints.
"""
from __future__ import annotations

import argparse
import json
import time

from graphcrm.algorithms.movement import drifting_owners, level_transitions, movement, new_owner_cohort, rising_stars
from graphcrm.community import Community
from graphcrm.demo import generate_demo


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--owners", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--profile", action="store_true",
                    help="also time owner_profile (without and with targets) and exports.to_networkx")
    args = ap.parse_args(argv)
    out: dict = {"owners": args.owners, "seed": args.seed}
    t0 = time.perf_counter()
    tables, truth = generate_demo(args.owners, seed=args.seed)
    out["generate_s"] = round(time.perf_counter() - t0, 2)
    c = Community(tables)
    t0 = time.perf_counter()
    m, det = movement(c, details=True)
    out["movement_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    lt = level_transitions(c)
    rs = rising_stars(c)
    dr = drifting_owners(c)
    co = new_owner_cohort(c)
    out["companions_s"] = round(time.perf_counter() - t0, 2)
    planted = truth["movement"]
    rise, drift = planted["rising_stars"], planted["drifters"]
    mi = m.set_index("owner_id")
    out["periods"] = det.label()
    out["directions"] = {"up": det.moved_up, "held": det.held, "down": det.moved_down, "new": det.new,
                         "held_by_grace": det.held_by_grace}
    out["rising"] = {
        "planted": len(rise), "listed": len(rs),
        "found": len(set(rise) & set(rs["owner_id"])),
        "found_in_first_planted_rows": len(set(rise) & set(rs["owner_id"].head(len(rise)))),
        "planted_moved_up": int((mi.loc[rise, "direction"] == "up").sum()),
        "planted_koc_rank_now_max": int(mi.loc[rise, "koc_rank_now"].max()),
    }
    out["drifting"] = {
        "planted": len(drift), "listed": len(dr),
        "found": len(set(drift) & set(dr["owner_id"])),
        "planted_activity_now_max": int(mi.loc[drift, "activity_now"].max()),
        "planted_level_dropped": int((mi.loc[drift, "direction"] == "down").sum()),
        "planted_held_by_grace": int(mi.loc[drift, "grace_hold"].sum()),
    }
    out["transitions_rows"] = len(lt)
    out["cohorts"] = co[["cohort", "owners", "posted", "attended", "referred"]].to_dict("records")
    if args.profile:
        from graphcrm.algorithms.owner import owner_profile
        from graphcrm.algorithms.exports import to_networkx

        def timed(label: str, f) -> None:
            w, p = time.perf_counter(), time.process_time()
            f()
            out[label] = {"wall_s": round(time.perf_counter() - w, 1), "cpu_s": round(time.process_time() - p, 1)}

        fresh = Community(tables)  # cold cache, as a first `graphcrm owner` call
        timed("owner_profile_cold", lambda: owner_profile(fresh, truth["kocs"][0], include_targets=False))
        timed("owner_profile_warm", lambda: owner_profile(fresh, truth["kocs"][1], include_targets=False))
        timed("owner_profile_with_targets", lambda: owner_profile(fresh, truth["kocs"][0], include_targets=True))
        timed("to_networkx_interactions", lambda: to_networkx(fresh, "interactions"))
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
