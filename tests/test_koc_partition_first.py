"""``kocs`` computes its circles partition before the engagement pairs (stop 24).

At 1,000,000 demo owners the partition's working set (the igraph graph and Leiden's, +2.7 GB)
came on top of the engagement pairs and interaction rows (+2.0 GB) and made the KOC step's
peak (docs/benchmarks.md, "1M owners: kocs, the report and the whole run (stop 24)").  The
order changes memory only: the bridging component reads the same memberships, so the table
is the one computed from the circles frame, and the partition is computed once.
"""
from __future__ import annotations

import pandas as pd
import pytest

import graphcrm.algorithms.circles as C
import graphcrm.algorithms.koc as K
from graphcrm.community import Community
from graphcrm.demo import generate_demo


@pytest.fixture(scope="module")
def tables():
    return generate_demo(1_500, seed=4)[0]


def test_partition_before_pairs_and_computed_once(tables, monkeypatch):
    calls = []
    ids, pairs = C.circle_ids, K.engagement_pairs
    monkeypatch.setattr(C, "circle_ids", lambda *a, **k: (calls.append("circles"), ids(*a, **k))[1])
    monkeypatch.setattr(K, "engagement_pairs", lambda *a, **k: (calls.append("pairs"), pairs(*a, **k))[1])
    c = Community(tables)
    K.kocs(c)
    assert calls == ["circles", "pairs"]
    assert c.memo_stats["circle_partition"]["computed"] == 1


def test_same_table_as_from_the_circles_frame(tables):
    a = K.kocs(Community(tables))
    c = Community(tables)
    b = K.kocs(c, circles_frame=C.circles(c)[["owner_id", "circle"]])
    pd.testing.assert_frame_equal(a, b)
    assert (a["bridging"] > 0).any()


def test_no_interactions_no_partition(tables, monkeypatch):
    calls = []
    ids = C.circle_ids
    monkeypatch.setattr(C, "circle_ids", lambda *a, **k: (calls.append("circles"), ids(*a, **k))[1])
    t = dict(tables)
    t["interactions"] = t["interactions"].iloc[:0]
    k = K.kocs(Community(t))
    assert calls == [] and (k["bridging"] == 0).all()
