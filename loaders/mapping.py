"""Mapping files (TOML): a user's own file names, column names and enum values onto the contract.

Example (``mapping.toml``)::

    [owners]
    file = "车主信息.csv"          # optional: the file holding this table

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

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from graphcrm.contract import TABLES
from graphcrm.errors import MappingError


@dataclass
class Mapping:
    """Parsed mapping: per table, a file name, header renames and value renames."""

    files: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    source: str = "<mapping>"

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "<mapping>") -> "Mapping":
        """Build a mapping from the parsed TOML structure (see module docstring).

        Raises
        ------
        MappingError
            Unknown tables, unknown contract columns, or values of the wrong shape.
        """
        m = cls(source=source)
        problems: list[str] = []
        for tname, section in data.items():
            if tname not in TABLES:
                problems.append(f"unknown table [{tname}] (tables: {', '.join(TABLES)})")
                continue
            if not isinstance(section, dict):
                problems.append(f"[{tname}] must be a table of settings")
                continue
            contract_cols = set(TABLES[tname].column_names)
            for key, val in section.items():
                if key == "file":
                    if not isinstance(val, str):
                        problems.append(f"[{tname}] file must be a string")
                    else:
                        m.files[tname] = val
                elif key == "columns":
                    if not isinstance(val, dict):
                        problems.append(f"[{tname}.columns] must map your header to a contract column")
                        continue
                    for src, dst in val.items():
                        if dst not in contract_cols:
                            problems.append(
                                f"[{tname}.columns] {src!r} maps to {dst!r}, which is not a column of "
                                f"{tname} ({', '.join(TABLES[tname].column_names)})"
                            )
                        else:
                            m.columns.setdefault(tname, {})[str(src)] = dst
                elif key == "values":
                    if not isinstance(val, dict):
                        problems.append(f"[{tname}.values] must hold one table per column")
                        continue
                    for col, vmap in val.items():
                        if col not in contract_cols:
                            problems.append(f"[{tname}.values.{col}] names no column of {tname}")
                        elif not isinstance(vmap, dict):
                            problems.append(f"[{tname}.values.{col}] must map your value to a contract value")
                        else:
                            m.values.setdefault(tname, {})[col] = {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in vmap.items()}
                else:
                    problems.append(f"[{tname}] has unknown setting {key!r} (use file, columns, values)")
        if problems:
            raise MappingError(f"mapping {source} is not usable:\n  - " + "\n  - ".join(problems))
        return m


def load_mapping(path: str | os.PathLike | Mapping | dict | None) -> Mapping:
    """Read a TOML mapping file (or pass through a :class:`Mapping`/dict; None = no mapping).

    Raises
    ------
    MappingError
        The file is missing, is not valid TOML, or names unknown tables/columns.
    """
    if path is None:
        return Mapping()
    if isinstance(path, Mapping):
        return path
    if isinstance(path, dict):
        return Mapping.from_dict(path)
    p = Path(path)
    if not p.is_file():
        raise MappingError(f"mapping file {p} does not exist")
    try:
        data = tomllib.loads(p.read_bytes().decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping file {p} is not valid UTF-8 TOML: {exc}") from None
    return Mapping.from_dict(data, source=str(p))
