"""Whether two saved KOC tables (``bench/kocs_pieces.py --out``) are the same: rows, order, values.

    python bench/kocs_compare.py before.parquet after.parquet

Prints the row counts, whether the owners come in the same order, and per column whether the
values are equal (floats: the largest absolute difference); exits 1 when anything differs.
"""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd


def main(a_path: str, b_path: str) -> int:
    a, b = pd.read_parquet(a_path), pd.read_parquet(b_path)
    same_order = len(a) == len(b) and bool((a["owner_id"].to_numpy() == b["owner_id"].to_numpy()).all())
    print(f"rows {len(a):,} / {len(b):,}; same owners in the same order: {same_order}")
    ok = same_order and list(a.columns) == list(b.columns)
    if not same_order:
        return 1
    for c in a.columns:
        x, y = a[c].to_numpy(), b[c].to_numpy()
        if a[c].dtype.kind == "f":
            d = float(np.nanmax(np.abs(x - y))) if len(x) else 0.0
            eq = bool(np.array_equal(x, y, equal_nan=True))
            print(f"  {c:20s} identical: {eq}  max |difference| {d:.3g}")
        else:
            eq = bool((x == y).all())
            print(f"  {c:20s} identical: {eq}")
        ok &= eq
    print("IDENTICAL" if ok else "DIFFERENT")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:3]))
