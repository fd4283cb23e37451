"""Every CommunityGraph analysis method shows its analysis function's real parameters, defaults
and docstring (inspect.signature, help() and Shift-Tab in a notebook), with since/until added."""
from __future__ import annotations

import inspect
import pydoc

import pandas as pd
import pytest

import graphcrm
from graphcrm.analyses import REGISTRY, function


@pytest.fixture(scope="module")
def cg():
    g = graphcrm.open(":memory:")
    g.load({"owners": pd.DataFrame({"owner_id": ["a", "b"]})})
    return g


@pytest.mark.parametrize("name", list(REGISTRY))
def test_method_signature_is_the_function_signature(cg, name):
    fn = function(name)
    f_params = list(inspect.signature(fn).parameters.values())[1:]  # the community is replaced by the window
    m_params = inspect.signature(getattr(cg, name)).parameters
    assert list(m_params)[:3] == ["since", "until", "segment"]
    assert [p for p in m_params.values()][3:] == f_params
    doc = getattr(cg, name).__doc__
    assert fn.__doc__ and doc.startswith(fn.__doc__) and "segment : Segment or dict" in doc[len(fn.__doc__):]
    assert inspect.signature(getattr(graphcrm.CommunityGraph, name)).parameters["self"]
    assert inspect.signature(getattr(cg, name)).return_annotation == inspect.signature(fn).return_annotation


def test_every_registered_analysis_is_a_method():
    missing = [n for n in REGISTRY if not callable(getattr(graphcrm.CommunityGraph, n, None))]
    assert not missing


def test_help_shows_the_options():
    text = pydoc.render_doc(graphcrm.CommunityGraph, renderer=pydoc.plaintext)
    assert "per_city" in text and "budget" in text  # ambassadors' options
    assert "min_distinct_engagers" in text  # kocs' options


def test_unknown_option_is_a_clear_error(cg):
    with pytest.raises(TypeError, match="no_such_option"):
        cg.contribution(no_such_option=1)


def test_analysis_with_var_keywords_passes_them_on():
    from graphcrm.community import Community
    from graphcrm.results import Col, ResultSpec, analysis

    spec = ResultSpec("echo", key=("owner_id",), columns=(Col("owner_id", "str"), Col("x", "int")), reason=None)

    @analysis(spec)
    def echo(community, *, base: int = 1, **extra):
        return pd.DataFrame({"owner_id": list(community.owner_ids), "x": base + sum(extra.values())})

    c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a"]})})
    assert echo(c, base=2, y=3, z=4)["x"].tolist() == [9]
    assert echo(c)["x"].tolist() == [1]


def test_owner_method_is_owner_profile(cg):
    """cg.owner is owner_profile with the window for the community: its real parameters, defaults
    and docstring (not ``**options``)."""
    from graphcrm.algorithms.owner import owner_profile

    f_params = list(inspect.signature(owner_profile).parameters.values())[1:]
    m_params = list(inspect.signature(cg.owner).parameters.values())
    assert [p.name for p in m_params] == ["owner_id", "since", "until", *[p.name for p in f_params[1:]]]
    assert [p for p in m_params if p.name not in ("since", "until")] == f_params
    assert cg.owner.__doc__ == owner_profile.__doc__
    assert "self" in inspect.signature(graphcrm.CommunityGraph.owner).parameters
    assert cg.owner("a", include_targets=False).owner_id == "a"


def test_record_campaign_shows_plan_campaigns_options(cg):
    """cg.record_campaign passes its options to plan_campaign and shows them, with plan_campaign's
    defaults, in place of **plan_options (the defaults live in plan_campaign alone)."""
    from graphcrm.algorithms.campaigns import plan_campaign

    plan = inspect.signature(plan_campaign).parameters
    shown = inspect.signature(cg.record_campaign).parameters
    assert "plan_options" not in shown and "self" not in shown
    for p in ("start", "window_days", "holdout", "seed", "targets_frame", "matches", "target_options"):
        assert shown[p].default == plan[p].default and shown[p].kind is inspect.Parameter.KEYWORD_ONLY
    assert list(shown)[:6] == ["name", "program", "replace", "since", "until", "start"]
    assert "self" in inspect.signature(graphcrm.CommunityGraph.record_campaign).parameters
    assert cg.record_campaign.__doc__.startswith("Plan a campaign")


def test_to_networkx_method_is_the_export_function(cg):
    from graphcrm.algorithms.exports import to_networkx

    shown = inspect.signature(cg.to_networkx).parameters
    assert list(shown)[:3] == ["kind", "since", "until"] and shown["attributes"].default is True
    assert cg.to_networkx.__doc__ == to_networkx.__doc__
    assert set(cg.to_networkx("referrals").nodes) == {"a", "b"}
