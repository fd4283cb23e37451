"""The embedded default store: one DuckDB file, no server.

Each load is one transaction: it commits whole or leaves the file exactly as it was.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Mapping
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from graphcrm.contract import TABLES, TABLE_NAMES, Table
from graphcrm.errors import ConfigError, StoreError
from graphcrm.stores.base import Store

_SQL_TYPES = {"str": "VARCHAR", "enum": "VARCHAR", "datetime": "TIMESTAMP", "bool": "BOOLEAN", "int": "BIGINT", "float": "DOUBLE"}
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def _ddl(t: Table) -> str:
    cols = []
    for c in t.columns:
        d = f'"{c.name}" {_SQL_TYPES[c.type]}'
        if c.default is not None:
            d += f" DEFAULT {_sql_literal(c.default)}"
        if c.name in t.key:
            d += " NOT NULL"
        cols.append(d)
    # No PRIMARY KEY: keys are kept unique by the loader (duplicates in the input are rejected)
    # and by upsert (update existing keys, anti-join insert of new ones).  DuckDB's ART index on
    # a 4-column key made a one-million-row interaction load several times slower.
    return f'CREATE TABLE IF NOT EXISTS "{t.name}" ({", ".join(cols)})'


def _sql_literal(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _insert_value(t: Table, column: str) -> str:
    """``v."c"``, or ``COALESCE(v."c", default)`` for a column with a contract default."""
    default = t.column(column).default
    if default is None:
        return f'v."{column}"'
    return f'COALESCE(v."{column}", {_sql_literal(default)})'


def _result_table(name: str) -> str:
    if not _NAME_RE.match(name):
        raise ConfigError(f"result name {name!r} must be lower-case letters, digits and _ (e.g. 'ambassadors')")
    return f"result_{name}"


def missing_store_message(uri: str) -> str:
    """What to say when a store to read from does not exist (and how to create one)."""
    return (
        f"no store at {uri}: nothing has been loaded there yet (is the path right?). Create it with "
        f"`graphcrm load FOLDER --store {uri}` (your exports) or `graphcrm demo --store {uri}` (a generated "
        f"community); in Python, graphcrm.open(path).load(folder), or graphcrm.open(path, create=True) "
        f"for an empty store"
    )


class DuckDBStore(Store):
    """A community in a single local DuckDB file.

    Parameters
    ----------
    path
        The database file.  ``:memory:`` keeps it in memory.
    create
        Create the file (with the empty contract tables) now.  By default a file that does not
        exist is created by the first write (:meth:`upsert`, i.e. a load), and reading from it
        before that raises :class:`~graphcrm.errors.StoreError`: analyses of a mistyped path
        fail instead of reporting on an empty community.

    Raises
    ------
    StoreError
        The file exists but is not a DuckDB database, or (``create=True``) its folder does not
        exist.

    Example
    -------
    >>> import pandas as pd, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "c.duckdb"
    >>> store = DuckDBStore(path)
    >>> store.exists(), path.exists()
    (False, False)
    >>> store.upsert({"owners": pd.DataFrame({"owner_id": ["a"]})})
    {'owners': 1}
    >>> store.exists(), store.counts()["owners"]
    (True, 1)
    """

    kind = "duckdb"

    def __init__(self, path: str | Path, *, create: bool = False):
        self.path = Path(path) if str(path) != ":memory:" else None
        self.uri = str(path)
        self._con: duckdb.DuckDBPyConnection | None = None
        if self.path is None or create or self.path.exists():
            self._connect()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        """Open (creating if needed) the database and its contract tables."""
        path = self.path
        try:
            if path is not None and not path.exists() and path.parent and not path.parent.exists():
                raise StoreError(f"cannot create store {path}: folder {path.parent} does not exist")
            con = duckdb.connect(str(path) if path is not None else ":memory:")
        except duckdb.Error as exc:
            raise StoreError(f"cannot open store {self.uri}: {exc}") from None
        try:
            with con.cursor() as cur:
                for t in TABLES.values():
                    cur.execute(_ddl(t))
        except duckdb.Error as exc:
            con.close()
            raise StoreError(f"cannot open store {self.uri}: {exc}") from None
        self._con = con
        return con

    def exists(self) -> bool:
        return self._con is not None or self.path is None or self.path.exists()

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The connection, for reading: a store whose file does not exist raises StoreError
        (:func:`missing_store_message`) instead of creating an empty one."""
        if self._con is None:
            if not self.exists():
                raise StoreError(missing_store_message(self.uri))
            self._connect()
        return self._con

    def lookup(self, name: str, columns: list[str]) -> pd.DataFrame:
        if not self.exists():  # a first load: nothing stored to refer to
            t = TABLES[name]
            return _typed(pd.DataFrame({c: pd.Series([], dtype=object) for c in columns}), t)
        return self.table(name, columns=columns)

    # -- reading ---------------------------------------------------------------
    def table(self, name: str, *, columns: list[str] | None = None) -> pd.DataFrame:
        t = TABLES[name]
        cols = columns or t.column_names
        unknown = [c for c in cols if c not in t.column_names]
        if unknown:
            raise ConfigError(f"table {name} has no column(s) {unknown}")
        order = ", ".join(f'"{k}"' for k in t.key if k in cols) or "1"
        sel = ", ".join(f'"{c}"' for c in cols)
        df = self.con.execute(f'SELECT {sel} FROM "{name}" ORDER BY {order}').df()
        return _typed(df, t)

    def keys(self, name: str) -> pd.DataFrame:
        return self.table(name, columns=list(TABLES[name].key))

    def counts(self) -> dict[str, int]:
        return {n: int(self.con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in TABLE_NAMES}

    def time_range(self, name: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        col = TABLES[name].time_column
        if col is None:
            return None, None
        lo, hi = self.con.execute(f'SELECT min("{col}"), max("{col}") FROM "{name}"').fetchone()
        return (pd.Timestamp(lo) if lo is not None else None, pd.Timestamp(hi) if hi is not None else None)

    # -- writing ---------------------------------------------------------------
    def upsert(self, frames: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        written: dict[str, int] = {}
        created = self._con is None  # this write creates the file (removed again if it fails)
        cur = (self._con or self._connect()).cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            for name in TABLE_NAMES:
                if name not in frames or not len(frames[name]):
                    continue
                t = TABLES[name]
                df = frames[name]
                cols = [c for c in t.column_names if c in df.columns]
                view = f"_incoming_{name}"
                cur.register(view, _for_duckdb(_contract_typed(df[cols], t)))
                col_sql = ", ".join(f'"{c}"' for c in cols)
                values = ", ".join(_insert_value(t, c) for c in cols)
                if not cur.execute(f'SELECT count(*) FROM (SELECT 1 FROM "{name}" LIMIT 1)').fetchone()[0]:
                    # nothing stored yet (a first load): every row is new, no update or anti-join
                    cur.execute(f'INSERT INTO "{name}" ({col_sql}) SELECT {values} FROM {view} AS v')
                    cur.unregister(view)
                    written[name] = len(df)
                    continue
                sets = [c for c in cols if c not in t.key]
                match = " AND ".join(f't."{k}" = v."{k}"' for k in t.key)
                # update existing keys, touching only rows whose values change; a missing value
                # (NULL: a blank cell) never overwrites a stored one: only explicit values do ...
                if sets:
                    changed = " OR ".join(f'(v."{c}" IS NOT NULL AND t."{c}" IS DISTINCT FROM v."{c}")' for c in sets)
                    assign = ", ".join(f'"{c}" = COALESCE(v."{c}", t."{c}")' for c in sets)
                    cur.execute(f'UPDATE "{name}" AS t SET {assign} FROM {view} AS v WHERE {match} AND ({changed})')
                # ... then insert the new keys (an anti-join is far faster than ON CONFLICT); a new
                # row's missing values take the contract's default
                cur.execute(
                    f'INSERT INTO "{name}" ({col_sql}) SELECT {values} '
                    f'FROM {view} AS v WHERE NOT EXISTS (SELECT 1 FROM "{name}" AS t WHERE {match})'
                )
                cur.unregister(view)
                written[name] = len(df)
            self._bump_data_version(cur)  # cached results of the old data are no longer used
            cur.execute("COMMIT")
            self.trim_memory()
        except BaseException as exc:
            try:
                cur.execute("ROLLBACK")
            except duckdb.Error:
                pass
            if created:
                self._remove_new_file()
            if isinstance(exc, duckdb.Error):
                raise StoreError(f"load into {self.uri} failed and was rolled back, nothing written: {exc}") from None
            raise
        finally:
            cur.close()
        return written

    def trim_memory(self) -> None:
        """Hand memory the process no longer uses back to the system: DuckDB's buffer pool
        (by lowering its memory limit for a moment, then resetting it to DuckDB's default) and
        pyarrow's pool.

        After loading 27M rows (1M demo owners) DuckDB kept its written blocks cached and arrow
        its freed buffers: ~3x the resident memory the next steps need (measured at 100k owners:
        993 MB resident after the load, 527 MB after this; at 1M: 5,051 -> 1,841 MiB).  Called
        after every load, and before and after the community's tables and projections are read.
        """
        if self._con is None:
            return
        try:
            self._con.execute("SET memory_limit='64MB'")
            self._con.execute("RESET memory_limit")  # DuckDB's default (setting it back from its
            # printed value drifts: '18.7 GiB' read back as 18.5)
        except duckdb.Error:  # a setting this DuckDB does not take: nothing to trim, nothing lost
            pass
        import pyarrow as pa

        pa.default_memory_pool().release_unused()

    def _remove_new_file(self) -> None:
        """Undo creating the file: a first load that failed leaves no store behind."""
        self.close()
        self._con = None
        if self.path is not None:
            for p in (self.path, self.path.with_name(self.path.name + ".wal")):
                try:
                    p.unlink()
                except OSError:
                    pass

    def write_results(self, results, *, name, label=None, campaign=None, selected=None) -> int:
        table = _result_table(name)
        if "owner_id" not in results.columns:
            raise ConfigError("results to write back need an owner_id column")
        df = results.copy()
        df.attrs = {}
        if selected is not None:
            df["selected"] = np.asarray(selected, dtype=bool)
        if label is not None:
            df["label"] = label
        df["campaign"] = campaign
        df["written_at"] = pd.Timestamp.now().floor("s")
        for c in df.columns:
            if df[c].dtype == object:
                df[c] = df[c].map(lambda v: v if v is None or isinstance(v, (str, bool, int, float, pd.Timestamp, _dt.datetime)) else str(v))
        cur = self.con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            cur.register("_result", _for_duckdb(df))
            cur.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT * FROM _result')
            cur.unregister("_result")
            cur.execute("COMMIT")
        except duckdb.Error as exc:
            cur.execute("ROLLBACK")
            raise StoreError(f"writing results {name} failed: {exc}") from None
        finally:
            cur.close()
        return len(df)

    def read_results(self, name: str) -> pd.DataFrame:
        table = _result_table(name)
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchone()[0]
        if not exists:
            raise StoreError(f"no results named {name!r} in {self.uri}")
        return self.con.execute(f'SELECT * FROM "{table}" ORDER BY owner_id').df()

    def close(self) -> None:
        if self._con is None:
            return
        try:
            self._con.close()
        except duckdb.Error:
            pass

    # -- campaigns (issue 17): tables campaigns and campaign_members, created on first write ----
    _CAMPAIGN_DDL = (
        'CREATE TABLE IF NOT EXISTS campaigns (name VARCHAR NOT NULL, program VARCHAR NOT NULL, '
        '"start" TIMESTAMP NOT NULL, window_days BIGINT NOT NULL, created_at TIMESTAMP NOT NULL, options VARCHAR)',
        'CREATE TABLE IF NOT EXISTS campaign_members (campaign VARCHAR NOT NULL, owner_id VARCHAR NOT NULL, '
        '"group" VARCHAR NOT NULL, matched_to VARCHAR)',
    )

    def _has_campaigns(self) -> bool:
        return bool(self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'campaigns'").fetchone()[0])

    def write_campaign(self, campaign, members, *, replace: bool = False) -> int:
        from graphcrm.stores.base import check_campaign

        rec, m = check_campaign(campaign, members)
        cur = self.con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            for ddl in self._CAMPAIGN_DDL:
                cur.execute(ddl)
            exists = cur.execute("SELECT count(*) FROM campaigns WHERE name = ?", [rec["name"]]).fetchone()[0]
            if exists and not replace:
                raise StoreError(f"a campaign named {rec['name']!r} is already recorded in {self.uri} "
                                 f"(choose another name, or replace it)")
            cur.execute("DELETE FROM campaign_members WHERE campaign = ?", [rec["name"]])
            cur.execute("DELETE FROM campaigns WHERE name = ?", [rec["name"]])
            cur.execute('INSERT INTO campaigns VALUES (?, ?, ?, ?, ?, ?)',
                        [rec["name"], rec["program"], rec["start"].to_pydatetime(), rec["window_days"],
                         rec["created_at"].to_pydatetime(), rec["options"]])
            if len(m):
                cur.register("_members", _for_duckdb(m.assign(campaign=rec["name"])))
                cur.execute('INSERT INTO campaign_members SELECT campaign, owner_id, "group", matched_to FROM _members')
                cur.unregister("_members")
            cur.execute("COMMIT")
        except BaseException as exc:
            try:
                cur.execute("ROLLBACK")
            except duckdb.Error:
                pass
            if isinstance(exc, duckdb.Error):
                raise StoreError(f"recording campaign {rec['name']!r} failed and was rolled back: {exc}") from None
            raise
        finally:
            cur.close()
        return len(m)

    def campaigns(self) -> pd.DataFrame:
        from graphcrm.stores.base import CAMPAIGN_COLUMNS

        if not self._has_campaigns():
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in CAMPAIGN_COLUMNS})
        df = self.con.execute(
            'SELECT c.name, c.program, c."start", c.window_days, c.created_at, c.options, '
            "count(m.owner_id) FILTER (WHERE m.\"group\" = 'treated') AS treated, "
            "count(m.owner_id) FILTER (WHERE m.\"group\" = 'control') AS control "
            "FROM campaigns c LEFT JOIN campaign_members m ON m.campaign = c.name "
            'GROUP BY ALL ORDER BY c.created_at, c.name').df()
        for c in ("start", "created_at"):
            df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
        for c in ("window_days", "treated", "control"):
            df[c] = df[c].astype("int64")
        for c in ("name", "program", "options"):
            df[c] = df[c].astype(object)
        return df[list(CAMPAIGN_COLUMNS)]

    def campaign_members(self, name: str) -> pd.DataFrame:
        from graphcrm.stores.base import CAMPAIGN_MEMBER_COLUMNS

        if not self._has_campaigns() or not self.con.execute(
                "SELECT count(*) FROM campaigns WHERE name = ?", [name]).fetchone()[0]:
            raise StoreError(f"no campaign named {name!r} in {self.uri} (graphcrm campaigns lists them)")
        df = self.con.execute(
            'SELECT owner_id, "group", matched_to FROM campaign_members WHERE campaign = ? '
            """ORDER BY CASE "group" WHEN 'treated' THEN 0 ELSE 1 END, owner_id""", [name]).df()
        for c in df.columns:
            df[c] = df[c].astype(object).where(df[c].notna(), None)
        return df[list(CAMPAIGN_MEMBER_COLUMNS)]

    # -- the community in compact form (issue 13): codes and projections computed in SQL ----
    #: id columns computed as integer codes in SQL: table -> column -> (table, key) it names
    _CODED = {
        "referrals": {"referrer_id": ("owners", "owner_id"), "referee_id": ("owners", "owner_id")},
        "attendance": {"owner_id": ("owners", "owner_id")},
        "posts": {"post_id": ("posts", "post_id")},
        "interactions": {"owner_id": ("owners", "owner_id"), "post_id": ("posts", "post_id")},
    }

    #: enum columns computed as codes in SQL (as the Community holds them)
    _CODED_ENUMS = (("attendance", "role"), ("interactions", "kind"))

    def community_tables(self) -> dict[str, pd.DataFrame]:
        """The six tables for a :class:`~graphcrm.community.Community`, ids as categoricals.

        Owners and events come as :meth:`table` gives them.  In the four activity tables every
        owner and post id column and the enum columns ``role`` and ``kind`` are a
        pandas categorical built from integer codes computed inside DuckDB (the row number of
        the id in its sorted key column), so no string per row crosses into Python: about 17
        bytes per interaction instead of ~340.  Event ids and referral stages stay text (as
        :class:`~graphcrm.community.Community` holds them).  Rows are in key order, as
        :meth:`table`.

        Returns
        -------
        dict of DataFrame
            Table name -> frame with the contract columns.  An id naming no stored row (which
            a load never lets in) keeps its text as an extra category.

        Example
        -------
        >>> import graphcrm, pandas as pd
        >>> cg = graphcrm.open(":memory:")
        >>> _ = cg.load({"owners": pd.DataFrame({"owner_id": ["a", "b"]}),
        ...              "referrals": pd.DataFrame({"referrer_id": ["b"], "referee_id": ["a"],
        ...                                         "referred_at": ["2024-01-01"], "stage": ["order"]})})
        >>> r = cg.store.community_tables()["referrals"]
        >>> r["referrer_id"].cat.codes.tolist(), r["referrer_id"].tolist()
        ([1], ['b'])
        """
        self.trim_memory()  # what a load left cached (this process's load, just before)
        out = {"owners": self.table("owners"), "events": self.table("events")}
        cats = {("owners", "owner_id"): pd.Index(out["owners"]["owner_id"].astype(str).to_numpy(), dtype=object),
                ("events", "event_id"): pd.Index(out["events"]["event_id"].astype(str).to_numpy(), dtype=object)}
        cats[("posts", "post_id")] = pd.Index(
            self.con.execute('SELECT post_id FROM posts ORDER BY post_id').fetchnumpy()["post_id"].astype(object),
            dtype=object)
        dtypes = {k: pd.CategoricalDtype(v) for k, v in cats.items()}
        for name, coded in self._CODED.items():
            t = TABLES[name]
            sel, joins = [], []
            for c in t.column_names:
                if c in coded:
                    ref_table, ref_key = coded[c]
                    alias = f"_k_{c}"
                    joins.append(f'LEFT JOIN (SELECT "{ref_key}" AS k, (row_number() OVER (ORDER BY "{ref_key}") - 1)::INTEGER AS code '
                                 f'FROM "{ref_table}") AS {alias} ON {alias}.k = x."{c}"')
                    sel.append(f'{alias}.code AS "{c}", CASE WHEN {alias}.code IS NULL THEN x."{c}" END AS "_miss_{c}"')
                elif (name, c) in self._CODED_ENUMS:
                    values = sorted(t.column(c).values)
                    arr = "[" + ", ".join(_sql_literal(v) for v in values) + "]"
                    sel.append(f'(list_position({arr}, x."{c}") - 1)::TINYINT AS "{c}", '
                               f'CASE WHEN x."{c}" IS NOT NULL AND list_position({arr}, x."{c}") IS NULL THEN x."{c}" END AS "_miss_{c}"')
                else:
                    sel.append(f'x."{c}"')
            order = ", ".join(f'x."{k}"' for k in t.key)
            try:
                df = self._read_capped(f'SELECT {", ".join(sel)} FROM "{name}" AS x {" ".join(joins)} ORDER BY {order}')
            except duckdb.Error as exc:
                raise StoreError(f"reading {name} from {self.uri} failed: {exc}") from None
            frame = {}
            for c in t.column_names:
                col = t.column(c)
                if c in coded or (name, c) in self._CODED_ENUMS:
                    if c in coded:
                        dtype = dtypes[coded[c]]
                    else:
                        dtype = pd.CategoricalDtype(pd.Index(sorted(col.values), dtype=object))
                    codes = df[c].to_numpy(dtype="float64", na_value=np.nan)
                    codes = np.where(np.isnan(codes), -1, codes).astype(np.int32)
                    miss = df[f"_miss_{c}"]
                    if miss.notna().any():  # ids naming no stored row: extra categories after the stored ones
                        extra = pd.Index(sorted(set(miss.dropna().astype(str))), dtype=object)
                        dtype = pd.CategoricalDtype(dtype.categories.append(extra))
                        m = miss.notna().to_numpy()
                        codes[m] = len(dtype.categories) - len(extra) + extra.get_indexer(miss[m].astype(str))
                    frame[c] = pd.Categorical.from_codes(codes, dtype=dtype)
                else:
                    frame[c] = df[c]
            out[name] = _typed(pd.DataFrame(frame), t, skip=set(coded) | {c for n, c in self._CODED_ENUMS if n == name})
        self.trim_memory()  # the blocks these reads cached: the community holds its own copy
        return out

    #: DuckDB's working memory while the community's tables are read (it spills what does not
    #: fit to its temporary directory): at 1M owners / 22M interactions the reads peaked at
    #: 6,853 MiB resident without a cap and 4,921 MiB with this one, in the same time (19.3 s vs
    #: 19.6 s).  A read that still runs out of memory under the cap is retried without it.
    COMMUNITY_READ_MEMORY = "2GB"

    def _read_capped(self, sql: str) -> pd.DataFrame:
        """``sql`` as a DataFrame with DuckDB's memory limit at :attr:`COMMUNITY_READ_MEMORY`
        for the query (DuckDB's default limit restored after it; graphcrm sets no other)."""
        con = self.con
        try:
            con.execute(f"SET memory_limit='{self.COMMUNITY_READ_MEMORY}'")
            try:
                return con.execute(sql).df()
            except duckdb.OutOfMemoryException:
                con.execute("RESET memory_limit")
                return con.execute(sql).df()
        finally:
            con.execute("RESET memory_limit")  # DuckDB's default, exactly

    def _window_sql(self, since, until) -> tuple[str, list]:
        """The community's owner numbering within a window, as a CTE ``_o(owner_id, i)``."""
        where, params = "", []
        if until is not None:
            where, params = 'WHERE NOT coalesce(joined_at > ?, FALSE)', [pd.Timestamp(until).to_pydatetime()]
        return (f'_o AS (SELECT owner_id, (row_number() OVER (ORDER BY owner_id) - 1)::BIGINT AS i FROM owners {where})',
                params)

    @staticmethod
    def _between(column: str, since, until) -> tuple[str, list]:
        cond, params = [], []
        if since is not None:
            cond.append(f"{column} >= ?"); params.append(pd.Timestamp(since).to_pydatetime())
        if until is not None:
            cond.append(f"{column} <= ?"); params.append(pd.Timestamp(until).to_pydatetime())
        return (" AND ".join(cond) if cond else "TRUE"), params

    @staticmethod
    def _exact_sum(expr: str, largest: float) -> str:
        """SQL for ``sum(expr)`` that is the same double whatever order DuckDB adds the rows in.

        A parallel ``sum`` of doubles adds in the order the threads meet the rows, so the last
        bits of a pair's weight differed between two runs on the same data (at 100,000 demo
        owners 1,138 circle strengths, and with them the row order of ``circle_members.csv``).
        Here each term is scaled by a power of two and rounded to a HUGEINT, whose sums are
        exact (integer addition does not depend on order), then scaled back: one rounding of the
        exact sum of the scaled terms.  The scale, 2**86 for terms up to 1 (halved for each
        doubling of ``largest``, the largest term), leaves room for 2**40 terms inside the
        HUGEINT's 2**127.  A term below half the resolution (2**-87 of the largest: an
        interaction 87 half-lives old) counts as 0.
        """
        bits = 86 - max(0, math.ceil(math.log2(max(float(largest), 1.0))))
        scale = repr(2.0 ** bits)
        return f"(sum(CAST(({expr}) * {scale} AS HUGEINT))::DOUBLE / {scale})"

    def interaction_pairs(self, *, weights: Mapping[str, float], half_life_days: float | None, as_of,
                          since=None, until=None) -> dict[str, np.ndarray]:
        """Engager -> author pairs of a (windowed) community, aggregated inside DuckDB.

        The same rows and weights as :func:`graphcrm.projections.interaction_graph` on the
        :class:`~graphcrm.community.Community` of that window: interactions with
        ``since <= created_at <= until`` on posts created up to ``until``, engager and author
        both owners of the window (joined up to ``until``), self-engagement left out; weight =
        the kind's weight times ``0.5 ** (max(age, 0) / half_life_days)`` with the age in days
        before ``as_of``.

        Returns
        -------
        dict of ndarray
            ``source``, ``target`` (int32 vertex numbers: the owner's rank in owner_id order
            within the window), ``weight`` (float64, summed exactly: the same
            double in every run, see :meth:`_exact_sum`), ``count`` (int32 interactions),
            sorted by (source, target): the arrays of :class:`graphcrm.projections.Edges`.
        """
        cte, params = self._window_sql(since, until)
        cond, p2 = self._between("x.created_at", since, until)
        post_cond, p3 = ("TRUE", []) if until is None else ("NOT coalesce(p.created_at > ?, FALSE)", [pd.Timestamp(until).to_pydatetime()])
        kind = " ".join(f"WHEN {_sql_literal(k)} THEN {float(v)!r}" for k, v in weights.items())
        w = f"(CASE x.kind {kind} ELSE 0.0 END)"
        if half_life_days is not None:
            w += (f" * pow(0.5, greatest(date_diff('microsecond', x.created_at, ?::TIMESTAMP), 0) / 86400e6 / {float(half_life_days)!r})")
            p4 = [pd.Timestamp(as_of).to_pydatetime()]
        else:
            p4 = []
        total = self._exact_sum(w, max((abs(v) for v in weights.values()), default=1.0))
        sql = (f"WITH {cte} SELECT e.i::INTEGER AS source, a.i::INTEGER AS target, {total} AS weight, count(*)::INTEGER AS count "
               "FROM interactions x JOIN _o e ON e.owner_id = x.owner_id JOIN posts p ON p.post_id = x.post_id "
               "JOIN _o a ON a.owner_id = p.author_id "
               f"WHERE e.i <> a.i AND {cond} AND {post_cond} GROUP BY 1, 2 ORDER BY 1, 2")
        try:
            r = self.con.execute(sql, params + p4 + p2 + p3).fetchnumpy()
        except duckdb.Error as exc:
            raise StoreError(f"aggregating interactions in {self.uri} failed: {exc}") from None
        self.trim_memory()
        return {"source": np.asarray(r["source"], dtype=np.int32), "target": np.asarray(r["target"], dtype=np.int32),
                "weight": np.asarray(r["weight"], dtype=np.float64), "count": np.asarray(r["count"], dtype=np.int32)}

    def coattendance_pairs(self, *, max_event_size: int, checked_in_only: bool, since=None,
                           until=None) -> tuple[dict[str, np.ndarray], int]:
        """Co-attendance pairs of a (windowed) community, aggregated inside DuckDB.

        The same as :func:`graphcrm.projections.coattendance_graph` on the community of that
        window: attendance of events with ``since <= starts_at <= until`` (all events without a
        window) by owners of the window (checked in only, if asked); an event of ``n`` such
        attendees gives each pair ``1/(n-1)``; events with more than ``max_event_size`` add none.

        Returns
        -------
        (dict of ndarray, int)
            ``source`` < ``target`` (int32 vertex numbers), ``weight`` (float64, summed exactly as
            in :meth:`interaction_pairs`), ``shared``
            (int32 events), sorted by (source, target); and the number of events left out for
            their size.
        """
        cte, params = self._window_sql(since, until)
        cond = ["TRUE"]
        if checked_in_only:
            cond.append("coalesce(t.checked_in, FALSE)")
        p2: list = []
        if since is not None or until is not None:
            ev, p2 = self._between("ev.starts_at", since, until)
            cond.append(f"t.event_id IN (SELECT ev.event_id FROM events ev WHERE {ev})")
        base = (f"WITH {cte}, _a AS (SELECT t.event_id, o.i FROM attendance t JOIN _o o ON o.owner_id = t.owner_id "
                f"WHERE {' AND '.join(cond)}), _s AS (SELECT event_id, count(*) AS n FROM _a GROUP BY event_id)")
        size = int(max_event_size)
        try:
            skipped = int(self.con.execute(f"{base} SELECT count(*) FROM _s WHERE n > {size}", params + p2).fetchone()[0])
            r = self.con.execute(
                f"{base}, _k AS (SELECT _a.event_id, _a.i, _s.n FROM _a JOIN _s USING (event_id) WHERE _s.n BETWEEN 2 AND {size}) "
                f"SELECT x.i::INTEGER AS source, y.i::INTEGER AS target, {self._exact_sum('1.0 / (x.n - 1)', 1.0)} AS weight, "
                "count(*)::INTEGER AS shared "
                "FROM _k x JOIN _k y ON x.event_id = y.event_id AND x.i < y.i GROUP BY 1, 2 ORDER BY 1, 2",
                params + p2).fetchnumpy()
        except duckdb.Error as exc:
            raise StoreError(f"aggregating attendance in {self.uri} failed: {exc}") from None
        self.trim_memory()
        return ({"source": np.asarray(r["source"], dtype=np.int32), "target": np.asarray(r["target"], dtype=np.int32),
                 "weight": np.asarray(r["weight"], dtype=np.float64), "shared": np.asarray(r["shared"], dtype=np.int32)},
                skipped)

    # -- results kept across sessions (issue 13): keyed by data version and options ----------
    _STATE_DDL = ("CREATE TABLE IF NOT EXISTS graphcrm_state (name VARCHAR NOT NULL, value BIGINT NOT NULL)",
                  "CREATE TABLE IF NOT EXISTS graphcrm_result_cache (key VARCHAR NOT NULL, data_version BIGINT NOT NULL, "
                  "created_at TIMESTAMP NOT NULL, bytes BIGINT NOT NULL, payload BLOB NOT NULL)")

    def _bump_data_version(self, cur) -> None:
        """Inside a load's transaction: one more data version, and the cached results go."""
        for ddl in self._STATE_DDL:
            cur.execute(ddl)
        n = cur.execute("SELECT max(value) FROM graphcrm_state WHERE name = 'data_version'").fetchone()[0]
        cur.execute("DELETE FROM graphcrm_state WHERE name = 'data_version'")
        cur.execute("INSERT INTO graphcrm_state VALUES ('data_version', ?)", [int(n or 0) + 1])
        cur.execute("DELETE FROM graphcrm_result_cache")
        self._drop_kept_tables(cur, keep=())

    def data_version(self) -> int:
        """How many loads this store has taken (0 for a store never loaded since the counter
        existed): the version cached results are keyed by."""
        if self._con is None and self.path is not None and not self.path.exists():
            return 0
        if not self.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'graphcrm_state'").fetchone()[0]:
            return 0
        n = self.con.execute("SELECT max(value) FROM graphcrm_state WHERE name = 'data_version'").fetchone()[0]
        return int(n or 0)

    def cached_result(self, key: str) -> tuple[bool, object]:
        """``(True, value)`` for a result cached under ``key`` for the current data version,
        else ``(False, None)`` (also when the cached bytes cannot be read back, e.g. after an
        upgrade changed a class).  The cache is as trusted as the store file itself (pickle).

        The DataFrames of a kept value are DuckDB tables read back through Arrow (see
        :mod:`graphcrm.stores.kept`); the BLOB holds only the rest, pickled."""
        from graphcrm.stores import kept

        if self.path is None or not self.path.exists():
            return False, None
        if not self.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'graphcrm_result_cache'").fetchone()[0]:
            return False, None
        rows = self.con.execute("SELECT payload FROM graphcrm_result_cache WHERE key = ? AND data_version = ?",
                                [key, self.data_version()]).fetchall()  # all: no pending result left
        if not rows:
            return False, None
        try:
            return True, kept.loads(rows[0][0], read_table=lambda name: self.con.sql(f'SELECT * FROM "{name}"').to_arrow_table())
        except Exception:  # noqa: BLE001 - an unreadable entry is a miss, recomputed and replaced
            return False, None

    def cache_result(self, key: str, value: object) -> int:
        """Keep ``value`` (a result table and its details) under ``key`` for the current data
        version; returns the bytes written (the pickle plus the frames in Arrow; 0 for an
        in-memory store, which keeps nothing).  Each storable DataFrame in ``value`` becomes a
        DuckDB table (:mod:`graphcrm.stores.kept`), dropped with its entry."""
        from graphcrm.stores import kept

        if self.path is None:
            return 0
        version = self.data_version()
        cur = self.con.cursor()

        def write_table(name: str, table) -> None:
            cur.register("graphcrm_kept_frame", table)
            try:
                cur.execute(f'CREATE TABLE "{name}" AS SELECT * FROM graphcrm_kept_frame')
            finally:
                cur.unregister("graphcrm_kept_frame")

        try:
            cur.execute("BEGIN TRANSACTION")
            for ddl in self._STATE_DDL:
                cur.execute(ddl)
            cur.execute("DELETE FROM graphcrm_result_cache WHERE key = ? OR data_version <> ?", [key, version])
            kept_keys = [r[0] for r in cur.execute("SELECT key FROM graphcrm_result_cache").fetchall()]
            self._drop_kept_tables(cur, keep=[kept.table_prefix(k) for k in kept_keys])
            payload, frame_bytes = kept.dumps(value, prefix=kept.table_prefix(key), write_table=write_table)
            size = len(payload) + frame_bytes
            cur.execute("INSERT INTO graphcrm_result_cache VALUES (?, ?, ?, ?, ?)",
                        [key, version, pd.Timestamp.now().floor("s").to_pydatetime(), size, payload])
            cur.execute("COMMIT")
        except duckdb.Error as exc:
            try:
                cur.execute("ROLLBACK")
            except duckdb.Error:
                pass
            raise StoreError(f"keeping a result in {self.uri} failed: {exc}") from None
        finally:
            cur.close()
        return size

    @staticmethod
    def _drop_kept_tables(cur, *, keep) -> None:
        """Drop the kept frames' tables (:mod:`graphcrm.stores.kept`) except those of the
        prefixes in ``keep``."""
        from graphcrm.stores.kept import TABLE_PREFIX

        keep = tuple(keep)
        names = [r[0] for r in cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE starts_with(table_name, ?)", [TABLE_PREFIX]).fetchall()]
        for name in names:
            if not (keep and name.startswith(keep)):
                cur.execute(f'DROP TABLE IF EXISTS "{name}"')

    def result_cache(self) -> pd.DataFrame:
        """The cached results: ``key``, ``data_version``, ``created_at``, ``bytes``."""
        cols = ["key", "data_version", "created_at", "bytes"]
        if self.path is None or not self.path.exists() or not self.con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'graphcrm_result_cache'").fetchone()[0]:
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
        return self.con.execute(f"SELECT {', '.join(cols)} FROM graphcrm_result_cache ORDER BY created_at, key").df()

    def clear_result_cache(self) -> int:
        """Drop every cached result; returns how many there were."""
        n = len(self.result_cache())
        if n:
            self.con.execute("DELETE FROM graphcrm_result_cache")
        if self.path is not None and self.path.exists():
            self._drop_kept_tables(self.con, keep=())
        return n


def _contract_typed(df: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Each contract column of ``df`` in its contract type (nullable where pandas has one).

    A column of missing values (all None: an all-blank column) or of Python objects then reaches
    DuckDB as BOOLEAN / BIGINT / DOUBLE / TIMESTAMP / VARCHAR, so ``COALESCE(new, stored)`` can
    combine it with the stored column.  Columns already of their type are left as they are.
    """
    fixed = {}
    for c in df.columns:
        if c not in table.column_names:
            continue
        kind, s = table.column(c).type, df[c]
        if kind == "bool" and not pd.api.types.is_bool_dtype(s.dtype):
            fixed[c] = s.astype(object).where(s.notna(), None).astype("boolean")
        elif kind == "int" and not pd.api.types.is_integer_dtype(s.dtype):
            fixed[c] = s.astype(object).where(s.notna(), None).astype("Int64")
        elif kind == "float" and not pd.api.types.is_float_dtype(s.dtype):
            fixed[c] = s.astype(object).where(s.notna(), np.nan).astype("float64")
        elif kind == "datetime" and not pd.api.types.is_datetime64_any_dtype(s.dtype):
            fixed[c] = pd.to_datetime(s.astype(object).where(s.notna(), None)).astype("datetime64[ns]")
    return df.assign(**fixed) if fixed else df  # validated frames: usually nothing to do, no copy


def _for_duckdb(df: pd.DataFrame):
    """Hand a frame to DuckDB as an Arrow table (zero-copy scan; text columns become VARCHAR)."""
    import pyarrow as pa

    out = df.copy(deep=False)  # the values are not written to: no copy of them
    out.attrs = {}
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].astype("string")
    return pa.Table.from_pandas(out, preserve_index=False)


def _typed(df: pd.DataFrame, t: Table, skip: set[str] = frozenset()) -> pd.DataFrame:
    for c in df.columns:
        if c in skip:
            continue
        col = t.column(c)
        if col.type == "datetime":
            df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
        elif col.type == "int":
            df[c] = df[c].astype("Int64")
        elif col.type == "float":
            df[c] = df[c].astype("float64")
        elif col.type == "bool":
            df[c] = df[c].fillna(bool(col.default) if col.default is not None else False).astype(bool)
        else:
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df
