"""The report's CSV writer: pandas ``to_csv`` vs the column-wise Arrow path, on real report tables.

    python bench/csv_writer_bench.py FOLDER [--top 7]    # FOLDER: a report's CSV folder, e.g. OUT/report-csv
    python bench/csv_writer_bench.py --capture STORE frames.pkl    # the frames a report hands to write_csv
    PYTHONPATH=X python bench/csv_writer_bench.py --frames frames.pkl [--runs 3]    # time version X on them

FOLDER mode reads the ``--top`` largest CSV files of a report back into frames, then per file
writes them once with pandas (``to_csv(index=False, lineterminator="\\r\\n")``) and once through
``graphcrm.files._csv_bytes``: user and system CPU seconds of each, and whether the bytes are
equal.  Frames read back are not the report's own dtypes (ints and floats are inferred), so
that mode measures the writer, not the report.

``--capture`` runs the pipeline's analyses and the report on a copy of STORE (as
``bench/report_sections.py``: results recomputed) and pickles every frame the report hands to
``graphcrm.files.write_csv``, with the report's own dtypes (PII columns are already dropped
there).  ``--frames`` then times, per run, what ``write_csv`` does to them before the file is
written: ``escape_formulas`` and ``_fast_csv`` (CPU seconds, ``getrusage``), and checks that
every frame the column-wise path takes gives pandas' bytes.  Run it with two versions on
``PYTHONPATH`` alternately for an A/B.  Timings are never asserted in tests.
"""
from __future__ import annotations

import argparse
import io
import os
import pickle
import resource
import shutil
import sys
import tempfile
import warnings
from pathlib import Path


def _cpu() -> tuple[float, float]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime, r.ru_stime


def _capture(store: Path, out: Path) -> None:
    os.environ["GRAPHCRM_FRESH"] = "1"
    warnings.filterwarnings("ignore")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from pipeline_bench import ANALYSES

    import graphcrm
    from graphcrm import files

    got = []
    original = files.write_csv

    def capture(df, target, **kw):
        got.append(df.copy())
        return original(df, target, **kw)

    files.write_csv = capture
    tmp = Path(tempfile.mkdtemp(prefix="gcrm-csvcap-"))
    db = tmp / "store.duckdb"
    shutil.copyfile(store, db)
    try:
        cg = graphcrm.open(db)
        cg.community()
        for name, opts in ANALYSES:
            getattr(cg, name)(**opts)
        cg.targets(seed=0)
        cg.report(tmp / "report.html", seed=0)
        cg.close()
    finally:
        files.write_csv = original
        shutil.rmtree(tmp, ignore_errors=True)
    with open(out, "wb") as fh:
        pickle.dump(got, fh)
    print(f"{len(got)} frames, {sum(len(d) for d in got)} rows -> {out}")


def _time_frames(path: Path, runs: int) -> None:
    import pandas as pd

    from graphcrm import files

    with open(path, "rb") as fh:
        frames = pickle.load(fh)
    files._csv_bytes(pd.DataFrame({"a": ["x,y"], "b": [1.5]}))  # first call: Arrow's kernels
    print(f"graphcrm.files from {files.__file__}")
    fast = same = 0
    for df in frames:
        safe = files.escape_formulas(df)
        got = files._fast_csv(safe)
        if got is not None:
            buf = io.StringIO()
            safe.to_csv(buf, index=False, lineterminator="\r\n")
            fast += 1
            same += got == buf.getvalue().encode("utf-8")
    print(f"{len(frames)} frames: {fast} through the column-wise path, {same} of them byte-equal to pandas")
    for r in range(runs):
        esc = byt = pds = 0.0
        for df in frames:
            u0, s0 = _cpu()
            safe = files.escape_formulas(df)
            u1, s1 = _cpu()
            files._fast_csv(safe)
            u2, s2 = _cpu()
            buf = io.StringIO()  # the baseline: what a user would write with pandas (no formula escaping)
            df.to_csv(buf, index=False, lineterminator="\r\n")
            buf.getvalue().encode("utf-8")
            u3, s3 = _cpu()
            esc += (u1 - u0) + (s1 - s0)
            byt += (u2 - u1) + (s2 - s1)
            pds += (u3 - u2) + (s3 - s2)
        print(f"run {r + 1}: escape_formulas {esc:.2f} s, _fast_csv {byt:.2f} s, together {esc + byt:.2f} s CPU; "
              f"pandas to_csv alone {pds:.2f} s (load {os.getloadavg()[0]:.2f})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, nargs="?")
    ap.add_argument("--top", type=int, default=7)
    ap.add_argument("--capture", nargs=2, type=Path, metavar=("STORE", "PICKLE"))
    ap.add_argument("--frames", type=Path, default=None)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    if a.capture:
        _capture(*a.capture)
        return 0
    if a.frames:
        _time_frames(a.frames, a.runs)
        return 0
    if a.folder is None:
        ap.error("give FOLDER, --capture or --frames")
    import pandas as pd

    from graphcrm.files import _csv_bytes

    _csv_bytes(pd.DataFrame({"a": ["x,y"], "b": [1.5]}))  # first call: Arrow's kernels
    files = sorted(a.folder.glob("*.csv"), key=lambda f: f.stat().st_size, reverse=True)[: a.top]
    tot = [0.0, 0.0]
    print(f"load average {os.getloadavg()[0]:.2f}")
    for f in files:
        df = pd.read_csv(f, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
        u0, s0 = _cpu()
        buf = io.StringIO()
        df.to_csv(buf, index=False, lineterminator="\r\n")
        want = buf.getvalue().encode("utf-8")
        u1, s1 = _cpu()
        got = _csv_bytes(df)
        u2, s2 = _cpu()
        tot[0] += (u1 - u0) + (s1 - s0)
        tot[1] += (u2 - u1) + (s2 - s1)
        print(f"{f.name:30s} {len(df):8d} rows  pandas {u1 - u0:.2f}+{s1 - s0:.2f} s  column-wise {u2 - u1:.2f}+{s2 - s1:.2f} s"
              f"  (user+sys)  same bytes: {got == want}")
    print(f"total CPU s: pandas {tot[0]:.2f}, column-wise {tot[1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
