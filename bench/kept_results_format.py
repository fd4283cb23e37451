"""Keeping and reading back results in the store: one pickle per result (the format before
graphcrm/stores/kept.py) vs frames as DuckDB tables (now), on the same values.

    python bench/kept_results_format.py /tmp/gcrm-bench/bench-100000.duckdb   # read only

Takes every kept result of STORE (either format), writes them all into two new stores under
``--work`` - once as whole pickles in the BLOB column, once through ``DuckDBStore.cache_result``
- and then reads each back in a fresh connection: CPU seconds to keep all, to read all, and
the file size.  The old read is the old ``cached_result`` (``SELECT payload ... WHERE key = ?``
then ``pickle.loads``): DuckDB reads the payload of every row the filter looks at, so each
lookup pays for all the kept bytes.  Timings are never asserted in tests.
"""
from __future__ import annotations

import argparse
import os
import pickle
import time
from pathlib import Path

import duckdb

from graphcrm.stores import kept
from graphcrm.stores.duckdb_store import DuckDBStore


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store")
    ap.add_argument("--work", type=Path, default=Path("/tmp/kept-format"))
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    print(f"load average {os.getloadavg()[0]:.2f}")
    src = duckdb.connect(a.store, read_only=True)
    rows = src.execute("SELECT key, payload FROM graphcrm_result_cache").fetchall()
    values = [(k, kept.loads(p, read_table=lambda name: src.sql(f'SELECT * FROM "{name}"').to_arrow_table()))
              for k, p in rows]
    src.close()
    for kind in ("pickle", "tables"):
        path = a.work / f"{kind}.duckdb"
        for f in (path, Path(str(path) + ".wal")):
            if f.exists():
                f.unlink()
        s = DuckDBStore(path, create=True)
        for ddl in s._STATE_DDL:
            s.con.execute(ddl)
        c0 = time.process_time()
        for k, v in values:
            if kind == "tables":
                s.cache_result(k, v)
            else:
                payload = pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)
                s.con.execute("INSERT INTO graphcrm_result_cache VALUES (?, 0, now(), ?, ?)", [k, len(payload), payload])
        s.con.execute("CHECKPOINT")
        keep = time.process_time() - c0
        s.close()
        s = DuckDBStore(path)
        c0 = time.process_time()
        for k, _ in values:
            if kind == "tables":
                found, _v = s.cached_result(k)
                assert found
            else:
                pickle.loads(s.con.execute("SELECT payload FROM graphcrm_result_cache WHERE key = ?", [k]).fetchone()[0])
        read = time.process_time() - c0
        s.close()
        print(f"{kind:>7}: {len(values)} results kept in {keep:.2f} s CPU, read back in {read:.2f} s CPU, "
              f"file {path.stat().st_size / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
