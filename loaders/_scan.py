"""Compiled record scan of a large CSV buffer: :func:`graphcrm.loaders.read._scan_records` in one
pass over the bytes (numba, cached on disk), for files of at least ``read.COMPILED_SCAN_BYTES``.

The vectorised scan builds several byte-sized masks of the whole file (about 1 GB each for the
1M-owner demo's interactions) and searches the record bounds in the positions of every
delimiter; this walks the bytes twice (count, then fill) and returns the same arrays.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _walk(a, dl, fill, starts, ends, first_line, last_line, n_fields):  # pragma: no cover - compiled
    n = a.shape[0]
    par = 0  # quotes seen so far (this byte included) mod 2
    terms = 0  # line terminators before the current byte
    dels = 0  # delimiters outside quotes before the current byte
    bad = False
    multiline = False
    rec = 0
    start = 0
    terms_at_start = 0
    dels_at_start = 0
    for i in range(n):
        c = a[i]
        if c == 34:
            par ^= 1
            if par == 1:  # an opening quote starts a value (or is the 2nd quote of "")
                if i >= 1:
                    p = a[i - 1]
                    if not (p == dl or p == 10 or p == 13 or p == 34):
                        bad = True
            else:  # a closing quote ends a value (or is the 1st quote of "")
                if i + 1 < n:
                    q = a[i + 1]
                    if not (q == dl or q == 10 or q == 13 or q == 34):
                        bad = True
            continue
        is_term = c == 10 or (c == 13 and (i + 1 >= n or a[i + 1] != 10))
        if is_term:
            if par == 1:
                multiline = True
            else:  # a record bound: the record [start, i)
                end = i
                t_end = terms
                d_end = dels
                if end > start and a[end - 1] == 13:  # CRLF: the record ends before the CR
                    end -= 1
                    if a[end] == dl:
                        d_end -= 1
                if end > start:
                    if fill:
                        starts[rec] = start
                        ends[rec] = end
                        first_line[rec] = terms_at_start + 1
                        last_line[rec] = t_end + 1
                        n_fields[rec] = d_end - dels_at_start + 1
                    rec += 1
                start = i + 1
                terms_at_start = terms + 1
                dels_at_start = dels
            terms += 1
        elif c == dl and par == 0:
            dels += 1
    if par == 1:
        bad = True
    if n > start:  # the last record [start, n)
        if fill:
            starts[rec] = start
            ends[rec] = n
            first_line[rec] = terms_at_start + 1
            last_line[rec] = terms + 1
            n_fields[rec] = dels - dels_at_start + 1
        rec += 1
    return rec, bad, multiline


def scan_records(a: np.ndarray, delim: str):
    """The same result as :func:`graphcrm.loaders.read._scan_records` (see there)."""
    dl = np.uint8(ord(delim))
    z = np.zeros(0, np.int64)
    m, bad, multiline = _walk(a, dl, False, z, z, z, z, z)
    if bad:
        return None
    starts, ends, first_line, last_line, n_fields = (np.empty(m, np.int64) for _ in range(5))
    _walk(a, dl, True, starts, ends, first_line, last_line, n_fields)
    return starts, ends, first_line, last_line, n_fields, bool(multiline)
