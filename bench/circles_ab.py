"""Before / after for circles: a git revision's algorithms/circles.py against the working tree's,
on the same community in one process, back to back (same data, same load).

    python bench/circles_ab.py --owners 100000                       # in-memory demo, with its planted truth
    python bench/circles_ab.py --store /tmp/b100k.duckdb --seeds 0,1  # a demo store (copy it first)
    python bench/circles_ab.py --store /tmp/b1m.duckdb --before 6cdcab8
    python bench/circles_ab.py --store /tmp/b1m.duckdb --save-graph /tmp/g1m.npz   # the combined graph only
    python bench/circles_ab.py --graph /tmp/g1m.npz --before b0230fa                # partitions only
    python bench/circles_ab.py --owners 100000 --before 0e2b2b7 --tie-rule coarsest  # the scan's tie rule

With ``--save-graph`` the combined graph (of the working tree's code) is written to an .npz and
the process ends; ``--graph`` then times only the two versions' partitions on those arrays, in
a process that never holds the community's tables (at 1M owners about 4 GB less resident).

For each version: the combined graph (``_combined_graph``, not cached) and the partition
(``_find_circles`` at default settings) - wall and CPU seconds, circles, chosen resolution, the
scan, seed stability, consensus vertices - and the agreement of the two versions' circles (NMI /
ARI); with ``--owners`` also against the demo's planted city and city x hobby circles.
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import graphcrm
import graphcrm.algorithms.circles as after
from graphcrm.community import Community

ROOT = Path(__file__).resolve().parents[1]


def _peak() -> str:
    return Path("/proc/self/status").read_text().split("VmHWM:")[1].split("\n")[0].strip()


def _digest(*arrays: np.ndarray) -> str:
    """A digest of arrays' dtypes and bytes: equal digests, the same arrays bit for bit."""
    import hashlib

    h = hashlib.blake2b(digest_size=8)
    for x in arrays:
        h.update(str(x.dtype).encode())
        h.update(np.ascontiguousarray(x).tobytes())
    return h.hexdigest()


def _module_at(rev: str):
    text = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:algorithms/circles.py"], check=True,
                          capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "circles_before.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("circles_before", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["circles_before"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--owners", type=int)
    p.add_argument("--store")
    p.add_argument("--before", default="HEAD", help="git revision of the 'before' circles.py")
    p.add_argument("--seeds", default="0")
    p.add_argument("--save-graph", help="write the combined graph (u, v, w, n) to this .npz and stop")
    p.add_argument("--graph", help="an .npz from --save-graph: time the partitions only")
    p.add_argument("--baseline", action="store_true",
                   help="with --graph: also one stock igraph Leiden run (modularity, resolution 1, to convergence) "
                        "on the same arrays, graph built the same way")
    p.add_argument("--tie-rule", choices=("nearest", "coarsest"),
                   help="the 'after' version's SCAN_TIE_RULE (the scan's tie rule; default: the module's own)")
    a = p.parse_args()
    if a.tie_rule:
        after.SCAN_TIE_RULE = a.tie_rule
    truth = None
    if a.graph:
        _partitions_only(a)
        return
    if a.store:
        c = graphcrm.open(a.store).community()
    else:
        from graphcrm.demo import HOBBIES, generate_demo

        tables, tr = generate_demo(a.owners or 100_000, seed=0)
        c = Community(tables)
        planted = pd.Series(tr["circles"]["of_owner"], index=tables["owners"]["owner_id"].to_numpy()
                            ).reindex(c.owner_ids).to_numpy()
        truth = {"city": planted // len(HOBBIES), "city x hobby": planted}
    n = len(c.owner_ids)
    c.edges("coattendance", max_event_size=150)  # the projections once (cached), outside the timings
    c.edges("interactions")
    lw = {"coattendance": 1.0, "interactions": 1.0}
    if a.save_graph:
        t, cpu = time.perf_counter(), time.process_time()
        u, v, w = after._combined_graph(c, lw, None, 150)
        print(f"combined graph: {len(u):,} ties, {time.perf_counter() - t:.1f} s / CPU {time.process_time() - cpu:.1f} s; "
              f"peak {_peak()}", flush=True)
        np.savez(a.save_graph, u=u, v=v, w=w, n=np.int64(n))
        return
    seeds = [int(x) for x in a.seeds.split(",")]
    out, digests = {}, {}
    print(f"{n:,} owners; before = {a.before}; load average {os.getloadavg()[0]:.1f}", flush=True)
    for name, mod in (("before", _module_at(a.before)), ("after", after)):
        for s in seeds:
            gc.collect()
            t, cpu = time.perf_counter(), time.process_time()
            u, v, w = mod._combined_graph(c, lw, None, 150)
            tg, cg = time.perf_counter() - t, time.process_time() - cpu
            digests[name, s] = _digest(u, v, w)
            t, cpu = time.perf_counter(), time.process_time()
            memb, info = mod._find_circles(n, u, v, w, method="modularity", resolution=None, granularity="default",
                                           runs=10, seed=s, n_iterations=2, engine="auto")
            out[name, s] = memb
            line = (f"| {name} | {s} | {tg:.1f} / {cg:.1f} | {time.perf_counter() - t:.1f} / {time.process_time() - cpu:.1f} | "
                    f"{int(memb.max()) + 1} | {info['resolution']:g} | {info['scan']} | {info['seed_stability']:.3f} | "
                    f"{info['coarse_groups']:,} | {os.getloadavg()[0]:.1f} | {_peak()} |")
            if truth is not None:
                k = memb >= 0
                line += " " + ", ".join(f"{key} {after.compare_partitions(t_[k], memb[k])['nmi']:.3f} / "
                                        f"{after.compare_partitions(t_[k], memb[k])['ari']:.3f}" for key, t_ in truth.items()) + " |"
            print(line, flush=True)
            del u, v, w
    for s in seeds:
        ag = after.compare_partitions(out["before", s], out["after", s])
        print(f"seed {s}: before vs after NMI {ag['nmi']:.4f} / ARI {ag['ari']:.4f}; the same circle numbers for every "
              f"owner: {np.array_equal(out['before', s], out['after', s])}; combined graph (u, v, w) digest before "
              f"{digests['before', s]}, after {digests['after', s]}")
    for name in ("before", "after"):
        for i, x in enumerate(seeds):
            for y in seeds[i + 1:]:
                ag = after.compare_partitions(out[name, x], out[name, y])
                print(f"{name}: seed {x} vs {y} NMI {ag['nmi']:.4f} / ARI {ag['ari']:.4f}")


def _partitions_only(a) -> None:
    """Both versions' ``_find_circles`` on a saved combined graph, back to back."""
    z = np.load(a.graph)
    u, v, w, n = z["u"], z["v"], z["w"], int(z["n"])
    seeds = [int(x) for x in a.seeds.split(",")]
    print(f"{n:,} owners, {len(u):,} ties (from {a.graph}); before = {a.before}; load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    out = {}
    for name, mod in (("before", _module_at(a.before)), ("after", after)):
        for s in seeds:
            gc.collect()
            t, cpu = time.perf_counter(), time.process_time()
            memb, info = mod._find_circles(n, u, v, w, method="modularity", resolution=None, granularity="default",
                                           runs=10, seed=s, n_iterations=2, engine="auto")
            out[name, s] = memb
            print(f"| {name} | {s} | - | {time.perf_counter() - t:.1f} / {time.process_time() - cpu:.1f} | "
                  f"{int(memb.max()) + 1} | {info['resolution']:g} | {info['scan']} | {info['seed_stability']:.3f} | "
                  f"{info['coarse_groups']:,} | {os.getloadavg()[0]:.1f} | {_peak()} |", flush=True)
    for s in seeds:
        ag = after.compare_partitions(out["before", s], out["after", s])
        print(f"seed {s}: before vs after NMI {ag['nmi']:.4f} / ARI {ag['ari']:.4f}; the same circle numbers for every "
              f"owner: {np.array_equal(out['before', s], out['after', s])}")
    if a.baseline:
        import random

        gc.collect()
        t, cpu = time.perf_counter(), time.process_time()
        g = after._graph(n, u, v, w)
        tb, cb = time.perf_counter() - t, time.process_time() - cpu
        random.seed(0)  # python-igraph draws from Python's random module
        m = np.asarray(g.community_leiden(objective_function="modularity", weights=w, n_iterations=-1).membership)
        print(f"| baseline: stock igraph Leiden, modularity, resolution 1, to convergence, seed 0 | 0 | - | "
              f"{time.perf_counter() - t:.1f} / {time.process_time() - cpu:.1f} (graph {tb:.1f} / {cb:.1f}) | "
              f"{len(np.unique(m)):,} communities (owners without ties are singletons) | 1 | | | | "
              f"{os.getloadavg()[0]:.1f} | {_peak()} |", flush=True)


if __name__ == "__main__":
    print("| version | seed | combined graph s / CPU s | circles s / CPU s | circles | resolution | scan | "
          "seed stability | consensus vertices | load | peak | vs planted NMI / ARI |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    main()
