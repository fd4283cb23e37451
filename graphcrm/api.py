"""The Python API: ``cg = graphcrm.open(...)`` and the methods of :class:`CommunityGraph`."""
from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import igraph as ig
import pandas as pd

from graphcrm.community import Community
from graphcrm.contract import TABLES, TABLE_NAMES
from graphcrm.errors import ConfigError
from graphcrm.loaders import LoadReport, load_mapping, read_sources, validate, REJECT_COLUMNS
from graphcrm.stores import Store, open_store

log = logging.getLogger("graphcrm")


def _algorithm(module: str, func: str):
    mod = importlib.import_module(f"graphcrm.{module}")
    return getattr(mod, func)


class CommunityGraph:
    """A community in a store, with loading, projections and analyses.

    Use :func:`graphcrm.open` to get one.  Analyses take keyword-only options plus ``since``/
    ``until`` (a time window) and return pandas DataFrames keyed by ``owner_id``.
    """

    def __init__(self, store: Store):
        self.store = store
        self._community_cache: dict[tuple, Community] = {}

    # -- loading -------------------------------------------------------------------
    def load(
        self,
        source: str | os.PathLike | Mapping[str, pd.DataFrame],
        *,
        mapping: str | os.PathLike | dict | None = None,
        encoding: str | None = None,
        rejects_path: str | os.PathLike | None = None,
        now: Any = None,
        progress: bool | None = None,
    ) -> LoadReport:
        """Validate and load a folder of CSV/Parquet files or a dict of DataFrames.

        Parameters
        ----------
        source
            A folder with ``owners.csv`` ... ``interactions.csv`` (or ``.parquet``; any subset), a
            single table file, or ``{table: DataFrame}``.
        mapping
            A TOML mapping file (or dict) renaming your headers and values onto the contract.
        encoding
            CSV encoding; default: detect UTF-8 (with or without BOM) or GB18030/GBK.
        rejects_path
            Where to write rejected rows as CSV (default ``graphcrm-rejects.csv`` in the working
            directory, only written when something was rejected).
        now
            Dates after this are rejected as future dates (default: the current time).
        progress
            Show a progress bar (default: only when stderr is a terminal).

        Returns
        -------
        LoadReport
            Per table: read, loaded, rejected (read = loaded + rejected); the rejects as a DataFrame.

        Raises
        ------
        InputFileError
            A file cannot be used at all (missing required column, undecodable bytes); nothing is written.
        StoreError
            The store failed; the embedded store then rolled back and is unchanged.
        """
        from graphcrm.progress import steps

        m = load_mapping(mapping)
        with steps(["read", "validate", "write"], desc="loading", progress=progress) as step:
            step("read")
            sources, ignored_files = read_sources(source, mapping=m, encoding=encoding)
            lookup = lambda table, cols: self.store.table(table, columns=cols)  # noqa: E731
            now_ts = pd.Timestamp(now) if now is not None else None
            step("validate")
            v = validate(sources, mapping=m, lookup=lookup, now=now_ts)
            step("write")
            written = self.store.upsert(v.frames)
        self._community_cache.clear()
        rpath = None
        if len(v.rejects):
            rpath = Path(rejects_path or "graphcrm-rejects.csv")
            v.rejects[REJECT_COLUMNS].to_csv(rpath, index=False, encoding="utf-8-sig")
            rpath = str(rpath)
        log.info("loaded %d rows, rejected %d", int(v.counts["loaded"].sum()), int(v.counts["rejected"].sum()))
        return LoadReport(
            store=self.store.uri,
            counts=v.counts,
            rejects=v.rejects,
            rejects_path=rpath,
            ignored_columns=v.ignored_columns,
            ignored_files=ignored_files,
            written=written,
        )

    # -- reading -------------------------------------------------------------------
    def table(self, name: str) -> pd.DataFrame:
        """A whole contract table as a DataFrame, sorted by its key.

        Raises
        ------
        ConfigError
            Unknown table name.
        """
        if name not in TABLES:
            raise ConfigError(f"unknown table {name!r}; the tables are {', '.join(TABLE_NAMES)}")
        return self.store.table(name)

    def community(self, since: Any = None, until: Any = None) -> Community:
        """The community (optionally within a time window) as an in-memory :class:`Community`."""
        key = (str(since), str(until))
        if key not in self._community_cache:
            tables = {n: self.store.table(n) for n in TABLE_NAMES}
            self._community_cache[key] = Community(tables, since=since, until=until)
        return self._community_cache[key]

    def graph(self, kind: str, *, since: Any = None, until: Any = None, **options: Any) -> ig.Graph:
        """A graph projection: ``"referrals"``, ``"interactions"`` or ``"coattendance"``.

        See :mod:`graphcrm.projections` for the options (``weights``, ``half_life_days``,
        ``max_event_size``, ``checked_in_only``).
        """
        return self.community(since, until).graph(kind, **options)

    def to_networkx(self, kind: str, **options: Any):
        """A projection as a networkx graph with owner ids as nodes."""
        from graphcrm.projections import to_networkx

        return to_networkx(self.graph(kind, **options))

    def info(self) -> pd.DataFrame:
        """Rows and date range per table, and the size of each graph projection.

        Returns
        -------
        DataFrame
            ``item`` (table or graph name), ``rows`` (rows, or vertices for graphs), ``edges``
            (graphs only), ``first``, ``last`` (date range of the table's time column).
        """
        counts = self.store.counts()
        rows = []
        c = self.community()
        for name in TABLE_NAMES:
            col = TABLES[name].time_column or ("joined_at" if name == "owners" else None)
            t = c.tables[name]
            if name == "attendance":
                times = t["event_id"].map(c.tables["events"].set_index("event_id")["starts_at"]) if len(t) else pd.Series([], dtype="datetime64[ns]")
            else:
                times = t[col] if col else pd.Series([], dtype="datetime64[ns]")
            rows.append({"item": name, "rows": counts[name], "edges": None,
                         "first": times.min() if len(times) else None, "last": times.max() if len(times) else None})
        for kind in ("referrals", "interactions", "coattendance"):
            g = c.graph(kind)
            rows.append({"item": f"{kind} graph", "rows": g.vcount(), "edges": g.ecount(), "first": None, "last": None})
        return pd.DataFrame(rows, columns=["item", "rows", "edges", "first", "last"])

    # -- write-back ---------------------------------------------------------------
    def write_results(self, results: pd.DataFrame, *, name: str, label: str | None = None,
                      campaign: str | None = None, selected: pd.Series | None = None) -> int:
        """Write a result keyed by owner_id back to the store (see :meth:`Store.write_results`)."""
        return self.store.write_results(results, name=name, label=label, campaign=campaign, selected=selected)

    def read_results(self, name: str) -> pd.DataFrame:
        return self.store.read_results(name)

    # -- analyses (each delegates to a function taking the Community first) ----------
    def _run(self, module: str, func: str, since: Any, until: Any, options: dict) -> Any:
        return _algorithm(module, func)(self.community(since, until), **options)

    def kocs(self, *, since: Any = None, until: Any = None, **options: Any) -> pd.DataFrame:
        """Key opinion consumers; see :func:`graphcrm.algorithms.koc.kocs`."""
        return self._run("algorithms.koc", "kocs", since, until, options)

    def circles(self, *, since: Any = None, until: Any = None, **options: Any) -> pd.DataFrame:
        """Owner circles (Leiden); see :func:`graphcrm.algorithms.circles.circles`."""
        return self._run("algorithms.circles", "circles", since, until, options)

    def circle_profiles(self, *, since: Any = None, until: Any = None, **options: Any) -> pd.DataFrame:
        """One row per circle; see :func:`graphcrm.algorithms.circles.circle_profiles`."""
        return self._run("algorithms.circles", "circle_profiles", since, until, options)

    def referral_chains(self, *, since: Any = None, until: Any = None, **options: Any) -> pd.DataFrame:
        """The referral forest per owner; see :func:`graphcrm.algorithms.referrals.referral_chains`."""
        return self._run("algorithms.referrals", "referral_chains", since, until, options)

    def referral_attribution(self, *, since: Any = None, until: Any = None, **options: Any) -> pd.DataFrame:
        """Multi-level referral credit; see :func:`graphcrm.algorithms.referrals.referral_attribution`."""
        return self._run("algorithms.referrals", "referral_attribution", since, until, options)

    def top_referrers(self, *, since: Any = None, until: Any = None, **options: Any) -> pd.DataFrame:
        """EP-Club-style referrer lists; see :func:`graphcrm.algorithms.referrals.top_referrers`."""
        return self._run("algorithms.referrals", "top_referrers", since, until, options)

    def referral_issues(self, *, since: Any = None, until: Any = None, **options: Any) -> pd.DataFrame:
        """Referral integrity findings; see :func:`graphcrm.algorithms.referrals.referral_issues`."""
        return self._run("algorithms.referrals", "referral_issues", since, until, options)

    def ambassadors(self, *, since: Any = None, until: Any = None, **options: Any) -> pd.DataFrame:
        """Ambassadors by influence maximization; see :func:`graphcrm.algorithms.influence.ambassadors`."""
        return self._run("algorithms.influence", "ambassadors", since, until, options)

    def volunteer_candidates(self, *, since: Any = None, until: Any = None, **options: Any) -> pd.DataFrame:
        """Volunteer candidates; see :func:`graphcrm.algorithms.volunteers.volunteer_candidates`."""
        return self._run("algorithms.volunteers", "volunteer_candidates", since, until, options)

    def contribution(self, *, since: Any = None, until: Any = None, **options: Any) -> pd.DataFrame:
        """Contribution points per owner; see :func:`graphcrm.algorithms.levels.contribution`."""
        return self._run("algorithms.levels", "contribution", since, until, options)

    def owner_levels(self, *, since: Any = None, until: Any = None, **options: Any) -> pd.DataFrame:
        """Relationship levels; see :func:`graphcrm.algorithms.levels.owner_levels`."""
        return self._run("algorithms.levels", "owner_levels", since, until, options)

    def targets(self, *, since: Any = None, until: Any = None, **options: Any) -> pd.DataFrame:
        """Incentive targeting table; see :func:`graphcrm.algorithms.targeting.targets`."""
        return self._run("algorithms.targeting", "targets", since, until, options)

    def report(self, path: str | os.PathLike = "report.html", **options: Any):
        """The self-contained HTML community report; see :func:`graphcrm.reports.html.build_report`."""
        return _algorithm("reports.html", "build_report")(self, path=path, **options)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "CommunityGraph":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<CommunityGraph store={self.store.uri!r}>"


def open(uri: str | os.PathLike | None = None) -> CommunityGraph:  # noqa: A001 - mirrors graphcrm.open
    """Open (or create) a community store.

    Parameters
    ----------
    uri
        A file path for the embedded store (default ``./graphcrm.duckdb``, or ``$GRAPHCRM_STORE``),
        or ``bolt://host:7687`` / ``neo4j://`` / ``neo4j+s://`` for Neo4j (credentials from
        ``GRAPHCRM_NEO4J_USER``/``GRAPHCRM_NEO4J_PASSWORD`` or the config file).

    Example
    -------
    >>> import graphcrm, pandas as pd
    >>> cg = graphcrm.open(":memory:")
    >>> cg.load({"owners": pd.DataFrame({"owner_id": ["a", "b"]})}).loaded
    2
    """
    return CommunityGraph(open_store(uri))
