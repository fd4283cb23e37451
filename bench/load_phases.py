"""Where a ``graphcrm load`` spends its time and memory: one load into a fresh store, with the
loader's main functions wrapped to record wall and CPU seconds per call and the process's peak
resident memory (sampled every 10 ms) while each ran.

    PYTHONPATH=SNAPSHOT python bench/load_phases.py FOLDER OUT.duckdb [REJECTS.csv]

Works with any revision that has these functions (missing ones are skipped), so the same script
profiles an old snapshot and HEAD.  The wrapped calls nest (``_normalize`` runs inside
``validate``), so their seconds do not add up; ``rss peak`` is the highest resident memory seen
while the call ran.  Prints one line per wrapped function (calls, wall s, CPU s, peak MiB), then
the whole load.  Timings belong here and in docs/benchmarks.md, never in tests.
"""
from __future__ import annotations

import functools
import importlib
import resource
import sys
import threading
import time
from pathlib import Path

NOW = "2026-12-01"
WRAP = [
    ("graphcrm.loaders.read", "_read_one"),
    ("graphcrm.loaders.read", "_parse_fast"),
    ("graphcrm.loaders.read", "_finish"),
    ("graphcrm.loaders.validate", "validate"),
    ("graphcrm.loaders.validate", "_normalize"),
    ("graphcrm.loaders.validate", "_duplicate_key_problems"),
    ("graphcrm.loaders.validate", "_reference_problems"),
    ("graphcrm.loaders.validate", "_early_interaction_problems"),
    ("graphcrm.loaders.validate", "_reject_frame"),
    ("graphcrm.stores.duckdb_store.DuckDBStore", "upsert"),
]


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


class Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self.stop = False

    def run(self) -> None:
        while not self.stop:
            self.peak = max(self.peak, rss_mib())
            time.sleep(0.01)


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    folder, store = sys.argv[1], sys.argv[2]
    rejects = sys.argv[3] if len(sys.argv) > 3 else store + ".rejects.csv"
    for p in (store, store + ".wal", rejects):
        Path(p).unlink(missing_ok=True)
    import graphcrm

    sampler = Sampler()
    sampler.start()
    stats: dict[str, list[float]] = {}

    def wrap(owner, name: str, label: str) -> None:
        fn = getattr(owner, name)

        @functools.wraps(fn)
        def timed(*a, **k):
            outer = sampler.peak
            sampler.peak = rss_mib()  # the peak seen while this call runs
            t, c = time.perf_counter(), cpu()
            try:
                return fn(*a, **k)
            finally:
                s = stats.setdefault(label, [0, 0.0, 0.0, 0.0])
                s[0] += 1
                s[1] += time.perf_counter() - t
                s[2] += cpu() - c
                s[3] = max(s[3], sampler.peak, rss_mib())
                sampler.peak = max(outer, sampler.peak)

        setattr(owner, name, timed)

    for modname, fname in WRAP:
        parts = modname.split(".")
        try:
            if parts[-1][0].isupper():
                owner = getattr(importlib.import_module(".".join(parts[:-1])), parts[-1])
            else:
                owner = importlib.import_module(modname)
        except (ImportError, AttributeError):
            continue
        if hasattr(owner, fname):
            wrap(owner, fname, f"{parts[-1]}.{fname}")
    t, c = time.perf_counter(), cpu()
    rep = graphcrm.open(store, create=True).load(folder, rejects_path=rejects, now=NOW, progress=False)
    wall, cp = time.perf_counter() - t, cpu() - c
    sampler.stop = True
    print("graphcrm from", graphcrm.__file__)
    print(f"{'function':44s} {'calls':>5s} {'wall s':>8s} {'CPU s':>8s} {'peak MiB':>9s}")
    for label, (n, w, cc, pk) in stats.items():
        print(f"{label:44s} {n:5d} {w:8.2f} {cc:8.2f} {pk:9,.0f}")
    r = resource.getrusage(resource.RUSAGE_SELF)
    print(f"{'whole load':44s} {'':5s} {wall:8.2f} {cp:8.2f} {r.ru_maxrss / 1024:9,.0f}  "
          f"(rows read {rep.read:,}, loaded {rep.loaded:,}, rejected {rep.rejected:,})")


if __name__ == "__main__":
    main()
