"""Circles (圈层): stable, named, overlapping communities of owners on the combined owner graph.

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

Finding the circles
-------------------
Four methods (``method=``), all run on the owners with at least one tie, and ``auto``, which
chooses between the first and the third:

* ``modularity`` (the default): Leiden (igraph's C implementation; ``engine="leidenalg"`` runs
  leidenalg's ``RBConfigurationVertexPartition``, the same quality function), modularity with a
  resolution (1 = plain modularity; larger = more, smaller circles);
* ``cpm``: Leiden with the constant Potts model (resolution = minimum internal density);
* ``infomap``: igraph's Infomap (the map equation; no resolution: the number of circles is the
  one that describes a random walk most briefly);
* ``louvain``: igraph's multilevel modularity (the classic baseline).

**The engine chosen per graph (``method="auto"``, offered, not the default): edge cross-validation.**  Neither
engine wins on every labelled network (docs/validation.md, "Circles": Infomap on the primary
school's classes, consensus modularity on the high school's), so ``auto`` asks the data which
partition it supports, without labels (:func:`_choose_method`; Li, Levina & Zhu 2020): five
times, 10% of the owner pairs are held out, both candidates run on the remaining ties, and each
is scored by the held-out log-likelihood of a degree-corrected block model with its circles
(which held-out pairs are tied; the untied pairs enter by their exact expectation, so nothing is
quadratic).  Infomap - as igraph runs it, the best of ten trials - is chosen only when it beats
consensus modularity by more than two standard errors over the folds; the folds and runs use
fixed seeds, so the choice depends on the data only.  Cost: ten extra candidate runs; graphs above
:data:`COARSEN_TIES` ties (and under :data:`ECV_MIN_TIES`) are not cross-validated: modularity.

**Stable by default: consensus clustering.**  One run of any of these moves with its seed (NMI
0.87-0.99 between seeds on the SocioPatterns networks).  ``consensus_runs`` (default 10) runs are
combined as Lancichinetti & Fortunato (2012) do, restricted to the existing ties so that nothing
is quadratic: each tie weighs the share of runs that put both owners together, ties below 0.5
are dropped (an owner left without ties keeps their strongest one), and the method runs again on
that consensus graph until all runs agree on every tie (usually one or two rounds; at most
``CONSENSUS_MAX_ROUNDS``, then the run closest to the others).  The details report the seed
stability of single runs and the agreement of the last round.

**Large graphs: consensus only where the runs disagree.**  Above :data:`COARSEN_TIES` ties
(about 5,000 owners of the demo community) running ``consensus_runs`` runs per level and round on every
owner costs minutes (248 s at 100,000 owners).  There the scan runs :data:`COARSE_RUNS` runs per
level on the full graph (the scan's fixed seeds; the levels in the order the tie rule prefers
them - the level nearest plain modularity first -, stopping as soon as no later level can change
the rule's choice), plus one run on ``seed`` at
the chosen level unless the scan's runs there agree within :data:`STABILITY_TIE` (NMI; the run
would cost a third of the Leiden runs and the consensus decides where they differ).  The owners
that all these runs put together form a group (their meet); the ties between groups are summed
and a group's inside ties become a self-loop, and the consensus clustering runs on this graph of
groups - thousands of vertices instead of hundreds of thousands.  Modularity (and CPM, with the groups' sizes as vertex weights) of a
partition of groups equals that of the owners' partition it stands for, and the consensus edge
between two groups weighs their agreement times their number of owner ties, which is the
owners' consensus graph summed per pair of groups: so where all runs agree nothing is
recomputed, and the owners on which they disagree are decided by the consensus as before.
``coarse_groups`` in the details says how many vertices the consensus ran on.  The runs on the
owners see them renumbered in reverse Cuthill-McKee order (neighbours get close numbers; the
order depends on the graph only): the same graph, so each run is still an independent seeded run,
but Leiden's reads of its neighbours' circles hit the cache far more often (one run on the
100,000-owner demo 2.11 s instead of 2.57 s CPU; see docs/benchmarks.md, "Circles").

**The resolution is chosen, not fixed.**  With ``resolution=None`` (default) the modularity,
CPM and Louvain methods scan the three levels of the ``granularity`` band
(:data:`GRANULARITY`: ``coarser`` 0.25-0.5, ``default`` 0.71-1.41, ``finer`` 2-4; CPM
multiplies them by the weighted density, where CPM equals modularity with an Erdős–Rényi null
model) and keep the most **seed-stable** level: the one whose runs with different seeds agree
most (mean NMI), ties within :data:`STABILITY_TIE` going to the level closest to plain
modularity (:data:`SCAN_TIE_RULE`; ``"coarsest"``, the lowest resolution of the tie, was
tried and is not the default: docs/validation.md, "The scan's tie rule (stop 26, follow-up)";
the constant is read when circles are computed, and a community's memo does not key on it).
A stable level is one the data supports rather than one a seed happened to find (the
criterion of von Luxburg's clustering stability, applied across resolutions).  The scan runs
on fixed seeds of its own (:data:`SCAN_SEED`), so the chosen level is a property of the data
and never moves with ``seed``.  The chosen resolution, the scan and the rule are in the
details.  Cost: ``consensus_runs`` runs per level and per consensus round, each linear in ties
(large graphs: two or three runs per level on the owners, the rest on the graph of groups).

Owners with no tie at all (no shared event, no interaction) are **no circle** (circle -1):
they are not counted as a circle (``n_circles`` in the details, the profiles) and have no
overlapping membership.  Circles are numbered by size, 0 = largest (ties: the circle holding
the smallest owner_id first), so labels are stable for given data and options.

**Overlap**: :func:`circle_memberships` lists every circle an owner belongs to with a strength
(the share of their tie weight in that circle, one COPRA step from the consensus circles);
the primary circle stays the one of :func:`circles`, for tables and caps.

**Names**: :func:`circle_labels` names every circle from its members' main city, car model and
distinctive interest tags (:func:`interest_tags`: event kinds and topics, post channels), e.g.
"上海 · ES6 · 摄影外拍/自驾穿越"; the same label is in :func:`circles`,
:func:`circle_profiles` and :func:`circle_memberships`.

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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import igraph as ig
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from graphcrm.arrays import unique_sorted
from graphcrm.errors import ConfigError
from graphcrm.i18n import check_lang, join, pick
from graphcrm.results import Col, ResultSpec, analysis

if TYPE_CHECKING:  # pragma: no cover
    from graphcrm.community import Community

__all__ = ["combined_graph", "circles", "circle_ids", "circle_profiles", "circle_memberships", "circle_labels", "interest_tags",
           "compare_partitions", "overlap_f1", "CircleDetails", "DEFAULT_LAYER_WEIGHTS", "DEFAULT_METHOD", "METHODS",
           "GRANULARITY", "NO_TIES", "AUTO_ENGINE_EDGES", "ECV_FOLDS", "ECV_HOLDOUT", "ECV_MIN_TIES", "INFOMAP_TRIALS"]

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
        ``(u, v, w)``: vertex numbers (positions in ``community.owner_ids``; int32 below 2**31
        owners) with ``u < v``, one row per pair, sorted, and the combined weight (float64).

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
    # the projections as compact arrays (community.edges: in SQL on the embedded store), never
    # as igraph graphs and Python edge lists (at 1M owners the co-attendance graph alone is 25.7M
    # pairs); keys u * n + v over the sorted unique pairs
    n = len(community.owner_ids)
    keys, weights = [], []
    if lw["coattendance"] > 0:
        e = community.edges("coattendance", max_event_size=max_event_size)
        w = np.asarray(e.weight, dtype=np.float64)
        if len(w) and w.mean() > 0:
            keys.append(_pair_keys(e.source, e.target, n))
            cw = w / w.mean()
            cw *= lw["coattendance"]
            weights.append(cw)
            del w, cw
    if lw["interactions"] > 0:
        opts = {} if half_life_days is None else {"half_life_days": half_life_days}
        e = community.edges("interactions", **opts)
        w = np.asarray(e.weight, dtype=np.float64)
        if len(w):
            uniq, ws = _sum_by_key(_pair_keys(e.source, e.target, n), w)
            del w
            if ws.mean() > 0:
                keys.append(uniq)
                weights.append(ws / ws.mean() * lw["interactions"])
    if not keys:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0)
    if len(keys) == 1:
        uniq, ws = keys[0], weights[0]
        if len(uniq) > 1 and not (np.diff(uniq) > 0).all():
            order = np.argsort(uniq, kind="stable")
            uniq, ws = uniq[order], ws[order]
    else:
        # the interaction layer's keys are sorted and distinct (_sum_by_key), the co-attendance
        # layer's are as the store gives them (sorted and distinct; summed here if not): one merge
        (kc, ki), (wc, wi) = keys, weights
        keys.clear()
        weights.clear()
        del uniq, ws
        if len(kc) > 1 and not (kc[1:] > kc[:-1]).all():
            kc, wc = _sum_by_key(kc, wc, kind="stable")
        taken = [kc, wc, ki, wi]
        del kc, wc, ki, wi
        uniq, ws = _merge_taken(taken)  # (it holds the only references: it frees each when used)
    del keys, weights
    keep = ws > 0
    if not keep.all():  # (the demo's weights are all positive: no copies of 45.5M keys at 1M owners)
        uniq, ws = uniq[keep], ws[keep]
    del keep
    dtype = np.int32 if n < 2 ** 31 else np.int64  # 36.6M ties at 1M demo owners: 290 MB less kept
    u = (uniq // n).astype(dtype)
    v = (uniq % n).astype(dtype)
    return u, v, ws


def _pair_keys(s: np.ndarray, t: np.ndarray, n: int) -> np.ndarray:
    """``min(s, t) * n + max(s, t)`` as int64, the minimum and maximum taken in the ends' own
    (32-bit) type and widened once: the same keys as from int64 copies of both ends, with two
    int64 temporaries fewer (at 1,000,000 demo owners 25.7M co-attendance pairs: ~0.8 GB less
    at the combined graph's peak)."""
    s, t = np.asarray(s), np.asarray(t)
    key = np.minimum(s, t).astype(np.int64)
    key *= n
    key += np.maximum(s, t)
    return key


def _merge_sums(ka: np.ndarray, wa: np.ndarray, kb: np.ndarray, wb: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """The union of two sorted arrays of distinct keys, with the weights of a key in both
    added (``wa + wb``, as the stable sort of the concatenation and ``reduceat`` add them).

    One search of ``kb`` in ``ka`` (sorted queries: cache friendly) and two scatters, without
    the argsort, the sorted copies and the run starts of ``_sum_by_key`` over the concatenation
    (at 1,000,000 demo owners: 25.7M + 19.8M keys, about 3.5 GB of transient arrays there)."""
    return _merge_taken([ka, wa, kb, wb])


def _merge_taken(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_merge_sums` of ``arrays = [ka, wa, kb, wb]``, emptying the list: when the caller
    holds no other reference, each input is freed as soon as it has been used (arguments of a
    call stay referenced by the caller until it returns)."""
    ka, wa, kb, wb = arrays
    arrays.clear()
    pos = np.searchsorted(ka, kb)
    both = np.zeros(len(kb), dtype=bool)
    inside = pos < len(ka)
    both[inside] = ka[pos[inside]] == kb[inside]
    del inside
    only_b = ~both
    # where each key lands in the union: a's own place plus the b-only keys before it; b's own
    # place plus the a keys before it (pos) minus the b keys already merged into a's
    # (in place, each temporary let go as soon as it is used: the same positions with about
    # 1 GB less held at once at 1,000,000 demo owners)
    at_b = np.cumsum(both)
    at_b -= both
    np.subtract(pos, at_b, out=at_b)
    del pos
    at_b += np.arange(len(kb))
    kb_only = kb[only_b]
    del kb
    at_a = np.searchsorted(kb_only, ka)
    at_a += np.arange(len(ka))
    total = len(ka) + len(kb_only)
    keys = np.empty(total, dtype=np.int64)
    keys[at_a] = ka
    del ka
    weights = np.empty(total, dtype=np.float64)
    weights[at_a] = wa
    del at_a, wa
    keys[at_b[only_b]] = kb_only
    del kb_only
    weights[at_b[only_b]] = wb[only_b]
    weights[at_b[both]] += wb[both]
    return keys, weights


def _sum_by_key(keys: np.ndarray, weights: np.ndarray, *, kind: str | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct ``keys`` and the summed ``weights`` of each: one argsort and one
    ``reduceat`` (``np.unique(..., return_inverse=True)`` + ``bincount`` does the same with an
    extra cumsum and scatter: at 100,000 demo owners 0.59 s against 0.08 s for the merge of the
    two layers).  ``kind="stable"`` when ``keys`` are a few sorted runs (timsort merges them)."""
    if not len(keys):
        return keys.astype(np.int64), np.zeros(0)
    order = np.argsort(keys, kind=kind)
    ks = keys[order]
    start = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
    return ks[start], np.add.reduceat(np.asarray(weights, dtype=np.float64)[order], start)



#: up to this many ties ``engine="auto"`` runs leidenalg, above it igraph's C implementation of
#: the same algorithm and quality function.  0 (since stop 28): igraph on every graph.  igraph
#: was measured 8x faster on the 20,000-owner demo (same modularity 0.888) and 25x faster on
#: Higgs Twitter (452k ties: 1.9 s, modularity 0.793, against 55 s and 0.791); on the graphs
#: under 100,000 ties where leidenalg ran before, ``bench/circles_engine_ab.py`` measured the
#: whole ``circles()`` protocol 8-14x faster with the same labelled-network quality (mean NMI /
#: ARI 0.674 / 0.534 against 0.675 / 0.540 over the eight SocioPatterns networks) and a seed
#: stability at least as high on every network (docs/validation.md, "One Leiden engine")
AUTO_ENGINE_EDGES = 0

#: the community-detection methods (see the module docstring); ``auto`` chooses between
#: ``modularity`` and Infomap per graph by edge cross-validation (:func:`_choose_method`)
METHODS = ("auto", "modularity", "cpm", "infomap", "louvain")
#: the default method, picked by the labelled validation in bench/validate_circles.py
#: (docs/validation.md, "Circles"): consensus Leiden-modularity had the best mean NMI and ARI
#: of the single methods.  ``auto`` (bench/circles_ecv_trial.py) raises the mean further but did
#: not pass the bar set for a new default (the best baseline on more networks): it is offered,
#: not the default - docs/validation.md, "Edge cross-validation between engines (stop 23)"
DEFAULT_METHOD = "modularity"
#: ``method="auto"`` cross-validates only graphs with this many ties or more (fewer: a tenth of
#: them held out is too few to tell two partitions apart; modularity is used)
ECV_MIN_TIES = 200
#: edge cross-validation (Li, Levina & Zhu 2020): replications, share of owner pairs held out in
#: each, the fixed master seed of the folds and of the candidates' runs on them (the choice is a
#: property of the data, never of ``seed``), and the margin, in standard errors of the paired
#: difference over the folds, by which Infomap must beat the default to be chosen
ECV_FOLDS = 5
ECV_HOLDOUT = 0.1
ECV_SEED = 20200404
ECV_MARGIN_SE = 2.0
#: a held-out tie the fitted block model gives (almost) no chance keeps this share of the
#: configuration model's rate (the log-loss would be infinite otherwise)
ECV_FLOOR = 1e-6
#: Infomap as ``method="auto"`` runs it: the best code length of this many trials (igraph's
#: ``community_infomap(trials=10)``, its own default)
INFOMAP_TRIALS = 10
#: the resolutions scanned per granularity (multiplied by the weighted density for CPM)
GRANULARITY: dict[str, tuple[float, ...]] = {
    "coarser": (0.25, 0.35, 0.5),
    "default": (0.71, 1.0, 1.41),
    "finer": (2.0, 2.83, 4.0),
}
#: two scanned levels whose seed stability differs by less than this are a tie, and the tie
#: goes as :data:`SCAN_TIE_RULE` says
STABILITY_TIE = 0.01
#: where a tie of the scan's levels goes (levels within :data:`STABILITY_TIE` of the most
#: seed-stable one): ``"nearest"`` keeps the level closest to plain modularity (resolution 1, on a
#: log scale; the rule up to stop 26), ``"coarsest"`` the lowest resolution (fewer, larger circles:
#: the parsimony direction of the one-standard-error rule)
SCAN_TIE_RULE = "nearest"
#: consensus threshold of Lancichinetti & Fortunato (2012): a tie is kept in the consensus
#: graph when at least this share of the runs put both owners in the same circle
CONSENSUS_TAU = 0.5
#: at most this many consensus rounds (it usually converges in one or two)
CONSENSUS_MAX_ROUNDS = 5
#: the fixed master seed of the resolution scan (``consensus_runs`` runs per level): the chosen
#: level depends on the data only, never on ``seed``
SCAN_SEED = 20120326


@dataclass(frozen=True)
class CircleDetails:
    """Side results of :func:`circles`: how the circles were found and how stable they are.

    Attributes
    ----------
    method : str
        The method that ran: ``modularity`` (Leiden), ``cpm`` (Leiden), ``infomap`` or
        ``louvain`` (``method="auto"`` says here which one it chose).
    method_rule : str
        How the method was chosen, in plain words (``given``, or the rule of ``method="auto"``).
    ecv : tuple of (candidate, gain, paired standard error)
        ``method="auto"`` on graphs it cross-validates: per candidate (``modularity``,
        ``infomap``), the mean held-out gain of its block model over the configuration model, in
        nats per held-out tie (higher = predicts the hidden ties better), and the standard error
        of its paired difference to ``modularity`` over the folds (0 for ``modularity``).
        Empty otherwise.
    engine : str
        The implementation that ran (``leidenalg`` or ``igraph``).
    resolution : float or None
        The resolution used (None for Infomap, which has none: the map equation picks the number
        of circles by minimum description length).
    resolution_rule : str
        How the resolution was chosen, in plain words.
    granularity : str
        ``coarser``, ``default`` or ``finer``.
    scan : tuple of (resolution, circles, seed stability)
        Every level tried: the resolution, the number of circles of its first run and the seed
        stability of its runs (mean NMI between runs with different seeds, 0-1).
    runs : int
        Runs per level and per consensus round.
    consensus_rounds : int
        Rounds of re-clustering the consensus graph (0: the first runs already agreed).
    converged : bool
        Whether the last round's runs all agreed on every tie.
    seed_stability : float
        Mean NMI between single runs with different seeds at the chosen level (0-1; how much one
        run moves with the seed, before consensus; NaN with one run).
    consensus_agreement : float
        Mean NMI between the runs of the last consensus round (1 = all identical).
    n_circles : int
        Circles found (owners with no ties are "no circle" and not counted).
    n_no_circle : int
        Owners with no ties at all (circle -1).
    coarse_groups : int
        Vertices the consensus ran on: the owners with ties, or above :data:`COARSEN_TIES` ties
        the groups of owners that all :data:`COARSE_RUNS` runs at the chosen level put together.
    """

    method: str
    method_rule: str
    ecv: tuple[tuple[str, float, float], ...]
    engine: str
    resolution: float | None
    resolution_rule: str
    granularity: str
    scan: tuple[tuple[float | None, int, float], ...]
    runs: int
    consensus_rounds: int
    converged: bool
    seed_stability: float
    consensus_agreement: float
    n_circles: int
    n_no_circle: int
    coarse_groups: int


def _graph(n: int, eu: np.ndarray, ev: np.ndarray, w: np.ndarray) -> ig.Graph:
    """The igraph graph of an edge list (built once and shared by the runs on it).

    The edges go to igraph in one call as an iterator of Python tuples, made block by block
    (:data:`_GRAPH_BLOCK` edges) by ``zip`` over ``tolist()`` of each column: the transient lists
    stay bounded (a list of all 36.6M tuples of the 1M-owner demo would take ~4 GB) and igraph
    indexes the edges once.  Measured at 2.7M ties: 0.95 s against 2.35 s for
    ``np.column_stack(...).tolist()`` (a list per edge) and 2.2 s for an int32 ndarray (read
    element by element by python-igraph 1.0); at 9.5M: 7.3 s against 19.9 s for ``add_edges``
    in blocks of 4M (each call re-indexes every edge so far).  The weights are not stored on the
    graph: every run passes them as a float64 array (see :func:`_run_once`; a Python list of
    36.6M floats would hold 1.2 GB at 1M owners).
    """
    def edges():
        for s in range(0, len(eu), _GRAPH_BLOCK):
            yield from zip(eu[s:s + _GRAPH_BLOCK].tolist(), ev[s:s + _GRAPH_BLOCK].tolist())

    return ig.Graph(n=n, edges=edges(), directed=False)


#: edges turned into Python tuples at a time while a graph is built (bounds the transient lists)
_GRAPH_BLOCK = 1_000_000


def _locality_order(n: int, eu: np.ndarray, ev: np.ndarray) -> np.ndarray:
    """A renumbering of the vertices that keeps neighbours close: ``rank[i]`` is vertex i's new
    number, in reverse Cuthill-McKee order (scipy; a breadth-first order from a low-degree
    vertex, neighbours by degree - it depends on the graph only, never on a seed or a run).

    Leiden's cost on a large graph is mostly cache misses on its neighbours' community numbers;
    in this order the neighbours of a vertex sit close in memory.  Measured on the demo graphs:
    one Leiden run 2.11 s against 2.57 s CPU at 100,000 owners (2.7M ties), building the igraph
    graph 0.99 s against 1.30 s; the renumbering itself 0.16 s + 0.39 s."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    # both directions of every tie in one CSR (no a + a.T: one matrix at a time in memory)
    a = sp.csr_matrix((np.ones(2 * len(eu), dtype=np.int8), (np.concatenate([eu, ev]), np.concatenate([ev, eu]))),
                      shape=(n, n))
    perm = reverse_cuthill_mckee(a, symmetric_mode=True)
    del a
    rank = np.empty(n, dtype=eu.dtype if len(eu) else np.int64)
    rank[perm] = np.arange(n, dtype=rank.dtype)
    return rank


def _local_graph(n: int, eu: np.ndarray, ev: np.ndarray, w: np.ndarray
                 ) -> tuple[ig.Graph, np.ndarray, np.ndarray]:
    """The graph with its vertices renumbered by :func:`_locality_order` and its edges sorted:
    ``(graph, weights in the graph's edge order, rank)`` - a membership ``m`` of the renumbered
    graph is ``m[rank]`` in the original numbering.  Every run on it is still an independent
    seeded run on the same graph (isomorphic to the original one)."""
    return _local_graph_taken(n, [eu, ev], w)


def _local_graph_taken(n: int, ends: list[np.ndarray], w: np.ndarray) -> tuple[ig.Graph, np.ndarray, np.ndarray]:
    """:func:`_local_graph` of ``ends = [eu, ev]``, emptying the list: when the caller holds no
    other reference, the ends are freed once renumbered, before the igraph graph is built (at
    1,000,000 demo owners 364 MB less at that peak)."""
    import scipy.sparse as sp

    eu, ev = ends
    ends.clear()
    dtype = eu.dtype
    rank = _locality_order(n, eu, ev)
    a, b = rank[eu], rank[ev]
    del eu, ev
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    del a, b
    # sorted by (lo, hi) through a CSR matrix (the pairs are distinct, so nothing is summed): a
    # counting sort by row and a sort of each row's few columns, instead of an argsort of m int64
    # keys - the same order (100,000-owner bench store: 0.14-0.27 s against 0.30-0.39 s CPU)
    m = sp.csr_matrix((w, (lo, hi)), shape=(n, n))
    del lo, hi
    m.sort_indices()
    rows = np.repeat(np.arange(n, dtype=dtype), np.diff(m.indptr))
    cols = m.indices.astype(dtype, copy=False)
    wl = m.data
    del m
    return _graph(n, rows, cols, wl), wl, rank


def _run_once(g: ig.Graph, weights: np.ndarray | list[float], *, method: str, resolution: float | None, seed: int,
              n_iterations: int, engine: str, node_sizes: list[int] | None = None, trials: int = 1) -> np.ndarray:
    """One seeded run of ``method`` on ``g`` with edge ``weights`` (``node_sizes``: owners per
    vertex of a coarse-grained graph, for CPM; ``trials``: Infomap keeps the best code length of
    that many trials)."""
    if method in ("modularity", "cpm") and engine == "leidenalg":
        import leidenalg

        ptype = (leidenalg.RBConfigurationVertexPartition if method == "modularity"
                 else leidenalg.CPMVertexPartition)
        extra = {} if node_sizes is None or method != "cpm" else {"node_sizes": node_sizes}
        part = leidenalg.find_partition(g, ptype, weights=weights, resolution_parameter=float(resolution),
                                        seed=int(seed), n_iterations=n_iterations, **extra)
        return np.asarray(part.membership, dtype=np.int64)
    import random

    # igraph draws from Python's random module: seed it, then restore the caller's state
    state = random.getstate()
    random.seed(int(seed))
    try:
        if method == "infomap":
            part = g.community_infomap(edge_weights=weights, trials=int(trials))
        elif method == "louvain":
            part = g.community_multilevel(weights=weights, resolution=float(resolution))
        else:
            extra = {}
            if node_sizes is not None:
                # a coarse-grained graph: CPM weighs each vertex by its owners; for modularity the
                # default node weights of igraph 1.0's Leiden leave the self-loops out of the
                # strength (measured: 2 circles instead of 37 on the 20,000-owner demo), so the
                # strengths are given, loops counted twice as in the owners' graph
                extra = {"node_weights": node_sizes if method == "cpm" else g.strength(weights=weights, loops=True)}
            part = g.community_leiden(objective_function="modularity" if method == "modularity" else "CPM",
                                      weights=weights, resolution=float(resolution), n_iterations=n_iterations,
                                      **extra)
    finally:
        random.setstate(state)
    return np.asarray(part.membership, dtype=np.int64)


def _ring_agreement(parts: list[np.ndarray], sizes: np.ndarray | None = None) -> float:
    """Mean NMI between consecutive runs (and the last with the first): linear in owners.
    ``sizes``: owners per vertex of a coarse-grained graph (the NMI is then the owners')."""
    if len(parts) < 2:
        return float("nan")
    pairs = [(k, k + 1) for k in range(len(parts) - 1)] + ([(len(parts) - 1, 0)] if len(parts) > 2 else [])
    return float(np.mean([_agreement(parts[a], parts[b], sizes)[0] for a, b in pairs]))


def _consensus(n: int, eu: np.ndarray, ev: np.ndarray, parts: list[np.ndarray], rerun, *,
               ties: np.ndarray | None = None, sizes: np.ndarray | None = None
               ) -> tuple[np.ndarray, int, bool, float]:
    """Consensus clustering (Lancichinetti & Fortunato 2012) restricted to the existing ties.

    ``D_e`` = share of the runs that put both ends of tie ``e`` in the same circle.  While the
    runs disagree on some tie (0 < D_e < 1), the ties with ``D_e < CONSENSUS_TAU`` are dropped
    (an owner left without ties keeps their strongest one), the rest weigh ``D_e``, and the
    method runs again on that consensus graph.  Linear in ties per round.

    On a coarse-grained graph (vertices = groups of owners every first run put together, see
    :func:`_find_circles`) ``ties`` is the number of owner ties behind each edge (self-loops:
    the ties inside a group): all of them have the same ``D_e``, so the consensus edge weighs
    ``D_e x ties`` - exactly the consensus graph of the owners, summed per pair of groups - and
    the "keeps their strongest tie" rule applies to single owners with no tie inside.
    """
    ties = np.ones(len(eu)) if ties is None else ties
    loop = eu == ev
    rounds = 0
    while True:
        d = np.zeros(len(eu))
        for p in parts:
            d += p[eu] == p[ev]
        d /= len(parts)
        if np.all((d == 0) | (d == 1)):
            return parts[0], rounds, True, 1.0
        if rounds >= CONSENSUS_MAX_ROUNDS:
            break
        keep = d >= CONSENSUS_TAU
        # a vertex whose ties (to others: a group's inside ties keep it together) all fell below
        # the threshold keeps its strongest one
        ext = keep & ~loop
        deg = (np.bincount(eu[ext], minlength=n) + np.bincount(ev[ext], minlength=n)
               + np.bincount(eu[loop & keep], minlength=n))
        cand = np.flatnonzero(~loop)
        ends = np.concatenate([eu[cand], ev[cand]])
        eidx = np.concatenate([cand, cand])
        dd = d[eidx]
        order = np.lexsort((eidx, -dd, ends))
        first = order[np.r_[True, ends[order][1:] != ends[order][:-1]]] if len(order) else order
        lone = first[(deg[ends[first]] == 0) & (dd[first] > 0)]
        keep[eidx[lone]] = True
        eu, ev, d, ties, loop = eu[keep], ev[keep], d[keep], ties[keep], loop[keep]
        rounds += 1
        parts = rerun(eu, ev, d * ties, rounds)
    # not converged: the medoid of the last round (the run closest to all others)
    score = [np.mean([_agreement(p, q, sizes)[0] for q in parts if q is not p]) for p in parts]
    return parts[int(np.argmax(score))], rounds, False, _ring_agreement(parts, sizes)


#: above this many ties the scan and the consensus run on a coarse-grained graph (see
#: :func:`_find_circles` and the module docstring)
COARSEN_TIES = 100_000
#: runs per scanned level on the full graph when the consensus is coarse-grained
COARSE_RUNS = 2


def _tie_key(res: float, ref: float) -> tuple[float, float]:
    """Sort key of a scanned level under :data:`SCAN_TIE_RULE` (smallest = kept in a tie):
    ``"coarsest"`` the lowest resolution, ``"nearest"`` the level closest to ``ref`` on a log
    scale (then the lower one)."""
    if SCAN_TIE_RULE == "coarsest":
        return (res, 0.0)
    if SCAN_TIE_RULE == "nearest":
        return (abs(float(np.log(res / ref))), res)
    raise ConfigError(f"SCAN_TIE_RULE must be 'coarsest' or 'nearest', not {SCAN_TIE_RULE!r}")


def _scan_settled(scanned: list[tuple], ref: float) -> bool:
    """Whether the large-graph scan, run in the tie rule's order (:func:`_tie_key`), can stop:
    the preferred level so far within :data:`STABILITY_TIE` of the best is itself at least
    ``1 - STABILITY_TIE`` seed-stable.  No level scanned later can then change the choice: its
    stability is at most 1, so the kept level stays within the margin of any new best, and a
    later level loses every tie with it (it comes later in the rule's order)."""
    best = max(t[2] for t in scanned)
    kept = min((t for t in scanned if t[2] >= best - STABILITY_TIE), key=lambda t: _tie_key(t[0], ref))
    return kept[2] >= 1 - STABILITY_TIE


def _scan_runs_agree(parts: list[np.ndarray]) -> bool:
    """Whether the scan's runs at the chosen level of a large graph agree so closely (mean NMI
    at least ``1 - STABILITY_TIE``, the margin that settles the scan's rule) that the extra run
    on ``seed`` is skipped (:func:`_find_circles`).

    The consensus then runs on the graph of the groups the scan's runs agree on, and decides
    the few owners on which they differ, as it decides those on which a third run would
    differ.  The run costs as much as a scan run (about 1.8 s CPU of the partition's 7 s on
    the 100,000-owner bench store, a third of the Leiden runs at 1,000,000 owners).  Measured
    (``bench/circles_ab.py``, ``bench/circles_ab_labelled.py --coarse``): the same circles on the
    20,000 and 100,000-owner demos, the 100,000 and 1,000,000-owner bench stores; on the eight
    labelled networks taken through the large-graph path, 22 of 24 (network, seed) the same -
    the friendship survey gets 13 circles for every seed where it got 14, 14, 13.  Where the
    scan's runs differ more, the run on ``seed`` is made as before."""
    return len(parts) > 1 and _ring_agreement(parts) >= 1 - STABILITY_TIE


def _meet(parts: list[np.ndarray]) -> np.ndarray:
    """The groups of owners that every partition puts together (their meet), numbered 0.."""
    grp = pd.factorize(parts[0])[0].astype(np.int64)
    for p in parts[1:]:
        q = pd.factorize(p)[0].astype(np.int64)
        grp = pd.factorize(grp * (int(q.max()) + 1) + q)[0].astype(np.int64)
    return grp


def _aggregate(grp: np.ndarray, ng: int, eu: np.ndarray, ev: np.ndarray, w: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Edges between groups (self-loops: inside a group), their summed weight and tie count."""
    if ng < 2 ** 31:  # the groups of the ends in 32 bits: the same keys, 2 x 8 bytes a tie less at once
        grp = grp.astype(np.int32)
    a, b = grp[eu], grp[ev]
    key = _pair_keys(a, b, ng)
    del a, b
    if ng * ng <= 4 * len(key) + 1024:  # few groups: count by key, no sort
        wsum = np.bincount(key, weights=w, minlength=ng * ng)
        cnt = np.bincount(key, minlength=ng * ng)
        uniq = np.flatnonzero(cnt)
        return uniq // ng, uniq % ng, wsum[uniq], cnt[uniq].astype(float)
    uniq, inv = np.unique(key, return_inverse=True)
    return uniq // ng, uniq % ng, np.bincount(inv, weights=w), np.bincount(inv).astype(float)


def _find_circles(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, *, method: str,
                  resolution: float | None, granularity: str, runs: int, seed: int, n_iterations: int,
                  engine: str, trials: int = 1) -> tuple[np.ndarray, dict[str, Any]]:
    """Circle of every owner (-1 for no ties) and the facts behind it (see :class:`CircleDetails`).
    ``trials``: Infomap's trials per run (the best code length is kept)."""
    memb = np.full(n, NO_TIES, dtype=np.int64)
    info: dict[str, Any] = dict(method=method, method_rule="given", ecv=(), engine="igraph", resolution=resolution,
                                resolution_rule="", granularity=granularity, scan=(), runs=runs, consensus_rounds=0,
                                converged=True, seed_stability=float("nan"), consensus_agreement=1.0,
                                coarse_groups=0)
    if method in ("modularity", "cpm"):
        info["engine"] = engine if engine != "auto" else ("leidenalg" if AUTO_ENGINE_EDGES and len(u) <= AUTO_ENGINE_EDGES else "igraph")
    tied = np.zeros(n, dtype=bool)
    tied[u] = True
    tied[v] = True
    pos = (np.cumsum(tied) - 1).astype(u.dtype if len(u) else np.int64)
    idx = np.flatnonzero(tied)
    nt = len(idx)
    eu, ev = pos[u], pos[v]
    if method == "infomap":
        levels: list[float | None] = [None]
        info["resolution_rule"] = "none: the map equation picks the number of circles (minimum description length)"
    elif resolution is not None:
        levels = [float(resolution)]
        info["resolution_rule"] = "given"
    else:
        scale = 1.0
        if method == "cpm" and nt > 1:
            # CPM at density x gamma is modularity with an Erdos-Renyi null model at gamma (Traag et al. 2011)
            scale = float(w.sum()) / (nt * (nt - 1) / 2)
        levels = [g * scale for g in GRANULARITY[granularity]]
        if runs < 2:
            levels = [levels[len(levels) // 2]]
            info["resolution_rule"] = (f"the middle level of granularity '{granularity}' (a single run: no seed "
                                       "stability to compare)")
    if method != "infomap" and resolution is None and runs >= 2:
        info["resolution_rule"] = (f"the most seed-stable of {len(levels)} levels scanned for granularity "
                                   f"'{granularity}' (ties within {STABILITY_TIE} go to "
                                   + ("the coarsest level: the lowest resolution, fewer circles)"
                                      if SCAN_TIE_RULE == "coarsest" else
                                      "the level closest to " + ("plain modularity)" if method != "cpm"
                                                                 else "the density x 1)")))
    info["coarse_groups"] = nt
    if not len(u):
        info["resolution"] = levels[0] if method != "infomap" else None
        return memb, info
    nb = max(runs, 1)
    seeds = [int(s) for s in np.random.SeedSequence(int(seed)).generate_state(
        nb * (CONSENSUS_MAX_ROUNDS + 1), dtype=np.uint32) % (2 ** 31 - 1)]
    # the scan runs on seeds of its own, fixed (SCAN_SEED), so that the chosen level is a
    # property of the data and never moves with ``seed``; ``seed`` drives the consensus rounds
    scan_seeds = [int(s) for s in np.random.SeedSequence(SCAN_SEED).generate_state(
        nb * len(levels), dtype=np.uint32) % (2 ** 31 - 1)]
    run_opts = dict(method=method, n_iterations=n_iterations, engine=info["engine"], trials=trials)

    coarse = method != "infomap" and runs > 1 and len(u) > COARSEN_TIES
    ref = 1.0 if method != "cpm" else levels[len(levels) // 2] / GRANULARITY[granularity][len(levels) // 2]
    if coarse:
        # the runs on the owners see them renumbered in reverse Cuthill-McKee order (see
        # _locality_order): the same graph, read with far fewer cache misses
        # the runs on the full graph need only it: the ends in the owners-with-ties numbering are
        # let go once renumbered and made again for the graph of the groups (at 1,000,000 demo
        # owners 364 MB less held while the igraph graph is built and beside Leiden's working set)
        ends = [eu, ev]
        del eu, ev
        g, wl, back = _local_graph_taken(nt, ends, w)

        def run_full(res_: float, seed_: int) -> np.ndarray:
            return _run_once(g, wl, resolution=res_, seed=seed_, **run_opts)[back]
    else:
        g = _graph(nt, eu, ev, w)
    if coarse:
        # large graphs: the scan runs COARSE_RUNS runs per level on the full graph (on the scan's
        # fixed seeds, as for small graphs), in the tie rule's order; it stops as soon as the rule's choice is settled
        # (the preferred level so far within STABILITY_TIE of the best and at least 1 - STABILITY_TIE
        # stable: no later level can displace it, _scan_settled), so the choice is exactly the full scan's
        base = [int(s) for s in np.random.SeedSequence(SCAN_SEED).generate_state(
            COARSE_RUNS * len(levels), dtype=np.uint32) % (2 ** 31 - 1)]
        # the levels in the order the tie rule prefers them (_tie_key): the first level within
        # the margin of the best so far wins every tie with a level scanned later
        order = sorted(range(len(levels)), key=lambda k: _tie_key(levels[k], ref))
        scanned = []
        for k in order:
            parts = [run_full(levels[k], x) for x in base[k * COARSE_RUNS:(k + 1) * COARSE_RUNS]]
            scanned.append((levels[k], parts, _ring_agreement(parts)))
            if _scan_settled(scanned, ref):
                break
        scanned.sort(key=lambda t: t[0])
    else:
        scanned = None
    if scanned is None:
        size_list, awl = None, w
        scanned = []
        for k, res in enumerate(levels):
            if len(levels) > 1:
                parts = [_run_once(g, awl, resolution=res, seed=x, **run_opts)
                         for x in scan_seeds[k * nb:(k + 1) * nb]]
            else:
                parts = [_run_once(g, awl, resolution=res, seed=x, **run_opts) for x in seeds[:nb]]
            scanned.append((res, parts, _ring_agreement(parts)))
    info["scan"] = tuple((None if r is None else round(float(r), 6), int(p[0].max()) + 1,
                          round(float(s), 4) if np.isfinite(s) else float("nan")) for r, p, s in scanned)
    if len(scanned) > 1:
        best = max(s for _, _, s in scanned)
        near = [t for t in scanned if t[2] >= best - STABILITY_TIE]
        chosen = min(near, key=lambda t: _tie_key(t[0], ref))
    else:
        chosen = scanned[0]
    res, first, stab = chosen
    info["resolution"] = None if res is None else float(res)
    if coarse:
        # consensus only where the runs disagree: the owners that every run at the chosen level
        # puts together form a group; the consensus runs on the graph of the groups (ties summed,
        # a group's inside ties a self-loop), where modularity (and CPM with the group sizes) of a
        # partition of groups equals that of the owners' partition it stands for
        # plus one run on ``seed`` at the chosen level, so that the groups (and the circles) can
        # move with the seed where the owners' ties leave them undecided - unless the scan's runs
        # there already agree (NMI >= 1 - STABILITY_TIE): the consensus on the graph of the
        # groups they agree on decides the few owners where they differ (see _scan_runs_agree)
        if not _scan_runs_agree(first):
            first = first + [run_full(res, seeds[-1])]
        del g, wl, back
        from graphcrm.community import trim_heap

        trim_heap()  # Leiden's per-vertex lists are many small blocks: give the freed heap back
        info["seed_stability"] = _ring_agreement(first)
        grp = _meet(first)
        ng = int(grp.max()) + 1
        eu, ev = pos[u], pos[v]
        au, av, aw, ties = _aggregate(grp, ng, eu, ev, w)
        sizes = np.bincount(grp, minlength=ng)
        info["coarse_groups"] = ng
        # the coarse graph has self-loops: leidenalg corrects them differently, so igraph's Leiden
        # runs there (given the strengths with the loops, see _run_once)
        run_opts["engine"] = "igraph"
        g = _graph(ng, au, av, aw)
        size_list, awl = sizes.tolist(), aw
    else:
        grp, sizes, ties, au, av, aw, ng = np.arange(nt), None, None, eu, ev, w, nt

    def batch(g_, wl_, res, block):
        return [_run_once(g_, wl_, resolution=res, seed=x, node_sizes=size_list, **run_opts)
                for x in seeds[block * nb:(block + 1) * nb]]

    parts = batch(g, awl, res, 0) if (len(levels) > 1 or coarse) else first
    if not coarse:
        info["seed_stability"] = _ring_agreement(parts)
    if runs > 1:
        raw, rounds, conv, agree = _consensus(
            ng, au, av, parts, lambda a, b, d, r: batch(_graph(ng, a, b, d), d, res, r),
            ties=ties, sizes=sizes)
        info.update(consensus_rounds=rounds, converged=conv, consensus_agreement=agree)
    else:
        raw = parts[0]
    raw = raw[grp]
    # stable labels: by size desc, then the smallest owner position in the circle
    raw = pd.factorize(raw)[0]
    sizes_c = np.bincount(raw)
    first_pos = np.full(len(sizes_c), np.iinfo(np.int64).max)
    np.minimum.at(first_pos, raw, idx)
    order = np.lexsort((first_pos, -sizes_c))
    label = np.empty(len(sizes_c), dtype=np.int64)
    label[order] = np.arange(len(sizes_c))
    memb[idx] = label[raw]
    return memb, info


def _ecv_loss(n: int, u: np.ndarray, v: np.ndarray, hold: np.ndarray, memb: np.ndarray, p: float, *,
              weights: np.ndarray | None = None) -> tuple[float, int]:
    """Held-out loss of a partition by edge cross-validation (see :func:`_choose_method`).

    A Poisson degree-corrected block model (Karrer & Newman 2011) is fitted on the training
    ties (``~hold``) with the circles ``memb``: ``lambda_ij = k_i k_j m_rs / (kappa_r kappa_s) /
    (1 - p)`` (``k``: training degree, ``m_rs``: training ties between circles r and s, both
    directions, ``kappa_r``: the degree of circle r; ``1 / (1 - p)`` rescales to the whole graph).
    The loss is its negative log-likelihood on the held-out owner pairs (constants the same for
    every partition dropped): ``sum_{held ties} (lambda_e - A_e log lambda_e)`` plus, for the
    held-out pairs without a tie, ``p`` times the sum of ``lambda`` over all untied pairs - the
    exact expectation over which untied pairs were held out, so that they need not be listed
    (``sum_{i<j} lambda_ij = (sum_i k_i / (1 - p) - sum_i lambda_ii) / 2``; linear in ties).
    ``weights=None``: every tie counts 1 (the block model of who is tied, not how strongly);
    otherwise ``A_e`` and ``k`` are weighted.  A held-out tie the model gives less than
    :data:`ECV_FLOOR` times the configuration model's rate is floored there.  Held-out ties of
    owners with no training tie are not scored (the same for every partition).

    Returns
    -------
    tuple
        ``(loss in nats, held-out ties scored)``.
    """
    a = np.ones(len(u)) if weights is None else np.asarray(weights, dtype=np.float64)
    tr = ~hold
    k = np.bincount(u[tr], weights=a[tr], minlength=n) + np.bincount(v[tr], weights=a[tr], minlength=n)
    live = k > 0
    b = np.full(n, -1, dtype=np.int64)
    b[live] = np.unique(memb[live], return_inverse=True)[1]
    nb = int(b.max()) + 1 if live.any() else 0
    if nb == 0:
        return 0.0, 0
    kappa = np.bincount(b[live], weights=k[live], minlength=nb)
    bu, bv = b[u[tr]], b[v[tr]]
    keys, wsum = _sum_by_key(np.minimum(bu, bv) * nb + np.maximum(bu, bv), a[tr])

    def m_rs(r: np.ndarray, s_: np.ndarray) -> np.ndarray:
        kk = np.minimum(r, s_) * nb + np.maximum(r, s_)
        pos = np.clip(np.searchsorted(keys, kk), 0, max(len(keys) - 1, 0))
        val = np.where(keys[pos] == kk, wsum[pos], 0.0) if len(keys) else np.zeros(len(kk))
        return np.where(r == s_, 2.0 * val, val)

    big_m = float(kappa.sum())
    both = live[u] & live[v]
    iu, iv = u[both], v[both]
    lam = k[iu] * k[iv] * m_rs(b[iu], b[iv]) / (kappa[b[iu]] * kappa[b[iv]]) / (1 - p)
    held = hold[both]
    lam_h = np.maximum(lam[held], ECV_FLOOR * k[iu][held] * k[iv][held] / big_m / (1 - p))
    idx = np.flatnonzero(live)
    lam_ii = k[idx] ** 2 * m_rs(b[idx], b[idx]) / kappa[b[idx]] ** 2 / (1 - p)
    untied = (k[idx].sum() / (1 - p) - lam_ii.sum()) / 2 - lam.sum()
    loss = float((lam_h - a[both][held] * np.log(lam_h)).sum() + p * untied)
    return loss, int(held.sum())


def _ecv_folds(m: int, ecv_seed: int = 0) -> list[np.ndarray]:
    """The :data:`ECV_FOLDS` hold-out masks over ``m`` ties (each tie held out with probability
    :data:`ECV_HOLDOUT`, independently per fold, as ECV's replications are), on fixed seeds."""
    rng = np.random.default_rng(np.random.SeedSequence([ECV_SEED, int(ecv_seed)]))
    return [rng.random(m) < ECV_HOLDOUT for _ in range(ECV_FOLDS)]


def _ecv_candidates(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, *, seed: int, granularity: str, runs: int,
                    n_iterations: int, engine: str) -> dict[str, np.ndarray]:
    """The two partitions ``method="auto"`` chooses between, on one graph: consensus
    Leiden-modularity with its resolution scan, and Infomap (best of :data:`INFOMAP_TRIALS`)."""
    return {
        "modularity": _find_circles(n, u, v, w, method="modularity", resolution=None, granularity=granularity,
                                    runs=runs, seed=seed, n_iterations=n_iterations, engine=engine)[0],
        "infomap": _find_circles(n, u, v, w, method="infomap", resolution=None, granularity=granularity, runs=1,
                                 seed=seed, n_iterations=n_iterations, engine=engine, trials=INFOMAP_TRIALS)[0],
    }


def _ecv_scores(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, *, granularity: str, runs: int,
                n_iterations: int, engine: str, ecv_seed: int = 0, weighted: bool = False,
                candidates=None) -> dict[str, np.ndarray]:
    """Per candidate, its held-out gain over the configuration model (one circle) in each fold,
    in nats per held-out tie (:func:`_ecv_loss`; ``weighted``: the loss on tie weights).
    ``candidates(n, u, v, w, seed)`` -> {name: membership}: default :func:`_ecv_candidates`."""
    if candidates is None:
        def candidates(n_, a_, b_, d_, s_):
            return _ecv_candidates(n_, a_, b_, d_, seed=s_, granularity=granularity, runs=runs,
                                   n_iterations=n_iterations, engine=engine)
    gains: dict[str, list[float]] = {}
    for f, hold in enumerate(_ecv_folds(len(u), ecv_seed)):
        tr = ~hold
        fs = int(np.random.SeedSequence([ECV_SEED, int(ecv_seed), f]).generate_state(1)[0] % (2 ** 31 - 1))
        parts = candidates(n, u[tr], v[tr], w[tr], fs)
        wt = w if weighted else None
        base, nh = _ecv_loss(n, u, v, hold, np.zeros(n, dtype=np.int64), ECV_HOLDOUT, weights=wt)
        for name, memb in parts.items():
            loss = _ecv_loss(n, u, v, hold, memb, ECV_HOLDOUT, weights=wt)[0]
            gains.setdefault(name, []).append((base - loss) / max(nh, 1))
    return {k: np.asarray(x) for k, x in gains.items()}


def _ecv_pick(gains: dict[str, np.ndarray], default: str = "modularity") -> tuple[str, tuple[tuple[str, float, float], ...]]:
    """The candidate with the best mean gain, unless its paired advantage over ``default`` is
    under :data:`ECV_MARGIN_SE` standard errors (then ``default``); and ``(candidate, mean
    gain, standard error of the paired difference to the default)`` per candidate."""
    facts = []
    for name, g in gains.items():
        d = g - gains[default]
        se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0
        facts.append((name, round(float(g.mean()), 4), round(se, 4)))
    best = max(gains, key=lambda k: gains[k].mean())
    if best != default:
        d = gains[best] - gains[default]
        se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0
        if not d.mean() > ECV_MARGIN_SE * se:
            best = default
    return best, tuple(facts)


def _choose_method(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, *, granularity: str, runs: int,
                   n_iterations: int, engine: str) -> tuple[str, str, tuple[tuple[str, float, float], ...]]:
    """``method="auto"``: consensus Leiden-modularity or Infomap for this graph, by edge
    cross-validation (Li, Levina & Zhu 2020; bench/circles_ecv_trial.py, docs/validation.md).

    :data:`ECV_FOLDS` times, a random :data:`ECV_HOLDOUT` of the owner pairs is held out (the
    ties among them hidden; the untied ones enter in expectation, see :func:`_ecv_loss`), both
    candidates run on the remaining ties, and each is scored by how well a degree-corrected block
    model with its circles, fitted on those ties, predicts which held-out pairs are tied.  Infomap
    is chosen when its mean gain beats the default's by more than :data:`ECV_MARGIN_SE` standard
    errors of the paired difference over the folds.  Everything runs on fixed seeds
    (:data:`ECV_SEED`): the choice depends on the data only.  Graphs outside
    [:data:`ECV_MIN_TIES`, :data:`COARSEN_TIES`] ties, or options only modularity has (a
    resolution, a granularity other than ``default``, a single run), get modularity without
    cross-validation.

    Returns
    -------
    tuple
        ``(method, rule in plain words, ECV facts as in CircleDetails.ecv)``.
    """
    m = len(u)
    if m < ECV_MIN_TIES:
        return "modularity", f"auto: modularity (under {ECV_MIN_TIES} ties: too few to cross-validate)", ()
    if m > COARSEN_TIES:
        return "modularity", (f"auto: modularity (above {COARSEN_TIES:,} ties edge cross-validation is not run: "
                              "it would cost 5 extra runs of each candidate on the whole graph)"), ()
    gains = _ecv_scores(n, u, v, w, granularity=granularity, runs=runs, n_iterations=n_iterations, engine=engine)
    best, facts = _ecv_pick(gains)
    return best, (f"auto: {best} by edge cross-validation ({ECV_FOLDS} folds, {ECV_HOLDOUT:.0%} of pairs held out; "
                  f"Infomap only when its held-out gain beats modularity's by > {ECV_MARGIN_SE:g} standard errors)"), facts


CIRCLES = ResultSpec(
    "circles",
    key=("owner_id",),
    columns=(
        Col("owner_id", "str", "", "the owner"),
        Col("circle", "int", "", "the owner's circle (0 = largest; -1 = no circle: no ties to anyone)"),
        Col("label", "str", "", "the circle's name: main city, car model and interests (the same in every table)"),
        Col("circle_size", "int", "owners", "owners in that circle (0 for no circle)"),
        Col("interests", "str", "", "the owner's main interest tags (event kinds and topics, post channels)"),
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
    details=CircleDetails,
    description="owner -> primary circle by consensus clustering of the combined owner graph, with bridge scores",
)


def _check_options(method: str, resolution: float | None, granularity: str, consensus_runs: int,
                   engine: str) -> None:
    if engine not in ("auto", "leidenalg", "igraph"):
        raise ConfigError(f"engine must be 'auto', 'leidenalg' or 'igraph', got {engine!r}")
    if method not in METHODS:
        raise ConfigError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if granularity not in GRANULARITY:
        raise ConfigError(f"granularity must be one of {', '.join(GRANULARITY)}, got {granularity!r}")
    if method == "infomap" and (granularity != "default" or resolution is not None):
        raise ConfigError("Infomap has no resolution: it picks the number of circles itself (map equation); "
                          "use method='modularity' for coarser or finer circles")
    if resolution is not None and (isinstance(resolution, bool) or not isinstance(resolution, (int, float))
                                   or not np.isfinite(resolution) or resolution <= 0):
        raise ConfigError("resolution must be a positive number (or None: chosen by the scan)")
    if isinstance(consensus_runs, bool) or not isinstance(consensus_runs, (int, np.integer)) or consensus_runs < 1:
        raise ConfigError("consensus_runs must be a whole number >= 1 (1 = a single run, no consensus)")


@analysis(CIRCLES)
def circles(
    community: Community,
    *,
    method: str = DEFAULT_METHOD,
    resolution: float | None = None,
    granularity: str = "default",
    consensus_runs: int = 10,
    layer_weights: dict[str, float] | None = None,
    half_life_days: float | None = None,
    max_event_size: int = 150,
    seed: int = 0,
    n_iterations: int = 2,
    engine: str = "auto",
    bridge_threshold: float = 0.5,
    min_bridge_degree: int = 3,
    lang: str = "en",
) -> tuple[pd.DataFrame, CircleDetails]:
    """Owner → circle by consensus clustering of the combined owner graph, with bridge scores.

    Parameters
    ----------
    community : graphcrm.community.Community
        The community snapshot.
    method : {"auto", "modularity", "cpm", "infomap", "louvain"}, default "modularity"
        Leiden with modularity (RBConfiguration, with a resolution), Leiden with CPM, Infomap
        (the map equation; no resolution; consensus of ``consensus_runs`` runs) or Louvain
        (igraph's multilevel, the baseline).  ``auto``: consensus modularity, or Infomap as
        igraph runs it (the best of :data:`INFOMAP_TRIALS` trials) where edge cross-validation
        says its circles predict held-out ties clearly better (:data:`ECV_FOLDS` folds; graphs of
        :data:`ECV_MIN_TIES` to :data:`COARSEN_TIES` ties, default granularity and
        resolution; otherwise modularity).  The details say which ran and why (``method``,
        ``method_rule``, ``ecv``).  The default was picked by the labelled validation
        (docs/validation.md, "Circles").
    resolution : float, optional
        A fixed resolution (modularity / Louvain: 1 = plain modularity, larger = more, smaller
        circles; CPM: the minimum internal density).  Default: chosen by the multi-resolution
        scan of ``granularity`` (the most seed-stable level; see the module docstring).
    granularity : {"coarser", "default", "finer"}, default "default"
        Ask for fewer, larger or more, smaller circles in plain words: which band of
        resolutions is scanned (:data:`GRANULARITY`).  Not for Infomap.
    consensus_runs : int, default 10
        Runs per scanned level and per consensus round (Lancichinetti & Fortunato 2012); 1 = a
        single seeded run without consensus (faster, moves with the seed).
    layer_weights : dict, optional
        Weight of the normalised co-attendance and interaction layers (default 1 and 1).
    half_life_days : float, optional
        Time decay of the interaction layer (default none).
    max_event_size : int, default 150
        Larger events add no co-attendance ties.
    seed : int, default 0
        Master seed of the runs; with consensus the circles barely depend on it (the details
        report the stability).
    n_iterations : int, default 2
        Leiden iterations per run (-1: until the partition no longer changes).
    engine : {"auto", "leidenalg", "igraph"}, default "auto"
        Leiden implementation: ``leidenalg``, or igraph's C implementation (same algorithm and
        quality function, 8-25x faster).  ``auto`` uses leidenalg up to :data:`AUTO_ENGINE_EDGES`
        ties (0: none), igraph above.  Infomap and Louvain always run in igraph.
    bridge_threshold : float, default 0.5
        Minimum participation coefficient of a bridge.
    min_bridge_degree : int, default 3
        Minimum number of distinct neighbours of a bridge.
    lang : {"en", "zh"}
        Language of ``label`` (its fixed words) and ``reason``.

    Returns
    -------
    pandas.DataFrame
        One row per owner: ``owner_id``; ``circle`` (0 = largest; -1 = no circle: no ties);
        ``label`` (the circle's name, e.g. "上海 · ES6 · 摄影外拍/自驾"; "no circle" for -1);
        ``circle_size`` (owners; 0 for no circle); ``interests`` (the owner's top interest
        tags, comma-separated); ``degree`` (distinct neighbours); ``strength`` (combined tie
        weight); ``internal_share`` (share of the strength inside the owner's own circle);
        ``n_circles`` (distinct circles among the owner's ties); ``participation``
        (participation coefficient, 0..1); ``is_bridge``; ``reason``.  Sorted by circle (-1
        last), then strength descending, then owner_id.
    CircleDetails
        With ``details=True``: method, chosen resolution and the rule, the scan, seed stability
        and consensus facts, ``n_circles`` (no circle excluded) and ``n_no_circle``.

    Raises
    ------
    ConfigError
        For a bad method, resolution, granularity, layer weight or lang.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> o = pd.DataFrame({"owner_id": ["a", "b", "c", "d", "e"]})
    >>> ev = pd.DataFrame({"event_id": ["e1", "e2"], "starts_at": ["2024-01-01", "2024-01-02"]})
    >>> at = pd.DataFrame({"event_id": ["e1", "e1", "e2", "e2"], "owner_id": ["a", "b", "c", "d"]})
    >>> df, info = circles(Community.from_frames({"owners": o, "events": ev, "attendance": at}), details=True)
    >>> df[["owner_id", "circle"]].values.tolist()
    [['a', 0], ['b', 0], ['c', 1], ['d', 1], ['e', -1]]
    >>> info.n_circles, info.n_no_circle, info.resolution
    (2, 1, 1.0)
    """
    lang = check_lang(lang)
    _check_options(method, resolution, granularity, consensus_runs, engine)
    if not 0 <= bridge_threshold <= 1:
        raise ConfigError("bridge_threshold must be between 0 and 1")
    u, v, w, memb, info = _memo_partition(community, method=method, resolution=resolution, granularity=granularity,
                                          consensus_runs=consensus_runs, layer_weights=layer_weights,
                                          half_life_days=half_life_days, max_event_size=max_event_size, seed=seed,
                                          n_iterations=n_iterations, engine=engine)
    n = len(community.owner_ids)
    strength = np.bincount(u, weights=w, minlength=n) + np.bincount(v, weights=w, minlength=n)
    degree = np.bincount(u, minlength=n) + np.bincount(v, minlength=n)
    kwho, kc, kw = _circle_ties(u, v, w, memb)
    if len(kwho):
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
    counts = np.bincount(memb[memb >= 0], minlength=int(memb.max()) + 1 if len(memb) and memb.max() >= 0 else 0)
    sizes = np.where(memb >= 0, counts[np.clip(memb, 0, None)] if len(counts) else 0, 0)
    is_bridge = (participation >= bridge_threshold) & (degree >= min_bridge_degree) & (memb >= 0)
    labels = circle_labels(community, memb, lang=lang)
    df = pd.DataFrame({
        "owner_id": community.owner_ids,
        "circle": memb,
        "label": pd.Series(memb).map(labels).to_numpy(),
        "circle_size": sizes.astype(np.int64),
        "interests": owner_interest_text(community, lang=lang),
        "degree": degree.astype(np.int64),
        "strength": strength,
        "internal_share": internal,
        "n_circles": n_circ.astype(np.int64),
        "participation": participation,
        "is_bridge": is_bridge,
    })
    df["reason"] = _circle_reasons(df, lang)
    n_circles = int(len(counts))
    details = CircleDetails(n_circles=n_circles, n_no_circle=int((memb < 0).sum()), **info)
    return df, details  # sorted as CIRCLES declares (circle, -1 last; strength desc; owner_id)


def _memo_partition(community: Community, *, method: str, resolution: float | None, granularity: str,
                    consensus_runs: int, layer_weights: dict[str, float] | None, half_life_days: float | None,
                    max_event_size: int, seed: int, n_iterations: int, engine: str, graph: bool = True
                    ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None, np.ndarray, dict[str, Any]]:
    """The combined graph, the circle of every owner and the facts, once per community and
    partition options (the community's one cache; the bridge rule and the language are not
    among them).  ``graph=False``: ``(None, None, None, memb, info)``, for callers that need only
    the memberships.

    The cached partition holds only the memberships and the facts; the combined graph is its own
    entry (:func:`combined_graph`), asked for here.  When the partition held the graph's arrays
    too, the memo counted them twice (1.4 GB for 0.7 GB at 1,000,000 demo owners), so it
    dropped the combined graph's entry early while the partition kept its arrays alive: nothing
    was freed, and the next step that asked for the graph built it again (stop 24)."""
    lw = _layer_weights(layer_weights)
    partition = dict(method=method, resolution=None if resolution is None else float(resolution),
                     granularity=granularity, consensus_runs=int(consensus_runs), layer_weights=lw,
                     half_life_days=half_life_days, max_event_size=max_event_size, seed=seed,
                     n_iterations=n_iterations, engine=engine)
    memb, info = community.memo("circle_partition", partition, lambda: _partition(community, **partition)[3:])
    if not graph:
        return None, None, None, memb, info
    u, v, w = combined_graph(community, layer_weights=lw, half_life_days=half_life_days, max_event_size=max_event_size)
    return u, v, w, memb, info


def circle_ids(
    community: Community,
    *,
    method: str = DEFAULT_METHOD,
    resolution: float | None = None,
    granularity: str = "default",
    consensus_runs: int = 10,
    layer_weights: dict[str, float] | None = None,
    half_life_days: float | None = None,
    max_event_size: int = 150,
    seed: int = 0,
    n_iterations: int = 2,
    engine: str = "auto",
    **table_options: Any,
) -> np.ndarray:
    """The primary circle of every owner, in ``community.owner_ids`` order, without the table.

    The partition :func:`circles` computes with the same options (the community's one cache:
    computed once, whichever asks first), for analyses that need only who is in which circle
    (e.g. the bridging of :func:`graphcrm.algorithms.koc.kocs`), not the labels, the bridge
    scores or the reasons.

    Parameters
    ----------
    community : graphcrm.community.Community
        The community snapshot.
    method, resolution, granularity, consensus_runs, layer_weights, half_life_days, max_event_size, seed, n_iterations, engine
        As in :func:`circles`.
    **table_options
        Options of :func:`circles` that only change the table (``bridge_threshold``,
        ``min_bridge_degree``, ``lang``): accepted and ignored.

    Returns
    -------
    numpy.ndarray
        int64, one circle per owner (0 = largest; -1 = no circle).

    Raises
    ------
    ConfigError
        For bad options (as :func:`circles`).

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> o = pd.DataFrame({"owner_id": ["a", "b", "c"]})
    >>> ev = pd.DataFrame({"event_id": ["e"], "starts_at": ["2024-01-01"]})
    >>> at = pd.DataFrame({"event_id": ["e", "e"], "owner_id": ["a", "b"]})
    >>> circle_ids(Community.from_frames({"owners": o, "events": ev, "attendance": at})).tolist()
    [0, 0, -1]
    """
    unknown = set(table_options) - {"bridge_threshold", "min_bridge_degree", "lang"}
    if unknown:
        raise TypeError(f"circle_ids() got unexpected options {sorted(unknown)}")
    _check_options(method, resolution, granularity, consensus_runs, engine)
    return _memo_partition(community, method=method, resolution=resolution, granularity=granularity,
                           consensus_runs=consensus_runs, layer_weights=layer_weights,
                           half_life_days=half_life_days, max_event_size=max_event_size, seed=seed,
                           n_iterations=n_iterations, engine=engine, graph=False)[3]


def _circle_ties(u: np.ndarray, v: np.ndarray, w: np.ndarray, memb: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(owner, circle, tie weight) of every owner's ties into every circle: one group-by,
    sorted by owner, then circle.

    With few circles (owners x circles at most 8x the ties, as the default circles of the demo
    communities: 43 for 100,000 owners) the group-by is a count by key - a ``bincount`` per end
    of the ties, no sort (100,000-owner bench store, 2.7M ties: 0.12 s instead of 0.4-0.8 s CPU
    at load 4); otherwise one sort of the keys.  The rows are the same, the sums equal up to
    float rounding (added in another order; 1e-14 relative there)."""
    n = len(memb)
    if not len(u):
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0)
    cu, cv = memb[u], memb[v]
    # circles are >= 0 at both ends of a tie
    nc = int(max(cu.max(), cv.max())) + 1
    # the ties of u into v's circle, and of v into u's
    ku = u.astype(np.int64) * nc + cv
    kv = v.astype(np.int64) * nc + cu
    del cu, cv
    if n * nc <= 8 * len(u) + 1024:
        tw = np.bincount(ku, weights=w, minlength=n * nc)
        tw += np.bincount(kv, weights=w, minlength=n * nc)
        seen = np.zeros(n * nc, dtype=bool)
        seen[ku] = True
        seen[kv] = True
        del ku, kv
        uniq = np.flatnonzero(seen)
        return uniq // nc, uniq % nc, tw[uniq]
    uniq, tw = _sum_by_key(np.concatenate([ku, kv]), np.concatenate([w, w]))
    return uniq // nc, uniq % nc, tw


def _partition(community: Community, *, method: str, resolution: float | None, granularity: str,
               consensus_runs: int, layer_weights: dict[str, float], half_life_days: float | None,
               max_event_size: int, seed: int, n_iterations: int, engine: str
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """The combined graph ``(u, v, w)``, the circle of every owner and the facts behind it."""
    from graphcrm.progress import steps

    with steps(["combined graph", "circles"], desc="circles") as step:
        step("combined graph")
        u, v, w = combined_graph(community, layer_weights=layer_weights, half_life_days=half_life_days,
                                 max_event_size=max_event_size)
        step("circles")
        n = len(community.owner_ids)
        rule, facts, trials = "given", (), 1
        if method == "auto":
            if resolution is not None or granularity != "default" or consensus_runs < 2:
                method, rule = "modularity", ("auto: modularity (a resolution, a granularity or a single run was "
                                              "asked for: options of modularity only)")
            else:
                method, rule, facts = _choose_method(n, u, v, w, granularity=granularity, runs=consensus_runs,
                                                     n_iterations=n_iterations, engine=engine)
            if method == "infomap":  # as igraph runs it: the best code length of INFOMAP_TRIALS trials
                consensus_runs, trials = 1, INFOMAP_TRIALS
        memb, info = _find_circles(n, u, v, w, method=method, resolution=resolution, granularity=granularity,
                                   runs=consensus_runs, seed=seed, n_iterations=n_iterations, engine=engine,
                                   trials=trials)
        info.update(method_rule=rule, ecv=facts)
    return u, v, w, memb, info


def _circle_reasons(df: pd.DataFrame, lang: str) -> np.ndarray:
    """:func:`_circle_reason` of every row, built column-wise (one text per circle, then one
    format per owner: 100,000 owners 0.3 s instead of 1.6 s row by row)."""
    memb = df["circle"].to_numpy(np.int64)
    out = np.full(len(df), pick(lang, en="no circle: no ties to other owners (no shared events or interactions)",
                                zh="无圈层：与其他车主没有联系（无共同活动、无互动）"), dtype=object)
    idx = np.flatnonzero(memb >= 0)
    if not len(idx):
        return out
    first = pd.DataFrame({"c": memb[idx], "label": df["label"].to_numpy()[idx],
                          "size": df["circle_size"].to_numpy()[idx]}).drop_duplicates("c")
    head = {c: pick(lang, en=f"circle {c} “{lab}” ({_pl(k, 'owner')})", zh=f"圈层 {c}「{lab}」（{k} 人）")
            for c, lab, k in zip(first["c"].tolist(), first["label"].tolist(), first["size"].tolist())}
    sep = "，" if lang == "zh" else "; "
    deg = df["degree"].to_numpy()[idx].tolist()
    ins = df["internal_share"].to_numpy(float)[idx].tolist()
    if lang == "zh":
        text = [f"{head[c]}{sep}{d} 个联系，{s:.0%} 的联系强度在圈内" for c, d, s in zip(memb[idx].tolist(), deg, ins)]
    else:
        text = [f"{head[c]}{sep}{_pl(d, 'tie')}, {s:.0%} of tie weight inside" for c, d, s in zip(memb[idx].tolist(), deg, ins)]
    out[idx] = text
    br = np.flatnonzero(df["is_bridge"].to_numpy(bool) & (memb >= 0))
    for i, k, pc in zip(br.tolist(), df["n_circles"].to_numpy()[br].tolist(), df["participation"].to_numpy(float)[br].tolist()):
        out[i] = out[i] + sep + pick(lang, en=f"bridge: ties reach {_pl(k, 'circle')} (participation {pc:.2f})",
                                     zh=f"桥梁：联系覆盖 {k} 个圈层（参与系数 {pc:.2f}）")
    return out


def _circle_reason(r, lang: str) -> str:
    if r.circle < 0:
        return pick(lang, en="no circle: no ties to other owners (no shared events or interactions)",
                    zh="无圈层：与其他车主没有联系（无共同活动、无互动）")
    parts = [pick(lang, en=f"circle {r.circle} “{r.label}” ({_pl(r.circle_size, 'owner')})",
                  zh=f"圈层 {r.circle}「{r.label}」（{r.circle_size} 人）"),
             pick(lang, en=f"{_pl(r.degree, 'tie')}, {r.internal_share:.0%} of tie weight inside",
                  zh=f"{r.degree} 个联系，{r.internal_share:.0%} 的联系强度在圈内")]
    if r.is_bridge:
        parts.append(pick(lang, en=f"bridge: ties reach {_pl(r.n_circles, 'circle')} (participation {r.participation:.2f})",
                          zh=f"桥梁：联系覆盖 {r.n_circles} 个圈层（参与系数 {r.participation:.2f}）"))
    return join(parts, lang)


# ---------------------------------------------------------------------------------------------
# interest tags and circle names
# ---------------------------------------------------------------------------------------------
def interest_tags(community: Community) -> pd.DataFrame:
    """Interest tags of every owner, from what they attend and where they post.

    Tags (the "interest" member tags of a digital membership system): the ``kind`` of every
    event attended (``drive``, ``meetup`` ...), the event's topic (its ``title`` with the
    event's city taken out, e.g. "上海 摄影外拍" → "摄影外拍") and the ``channel`` of every post
    written.  Linear in attendance + posts (group-bys); computed once per community.

    Parameters
    ----------
    community : graphcrm.community.Community
        The community snapshot.

    Returns
    -------
    pandas.DataFrame
        One row per (owner, tag): ``owner`` (position in ``community.owner_ids``, int), ``tag``
        (str) and ``count`` (events attended or posts written with that tag, int).

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> o = pd.DataFrame({"owner_id": ["a", "b"]})
    >>> ev = pd.DataFrame({"event_id": ["e1"], "starts_at": ["2024-01-01"], "kind": ["drive"],
    ...                    "title": ["上海 自驾穿越"], "city": ["上海"]})
    >>> at = pd.DataFrame({"event_id": ["e1"], "owner_id": ["a"]})
    >>> interest_tags(Community.from_frames({"owners": o, "events": ev, "attendance": at})).values.tolist()
    [[0, 'drive', 1], [0, '自驾穿越', 1]]
    """
    return community.memo("interest_tags", {}, lambda: _interest_tags(community))


def _interest_tags(community: Community) -> pd.DataFrame:
    ids = pd.Index(community.owner_ids)
    parts = []
    ev, at = community.tables["events"], community.tables["attendance"]
    if len(ev) and len(at):
        e = ev.set_index("event_id")
        who = ids.get_indexer(at["owner_id"].astype(str))
        eid = at["event_id"].to_numpy()
        ok = who >= 0
        for col in ("kind", "title"):
            if col not in e:
                continue
            vals = e[col].astype(object)
            if col == "title":
                city = e["city"].astype(object).fillna("") if "city" in e else pd.Series("", index=e.index)
                vals = pd.Series([(str(t).replace(str(c), "") if c else str(t)).strip(" -·|:/") if isinstance(t, str) else None
                                  for t, c in zip(vals, city)], index=e.index, dtype=object)
            tag = pd.Series(vals).reindex(eid).to_numpy()
            parts.append(pd.DataFrame({"owner": who[ok], "tag": tag[ok]}))
    posts = community.tables["posts"]
    if len(posts) and "channel" in posts:
        who = ids.get_indexer(posts["author_id"].astype(str))
        ok = who >= 0
        parts.append(pd.DataFrame({"owner": who[ok], "tag": posts["channel"].astype(object).to_numpy()[ok]}))
    if not parts:
        return pd.DataFrame({"owner": pd.Series([], dtype=np.int64), "tag": pd.Series([], dtype=object),
                             "count": pd.Series([], dtype=np.int64)})
    df = pd.concat(parts, ignore_index=True)
    df = df[df["tag"].notna()]
    df["tag"] = df["tag"].astype(str).str.strip()
    df = df[df["tag"].str.len() > 0]
    out = df.groupby(["owner", "tag"], sort=True).size().rename("count").reset_index()
    out["owner"] = out["owner"].astype(np.int64)
    out["count"] = out["count"].astype(np.int64)
    return out


#: Chinese names of the usual event kinds (the tags keep the data's own words otherwise)
KIND_ZH: dict[str, str] = {"meetup": "聚会", "drive": "自驾", "charity": "公益", "launch": "新车发布",
                           "training": "培训", "national": "全国活动", "workshop": "工作坊"}


def _tag(tag: Any, lang: str) -> str:
    """A tag as shown in ``lang`` (event kinds in Chinese for zh)."""
    return KIND_ZH.get(str(tag), str(tag)) if lang == "zh" else str(tag)


def owner_interest_text(community: Community, *, top: int = 3, lang: str = "en") -> np.ndarray:
    """Each owner's ``top`` tags by count (ties by name), comma-joined; "" when none."""
    def compute() -> np.ndarray:
        t = interest_tags(community)
        out = np.full(len(community.owner_ids), "", dtype=object)
        if len(t):
            t = t.sort_values(["owner", "count", "tag"], ascending=[True, False, True], kind="mergesort")
            t = t.groupby("owner", sort=False).head(top)
            sep = "，" if lang == "zh" else ", "
            owner = t["owner"].to_numpy()
            slot = t.groupby("owner", sort=False).cumcount().to_numpy()
            tag = np.array([_tag(x, lang) for x in t["tag"]], dtype=object)
            # joined slot by slot with numpy object arrays (no per-owner Python group)
            for k in range(top):
                m = slot == k
                if not m.any():
                    break
                who = owner[m]
                out[who] = tag[m] if k == 0 else out[who] + sep + tag[m]
        return out

    return community.memo("owner_interest_text", {"top": top, "lang": lang}, compute)


#: a circle's label names its city when it holds more than this share of the members (else the
#: two main cities when together they hold at least LABEL_TWO_CITY_SHARE, else "several cities")
LABEL_CITY_SHARE = 0.5
LABEL_TWO_CITY_SHARE = 0.75
#: ... its car model when at least this share of the members drive it
LABEL_MODEL_SHARE = 0.4
#: ... and up to two interest tags that at least this share of the members have, picked by
#: share x log(lift) (lift = share in the circle / share among all tagged owners; lift > 1.2)
LABEL_TAG_SHARE = 0.15


def circle_labels(community: Community, memb: ArrayLike, *, lang: str = "en") -> dict[int, str]:
    """A name for every circle, from its members' cities, car models and interest tags.

    "上海 · ES6 · 摄影外拍/自驾穿越": the main city (more than :data:`LABEL_CITY_SHARE` of the
    members; else the two main cities when they hold :data:`LABEL_TWO_CITY_SHARE`, else
    "several cities"), the car model most members drive
    (left out when it has fewer than :data:`LABEL_MODEL_SHARE`), and the tags that set the circle apart (see
    :data:`LABEL_TAG_SHARE`).  A name that would repeat gets " #2", " #3" … in circle order;
    a circle with nothing to name is "circle N".  -1 is "no circle".  Linear (group-bys).

    Parameters
    ----------
    community : graphcrm.community.Community
        The community snapshot.
    memb : array-like of int
        The circle of every owner in ``community.owner_ids`` order (-1 = no circle).
    lang : {"en", "zh"}
        Language of the fixed words.

    Returns
    -------
    dict
        circle -> label (str), including -1.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> o = pd.DataFrame({"owner_id": ["a", "b", "c"], "city": ["上海", "上海", "北京"],
    ...                   "car_model": ["ES6", "ES6", "ET5"]})
    >>> circle_labels(Community.from_frames({"owners": o}), [0, 0, -1])
    {0: '上海 · ES6', -1: 'no circle'}
    """
    lang = check_lang(lang)
    memb = np.asarray(memb, dtype=np.int64)
    owners = community.owners
    n = len(memb)
    out: dict[int, str] = {}
    real = unique_sorted(memb[memb >= 0])
    if len(real):
        sizes = pd.Series(np.bincount(memb[memb >= 0])).reindex(real)

        def shares(col: str) -> pd.DataFrame:
            if col not in owners:
                return pd.DataFrame(columns=["c", "x", "share"])
            d = pd.DataFrame({"c": memb, "x": owners[col].astype(object).to_numpy()})
            d = d[(d["c"] >= 0) & d["x"].notna()]
            d = d[d["x"].astype(str).str.len() > 0]
            cnt = d.groupby(["c", "x"]).size().rename("k").reset_index()
            cnt["share"] = cnt["k"] / cnt["c"].map(sizes)
            return cnt.sort_values(["c", "k", "x"], ascending=[True, False, True], kind="mergesort")

        city = shares("city")
        top2 = city.groupby("c", sort=False).head(2)
        parts: dict[int, list[str]] = {int(c): [] for c in real}
        several = pick(lang, en="several cities", zh="多城市")
        for c, g in top2.groupby("c", sort=False):
            xs, ss = g["x"].astype(str).tolist(), g["share"].tolist()
            if ss[0] > LABEL_CITY_SHARE:
                parts[int(c)].append(xs[0])
            elif len(ss) > 1 and ss[0] + ss[1] >= LABEL_TWO_CITY_SHARE:
                parts[int(c)].append(f"{xs[0]}/{xs[1]}")
            else:
                parts[int(c)].append(several)
        model = shares("car_model").groupby("c", sort=False).head(1)
        for c, x, s in zip(model["c"], model["x"], model["share"]):
            if s >= LABEL_MODEL_SHARE:
                parts[int(c)].append(str(x))
        tags = interest_tags(community)
        if len(tags):
            t = pd.DataFrame({"c": memb[tags["owner"].to_numpy()], "tag": tags["tag"].to_numpy()})
            n_tagged = max(int(len(unique_sorted(tags["owner"].to_numpy()))), 1)
            base = t.groupby("tag").size() / n_tagged
            t = t[t["c"] >= 0]
            cnt = t.groupby(["c", "tag"]).size().rename("k").reset_index()
            cnt["share"] = cnt["k"] / cnt["c"].map(sizes)
            cnt["lift"] = cnt["share"] / cnt["tag"].map(base)
            cnt = cnt[(cnt["share"] >= LABEL_TAG_SHARE) & (cnt["lift"] > 1.2) & (cnt["k"] >= 2)]
            cnt["score"] = cnt["share"] * np.log(cnt["lift"])
            cnt = cnt.sort_values(["c", "score", "tag"], ascending=[True, False, True], kind="mergesort")
            for c, g in cnt.groupby("c", sort=False):
                parts[int(c)].append("/".join(_tag(x, lang) for x in g["tag"].head(2)))
        seen: dict[str, int] = {}
        for c in real:
            name = " · ".join(parts[int(c)]) or pick(lang, en=f"circle {c}", zh=f"圈层 {c}")
            seen[name] = seen.get(name, 0) + 1
            out[int(c)] = name if seen[name] == 1 else f"{name} #{seen[name]}"
    out[NO_TIES] = pick(lang, en="no circle", zh="无圈层")
    return out


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
        Col("circle", "int", "", "the circle (0 = largest; -1 = no circle, only with include_no_ties=True)"),
        Col("label", "str", "", "the circle's name: main city, car model and interests (as in circles())"),
        Col("size", "int", "owners", "owners in the circle"),
        Col("share", "float", "share 0-1", "share of all owners"),
        Col("top_cities", "str", "", "main cities with their share of the members"),
        Col("top_car_models", "str", "", "main car models with their share of the members"),
        Col("top_interests", "str", "", "main interest tags with the share of members who have them"),
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
    include_no_ties: bool = False,
    circle_options: Mapping[str, Any] | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """One row per circle: its name, size, who is in it, how dense it is, its leaders and bridges.

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
    include_no_ties : bool, default False
        Add a row -1 for the owners with no ties ("no circle"; not a circle, so left out by
        default and counted in :func:`circles`' details as ``n_no_circle``).
    circle_options : mapping, optional
        Options of :func:`circles` (resolution, method, layer_weights, seed, ...) used when
        ``circles_frame`` is absent, and for the ties behind ``density``.
    lang : {"en", "zh"}
        Language of ``label`` and ``reason``.

    Returns
    -------
    pandas.DataFrame
        Columns: ``circle``; ``label`` (the circle's name, as in :func:`circles`); ``size``;
        ``share`` (of all owners); ``top_cities``, ``top_car_models`` and ``top_interests``
        ("name share, ..."; interests: share of members with the tag); ``density`` (ties inside / possible pairs);
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
    >>> p[["circle", "label", "size", "top_cities", "density"]].values.tolist()
    [[0, 'SH', 2, 'SH 100%', 1.0]]
    """
    lang = check_lang(lang)
    circle_options = dict(circle_options or {})
    # the labels come from the circles table: computed in this language (its fixed words - event
    # kinds, "several cities" - are translated), so the profile and circles() name a circle alike
    circ = (circles_frame if circles_frame is not None
            else circles(community, **{**{k: v for k, v in circle_options.items() if k != "lang"}, "lang": lang}))
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
    df["top_interests"] = df["circle"].map(_top_interests(community, memb, top_values, lang)).astype(object).fillna("")
    names = (circ["label"].groupby(memb).first().to_dict() if "label" in circ
             else circle_labels(community, memb, lang=lang))
    df["label"] = df["circle"].map(names).fillna("")
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


def _top_interests(community: Community, memb: np.ndarray, k: int, lang: str) -> pd.Series:
    """'摄影外拍 45%, drive 40%' per circle: the k tags most members have, with that share."""
    tags = interest_tags(community)
    if not len(tags):
        return pd.Series(dtype=object)
    c = memb[tags["owner"].to_numpy()]
    cnt = pd.DataFrame({"c": c, "tag": tags["tag"].to_numpy()}).groupby(["c", "tag"]).size().rename("n").reset_index()
    cnt = cnt.sort_values(["c", "n", "tag"], ascending=[True, False, True], kind="mergesort").groupby("c", sort=False).head(k)
    size = pd.Series(np.bincount(memb - memb.min()), index=np.arange(memb.min(), memb.max() + 1))
    cnt["share"] = cnt["n"] / cnt["c"].map(size)
    sep = "，" if lang == "zh" else ", "
    out: dict[int, list[str]] = {}
    for ci, t, s in zip(cnt["c"], cnt["tag"], cnt["share"]):
        out.setdefault(int(ci), []).append(f"{_tag(t, lang)} {s:.0%}" if s >= 0.005 else f"{_tag(t, lang)} <1%")
    return pd.Series({ci: sep.join(v) for ci, v in out.items()}, dtype=object)


def _profile_reason(r, lang: str) -> str:
    if r.circle < 0:
        return pick(lang, en=f"no circle: {_pl(r.size, 'owner')} with no ties yet", zh=f"无圈层：{r.size} 位车主尚无任何联系")
    parts = [pick(lang, en=f"“{r.label}”: {_pl(r.size, 'owner')} ({r.share:.1%} of all)",
                  zh=f"「{r.label}」：{r.size} 位车主（占 {r.share:.1%}）")]
    if r.top_cities:
        parts.append(pick(lang, en=f"mostly {r.top_cities}", zh=f"主要城市 {r.top_cities}"))
    parts.append(pick(lang, en=f"density {r.density:.3f}, {r.internal_share:.0%} of ties inside",
                      zh=f"密度 {r.density:.3f}，{r.internal_share:.0%} 的联系在圈内"))
    if r.leaders:
        parts.append(pick(lang, en=f"led by {r.leaders}", zh=f"核心人物 {r.leaders}"))
    if r.n_bridges:
        parts.append(pick(lang, en=f"{_pl(r.n_bridges, 'bridge')} to other circles", zh=f"{r.n_bridges} 位跨圈桥梁"))
    return join(parts, lang)



CIRCLE_MEMBERSHIPS = ResultSpec(
    "circle_memberships",
    key=("owner_id", "circle"),
    columns=(
        Col("owner_id", "str", "", "the owner"),
        Col("circle", "int", "", "a circle the owner belongs to"),
        Col("label", "str", "", "the circle's name (as in circles() and circle_profiles())"),
        Col("strength", "float", "share 0-1", "share of the owner's tie weight that goes into that circle"),
        Col("is_primary", "bool", "", "the owner's primary circle (the one circles() lists)"),
        Col("rank", "int", "", "1 = the owner's strongest membership, 2 = the next ..."),
        Col("reason", "str", "", "the membership in plain words"),
    ),
    sort=(("owner_id", True), ("rank", True)),
    depends=("circles",),
    description="overlapping circles: every circle an owner belongs to, with a strength (owners with no ties have none)",
)


@analysis(CIRCLE_MEMBERSHIPS)
def circle_memberships(
    community: Community,
    *,
    min_strength: float = 0.3,
    max_circles: int = 3,
    circle_options: Mapping[str, Any] | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """Overlapping circles: every circle an owner belongs to, with a strength per owner and circle.

    The belonging coefficient of owner i to circle c is the share of i's tie weight that goes
    into c, ``b_ic = k_ic / k_i`` (one update of Gregory's COPRA label propagation, 2010, started
    from the consensus circles of :func:`circles`).  An owner belongs to their primary circle
    and to every other circle with ``b_ic >= min_strength``, at most ``max_circles`` in all
    (strongest first): an owner who goes to the Shanghai owners' events and comments mostly in
    the photography circle is in both.  Owners with no ties belong to no circle (no rows).
    Linear in ties (one group-by over owner and neighbour circle).

    Parameters
    ----------
    community : graphcrm.community.Community
        The community snapshot.
    min_strength : float, default 0.3
        Smallest share of an owner's tie weight that makes them a member of another circle
        (COPRA's 1/v with v about 3).
    max_circles : int, default 3
        Most circles per owner.
    circle_options : mapping, optional
        Options of :func:`circles` (method, resolution, granularity, seed ...).
    lang : {"en", "zh"}
        Language of ``label`` and ``reason``.

    Returns
    -------
    pandas.DataFrame
        One row per (owner, circle): ``owner_id``; ``circle``; ``label``; ``strength`` (share
        0-1 of the owner's tie weight in that circle); ``is_primary``; ``rank`` (1 = strongest);
        ``reason``.  Sorted by owner_id, then rank.

    Raises
    ------
    ConfigError
        For bad options.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> o = pd.DataFrame({"owner_id": ["a1", "a2", "a3", "b1", "b2", "b3", "z"]})
    >>> ev = pd.DataFrame({"event_id": ["a", "a2", "b"], "starts_at": ["2024-01-01", "2024-01-08", "2024-01-02"]})
    >>> at = pd.DataFrame({"event_id": ["a"] * 4 + ["a2"] * 4 + ["b"] * 4,
    ...                    "owner_id": ["a1", "a2", "a3", "z"] * 2 + ["b1", "b2", "b3", "z"]})
    >>> m = circle_memberships(Community.from_frames({"owners": o, "events": ev, "attendance": at}))
    >>> m[m["owner_id"] == "z"][["circle", "strength", "is_primary"]].round(3).values.tolist()
    [[0, 0.667, True], [1, 0.333, False]]
    """
    lang = check_lang(lang)
    if not 0 < min_strength <= 1:
        raise ConfigError("min_strength must be in (0, 1]")
    if isinstance(max_circles, bool) or not isinstance(max_circles, (int, np.integer)) or max_circles < 1:
        raise ConfigError("max_circles must be a whole number >= 1")
    opts = {k: v for k, v in dict(circle_options or {}).items() if k != "lang"}
    circ = circles(community, lang=lang, **opts)
    circ = circ.set_index("owner_id").reindex(community.owner_ids)
    memb = circ["circle"].to_numpy(np.int64)
    u, v, w = combined_graph(community, **{k: opts[k] for k in ("layer_weights", "half_life_days", "max_event_size")
                                           if k in opts})
    n = len(memb)
    strength = np.bincount(u, weights=w, minlength=n) + np.bincount(v, weights=w, minlength=n)
    kwho, kc, kw = _circle_ties(u, v, w, memb)
    b = kw / np.where(strength[kwho] > 0, strength[kwho], 1.0)
    primary = kc == memb[kwho]
    # an owner of circle c whose ties all leave c still belongs to c (their primary circle)
    has_primary = np.zeros(n, dtype=bool)
    has_primary[kwho[primary]] = True
    lost = np.flatnonzero(~has_primary & (memb >= 0))
    kwho = np.concatenate([kwho, lost])
    kc = np.concatenate([kc, memb[lost]])
    b = np.concatenate([b, np.zeros(len(lost))])
    primary = np.concatenate([primary, np.ones(len(lost), dtype=bool)])
    keep = (primary | (b >= min_strength - 1e-12)) & (kc >= 0)
    df = pd.DataFrame({"o": kwho[keep], "circle": kc[keep], "strength": b[keep], "is_primary": primary[keep]})
    df = df.sort_values(["o", "is_primary", "strength", "circle"], ascending=[True, False, False, True], kind="mergesort")
    # the primary circle always stays; the others by strength up to max_circles
    df["slot"] = df.groupby("o", sort=False).cumcount()
    df = df[df["slot"] < max_circles]
    df = df.sort_values(["o", "strength", "is_primary", "circle"], ascending=[True, False, False, True], kind="mergesort")
    df["rank"] = (df.groupby("o", sort=False).cumcount() + 1).astype(np.int64)
    labels = circle_labels(community, memb, lang=lang)
    df["owner_id"] = community.owner_ids[df["o"].to_numpy()]
    df["label"] = df["circle"].map(labels)
    df["reason"] = [
        (pick(lang, en=f"primary circle “{lab}”: {s:.0%} of their ties", zh=f"主圈层「{lab}」：{s:.0%} 的联系")
         if p else pick(lang, en=f"also in “{lab}”: {s:.0%} of their ties", zh=f"同时属于「{lab}」：{s:.0%} 的联系"))
        for lab, s, p in zip(df["label"], df["strength"], df["is_primary"])]
    return df.drop(columns=["o", "slot"])


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
    if len(a) == 0:
        return {"nmi": 1.0, "ari": 1.0, "n": 0}
    nmi, ari = _agreement(a, b)
    return {"nmi": round(nmi, 12), "ari": round(ari, 12), "n": int(len(a))}


def _agreement(a: np.ndarray, b: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, float]:
    """(NMI, ARI) of two label arrays of the same length (any integers): linear in items.

    ``weights``: items per entry (whole numbers; a coarse-grained vertex stands for that many
    owners), so the result is that of the expanded arrays."""
    a = pd.factorize(np.asarray(a))[0].astype(np.int64)
    b = pd.factorize(np.asarray(b))[0].astype(np.int64)
    if len(a) == 0:
        return 1.0, 1.0
    nb = int(b.max()) + 1
    uk, inv = np.unique(a.astype(np.int64) * nb + b, return_inverse=True)
    if weights is None:
        nij = np.bincount(inv).astype(float)
        ai = np.bincount(a).astype(float)
        bj = np.bincount(b).astype(float)
    else:
        wt = np.asarray(weights, dtype=float)
        nij = np.bincount(inv, weights=wt)
        ai = np.bincount(a, weights=wt)
        bj = np.bincount(b, weights=wt)
    n = float(ai.sum())
    pair_a, pair_b = uk // nb, uk % nb

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
    return float(min(max(nmi, 0.0), 1.0)), float(ari)


def overlap_f1(true_pairs: ArrayLike, pred_pairs: ArrayLike) -> dict[str, float]:
    """Average best-match F1 of two overlapping covers, both ways (Yang & Leskovec 2013).

    For every true group, the F1 (harmonic mean of precision and recall over items) of the
    best-matching predicted group, averaged over true groups; the same from the predicted side;
    ``f1`` is the mean of the two.  Only group pairs that share an item are compared (one
    merge on the item), so it is linear in memberships times the memberships per item.

    Parameters
    ----------
    true_pairs, pred_pairs : array-like of (item, group) pairs
        One row per membership (a partition is one row per item).

    Returns
    -------
    dict
        ``{"f1": float, "f1_true": float, "f1_pred": float}`` (0-1; 1 = the same cover).

    Raises
    ------
    ConfigError
        If a cover is empty.

    Example
    -------
    >>> overlap_f1([(1, "a"), (2, "a"), (3, "b")], [(1, 0), (2, 0), (3, 0), (3, 1)])
    {'f1': 0.9, 'f1_true': 0.9, 'f1_pred': 0.9}
    """
    t = pd.DataFrame(list(map(tuple, true_pairs)), columns=["item", "g"]).drop_duplicates()
    p = pd.DataFrame(list(map(tuple, pred_pairs)), columns=["item", "g"]).drop_duplicates()
    if t.empty or p.empty:
        raise ConfigError("both covers need at least one membership")
    t["item"], p["item"] = t["item"].astype(str), p["item"].astype(str)
    st, sp = t.groupby("g").size(), p.groupby("g").size()
    m = t.merge(p, on="item", suffixes=("_t", "_p")).groupby(["g_t", "g_p"]).size().rename("k").reset_index()
    m["f1"] = 2 * m["k"] / (m["g_t"].map(st).to_numpy() + m["g_p"].map(sp).to_numpy())
    ft = m.groupby("g_t")["f1"].max().reindex(st.index).fillna(0.0).mean()
    fp = m.groupby("g_p")["f1"].max().reindex(sp.index).fillna(0.0).mean()
    return {"f1": round(float((ft + fp) / 2), 10), "f1_true": round(float(ft), 10), "f1_pred": round(float(fp), 10)}
