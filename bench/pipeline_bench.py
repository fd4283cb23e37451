"""The whole weekly pipeline at N owners: wall time and peak memory per step.

    python bench/pipeline_bench.py --owners 20000 100000 [--work /tmp/gcrm-bench] [--json out.json]
    python bench/pipeline_bench.py --plot out.json [more.json ...] --png docs/scaling.png   (runs of the same size and shape
        merged, later files win; prints each step's growth exponents between the smallest and the largest run of the
        largest run's shape (interactions per owner), and separately, labelled, from runs of another shape)

For each size the demo is generated once (``examples/generate_demo.py DIR --owners N``, kept in
``--work`` and reused), then **one fresh subprocess per size** loads it into a new DuckDB file and
runs every step in that one process: ``load``, ``community`` (building the in-memory
:class:`~graphcrm.community.Community`), ``projections`` (the interaction, co-attendance and
referral graphs with default options), every analysis of the report with the report's options
(``kocs``, ``circles``, ``circle_profiles``, the four referral analyses, ``ambassadors`` k=30,
``volunteer_candidates``, ``contribution``, ``owner_levels``), ``targets`` and ``report``.
Per step it records wall seconds, the peak resident memory *during that step* (Linux: the
``VmHWM`` high-water mark is reset before each step through ``/proc/self/clear_refs``) and the
resident memory after it.  Timings are never asserted in tests; the machine's load average is
printed with the table because other processes share the cores.

``projections`` builds the three projections as the pipeline's analyses take them:
``Community.edges`` (compact arrays, aggregated in DuckDB), not igraph graphs.

``--interactions-per-owner`` is passed on to the generator.  ``--steps`` limits the run to some
steps (load and community always run).  A failing step is recorded with its error and the run
continues with the next one.  ``--max-rss-gib`` (default 12) guards the shared machine: a
watchdog thread in the child interrupts the step whose resident memory passes it (recorded as
an error, the run goes on); if the process still grows 2 GiB past it, the child records that
and exits, so the machine never runs out of memory (it has no swap).  Each step also records the
1-minute load average at its end.

``--memo-sizes N`` sizes, after each step (outside its timing), what the process holds: per
community, the N largest entries of its cache (tables, projections, intermediates, results;
:meth:`graphcrm.community.Community.memo_sizes`), the memo's counters of entries dropped and
recomputed (:attr:`~graphcrm.community.Community.memo_stats`), and the resident memory before
and after glibc's ``malloc_trim``.  ``--db-from STORE`` copies a store loaded before from the
same demo instead of loading (the ``load`` step is then empty; results are recomputed:
``GRAPHCRM_FRESH=1``).  ``$GRAPHCRM_MEMO_BUDGET_MIB`` sets the memo's budget for intermediates
(default 2048, ``none``: no limit).  ``--jobs 2`` runs work that needs only the tables in a
second process as ``graphcrm run`` does (:class:`graphcrm.reports.prefetch.Ahead`: ambassadors
and the backtest from the start, the earlier KOCs after ``kocs``; default here 1, one
process, as the earlier figures; the report's pieces that :meth:`~graphcrm.reports.prefetch.Ahead.in_process`
computes in this process after a step are recorded as steps of their own, ``report:circle_ties`` after
``circle_profiles`` and, without a second worker, ``report:movement`` after ``ambassadors``); each step then also records the CPU seconds so far of the process and its
reaped worker (``cpu_s``), and a last ``worker`` record the worker's peak resident memory.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANALYSES = [
    ("kocs", {}),
    ("circles", {"seed": 0}),
    ("circle_profiles", {}),
    ("referral_chains", {}),
    ("referral_attribution", {}),
    ("top_referrers", {}),
    ("referral_issues", {}),
    ("ambassadors", {"k": 30, "seed": 0}),
    ("volunteer_candidates", {"seed": 0}),
    ("contribution", {}),
    ("owner_levels", {}),
]


def _status(field: str) -> float:
    """A field of /proc/self/status in MiB (VmRSS, VmHWM)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def _watchdog(limit_mib: float, current: dict, out: Path) -> None:
    """Interrupt the main thread's step when the process passes ``limit_mib`` resident; exit the
    process (after recording it) if it still grows 2 GiB past the limit."""
    import _thread
    import threading

    def watch() -> None:
        fired = None
        while True:
            rss = _status("VmRSS")
            if rss > limit_mib and fired != current.get("step"):
                fired = current.get("step")
                current["stopped"] = f"stopped by the memory guard: {rss:,.0f} MiB > {limit_mib:,.0f} MiB"
                _thread.interrupt_main()
            if rss > limit_mib + 2048:
                with out.open("a") as fh:
                    fh.write(json.dumps({"step": current.get("step"), "seconds": round(time.perf_counter() - current["t0"], 3),
                                         "peak_mib": round(rss, 1),
                                         "rss_mib": round(rss, 1), "loadavg": os.getloadavg()[0],
                                         "error": f"process exited by the memory guard at {rss:,.0f} MiB"}) + "\n")
                os._exit(3)
            time.sleep(0.5)

    threading.Thread(target=watch, daemon=True).start()


def _malloc_trim() -> bool:
    """glibc's ``malloc_trim(0)``: hand freed heap pages back to the system (False elsewhere)."""
    import ctypes

    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        return False


def held(cg, top: int) -> dict:
    """What the process holds after a step: per community kept by ``cg`` (one per window), its
    ``top`` largest entries (tables, projections, memo intermediates and results, in MiB, each
    sized alone by :func:`graphcrm.community.held_bytes`), the memo counters, and the resident
    memory before and after glibc's ``malloc_trim``."""
    t = time.perf_counter()
    out: dict = {"communities": []}
    for window, c in cg._community_cache.items():
        sizes = c.memo_sizes()
        out["communities"].append({
            "window": list(window),
            "total_mib": round(sizes["bytes"].sum() / 2**20, 1),
            "by_kind_mib": {k: round(v / 2**20, 1) for k, v in sizes.groupby("kind")["bytes"].sum().items()},
            "top": [[r.entry[:90], r.kind, round(r.bytes / 2**20, 1)] for r in sizes.head(top).itertuples()],
            "stats": {k: v for k, v in c.memo_stats.items() if v["recomputed"] or v["evicted"]},
            # seconds of own work per name, every computation summed (recomputations included)
            "seconds": {k: v for k, v in getattr(c, "memo_seconds", {}).items() if c.memo_stats.get(k, {}).get("recomputed")},
        })
    out["sizing_s"] = round(time.perf_counter() - t, 2)
    out["rss_before_trim_mib"] = round(_status("VmRSS"), 1)
    out["malloc_trim"] = _malloc_trim()
    out["rss_after_trim_mib"] = round(_status("VmRSS"), 1)
    return out


def _cpu() -> float:
    """CPU seconds (user + sys) of this process and of its reaped children (the report's worker)."""
    import resource

    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def child(folder: Path, db: Path, steps: list[str] | None, out: Path, max_rss_gib: float = 12.0,
          memo_top: int = 0, db_from: Path | None = None, jobs: int | None = 1) -> None:
    """Run the pipeline in this process, one JSON line per step into ``out``."""
    import shutil
    import warnings

    warnings.filterwarnings("ignore")
    import graphcrm

    for old in (db, Path(str(db) + ".wal")):
        if old.exists():
            old.unlink()
    if db_from is not None:  # a store loaded before (same demo): its kept results are not reused (fresh)
        shutil.copyfile(db_from, db)
        wal = Path(str(db_from) + ".wal")
        if wal.exists():
            shutil.copyfile(wal, Path(str(db) + ".wal"))
        os.environ["GRAPHCRM_FRESH"] = "1"
    cg = graphcrm.open(db)
    records = []
    current: dict = {}
    _watchdog(max_rss_gib * 1024, current, out)

    def step(name: str, fn) -> None:
        if steps and name not in steps and name not in ("load", "community") \
                and not (name.startswith("report:") and "report" in steps):
            return
        _reset_peak()
        t = time.perf_counter()
        current.update(step=name, stopped=None, t0=t)
        err = None
        try:
            fn()
        except KeyboardInterrupt:
            err = current.get("stopped") or "interrupted"
        except Exception as exc:  # noqa: BLE001 - a bench records failures and goes on
            err = f"{type(exc).__name__}: {str(exc)[:200]}"
        rec = {"step": name, "seconds": round(time.perf_counter() - t, 3), "cpu_s": round(_cpu(), 2),
               "peak_mib": round(_status("VmHWM"), 1),
               "rss_mib": round(_status("VmRSS"), 1), "loadavg": round(os.getloadavg()[0], 2), "error": err}
        if memo_top:
            rec["held"] = held(cg, memo_top)
        records.append(rec)
        with out.open("a") as fh:
            fh.write(json.dumps(rec) + "\n")
        print(f"  {name:22s} {rec['seconds']:8.2f} s  peak {rec['peak_mib']:8.0f} MiB  rss {rec['rss_mib']:8.0f} MiB"
              + (f"  ERROR {err}" if err else ""), flush=True)
        if memo_top:
            h = rec["held"]
            print(f"      held (sized in {h['sizing_s']} s; rss after malloc_trim {h['rss_after_trim_mib']:,.0f} MiB):", flush=True)
            for c in h["communities"]:
                print(f"      window {c['window']}: {c['total_mib']:,.0f} MiB {c['by_kind_mib']}", flush=True)
                for entry, kind, mib in c["top"]:
                    print(f"        {mib:9,.1f} MiB  {kind:12s} {entry}", flush=True)
                if c["stats"]:
                    print(f"        counters: {c['stats']}", flush=True)
                if c.get("seconds"):
                    print(f"        seconds of what was computed again (all its computations): {c['seconds']}", flush=True)

    if db_from is not None:
        step("load", lambda: None)  # the copied store (recorded so the table keeps its rows)
    else:
        step("load", lambda: cg.load(folder, rejects_path=db.with_suffix(".rejects.csv"), progress=False))
    step("community", lambda: cg.community())
    step("projections", lambda: [cg.community().edges(k) for k in ("interactions", "coattendance", "referrals")])
    from graphcrm.reports.prefetch import Ahead

    ahead = Ahead(cg, seed=0, ambassadors_k=30, jobs=jobs, ambassadors_options=dict(ANALYSES)["ambassadors"])
    if jobs == 1:
        ahead.active = False
    try:
        if jobs != 1:  # as graphcrm run: work that needs only the tables in a second process (--jobs)
            ahead.after("community")
        for name, opts in ANALYSES:
            step(name, lambda name=name, opts=opts: (ahead.before(name), getattr(cg, name)(**opts)))
            ahead.after(name, run=step)  # the report's pieces computed here (report:...) are steps of their own
        step("targets", lambda: cg.targets(seed=0))
        step("report", lambda: (ahead.before("report"), cg.report(db.with_suffix(".html"), seed=0)))
    finally:
        ahead.close()
    if ahead.early is not None or ahead.late is not None:
        import resource

        errors = [e for p in (ahead.early, ahead.late) if p is not None for e in p.errors]
        print(f"  second process: adopted {ahead.adopted} {errors or ''}", flush=True)
        ch = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak, wcpu = ch.ru_maxrss / 1024.0, ch.ru_utime + ch.ru_stime
        with out.open("a") as fh:
            fh.write(json.dumps({"step": "worker", "seconds": 0.0, "cpu_s": round(_cpu(), 2), "peak_mib": round(peak, 1),
                                 "rss_mib": 0.0, "loadavg": round(os.getloadavg()[0], 2), "error": None,
                                 "worker_cpu_s": round(wcpu, 2), "adopted": ahead.adopted, "errors": errors}) + "\n")
        print(f"  second process(es): peak {peak:8.0f} MiB, {wcpu:.1f} CPU s", flush=True)
    cg.close()


def run_size(n: int, work: Path, steps: list[str] | None, ipo: float | None, max_rss_gib: float = 12.0,
             memo_top: int = 0, db_from: Path | None = None, jobs: int | None = 1) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    folder = work / (f"demo-{n}" + (f"-ipo{ipo:g}" if ipo else ""))
    gen_s = None
    if not (folder / "interactions.csv").exists():
        cmd = [sys.executable, str(ROOT / "examples" / "generate_demo.py"), str(folder), "--owners", str(n)]
        if ipo:
            cmd += ["--interactions-per-owner", str(ipo)]
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        gen_s = round(time.perf_counter() - t, 1)
    rows = {}
    for name in ("owners", "referrals", "events", "attendance", "posts", "interactions"):
        with open(folder / f"{name}.csv", "rb") as fh:
            rows[name] = sum(1 for _ in fh) - 1
    out = work / f"steps-{n}.jsonl"
    if out.exists():
        out.unlink()
    print(f"{n:,} owners ({sum(rows.values()):,} rows, {rows['interactions']:,} interactions)"
          + (f"; generated in {gen_s} s" if gen_s else ""), flush=True)
    cmd = [sys.executable, __file__, "--child", str(folder), "--db", str(work / f"bench-{n}.duckdb"), "--out", str(out),
           "--max-rss-gib", str(max_rss_gib)]
    if steps:
        cmd += ["--steps", *steps]
    if memo_top:
        cmd += ["--memo-sizes", str(memo_top)]
    if db_from is not None:
        cmd += ["--db-from", str(db_from)]
    cmd += ["--jobs", "auto" if jobs is None else str(jobs)]
    t = time.perf_counter()
    subprocess.run(cmd, check=False)
    total = round(time.perf_counter() - t, 1)
    records = [json.loads(line) for line in out.read_text().splitlines() if line.strip()] if out.exists() else []
    return {"owners": n, "rows": rows, "steps": records, "process_seconds": total,
            "peak_mib": max((r["peak_mib"] for r in records if r["step"] != "worker"), default=None),
            "loadavg": os.getloadavg()}


def print_table(results: list[dict]) -> None:
    names = []
    for r in results:
        for s in r["steps"]:
            if s["step"] not in names:
                names.append(s["step"])
    head = f"{'step':22s}" + "".join(f"{r['owners']:>12,} owners       " for r in results)
    print(head)
    print(f"{'':22s}" + "".join(f"{'s':>12s} {'peak MiB':>10s}  " for _ in results))
    for name in names:
        line = f"{name:22s}"
        for r in results:
            s = next((x for x in r["steps"] if x["step"] == name), None)
            line += f"{s['seconds']:12.2f} {s['peak_mib']:10.0f}{'!' if s['error'] else ' '} " if s else f"{'-':>12s} {'-':>10s}  "
        print(line)
    print(f"{'whole process':22s}" + "".join(f"{r['process_seconds']:12.1f} {r['peak_mib'] or 0:10.0f}  " for r in results))
    print("load average (1, 5, 15 min) at the end: " + "; ".join(
        f"{r['owners']:,}: " + ", ".join(f"{x:.1f}" for x in r["loadavg"]) for r in results))


def _shape(r: dict) -> int:
    """Interactions per owner of a run, to the nearest ten (the demo's shape: 10.3 by default,
    19.7 at 100k and 22.1 at 1M with ``--interactions-per-owner 20``); runs of other shapes are
    kept apart by :func:`plot`."""
    rows = r.get("rows") or {}
    return int(round(rows.get("interactions", 0) / max(r["owners"], 1) / 10.0)) * 10


def _exponents(lo: dict, hi: dict, names: list[str]) -> list[tuple]:
    """Per step: (name, lo s, hi s, time exponent, lo CPU s, hi CPU s, CPU exponent, lo MiB,
    hi MiB, memory exponent) between two runs (CPU: nan where a run has no ``cpu_step``)."""
    import numpy as np

    span = np.log(hi["owners"] / lo["owners"])
    out = []
    for name in names:
        a = next((x for x in lo["steps"] if x["step"] == name), None)
        b = next((x for x in hi["steps"] if x["step"] == name), None)
        if a and b and a["seconds"] > 0 and b["seconds"] > 0:
            ca, cb = a.get("cpu_step", float("nan")), b.get("cpu_step", float("nan"))
            ce = np.log(cb / ca) / span if ca > 0 and cb > 0 else float("nan")
            out.append((name, a["seconds"], b["seconds"], np.log(b["seconds"] / a["seconds"]) / span, ca, cb, ce,
                        a["peak_mib"], b["peak_mib"], np.log(b["peak_mib"] / a["peak_mib"]) / span))
    return out


def plot(files: list[Path], png: Path) -> None:
    """Log-log time and peak memory per step against owners, and the growth exponents.

    Runs of the same size *and shape* (interactions per owner, :func:`_shape`) are merged step
    by step (a later file's step without error replaces an earlier one's).  The largest run's
    shape is the reference: the lines join the runs of that shape (same community shape at
    every size: the exponent compares like with like); runs of another shape at a smaller size
    (the default 100k demo, 10 interactions per owner, against the 1M demo's 22) are drawn as
    open markers joined to the largest run by a dotted line, and their exponents printed
    separately, labelled, so the two comparisons are never mixed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    by_run: dict[tuple[int, int], dict] = {}
    for f in files:
        data = json.loads(f.read_text())
        for r in data if isinstance(data, list) else [data]:
            merged = by_run.setdefault((r["owners"], _shape(r)), {"owners": r["owners"], "rows": r.get("rows"), "steps": []})
            prev = 0.0
            for s in r["steps"]:
                if s["step"] == "worker":
                    continue
                if s.get("cpu_s") is not None:  # the process's CPU seconds in this step (cumulative in the record)
                    s = dict(s, cpu_step=s["cpu_s"] - prev)
                    prev = s["cpu_s"]
                if s["error"]:
                    continue
                merged["steps"] = [x for x in merged["steps"] if x["step"] != s["step"]] + [s]
    runs = sorted(by_run.items(), key=lambda kv: kv[0])
    top_key, top = max(runs, key=lambda kv: kv[0][0])
    ref_shape = top_key[1]
    same = [r for (n, sh), r in runs if sh == ref_shape]
    other = [((n, sh), r) for (n, sh), r in runs if sh != ref_shape and n < top["owners"]]
    names = []
    for _, r in runs:
        names += [s["step"] for s in r["steps"] if s["step"] not in names]
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
    colors = plt.cm.tab20(np.linspace(0, 1, max(len(names), 2)))

    def point(r: dict, name: str):
        s = next((x for x in r["steps"] if x["step"] == name and not x["error"]), None)
        # (a step of 0 s is an empty record: the copied store of --db-from has no load)
        return (r["owners"], s["seconds"], s["peak_mib"]) if s and s["seconds"] > 0 else None

    for j, name in enumerate(names):
        style = {"color": colors[j], "linestyle": ("-", "--", ":")[j % 3]}
        pts = [p for p in (point(r, name) for r in same) if p]
        if pts:
            xs, ts, ms = zip(*pts)
            axes[0].plot(xs, ts, marker="o", label=name, **style)
            axes[1].plot(xs, ms, marker="o", label=name, **style)
        hi = point(top, name)
        for _, r in other:
            p = point(r, name)
            if p and hi:
                for ax, k in ((axes[0], 1), (axes[1], 2)):
                    ax.plot([p[0], hi[0]], [p[k], hi[k]], color=colors[j], linestyle=":", linewidth=0.8)
                    ax.plot([p[0]], [p[k]], marker="o", markerfacecolor="none", color=colors[j])
    for ax, label in zip(axes, ("wall seconds per step", "peak resident MiB during the step")):
        ax.set_xscale("log"); ax.set_yscale("log"); ax.set_xlabel("owners"); ax.set_ylabel(label); ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=7, loc="upper left", ncol=2)
    comparisons = ([(same[0], top, f"same shape, {ref_shape} interactions per owner at both sizes")] if len(same) >= 2 else [])
    comparisons += [(r, top, f"unlike shapes: {sh} interactions per owner at {n:,}, {ref_shape} at {top['owners']:,} "
                              "(open markers, dotted)") for (n, sh), r in other]
    for lo, hi, what in comparisons:
        print(f"growth exponents {lo['owners']:,} -> {hi['owners']:,} owners (wall time / CPU time / peak memory), {what}:")
        for name, a, b, te, ca, cb, ce, ma, mb, me in _exponents(lo, hi, names):
            print(f"  {name:22s} {a:9.2f} -> {b:9.2f} s  {te:5.2f}   {ca:8.2f} -> {cb:8.2f} CPU s  {ce:5.2f}"
                  f"   {ma:8.0f} -> {mb:8.0f} MiB  {me:5.2f}")
    fig.suptitle("graphcrm pipeline, one process per size (bench/pipeline_bench.py); solid: the same demo shape "
                 f"({ref_shape} interactions per owner), open markers: another shape", fontsize=9)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    print(f"wrote {png}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--owners", type=int, nargs="*", default=[20_000])
    ap.add_argument("--work", type=Path, default=Path("/tmp/gcrm-bench"))
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    ap.add_argument("--steps", nargs="*", default=None)
    ap.add_argument("--interactions-per-owner", type=float, default=None)
    ap.add_argument("--max-rss-gib", type=float, default=12.0, help="memory guard per child (see the module docstring)")
    ap.add_argument("--memo-sizes", type=int, default=0, metavar="N",
                    help="after each step, size what the process holds and print the N largest entries per community")
    ap.add_argument("--db-from", type=Path, default=None,
                    help="copy this store (loaded before from the same demo) instead of loading; results recomputed")
    ap.add_argument("--jobs", default="1", help="as graphcrm run --jobs: 1 (default here: one process, as the "
                    "earlier figures), 2 (the workers of graphcrm run --jobs 2), auto (graphcrm run's default)")
    ap.add_argument("--plot", type=Path, nargs="*", default=None)
    ap.add_argument("--png", type=Path, default=ROOT / "docs" / "scaling.png")
    ap.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    jobs = None if args.jobs == "auto" else int(args.jobs)
    if args.child:
        child(args.child, args.db, args.steps, args.out, args.max_rss_gib, args.memo_sizes, args.db_from, jobs)
        return
    if args.plot:
        plot(args.plot, args.png)
        return
    results = [run_size(n, args.work, args.steps, args.interactions_per_owner, args.max_rss_gib, args.memo_sizes,
                        args.db_from, jobs) for n in args.owners]
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
