"""graphcrm: owner-community graph analytics for car brands.

>>> import graphcrm
>>> cg = graphcrm.open(":memory:")          # or a path, or bolt://host:7687

The package imports its heavy parts (pandas, igraph, numba, matplotlib) only when they are
first used, so that ``graphcrm --help`` and shell completion stay fast: ``graphcrm.open``,
``graphcrm.CommunityGraph`` and ``graphcrm.Community`` are loaded on first access.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphcrm.errors import GraphCRMError

__version__ = "0.1.0"
__all__ = ["open", "CommunityGraph", "Community", "GraphCRMError", "__version__"]

if TYPE_CHECKING:  # pragma: no cover - for IDEs and type checkers
    from graphcrm.api import CommunityGraph, open
    from graphcrm.community import Community

_LAZY = {"open": "graphcrm.api", "CommunityGraph": "graphcrm.api", "Community": "graphcrm.community"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'graphcrm' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
