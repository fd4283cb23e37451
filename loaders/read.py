"""Reading raw tables from a folder of CSV/Parquet files or from pandas DataFrames."""
from __future__ import annotations

import codecs
import io
import os
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from graphcrm.contract import TABLES
from graphcrm.errors import InputFileError
from graphcrm.loaders.mapping import Mapping

#: encodings tried in order when none is given: UTF-8 (with or without BOM), then GB18030,
#: the superset of GBK/GB2312 that Excel uses when saving CSV on a Chinese Windows.
AUTO_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass
class Source:
    """One raw input table, columns already renamed onto the contract.

    ``frame`` holds the raw values (strings for CSV); ``rows`` the row number a user sees
    (CSV: the spreadsheet row, header = row 1, so the first data row is 2; DataFrame: position).
    """

    table: str
    frame: pd.DataFrame
    file: str
    rows: np.ndarray
    encoding: str | None = None
    ignored_columns: list[str] = field(default_factory=list)
    #: row-level problems found while reading (a row cut short, too many fields, a NUL byte,
    #: undecodable bytes): ``(position, column, reason, reason_kind)`` with ``position`` the
    #: 0-based index into ``frame``; :func:`graphcrm.loaders.validate` rejects those rows.
    problems: list[tuple[int, str, str, str]] = field(default_factory=list)
    #: how many id values reading or validation changed (normalised), per column
    normalized_ids: dict[str, int] = field(default_factory=dict)


def decode_bytes(data: bytes, *, file: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode file bytes: with ``encoding``, or trying UTF-8 (BOM or not) then GB18030.

    Returns the text and the encoding used.

    Raises
    ------
    InputFileError
        The bytes are not valid in the given encoding (or in any auto-detected one).
    """
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputFileError(f"{file}: unknown encoding {encoding!r} (try utf-8 or gb18030)") from None
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputFileError(
                f"{file}: bytes at line {line} are not valid {encoding} ({exc.reason}); "
                f"save the file as UTF-8, or pass the encoding it was saved in (e.g. --encoding gb18030)"
            ) from None
        return text.lstrip("\ufeff"), encoding
    for enc in AUTO_ENCODINGS:
        try:
            return data.decode(enc), ("utf-8" if enc == "utf-8-sig" else enc)
        except UnicodeDecodeError:
            continue
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
    raise InputFileError(
        f"{file}: cannot decode the bytes at line {line} as UTF-8 or GB18030/GBK; "
        f"save the file as UTF-8 or pass its encoding with --encoding"
    )


def _norm_header(h: object) -> str:
    return str(h).replace("\ufeff", "").strip()


def _rename(frame: pd.DataFrame, table: str, mapping: Mapping, file: str) -> tuple[pd.DataFrame, list[str]]:
    """Rename headers onto the contract; return the frame (contract columns only) and ignored headers."""
    contract = TABLES[table].column_names
    user_map = {_norm_header(k): v for k, v in mapping.columns.get(table, {}).items()}
    lower_contract = {c.lower(): c for c in contract}
    rename: dict[object, str] = {}
    ignored: list[str] = []
    seen: dict[str, str] = {}
    for col in frame.columns:
        h = _norm_header(col)
        target = user_map.get(h) or lower_contract.get(h.lower())
        if target is None:
            ignored.append(h)
            continue
        if target in seen:
            raise InputFileError(
                f"{file}: both columns {seen[target]!r} and {h!r} map to {target!r}; keep one or fix the mapping"
            )
        seen[target] = h
        rename[col] = target
    out = frame[list(rename)].rename(columns=rename)
    return out, ignored


def _read_csv(path: Path, encoding: str | None) -> tuple[pd.DataFrame, str]:
    text, used = decode_bytes(path.read_bytes(), file=str(path), encoding=encoding)
    if not text.strip():
        raise InputFileError(f"{path}: the file is empty (it needs at least a header row)")
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False, skipinitialspace=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(f"{path}: not a readable CSV file ({exc}); check the delimiter and quoting") from None
    return frame, used


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types
        raise InputFileError(f"{path}: not a readable Parquet file ({exc})") from None


def _find_file(folder: Path, table: str, mapping: Mapping) -> Path | None:
    if table in mapping.files:
        p = folder / mapping.files[table]
        if not p.is_file():
            raise InputFileError(f"mapping says table {table} is in {p}, but that file does not exist")
        return p
    for ext in (".csv", ".parquet", ".CSV", ".pq"):
        p = folder / f"{table}{ext}"
        if p.is_file():
            return p
    return None


def read_sources(
    source: str | os.PathLike | AbcMapping[str, pd.DataFrame],
    *,
    mapping: Mapping,
    encoding: str | None = None,
) -> tuple[dict[str, Source], list[str]]:
    """Read every contract table present in ``source``.

    Parameters
    ----------
    source
        A folder holding ``owners.csv``/``owners.parquet`` etc. (or the files named in the mapping),
        a single CSV/Parquet file named after its table, or a dict ``{table: DataFrame}``.
    mapping
        Column and value renames (see :mod:`graphcrm.loaders.mapping`).
    encoding
        Force a CSV encoding; by default UTF-8 (with or without BOM) then GB18030 are tried.

    Returns
    -------
    (sources, ignored_files)
        ``sources`` maps table name to :class:`Source`; ``ignored_files`` lists files in the folder
        that hold no contract table (reported to the user, never read).

    Raises
    ------
    InputFileError
        The folder does not exist or holds no table, a file cannot be decoded or parsed.
    """
    sources: dict[str, Source] = {}
    ignored_files: list[str] = []
    if isinstance(source, AbcMapping):
        unknown = [k for k in source if k not in TABLES]
        if unknown:
            raise InputFileError(f"unknown table name(s) {unknown}; the tables are {', '.join(TABLES)}")
        for table, frame in source.items():
            if not isinstance(frame, pd.DataFrame):
                raise InputFileError(f"table {table}: expected a pandas DataFrame, got {type(frame).__name__}")
            name = f"<DataFrame {table}>"
            renamed, ignored = _rename(frame.reset_index(drop=True), table, mapping, name)
            sources[table] = Source(table, renamed, name, np.arange(len(frame)), None, ignored)
        return sources, ignored_files

    path = Path(source)
    if path.is_file():
        stem = path.stem
        table = next((t for t, f in mapping.files.items() if Path(f).name == path.name), stem)
        if table not in TABLES:
            raise InputFileError(
                f"{path}: the file name must be a table name ({', '.join(TABLES)}) or be named in the mapping"
            )
        files = {table: path}
        folder = path.parent
    elif path.is_dir():
        folder = path
        files = {}
        for table in TABLES:
            p = _find_file(folder, table, mapping)
            if p is not None:
                files[table] = p
        used = {p.name for p in files.values()}
        ignored_files = sorted(
            p.name for p in folder.iterdir() if p.is_file() and p.name not in used and not p.name.startswith(".")
        )
        if not files:
            raise InputFileError(
                f"{folder}: no table files found; expected some of "
                + ", ".join(f"{t}.csv" for t in TABLES)
                + " (or name your files in a mapping file's [table] file = ...)"
            )
    else:
        raise InputFileError(f"{path}: no such file or folder")

    for table, p in files.items():
        if p.suffix.lower() in (".parquet", ".pq"):
            frame, used_enc = _read_parquet(p), None
        else:
            frame, used_enc = _read_csv(p, encoding)
        renamed, ignored = _rename(frame, table, mapping, str(p))
        rows = np.arange(len(frame)) + (2 if used_enc is not None else 0)
        sources[table] = Source(table, renamed, str(p), rows, used_enc, ignored)
    return sources, ignored_files
