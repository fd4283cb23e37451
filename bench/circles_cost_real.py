"""``circles`` on the real Higgs Twitter log (304,198 owners) beside stock igraph Leiden on the same graph.

    python bench/circles_cost_real.py graphcrm OUT.npy      # circles(seed=0); saves each owner's circle (by owner_id)
    NIT=2 python bench/circles_cost_real.py stock           # stock Leiden, modularity, n_iterations=NIT (default -1)

One call per process (run it under ``/usr/bin/time`` for the peak; the process also holds the
data).  The stock run builds an igraph graph from ``combined_graph``'s tie arrays, as a user would.
Old vs new: run the ``graphcrm`` mode with each snapshot on ``PYTHONPATH`` and compare the two
``.npy`` files.  The data are read from ../shared/data, never copied.
"""
from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import backtest_real as br  # noqa: E402

import graphcrm  # noqa: E402
from graphcrm.algorithms.circles import circles, combined_graph  # noqa: E402
from graphcrm.community import Community  # noqa: E402


def main() -> None:
    print("graphcrm from", graphcrm.__file__)
    c = Community(br._contract_frames(br.SETS["higgs_twitter"]()))
    t = time.process_time()
    if sys.argv[1] == "graphcrm":
        df = circles(c, seed=0)
        np.save(sys.argv[2], df.sort_values("owner_id")["circle"].astype(str).to_numpy().astype("U"))
        print(f"circles: {time.process_time() - t:.2f} s CPU, {df['circle'].nunique()} circle values, rows {len(df)}")
    else:
        import igraph as ig

        u, v, w = combined_graph(c)
        t2 = time.process_time()
        g = ig.Graph(n=len(c.owners), edges=np.column_stack([u, v]), edge_attrs={"weight": w})
        p = g.community_leiden(objective_function="modularity", weights="weight",
                               n_iterations=int(os.environ.get("NIT", "-1")))
        print(f"stock Leiden: {time.process_time() - t:.2f} s CPU (combined graph {t2 - t:.2f} s), {len(p)} communities, "
              f"{g.vcount()} nodes, {g.ecount()} ties")
    print(f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB, load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
