"""The report's circles section over what the weekly job computed (issue 13, stop 25).

At 1,000,000 owners the report rebuilt the 45.5M-tie combined graph and both projections after
``targets``: for a ``circle_profiles`` call with the report's own frames (the same table as the
job's default ``circle_profiles`` step) and for the ties between drawn circles.  Now the section
reads the job's table when it is the same call, and the job computes the ties while it holds
the projections (:func:`graphcrm.reports.html.circle_ties_ahead`, from ``Ahead.after``).
"""
from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

import graphcrm
from graphcrm.community import Community
from graphcrm.reports import html as rh


def test_drawn_circles_by_hand():
    real = pd.DataFrame({"circle": [0, 1, 2, 3, 4], "size": [5, 1, 3, 3, 7]})
    assert rh._drawn_circles(real)["circle"].tolist() == [4, 0, 2, 3]  # size first, then circle; no singleton
    ones = pd.DataFrame({"circle": [2, 1], "size": [1, 1]})
    assert rh._drawn_circles(ones)["circle"].tolist() == [1, 2]  # only singletons: drawn all the same


def test_memberships_by_hand():
    c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a", "b", "c"]})})
    circ = pd.DataFrame({"owner_id": ["c", "a"], "circle": [4, 1]})
    assert rh._memberships(c, circ).tolist() == [1, -1, 4]


def test_profiles_as_default_only_for_the_default_call():
    assert rh._profiles_as_default(SimpleNamespace(segment=None, seed=0), True)
    assert not rh._profiles_as_default(SimpleNamespace(segment=None, seed=1), True)  # another partition
    assert not rh._profiles_as_default(SimpleNamespace(segment=object(), seed=0), True)
    assert not rh._profiles_as_default(SimpleNamespace(segment=None, seed=0), False)  # no KOC leaders


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_default_profiles_equal_the_section_s_call(lang):
    """circle_profiles with its defaults is the section's call with the report's frames."""
    from graphcrm.algorithms.circles import circle_profiles, circles
    from graphcrm.algorithms.koc import kocs
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1500, seed=4)
    c = Community(tables)
    circ, k = circles(c, seed=0, lang=lang), kocs(c, lang=lang)
    section = circle_profiles(c, circles_frame=circ.drop(columns=["reason"]), kocs_frame=k[["owner_id", "score"]],
                              circle_options={"seed": 0}, lang=lang)
    pd.testing.assert_frame_equal(circle_profiles(c, lang=lang), section)
    assert (section["leaders"].astype(str) != "").any()


def _store(path, tables):
    cg = graphcrm.open(path)
    cg.load(tables)
    return cg


def test_report_reads_the_job_s_circle_pieces(tmp_path, monkeypatch):
    """After the job's circles, circle_profiles and circle_ties_ahead the circles section
    computes neither the profiles nor the ties nor a projection; its CSV files are byte-equal
    to those of the section's own calls (the path before this change)."""
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1500, seed=6)
    cg = _store(tmp_path / "new.duckdb", tables)
    cg.kocs()
    cg.circles(seed=0)
    cg.circle_profiles()
    assert rh.circle_ties_ahead(cg, seed=0)
    c = cg.community()
    before = {k: dict(v) for k, v in c.memo_stats.items()}
    cg.report(tmp_path / "new" / "r.html", seed=0, sections=["kocs", "circles"])
    stats = c.memo_stats
    for name in ("result:circle_profiles", "result:report_circle_ties", "edges:interactions", "edges:coattendance",
                 "combined_graph"):
        assert stats.get(name, {}).get("computed", 0) == before.get(name, {}).get("computed", 0), name
    assert stats["result:report_circle_ties"]["hits"] > before["result:report_circle_ties"]["hits"]
    cg.close()

    monkeypatch.setattr(rh, "_profiles_as_default", lambda ctx, leaders: False)  # the section's own calls
    old = _store(tmp_path / "old.duckdb", tables)
    old.report(tmp_path / "old" / "r.html", seed=0, sections=["kocs", "circles"])
    old.close()
    for name in ("circles", "circle_members", "circle_ties"):
        a = (tmp_path / "new" / "r-csv" / f"{name}.csv").read_bytes()
        b = (tmp_path / "old" / "r-csv" / f"{name}.csv").read_bytes()
        assert a == b, name
    assert len(pd.read_csv(tmp_path / "new" / "r-csv" / "circle_ties.csv", encoding="utf-8-sig")) > 0


def test_no_ties_ahead_for_another_seed(tmp_path):
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1000, seed=1)
    cg = _store(tmp_path / "s.duckdb", tables)
    assert not rh.circle_ties_ahead(cg, seed=3)
    assert "result:report_circle_ties" not in cg.community().memo_stats
    cg.close()


def test_in_process_pieces_of_a_one_process_job(tmp_path):
    """Ahead.in_process: the circle ties after circle_profiles, the backtest and the movement
    tables after ambassadors (no worker); computed there, the report's calls find them (nothing
    computed again)."""
    from graphcrm.demo import generate_demo
    from graphcrm.reports.prefetch import Ahead

    tables, _ = generate_demo(1000, seed=2)
    cg = _store(tmp_path / "s.duckdb", tables)
    ahead = Ahead(cg, seed=0, ambassadors_k=5, jobs=1)
    assert [label for label, _ in ahead.in_process("circle_profiles")] == ["report:circle_ties"]
    assert [label for label, _ in ahead.in_process("ambassadors")] == ["report:backtest", "report:movement"]
    assert ahead.in_process("kocs") == []
    ran = []
    ahead.after("ambassadors", run=lambda label, fn: (ran.append(label), fn()))
    assert ran == ["report:backtest", "report:movement"]
    c = cg.community()
    for name in ("result:backtest", "result:movement", "result:rising_stars", "result:level_transitions",
                 "movement:kocs_then"):
        assert c.memo_stats[name]["computed"] == 1, name
    before = {k: dict(v) for k, v in c.memo_stats.items()}
    cg.report(tmp_path / "r.html", seed=0, ambassadors_k=5, sections=["movement", "backtest"])
    for name in ("result:backtest", "exposures", "result:movement", "result:rising_stars", "result:level_transitions",
                 "movement:kocs_then", "movement:core"):
        assert c.memo_stats[name]["computed"] == before[name]["computed"], name
    ahead.early = ahead.late = object()  # workers compute them: nothing in this process
    assert ahead.in_process("ambassadors") == []
    ahead.early = ahead.late = None
    ahead.close()
    cg.close()
