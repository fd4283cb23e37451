"""Graph projections of a community as python-igraph graphs.

Every projection has **all owners** as vertices, in ``owner_id`` order, with the vertex
attribute ``name`` holding the ``owner_id``: the three graphs share one vertex sequence, so
layers can be combined by vertex index, and results are always reported by ``owner_id``
(igraph vertex numbers never leak out).

Co-attendance and large events
------------------------------
Two owners who attended the same event get ``1/(n-1)`` for an event of ``n`` attendees, so
each attendee spreads one unit of tie strength over their co-attendees: a 12-person drive
ties its members strongly, a 3,000-person launch day hardly at all.  Events with more than
``max_event_size`` attendees (default 150, Dunbar's number) add **no** pair edges: each of
their pairs would get at most 1/150 (less than a tenth of what a 12-person meetup gives), yet
a 5,000-person event alone would create 12.5 million edges.  Their attendance still counts
in every per-owner feature; the graph records how many events were left out in the graph
attribute ``large_events_skipped``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import igraph as ig
import numpy as np
import pandas as pd

from graphcrm.contract import INTERACTION_KINDS
from graphcrm.errors import ConfigError

#: default weight per interaction kind: a share spreads a post furthest, comments and replies
#: cost effort, a favourite is a deliberate save, a like is one tap.
DEFAULT_KIND_WEIGHTS: dict[str, float] = {"like": 1.0, "favorite": 2.0, "comment": 3.0, "reply": 3.0, "share": 5.0}
DEFAULT_MAX_EVENT_SIZE = 150
PROJECTIONS = ("referrals", "interactions", "coattendance")
#: the edge attribute holding :attr:`Edges.count` in each projection's igraph graph
COUNT_ATTRIBUTE = {"interactions": "count", "coattendance": "shared"}


@dataclass(frozen=True, eq=False)
class Edges:
    """A projection as compact numpy arrays: what algorithms that do not need an igraph graph use.

    Built once per community and options by :meth:`graphcrm.community.Community.edges` (in SQL
    on the embedded store, else from the community's tables); :meth:`Community.graph
    <graphcrm.community.Community.graph>` builds its igraph graph from these arrays.  At 1M
    demo owners the co-attendance projection has 25.7M pairs: 0.5 GB as these arrays, ~2.8 GB as
    an igraph graph (python-igraph keeps each edge attribute as a list of Python numbers).
    The arrays are shared by every caller: never change them in place.

    Attributes
    ----------
    projection : str
        ``"interactions"``, ``"coattendance"`` or ``"referrals"``.
    directed : bool
        Interactions and referrals are directed, co-attendance is not (``source < target``).
    n : int
        Number of vertices: the community's owners, in ``owner_ids`` order.
    source, target : ndarray of int32
        Vertex numbers (positions in ``owner_ids``); sorted by (source, target) for
        interactions and co-attendance, in referral-row order for referrals.
    weight : ndarray of float64
        Interactions: sum of decayed kind weights (points); co-attendance: sum over shared
        events of ``1/(n-1)``; referrals: 1.0.
    count : ndarray of int32
        Interactions: number of interactions; co-attendance: number of shared events;
        referrals: 1.
    attributes : dict
        Graph attributes (co-attendance: ``max_event_size``, ``large_events_skipped``).

    Example
    -------
    >>> import numpy as np
    >>> e = Edges("coattendance", False, 3, np.array([0, 1], np.int32), np.array([1, 2], np.int32),
    ...           np.array([0.5, 1.0]), np.array([1, 2], np.int32))
    >>> len(e), float(e.weight.sum())
    (2, 1.5)
    """

    projection: str
    directed: bool
    n: int
    source: np.ndarray
    target: np.ndarray
    weight: np.ndarray
    count: np.ndarray
    attributes: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(len(self.source))

    @classmethod
    def of(cls, projection: str, n: int, source, target, weight, count, *, directed: bool,
           attributes: dict | None = None) -> "Edges":
        """Edges with the declared dtypes (int32 vertex numbers, float64 weight, int32 count)."""
        vdt = np.int32 if n < 2**31 - 1 else np.int64
        return cls(projection, bool(directed), int(n), np.ascontiguousarray(source, dtype=vdt),
                   np.ascontiguousarray(target, dtype=vdt), np.ascontiguousarray(weight, dtype=np.float64),
                   np.ascontiguousarray(count, dtype=np.int32), dict(attributes or {}))


def graph_from_edges(ids: np.ndarray, edges: Edges) -> ig.Graph:
    """The igraph graph of a projection (interactions or co-attendance) from its :class:`Edges`:
    vertex attribute ``name``, edge attributes ``weight`` and ``count`` (interactions) or
    ``shared`` (co-attendance), graph attributes ``projection`` and :attr:`Edges.attributes`.

    Example
    -------
    >>> import numpy as np
    >>> e = Edges.of("interactions", 2, [1], [0], [2.5], [2], directed=True)
    >>> g = graph_from_edges(np.array(["a", "b"], dtype=object), e)
    >>> g.get_edgelist(), g.es["weight"], g.es["count"]
    ([(1, 0)], [2.5], [2])
    """
    return graph_from_pairs(ids, edges.source, edges.target, directed=edges.directed, projection=edges.projection,
                            edge_attributes={"weight": edges.weight, COUNT_ATTRIBUTE[edges.projection]: edges.count},
                            graph_attributes=edges.attributes)


def owner_index(owners: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    """Sorted owner ids and an Index mapping owner_id -> vertex number."""
    ids = np.sort(owners["owner_id"].astype(str).to_numpy())
    return ids, pd.Index(ids)


def _vertices(ids: np.ndarray, n_edges_hint: int = 0, *, directed: bool) -> ig.Graph:
    g = ig.Graph(n=len(ids), directed=directed)
    g.vs["name"] = list(ids)
    return g


def codes(index: pd.Index, values: pd.Series) -> np.ndarray:
    """Positions of ``values`` in ``index`` (-1 where absent), as int64.

    A categorical column (as held by :class:`graphcrm.community.Community`) is mapped through
    its categories: when they start with ``index`` its codes are the positions, otherwise each
    category is looked up once; no string per row is built.

    Example
    -------
    >>> import pandas as pd
    >>> codes(pd.Index(["a", "b"]), pd.Series(["b", "z", "a"], dtype="category")).tolist()
    [1, -1, 0]
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories
        c = values.cat.codes.to_numpy().astype(np.int64)
        if cats is index or (len(cats) >= len(index) and cats[: len(index)].equals(index)):
            return np.where(c < len(index), c, -1)
        m = index.get_indexer(cats.astype(str))
        return np.where(c >= 0, m[np.maximum(c, 0)], -1) if len(m) else np.full(len(c), -1, dtype=np.int64)
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.StringDtype):
        return index.get_indexer(values)  # text already: not made objects and text again
    return index.get_indexer(pd.Series(values, dtype=object).astype(str))


_codes = codes


def authors_of(index: pd.Index, posts: pd.DataFrame, interactions: pd.DataFrame) -> np.ndarray:
    """Vertex number (position in ``index``) of the author of each interaction's post (-1:
    unknown post or author), through the categorical codes of a compact community.

    Example
    -------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"post_id": ["p1", "p2"], "author_id": ["b", "zz"]})
    >>> i = pd.DataFrame({"post_id": ["p2", "p1", "p9"]})
    >>> authors_of(pd.Index(["a", "b"]), p, i).tolist()
    [-1, 1, -1]
    """
    if not len(posts) or not len(interactions):
        return np.full(len(interactions), -1, dtype=np.int64)
    p = posts.drop_duplicates("post_id")
    author_of_post = np.r_[_codes(index, p["author_id"]), -1]  # trailing -1: unknown post
    return author_of_post[post_rows_of(p, interactions)]


def post_rows_of(posts: pd.DataFrame, interactions: pd.DataFrame) -> np.ndarray:
    """Row number in ``posts`` (distinct ``post_id``) of each interaction's post, -1 for a post
    not there; through the categorical codes when both columns share the community's post
    categories (no string per row).

    Example
    -------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"post_id": ["p1", "p2"], "author_id": ["b", "zz"]})
    >>> post_rows_of(p, pd.DataFrame({"post_id": ["p2", "p1", "p9"]})).tolist()
    [1, 0, -1]
    """
    if not len(posts) or not len(interactions):
        return np.full(len(interactions), -1, dtype=np.int64)
    p = posts
    pid, ipid = p["post_id"], interactions["post_id"]
    if (isinstance(pid.dtype, pd.CategoricalDtype) and isinstance(ipid.dtype, pd.CategoricalDtype)
            and len(ipid.cat.categories) >= len(pid.cat.categories)
            and (ipid.cat.categories is pid.cat.categories
                 or ipid.cat.categories[: len(pid.cat.categories)].equals(pid.cat.categories))):
        # the community's shared post dtype: category -> row of posts, then one take per row
        row = np.full(len(ipid.cat.categories) + 1, -1, dtype=np.int64)
        pc = pid.cat.codes.to_numpy()
        row[pc[pc >= 0]] = np.flatnonzero(pc >= 0)
        return row[ipid.cat.codes.to_numpy()]  # code -1 (missing) reads the trailing -1
    return _codes(pd.Index(pid.astype(object).astype(str)), ipid)


def referral_graph(owners: pd.DataFrame, referrals: pd.DataFrame) -> ig.Graph:
    """Directed referral graph: referrer -> referee.

    Parameters
    ----------
    owners, referrals
        Contract tables (see :mod:`graphcrm.contract`).

    Returns
    -------
    igraph.Graph
        Directed; vertex attribute ``name`` (owner_id); edge attributes ``stage`` and
        ``referred_at`` (pandas Timestamp).  Self-referrals are kept (as loops) so that
        integrity checks can see them; edges whose owners are unknown are skipped.

    Example
    -------
    >>> import pandas as pd
    >>> o = pd.DataFrame({"owner_id": ["a", "b"]})
    >>> r = pd.DataFrame({"referrer_id": ["a"], "referee_id": ["b"], "stage": ["order"],
    ...                   "referred_at": pd.to_datetime(["2024-01-01"])})
    >>> g = referral_graph(o, r)
    >>> [(g.vs[e.source]["name"], g.vs[e.target]["name"]) for e in g.es]
    [('a', 'b')]
    """
    ids, index = owner_index(owners)
    g = _vertices(ids, directed=True)
    if len(referrals):
        s = _codes(index, referrals["referrer_id"])
        t = _codes(index, referrals["referee_id"])
        ok = (s >= 0) & (t >= 0)
        g.add_edges(np.column_stack([s[ok], t[ok]]).tolist())
        g.es["stage"] = referrals["stage"].to_numpy()[ok].tolist()
        g.es["referred_at"] = [pd.Timestamp(x) for x in pd.to_datetime(referrals["referred_at"])[ok]]
    g["projection"] = "referrals"
    return g


def referral_edges(owners: pd.DataFrame, referrals: pd.DataFrame) -> Edges:
    """The referral projection of :func:`referral_graph` as :class:`Edges`: referrer -> referee
    in referral-row order (loops kept, unknown owners skipped), ``weight`` 1.0 and ``count`` 1
    per referral.

    Example
    -------
    >>> import pandas as pd
    >>> o = pd.DataFrame({"owner_id": ["a", "b"]})
    >>> r = pd.DataFrame({"referrer_id": ["b", "x"], "referee_id": ["a", "a"]})
    >>> e = referral_edges(o, r)
    >>> e.source.tolist(), e.target.tolist()
    ([1], [0])
    """
    ids, index = owner_index(owners)
    if not len(referrals):
        z = np.zeros(0, dtype=np.int64)
        return Edges.of("referrals", len(ids), z, z, np.zeros(0), z, directed=True)
    s = _codes(index, referrals["referrer_id"])
    t = _codes(index, referrals["referee_id"])
    ok = (s >= 0) & (t >= 0)
    m = int(ok.sum())
    return Edges.of("referrals", len(ids), s[ok], t[ok], np.ones(m), np.ones(m, dtype=np.int32), directed=True)


def kind_weights(weights: dict[str, float] | None = None) -> dict[str, float]:
    """The weight of every interaction kind: :data:`DEFAULT_KIND_WEIGHTS` updated by ``weights``.

    Raises
    ------
    ConfigError
        Unknown kinds in ``weights``, or a weight that is not a finite number.

    Example
    -------
    >>> kind_weights({"like": 0.5})["like"], kind_weights()["share"]
    (0.5, 5.0)
    """
    w = dict(DEFAULT_KIND_WEIGHTS)
    if weights:
        unknown = set(weights) - set(INTERACTION_KINDS)
        if unknown:
            raise ConfigError(f"unknown interaction kind(s) in weights: {sorted(unknown)}; kinds are {INTERACTION_KINDS}")
        w.update({k: float(v) for k, v in weights.items()})
        bad = sorted(k for k, v in w.items() if not math.isfinite(v))
        if bad:
            raise ConfigError(f"interaction weights must be finite numbers: {bad}")
    return w


def graph_from_pairs(ids: np.ndarray, source: np.ndarray, target: np.ndarray, *, directed: bool,
                     projection: str, edge_attributes: dict[str, np.ndarray],
                     graph_attributes: dict | None = None) -> ig.Graph:
    """A projection from aggregated pairs (vertex numbers into ``ids``), e.g. computed in SQL.

    The edges are handed to igraph as an int32 ndarray: igraph 1.0 reads an ndarray element by
    element; measured for 1M edges: int64 ndarray 3.6 s, int32 ndarray 1.4 s, ``tolist()``
    1.2 s + 0.5 s (and a list of 25M pairs is a 3 GB transient: the 1M-owner co-attendance graph).

    Example
    -------
    >>> import numpy as np
    >>> g = graph_from_pairs(np.array(["a", "b"], dtype=object), np.array([0]), np.array([1]), directed=True,
    ...                      projection="interactions", edge_attributes={"weight": np.array([2.5])})
    >>> g.ecount(), g.es["weight"], g.vs["name"], g["projection"]
    (1, [2.5], ['a', 'b'], 'interactions')
    """
    dtype = np.int32 if len(ids) < 2**31 - 1 else np.int64
    edges = np.empty((len(source), 2), dtype=dtype)
    edges[:, 0], edges[:, 1] = source, target
    g = ig.Graph(n=len(ids), edges=edges, directed=directed)
    del edges
    g.vs["name"] = list(ids)
    g["projection"] = projection
    for k, v in (graph_attributes or {}).items():
        g[k] = v
    for k, v in edge_attributes.items():
        g.es[k] = np.asarray(v).tolist()  # Python numbers, as the pandas path gives
    return g


def interaction_weights(
    interactions: pd.DataFrame,
    *,
    weights: dict[str, float] | None = None,
    half_life_days: float | None = None,
    as_of: pd.Timestamp | None = None,
) -> np.ndarray:
    """Weight of each interaction row: its kind's weight, times ``0.5**(age/half_life)``.

    Raises
    ------
    ConfigError
        Unknown kinds in ``weights`` or a non-positive half-life.
    """
    w = kind_weights(weights)
    kind = interactions["kind"]
    if isinstance(kind.dtype, pd.CategoricalDtype):  # one look-up per kind, not per row
        per = np.array([w.get(str(k), 0.0) for k in kind.cat.categories] + [0.0], dtype=float)
        vals = per[kind.cat.codes.to_numpy()]  # code -1 (missing) takes the trailing 0.0
    else:
        vals = kind.map(w).fillna(0.0).to_numpy(dtype=float)
    if half_life_days is not None:
        if half_life_days <= 0:
            raise ConfigError("half_life_days must be positive")
        times = pd.to_datetime(interactions["created_at"])
        ref = as_of if as_of is not None else times.max()
        age = ((ref - times).dt.total_seconds() / 86400.0).clip(lower=0).to_numpy()
        vals = vals * np.power(0.5, age / half_life_days)
    return vals


def interaction_graph(
    owners: pd.DataFrame,
    posts: pd.DataFrame,
    interactions: pd.DataFrame,
    *,
    weights: dict[str, float] | None = None,
    half_life_days: float | None = None,
    as_of: pd.Timestamp | None = None,
) -> ig.Graph:
    """Directed interaction graph: engaging owner -> post author, one edge per pair.

    Parameters
    ----------
    owners, posts, interactions
        Contract tables.
    weights
        Weight per interaction kind (default :data:`DEFAULT_KIND_WEIGHTS`).
    half_life_days
        Optional time decay: an interaction ``half_life_days`` old counts half.
    as_of
        "Now" for the decay (default: the latest interaction).

    Returns
    -------
    igraph.Graph
        Directed, vertex attribute ``name``; edge attributes ``weight`` (sum of decayed kind
        weights) and ``count`` (number of interactions).  Owners interacting with their own
        posts add no edge.  The edge direction is engager -> author, so PageRank on it
        measures authority; influence flows the other way (author -> engager).

    Example
    -------
    >>> import pandas as pd
    >>> o = pd.DataFrame({"owner_id": ["a", "b"]})
    >>> p = pd.DataFrame({"post_id": ["p1"], "author_id": ["a"]})
    >>> i = pd.DataFrame({"owner_id": ["b", "b"], "post_id": ["p1", "p1"], "kind": ["like", "share"],
    ...                   "created_at": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    >>> g = interaction_graph(o, p, i)
    >>> g.es[0]["weight"], g.es[0]["count"]
    (6.0, 2)
    """
    ids, _ = owner_index(owners)
    return graph_from_edges(ids, interaction_edges(owners, posts, interactions, weights=weights,
                                                   half_life_days=half_life_days, as_of=as_of))


def interaction_edges(
    owners: pd.DataFrame,
    posts: pd.DataFrame,
    interactions: pd.DataFrame,
    *,
    weights: dict[str, float] | None = None,
    half_life_days: float | None = None,
    as_of: pd.Timestamp | None = None,
) -> Edges:
    """The interaction projection of :func:`interaction_graph` as :class:`Edges` (engager ->
    author, sorted by (source, target); ``weight`` summed decayed kind weights, ``count``
    interactions), without building an igraph graph.

    Example
    -------
    >>> import pandas as pd
    >>> o = pd.DataFrame({"owner_id": ["a", "b"]})
    >>> p = pd.DataFrame({"post_id": ["p1"], "author_id": ["a"]})
    >>> i = pd.DataFrame({"owner_id": ["b", "b"], "post_id": ["p1", "p1"], "kind": ["like", "share"],
    ...                   "created_at": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    >>> e = interaction_edges(o, p, i)
    >>> e.source.tolist(), e.target.tolist(), e.weight.tolist(), e.count.tolist()
    ([1], [0], [6.0], [2])
    """
    ids, index = owner_index(owners)
    n = len(ids)
    if not len(interactions):
        z = np.zeros(0, dtype=np.int64)
        return Edges.of("interactions", n, z, z, np.zeros(0), z, directed=True)
    s = _codes(index, interactions["owner_id"])
    t = authors_of(index, posts, interactions)
    w = interaction_weights(interactions, weights=weights, half_life_days=half_life_days, as_of=as_of)
    ok = (s >= 0) & (t >= 0) & (s != t)
    pair = s[ok].astype(np.int64) * n + t[ok]
    uniq, inv = np.unique(pair, return_inverse=True)
    wsum = np.bincount(inv, weights=w[ok])
    cnt = np.bincount(inv)
    return Edges.of("interactions", n, uniq // n, uniq % n, wsum, cnt, directed=True)


def coattendance_graph(
    owners: pd.DataFrame,
    events: pd.DataFrame,
    attendance: pd.DataFrame,
    *,
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
    checked_in_only: bool = True,
) -> ig.Graph:
    """Undirected co-attendance graph: owners tied by the events they shared.

    Parameters
    ----------
    owners, events, attendance
        Contract tables (``events`` is accepted for symmetry; attendance carries event ids).
    max_event_size
        Events with more attendees than this add no pair edges (see the module docstring).
    checked_in_only
        Count only attendance rows with ``checked_in`` true.

    Returns
    -------
    igraph.Graph
        Undirected, vertex attribute ``name``; edge attributes ``weight`` (sum over shared
        events of ``1/(n-1)``) and ``shared`` (number of shared events); graph attributes
        ``large_events_skipped`` and ``max_event_size``.

    Example
    -------
    >>> import pandas as pd
    >>> o = pd.DataFrame({"owner_id": ["a", "b", "c"]})
    >>> a = pd.DataFrame({"event_id": ["e1"] * 3, "owner_id": ["a", "b", "c"], "checked_in": [True] * 3})
    >>> g = coattendance_graph(o, None, a)
    >>> g.ecount(), g.es[0]["weight"]
    (3, 0.5)
    """
    ids, _ = owner_index(owners)
    return graph_from_edges(ids, coattendance_edges(owners, events, attendance, max_event_size=max_event_size,
                                                    checked_in_only=checked_in_only))


def coattendance_edges(
    owners: pd.DataFrame,
    events: pd.DataFrame | None,
    attendance: pd.DataFrame,
    *,
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
    checked_in_only: bool = True,
) -> Edges:
    """The co-attendance projection of :func:`coattendance_graph` as :class:`Edges`
    (``source < target``, sorted; ``weight`` sum of ``1/(n-1)``, ``count`` shared events;
    ``attributes`` ``max_event_size`` and ``large_events_skipped``), without an igraph graph.

    Raises
    ------
    ConfigError
        ``max_event_size`` below 2.

    Example
    -------
    >>> import pandas as pd
    >>> o = pd.DataFrame({"owner_id": ["a", "b", "c"]})
    >>> a = pd.DataFrame({"event_id": ["e1"] * 3, "owner_id": ["a", "b", "c"], "checked_in": [True] * 3})
    >>> e = coattendance_edges(o, None, a)
    >>> e.source.tolist(), e.target.tolist(), e.weight.tolist(), e.attributes["large_events_skipped"]
    ([0, 0, 1], [1, 2, 2], [0.5, 0.5, 0.5], 0)
    """
    if max_event_size < 2:
        raise ConfigError("max_event_size must be at least 2")
    ids, index = owner_index(owners)
    n = len(ids)
    attrs = {"max_event_size": int(max_event_size), "large_events_skipped": 0}
    z = np.zeros(0, dtype=np.int64)

    def empty() -> Edges:
        return Edges.of("coattendance", n, z, z, np.zeros(0), z, directed=False, attributes=attrs)

    if not len(attendance):
        return empty()
    att = attendance
    if checked_in_only and "checked_in" in att:
        att = att[att["checked_in"].astype(bool)]
    v = _codes(index, att["owner_id"])
    ev_codes, ev_uniques = pd.factorize(att["event_id"])
    ok = v >= 0
    v, ev = v[ok], ev_codes[ok]
    sizes = np.bincount(ev, minlength=len(ev_uniques))
    attrs["large_events_skipped"] = int((sizes > max_event_size).sum())
    keep = (sizes[ev] <= max_event_size) & (sizes[ev] >= 2)
    v, ev = v[keep], ev[keep]
    if not len(v):
        return empty()
    order = np.lexsort((v, ev))
    v, ev = v[order], ev[order]
    # all pairs within each event, vectorised per event size (sum of n^2 over small events)
    starts = np.flatnonzero(np.r_[True, ev[1:] != ev[:-1]])
    lens = np.diff(np.r_[starts, len(ev)])
    src_parts, dst_parts, w_parts = [], [], []
    for size in np.unique(lens):
        blocks = starts[lens == size]
        members = v[blocks[:, None] + np.arange(size)[None, :]]  # (n_events, size)
        iu, ju = np.triu_indices(size, k=1)
        a = members[:, iu].ravel()
        b = members[:, ju].ravel()
        src_parts.append(np.minimum(a, b))
        dst_parts.append(np.maximum(a, b))
        w_parts.append(np.full(len(a), 1.0 / (size - 1)))
    a = np.concatenate(src_parts).astype(np.int64)
    b = np.concatenate(dst_parts).astype(np.int64)
    w = np.concatenate(w_parts)
    pair = a * n + b
    uniq, inv = np.unique(pair, return_inverse=True)
    return Edges.of("coattendance", n, uniq // n, uniq % n, np.bincount(inv, weights=w), np.bincount(inv),
                    directed=False, attributes=attrs)


def to_networkx(graph: ig.Graph):
    """Convert a projection to a networkx graph whose nodes are owner ids (for notebooks).

    Example
    -------
    >>> import igraph as ig
    >>> g = ig.Graph(n=2, edges=[(0, 1)], directed=True); g.vs["name"] = ["a", "b"]; g.es["weight"] = [2.0]
    >>> nxg = to_networkx(g)
    >>> list(nxg.edges(data=True))
    [('a', 'b', {'weight': 2.0})]
    """
    import networkx as nx

    G = nx.DiGraph() if graph.is_directed() else nx.Graph()
    G.graph.update({k: graph[k] for k in graph.attributes()})
    names = graph.vs["name"]
    G.add_nodes_from(names)
    attrs = graph.es.attributes()
    for e in graph.es:
        G.add_edge(names[e.source], names[e.target], **{a: e[a] for a in attrs})
    return G
