"""The store interface: one contract, interchangeable implementations.

A store keeps the six contract tables (see :mod:`graphcrm.contract`) and the
results written back by analyses.  Implementations:

* :class:`graphcrm.stores.duckdb_store.DuckDBStore` - embedded, a single local file (default);
* :class:`graphcrm.stores.bolt_store.BoltStore` - Neo4j (or any Bolt/Cypher server).

Conventions for frames crossing this interface (both directions):

* id columns (``owner_id``, ``post_id``, ...) and text columns are Python ``str``;
* datetime columns are ``datetime64[ns]`` naive (no time zone); they are stored as
  the store sees fit (DuckDB TIMESTAMP, ISO-8601 strings in a Bolt server);
* bool columns are ``bool``; ``points``/``contribution`` float; ``capacity`` nullable Int64.

Validation never happens in a store: :mod:`graphcrm.loaders` validates and hands the store
clean frames, so every store shares one validation path.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - annotations only: importing a store interface stays light
    import pandas as pd


class Store(ABC):
    """Where a community lives."""

    #: the URI this store was opened with, credentials removed (safe to print)
    uri: str
    #: short name of the implementation, e.g. ``"duckdb"`` or ``"bolt"``
    kind: str

    # -- reading -----------------------------------------------------------------
    @abstractmethod
    def table(self, name: str, *, columns: list[str] | None = None) -> pd.DataFrame:
        """Return a whole contract table as a DataFrame (all contract columns unless ``columns``).

        Rows are sorted by the table's key.  An empty table returns an empty frame with the
        contract's columns.  Server stores read in batches, never one huge result.
        """

    @abstractmethod
    def keys(self, name: str) -> pd.DataFrame:
        """Return only the key columns of a table (used to check references on load)."""

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Rows per contract table, in :data:`graphcrm.contract.TABLE_NAMES` order."""

    # -- writing -----------------------------------------------------------------
    @abstractmethod
    def upsert(self, frames: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        """Insert or update validated rows, keyed by each table's key.

        ``frames`` maps table name to a frame holding the key columns plus the contract
        columns present in the input.  A row with a new key is inserted (absent columns take
        their defaults); a row with an existing key updates only the columns present in
        the frame.  Loading the same frames twice leaves the store unchanged.

        The embedded store commits all tables in one transaction (all or nothing).  A server
        store writes in batches; on failure it raises :class:`~graphcrm.errors.PartialLoadError`
        saying how many rows of each table were written.  Returns rows written per table.
        """

    @abstractmethod
    def write_results(
        self,
        results: pd.DataFrame,
        *,
        name: str,
        label: str | None = None,
        campaign: str | None = None,
        selected: pd.Series | None = None,
    ) -> int:
        """Write an analysis result keyed by ``owner_id`` back to the store.

        Embedded store: replaces the table ``result_<name>`` (plus columns ``campaign`` and
        ``written_at``).  Bolt store: sets properties ``<name>_<column>`` on the :Owner nodes and,
        if ``label`` is given, adds that label (e.g. ``Ambassador``) to the selected owners
        (``selected`` boolean mask aligned with ``results``; all rows if None) with properties
        ``<label>_campaign`` and ``<label>_at``.  Returns the number of owners written.
        """

    @abstractmethod
    def read_results(self, name: str) -> pd.DataFrame:
        """Read back a result written by :meth:`write_results` (owner_id plus its columns)."""

    def close(self) -> None:  # pragma: no cover - trivial default
        """Release connections / file handles."""

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
