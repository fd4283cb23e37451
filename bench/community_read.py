"""Time building the community from an embedded store (``cg.community()``: the weekly job's
``community`` step), this checkout against other code versions, alternating in fresh processes so
that the machine's drift affects every version alike.

    python bench/community_read.py STORE.duckdb --repeat 3
    python bench/community_read.py STORE.duckdb --versions /tmp/snap/OLD /tmp/snap/NEW --repeat 3
    python bench/community_read.py - --load DEMO_FOLDER --versions OLD NEW --repeat 2   # load first, as graphcrm run

A version is a folder holding a ``graphcrm`` package (a ``git archive`` of the repository with
``algorithms``, ``loaders`` and ``reports`` copied into ``graphcrm/``), put first on
``PYTHONPATH``; the default is this checkout.  Every run opens a copy of the store (made once),
so the file given is never touched.  Prints, per run,
the seconds of ``community_tables()`` (the SQL reads) and of the whole ``cg.community()``, then
the best and the median per version; ``--check`` also says whether every version's tables are
identical (values and row order) to the first's.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time, hashlib, warnings
import pandas as pd
warnings.filterwarnings("ignore")
import graphcrm
from graphcrm.stores.duckdb_store import DuckDBStore
spent = []
orig = DuckDBStore.community_tables
def timed(self):
    t = time.perf_counter(); out = orig(self); spent.append(time.perf_counter() - t); return out
DuckDBStore.community_tables = timed
cg = graphcrm.open(sys.argv[1])
if len(sys.argv) > 3:  # as graphcrm run FOLDER: the load in the same process first
    cg.load(sys.argv[3], rejects_path=sys.argv[1] + ".rejects.csv", progress=False)
    spent.clear()
t = time.perf_counter()
c = cg.community()
whole = time.perf_counter() - t
digest = ""
if sys.argv[2] == "1":
    h = hashlib.sha256()
    for name in sorted(c.tables):
        df = c.tables[name]
        for col in df.columns:
            s = df[col]
            if isinstance(s.dtype, pd.CategoricalDtype):  # the codes and the categories
                h.update(s.cat.codes.to_numpy().tobytes()); h.update(repr(list(s.cat.categories)).encode())
            else:
                h.update(pd.util.hash_pandas_object(s, index=False).to_numpy().tobytes())
    digest = h.hexdigest()
print(json.dumps({"sql_s": round(spent[0], 2), "community_s": round(whole, 2), "digest": digest,
                  "graphcrm": graphcrm.__file__}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store", type=Path, help="the store to copy (with --load: ignored, write -)")
    ap.add_argument("--versions", nargs="*", default=None, help="folders with a graphcrm package (default: this checkout)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--check", action="store_true", help="compare the tables of every version with the first's")
    ap.add_argument("--load", type=Path, default=None,
                    help="load this folder into a new store in the same process first, as graphcrm run FOLDER "
                         "(STORE is then where the new store goes, removed before each run)")
    a = ap.parse_args()
    versions = [str(ROOT)] if not a.versions else a.versions
    tmp = Path(tempfile.mkdtemp(prefix="community-read-"))
    try:
        store = tmp / "store.duckdb"
        if a.load is None:
            shutil.copyfile(a.store, store)
            wal = Path(str(a.store) + ".wal")
            if wal.exists():
                shutil.copyfile(wal, Path(str(store) + ".wal"))
        runs: dict[str, list[dict]] = {v: [] for v in versions}
        for r in range(a.repeat):
            for v in versions:
                env = dict(os.environ, PYTHONPATH=v)
                cmd = [sys.executable, "-c", CHILD, str(store), "1" if a.check and r == 0 else "0"]
                if a.load is not None:
                    for old in tmp.glob("store.duckdb*"):
                        old.unlink()
                    cmd.append(str(a.load))
                out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                # the last line that is the record (DuckDB may draw its progress bar on stdout)
                rec = json.loads(out.stdout[out.stdout.rindex('{"sql_s"'):].splitlines()[0])
                runs[v].append(rec)
                print(f"run {r + 1} {v}: SQL reads {rec['sql_s']:.2f} s, community {rec['community_s']:.2f} s", flush=True)
        for v, rs in runs.items():
            sql = [x["sql_s"] for x in rs]
            whole = [x["community_s"] for x in rs]
            print(f"{v}: SQL reads best {min(sql):.2f} / median {statistics.median(sql):.2f} s; "
                  f"community best {min(whole):.2f} / median {statistics.median(whole):.2f} s")
        if a.check:
            first = runs[versions[0]][0]["digest"]
            for v in versions[1:]:
                print(f"{v}: tables identical to {versions[0]}'s: {runs[v][0]['digest'] == first}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
