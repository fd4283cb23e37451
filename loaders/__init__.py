"""Loading community exports: reading files or frames, mapping columns, validating.

The one validation path shared by every store: :func:`read_sources` turns a folder of CSV/Parquet
files (or a dict of DataFrames) into raw :class:`Source` tables, and :func:`validate` checks them
against :mod:`graphcrm.contract`, returning clean typed frames plus a rejects table.
"""
from graphcrm.loaders.mapping import Mapping, load_mapping
from graphcrm.loaders.read import Source, iter_sources, read_sources, decode_bytes
from graphcrm.loaders.validate import LoadReport, Validated, validate, REJECT_COLUMNS

__all__ = [
    "Mapping",
    "load_mapping",
    "Source",
    "read_sources",
    "iter_sources",
    "decode_bytes",
    "LoadReport",
    "Validated",
    "validate",
    "REJECT_COLUMNS",
]
