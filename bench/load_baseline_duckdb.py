"""The floor a user could get in a minute: the same CSV folder read by DuckDB's own ``read_csv``
into a fresh DuckDB file, one table per file, no validation, no rejects, no upsert.

    /usr/bin/time -v python bench/load_baseline_duckdb.py FOLDER OUT.duckdb

This is what ``graphcrm load FOLDER`` is measured beside (docs/benchmarks.md): it does none of the
loader's work (encodings and delimiters detected per file, every row checked against the
contract, exact file/row/reason rejects, blanks that never overwrite, rows in = loaded + rejected),
so it bounds what reading alone costs.  Prints each table's rows and the seconds.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb


def main() -> None:
    folder, out = Path(sys.argv[1]), Path(sys.argv[2])
    if out.exists():
        raise SystemExit(f"{out} exists: give a new file")
    con = duckdb.connect(str(out))
    t_all = time.perf_counter()
    for f in sorted(folder.glob("*.csv")):
        t = time.perf_counter()
        con.execute(f"CREATE TABLE {f.stem} AS SELECT * FROM read_csv(?, header = true)", [str(f)])
        n = con.execute(f"SELECT count(*) FROM {f.stem}").fetchone()[0]
        print(f"{f.stem:14s} {n:>12,} rows  {time.perf_counter() - t:7.2f} s", flush=True)
    con.close()
    print(f"{'total':14s} {'':>12s}       {time.perf_counter() - t_all:7.2f} s")


if __name__ == "__main__":
    main()
