"""Where ``kocs``' time and memory go on a large store: per-phase timers and sampled resident memory.

    cp /tmp/mem1m-bench/loaded-1000000.duckdb /tmp/COPY.duckdb
    flock /tmp/brief/1m.lock python bench/kocs_memtrace.py /tmp/COPY.duckdb [--save-graph g1m.npz]
    python bench/kocs_memtrace.py --graph g1m.npz          # the partition alone on saved arrays

The community and its three projections are built first (as the pipeline's ``community`` and
``projections`` steps), then ``kocs()`` runs with the pieces of the circles partition wrapped
(``_combined_graph``, ``_locality_order``, ``_local_graph``, ``_graph``, ``_run_once``, ``_meet``,
``_aggregate``, ``_consensus``): each call prints its wall and CPU seconds, resident memory at its
start and end, and its peak resident memory (the kernel's high-water mark, reset per phase;
the peak sampled every 20 ms beside it, which misses what C code allocates while it holds the
GIL); nested calls are indented.  ``--save-graph`` writes the combined graph after ``kocs`` (for ``--graph`` and
``bench/circles_ab.py --graph``); ``--graph`` runs ``_find_circles`` at default settings on saved
arrays in a process that holds nothing else.  Nothing here changes what is computed.
"""
from __future__ import annotations

import argparse
import functools
import os
import threading
import time
from pathlib import Path

import numpy as np


def _rss() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


class Sampler:
    """Resident memory every ``dt`` seconds in a thread: ``peak_since(t)`` is the highest sample
    taken after ``t`` (perf_counter)."""

    def __init__(self, dt: float = 0.02) -> None:
        self.samples: list[tuple[float, float]] = []
        self.dt = dt
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            self.samples.append((time.perf_counter(), _rss()))
            time.sleep(self.dt)

    def peak_since(self, t0: float) -> float:
        vals = [r for t, r in reversed(self.samples) if t >= t0] if self.samples else []
        return max(vals + [_rss()])


DEPTH = [0]
#: the running peak of each phase in progress (outermost first): a phase resets the kernel's
#: high-water mark when it starts, so its parent's peak so far is carried here
PEAKS: list[float] = []


def _hwm() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _reset_hwm() -> None:
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def traced(sampler: Sampler, name: str, fn):
    """``fn`` with its wall/CPU seconds, resident memory at start and end and its peak printed.

    The peak is the kernel's high-water mark (``VmHWM``, reset when the phase starts; a nested
    phase's peak is carried to its parent), so it includes what C code (igraph) allocates while
    holding the GIL, which the sampling thread cannot see; the sampled peak is printed beside it."""
    @functools.wraps(fn)
    def wrapper(*a, **k):
        if PEAKS:
            PEAKS[-1] = max(PEAKS[-1], _hwm())
        _reset_hwm()
        PEAKS.append(0.0)
        t, cpu, r0 = time.perf_counter(), time.process_time(), _rss()
        DEPTH[0] += 1
        try:
            return fn(*a, **k)
        finally:
            DEPTH[0] -= 1
            peak = max(PEAKS.pop(), _hwm())
            if PEAKS:
                PEAKS[-1] = max(PEAKS[-1], peak)
            print(f"{'  ' * DEPTH[0]}{name:20s} {time.perf_counter() - t:7.1f} s wall {time.process_time() - cpu:7.1f} s CPU"
                  f"   rss {r0:7,.0f} -> {_rss():7,.0f} MiB, peak {peak:7,.0f} MiB (sampled {sampler.peak_since(t):7,.0f})"
                  f"   load {os.getloadavg()[0]:.1f}", flush=True)
    return wrapper


PIECES = ("_combined_graph", "_locality_order", "_local_graph", "_local_graph_taken", "_graph", "_run_once", "_meet", "_aggregate",
          "_consensus", "_find_circles")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", nargs="?")
    ap.add_argument("--graph", type=Path, default=None)
    ap.add_argument("--save-graph", type=Path, default=None)
    args = ap.parse_args()
    import graphcrm
    import graphcrm.algorithms.circles as C

    sampler = Sampler()
    for name in PIECES:
        if hasattr(C, name):  # (an older circles.py may lack some)
            setattr(C, name, traced(sampler, name, getattr(C, name)))
    print(f"circles module: {C.__file__}; load {os.getloadavg()}", flush=True)
    if args.graph is not None:
        z = np.load(args.graph)
        u, v, w, n = z["u"], z["v"], z["w"], int(z["n"])
        print(f"{n:,} owners, {len(u):,} ties; rss {_rss():,.0f} MiB", flush=True)
        t, cpu = time.perf_counter(), time.process_time()
        memb, info = C._find_circles(n, u, v, w, method="modularity", resolution=None, granularity="default",
                                     runs=10, seed=0, n_iterations=2, engine="auto")
        print(f"partition: {time.perf_counter() - t:.1f} s wall, {time.process_time() - cpu:.1f} s CPU, "
              f"{int(memb.max()) + 1} circles; info {info}", flush=True)
        np.save(args.graph.with_suffix(".memb.npy"), memb)
        return
    os.environ["GRAPHCRM_FRESH"] = "1"
    cg = graphcrm.open(args.store)
    step = traced(sampler, "community", lambda: cg.community())
    c = step()
    traced(sampler, "projections", lambda: [c.edges(k) for k in ("interactions", "coattendance", "referrals")])()
    traced(sampler, "kocs", lambda: cg.kocs())()
    if args.save_graph is not None:
        u, v, w = C.combined_graph(c)
        np.savez(args.save_graph, u=u, v=v, w=w, n=len(c.owner_ids))
        print(f"wrote {args.save_graph}", flush=True)


if __name__ == "__main__":
    main()
