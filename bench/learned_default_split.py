"""The learned model on the demo at the backtest's default split (0.7 of the exposures' span).

    python bench/learned_default_split.py 5000

Backtests every default method at k = 10, 50, 100 and prints reach, intervals, the ratio to the
best baseline and what the learned model was fitted on (tie model, positives, new-audience
examples, fallback).
"""
import sys, time
from graphcrm.demo import generate_demo
from graphcrm.community import Community
from graphcrm.algorithms.backtest import backtest
n = int(sys.argv[1])
tables,_ = generate_demo(n, seed=0)
c = Community(tables)
for k in (10, 50, 100):
    t=time.time()
    df, a = backtest(c, k=k, details=True)
    print(f"## demo {n}, default split, k={k}, best baseline {a.best_baseline}, {time.time()-t:.1f}s")
    print(df[["method","reach","reach_low","reach_high","ratio_to_best_baseline","ratio_low","ratio_high"]].to_string(index=False))
    m = a.models.get("ambassadors:learned", {})
    l = (m.get("learned") or {})
    print("learned:", m.get("probability"), {kk: l.get(kk) for kk in ("tie_model","positives_train","new_audience_train","fallback","pairs_train")})
