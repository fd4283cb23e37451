"""Backtest and the learned influence model on hand-built histories (counted by hand)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphcrm.algorithms import backtest as bt
from graphcrm.algorithms import influence_learning as il
from graphcrm.community import Community
from graphcrm.errors import AnalysisError, ConfigError


def _history() -> Community:
    """Owners a..i.  Before T (2024-06-01): a and g post and are engaged with.  After T:

    * b likes a's post (06-02), and b likes it again (06-05): b counted once;
    * c comments on b's post on 06-03, after b was reached (06-02): chain, hop 2;
    * d likes b's post on 06-01 10:00, before b was reached: not a chain;
    * h likes c's post on 06-04: a third hop (counted only with max_hops >= 3);
    * a refers e (06-06); f checks in at a's drive (a hosts, 06-07); i registered but did not check in;
    * a likes g's post (06-08): a is a pick and is never counted.
    """
    d = pd.Timestamp
    owners = pd.DataFrame({"owner_id": list("abcdefghi"), "is_staff": [False] * 8 + [True]})
    posts = pd.DataFrame({"post_id": ["pa", "pb", "pc", "pg"], "author_id": ["a", "b", "c", "g"],
                          "created_at": [d("2024-01-01"), d("2024-01-02"), d("2024-01-03"), d("2024-01-04")]})
    inter = pd.DataFrame({
        "owner_id": ["d", "e", "b", "b", "c", "d", "h", "a"],
        "post_id": ["pa", "pg", "pa", "pa", "pb", "pb", "pc", "pg"],
        "kind": ["like", "like", "like", "like", "comment", "like", "like", "like"],
        "created_at": [d("2024-02-01"), d("2024-03-01"), d("2024-06-02"), d("2024-06-05"), d("2024-06-03"),
                       d("2024-06-01 10:00"), d("2024-06-04"), d("2024-06-08")],
    })
    events = pd.DataFrame({"event_id": ["e1"], "starts_at": [d("2024-06-07")], "title": ["drive"]})
    att = pd.DataFrame({"event_id": ["e1"] * 3, "owner_id": ["a", "f", "i"], "role": ["host", "attendee", "attendee"],
                        "checked_in": [True, True, False]})
    refs = pd.DataFrame({"referrer_id": ["a"], "referee_id": ["e"], "stage": ["lead"], "referred_at": [d("2024-06-06")]})
    return Community.from_frames({"owners": owners, "posts": posts, "interactions": inter, "events": events,
                                  "attendance": att, "referrals": refs})


def test_exposures_by_hand():
    c = _history()
    ex = bt.exposures(c)
    ids = c.owner_ids
    got = {(ids[s], ids[t], int(l)) for s, t, l in ex[["src", "dst", "layer"]].itertuples(index=False)}
    assert ("a", "b", 0) in got and ("b", "c", 0) in got and ("g", "a", 0) in got  # author -> engager
    assert ("a", "f", 1) in got and ("a", "i", 1) not in got  # host -> checked-in attendee only
    assert ("a", "e", 2) in got  # referrer -> referee
    assert len(ex) == 8 + 1 + 1 and ex["t"].is_monotonic_increasing


def test_backtest_reach_by_hand():
    c = _history()
    df, info = bt.backtest(c, at="2024-06-01", methods=[], picks=["a", "zz"], bootstrap=50, details=True)
    row = df.set_index("method").loc["picks"]
    # b, e, f directly; c through b (after b was reached); d's like came before b was reached
    assert row["reach"] == 4 and row["direct_reach"] == 3 and row["k"] == 2
    assert info.unknown_picks == ("zz",)
    assert row["reach_low"] <= 4 <= row["reach_high"]
    one = bt.backtest(c, at="2024-06-01", methods=[], picks=["a"], max_hops=1, bootstrap=0)
    assert one["reach"].iloc[0] == 3 and np.isnan(one["reach_low"].iloc[0])
    three = bt.backtest(c, at="2024-06-01", methods=[], picks=["a"], max_hops=3, bootstrap=0)
    assert three["reach"].iloc[0] == 5  # + h, who liked c's post after c was reached
    both = bt.backtest(c, at="2024-06-01", methods=[], picks=["a", "b"], bootstrap=0)
    # b is now a pick (never counted); d liked b's post after T, so d counts; c directly, h via c
    assert both["reach"].iloc[0] == 5 and both["direct_reach"].iloc[0] == 4
    ex = bt.exposures(c)
    hops = bt.temporal_reach(ex["src"].to_numpy(), ex["dst"].to_numpy(), ex["t"].to_numpy(), len(c.owner_ids),
                             c.index_of(["a", "b"]), start=pd.Timestamp("2024-06-01").value + 1, max_hops=2)
    assert sorted(c.owner_ids[hops > 0]) == ["c", "d", "e", "f", "h"]
    assert {o: int(h) for o, h in zip(c.owner_ids, hops) if h >= 0} == {"a": 0, "b": 0, "c": 1, "d": 1, "e": 1,
                                                                        "f": 1, "h": 2}


def test_temporal_reach_needs_strictly_later_links():
    # 0 -> 1 at t=5, 1 -> 2 also at t=5 (same moment: no chain), 1 -> 3 at t=6
    src, dst, t = np.array([0, 1, 1]), np.array([1, 2, 3]), np.array([5, 5, 6])
    assert bt.temporal_reach(src, dst, t, 4, [0], start=0).tolist() == [0, 1, -1, 2]
    # the window: links before start or after end do not count
    assert bt.temporal_reach(src, dst, t, 4, [0], start=6).tolist() == [0, -1, -1, -1]
    assert bt.temporal_reach(src, dst, t, 4, [0], start=0, end=5).tolist() == [0, 1, -1, -1]
    # an earlier arrival through a longer chain still opens later links
    src, dst, t = np.array([0, 0, 2, 1]), np.array([1, 2, 1, 3]), np.array([10, 1, 2, 5])
    assert bt.temporal_reach(src, dst, t, 4, [0], start=0, max_hops=None).tolist() == [0, 1, 1, 3]


def _demo() -> Community:
    from graphcrm.demo import generate_demo

    return Community(generate_demo(1500, seed=3)[0])


def test_backtest_methods_and_properties():
    c = _demo()
    df, info = bt.backtest(c, at="2026-01-01", k=10, seed=1, bootstrap=100, details=True)
    assert list(df["method"]) == list(bt.default_methods())
    assert df.columns.tolist() == ["method", "k", "reach", "reach_low", "reach_high", "direct_reach",
                                   "ratio_to_best_baseline", "ratio_low", "ratio_high", "active_picks", "seconds"]
    best = info.best_baseline
    assert best in bt.BASELINES
    base = df.set_index("method")
    assert base.loc[best, "ratio_to_best_baseline"] == 1.0
    assert base.loc[best, "reach"] == base.loc[list(bt.BASELINES), "reach"].max()
    assert (df["reach_low"] <= df["reach"]).all() and (df["reach"] <= df["reach_high"]).all()
    assert (df["direct_reach"] <= df["reach"]).all() and (df["k"] <= 10).all()
    train = Community(c.tables, until="2026-01-01")
    elig = set(train.owner_ids[train.eligible()])
    for m, ids in info.picks.items():
        assert set(ids) <= elig, m  # never staff or opted out
    assert info.models["ambassadors:learned"]["probability"] == "learned"
    again = bt.backtest(Community(c.tables), at="2026-01-01", k=10, seed=1, bootstrap=100)  # computed again
    pd.testing.assert_frame_equal(df.drop(columns="seconds"), again.drop(columns="seconds"))


def test_koc_baseline_is_the_koc_ranking_before_t_computed_once_per_split(monkeypatch):
    """The kocs method picks the top-k eligible owners of kocs() on the data before T; a
    backtest at another k on the same split reuses those scores (kocs runs once), another
    split computes them again."""
    from graphcrm.algorithms import koc

    c = _demo()
    calls = []
    real = koc.kocs

    def counted(community, **kw):
        calls.append(community.until)
        return real(community, **kw)

    monkeypatch.setattr(koc, "kocs", counted)
    big, info = bt.backtest(c, at=0.8, k=12, methods=["kocs"], bootstrap=0, details=True)
    small, info5 = bt.backtest(c, at=0.8, k=5, methods=["kocs"], bootstrap=0, details=True)
    assert len(calls) == 1
    assert info5.picks["kocs"] == info.picks["kocs"][:5]  # the same ranking, cut at k
    train = Community(c.tables, until=info.at)
    ranked = real(train)
    elig = set(train.owner_ids[train.eligible()])
    expect = [o for o in ranked["owner_id"] if o in elig][:12]  # score desc, then owner_id
    assert info.picks["kocs"] == expect
    bt.backtest(c, at=0.6, k=5, methods=["kocs"], bootstrap=0)
    assert len(calls) == 2 and calls[1] < calls[0]


def test_backtest_reach_is_recounted_from_the_picks():
    """The reach of each method equals the reach of its picks given as a user list."""
    c = _demo()
    df, info = bt.backtest(c, at=0.8, k=8, methods=["out_degree", "recent_engagers"], bootstrap=0, details=True)
    for m in ("out_degree", "recent_engagers"):
        mine = bt.backtest(c, at=0.8, methods=[], picks=info.picks[m], bootstrap=0)
        assert mine["reach"].iloc[0] == df.set_index("method").loc[m, "reach"]


def test_backtest_errors():
    c = _history()
    with pytest.raises(ConfigError):
        bt.backtest(c, methods=["nope"])
    with pytest.raises(ConfigError):
        bt.backtest(c, methods=["picks"])
    with pytest.raises(ConfigError):
        bt.backtest(c, at="2030-01-01")
    with pytest.raises(ConfigError):
        bt.backtest(c, k=0)
    with pytest.raises(ConfigError):
        bt.backtest(c, max_hops=0)
    empty = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a"]})})
    with pytest.raises(AnalysisError):
        bt.backtest(empty)


# ----------------------------------------------------------------------------- the learned model
def test_glm_gives_group_rates_by_hand():
    # one binary feature, no penalty: the logistic fit is saturated -> the group rates 2/10, 5/10
    x = np.r_[np.zeros(10), np.ones(10)][:, None]
    y = np.r_[np.ones(2), np.zeros(8), np.ones(5), np.zeros(5)]
    m = il._fit_glm(x, y, family="binomial", l2=0.0)
    assert il._predict(m, np.array([[0.0], [1.0]])) == pytest.approx([0.2, 0.5], abs=1e-4)
    # Poisson: the group means 1.5 and 4
    y = np.r_[np.full(10, 1.5), np.full(10, 4.0)]
    m = il._fit_glm(x, y, family="poisson", l2=0.0)
    assert il._predict(m, np.array([[0.0], [1.0]])) == pytest.approx([1.5, 4.0], rel=1e-4)
    # a penalty shrinks both towards the overall rate
    m = il._fit_glm(x, np.r_[np.ones(2), np.zeros(8), np.ones(5), np.zeros(5)], family="binomial", l2=5.0)
    lo, hi = il._predict(m, np.array([[0.0], [1.0]]))
    assert 0.2 < lo < hi < 0.5


def _log(rows) -> Community:
    """A Goyal-style action log: (engager, author, day) -> one interaction per row."""
    owners = sorted({x for r in rows for x in r[:2]})
    authors = sorted({r[1] for r in rows})
    posts = pd.DataFrame({"post_id": [f"p{a}" for a in authors], "author_id": authors,
                          "created_at": [pd.Timestamp("2024-01-01")] * len(authors)})
    inter = pd.DataFrame({"owner_id": [r[0] for r in rows], "post_id": [f"p{r[1]}" for r in rows],
                          "kind": "like", "created_at": [pd.Timestamp("2024-01-01") + pd.Timedelta(days=r[2]) for r in rows]})
    return Community.from_frames({"owners": pd.DataFrame({"owner_id": owners}), "posts": posts, "interactions": inter})


def test_profiles_by_hand():
    # u engages a on days 1, 2, 2.5 (two distinct days), a engages u on day 3; v engages a on day 7
    c = _log([("u", "a", 1), ("u", "a", 2), ("u", "a", 2.5), ("a", "u", 3), ("v", "a", 7)])
    ex = bt.exposures(c)
    n = len(c.owner_ids)
    cut = pd.Timestamp("2024-01-10").value
    h = 4 * 86_400 * 10**9
    prof = il._profiles(ex, np.zeros((0, 2), dtype=np.int64), n, cut, h).set_index(["src", "dst"])
    a, u, v = (int(c.index_of([x])[0]) for x in "auv")
    au = prof.loc[(a, u)]
    assert au["days"] == 2 and au["n_h"] == 0 and au["rev_days"] == 1
    assert au["age"] == pytest.approx((cut - pd.Timestamp("2024-01-03 12:00").value) / h)
    assert au["src_all"] == 2 and au["src_h"] == 1 and au["src_q"] == 0  # a exposed u and v; v within H
    ua = prof.loc[(u, a)]
    assert ua["days"] == 1 and ua["rev_days"] == 2
    va = prof.loc[(v, a)]  # only the reverse tie exists: no exposure history of its own
    assert va["days"] == 0 and va["age"] == 4.0 and va["rev_days"] == 1
    assert not prof["referral"].any() and not prof["coattend"].any()


def test_learned_probabilities_follow_repeat_engagement():
    """Engagers who came back in every past week are likelier to come back than one-off engagers."""
    rows = []
    for w in range(12):  # 12 weeks; author A0..A3, loyal fans L*, one-off visitors V*
        for a in range(4):
            for f in range(3):
                rows.append((f"L{a}{f}", f"A{a}", 7 * w + f))
            rows.append((f"V{a}{w}", f"A{a}", 7 * w + 3))
    c = _log(rows)
    li = il.learn_influence(c, horizon_days=14)
    e = li.edges.assign(src_id=c.owner_ids[li.edges["src"]], dst_id=c.owner_ids[li.edges["dst"]])
    fwd = e[e["src_id"].str.startswith("A")]
    loyal = fwd[fwd["dst_id"].str.startswith("L")]["prob"]
    once = fwd[fwd["dst_id"].str.startswith("V")]["prob"]
    assert loyal.min() > once.max()
    assert ((li.edges["prob"] >= 0) & (li.edges["prob"] <= 1)).all()
    info = li.info
    assert info["positives_train"] > 0 and info["predicted_train"] == pytest.approx(info["observed_train"], rel=0.05)
    # every author keeps getting new visitors: a positive expected new audience for authors only
    aud = pd.Series(li.audience, index=c.owner_ids)
    assert (aud[[f"A{a}" for a in range(4)]] > 0.5).all()
    assert aud[aud.index.str.startswith("V")].max() == 0
    with pytest.raises(ConfigError):
        il.learn_influence(c, horizon_days=0)
    with pytest.raises(ConfigError):
        il.learn_influence(c, label_share=2)


def test_cli_backtest_and_spread(tmp_path):
    from click.testing import CliRunner

    from graphcrm.cli import cli

    store = str(tmp_path / "s.duckdb")
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "--owners", "1000", "--seed", "1", "--store", store]).exit_code == 0
    picks = tmp_path / "picks.csv"
    picks.write_text("owner_id\nO000001\nO000002\n", encoding="utf-8")
    r = runner.invoke(cli, ["backtest", "--store", store, "-k", "5", "--picks", str(picks), "--methods",
                            "out_degree,random", "--bootstrap", "20", "--format", "csv"])
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    assert lines[0].startswith("method,k,reach") and [ln.split(",")[0] for ln in lines[1:]] == ["out_degree", "random",
                                                                                                  "picks"]
    r = runner.invoke(cli, ["backtest", "--store", store, "--methods", "nope"])
    assert r.exit_code == 1 and "unknown method" in r.output
    r = runner.invoke(cli, ["backtest", "--store", store, "--at", "1.5"])
    assert r.exit_code == 1
    r = runner.invoke(cli, ["spread", "--store", store, "--seeds", str(picks), "--probability", "wc", "--runs", "50",
                            "--format", "json"])
    assert r.exit_code == 0, r.output
    assert '"seeds": 2' in r.stdout


def test_learned_probabilities_recover_a_planted_process():
    from scipy.stats import spearmanr

    from graphcrm.demo import generate_demo, plant_influence

    tables, _ = generate_demo(1000, seed=0)
    planted, truth = plant_influence(tables, influencers=8, seed=2)
    assert len(planted["interactions"]) > len(tables["interactions"]) and len(truth["influencers"]) == 8
    c = Community(planted)
    li = il.learn_influence(c, horizon_days=14)
    learned = pd.Series(li.edges["prob"].to_numpy(),
                        index=pd.MultiIndex.from_arrays([c.owner_ids[li.edges["src"]], c.owner_ids[li.edges["dst"]]]))
    true = pd.Series(truth["ties"]["p"], index=pd.MultiIndex.from_arrays([truth["ties"]["src"], truth["ties"]["dst"]]))
    got = learned.reindex(true.index)
    assert got.notna().all()  # every planted tie is a candidate tie
    assert spearmanr(true, got)[0] > 0.5
    assert got[true > 0].mean() > 2 * got[true == 0].mean()
    # determinism and the other planted truths are untouched
    again, truth2 = plant_influence(tables, influencers=8, seed=2)
    assert truth2 == truth and len(again["posts"]) == len(planted["posts"])
    assert tables["posts"].equals(planted["posts"].iloc[:len(tables["posts"])])
    with pytest.raises(Exception):
        plant_influence(tables, influencers=10**6)


def test_picks_never_see_the_evaluation_period():
    """Adding activity after T changes the reach but never the picks (no look-ahead)."""
    c = _demo()
    at = "2026-04-01"
    methods = ["ambassadors:learned", "ambassadors:wc", "out_degree", "recent_engagers", "pagerank"]
    before = bt.backtest(c, at=at, k=6, methods=methods, bootstrap=0, details=True)
    t = {k: v.copy() for k, v in c.tables.items()}
    loner = c.owner_ids[c.eligible()][-1]
    late = pd.Timestamp("2026-06-01")
    t["posts"] = pd.concat([t["posts"], pd.DataFrame({"post_id": ["LATE"], "author_id": [loner],
                                                       "created_at": [late]})], ignore_index=True)
    fans = [o for o in c.owner_ids[:300] if o != loner]
    t["interactions"] = pd.concat([t["interactions"], pd.DataFrame({
        "owner_id": fans, "post_id": "LATE", "kind": "like", "created_at": late + pd.Timedelta(hours=1)})],
        ignore_index=True)
    for name in ("posts", "interactions"):
        for col in c.tables[name].columns:
            if isinstance(c.tables[name][col].dtype, pd.CategoricalDtype):
                t[name][col] = t[name][col].astype(object)
    after = bt.backtest(Community(t), at=at, k=6, methods=methods, bootstrap=0, details=True)
    assert after[1].picks == before[1].picks
    mine = bt.backtest(Community(t), at=at, methods=[], picks=[loner], bootstrap=0)
    assert mine["direct_reach"].iloc[0] >= 250  # the late fans count as reach of whoever picks the loner


def test_mass_events_carry_no_exposures():
    """A host exposes checked-in attendees only at events of at most MAX_EVENT_CHECKINS check-ins."""
    d = pd.Timestamp
    big = bt.MAX_EVENT_CHECKINS + 1
    people = [f"o{i:03d}" for i in range(big)]
    owners = pd.DataFrame({"owner_id": people})
    events = pd.DataFrame({"event_id": ["small", "mass"], "starts_at": [d("2024-01-01"), d("2024-02-01")]})
    att = pd.DataFrame({
        "event_id": ["small"] * 3 + ["mass"] * big,
        "owner_id": people[:3] + people,
        "role": ["organizer", "attendee", "attendee"] + ["host"] * 2 + ["attendee"] * (big - 2),
        "checked_in": True,
    })
    c = Community.from_frames({"owners": owners, "events": events, "attendance": att})
    ex = bt.exposures(c)
    ids = c.owner_ids
    assert sorted((ids[s], ids[t]) for s, t in ex[["src", "dst"]].itertuples(index=False)) == [
        ("o000", "o001"), ("o000", "o002")]
    assert (ex["layer"] == 1).all()


def test_exposures_are_cached_and_safe_to_edit():
    c = _history()
    ex = bt.exposures(c)
    ex.loc[0, "src"] = 99  # a caller's edit never reaches the community's cached frame
    again = bt.exposures(c)
    assert again.loc[0, "src"] != 99 and len(again) == len(ex)
    # numbering by another vertex order is computed afresh
    other = bt.exposures(c, ids=c.owner_ids[::-1])
    assert len(other) == len(again)
    assert (c.owner_ids[::-1][other["src"]] == c.owner_ids[again["src"]]).all()


def test_positions_of_categoricals():
    index = pd.Index(np.array(["a", "b", "c"], dtype=object), dtype=object)
    same = pd.Series(pd.Categorical(["c", None, "a", "b"], categories=index))  # the index's own categories
    other = pd.Series(pd.Categorical(["c", None, "x", "a"], categories=["x", "c", "a"]))
    ints = pd.Series(pd.Categorical([2, 1, None], categories=[1, 2]))  # compared as text
    assert bt.positions(same, index).tolist() == [2, -1, 0, 1]
    assert bt.positions(other, index).tolist() == [2, -1, -1, 0]
    assert bt.positions(ints, pd.Index(np.array(["1", "2"], dtype=object))).tolist() == [1, 0, -1]
    assert bt.positions(pd.Series(pd.Categorical([None, None], categories=[])), index).tolist() == [-1, -1]
    assert bt.positions(pd.Series(["b", None, "z"]), index).tolist() == [1, -1, -1]
    assert all(bt.positions(x, index).dtype == np.int64 for x in (same, other))


def test_log_order_is_the_lexsort():
    # many equal times (events, referral days) and equal (t, src, dst) rows: the same permutation
    rng = np.random.default_rng(3)
    for n, span in ((0, 5), (1, 5), (2, 1), (500, 3), (5_000, 50), (5_000, 10**9)):
        t = np.sort(rng.integers(0, span, n))
        t[: n // 3] = rng.integers(0, span, n // 3)  # an unsorted stretch before an ascending run
        src, dst = rng.integers(0, 4, n), rng.integers(0, 4, n)
        want = np.lexsort((dst, src, t))
        assert np.array_equal(bt.log_order(t, src, dst), want)  # the compiled pass over tied runs
        assert np.array_equal(bt.log_order(t, src, dst, n=2**32), want)  # n * n too large: a lexsort of the tied rows


def test_exposures_match_the_lexsorted_layers():
    # the log is every layer's rows (interactions, then events, then referrals) in stable
    # (t, src, dst) order: computed here the old way, by a lexsort of the concatenated layers
    c = _history()
    ex = bt.exposures(c)
    ids = c.owner_ids
    tb = c.tables
    pos = {o: i for i, o in enumerate(ids)}
    author = dict(zip(tb["posts"]["post_id"], tb["posts"]["author_id"]))
    rows = [(pos[author[p]], pos[o], pd.Timestamp(w).value, 0)
            for o, p, w in zip(tb["interactions"]["owner_id"], tb["interactions"]["post_id"], tb["interactions"]["created_at"])
            if author[p] != o]
    a, ev = tb["attendance"], tb["events"].set_index("event_id")["starts_at"]
    for e, g in a[a["checked_in"].astype(bool)].groupby("event_id", observed=True, sort=False):
        for lead in g.loc[g["role"].isin(["organizer", "host"]), "owner_id"]:
            rows += [(pos[lead], pos[o], pd.Timestamp(ev[e]).value, 1) for o in g["owner_id"] if o != lead]
    r = tb["referrals"]
    rows += [(pos[u], pos[v], pd.Timestamp(w).value, 2) for u, v, w in zip(r["referrer_id"], r["referee_id"], r["referred_at"])]
    ref = np.array(rows, dtype=np.int64).reshape(-1, 4)
    ref = ref[np.lexsort((ref[:, 1], ref[:, 0], ref[:, 2]))]
    assert len(ex) == len(ref) and len(ex) > 5
    for j, col in enumerate(("src", "dst", "t", "layer")):
        assert np.array_equal(ex[col].to_numpy().astype(np.int64), ref[:, j]), col
    assert [str(ex[c].dtype) for c in ("src", "dst", "t", "layer")] == ["int64", "int64", "int64", "int8"]


def _profiles_sql(ex, coatt, n, cut_ns, h_ns):
    """The candidate-pair features as the SQL joins computed them before the numpy version
    (kept here as the reference the numpy code must reproduce)."""
    import duckdb

    day = 86_400 * 10**9
    e = ex[ex["t"] < cut_ns][["src", "dst", "t", "layer"]]
    q_ns, h0 = cut_ns - h_ns // 4, cut_ns - h_ns
    con = duckdb.connect()
    con.register("e", e)
    con.register("co", pd.DataFrame({"a": coatt[:, 0], "b": coatt[:, 1]}))
    prof = con.execute(f"""
    WITH pair AS (
        SELECT src, dst, count(DISTINCT t // {day}) AS days, max(t) AS last,
               count(*) FILTER (WHERE t >= {h0}) AS n_h, count(*) FILTER (WHERE t >= {q_ns}) AS n_q,
               bool_or(layer = 2) AS ref
        FROM e GROUP BY src, dst),
    cand AS (SELECT src, dst FROM pair UNION SELECT dst AS src, src AS dst FROM pair
             UNION SELECT a AS src, b AS dst FROM co UNION SELECT b AS src, a AS dst FROM co),
    srcact AS (SELECT src, count(DISTINCT dst) AS aud_all, count(DISTINCT dst) FILTER (WHERE t >= {h0}) AS aud_h,
                      count(DISTINCT dst) FILTER (WHERE t >= {q_ns}) AS aud_q FROM e GROUP BY src),
    act AS (SELECT o, count(*) FILTER (WHERE t >= {h0}) AS act_h, count(*) FILTER (WHERE t >= {q_ns}) AS act_q
            FROM (SELECT dst AS o, t FROM e UNION ALL SELECT src AS o, t FROM e) GROUP BY o),
    coset AS (SELECT a, b FROM co UNION SELECT b AS a, a AS b FROM co)
    SELECT c.src, c.dst, coalesce(p.days, 0) AS days, coalesce(p.n_h, 0) AS n_h, coalesce(p.n_q, 0) AS n_q,
           CASE WHEN p.last IS NULL THEN 4.0 ELSE least(4.0, ({cut_ns} - p.last) / {float(h_ns)}) END AS age,
           coalesce(r.days, 0) AS rev_days, (coalesce(p.ref, false) OR coalesce(r.ref, false)) AS referral,
           (cs.a IS NOT NULL) AS coattend, coalesce(sa.aud_all, 0) AS src_all, coalesce(sa.aud_h, 0) AS src_h,
           coalesce(sa.aud_q, 0) AS src_q, coalesce(ta.act_h, 0) AS dst_h, coalesce(ta.act_q, 0) AS dst_q
    FROM cand c LEFT JOIN pair p ON p.src = c.src AND p.dst = c.dst LEFT JOIN pair r ON r.src = c.dst AND r.dst = c.src
    LEFT JOIN coset cs ON cs.a = c.src AND cs.b = c.dst LEFT JOIN srcact sa ON sa.src = c.src
    LEFT JOIN act ta ON ta.o = c.dst ORDER BY c.src, c.dst""").df()
    con.close()
    return prof


def test_profiles_match_the_sql_reference_on_the_demo():
    """The numpy candidate-pair features equal the SQL joins they replaced, column by column, at
    the internal split and at the end of a 1,500-owner demo history."""
    from graphcrm.demo import generate_demo

    c = Community(generate_demo(1500, seed=3)[0])
    ex = bt.exposures(c)
    n = len(c.owner_ids)
    pairs, first = il._coatt_pairs_timed(c, pd.Index(c.owner_ids))
    t0, t1 = int(ex["t"].iloc[0]), int(ex["t"].iloc[-1])
    h = 30 * 86_400 * 10**9
    for cut in (t0 + (t1 - t0) // 2, t1 + 1):
        new = il._profiles(ex, pairs[first < cut], n, cut, h)
        ref = _profiles_sql(ex, pairs[first < cut], n, cut, h)
        assert len(new) == len(ref) > 200
        for col in ref.columns:
            if col == "age":
                np.testing.assert_allclose(new[col].to_numpy(), ref[col].to_numpy(), rtol=0, atol=1e-12)
            else:
                assert (new[col].to_numpy().astype(np.int64) == ref[col].to_numpy().astype(np.int64)).all(), col


def test_block_prediction_equals_the_matrix_product():
    from graphcrm.demo import generate_demo

    li_c = Community(generate_demo(1000, seed=1)[0])
    ex = bt.exposures(li_c)
    n = len(li_c.owner_ids)
    pairs, first = il._coatt_pairs_timed(li_c, pd.Index(li_c.owner_ids))
    cut = int(ex["t"].iloc[-1]) + 1
    prof = il._profiles(ex, pairs, n, cut, 30 * 86_400 * 10**9)
    x = il._tie_matrix(prof)
    y = (prof["days"].to_numpy() > 1).astype(float)
    model = il._fit_glm(x, y, family="binomial", l2=1.0)
    np.testing.assert_allclose(il._predict_ties(model, prof), il._predict(model, x), rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------ bootstrap without the matrix
def _old_bootstrap(reached, methods, best, n, bootstrap, seed):
    """The intervals as computed before algorithms/_bootstrap.py: the full weight matrix."""
    lo = {m: np.nan for m in methods}
    hi, rlo, rhi = dict(lo), dict(lo), dict(lo)
    union = np.zeros(n, dtype=bool)
    for m in methods:
        union |= reached[m]
    cols = np.flatnonzero(union)
    rng = np.random.default_rng([int(seed), 0xB007])
    w = rng.poisson(1.0, size=(bootstrap, len(cols))).astype(np.float64)
    rep = {m: w @ reached[m][cols].astype(np.float64) for m in methods}
    for m in methods:
        lo[m], hi[m] = np.percentile(rep[m], [2.5, 97.5])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(rep[best] > 0, rep[m] / rep[best], np.nan)
        if np.isfinite(ratio).any():
            rlo[m], rhi[m] = np.nanpercentile(ratio, [2.5, 97.5])
    return lo, hi, rlo, rhi


@pytest.mark.parametrize("units,sets,replicates", [(1, 1, 3), (5, 2, 7), (64, 3, 64), (3000, 9, 200)])
def test_poisson_sums_equal_the_weight_matrix(units, sets, replicates):
    from graphcrm.algorithms import _bootstrap as bs

    masks = np.random.default_rng(units).random((units, sets)) < 0.4
    want = np.random.default_rng([1, 0xB007]).poisson(1.0, size=(replicates, units)).astype(np.float64) @ masks
    got = bs.poisson_bootstrap_sums(np.random.default_rng([1, 0xB007]), masks, replicates)
    assert got.dtype == np.float64 and got.shape == (replicates, sets)
    assert np.array_equal(got, want)  # the same draws, exact integer sums
    # the NumPy fallback (used if NumPy ever draws Poisson variates differently) gives them too
    assert np.array_equal(bs._numpy_sums(np.random.default_rng([1, 0xB007]), masks.astype(np.uint8), replicates), want)
    assert bs._kernel_matches_numpy()


def test_poisson_sums_cross_block_boundaries(monkeypatch):
    """Variates split across two uniform blocks carry over (tiny blocks force it everywhere)."""
    from graphcrm.algorithms import _bootstrap as bs

    monkeypatch.setattr(bs, "BLOCK", 3)
    masks = np.ones((50, 1), dtype=np.uint8)
    want = np.random.default_rng(7).poisson(1.0, size=(11, 50)).sum(axis=1).astype(float)
    assert np.array_equal(bs.poisson_bootstrap_sums(np.random.default_rng(7), masks, 11)[:, 0], want)


def test_bootstrap_intervals_unchanged():
    rng = np.random.default_rng(3)
    n = 4000
    methods = ["a", "b", "c", "d"]
    reached = {m: rng.random(n) < p for m, p in zip(methods, (0.3, 0.1, 0.05, 0.0))}
    new = bt._bootstrap_intervals(reached, methods, "a", n=n, bootstrap=200, seed=5)
    old = _old_bootstrap(reached, methods, "a", n, 200, 5)
    for got, want in zip(new, old):
        assert got.keys() == want.keys()
        for m in methods:
            assert (np.isnan(got[m]) and np.isnan(want[m])) or got[m] == want[m]


def _old_temporal_reach(src, dst, t, n, seeds, *, start, end=None, max_hops=2):
    """temporal_reach as it was before algorithms/_replay.py (np.minimum.at per hop)."""
    keep = t >= start
    if end is not None:
        keep &= t <= end
    src, dst, t = src[keep], dst[keep], t[keep]
    seeds = np.unique(np.asarray(seeds, dtype=np.int64))
    r = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    hops = np.full(n, -1, dtype=np.int64)
    r[seeds] = start - 1
    hops[seeds] = 0
    for h in range(1, (n if max_hops is None else max_hops) + 1):
        live = r[src] < t
        if not live.any():
            break
        new = r.copy()
        np.minimum.at(new, dst[live], t[live])
        changed = new < r
        if not changed.any():
            break
        hops[changed & (hops < 0)] = h
        r = new
    return hops


@pytest.mark.parametrize("max_hops", [1, 2, 3, None])
def test_temporal_reach_compiled_equals_the_numpy_steps(max_hops):
    rng = np.random.default_rng(11)
    n, m = 400, 3000
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    t = np.sort(rng.integers(0, 1000, m))  # ties in time included
    seeds = rng.choice(n, 7, replace=False)
    for start, end in ((0, None), (200, 800)):
        got = bt.temporal_reach(src, dst, t, n, seeds, start=start, end=end, max_hops=max_hops)
        want = _old_temporal_reach(src, dst, t, n, seeds, start=start, end=end, max_hops=max_hops)
        assert np.array_equal(got, want)
    assert (got >= 0).sum() > len(seeds)  # some owners reached: the comparison is not empty
