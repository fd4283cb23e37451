"""CPU profile of ``learn_influence`` alone (exposures built and kernels compiled first).

    python bench/learn_profile.py /tmp/copy-of/bench-100000.duckdb

Prints the learning's CPU and wall seconds and the 18 costliest functions by own CPU time.
"""
import os, sys, time, cProfile, pstats
os.environ["GRAPHCRM_FRESH"] = "1"
import graphcrm
import graphcrm.algorithms.influence_learning as il
import graphcrm.algorithms.backtest as bt
cg = graphcrm.open(sys.argv[1])
c = cg.community()
bt.exposures(c)  # memoized: the report's other steps build it too
il.learn_influence(c)  # compile / warm
pr = cProfile.Profile(time.process_time)
t = time.process_time(); w = time.perf_counter()
pr.enable()
li = il.learn_influence(c)
pr.disable()
print("learn cpu", round(time.process_time() - t, 2), "wall", round(time.perf_counter() - w, 2), "load", os.getloadavg()[0])
pstats.Stats(pr).sort_stats("tottime").print_stats(18)
