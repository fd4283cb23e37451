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

from dataclasses import dataclass
from typing import Any

import igraph as ig
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import expit
from scipy.stats import rankdata

from graphcrm.algorithms.levels import activity_log, owner_positions
from graphcrm.errors import AnalysisError, ConfigError
from graphcrm.projections import Edges
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


def personalized_pagerank(
    PT: sp.csr_matrix, dangling: np.ndarray, R: np.ndarray, *, damping: float = 0.85,
    tol: float = 1e-9, max_iter: int = 500,
) -> np.ndarray:
    """Personalised PageRank for several reset distributions at once (columns of ``R``).

    ``x = (1 - d) r + d P.T x + d (dangling mass of x) r``: the walker restarts at ``r`` with
    probability ``1 - d`` and whenever it reaches a vertex without edges - the same
    convention as igraph's ``personalized_pagerank``.  Power iteration on all columns at once
    (one sparse product per step: scipy's ``csr_matvecs``, memory-bound; a numba kernel with
    the same sums measured no faster on this machine, one thread or two), until the L1 change
    of every column is below ``tol``.

    Example
    -------
    >>> import numpy as np, scipy.sparse as sp
    >>> PT = sp.csr_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]))
    >>> x = personalized_pagerank(PT, np.array([False, False]), np.array([[1.0], [0.0]]))
    >>> np.round(x[:, 0], 4).tolist()  # (1 - d) / (1 - d^2) = 1 / 1.85 at the reset vertex
    [0.5405, 0.4595]
    """
    R = R / R.sum(axis=0, keepdims=True)
    X = R.copy()
    dang = np.flatnonzero(dangling)
    for _ in range(max_iter):
        Y = PT @ X
        Y *= damping
        Y += ((1.0 - damping) + damping * X[dang].sum(axis=0)) * R
        done = np.abs(Y - X).sum(axis=0).max() < tol
        X = Y
        if done:
            break
    return X


def _ppr_folds(walk: tuple[sp.csr_matrix, np.ndarray], seeds: np.ndarray, *, folds: int, damping: float,
               rng: np.random.Generator) -> np.ndarray:
    """Closeness to the seed set: out-of-fold PPR for seeds, fold-mean for everyone else.

    ``folds`` personalised PageRanks, each seeded on all seeds but one fold; a seed's value
    comes from the run that did not seed it.  Returned values are multiplied by the number
    of vertices (1 = uniform share).
    """
    PT, dangling = walk
    n = PT.shape[0]
    seeds = np.sort(np.asarray(seeds, dtype=np.int64))
    out = np.zeros(n)
    if len(seeds) == 0 or n == 0:
        return out
    nf = int(min(folds, len(seeds)))
    if nf < 2:  # a single seed: nothing to hold out, closeness of the seed is its own
        R = np.zeros((n, 1))
        R[seeds, 0] = 1.0
        return personalized_pagerank(PT, dangling, R, damping=damping)[:, 0].clip(0) * n
    fold_of = rng.permutation(np.arange(len(seeds)) % nf)
    R = np.zeros((n, nf))
    for f in range(nf):
        R[seeds[fold_of != f], f] = 1.0
    P = personalized_pagerank(PT, dangling, R, damping=damping).clip(0) * n
    for f in range(nf):
        held = seeds[fold_of == f]
        out[held] = P[held, f]
    is_seed = np.zeros(n, dtype=bool)
    is_seed[seeds] = True
    out[~is_seed] = P[~is_seed].mean(axis=1)
    return out


def _circle_labels(community: Any, *, seed: int, circles: pd.DataFrame | None = None) -> np.ndarray:
    """Circle label per owner (owner order, the ``circle`` column of a
    :func:`graphcrm.algorithms.circles.circles` result); -1 for owners outside any circle."""
    from graphcrm.algorithms.circles import CIRCLES, circles as find_circles  # noqa: PLC0415

    df = circles if circles is not None else find_circles(community, seed=seed)
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

    log = activity_log(community, attendance=attendance)
    if len(log):
        week = (log["at"].to_numpy().astype("datetime64[D]").astype(np.int64) + 3) // 7  # Monday-based
        wk = pd.DataFrame({"pos": log["pos"].to_numpy(), "w": week}).drop_duplicates()
        feats["active_weeks"] = np.bincount(wk["pos"].to_numpy(), minlength=n).astype(float)
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

    posts = t["posts"][["post_id", "author_id"]]
    inter = t["interactions"]
    inter = inter[inter["kind"].astype(str).isin(["comment", "reply"])]
    inter = inter.merge(posts, on="post_id", how="inner")
    inter = inter[inter["owner_id"].astype(object) != inter["author_id"].astype(object)]
    hp = _positions(community, inter["owner_id"])
    feats["helping"] = np.bincount(hp[hp >= 0], minlength=n).astype(float)
    return feats


def _design(raw: pd.DataFrame) -> np.ndarray:
    X = np.column_stack([
        np.log1p(raw[f].to_numpy(float)) if f in _LOG_FEATURES else raw[f].to_numpy(float) for f in FEATURES
    ])
    return X


def _fit_logistic(Z: np.ndarray, y: np.ndarray, l2: float, nonneg: bool = True) -> tuple[float, np.ndarray]:
    """L2-regularised logistic regression (intercept unpenalised) by L-BFGS."""
    p = Z.shape[1]
    yf = y.astype(float)

    def f(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = Z @ w[1:] + w[0]
        loss = np.logaddexp(0.0, z).sum() - yf @ z + 0.5 * l2 * (w[1:] @ w[1:])
        r = expit(z) - yf
        g = np.empty(p + 1)
        g[0] = r.sum()
        g[1:] = Z.T @ r + l2 * w[1:]
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
    walk: tuple[sp.csr_matrix, np.ndarray],
    folds: int,
    damping: float,
    l2: float,
    seed: int,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, float, np.ndarray]:
    """Fit on ``known`` (bool, owner order) vs the other ``eligible`` owners; score everyone."""
    raw = static.copy()
    rng = np.random.default_rng(seed)
    raw["closeness"] = _ppr_folds(walk, np.flatnonzero(known), folds=folds, damping=damping, rng=rng)
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
    out = []
    weak = "各项信号均较弱" if lang == "zh" else "no strong signal"
    for i in range(len(raw)):
        parts = [_fragment(FEATURES[j], vals[i, j], lang) for j in order[i] if contrib[i, j] > 0]
        out.append(join(parts, lang) if parts else weak)
    return out


# ---------------------------------------------------------------------------------------------
# public
# ---------------------------------------------------------------------------------------------
def _auc(scores: np.ndarray, positive: np.ndarray) -> float:
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    r = rankdata(scores)
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
    return community.memo("volunteer_inputs", {"seed": seed, "circles": circles}, lambda: dict(
        labels=_circle_labels(community, seed=seed, circles=circles),
        walk=transition_matrix(_coattendance(community)),
        static=_static_features(community, community.tables["attendance"]),
    ))


def _full_model(community: Any, *, folds: int, damping: float, l2: float, seed: int,
                circles: pd.DataFrame | None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, float, np.ndarray]:
    """The model fitted on all volunteers vs the other non-staff owners."""
    vol, staff, _ = _owner_flags(community)
    inp = _model_inputs(community, seed=seed, circles=circles)
    return _model(community, known=vol, eligible=~vol & ~staff, static=inp["static"], labels=inp["labels"],
                  walk=inp["walk"], folds=folds, damping=damping, l2=l2, seed=seed)


def _holdout_validation(community: Any, vol: np.ndarray, eligible: np.ndarray, *, holdout: float, k: int,
                        folds: int, damping: float, l2: float, seed: int,
                        circles: pd.DataFrame | None) -> VolunteerValidation:
    """Hide a seeded share of the volunteers (roles masked), refit, and rank the hidden ones."""
    inp = _model_inputs(community, seed=seed, circles=circles)
    attendance = community.tables["attendance"]
    vol_idx = np.flatnonzero(vol)
    rng = np.random.default_rng(seed)
    n_hidden = max(1, int(round(holdout * len(vol_idx))))
    hidden = np.sort(rng.choice(vol_idx, size=n_hidden, replace=False))
    is_hidden = np.zeros(len(vol), dtype=bool)
    is_hidden[hidden] = True
    hidden_ids = set(np.asarray(community.owner_ids, dtype=object)[hidden])
    masked = attendance.copy()
    m = masked["owner_id"].isin(hidden_ids).to_numpy() & masked["role"].astype(str).isin(_LED_ROLES).to_numpy()
    masked["role"] = masked["role"].astype(object)
    masked.loc[m, "role"] = "attendee"
    known = vol & ~is_hidden
    cand = eligible | is_hidden
    vstatic = inp["static"].copy()  # masking changes roles only, so only events_led moves
    vstatic["events_led"] = _events_led(community, masked)
    vraw, _, _, _, vscore = _model(community, known=known, eligible=cand, static=vstatic, labels=inp["labels"],
                                   walk=inp["walk"], folds=folds, damping=damping, l2=l2, seed=seed)
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

