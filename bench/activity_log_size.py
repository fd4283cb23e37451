"""The activity log of a loaded store (``algorithms.levels._activity_log``, as the memo holds it):
rows, memory (``memory_usage(deep=True)``) and seconds to build, for this checkout or another
code version.

    python bench/activity_log_size.py STORE.duckdb
    PYTHONPATH=/tmp/snap/OLD python bench/activity_log_size.py STORE.duckdb   # a git-archive snapshot

Timings belong in docs/benchmarks.md, never in tests.
"""
from __future__ import annotations

import sys
import time
import warnings


def main() -> None:
    warnings.filterwarnings("ignore")
    import graphcrm
    from graphcrm.algorithms import levels

    c = graphcrm.open(sys.argv[1]).community()
    t = time.perf_counter()
    log = levels._activity_log(c, None)
    sec = time.perf_counter() - t
    print(f"{graphcrm.__file__}: {len(log):,} rows, {log.memory_usage(deep=True).sum() / 2**20:.1f} MiB, "
          f"built in {sec:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
