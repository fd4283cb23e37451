"""Ambassadors by the credit-distribution model: influence maximization straight from the log.

Goyal, Bonchi & Lakshmanan, "A data-based approach to social influence maximization"
(PVLDB 5(1), 2011) skip the step of learning tie probabilities and simulating a cascade:
the spread of a seed set is the *credit* its members earned for the propagations actually
observed in the action log, and the seeds are chosen greedily (CELF) on that credit.

Actions, propagations and credit here
-------------------------------------
The paper's log holds (user, action, time) tuples over a social graph; an action propagates
from ``v`` to ``u`` when ``u`` performs it after its neighbour ``v``.  A community's log is the
exposures of :func:`graphcrm.algorithms.backtest.exposures` (``u`` engaged with ``v``'s post,
checked in at ``v``'s event, was referred by ``v``), and what a campaign wants to know is who
would reach whom within a horizon ``H``.  So:

* an **action** is an *episode*: the history before ``end`` cut into consecutive windows of
  length ``L`` = ``episode_days`` (default a quarter of the horizon ``H``), the most recent
  one ``(end - L, end]``;
* an owner **performs** episode ``a`` when they appear in one of its exposures, and ``v`` is a
  **parent** of ``u`` in ``a`` (``v`` is credited for ``u``) when there is an exposure ``v -> u``
  in ``a`` (the propagation graph of the episode; ``N_in(u, a)`` = its distinct parents);
* **direct credit** (the paper's eq. for gamma): ``gamma(v, u, a) = 1 / N_in(u, a)``; with
  ``decay=True`` the paper's time-decayed version ``infl(u) / N_in(u, a) *
  exp(-(t(v -> u) - t(v)) / tau(v, u))``, ``t(v)`` = ``v``'s first appearance in the episode,
  ``t(v -> u)`` = the first exposure of the pair in it, ``tau(v, u)`` the pair's mean delay over
  the episodes, ``infl(u)`` the share of ``u``'s episodes in which ``u`` has a parent;
* **credit along chains**: ``v`` earns ``gamma(v, w, a) * gamma(w, u, a)`` for ``u`` through
  ``w`` when the exposure ``w -> u`` comes strictly after the first ``v -> w`` of the episode
  (the order the backtest's chains respect), at most ``max_hops`` = 2 exposures per chain
  (the backtest's chains; 1 = direct credit only).  The credit of a *set* ``S`` for ``u`` is the
  paper's ``Gamma_{S,u}(a)``: 1 for ``u`` in ``S``, else the direct credit of the members plus the
  chain credit through non-members (paths through another member are that member's);
* **spread** ``sigma(S) = sum_u kappa(S, u)``, ``kappa(S, u) = sum_a w_a Gamma_{S,u}(a) / Z``:
  ``normalize="user"`` is the paper's (``Z`` = the weight of the episodes ``u`` performed, so
  each owner counts at most 1), ``normalize="episodes"`` (the default) divides by the weight of
  all episodes (``sigma`` = credit-reach of an average episode, so owners active in every
  episode count more than owners seen once).  Episode weights ``w_a`` are 1 (the paper,
  ``half_life_episodes=None``) or halve every ``half_life_episodes`` episodes of age (recency;
  default 1: the latest episode weighs 1, the one before 1/2, ...).
* ``credit="full"`` (not the paper's) gives every parent the whole credit and counts an owner
  once however many members reach it: ``sigma`` is then the weighted number of (episode, owner)
  pairs the seeds reached along the same chains, greedy maximum coverage over past episodes.

``sigma`` is monotone and submodular (the paper's theorem; for the two-hop limit the marginal
gain below is a sum of non-negative terms that shrink as ``S`` grows), so the greedy keeps
its ``1 - 1/e`` guarantee *for sigma* and CELF's lazy evaluation is exact.  Marginal gain of
``x`` (the paper's lemma, written for chains of at most two exposures) in episode ``a``:
``w_x (1 - Gamma_{S,x}) + sum_u w_u [gamma(x, u) - sum_{v in S} theta(v, x, u)
+ sum_{y not in S} theta(x, y, u)]`` over ``u`` not in ``S + x``, ``theta(v, y, u)`` the
chain credit above; after a pick the per-episode set credits and the chain credit each
non-member passes on are updated in place (the paper's UC/SC tables, one array each).

With chains of at most two exposures the credits are exact: the paper's truncation threshold
(dropping credits below lambda to bound the UC tables of long chains) is not needed.
Everything runs on integer arrays: one sort of the exposures into (episode, pair) edges,
numba loops for the gains and the updates.  Cost: the initial gains touch every two-exposure
path of every episode once; each CELF re-evaluation the paths of one owner.
"""
from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from graphcrm.arrays import unique_sorted

#: default episode length when no horizon is given (days; at most half the span)
DEFAULT_HORIZON_DAYS = 90.0
#: how each owner's credit is averaged over episodes (module docstring)
NORMALIZATIONS = ("episodes", "user")
DEFAULT_NORMALIZE = "episodes"
#: "share": the paper's direct credit 1/N_in; "full": every parent gets the whole credit (coverage)
CREDITS = ("share", "full")
DEFAULT_CREDIT = "share"
#: recency half-life of the episode weights, in episodes (None = every episode alike, the paper);
#: 1 and the episode share 1/4 below were chosen by an inner backtest that never saw the
#: evaluation periods (bench/credit_grid.py --inner, docs/validation.md)
DEFAULT_HALF_LIFE_EPISODES: float | None = 1.0
DEFAULT_MAX_HOPS = 2
#: episode length as a share of the horizon when only the horizon is given
DEFAULT_EPISODE_SHARE = 0.25
#: the paper's time-decayed direct credit instead of 1/N_in (the backtest's setting)
DEFAULT_DECAY = False
_NS_DAY = 86_400 * 10**9


def _config_error(msg: str) -> Exception:
    from graphcrm.errors import ConfigError

    return ConfigError(msg)


# =============================================================================== the log
@dataclass
class CreditLog:
    """The episodes' propagation graphs as integer arrays (built by :func:`credit_log`).

    Pseudo-node ``p`` is owner ``owner[p]`` in episode ``episode[p]``; edges ``p -> q`` (CSR by
    ``p``: ``indptr``, ``dst``) carry the direct credit ``gamma`` and the first and last
    exposure times of the pair in the episode; ``weight[p]`` is ``w_a / Z`` of the owner.
    ``copies`` / ``copies_ptr`` list each owner's pseudo-nodes.
    """

    n: int
    episodes: int
    episode_ns: int
    end_ns: int
    owner: np.ndarray
    episode: np.ndarray
    weight: np.ndarray
    indptr: np.ndarray
    dst: np.ndarray
    gamma: np.ndarray
    t_first: np.ndarray
    t_last: np.ndarray
    copies_ptr: np.ndarray
    copies: np.ndarray
    #: each episode's share of the weight, ``w_a / sum(w)`` (episode 0 the latest)
    episode_share: np.ndarray | None = None


def credit_log(src: np.ndarray, dst: np.ndarray, t: np.ndarray, n: int, *, end_ns: int, episode_ns: int,
               start_ns: int | None = None, normalize: str = DEFAULT_NORMALIZE,
               half_life_episodes: float | None = DEFAULT_HALF_LIFE_EPISODES, decay: bool = False) -> CreditLog:
    """Cut exposures into episodes and compute the direct credits (module docstring).

    Parameters
    ----------
    src, dst, t : arrays of int64
        Exposures ``src -> dst`` at ``t`` (nanoseconds); only ``start_ns < t <= end_ns`` are used.
    n : int
        Number of owners.
    end_ns, episode_ns : int
        End of the history and episode length (nanoseconds); episode 0 is ``(end - L, end]``.
    start_ns : int, optional
        Start of the history (default: the first exposure); episodes are cut back to it.
    normalize : {"episodes", "user"}
    half_life_episodes : float, optional
        Episode weight ``0.5 ** (age / half_life_episodes)`` (age 0 for the latest episode).
    decay : bool
        Time-decayed direct credit (module docstring) instead of ``1 / N_in``.

    Returns
    -------
    CreditLog
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    t = np.asarray(t, dtype=np.int64)
    keep = t <= end_ns
    if start_ns is not None:
        keep &= t > start_ns
    src, dst, t = src[keep], dst[keep], t[keep]
    ep = (end_ns - t) // int(episode_ns) if len(t) else np.zeros(0, np.int64)
    if start_ns is None:
        n_ep = int(ep.max()) + 1 if len(ep) else 0
    else:
        n_ep = max(1, int(-(-(end_ns - start_ns) // int(episode_ns))))
    # pseudo-nodes (episode, owner), numbered in key order
    ks, kd = ep * n + src, ep * n + dst
    keys = unique_sorted(np.concatenate([ks, kd]))
    P = len(keys)
    ps = np.searchsorted(keys, ks)
    pd_ = np.searchsorted(keys, kd)
    owner = (keys % n).astype(np.int64)
    episode = (keys // n).astype(np.int64)
    # edges: distinct (p, q) pairs with the first and last exposure time
    ekey = ps * P + pd_
    order = np.lexsort((t, ekey))
    ekey_s, t_s = ekey[order], t[order]
    uniq, first_at, counts = np.unique(ekey_s, return_index=True, return_counts=True)
    t_first = t_s[first_at]
    t_last = t_s[first_at + counts - 1]
    e_src = (uniq // P).astype(np.int64)
    e_dst = (uniq % P).astype(np.int64)
    n_in = np.bincount(e_dst, minlength=P).astype(np.float64)
    gamma = 1.0 / n_in[e_dst] if len(e_dst) else np.zeros(0)
    if decay and len(e_dst):
        # first appearance of every pseudo-node (as either end of an exposure)
        act = np.full(P, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(act, ps, t)
        np.minimum.at(act, pd_, t)
        delay = (t_first - act[e_src]).astype(np.float64)
        pair = owner[e_src] * n + owner[e_dst]
        pu, pinv = np.unique(pair, return_inverse=True)
        tau = np.bincount(pinv, weights=delay, minlength=len(pu)) / np.bincount(pinv, minlength=len(pu))
        tau_e = tau[pinv]
        factor = np.where(tau_e > 0, np.exp(-delay / np.where(tau_e > 0, tau_e, 1.0)), 1.0)
        has_parent = np.zeros(P, dtype=bool)
        has_parent[e_dst] = True
        infl = (np.bincount(owner, weights=has_parent.astype(np.float64), minlength=n)
                / np.maximum(np.bincount(owner, minlength=n), 1))
        gamma = gamma * factor * infl[owner[e_dst]]
    w_ep = np.ones(max(n_ep, 1)) if half_life_episodes is None else \
        0.5 ** (np.arange(max(n_ep, 1), dtype=np.float64) / float(half_life_episodes))
    wp = w_ep[episode]
    if normalize == "user":
        z = np.bincount(owner, weights=wp, minlength=n)
        weight = wp / z[owner]
    else:
        weight = wp / float(w_ep[:max(n_ep, 1)].sum())
    indptr = np.zeros(P + 1, dtype=np.int64)
    np.cumsum(np.bincount(e_src, minlength=P), out=indptr[1:])
    by_owner = np.argsort(owner, kind="stable")
    copies_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=copies_ptr[1:])
    return CreditLog(n=int(n), episodes=int(n_ep), episode_ns=int(episode_ns), end_ns=int(end_ns), owner=owner,
                     episode=episode, weight=weight.astype(np.float64), indptr=indptr, dst=e_dst,
                     gamma=gamma.astype(np.float64), t_first=t_first.astype(np.int64),
                     t_last=t_last.astype(np.int64), copies_ptr=copies_ptr, copies=by_owner.astype(np.int64),
                     episode_share=(w_ep[:max(n_ep, 1)] / float(w_ep[:max(n_ep, 1)].sum())).astype(np.float64))


# =============================================================================== kernels
@njit(cache=True)
def _gain(x, copies_ptr, copies, owner, weight, indptr, dst, gamma, t_first, t_last, is_seed, credit, through,
          hops):
    """Marginal credit of owner ``x`` given the seeds (module docstring)."""
    g = 0.0
    for c in range(copies_ptr[x], copies_ptr[x + 1]):
        p = copies[c]
        g += weight[p] * (1.0 - credit[p])
        for e in range(indptr[p], indptr[p + 1]):
            u = dst[e]
            if is_seed[owner[u]]:
                continue
            g += weight[u] * (gamma[e] - through[e])
            if hops >= 2:
                tf = t_first[e]
                ge = gamma[e]
                for f in range(indptr[u], indptr[u + 1]):
                    w = dst[f]
                    ow = owner[w]
                    if ow == x or is_seed[ow] or t_last[f] <= tf:
                        continue
                    g += weight[w] * ge * gamma[f]
    return g


@njit(cache=True)
def _all_gains(cands, copies_ptr, copies, owner, weight, indptr, dst, gamma, t_first, t_last, is_seed, credit,
               through, hops):
    out = np.empty(len(cands))
    for i in range(len(cands)):
        out[i] = _gain(cands[i], copies_ptr, copies, owner, weight, indptr, dst, gamma, t_first, t_last, is_seed,
                       credit, through, hops)
    return out


@njit(cache=True)
def _add_seed(x, copies_ptr, copies, owner, indptr, dst, gamma, t_first, t_last, is_seed, credit, through, hops):
    """Make ``x`` a seed: the set credits (SC) and the chain credit passed through non-members (UC)."""
    is_seed[x] = True
    for c in range(copies_ptr[x], copies_ptr[x + 1]):
        credit[copies[c]] = 1.0
    for c in range(copies_ptr[x], copies_ptr[x + 1]):
        p = copies[c]
        for e in range(indptr[p], indptr[p + 1]):
            u = dst[e]
            if is_seed[owner[u]]:
                continue
            # u's credit: x's direct credit, minus the chain credit the seeds had through x
            credit[u] += gamma[e] - through[e]
            if hops >= 2:
                tf = t_first[e]
                ge = gamma[e]
                for f in range(indptr[u], indptr[u + 1]):
                    w = dst[f]
                    if is_seed[owner[w]] or t_last[f] <= tf:
                        continue
                    th = ge * gamma[f]
                    through[f] += th
                    credit[w] += th


@njit(cache=True)
def _cover_gain(x, copies_ptr, copies, owner, weight, indptr, dst, t_first, t_last, covered, mark, stamp, hops,
                apply):
    """``full`` credit: weight of the not yet covered (episode, owner) nodes that ``x`` reaches in
    its episodes along time-respecting chains of at most ``hops`` exposures (``apply``: cover them)."""
    g = 0.0
    for c in range(copies_ptr[x], copies_ptr[x + 1]):
        p = copies[c]
        if not covered[p] and mark[p] != stamp:
            mark[p] = stamp
            g += weight[p]
            if apply:
                covered[p] = True
        for e in range(indptr[p], indptr[p + 1]):
            u = dst[e]
            if not covered[u] and mark[u] != stamp:
                mark[u] = stamp
                g += weight[u]
                if apply:
                    covered[u] = True
            if hops >= 2:
                tf = t_first[e]
                for f in range(indptr[u], indptr[u + 1]):
                    w = dst[f]
                    if t_last[f] <= tf or covered[w] or mark[w] == stamp:
                        continue
                    mark[w] = stamp
                    g += weight[w]
                    if apply:
                        covered[w] = True
    return g


@njit(cache=True)
def _all_cover_gains(cands, copies_ptr, copies, owner, weight, indptr, dst, t_first, t_last, covered, mark, hops):
    out = np.empty(len(cands))
    for i in range(len(cands)):
        out[i] = _cover_gain(cands[i], copies_ptr, copies, owner, weight, indptr, dst, t_first, t_last, covered,
                             mark, i + 1, hops, False)
    return out


def credit_spread(log: CreditLog, seeds: Any, *, max_hops: int = DEFAULT_MAX_HOPS) -> float:
    """``sigma(S)``: the credit the seeds earn in the log (module docstring), seeds included.

    Example
    -------
    >>> log = credit_log(np.array([0, 1]), np.array([1, 2]), np.array([1, 2]), 3, end_ns=10, episode_ns=10)
    >>> round(credit_spread(log, [0]), 6)
    3.0
    """
    is_seed = np.zeros(log.n, dtype=np.bool_)
    credit = np.zeros(len(log.owner))
    through = np.zeros(len(log.dst))
    total = 0.0
    for x in dict.fromkeys(int(s) for s in seeds):
        total += _gain(x, log.copies_ptr, log.copies, log.owner, log.weight, log.indptr, log.dst, log.gamma,
                       log.t_first, log.t_last, is_seed, credit, through, int(max_hops))
        _add_seed(x, log.copies_ptr, log.copies, log.owner, log.indptr, log.dst, log.gamma, log.t_first,
                  log.t_last, is_seed, credit, through, int(max_hops))
    return float(total)


def credit_greedy(log: CreditLog, k: int, *, candidates: np.ndarray | None = None, order: np.ndarray | None = None,
                  max_hops: int = DEFAULT_MAX_HOPS, credit: str = "share") -> tuple[np.ndarray, np.ndarray, int]:
    """Greedy (CELF) selection of ``k`` owners on ``sigma``.

    Parameters
    ----------
    log : CreditLog
    k : int
    candidates : array of int, optional
        Owners that may be picked (default: every owner in the log).
    order : array of int, optional
        Tie-break rank of every owner (smaller first; default the owner number).
    max_hops : {1, 2}
    credit : {"share", "full"}
        The paper's shared credit, or full credit (module docstring).

    Returns
    -------
    (picks, gains, evaluations)
        Owner numbers in pick order, each pick's marginal credit, and the gain evaluations made.
    """
    n = log.n
    if candidates is None:
        candidates = np.flatnonzero(np.diff(log.copies_ptr) > 0)
    candidates = np.asarray(candidates, dtype=np.int64)
    rank = np.arange(n) if order is None else np.asarray(order, dtype=np.int64)
    if credit == "full":
        return _cover_greedy(log, k, candidates, rank, int(max_hops))
    sel = credit_select(log, k, candidates=candidates, order=rank, max_hops=max_hops)
    return sel.picks, sel.gains, sel.evaluations


@dataclass(frozen=True)
class CreditSelection:
    """The result of :func:`credit_select`.

    Attributes
    ----------
    picks : array of int
        Owner numbers in pick order.
    gains : array of float
        Each pick's marginal credit (owners, on top of the active owners and the earlier picks).
    evaluations : int
        Marginal-gain evaluations (CELF).
    upper : float
        Upper bound on the credit the best set of at most ``k`` candidates could add on top of
        the active owners, ignoring caps, minimums and budget (so also a bound under them): the
        smaller of the ``k`` largest first gains and, after the greedy, the picks' credit plus
        the ``k`` largest remaining gain bounds (CELF's stale gains are upper bounds by
        submodularity); unconstrained also at most the greedy's credit / (1 - 1/e).
    active_credit : float
        ``sigma`` of the active owners alone (owners).
    target : float
        The greedy's worst-case ratio under the constraints (1 - 1/e unconstrained, 1/(1 + c)
        with c kinds of caps, (1 - 1/e)/2 with a budget).
    """

    picks: np.ndarray
    gains: np.ndarray
    evaluations: int
    upper: float
    active_credit: float
    target: float

    @property
    def approximation(self) -> float:
        """Certified lower bound on credit(picks) / credit(best set of the same size), 0-1
        (exact: no sampling)."""
        total = float(self.gains.sum())
        return 1.0 if self.upper <= 0 else min(1.0, total / self.upper)


_E1 = 1.0 - 1.0 / np.e


def _top_sum(values: np.ndarray, k: int) -> float:
    if not len(values) or k <= 0:
        return 0.0
    if len(values) <= k:
        return float(values.sum())
    return float(np.partition(values, len(values) - k)[len(values) - k:].sum())


def credit_select(log: CreditLog, k: int, *, candidates: np.ndarray | None = None, order: np.ndarray | None = None,
                  max_hops: int = DEFAULT_MAX_HOPS, active: np.ndarray | None = None,
                  group: np.ndarray | None = None, caps: np.ndarray | None = None, mins: np.ndarray | None = None,
                  cost: np.ndarray | None = None, budget: float | None = None) -> CreditSelection:
    """Constrained greedy (CELF) on the shared credit ``sigma``: exclusions, active owners,
    caps, minimums and a budget, with the same rules as the RR-set greedy of
    :func:`graphcrm.algorithms.influence.max_coverage`.

    Parameters
    ----------
    log : CreditLog
    k : int
        At most this many picks.
    candidates : array of int, optional
        Owners that may be picked (default: every owner in the log).
    order : array of int, optional
        Tie-break rank of every owner (smaller first; default the owner number).
    max_hops : {1, 2}
    active : array of int, optional
        Owners already active: made seeds first, their credit not counted, never picked.
    group, caps : int64 (n, c) and int64, optional
        Group ids per owner, one column per kind (-1 = none), and the maximum picks per group
        id: a candidate whose group is full is skipped.
    mins : int64, optional
        Minimum picks per group id (0 = none): a candidate is skipped when after it the picks
        left could no longer meet every kind's unmet minimums; a candidate of a group still
        short of its minimum competes even with zero gain.
    cost, budget : float64 (n,) and float, optional
        Cost-effective greedy: the key is marginal credit / cost, picks within the budget;
        without minimums the result is the better of that greedy and the best single
        affordable candidate.

    Returns
    -------
    CreditSelection

    Example
    -------
    >>> log = credit_log(np.array([0, 1]), np.array([1, 2]), np.array([1, 2]), 3, end_ns=10, episode_ns=10)
    >>> sel = credit_select(log, 1)
    >>> sel.picks.tolist(), sel.gains.tolist(), sel.approximation
    ([0], [3.0], 1.0)
    """
    n = log.n
    hops = int(max_hops)
    if candidates is None:
        candidates = np.flatnonzero(np.diff(log.copies_ptr) > 0)
    candidates = np.asarray(candidates, dtype=np.int64)
    rank = np.arange(n) if order is None else np.asarray(order, dtype=np.int64)
    is_seed = np.zeros(n, dtype=np.bool_)
    credit = np.zeros(len(log.owner))
    through = np.zeros(len(log.dst))
    args = (log.copies_ptr, log.copies, log.owner, log.weight, log.indptr, log.dst, log.gamma, log.t_first,
            log.t_last)
    upd = (log.copies_ptr, log.copies, log.owner, log.indptr, log.dst, log.gamma, log.t_first, log.t_last)
    active_credit = 0.0
    for a in (() if active is None else dict.fromkeys(int(x) for x in np.asarray(active).ravel())):
        active_credit += _gain(a, *args, is_seed, credit, through, hops)
        _add_seed(a, *upd, is_seed, credit, through, hops)
    if active is not None and len(candidates):
        candidates = candidates[~is_seed[candidates]]
    use_groups = group is not None and np.asarray(group).size > 0
    grp = np.asarray(group, dtype=np.int64).reshape(n, -1) if use_groups else np.zeros((n, 0), dtype=np.int64)
    capv = np.asarray(caps, dtype=np.int64) if use_groups else np.zeros(0, dtype=np.int64)
    minv = np.asarray(mins, dtype=np.int64) if (use_groups and mins is not None and np.any(mins)) else None
    use_budget = budget is not None
    costv = np.asarray(cost, dtype=np.float64) if use_budget else None
    if use_budget:
        candidates = candidates[costv[candidates] <= float(budget)]
    nk = grp.shape[1]
    need = np.zeros(nk, dtype=np.int64)
    in_min = np.zeros(n, dtype=bool)
    if minv is not None:
        for col in range(nk):
            g = grp[:, col]
            in_min |= (g >= 0) & (minv[np.maximum(g, 0)] > 0)
            need[col] = int(minv[unique_sorted(g[g >= 0])].sum())
    target = _E1
    if use_groups:
        target = 1.0 / (1 + nk)
    if use_budget:
        target = _E1 / 2
    g0 = _all_gains(candidates, *args, is_seed, credit, through, hops)
    bound = np.zeros(n)  # latest gain of every candidate: an upper bound of its current gain
    bound[candidates] = g0
    k_eff = min(int(k), len(candidates))
    upper = _top_sum(g0, k_eff)

    def key(x: int, g: float) -> float:
        return g / costv[x] if use_budget else g

    heap = [(-key(int(x), float(g)), int(rank[x]), int(x), 0) for x, g in zip(candidates, g0)
            if g > 0 or in_min[x]]
    heapq.heapify(heap)
    used = np.zeros(len(capv), dtype=np.int64)
    spent = 0.0
    picks: list[int] = []
    gains: list[float] = []
    evals = len(candidates)
    while heap and len(picks) < k:
        neg, r, x, stamp = heapq.heappop(heap)
        if nk and any(grp[x, c] >= 0 and used[grp[x, c]] >= capv[grp[x, c]] for c in range(nk)):
            continue  # a group of x is full: it stays full
        if use_budget and spent + costv[x] > float(budget):
            continue  # spending only grows
        short = False
        if minv is not None:
            bad = False
            for c in range(nk):
                g = grp[x, c]
                red = 1 if (g >= 0 and used[g] < minv[g]) else 0
                short = short or bool(red)
                if need[c] - red > k - len(picks) - 1:
                    bad = True
            if bad:
                continue
        if stamp != len(picks):  # stale: re-evaluate and push back
            g = _gain(x, *args, is_seed, credit, through, hops)
            evals += 1
            bound[x] = g
            if g > 0 or short:
                heapq.heappush(heap, (-key(x, g), r, x, len(picks)))
            continue
        g = float(bound[x])
        if g <= 0 and not short:
            continue
        picks.append(x)
        gains.append(g)
        for c in range(nk):
            gi = grp[x, c]
            if gi >= 0:
                if minv is not None and used[gi] < minv[gi]:
                    need[c] -= 1
                used[gi] += 1
        if use_budget:
            spent += costv[x]
        _add_seed(x, *upd, is_seed, credit, through, hops)
    total = float(sum(gains))
    rest = bound[candidates][~is_seed[candidates]]
    upper = min(upper, total + _top_sum(rest, k_eff))
    if not use_groups and not use_budget:
        upper = min(upper, total / _E1)
    picks_a = np.asarray(picks, dtype=np.int64)
    gains_a = np.asarray(gains, dtype=np.float64)
    if use_budget and minv is None and len(candidates):
        # the best single affordable candidate (ties: the smaller rank), as the cost-effective greedy does
        best = min(range(len(candidates)), key=lambda i: (-g0[i], rank[candidates[i]]))
        if g0[best] > total:
            picks_a = np.array([candidates[best]], dtype=np.int64)
            gains_a = np.array([float(g0[best])])
    return CreditSelection(picks=picks_a, gains=gains_a, evaluations=int(evals), upper=float(max(upper, 0.0)),
                           active_credit=float(active_credit), target=float(target))


def credit_of(log: CreditLog, seeds: Any, *, max_hops: int = DEFAULT_MAX_HOPS) -> np.ndarray:
    """``Gamma_{S,p}`` of every (episode, owner) node ``p`` for the seed set ``S`` (1 for the
    seeds' own nodes): ``credit_spread(log, S) == (log.weight * credit_of(log, S)).sum()``."""
    is_seed = np.zeros(log.n, dtype=np.bool_)
    credit = np.zeros(len(log.owner))
    through = np.zeros(len(log.dst))
    for x in dict.fromkeys(int(s) for s in seeds):
        _add_seed(x, log.copies_ptr, log.copies, log.owner, log.indptr, log.dst, log.gamma, log.t_first,
                  log.t_last, is_seed, credit, through, int(max_hops))
    return credit


def _cover_greedy(log: CreditLog, k: int, candidates: np.ndarray, rank: np.ndarray,
                  hops: int) -> tuple[np.ndarray, np.ndarray, int]:
    P = len(log.owner)
    covered = np.zeros(P, dtype=np.bool_)
    mark = np.zeros(P, dtype=np.int64)
    args = (log.copies_ptr, log.copies, log.owner, log.weight, log.indptr, log.dst, log.t_first, log.t_last)
    g0 = _all_cover_gains(candidates, *args, covered, mark, hops)
    stamp = len(candidates) + 1
    heap = [(-float(g), int(rank[x]), int(x), 0) for x, g in zip(candidates, g0) if g > 0]
    heapq.heapify(heap)
    picks: list[int] = []
    gains: list[float] = []
    evals = len(candidates)
    while heap and len(picks) < k:
        neg, r, x, at = heapq.heappop(heap)
        stamp += 1
        if at == len(picks):
            picks.append(x)
            gains.append(-neg)
            _cover_gain(x, *args, covered, mark, stamp, hops, True)
            continue
        g = _cover_gain(x, *args, covered, mark, stamp, hops, False)
        evals += 1
        if g > 0:
            heapq.heappush(heap, (-g, r, x, len(picks)))
    return np.asarray(picks, dtype=np.int64), np.asarray(gains, dtype=np.float64), evals


def credit_estimate(log: CreditLog, seeds: Any, *, max_hops: int = DEFAULT_MAX_HOPS) -> dict[str, float]:
    """The credit model's own estimate of what a seed set reaches, with an interval over episodes.

    ``mean`` is ``sigma(S)`` (:func:`credit_spread`, seeds included), ``others`` the part of it
    earned for owners outside the set.  Under ``normalize="episodes"`` ``sigma`` is the weighted
    mean over the episodes of ``R_a``, the credit the set earns in episode ``a`` (empty
    episodes count 0); ``std`` is the weighted standard deviation of ``R_a`` and the 95%
    interval ``mean +- 1.96 std sqrt(sum share_a**2)`` (normal approximation, Kish's effective
    number of episodes ``1 / sum share_a**2``): how much the credit varies from one period of
    the history to the next, not a backtest.

    Returns
    -------
    dict
        ``mean``, ``others``, ``std``, ``ci_low``, ``ci_high`` (owners) and ``episodes``.

    Raises
    ------
    ConfigError
        A log averaged per user (``normalize="user"``): its ``sigma`` is no mean over episodes.

    Example
    -------
    >>> log = credit_log(np.array([0, 1]), np.array([1, 2]), np.array([1, 2]), 3, end_ns=10, episode_ns=10)
    >>> credit_estimate(log, [0])
    {'mean': 3.0, 'others': 2.0, 'std': 0.0, 'ci_low': 3.0, 'ci_high': 3.0, 'episodes': 1}
    """
    share = log.episode_share
    if share is None or not np.allclose(log.weight, share[log.episode]):
        raise _config_error("the credit estimate's interval needs a log averaged over episodes (normalize='episodes')")
    seeds = np.unique(np.asarray(list(seeds), dtype=np.int64))
    cr = credit_of(log, seeds, max_hops=max_hops)
    contrib = log.weight * cr
    mean = float(contrib.sum())
    others = float(contrib[~np.isin(log.owner, seeds)].sum())
    per_ep = np.bincount(log.episode, weights=cr, minlength=len(share))[:len(share)]
    var = float((share * (per_ep - mean) ** 2).sum())
    std = math.sqrt(max(var, 0.0))
    half = 1.96 * std * math.sqrt(float((share ** 2).sum()))
    return {"mean": mean, "others": others, "std": std, "ci_low": mean - half, "ci_high": mean + half,
            "episodes": int(len(share))}


# =============================================================================== analysis
def community_log(community: Any, *, horizon_days: float | None = None, episode_days: float | None = None,
                  normalize: str = DEFAULT_NORMALIZE, half_life_episodes: float | None = DEFAULT_HALF_LIFE_EPISODES,
                  decay: bool = DEFAULT_DECAY) -> tuple[CreditLog, float]:
    """The credit log of a community's exposures (:func:`credit_log`) and its episode length in
    days, built once per community and options (the one cache, ``Community.memo``) so that
    :func:`credit_ambassadors`, ``ambassadors(probability="credit")`` and ``spread`` share it.

    The history runs from just before the first exposure to the community's ``until`` (or the
    last exposure); episodes are ``episode_days`` long, or :data:`DEFAULT_EPISODE_SHARE` of
    ``horizon_days`` (default 90 days, at most half the span).

    Raises
    ------
    ConfigError
        A non-positive episode length or horizon.
    """
    opts = {"horizon_days": horizon_days, "episode_days": episode_days, "normalize": normalize,
            "half_life_episodes": half_life_episodes, "decay": bool(decay)}
    memo = getattr(community, "memo", None)
    if memo is None:
        return _community_log(community, **opts)
    return memo("credit_log", opts, lambda: _community_log(community, **opts))


def _community_log(community: Any, *, horizon_days: float | None, episode_days: float | None, normalize: str,
                   half_life_episodes: float | None, decay: bool) -> tuple[CreditLog, float]:
    from graphcrm.algorithms.backtest import exposures

    n = len(community.owner_ids)
    ex = exposures(community)
    src, dst, tt = (ex[c].to_numpy() for c in ("src", "dst", "t"))
    until = getattr(community, "until", None)
    end_ns = int(pd.Timestamp(until).value) if until is not None else (int(tt.max()) if len(tt) else 0)
    t0 = int(tt.min()) - 1 if len(tt) else end_ns - 1
    span_days = max((end_ns - t0) / _NS_DAY, 1e-9)
    days = episode_days
    if days is None:
        h = horizon_days if horizon_days is not None else min(DEFAULT_HORIZON_DAYS, span_days / 2)
        days = float(h) * DEFAULT_EPISODE_SHARE
    if not float(days) > 0:
        raise _config_error("episode_days / horizon_days must be positive")
    ep_ns = max(1, int(float(days) * _NS_DAY))
    log = credit_log(src, dst, tt, n, end_ns=end_ns, episode_ns=ep_ns, start_ns=t0, normalize=normalize,
                     half_life_episodes=half_life_episodes, decay=decay)
    return log, float(days)


@dataclass(frozen=True)
class CreditDetails:
    """What :func:`credit_ambassadors` used (``details=True``).

    Attributes
    ----------
    episodes : int
        Episodes (the model's actions) in the log.
    episode_days : float
        Length of an episode, days.
    normalize : str
        ``"episodes"`` or ``"user"`` (the paper's).
    half_life_episodes : float or None
        Recency half-life of the episode weights, in episodes (None: all alike).
    decay : bool
        Time-decayed direct credit (the paper's) instead of ``1 / N_in``.
    credit : str
        ``"share"`` (the paper's) or ``"full"``.
    max_hops : int
        Longest credited chain.
    pseudo_nodes, edges : int
        (episode, owner) nodes and (episode, pair) edges of the log.
    evaluations : int
        Marginal-gain evaluations (CELF).
    spread : float
        ``sigma`` of the picks (credit units: owners, seeds included).
    seconds : float
        Wall time of the log and the greedy.
    """

    episodes: int
    episode_days: float
    normalize: str
    half_life_episodes: float | None
    decay: bool
    credit: str
    max_hops: int
    pseudo_nodes: int
    edges: int
    evaluations: int
    spread: float
    seconds: float


def credit_ambassadors(community: Any, *, k: int = 30, horizon_days: float | None = None,
                       episode_days: float | None = None, normalize: str = DEFAULT_NORMALIZE,
                       half_life_episodes: float | None = DEFAULT_HALF_LIFE_EPISODES, decay: bool = False,
                       max_hops: int = DEFAULT_MAX_HOPS, credit: str = DEFAULT_CREDIT,
                       eligible: np.ndarray | None = None, details: bool = False) -> pd.DataFrame | tuple[pd.DataFrame, CreditDetails]:
    """Pick ``k`` ambassadors by the credit-distribution model (module docstring).

    Parameters
    ----------
    community : graphcrm.community.Community
        The history to learn from (e.g. ``Community(tables, until=T)``).
    k : int, default 30
    horizon_days : float, optional
        The campaign horizon (default 90 days, at most half the span of the exposures); episodes
        are :data:`DEFAULT_EPISODE_SHARE` (1/4) of it when ``episode_days`` is not given.
    episode_days : float, optional
        Length of an episode (an "action"), days.
    normalize : {"episodes", "user"}, default "episodes"
        How each owner's credit is averaged over episodes ("user": the paper's).
    half_life_episodes : float or None, default 1
        Recency weighting of the episodes (None: every episode alike, the paper's).
    decay : bool, default False
        The paper's time-decayed direct credit instead of ``1 / N_in``.
    max_hops : {1, 2}, default 2
        Longest credited chain of exposures.
    eligible : array of bool, optional
        Owners who may be picked, in ``community.owner_ids`` order (default
        ``community.eligible()``: no staff, no opt-outs).
    details : bool, default False

    Returns
    -------
    pandas.DataFrame
        ``owner_id``, ``rank`` (1 = first pick), ``marginal_credit`` (credit added by the pick,
        owners: the expected share of an episode's reach it earns), ``credit`` (cumulative
        ``sigma``, owners).  With ``details=True``: ``(table, CreditDetails)``.

    Raises
    ------
    ConfigError
        Bad options.

    Example
    -------
    >>> from graphcrm.demo import generate_demo
    >>> from graphcrm.community import Community
    >>> tables, _ = generate_demo(1000, seed=0)
    >>> credit_ambassadors(Community(tables), k=3)["rank"].tolist()
    [1, 2, 3]
    """
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise _config_error("k must be a positive integer")
    if normalize not in NORMALIZATIONS:
        raise _config_error(f"normalize must be one of {NORMALIZATIONS}, got {normalize!r}")
    if credit not in CREDITS:
        raise _config_error(f"credit must be one of {CREDITS}, got {credit!r}")
    if max_hops not in (1, 2):
        raise _config_error("max_hops must be 1 or 2 under the credit-distribution model")
    if half_life_episodes is not None and not float(half_life_episodes) > 0:
        raise _config_error("half_life_episodes must be positive")
    t_start = time.perf_counter()
    ids = community.owner_ids
    n = len(ids)
    log, days = community_log(community, horizon_days=horizon_days, episode_days=episode_days, normalize=normalize,
                              half_life_episodes=half_life_episodes, decay=decay)
    elig = community.eligible() if eligible is None else np.asarray(eligible, dtype=bool)
    cand = np.flatnonzero(elig & (np.diff(log.copies_ptr) > 0))
    order = np.empty(n, dtype=np.int64)
    order[np.argsort(ids, kind="stable")] = np.arange(n)
    picks, gains, evals = credit_greedy(log, int(k), candidates=cand, order=order, max_hops=int(max_hops),
                                         credit=credit)
    out = pd.DataFrame({"owner_id": ids[picks].astype(object) if len(picks) else np.zeros(0, dtype=object),
                        "rank": np.arange(1, len(picks) + 1, dtype=np.int64),
                        "marginal_credit": gains, "credit": np.cumsum(gains)})
    if not details:
        return out
    info = CreditDetails(episodes=log.episodes, episode_days=float(days), normalize=normalize,
                         half_life_episodes=half_life_episodes, decay=bool(decay), credit=credit,
                         max_hops=int(max_hops),
                         pseudo_nodes=len(log.owner), edges=len(log.dst), evaluations=int(evals),
                         spread=float(gains.sum()), seconds=time.perf_counter() - t_start)
    return out, info
