"""Arrow's allocator while a load runs.

Arrow's default pool (mimalloc in pyarrow 26 wheels) hands the large buffers of whole-column
temporaries back to the kernel as soon as they are freed and faults fresh pages in for the next
one: measured on the 100,000-owner demo with 20 interactions per owner (2.5M rows), a load spent
8.2 s of its 19.4 CPU seconds in the kernel with mimalloc, 2.0 s with jemalloc and 3.0 s with
the system allocator (``ARROW_DEFAULT_MEMORY_POOL=...``, same code, same sitting; see
docs/benchmarks.md "1M owners: the load (stop 24)").  A load therefore makes jemalloc (else the
system allocator) Arrow's default pool for its duration and restores the previous pool after,
handing the memory it no longer uses back.  An explicit ``ARROW_DEFAULT_MEMORY_POOL`` in the
environment is left alone.  Buffers keep the pool that allocated them, so arrays made during
the load stay valid afterwards.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def load_memory_pool() -> Iterator[None]:
    """Use jemalloc (else the system allocator) as Arrow's default pool inside the block.

    Example
    -------
    >>> import pyarrow as pa
    >>> before = pa.default_memory_pool().backend_name
    >>> with load_memory_pool():
    ...     inside = pa.default_memory_pool().backend_name
    >>> pa.default_memory_pool().backend_name == before
    True
    """
    import pyarrow as pa

    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        yield
        return
    old = pa.default_memory_pool()
    try:
        pool = pa.jemalloc_memory_pool()
    except (NotImplementedError, pa.ArrowNotImplementedError):  # a build without jemalloc (Windows)
        pool = pa.system_memory_pool()
    if pool.backend_name == old.backend_name:
        yield
        return
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(old)
        pool.release_unused()
