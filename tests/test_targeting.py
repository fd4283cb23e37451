"""Incentive targeting: hand-checked programs, excluded owners never appear, determinism."""
from __future__ import annotations

import sys
import types

import numpy as np
import pandas as pd
import pytest

from graphcrm.algorithms.targeting import PROGRAMS, TargetDetails, collapse_targets, targets
from graphcrm.community import Community
from graphcrm.errors import ConfigError

from tests.test_volunteers import planted


def shop() -> Community:
    """Staff s and opted-out o are the strongest at everything; a, b, c, v ordinary owners.

    as_of 2024-12-31.  Activity dates: 'old' = 2024-06-01 (213 days quiet), 'new' = 2024-12-30.
    """
    ids = ["a", "b", "c", "o", "s", "v", "w", "x", "y", "z"]
    owners = pd.DataFrame({
        "owner_id": ids,
        "joined_at": ["2022-01-01"] * len(ids),
        "is_volunteer": [False, False, False, False, False, True, True, True, True, True],
        "is_staff": [False, False, False, False, True, False, False, False, False, False],
        "marketing_opt_out": [False, False, False, True, False, False, False, False, False, False],
    })
    old, new = "2024-06-01", "2024-12-30"
    events = pd.DataFrame({"event_id": ["e1", "e2", "e3"], "starts_at": [old, "2024-06-15", new]})
    rows = [("e1", p, "attendee") for p in ("a", "o", "s", "b")]
    rows += [("e1", "v", "volunteer"), ("e2", "o", "attendee"), ("e2", "s", "attendee"), ("e2", "v", "volunteer"),
             ("e2", "w", "volunteer"), ("e3", "c", "attendee"), ("e3", "x", "volunteer"), ("e3", "y", "volunteer"),
             ("e3", "z", "volunteer"), ("e3", "b", "attendee")]
    attendance = pd.DataFrame(rows, columns=["event_id", "owner_id", "role"])
    posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "author_id": ["a", "o", "s"],
                          "created_at": [old, old, old]})
    interactions = pd.DataFrame({"owner_id": ["o", "s", "a"], "post_id": ["p1", "p1", "p2"],
                                 "kind": ["comment", "comment", "like"], "created_at": [old, old, old]})
    referrals = pd.DataFrame({
        "referrer_id": ["s", "s", "o", "o", "a", "b"],
        "referee_id": ["c", "x", "y", "z", "w", "v"],
        "referred_at": [new] * 6,
        "stage": ["delivered", "order", "delivered", "order", "order", "delivered"],
    })
    return Community.from_frames(dict(owners=owners, events=events, attendance=attendance, posts=posts,
                                      interactions=interactions, referrals=referrals), until="2024-12-31T00:00:00")


@pytest.fixture()
def fake_influence(monkeypatch):
    """An influence module that returns EVERY owner (staff and opt-outs included) as ambassador."""
    mod = types.ModuleType("graphcrm.algorithms.influence")
    calls = {}

    def ambassadors(community, *, k, seed=0, lang="en", exclude=(), **kw):
        calls.update(k=k, seed=seed, exclude=list(exclude))
        ids = list(community.owner_ids)
        return pd.DataFrame({"owner_id": ids, "marginal_gain": np.linspace(10, 1, len(ids)),
                             "direct_reach": np.ones(len(ids), dtype=np.int64), "reason": ["reach"] * len(ids)})

    mod.ambassadors = ambassadors
    monkeypatch.setitem(sys.modules, "graphcrm.algorithms.influence", mod)
    import graphcrm.algorithms as pkg
    monkeypatch.setattr(pkg, "influence", mod, raising=False)
    return calls


def test_excluded_owners_never_appear(fake_influence):
    c = shop()
    t = targets(c, quiet_days=90, min_activities=1, exclude=["a"])
    assert set(t["program"]) == set(PROGRAMS)
    assert not set(t["owner_id"]) & {"s", "o", "a"}
    # the ambassador search was told whom to skip beyond staff and opt-outs (which it never picks
    # itself: community.eligible()), so that without an exclude list the call is the report's
    assert set(fake_influence["exclude"]) == {"a"}
    # also on a larger community, every program, both languages
    big = planted()
    blocked = set(big.owners.loc[big.owners["is_staff"] | big.owners["marketing_opt_out"], "owner_id"])
    assert blocked
    for lang in ("en", "zh"):
        t = targets(big, lang=lang, quiet_days=30, min_activities=1, volunteer_k=500, reactivation_k=500)
        assert len(t) and not set(t["owner_id"]) & blocked


def test_referral_reward_by_hand(fake_influence):
    t = targets(shop(), programs=["referral_reward"])
    # a: w ordered (1 conversion); b: v delivered (1); s and o (2 each) are excluded
    assert t["owner_id"].tolist() == ["a", "b"]
    assert t["expected_impact"].tolist() == [1.0, 1.0]
    assert t["priority"].tolist() == [1, 2]


def test_reactivation_by_hand(fake_influence):
    t = targets(shop(), programs=["reactivation"], quiet_days=90, min_activities=2)
    # a: e1, post p1, like on p2 (all 2024-06-01) then a referral on 2024-12-30 -> not quiet.
    # b: e1 (old), e3 and referrals (new) -> not quiet. v: e1, e2 (June) -> quiet 199 days, 2 activities.
    # w: e2 only (1 activity < 2). o, s: quiet but excluded.
    assert t["owner_id"].tolist() == ["v"]
    # 2 activities in the year up to its last one -> 2/12 per month
    assert t["expected_impact"].tolist() == [round(2 / 12, 4)]
    assert t["reason"].iloc[0] == "quiet for 199 days; 2 activities in their last active year (0.2 per month), 2 in all"
    zh = targets(shop(), programs=["reactivation"], quiet_days=90, min_activities=2, lang="zh")
    assert zh["reason"].iloc[0].startswith("已沉寂 199 天")
    assert targets(shop(), programs=["reactivation"], quiet_days=250, min_activities=1).empty


def test_reactivation_is_driven_by_drifting_owners(fake_influence):
    """The movement community (tests/test_movement.py), now = the end of 2024-07-01: D posted 10
    times in May and not at all in June (drifting: the highest contribution then, activity
        10 -> 0); G2 posted 8 times on 20 March (10:00-17:00) and never again (lapsed: quiet 103
    days).  D comes first, with the activities it lost per 30 days (10) and a reason that says
    it drifts; G2 follows with its monthly rate in its last active year (8 / 12)."""
    from tests.test_movement import _frames

    c = Community.from_frames(_frames(), until="2024-07-01")
    t = targets(c, programs=["reactivation"], quiet_days=90, min_activities=3)
    assert t["owner_id"].tolist() == ["D", "G2"]
    assert t["priority"].tolist() == [1, 2]
    assert t["expected_impact"].tolist() == [10.0, round(8 / 12, 4)]
    assert t["reason"].iloc[0].startswith("drifting (high past contribution, activity falling): ")
    assert "activities 10 -> 0 in 30 days (down 100%)" in t["reason"].iloc[0]
    assert t["reason"].iloc[1].startswith("quiet for 103 days; 8 activities")
    # drifting only
    only = targets(c, programs=["reactivation"], quiet_days=None)
    assert only["owner_id"].tolist() == ["D"]
    # 60-day periods: D's May posts fall in the current period, G2's March posts in the earlier
    # one, so G2 drifts (8 -> 0 activities: 4 per 30 days) and D does not
    longer = targets(c, programs=["reactivation"], quiet_days=None, drift_options={"period": "60D"})
    assert longer["owner_id"].tolist() == ["G2"] and longer["expected_impact"].tolist() == [4.0]
    zh = targets(c, programs=["reactivation"], quiet_days=None, lang="zh")
    assert zh["reason"].iloc[0].startswith("活跃度下滑")
    # the same owners drifting_owners lists, in its order
    from graphcrm.algorithms.movement import drifting_owners

    assert drifting_owners(c)["owner_id"].tolist() == ["D"]


def test_ambassadors_keep_greedy_order_and_cap(fake_influence):
    t = targets(shop(), programs=["ambassador"], ambassadors_k=3, seed=7)
    assert t["owner_id"].tolist() == ["a", "b", "c"]
    assert t["priority"].tolist() == [1, 2, 3]
    assert fake_influence["seed"] == 7


def test_volunteer_invites_exclude_volunteers(fake_influence):
    t = targets(shop(), programs=["volunteer_invite"], volunteer_k=10)
    assert set(t["owner_id"]) <= {"a", "b", "c"}
    assert t["expected_impact"].between(0, 1).all()
    assert t["expected_impact"].is_monotonic_decreasing


def test_table_shape_order_and_collapse(fake_influence):
    t = targets(shop(), campaign="spring", quiet_days=90, min_activities=1)
    assert list(t.columns) == ["owner_id", "program", "priority", "expected_impact", "reason", "campaign"]
    order = t["program"].map({p: i for i, p in enumerate(PROGRAMS)})
    assert order.is_monotonic_increasing
    for _, g in t.groupby("program"):
        assert g["priority"].tolist() == list(range(1, len(g) + 1))
    one = collapse_targets(t)
    assert one["owner_id"].is_unique and set(one["owner_id"]) == set(t["owner_id"])
    a = one.set_index("owner_id").loc["a"]
    assert a["programs"].startswith("ambassador|") and a["campaign"] == "spring"


def test_deterministic_under_seed(fake_influence):
    big = planted()
    a = targets(big, seed=5, quiet_days=30)
    b = targets(planted(), seed=5, quiet_days=30)  # a new community: computed again, not cached
    pd.testing.assert_frame_equal(a, b)


def test_details_and_notes(fake_influence):
    t, info = targets(shop(), campaign="spring", quiet_days=90, min_activities=1, details=True)
    assert isinstance(info, TargetDetails) and info.campaign == "spring" and info.notes == ()
    assert info.as_of == shop().as_of
    assert t["campaign"].eq("spring").all()
    # no volunteers to learn from: that program is skipped with a note, the others run
    c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a", "b"]})})
    t, info = targets(c, programs=["volunteer_invite", "reactivation"], details=True)
    assert t.empty and any("volunteer_invite" in n for n in info.notes)
    plain = targets(shop(), quiet_days=90, min_activities=1)
    assert plain["campaign"].isna().all() and "campaign" not in collapse_targets(plain).columns


@pytest.mark.parametrize("opts", [{"programs": ["coupons"]}, {"volunteer_k": -1}, {"lang": "de"}])
def test_bad_options(opts):
    with pytest.raises(ConfigError):
        targets(shop(), **opts)


def test_reactivation_rate_uses_the_last_active_year():
    owners = pd.DataFrame({"owner_id": ["q", "r", "z"]})
    posts = pd.DataFrame({
        "post_id": ["p1", "p2", "p3", "p4", "p5"],
        "author_id": ["q", "q", "q", "r", "z"],
        # q: one post more than a year before its last one; r: one recent post; z: the clock
        "created_at": ["2022-06-01", "2023-06-01", "2023-12-01", "2024-11-30", "2024-12-31"],
    })
    c = Community.from_frames({"owners": owners, "posts": posts})
    t = targets(c, programs=["reactivation"], quiet_days=90, min_activities=1)
    assert t["owner_id"].tolist() == ["q"]  # r posted 31 days ago, z today
    assert t["expected_impact"].tolist() == [round(2 / 12, 4)]
    assert t["reason"].iloc[0].startswith("quiet for 396 days; 2 activities in their last active year")


def test_cli_targets_export_and_write_back(tmp_path, fake_influence):
    from click.testing import CliRunner

    import graphcrm
    from graphcrm.cli import cli

    store = str(tmp_path / "t.duckdb")
    c = shop()
    cg = graphcrm.open(store)
    cg.load({name: df for name, df in c.tables.items() if len(df)})
    cg.close()
    out = tmp_path / "targets.csv"
    res = CliRunner().invoke(cli, ["targets", "--store", store, "-o", str(out), "--write-back", "spring",
                                   "--quiet-days", "90", "-n", "3"])
    assert res.exit_code == 0, res.output
    assert "owners written back" in res.output
    csv = pd.read_csv(out, encoding="utf-8-sig")
    assert not set(csv["owner_id"]) & {"s", "o"}
    assert set(csv["campaign"]) == {"spring"}
    back = graphcrm.open(store).read_results("targets")
    assert back["owner_id"].is_unique and set(back["owner_id"]) == set(csv["owner_id"])
    assert set(back["campaign"]) == {"spring"} and set(back["label"]) == {"Target"}


def test_cli_volunteers_and_levels(tmp_path):
    from click.testing import CliRunner

    import graphcrm
    from graphcrm.cli import cli

    store = str(tmp_path / "v.duckdb")
    big = planted()
    graphcrm.open(store).load({name: df for name, df in big.tables.items() if len(df)})
    res = CliRunner().invoke(cli, ["volunteers", "--store", store, "-n", "5"])
    assert res.exit_code == 0, res.output
    assert "validation (hid 6 random volunteers" in res.output and "AUC" in res.output
    assert res.output.count("\n") >= 7
    res = CliRunner().invoke(cli, ["levels", "--store", store, "--lang", "zh", "--format", "csv", "-n", "3"])
    assert res.exit_code == 0, res.output
    assert "next_step" in res.output


def test_cli_targets_period_drives_the_drifting_owners(tmp_path):
    """graphcrm targets --period passes the comparison period to drifting_owners: with 30 days D
    drifts, with 60 days G2 does (see test_reactivation_is_driven_by_drifting_owners)."""
    import io

    from click.testing import CliRunner

    import graphcrm
    from graphcrm.cli import cli
    from tests.test_movement import _frames

    store = str(tmp_path / "m.duckdb")
    with graphcrm.open(store) as cg:
        cg.load(_frames(), now="2024-07-01", rejects_path=tmp_path / "rejects.csv")
    runner = CliRunner()
    for period, who in ((None, "D"), ("60D", "G2")):
        args = ["targets", "--store", store, "--program", "reactivation", "--quiet-days", "100000", "--format", "csv"]
        res = runner.invoke(cli, args + (["--period", period] if period else []))
        assert res.exit_code == 0, res.output
        t = pd.read_csv(io.StringIO(res.stdout))
        assert t["owner_id"].tolist() == [who] and t["reason"].iloc[0].startswith("drifting"), (period, res.stdout)


def test_ambassador_program_is_the_reports_ambassadors_call():
    """Without an exclude list, the ambassador program is ambassadors(k=ambassadors_k, seed=seed)
    as the report calls it (read from the cache, not searched again): the same owners in the same
    order, never staff or opt-outs; with staff and opt-outs passed as exclude the search gives
    the same table (they are never eligible)."""
    from graphcrm.algorithms import influence
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1500, seed=1)
    c = Community(tables)
    report = influence.ambassadors(c, k=10, seed=0)
    calls = []
    orig = influence.select_seeds
    influence.select_seeds = lambda *a, **kw: calls.append(1) or orig(*a, **kw)
    try:
        t = targets(c, programs=["ambassador"], ambassadors_k=10, seed=0)
    finally:
        influence.select_seeds = orig
    assert calls == []  # reused, not searched again
    assert t["owner_id"].tolist() == report["owner_id"].tolist()
    blocked = c.owners.loc[c.owners["is_staff"].astype(bool) | c.owners["marketing_opt_out"].astype(bool), "owner_id"]
    assert len(blocked) and not set(t["owner_id"]) & set(blocked.astype(str))
    again = influence.ambassadors(Community(tables), k=10, seed=0, exclude=sorted(blocked.astype(str)))
    assert again["owner_id"].tolist() == report["owner_id"].tolist()


def test_an_ambassador_who_influences_no_one_is_not_targeted():
    # five owners, only a and b tied (b commented on a's post): ambassadors() picks one of the
    # pair (reaching both; the other adds nothing) and c, d, e, who reach only themselves
    # (direct_reach 0): those three are left out, with a note
    owners = pd.DataFrame({"owner_id": list("abcde")})
    posts = pd.DataFrame({"post_id": ["p1"], "author_id": ["a"], "created_at": ["2024-06-01"]})
    inter = pd.DataFrame({"owner_id": ["b"], "post_id": ["p1"], "kind": ["comment"], "created_at": ["2024-06-02"]})
    c = Community.from_frames({"owners": owners, "posts": posts, "interactions": inter}, until="2024-12-31")
    from graphcrm.algorithms.influence import ambassadors

    amb = ambassadors(c, k=5, seed=0)
    assert len(amb) == 4 and (amb["direct_reach"] == 0).sum() == 3
    t, det = targets(c, ambassadors_k=5, programs=["ambassador"], details=True)
    tied = set(amb.loc[amb["direct_reach"] > 0, "owner_id"])
    assert set(t["owner_id"]) == tied and len(tied) == 1 and tied <= {"a", "b"}
    assert any("3 pick(s) left out: they influence no other owner" in n for n in det.notes)
    t0, det0 = targets(Community.from_frames({"owners": owners}), ambassadors_k=5, programs=["ambassador"],
                       details=True)
    assert t0.empty and any("5 pick(s) left out" in n for n in det0.notes)
