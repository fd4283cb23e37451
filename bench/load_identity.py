"""Old loader vs new: the same stores and the same rejects, table by table.

    PYTHONPATH=OLD-SNAPSHOT python bench/load_identity.py load FOLDER OLD.duckdb OLD-rejects.csv
    PYTHONPATH=/work/main   python bench/load_identity.py load FOLDER NEW.duckdb NEW-rejects.csv
    python bench/load_identity.py compare OLD.duckdb NEW.duckdb OLD-rejects.csv NEW-rejects.csv
    python bench/load_identity.py compare-sql OLD.duckdb NEW.duckdb OLD-rejects.csv NEW-rejects.csv  # 1M: in DuckDB

``load`` loads FOLDER into a fresh store (fixed ``now`` so the future-date checks agree) and prints
the counts; ``compare`` reads every contract table of both stores sorted by its key
(``assert_frame_equal``, exact) and compares the two rejects files byte for byte (a missing file
on both sides counts as equal); ``compare-sql`` compares the stores' tables in DuckDB
(row counts and ``EXCEPT ALL`` both ways: the same multiset of rows) without pandas frames.  Old code from ``git archive REV | tar -x -C DIR`` (see
docs/benchmarks.md).  Timings are not measured here.
"""
from __future__ import annotations

import sys
from pathlib import Path

NOW = "2026-12-01"


def _verdict(same: bool, old_rej: str, new_rej: str) -> None:
    """Print whether the two rejects files are byte-identical and the overall verdict."""
    ro, rn = Path(old_rej), Path(new_rej)
    rej_same = (ro.exists() == rn.exists()) and (not ro.exists() or ro.read_bytes() == rn.read_bytes())
    print("rejects files:", "identical" if rej_same else "DIFFERENT",
          f"({ro.stat().st_size if ro.exists() else 0:,} bytes)")
    print("ALL IDENTICAL" if same and rej_same else "DIFFERENCES FOUND")


def main() -> None:
    import pandas as pd

    import graphcrm

    what = sys.argv[1]
    if what == "load":
        folder, store, rejects = sys.argv[2:5]
        for p in (store, store + ".wal", rejects):
            Path(p).unlink(missing_ok=True)
        rep = graphcrm.open(store).load(folder, rejects_path=rejects, now=NOW, progress=False)
        print("graphcrm from", graphcrm.__file__)
        print(rep.counts.to_string())
        return
    old, new, old_rej, new_rej = sys.argv[2:6]
    from graphcrm.contract import TABLES

    if what == "compare-sql":  # large stores: DuckDB EXCEPT ALL both ways, no pandas frames
        import duckdb

        con = duckdb.connect()
        con.execute("SET memory_limit = '4GB'")  # a shared machine: spill rather than grow
        con.execute(f"ATTACH '{old}' AS a (READ_ONLY)")
        con.execute(f"ATTACH '{new}' AS b (READ_ONLY)")
        same = True
        for name in TABLES:
            n = con.execute(f'SELECT count(*) FROM a."{name}"').fetchone()[0]
            m = con.execute(f'SELECT count(*) FROM b."{name}"').fetchone()[0]
            ab = con.execute(f'SELECT count(*) FROM (SELECT * FROM a."{name}" EXCEPT ALL SELECT * FROM b."{name}")').fetchone()[0]
            ba = con.execute(f'SELECT count(*) FROM (SELECT * FROM b."{name}" EXCEPT ALL SELECT * FROM a."{name}")').fetchone()[0]
            ok = n == m and ab == 0 and ba == 0
            same &= ok
            print(f"{name:13s} {n:>12,} / {m:>12,} rows, old-new {ab:,}, new-old {ba:,}  {'identical' if ok else 'DIFFERENT'}")
        _verdict(same, old_rej, new_rej)
        return

    a, b = graphcrm.open(old), graphcrm.open(new)
    same = True
    for name in TABLES:
        x, y = a.table(name), b.table(name)
        try:
            pd.testing.assert_frame_equal(x.reset_index(drop=True), y.reset_index(drop=True), check_exact=True)
            print(f"{name:13s} {len(x):>10,} rows  identical")
        except AssertionError as exc:
            same = False
            print(f"{name:13s} DIFFERENT: {str(exc)[:300]}")
    _verdict(same, old_rej, new_rej)


if __name__ == "__main__":
    main()
