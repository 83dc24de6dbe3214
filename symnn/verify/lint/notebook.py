"""Jupyter notebooks (``.ipynb``): their Markdown cells, read as one Markdown document.

A notebook is JSON (nbformat 4): a list of cells, each with a ``cell_type`` and a
``source`` (a string or a list of lines).  Lint reads the Markdown cells, in order, as
one document (so a value named or rounded in one cell is known in the next), separated
by blank lines, and reports each finding with the number of its cell (1-based, counting
every cell as Jupyter lists them) and its line within the cell.  Code cells and outputs
are not read.  Only the standard library's :mod:`json` is used.

>>> document, cells = notebook_markdown('{"cells": [{"cell_type": "code", "source": "1"},'
...     ' {"cell_type": "markdown", "source": ["$1 + 1 = 2$"]}]}', "nb.ipynb")
>>> document, cells
('$1 + 1 = 2$', [(2, 1)])
>>> cell_line(cells, 1)
(2, 1)
"""

from __future__ import annotations

import json
from bisect import bisect_right

from symnn.errors import SymnnError

Cells = list[tuple[int, int]]
"""(cell number, the document line where the cell starts) for each Markdown cell."""


def notebook_markdown(text: str, source: str) -> tuple[str, Cells]:
    """The Markdown cells of a notebook as one document, and where each cell starts."""
    try:
        notebook = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise SymnnError(f"{source}: is not a Jupyter notebook (invalid JSON: {error})") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        worksheets = notebook.get("worksheets") if isinstance(notebook, dict) else None
        if isinstance(worksheets, list) and worksheets and isinstance(worksheets[0], dict):
            cells = worksheets[0].get("cells")  # nbformat 3
    if not isinstance(cells, list):
        raise SymnnError(f"{source}: is not a Jupyter notebook (no list of cells)")
    pieces: list[str] = []
    starts: Cells = []
    line = 1
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
            continue
        body = _source(cell.get("source", ""), source, number)
        starts.append((number, line))
        pieces.append(body)
        line += body.count("\n") + 2
    return "\n\n".join(pieces), starts


def _source(value: object, source: str, number: int) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(piece, str) for piece in value):
        return "".join(value)
    raise SymnnError(f"{source}: cell {number} has a source that is not text")


def cell_line(cells: Cells, line: int) -> tuple[int, int]:
    """(cell number, line within the cell) of a line of the document."""
    index = bisect_right([start for _, start in cells], line) - 1
    if index < 0:
        return 0, line
    number, start = cells[index]
    return number, line - start + 1
