"""Aligned text tables and verdict colours, shared by ``symnn check`` and ``symnn lint``.

Colour marks verdicts only when writing to a terminal (or ``--color always``), and never
with ``auto`` when ``NO_COLOR`` is set to anything but the empty string (no-color.org).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TextIO


def terminal_safe(text: str) -> str:
    r"""``text`` with control characters (ESC, BEL, CR, ...) escaped, so printing it cannot
    move the cursor, set a title or clear a terminal.

    >>> terminal_safe("a\x1b[2Jb\tc")
    'a\\x1b[2Jb\tc'
    """
    return "".join(c if c in "\t\n" or (c.isprintable() and c not in "\u2028\u2029") else ascii(c)[1:-1] for c in text)


def use_colour(choice: str, stream: TextIO) -> bool:
    """Whether to colour: ``always``, ``never``, or ``auto`` (a terminal without NO_COLOR)."""
    if choice != "auto":
        return choice == "always"
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def paint(text: str, code: str | None, colour: bool) -> str:
    """``text`` in the ANSI colour ``code`` (e.g. ``"31;1"``) when colouring, else unchanged."""
    return f"\x1b[{code}m{text}\x1b[0m" if colour and code else text


def fit(text: str, width: int) -> str:
    """``text`` on one line, padded or cut (ending in …) to ``width`` characters.

    >>> fit("a  b", 5), fit("abcdefg", 5)
    ('a b  ', 'abcd…')
    """
    flat = " ".join(text.split())
    return flat.ljust(width) if len(flat) <= width else flat[: width - 1] + "…"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], *, widths: Sequence[int] | None = None,
          right: frozenset[int] = frozenset(), painted: int | None = None,
          colours: Mapping[str, str] | None = None, colour: bool = False) -> list[str]:
    """Aligned columns, two spaces apart, one line each for the header and every row.

    Column widths are the widest cell's, or ``widths`` (cells then flattened and cut to fit,
    except right-aligned ones); columns in ``right`` are right-aligned; the last column is never
    padded.  Column ``painted`` of each row is coloured by its own text, through ``colours``.

    >>> print("\\n".join(table(("name", "n", "note"), [("a", "1", "odd"), ("bc", "22", "")], right=frozenset({1}))))
    name   n  note
    a      1  odd
    bc    22
    """
    fixed = widths is not None
    header, rows = [terminal_safe(c) for c in header], [[terminal_safe(c) for c in row] for row in rows]
    if widths is None:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for n, row in enumerate([header, *rows]):
        cells = []
        for i, cell in enumerate(row):
            if i == len(row) - 1:
                padded = cell
            elif i in right:
                padded = cell.rjust(widths[i])
            else:
                padded = fit(cell, widths[i]) if n and fixed else cell.ljust(widths[i])
            code = (colours or {}).get(cell) if n and i == painted else None
            cells.append(paint(padded, code, colour))
        lines.append("  ".join(cells).rstrip())
    return lines
