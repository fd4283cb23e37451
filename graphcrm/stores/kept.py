"""Results kept in the embedded store: DataFrames as DuckDB tables, the rest pickled.

A kept result (an analysis's table and its details) used to be one pickle in a BLOB column.
Reading one back then cost a scan of every kept BLOB (DuckDB reads the payload column of every
row a ``WHERE key = ?`` looks at: ~0.2 s of CPU per lookup with 146 MB kept at 100,000 owners)
plus unpickling the frames' Python strings.  Now every DataFrame inside a kept value whose
columns DuckDB holds exactly (see :func:`storable`) is written as its own DuckDB table and the
pickle holds only a reference to it (pickle's *persistent id*), so the payload is the small
non-frame part (details, notes) and a frame comes back as columns through Arrow.

The dtype of each column, the column labels and the index are kept in the reference, so a frame
reads back equal to the one written (``pandas.testing.assert_frame_equal`` with exact values,
dtypes included: pandas' string dtype, object columns of text (missing as ``None`` or as NaN),
categoricals with their categories and order, nullable integers and booleans, NaN/NaT, empty
frames).  A frame with any other column (Python objects, timedeltas, ...) stays in the pickle.
"""
from __future__ import annotations

import hashlib
import io
import pickle
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["TABLE_PREFIX", "table_prefix", "dumps", "loads", "storable"]

#: kept frames live in tables named ``graphcrm_kept_<hash of the key>_<n>``
TABLE_PREFIX = "graphcrm_kept_"


def table_prefix(key: str) -> str:
    """The table-name prefix of the frames kept under ``key``."""
    return f"{TABLE_PREFIX}{hashlib.sha1(key.encode('utf-8')).hexdigest()[:24]}_"


#: pandas' nullable numbers (masked arrays, read back with ``dtype.__from_arrow__``)
_MASKED = frozenset({"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32", "Float64"})


@dataclass(frozen=True)
class _FrameRef:
    """What the pickle keeps of a frame stored as a table: where, and how to rebuild it."""

    table: str
    columns: pd.Index
    index: pd.Index
    dtypes: tuple
    none_nulls: tuple  # per column: object column whose missing values are None (not NaN)


def _text_nulls(s: pd.Series) -> str | None:
    """For an object column: "none" / "nan" (text, missing values all None / all NaN or no
    missing), else None (not storable as text)."""
    if pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
        return None
    missing = s[s.isna()]
    if not len(missing):
        return "nan"
    kinds = {v is None for v in missing}
    if kinds == {True}:
        return "none"
    if kinds == {False} and all(isinstance(v, float) for v in missing):
        return "nan"
    return None


def storable(df: pd.DataFrame) -> tuple | None:
    """``(dtypes, none_nulls)`` when DuckDB holds ``df``'s columns exactly, else None.

    Storable: string column labels unique regardless of case (DuckDB's names ignore it), no ``attrs``, at least one column, and every column
    of a numpy bool / integer / float dtype, a pandas nullable integer / float / boolean or
    string dtype, a categorical of text or integers, a naive datetime, or text in an object
    column whose missing values are all ``None`` or all NaN.
    """
    cols = df.columns
    if not len(cols) or df.attrs or not all(isinstance(c, str) for c in cols):
        return None
    if len({c.lower() for c in cols}) < len(cols):  # DuckDB's column names ignore case
        return None
    none_nulls = []
    for c in cols:
        dt = df[c].dtype
        nulls = False
        if isinstance(dt, pd.CategoricalDtype):
            kind = pd.api.types.infer_dtype(dt.categories, skipna=True)
            if kind not in ("string", "integer", "empty"):
                return None
        elif isinstance(dt, (pd.StringDtype, pd.BooleanDtype)) or str(dt) in _MASKED:
            pass
        elif dt == object:
            how = _text_nulls(df[c])
            if how is None:
                return None
            nulls = how == "none"
        elif isinstance(dt, np.dtype) and (dt.kind in "biuf" or dt.kind == "M"):
            if dt.kind == "f" and dt.itemsize < 4:
                return None
        else:
            return None
        none_nulls.append(nulls)
    return tuple(df.dtypes), tuple(none_nulls)


def _to_arrow(df: pd.DataFrame):
    import pyarrow as pa

    arrays = []
    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            # the codes (-1: missing); the categories and their order are kept in the reference
            s = pd.Series(s.cat.codes.to_numpy())
        arrays.append(pa.array(s, from_pandas=True) if s.dtype == object else pa.Array.from_pandas(s))
    return pa.table(arrays, names=[str(c) for c in df.columns])


def _column(arr, dtype: Any, none_nulls: bool) -> Any:
    """One column read back from Arrow, in its original dtype."""
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Categorical.from_codes(arr.to_numpy(), dtype=dtype)
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and hasattr(dtype, "__from_arrow__"):
        return dtype.__from_arrow__(arr)
    values = arr.to_pandas()
    if dtype == object:
        out = values.to_numpy(dtype=object, na_value=None if none_nulls else np.nan)
        return out if out.flags.writeable else out.copy()
    if values.dtype != dtype:
        values = values.astype(dtype)
    return values.to_numpy() if isinstance(dtype, np.dtype) else values.array


class _Pickler(pickle.Pickler):
    def __init__(self, file, write_frame):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._write_frame = write_frame

    def persistent_id(self, obj: Any) -> Any:
        if type(obj) is pd.DataFrame:
            how = storable(obj)
            if how is not None:
                return self._write_frame(obj, how)
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, read_table):
        super().__init__(file)
        self._read_table = read_table

    def persistent_load(self, pid: Any) -> Any:
        if not isinstance(pid, _FrameRef):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        table = self._read_table(pid.table)
        # explicit dtypes: pandas would otherwise infer its string dtype for object columns of text
        data = {i: pd.Series(_column(table.column(i), dt, nn), dtype=dt, copy=False)
                for i, (dt, nn) in enumerate(zip(pid.dtypes, pid.none_nulls))}
        df = pd.DataFrame(data, copy=False)
        df.index = pid.index
        df.columns = pid.columns
        return df


def dumps(value: Any, *, prefix: str, write_table) -> tuple[bytes, int]:
    """Pickle ``value`` with every storable DataFrame in it written through
    ``write_table(name, arrow_table)``; returns ``(payload, bytes of the frames in Arrow)``."""
    n = [0, 0]

    def write_frame(df: pd.DataFrame, how: tuple) -> _FrameRef | None:
        try:
            at = _to_arrow(df)
        except (ValueError, TypeError, NotImplementedError, ArithmeticError):  # e.g. a lone surrogate: stays pickled
            return None
        name = f"{prefix}{n[0]}"
        n[0] += 1
        n[1] += int(at.nbytes)
        write_table(name, at)
        return _FrameRef(name, df.columns, df.index, how[0], how[1])

    buf = io.BytesIO()
    _Pickler(buf, write_frame).dump(value)
    return buf.getvalue(), n[1]


def loads(payload: bytes, *, read_table) -> Any:
    """The value :func:`dumps` wrote; ``read_table(name)`` returns a kept table as Arrow."""
    return _Unpickler(io.BytesIO(payload), read_table).load()
