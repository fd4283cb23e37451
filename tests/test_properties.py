"""Property-based tests of the loading and consent guarantees (docs/reliability.md).

Randomly generated and randomly corrupted community tables are loaded, and for every example:

* read = loaded + rejected, for every table, and ``read`` is the number of input rows;
* loading the same input twice leaves the store as loading it once;
* a blank cell never overwrites a stored value: after any sequence of owner loads, each
  owner's ``marketing_opt_out`` / ``is_staff`` is the last explicit value given (the default,
  false, when none was);
* an owner whose last explicit opt-out (or staff) value is true is never in ``targets()`` or
  ``ambassadors()``;
* the embedded and the Bolt store hold the same rows for the same input.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import graphcrm  # noqa: E402
from graphcrm.contract import TABLES  # noqa: E402

NOW = "2026-01-01"
SETTINGS = dict(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])

# values a hostile export holds, by column type; "" is a blank cell
GOOD = {
    "datetime": ["2024-03-01", "2024-03-01 10:00:00", "2025-12-31T23:59:00"],
    "bool": ["true", "false", "是", "否", "1", "0", "yes", "no"],
    "int": ["0", "12", "300"],
    "float": ["0", "1.5", "-3.25", "1000"],
    "str": ["上海", "北京", "Shenzhen", "O'Brien", "=cmd|' /C calc'!A0", "$\\frac{1$"],
}
BAD = {
    "datetime": ["9999-12-31", "0001-01-01", "2023-02-30", "yesterday", "2262-04-12", "1969-12-31", "2099-01-01"],
    "bool": ["maybe", "2", "tru"],
    "int": ["1e20", "99999999999999999999", "inf", "-Infinity", "nan", "-1", "1.5", "x"],
    "float": ["1e309", "-Infinity", "inf", "NaN", "x"],
    "str": [],
}
ID_NOISE = ["", "\u200b", "\ufeff", "\u2060", " ", "\u00ad"]


def _cell(col, draw) -> str:
    kind = "enum" if col.type == "enum" else col.type
    if kind == "enum":
        return draw(st.sampled_from(list(col.values) + [v.upper() for v in col.values] + ["", "bogus"]))
    pool = GOOD[kind] + BAD[kind] + [""]
    return draw(st.sampled_from(pool))


@st.composite
def communities(draw) -> dict[str, pd.DataFrame]:
    """Six small tables as a CSV export would give them (all text), randomly corrupted."""
    n = draw(st.integers(2, 8))
    base_ids = [f"o{i}" for i in range(n)]
    # some ids carry invisible characters or stray spaces: they must be normalised to their twins
    ids = [i + draw(st.sampled_from(ID_NOISE)) for i in base_ids]
    owners = {"owner_id": ids}
    for c in TABLES["owners"].columns[1:]:
        owners[c.name] = [_cell(c, draw) for _ in ids]
    events_n = draw(st.integers(1, 3))
    events = {"event_id": [f"e{j}" for j in range(events_n)]}
    for c in TABLES["events"].columns[1:]:
        events[c.name] = [_cell(c, draw) if c.name != "starts_at" or draw(st.booleans()) else "2024-05-01"
                          for _ in range(events_n)]
    posts_n = draw(st.integers(1, 4))
    posts = {
        "post_id": [f"p{j}" for j in range(posts_n)],
        "author_id": [draw(st.sampled_from(base_ids + ["ghost"])) for _ in range(posts_n)],
        "created_at": [draw(st.sampled_from(["2024-01-01", "2024-02-01", "9999-12-31", ""])) for _ in range(posts_n)],
        "channel": [draw(st.sampled_from(["动态", "", "@SUM(A1)"])) for _ in range(posts_n)],
    }
    pair = st.tuples(st.sampled_from(base_ids + ["ghost"]), st.sampled_from(base_ids))
    refs = draw(st.lists(pair, max_size=6))
    referrals = {
        "referrer_id": [a for a, _ in refs], "referee_id": [b for _, b in refs],
        "referred_at": [draw(st.sampled_from(["2024-06-01", "", "0000-00-00", "2024-13-01"])) for _ in refs],
        "stage": [draw(st.sampled_from(["lead", "order", "delivered", "", "sold"])) for _ in refs],
    }
    att = draw(st.lists(st.tuples(st.sampled_from(events["event_id"] + ["e9"]), st.sampled_from(base_ids)),
                        max_size=6))
    attendance = {
        "event_id": [e for e, _ in att], "owner_id": [o for _, o in att],
        "role": [draw(st.sampled_from(["attendee", "host", "", "boss"])) for _ in att],
        "checked_in": [draw(st.sampled_from(["true", "false", "", "maybe"])) for _ in att],
    }
    inter = draw(st.lists(st.tuples(st.sampled_from(base_ids), st.sampled_from(posts["post_id"])), max_size=8))
    interactions = {
        "owner_id": [o for o, _ in inter], "post_id": [p for _, p in inter],
        "kind": [draw(st.sampled_from(["like", "comment", "share", "", "poke"])) for _ in inter],
        "created_at": [draw(st.sampled_from(["2024-03-01", "2023-01-01", "1e309", ""])) for _ in inter],
    }
    frames = dict(owners=owners, events=events, posts=posts, referrals=referrals, attendance=attendance,
                  interactions=interactions)
    return {t: pd.DataFrame(v, dtype=object).astype(str) if len(next(iter(v.values()))) else
            pd.DataFrame({c: pd.Series([], dtype=object) for c in v}) for t, v in frames.items()}


def _snapshot(cg) -> dict[str, pd.DataFrame]:
    return {t: cg.table(t).reset_index(drop=True) for t in TABLES}


def _assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for t in TABLES:
        pd.testing.assert_frame_equal(a[t], b[t], check_dtype=False, obj=t)


@settings(**SETTINGS)
@given(data=communities())
def test_accounting_and_idempotency(data, tmp_path_factory):
    rejects = tmp_path_factory.mktemp("rej") / "rejects.csv"
    cg = graphcrm.open(":memory:")
    rep = cg.load(data, now=NOW, rejects_path=rejects)
    for r in rep.counts.itertuples(index=False):
        assert r.read == r.loaded + r.rejected, r
        assert r.read == len(data[r.table])
    # every rejected row has a reason naming its row
    if rep.rejected:
        per_table = rep.rejects.groupby("table")["row"].nunique()
        for r in rep.counts.itertuples(index=False):
            assert per_table.get(r.table, 0) == r.rejected
        assert rep.rejects["reason"].map(lambda s: isinstance(s, str) and len(s) > 0).all()
    # stored rows are exactly the loaded ones
    counts = cg.store.counts()
    loaded = dict(zip(rep.counts["table"], rep.counts["loaded"]))
    for t, n in counts.items():
        assert n == loaded.get(t, 0), t
    once = _snapshot(cg)
    rep2 = cg.load(data, now=NOW, rejects_path=rejects)
    assert rep2.loaded == rep.loaded and rep2.rejected == rep.rejected
    _assert_same(once, _snapshot(cg))


FLAG = st.sampled_from(["true", "false", "", "  ", "是", "否"])


@settings(**SETTINGS)
@given(loads=st.lists(st.lists(st.tuples(FLAG, FLAG), min_size=4, max_size=4), min_size=1, max_size=5))
def test_blank_never_overwrites_flags(loads):
    ids = ["a", "b", "c", "d"]
    cg = graphcrm.open(":memory:")
    expect = {i: {"marketing_opt_out": False, "is_staff": False} for i in ids}
    truth = {"true": True, "是": True, "false": False, "否": False}
    for load in loads:
        frame = pd.DataFrame({"owner_id": ids, "marketing_opt_out": [a for a, _ in load],
                              "is_staff": [b for _, b in load], "city": ["", "上海", "", ""]})
        rep = cg.load({"owners": frame}, now=NOW)
        assert rep.rejected == 0
        for i, (opt, staff) in zip(ids, load):
            if opt.strip():
                expect[i]["marketing_opt_out"] = truth[opt]
            if staff.strip():
                expect[i]["is_staff"] = truth[staff]
        got = cg.table("owners").set_index("owner_id")
        for i in ids:
            assert bool(got.at[i, "marketing_opt_out"]) == expect[i]["marketing_opt_out"], (i, loads)
            assert bool(got.at[i, "is_staff"]) == expect[i]["is_staff"], (i, loads)
        # a blank city never erases the one loaded before
        assert got.at["b", "city"] == "上海"


def _shop_tables() -> dict[str, pd.DataFrame]:
    """Ten owners with posts, events, referrals and interactions (all activity dated 2024)."""
    ids = [f"u{i}" for i in range(10)]
    owners = pd.DataFrame({"owner_id": ids, "joined_at": "2022-01-01",
                           "is_volunteer": ["true" if i >= 7 else "false" for i in range(10)]})
    events = pd.DataFrame({"event_id": ["e1", "e2"], "starts_at": ["2024-06-01", "2024-12-20"]})
    attendance = pd.DataFrame({"event_id": ["e1"] * 5 + ["e2"] * 5, "owner_id": ids,
                               "role": ["host"] + ["attendee"] * 3 + ["volunteer"] + ["host"] + ["attendee"] * 4})
    posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(5)], "author_id": ids[:5],
                          "created_at": "2024-06-01"})
    inter = [(ids[j], f"p{i}", "comment", "2024-06-02") for i in range(5) for j in range(5, 10)]
    interactions = pd.DataFrame(inter, columns=["owner_id", "post_id", "kind", "created_at"])
    referrals = pd.DataFrame({"referrer_id": ids[:5], "referee_id": ids[5:], "referred_at": "2024-11-01",
                              "stage": ["delivered", "order", "delivered", "lead", "order"]})
    return dict(owners=owners, events=events, attendance=attendance, posts=posts, interactions=interactions,
                referrals=referrals)


@pytest.fixture(scope="module")
def shop_frames():
    return _shop_tables()


@settings(**{**SETTINGS, "max_examples": 12})
@given(loads=st.lists(st.lists(st.tuples(FLAG, FLAG), min_size=10, max_size=10), min_size=1, max_size=3))
def test_opted_out_and_staff_are_never_targeted(loads, shop_frames):
    cg = graphcrm.open(":memory:")
    cg.load(shop_frames, now=NOW)
    ids = list(shop_frames["owners"]["owner_id"])
    blocked = {i: False for i in ids}
    state = {i: [False, False] for i in ids}
    for load in loads:
        frame = pd.DataFrame({"owner_id": ids, "marketing_opt_out": [a for a, _ in load],
                              "is_staff": [b for _, b in load]})
        cg.load({"owners": frame}, now=NOW)
        for i, (opt, staff) in zip(ids, load):
            for j, v in enumerate((opt, staff)):
                if v.strip():
                    state[i][j] = v in ("true", "是")
    blocked = {i for i, (o, s) in state.items() if o or s}
    eligible = [i for i in ids if i not in blocked]
    amb = cg.ambassadors(k=max(1, min(3, len(eligible))), until="2025-01-01", mc_runs=0) if eligible else None
    if amb is not None:
        assert not (set(amb["owner_id"]) & blocked)
    tg = cg.targets(until="2025-01-01", ambassadors_k=3, volunteer_k=5, referral_k=5, reactivation_k=5)
    assert not (set(tg["owner_id"]) & blocked)


@pytest.mark.filterwarnings("ignore::graphcrm.stores.bolt_store.StoreWarning")
@settings(**{**SETTINGS, "max_examples": 10})
@given(data=communities())
def test_embedded_and_bolt_hold_the_same_rows(data, falkordb_uri, tmp_path_factory):
    from graphcrm.stores.bolt_store import BoltStore

    rejects = tmp_path_factory.mktemp("rej") / "rejects.csv"
    emb = graphcrm.open(":memory:")
    rep_e = emb.load(data, now=NOW, rejects_path=rejects)
    store = BoltStore(falkordb_uri)
    try:
        store._write_small("MATCH (n) DETACH DELETE n RETURN count(n)")
        bolt = graphcrm.CommunityGraph(store)
        rep_b = bolt.load(data, now=NOW, rejects_path=rejects)
        pd.testing.assert_frame_equal(rep_e.counts.drop(columns="source_file"),
                                      rep_b.counts.drop(columns="source_file"))
        _assert_same(_snapshot(emb), _snapshot(bolt))
    finally:
        store.close()
