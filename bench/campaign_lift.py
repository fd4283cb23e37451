"""Campaign lift on the demo: does `evaluate` recover a planted effect, and stay quiet on a placebo?

Plants a campaign (graphcrm.demo.plant_campaign: +EFFECT posts per treated member, +SPILLOVER
posts per neighbour of a treated member, in a 30-day window from 2026-08-01) with a different
draw for each seed, evaluates it with graphcrm.algorithms.campaigns.campaign_lift (1,000 bootstrap
resamples, 95%), and counts how often the interval covers the planted value (and, for the placebo
with nothing planted, how often an outcome is called an effect).

    .venv/bin/python bench/campaign_lift.py --owners 20000 --members 2000 --seeds 20

Numbers are quoted in docs/validation.md ("Campaign lift").
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from graphcrm.algorithms.campaigns import OUTCOMES, Campaign, campaign_lift
from graphcrm.community import Community
from graphcrm.demo import generate_demo, plant_campaign


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--owners", type=int, default=20_000)
    ap.add_argument("--members", type=int, default=2_000)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--effect", type=float, default=1.0)
    ap.add_argument("--spillover", type=float, default=0.5)
    a = ap.parse_args()
    tables, _ = generate_demo(a.owners, seed=0)
    cover = {"members": 0, "neighbours": 0}
    found = {"members": 0, "neighbours": 0}
    width = {"members": [], "neighbours": []}
    est = {"members": [], "neighbours": []}
    placebo_calls, placebo_tests = 0, 0
    t0 = time.perf_counter()
    first = None
    for s in range(a.seeds):
        for eff, sp in ((a.effect, a.spillover), (0.0, 0.0)):
            new, rec, mem, truth = plant_campaign(tables, members=a.members, effect=eff, spillover=sp, seed=s)
            c = Community(new)
            outcomes = OUTCOMES if (s == 0) else [o for o in OUTCOMES if o != "level_change"]
            t = campaign_lift(c, campaign=Campaign.from_record(rec), members=mem, outcomes=outcomes, seed=s)
            t = t.set_index(["scope", "outcome"])
            if eff > 0:
                if first is None:
                    first = (t, truth)
                for scope, want in (("members", eff), ("neighbours", sp)):
                    r = t.loc[(scope, "posts")]
                    cover[scope] += int(r["ci_low"] <= want <= r["ci_high"])
                    found[scope] += int(r["verdict"] == "higher")
                    width[scope].append(r["ci_high"] - r["ci_low"])
                    est[scope].append(r["difference"])
            else:
                placebo_tests += len(t)
                placebo_calls += int((t["verdict"].isin(["higher", "lower"])).sum())
    secs = time.perf_counter() - t0
    t, truth = first
    pd.set_option("display.width", 200)
    print(f"demo {a.owners:,} owners, {a.members:,} members (half control), planted +{a.effect} posts per treated, "
          f"+{a.spillover} per neighbour; {a.seeds} seeds; {secs:.0f} s")
    print("seed 0:", {k: truth[k] for k in ("treated", "control", "neighbours", "planted_member_posts",
                                            "planted_neighbour_posts")})
    print(t[["treated_n", "control_n", "treated_mean", "control_mean", "difference", "ci_low", "ci_high",
             "verdict"]].round(3).to_string())
    for scope, want in (("members", a.effect), ("neighbours", a.spillover)):
        print(f"{scope}: interval covers the planted {want} in {cover[scope]}/{a.seeds}; called 'higher' in "
              f"{found[scope]}/{a.seeds}; mean estimate {np.mean(est[scope]):.3f}; mean interval width "
              f"{np.mean(width[scope]):.3f}")
    print(f"placebo: {placebo_calls} of {placebo_tests} outcome tests called an effect "
          f"({placebo_calls / max(placebo_tests, 1):.1%}; 5% expected by chance at 95%)")


if __name__ == "__main__":
    main()
