"""Small memory pages for numpy's large arrays.

numpy asks Linux for transparent huge pages (``madvise(MADV_HUGEPAGE)``) on every array of 4 MiB
or more.  With the kernel's usual ``defrag=madvise`` setting each first touch of such memory then
compacts and zeroes a 2 MiB page synchronously, and graphcrm's steps allocate and free arrays of
hundreds of MiB again and again: on the 2-core machine of docs/benchmarks.md this was 2.6 times
the kernel time of ordinary 4 KiB pages (8 GB of fresh arrays: 10.1 s against 3.9 s of system
time) and, at 1,000,000 owners, about 40% of the whole job's CPU.  graphcrm therefore turns the
advice off when it loads its numerical parts, unless the user has chosen for numpy through numpy's
own environment variable ``NUMPY_MADVISE_HUGEPAGE`` (``1`` keeps numpy's default).  Only how
memory is mapped changes; no result does (docs/scaling.md, "Huge pages").
"""
from __future__ import annotations

import os

_ENV = "NUMPY_MADVISE_HUGEPAGE"


def use_small_pages() -> bool:
    """Turn off numpy's huge-page advice for this process unless the user set ``NUMPY_MADVISE_HUGEPAGE``.

    Returns
    -------
    bool
        True if graphcrm turned the advice off now, False if the user's own setting stands
        (or this numpy has no such switch).

    Example
    -------
    >>> from graphcrm._pages import use_small_pages
    >>> isinstance(use_small_pages(), bool)
    True
    """
    if _ENV in os.environ:
        return False
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:  # numpy < 2
        try:
            from numpy.core.multiarray import _set_madvise_hugepage  # type: ignore[no-redef]
        except ImportError:
            return False
    _set_madvise_hugepage(False)
    return True
