"""The report's headline frames (numbers, weeks, drill-down) on a store: CPU seconds, cProfile, frames kept for comparison.

    python bench/headline_frames.py STORE OUT.pkl        # then compare two versions' OUT.pkl with assert_frame_equal

Builds the whole community, then computes what ``reports.html._headline_frames`` computes
(``headline.activity`` once, ``headline``, ``weekly``, ``drilldown``) for the report's default
periods: CPU seconds of one pass, a cProfile of a second, the three frames pickled to OUT.pkl.
The store is only read.  Timings are never asserted in tests.
"""
from __future__ import annotations

import cProfile
import math
import os
import pickle
import pstats
import resource
import sys
import time


def main() -> int:
    import graphcrm
    from graphcrm.reports import headline as hl

    cg = graphcrm.open(sys.argv[1])
    t = time.process_time()
    full = cg.community()
    print(f"community {time.process_time() - t:.2f} s CPU; load {os.getloadavg()[0]:.2f}; {hl.__file__}")
    cur, prev, _ = hl.periods(full.tables, full.as_of, None, None)
    weeks = int(min(104, max(12, math.ceil((cur.end - prev.start).days / 7) + 12)))

    def run() -> dict:
        act = hl.activity(full.tables)
        return {"headline": hl.headline(full.tables, cur, prev, act=act),
                "weekly": hl.weekly(full.tables, cur.end, weeks=weeks, act=act),
                "drilldown": hl.drilldown(full.tables, cur, prev, top=5, act=act)}

    t = time.process_time()
    out = run()
    print(f"headline frames {time.process_time() - t:.2f} s CPU")
    prof = cProfile.Profile()
    prof.runcall(run)
    pstats.Stats(prof).sort_stats("cumulative").print_stats(15)
    with open(sys.argv[2], "wb") as fh:
        pickle.dump(out, fh)
    print(f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    cg.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
