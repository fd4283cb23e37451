"""The combined graph's merge of its two layers equals the sort of their concatenation.

``_merge_sums`` (stop 22) replaced ``_sum_by_key`` over the concatenated layers in
``_combined_graph``: the same union of keys in the same order and the same sums to the last bit.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import graphcrm.algorithms.circles as C
from graphcrm.community import Community


@pytest.mark.parametrize("seed", range(5))
def test_merge_equals_stable_sort_of_concatenation(seed):
    rng = np.random.default_rng(seed)
    ka = np.unique(rng.integers(0, 3000, 1200))
    kb = np.unique(rng.integers(0, 3000, 900))
    wa, wb = rng.random(len(ka)) * 7, rng.random(len(kb)) / 3
    ref_k, ref_w = C._sum_by_key(np.concatenate([ka, kb]), np.concatenate([wa, wb]), kind="stable")
    k, w = C._merge_sums(ka, wa, kb, wb)
    assert np.array_equal(k, ref_k) and np.array_equal(w, ref_w)
    assert 0 < np.isin(kb, ka).sum() < len(kb)  # keys in both and keys in one only


def test_merge_by_hand_and_edges():
    k, w = C._merge_sums(np.array([2, 5, 9]), np.array([1.0, 2.0, 3.0]), np.array([1, 5, 10]), np.array([10.0, 20.0, 30.0]))
    assert k.tolist() == [1, 2, 5, 9, 10] and w.tolist() == [10.0, 1.0, 22.0, 3.0, 30.0]
    k, w = C._merge_sums(np.array([3]), np.array([1.0]), np.zeros(0, dtype=np.int64), np.zeros(0))
    assert k.tolist() == [3] and w.tolist() == [1.0]
    k, w = C._merge_sums(np.zeros(0, dtype=np.int64), np.zeros(0), np.array([4, 8]), np.array([1.0, 2.0]))
    assert k.tolist() == [4, 8] and w.tolist() == [1.0, 2.0]


def test_combined_graph_two_layers_by_hand():
    # a-b share an event and b engages a; c-d share an event only; d engages e only
    owners = pd.DataFrame({"owner_id": list("abcde")})
    events = pd.DataFrame({"event_id": ["e1", "e2"], "starts_at": ["2024-01-01", "2024-01-02"]})
    att = pd.DataFrame({"event_id": ["e1", "e1", "e2", "e2"], "owner_id": ["a", "b", "c", "d"]})
    posts = pd.DataFrame({"post_id": ["pa", "pe"], "author_id": ["a", "e"], "created_at": "2024-01-01"})
    inter = pd.DataFrame({"owner_id": ["b", "d"], "post_id": ["pa", "pe"], "kind": ["like", "like"],
                          "created_at": "2024-01-03"})
    com = Community.from_frames({"owners": owners, "events": events, "attendance": att, "posts": posts,
                                 "interactions": inter})
    u, v, w = C._combined_graph(com, C._layer_weights(None), None, 150)
    # each layer divided by its mean edge weight (1 and 1): a-b in both layers weighs 2
    assert list(zip(u.tolist(), v.tolist(), w.tolist())) == [(0, 1, 2.0), (2, 3, 1.0), (3, 4, 1.0)]


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint32])
def test_pair_keys_equal_the_int64_formula(dtype):
    # stop 24: min/max in the ends' own type, widened once - the keys of int64 copies of both ends
    rng = np.random.default_rng(7)
    n = 2_000_003  # keys past 2**32: the widening must come before the product
    s = rng.integers(0, n, 5000).astype(dtype)
    t = rng.integers(0, n, 5000).astype(dtype)
    s64, t64 = s.astype(np.int64), t.astype(np.int64)
    key = C._pair_keys(s, t, n)
    assert key.dtype == np.int64
    assert np.array_equal(key, np.minimum(s64, t64) * n + np.maximum(s64, t64))
    assert key.max() > 2 ** 32
    assert C._pair_keys(np.array([3], dtype=dtype), np.array([1], dtype=dtype), 10).tolist() == [13]


def test_merge_taken_empties_the_list_and_equals_merge_sums():
    rng = np.random.default_rng(3)
    ka, kb = np.unique(rng.integers(0, 500, 200)), np.unique(rng.integers(0, 500, 150))
    wa, wb = rng.random(len(ka)), rng.random(len(kb))
    ref = C._merge_sums(ka, wa, kb, wb)
    arrays = [ka.copy(), wa.copy(), kb.copy(), wb.copy()]
    k, w = C._merge_taken(arrays)
    assert arrays == []  # the caller's list no longer holds the inputs
    assert np.array_equal(k, ref[0]) and np.array_equal(w, ref[1])


def test_aggregate_with_32_bit_groups_by_hand():
    # groups {0, 1} and {2}: the tie 0-1 is inside group 0 (a self-loop), 1-2 and 0-2 go between
    grp = np.array([0, 0, 1], dtype=np.int64)
    eu, ev = np.array([0, 1, 0], dtype=np.int32), np.array([1, 2, 2], dtype=np.int32)
    au, av, aw, ties = C._aggregate(grp, 2, eu, ev, np.array([1.0, 2.0, 4.0]))
    assert list(zip(au.tolist(), av.tolist(), aw.tolist(), ties.tolist())) == [(0, 0, 1.0, 1.0), (0, 1, 6.0, 2.0)]


def test_partition_entry_does_not_hold_the_combined_graph():
    # stop 24: the cached partition holds the memberships and facts only; the combined graph is
    # its own entry, so the memo does not count (and keep) its arrays twice
    from graphcrm.community import held_bytes
    from graphcrm.demo import generate_demo

    c = Community(generate_demo(1_500, seed=2)[0])
    table = C.circles(c)
    entries = {k: v for k, v in c._memo.items() if k.startswith(("circle_partition", "combined_graph"))}
    part = next(v for k, v in entries.items() if k.startswith("circle_partition"))
    graph = next(v for k, v in entries.items() if k.startswith("combined_graph"))
    assert len(part) == 2 and isinstance(part[1], dict)
    assert not any(x is y for x in part for y in graph)
    assert held_bytes(part) < held_bytes(graph)
    # circles and circle_ids read the same partition (computed once) and the same graph
    assert np.array_equal(C.circle_ids(c), table.set_index("owner_id")["circle"].reindex(c.owner_ids).to_numpy())
    assert c.memo_stats["circle_partition"]["computed"] == 1 and c.memo_stats["combined_graph"]["computed"] == 1
