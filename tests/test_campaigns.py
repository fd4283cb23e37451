"""Campaigns: recorded in both stores, planned with a seeded hold-out (matched controls for
ambassadors), evaluated as treated-vs-control lift with spillover to graph neighbours."""
from __future__ import annotations

import pandas as pd
import pytest

import graphcrm
from graphcrm.errors import GraphCRMError, StoreError

NOW = "2026-12-31"


def _store_record(name="spring", program="reactivation"):
    return {"name": name, "program": program, "start": pd.Timestamp("2026-03-01"), "window_days": 30,
            "created_at": pd.Timestamp("2026-02-27 10:00:00"), "options": {"holdout": 0.1, "seed": 0}}


def _store_members(n=2500):
    ids = [f"o{i:05d}" for i in range(n)]
    return pd.DataFrame({"owner_id": ids,
                         "group": ["control" if i % 10 == 0 else "treated" for i in range(n)],
                         "matched_to": [ids[i + 1] if i % 10 == 0 and i + 1 < n else None for i in range(n)]})


def _check_store_round_trip(cg, tmp_path):
    n = 2500  # more than one write batch and one read page (2,000)
    owners = pd.DataFrame({"owner_id": [f"o{i:05d}" for i in range(n)] + ["x'y\\z"]})
    cg.load({"owners": owners}, now=NOW, rejects_path=tmp_path / "rejects.csv")
    st = cg.store
    assert len(st.campaigns()) == 0
    members = _store_members(n)
    assert st.write_campaign(_store_record("春季-2026 'quoted'"), members) == n
    got = st.campaign_members("春季-2026 'quoted'")
    assert list(got.columns) == ["owner_id", "group", "matched_to"]
    assert len(got) == n and (got["group"].iloc[:2250] == "treated").all() and (got["group"].iloc[2250:] == "control").all()
    want = members.assign(_o=(members["group"] != "treated").astype(int)).sort_values(["_o", "owner_id"])
    assert got["owner_id"].tolist() == want["owner_id"].tolist()
    pairs = {o: m for o, m in zip(members["owner_id"], members["matched_to"]) if isinstance(m, str)}
    assert {o: m for o, m in zip(got["owner_id"], got["matched_to"]) if m is not None} == pairs
    assert got["matched_to"].map(lambda v: v is None or isinstance(v, str)).all()
    listed = st.campaigns()
    assert listed[["name", "program", "window_days", "treated", "control"]].values.tolist() == [
        ["春季-2026 'quoted'", "reactivation", 30, 2250, 250]]
    assert listed["start"].iloc[0] == pd.Timestamp("2026-03-01")
    assert listed["created_at"].iloc[0] == pd.Timestamp("2026-02-27 10:00:00")
    assert '"holdout": 0.1' in listed["options"].iloc[0]
    # same name again: an error unless replace=True
    with pytest.raises(StoreError, match="already recorded"):
        st.write_campaign(_store_record("春季-2026 'quoted'"), members.head(3))
    assert len(st.campaign_members("春季-2026 'quoted'")) == n
    small = pd.DataFrame({"owner_id": ["x'y\\z", "o00001"], "group": ["control", "treated"]})
    assert st.write_campaign(_store_record("春季-2026 'quoted'", "my own"), small, replace=True) == 2
    assert st.campaign_members("春季-2026 'quoted'").values.tolist() == [["o00001", "treated", None],
                                                                        ["x'y\\z", "control", None]]
    st.write_campaign({**_store_record("later"), "created_at": pd.Timestamp("2026-03-02")}, small.head(1))
    listed = st.campaigns()
    assert listed["name"].tolist() == ["春季-2026 'quoted'", "later"]
    assert listed[["program", "treated", "control"]].values.tolist() == [["my own", 1, 1], ["reactivation", 0, 1]]
    with pytest.raises(StoreError, match="no campaign"):
        st.campaign_members("nope")
    with pytest.raises(GraphCRMError, match="group"):
        st.write_campaign(_store_record("bad"), small.assign(group=["treated", "maybe"]))
    with pytest.raises(GraphCRMError, match="twice"):
        st.write_campaign(_store_record("bad"), pd.concat([small, small]))
    assert st.campaigns()["name"].tolist() == ["春季-2026 'quoted'", "later"]


def test_campaigns_in_the_embedded_store(tmp_path):
    cg = graphcrm.open(tmp_path / "x.duckdb")
    _check_store_round_trip(cg, tmp_path)
    cg.close()
    again = graphcrm.open(tmp_path / "x.duckdb")  # persisted
    assert again.store.campaigns()["name"].tolist() == ["春季-2026 'quoted'", "later"]
    again.close()


def test_campaigns_in_the_bolt_store(bolt_uri, tmp_path):
    cg = graphcrm.open(bolt_uri)
    _check_store_round_trip(cg, tmp_path)
    # the graph model: (:Owner)-[:IN_CAMPAIGN {group}]->(:Campaign {name})
    rows = cg.store._read("MATCH (o:Owner)-[e:IN_CAMPAIGN]->(c:Campaign {name: 'later'}) RETURN o.owner_id, e.`group`")
    assert rows == [["x'y\\z", "control"]]
    start = cg.store._read("MATCH (c:Campaign {name: 'later'}) RETURN c.start")[0][0]
    assert start == "2026-03-01T00:00:00"
    # a member that is not an owner: an error, and the campaign is not readable as complete
    with pytest.raises(StoreError, match="not owners"):
        cg.store.write_campaign(_store_record("ghost"), pd.DataFrame({"owner_id": ["nobody"], "group": ["treated"]}))
    with pytest.raises(StoreError, match="interrupted"):
        cg.store.campaign_members("ghost")
    cg.close()


# ---------------------------------------------------------------------------------------------
# planning and lift on a hand-built community
# ---------------------------------------------------------------------------------------------
from graphcrm.algorithms.campaigns import Campaign, campaign_lift, neighbour_edges, outcome_counts, plan_campaign  # noqa: E402
from graphcrm.community import Community  # noqa: E402

START = pd.Timestamp("2026-03-01")
PRE, IN = "2026-02-10 10:00:00", "2026-03-10 10:00:00"


def tiny_frames() -> dict:
    """Treated t1 t2 t3, control c1 c2.  Before the start: n1 liked t1's post, t2 referred n2,
    n3 commented on c1's post, n4 liked posts of t1 and of c2 (adjacent to both), staff s liked
    t1's post, t1 liked c1's post (members are never neighbours).  In the window: posts t1 x2,
    t2 x1, c1 x1, n1 x1, n2 x1; n1 liked t1's window post, t1 liked its own; t2 referred k1
    (order); event e1: t3 volunteered, c1 and n3 attended."""
    ids = ["t1", "t2", "t3", "c1", "c2", "n1", "n2", "n3", "n4", "k1", "s", "x"]
    owners = pd.DataFrame({"owner_id": ids, "is_staff": [i == "s" for i in ids],
                           "marketing_opt_out": [i == "x" for i in ids]})
    posts = pd.DataFrame([
        ("old_t1", "t1", PRE), ("old_c1", "c1", PRE), ("old_c2", "c2", PRE),
        ("w_t1a", "t1", IN), ("w_t1b", "t1", IN), ("w_t2", "t2", IN), ("w_c1", "c1", IN),
        ("w_n1", "n1", IN), ("w_n2", "n2", IN)], columns=["post_id", "author_id", "created_at"])
    inter = pd.DataFrame([
        ("n1", "old_t1", "like", PRE), ("n3", "old_c1", "comment", PRE), ("n4", "old_t1", "like", PRE),
        ("n4", "old_c2", "like", PRE), ("s", "old_t1", "like", PRE), ("t1", "old_c1", "like", PRE),
        ("n1", "w_t1a", "like", IN), ("t1", "w_t1a", "like", IN)],
        columns=["owner_id", "post_id", "kind", "created_at"])
    refs = pd.DataFrame([("t2", "n2", "2026-01-05", "delivered"), ("t2", "k1", "2026-03-05", "order")],
                        columns=["referrer_id", "referee_id", "referred_at", "stage"])
    events = pd.DataFrame({"event_id": ["e1"], "starts_at": ["2026-03-15 14:00:00"]})
    att = pd.DataFrame({"event_id": ["e1"] * 3, "owner_id": ["t3", "c1", "n3"],
                        "role": ["volunteer", "attendee", "attendee"]})
    return {"owners": owners, "posts": posts, "interactions": inter, "referrals": refs, "events": events,
            "attendance": att}


def tiny() -> Community:
    return Community.from_frames(tiny_frames(), now=NOW)


def tiny_members() -> pd.DataFrame:
    return pd.DataFrame({"owner_id": ["t1", "t2", "t3", "c1", "c2"],
                         "group": ["treated"] * 3 + ["control"] * 2})


CAMP = Campaign("tiny", "my_program", START, 30, pd.Timestamp("2026-02-28"))
HAND = ["referrals_made", "referrals_converted", "events_attended", "events_led", "posts",
        "engagement_received", "engagement_given"]


def test_outcomes_counted_by_hand():
    c = tiny()
    got = outcome_counts(c, START, CAMP.end, outcomes=HAND).set_index("owner_id")
    assert got.loc["t1"].tolist() == [0, 0, 0, 0, 2, 1, 0]  # own like on own post not counted
    assert got.loc["t2"].tolist() == [1, 1, 0, 0, 1, 0, 0]
    assert got.loc["t3"].tolist() == [0, 0, 1, 1, 0, 0, 0]
    assert got.loc["c1"].tolist() == [0, 0, 1, 0, 1, 0, 0]
    assert got.loc["n1"].tolist() == [0, 0, 0, 0, 1, 0, 1]
    assert got.loc["n3"].tolist() == [0, 0, 1, 0, 0, 0, 0]


def test_lift_and_spillover_by_hand():
    c = tiny()
    t, info = campaign_lift(c, campaign=CAMP, members=tiny_members(), outcomes=HAND, bootstrap=0, min_group=2,
                            details=True)
    m = t[t["scope"] == "members"].set_index("outcome")
    assert m["treated_n"].unique().tolist() == [3] and m["control_n"].unique().tolist() == [2]
    assert m.loc["posts", ["treated_mean", "control_mean", "difference"]].tolist() == pytest.approx([1.0, 0.5, 0.5])
    assert m.loc["engagement_received", "difference"] == pytest.approx(1 / 3)
    assert m.loc["events_attended", "difference"] == pytest.approx(1 / 3 - 1 / 2)
    assert m.loc["events_led", "difference"] == pytest.approx(1 / 3)
    assert m.loc["referrals_converted", "difference"] == pytest.approx(1 / 3)
    # neighbours: n1 (of t1) and n2 (of t2, by the referral) vs n3 (of c1); n4 touches both, s is staff
    assert (info.neighbours_treated, info.neighbours_control, info.neighbours_both) == (2, 1, 1)
    nb = t[t["scope"] == "neighbours"].set_index("outcome")
    assert nb.loc["posts", ["treated_mean", "control_mean", "difference"]].tolist() == pytest.approx([1.0, 0.0, 1.0])
    assert nb.loc["engagement_given", "difference"] == pytest.approx(0.5)
    assert nb.loc["events_attended", "difference"] == pytest.approx(-1.0)
    # Welch interval around the difference: posts of members 1 +- z * sqrt(var(2,1,0)/3 + var(1,0)/2)
    se = (1.0 / 3 + 0.5 / 2) ** 0.5
    assert m.loc["posts", "ci_low"] == pytest.approx(0.5 - 1.959964 * se, rel=1e-5)
    assert m.loc["posts", "ci_high"] == pytest.approx(0.5 + 1.959964 * se, rel=1e-5)
    assert m.loc["posts", "verdict"] == "no measurable effect"
    # one neighbour in the control: no interval, too small to tell
    assert set(nb["verdict"]) == {"too small to tell"} and nb["ci_low"].isna().all()
    # with the default minimum group (30) every verdict says so, and the notes say why
    t30, info30 = campaign_lift(c, campaign=CAMP, members=tiny_members(), outcomes=HAND, bootstrap=200, details=True)
    assert set(t30["verdict"]) == {"too small to tell"}
    assert any("fewer than 30" in n for n in info30.notes)
    assert t30["reason"].str.contains("too small to tell").all()


def test_neighbour_edges_before_the_start_only():
    c = tiny()
    e = neighbour_edges(c, before=START)
    names = {tuple(sorted((c.owner_ids[a], c.owner_ids[b]))) for a, b in e}
    assert names == {("n1", "t1"), ("c1", "n3"), ("n4", "t1"), ("c2", "n4"), ("s", "t1"), ("c1", "t1"), ("n2", "t2")}
    assert ("n1", "t1") in {tuple(sorted((c.owner_ids[a], c.owner_ids[b]))) for a, b in neighbour_edges(c)}
    assert len(neighbour_edges(c, before=START, layers=["referrals"])) == 1


def test_bootstrap_is_seeded_and_close_to_welch():
    c = tiny()
    a = campaign_lift(c, campaign=CAMP, members=tiny_members(), outcomes=["posts"], bootstrap=2000, seed=3, min_group=2)
    b = campaign_lift(c, campaign=CAMP, members=tiny_members(), outcomes=["posts"], bootstrap=2000, seed=3, min_group=2)
    pd.testing.assert_frame_equal(a, b)
    lo, hi = a.loc[0, ["ci_low", "ci_high"]]
    assert lo <= 0.5 <= hi and lo < 0 < hi


def test_level_change_is_the_level_difference():
    from graphcrm.algorithms.levels import owner_levels

    c = tiny()
    got = outcome_counts(c, START, CAMP.end, outcomes=["level_change"]).set_index("owner_id")["level_change"]

    def rank(at):
        lv = owner_levels(Community(c.tables, until=at - pd.Timedelta(microseconds=1)))
        return lv.set_index("owner_id")["level_rank"].reindex(c.owner_ids).fillna(0)

    want = rank(CAMP.end) - rank(START)
    assert got.to_dict() == want.to_dict()


def test_holdout_is_seeded_and_never_staff_or_opted_out():
    ids = [f"o{i:03d}" for i in range(200)]
    owners = pd.DataFrame({"owner_id": ids + ["staff1", "optout1"], "is_staff": [False] * 200 + [True, False],
                           "marketing_opt_out": [False] * 201 + [True]})
    c = Community.from_frames({"owners": owners})
    frame = pd.DataFrame({"owner_id": ids + ["staff1", "optout1", "ghost"]})
    p1 = plan_campaign(c, name="x", program="mine", start="2026-01-01", holdout=0.1, seed=7, targets_frame=frame)
    p2 = plan_campaign(c, name="x", program="mine", start="2026-01-01", holdout=0.1, seed=7,
                       targets_frame=frame.sample(frac=1, random_state=1))
    p3 = plan_campaign(c, name="x", program="mine", start="2026-01-01", holdout=0.1, seed=8, targets_frame=frame)
    assert sorted(p1.control["owner_id"]) == sorted(p2.control["owner_id"])  # input order does not matter
    assert sorted(p1.control["owner_id"]) != sorted(p3.control["owner_id"])
    assert len(p1.control) == 20 and len(p1.treated) == 180
    assert not {"staff1", "optout1", "ghost"} & set(p1.members["owner_id"])
    assert any("staff or opted-out" in n for n in p1.notes) and any("not owners" in n for n in p1.notes)
    assert plan_campaign(c, name="x", program="mine", holdout=0, targets_frame=frame).control.empty
    with pytest.raises(GraphCRMError, match="targets_frame"):
        plan_campaign(c, name="x", program="mine")


def test_ambassador_control_is_matched_on_audience():
    """Picks p1 (audience 4) and p2 (2); not picked: q4 (4), q3 (3), q2 (2), staff s4 (4); each
    like comes from a fan of its own (audience 1)."""
    hub = {"p1": 4, "p2": 2, "q4": 4, "q3": 3, "q2": 2, "s4": 4}
    fans = [f"f_{o}_{j}" for o, k in hub.items() for j in range(k)]
    ids = list(hub) + fans
    owners = pd.DataFrame({"owner_id": ids, "is_staff": [i == "s4" for i in ids]})
    posts = pd.DataFrame({"post_id": [f"p_{o}" for o in hub], "author_id": list(hub), "created_at": PRE})
    inter = pd.DataFrame([(f"f_{o}_{j}", f"p_{o}", "like", PRE) for o, k in hub.items() for j in range(k)],
                         columns=["owner_id", "post_id", "kind", "created_at"])
    c = Community.from_frames({"owners": owners, "posts": posts, "interactions": inter}, now=NOW)
    picks = pd.DataFrame({"owner_id": ["p1", "p2"], "priority": [1, 2], "expected_impact": [9.0, 3.0]})
    plan = plan_campaign(c, name="amb", program="ambassador", start=START, holdout=0.1, targets_frame=picks)
    assert plan.treated["owner_id"].tolist() == ["p1", "p2"]
    assert plan.members.set_index("owner_id")["audience"].to_dict() == {"p1": 4, "p2": 2, "q4": 4, "q2": 2}
    pairs = dict(zip(plan.control["matched_to"], plan.control["owner_id"]))
    assert pairs == {"p1": "q4", "p2": "q2"} and plan.balance == 0.0
    two = plan_campaign(c, name="amb", program="ambassador", start=START, holdout=0.1, targets_frame=picks, matches=2)
    assert sorted(two.control[two.control["matched_to"] == "p1"]["owner_id"]) == ["q3", "q4"]
    assert "s4" not in set(two.control["owner_id"]) and len(two.control) == 4
    assert plan_campaign(c, name="amb", program="ambassador", start=START, holdout=0, targets_frame=picks).control.empty


# ---------------------------------------------------------------------------------------------
# the demo with a planted campaign: recovered within its interval; a placebo shows nothing
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_tables():
    from graphcrm.demo import generate_demo

    return generate_demo(3000, seed=0)[0]


def _evaluate_planted(demo_tables, tmp_path, **plant):
    from graphcrm.demo import plant_campaign

    tables, record, members, truth = plant_campaign(demo_tables, members=600, seed=1, **plant)
    cg = graphcrm.open(tmp_path / "demo.duckdb")
    cg.load(tables, rejects_path=tmp_path / "rejects.csv")
    cg.store.write_campaign(record, members)
    t, info = cg.evaluate("planted", outcomes=["posts", "engagement_given", "events_attended"], details=True)
    cg.close()
    return t.set_index(["scope", "outcome"]), info, truth


def test_planted_campaign_is_recovered(demo_tables, tmp_path):
    t, info, truth = _evaluate_planted(demo_tables, tmp_path, effect=1.0, spillover=0.5)
    assert (info.treated, info.control) == (truth["treated"], truth["control"]) == (300, 300)
    assert info.complete and not info.matched
    m, nb = t.loc[("members", "posts")], t.loc[("neighbours", "posts")]
    assert m["ci_low"] <= 1.0 <= m["ci_high"] and m["verdict"] == "higher" and m["ci_low"] > 0.5
    assert nb["ci_low"] <= 0.5 <= nb["ci_high"] and nb["verdict"] == "higher" and nb["ci_low"] > 0.25
    # nothing else was planted: no effect on engagement or events
    for scope in ("members", "neighbours"):
        for o in ("engagement_given", "events_attended"):
            assert t.loc[(scope, o), "verdict"] == "no measurable effect", (scope, o)


def test_placebo_campaign_shows_no_effect(demo_tables, tmp_path):
    t, info, truth = _evaluate_planted(demo_tables, tmp_path, effect=0.0, spillover=0.0)
    assert truth["planted_member_posts"] == truth["planted_neighbour_posts"] == 0
    assert set(t["verdict"]) == {"no measurable effect"}
    assert (t["ci_low"] <= 0).all() and (t["ci_high"] >= 0).all()


# ---------------------------------------------------------------------------------------------
# the command line: targets/ambassadors --campaign, campaigns, evaluate
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def demo_store(demo_tables, tmp_path):
    from graphcrm.demo import plant_campaign

    tables, record, members, _ = plant_campaign(demo_tables, members=600, seed=1)
    store = str(tmp_path / "cli.duckdb")
    cg = graphcrm.open(store)
    cg.load(tables, rejects_path=tmp_path / "rejects.csv")
    cg.store.write_campaign(record, members)
    cg.close()
    return store


def test_cli_targets_campaign_exports_only_the_treated(demo_store, tmp_path):
    from click.testing import CliRunner

    from graphcrm.cli import cli

    out = tmp_path / "crm.csv"
    args = ["targets", "--store", demo_store, "--program", "reactivation", "--reactivation", "200",
            "--campaign", "win back", "--holdout", "0.2", "--start", "2026-08-01", "-o", str(out)]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert "never contact the control" in res.output and "160 treated" in res.output and "40 control" in res.output
    cg = graphcrm.open(demo_store)
    members = cg.store.campaign_members("win back")
    exported = set(pd.read_csv(out, dtype=str, encoding="utf-8-sig")["owner_id"])
    assert exported == set(members.loc[members["group"] == "treated", "owner_id"])
    assert not exported & set(members.loc[members["group"] == "control", "owner_id"])
    staff = set(cg.table("owners").query("is_staff or marketing_opt_out")["owner_id"])
    assert not staff & set(members["owner_id"])
    written = cg.read_results("targets")  # written back as today, under the campaign's name: treated only
    assert set(written["owner_id"]) == exported and set(written["campaign"]) == {"win back"}
    cg.close()
    # the same name again: a clear error (exit 1), unless --replace
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 1 and "already recorded" in again.output
    assert CliRunner().invoke(cli, args + ["--replace"]).exit_code == 0
    # a campaign runs one program
    bad = CliRunner().invoke(cli, ["targets", "--store", demo_store, "--campaign", "x"])
    assert bad.exit_code == 2 and "one program" in bad.output
    listed = CliRunner().invoke(cli, ["campaigns", "--store", demo_store, "--format", "csv"])
    assert listed.exit_code == 0
    rows = pd.read_csv(__import__("io").StringIO(listed.output))
    assert rows["name"].tolist() == ["planted", "win back"]
    assert rows.set_index("name").loc["win back", ["treated", "control"]].tolist() == [160, 40]


def test_cli_evaluate(demo_store):
    from click.testing import CliRunner

    from graphcrm.cli import cli

    res = CliRunner().invoke(cli, ["evaluate", "planted", "--store", demo_store, "--outcome", "posts",
                                   "--bootstrap", "500", "--format", "json"])
    assert res.exit_code == 0, res.output
    import json

    rows = json.loads(res.stdout)
    by = {r["scope"]: r for r in rows}
    assert by["members"]["verdict"] == "higher" and by["members"]["ci_low"] <= 1.0 <= by["members"]["ci_high"]
    assert "300 treated vs 300 control" in res.stderr
    missing = CliRunner().invoke(cli, ["evaluate", "nope", "--store", demo_store])
    assert missing.exit_code == 1 and "no campaign named 'nope'" in missing.output


def test_cli_ambassadors_campaign_records_matched_controls(demo_store):
    from click.testing import CliRunner

    from graphcrm.cli import cli

    res = CliRunner().invoke(cli, ["ambassadors", "--store", demo_store, "-k", "5", "--probability", "wc",
                                   "--mc-runs", "0", "--campaign", "amb", "--start", "2026-08-01", "--format", "csv"])
    assert res.exit_code == 0, res.output
    printed = set(pd.read_csv(__import__("io").StringIO(res.stdout), dtype=str)["owner_id"])
    cg = graphcrm.open(demo_store)
    m = cg.store.campaign_members("amb")
    treated, control = m[m["group"] == "treated"], m[m["group"] == "control"]
    assert set(treated["owner_id"]) == printed and len(printed) == 5
    assert len(control) == 5 and set(control["matched_to"]) == printed and not printed & set(control["owner_id"])
    owners = cg.table("owners").set_index("owner_id")
    assert not owners.loc[list(control["owner_id"]), ["is_staff", "marketing_opt_out"]].any().any()
    assert cg.campaigns().set_index("name").loc["amb", "program"] == "ambassador"
    t, info = cg.evaluate("amb", outcomes=["posts"], min_group=2, lang="zh", details=True)
    assert info.matched and any("匹配" in n for n in info.notes) and len(t) == 2
    cg.close()


@pytest.mark.parametrize("backend", ["duckdb", "bolt"])
def test_record_and_evaluate_through_either_store(backend, tmp_path, request):
    uri = str(tmp_path / "t.duckdb") if backend == "duckdb" else request.getfixturevalue("falkordb_uri")
    cg = graphcrm.open(uri)
    cg.load(tiny_frames(), now=NOW, rejects_path=tmp_path / "rejects.csv")
    frame = pd.DataFrame({"owner_id": ["t1", "t2", "t3", "c1", "c2", "s", "x"]})
    plan = cg.record_campaign("tiny", program="my_program", start=START, holdout=0.4, seed=5, targets_frame=frame)
    assert not {"s", "x"} & set(plan.members["owner_id"]) and len(plan.control) == 2
    camp, members = cg.campaign("tiny")
    assert (camp.start, camp.window_days, camp.program) == (START, 30, "my_program")
    assert sorted(members.loc[members["group"] == "control", "owner_id"]) == sorted(plan.control["owner_id"])
    got = cg.evaluate("tiny", outcomes=HAND, bootstrap=0, min_group=2)
    want = campaign_lift(tiny(), campaign=camp, members=plan.members[["owner_id", "group"]], outcomes=HAND,
                         bootstrap=0, min_group=2)
    pd.testing.assert_frame_equal(got, want)
    with pytest.raises(StoreError, match="already recorded"):
        cg.record_campaign("tiny", program="my_program", start=START, targets_frame=frame)
    cg.close()


def test_bad_options_are_clear_errors():
    c = tiny()
    for bad in ({"outcomes": ["posts", "postz"]}, {"bootstrap": -1}, {"confidence": 1.5}, {"min_group": 1},
                {"neighbour_layers": ["phone_calls"]}):
        with pytest.raises(GraphCRMError):
            campaign_lift(c, campaign=CAMP, members=tiny_members(), **bad)
    late = Campaign("late", "x", pd.Timestamp("2030-01-01"), 30, pd.Timestamp("2029-12-01"))
    with pytest.raises(GraphCRMError, match="nothing to evaluate yet"):
        campaign_lift(c, campaign=late, members=tiny_members())
    with pytest.raises(GraphCRMError, match="owner_id and group"):
        campaign_lift(c, campaign=CAMP, members=tiny_members().drop(columns="group"))
    frame = pd.DataFrame({"owner_id": ["t1", "t2"]})
    for bad in ({"holdout": 1.0}, {"holdout": -0.1}, {"window_days": 0}, {"matches": 0}, {"start": "not a date"}):
        with pytest.raises(GraphCRMError):
            plan_campaign(c, name="x", program="mine", targets_frame=frame, **bad)
    with pytest.raises(GraphCRMError, match="no eligible targets"):
        plan_campaign(c, name="x", program="mine", targets_frame=pd.DataFrame({"owner_id": ["s", "x"]}))


def test_window_not_over_is_said():
    c = tiny()
    long = Campaign("long", "x", START, 400, pd.Timestamp("2026-02-28"))
    _, info = campaign_lift(c, campaign=long, members=tiny_members(), outcomes=["posts"], details=True)
    assert not info.complete and any("not over" in n for n in info.notes)


def test_neighbour_interval_re_draws_the_hold_out_by_hand():
    """t1's neighbours a1, a2 post once each in the window; c1's neighbours b1, b2 do not.  The
    only other assignment swaps t1 and c1 (difference -1), so the chance differences are -1 and
    +1 and the interval is 1 - (+1) .. 1 - (-1) = [0, 2]."""
    owners = pd.DataFrame({"owner_id": ["t1", "c1", "a1", "a2", "b1", "b2"]})
    posts = pd.DataFrame([("pt", "t1", PRE), ("pc", "c1", PRE), ("w1", "a1", IN), ("w2", "a2", IN)],
                         columns=["post_id", "author_id", "created_at"])
    inter = pd.DataFrame([(o, p, "like", PRE) for o, p in (("a1", "pt"), ("a2", "pt"), ("b1", "pc"), ("b2", "pc"))],
                         columns=["owner_id", "post_id", "kind", "created_at"])
    c = Community.from_frames({"owners": owners, "posts": posts, "interactions": inter}, now=NOW)
    m = pd.DataFrame({"owner_id": ["t1", "c1"], "group": ["treated", "control"]})
    t = campaign_lift(c, campaign=CAMP, members=m, outcomes=["posts"], bootstrap=400, min_group=2)
    nb = t[t["scope"] == "neighbours"].iloc[0]
    assert (nb["treated_n"], nb["control_n"], nb["difference"]) == (2, 2, 1.0)
    assert (nb["ci_low"], nb["ci_high"]) == (0.0, 2.0) and nb["verdict"] == "no measurable effect"
    # a matched pair re-draws the same way (the pair is its block)
    mm = m.assign(matched_to=[None, "t1"])
    t2 = campaign_lift(c, campaign=CAMP, members=mm, outcomes=["posts"], bootstrap=400, min_group=2)
    assert t2[t2["scope"] == "neighbours"][["ci_low", "ci_high"]].values.tolist() == [[0.0, 2.0]]
