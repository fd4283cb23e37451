"""Wall/CPU seconds and resident memory of building the exposure log (``algorithms.backtest.exposures``).

    python bench/exposures_bench.py COPY-OF-STORE.duckdb [--save OUT.npz] [--compare OTHER.npz] [--profile]
    python bench/exposures_bench.py higgs_twitter [...]     # a real data set of bench/backtest_real.py

STORE is a store file, or the name of one of ``bench/backtest_real.py``'s real data sets
(``higgs_twitter``, ``stackexchange_conlang``, ``stackexchange_quantumcomputing``, ``collegemsg``,
``bitcoin_otc``: read from ../shared/data, never copied), built into a community as the backtest does.

Opens the store, builds the community (not timed), then calls the uncached builder
``backtest._exposures(community, community.owner_ids)`` once while a thread samples the resident
memory every 20 ms.  Prints the seconds (wall and CPU), the resident memory before, the highest
sampled and after, and a digest of the four columns.  ``--save`` writes the columns to an ``.npz``;
``--compare`` checks them element by element against an earlier ``--save`` (old code vs new code:
run the old one from a ``git archive`` snapshot with ``PYTHONPATH=SNAPSHOT``).  Timings are never
asserted in tests.  numba and the compiled helper are loaded before the clock starts (as in the
pipeline, where other steps have loaded numba already).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import resource
import threading
import time

import numpy as np


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("store", help="a store file, or a real data set name of bench/backtest_real.py")
    ap.add_argument("--save", default=None)
    ap.add_argument("--compare", default=None)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    import graphcrm
    import graphcrm.algorithms.backtest as bt

    print("backtest module:", bt.__file__)
    try:  # compiled helpers loaded before the clock starts, as in the pipeline (numba is already in use there)
        from graphcrm.algorithms._logsort import sort_tied_runs
        sort_tied_runs(np.arange(3), np.zeros(3, np.int64), np.zeros(3, np.int64), np.arange(3), np.int64(3))
    except ImportError:  # the old code has no compiled helper
        import numba  # noqa: F401  (the same import cost outside the clock)
    if os.path.exists(args.store):
        c = graphcrm.open(args.store).community()
    else:  # a real data set, as bench/backtest_real.py builds it
        import backtest_real as br
        from graphcrm.community import Community

        if args.store not in br.SETS:
            raise SystemExit(f"{args.store}: neither a store file nor one of {sorted(br.SETS)}")
        c = Community(br._contract_frames(br.SETS[args.store]()))
    n = len(c.owner_ids)
    rows = {k: len(v) for k, v in c.tables.items()}
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    samples: list[float] = []
    stop = threading.Event()

    def sampler() -> None:
        while not stop.is_set():
            samples.append(rss_mib())
            time.sleep(0.02)

    r0 = rss_mib()
    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    if args.profile:
        import cProfile
        import pstats
        pr = cProfile.Profile()
        pr.enable()
        ex = bt._exposures(c, c.owner_ids)
        pr.disable()
    else:
        ex = bt._exposures(c, c.owner_ids)
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    stop.set()
    th.join()
    r1 = rss_mib()
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    cols = {k: ex[k].to_numpy() for k in ("src", "dst", "t", "layer")}
    h = hashlib.sha256()
    for k, v in cols.items():
        h.update(k.encode())
        h.update(np.ascontiguousarray(v.astype(np.int64)).tobytes())
    print(f"owners {n}, rows {rows}")
    print(f"exposures {len(ex)} rows, dtypes {dict(ex.dtypes.astype(str))}, frame {ex.memory_usage(deep=True).sum() / 2**20:.0f} MiB")
    print(f"wall {wall:.2f} s, cpu {cpu:.2f} s, rss before {r0:.0f} MiB, peak sampled {max(samples + [r0, r1]):.0f} MiB"
          f" (+{max(samples + [r0, r1]) - r0:.0f}), after {r1:.0f} MiB")
    print("digest", h.hexdigest()[:16], "layers", np.bincount(cols["layer"].astype(np.int64)).tolist())
    if args.profile:
        pstats.Stats(pr).sort_stats("cumulative").print_stats(25)
    if args.save:
        np.savez(args.save, **cols)
    if args.compare:
        old = np.load(args.compare)
        same = all(np.array_equal(old[k].astype(np.int64), cols[k].astype(np.int64)) for k in cols)
        print("identical to", args.compare, ":", same)
        if not same:
            for k in cols:
                print(" ", k, old[k].dtype, cols[k].dtype, np.array_equal(old[k].astype(np.int64), cols[k].astype(np.int64)))


if __name__ == "__main__":
    main()
