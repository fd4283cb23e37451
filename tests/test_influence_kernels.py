"""The learned model's compiled passes against plain-Python references (stop 26, issue #13).

``_predict_kernel`` reads the log terms of the integer counts from tables, ``_coatt_scan`` keeps
its three per-source marks in one array, ``_profile_arrays`` gathers with ``_take_hit``: each must
give the numbers of the direct computation exactly (not within a tolerance), on hand-checked
inputs and on random ones.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from graphcrm.algorithms import backtest as bt
from graphcrm.algorithms import influence_learning as il
from graphcrm.community import Community


def _predict_reference(days, n_h, n_q, age, rev, ref, co, src, dst, g0, g1, g2, h0, h1, mu, sd, w, scale):
    """The kernel as it was before the tables: every term computed on its row."""
    out = np.empty(len(days))
    for i in range(len(days)):
        dd = int(days[i])
        e = ((math.log1p(float(dd)) - mu[0]) / sd[0]) * w[1]
        e += ((math.log1p(float(n_h[i])) - mu[1]) / sd[1]) * w[2]
        e += ((math.log1p(float(n_q[i])) - mu[2]) / sd[2]) * w[3]
        e += ((float(age[i]) - mu[3]) / sd[3]) * w[4]
        e += (((1.0 if dd > 0 else 0.0) - mu[4]) / sd[4]) * w[5]
        e += ((math.log1p(float(rev[i])) - mu[5]) / sd[5]) * w[6]
        e += (((1.0 if ref[i] else 0.0) - mu[6]) / sd[6]) * w[7]
        e += (((1.0 if co[i] else 0.0) - mu[7]) / sd[7]) * w[8]
        u, v = src[i], dst[i]
        e += g0[u]
        e += g1[u]
        e += g2[u]
        e += h0[v]
        e += h1[v]
        e += w[0]
        p = 1.0 / (1.0 + math.exp(-e))
        if scale != 1.0:
            p = -math.expm1(scale * math.log1p(-min(p, 1.0 - 1e-12)))
        out[i] = min(max(p, 0.0), 1.0)
    return out


@pytest.mark.parametrize("scale", [1.0, 2.5])
def test_predict_kernel_tables_give_the_direct_terms_exactly(scale):
    rng = np.random.default_rng(3)
    m, n = 4000, 50
    # small counts (read from the tables) and a few above the table's end (computed directly)
    big = il.PREDICT_TABLE + rng.integers(0, 5000, size=m)
    days = np.where(rng.random(m) < 0.02, big, rng.integers(0, 40, size=m)).astype(np.int32)
    n_h = rng.integers(0, 300, size=m).astype(np.int32)
    n_q = np.where(rng.random(m) < 0.01, big, rng.integers(0, 9, size=m)).astype(np.int32)
    rev = rng.integers(0, 3, size=m).astype(np.int32)
    age = rng.random(m) * 4
    ref, co = rng.random(m) < 0.1, rng.random(m) < 0.3
    src, dst = rng.integers(0, n, size=m).astype(np.int32), rng.integers(0, n, size=m).astype(np.int32)
    g = [rng.normal(size=n) for _ in range(5)]
    mu, sd, w = rng.normal(size=13), rng.random(13) + 0.5, rng.normal(size=14)
    args = (days, n_h, n_q, age, rev, ref, co, src, dst, *g, mu, sd, w, scale)
    got = il._predict_kernel(*args)
    assert np.array_equal(got, _predict_reference(*args))


def test_count_terms_hand_checked():
    t = il._count_terms(np.array([0, 3, 1], np.int32), 0.5, 2.0, 3.0)
    assert t.tolist() == [((math.log1p(v) - 0.5) / 2.0) * 3.0 for v in (0.0, 1.0, 2.0, 3.0)]
    assert len(il._count_terms(np.array([il.PREDICT_TABLE + 7], np.int64), 0.0, 1.0, 1.0)) == il.PREDICT_TABLE
    assert il._count_terms(np.zeros(0, np.int32), 0.0, 1.0, 1.0).tolist() == [0.0]


def _scan_reference(optr, oev, ptr, owner, start, cut, cptr, cdst, pptr, pdst, g, h, k0, scale, want_p, rate, salt):
    """``_coatt_scan`` with three Python sets per source (seen, candidate ties, positives)."""
    n = len(optr) - 1
    cnt, pos, psum, pairs = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n), []
    mask = (1 << 64) - 1
    for u in range(n):
        if optr[u] == optr[u + 1]:
            continue
        ties = set(cdst[cptr[u]:cptr[u + 1]].tolist())
        positive = set(pdst[pptr[u]:pptr[u + 1]].tolist())
        seen = {u}
        for e in oev[optr[u]:optr[u + 1]]:
            if start[e] >= cut:
                continue
            for v in owner[ptr[e]:ptr[e + 1]]:
                v = int(v)
                if v in seen:
                    continue
                seen.add(v)
                if v in ties:
                    continue
                cnt[u] += 1
                pos[u] += v in positive
                if want_p:
                    p = 1.0 / (1.0 + math.exp(-(k0 + g[u] + h[v])))
                    if scale != 1.0:
                        p = -math.expm1(scale * math.log1p(-min(p, 1.0 - 1e-12)))
                    psum[u] += p
                if rate > 0:
                    take = rate >= 1.0
                    if not take:
                        z = (salt + u * n + v) & mask
                        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
                        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
                        z = z ^ (z >> 31)
                        take = ((z >> 11) + 0.5) * (1.0 / 9007199254740992.0) < rate
                    if take:
                        pairs.append((u, v))
    return cnt, pos, psum, pairs


def _scan(args, rate=0.0, want_p=False, cap=0):
    out_u, out_v = np.zeros(cap, np.int64), np.zeros(cap, np.int64)
    cnt, pos, psum, m = il._coatt_scan(*args[:10], *args[10:14], want_p, rate, 11, out_u, out_v)
    return cnt, pos, psum, list(zip(out_u[:m].tolist(), out_v[:m].tolist()))


def _csr(rows, n):
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(np.asarray([r for r, _ in rows], np.int64), minlength=n), out=ptr[1:])
    return ptr, np.asarray([c for _, c in sorted(rows)], np.int64)


def test_coatt_scan_hand_checked():
    # owners 0..3; event 0 (start 1): 0, 1, 2; event 1 (start 5): 0, 3; event 2 (start 9, after the cut): 1, 3
    ptr, owner, start = np.array([0, 3, 5, 7]), np.array([0, 1, 2, 0, 3, 1, 3]), np.array([1, 5, 9])
    optr, oev = il._owner_events(ptr, owner, 4)
    cptr, cdst = _csr([(0, 2)], 4)   # 0 -> 2 is a candidate tie already: not co-attendance-only
    pptr, pdst = _csr([(0, 3), (1, 0)], 4)  # positives 0 -> 3 and 1 -> 0
    g = h = np.zeros(4)
    args = (optr, oev, ptr, owner, start, 6, cptr, cdst, pptr, pdst, g, h, 0.0, 1.0)
    cnt, pos, psum, pairs = _scan(args, rate=1.0, want_p=True, cap=20)
    # 0: 1 (event 0), 3 (event 1); 1: 0, 2; 2: 0, 1; 3: 0 (event 2 starts after the cut)
    assert cnt.tolist() == [2, 2, 2, 1]
    assert pos.tolist() == [1, 1, 0, 0]
    assert psum.tolist() == [1.0, 1.0, 1.0, 0.5]
    assert pairs == [(0, 1), (0, 3), (1, 0), (1, 2), (2, 0), (2, 1), (3, 0)]


@pytest.mark.parametrize("rate,want_p,scale", [(0.0, False, 1.0), (1.0, True, 1.0), (0.37, True, 3.0)])
def test_coatt_scan_equals_the_three_set_reference(rate, want_p, scale):
    rng = np.random.default_rng(7)
    n, n_ev = 60, 40
    sizes = rng.integers(2, 9, size=n_ev)
    ptr = np.r_[0, np.cumsum(sizes)]
    owner = np.concatenate([np.sort(rng.choice(n, size=s, replace=False)) for s in sizes])
    start = np.sort(rng.integers(0, 100, size=n_ev))
    optr, oev = il._owner_events(ptr, owner, n)
    ties = sorted({(int(a), int(b)) for a, b in rng.integers(0, n, size=(150, 2)) if a != b})
    posi = sorted({(int(a), int(b)) for a, b in rng.integers(0, n, size=(150, 2)) if a != b})
    cptr, cdst = _csr(ties, n)
    pptr, pdst = _csr(posi, n)
    g, h = rng.normal(size=n), rng.normal(size=n)
    args = (optr, oev, ptr, owner, start, 70, cptr, cdst, pptr, pdst, g, h, -1.5, scale)
    cnt, pos, psum, pairs = _scan(args, rate=rate, want_p=want_p, cap=n * n)
    rc, rp, rs, rpairs = _scan_reference(*args, want_p, rate, 11)
    assert np.array_equal(cnt, rc) and np.array_equal(pos, rp) and pairs == rpairs
    assert np.array_equal(psum, rs)  # the same terms added in the same order


def test_take_hit_is_the_masked_gather():
    arr = np.array([5, 6, 7], np.int32)
    at = np.array([2, 0, 1, 0])
    ok = np.array([True, False, True, True])
    out = np.empty(4, np.int32)
    il._take_hit(arr, at, ok, np.int32(-1), out)
    assert out.tolist() == [7, -1, 6, 5]
    flags = np.empty(4, bool)
    il._take_hit(np.array([True, False, True]), at, ok, False, flags)
    assert flags.tolist() == [True, False, False, True]


def test_reach_in_window_equals_temporal_reach_on_the_cut_rows():
    rng = np.random.default_rng(5)
    n, m = 40, 400
    src, dst = rng.integers(0, n, size=m), rng.integers(0, n, size=m)
    t = np.sort(rng.integers(0, 1000, size=m))
    for start, end, hops in ((100, 800, 2), (0, None, 1), (500, 900, None)):
        want = bt.temporal_reach(src, dst, t, n, [1, 7, 9], start=start, end=end, max_hops=hops)
        s, d, tt = bt.in_window(src, dst, t, start=start, end=end)
        got = bt._reach_in_window(s, d, tt, n, [9, 1, 7], start=start, max_hops=hops)
        assert np.array_equal(got, want)


def test_post_rows_through_codes_equal_the_text_lookup():
    from graphcrm.community import Community, categorical

    posts = pd.Series(["p3", "p1", "p4"])
    inter = pd.Series(["p1", "p9", None, "p4", "p3", "p1"])
    want = bt.positions(inter, pd.Index(posts.astype(object).astype(str).to_numpy(dtype=object)))
    assert want.tolist() == [1, -1, -1, 2, 0, 1]
    cp = categorical(posts, None)
    ci = categorical(inter, cp.cat.categories)  # categories begin with the posts' (p9 after them)
    assert bt._post_rows(ci, cp).tolist() == want.tolist()
    assert bt._post_rows(inter, posts).tolist() == want.tolist()  # text: the lookup itself
    # categories that do not begin with the posts': the text lookup
    other = inter.astype(pd.CategoricalDtype(["p9", "p4", "p3", "p1"]))
    assert bt._post_rows(other, cp).tolist() == want.tolist()


def test_exposures_of_a_window_community_unchanged_by_the_code_path():
    from graphcrm.demo import generate_demo

    tables = generate_demo(1000, seed=3)[0]
    full = Community(tables)
    until = full.tables["interactions"]["created_at"].quantile(0.6)
    train = Community(full.tables, until=until)
    for c in (full, train):
        got = bt._exposures(c, c.owner_ids)
        t = c.tables
        p = t["posts"].drop_duplicates("post_id")
        rows = bt.positions(t["interactions"]["post_id"], pd.Index(p["post_id"].astype(object).astype(str).to_numpy(dtype=object)))
        assert np.array_equal(bt._post_rows(t["interactions"]["post_id"], p["post_id"]), rows)
        assert len(got) and (got["layer"] == 0).any()


def test_order_by_dst_is_the_argsort_of_the_reversed_keys():
    assert il._order_by_dst(np.array([0 * 3 + 2, 1 * 3 + 0, 1 * 3 + 2, 2 * 3 + 1], np.int64), 3).tolist() == [1, 3, 0, 2]
    rng = np.random.default_rng(11)
    for n in (1, 7, 300):
        key = np.unique(rng.integers(0, n * n, size=5 * n))
        want = np.argsort((key % n) * n + key // n, kind="stable")
        assert np.array_equal(il._order_by_dst(key, n), want)
    assert il._order_by_dst(np.zeros(0, np.int64), 4).tolist() == []
