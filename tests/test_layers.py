"""The layers of docs/architecture.md, checked on the source: what each layer may import.

* ``graphcrm`` core (contract, errors, results, community, projections, stores, demo, progress,
  i18n, files) knows no analyses, reports, loaders' callers or CLI;
* ``loaders/`` knows the contract and errors only (no analytics, no stores, no reports);
* ``algorithms/`` knows the core (community, projections, contract, results, errors) and other
  algorithms, never the CLI, reports, loaders, stores or the API;
* ``reports/`` may read analyses through the API, never the CLI;
* ``graphcrm/commands`` and ``graphcrm/cli.py`` sit on top (they call the API).

Imports inside ``if TYPE_CHECKING:`` blocks and docstring examples do not count.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CORE_FORBIDDEN = ("graphcrm.algorithms", "graphcrm.reports", "graphcrm.commands", "graphcrm.cli", "graphcrm.api")
RULES = {
    "loaders": ("graphcrm.algorithms", "graphcrm.reports", "graphcrm.commands", "graphcrm.cli", "graphcrm.api",
                "graphcrm.stores", "graphcrm.community", "graphcrm.projections"),
    "algorithms": ("graphcrm.commands", "graphcrm.cli", "graphcrm.reports", "graphcrm.loaders", "graphcrm.stores",
                   "graphcrm.api"),
    "reports": ("graphcrm.commands", "graphcrm.cli"),
    "graphcrm/stores": CORE_FORBIDDEN + ("graphcrm.loaders", "graphcrm.community"),
}
#: modules of graphcrm/ that sit on top (the API and what it uses to resolve segments) and may import analyses
TOP = {"api.py", "analyses.py", "segments.py", "cli.py"}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):  # imports under `if TYPE_CHECKING:` are for annotations only
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in ast.walk(node):
                skip.add(id(sub))
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


def _files():
    for layer, forbidden in RULES.items():
        for p in sorted((ROOT / layer).glob("*.py")):
            yield p, forbidden
    for p in sorted((ROOT / "graphcrm").glob("*.py")):
        if p.name not in TOP:
            yield p, CORE_FORBIDDEN


@pytest.mark.parametrize("path,forbidden", list(_files()), ids=lambda v: str(v.relative_to(ROOT)) if isinstance(v, Path) else "")
def test_layer_imports(path: Path, forbidden: tuple[str, ...]) -> None:
    bad = [f"{path.relative_to(ROOT)}:{line} imports {mod}" for line, mod in _imports(path)
           if any(mod == f or mod.startswith(f + ".") for f in forbidden)]
    assert not bad, "\n".join(bad)
