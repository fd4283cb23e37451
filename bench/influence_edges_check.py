"""influence_edges from Community.edges() arrays vs the igraph graphs it used to read: same
edges, same weights, same ambassadors picks, and the memory/time of each path.

    .venv/bin/python bench/influence_edges_check.py --owners 5000
    .venv/bin/python bench/influence_edges_check.py --owners 100000 --store  # DuckDB store path

Each path runs in a fresh child process; ``resident_added_mib`` is the resident memory the
step leaves behind (the community caches the graphs or arrays it built), ``peak_mib`` the
process's peak (ru_maxrss, demo generation included).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd


def via_graphs(community, *, layers=None, half_life_days=None, max_event_size=None) -> pd.DataFrame:
    """The previous influence_edges (commit 525ccf6): edge lists read from community.graph()."""
    from graphcrm.algorithms.influence import LAYERS, _layer_weights

    lw = _layer_weights(layers)
    n = len(community.owner_ids)
    parts = []
    if lw["interactions"] > 0:
        opts = {} if half_life_days is None else {"half_life_days": half_life_days}
        g = community.graph("interactions", **opts)
        if g.ecount():
            el = np.asarray(g.get_edgelist(), dtype=np.int64)
            w = np.asarray(g.es["weight"], dtype=np.float64) * lw["interactions"]
            parts.append(("interactions", el[:, 1], el[:, 0], w))
    if lw["referrals"] > 0:
        g = community.graph("referrals")
        if g.ecount():
            el = np.asarray(g.get_edgelist(), dtype=np.int64)
            parts.append(("referrals", el[:, 0], el[:, 1], np.full(len(el), lw["referrals"])))
    if lw["coattendance"] > 0:
        opts = {} if max_event_size is None else {"max_event_size": int(max_event_size)}
        g = community.graph("coattendance", **opts)
        if g.ecount():
            el = np.asarray(g.get_edgelist(), dtype=np.int64)
            w = np.asarray(g.es["weight"], dtype=np.float64) * lw["coattendance"]
            parts.append(("coattendance", np.r_[el[:, 0], el[:, 1]], np.r_[el[:, 1], el[:, 0]], np.r_[w, w]))
    src = np.concatenate([p[1] for p in parts])
    dst = np.concatenate([p[2] for p in parts])
    w = np.concatenate([p[3] for p in parts])
    layer = np.concatenate([np.full(len(p[1]), LAYERS.index(p[0])) for p in parts])
    ok = (src != dst) & (w > 0)
    src, dst, w, layer = src[ok], dst[ok], w[ok], layer[ok]
    uniq, inv = np.unique(src * n + dst, return_inverse=True)
    out = pd.DataFrame({"src": uniq // n, "dst": uniq % n, "weight": np.bincount(inv, weights=w, minlength=len(uniq))})
    for i, name in enumerate(LAYERS):
        out[name] = np.bincount(inv, weights=np.where(layer == i, w, 0.0), minlength=len(uniq))
    return out


def _community(args):
    from graphcrm.community import Community
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(args.owners, seed=0)
    if not args.store:
        return Community(tables)
    from graphcrm.stores.duckdb_store import DuckDBStore

    path = os.path.join(tempfile.mkdtemp(), "g.duckdb")
    store = DuckDBStore(path, create=True)
    store.upsert(tables)
    return Community.from_store(store)


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(args) -> None:
    from graphcrm.algorithms import influence as im

    c = _community(args)
    base = _rss_mib()
    t = time.perf_counter()
    e = via_graphs(c) if args.path == "graphs" else im.influence_edges(c)
    secs = time.perf_counter() - t
    # what stays resident: the community caches the graphs / arrays it built
    out = {"path": args.path, "edges": len(e), "seconds": round(secs, 2),
           "resident_added_mib": round(_rss_mib() - base),
           "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    if args.compare:
        old = via_graphs(c)
        out["same_edges"] = bool(np.array_equal(old[["src", "dst"]].to_numpy(), e[["src", "dst"]].to_numpy()))
        out["max_abs_weight_diff"] = float(np.abs(old.drop(columns=["src", "dst"]).to_numpy()
                                                   - e.drop(columns=["src", "dst"]).to_numpy()).max())
        a = im.ambassadors(c, k=50, mc_runs=0, seed=0, progress=False, probability="wc")
        orig = im.influence_edges
        im.influence_edges = via_graphs
        try:
            c2 = _community(args)
            b = im.ambassadors(c2, k=50, mc_runs=0, seed=0, progress=False, probability="wc")
        finally:
            im.influence_edges = orig
        out["same_picks_wc_k50"] = a["owner_id"].tolist() == b["owner_id"].tolist()
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--owners", type=int, default=5000)
    ap.add_argument("--store", action="store_true", help="community from a DuckDB store (SQL projections)")
    ap.add_argument("--path", choices=["graphs", "edges"])
    ap.add_argument("--compare", action="store_true")
    args = ap.parse_args()
    if args.path:
        child(args)
        return
    print("load average", os.getloadavg())
    extra = ["--store"] if args.store else []
    for path, cmp_ in (("graphs", []), ("edges", ["--compare"])):
        subprocess.run([sys.executable, __file__, "--owners", str(args.owners), "--path", path, *extra, *cmp_],
                       check=True)


if __name__ == "__main__":
    main()
