"""Progress bars for long work: on stderr when it is a terminal, nothing otherwise.

One switch for the whole process: :func:`set_quiet` (the CLI's ``--quiet``) silences every
bar.  The bars come from ``tqdm``; without a terminal (CI, pipes, files) :func:`progress`
returns the iterable untouched, so output written by symnn never depends on a bar.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_QUIET = False


def set_quiet(quiet: bool) -> None:
    """Silence (or allow again) every progress bar of this process."""
    global _QUIET
    _QUIET = quiet


def shown() -> bool:
    """Whether a bar would be drawn now: stderr is a terminal and nobody asked for quiet."""
    isatty = getattr(sys.stderr, "isatty", None)
    return not _QUIET and isatty is not None and bool(isatty())


def progress(items: Iterable[T], *, total: int | None = None, label: str = "", unit: str = "it",
             minimum: int = 2) -> Iterable[T]:
    """``items``, with a bar on stderr while they are consumed (when :func:`shown` and there are at least
    ``minimum`` of them); else ``items`` itself.

    >>> list(progress([1, 2, 3], label="steps"))  # doctest output is not a terminal: no bar
    [1, 2, 3]
    """
    if not shown():
        return items
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    if total is not None and total < minimum:
        return items
    from tqdm import tqdm

    return _closing(tqdm(items, total=total, desc=label or None, unit=unit, file=sys.stderr,
                         leave=False, dynamic_ncols=True, mininterval=0.2))


def _closing(bar: Iterable[T]) -> Iterator[T]:
    """Iterate a bar and close it even when the loop stops early."""
    try:
        yield from bar
    finally:
        close = getattr(bar, "close", None)
        if close is not None:
            close()
