"""numpy's huge-page advice is off once graphcrm loads its numerical parts, unless the user chose."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

_PROBE = (
    "import graphcrm.community\n"
    "from numpy._core.multiarray import _set_madvise_hugepage\n"
    "print(_set_madvise_hugepage(True))\n"  # returns the setting before the call
)


def _probe(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    if env_value is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = env_value
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_advice_off_by_default() -> None:
    pytest.importorskip("numpy._core.multiarray")
    assert _probe(None) == "False"


@pytest.mark.parametrize("value,expected", [("1", "True"), ("0", "False")])
def test_user_setting_stands(value: str, expected: str) -> None:
    pytest.importorskip("numpy._core.multiarray")
    assert _probe(value) == expected

