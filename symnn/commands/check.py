"""``symnn check SPEC ANSWERS...``: what it prints (a table per answers file, a summary per class, or JSON).

Output is deterministic: the same input gives the same bytes.  The verdicts and the checking
itself are :mod:`symnn.verify.check.judge`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from symnn.commands.table import table, terminal_safe, use_colour
from symnn.verify.check.verdicts import CARRIED, CORRECT, ROUNDING, VERDICTS, WRONG, FileReport, Result

COLOURS = {CORRECT: "32", ROUNDING: "36", CARRIED: "33", WRONG: "31;1", "error": "35;1"}
"""ANSI colour of each verdict."""


def counts_text(counts: dict[str, int]) -> str:
    """``3 quantities checked: 2 correct, 1 wrong``."""
    total = sum(counts.values())
    parts = [f"{counts[v]} {v}" for v in VERDICTS if counts[v]]
    return f"{total} {'quantity' if total == 1 else 'quantities'} checked: {', '.join(parts)}"


def results_table(results: Sequence[Result], colour: bool = False) -> str:
    """One row per claimed quantity, with its one-sentence explanation, and a count.

    >>> print(results_table([Result("ex1", "Z", "correct", [0.7, 0.65], "[[7/10], [13/20]]",
    ...                            [[0.7], [0.65]], None, "Matches the exact value.", ("correct",) * 2)]), end="")
    exercise  quantity  verdict  explanation
    ex1       Z         correct  Matches the exact value.
    1 quantity checked: 1 correct
    """
    rows = [(r.exercise, r.quantity, r.verdict, r.explanation) for r in results]
    lines = table(("exercise", "quantity", "verdict", "explanation"), rows, painted=2, colours=COLOURS, colour=colour)
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
    lines = table(header, rows, right=frozenset({1, 2, 3, 4}), painted=5, colours=COLOURS, colour=colour)
    bad = sum(1 for r in reports if r.error)
    wrong = sum(1 for r in reports if not r.error and r.counts[WRONG])
    lines.append(f"{len(reports)} files: {len(reports) - bad - wrong} without a wrong answer, {wrong} with wrong "
                 f"answers" + (f", {bad} not checked (errors on stderr)" if bad else ""))
    if details:
        for r in reports:
            if not r.error:
                lines += ["", terminal_safe(f"{r.path}:"), results_table(r.results, colour).rstrip("\n")]
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


def run(args: argparse.Namespace) -> int:
    """Check the answers files against the sheet's key; exit 1 if anything is wrong, 2 on a bad file."""
    from symnn.errors import SymnnError
    from symnn.sheets.loading import load_sheet
    from symnn.verify.check.judge import check_file, check_files
    from symnn.verify.check.key import build_key

    if args.jobs < 1:
        raise SymnnError(f"--jobs must be at least 1, got {args.jobs}")
    key = build_key(load_sheet(args.spec))
    colour = use_colour(args.color, sys.stdout)
    if len(args.answers) == 1:
        results = check_file(key, args.answers[0])
        print(json_results(results) if args.json else results_table(results, colour), end="")
        return 1 if any(r.verdict == WRONG for r in results) else 0
    keep = args.json or args.details
    if args.scheduler:
        from symnn.commands.cluster import cluster_executor

        with cluster_executor(args.scheduler) as executor:
            reports = check_files(key, args.answers, keep=keep, executor=executor)
    else:
        reports = check_files(key, args.answers, args.jobs, keep=keep)
    print(json_files(reports) if args.json else summary_table(reports, colour, args.details), end="")
    for r in reports:
        if r.error:
            print(f"symnn: error: {terminal_safe(r.error)}", file=sys.stderr)
    if any(r.error for r in reports):
        return 2
    return 1 if any(r.counts[WRONG] for r in reports) else 0


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``symnn check``."""
    p = subparsers.add_parser(
        "check", help="check claimed answers against the exact solutions",
        description="Check claimed answers (TOML: [exercise id] then quantity = value) against a sheet's exact "
                    "solutions: correct, rounding, carried forward or wrong, with a diagnosis where a known "
                    "mistake explains the claim. Exit 1 if anything is wrong, 2 on bad input.")
    p.add_argument("spec", metavar="SPEC", help="TOML exercise sheet")
    p.add_argument("answers", nargs="+", metavar="ANSWERS", help="TOML answers file(s)")
    p.add_argument("--json", action="store_true", help="machine-readable results")
    p.add_argument("--jobs", "-j", type=int, default=1, help="processes for many files (default 1)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on the Dask distributed cluster at ADDRESS (e.g. tcp://host:8786) instead of --jobs")
    p.add_argument("--details", action="store_true", help="with many files, also each file's table")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour the verdicts (default: only on a terminal)")
    p.set_defaults(func=run)
