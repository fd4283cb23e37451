"""Where ``kocs`` spends its time and memory, piece by piece, on a loaded store.

    python bench/kocs_pieces.py /tmp/gcrm-bench/bench-100000.duckdb [--stock-leiden] [--out kocs.parquet]
    flock /tmp/brief/1m.lock python bench/kocs_pieces.py /tmp/mem1m-bench/loaded-1000000.duckdb --max-rss-gib 12

The store is copied to a temporary file (never written in place) and opened with
``GRAPHCRM_FRESH=1``; the community and its three projections are built first (timed apart,
as the pipeline's ``community`` and ``projections`` steps), then ``kocs()`` runs as the
pipeline calls it, with the module's helpers wrapped by timers: wall and CPU seconds
(``time.process_time``: every thread), the resident memory after and the peak during each piece
(sampled every 20 ms), inclusive of the pieces they call.  The pieces: ``engagement_pairs``
(inside it ``_interaction_rows`` and ``interaction_weights``), ``_active_days``, ``_authority``
(PageRank), ``_conversion`` (the referral credit, which computes the ``referral_attribution``
dependency), ``_bridging`` (inside it ``circle_ids``: the circles partition and the combined
graph), ``_score``, ``_reasons``.  ``--stock-leiden`` then times the baseline on the same
combined graph: igraph's Leiden, modularity, resolution 1, to convergence, the graph built
from the same arrays.  ``--out`` saves the KOC table (parquet) for a before/after comparison
(``bench/kocs_compare.py``).  ``--max-rss-gib`` stops the process when its resident memory
passes the limit (the shared machine has no swap).
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
import warnings
from pathlib import Path


def _rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


class _Meter:
    """Timers around functions; a sampling thread records the peak of every open piece."""

    def __init__(self, limit_mib: float | None) -> None:
        self.open: list[dict] = []
        self.rows: list[dict] = []
        self.limit = limit_mib
        self._stop = False
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self._stop:
            r = _rss_mib()
            for p in list(self.open):
                p["peak"] = max(p["peak"], r)
            if self.limit is not None and r > self.limit:
                print(f"resident {r:.0f} MiB passed --max-rss-gib: stopping", flush=True)
                os._exit(3)
            time.sleep(0.02)

    def wrap(self, module, name: str, label: str | None = None) -> None:
        f = getattr(module, name)
        label = label or name

        def timed(*a, **k):
            piece = {"piece": label, "depth": len(self.open), "peak": _rss_mib(), "before": _rss_mib()}
            self.open.append(piece)
            self.rows.append(piece)
            w, c = time.perf_counter(), time.process_time()
            try:
                return f(*a, **k)
            finally:
                piece["wall_s"] = time.perf_counter() - w
                piece["cpu_s"] = time.process_time() - c
                piece["after"] = _rss_mib()
                piece["peak"] = max(piece["peak"], piece["after"])
                piece["load"] = os.getloadavg()[0]
                self.open.remove(piece)

        setattr(module, name, timed)

    def table(self) -> str:
        out = ["| piece | wall s | CPU s | resident after, MiB | peak during, MiB | load |",
               "|---|---:|---:|---:|---:|---:|"]
        for r in self.rows:
            out.append(f"| {'  ' * r['depth']}{r['piece']} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | "
                       f"{r['after']:,.0f} | {r['peak']:,.0f} | {r['load']:.1f} |")
        return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--stock-leiden", action="store_true")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--max-rss-gib", type=float, default=12.0)
    args = ap.parse_args()
    os.environ["GRAPHCRM_FRESH"] = "1"
    warnings.filterwarnings("ignore")
    import graphcrm
    import graphcrm.algorithms.circles as C
    import graphcrm.algorithms.koc as K

    print(f"graphcrm from {Path(graphcrm.__file__).parent}; koc from {K.__file__}", flush=True)
    meter = _Meter(args.max_rss_gib * 1024)
    for name in ("engagement_pairs", "_interaction_rows", "interaction_weights", "_engagement", "_active_days",
                 "_authority", "_conversion", "_bridging", "_score", "_reasons"):
        meter.wrap(K, name)
    meter.wrap(C, "circle_ids")
    meter.wrap(C, "combined_graph")
    meter.wrap(C, "_find_circles")

    tmp = Path(tempfile.mkdtemp(prefix="gcrm-kocs-"))
    try:
        db = tmp / "store.duckdb"
        shutil.copyfile(args.store, db)
        cg = graphcrm.open(db)
        steps = {"community": lambda: cg.community(),
                 "projections": lambda: [cg.community().edges(k) for k in ("interactions", "coattendance",
                                                                             "referrals")],
                 "kocs (whole call)": lambda: cg.kocs()}
        res = {}
        for label, fn in steps.items():
            holder = type("H", (), {label: staticmethod(fn)})
            meter.wrap(holder, label)
            res[label] = getattr(holder, label)()
        print(f"\n{len(cg.community().owner_ids):,} owners, {len(cg.community().tables['interactions']):,} "
              f"interactions; load average {os.getloadavg()[0]:.1f}\n")
        print(meter.table(), flush=True)
        if args.out:
            res["kocs (whole call)"].to_parquet(args.out)
        if args.stock_leiden:
            import random

            import numpy as np

            u, v, w = C.combined_graph(cg.community())
            n = len(cg.community().owner_ids)
            tied = np.zeros(n, dtype=bool)
            tied[u] = True
            tied[v] = True
            pos = (np.cumsum(tied) - 1).astype(u.dtype)
            meter.rows.clear()

            def stock():
                g = C._graph(int(tied.sum()), pos[u], pos[v], w)
                random.seed(0)
                return g.community_leiden(objective_function="modularity", weights=w, n_iterations=-1)

            holder = type("H", (), {"stock igraph Leiden (graph + run to convergence)": staticmethod(stock)})
            meter.wrap(holder, "stock igraph Leiden (graph + run to convergence)")
            m = getattr(holder, "stock igraph Leiden (graph + run to convergence)")()
            print(meter.table())
            print(f"(stock Leiden: {len(set(m.membership)):,} communities)")
        cg.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
