"""Ambassadors aimed at a goal: reach counted among a segment, active ambassadors, minimums.

Every test uses a tiny graph whose optimum is worked out by hand in the comments (all edge
probabilities 1, so the expected reach is the exact reach and the RR estimates are exact up to
sampling of roots).  Plus the Monte Carlo check sized by a precision target, a costs table, the
API's details and the CLI options.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from graphcrm.algorithms import influence as im
from graphcrm.community import Community
from graphcrm.errors import ConfigError


def _graph(n: int, edges: list[tuple[int, int]]) -> im.InfluenceGraph:
    src, dst = zip(*edges)
    return im.influence_graph(n, list(src), list(dst), [1.0] * len(edges))


# star 0 -> 1, 2, 3, 4 and path 5 -> 6 -> 7
STAR_AND_PATH = [(0, 1), (0, 2), (0, 3), (0, 4), (5, 6), (6, 7)]


def test_reach_among_changes_the_optimum():
    g = _graph(8, STAR_AND_PATH)
    # everybody counts: the star's centre reaches 5 (itself and 4 leaves), the path's head 3
    plain = im.select_seeds(g, k=1, seed=0, eval_sets=50_000)
    assert plain.picks.tolist() == [0] and plain.reach == pytest.approx(5.0, rel=0.03)
    # only the path counts: the centre reaches nobody there, the path's head all 3
    path = im.select_seeds(g, k=1, seed=0, roots=[5, 6, 7], eval_sets=50_000)
    assert path.picks.tolist() == [5] and path.reach == pytest.approx(3.0, rel=1e-9)
    # two leaves of the star count: the centre reaches both, anybody else at most one
    leaves = im.select_seeds(g, k=1, seed=0, roots=[1, 2], eval_sets=50_000)
    assert leaves.picks.tolist() == [0] and leaves.reach == pytest.approx(2.0, rel=1e-9)
    # an empty segment: nothing to reach, no picks
    assert im.select_seeds(g, k=1, seed=0, roots=[]).picks.tolist() == []


# 0 -> 1, 2, 3, 4 (reach 5); 5 -> 1, 2, 3 (reach 4, three of them shared with 0); 6 -> 7, 8 (reach 3)
OVERLAP = [(0, 1), (0, 2), (0, 3), (0, 4), (5, 1), (5, 2), (5, 3), (6, 7), (6, 8)]


def test_an_active_ambassador_makes_the_second_best_pick_optimal():
    g = _graph(9, OVERLAP)
    assert im.select_seeds(g, k=1, seed=0).picks.tolist() == [0]
    # only excluded, 0 no longer competes and the second-best single pick (5, reach 4) wins
    elig = np.ones(9, bool)
    elig[0] = False
    assert im.select_seeds(g, k=1, seed=0, eligible=elig).picks.tolist() == [5]
    # active: 0 already reaches 1..4, so 5 adds only itself (1) and 6 adds 3: 6 is optimal
    act = np.zeros(9, bool)
    act[0] = True
    sel = im.select_seeds(g, k=1, seed=0, active=act, eval_sets=50_000)
    assert sel.picks.tolist() == [6]
    assert sel.marginal_gain[0] == pytest.approx(3.0, rel=0.05)
    # k = 2 on top of 0: 6 (3) then 5 (1)
    two = im.select_seeds(g, k=2, seed=0, active=act, eval_sets=50_000)
    assert two.picks.tolist() == [6, 5] and two.reach == pytest.approx(4.0, rel=0.05)


def test_a_minimum_per_group_forces_a_group_in():
    # 0 -> 1, 2, 3 (reach 4) and 4 -> 5, 6 (reach 3) in group 0; 7 -> 8 (reach 2) in group 1
    g = _graph(9, [(0, 1), (0, 2), (0, 3), (4, 5), (4, 6), (7, 8)])
    group = np.array([0, 0, 0, 0, 0, 0, 0, 1, 1])
    caps = np.array([2, 2])
    assert im.select_seeds(g, k=2, seed=0, group=group, caps=caps).picks.tolist() == [0, 4]
    # at least one in each group: 0 first, then 4 would leave group 1 without a pick
    forced = im.select_seeds(g, k=2, seed=0, group=group, caps=caps, mins=np.array([1, 1]))
    assert forced.picks.tolist() == [0, 7]
    # a minimum in a group whose owners reach nobody else still gets its pick
    g2 = _graph(4, [(0, 1), (0, 2)])
    picks = im.select_seeds(g2, k=2, seed=0, group=np.array([0, 0, 0, 1]), caps=np.array([2, 2]),
                            mins=np.array([1, 1])).picks.tolist()
    assert picks == [0, 3]


def _tiny() -> Community:
    """a refers b (lead), c and h (delivered); d refers e (test drive) and f (lead); g refers i.

    Cities: a, b, c, d, e, f, h in Hefei; g, i in Wuhu.  Probabilities: weighted cascade on the
    referrals (one referrer per referee: p = 1), so reach is exact.
    """
    owners = pd.DataFrame({"owner_id": list("abcdefghi"),
                           "city": ["Hefei"] * 6 + ["Wuhu", "Hefei", "Wuhu"]})
    refs = pd.DataFrame({"referrer_id": ["a", "a", "a", "d", "d", "g"],
                         "referee_id": ["b", "c", "h", "e", "f", "i"],
                         "stage": ["lead", "delivered", "delivered", "test_drive", "lead", "order"],
                         "referred_at": ["2024-01-01"] * 6})
    return Community.from_frames({"owners": owners, "referrals": refs})


OPTS = {"probability": "wc", "mc_runs": 0, "seed": 0}


def test_named_segments_on_a_community():
    c = _tiny()
    # everybody: a reaches 4 (a, b, c, h), d 3, g 2
    assert im.ambassadors(c, k=1, **OPTS)["owner_id"].tolist() == ["a"]
    # prospects (not converted leads and test drives): b, e, f; d reaches two of them, a one
    df, info = im.ambassadors(c, k=1, reach_among="prospects", details=True, **OPTS)
    assert df["owner_id"].tolist() == ["d"] and info.segment == "prospects" and info.segment_owners == 3
    assert df["cumulative_reach"].iloc[0] == pytest.approx(2.0, rel=1e-9)
    # a city: in Wuhu only g's referral counts (g and i)
    df, info = im.ambassadors(c, k=1, reach_among="city:Wuhu", details=True, **OPTS)
    assert df["owner_id"].tolist() == ["g"] and info.segment_owners == 2
    # owner ids and a mask give the same segment
    ids = im.ambassadors(c, k=1, reach_among=["e", "f", "i"], **OPTS)
    mask = np.isin(c.owner_ids, ["e", "f", "i"])
    assert ids["owner_id"].tolist() == im.ambassadors(c, k=1, reach_among=mask, **OPTS)["owner_id"].tolist() == ["d"]
    # not reached by the current ambassador a: d, e, f, g, i; d reaches 3 of them
    df, info = im.ambassadors(c, k=1, active=["a"], reach_among="not_reached", details=True, **OPTS)
    assert df["owner_id"].tolist() == ["d"] and info.segment_owners == 5 and info.active == ("a",)
    with pytest.raises(ConfigError):
        im.ambassadors(c, k=1, reach_among="not_reached", **OPTS)  # needs active
    with pytest.raises(ConfigError):
        im.ambassadors(c, k=1, reach_among="planets", **OPTS)


def test_active_and_minimums_on_a_community():
    c = _tiny()
    # a active: its reach (a, b, c, h) is not counted again; d adds 3, g 2
    df, info = im.ambassadors(c, k=2, active=["a"], details=True, **OPTS)
    assert df["owner_id"].tolist() == ["d", "g"] and "a" not in set(df["owner_id"])
    assert df["marginal_gain"].tolist() == pytest.approx([3.0, 2.0], rel=0.05)
    assert info.active_reach == pytest.approx(4.0, rel=0.05)
    # k = 2 without a minimum: a (4) then d (3), both in Hefei; one per city forces Wuhu's g in
    assert im.ambassadors(c, k=2, **OPTS)["owner_id"].tolist() == ["a", "d"]
    df, info = im.ambassadors(c, k=2, min_per_city=1, details=True, **OPTS)
    assert df["owner_id"].tolist() == ["a", "g"] and info.constrained == "minimums" and info.notes == ()
    with pytest.raises(ConfigError):
        im.ambassadors(c, k=1, min_per_city=1, **OPTS)  # two cities need two picks
    with pytest.raises(ConfigError):
        im.ambassadors(c, k=4, min_per_city=2, per_city=1, **OPTS)


def test_monte_carlo_check_sized_by_precision_and_deterministic():
    rng = np.random.default_rng(1)
    n = 300
    src, dst = rng.integers(0, n, 1500), rng.integers(0, n, 1500)
    g = im.influence_graph(n, src, dst, np.full(1500, 0.15))
    a = im.mc_check(g, [0, 1, 2], precision=0.01, seed=3)
    assert a.runs >= im.MC_MIN_RUNS and a.precision == 0.01
    assert a.half_width <= 0.01 * a.mean or a.runs == im.MC_MAX_RUNS
    assert im.mc_check(g, [0, 1, 2], precision=0.01, seed=3) == a  # same seed, same runs and numbers
    loose = im.mc_check(g, [0, 1, 2], precision=0.2, seed=3)
    assert loose.runs <= a.runs
    fixed = im.mc_check(g, [0, 1, 2], runs=500, seed=3)
    assert fixed.runs == 500 and fixed.precision is None
    assert abs(fixed.mean - a.mean) < 3 * (fixed.half_width + a.half_width)
    # with active nodes: reach(seeds + active) - reach(active); on a deterministic graph exact
    d = _graph(9, OVERLAP)
    assert im.mc_check(d, [6], active=[0]).mean == pytest.approx(3.0)
    assert im.mc_check(d, [0], counted=np.isin(np.arange(9), [1, 2, 7])).mean == pytest.approx(2.0)


def test_costs_as_a_table_like_the_cli_file():
    c = _tiny()
    table = pd.DataFrame({"owner_id": ["a", "d", "g"], "cost": [5.0, 1.0, 1.0]})
    series = pd.Series([5.0, 1.0, 1.0], index=["a", "d", "g"])
    by_table = im.ambassadors(c, k=3, costs=table, budget=2.0, **OPTS)
    assert by_table["owner_id"].tolist() == im.ambassadors(c, k=3, costs=series, budget=2.0, **OPTS)[
        "owner_id"].tolist()
    assert "a" not in set(by_table["owner_id"])  # too dear for the budget
    with pytest.raises(ConfigError):
        im.ambassadors(c, k=1, costs=pd.DataFrame({"owner_id": ["a"]}), budget=1.0, **OPTS)


def test_cli_reach_among_active_and_minimums(tmp_path):
    import graphcrm
    from graphcrm.cli import cli

    c = _tiny()
    store = tmp_path / "s.duckdb"
    with graphcrm.open(str(store)) as cg:
        cg.load({"owners": c.tables["owners"].astype(object), "referrals": c.tables["referrals"].astype(object)})
    (tmp_path / "active.txt").write_text("a\n", encoding="utf-8")
    base = ["ambassadors", "--store", str(store), "--probability", "wc", "--mc-runs", "0", "--format", "csv"]
    res = CliRunner().invoke(cli, [*base, "-k", "1", "--reach-among", "prospects"])
    assert res.exit_code == 0, res.output
    assert "\n1,d," in res.stdout and "counted among prospects" in res.stderr
    res = CliRunner().invoke(cli, [*base, "-k", "2", "--active", str(tmp_path / "active.txt")])
    assert res.exit_code == 0, res.output
    rows = [ln.split(",")[1] for ln in res.stdout.strip().splitlines()[1:]]
    assert rows == ["d", "g"] and "on top of 1 active" in res.stderr
    res = CliRunner().invoke(cli, [*base, "-k", "2", "--min-per-city", "1"])
    assert [ln.split(",")[1] for ln in res.stdout.strip().splitlines()[1:]] == ["a", "g"]
    res = CliRunner().invoke(cli, [*base, "-k", "1", "--min-per-city", "1"])
    assert res.exit_code == 1 and "more than k=1" in res.output
