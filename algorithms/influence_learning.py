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
the end of the history.  When fewer than :data:`MIN_POSITIVES` ties transmit in the internal
split (a history of referrals only: a referral never repeats over the same pair, at any split),
no tie model can be fitted; every tie then gets the smoothed observed rate
``(positives + 0.5) / (pairs + 1)`` (``info["tie_model"] = "constant"``) and the new-audience
model below still learns who brings new owners.  Only when both have fewer than
:data:`MIN_POSITIVES` examples does ``ambassadors`` fall back to the weighted cascade.

Shared events
-------------
With ``coattendance="events"`` (the default) a tie that is nothing but a shared event is not
built: a shared event becomes one group node of the influence graph (:class:`EventGroups`,
owner -> event -> owner, a pass-through in the cascade, see
:func:`graphcrm.algorithms.influence.influence_graph`).  Such a tie's probability under the
fitted model is ``expit(k0 + g(u) + h(v))`` (source and target features only); the event edges
carry ``a(u) = c_a exp(g(u))`` and ``b(v) = c_b exp(h(v))``, calibrated so that the events'
expected direct transmissions equal the pairs'.  Differences from the pairs: a pair sharing
several events has several chances, a pair also tied by exposures gets the event path on top of
its tie, and the attendees an owner reaches through one event are reached together (the event
edge fires once).  Backtested against the pairs on the demo (docs/benchmarks.md).

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
from numba import njit

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
#: how ties that are only a shared event are kept (:func:`learn_influence`)
COATTENDANCE = ("events", "pairs")
DEFAULT_COATTENDANCE = "events"
#: hash salt of the seeded sample of streamed co-attendance-only pairs in the fit
COATT_SAMPLE_SALT = 0x5EED_C0A7


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
        tie's own feature columns of :func:`_profiles` (``days``, ``n_h``, ``n_q``, ``age``,
        ``rev_days``, ``referral``, ``coattend``; int32 counts).  The per-owner features
        (``src_all``, ``src_h``, ``src_q`` of the source, ``dst_h``, ``dst_q`` of the target) are
        in ``owner_features``, not repeated on every tie (tens of millions of ties at 1M owners).
    audience : float array (n,), expected new owners each owner exposes within the horizon.
    info : dict: ``horizon_days``, ``internal_split`` (Timestamp), ``label_days`` (length of the
        internal label window), ``l2``, ``label_share``, ``pairs_train`` / ``positives_train``
        (internal split), ``base_rate``, ``layer_rates`` (observed transmission rate on the
        internal split of ties with an exposure history / a referral only / a shared event only
        / only the reverse direction), ``predicted_train`` / ``observed_train`` (sum of the
        fitted probabilities and the observed transmissions there), ``tie_model`` (``"fitted"``
        or ``"constant"``, see the module docstring), ``tie_coefficients`` and
        ``audience_coefficients`` (per standardised feature), ``pairs``, ``expected_ties``,
        ``expected_new_audience``, ``sources_train``, ``new_audience_train``,
        ``new_audience_fitted``; with ``coattendance="events"`` also ``coattend_only_pairs``
        and ``expected_coattend_only`` (the streamed ties: number, summed probability),
        ``events``, ``event_memberships``, ``expected_coattend_events`` (after calibration),
        ``expected_coattend_events_raw`` and ``event_calibration``.
    """

    edges: pd.DataFrame
    audience: np.ndarray
    info: dict = field(default_factory=dict)
    #: per-owner features at the end of the history: column name -> int32 array (n,)
    owner_features: dict = field(default_factory=dict)
    #: ``coattendance="events"``: the shared events as group nodes (None with ``"pairs"``)
    events: EventGroups | None = None
    #: ``coattendance="events"``: per owner, the summed probability of its co-attendance-only
    #: ties under the pair model (their share of the owner's influence, for the reasons)
    coattend_out: np.ndarray | None = None


def _coatt_pairs(community: Any, ids: pd.Index, cut_ns: int) -> np.ndarray:
    """Unordered co-attendance pairs (a < b) of checked-in owners at events before ``cut``."""
    pairs, first = _coatt_pairs_timed(community, ids)
    return pairs[first < cut_ns]


def _timed_checkins(community: Any, ids: pd.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The checked-in attendance rows at events with a start time, of owners in ``ids``:
    ``(owner, event, start)`` as int64 arrays (positions in ``ids``, event codes in order of
    first appearance, the event's start in ns); ``None`` without attendance or events."""
    t = community.tables
    att, ev = t["attendance"], t["events"]
    if not len(att) or not len(ev):
        return None
    a = att[att["checked_in"].astype(bool)] if "checked_in" in att else att
    from graphcrm.algorithms.backtest import lookup

    when = lookup(a["event_id"], ev, "event_id", "starts_at")
    tt = pd.to_datetime(when).to_numpy(dtype="datetime64[ns]").astype(np.int64)
    timed = tt != np.iinfo(np.int64).min
    a, tt = a[timed], tt[timed]
    v = ids.get_indexer(a["owner_id"].astype(object).astype(str)).astype(np.int64)
    codes, _ = pd.factorize(a["event_id"].astype(object).astype(str))
    ok = v >= 0
    return v[ok], codes[ok].astype(np.int64), tt[ok]


def _coatt_pairs_timed(community: Any, ids: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Unordered co-attendance pairs (a < b) of checked-in owners at events of 2-150 check-ins,
    with the start (int64 ns) of their first shared event: computed once, cut by time after
    (an event is before a cut as a whole, so its size does not depend on the cut)."""
    none = np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64)
    rows = _timed_checkins(community, ids)
    if rows is None:
        return none
    from graphcrm.algorithms.backtest import MAX_EVENT_CHECKINS

    v, e, tt = rows
    size = np.bincount(e)
    keep = (size[e] >= 2) & (size[e] <= MAX_EVENT_CHECKINS)
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


@dataclass
class EventGroups:
    """The shared events of the learned model as *group* nodes (``coattendance="events"``).

    A shared event of 2-150 check-ins links its attendees through one node, owner -> event ->
    owner, instead of one tie per ordered pair of attendees (an event of ``s`` check-ins: ``2s``
    edges instead of ``s(s-1)``).  Owner ``u`` reaches the event with probability ``a[u]``, the
    event reaches attendee ``v`` with ``b[v]``; ``a[u] * b[v]`` is the learned probability of a
    co-attendance-only tie ``u -> v`` (see :func:`_event_probabilities`).

    Attributes
    ----------
    ptr : int64 (events + 1,): members of event ``e`` are ``owner[ptr[e]:ptr[e+1]]``.
    owner : int64 vertex numbers of the checked-in attendees (each once per event).
    start : int64 ns start of each event.
    a, b : float64 (n,) probabilities owner -> event and event -> owner.
    """

    ptr: np.ndarray
    owner: np.ndarray
    start: np.ndarray
    a: np.ndarray
    b: np.ndarray

    @property
    def count(self) -> int:
        return int(self.ptr.shape[0] - 1)


def _event_members(community: Any, ids: pd.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checked-in attendees of the timed events of 2-150 check-ins (the events that make
    co-attendance ties, as in :func:`_coatt_pairs_timed`): ``(ptr, owner, start)``, events
    numbered in order of start time, members sorted."""
    none = np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    rows = _timed_checkins(community, ids)
    if rows is None:
        return none
    from graphcrm.algorithms.backtest import MAX_EVENT_CHECKINS

    v, e_rows, tt = rows
    n = max(len(ids), 1)
    key = _unique(e_rows * n + v)  # one membership per owner and event
    e, v = key // n, key % n
    start_of = np.zeros(int(e.max()) + 1 if len(e) else 0, np.int64)
    # every row of an event has its start: take it per event code
    start_of[e_rows] = tt
    size = np.bincount(e, minlength=len(start_of))
    keep = (size[e] >= 2) & (size[e] <= MAX_EVENT_CHECKINS)
    e, v = e[keep], v[keep]
    if not len(e):
        return none
    # renumber events by (start, code) so the numbering does not depend on the input order
    used = _unique(e)
    order = np.lexsort((used, start_of[used]))
    new = np.empty(int(used.max()) + 1, np.int64)
    new[used[order]] = np.arange(len(used))
    e2 = new[e]
    o = np.lexsort((v, e2))
    e2, v = e2[o], v[o]
    ptr = np.zeros(len(used) + 1, np.int64)
    np.cumsum(np.bincount(e2, minlength=len(used)), out=ptr[1:])
    return ptr, v, start_of[used[order]]


def _owner_events(ptr: np.ndarray, owner: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-owner CSR of the events each owner checked in at (event numbers ascending)."""
    ev = np.repeat(np.arange(len(ptr) - 1, dtype=np.int64), np.diff(ptr))
    o = np.argsort(owner, kind="stable")  # stable: events ascend within an owner
    optr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=optr[1:])
    return optr, ev[o]


@njit(cache=True)
def _share_event(optr, oev, start, cut, src, dst):  # pragma: no cover - compiled
    """Whether ``src[i]`` and ``dst[i]`` checked in at a common event starting before ``cut``
    (a merge of their sorted event lists)."""
    out = np.zeros(src.shape[0], dtype=np.bool_)
    for i in range(src.shape[0]):
        a, a1 = optr[src[i]], optr[src[i] + 1]
        b, b1 = optr[dst[i]], optr[dst[i] + 1]
        while a < a1 and b < b1:
            x, y = oev[a], oev[b]
            if x < y:
                a += 1
            elif y < x:
                b += 1
            else:
                if start[x] < cut:
                    out[i] = True
                    break
                a += 1
                b += 1
    return out


@njit(cache=True)
def _coatt_scan(optr, oev, ptr, owner, start, cut, cptr, cdst, pptr, pdst, gterm, hterm, k0, scale, want_p,
                rate, salt, out_u, out_v):  # pragma: no cover - compiled
    """Stream the co-attendance-only ordered pairs ``u -> v`` (a shared event of 2-150
    check-ins starting before ``cut``, no candidate tie ``cdst[cptr[u]:cptr[u+1]]``) without
    storing them: per source ``u`` their number, how many are positives
    (``pdst[pptr[u]:pptr[u+1]]``), the sum of their pair-model probabilities
    ``expit(k0 + gterm[u] + hterm[v])`` rescaled by ``scale`` (``want_p``), and a Bernoulli
    sample of rate ``rate`` (``rate >= 1``: all; hashed per pair with ``salt``) written to
    ``out_u``/``out_v``.  Returns ``(count, positives, psum, sampled)``."""
    n = optr.shape[0] - 1
    # one mark per owner for the three per-source sets (seen, a candidate tie, a positive):
    # ``(u + 1) << 3 | flags`` for source ``u`` (an older stamp reads as no flag), one memory
    # access per attendee instead of three arrays' (at 1,000,000 owners 8 MB instead of 24 MB)
    mark = np.zeros(n, dtype=np.int64)
    cnt = np.zeros(n, dtype=np.int64)
    pos = np.zeros(n, dtype=np.int64)
    psum = np.zeros(n, dtype=np.float64)
    m = 0
    cap = out_u.shape[0]
    for u in range(n):
        if optr[u] == optr[u + 1]:
            continue
        st = np.int64(u + 1) << 3
        for j in range(cptr[u], cptr[u + 1]):
            v = cdst[j]
            x = mark[v]
            mark[v] = (x if (x >> 3) << 3 == st else st) | 1
        for j in range(pptr[u], pptr[u + 1]):
            v = pdst[j]
            x = mark[v]
            mark[v] = (x if (x >> 3) << 3 == st else st) | 2
        x = mark[u]
        mark[u] = (x if (x >> 3) << 3 == st else st) | 4
        for i in range(optr[u], optr[u + 1]):
            e = oev[i]
            if start[e] >= cut:
                continue
            for jj in range(ptr[e], ptr[e + 1]):
                v = owner[jj]
                x = mark[v]
                if (x >> 3) << 3 != st:
                    x = st
                if x & 4:
                    continue
                mark[v] = x | 4
                if x & 1:
                    continue
                cnt[u] += 1
                if x & 2:
                    pos[u] += 1
                if want_p:
                    p = 1.0 / (1.0 + math.exp(-(k0 + gterm[u] + hterm[v])))
                    if scale != 1.0:
                        p = -math.expm1(scale * math.log1p(-min(p, 1.0 - 1e-12)))
                    psum[u] += p
                if rate > 0.0 and m < cap:
                    take = rate >= 1.0
                    if not take:
                        z = np.uint64(salt) + np.uint64(u) * np.uint64(n) + np.uint64(v)
                        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
                        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
                        z = z ^ (z >> np.uint64(31))
                        take = ((z >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0) < rate
                    if take:
                        out_u[m] = u
                        out_v[m] = v
                        m += 1
    return cnt, pos, psum, m


def _event_transmissions(ptr: np.ndarray, members: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Expected direct transmissions through the events: sum over events of
    ``sum_{u != v} a[u] b[v]``."""
    if not len(members):
        return 0.0
    am, bm = a[members], b[members]
    sa, sb, sab = (np.add.reduceat(x, ptr[:-1]) for x in (am, bm, am * bm))
    return float((sa * sb - sab).sum())


def _csr_of_keys(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR by source of sorted pair keys ``src * n + dst``: ``(ptr, dst)``."""
    src = keys // n
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=ptr[1:])
    return ptr, keys % n


def _pair_terms(model: dict, own: dict) -> tuple[float, np.ndarray, np.ndarray]:
    """The tie model's linear predictor of a co-attendance-only tie ``u -> v`` (no exposure
    either way, no referral, a shared event) split as ``k0 + g[u] + h[v]``: the same terms, in
    the same order, as :func:`_predict_ties` on such a row."""
    mu, sd, w = model["mu"], model["sd"], model["w"]

    def term(j: int, x: Any) -> Any:
        return ((x - mu[j]) / sd[j]) * w[j + 1]

    k0 = sum(float(term(j, x)) for j, x in ((0, 0.0), (1, 0.0), (2, 0.0), (3, 4.0), (4, 0.0), (5, 0.0),
                                            (6, 0.0), (7, 1.0))) + float(w[0])
    g = (term(8, np.log1p(own["src_all"].astype(np.float64))) + term(9, np.log1p(own["src_h"].astype(np.float64)))
         + term(10, np.log1p(own["src_q"].astype(np.float64))))
    h = term(11, np.log1p(own["dst_h"].astype(np.float64))) + term(12, np.log1p(own["dst_q"].astype(np.float64)))
    return k0, g, h


def _event_probabilities(k0: float, g: np.ndarray, h: np.ndarray, scale: float, attendees: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Per-owner ``a`` (owner -> event) and ``b`` (event -> owner) with ``a[u] * b[v] = scale *
    exp(k0 + g[u] + h[v])``: the pair model's rescaled probability ``1 - (1 - expit(eta))^scale``
    to first order (at most about ``p`` above it, relatively, for a pair of probability ``p``),
    split so that the largest ``a`` and the largest ``b`` among attendees are equal (both
    clipped at 1)."""
    n = len(g)
    a, b = np.zeros(n), np.zeros(n)
    if not len(attendees):
        return a, b
    ga, hb = g[attendees], h[attendees]
    # log a = g + t, log b = h + (log c - t), max(log a) = max(log b)
    logc = math.log(scale) + k0
    t = (float(hb.max()) + logc - float(ga.max())) / 2.0
    a[attendees] = np.minimum(np.exp(ga + t), 1.0)
    b[attendees] = np.minimum(np.exp(hb + logc - t), 1.0)
    return a, b


def _unique(a: np.ndarray) -> np.ndarray:
    """Sorted unique values of an int64 array (a sort and a mask: faster than ``np.unique``'s
    hash table on tens of millions of keys)."""
    a = np.sort(a)
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


@njit(cache=True)
def _merge_find(keys, q):  # pragma: no cover - compiled
    pos = np.zeros(q.shape[0], dtype=np.int64)
    hit = np.zeros(q.shape[0], dtype=np.bool_)
    j, m = 0, keys.shape[0]
    for i in range(q.shape[0]):
        x = q[i]
        while j < m and keys[j] < x:
            j += 1
        if j < m and keys[j] == x:
            pos[i] = j
            hit[i] = True
    return pos, hit


def _found(sorted_keys: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the **sorted** queries ``q`` in the sorted unique ``sorted_keys`` (0 where
    absent) and whether each is there: one linear merge, no binary search."""
    return _merge_find(np.ascontiguousarray(sorted_keys, dtype=np.int64), np.ascontiguousarray(q, dtype=np.int64))


@dataclass
class _Pairs:
    """Exposures before a cut aggregated per ordered pair (keys ``src * n + dst``, sorted) and
    the per-owner counts the features need (all compact arrays, no per-row objects)."""

    key: np.ndarray      # int64 (pairs,)
    days: np.ndarray     # int32: distinct days with an exposure
    n_h: np.ndarray      # int32: exposures in the last H
    n_q: np.ndarray      # int32: exposures in the last H/4
    last: np.ndarray     # int64 ns: the latest exposure
    ref: np.ndarray      # bool: a referral among them
    aud_all: np.ndarray  # int32 (n,): distinct owners each owner exposed, ever
    aud_h: np.ndarray    # ... in the last H
    aud_q: np.ndarray    # ... in the last H/4
    act_h: np.ndarray    # int32 (n,): exposures to and by each owner in the last H
    act_q: np.ndarray    # ... in the last H/4


def _pair_order(ex: pd.DataFrame, n: int) -> np.ndarray:
    """The exposures' order by (pair key ``src * n + dst``, day): one sort of one int64 key
    (``key * days + day`` when that fits in 62 bits, else a two-key lexsort), computed once and
    shared by every cut (:func:`_pairs`)."""
    m = len(ex)
    if not m:
        return np.zeros(0, np.int64)
    key = ex["src"].to_numpy(dtype=np.int64) * n + ex["dst"].to_numpy(dtype=np.int64)
    day = ex["t"].to_numpy(dtype=np.int64) // _NS_DAY
    d0 = int(day.min())
    span = int(day.max()) - d0 + 1
    if float(n) * n * span < 2.0**62:
        key *= span
        key += day - d0
        del day
        return np.argsort(key)  # ties (same pair, same day) in any order: the sums do not care
    return np.lexsort((day, key))


@njit(cache=True)
def _aggregate_pairs(s, d, t, ly, order, n, cut, h0, q0):  # pragma: no cover - compiled
    """Per ordered pair of the exposures before ``cut`` (rows visited in ``order``, sorted by
    pair then day): key, distinct days, exposures in the last H and H/4, the latest time and
    whether one is a referral.  Two passes (count, fill): no per-row temporaries."""
    m = order.shape[0]
    cnt = 0
    prev = -1
    for i in range(m):
        r = order[i]
        if t[r] >= cut:
            continue
        k = s[r] * n + d[r]
        if k != prev:
            cnt += 1
            prev = k
    pkey = np.empty(cnt, dtype=np.int64)
    days = np.zeros(cnt, dtype=np.int32)
    n_h = np.zeros(cnt, dtype=np.int32)
    n_q = np.zeros(cnt, dtype=np.int32)
    last = np.empty(cnt, dtype=np.int64)
    ref = np.zeros(cnt, dtype=np.bool_)
    j = -1
    prev = -1
    prevday = 0
    for i in range(m):
        r = order[i]
        tt = t[r]
        if tt >= cut:
            continue
        k = s[r] * n + d[r]
        dy = tt // 86_400_000_000_000
        if k != prev:
            j += 1
            pkey[j] = k
            prev = k
            days[j] = 1
            prevday = dy
            last[j] = tt
        else:
            if dy != prevday:
                days[j] += 1
                prevday = dy
            if tt > last[j]:
                last[j] = tt
        if tt >= h0:
            n_h[j] += 1
        if tt >= q0:
            n_q[j] += 1
        if ly[r] == 2:
            ref[j] = True
    return pkey, days, n_h, n_q, last, ref


def _pairs(ex: pd.DataFrame, n: int, cut_ns: int, h_ns: int, order: np.ndarray | None = None) -> _Pairs:
    """Aggregate the exposures before ``cut`` per ordered pair (``order``: :func:`_pair_order`,
    computed here when not given; then one compiled pass)."""
    t = ex["t"].to_numpy(dtype=np.int64)
    s = ex["src"].to_numpy(dtype=np.int64)
    d = ex["dst"].to_numpy(dtype=np.int64)
    keep = t < cut_ns
    h0, q0 = cut_ns - h_ns, cut_ns - h_ns // 4
    in_h, in_q = keep & (t >= h0), keep & (t >= q0)
    act_h = (np.bincount(d[in_h], minlength=n) + np.bincount(s[in_h], minlength=n)).astype(np.int32)
    act_q = (np.bincount(d[in_q], minlength=n) + np.bincount(s[in_q], minlength=n)).astype(np.int32)
    del in_h, in_q
    if not keep.any():
        z = np.zeros(0, dtype=np.int32)
        zn = np.zeros(n, dtype=np.int32)
        return _Pairs(np.zeros(0, np.int64), z, z, z, np.zeros(0, np.int64), np.zeros(0, bool), zn, zn, zn, act_h, act_q)
    del keep
    if order is None:
        order = _pair_order(ex, n)
    ly = np.ascontiguousarray(ex["layer"].to_numpy(), dtype=np.int64) if len(ex) else np.zeros(0, np.int64)
    pkey, days, n_h, n_q, last, ref = _aggregate_pairs(s, d, t, ly, order, int(n), int(cut_ns), int(h0), int(q0))
    psrc = pkey // n
    aud_all = np.bincount(psrc, minlength=n).astype(np.int32)
    aud_h = np.bincount(psrc[n_h > 0], minlength=n).astype(np.int32)
    aud_q = np.bincount(psrc[n_q > 0], minlength=n).astype(np.int32)
    return _Pairs(pkey, days, n_h, n_q, last, ref, aud_all, aud_h, aud_q, act_h, act_q)


def _profiles(ex: pd.DataFrame, coatt: np.ndarray, n: int, cut_ns: int, h_ns: int,
              pairs: _Pairs | None = None) -> pd.DataFrame:
    """:func:`_profile_arrays` as a DataFrame."""
    return pd.DataFrame(_profile_arrays(ex, coatt, n, cut_ns, h_ns, pairs=pairs), copy=False)


#: per-owner features of a tie: the column, the end of the tie it belongs to, the _Pairs field
OWNER_FEATURES = (("src_all", "src", "aud_all"), ("src_h", "src", "aud_h"), ("src_q", "src", "aud_q"),
                  ("dst_h", "dst", "act_h"), ("dst_q", "dst", "act_q"))


def _owner_features(p: _Pairs) -> dict[str, np.ndarray]:
    """The per-owner feature arrays (n,) by column name (:data:`OWNER_FEATURES`)."""
    return {name: getattr(p, field_) for name, _end, field_ in OWNER_FEATURES}


@njit(cache=True)
def _order_by_dst(key, n):  # pragma: no cover - compiled
    """The order of the sorted unique pair keys ``src * n + dst`` by their reversed key
    ``dst * n + src``: a stable counting sort by ``dst`` (rows of one ``dst`` keep their order,
    which is by ``src``), the permutation ``np.argsort(reversed keys)`` gives, in linear time."""
    m = key.shape[0]
    cursor = np.zeros(n + 1, dtype=np.int64)
    for i in range(m):
        cursor[key[i] % n + 1] += 1
    for v in range(n):
        cursor[v + 1] += cursor[v]
    out = np.empty(m, dtype=np.int64)
    for i in range(m):
        d = key[i] % n
        out[cursor[d]] = i
        cursor[d] += 1
    return out


@njit(cache=True)
def _take_hit(arr, at, ok, fill, out):  # pragma: no cover - compiled
    """``out[i] = arr[at[i]]`` where ``ok[i]``, else ``fill``: one pass (no boolean-mask copies)."""
    for i in range(at.shape[0]):
        out[i] = arr[at[i]] if ok[i] else fill


def _profile_arrays(ex: pd.DataFrame, coatt: np.ndarray, n: int, cut_ns: int, h_ns: int,
                    pairs: _Pairs | None = None, owner_columns: bool = True) -> dict[str, np.ndarray]:
    """Candidate pairs and their features (module docstring), from exposures before ``cut``.

    One row per candidate ordered pair, sorted by (``src``, ``dst``): ``src``, ``dst``,
    ``days``, ``n_h``, ``n_q``, ``age``, ``rev_days``, ``referral``, ``coattend``, ``src_all``,
    ``src_h``, ``src_q``, ``dst_h``, ``dst_q`` (int32 counts, float64 age, bool flags).
    Computed with sorted int64 pair keys and binary search (about 60 bytes a candidate pair;
    the same numbers as the SQL joins it replaced, checked in tests/test_influence.py).
    """
    p = _pairs(ex, n, cut_ns, h_ns) if pairs is None else pairs
    co = np.asarray(coatt, dtype=np.int64).reshape(-1, 2)
    co_ab = co[:, 0] * n + co[:, 1]
    co_ba = co[:, 1] * n + co[:, 0]
    psrc, pdst = p.key // n, p.key % n
    cand = _unique(np.concatenate([p.key, pdst * n + psrc, co_ab, co_ba]))
    del psrc, pdst
    coset = _unique(np.concatenate([co_ab, co_ba]))
    del co_ab, co_ba
    small = np.int32 if n < 2**31 else np.int64
    # compact as soon as possible (tens of millions of candidates at 1M owners)
    pidx = np.int32 if len(p.key) < 2**31 else np.int64
    src, dst = (cand // n).astype(small), (cand % n).astype(small)
    pos, hit = _found(p.key, cand)
    pos = pos.astype(pidx)
    # the pair in the other direction: the pairs sorted by their reversed key, merged with cand
    rkey = (p.key % n) * n + p.key // n
    rorder = _order_by_dst(p.key, n)  # = np.argsort(rkey, kind="stable") (the keys are unique)
    rpos, rhit = _found(rkey[rorder], cand)
    rpos = rorder[rpos].astype(pidx)
    del rkey, rorder
    _, is_co = _found(coset, cand)
    del cand, coset

    def take(arr: np.ndarray, at: np.ndarray, ok: np.ndarray, fill: Any = 0) -> np.ndarray:
        out = np.empty(len(at), dtype=arr.dtype)
        _take_hit(arr, at, ok, arr.dtype.type(fill), out)  # out[i] = arr[at[i]] if ok[i] else fill
        return out

    age = np.full(len(src), 4.0)
    age[hit] = np.minimum(4.0, (cut_ns - p.last[pos[hit]]) / float(h_ns))
    return {
        "src": src, "dst": dst,
        "days": take(p.days, pos, hit), "n_h": take(p.n_h, pos, hit), "n_q": take(p.n_q, pos, hit),
        "age": age, "rev_days": take(p.days, rpos, rhit),
        "referral": take(p.ref, pos, hit, False) | take(p.ref, rpos, rhit, False),
        "coattend": is_co,
        **({name: getattr(p, field_)[src if end == "src" else dst] for name, end, field_ in OWNER_FEATURES}
           if owner_columns else {}),
    }


#: features of a tie, in the order of the fitted coefficients
TIE_FEATURES = ("log_days", "log_recent_h", "log_recent_q", "age", "has_exposure", "log_reverse_days",
                "referral", "coattend", "log_source_all", "log_source_h", "log_source_q", "log_target_h",
                "log_target_q")
AUDIENCE_FEATURES = ("log_all", "log_h", "log_q", "active_q")


def _tie_matrix(prof: Any, rows: Any = None, owner: dict | None = None) -> np.ndarray:
    """The (rows, :data:`TIE_FEATURES`) float64 matrix of ``prof`` (all rows, or a slice / index
    array); per-owner features come from ``owner`` (:func:`_owner_features`) when ``prof`` has
    no such column."""
    sel = slice(None) if rows is None else rows
    ends = {name: end for name, end, _ in OWNER_FEATURES}

    def col(name: str) -> np.ndarray:
        if owner is not None and name in ends and name not in prof:
            return owner[name][np.asarray(prof[ends[name]])[sel]].astype(np.float64)
        return np.asarray(prof[name])[sel].astype(np.float64)

    days = col("days")
    out = np.empty((len(days), len(TIE_FEATURES)), dtype=np.float64)
    out[:, 0] = np.log1p(days)
    for j, name in ((1, "n_h"), (2, "n_q")):
        out[:, j] = np.log1p(col(name))
    out[:, 3] = col("age")
    out[:, 4] = days > 0
    out[:, 5] = np.log1p(col("rev_days"))
    out[:, 6] = col("referral")
    out[:, 7] = col("coattend")
    for j, name in enumerate(("src_all", "src_h", "src_q", "dst_h", "dst_q")):
        out[:, 8 + j] = np.log1p(col(name))
    return out


#: values of a tie's integer counts (days, recent exposures, reverse days) below which
#: :func:`_predict_kernel` reads its log terms from a table computed once per call
PREDICT_TABLE = 1 << 16


@njit(cache=True)
def _count_terms(x, mu, sd, w):  # pragma: no cover - compiled
    """``((log1p(v) - mu) / sd) * w`` for every ``v`` in ``0 .. min(max(x), PREDICT_TABLE - 1)``:
    the same expression, in the same order, as the kernel's direct path, so a value read from
    the table is the value the row would have computed."""
    top = 0
    for i in range(x.shape[0]):
        if x[i] > top:
            top = x[i]
    size = min(np.int64(top) + 1, PREDICT_TABLE)
    out = np.empty(size, dtype=np.float64)
    for v in range(size):
        out[v] = ((math.log1p(np.float64(v)) - mu) / sd) * w
    return out


@njit(cache=True)
def _count_term(x, table, mu, sd, w):  # pragma: no cover - compiled
    if 0 <= x < table.shape[0]:
        return table[x]
    return ((math.log1p(np.float64(x)) - mu) / sd) * w


@njit(cache=True)
def _predict_kernel(days, n_h, n_q, age, rev, ref, co, src, dst, g0, g1, g2, h0, h1, mu, sd, w,
                    scale):  # pragma: no cover - compiled
    """One pass of :func:`_predict_ties`: the same 13 terms added in the same order per row, the
    per-owner terms gathered, the logistic, then (``scale != 1``) the rescaling to the horizon
    ``1 - (1 - p)^scale`` and the clip to [0, 1].  The four log terms of the integer counts
    come from tables of their values (:func:`_count_terms`: the same numbers, four ``log1p``
    fewer per row; tens of millions of rows at 1,000,000 owners hold a few hundred values)."""
    m = days.shape[0]
    out = np.empty(m, dtype=np.float64)
    t_days = _count_terms(days, mu[0], sd[0], w[1])
    t_h = _count_terms(n_h, mu[1], sd[1], w[2])
    t_q = _count_terms(n_q, mu[2], sd[2], w[3])
    t_rev = _count_terms(rev, mu[5], sd[5], w[6])
    for i in range(m):
        dd = days[i]
        e = _count_term(dd, t_days, mu[0], sd[0], w[1])
        e += _count_term(n_h[i], t_h, mu[1], sd[1], w[2])
        e += _count_term(n_q[i], t_q, mu[2], sd[2], w[3])
        e += ((np.float64(age[i]) - mu[3]) / sd[3]) * w[4]
        e += (((1.0 if dd > 0 else 0.0) - mu[4]) / sd[4]) * w[5]
        e += _count_term(rev[i], t_rev, mu[5], sd[5], w[6])
        e += (((1.0 if ref[i] else 0.0) - mu[6]) / sd[6]) * w[7]
        e += (((1.0 if co[i] else 0.0) - mu[7]) / sd[7]) * w[8]
        u = src[i]
        v = dst[i]
        e += g0[u]
        e += g1[u]
        e += g2[u]
        e += h0[v]
        e += h1[v]
        e += w[0]
        p = 1.0 / (1.0 + math.exp(-e))
        if scale != 1.0:
            p = -math.expm1(scale * math.log1p(-min(p, 1.0 - 1e-12)))
        out[i] = min(max(p, 0.0), 1.0)
    return out


def _predict_ties(model: dict, prof: Any, owner: dict | None = None, *, scale: float = 1.0) -> np.ndarray:
    """The tie model's probability for every row of ``prof``, summed feature by feature (no
    rows x features matrix, one compiled pass): the source and target features are per owner,
    so their terms are computed once per owner and gathered.  Equal to
    ``_predict(model, _tie_matrix(prof))`` up to the order of a 13-term float64 sum (relative
    differences of about 1e-15).  ``scale != 1``: rescaled to the horizon,
    ``1 - (1 - p)^scale``, and clipped to [0, 1]."""
    mu = np.asarray(model["mu"], dtype=np.float64)
    sd = np.asarray(model["sd"], dtype=np.float64)
    w = np.asarray(model["w"], dtype=np.float64)

    def col(name: str) -> np.ndarray:
        return np.asarray(prof[name])

    per_owner = []
    for j, (name, end) in enumerate((("src_all", "src"), ("src_h", "src"), ("src_q", "src"), ("dst_h", "dst"),
                                     ("dst_q", "dst"))):
        who = col(end)
        if owner is not None and name not in prof:
            per = owner[name].astype(np.float64)
        else:
            per = np.zeros(int(who.max()) + 1 if len(who) else 0)
            per[who] = col(name)  # the same value on every row of an owner
        per_owner.append(((np.log1p(per) - mu[8 + j]) / sd[8 + j]) * w[9 + j])
    return _predict_kernel(col("days"), col("n_h"), col("n_q"), col("age"), col("rev_days"), col("referral"),
                           col("coattend"), col("src"), col("dst"), *per_owner, mu, sd, w, float(scale))


def _aud_matrix(all_: np.ndarray, h: np.ndarray, q: np.ndarray) -> np.ndarray:
    return np.column_stack([np.log1p(all_), np.log1p(h), np.log1p(q), q > 0]).astype(np.float64)


def _fit_glm(x: np.ndarray, y: np.ndarray, *, family: str, l2: float) -> dict:
    """L2-penalised logistic ("binomial") or Poisson regression on standardised features
    (scipy L-BFGS); returns the scaling and coefficients."""
    from scipy.optimize import minimize

    from graphcrm.algorithms._glm import loss_grad

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

    z = np.ascontiguousarray(z, dtype=np.float64)
    yf = np.ascontiguousarray(y, dtype=np.float64)

    def f(w: np.ndarray) -> tuple[float, np.ndarray]:
        # one compiled pass (graphcrm.algorithms._glm): the loss and residual sums of
        # logaddexp(0, eta) - y eta / expit(eta) - y, or exp(min(eta, 30)) - y eta / mu - y
        loss, g = loss_grad(z, yf, w, family=family)
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


def _constant_model(n_features: int, rate: float) -> dict:
    """A logistic model that predicts ``rate`` for every row (all coefficients 0)."""
    w = np.zeros(n_features + 1)
    w[0] = math.log(rate / (1.0 - rate))
    return {"mu": np.zeros(n_features), "sd": np.ones(n_features), "w": w, "family": "binomial"}


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


def learn_influence(community: Any, *, horizon_days: float | None = None, l2: float = DEFAULT_L2,
                    label_share: float | None = None, new_audience: bool = True,
                    coattendance: str = DEFAULT_COATTENDANCE) -> LearnedInfluence:
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
    coattendance : {"events", "pairs"}, default "events"
        How ties that are nothing but a shared event (no exposure either way, no referral) are
        kept.  ``"pairs"``: one tie per ordered pair of attendees in ``edges``.  ``"events"``:
        they are never built (they were two thirds of the ties at 1,000,000 owners); they are
        streamed for the fit, the counts and the sums in ``info``, and the influence graph gets
        one node per event instead (``events``, :class:`EventGroups`).  Both fit the same
        model (the co-attendance-only rows of the fit are a seeded sample at the same rate as
        the other rows).

    Returns
    -------
    LearnedInfluence

    Raises
    ------
    ConfigError
        Non-positive ``horizon_days``, negative ``l2``, ``label_share`` outside (0, 1] or an
        unknown ``coattendance``.

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
    if coattendance not in COATTENDANCE:
        raise _config_error(f"coattendance must be one of {COATTENDANCE}, got {coattendance!r}")
    by_event = coattendance == "events"
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
    no_pairs = np.zeros((0, 2), dtype=np.int64)
    zi = np.zeros(0, np.int64)
    # --- internal split: fit the tie model (co-attendance pairs computed once, cut by time)
    if by_event:
        eptr, eown, estart = _event_members(community, index)
        optr, oev = _owner_events(eptr, eown, n)
        co_i = no_pairs
    else:
        co_pairs, co_first = _coatt_pairs_timed(community, index)
        co_i = co_pairs[co_first < cut_i]
    ex_order = _pair_order(ex, n)  # one sort of the exposures for both cuts
    pairs_i = _pairs(ex, n, cut_i, h_ns, order=ex_order)
    prof_i = _profile_arrays(ex, co_i, n, cut_i, h_ns, pairs=pairs_i, owner_columns=False)
    del co_i
    if by_event:
        prof_i["coattend"] = _share_event(optr, oev, estart, cut_i, prof_i["src"].astype(np.int64),
                                          prof_i["dst"].astype(np.int64))
    own_i = _owner_features(pairs_i)
    t_ex = ex["t"].to_numpy(dtype=np.int64)
    after = t_ex >= cut_i
    pos_pairs = _unique(ex["src"].to_numpy(dtype=np.int64)[after] * n + ex["dst"].to_numpy(dtype=np.int64)[after])
    del after
    key_i = prof_i["src"].astype(np.int64) * n + prof_i["dst"].astype(np.int64)
    y = _found(pos_pairs, key_i)[1].astype(np.float64)  # both sorted and unique
    co_cnt_i = co_pos_i = np.zeros(n, np.int64)
    if by_event:  # the co-attendance-only pairs of the internal split: counted, not stored
        cptr_i, cdst_i = _csr_of_keys(key_i, n)
        pptr_i, pdst_i = _csr_of_keys(pos_pairs, n)
        zf = np.zeros(n)
        co_cnt_i, co_pos_i, _, _ = _coatt_scan(optr, oev, eptr, eown, estart, cut_i, cptr_i, cdst_i, pptr_i, pdst_i,
                                               zf, zf, 0.0, 1.0, False, 0.0, 0, zi, zi)
    n_co_i = int(co_cnt_i.sum())
    total_i = len(y) + n_co_i
    rng = np.random.default_rng(0)
    fit_rows = np.arange(len(y))
    if not by_event and len(y) > MAX_FIT_ROWS:  # a seeded uniform sample keeps the fit unbiased and bounded in time
        fit_rows = np.sort(rng.choice(len(y), MAX_FIT_ROWS, replace=False))
    rate = MAX_FIT_ROWS / total_i if total_i > MAX_FIT_ROWS else 1.0
    if by_event and rate < 1.0:  # the same rate on the candidate ties and the streamed pairs
        fit_rows = np.sort(rng.choice(len(y), int(round(rate * len(y))), replace=False))
    x_fit, y_fit = _tie_matrix(prof_i, fit_rows, own_i), y[fit_rows]
    if by_event and n_co_i:
        cap = n_co_i if rate >= 1.0 else int(rate * n_co_i + 6 * math.sqrt(rate * n_co_i) + 64)
        su, sv = np.empty(cap, np.int64), np.empty(cap, np.int64)
        _, _, _, m = _coatt_scan(optr, oev, eptr, eown, estart, cut_i, cptr_i, cdst_i, pptr_i, pdst_i,
                                 zf, zf, 0.0, 1.0, False, rate, COATT_SAMPLE_SALT, su, sv)
        su, sv = su[:m], sv[:m]
        z32 = np.zeros(m, np.int32)
        co_rows = {"src": su, "dst": sv, "days": z32, "n_h": z32, "n_q": z32, "age": np.full(m, 4.0),
                   "rev_days": z32, "referral": np.zeros(m, bool), "coattend": np.ones(m, bool)}
        co_key = su * n + sv  # ascending: the scan goes by source, then by the sorted key below
        co_order = np.argsort(co_key, kind="stable")
        co_key = co_key[co_order]
        co_rows = {k_: (v_[co_order] if isinstance(v_, np.ndarray) and len(v_) == m else v_)
                   for k_, v_ in co_rows.items()}
        # the rows in pair-key order, as the pair model's fit sees them (same fit when all rows are used)
        order = np.argsort(np.r_[key_i[fit_rows], co_key], kind="stable")
        x_fit = np.vstack([x_fit, _tie_matrix(co_rows, None, own_i)])[order]
        y_fit = np.r_[y_fit, _found(pos_pairs, co_key)[1].astype(np.float64)][order]
        del co_rows, su, sv, co_key, co_order, order
    positives = float(y.sum()) + float(co_pos_i.sum())
    if positives >= MIN_POSITIVES:
        tie_model = _fit_glm(x_fit, y_fit, family="binomial", l2=l2)
        tie_kind = "fitted"
    else:  # no tie carried (almost) anything twice: every tie gets the smoothed observed rate
        tie_model = _constant_model(x_fit.shape[1], (positives + 0.5) / (total_i + 1.0))
        tie_kind = "constant"
    del x_fit, y_fit
    fitted_sum = float(_predict_ties(tie_model, prof_i, own_i).sum()) if len(y) else 0.0
    if by_event and n_co_i:
        k0, g, hh = _pair_terms(tie_model, own_i)
        fitted_sum += float(_coatt_scan(optr, oev, eptr, eown, estart, cut_i, cptr_i, cdst_i, pptr_i, pdst_i,
                                        g, hh, k0, 1.0, True, 0.0, 0, zi, zi)[2].sum())
        del g, hh
    # --- internal split: fit the new-audience model
    audience = np.zeros(n)
    aud_info: dict[str, Any] = {}
    aud_model = None
    if new_audience:
        all_i, h_i, q_i = pairs_i.aud_all, pairs_i.aud_h, pairs_i.aud_q
        new_pairs = pos_pairs[~_found(key_i, pos_pairs)[1]]  # transmissions over no candidate tie
        new_cnt = np.bincount(new_pairs // n, minlength=n).astype(np.float64)
        new_cnt -= co_pos_i  # ... nor over a streamed co-attendance-only tie
        del new_pairs
        srcs = np.flatnonzero(all_i > 0)
        x_aud = _aud_matrix(all_i[srcs], h_i[srcs], q_i[srcs])
        aud_model = _fit_glm(x_aud, new_cnt[srcs], family="poisson", l2=l2)
        aud_fit = _predict(aud_model, x_aud)
        aud_cap = float(new_cnt[srcs].max()) if len(srcs) else 0.0
        aud_info = {"sources_train": int(len(srcs)), "new_audience_train": float(new_cnt[srcs].sum()),
                    "new_audience_fitted": float(aud_fit.sum()),
                    "audience_coefficients": _coefs(aud_model, AUDIENCE_FEATURES)}
    di = prof_i["days"]
    lay = {
        "with_exposures": _mean(y, di > 0),
        "referral_only": _mean(y, (di == 0) & prof_i["referral"] & (prof_i["rev_days"] == 0)),
        "coattend_only": (float(co_pos_i.sum()) / n_co_i if n_co_i else None) if by_event else
        _mean(y, (di == 0) & prof_i["coattend"] & ~prof_i["referral"] & (prof_i["rev_days"] == 0)),
        "reverse_only": _mean(y, (di == 0) & (prof_i["rev_days"] > 0) & ~prof_i["referral"]
                              & ~prof_i["coattend"]),
    }
    # the internal split's rows are not needed any more: freed before the end-of-history features
    del pos_pairs, key_i, pairs_i, prof_i, di, y, own_i, t_ex, fit_rows
    if by_event:
        del cptr_i, cdst_i, pptr_i, pdst_i
    # --- apply to the whole history (features at its end)
    end_cut = t_end + 1
    pairs_e = _pairs(ex, n, end_cut, h_ns, order=ex_order)
    del ex_order
    if by_event:
        co_e = no_pairs
    else:
        co_e = co_pairs[co_first < end_cut]
        del co_pairs, co_first
    prof = _profile_arrays(ex, co_e, n, end_cut, h_ns, pairs=pairs_e, owner_columns=False)
    del co_e
    if by_event:
        prof["coattend"] = _share_event(optr, oev, estart, end_cut, prof["src"].astype(np.int64),
                                        prof["dst"].astype(np.int64))
    own_e = _owner_features(pairs_e)
    prof["prob"] = (_predict_ties(tie_model, prof, own_e, scale=scale) if len(prof["src"])
                    else np.zeros(0))  # rescaled to H and clipped in the same pass
    ties = np.bincount(prof["src"], minlength=n)
    groups, co_out, co_info = None, None, {}
    if by_event:
        k0, g, hh = _pair_terms(tie_model, own_e)
        cptr_e, cdst_e = _csr_of_keys(prof["src"].astype(np.int64) * n + prof["dst"].astype(np.int64), n)
        z1 = np.zeros(n + 1, np.int64)
        co_cnt, _, co_out, _ = _coatt_scan(optr, oev, eptr, eown, estart, end_cut, cptr_e, cdst_e, z1, zi,
                                           g, hh, k0, scale, True, 0.0, 0, zi, zi)
        del cptr_e, cdst_e
        ties = ties + co_cnt
        before = estart < end_cut
        sizes = np.diff(eptr)[before]
        gptr = np.zeros(int(before.sum()) + 1, np.int64)
        np.cumsum(sizes, out=gptr[1:])
        members = eown[np.repeat(before, np.diff(eptr))]
        ga, gb = _event_probabilities(k0, g, hh, scale, _unique(members))
        raw = _event_transmissions(gptr, members, ga, gb)
        # calibrated: the events carry, in expectation, the co-attendance-only transmissions of
        # the pair model (an owner pair sharing several events, or also tied by exposures, has
        # several paths; the product form is exp(eta), not expit(eta))
        calib = float(co_out.sum()) / raw if raw > 0 else 1.0
        gb = np.minimum(gb * calib, 1.0)
        groups = EventGroups(gptr, members, estart[before], ga, gb)
        co_info = {"coattend_only_pairs": int(co_cnt.sum()), "expected_coattend_only": float(co_out.sum()),
                   "events": groups.count, "event_memberships": int(len(members)),
                   "expected_coattend_events_raw": raw, "event_calibration": calib,
                   "expected_coattend_events": _event_transmissions(gptr, members, ga, gb)}
        del g, hh, co_cnt, optr, oev, eptr, eown, estart
    if aud_model is not None:
        all_, h_, q_ = pairs_e.aud_all, pairs_e.aud_h, pairs_e.aud_q
        srcs = np.flatnonzero(all_ > 0)
        a = _predict(aud_model, _aud_matrix(all_[srcs], h_[srcs], q_[srcs]))
        # never more than the most any owner gained in the internal split, nor more owners than
        # are left without a tie to the source
        audience[srcs] = np.minimum(np.minimum(a, aud_cap) * scale, np.maximum(n - 1 - ties[srcs], 0))
    owner_features = own_e
    del pairs_e, ties
    n_pairs = int(len(prof["src"])) + int(co_info.get("coattend_only_pairs", 0))
    info = {
        "horizon_days": h_days, "internal_split": pd.Timestamp(cut_i), "label_days": label_ns / _NS_DAY,
        "l2": l2, "label_share": label_share, "pairs_train": int(total_i), "positives_train": int(positives),
        "base_rate": positives / total_i if total_i else 0.0, "layer_rates": lay,
        "predicted_train": fitted_sum, "observed_train": positives,
        "tie_coefficients": _coefs(tie_model, TIE_FEATURES), "tie_model": tie_kind, "pairs": n_pairs,
        "expected_ties": float(prof["prob"].sum()) + float(co_info.get("expected_coattend_only", 0.0)),
        "expected_new_audience": float(audience.sum()), "coattendance": coattendance, **co_info, **aud_info,
    }
    return LearnedInfluence(pd.DataFrame(prof, copy=False), audience, info, owner_features, events=groups,
                            coattend_out=co_out)


def _coefs(model: dict, names: tuple[str, ...]) -> dict[str, float]:
    """Coefficients per standardised feature (and the intercept), rounded."""
    return {"intercept": round(float(model["w"][0]), 4), **{nm: round(float(w), 4) for nm, w in zip(names, model["w"][1:])}}


def _mean(y: np.ndarray, mask: Any) -> float | None:
    m = np.asarray(mask, dtype=bool)
    return float(y[m].mean()) if m.any() else None


@njit(cache=True)
def _scatter_by_src(psrc, pdst, pp, kind_value, cursor, src, dst, prob, kind):  # pragma: no cover - compiled
    """Write the edges of one part to their places in the order by source (``cursor[s]``: the
    next free place of source ``s``): a stable counting sort over the parts in call order."""
    for i in range(psrc.shape[0]):
        x = psrc[i]
        j = cursor[x]
        cursor[x] = j + 1
        src[j] = x
        dst[j] = pdst[i]
        prob[j] = min(max(pp[i], 0.0), 1.0)
        kind[j] = kind_value


def learned_graph_arrays(li: LearnedInfluence, n: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Edges of the learned influence graph: owners, then (``coattendance="events"``) one
    group node per shared event, then the audience nodes.

    Returns
    -------
    tuple
        ``(n_total, src, dst, prob, layer_of_edge)`` (``src``, ``dst`` uint32 node ids, or int64
        from 2**32 nodes on; ``prob`` float64; ``layer_of_edge`` int8).  Nodes ``0 .. n-1`` are the owners;
        event ``e`` of ``li.events`` is node ``n + e`` (``G = li.events.count`` of them, none
        without ``li.events``), with an edge ``u -> n + e`` of probability ``a[u]`` and
        ``n + e -> u`` of probability ``b[u]`` for every attendee ``u``; audience node
        ``n + G + j`` hangs off its owner.  ``layer_of_edge`` is 0 for owner ties, 1 for
        audience edges and 2 for event edges.  The edges are sorted by (``src``, ``dst``), so
        both CSR orders of :func:`graphcrm.algorithms._rrsets.build_csr` take the fast path.
    """
    e = li.edges
    ev = li.events
    n_ev = ev.count if ev is not None else 0
    a = np.asarray(li.audience, dtype=np.float64)
    m = np.ceil(np.maximum(a, 0.0) - 1e-9).astype(np.int64)
    m[a <= 1e-6] = 0
    n_aud = int(m.sum())
    n_total = n + n_ev + n_aud
    t_src = e["src"].to_numpy()
    t_dst = e["dst"].to_numpy()
    t_p = e["prob"].to_numpy(dtype=np.float64)
    # the parts, each sorted by (src, dst), in the order that keeps every source's edges sorted
    # by dst after a stable sort by source: ties (dst < n), to events, to leaves, from events
    parts = [(t_src, t_dst, t_p, 0)]
    if n_ev:
        node = n + np.repeat(np.arange(n_ev, dtype=np.int64), np.diff(ev.ptr))
        mem = ev.owner.astype(np.int64)
        o = np.lexsort((node, mem))  # owner -> event edges by (owner, event)
        parts.append((mem[o], node[o], ev.a[mem[o]], 2))
        del o
    leaf_src = np.repeat(np.arange(n, dtype=np.int64), m)
    parts.append((leaf_src, n + n_ev + np.arange(n_aud, dtype=np.int64),
                  np.repeat(np.where(m > 0, a / np.maximum(m, 1), 0.0), m), 1))
    if n_ev:
        parts.append((node, mem, ev.b[mem], 2))  # by (event, member): members are sorted per event
    counts = np.zeros(n_total, dtype=np.int64)
    for ps, _, _, _ in parts:
        counts += np.bincount(ps, minlength=n_total)
    total = int(counts.sum())
    cursor = np.zeros(n_total, dtype=np.int64)
    np.cumsum(counts[:-1], out=cursor[1:])
    del counts
    ids = np.uint32 if n_total < 2**32 else np.int64  # 32-bit node ids: 2 x 435 MB less at 1M owners
    src = np.empty(total, dtype=ids)
    dst = np.empty(total, dtype=ids)
    prob = np.empty(total, dtype=np.float64)
    kind = np.empty(total, dtype=np.int8)
    for ps, pd_, pp, kv in parts:
        _scatter_by_src(ps, pd_, pp, kv, cursor, src, dst, prob, kind)
    return n_total, src, dst, prob, kind
