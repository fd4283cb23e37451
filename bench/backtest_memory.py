"""Peak memory and output of the report's backtest call on a store (tracemalloc counts NumPy's buffers).

    python bench/backtest_memory.py STORE          # e.g. a copy of /tmp/gcrm-bench/bench-100000.duckdb

Builds the community (and its interaction projection) first, then starts tracemalloc and runs
``backtest(community, k=30, seed=0)`` (the report's call): prints the traced peak above the
start, the process's peak resident memory and the table without its ``seconds`` column (to
compare two versions' outputs).  CPU seconds under tracemalloc are inflated and not comparable
with other runs.  Results are recomputed (``GRAPHCRM_FRESH=1``); the store is only read.
"""
from __future__ import annotations

import os
import resource
import sys
import time
import tracemalloc
import warnings


def main() -> int:
    os.environ["GRAPHCRM_FRESH"] = "1"
    warnings.filterwarnings("ignore")
    import graphcrm
    import graphcrm.algorithms.backtest as bt

    print(bt.__file__)
    cg = graphcrm.open(sys.argv[1])
    c = cg.community()
    c.edges("interactions")
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    t, w = time.process_time(), time.perf_counter()
    df = bt.backtest(c, k=30, seed=0)
    cpu, wall = time.process_time() - t, time.perf_counter() - w
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"backtest {cpu:.2f} s CPU {wall:.2f} s wall (under tracemalloc); traced peak above start "
          f"{(peak - base) / 2**20:.0f} MiB; process peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; "
          f"load {os.getloadavg()[0]:.2f}")
    print(df.drop(columns="seconds").to_string())
    cg.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
