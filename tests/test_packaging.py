"""Every third-party module the installed package imports is a declared runtime dependency.

(A module only in the test extras once made `graphcrm volunteers` fail after the README's plain
`pip install -e .`.)
"""
from __future__ import annotations

import ast
import configparser
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = ["graphcrm", "loaders", "algorithms", "reports"]
#: import name -> distribution name where they differ
DIST = {"igraph": "python-igraph", "python_calamine": "python-calamine"}


def declared() -> set[str]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    lines = cfg["options"]["install_requires"].strip().splitlines()
    return {re.split(r"[<>=!~ \[]", l.strip(), maxsplit=1)[0].lower() for l in lines if l.strip()}


def imported() -> dict[str, str]:
    found: dict[str, str] = {}
    for d in PACKAGE_DIRS:
        for path in (ROOT / d).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for n in names:
                    top = n.split(".")[0]
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_runtime_imports_are_declared():
    deps = declared()
    stdlib = set(sys.stdlib_module_names)
    missing = {
        mod: where
        for mod, where in imported().items()
        if mod not in stdlib and mod != "graphcrm" and DIST.get(mod, mod).lower() not in deps
    }
    assert not missing, f"imported but not in install_requires: {missing}"
