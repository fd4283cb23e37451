"""Validation against the data contract, collecting every problem (pandera-style).

Every input row ends up either loaded or rejected with at least one reason, so that for every
table ``read = loaded + rejected``.  Rules, per row:

* a problem found while reading the row (a row cut short, too many fields, a NUL byte: see
  :attr:`graphcrm.loaders.Source.problems`);
* a required value is missing (or is a "no date" placeholder, or an id that is empty once its
  invisible characters are removed);
* a value has the wrong type (not a date, not a number, not yes/no) or is not one of the
  allowed values of an enum column;
* an impossible date: not a calendar date (2023-02-30), before 1970, or in the future;
* a number that does not fit: not finite (``inf``, ``nan``), too large for its column
  (``1e309``; a whole-number column holds 64-bit integers), not whole in a whole-number column;
* a negative event capacity;
* an id that Excel turned into scientific notation (``1.23457E+11``: the original id is lost);
* a duplicate key within the input (the first row wins, later ones are rejected);
* a reference to an unknown row (an interaction on a post that exists neither in this load nor
  in the store, a referral from an unknown owner, attendance of an unknown event, ...), including
  references to rows that were themselves rejected;
* an interaction dated before the post it is on was created.

Cleaning, before those rules: ids (keys and references, :attr:`graphcrm.contract.Table.id_columns`)
are Unicode NFKC-normalised, stripped of invisible/format/control characters and trimmed, and an
integral number becomes ``"7"`` (from ``7``, ``7.0`` or ``"7.0"``); category text (city, ...),
enum, yes/no, date and number text gets the same cleaning (without the number rule) before it is
parsed; free text (name, title) only loses control characters and surrounding blanks.

A blank value is *missing*, never a default: the clean frames hold ``None`` (text, enum), ``<NA>``
(yes/no in the nullable ``boolean`` dtype; whole numbers in ``Int64``), ``NaN`` (float) or ``NaT``
(dates), so a store can keep a stored value where the input has none; a column that is blank in
every loaded row is left out of the frame.  A documented set of "no date" placeholders
(:data:`NO_DATE_DAYS`, ``0000-00-00``) is read as blank too.

A whole file is refused (:class:`~graphcrm.errors.InputFileError`, nothing written) when a
required column is missing.
"""
from __future__ import annotations

import re
from json.encoder import encode_basestring as _json_string  # C-accelerated, like json.dumps(ensure_ascii=False)
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphcrm.contract import TABLES, Column, Table
from graphcrm.errors import InputFileError
from graphcrm.loaders.mapping import Mapping
from graphcrm.loaders.read import Source

REJECT_COLUMNS = ["table", "source_file", "row", "column", "reason", "values"]

_TRUE = {"true", "t", "yes", "y", "1", "1.0", "是", "√", "✓", "对"}
_FALSE = {"false", "f", "no", "n", "0", "0.0", "否", "×", "✗", "错"}
MIN_DATE = pd.Timestamp("1970-01-01")

#: days that CRMs, databases and spreadsheets write for "never" / "unknown" (any time on that
#: day): .NET/Go zero time, Excel's day 0 and 1 (serials 0 and 1, shown as 1900-01-00/01),
#: SQL Server's zero date, a NULL Unix time (1970-01-01, also 08:00 in UTC+8), "end of time".
#: Such a value is read as blank (in a required column it is a reject).  ``0000-00-00`` (MySQL's
#: zero date, which no parser accepts) is one too.
NO_DATE_DAYS = ("0001-01-01", "1899-12-30", "1899-12-31", "1900-01-01", "1970-01-01", "9999-12-31")
_NO_DATE_TEXT = r"^0000-00-00([ T]00:00(:00(\.0+)?)?)?$"
#: Excel stores a date as days since 1899-12-30 (the 1900 date system); numbers in a date column
#: in [0, 2958466) are read that way (45292 = 2024-01-01), other numbers are rejected
EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "us")
EXCEL_MAX_SERIAL = 2958466  # 10000-01-01
_INT64_MAX = 2**63 - 1
_INT64_MIN = -(2**63)

# ---- text cleaning (vectorised with pyarrow.compute; patterns are RE2) ------------------------
#: invisible characters: controls (Cc), format characters (Cf: zero-width space/joiners, BOM,
#: word joiner, soft hyphen, bidi marks ...), line/paragraph separators and the other Unicode
#: Default_Ignorable_Code_Point characters (variation selectors, Hangul fillers, ...)
_INVISIBLE_BODY = (
    r"\p{Cc}\p{Cf}\p{Zl}\p{Zp}\x{034F}\x{115F}\x{1160}\x{17B4}\x{17B5}\x{180B}-\x{180F}"
    r"\x{3164}\x{FE00}-\x{FE0F}\x{FFA0}\x{FFF0}-\x{FFF8}\x{1D173}-\x{1D17A}\x{E0000}-\x{E0FFF}"
)
_INVISIBLE = f"[{_INVISIBLE_BODY}]"
#: free text keeps tab and line breaks (a title may hold them), loses the other controls
_FREE_CONTROL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x{9F}]"
_EDGES = rf"^[\s\p{{Z}}{_INVISIBLE_BODY}]+|[\s\p{{Z}}{_INVISIBLE_BODY}]+$"
_INTEGRAL_TEXT = r"^([+-]?[0-9]+)\.0+$"
_EXCEL_SCIENTIFIC = r"(?i)^[0-9](\.[0-9]+)?e\+[0-9]+$"
_THOUSANDS = r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?$"
_NONFINITE_TEXT = r"(?i)^[+-]?(inf|infinity|nan)$"
_NUMBER_TEXT = r"^[0-9]+(\.[0-9]+)?$"
#: text that names a whole date (a 4-digit year, or day/month/year with 2-digit year)
_HAS_DATE = r"[0-9]{4}|(^|[^0-9])[0-9]{1,2}[/.\-][0-9]{1,2}[/.\-][0-9]{2}([^0-9]|$)"
#: a date written the Chinese way, 2026年1月2日 or 2026年1月2号, with an optional time after it
#: (what Excel with a Chinese locale and many Chinese systems export as text)
_CN_DATE = r"^([0-9]{4})\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*[日号]\s*(.*)$"
#: date words pandas would turn into the time of the load (so a re-load would change the value)
_RELATIVE_DATES = {"now", "today", "yesterday", "tomorrow"}
#: phone-like digit runs (7+ digits, optional + and single separators) masked in the rejects file
_PHONE = re.compile(r"(?<![0-9])\+?[0-9](?:[ \-.]?[0-9]){6,}(?![0-9])")
_PHONE_PREFILTER = r"[0-9]([ \-.]?[0-9]){6,}"
_PHONE_MASK = "<digits hidden>"
#: in a date column, a value shaped like a date (2024-13-01, 1/2/24) is shown: its digits are a date
_DATE_SHAPE = re.compile(r"^(?:[0-9]{4,6}[/.\-][0-9]{1,2}[/.\-][0-9]{1,2}|[0-9]{1,2}[/.\-][0-9]{1,2}[/.\-][0-9]{2,4})"
                         r"(?![0-9])")
#: ... and so is a Unix time (seconds or milliseconds) between 1990 and 2100: the reason says why it
#: is refused; any other long digit run (a phone number in a shifted row) is masked
_EPOCH_SECONDS = (631_152_000, 4_102_444_800)
#: a number column's value written as a plain number (sign, digits, decimals, exponent)
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_PII_MASK = "<hidden: personal data>"
#: what a label column's value must look like to be taken for a phone number: a Chinese mobile
#: (+86 optional, single spaces or hyphens allowed), a Chinese landline with its area code
#: (021-12345678), or "+" and 7-15 digits
_LABEL_PHONE = re.compile(r"(?<![0-9])(?:(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]){8}|0[0-9]{2,3}-[0-9]{7,8}"
                          r"|\+[0-9](?:[ -]?[0-9]){6,14})(?![0-9])")
#: the same without the look-arounds, for Arrow's RE2 (a superset: the Python pattern decides)
_LABEL_PHONE_PREFILTER = r"1[3-9][0-9]([ -]?[0-9]){8}|0[0-9]{2,3}-[0-9]{7,8}|\+[0-9]([ -]?[0-9]){6,14}"
#: a digit run that is a written date (2026-10-01, 2026/10/01, 2026.10.01): not a phone number
_DATE_RUN = re.compile(r"(?:19|20)[0-9]{2}([-/.])[0-9]{1,2}\1[0-9]{1,2}")


def _sub_phones(s: str, repl: str = _PHONE_MASK) -> str:
    """``s`` with every phone-like digit run replaced by ``repl``, written dates kept (an event
    title "2026-10-01 国庆自驾" is not a phone number)."""
    return _PHONE.sub(lambda m: m.group(0) if _DATE_RUN.fullmatch(m.group(0)) else repl, s)
_TEXT = pa.large_string()


def _any(mask: pa.Array | pa.ChunkedArray) -> bool:
    return bool(pc.any(mask).as_py())


def _clean(arr: pa.Array, form: str, *, trimmed: pa.Array | None = None) -> pa.Array:
    """Clean text values (nulls stay null); ``form`` as in :data:`graphcrm.contract.TEXT_FORMS`.

    ``trimmed``: ``utf8_trim_whitespace(arr)`` if the caller has it; it is returned itself when
    the cleaning is only that (plain ASCII text without invisible characters)."""
    if not len(arr):
        return arr
    if form == "free":
        if _any(pc.match_substring_regex(arr, _FREE_CONTROL)):
            arr = pc.replace_substring_regex(arr, pattern=_FREE_CONTROL, replacement="")
        if _any(pc.match_substring_regex(arr, _EDGES)):
            arr = pc.replace_substring_regex(arr, pattern=_EDGES, replacement="")
        return arr
    same = True
    if pc.all(pc.string_is_ascii(arr)).as_py() is False:
        arr, same = pc.utf8_normalize(arr, "NFKC"), False
    if _any(pc.match_substring_regex(arr, _INVISIBLE)):
        arr, same = pc.replace_substring_regex(arr, pattern=_INVISIBLE, replacement=""), False
    if same and trimmed is not None:
        return trimmed
    out = pc.utf8_trim_whitespace(arr)
    return arr if out.equals(arr) else out  # nothing trimmed: keep the input's buffers, no second copy


def _mask(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean arrow result as numpy, null = False."""
    return np.array(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _objects(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Text as a numpy object array (None for null)."""
    return np.array(arr.to_numpy(zero_copy_only=False), dtype=object)


def _str_array(arr: pa.Array) -> pd.api.extensions.ExtensionArray:
    """Arrow text as pandas' default ``str`` dtype (no copy); null = missing."""
    return pd.array(arr, dtype="str")


def _is_blank_kleene(arr: pa.Array) -> pa.Array:
    return pc.fill_null(pc.or_kleene(pc.is_null(arr), pc.equal(pc.utf8_trim_whitespace(arr), "")), True)


def _is_blank(arr: pa.Array) -> np.ndarray:
    return _mask(_is_blank_kleene(arr))


def _format_number(v: float) -> str:
    if np.isfinite(v) and v == np.floor(v):
        return str(int(v))
    return repr(float(v))


def _format_scalar(v: object) -> str | None:
    """One raw value as text (None for a missing value); integral numbers without ``.0``."""
    if v is None:
        return None
    if isinstance(v, str):
        return v
    try:
        if pd.isna(v) is True:
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return None if np.isnan(v) else _format_number(float(v))
    return str(v)


def _text_array(raw: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """Raw values as arrow text, and which of them were text in the input.

    Numbers become text without a spurious ``.0`` (``7.0`` -> ``"7"``), so ids read from
    Parquet/DataFrames as floats match the same ids written as text elsewhere.
    """
    n = len(raw)
    dtype = raw.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        raw = raw.astype(object)
        dtype = raw.dtype
    if pd.api.types.is_string_dtype(dtype) and dtype != object:
        return _arrow_text(raw), np.ones(n, dtype=bool)
    if dtype == object:
        vals = raw.to_numpy(dtype=object)
        if pd.api.types.infer_dtype(vals, skipna=True) in ("string", "empty"):
            return pa.array(vals, type=_TEXT, from_pandas=True), np.ones(n, dtype=bool)
        is_text = np.fromiter((isinstance(v, str) for v in vals), dtype=bool, count=n)
        return pa.array([_format_scalar(v) for v in vals], type=_TEXT), is_text
    missing = raw.isna().to_numpy()
    if pd.api.types.is_bool_dtype(dtype):
        vals = raw.to_numpy(dtype=object, na_value=None)
        out = [None if m else str(bool(v)) for v, m in zip(vals, missing)]
    elif pd.api.types.is_integer_dtype(dtype):
        vals = raw.to_numpy(dtype=object, na_value=None)
        out = [None if m else str(int(v)) for v, m in zip(vals, missing)]
    elif pd.api.types.is_float_dtype(dtype):
        f = raw.to_numpy(dtype="float64", na_value=np.nan)
        small = np.isfinite(f) & (f == np.floor(f)) & (np.abs(f) < 2**62)
        out = np.where(small, np.where(small, f, 0).astype(np.int64).astype(str), "").astype(object)
        for i in np.flatnonzero(~small & ~missing):
            out[i] = _format_number(f[i])
        out[missing] = None
    else:
        vals = raw.to_numpy(dtype=object, na_value=None)
        out = [None if m else _format_scalar(v) for v, m in zip(vals, missing)]
    return pa.array(list(out), type=_TEXT), np.zeros(n, dtype=bool)


def _value_map(arr: pa.Array, vm: dict[str, str]) -> pa.Array:
    """Apply a mapping's value renames; keys are cleaned like the values they match."""
    keys = _objects(_clean(pa.array(list(vm), type=_TEXT), "label"))
    uniq: dict[str, str] = {}
    for k, v in zip(keys, vm.values()):
        uniq.setdefault(k, v)
    idx = pc.index_in(arr, value_set=pa.array(list(uniq), type=_TEXT))
    mapped = pc.take(pa.array(list(uniq.values()), type=_TEXT), idx)
    return pc.if_else(pc.is_null(idx), arr, mapped)


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
        """The sorted positions of the rows with at least one problem."""
        if not self.pos:
            return np.array([], dtype=np.int64)
        pos = np.concatenate(self.pos)
        hit = np.zeros(int(pos.max()) + 1, dtype=bool)
        hit[pos] = True
        return np.flatnonzero(hit)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(pos, column, reason, kind)`` of every problem, ordered by position then column."""
        if not self.pos:
            empty = np.array([], dtype=object)
            return np.array([], dtype=np.int64), empty, empty, empty
        pos = np.concatenate(self.pos)
        col = np.concatenate(self.col)
        codes, _ = pd.factorize(col, sort=True)
        order = np.lexsort((codes, pos))  # stable: problems of one cell keep their order
        return pos[order], col[order], np.concatenate(self.reason)[order], np.concatenate(self.kind)[order]


def _strs(values: np.ndarray | list) -> pd.api.extensions.ExtensionArray:
    """Python strings as pandas' ``str`` dtype, built by pyarrow (pandas' own path is slow)."""
    return pd.array(pa.array(values, type=_TEXT, from_pandas=True), dtype="str")


def _arrow_text(values: pd.Series) -> pa.Array:
    """A clean text column as one arrow array (no copy for pandas' arrow-backed ``str``)."""
    arr = pa.array(values, type=_TEXT, from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _masks_phones(col: Column) -> bool:
    """Whether a column's values are text a phone number could hide in: every column but the ids
    (shown as they are: the user needs them to find the row); dates as :func:`_phone_masked`
    says.  A number column's refused value can be a phone number a shifted row put there
    (``points='abc13912345678' is not a number``): its long digit runs are masked too."""
    return col.text != "id"


def _phone_masked(s: str, col: Column) -> str:
    """``s`` with its phone-like digit runs masked.  In a date column a value shaped like a date
    or a plausible Unix time is left as it is, and in a number column a plain number (the user
    needs it to see why it was refused); a phone number that a shifted row put there, with its
    separators or among other text, is masked like anywhere else."""
    if col.type in ("int", "float") and _PLAIN_NUMBER.match(s.strip()):
        return s  # refused for its size or form ('1e20', '12.5' for a whole number): shown
    if col.type == "datetime":
        t = s.strip()
        if _DATE_SHAPE.match(t):
            return s
        if t.isdigit():
            v, (lo, hi) = int(t), _EPOCH_SECONDS
            if lo <= v <= hi or lo * 1000 <= v <= hi * 1000:
                return s
    return _sub_phones(s)


def _display(v: object, col: Column | None) -> str | None:
    """A raw value as the rejects file may show it: personal data hidden, phone-like digits masked."""
    s = _format_scalar(v)
    if s is None:
        return None
    if col is not None and col.pii:
        return _PII_MASK if s.strip() else s
    if col is not None and _masks_phones(col):
        return _phone_masked(s, col)
    return s


def _quote(values: np.ndarray, col: Column | None = None, limit: int = 60) -> list[str]:
    """Values quoted for a reason (``repr``, so invisible characters show as escapes)."""
    out = []
    for v in np.asarray(values, dtype=object):
        s = _display(v, col)
        if col is not None and col.pii and s:
            out.append(s)
            continue
        s = "" if s is None else s
        out.append(repr(s if len(s) <= limit else s[:limit] + "…"))
    return out


def _says(raw: pd.Series, col: Column, what: str, notes: np.ndarray | None = None):
    """A lazy reason builder: ``column='value' what`` for the failing indices only."""

    def build(idx):
        values = raw.iloc[idx].to_numpy(dtype=object)
        for i, q in zip(idx, _quote(values, col)):
            note = notes[i] if notes is not None and notes[i] else ""
            yield f"{col.name}={q}{what}{note}"

    return build


# ---- dates -------------------------------------------------------------------------------------
def _to_us(parsed: pd.Series) -> np.ndarray:
    """A parse result (datetime64 of any unit, maybe tz-aware) as naive UTC datetime64[us]."""
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    arr = parsed.to_numpy()
    if arr.dtype != np.dtype("datetime64[us]"):
        arr = _clip_to_us(arr)[0]
    return arr if arr.flags.writeable else arr.copy()


def _clip_to_us(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """datetime64 of any unit -> datetime64[us], plus masks of values before 0001 / after 9999
    (set to NaT: microseconds cannot hold every year a coarser unit can)."""
    lo = np.datetime64("0001-01-01T00:00:00", "us")
    hi = np.datetime64("9999-12-31T23:59:59.999999", "us")
    unit = np.datetime_data(arr.dtype)[0]
    if unit in ("ns", "ps", "fs", "as"):
        return arr.astype("datetime64[us]"), np.zeros(len(arr), bool), np.zeros(len(arr), bool)
    if unit == "us":
        native = arr
    else:
        native = arr
        lo, hi = lo.astype(arr.dtype), hi.astype(arr.dtype)
    nat = np.isnat(native)
    far_past = ~nat & (native < lo)
    far_future = ~nat & (native > hi)
    safe = native.copy()
    safe[far_past | far_future] = np.datetime64("NaT")
    return safe.astype("datetime64[us]"), far_past, far_future


def _serials_to_us(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Excel date serial numbers (days since 1899-12-30) -> datetime64[us]; and which were usable."""
    ok = np.isfinite(x) & (x >= 0) & (x < EXCEL_MAX_SERIAL)
    us = np.full(len(x), np.datetime64("NaT"), dtype="datetime64[us]")
    micro = np.round(np.where(ok, x, 0) * 86_400_000_000).astype(np.int64)
    us[ok] = EXCEL_EPOCH + micro[ok].astype("timedelta64[us]")
    return us, ok


_ISO_CHUNK = 1 << 20  #: rows per block of the numpy date reader (bounds its working memory)
#: date columns of at least this many values are read by the compiled pass
#: (``graphcrm.loaders._scan.iso_dates``, the same values; it needs numba, smaller columns do not)
COMPILED_DATES_ROWS = 500_000


def _iso_dates(arr: pa.Array) -> np.ndarray:
    """``YYYY-MM-DD HH:MM:SS`` and ``YYYY-MM-DD`` texts read straight from the arrow bytes with
    numpy (datetime64[us]); NaT for anything else, including impossible calendar dates
    (2024-02-30, 24:00:00) - those go to the general parser, which refuses them too.

    No Python string per value: the general parser turned 22M interaction times into ~1.5 GB
    of ``str`` objects.

    Example
    -------
    >>> import pyarrow as pa
    >>> [str(x) for x in _iso_dates(pa.array(["2024-02-29 23:59:59", "2023-02-29", "2024-05-01", "5/1/2024", None]))]
    ['2024-02-29T23:59:59.000000', 'NaT', '2024-05-01T00:00:00.000000', 'NaT', 'NaT']
    """
    n = len(arr)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    if n == 0:
        return out
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    valid_buf, off_buf, data_buf = arr.buffers()[:3]
    if data_buf is None:
        return out
    offs = np.frombuffer(off_buf, dtype=np.int64, count=n + 1, offset=arr.offset * 8)
    data = np.frombuffer(data_buf, dtype=np.uint8)
    valid = _mask(pc.is_valid(arr))
    if n >= COMPILED_DATES_ROWS:  # one compiled pass, the same values (tests/test_load_dates.py)
        from graphcrm.loaders._scan import iso_dates

        return iso_dates(offs, data, valid)
    length = offs[1:] - offs[:-1]
    mdays = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    for size, timed in ((19, True), (10, False)):
        rows = np.flatnonzero((length == size) & valid)
        for lo in range(0, len(rows), _ISO_CHUNK):
            idx = rows[lo:lo + _ISO_CHUNK]
            st = offs[idx]

            def num(*at: int) -> np.ndarray:
                v = np.zeros(len(st), dtype=np.int64)
                for k in at:
                    v = v * 10 + (data[st + k].astype(np.int64) - 48)
                return v

            ok = np.ones(len(st), dtype=bool)
            for k in (0, 1, 2, 3, 5, 6, 8, 9) + ((11, 12, 14, 15, 17, 18) if timed else ()):
                c = data[st + k]
                ok &= (c >= 48) & (c <= 57)
            ok &= (data[st + 4] == 45) & (data[st + 7] == 45)
            if timed:
                ok &= (data[st + 10] == 32) & (data[st + 13] == 58) & (data[st + 16] == 58)
            y, mo, d = num(0, 1, 2, 3), num(5, 6), num(8, 9)
            ok &= (mo >= 1) & (mo <= 12) & (d >= 1)
            leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
            ok &= d <= mdays[np.clip(mo - 1, 0, 11)] + ((mo == 2) & leap)
            secs = np.zeros(len(st), dtype=np.int64)
            if timed:
                h, mi, s = num(11, 12), num(14, 15), num(17, 18)
                ok &= (h <= 23) & (mi <= 59) & (s <= 59)
                secs = h * 3600 + mi * 60 + s
            day = ((y - 1970) * 12 + mo - 1).astype("datetime64[M]").astype("datetime64[D]") + (d - 1)
            stamp = day.astype("datetime64[us]") + (secs * 1_000_000).astype("timedelta64[us]")
            out[idx[ok]] = stamp[ok]
    return out


def _parse_text_dates(arr: pa.Array, present: np.ndarray) -> np.ndarray:
    """Cleaned date text -> datetime64[us] (NaT where blank or unparsable)."""
    n = len(arr)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    if not present.any():
        return out
    # the common exports read from the bytes with numpy; everything else through pandas
    fast = _iso_dates(arr)
    sel = arr if present.all() else arr.filter(pa.array(present))
    got = fast if present.all() else fast[present]
    del fast
    rest = np.flatnonzero(np.isnat(got))
    if len(rest):  # everything else through pandas, as before
        other = sel.take(pa.array(rest))
        if _any(pc.match_substring_regex(other, _CN_DATE)):  # 2026年1月2日 (14:30): as 2026-1-2 (14:30)
            other = pc.replace_substring_regex(other, pattern=_CN_DATE, replacement=r"\1-\2-\3 \4")
            other = pc.utf8_trim_whitespace(other)
        relative = _mask(pc.is_in(pc.utf8_lower(other), value_set=pa.array(sorted(_RELATIVE_DATES), type=_TEXT)))
        # the flexible parser fills a missing year or date from defaults (year 1, today): only
        # text naming a whole date may use it ("10:00" and "5 May" are no dates)
        dated = _mask(pc.match_substring_regex(other, _HAS_DATE))
        s = pd.Series(_objects(other), dtype=object)
        sub = _to_us(pd.to_datetime(s, format="ISO8601", errors="coerce", utc=True))
        # a column mixing nanosecond strings with far dates parses at ns: retry the failures
        # alone, then with the flexible parser (2024/5/1 10:00, Jan 5 2024, ...)
        for fmt in ("ISO8601", "mixed"):
            bad = np.isnat(sub) & ~relative & (dated if fmt == "mixed" else True)
            if not bad.any():
                continue
            sub[bad] = _to_us(pd.to_datetime(s[bad], format=fmt, errors="coerce", utc=True))
        sub[relative] = np.datetime64("NaT")
        got[rest] = sub
    out[present] = got
    return out


def _dates(raw: pd.Series, col: Column, mapping_values: dict | None, now: pd.Timestamp, probs: _Problems) -> np.ndarray:
    """Parse one date column; add its problems; return datetime64[ns] (NaT = missing or bad)."""
    n = len(raw)
    us = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    own = True  # ``us`` is this function's own array (written to in place at the end)
    blank = raw.isna().to_numpy()
    number = np.zeros(n, dtype=bool)      # value came as a number (an Excel serial?)
    not_serial = np.zeros(n, dtype=bool)  # ... that is no usable Excel serial
    no_date = np.zeros(n, dtype=bool)     # a "no date" placeholder
    far_past = np.zeros(n, dtype=bool)
    far_future = np.zeros(n, dtype=bool)
    unparsable = np.zeros(n, dtype=bool)
    dtype = raw.dtype
    if mapping_values is None and pd.api.types.is_datetime64_any_dtype(dtype):
        s = raw
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        arr = s.to_numpy()
        if not np.issubdtype(arr.dtype, np.datetime64):
            arr = pd.to_datetime(s, utc=True).dt.tz_localize(None).to_numpy()
        us, far_past, far_future = _clip_to_us(arr)
        us = us if us.flags.writeable else us.copy()
        own = not np.shares_memory(us, arr)  # else a view of the raw values, which the rejects show
    elif (mapping_values is None and pd.api.types.is_numeric_dtype(dtype)
          and not pd.api.types.is_bool_dtype(dtype)):
        x = raw.to_numpy(dtype="float64", na_value=np.nan)
        blank = np.isnan(x)
        us, ok = _serials_to_us(x)
        number = ~blank
        not_serial = number & ~ok
    else:
        vals = raw.to_numpy(dtype=object) if dtype == object else None
        kinds = (
            pd.api.types.infer_dtype(vals, skipna=True) if vals is not None else "string"
        )
        text_pos = np.ones(n, dtype=bool)
        if vals is not None and kinds not in ("string", "empty"):
            # an object column of Python dates/datetimes/numbers (DataFrames, Excel readers)
            is_dt = np.fromiter(
                (isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "toordinal") for v in vals),
                dtype=bool, count=n,
            ) & ~blank
            is_num = np.fromiter(
                (isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
                 for v in vals),
                dtype=bool, count=n,
            ) & ~blank
            if is_dt.any():
                got = pd.to_datetime(pd.Series(vals[is_dt], dtype=object), errors="coerce", utc=True)
                us[is_dt] = _to_us(got)
                unparsable |= is_dt & np.isnat(us)
            if is_num.any():
                x = np.asarray(vals[is_num], dtype="float64")
                got, ok = _serials_to_us(x)
                us[is_num] = got
                number[is_num] = True
                not_serial[np.flatnonzero(is_num)[~ok]] = True
            text_pos = ~(is_dt | is_num)
            raw_text = pd.Series([_format_scalar(v) if p else None for v, p in zip(vals, text_pos)], dtype=object)
        else:
            raw_text = raw
        arr, _ = _text_array(raw_text)
        arr = _clean(arr, "label")
        if mapping_values:
            arr = _value_map(arr, mapping_values)
            tblank = _is_blank(arr) & text_pos
        else:  # ``_clean`` trimmed the text: blank = null or empty (no second trimmed copy)
            tblank = _mask(pc.fill_null(pc.equal(arr, ""), True)) & text_pos
        blank = tblank | (blank & ~text_pos)
        zero = _mask(pc.match_substring_regex(arr, _NO_DATE_TEXT)) & text_pos
        no_date |= zero
        numeric = _mask(pc.match_substring_regex(arr, _NUMBER_TEXT)) & text_pos
        parsed = _parse_text_dates(arr, text_pos & ~tblank & ~zero)
        # a plain number that no date parser reads (45292, 45292.5): an Excel serial
        serial_like = numeric & np.isnat(parsed)
        if serial_like.any():
            x = np.array(pc.cast(arr.filter(pa.array(serial_like)), pa.float64()), dtype="float64")
            got, ok = _serials_to_us(x)
            parsed[serial_like] = got
            number[serial_like] = True
            not_serial[np.flatnonzero(serial_like)[~ok]] = True
        us[text_pos] = parsed[text_pos]
        unparsable |= text_pos & ~tblank & ~zero & ~serial_like & np.isnat(parsed)
    # placeholders: any time on one of the NO_DATE_DAYS
    days = us.astype("datetime64[D]")
    no_date |= np.isin(days, np.array(NO_DATE_DAYS, dtype="datetime64[D]"))
    us[no_date] = np.datetime64("NaT")
    lo = np.datetime64(MIN_DATE.to_datetime64(), "us")
    hi = np.datetime64(now.to_datetime64(), "us")
    too_old = far_past | (~np.isnat(us) & (us < lo))
    future = far_future | (~np.isnat(us) & (us > hi))
    notes = None
    if number.any():
        notes = np.full(n, "", dtype=object)
        idx = np.flatnonzero(number & ~np.isnat(us))
        notes[idx] = [f" (read as an Excel date serial: {str(d)[:19].replace('T', ' ')})" for d in us[idx]]
    if col.required:
        probs.add(blank & ~no_date, col.name, "missing required value", "missing required value")
        probs.add(no_date, col.name, _says(raw, col, f" is a placeholder for 'no date', but {col.name} is required"),
                  "missing required value")
    probs.add(unparsable, col.name,
              _says(raw, col, " is not a valid date/time (use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)"), "impossible date")
    probs.add(not_serial, col.name,
              _says(raw, col, " is a number, not a date/time (Excel date serials such as 45292 = 2024-01-01 are "
                              "read as dates; Unix timestamps are not: write YYYY-MM-DD HH:MM:SS)"), "impossible date")
    probs.add(too_old, col.name, _says(raw, col, " is before 1970", notes), "impossible date")
    probs.add(future, col.name, _says(raw, col, " is in the future", notes), "impossible date")
    out = us if own else us.copy()
    out[too_old | future] = np.datetime64("NaT")
    return out.astype("datetime64[ns]")


# ---- numbers -----------------------------------------------------------------------------------
def _numbers(raw: pd.Series, col: Column, mapping_values: dict | None, probs: _Problems) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """Parse one int/float column; add its problems; return Int64 / float64 (NA/NaN = missing or bad)."""
    n = len(raw)
    dtype = raw.dtype
    exact: dict[int, int] = {}  # position -> exact int where float64 cannot hold it
    literal_nonfinite = np.zeros(n, dtype=bool)
    thousands = np.zeros(n, dtype=bool)
    if mapping_values is None and pd.api.types.is_integer_dtype(dtype):
        blank = raw.isna().to_numpy()
        objs = raw.to_numpy(dtype=object, na_value=None)
        num = np.array(raw.to_numpy(dtype="float64", na_value=np.nan))
        for i in np.flatnonzero(~blank & (np.abs(num) >= 2**53)):
            exact[int(i)] = int(objs[i])
        notnum = np.zeros(n, dtype=bool)
    elif (mapping_values is None and pd.api.types.is_numeric_dtype(dtype)
          and not pd.api.types.is_bool_dtype(dtype)):
        num = np.array(raw.to_numpy(dtype="float64", na_value=np.nan))
        blank = np.isnan(num)  # NaN in a numeric column is how pandas writes "missing"
        notnum = np.zeros(n, dtype=bool)
        literal_nonfinite = np.isinf(num)
    else:
        arr, _ = _text_array(raw)
        arr = _clean(arr, "label")
        if mapping_values:
            arr = _value_map(arr, mapping_values)
        blank = _is_blank(arr)
        txt = _objects(arr)
        literal_nonfinite = _mask(pc.match_substring_regex(arr, _NONFINITE_TEXT))
        thousands = _mask(pc.match_substring_regex(arr, _THOUSANDS))
        num = np.array(pd.to_numeric(pd.Series(txt, dtype=object), errors="coerce"), dtype="float64")
        num[literal_nonfinite] = np.nan
        notnum = ~blank & np.isnan(num) & ~literal_nonfinite
        if col.type == "int":
            for i in np.flatnonzero(~blank & np.isfinite(num) & (np.abs(num) >= 2**53)):
                try:
                    d = Decimal(txt[i])
                except InvalidOperation:
                    continue
                if d != d.to_integral_value():
                    num[i] = 0.5  # not whole: reported below
                else:
                    exact[int(i)] = int(d)
    too_large = ~blank & np.isinf(num) & ~literal_nonfinite
    nonfinite = ~blank & literal_nonfinite
    probs.add(notnum & ~thousands, col.name, _says(raw, col, " is not a number"), "not a number")
    probs.add(notnum & thousands, col.name,
              _says(raw, col, " is not a number (write it without thousands separators: 1000, and '.' for decimals)"),
              "not a number")
    probs.add(nonfinite, col.name, _says(raw, col, " is not a finite number"), "not a number")
    if col.type == "float":
        probs.add(too_large, col.name, _says(raw, col, " is too large"), "not a number")
        out = num.copy()
        out[~np.isfinite(out)] = np.nan
        return out
    finite = np.isfinite(num)
    frac = finite & (num != np.floor(num))
    in_exact = np.zeros(n, dtype=bool)
    outside = np.zeros(n, dtype=bool)
    for i, v in exact.items():
        in_exact[i] = True
        outside[i] = not (_INT64_MIN <= v <= _INT64_MAX)
    # floats (from a numeric column, or text Decimal cannot read): beyond int64 is too large too
    outside |= finite & ~frac & (np.abs(num) >= 2**63) & ~in_exact
    probs.add(too_large | outside, col.name,
              _says(raw, col, f" is too large (a whole number between {_INT64_MIN} and {_INT64_MAX})"), "not a number")
    probs.add(frac, col.name, _says(raw, col, " is not a whole number"), "not a number")
    ok = finite & ~frac & ~outside
    neg = ok & (num < 0)
    probs.add(neg, col.name, _says(raw, col, " is negative"), "not a number")
    ints = np.where(ok & (np.abs(num) < 2**63), num, 0).astype(np.int64)
    for i, v in exact.items():
        if ok[i]:
            ints[i] = v
    out = pd.array(ints, dtype="Int64")
    out[~ok] = pd.NA
    return out


# ---- one table -----------------------------------------------------------------------------
def _normalize(src: Source, mapping: Mapping, now: pd.Timestamp, probs: _Problems) -> tuple[pd.DataFrame, dict[str, int]]:
    """Typed, cleaned columns of one source (missing = None/NA/NaN/NaT) and the count of id
    values cleaning changed, per column."""
    t: Table = TABLES[src.table]
    frame = src.frame
    out: dict[str, object] = {}
    changed_ids: dict[str, int] = {}
    masked: dict[str, int] = {}
    value_maps = mapping.values.get(src.table, {})
    n = len(frame)
    for col in t.columns:
        if col.name not in frame.columns:
            continue
        raw = frame[col.name].reset_index(drop=True)
        vm = value_maps.get(col.name)
        if col.type == "datetime":
            out[col.name] = _dates(raw, col, vm, now, probs)
            continue
        if col.type in ("int", "float"):
            out[col.name] = _numbers(raw, col, vm, probs)
            continue
        if col.type == "bool" and vm is None and pd.api.types.is_bool_dtype(raw.dtype):
            out[col.name] = pd.array(raw, dtype="boolean")
            continue
        arr, from_text = _text_array(raw)
        # each whole-column pass once: the trimmed text serves the blank test, the cleaning (plain
        # ASCII without invisible characters is only trimmed) and the count of changed ids
        trimmed = pc.utf8_trim_whitespace(arr)
        if trimmed.equals(arr):  # nothing to trim: the clean column shares the raw column's buffers
            trimmed = arr
        blank_raw = _mask(pc.fill_null(pc.equal(trimmed, ""), True))  # = _is_blank(arr)
        form = col.text if col.type == "str" else "label"
        cleaned = _clean(arr, form, trimmed=trimmed)
        if form == "id":
            if _any(pc.match_substring_regex(cleaned, _INTEGRAL_TEXT)):
                cleaned = pc.replace_substring_regex(cleaned, pattern=_INTEGRAL_TEXT, replacement=r"\1")
            if cleaned is trimmed:  # nothing but surrounding blanks removed: no id changed
                changed = np.zeros(len(arr), dtype=bool)
            else:
                changed = _mask(pc.not_equal(cleaned, trimmed)) & from_text
            changed_ids[col.name] = int(changed.sum())
            sci = _mask(pc.match_substring_regex(cleaned, _EXCEL_SCIENTIFIC)) & from_text
            probs.add(sci, col.name,
                      _says(raw, col, " looks like a number Excel shortened to scientific notation (the original "
                                      "id is lost): format the column as text before exporting"),
                      "bad id")
        if vm is not None:
            cleaned = _value_map(cleaned, vm)
        blank = blank_raw.copy() if cleaned is trimmed else _is_blank(cleaned)
        emptied = blank & ~blank_raw
        if col.required:
            probs.add(blank_raw, col.name, "missing required value", "missing required value")
            probs.add(emptied, col.name, f"{col.name} is empty after removing invisible characters",
                      "missing required value")
        if col.type == "str":
            if form != "id" and not col.pii:
                cleaned, hidden = _hide_phones(cleaned, form)
                if hidden.any():
                    masked[col.name] = int(hidden.sum())
                    blank = blank | _is_blank(cleaned)
            # no blank: ``cleaned`` holds no null, so the if_else would copy it unchanged
            out[col.name] = _str_array(pc.if_else(pa.array(blank), pa.scalar(None, _TEXT), cleaned)
                                       if blank.any() else cleaned)
            continue
        low = pc.utf8_lower(cleaned)
        if col.type == "enum":
            ok = _mask(pc.is_in(low, value_set=pa.array(list(col.values), type=_TEXT)))
            bad = ~ok & ~blank
            probs.add(bad, col.name, _says(raw, col, f" is not one of {'|'.join(col.values)}"), "bad enum value")
            out[col.name] = _str_array(pc.if_else(pa.array(ok), low, pa.scalar(None, _TEXT)))
        elif col.type == "bool":
            is_t = _mask(pc.is_in(low, value_set=pa.array(sorted(_TRUE), type=_TEXT)))
            is_f = _mask(pc.is_in(low, value_set=pa.array(sorted(_FALSE), type=_TEXT)))
            bad = ~(is_t | is_f) & ~blank
            probs.add(bad, col.name, _says(raw, col, " is not a yes/no value"), "bad yes/no value")
            vals = pd.array(is_t, dtype="boolean")
            vals[~(is_t | is_f)] = pd.NA
            out[col.name] = vals
        else:  # pragma: no cover - the contract only has the types above
            raise AssertionError(col.type)
    return pd.DataFrame(out, index=pd.RangeIndex(n)), changed_ids, masked


def _hide_phones(arr: pa.Array, form: str) -> tuple[pa.Array, np.ndarray]:
    """Text with its phone numbers taken out, and which values had one.  A value that is nothing
    but a phone number (one a shifted row put into ``city``) becomes blank; in a longer text (an
    event title "call 138 1234 5678") the number reads ``<digits hidden>``.  So no phone number
    reaches the store, the reports or the CRM lists through a text column.

    Free text (``title``) loses every phone-like digit run (7+ digits, as in the rejects file;
    written dates kept).  A label (``city``, ``region``, ``kind``, ``channel`` ...) loses only what
    is shaped like a phone number (:data:`_LABEL_PHONE`: a Chinese mobile or landline, or ``+``
    and 7-15 digits), so a 9- or 12-digit region or channel code stays as it is."""
    pattern = _PHONE_PREFILTER if form == "free" else _LABEL_PHONE_PREFILTER
    found = _mask(pc.match_substring_regex(arr, pattern))
    if not found.any():
        return arr, found
    vals = _objects(arr)
    hit = np.zeros(len(vals), dtype=bool)

    def sub(v: str, repl: str) -> str:
        return _sub_phones(v, repl) if form == "free" else _LABEL_PHONE.sub(repl, v)

    for i in np.flatnonzero(found):
        v = vals[i]
        masked = sub(v, _PHONE_MASK)
        if masked != v:
            hit[i] = True
            vals[i] = "" if not sub(v, "").strip(" +-.()") else masked
    return (pa.array(vals, type=_TEXT) if hit.any() else arr), hit


def _read_problems(src: Source, n: int, probs: _Problems) -> None:
    """Row-level problems found while reading (:attr:`Source.problems`): each rejects its row."""
    groups: dict[tuple[str, str], dict[int, str]] = {}
    for pos, column, reason, kind in src.problems:
        pos = int(pos)
        if not 0 <= pos < n:
            raise InputFileError(f"{src.file}: a read problem names row position {pos} of {n} (internal error)")
        g = groups.setdefault((str(column or ""), str(kind)), {})
        g[pos] = str(reason) if pos not in g else f"{g[pos]}; {reason}"
    for (column, kind), g in groups.items():
        idx = np.fromiter(g, dtype=np.int64, count=len(g))
        mask = np.zeros(n, dtype=bool)
        mask[idx] = True
        reasons = np.empty(n, dtype=object)
        reasons[idx] = list(g.values())
        probs.add(mask, column, reasons, kind)


def _json_safe(s: str) -> str:
    """JSON text with invisible characters written as \\u escapes (so a reader sees them)."""
    if s.isprintable():
        return s
    out = []
    for ch in s:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        else:
            o = ord(ch)
            if o > 0xFFFF:
                o -= 0x10000
                out.append(f"\\u{0xD800 + (o >> 10):04x}\\u{0xDC00 + (o & 0x3FF):04x}")
            else:
                out.append(f"\\u{o:04x}")
    return "".join(out)


def _reject_values(raw: pd.DataFrame, t: Table, positions: np.ndarray) -> list[str]:
    """The original values of rejected rows (at ``positions``) as JSON, one string per row:
    personal data hidden, phone-like digits masked, invisible characters as ``\\u`` escapes."""
    shown: dict[str, np.ndarray] = {}
    for c in raw.columns:
        try:
            col: Column | None = t.column(c)
        except KeyError:
            col = None
        arr, _ = _text_array(raw[c].iloc[positions].reset_index(drop=True))
        if col is not None and col.pii:
            arr = pc.if_else(_is_blank_kleene(arr), arr, pa.scalar(_PII_MASK, _TEXT))
        vals = _objects(arr)
        if col is not None and _masks_phones(col):
            for i in np.flatnonzero(_mask(pc.match_substring_regex(arr, _PHONE_PREFILTER))):
                vals[i] = _phone_masked(vals[i], col)
        key = _json_string(str(c)) + ": "
        shown[str(c)] = [key + ("null" if v is None else _json_string(v)) for v in vals]
    if not shown:
        return ["{}"] * len(positions)
    return [_json_safe("{" + ", ".join(parts) + "}") for parts in zip(*shown.values())]


# ---- results -------------------------------------------------------------------------------
#: the kinds of reject reasons (``reason_kind``) in Chinese, for the load summary
REASON_KINDS_ZH: dict[str, str] = {
    "missing required value": "缺少必填值", "impossible date": "不可能的日期", "not a number": "不是数字",
    "bad enum value": "取值不在可选范围", "bad yes/no value": "不是是/否值", "duplicate key": "重复的主键",
    "unknown reference": "引用了不存在的记录", "bad id": "编号有误", "malformed row": "格式错误的行",
    "bad characters": "含有无效字符",
}

@dataclass
class Validated:
    """Output of :func:`validate`: clean frames ready for a store, plus the accounting."""

    frames: dict[str, pd.DataFrame]
    counts: pd.DataFrame
    rejects: pd.DataFrame
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)
    #: per table and id column, how many values cleaning changed (see :func:`validate`)
    normalized_ids: dict[str, dict[str, int]] = field(default_factory=dict)
    #: per table and text column, how many values held phone-like digits, taken out (see :func:`validate`)
    hidden_digits: dict[str, dict[str, int]] = field(default_factory=dict)


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
        row's original values as JSON, personal data hidden), ``reason_kind``.  A row with
        several problems appears several times.
    rejects_path : str or None
        Where the rejects were written as CSV (None when there were none).
    normalized_ids : dict
        ``{table: {column: n}}``: how many id values were changed by cleaning (invisible
        characters removed, NFKC width/compatibility forms, ``"7.0"`` -> ``"7"``); zero counts omitted.
    hidden_digits : dict
        ``{table: {column: n}}``: how many values of a text column (``city``, ``title`` ...)
        held a phone-like digit run, which was not stored (the value blank if it was only that,
        else the run as ``<digits hidden>``); zero counts omitted.
    phone_like_ids : int
        How many of the owner ids loaded look like phone numbers (:func:`graphcrm.privacy.phone_like`):
        the report shows them masked (``138****5678``), the store and the CRM lists keep them.
    """

    store: str
    counts: pd.DataFrame
    rejects: pd.DataFrame
    rejects_path: str | None = None
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)
    ignored_files: list[str] = field(default_factory=list)
    written: dict[str, int] = field(default_factory=dict)
    normalized_ids: dict[str, dict[str, int]] = field(default_factory=dict)
    hidden_digits: dict[str, dict[str, int]] = field(default_factory=dict)
    phone_like_ids: int = 0

    @property
    def read(self) -> int:
        return int(self.counts["read"].sum()) if len(self.counts) else 0

    @property
    def loaded(self) -> int:
        return int(self.counts["loaded"].sum()) if len(self.counts) else 0

    @property
    def rejected(self) -> int:
        return int(self.counts["rejected"].sum()) if len(self.counts) else 0

    def format(self, lang: str = "en") -> str:
        """Human summary: a line per table, the rejects file, normalised ids, ignored files/columns;
        ``lang="zh"``: in Chinese (table and column names, paths and the rejects file's reasons
        stay as they are)."""
        from graphcrm.i18n import check_lang, pick

        zh = check_lang(lang) == "zh"

        def say(en: str, zh_text: str) -> str:
            return pick(lang, en=en, zh=zh_text)

        lines = [say(f"store: {self.store}", f"存储：{self.store}")]
        # number columns at least two wider than the longest count (22,096,565 is 10 characters:
        # a fixed width of 10 ran it into the next column at a million owners)
        w = max([10] + [len(f"{v:,}") + 2 for v in (self.read, self.loaded, self.rejected)])
        if zh:  # two wide characters take four terminal columns: padded to w - 2 characters
            lines.append(f"{'表':<12}{'读取':>{w - 2}}{'导入':>{w - 2}}{'拒绝':>{w - 2}}  来源")
        else:
            lines.append(f"{'table':<13}{'read':>{w}}{'loaded':>{w}}{'rejected':>{w}}  source")
        for r in self.counts.itertuples(index=False):
            lines.append(f"{r.table:<13}{r.read:>{w},}{r.loaded:>{w},}{r.rejected:>{w},}  {r.source_file}")
        total = "合计" + " " * 9 if zh else f"{'total':<13}"  # two wide characters: 13 columns on a terminal
        lines.append(f"{total}{self.read:>{w},}{self.loaded:>{w},}{self.rejected:>{w},}")
        if self.rejected:
            top = (
                self.rejects.groupby(["table", "reason_kind"] if "reason_kind" in self.rejects else ["table", "column"])
                .size()
                .sort_values(ascending=False)
                .head(8)
            )
            lines.append(say(f"{self.rejected:,} rows rejected ({len(self.rejects):,} problems); most common:",
                             f"拒绝 {self.rejected:,} 行（{len(self.rejects):,} 个问题）；最常见的："))
            for key, n in top.items():
                kind = REASON_KINDS_ZH.get(str(key[1]), str(key[1])) if zh else key[1]
                lines.append(f"  {n:>8,}  {key[0]}: {kind}")
            if self.rejects_path:
                lines.append(say(f"rejects written to {self.rejects_path}", f"被拒绝的行已写入 {self.rejects_path}"))
        else:
            lines.append(say("no rows rejected", "没有被拒绝的行"))
        changed = [f"{t}.{c} {n:,}" for t, cols in self.normalized_ids.items() for c, n in cols.items() if n]
        if changed:
            lines.append(say("ids cleaned (invisible characters, full-width forms, spaces, 7.0 -> 7): ",
                             "已清理的编号（不可见字符、全角字符、空格、7.0 -> 7）：") + ", ".join(changed))
        hidden = [f"{t}.{c} {n:,}" for t, cols in self.hidden_digits.items() for c, n in cols.items() if n]
        if hidden:
            lines.append(say("phone-like digits not stored (a shifted row? the value left blank, or the digits "
                             "as <digits hidden>): ",
                             "未存储的类似电话号码的数字（是否有错位的行？该值留空，或数字记为 <digits hidden>）：")
                         + ", ".join(hidden))
        if self.phone_like_ids:
            lines.append(say(f"owners: {self.phone_like_ids:,} owner ids look like phone numbers: the report shows "
                             f"them as 138****5678; the store and the CRM lists keep them (a member number as "
                             f"owner_id keeps phone numbers out of every output)",
                             f"owners：{self.phone_like_ids:,} 个车主编号看起来是电话号码：报告中显示为 138****5678；"
                             f"存储和 CRM 名单保留原编号（用会员号作 owner_id 可使电话号码不出现在任何输出中）"))
        for t, cols in self.ignored_columns.items():
            if cols:
                lines.append(say(f"{t}: columns not in the contract, not loaded: ", f"{t}：不在数据契约中的列，未导入：")
                             + ", ".join(cols))
        if self.ignored_files:
            lines.append(say("files that hold no contract table, not read: ", "不含数据契约表的文件，未读取：")
                         + ", ".join(self.ignored_files))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def _duplicate_keys(df: pd.DataFrame, key: tuple[str, ...], ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of rows whose key (all parts present: ``ok``) was seen in an earlier row, and
    the position of that first row, for each.

    The key columns are numbered column by column (``pd.factorize``, arrow-native for text)
    and combined into one int64 group number, so no copy of the key columns is made (a frame
    copy of the four-column interaction key was ~1 GB at 22M rows).

    Example
    -------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"a": ["x", "y", "x", "x"], "b": [1, 1, 1, 2]})
    >>> [p.tolist() for p in _duplicate_keys(df, ("a", "b"), np.ones(4, bool))]
    [[2], [0]]
    """
    rows = np.flatnonzero(ok)
    if not len(rows):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    group = np.zeros(len(rows), dtype=np.int64)
    bound = 1  # every group number is below it
    for k in key:
        col = df[k] if len(rows) == len(df) else df[k].iloc[rows]
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        del col
        radix = len(uniques) + 1
        if bound * radix >= 2**62:  # renumber densely only when the next product could overflow
            group, _ = pd.factorize(group)
            group = np.asarray(group, dtype=np.int64)
            bound = int(group.max()) + 1
        group *= radix
        group += np.asarray(codes, dtype=np.int64) + 1
        bound *= radix
        del codes
    # dense numbers in order of first appearance (factorize's order): a row is the first of its
    # group exactly when its number is above every earlier row's, and the g-th first row is
    # group g's first row
    group = np.asarray(pd.factorize(group)[0], dtype=np.int64)
    first = np.empty(len(group), dtype=bool)
    first[0] = True
    if len(group) > 1:
        first[1:] = group[1:] > np.maximum.accumulate(group)[:-1]
    first_row = np.flatnonzero(first)
    dup = ~first
    return rows[dup], rows[first_row[group[dup]]]


#: tables of at least this many rows look for duplicate keys by a row hash first (see
#: :func:`_duplicate_keys_hashed`); smaller ones go straight to :func:`_duplicate_keys`
HASHED_DUPLICATES_ROWS = 200_000


def _duplicate_keys_hashed(df: pd.DataFrame, key: tuple[str, ...], ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_duplicate_keys`, with a 64-bit hash of each row's key (DuckDB's ``hash``, over
    the columns handed to it as Arrow without a copy) screening out the rows whose key cannot
    repeat: equal keys have equal hashes, so only rows whose hash occurs more than once can be
    duplicates, and all rows of such a key are among them.  The exact function then runs on
    those rows alone (usually none): the same positions and first rows, far less work and memory
    than numbering every key column when the keys are unique (measured: 7.9M interaction keys,
    2.1 s / +162 MiB against 10.8 s / +882 MiB).  When many hashes repeat (a quarter of the rows
    or more) the exact function runs on every row.  Key columns other than text and naive
    datetimes go straight to the exact function.

    Example
    -------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"a": ["x", "y", "x", "x"], "b": pd.to_datetime(["2024-01-01"] * 3 + ["2024-01-02"])})
    >>> [p.tolist() for p in _duplicate_keys_hashed(df, ("a", "b"), np.ones(4, bool))]
    [[2], [0]]
    """
    import duckdb

    cols = {}
    for i, k in enumerate(key):
        s = df[k]
        if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
            cols[f"k{i}"] = pa.array(s, type=_TEXT, from_pandas=True)
        elif s.dtype.kind == "M":  # naive datetime64
            cols[f"k{i}"] = pa.array(s.to_numpy())
        else:
            return _duplicate_keys(df, key, ok)
    con = duckdb.connect()
    try:
        con.register("keys", pa.table(cols))
        h = np.asarray(con.execute(f"SELECT hash({', '.join(cols)}) AS h FROM keys").fetchnumpy()["h"])
    finally:
        con.close()
    del cols
    if len(h) != len(df):  # pragma: no cover - DuckDB returns one hash per row
        return _duplicate_keys(df, key, ok)
    seen = np.sort(h if ok.all() else h[ok])
    repeated = seen[1:][seen[1:] == seen[:-1]]
    del seen
    if not len(repeated):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if 4 * len(repeated) >= int(ok.sum()):
        return _duplicate_keys(df, key, ok)
    return _duplicate_keys(df, key, ok & np.isin(h, repeated))


def validate(
    sources: dict[str, Source] | Iterable[Source],
    *,
    mapping: Mapping | None = None,
    lookup: Callable[[str, list[str]], pd.DataFrame] | None = None,
    now: pd.Timestamp | str | None = None,
    release: bool = False,
) -> Validated:
    """Validate raw sources against the contract, collecting every problem.

    Parameters
    ----------
    sources
        Raw tables from :func:`graphcrm.loaders.read_sources`, or an iterator of them in
        contract order (:func:`graphcrm.loaders.read.iter_sources`): each table is then taken,
        validated and its raw values freed before the next is read, so only one raw table is
        held at a time (``release`` is implied).  Either way the results are the same; a missing
        required column is reported for every file (the remaining files are still read).
    mapping
        Value renames (matched against the cleaned text of any column).
    lookup
        ``lookup(table, columns)`` returns those columns of a table already in the store
        (used to resolve references to rows loaded earlier).  None: an empty store.
    now
        Dates after ``now`` (plus one day of slack for time zones) are rejected as future dates
        (default: the current time; a time-zone-aware ``now`` is compared in UTC).
    release
        Free each source's raw values once its table is validated (``Source.frame`` becomes an
        empty frame with the same columns): for a caller that only needs the result, e.g. a
        load (at 1M owners the raw text of the interactions is ~1.6 GB).

    Returns
    -------
    Validated
        ``frames``: clean typed frames (accepted rows; the contract columns present in the input,
        minus those blank in every accepted row).  Dtypes: text and enum columns ``str``,
        dates ``datetime64[ns]`` (naive UTC), yes/no ``boolean``, whole numbers ``Int64``,
        other numbers ``float64``; a blank input value is missing (``NaN``/``<NA>``/``NaT``),
        never the column default.
        ``counts``: table, source_file, read, loaded, rejected (rows);
        ``rejects``: the problems (see :class:`LoadReport`; personal data hidden);
        ``normalized_ids``: ``{table: {column: n}}`` id values changed by cleaning (text values
        whose cleaned form differs from the value with surrounding whitespace trimmed; numbers
        turned into text are not counted), plus those counted while reading
        (:attr:`Source.normalized_ids`).

    Raises
    ------
    InputFileError
        A required column is missing from a file (nothing is loaded).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from graphcrm.loaders import Source, validate
    >>> owners = pd.DataFrame({"owner_id": ["o1", "o1\\u200b", "ｏ２"],
    ...                        "marketing_opt_out": ["true", "false", ""],
    ...                        "joined_at": ["2024-01-05", "", "9999-12-31"]})
    >>> v = validate({"owners": Source("owners", owners, "<owners>", np.arange(3))}, now="2026-01-01")
    >>> v.frames["owners"]["owner_id"].tolist()
    ['o1', 'o2']
    >>> v.frames["owners"]["marketing_opt_out"].tolist()
    [True, <NA>]
    >>> v.frames["owners"]["joined_at"].isna().tolist()
    [False, True]
    >>> v.rejects["reason"].tolist()
    ['duplicate key (owner_id) first seen at row 0']
    >>> v.normalized_ids
    {'owners': {'owner_id': 2}}
    """
    mapping = mapping or Mapping()
    now = _future_limit(now)
    if isinstance(sources, dict):
        # file-level problems first: nothing is loaded if any file is unusable
        _check_required_columns(sources)
        stream: Iterator[Source] = (sources[n] for n in TABLES if n in sources)
        seen = sources
    else:  # one table at a time: its file-level problems when it is read
        stream, seen, release = iter(sources), {}, True

    frames: dict[str, pd.DataFrame] = {}
    probs: dict[str, _Problems] = {}
    normalized: dict[str, dict[str, int]] = {}
    hidden: dict[str, dict[str, int]] = {}
    accepted_keys: dict[str, pa.Array] = {}
    rejected_keys: dict[str, set] = {}
    post_frame: pd.DataFrame | None = None  # the posts' normalized ids and times, for interactions

    def key_index(tname: str, col: str) -> pa.Array:
        parts = []
        if lookup is not None:
            stored = lookup(tname, [col])[col].reset_index(drop=True)
            parts.append(_text_array(stored)[0])
        if tname in accepted_keys:
            parts.append(accepted_keys[tname])
        return pa.concat_arrays(parts) if parts else pa.array([], type=_TEXT)

    counts_rows = []
    reject_parts = []
    clean: dict[str, pd.DataFrame] = {}

    def validate_one(src: Source) -> None:
        nonlocal post_frame
        name = src.table
        p = _Problems()
        frames[name], changed, masked = _normalize(src, mapping, now, p)
        if masked:
            hidden[name] = masked
        _read_problems(src, len(frames[name]), p)
        probs[name] = p
        for c, k in (src.normalized_ids or {}).items():
            changed[c] = changed.get(c, 0) + int(k)
        if any(changed.values()):
            normalized[name] = {c: k for c, k in changed.items() if k}
        t = TABLES[name]
        df = frames[name]
        _duplicate_key_problems(df, t, src.rows, p)
        _reference_problems(df, t, seen, key_index, rejected_keys, p)
        if name == "interactions" and len(df):
            posts = lookup("posts", ["post_id", "created_at"]) if lookup is not None else None
            _early_interaction_problems(df, [x for x in (posts, post_frame) if x is not None and len(x)], p)
        bad_pos = p.positions()
        keep = np.ones(len(df), dtype=bool)
        keep[bad_pos] = False
        if len(t.key) == 1:
            _record_keys(_arrow_text(df[t.key[0]]), keep, name, accepted_keys, rejected_keys)
        if name == "posts" and {"post_id", "created_at"} <= set(df.columns):
            post_frame = df[["post_id", "created_at"]]

        # assemble this table
        kept = df if keep.all() else df.loc[keep].reset_index(drop=True)  # no copy when nothing is rejected
        frames[name] = None  # the unfiltered frame is not needed any more
        del df
        # a column blank in every loaded row carries nothing: leave it out, so that no store can
        # mistake it for values (a re-export with an empty opt-out column changes no flag)
        empty = [c for c in kept.columns if c not in t.key and len(kept) and bool(kept[c].isna().all())]
        clean[name] = kept.drop(columns=empty)
        counts_rows.append(
            {"table": name, "source_file": src.file, "read": len(keep), "loaded": int(keep.sum()), "rejected": int(len(bad_pos))}
        )
        part = _reject_frame(name, src, p, bad_pos, len(keep))
        if part is not None:
            reject_parts.append(part)
        if release:  # the caller does not need the raw values any more: free them now
            src.frame = src.frame.iloc[:0]

    # one table at a time, in contract order (referenced tables come first): normalise, find
    # duplicate keys and unknown references, keep the accepted rows and the rejects, then free
    # what the next tables do not need (with ``release``, the raw values too)
    order = list(TABLES)
    try:
        for src in stream:
            name = src.table
            if seen is not sources:
                if seen and order.index(name) <= order.index(list(seen)[-1]):
                    raise ValueError(f"validate: sources must come in contract order ({', '.join(TABLES)}); "
                                     f"got {name} after {', '.join(seen)}")
                if any(c not in src.frame.columns for c in TABLES[name].required):
                    # name every file that lacks a column, as a whole-dict validation does: read the rest
                    pending = {name: _slim(src)}
                    del src
                    for rest in stream:
                        pending[rest.table] = _slim(rest)
                    _check_required_columns(pending)
            validate_one(src)
            if seen is not sources:
                seen[name] = _slim(src)  # what the later tables need: the file name, ignored columns
            del src
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    counts = pd.DataFrame(counts_rows, columns=["table", "source_file", "read", "loaded", "rejected"])
    rejects = (
        pd.concat(reject_parts, ignore_index=True)
        if reject_parts
        else pd.DataFrame({c: [] for c in REJECT_COLUMNS + ["reason_kind"]})
    )
    rejects["row"] = rejects["row"].astype("int64")
    ignored = {name: src.ignored_columns for name, src in seen.items() if src.ignored_columns}
    return Validated(clean, counts, rejects, ignored, normalized, hidden)


def _slim(src: Source) -> Source:
    """A source without its values or row numbers: what is kept of a table once it is validated."""
    return Source(src.table, src.frame.iloc[:0], src.file, src.rows[:0], src.encoding, src.ignored_columns,
                  [], src.normalized_ids, src.delimiter, src.sheet)


def _future_limit(now: pd.Timestamp | str | None) -> pd.Timestamp:
    """``now`` (default: the current time) as naive UTC plus one day of time-zone slack."""
    now = pd.Timestamp(now) if now is not None else pd.Timestamp.now()
    if now.tzinfo is not None:
        now = now.tz_convert("UTC").tz_localize(None)
    return now + pd.Timedelta(days=1)


def _check_required_columns(sources: dict[str, Source]) -> None:
    """Raise InputFileError naming every file that lacks a required column of its table."""
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


def _duplicate_key_problems(df: pd.DataFrame, t: Table, rows: np.ndarray, p: _Problems) -> None:
    """Add a problem for every row whose key repeats an earlier row's (first occurrence wins)."""
    key_ok = np.ones(len(df), dtype=bool)
    for k in t.key:
        key_ok &= ~pd.isna(df[k]).to_numpy()
    if len(df):
        find = _duplicate_keys_hashed if len(df) >= HASHED_DUPLICATES_ROWS else _duplicate_keys
        dpos, first_pos = find(df, t.key, key_ok)
        if len(dpos):
            first_rows = rows[first_pos]
            mask = np.zeros(len(df), dtype=bool)
            mask[dpos] = True
            reasons = np.empty(len(df), dtype=object)
            reasons[dpos] = [f"duplicate key ({', '.join(t.key)}) first seen at row {r}" for r in first_rows]
            p.add(mask, ",".join(t.key), reasons, "duplicate key")


def _reference_problems(df: pd.DataFrame, t: Table, sources: dict[str, Source],
                        key_index: Callable[[str, str], pa.Array], rejected_keys: dict[str, set],
                        p: _Problems) -> None:
    """Add a problem for every present reference not among the referenced table's known keys."""
    for col, rtable, rcol in t.references:
        known = key_index(rtable, rcol)
        vals = _arrow_text(df[col])
        present = ~_mask(pc.is_null(vals))
        ok = _mask(pc.is_in(vals, value_set=known))
        bad = present & ~ok
        if bad.any():
            rej = rejected_keys.get(rtable, set())
            where = sources[rtable].file if rtable in sources else f"{rtable} input"
            reasons = np.empty(len(df), dtype=object)
            idx = np.flatnonzero(bad)
            for i, v in zip(idx, _objects(vals.filter(pa.array(bad)))):
                if v in rej:
                    reasons[i] = f"{col}={v!r}: that {rtable} row was rejected in this load"
                else:
                    reasons[i] = f"unknown {col}={v!r}: not in {where} nor in the store"
            p.add(bad, col, reasons, "unknown reference")


def _early_interaction_problems(df: pd.DataFrame, parts: list[pd.DataFrame], p: _Problems) -> None:
    """Add a problem for every interaction dated over a minute before its post (posts in ``parts``)."""
    if parts and "created_at" in df:
        post_times = pd.concat([x[["post_id", "created_at"]] for x in parts]).drop_duplicates("post_id", keep="last")
        # each interaction's post by an arrow hash look-up (int32 positions): a pandas
        # ``map`` turned 22M ids into Python strings (1.5 GB at 1M demo owners)
        where = pc.index_in(_arrow_text(df["post_id"]), value_set=_arrow_text(post_times["post_id"]))
        pos = where.to_numpy(zero_copy_only=False)
        pos = np.where(np.isnan(pos), -1, pos).astype(np.int64) if pos.dtype.kind == "f" else pos.astype(np.int64)
        created = np.r_[post_times["created_at"].to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns")]
        post_time = created[pos]  # -1 (unknown post) reads the trailing NaT
        del where, pos
        early = (df["created_at"].to_numpy(dtype="datetime64[ns]") < post_time - np.timedelta64(1, "m"))
        p.add(early, "created_at", "interaction dated before its post was created", "impossible date")


def _record_keys(keys: pa.Array, keep: np.ndarray, name: str, accepted_keys: dict[str, pa.Array],
                 rejected_keys: dict[str, set]) -> None:
    """Store a single-key table's accepted keys, and its rejected keys not also accepted."""
    accepted_keys[name] = keys.filter(pa.array(keep))
    if not keep.all():
        rejected = keys.filter(pa.array(~keep))
        rejected = rejected.filter(pc.invert(pc.fill_null(pc.is_in(rejected, value_set=accepted_keys[name]), True)))
        rejected_keys[name] = set(_objects(rejected))


def _reject_frame(name: str, src: Source, p: _Problems, bad_pos: np.ndarray, n: int) -> pd.DataFrame | None:
    """The rejects rows of one table (one per problem, values shown privacy-safe), or None if none."""
    pos, column, reason, kind = p.arrays()
    if not len(pos):
        return None
    shown = np.asarray(_reject_values(src.frame.reset_index(drop=True), TABLES[name], bad_pos), dtype=object)
    line_of = np.zeros(n, dtype=np.int64)
    line_of[bad_pos] = np.arange(len(bad_pos))
    return pd.DataFrame(
        {
            "table": _strs([name] * len(pos)),
            "source_file": _strs([src.file] * len(pos)),
            "row": src.rows[pos],
            "column": _strs(column),
            "reason": _strs(reason),
            "values": _strs(shown[line_of[pos]]),
            "reason_kind": _strs(kind),
        }
    )
