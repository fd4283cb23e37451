"""One owner's profile on a tiny hand-checked community; exports with owner attributes."""
from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest
from click.testing import CliRunner

import graphcrm
from graphcrm.algorithms.owner import close_ids, owner_profile
from graphcrm.community import Community
from graphcrm.errors import ConfigError
from graphcrm.reports.owner import owner_html
from graphcrm.algorithms.exports import NODE_ATTRIBUTES, node_attributes


def _frames() -> dict[str, pd.DataFrame]:
    ids = ["a", "b", "c", "d", "r", "z", "e1", "e2", "e3"]
    owners = pd.DataFrame({
        "owner_id": ids,
        "name": [f"秘密{i}" for i in ids],
        "city": ["<b>上海</b>", "北京", "北京", "深圳", "上海", "上海", "上海", "上海", "上海"],
        "region": ["华东", "华北", "华北", "华南", "华东", "华东", "华东", "华东", "华东"],
        "car_model": ["ES6", "ET5", None, "ES8", "ES6", "ES6", "ET5", "ET5", "ET5"],
        "joined_at": ["2023-01-01"] * 9,
        "purchased_at": ["2023-01-01", "2024-03-01", None, "2024-04-20", "2022-01-01", "2022-01-01", None, None, None],
    })
    # r -> a (order); a -> b (delivered), a -> c (lead); b -> d (order); z claims b later (double claim)
    referrals = pd.DataFrame({
        "referrer_id": ["r", "a", "a", "b", "z"],
        "referee_id": ["a", "b", "c", "d", "b"],
        "referred_at": ["2022-12-01", "2024-02-01", "2024-03-10", "2024-04-01", "2024-02-15"],
        "stage": ["order", "delivered", "lead", "order", "delivered"],
    })
    posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "author_id": ["a", "a", "b"],
                          "created_at": ["2024-03-05", "2024-05-06", "2024-05-07"]})
    inter = pd.DataFrame({
        "owner_id": ["e1", "e2", "e3", "e1", "a"],
        "post_id": ["p1", "p1", "p2", "p2", "p3"],
        "kind": ["like", "comment", "share", "like", "like"],
        "created_at": ["2024-03-05 10:00", "2024-03-06 10:00", "2024-05-06 12:00", "2024-05-07 12:00",
                       "2024-05-08 09:00"],
    })
    events = pd.DataFrame({"event_id": ["ev1", "ev2"], "starts_at": ["2024-04-13 10:00", "2024-05-18 10:00"]})
    att = pd.DataFrame({"event_id": ["ev1", "ev1", "ev2", "ev2"], "owner_id": ["a", "b", "a", "e1"],
                        "role": ["attendee", "attendee", "organizer", "attendee"], "checked_in": [True] * 4})
    return {"owners": owners, "referrals": referrals, "posts": posts, "interactions": inter, "events": events,
            "attendance": att}


@pytest.fixture(scope="module")
def community() -> Community:
    return Community.from_frames(_frames(), now="2025-01-01")


@pytest.fixture(scope="module")
def profile(community):
    return owner_profile(community, "a", include_targets=False)


def test_attributes_and_level(profile):
    assert profile.attributes["city"] == "<b>上海</b>" and profile.attributes["car_model"] == "ES6"
    assert "name" not in profile.attributes and profile.name is None
    lv = profile.level
    # 2 posts (5 each), 4 engagements received, 1 event attended (10), 1 organised (60), referrals:
    # a->b delivered (120) and a->c lead (5), all decayed over <= 180 days to 2024-05-18
    assert lv["level"] in {"fan", "advocate", "companion"} and lv["next_step"]
    assert set(profile.contribution) >= {"post", "engagement_received", "event_attended", "event_organised",
                                         "referral_delivered", "referral_lead"}
    assert profile.contribution["referral_order"] == 0.0
    assert profile.contribution["referral_delivered"] > profile.contribution["referral_lead"] > 0


def test_referral_chain_position(profile):
    r = profile.referral
    assert r["referred_by"] == "r" and r["root_id"] == "r" and r["depth"] == 1
    assert r["direct_referrals"] == 2 and r["direct_conversions"] == 1  # b delivered; c only a lead
    assert r["total_downstream"] == 3 and r["downstream_conversions"] == 2  # b and d
    made = profile.referrals_made
    assert made["referee_id"].tolist() == ["b", "c"] and made["converted"].tolist() == [True, False]
    assert made["kept"].all()  # a's claim on b is the first touch (z claimed later)


def test_findings_involve_the_owner(profile, community):
    kinds = set(profile.findings["kind"])
    assert kinds == {"double_claim"}  # about b, with a and z involved
    other = owner_profile(community, "d", include_targets=False)
    assert len(other.findings) == 0


def test_koc_and_circle(profile):
    k = profile.koc
    assert k["reach"] == 3 and k["rank"] is not None and k["ranked"] >= 1  # e1, e2, e3
    c = profile.circle
    assert c["circle"] >= 0 and c["ties"] and abs(sum(s for _, s in c["ties"]) - 1.0) < 1e-6


def test_timeline_by_month(profile):
    tl = profile.timeline.set_index("month")
    assert tl.loc["2024-03", "posts"] == 1 and tl.loc["2024-05", "posts"] == 1
    assert tl.loc["2024-03", "engagement_received"] == 2 and tl.loc["2024-05", "engagement_received"] == 2
    assert tl.loc["2024-04", "events"] == 1 and tl.loc["2024-05", "events_led"] == 1
    assert tl.loc["2024-02", "referrals"] == 1 and tl.loc["2024-02", "conversions"] == 1
    assert tl.loc["2024-03", "referrals"] == 1 and tl.loc["2024-03", "conversions"] == 0
    assert tl.loc["2024-05", "interactions"] == 1  # a liked b's post
    # continuous months, one row each
    assert list(tl.index) == [p.strftime("%Y-%m") for p in pd.period_range("2024-02", "2024-05", freq="M")]


def test_names_stay_out_unless_asked(community, profile):
    text, page = profile.to_text(), owner_html(profile)
    assert "秘密" not in text and "秘密" not in page
    assert "&lt;b&gt;上海&lt;/b&gt;" in page and "<b>上海</b>" not in page  # escaped
    assert "<script" not in page and "http" not in page.split("<style>")[0]
    named = owner_profile(community, "a", include_targets=False, show_names=True)
    assert "秘密a" in named.to_text(show_names=True)
    assert "秘密a" not in named.to_text() and "秘密a" not in owner_html(named)
    assert "秘密a" in owner_html(named, show_names=True)


def test_unknown_owner_suggests_close_ids(community):
    with pytest.raises(ConfigError, match=r"unknown owner id 'e4'.*close ids: e1"):
        owner_profile(community, "e4")
    assert close_ids("A", community.owner_ids)[0] == "a"  # other case first
    assert close_ids("O000123", pd.Series([f"O{i:06d}" for i in range(1000)]).to_numpy())[0] == "O000123"


def test_targets_listed(community):
    p = owner_profile(community, "a", include_targets=True)
    assert p.targets is not None and set(p.targets.columns) >= {"program", "priority", "reason"}
    assert (p.targets["owner_id"] == "a").all()


def test_cli_owner(tmp_path):
    from graphcrm.cli import cli

    store = str(tmp_path / "s.duckdb")
    with graphcrm.open(store) as cg:
        cg.load(_frames(), now="2025-01-01")
        assert cg.owner("a", include_targets=False).referral["referred_by"] == "r"
    runner = CliRunner()
    html = tmp_path / "a.html"
    res = runner.invoke(cli, ["owner", "a", "--store", store, "--no-targets", "--html", str(html), "--show-names"])
    assert res.exit_code == 0, res.output
    assert "referred by: r" in res.output and "Timeline by month" in res.output
    assert "秘密" not in res.stdout  # not a terminal: no names even with --show-names
    assert "terminal only" in res.stderr
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Owner profile" in page and "秘密a" in page  # asked
    res = runner.invoke(cli, ["owner", "a", "--store", store, "--no-targets", "--html", str(html)])
    assert "秘密" not in html.read_text(encoding="utf-8")
    res = runner.invoke(cli, ["owner", "e4", "--store", store])
    assert res.exit_code == 1 and "close ids" in res.output and "e1" in res.output


# -- exports with context --------------------------------------------------------------------
def test_node_attributes(community):
    attrs = node_attributes(community).set_index("owner_id")
    assert list(attrs.columns) == list(NODE_ATTRIBUTES)
    assert attrs.loc["c", "car_model"] == "" and attrs.loc["b", "city"] == "北京"
    assert attrs.loc["a", "koc_rank"] >= 1 and attrs.loc["d", "koc_rank"] == -1
    assert "name" not in attrs.columns


@pytest.mark.parametrize("kind", ["referrals", "interactions", "coattendance"])
@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graphml_and_gexf_read_back(tmp_path, kind, fmt):
    store = str(tmp_path / "s.duckdb")
    with graphcrm.open(store) as cg:
        cg.load(_frames(), now="2025-01-01")
        G = cg.to_networkx(kind)
    assert G.nodes["a"]["city"] == "<b>上海</b>" and G.nodes["a"]["level"]
    assert all(d["layer"] == kind and isinstance(d["weight"], float) for _, _, d in G.edges(data=True))
    from graphcrm.cli import cli

    out = tmp_path / f"g.{fmt}"
    res = CliRunner().invoke(cli, ["export", kind, "-o", str(out), "--store", store])
    assert res.exit_code == 0, res.output
    H = nx.read_graphml(out) if fmt == "graphml" else nx.read_gexf(out)
    assert set(H.nodes) == set(G.nodes) and H.number_of_edges() == G.number_of_edges()
    for n in ("a", "c"):
        for k in ("city", "region", "car_model", "level", "circle", "koc_score", "koc_rank"):
            assert H.nodes[n][k] == G.nodes[n][k], (n, k)
    for u, v, d in H.edges(data=True):
        assert d["layer"] == kind and float(d["weight"]) == pytest.approx(G.edges[u, v]["weight"])
    assert "秘密" not in out.read_text(encoding="utf-8")
