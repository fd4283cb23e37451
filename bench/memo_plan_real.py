"""The weekly job's plan for the memo (``Ahead.READ_LATER``, ``Community.expect``) on a real
community, with and without it, alternating in fresh processes: what was computed more than once,
the seconds of the steps from ``kocs`` to ``referral_issues`` (and the report's ties between
circles after ``circle_profiles``), and whether the results are identical.

    python bench/memo_plan_real.py STORE.duckdb --budget-share 0.75 --repeat 2

The real data sets in ../shared/data are far smaller than the 1,000,000-owner demo, where the
memo's 2 GiB budget forces drops; here the budget is set to ``--budget-share`` of what these steps
leave in the memo with no limit (measured first, printed), so that the memo drops entries as it
does at 1M.  ``STORE`` is a store loaded from a real folder (``python bench/real_folders.py OUT
higgs_twitter``, then ``graphcrm load OUT/higgs_twitter --store STORE``); every run uses a copy
with the kept results ignored (fresh).  Timings belong in docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import hashlib, json, os, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
import graphcrm
from graphcrm.reports.prefetch import Ahead
plan = sys.argv[2] == "on"
if not plan:
    Ahead.READ_LATER = {}
steps = [("kocs", {}), ("circles", {"seed": 0}), ("circle_profiles", {}), ("referral_chains", {}),
         ("referral_attribution", {}), ("top_referrers", {}), ("referral_issues", {})]
cg = graphcrm.open(sys.argv[1])
c = cg.community()
ahead = Ahead(cg, seed=0, ambassadors_k=30, jobs=1)
seconds, h = {}, hashlib.sha256()
for name, opts in steps:
    t = time.perf_counter()
    ahead.before(name)
    out = getattr(cg, name)(**opts)
    for label, fn in ahead.in_process(name):
        fn()
    seconds[name] = round(time.perf_counter() - t, 2)
    h.update(pd.util.hash_pandas_object(out.astype(str), index=False).to_numpy().tobytes())
held = int(sum(c._intermediate_bytes(k) for k in c._memo_bytes))
again = {k: v["computed"] for k, v in c.memo_stats.items() if v["computed"] > 1 and not k.startswith("result:")}
print(json.dumps({"seconds": seconds, "total": round(sum(seconds.values()), 2), "again": again,
                  "again_s": {k: round(c.memo_seconds.get(k, 0.0), 2) for k in again},
                  "held_mib": round(held / 2**20, 1), "digest": h.hexdigest()}))
"""


def _run(store: Path, plan: str, budget: str) -> dict:
    env = dict(os.environ, GRAPHCRM_MEMO_BUDGET_MIB=budget, GRAPHCRM_FRESH="1")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", CHILD, str(store), plan], env=env, capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out[out.rindex('{"seconds"'):].splitlines()[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--budget-share", type=float, default=0.75)
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="memo-plan-"))
    try:
        db = tmp / "store.duckdb"
        shutil.copyfile(a.store, db)
        free = _run(db, "on", "none")
        budget = f"{free['held_mib'] * a.budget_share:.1f}"
        print(f"no limit: the steps leave {free['held_mib']:,.1f} MiB of intermediates; budget {budget} MiB "
              f"({a.budget_share:.0%}); steps {free['total']} s", flush=True)
        for r in range(a.repeat):
            for plan in ("off", "on"):
                x = _run(db, plan, budget)
                print(f"run {r + 1} plan {plan:3s}: steps {x['total']:7.2f} s {x['seconds']}\n"
                      f"    computed more than once: {x['again'] or 'nothing'} (seconds, all computations: {x['again_s']})\n"
                      f"    results identical to no limit: {x['digest'] == free['digest']}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
