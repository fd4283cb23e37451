"""Run a command and sample its process tree: CPU per process per second, and the memory of all together.

    python bench/process_sampler.py [--interval 0.25] [--out samples.tsv] -- python bench/pipeline_bench.py --owners 100000 --jobs 2
    python bench/process_sampler.py --interval 2 --no-timeline -- python bench/pipeline_bench.py --owners 1000000 ...

Every ``--interval`` seconds it reads, for the command and every descendant (``/proc/PID/task/*/children``,
recursively), the CPU ticks used so far (``/proc/PID/stat`` utime + stime) and the proportional set
size (``/proc/PID/smaps_rollup`` Pss: shared pages, e.g. a forked worker's copy-on-write memory,
split between the processes that share them, so the sum is what the tree really holds).

It prints, after the command ends, a timeline: one line per second and one column per process
(CPU in hundredths of a core: 100 = one core busy the whole second, 0 = waiting), so a process
that waits for another shows as a run of zeros; and the peak of the summed PSS with the number of
processes then.  ``--out`` writes the raw samples (time, pid, ticks, PSS KiB) as TSV.  Linux only.
Used in docs/benchmarks.md, "The second core ... (stop 30)": the workers of ``graphcrm run --jobs 2``
idle while the parent ran ``kocs`` (a full pipe), and the PSS of the 1M job with and without them.
"""
from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import time


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/children") as fh:
                out += [int(x) for x in fh.read().split()]
        except OSError:
            pass
    return out


def _tree(root: int) -> list[int]:
    seen, todo = [], [root]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.append(p)
        todo += _children(p)
    return seen


def _ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            f = fh.read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])
    except (OSError, IndexError, ValueError):
        return None


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--interval", type=float, default=0.25, help="seconds between samples (default 0.25)")
    ap.add_argument("--out", default=None, help="write the raw samples here (TSV)")
    ap.add_argument("--no-timeline", action="store_true", help="print only the memory peak and totals")
    ap.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")
    a = ap.parse_args(argv)
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not cmd:
        ap.error("no command given (put it after --)")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd)
    samples: list[tuple[float, int, int, int]] = []
    peak = (0, 0, 0.0)  # PSS KiB, processes, seconds
    while True:
        now = time.monotonic() - t0
        pids = _tree(proc.pid)
        total = 0
        for p in pids:
            tk = _ticks(p)
            if tk is None:
                continue
            pss = _pss_kib(p)
            total += pss
            samples.append((now, p, tk, pss))
        if total > peak[0]:
            peak = (total, len(pids), now)
        if proc.poll() is not None:
            break
        time.sleep(a.interval)
    wall = time.monotonic() - t0
    if a.out:
        with open(a.out, "w") as fh:
            fh.write("seconds\tpid\tticks\tpss_kib\n")
            fh.writelines(f"{t:.2f}\t{p}\t{k}\t{s}\n" for t, p, k, s in samples)
    order: list[int] = []
    for _, p, _, _ in samples:
        if p not in order:
            order.append(p)
    if not a.no_timeline:
        hz = os.sysconf("SC_CLK_TCK")
        last: dict[int, int] = {}
        per: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
        for t, p, k, _ in samples:
            if p in last:
                per[int(t)][p] += (k - last[p]) * 100 // hz
            last[p] = k
        print("second  " + "  ".join(f"{p:>7}" for p in order) + "   (CPU, 100 = one core)")
        for sec in sorted(per):
            print(f"{sec:6d}  " + "  ".join(f"{per[sec][p]:7d}" for p in order))
    print(f"wall {wall:.1f} s, exit {proc.returncode}; processes seen: {len(order)}; "
          f"peak PSS of the tree {peak[0] / 1024:,.0f} MiB ({peak[1]} processes, at {peak[2]:.0f} s)")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
