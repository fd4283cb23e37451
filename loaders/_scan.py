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


_NAT = np.iinfo(np.int64).min


@njit(cache=True)
def _iso_walk(offs, data, valid, out):  # pragma: no cover - compiled
    mdays = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    for i in range(out.shape[0]):
        out[i] = _NAT
        if not valid[i]:
            continue
        st = offs[i]
        size = offs[i + 1] - st
        if size != 19 and size != 10:
            continue
        timed = size == 19
        ok = True
        for k in (0, 1, 2, 3, 5, 6, 8, 9):
            c = data[st + k]
            if c < 48 or c > 57:
                ok = False
        if timed:
            for k in (11, 12, 14, 15, 17, 18):
                c = data[st + k]
                if c < 48 or c > 57:
                    ok = False
        if data[st + 4] != 45 or data[st + 7] != 45:
            ok = False
        if timed and (data[st + 10] != 32 or data[st + 13] != 58 or data[st + 16] != 58):
            ok = False
        if not ok:
            continue
        y = np.int64(0)
        for k in (0, 1, 2, 3):
            y = y * 10 + (data[st + k] - 48)
        mo = np.int64(data[st + 5] - 48) * 10 + (data[st + 6] - 48)
        d = np.int64(data[st + 8] - 48) * 10 + (data[st + 9] - 48)
        if mo < 1 or mo > 12 or d < 1:
            continue
        leap = (y % 4 == 0) and ((y % 100 != 0) or (y % 400 == 0))
        if d > mdays[mo - 1] + (1 if (mo == 2 and leap) else 0):
            continue
        secs = np.int64(0)
        if timed:
            h = np.int64(data[st + 11] - 48) * 10 + (data[st + 12] - 48)
            mi = np.int64(data[st + 14] - 48) * 10 + (data[st + 15] - 48)
            s = np.int64(data[st + 17] - 48) * 10 + (data[st + 18] - 48)
            if h > 23 or mi > 59 or s > 59:
                continue
            secs = h * 3600 + mi * 60 + s
        # days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil)
        yy = y - (1 if mo <= 2 else 0)
        era = (yy if yy >= 0 else yy - 399) // 400
        yoe = yy - era * 400
        mp = mo + (-3 if mo > 2 else 9)
        doy = (153 * mp + 2) // 5 + d - 1
        doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
        days = era * 146097 + doe - 719468
        out[i] = (days * 86400 + secs) * 1_000_000


def iso_dates(offs: np.ndarray, data: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """:func:`graphcrm.loaders.validate._iso_dates` in one compiled pass over the values (no
    per-position temporaries): datetime64[us], NaT for anything but a valid
    ``YYYY-MM-DD HH:MM:SS`` or ``YYYY-MM-DD``.  ``offs`` (n + 1 int64) and ``data`` (uint8) are
    the arrow large_string buffers, ``valid`` (bool) the non-null mask."""
    out = np.empty(len(valid), dtype=np.int64)
    _iso_walk(offs, data, valid, out)
    return out.view("datetime64[us]")
