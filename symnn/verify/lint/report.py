"""``symnn lint SHEET``: check every computation written in a hand-made sheet.

The sheet (Markdown, LaTeX or HTML) is read, its math spans found
(:mod:`~symnn.verify.lint.extract`), each span split into links ``a = b``
(:mod:`~symnn.verify.lint.relations`), and each link judged in document order
(:mod:`~symnn.verify.lint.judge`): **ok**, **rounding**, **error** or **not checked**.
The exit status is 1 when any link is an error, 0 otherwise; bad input (a missing
file, a directory, a binary file) is a :class:`~symnn.errors.SymnnError` (exit 2).
What the command prints is :mod:`symnn.commands.lint`.

This module imports only the standard library at load time; the parser and SymPy
load on first use.

>>> report = lint_text(r"Mean: $\\frac{20 + 5 + 30}{3} = 18.33$, sum: $0.2 + 0.4 = 0.7$", "markdown")
>>> [(f.verdict, f.text) for f in report.findings]
[('ok', '\\\\frac{20 + 5 + 30}{3} = 18.33'), ('error', '0.2 + 0.4 = 0.7')]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from symnn.errors import SymnnError

if TYPE_CHECKING:
    from symnn.verify.lint.formats import Format
    from symnn.verify.lint.judge import Judge, Judgement, Verdict
    from symnn.verify.lint.relations import Link

MAX_SHEET_BYTES = 50 * 2**20
"""The largest sheet read (50 MiB)."""

VERDICT_ORDER: tuple[str, ...] = ("ok", "rounding", "error", "not checked")
"""Every verdict of a link, from best to worst (the order of :attr:`LintReport.summary`)."""


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
        counts = dict.fromkeys(VERDICT_ORDER, 0)
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
        line, counted = span.line, 0
        for link in split_relations(span.text):
            judgement = _judge_safely(judge, link)
            if link.position >= counted:  # lines counted once along the span, not from its start per link
                line += span.text.count("\n", counted, link.position)
                counted = link.position
            else:
                line, counted = span.line_at(link.position), link.position
            findings.append(
                Finding(
                    line,
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
    from symnn.core.io import read_bytes

    data = read_bytes(path, "a sheet file (.md, .tex, .html)", MAX_SHEET_BYTES)
    if b"\x00" in data[:65536]:
        raise SymnnError(f"{path}: is a binary file; expected a text sheet (.md, .tex, .html)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SymnnError(f"{path}: is not UTF-8 text (bad byte at offset {error.start})") from None


def lint_file(path: Path | str, fmt: Format | None = None) -> LintReport:
    """Lint a sheet file; its format comes from ``fmt`` or else from its name and content."""
    from symnn.verify.lint.formats import detect_format

    sheet = Path(path)
    text = read_sheet(sheet)
    return lint_text(text, fmt or detect_format(sheet.name, text), str(sheet))
