"""Ambassador selection by influence maximization (OPIM-C over SUBSIM-sampled RR sets).

Pick ``k`` owners whose word reaches the most other owners in expectation under the
Independent Cascade (IC) model (Linear Threshold, LT, as an option), on an influence
graph derived from the community's projections.

Influence graph
---------------
Influence flows **from** the owner who is listened to **to** the owner who listens:

* interactions: the projection is engager -> author (PageRank = authority); influence
  is author -> engager, so its edges are reversed, weight = the engagement weight
  (like 1, favourite 2, comment/reply 3, share 5, optionally time-decayed);
* referrals: referrer -> referee (one unit per referral);
* co-attendance: both ways, weight = sum over shared events of 1/(n-1).

Each layer is scaled by a layer weight (default interactions 1, referrals 5, co-attendance
10, so that one referral counts like a share and sharing one 11-person drive like a like;
change them with ``layers=``), the layers are summed per ordered pair, and the summed
weight ``w(u->v)`` becomes an activation probability:

* ``probability="wc"`` (weighted cascade, default): ``p(u->v) = w(u->v) / W(v)`` with
  ``W(v)`` the total weight into ``v``; with unit weights this is the classical
  ``1/in-degree`` of Kempe et al.  It needs no calibration: an owner who listens to many
  others is swayed by each of them a little, one who listens to a single owner follows
  them.  The in-probabilities of every owner sum to one, so the same numbers are valid
  LT weights.
* ``probability="exp"``: ``p(u->v) = 1 - exp(-lam * w(u->v))``: every unit of observed
  weight is an independent chance ``1 - exp(-lam)`` of passing the word on (default
  ``lam = 0.1``: one like 0.095, a share or a referral 0.39, two comments 0.45).  Absolute
  and comparable across communities, but ``lam`` must be chosen.  For LT the weights of
  an owner are scaled down to sum to one when they exceed it.
* ``probability="learned"`` (the default): probabilities learned from the community's own
  time-ordered history by :mod:`graphcrm.algorithms.influence_learning` (each tie's chance
  to transmit within a horizon, fitted on an internal time split; the layer weights and
  directions come out of the fit), plus each owner's expected *new audience* as leaf nodes
  reached from seeds only, one *group node* per shared event (owner -> event -> owner, instead
  of a tie per pair of co-attendees; :data:`LEARNED_COATTENDANCE`) and an IC cascade of at most
  ``max_hops`` = 2 rounds.  It is the default because it backtests best
  (:mod:`graphcrm.algorithms.backtest`, docs/validation.md); with too little history (fewer
  than 5 tie transmissions and fewer than 5 new-audience examples to learn from) it falls back
  to ``"wc"`` and the stats say so.

Hop limit and leaves
--------------------
``max_hops`` limits the IC cascade to that many rounds: an RR set holds the nodes within
``max_hops`` live reverse hops of its root (the reverse BFS meets nodes in hop order), and
the Monte Carlo check runs that many rounds.  Leaf nodes (``leaf_start``) are reached only
straight from a seed: an RR set rooted at a leaf stops after one hop.  Group nodes
(``groups``) are a pass-through: not a hop, never a root, never stored in an RR set, never
counted.  All three keep the expected spread monotone and submodular, so the guarantee below
holds for these models too.

Algorithm
---------
Reverse-influence sampling: an RR set is the set of owners that would have influenced a
random owner in one random world (reverse BFS over live in-edges for IC, a reverse random
walk for LT), and ``n * Pr[S meets a random RR set]`` is the expected reach of ``S``.  RR
sets are sampled in compiled code on all cores with SUBSIM-style subset sampling (see
:mod:`graphcrm.algorithms._rrsets`) and stored compactly: R2 as one flat uint32 array plus
int64 offsets, R1 (the greedy's, 16 times larger) sorted and varint-delta coded in one byte
array (about 1.3 bytes per node id instead of 4).  OPIM-C
(Tang et al., SIGMOD 2018) samples two independent collections R1 and R2, runs greedy
maximum coverage on R1, certifies the result with a lower confidence bound of its reach
on R2 against an upper bound of the optimum from R1 (the smallest, over the greedy's
steps, of the coverage so far plus the k largest marginal coverages), and doubles both
until the certified ratio reaches ``1 - 1/e - eps`` (holding with probability
``1 - delta``).  Two departures from the published algorithm, both about the quality of
the picks rather than the guarantee (which they keep):

* R1 is kept 16 times as large as R2 (``r1_ratio``): both bounds hold for any two sizes.
  On a 100,000-node weighted-cascade benchmark the balanced version stops with picks whose
  Monte Carlo spread is 2-3% below the best seed set known, the 16:1 split about 1% below for
  some 6% more samples (docs/benchmarks.md).
* Certification alone can stop very early when the reach is large (on the Higgs retweet
  network after 12,752 RR sets, where the 50th pick rests on 27 sets).  Sampling goes on
  (at most ``refine`` = 3 more doublings) until the last pick's marginal coverage rests on
  at least ``1/eps**2`` sets, so that each pick's gain is known to about ``eps``.

Constraints (exclusions, per-group caps, costs with a budget) are applied inside the
greedy.  The ``1 - 1/e - eps`` guarantee is for the cardinality constraint over the
eligible owners (exclusions keep it); with caps or a budget the stopping rule uses the
greedy's own worst-case ratio (1/2 for one kind of cap, 1/3 for city and circle caps
together, (1 - 1/e)/2 for a budget); the ratio actually certified (against the best
*unconstrained* eligible ``k``-set, so also a valid bound for the constrained optimum) is
reported in ``AmbassadorDetails.approximation`` (``details=True``).
"""
from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from graphcrm.algorithms import _rrsets as rr
from graphcrm.arrays import unique_sorted
from graphcrm.results import Col, ResultSpec, analysis

MODELS = ("ic", "lt")
#: probability models of the influence graph (each backtested as ``ambassadors:<name>``)
PROBABILITIES = ("wc", "exp", "learned")
#: the credit-distribution model (:mod:`graphcrm.algorithms.credit`): no influence graph, the
#: spread is the credit earned in the log; backtested as method ``credit``
CREDIT = "credit"
#: every ``probability=`` :func:`ambassadors` and :func:`spread` accept
AMBASSADOR_PROBABILITIES = (*PROBABILITIES, CREDIT)
LAYERS = ("interactions", "referrals", "coattendance")
#: default layer weights (see the module docstring)
DEFAULT_LAYERS: dict[str, float] = {"interactions": 1.0, "referrals": 5.0, "coattendance": 10.0}
DEFAULT_LAM = 0.1
#: the probability model of :func:`ambassadors` and :func:`spread` when none is given (docs/validation.md)
DEFAULT_PROBABILITY = "learned"
#: rounds of the IC cascade under the learned model (the backtest's chains of at most 2 exposures)
LEARNED_MAX_HOPS = 2
#: how the learned IC model keeps ties that are only a shared event: "events" (one group node
#: per event, owner -> event -> owner) or "pairs" (one tie per ordered pair of attendees);
#: docs/benchmarks.md "Shared events as group nodes" has the backtest of both
LEARNED_COATTENDANCE = "events"
#: RR sets (at least) behind the reported marginal gains and spread curve of :func:`ambassadors`
EVAL_RR_SETS = 50_000
_E1 = 1.0 - 1.0 / math.e


def _config_error(msg: str) -> Exception:
    from graphcrm.errors import ConfigError

    return ConfigError(msg)


# =============================================================================== graph
@dataclass
class InfluenceGraph:
    """A directed influence graph ready for sampling.

    Build it with :func:`influence_graph`.  ``reverse`` (in-edges, for RR sets) is built at
    once, ``forward`` (out-edges, for Monte Carlo) on first use.
    """

    n: int
    model: int
    src: np.ndarray
    dst: np.ndarray
    prob: np.ndarray
    reverse: rr.CSRGraph
    _forward: rr.CSRGraph | None = field(default=None, repr=False)
    #: IC only: the cascade runs at most this many rounds (0 = until it stops)
    max_hops: int = 0
    #: IC only: nodes from this id on are leaves, reached from seeds only (-1 = none)
    leaf_start: int = -1
    _forward_core: rr.CSRGraph | None = field(default=None, repr=False)
    #: IC only: group nodes ``groups[0] .. groups[1]-1`` (shared events: a pass-through that is
    #: not a hop, never a root, never counted; (0, 0) = none)
    groups: tuple[int, int] = (0, 0)

    @property
    def n_counted(self) -> int:
        """Nodes whose activation counts as reach (all but the group nodes)."""
        return self.n - (self.groups[1] - self.groups[0])

    @property
    def m(self) -> int:
        return int(self.src.shape[0])

    @property
    def forward(self) -> rr.CSRGraph:
        if self._forward is None:
            self._forward = rr.build_csr(self.n, self.src, self.dst, self.prob)
        return self._forward

    @property
    def forward_core(self) -> rr.CSRGraph:
        """Out-edges without the edges into leaves (the cascade among non-leaf nodes)."""
        if self.leaf_start < 0:
            return self.forward
        if self._forward_core is None:
            keep = self.dst.astype(np.int64) < self.leaf_start
            self._forward_core = rr.build_csr(self.n, self.src[keep], self.dst[keep], self.prob[keep])
        return self._forward_core


def influence_graph(n: int, src: Any, dst: Any, prob: Any, *, model: str = "ic", max_hops: int = 0,
                    leaf_start: int = -1, groups: tuple[int, int] = (0, 0)) -> InfluenceGraph:
    """Validate edges ``src -> dst`` with probabilities (IC) or weights (LT) and index them.

    Parameters
    ----------
    n : int
        Number of nodes (ids ``0 .. n-1``).
    src, dst : array-like of int
        Edge endpoints; influence flows from ``src`` to ``dst``.  Self-loops and edges with
        probability 0 are dropped.
    prob : array-like of float
        Activation probability in ``[0, 1]`` (IC) or LT weight (the weights into every node
        must sum to at most 1).
    model : {"ic", "lt"}
    max_hops : int, default 0
        IC only: influence travels at most this many ties from a seed (the cascade runs
        this many rounds; 0 = no limit).  The expected spread stays monotone and
        submodular, so the OPIM-C guarantee holds for this model too.
    leaf_start : int, default -1
        IC only: nodes ``leaf_start .. n-1`` are *leaves*: reached only straight from a seed
        (over their one in-edge), never further down a cascade.  The spread is then the
        hop-limited spread over the other nodes plus the expected live leaf edges of the
        seeds: still monotone and submodular (used for the learned model's new audience).
    groups : (int, int), default (0, 0)
        IC only: nodes ``groups[0] .. groups[1]-1`` are *group* nodes (the learned model's
        shared events: owner -> event -> owner instead of every pair of attendees).  A group
        node is a pass-through: it is not a hop (``u -> event -> v`` is one tie for
        ``max_hops``), never a root of an RR set and never counted in a spread; it must lie
        before ``leaf_start`` and link only to non-group nodes.  Each edge still fires
        independently, so the spread stays monotone and submodular over the other nodes.

    Returns
    -------
    InfluenceGraph

    Raises
    ------
    ValueError
        Bad model, lengths, ids or probabilities.

    Example
    -------
    >>> g = influence_graph(3, [0, 1], [1, 2], [0.5, 0.5])
    >>> g.n, g.m
    (3, 2)
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    max_hops = int(max_hops)
    if max_hops < 0 or (max_hops and model != "ic"):
        raise ValueError("max_hops must be 0 or more, and only applies to the IC model")
    leaf_start = int(leaf_start)
    if leaf_start >= 0 and model != "ic":
        raise ValueError("leaves only apply to the IC model")
    g0, g1 = (int(groups[0]), int(groups[1]))
    if g1 > g0:
        if model != "ic":
            raise ValueError("group nodes only apply to the IC model")
        if g0 < 0 or g1 > n or (0 <= leaf_start < g1):
            raise ValueError("group nodes must be node ids before the leaves")
    else:
        g0 = g1 = 0
    # 32-bit ids stay as they are (the learned graph's 54M edges at 1M owners: no 2 x 435 MB of
    # int64 copies); anything else becomes int64 as before
    src, dst = (np.asarray(a) for a in (src, dst))
    src, dst = (a.ravel() if a.dtype in (np.int32, np.uint32) else np.asarray(a, dtype=np.int64).ravel() for a in (src, dst))
    p = np.asarray(prob, dtype=np.float64).ravel()
    if not (src.shape == dst.shape == p.shape):
        raise ValueError("src, dst and prob must have the same length")
    if not np.all(np.isfinite(p)) or (p.size and (p.min() < 0 or p.max() > 1)):
        raise ValueError("probabilities must lie in [0, 1]")
    keep = (src != dst) & (p > 0)
    if not keep.all():  # no copy when nothing is dropped (tens of millions of edges at 1M owners)
        src, dst, p = src[keep], dst[keep], p[keep]
    del keep
    mcode = rr.MODEL_IC if model == "ic" else rr.MODEL_LT
    if mcode == rr.MODEL_LT and dst.size:
        tot = np.bincount(dst, weights=p, minlength=n)
        if tot.max() > 1.0 + 1e-6:
            raise ValueError("LT weights into a node must sum to at most 1")
    reverse = rr.build_csr(n, dst, src, p, with_cum=mcode == rr.MODEL_LT)
    small = np.uint32 if n < 2**32 else np.int64
    return InfluenceGraph(n, mcode, src.astype(small, copy=False), dst.astype(small, copy=False), p.astype(np.float32), reverse,
                          max_hops=max_hops, leaf_start=leaf_start if 0 <= leaf_start < n else -1, groups=(g0, g1))


# =============================================================================== OPIM-C
@dataclass
class SeedSelection:
    """What :func:`select_seeds` found.

    Attributes
    ----------
    picks : int64 node ids in pick order.
    marginal_gain : expected extra reach of each pick given the earlier ones (from R2,
        grown to ``eval_sets``).
    cumulative_reach : expected reach of each prefix of the picks (from R2).
    greedy_gain : marginal coverage of each pick on R1 scaled to nodes (biased upward).
    reach : expected reach of the whole set (n * coverage on R2 / |R2|).
    approximation : certified lower bound on reach(picks) / reach(best eligible k-set),
        valid with probability ``1 - delta``.
    target : the ratio the stopping rule aimed for.
    opt_upper : the upper confidence bound on the optimum's reach.
    r1_sets, r2_sets : RR sets in R1 (selection) and R2 (certificate) when the certificate
        was checked; rr_entries : node ids stored in R1 + R2 (R2 grown to ``eval_sets``).
    iterations : OPIM-C rounds; theta_max : the sample size at which OPIM-C stops anyway.
    seconds : wall time per stage (``sampling``, ``greedy``, ``validation``).
    """

    picks: np.ndarray
    marginal_gain: np.ndarray
    cumulative_reach: np.ndarray
    greedy_gain: np.ndarray
    reach: float
    approximation: float
    target: float
    opt_upper: float
    r1_sets: int
    r2_sets: int
    rr_entries: int
    iterations: int
    theta_max: int
    seconds: dict[str, float]


def _lncnk(n: int, k: int) -> float:
    k = min(k, n)
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _node_masks(n: int, eligible: Any, active: Any, roots: Any, n_counted: int | None = None
                ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, int]:
    """Checked eligible mask, active mask (uint8 or None), sorted root ids and root count."""
    elig = np.ones(n, dtype=np.bool_) if eligible is None else np.asarray(eligible, dtype=np.bool_).copy()
    if elig.shape != (n,):
        raise ValueError("eligible must have one entry per node")
    act = None
    if active is not None:
        act = np.asarray(active, dtype=np.bool_)
        if act.shape != (n,):
            raise ValueError("active must have one entry per node")
        elig &= ~act
        act = act.astype(np.uint8) if act.any() else None
    root_ids = None
    if roots is not None:
        root_ids = unique_sorted(np.asarray(roots, dtype=np.int64))
        if root_ids.size and (root_ids[0] < 0 or root_ids[-1] >= n):
            raise ValueError("roots must be node ids")
    n_root = (n if n_counted is None else int(n_counted)) if root_ids is None else int(root_ids.size)
    return elig, act, root_ids, n_root


def _group_caps(n: int, group: Any, caps: Any) -> tuple[np.ndarray, np.ndarray]:
    """Checked group ids as an (n, c) int64 array and the caps per group id."""
    if group is None:
        return np.full((n, 0), -1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    grp = np.asarray(group, dtype=np.int64)
    if grp.ndim == 1:
        grp = grp[:, None]
    grp = np.ascontiguousarray(grp)
    capv = np.asarray(caps, dtype=np.int64).ravel()
    if grp.shape[0] != n or (grp.size and grp.max() >= capv.shape[0]):
        raise ValueError("group ids must index caps")
    if capv.size and capv.min() < 0:
        raise ValueError("caps must be non-negative")
    return grp, capv


def _budget_costs(n: int, elig: np.ndarray, cost: Any, budget: Any) -> tuple[bool, np.ndarray, float]:
    """Checked costs and budget (unaffordable nodes cleared from ``elig`` in place)."""
    if (cost is None) != (budget is None):
        raise ValueError("give both cost and budget, or neither")
    if budget is None:
        return False, np.ones(n, dtype=np.float64), -1.0
    costv = np.asarray(cost, dtype=np.float64)
    if costv.shape != (n,) or not np.all(costv > 0) or not np.all(np.isfinite(costv)):
        raise ValueError("costs must be positive and finite, one per node")
    bud = float(budget)
    if bud < 0:
        raise ValueError("budget must be non-negative")
    elig &= costv <= bud
    return True, costv, bud


def _group_mins(mins: Any, capv: np.ndarray) -> np.ndarray | None:
    """Checked minimum picks per group id, or None when there are none."""
    if mins is None or not np.any(mins):
        return None
    minv = np.asarray(mins, dtype=np.int64).ravel()
    if minv.shape != capv.shape or minv.min() < 0:
        raise ValueError("mins must give one non-negative minimum per group id")
    return minv


def _target_ratio(n_kinds: int | None, use_budget: bool) -> float:
    """Worst-case ratio of the greedy under the constraints (``n_kinds`` None = no caps)."""
    target = _E1
    if n_kinds is not None:
        target = 1.0 / (1 + n_kinds)  # greedy on the intersection of c partition matroids
    if use_budget:
        target = _E1 / 2
    return target


def _opim_sizes(n_elig: int, n_root: int, k_eff: int, eps: float, delta: float, max_rounds: int | None
                ) -> tuple[int, int, int, float]:
    """OPIM-C's first and largest R2 sizes, number of rounds and the per-round log term."""
    # OPIM-C sample sizes (Tang et al. 2018, Alg. 2; as in the authors' code)
    lnd = math.log(6.0 / delta)
    a_ = math.sqrt(lnd)
    b_ = math.sqrt(_E1 * (_lncnk(max(n_elig, 1), k_eff) + lnd))
    theta0 = max(1, int(math.ceil(2.0 * (_E1 * a_ + b_) ** 2)))
    theta_max = int(math.ceil(2.0 * n_root * (_E1 * a_ + b_) ** 2 / (k_eff * eps * eps))) + 1
    rounds = int(math.floor(math.log2(max(theta_max / theta0, 1.0)))) + 1
    if max_rounds is not None:
        rounds = max(1, min(rounds, int(max_rounds)))
    a1 = math.log(3.0 * rounds / delta)
    return theta0, theta_max, rounds, a1


def _certified_ratio(hits: float, upper_cov: float, a1: float, theta: int, theta1: int) -> float:
    """OPIM-C's certified ratio: lower bound of R2's coverage over upper bound of the optimum's."""
    lower = (math.sqrt(hits + 2.0 * a1 / 9.0) - math.sqrt(a1 / 2.0)) ** 2 - a1 / 18.0
    upper = (math.sqrt(upper_cov + a1 / 2.0) + math.sqrt(a1 / 2.0)) ** 2
    return (lower / theta) / (upper / theta1) if upper > 0 else 1.0


def _opim_round(r1: Any, r2: Any, theta: int, theta1: int, *, n: int, k_eff: int, elig: np.ndarray,
                grp: np.ndarray, capv: np.ndarray, cost: np.ndarray | None, budget: float | None,
                bound_every: int, mins: np.ndarray | None, threads: int | None, progress: Any,
                secs: dict[str, float]) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """One OPIM-C round: grow R1/R2, greedy on R1, coverage curve on R2 (``secs`` updated)."""
    t0 = time.perf_counter()
    r1.grow_to(theta1, threads=threads, progress=progress)
    r2.grow_to(theta, threads=threads, progress=progress)
    t1 = time.perf_counter()
    picks, gains1, bound = max_coverage(r1.data, r1.offsets, n, k_eff, eligible=elig, group=grp, caps=capv,
                                        cost=cost, budget=budget, bound_every=bound_every, packed=True,
                                        counts=r1.counts, mins=mins)
    t2 = time.perf_counter()
    cov2 = rr.coverage_curve(r2.flat, r2.offsets, picks, n)
    t3 = time.perf_counter()
    secs["sampling"] += t1 - t0
    secs["greedy"] += t2 - t1
    secs["validation"] += t3 - t2
    return picks, gains1, bound, cov2


def _eval_coverage(r2: Any, picks: np.ndarray, cov2: np.ndarray, *, n: int, eval_sets: int,
                   threads: int | None, progress: Any, secs: dict[str, float]) -> np.ndarray:
    """R2's coverage curve of the picks, R2 first grown to ``eval_sets`` sets (``secs`` updated)."""
    if eval_sets > len(r2) and picks.size:
        t0 = time.perf_counter()
        r2.grow_to(int(eval_sets), threads=threads, progress=progress)
        cov2 = rr.coverage_curve(r2.flat, r2.offsets, picks, n)
        secs["validation"] += time.perf_counter() - t0
    return cov2


def select_seeds(
    graph: InfluenceGraph,
    *,
    k: int,
    eps: float = 0.1,
    delta: float | None = None,
    seed: int = 0,
    eligible: np.ndarray | None = None,
    group: np.ndarray | None = None,
    caps: np.ndarray | None = None,
    cost: np.ndarray | None = None,
    budget: float | None = None,
    threads: int | None = None,
    progress: Any = None,
    max_rounds: int | None = None,
    eval_sets: int = 0,
    r1_ratio: int = 16,
    refine: int = 3,
    roots: np.ndarray | None = None,
    active: np.ndarray | None = None,
    mins: np.ndarray | None = None,
) -> SeedSelection:
    """OPIM-C seed selection with constraints, on an :class:`InfluenceGraph`.

    The ``(1 - 1/e - eps)`` approximation (with probability ``1 - delta``) holds for
    picking at most ``k`` of the eligible nodes.  With ``caps`` or a ``budget`` the greedy
    only guarantees 1/2 (caps of one kind: a partition matroid), 1/3 (two kinds, e.g. per
    city and per circle: two matroids) or ``(1 - 1/e)/2`` (budget: best of the
    cost-effective greedy and the best single affordable node, Khuller et al. 1999 /
    Leskovec et al. 2007; with caps as well no worst-case ratio is claimed); sampling stops
    when that ratio minus ``eps`` is certified.  ``approximation`` in the result is the ratio actually certified against
    the best eligible ``k``-set, whatever the constraints.

    Parameters
    ----------
    graph : InfluenceGraph
    k : int
        Maximum number of picks.
    eps : float, default 0.1
        Approximation slack, in (0, 1).
    delta : float, optional
        Failure probability (default ``1/n``).
    seed : int, default 0
        Same seed (and graph) -> same picks, whatever the number of threads.
    eligible : bool array (n,), optional
        False for nodes that must never be picked.
    group, caps : int arrays, optional
        Group id per node (-1 = no group), shape (n,) or (n, c) for c kinds of groups
        (e.g. city and circle), and the maximum picks per group id.
    cost : float array (n,), optional; budget : float, optional
        Cost per node (> 0) and the total budget (both or neither).
    threads : int, optional
        Sampling threads (default: numba's thread count, i.e. all cores).
    progress : callable, optional
        Called with the number of RR sets sampled after each chunk.
    max_rounds : int, optional
        Stop after this many OPIM-C rounds even if the ratio is not certified (testing).
    r1_ratio : int, default 16
        R1 (the greedy's sample) holds this many times as many RR sets as R2 (the
        certificate's).  The OPIM-C bounds hold for any two sizes; the certificate needs
        far fewer sets than a stable choice does, so a larger R1 buys better picks and a
        tighter upper bound for little extra time (1 gives the published, balanced OPIM-C).
    refine : int, default 3
        After the ratio is certified, keep doubling both collections (at most ``refine``
        more rounds) until the last pick's marginal coverage rests on at least
        ``1/eps**2`` RR sets, i.e. every pick's marginal gain is estimated to within about
        ``eps`` (one standard error).  The certificate is re-checked every round; the result
        of the last certified round is returned.  0 gives OPIM-C's plain stopping rule.
    eval_sets : int, default 0
        After the certificate, grow R2 to at least this many sets before estimating the
        per-pick gains and the spread curve (R2 never influences the picks, so the estimate
        stays unbiased; more sets make the marginal gains less noisy).
    roots : int array, optional
        Count reach only among these nodes (a target segment): RR sets are rooted at them
        only, and reach is ``len(roots) * Pr[a random set is hit]``.  The guarantee holds for
        this reach (still a monotone submodular coverage function).
    active : bool array (n,), optional
        Nodes already active (existing ambassadors): never picked, and what they reach is
        not counted again (a set they hit is covered before the greedy starts), so reach and
        gains are *additional* to theirs; the guarantee holds for this marginal reach.
    mins : int array, optional
        Minimum picks per group id of ``group`` (0 = none): the greedy keeps room for unmet
        minimums (see :func:`graphcrm.algorithms._rrsets.greedy_cover`).  No worst-case ratio
        is known for minimums; the stopping rule uses the caps' ratio and the ratio actually
        certified is reported.

    Returns
    -------
    SeedSelection

    Raises
    ------
    ValueError
        Bad parameters.

    Example
    -------
    >>> g = influence_graph(4, [0, 0, 0], [1, 2, 3], [1.0, 1.0, 1.0])
    >>> select_seeds(g, k=1, seed=1).picks.tolist()
    [0]
    """
    n = graph.n
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError("k must be a positive integer")
    if not 0 < eps < 1:
        raise ValueError("eps must lie in (0, 1)")
    delta = 1.0 / max(n, 2) if delta is None else float(delta)
    if not 0 < delta < 1:
        raise ValueError("delta must lie in (0, 1)")
    elig, act, root_ids, n_root = _node_masks(n, eligible, active, roots, graph.n_counted)
    elig[graph.groups[0]:graph.groups[1]] = False  # group nodes (shared events) are never picked
    grp, capv = _group_caps(n, group, caps)
    use_budget, costv, bud = _budget_costs(n, elig, cost, budget)
    minv = _group_mins(mins, capv)
    n_elig = int(elig.sum())
    result_empty = n_elig == 0 or n_root == 0
    k_eff = max(1, min(int(k), n_elig))

    constrained = group is not None or use_budget
    target = _target_ratio(None if group is None else grp.shape[1], use_budget)
    theta0, theta_max, rounds, a1 = _opim_sizes(n_elig, n_root, k_eff, eps, delta, max_rounds)

    r1 = rr.RRCollection(graph.reverse, graph.model, seed, stream=1, packed=True, max_depth=graph.max_hops,
                         leaf_start=graph.leaf_start, roots=root_ids, active=act, groups=graph.groups)
    r2 = rr.RRCollection(graph.reverse, graph.model, seed, stream=2, max_depth=graph.max_hops,
                         leaf_start=graph.leaf_start, roots=root_ids, active=act, groups=graph.groups)
    secs = {"sampling": 0.0, "greedy": 0.0, "validation": 0.0}
    bound_every = 1 if n * k_eff <= 50_000_000 else max(1, k_eff // 16)
    picks = np.zeros(0, dtype=np.int64)
    gains1 = np.zeros(0, dtype=np.int64)
    cov2 = np.zeros(0, dtype=np.int64)
    ratio = 0.0
    upper_cov = 0.0
    theta = theta1 = theta0
    it = 0
    best = None
    first_certified = None
    min_gain = math.ceil(1.0 / (eps * eps))
    refine = max(0, int(refine))
    r1_ratio = int(r1_ratio)
    if r1_ratio < 1:
        raise ValueError("r1_ratio must be a positive integer")
    if result_empty:
        return SeedSelection(picks, np.zeros(0), np.zeros(0), np.zeros(0), 0.0, 1.0, target, 0.0, 0, 0, 0, 0,
                             theta_max, secs)
    for it in range(1, rounds + 1):
        theta = theta0 << (it - 1)
        theta1 = theta * r1_ratio
        picks, gains1, bound, cov2 = _opim_round(
            r1, r2, theta, theta1, n=n, k_eff=k_eff, elig=elig, grp=grp, capv=capv,
            cost=costv if use_budget else None, budget=bud if use_budget else None, bound_every=bound_every,
            mins=minv, threads=threads, progress=progress, secs=secs)
        cov1 = float(gains1.sum())
        upper_cov = float(bound)
        if not constrained:
            upper_cov = min(upper_cov, cov1 / _E1)
        hits = float(cov2[-1]) if cov2.size else 0.0
        ratio = _certified_ratio(hits, upper_cov, a1, theta, theta1)
        if ratio >= target - eps:
            best = (picks, gains1, cov2, ratio, upper_cov, theta, theta1, it)
            if first_certified is None:
                first_certified = it
            # precise enough: the last pick's marginal coverage rests on >= 1/eps^2 RR sets
            if gains1.size == 0 or gains1[-1] >= min_gain:
                break
        if first_certified is not None and it - first_certified >= refine:
            break
    if best is not None:  # the last certified round (every round's check is in the union bound)
        picks, gains1, cov2, ratio, upper_cov, theta, theta1, it = best
    scale = n_root / float(theta1)
    upper_reach = (math.sqrt(upper_cov + a1 / 2.0) + math.sqrt(a1 / 2.0)) ** 2 * scale
    cov2 = _eval_coverage(r2, picks, cov2, n=n, eval_sets=eval_sets, threads=threads, progress=progress,
                          secs=secs)
    reach_curve = cov2.astype(np.float64) * (n_root / float(len(r2)))
    gains = np.diff(np.r_[0.0, reach_curve])
    return SeedSelection(
        picks=picks.astype(np.int64),
        marginal_gain=gains,
        cumulative_reach=reach_curve,
        greedy_gain=gains1.astype(np.float64) * scale,
        reach=float(reach_curve[-1]) if reach_curve.size else 0.0,
        approximation=float(max(ratio, 0.0)),
        target=float(target),
        opt_upper=float(upper_reach),
        r1_sets=int(theta1),
        r2_sets=int(theta),
        rr_entries=int(r1.total_size + r2.total_size),
        iterations=int(it),
        theta_max=int(theta_max),
        seconds=secs,
    )


def _checked_sets(flat: Any, offsets: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Plain RR sets as (uint32 ids, int64 offsets), checked before the compiled code reads
    them (an id outside ``0..n-1`` or offsets that do not delimit ``flat`` would read or write
    out of bounds there).  A set may repeat an id: it counts once.

    Raises
    ------
    ConfigError
        Ids outside ``0..n-1``; offsets not starting at 0, decreasing, or not ending at ``len(flat)``.
    """
    f = np.asarray(flat)
    o = np.asarray(offsets)
    if f.ndim != 1 or o.ndim != 1 or len(o) < 1:
        raise _config_error("RR sets must be a 1-d array of ids and a 1-d array of offsets")
    if len(f) and (not np.issubdtype(f.dtype, np.integer) or int(f.min()) < 0 or int(f.max()) >= n):
        raise _config_error(f"RR set ids must be integers in 0..{n - 1}")
    if not np.issubdtype(o.dtype, np.integer) or int(o[0]) != 0 or int(o[-1]) != len(f) \
            or (len(o) > 1 and bool((np.diff(o) < 0).any())):
        raise _config_error("RR set offsets must start at 0, never decrease and end at the number of ids")
    return np.ascontiguousarray(f, dtype=np.uint32), np.ascontiguousarray(o, dtype=np.int64)


def max_coverage(flat: np.ndarray, offsets: np.ndarray, n: int, k: int, *, eligible: np.ndarray,
                 group: np.ndarray | None = None, caps: np.ndarray | None = None,
                 cost: np.ndarray | None = None, budget: float | None = None,
                 bound_every: int = 1, packed: bool = False,
                 counts: np.ndarray | None = None,
                 mins: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Constrained greedy maximum coverage of RR sets (compiled, lazy, linear in their size).

    Builds the node -> RR-set index, runs the lazy greedy with exclusions, caps and costs
    (cost-effective greedy: the key is marginal coverage / cost), and with a budget returns
    the better of that greedy and the best single affordable node.

    Parameters
    ----------
    flat, offsets : the RR sets (uint32 node ids, int64 offsets), or with ``packed`` the
        bytes and byte offsets of a packed collection (:class:`RRCollection`).
    n, k : number of nodes and maximum number of picks.
    eligible : bool (n,); group : int64 (n, c); caps : int64; cost : float64 (n,); budget : float
        As in :func:`select_seeds` (``group``/``caps`` may be omitted).
    bound_every : int
        Compute the OPIM-C upper bound every this many greedy steps.
    packed : bool, default False
        ``flat``/``offsets`` are packed.
    counts : int64 array, optional
        How many sets contain each node, when already known (:attr:`RRCollection.counts`).
    mins : int64 array, optional
        Minimum picks per group id (0 = none), as in :func:`select_seeds`.

    Returns
    -------
    tuple
        ``(picks, gains, bound)``: picked nodes in order, their marginal coverage (number of
        RR sets) and an upper bound on the coverage of any eligible ``k``-set.

    Raises
    ------
    ConfigError
        Plain sets with an id outside ``0..n-1`` or offsets that do not delimit ``flat``
        (a set may repeat an id: it counts once).

    Example
    -------
    >>> flat = np.array([0, 1, 1, 2], dtype=np.uint32); offsets = np.array([0, 2, 3, 4])
    >>> max_coverage(flat, offsets, 3, 1, eligible=np.ones(3, bool))[0].tolist()
    [1]
    """
    if group is None:
        group = np.full((n, 0), -1, dtype=np.int64)
        caps = np.zeros(0, dtype=np.int64)
    group = np.ascontiguousarray(np.asarray(group, dtype=np.int64).reshape(n, -1))
    caps = np.asarray(caps, dtype=np.int64)
    minv = np.zeros(0, dtype=np.int64) if mins is None or not np.any(mins) else np.asarray(mins, dtype=np.int64)
    elig = np.asarray(eligible, dtype=np.bool_)
    use_budget = budget is not None
    costv = np.asarray(cost, dtype=np.float64) if use_budget else np.ones(n, dtype=np.float64)
    bud = float(budget) if use_budget else -1.0
    if packed:
        data, boff = flat, offsets
    else:
        data, boff = rr.pack_sets(*_checked_sets(flat, offsets, n), n, rr._DEBRUIJN_INDEX)
    cov0 = rr.node_counts(data, boff, n) if counts is None else np.asarray(counts, dtype=np.int64)
    key0 = np.where(elig & (cov0 > 0), cov0 / costv, 0.0)
    n_pos = int(np.count_nonzero(key0))
    # Index only the likeliest picks (the nodes with the highest initial key): most of the
    # index's memory sits in the long tail.  All nodes still compete; a tail node that wins
    # a step is looked up by a scan, and after a few such scans the pool is widened.
    pool = max(256, 8 * int(k))
    while True:
        if pool >= n_pos:
            cand = np.ones(n, dtype=np.bool_)
        else:
            cand = np.zeros(n, dtype=np.bool_)
            cand[np.argsort(-key0, kind="stable")[:pool]] = True
        ptr, sets = rr._invert(data, boff, cov0, cand)
        picks, gains, bound, ok = rr.greedy_cover(data, boff, ptr, sets, cov0, cand, int(k), elig, group, caps,
                                                  costv, bud, int(bound_every), 8, minv)
        del ptr, sets
        if ok:
            break
        pool *= 8
    if use_budget and picks.size and minv.size == 0:
        deg = np.where(elig & (costv <= bud), cov0, -1)
        best = int(np.argmax(deg))  # first maximum: smallest id
        if deg[best] > gains.sum():
            picks = np.array([best], dtype=np.int64)
            gains = np.array([deg[best]], dtype=np.int64)
    return picks, gains, int(bound)


def spread_mc(graph: InfluenceGraph, seeds: Any, *, runs: int = 1000, seed: int = 0,
              threads: int | None = None) -> dict[str, float]:
    """Monte Carlo expected spread (seeds included) with a 95% confidence interval.

    Forward simulations of the graph's model, compiled and run on all cores; run ``i`` is
    a fixed function of ``(seed, i)``.

    Parameters
    ----------
    graph : InfluenceGraph
    seeds : array-like of int
    runs : int, default 1000
    seed : int, default 0
    threads : int, optional

    Returns
    -------
    dict
        ``mean``, ``ci_low``, ``ci_high`` (normal approximation, mean +- 1.96 standard
        errors), ``std`` (of one run) and ``runs``.

    Example
    -------
    >>> g = influence_graph(2, [0], [1], [1.0])
    >>> spread_mc(g, [0], runs=10)["mean"]
    2.0
    """
    runs = int(runs)
    if runs < 1:
        raise ValueError("runs must be positive")
    seeds = np.unique(np.asarray(seeds, dtype=np.int64))
    s = rr.monte_carlo(graph.forward_core, graph.model, seeds, runs, seed,
                       threads=threads, max_depth=graph.max_hops, groups=graph.groups).astype(np.float64)
    if graph.leaf_start >= 0 and seeds.size:
        # leaves hang off seeds only: add each run's live leaf edges of the seeds
        d = graph.dst.astype(np.int64)
        on = (d >= graph.leaf_start) & np.isin(graph.src.astype(np.int64), seeds)
        if on.any():
            p = graph.prob[on].astype(np.float64)
            pv, cnt = np.unique(p, return_counts=True)
            rng = np.random.default_rng([int(seed), 0x1EAF])
            s = s + rng.binomial(cnt[None, :], pv[None, :], size=(runs, len(pv))).sum(axis=1)
    mean = float(s.mean())
    std = float(s.std(ddof=1)) if runs > 1 else 0.0
    half = 1.96 * std / math.sqrt(runs)
    return {"mean": mean, "ci_low": mean - half, "ci_high": mean + half, "std": std, "runs": runs}


# =============================================================================== community level
def _layer_weights(layers: Any) -> dict[str, float]:
    if layers is None:
        return dict(DEFAULT_LAYERS)
    if isinstance(layers, str):
        layers = [layers]
    if isinstance(layers, Mapping):
        out = {name: 0.0 for name in LAYERS}
        for name, w in layers.items():
            if name not in LAYERS:
                raise _config_error(f"unknown layer {name!r}; layers are {', '.join(LAYERS)}")
            w = float(w)
            if not math.isfinite(w) or w < 0:
                raise _config_error(f"layer weight of {name} must be a non-negative number")
            out[name] = w
    else:
        names = list(layers)
        unknown = [x for x in names if x not in LAYERS]
        if unknown:
            raise _config_error(f"unknown layer(s) {unknown}; layers are {', '.join(LAYERS)}")
        out = {name: (DEFAULT_LAYERS[name] if name in names else 0.0) for name in LAYERS}
    if not any(v > 0 for v in out.values()):
        raise _config_error("at least one layer needs a positive weight")
    return out


def influence_edges(community: Any, *, layers: Any = None, half_life_days: float | None = None,
                    max_event_size: int | None = None) -> pd.DataFrame:
    """The weighted influence edges of a community, summed over layers.

    Parameters
    ----------
    community : graphcrm.community.Community
    layers : dict or list, optional
        Layer weights (``{"interactions": 1, "referrals": 5, "coattendance": 10}`` by
        default) or the names of the layers to use with their default weights.
    half_life_days : float, optional
        Time decay of the interaction layer.
    max_event_size : int, optional
        Co-attendance option (default: the projection's default, 150).

    Returns
    -------
    pandas.DataFrame
        ``src``, ``dst`` (vertex numbers in ``community.owner_ids``; influence flows
        src -> dst), ``weight`` (summed scaled weight) and one column per layer with that
        layer's scaled contribution (``interactions``, ``referrals``, ``coattendance``).

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> o = pd.DataFrame({"owner_id": ["a", "b"]})
    >>> r = pd.DataFrame({"referrer_id": ["a"], "referee_id": ["b"], "stage": ["order"],
    ...                   "referred_at": ["2024-01-01"]})
    >>> influence_edges(Community.from_frames({"owners": o, "referrals": r}))[["src", "dst", "weight"]].values.tolist()
    [[0.0, 1.0, 5.0]]
    """
    lw = _layer_weights(layers)
    n = len(community.owner_ids)
    parts = []
    # the projections' compact arrays (int32 vertex numbers, float64 weights; SQL on the
    # embedded store), not their igraph graphs: at 1M demo owners the co-attendance graph
    # alone is ~2.8 GB as igraph, 0.5 GB as arrays
    if lw["interactions"] > 0:
        opts = {} if half_life_days is None else {"half_life_days": half_life_days}
        e = community.edges("interactions", **opts)  # engager -> author
        if len(e):
            parts.append(("interactions", e.target.astype(np.int64), e.source.astype(np.int64),
                          e.weight * lw["interactions"]))  # author -> engager
    if lw["referrals"] > 0:
        e = community.edges("referrals")  # referrer -> referee, one per referral row
        if len(e):
            parts.append(("referrals", e.source.astype(np.int64), e.target.astype(np.int64),
                          np.full(len(e), float(lw["referrals"]))))
    if lw["coattendance"] > 0:
        opts = {} if max_event_size is None else {"max_event_size": int(max_event_size)}
        e = community.edges("coattendance", **opts)  # undirected: both directions
        if len(e):
            a, b = e.source.astype(np.int64), e.target.astype(np.int64)
            w = e.weight * lw["coattendance"]
            parts.append(("coattendance", np.r_[a, b], np.r_[b, a], np.r_[w, w]))
    cols = ["src", "dst", "weight", *LAYERS]
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype=np.int64 if c in ("src", "dst") else np.float64) for c in cols})
    src = np.concatenate([p[1] for p in parts])
    dst = np.concatenate([p[2] for p in parts])
    w = np.concatenate([p[3] for p in parts])
    layer = np.concatenate([np.full(len(p[1]), LAYERS.index(p[0])) for p in parts])
    ok = (src != dst) & (w > 0)
    src, dst, w, layer = src[ok], dst[ok], w[ok], layer[ok]
    key = src * n + dst
    uniq, inv = np.unique(key, return_inverse=True)
    out = pd.DataFrame({"src": uniq // n, "dst": uniq % n, "weight": np.bincount(inv, weights=w, minlength=len(uniq))})
    for i, name in enumerate(LAYERS):
        out[name] = np.bincount(inv, weights=np.where(layer == i, w, 0.0), minlength=len(uniq))
    return out


def edge_probabilities(edges: pd.DataFrame, n: int, *, probability: str = "wc", lam: float = DEFAULT_LAM,
                       model: str = "ic") -> np.ndarray:
    """Activation probabilities (IC) or weights (LT) for :func:`influence_edges` rows.

    ``"wc"``: ``w / (total weight into dst)``; ``"exp"``: ``1 - exp(-lam * w)`` (for LT
    scaled down per node when the weights into it sum above one).

    Raises
    ------
    ConfigError
        Unknown probability rule or a non-positive ``lam``.

    Example
    -------
    >>> e = pd.DataFrame({"src": [0, 1], "dst": [2, 2], "weight": [1.0, 3.0]})
    >>> edge_probabilities(e, 3).tolist()
    [0.25, 0.75]
    """
    if probability not in ("wc", "exp"):
        raise _config_error(f"probability must be 'wc' or 'exp' here, got {probability!r} (the learned model "
                            "needs the history: graphcrm.algorithms.influence_learning.learn_influence)")
    dst = edges["dst"].to_numpy(dtype=np.int64)
    w = edges["weight"].to_numpy(dtype=np.float64)
    if probability == "wc":
        tot = np.bincount(dst, weights=w, minlength=n)
        return np.minimum(w / tot[dst], 1.0) if len(w) else w
    lam = float(lam)
    if not math.isfinite(lam) or lam <= 0:
        raise _config_error("lam must be a positive number")
    p = -np.expm1(-lam * w)
    if model == "lt" and len(p):
        tot = np.bincount(dst, weights=p, minlength=n)
        scale = np.where(tot > 1.0, 1.0 / np.maximum(tot, 1e-300), 1.0)
        p = p * scale[dst]
    return p


def _read_exclude(exclude: Any) -> list[str]:
    if exclude is None:
        return []
    if isinstance(exclude, (str, bytes)):
        exclude = [exclude]
    if isinstance(exclude, pd.DataFrame):
        exclude = exclude["owner_id"] if "owner_id" in exclude else exclude.iloc[:, 0]
    return [str(x) for x in exclude]


def _groups(values: pd.Series) -> np.ndarray:
    codes, _ = pd.factorize(values, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64)


_CHANNEL_TEXT = {
    "interactions": ("engagement with their posts", "帖子互动"),
    "referrals": ("referrals", "推荐购车"),
    "coattendance": ("shared events", "共同参加活动"),
}


def _reasons(df: pd.DataFrame, lang: str) -> list[str]:
    from graphcrm.i18n import join

    out = []
    for r in df.itertuples(index=False):
        en_ch, zh_ch = _CHANNEL_TEXT.get(r.main_channel, ("", ""))
        if lang == "zh":
            parts = [f"第 {r.rank} 位人选：预计再多影响 {r.marginal_gain:.1f} 位车主（累计 {r.cumulative_reach:.1f}）",
                     f"直接影响 {r.direct_reach} 位车主" + (f"，主要通过{zh_ch}" if zh_ch else "")]
            if isinstance(r.city, str) and r.city:
                parts.append(f"城市：{r.city}")
        else:
            parts = [f"pick #{r.rank}: reaches {r.marginal_gain:.1f} more owners in expectation "
                     f"(cumulative {r.cumulative_reach:.1f})",
                     f"directly influences {r.direct_reach} owners" + (f", mostly through {en_ch}" if en_ch else "")]
            if isinstance(r.city, str) and r.city:
                parts.append(f"city {r.city}")
        out.append(join(parts, lang))
    return out


# =============================================================================== the ambassadors analysis
AMBASSADORS = ResultSpec(
    "ambassadors",
    key=("owner_id",),
    columns=(
        Col("rank", "int", "position", "pick order: 1 = the first (best) pick of the greedy"),
        Col("owner_id", "str", "", "the ambassador"),
        Col("city", "str", "", "the ambassador's city (missing when unknown)", nullable=True),
        Col("marginal_gain", "float", "owners",
            "expected additional owners reached (in the target segment, beyond the active ambassadors) "
            "given the earlier picks"),
        Col("cumulative_reach", "float", "owners",
            "expected owners reached by picks 1..rank together (themselves included when in the segment)"),
        Col("direct_reach", "int", "owners", "owners this ambassador can influence directly (one tie)"),
        Col("main_channel", "str", "",
            "layer carrying most of their outgoing influence: interactions, referrals or coattendance "
            "(empty when none)"),
        Col("reason", "str", "", "why this owner was picked, in plain words"),
    ),
    sort=(("rank", True),),
    reason="reason",
    depends=("circles",),
    details=None,  # set below, once AmbassadorDetails exists
    runtime=("threads", "progress"),
    description="ambassadors: the owners whose word reaches the most owners (influence maximization)",
)


@dataclass(frozen=True)
class MonteCarloCheck:
    """A Monte Carlo estimate of the expected reach of a set of owners.

    Attributes
    ----------
    mean : float
        Expected owners reached (same meaning as ``cumulative_reach`` of the last pick: in the
        target segment, beyond the active ambassadors, the picks included when they count).
    ci_low, ci_high : float
        95% confidence interval of ``mean`` (normal approximation), owners.
    runs : int
        Forward simulations behind the estimate (with active ambassadors: the runs of the
        picks plus the active set, and as many of the active set alone).
    std : float
        Standard deviation of one run, owners.
    precision : float or None
        The precision target the run count was sized by (CI half-width / mean), or None when
        a fixed number of runs was asked for.
    """

    mean: float
    ci_low: float
    ci_high: float
    runs: int
    std: float
    precision: float | None = None

    @property
    def half_width(self) -> float:
        """Half the width of the 95% interval, owners."""
        return (self.ci_high - self.ci_low) / 2.0


@dataclass(frozen=True)
class SamplingStats:
    """How the picks were computed (RR sampling, OPIM-C rounds, timings).

    Attributes
    ----------
    owners, edges : int
        Owners of the community and ties of the influence graph.
    audience_nodes : int
        Learned model: leaf nodes standing for the owners' expected new audience (0 otherwise).
    r1_sets, r2_sets : int
        RR sets behind the selection (R1) and the certificate (R2).
    rr_entries : int
        Node ids stored in all RR sets.
    iterations : int
        OPIM-C rounds.
    rr_reach : float
        Expected reach of the whole set from R2, owners.
    opt_upper : float
        Upper confidence bound on the best eligible k-set's reach, owners.
    seconds : dict
        Wall time per stage: ``sampling``, ``greedy``, ``validation``, ``monte_carlo``.
    event_nodes : int
        Learned model: group nodes standing for shared events (owner -> event -> owner; 0
        otherwise).
    """

    owners: int
    edges: int
    audience_nodes: int
    r1_sets: int
    r2_sets: int
    rr_entries: int
    iterations: int
    rr_reach: float
    opt_upper: float
    seconds: dict[str, float]
    event_nodes: int = 0


@dataclass(frozen=True)
class AmbassadorDetails:
    """The side results of :func:`ambassadors` (``details=True``).

    Attributes
    ----------
    model : str
        Diffusion model: ``"ic"`` or ``"lt"``; ``"credit"`` under the credit-distribution model
        (no cascade is simulated).
    probability : str
        The probability model actually used (``"wc"`` after the learned model's fallback;
        ``"credit"``: the credit-distribution model).
    probability_asked : str
        The probability model asked for.
    fallback : str or None
        Why the model asked for was not used (too little history), or None.
    max_hops : int
        IC rounds (0 = until the cascade stops).
    backtest : str
        How this probability model backtested (docs/validation.md), in words.
    learned : dict or None
        Learned model: what it was fitted on and its coefficients
        (:class:`graphcrm.algorithms.influence_learning.LearnedInfluence` ``info``).
    guarantee : str
        The guarantee in words (what the certified ratio is measured against).
    constrained : str
        ``""`` (cardinality only), ``"caps"`` (per-city/circle maximums), ``"minimums"``,
        ``"budget"``: what lowers the worst-case ratio the sampling aimed for.
    target_ratio : float
        The worst-case ratio the stopping rule aimed for (``1 - 1/e`` unconstrained).
    approximation : float
        Certified lower bound on reach(picks) / reach(best eligible k-set), 0-1, valid with
        probability ``1 - delta`` (credit model: exact, on the model's credit, ``delta`` 0).
    eps, delta : float
        OPIM-C slack and failure probability (0 and 0 under the credit model: no sampling).
    mc_check : MonteCarloCheck or None
        Monte Carlo check of the whole set (None when skipped with ``mc_runs=0`` or no picks).
    spread_curve : DataFrame
        ``k`` (0..number of picks) and ``expected_reach`` (owners reached in expectation by the
        first k picks, RR estimate, float).
    segment : str
        Whom reach is counted among (``"all owners"``, ``"prospects"``, ``"city:…"`` …).
    segment_owners : int
        Owners in that segment (the most reach can be).
    active : tuple of str
        Ambassadors treated as already active (their reach is not counted again).
    active_reach : float
        Their own expected reach in the segment (RR estimate, owners; 0 without active).
    minimums : dict
        ``{"city": {...}, "circle": {...}}``: group -> picks when a minimum was asked for.
    notes : tuple of str
        Plain-words notes (a minimum that could not be met, an empty segment ...; under the
        credit model the first note names the model in words, in the language asked for).
    stats : SamplingStats
        Under the credit model: ``edges`` are the log's (episode, pair) edges, no RR sets,
        ``rr_reach`` the picks' credit, ``opt_upper`` the bound on the best set's credit,
        ``seconds`` adds ``log`` (building the credit log).
    credit : dict or None
        Credit model: its settings and size (episodes, episode_days, normalize,
        half_life_episodes, decay, max_hops, pseudo_nodes, edges, evaluations); None otherwise.
    """

    model: str
    probability: str
    probability_asked: str
    fallback: str | None
    max_hops: int
    backtest: str
    learned: dict | None
    guarantee: str
    constrained: str
    target_ratio: float
    approximation: float
    eps: float
    delta: float
    mc_check: MonteCarloCheck | None
    spread_curve: pd.DataFrame
    segment: str
    segment_owners: int
    active: tuple[str, ...]
    active_reach: float
    minimums: dict
    notes: tuple[str, ...]
    stats: SamplingStats
    credit: dict | None = None


AMBASSADORS = dataclasses.replace(AMBASSADORS, details=AmbassadorDetails)

#: how each probability model backtested on real data (docs/validation.md, "Backtest")
BACKTESTED = {
    "learned": "the default: it backtests best of the models (docs/validation.md, Backtest): on real "
               "interaction networks its picks reached about 1.05-1.17x the best simple baseline",
    "wc": "the weighted cascade: below the learned model in the backtests (docs/validation.md)",
    "exp": "1 - exp(-lam x weight): below the learned model in the backtests (docs/validation.md)",
    "credit": "credit from past activity (the credit-distribution model): in the backtests (docs/validation.md, "
              "The credit-distribution model) ahead of the learned model in 10 of 18 cells and behind in 7, "
              "above 1.10x the best simple baseline only on Higgs at k = 10 (1.153x; learned 1.113x); like the "
              "learned model it misses +10% over the best simple baseline elsewhere",
}

#: Monte Carlo check sized by precision: stop when the 95% half-width is under this share of the mean
DEFAULT_MC_PRECISION = 0.01
MC_MIN_RUNS = 200
MC_MAX_RUNS = 20_000


def _leaf_edge_probs(graph: InfluenceGraph, s: np.ndarray) -> np.ndarray:
    """float64 probabilities of the edges from the nodes ``s`` (sorted, distinct) into leaves, as
    a multiset (order not kept).  When ``graph.src`` is sorted (the learned graph's edges are
    written in (src, dst) order) the edges of ``s`` are found by binary search instead of a
    pass over every edge; the multiset is the same either way."""
    src = graph.src
    if src.size > 1 and bool(np.all(src[1:] >= src[:-1])):
        q = s[(s >= 0) & (s <= np.iinfo(src.dtype).max)].astype(src.dtype)  # no int64 copy of src
        lo = np.searchsorted(src, q, side="left")
        hi = np.searchsorted(src, q, side="right")
        lens = hi - lo
        total = int(lens.sum())
        if not total:
            return np.zeros(0)
        idx = np.repeat(lo - np.cumsum(lens) + lens, lens) + np.arange(total)
        idx = idx[graph.dst[idx].astype(np.int64) >= graph.leaf_start]
        return graph.prob[idx].astype(np.float64)
    on = (graph.dst.astype(np.int64) >= graph.leaf_start) & np.isin(src.astype(np.int64), s)
    return graph.prob[on].astype(np.float64)


def mc_check(graph: InfluenceGraph, seeds: Any, *, runs: int | None = None, precision: float = DEFAULT_MC_PRECISION,
             min_runs: int = MC_MIN_RUNS, max_runs: int = MC_MAX_RUNS, counted: np.ndarray | None = None,
             active: Any = None, seed: int = 0, threads: int | None = None) -> MonteCarloCheck:
    """Monte Carlo reach of ``seeds``: a fixed number of ``runs``, or sized by ``precision``.

    Without ``runs``, simulations are added in doubling batches (from ``min_runs``) until the
    95% half-width is at most ``precision`` x the mean, or ``max_runs`` is reached.  Run ``i``
    is a fixed function of ``(seed, i)``, so the result is deterministic per seed.

    Parameters
    ----------
    graph : InfluenceGraph
    seeds : array-like of int
    runs : int, optional
        Fixed number of runs (None: sized by ``precision``).
    precision : float, default 0.01
    min_runs, max_runs : int
    counted : bool array, optional
        Count only these nodes (a target segment; leaves are not counted then).
    active : array-like of int, optional
        Already-active nodes: the estimate is reach(seeds + active) - reach(active), each
        simulated with the same number of runs (independent runs; variances add).
    seed : int, default 0
    threads : int, optional

    Returns
    -------
    MonteCarloCheck

    Example
    -------
    >>> g = influence_graph(3, [0, 0], [1, 2], [1.0, 1.0])
    >>> mc_check(g, [0]).mean, mc_check(g, [0]).runs
    (3.0, 200)
    """
    seeds = np.unique(np.asarray(seeds, dtype=np.int64))
    act = np.zeros(0, np.int64) if active is None else unique_sorted(np.asarray(active, dtype=np.int64))
    both = np.union1d(seeds, act)
    leaf_probs: dict[int, np.ndarray] = {}

    def sim(s: np.ndarray, start: int, count: int, stream: int) -> np.ndarray:
        out = rr.monte_carlo(graph.forward_core, graph.model, s, count, seed, stream=stream, threads=threads,
                             max_depth=graph.max_hops, start=start, counted=counted,
                             groups=graph.groups).astype(np.float64)
        if counted is None and graph.leaf_start >= 0 and s.size:
            if stream not in leaf_probs:  # the same seeds in every batch of a stream
                leaf_probs[stream] = _leaf_edge_probs(graph, s)
            lp = leaf_probs[stream]
            if lp.size:
                pv, cnt = np.unique(lp, return_counts=True)
                rng = np.random.default_rng([int(seed), 0x1EAF, stream, start])
                out = out + rng.binomial(cnt[None, :], pv[None, :], size=(count, len(pv))).sum(axis=1)
        return out

    a_runs = np.zeros(0)
    b_runs = np.zeros(0)
    goal = int(runs) if runs is not None else max(2, int(min_runs))
    while True:
        have = b_runs.size
        b_runs = np.r_[b_runs, sim(both, have, goal - have, 7)]
        if act.size:
            a_runs = np.r_[a_runs, sim(act, have, goal - have, 8)]
        mean = float(b_runs.mean() - (a_runs.mean() if act.size else 0.0))
        var = b_runs.var(ddof=1) if b_runs.size > 1 else 0.0
        if act.size and a_runs.size > 1:
            var += a_runs.var(ddof=1)
        half = 1.96 * math.sqrt(var / b_runs.size)
        if runs is not None or b_runs.size >= max_runs or half <= precision * abs(mean):
            break
        goal = min(int(max_runs), 2 * goal)
    return MonteCarloCheck(mean=mean, ci_low=mean - half, ci_high=mean + half, runs=int(b_runs.size),
                           std=float(math.sqrt(var)), precision=None if runs is not None else float(precision))


SEGMENTS = ("prospects", "not_reached", "city:", "level:", "circle:")


def _segment(community: Any, reach_among: Any, *, active_idx: np.ndarray, graph: InfluenceGraph,
             seed: int) -> tuple[np.ndarray | None, str]:
    """The owners reach is counted among: ``(vertex numbers or None for everyone, its name)``."""
    n = len(community.owner_ids)
    if reach_among is None:
        return None, "all owners"
    if isinstance(reach_among, str):
        kind, _, values = reach_among.partition(":")
        kind = kind.strip().lower()
        wanted = [v.strip() for v in values.split(",") if v.strip()]
        if kind == "prospects":
            from graphcrm.contract import CONVERTED_STAGES

            r = community.tables["referrals"]
            if not len(r):
                return np.zeros(0, np.int64), "prospects"
            stage = r["stage"].astype(object).astype(str)
            referee = r["referee_id"].astype(object).astype(str)
            converted = set(referee[stage.isin(CONVERTED_STAGES)])
            leads = sorted(set(referee[stage.isin(("lead", "test_drive"))]) - converted)
            idx = community.index_of(leads) if leads else np.zeros(0, np.int64)
            return unique_sorted(idx[idx >= 0]), "prospects"
        if kind == "not_reached":
            if not active_idx.size:
                raise _config_error("reach_among='not_reached' needs the current ambassadors (active=)")
            reached = np.zeros(graph.n, dtype=bool)
            reached[active_idx] = True
            on = np.isin(graph.src.astype(np.int64), active_idx)
            reached[graph.dst.astype(np.int64)[on]] = True
            if graph.groups[1] > graph.groups[0]:  # and their co-attendees through shared events
                for t in _direct_targets(graph, active_idx, n):
                    reached[t] = True
            return np.flatnonzero(~reached[:n]), "not_reached"
        if kind in ("city", "level", "circle") and wanted:
            if kind == "city":
                col = community.owners["city"].astype(object).astype(str).to_numpy()
            elif kind == "level":
                from graphcrm.algorithms.levels import owner_levels

                lv = owner_levels(community)
                col = pd.Series(lv["level"].astype(object).astype(str).to_numpy(),
                                index=lv["owner_id"].astype(str)).reindex(community.owner_ids).to_numpy(dtype=object)
            else:
                col = _circle_of(community, seed).astype(object)
                col = np.array([str(int(c)) if c == c and c is not None else "" for c in col], dtype=object)
            return np.flatnonzero(np.isin(col.astype(str), wanted)), f"{kind}:{','.join(wanted)}"
        raise _config_error(f"reach_among={reach_among!r}: give owner ids, a boolean mask, or one of 'prospects', "
                            "'not_reached', 'city:A,B', 'level:L', 'circle:0,3'")
    arr = reach_among.to_numpy() if isinstance(reach_among, (pd.Series, pd.Index)) else reach_among
    if isinstance(arr, np.ndarray) and arr.dtype == bool:
        if arr.shape != (n,):
            raise _config_error("a boolean reach_among mask needs one entry per owner (community.owner_ids)")
        return np.flatnonzero(arr), "given owners"
    ids = _read_exclude(reach_among)
    idx = community.index_of(ids) if ids else np.zeros(0, np.int64)
    return unique_sorted(idx[idx >= 0]), "given owners"


def _circle_of(community: Any, seed: int) -> np.ndarray:
    """Circle number per owner (NaN for none) from :func:`graphcrm.algorithms.circles.circles`."""
    try:
        from graphcrm.algorithms.circles import circles as _circles
    except ImportError:
        raise _config_error("per_circle, min_per_circle and circle segments need graphcrm.algorithms.circles, "
                            "which is not installed") from None
    cdf = _circles(community, seed=seed)
    circ = pd.Series(cdf["circle"].to_numpy(dtype=np.float64), index=cdf["owner_id"].astype(str))
    circ = circ.reindex(community.owner_ids)
    return circ.where(circ >= 0).to_numpy(dtype=np.float64)


def _check_count(name: str, value: Any) -> None:
    if value is not None and (not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1):
        raise _config_error(f"{name} must be a positive integer")


def _check_ambassador_options(*, model: str, k: Any, eps: Any, delta: Any, costs: Any, budget: Any,
                              per_city: Any, per_circle: Any, min_per_city: Any, min_per_circle: Any,
                              mc_runs: Any, mc_precision: Any) -> None:
    """Raise ConfigError on a bad option value of :func:`ambassadors`."""
    if model not in MODELS:
        raise _config_error(f"model must be one of {MODELS}, got {model!r}")
    _check_count("k", k)
    if not (isinstance(eps, (int, float)) and 0 < eps < 1):
        raise _config_error("eps must lie strictly between 0 and 1")
    if delta is not None and not 0 < float(delta) < 1:
        raise _config_error("delta must lie strictly between 0 and 1")
    if (costs is None) != (budget is None):
        raise _config_error("costs and budget go together: give both or neither")
    for name, cap in (("per_city", per_city), ("per_circle", per_circle), ("min_per_city", min_per_city),
                      ("min_per_circle", min_per_circle)):
        _check_count(name, cap)
    for kind, lo, hi in (("city", min_per_city, per_city), ("circle", min_per_circle, per_circle)):
        if lo is not None and hi is not None and lo > hi:
            raise _config_error(f"min_per_{kind} ({lo}) is above per_{kind} ({hi})")
    if mc_runs is not None and (not isinstance(mc_runs, (int, np.integer)) or mc_runs < 0):
        raise _config_error("mc_runs must be 0 or more (or None: sized by mc_precision)")
    if not (isinstance(mc_precision, (int, float)) and 0 < mc_precision < 1):
        raise _config_error("mc_precision must lie strictly between 0 and 1")


def _eligible_owners(community: Any, exclude: Any) -> np.ndarray:
    """Owners who may be picked: the community's eligible owners minus ``exclude``."""
    eligible = community.eligible().copy()
    excl = _read_exclude(exclude)
    if excl:
        idx = community.index_of(excl)
        eligible[idx[idx >= 0]] = False
    return eligible


def _active_owners(community: Any, active: Any, notes: list[str]) -> np.ndarray:
    """Sorted node ids of the existing ambassadors (unknown ids counted in ``notes``)."""
    act_ids = _read_exclude(active)
    act_idx = community.index_of(act_ids) if act_ids else np.zeros(0, np.int64)
    unknown_act = [x for x, i in zip(act_ids, act_idx) if i < 0]
    if unknown_act:
        notes.append(f"{len(unknown_act)} active ambassador id(s) are not owners of this community")
    return unique_sorted(act_idx[act_idx >= 0]).astype(np.int64)


def _group_constraints(community: Any, *, per_city: int | None, per_circle: int | None,
                       min_per_city: int | None, min_per_circle: int | None, k: int, eligible: np.ndarray,
                       seed: int) -> tuple[list, np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """City / circle groups with their caps and minimums: (parts, group, caps, mins), None when unused."""
    if per_city is None and per_circle is None and min_per_city is None and min_per_circle is None:
        return [], None, None, None
    owners = community.owners
    parts = []
    if per_city is not None or min_per_city is not None:
        city = owners["city"].where(owners["city"].notna() & (owners["city"].astype(str) != ""), None)
        parts.append(("city", _groups(city), per_city, min_per_city))
    if per_circle is not None or min_per_circle is not None:
        circ = pd.Series(_circle_of(community, seed))
        parts.append(("circle", _groups(circ.where(circ.notna(), None)), per_circle, min_per_circle))
    group, caps, mins = _combine_groups(parts, len(community.owner_ids), k=k, eligible=eligible)
    return parts, group, caps, mins


def _pad_for_audience(extra: int, eligible: np.ndarray, group: np.ndarray | None, cost: np.ndarray | None
                      ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Extend the per-node arrays over ``extra`` audience nodes (never eligible, no group, cost 1)."""
    if extra <= 0:
        return eligible, group, cost
    eligible = np.r_[eligible, np.zeros(extra, dtype=np.bool_)]
    if group is not None:
        group = np.vstack([group, np.full((extra, group.shape[1]), -1, dtype=np.int64)])
    if cost is not None:
        cost = np.r_[cost, np.ones(extra)]
    return eligible, group, cost


def _final_mc_check(graph: InfluenceGraph, picks: np.ndarray, *, roots: np.ndarray | None, act_idx: np.ndarray,
                    mc_runs: int | None, mc_precision: float, seed: int,
                    threads: int | None) -> MonteCarloCheck | None:
    """Monte Carlo check of the picks' reach (counted among ``roots``), or None when skipped."""
    if mc_runs == 0 or not len(picks):
        return None
    counted = None
    if roots is not None:
        counted = np.zeros(graph.n, dtype=bool)
        counted[roots] = True
    return mc_check(graph, picks, runs=mc_runs, precision=float(mc_precision), counted=counted,
                    active=act_idx if act_idx.size else None, seed=seed, threads=threads)


def _constraint_kind(*, budget: float | None, mins: np.ndarray | None, group: np.ndarray | None) -> str:
    """Which constraint sets the guarantee: "budget", "minimums", "caps" or "" (none)."""
    return "budget" if budget is not None else ("minimums" if mins is not None else (
        "caps" if group is not None else ""))


def _probability_used(asked: str, learned_info: dict | None) -> tuple[str, str | None]:
    """Probability rule actually used and, when the learned model fell back, why."""
    fallback = (learned_info or {}).get("fallback")
    used = "wc" if fallback else asked
    words = ("too little history to learn from (fewer than 5 transmissions): weighted cascade used"
             if fallback else None)
    return used, words


def _sampling_stats(graph: InfluenceGraph, sel: SeedSelection, *, owners: int,
                    seconds: dict[str, float]) -> SamplingStats:
    """Size and sampling statistics of one ambassadors run."""
    events = int(graph.groups[1] - graph.groups[0])
    return SamplingStats(owners=owners, edges=graph.m, audience_nodes=int(graph.n - owners - events),
                         r1_sets=sel.r1_sets, r2_sets=sel.r2_sets, rr_entries=sel.rr_entries,
                         iterations=sel.iterations, rr_reach=float(sel.reach), opt_upper=float(sel.opt_upper),
                         seconds=seconds, event_nodes=events)


@analysis(AMBASSADORS)
def ambassadors(
    community: Any,
    *,
    k: int = 30,
    eps: float = 0.1,
    delta: float | None = None,
    model: str = "ic",
    probability: str | None = None,
    lam: float = DEFAULT_LAM,
    layers: Any = None,
    half_life_days: float | None = None,
    horizon_days: float | None = None,
    max_hops: int | None = None,
    per_city: int | None = None,
    per_circle: int | None = None,
    min_per_city: int | None = None,
    min_per_circle: int | None = None,
    exclude: Iterable[str] | None = (),
    active: Iterable[str] | None = None,
    reach_among: Any = None,
    costs: Any = None,
    budget: float | None = None,
    mc_runs: int | None = None,
    mc_precision: float = DEFAULT_MC_PRECISION,
    seed: int = 0,
    threads: int | None = None,
    progress: bool | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """Ambassadors: the ``k`` owners whose word reaches the most owners (influence maximization).

    Builds the influence graph (author -> engager, referrer -> referee, co-attendees both
    ways; see the module docstring for weights and probabilities), runs OPIM-C with
    SUBSIM sampling, checks the final set's spread by Monte Carlo and returns the picks in
    greedy order.  Staff, marketing opt-outs and ``exclude`` are never returned (they still
    pass influence on).  The ``(1 - 1/e - eps)`` guarantee (probability ``1 - delta``)
    holds without caps, minimums and budget (also with ``reach_among`` and ``active``: the
    reach they define is still a coverage function); with them see :func:`select_seeds`.

    Aimed at a goal: ``reach_among`` counts reach only among a target segment (RR sets are
    rooted at its owners only: reach = segment size x Pr[a random set is hit]); ``active``
    treats existing ambassadors as already active (what they reach is covered before the
    greedy starts, so gains are *additional* to theirs, and they are not picked again);
    ``min_per_city`` / ``min_per_circle`` ask for at least that many picks in every city /
    circle (the greedy keeps room for them).

    Parameters
    ----------
    community : graphcrm.community.Community
    k : int, default 30
        Number of ambassadors (fewer when caps, budget or eligible owners run out).
    eps : float, default 0.1
        OPIM-C approximation slack (0.5 is much faster and gives visibly worse picks).
    delta : float, optional
        Failure probability of the guarantee (default 1/number of owners).
    model : {"ic", "lt"}, default "ic"
    probability : {"learned", "wc", "exp", "credit"}, optional
        Default ``"learned"`` (:data:`DEFAULT_PROBABILITY`): learned from the history (module
        docstring); ``"wc"``: weighted cascade (weight share of the listener's incoming ties);
        ``"exp"``: ``1 - exp(-lam * weight)``; ``"credit"``: the credit-distribution model
        ("credit from past activity", :mod:`graphcrm.algorithms.credit`, Goyal, Bonchi &
        Lakshmanan 2011; backtest method ``credit``): no influence graph and no cascade, the
        reach of a set is the credit its members earned for what other owners did after them
        in the history (engaged with their posts, checked in at their events, were referred),
        cut into episodes of a quarter of ``horizon_days`` (recent episodes weigh more), picked
        by an exact CELF greedy.  Under it ``eps``, ``delta``, ``lam``, ``threads`` and
        ``progress`` are not used, ``max_hops`` is 1 or 2 (default 2: credit along chains of at
        most two exposures), and ``model`` other than ``"ic"``, ``layers``,
        ``half_life_days`` or ``mc_runs`` above 0 raise ``ConfigError`` (they have no meaning
        for it); exclusions, ``active``, ``reach_among``, caps, minimums, costs and budget work
        as for the other models (same greedy rules).
    lam : float, default 0.1
        Rate of the ``"exp"`` rule.
    layers : dict or list, optional
        Layer weights, default ``{"interactions": 1, "referrals": 5, "coattendance": 10}``.
    half_life_days : float, optional
        Time decay of the interaction layer (``wc``/``exp``).
    horizon_days : float, optional
        Learned model: the horizon its probabilities refer to (default 90 days, at most half
        the history's span).
    max_hops : int, optional
        IC rounds (0 = until the cascade stops); default 2 for the learned model, 0 otherwise.
    per_city, per_circle : int, optional
        At most this many ambassadors per city / per circle (circles from
        :func:`graphcrm.algorithms.circles.circles` with the same seed; owners without a
        city or circle are not capped).
    min_per_city, min_per_circle : int, optional
        At least this many ambassadors in every city / circle (as far as ``k`` and the
        eligible owners allow; a minimum that cannot be met is said in ``details.notes``).
        The number of cities (circles) times the minimum must not exceed ``k``.
    exclude : iterable of str, optional
        Owner ids never to pick (they still pass influence on).
    active : iterable of str, optional
        Existing ambassadors, treated as already active: never picked, their reach not
        counted again (``marginal_gain`` and ``cumulative_reach`` are on top of theirs).
    reach_among : optional
        Count reach only among these owners: a boolean mask over ``community.owner_ids``,
        owner ids (list, Series, DataFrame with ``owner_id``), or a named segment:
        ``"prospects"`` (referees of a lead or test drive not yet converted),
        ``"not_reached"`` (owners neither active nor tied directly to an active ambassador;
        needs ``active``), ``"city:A,B"``, ``"level:L1,L2"`` (of :func:`owner_levels
        <graphcrm.algorithms.levels.owner_levels>`), ``"circle:0,3"`` (of :func:`circles
        <graphcrm.algorithms.circles.circles>` with the same seed).  Under the learned model
        the new-audience leaves are outside every segment.
    costs : mapping owner_id -> cost, Series indexed by owner_id, DataFrame with ``owner_id`` and ``cost``, or column name of owners
        Cost per owner (missing owners cost the median); requires ``budget``.
    budget : float, optional
        Total cost allowed (cost-effective greedy: best of the coverage-per-cost greedy
        and the best single affordable owner).
    mc_runs : int, optional
        Monte Carlo runs for the check of the final set; default: as many as ``mc_precision``
        needs (200 to 20,000); 0 skips the check.
    mc_precision : float, default 0.01
        Stop the check when its 95% half-width is under this share of the mean.
    seed : int, default 0
        Same seed, same picks (whatever the number of threads).
    threads : int, optional
        Sampling threads (default: all cores).
    progress : bool, optional
        Progress bar over RR sampling (default: only when stderr is a terminal).
    lang : {"en", "zh"}, default "en"

    Returns
    -------
    pandas.DataFrame
        One row per ambassador in pick order (see :data:`AMBASSADORS`): ``rank`` (1 = first
        pick), ``owner_id``, ``city``, ``marginal_gain`` (expected additional owners reached
        given the earlier picks), ``cumulative_reach`` (expected owners reached by picks
        1..rank, themselves included when they count), ``direct_reach`` (owners they can
        influence directly), ``main_channel`` (layer carrying most of their outgoing
        influence: interactions, referrals or coattendance), ``reason``.  Reach is counted in
        ``reach_among`` and on top of ``active``; under the learned model without a segment it
        includes the picks' expected new audience.  With ``details=True``: ``(table,
        AmbassadorDetails)`` (Monte Carlo check, guarantee, spread curve, model, stats).

        Under ``probability="credit"`` the same columns mean the credit model's numbers:
        ``marginal_gain`` is the credit the pick adds (owners per episode of the history,
        recency-weighted: the model's marginal influence, given the earlier picks and
        ``active``), ``cumulative_reach`` the credit of picks 1..rank (each pick counting 1
        for every episode it was active in), ``direct_reach`` the distinct owners the pick
        exposed in the history, ``main_channel`` the layer of most of its exposures (events
        it organised or hosted count as ``coattendance``); ``details.model`` and
        ``details.probability`` are ``"credit"``, ``details.mc_check`` is None (nothing to
        simulate), ``details.approximation`` is exact (the greedy's credit over an upper
        bound on the best set's credit, no sampling), ``details.credit`` holds the model's
        settings and ``details.notes[0]`` names the model in words.

    Raises
    ------
    ConfigError
        Bad option values, unknown layers, a minimum above its maximum, or minimums that
        need more than ``k`` picks.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> o = pd.DataFrame({"owner_id": ["a", "b", "c", "d"]})
    >>> r = pd.DataFrame({"referrer_id": ["a", "a", "a"], "referee_id": ["b", "c", "d"],
    ...                   "stage": ["order"] * 3, "referred_at": ["2024-01-01"] * 3})
    >>> df, info = ambassadors(Community.from_frames({"owners": o, "referrals": r}), k=1, details=True)
    >>> df["owner_id"].tolist(), info.mc_check.mean, info.probability
    (['a'], 4.0, 'wc')
    >>> df, info = ambassadors(Community.from_frames({"owners": o, "referrals": r}), k=1, probability="credit",
    ...                        details=True)
    >>> df["owner_id"].tolist(), df["marginal_gain"].tolist(), info.probability, info.mc_check
    (['a'], [4.0], 'credit', None)
    """
    from graphcrm.i18n import check_lang

    lang = check_lang(lang)
    asked = DEFAULT_PROBABILITY if probability is None else probability
    _check_ambassador_options(model=model, k=k, eps=eps, delta=delta, costs=costs, budget=budget,
                              per_city=per_city, per_circle=per_circle, min_per_city=min_per_city,
                              min_per_circle=min_per_circle, mc_runs=mc_runs, mc_precision=mc_precision)
    if asked == CREDIT:
        return _credit_ambassadors(community, k=int(k), model=model, layers=layers, half_life_days=half_life_days,
                                   horizon_days=horizon_days, max_hops=max_hops, per_city=per_city,
                                   per_circle=per_circle, min_per_city=min_per_city, min_per_circle=min_per_circle,
                                   exclude=exclude, active=active, reach_among=reach_among, costs=costs,
                                   budget=budget, mc_runs=mc_runs, seed=seed, lang=lang)
    if asked not in PROBABILITIES:
        raise _config_error(f"probability must be one of {AMBASSADOR_PROBABILITIES}, got {asked!r}")

    owners = community.owners
    ids = community.owner_ids
    n = len(ids)
    graph, layer_out, learned_info, hops = _build_graph(community, model=model, probability=asked, lam=lam,
                                                    layers=layers, half_life_days=half_life_days,
                                                    horizon_days=horizon_days, max_hops=max_hops)
    n_graph = graph.n  # owners, then (learned model) audience nodes that are never picked
    notes: list[str] = []

    eligible = _eligible_owners(community, exclude)
    act_idx = _active_owners(community, active, notes)
    roots, segment = _segment(community, reach_among, active_idx=act_idx, graph=graph, seed=seed)
    if roots is not None and not roots.size:
        notes.append(f"nobody is in the segment {segment}: no reach to count")

    minimums: dict[str, dict] = {}
    parts, group, caps, mins = _group_constraints(community, per_city=per_city, per_circle=per_circle,
                                                  min_per_city=min_per_city, min_per_circle=min_per_circle,
                                                  k=int(k), eligible=eligible, seed=seed)
    cost = None
    if costs is not None:
        cost = _cost_array(costs, owners, ids)
    eligible, group, cost = _pad_for_audience(n_graph - n, eligible, group, cost)
    act_mask = None
    if act_idx.size:
        act_mask = np.zeros(n_graph, dtype=bool)
        act_mask[act_idx] = True

    from graphcrm.progress import bar

    with bar(desc="RR sets", unit="set", progress=progress) as pbar:
        sel = select_seeds(graph, k=int(k), eps=float(eps), delta=delta, seed=seed, eligible=eligible,
                           group=group, caps=caps, cost=cost, budget=budget, threads=threads,
                           progress=pbar.update, eval_sets=EVAL_RR_SETS, roots=roots, active=act_mask, mins=mins)
    picks = sel.picks
    if mins is not None:
        minimums, short = _minimums_met(parts, picks)
        notes.extend(short)
    df = _ambassador_table(community, graph, layer_out, sel, lang)
    curve = pd.DataFrame({"k": np.arange(0, len(picks) + 1, dtype=np.int64),
                          "expected_reach": np.r_[0.0, sel.cumulative_reach].astype(np.float64)})
    t0 = time.perf_counter()
    check = _final_mc_check(graph, picks, roots=roots, act_idx=act_idx, mc_runs=mc_runs,
                            mc_precision=mc_precision, seed=seed, threads=threads)
    secs = {**sel.seconds, "monte_carlo": time.perf_counter() - t0}
    active_reach = 0.0
    if act_idx.size:
        active_reach = _rr_reach(graph, act_idx, roots, seed=seed, threads=threads)
    used, fallback_words = _probability_used(asked, learned_info)
    constrained = _constraint_kind(budget=budget, mins=mins, group=group)
    details = AmbassadorDetails(
        model=model, probability=used, probability_asked=asked, fallback=fallback_words,
        max_hops=int(hops), backtest=BACKTESTED[used], learned=learned_info,
        guarantee=_guarantee_words(sel.approximation, sel.target, constrained, float(eps)),
        constrained=constrained, target_ratio=float(sel.target), approximation=float(sel.approximation),
        eps=float(eps), delta=float(delta) if delta is not None else 1.0 / max(graph.n, 2),
        mc_check=check, spread_curve=curve, segment=segment,
        segment_owners=int(n if roots is None else roots.size), active=tuple(ids[act_idx].astype(str)),
        active_reach=float(active_reach), minimums=minimums, notes=tuple(notes),
        stats=_sampling_stats(graph, sel, owners=n, seconds=secs),
    )
    return df, details


def _layer_out(edges: pd.DataFrame, n: int) -> np.ndarray:
    """(n, 3) float64: each owner's outgoing influence per layer (:data:`LAYERS`), for the reasons."""
    if not len(edges):
        return np.zeros((n, len(LAYERS)))
    src = edges["src"].to_numpy(dtype=np.int64)
    return np.column_stack([np.bincount(src, weights=edges[l].to_numpy(dtype=np.float64), minlength=n)[:n]
                            for l in LAYERS])


def _ambassador_table(community: Any, graph: InfluenceGraph, layer_out: np.ndarray, sel: SeedSelection,
                      lang: str) -> pd.DataFrame:
    """The declared table of the picks (:data:`AMBASSADORS`) with their reasons (``layer_out``:
    :func:`_layer_out`)."""
    owners, ids = community.owners, community.owner_ids
    n, picks = len(ids), sel.picks
    outdeg = (np.bincount(graph.src[graph.dst < n], minlength=graph.n)[:n] if graph.m
              else np.zeros(n, dtype=np.int64))
    if graph.groups[1] > graph.groups[0] and len(picks):  # co-attendees through the shared events too
        outdeg = outdeg.copy()
        outdeg[picks] = [len(t) for t in _direct_targets(graph, picks, n)]
    main = np.where(layer_out.max(axis=1) > 0, np.asarray(LAYERS, dtype=object)[layer_out.argmax(axis=1)], "")
    city = owners["city"].to_numpy(dtype=object) if "city" in owners else np.full(n, None, dtype=object)
    df = pd.DataFrame({
        "rank": np.arange(1, len(picks) + 1, dtype=np.int64),
        "owner_id": ids[picks].astype(object),
        "city": pd.Series([c if isinstance(c, str) and c else None for c in city[picks]], dtype=object),
        "marginal_gain": np.round(sel.marginal_gain, 2).astype(np.float64),
        "cumulative_reach": np.round(sel.cumulative_reach, 2).astype(np.float64),
        "direct_reach": outdeg[picks].astype(np.int64),
        "main_channel": main[picks].astype(object) if len(picks) else np.zeros(0, dtype=object),
    })
    df["reason"] = _reasons(df, lang)
    return df


def _direct_targets(graph: InfluenceGraph, nodes: np.ndarray, n: int) -> list[np.ndarray]:
    """The owners (ids ``< n``) each of ``nodes`` reaches over one tie: a direct edge, or one
    shared event (a group node) it attended; itself excluded.  Read from the forward CSR without
    the leaves (built once per graph; the Monte Carlo check uses it too)."""
    fw = graph.forward_core
    g0, g1 = graph.groups
    out = []
    for v in np.asarray(nodes, dtype=np.int64):
        nb = fw.indices[fw.indptr[v]:fw.indptr[v + 1]].astype(np.int64)
        ev = nb[(nb >= g0) & (nb < g1)]
        parts = [nb[nb < n]] + [fw.indices[fw.indptr[e]:fw.indptr[e + 1]].astype(np.int64) for e in ev]
        t = unique_sorted(np.concatenate(parts))
        out.append(t[(t != v) & (t < n)])
    return out


def _rr_reach(graph: InfluenceGraph, nodes: np.ndarray, roots: np.ndarray | None, *, seed: int,
              threads: int | None, sets: int = EVAL_RR_SETS) -> float:
    """Expected reach of ``nodes`` in the segment (RR estimate on a stream of its own)."""
    coll = rr.RRCollection(graph.reverse, graph.model, seed, stream=3, max_depth=graph.max_hops,
                           leaf_start=graph.leaf_start, roots=roots, groups=graph.groups)
    coll.grow_to(sets, threads=threads)
    cov = rr.coverage_curve(coll.flat, coll.offsets, np.asarray(nodes, dtype=np.int64), graph.n)
    n_root = graph.n_counted if roots is None else len(roots)
    return float(cov[-1]) * n_root / sets if cov.size else 0.0


def _minimums_met(parts: list, picks: np.ndarray) -> tuple[dict, list[str]]:
    """Picks per group of each kind with a minimum, and notes for minimums not met."""
    out, notes = {}, []
    for kind, codes, _cap, lo in parts:
        if lo is None:
            continue
        got = np.bincount(codes[picks][codes[picks] >= 0], minlength=int(codes.max()) + 1 if codes.size else 0)
        out[kind] = {int(g): int(c) for g, c in enumerate(got)}
        short = int((got < lo).sum())
        if short:
            notes.append(f"{short} {kind} group(s) got fewer than {lo} ambassadors (too few eligible owners "
                         f"there, or k too small)")
    return out, notes


_GUARANTEE_AGAINST = {
    "": "the best possible set of the same size",
    "caps": "the best possible set of the same size without the caps (so also the best within them)",
    "minimums": "the best possible set of the same size without the minimums and caps",
    "budget": "the best possible set of the same size without the budget",
}


def _guarantee_words(approx: float, target: float, constrained: str, eps: float) -> str:
    what = _GUARANTEE_AGAINST[constrained]
    return (f"certified: these picks reach at least {approx:.3f} x (about {approx * 100:.0f}%) of what {what} "
            f"would reach; the sampling aimed for {target - eps:.3f}")


def _build_graph(community: Any, *, model: str, probability: str, lam: float, layers: Any,
                 half_life_days: float | None, horizon_days: float | None,
                 max_hops: int | None) -> tuple[InfluenceGraph, np.ndarray, dict | None, int]:
    """The influence graph of a community under a probability model: ``(graph, outgoing
    influence per owner and layer (:func:`_layer_out`), learned-model info or None, hops)``,
    built once per community and
    options (the one cache: :meth:`graphcrm.community.Community.memo`), so that ``spread``,
    ``ambassadors`` with other ``k`` or constraints, and the backtest's calls reuse it."""
    opts = {"model": model, "probability": probability, "lam": lam, "layers": layers,
            "half_life_days": half_life_days, "horizon_days": horizon_days, "max_hops": max_hops}
    memo = getattr(community, "memo", None)
    if memo is None:
        return _build_graph_now(community, **opts)
    return memo("influence_graph", opts, lambda: _build_graph_now(community, **opts))


def _build_graph_now(community: Any, *, model: str, probability: str, lam: float, layers: Any,
                     half_life_days: float | None, horizon_days: float | None,
                     max_hops: int | None) -> tuple[InfluenceGraph, np.ndarray, dict | None, int]:
    if model not in MODELS:
        raise _config_error(f"model must be one of {MODELS}, got {model!r}")
    if probability not in PROBABILITIES:
        raise _config_error(f"probability must be one of {AMBASSADOR_PROBABILITIES}, got {probability!r}")
    if max_hops is None:
        hops = LEARNED_MAX_HOPS if probability == "learned" and model == "ic" else 0
    elif isinstance(max_hops, (int, np.integer)) and not isinstance(max_hops, bool) and max_hops >= 0:
        hops = int(max_hops)
    else:
        raise _config_error("max_hops must be a non-negative integer (0 = no limit)")
    if hops and model != "ic":
        raise _config_error("max_hops applies to the IC model only")
    n = len(community.owner_ids)
    if probability == "learned":
        graph, layer_out, info = _learned_graph(community, model=model, horizon_days=horizon_days, max_hops=hops)
        if graph is not None:
            return graph, layer_out, info, hops
        # too little history to learn from: the documented fallback is the weighted cascade
        if max_hops is None:
            hops = 0
        info = {**info, "fallback": "wc"}
        edges = influence_edges(community, layers=layers, half_life_days=half_life_days)
        prob = edge_probabilities(edges, n, probability="wc", model=model)
        graph = influence_graph(n, edges["src"].to_numpy(), edges["dst"].to_numpy(), prob, model=model,
                                max_hops=hops)
        return graph, _layer_out(edges, n), info, hops
    edges = influence_edges(community, layers=layers, half_life_days=half_life_days)
    prob = edge_probabilities(edges, n, probability=probability, lam=lam, model=model)
    graph = influence_graph(n, edges["src"].to_numpy(), edges["dst"].to_numpy(), prob, model=model, max_hops=hops)
    return graph, _layer_out(edges, n), None, hops


@dataclass(frozen=True)
class SpreadDetails:
    """Side results of :func:`spread` (``details=True``).

    Attributes
    ----------
    seed_ids : tuple of str
        The known owners evaluated (each once, in the order given).
    unknown_ids : tuple of str
        Ids given that are not owners of the community (they reach nobody).
    probability_asked : str
        The probability model asked for (``probability`` in the table is the one used).
    fallback : str or None
        Why another model was used (too little history to learn from), or None.
    """

    seed_ids: tuple[str, ...]
    unknown_ids: tuple[str, ...]
    probability_asked: str
    fallback: str | None


SPREAD = ResultSpec(
    "spread",
    key=(),
    columns=(
        Col("seeds", "int", "owners", "owners of the set that are in the community (each counted once)"),
        Col("unknown", "int", "ids", "ids of the set that are not owners of the community (they reach nobody)"),
        Col("mean", "float", "owners", "expected owners reached, the set itself included (under the learned "
                                       "model also the set's expected new audience; under the credit model the "
                                       "credit the set earns per episode of the history)"),
        Col("others", "float", "owners", "expected owners reached besides the set (mean - seeds; under the credit "
                                         "model the credit earned for owners outside the set)"),
        Col("ci_low", "float", "owners", "2.5% end of the 95% interval of mean (normal approximation)"),
        Col("ci_high", "float", "owners", "97.5% end of the 95% interval of mean (normal approximation)"),
        Col("std", "float", "owners", "standard deviation of the owners reached in one simulated run (credit "
                                      "model: of the credit earned in one episode)"),
        Col("runs", "int", "runs", "Monte Carlo runs behind the estimate (credit model: episodes of the history)"),
        Col("model", "str", "", "cascade model: ic (independent cascade) or lt (linear threshold); credit for "
                                "the credit-distribution model (no cascade)"),
        Col("probability", "str", "", "probability model used: learned, wc (weighted cascade), exp or credit "
                                      "(credit from past activity)"),
        Col("max_hops", "int", "ties", "longest chain of ties simulated (0 = until the cascade stops)"),
    ),
    sort=(),
    reason=None,
    details=SpreadDetails,
    runtime=("threads",),
    description="spread: expected reach of a given set of owners under an influence model",
)


@analysis(SPREAD)
def _spread(community: Any, *, seeds: tuple[str, ...], model: str, probability: str, lam: float, layers: Any,
            half_life_days: float | None, horizon_days: float | None, max_hops: int | None, runs: int, seed: int,
            threads: int | None) -> tuple[pd.DataFrame, SpreadDetails]:
    idx = community.index_of(list(seeds)) if seeds else np.zeros(0, dtype=np.int64)
    unknown = tuple(x for x, i in zip(seeds, idx) if i < 0)
    known_ids = tuple(dict.fromkeys(x for x, i in zip(seeds, idx) if i >= 0))
    known = unique_sorted(idx[idx >= 0]).astype(np.int64)
    if probability == CREDIT:
        return _credit_spread(community, known, known_ids, unknown, model=model, layers=layers,
                              half_life_days=half_life_days, horizon_days=horizon_days, max_hops=max_hops)
    graph, _, info, hops = _build_graph(community, model=model, probability=probability, lam=lam, layers=layers,
                                        half_life_days=half_life_days, horizon_days=horizon_days, max_hops=max_hops)
    fallback = (info or {}).get("fallback")
    used = fallback or probability
    if len(known):
        mc = spread_mc(graph, known, runs=runs, seed=seed, threads=threads)
    else:
        mc = {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0, "std": 0.0, "runs": runs}
    table = pd.DataFrame({
        "seeds": [int(len(known))], "unknown": [len(unknown)], "mean": [float(mc["mean"])],
        "others": [float(mc["mean"]) - len(known)], "ci_low": [float(mc["ci_low"])],
        "ci_high": [float(mc["ci_high"])], "std": [float(mc["std"])], "runs": [int(mc["runs"])],
        "model": [model], "probability": [used], "max_hops": [int(hops)],
    })
    why = ("too little history to learn from (fewer than 5 transmissions): weighted cascade used"
           if fallback else None)
    return table, SpreadDetails(seed_ids=known_ids, unknown_ids=unknown, probability_asked=probability, fallback=why)


def spread(
    community: Any,
    seeds: Iterable[str],
    *,
    model: str = "ic",
    probability: str | None = None,
    lam: float = DEFAULT_LAM,
    layers: Any = None,
    half_life_days: float | None = None,
    horizon_days: float | None = None,
    max_hops: int | None = None,
    runs: int = 2000,
    seed: int = 0,
    threads: int | None = None,
    details: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, SpreadDetails]:
    """Expected reach of any set of owners under a chosen influence model, with a 95% interval.

    The same influence graph as :func:`ambassadors` with the same options (built once per
    community and options, so it is shared with ``ambassadors``), simulated forward ``runs``
    times (Monte Carlo, compiled, deterministic per ``seed``).  Use it to compare marketing's
    own list with the ambassadors, or two models on one list.  The result is declared
    (:data:`SPREAD`) and kept in the community's cache per seeds and options, like every
    analysis.

    Parameters
    ----------
    community : graphcrm.community.Community
    seeds : iterable of str
        Owner ids (a list, Series, array, or a DataFrame with ``owner_id``); unknown ids reach
        nobody and are counted in ``unknown``.
    model, probability, lam, layers, half_life_days, horizon_days, max_hops
        As in :func:`ambassadors` (``probability`` defaults to :data:`DEFAULT_PROBABILITY`).
        ``probability="credit"``: the credit model's *own* estimate, not a simulation and not
        a backtest (:func:`graphcrm.algorithms.credit.credit_estimate`): ``mean`` is the
        credit the set earns per episode of the history (recency-weighted mean over the
        episodes), its interval is over episodes (how much that credit varies from one period
        to the next), the ``runs`` column is the number of episodes; the options ``runs`` and
        ``seed`` are not used.
    runs : int, default 2000
        Monte Carlo runs.
    seed : int, default 0
    threads : int, optional
        Simulation threads (default: all cores; never changes the result).
    details : bool, default False
        Also return :class:`SpreadDetails` (the ids evaluated, the unknown ids, the model asked).

    Returns
    -------
    pandas.DataFrame
        One row (see :data:`SPREAD`): ``seeds`` (known owners in the set), ``unknown`` (ids
        that are not owners), ``mean`` (expected owners reached, the set included; under the
        learned model this includes the expected new audience), ``others`` (``mean`` minus
        ``seeds``), ``ci_low``, ``ci_high`` (95% interval of ``mean``, normal approximation,
        owners), ``std`` (owners reached in one run, standard deviation), ``runs``, ``model``,
        ``probability`` (the model used: the weighted cascade when there is too little
        history to learn from), ``max_hops``.  With ``details=True``: ``(table,
        SpreadDetails)``.

    Raises
    ------
    ConfigError
        Bad options.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> o = pd.DataFrame({"owner_id": ["a", "b", "c"]})
    >>> r = pd.DataFrame({"referrer_id": ["a", "a"], "referee_id": ["b", "c"], "stage": ["order"] * 2,
    ...                   "referred_at": ["2024-01-01"] * 2})
    >>> df = spread(Community.from_frames({"owners": o, "referrals": r}), ["a", "zz"], probability="wc", runs=100)
    >>> df[["seeds", "unknown", "mean", "ci_low", "ci_high", "probability"]].to_dict("records")
    [{'seeds': 1, 'unknown': 1, 'mean': 3.0, 'ci_low': 3.0, 'ci_high': 3.0, 'probability': 'wc'}]
    """
    probability = DEFAULT_PROBABILITY if probability is None else probability
    if not isinstance(runs, (int, np.integer)) or isinstance(runs, bool) or int(runs) < 1:
        raise _config_error("runs must be a positive integer")
    return _spread(community, seeds=tuple(_read_exclude(seeds)), model=model, probability=probability, lam=lam,
                   layers=layers, half_life_days=half_life_days, horizon_days=horizon_days, max_hops=max_hops,
                   runs=int(runs), seed=int(seed), threads=threads, details=details)


# =============================================================================== the credit model
#: the credit-distribution model in plain words (CLI lines and the ambassadors' notes)
CREDIT_NAME = {"en": "credit from past activity", "zh": "历史行为归因"}
#: exposure layers of :func:`graphcrm.algorithms.backtest.exposures` as :data:`LAYERS` names
_EXPOSURE_LAYER = np.array(["interactions", "coattendance", "referrals"], dtype=object)


def period_text(days: float, lang: str) -> str:
    """An episode length in words: ``"22 days"`` / ``"12.7 hours"`` (``"22 天"`` / ``"12.7 小时"``).

    Example
    -------
    >>> period_text(22.5, "en"), period_text(0.53, "en"), period_text(1.5, "zh")
    ('22 days', '12.7 hours', '1.5 天')
    """
    if days >= 1:
        num, unit = (f"{days:.0f}" if days >= 10 else f"{days:.3g}"), ("days", "天")
    else:
        num, unit = f"{days * 24:.3g}", ("hours", "小时")
    return f"{num} {unit[0]}" if lang != "zh" else f"{num} {unit[1]}"


def _credit_hops(*, model: str, layers: Any, half_life_days: float | None, max_hops: int | None,
                 mc_runs: int | None = None) -> int:
    """Chain length of the credit model; ConfigError for options that do not apply to it."""
    what = "probability='credit' (the credit-distribution model)"
    if model != "ic":
        raise _config_error(f"model={model!r} does not apply to {what}: it simulates no cascade; leave model out")
    if layers is not None:
        raise _config_error(f"layers= does not apply to {what}: every exposure counts alike, no layer weights")
    if half_life_days is not None:
        raise _config_error(f"half_life_days= does not apply to {what}: recency is weighted per episode "
                            "(graphcrm.algorithms.credit.credit_ambassadors(half_life_episodes=...))")
    if mc_runs:
        raise _config_error(f"mc_runs={mc_runs} does not apply to {what}: it has no cascade to simulate, its "
                            "reach is the credit earned in the log; give mc_runs=0 or leave it out")
    from graphcrm.algorithms.credit import DEFAULT_MAX_HOPS

    hops = DEFAULT_MAX_HOPS if max_hops is None else max_hops
    if isinstance(hops, bool) or hops not in (1, 2):
        raise _config_error(f"max_hops must be 1 or 2 under {what} (chains of at most 2 exposures), got {max_hops!r}")
    return int(hops)


def _credit_note(days: float, episodes: int, lang: str) -> str:
    """The note naming the credit model and what its numbers mean."""
    if lang == "zh":
        return (f"选人模型：{CREDIT_NAME['zh']}（信用分配模型，2011 年发表的方法）。"
                f"影响人数是这些大使在历史记录中因其他车主随后的互动、参加活动或被推荐而获得的归因，"
                f"按每 {period_text(days, 'zh')}一个周期平均（共 {episodes} 个周期，越近的周期权重越大），并非模拟的传播；"
                f"因此没有蒙特卡洛检验。")
    return (f"Picked by the credit-distribution model ({CREDIT_NAME['en']}; Goyal, Bonchi & Lakshmanan 2011): "
            f"reach is the credit the picks earned for what other owners did after them in the history "
            f"(engaged, attended, were referred), per period of {period_text(days, 'en')} ({episodes} periods, recent ones "
            f"weigh more), not a simulated cascade; so there is no Monte Carlo check.")


def _credit_reasons(df: pd.DataFrame, days: float, lang: str) -> list[str]:
    from graphcrm.i18n import join

    out = []
    for r in df.itertuples(index=False):
        en_ch, zh_ch = _CHANNEL_TEXT.get(r.main_channel, ("", ""))
        if lang == "zh":
            parts = [f"第 {r.rank} 位人选：按历史归因，每 {period_text(days, 'zh')}多影响 {r.marginal_gain:.1f} 位车主"
                     f"（累计 {r.cumulative_reach:.1f}）",
                     f"历史中直接影响过 {r.direct_reach} 位车主" + (f"，主要通过{zh_ch}" if zh_ch else "")]
            if isinstance(r.city, str) and r.city:
                parts.append(f"城市：{r.city}")
        else:
            parts = [f"pick #{r.rank}: credited with {r.marginal_gain:.1f} more owners reached per {period_text(days, 'en')} "
                     f"in the history (cumulative {r.cumulative_reach:.1f})",
                     f"directly reached {r.direct_reach} owners in the history"
                     + (f", mostly through {en_ch}" if en_ch else "")]
            if isinstance(r.city, str) and r.city:
                parts.append(f"city {r.city}")
        out.append(join(parts, lang))
    return out


def _credit_table(community: Any, ex: pd.DataFrame, picks: np.ndarray, gains: np.ndarray, days: float,
                  lang: str) -> pd.DataFrame:
    """The declared ambassadors table of the credit model's picks: ``direct_reach`` = distinct
    owners a pick exposed in the history, ``main_channel`` = the layer of most of its exposures."""
    owners, ids = community.owners, community.owner_ids
    n = len(ids)
    src = ex["src"].to_numpy(dtype=np.int64)
    on = np.isin(src, picks)
    mine = pd.DataFrame({"src": src[on], "dst": ex["dst"].to_numpy(dtype=np.int64)[on],
                         "layer": ex["layer"].to_numpy(dtype=np.int64)[on]})
    direct = mine.groupby("src")["dst"].nunique()
    by_layer = np.zeros((n, len(_EXPOSURE_LAYER)))
    if len(mine):
        np.add.at(by_layer, (mine["src"].to_numpy(), mine["layer"].to_numpy()), 1.0)
    main = np.where(by_layer.max(axis=1) > 0, _EXPOSURE_LAYER[by_layer.argmax(axis=1)], "")
    city = owners["city"].to_numpy(dtype=object) if "city" in owners else np.full(n, None, dtype=object)
    df = pd.DataFrame({
        "rank": np.arange(1, len(picks) + 1, dtype=np.int64),
        "owner_id": ids[picks].astype(object),
        "city": pd.Series([c if isinstance(c, str) and c else None for c in city[picks]], dtype=object),
        "marginal_gain": np.round(gains, 2).astype(np.float64),
        "cumulative_reach": np.round(np.cumsum(gains), 2).astype(np.float64),
        "direct_reach": direct.reindex(picks).fillna(0).to_numpy(dtype=np.int64),
        "main_channel": main[picks].astype(object) if len(picks) else np.zeros(0, dtype=object),
    })
    df["reason"] = _credit_reasons(df, days, lang)
    return df


def _credit_ambassadors(community: Any, *, k: int, model: str, layers: Any, half_life_days: float | None,
                        horizon_days: float | None, max_hops: int | None, per_city: int | None,
                        per_circle: int | None, min_per_city: int | None, min_per_circle: int | None,
                        exclude: Any, active: Any, reach_among: Any, costs: Any, budget: float | None,
                        mc_runs: int | None, seed: int, lang: str) -> tuple[pd.DataFrame, AmbassadorDetails]:
    """:func:`ambassadors` under ``probability="credit"`` (its docstring): the constrained CELF
    greedy of :func:`graphcrm.algorithms.credit.credit_select` on the log's credit."""
    from types import SimpleNamespace

    from graphcrm.algorithms import credit as cd
    from graphcrm.algorithms.backtest import exposures

    hops = _credit_hops(model=model, layers=layers, half_life_days=half_life_days, max_hops=max_hops,
                        mc_runs=mc_runs)
    t0 = time.perf_counter()
    # the module's defaults read now (as the backtest's credit method reads them)
    log, days = cd.community_log(community, horizon_days=horizon_days, normalize=cd.DEFAULT_NORMALIZE,
                                 half_life_episodes=cd.DEFAULT_HALF_LIFE_EPISODES, decay=cd.DEFAULT_DECAY)
    t_log = time.perf_counter() - t0
    owners, ids = community.owners, community.owner_ids
    n = len(ids)
    notes = [_credit_note(days, log.episodes, lang)]
    eligible = _eligible_owners(community, exclude)
    act_idx = _active_owners(community, active, notes)
    ex = exposures(community)
    # not_reached: owners neither active nor exposed directly to an active ambassador
    direct = SimpleNamespace(n=n, src=ex["src"].to_numpy(dtype=np.int64), dst=ex["dst"].to_numpy(dtype=np.int64),
                             groups=(n, n))
    roots, segment = _segment(community, reach_among, active_idx=act_idx, graph=direct, seed=seed)
    if roots is not None:
        counted = np.zeros(n, dtype=bool)
        counted[roots] = True
        log = dataclasses.replace(log, weight=np.where(counted[log.owner], log.weight, 0.0))
        if not roots.size:
            notes.append(f"nobody is in the segment {segment}: no reach to count")
    minimums: dict[str, dict] = {}
    parts, group, caps, mins = _group_constraints(community, per_city=per_city, per_circle=per_circle,
                                                  min_per_city=min_per_city, min_per_circle=min_per_circle,
                                                  k=int(k), eligible=eligible, seed=seed)
    cost = _cost_array(costs, owners, ids) if costs is not None else None
    # owners without history can add nothing, but compete for a minimum of their group
    pool = eligible if mins is not None else eligible & (np.diff(log.copies_ptr) > 0)
    order = np.empty(n, dtype=np.int64)
    order[np.argsort(ids, kind="stable")] = np.arange(n)
    t1 = time.perf_counter()
    sel = cd.credit_select(log, int(k), candidates=np.flatnonzero(pool), order=order, max_hops=hops,
                           active=act_idx if act_idx.size else None, group=group, caps=caps, mins=mins, cost=cost,
                           budget=budget)
    t_greedy = time.perf_counter() - t1
    picks = sel.picks
    if mins is not None:
        minimums, short = _minimums_met(parts, picks)
        notes.extend(short)
    df = _credit_table(community, ex, picks, sel.gains, days, lang)
    curve = pd.DataFrame({"k": np.arange(0, len(picks) + 1, dtype=np.int64),
                          "expected_reach": np.r_[0.0, np.cumsum(sel.gains)].astype(np.float64)})
    constrained = _constraint_kind(budget=budget, mins=mins, group=group)
    approx = float(sel.approximation)
    guarantee = (f"certified: these picks earn at least {approx:.3f} x (about {approx * 100:.0f}%) of the credit "
                 f"{_GUARANTEE_AGAINST[constrained]} would earn in the log (the credit model's own measure, "
                 f"computed exactly: no sampling); the greedy's worst case is {sel.target:.3f}")
    stats = SamplingStats(owners=n, edges=len(log.dst), audience_nodes=0, r1_sets=0, r2_sets=0, rr_entries=0,
                          iterations=0, rr_reach=float(sel.gains.sum()), opt_upper=float(sel.upper),
                          seconds={"log": t_log, "sampling": 0.0, "greedy": t_greedy, "validation": 0.0,
                                   "monte_carlo": 0.0})
    settings = {"episodes": int(log.episodes), "episode_days": round(float(days), 3), "normalize": cd.DEFAULT_NORMALIZE,
                "half_life_episodes": cd.DEFAULT_HALF_LIFE_EPISODES, "decay": bool(cd.DEFAULT_DECAY),
                "credit": cd.DEFAULT_CREDIT, "max_hops": hops, "pseudo_nodes": int(len(log.owner)),
                "edges": int(len(log.dst)), "evaluations": int(sel.evaluations)}
    details = AmbassadorDetails(
        model=CREDIT, probability=CREDIT, probability_asked=CREDIT, fallback=None, max_hops=hops,
        backtest=BACKTESTED[CREDIT], learned=None, guarantee=guarantee, constrained=constrained,
        target_ratio=float(sel.target), approximation=approx, eps=0.0, delta=0.0, mc_check=None,
        spread_curve=curve, segment=segment, segment_owners=int(n if roots is None else roots.size),
        active=tuple(ids[act_idx].astype(str)), active_reach=float(sel.active_credit), minimums=minimums,
        notes=tuple(notes), stats=stats, credit=settings)
    return df, details


def _credit_spread(community: Any, known: np.ndarray, known_ids: tuple[str, ...], unknown: tuple[str, ...], *,
                   model: str, layers: Any, half_life_days: float | None, horizon_days: float | None,
                   max_hops: int | None) -> tuple[pd.DataFrame, SpreadDetails]:
    """:func:`spread` under ``probability="credit"``: the credit model's own estimate
    (:func:`graphcrm.algorithms.credit.credit_estimate`), not a simulation or a backtest."""
    from graphcrm.algorithms import credit as cd

    hops = _credit_hops(model=model, layers=layers, half_life_days=half_life_days, max_hops=max_hops)
    log, _ = cd.community_log(community, horizon_days=horizon_days, normalize=cd.DEFAULT_NORMALIZE,
                              half_life_episodes=cd.DEFAULT_HALF_LIFE_EPISODES, decay=cd.DEFAULT_DECAY)
    est = cd.credit_estimate(log, known, max_hops=hops)
    table = pd.DataFrame({
        "seeds": [int(len(known))], "unknown": [len(unknown)], "mean": [est["mean"]], "others": [est["others"]],
        "ci_low": [est["ci_low"]], "ci_high": [est["ci_high"]], "std": [est["std"]], "runs": [int(est["episodes"])],
        "model": [CREDIT], "probability": [CREDIT], "max_hops": [hops],
    })
    return table, SpreadDetails(seed_ids=known_ids, unknown_ids=unknown, probability_asked=CREDIT, fallback=None)


def _learned_graph(community: Any, *, model: str, horizon_days: float | None,
                   max_hops: int = 0) -> tuple[InfluenceGraph | None, np.ndarray | None, dict]:
    """The influence graph of the learned model (audience nodes after the owners) and each
    owner's outgoing influence per layer (:func:`_layer_out`) for the reasons."""
    from graphcrm.algorithms.influence_learning import learn_influence, learned_graph_arrays

    from graphcrm.algorithms.influence_learning import MIN_POSITIVES

    n = len(community.owner_ids)
    # shared events as group nodes (IC only: the LT walk has no pass-through nodes)
    co = LEARNED_COATTENDANCE if model == "ic" else "pairs"
    li = learn_influence(community, horizon_days=horizon_days, coattendance=co)
    info = {k: (str(v) if isinstance(v, pd.Timestamp) else v) for k, v in li.info.items()}
    if (li.info.get("positives_train", 0) < MIN_POSITIVES
            and li.info.get("new_audience_train", 0) < MIN_POSITIVES):
        return None, None, info
    e = li.edges
    p = e["prob"].to_numpy(dtype=np.float64)
    ref = e["referral"].to_numpy(dtype=bool)
    co = e["coattend"].to_numpy(dtype=bool) & (e["days"].to_numpy() == 0) & ~ref
    # the layer carrying each tie: a referral, else a shared event without exposures, else interactions
    layer = np.where(ref, 1, np.where(co, 2, 0))
    src = e["src"].to_numpy(dtype=np.int64)
    layer_out = np.zeros((n, len(LAYERS)))
    for j in range(len(LAYERS)):
        on = layer == j
        layer_out[:, j] = np.bincount(src[on], weights=p[on], minlength=n)[:n]
    if li.coattend_out is not None:  # the streamed co-attendance-only ties (coattendance="events")
        layer_out[:, 2] += li.coattend_out[:n]
    del p, ref, co, layer, src, on, e
    n_ev = li.events.count if li.events is not None else 0
    n_total, src, dst, prob, _ = learned_graph_arrays(li, n)
    del li  # the tie features are not needed any more (the graph keeps src, dst, prob)
    if model == "lt" and len(prob):
        tot = np.bincount(dst, weights=prob, minlength=n_total)
        prob = prob * np.where(tot > 1.0, 1.0 / np.maximum(tot, 1e-300), 1.0)[dst]
    graph = influence_graph(n_total, src, dst, prob, model=model, max_hops=max_hops, leaf_start=n + n_ev,
                            groups=(n, n + n_ev))
    return graph, layer_out, info


def _combine_groups(parts: list[tuple[str, np.ndarray, int | None, int | None]], n: int, *, k: int,
                    eligible: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Stack partitions ``(kind, codes per node (-1 = none), maximum or None, minimum or None)``
    into the greedy's ``(n, c)`` group matrix with globally numbered group ids, their caps and
    their minimums (None when no kind has one).  A minimum applies to groups with an eligible
    owner only.

    Raises
    ------
    ConfigError
        A kind's minimums need more than ``k`` picks.
    """
    cols, caps, mins, offset = [], [], [], 0
    for kind, codes, cap, lo in parts:
        ng = int(codes.max()) + 1 if codes.size and codes.max() >= 0 else 0
        cols.append(np.where(codes >= 0, codes + offset, -1))
        caps.append(np.full(ng, k if cap is None else int(cap), dtype=np.int64))
        m = np.zeros(ng, dtype=np.int64)
        if lo is not None and ng:
            ok = codes >= 0 if eligible is None else (codes >= 0) & eligible[: len(codes)]
            has = np.bincount(codes[ok], minlength=ng) > 0
            m[has] = int(lo)
            if m.sum() > k:
                raise _config_error(f"min_per_{kind}={lo} over {int(has.sum())} {kind} groups needs "
                                    f"{int(m.sum())} picks, more than k={k}")
        mins.append(m)
        offset += ng
    minv = np.concatenate(mins)
    return np.column_stack(cols).astype(np.int64), np.concatenate(caps), (minv if minv.any() else None)


def _cost_array(costs: Any, owners: pd.DataFrame, ids: np.ndarray) -> np.ndarray:
    if isinstance(costs, str):
        if costs not in owners.columns:
            raise _config_error(f"owners has no column {costs!r} for costs")
        s = pd.Series(pd.to_numeric(owners[costs], errors="coerce").to_numpy(), index=ids)
    elif isinstance(costs, pd.DataFrame):
        if not {"owner_id", "cost"} <= set(costs.columns):
            raise _config_error("a costs table needs the columns owner_id and cost")
        if costs["owner_id"].astype(str).duplicated().any():
            raise _config_error("a costs table lists an owner_id twice")
        s = pd.Series(pd.to_numeric(costs["cost"], errors="coerce").to_numpy(dtype=np.float64),
                      index=costs["owner_id"].astype(str).to_numpy()).reindex(ids)
    elif isinstance(costs, pd.Series):
        s = pd.to_numeric(costs, errors="coerce")
        s.index = s.index.astype(str)
        s = s.reindex(ids)
    elif isinstance(costs, Mapping):
        s = pd.Series({str(a): b for a, b in costs.items()}, dtype=float).reindex(ids)
    else:
        try:
            arr = np.asarray(costs, dtype=np.float64)
        except (TypeError, ValueError):
            arr = np.zeros(0)
        if arr.shape != (len(ids),):
            raise _config_error("costs must be a mapping owner_id -> cost, a Series, a DataFrame with owner_id "
                                "and cost, an owners column name or an array with one cost per owner")
        s = pd.Series(arr, index=ids)
    if s.notna().any() and (s.dropna() <= 0).any():
        raise _config_error("costs must be positive")
    fill = float(s.median()) if s.notna().any() else 1.0
    return s.fillna(fill).to_numpy(dtype=np.float64)
