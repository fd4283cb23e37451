"""System time of fresh numpy arrays with and without numpy's huge-page advice.

Each trial runs in a fresh process: it allocates and fills ``--arrays`` arrays of ``--mib`` MiB one
after another (each freed before the next, as graphcrm's steps do), with ``NUMPY_MADVISE_HUGEPAGE``
set to 1 (numpy's default advice) or 0 (graphcrm's setting, graphcrm/_pages.py), and prints wall,
user and system seconds and minor page faults.  Trials alternate between the two settings.

    python bench/hugepages.py                 # 10 x 800 MiB, 2 trials each
    python bench/hugepages.py --arrays 20 --mib 400 --trials 3

See docs/scaling.md "Small memory pages for numpy's arrays" and docs/benchmarks.md "Huge pages".
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

_CHILD = r"""
import json, resource, sys, time
import numpy as np
arrays, mib = int(sys.argv[1]), int(sys.argv[2])
t = time.perf_counter(); r0 = resource.getrusage(resource.RUSAGE_SELF)
for _ in range(arrays):
    a = np.ones(mib * 1024 * 1024 // 8)
    del a
r1 = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall_s": time.perf_counter() - t, "user_s": r1.ru_utime - r0.ru_utime,
                  "sys_s": r1.ru_stime - r0.ru_stime, "minor_faults": r1.ru_minflt - r0.ru_minflt}))
"""


def trial(advice: str, arrays: int, mib: int) -> dict:
    env = dict(os.environ, NUMPY_MADVISE_HUGEPAGE=advice)
    out = subprocess.run([sys.executable, "-c", _CHILD, str(arrays), str(mib)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arrays", type=int, default=10)
    ap.add_argument("--mib", type=int, default=800)
    ap.add_argument("--trials", type=int, default=2)
    a = ap.parse_args()
    try:
        thp = open("/sys/kernel/mm/transparent_hugepage/defrag").read().strip()
    except OSError:
        thp = "unknown"
    print(f"transparent_hugepage/defrag: {thp}; load average {os.getloadavg()[0]:.2f}")
    print("advice  wall s  user s  sys s  minor faults")
    for _ in range(a.trials):
        for advice in ("1", "0"):
            r = trial(advice, a.arrays, a.mib)
            print(f"{advice:>6}  {r['wall_s']:6.2f}  {r['user_s']:6.2f}  {r['sys_s']:5.2f}  {r['minor_faults']:>12,}")


if __name__ == "__main__":
    main()
