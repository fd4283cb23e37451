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
