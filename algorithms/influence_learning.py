"""Influence probabilities learned from the community's own time-ordered history.

The fixed rules of :mod:`graphcrm.algorithms.influence` (weighted cascade, ``1 - exp(-lam w)``,
layer weights 1/5/10) say nothing about how often ties actually carry anything.  This module
estimates, for every ordered pair of owners with a tie, the probability that the tie
*transmits within a horizon* ``H``: that owner ``v`` takes in something of owner ``u``'s
(engages with ``u``'s posts, checks in at an event ``u`` organises or hosts, is referred by
``u``; an *exposure* ``u -> v``, see :mod:`graphcrm.algorithms.backtest`) within the next
``H``.  That is the event the backtest counts, so the IC model's expected spread is a forecast
of the backtested reach.

Estimator
---------
A Bernoulli estimate in the spirit of Goyal, Bonchi & Lakshmanan (WSDM 2010: ``p(u->v)`` =
the share of ``u``'s chances to influence ``v`` that ``v`` took), pooled over ties that look
alike, because single ties have one or two trials: a ridge-penalised logistic regression
(scipy L-BFGS on standardised features) of "the tie transmits within the label window" on the
tie's features (:data:`TIE_FEATURES`):

* distinct days with an exposure ``u -> v``, exposures in the last ``H`` and ``H/4``, the age of
  the last one (in units of ``H``, 4 = never), whether there is any;
* distinct days with an exposure ``v -> u`` (direction follows the data: ``u -> v`` and
  ``v -> u`` have their own features and estimates);
* a referral either way and a shared event (checked in, at most 150 check-ins): the other
  layers, so their weights are learned, not fixed;
* ``u``'s distinct audience ever, in the last ``H`` and in the last ``H/4`` (is ``u`` active and
  reaching many?), and ``v``'s activity (exposures to and by ``v``) in the last ``H`` and ``H/4``
  (is ``v`` still around?).

Candidate ties are the pairs with an exposure either way, a referral or a shared event.  A tie
with no history of its own gets the regression's prediction from its other features: that is
the fallback.

The regression is fitted on an internal split **inside** the history given (never on anything
after it): features at ``T' = end - label_share * H`` (at most half-way into the history) from
the data before ``T'``, label = an exposure ``u -> v`` in ``(T', end]`` (at most
:data:`MAX_FIT_ROWS` pairs, a seeded uniform sample).  The probabilities are rescaled from the
label window ``H'`` to ``H`` as ``1 - (1 - p)^(H/H')`` and applied to the features computed at
the end of the history.

New audience
------------
Much of what an active owner reaches next is owners they never reached before; no tie
carries it.  A Poisson regression on the same internal split (:data:`AUDIENCE_FEATURES`: the
source's distinct audience ever, in the last ``H``, in the last ``H/4``, active in the last
``H/4``) predicts ``a(u)``, the owners without a tie to ``u`` whom ``u`` exposes within ``H``,
capped at the most any owner gained in the internal split (rescaled to ``H``) and at the owners
left.  :func:`learned_graph_arrays` represents it by ``ceil(a(u))`` *leaf* nodes hanging off
``u``, each reached with probability ``a(u) / ceil(a(u))``; the influence graph marks them as
leaves, reached from seeds only (:func:`graphcrm.algorithms.influence.influence_graph`), so
they count once, as the picks' own new audience.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

_NS_DAY = 86_400 * 10**9
#: default horizon when none is given: a quarter, at most half the history's time span
DEFAULT_HORIZON_DAYS = 90.0
DEFAULT_L2 = 1.0
#: internal label window as a share of the horizon (docs/validation.md: 0.5 and 1.0 compared)
DEFAULT_LABEL_SHARE = 0.5
#: fewer transmissions than this in the internal split: too little history to learn from
MIN_POSITIVES = 5
#: the tie model is fitted on at most this many internal-split pairs (a seeded uniform sample)
MAX_FIT_ROWS = 200_000


def _config_error(msg: str) -> Exception:
    from graphcrm.errors import ConfigError

    return ConfigError(msg)


@dataclass
class LearnedInfluence:
    """Learned tie probabilities of a community (see the module docstring).

    Attributes
    ----------
    edges : DataFrame ``src``, ``dst`` (vertex numbers in ``community.owner_ids``), ``prob``
        (chance that ``dst`` takes in something of ``src``'s within the horizon), plus the
        feature columns of :func:`_profiles` (``days``, ``n_h``, ``n_q``, ``age``, ``rev_days``,
        ``referral``, ``coattend``, ``src_all``, ``src_h``, ``src_q``, ``dst_h``, ``dst_q``).
    audience : float array (n,), expected new owners each owner exposes within the horizon.
    info : dict: ``horizon_days``, ``internal_split`` (Timestamp), ``label_days`` (length of the
        internal label window), ``l2``, ``label_share``, ``pairs_train`` / ``positives_train``
        (internal split), ``base_rate``, ``layer_rates`` (observed transmission rate on the
        internal split of ties with an exposure history / a referral only / a shared event only
        / only the reverse direction), ``predicted_train`` / ``observed_train`` (sum of the
        fitted probabilities and the observed transmissions there), ``tie_coefficients`` and
        ``audience_coefficients`` (per standardised feature), ``pairs``, ``expected_ties``,
        ``expected_new_audience``, ``sources_train``, ``new_audience_train``,
        ``new_audience_fitted``.
    """

    edges: pd.DataFrame
    audience: np.ndarray
    info: dict = field(default_factory=dict)


def _coatt_pairs(community: Any, ids: pd.Index, cut_ns: int) -> np.ndarray:
    """Unordered co-attendance pairs (a < b) of checked-in owners at events before ``cut``."""
    pairs, first = _coatt_pairs_timed(community, ids)
    return pairs[first < cut_ns]


def _coatt_pairs_timed(community: Any, ids: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Unordered co-attendance pairs (a < b) of checked-in owners at events of 2-150 check-ins,
    with the start (int64 ns) of their first shared event: computed once, cut by time after
    (an event is before a cut as a whole, so its size does not depend on the cut)."""
    none = np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64)
    t = community.tables
    att, ev = t["attendance"], t["events"]
    if not len(att) or not len(ev):
        return none
    a = att[att["checked_in"].astype(bool)] if "checked_in" in att else att
    from graphcrm.algorithms.backtest import lookup

    when = lookup(a["event_id"], ev, "event_id", "starts_at")
    tt = pd.to_datetime(when).to_numpy(dtype="datetime64[ns]").astype(np.int64)
    timed = tt != np.iinfo(np.int64).min
    a, tt = a[timed], tt[timed]
    v = ids.get_indexer(a["owner_id"].astype(object).astype(str))
    codes, uniq = pd.factorize(a["event_id"].astype(object).astype(str))
    ok = v >= 0
    v, e, tt = v[ok], codes[ok], tt[ok]
    size = np.bincount(e, minlength=len(uniq))
    keep = (size[e] >= 2) & (size[e] <= 150)
    v, e, tt = v[keep], e[keep], tt[keep]
    if not len(v):
        return none
    order = np.lexsort((v, e))
    v, e, tt = v[order], e[order], tt[order]
    starts = np.flatnonzero(np.r_[True, e[1:] != e[:-1]])
    lens = np.diff(np.r_[starts, len(e)])
    out, times = [], []
    for s in np.unique(lens):
        blocks = starts[lens == s]
        mem = v[blocks[:, None] + np.arange(s)[None, :]]
        iu, ju = np.triu_indices(s, k=1)
        x, y = mem[:, iu].ravel(), mem[:, ju].ravel()
        out.append(np.column_stack([np.minimum(x, y), np.maximum(x, y)]))
        times.append(np.repeat(tt[blocks], len(iu)))
    pairs, first = np.concatenate(out), np.concatenate(times)
    ok = pairs[:, 0] != pairs[:, 1]
    pairs, first = pairs[ok], first[ok]
    n = max(len(ids), 1)
    key = pairs[:, 0] * n + pairs[:, 1]
    order = np.lexsort((first, key))  # per pair, its first shared event first
    key, first = key[order], first[order]
    head = np.r_[True, key[1:] != key[:-1]]
    key, first = key[head], first[head]
    return np.column_stack([key // n, key % n]).astype(np.int64), first


def _profiles(ex: pd.DataFrame, coatt: np.ndarray, n: int, cut_ns: int, h_ns: int) -> pd.DataFrame:
    """Candidate pairs and their features (module docstring), from exposures before ``cut``."""
    import duckdb

    e = ex[ex["t"] < cut_ns][["src", "dst", "t", "layer"]]
    q_ns = cut_ns - h_ns // 4
    h0 = cut_ns - h_ns
    con = duckdb.connect()
    try:
        con.register("e", e)
        con.register("co", pd.DataFrame({"a": coatt[:, 0], "b": coatt[:, 1]}))
        sql = f"""
        WITH pair AS (
            SELECT src, dst, count(DISTINCT t // {_NS_DAY}) AS days, max(t) AS last,
                   count(*) FILTER (WHERE t >= {h0}) AS n_h, count(*) FILTER (WHERE t >= {q_ns}) AS n_q,
                   bool_or(layer = 2) AS ref
            FROM e GROUP BY src, dst),
        cand AS (
            SELECT src, dst FROM pair
            UNION SELECT dst AS src, src AS dst FROM pair
            UNION SELECT a AS src, b AS dst FROM co
            UNION SELECT b AS src, a AS dst FROM co),
        srcact AS (
            SELECT src, count(DISTINCT dst) AS aud_all,
                   count(DISTINCT dst) FILTER (WHERE t >= {h0}) AS aud_h,
                   count(DISTINCT dst) FILTER (WHERE t >= {q_ns}) AS aud_q
            FROM e GROUP BY src),
        act AS (
            SELECT o, count(*) FILTER (WHERE t >= {h0}) AS act_h, count(*) FILTER (WHERE t >= {q_ns}) AS act_q
            FROM (SELECT dst AS o, t FROM e UNION ALL SELECT src AS o, t FROM e) GROUP BY o),
        coset AS (SELECT a, b FROM co UNION SELECT b AS a, a AS b FROM co)
        SELECT c.src, c.dst,
               coalesce(p.days, 0) AS days, coalesce(p.n_h, 0) AS n_h, coalesce(p.n_q, 0) AS n_q,
               CASE WHEN p.last IS NULL THEN 4.0
                    ELSE least(4.0, ({cut_ns} - p.last) / {float(h_ns)}) END AS age,
               coalesce(r.days, 0) AS rev_days,
               (coalesce(p.ref, false) OR coalesce(r.ref, false)) AS referral,
               (cs.a IS NOT NULL) AS coattend,
               coalesce(sa.aud_all, 0) AS src_all, coalesce(sa.aud_h, 0) AS src_h, coalesce(sa.aud_q, 0) AS src_q,
               coalesce(ta.act_h, 0) AS dst_h, coalesce(ta.act_q, 0) AS dst_q
        FROM cand c
        LEFT JOIN pair p ON p.src = c.src AND p.dst = c.dst
        LEFT JOIN pair r ON r.src = c.dst AND r.dst = c.src
        LEFT JOIN coset cs ON cs.a = c.src AND cs.b = c.dst
        LEFT JOIN srcact sa ON sa.src = c.src
        LEFT JOIN act ta ON ta.o = c.dst
        ORDER BY c.src, c.dst
        """
        prof = con.execute(sql).df()
    finally:
        con.close()
    for c in ("src", "dst", "days", "n_h", "n_q", "rev_days", "src_all", "src_h", "src_q", "dst_h", "dst_q"):
        prof[c] = prof[c].astype(np.int64)
    prof["age"] = prof["age"].astype(np.float64)
    for c in ("referral", "coattend"):
        prof[c] = prof[c].astype(bool)
    return prof


#: features of a tie, in the order of the fitted coefficients
TIE_FEATURES = ("log_days", "log_recent_h", "log_recent_q", "age", "has_exposure", "log_reverse_days",
                "referral", "coattend", "log_source_all", "log_source_h", "log_source_q", "log_target_h",
                "log_target_q")
AUDIENCE_FEATURES = ("log_all", "log_h", "log_q", "active_q")


def _tie_matrix(prof: pd.DataFrame) -> np.ndarray:
    def col(name: str) -> np.ndarray:
        return prof[name].to_numpy(dtype=np.float64)

    out = np.empty((len(prof), len(TIE_FEATURES)), dtype=np.float64)
    for j, name in enumerate(("days", "n_h", "n_q")):
        out[:, j] = np.log1p(col(name))
    out[:, 3] = col("age")
    out[:, 4] = col("days") > 0
    out[:, 5] = np.log1p(col("rev_days"))
    out[:, 6] = col("referral")
    out[:, 7] = col("coattend")
    for j, name in enumerate(("src_all", "src_h", "src_q", "dst_h", "dst_q")):
        out[:, 8 + j] = np.log1p(col(name))
    return out


def _aud_matrix(all_: np.ndarray, h: np.ndarray, q: np.ndarray) -> np.ndarray:
    return np.column_stack([np.log1p(all_), np.log1p(h), np.log1p(q), q > 0]).astype(np.float64)


def _fit_glm(x: np.ndarray, y: np.ndarray, *, family: str, l2: float) -> dict:
    """L2-penalised logistic ("binomial") or Poisson regression on standardised features
    (scipy L-BFGS); returns the scaling and coefficients."""
    from scipy.optimize import minimize
    from scipy.special import expit

    mu = x.mean(axis=0) if len(x) else np.zeros(x.shape[1])
    sd = x.std(axis=0) if len(x) else np.ones(x.shape[1])
    sd = np.where(sd > 1e-12, sd, 1.0)
    z = (x - mu) / sd
    m = len(y)
    ybar = float(y.mean()) if m else 0.0
    if family == "binomial":
        b0 = math.log(max(ybar, 1e-6) / max(1 - ybar, 1e-6))
    else:
        b0 = math.log(max(ybar, 1e-6))

    def f(w: np.ndarray) -> tuple[float, np.ndarray]:
        eta = z @ w[1:] + w[0]
        if family == "binomial":
            p = expit(eta)
            loss = float(np.sum(np.logaddexp(0.0, eta) - y * eta))
            r = p - y
        else:
            mu_ = np.exp(np.minimum(eta, 30.0))
            loss = float(np.sum(mu_ - y * eta))
            r = mu_ - y
        g = np.r_[r.sum(), z.T @ r]
        loss += 0.5 * l2 * float(w[1:] @ w[1:])
        g[1:] += l2 * w[1:]
        return loss / max(m, 1), g / max(m, 1)

    w0 = np.r_[b0, np.zeros(z.shape[1])]
    if m and 0 < ybar and (family == "poisson" or ybar < 1):
        res = minimize(f, w0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
        w = res.x
    else:
        w = w0
    return {"mu": mu, "sd": sd, "w": w, "family": family}


def _predict(model: dict, x: np.ndarray) -> np.ndarray:
    from scipy.special import expit

    eta = ((x - model["mu"]) / model["sd"]) @ model["w"][1:] + model["w"][0]
    return expit(eta) if model["family"] == "binomial" else np.exp(np.minimum(eta, 30.0))


def _horizon_ns(ex: pd.DataFrame, horizon_days: float | None) -> tuple[int, float]:
    span = int(ex["t"].iloc[-1] - ex["t"].iloc[0]) if len(ex) else 0
    if horizon_days is None:
        h = max(min(int(DEFAULT_HORIZON_DAYS * _NS_DAY), span // 2), 1)
    else:
        h = float(horizon_days)
        if not math.isfinite(h) or h <= 0:
            raise _config_error("horizon_days must be a positive number")
        h = max(int(h * _NS_DAY), 1)
    return h, h / _NS_DAY


def _source_audience(ex: pd.DataFrame, n: int, cut_ns: int, h_ns: int) -> tuple[np.ndarray, ...]:
    """Distinct owners each owner exposed before ``cut``: ever, in the last ``H``, in the last ``H/4``."""
    e = ex[ex["t"] < cut_ns]
    out = []
    for lo in (None, cut_ns - h_ns, cut_ns - h_ns // 4):
        f = e if lo is None else e[e["t"] >= lo]
        out.append(np.bincount(np.unique(f["src"].to_numpy() * n + f["dst"].to_numpy()) // n, minlength=n))
    return tuple(out)


def learn_influence(community: Any, *, horizon_days: float | None = None, l2: float = DEFAULT_L2,
                    label_share: float | None = None, new_audience: bool = True) -> LearnedInfluence:
    """Learn tie transmission probabilities (and new-audience rates) from the history.

    Parameters
    ----------
    community : graphcrm.community.Community
        Everything in it is "the past"; its end is the latest exposure.
    horizon_days : float, optional
        The horizon ``H`` the probabilities refer to (default 90 days, at most half the time
        span of the exposures).
    l2 : float, default 1.0
        Ridge penalty of both regressions (on standardised features, per observation x n).
    label_share : float, optional
        Default :data:`DEFAULT_LABEL_SHARE` (0.5).
        Length of the internal label window as a share of ``H`` (the internal split is at
        ``end - label_share * H``, at most half-way into the history); the learned rates are
        rescaled to ``H``.  A shorter window fits the most recent behaviour.
    new_audience : bool, default True
        Also learn ``a(u)``, the expected new owners each owner exposes within ``H``.

    Returns
    -------
    LearnedInfluence

    Raises
    ------
    ConfigError
        Non-positive ``horizon_days`` or negative ``l2``.

    Example
    -------
    >>> from graphcrm.demo import generate_demo
    >>> from graphcrm.community import Community
    >>> li = learn_influence(Community(generate_demo(1000, seed=0)[0]))
    >>> bool(((li.edges["prob"] >= 0) & (li.edges["prob"] <= 1)).all())
    True
    """
    from graphcrm.algorithms.backtest import exposures

    l2 = float(l2)
    if not math.isfinite(l2) or l2 < 0:
        raise _config_error("l2 must be a non-negative number")
    label_share = float(DEFAULT_LABEL_SHARE if label_share is None else label_share)
    if not 0 < label_share <= 1:
        raise _config_error("label_share must lie in (0, 1]")
    ids = community.owner_ids
    n = len(ids)
    index = pd.Index(ids)
    ex = exposures(community)
    h_ns, h_days = _horizon_ns(ex, horizon_days)
    empty = pd.DataFrame({"src": np.zeros(0, np.int64), "dst": np.zeros(0, np.int64), "prob": np.zeros(0),
                          "days": np.zeros(0, np.int64), "referral": np.zeros(0, bool), "coattend": np.zeros(0, bool)})
    if len(ex) < 2:
        return LearnedInfluence(empty, np.zeros(n), {"horizon_days": h_days, "pairs_train": 0})
    t_start, t_end = int(ex["t"].iloc[0]), int(ex["t"].iloc[-1])
    cut_i = max(t_end - int(h_ns * label_share), t_start + (t_end - t_start) // 2)
    label_ns = t_end - cut_i
    scale = h_ns / label_ns if label_ns > 0 else 1.0
    # --- internal split: fit the tie model (co-attendance pairs computed once, cut by time)
    co_pairs, co_first = _coatt_pairs_timed(community, index)
    prof_i = _profiles(ex, co_pairs[co_first < cut_i], n, cut_i, h_ns)
    after = ex[ex["t"] >= cut_i]
    pos_pairs = np.unique(after["src"].to_numpy() * n + after["dst"].to_numpy())
    key_i = prof_i["src"].to_numpy() * n + prof_i["dst"].to_numpy()
    y = np.isin(key_i, pos_pairs).astype(np.float64)
    x_i = _tie_matrix(prof_i)
    fit_rows = np.arange(len(y))
    if len(y) > MAX_FIT_ROWS:  # a seeded uniform sample keeps the fit unbiased and bounded in time
        fit_rows = np.sort(np.random.default_rng(0).choice(len(y), MAX_FIT_ROWS, replace=False))
    tie_model = _fit_glm(x_i[fit_rows], y[fit_rows], family="binomial", l2=l2)
    fitted_i = _predict(tie_model, x_i) if len(y) else np.zeros(0)
    # --- internal split: fit the new-audience model
    audience = np.zeros(n)
    aud_info: dict[str, Any] = {}
    aud_model = None
    if new_audience:
        all_i, h_i, q_i = _source_audience(ex, n, cut_i, h_ns)
        new_pairs = np.setdiff1d(pos_pairs, key_i, assume_unique=True)  # both sorted and unique
        new_cnt = np.bincount(new_pairs // n, minlength=n).astype(np.float64)
        srcs = np.flatnonzero(all_i > 0)
        x_aud = _aud_matrix(all_i[srcs], h_i[srcs], q_i[srcs])
        aud_model = _fit_glm(x_aud, new_cnt[srcs], family="poisson", l2=l2)
        aud_fit = _predict(aud_model, x_aud)
        aud_cap = float(new_cnt[srcs].max()) if len(srcs) else 0.0
        aud_info = {"sources_train": int(len(srcs)), "new_audience_train": float(new_cnt[srcs].sum()),
                    "new_audience_fitted": float(aud_fit.sum()),
                    "audience_coefficients": _coefs(aud_model, AUDIENCE_FEATURES)}
    # --- apply to the whole history (features at its end)
    prof = _profiles(ex, co_pairs[co_first < t_end + 1], n, t_end + 1, h_ns)
    p = _predict(tie_model, _tie_matrix(prof)) if len(prof) else np.zeros(0)
    if scale != 1.0 and len(p):
        p = -np.expm1(scale * np.log1p(-np.minimum(p, 1 - 1e-12)))
    prof["prob"] = np.clip(p, 0.0, 1.0)
    if aud_model is not None:
        all_, h_, q_ = _source_audience(ex, n, t_end + 1, h_ns)
        srcs = np.flatnonzero(all_ > 0)
        a = _predict(aud_model, _aud_matrix(all_[srcs], h_[srcs], q_[srcs]))
        # never more than the most any owner gained in the internal split, nor more owners than
        # are left without a tie to the source
        ties = np.bincount(prof["src"].to_numpy(), minlength=n)[srcs]
        audience[srcs] = np.minimum(np.minimum(a, aud_cap) * scale, np.maximum(n - 1 - ties, 0))
    di = prof_i["days"].to_numpy()
    lay = {
        "with_exposures": _mean(y, di > 0),
        "referral_only": _mean(y, (di == 0) & prof_i["referral"].to_numpy() & (prof_i["rev_days"].to_numpy() == 0)),
        "coattend_only": _mean(y, (di == 0) & prof_i["coattend"].to_numpy() & ~prof_i["referral"].to_numpy()
                               & (prof_i["rev_days"].to_numpy() == 0)),
        "reverse_only": _mean(y, (di == 0) & (prof_i["rev_days"].to_numpy() > 0) & ~prof_i["referral"].to_numpy()
                              & ~prof_i["coattend"].to_numpy()),
    }
    info = {
        "horizon_days": h_days, "internal_split": pd.Timestamp(cut_i), "label_days": label_ns / _NS_DAY,
        "l2": l2, "label_share": label_share, "pairs_train": int(len(y)), "positives_train": int(y.sum()),
        "base_rate": float(y.mean()) if len(y) else 0.0, "layer_rates": lay,
        "predicted_train": float(fitted_i.sum()), "observed_train": float(y.sum()),
        "tie_coefficients": _coefs(tie_model, TIE_FEATURES), "pairs": int(len(prof)),
        "expected_ties": float(prof["prob"].sum()), "expected_new_audience": float(audience.sum()), **aud_info,
    }
    return LearnedInfluence(prof, audience, info)


def _coefs(model: dict, names: tuple[str, ...]) -> dict[str, float]:
    """Coefficients per standardised feature (and the intercept), rounded."""
    return {"intercept": round(float(model["w"][0]), 4), **{nm: round(float(w), 4) for nm, w in zip(names, model["w"][1:])}}


def _mean(y: np.ndarray, mask: Any) -> float | None:
    m = np.asarray(mask, dtype=bool)
    return float(y[m].mean()) if m.any() else None


def learned_graph_arrays(li: LearnedInfluence, n: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Edges of the learned influence graph with audience nodes appended after the owners.

    Returns
    -------
    tuple
        ``(n_total, src, dst, prob, layer_of_edge)`` where audience node ``n + j`` hangs off
        its owner; ``layer_of_edge`` is 0 for owner ties and 1 for audience edges.
    """
    e = li.edges
    src = e["src"].to_numpy(dtype=np.int64)
    dst = e["dst"].to_numpy(dtype=np.int64)
    prob = e["prob"].to_numpy(dtype=np.float64)
    a = np.asarray(li.audience, dtype=np.float64)
    m = np.ceil(np.maximum(a, 0.0) - 1e-9).astype(np.int64)
    m[a <= 1e-6] = 0
    owners = np.repeat(np.arange(n, dtype=np.int64), m)
    v = n + np.arange(len(owners), dtype=np.int64)
    pv = np.repeat(np.where(m > 0, a / np.maximum(m, 1), 0.0), m)
    kind = np.r_[np.zeros(len(src), dtype=np.int8), np.ones(len(owners), dtype=np.int8)]
    return n + len(owners), np.r_[src, owners], np.r_[dst, v], np.clip(np.r_[prob, pv], 0.0, 1.0), kind
