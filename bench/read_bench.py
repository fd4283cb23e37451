"""Time reading a large owners CSV: graphcrm's reader now vs. the reader of an earlier revision.

Writes an N-row owners CSV (UTF-8 and GB18030) in a temporary folder and times
``read_sources`` (decode, delimiter, record scan, parse, blank/header/control-character checks)
and a whole ``load`` into an in-memory store, best of ``--repeat`` runs each, alternating the
two readers so that machine load affects both alike.

    python bench/read_bench.py --rows 1000000 --repeat 3
    python bench/read_bench.py --rows 1000000 --baseline cdfbffd   # the pandas.read_csv reader

The baseline reader is loaded from ``git show REV:loaders/read.py`` (it must have the same
``read_sources`` signature).
"""
from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def owners_csv(n: int, path: Path, *, seed: int = 0, encoding: str = "utf-8") -> None:
    rng = np.random.default_rng(seed)
    sur, giv = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"), list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂")
    name = np.char.add(np.char.add(np.array(sur)[rng.integers(0, len(sur), n)], np.array(giv)[rng.integers(0, len(giv), n)]),
                       np.array(giv)[rng.integers(0, len(giv), n)])
    day = pd.to_datetime(rng.integers(pd.Timestamp("2019-01-01").value, pd.Timestamp("2025-01-01").value, n)).strftime("%Y-%m-%d")
    df = pd.DataFrame({
        "owner_id": [f"o{i}" for i in range(n)], "name": name,
        "city": np.array(["上海", "北京", "合肥", "杭州", "深圳", "广州", "成都", "南京", "武汉", "西安"])[rng.integers(0, 10, n)],
        "region": np.array(["华东", "华北", "华南", "西南", "华中", "西北"])[rng.integers(0, 6, n)],
        "car_model": np.array(["ES6", "ET5", "ES8", "EC6", "ET7"])[rng.integers(0, 5, n)],
        "purchased_at": day, "joined_at": day,
        "is_volunteer": np.where(rng.random(n) < 0.05, "true", "false"), "is_staff": "false",
        "marketing_opt_out": np.where(rng.random(n) < 0.1, "true", "false"),
        "points": rng.integers(0, 1000, n), "contribution": rng.integers(0, 100, n),
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, encoding=encoding)


def baseline_reader(rev: str):
    src = subprocess.run(["git", "show", f"{rev}:loaders/read.py"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    path = Path(tempfile.mkdtemp()) / "read_baseline.py"
    path.write_text(src, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("read_baseline", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["read_baseline"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod.read_sources


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline", default=None, help="git revision whose loaders/read.py to compare with")
    args = ap.parse_args()

    import graphcrm
    from graphcrm.loaders import Mapping, read_sources

    readers = {"now": read_sources}
    if args.baseline:
        readers[f"at {args.baseline}"] = baseline_reader(args.baseline)
    with tempfile.TemporaryDirectory() as tmp:
        for enc in ("utf-8", "gb18030"):
            folder = Path(tmp) / enc
            owners_csv(args.rows, folder / "owners.csv", encoding=enc)
            size = (folder / "owners.csv").stat().st_size / 1e6
            res = {}
            for _ in range(args.repeat):  # alternate the readers
                for label, fn in readers.items():
                    t = best(lambda fn=fn: fn(folder, mapping=Mapping()), 1)
                    res[label] = min(res.get(label, float("inf")), t)
            for label, t in res.items():
                print(f"read_sources {enc:8s} {args.rows:>9,} rows ({size:.0f} MB), reader {label:>14s}: {t:6.2f} s")

            def full():
                with graphcrm.open(":memory:") as cg:
                    r = cg.load(folder, now="2026-01-01", rejects_path=Path(tmp) / "rej.csv")
                    assert r.loaded == args.rows, r.format()

            print(f"load (read+validate+write, current code) {enc:8s}: {best(full, args.repeat):6.2f} s")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
