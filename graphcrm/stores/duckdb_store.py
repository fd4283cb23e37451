"""The embedded default store: one DuckDB file, no server.

Each load is one transaction: it commits whole or leaves the file exactly as it was.
"""
from __future__ import annotations

import datetime as _dt
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


class DuckDBStore(Store):
    """A community in a single local DuckDB file.

    Parameters
    ----------
    path
        The database file (created on first use).  ``:memory:`` keeps it in memory.
    """

    kind = "duckdb"

    def __init__(self, path: str | Path):
        self.path = Path(path) if str(path) != ":memory:" else None
        self.uri = str(path)
        try:
            if self.path is not None and self.path.parent and not self.path.parent.exists():
                raise StoreError(f"cannot create store {self.path}: folder {self.path.parent} does not exist")
            self.con = duckdb.connect(str(path))
        except duckdb.Error as exc:
            raise StoreError(f"cannot open store {path}: {exc}") from None
        with self.con.cursor() as cur:
            for t in TABLES.values():
                cur.execute(_ddl(t))

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
        cur = self.con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            for name in TABLE_NAMES:
                if name not in frames or not len(frames[name]):
                    continue
                t = TABLES[name]
                df = frames[name]
                cols = [c for c in t.column_names if c in df.columns]
                view = f"_incoming_{name}"
                cur.register(view, _for_duckdb(df[cols]))
                col_sql = ", ".join(f'"{c}"' for c in cols)
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
                    f'INSERT INTO "{name}" ({col_sql}) SELECT {", ".join(_insert_value(t, c) for c in cols)} '
                    f'FROM {view} AS v WHERE NOT EXISTS (SELECT 1 FROM "{name}" AS t WHERE {match})'
                )
                cur.unregister(view)
                written[name] = len(df)
            cur.execute("COMMIT")
        except BaseException as exc:
            try:
                cur.execute("ROLLBACK")
            except duckdb.Error:
                pass
            if isinstance(exc, duckdb.Error):
                raise StoreError(f"load into {self.uri} failed and was rolled back, nothing written: {exc}") from None
            raise
        finally:
            cur.close()
        return written

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
        try:
            self.con.close()
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


def _for_duckdb(df: pd.DataFrame):
    """Hand a frame to DuckDB as an Arrow table (zero-copy scan; text columns become VARCHAR)."""
    import pyarrow as pa

    out = df.copy()
    out.attrs = {}
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].astype("string")
    return pa.Table.from_pandas(out, preserve_index=False)


def _typed(df: pd.DataFrame, t: Table) -> pd.DataFrame:
    for c in df.columns:
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
