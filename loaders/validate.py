"""Validation against the data contract, collecting every problem (pandera-style).

Every input row ends up either loaded or rejected with at least one reason, so that for every
table ``read = loaded + rejected``.  Rules, per row:

* a required value is missing;
* a value has the wrong type (not a date, not a number, not yes/no) or is not one of the
  allowed values of an enum column;
* an impossible date: not a calendar date (2023-02-30), before 1970, or in the future;
* a negative event capacity;
* a duplicate key within the input (the first row wins, later ones are rejected);
* a reference to an unknown row (an interaction on a post that exists neither in this load nor
  in the store, a referral from an unknown owner, attendance of an unknown event, ...), including
  references to rows that were themselves rejected;
* an interaction dated before the post it is on was created.

A whole file is refused (:class:`~graphcrm.errors.InputFileError`, nothing written) when a
required column is missing.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from graphcrm.contract import TABLES, Table
from graphcrm.errors import InputFileError
from graphcrm.loaders.mapping import Mapping
from graphcrm.loaders.read import Source

REJECT_COLUMNS = ["table", "source_file", "row", "column", "reason", "values"]

_TRUE = {"true", "t", "yes", "y", "1", "1.0", "是", "√", "✓", "对"}
_FALSE = {"false", "f", "no", "n", "0", "0.0", "否", "×", "✗", "错"}
MIN_DATE = pd.Timestamp("1970-01-01")


@dataclass
class Validated:
    """Output of :func:`validate`: clean frames ready for a store, plus the accounting."""

    frames: dict[str, pd.DataFrame]
    counts: pd.DataFrame
    rejects: pd.DataFrame
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class LoadReport:
    """What a load did.

    Attributes
    ----------
    counts : DataFrame
        One row per table read: ``table``, ``source_file``, ``read``, ``loaded``, ``rejected``
        (always ``read == loaded + rejected``).
    rejects : DataFrame
        One row per problem: ``table``, ``source_file``, ``row`` (spreadsheet row number for
        CSV, header = 1; position for DataFrames), ``column``, ``reason``, ``values`` (the
        row's original values as JSON).  A row with several problems appears several times.
    rejects_path : str or None
        Where the rejects were written as CSV (None when there were none).
    """

    store: str
    counts: pd.DataFrame
    rejects: pd.DataFrame
    rejects_path: str | None = None
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)
    ignored_files: list[str] = field(default_factory=list)
    written: dict[str, int] = field(default_factory=dict)

    @property
    def read(self) -> int:
        return int(self.counts["read"].sum()) if len(self.counts) else 0

    @property
    def loaded(self) -> int:
        return int(self.counts["loaded"].sum()) if len(self.counts) else 0

    @property
    def rejected(self) -> int:
        return int(self.counts["rejected"].sum()) if len(self.counts) else 0

    def format(self) -> str:
        """Human summary: a line per table, the rejects file, ignored files/columns."""
        lines = [f"store: {self.store}"]
        lines.append(f"{'table':<13}{'read':>10}{'loaded':>10}{'rejected':>10}  source")
        for r in self.counts.itertuples(index=False):
            lines.append(f"{r.table:<13}{r.read:>10,}{r.loaded:>10,}{r.rejected:>10,}  {r.source_file}")
        lines.append(f"{'total':<13}{self.read:>10,}{self.loaded:>10,}{self.rejected:>10,}")
        if self.rejected:
            top = (
                self.rejects.groupby(["table", "reason_kind"] if "reason_kind" in self.rejects else ["table", "column"])
                .size()
                .sort_values(ascending=False)
                .head(8)
            )
            lines.append(f"{self.rejected:,} rows rejected ({len(self.rejects):,} problems); most common:")
            for key, n in top.items():
                lines.append(f"  {n:>8,}  {key[0]}: {key[1]}")
            if self.rejects_path:
                lines.append(f"rejects written to {self.rejects_path}")
        else:
            lines.append("no rows rejected")
        for t, cols in self.ignored_columns.items():
            if cols:
                lines.append(f"{t}: columns not in the contract, not loaded: {', '.join(cols)}")
        if self.ignored_files:
            lines.append(f"files that hold no contract table, not read: {', '.join(self.ignored_files)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


class _Problems:
    """Collects (position, column, reason, kind) problems for one table."""

    def __init__(self) -> None:
        self.pos: list[np.ndarray] = []
        self.col: list[np.ndarray] = []
        self.reason: list[np.ndarray] = []
        self.kind: list[np.ndarray] = []

    def add(self, mask: np.ndarray, column: str, reason, kind: str) -> None:
        """``reason``: a string, an array aligned with the table, or a callable ``f(indices)``
        returning one reason per index (so reasons are only built for the rows that fail)."""
        mask = np.asarray(mask, dtype=bool)
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        self.pos.append(idx)
        self.col.append(np.full(len(idx), column, dtype=object))
        if isinstance(reason, str):
            self.reason.append(np.full(len(idx), reason, dtype=object))
        elif callable(reason):
            self.reason.append(np.asarray(list(reason(idx)), dtype=object))
        else:
            self.reason.append(np.asarray(reason, dtype=object)[idx])
        self.kind.append(np.full(len(idx), kind, dtype=object))

    def positions(self) -> np.ndarray:
        return np.unique(np.concatenate(self.pos)) if self.pos else np.array([], dtype=np.int64)

    def frame(self) -> pd.DataFrame:
        if not self.pos:
            return pd.DataFrame({"pos": np.array([], dtype=np.int64), "column": [], "reason": [], "reason_kind": []})
        return pd.DataFrame(
            {
                "pos": np.concatenate(self.pos),
                "column": np.concatenate(self.col),
                "reason": np.concatenate(self.reason),
                "reason_kind": np.concatenate(self.kind),
            }
        )


def _blank(raw: pd.Series) -> np.ndarray:
    """True where a raw value is missing (None/NaN/empty/whitespace)."""
    isna = raw.isna().to_numpy()
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        s = raw.astype("string").str.strip()
        isna = isna | (s == "").fillna(True).to_numpy(dtype=bool)
    return isna


def _as_text(raw: pd.Series) -> pd.Series:
    """Stripped text as an object Series (NA for missing); object dtype keeps isin/map fast."""
    return raw.astype("string").str.strip().astype(object).where(raw.notna(), None)


def _in(values: pd.Series, allowed) -> np.ndarray:
    """Membership test by plain set lookup (pandas' Arrow-string isin is slow on millions of rows)."""
    allowed = set(allowed)
    return np.fromiter((v in allowed for v in values.to_numpy(dtype=object)), dtype=bool, count=len(values))


def _says(raw: pd.Series, column: str, what: str):
    """A lazy reason builder: ``column='value' what`` for the failing indices only."""
    values = raw.to_numpy(dtype=object)
    return lambda idx: (f"{column}={q}{what}" for q in _quote(values[idx]))


def _quote(values: pd.Series | np.ndarray, limit: int = 60) -> np.ndarray:
    out = []
    for v in np.asarray(values, dtype=object):
        s = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
        out.append(repr(s if len(s) <= limit else s[:limit] + "…"))
    return np.array(out, dtype=object)


def _parse_datetime(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        s = raw
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        return s.astype("datetime64[ns]")
    text = _as_text(raw)
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    bad = parsed.isna() & text.notna() & (text != "")
    if bad.any():
        parsed2 = pd.to_datetime(text[bad], format="mixed", errors="coerce", utc=True)
        parsed = parsed.copy()
        parsed[bad] = parsed2
    return parsed.dt.tz_localize(None).astype("datetime64[ns]")


def _normalize(src: Source, mapping: Mapping, now: pd.Timestamp, probs: _Problems) -> pd.DataFrame:
    t: Table = TABLES[src.table]
    frame = src.frame
    out: dict[str, pd.Series | np.ndarray] = {}
    value_maps = mapping.values.get(src.table, {})
    n = len(frame)
    for col in t.columns:
        if col.name not in frame.columns:
            continue
        raw = frame[col.name].reset_index(drop=True)
        if col.name in value_maps:
            vm = value_maps[col.name]
            txt = _as_text(raw)
            raw = txt.map(lambda v, vm=vm: vm.get(v, v) if v is not pd.NA else v)
        blank = _blank(raw)
        if col.required:
            probs.add(blank, col.name, "missing required value", "missing required value")
        if col.type == "str":
            vals = _as_text(raw).astype(object).copy()
            vals[blank] = None
            out[col.name] = vals.to_numpy(dtype=object)
        elif col.type == "enum":
            txt = _as_text(raw).str.lower()
            ok = _in(txt, col.values)
            bad = ~ok & ~blank
            probs.add(
                bad, col.name,
                _says(raw, col.name, f" is not one of {'|'.join(col.values)}"),
                "bad enum value",
            )
            vals = txt.astype(object).to_numpy(dtype=object, copy=True)
            vals[blank] = col.default
            vals[bad] = None
            out[col.name] = vals
        elif col.type == "bool":
            if pd.api.types.is_bool_dtype(raw.dtype):
                out[col.name] = raw.to_numpy(dtype=bool)
                continue
            txt = _as_text(raw).str.lower()
            is_t = _in(txt, _TRUE)
            is_f = _in(txt, _FALSE)
            bad = ~(is_t | is_f) & ~blank
            probs.add(bad, col.name, _says(raw, col.name, " is not a yes/no value"), "bad yes/no value")
            vals = np.where(blank, bool(col.default) if col.default is not None else False, is_t)
            out[col.name] = vals.astype(bool)
        elif col.type == "datetime":
            parsed = _parse_datetime(raw)
            unparsable = parsed.isna().to_numpy() & ~blank
            probs.add(
                unparsable, col.name,
                _says(raw, col.name, " is not a valid date/time (use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)"),
                "impossible date",
            )
            too_old = (parsed < MIN_DATE).fillna(False).to_numpy(dtype=bool)
            probs.add(too_old, col.name, _says(raw, col.name, " is before 1970"), "impossible date")
            future = (parsed > now).fillna(False).to_numpy(dtype=bool)
            probs.add(future, col.name, _says(raw, col.name, " is in the future"), "impossible date")
            out[col.name] = parsed.to_numpy()
        elif col.type in ("int", "float"):
            num = pd.to_numeric(raw if not (raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype)) else _as_text(raw), errors="coerce")
            num = pd.Series(num, dtype="float64")
            bad = num.isna().to_numpy() & ~blank
            probs.add(bad, col.name, _says(raw, col.name, " is not a number"), "not a number")
            if col.type == "int":
                frac = (num.notna() & (num != np.floor(num))).to_numpy()
                probs.add(frac, col.name, _says(raw, col.name, " is not a whole number"), "not a number")
                neg = (num < 0).fillna(False).to_numpy(dtype=bool)
                probs.add(neg, col.name, _says(raw, col.name, " is negative"), "not a number")
                out[col.name] = pd.array(np.where(num.isna(), 0, num).astype("int64"), dtype="Int64")
                out[col.name][num.isna().to_numpy()] = pd.NA
            else:
                out[col.name] = num.to_numpy()
    res = pd.DataFrame(out, index=pd.RangeIndex(n))
    return res


def validate(
    sources: dict[str, Source],
    *,
    mapping: Mapping | None = None,
    lookup: Callable[[str, list[str]], pd.DataFrame] | None = None,
    now: pd.Timestamp | None = None,
) -> Validated:
    """Validate raw sources against the contract, collecting every problem.

    Parameters
    ----------
    sources
        Raw tables from :func:`graphcrm.loaders.read_sources`.
    mapping
        Value renames for enum/bool columns.
    lookup
        ``lookup(table, columns)`` returns those columns of a table already in the store
        (used to resolve references to rows loaded earlier).  None: an empty store.
    now
        Dates after ``now`` (plus one day of slack for time zones) are rejected as future dates.

    Returns
    -------
    Validated
        ``frames``: clean typed frames (accepted rows, contract columns present in the input);
        ``counts``: table, source_file, read, loaded, rejected; ``rejects``: the problems
        (see :class:`LoadReport`).

    Raises
    ------
    InputFileError
        A required column is missing from a file (nothing is loaded).
    """
    mapping = mapping or Mapping()
    now = (now or pd.Timestamp.now()) + pd.Timedelta(days=1)
    # file-level problems first: nothing is loaded if any file is unusable
    missing_msgs = []
    for name, src in sources.items():
        t = TABLES[name]
        missing = [c for c in t.required if c not in src.frame.columns]
        if missing:
            found = ", ".join(map(str, src.frame.columns)) or "(none)"
            extra = (" (ignored headers: " + ", ".join(src.ignored_columns) + ")") if src.ignored_columns else ""
            missing_msgs.append(
                f"{src.file}: missing required column(s) {', '.join(missing)} for table {name}; "
                f"found {found}{extra}. Rename the header(s) or map them in a mapping file "
                f"([{name}.columns] \"your header\" = \"{missing[0]}\")"
            )
    if missing_msgs:
        raise InputFileError("nothing was loaded:\n" + "\n".join(missing_msgs))

    frames: dict[str, pd.DataFrame] = {}
    probs: dict[str, _Problems] = {}
    for name in TABLES:
        if name not in sources:
            continue
        p = _Problems()
        frames[name] = _normalize(sources[name], mapping, now, p)
        probs[name] = p
        # duplicate keys within the input: first occurrence wins
        t = TABLES[name]
        df = frames[name]
        key_ok = np.ones(len(df), dtype=bool)
        for k in t.key:
            key_ok &= ~pd.isna(df[k]).to_numpy()
        if len(df):
            keyed = df.loc[key_ok, list(t.key)]
            dup = keyed.duplicated(keep="first")
            if dup.any():
                first_pos = keyed.reset_index().groupby(list(t.key), sort=False)["index"].transform("first")
                dpos = keyed.index.to_numpy()[dup.to_numpy()]
                first_rows = sources[name].rows[first_pos.to_numpy()[dup.to_numpy()]]
                mask = np.zeros(len(df), dtype=bool)
                mask[dpos] = True
                reasons = np.empty(len(df), dtype=object)
                reasons[dpos] = [f"duplicate key ({', '.join(t.key)}) first seen at row {r}" for r in first_rows]
                p.add(mask, ",".join(t.key), reasons, "duplicate key")

    # references, in contract order (referenced tables come first)
    accepted_keys: dict[str, pd.Index] = {}
    rejected_keys: dict[str, set] = {}

    def key_index(tname: str, col: str) -> pd.Index:
        own = accepted_keys.get(tname)
        stored = lookup(tname, [col])[col] if lookup is not None else pd.Series([], dtype=object)
        parts = [pd.Index(stored.astype(object))]
        if own is not None:
            parts.append(own)
        return parts[0].append(parts[1:]) if len(parts) > 1 else parts[0]

    for name in TABLES:
        if name not in frames:
            continue
        t = TABLES[name]
        df = frames[name]
        p = probs[name]
        for col, rtable, rcol in t.references:
            known = key_index(rtable, rcol)
            vals = pd.Series(df[col].to_numpy(dtype=object))
            present = ~pd.isna(vals).to_numpy()
            ok = _in(vals, known.to_numpy(dtype=object))
            bad = present & ~ok
            if bad.any():
                rej = rejected_keys.get(rtable, set())
                where = sources[rtable].file if rtable in sources else f"{rtable} input"
                reasons = np.empty(len(df), dtype=object)
                for i in np.flatnonzero(bad):
                    v = vals.iat[i]
                    if v in rej:
                        reasons[i] = f"{col}={v!r}: that {rtable} row was rejected in this load"
                    else:
                        reasons[i] = f"unknown {col}={v!r}: not in {where} nor in the store"
                p.add(bad, col, reasons, "unknown reference")
        if name == "interactions" and len(df):
            posts = lookup("posts", ["post_id", "created_at"]) if lookup is not None else None
            parts = [x for x in (posts, frames.get("posts")) if x is not None and len(x)]
            if parts and "created_at" in df:
                pc = pd.concat([x[["post_id", "created_at"]] for x in parts]).drop_duplicates("post_id", keep="last")
                post_time = df["post_id"].map(pc.set_index("post_id")["created_at"])
                early = (df["created_at"] < post_time - pd.Timedelta(minutes=1)).fillna(False).to_numpy(dtype=bool)
                p.add(early, "created_at", "interaction dated before its post was created", "impossible date")
        bad_pos = p.positions()
        keep = np.ones(len(df), dtype=bool)
        keep[bad_pos] = False
        if len(t.key) == 1:
            k = t.key[0]
            accepted_keys[name] = pd.Index(df.loc[keep, k].astype(object))
            rejected_keys[name] = set(df.loc[~keep, k].dropna()) - set(accepted_keys[name])

    # assemble
    counts_rows = []
    reject_parts = []
    clean: dict[str, pd.DataFrame] = {}
    for name in frames:
        src = sources[name]
        df = frames[name]
        p = probs[name]
        bad_pos = p.positions()
        keep = np.ones(len(df), dtype=bool)
        keep[bad_pos] = False
        clean[name] = df.loc[keep].reset_index(drop=True)
        counts_rows.append(
            {"table": name, "source_file": src.file, "read": len(df), "loaded": int(keep.sum()), "rejected": int(len(bad_pos))}
        )
        pf = p.frame()
        if len(pf):
            raw = src.frame.reset_index(drop=True)
            cols = list(raw.columns)
            values = {}
            for pos in np.unique(pf["pos"].to_numpy()):
                row = raw.iloc[pos]
                values[pos] = json.dumps({c: (None if pd.isna(row[c]) else str(row[c])) for c in cols}, ensure_ascii=False)
            pf = pf.sort_values(["pos", "column"], kind="stable")
            reject_parts.append(
                pd.DataFrame(
                    {
                        "table": name,
                        "source_file": src.file,
                        "row": src.rows[pf["pos"].to_numpy()],
                        "column": pf["column"].to_numpy(),
                        "reason": pf["reason"].to_numpy(),
                        "values": [values[x] for x in pf["pos"].to_numpy()],
                        "reason_kind": pf["reason_kind"].to_numpy(),
                    }
                )
            )
    counts = pd.DataFrame(counts_rows, columns=["table", "source_file", "read", "loaded", "rejected"])
    rejects = (
        pd.concat(reject_parts, ignore_index=True)
        if reject_parts
        else pd.DataFrame({c: [] for c in REJECT_COLUMNS + ["reason_kind"]})
    )
    rejects["row"] = rejects["row"].astype("int64")
    ignored = {name: src.ignored_columns for name, src in sources.items() if src.ignored_columns}
    return Validated(clean, counts, rejects, ignored)
