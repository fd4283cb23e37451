"""The volunteers' ``helping`` feature through positions equals the merge-and-compare formula."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import graphcrm.algorithms.volunteers as V
from graphcrm.community import Community
from graphcrm.demo import generate_demo


def _merge_formula(community: Community, n: int) -> np.ndarray:
    """The code before stop 22, kept as the reference."""
    t = community.tables
    posts = t["posts"][["post_id", "author_id"]]
    inter = t["interactions"]
    inter = inter[inter["kind"].astype(str).isin(["comment", "reply"])]
    inter = inter.merge(posts, on="post_id", how="inner")
    inter = inter[inter["owner_id"].astype(object) != inter["author_id"].astype(object)]
    hp = V._positions(community, inter["owner_id"])
    return np.bincount(hp[hp >= 0], minlength=n).astype(float)


def test_helping_by_hand():
    owners = pd.DataFrame({"owner_id": ["a", "b", "c"]})
    posts = pd.DataFrame({"post_id": ["pa", "pb"], "author_id": ["a", "b"], "created_at": "2024-01-01"})
    # b comments twice on a's post and replies once on its own (not counted); c likes a's post
    # (not a comment) and replies on b's post; a comments on its own post (not counted)
    inter = pd.DataFrame({"owner_id": ["b", "b", "b", "c", "c", "a"], "post_id": ["pa", "pa", "pb", "pa", "pb", "pa"],
                          "kind": ["comment", "comment", "reply", "like", "reply", "comment"],
                          "created_at": pd.date_range("2024-01-02", periods=6, freq="h")})
    com = Community.from_frames({"owners": owners, "posts": posts, "interactions": inter})
    assert V._helping(com, 3).tolist() == [0.0, 2.0, 1.0]
    assert np.array_equal(V._helping(com, 3), _merge_formula(com, 3))


@pytest.mark.parametrize("seed", [1, 2])
def test_helping_equals_merge_on_demo(seed):
    tables, _truth = generate_demo(1_500, seed=seed)
    com = Community(tables)
    n = len(com.owner_ids)
    got = V._helping(com, n)
    assert np.array_equal(got, _merge_formula(com, n)) and got.sum() > 0
    # and on a time window (its own, filtered tables)
    win = Community(tables, until=pd.Timestamp(com.as_of) - pd.Timedelta(days=120))
    assert np.array_equal(V._helping(win, n), _merge_formula(win, n))
