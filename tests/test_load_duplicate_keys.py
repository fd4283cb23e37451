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


def test_hashed_screen_finds_the_same_duplicates():
    """The row-hash screen (large tables) returns exactly the exact function's arrays: few
    repeats (the screened path), many repeats (the whole-table fallback), none at all, and key
    columns it does not hash (integers, categoricals: straight to the exact function)."""
    rng = np.random.default_rng(11)
    for trial in range(12):
        n = int(rng.integers(1, 400))
        spread = int(rng.choice([2, 50, 10_000]))
        df = pd.DataFrame({
            "a": pd.array(rng.choice(["x", "y", "ｘ", "x\u200b", "长"], n), dtype="str"),
            "s": pd.array([f"O{v:07d}" for v in rng.integers(0, spread, n)], dtype="str"),
            "t": pd.to_datetime(rng.integers(0, spread, n) * 10**9),
            "b": rng.integers(0, 3, n),
            "d": pd.Categorical(rng.choice(["p", "q"], n)),
        })
        ok = rng.random(n) < 0.9
        for key in (("s",), ("s", "t"), ("a", "s", "t"), ("a", "b"), ("s", "d")):
            got = V._duplicate_keys_hashed(df, key, ok)
            want = V._duplicate_keys(df, key, ok)
            assert [g.tolist() for g in got] == [w.tolist() for w in want], (trial, key)
            assert [g.tolist() for g in got] == list(_reference(df, key, ok)), (trial, key)


def test_load_rejects_the_same_with_and_without_the_hash_screen(tmp_path, monkeypatch):
    import graphcrm

    d = tmp_path / "in"
    d.mkdir()
    (d / "owners.csv").write_text("owner_id\n" + "".join(f"o{i % 37}\n" for i in range(120)), encoding="utf-8")
    (d / "posts.csv").write_text("post_id,author_id,created_at\n" + "".join(
        f"p{i % 5},o{i % 3},2024-01-0{1 + i % 2}\n" for i in range(30)), encoding="utf-8")
    (d / "interactions.csv").write_text("owner_id,post_id,kind,created_at\n" + "".join(
        f"o{i % 7},p{i % 5},like,2024-02-0{1 + i % 3} 10:00:00\n" for i in range(200)), encoding="utf-8")
    out = {}
    for rows in (10**9, 0):
        monkeypatch.setattr(V, "HASHED_DUPLICATES_ROWS", rows)
        rep = graphcrm.open(tmp_path / f"s{rows}.duckdb").load(d, now="2026-01-01", rejects_path=tmp_path / f"r{rows}.csv",
                                                               progress=False)
        out[rows] = rep.rejects
    pd.testing.assert_frame_equal(out[10**9], out[0])
    # owners: 37 distinct of 120; posts: 5 of 30; interactions: 105 (= 7 * 5 * 3) of 200
    assert (out[0]["reason_kind"] == "duplicate key").sum() == 83 + 25 + 95
