"""The resolution and the engine of the circles chosen together by edge cross-validation.

Stop 23 cross-validated only the engine (consensus Leiden with its seed-stability scan against
Infomap, ``circles(method="auto")``).  Here every candidate that graphcrm can already produce
is scored the same way: consensus Leiden-modularity at each of the nine levels of the three
granularity bands (:data:`graphcrm.algorithms.circles.GRANULARITY`, 0.25 to 4), Infomap as
``method="auto"`` runs it (best code length of :data:`~graphcrm.algorithms.circles.INFOMAP_TRIALS`
trials) and consensus Infomap (``method="infomap"``).  Edge cross-validation (Li, Levina & Zhu,
Biometrika 2020) was designed to choose the number of blocks of a block model; the loss is stop
23's (:func:`graphcrm.algorithms.circles._ecv_loss`: held-out negative log-likelihood of a
Poisson degree-corrected block model, every tie counted 1, untied held-out pairs in exact
expectation - linear in ties), on stop 23's folds (:func:`~graphcrm.algorithms.circles._ecv_folds`:
5 replications, 10% of the owner pairs held out, fixed seeds).

**The rule** (:func:`one_se_pick`; fixed on 2 December 2026 at 04:17 UTC (commit 7ed8c95), before any of these
candidates was compared with a label in this session): the one-standard-error rule of
cross-validation (Breiman et al. 1984; Hastie, Tibshirani & Friedman, *Elements of Statistical
Learning*, 7.10) with the number of blocks as the measure of complexity - among the candidates
whose mean held-out gain is within one standard error of the best mean gain (the standard error
of the best candidate's gain over the folds, ``std(ddof=1) / sqrt(folds)``), the one with the
fewest circles (mean over the folds of its circles on the training ties); equal circle counts go
to the higher mean gain.  It prefers the coarser model when the held-out ties cannot tell the
two apart, which is what ECV's authors do for the number of blocks.  :func:`best_pick` (plain
arg-max of the mean gain) is printed beside it by the trial as a diagnostic only.

Nothing here is quadratic (each candidate is one ``_find_circles`` call on the training ties;
the loss is linear in ties); it costs ``folds x candidates`` partitions, so
:func:`choose_by_ecv` refuses graphs above :data:`ECV_POOL_MAX_TIES` ties (as ``method="auto"``
does above ``COARSEN_TIES``).  Trial and numbers: bench/circles_ecv_pool.py,
docs/validation.md ("Edge cross-validation over the whole candidate pool (stop 25)").
"""
from __future__ import annotations

from typing import Any

import numpy as np

from graphcrm.algorithms.circles import (
    ECV_FOLDS,
    ECV_HOLDOUT,
    ECV_SEED,
    GRANULARITY,
    INFOMAP_TRIALS,
    _ecv_folds,
    _ecv_loss,
    _find_circles,
)
from graphcrm.errors import ConfigError

#: every level of the three granularity bands, coarsest first
POOL_LEVELS: tuple[float, ...] = tuple(sorted(x for band in GRANULARITY.values() for x in band))
#: the engines beside consensus Leiden: Infomap as ``method="auto"`` runs it, consensus Infomap
POOL_ENGINES: tuple[str, ...] = ("infomap", "consensus infomap")
#: above this many ties :func:`choose_by_ecv` is not run (it costs folds x candidates partitions)
ECV_POOL_MAX_TIES = 100_000


def level_name(level: float) -> str:
    """The candidate name of consensus Leiden-modularity at ``level`` (e.g. ``"leiden 1.41"``)."""
    return f"leiden {level:g}"


def pool_names(*, levels: tuple[float, ...] = POOL_LEVELS, engines: tuple[str, ...] = POOL_ENGINES) -> list[str]:
    """The candidate names, coarsest Leiden level first, then the engines."""
    return [level_name(x) for x in levels] + list(engines)


def pool_partitions(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, *, seed: int, runs: int = 10,
                    n_iterations: int = 2, engine: str = "auto", levels: tuple[float, ...] = POOL_LEVELS,
                    engines: tuple[str, ...] = POOL_ENGINES) -> dict[str, np.ndarray]:
    """Every candidate's circles on one graph (owner -> circle, -1 for owners without ties).

    Parameters
    ----------
    n : int
        Owners (vertices ``0..n-1``).
    u, v, w : numpy.ndarray
        The ties (ends and weights), as :func:`graphcrm.algorithms.circles.combined_graph` gives them.
    seed : int
        Master seed of every candidate's runs.
    runs : int, default 10
        Runs per consensus round (consensus Leiden, consensus Infomap).
    n_iterations : int, default 2
        Leiden iterations per run.
    engine : {"auto", "leidenalg", "igraph"}
        Leiden implementation (as :func:`graphcrm.algorithms.circles.circles`).
    levels, engines : tuple
        The candidates (default: :data:`POOL_LEVELS` and :data:`POOL_ENGINES`).

    Returns
    -------
    dict of str to numpy.ndarray
        Candidate name (:func:`pool_names`) -> circle per owner (int64, length ``n``).

    Example
    -------
    >>> import numpy as np
    >>> u, v = np.array([0, 0, 1, 3, 3, 4, 2]), np.array([1, 2, 2, 4, 5, 5, 3])
    >>> p = pool_partitions(6, u, v, np.ones(7), seed=0, levels=(1.0,), engines=())
    >>> p["leiden 1"].tolist()
    [0, 0, 0, 1, 1, 1]
    """
    out: dict[str, np.ndarray] = {}
    opts: dict[str, Any] = dict(granularity="default", seed=seed, n_iterations=n_iterations, engine=engine)
    for x in levels:
        out[level_name(x)] = _find_circles(n, u, v, w, method="modularity", resolution=float(x), runs=runs, **opts)[0]
    if "infomap" in engines:
        out["infomap"] = _find_circles(n, u, v, w, method="infomap", resolution=None, runs=1,
                                       trials=INFOMAP_TRIALS, **opts)[0]
    if "consensus infomap" in engines:
        out["consensus infomap"] = _find_circles(n, u, v, w, method="infomap", resolution=None, runs=runs, **opts)[0]
    return out


def _folds(m: int, ecv_seed: int, folds: int) -> list[np.ndarray]:
    """``folds`` hold-out masks drawn as :func:`~graphcrm.algorithms.circles._ecv_folds` draws its
    :data:`~graphcrm.algorithms.circles.ECV_FOLDS` (the same stream: the first five are its folds)."""
    if folds == ECV_FOLDS:
        return _ecv_folds(m, ecv_seed)
    rng = np.random.default_rng(np.random.SeedSequence([ECV_SEED, int(ecv_seed)]))
    return [rng.random(m) < ECV_HOLDOUT for _ in range(int(folds))]


def ecv_pool_scores(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, *, ecv_seed: int = 0,
                    folds: int = ECV_FOLDS, **pool: Any) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per candidate and fold: the held-out gain over one circle (nats per held-out tie) and its
    circles on the training ties.

    The folds and the candidates' seeds per fold are those of ``method="auto"``
    (:func:`graphcrm.algorithms.circles._ecv_scores`; ``ecv_seed=0`` is its fold set); the loss
    is the binary one (every tie counts 1).

    Parameters
    ----------
    n, u, v, w
        The graph, as for :func:`pool_partitions`.
    ecv_seed : int, default 0
        Which fold set (0: the one :func:`choose_by_ecv` uses).
    folds : int, default ECV_FOLDS (5)
        Replications (the first five of a larger set are the five-fold set's).
    **pool
        Options of :func:`pool_partitions` (``runs``, ``n_iterations``, ``engine``, ``levels``,
        ``engines``).

    Returns
    -------
    tuple of two dicts
        ``(gains, blocks)``: candidate -> array of ``folds``
        gains (nats per held-out tie; higher = the held-out ties better predicted), and candidate ->
        array of its number of circles on each fold's training ties.
    """
    gains: dict[str, list[float]] = {}
    blocks: dict[str, list[float]] = {}
    for f, hold in enumerate(_folds(len(u), ecv_seed, folds)):
        tr = ~hold
        fs = int(np.random.SeedSequence([ECV_SEED, int(ecv_seed), f]).generate_state(1)[0] % (2 ** 31 - 1))
        parts = pool_partitions(n, u[tr], v[tr], w[tr], seed=fs, **pool)
        base, nh = _ecv_loss(n, u, v, hold, np.zeros(n, dtype=np.int64), ECV_HOLDOUT)
        for name, memb in parts.items():
            loss = _ecv_loss(n, u, v, hold, memb, ECV_HOLDOUT)[0]
            gains.setdefault(name, []).append((base - loss) / max(nh, 1))
            blocks.setdefault(name, []).append(float(len(np.unique(memb[memb >= 0]))))
    return {k: np.asarray(x) for k, x in gains.items()}, {k: np.asarray(x) for k, x in blocks.items()}


def one_se_pick(gains: dict[str, np.ndarray], blocks: dict[str, np.ndarray]) -> tuple[str, float, float]:
    """The one-standard-error rule: the fewest circles within one SE of the best mean gain.

    Parameters
    ----------
    gains : dict of str to numpy.ndarray
        Candidate -> held-out gain per fold (:func:`ecv_pool_scores`).
    blocks : dict of str to numpy.ndarray
        Candidate -> circles per fold.

    Returns
    -------
    tuple
        ``(candidate, best mean gain, standard error)``: the chosen candidate, the best mean gain
        (nats per held-out tie) and the standard error of the best candidate's gain over the folds.

    Example
    -------
    >>> import numpy as np
    >>> g = {"a": np.array([0.50, 0.52, 0.48]), "b": np.array([0.51, 0.53, 0.49]), "c": np.array([0.2, 0.2, 0.2])}
    >>> k = {"a": np.array([2., 2, 2]), "b": np.array([5., 5, 5]), "c": np.array([1., 1, 1])}
    >>> one_se_pick(g, k)[0]
    'a'
    """
    best = max(gains, key=lambda k: float(gains[k].mean()))
    g = gains[best]
    se = float(g.std(ddof=1) / np.sqrt(len(g))) if len(g) > 1 else 0.0
    top = float(g.mean())
    near = [k for k in gains if float(gains[k].mean()) >= top - se]
    pick = min(near, key=lambda k: (float(blocks[k].mean()), -float(gains[k].mean())))
    return pick, top, se


def best_pick(gains: dict[str, np.ndarray]) -> str:
    """The candidate with the best mean held-out gain (the trial's diagnostic; not the rule)."""
    return max(gains, key=lambda k: float(gains[k].mean()))


def choose_by_ecv(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, *, runs: int = 10, n_iterations: int = 2,
                  engine: str = "auto", levels: tuple[float, ...] = POOL_LEVELS,
                  engines: tuple[str, ...] = POOL_ENGINES) -> dict[str, Any]:
    """The candidate (Leiden level or engine) chosen by edge cross-validation and the one-SE rule.

    Runs on fold set 0 and fixed seeds: the choice depends on the data only, never on a seed.

    Parameters
    ----------
    n, u, v, w
        The graph, as for :func:`pool_partitions`.
    runs, n_iterations, engine, levels, engines
        As for :func:`pool_partitions`.

    Returns
    -------
    dict
        ``pick`` (candidate name), ``gains`` and ``blocks`` (per candidate: mean gain in nats per
        held-out tie, mean circles over the folds), ``best`` (best mean gain), ``se`` (its
        standard error over the folds), ``folds`` and ``holdout``.

    Raises
    ------
    ConfigError
        On graphs with more than :data:`ECV_POOL_MAX_TIES` ties (too costly: folds x candidates
        partitions).

    Example
    -------
    >>> import itertools, numpy as np
    >>> e = np.array(list(itertools.combinations(range(8), 2)) + list(itertools.combinations(range(8, 16), 2))
    ...              + [(0, 8), (1, 9)])
    >>> r = choose_by_ecv(16, e[:, 0], e[:, 1], np.ones(len(e)), engines=())
    >>> r["pick"], r["blocks"][r["pick"]]
    ('leiden 0.25', 2.0)
    """
    if len(u) > ECV_POOL_MAX_TIES:
        raise ConfigError(f"edge cross-validation over the candidate pool runs on at most {ECV_POOL_MAX_TIES:,} "
                          f"ties (this graph has {len(u):,})")
    gains, blocks = ecv_pool_scores(n, u, v, w, ecv_seed=0, runs=runs, n_iterations=n_iterations, engine=engine,
                                    levels=levels, engines=engines)
    pick, top, se = one_se_pick(gains, blocks)
    return dict(pick=pick, gains={k: float(x.mean()) for k, x in gains.items()},
                blocks={k: float(x.mean()) for k, x in blocks.items()}, best=top, se=se, folds=ECV_FOLDS,
                holdout=ECV_HOLDOUT)
