"""Segments: one city, region, car model, level or circle of the community.

An analysis with a segment still runs on the **whole** community graph (influence, circles and
referral chains cross segments), and its output keeps only the rows of the segment's owners:
rows keyed by ``owner_id`` (or carrying an ``owner_id`` column) whose owner is in the segment.
Tables that are not about single owners (circle profiles, the level transition matrix, the
new-owner cohort, backtest methods) are about the whole community and are returned whole.
For ``ambassadors`` and ``targets`` the owners outside the segment are passed as excluded
picks (``exclude=``), so that all ``k`` picks are segment owners (not the in-segment part of
a community-wide top k).

A segment is a :class:`Segment` or a dict such as ``{"city": ["上海"], "level": ["fan"]}``:
values within a field are alternatives (上海 or 北京), fields combine (上海 and fan).
A value no owner has is a :class:`~graphcrm.errors.ConfigError` naming the values that exist.

Example
-------
>>> import pandas as pd
>>> from graphcrm.community import Community
>>> c = Community.from_frames({"owners": pd.DataFrame(
...     {"owner_id": ["a", "b", "c"], "city": ["上海", "北京", "上海"]})})
>>> s = Segment.coerce({"city": "上海"})
>>> s.label()
'city 上海'
>>> sorted(s.owner_ids(c))
['a', 'c']
>>> Segment.coerce({"city": ["上海x"]}).owner_ids(c)
Traceback (most recent call last):
...
graphcrm.errors.ConfigError: no owner has city '上海x'; cities: 上海 (2), 北京 (1)
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from graphcrm.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Segment", "FIELDS", "restrict", "SEGMENT_DOC"]

#: segment field -> (plural for messages, Chinese name)
FIELDS: dict[str, tuple[str, str]] = {
    "city": ("cities", "城市"),
    "region": ("regions", "区域"),
    "car_model": ("car models", "车型"),
    "level": ("levels", "等级"),
    "circle": ("circles", "圈层"),
}

#: analyses whose picks are restricted by passing the complement of the segment as ``exclude``
PICKING = ("ambassadors", "targets")

SEGMENT_DOC = """
    Segment (CommunityGraph methods only)
    -------------------------------------
    segment : Segment or dict, optional
        Only owners of this segment in the output, e.g. ``{"city": ["上海"], "level": ["fan"]}``
        (fields: city, region, car_model, level, circle; see :mod:`graphcrm.segments`).  The
        analysis still runs on the whole community graph; rows keyed by owner are kept for the
        segment's owners; ambassadors and targets pick only segment owners (the others are
        passed as ``exclude``).  ``Segment.coerce(segment).label()`` names the segment shown.
        A value no owner has raises ConfigError naming the values that exist.
"""


def _values(v: Any) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, (str, int)):
        v = [v]
    out: list[str] = []
    for x in v:
        out.extend(p.strip() for p in str(x).split(",") if p.strip())
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class Segment:
    """Owners by city, region, car model, level (e.g. ``fan``) and circle (its number).

    Each field is a tuple of alternatives (empty: any); fields combine with "and".
    """

    city: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    car_model: tuple[str, ...] = ()
    level: tuple[str, ...] = ()
    circle: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _values(getattr(self, f.name)))

    @classmethod
    def coerce(cls, value: "Segment | Mapping[str, Any] | None") -> "Segment | None":
        """A Segment from a Segment, a dict of field -> value(s), or None (no segment: None).

        Raises
        ------
        ConfigError
            Unknown field, or a value that is not a segment.
        """
        if value is None:
            return None
        if isinstance(value, Segment):
            seg = value
        elif isinstance(value, Mapping):
            unknown = [k for k in value if k not in FIELDS]
            if unknown:
                raise ConfigError(f"segment: unknown field(s) {', '.join(map(str, unknown))}; "
                                  f"the fields are {', '.join(FIELDS)}")
            seg = cls(**{k: v for k, v in value.items()})
        else:
            raise ConfigError(f"segment: expected a Segment or a dict like {{'city': ['上海']}}, "
                              f"got {type(value).__name__}")
        return None if seg.is_all else seg

    @property
    def is_all(self) -> bool:
        return not any(getattr(self, f) for f in FIELDS)

    def as_dict(self) -> dict[str, list[str]]:
        return {f: list(getattr(self, f)) for f in FIELDS if getattr(self, f)}

    def label(self, lang: str = "en") -> str:
        """The segment in words (``"city 上海, 北京; level fan"``; ``"all owners"`` when empty)."""
        if self.is_all:
            return "全部车主" if lang == "zh" else "all owners"
        parts = []
        for f in FIELDS:
            vals = getattr(self, f)
            if vals:
                name = FIELDS[f][1] if lang == "zh" else f.replace("_", " ")
                parts.append(f"{name} {', '.join(vals)}")
        return ("；" if lang == "zh" else "; ").join(parts)

    # -- which owners ------------------------------------------------------------------
    def _column(self, community: Any, field: str) -> "pd.Series":
        """owner_id -> the owner's value of ``field`` as text (index owner_id)."""
        import pandas as pd

        if field in ("city", "region", "car_model"):
            owners = community.tables["owners"]
            if field not in owners.columns:
                return pd.Series([], dtype=object)
            s = owners.set_index(owners["owner_id"].astype(str))[field]
        elif field == "level":
            from graphcrm.algorithms.levels import owner_levels

            t = owner_levels(community)
            s = t.set_index(t["owner_id"].astype(str))["level"]
        else:
            from graphcrm.algorithms.circles import circles

            t = circles(community)
            s = t.set_index(t["owner_id"].astype(str))["circle"]
        s = s.dropna()
        return s.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))

    def owner_ids(self, community: Any) -> set[str]:
        """The owners of the community in this segment.

        Raises
        ------
        ConfigError
            A value no owner has (naming the values that exist, most common first), or fields
            that no owner matches together.
        """
        chosen: set[str] | None = None
        for f in FIELDS:
            want = getattr(self, f)
            if not want:
                continue
            col = self._column(community, f)
            missing = [v for v in want if not (col == v).any()]
            if missing:
                counts = col.value_counts()
                shown = ", ".join(f"{v} ({n:,})" for v, n in counts.head(12).items())
                more = f", … ({len(counts) - 12} more)" if len(counts) > 12 else ""
                raise ConfigError(f"no owner has {f.replace('_', ' ')} "
                                  f"{', '.join(repr(m) for m in missing)}; {FIELDS[f][0]}: "
                                  f"{shown or '(none recorded)'}{more}")
            ids = set(col.index[col.isin(want).to_numpy()])
            chosen = ids if chosen is None else chosen & ids
        if chosen is not None and not chosen:
            raise ConfigError(f"no owner is in the segment {self.label()} (each value exists, "
                              f"but no owner has them together)")
        return chosen if chosen is not None else {str(x) for x in community.tables["owners"]["owner_id"]}


def restrict(table: "pd.DataFrame", owners: Iterable[str]) -> "pd.DataFrame":
    """The rows of ``table`` whose ``owner_id`` is in ``owners`` (tables without an owner_id
    column are returned unchanged: they are about the whole community)."""
    if "owner_id" not in table.columns:
        return table
    keep = table["owner_id"].astype(str).isin(set(owners)).to_numpy()
    return table[keep].reset_index(drop=True)


def complement(community: Any, owners: set[str]) -> list[str]:
    """The community's owners outside ``owners`` (sorted): the excluded picks of a segment."""
    return sorted(str(x) for x in community.tables["owners"]["owner_id"] if str(x) not in owners)
