"""Duplicate keys in validation: the first row of a key wins, every later row points at it."""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd

import graphcrm.loaders.validate  # noqa: F401  (the package exports the function under this name)

V = sys.modules["graphcrm.loaders.validate"]


def _reference(df: pd.DataFrame, key: tuple[str, ...], ok: np.ndarray) -> tuple[list[int], list[int]]:
    seen: dict[tuple, int] = {}
    dup, first = [], []
    for i in np.flatnonzero(ok):
        k = tuple(df[c].iloc[i] for c in key)
        if k in seen:
            dup.append(int(i))
            first.append(seen[k])
        else:
            seen[k] = int(i)
    return dup, first


def test_duplicate_keys_match_a_dictionary_of_first_rows():
    rng = np.random.default_rng(7)
    for _ in range(40):
        n = int(rng.integers(1, 200))
        df = pd.DataFrame({
            "a": pd.array(rng.choice(["x", "y", "z"], n), dtype="string"),
            "b": rng.integers(0, 3, n),
            "c": pd.to_datetime(rng.integers(0, 4, n) * 10**9),
            "d": pd.Categorical(rng.choice(["p", "q"], n)),
        })
        ok = rng.random(n) < 0.8
        for key in (("a",), ("b", "a"), ("a", "b", "c", "d")):
            got = V._duplicate_keys(df, key, ok)
            want = _reference(df, key, ok)
            assert [g.tolist() for g in got] == [want[0], want[1]], key


def test_duplicate_keys_when_the_combined_number_would_overflow():
    # four columns of 2**16 distinct values each: the combined number needs renumbering on the way
    rng = np.random.default_rng(8)
    n = 70_000
    base = rng.permutation(n)
    cols = {c: (base + j) % n for j, c in enumerate("wxyz")}
    df = pd.DataFrame(cols)
    df.loc[n - 5:, :] = df.iloc[:5].to_numpy()  # the last five rows repeat the first five
    df.loc[10, :] = df.iloc[3].to_numpy()  # and row 10 repeats row 3
    dup, first = V._duplicate_keys(df, tuple("wxyz"), np.ones(n, bool))
    assert dup.tolist() == [10, n - 5, n - 4, n - 3, n - 2, n - 1]
    assert first.tolist() == [3, 0, 1, 2, 3, 4]
