"""What ``symnn check`` prints: a table per answers file, a summary per class, or JSON.

Colour marks the verdicts only when writing to a terminal (or ``--color always``),
and never when ``NO_COLOR`` is set with ``auto``.  Output is deterministic: the
same input gives the same bytes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any, TextIO

from symnn.verify.check.judge import CARRIED, CORRECT, ROUNDING, VERDICTS, WRONG, FileReport, Result

COLOURS = {CORRECT: "32", ROUNDING: "36", CARRIED: "33", WRONG: "31;1", "error": "35;1"}
"""ANSI colour of each verdict."""


def use_colour(choice: str, stream: TextIO) -> bool:
    """Whether to colour: ``always``, ``never``, or ``auto`` (a terminal without NO_COLOR)."""
    if choice != "auto":
        return choice == "always"
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def _paint(text: str, verdict: str, colour: bool) -> str:
    return f"\x1b[{COLOURS[verdict]}m{text}\x1b[0m" if colour and verdict in COLOURS else text


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], painted: int | None,
           colour: bool, right: frozenset[int] = frozenset()) -> list[str]:
    """Aligned columns; column ``painted`` is coloured by its own text; the last column is not padded."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for n, row in enumerate([header, *rows]):
        cells = []
        for i, cell in enumerate(row):
            padded = cell if i == len(row) - 1 else (cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]))
            cells.append(_paint(padded, cell, colour) if n and i == painted else padded)
        lines.append("  ".join(cells).rstrip())
    return lines


def counts_text(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    parts = [f"{counts[v]} {v}" for v in VERDICTS if counts[v]]
    return f"{total} {'quantity' if total == 1 else 'quantities'} checked: {', '.join(parts)}"


def results_table(results: Sequence[Result], colour: bool = False) -> str:
    """One row per claimed quantity, with its one-sentence explanation, and a count.

    >>> from symnn.verify.check.judge import Result
    >>> print(results_table([Result("ex1", "Z", "correct", [0.7, 0.65], "[[7/10], [13/20]]",
    ...                            [[0.7], [0.65]], None, "Matches the exact value.", ("correct",) * 2)]), end="")
    exercise  quantity  verdict  explanation
    ex1       Z         correct  Matches the exact value.
    1 quantity checked: 1 correct
    """
    rows = [(r.exercise, r.quantity, r.verdict, r.explanation) for r in results]
    lines = _table(("exercise", "quantity", "verdict", "explanation"), rows, 2, colour)
    counts = {v: sum(1 for r in results if r.verdict == v) for v in VERDICTS}
    return "\n".join([*lines, counts_text(counts)]) + "\n"


def summary_table(reports: Sequence[FileReport], colour: bool = False, details: bool = False) -> str:
    """One row per answers file with its counts (a class's submissions), then a total line."""
    rows: list[tuple[str, ...]] = []
    for r in reports:
        if r.error:
            rows.append((r.path, "-", "-", "-", "-", "error"))
            continue
        c = r.counts
        status = max((v for v in VERDICTS if c[v]), key=VERDICTS.index)
        rows.append((r.path, *(str(c[v]) for v in VERDICTS), status))
    header = ("file", *VERDICTS, "worst")
    lines = _table(header, rows, 5, colour, right=frozenset({1, 2, 3, 4}))
    bad = sum(1 for r in reports if r.error)
    wrong = sum(1 for r in reports if not r.error and r.counts[WRONG])
    lines.append(f"{len(reports)} files: {len(reports) - bad - wrong} without a wrong answer, {wrong} with wrong "
                 f"answers" + (f", {bad} not checked (errors on stderr)" if bad else ""))
    if details:
        for r in reports:
            if not r.error:
                lines += ["", f"{r.path}:", results_table(r.results, colour).rstrip("\n")]
    return "\n".join(lines) + "\n"


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def json_results(results: Sequence[Result]) -> str:
    """``{"results": [...]}`` for one answers file."""
    return _dump({"results": [r.to_json() for r in results]})


def json_files(reports: Sequence[FileReport]) -> str:
    """``{"files": [{"file": path, "results": [...]} or {"file": path, "error": message}]}``."""
    files: list[dict[str, Any]] = []
    for r in reports:
        files.append({"file": r.path, "error": r.error} if r.error else
                     {"file": r.path, "results": [x.to_json() for x in r.results]})
    return _dump({"files": files})
