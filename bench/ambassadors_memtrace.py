"""Per-function wall time and resident memory of ``cg.ambassadors(k=30, seed=0)`` on a store.

    python bench/ambassadors_memtrace.py /tmp/copy-of/bench-100000.duckdb

The report's call in a fresh process (``GRAPHCRM_FRESH=1``) with the learning, graph, selection
and Monte Carlo functions wrapped: each prints its wall seconds, the resident memory before and
after it and the highest resident memory sampled (every 50 ms) while it ran.  Sampling can miss
a short spike; the process's exact high-water mark comes from ``/usr/bin/time -v``.  Use a copy
of a bench store (results may be written to it).  Timings are never asserted in tests.
"""
import os, sys, threading, time, functools, json
store = sys.argv[1]
os.environ["GRAPHCRM_FRESH"] = "1"
import graphcrm
import graphcrm.algorithms.influence as im
import graphcrm.algorithms.influence_learning as il
import graphcrm.algorithms._rrsets as rr

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20
samples = []
stop = False
def sampler():
    while not stop:
        samples.append((time.perf_counter(), rss()))
        time.sleep(0.05)
marks = []
def wrap(mod, name):
    f = getattr(mod, name)
    @functools.wraps(f)
    def g(*a, **k):
        t0 = time.perf_counter(); r0 = rss()
        out = f(*a, **k)
        marks.append((name, t0, time.perf_counter(), r0, rss()))
        return out
    setattr(mod, name, g)
for name in ["_event_members", "_pairs", "_profile_arrays", "_share_event", "_coatt_scan", "_fit_glm", "_predict_ties", "learned_graph_arrays", "learn_influence"]:
    wrap(il, name)
for name in ["influence_graph", "select_seeds", "mc_check", "_learned_graph", "_ambassador_table"]:
    wrap(im, name)
wrap(rr, "build_csr")
import graphcrm.algorithms.backtest as bt
wrap(bt, "exposures")
cg = graphcrm.open(store)
cg.community()
threading.Thread(target=sampler, daemon=True).start()
t = time.perf_counter()
cg.ambassadors(k=30, seed=0)
stop = True
print("total", round(time.perf_counter() - t, 1), "s, base rss", round(samples[0][1]), "peak", round(max(s for _, s in samples)))
for name, t0, t1, r0, r1 in marks:
    pk = max([s for ts, s in samples if t0 <= ts <= t1] + [r0, r1])
    print(f"{name:22s} {t1-t0:7.2f}s  rss {r0:7.0f} -> {r1:7.0f}  peak {pk:7.0f}")
