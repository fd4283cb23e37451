"""``ambassadors(k=30, seed=0)`` then ``volunteer_candidates(seed=0)`` (the pipeline's calls, in
its order) on a copy of a loaded store: wall and CPU seconds of each, and the results saved for
an old-vs-new comparison.

    python bench/ambvol_ab.py /tmp/gcrm-bench/bench-100000.duckdb --out new.pkl
    PYTHONPATH=/tmp/old python /tmp/old/bench/ambvol_ab.py /tmp/gcrm-bench/bench-100000.duckdb --out old.pkl
    python bench/ambvol_ab.py --compare old.pkl new.pkl

``GRAPHCRM_FRESH=1`` is set (kept results are not read).  The community and the circles (the
volunteers' input) are built first and not timed; the analysis modules are imported by the calls
themselves, as in the pipeline, so their import time is inside the step.  CPU = user + system of
the process (all threads) around each call; the 1-minute load average is printed after each.
Numba compiles into a per-path cache: run a fresh snapshot once before timing it.
``--profile DUMP`` runs each call under cProfile on CPU time and writes ``DUMP.STEP.pstats``
(read with ``pstats``; profiling inflates the times).

``--compare`` checks that the picks and every non-float column are equal and prints the largest
relative difference of each float column and of the learned model's coefficients.
"""
from __future__ import annotations

import argparse
import os
import pickle
import resource
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _rel(a, b) -> float:
    import numpy as np

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return float("inf")
    if not a.size:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300), initial=0.0, where=(a != b)))


def compare(a_path: Path, b_path: Path) -> int:
    A, B = pickle.load(open(a_path, "rb")), pickle.load(open(b_path, "rb"))
    bad = 0
    for name in ("ambassadors", "volunteer_candidates"):
        a, b = A[name], B[name]
        same_cols = list(a.columns) == list(b.columns)
        same_ids = len(a) == len(b) and bool((a["owner_id"].to_numpy() == b["owner_id"].to_numpy()).all())
        print(f"{name}: {len(a):,} / {len(b):,} rows, same columns {same_cols}, same owners in the same order {same_ids}")
        bad += not (same_cols and same_ids)
        for col in a.columns:
            if a[col].dtype.kind == "f":
                print(f"  {col:18s} max relative difference {_rel(a[col], b[col]):.3g}")
            else:
                eq = bool((a[col].astype(object).to_numpy() == b[col].astype(object).to_numpy()).all())
                print(f"  {col:18s} equal {eq}")
                bad += not eq
    for key in sorted(set(A["extra"]) | set(B["extra"])):
        print(f"  {key:36s} {A['extra'].get(key)!s:>24.24s} {B['extra'].get(key)!s:>24.24s}  "
              f"rel {_rel(A['extra'].get(key, float('nan')), B['extra'].get(key, float('nan'))):.3g}")
    print("SAME" if not bad else f"DIFFERENT ({bad})")
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path, nargs="?")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--compare", type=Path, nargs=2, default=None)
    ap.add_argument("--profile", type=Path, default=None, metavar="DUMP",
                    help="cProfile each call on CPU time (time.process_time), stats to DUMP.STEP.pstats")
    args = ap.parse_args()
    if args.compare:
        return compare(*args.compare)
    if args.store is None:
        ap.error("a store is needed")
    os.environ["GRAPHCRM_FRESH"] = "1"
    warnings.filterwarnings("ignore")
    import graphcrm

    print("graphcrm from", Path(graphcrm.__file__).resolve().parent, flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="gcrm-ambvol-"))
    db = tmp / "store.duckdb"
    shutil.copyfile(args.store, db)
    cg = graphcrm.open(db)
    cg.community()
    cg.circles(seed=0)
    out: dict = {"extra": {}}
    for name, call in (("ambassadors", lambda: cg.ambassadors(k=30, seed=0, details=True)),
                       ("volunteer_candidates", lambda: cg.volunteer_candidates(seed=0, details=True))):
        prof = None
        if args.profile is not None:
            import cProfile

            prof = cProfile.Profile(time.process_time)
        c0, w0 = _cpu(), time.perf_counter()
        table, det = prof.runcall(call) if prof is not None else call()
        wall, cpu = time.perf_counter() - w0, _cpu() - c0
        if prof is not None:
            prof.dump_stats(f"{args.profile}.{name}.pstats")
        print(f"  {name:22s} {wall:7.2f} s wall {cpu:7.2f} s CPU  load {os.getloadavg()[0]:.2f}  "
              f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB", flush=True)
        out[name] = table
        if name == "ambassadors":
            out["extra"]["mc_mean"] = float(det.mc_check.mean)
            out["extra"]["spread_curve"] = det.spread_curve["expected_reach"].to_numpy()
            for k, v in (det.learned or {}).items():
                if isinstance(v, dict):
                    for kk, vv in v.items():
                        if isinstance(vv, (int, float)):
                            out["extra"][f"learned.{k}.{kk}"] = float(vv)
                elif isinstance(v, (int, float)):
                    out["extra"][f"learned.{k}"] = float(v)
        else:
            out["extra"]["volunteers.auc"] = float(det.validation.auc)
    if args.out:
        with open(args.out, "wb") as fh:
            pickle.dump(out, fh)
    cg.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
