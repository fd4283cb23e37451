"""A seeded, realistic NIO-like demo community with planted truth for validation.

:func:`generate_demo` builds the six contract tables (see :mod:`graphcrm.contract`) of a car
brand's owner community plus a ``truth`` dict describing what was planted in it; :func:`write_demo`
writes them as the CSV contract (what a community team's exports should look like) with
``demo_truth.json`` next to them.  The model is described in ``docs/demo-community.md``.

In short:

* owners live in cities of Zipf-like sizes (上海, 北京, 深圳, ...) and regions (华东, 华北, ...),
  bought one of eight car models over eight years (a model only after its launch), and belong to
  one latent interest circle (city x hobby, e.g. 上海/摄影);
* every owner has latent propensities (posting, engaging, attending, referring) drawn from
  heavy-tailed distributions; ``name`` is drawn from its own random stream and never influences
  anything else;
* posts and interactions: engagement comes mostly from the author's circle and city; interaction
  times follow the post's time;
* weekly city events (10-60 people) organised mostly by volunteers, volunteer trainings, and one
  national day (NIO Day style) with ~17% of owners;
* referral trees in purchase order (a referrer bought before the referee), about 60% of buyers
  referred, a lead/test_drive/order/delivered funnel;
* planted truth: KOCs, a like ring, "circle stars" (locally popular authors who rival KOCs on raw
  counts but not on reach), referral anomalies, volunteers and look-alike "latent helpers".

Everything is vectorised numpy (no per-row Python loops); 100,000 owners take a few seconds.
The output depends only on the arguments (``end`` is a fixed date, never "today").
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from graphcrm import contract
from graphcrm.arrays import unique_sorted
from graphcrm.errors import ConfigError

__all__ = ["generate_demo", "write_demo", "demo_stats", "CITIES", "CAR_MODELS", "HOBBIES", "CHANNELS"]

DAY = 86_400
HOUR = 3_600
YEAR = 365 * DAY
MIN_OWNERS = 1_000
MIN_WEEKS = 26
#: the dtype of text columns (``str`` in pandas 3, ``object`` before)
_STR = pd.Series(np.array(["x"])).dtype

#: (city, region), largest first; sizes follow a Zipf law with exponent ``CITY_ZIPF``
CITIES: tuple[tuple[str, str], ...] = (
    ("上海", "华东"), ("北京", "华北"), ("深圳", "华南"), ("杭州", "华东"), ("合肥", "华东"),
    ("成都", "西南"), ("广州", "华南"), ("南京", "华东"), ("武汉", "华中"), ("苏州", "华东"),
    ("西安", "西北"), ("重庆", "西南"), ("天津", "华北"), ("长沙", "华中"), ("宁波", "华东"),
    ("郑州", "华中"), ("青岛", "华东"), ("无锡", "华东"), ("厦门", "华东"), ("济南", "华东"),
    ("佛山", "华南"), ("东莞", "华南"), ("昆明", "西南"), ("福州", "华东"), ("温州", "华东"),
    ("石家庄", "华北"), ("太原", "华北"), ("南昌", "华中"), ("贵阳", "西南"), ("南宁", "华南"),
    ("兰州", "西北"), ("海口", "华南"), ("乌鲁木齐", "西北"), ("银川", "西北"), ("常州", "华东"),
    ("嘉兴", "华东"),
)
CITY_ZIPF = 1.0
#: (model, base share, launch in years after the first deliveries)
CAR_MODELS: tuple[tuple[str, float, float], ...] = (
    ("ES8", 0.10, 0.0), ("ES6", 0.24, 0.7), ("EC6", 0.09, 2.0), ("ET7", 0.09, 3.5),
    ("ET5", 0.20, 4.0), ("EC7", 0.06, 4.6), ("ET5T", 0.15, 4.7), ("ET9", 0.07, 6.4),
)
#: (hobby, share): latent interest circles are city x hobby
HOBBIES: tuple[tuple[str, float], ...] = (
    ("摄影", 0.16), ("亲子", 0.15), ("露营", 0.14), ("自驾", 0.13), ("美食", 0.09),
    ("跑步", 0.08), ("宠物", 0.08), ("改装", 0.07), ("骑行", 0.05), ("音乐", 0.05),
)
HOBBY_EVENT: dict[str, tuple[str, str]] = {
    "摄影": ("meetup", "摄影外拍"), "亲子": ("meetup", "亲子嘉年华"), "露营": ("drive", "露营之夜"),
    "自驾": ("drive", "自驾穿越"), "美食": ("meetup", "美食探店"), "跑步": ("meetup", "晨跑团"),
    "宠物": ("meetup", "萌宠派对"), "改装": ("meetup", "改装交流会"), "骑行": ("drive", "骑行活动"),
    "音乐": ("meetup", "音乐分享会"),
}
#: general city events: (kind, share, title templates)
CITY_EVENTS: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("meetup", 0.45, ("周末咖啡聚会", "车主茶话会", "新车主见面会", "NIO House 读书会")),
    ("drive", 0.25, ("周边自驾游", "山路驾驶体验", "城市夜游")),
    ("charity", 0.18, ("公益植树", "城市公益跑", "关爱留守儿童")),
    ("launch", 0.12, ("新品品鉴会", "新车发布会")),
)
CHANNELS: tuple[str, ...] = ("动态", "车友圈", "问答", "活动")
KINDS = contract.INTERACTION_KINDS  # like, comment, share, reply, favorite
_KIND_P_BASE = np.array([0.60, 0.15, 0.05, 0.08, 0.12])
_KIND_P_HELPER = np.array([0.32, 0.33, 0.05, 0.25, 0.05])

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏辉建国斌宇浩然子涵欣怡梓轩思远晨阳嘉怡"
    "一诺雨桐俊杰文博志强海燕晓东丹丹婷婷佳琪家豪天佑若曦紫萱博文睿泽诗涵明哲晨曦宏伟立新志远倩雯逸凡"
)

#: volumes per owner (over ``weeks=104``; scaled linearly with weeks)
POSTS_PER_OWNER = 0.5
#: cap of the referring propensity (lognormal, sigma 1.1): about the largest a planted KOC gets
#: at 20k owners, so the busiest referrer's volume does not grow with the community
REFERRAL_WEIGHT_CAP = 9.0
#: interactions per owner at 104 weeks without ``interactions_per_owner`` (measured: 9.5 at 20k
#: owners, 10.3 at 100k) and the part of it that ordinary owners' posting does not drive
#: (planted KOCs, stars, ring; measured at 20k: doubling ordinary posting gave 15.8 from 9.5);
#: ``interactions_per_owner`` scales ordinary owners' posting to reach about the asked number
BASE_INTERACTIONS_PER_OWNER = 10.0
FIXED_INTERACTIONS_PER_OWNER = 2.8
EVENTS_PER_OWNER = 0.075
NATIONAL_DAY_SHARE = 0.17
#: planted rising stars and drifters change in the last MOVE_DAYS days (see _Demo.plant_movement)
MOVE_DAYS = 30


# --------------------------------------------------------------------------------------------
# sampling helpers (all vectorised)
# --------------------------------------------------------------------------------------------
class _GroupSampler:
    """Draw owners with probability proportional to ``weight`` within a group (city, circle...).

    ``sample(groups)`` returns one owner index per requested group (``-1`` if the group has no
    weight), in O(log n) each via a cumulative sum over owners sorted by group.
    """

    def __init__(self, group: np.ndarray, weight: np.ndarray, n_groups: int):
        self.order = np.argsort(group, kind="stable")
        w = np.asarray(weight, dtype=np.float64)[self.order]
        self.cum = np.concatenate([[0.0], np.cumsum(w)])
        counts = np.bincount(group, minlength=n_groups)
        self.end = np.cumsum(counts)
        self.start = self.end - counts

    def sample(self, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        groups = np.asarray(groups, dtype=np.int64)
        s, e = self.start[groups], self.end[groups]
        lo, hi = self.cum[s], self.cum[e]
        v = lo + rng.random(len(groups)) * (hi - lo)
        pos = np.searchsorted(self.cum, v, side="right") - 1
        pos = np.clip(pos, s, np.maximum(e - 1, s))
        out = self.order[np.minimum(pos, len(self.order) - 1)]
        return np.where(hi > lo, out, -1)


class _PrefixSampler:
    """Draw, within a group, an owner whose ``time`` is before a query time (weighted).

    Used for referrals: the referrer bought before the referee (or before a lead's date).
    """

    def __init__(self, group: np.ndarray, time: np.ndarray, weight: np.ndarray, members: np.ndarray):
        idx = np.flatnonzero(members)
        order = np.lexsort((idx, time[idx], group[idx]))
        self.idx = idx[order]
        self.key = group[self.idx].astype(np.int64) * (1 << 40) + time[self.idx].astype(np.int64)
        self.cum = np.concatenate([[0.0], np.cumsum(np.asarray(weight, dtype=np.float64)[self.idx])])
        g = group[self.idx]
        self.gstart = np.searchsorted(g, np.arange(int(group.max()) + 2), side="left")

    def sample(self, groups: np.ndarray, before: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        groups = np.asarray(groups, dtype=np.int64)
        s = self.gstart[groups]
        p = np.searchsorted(self.key, groups * (1 << 40) + np.asarray(before, dtype=np.int64), side="left")
        lo, hi = self.cum[s], self.cum[p]
        v = lo + rng.random(len(groups)) * (hi - lo)
        pos = np.searchsorted(self.cum, v, side="right") - 1
        pos = np.clip(pos, s, np.maximum(p - 1, s))
        out = self.idx[np.minimum(pos, len(self.idx) - 1)]
        return np.where(hi > lo, out, -1)


#: at most this many natural referrals of one referrer within any 24 hours (the demo's steady
#: referrers; the planted burst is ~25 in 48 hours).  ``referral_issues`` flags a referrer with
#: ``burst_min`` = 5 in one day; with a Poisson stream of ~0.4 a day over years, the busiest
#: referrers of a 1M-owner community crossed that by chance (10 at seed 0) - see docs/scaling.md
NATURAL_REFERRALS_PER_DAY = 4


def _cap_daily_referrals(frm: np.ndarray, to: np.ndarray, t: np.ndarray, bought: np.ndarray,
                         samplers: tuple["_PrefixSampler", "_PrefixSampler"], rng: np.random.Generator,
                         *, cap: int = NATURAL_REFERRALS_PER_DAY, rounds: int = 20) -> np.ndarray:
    """Keep every referrer at ``cap`` natural referrals or fewer in any 24 hours; returns the rows kept.

    A referral that would be a referrer's ``cap + 1``-th within a day gets another referrer,
    drawn like the first (weighted, among owners who bought before the referral; ``samplers``:
    for buyers' and for leads' referrals, ``bought`` tells which) and different from the
    referee; ``frm`` is changed in place.  After ``rounds`` redraws, a referral still over the
    cap is dropped (its referee was not referred).  Nothing is drawn when no referrer is over
    the cap, so small demos are unchanged.

    Example
    -------
    >>> import numpy as np
    >>> frm, to = np.array([0, 0, 0]), np.array([5, 6, 7])
    >>> t = np.array([0, 100, 200])
    >>> _cap_daily_referrals(frm, to, t, np.ones(3, bool), (None, None), None, cap=2).tolist()
    [True, True, False]
    """
    keep = np.ones(len(frm), dtype=bool)
    for attempt in range(rounds + 1):
        idx = np.flatnonzero(keep)
        o = idx[np.lexsort((t[idx], frm[idx]))]
        f, tt = frm[o], t[o]
        if len(o) <= cap:
            break
        over = (f[cap:] == f[:-cap]) & (tt[cap:] - tt[:-cap] <= DAY)
        if not over.any():
            break
        bad = o[cap:][over]
        if attempt == rounds or samplers[0] is None:
            keep[bad] = False
            continue
        for which, sampler in ((True, samplers[0]), (False, samplers[1])):
            b = bad[bought[bad] == which]
            if not len(b):
                continue
            new = sampler.sample(np.zeros(len(b), np.int64), t[b], rng)
            ok = (new >= 0) & (new != to[b])
            frm[b[ok]] = new[ok]
    return keep


def _weighted_choice(rng: np.random.Generator, weight: np.ndarray, k: int) -> np.ndarray:
    """k distinct indices drawn with probability proportional to weight (Efraimidis-Spirakis)."""
    weight = np.asarray(weight, dtype=np.float64)
    ok = np.flatnonzero(weight > 0)
    k = min(k, len(ok))
    if k == 0:
        return np.empty(0, dtype=np.int64)
    keys = np.log(rng.random(len(ok))) / weight[ok]
    top = np.argpartition(-keys, k - 1)[:k]
    top = top[np.argsort(-keys[top], kind="stable")]
    return np.sort(ok[top])


def _lognormal(rng: np.random.Generator, n: int, sigma: float, median: float = 1.0) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(n))


def _to_datetime(seconds: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    out = np.asarray(seconds, dtype=np.int64).astype("datetime64[s]").astype("datetime64[ns]")
    if missing is not None:
        out[missing] = np.datetime64("NaT")
    return out


def _ids(prefix: str, n: int) -> np.ndarray:
    width = max(6, len(str(n)))
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width))


def _secs(value: Any) -> int:
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return int(ts.value // 10**9)


# --------------------------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------------------------
def generate_demo(
    n_owners: int = 20_000, *, seed: int = 0, end: str = "2026-09-30", weeks: int = 104,
    interactions_per_owner: float | None = None,
) -> tuple[dict[str, pd.DataFrame], dict]:
    """Generate a realistic NIO-like owner community with planted truth.

    Parameters
    ----------
    n_owners
        Number of owners (at least 1,000).  Volumes scale linearly: 20,000 owners give about
        11.5k posts, 190k interactions, 1.8k events, 40k attendance rows and 12k referrals.
    seed
        Random seed; the same arguments always give identical tables.
    end
        The last moment of the data (a date; every timestamp is ``<= end``).  Fixed by default so
        that output never depends on today's date.
    weeks
        Length of the activity window (posts, interactions, events) ending at ``end``; at
        least 26 (the planted KOCs need half a year of posts to stand out).  Purchases, joins
        and referrals span the eight years before ``end``.
    interactions_per_owner
        About this many interactions per owner (e.g. 20 for a busy app; default: about 10 at
        104 weeks): ordinary owners post proportionally more often (their posts' audiences, the
        planted KOCs, ring, stars and everything else stay as they are).  Measured: see
        docs/scaling.md.

    Returns
    -------
    tables : dict of DataFrame
        The six contract tables, keyed by table name, with exactly the contract's columns:
        ``owners`` (owner_id, name, city, region, car_model, purchased_at, joined_at,
        is_volunteer, is_staff, marketing_opt_out, points, contribution), ``referrals``
        (referrer_id, referee_id, referred_at, stage), ``events`` (event_id, title, kind, city,
        starts_at, capacity), ``attendance`` (event_id, owner_id, role, checked_in), ``posts``
        (post_id, author_id, created_at, channel) and ``interactions`` (owner_id, post_id, kind,
        created_at).  Ids and text are ``str``, datetimes ``datetime64[ns]`` naive, flags
        ``bool``, ``capacity`` nullable ``Int64``.
    truth : dict
        JSON-serialisable planted truth: ``kocs``, ``like_ring`` (and
        ``like_ring_posts_per_member``), ``circle_stars``, ``volunteers``,
        ``lapsed_volunteers``, ``latent_helpers``, ``national_day``, ``referral_anomalies``
        (self_referrals, cycles, double_claims, staff_referrals, after_purchase, burst),
        ``circles`` (circle names and each owner's circle, in owner_id order), ``params`` and
        ``stats`` (measured numbers, see :func:`demo_stats`).

    Raises
    ------
    ConfigError
        If ``n_owners`` is below 1,000, ``weeks`` below 26, ``end`` is not a date or
        ``interactions_per_owner`` is not positive.

    Examples
    --------
    >>> tables, truth = generate_demo(2_000, seed=1)
    >>> sorted(tables)
    ['attendance', 'events', 'interactions', 'owners', 'posts', 'referrals']
    >>> len(tables["owners"]), len(truth["kocs"]), len(truth["like_ring"])
    (2000, 10, 10)
    """
    if not isinstance(n_owners, (int, np.integer)) or n_owners < MIN_OWNERS:
        raise ConfigError(f"the demo needs at least {MIN_OWNERS} owners (got {n_owners!r})")
    if not isinstance(weeks, (int, np.integer)) or weeks < MIN_WEEKS:
        raise ConfigError(f"weeks must be a whole number >= {MIN_WEEKS} (got {weeks!r})")
    try:
        end_s = _secs(pd.Timestamp(end).normalize())
    except (ValueError, TypeError):
        raise ConfigError(f"end={end!r} is not a date (use YYYY-MM-DD)") from None
    scale = 1.0
    if interactions_per_owner is not None:
        try:
            ipo = float(interactions_per_owner)
        except (TypeError, ValueError):
            ipo = float("nan")
        if not ipo > 0 or not np.isfinite(ipo):
            raise ConfigError(f"interactions_per_owner must be a positive number (got {interactions_per_owner!r})")
        w = int(weeks) / 104
        # interactions = fixed part (KOCs, stars, ring, helpers: not scaled) + ordinary part x scale
        scale = max(ipo / w - FIXED_INTERACTIONS_PER_OWNER, 0.05) / (BASE_INTERACTIONS_PER_OWNER - FIXED_INTERACTIONS_PER_OWNER)
    demo = _Demo(int(n_owners), int(seed), end_s, int(weeks))
    demo.post_scale = scale
    return demo.run()


class _Demo:
    def __init__(self, n: int, seed: int, end_s: int, weeks: int):
        self.n, self.seed, self.end_s, self.weeks = n, seed, end_s, weeks
        self.start_s = end_s - weeks * 7 * DAY
        self.p0 = end_s - 8 * YEAR  # first deliveries
        self.wscale = weeks / 104
        self.post_scale = 1.0  #: ordinary owners' posting, x (generate_demo's interactions_per_owner)
        #: mean engagers per KOC post: a KOC's audience grows (slowly) with the community
        self.koc_lambda = 60.0 * (n / 20_000) ** 0.25
        streams = np.random.SeedSequence(seed).spawn(10)
        names = ("owners", "names", "roles", "posts", "inter", "ring", "events", "refs", "anom", "misc")
        self.rng = {k: np.random.default_rng(s) for k, s in zip(names, streams)}

    # -- owners ------------------------------------------------------------------------------
    def owners(self) -> None:
        r, n = self.rng["owners"], self.n
        nc = len(CITIES)
        p = 1.0 / np.arange(1, nc + 1) ** CITY_ZIPF
        self.city = r.choice(nc, size=n, p=p / p.sum())
        self.region_names = np.array([c[1] for c in CITIES])
        self.city_names = np.array([c[0] for c in CITIES])
        self.buyer = r.random(n) >= 0.12
        span = self.end_s - 3 * DAY - self.p0
        purchased = self.p0 + (span * r.random(n) ** 0.55).astype(np.int64)
        before = r.random(n) < 0.6
        joined_b = np.where(
            before,
            purchased - (r.exponential(70 * DAY, n)).astype(np.int64),
            purchased + (r.exponential(25 * DAY, n)).astype(np.int64),
        )
        joined_p = self.end_s - r.exponential(200 * DAY, n).astype(np.int64)
        joined = np.where(self.buyer, joined_b, joined_p)
        self.joined = np.clip(joined, self.p0 - 180 * DAY, self.end_s - HOUR)
        self.purchased = np.where(self.buyer, purchased, np.iinfo(np.int64).max)
        # car model: only models launched before the purchase, with base shares
        base = np.array([m[1] for m in CAR_MODELS])
        launch = np.array([m[2] for m in CAR_MODELS]) * YEAR + self.p0
        w = (purchased[:, None] >= launch[None, :]) * base[None, :]
        cum = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
        self.model = (r.random(n)[:, None] > cum).sum(axis=1).clip(0, len(CAR_MODELS) - 1)
        self.staff = r.random(n) < 0.01
        self.opt_out = r.random(n) < 0.05
        hp = np.array([h[1] for h in HOBBIES])
        self.hobby = r.choice(len(HOBBIES), size=n, p=hp / hp.sum())
        self.circle = self.city * len(HOBBIES) + self.hobby
        # latent propensities (heavy-tailed)
        lurker = r.random(n) < 0.4
        self.post_e = _lognormal(r, n, 1.4) * np.where(lurker, 0.04, 1.0)
        self.infl = np.clip(_lognormal(r, n, 0.45), 0.35, 2.0)
        self.engage = _lognormal(r, n, 1.0) * np.where(r.random(n) < 0.3, 0.15, 1.0)
        self.attend = _lognormal(r, n, 1.1, 0.75) * np.where(r.random(n) < 0.5, 0.05, 1.0)
        # referring propensity, heavy-tailed but capped: the largest of more draws would otherwise
        # give a 1M-owner community referrers with 10,000 referrals (KOC weight ~ refw^2)
        self.refw = np.minimum(_lognormal(r, n, 1.1), REFERRAL_WEIGHT_CAP)

    def roles(self) -> None:
        """Pick KOCs, the like ring, volunteers (some lapsed) and latent helpers."""
        r, n = self.rng["roles"], self.n
        taken = self.staff.copy()
        old = self.buyer & (self.joined < self.start_s - 30 * DAY) & ~self.opt_out
        # planted KOCs
        self.n_koc = max(10, n // 1000)
        self.kocs = _weighted_choice(r, (old & ~taken).astype(float), self.n_koc)
        self.is_koc = np.zeros(n, bool)
        self.is_koc[self.kocs] = True
        taken |= self.is_koc
        # the like ring: 10 friends in one of the five biggest cities
        ring_city = int(r.integers(0, 5))
        cand = old & ~taken & (self.city == ring_city)
        if cand.sum() < 10:
            cand = old & ~taken
        self.ring = _weighted_choice(r, cand.astype(float), 10)
        self.is_ring = np.zeros(n, bool)
        self.is_ring[self.ring] = True
        taken |= self.is_ring
        # circle stars: locally popular authors (natural heavy tail, NOT KOCs): they post a lot and
        # draw many interactions, but always from the same fan club inside their circle
        self.n_star = max(5, n // 2000)
        self.stars = _weighted_choice(r, (old & ~taken).astype(float), self.n_star)
        self.is_star = np.zeros(n, bool)
        self.is_star[self.stars] = True
        taken |= self.is_star
        # volunteers: long tenure, ~2.5%; 12% of them lapsed (no longer active)
        tenure = np.maximum(self.end_s - self.joined, 0) / YEAR
        eligible = self.buyer & ~taken & (self.purchased < self.end_s - 180 * DAY)
        self.volunteers = _weighted_choice(r, eligible * tenure**1.5, round(0.025 * n))
        self.is_vol = np.zeros(n, bool)
        self.is_vol[self.volunteers] = True
        self.lapsed = self.volunteers[r.random(len(self.volunteers)) < 0.12]
        self.is_lapsed = np.zeros(n, bool)
        self.is_lapsed[self.lapsed] = True
        taken |= self.is_vol
        # latent helpers: behave like volunteers, are not (yet) volunteers
        self.latent = _weighted_choice(r, (self.buyer & ~taken) * tenure, round(0.006 * n))
        self.is_latent = np.zeros(n, bool)
        self.is_latent[self.latent] = True
        self.helper = (self.is_vol & ~self.is_lapsed) | self.is_latent
        act_vol = self.is_vol & ~self.is_lapsed
        self.attend[act_vol] = _lognormal(r, int(act_vol.sum()), 0.6, 3.5)
        self.attend[self.is_latent] = _lognormal(r, int(self.is_latent.sum()), 0.6, 2.5)
        self.engage[self.helper] = _lognormal(r, int(self.helper.sum()), 0.4, 3.0)
        self.post_e[act_vol] *= 1.5
        self.engage[self.is_ring] = 0.02
        self.post_e[self.is_koc | self.is_ring | self.is_star] = 0.0
        # normalise the posting propensity to the target volume, cap the heavy tail
        cap = 30 * self.wscale * self.post_scale
        target = POSTS_PER_OWNER * self.wscale * self.post_scale
        self.post_e *= target / max(self.post_e.mean(), 1e-12)
        np.minimum(self.post_e, cap, out=self.post_e)

    # -- posts and interactions ----------------------------------------------------------------
    def _post_times(self, r: np.random.Generator, authors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo = np.maximum(self.start_s, self.joined[authors])
        hi = self.end_s - DAY
        ok = lo < hi
        t = lo + ((hi - lo) * r.random(len(authors))).astype(np.int64)
        return t, ok

    def posts_and_interactions(self) -> None:
        r, ri, n = self.rng["posts"], self.rng["inter"], self.n
        # normal authors (heavy-tailed) and planted KOCs
        cnt = r.poisson(self.post_e)
        kcnt = r.poisson(18 * self.wscale, len(self.kocs)) + int(round(16 * self.wscale))
        scnt = r.poisson(40 * self.wscale, len(self.stars)) + int(round(15 * self.wscale))
        authors = np.concatenate([np.repeat(np.arange(n), cnt), np.repeat(self.kocs, kcnt), np.repeat(self.stars, scnt)])
        ptype = np.concatenate([np.zeros(cnt.sum(), np.int8), np.ones(kcnt.sum(), np.int8), np.full(scnt.sum(), 3, np.int8)])
        t, ok = self._post_times(r, authors)
        authors, ptype, t = authors[ok], ptype[ok], t[ok]
        m = len(authors)
        lam = np.select(
            [ptype == 1, ptype == 3],
            [_lognormal(r, m, 0.3, self.koc_lambda), _lognormal(r, m, 0.3, 28.0)],
            14.0 * self.infl[authors] * _lognormal(r, m, 0.6),
        )
        ecount = r.poisson(lam)
        star = ptype == 3
        normal = self._engagements(ri, np.flatnonzero(~star), authors[~star], ptype[~star], t[~star], ecount[~star])
        fans = self._fan_engagements(ri, np.flatnonzero(star), authors[star], t[star], ecount[star])
        inter = tuple(np.concatenate([a, b]) for a, b in zip(normal, fans))
        # the like ring: post often, engage each other intensively so that raw received counts
        # put them in the top 50; almost nobody else engages with them
        received = np.bincount(authors[inter[1]], minlength=n)
        received[self.is_ring] = 0
        x = np.sort(received)[-25]
        per_pair = 0.95 + 0.6 + 0.5 + 1.5 + 0.8  # like, favorite, share, comments, replies
        pr = int(np.clip(np.ceil(1.5 * x / (9 * per_pair)), 10, 200))
        rr = self.rng["ring"]
        rauth = np.repeat(self.ring, pr)
        rt, _ = self._post_times(rr, rauth)
        ring_ids = np.arange(m, m + len(rauth))
        ring_inter = self._ring_interactions(rr, ring_ids, rauth, rt)
        outsiders = self._engagements(
            rr, ring_ids, rauth, np.full(len(rauth), 2, np.int8), rt, rr.poisson(0.03, len(rauth))
        )
        self.ring_posts_per_member = pr
        # assemble posts: sort by time, give ids in time order
        all_auth = np.concatenate([authors, rauth])
        all_t = np.concatenate([t, rt])
        self.ptype = np.concatenate([ptype, np.full(len(rauth), 2, np.int8)])
        order = np.lexsort((all_auth, all_t))
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        self.post_author = all_auth[order]
        self.post_t = all_t[order]
        self.ptype = self.ptype[order]
        chp = np.array([[0.45, 0.30, 0.15, 0.10], [0.30, 0.25, 0.15, 0.30]])
        vol_post = self.helper[self.post_author].astype(int)
        u = r.random(len(order))[:, None]
        self.post_channel = (u > np.cumsum(chp[vol_post], axis=1)).sum(axis=1).clip(0, 3)
        self.post_channel[self.ptype == 2] = 0
        eo, ep, ek, et = (np.concatenate(x) for x in zip(inter, ring_inter, outsiders))
        ep = rank[ep]
        # dedupe: like/share/favorite once per (owner, post); comments/replies by time
        df = pd.DataFrame({"o": eo, "p": ep, "k": ek, "t": et})
        once = df["k"].isin([0, 2, 4]).to_numpy()
        a = df[once].sort_values("t", kind="stable").drop_duplicates(["o", "p", "k"])
        b = df[~once].drop_duplicates(["o", "p", "k", "t"])
        df = pd.concat([a, b]).sort_values(["t", "p", "o", "k"], kind="stable")
        self.int_owner = df["o"].to_numpy()
        self.int_post = df["p"].to_numpy()
        self.int_kind = df["k"].to_numpy()
        self.int_t = df["t"].to_numpy()

    def _engagements(self, r, post_ids, authors, ptype, t, ecount):
        """Engagers of each post: from the author's circle, city or anywhere (by propensity)."""
        slot_post = np.repeat(np.arange(len(post_ids)), ecount)
        a = authors[slot_post]
        typ = ptype[slot_post]
        # mode: 0 circle, 1 city, 2 anywhere
        probs = np.array([[0.91, 0.06, 0.03], [0.15, 0.35, 0.50], [0.0, 0.0, 1.0]])
        cum = np.cumsum(probs[typ], axis=1)
        mode = (r.random(len(slot_post))[:, None] > cum).sum(axis=1)
        w = self.engage
        if not hasattr(self, "_samplers"):
            self._samplers = (
                _GroupSampler(self.circle, w, len(CITIES) * len(HOBBIES)),
                _GroupSampler(self.city, w, len(CITIES)),
                _GroupSampler(np.zeros(self.n, np.int64), w, 1),
            )
        eng = np.full(len(slot_post), -1, np.int64)
        keys = (self.circle[a], self.city[a], np.zeros(len(a), np.int64))
        for j, s in enumerate(self._samplers):
            sel = mode == j
            eng[sel] = s.sample(keys[j][sel], r)
        return self._finish(r, eng, a, post_ids[slot_post], t[slot_post])

    def _fan_engagements(self, r, post_ids, authors, t, ecount):
        """Engagers of a circle star's posts: a fixed fan club of ~250 owners of their circle."""
        n_fans = 250
        order = np.argsort(self.stars)
        sorted_stars = self.stars[order]
        star_ix = order[np.searchsorted(sorted_stars, authors)]
        sampler = _GroupSampler(self.circle, self.engage, len(CITIES) * len(HOBBIES))
        club = sampler.sample(np.repeat(self.circle[self.stars], n_fans), r).reshape(len(self.stars), n_fans)
        slot_post = np.repeat(np.arange(len(post_ids)), ecount)
        pick = np.floor(n_fans * r.random(len(slot_post)) ** 1.5).astype(np.int64)  # some fans are regulars
        eng = club[star_ix[slot_post], pick]
        a = authors[slot_post]
        return self._finish(r, eng, a, post_ids[slot_post], t[slot_post])

    def _finish(self, r, eng, a, pids, tpost):
        """Kind and time of each engagement; drop self-engagement and owners not yet joined."""
        kp = np.where(self.helper[np.maximum(eng, 0)][:, None], _KIND_P_HELPER, _KIND_P_BASE)
        kind = (r.random(len(eng))[:, None] > np.cumsum(kp, axis=1)).sum(axis=1).clip(0, 4)
        fast = r.random(len(eng)) < 0.85
        delay = np.where(fast, 60 + r.exponential(6 * HOUR, len(eng)), r.exponential(4 * DAY, len(eng)) + 60)
        ti = np.minimum(tpost + delay.astype(np.int64), self.end_s)
        ok = (eng >= 0) & (eng != a) & (self.joined[np.maximum(eng, 0)] <= ti)
        return eng[ok], pids[ok], kind[ok], ti[ok]

    def _ring_interactions(self, r, post_ids, authors, t):
        ring = self.ring
        k = len(ring)
        # every post x every other ring member
        pp = np.repeat(np.arange(len(post_ids)), k)
        member = np.tile(ring, len(post_ids))
        keep = member != authors[pp]
        pp, member = pp[keep], member[keep]
        reps = np.stack(
            [
                r.random(len(pp)) < 0.95,  # like
                r.poisson(1.5, len(pp)),  # comments
                r.random(len(pp)) < 0.5,  # share
                r.poisson(0.8, len(pp)),  # replies
                r.random(len(pp)) < 0.6,  # favorite
            ],
            axis=1,
        ).astype(np.int64)
        flat = reps.ravel()
        rows = np.repeat(np.repeat(np.arange(len(pp)), 5), flat)
        kind = np.repeat(np.tile(np.arange(5), len(pp)), flat)
        ti = np.minimum(t[pp[rows]] + 60 + r.exponential(3 * HOUR, len(rows)).astype(np.int64), self.end_s)
        return member[rows], post_ids[pp[rows]], kind, ti

    # -- events and attendance -----------------------------------------------------------------
    def events(self) -> None:
        r, n = self.rng["events"], self.n
        nc, nh = len(CITIES), len(HOBBIES)
        size_c = np.bincount(self.city, minlength=nc).astype(float)
        total = EVENTS_PER_OWNER * n / 104  # events per week
        rate = total * size_c**0.8 / (size_c**0.8).sum()
        per = r.poisson(np.tile(rate, self.weeks))
        ev_city = np.repeat(np.tile(np.arange(nc), self.weeks), per)
        ev_week = np.repeat(np.repeat(np.arange(self.weeks), nc), per)
        ne = len(ev_city)
        # day: weekend mostly, weekday evenings otherwise
        start_wd = pd.Timestamp(self.start_s, unit="s").weekday()
        weekend = r.random(ne) < 0.8
        target = np.where(weekend, 5 + r.integers(0, 2, ne), 2 + r.integers(0, 3, ne))
        hour = np.where(weekend, np.array([10, 14, 15])[r.integers(0, 3, ne)], 19)
        starts = self.start_s + ev_week * 7 * DAY + ((target - start_wd) % 7) * DAY + hour * HOUR
        # every city event belongs to a hobby circle; half are themed on it (title, kind), the
        # others are general city events that still draw on the organising circle
        themed = r.random(ne) < 0.7
        hp = np.array([h[1] for h in HOBBIES])
        ev_hobby = r.choice(nh, size=ne, p=hp / hp.sum())
        gp = np.array([c[1] for c in CITY_EVENTS])
        gkind = r.choice(len(CITY_EVENTS), size=ne, p=gp / gp.sum())
        gtitle = r.integers(0, 100, ne)
        kinds = np.where(
            themed,
            np.array([HOBBY_EVENT[h[0]][0] for h in HOBBIES])[ev_hobby],
            np.array([c[0] for c in CITY_EVENTS])[gkind],
        )
        hobby_sfx = np.array([HOBBY_EVENT[h[0]][1] for h in HOBBIES])
        width = max(len(c[2]) for c in CITY_EVENTS)
        gen_sfx = np.array([[c[2][j % len(c[2])] for j in range(width)] for c in CITY_EVENTS])
        n_opts = np.array([len(c[2]) for c in CITY_EVENTS])
        suffix = np.where(themed, hobby_sfx[ev_hobby], gen_sfx[gkind, gtitle % n_opts[gkind]])
        titles = np.char.add(np.char.add(self.city_names[ev_city], " "), suffix)
        size = 10 + np.floor(50 * r.random(ne) ** 1.6).astype(np.int64)
        launch = kinds == "launch"
        # ---- roles: organizer (a volunteer of the city, mostly), host (staff at launches),
        # helpers (role volunteer: volunteers and latent helpers)
        act_vol = self.is_vol & ~self.is_lapsed
        org_w = np.where(act_vol, self.attend, 0.0) + np.where(self.is_lapsed, 0.05, 0.0)
        vs = _GroupSampler(self.city, org_w, nc)
        # where no volunteer is at hand, a latent helper of the city steps in
        ls = _GroupSampler(self.city, self.is_latent * self.attend, nc)
        # event helpers (role volunteer): active volunteers and latent helpers
        helpers_s = _GroupSampler(self.city, self.helper * self.attend, nc)
        staff_s = _GroupSampler(self.city, self.staff.astype(float), nc)
        staff_any = _GroupSampler(np.zeros(n, np.int64), self.staff.astype(float), 1)
        org = np.full(ne, -1, np.int64)
        by_vol = (r.random(ne) < 0.85) & ~launch
        org[by_vol] = vs.sample(ev_city[by_vol], r)
        need = (org < 0) & ~launch
        org[need] = ls.sample(ev_city[need], r)
        host = np.full(ne, -1, np.int64)
        host[launch] = staff_s.sample(ev_city[launch], r)
        miss = launch & (host < 0)
        host[miss] = staff_any.sample(np.zeros(int(miss.sum()), np.int64), r)
        nh_ = r.poisson(1.0, ne)
        h_ev = np.repeat(np.arange(ne), nh_)
        h_own = helpers_s.sample(ev_city[h_ev], r)
        # ---- attendees: from the event's circle (85% themed, 40% general) or the city
        oversample = np.ceil(size * 2.5).astype(np.int64)
        a_ev = np.repeat(np.arange(ne), oversample)
        from_circle = r.random(len(a_ev)) < np.where(themed[a_ev], 0.95, 0.7)
        cs = _GroupSampler(self.circle, self.attend, nc * nh)
        cis = _GroupSampler(self.city, self.attend, nc)
        a_own = np.full(len(a_ev), -1, np.int64)
        a_own[from_circle] = cs.sample((ev_city * nh + ev_hobby)[a_ev[from_circle]], r)
        a_own[~from_circle] = cis.sample(ev_city[a_ev[~from_circle]], r)
        # volunteer trainings: every 8 weeks in each city with >= 3 volunteers
        vol_per_city = np.bincount(self.city[self.is_vol], minlength=nc)
        tc = np.flatnonzero(vol_per_city >= 3)
        n_tr = self.weeks // 8
        tr_city = np.repeat(tc, n_tr)
        tr_week = np.tile(np.arange(n_tr) * 8, len(tc)) + np.repeat(r.integers(0, 8, len(tc)), n_tr)
        tr_week = np.minimum(tr_week, self.weeks - 1)
        tr_starts = self.start_s + tr_week * 7 * DAY + ((6 - start_wd) % 7) * DAY + 14 * HOUR
        ntr = len(tr_city)
        cand = np.flatnonzero(self.helper | self.is_vol)
        pair = pd.DataFrame({"o": cand, "c": self.city[cand]}).merge(
            pd.DataFrame({"e": np.arange(ne, ne + ntr), "c": tr_city}), on="c"
        )
        po = pair["o"].to_numpy()
        pprob = np.where(self.is_vol[po] & ~self.is_lapsed[po], 0.6, np.where(self.is_lapsed[po], 0.05, 0.25))
        pair = pair[r.random(len(pair)) < pprob]
        # national day
        nd_id = ne + ntr
        nd_week = min(int(round(0.62 * self.weeks)), self.weeks - 1)
        nd_start = self.start_s + nd_week * 7 * DAY + ((5 - start_wd) % 7) * DAY + 13 * HOUR
        nd_city = int(np.flatnonzero(self.city_names == "合肥")[0])
        k = int(round(NATIONAL_DAY_SHARE * n * (0.95 + 0.1 * r.random())))
        nw = (self.attend + 0.3) * np.where(self.buyer, 1.0, 0.3)
        nw *= np.where(self.region_names[self.city] == "华东", 1.5, 1.0)
        nw *= self.joined <= nd_start
        nd = _weighted_choice(r, nw, k)
        # ---- assemble attendance: role priority organizer > host > volunteer > attendee
        role_ix = {x: i for i, x in enumerate(contract.ATTENDANCE_ROLES)}  # attendee 0, organizer 1...
        prio = {"organizer": 0, "host": 1, "volunteer": 2, "attendee": 3}
        nd_role = np.where(self.staff[nd], role_ix["host"], np.where(self.is_vol[nd], role_ix["volunteer"], 0))
        att = pd.DataFrame(
            {
                "e": np.concatenate([np.arange(ne), np.arange(ne), h_ev, a_ev, pair["e"].to_numpy(),
                                     np.full(len(nd), nd_id)]),
                "o": np.concatenate([org, host, h_own, a_own, pair["o"].to_numpy(), nd]),
                "role": np.concatenate([
                    np.full(ne, role_ix["organizer"]), np.full(ne, role_ix["host"]),
                    np.full(len(h_ev), role_ix["volunteer"]), np.zeros(len(a_ev), np.int64),
                    np.zeros(len(pair), np.int64), nd_role,
                ]),
                # circle members fill an event first, the rest of the city after them
                "src": np.concatenate([np.zeros(2 * ne + len(h_ev), np.int8), (~from_circle).astype(np.int8),
                                       np.zeros(len(pair) + len(nd), np.int8)]),
            }
        )
        all_starts = np.concatenate([starts, tr_starts, [nd_start]])
        att = att[att["o"].to_numpy() >= 0]
        o = att["o"].to_numpy()
        att = att[self.joined[o] <= all_starts[att["e"].to_numpy()]]
        pr_map = np.array([prio[x] for x in contract.ATTENDANCE_ROLES])
        att = att.assign(pr=pr_map[att["role"].to_numpy()]).sort_values(["e", "pr", "src"], kind="stable")
        att = att.drop_duplicates(["e", "o"])
        # keep at most the planned size per city event (roles first)
        tot = np.concatenate([size, np.full(ntr, 60), [len(nd)]])
        rank = att.groupby("e", sort=False).cumcount().to_numpy()
        att = att[rank < tot[att["e"].to_numpy()]]
        # events: ids in time order
        ev_all_city = np.concatenate([ev_city, tr_city, [nd_city]])
        ev_all_kind = np.concatenate([kinds, np.full(ntr, "training"), ["national"]])
        ev_all_title = np.concatenate(
            [titles, np.char.add(self.city_names[tr_city], " 志愿者培训交流会"),
             [f"NIO Day {pd.Timestamp(nd_start, unit='s').year} 年度车主盛典"]]
        )
        count = np.bincount(att["e"].to_numpy(), minlength=ne + ntr + 1)
        cap = np.concatenate([np.ceil(size * 1.25 / 5) * 5, np.full(ntr, 60), [np.ceil(len(nd) * 1.1 / 1000) * 1000]])
        cap = np.maximum(cap, count).astype(np.int64)
        # a city event that did not reach 10 registrations is cancelled (tiny cities / circles)
        keep = count >= np.concatenate([np.full(ne, 10), np.ones(ntr, np.int64), [0]])
        keep[nd_id] = True
        att = att[keep[att["e"].to_numpy()]]
        rl = att["role"].to_numpy()
        checked = r.random(len(att)) < np.where(rl == 0, 0.9, 0.98)
        order = np.lexsort((np.arange(len(all_starts)), ev_all_city, all_starts))
        order = order[keep[order]]
        new_id = np.full(len(all_starts), -1, np.int64)
        new_id[order] = np.arange(len(order))
        self.ev_starts, self.ev_city = all_starts[order], ev_all_city[order]
        self.ev_kind, self.ev_title, self.ev_cap = ev_all_kind[order], ev_all_title[order], cap[order]
        self.nd_index = int(new_id[nd_id])
        e_new = new_id[att["e"].to_numpy()]
        o_arr = att["o"].to_numpy()
        srt = np.lexsort((o_arr, e_new))
        self.att_event, self.att_owner, self.att_role, self.att_checked = e_new[srt], o_arr[srt], rl[srt], checked[srt]

    # -- referrals ----------------------------------------------------------------------------------
    def referrals(self) -> None:
        r, n = self.rng["refs"], self.n
        buyers = np.flatnonzero(self.buyer)
        # referrer weights: staff never refer in the natural process; KOCs' referrals convert
        w_buy = self.refw * ~self.staff * np.where(self.is_koc, 12.0 * np.maximum(self.refw, 1.0), 1.0)
        w_buy = w_buy * np.where(self.is_ring, 0.3, 1.0)
        w_lead = self.refw * ~self.staff * np.where(self.is_koc, 3.0, 1.0)
        zeros = np.zeros(n, np.int64)
        same_b = _PrefixSampler(self.city, self.purchased, w_buy, self.buyer)
        any_b = _PrefixSampler(zeros, self.purchased, w_buy, self.buyer)
        same_l = _PrefixSampler(self.city, self.purchased, w_lead, self.buyer)
        any_l = _PrefixSampler(zeros, self.purchased, w_lead, self.buyer)
        # buyers: ~63% were referred, mostly by someone of their city who bought before them
        ref_b = buyers[r.random(len(buyers)) < 0.60]
        tb = self.purchased[ref_b]
        # the referral came `delay` before the referee's purchase, from someone who had bought
        # before the referral itself: the referrer is drawn among owners who bought before that
        # moment (drawing among those who bought before the referee and squeezing the referral
        # in after the referrer's purchase piled an early buyer's referrals into a few days; with
        # the cap on refw, natural referrers flagged as bursts at 1M owners: 23 -> 10, see
        # docs/scaling.md)
        delay = (HOUR + r.exponential(25 * DAY, len(ref_b))).astype(np.int64)
        rt_b = tb - np.maximum(delay, 60)
        local = r.random(len(ref_b)) < 0.8
        rb = np.full(len(ref_b), -1, np.int64)
        rb[local] = same_b.sample(self.city[ref_b[local]], rt_b[local], r)
        miss = rb < 0
        rb[miss] = any_b.sample(zeros[: miss.sum()], rt_b[miss], r)
        ok = (rb >= 0) & (rb != ref_b)
        ref_b, rb, tb, rt_b = ref_b[ok], rb[ok], tb[ok], rt_b[ok]
        lag = (14 * DAY + r.exponential(20 * DAY, len(ref_b))).astype(np.int64)
        stage_b = np.where(tb + lag <= self.end_s, 3, 2)  # delivered / order
        # prospects (no car yet): 70% came through a referral, still lead or test_drive
        pros = np.flatnonzero(~self.buyer)
        ref_p = pros[r.random(len(pros)) < 0.7]
        tp = np.minimum(self.joined[ref_p] - r.exponential(10 * DAY, len(ref_p)).astype(np.int64), self.end_s - HOUR)
        local = r.random(len(ref_p)) < 0.8
        rp = np.full(len(ref_p), -1, np.int64)
        rp[local] = same_l.sample(self.city[ref_p[local]], tp[local], r)
        miss = rp < 0
        rp[miss] = any_l.sample(zeros[: miss.sum()], tp[miss], r)
        ok = rp >= 0
        ref_p, rp, tp = ref_p[ok], rp[ok], tp[ok]
        stage_p = np.where(r.random(len(ref_p)) < 0.4, 1, 0)
        frm, to = np.concatenate([rb, rp]), np.concatenate([ref_b, ref_p])
        t, stage = np.concatenate([rt_b, tp]), np.concatenate([stage_b, stage_p])
        keep = _cap_daily_referrals(frm, to, t, np.r_[np.ones(len(rb), bool), np.zeros(len(rp), bool)],
                                    (any_b, any_l), r)
        self.r_from, self.r_to, self.r_t, self.r_stage = frm[keep], to[keep], t[keep], stage[keep]
        self.r_kind = np.zeros(len(self.r_from), np.int8)  # 0 = legit

    def anomalies(self) -> dict:
        """Plant referral anomalies as valid rows; return their description for the truth."""
        r, n = self.rng["anom"], self.n
        oid = self.owner_ids.tolist()
        end = self.end_s
        special = self.is_koc | self.is_ring | self.staff
        used = special.copy()
        referred = np.zeros(n, bool)
        referred[self.r_to] = True
        gives = np.zeros(n, bool)
        gives[self.r_from] = True

        def pick(mask: np.ndarray, k: int) -> np.ndarray:
            got = _weighted_choice(r, (mask & ~used).astype(float), k)
            used[got] = True
            return got

        def ts(x: int) -> str:
            return str(pd.Timestamp(int(x), unit="s"))

        add_from, add_to, add_t, add_stage = [], [], [], []

        def add(a: int, b: int, t: int, s: int) -> None:
            add_from.append(a), add_to.append(b), add_t.append(int(t)), add_stage.append(s)

        # self-referrals: unreferred buyers claiming themselves
        unref_buyer = self.buyer & ~referred & (self.purchased > self.p0 + YEAR)
        selfs = pick(unref_buyer, 2)
        for a in selfs:
            add(a, a, self.purchased[a] - 3 * DAY, 3)
        # one 3-cycle A -> B -> C -> A among unreferred buyers
        cyc = pick(unref_buyer, 3)
        for a, b in zip(cyc, np.roll(cyc, -1)):
            add(a, b, self.purchased[b] - 10 * DAY, 3)
        # double claims: referees of legit converted referrals get a second claim
        legit = np.flatnonzero((self.r_kind == 0) & (self.r_stage >= 2))
        ok_legit = legit[~used[self.r_to[legit]] & ~used[self.r_from[legit]]
                         & (self.purchased[self.r_to[legit]] < end - 400 * DAY)]
        chosen_rows = r.choice(ok_legit, size=min(19, len(ok_legit)), replace=False)
        chosen_rows = chosen_rows[np.unique(self.r_to[chosen_rows], return_index=True)[1]]
        used[self.r_to[chosen_rows]] = True
        dbl_rows, staff_rows, after_rows = chosen_rows[:5], chosen_rows[5:9], chosen_rows[9:14]
        doubles = []
        for j, row in enumerate(dbl_rows):
            b, a1, t1 = self.r_to[row], self.r_from[row], self.r_t[row]
            other = self.buyer & ~used
            other[[a1, b]] = False
            if j < 3:  # a later claim (the original wins first-touch)
                t2 = t1 + int((self.purchased[b] - 60 - t1) * (0.3 + 0.6 * r.random()))
            else:  # an earlier claim (the newcomer wins first-touch)
                t2 = t1 - int((5 + 55 * r.random()) * DAY)
            other &= self.purchased < t2
            a2 = _weighted_choice(r, other.astype(float), 1)
            if len(a2) == 0:
                continue
            a2 = int(a2[0])
            used[a2] = True
            add(a2, b, t2, int(self.r_stage[row]))
            claims = sorted([(int(t1), oid[a1]), (int(t2), oid[a2])])
            doubles.append({
                "referee_id": oid[b],
                "claims": [{"referrer_id": c[1], "referred_at": ts(c[0])} for c in claims],
                "first_touch_referrer": claims[0][1],
            })
        # referrals by staff: the referrer of a legit referral is a staff member
        staff_ids = _weighted_choice(r, (self.staff & self.buyer).astype(float), len(staff_rows))
        staff_refs = []
        for row, s in zip(staff_rows, staff_ids):
            self.r_from[row] = s
            self.r_kind[row] = 1
            staff_refs.append({"referrer_id": oid[s], "referee_id": oid[self.r_to[row]]})
        # referrals dated after the referee's purchase / delivery
        after = []
        for row in after_rows:
            b = self.r_to[row]
            self.r_t[row] = min(self.purchased[b] + int((60 + 240 * r.random()) * DAY), end - DAY)
            self.r_stage[row] = 3
            self.r_kind[row] = 1
            after.append({"referrer_id": oid[self.r_from[row]], "referee_id": oid[b],
                          "referred_at": ts(self.r_t[row]), "purchased_at": ts(self.purchased[b])})
        # one burst: ~25 leads claimed by one referrer within 48 hours
        t0 = end - 40 * DAY + 9 * HOUR
        brr = pick(self.buyer & (self.purchased < t0 - YEAR) & ~gives, 1)
        leads = pick(~self.buyer & ~referred, 25)
        bt = t0 + np.sort((r.random(len(leads)) * 47 * HOUR).astype(np.int64))
        for b, t in zip(leads, bt):
            add(brr[0], b, t, 0)
        n_add = len(add_from)
        self.r_from = np.concatenate([self.r_from, np.array(add_from, np.int64)])
        self.r_to = np.concatenate([self.r_to, np.array(add_to, np.int64)])
        self.r_t = np.concatenate([self.r_t, np.array(add_t, np.int64)])
        self.r_stage = np.concatenate([self.r_stage, np.array(add_stage, np.int64)])
        self.r_kind = np.concatenate([self.r_kind, np.ones(n_add, np.int8)])
        return {
            "self_referrals": [oid[a] for a in selfs],
            "cycles": [[oid[a] for a in cyc]],
            "double_claims": doubles,
            "staff_referrals": staff_refs,
            "after_purchase": after,
            "burst": {
                "referrer_id": oid[brr[0]],
                "referee_ids": [oid[b] for b in leads],
                "count": int(len(leads)),
                "first": ts(bt[0]) if len(bt) else None,
                "last": ts(bt[-1]) if len(bt) else None,
            },
        }

    # -- movement: rising stars and drifters ---------------------------------------------------------
    def plant_movement(self) -> dict:
        """Plant owners who rise and owners who drift in the last ``MOVE_DAYS`` days (own stream).

        *Rising stars*: ordinary owners who never posted and have no converted referral start
        posting in the last month (5-8 posts, ~20 engagers each, drawn like a KOC's audience:
        circle, city and anywhere).  *Drifters*: ordinary owners with the largest record of the
        half year before ``cut = end - MOVE_DAYS - 2`` days (and >= 5 own activities in the month
        before it) get 6-9 more posts in the five months before the cut (so that their past
        contribution is high) and stop entirely after it: their posts, interactions and
        attendance after the cut are removed, and they engage with nobody's new posts.
        """
        r = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(10,)))
        n, end = self.n, self.end_s
        cut = end - (MOVE_DAYS + 2) * DAY
        special = (self.staff | self.opt_out | self.is_koc | self.is_ring | self.is_star | self.is_vol
                   | self.is_latent | ~self.buyer)
        old = self.joined < self.start_s
        posted = np.bincount(self.post_author, minlength=n) > 0
        converts = np.bincount(self.r_from[self.r_stage >= 2], minlength=n) > 0
        rise = _weighted_choice(r, (old & ~special & ~posted & ~converts).astype(float), max(5, n // 2000))
        # drifters: the largest contribution-like record of the half year before the cut (posts 5,
        # engagement received 1, events 10 points) among owners with >= 5 own activities in the
        # month before it
        def own(lo: int) -> tuple[np.ndarray, np.ndarray]:
            pm = (self.post_t > lo) & (self.post_t <= cut)
            im = (self.int_t > lo) & (self.int_t <= cut)
            ev = self.ev_starts[self.att_event]
            am = (ev > lo) & (ev <= cut) & self.att_checked
            posts = np.bincount(self.post_author[pm], minlength=n)
            recv = np.bincount(self.post_author[self.int_post[im]], minlength=n)
            made = np.bincount(self.int_owner[im], minlength=n)
            events = np.bincount(self.att_owner[am], minlength=n)
            return 5.0 * posts + recv + 10.0 * events, posts + made + events
        points, _ = own(cut - 180 * DAY)
        _, recent = own(cut - MOVE_DAYS * DAY)
        points[special | (recent < 5)] = 0
        points[rise] = 0
        drift = np.argsort(-(points + r.random(n) * 0.5), kind="stable")[: max(10, n // 1000)]
        drift = drift[points[drift] > 0]
        is_drift = np.zeros(n, bool)
        is_drift[drift] = True
        # remove the drifters' own activity in the last month
        keep_post = ~(is_drift[self.post_author] & (self.post_t > cut))
        keep_int = ~(is_drift[self.int_owner] & (self.int_t > cut)) & keep_post[self.int_post]
        keep_att = ~(is_drift[self.att_owner] & (self.ev_starts[self.att_event] > cut))
        self.att_event, self.att_owner = self.att_event[keep_att], self.att_owner[keep_att]
        self.att_role, self.att_checked = self.att_role[keep_att], self.att_checked[keep_att]
        # the risers' posts in the last month and the drifters' in the five months before the cut
        # (so that their past contribution is high), with engagement like a KOC's audience
        k = r.poisson(2.0, len(rise)) + 5
        kd = r.poisson(2.0, len(drift)) + 6
        authors = np.concatenate([np.repeat(rise, k), np.repeat(drift, kd)])
        t = np.concatenate([
            end - (MOVE_DAYS - 3) * DAY + ((MOVE_DAYS - 5) * DAY * r.random(int(k.sum()))).astype(np.int64),
            cut - 150 * DAY + (147 * DAY * r.random(int(kd.sum()))).astype(np.int64),
        ])
        m0 = len(self.post_author)
        new_ids = np.arange(m0, m0 + len(authors))
        ecount = r.poisson(_lognormal(r, len(authors), 0.3, 20.0))
        eo, ep, ek, et = self._engagements(r, new_ids, authors, np.ones(len(authors), np.int8), t, ecount)
        ne = pd.DataFrame({"o": eo, "p": ep, "k": ek, "t": et})[~is_drift[eo]]  # drifters stay quiet
        once = ne["k"].isin([0, 2, 4]).to_numpy()
        ne = pd.concat([ne[once].sort_values("t", kind="stable").drop_duplicates(["o", "p", "k"]),
                        ne[~once].drop_duplicates(["o", "p", "k", "t"])])
        # re-assemble posts in time order (ids follow time) and interactions in their order
        p_auth = np.concatenate([self.post_author[keep_post], authors])
        p_t = np.concatenate([self.post_t[keep_post], t])
        p_type = np.concatenate([self.ptype[keep_post], np.ones(len(authors), np.int8)])
        p_ch = np.concatenate([self.post_channel[keep_post], np.zeros(len(authors), np.int64)])
        old_new = np.full(m0 + len(authors), -1, np.int64)
        old_new[np.flatnonzero(keep_post)] = np.arange(int(keep_post.sum()))
        old_new[m0:] = np.arange(int(keep_post.sum()), len(p_auth))
        order = np.lexsort((p_auth, p_t))
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        self.post_author, self.post_t, self.ptype, self.post_channel = p_auth[order], p_t[order], p_type[order], p_ch[order]
        df = pd.DataFrame({
            "o": np.concatenate([self.int_owner[keep_int], ne["o"].to_numpy()]),
            "p": rank[old_new[np.concatenate([self.int_post[keep_int], ne["p"].to_numpy()])]],
            "k": np.concatenate([self.int_kind[keep_int], ne["k"].to_numpy()]),
            "t": np.concatenate([self.int_t[keep_int], ne["t"].to_numpy()]),
        }).sort_values(["t", "p", "o", "k"], kind="stable")
        self.int_owner, self.int_post = df["o"].to_numpy(), df["p"].to_numpy()
        self.int_kind, self.int_t = df["k"].to_numpy(), df["t"].to_numpy()
        return {"period_days": MOVE_DAYS, "as_of": str(pd.Timestamp(end, unit="s")),
                "rising_stars": self.owner_ids[np.sort(rise)].tolist(),
                "drifters": self.owner_ids[np.sort(drift)].tolist()}

    # -- points, tables, truth ------------------------------------------------------------------
    def run(self) -> tuple[dict[str, pd.DataFrame], dict]:
        self.owners()
        self.owner_ids = _ids("O", self.n)
        self.roles()
        self.posts_and_interactions()
        self.events()
        self.referrals()
        anomalies = self.anomalies()
        movement = self.plant_movement()  # rising stars and drifters in the last 30 days (docs/validation.md)
        tables = self.tables()
        truth = {
            "params": {"n_owners": self.n, "seed": self.seed, "end": str(pd.Timestamp(self.end_s, unit="s")),
                       "weeks": self.weeks, "post_scale": round(float(self.post_scale), 6)},
            "kocs": self.owner_ids[np.sort(self.kocs)].tolist(),
            "like_ring": self.owner_ids[np.sort(self.ring)].tolist(),
            "like_ring_posts_per_member": int(self.ring_posts_per_member),
            "circle_stars": self.owner_ids[np.sort(self.stars)].tolist(),
            "volunteers": self.owner_ids[np.sort(self.volunteers)].tolist(),
            "lapsed_volunteers": self.owner_ids[np.sort(self.lapsed)].tolist(),
            "latent_helpers": self.owner_ids[np.sort(self.latent)].tolist(),
            "national_day": {
                "event_id": str(tables["events"]["event_id"].iat[self.nd_index]),
                "attendees": int((self.att_event == self.nd_index).sum()),
            },
            "referral_anomalies": anomalies,
            "movement": movement,
            "circles": {
                "names": [f"{c}/{h}" for c, _ in CITIES for h, _ in HOBBIES],
                "of_owner": self.circle.astype(int).tolist(),
            },
        }
        truth["stats"] = _stats(
            buyer=self.buyer, staff=self.staff, volunteer=self.is_vol,
            r_from=self.r_from, r_to=self.r_to, r_t=self.r_t, r_stage=self.r_stage,
            ev_kind=self.ev_kind, att_event=self.att_event, att_owner=self.att_owner, att_role=self.att_role,
            post_author=self.post_author, int_owner=self.int_owner, int_post=self.int_post,
            kocs=self.kocs, ring=self.ring,
        )
        return tables, truth

    def tables(self) -> dict[str, pd.DataFrame]:
        n, oid = self.n, self.owner_ids
        rn = self.rng["names"]
        # names: own random stream, never used by anything else (PII)
        sur = np.array(list(_SURNAMES))[rn.integers(0, len(_SURNAMES), n)]
        g = np.array(list(_GIVEN))
        given = np.where(rn.random(n) < 0.7, np.char.add(g[rn.integers(0, len(g), n)], g[rn.integers(0, len(g), n)]),
                         g[rn.integers(0, len(g), n)])
        names = np.char.add(sur, given)
        # activity summaries for points / contribution
        conv = np.bincount(self.r_from[(self.r_stage >= 2) & (self.r_from != self.r_to)], minlength=n)
        posts = np.bincount(self.post_author, minlength=n)
        made = np.bincount(self.int_owner, minlength=n)
        helpful = np.bincount(self.int_owner[np.isin(self.int_kind, [1, 3])], minlength=n)
        received = np.bincount(self.post_author[self.int_post], minlength=n)
        attended = np.bincount(self.att_owner[self.att_checked], minlength=n)
        organised = np.bincount(self.att_owner[self.att_role == 1], minlength=n)
        rm = self.rng["misc"]
        contribution = np.round(
            2 * posts + 0.05 * received + 0.5 * helpful + 3 * attended + 15 * organised + 25 * conv
            + 10 * self.is_vol, 2
        ).astype(np.float64)
        points = (500 * self.buyer + 10 * posts + 2 * made + 50 * attended + 200 * organised + 1000 * conv
                  + rm.integers(0, 200, n)).astype(np.float64)
        oid_pa = pa.array(oid)
        eid = _ids("E", len(self.ev_starts))
        pid_pa = pa.array(_ids("P", len(self.post_author)))
        eid_pa = pa.array(eid)

        def text(values: np.ndarray | pa.Array, take: np.ndarray | None = None) -> pd.Series:
            arr = values if isinstance(values, pa.Array) else pa.array(values)
            if take is not None:
                take = np.asarray(take)
                arr = arr.take(pa.array(take, mask=take < 0))
            return pd.Series(arr, dtype=_STR)

        owners = pd.DataFrame(
            {
                "owner_id": text(oid_pa),
                "name": text(names),
                "city": text(self.city_names, self.city),
                "region": text(self.region_names, self.city),
                "car_model": text(pa.array([m[0] for m in CAR_MODELS]), np.where(self.buyer, self.model, -1)),
                "purchased_at": _to_datetime(np.where(self.buyer, self.purchased, 0), ~self.buyer),
                "joined_at": _to_datetime(self.joined),
                "is_volunteer": self.is_vol,
                "is_staff": self.staff,
                "marketing_opt_out": self.opt_out,
                "points": points,
                "contribution": contribution,
            }
        )
        o = np.lexsort((self.r_from, self.r_to, self.r_t))
        self.r_from, self.r_to, self.r_t, self.r_stage = self.r_from[o], self.r_to[o], self.r_t[o], self.r_stage[o]
        referrals = pd.DataFrame(
            {
                "referrer_id": text(oid_pa, self.r_from),
                "referee_id": text(oid_pa, self.r_to),
                "referred_at": _to_datetime(self.r_t),
                "stage": text(np.array(contract.REFERRAL_STAGES), self.r_stage),
            }
        )
        events = pd.DataFrame(
            {
                "event_id": text(eid_pa),
                "title": text(self.ev_title),
                "kind": text(self.ev_kind),
                "city": text(self.city_names, self.ev_city),
                "starts_at": _to_datetime(self.ev_starts),
                "capacity": pd.array(self.ev_cap, dtype="Int64"),
            }
        )
        attendance = pd.DataFrame(
            {
                "event_id": text(eid_pa, self.att_event),
                "owner_id": text(oid_pa, self.att_owner),
                "role": text(np.array(contract.ATTENDANCE_ROLES), self.att_role),
                "checked_in": self.att_checked.astype(bool),
            }
        )
        posts_df = pd.DataFrame(
            {
                "post_id": text(pid_pa),
                "author_id": text(oid_pa, self.post_author),
                "created_at": _to_datetime(self.post_t),
                "channel": text(np.array(CHANNELS), self.post_channel),
            }
        )
        interactions = pd.DataFrame(
            {
                "owner_id": text(oid_pa, self.int_owner),
                "post_id": text(pid_pa, self.int_post),
                "kind": text(np.array(KINDS), self.int_kind),
                "created_at": _to_datetime(self.int_t),
            }
        )
        out = {"owners": owners, "referrals": referrals, "events": events, "attendance": attendance,
               "posts": posts_df, "interactions": interactions}
        return {name: out[name] for name in contract.TABLE_NAMES}


# --------------------------------------------------------------------------------------------
# measured statistics
# --------------------------------------------------------------------------------------------
def demo_stats(tables: dict[str, pd.DataFrame], truth: dict | None = None) -> dict:
    """Measure the numbers documented in ``docs/demo-community.md`` on a (demo) community.

    Parameters
    ----------
    tables
        The six contract tables (as returned by :func:`generate_demo`, or any valid community).
    truth
        The planted truth (``kocs`` and ``like_ring`` are used); when given, KOC and ring
        checks are added.

    Returns
    -------
    dict
        ``rows`` (rows per table); ``referral_share`` (share of buyers, i.e. owners with a
        ``purchased_at``, who are the referee of an order/delivered referral);
        ``referral_stages`` (rows per stage); ``referral_max_depth`` and
        ``referral_chains_depth_ge_4`` (owners at depth >= 4 of the first-touch referral forest,
        self-referrals removed, owners on or below a cycle left out); ``national_day_attendees``
        (largest event of kind ``national``); ``city_event_size`` (min/median/max registrations
        of meetup/drive/charity/launch events); ``organizer_volunteer_share`` (organizer rows
        held by volunteers); ``top_author_posts``; and with ``truth``: ``koc_min_reach`` and
        ``non_koc_max_reach`` (distinct owners who engaged with an author's posts; staff and KOCs
        left out of the second), ``koc_raw_rank_worst`` and ``ring_raw_rank_worst`` (worst rank
        of a KOC / ring member by raw interactions received), ``ring_outside_engagers`` (distinct
        non-members who engaged with the ring), ``koc_mean_conversions`` and
        ``top_non_koc_conversions`` (order/delivered referrals made).

    Examples
    --------
    >>> tables, truth = generate_demo(1_000, seed=2)
    >>> demo_stats(tables)["rows"]["owners"]
    1000
    """
    owners, refs = tables["owners"], tables["referrals"]
    posts, inter = tables["posts"], tables["interactions"]
    events, att = tables["events"], tables["attendance"]
    oix = pd.Index(owners["owner_id"])
    eix = pd.Index(events["event_id"])
    pix = pd.Index(posts["post_id"])

    def codes(series: pd.Series, values: tuple[str, ...]) -> np.ndarray:
        return pd.Categorical(series, categories=list(values)).codes.astype(np.int64)

    kocs = ring = None
    if truth is not None:
        kocs, ring = oix.get_indexer(truth["kocs"]), oix.get_indexer(truth["like_ring"])
    return _stats(
        buyer=owners["purchased_at"].notna().to_numpy(),
        staff=owners["is_staff"].to_numpy(dtype=bool),
        volunteer=owners["is_volunteer"].to_numpy(dtype=bool),
        r_from=oix.get_indexer(refs["referrer_id"]), r_to=oix.get_indexer(refs["referee_id"]),
        r_t=refs["referred_at"].to_numpy(dtype="datetime64[s]").astype(np.int64),
        r_stage=codes(refs["stage"], contract.REFERRAL_STAGES),
        ev_kind=events["kind"].astype(object).to_numpy(),
        att_event=eix.get_indexer(att["event_id"]), att_owner=oix.get_indexer(att["owner_id"]),
        att_role=codes(att["role"], contract.ATTENDANCE_ROLES),
        post_author=oix.get_indexer(posts["author_id"]),
        int_owner=oix.get_indexer(inter["owner_id"]), int_post=pix.get_indexer(inter["post_id"]),
        kocs=kocs, ring=ring,
    )


def _stats(*, buyer, staff, volunteer, r_from, r_to, r_t, r_stage, ev_kind, att_event, att_owner, att_role,
           post_author, int_owner, int_post, kocs=None, ring=None) -> dict:
    n = len(buyer)
    stats: dict[str, Any] = {
        "rows": {"owners": n, "events": len(ev_kind), "posts": len(post_author), "referrals": len(r_from),
                 "attendance": len(att_event), "interactions": len(int_owner)}
    }
    conv = r_stage >= contract.REFERRAL_STAGES.index("order")
    referred = np.zeros(n, bool)
    referred[r_to[conv]] = True
    stats["referral_share"] = round(float((referred & buyer).sum() / max(int(buyer.sum()), 1)), 4)
    counts = np.bincount(r_stage, minlength=len(contract.REFERRAL_STAGES))
    stats["referral_stages"] = {s: int(c) for s, c in zip(contract.REFERRAL_STAGES, counts)}
    # first-touch forest without self-loops; depth by pointer jumping
    keep = np.flatnonzero(r_from != r_to)
    keep = keep[np.lexsort((r_from[keep], r_t[keep]))]
    _, first = np.unique(r_to[keep], return_index=True)
    keep = keep[first]
    parent = np.full(n, -1, np.int64)
    parent[r_to[keep]] = r_from[keep]
    depth = np.zeros(n, np.int64)
    cur = parent.copy()
    for _ in range(64):
        has = cur >= 0
        if not has.any():
            break
        depth[has] += 1
        cur[has] = parent[cur[has]]
    depth[cur >= 0] = 0  # on or below a cycle: no root, no depth
    stats["referral_max_depth"] = int(depth.max())
    # the most referrals one referrer made within 48 hours (top 3 referrers)
    o = np.lexsort((r_t, r_from))
    f, t = r_from[o], r_t[o]
    key = f.astype(np.int64) * (1 << 40) + (t - t.min() if len(t) else t)
    in48 = np.searchsorted(key, key + 48 * HOUR, side="right") - np.arange(len(key))
    best = pd.Series(in48).groupby(f).max().sort_values(ascending=False) if len(f) else pd.Series([], dtype=int)
    stats["referrals_in_48h_top3"] = [int(x) for x in best.head(3)]
    stats["referral_chains_depth_ge_4"] = int((depth >= 4).sum())
    size = np.bincount(att_event, minlength=len(ev_kind))
    ev_kind = np.asarray(ev_kind, dtype=object)
    national = ev_kind == "national"
    stats["national_day_attendees"] = int(size[national].max()) if national.any() else 0
    city = np.isin(ev_kind, ["meetup", "drive", "charity", "launch"]) & (size > 0)
    if city.any():
        stats["city_event_size"] = {"min": int(size[city].min()), "median": float(np.median(size[city])),
                                    "max": int(size[city].max())}
    org = att_role == contract.ATTENDANCE_ROLES.index("organizer")
    stats["organizer_volunteer_share"] = round(float(volunteer[att_owner[org]].mean()), 4) if org.any() else 0.0
    stats["top_author_posts"] = int(np.bincount(post_author, minlength=n).max())
    if kocs is not None and ring is not None:
        a = post_author[int_post]
        o = int_owner
        other = a != o
        a, o = a[other], o[other]
        raw = np.bincount(a, minlength=n)
        pairs = unique_sorted(a.astype(np.int64) * n + o)
        reach = np.bincount(pairs // n, minlength=n)
        is_koc = np.zeros(n, bool)
        is_koc[kocs] = True
        is_ring = np.zeros(n, bool)
        is_ring[ring] = True
        stats["koc_min_reach"] = int(reach[kocs].min())
        stats["non_koc_max_reach"] = int(reach[~is_koc & ~staff].max())
        sorted_raw = np.sort(raw)[::-1]
        rank = lambda ids: int((np.searchsorted(-sorted_raw, -raw[ids], side="left") + 1).max())  # noqa: E731
        stats["koc_raw_rank_worst"] = rank(kocs)
        stats["ring_raw_rank_worst"] = rank(ring)
        ro = pairs % n
        stats["ring_outside_engagers"] = int(unique_sorted(ro[is_ring[pairs // n] & ~is_ring[ro]]).size)
        made = np.bincount(r_from[conv & (r_from != r_to)], minlength=n)
        stats["koc_mean_conversions"] = round(float(made[kocs].mean()), 2)
        stats["top_non_koc_conversions"] = int(made[~is_koc].max())
    return stats


# --------------------------------------------------------------------------------------------
# writing the CSV contract
# --------------------------------------------------------------------------------------------
def _write_csv(df: pd.DataFrame, table: str, path: Path) -> None:
    """Write one contract table as CSV: UTF-8, ``YYYY-MM-DD HH:MM:SS``, ``true``/``false``."""
    columns = contract.TABLES[table].columns
    arrays = []
    for c in columns:
        s = df[c.name]
        if c.type == "datetime":
            arrays.append(pa.array(s.to_numpy(dtype="datetime64[s]"), type=pa.timestamp("s")))
        elif c.type == "bool":
            arrays.append(pa.array(s.to_numpy(dtype=bool)))
        elif c.type == "int":
            arrays.append(pa.array(s.astype("Int64").to_numpy(dtype="float64", na_value=np.nan), from_pandas=True)
                          .cast(pa.int64()))
        elif c.type == "float":
            arrays.append(pa.array(s.to_numpy(dtype="float64")))
        else:
            arrays.append(pa.array(s.astype(object).to_numpy(), type=pa.string(), from_pandas=True))
    tbl = pa.table(arrays, names=[c.name for c in columns])
    with open(path, "wb") as fh:
        fh.write((",".join(c.name for c in columns) + "\n").encode("utf-8"))
        try:  # no value needs quoting in the demo; "none" refuses (never corrupts) if one did
            pa_csv.write_csv(tbl, fh, pa_csv.WriteOptions(include_header=False, quoting_style="none"))
        except pa.ArrowInvalid:
            fh.seek(0)
            fh.truncate()
            fh.write((",".join(c.name for c in columns) + "\n").encode("utf-8"))
            pa_csv.write_csv(tbl, fh, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))


def write_demo(
    folder: str | Path,
    n_owners: int = 20_000,
    *,
    seed: int = 0,
    end: str = "2026-09-30",
    weeks: int = 104,
    interactions_per_owner: float | None = None,
) -> dict:
    """Generate the demo community and write it as the CSV contract.

    Writes ``owners.csv``, ``referrals.csv``, ``events.csv``, ``attendance.csv``, ``posts.csv``,
    ``interactions.csv`` (UTF-8, ISO datetimes ``YYYY-MM-DD HH:MM:SS``, booleans ``true``/``false``)
    and ``demo_truth.json`` into ``folder`` (created if needed).  Same arguments, byte-identical
    files.

    Parameters
    ----------
    folder
        Output folder.
    n_owners, seed, end, weeks, interactions_per_owner
        As in :func:`generate_demo`.

    Returns
    -------
    dict
        The planted truth (also written to ``demo_truth.json``), with ``files`` added: table
        name -> file path.

    Raises
    ------
    ConfigError
        Bad arguments (see :func:`generate_demo`).

    Examples
    --------
    >>> import tempfile
    >>> truth = write_demo(tempfile.mkdtemp(), 1_000, seed=3)
    >>> sorted(truth["files"])
    ['attendance', 'events', 'interactions', 'owners', 'posts', 'referrals']
    """
    tables, truth = generate_demo(n_owners, seed=seed, end=end, weeks=weeks,
                                  interactions_per_owner=interactions_per_owner)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, df in tables.items():
        path = folder / f"{name}.csv"
        _write_csv(df, name, path)
        files[name] = str(path)
    (folder / "demo_truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, sort_keys=True, indent=1), encoding="utf-8"
    )
    return {**truth, "files": files}


# --------------------------------------------------------------------------------------------
# a planted campaign with a known effect (issue 17: graphcrm evaluate recovers it)
# --------------------------------------------------------------------------------------------
def plant_campaign(
    tables: dict[str, pd.DataFrame],
    *,
    start: str = "2026-08-01",
    window_days: int = 30,
    members: int = 600,
    holdout: float = 0.5,
    effect: float = 1.0,
    spillover: float = 0.5,
    seed: int = 0,
    name: str = "planted",
    program: str = "planted_posts",
) -> tuple[dict[str, pd.DataFrame], dict, pd.DataFrame, dict]:
    """Plant a campaign with a known effect on posts (and spillover) into demo tables.

    ``members`` eligible owners (not staff, not opted out, joined before ``start``) are drawn at
    random; a random share ``holdout`` of them is the control.  In ``[start, start +
    window_days)`` every treated member writes Poisson(``effect``) extra posts, and every owner
    one hop from a treated member (before ``start``: engaged with their posts or they with the
    owner's, or a referral between them; members and staff left out) writes
    Poisson(``spillover``) extra posts.  So the true lift in posts per member is ``effect`` and
    among neighbours ``spillover``; nothing else changes (``effect=spillover=0``: a placebo).

    Parameters
    ----------
    tables
        The tables of :func:`generate_demo` (not modified).
    start, window_days
        The campaign window; it must end by the data's last post.
    members, holdout
        Campaign size and control share.
    effect, spillover
        Planted extra posts per treated member / per neighbour of a treated member (>= 0).
    seed
        Random seed (same arguments, same campaign).
    name, program
        The campaign's name and program.

    Returns
    -------
    tables : dict of DataFrame
        The tables with the planted posts added (post ids ``CP000001``...).
    campaign : dict
        The record for :meth:`graphcrm.stores.base.Store.write_campaign`.
    members : DataFrame
        ``owner_id``, ``group`` (treated / control).
    truth : dict
        ``effect``, ``spillover``, ``treated``, ``control``, ``planted_member_posts``,
        ``planted_neighbour_posts``, ``neighbours`` (owners given the spillover) and the window.

    Raises
    ------
    ConfigError
        Bad sizes or shares, or a window past the data.

    Example
    -------
    >>> tables, _ = generate_demo(1_000, seed=2)
    >>> new, camp, members, truth = plant_campaign(tables, members=200, seed=1)
    >>> len(new["posts"]) - len(tables["posts"]) == truth["planted_member_posts"] + truth["planted_neighbour_posts"]
    True
    """
    if not (isinstance(members, (int, np.integer)) and members >= 2) or not (0 < holdout < 1):
        raise ConfigError("plant_campaign needs members >= 2 and 0 < holdout < 1")
    if effect < 0 or spillover < 0 or not isinstance(window_days, (int, np.integer)) or window_days < 1:
        raise ConfigError("plant_campaign needs effect, spillover >= 0 and window_days >= 1")
    try:
        lo = pd.Timestamp(start)
    except (TypeError, ValueError):
        raise ConfigError(f"start={start!r} is not a date") from None
    hi = lo + pd.Timedelta(days=int(window_days))
    posts, owners = tables["posts"], tables["owners"]
    if hi > posts["created_at"].max():
        raise ConfigError(f"the window {lo.date()} + {window_days} days goes past the data ({posts['created_at'].max()})")
    rng = np.random.default_rng(seed)
    ids = owners["owner_id"].astype(str).to_numpy()
    ok = ~(owners["is_staff"].to_numpy(dtype=bool) | owners["marketing_opt_out"].to_numpy(dtype=bool))
    ok &= (owners["joined_at"] < lo).fillna(True).to_numpy(dtype=bool)
    pool = np.flatnonzero(ok)
    if len(pool) < members:
        raise ConfigError(f"only {len(pool)} eligible owners for {members} members")
    chosen = np.sort(rng.choice(pool, size=int(members), replace=False))
    is_control = np.zeros(len(chosen), dtype=bool)
    is_control[rng.permutation(len(chosen))[: int(round(holdout * len(chosen)))]] = True
    treated, control = chosen[~is_control], chosen[is_control]
    # one hop before the start: engager <-> author, referrer <-> referee
    pos = pd.Series(np.arange(len(ids)), index=ids)
    it = tables["interactions"][tables["interactions"]["created_at"] < lo]
    author = it["post_id"].map(posts.set_index("post_id")["author_id"])
    rf = tables["referrals"][tables["referrals"]["referred_at"] < lo]
    a = np.concatenate([pos.reindex(it["owner_id"]).to_numpy(), pos.reindex(rf["referrer_id"]).to_numpy()])
    b = np.concatenate([pos.reindex(author).to_numpy(), pos.reindex(rf["referee_id"]).to_numpy()])
    good = ~(np.isnan(a) | np.isnan(b))
    a, b = a[good].astype(np.int64), b[good].astype(np.int64)
    is_t = np.zeros(len(ids), dtype=bool)
    is_t[treated] = True
    near = np.zeros(len(ids), dtype=bool)
    near[b[is_t[a]]] = True
    near[a[is_t[b]]] = True
    near[chosen] = False
    near &= ~owners["is_staff"].to_numpy(dtype=bool)
    neighbours = np.flatnonzero(near)
    k_t = rng.poisson(effect, size=len(treated)) if effect > 0 else np.zeros(len(treated), dtype=np.int64)
    k_n = rng.poisson(spillover, size=len(neighbours)) if spillover > 0 else np.zeros(len(neighbours), dtype=np.int64)
    authors = np.concatenate([np.repeat(treated, k_t), np.repeat(neighbours, k_n)])
    span = int((hi - lo).total_seconds())
    at = lo + pd.to_timedelta(rng.integers(0, span, size=len(authors)), unit="s")
    channel = posts["channel"].mode().iloc[0] if posts["channel"].notna().any() else None
    new_posts = pd.DataFrame({
        "post_id": pd.Series([f"CP{i:06d}" for i in range(1, len(authors) + 1)], dtype=posts["post_id"].dtype),
        "author_id": pd.Series(ids[authors], dtype=posts["author_id"].dtype),
        "created_at": pd.Series(at, dtype="datetime64[ns]").astype(posts["created_at"].dtype),
        "channel": pd.Series([channel] * len(authors), dtype=posts["channel"].dtype),
    })
    out = dict(tables)
    out["posts"] = pd.concat([posts, new_posts], ignore_index=True)
    member_frame = pd.DataFrame({"owner_id": ids[chosen].astype(object),
                                 "group": np.where(is_control, "control", "treated").astype(object)})
    record = {"name": name, "program": program, "start": lo, "window_days": int(window_days),
              "created_at": lo - pd.Timedelta(days=1),
              "options": json.dumps({"planted": True, "effect": effect, "spillover": spillover, "seed": seed,
                                     "holdout": holdout}, sort_keys=True)}
    truth = {"name": name, "start": str(lo.date()), "window_days": int(window_days), "effect": float(effect),
             "spillover": float(spillover), "treated": int(len(treated)), "control": int(len(control)),
             "neighbours": int(len(neighbours)), "planted_member_posts": int(k_t.sum()),
             "planted_neighbour_posts": int(k_n.sum())}
    return out, record, member_frame, truth


def plant_influence(
    tables: dict[str, pd.DataFrame],
    *,
    influencers: int = 20,
    weeks: int = 8,
    posts_per_week: int = 2,
    transmitting: float = 0.5,
    p_max: float = 0.6,
    min_audience: int = 8,
    seed: int = 0,
) -> tuple[dict[str, pd.DataFrame], dict]:
    """Plant a known influence process into demo tables: some ties truly transmit, others not.

    ``influencers`` eligible owners (not staff, not opted out) with at least ``min_audience``
    distinct engagers before the planted period are drawn at random.  Every tie from an
    influencer ``u`` to an owner ``v`` who engaged with ``u``'s posts before the period gets a
    planted per-post probability ``p(u -> v)``: 0 for a random share ``1 - transmitting`` of the
    ties, Uniform(0, ``p_max``) for the others.  In the last ``weeks`` weeks of the data every
    influencer writes ``posts_per_week`` extra posts a week, and each follower ``v`` engages with
    each of them independently with probability ``p(u -> v)`` (a like, or a comment one time in
    four, 60 s plus an exponential 6 h after the post).  Nothing else changes, so learned
    probabilities can be checked against the planted ones (rank correlation) and
    ambassadors against the planted influencers.

    Parameters
    ----------
    tables
        The tables of :func:`generate_demo` (not modified).
    influencers, weeks, posts_per_week
        How many influencers, how long the planted period is, how often they post.
    transmitting, p_max
        Share of an influencer's ties that transmit, and the largest planted probability.
    min_audience
        Distinct engagers an owner needs before the period to be drawn as an influencer.
    seed
        Random seed (same arguments, same process).

    Returns
    -------
    tables : dict of DataFrame
        The input tables with the planted posts and interactions appended.
    truth : dict
        ``influencers`` (owner ids), ``ties`` (dict of lists ``src``, ``dst``, ``p``: every
        planted tie with its per-post probability), ``start`` and ``end`` (ISO times of the
        planted period), ``posts`` (planted post ids).

    Raises
    ------
    ConfigError
        Bad arguments, or fewer eligible owners with ``min_audience`` engagers than asked for.

    Example
    -------
    >>> tables, _ = generate_demo(1_000, seed=0)
    >>> planted, truth = plant_influence(tables, influencers=5, seed=1)
    >>> len(truth["influencers"]), len(planted["posts"]) - len(tables["posts"])
    (5, 80)
    """
    if not isinstance(influencers, (int, np.integer)) or influencers < 1:
        raise ConfigError("influencers must be a positive integer")
    if not isinstance(weeks, (int, np.integer)) or weeks < 1 or not isinstance(posts_per_week, (int, np.integer)) \
            or posts_per_week < 1:
        raise ConfigError("weeks and posts_per_week must be positive integers")
    if not 0 <= transmitting <= 1 or not 0 < p_max <= 1:
        raise ConfigError("transmitting must lie in [0, 1] and p_max in (0, 1]")
    rng = np.random.default_rng([int(seed), 0x1F1])
    owners, posts, inter = tables["owners"], tables["posts"], tables["interactions"]
    end = pd.Timestamp(inter["created_at"].max())
    start = end - pd.Timedelta(weeks=int(weeks))
    # text keys, so categorical id columns with different categories still match
    p_index = pd.Index(posts["post_id"].astype(object).astype(str).to_numpy())
    pos = p_index.get_indexer(inter["post_id"].astype(object).astype(str).to_numpy())
    author = np.where(pos >= 0, posts["author_id"].astype(object).astype(str).to_numpy()[np.maximum(pos, 0)], None)
    before = pd.DataFrame({"u": author, "v": inter["owner_id"].astype(object).astype(str).to_numpy()})
    before = before[(inter["created_at"] < start).to_numpy()]
    before = before[before["u"].notna() & (before["u"] != before["v"])].drop_duplicates()
    aud = before.groupby("u").size()
    ok = owners[~owners["is_staff"].astype(bool) & ~owners["marketing_opt_out"].astype(bool)]["owner_id"]
    cand = np.sort(aud[(aud >= min_audience) & aud.index.isin(ok)].index.to_numpy(dtype=object))
    if len(cand) < influencers:
        raise ConfigError(f"only {len(cand)} eligible owners have {min_audience}+ engagers before {start:%Y-%m-%d}")
    infl = np.sort(rng.choice(cand, size=int(influencers), replace=False))
    ties = before[before["u"].isin(infl)].sort_values(["u", "v"]).reset_index(drop=True)
    live = rng.random(len(ties)) < transmitting
    p = np.where(live, rng.uniform(0.0, p_max, len(ties)), 0.0)
    n_posts = int(weeks) * int(posts_per_week)
    span_s = (end - start).total_seconds()
    post_rows, int_rows = [], []
    for j, u in enumerate(infl):
        offs = np.sort(rng.uniform(0, span_s * 0.98, n_posts))
        t_post = start + pd.to_timedelta(offs, unit="s")
        ids = [f"PI{j:03d}{i:03d}" for i in range(n_posts)]
        post_rows.append(pd.DataFrame({"post_id": ids, "author_id": u, "created_at": t_post}))
        mine = ties.index[ties["u"] == u].to_numpy()
        hit = rng.random((len(mine), n_posts)) < p[mine][:, None]
        ti, pi = np.nonzero(hit)
        delay = 60 + rng.exponential(6 * 3600, len(ti))
        when = np.minimum(t_post.to_numpy()[pi] + pd.to_timedelta(delay, unit="s").to_numpy(), end.to_datetime64())
        kind = np.where(rng.random(len(ti)) < 0.25, "comment", "like")
        int_rows.append(pd.DataFrame({"owner_id": ties["v"].to_numpy()[mine][ti], "post_id": np.asarray(ids)[pi],
                                      "kind": kind, "created_at": when}))
    new_posts = pd.concat(post_rows, ignore_index=True)
    for col in posts.columns:
        if col not in new_posts:
            new_posts[col] = pd.Series([None] * len(new_posts), dtype=posts[col].dtype)
    new_inter = pd.concat(int_rows, ignore_index=True)
    out = dict(tables)
    out["posts"] = pd.concat([posts, new_posts[list(posts.columns)].astype(posts.dtypes.to_dict())], ignore_index=True)
    out["interactions"] = pd.concat([inter, new_inter[list(inter.columns)].astype(inter.dtypes.to_dict())],
                                    ignore_index=True)
    truth = {"influencers": [str(x) for x in infl],
             "ties": {"src": ties["u"].astype(str).tolist(), "dst": ties["v"].astype(str).tolist(),
                      "p": [float(x) for x in p]},
             "start": start.isoformat(), "end": end.isoformat(), "posts": new_posts["post_id"].tolist()}
    return out, truth
