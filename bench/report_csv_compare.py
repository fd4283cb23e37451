"""Compare the report CSV folders of two runs (e.g. ``graphcrm run --jobs 1`` and ``--jobs 2``,
or two ``bench/pipeline_bench.py`` runs: ``WORK/bench-N-csv``).

    python bench/report_csv_compare.py DIR_A DIR_B

Prints how many files are byte for byte the same, and for each other file what differs:
``backtest.csv`` compared without its ``seconds`` column (a timing); any other table as sorted
rows (the same rows in another order, or not).  Exit code 1 when a file is missing on one side or
a table's rows differ (beyond ``backtest.csv``'s timing).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def compare(a: Path, b: Path) -> tuple[int, list[str], bool]:
    same, notes, ok = 0, [], True
    names_a = {p.name for p in a.glob("*.csv")}
    names_b = {p.name for p in b.glob("*.csv")}
    for name in sorted(names_a ^ names_b):
        notes.append(f"{name}: only in {'A' if name in names_a else 'B'}")
        ok = False
    for name in sorted(names_a & names_b):
        if (a / name).read_bytes() == (b / name).read_bytes():
            same += 1
            continue
        x, y = pd.read_csv(a / name), pd.read_csv(b / name)
        if name == "backtest.csv" and "seconds" in x.columns:
            eq = x.drop(columns="seconds").equals(y.drop(columns="seconds"))
            notes.append(f"{name}: equal without 'seconds': {eq}")
            ok &= eq
            continue
        cols = list(x.columns)
        eq = list(y.columns) == cols and x.sort_values(cols).reset_index(drop=True).equals(
            y.sort_values(cols).reset_index(drop=True))
        moved = -1
        if x.shape == y.shape and list(y.columns) == cols:  # rows not equal at the same position (NaN = NaN)
            moved = int((~((x == y) | (x.isna() & y.isna()))).any(axis=1).sum())
        notes.append(f"{name}: same rows as sets: {eq}; rows in another position: {moved:,} of {len(x):,}")
        ok &= eq
    return same, notes, ok


def main() -> None:
    a, b = map(Path, sys.argv[1:3])
    same, notes, ok = compare(a, b)
    print(f"{a} vs {b}: {same} files byte for byte the same" + ("; " if notes else "") + "; ".join(notes))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
