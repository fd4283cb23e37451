"""The combined graph's peak, a git revision's ``_combined_graph`` against the working tree's, on
the same community in one process, alternating (two rounds), with a digest of the arrays.

    cp /tmp/gcrm-bench/bench-100000.duckdb /tmp/COPY.duckdb
    GRAPHCRM_FRESH=1 python bench/combined_graph_peak.py /tmp/COPY.duckdb [--before 51a8440]

Per call: wall and CPU seconds, the resident size before it and the peak during it (the kernel's
high-water mark, reset before each call), the digest of ``(u, v, w)`` (equal digests: the same
arrays bit for bit).  The projections are built first, outside the timings.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import graphcrm  # noqa: E402
import graphcrm.algorithms.circles as new  # noqa: E402
from circles_ab import _digest, _module_at  # noqa: E402


def _status(field: str) -> float:
    return int(open("/proc/self/status").read().split(field + ":")[1].split()[0]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store")
    ap.add_argument("--before", default="51a8440")
    a = ap.parse_args()
    cg = graphcrm.open(a.store)
    c = cg.community()
    for k in ("interactions", "coattendance"):
        c.edges(k)
    old = _module_at(a.before)
    lw = new._layer_weights(None)
    for _ in range(2):
        for name, mod in ((a.before, old), ("working tree", new)):
            gc.collect()
            r0 = _status("VmRSS")
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
            t, cpu = time.perf_counter(), time.process_time()
            u, v, w = mod._combined_graph(c, lw, None, 150)
            peak = _status("VmHWM")
            print(f"{name}: {len(u):,} ties, {time.perf_counter() - t:.2f} s wall {time.process_time() - cpu:.2f} s CPU, "
                  f"resident before {r0:,.0f} MiB, peak {peak:,.0f} MiB (+{peak - r0:,.0f}), digest {_digest(u, v, w)}, "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
            del u, v, w


if __name__ == "__main__":
    main()
