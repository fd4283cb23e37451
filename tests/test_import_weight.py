"""The command line stays light: importing it (what ``graphcrm --help`` and shell completion pay
on every call) must not import the heavy libraries, which are loaded by the commands that use them."""
from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pandas", "numpy", "igraph", "numba", "matplotlib", "duckdb", "leidenalg", "scipy", "neo4j")


@pytest.mark.parametrize("module", ["graphcrm", "graphcrm.cli", "graphcrm.errors", "graphcrm.stores"])
def test_import_does_not_load_heavy_libraries(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"importing {module} loaded {out}"


def test_lazy_names_resolve() -> None:
    import graphcrm

    assert callable(graphcrm.open)
    assert graphcrm.CommunityGraph.__name__ == "CommunityGraph"
    assert graphcrm.Community.__name__ == "Community"
    assert "open" in dir(graphcrm)
    with pytest.raises(AttributeError):
        graphcrm.no_such_name  # noqa: B018


def test_help_and_version_run_without_heavy_imports() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from graphcrm.cli import cli\n"
        "r = CliRunner().invoke(cli, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "r = CliRunner().invoke(cli, ['--version'])\n"
        "assert r.exit_code == 0 and 'graphcrm' in r.output, r.output\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"--help/--version loaded {out}"


def test_a_command_help_imports_no_analysis() -> None:
    """``graphcrm kocs --help`` shows the library's defaults read from the source: no analysis
    module (and so no pandas, numba, igraph ...) is imported for them."""
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from graphcrm.cli import cli\n"
        "for cmd in ('kocs', 'circles', 'referrals', 'targets', 'movement', 'owner', 'volunteers', 'levels',\n"
        "            'ambassadors', 'evaluate', 'demo'):\n"
        "    r = CliRunner().invoke(cli, [cmd, '--help'])\n"
        "    assert r.exit_code == 0 and '[default: ' in r.output, r.output\n"
        f"print(','.join(m for m in {HEAVY!r} + ('graphcrm.algorithms.koc', 'graphcrm.algorithms.influence') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"a command's --help loaded {out}"
