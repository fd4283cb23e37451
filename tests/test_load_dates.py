"""The compiled reader of ISO dates (large columns) gives the numpy reader's values exactly."""
from __future__ import annotations

import sys

import numpy as np
import pyarrow as pa

import graphcrm.loaders.validate  # noqa: F401

V = sys.modules["graphcrm.loaders.validate"]


def _numpy_and_compiled(values: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    from graphcrm.loaders._scan import iso_dates

    arr = pa.array(values, type=pa.large_string())
    want = V._iso_dates(arr)  # small: the numpy reader
    assert len(values) < V.COMPILED_DATES_ROWS
    valid_buf, off_buf, data_buf = arr.buffers()[:3]
    offs = np.frombuffer(off_buf, dtype=np.int64, count=len(arr) + 1)
    data = np.frombuffer(data_buf, dtype=np.uint8)
    got = iso_dates(offs, data, V._mask(pa.compute.is_valid(arr)))
    return want, got


def test_hand_checked_dates():
    vals = ["2024-02-29 23:59:59", "2023-02-29", "2024-05-01", "5/1/2024", None, "0000-01-01", "9999-12-31 23:59:59",
            "1900-02-29", "2000-02-29", "2024-04-31", "2024-00-10", "2024-13-01", "2024-01-00", "2024-01-01 24:00:00",
            "2024-01-01 23:60:00", "2024-01-01T10:00:00", "2024-01-01 10:00", "１９７０-01-01", "1969-12-31 23:59:59"]
    want, got = _numpy_and_compiled(vals)
    assert [str(x) for x in got[:4]] == ["2024-02-29T23:59:59.000000", "NaT", "2024-05-01T00:00:00.000000", "NaT"]
    assert str(got[18]) == "1969-12-31T23:59:59.000000" and str(got[8]) == "2000-02-29T00:00:00.000000"
    assert np.isnat(got[[7, 9, 10, 11, 12, 13, 14, 15, 16, 17]]).all()
    np.testing.assert_array_equal(want.view(np.int64), got.view(np.int64))


def test_random_texts_agree():
    rng = np.random.default_rng(5)
    vals: list[str | None] = []
    for _ in range(20_000):
        y, mo, d = rng.integers(0, 10000), rng.integers(0, 14), rng.integers(0, 33)
        h, mi, s = rng.integers(0, 26), rng.integers(0, 62), rng.integers(0, 62)
        text = f"{y:04d}-{mo:02d}-{d:02d}" + (f" {h:02d}:{mi:02d}:{s:02d}" if rng.random() < 0.6 else "")
        r = rng.random()
        if r < 0.05:
            text = None
        elif r < 0.15:  # one character replaced by something else
            text = list(text)
            text[int(rng.integers(0, len(text)))] = str(rng.choice(list("x/:- 9T长")))
            text = "".join(text)
        vals.append(text)
    want, got = _numpy_and_compiled(vals)
    np.testing.assert_array_equal(want.view(np.int64), got.view(np.int64))
    assert (~np.isnat(got)).sum() > 5_000  # plenty of valid dates among them
