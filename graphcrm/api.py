"""The Python API: ``cg = graphcrm.open(...)`` and the methods of :class:`CommunityGraph`."""
from __future__ import annotations

import importlib
import inspect
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
from graphcrm.files import RejectsFile
from graphcrm.loaders import LoadReport, iter_sources, load_mapping, read_sources, validate, REJECT_COLUMNS
from graphcrm.stores import Store, open_store

log = logging.getLogger("graphcrm")


def _algorithm(module: str, func: str):
    mod = importlib.import_module(f"graphcrm.{module}")
    return getattr(mod, func)


class _AnalysisMethod:
    """A CommunityGraph method that runs the registered analysis ``name`` on the community
    (windowed by ``since``/``until``) with the function's own signature and docstring, plus
    ``segment=`` (see :mod:`graphcrm.segments`): the analysis runs on the whole community and
    the output keeps the segment's owners (ambassadors/targets pick only them)."""

    def __init__(self, name: str):
        self.name = name

    def __set_name__(self, owner: type, attr: str) -> None:
        if attr != self.name:
            raise TypeError(f"CommunityGraph.{attr} must be named like its analysis {self.name!r}")

    def _function(self):
        from graphcrm import analyses

        return analyses.function(self.name)

    @staticmethod
    def _with_segment(sig: inspect.Signature, *, bound: bool) -> inspect.Signature:
        params = list(sig.parameters.values())
        if "segment" in sig.parameters:
            return sig
        at = 2 if bound else 3  # after since, until (and self)
        seg = inspect.Parameter("segment", inspect.Parameter.KEYWORD_ONLY, default=None,
                                annotation="Segment | Mapping[str, Any] | None")
        return sig.replace(parameters=[*params[:at], seg, *params[at:]])

    def run(self, obj: "CommunityGraph", since: Any, until: Any, segment: Any, options: dict) -> Any:
        from graphcrm.segments import PICKING, Segment, complement, restrict

        fn = self._function()
        community = obj.community(since, until)
        seg = Segment.coerce(segment)
        if seg is None:
            return fn(community, **options)
        owners = seg.owner_ids(community)
        if self.name in PICKING:  # every pick in the segment: the others are excluded picks
            outside = complement(community, owners)
            options = {**options, "exclude": sorted({*map(str, options.get("exclude") or ()), *outside})}
        log.info("%s: segment %s (%d owners); the analysis ran on the whole community",
                 self.name, seg.label(), len(owners))
        out = fn(community, **options)
        if isinstance(out, tuple):
            return (restrict(out[0], owners), *out[1:])
        return restrict(out, owners)

    def __get__(self, obj: Any, objtype: type | None = None):
        from graphcrm import analyses
        from graphcrm.segments import SEGMENT_DOC

        fn = self._function()
        name = self.name
        if obj is None:  # CommunityGraph.kocs: for help(CommunityGraph) and documentation tools
            def unbound(self_: "CommunityGraph", *, since: Any = None, until: Any = None, segment: Any = None,
                        **options: Any) -> Any:
                return getattr(self_, name)(since=since, until=until, segment=segment, **options)

            target, sig = unbound, self._with_segment(analyses.method_signature(name, bound=False), bound=False)
        else:
            def method(*, since: Any = None, until: Any = None, segment: Any = None, **options: Any) -> Any:
                return self.run(obj, since, until, segment, options)

            target, sig = method, self._with_segment(analyses.method_signature(name), bound=True)
        target.__name__ = target.__qualname__ = name
        target.__qualname__ = f"CommunityGraph.{name}"
        target.__doc__ = (fn.__doc__ or "") + SEGMENT_DOC
        target.__module__ = fn.__module__
        target.__signature__ = sig  # type: ignore[attr-defined]
        return target


class _CommunityFunction:
    """A CommunityGraph method over a library function ``f(community, ...)`` that is not a
    registered analysis (``cg.owner`` over ``owner_profile``): the method shows the function's
    real parameters, defaults and docstring, the community replaced by the window
    ``since``/``until``; the function is imported on first use."""

    def __init__(self, module: str, func: str):
        self.module, self.func = module, func

    def __get__(self, obj: Any, objtype: type | None = None):
        from graphcrm.analyses import signature_without_community

        fn = _algorithm(self.module, self.func)
        if obj is None:
            def unbound(self_: "CommunityGraph", *args: Any, since: Any = None, until: Any = None,
                        **options: Any) -> Any:
                return fn(self_.community(since, until), *args, **options)

            target, sig = unbound, signature_without_community(fn, bound=False)
        else:
            def method(*args: Any, since: Any = None, until: Any = None, **options: Any) -> Any:
                return fn(obj.community(since, until), *args, **options)

            target, sig = method, signature_without_community(fn, bound=True)
        target.__name__ = fn.__name__
        target.__qualname__ = f"CommunityGraph.{fn.__name__}"
        target.__doc__ = fn.__doc__
        target.__module__ = fn.__module__
        target.__signature__ = sig  # type: ignore[attr-defined]
        return target


class _OptionsOf:
    """A CommunityGraph method ``m(self, ..., **options)`` that passes ``options`` to a library
    function ``f(community, ...)``: its signature shows ``f``'s parameters in place of
    ``**options`` (keyword-only, with ``f``'s defaults), so the defaults stay in ``f`` alone
    and Shift-Tab still shows them.  ``f`` is imported when the signature is asked for."""

    def __init__(self, module: str, func: str):
        self.module, self.func = module, func

    def __call__(self, method: Any) -> "_OptionsOf":
        self.method = method
        return self

    def signature(self, *, bound: bool) -> inspect.Signature:
        own = inspect.signature(self.method)
        params = [p for p in own.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        taken = {p.name for p in params}
        fn = _algorithm(self.module, self.func)
        extra = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
                 for p in list(inspect.signature(fn).parameters.values())[1:]  # the community is the method's
                 if p.name not in taken and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                       inspect.Parameter.KEYWORD_ONLY)]
        params = sorted([*params, *extra], key=lambda p: p.kind)
        return own.replace(parameters=params[1:] if bound else params)

    def __get__(self, obj: Any, objtype: type | None = None):
        import functools

        method = self.method
        if obj is None:
            @functools.wraps(method)
            def target(*args: Any, **kwargs: Any) -> Any:
                return method(*args, **kwargs)
        else:
            @functools.wraps(method)
            def target(*args: Any, **kwargs: Any) -> Any:
                return method(obj, *args, **kwargs)
        del target.__wrapped__  # inspect.signature reads __signature__, not the **options original
        target.__signature__ = self.signature(bound=obj is not None)  # type: ignore[attr-defined]
        return target


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
            directory), formula-safe, only when something was rejected; a load without rejects
            removes an earlier rejects file there.  Never an input file (see
            :class:`graphcrm.files.RejectsFile`); checked before anything is read, written in full
            before the store commits.
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
        OutputFileError
            The rejects path is unsafe or cannot be written (raised before the commit: nothing
            loaded), or, rarely, it could not be moved into place after the commit: the message
            then says the rows were loaded.
        """
        from graphcrm.progress import steps

        m = load_mapping(mapping)
        rejects_file = RejectsFile(rejects_path, header=REJECT_COLUMNS, source=source, mapping=mapping,
                                   mapping_files=m.files.values(), store=self.store)
        from graphcrm.loaders._memory import load_memory_pool

        # Arrow's pool: jemalloc for the load (mimalloc faulted every whole-column temporary in anew)
        with load_memory_pool(), steps(["read and validate", "write"], desc="loading", progress=progress) as step:
            step("read and validate")
            if isinstance(source, Mapping):
                sources, ignored_files = read_sources(source, mapping=m, encoding=encoding)
            else:  # files: each table read, validated and its raw text freed before the next is read
                sources, ignored_files = iter_sources(source, mapping=m, encoding=encoding)
            lookup = self.store.lookup  # a store not created yet holds nothing to refer to
            now_ts = pd.Timestamp(now) if now is not None else None
            v = validate(sources, mapping=m, lookup=lookup, now=now_ts, release=True)  # raw text freed table by table
            del sources
            from graphcrm.privacy import phone_like

            owners = v.frames.get("owners")
            phone_ids = int(phone_like(owners["owner_id"]).sum()) if owners is not None and len(owners) else 0
            rejects_file.stage(v.rejects[REJECT_COLUMNS])  # written in full before the commit
            step("write")
            try:
                written = self.store.upsert(v.frames)
            except BaseException:
                rejects_file.discard()
                raise
        self._community_cache.clear()
        rpath = rejects_file.finish(loaded_into=self.store.uri)
        log.info("loaded %d rows, rejected %d", int(v.counts["loaded"].sum()), int(v.counts["rejected"].sum()))
        return LoadReport(
            store=self.store.uri,
            counts=v.counts,
            rejects=v.rejects,
            rejects_path=rpath,
            ignored_columns=v.ignored_columns,
            ignored_files=ignored_files,
            written=written,
            normalized_ids=v.normalized_ids,
            hidden_digits=v.hidden_digits,
            phone_like_ids=phone_ids,
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
        """The community (optionally within a time window) as an in-memory :class:`Community`.

        Raises
        ------
        AnalysisError
            The store holds no owners, or the window no activity (see
            :meth:`Community.require_data`): analyses of nothing fail instead of scoring everyone 0.
        StoreError
            The store does not exist (nothing loaded there yet).
        """
        c = self._community(since, until)
        c.require_data(lambda: self._community(None, None))
        return c

    def _community(self, since: Any = None, until: Any = None) -> Community:
        key = (str(since), str(until))
        if key not in self._community_cache:
            self._community_cache[key] = Community.from_store(self.store, since=since, until=until)
        return self._community_cache[key]

    def graph(self, kind: str, *, since: Any = None, until: Any = None, **options: Any) -> ig.Graph:
        """A graph projection: ``"referrals"``, ``"interactions"`` or ``"coattendance"``.

        See :mod:`graphcrm.projections` for the options (``weights``, ``half_life_days``,
        ``max_event_size``, ``checked_in_only``).
        """
        return self.community(since, until).graph(kind, **options)

    #: a projection as a networkx graph with owner attributes on the nodes and layer/weight on the
    #: edges: :func:`graphcrm.algorithms.exports.to_networkx` with its real signature and docstring
    to_networkx = _CommunityFunction("algorithms.exports", "to_networkx")

    #: everything graphcrm knows about one owner: :func:`graphcrm.algorithms.owner.owner_profile`
    #: with its real signature and docstring (``graphcrm.reports.owner.owner_html`` makes its page)
    owner = _CommunityFunction("algorithms.owner", "owner_profile")

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
        c = self._community()  # an empty store has an empty summary (no check)
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
            # the projection's arrays (aggregated in the store), not an igraph graph: the same
            # vertex and edge counts as c.graph(kind), without building it
            e = c.edges(kind)
            rows.append({"item": f"{kind} graph", "rows": int(e.n), "edges": int(len(e.source)), "first": None, "last": None})
        return pd.DataFrame(rows, columns=["item", "rows", "edges", "first", "last"])

    # -- write-back ---------------------------------------------------------------
    def write_results(self, results: pd.DataFrame, *, name: str, label: str | None = None,
                      campaign: str | None = None, selected: pd.Series | None = None) -> int:
        """Write a result keyed by owner_id back to the store (see :meth:`Store.write_results`)."""
        return self.store.write_results(results, name=name, label=label, campaign=campaign, selected=selected)

    def read_results(self, name: str) -> pd.DataFrame:
        return self.store.read_results(name)

    # -- analyses: one method per entry of graphcrm.analyses.REGISTRY ----------------------
    # Each method is the analysis function itself with the community replaced by the window
    # (since/until): the same parameters, defaults and docstring (inspect.signature, help() and
    # Shift-Tab show them), results reused through the community's one cache.
    kocs = _AnalysisMethod("kocs")
    circles = _AnalysisMethod("circles")
    circle_profiles = _AnalysisMethod("circle_profiles")
    circle_memberships = _AnalysisMethod("circle_memberships")
    referral_chains = _AnalysisMethod("referral_chains")
    referral_attribution = _AnalysisMethod("referral_attribution")
    top_referrers = _AnalysisMethod("top_referrers")
    referral_issues = _AnalysisMethod("referral_issues")
    ambassadors = _AnalysisMethod("ambassadors")
    volunteer_candidates = _AnalysisMethod("volunteer_candidates")
    contribution = _AnalysisMethod("contribution")
    owner_levels = _AnalysisMethod("owner_levels")
    targets = _AnalysisMethod("targets")
    movement = _AnalysisMethod("movement")
    level_transitions = _AnalysisMethod("level_transitions")
    rising_stars = _AnalysisMethod("rising_stars")
    drifting_owners = _AnalysisMethod("drifting_owners")
    new_owner_cohort = _AnalysisMethod("new_owner_cohort")
    campaign_lift = _AnalysisMethod("campaign_lift")
    backtest = _AnalysisMethod("backtest")

    def spread(self, seeds: Any, *, since: Any = None, until: Any = None, **options: Any) -> Any:
        """Expected reach of any set of owners under a chosen influence model, with a 95% interval:
        a one-row DataFrame (``(table, SpreadDetails)`` with ``details=True``); see
        :func:`graphcrm.algorithms.influence.spread`."""
        return _algorithm("algorithms.influence", "spread")(self.community(since, until), seeds, **options)

    # -- campaigns: record a program run with its hold-out, evaluate it after the window ------
    @_OptionsOf("algorithms.campaigns", "plan_campaign")
    def record_campaign(self, name: str, *, program: str, replace: bool = False, since: Any = None,
                        until: Any = None, **plan_options: Any):
        """Plan a campaign (treated and a never-contacted control, see
        :func:`graphcrm.algorithms.campaigns.plan_campaign`, whose options and defaults
        ``plan_options`` are, as the signature shows: ``start``, ``window_days``, ``holdout``,
        ``seed``, ``targets_frame``, ``matches``, ``neighbour_layers``, ``created_at``,
        ``target_options``) and record it in the store.

        Returns the :class:`~graphcrm.algorithms.campaigns.CampaignPlan`; export only its
        ``treated`` members to a CRM (the control must never be contacted).

        Raises
        ------
        StoreError
            A campaign of that name is already recorded (pass ``replace=True`` to replace it).
        """
        plan = _algorithm("algorithms.campaigns", "plan_campaign")(
            self.community(since, until), name=name, program=program, **plan_options)
        self.store.write_campaign(plan.campaign.to_record(), plan.members, replace=replace)
        return plan

    def campaigns(self) -> pd.DataFrame:
        """Recorded campaigns, oldest first: name, program, start, window_days, created_at,
        options (JSON), treated, control (members per group)."""
        return self.store.campaigns()

    def campaign(self, name: str):
        """A recorded campaign and its members: ``(Campaign, DataFrame of owner_id, group, matched_to)``.

        Raises
        ------
        StoreError
            No campaign of that name.
        """
        Campaign = _algorithm("algorithms.campaigns", "Campaign")
        rows = self.store.campaigns()
        row = rows[rows["name"] == name]
        if not len(row):
            from graphcrm.errors import StoreError

            raise StoreError(f"no campaign named {name!r} in {self.store.uri} (graphcrm campaigns lists them)")
        return Campaign.from_record(row.iloc[0].to_dict()), self.store.campaign_members(name)

    def evaluate(self, name: str, **options: Any):
        """The lift of the recorded campaign ``name`` on the whole stored history: treated vs
        control per member and among graph neighbours; options and output as
        :func:`graphcrm.algorithms.campaigns.campaign_lift` (``details=True`` for the notes)."""
        camp, members = self.campaign(name)
        return self.campaign_lift(campaign=camp, members=members, **options)

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


def _add_registered_methods() -> None:
    """Every analysis in graphcrm.analyses.REGISTRY is a CommunityGraph method: the ones above are
    written out for readers and editors; a newly registered analysis gets its method here."""
    from graphcrm.analyses import REGISTRY

    for name in REGISTRY:
        if name not in CommunityGraph.__dict__:
            setattr(CommunityGraph, name, _AnalysisMethod(name))


_add_registered_methods()


def open(uri: str | os.PathLike | None = None, *, create: bool = False) -> CommunityGraph:  # noqa: A001 - mirrors graphcrm.open
    """Open a community store.

    Parameters
    ----------
    uri
        A file path for the embedded store (default ``./graphcrm.duckdb``, or ``$GRAPHCRM_STORE``),
        or ``bolt://host:7687`` / ``neo4j://`` / ``neo4j+s://`` for Neo4j (credentials from
        ``GRAPHCRM_NEO4J_USER``/``GRAPHCRM_NEO4J_PASSWORD`` or the config file).
    create
        Embedded store: create the file (an empty store) now.  By default a file that does not
        exist is created by the first :meth:`CommunityGraph.load`, and reading from it before
        (an analysis, :meth:`~CommunityGraph.info`, :meth:`~CommunityGraph.table`) raises
        StoreError, so a mistyped path fails instead of giving results for an empty community.
        Ignored for Bolt stores (the server's database exists).

    Returns
    -------
    CommunityGraph

    Raises
    ------
    StoreError
        On first read, when the file does not exist (the message says how to create one:
        ``graphcrm load FOLDER``, ``graphcrm demo``, or ``create=True``); at once, when the
        file is not a DuckDB database or (``create=True``) its folder does not exist.
    ConfigError
        An unknown URI scheme, or credentials in a Bolt URI.

    Example
    -------
    >>> import graphcrm, pandas as pd
    >>> cg = graphcrm.open(":memory:")
    >>> cg.load({"owners": pd.DataFrame({"owner_id": ["a", "b"]})}).loaded
    2
    """
    return CommunityGraph(open_store(uri, create=create))
