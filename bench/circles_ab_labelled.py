"""Before / after for circles on the real labelled networks: a git revision's
algorithms/circles.py against the working tree's, same graphs, same seeds, one process.

    python bench/circles_ab_labelled.py --before b0230fa
    python bench/circles_ab_labelled.py --before b0230fa --seeds 0,1,2 --coarse

For every labelled network of ../shared/data (the eight of bench/validate_circles.py) and every
seed: the partition (``_find_circles`` at default settings) of both versions on the same combined
graph, the agreement of the two (NMI / ARI; 1.000 / 1.000 = the same circles), each version's NMI /
ARI against the labels, and the number of Leiden runs on the owners' graph (runs on a graph with
as many vertices as there are owners with ties).  ``--coarse`` also runs both versions with
``COARSEN_TIES = 0``, i.e. through the large-graph path (scan runs on the owners, consensus on the
graph of groups) that the demo communities above ~5,000 owners take, so that a change there is
checked on real data and not only on the demo.  Timings are not the point here (see
bench/circles_ab.py); CPU seconds per version are printed for the record.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import graphcrm.algorithms.circles as after
from graphcrm.community import Community

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from circles_ab import _module_at  # noqa: E402
from validate_circles import labelled_sets  # noqa: E402


def _counting(mod, nt: int) -> list[int]:
    """Count the runs of ``mod`` on a graph of ``nt`` vertices (the owners' graph)."""
    calls = [0]
    orig = mod._run_once

    def run_once(g, *a, **k):
        if g.vcount() == nt:
            calls[0] += 1
        return orig(g, *a, **k)

    mod._run_once = run_once
    return calls


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--before", default="HEAD", help="git revision of the 'before' circles.py")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--coarse", action="store_true", help="also through the large-graph path (COARSEN_TIES = 0)")
    a = p.parse_args()
    before = _module_at(a.before)
    seeds = [int(x) for x in a.seeds.split(",")]
    modes = [("default", None)] + ([("large-graph path", 0)] if a.coarse else [])
    print(f"before = {a.before}; load average {os.getloadavg()[0]:.1f}", flush=True)
    print("| network | path | seed | before: circles, NMI / ARI vs labels, owner-graph runs, CPU s | "
          "after: same | before vs after NMI / ARI |")
    print("|---|---|---|---|---|---|")
    same = total = 0
    for name, frames, lab in labelled_sets():
        c = Community.from_frames(frames)
        u, v, w = after._combined_graph(c, dict(after.DEFAULT_LAYER_WEIGHTS), None, 150)
        ub, vb, wb = before._combined_graph(c, dict(before.DEFAULT_LAYER_WEIGHTS), None, 150)
        assert np.array_equal(u, ub) and np.array_equal(v, vb) and np.allclose(w, wb, rtol=1e-12), name
        n = len(c.owner_ids)
        nt = int(np.union1d(u, v).size)
        truth = pd.Series(lab).reindex(c.owner_ids).to_numpy()
        for mode, coarsen in modes:
            saved = (before.COARSEN_TIES, after.COARSEN_TIES)
            if coarsen is not None:
                before.COARSEN_TIES = after.COARSEN_TIES = coarsen
            try:
                for s in seeds:
                    row, memb = [], {}
                    for label, mod in (("before", before), ("after", after)):
                        orig = mod._run_once
                        calls = _counting(mod, nt)
                        t = time.process_time()
                        try:
                            m, info = mod._find_circles(n, u, v, w, method="modularity", resolution=None,
                                                        granularity="default", runs=10, seed=s, n_iterations=2,
                                                        engine="auto")
                        finally:
                            mod._run_once = orig
                        cpu = time.process_time() - t
                        memb[label] = m
                        k = (m >= 0) & pd.notna(truth)
                        q = after.compare_partitions(truth[k], m[k])
                        row.append(f"{int(m.max()) + 1}, {q['nmi']:.3f} / {q['ari']:.3f}, {calls[0]}, {cpu:.1f}")
                    ag = after.compare_partitions(memb["before"], memb["after"])
                    total += 1
                    same += ag["ari"] == 1.0
                    print(f"| {name} | {mode} | {s} | {row[0]} | {row[1]} | {ag['nmi']:.3f} / {ag['ari']:.3f} |",
                          flush=True)
            finally:
                before.COARSEN_TIES, after.COARSEN_TIES = saved
    print(f"\nthe same circles (ARI 1.000) in {same} of {total} (network, path, seed); "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
