"""``symnn lint SHEET``: what it prints (a table, JSON or an HTML page) for :mod:`symnn.verify.lint`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from symnn.commands.table import table, terminal_safe, use_colour

if TYPE_CHECKING:
    from symnn.verify.lint.formats import InputFormat
    from symnn.verify.lint.report import LintReport

COLOURS = {"ok": "32", "rounding": "33", "error": "1;31", "not checked": "2"}
"""ANSI colour of each verdict."""
COLUMNS = (("line", 5), ("verdict", 11), ("link", 48), ("left", 24), ("right", 24), ("message", 0))
"""The table's columns and their widths (the message is never cut)."""


def to_json(report: LintReport) -> str:
    """The machine-readable report: ``{"findings": [...], "summary": {verdict: count}}``."""
    return report.to_json()


def to_table(report: LintReport, colour: bool = False, problems_only: bool = False) -> str:
    """The human report: one line per finding (cut to the columns' widths), then a summary line."""
    rows = [(f.where, f.verdict, f.text, f.lhs, f.rhs, f.message) for f in report.findings
            if not problems_only or f.verdict in ("rounding", "error")]
    header = tuple(name.upper() for name, _ in COLUMNS)
    widths = [width for _, width in COLUMNS]
    if report.format == "notebook":
        widths[0] = max(len(row[0]) for row in rows) if rows else widths[0]  # "cell 3, line 2"
    lines = table(header, rows, widths=widths, right=frozenset({0}), painted=1,
                  colours=COLOURS, colour=colour)
    return "\n".join([*lines, summary_line(report)])


def summary_line(report: LintReport) -> str:
    """``sheet.md: 42 links: 30 ok, 1 rounding, 1 error, 10 not checked``."""
    counts = ", ".join(f"{count} {verdict}" for verdict, count in report.summary.items())
    return terminal_safe(f"{report.source}: {len(report.findings)} links: {counts}")


def run(args: argparse.Namespace) -> int:
    """Lint each sheet and print (or write) the report; SymnnError for bad input (exit 2)."""
    from symnn.errors import SymnnError

    kind = args.format or ("json" if args.json else "table")
    if args.json and kind != "json":
        raise SymnnError(f"--json and --format {kind} ask for different reports; give one")
    if len(args.sheet) > 1:
        return _run_many(args, kind)
    report, text = _lint(Path(args.sheet[0]), args.input_format)
    _emit(_REPORTS[kind](report, text, args), args)
    return report.exit_code


def _lint(sheet: Path, requested: InputFormat | None) -> tuple[LintReport, str]:
    from symnn.verify.lint.formats import detect_format
    from symnn.verify.lint.report import lint_text, read_sheet

    text = read_sheet(sheet)
    fmt = requested or detect_format(sheet.name, text)
    return lint_text(text, fmt, str(sheet)), text


def _emit(output: str, args: argparse.Namespace) -> None:
    from symnn.errors import SymnnError

    if args.out is None:
        sys.stdout.write(output + "\n")
        return
    from symnn.core.io import write_atomic

    try:
        write_atomic(Path(args.out), output + "\n")
    except OSError as error:
        raise SymnnError(f"{args.out}: cannot be written ({error.strerror or error})") from None


def _run_many(args: argparse.Namespace, kind: str) -> int:
    """Several sheets (a class's hand-ins): each file's table, or one JSON document; a progress bar on a
    terminal.  A file that cannot be read is reported (exit 2) and the others are still linted."""
    import json

    from symnn.core.progress import progress
    from symnn.errors import SymnnError

    if kind == "html":
        raise SymnnError("--format html writes one page per sheet; lint one sheet at a time for HTML")
    parts: list[str] = []
    files: list[dict[str, object]] = []
    failures: list[str] = []
    worst = 0
    for name in progress(args.sheet, label="linting", unit="sheet"):
        try:
            report, text = _lint(Path(name), args.input_format)
        except SymnnError as exc:
            failures.append(str(exc))
            files.append({"file": name, "error": str(exc)})
            continue
        worst = max(worst, report.exit_code)
        if kind == "json":
            files.append({"file": name, **json.loads(report.to_json())})
        else:
            parts.append(_table_report(report, text, args))
    if kind == "json":
        output = json.dumps({"files": files}, indent=2, ensure_ascii=False)
    else:
        erroneous = sum(1 for f in files if "error" in f)
        parts.append(f"{len(args.sheet)} sheets: {worst and 'errors found' or 'no error found'}"
                     + (f"; {erroneous} not linted (errors on stderr)" if erroneous else ""))
        output = "\n\n".join(parts)
    _emit(output, args)
    for message in failures:
        print(f"symnn: error: {terminal_safe(message)}", file=sys.stderr)
    return 2 if failures else worst


def _table_report(report: LintReport, text: str, args: argparse.Namespace) -> str:
    colour = args.out is None and use_colour("auto", sys.stdout)
    return to_table(report, colour=colour, problems_only=args.problems)


def _json_report(report: LintReport, text: str, args: argparse.Namespace) -> str:
    return to_json(report)


def _html_report(report: LintReport, text: str, args: argparse.Namespace) -> str:
    from symnn.verify.lint.html import to_html_report
    from symnn.verify.lint.report import document_of

    document, fmt = document_of(text, report.format, report.source)  # type: ignore[arg-type]
    return to_html_report(report, document, fmt, problems_only=args.problems).rstrip("\n")


_REPORTS = {"table": _table_report, "json": _json_report, "html": _html_report}
"""How each ``--format`` turns the report (and the sheet's text) into output."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``symnn lint``."""
    parser = subparsers.add_parser(
        "lint",
        help="check every computation written in a hand-made sheet",
        description="Check the arithmetic of every equation chain in a Markdown, LaTeX or HTML "
        "sheet: each link is ok, rounding, error or not checked. Exit 1 if any error.",
    )
    parser.add_argument("sheet", metavar="SHEET", nargs="+",
                        help="the sheet(s) (.md, .txt, .tex, .html, .ipynb); several give each one's table, "
                             "or one JSON document")
    parser.add_argument(
        "--format",
        choices=("table", "json", "html"),
        default=None,
        help="the report: a table (default), JSON, or an HTML page with the sheet's math "
        "rendered and each link marked",
    )
    parser.add_argument("--json", action="store_true", help="the same as --format json")
    parser.add_argument(
        "--out",
        metavar="FILE",
        default=None,
        help="write the report to FILE (atomically) instead of printing it",
    )
    parser.add_argument(
        "--input-format",
        choices=("markdown", "latex", "html", "text", "notebook"),
        default=None,
        help="how to read SHEET: text is plain-text arithmetic with no math delimiters, "
        "notebook a Jupyter .ipynb (its Markdown cells) (default: from its extension and "
        "content; a .txt without $, \\( or \\[ is text)",
    )
    parser.add_argument(
        "--problems",
        action="store_true",
        help="list only rounding and error findings (the summary counts all); with "
        "--format html, show only the paragraphs that have one",
    )
    parser.set_defaults(func=run)
