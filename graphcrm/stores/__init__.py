"""Stores: where a community lives.  See :mod:`graphcrm.stores.base` for the interface."""
from __future__ import annotations

import os
from pathlib import Path

from graphcrm.errors import ConfigError
from graphcrm.stores.base import Store

#: file used when neither ``--store`` nor ``GRAPHCRM_STORE`` is given (in the working directory)
DEFAULT_STORE = "graphcrm.duckdb"

BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


def resolve_uri(uri: str | os.PathLike | None = None) -> str:
    """The store URI to use: ``uri``, else ``$GRAPHCRM_STORE``, else ``./graphcrm.duckdb``."""
    if uri is None or str(uri) == "":
        uri = os.environ.get("GRAPHCRM_STORE") or DEFAULT_STORE
    return str(uri)


def open_store(uri: str | os.PathLike | None = None, *, create: bool = False) -> Store:
    """Open the store named by ``uri`` (see :func:`resolve_uri`).

    ``bolt://``, ``bolt+s://``, ``neo4j://``, ``neo4j+s://`` (and ``+ssc``) open a
    :class:`~graphcrm.stores.bolt_store.BoltStore`; ``duckdb:///path``, ``duckdb:path`` or a
    plain path open the embedded :class:`~graphcrm.stores.duckdb_store.DuckDBStore`.

    ``create`` (embedded store only): create the file now.  By default a file that does not
    exist yet is created by the first write (a load); reading from it before raises
    :class:`~graphcrm.errors.StoreError` saying how to create it.

    Raises
    ------
    ConfigError
        For an unknown scheme.
    StoreError
        The file exists but is not a DuckDB database; ``create=True`` in a missing folder.
    """
    text = resolve_uri(uri)
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in BOLT_SCHEMES:
        from graphcrm.stores.bolt_store import BoltStore

        return BoltStore(text)
    if scheme in ("", "file", "duckdb"):
        from graphcrm.stores.duckdb_store import DuckDBStore

        path = text
        for prefix in ("duckdb://", "file://", "duckdb:"):
            if path.lower().startswith(prefix):
                path = path[len(prefix):]
                break
        return DuckDBStore(Path(path), create=create)
    raise ConfigError(
        f"unknown store URI scheme {scheme!r}: use a file path (embedded DuckDB) or "
        f"one of {', '.join(s + '://' for s in BOLT_SCHEMES)}"
    )


__all__ = ["Store", "open_store", "resolve_uri", "DEFAULT_STORE", "BOLT_SCHEMES"]
