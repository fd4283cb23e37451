"""The KOC table of the community as known at a date, from the community's own interaction rows
(algorithms.koc.koc_table_until): the same table as ``koc_table`` on the window community
``Community(tables, until=t)`` that movement's earlier KOCs built before, on a small hand-checked
graph with every row the window leaves out, and on a demo community at several dates."""
from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from graphcrm.algorithms.circles import circles
from graphcrm.algorithms.koc import koc_table, koc_table_until, kocs
from graphcrm.algorithms.movement import earlier_kocs
from graphcrm.community import Community
from graphcrm.demo import generate_demo
from graphcrm.errors import ConfigError

T = pd.Timestamp("2024-03-31 23:59:59")


def _opts(**over):
    o = {k: p.default for k, p in inspect.signature(kocs).parameters.items() if k not in ("community", "details")}
    o.update(over)
    return o


def _frame(ids, circle=0):
    return pd.DataFrame({"owner_id": ids, "circle": circle})


@pytest.fixture()
def hand():
    """a, b, c, d engage one another before T; e joined after T; f's join date is unknown.

    Left out by the window at T: the interactions after T (b -> a on 2024-04-02), an undated
    interaction (c -> a), those on a post created after T (d -> p_late of a), those by or on
    e (joined after T), a self-engagement (a -> a); kept: those on an undated post (b -> p_nodate
    of c) and by f (joined date unknown).  One referral a -> b before T and one a -> c after T.
    """
    owners = pd.DataFrame({
        "owner_id": ["a", "b", "c", "d", "e", "f"],
        "joined_at": pd.to_datetime(["2023-01-01", "2023-02-01", "2023-03-01", "2023-04-01", "2024-04-10", None]),
        "is_staff": [False, False, False, False, False, False],
    })
    posts = pd.DataFrame({
        "post_id": ["pa", "pb", "pc", "p_late", "p_nodate", "pe"],
        "author_id": ["a", "b", "c", "a", "c", "e"],
        "created_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-04-05", None, "2024-04-11"]),
    })
    rows = [  # engager, post, kind, when
        ("b", "pa", "like", "2024-02-01"), ("c", "pa", "comment", "2024-02-02"), ("d", "pa", "share", "2024-03-01"),
        ("a", "pb", "like", "2024-02-03"), ("c", "pb", "like", "2024-02-04"), ("a", "pc", "like", "2024-02-05"),
        ("b", "pc", "reply", "2024-03-05"), ("d", "pc", "like", "2024-03-06"), ("f", "pa", "like", "2024-03-07"),
        ("f", "pb", "comment", "2024-03-08"), ("b", "p_nodate", "like", "2024-03-09"),
        ("b", "pa", "like", "2024-04-02"),      # after T
        ("c", "pa", "like", None),              # undated
        ("d", "p_late", "share", "2024-04-06"),  # post created after T
        ("e", "pa", "like", "2024-03-10"),      # by an owner who joined after T
        ("a", "pe", "like", "2024-04-12"),      # on a post of an owner who joined after T
        ("a", "pa", "like", "2024-03-11"),      # self-engagement
    ]
    inter = pd.DataFrame(rows, columns=["owner_id", "post_id", "kind", "created_at"])
    inter["created_at"] = pd.to_datetime(inter["created_at"])
    refs = pd.DataFrame({"referrer_id": ["a", "a"], "referee_id": ["b", "c"],
                         "referred_at": pd.to_datetime(["2023-02-01", "2024-04-03"]),
                         "stage": ["delivered", "delivered"]})
    # the constructor, not from_frames: the loader would reject the undated rows the window must leave out
    return Community({"owners": owners, "posts": posts, "interactions": inter, "referrals": refs})


def test_hand_graph_equals_the_window_community(hand):
    opts = _opts(min_distinct_engagers=1, min_distinct_days=1, circles_frame=_frame(list("abcdef")))
    got = koc_table_until(hand, T, **opts)
    want = koc_table(Community(hand.tables, until=T), **opts)
    pd.testing.assert_frame_equal(got, want)
    # by hand: e is not an owner yet; a is engaged by b, c, d, f on 4 days (not b's late like,
    # c's undated one, e's); b by a, c, f; c by a, b, d (b on the undated post)
    k = got.set_index("owner_id")
    assert "e" not in k.index and len(k) == 5
    assert k.loc["a", "reach"] == 4 and k.loc["a", "active_days"] == 4
    assert k.loc["b", "reach"] == 3 and k.loc["c", "reach"] == 3 and k.loc["d", "reach"] == 0
    # the referral after T does not count: a has one conversion (b) at T
    assert k.loc["a", "conversion"] == 1.0


def test_the_same_at_every_date_and_option(hand):
    frame = _frame(list("abcdef"), circle=[0, 0, 1, 1, 2, 2])
    for t in ["2024-02-01", "2024-03-06 12:00", T, "2024-04-06", "2024-05-01", "2022-01-01"]:
        for over in ({}, {"half_life_days": None, "bridging": "entropy"}, {"include_staff": True, "top": 2}):
            opts = _opts(min_distinct_engagers=1, min_distinct_days=1, circles_frame=frame, **over)
            got = koc_table_until(hand, pd.Timestamp(t), **opts)
            want = koc_table(Community(hand.tables, until=pd.Timestamp(t)), **opts)
            pd.testing.assert_frame_equal(got, want)


def test_not_this_way_without_a_circles_frame_and_options_checked(hand):
    assert koc_table_until(hand, T, **_opts()) is None  # the window's own partition needs its graph
    with pytest.raises(ConfigError):
        koc_table_until(hand, T, **_opts(damping=1.5, circles_frame=_frame(list("abcdef"))))
    with pytest.raises(ConfigError):
        koc_table_until(hand, T, **_opts(closed_group_discount=2, circles_frame=_frame(list("abcdef"))))


@pytest.fixture(scope="module")
def demo():
    return Community(generate_demo(2_000, seed=3)[0])


@pytest.mark.parametrize("days", [0, 7, 30, 120])
def test_demo_equals_the_window_community(demo, days):
    t = pd.Timestamp(demo.as_of) - pd.Timedelta(days=days)
    opts = _opts(circles_frame=circles(demo)[["owner_id", "circle"]])
    got = koc_table_until(demo, t, **opts, reasons=False)
    want = koc_table(Community(demo.tables, until=t), **opts, reasons=False)
    assert (got["score"] > 0).sum() > 100
    pd.testing.assert_frame_equal(got, want)


def test_earlier_kocs_build_no_window_community_with_todays_circles(demo):
    c = Community(demo.tables)
    got = earlier_kocs(c, compare_circles=False)
    assert "movement:until" not in c.memo_stats  # no window community was built
    then = Community(demo.tables, until=pd.Timestamp(c.as_of) - pd.Timedelta(days=30))
    k = kocs(then, circles_frame=circles(c)[["owner_id", "circle"]])
    want = k.loc[k["score"] > 0, ["owner_id", "rank", "score", "qualified"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)
    assert np.array_equal(got["rank"].to_numpy(), np.arange(1, len(got) + 1))
