"""An in-memory snapshot of a community, optionally limited to a time window.

Analyses take a :class:`Community` first: it holds the six contract tables as DataFrames and
builds (and caches) the graph projections.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import igraph as ig
import numpy as np
import pandas as pd

from graphcrm import projections as proj
from graphcrm._pages import use_small_pages
from graphcrm.contract import TABLES, TABLE_NAMES
from graphcrm.errors import ConfigError, GraphCRMError

use_small_pages()  # numpy's huge-page advice off: see graphcrm/_pages.py


#: columns holding owner ids, per table (categoricals over ``Community.owner_ids``)
OWNER_REFERENCES: dict[str, tuple[str, ...]] = {
    "referrals": ("referrer_id", "referee_id"), "attendance": ("owner_id",), "interactions": ("owner_id",),
}
# posts.author_id stays text: pandas 3.1 maps a categorical through a Series whose *values* are
# categorical wrongly (``inter["post_id"].map(posts.set_index("post_id")["author_id"])``, a
# common pattern, gave other owners); with text values the mapping is right
#: enum columns of the activity tables (categoricals over their sorted contract values)
#: (``referrals.stage`` and event ids stay text: small tables, and code maps them with ``.map``,
#: which on a categorical returns a categorical)
ENUMS: tuple[tuple[str, str], ...] = (("attendance", "role"), ("interactions", "kind"))


def categorical(values: pd.Series, head: pd.Index | None) -> pd.Series:
    """``values`` as a categorical whose categories start with ``head`` (in its order).

    Values not in ``head`` become further categories after it (sorted); missing values stay
    missing.  With ``head=None`` the categories are the sorted distinct values.  A column that
    is already a categorical is recoded through its categories (no string per row is built).

    Example
    -------
    >>> import pandas as pd
    >>> s = categorical(pd.Series(["b", "x", None, "a"]), pd.Index(["a", "b"]))
    >>> s.cat.codes.tolist(), list(s.cat.categories)
    ([1, 2, -1, 0], ['a', 'b', 'x'])
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories
        if head is not None and (cats is head or (len(cats) == len(head) and cats.equals(head))):
            return values
        codes = values.cat.codes.to_numpy()
        uniques = cats
    else:
        codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
        uniques = pd.Index(uniques).astype(str)
    if head is None:
        head = uniques.sort_values()
    m = head.get_indexer(uniques)
    extra = m < 0
    categories = head
    if extra.any():
        if isinstance(values.dtype, pd.CategoricalDtype):  # only categories actually used count
            used = np.zeros(len(uniques), dtype=bool)
            used[codes[codes >= 0]] = True
            extra &= used
        names = uniques[extra]
        order = np.argsort(names.to_numpy(dtype=object).astype(str), kind="stable")
        m[np.flatnonzero(extra)[order]] = len(head) + np.arange(int(extra.sum()))
        categories = head.append(names[order])
    new = np.where(codes >= 0, m[np.maximum(codes, 0)], -1)
    return pd.Series(pd.Categorical.from_codes(new, dtype=pd.CategoricalDtype(categories)), index=values.index,
                     name=values.name)


def held_bytes(value: Any, _seen: set | None = None) -> int:
    """About how many bytes ``value`` holds: what a cache entry costs in memory.

    Counts numpy arrays (once per underlying buffer: views of one array count once), pandas
    frames, series and indexes (``memory_usage(deep=True)``), scipy sparse matrices, igraph
    graphs (an estimate: 32 bytes per edge and 16 per vertex for igraph's index vectors, plus
    32 bytes per value of every vertex and edge attribute, held as lists of Python numbers), a
    :class:`Community` (its tables, projections and cache) and, recursively, tuples, lists,
    dicts and the fields of plain objects.  Objects seen twice count once (``_seen``).  Other
    Python objects count ``sys.getsizeof``; an array of Python objects counts its pointers plus
    the mean size of its first thousand objects per element.

    Example
    -------
    >>> import numpy as np
    >>> a = np.zeros(1000)
    >>> held_bytes(a), held_bytes(a[:10])  # a view holds its whole base array
    (8000, 8000)
    >>> 8000 < held_bytes((a, a[:10], {"x": a})) < 2 * 8000  # the buffer once, plus the containers
    True
    """
    import sys

    seen = set() if _seen is None else _seen

    def size(v: Any) -> int:
        if isinstance(v, np.ndarray):
            root = v
            while isinstance(root.base, np.ndarray):
                root = root.base
            if id(root) in seen:
                return 0
            seen.add(id(root))
            if root.dtype != object or not root.size:
                return int(root.nbytes)
            sample = root.ravel()[:1000]  # Python objects: their mean size over the first thousand
            return int(root.nbytes + root.size * sum(sys.getsizeof(x) for x in sample) / len(sample))
        if id(v) in seen:
            return 0
        seen.add(id(v))
        if isinstance(v, (pd.DataFrame, pd.Series)):
            usage = v.memory_usage(deep=True, index=True)
            return int(usage.sum() if isinstance(usage, pd.Series) else usage)
        if isinstance(v, pd.Index):
            return int(v.memory_usage(deep=True))
        if isinstance(v, ig.Graph):
            n, m = v.vcount(), v.ecount()
            return 32 * m + 16 * n + 32 * (m * len(v.es.attributes()) + n * len(v.vs.attributes()))
        if isinstance(v, Community):
            return sum(size(t) for t in v.tables.values()) + size(v.owner_ids) + size(v._memo)
        if isinstance(v, (str, bytes, int, float, bool, type(None))):
            return sys.getsizeof(v)
        if hasattr(v, "tocsr") and hasattr(v, "nnz"):  # scipy sparse
            return sum(size(getattr(v, a)) for a in ("data", "indices", "indptr", "row", "col", "offsets")
                       if isinstance(getattr(v, a, None), np.ndarray))
        if isinstance(v, dict):
            return sys.getsizeof(v) + sum(size(k) + size(x) for k, x in v.items())
        if isinstance(v, (list, tuple, set, frozenset)):
            return sys.getsizeof(v) + sum(size(x) for x in v)
        fields = getattr(v, "__dict__", None)
        if fields is None and hasattr(v, "__slots__"):
            fields = {a: getattr(v, a) for a in v.__slots__ if hasattr(v, a)}
        if isinstance(fields, dict):
            return sys.getsizeof(v) + sum(size(x) for x in fields.values())
        return sys.getsizeof(v)

    return size(value)


#: part of the key of every result kept in a store: raised when the same data and options give
#: other results than before (a changed default inside an analysis), so that a store written by an
#: earlier graphcrm recomputes them instead of reading results the code no longer gives.
#: 2 (stop 28): circles run igraph's Leiden on graphs of any size (leidenalg before up to 100,000 ties)
#: 3 (stop 31): the store sums pair weights exactly (the same double in every run; last bits moved before)
RESULTS_REVISION = 3
#: environment variable: ``1`` recomputes results instead of reusing those kept in the store
FRESH_ENV = "GRAPHCRM_FRESH"


#: environment variable: MiB the intermediates of one community's memo may hold (``none``: no limit)
MEMO_BUDGET_ENV = "GRAPHCRM_MEMO_BUDGET_MIB"
#: the default of :data:`MEMO_BUDGET_ENV`, in MiB: at 100,000 demo owners every intermediate of
#: the weekly job fits (nothing is dropped or recomputed); at 1,000,000 they would hold ~4 GB
#: after the KOCs and grow with every step (see docs/benchmarks.md, "1M owners in one process")
DEFAULT_MEMO_BUDGET_MIB: float | None = 2048


_LIBC: list = []


def trim_heap() -> bool:
    """Ask glibc to hand freed heap memory back to the system (``malloc_trim(0)``); False where
    there is no glibc.  Called when the memo drops intermediates: without it the resident size
    of a 1M-owner run stayed up to ~0.9 GB above what the process still held (measured after
    the KOC step, bench/pipeline_bench.py --memo-sizes)."""
    if not _LIBC:
        import ctypes

        try:
            _LIBC.append(ctypes.CDLL("libc.so.6").malloc_trim)
        except (OSError, AttributeError):
            _LIBC.append(None)
    return bool(_LIBC[0] is not None and _LIBC[0](0))


def memo_budget() -> int | None:
    """Bytes the intermediates of a community's :meth:`Community.memo` may hold: ``$GRAPHCRM_MEMO_BUDGET_MIB``
    (MiB; ``none`` or empty: no limit), else :data:`DEFAULT_MEMO_BUDGET_MIB`.

    Raises
    ------
    ConfigError
        The variable is not a number of MiB.
    """
    import os

    raw = os.environ.get(MEMO_BUDGET_ENV)
    if raw is None:
        mib = DEFAULT_MEMO_BUDGET_MIB
    elif raw.strip().lower() in ("", "none"):
        mib = None
    else:
        try:
            mib = float(raw)
        except ValueError:
            raise ConfigError(f"${MEMO_BUDGET_ENV}={raw!r} is not a number of MiB (or 'none')") from None
        if mib < 0:
            raise ConfigError(f"${MEMO_BUDGET_ENV} must not be negative")
    return None if mib is None else int(mib * 2**20)


def fresh_results() -> bool:
    """Whether ``$GRAPHCRM_FRESH`` asks to recompute results kept in the store."""
    import os

    return os.environ.get(FRESH_ENV, "").strip().lower() in ("1", "true", "yes", "on")


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
    compact
        Hold the id and enum columns of the activity tables as categoricals (the default; see
        :meth:`_compact`); ``False`` keeps the frames as given (the reference path of
        tests/test_data_path.py).

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

    def __init__(self, tables: Mapping[str, pd.DataFrame], *, since: Any = None, until: Any = None,
                 compact: bool = True):
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
        if compact:
            self._compact()
        self.as_of = self.until if self.until is not None else self._latest()
        self._memo: dict[str, Any] = {}
        #: per memo name: how often it was computed, found, read from the store, evicted (see :meth:`memo`)
        self.memo_stats: dict[str, dict[str, int]] = {}
        #: per memo name: seconds spent computing it, its own work (the entries it asked for not
        #: counted), summed over every computation, recomputations included (see :meth:`memo`)
        self.memo_seconds: dict[str, float] = {}
        #: memo names the next analyses of a known plan will read (:meth:`expect`): dropped last
        self._expected: frozenset[str] = frozenset()
        #: bytes the intermediates of :meth:`memo` may hold (None: no limit); see :func:`memo_budget`
        self.memo_budget: int | None = memo_budget()
        self._memo_bytes: dict[str, int] = {}  # budgeted entries' sizes, least recently used first
        # cost-aware eviction of intermediates (GreedyDual-Size, see _fit_budget): seconds each took
        # to compute (its own work, not the entries it asked for), its priority, the inflation value
        self._memo_cost: dict[str, float] = {}
        self._memo_used_at: dict[str, float] = {}  # the inflation value when each was last used
        self._memo_inflation = 0.0
        self._compute_stack: list[float] = []  # seconds of nested computations, per compute running
        self._memo_names: dict[str, str] = {}
        self._evicted: set[str] = set()  # keys dropped by the budget (a later compute is a recompute)
        self._touched: set[str] = set()  # keys used since the outermost analysis began (may have grown)
        self._analysis_depth = 0  # results being computed now, nested
        self._spilled: dict[str, str] = {}  # results dropped from memory, kept in the store: key -> stored key
        self._table_bytes: int | None = None
        self._pairs_store: Any = None  # a store aggregating projections in SQL (set by from_store)
        self._results_store: Any = None  # a store keeping results across sessions (set by from_store)
        self._fresh = False

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

    @classmethod
    def from_store(cls, store: Any, *, since: Any = None, until: Any = None, aggregate: bool = True,
                   keep_results: bool = True, fresh: bool | None = None) -> "Community":
        """The community held in ``store`` (optionally within a time window).

        A store with ``community_tables()`` (the embedded DuckDB store) hands over its
        activity tables with ids as integer codes computed in SQL, and, with
        ``aggregate=True``, the interaction and co-attendance projections are then aggregated
        inside the store (:meth:`~graphcrm.stores.duckdb_store.DuckDBStore.interaction_pairs`,
        :meth:`~graphcrm.stores.duckdb_store.DuckDBStore.coattendance_pairs`) instead of from
        the rows in pandas; results are the same up to float summation order (tested to 1e-9
        relative).  Other stores give their tables through ``table(name)``.

        With ``keep_results=True`` (the default) an embedded store kept in a file also keeps
        every analysis result (the ``@analysis`` entries of :meth:`memo`) keyed by its data
        version (bumped by every load), the window and the options, so another process (the
        next CLI command) reuses it; ``fresh=True`` (or ``$GRAPHCRM_FRESH=1``, the CLI's
        ``--fresh``) recomputes and replaces what is kept.  See docs/scaling.md.

        Example
        -------
        >>> import graphcrm, pandas as pd
        >>> cg = graphcrm.open(":memory:")
        >>> _ = cg.load({"owners": pd.DataFrame({"owner_id": ["b", "a"]})})
        >>> list(Community.from_store(cg.store).owner_ids)
        ['a', 'b']
        """
        reader = getattr(store, "community_tables", None)
        tables = reader() if reader is not None else {n: store.table(n) for n in TABLE_NAMES}
        c = cls(tables, since=since, until=until)
        if keep_results and hasattr(store, "cached_result") and getattr(store, "path", None) is not None:
            c._results_store = store
            c._fresh = fresh_results() if fresh is None else bool(fresh)
        if aggregate and reader is not None and hasattr(store, "interaction_pairs"):
            ids = tables["owners"]["owner_id"].astype(str).to_numpy()
            # the store numbers owners by its own ORDER BY: use it only if that is Python's order
            if len(ids) < 2 or bool((ids[1:] > ids[:-1]).all()):
                c._pairs_store = store
        return c

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

    def _compact(self) -> None:
        """Hold the id and enum columns of the activity tables as categoricals (int codes).

        Owner references (``referrer_id``, ``referee_id``, attendance and interaction
        ``owner_id``; a post's ``author_id`` stays text, see :data:`OWNER_REFERENCES`) share one dtype whose categories are :attr:`owner_ids`, so a
        column's codes *are* the owners' vertex numbers (ids naming no owner get codes at or
        after ``len(owner_ids)``); post ids share the posts' ids; the enums ``kind`` and
        ``role`` take their sorted contract values.  Event ids and referral stages stay text.  Categories are kept
        sorted, so sorting by a column sorts like its strings.  About 17 bytes per interaction
        instead of ~340 for the string frame (see docs/scaling.md).
        """
        t = self.tables
        owners = pd.Index(self.owner_ids)
        for name, cols in OWNER_REFERENCES.items():
            for c in cols:
                if c in t[name]:
                    t[name][c] = categorical(t[name][c], owners)
        for name, key, refs in (("posts", "post_id", (("interactions", "post_id"),)),):
            if key not in t[name]:
                continue
            ids = categorical(t[name][key], None)
            head = ids.cat.categories
            t[name][key] = ids
            for table, c in refs:
                if c in t[table]:
                    t[table][c] = categorical(t[table][c], head)
        for name, c in ENUMS:
            if c in t[name]:
                t[name][c] = categorical(t[name][c], pd.Index(sorted(TABLES[name].column(c).values)))
        self.owners = t["owners"]

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

    def require_data(self, full: "Community | Any" = None) -> None:
        """Refuse to analyse nothing: raise :class:`~graphcrm.errors.AnalysisError` when the
        community has no owners, or when its window holds no activity at all.

        Activity is a referral, an event, a post created or an interaction inside the window, or
        an owner who joined in it; one is enough (a sparse window is analysed).  ``full`` is the
        community without the window, or a function returning it (called only to say where the
        data runs); default: this one.

        Raises
        ------
        AnalysisError
            ``the store holds no owners ...`` or ``no activity between X and Y; the data runs from
            A to B``.

        Example
        -------
        >>> import pandas as pd
        >>> c = Community.from_frames({"owners": pd.DataFrame({"owner_id": []})})
        >>> c.require_data()
        Traceback (most recent call last):
        ...
        graphcrm.errors.AnalysisError: the store holds no owners: load them first (graphcrm load FOLDER, or graphcrm demo)
        """
        from graphcrm.errors import AnalysisError

        no_owners = "the store holds no owners: load them first (graphcrm load FOLDER, or graphcrm demo)"
        lo, hi = self.since, self.until
        if lo is None and hi is None:
            if not len(self.owners):
                raise AnalysisError(no_owners)
            return

        def inside(s: pd.Series) -> int:
            m = s.notna().to_numpy(dtype=bool).copy()
            if lo is not None:
                m &= (s >= lo).fillna(False).to_numpy(dtype=bool)
            if hi is not None:
                m &= (s <= hi).fillna(False).to_numpy(dtype=bool)
            return int(m.sum())

        t = self.tables
        active = (len(t["referrals"]) + len(t["events"]) + len(t["interactions"])
                  + inside(t["posts"]["created_at"]) + inside(self.owners["joined_at"]))
        if len(self.owners) and active:
            return
        full = full() if callable(full) else (full if full is not None else self)
        if not len(full.owners):
            raise AnalysisError(no_owners)
        times = [full.tables[n][TABLES[n].time_column] for n in TABLE_NAMES if TABLES[n].time_column]
        times = pd.concat([x.dropna() for x in times + [full.owners["joined_at"]] if x.notna().any()]
                          or [pd.Series([], dtype="datetime64[ns]")])

        def when(ts: pd.Timestamp) -> str:
            return f"{ts:%Y-%m-%d}" if ts.time() in (pd.Timestamp(0).time(), pd.Timestamp("2000-01-01 23:59:59.999999").time()) else str(ts)

        span = f"the data runs from {times.min():%Y-%m-%d} to {times.max():%Y-%m-%d}" if len(times) else "the data holds no dates"
        raise AnalysisError(f"no activity between {when(lo) if lo is not None else 'the start of the data'} and "
                            f"{when(hi) if hi is not None else 'the end of the data'}; {span}")

    # -- projections ---------------------------------------------------------------
    def edges(self, kind: str, **options: Any) -> proj.Edges:
        """A projection as compact arrays (cached per options): ``"interactions"``,
        ``"coattendance"`` or ``"referrals"``.

        The same edges, weights and counts as :meth:`graph` (which is built from them), as
        int32 vertex numbers, float64 weights and int32 counts (:class:`graphcrm.projections.Edges`),
        without an igraph graph: what an algorithm that only needs arrays (a CSR matrix, a
        numba kernel) should take.  On the embedded store the interaction and co-attendance
        pairs are aggregated in SQL (see :meth:`from_store`).  The arrays are shared: never
        change them in place.

        Options are those of :meth:`graph`.

        Raises
        ------
        ConfigError
            Unknown projection or option.

        Example
        -------
        >>> import pandas as pd
        >>> o = pd.DataFrame({"owner_id": ["a", "b", "c"]})
        >>> ev = pd.DataFrame({"event_id": ["e"], "starts_at": ["2024-01-01"]})
        >>> at = pd.DataFrame({"event_id": ["e", "e"], "owner_id": ["a", "c"]})
        >>> e = Community.from_frames({"owners": o, "events": ev, "attendance": at}).edges("coattendance")
        >>> e.source.tolist(), e.target.tolist(), e.weight.tolist(), e.source.dtype.name
        ([0], [2], [1.0], 'int32')
        """
        if kind not in proj.PROJECTIONS:
            raise ConfigError(f"unknown graph {kind!r}; choose one of {', '.join(proj.PROJECTIONS)}")
        if kind == "interactions":
            options = dict(options)
            if options.get("as_of") is None:
                options["as_of"] = self.as_of
        defaults = {"interactions": {"weights": None, "half_life_days": None},
                    "coattendance": {"max_event_size": proj.DEFAULT_MAX_EVENT_SIZE, "checked_in_only": True}}.get(kind, {})
        # defaults spelled out or left out are one key (circles asked for max_event_size=150,
        # volunteers for the default: 2 x 0.5 GB of the same pairs at 1M owners)
        key = "edges:" + kind + json.dumps({**defaults, **options}, sort_keys=True, default=str)
        t = self.tables

        def compute() -> proj.Edges:
            try:
                e = self._edges_in_store(kind, options)
                if e is not None:
                    return e
                if kind == "referrals":
                    if options:
                        raise TypeError(f"unexpected option(s) {sorted(options)}")
                    return proj.referral_edges(self.owners, t["referrals"])
                if kind == "interactions":
                    return proj.interaction_edges(self.owners, t["posts"], t["interactions"], **options)
                return proj.coattendance_edges(self.owners, t["events"], t["attendance"], **options)
            except TypeError as exc:
                raise ConfigError(f"bad option for the {kind} graph: {exc}") from None

        return self.memo("edges:" + kind, {}, compute, key=key)  # an intermediate (under the memo's budget)

    def graph(self, kind: str, **options: Any) -> ig.Graph:
        """A graph projection (cached per options): ``"referrals"``, ``"interactions"`` or ``"coattendance"``.

        Options are those of :func:`graphcrm.projections.referral_graph`,
        :func:`~graphcrm.projections.interaction_graph` (``weights``, ``half_life_days``; ``as_of``
        defaults to :attr:`as_of`) and :func:`~graphcrm.projections.coattendance_graph`
        (``max_event_size``, ``checked_in_only``).  The interaction and co-attendance graphs are
        built from :meth:`edges` (its arrays are cached too); an algorithm that needs only
        arrays should call :meth:`edges` and skip the igraph graph (at 1M owners the
        co-attendance graph is the largest object of the pipeline).

        Raises
        ------
        ConfigError
            Unknown projection or option.
        """
        key = "graph:" + kind + json.dumps(options, sort_keys=True, default=str)

        def compute() -> ig.Graph:
            if kind == "referrals":
                try:
                    return proj.referral_graph(self.owners, self.tables["referrals"], **options)
                except TypeError as exc:
                    raise ConfigError(f"bad option for the {kind} graph: {exc}") from None
            return proj.graph_from_edges(self.owner_ids, self.edges(kind, **options))

        return self.memo("graph:" + kind, {}, compute, key=key)  # an intermediate (under the memo's budget)

    def _stored_key(self, key: str) -> str:
        """The key of a result kept in the store: graphcrm's version and :data:`RESULTS_REVISION`,
        the window and the analysis with its options (the store adds the data version)."""
        from graphcrm import __version__

        return json.dumps([__version__, RESULTS_REVISION, str(self.since), str(self.until), key])

    def _edges_in_store(self, kind: str, options: dict) -> proj.Edges | None:
        """The interaction or co-attendance projection aggregated in the store (DuckDB), or
        None when this community was not built by :meth:`from_store` on such a store."""
        store = self._pairs_store
        if store is None or kind not in ("interactions", "coattendance"):
            return None
        extra = set(options) - ({"weights", "half_life_days", "as_of"} if kind == "interactions"
                                else {"max_event_size", "checked_in_only"})
        if extra:
            raise TypeError(f"unexpected option(s) {sorted(extra)}")
        n = len(self.owner_ids)
        if kind == "interactions":
            half = options.get("half_life_days")
            if half is not None and half <= 0:
                raise ConfigError("half_life_days must be positive")
            as_of = options.get("as_of")
            r = store.interaction_pairs(weights=proj.kind_weights(options.get("weights")), half_life_days=half,
                                        as_of=self.as_of if as_of is None else as_of, since=self.since, until=self.until)
            return proj.Edges.of("interactions", n, r["source"], r["target"], r["weight"], r["count"], directed=True)
        size = int(options.get("max_event_size", proj.DEFAULT_MAX_EVENT_SIZE))
        if size < 2:
            raise ConfigError("max_event_size must be at least 2")
        r, skipped = store.coattendance_pairs(max_event_size=size, checked_in_only=bool(options.get("checked_in_only", True)),
                                              since=self.since, until=self.until)
        return proj.Edges.of("coattendance", n, r["source"], r["target"], r["weight"], r["shared"], directed=False,
                             attributes={"max_event_size": size, "large_events_skipped": skipped})

    def pending(self, names: Iterable[str]) -> bool:
        """Whether another process is still computing one of the cache entries ``names`` (e.g.
        ``"result:movement"``) for this community: False here; ``graphcrm run --jobs 2``'s
        workers (:class:`graphcrm.reports.prefetch.Ahead`) answer for the communities they
        compute for.  The report builds the sections that are ready first."""
        return False

    def memo(self, name: str, options: dict, compute, *, key: str | None = None) -> Any:
        """The one cache of shared intermediates and results: compute once per community and
        options (e.g. circles, which KOCs, volunteers, ambassadors and the report all need).

        A load builds a new community, so nothing computed before a load is reused after it.
        Returns a copy for DataFrames.  ``key`` overrides the key built from ``name`` and
        ``options`` (see :func:`graphcrm.results.cache_key`, which keys DataFrame options by
        their content).

        Intermediates (every name not starting with ``result:``, the projections of
        :meth:`edges` and :meth:`graph` included) are kept within :attr:`memo_budget` bytes
        (sized by :func:`held_bytes` when computed; a held :class:`Community` counts what it
        holds at the time of the check) and computed again if asked for after being dropped.
        Results (names starting with ``result:``, every ``@analysis``) share that budget when
        this community keeps results in a store (:meth:`from_store` on a store file): a result
        dropped from memory is read back from the store when asked for again (exactly the
        frames written, :mod:`graphcrm.stores.kept`); without such a store results are always
        held.  When a new entry passes the budget, others are dropped (:meth:`_fit_budget`):
        results kept in the store first (least recently used first), then intermediates, those
        that took the least time to compute per byte first (GreedyDual-Size, aged by use).  The
        new entry stays, even if it alone is larger than the budget, until the analysis
        that asked for it is done: when a result is computed, everything fits again.  Recomputing gives
        the same value (every intermediate is deterministic given its options), so the budget
        changes memory and time, never a result.  :attr:`memo_stats` counts, per name, what
        was computed (``recomputed``: after an eviction), found (``hits``), read back from the
        store (``read``) and ``evicted``.
        """
        if key is None:
            from graphcrm.results import cache_key

            key = cache_key(name, options)
        stats = self.memo_stats.setdefault(name, {"computed": 0, "recomputed": 0, "hits": 0, "read": 0, "evicted": 0})
        self._touched.add(key)
        if key in self._memo:
            stats["hits"] += 1
            value = self._memo[key]
            if key in self._memo_bytes:  # most recently used last
                self._memo_bytes[key] = self._memo_bytes.pop(key)
                self._prioritise(key)
        else:
            keep = self._results_store if name.startswith("result:") else None
            if keep is not None:
                stored_key = self._stored_key(key)
                # a result this process wrote and dropped is read back even under ``fresh``
                found, value = ((False, None) if self._fresh and key not in self._spilled
                                else keep.cached_result(stored_key))
                if found:
                    stats["read"] += 1
                else:
                    stats["computed"] += 1
                    value = self._timed(key, lambda: self._compute_result(compute), name)
                    keep.cache_result(stored_key, value)
                self._spilled[key] = stored_key
            else:
                stats["computed"] += 1
                if key in self._evicted:
                    stats["recomputed"] += 1
                value = self._timed(key, (lambda: self._compute_result(compute)) if name.startswith("result:")
                                    else compute, name)
            self._memo[key] = value
            if isinstance(value, Community):  # a community held in the memo takes its holder's budget
                value.memo_budget = self.memo_budget
            if keep is not None or not name.startswith("result:"):  # under the budget
                self._memo_names[key] = name
                self._memo_bytes[key] = self._entry_bytes(value)
                self._prioritise(key)
            if name.startswith("result:"):
                # an analysis is done: what it asked for must fit now, even an intermediate
                # larger than the whole budget (the influence graph, 2.3 GB at 1M owners, was
                # held into the next step); a result dropped here is in the store already
                self._fit_budget(resize=True)
                if self._analysis_depth == 0:
                    self._touched.clear()
                    # an outermost analysis is done: what it freed goes back to the system (igraph's
                    # and pandas' many small blocks stay in glibc's heap otherwise: 0.8 GB after the
                    # circles partition's Leiden runs at 1,000,000 demo owners, held into the next step)
                    trim_heap()
            else:
                self._fit_budget(keep=key)
        if isinstance(value, pd.DataFrame):
            return value.copy()
        return value

    def _timed(self, key: str, compute, name: str) -> Any:
        """``compute()``, recording in :attr:`_memo_cost` the seconds of its own work: its wall
        time less that of the entries computed inside it (each is recomputed on its own if it is
        dropped, so it is not counted twice), to 0.01 s.  An entry adopted from a worker process
        (graphcrm.reports.prefetch) costs nothing here, so it goes first among the intermediates."""
        import time

        self._compute_stack.append(0.0)
        t = time.perf_counter()
        try:
            return compute()
        finally:
            elapsed = time.perf_counter() - t
            nested = self._compute_stack.pop()
            # in hundredths of a second: entries that take less are all alike (least recently
            # used first among them), not ordered by the timer's noise
            self._memo_cost[key] = round(max(elapsed - nested, 0.0), 2)
            self.memo_seconds[name] = round(self.memo_seconds.get(name, 0.0) + max(elapsed - nested, 0.0), 3)
            if self._compute_stack:
                self._compute_stack[-1] += elapsed

    def _prioritise(self, key: str) -> None:
        """Mark a budgeted entry used (computed, or found): its priority becomes the inflation
        value now plus its cost per MiB (:meth:`_priority`)."""
        self._memo_used_at[key] = self._memo_inflation

    def _priority(self, key: str) -> float:
        """GreedyDual-Size priority of a budgeted intermediate: the inflation value when it was
        last used plus the seconds it took to compute per MiB it holds now (at least 1 MiB);
        :meth:`_fit_budget` drops the lowest first."""
        mib = max(self._intermediate_bytes(key), 1 << 20) / float(1 << 20)
        return self._memo_used_at.get(key, 0.0) + self._memo_cost.get(key, 0.0) / mib

    def _compute_result(self, compute) -> Any:
        """``compute()`` of a result, counting how deep in nested analyses we are (the entries
        used since the outermost one began are the ones sized again when one ends)."""
        self._analysis_depth += 1
        try:
            return compute()
        finally:
            self._analysis_depth -= 1

    def _entry_bytes(self, value: Any) -> int:
        """:func:`held_bytes` of a memo value, leaving out this community and the communities
        the memo holds as entries of their own (an intermediate often refers to them)."""
        if isinstance(value, Community):
            return value.held_bytes()
        seen = {id(self)} | {id(v) for v in self._memo.values() if isinstance(v, Community)}
        for t in self.tables.values():  # a value that refers to the community's own tables
            seen.add(id(t))
        return held_bytes(value, seen)

    def _intermediate_bytes(self, key: str) -> int:
        value = self._memo[key]
        return value.held_bytes() if isinstance(value, Community) else self._memo_bytes[key]

    def _fit_budget(self, keep: str | None = None, *, resize: bool = False) -> None:
        """Drop budgeted entries until they fit :attr:`memo_budget` (never ``keep``): first the
        results kept in the store (read back when asked for again, which costs far less than
        computing an intermediate), least recently used first, then the intermediates (computed
        again) by GreedyDual-Size (Cao & Irani, "Cost-aware WWW proxy caching algorithms", 1997):
        the lowest priority first, where an entry's priority is the inflation value when it was
        last used plus the seconds its own computation took per MiB it holds, and the inflation
        value rises to the priority of each entry dropped.  So an entry that is cheap to compute
        again for its size goes before a costly one (at 1,000,000 demo owners the 851 MiB activity
        log, a few seconds, before the 263 MiB movement core, about a minute), and an entry not
        used for a long time ages out however costly it was.  Plain least-recently-used dropped
        the movement core and the KOC pass's interaction rows before ``targets`` asked for them
        again (docs/benchmarks.md, "Cost-aware eviction").

        ``resize``: first size again the entries that are objects, or tuples/lists holding one
        (not frames, arrays or containers of only those): such a value can grow after it was
        cached (the influence graph, cached with its layer sums as a tuple, builds its forward
        CSR on first use: 1.6 -> 2.3 GB at 1M owners).  Only the entries used since the
        outermost analysis now running began are sized again (an entry grows only when it is
        used; sizing every held object at every analysis's end cost ~0.1 s per analysis at
        100,000 owners)."""
        budget = self.memo_budget
        if budget is None:
            return
        if resize:
            plain = (pd.DataFrame, pd.Series, pd.Index, np.ndarray, Community, str, bytes, int, float, bool, type(None))

            def may_grow(v: Any) -> bool:  # an object, or a tuple/list/dict holding one (one level down)
                if isinstance(v, (tuple, list)):
                    return any(not isinstance(x, (*plain, dict)) for x in v)
                return not isinstance(v, (*plain, dict))

            for k in self._memo_bytes:
                if k in self._touched and may_grow(self._memo[k]):
                    self._memo_bytes[k] = self._entry_bytes(self._memo[k])
        total = sum(self._intermediate_bytes(k) for k in self._memo_bytes)
        if total <= budget:
            return
        dropped = 0
        # results kept in the store first, least recently used first (reading one back is cheap);
        # then the intermediates by GreedyDual-Size (Cao & Irani 1997): the lowest priority first,
        # i.e. the least compute time per byte, where an entry's priority is raised to the
        # inflation value each time it is used (so entries not used for a long time age out
        # however costly); sorted() is stable, so equal priorities go least recently used first
        # an intermediate a known plan's next analyses read (:meth:`expect`) goes after the others
        def order(k: str) -> tuple[bool, bool, float]:
            if k in self._spilled:
                return (False, False, 0.0)
            return (True, self._memo_names.get(k) in self._expected, self._priority(k))

        for k in sorted(self._memo_bytes, key=order):
            if total <= budget:
                break
            if k == keep:
                continue
            total -= self._intermediate_bytes(k)
            if k not in self._spilled:
                self._memo_inflation = max(self._memo_inflation, self._priority(k))
            self._memo_used_at.pop(k, None)
            del self._memo_bytes[k], self._memo[k]
            if k not in self._spilled:
                self._evicted.add(k)
            self.memo_stats[self._memo_names.pop(k)]["evicted"] += 1
            dropped += 1
        if dropped:
            trim_heap()

    def expect(self, names: Iterable[str] = ()) -> None:
        """Tell the memo which intermediates the next analyses of a known plan will read (memo
        names, e.g. ``"combined_graph"``; empty: none).  When the budget makes :meth:`memo` drop
        intermediates, these go only after every other one (among themselves, and among the
        others, the usual order of :meth:`_fit_budget`), so a plan's next step finds them
        instead of computing them again.  The weekly job (:class:`graphcrm.reports.prefetch.Ahead`)
        says before each step what the steps after it read again; nothing else calls it.  Like
        the budget, it changes memory and time, never a result.

        Example
        -------
        >>> import numpy as np, pandas as pd
        >>> c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a"]})})
        >>> c.memo_budget = 20_000  # room for two arrays of 8,000 bytes
        >>> c.expect(["graph"])
        >>> for name in ("graph", "a", "b"):  # b passes the budget
        ...     _ = c.memo(name, {}, lambda: np.zeros(1000))
        >>> [c.memoized(name, {}) for name in ("graph", "a", "b")]  # without expect: graph would go
        [True, False, True]
        """
        self._expected = frozenset(names)

    def held_bytes(self) -> int:
        """About how many bytes this community holds: its tables (sized once), projections and
        everything in :meth:`memo` (intermediates as sized when computed, results sized now)."""
        if self._table_bytes is None:
            seen: set = set()
            self._table_bytes = sum(held_bytes(t, seen) for t in self.tables.values()) + held_bytes(self.owner_ids, seen)
        held = self._table_bytes
        for k, v in self._memo.items():
            held += self._memo_bytes[k] if k in self._memo_bytes and not isinstance(v, Community) else self._entry_bytes(v)
        return held

    def memo_sizes(self) -> pd.DataFrame:
        """What this community holds, entry by entry, largest first.

        Returns
        -------
        DataFrame
            ``entry`` (the memo or projection key, text), ``kind`` (``tables``, ``projection``,
            ``intermediate`` or ``result``), ``bytes`` (:func:`held_bytes` of the entry alone,
            leaving out this community and the communities held as entries of their own: an
            array two entries share counts in both).
        """
        rows = [("tables", "tables", sum(held_bytes(t) for t in self.tables.values()))]
        for k, v in self._memo.items():
            name = self._memo_names.get(k, "result:")
            kind = ("result" if name.startswith("result:") else "projection" if k.startswith(("edges:", "graph:"))
                    else "intermediate")
            rows.append((k, kind, self._entry_bytes(v)))
        return (pd.DataFrame(rows, columns=["entry", "kind", "bytes"]).sort_values("bytes", ascending=False, kind="stable")
                .reset_index(drop=True))

    def memoized(self, name: str, options: dict) -> bool:
        """Whether :meth:`memo` holds ``name`` with ``options`` in this process already (e.g. to
        batch several intermediates that are not computed yet into one computation)."""
        from graphcrm.results import cache_key

        return cache_key(name, options) in self._memo

    def index_of(self, owner_ids) -> np.ndarray:
        """Vertex numbers of owner ids (-1 where unknown).

        A column of the community's tables holding owner ids (a categorical over
        :attr:`owner_ids`) is mapped through its codes, without building a string per row.
        """
        if isinstance(owner_ids, pd.Series) and isinstance(owner_ids.dtype, pd.CategoricalDtype):
            index = self._owner_index()
            if self._starts_with_owners(owner_ids.cat.categories):
                c = owner_ids.cat.codes.to_numpy().astype(np.int64)
                return np.where(c < len(index), c, -1)  # what proj.codes does for such categories
            return proj.codes(index, owner_ids)
        if isinstance(owner_ids, pd.Series) and isinstance(owner_ids.dtype, pd.StringDtype):
            return self._owner_index().get_indexer(owner_ids)  # text already: not made objects and text again
        return self._owner_index().get_indexer(pd.Series(owner_ids, dtype=object).astype(str))

    def _starts_with_owners(self, cats: pd.Index) -> bool:
        """Whether categories begin with :attr:`owner_ids` (their codes are vertex numbers),
        checked once per categories object: the community's owner columns share one, and
        comparing a million ids costs about a second each time."""
        seen = self.__dict__.setdefault("_checked_categories", [])  # (categories, answer); held, so ids stay unique
        for known, answer in seen:
            if known is cats:
                return answer
        index = self._owner_index()
        answer = bool(cats is index or (len(cats) >= len(index) and cats[: len(index)].equals(index)))
        seen.append((cats, answer))
        del seen[:-16]  # a handful in practice (filtering or merging a column keeps its categories)
        return answer

    def _owner_index(self) -> pd.Index:
        if getattr(self, "_owner_ix", None) is None:
            self._owner_ix = pd.Index(self.owner_ids)
        return self._owner_ix

    def eligible(self) -> np.ndarray:
        """Boolean mask over :attr:`owner_ids`: owners who may be targeted (not staff, not opted out)."""
        o = self.owners
        return ~(o["is_staff"].astype(bool).to_numpy() | o["marketing_opt_out"].astype(bool).to_numpy())

    def __repr__(self) -> str:
        sizes = ", ".join(f"{n}={len(self.tables[n]):,}" for n in TABLE_NAMES)
        win = f", since={self.since}, until={self.until}" if (self.since is not None or self.until is not None) else ""
        return f"<Community {sizes}{win}>"
