"""EM for the independent cascade model's tie probabilities (Saito, Nakano & Kimura, KES 2008).

Not wired into :func:`~graphcrm.algorithms.influence.ambassadors`: it is evaluated as a
backtest method by ``bench/backtest_em.py`` and documented in docs/validation.md ("EM for the
independent cascade model (stop 22)").  It stays here, with its tests, so that the result can
be reproduced; it earns a ``probability=`` name only if it backtests better than ``learned``.

The paper
---------
An *episode* is a sequence of sets of newly active nodes ``D(0), D(1), ...``; under the IC
model a node ``v`` that became active at step ``t`` has one chance to activate each inactive
out-neighbour ``w`` at ``t + 1``, with probability ``kappa(v, w)``.  Only *who became active
when* is observed, not which parent did it, so the likelihood of an activation of ``w`` is
``P_w = 1 - prod_{v in B_w} (1 - kappa(v, w))`` over its potential parents ``B_w`` and each
failed chance contributes ``1 - kappa(v, w)``.  EM: the E-step credits each potential parent
with ``kappa(v, w) / P_w`` of the activation; the M-step sets

    kappa(v, w) = sum_{episodes in S+(v, w)} kappa(v, w) / P_w  /  (|S+(v, w)| + |S-(v, w)|)

``S+``: the episodes in which ``v`` was a potential parent of ``w``'s activation, ``S-`` those in
which ``v`` was active and ``w`` did not follow.  The log-likelihood is concave in
``log(1 - kappa)``, so the fixed point is the maximum-likelihood estimate where it is unique.

On a community's log
--------------------
(The same episode cut as the credit model, :mod:`graphcrm.algorithms.credit`; actions are the
exposures of :func:`graphcrm.algorithms.backtest.exposures`.)

* *Episodes*: the history cut into consecutive windows of ``episode_ns`` (the latest ending
  at ``end``).
* *Active*: owner ``x`` is active in an episode from the first exposure it appears in there,
  as either end (``t_act``): it engaged, attended, was referred, or its content was taken in.
* *Activation*: owner ``w`` is activated at its first exposure *as the receiver* in the
  episode (``t_rcv``): it took in something, i.e. what the backtest counts as reached.
* *Ties*: the ordered pairs ``v -> w`` with an exposure ``v -> w`` anywhere in the history
  given (``w`` has taken in ``v``'s content: ``w`` sees ``v``'s activity).
* *Trial* of tie ``v -> w`` in an episode: ``v`` is active and ``w`` was not activated before
  ``v`` became active (``t_rcv(w) >= t_act(v)`` or no activation).  It is in ``S+`` (``v`` is a
  potential parent) when ``t_act(v) <= t_rcv(w) <= t_act(v) + window_ns``, else in ``S-``.
  (``<=``: the exposure ``v -> w`` that makes ``v`` active can be ``w``'s activation.)

Which parent's content ``w`` took in is known from the exposure, but ``w`` counts once per
episode however many active neighbours it has, which is what the backtest's reach counts: the
E-step shares one activation between every active neighbour that could explain it.

Thin ties and the fallback
--------------------------
A Beta prior with ``prior_trials`` pseudo-trials at the pooled rate ``mu`` (all credited
successes over all trials, re-estimated every iteration: an empirical-Bayes, MAP form of the
M-step): ``kappa = (C + mu m) / (N + m)``.  ``prior_trials=0`` is the paper's estimate.  A tie
with no trial (``w`` always activated before ``v`` was active) gets ``mu``.  Per-episode
probabilities become probabilities within a horizon ``H`` as ``1 - (1 - kappa)^(H / L)``
(``L`` the episode length), as the learned model rescales its label window.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from graphcrm.arrays import unique_sorted

#: episode length as a share of the horizon (the credit model's default, chosen there by inner backtests)
DEFAULT_EPISODE_SHARE = 0.25
#: pseudo-trials of the Beta prior at the pooled rate
DEFAULT_PRIOR_TRIALS = 2.0
DEFAULT_ITERATIONS = 200
DEFAULT_TOL = 1e-7
_NS_DAY = 86_400 * 10**9
_CLIP = 1e-12


def _config_error(msg: str) -> Exception:
    from graphcrm.errors import ConfigError

    return ConfigError(msg)


@dataclass
class EpisodeTrials:
    """The trials of every tie in every episode (see the module docstring).

    Attributes
    ----------
    n : int
        Owners (vertex numbers ``0 .. n-1``).
    tie_src, tie_dst : int64 arrays (m,)
        The ties, sorted by (src, dst).
    trial_tie : int64 array (R,)
        Tie number of each trial.
    parent : bool array (R,)
        The trial is in ``S+``: the tie's source is a potential parent of the target's activation.
    group : int64 array (R,)
        For ``S+`` trials the (episode, target) activation they belong to (0 .. G-1), -1 for ``S-``.
    groups : int
        Activations with at least one potential parent (G).
    episodes : int
        Episodes cut.
    episode_ns : int
        Episode length, nanoseconds.
    """

    n: int
    tie_src: np.ndarray
    tie_dst: np.ndarray
    trial_tie: np.ndarray
    parent: np.ndarray
    group: np.ndarray
    groups: int
    episodes: int
    episode_ns: int


def episode_trials(src: Any, dst: Any, t: Any, n: int, *, end: int, episode_ns: int,
                   window_ns: int | None = None, parents: str = "neighbours") -> EpisodeTrials:
    """Cut an exposure log into episodes and list every tie's trials.

    Parameters
    ----------
    src, dst, t : array-like of int
        Exposures ``src -> dst`` (``dst`` took in something of ``src``'s) at ``t`` (int64 ns).
    n : int
        Number of owners.
    end : int
        End of the history (ns, inclusive): episode 0 is ``(end - episode_ns, end]``.
    episode_ns : int
        Episode length (ns, > 0).
    window_ns : int, optional
        Longest delay from a parent's activity to the activation it may explain (default: the
        episode length, i.e. anywhere later in the episode).
    parents : {"neighbours", "sources"}, default "neighbours"
        Potential parents of an activation: every tie whose source was active in time
        (``"neighbours"``, the paper's), or only those that also exposed the target in the
        episode (``"sources"``: the activation is shared only between the owners whose content
        the target took in; a tie whose source was active but did not expose the target is in
        ``S-``).

    Returns
    -------
    EpisodeTrials

    Raises
    ------
    ConfigError
        ``episode_ns`` not positive or unknown ``parents``.

    Example
    -------
    >>> tr = episode_trials([0, 1], [1, 2], [10, 20], 3, end=30, episode_ns=100)
    >>> tr.tie_src.tolist(), tr.tie_dst.tolist(), tr.trial_tie.tolist(), tr.parent.tolist()
    ([0, 1], [1, 2], [0, 1], [True, True])
    """
    episode_ns = int(episode_ns)
    if episode_ns <= 0:
        raise _config_error("episode_ns must be positive")
    if parents not in ("neighbours", "sources"):
        raise _config_error(f"parents must be 'neighbours' or 'sources', got {parents!r}")
    window = episode_ns if window_ns is None else int(window_ns)
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    t = np.asarray(t, dtype=np.int64)
    keep = (t <= end) & (src != dst)
    src, dst, t = src[keep], dst[keep], t[keep]
    ep = (int(end) - t) // episode_ns  # 0 = the latest episode
    n_ep = int(ep.max()) + 1 if len(ep) else 0

    # ties: distinct (src, dst) pairs, sorted
    tie_key = unique_sorted(src * n + dst)
    tie_src, tie_dst = tie_key // n, tie_key % n
    m = len(tie_key)

    # first appearance (either end) and first reception per (episode, owner)
    def first(owner: np.ndarray, when: np.ndarray, eps: np.ndarray, base: int = n) -> tuple[np.ndarray, np.ndarray]:
        key = eps * base + owner
        o = np.lexsort((when, key))
        key, when = key[o], when[o]
        head = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
        return key[head], when[head]

    act_key, act_t = first(np.r_[src, dst], np.r_[t, t], np.r_[ep, ep])
    rcv_key, rcv_t = first(dst, t, ep)

    # every (active source, its tie) per episode
    deg = np.bincount(tie_src, minlength=n)
    ptr = np.r_[0, np.cumsum(deg)]
    a_ep, a_own = act_key // n, act_key % n
    reps = deg[a_own]
    total = int(reps.sum())
    row_act = np.repeat(np.arange(len(act_key)), reps)
    start = np.repeat(ptr[a_own] - np.r_[0, np.cumsum(reps)[:-1]], reps) + np.arange(total) if total else \
        np.zeros(0, np.int64)
    tie = start.astype(np.int64)
    tv = act_t[row_act]
    e = a_ep[row_act]
    w = tie_dst[tie]
    # the target's activation in that episode (if any)
    q = e * n + w
    pos = np.searchsorted(rcv_key, q)
    pos_c = np.minimum(pos, max(len(rcv_key) - 1, 0))
    has = (pos < len(rcv_key)) & (rcv_key[pos_c] == q) if len(rcv_key) else np.zeros(total, bool)
    tw = np.where(has, rcv_t[pos_c] if len(rcv_key) else 0, np.iinfo(np.int64).max)
    trial = ~has | (tw >= tv)
    parent = has & (tw >= tv) & (tw - tv <= window)
    if parents == "sources":  # the tie itself carried an exposure in the episode, within the window
        ex_key, ex_t = first(np.searchsorted(tie_key, src * n + dst), t, ep, m)  # (episode, tie) -> first time
        qe = e * m + tie
        pe = np.searchsorted(ex_key, qe)
        pe_c = np.minimum(pe, max(len(ex_key) - 1, 0))
        hit = (pe < len(ex_key)) & (ex_key[pe_c] == qe) if len(ex_key) else np.zeros(total, bool)
        parent = trial & hit & (np.where(hit, ex_t[pe_c], 0) - tv <= window)
    tie, parent, q = tie[trial], parent[trial], q[trial]
    group = np.full(len(tie), -1, dtype=np.int64)
    if parent.any():
        codes, uniq = pd.factorize(q[parent], sort=True)
        group[parent] = codes
        groups = len(uniq)
    else:
        groups = 0
    return EpisodeTrials(n=n, tie_src=tie_src, tie_dst=tie_dst, trial_tie=tie, parent=parent, group=group,
                         groups=groups, episodes=n_ep, episode_ns=episode_ns)


@dataclass
class EMResult:
    """Output of :func:`em_ic`.

    Attributes
    ----------
    prob : float array (m,)
        ``kappa`` per tie, per episode.
    trials, parents : int arrays (m,)
        ``|S+| + |S-|`` and ``|S+|`` per tie.
    credit : float array (m,)
        Credited activations per tie at the fixed point (sum of ``kappa / P_w`` over ``S+``).
    prior_mean : float
        Pooled rate ``mu`` at the end.
    iterations : int
    converged : bool
    log_likelihood : list of float
        Observed-data log-likelihood (without the prior) after each iteration.
    """

    prob: np.ndarray
    trials: np.ndarray
    parents: np.ndarray
    credit: np.ndarray
    prior_mean: float
    iterations: int
    converged: bool
    log_likelihood: list = field(default_factory=list)


def _log_likelihood(tr: EpisodeTrials, kappa: np.ndarray) -> float:
    k = np.clip(kappa[tr.trial_tie], _CLIP, 1 - _CLIP)
    fail = ~tr.parent
    ll = float(np.log1p(-k[fail]).sum())
    if tr.groups:
        logq = np.bincount(tr.group[tr.parent], weights=np.log1p(-k[tr.parent]), minlength=tr.groups)
        ll += float(np.log(np.maximum(-np.expm1(logq), _CLIP)).sum())
    return ll


def em_ic(tr: EpisodeTrials, *, prior_trials: float = DEFAULT_PRIOR_TRIALS, prior_mean: float | None = None,
          iterations: int = DEFAULT_ITERATIONS, tol: float = DEFAULT_TOL, init: float | None = None) -> EMResult:
    """Saito et al.'s EM for the IC tie probabilities on :func:`episode_trials`' trials.

    Parameters
    ----------
    tr : EpisodeTrials
    prior_trials : float, default 2.0
        Pseudo-trials of the Beta prior (0: the paper's maximum-likelihood estimate).
    prior_mean : float, optional
        Fixed prior mean; default: the pooled rate, re-estimated every iteration.
    iterations : int, default 200
    tol : float, default 1e-7
        Stop when no probability moves by more than this.
    init : float, optional
        Starting value of every ``kappa`` (default 0.5).

    Returns
    -------
    EMResult

    Example
    -------
    >>> tr = episode_trials([0, 0], [1, 1], [10, 210], 2, end=300, episode_ns=100)
    >>> em_ic(tr, prior_trials=0).prob.round(3).tolist()   # one tie, active in 2 of 3 episodes, w followed twice
    [1.0]
    """
    m = len(tr.tie_src)
    trials = np.bincount(tr.trial_tie, minlength=m).astype(np.float64)
    parents = np.bincount(tr.trial_tie[tr.parent], minlength=m).astype(np.float64)
    kappa = np.full(m, 0.5 if init is None else float(init))
    ptie = tr.trial_tie[tr.parent]
    pgrp = tr.group[tr.parent]
    mprior = max(float(prior_trials), 0.0)
    mu = float(prior_mean) if prior_mean is not None else 0.5
    lls: list[float] = []
    converged = False
    credit = np.zeros(m)
    it = 0
    for it in range(1, int(iterations) + 1):
        k = np.clip(kappa, _CLIP, 1 - _CLIP)
        if len(ptie):
            logq = np.bincount(pgrp, weights=np.log1p(-k[ptie]), minlength=tr.groups)
            pw = np.maximum(-np.expm1(logq), _CLIP)
            credit = np.bincount(ptie, weights=k[ptie] / pw[pgrp], minlength=m)
        else:
            credit = np.zeros(m)
        if prior_mean is None:
            tot = trials.sum()
            mu = float(credit.sum() / tot) if tot > 0 else 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            new = np.where(trials + mprior > 0, (credit + mu * mprior) / np.maximum(trials + mprior, 1e-300), mu)
        new = np.clip(new, 0.0, 1.0)
        delta = float(np.abs(new - kappa).max()) if m else 0.0
        kappa = new
        lls.append(_log_likelihood(tr, kappa))
        if delta < tol:
            converged = True
            break
    return EMResult(prob=kappa, trials=trials.astype(np.int64), parents=parents.astype(np.int64), credit=credit,
                    prior_mean=mu, iterations=it, converged=converged, log_likelihood=lls)


def to_horizon(kappa: Any, episode_share: float) -> np.ndarray:
    """Per-episode probability -> probability within the horizon: ``1 - (1 - kappa)^(1 / share)``.

    Example
    -------
    >>> to_horizon([0.5], 0.5).tolist()
    [0.75]
    """
    k = np.clip(np.asarray(kappa, dtype=np.float64), 0.0, 1.0)
    return -np.expm1(np.log1p(-np.minimum(k, 1 - 1e-15)) / float(episode_share))


def em_influence(community: Any, *, horizon_days: float, episode_share: float = DEFAULT_EPISODE_SHARE,
                 prior_trials: float = DEFAULT_PRIOR_TRIALS, parents: str = "neighbours",
                 activity: str = "none", iterations: int = DEFAULT_ITERATIONS,
                 tol: float = DEFAULT_TOL) -> tuple[pd.DataFrame, dict]:
    """EM tie probabilities of a community's history (everything in it is the past).

    Parameters
    ----------
    community : graphcrm.community.Community
    horizon_days : float
        Horizon the returned probabilities refer to (the backtest's evaluation window).
    episode_share : float, default 0.25
        Episode length as a share of the horizon.
    prior_trials : float, default 2.0
        Pseudo-trials of the Beta prior at the pooled rate (0 = the paper's estimate).
    parents : {"neighbours", "sources"}, default "neighbours"
        See :func:`episode_trials`.
    activity : {"none", "share", "recent"}, default "none"
        ``kappa`` is the chance *given that the source is active* in an episode (the paper's
        IC: a seed acts).  A pick need not act after the split, so the per-episode chance can
        be multiplied by the source's activity ``alpha(v)``: the share of the episodes it was
        active in (``"share"``) or the same with weights halving per episode of age
        (``"recent"``, half-life one episode, as the credit model's recency): ``prob = 1 - (1 -
        alpha kappa)^(1 / episode_share)``.  ``"none"`` keeps ``alpha = 1``.
    iterations : int, default 200
    tol : float, default 1e-7

    Returns
    -------
    (pandas.DataFrame, dict)
        Ties ``src``, ``dst`` (vertex numbers in ``community.owner_ids``), ``kappa``
        (probability per episode given an active source), ``alpha`` (the source's activity
        factor, 1 with ``activity="none"``), ``prob`` (within the horizon), ``trials`` (episodes the tie
        had a chance), ``parents`` (episodes its source could explain the target's
        activation), ``credit`` (activations credited to it); and an info dict (``episodes``,
        ``episode_days``, ``ties``, ``trials``, ``activations``, ``prior_mean``,
        ``prior_trials``, ``parents``, ``activity``, ``iterations``, ``converged``,
        ``log_likelihood`` first and last).

    Raises
    ------
    ConfigError
        Bad horizon or share.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a", "b"]}),
    ...     "referrals": pd.DataFrame({"referrer_id": ["a"], "referee_id": ["b"], "stage": ["order"],
    ...                                "referred_at": ["2024-01-01"]})})
    >>> ties, info = em_influence(c, horizon_days=4.0)
    >>> ties[["src", "dst"]].values.tolist(), info["episodes"]
    ([[0, 1]], 1)
    """
    from graphcrm.algorithms.backtest import exposures

    if not (horizon_days and float(horizon_days) > 0):
        raise _config_error("horizon_days must be positive")
    if not 0 < float(episode_share) <= 1:
        raise _config_error("episode_share must be in (0, 1]")
    ex = exposures(community)
    n = len(community.owner_ids)
    ep_ns = max(int(float(horizon_days) * float(episode_share) * _NS_DAY), 1)
    end = int(ex["t"].iloc[-1]) if len(ex) else 0
    tr = episode_trials(ex["src"].to_numpy(), ex["dst"].to_numpy(), ex["t"].to_numpy(), n, end=end,
                        episode_ns=ep_ns, parents=parents)
    res = em_ic(tr, prior_trials=prior_trials, iterations=iterations, tol=tol)
    alpha = np.ones(n)
    if activity in ("share", "recent") and tr.episodes:
        ep = (end - ex["t"].to_numpy()) // ep_ns
        key = unique_sorted(np.r_[ep * n + ex["src"].to_numpy(), ep * n + ex["dst"].to_numpy()])
        w = 0.5 ** np.arange(tr.episodes, dtype=np.float64) if activity == "recent" else np.ones(tr.episodes)
        alpha = np.bincount(key % n, weights=w[key // n], minlength=n) / w.sum()
    elif activity != "none":
        raise _config_error(f"activity must be 'none', 'share' or 'recent', got {activity!r}")
    eff = alpha[tr.tie_src] * res.prob
    ties = pd.DataFrame({"src": tr.tie_src, "dst": tr.tie_dst, "kappa": res.prob, "alpha": alpha[tr.tie_src],
                         "prob": to_horizon(eff, episode_share), "trials": res.trials,
                         "parents": res.parents, "credit": res.credit})
    info = {"episodes": tr.episodes, "episode_days": ep_ns / _NS_DAY, "ties": len(ties), "trials": len(tr.trial_tie),
            "activations": tr.groups, "prior_mean": res.prior_mean, "prior_trials": prior_trials, "parents": parents,
            "activity": activity,
            "iterations": res.iterations, "converged": res.converged,
            "log_likelihood": (res.log_likelihood[0], res.log_likelihood[-1]) if res.log_likelihood else None}
    return ties, info
