"""Progress bars for long steps, shown only on a terminal.

A bar is drawn on stderr (with :mod:`tqdm`) only when stderr is a TTY: in CI, in logs, when
output is piped and in tests nothing is printed.  ``GRAPHCRM_PROGRESS=1`` forces bars on and
``GRAPHCRM_PROGRESS=0`` forces them off; a function's own ``progress=`` argument (``True`` /
``False``) wins over both.

Use :func:`bar` around an iterable or a known amount of work, and :func:`steps` for a few
named stages (each ``step("...")`` advances the bar and shows the stage's name).

Example
-------
>>> from graphcrm.progress import bar, steps
>>> total = 0
>>> for x in bar(range(3), desc="counting", progress=False):
...     total += x
>>> total
3
>>> with steps(["load", "score"], desc="demo", progress=False) as step:
...     step("load")
...     step("score")
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from tqdm import tqdm

T = TypeVar("T")

#: ``None`` = automatic (a bar on a terminal only), ``True`` = always, ``False`` = never.
Progress = bool | None

ENV = "GRAPHCRM_PROGRESS"


def enabled(progress: Progress = None) -> bool:
    """Whether to draw bars: ``progress`` if given, else ``$GRAPHCRM_PROGRESS``, else stderr is a TTY."""
    if progress is not None:
        return bool(progress)
    env = os.environ.get(ENV, "").strip().lower()
    if env in ("1", "true", "yes", "on"):
        return True
    if env in ("0", "false", "no", "off"):
        return False
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):  # closed or replaced stderr
        return False


def bar(iterable: Iterable[T] | None = None, *, total: float | None = None, desc: str | None = None,
        unit: str = "it", progress: Progress = None, leave: bool = False, **kwargs: Any) -> tqdm:
    """A tqdm bar on stderr, disabled unless :func:`enabled`.

    Parameters
    ----------
    iterable
        Iterate over it with a bar (or ``None`` and call ``.update(n)`` yourself).
    total
        Amount of work (defaults to ``len(iterable)`` when it has one).
    desc, unit
        Label and unit shown on the bar.
    progress
        ``None`` automatic, ``True``/``False`` force.
    leave
        Keep the finished bar on screen (default: erase it).

    Returns
    -------
    tqdm.tqdm
        Iterable and usable as a context manager; ``.update(n)`` advances it.
    """
    return tqdm(iterable, total=total, desc=desc, unit=unit, leave=leave, file=sys.stderr,
                disable=not enabled(progress), dynamic_ncols=True, **kwargs)


def callback(total: float | None, *, desc: str | None = None, unit: str = "it",
             progress: Progress = None) -> tuple[Callable[[float], None], Callable[[], None]]:
    """An ``(update, close)`` pair for code that reports progress through a callback.

    Example
    -------
    >>> update, close = callback(10, desc="sampling", progress=False)
    >>> update(4); update(6); close()
    """
    b = bar(total=total, desc=desc, unit=unit, progress=progress)
    return (lambda n=1: b.update(n)), b.close


@contextmanager
def steps(names: Sequence[str], *, desc: str | None = None,
          progress: Progress = None) -> Iterator[Callable[[str], None]]:
    """A bar over named stages; yields ``step(name)`` which shows ``name`` and advances one stage.

    Parameters
    ----------
    names
        The stages, in order (only their number matters for the bar's length).
    desc
        Label shown before the current stage's name.
    progress
        ``None`` automatic, ``True``/``False`` force.
    """
    b = bar(total=len(names), desc=desc, unit="step", progress=progress)
    started = [False]

    def step(name: str) -> None:
        if started[0]:
            b.update(1)
        started[0] = True
        b.set_description_str(f"{desc}: {name}" if desc else name, refresh=True)

    try:
        yield step
        if started[0]:
            b.update(1)
    finally:
        b.close()
