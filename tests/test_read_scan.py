"""The compiled record scan of large files returns exactly the vectorised scan's arrays."""
from __future__ import annotations

import sys

import numpy as np

import graphcrm.loaders.read  # noqa: F401

R = sys.modules["graphcrm.loaders.read"]


def _both(data: bytes, delim: str = ","):
    from graphcrm.loaders._scan import scan_records

    a = np.frombuffer(data, dtype=np.uint8)
    return R._scan_records_vectorised(a, delim), scan_records(a, delim)


def _same(x, y) -> bool:
    if x is None or y is None:
        return x is None and y is None
    return all(np.array_equal(u, v) for u, v in zip(x[:5], y[:5])) and x[5] == y[5] and \
        all(v.dtype == np.int64 for v in y[:5])


HAND = [
    b"", b"\n", b"a,b\n1,2\n", b"a,b\r\n1,2\r\n3,4", b"a;b\r1;2\r\r3;4\r", b"a,b\n\n\n1,2\n",
    b'a,b\n"x,y",2\n', b'a,b\n"line\none",2\n', b'a,b\n"say ""hi""",2\n', b'a,b\n"open,2\n',
    b'a,b\nx"y,2\n', b'a,b\n"x"y,2\n', b'"a","b"\r\n"1","2"\r\n', b'a,b\n1,2,3\n4\n', b'\r\n\r\n',
    b'a\tb\n1\t"2\t3"\n', b'a,b\n"x\r\ny",1\r\n', b'"', b'""', b'a,"",b\n', b'a,b\r', b'x\r\r\n',
]


def test_compiled_scan_matches_on_hand_made_files():
    for data in HAND:
        delim = "\t" if b"\t" in data else (";" if b";" in data else ",")
        x, y = _both(data, delim)
        assert _same(x, y), data


def test_compiled_scan_matches_on_random_bytes():
    rng = np.random.default_rng(11)
    alphabet = np.frombuffer(b'ab,;"\n\r\t 1', dtype=np.uint8)
    for _ in range(3000):
        n = int(rng.integers(0, 40))
        data = alphabet[rng.integers(0, len(alphabet), n)].tobytes()
        for delim in (",", ";"):
            x, y = _both(data, delim)
            assert _same(x, y), (data, delim)


def test_large_files_take_the_compiled_scan(monkeypatch):
    data = b"a,b\n" + b"1,2\n" * 10 + b'"x\ny",3\r\n'
    monkeypatch.setattr(R, "COMPILED_SCAN_BYTES", 1)
    got = R._scan_records(np.frombuffer(data, dtype=np.uint8), ",")
    want = R._scan_records_vectorised(np.frombuffer(data, dtype=np.uint8), ",")
    assert _same(want, got) and got[5] is True
