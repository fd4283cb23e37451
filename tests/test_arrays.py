"""graphcrm.arrays.unique_sorted is np.unique (values only), by a sort."""
from __future__ import annotations

import numpy as np
import pytest

from graphcrm.arrays import unique_sorted


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint32, np.int8, bool])
def test_equals_np_unique(dtype):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 100 if dtype is not bool else 2, size=5000).astype(dtype)
    got, ref = unique_sorted(x), np.unique(x)
    assert got.dtype == ref.dtype and np.array_equal(got, ref)


def test_shapes_and_small_cases():
    assert unique_sorted(np.array([[3, 1], [3, 2]])).tolist() == [1, 2, 3]  # flattened
    assert unique_sorted(np.zeros(0, dtype=np.int64)).tolist() == []
    assert unique_sorted(np.array([7])).tolist() == [7]
    assert unique_sorted([4, 4, 4]).tolist() == [4]
    assert unique_sorted(np.array([-5, 2**62, -5, 0])).tolist() == [-5, 0, 2**62]


def test_other_dtypes_go_to_np_unique():
    x = np.array([1.0, np.nan, 1.0, np.nan])
    assert np.array_equal(unique_sorted(x), np.unique(x), equal_nan=True) and len(unique_sorted(x)) == 2
    t = np.array(["2024-01-02", "NaT", "2024-01-01", "NaT"], dtype="M8[ns]")
    assert np.array_equal(unique_sorted(t), np.unique(t), equal_nan=True)
    assert unique_sorted(np.array(["b", "a", "b"])).tolist() == ["a", "b"]
