"""Files graphcrm writes: formula-safe CSV, atomic writes, and never over an input.

Every CSV graphcrm writes (report tables, ``targets -o``, ``--format csv`` on every command,
``graphcrm export ... .csv``, the rejects file of a load) goes through :func:`write_csv`, which
applies :func:`escape_formulas`; every output path given by a user goes through
:func:`check_output_path` first.  The rules are listed in ``docs/reliability.md`` ("Files
written").

Formula injection
    A text cell that a spreadsheet would read as a formula gets a single quote ``'`` in front
    (OWASP, "CSV Injection"): cells whose first character is a tab or a carriage return, and
    cells whose first character after leading whitespace (spaces, tabs, line breaks, no-break
    and ideographic spaces, zero-width characters, a BOM) is ``=``, ``+``, ``-`` or ``@``.
    Numbers are never changed: numeric columns are written as numbers, and a text cell that is
    exactly a plain decimal number (``-3.5``, ``+86``, `` 1e5``) is left as it is, since a
    spreadsheet reads it as that number, not as a formula.  Headers are treated like cells.

Atomic writes
    Files are written to a temporary file in the destination folder and moved over the
    destination with :func:`os.replace`: a failed write leaves the old file (or no file), never
    a half-written one.

Inputs are never overwritten
    :func:`check_output_path` refuses, before anything is written, an output that is a folder,
    sits in a folder that does not exist, is (or is a hard or symbolic link of) a file the
    command reads (the store file, the files being loaded, the mapping), or looks like an
    input table: ``owners.csv`` ... ``interactions.parquet`` or any Excel workbook, unless
    the existing file already has exactly the header about to be written (an earlier output
    of the same command).
"""
from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from graphcrm.contract import TABLE_NAMES
from graphcrm.errors import OutputFileError

#: first characters that make a text cell a formula (after leading whitespace) in Excel,
#: LibreOffice and Google Sheets
FORMULA_CHARS = ("=", "+", "-", "@")
#: first characters that are dangerous as such (OWASP: tab and carriage return)
FORMULA_LEAD = ("\t", "\r")
#: characters skipped before looking for a formula character: Unicode whitespace, zero-width
#: characters and the BOM (a spreadsheet may trim them)
_SKIP = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
         "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"  # str.isspace()
         "\u180e\u200b\u200c\u200d\u2060\ufeff")
#: a text cell that is exactly a plain decimal number (left alone: it is read as a number)
_NUMBER = r" *[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)? *"
_NUMBER_RE = re.compile(_NUMBER)

#: suffixes of files graphcrm reads as tables (a file named ``<table><suffix>`` is an input)
INPUT_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".xlsx", ".xlsm", ".xls")
#: workbooks: graphcrm never writes one, so never overwrites one
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


# ----------------------------------------------------------------------------------------
# formula injection
# ----------------------------------------------------------------------------------------
def escape_formula(value: Any) -> Any:
    """One cell made safe to open in a spreadsheet (see the module docstring for the rule).

    Parameters
    ----------
    value
        Any cell value; only ``str`` values can change.

    Returns
    -------
    Any
        ``"'" + value`` for a text cell a spreadsheet would run as a formula, else ``value``.

    Example
    -------
    >>> [escape_formula(v) for v in ["=1+1", " @SUM(A1)", "\\tx", "-3.5", -3.5, "a-b", "上海"]]
    ["'=1+1", "' @SUM(A1)", "'\\tx", '-3.5', -3.5, 'a-b', '上海']
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in FORMULA_LEAD or value.lstrip(_SKIP)[:1] in FORMULA_CHARS:
        if _NUMBER_RE.fullmatch(value):
            return value
        return "'" + value
    return value


#: a text cell :func:`escape_formula` may change (a formula character after the skipped
#: characters, or a tab/CR first: both are in ``_SKIP``), as an RE2 pattern for Arrow
_DANGER_RE2 = "^[" + "".join(f"\\x{{{ord(c):x}}}" for c in _SKIP) + "]*[=+\\-@]|^[\\t\\r]"


def _may_be_formula(s: pd.Series) -> bool:
    """False when no cell of the text column ``s`` (a pandas string dtype) can need escaping:
    one Arrow regex pass instead of the four column passes of :func:`_escape_series` (which
    still decides, cell by cell, when this says True).  True when Arrow cannot take the column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(s.array, from_pandas=True)
        return bool(pc.any(pc.match_substring_regex(arr, _DANGER_RE2)).as_py())
    except (pa.ArrowException, TypeError, ValueError, UnicodeError):
        return True


def _escape_series(s: pd.Series) -> pd.Series:
    """Vectorised :func:`escape_formula` over a text column (same result on every string backend)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        if not _may_be_formula(s):
            return s
        text = s
    elif s.dtype == object:
        is_str = s.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        if not is_str.any():
            return s
        text = s.where(is_str, "").astype(str)
    else:
        return s  # numbers, booleans, datetimes: never changed
    first = text.str[:1]
    danger = (first.isin(FORMULA_LEAD) | text.str.lstrip(_SKIP).str[:1].isin(FORMULA_CHARS)).fillna(False)
    danger = danger.to_numpy(dtype=bool, copy=True)
    if s.dtype == object:
        danger &= is_str
    if not danger.any():
        return s
    idx = np.flatnonzero(danger)
    vals = text.iloc[idx]
    plain_number = vals.str.fullmatch(_NUMBER).fillna(False).to_numpy(dtype=bool)
    idx = idx[~plain_number]
    if not len(idx):
        return s
    out = s.copy()
    out.iloc[idx] = ("'" + text.iloc[idx].astype(object)).to_numpy(dtype=object)
    return out


def _is_text(s: pd.Series) -> bool:
    return s.dtype == object or isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s.dtype)


def escape_formulas(df: pd.DataFrame) -> pd.DataFrame:
    r"""A copy of ``df`` whose text cells and headers are safe to open in a spreadsheet.

    The one rule every CSV writer of graphcrm uses (:func:`escape_formula` per cell).  Numeric,
    boolean and datetime columns are returned unchanged; so is ``df.attrs``.

    Parameters
    ----------
    df
        Any frame.

    Returns
    -------
    DataFrame
        Same shape, index and dtypes; text cells starting (after whitespace) with ``=``, ``+``,
        ``-``, ``@``, or starting with a tab or carriage return, prefixed with ``'``.

    Example
    -------
    >>> safe = escape_formulas(pd.DataFrame({"city": ['=HYPERLINK("x")', "北京"], "d": [-1.5, 2.0]}))
    >>> safe["city"].tolist(), safe["d"].tolist()
    (['\'=HYPERLINK("x")', '北京'], [-1.5, 2.0])
    """
    out = df.copy()
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        new = _escape_series(col)
        if new is not col:
            out.isetitem(i, new)
    out.columns = [escape_formula(c) for c in out.columns]
    out.attrs = dict(df.attrs)
    return out


# ----------------------------------------------------------------------------------------
# output paths
# ----------------------------------------------------------------------------------------
def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def looks_like_input(path: Path) -> bool:
    """True for a file named like an input table (``owners.csv``, ``posts.parquet``, ...) or a workbook."""
    suffix = path.suffix.lower()
    return suffix in WORKBOOK_SUFFIXES or (path.stem.lower() in TABLE_NAMES and suffix in INPUT_SUFFIXES)


def csv_header(path: Path) -> list[str] | None:
    """The first row of a CSV file (BOM removed), or None when it cannot be read as text."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64 * 1024)
        line = head.decode("utf-8-sig").splitlines()[0] if head.strip() else ""
        return next(csv.reader([line])) if line else []
    except (OSError, UnicodeDecodeError, csv.Error, IndexError):
        return None


def check_output_path(
    path: str | os.PathLike,
    *,
    what: str,
    protect: Iterable[str | os.PathLike] = (),
    header: list[str] | None = None,
    input_check: bool = True,
) -> Path:
    """Check that ``path`` can be written without destroying anything; return it resolved.

    Call it before doing the work (and before any store commit).

    Parameters
    ----------
    path
        The output file.
    what
        How the user named it, for the message (e.g. ``"--output"``, ``"the rejects file"``).
    protect
        Files the command reads (the store file, input files, the mapping): never written.
        Missing ones are ignored.
    header
        The CSV header about to be written: an existing file named like an input table may be
        replaced only when it has exactly this header (an earlier output of the same kind).
    input_check
        False skips the "looks like an input table" rule (for an early check made before the
        header is known; :func:`write_csv` applies it when writing).

    Returns
    -------
    pathlib.Path
        The resolved path (symbolic links followed: the real file is replaced).

    Raises
    ------
    OutputFileError
        The path is a folder, its folder does not exist or is not a folder, it is one of the
        ``protect`` files (or a link to one), or it looks like an input table.
    """
    p = Path(path).expanduser()
    real = p.resolve()
    if real.is_dir():
        raise OutputFileError(f"{what} {p} is a folder; give a file name")
    if not real.parent.is_dir():
        raise OutputFileError(f"{what} {p}: the folder {p.parent} does not exist; create it first")
    for other in protect:
        o = Path(other)
        if real == o.resolve() or (real.exists() and _same_file(real, o)):
            raise OutputFileError(
                f"{what} {p} is the same file as {o}, which this command reads; "
                f"writing there would destroy that input: choose another file name")
    if input_check and real.exists() and looks_like_input(real):
        if header is None or real.suffix.lower() in WORKBOOK_SUFFIXES or csv_header(real) != list(header):
            raise OutputFileError(
                f"{what} {p} looks like an input table ({real.name}); graphcrm does not overwrite it: "
                f"choose another file name (or delete the file first)")
    return real


def check_output_dir(folder: str | os.PathLike, *, what: str) -> Path:
    """Check a folder that will receive output files (it may not exist yet); return it resolved.

    Raises
    ------
    OutputFileError
        ``folder`` is a file, or it already holds input tables (``owners.csv`` ...) or workbooks.
    """
    p = Path(folder).expanduser()
    real = p.resolve()
    if real.exists() and not real.is_dir():
        raise OutputFileError(f"{what} {p} is a file, not a folder")
    if real.is_dir():
        inputs = sorted(f.name for f in real.iterdir() if f.is_file() and looks_like_input(f))
        if inputs:
            raise OutputFileError(
                f"{what} {p} holds input tables ({', '.join(inputs[:4])}{' ...' if len(inputs) > 4 else ''}); "
                f"write the output to a folder of its own")
    return real


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


class StagedFile:
    """A file written completely to a temporary name beside its destination, moved in by :meth:`commit`.

    Writing everything first means a full disk or a permission problem shows up before the
    caller does anything that cannot be undone (e.g. commit a load); :meth:`commit` is then one
    :func:`os.replace`, atomic on POSIX and Windows.
    """

    def __init__(self, target: Path, tmp: Path):
        self.target = target
        self.tmp = tmp

    def commit(self) -> Path:
        os.replace(self.tmp, self.target)
        return self.target

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.tmp.unlink()


def stage(target: str | os.PathLike, write: Any, *, what: str) -> StagedFile:
    """Write a temporary file in ``target``'s folder with ``write(tmp_path)``; return it staged.

    Raises
    ------
    OutputFileError
        The folder is not writable or the write failed (e.g. disk full); no file is left behind.
    """
    target = Path(target)
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputFileError(f"cannot write {what} {target}: {exc.strerror or exc}") from None
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, _mode_for(target))
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OutputFileError(f"cannot write {what} {target}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return StagedFile(target, tmp)


@contextlib.contextmanager
def atomic_output(target: str | os.PathLike, *, what: str = "the output file") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; when the block succeeds, move it onto ``target``.

    Raises
    ------
    OutputFileError
        The file cannot be written; ``target`` is then unchanged.
    """
    staged = stage(target, lambda tmp: None, what=what)
    try:
        yield staged.tmp
    except OSError as exc:
        staged.discard()
        raise OutputFileError(f"cannot write {what} {target}: {exc.strerror or exc}") from None
    except BaseException:
        staged.discard()
        raise
    try:
        staged.commit()
    except OSError as exc:
        staged.discard()
        raise OutputFileError(f"cannot write {what} {target}: {exc.strerror or exc}") from None


#: characters that make Python's csv writer (QUOTE_MINIMAL, ``\r\n`` rows) quote a field
_QUOTE_RE = r'[,"\r\n]'


def _pool() -> Any:
    """Arrow's system allocator for the CSV columns: mimalloc (Arrow's default) hands the large
    temporary buffers back to the kernel and faults them in again, ~0.2-1.2 s of system time
    per 100,000-row table (measured at 300,000 owners) against ~0.15 s with malloc."""
    import pyarrow as pa

    return pa.system_memory_pool()


def _large(text: str) -> Any:
    """An Arrow large_string scalar (compute kernels do not mix string and large_string)."""
    import pyarrow as pa

    return pa.scalar(text, type=pa.large_string(), memory_pool=_pool())


def _float_text(v: np.ndarray) -> Any:
    """``repr`` of every float64 of ``v`` as an Arrow large_string array: ``repr`` once per
    distinct 64-bit pattern (so ``-0.0`` and ``0.0``, and every NaN payload, stay apart), spread
    back by position.  A report's rounded columns hold few distinct values: ~0.8 s of Python
    ``repr`` per 100,000-owner report became a sort of the bit patterns."""
    import pyarrow as pa

    v = np.ascontiguousarray(v, dtype=np.float64)
    if len(v) < 1024:
        return pa.array([repr(x) for x in v.tolist()], type=pa.large_string(), memory_pool=_pool())
    bits, inverse = np.unique(v.view(np.int64), return_inverse=True)
    if len(bits) > len(v) // 2:  # mostly distinct: the sort does not pay
        return pa.array([repr(x) for x in v.tolist()], type=pa.large_string(), memory_pool=_pool())
    text = pa.array([repr(x) for x in bits.view(np.float64).tolist()], type=pa.large_string(), memory_pool=_pool())
    import pyarrow.compute as pc

    return pc.take(text, pa.array(inverse.reshape(-1).astype(np.int64, copy=False)), memory_pool=_pool())


def _arrow_text(s: pd.Series) -> Any:
    """One column as the text ``DataFrame.to_csv`` writes for it (no quoting yet), as an Arrow
    large_string array without nulls; ``None`` for a dtype this path does not format the way
    pandas does (the caller then writes the whole frame with pandas).

    pandas' rules (``pandas.core.indexes.base.get_values_for_csv`` with ``na_rep=""``): float64
    cells are NumPy's ``astype(str)``, which is Python's ``repr`` (shortest round trip; tests
    compare the two on awkward values); integers and booleans are ``str``; text, categories of
    text and nullable integers/booleans go through ``astype(object)`` and ``str``; missing
    values are empty."""
    import pyarrow as pa
    import pyarrow.compute as pc

    dt = s.dtype
    if isinstance(dt, np.dtype):
        v = s.to_numpy()
        if dt == np.float64:
            miss = np.isnan(v)
            arr = _float_text(v)
            return pc.if_else(pa.array(miss), _large(""), arr, memory_pool=_pool()) if miss.any() else arr
        if dt.kind in "iu":
            return pa.array(v, memory_pool=_pool()).cast(pa.large_string(), memory_pool=_pool())
        if dt == np.bool_:
            return pc.if_else(pa.array(v), _large("True"), _large("False"), memory_pool=_pool())
        if dt == object:
            miss = s.isna().to_numpy(dtype=bool)
            vals = v[~miss]
            if not all(type(x) is str for x in vals.tolist()):
                return None
            arr = pa.array(np.where(miss, "", v).tolist() if miss.any() else v.tolist(), type=pa.large_string(),
                           memory_pool=_pool())
            return arr
        return None
    if isinstance(dt, pd.CategoricalDtype):
        if not (dt.categories.dtype == object or pd.api.types.is_string_dtype(dt.categories.dtype)):
            return None
        if not all(type(x) is str for x in dt.categories.tolist()):
            return None
        arr = pa.array(s.astype(object).where(s.notna(), None).tolist(), type=pa.large_string(), memory_pool=_pool())
        return pc.coalesce(arr, _large(""), memory_pool=_pool())
    if pd.api.types.is_string_dtype(dt):
        arr = pa.array(s.array, from_pandas=True)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks(memory_pool=_pool())
        return pc.coalesce(arr.cast(pa.large_string(), memory_pool=_pool()), _large(""), memory_pool=_pool())
    if isinstance(dt, (pd.Int64Dtype, pd.Int32Dtype, pd.Int16Dtype, pd.Int8Dtype,
                       pd.UInt64Dtype, pd.UInt32Dtype, pd.UInt16Dtype, pd.UInt8Dtype)):
        arr = pa.array(s.array, from_pandas=True).cast(pa.large_string(), memory_pool=_pool())
        return pc.coalesce(arr, _large(""), memory_pool=_pool())
    if isinstance(dt, pd.BooleanDtype):
        text = pc.if_else(pa.array(s.array, from_pandas=True), _large("True"), _large("False"), memory_pool=_pool())
        return pc.coalesce(text, _large(""), memory_pool=_pool())
    return None


def _never_quoted(dt: Any) -> bool:
    """True for the dtypes whose text (:func:`_arrow_text`) never holds a character that needs
    quoting: NumPy and nullable integers, float64, booleans."""
    if isinstance(dt, np.dtype):
        return dt.kind in "iub" or dt == np.float64
    return isinstance(dt, (pd.Int64Dtype, pd.Int32Dtype, pd.Int16Dtype, pd.Int8Dtype, pd.UInt64Dtype,
                           pd.UInt32Dtype, pd.UInt16Dtype, pd.UInt8Dtype, pd.BooleanDtype))


def _csv_bytes(df: pd.DataFrame) -> bytes | None:
    """``df.to_csv(index=False, lineterminator="\r\n")`` as UTF-8 bytes, built column-wise
    in Arrow (quoting and the joining of cells in C++; pandas formats and quotes each cell
    through Python's csv writer: ~3 s of a 100,000-owner report); ``None`` when a column is
    of a dtype this path does not handle, or the frame has fewer than two columns (a row of
    one empty field is written ``""``), so the caller writes it with pandas.  Byte for byte the
    same as pandas (tests/test_files_written.py compares the two on awkward frames and on every
    CSV of a demo report)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if df.shape[1] < 2 or not df.columns.is_unique:
        return None
    cols = []
    for i in range(df.shape[1]):
        col = df.iloc[:, i]
        a = _arrow_text(col)
        if a is None:
            return None
        if _never_quoted(col.dtype):  # digits, signs, '.', 'e', "inf", "nan", "True": no , " CR LF
            cols.append(a)
            continue
        need = pc.match_substring_regex(a, _QUOTE_RE, memory_pool=_pool())
        if pc.any(need).as_py():
            inner = pc.replace_substring(a, '"', '""', memory_pool=_pool())
            quoted = pc.binary_join_element_wise(_large('"'), inner, _large('"'), _large(""), memory_pool=_pool())
            a = pc.if_else(need, quoted, a, memory_pool=_pool())
        cols.append(a)
    head = io.StringIO()
    csv.writer(head, lineterminator="\r\n").writerow([str(c) for c in df.columns])
    out = head.getvalue().encode("utf-8")
    if not len(df):
        return out
    rows = pc.binary_join_element_wise(*cols, _large(","), memory_pool=_pool())
    # each row followed by the terminator
    rows = pc.binary_join_element_wise(rows, _large(""), _large("\r\n"), memory_pool=_pool())
    if isinstance(rows, pa.ChunkedArray):
        rows = rows.combine_chunks(memory_pool=_pool())
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)
    start, end = int(offsets[rows.offset]), int(offsets[rows.offset + len(rows)])
    return out + rows.buffers()[2].slice(start, end - start).to_pybytes()


def _fast_csv(df: pd.DataFrame) -> bytes | None:
    """:func:`_csv_bytes`, or ``None`` (pandas writes the file) when Arrow cannot take a value,
    e.g. a lone surrogate in a text cell (pandas then raises its own encoding error)."""
    import pyarrow as pa

    try:
        return _csv_bytes(df)
    except (pa.ArrowException, UnicodeError):
        return None


def write_csv(
    df: pd.DataFrame,
    target: str | os.PathLike | TextIO,
    *,
    encoding: str = "utf-8-sig",
    what: str = "the output file",
    protect: Iterable[str | os.PathLike] = (),
    staged: bool = False,
) -> StagedFile | None:
    """Write ``df`` as formula-safe CSV (no index) to a path, atomically, or to an open text stream.

    Files end their lines with CRLF (RFC 4180, as Excel writes them), so a cell holding a line
    break is always quoted; streams (``--format csv`` on stdout) use LF, or CRLF when a text cell
    holds a carriage return (which Python's csv module would otherwise leave unquoted).

    Parameters
    ----------
    df
        The table; cells are escaped with :func:`escape_formulas`.
    target
        A file path, or an open text stream (``sys.stdout``).
    encoding
        File encoding; the default UTF-8 with BOM makes Excel show Chinese correctly.
        Ignored for streams.
    what
        How the user named the file, for messages.
    protect
        Files the command reads, never overwritten (see :func:`check_output_path`).
    staged
        Write the whole file to a temporary name and return a :class:`StagedFile` to
        :meth:`~StagedFile.commit` later, instead of moving it in at once.

    Returns
    -------
    StagedFile or None
        The staged file with ``staged=True``, else None.

    Raises
    ------
    OutputFileError
        The path is unsafe (see :func:`check_output_path`) or the file cannot be written.

    Example
    -------
    >>> buf = io.StringIO()
    >>> write_csv(pd.DataFrame({"id": ["=cmd|' /C calc'!A0"], "x": [-1]}), buf)
    >>> buf.getvalue().splitlines()
    ['id,x', "'=cmd|' /C calc'!A0,-1"]
    """
    if hasattr(target, "write"):
        safe = escape_formulas(df)
        # Python's csv writer quotes a field holding a line break only when that character is in
        # the line terminator: a bare CR in a cell would end the row for every reader
        cr = any(safe[c].astype(str).str.contains("\r", regex=False).any() for c in safe.columns
                 if _is_text(safe[c]))
        safe.to_csv(target, index=False, lineterminator="\r\n" if cr else "\n")
        return None
    path = check_output_path(target, what=what, protect=protect, header=[str(c) for c in escape_formulas(df.head(0)).columns])
    safe = escape_formulas(df)

    def write(tmp: Path) -> None:
        data = _fast_csv(safe) if encoding in ("utf-8-sig", "utf-8") else None
        if data is not None:  # the same bytes as pandas, built column-wise
            with open(tmp, "wb") as fh:
                fh.write((b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b"") + data)
                fh.flush()
                os.fsync(fh.fileno())
            return
        with open(tmp, "w", encoding=encoding, newline="") as fh:
            safe.to_csv(fh, index=False, lineterminator="\r\n")  # RFC 4180 / Excel; quotes any CR or LF in a cell
            fh.flush()
            os.fsync(fh.fileno())

    st = stage(path, write, what=what)
    if staged:
        return st
    try:
        st.commit()
    except OSError as exc:
        st.discard()
        raise OutputFileError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    return None


def store_files(store: Any) -> list[Path]:
    """The files of an embedded store (the database and its write-ahead log); none for a server."""
    path = getattr(store, "path", None)
    if path is None:
        return []
    path = Path(path)
    return [path, path.with_name(path.name + ".wal")]


def is_rejects_file(path: str | os.PathLike, header: Iterable[str]) -> bool:
    """True when ``path`` is a rejects file written by an earlier load (its header starts like ``header``)."""
    head = csv_header(Path(path))
    want = list(header)[:3]
    return head is not None and head[:3] == want


class RejectsFile:
    """Where a load writes its rejected rows: checked before anything is read, written before the
    store commits, moved into place after it.

    The rules (``docs/reliability.md``, "Files written"):

    * the path must be a file in an existing folder; it is never a file the load reads (a table
      file, the mapping, the store, or a hard or symbolic link of one), never a file named like an
      input table, and in the input folder it may only replace an earlier rejects file;
    * with rejects, the whole file is written to a temporary file beside it *before* the store
      commits (a full disk or a read-only folder stops the load with nothing loaded), then
      moved over the path with :func:`os.replace` after the commit;
    * without rejects, an earlier rejects file at the path is removed, so the file never
      describes rejects this load did not have (any other file there is left alone).

    Parameters
    ----------
    path
        The rejects path the user gave, or None for ``default`` in the working directory.
    header
        The columns of a rejects file (to recognise earlier ones).
    source
        What the load reads: a folder, a file, or a mapping of DataFrames.
    mapping
        The mapping argument of the load (a TOML path is protected) and the table files it names.
    store
        The store loaded into (its files are protected).

    Raises
    ------
    OutputFileError
        From the constructor, when the path is unsafe (see above); nothing has been read or written.
    """

    DEFAULT = "graphcrm-rejects.csv"

    def __init__(self, path: str | os.PathLike | None, *, header: Iterable[str], source: Any,
                 mapping: Any = None, mapping_files: Iterable[str] = (), store: Any = None):
        self.header = [str(h) for h in header]
        self.given = Path(path) if path is not None else Path(self.DEFAULT)
        what = "the rejects file" if path is None else "--rejects"
        self.what = what
        protect: list[Path] = list(store_files(store))
        folder: Path | None = None
        if isinstance(source, (str, os.PathLike)):
            src = Path(source)
            if src.is_dir():
                folder = src
            elif src.exists():
                folder = src.parent
                protect.append(src)
        if isinstance(mapping, (str, os.PathLike)):
            protect.append(Path(mapping))
        if folder is not None:
            protect.extend(folder / f for f in mapping_files)
            if folder.is_dir():  # every file the load may read as a table
                protect.extend(f for f in folder.iterdir() if f.is_file() and looks_like_input(f))
        self.target = check_output_path(self.given, what=what, protect=protect, header=self.header)
        if folder is not None and folder.is_dir() and self.target.exists():
            in_folder = self.target.parent == folder.resolve() or any(
                f.is_file() and _same_file(f, self.target) for f in folder.iterdir())
            if in_folder and not is_rejects_file(self.target, self.header):
                raise OutputFileError(
                    f"{what} {self.given} is a file in the input folder {folder} that is not an earlier rejects "
                    f"file; graphcrm does not overwrite it: write the rejects elsewhere (e.g. --rejects "
                    f"{self.DEFAULT} in another folder)")
        self.staged: StagedFile | None = None

    def stage(self, rejects: pd.DataFrame) -> None:
        """Write ``rejects`` (when there are any) to a temporary file beside the target, before the commit.

        Raises
        ------
        OutputFileError
            The file cannot be written (folder not writable, disk full): nothing is loaded.
        """
        if len(rejects):
            self.staged = write_csv(rejects, self.target, what=self.what, staged=True)

    def discard(self) -> None:
        """The load failed: drop the staged file (the target is untouched)."""
        if self.staged is not None:
            self.staged.discard()
            self.staged = None

    def finish(self, *, loaded_into: str) -> str | None:
        """After the commit: move the staged rejects in, or remove an earlier rejects file.

        Returns
        -------
        str or None
            The rejects file written, or None when there were no rejects.

        Raises
        ------
        OutputFileError
            The file could not be moved in (or an old one not removed); the message says that the
            rows were loaded.
        """
        if self.staged is not None:
            staged, self.staged = self.staged, None
            try:
                return str(staged.commit())
            except OSError as exc:
                raise OutputFileError(
                    f"the rows WERE loaded into {loaded_into}, but the rejects file {self.given} could not be "
                    f"written ({exc.strerror or exc}); the rejects are in {staged.tmp}") from None
        if self.target.is_file() and is_rejects_file(self.target, self.header):
            try:
                self.target.unlink()
            except OSError as exc:
                raise OutputFileError(
                    f"the rows WERE loaded into {loaded_into} with no rows rejected, but the rejects file "
                    f"{self.given} from an earlier load could not be removed ({exc.strerror or exc}); delete it: "
                    f"it does not describe this load") from None
            import logging

            logging.getLogger("graphcrm").info("removed %s: rejects of an earlier load (this one had none)",
                                               self.given)
        return None


__all__ = [
    "FORMULA_CHARS", "FORMULA_LEAD", "escape_formula", "escape_formulas", "looks_like_input", "csv_header",
    "check_output_path", "check_output_dir", "StagedFile", "stage", "atomic_output", "write_csv",
    "store_files", "is_rejects_file", "RejectsFile",
]
