"""The KOC step's array paths give exactly what the plain pandas / numpy formulas give.

The pair sums, the mutual look-up, the closed-group closure, the active days and the PageRank
graph are computed by faster paths (stop 22, docs/benchmarks.md "kocs, circles and volunteers");
these tests hold them to the straightforward formulas they replaced, bit for bit, on random
communities with repeated pairs and mutual pairs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import graphcrm.algorithms.koc as K
from graphcrm.community import Community


def _random_frames(seed: int, n: int = 60, m: int = 1500) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = [f"o{i:03d}" for i in range(n)]
    owners = pd.DataFrame({"owner_id": ids})
    authors = rng.integers(0, n, size=n)
    posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(n)], "author_id": [ids[a] for a in authors],
                          "created_at": "2024-02-01"})
    # few owners and many rows: repeated pairs, many mutual pairs, small closed groups
    eng = rng.integers(0, n, size=m)
    post = rng.integers(0, n, size=m)
    t = pd.Timestamp("2024-02-20") + pd.to_timedelta(rng.integers(0, 40 * 24 * 3600, size=m), unit="s")
    inter = pd.DataFrame({"owner_id": [ids[e] for e in eng], "post_id": [f"p{p}" for p in post],
                          "kind": rng.choice(["like", "comment", "share", "favorite"], size=m),
                          "created_at": t})
    return {"owners": owners, "posts": posts, "interactions": inter}


def _old_pairs(key: np.ndarray, w: np.ndarray, n: int):
    uniq, inv = np.unique(key, return_inverse=True)
    pw, pc = np.bincount(inv, weights=w), np.bincount(inv)
    pe, pa = uniq // n, uniq % n
    rev = pa * n + pe
    pos = np.minimum(np.searchsorted(uniq, rev), len(uniq) - 1)
    return uniq, pw, pc, uniq[pos] == rev


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pair_sums_and_mutual_equal_unique_bincount(seed):
    rng = np.random.default_rng(seed)
    n = 40
    e, a = rng.integers(0, n, 5000), rng.integers(0, n, 5000)
    keep = e != a
    key, w = e[keep] * n + a[keep], rng.random(int(keep.sum())) * 10.0 ** rng.integers(-3, 4, int(keep.sum()))
    uniq, pw, pc, mutual = _old_pairs(key, w, n)
    u2, pw2, pc2 = K._pair_sums(key, w)
    assert np.array_equal(uniq, u2) and np.array_equal(pc, pc2)
    assert np.array_equal(pw, pw2)  # the same additions in the same order: equal to the last bit
    m2 = K._reverse_present(u2, (u2 % n) * n + u2 // n)
    assert np.array_equal(mutual, m2) and mutual.any() and not mutual.all()


def test_pair_sums_small_cases():
    u, w, c = K._pair_sums(np.array([5, 3, 5, 5]), np.array([1.0, 2.0, 3.0, 4.0]))
    assert u.tolist() == [3, 5] and w.tolist() == [2.0, 8.0] and c.tolist() == [1, 3]
    u, w, c = K._pair_sums(np.zeros(0, dtype=np.int64), np.zeros(0))
    assert len(u) == len(w) == len(c) == 0
    # n = 10, keys e * 10 + a: (0,1)+(1,0) and (4,7)+(7,4) are mutual, (2,3) and (9,8) are not
    uniq = np.array([1, 10, 23, 47, 74, 98])
    rev = (uniq % 10) * 10 + uniq // 10
    assert K._reverse_present(uniq, rev).tolist() == [True, True, False, True, True, False]
    assert K._reverse_present(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)).tolist() == []


def _old_engagement_pairs(community: Community, half_life_days, discount=0.9, max_group=50) -> pd.DataFrame:
    """The code before stop 22 (np.unique, random-order searchsorted, lexsort), kept as the reference."""
    n = len(community.owner_ids)
    e, a, rows = K._interaction_rows(community)
    w = K.interaction_weights(community.tables["interactions"], half_life_days=half_life_days,
                              as_of=community.as_of)[rows]
    uniq, pw, pc, mutual = _old_pairs(e * n + a, w, n)
    pe, pa = uniq // n, uniq % n
    out_w = np.bincount(pe, weights=pw, minlength=n)
    out_mutual = np.bincount(pe, weights=np.where(mutual, pw, 0.0), minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        closed = np.where(out_w > 0, out_mutual / out_w, 0.0)
    c = closed[pe]
    closure = np.zeros(len(pe))
    me, ma = pe[mutual], pa[mutual]
    order = np.lexsort((ma, me))
    me, ma = me[order], ma[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(me, minlength=n), out=indptr[1:])
    common = K._common_partners(indptr, ma, me, ma, max_group)
    deg = np.maximum(indptr[me + 1] - indptr[me], indptr[ma + 1] - indptr[ma])
    g = np.where(common >= 0, (common + 1) / np.maximum(deg, 1), 0.0)
    closure[np.flatnonzero(mutual)[order]] = g
    factor = np.round(1.0 - discount * c * closure, 12)
    return pd.DataFrame({"e": pe, "a": pa, "weight": pw, "count": pc, "mutual": mutual,
                         "closedness": c, "closure": np.round(closure, 12), "factor": factor})


@pytest.mark.parametrize("seed,half_life", [(0, None), (1, 90.0), (2, 7.0)])
def test_engagement_pairs_equal_reference(seed, half_life):
    com = Community.from_frames(_random_frames(seed))
    new = K.engagement_pairs(com, half_life_days=half_life)
    old = _old_engagement_pairs(com, half_life)
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    assert new["mutual"].any() and (new["closure"] > 0).any() and (new["count"] > 1).any()


def _old_active_days(community: Community, n: int) -> np.ndarray:
    _e, a, rows = K._interaction_rows(community)
    day = pd.to_datetime(community.tables["interactions"]["created_at"].iloc[rows]).dt.floor("D")
    ok = day.notna().to_numpy()
    a = a[ok]
    d = ((day[ok] - pd.Timestamp("1970-01-01")) // pd.Timedelta(days=1)).to_numpy(np.int64)
    d = d - d.min()
    span = int(d.max()) + 1
    return np.bincount(np.unique(a * span + d) // span, minlength=n).astype(np.int64)


@pytest.mark.parametrize("seed", [0, 3])
def test_active_days_equal_pandas_floor(seed):
    frames = _random_frames(seed)
    com = Community.from_frames(frames)
    n = len(com.owner_ids)
    got = K._active_days(com, n)
    assert np.array_equal(got, _old_active_days(com, n))
    assert got.max() > 1


def test_active_days_by_hand_across_midnight():
    owners = pd.DataFrame({"owner_id": ["a", "b", "c"]})
    posts = pd.DataFrame({"post_id": ["pa"], "author_id": ["a"], "created_at": "2024-01-01"})
    # b engages a late on 31 Jan and early on 1 Feb (two days), c twice on 1 Feb (one more day
    # already counted)
    inter = pd.DataFrame({"owner_id": ["b", "b", "c", "c"], "post_id": ["pa"] * 4, "kind": ["like"] * 4,
                          "created_at": pd.to_datetime(["2024-01-31 23:59", "2024-02-01 00:01",
                                                        "2024-02-01 08:00", "2024-02-01 20:00"])})
    com = Community.from_frames({"owners": owners, "posts": posts, "interactions": inter})
    assert K._active_days(com, 3).tolist() == [2, 0, 0]


def test_authority_equal_list_built_graph():
    import igraph as ig

    com = Community.from_frames(_random_frames(4))
    n = len(com.owner_ids)
    pairs = K.engagement_pairs(com)
    got = K._authority(pairs, n, 0.85)
    # the reference: the graph from one list of tuples and the weights as an edge attribute
    pe, pa = pairs["e"].to_numpy(np.int64), pairs["a"].to_numpy(np.int64)
    pw, pf = pairs["weight"].to_numpy(float), pairs["factor"].to_numpy(float)
    lost = np.bincount(pe, weights=pw * (1.0 - pf), minlength=n)
    src = np.concatenate([pe, np.flatnonzero(lost > 0)])
    dst = np.concatenate([pa, np.full(int((lost > 0).sum()), n, dtype=np.int64)])
    ew = np.concatenate([pw * pf, lost[lost > 0]])
    keep = ew > 0
    g = ig.Graph(n=n + 1, edges=list(zip(src[keep].tolist(), dst[keep].tolist())), directed=True)
    g.es["weight"] = ew[keep].tolist()
    pr = np.asarray(g.pagerank(weights="weight", damping=0.85, directed=True))
    assert np.array_equal(got, pr[:n] / pr[:n].sum() * n)
    assert list(K._edge_tuples(np.array([1, 2, 3]), np.array([4, 5, 6]))) == [(1, 4), (2, 5), (3, 6)]
