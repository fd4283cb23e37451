"""The one table of analyses: name -> the module that defines it.

The name is the function's name in its module, the :class:`~graphcrm.api.CommunityGraph`
method and (where there is one) the CLI command.  The API, the report and the CLI read this
table; nothing else keeps a list of analyses.  Adding an analysis is one line here (see
docs/architecture.md, "Add an analysis").

Example
-------
>>> from graphcrm.analyses import REGISTRY, function
>>> "kocs" in REGISTRY
True
>>> function("kocs").__name__
'kocs'
"""
from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from typing import Any

from graphcrm.errors import ConfigError

#: analysis name -> module defining a function of that name (imported on first use)
REGISTRY: dict[str, str] = {
    "kocs": "graphcrm.algorithms.koc",
    "circles": "graphcrm.algorithms.circles",
    "circle_profiles": "graphcrm.algorithms.circles",
    "circle_memberships": "graphcrm.algorithms.circles",
    "referral_chains": "graphcrm.algorithms.referrals",
    "referral_attribution": "graphcrm.algorithms.referrals",
    "top_referrers": "graphcrm.algorithms.referrals",
    "referral_issues": "graphcrm.algorithms.referrals",
    "ambassadors": "graphcrm.algorithms.influence",
    "backtest": "graphcrm.algorithms.backtest",
    "volunteer_candidates": "graphcrm.algorithms.volunteers",
    "contribution": "graphcrm.algorithms.levels",
    "owner_levels": "graphcrm.algorithms.levels",
    "targets": "graphcrm.algorithms.targeting",
    "movement": "graphcrm.algorithms.movement",
    "level_transitions": "graphcrm.algorithms.movement",
    "rising_stars": "graphcrm.algorithms.movement",
    "drifting_owners": "graphcrm.algorithms.movement",
    "new_owner_cohort": "graphcrm.algorithms.movement",
    "campaign_lift": "graphcrm.algorithms.campaigns",
    "event_regulars": "graphcrm.algorithms.events",
}


def function(name: str) -> Callable[..., Any]:
    """The analysis function called ``name`` (its module imported on first use).

    Raises
    ------
    ConfigError
        No analysis has that name.
    """
    try:
        module = REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown analysis {name!r}; the analyses are {', '.join(REGISTRY)}") from None
    return getattr(importlib.import_module(module), name)


def spec(name: str):
    """The declared output (:class:`graphcrm.results.ResultSpec`) of analysis ``name``."""
    from graphcrm.results import spec_of

    return spec_of(function(name))


def window_parameters() -> list[inspect.Parameter]:
    """``since`` / ``until``: the time window every CommunityGraph analysis method takes."""
    kw = inspect.Parameter.KEYWORD_ONLY
    return [inspect.Parameter("since", kw, default=None, annotation="Any"),
            inspect.Parameter("until", kw, default=None, annotation="Any")]


def method_signature(name: str, *, bound: bool = True) -> inspect.Signature:
    """The signature of ``CommunityGraph.<name>``: the function's own keyword parameters
    (the community replaced by the window ``since``/``until``), with ``self`` when unbound."""
    return signature_without_community(function(name), bound=bound)


def signature_without_community(fn: Callable[..., Any], *, bound: bool = True) -> inspect.Signature:
    """The signature of ``fn(community, ...)`` as a CommunityGraph method: its own parameters
    after the community, with the window ``since``/``until`` (keyword-only) and ``self`` when
    unbound."""
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())[1:]
    taken = {p.name for p in params}
    window = [p for p in window_parameters() if p.name not in taken]
    lead = [] if bound else [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)]
    ordered = sorted([*window, *params], key=lambda p: p.kind)  # stable: window first among keyword-only
    return sig.replace(parameters=[*lead, *ordered])


def declared_phrases(*, load: bool = True) -> list[tuple[str, Any]]:
    """``(name, Phrases)`` of every registered analysis that declares report phrases
    (:class:`graphcrm.results.Phrases`), in registry order.  ``load=False`` looks only at the
    analyses whose modules are already imported (it never imports one)."""
    from graphcrm.results import spec_of

    out = []
    for name, module in REGISTRY.items():
        if not load and module not in sys.modules:
            continue
        phrases = spec_of(function(name)).phrases
        if phrases is not None:
            out.append((name, phrases))
    return out


def declared_label(key: str) -> tuple[str, str]:
    """(English, Chinese) of report label ``key`` as an analysis declares it.

    Raises
    ------
    KeyError
        No registered analysis declares ``key``.
    """
    for _, phrases in declared_phrases():
        if key in phrases.labels:
            return phrases.labels[key]
    raise KeyError(key)


def declared_header_zh(column: str) -> str | None:
    """The Chinese header an already imported analysis declares for ``column`` (None if none)."""
    for _, phrases in declared_phrases(load=False):
        header = phrases.header_zh(column)
        if header is not None:
            return header
    return None
