"""Attempt 10 of issue #12: predicted own reach, covered with the overlap of the last period's reach sets.

Guided by the hindsight ceiling (:mod:`graphcrm.algorithms.hindsight`): the reach a set has
after T is a coverage of its members' own after-T reach sets, so a pick method needs (a) how
many owners each candidate will reach on its own and (b) how much of that the other picks
will reach too.  This module estimates both from the data before T only, and is used by the
bench scripts (bench/backtest_reach_cover.py), not offered by ``ambassadors``:

* **size**: a Poisson regression (the learned model's L2-penalised GLM, penalty 1) of an owner's
  own two-hop reach in a window of length ``L`` on features at the start of that window, fitted
  on the internal split ``T1 = T - L`` (label window ``(T1, T]``, features from the data up to
  ``T1``), then applied to the features at ``T``.  ``L`` is :data:`LABEL_SHARE` (default 1) x the
  horizon (the evaluation window's length in the backtest); the scale of the prediction does not
  matter to the picks, only its ranking and the overlap factor; when ``T - L`` would leave less than a quarter of the
  history before it, ``T1`` is 70% into the history (the ``auto`` method's rule).  Features (all
  ``log1p`` of counts but the last two): distinct audience ever, in the last ``L`` and ``L/4``;
  own two-hop reach in the last ``L`` and ``L/4`` (the backtest's reach, counted inside that
  window); exposures received in the last ``L``; whether the owner reached anyone in the last
  ``L/4``; the age of its last exposure as a source in units of ``L`` (capped at 10).
* **overlap**: each candidate's own reach set in the last window ``(T - L, T]`` stands for the
  set it will reach; the share of the predicted reach that falls on owners the other picks
  will reach is ``rho`` times the covered share of that set, ``rho`` = the share of the future
  own reach (in ``(T1, T]``) that lay in the lagged own reach set (in ``(T1 - L, T1]``),
  pooled over the owners of the internal split (``overlap="fitted"``), or 1 (``"full"``), or 0
  (``"none"``: top k by predicted own reach).  With ``SOURCES_ONLY`` the regression is fitted on
  the owners who were a source before ``T1`` only (default: every owner seen before ``T1``).
* **picks**: greedy (lazy; the gains only shrink) on ``gain(u | S) = yhat(u) * (1 - rho *
  |R_last(u) n C| / |R_last(u)|) - rho * [u in C]``, ``C`` = the union of the picks' last-window
  sets and the picks; eligible owners only; ties by owner id.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from graphcrm.algorithms.hindsight import reach_sets, reach_sizes

_NS_DAY = 86_400 * 10**9
OVERLAPS = ("fitted", "full", "none")
FEATURES = ("audience_ever", "audience_L", "audience_L4", "reach_L", "reach_L4", "received_L", "active_L4",
            "age_last")
#: at most this many owners are candidates of the greedy (the largest predicted reach)
MAX_CANDIDATES = 20_000
#: the window ``L`` as a share of ``horizon_days`` (features, label and last-window sets all use ``L``)
LABEL_SHARE = 1.0
#: fit the regression on owners who were a source before the internal split only (else: every owner seen)
SOURCES_ONLY = False
#: training rows of the regression at most (a seeded uniform sample)
MAX_ROWS = 200_000


@dataclass(frozen=True)
class ReachCoverInfo:
    """Side results of :func:`reach_cover` (``details=True``).

    Attributes
    ----------
    fit_at, at : pandas.Timestamp
        The internal split ``T1`` and the time the picks are made at ``T``.
    window_days : float
        ``L``, days.
    rows, positives : int
        Training rows of the regression and those with a reach > 0.
    coef : dict
        Feature -> coefficient (standardised features).
    rho : float
        Overlap factor used.
    rho_fitted : float
        The pooled share measured on the internal split (module docstring).
    """

    fit_at: pd.Timestamp
    at: pd.Timestamp
    window_days: float
    rows: int
    positives: int
    coef: dict
    rho: float
    rho_fitted: float


def _distinct_out(src: np.ndarray, dst: np.ndarray, n: int) -> np.ndarray:
    if not len(src):
        return np.zeros(n)
    pairs = np.unique(src * n + dst)
    return np.bincount(pairs // n, minlength=n).astype(np.float64)


def _features(src: np.ndarray, dst: np.ndarray, t: np.ndarray, n: int, at: int, length: int) -> np.ndarray:
    """Features of every owner at ``at`` from the exposures up to ``at`` (module docstring)."""
    upto = t <= at
    s, d, tt = src[upto], dst[upto], t[upto]
    last = tt > at - length
    last4 = tt > at - max(length // 4, 1)
    all_owners = np.arange(n)
    reach_l = reach_sizes(s, d, tt, n, all_owners, start=at - length + 1, end=at).astype(np.float64)
    reach_l4 = reach_sizes(s, d, tt, n, all_owners, start=at - max(length // 4, 1) + 1, end=at).astype(np.float64)
    last_src = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last_src, s, tt)
    age = np.where(last_src > np.iinfo(np.int64).min, (at - last_src) / max(length, 1), 10.0)
    x = np.column_stack([
        np.log1p(_distinct_out(s, d, n)), np.log1p(_distinct_out(s[last], d[last], n)),
        np.log1p(_distinct_out(s[last4], d[last4], n)), np.log1p(reach_l), np.log1p(reach_l4),
        np.log1p(np.bincount(d[last], minlength=n).astype(np.float64)), (reach_l4 > 0).astype(np.float64),
        np.minimum(age, 10.0)])
    return x


def _pooled_overlap(future: tuple[np.ndarray, np.ndarray], lagged: tuple[np.ndarray, np.ndarray]) -> float:
    """Share of the owners' future own reach that lay in their lagged own reach set (pooled; rows aligned)."""
    fp, fi = future
    lp, li = lagged
    hit = tot = 0
    for i in range(len(fp) - 1):
        a = fi[fp[i]:fp[i + 1]]
        if not len(a):
            continue
        b = li[lp[i]:lp[i + 1]]
        tot += len(a)
        if len(b):
            hit += len(np.intersect1d(a, b, assume_unique=True))
    return hit / tot if tot else 0.0


def cover_greedy(yhat: np.ndarray, cand: np.ndarray, indptr: np.ndarray, indices: np.ndarray, n: int, *, k: int,
                 rho: float) -> list[tuple[int, float]]:
    """Lazy greedy on ``gain(u | S) = yhat(u) (1 - rho |R(u) n C| / |R(u)|) - rho [u in C]`` (module docstring).

    Parameters
    ----------
    yhat : numpy.ndarray
        Predicted own reach by owner number.
    cand : numpy.ndarray
        Candidate owner numbers, in the order ties are broken (first wins).
    indptr, indices : numpy.ndarray
        CSR of the candidates' last-window reach sets (row ``i`` for ``cand[i]``).
    n : int
    k : int
    rho : float

    Returns
    -------
    list of (owner number, gain)

    Example
    -------
    >>> # 0 and 1 reached the same owners last time; 2 fewer, but others: with rho = 1, 0 then 2
    >>> cover_greedy(np.array([5.0, 4.0, 3.0, 0, 0, 0, 0]), np.array([0, 1, 2]), np.array([0, 2, 4, 5]),
    ...              np.array([3, 4, 3, 4, 5]), 7, k=2, rho=1.0)
    [(0, 5.0), (2, 3.0)]
    """
    covered = np.zeros(n, dtype=bool)

    def gain(i: int) -> float:
        u = int(cand[i])
        row = indices[indptr[i]:indptr[i + 1]]
        share = float(covered[row].mean()) if len(row) else 0.0
        return float(yhat[u]) * (1.0 - rho * share) - (rho if covered[u] else 0.0)

    heap = [(-float(yhat[u]), i) for i, u in enumerate(cand)]
    heapq.heapify(heap)
    picks: list[tuple[int, float]] = []
    while heap and len(picks) < k:
        _, i = heapq.heappop(heap)
        g = gain(i)
        if heap and (-g, i) > heap[0]:
            heapq.heappush(heap, (-g, i))
            continue
        picks.append((int(cand[i]), g))
        covered[indices[indptr[i]:indptr[i + 1]]] = True
        covered[int(cand[i])] = True
    return picks


def reach_cover(community: Any, *, k: int, horizon_days: float, overlap: str = "fitted", seed: int = 0,
                details: bool = False) -> Any:
    """Pick ``k`` owners by predicted own reach and the overlap of their last reach sets (module docstring).

    Parameters
    ----------
    community : graphcrm.community.Community
        The history to pick on (in the backtest: ``Community(tables, until=T)``); the picks are
        made at its last exposure.
    k : int
    horizon_days : float
        ``L``: the window the reach is predicted for (the backtest's evaluation window).
    overlap : {"fitted", "full", "none"}, default "fitted"
    seed : int, default 0
        Seed of the training-row sample.
    details : bool, default False

    Returns
    -------
    pandas.DataFrame
        ``owner_id`` (str), ``rank`` (1 = first pick), ``predicted_reach`` (owners the owner is
        predicted to reach on its own in ``L``, from the regression), ``gain`` (its greedy
        gain, owners); with ``details=True`` ``(frame, ReachCoverInfo)``.

    Raises
    ------
    ConfigError
        Bad ``k``, ``horizon_days`` or ``overlap``.

    Example
    -------
    >>> from graphcrm.demo import generate_demo
    >>> from graphcrm.community import Community
    >>> tables, _ = generate_demo(1000, seed=0)
    >>> len(reach_cover(Community(tables), k=5, horizon_days=60))
    5
    """
    from graphcrm.algorithms.backtest import exposures
    from graphcrm.algorithms.influence_learning import _fit_glm, _predict
    from graphcrm.errors import ConfigError

    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ConfigError("k must be a positive integer")
    if not (isinstance(horizon_days, (int, float)) and math.isfinite(horizon_days) and horizon_days > 0):
        raise ConfigError("horizon_days must be a positive number")
    if overlap not in OVERLAPS:
        raise ConfigError(f"overlap must be one of {', '.join(OVERLAPS)}")
    ids = community.owner_ids
    n = len(ids)
    ex = exposures(community)
    src, dst, t = (ex[c].to_numpy().astype(np.int64) for c in ("src", "dst", "t"))
    elig = np.asarray(community.eligible(), dtype=bool)
    empty = pd.DataFrame({"owner_id": pd.Series([], dtype=object), "rank": pd.Series([], dtype=np.int64),
                          "predicted_reach": pd.Series([], dtype=np.float64), "gain": pd.Series([], dtype=np.float64)})
    if not len(t):
        return (empty, None) if details else empty
    t0, at = int(t[0]), int(t[-1])
    length = max(int(float(horizon_days) * LABEL_SHARE * _NS_DAY), 1)
    fit_at = at - length
    if not fit_at > t0 + (at - t0) * 0.25:
        fit_at = t0 + int((at - t0) * 0.7)
        length = at - fit_at
    # internal split: features at T1, label = own two-hop reach in (T1, T]
    x_fit = _features(src, dst, t, n, fit_at, length)
    y = reach_sizes(src, dst, t, n, np.arange(n), start=fit_at + 1, end=at).astype(np.float64)
    known = np.zeros(n, dtype=bool)
    upto = t <= fit_at
    known[src[upto]] = True
    if not SOURCES_ONLY:
        known[dst[upto]] = True
    rows = np.flatnonzero(known)
    if len(rows) > MAX_ROWS:
        rows = np.sort(np.random.default_rng([int(seed), 0x5EAC]).choice(rows, MAX_ROWS, replace=False))
    model = _fit_glm(x_fit[rows], y[rows], family="poisson", l2=1.0)
    top = rows[np.argsort(-y[rows], kind="stable")[:5000]]
    rho_fit = _pooled_overlap(reach_sets(src, dst, t, n, top, start=fit_at + 1, end=at),
                              reach_sets(src, dst, t, n, top, start=fit_at - length + 1, end=fit_at))
    rho = {"fitted": rho_fit, "full": 1.0, "none": 0.0}[overlap]
    # at T
    yhat = _predict(model, _features(src, dst, t, n, at, length))
    cand = np.flatnonzero(elig)
    cand = cand[np.lexsort((ids[cand], -yhat[cand]))][:MAX_CANDIDATES]
    # each candidate's own reach set in the last window (rows of cand)
    cp, ci = reach_sets(src, dst, t, n, cand, start=at - length + 1, end=at)
    picks = cover_greedy(yhat, cand, cp, ci, n, k=int(k), rho=rho)
    sel = np.asarray([u for u, _ in picks], dtype=np.int64)
    out = pd.DataFrame({"owner_id": ids[sel].astype(object), "rank": np.arange(1, len(sel) + 1, dtype=np.int64),
                        "predicted_reach": yhat[sel], "gain": np.asarray([g for _, g in picks], dtype=np.float64)})
    if not details:
        return out
    info = ReachCoverInfo(fit_at=pd.Timestamp(fit_at), at=pd.Timestamp(at), window_days=length / _NS_DAY,
                          rows=int(len(rows)), positives=int((y[rows] > 0).sum()),
                          coef=dict(zip(FEATURES, np.round(model["w"][1:], 4).tolist())), rho=float(rho),
                          rho_fitted=float(rho_fit))
    return out, info
