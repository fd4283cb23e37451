"""The demo's scale parameters: interactions per owner on request; the referral process keeps
every referral after the referrer's own purchase and before the referee's."""
from __future__ import annotations

import pytest

from graphcrm.demo import generate_demo
from graphcrm.errors import ConfigError


def test_interactions_per_owner_on_request():
    base, truth = generate_demo(1_000, seed=2)
    busy, busy_truth = generate_demo(1_000, seed=2, interactions_per_owner=20)
    quiet, _ = generate_demo(1_000, seed=2, interactions_per_owner=5)
    # at 1,000 owners the planted parts alone give ~3 a head (default here ~18; ~10 from 20k on)
    assert len(quiet["interactions"]) < len(base["interactions"]) < len(busy["interactions"])
    assert len(busy["posts"]) > 1.5 * len(base["posts"])
    # the planted truth is drawn before posting and does not move
    assert busy_truth["kocs"] == truth["kocs"] and busy_truth["like_ring"] == truth["like_ring"]
    assert truth["params"]["post_scale"] == 1.0 and busy_truth["params"]["post_scale"] > 1.0
    for bad in (0, -3, "many", float("nan")):
        with pytest.raises(ConfigError):
            generate_demo(1_000, interactions_per_owner=bad)


def test_referrals_follow_the_referrers_purchase():
    tables, truth = generate_demo(1_000, seed=4)
    o = tables["owners"].set_index("owner_id")
    r = tables["referrals"]
    planted = {a["referrer_id"] + ">" + a["referee_id"] for a in truth["referral_anomalies"]["after_purchase"]}
    natural = r[~(r["referrer_id"] + ">" + r["referee_id"]).isin(planted) & (r["referrer_id"] != r["referee_id"])]
    bought = o.loc[natural["referrer_id"], "purchased_at"].to_numpy()
    ok = (bought <= natural["referred_at"].to_numpy()) | o.loc[natural["referrer_id"], "purchased_at"].isna().to_numpy()
    assert ok.mean() > 0.97  # all but the planted anomalies (cycles, double claims, staff)


def test_no_natural_referrer_exceeds_the_daily_cap():
    """A referrer over NATURAL_REFERRALS_PER_DAY in 24 hours gets the excess referrals redrawn
    among the owners who bought before them (never the referee); others are left alone."""
    import numpy as np

    from graphcrm.demo import DAY, NATURAL_REFERRALS_PER_DAY, _cap_daily_referrals, _PrefixSampler

    rng = np.random.default_rng(0)
    n = 60
    purchased = np.arange(n) * DAY  # owner i bought on day i
    w = np.ones(n)
    samplers = (_PrefixSampler(np.zeros(n, np.int64), purchased, w, np.ones(n, bool)),) * 2
    # owner 0 refers 10 owners within 5 hours on day 50; owner 1 refers 3 (under the cap)
    frm = np.r_[np.zeros(10, np.int64), np.ones(3, np.int64)]
    to = np.r_[np.arange(40, 50), np.arange(50, 53)]
    t = np.r_[50 * DAY + np.arange(10) * 1800, 55 * DAY + np.arange(3) * 60]
    before = frm.copy()
    keep = _cap_daily_referrals(frm, to, t, np.ones(13, bool), samplers, rng)
    assert keep.all()
    f, tt = frm[keep], t[keep]
    for who in np.unique(f):
        times = np.sort(tt[f == who])
        k = NATURAL_REFERRALS_PER_DAY
        assert not (len(times) > k and (times[k:] - times[:-k] <= DAY).any()), who
    assert (frm == 0).sum() == NATURAL_REFERRALS_PER_DAY and (frm[10:] == before[10:]).all()
    assert (purchased[frm] < t).all() and (frm != to).all()
    # unchanged when nobody is over the cap: nothing is drawn
    frm2 = before.copy()[10:]
    state = rng.bit_generator.state
    assert _cap_daily_referrals(frm2, to[10:], t[10:], np.ones(3, bool), samplers, rng).all()
    assert rng.bit_generator.state == state and (frm2 == before[10:]).all()
