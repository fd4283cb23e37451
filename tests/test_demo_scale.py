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
