"""Results kept in the embedded store across sessions, keyed by data version and options;
``graphcrm run`` and ``graphcrm cache``."""
from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

import graphcrm
from graphcrm.cli import cli

OWNERS = pd.DataFrame({"owner_id": ["a", "b", "c", "d"], "city": ["上海", "上海", "北京", "北京"]})
REFS = pd.DataFrame({"referrer_id": ["a", "a", "b"], "referee_id": ["b", "c", "d"],
                     "referred_at": ["2024-01-01", "2024-02-01", "2024-03-01"], "stage": ["order", "lead", "delivered"]})


@pytest.fixture()
def counted(monkeypatch):
    """Count the real computations of referral_chains' forest."""
    from graphcrm.algorithms import referrals

    calls = []
    real = referrals._forest
    monkeypatch.setattr(referrals, "_forest", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    return calls


def test_a_result_is_reused_by_the_next_session_until_a_load(tmp_path, counted, monkeypatch):
    db = tmp_path / "s.duckdb"
    with graphcrm.open(db) as cg:
        cg.load({"owners": OWNERS, "referrals": REFS}, rejects_path=tmp_path / "r.csv")
        assert cg.store.data_version() == 1
        first = cg.referral_chains()
    assert counted == [1]
    with graphcrm.open(db) as cg:  # another process would see the same: nothing recomputed
        again = cg.referral_chains()
        pd.testing.assert_frame_equal(first, again)
        assert counted == [1]
        assert "referral_chains" in cg.store.result_cache()["key"].iloc[0]
        cg.referral_chains(since="2024-02-01")  # another window: another key
        assert counted == [1, 1]
    monkeypatch.setenv("GRAPHCRM_FRESH", "1")  # --fresh: recomputed and replaced
    with graphcrm.open(db) as cg:
        cg.referral_chains()
        assert counted == [1, 1, 1]
    monkeypatch.delenv("GRAPHCRM_FRESH")
    with graphcrm.open(db) as cg:
        cg.load({"referrals": REFS.assign(stage=["order", "order", "delivered"])}, rejects_path=tmp_path / "r.csv")
        assert cg.store.data_version() == 2 and len(cg.store.result_cache()) == 0  # a load drops them
        changed = cg.referral_chains()
        assert counted == [1, 1, 1, 1]
        assert changed.set_index("owner_id").loc["a", "downstream_conversions"] == 3
        assert first.set_index("owner_id").loc["a", "downstream_conversions"] == 2


def test_results_kept_by_another_results_revision_are_recomputed(tmp_path, counted, monkeypatch):
    """A store written by a graphcrm whose defaults gave other results (another
    RESULTS_REVISION) is not read back: the result is computed again and kept beside."""
    import graphcrm.community as community

    db = tmp_path / "s.duckdb"
    with graphcrm.open(db) as cg:
        cg.load({"owners": OWNERS, "referrals": REFS}, rejects_path=tmp_path / "r.csv")
        cg.referral_chains()
    with graphcrm.open(db) as cg:
        cg.referral_chains()
    assert counted == [1]
    monkeypatch.setattr(community, "RESULTS_REVISION", community.RESULTS_REVISION + 1)
    with graphcrm.open(db) as cg:
        cg.referral_chains()
        assert counted == [1, 1]
        assert len(cg.store.result_cache()) == 2


def test_an_in_memory_store_keeps_nothing(counted):
    with graphcrm.open(":memory:") as cg:
        cg.load({"owners": OWNERS, "referrals": REFS})
        cg.referral_chains()
        assert cg.store.cache_result("x", 1) == 0 and cg.store.cached_result("x") == (False, None)
        assert len(cg.store.result_cache()) == 0


def test_an_unreadable_entry_is_a_miss(tmp_path):
    with graphcrm.open(tmp_path / "s.duckdb") as cg:
        cg.load({"owners": OWNERS}, rejects_path=tmp_path / "r.csv")
        assert cg.store.cache_result("k", {"x": 1}) > 0
        assert cg.store.cached_result("k") == (True, {"x": 1})
        cg.store.con.execute("UPDATE graphcrm_result_cache SET payload = 'garbage'::BLOB")
        assert cg.store.cached_result("k") == (False, None)
        assert cg.store.clear_result_cache() == 1 and cg.store.cached_result("k") == (False, None)


def test_cache_command_lists_and_clears(tmp_path):
    db = tmp_path / "s.duckdb"
    with graphcrm.open(db) as cg:
        cg.load({"owners": OWNERS, "referrals": REFS}, rejects_path=tmp_path / "r.csv")
        cg.referral_chains()
    r = CliRunner().invoke(cli, ["cache", "--store", str(db)])
    assert r.exit_code == 0, r.output
    assert "data version 1" in r.output and "referral_chains" in r.output
    r = CliRunner().invoke(cli, ["cache", "--clear", "--store", str(db)])
    assert r.exit_code == 0 and "dropped" in r.output
    assert "0 result(s)" in CliRunner().invoke(cli, ["cache", "--store", str(db)]).output
