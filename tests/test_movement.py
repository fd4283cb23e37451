"""Movement between periods on a tiny hand-checked community: an owner who moves up, one who
drifts, one rising star, a new owner, and the grace period of level downgrades."""
from __future__ import annotations

import io

import numpy as np

import pandas as pd
import pytest
from click.testing import CliRunner

import graphcrm
from graphcrm.algorithms.movement import (
    DEFAULT_GRACE_DAYS,
    drifting_owners,
    grace_levels,
    level_transitions,
    movement,
    new_owner_cohort,
    parse_period,
    rising_stars,
)
from graphcrm.community import Community
from graphcrm.errors import ConfigError

# current period: (2024-06-01, 2024-07-01]; earlier period: (2024-05-02, 2024-06-01]
AS_OF = pd.Timestamp("2024-07-01")
JOINED = "2024-01-01"


def _frames() -> dict[str, pd.DataFrame]:
    owners = ["U", "D", "S", "R", "K1", "K2", "E1", "E2", "E3", "E4", "G", "G2", "N", "staff"]
    joined = {o: JOINED for o in owners}
    joined["N"] = "2024-06-15"
    own = pd.DataFrame({"owner_id": owners, "joined_at": [joined[o] for o in owners],
                        "name": [f"name-{o}" for o in owners], "is_staff": [o == "staff" for o in owners]})
    posts, inter = [], []

    def post(author: str, when: str, engagers: tuple[str, ...] = (), delay_h: int = 2) -> None:
        pid = f"p{len(posts)}"
        posts.append({"post_id": pid, "author_id": author, "created_at": when})
        for e in engagers:
            inter.append({"owner_id": e, "post_id": pid, "kind": "like",
                          "created_at": str(pd.Timestamp(when) + pd.Timedelta(hours=delay_h))})

    # U moves up: 6 posts in June (30 points; member needs 20), nothing before
    for d in range(10, 16):
        post("U", f"2024-06-{d:02d}")
    # D drifts: 10 posts in May, nothing in June
    for d in range(10, 20):
        post("D", f"2024-05-{d:02d}")
    # S is steady: 3 posts in May and 3 in June
    for d in (10, 11, 12):
        post("S", f"2024-05-{d:02d}")
        post("S", f"2024-06-{d:02d}")
    # K1, K2 were KOCs then (3 engagers on 2 days in May); quiet since
    for k in ("K1", "K2"):
        post(k, "2024-05-20", ("E1", "E2", "E3"))
        post(k, "2024-05-22", ("E1", "E2", "E3"))
    # R rises: unknown in May, 3 posts in June each engaged by 4 owners
    for d in (20, 21, 22):
        post("R", f"2024-06-{d:02d}", ("E1", "E2", "E3", "E4"))
    # G: 8 posts on 25 May (40 points; with a 30-day half-life member until ~24 June)
    for i in range(8):
        post("G", f"2024-05-25 {10 + i}:00")
    # G2: 8 posts on 20 March (member only until early April)
    for i in range(8):
        post("G2", f"2024-03-20 {10 + i}:00")
    # N joined mid-June and posted
    post("N", "2024-06-20")
    frames = {"owners": own, "posts": pd.DataFrame(posts), "interactions": pd.DataFrame(inter)}
    return frames


@pytest.fixture(scope="module")
def community() -> Community:
    return Community.from_frames(_frames(), now="2025-01-01")


@pytest.fixture(scope="module")
def moved(community):
    return movement(community, as_of=AS_OF, half_life_days=None, details=True)


def _row(df: pd.DataFrame, oid: str) -> pd.Series:
    hit = df[df["owner_id"] == oid]
    assert len(hit) == 1, oid
    return hit.iloc[0]


def test_periods_and_details(moved):
    m, det = moved
    assert det.now_end == AS_OF and det.now_start == pd.Timestamp("2024-06-01")
    assert det.then_end == pd.Timestamp("2024-06-01") and det.then_start == pd.Timestamp("2024-05-02")
    assert det.grace_days == DEFAULT_GRACE_DAYS and "60 days" in det.grace_rule
    assert det.moved_up + det.held + det.moved_down + det.new == det.owners == len(m)
    assert "staff" not in set(m["owner_id"])  # staff have no level


def test_owner_who_moves_up(moved):
    m, _ = moved
    u = _row(m, "U")
    assert (u["direction"], u["level_then"], u["level_now"]) == ("up", "buyer", "member")
    assert (u["activity_then"], u["activity_now"]) == (0, 6)
    assert u["contribution_now"] == 30.0 and u["contribution_then"] == 0.0
    assert "buyer -> Member (up)".lower() in u["reason"].lower()


def test_activity_is_counted_inside_each_period(moved):
    m, _ = moved
    s = _row(m, "S")
    assert (s["activity_then"], s["activity_now"]) == (3, 3)
    e1 = _row(m, "E1")
    assert (e1["activity_then"], e1["activity_now"]) == (4, 3)  # likes given: 2 posts each of K1, K2; 3 of R
    k1 = _row(m, "K1")
    assert (k1["engagement_then"], k1["engagement_now"]) == (6, 0)
    r = _row(m, "R")
    assert (r["engagement_now"], r["engagers_now"]) == (12, 4)


def test_new_owner(moved, community):
    m, _ = moved
    n = _row(m, "N")
    assert n["direction"] == "new" and pd.isna(n["level_then"]) and pd.isna(n["level_rank_then"])
    c = new_owner_cohort(community, as_of=AS_OF, months=3)  # as_of is 1 July 00:00: July is a month too
    assert c["cohort"].tolist() == ["2024-07", "2024-06", "2024-05"]
    june = c.iloc[1]
    assert (june["owners"], june["posted"], june["attended"], june["referred"]) == (1, 1, 0, 0)
    assert not june["complete"] and c.iloc[0]["owners"] == 0 and c.iloc[2]["owners"] == 0


def test_drifting_owner(community):
    d = drifting_owners(community, as_of=AS_OF)
    assert d["owner_id"].tolist() == ["D"]  # highest contribution then, 10 -> 0 activities
    row = d.iloc[0]
    assert (row["activity_then"], row["activity_now"], row["activity_drop"]) == (10, 0, 1.0)
    # S has the same activity in both periods; K1 is not in the top decile of contribution
    loose = drifting_owners(community, as_of=AS_OF, contribution_quantile=0.0, min_activity=1)
    assert "S" not in set(loose["owner_id"]) and {"D", "K1", "K2"} <= set(loose["owner_id"])


def test_rising_star(community, moved):
    m, _ = moved
    r = rising_stars(community, as_of=AS_OF)
    assert r["owner_id"].tolist() == ["R"]
    row = r.iloc[0]
    k_then = m[m["koc_rank_then"].notna()]
    assert set(k_then["owner_id"]) == {"K1", "K2"}  # the only KOC scores then
    assert pd.isna(row["koc_rank_then"]) and row["koc_rank_now"] == 1
    assert row["koc_rank_gain"] == 3 - 1  # unscored then = tied last = 2 scored + 1
    # U did more but nobody engaged: not a star; a stricter engager threshold drops R
    assert len(rising_stars(community, as_of=AS_OF, min_engagers=5)) == 0
    assert len(rising_stars(community, as_of=AS_OF, min_activity=4)) == 0


def test_grace_period_keeps_a_level_then_lets_it_drop(community):
    m = movement(community, as_of=AS_OF, half_life_days=30)
    g = _row(m, "G")
    # 40 points on 25 May: member on 1 June (34 pts), 17 pts on 1 July: below member for 7 days
    assert (g["level_then"], g["raw_level_now"], g["level_now"]) == ("member", "buyer", "member")
    assert g["grace_hold"] and g["direction"] == "held" and "grace" in g["reason"]
    g2 = _row(m, "G2")
    # 40 points on 20 March: member at the 2 April checkpoint, below since early April: dropped
    assert (g2["level_then"], g2["level_now"], g2["direction"]) == ("member", "buyer", "down")
    off = movement(community, as_of=AS_OF, half_life_days=30, grace_days=0)
    g = _row(off, "G")
    assert (g["level_then"], g["level_now"], g["direction"], g["grace_hold"]) == ("member", "buyer", "down", False)
    assert _row(off, "G2")["level_then"] == "buyer"  # without grace G2 was a buyer already on 1 June


def test_grace_levels_never_below_raw_and_monotone_in_grace(community):
    ids = community.owner_ids
    dates = [AS_OF]
    prev = None
    for grace in (0, 30, 60, 120):
        g = grace_levels(community, ids, dates, grace_days=grace, level_options={"half_life_days": 30})[AS_OF]
        assert (g["held"] >= g["raw"]).all()
        if prev is not None:
            assert (g["held"] >= prev).all()
        prev = g["held"]


def test_transition_matrix_adds_up(community, moved):
    m, _ = moved
    t = level_transitions(community, as_of=AS_OF, half_life_days=None)
    assert t["level"].tolist() == ["companion", "advocate", "fan", "member", "buyer"]
    assert (t["owners_then"] == t["moved_up"] + t["held"] + t["moved_down"]).all()
    assert (t["owners_now"] == t["held"] + t["arrived"] + t["new"]).all()
    assert t["owners_now"].sum() == len(m) and t["owners_then"].sum() == (m["direction"] != "new").sum()
    buyer = t.set_index("level").loc["buyer"]
    assert buyer["moved_up"] == (m["direction"] == "up").sum()


def test_bad_options_are_config_errors(community):
    with pytest.raises(ConfigError, match="period"):
        movement(community, period="soon")
    with pytest.raises(ConfigError, match="grace_days"):
        movement(community, grace_days=-1)
    with pytest.raises(ConfigError, match="as_of"):
        movement(community, as_of="not a date")
    assert parse_period("1Q").days == 91 and parse_period(7).days == 7


def test_api_and_cli(tmp_path):
    store = str(tmp_path / "s.duckdb")
    cg = graphcrm.open(store)
    cg.load(_frames(), now="2025-01-01")
    m = cg.movement(as_of=AS_OF, half_life_days=None)
    assert _row(m, "U")["direction"] == "up"
    assert cg.rising_stars(as_of=AS_OF)["owner_id"].tolist() == ["R"]
    cg.close()
    from graphcrm.cli import cli

    runner = CliRunner()
    res = runner.invoke(cli, ["movement", "--store", store, "--as-of", "2024-06-30"])
    assert res.exit_code == 0, res.output
    assert "grace period" in res.output and "Rising stars" in res.output and "Drifting owners" in res.output
    assert "name-" not in res.output
    res = runner.invoke(cli, ["movement", "--store", store, "--as-of", "2024-06-30", "--table", "drifting",
                              "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0].startswith("owner_id,level_then") and "\nD," in res.stdout
    res = runner.invoke(cli, ["movement", "--store", store, "--as-of", "2024-06-30", "--table", "owners",
                              "--no-circles", "--format", "csv", "-n", "0"])
    assert res.exit_code == 0, res.output
    owners = pd.read_csv(io.StringIO(res.stdout))
    assert len(owners) == 13 and (owners["circle_then"] == -1).all()  # --no-circles: no earlier circles
    res = runner.invoke(cli, ["movement", "--store", store, "--format", "json"])
    assert res.exit_code != 0 and "--table" in res.output
    res = runner.invoke(cli, ["movement", "--store", store, "--period", "soon"])
    assert res.exit_code == 1 and "period" in res.output


def test_demo_plants_movers_and_drifters():
    from graphcrm.algorithms.levels import activity_log
    from graphcrm.demo import generate_demo

    tables, truth = generate_demo(2_000, seed=11)
    planted = truth["movement"]
    rise, drift = planted["rising_stars"], planted["drifters"]
    assert len(rise) == 5 and 5 <= len(drift) <= 10 and not set(rise) & set(drift)  # drifters need a strong record
    c = Community(tables)
    # planted truth holds in the tables: drifters do nothing themselves in the last 30 days,
    # rising stars had never posted before it
    log = activity_log(c)
    ids = pd.Series(c.owner_ids)
    last = log[log["at"] > c.as_of - pd.Timedelta(days=30)]
    assert not set(ids[last["pos"]]) & set(drift)
    posts = tables["posts"]
    early = posts[posts["created_at"] <= c.as_of - pd.Timedelta(days=30)]
    assert not set(early["author_id"]) & set(rise)
    # ... and the tables find them
    rs = rising_stars(c)
    assert set(rs["owner_id"].head(len(rise))) == set(rise)
    dr = drifting_owners(c)
    assert set(drift) <= set(dr["owner_id"])
    m = movement(c).set_index("owner_id")
    assert (m.loc[rise, "direction"] == "up").all()
    assert (m.loc[drift, "activity_now"] == 0).all()


def test_compare_circles_off_keeps_levels_and_activity(community, moved):
    m, _ = moved
    off = movement(community, as_of=AS_OF, half_life_days=None, compare_circles=False)
    assert (off["circle_then"] == -1).all() and not off["circle_changed"].any()
    cols = ["owner_id", "direction", "level_now", "activity_then", "activity_now", "koc_rank_now"]
    pd.testing.assert_frame_equal(off[cols], m[cols])


def test_drifting_owners_need_no_circles(community):
    """compare_circles=False only saves the earlier circle detection: the drifting list (levels
    and activity) is the same."""
    on = drifting_owners(community, as_of=AS_OF)
    off = drifting_owners(community, as_of=AS_OF, compare_circles=False)
    pd.testing.assert_frame_equal(on, off)


@pytest.mark.parametrize("opts", [{}, {"period": "60D", "min_drop": 0.7}, {"grace_days": 0, "lang": "zh"}])
def test_drifting_owners_from_the_core_equal_the_rule_on_the_movement_table(opts):
    """drifting_owners reads movement's shared core (no KOC ranks, circles or texts); its list is
    the documented rule applied to the whole movement table (the way it was computed before),
    row for row, and its details are movement's."""
    import numpy as np

    from graphcrm.algorithms.movement import drifting_owners as drift
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1500, seed=2)
    mopts = {k: v for k, v in opts.items() if k != "min_drop"}
    d, det = drift(Community(tables), details=True, **opts)
    m, mdet = movement(Community(tables), details=True, **mopts)
    assert det == mdet
    m = m[m["direction"] != "new"]
    then = m["contribution_then"].fillna(0.0).to_numpy(float)
    high = np.quantile(then[then > 0], 0.9)
    act_then, act_now = m["activity_then"].to_numpy(float), m["activity_now"].to_numpy(float)
    drop = 1.0 - act_now / np.where(act_then > 0, act_then, np.nan)
    ok = (then >= high) & (then > 0) & (act_then >= 3) & (np.nan_to_num(drop) >= opts.get("min_drop", 0.5) - 1e-9)
    want = m[ok].assign(activity_drop=np.round(drop[ok], 4))
    want = want.sort_values(["contribution_then", "activity_drop", "owner_id"], ascending=[False, False, True])
    assert len(d) > 0
    assert d["owner_id"].tolist() == want["owner_id"].tolist()
    for col in ("level_then", "level_now", "activity_then", "activity_now", "engagement_then", "engagement_now"):
        assert d[col].astype(str).tolist() == want[col].astype(str).tolist(), col
    assert np.allclose(d["contribution_then"].to_numpy(float), want["contribution_then"].to_numpy(float))
    assert np.allclose(d["activity_drop"].to_numpy(float), want["activity_drop"].to_numpy(float))


def test_earlier_circles_full_by_default_quick_on_request():
    """By default the earlier period's circles are the full detection (scan and consensus, as a
    report run that day); ``quick_circles_then=True`` makes them one Leiden run at the
    resolution today's circles chose, shared by the earlier KOCs' bridging; levels, activity
    and today's columns do not change."""
    import json

    from graphcrm.algorithms.circles import circles
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1500, seed=3)

    def partitions(c: Community) -> list[dict]:
        then = [v for k, v in c._memo.items() if k.startswith("movement:until")]
        assert len(then) == 1
        return [json.loads(k[len("circle_partition"):]) for k in then[0]._memo if k.startswith("circle_partition")]

    full_c = Community(tables)
    full = movement(full_c)
    (p,) = partitions(full_c)  # one partition of the earlier period, shared by its KOCs and circles
    assert p["consensus_runs"] == 10 and p["resolution"] is None
    quick_c = Community(tables)
    quick = movement(quick_c, quick_circles_then=True)
    _, now_det = circles(quick_c, details=True)
    (p,) = partitions(quick_c)
    assert p["consensus_runs"] == 1 and p["resolution"] == pytest.approx(now_det.resolution)
    same = [c for c in full.columns if c not in ("koc_rank_then", "koc_rank_gain", "koc_score_then", "circle_then",
                                                  "circle_changed", "reason")]
    pd.testing.assert_frame_equal(quick[same], full[same])
    # the earlier KOC ranks move by a few places at most: the order is all but the same
    rho = quick["koc_rank_then"].astype(float).corr(full["koc_rank_then"].astype(float), method="spearman")
    assert rho > 0.99
    # a given circle option reaches the earlier period's circles too
    opt_c = Community(tables)
    movement(opt_c, koc_options={"circle_options": {"seed": 3}}, quick_circles_then=True)
    (p,) = partitions(opt_c)
    assert p["seed"] == 3 and p["consensus_runs"] == 1


def test_earlier_circle_ids_equal_the_circles_table(community):
    """The earlier period's circles are read from the cached partition, not the circles table:
    the same circle per owner."""
    from graphcrm.algorithms.circles import circles
    from graphcrm.algorithms.movement import _circle

    ids = community.owner_ids.to_numpy() if hasattr(community.owner_ids, "to_numpy") else community.owner_ids
    want = circles(community).set_index("owner_id")["circle"].reindex(ids).fillna(-1).to_numpy()
    assert (_circle(community, ids, table=False) == want).all()
    assert (_circle(community, ["nobody"], table=False) == -1).all()


def test_report_movement_options_reuse_todays_circles(community):
    """The report's movement tables (``MOVEMENT_OPTIONS``: ``compare_circles=False``) detect no
    circles of the earlier period: the earlier KOC ranks are KOCs of the earlier window with
    today's circles; levels and transitions are those of the default call.  On the hand-checked
    community the rising star and its gain are the same as with the earlier period's circles."""
    from graphcrm.algorithms.circles import circles
    from graphcrm.algorithms.koc import kocs
    from graphcrm.demo import generate_demo
    from graphcrm.reports.html import MOVEMENT_OPTIONS

    assert MOVEMENT_OPTIONS == {"compare_circles": False}
    r = rising_stars(community, as_of=AS_OF, **MOVEMENT_OPTIONS)
    assert r["owner_id"].tolist() == ["R"] and r.iloc[0]["koc_rank_gain"] == 2 and r.iloc[0]["koc_rank_now"] == 1

    tables, _ = generate_demo(1500, seed=3)
    c = Community(tables)
    m = movement(c, **MOVEMENT_OPTIONS)
    rising_stars(c, **MOVEMENT_OPTIONS)
    t = level_transitions(c, **MOVEMENT_OPTIONS)
    # no earlier detection: not even a window community (the earlier KOCs come from the cut rows)
    assert not [k for k in c._memo if k.startswith("movement:until")]
    assert [k for k in c._memo if k.startswith("circle_partition")]  # today's, shared
    then_c = Community(tables, until=pd.Timestamp(c.as_of) - pd.Timedelta(days=30))
    want = kocs(then_c, circles_frame=circles(c)).set_index("owner_id")
    want = want[want["score"] > 0]["rank"].reindex(m["owner_id"])
    got = m["koc_rank_then"].astype("Float64").to_numpy(float, na_value=np.nan)
    np.testing.assert_array_equal(got, want.to_numpy(float))
    assert (m["koc_rank_then"].notna()).sum() > 100
    default = Community(tables)
    pd.testing.assert_frame_equal(t, level_transitions(default))


def test_activity_by_positions_equals_the_merge(monkeypatch):
    """The engagement counts of each period from positions (_engagement_rows) are the merge's
    (the fallback for duplicate post ids), owner for owner, on a demo and both periods."""
    import graphcrm.algorithms.movement as mv
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1500, seed=6)
    c = Community(tables)
    now = pd.Timestamp(c.as_of)
    windows = [(now - pd.Timedelta(days=30), now), (now - pd.Timedelta(days=60), now - pd.Timedelta(days=30))]
    fast = [mv._activity(c, lo, hi) for lo, hi in windows]
    rows = mv._engagement_rows(c)
    assert rows is not None
    # the positions are the KOC pass's cached interaction rows, not a second copy
    from graphcrm.algorithms.koc import _interaction_rows
    e, a, _r = _interaction_rows(c)
    assert rows[0] is a and rows[1] is e and len(rows[2]) == len(e)
    monkeypatch.setattr(mv, "_engagement_rows", lambda community: None)
    slow_c = Community(tables)
    slow = [mv._activity(slow_c, lo, hi) for lo, hi in windows]
    for f, s in zip(fast, slow):
        assert set(f) == set(s)
        for k in f:
            np.testing.assert_array_equal(f[k], s[k], err_msg=k)
    assert fast[0]["engagement"].sum() > 0 and fast[0]["engagers"].sum() > 0


def test_engagement_times_of_kept_rows_by_hand():
    """The periods' engagement counts come from the KOC pass's kept rows and their own times:
    self-engagement, unknown engagers and undated rows are never counted (hand-built log)."""
    import graphcrm.algorithms.movement as mv

    o = pd.DataFrame({"owner_id": ["a", "b", "c"]})
    p = pd.DataFrame({"post_id": ["p", "q"], "author_id": ["a", "b"], "created_at": ["2024-01-01"] * 2})
    i = pd.DataFrame({"owner_id": ["b", "c", "a", "b", "zz", "c"],
                      "post_id": ["p", "p", "p", "q", "p", "p"],
                      "kind": ["like"] * 6,
                      "created_at": ["2024-01-10", "2024-01-20", "2024-01-11", "2024-01-12", "2024-01-13", None]})
    for t in (p, i):
        t["created_at"] = pd.to_datetime(t["created_at"])
    # not through from_frames: its validation rejects the unknown engager and the undated row
    c = Community({"owners": o, "posts": p, "interactions": i})
    a, e, at = mv._engagement_rows(c)
    # kept rows: b->p (a), c->p (a), c->p undated; a on its own post, b on its own post and zz dropped
    assert c.owner_ids[a].tolist() == ["a", "a", "a"] and c.owner_ids[e].tolist() == ["b", "c", "c"]
    assert at.dtype == np.dtype("datetime64[ns]") and np.isnat(at[2])
    got = mv._activity(c, pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-15"))
    assert got["engagement"].tolist() == [1, 0, 0] and got["engagers"].tolist() == [1, 0, 0]
    got = mv._activity(c, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01"))
    assert got["engagement"].tolist() == [2, 0, 0] and got["engagers"].tolist() == [2, 0, 0]


def test_columns_at_owners_match_a_reindex_by_id():
    """movement's per-owner look-ups (one lookup of the table's ids against the community's
    owner index) give what ``set_index("owner_id")[col].reindex(ids).fillna(fill)`` gives:
    rows in any order, owners the table lacks, ids the community lacks."""
    from graphcrm.algorithms.movement import _at_owners

    c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a", "b", "c", "d"]})})
    table = pd.DataFrame({"owner_id": ["c", "a", "zz"], "rank": [1, 2, 3], "score": [0.5, 0.25, 9.0],
                          "qualified": [True, False, True]})
    ids = np.array(["a", "b", "c", "nobody"], dtype=object)
    pos = c.index_of(ids)
    got = _at_owners(c, table, pos, {"rank": -1, "score": 0.0, "qualified": False})
    s = table.set_index("owner_id")
    assert got["rank"].tolist() == s["rank"].reindex(ids).fillna(-1).astype(int).tolist() == [2, -1, 1, -1]
    assert got["score"].tolist() == [0.25, 0.0, 0.5, 0.0]
    assert got["qualified"].tolist() == [False, False, True, False]


def test_activity_log_kind_is_a_categorical_of_the_four_kinds():
    from graphcrm.algorithms.levels import ACTIVITY_KINDS, activity_log, kind_codes
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(1_000, seed=3)
    log = activity_log(Community(tables))
    assert list(log["kind"].cat.categories) == list(ACTIVITY_KINDS)
    codes = kind_codes(log)
    assert codes.dtype == np.int8 and set(np.unique(codes)) == {0, 1, 2, 3}
    # the same codes from a text column (a log built elsewhere)
    assert (kind_codes(log.assign(kind=log["kind"].astype(str))) == codes).all()
    counts = log["kind"].value_counts()
    assert counts["interaction"] == (codes == 1).sum() and counts["post"] == (codes == 0).sum()
