"""The real timestamped data sets of ../shared/data written as graphcrm CSV folders, to load them.

    python bench/real_folders.py OUT [NAME ...]      # default: higgs_twitter collegemsg bitcoin_otc stackexchange_quantumcomputing

Each data set is mapped onto the contract tables as ``bench/backtest_real.py`` does (see
docs/validation.md, "What stands for what") and written to ``OUT/NAME/<table>.csv`` with pandas,
so ``graphcrm load OUT/NAME`` and ``bench/load_baseline_duckdb.py OUT/NAME`` read real rows.  The
folders are outside the repository (the data are never copied into it).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import backtest_real as br  # noqa: E402

DEFAULT = ["higgs_twitter", "collegemsg", "bitcoin_otc", "stackexchange_quantumcomputing"]


def main() -> None:
    out, names = Path(sys.argv[1]), sys.argv[2:] or DEFAULT
    for name in names:
        tables = br._contract_frames(br.SETS[name]())
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        for table, df in tables.items():
            df.to_csv(folder / f"{table}.csv", index=False)
        print(name, {t: len(df) for t, df in tables.items()}, flush=True)


if __name__ == "__main__":
    main()
