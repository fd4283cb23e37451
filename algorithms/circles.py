"""Circles (圈层): communities of owners found by Leiden on the combined owner graph.

The combined owner graph
------------------------
Two layers over the same owners, both undirected:

* **co-attendance**: the co-attendance projection (sum over shared events of ``1/(n-1)``,
  see :mod:`graphcrm.projections`);
* **interaction**: the interaction projection (engager → author, kind-weighted, optionally
  time-decayed), symmetrised: the tie between u and v is ``w(u→v) + w(v→u)``.

The layers are in different units (a shared 12-person drive gives 1/11; one comment gives 3, and
a busy pair of posters reaches hundreds), so each layer is divided by its **mean edge weight**
before the layers are mixed: a typical tie then weighs 1 in either layer, and the layer weights
(``layer_weights``, default 1 and 1) say how much a typical tie of each kind counts.  The
combined weight of a pair is the sum of its normalised, weighted layer weights.

Leiden
------
``leidenalg`` with ``RBConfigurationVertexPartition`` (modularity with a resolution parameter;
``resolution=1`` is plain modularity, larger values give more, smaller circles) or
``CPMVertexPartition`` (``method="cpm"``, resolution = the minimum internal density), seeded
(two iterations by default, as leidenalg does; ``n_iterations=-1`` iterates until stable).  On
graphs with more than ``AUTO_ENGINE_EDGES`` (100,000) ties ``engine="auto"`` switches to igraph's C
implementation of the same algorithm (same quality function, 8-25x faster as measured).  Only owners with at least one tie enter Leiden; owners with no tie at all
(no shared event, no interaction) get **circle -1, "no ties"**.  Circles are numbered by size,
0 = largest (ties: the circle holding the smallest owner_id first), so labels are stable for a
given seed and data.

Bridges
-------
The participation coefficient of owner i (Guimerà & Amaral 2005) is
``P_i = 1 - sum_c (k_ic / k_i)^2``, with ``k_ic`` the weight of i's ties into circle c and ``k_i``
the total: 0 when all ties stay in one circle, close to 1 when spread evenly over many.  An owner
is a **bridge** when ``P_i >= bridge_threshold`` (default 0.5: at most about 70% of the tie weight
in one circle) and they have at least ``min_bridge_degree`` distinct neighbours (default 3, so
that an owner with one tie in each of two circles is not a bridge).

Everything is linear in owners + edges: edge lists are combined with numpy, and the
participation coefficient is one group-by over (owner, neighbour circle).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import igraph as ig
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from graphcrm.errors import ConfigError
from graphcrm.i18n import check_lang, join, pick
from graphcrm.results import Col, ResultSpec, analysis

if TYPE_CHECKING:  # pragma: no cover
    from graphcrm.community import Community

__all__ = ["combined_graph", "circles", "circle_profiles", "compare_partitions", "DEFAULT_LAYER_WEIGHTS", "NO_TIES", "AUTO_ENGINE_EDGES"]

#: equal say for the two layers after normalisation (see the module docstring)
DEFAULT_LAYER_WEIGHTS: dict[str, float] = {"coattendance": 1.0, "interactions": 1.0}
#: the circle of owners with no tie at all
NO_TIES = -1
_LAYER_ALIASES = {"coattendance": "coattendance", "co-attendance": "coattendance", "events": "coattendance",
                  "interactions": "interactions", "interaction": "interactions"}


def _pl(n: float, word: str) -> str:
    """English count with plural: 1 owner, 2 owners."""
    return f"{n:g} {word}" if n == 1 else f"{n:g} {word}s"


def _layer_weights(layer_weights: dict[str, float] | None) -> dict[str, float]:
    lw = dict(DEFAULT_LAYER_WEIGHTS)
    for k, v in (layer_weights or {}).items():
        key = _LAYER_ALIASES.get(str(k).lower())
        if key is None:
            raise ConfigError(f"unknown layer {k!r}; the layers are coattendance and interactions")
        if not np.isfinite(v) or v < 0:
            raise ConfigError(f"layer weight for {k} must be a non-negative number, got {v!r}")
        lw[key] = float(v)
    if sum(lw.values()) <= 0:
        raise ConfigError("at least one layer weight must be positive")
    return lw


def _edges(g: ig.Graph, attr: str = "weight") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if g.ecount() == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0)
    el = np.asarray(g.get_edgelist(), dtype=np.int64)
    return el[:, 0], el[:, 1], np.asarray(g.es[attr], dtype=np.float64)


def combined_graph(
    community: Community,
    *,
    layer_weights: dict[str, float] | None = None,
    half_life_days: float | None = None,
    max_event_size: int = 150,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The combined undirected owner graph as an edge list (see the module docstring).

    Parameters
    ----------
    community : graphcrm.community.Community
        The community snapshot.
    layer_weights : dict, optional
        ``{"coattendance": w1, "interactions": w2}`` (default 1 and 1), applied after each layer
        is divided by its mean edge weight.
    half_life_days : float, optional
        Time decay of the interaction layer.
    max_event_size : int, default 150
        Larger events add no co-attendance ties.

    Returns
    -------
    tuple of ndarray
        ``(u, v, w)``: vertex numbers (positions in ``community.owner_ids``) with ``u < v``, one
        row per pair, sorted, and the combined weight.

    Raises
    ------
    ConfigError
        Unknown layer or bad weight.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> o = pd.DataFrame({"owner_id": ["a", "b", "c"]})
    >>> ev = pd.DataFrame({"event_id": ["e"], "starts_at": ["2024-01-01"]})
    >>> at = pd.DataFrame({"event_id": ["e", "e"], "owner_id": ["a", "b"]})
    >>> u, v, w = combined_graph(Community.from_frames({"owners": o, "events": ev, "attendance": at}))
    >>> u.tolist(), v.tolist(), w.tolist()
    ([0], [1], [1.0])
    """
    lw = _layer_weights(layer_weights)
    # computed once per community and options (the community's one cache): circles, their
    # profiles and the report read the same arrays - never change them
    return community.memo("combined_graph", {"layer_weights": lw, "half_life_days": half_life_days,
                                             "max_event_size": max_event_size},
                          lambda: _combined_graph(community, lw, half_life_days, max_event_size))


def _combined_graph(community: Community, lw: dict[str, float], half_life_days: float | None,
                    max_event_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(community.owner_ids)
    parts_u, parts_v, parts_w = [], [], []
    if lw["coattendance"] > 0:
        s, t, w = _edges(community.graph("coattendance", max_event_size=max_event_size))
        if len(w) and w.mean() > 0:
            parts_u.append(np.minimum(s, t))
            parts_v.append(np.maximum(s, t))
            parts_w.append(w / w.mean() * lw["coattendance"])
    if lw["interactions"] > 0:
        opts = {} if half_life_days is None else {"half_life_days": half_life_days}
        s, t, w = _edges(community.graph("interactions", **opts))
        if len(w):
            a, b = np.minimum(s, t), np.maximum(s, t)
            key = a * n + b
            uniq, inv = np.unique(key, return_inverse=True)
            ws = np.bincount(inv, weights=w)
            if ws.mean() > 0:
                parts_u.append(uniq // n)
                parts_v.append(uniq % n)
                parts_w.append(ws / ws.mean() * lw["interactions"])
    if not parts_u:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0)
    u = np.concatenate(parts_u)
    v = np.concatenate(parts_v)
    w = np.concatenate(parts_w)
    key = u * n + v
    uniq, inv = np.unique(key, return_inverse=True)
    ws = np.bincount(inv, weights=w)
    keep = ws > 0
    return (uniq // n)[keep], (uniq % n)[keep], ws[keep]


#: above this many ties, ``engine="auto"`` uses igraph's C implementation of Leiden instead of
#: leidenalg: same algorithm and quality function, measured 8x faster on the 20,000-owner demo
#: (same modularity 0.888) and 25x faster on Higgs Twitter (452k ties: 1.9 s, modularity
#: 0.793, against 55 s and 0.791); see docs/validation.md
AUTO_ENGINE_EDGES = 100_000


def _leiden(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, *, method: str, resolution: float,
            seed: int, n_iterations: int, engine: str = "leidenalg") -> np.ndarray:
    """Leiden membership over the tied owners; -1 for owners with no tie."""
    memb = np.full(n, NO_TIES, dtype=np.int64)
    if not len(u):
        return memb
    tied = np.zeros(n, dtype=bool)
    tied[u] = True
    tied[v] = True
    pos = np.cumsum(tied) - 1
    idx = np.flatnonzero(tied)
    g = ig.Graph(n=len(idx), edges=np.column_stack([pos[u], pos[v]]).tolist(), directed=False)
    if engine == "auto":
        engine = "leidenalg" if len(u) <= AUTO_ENGINE_EDGES else "igraph"
    if engine == "leidenalg":
        import leidenalg

        ptype = (leidenalg.RBConfigurationVertexPartition if method == "modularity"
                 else leidenalg.CPMVertexPartition)
        part = leidenalg.find_partition(g, ptype, weights=w.tolist(), resolution_parameter=resolution,
                                        seed=int(seed), n_iterations=n_iterations)
        raw = np.asarray(part.membership, dtype=np.int64)
    else:
        import random

        # igraph draws from Python's random module: seed it, then restore the caller's state
        state = random.getstate()
        random.seed(int(seed))
        try:
            g.es["weight"] = w.tolist()
            part = g.community_leiden(objective_function="modularity" if method == "modularity" else "CPM",
                                      weights="weight", resolution=resolution, n_iterations=n_iterations)
        finally:
            random.setstate(state)
        raw = np.asarray(part.membership, dtype=np.int64)
    # stable labels: by size desc, then the smallest owner position in the circle
    sizes = np.bincount(raw)
    first = np.full(len(sizes), np.iinfo(np.int64).max)
    np.minimum.at(first, raw, idx)
    order = np.lexsort((first, -sizes))
    label = np.empty(len(sizes), dtype=np.int64)
    label[order] = np.arange(len(sizes))
    memb[idx] = label[raw]
    return memb


CIRCLES = ResultSpec(
    "circles",
    key=("owner_id",),
    columns=(
        Col("owner_id", "str", "", "the owner"),
        Col("circle", "int", "", "the owner's circle (0 = largest; -1 = no ties to anyone)"),
        Col("circle_size", "int", "owners", "owners in that circle"),
        Col("degree", "int", "owners", "distinct owners they share an event or an interaction with"),
        Col("strength", "float", "ties", "combined tie weight (1 = a typical tie of either kind)"),
        Col("internal_share", "float", "share 0-1", "share of their tie weight inside their own circle"),
        Col("n_circles", "int", "circles", "distinct circles among their ties"),
        Col("participation", "float", "0-1", "how evenly their ties spread over circles (0 = all in one)"),
        Col("is_bridge", "bool", "", "a bridge between circles (participation and degree above the thresholds)"),
        Col("reason", "str", "", "their circle and ties in plain words"),
    ),
    sort=(("circle", True), ("strength", False), ("owner_id", True)),
    last=(("circle", NO_TIES),),
    description="owner -> circle by Leiden on the combined owner graph, with bridge scores",
)


@analysis(CIRCLES)
def circles(
    community: Community,
    *,
    resolution: float = 1.0,
    method: str = "modularity",
    layer_weights: dict[str, float] | None = None,
    half_life_days: float | None = None,
    max_event_size: int = 150,
    seed: int = 0,
    n_iterations: int = 2,
    engine: str = "auto",
    bridge_threshold: float = 0.5,
    min_bridge_degree: int = 3,
    lang: str = "en",
) -> pd.DataFrame:
    """Owner → circle by Leiden on the combined owner graph, with bridge scores.

    Parameters
    ----------
    community : graphcrm.community.Community
        The community snapshot.
    resolution : float, default 1.0
        Leiden resolution (RBConfiguration: 1 = modularity; CPM: minimum density).
    method : {"modularity", "cpm"}, default "modularity"
        Quality function: ``RBConfigurationVertexPartition`` or ``CPMVertexPartition``.
    layer_weights : dict, optional
        Weight of the normalised co-attendance and interaction layers (default 1 and 1).
    half_life_days : float, optional
        Time decay of the interaction layer (default none).
    max_event_size : int, default 150
        Larger events add no co-attendance ties.
    seed : int, default 0
        Leiden seed; same seed and data give the same circles.
    n_iterations : int, default 2
        Leiden iterations (leidenalg's default; -1: until the partition no longer changes).
    engine : {"auto", "leidenalg", "igraph"}, default "auto"
        Leiden implementation: ``leidenalg``, or igraph's C implementation (same algorithm and
        quality function, 8-25x faster; seeded through Python's ``random``, whose state is
        restored).  ``auto`` uses leidenalg up to :data:`AUTO_ENGINE_EDGES` ties, igraph above.
    bridge_threshold : float, default 0.5
        Minimum participation coefficient of a bridge.
    min_bridge_degree : int, default 3
        Minimum number of distinct neighbours of a bridge.
    lang : {"en", "zh"}
        Language of ``reason``.

    Returns
    -------
    pandas.DataFrame
        One row per owner: ``owner_id``; ``circle`` (0 = largest; -1 = no ties);
        ``circle_size``; ``degree`` (distinct neighbours); ``strength`` (combined tie weight);
        ``internal_share`` (share of the strength inside the owner's own circle);
        ``n_circles`` (distinct circles among the owner's ties); ``participation``
        (participation coefficient, 0..1); ``is_bridge``; ``reason``.  Sorted by circle
        (-1 last), then strength descending, then owner_id.

    Raises
    ------
    ConfigError
        For a bad method, resolution, layer weight or lang.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> o = pd.DataFrame({"owner_id": ["a", "b", "c", "d"]})
    >>> ev = pd.DataFrame({"event_id": ["e1", "e2"], "starts_at": ["2024-01-01", "2024-01-02"]})
    >>> at = pd.DataFrame({"event_id": ["e1", "e1", "e2", "e2"], "owner_id": ["a", "b", "c", "d"]})
    >>> df = circles(Community.from_frames({"owners": o, "events": ev, "attendance": at}))
    >>> df[["owner_id", "circle"]].values.tolist()
    [['a', 0], ['b', 0], ['c', 1], ['d', 1]]
    """
    lang = check_lang(lang)
    if engine not in ("auto", "leidenalg", "igraph"):
        raise ConfigError(f"engine must be 'auto', 'leidenalg' or 'igraph', got {engine!r}")
    if method not in ("modularity", "cpm"):
        raise ConfigError(f"method must be 'modularity' or 'cpm', got {method!r}")
    if not np.isfinite(resolution) or resolution <= 0:
        raise ConfigError("resolution must be a positive number")
    if not 0 <= bridge_threshold <= 1:
        raise ConfigError("bridge_threshold must be between 0 and 1")
    lw = _layer_weights(layer_weights)
    partition = dict(resolution=resolution, method=method, layer_weights=lw, half_life_days=half_life_days,
                     max_event_size=max_event_size, seed=seed, n_iterations=n_iterations, engine=engine)
    # the partition does not depend on the bridge rule or the language: one Leiden run per options
    u, v, w, memb = community.memo("circle_partition", partition, lambda: _partition(community, **partition))
    n = len(community.owner_ids)
    strength = np.bincount(u, weights=w, minlength=n) + np.bincount(v, weights=w, minlength=n)
    degree = np.bincount(u, minlength=n) + np.bincount(v, minlength=n)
    # weight of each owner's ties into each circle: one group-by over (owner, neighbour circle)
    who = np.concatenate([u, v])
    other = np.concatenate([memb[v], memb[u]])
    ww = np.concatenate([w, w])
    if len(who):
        k = pd.DataFrame({"who": who, "c": other, "w": ww}).groupby(["who", "c"], sort=False)["w"].sum()
        kw = k.to_numpy()
        kwho = k.index.get_level_values(0).to_numpy()
        kc = k.index.get_level_values(1).to_numpy()
        frac = kw / strength[kwho]
        sumsq = np.bincount(kwho, weights=frac * frac, minlength=n)
        n_circ = np.bincount(kwho, minlength=n)
        inside = np.bincount(kwho, weights=np.where(kc == memb[kwho], kw, 0.0), minlength=n)
    else:
        sumsq = np.zeros(n)
        n_circ = np.zeros(n, dtype=np.int64)
        inside = np.zeros(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        participation = np.where(strength > 0, 1.0 - sumsq, 0.0)
        internal = np.where(strength > 0, inside / strength, 0.0)
    participation = np.clip(participation, 0.0, 1.0)
    sizes = pd.Series(memb).map(pd.Series(memb).value_counts()).to_numpy()
    is_bridge = (participation >= bridge_threshold) & (degree >= min_bridge_degree) & (memb >= 0)
    df = pd.DataFrame({
        "owner_id": community.owner_ids,
        "circle": memb,
        "circle_size": sizes,
        "degree": degree.astype(np.int64),
        "strength": strength,
        "internal_share": internal,
        "n_circles": n_circ.astype(np.int64),
        "participation": participation,
        "is_bridge": is_bridge,
    })
    df["reason"] = [_circle_reason(r, lang) for r in df.itertuples(index=False)]
    return df  # sorted as CIRCLES declares (circle, -1 last; strength desc; owner_id)


def _partition(community: Community, *, resolution: float, method: str, layer_weights: dict[str, float],
               half_life_days: float | None, max_event_size: int, seed: int, n_iterations: int,
               engine: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The combined graph ``(u, v, w)`` and the Leiden membership of every owner."""
    from graphcrm.progress import steps

    with steps(["combined graph", "Leiden"], desc="circles") as step:
        step("combined graph")
        u, v, w = combined_graph(community, layer_weights=layer_weights, half_life_days=half_life_days,
                                 max_event_size=max_event_size)
        step("Leiden")
        memb = _leiden(len(community.owner_ids), u, v, w, method=method, resolution=resolution, seed=seed,
                       n_iterations=n_iterations, engine=engine)
    return u, v, w, memb


def _circle_reason(r, lang: str) -> str:
    if r.circle < 0:
        return pick(lang, en="no ties to other owners (no shared events or interactions)",
                    zh="与其他车主没有联系（无共同活动、无互动）")
    parts = [pick(lang, en=f"circle {r.circle} ({_pl(r.circle_size, 'owner')})",
                  zh=f"圈层 {r.circle}（{r.circle_size} 人）"),
             pick(lang, en=f"{_pl(r.degree, 'tie')}, {r.internal_share:.0%} of tie weight inside",
                  zh=f"{r.degree} 个联系，{r.internal_share:.0%} 的联系强度在圈内")]
    if r.is_bridge:
        parts.append(pick(lang, en=f"bridge: ties reach {_pl(r.n_circles, 'circle')} (participation {r.participation:.2f})",
                          zh=f"桥梁：联系覆盖 {r.n_circles} 个圈层（参与系数 {r.participation:.2f}）"))
    return join(parts, lang)


def _joined(circle: pd.Series, members: pd.DataFrame) -> list[str]:
    """Comma-joined owner ids of ``members`` (columns circle, owner_id) for each circle."""
    lists: dict = {}
    for c, o in zip(members["circle"].to_numpy(), members["owner_id"].to_numpy()):
        lists.setdefault(int(c), []).append(str(o))
    return [",".join(lists.get(int(c), [])) for c in circle]


def _top_values(values: pd.Series, groups: np.ndarray, k: int, lang: str) -> pd.Series:
    """'A 40%, B 20%' per group: the k most frequent non-empty values and their shares."""
    df = pd.DataFrame({"g": groups, "x": values.astype(object)})
    total = df.groupby("g").size()
    df = df[df["x"].notna() & (df["x"].astype(str).str.len() > 0)]
    if df.empty:
        return pd.Series("", index=total.index)
    cnt = df.groupby(["g", "x"]).size().rename("n").reset_index()
    cnt = cnt.sort_values(["g", "n", "x"], ascending=[True, False, True], kind="mergesort")
    cnt = cnt.groupby("g", sort=False).head(k)
    cnt["share"] = cnt["n"] / cnt["g"].map(total)
    sep = "，" if lang == "zh" else ", "
    txt = cnt.groupby("g", sort=False).apply(
        lambda d: sep.join(f"{x} {s:.0%}" if s >= 0.005 else f"{x} <1%" for x, s in zip(d["x"], d["share"])),
        include_groups=False)
    return txt.reindex(total.index).fillna("")


CIRCLE_PROFILES = ResultSpec(
    "circle_profiles",
    key=("circle",),
    columns=(
        Col("circle", "int", "", "the circle (0 = largest; -1 = owners with no ties)"),
        Col("size", "int", "owners", "owners in the circle"),
        Col("share", "float", "share 0-1", "share of all owners"),
        Col("top_cities", "str", "", "main cities with their share of the members"),
        Col("top_car_models", "str", "", "main car models with their share of the members"),
        Col("density", "float", "share 0-1", "ties inside the circle over possible pairs"),
        Col("internal_share", "float", "share 0-1", "share of the members' tie weight that stays inside"),
        Col("n_bridges", "int", "owners", "members who bridge to other circles"),
        Col("leaders", "str", "", "top KOCs of the circle (owner ids, comma-separated)"),
        Col("bridges", "str", "", "main bridges of the circle (owner ids, comma-separated)"),
        Col("reason", "str", "", "the circle in plain words"),
    ),
    sort=(("circle", True),),
    last=(("circle", NO_TIES),),
    depends=("circles", "kocs"),
    description="one row per circle (keyed by circle, not owner_id)",
)


@analysis(CIRCLE_PROFILES)
def circle_profiles(
    community: Community,
    *,
    circles_frame: pd.DataFrame | None = None,
    kocs_frame: pd.DataFrame | None = None,
    top_values: int = 3,
    leaders: int = 3,
    bridges: int = 3,
    include_no_ties: bool = True,
    circle_options: Mapping[str, Any] | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """One row per circle: size, who is in it, how dense it is, its leaders and bridges.

    Parameters
    ----------
    community : graphcrm.community.Community
        The community snapshot.
    circles_frame : DataFrame, optional
        A result of :func:`circles` (computed with ``circle_options`` when absent).
    kocs_frame : DataFrame, optional
        A result of :func:`graphcrm.algorithms.koc.kocs` used to pick leaders (computed with
        default options on the same circles when absent; reused from the community's cache
        when computed before).
    top_values : int, default 3
        Cities and car models listed per circle.
    leaders : int, default 3
        Top KOCs listed per circle (owners with a positive KOC score).
    bridges : int, default 3
        Bridges listed per circle (highest participation first).
    include_no_ties : bool, default True
        Include the "no ties" pseudo-circle -1.
    circle_options : mapping, optional
        Options of :func:`circles` (resolution, method, layer_weights, seed, ...) used when
        ``circles_frame`` is absent, and for the ties behind ``density``.
    lang : {"en", "zh"}
        Language of ``reason``.

    Returns
    -------
    pandas.DataFrame
        Columns: ``circle``; ``size``; ``share`` (of all owners); ``top_cities`` and
        ``top_car_models`` ("name share, ..."); ``density`` (ties inside / possible pairs);
        ``internal_share`` (share of the members' tie weight that stays inside);
        ``n_bridges``; ``leaders`` and ``bridges`` (owner ids, comma-separated); ``reason``.
        Keyed by ``circle`` (not owner_id), sorted by circle (-1 last).

    Raises
    ------
    ConfigError
        For bad options.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> o = pd.DataFrame({"owner_id": ["a", "b", "c"], "city": ["SH", "SH", "BJ"]})
    >>> ev = pd.DataFrame({"event_id": ["e1"], "starts_at": ["2024-01-01"]})
    >>> at = pd.DataFrame({"event_id": ["e1", "e1"], "owner_id": ["a", "b"]})
    >>> p = circle_profiles(Community.from_frames({"owners": o, "events": ev, "attendance": at}))
    >>> p[["circle", "size", "top_cities", "density"]].values.tolist()
    [[0, 2, 'SH 100%', 1.0], [-1, 1, 'BJ 100%', 0.0]]
    """
    lang = check_lang(lang)
    circle_options = dict(circle_options or {})
    circ = circles_frame if circles_frame is not None else circles(community, **circle_options)
    circ = circ.set_index("owner_id").reindex(community.owner_ids)
    memb = circ["circle"].to_numpy(np.int64)
    owners = community.owners
    n = len(memb)
    labels, sizes = np.unique(memb, return_counts=True)
    # internal ties: reuse the combined graph the circles came from
    u, v, w = combined_graph(community, **{k: circle_options[k] for k in
                                           ("layer_weights", "half_life_days", "max_event_size")
                                           if k in circle_options})
    same = memb[u] == memb[v]
    inner = pd.Series(np.ones(same.sum()), index=memb[u][same]).groupby(level=0).sum()
    strength = circ["strength"].to_numpy(float)
    inside = circ["internal_share"].to_numpy(float) * strength
    st = pd.Series(strength).groupby(memb).sum()
    ins = pd.Series(inside).groupby(memb).sum()
    df = pd.DataFrame({"circle": labels, "size": sizes})
    df["share"] = df["size"] / max(n, 1)
    pairs = df["size"] * (df["size"] - 1) / 2
    df["density"] = (df["circle"].map(inner).fillna(0.0) / pairs.where(pairs > 0)).fillna(0.0).to_numpy()
    df.loc[df["circle"] < 0, "density"] = 0.0
    df["internal_share"] = (df["circle"].map(ins) / df["circle"].map(st).where(lambda s: s > 0)).fillna(0.0)
    city = owners["city"] if "city" in owners else pd.Series([None] * n)
    model = owners["car_model"] if "car_model" in owners else pd.Series([None] * n)
    df["top_cities"] = df["circle"].map(_top_values(city.reset_index(drop=True), memb, top_values, lang)).fillna("")
    df["top_car_models"] = df["circle"].map(_top_values(model.reset_index(drop=True), memb, top_values, lang)).fillna("")
    # bridges
    br = circ.reset_index()
    br = br[br["is_bridge"].astype(bool)]
    df["n_bridges"] = df["circle"].map(br.groupby("circle").size()).fillna(0).astype(np.int64)
    br = br.sort_values(["circle", "participation", "owner_id"], ascending=[True, False, True], kind="mergesort")
    df["bridges"] = _joined(df["circle"], br.groupby("circle").head(bridges))
    # leaders: top KOCs inside
    if leaders > 0:
        if kocs_frame is None:
            from graphcrm.algorithms.koc import kocs

            # the KOC scores do not depend on the language: the default-language run is shared
            kocs_frame = (kocs(community, circles_frame=circles_frame) if circles_frame is not None
                          else kocs(community, circle_options=circle_options or None))
        k = kocs_frame[["owner_id", "score"]].copy()
        k = k[k["score"] > 0]
        k["circle"] = k["owner_id"].map(circ["circle"])
        k = k.dropna(subset=["circle"]).sort_values(["circle", "score", "owner_id"],
                                                    ascending=[True, False, True], kind="mergesort")
        df["leaders"] = _joined(df["circle"], k.groupby("circle").head(leaders))
    else:
        df["leaders"] = ""
    if not include_no_ties:
        df = df[df["circle"] >= 0]
    df = df.reset_index(drop=True)
    df["reason"] = [_profile_reason(r, lang) for r in df.itertuples(index=False)]
    return df


def _profile_reason(r, lang: str) -> str:
    if r.circle < 0:
        return pick(lang, en=f"{_pl(r.size, 'owner')} with no ties yet", zh=f"{r.size} 位车主尚无任何联系")
    parts = [pick(lang, en=f"{_pl(r.size, 'owner')} ({r.share:.1%} of all)", zh=f"{r.size} 位车主（占 {r.share:.1%}）")]
    if r.top_cities:
        parts.append(pick(lang, en=f"mostly {r.top_cities}", zh=f"主要城市 {r.top_cities}"))
    parts.append(pick(lang, en=f"density {r.density:.3f}, {r.internal_share:.0%} of ties inside",
                      zh=f"密度 {r.density:.3f}，{r.internal_share:.0%} 的联系在圈内"))
    if r.leaders:
        parts.append(pick(lang, en=f"led by {r.leaders}", zh=f"核心人物 {r.leaders}"))
    if r.n_bridges:
        parts.append(pick(lang, en=f"{_pl(r.n_bridges, 'bridge')} to other circles", zh=f"{r.n_bridges} 位跨圈桥梁"))
    return join(parts, lang)


def compare_partitions(labels_true: ArrayLike, labels_pred: ArrayLike) -> dict[str, float]:
    """Agreement of two partitions of the same items: NMI and ARI.

    NMI is the mutual information normalised by the arithmetic mean of the two entropies (the
    convention of scikit-learn's default); ARI is Hubert & Arabie's adjusted Rand index.  Both
    are 1 for identical partitions (up to renaming); ARI is about 0 for independent ones.
    Linear in the number of items (one contingency count over label pairs).

    Parameters
    ----------
    labels_true, labels_pred : array-like
        One label per item, any hashable values, same length.

    Returns
    -------
    dict
        ``{"nmi": float, "ari": float, "n": int}``.

    Raises
    ------
    ConfigError
        If the lengths differ.

    Example
    -------
    >>> compare_partitions([0, 0, 1, 1], [5, 5, 7, 7])
    {'nmi': 1.0, 'ari': 1.0, 'n': 4}
    """
    a = pd.factorize(pd.Series(list(labels_true), dtype=object))[0]
    b = pd.factorize(pd.Series(list(labels_pred), dtype=object))[0]
    if len(a) != len(b):
        raise ConfigError(f"the partitions have different lengths ({len(a)} and {len(b)})")
    n = len(a)
    if n == 0:
        return {"nmi": 1.0, "ari": 1.0, "n": 0}
    nb = int(b.max()) + 1
    uk, nij = np.unique(a.astype(np.int64) * nb + b, return_counts=True)
    pair_a, pair_b = uk // nb, uk % nb
    ai = np.bincount(a).astype(float)
    bj = np.bincount(b).astype(float)
    nij = nij.astype(float)

    def comb2(x):
        return x * (x - 1) / 2.0

    sum_ij, sum_a, sum_b, total = comb2(nij).sum(), comb2(ai).sum(), comb2(bj).sum(), comb2(float(n))
    expected = sum_a * sum_b / total if total > 0 else 0.0
    max_index = 0.5 * (sum_a + sum_b)
    ari = 1.0 if max_index == expected else (sum_ij - expected) / (max_index - expected)

    def entropy(c):
        p = c[c > 0] / n
        return float(-(p * np.log(p)).sum())

    ha, hb = entropy(ai), entropy(bj)
    # mutual information from the contingency counts
    mi = float((nij / n * np.log(nij * n / (ai[pair_a] * bj[pair_b]))).sum())
    if ha == 0 and hb == 0:
        nmi = 1.0
    elif ha == 0 or hb == 0:
        nmi = 0.0
    else:
        nmi = mi / (0.5 * (ha + hb))
    return {"nmi": round(float(min(max(nmi, 0.0), 1.0)), 12), "ari": round(float(ari), 12), "n": int(n)}
