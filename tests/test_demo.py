"""The demo community generator: determinism, the contract, integrity and the planted truth."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from graphcrm import contract
from graphcrm.demo import demo_stats, generate_demo, write_demo
from graphcrm.errors import ConfigError

N = 2_000
END = pd.Timestamp("2026-09-30")
FILES = [f"{t}.csv" for t in contract.TABLE_NAMES] + ["demo_truth.json"]


@pytest.fixture(scope="module")
def demo():
    return generate_demo(N, seed=11)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    truth = write_demo(folder, N, seed=5)
    return folder, truth


def _digest(folder) -> dict[str, str]:
    return {f: hashlib.sha256((folder / f).read_bytes()).hexdigest() for f in FILES}


# -- determinism -------------------------------------------------------------------------------
def test_same_seed_gives_byte_identical_files(written, tmp_path):
    folder, _ = written
    write_demo(tmp_path, N, seed=5)
    assert _digest(tmp_path) == _digest(folder)


def test_other_seed_gives_other_community(written, tmp_path):
    folder, _ = written
    write_demo(tmp_path, N, seed=6)
    assert (tmp_path / "owners.csv").read_bytes() != (folder / "owners.csv").read_bytes()
    assert (tmp_path / "interactions.csv").read_bytes() != (folder / "interactions.csv").read_bytes()


def test_generate_is_deterministic_in_memory(demo):
    tables, truth = generate_demo(N, seed=11)
    for name in contract.TABLE_NAMES:
        pd.testing.assert_frame_equal(tables[name], demo[0][name])
    assert json.dumps(truth, sort_keys=True) == json.dumps(demo[1], sort_keys=True)


def test_bad_arguments_raise_config_error():
    with pytest.raises(ConfigError):
        generate_demo(10)
    with pytest.raises(ConfigError):
        generate_demo(N, weeks=4)
    with pytest.raises(ConfigError):
        generate_demo(N, end="not a date")


# -- the contract --------------------------------------------------------------------------------
def test_tables_match_the_contract(demo):
    tables, _ = demo
    assert list(tables) == list(contract.TABLE_NAMES)
    for name, t in contract.TABLES.items():
        df = tables[name]
        assert list(df.columns) == t.column_names, name
        assert len(df) > 0, name
        for c in t.columns:
            s = df[c.name]
            if c.type == "datetime":
                assert pd.api.types.is_datetime64_dtype(s.dtype) and getattr(s.dt, "tz", None) is None
                assert (s.dropna() <= END).all(), (name, c.name)
                assert (s.dropna() >= pd.Timestamp("2017-01-01")).all(), (name, c.name)
            elif c.type == "bool":
                assert s.dtype == bool, (name, c.name)
            elif c.type == "enum":
                assert set(s.unique()) <= set(c.values), (name, c.name)
            elif c.type == "float":
                assert s.dtype == np.float64 and s.notna().all()
            if c.required:
                assert s.notna().all(), (name, c.name)
        # no duplicate keys
        assert not df.duplicated(list(t.key)).any(), name
    owners = tables["owners"]
    assert owners["owner_id"].is_monotonic_increasing
    # prospects have neither a purchase nor a car; buyers have both
    assert (owners["purchased_at"].isna() == owners["car_model"].isna()).all()


def test_referential_integrity(demo):
    tables, _ = demo
    for name, t in contract.TABLES.items():
        for col, rtable, rcol in t.references:
            known = set(tables[rtable][rcol])
            assert tables[name][col].isin(known).all(), (name, col)


def test_interactions_follow_their_post_and_events_fall_in_the_window(demo):
    tables, _ = demo
    posts = tables["posts"].set_index("post_id")
    inter = tables["interactions"]
    posted = posts["created_at"].reindex(inter["post_id"]).to_numpy()
    assert (inter["created_at"].to_numpy() > posted).all()
    start = END - pd.Timedelta(weeks=104)
    assert (tables["events"]["starts_at"] >= start).all()
    assert (tables["posts"]["created_at"] >= start).all()
    owners = tables["owners"].set_index("owner_id")
    joined = owners["joined_at"].reindex(inter["owner_id"]).to_numpy()
    assert (joined <= inter["created_at"].to_numpy()).all()


def test_realistic_shape(demo):
    tables, truth = demo
    owners = tables["owners"]
    assert 0.005 <= owners["is_staff"].mean() <= 0.02
    assert 0.03 <= owners["marketing_opt_out"].mean() <= 0.07
    assert 0.02 <= owners["is_volunteer"].mean() <= 0.03
    # cities of skewed sizes: the biggest city is several times the median one
    sizes = owners["city"].value_counts()
    assert sizes.index[0] == "上海" and sizes.iloc[0] > 4 * sizes.median()
    assert set(owners["region"]) <= {"华东", "华北", "华南", "华中", "西南", "西北"}
    assert set(owners["car_model"].dropna()) <= {"ES6", "ES8", "ET5", "ET5T", "ET7", "EC6", "EC7", "ET9"}
    assert owners["name"].str.len().between(2, 3).all()
    # heavy-tailed authorship: the top 1% of authors write a large share of posts
    per_author = tables["posts"]["author_id"].value_counts()
    top = per_author.iloc[: max(1, len(per_author) // 100)].sum()
    assert top / per_author.sum() > 0.1
    events = tables["events"]
    assert events["title"].str.contains(" ").all()
    assert {"meetup", "drive", "charity", "launch", "national"} <= set(events["kind"])
    stats = truth["stats"]
    assert stats["city_event_size"]["min"] >= 10 and stats["city_event_size"]["max"] <= 60
    assert set(tables["posts"]["channel"]) <= {"动态", "车友圈", "问答", "活动"}


def test_stats_from_tables_match_the_recorded_stats(demo):
    tables, truth = demo
    assert demo_stats(tables, truth) == truth["stats"]


# -- national day, referrals -----------------------------------------------------------------
def test_national_day_has_thousands_at_20k():
    tables, truth = generate_demo(20_000, seed=0)
    nd = truth["national_day"]
    att = tables["attendance"]
    rows = att[att["event_id"] == nd["event_id"]]
    assert len(rows) == nd["attendees"] >= 3_000
    assert (rows["role"] == "attendee").mean() > 0.8
    ev = tables["events"].set_index("event_id").loc[nd["event_id"]]
    assert ev["kind"] == "national" and ev["capacity"] >= len(rows)
    # volumes the brief asks for at 20k owners
    assert 8_000 <= len(tables["posts"]) <= 15_000
    assert 150_000 <= len(tables["interactions"]) <= 300_000


def test_national_day_scales(demo):
    tables, truth = demo
    assert truth["national_day"]["attendees"] >= 0.15 * N


def test_referral_share_and_funnel(demo):
    _, truth = demo
    stats = truth["stats"]
    assert 0.55 <= stats["referral_share"] <= 0.65
    st = stats["referral_stages"]
    assert st["delivered"] > st["lead"] > st["test_drive"] > 0 and st["order"] > 0
    assert stats["referral_max_depth"] >= 4 and stats["referral_chains_depth_ge_4"] >= 3


def test_legit_referrals_precede_the_purchase(demo):
    tables, truth = demo
    an = truth["referral_anomalies"]
    refs = tables["referrals"]
    bought = tables["owners"].set_index("owner_id")["purchased_at"]
    after = {(a["referrer_id"], a["referee_id"]) for a in an["after_purchase"]}
    p = bought.reindex(refs["referee_id"]).to_numpy()
    late = refs[(refs["referred_at"].to_numpy() > p)]
    assert set(zip(late["referrer_id"], late["referee_id"])) == after
    converted = refs["stage"].isin(contract.CONVERTED_STAGES).to_numpy()
    assert not np.isnat(p[converted]).any()  # only buyers reach order/delivered


# -- planted truth -------------------------------------------------------------------------------
def test_planted_anomalies_are_present_and_alone(demo):
    tables, truth = demo
    an = truth["referral_anomalies"]
    refs = tables["referrals"]
    owners = tables["owners"].set_index("owner_id")
    pairs = set(zip(refs["referrer_id"], refs["referee_id"]))
    # self-referrals: exactly the planted ones
    selfs = refs.loc[refs["referrer_id"] == refs["referee_id"], "referrer_id"]
    assert sorted(selfs) == sorted(an["self_referrals"]) and len(selfs) >= 2
    # the 3-cycle
    (a, b, c), = an["cycles"]
    assert {(a, b), (b, c), (c, a)} <= pairs
    # double claims: exactly the planted referees have two referrers, first touch is the earliest
    claims = refs[refs["referrer_id"] != refs["referee_id"]].groupby("referee_id")
    multi = claims.size()
    assert sorted(multi[multi > 1].index) == sorted(d["referee_id"] for d in an["double_claims"])
    assert len(an["double_claims"]) >= 3
    for d in an["double_claims"]:
        rows = refs[refs["referee_id"] == d["referee_id"]].sort_values("referred_at")
        assert rows["referred_at"].nunique() == 2
        assert rows["referrer_id"].iloc[0] == d["first_touch_referrer"]
    # staff referrals: exactly the planted ones
    staff = refs[owners["is_staff"].reindex(refs["referrer_id"]).to_numpy()]
    assert set(zip(staff["referrer_id"], staff["referee_id"])) == {
        (s["referrer_id"], s["referee_id"]) for s in an["staff_referrals"]
    }
    assert len(staff) >= 3
    # the burst: ~25 referrals within 48 hours by one referrer
    burst = an["burst"]
    rows = refs[refs["referrer_id"] == burst["referrer_id"]].sort_values("referred_at")
    t = rows["referred_at"].to_numpy()
    in48 = np.searchsorted(t, t + np.timedelta64(48, "h"), side="right") - np.arange(len(t))
    assert in48.max() >= 25 == burst["count"]
    assert truth["stats"]["referrals_in_48h_top3"][1] < 15  # nothing natural comes close


def test_like_ring(demo):
    tables, truth = demo
    ring = set(truth["like_ring"])
    assert len(ring) == 10
    owners = tables["owners"].set_index("owner_id")
    assert not owners.loc[sorted(ring), "is_staff"].any()
    posts = tables["posts"].set_index("post_id")
    inter = tables["interactions"]
    author = posts["author_id"].reindex(inter["post_id"]).to_numpy()
    on_ring = np.isin(author, list(ring))
    from_ring = inter["owner_id"].isin(ring).to_numpy()
    assert from_ring[on_ring].mean() > 0.95  # almost nobody else engages with them
    assert truth["stats"]["ring_raw_rank_worst"] <= 50  # yet raw counts put them in the top 50
    assert not ring & set(truth["kocs"])


def test_planted_kocs_are_the_true_top_influencers(demo):
    tables, truth = demo
    kocs = truth["kocs"]
    assert len(kocs) == max(10, N // 1000) == len(set(kocs))
    owners = tables["owners"].set_index("owner_id")
    assert not owners.loc[kocs, "is_staff"].any()
    stats = truth["stats"]
    assert stats["koc_min_reach"] > 1.5 * stats["non_koc_max_reach"]
    # and they are not simply the most prolific authors: others post more
    per_author = tables["posts"]["author_id"].value_counts()
    assert per_author.index[0] not in kocs
    # their referrals convert
    assert stats["koc_mean_conversions"] > 3


def test_volunteers_and_latent_helpers(demo):
    tables, truth = demo
    owners = tables["owners"].set_index("owner_id")
    vol = set(truth["volunteers"])
    assert vol == set(owners.index[owners["is_volunteer"]])
    assert set(truth["lapsed_volunteers"]) <= vol
    helpers = set(truth["latent_helpers"])
    assert helpers and not helpers & vol
    assert not owners.loc[sorted(helpers), "is_staff"].any()
    att = tables["attendance"]
    per_owner = att.groupby("owner_id").size().reindex(owners.index, fill_value=0)
    others = owners.index[~owners["is_volunteer"] & ~owners.index.isin(helpers)]
    active = sorted(vol - set(truth["lapsed_volunteers"]))
    assert per_owner[active].mean() > 3 * per_owner[others].mean()
    assert per_owner[sorted(helpers)].mean() > 2 * per_owner[others].mean()
    assert truth["stats"]["organizer_volunteer_share"] > 0.5
    # helpers comment and reply more than others
    inter = tables["interactions"]
    helpful = inter[inter["kind"].isin(["comment", "reply"])].groupby("owner_id").size()
    helpful = helpful.reindex(owners.index, fill_value=0)
    assert helpful[active].mean() > 2 * helpful[others].mean()


def test_truth_is_json_and_complete(written):
    folder, truth = written
    on_disk = json.loads((folder / "demo_truth.json").read_text(encoding="utf-8"))
    assert on_disk == {k: v for k, v in truth.items() if k != "files"}
    assert len(on_disk["circles"]["of_owner"]) == N
    for key in ("kocs", "like_ring", "volunteers", "latent_helpers", "national_day", "referral_anomalies", "stats"):
        assert on_disk[key]


def test_csv_format(written):
    folder, _ = written
    owners = (folder / "owners.csv").read_text(encoding="utf-8").splitlines()
    assert owners[0] == ",".join(contract.OWNERS.column_names)
    inter = (folder / "interactions.csv").read_text(encoding="utf-8").splitlines()
    assert inter[1].count(",") == 3 and len(inter[1].split(",")[3]) == len("2026-09-30 00:00:00")
    assert any(",true," in line for line in owners[1:]) and "True" not in "".join(owners)


def test_written_folder_loads_without_rejects(written):
    loaders = pytest.importorskip("graphcrm.loaders")
    folder, truth = written
    sources, _ = loaders.read_sources(folder, mapping=loaders.Mapping())
    v = loaders.validate(sources)
    assert int(v.counts["rejected"].sum()) == 0, v.rejects.head()
    assert dict(zip(v.counts["table"], v.counts["loaded"])) == truth["stats"]["rows"]


def test_frames_build_a_community(demo):
    community = pytest.importorskip("graphcrm.community")
    tables, _ = demo
    c = community.Community.from_frames(tables)
    assert len(c.owner_ids) == N and c.as_of <= END


def test_csv_writer_quotes_only_when_a_value_needs_it(tmp_path):
    from graphcrm.demo import _write_csv

    events = pd.DataFrame({
        "event_id": ["E1", "E2"], "title": ["上海 周末咖啡聚会", 'say "hi", friends'], "kind": ["meetup", "meetup"],
        "city": ["上海", "上海"], "starts_at": pd.to_datetime(["2026-01-03 10:00:00", "2026-01-04 19:30:00"]),
        "capacity": pd.array([20, None], dtype="Int64"),
    })
    _write_csv(events, "events", tmp_path / "events.csv")
    back = pd.read_csv(tmp_path / "events.csv", dtype=str, keep_default_na=False)
    assert back["title"].tolist() == events["title"].tolist()
    assert back["starts_at"].tolist() == ["2026-01-03 10:00:00", "2026-01-04 19:30:00"]
    assert back["capacity"].tolist() == ["20", ""]
    _write_csv(events.head(1), "events", tmp_path / "plain.csv")
    assert '"' not in (tmp_path / "plain.csv").read_text(encoding="utf-8")
