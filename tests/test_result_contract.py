"""Every registered analysis returns what it declares, and the one cache makes repeats free.

The demo community (2,000 owners) is built once for the module; each analysis runs on it with
its defaults and must match its :class:`graphcrm.results.ResultSpec`: the declared columns in
the declared order and types, a unique key, the declared sort, a reason in every row and
details of the declared type.  The cache tests count calls of the inner work (monkeypatched
module functions) to show that a second call, ``targets`` and the report reuse what the
community already computed with the same options.
"""
from __future__ import annotations

import dataclasses
import inspect

import pandas as pd
import pytest

import graphcrm
from graphcrm import analyses
from graphcrm.community import Community
from graphcrm.demo import generate_demo
from graphcrm.results import spec_of

N_OWNERS = 2_000
#: options that keep the slow parts small; everything else at its defaults
OPTIONS = {"targets": {"ambassadors_k": 5, "ambassador_options": {"mc_runs": 50}}}
#: analyses with rows on the demo community (checked by hand: it plants all of them)
NON_EMPTY = ("kocs", "circles", "circle_profiles", "referral_chains", "referral_attribution", "top_referrers",
             "referral_issues", "volunteer_candidates", "contribution", "owner_levels", "targets", "ambassadors",
             "backtest")


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return generate_demo(N_OWNERS, seed=0)[0]


@pytest.fixture(scope="module")
def community(tables) -> Community:
    return Community(tables)


@pytest.mark.parametrize("name", list(analyses.REGISTRY))
def test_output_matches_its_declaration(community, name):
    spec = spec_of(analyses.function(name))
    assert spec.name == name
    assert set(spec.depends) <= set(analyses.REGISTRY), spec.depends
    fn = analyses.function(name)
    required = [p.name for p in list(inspect.signature(fn).parameters.values())[1:]
                if p.default is inspect.Parameter.empty and p.kind is inspect.Parameter.KEYWORD_ONLY
                and p.name not in OPTIONS.get(name, {})]
    if required:
        pytest.skip(f"{name} needs inputs of its own ({', '.join(required)}): checked in its own tests")
    table, details = fn(community, details=True, **OPTIONS.get(name, {}))
    if name in NON_EMPTY:
        assert len(table), f"{name} is empty on the demo community"
    assert spec.problems(table) == []
    assert list(table.columns) == spec.column_names
    assert not table.duplicated(list(spec.key)).any(), f"key {spec.key} is not unique"
    # sorted as declared: conforming again changes nothing
    pd.testing.assert_frame_equal(spec.conform(table), table)
    if spec.details is None:
        assert details is None
    else:
        assert isinstance(details, spec.details) and dataclasses.is_dataclass(details)
        assert type(details).__dataclass_params__.frozen
    if spec.reason is not None:
        assert spec.reason == "reason"  # one name for the plain-words column everywhere
        assert table["reason"].map(lambda s: isinstance(s, str) and len(s) > 0).all()
    # the declaration explains every column; numbers say their unit
    for col in spec.columns:
        assert col.meaning, (name, col.name)
        if col.dtype == "float":
            assert col.unit, (name, col.name)


def test_keys_that_are_not_owner_ids(community):
    """Results that are not keyed by owner_id declare their real key."""
    keys = {name: spec_of(analyses.function(name)).key for name in analyses.REGISTRY}
    assert keys["circle_profiles"] == ("circle",)
    assert keys["referral_issues"] == ("finding_id",)
    assert keys["top_referrers"] == ("list", "position")
    assert keys["targets"] == ("program", "owner_id")
    assert keys["backtest"] == ("method",)
    owner_tables = ("kocs", "circles", "referral_chains", "referral_attribution", "volunteer_candidates", "ambassadors",
                    "contribution", "owner_levels")
    assert all(keys[k] == ("owner_id",) for k in owner_tables)
    issues = analyses.function("referral_issues")(community)
    again = analyses.function("referral_issues")(Community(community.tables))  # a new community
    assert issues["finding_id"].tolist() == again["finding_id"].tolist()  # stable ids


def test_a_second_call_is_free(tables, monkeypatch):
    from graphcrm.algorithms import koc

    calls = []
    real = koc.engagement_pairs
    monkeypatch.setattr(koc, "engagement_pairs", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    c = Community(tables)
    first = koc.kocs(c)
    assert len(calls) == 1
    second = koc.kocs(c, lang="en")  # the same options (lang given at its default)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(first, second)
    second.loc[0, "score"] = -1.0  # a caller changing its copy does not change the cache
    assert koc.kocs(c)["score"].iloc[0] == first["score"].iloc[0]
    koc.kocs(c, lang="zh")  # other options: computed again
    assert len(calls) == 2
    koc.kocs(Community(tables))  # a new community (a load builds one): nothing reused
    assert len(calls) == 3


def test_the_cleaned_referral_forest_is_built_once(tables, monkeypatch):
    from graphcrm.algorithms import koc, referrals

    built = []
    real = referrals._cleaned_forest
    monkeypatch.setattr(referrals, "_cleaned_forest", lambda c: built.append(1) or real(c))
    c = Community(tables)
    referrals.referral_chains(c)
    referrals.referral_chains(c, lang="zh")
    referrals.referral_attribution(c, decay=(1.0, 0.5))
    referrals.top_referrers(c, period="year")
    referrals.referral_issues(c, burst_min=3)
    koc.kocs(c)
    assert len(built) == 1


def test_targets_reuse_what_was_computed(tables, monkeypatch):
    from graphcrm.algorithms import referrals, targeting, volunteers

    c = Community(tables)
    volunteers.volunteer_candidates(c, seed=0)  # as the report calls it (with validation)
    referrals.referral_attribution(c)
    fits, forest = [], []
    real_model, real_forest = volunteers._model, referrals._forest
    monkeypatch.setattr(volunteers, "_model", lambda *a, **kw: fits.append(1) or real_model(*a, **kw))
    monkeypatch.setattr(referrals, "_forest", lambda *a, **kw: forest.append(1) or real_forest(*a, **kw))
    t = targeting.targets(c, programs=["volunteer_invite", "referral_reward"], seed=0)
    assert set(t["program"]) == {"volunteer_invite", "referral_reward"}
    assert fits == [] and forest == []  # the model and the attribution came from the cache


def test_the_report_reuses_what_was_computed(tables, tmp_path, monkeypatch):
    from graphcrm.algorithms import circles, koc, levels, volunteers

    with graphcrm.open(":memory:") as cg:
        cg.load(tables)
        cg.kocs(lang="en")
        cg.volunteer_candidates(seed=0, lang="en")
        cg.owner_levels(lang="en")
        from graphcrm.reports.html import MOVEMENT_OPTIONS

        for name in ("drifting_owners", "rising_stars", "level_transitions", "new_owner_cohort"):
            # the report's movement section (with its options): KOCs and levels at earlier times
            opts = MOVEMENT_OPTIONS if name in ("rising_stars", "level_transitions") else {}
            getattr(cg, name)(lang="en", **opts)
        counted = {}
        for mod, fn in ((koc, "engagement_pairs"), (volunteers, "_model"), (levels, "_check_levels"),
                        (circles, "_find_circles")):
            real = getattr(mod, fn)
            monkeypatch.setattr(mod, fn, lambda *a, _r=real, _n=fn, **kw: counted.setdefault(_n, []).append(1)
                                or _r(*a, **kw))
        from graphcrm.reports.html import SECTIONS

        # the backtest picks on the history before a split date: a community of its own
        cg.report(tmp_path / "r.html", lang="en", seed=0, ambassadors_k=3, progress=False, strict=True,
                  sections=[k for k, _ in SECTIONS if k != "backtest"])
        # kocs and owner_levels with the same options, and the volunteer model, are reused
        assert "engagement_pairs" not in counted and "_check_levels" not in counted
        assert "_model" not in counted  # the same options: validation and all, from the cache
        assert "_find_circles" not in counted  # the circles of kocs' bridging (seed 0) are the report's


def test_report_options_are_passed_explicitly(tables):
    from graphcrm.reports import html as rh

    with graphcrm.open(":memory:") as cg:
        cg.load({"owners": tables["owners"].head(50)})
        ctx = rh._Ctx(cg=cg, lang="en", since=None, until=None, seed=0, k=3, top=5, csv_dir=None, csv_href="",
                      strict=True)
        with pytest.raises(TypeError):
            ctx.call("kocs", no_such_option=1)  # an unknown option is an error, never dropped
        table, details = ctx.call("contribution")
        assert list(table.columns) == spec_of(analyses.function("contribution")).column_names
        assert details.half_life_days == 180


def test_declared_phrases_never_shadow_or_contradict_the_report_table():
    """Report words declared with an analysis (ResultSpec.phrases) are found by the report only
    when its own table lacks them: a declared key must not also be in LABELS (it would be
    silently shadowed) nor in two analyses, and a declared Chinese header must agree with the
    report's table and with every other analysis declaring the same column."""
    from graphcrm.reports.text import COLUMNS_ZH, LABELS, t

    declared = analyses.declared_phrases()
    assert declared, "the worked example (event_regulars) declares its phrases"
    keys: dict[str, str] = {}
    headers: dict[str, tuple[str, str]] = {}
    for name, ph in declared:
        for key in ph.labels:
            assert key not in LABELS, f"{name} declares {key!r}, which reports/text.py also has"
            assert key not in keys, f"{key!r} declared by {keys[key]} and {name}"
            keys[key] = name
            assert t(key, "en") == ph.labels[key][0] and t(key, "zh") == ph.labels[key][1]
        for col in ph.columns_zh:
            zh = ph.header_zh(col)
            assert COLUMNS_ZH.get(col, zh) == zh, f"{name}.{col}: {zh!r} but reports/text.py says {COLUMNS_ZH[col]!r}"
            if col in headers:
                assert headers[col][1] == zh, f"{col}: {headers[col][0]} says {headers[col][1]!r}, {name} {zh!r}"
            headers[col] = (name, zh)
    with pytest.raises(KeyError):
        t("no_such_label_anywhere", "en")
