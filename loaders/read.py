"""Reading raw tables: CSV/TSV/text exports, Excel workbooks, Parquet files, or pandas DataFrames.

Text files (``.csv``, ``.tsv``, ``.txt``) are decoded (UTF-8 with or without BOM, GB18030/GBK,
UTF-16/32 with a BOM, UTF-16 without one), their delimiter is detected (``,`` ``;`` tab ``|``
or an Excel ``sep=`` line) and they are parsed record by record so that every row keeps the
spreadsheet row it starts on and its own field count:

* a file that is partly UTF-8 and partly GB18030, duplicate header names, an unclosed quote or
  a binary file under a text name stop the load (:class:`~graphcrm.errors.InputFileError`);
* a row cut short, a row with too many fields, a repeated header row and a value holding a
  control character (NUL ...) are row problems in :attr:`Source.problems`, which
  :func:`graphcrm.loaders.validate` turns into per-row rejects;
* rows whose every field is empty are skipped (they hold nothing to load or reject).

Workbooks (``.xlsx``, ``.xlsm``, ``.xlsb``, ``.xls``, ``.ods``) are read with python-calamine:
a workbook named after a table, or any workbook whose sheets are named like tables, or the
file/sheet a mapping names.  Cells are read as the text a CSV export would hold.
"""
from __future__ import annotations

import codecs
import csv
import datetime as _dt
import io
import math
import os
import re
from collections.abc import Iterator, Mapping as AbcMapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphcrm.contract import TABLES
from graphcrm.errors import InputFileError
from graphcrm.loaders.mapping import Mapping

#: encodings tried in order when none is given and the file has no byte-order mark: UTF-8, then
#: GB18030, the superset of GBK/GB2312 that Excel uses when saving CSV on a Chinese Windows.
AUTO_ENCODINGS = ("utf-8-sig", "gb18030")
#: delimiters recognised in a text file's header line (first wins a tie)
DELIMITERS = (",", "\t", ";", "|")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + PARQUET_SUFFIXES + WORKBOOK_SUFFIXES

#: reason_kind of the row problems found while reading
MALFORMED_ROW = "malformed row"
BAD_CHARACTERS = "bad characters"

#: control characters that never belong in exported text (tab, LF and CR do)
_CTRL_PATTERN = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_CTRL = re.compile(_CTRL_PATTERN)
_NOT_CTRL = bytes(b for b in range(256) if not (b < 32 and b not in (9, 10, 13)))
_STR_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)  # what read_csv(dtype=str) gives
_DELIM_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe (|)"}
_GB_FAMILY = {"gb18030", "gbk", "gb2312", "hz"}


@dataclass
class Source:
    """One raw input table, columns already renamed onto the contract.

    ``frame`` holds the raw values (strings for CSV and workbooks); ``rows`` the row number a
    user sees (text files: the line a record starts on, header = row 1 when it is the first
    line; workbooks: the sheet row; Parquet and DataFrames: the 0-based position).
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
    #: the delimiter of a text file (None for other sources)
    delimiter: str | None = None
    #: the workbook sheet the table was read from (None for other sources)
    sheet: str | None = None


# ---- decoding -------------------------------------------------------------------------------
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32LE"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32BE"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16LE"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16BE"),
)
#: characters a UTF-8 line of a Chinese export plausibly holds (ASCII, Latin, CJK and their
#: punctuation, full-width forms, emoji); used to tell real UTF-8 text inside a GB18030 file
_PLAUSIBLE_UTF8 = re.compile(
    "[\x00-\x7f\u00a0-\u024f\u2000-\u206f\u2100-\u218f\u2460-\u24ff\u2e80-\u2fdf\u3000-\u30ff"
    "\u3100-\u312f\u3200-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\ufeff"
    "\uff00-\uffef\U0001f000-\U0001faff\U00020000-\U0002fa1f]*"
)


def _family(codec: str) -> str:
    """``utf-8``, ``utf-16``, ``utf-32`` or the codec itself (byte order and BOM aside)."""
    name = codecs.lookup(codec).name.replace("-sig", "")
    return name[:6] if name.startswith(("utf-16", "utf-32")) else name


def _bom(data: bytes) -> tuple[str, str] | None:
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            return codec, label
    return None


def _sniff_utf16(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when every other byte of the start is mostly NUL (no BOM)."""
    sample = data[:4096]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    z_even, z_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if z_odd >= 0.2 and z_even <= 0.05:
        return "utf-16-le"
    if z_even >= 0.2 and z_odd <= 0.05:
        return "utf-16-be"
    return None


def _line_of(data: bytes, pos: int, codec: str = "ascii") -> int:
    """1-based line holding byte ``pos`` (newline counted in ``codec``)."""
    if codec.startswith(("utf-16", "utf-32")):
        return data[:pos].decode(codec, "replace").count("\n") + 1
    return data[:pos].count(b"\n") + 1


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def _is_utf8_line(line: str) -> bool:
    """Whether a line (valid UTF-8, not ASCII) is UTF-8 text rather than GB18030 bytes that
    happen to be valid UTF-8: it holds a character above U+07FF, every character is one a
    Chinese export holds, and read as GB18030 it is garbled (undecodable, or holding characters
    outside GB2312, as UTF-8 '北京' read as GB18030 gives '鍖椾含')."""
    if max(line) < "\u0800" or _PLAUSIBLE_UTF8.fullmatch(line) is None:
        return False
    try:
        as_gb = line.encode("utf-8").decode("gb18030")
    except UnicodeDecodeError:
        return True
    return any(ch > "\x7f" and not _in_gb2312(ch) for ch in as_gb)


def _encoding_census(data: bytes) -> tuple[int, int, int, int]:
    """``(n_utf8, first_utf8, n_other, first_other)``: lines that are UTF-8 text and lines that
    are not valid UTF-8 (0 = none).  LF never occurs inside a UTF-8/GB18030 character, so lines
    can be judged one by one."""
    n_u = first_u = n_o = first_o = 0
    for i, line in enumerate(data.decode("utf-8", "replace").split("\n"), 1):
        if line.isascii():
            continue
        if "\ufffd" in line:
            n_o += 1
            first_o = first_o or i
        elif _is_utf8_line(line):
            n_u += 1
            first_u = first_u or i
    return n_u, first_u, n_o, first_o


def _mixed_error(data: bytes, file: str, census: tuple[int, int, int, int], *, other: str = "gb18030") -> InputFileError:
    n_u, first_u, n_o, first_o = census
    try:
        data.split(b"\n", first_o)[first_o - 1].decode(other)
        what = f"which reads as {'GB18030/GBK' if other == 'gb18030' else other}"
    except UnicodeDecodeError:
        what = f"which is not valid {'GB18030/GBK' if other == 'gb18030' else other} either: damaged bytes?"
    return InputFileError(
        f"{file}: mixed text encodings: {n_u:,} line(s) are UTF-8 (first: line {first_u}) but "
        f"{n_o:,} line(s) are not (first: line {first_o}, {what}). Read as one encoding "
        f"the other lines would be garbled (UTF-8 '北京' read as GB18030 shows '鍖椾含'), so nothing "
        f"was loaded. Re-save the whole file in one encoding (UTF-8) and load it again"
    )


def decode_bytes(data: bytes, *, file: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode a text file's bytes, detecting the encoding unless ``encoding`` is given.

    Detection: a byte-order mark (UTF-8, UTF-16LE/BE, UTF-32) decides; without one, a start
    whose every other byte is NUL is UTF-16 (LE or BE); otherwise UTF-8, then GB18030.  A file
    that is valid UTF-8 in some lines and not in others (two exports joined, or a UTF-8 file
    with a GB18030 part) is refused rather than decoded into mojibake.

    Parameters
    ----------
    data
        The file's bytes.
    file
        The file name, for messages.
    encoding
        Force an encoding (any Python codec name: ``utf-8``, ``gb18030``, ``utf-16`` ...).
        A GB18030/GBK file holding UTF-8 lines is refused even then.

    Returns
    -------
    (text, encoding)
        The text (without byte-order mark) and the codec used (``utf-8``, ``gb18030``,
        ``utf-16``, ``utf-16-le``, ``utf-16-be``, ``utf-32`` or the one given).

    Raises
    ------
    InputFileError
        The bytes are not valid in the given or detected encoding, mix UTF-8 with another
        encoding, or the encoding name is unknown; the message names the file, the encoding(s)
        seen and the first bad line.

    Examples
    --------
    >>> decode_bytes("a,城市\\n".encode("gb18030"), file="x.csv")
    ('a,城市\\n', 'gb18030')
    >>> decode_bytes("a\\tb\\n".encode("utf-16"), file="x.txt")[1]
    'utf-16'
    """
    bom = _bom(data)
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise InputFileError(f"{file}: unknown encoding {encoding!r} (try utf-8, gb18030 or utf-16)") from None
        if bom is not None and _family(bom[0]) != _family(name):
            raise InputFileError(
                f"{file}: the file starts with a {bom[1]} byte-order mark but encoding {encoding!r} was given; "
                f"load it without --encoding (it is detected) or pass --encoding {bom[0].replace('-sig', '')}"
            )
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            line = _line_of(data, exc.start, name)
            raise InputFileError(
                f"{file}: bytes at line {line} are not valid {encoding} ({exc.reason}); "
                f"save the file as UTF-8, or pass the encoding it was saved in (e.g. --encoding gb18030)"
            ) from None
        if name in _GB_FAMILY:
            census = _encoding_census(data)
            if census[0] and census[2]:
                raise _mixed_error(data, file, census, other=encoding)
        return text.lstrip("\ufeff"), encoding

    sniffed = None if bom is not None else _sniff_utf16(data)
    if bom is not None or sniffed is not None:
        codec, label = bom if bom is not None else (sniffed, sniffed.upper().replace("UTF-16-", "UTF-16"))
        how = "starts with a byte-order mark" if bom is not None else "has a NUL in every other byte"
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            raise InputFileError(
                f"{file}: the file {how}, so it is {label} text, but the bytes at line "
                f"{_line_of(data, exc.start, codec)} are not valid {label} ({exc.reason}); "
                f"re-save it (Excel: CSV UTF-8) or pass --encoding"
            ) from None
        return text.lstrip("\ufeff"), ("utf-8" if codec == "utf-8-sig" else codec)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_bad = _line_of(data, exc.start)
    census = _encoding_census(data)
    if census[0]:
        raise _mixed_error(data, file, census)
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        gb_bad = _line_of(data, exc.start)
    raise InputFileError(
        f"{file}: cannot decode the file: the bytes at line {utf8_bad} are not UTF-8 and those at line "
        f"{gb_bad} are not GB18030/GBK; save the file as UTF-8 or pass its encoding with --encoding"
    )


# ---- text files: records, fields, line numbers -----------------------------------------------
@dataclass
class _Parsed:
    """A table as parsed: header, one string array per header field, and per row its number."""

    header: list[str]
    columns: list[pa.ChunkedArray]
    rows: np.ndarray
    #: (position, reason) of rows whose shape is wrong (field count, repeated header)
    malformed: list[tuple[int, str]] = field(default_factory=list)
    #: header names of data found beyond the header's last column (workbooks)
    extra_columns: list[str] = field(default_factory=list)


def _refuse_binary(path: Path, data: bytes) -> None:
    """A workbook, Parquet or compressed file under a text name is an error saying what it is."""
    head = data[:8]
    stem = path.stem
    if head.startswith(b"PK\x03\x04"):
        raise InputFileError(
            f"{path}: this is a zip file, not text - most likely an Excel workbook saved with a "
            f"{path.suffix} name. Rename it to {stem}.xlsx (graphcrm reads workbooks) or save it as CSV"
        )
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise InputFileError(
            f"{path}: this is an Excel 97-2003 workbook (or an encrypted one), not text. "
            f"Rename it to {stem}.xls (graphcrm reads workbooks) or save it as CSV UTF-8"
        )
    if head.startswith(b"PAR1"):
        raise InputFileError(f"{path}: this is a Parquet file, not text; rename it to {stem}.parquet")
    if head.startswith(b"\x1f\x8b"):
        raise InputFileError(f"{path}: this file is gzip-compressed; unpack it first")


def _outside_quotes(line: str) -> str:
    return re.sub(r'"[^"]*"', "", line)


def _sniff_delimiter(text: str) -> str:
    """The delimiter of a text table, from its first non-blank line (the header).

    The candidate (``,`` tab ``;`` ``|``) found most often outside quotes in the header wins;
    on a tie the one whose count is the same on the next lines; no candidate: a one-column file.
    """
    lines = io.StringIO(text[:1_000_000], newline=None).readlines()[:51]
    lines = [ln for ln in lines if ln.strip()]
    if not lines:
        return ","
    head = _outside_quotes(lines[0])
    counts = {d: head.count(d) for d in DELIMITERS}
    best = max(counts.values())
    if best == 0:
        return ","
    tied = [d for d in DELIMITERS if counts[d] == best]
    if len(tied) == 1:
        return tied[0]
    rest = [_outside_quotes(ln) for ln in lines[1:]]
    return max(tied, key=lambda d: sum(ln.count(d) == best for ln in rest))


def _split_one(raw: bytes | str, delim: str) -> list[str]:
    """Fields of one record (its text may span lines inside quotes)."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    rec = next(csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=False), [])
    return rec


COMPILED_SCAN_BYTES = 16 << 20
"""Files of at least this many bytes are scanned by the compiled one-pass scan
(``graphcrm.loaders._scan``, the same arrays; it needs numba, which smaller files do not load)."""


def _scan_records(a: np.ndarray, delim: str):
    """Record boundaries of RFC-4180 text held as UTF-8 bytes (see :func:`_scan_records_vectorised`):
    the compiled one-pass scan for buffers of at least :data:`COMPILED_SCAN_BYTES`, else vectorised."""
    if len(a) >= COMPILED_SCAN_BYTES:
        from graphcrm.loaders._scan import scan_records

        return scan_records(a, delim)
    return _scan_records_vectorised(a, delim)


def _scan_records_vectorised(a: np.ndarray, delim: str):
    """Vectorised record boundaries of RFC-4180 text held as UTF-8 bytes.

    Returns ``(starts, ends, first_line, last_line, n_fields, multiline)`` for every non-empty
    record (``ends`` exclusive, before the line terminator), or None when the quoting is not
    regular (a quote inside an unquoted value, text after a closing quote, an odd number of
    quotes): the caller then parses with the csv module.
    """
    n = len(a)
    lf = np.flatnonzero(a == 10)
    cr = np.flatnonzero(a == 13)
    if len(cr):
        after = np.minimum(cr + 1, n - 1)
        lone = cr[(cr + 1 >= n) | (a[after] != 10)]
        terms = np.union1d(lf, lone) if len(lone) else lf
    else:
        terms = lf
    dl = ord(delim)
    is_q = a == 34
    multiline = False
    if is_q.any():
        # quote parity: 1 from an opening quote up to (not including) its closing quote
        par = np.bitwise_xor.accumulate(is_q.view(np.uint8))
        if par[-1]:
            return None  # an odd number of quotes
        # a quote that opens (parity 1) must start a value or be the second quote of an escaped
        # "" pair; one that closes must end the value or be the first of such a pair
        spec = (a == dl) | (a == 10) | (a == 13) | is_q
        odd = par.view(bool)
        bad_open = is_q[1:] & odd[1:] & ~spec[:-1]
        bad_close = is_q[:-1] & ~odd[:-1] & ~spec[1:]
        if bad_open.any() or bad_close.any() or (is_q[0] and not odd[0]):
            return None
        del spec, bad_open, bad_close, is_q
        inside = par[terms] == 1
        multiline = bool(inside.any())
        bounds = terms[~inside]
        d = np.flatnonzero((a == dl) & ~odd)
        del par, odd
    else:
        bounds = terms
        d = np.flatnonzero(a == dl)
    starts = np.concatenate(([0], bounds + 1)).astype(np.int64)
    ends = np.concatenate((bounds, [n])).astype(np.int64)
    # a CRLF terminator: the record ends before the CR
    crlf = (ends < n) & (ends > starts)
    crlf[crlf] = a[ends[crlf] - 1] == 13
    ends = ends - crlf
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    first_line = np.searchsorted(terms, starts) + 1
    last_line = np.searchsorted(terms, ends) + 1
    n_fields = np.searchsorted(d, ends) - np.searchsorted(d, starts) + 1
    return starts, ends, first_line, last_line, n_fields, multiline


def _parse_fast(buf: bytes, delim: str, file: str) -> _Parsed | None:
    """Parse with the vectorised record scan plus pyarrow's CSV reader; None: use the csv module."""
    import pyarrow.csv as pacsv

    a = np.frombuffer(buf, dtype=np.uint8)
    scan = _scan_records(a, delim)
    if scan is None:
        return None
    starts, ends, first_line, last_line, n_fields, multiline = scan
    del scan
    h = 0
    while h < len(starts) and not any(f.strip() for f in _split_one(buf[starts[h]:ends[h]], delim)):
        h += 1
    if h == len(starts):
        return _Parsed([], [], np.array([], dtype=np.int64))
    header = _split_one(buf[starts[h]:ends[h]], delim)
    ncol = len(header)
    if n_fields[h] != ncol:
        return None
    starts, ends, first_line, last_line, n_fields = (x[h + 1:] for x in (starts, ends, first_line, last_line, n_fields))
    if not len(starts):
        return _Parsed(header, [pa.chunked_array([], pa.large_string()) for _ in header], np.array([], dtype=np.int64))
    good = n_fields == ncol
    # only the rows of the wrong shape need their bounds from here on: free the rest before
    # pyarrow parses (five int64 arrays per record: ~0.9 GB for 22M interactions)
    bad = np.flatnonzero(~good)
    bad_at = [(int(starts[i]), int(ends[i]), int(first_line[i]), int(last_line[i])) for i in bad]
    first_start = int(starts[0])
    del starts, ends, last_line, n_fields
    invalid: list[int] = []
    names = [f"f{i}" for i in range(ncol)]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(buf).slice(first_start)),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=True, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(
                delimiter=delim, quote_char='"', double_quote=True, escape_char=False,
                newlines_in_values=multiline, ignore_empty_lines=True,
                invalid_row_handler=lambda row: invalid.append(1) or "skip",
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.large_string() for c in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if table.num_rows != int(good.sum()) or len(invalid) != int((~good).sum()):
        return None  # pyarrow and the scan disagree: let the csv module decide
    cols = [table.column(i) for i in range(ncol)]
    del table
    malformed: list[tuple[int, str]] = []
    if len(bad):
        bad_rows = []
        for i, (start, end, first, last) in zip(bad, bad_at):
            fields = _split_one(buf[start:end], delim)
            malformed.append((int(i), _shape_reason(len(fields), header, delim, first, last, file)))
            bad_rows.append((fields + [""] * ncol)[:ncol])
        order = np.argsort(np.concatenate((np.flatnonzero(good), bad)), kind="stable")
        cols = [
            pa.chunked_array(list(c.chunks) + [pa.array([r[j] for r in bad_rows], pa.large_string())], pa.large_string()).take(order)
            for j, c in enumerate(cols)
        ]
    return _Parsed(header, cols, first_line.astype(np.int64, copy=False), malformed)


def _shape_reason(k: int, header: list[str], delim: str, first: int, last: int, file: str) -> str:
    """Why a record with ``k`` fields under a header of ``len(header)`` is malformed."""
    n = len(header)
    if last > first:
        raise InputFileError(
            f"{file}: the row starting on line {first} runs to line {last} inside a quoted value and then has "
            f"{k} fields instead of {n}: a quote (\") is missing or extra near line {first}, so the lines "
            f"in between would be read as one value. Fix the quoting and load again"
        )
    if k < n:
        missing = [h.strip() or f"column {j + 1}" for j, h in enumerate(header[k:], start=k)]
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        return f"row has {k} of the {n} fields the header names (cut short?): {shown} missing"
    return (
        f"row has {k} fields but the header names {n} (a value holding an unquoted "
        f"{_DELIM_NAMES.get(delim, repr(delim))}, or a shifted row?)"
    )


def _parse_python(text: str, delim: str, file: str, *, irregular: bool = True) -> _Parsed:
    """The reference parser (csv module, record by record); slower, used when the quoting is irregular.

    With ``irregular`` (a quote inside an unquoted value, text after a closing quote), a row
    running over several lines is refused: it most likely swallowed the rows in between.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=False)
    recs: list[list[str]] = []
    first: list[int] = []
    last: list[int] = []
    prev = 0
    try:
        for rec in reader:
            if rec:
                recs.append(rec)
                first.append(prev + 1)
                last.append(reader.line_num)
            prev = reader.line_num
    except csv.Error as exc:
        raise InputFileError(
            f"{file}: line {prev + 1}: {exc} - a quoted value that never ends? Fix the quoting and load again"
        ) from None
    if recs and last[-1] > first[-1]:
        tail = "".join(io.StringIO(text, newline="").readlines()[first[-1] - 1:])
        try:
            list(csv.reader(io.StringIO(tail, newline=""), delimiter=delim, strict=True))
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise InputFileError(
                    f"{file}: the quoted value that starts on line {first[-1]} is never closed: every line "
                    f"after it would be read as one value. Add the missing quote (\") and load again"
                ) from None
    h = 0
    while h < len(recs) and not any(f.strip() for f in recs[h]):
        h += 1
    if h == len(recs):
        return _Parsed([], [], np.array([], dtype=np.int64))
    header = recs[h]
    ncol = len(header)
    body, first, last = recs[h + 1:], first[h + 1:], last[h + 1:]
    malformed = []
    for i, rec in enumerate(body):
        if irregular and last[i] > first[i] and len(rec) == ncol:
            raise InputFileError(
                f"{file}: the row starting on line {first[i]} runs to line {last[i]} inside a quoted value, and "
                f"the file's quoting is irregular (a quote inside a value that is not quoted, or text after a "
                f"closing quote), so the lines in between were probably rows. Fix the quotes (\") near line "
                f"{first[i]} and load again"
            )
        if len(rec) != ncol:
            malformed.append((i, _shape_reason(len(rec), header, delim, first[i], last[i], file)))
            body[i] = (rec + [""] * ncol)[:ncol]
    cols = [pa.chunked_array([pa.array([r[j] for r in body], pa.large_string())]) for j in range(ncol)]
    return _Parsed(header, cols, np.asarray(first, dtype=np.int64), malformed)


def _read_text(path: Path, encoding: str | None) -> tuple[_Parsed, str, str, bool]:
    """Decode, find the delimiter and parse a text table.

    Returns (parsed, encoding, delimiter, has_control_characters).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    _refuse_binary(path, data)
    # a UTF-8 byte-order mark at the start of a later line: files joined together
    if b"\n\xef\xbb\xbf" in data or b"\r\xef\xbb\xbf" in data:
        data = data.replace(b"\n\xef\xbb\xbf", b"\n").replace(b"\r\xef\xbb\xbf", b"\r")
    text, used = decode_bytes(data, file=str(path), encoding=encoding)
    if used == "utf-8":
        del text  # decoding was the check: the bytes are the text (the str was ~1 GB for 22M interactions)
        buf = data[3:] if data.startswith(codecs.BOM_UTF8) else data  # the same text, no re-encoding
    else:
        text = text.replace("\n\ufeff", "\n").replace("\r\ufeff", "\r") if "\ufeff" in text else text
        buf = text.encode("utf-8")
        del text
    del data
    buf = buf.rstrip(b"\x1a")  # a DOS end-of-file mark
    if not buf[:65536].strip() and not buf.strip():
        raise InputFileError(f"{path}: the file is empty (it needs at least a header row)")
    m = re.match(rb'[ \t]*"?sep=([^\r\n"])"?[ \t]*(\r\n|\n|\r|$)', buf)
    if m:  # Excel's "sep=;" line: not part of the table, and not a row Excel shows
        delim = m.group(1).decode()
        buf = buf[m.end():]
    else:
        delim = _sniff_delimiter(buf[:1_000_000].decode("utf-8", "ignore"))
    # delete every byte that is not a control character: anything left is one
    has_ctrl = bool(buf.translate(None, _NOT_CTRL))
    parsed = _parse_fast(buf, delim, str(path))
    if parsed is None:
        parsed = _parse_python(buf.decode("utf-8"), delim, str(path))
    if not parsed.header:
        raise InputFileError(f"{path}: the file holds no header row (every line is empty)")
    return parsed, used, delim, has_ctrl


# ---- workbooks ---------------------------------------------------------------------------------
def _cell_text(v: object) -> str:
    """A workbook cell as the text a CSV export holds: integer-looking numbers as ``7`` (not
    ``7.0``), other numbers with Excel's 15 significant digits, dates as ``YYYY-MM-DD`` and
    date-times as ``YYYY-MM-DD HH:MM:SS``, booleans as ``true``/``false``."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return format(v, ".15g")
    if isinstance(v, _dt.datetime):
        return v.isoformat(sep=" ", timespec="microseconds" if v.microsecond else "seconds")
    if isinstance(v, (_dt.date, _dt.time)):
        return v.isoformat()
    return str(v)


def _col_letter(j: int) -> str:
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


class _Workbook:
    """A workbook opened once (python-calamine); its sheet names and sheets."""

    def __init__(self, path: Path):
        self.path = path
        with open(path, "rb") as fh:
            head = fh.read(8)
        if not (head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0")):
            hint = " It looks like text: rename it to .csv." if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head) else ""
            raise InputFileError(f"{path}: not an Excel/OpenDocument workbook (its bytes are not a workbook's).{hint}")
        try:
            import python_calamine

            self._fh = open(path, "rb")
            self._wb = python_calamine.CalamineWorkbook.from_filelike(self._fh)
            self.sheets = list(self._wb.sheet_names)
        except InputFileError:
            raise
        except Exception as exc:  # calamine raises several types (zip, xml, password ...)
            self.close()
            extra = " (is it password-protected? remove the password and save again)" if head.startswith(b"\xd0\xcf") and path.suffix.lower() != ".xls" else ""
            raise InputFileError(f"{path}: not a readable workbook{extra}: {exc}") from None

    def close(self) -> None:
        fh = getattr(self, "_fh", None)
        if fh is not None:
            fh.close()

    def find(self, name: str) -> str | None:
        """The sheet called ``name`` (exactly, else ignoring case and surrounding spaces)."""
        if name in self.sheets:
            return name
        key = name.strip().casefold()
        hits = [s for s in self.sheets if s.strip().casefold() == key]
        return hits[0] if len(hits) == 1 else None

    def read(self, sheet: str) -> _Parsed:
        """One sheet: the first non-empty row is the header; rows numbered as the sheet shows."""
        try:
            data = self._wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        except Exception as exc:
            raise InputFileError(f"{self.path}: sheet {sheet!r} cannot be read: {exc}") from None
        h = 0
        while h < len(data) and not any(c not in ("", None) and _cell_text(c).strip() for c in data[h]):
            h += 1
        if h == len(data):
            raise InputFileError(f"{self.path}: sheet {sheet!r} is empty (it needs at least a header row)")
        header = [_cell_text(c) for c in data[h]]
        while header and not header[-1].strip():
            header.pop()
        width = len(header)
        body = data[h + 1:]
        extra: list[str] = []
        if body and max(len(r) for r in body) > width:
            used = {j for r in body for j in range(width, len(r)) if r[j] not in ("", None)}
            extra = [f"(unnamed column {_col_letter(j)})" for j in sorted(used)]
        cols = []
        for j in range(width):
            vals = [r[j] if j < len(r) else "" for r in body]
            vals = [v if v.__class__ is str else _cell_text(v) for v in vals]
            cols.append(pa.chunked_array([pa.array(vals, pa.large_string())]))
        rows = np.arange(h + 2, h + 2 + len(body), dtype=np.int64)
        return _Parsed(header, cols, rows, [], extra)


# ---- from parsed text to a Source ------------------------------------------------------------
def _norm_header(h: object) -> str:
    return str(h).replace("\ufeff", "").strip()


def _plan_columns(headers: list, table: str, mapping: Mapping, file: str) -> tuple[list[tuple[int, str]], list[str]]:
    """Which header positions become which contract columns; the ignored headers.

    Raises InputFileError for a header name given twice and for two headers mapping onto one
    contract column.
    """
    contract = TABLES[table].column_names
    user_map = {_norm_header(k): v for k, v in mapping.columns.get(table, {}).items()}
    lower_contract = {c.lower(): c for c in contract}
    first_at: dict[str, int] = {}
    for j, col in enumerate(headers):
        h = _norm_header(col)
        if not h:
            continue
        if h in first_at:
            raise InputFileError(
                f"{file}: the header names {h!r} twice (columns {first_at[h] + 1} and {j + 1}); "
                f"rename or remove one - which of the two holds the {h} values cannot be guessed"
            )
        first_at[h] = j
    plan: list[tuple[int, str]] = []
    ignored: list[str] = []
    seen: dict[str, str] = {}
    for j, col in enumerate(headers):
        h = _norm_header(col)
        target = (user_map.get(h) or lower_contract.get(h.lower())) if h else None
        if target is None:
            ignored.append(h or f"(unnamed column {j + 1})")
            continue
        if target in seen:
            raise InputFileError(
                f"{file}: both columns {seen[target]!r} and {h!r} map to {target!r}; keep one or fix the mapping"
            )
        seen[target] = h
        plan.append((j, target))
    return plan, ignored


def _blank(col: pa.ChunkedArray, idx: np.ndarray) -> np.ndarray:
    """Of the rows ``idx``, the ones whose value in ``col`` is empty or only spaces."""
    vals = col.take(pa.array(idx)) if len(idx) != len(col) else col
    return np.asarray(pc.equal(pc.utf8_trim_whitespace(vals), "").to_numpy(zero_copy_only=False), dtype=bool)


def _finish(parsed: _Parsed, table: str, mapping: Mapping, file: str, *, check_ctrl: bool) -> tuple[pd.DataFrame, np.ndarray, list[str], list]:
    """Drop blank rows, flag repeated header rows and control characters, build the frame."""
    plan, ignored = _plan_columns(parsed.header, table, mapping, file)
    ignored += parsed.extra_columns
    cols, rows = list(parsed.columns), parsed.rows
    parsed.columns = []  # the columns are let go of one by one below, once in the frame
    n = len(rows)
    malformed = dict(parsed.malformed)
    if n and cols:
        # rows whose every field is empty: nothing to load or reject (Excel's trailing ,,,, rows)
        cand = np.arange(n)
        for c in cols:
            cand = cand[_blank(c, cand)]
            if not len(cand):
                break
        if len(cand):
            keep = np.ones(n, dtype=bool)
            keep[cand] = False
            new_pos = np.cumsum(keep) - 1
            kept = pa.array(np.flatnonzero(keep))
            cols = [c.take(kept) for c in cols]
            rows = rows[keep]
            malformed = {int(new_pos[p]): r for p, r in malformed.items() if keep[p]}
            n = len(rows)
        # a data row that repeats the header: files joined together (or a copy-paste)
        names = [_norm_header(h) for h in parsed.header]
        cand = np.flatnonzero(np.asarray(pc.equal(pc.utf8_trim_whitespace(cols[0]), names[0]).to_numpy(zero_copy_only=False), dtype=bool)) if n else []
        for j, c in enumerate(cols[1:], 1):
            if not len(cand):
                break
            vals = c.take(pa.array(cand))
            cand = cand[np.asarray(pc.equal(pc.utf8_trim_whitespace(vals), names[j]).to_numpy(zero_copy_only=False), dtype=bool)]
        for p in cand:
            malformed.setdefault(int(p), "this row repeats the header row (two files joined together?)")
    problems: list[tuple[int, str, str, str]] = [(p, "(row)", r, MALFORMED_ROW) for p, r in sorted(malformed.items())]
    data = {}
    uses = {}
    for j, _ in plan:
        uses[j] = uses.get(j, 0) + 1
    for j, target in plan:
        col = cols[j]
        uses[j] -= 1
        if not uses[j]:
            cols[j] = None
        if isinstance(col, pa.ChunkedArray) and col.num_chunks > 1:
            # one buffer per column (pyarrow's reader gives one chunk per 4 MiB block): later
            # whole-column steps then take the values without copying them again
            col = pa.chunked_array([col.combine_chunks()], type=col.type)
        if check_ctrl and n:
            hit = np.flatnonzero(np.asarray(pc.match_substring_regex(col, _CTRL_PATTERN).to_numpy(zero_copy_only=False), dtype=bool))
            for p in hit:
                problems.append((int(p), target, _ctrl_reason(target, col[int(p)].as_py()), BAD_CHARACTERS))
        data[target] = pd.array(col, dtype=_STR_DTYPE)
    frame = pd.DataFrame(data, index=pd.RangeIndex(n))
    return frame, rows, ignored, problems


def _ctrl_reason(column: str, value: str) -> str:
    m = _CTRL.search(value)
    code = ord(m.group()) if m else 0
    what = "a NUL character (U+0000)" if code == 0 else f"the control character U+{code:04X}"
    return f"{column} contains {what}: damaged data, or text read in the wrong encoding (UTF-16?)"


def _frame_problems(frame: pd.DataFrame) -> list[tuple[int, str, str, str]]:
    """Control characters in the text columns of a DataFrame or Parquet source."""
    out = []
    for col in frame.columns:
        s = frame[col]
        if not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
            continue
        try:
            arr = pa.array(s, type=pa.large_string(), from_pandas=True)
            mask = np.asarray(pc.fill_null(pc.match_substring_regex(arr, _CTRL_PATTERN), False), dtype=bool)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # an object column mixing text and other values
            mask = np.fromiter((isinstance(v, str) and _CTRL.search(v) is not None for v in s), dtype=bool, count=len(s))
        for p in np.flatnonzero(mask):
            out.append((int(p), str(col), _ctrl_reason(str(col), s.iat[int(p)]), BAD_CHARACTERS))
    return out


def _frame_source(frame: pd.DataFrame, table: str, mapping: Mapping, name: str) -> Source:
    frame = frame.reset_index(drop=True)
    plan, ignored = _plan_columns(list(frame.columns), table, mapping, name)
    out = frame.iloc[:, [j for j, _ in plan]].copy()
    out.columns = [t for _, t in plan]
    return Source(table, out, name, np.arange(len(frame)), None, ignored, problems=_frame_problems(out))


def _read_parquet(path: Path) -> tuple[pd.DataFrame, list[str]]:
    try:
        import pyarrow.parquet as pq

        schema = pq.read_schema(path)
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types
        raise InputFileError(f"{path}: not a readable Parquet file ({exc})") from None
    nested = [f.name for f in schema if pa.types.is_nested(f.type) or pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)]
    return frame, nested


# ---- finding the files -----------------------------------------------------------------------
@dataclass
class _Plan:
    table: str
    path: Path
    sheet: str | None = None  # workbooks: the sheet (resolved); None: choose by the rules


def _kind(p: Path) -> str | None:
    s = p.suffix.lower()
    if s in TEXT_SUFFIXES:
        return "text"
    if s in PARQUET_SUFFIXES:
        return "parquet"
    if s in WORKBOOK_SUFFIXES:
        return "workbook"
    return None


def _unsupported(p: Path, table: str) -> InputFileError:
    hint = ""
    if p.suffix.lower() in (".json", ".jsonl", ".ndjson"):
        hint = " (load JSON with pandas and pass the DataFrame to graphcrm's load())"
    elif p.suffix.lower() in (".numbers", ".et", ".wps"):
        hint = " (export it as .xlsx or CSV from the app that made it)"
    return InputFileError(
        f"{p}: looks like the {table} table, but {p.suffix or 'files without an extension'} cannot be read{hint}; "
        f"save it as CSV (UTF-8), an Excel workbook (.xlsx) or Parquet"
    )


def _choose_sheet(wb: _Workbook, table: str, wanted: str | None) -> str:
    if wanted is not None:
        got = wb.find(wanted)
        if got is None:
            raise InputFileError(
                f"{wb.path}: the mapping says table {table} is on sheet {wanted!r}, but the workbook's sheets are "
                + ", ".join(map(repr, wb.sheets))
            )
        return got
    got = wb.find(table)
    if got is not None:
        return got
    if len(wb.sheets) == 1:
        return wb.sheets[0]
    raise InputFileError(
        f"{wb.path}: the workbook has sheets {', '.join(map(repr, wb.sheets))} and none is named {table!r}; "
        f"rename the sheet that holds the table to {table}, or name it in a mapping file "
        f'([{table}] sheet = "{wb.sheets[0]}")'
    )


def _plan_workbook(wb: _Workbook, mapping: Mapping, *, named_for: str | None, taken: set[str]) -> list[_Plan]:
    """Tables in one workbook: ``named_for`` (the file is named after it or in the mapping), then
    every sheet named like a table not already ``taken``."""
    plans = []
    if named_for is not None:
        plans.append(_Plan(named_for, wb.path, _choose_sheet(wb, named_for, mapping.sheets.get(named_for))))
    used = {p.sheet for p in plans}
    for table in TABLES:
        if table in taken or any(p.table == table for p in plans):
            continue
        s = wb.find(table)
        if s is not None and s not in used:
            plans.append(_Plan(table, wb.path, s))
            used.add(s)
    return plans


def _plan_folder(folder: Path, mapping: Mapping, books: dict[Path, _Workbook]) -> tuple[list[_Plan], list[str]]:
    try:
        files = sorted(
            p for p in folder.iterdir()
            if p.is_file() and not p.name.startswith((".", "~$"))  # hidden files, Excel lock files
        )
    except OSError as exc:
        raise InputFileError(f"{folder}: cannot list the folder ({exc.strerror or exc})") from None

    def book(p: Path) -> _Workbook:
        if p not in books:
            books[p] = _Workbook(p)
        return books[p]

    plans: dict[str, _Plan] = {}
    for table in TABLES:
        if table in mapping.files:
            p = folder / mapping.files[table]
            if not p.is_file():
                raise InputFileError(f"mapping says table {table} is in {p}, but that file does not exist")
            if _kind(p) is None:
                raise _unsupported(p, table)
            sheet = _choose_sheet(book(p), table, mapping.sheets.get(table)) if _kind(p) == "workbook" else None
            plans[table] = _Plan(table, p, sheet)
            continue
        named = [p for p in files if p.stem.strip().casefold() == table]
        readable = [p for p in named if _kind(p) is not None]
        if len(readable) > 1:
            raise InputFileError(
                f"{folder}: both {' and '.join(p.name for p in readable)} hold table {table}; "
                f"keep one, or name the one to read in a mapping file ([{table}] file = \"{readable[0].name}\")"
            )
        if readable:
            p = readable[0]
            if _kind(p) == "workbook":
                plans[table] = _Plan(table, p, _choose_sheet(book(p), table, mapping.sheets.get(table)))
            else:
                if table in mapping.sheets:
                    raise InputFileError(f"the mapping names a sheet for table {table}, but {p} is not a workbook")
                plans[table] = _Plan(table, p)
        elif named:
            raise _unsupported(named[0], table)
    # workbooks whose sheets are named like tables (or hold a mapping's sheet)
    workbooks = [p for p in files if _kind(p) == "workbook"]
    for table in TABLES:
        if table in plans or table not in mapping.sheets:
            continue
        hits = [p for p in workbooks if book(p).find(mapping.sheets[table]) is not None]
        if len(hits) != 1:
            where = "no workbook in the folder has it" if not hits else "several workbooks have it: " + ", ".join(p.name for p in hits)
            raise InputFileError(
                f"{folder}: the mapping says table {table} is on sheet {mapping.sheets[table]!r}, but {where}; "
                f'name the workbook too ([{table}] file = "...")'
            )
        plans[table] = _Plan(table, hits[0], book(hits[0]).find(mapping.sheets[table]))
    explicit = set(mapping.files) | set(mapping.sheets)
    for p in workbooks:
        for extra in _plan_workbook(book(p), mapping, named_for=None, taken=set()):
            have = plans.get(extra.table)
            if have is None:
                plans[extra.table] = extra
            elif (have.path, have.sheet) != (extra.path, extra.sheet) and extra.table not in explicit:
                raise InputFileError(
                    f"{folder}: table {extra.table} is in {have.path.name}"
                    + (f" [sheet {have.sheet}]" if have.sheet else "")
                    + f" and in {p.name} [sheet {extra.sheet}]; keep one, or name the one to read in a mapping file"
                    f' ([{extra.table}] file = "..." and sheet = "...")'
                )
    used_files = {p.path for p in plans.values()}
    ignored = [p.name for p in files if p not in used_files]
    for p in sorted(used_files):
        if p in books:
            used_sheets = {pl.sheet for pl in plans.values() if pl.path == p}
            ignored += [f"{p.name} [sheet {s}]" for s in books[p].sheets if s not in used_sheets]
    if not plans:
        seen = ", ".join(p.name for p in files[:10]) + (" ..." if len(files) > 10 else "")
        raise InputFileError(
            f"{folder}: no table files found; expected some of "
            + ", ".join(f"{t}.csv" for t in TABLES)
            + f" (read: {' '.join(SUPPORTED_SUFFIXES)}; or a workbook with sheets named like the tables; or name "
            "your files in a mapping file's [table] file = ...)"
            + (f". The folder holds: {seen}" if files else ". The folder is empty")
        )
    return [plans[t] for t in TABLES if t in plans], ignored


def _plan_file(path: Path, mapping: Mapping, books: dict[Path, _Workbook]) -> list[_Plan]:
    named = [t for t, f in mapping.files.items() if Path(f).name == path.name]
    stem = path.stem.strip().casefold()
    kind = _kind(path)
    if kind == "workbook":
        books[path] = wb = _Workbook(path)
        plans: list[_Plan] = []
        for t in named + ([stem] if stem in TABLES and stem not in named else []):
            plans.append(_Plan(t, path, _choose_sheet(wb, t, mapping.sheets.get(t))))
        taken = {p.table for p in plans}
        for extra in _plan_workbook(wb, mapping, named_for=None, taken=taken):
            if extra.sheet not in {p.sheet for p in plans}:
                plans.append(extra)
        if not plans:
            raise InputFileError(
                f"{path}: no sheet is named like a table ({', '.join(TABLES)}); its sheets are "
                f"{', '.join(map(repr, wb.sheets))}. Rename the sheets, or say which sheet holds which table "
                f'in a mapping file ([owners] file = "{path.name}" and sheet = "...")'
            )
        return sorted(plans, key=lambda p: list(TABLES).index(p.table))
    table = named[0] if named else stem
    if table not in TABLES:
        raise InputFileError(
            f"{path}: the file name must be a table name ({', '.join(TABLES)}) or be named in the mapping"
        )
    if kind is None:
        raise _unsupported(path, table)
    return [_Plan(table, path)]


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
        A folder holding ``owners.csv``/``owners.xlsx``/``owners.parquet`` etc. (or workbooks whose
        sheets are named like the tables, or the files a mapping names), a single such file, or a
        dict ``{table: DataFrame}``.
    mapping
        File, sheet, column and value renames (see :mod:`graphcrm.loaders.mapping`).
    encoding
        Force a text file's encoding; by default it is detected (see :func:`decode_bytes`).

    Returns
    -------
    (sources, ignored_files)
        ``sources`` maps table name to :class:`Source` (its ``problems`` list the rows found
        malformed while reading); ``ignored_files`` lists the files (and unused workbook sheets,
        as ``book.xlsx [sheet Notes]``) in the folder that hold no contract table, never read.

    Raises
    ------
    InputFileError
        The folder does not exist or holds no table; a file cannot be read, decoded or parsed,
        mixes encodings, names a header twice, has an unclosed quote, is a workbook or Parquet
        file under a text name, or has a type that cannot be read.

    Examples
    --------
    >>> import pandas as pd
    >>> from graphcrm.loaders import Mapping
    >>> sources, _ = read_sources({"owners": pd.DataFrame({"owner_id": ["o1"]})}, mapping=Mapping())
    >>> sources["owners"].frame["owner_id"].tolist()
    ['o1']
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
            sources[table] = _frame_source(frame, table, mapping, f"<DataFrame {table}>")
        return sources, ignored_files

    path = Path(source)
    books: dict[Path, _Workbook] = {}
    try:
        if path.is_file():
            plans = _plan_file(path, mapping, books)
        elif path.is_dir():
            plans, ignored_files = _plan_folder(path, mapping, books)
        else:
            raise InputFileError(f"{path}: no such file or folder")
        for plan in plans:
            sources[plan.table] = _read_one(plan, mapping, encoding, books)
    finally:
        for wb in books.values():
            wb.close()
    return sources, ignored_files


def iter_sources(
    source: str | os.PathLike,
    *,
    mapping: Mapping,
    encoding: str | None = None,
) -> tuple[Iterator[Source], list[str]]:
    """Plan the tables of a folder or file now, read them one at a time, in contract order.

    The same files, checks and errors as :func:`read_sources`, but a table is read only when
    the returned iterator gets to it, so a caller that validates (and lets go of) each table
    before taking the next never holds more than one raw table (a load:
    :func:`graphcrm.loaders.validate` takes the iterator).  Planning errors (no such folder, no
    table, two files for one table) are raised here; a file that cannot be read raises when the
    iterator reaches it.  Workbooks stay open until the iterator is exhausted or closed.

    Parameters
    ----------
    source
        A folder or a single table file, as for :func:`read_sources` (not a dict of frames).
    mapping
        File, sheet, column and value renames.
    encoding
        Force a text file's encoding; by default it is detected.

    Returns
    -------
    (sources, ignored_files)
        An iterator of :class:`Source` in contract order (referenced tables first), and the
        files that hold no contract table (as :func:`read_sources` returns them).

    Raises
    ------
    InputFileError
        As :func:`read_sources`: planning problems at once, reading problems from the iterator.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from graphcrm.loaders import Mapping
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "owners.csv").write_text("owner_id\\no1\\n")
    >>> it, ignored = iter_sources(d, mapping=Mapping())
    >>> [(s.table, s.frame["owner_id"].tolist()) for s in it]
    [('owners', ['o1'])]
    """
    path = Path(source)
    books: dict[Path, _Workbook] = {}
    try:
        if path.is_file():
            plans = _plan_file(path, mapping, books)
            ignored_files: list[str] = []
        elif path.is_dir():
            plans, ignored_files = _plan_folder(path, mapping, books)
        else:
            raise InputFileError(f"{path}: no such file or folder")
    except BaseException:
        for wb in books.values():
            wb.close()
        raise
    order = {t: i for i, t in enumerate(TABLES)}
    last = {pl.table: pl for pl in plans}  # one plan per table (read_sources keeps the last, too)
    plans = sorted(last.values(), key=lambda pl: order[pl.table])  # already contract order

    def each() -> Iterator[Source]:
        try:
            for plan in plans:
                yield _read_one(plan, mapping, encoding, books)
        finally:
            for wb in books.values():
                wb.close()

    return each(), ignored_files


def _read_one(plan: _Plan, mapping: Mapping, encoding: str | None, books: dict[Path, _Workbook]) -> Source:
    p, table = plan.path, plan.table
    kind = _kind(p)
    if kind == "parquet":
        frame, nested = _read_parquet(p)
        src = _frame_source(frame, table, mapping, str(p))
        plan, _ = _plan_columns(list(frame.columns), table, mapping, str(p))
        used_raw = {str(frame.columns[j]) for j, _ in plan}
        bad = [c for c in nested if c in used_raw]
        if bad:
            raise InputFileError(
                f"{p}: column(s) {', '.join(bad)} hold lists, structs or binary data, not one value per row; "
                f"store them as text or numbers"
            )
        return src
    if kind == "workbook":
        wb = books.get(p) or books.setdefault(p, _Workbook(p))
        sheet = plan.sheet or _choose_sheet(wb, table, mapping.sheets.get(table))
        parsed = wb.read(sheet)
        name = f"{p} [sheet {sheet}]"
        frame, rows, ignored, problems = _finish(parsed, table, mapping, name, check_ctrl=True)
        return Source(table, frame, name, rows, None, ignored, problems, sheet=sheet)
    parsed, used, delim, has_ctrl = _read_text(p, encoding)
    frame, rows, ignored, problems = _finish(parsed, table, mapping, str(p), check_ctrl=has_ctrl)
    return Source(table, frame, str(p), rows, used, ignored, problems, delimiter=delim)
