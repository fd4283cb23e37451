"""The report inside the weekly pipeline, section by section: CPU seconds and what it recomputes.

    python bench/report_sections.py STORE [--out DIR] [--json out.json] [--skip-analyses]
    python bench/report_sections.py STORE --profile movement backtest --top 30
    python bench/report_sections.py STORE --kept      # the report alone over the store's kept results

STORE is a loaded embedded store (e.g. /tmp/gcrm-bench/bench-100000.duckdb; copied to a
temporary file, never written).  As ``bench/pipeline_profile.py`` (results recomputed:
``GRAPHCRM_FRESH=1``), the analyses of the pipeline run first with the report's options
(``bench/pipeline_bench.py``'s ``ANALYSES``, then ``targets(seed=0)``), unless
``--skip-analyses``; then ``report(seed=0)`` runs with every section timed on its own (wall and
CPU seconds, ``time.process_time``; the section's CSV writing and charts are inside it) and,
per section, the cache entries it computed (``Community.memo_stats`` of the whole community
and of every community it holds: the earlier period, the backtest's training window):
what the report does that the pipeline did not already hold.  ``--profile`` runs those
sections under cProfile.  ``--out`` keeps the report's HTML and CSV files (to compare two
versions' files).  ``--kept``: results are not recomputed (no ``GRAPHCRM_FRESH``) and no analysis runs
first: the report alone over the results kept in the store (as ``graphcrm report`` after
``graphcrm run``).  Per section the kernel's high-water mark (``VmHWM``, reset when the section
starts) and the resident size at its end are printed too.  Timings are never asserted in tests.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_bench import ANALYSES, _reset_peak, _status  # noqa: E402


def _stats(c, seen=None) -> dict[str, int]:
    """name -> computed count over ``c`` and every community its memo holds."""
    from graphcrm.community import Community

    seen = set() if seen is None else seen
    if id(c) in seen:
        return {}
    seen.add(id(c))
    out = {k: v["computed"] for k, v in c.memo_stats.items()}
    for v in list(c._memo.values()):
        if isinstance(v, Community):
            for k, n in _stats(v, seen).items():
                out[k] = out.get(k, 0) + n
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--skip-analyses", action="store_true")
    ap.add_argument("--profile", nargs="*", default=[], metavar="SECTION")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--kept", action="store_true")
    args = ap.parse_args(argv)
    if args.kept:
        args.skip_analyses = True
    else:
        os.environ["GRAPHCRM_FRESH"] = "1"
    import warnings

    warnings.filterwarnings("ignore")
    import graphcrm
    from graphcrm.reports import html as rh

    tmp = Path(tempfile.mkdtemp(prefix="gcrm-sec-"))
    db = tmp / "store.duckdb"
    shutil.copyfile(args.store, db)
    out = args.out or tmp
    out.mkdir(parents=True, exist_ok=True)
    cg = graphcrm.open(db)
    w, c = time.perf_counter(), time.process_time()
    cg.community()
    if not args.skip_analyses:
        for name, opts in ANALYSES:
            getattr(cg, name)(**opts)
        cg.targets(seed=0)
    print(f"analyses before the report: {time.perf_counter() - w:.2f} s wall {time.process_time() - c:.2f} s CPU "
          f"(load {os.getloadavg()[0]:.2f})", flush=True)
    rows = []
    original = rh._run_section

    def timed(ctx, key, label):
        before = _stats(ctx.full)
        prof = cProfile.Profile() if key in args.profile else None
        _reset_peak()
        w, c = time.perf_counter(), time.process_time()
        sec = prof.runcall(original, ctx, key, label) if prof else original(ctx, key, label)
        w, c = time.perf_counter() - w, time.process_time() - c
        after = _stats(ctx.full)
        new = {k: n - before.get(k, 0) for k, n in after.items() if n - before.get(k, 0)}
        peak, rss = _status("VmHWM"), _status("VmRSS")
        rows.append({"section": key, "wall_s": round(w, 3), "cpu_s": round(c, 3), "status": sec.status, "computed": new,
                     "peak_mib": round(peak, 1), "rss_mib": round(rss, 1)})
        print(f"  {key:12s} {w:7.2f} s wall {c:7.2f} s CPU  peak {peak:7,.0f} MiB  after {rss:7,.0f} MiB  {sec.status:8s} computed: "
              + ", ".join(f"{k}×{n}" for k, n in sorted(new.items())), flush=True)
        if prof:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(args.top)
        return sec

    rh._run_section = timed
    w, c = time.perf_counter(), time.process_time()
    cg.report(out / "report.html", seed=0)
    w, c = time.perf_counter() - w, time.process_time() - c
    print(f"  {'report':12s} {w:7.2f} s wall {c:7.2f} s CPU  (load {os.getloadavg()[0]:.2f})", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"sections": rows, "wall_s": round(w, 2), "cpu_s": round(c, 2),
                                         "load_1min": round(os.getloadavg()[0], 2)}, indent=2))
    cg.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
