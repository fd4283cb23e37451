"""Mapping files (TOML): a user's own file names, column names and enum values onto the contract.

Example (``mapping.toml``)::

    [owners]
    file = "车主信息.csv"          # optional: the file holding this table (CSV, Parquet or a workbook)
    sheet = "车主"                 # optional: the workbook sheet holding it (.xlsx/.xls/.ods)

    [owners.columns]             # your header = contract column
    "车主ID" = "owner_id"
    "城市" = "city"

    [interactions.values.kind]   # your value = contract value
    "点赞" = "like"
    "评论" = "comment"

    [owners.values.is_volunteer]
    "是" = "true"
"""
from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from graphcrm.contract import TABLES
from graphcrm.errors import MappingError


#: the settings a table section may hold
SETTINGS = ("file", "sheet", "columns", "values")


def _kind(value: object) -> str:
    """How a TOML value is described to a user ("a list", "a number", ...)."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__} ({value!s})"


@dataclass
class Mapping:
    """Parsed mapping: per table, a file (and sheet) name, header renames and value renames."""

    files: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    source: str = "<mapping>"
    #: per table, the workbook sheet that holds it (``[owners] sheet = "车主"``)
    sheets: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "<mapping>") -> "Mapping":
        """Build a mapping from the parsed TOML structure (see module docstring).

        Every value's type is checked: a list or a number where a string belongs is a
        :class:`MappingError` naming the key, never a ``TypeError``.

        Parameters
        ----------
        data
            ``{table: {"file": str, "sheet": str, "columns": {header: column},
            "values": {column: {your value: contract value}}}}``.
        source
            Where the mapping came from (named in error messages).

        Returns
        -------
        Mapping

        Raises
        ------
        MappingError
            Unknown tables, unknown contract columns, or values of the wrong type or shape;
            every problem is listed, each naming its key.

        Examples
        --------
        >>> Mapping.from_dict({"owners": {"columns": {"车主ID": "owner_id"}}}).columns
        {'owners': {'车主ID': 'owner_id'}}
        """
        m = cls(source=source)
        problems: list[str] = []
        if not isinstance(data, dict):
            raise MappingError(f"mapping {source} is not usable: expected tables such as [owners], got {_kind(data)}")
        for tname, section in data.items():
            if tname not in TABLES:
                problems.append(f"unknown table [{tname}] (tables: {', '.join(TABLES)})")
                continue
            if not isinstance(section, dict):
                problems.append(f"[{tname}] must be a table of settings ({', '.join(SETTINGS)}), not {_kind(section)}")
                continue
            contract_cols = set(TABLES[tname].column_names)
            for key, val in section.items():
                if key in ("file", "sheet"):
                    if not isinstance(val, str):
                        problems.append(f'[{tname}] {key} must be a string ({key} = "..."), not {_kind(val)}')
                    elif not val.strip():
                        problems.append(f"[{tname}] {key} is empty")
                    elif key == "file":
                        m.files[tname] = val
                    else:
                        m.sheets[tname] = val.strip()
                elif key == "columns":
                    if not isinstance(val, dict):
                        problems.append(
                            f"[{tname}.columns] must map your header to a contract column "
                            f'("your header" = "column"), not {_kind(val)}'
                        )
                        continue
                    for src, dst in val.items():
                        if not isinstance(dst, str):
                            problems.append(
                                f"[{tname}.columns] {str(src)!r} must name one contract column as a string "
                                f'(e.g. "{src}" = "{TABLES[tname].column_names[0]}"), not {_kind(dst)}'
                            )
                        elif dst not in contract_cols:
                            problems.append(
                                f"[{tname}.columns] {str(src)!r} maps to {dst!r}, which is not a column of "
                                f"{tname} ({', '.join(TABLES[tname].column_names)})"
                            )
                        else:
                            m.columns.setdefault(tname, {})[str(src)] = dst
                elif key == "values":
                    if not isinstance(val, dict):
                        problems.append(f"[{tname}.values] must hold one table per column, not {_kind(val)}")
                        continue
                    for col, vmap in val.items():
                        if col not in contract_cols:
                            problems.append(f"[{tname}.values.{col}] names no column of {tname}")
                        elif not isinstance(vmap, dict):
                            problems.append(
                                f"[{tname}.values.{col}] must map your value to a contract value, not {_kind(vmap)}"
                            )
                        else:
                            out: dict[str, str] = {}
                            for k, v in vmap.items():
                                if isinstance(v, bool):
                                    out[str(k)] = str(v).lower()
                                elif isinstance(v, str) or (isinstance(v, (int, float)) and math.isfinite(v)):
                                    out[str(k)] = str(v)
                                else:
                                    problems.append(
                                        f"[{tname}.values.{col}] {str(k)!r} must map to one value "
                                        f"(a string, number or true/false), not {_kind(v)}"
                                    )
                            m.values.setdefault(tname, {})[col] = out
                else:
                    problems.append(f"[{tname}] has unknown setting {key!r} (use {', '.join(SETTINGS)})")
        if problems:
            raise MappingError(f"mapping {source} is not usable:\n  - " + "\n  - ".join(problems))
        return m


def load_mapping(path: str | os.PathLike | Mapping | dict | None) -> Mapping:
    """Read a TOML mapping file (or pass through a :class:`Mapping`/dict; None = no mapping).

    Parameters
    ----------
    path
        A TOML file, an already parsed dict, a :class:`Mapping`, or None.

    Returns
    -------
    Mapping

    Raises
    ------
    MappingError
        The file is missing or unreadable, is not valid TOML, names unknown tables/columns,
        or holds a value of the wrong type (see :meth:`Mapping.from_dict`).

    Examples
    --------
    >>> load_mapping(None).files
    {}
    """
    if path is None:
        return Mapping()
    if isinstance(path, Mapping):
        return path
    if isinstance(path, dict):
        return Mapping.from_dict(path)
    if not isinstance(path, (str, os.PathLike)):
        raise MappingError(f"a mapping is a TOML file path, a dict or a Mapping, not {type(path).__name__}")
    p = Path(path)
    try:
        if not p.is_file():
            raise MappingError(f"mapping file {p} does not exist")
        raw = p.read_bytes()
    except (OSError, ValueError) as exc:
        raise MappingError(f"mapping file {p} cannot be read ({exc})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping file {p} is not valid UTF-8 TOML: {exc}") from None
    return Mapping.from_dict(data, source=str(p))
