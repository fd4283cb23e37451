"""Ambassadors aimed at a goal on the demo community: what the goal options change.

For a demo community of ``--owners`` owners (default 20,000), k = ``--k`` (30):

* the default picks vs picks with ``reach_among="prospects"``: the expected number of prospects
  (referees of a lead or test drive not yet converted) each set reaches, both measured by the
  same Monte Carlo check counted among the prospects;
* ``active`` = the default picks' first 10, then 20 more picks on top of them vs the default
  picks 11-30: the additional reach of each, measured by Monte Carlo as reach(S + A) - reach(A);
* ``min_per_city=1`` (k raised to the number of cities when needed): how many cities get an
  ambassador, and what the minimum costs in reach;
* the Monte Carlo check sized by precision (runs, half-width) vs the old fixed 1,000 runs.

Usage::

    python bench/ambassador_goals.py --owners 20000 --k 30

Not run by the tests; numbers in docs/validation.md.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from graphcrm.algorithms import influence as im
from graphcrm.community import Community
from graphcrm.demo import generate_demo


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--owners", type=int, default=20_000)
    ap.add_argument("--k", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    print(f"# demo {a.owners:,} owners, k = {a.k}, seed {a.seed}; load average {os.getloadavg()[0]:.2f}")
    c = Community(generate_demo(a.owners, seed=a.seed)[0])
    t = time.perf_counter()
    base, info = im.ambassadors(c, k=a.k, seed=a.seed, details=True)
    mc = info.mc_check
    print(f"default: {time.perf_counter() - t:.1f} s; reach {base['cumulative_reach'].iloc[-1]:,.1f} (RR); "
          f"Monte Carlo {mc.mean:,.1f} ({mc.ci_low:,.1f}-{mc.ci_high:,.1f}), {mc.runs:,} runs sized by "
          f"precision {mc.precision}; the monte_carlo stage {info.stats.seconds['monte_carlo']:.2f} s")
    graph = im._build_graph(c, model="ic", probability=info.probability, lam=im.DEFAULT_LAM, layers=None,
                            half_life_days=None, horizon_days=None, max_hops=None)[0]
    t = time.perf_counter()
    fixed = im.mc_check(graph, c.index_of(base["owner_id"]), runs=1000, seed=a.seed)
    print(f"  fixed 1,000 runs: {fixed.mean:,.1f} ({fixed.ci_low:,.1f}-{fixed.ci_high:,.1f}) in "
          f"{time.perf_counter() - t:.2f} s")

    pro, pinfo = im.ambassadors(c, k=a.k, seed=a.seed, reach_among="prospects", details=True)
    counted = np.zeros(graph.n, dtype=bool)
    roots, _ = im._segment(c, "prospects", active_idx=np.zeros(0, np.int64), graph=graph, seed=a.seed)
    counted[roots] = True
    on_base = im.mc_check(graph, c.index_of(base["owner_id"]), counted=counted, seed=a.seed)
    on_pro = im.mc_check(graph, c.index_of(pro["owner_id"]), counted=counted, seed=a.seed)
    print(f"prospects ({pinfo.segment_owners:,} owners): default picks reach {on_base.mean:,.1f} "
          f"({on_base.ci_low:,.1f}-{on_base.ci_high:,.1f}), reach_among='prospects' picks {on_pro.mean:,.1f} "
          f"({on_pro.ci_low:,.1f}-{on_pro.ci_high:,.1f}); {len(set(base['owner_id']) & set(pro['owner_id']))} "
          f"picks in common")

    first = base["owner_id"].iloc[:10].tolist()
    more, ainfo = im.ambassadors(c, k=a.k - 10, seed=a.seed, active=first, details=True)
    act = c.index_of(first)
    rest = im.mc_check(graph, c.index_of(base["owner_id"].iloc[10:]), active=act, seed=a.seed)
    top = im.mc_check(graph, c.index_of(more["owner_id"]), active=act, seed=a.seed)
    print(f"on top of the first 10 (their own reach {ainfo.active_reach:,.1f}): default picks 11-{a.k} add "
          f"{rest.mean:,.1f} ({rest.ci_low:,.1f}-{rest.ci_high:,.1f}), picks made with active= add {top.mean:,.1f} "
          f"({top.ci_low:,.1f}-{top.ci_high:,.1f}); {len(set(more['owner_id']) & set(base['owner_id'].iloc[10:]))} "
          f"in common")

    cities = c.owners["city"].dropna().astype(str)
    cities = cities[cities != ""].nunique()
    km = max(a.k, int(cities))  # one per city needs at least as many picks as cities
    plain = base if km == a.k else im.ambassadors(c, k=km, seed=a.seed)
    mn, minfo = im.ambassadors(c, k=km, seed=a.seed, min_per_city=1, details=True)
    print(f"min_per_city=1, k = {km}: {mn['city'].nunique()} of {cities} cities (without the minimum: "
          f"{plain['city'].nunique()}); reach {mn['cumulative_reach'].iloc[-1]:,.1f} vs "
          f"{plain['cumulative_reach'].iloc[-1]:,.1f}; certified {minfo.approximation:.3f}; notes {list(minfo.notes)}")


if __name__ == "__main__":
    main()
