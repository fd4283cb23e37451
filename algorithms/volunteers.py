"""Volunteer candidates: owners who resemble the current volunteers.

Every non-staff owner who is not a volunteer gets a score from seven explainable components,
combined by an L2-regularised logistic regression fitted on "volunteer vs everyone else"
with standardised features and non-negative weights (every component is defined so that more
means more volunteer-like; fitted with scipy's L-BFGS-B on every call, no state is kept):

==================  ============================================================================
component           meaning (and transform before standardising)
==================  ============================================================================
``closeness``       personalised PageRank on the co-attendance graph seeded on the volunteers,
                    times the number of owners (1 = average) - how often the owner is at the same
                    events as volunteers, directly or through friends (``log1p``)
``events_attended`` events attended, checked in, any role (``log1p``)
``events_led``      events where the owner was organizer, host or volunteer (``log1p``)
``active_weeks``    distinct calendar weeks with any activity: event, post, comment, like,
                    referral - regularity (``log1p``)
``tenure_days``     days since ``joined_at`` (else ``purchased_at``, else first activity)
``helping``         comments and replies on OTHER owners' posts (``log1p``)
``circle_share``    share of the owner's circle (other members) who volunteer; circles from
                    :func:`graphcrm.algorithms.circles.circles` (its ``circle``; -1 = none)
                    when available, else Leiden (modularity) on the co-attendance graph
==================  ============================================================================

Leakage guards
--------------
* PageRank seeds: a volunteer's own closeness is computed *out of fold* (5 folds: seeded on
  the other volunteers only), otherwise every volunteer would look close to volunteers merely
  because it is a seed; non-volunteers get the mean over the same fold runs.
* ``circle_share`` leaves the owner out of their own circle.
* Built-in validation hides a seeded random 20 % of the volunteers: they are treated as
  non-volunteers for the fit and for the PageRank seeds, and their ``organizer``, ``host``
  and ``volunteer`` attendance roles are masked to ``attendee`` (a volunteer role on an event
  is what makes someone a volunteer, so keeping it would leak the answer).  The model is
  refitted without them and AUC / recall@k measure how well the hidden ones rank among all
  candidates.

The PageRank runs of all folds are one block power iteration on a sparse matrix (same
restart convention as igraph's ``personalized_pagerank``), so the cost is about one sparse
product per iteration for all folds.  Measured numbers: ``docs/validation.md``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import igraph as ig
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import expit

from graphcrm.algorithms._glm import loss_grad
from graphcrm.algorithms.levels import activity_log, owner_positions
from graphcrm.errors import AnalysisError, ConfigError
from graphcrm.projections import Edges, post_rows_of
from graphcrm.i18n import check_lang, join
from graphcrm.results import Col, ResultSpec, analysis

FEATURES: tuple[str, ...] = (
    "closeness",
    "events_attended",
    "events_led",
    "active_weeks",
    "tenure_days",
    "helping",
    "circle_share",
)
_LOG_FEATURES = {"closeness", "events_attended", "events_led", "active_weeks", "helping"}
_LED_ROLES = ("organizer", "host", "volunteer")


# ---------------------------------------------------------------------------------------------
# features
# ---------------------------------------------------------------------------------------------
def _coattendance(community: Any) -> Edges:
    return community.edges("coattendance")


def transition_matrix(g: ig.Graph | Edges) -> tuple[sp.csr_matrix, np.ndarray]:
    """``P.T`` of the random walk on an undirected weighted graph, and the dangling mask.

    ``P = D^-1 A`` (A symmetric, ``weight`` attribute or 1), so ``P.T = A D^-1``.  ``g`` is an
    igraph graph or, without building one, the community's :class:`~graphcrm.projections.Edges`
    (``community.edges("coattendance")``: int32 arrays straight from the store).

    Example
    -------
    >>> from graphcrm.projections import Edges
    >>> PT, dangling = transition_matrix(Edges.of("coattendance", 3, [0], [1], [2.0], [1], directed=False))
    >>> PT.toarray().tolist(), dangling.tolist()
    ([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]], [False, False, True])
    """
    if isinstance(g, Edges):
        n, src, dst, w = g.n, g.source, g.target, g.weight
    else:
        n = g.vcount()
        m = g.ecount()
        el = np.asarray(g.get_edgelist(), dtype=np.int64).reshape(m, 2)
        src, dst = el[:, 0], el[:, 1]
        w = np.asarray(g.es["weight"], dtype=float) if "weight" in g.edge_attributes() else np.ones(m)
    idx = np.int32 if n < 2**31 - 1 else np.int64
    rows = np.concatenate([src, dst]).astype(idx, copy=False)
    cols = np.concatenate([dst, src]).astype(idx, copy=False)
    A = sp.csr_matrix((np.concatenate([w, w]), (rows, cols)), shape=(n, n))
    del rows, cols
    deg = np.asarray(A.sum(axis=1)).ravel()
    inv = np.divide(1.0, deg, out=np.zeros(n), where=deg > 0)
    A.data *= inv[A.indices]  # A D^-1: column j scaled by 1/deg(j), in place
    return A, deg == 0


def renumbered_walk(walk: tuple[sp.csr_matrix, np.ndarray], labels: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """The walk of :func:`transition_matrix` on vertices renumbered by group (``labels``, e.g. the
    circles; -1 last), for memory locality: the sparse product then reads the vector rows of
    one circle together instead of scattered over the whole community (at 100,000 owners,
    five columns: 2.4x less CPU per product).

    Returns ``(PT', dangling, rank)``: ``rank[v]`` is the new number of vertex ``v``; ``PT'``
    holds row ``rank[v]`` = row ``v`` of ``PT`` with its entries in the same order (columns
    renumbered), so a product sums exactly the same terms in the same order; ``dangling`` is
    unchanged (owner order).  :func:`_ppr_folds_many` takes such a walk and gives the same
    values as on the original one.

    Example
    -------
    >>> import numpy as np, scipy.sparse as sp
    >>> PT = sp.csr_matrix(np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    >>> PTr, dangling, rank = renumbered_walk((PT, np.array([False, False, True])), np.array([1, -1, 0]))
    >>> rank.tolist(), PTr.toarray().tolist()
    ([1, 2, 0], [[0.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    """
    PT, dangling = walk
    n = PT.shape[0]
    lab = np.asarray(labels, dtype=np.int64)
    order = np.lexsort((np.arange(n), np.where(lab >= 0, lab, np.iinfo(np.int64).max)))  # old vertex per new number
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    lengths = np.diff(PT.indptr)[order]
    indptr = np.zeros(n + 1, dtype=PT.indptr.dtype)
    np.cumsum(lengths, out=indptr[1:])
    # for each new row the old row's slice, in order: position k of new row r is old entry
    # indptr_old[order[r]] + (k - indptr_new[r])
    take = np.arange(PT.nnz, dtype=np.int64)
    take += np.repeat(PT.indptr[:-1][order].astype(np.int64) - indptr[:-1].astype(np.int64), lengths)
    indices = rank.astype(PT.indices.dtype)[PT.indices[take]]
    data = PT.data[take]
    del take
    out = sp.csr_matrix((data, indices, indptr), shape=PT.shape)
    return out, dangling, rank


def personalized_pagerank(
    PT: sp.csr_matrix, dangling: np.ndarray, R: np.ndarray, *, damping: float = 0.85,
    tol: float = 1e-9, max_iter: int = 500, groups: Sequence[int] | None = None,
) -> np.ndarray:
    """Personalised PageRank for several reset distributions at once (columns of ``R``).

    ``x = (1 - d) r + d P.T x + d (dangling mass of x) r``: the walker restarts at ``r`` with
    probability ``1 - d`` and whenever it reaches a vertex without edges - the same
    convention as igraph's ``personalized_pagerank``.  Power iteration on all columns at once
    (one sparse product per step: scipy's ``csr_matvecs``, memory-bound; a numba kernel with
    the same sums measured no faster on this machine, one thread or two), until the L1 change
    of every column is below ``tol``.

    ``groups`` (column counts, in order, summing to the number of columns) splits the columns
    into independent runs that share the sparse products: each group stops at the step where
    it would have stopped alone and is then left out of the products, so the result is the
    same as one call per group (every operation is column by column) for the price of one
    pass over the matrix per step.  Default: one group.

    Example
    -------
    >>> import numpy as np, scipy.sparse as sp
    >>> PT = sp.csr_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]))
    >>> x = personalized_pagerank(PT, np.array([False, False]), np.array([[1.0], [0.0]]))
    >>> np.round(x[:, 0], 4).tolist()  # (1 - d) / (1 - d^2) = 1 / 1.85 at the reset vertex
    [0.5405, 0.4595]
    """
    R = R / R.sum(axis=0, keepdims=True)
    return _power_iteration(PT, np.flatnonzero(dangling), R, damping=damping, tol=tol, max_iter=max_iter,
                            groups=groups)


def _power_iteration(PT: sp.csr_matrix, dang: np.ndarray, R: np.ndarray, *, damping: float, tol: float,
                     max_iter: int, groups: Sequence[int] | None, rows: np.ndarray | None = None) -> np.ndarray:
    """The iteration of :func:`personalized_pagerank` on normalised resets ``R``.  ``dang``: the
    dangling vertices in the order their mass is summed; ``rows`` (optional): the order in which
    the rows of the L1 change are summed for the stopping test (a walk on renumbered vertices
    sums in the original order, so it stops at the same step with the same values).

    The stopping test sums in the matrix's order first; only when a column's change is within
    1e-6 (relative) of ``tol`` is it summed again in ``rows`` order: two orders of a sum of n
    non-negative terms differ by at most 2 (n-1) 2^-53 of it (2.2e-10 at a million owners), so
    the test decides the same.  The reset is added where ``R`` has an entry (elsewhere it adds
    zero to a non-negative number, which changes nothing)."""
    sizes = [R.shape[1]] if groups is None else [int(g) for g in groups]
    if sum(sizes) != R.shape[1] or min(sizes, default=1) < 1:
        raise ValueError(f"groups {sizes} must be positive and add up to the {R.shape[1]} columns of R")
    bounds = np.cumsum([0, *sizes])
    out = np.empty_like(R)
    live = list(range(len(sizes)))  # groups still iterating, in column order
    X = R.copy()
    Rl = R
    at = np.flatnonzero(np.any(R != 0, axis=1))  # rows with a reset entry (NaN counts as one)
    Rat = Rl[at]
    diff = np.empty_like(R)
    for it in range(max_iter):
        Y = PT @ X
        Y *= damping
        coef = (1.0 - damping) + damping * X[dang].sum(axis=0)
        if np.isfinite(coef).all():
            Y[at] += coef * Rat
        else:
            Y += coef * Rl
        d = diff  # reused buffer of the L1 change
        np.subtract(Y, X, out=d)
        np.abs(d, out=d)
        err = d.sum(axis=0)
        if rows is not None and (np.abs(err - tol) <= 1e-6 * tol).any():
            err = d[rows].sum(axis=0)
        last = it == max_iter - 1
        keep, off = [], 0
        for g in live:
            k = sizes[g]
            if last or err[off:off + k].max() < tol:
                out[:, bounds[g]:bounds[g + 1]] = Y[:, off:off + k]
            else:
                keep.append((g, off))
            off += k
        if not keep:
            break
        if len(keep) < len(live):  # drop the finished groups from the products
            sel = np.concatenate([np.arange(off, off + sizes[g]) for g, off in keep])
            Y, Rl, Rat = Y[:, sel], Rl[:, sel], Rat[:, sel]
            diff = np.empty_like(Y)
            live = [g for g, _ in keep]
        X = Y
    return out


def _fold_resets(n: int, seeds: np.ndarray, *, folds: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Reset columns of the out-of-fold runs (one per fold, seeded on the other folds' seeds)
    and the fold of each seed (empty for a single fold: the seed set itself is the reset)."""
    nf = int(min(folds, len(seeds)))
    if nf < 2:  # a single seed: nothing to hold out, closeness of the seed is its own
        R = np.zeros((n, 1))
        R[seeds, 0] = 1.0
        return R, np.zeros(0, dtype=np.int64)
    fold_of = rng.permutation(np.arange(len(seeds)) % nf)
    R = np.zeros((n, nf))
    for f in range(nf):
        R[seeds[fold_of != f], f] = 1.0
    return R, fold_of


def _fold_closeness(P: np.ndarray, seeds: np.ndarray, fold_of: np.ndarray) -> np.ndarray:
    """Closeness from the fold runs ``P`` (already times n): a seed's from the run that did not
    seed it, everyone else's the mean over the runs."""
    n = P.shape[0]
    if len(fold_of) == 0:
        return P[:, 0]
    out = np.zeros(n)
    for f in range(P.shape[1]):
        held = seeds[fold_of == f]
        out[held] = P[held, f]
    is_seed = np.zeros(n, dtype=bool)
    is_seed[seeds] = True
    out[~is_seed] = P[~is_seed].mean(axis=1)
    return out


def _ppr_folds_many(walk: tuple[sp.csr_matrix, np.ndarray] | tuple[sp.csr_matrix, np.ndarray, np.ndarray], runs: Sequence[tuple[np.ndarray, np.random.Generator]], *,
                    folds: int, damping: float) -> list[np.ndarray]:
    """:func:`_ppr_folds` for several seed sets (each with its own generator) in one block power
    iteration: the same closeness per set as one call each (see ``groups`` of
    :func:`personalized_pagerank`), one pass over the matrix per step for all of them.
    ``walk`` is :func:`transition_matrix`'s ``(PT, dangling)`` or :func:`renumbered_walk`'s
    ``(PT', dangling, rank)`` (same values, in owner order either way)."""
    PT, dangling = walk[0], walk[1]
    rank = walk[2] if len(walk) > 2 else None  # type: ignore[misc]
    n = PT.shape[0]
    out: list[np.ndarray | None] = [None] * len(runs)
    blocks = []
    for i, (seeds, rng) in enumerate(runs):
        seeds = np.sort(np.asarray(seeds, dtype=np.int64))
        if len(seeds) == 0 or n == 0:
            out[i] = np.zeros(n)
            continue
        R, fold_of = _fold_resets(n, seeds, folds=folds, rng=rng)
        blocks.append((i, seeds, R, fold_of))
    if blocks:
        # a one-column run (a single seed) stays in a block of its own: numpy sums a lone column
        # pairwise, a column of a wider block in order, and the runs must not depend on each other
        wide = [b for b in blocks if b[2].shape[1] > 1]
        parts = ([wide] if wide else []) + [[b] for b in blocks if b[2].shape[1] == 1]
        for part in parts:
            R = np.hstack([b[2] for b in part])
            R = R / R.sum(axis=0, keepdims=True)
            groups = [b[2].shape[1] for b in part]
            if rank is None:
                P = _power_iteration(PT, np.flatnonzero(dangling), R, damping=damping, tol=1e-9, max_iter=500,
                                     groups=groups)
            else:  # the walk on renumbered vertices: resets renumbered, the result back in owner order
                Rn = np.empty_like(R)
                Rn[rank] = R
                P = _power_iteration(PT, rank[np.flatnonzero(dangling)], Rn, damping=damping, tol=1e-9,
                                     max_iter=500, groups=groups, rows=rank)[rank]
                del Rn
            P = P.clip(0) * n
            off = 0
            for i, seeds, R, fold_of in part:
                k = R.shape[1]
                out[i] = _fold_closeness(P[:, off:off + k], seeds, fold_of)
                off += k
    return out  # type: ignore[return-value]


def _ppr_folds(walk: tuple[sp.csr_matrix, np.ndarray] | tuple[sp.csr_matrix, np.ndarray, np.ndarray], seeds: np.ndarray, *, folds: int, damping: float,
               rng: np.random.Generator) -> np.ndarray:
    """Closeness to the seed set: out-of-fold PPR for seeds, fold-mean for everyone else.

    ``folds`` personalised PageRanks, each seeded on all seeds but one fold; a seed's value
    comes from the run that did not seed it.  Returned values are multiplied by the number
    of vertices (1 = uniform share).
    """
    return _ppr_folds_many(walk, [(seeds, rng)], folds=folds, damping=damping)[0]


def _circle_labels(community: Any, *, seed: int, circles: pd.DataFrame | None = None) -> np.ndarray:
    """Circle label per owner (owner order, the ``circle`` column of a
    :func:`graphcrm.algorithms.circles.circles` result); -1 for owners outside any circle."""
    from graphcrm.algorithms.circles import CIRCLES, circle_ids  # noqa: PLC0415

    if circles is None:
        # the cached partition: the ``circle`` column of ``circles(community, seed=seed)`` without
        # the table (labels, bridge scores, reasons), so this can run before the circles step
        return np.asarray(circle_ids(community, seed=seed), dtype=np.int64)
    df = circles
    if not {"owner_id", "circle"} <= set(df.columns):
        raise ConfigError("circles must have the owner_id and circle columns of a circles() result "
                          f"({', '.join(CIRCLES.column_names)})")
    labels = np.full(len(community.owner_ids), -1, dtype=np.int64)
    pos = owner_positions(community, df["owner_id"])
    vals = pd.to_numeric(df["circle"], errors="coerce").fillna(-1).to_numpy(np.int64)
    codes = np.where(vals >= 0, vals, -1)  # -1 = no ties, no circle
    ok = pos >= 0
    labels[pos[ok]] = codes[ok]
    return labels


def _circle_share(labels: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Leave-one-out share of each owner's circle that is positive (0 outside circles)."""
    out = np.zeros(len(labels))
    inc = labels >= 0
    if not inc.any():
        return out
    lab = labels[inc]
    size = np.bincount(lab)
    pos = np.bincount(lab, weights=positive[inc].astype(float), minlength=len(size))
    others = size[lab] - 1
    share = np.where(others > 0, (pos[lab] - positive[inc]) / np.maximum(others, 1), 0.0)
    out[inc] = share
    return out


def _positions(community: Any, ids: pd.Series) -> np.ndarray:
    """Vertex numbers of an owner-id column: through its categorical codes when the community
    offers :meth:`~graphcrm.community.Community.index_of` (no string per row), else by text."""
    index_of = getattr(community, "index_of", None)
    return np.asarray(index_of(ids) if index_of is not None else owner_positions(community, ids), dtype=np.int64)


def _events_led(community: Any, attendance: pd.DataFrame) -> np.ndarray:
    """Checked-in events where the owner was organizer, host or volunteer (owner order)."""
    att = attendance[attendance["checked_in"].astype(bool).to_numpy()
                     & attendance["role"].astype(str).isin(_LED_ROLES).to_numpy()]
    pos = _positions(community, att["owner_id"])
    return np.bincount(pos[pos >= 0], minlength=len(community.owner_ids)).astype(float)


def _static_features(community: Any, attendance: pd.DataFrame) -> pd.DataFrame:
    """Features that do not depend on who the known volunteers are (except via ``attendance``)."""
    t = community.tables
    n = len(community.owner_ids)
    feats = pd.DataFrame(index=np.arange(n))

    att = attendance[attendance["checked_in"].astype(bool)]
    pos = _positions(community, att["owner_id"])
    ok = pos >= 0
    feats["events_attended"] = np.bincount(pos[ok], minlength=n).astype(float)
    feats["events_led"] = _events_led(community, attendance)

    # the community's own attendance: the log shared with targets and movement (built once)
    log = activity_log(community) if attendance is t["attendance"] else activity_log(community, attendance=attendance)
    if len(log):
        week = (log["at"].to_numpy().astype("datetime64[D]").astype(np.int64) + 3) // 7  # Monday-based
        # distinct (owner, week) pairs as one int64 key each (a hash of integers, no frame)
        week -= week.min()
        key = log["pos"].to_numpy().astype(np.int64) * (int(week.max()) + 1) + week
        feats["active_weeks"] = np.bincount(pd.unique(key) // (int(week.max()) + 1), minlength=n).astype(float)
        first = log.groupby("pos")["at"].min()
    else:
        feats["active_weeks"] = 0.0
        first = pd.Series(dtype="datetime64[ns]")

    owners = community.owners.set_index("owner_id").reindex(np.asarray(community.owner_ids, dtype=object))
    start = owners["joined_at"].astype("datetime64[ns]").to_numpy()
    start = np.where(pd.isna(start), owners["purchased_at"].astype("datetime64[ns]").to_numpy(), start)
    first_arr = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if len(first):
        first_arr[first.index.to_numpy()] = first.to_numpy().astype("datetime64[ns]")
    start = np.where(pd.isna(start), first_arr, start).astype("datetime64[ns]")
    as_of = np.datetime64(pd.Timestamp(community.as_of).to_datetime64(), "ns")
    tenure = (as_of - start).astype("timedelta64[s]").astype("float64") / 86400.0
    feats["tenure_days"] = np.clip(np.nan_to_num(tenure, nan=0.0), 0.0, None)

    feats["helping"] = _helping(community, n)
    return feats


def _helping(community: Any, n: int) -> np.ndarray:
    """Comments and replies each owner wrote on other owners' posts (owner order).

    Through positions, never a string per interaction: the kind through its categories, the
    post through :func:`~graphcrm.projections.post_rows_of`, engager and author as owner
    positions (two owner ids are the same text exactly when they are the same position; an
    author who is no owner differs from every engager).  The same counts as the inner merge
    of the comments with the posts on ``post_id`` and the text comparison of engager and
    author, which the code falls back to when ``post_id`` is not a key of the posts or the
    community has no owner positions for its columns."""
    t = community.tables
    posts, inter = t["posts"], t["interactions"]
    pid = posts["post_id"]
    if (getattr(community, "index_of", None) is None or not len(posts) or not len(inter)
            or pid.isna().any() or not pid.is_unique or inter["post_id"].isna().any()):
        inter = inter[inter["kind"].astype(str).isin(["comment", "reply"])]
        inter = inter.merge(posts[["post_id", "author_id"]], on="post_id", how="inner")
        inter = inter[inter["owner_id"].astype(object) != inter["author_id"].astype(object)]
        hp = _positions(community, inter["owner_id"])
        return np.bincount(hp[hp >= 0], minlength=n).astype(float)
    kind = inter["kind"]
    if isinstance(kind.dtype, pd.CategoricalDtype):
        per = np.r_[np.asarray(kind.cat.categories.astype(str).isin(["comment", "reply"]), dtype=bool), False]
        helps = per[kind.cat.codes.to_numpy()]  # code -1 (missing) reads the trailing False
    else:
        helps = kind.astype(str).isin(["comment", "reply"]).to_numpy()
    row = post_rows_of(posts, inter)
    engager = community.index_of(inter["owner_id"])
    author = np.r_[community.index_of(posts["author_id"]), -1][row]  # the community's owner index, built once
    hit = helps & (row >= 0) & (engager >= 0) & (engager != author)
    return np.bincount(engager[hit], minlength=n).astype(float)


def _design(raw: pd.DataFrame) -> np.ndarray:
    X = np.column_stack([
        np.log1p(raw[f].to_numpy(float)) if f in _LOG_FEATURES else raw[f].to_numpy(float) for f in FEATURES
    ])
    return X


def _fit_logistic(Z: np.ndarray, y: np.ndarray, l2: float, nonneg: bool = True) -> tuple[float, np.ndarray]:
    """L2-regularised logistic regression (intercept unpenalised) by L-BFGS."""
    p = Z.shape[1]
    yf = y.astype(float)

    Zc = np.ascontiguousarray(Z, dtype=np.float64)

    def f(w: np.ndarray) -> tuple[float, np.ndarray]:
        # sum(logaddexp(0, z) - y z) and (sum r, Z^T r), r = expit(z) - y, in one compiled
        # single-threaded pass (graphcrm.algorithms._glm: OpenBLAS's threaded products were
        # 10x slower on the shared machine)
        loss, g = loss_grad(Zc, yf, w, family="binomial")
        loss += 0.5 * l2 * float(w[1:] @ w[1:])
        g[1:] += l2 * w[1:]
        return float(loss), g

    w0 = np.zeros(p + 1)
    prior = yf.mean()
    w0[0] = np.log(prior / (1 - prior))
    bounds = [(None, None)] + [(0.0, None)] * p if nonneg else None
    res = minimize(f, w0, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 500})
    return float(res.x[0]), res.x[1:]


def _model(
    community: Any,
    *,
    known: np.ndarray,
    eligible: np.ndarray,
    static: pd.DataFrame,
    labels: np.ndarray,
    closeness: np.ndarray,
    l2: float,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, float, np.ndarray]:
    """Fit on ``known`` (bool, owner order) vs the other ``eligible`` owners; score everyone.
    ``closeness`` is :func:`_closeness` of ``known``."""
    raw = static.copy()
    raw["closeness"] = closeness
    raw["circle_share"] = _circle_share(labels, known)
    raw = raw[list(FEATURES)]
    X = _design(raw)
    fit_rows = eligible | known
    mu = X[fit_rows].mean(axis=0)
    sd = X[fit_rows].std(axis=0)
    sd[sd == 0] = 1.0
    Z = (X - mu) / sd
    b0, w = _fit_logistic(Z[fit_rows], known[fit_rows], l2)
    score = expit(Z @ w + b0)
    return raw, Z, w, b0, score


# ---------------------------------------------------------------------------------------------
# reasons
# ---------------------------------------------------------------------------------------------
def _fragment(f: str, v: float, lang: str) -> str:
    zh = lang == "zh"
    if f == "closeness":
        return f"常与志愿者同场活动（接近度 {v:.1f}）" if zh else f"often at events with volunteers (closeness {v:.1f})"
    if f == "events_attended":
        return f"参加了 {int(v)} 场活动" if zh else f"attended {int(v)} events"
    if f == "events_led":
        return f"组织或协助了 {int(v)} 场活动" if zh else f"organised or helped at {int(v)} events"
    if f == "active_weeks":
        return f"{int(v)} 周有活跃" if zh else f"active in {int(v)} weeks"
    if f == "tenure_days":
        return f"入会 {v / 365.25:.1f} 年" if zh else f"member for {v / 365.25:.1f} years"
    if f == "helping":
        return f"在他人帖子下评论或回复 {int(v)} 次" if zh else f"{int(v)} comments/replies on others' posts"
    if f == "circle_share":
        return f"所在圈子 {v:.0%} 是志愿者" if zh else f"{v:.0%} of their circle volunteer"
    raise KeyError(f)


def _reasons(raw: pd.DataFrame, Z: np.ndarray, w: np.ndarray, lang: str, top: int = 2) -> list[str]:
    # a component is named only when it pushes the score up because the owner has MORE of a
    # good thing (positive weight, above-average value), never for "little of a bad thing"
    contrib = np.where((Z > 0) & (w > 0), Z * w, 0.0)
    order = np.argsort(-contrib, axis=1, kind="stable")[:, :top]
    vals = raw.to_numpy(float)
    n = len(raw)
    weak = "各项信号均较弱" if lang == "zh" else "no strong signal"
    sep = join(["a", "b"], lang)[1:-1]  # the language's separator, as join() puts it
    # built slot by slot and column-wise: each fragment text once per feature and distinct value
    # (the same f-strings as row by row, values told apart by their bits)
    out = np.full(n, "", dtype=object)
    has = np.zeros(n, dtype=bool)
    for slot in range(order.shape[1]):
        j = order[:, slot]
        inc = contrib[np.arange(n), j] > 0
        frag = np.empty(n, dtype=object)
        for f in np.unique(j[inc]).tolist():
            rows = np.flatnonzero(inc & (j == f))
            v = np.ascontiguousarray(vals[rows, f])
            _, first, inv = np.unique(v.view(np.int64), return_index=True, return_inverse=True)
            texts = np.array([_fragment(FEATURES[f], x, lang) for x in v[first].tolist()], dtype=object)
            frag[rows] = texts[inv.ravel()]
        more = inc & has
        out[more] = out[more] + sep + frag[more]
        first_part = inc & ~has
        out[first_part] = frag[first_part]
        has |= inc
    out[~has] = weak
    return out.tolist()


# ---------------------------------------------------------------------------------------------
# public
# ---------------------------------------------------------------------------------------------
def _average_ranks(a: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank: ``scipy.stats.rankdata(a)`` (the same
    exact halves; all NaN when ``a`` holds a NaN, as rankdata propagates it), without importing
    scipy.stats (0.3-1.1 s at the first call)."""
    a = np.asarray(a, dtype=np.float64)
    if np.isnan(a).any():
        return np.full(a.shape, np.nan)
    order = np.argsort(a, kind="mergesort")
    s = a[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    counts = np.diff(np.r_[starts, len(a)])
    ranks = np.empty(len(a), dtype=np.float64)
    ranks[order] = np.repeat(starts + 0.5 * (counts + 1), counts)
    return ranks


def _auc(scores: np.ndarray, positive: np.ndarray) -> float:
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    r = _average_ranks(scores)
    return float((r[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


@dataclass(frozen=True)
class VolunteerValidation:
    """How well the model finds volunteers it was not shown (see :func:`volunteer_candidates`).

    Attributes
    ----------
    auc : float
        Chance that a hidden volunteer outranks a random non-volunteer candidate (0.5 = chance).
    recall_at_k : float
        Share of the hidden volunteers among the top ``k`` candidates (0-1).
    recall_at_k_no_role : float
        The same within candidates who never organised, hosted or volunteered (0-1).
    k : int
        The cut-off used (at most the number of candidates).
    hidden : int
        Volunteers hidden.
    seed : int
        Seed of the draw.
    candidates : int
        Owners ranked in the validation.
    masked_roles : int
        Attendance rows whose organizer/host/volunteer role was masked to attendee.
    """

    auc: float
    recall_at_k: float
    recall_at_k_no_role: float
    k: int
    hidden: int
    seed: int
    candidates: int
    masked_roles: int


@dataclass(frozen=True)
class VolunteerDetails:
    """The side results of :func:`volunteer_candidates`.

    Attributes
    ----------
    validation : VolunteerValidation or None
        The hold-out validation; None when not run (``validate=False``) or with fewer than
        5 volunteers.
    coefficients : dict of str to float
        Weight of each standardised component (``weight * z`` is its share of the log-odds).
    intercept : float
        Intercept of the logistic model (log-odds).
    volunteers : int
        Volunteers the model learned from (non-staff owners with ``is_volunteer``).
    """

    validation: VolunteerValidation | None
    coefficients: dict[str, float]
    intercept: float
    volunteers: int


VOLUNTEER_CANDIDATES = ResultSpec(
    "volunteer_candidates",
    key=("owner_id",),
    columns=(
        Col("owner_id", "str", "", "the owner (volunteers and staff are not listed)"),
        Col("score", "float", "0-1", "how much they resemble the current volunteers (fitted probability)"),
        Col("closeness", "float", "× average", "how often they are at the same events as volunteers, directly "
                                               "or through friends (1 = average)"),
        Col("events_attended", "int", "events", "events attended, checked in, any role"),
        Col("events_led", "int", "events", "events where they organised, hosted or volunteered"),
        Col("active_weeks", "int", "weeks", "distinct weeks with any activity"),
        Col("tenure_days", "float", "days", "days since they joined"),
        Col("helping", "int", "comments", "comments and replies on other owners' posts"),
        Col("circle_share", "float", "share 0-1", "share of the other members of their circle who volunteer"),
        Col("opted_out", "bool", "", "opted out of marketing: scored, but never targeted"),
        Col("reason", "str", "", "the two strongest reasons, in plain words"),
    ),
    sort=(("score", False), ("owner_id", True)),
    depends=("circles",),
    details=VolunteerDetails,
    description="non-volunteer, non-staff owners scored by resemblance to the current volunteers",
)


@analysis(VOLUNTEER_CANDIDATES)
def volunteer_candidates(
    community: Any,
    *,
    top: int | None = None,
    validate: bool = True,
    holdout: float = 0.2,
    recall_at: int = 50,
    folds: int = 5,
    damping: float = 0.85,
    l2: float = 30.0,
    circles: pd.DataFrame | None = None,
    seed: int = 0,
    lang: str = "en",
) -> pd.DataFrame:
    """Score every non-volunteer, non-staff owner by resemblance to the current volunteers.

    Volunteers are owners with ``is_volunteer``.  The seven components (see the module
    docstring: ``closeness``, ``events_attended``, ``events_led``, ``active_weeks``,
    ``tenure_days``, ``helping``, ``circle_share``) are standardised and combined by an L2
    logistic regression fitted on volunteers vs the other non-staff owners; the score is the
    fitted probability.  ``details.coefficients`` (with ``details=True``) holds the weight of
    each standardised component, so ``weight * z`` is the component's share of the log-odds;
    the reason names the two largest positive shares.

    With ``validate`` (default), a seeded random ``holdout`` share of the volunteers is hidden
    (treated as non-volunteers, removed from the PageRank seeds, and their organizer / host /
    volunteer attendance roles masked to attendee), the model is refitted and
    ``details.validation`` (a :class:`VolunteerValidation`: ``auc``, ``recall_at_k``,
    ``recall_at_k_no_role``, ``k``, ``hidden``, ``seed``, ``candidates``, ``masked_roles``)
    reports how the hidden volunteers rank among all candidates (AUC: chance a hidden
    volunteer outranks a random non-volunteer; recall@k: share of hidden volunteers in the
    top ``k``; ``recall_at_k_no_role``: the same within candidates who never organised,
    hosted or volunteered - after masking, the hidden volunteers' own group, while owners who
    already help at events rightly rank above them).  Extra keys: ``candidates`` (number
    ranked) and ``masked_roles`` (attendance rows masked).  It is ``None`` when there are
    fewer than 5 volunteers.  The model on all volunteers is fitted once per community and
    options and shared by ``validate=True`` and ``validate=False`` (e.g. by :func:`targets`).

    Parameters
    ----------
    community : Community
        The community snapshot.
    top : int, optional
        Return only the best ``top`` rows (validation always uses all candidates).
    validate : bool, default True
        Run the hold-out validation described above.
    holdout : float, default 0.2
        Share of volunteers hidden in validation (at least one).
    recall_at : int, default 50
        Cut-off of recall@k in the validation (``k`` is reserved for "how many to pick").
    folds : int, default 5
        Folds of the out-of-fold PageRank for volunteers.
    damping : float, default 0.85
        PageRank damping.
    l2 : float, default 30.0
        L2 penalty on the standardised weights (larger = more even weights; 30 measured best
        on demo communities of 3,000 and 20,000 owners).  Weights are constrained to be
        >= 0: every component is defined so that more of it means more volunteer-like, and
        a negative weight (an artefact of correlated components) could not be explained.
    circles : DataFrame, optional
        A :func:`graphcrm.algorithms.circles.circles` result to reuse (``owner_id``,
        ``circle``); computed with ``seed`` when omitted (the slowest step on big communities).
    seed : int, default 0
        Seed of the hold-out draw, the PageRank folds and the circle fallback.
    lang : {"en", "zh"}
        Language of ``reason``.

    Returns
    -------
    DataFrame
        Sorted by ``score`` desc then ``owner_id``: ``owner_id``; ``score`` (fitted
        probability, 0-1); the raw components ``closeness``, ``events_attended``,
        ``events_led``, ``active_weeks``, ``tenure_days``, ``helping``, ``circle_share``;
        ``opted_out`` (marketing opt-out: scored, but never targeted); ``reason``.
        Volunteers and staff are excluded.  With ``details=True``: ``(table,
        VolunteerDetails)`` (validation, coefficients, intercept, volunteers).

    Raises
    ------
    AnalysisError
        No volunteers, or no non-volunteer to score.
    ConfigError
        Bad ``holdout``, ``recall_at``, ``folds`` or ``lang``.

    Example
    -------
    >>> from graphcrm.community import Community
    >>> from graphcrm.demo import generate_demo
    >>> tables, truth = generate_demo(3000, seed=0)
    >>> df, info = volunteer_candidates(Community(tables), top=20, details=True)
    >>> info.validation.auc >= 0.85
    True
    >>> df.columns[:3].tolist()
    ['owner_id', 'score', 'closeness']
    """
    lang = check_lang(lang)
    if not 0 < holdout < 1:
        raise ConfigError(f"holdout must be between 0 and 1, got {holdout!r}")
    if recall_at < 1 or folds < 1:
        raise ConfigError("recall_at and folds must be at least 1")
    vol, staff, opted = _owner_flags(community)
    eligible = ~vol & ~staff
    if not vol.any():
        raise AnalysisError("no volunteers (is_volunteer) among non-staff owners: nothing to learn from")
    if not eligible.any():
        raise AnalysisError("every non-staff owner is already a volunteer: no candidates to score")

    fit = dict(folds=folds, damping=damping, l2=l2, seed=seed, circles=circles)
    if validate and vol.sum() >= 5:
        # the PageRank runs of both fits (all volunteers; the validation's known ones) in one block
        known = vol & ~_hidden_volunteers(vol, holdout=holdout, seed=seed)
        walk = _model_inputs(community, seed=seed, circles=circles)["walk"]
        _closeness(community, walk, [vol, known], folds=folds, damping=damping, seed=seed)
    # the model on all volunteers does not depend on the validation: shared by validate=True/False
    raw, Z, w, b0, score = community.memo("volunteer_model", fit, lambda: _full_model(community, **fit))
    validation = None
    if validate and vol.sum() >= 5:
        validation = _holdout_validation(community, vol, eligible, holdout=holdout, k=recall_at, **fit)

    out = _candidate_table(community, raw, Z, w, score, eligible, opted, top=top, lang=lang)
    return out, VolunteerDetails(validation=validation, coefficients={f: float(c) for f, c in zip(FEATURES, w)},
                                 intercept=float(b0), volunteers=int(vol.sum()))


def _owner_flags(community: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Volunteer (non-staff), staff and marketing opt-out flags in owner order."""
    owners = community.owners.set_index("owner_id").reindex(np.asarray(community.owner_ids, dtype=object))
    vol = owners["is_volunteer"].fillna(False).astype(bool).to_numpy().copy()
    staff = owners["is_staff"].fillna(False).astype(bool).to_numpy().copy()
    opted = owners["marketing_opt_out"].fillna(False).astype(bool).to_numpy().copy()
    return vol & ~staff, staff, opted


def _model_inputs(community: Any, *, seed: int, circles: pd.DataFrame | None) -> dict[str, Any]:
    """Circle labels, the co-attendance walk and the static features: shared by both fits."""
    def build() -> dict[str, Any]:
        labels = _circle_labels(community, seed=seed, circles=circles)
        # the walk renumbered by circle: the same closeness as on the owner order, faster products
        walk = renumbered_walk(transition_matrix(_coattendance(community)), labels)
        return dict(labels=labels, walk=walk, static=_static_features(community, community.tables["attendance"]))

    return community.memo("volunteer_inputs", {"seed": seed, "circles": circles}, build)


def _closeness(community: Any, walk: tuple[sp.csr_matrix, np.ndarray, np.ndarray], known: Sequence[np.ndarray], *, folds: int,
               damping: float, seed: int) -> list[np.ndarray]:
    """``closeness`` of each seed set (bool, owner order): :func:`_ppr_folds` with the folds drawn
    from ``seed``, memoised per seed set; the sets not computed yet run in one block power
    iteration (:func:`_ppr_folds_many`: the same values as one run each, one pass over the
    matrix per step for all)."""
    opts = [{"seeds": np.flatnonzero(k), "folds": folds, "damping": damping, "seed": seed} for k in known]
    memoized = getattr(community, "memoized", None)
    todo = [i for i, o in enumerate(opts) if memoized is None or not memoized("volunteer_closeness", o)]
    if len(todo) > 1:
        runs = [(opts[i]["seeds"], np.random.default_rng(seed)) for i in todo]
        for i, value in zip(todo, _ppr_folds_many(walk, runs, folds=folds, damping=damping)):
            community.memo("volunteer_closeness", opts[i], lambda value=value: value)
    return [community.memo("volunteer_closeness", o, lambda o=o: _ppr_folds(
        walk, o["seeds"], folds=folds, damping=damping, rng=np.random.default_rng(seed))) for o in opts]


def _hidden_volunteers(vol: np.ndarray, *, holdout: float, seed: int) -> np.ndarray:
    """The validation's hidden volunteers (bool, owner order): a seeded ``holdout`` share, at least one."""
    vol_idx = np.flatnonzero(vol)
    rng = np.random.default_rng(seed)
    n_hidden = max(1, int(round(holdout * len(vol_idx))))
    hidden = np.sort(rng.choice(vol_idx, size=n_hidden, replace=False))
    is_hidden = np.zeros(len(vol), dtype=bool)
    is_hidden[hidden] = True
    return is_hidden


def _full_model(community: Any, *, folds: int, damping: float, l2: float, seed: int,
                circles: pd.DataFrame | None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, float, np.ndarray]:
    """The model fitted on all volunteers vs the other non-staff owners."""
    vol, staff, _ = _owner_flags(community)
    inp = _model_inputs(community, seed=seed, circles=circles)
    clos = _closeness(community, inp["walk"], [vol], folds=folds, damping=damping, seed=seed)[0]
    return _model(community, known=vol, eligible=~vol & ~staff, static=inp["static"], labels=inp["labels"],
                  closeness=clos, l2=l2)


def _holdout_validation(community: Any, vol: np.ndarray, eligible: np.ndarray, *, holdout: float, k: int,
                        folds: int, damping: float, l2: float, seed: int,
                        circles: pd.DataFrame | None) -> VolunteerValidation:
    """Hide a seeded share of the volunteers (roles masked), refit, and rank the hidden ones."""
    inp = _model_inputs(community, seed=seed, circles=circles)
    attendance = community.tables["attendance"]
    is_hidden = _hidden_volunteers(vol, holdout=holdout, seed=seed)
    hidden = np.flatnonzero(is_hidden)
    hidden_ids = set(np.asarray(community.owner_ids, dtype=object)[hidden])
    masked = attendance.copy()
    m = masked["owner_id"].isin(hidden_ids).to_numpy() & masked["role"].astype(str).isin(_LED_ROLES).to_numpy()
    masked["role"] = masked["role"].astype(object)
    masked.loc[m, "role"] = "attendee"
    known = vol & ~is_hidden
    cand = eligible | is_hidden
    vstatic = inp["static"].copy()  # masking changes roles only, so only events_led moves
    vstatic["events_led"] = _events_led(community, masked)
    clos = _closeness(community, inp["walk"], [known], folds=folds, damping=damping, seed=seed)[0]
    vraw, _, _, _, vscore = _model(community, known=known, eligible=cand, static=vstatic, labels=inp["labels"],
                                   closeness=clos, l2=l2)
    s = vscore[cand]
    h = is_hidden[cand]
    ids = np.asarray(community.owner_ids, dtype=object)[cand]
    order = np.lexsort((ids, -s))
    kk = int(min(k, len(s)))
    # the same among candidates without any organizer/host/volunteer role, the group the
    # masked volunteers now belong to (owners with a role rank first and are right to)
    no_role = order[vraw["events_led"].to_numpy()[cand][order] == 0]
    return VolunteerValidation(
        auc=_auc(s, h),
        recall_at_k=float(h[order[:kk]].sum() / h.sum()),
        recall_at_k_no_role=float(h[no_role[:kk]].sum() / h.sum()),
        k=kk,
        hidden=int(h.sum()),
        seed=int(seed),
        candidates=int(len(s)),
        masked_roles=int(m.sum()),
    )


def _candidate_table(community: Any, raw: pd.DataFrame, Z: np.ndarray, w: np.ndarray, score: np.ndarray,
                     eligible: np.ndarray, opted: np.ndarray, *, top: int | None, lang: str) -> pd.DataFrame:
    """The VOLUNTEER_CANDIDATES table: eligible owners by score, components rounded, reasons."""
    sel = eligible
    out = pd.DataFrame({"owner_id": np.asarray(community.owner_ids, dtype=object)[sel], "score": score[sel]})
    for f in FEATURES:
        out[f] = raw[f].to_numpy()[sel]
    for f in ("events_attended", "events_led", "active_weeks", "helping"):
        out[f] = out[f].astype(np.int64)
    out["tenure_days"] = out["tenure_days"].round(1)
    out["closeness"] = out["closeness"].round(4)
    out["circle_share"] = out["circle_share"].round(4)
    out["opted_out"] = opted[sel]
    out = out.sort_values(["score", "owner_id"], ascending=[False, True], kind="mergesort")
    if top is not None:
        out = out.head(int(top))
    keep = out.index.to_numpy()
    sel_idx = np.flatnonzero(sel)[keep]
    out["reason"] = _reasons(raw.iloc[sel_idx].reset_index(drop=True), Z[sel_idx], w, lang)
    return out.reset_index(drop=True)

