"""The weekly job tells the memo its plan (graphcrm.reports.prefetch.Ahead.READ_LATER,
graphcrm.community.Community.expect): the table matches what the steps really read, and under a
tight budget the job computes the combined graph and the cleaned referrals once, with the same
results."""
from __future__ import annotations

from collections import defaultdict

import pandas as pd
import pytest

import graphcrm
from graphcrm.community import MEMO_BUDGET_ENV, Community
from graphcrm.demo import generate_demo
from graphcrm.reports.prefetch import Ahead

#: graphcrm run's steps up to ambassadors (graphcrm.commands.run.WEEKLY), with the bench's options
STEPS = [("kocs", {}), ("circles", {"seed": 0}), ("circle_profiles", {}), ("referral_chains", {}),
         ("referral_attribution", {}), ("top_referrers", {}), ("referral_issues", {})]


@pytest.fixture(scope="module")
def demo():
    return generate_demo(1500, seed=1)[0]


def _job(demo, monkeypatch, budget: str, *, plan: bool, record: list | None = None):
    """The job's steps as graphcrm run --jobs 1 calls them (Ahead.before / after around each),
    with the memo's budget; ``record`` collects (step, memo name) of every memo call."""
    monkeypatch.setenv(MEMO_BUDGET_ENV, budget)
    if not plan:
        monkeypatch.setattr(Ahead, "READ_LATER", {})
    cg = graphcrm.open(":memory:")
    cg.load(demo)
    c = cg.community()
    where = ["community"]
    if record is not None:
        orig = Community.memo

        def memo(self, name, options, compute, *, key=None):
            record.append((where[0], name))
            return orig(self, name, options, compute, key=key)

        monkeypatch.setattr(Community, "memo", memo)
    ahead = Ahead(cg, seed=0, ambassadors_k=10, jobs=1)
    out = {}
    for name, opts in STEPS:
        where[0] = name
        ahead.before(name)
        out[name] = getattr(cg, name)(**opts)
        for label, fn in ahead.in_process(name):  # the report's ties between circles, after circle_profiles
            where[0] = label
            fn()
    ahead.before("ambassadors")
    expected_then = set(c._expected)
    monkeypatch.undo()
    stats = {k: dict(v) for k, v in c.memo_stats.items()}
    cg.close()
    return out, stats, expected_then


def test_the_plan_is_what_the_steps_read(demo, monkeypatch):
    calls: list[tuple[str, str]] = []
    _, _, expected_then = _job(demo, monkeypatch, "none", plan=True, record=calls)
    order = [n for n, _ in STEPS]
    pos = {n: i for i, n in enumerate(order)}
    pos["report:circle_ties"] = pos["circle_profiles"] + 0.5
    first: dict[str, str] = {}
    for step, name in calls:
        first.setdefault(name, step)
    # READ_LATER[x]: the intermediates a step from x on reads that a step up to x computed
    derived: dict[str, set[str]] = defaultdict(set)
    for step, name in calls:
        made = first[name]
        if name.startswith("result:") or made == step or made not in pos:
            continue
        for x in order:
            if pos[made] <= pos[x] <= pos[step]:
                derived[x].add(name)
    assert {x: set(v) for x, v in Ahead.READ_LATER.items()} == {x: v for x, v in derived.items() if v}
    assert expected_then == set()  # nothing is held into ambassadors for the plan's sake


def test_a_tight_budget_computes_the_shared_intermediates_once_with_the_plan(demo, monkeypatch):
    free, free_stats, _ = _job(demo, monkeypatch, "none", plan=True)
    # 0.9 MiB: the 1,500-owner demo's intermediates do not all fit (about 2.6 MiB after kocs)
    planned, stats, _ = _job(demo, monkeypatch, "0.9", plan=True)
    unplanned, old_stats, _ = _job(demo, monkeypatch, "0.9", plan=False)
    for name, df in free.items():
        pd.testing.assert_frame_equal(planned[name], df, obj=name)
        pd.testing.assert_frame_equal(unplanned[name], df, obj=name)
    assert not any(s["recomputed"] for s in free_stats.values())
    shared = ("combined_graph", "clean_referrals")
    assert sum(old_stats[n]["computed"] for n in shared) > len(shared)  # without the plan: built again
    assert all(stats[n]["computed"] == 1 for n in shared), {n: stats[n] for n in shared}
