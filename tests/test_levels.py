"""Contribution points and owner levels on a tiny community checked by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphcrm.algorithms.levels import (DEFAULT_LEVELS, DEFAULT_POINTS, ContributionDetails, LevelsDetails,
                                       contribution, owner_levels)
from graphcrm.community import Community
from graphcrm.errors import ConfigError


def tiny() -> Community:
    """a: volunteer/organiser/referrer, b: attendee/referrer, c: attendee, d: no-show, o: opted out, s: staff.

    as_of = 2024-12-31; 2024-07-04 is exactly 180 days earlier.
    """
    owners = pd.DataFrame({
        "owner_id": ["a", "b", "c", "d", "o", "s"],
        "joined_at": ["2023-12-31"] * 6,
        "is_volunteer": [True, False, False, False, False, False],
        "is_staff": [False, False, False, False, False, True],
        "marketing_opt_out": [False, False, False, False, True, False],
    })
    events = pd.DataFrame({"event_id": ["e1", "e2"], "starts_at": ["2024-12-31", "2024-07-04"]})
    attendance = pd.DataFrame({
        "event_id": ["e1", "e1", "e1", "e1", "e2", "e2"],
        "owner_id": ["a", "b", "c", "d", "a", "b"],
        "role": ["organizer", "attendee", "attendee", "attendee", "volunteer", "attendee"],
        "checked_in": [True, True, True, False, True, True],
    })
    posts = pd.DataFrame({"post_id": ["p1", "p2"], "author_id": ["a", "b"], "created_at": ["2024-12-31"] * 2})
    interactions = pd.DataFrame({
        "owner_id": ["b", "c", "a", "a"], "post_id": ["p1", "p1", "p1", "p2"],
        "kind": ["like", "comment", "like", "reply"], "created_at": ["2024-12-31"] * 4,
    })
    referrals = pd.DataFrame({
        "referrer_id": ["a", "a", "b"], "referee_id": ["c", "d", "o"],
        "referred_at": ["2024-12-31", "2024-07-04", "2024-12-31"], "stage": ["order", "lead", "delivered"],
    })
    return Community.from_frames(
        dict(owners=owners, events=events, attendance=attendance, posts=posts, interactions=interactions,
             referrals=referrals),
        until="2024-12-31T00:00:00",
    )


def by_owner(df: pd.DataFrame) -> pd.DataFrame:
    return df.set_index("owner_id")


def test_contribution_without_decay_by_hand():
    df = by_owner(contribution(tiny(), half_life_days=None))
    # a: post 5 + 2 engagements by others (own like excluded) + organised 60 + volunteered 40
    #    + referral order 80 + referral lead 5
    assert df.loc["a", "contribution"] == pytest.approx(192.0)
    assert df.loc["a", "points_engagement_received"] == pytest.approx(2.0)
    assert df.loc["a", "points_event_organised"] == pytest.approx(60.0)
    assert df.loc["a", "points_volunteering"] == pytest.approx(40.0)
    # b: post 5 + 1 reply received + 2 events attended + referral delivered 120
    assert df.loc["b", "contribution"] == pytest.approx(146.0)
    assert df.loc["b", "points_event_attended"] == pytest.approx(20.0)
    assert df.loc["c", "contribution"] == pytest.approx(10.0)
    assert df.loc["d", "contribution"] == 0.0  # registered but not checked in
    assert set(df.index) == {"a", "b", "c", "d", "o", "s"}


def test_contribution_half_life_halves_180_day_old_activity():
    df = by_owner(contribution(tiny(), half_life_days=180))
    # a's volunteering (40) and lead referral (5) are 180 days old: they count half
    assert df.loc["a", "points_volunteering"] == pytest.approx(20.0)
    assert df.loc["a", "points_referral_lead"] == pytest.approx(2.5)
    assert df.loc["a", "contribution"] == pytest.approx(192.0 - 20.0 - 2.5)
    assert df.loc["b", "contribution"] == pytest.approx(146.0 - 5.0)


def test_contribution_points_override_and_order():
    df, info = contribution(tiny(), points={"referral_delivered": 0, "post": 100}, half_life_days=None,
                            details=True)
    c = by_owner(df)["contribution"]
    assert c["a"] == pytest.approx(192.0 + 95.0)
    assert c["b"] == pytest.approx(146.0 - 120.0 + 95.0)
    assert list(df["owner_id"][:2]) == ["a", "b"]
    # ties (0 points) sorted by owner_id
    assert list(df["owner_id"][-3:]) == ["d", "o", "s"]
    assert isinstance(info, ContributionDetails) and info.half_life_days is None
    assert info.points["post"] == 100.0 and DEFAULT_POINTS["post"] == 5.0


@pytest.mark.parametrize("bad", [{"nonsense": 1}, {"post": "many"}])
def test_contribution_rejects_bad_points(bad):
    with pytest.raises(ConfigError):
        contribution(tiny(), points=bad)


def test_contribution_rejects_bad_half_life():
    with pytest.raises(ConfigError):
        contribution(tiny(), half_life_days=0)


def test_levels_by_hand_and_next_step():
    df = owner_levels(tiny(), half_life_days=None)
    lv = by_owner(df)
    assert "s" not in lv.index  # staff have no level
    assert lv.loc["a", "level"] == "fan"  # 192 >= 80 but < 200
    assert lv.loc["a", "next_level"] == "advocate"
    assert lv.loc["a", "points_to_next"] == 8
    assert lv.loc["a", "next_step"] == "to reach Advocate: earn 8 more points"
    assert lv.loc["b", "level"] == "fan" and lv.loc["b", "points_to_next"] == 54
    assert lv.loc["c", "level"] == "buyer" and lv.loc["c", "points_to_next"] == 10
    assert lv.loc["c", "next_step"] == "to reach Member: earn 10 more points"
    assert lv.loc["a", "events_led"] == 2 and lv.loc["a", "converted_referrals"] == 1
    assert lv.loc["b", "events_attended"] == 2 and lv.loc["d", "events_attended"] == 0
    assert list(df["owner_id"]) == ["a", "b", "c", "d", "o"]


def test_levels_zh_texts():
    lv = by_owner(owner_levels(tiny(), half_life_days=None, lang="zh"))
    assert lv.loc["a", "level_name"] == "粉丝"
    assert lv.loc["a", "next_step"] == "升级到推荐官：再获得 8 积分"
    assert "成交推荐 1 人" in lv.loc["a", "reason"]


def test_levels_conditions_are_fixed_not_percentiles():
    ladder = [
        {"level": "x", "points": 0},
        {"level": "y", "points": 100, "all": {"events_led": 3}},
        {"level": "z", "points": 120, "any": {"converted_referrals": 1, "posts": 5}},
    ]
    lv = by_owner(owner_levels(tiny(), thresholds=ladder, half_life_days=None))
    # a has 192 points but led only 2 events: stays x although richer than everyone
    assert lv.loc["a", "level"] == "x"
    assert lv.loc["a", "points_to_next"] == 0
    assert lv.loc["a", "next_step"] == "to reach y: organise or volunteer at 1 more event(s)"
    # b meets z's condition but not y's: the ladder holds b at x too
    assert lv.loc["b", "level"] == "x"
    # everybody at the top of a one-level ladder
    flat = owner_levels(tiny(), thresholds=[{"level": "only", "points": 0}])
    assert set(flat["level"]) == {"only"} and set(flat["next_step"]) == {"top level reached"}


def test_levels_any_condition_text():
    ladder = [{"level": "x", "points": 0},
              {"level": "y", "points": 0, "any": {"converted_referrals": 1, "posts": 2}}]
    lv = by_owner(owner_levels(tiny(), thresholds=ladder, half_life_days=None))
    assert lv.loc["a", "level"] == "y"
    assert lv.loc["c", "next_step"] == "to reach y: either refer 1 more friend(s) who order or publish 2 more post(s)"


@pytest.mark.parametrize("bad", [
    [],
    [{"level": "x", "points": 10}, {"level": "y", "points": 5}],
    [{"level": "x", "all": {"karma": 1}}],
    [{"level": "x"}, {"level": "x"}],
    [{"level": "x", "colour": "red"}],
])
def test_levels_reject_bad_thresholds(bad):
    with pytest.raises(ConfigError):
        owner_levels(tiny(), thresholds=bad)


def test_default_ladder_is_increasing_and_documented():
    pts = [lv["points"] for lv in DEFAULT_LEVELS]
    assert pts == sorted(pts) and len(set(pts)) == len(pts)
    assert [lv["level"] for lv in DEFAULT_LEVELS] == ["buyer", "member", "fan", "advocate", "companion"]
    for lv in DEFAULT_LEVELS:
        assert lv["en"] in owner_levels.__doc__.title() or lv["level"] in owner_levels.__doc__


def test_levels_move_with_window():
    # until before e1/p1: only the July activity counts
    full = tiny()
    early = Community(full.tables, until="2024-07-31")
    lv = by_owner(owner_levels(early, half_life_days=None))
    assert lv.loc["a", "contribution"] == pytest.approx(40.0 + 5.0)  # volunteered e2, lead referral
    assert lv.loc["a", "level"] == "member"
    assert np.isclose(lv.loc["b", "contribution"], 10.0)


def test_default_top_levels_need_their_conditions():
    # 200 points per post lifts a to 387 and b to 341: a (2 events led, 1 converted referral)
    # becomes companion; b has the points but never organised or volunteered: advocate only
    lv = by_owner(owner_levels(tiny(), points={"post": 200}, half_life_days=None))
    assert lv.loc["a", "level"] == "companion" and lv.loc["a", "next_level"] == ""
    assert lv.loc["b", "level"] == "advocate"
    assert lv.loc["b", "next_step"] == "to reach Companion: organise or volunteer at 2 more event(s)"


def test_levels_details_and_shared_index():
    c = tiny()
    df, info = owner_levels(c, details=True)
    assert isinstance(info, LevelsDetails)
    assert [lv["level"] for lv in info.levels] == [lv["level"] for lv in DEFAULT_LEVELS]
    assert set(df["level_rank"]) <= set(range(len(info.levels)))
    # the owner index and the activity counts live in the community's one cache
    assert any(k.startswith("owner_index") for k in c._memo)
    assert any(k.startswith("activity_per_kind") for k in c._memo)


def test_owner_positions_categorical_codes_match_string_lookup():
    """owner_positions maps a categorical column through its codes; the positions are those of
    the plain string lookup, -1 for ids that are not owners, also in a community cut to fewer owners."""
    from graphcrm.algorithms.levels import owner_positions
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1000, seed=3)
    full = Community(tables)
    owners = tables["owners"]
    fewer = Community({**tables, "owners": owners.iloc[::2].reset_index(drop=True)})
    for c in (full, fewer):
        col = c.tables["interactions"]["owner_id"]
        assert isinstance(col.dtype, pd.CategoricalDtype)
        plain = pd.Index(np.asarray(c.owner_ids, dtype=object)).get_indexer(col.astype(str).to_numpy(dtype=object))
        assert np.array_equal(owner_positions(c, col), plain)
    assert (owner_positions(fewer, fewer.tables["interactions"]["owner_id"]) == -1).any()
    odd = pd.Series(["zz-not-an-owner", str(full.owner_ids[1])], dtype="category")
    assert owner_positions(full, odd).tolist() == [-1, 1]


def test_engagement_received_by_positions_matches_the_merge():
    """engagement received is counted through post and owner positions: the same counts as
    merging interactions with their posts by post id, leaving out interactions on one's own posts."""
    from graphcrm.algorithms.levels import _per_kind_uncached

    o = pd.DataFrame({"owner_id": ["a", "b", "c"]})
    posts = pd.DataFrame({"post_id": ["p1", "p2"], "author_id": ["a", "b"],
                          "created_at": pd.to_datetime(["2024-01-01"] * 2)})
    inter = pd.DataFrame({"owner_id": ["b", "c", "a", "a", "b"], "post_id": ["p1", "p1", "p1", "p2", "p2"],
                          "kind": "like", "created_at": pd.to_datetime(["2024-01-02"] * 5)})
    c = Community.from_frames({"owners": o, "posts": posts, "interactions": inter})
    raw, _ = _per_kind_uncached(c, None)
    # p1 (by a): b and c count, a's own like does not; p2 (by b): a counts, b's own does not
    assert raw["engagement_received"].tolist() == [2.0, 1.0, 0.0]

    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1000, seed=4)
    c = Community(tables)
    raw, _ = _per_kind_uncached(c, None)
    t = c.tables
    m = t["interactions"].merge(t["posts"][["post_id", "author_id"]], on="post_id", how="inner")
    m = m[m["owner_id"].astype(str) != m["author_id"].astype(str)]
    want = pd.Index(np.asarray(c.owner_ids, dtype=object)).get_indexer(m["author_id"].astype(str).to_numpy(dtype=object))
    want = np.bincount(want[want >= 0], minlength=len(c.owner_ids))
    assert want.sum() > 0 and np.array_equal(raw["engagement_received"], want)


def test_sort_desc_equals_the_pandas_sort():
    from graphcrm.algorithms.levels import _next_steps, _sort_desc

    rng = np.random.default_rng(3)
    n = 400
    ids = np.array([f"o{i:04d}" for i in range(n)], dtype=object)
    df = pd.DataFrame({"owner_id": ids, "level_rank": rng.integers(0, 3, n),
                       "contribution": rng.integers(0, 5, n) / 2})  # many ties
    ref = df.sort_values(["level_rank", "contribution", "owner_id"], ascending=[False, False, True], kind="mergesort")
    pd.testing.assert_frame_equal(_sort_desc(df, ["level_rank", "contribution"]), ref)
    shuffled = df.sample(frac=1.0, random_state=0)  # ids out of order: the pandas path
    pd.testing.assert_frame_equal(_sort_desc(shuffled, ["level_rank", "contribution"]), ref)
    pd.testing.assert_frame_equal(_sort_desc(df.iloc[:1], ["contribution"]), df.iloc[:1])
    # the next steps: per owner the text of its (rank, missing points, counts) combination
    levels = [dict(lv, all=dict(lv.get("all", {})), any=dict(lv.get("any", {})), points=float(lv["points"]))
              for lv in DEFAULT_LEVELS]
    rank = rng.integers(0, len(levels), n)
    contrib = rng.integers(0, 400, n).astype(float)
    cnt = {k: rng.integers(0, 3, n) for k in ("posts", "events_attended", "events_led", "referrals",
                                               "converted_referrals")}
    nxt, missing, steps = _next_steps(levels, rank, contrib, cnt, "en")
    from graphcrm.algorithms.levels import _next_step_text

    for i in range(0, n, 7):
        have = {k: int(cnt[k][i]) for k in ("converted_referrals", "events_led")}
        assert steps[i] == _next_step_text(levels, int(rank[i]), int(missing[i]), have, "en")



def test_undecayed_sums_are_the_counts():
    from graphcrm.algorithms.levels import _per_kind

    c = tiny()
    raw, dec = _per_kind(c, None)
    assert set(raw) == set(dec) == set(DEFAULT_POINTS)
    for k in raw:
        np.testing.assert_array_equal(dec[k], raw[k])
        assert dec[k] is not raw[k]
    _, dec180 = _per_kind(c, 180)
    assert any((dec180[k] < raw[k]).any() for k in raw)  # decay lowers the old activity


def _cut_community() -> Community:
    """a and b active, c joins after the cut-off (2024-05-15), s is staff."""
    return Community.from_frames({
        "owners": pd.DataFrame({"owner_id": ["a", "b", "c", "s"],
                                "joined_at": ["2024-01-01", "2024-01-01", "2024-05-20", "2024-01-01"],
                                "is_staff": [False, False, False, True]}),
        "posts": pd.DataFrame({"post_id": ["p1", "p2", "p3", "p4"], "author_id": ["a", "a", "b", "s"],
                               "created_at": ["2024-05-01", "2024-05-20", "2024-05-10", "2024-05-01"]}),
        "interactions": pd.DataFrame({
            "owner_id": ["b", "b", "c", "a", "a"], "post_id": ["p1", "p2", "p3", "p1", "p3"], "kind": "like",
            "created_at": ["2024-05-02", "2024-05-21", "2024-05-12", "2024-05-03", "2024-05-30"]}),
        "events": pd.DataFrame({"event_id": ["e1", "e2"], "starts_at": ["2024-05-05", "2024-05-25"]}),
        "attendance": pd.DataFrame({"event_id": ["e1", "e2", "e1"], "owner_id": ["a", "a", "b"],
                                    "checked_in": [True, True, False], "role": "attendee"}),
    })


def test_levels_at_a_cut_off_by_hand():
    from graphcrm.algorithms.levels import levels_at
    from graphcrm.algorithms.movement import _cut_uncached

    c = _cut_community()
    t = pd.Timestamp("2024-05-15")
    rank, pts = levels_at(c, [t], half_life_days=None)[t]
    assert list(c.owner_ids) == ["a", "b", "c", "s"]
    # a: post p1 (5) + b's like on p1 (1; a's own like does not count) + event e1 (10); p2, e2 later
    # b: post p3 (5) + c's like on p3 (1); a's like on p3 is later; b's no-show at e1 earns nothing
    # c joined after the cut-off, s is staff: not listed
    assert rank.tolist() == [0, 0, -1, -1]
    np.testing.assert_array_equal(pts, [16.0, 6.0, np.nan, np.nan])
    # the same as owner_levels on the community as known at t
    lv = owner_levels(_cut_uncached(c, t), half_life_days=None).set_index("owner_id")
    assert lv["contribution"].to_dict() == {"a": 16.0, "b": 6.0}
    # everything known at the latest date: the community's own levels
    later = pd.Timestamp("2024-06-30")
    rank, pts = levels_at(c, [later], half_life_days=None)[later]
    full = owner_levels(c, half_life_days=None).set_index("owner_id").reindex(c.owner_ids)
    np.testing.assert_array_equal(pts, full["contribution"].to_numpy(float))
    np.testing.assert_array_equal(rank, full["level_rank"].fillna(-1).to_numpy(np.int64))


@pytest.mark.parametrize("opts", [{}, {"points": {"post": 3, "engagement_received": 2}, "half_life_days": 30},
                                  {"half_life_days": None, "thresholds": [
                                      {"level": "x", "points": 0}, {"level": "y", "points": 15, "any": {"posts": 2}}]}])
def test_levels_at_equals_owner_levels_on_the_cut_community(opts):
    """Bit for bit (ranks and contributions) what owner_levels gives on a community cut at each date."""
    from graphcrm.algorithms.levels import levels_at
    from graphcrm.algorithms.movement import _cut_uncached
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1500, seed=5)
    c = Community(tables)
    now = pd.Timestamp(c.as_of)
    dates = [now - pd.Timedelta(days=d) for d in (30, 60, 90, 365)]
    got = levels_at(c, dates, **opts)
    for d in dates:
        lv = owner_levels(_cut_uncached(c, d), **opts).set_index("owner_id").reindex(c.owner_ids)
        np.testing.assert_array_equal(got[d][0], lv["level_rank"].fillna(-1).to_numpy(np.int64))
        np.testing.assert_array_equal(got[d][1], lv["contribution"].to_numpy(float))
    assert (got[dates[0]][0] >= 0).sum() > (got[dates[-1]][0] >= 0).sum() > 0  # owners join over time
