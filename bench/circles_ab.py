"""Before / after for circles: a git revision's algorithms/circles.py against the working tree's,
on the same community in one process, back to back (same data, same load).

    python bench/circles_ab.py --owners 100000                       # in-memory demo, with its planted truth
    python bench/circles_ab.py --store /tmp/b100k.duckdb --seeds 0,1  # a demo store (copy it first)
    python bench/circles_ab.py --store /tmp/b1m.duckdb --before 6cdcab8

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
    a = p.parse_args()
    truth = None
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
    seeds = [int(x) for x in a.seeds.split(",")]
    out = {}
    print(f"{n:,} owners; before = {a.before}; load average {os.getloadavg()[0]:.1f}", flush=True)
    for name, mod in (("before", _module_at(a.before)), ("after", after)):
        for s in seeds:
            gc.collect()
            t, cpu = time.perf_counter(), time.process_time()
            u, v, w = mod._combined_graph(c, lw, None, 150)
            tg, cg = time.perf_counter() - t, time.process_time() - cpu
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
        print(f"seed {s}: before vs after NMI {ag['nmi']:.4f} / ARI {ag['ari']:.4f}")
    for name in ("before", "after"):
        for i, x in enumerate(seeds):
            for y in seeds[i + 1:]:
                ag = after.compare_partitions(out[name, x], out[name, y])
                print(f"{name}: seed {x} vs {y} NMI {ag['nmi']:.4f} / ARI {ag['ari']:.4f}")


if __name__ == "__main__":
    print("| version | seed | combined graph s / CPU s | circles s / CPU s | circles | resolution | scan | "
          "seed stability | consensus vertices | load | peak | vs planted NMI / ARI |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    main()
