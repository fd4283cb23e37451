"""The earlier period's KOC ranks of movement (algorithms.movement.earlier_kocs): kept in the
community's cache, computed without the KOC table's reasons, equal to the scored rows of
``kocs`` on the community as known at the end of the earlier period (what movement used before)."""
from __future__ import annotations

import pandas as pd
import pytest

from graphcrm.algorithms.circles import circles
from graphcrm.algorithms.koc import koc_table, kocs
from graphcrm.algorithms.movement import earlier_kocs, movement
from graphcrm.community import Community
from graphcrm.demo import generate_demo


@pytest.fixture(scope="module")
def tables():
    return generate_demo(1_500, seed=4)[0]


@pytest.mark.parametrize("compare_circles", [False, True])
def test_earlier_kocs_are_the_scored_kocs_of_the_earlier_window(tables, compare_circles):
    c = Community(tables)
    got = earlier_kocs(c, compare_circles=compare_circles)
    then = Community(tables, until=pd.Timestamp(c.as_of) - pd.Timedelta(days=30))
    opts = {"circles_frame": circles(c)[["owner_id", "circle"]]} if not compare_circles else {"circle_options": None}
    k = kocs(then, **opts)
    want = k.loc[k["score"] > 0, ["owner_id", "rank", "score", "qualified"]].reset_index(drop=True)
    assert len(want) > 50
    pd.testing.assert_frame_equal(got, want)
    # kept: movement with the same options reads it, nothing computed again
    before = dict(c.memo_stats["movement:kocs_then"])
    m = movement(c, compare_circles=compare_circles)
    assert c.memo_stats["movement:kocs_then"]["computed"] == before["computed"]
    ranked = m.dropna(subset=["koc_rank_then"]).set_index("owner_id")["koc_rank_then"].astype(int)
    assert ranked.to_dict() == want.set_index("owner_id")["rank"].reindex(ranked.index).to_dict()


def test_koc_table_without_reasons_is_the_table_without_its_reason_column(tables):
    c = Community(tables)
    full = kocs(c, bridging="entropy", min_distinct_days=1)
    import inspect

    opts = {k: p.default for k, p in inspect.signature(kocs).parameters.items() if k not in ("community", "details")}
    opts.update(bridging="entropy", min_distinct_days=1)
    pd.testing.assert_frame_equal(koc_table(c, **opts, reasons=False), full.drop(columns="reason"))
