"""Volunteer candidates: hand-checked components on a tiny community, leakage guards,
validation on a planted community, determinism."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphcrm.algorithms.volunteers import (
    FEATURES,
    VolunteerDetails,
    VolunteerValidation,
    _auc,
    _circle_share,
    _closeness,
    _fragment,
    _reasons,
    _ppr_folds,
    _ppr_folds_many,
    _model_inputs,
    _owner_flags,
    personalized_pagerank,
    renumbered_walk,
    transition_matrix,
    volunteer_candidates,
)
from graphcrm.community import Community
from graphcrm.errors import AnalysisError, ConfigError

from tests.test_levels import tiny


def planted(seed: int = 1, n: int = 300, n_vol: int = 30, n_events: int = 60) -> Community:
    """Volunteers attend more events, together with each other, lead some, comment more;
    a few 'latent' non-volunteers behave like volunteers (the candidates to find)."""
    rng = np.random.default_rng(seed)
    ids = [f"o{i:03d}" for i in range(n)]
    vol = np.zeros(n, dtype=bool)
    vol[:n_vol] = True
    like_vol = vol.copy()
    like_vol[n_vol:n_vol + 10] = True  # latent volunteers
    staff = np.zeros(n, dtype=bool)
    staff[-3:] = True
    joined = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    joined = np.where(like_vol, pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"), joined)
    owners = pd.DataFrame({"owner_id": ids, "joined_at": pd.to_datetime(joined), "is_volunteer": vol,
                           "is_staff": staff, "marketing_opt_out": rng.random(n) < 0.05})
    starts = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n_events), unit="D")
    events = pd.DataFrame({"event_id": [f"e{j}" for j in range(n_events)], "starts_at": starts})
    rows = []
    for j in range(n_events):
        core = rng.choice(np.flatnonzero(like_vol), size=5, replace=False)
        crowd = rng.choice(np.flatnonzero(~like_vol), size=10, replace=False)
        for i in core:
            role = "volunteer" if vol[i] and rng.random() < 0.5 else "attendee"
            rows.append((f"e{j}", ids[i], role))
        for i in crowd:
            rows.append((f"e{j}", ids[i], "attendee"))
    att = pd.DataFrame(rows, columns=["event_id", "owner_id", "role"]).drop_duplicates(["event_id", "owner_id"])
    att["checked_in"] = True
    posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(200)],
                          "author_id": [ids[i] for i in rng.integers(0, n, 200)],
                          "created_at": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, 200), unit="D")})
    n_int = 1500
    who = np.where(rng.random(n_int) < 0.4, rng.choice(np.flatnonzero(like_vol), n_int), rng.integers(0, n, n_int))
    inter = pd.DataFrame({"owner_id": [ids[i] for i in who],
                          "post_id": [f"p{i}" for i in rng.integers(0, 200, n_int)],
                          "kind": rng.choice(["like", "comment", "reply"], n_int),
                          "created_at": pd.Timestamp("2024-12-01")})
    inter = inter.drop_duplicates(["owner_id", "post_id", "kind", "created_at"])
    return Community.from_frames(dict(owners=owners, events=events, attendance=att, posts=posts,
                                      interactions=inter), until="2024-12-31T00:00:00")


@pytest.fixture(scope="module")
def community() -> Community:
    return planted()


def test_components_by_hand_on_tiny():
    df, info = volunteer_candidates(tiny(), details=True)
    v = df.set_index("owner_id")
    # a is the volunteer, s is staff: neither is a candidate; o (opted out) is scored but flagged
    assert set(v.index) == {"b", "c", "d", "o"}
    assert v.loc["o", "opted_out"] and not v.loc["b", "opted_out"]
    assert v.loc["b", "events_attended"] == 2 and v.loc["c", "events_attended"] == 1
    assert v.loc["d", "events_attended"] == 0  # registered, never checked in
    assert (v["events_led"] == 0).all()
    # b: events on 2024-07-04 and 2024-12-31 (post and referral the same week) -> 2 weeks
    assert v.loc["b", "active_weeks"] == 2 and v.loc["c", "active_weeks"] == 1 and v.loc["d", "active_weeks"] == 0
    # helping = comments/replies on others' posts: c commented on a's post; b only liked
    assert v.loc["c", "helping"] == 1 and v.loc["b", "helping"] == 0
    assert v.loc["b", "tenure_days"] == 366.0  # 2023-12-31 -> 2024-12-31 (leap year)
    # closeness: b shares two events with a (edge weight 1.5), c one (0.5), d and o none
    assert v.loc["b", "closeness"] > v.loc["c", "closeness"] > 0 == v.loc["d", "closeness"] == v.loc["o", "closeness"]
    assert info.validation is None  # fewer than 5 volunteers
    assert info.volunteers == 1 and set(info.coefficients) == set(FEATURES)
    assert list(df.columns) == ["owner_id", "score", *FEATURES, "opted_out", "reason"]
    assert df["score"].is_monotonic_decreasing


def test_reason_names_strongest_positive_components():
    df = volunteer_candidates(tiny(), lang="zh").set_index("owner_id")
    assert "常与志愿者同场活动" in df.loc["b", "reason"]
    en = volunteer_candidates(tiny()).set_index("owner_id")
    assert "often at events with volunteers" in en.loc["b", "reason"]
    assert en.loc["d", "reason"] == "no strong signal"


def test_auc_by_hand():
    s = np.array([0.9, 0.8, 0.3, 0.1])
    assert _auc(s, np.array([True, False, True, False])) == pytest.approx(0.75)
    assert _auc(np.array([1.0, 1.0]), np.array([True, False])) == pytest.approx(0.5)  # ties count half


def test_circle_share_leaves_owner_out():
    labels = np.array([0, 0, 0, 1, 1, -1])
    pos = np.array([True, True, False, False, True, True])
    share = _circle_share(labels, pos)
    assert share.tolist() == [0.5, 0.5, 1.0, 1.0, 0.0, 0.0]


def test_block_pagerank_matches_igraph():
    import igraph as ig

    # a weighted path 0-1-2, a pair 3-4, an isolated vertex 5 (dangling: restarts at the seeds)
    g = ig.Graph([(0, 1), (1, 2), (3, 4)], n=6)
    g.es["weight"] = [1.0, 2.0, 0.5]
    PT, dangling = transition_matrix(g)
    assert dangling.tolist() == [False] * 5 + [True]
    R = np.zeros((6, 2))
    R[[0], 0] = 1.0
    R[[0, 5], 1] = 1.0
    X = personalized_pagerank(PT, dangling, R, damping=0.85)
    for col, seeds in ((0, [0]), (1, [0, 5])):
        ref = g.personalized_pagerank(reset_vertices=seeds, weights="weight", damping=0.85)
        assert X[:, col] == pytest.approx(ref, abs=1e-9)
    # by hand for the lone pair: seeded on 3, x3 = 0.15 + 0.85 x4, x4 = 0.85 x3 -> x3 = 0.15 / (1 - 0.7225)
    R = np.zeros((6, 1))
    R[3, 0] = 1.0
    X = personalized_pagerank(PT, dangling, R, damping=0.85)[:, 0]
    assert X[3] == pytest.approx(0.15 / (1 - 0.85**2)) and X[4] == pytest.approx(0.85 * X[3])


def _random_walk(seed: int = 0, n: int = 400, m: int = 1500):
    """A random weighted graph with isolated (dangling) vertices and random circle labels."""
    import igraph as ig

    rng = np.random.default_rng(seed)
    el = rng.integers(0, n - 20, size=(m, 2))  # the last 20 vertices have no edges
    el = np.unique(np.sort(el[el[:, 0] != el[:, 1]], axis=1), axis=0)
    g = ig.Graph(el.tolist(), n=n)
    g.es["weight"] = rng.random(len(el)) + 0.1
    labels = rng.integers(-1, 12, n)
    return transition_matrix(g), labels, rng


def test_groups_are_independent_runs():
    (PT, dangling), _, rng = _random_walk()
    R1 = (rng.random((400, 3)) < 0.05).astype(float)
    R2 = (rng.random((400, 4)) < 0.2).astype(float)
    R1[0], R2[1] = 1.0, 1.0  # no empty reset column
    alone = [personalized_pagerank(PT, dangling, R, damping=0.85) for R in (R1, R2)]
    both = personalized_pagerank(PT, dangling, np.hstack([R1, R2]), damping=0.85, groups=[3, 4])
    # each group stops where it would alone (the sparser resets converge at another step) and
    # every operation is column by column: the same numbers as one call per group
    np.testing.assert_allclose(both[:, :3], alone[0], rtol=1e-13, atol=0)
    np.testing.assert_allclose(both[:, 3:], alone[1], rtol=1e-13, atol=0)
    with pytest.raises(ValueError):
        personalized_pagerank(PT, dangling, R1, groups=[2])


def test_renumbered_walk_gives_the_same_closeness():
    walk, labels, rng = _random_walk(1)
    PTr, dangling, rank = renumbered_walk(walk, labels)
    # a permutation that puts each circle together (-1 last), keeping the owner order inside
    order = np.argsort(rank)
    assert sorted(rank.tolist()) == list(range(400))
    key = np.where(labels[order] >= 0, labels[order], 99)
    assert (np.diff(key) >= 0).all() and (np.diff(order[key == key[0]]) > 0).all()
    # the same matrix, renumbered
    np.testing.assert_array_equal(PTr.toarray()[np.ix_(rank, rank)], walk[0].toarray())
    seeds = [np.flatnonzero(rng.random(400) < 0.1), np.flatnonzero(rng.random(400) < 0.03)]
    plain = [_ppr_folds(walk, s, folds=5, damping=0.85, rng=np.random.default_rng(7)) for s in seeds]
    runs = [(s, np.random.default_rng(7)) for s in seeds]
    renum = _ppr_folds_many((PTr, dangling, rank), runs, folds=5, damping=0.85)
    # the renumbered rows keep their entries in order, sums run in owner order: equal values
    for a, b in zip(plain, renum):
        np.testing.assert_array_equal(a, b)
    # a single seed (one column, a block of its own) and no seed at all
    one = _ppr_folds_many((PTr, dangling, rank), [(np.array([3]), np.random.default_rng(0)),
                                                  (np.array([], dtype=np.int64), np.random.default_rng(0))],
                          folds=5, damping=0.85)
    np.testing.assert_array_equal(one[0], _ppr_folds(walk, np.array([3]), folds=5, damping=0.85,
                                                     rng=np.random.default_rng(0)))
    assert not one[1].any()


def test_closeness_of_both_fits_in_one_block_equals_one_each(community):
    vol, _, _ = _owner_flags(community)
    known = vol.copy()
    known[np.flatnonzero(vol)[:5]] = False
    walk = _model_inputs(community, seed=0, circles=None)["walk"]
    fresh = planted()
    walk2 = _model_inputs(fresh, seed=0, circles=None)["walk"]
    batched = _closeness(community, walk, [vol, known], folds=5, damping=0.85, seed=0)
    single = [_closeness(fresh, walk2, [k], folds=5, damping=0.85, seed=0)[0] for k in (vol, known)]
    for a, b in zip(batched, single):
        np.testing.assert_array_equal(a, b)
    # and against the plain owner-order walk
    plain = _ppr_folds(transition_matrix(community.edges("coattendance")), np.flatnonzero(known), folds=5,
                       damping=0.85, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(batched[1], plain)


def test_ppr_out_of_fold_does_not_reward_being_a_seed():
    import igraph as ig

    # two components: volunteers 0-1-2-3-4 on a path; 5-6 a separate pair with one volunteer
    g = ig.Graph([(0, 1), (1, 2), (2, 3), (3, 4), (5, 6)], n=8)
    g.es["weight"] = 1.0
    rng = np.random.default_rng(0)
    clos = _ppr_folds(transition_matrix(g), np.array([0, 1, 2, 3, 4, 5]), folds=6, damping=0.85, rng=rng)
    # with 6 folds each seed is scored by the others alone: 5's only neighbour is no seed,
    # and the other seeds are in another component, so 5 gets nothing
    assert clos[5] == pytest.approx(0.0, abs=1e-9)
    assert clos[6] > 0.1  # 6 sits next to seed 5 (in the 5 runs that seed it)
    assert clos[7] == pytest.approx(0.0, abs=1e-9)  # isolated
    assert clos[2] > 0


def test_validation_on_planted_community(community):
    df, info = volunteer_candidates(community, recall_at=30, seed=0, details=True)
    val = info.validation
    assert isinstance(info, VolunteerDetails) and isinstance(val, VolunteerValidation)
    assert val.hidden == 6 and val.k == 30 and val.seed == 0
    assert val.auc >= 0.85
    assert val.recall_at_k >= 0.5
    # roles of hidden volunteers were masked (each had some volunteer roles in the planted data)
    assert val.masked_roles > 0
    # latent volunteers (o030-o039) dominate the top of the ranking
    top = set(df["owner_id"].head(20))
    assert len(top & {f"o{i:03d}" for i in range(30, 40)}) >= 7


def test_excludes_volunteers_and_staff(community):
    df = volunteer_candidates(community, validate=False)
    o = community.owners.set_index("owner_id")
    assert not o.loc[df["owner_id"], "is_volunteer"].any()
    assert not o.loc[df["owner_id"], "is_staff"].any()
    assert len(df) == (~o["is_volunteer"] & ~o["is_staff"]).sum()
    assert (df["opted_out"].to_numpy() == o.loc[df["owner_id"], "marketing_opt_out"].to_numpy()).all()


def test_deterministic_under_seed(community):
    a, va = volunteer_candidates(community, seed=3, details=True)
    fresh = Community(community.tables, since=community.since, until=community.until)  # a new community: nothing cached, computed again
    b, vb = volunteer_candidates(fresh, seed=3, details=True)
    pd.testing.assert_frame_equal(a, b)
    assert va == vb
    top = volunteer_candidates(community, seed=3, top=10, validate=False)
    pd.testing.assert_frame_equal(top, a.head(10).reset_index(drop=True))
    # sorted by score desc, then owner_id
    key = list(zip(-a["score"], a["owner_id"]))
    assert key == sorted(key)


def test_no_volunteers_is_an_analysis_error():
    c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a", "b"]})})
    with pytest.raises(AnalysisError):
        volunteer_candidates(c)


@pytest.mark.parametrize("opts", [{"holdout": 0}, {"holdout": 1.5}, {"recall_at": 0}, {"lang": "fr"}])
def test_bad_options(opts):
    with pytest.raises(ConfigError):
        volunteer_candidates(tiny(), **opts)


def test_demo_community_auc():
    demo = pytest.importorskip("graphcrm.demo")
    tables, truth = demo.generate_demo(3000, seed=0)
    df, info = volunteer_candidates(Community(tables), seed=0, details=True)
    assert info.validation.auc >= 0.85
    # the planted look-alike helpers fill the top of the list
    latent = set(truth["latent_helpers"])
    assert len(set(df["owner_id"].head(len(latent))) & latent) >= 0.6 * len(latent)


def test_reusing_circles_gives_the_same_result(community):
    circles_mod = pytest.importorskip("graphcrm.algorithms.circles")
    pre = circles_mod.circles(community, seed=0)
    a = volunteer_candidates(community, seed=0, validate=False)
    b = volunteer_candidates(community, seed=0, validate=False, circles=pre)
    pd.testing.assert_frame_equal(a, b)
    # one circle holding everybody: the share is the volunteer share of the others
    one = pd.DataFrame({"owner_id": community.owner_ids, "circle": 0})
    c = volunteer_candidates(community, validate=False, circles=one).set_index("owner_id")
    n = len(community.owner_ids)
    vols = int((community.owners["is_volunteer"] & ~community.owners["is_staff"]).sum())
    assert c["circle_share"].round(4).eq(round(vols / (n - 1), 4)).all()
    with pytest.raises(ConfigError):
        volunteer_candidates(community, validate=False, circles=pd.DataFrame({"owner_id": ["o001"]}))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_reasons_column_wise_equal_row_by_row(lang):
    from graphcrm.i18n import join

    rng = np.random.default_rng(5)
    n = 500
    raw = pd.DataFrame({f: rng.integers(0, 6, n).astype(float) for f in FEATURES})
    raw["closeness"] = rng.random(n) * 3
    raw["tenure_days"] = rng.random(n) * 900
    raw["circle_share"] = rng.random(n).round(2)
    Z = rng.normal(size=(n, len(FEATURES)))
    Z[:40] = -1.0  # no positive share: the weak reason
    Z[40:60, 1:] = -1.0  # one part only
    w = np.array([0.5, 0.0, 0.7, 0.2, 0.5, 0.5, 0.03])  # one weight 0: never named
    vals = raw.to_numpy(float)
    contrib = np.where((Z > 0) & (w > 0), Z * w, 0.0)
    order = np.argsort(-contrib, axis=1, kind="stable")[:, :2]
    weak = "各项信号均较弱" if lang == "zh" else "no strong signal"
    ref = []
    for i in range(n):  # the row-by-row construction it replaces
        parts = [_fragment(FEATURES[j], vals[i, j], lang) for j in order[i] if contrib[i, j] > 0]
        ref.append(join(parts, lang) if parts else weak)
    got = _reasons(raw, Z, w, lang)
    assert got == ref
    assert got[0] == weak and ";" not in got[45] and "，" not in got[45]
