"""``symnn lint SHEET``: check every computation written in a hand-made sheet.

The sheet (Markdown, LaTeX or HTML) is read, its math spans found
(:mod:`~symnn.verify.lint.extract`), each span split into links ``a = b``
(:mod:`~symnn.verify.lint.relations`), and each link judged in document order
(:mod:`~symnn.verify.lint.judge`): **ok**, **rounding**, **error** or **not checked**.
The exit status is 1 when any link is an error, 0 otherwise; bad input (a missing
file, a directory, a binary file) is a :class:`~symnn.errors.SymnnError` (exit 2).

This module imports only the standard library at load time, so registering the
subcommand costs the command line nothing; the parser and SymPy load on first use.

>>> report = lint_text(r"Mean: $\\frac{20 + 5 + 30}{3} = 18.33$, sum: $0.2 + 0.4 = 0.7$", "markdown")
>>> [(f.verdict, f.text) for f in report.findings]
[('ok', '\\\\frac{20 + 5 + 30}{3} = 18.33'), ('error', '0.2 + 0.4 = 0.7')]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from symnn.errors import SymnnError

if TYPE_CHECKING:
    from symnn.verify.lint.extract import Format
    from symnn.verify.lint.judge import Judge, Judgement, Verdict
    from symnn.verify.lint.relations import Link

MAX_SHEET_BYTES = 50 * 2**20
"""The largest sheet read (50 MiB)."""

_VERDICT_ORDER: tuple[str, ...] = ("ok", "rounding", "error", "not checked")
_COLOURS = {"ok": "32", "rounding": "33", "error": "1;31", "not checked": "2"}
_COLUMNS = (("line", 5), ("verdict", 11), ("link", 48), ("left", 24), ("right", 24))


@dataclass(frozen=True, slots=True)
class Finding:
    """The verdict on one link of the sheet."""

    line: int
    """The line of the link's relation sign (1-based)."""
    text: str
    """The link as written, ``lhs REL rhs``."""
    verdict: Verdict
    """ok, rounding, error or not checked."""
    lhs: str
    """The left side's value (its TeX when it has none)."""
    rhs: str
    """The right side's value (its TeX when it has none)."""
    message: str
    """One sentence explaining the verdict."""


@dataclass(frozen=True, slots=True)
class LintReport:
    """Every finding of one sheet, in document order."""

    source: str
    """The sheet's path (or a name for text given directly)."""
    format: str
    """markdown, latex or html."""
    findings: tuple[Finding, ...]
    """One finding per link."""

    @property
    def summary(self) -> dict[str, int]:
        """How many links got each verdict (every verdict listed, zeros included)."""
        counts = dict.fromkeys(_VERDICT_ORDER, 0)
        for finding in self.findings:
            counts[finding.verdict] += 1
        return counts

    @property
    def exit_code(self) -> int:
        """1 when any link is an error, else 0."""
        return 1 if self.summary["error"] else 0


def lint_text(text: str, fmt: Format, source: str = "<text>") -> LintReport:
    """Judge every link of every math span of a document given as text."""
    from symnn.verify.lint.extract import find_math_spans
    from symnn.verify.lint.judge import Judge
    from symnn.verify.lint.relations import split_relations

    judge = Judge()
    findings = []
    for span in find_math_spans(text, fmt):
        for link in split_relations(span.text):
            judgement = _judge_safely(judge, link)
            findings.append(
                Finding(
                    span.line_at(link.position),
                    link.text,
                    judgement.verdict,
                    judgement.lhs,
                    judgement.rhs,
                    judgement.message,
                )
            )
    return LintReport(source, fmt, tuple(findings))


def _judge_safely(judge: Judge, link: Link) -> Judgement:
    """A judgement; an unforeseen failure costs one link (reported), never the whole run."""
    from symnn.verify.lint.judge import Judgement

    try:
        return judge.judge(link)
    except SymnnError as error:
        return Judgement("not checked", link.lhs.text, link.rhs.text, f"{error}.")
    except (ArithmeticError, ValueError, RecursionError, MemoryError) as error:
        return Judgement(
            "not checked",
            link.lhs.text,
            link.rhs.text,
            f"symnn could not evaluate this link (internal error: {type(error).__name__}).",
        )


def read_sheet(path: Path) -> str:
    """The text of a sheet file, or a one-line SymnnError saying why it cannot be read."""
    if not path.exists():
        raise SymnnError(f"{path}: no such file")
    if path.is_dir():
        raise SymnnError(f"{path}: is a directory; expected a sheet file (.md, .tex, .html)")
    try:
        size = path.stat().st_size
        if size > MAX_SHEET_BYTES:
            raise SymnnError(
                f"{path}: is {size} bytes; sheets up to {MAX_SHEET_BYTES} bytes are read"
            )
        data = path.read_bytes()
    except OSError as error:
        raise SymnnError(f"{path}: cannot be read ({error.strerror or error})") from None
    if b"\x00" in data[:65536]:
        raise SymnnError(f"{path}: is a binary file; expected a text sheet (.md, .tex, .html)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SymnnError(f"{path}: is not UTF-8 text (bad byte at offset {error.start})") from None


def lint_file(path: Path | str, fmt: Format | None = None) -> LintReport:
    """Lint a sheet file; its format comes from ``fmt`` or else from its name and content."""
    from symnn.verify.lint.extract import detect_format

    sheet = Path(path)
    text = read_sheet(sheet)
    return lint_text(text, fmt or detect_format(sheet.name, text), str(sheet))


# ----- reports -------------------------------------------------------------------------------
def to_json(report: LintReport) -> str:
    """The machine-readable report: ``{"findings": [...], "summary": {verdict: count}}``."""
    findings = [
        {
            "line": f.line,
            "text": f.text,
            "verdict": f.verdict,
            "lhs": f.lhs,
            "rhs": f.rhs,
            "message": f.message,
        }
        for f in report.findings
    ]
    return json.dumps(
        {"findings": findings, "summary": report.summary}, ensure_ascii=False, indent=2
    )


def _cell(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat.ljust(width) if len(flat) <= width else flat[: width - 1] + "…"


def _paint(text: str, verdict: str, colour: bool) -> str:
    return f"\033[{_COLOURS[verdict]}m{text}\033[0m" if colour else text


def to_table(report: LintReport, colour: bool = False, problems_only: bool = False) -> str:
    """The human report: one line per finding, then a summary line."""
    header = (
        "  ".join(
            name.upper().ljust(width) if name != "line" else name.upper().rjust(width)
            for name, width in _COLUMNS
        )
        + "  MESSAGE"
    )
    lines = [header.rstrip()]
    for f in report.findings:
        if problems_only and f.verdict not in ("rounding", "error"):
            continue
        cells = [
            str(f.line).rjust(5),
            _paint(_cell(f.verdict, 11), f.verdict, colour),
            _cell(f.text, 48),
            _cell(f.lhs, 24),
            _cell(f.rhs, 24),
            f.message,
        ]
        lines.append("  ".join(cells))
    lines.append(summary_line(report))
    return "\n".join(lines)


def summary_line(report: LintReport) -> str:
    """``sheet.md: 42 links: 30 ok, 1 rounding, 1 error, 10 not checked``."""
    counts = ", ".join(f"{count} {verdict}" for verdict, count in report.summary.items())
    return f"{report.source}: {len(report.findings)} links: {counts}"


# ----- command line --------------------------------------------------------------------------
def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``symnn lint`` on the CLI's subcommands."""
    parser = subparsers.add_parser(
        "lint",
        help="check every computation written in a hand-made sheet",
        description="Check the arithmetic of every equation chain in a Markdown, LaTeX or HTML "
        "sheet: each link is ok, rounding, error or not checked. Exit 1 if any error.",
    )
    parser.add_argument("sheet", metavar="SHEET", help="the sheet (.md, .txt, .tex, .html)")
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
        choices=("markdown", "latex", "html"),
        default=None,
        help="how to read SHEET (default: from its extension and content)",
    )
    parser.add_argument(
        "--problems",
        action="store_true",
        help="list only rounding and error findings (the summary counts all); with "
        "--format html, show only the paragraphs that have one",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Lint ``args.sheet`` and print (or write) the report; SymnnError for bad input (exit 2)."""
    from symnn.verify.lint.extract import detect_format

    sheet = Path(args.sheet)
    text = read_sheet(sheet)
    requested: Literal["markdown", "latex", "html"] | None = args.input_format
    fmt = requested or detect_format(sheet.name, text)
    report = lint_text(text, fmt, str(sheet))
    kind = args.format or ("json" if args.json else "table")
    if args.json and kind != "json":
        raise SymnnError(f"--json and --format {kind} ask for different reports; give one")
    output = _REPORTS[kind](report, text, args)
    if args.out is None:
        sys.stdout.write(output + "\n")
    else:
        from symnn.core.io import write_atomic

        try:
            write_atomic(Path(args.out), output + "\n")
        except OSError as error:
            raise SymnnError(f"{args.out}: cannot be written ({error.strerror or error})") from None
    return report.exit_code


def _table_report(report: LintReport, text: str, args: argparse.Namespace) -> str:
    colour = args.out is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    return to_table(report, colour=colour, problems_only=args.problems)


def _json_report(report: LintReport, text: str, args: argparse.Namespace) -> str:
    return to_json(report)


def _html_report(report: LintReport, text: str, args: argparse.Namespace) -> str:
    from symnn.verify.lint.html import to_html_report

    return to_html_report(report, text, report.format, problems_only=args.problems).rstrip("\n")  # type: ignore[arg-type]


_REPORTS = {"table": _table_report, "json": _json_report, "html": _html_report}
"""How each ``--format`` turns the report (and the sheet's text) into output."""
