"""Referral chains, attribution, the referrer board and integrity findings on hand-checked graphs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphcrm.community import Community
from graphcrm.errors import ConfigError
from graphcrm.algorithms.referrals import (
    clean_referrals,
    referral_attribution,
    referral_chains,
    referral_issues,
    referral_trees,
    top_referrers,
)

# The hand-drawn community (arrows: "referred"):
#   a -> b (delivered) -> c (order) -> d (lead)        a chain of depth 3
#   a -> e (delivered, but dated AFTER e's purchase)   never a conversion
#   x -> x                                             self-referral, dropped
#   f -> g -> h -> f                                   cycle; the latest claim h -> f is dropped
#   p -> q (lead, 2024-01-10) and r -> q (delivered, 2024-01-20): double claim, p wins (first
#                                                       touch), stage taken as delivered
#   s (staff) -> t (order)                             staff referral: in the chain, never credited
OWNERS = pd.DataFrame({
    "owner_id": list("abcdefghpqrstx"),
    "region": ["east"] * 5 + ["west"] * 9,
    "is_staff": [o == "s" for o in "abcdefghpqrstx"],
    "purchased_at": [None, "2024-03-01", "2024-04-01", None, "2024-01-01", None, None, None,
                     None, "2024-02-01", None, None, "2024-05-01", None],
})
REFS = pd.DataFrame([
    ("a", "b", "2024-01-01", "delivered"),
    ("b", "c", "2024-02-01", "order"),
    ("c", "d", "2024-03-01", "lead"),
    ("a", "e", "2024-02-01", "delivered"),
    ("x", "x", "2024-01-05", "lead"),
    ("f", "g", "2024-01-01", "lead"),
    ("g", "h", "2024-01-02", "lead"),
    ("h", "f", "2024-01-03", "order"),
    ("p", "q", "2024-01-10", "lead"),
    ("r", "q", "2024-01-20", "delivered"),
    ("s", "t", "2024-04-01", "order"),
], columns=["referrer_id", "referee_id", "referred_at", "stage"])


@pytest.fixture(scope="module")
def community() -> Community:
    return Community.from_frames({"owners": OWNERS, "referrals": REFS})


def test_issues_found_and_explained(community):
    iss = referral_issues(community)
    assert list(iss["kind"]) == ["self_referral", "cycle", "double_claim", "staff_referral", "after_delivery"]
    by = iss.set_index("kind")
    assert by.loc["self_referral", "owner_id"] == "x"
    assert by.loc["cycle", "owners"] == "f,g,h"
    assert "h → f (2024-01-03)" in by.loc["cycle", "reason"]
    assert "f → g → h → f" in by.loc["cycle", "reason"]
    assert by.loc["double_claim", "owner_id"] == "q"
    assert "first-touch keeps p" in by.loc["double_claim", "reason"]
    assert "stage taken as delivered" in by.loc["double_claim", "reason"]
    assert by.loc["staff_referral", "owners"] == "s,t"
    assert by.loc["after_delivery", "owners"] == "a,e"
    assert "31 days after" in by.loc["after_delivery", "reason"]
    zh = referral_issues(community, lang="zh")
    assert "首次触达" in zh.loc[zh["kind"] == "double_claim", "reason"].iloc[0]


def test_cleaned_forest(community):
    clean = clean_referrals(community)
    pairs = set(zip(clean.edges["referrer_id"], clean.edges["referee_id"]))
    assert ("x", "x") not in pairs and ("h", "f") not in pairs and ("r", "q") not in pairs
    assert {("f", "g"), ("g", "h"), ("p", "q"), ("s", "t")} <= pairs
    e = clean.edges.set_index("referee_id")
    assert e.loc["q", "stage"] == "delivered" and e.loc["q", "converted"]
    assert e.loc["e", "late"] and not e.loc["e", "converted"]


def test_chains_by_hand(community):
    df = referral_chains(community).set_index("owner_id")
    assert df.loc["a", "depth"] == 0 and df.loc["a", "referrer_id"] == ""
    assert df.loc["a", "direct_referrals"] == 2 and df.loc["a", "total_downstream"] == 4
    assert df.loc["a", "direct_conversions"] == 1  # b; e is late
    assert df.loc["a", "downstream_conversions"] == 2  # b and c
    assert (df.loc["d", "depth"], df.loc["d", "root_id"]) == (3, "a")
    assert df.loc["d", "chain_size"] == 5 and df.loc["d", "chain_depth"] == 3
    assert df.loc["b", "days_to_delivery"] == 60.0  # 2024-01-01 -> 2024-03-01
    assert df.loc["a", "median_days_to_delivery"] == 60.0
    assert df.loc["f", "root_id"] == "f" and df.loc["h", "depth"] == 2
    assert "x" not in df.index  # the self-referral left nothing
    assert df.index[0] == "a"  # largest downstream first
    assert "referred by a" in df.loc["b", "reason"]


def test_trees_largest_and_longest(community):
    t = referral_trees(community)
    assert t.iloc[0]["root_id"] == "a" and t.iloc[0]["size"] == 5
    assert t.iloc[0]["longest_path"] == "a → b → c → d"
    assert t.iloc[0]["conversions"] == 2
    longest = referral_trees(community, sort="depth", top=1)
    assert len(longest) == 1 and longest.iloc[0]["depth"] == 3


def test_attribution_by_hand(community):
    att = referral_attribution(community)
    # b converted: a +1; c converted: b +1, a +0.5; q converted (first touch p): p +1;
    # t converted by staff s: no credit; e is late: nothing
    assert att[["owner_id", "credit"]].values.tolist() == [["a", 1.5], ["b", 1.0], ["p", 1.0]]
    a = att.set_index("owner_id").loc["a"]
    assert (a["level_1"], a["level_2"], a["level_3"], a["conversions"]) == (1, 1, 0, 2)
    with_staff = referral_attribution(community, include_staff=True).set_index("owner_id")
    assert with_staff.loc["s", "credit"] == 1.0
    flat = referral_attribution(community, decay=[1.0, 1.0]).set_index("owner_id")
    assert flat.loc["a", "credit"] == 2.0
    # the same columns whatever the decay: level_3 is 0 when the decay has two levels
    assert (flat["level_3"] == 0).all() and flat.loc["a", "level_2"] == 1
    with pytest.raises(ConfigError):  # more levels than are attributed
        referral_attribution(community, decay=[1.0, 0.5, 0.25, 0.1])
    with pytest.raises(ConfigError):
        referral_attribution(community, decay=[1.0, -0.5])


def test_top_referrers_board():
    owners = pd.DataFrame({"owner_id": [f"o{i}" for i in range(8)],
                           "region": ["east", "east", "east", "west", "west", "west", "west", "west"]})
    refs = pd.DataFrame([
        ("o0", "o3", "2024-05-01", "delivered"), ("o0", "o4", "2024-05-02", "order"),   # o0: 2 now
        ("o1", "o5", "2024-04-10", "order"),                                            # o1: 1 now
        ("o1", "o6", "2024-02-10", "order"), ("o1", "o7", "2024-03-10", "delivered"),   # o1: 2 before
        ("o2", "o1", "2024-01-05", "lead"),
    ], columns=["referrer_id", "referee_id", "referred_at", "stage"])
    c = Community.from_frames({"owners": owners, "referrals": refs})
    b = top_referrers(c, period="quarter", as_of="2024-05-15", growers=5, per_region=1)
    top = b[b["list"] == "top"]
    assert top[["owner_id", "conversions", "previous_conversions"]].values.tolist() == [["o0", 2, 0], ["o1", 1, 2]]
    assert top["period_start"].iloc[0] == pd.Timestamp("2024-04-01")
    growers = b[b["list"] == "growers"]
    assert growers["owner_id"].tolist() == ["o0"]  # o1 went down
    region = b[b["list"] == "region"]
    assert region[["region", "owner_id"]].values.tolist() == [["east", "o0"]]
    # o2's credit: o1's conversion this quarter is one level down -> 0.5, but o2 has no direct one
    assert "o2" not in set(b["owner_id"])
    days = top_referrers(c, period="30d", as_of="2024-05-15")
    assert days.loc[days["list"] == "top", "owner_id"].tolist() == ["o0"]
    with pytest.raises(ConfigError):
        top_referrers(c, period="fortnight")


def _burst_community(n_burst: int) -> Community:
    ids = ["big"] + [f"n{i}" for i in range(40)] + [f"m{i}" for i in range(40)]
    rows = [(f"n{i}", f"m{i}", f"2024-0{1 + i % 9}-1{i % 10}", "lead") for i in range(40)]
    rows += [("big", f"m{i}", f"2024-06-01 0{i}:00", "lead") for i in range(n_burst)]
    refs = pd.DataFrame(rows, columns=["referrer_id", "referee_id", "referred_at", "stage"])
    refs = refs.drop_duplicates("referee_id", keep="last")  # keep it free of double claims
    return Community.from_frames({"owners": pd.DataFrame({"owner_id": ids}), "referrals": refs})


def test_burst_threshold():
    iss = referral_issues(_burst_community(6))
    bursts = iss[iss["kind"] == "burst"]
    assert bursts["owner_id"].tolist() == ["big"]
    assert "6 referrals within 1 day" in bursts["reason"].iloc[0]
    assert referral_issues(_burst_community(4)).query("kind == 'burst'").empty
    # a 3-referral floor flags the 4-referral day too
    assert referral_issues(_burst_community(4), burst_min=3).query("kind == 'burst'")["owner_id"].tolist() == ["big"]


def test_deterministic_and_order_independent(community):
    shuffled = Community.from_frames({"owners": OWNERS.sample(frac=1, random_state=3),
                                      "referrals": REFS.sample(frac=1, random_state=4)})
    for f in (referral_chains, referral_attribution, referral_issues, referral_trees):
        pd.testing.assert_frame_equal(f(community), f(shuffled))


def test_empty_and_windowed():
    c = Community.from_frames({"owners": OWNERS})
    assert referral_chains(c).empty and referral_attribution(c).empty and referral_issues(c).empty
    assert list(referral_issues(c).columns) == ["finding_id", "kind", "owner_id", "owners", "action", "reason"]
    assert top_referrers(c).empty
    w = Community.from_frames({"owners": OWNERS, "referrals": REFS}, until="2024-01-15")
    df = referral_chains(w).set_index("owner_id")
    assert "c" not in df.index and df.loc["a", "total_downstream"] == 1


def test_long_chain_is_linear():
    """A 20,000-long chain (recursion or all-pairs would fail or crawl): depths and credit exact."""
    n = 20_000
    ids = [f"u{i:05d}" for i in range(n)]
    refs = pd.DataFrame({"referrer_id": ids[:-1], "referee_id": ids[1:],
                         "referred_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n - 1), unit="min"),
                         "stage": "order"})
    c = Community({"owners": pd.DataFrame({"owner_id": ids, "is_staff": False, "marketing_opt_out": False}),
                   "referrals": refs})
    df = referral_chains(c).set_index("owner_id")
    assert df.loc[ids[-1], "depth"] == n - 1 and df.loc[ids[0], "total_downstream"] == n - 1
    att = referral_attribution(c).set_index("owner_id")
    assert att.loc[ids[0], "credit"] == 1.75 and att.loc[ids[-2], "credit"] == 1.0


def test_double_claims_with_a_tie_by_hand():
    # z is claimed three times: x and w on the same day, v later.  Sorted by date then
    # referrer id: w, x, v.  w wins (tie broken by the smaller id), the stage is
    # the furthest of the three (order).  y is claimed twice on different days: u wins.
    owners = pd.DataFrame({"owner_id": ["u", "v", "w", "x", "y", "z", "m"]})
    refs = pd.DataFrame([
        ("x", "z", "2026-01-02", "lead"),
        ("v", "z", "2026-01-05", "test_drive"),
        ("w", "z", "2026-01-02", "order"),
        ("m", "y", "2026-03-01", "lead"),
        ("u", "y", "2026-02-01", "lead"),
    ], columns=["referrer_id", "referee_id", "referred_at", "stage"])
    iss = referral_issues(Community.from_frames({"owners": owners, "referrals": refs}))
    dc = iss[iss["kind"] == "double_claim"].set_index("owner_id")
    assert list(dc.index) == ["y", "z"]  # referees in owner order
    assert dc.loc["z", "reason"] == (
        "z claimed by w (2026-01-02, order), x (2026-01-02, lead), v (2026-01-05, test_drive); first-touch keeps w "
        "(earliest claim; tie on date broken by the smaller referrer id); other claims dropped; "
        "referee stage taken as order")
    assert dc.loc["y", "reason"] == (
        "y claimed by u (2026-02-01, lead), m (2026-03-01, lead); first-touch keeps u (earliest claim); "
        "other claims dropped; referee stage taken as lead")
    chains = clean_referrals(Community.from_frames({"owners": owners, "referrals": refs})).edges
    kept = dict(zip(chains["referee_id"], chains["referrer_id"]))
    assert kept == {"z": "w", "y": "u"}
