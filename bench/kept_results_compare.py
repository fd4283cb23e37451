"""Are two runs' results the same?  Compare every result two stores keep, key by key.

    python bench/kept_results_compare.py OLD.duckdb NEW.duckdb [--rtol 0]

Each store is the one a run of ``bench/pipeline_bench.py`` (or ``graphcrm run``) wrote its
results into (``graphcrm_result_cache``: the key names graphcrm's version, the window, the
analysis and its options; :mod:`graphcrm.stores.kept` holds the frames).  Every key kept in both
is read back from both and compared: DataFrames with ``pandas.testing.assert_frame_equal``
(exact by default, ``--rtol`` for floats), other values by ``==`` after the frames inside a tuple
(a table and its details) are compared one by one; details that are dataclasses are compared
field by field, the wall-time fields (names ending in ``_s`` or ``seconds``) left out.  Prints one
line per key and a summary; exit status 1 if any differs.  The stores are opened read-only (copy
them first if another process may write to them).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd


def _kept(path: Path) -> tuple[duckdb.DuckDBPyConnection, dict[str, bytes]]:
    con = duckdb.connect(str(path), read_only=True)
    version = con.execute("SELECT max(value) FROM graphcrm_state WHERE name = 'data_version'").fetchone()[0]
    rows = con.execute("SELECT key, payload FROM graphcrm_result_cache WHERE data_version = ?", [version]).fetchall()
    return con, {k: p for k, p in rows}


def _load(con: duckdb.DuckDBPyConnection, payload: bytes):
    from graphcrm.stores import kept

    return kept.loads(payload, read_table=lambda name: con.sql(f'SELECT * FROM "{name}"').to_arrow_table())


def _timing(name: str) -> bool:
    return name.endswith("_s") or "seconds" in name


def differ(a, b, rtol: float, where: str = "") -> list[str]:
    """Where ``a`` and ``b`` differ (empty when equal)."""
    if isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=rtol == 0, rtol=rtol or 1e-5)
        except AssertionError as exc:
            return [f"{where}: {str(exc).splitlines()[0][:160]}"]
        return []
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differ(x, y, rtol, f"{where}[{i}]")]
    if dataclasses.is_dataclass(a) and dataclasses.is_dataclass(b) and type(a) is type(b):
        out = []
        for f in dataclasses.fields(a):
            if _timing(f.name):
                continue
            if not (hasattr(a, f.name) and hasattr(b, f.name)):  # kept by a version without the field
                out.append(f"{where}.{f.name}: only in one store's version")
                continue
            out += differ(getattr(a, f.name), getattr(b, f.name), rtol, f"{where}.{f.name}")
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{where}: keys {sorted(set(a) ^ set(b))[:5]}"]
        return [d for k in a if not _timing(str(k)) for d in differ(a[k], b[k], rtol, f"{where}[{k!r}]")]
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            same = np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True) if rtol == 0 else \
                np.allclose(np.asarray(a), np.asarray(b), rtol=rtol, equal_nan=True)
        except TypeError:
            same = np.array_equal(np.asarray(a), np.asarray(b))
        return [] if same else [f"{where}: arrays differ"]
    if isinstance(a, float) and isinstance(b, float):
        if (np.isnan(a) and np.isnan(b)) or a == b or (rtol and abs(a - b) <= rtol * max(abs(a), abs(b))):
            return []
        return [f"{where}: {a!r} != {b!r}"]
    try:
        same = a == b
        same = bool(same) if not isinstance(same, (np.ndarray, pd.Series)) else bool(np.all(same))
    except Exception:  # noqa: BLE001 - values without a usable ==
        same = repr(a) == repr(b)
    return [] if same else [f"{where}: {repr(a)[:80]} != {repr(b)[:80]}"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--rtol", type=float, default=0.0, help="relative tolerance for floats (0: exact)")
    args = ap.parse_args()
    con_a, a = _kept(args.old)
    con_b, b = _kept(args.new)
    common = sorted(set(a) & set(b))
    bad = 0
    for key in common:
        name = json.loads(key)[-1] if key.startswith("[") else key
        diffs = differ(_load(con_a, a[key]), _load(con_b, b[key]), args.rtol)
        bad += bool(diffs)
        print(("DIFFERS " if diffs else "same    ") + name[:110])
        for d in diffs[:5]:
            print("        " + d)
    only = sorted(set(a) ^ set(b))
    for key in only:
        print(("only old " if key in a else "only new ") + (json.loads(key)[-1] if key.startswith("[") else key)[:110])
    print(f"{len(common)} results in both: {len(common) - bad} identical, {bad} differ; {len(only)} in one store only")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
