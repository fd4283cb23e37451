"""The circles' combined graph (``_combined_graph``) of an older snapshot against this checkout:
identical arrays?  Then, with ``--time VERSION``, one version alone in its own process: CPU and
wall seconds and the peak resident memory above what the process held before the call.

    git archive REV | tar -x -C DIR; cp -r DIR/{algorithms,loaders,reports} DIR/graphcrm/
    python bench/combined_graph_ab.py STORE --before DIR                 # identity, four option sets
    python bench/combined_graph_ab.py STORE --time DIR                   # the old one alone
    python bench/combined_graph_ab.py STORE --time new                   # this checkout alone

The store is copied to a temporary file first (never written in place); the projections are
built before the timed call (as in the pipeline, where ``projections`` runs first).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path


def _rss() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--before", type=Path, default=None, help="snapshot folder of the older version")
    ap.add_argument("--time", default=None, help="'new' or a snapshot folder: time that version alone")
    args = ap.parse_args()
    os.environ["GRAPHCRM_FRESH"] = "1"
    warnings.filterwarnings("ignore")
    import numpy as np

    import graphcrm
    import graphcrm.algorithms.circles as C

    tmp = Path(tempfile.mkdtemp(prefix="gcrm-cgab-"))
    try:
        shutil.copyfile(args.store, tmp / "s.duckdb")
        cg = graphcrm.open(tmp / "s.duckdb")
        com = cg.community()
        for k in ("interactions", "coattendance"):
            com.edges(k)
        if args.before is not None:
            O = _load(args.before / "graphcrm" / "algorithms" / "circles.py", "old_circles")
            print(f"old {O.__file__}\nnew {C.__file__}")
            ok = True
            for lw in (None, {"coattendance": 2.0, "interactions": 0.5}):
                for half in (None, 90.0):
                    L = C._layer_weights(lw)
                    a, b = O._combined_graph(com, L, half, 150), C._combined_graph(com, L, half, 150)
                    same = all(np.array_equal(x, y) and x.dtype == y.dtype for x, y in zip(a, b))
                    ok &= same
                    print(f"  layer_weights={lw} half_life_days={half}: {len(a[0]):,} ties, "
                          + ("identical" if same else "DIFFERENT"))
            print("IDENTICAL" if ok else "DIFFERENT")
        if args.time is not None:
            mod = C if args.time == "new" else _load(Path(args.time) / "graphcrm" / "algorithms" / "circles.py", "t_circles")
            before = _rss()
            peak, stop = [before], [False]

            def sample():
                while not stop[0]:
                    peak[0] = max(peak[0], _rss())
                    time.sleep(0.005)

            threading.Thread(target=sample, daemon=True).start()
            w, c = time.perf_counter(), time.process_time()
            u, _v, _w = mod._combined_graph(com, C._layer_weights(None), None, 150)
            w, c = time.perf_counter() - w, time.process_time() - c
            stop[0] = True
            print(f"{mod.__file__}: {len(u):,} ties, {w:.2f} s wall, {c:.2f} s CPU, resident before "
                  f"{before:,.0f} MiB, peak during +{peak[0] - before:,.0f} MiB, load {os.getloadavg()[0]:.1f}")
        cg.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
