"""Before / after for the circles' partition: a git revision's default against the working
tree's default (``method="modularity"``: must be the same circles) and ``method="auto"`` (edge
cross-validation between consensus modularity and Infomap), on the same demo community.

    python bench/circles_auto_ab.py --before 6dcb1dd --owners 2000,5000,20000

For each size: the combined graph's ties; CPU and wall seconds of the revision's ``_partition``
at its default options, of the working tree's at its default, and of ``method="auto"``; the
method auto chose and its ECV gains; whether the circles are the same (ARI against the
revision's); and each against the demo's planted city and city x hobby circles.  Above
``COARSEN_TIES`` ties auto does not cross-validate (modularity).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import graphcrm.algorithms.circles as after
from graphcrm.community import Community
from graphcrm.demo import HOBBIES, generate_demo

ROOT = Path(__file__).resolve().parents[1]


def _old(rev: str):
    d = Path(tempfile.mkdtemp(prefix="circles-before-"))
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:algorithms/circles.py"], check=True,
                         capture_output=True, text=True).stdout
    (d / "circles_before.py").write_text(src)
    spec = importlib.util.spec_from_file_location("circles_before", d / "circles_before.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["circles_before"] = mod
    spec.loader.exec_module(mod)
    return mod


def _timed(fn):
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - c


OPTS = dict(resolution=None, granularity="default", consensus_runs=10, layer_weights=after.DEFAULT_LAYER_WEIGHTS,
            half_life_days=None, max_event_size=150, seed=0, n_iterations=2, engine="auto")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", default="6dcb1dd")
    ap.add_argument("--owners", default="2000,5000,20000,100000")
    a = ap.parse_args()
    before = _old(a.before)
    print(f"load average {os.getloadavg()[0]:.1f}; before = {a.before}")
    print("| owners | ties | before: s wall / CPU | default now: s wall / CPU, same circles (ARI) | auto: s wall / CPU | "
          "auto chose (ECV gains) | auto vs before (ARI) | city ARI before / auto | city x hobby ARI before / auto |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in [int(x) for x in a.owners.split(",")]:
        tables, truth = generate_demo(n, seed=0)
        planted = pd.Series(truth["circles"]["of_owner"], index=tables["owners"]["owner_id"].to_numpy())
        (u, _, _, m_old, _), w_old, c_o = _timed(lambda: before._partition(Community(tables), method="modularity",
                                                                           **OPTS))
        (_, _, _, m_def, _), w_def, c_d = _timed(lambda: after._partition(Community(tables),
                                                                          method=after.DEFAULT_METHOD, **OPTS))
        c_new = Community(tables)
        (_, _, _, m_new, info), w_new, c_n = _timed(lambda: after._partition(c_new, method="auto", **OPTS))
        p = planted.reindex(c_new.owner_ids).to_numpy()
        k = m_new >= 0
        city = p // len(HOBBIES)
        same_def = after.compare_partitions(m_old, m_def)["ari"]
        same = after.compare_partitions(m_old, m_new)["ari"]
        ca = [after.compare_partitions(city[k], m[k])["ari"] for m in (m_old, m_new)]
        ha = [after.compare_partitions(p[k], m[k])["ari"] for m in (m_old, m_new)]
        print(f"| {n:,} | {len(u):,} | {w_old:.1f} / {c_o:.1f} | {w_def:.1f} / {c_d:.1f}, {same_def:.3f} | "
              f"{w_new:.1f} / {c_n:.1f} | {info['method']} ({info['ecv'] or info['method_rule']}) | {same:.3f} | "
              f"{ca[0]:.3f} / {ca[1]:.3f} | {ha[0]:.3f} / {ha[1]:.3f} |", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
