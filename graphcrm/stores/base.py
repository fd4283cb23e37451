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
* frames handed to :meth:`Store.upsert` may hold missing values in any non-key column (None,
  ``pd.NA``, NaT, NaN; bools as pandas' nullable ``"boolean"``): a blank cell.  A missing value
  never overwrites a stored one; a new row takes the contract default for it.

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

    def exists(self) -> bool:
        """Whether the store exists yet.  An embedded store whose file has not been created
        (nothing loaded there yet) does not: its reading methods raise
        :class:`~graphcrm.errors.StoreError` saying how to create it, and its first write
        creates it.  A server store always exists (an empty graph is an empty store)."""
        return True

    def lookup(self, name: str, columns: list[str]) -> pd.DataFrame:
        """``columns`` of table ``name`` as stored, for validating a load (references to
        stored rows): like :meth:`table`, except that a store that does not exist yet holds
        nothing (an empty frame) instead of raising."""
        return self.table(name, columns=columns)

    # -- writing -----------------------------------------------------------------
    @abstractmethod
    def upsert(self, frames: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        """Insert or update validated rows, keyed by each table's key.

        ``frames`` maps table name to a frame holding the key columns plus the contract
        columns present in the input.  A row with a new key is inserted: absent columns, and
        missing values (None, ``pd.NA``, NaT, NaN: a blank cell), take the contract default
        (:attr:`graphcrm.contract.Column.default`, e.g. ``is_staff`` False, ``role``
        ``"attendee"``, ``checked_in`` True; no default: missing).  A row with an existing key
        updates only the columns present in the frame, and in them only its explicit values: a
        missing value never overwrites the stored one (a blank ``marketing_opt_out`` leaves a
        stored true as it is; an explicit False changes it).  Loading the same frames twice
        leaves the store unchanged.  The first write to an embedded store whose file does not
        exist yet creates it.

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

    # -- campaigns (a named program run: who was treated, who was held out) ---------------
    # Appended for issue 17 (campaign loop).  A campaign is a plain mapping with the keys of
    # CAMPAIGN_FIELDS; its members a frame with CAMPAIGN_MEMBER_COLUMNS.
    def write_campaign(self, campaign: Mapping, members: pd.DataFrame, *, replace: bool = False) -> int:
        """Record a campaign and its members (treated and control).

        Parameters
        ----------
        campaign
            ``name`` (str, the campaign's key), ``program`` (str), ``start`` (Timestamp),
            ``window_days`` (int, days), ``created_at`` (Timestamp), ``options`` (JSON text).
        members
            ``owner_id``; ``group`` (``"treated"`` or ``"control"``); ``matched_to`` (for a
            matched control, the treated owner it stands in for; else missing).
        replace
            Re-recording a campaign of the same name replaces it; without ``replace`` that is
            an error.

        Returns
        -------
        int
            Members written.

        Raises
        ------
        StoreError
            A campaign of that name exists (and ``replace`` is False), or the store failed.
        ConfigError
            Malformed campaign or members.
        """
        raise NotImplementedError  # pragma: no cover - every store implements it

    def campaigns(self) -> pd.DataFrame:
        """Recorded campaigns, oldest first (columns :data:`CAMPAIGN_COLUMNS`: the fields of
        :meth:`write_campaign` plus ``treated`` and ``control``, members per group)."""
        raise NotImplementedError  # pragma: no cover

    def campaign_members(self, name: str) -> pd.DataFrame:
        """The members of campaign ``name`` (:data:`CAMPAIGN_MEMBER_COLUMNS`), sorted by
        group (treated first) then owner_id.

        Raises
        ------
        StoreError
            No campaign of that name.
        """
        raise NotImplementedError  # pragma: no cover


#: the fields of a recorded campaign (write_campaign's mapping)
CAMPAIGN_FIELDS: tuple[str, ...] = ("name", "program", "start", "window_days", "created_at", "options")
#: what Store.campaigns() returns
CAMPAIGN_COLUMNS: tuple[str, ...] = CAMPAIGN_FIELDS + ("treated", "control")
#: what Store.campaign_members() returns
CAMPAIGN_MEMBER_COLUMNS: tuple[str, ...] = ("owner_id", "group", "matched_to")
CAMPAIGN_GROUPS: tuple[str, ...] = ("treated", "control")


def check_campaign(campaign: Mapping, members: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    """The campaign and members as every store writes them (checked, typed).

    Raises
    ------
    ConfigError
        A field or column missing, an empty name, an unknown group, a duplicate member.
    """
    import json

    import pandas as pd

    from graphcrm.errors import ConfigError

    missing = [f for f in CAMPAIGN_FIELDS if f not in campaign]
    if missing:
        raise ConfigError(f"campaign record lacks {missing}")
    name = campaign["name"]
    if not isinstance(name, str) or not name.strip() or len(name) > 200 or "\x00" in name:
        raise ConfigError(f"campaign name must be non-empty text of at most 200 characters, got {name!r}")
    program = campaign["program"]
    if not isinstance(program, str) or not program.strip() or len(program) > 100:
        raise ConfigError(f"campaign program must be non-empty text, got {program!r}")
    try:
        start, created = pd.Timestamp(campaign["start"]), pd.Timestamp(campaign["created_at"])
        window = int(campaign["window_days"])
    except (TypeError, ValueError):
        raise ConfigError("campaign start/created_at must be dates and window_days a whole number") from None
    if pd.isna(start) or pd.isna(created) or window < 1:
        raise ConfigError("campaign start and created_at are required and window_days must be >= 1")
    options = campaign["options"]
    options = options if isinstance(options, str) else json.dumps(options or {}, sort_keys=True, default=str)
    cols = [c for c in CAMPAIGN_MEMBER_COLUMNS if c not in members.columns and c != "matched_to"]
    if cols:
        raise ConfigError(f"campaign members lack the column(s) {cols}")
    m = pd.DataFrame({
        "owner_id": members["owner_id"].astype(object).map(lambda v: None if pd.isna(v) else str(v)),
        "group": members["group"].astype(object),
        "matched_to": (members["matched_to"].astype(object).map(lambda v: None if pd.isna(v) else str(v))
                       if "matched_to" in members.columns else None),
    })
    if m["owner_id"].isna().any():
        raise ConfigError("campaign members without owner_id")
    bad = sorted(set(m["group"].map(str)) - set(CAMPAIGN_GROUPS))
    if bad:
        raise ConfigError(f"campaign member group must be treated or control, got {bad}")
    if m["owner_id"].duplicated().any():
        raise ConfigError("an owner appears twice among the campaign members")

    def naive(ts: pd.Timestamp) -> pd.Timestamp:
        return (ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts).floor("s")

    rec = {"name": name, "program": program, "start": naive(start), "window_days": window,
           "created_at": naive(created), "options": options}
    return rec, m.reset_index(drop=True)
