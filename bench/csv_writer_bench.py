"""The report's CSV writer: pandas ``to_csv`` vs the column-wise Arrow path, on real report tables.

    python bench/csv_writer_bench.py FOLDER [--top 7]    # FOLDER: a report's CSV folder, e.g. OUT/report-csv

Reads the ``--top`` largest CSV files of a report back into frames, then per file writes them
once with pandas (``to_csv(index=False, lineterminator="\\r\\n")``) and once through
``graphcrm.files._csv_bytes``: user and system CPU seconds of each, and whether the bytes are
equal.  Frames read back are not the report's own dtypes (ints and floats are inferred), so
this measures the writer, not the report.  Timings are never asserted in tests.
"""
from __future__ import annotations

import argparse
import io
import os
import resource
from pathlib import Path


def _cpu() -> tuple[float, float]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime, r.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--top", type=int, default=7)
    a = ap.parse_args()
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
