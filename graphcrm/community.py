"""An in-memory snapshot of a community, optionally limited to a time window.

Analyses take a :class:`Community` first: it holds the six contract tables as DataFrames and
builds (and caches) the graph projections.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import igraph as ig
import numpy as np
import pandas as pd

from graphcrm import projections as proj
from graphcrm.contract import TABLES, TABLE_NAMES
from graphcrm.errors import ConfigError, GraphCRMError


def _ts(value: Any, what: str) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ConfigError(f"{what}={value!r} is not a date (use YYYY-MM-DD)") from None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def empty_table(name: str) -> pd.DataFrame:
    """An empty frame with the contract columns of ``name`` and their dtypes."""
    dtypes = {"str": object, "enum": object, "datetime": "datetime64[ns]", "bool": bool, "int": "Int64", "float": "float64"}
    return pd.DataFrame({c.name: pd.Series([], dtype=dtypes[c.type]) for c in TABLES[name].columns})


class Community:
    """The six tables of a community, windowed, with cached graph projections.

    Parameters
    ----------
    tables
        Contract tables (missing ones are empty).  Usually built by
        :meth:`graphcrm.api.CommunityGraph.community` or :meth:`from_frames`.
    since, until
        Keep activity (referrals, events with their attendance, interactions) within
        ``[since, until]`` (inclusive, dates or timestamps; ``until`` given as a date covers the
        whole day).  Posts created up to ``until`` are all kept, so that engagement inside the
        window on older posts counts.  Owners who joined after ``until`` are left out.

    Attributes
    ----------
    tables : dict of DataFrame
    owners : DataFrame
        The owners table sorted by owner_id.
    owner_ids : ndarray of str
        The vertex order of every projection.
    as_of : Timestamp
        "Now" for time decay: ``until`` if given, else the latest timestamp in the data.
    """

    def __init__(self, tables: Mapping[str, pd.DataFrame], *, since: Any = None, until: Any = None):
        self.since = _ts(since, "since")
        until_ts = _ts(until, "until")
        if until_ts is not None and isinstance(until, str) and len(until.strip()) <= 10:
            until_ts = until_ts + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
        self.until = until_ts
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ConfigError(f"since ({since}) is after until ({until})")
        full = {n: (tables[n] if n in tables and tables[n] is not None else empty_table(n)) for n in TABLE_NAMES}
        self.tables = self._window(full)
        self.owners = self.tables["owners"].sort_values("owner_id", kind="stable").reset_index(drop=True)
        self.tables["owners"] = self.owners
        self.owner_ids = self.owners["owner_id"].astype(str).to_numpy()
        self.as_of = self.until if self.until is not None else self._latest()
        self._cache: dict[str, ig.Graph] = {}
        self._memo: dict[str, Any] = {}

    # -- construction ------------------------------------------------------------
    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame], *, since: Any = None, until: Any = None, now: Any = None) -> "Community":
        """Validate frames exactly like a load and build a community from them.

        Raises
        ------
        GraphCRMError
            If any row is rejected (the message lists the first problems).

        Example
        -------
        >>> import pandas as pd
        >>> c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a", "b"]})})
        >>> list(c.owner_ids)
        ['a', 'b']
        """
        from graphcrm.loaders import Mapping as Mp, read_sources, validate

        sources, _ = read_sources(dict(frames), mapping=Mp())
        v = validate(sources, now=_ts(now, "now"))
        if len(v.rejects):
            head = v.rejects.head(10)
            lines = [f"{r.table} row {r.row} {r.column}: {r.reason}" for r in head.itertuples()]
            raise GraphCRMError(f"{len(v.rejects)} problem(s) in the frames:\n  " + "\n  ".join(lines))
        tables = {}
        for name, df in v.frames.items():
            base = empty_table(name)
            for c in base.columns:
                if c not in df.columns:
                    col = TABLES[name].column(c)
                    df[c] = col.default if col.default is not None else pd.Series([None] * len(df), dtype=base[c].dtype)
            tables[name] = df[list(base.columns)]
        return cls(tables, since=since, until=until)

    def _window(self, t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        lo, hi = self.since, self.until
        if lo is None and hi is None:
            return {k: v.reset_index(drop=True) for k, v in t.items()}

        def within(s: pd.Series) -> np.ndarray:
            m = np.ones(len(s), dtype=bool)
            if lo is not None:
                m &= (s >= lo).fillna(False).to_numpy(dtype=bool)
            if hi is not None:
                m &= (s <= hi).fillna(False).to_numpy(dtype=bool)
            return m

        out = dict(t)
        owners = t["owners"]
        if hi is not None and "joined_at" in owners:
            owners = owners[~(owners["joined_at"] > hi).fillna(False).to_numpy(dtype=bool)]
        out["owners"] = owners
        for name in ("referrals", "events", "interactions"):
            col = TABLES[name].time_column
            out[name] = t[name][within(t[name][col])]
        # posts: everything created up to `until`, so that engagement inside the window on
        # older posts still counts; count posts *in* the window by their created_at.
        posts = t["posts"]
        if hi is not None:
            posts = posts[~(posts["created_at"] > hi).fillna(False).to_numpy(dtype=bool)]
        out["posts"] = posts
        out["attendance"] = t["attendance"][t["attendance"]["event_id"].isin(out["events"]["event_id"])]
        known = set(out["owners"]["owner_id"])
        out["referrals"] = out["referrals"][out["referrals"]["referrer_id"].isin(known) & out["referrals"]["referee_id"].isin(known)]
        out["attendance"] = out["attendance"][out["attendance"]["owner_id"].isin(known)]
        out["posts"] = out["posts"][out["posts"]["author_id"].isin(known)]
        out["interactions"] = out["interactions"][out["interactions"]["owner_id"].isin(known) & out["interactions"]["post_id"].isin(out["posts"]["post_id"])]
        return {k: v.reset_index(drop=True) for k, v in out.items()}

    def _latest(self) -> pd.Timestamp:
        stamps = []
        for name in TABLE_NAMES:
            col = TABLES[name].time_column
            if col and len(self.tables[name]):
                stamps.append(self.tables[name][col].max())
        for col in ("joined_at", "purchased_at"):
            if col in self.owners and self.owners[col].notna().any():
                stamps.append(self.owners[col].max())
        stamps = [s for s in stamps if pd.notna(s)]
        return pd.Timestamp(max(stamps)) if stamps else pd.Timestamp("1970-01-01")

    # -- projections ---------------------------------------------------------------
    def graph(self, kind: str, **options: Any) -> ig.Graph:
        """A graph projection (cached per options): ``"referrals"``, ``"interactions"`` or ``"coattendance"``.

        Options are those of :func:`graphcrm.projections.referral_graph`,
        :func:`~graphcrm.projections.interaction_graph` (``weights``, ``half_life_days``; ``as_of``
        defaults to :attr:`as_of`) and :func:`~graphcrm.projections.coattendance_graph`
        (``max_event_size``, ``checked_in_only``).

        Raises
        ------
        ConfigError
            Unknown projection or option.
        """
        key = kind + json.dumps(options, sort_keys=True, default=str)
        if key in self._cache:
            return self._cache[key]
        t = self.tables
        try:
            if kind == "referrals":
                g = proj.referral_graph(self.owners, t["referrals"], **options)
            elif kind == "interactions":
                options.setdefault("as_of", self.as_of)
                g = proj.interaction_graph(self.owners, t["posts"], t["interactions"], **options)
            elif kind == "coattendance":
                g = proj.coattendance_graph(self.owners, t["events"], t["attendance"], **options)
            else:
                raise ConfigError(f"unknown graph {kind!r}; choose one of {', '.join(proj.PROJECTIONS)}")
        except TypeError as exc:
            raise ConfigError(f"bad option for the {kind} graph: {exc}") from None
        self._cache[key] = g
        return g

    def memo(self, name: str, options: dict, compute, *, key: str | None = None) -> Any:
        """The one cache of shared intermediates and results: compute once per community and
        options (e.g. circles, which KOCs, volunteers, ambassadors and the report all need).

        A load builds a new community, so nothing computed before a load is reused after it.
        Returns a copy for DataFrames.  ``key`` overrides the key built from ``name`` and
        ``options`` (see :func:`graphcrm.results.cache_key`, which keys DataFrame options by
        their content).
        """
        if key is None:
            from graphcrm.results import cache_key

            key = cache_key(name, options)
        if key not in self._memo:
            self._memo[key] = compute()
        value = self._memo[key]
        if isinstance(value, pd.DataFrame):
            return value.copy()
        return value

    def index_of(self, owner_ids) -> np.ndarray:
        """Vertex numbers of owner ids (-1 where unknown)."""
        return pd.Index(self.owner_ids).get_indexer(pd.Series(owner_ids, dtype=object).astype(str))

    def eligible(self) -> np.ndarray:
        """Boolean mask over :attr:`owner_ids`: owners who may be targeted (not staff, not opted out)."""
        o = self.owners
        return ~(o["is_staff"].astype(bool).to_numpy() | o["marketing_opt_out"].astype(bool).to_numpy())

    def __repr__(self) -> str:
        sizes = ", ".join(f"{n}={len(self.tables[n]):,}" for n in TABLE_NAMES)
        win = f", since={self.since}, until={self.until}" if (self.since is not None or self.until is not None) else ""
        return f"<Community {sizes}{win}>"
