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

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from symnn.errors import SymnnError

if TYPE_CHECKING:
    from symnn.verify.lint.formats import Format, InputFormat
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
    cell: int | None = None
    """The notebook cell the link is in (1-based; then :attr:`line` is the line in the
    cell), or None for a document that is not a notebook."""

    @property
    def where(self) -> str:
        """``12`` or, in a notebook, ``cell 3, line 2``."""
        return str(self.line) if self.cell is None else f"cell {self.cell}, line {self.line}"


@dataclass(frozen=True, slots=True)
class LintReport:
    """Every finding of one sheet, in document order."""

    source: str
    """The sheet's path (or a name for text given directly)."""
    format: str
    """markdown, latex, html, text or notebook."""
    findings: tuple[Finding, ...]
    """One finding per link."""

    @property
    def summary(self) -> dict[str, int]:
        """How many links got each verdict (every verdict listed, zeros included)."""
        counts = dict.fromkeys(VERDICT_ORDER, 0)
        for finding in self.findings:
            counts[finding.verdict] += 1
        return counts

    def to_json(self) -> str:
        """The machine-readable report: ``{"findings": [...], "summary": {verdict: count}}``
        (a notebook's findings name their ``cell``)."""
        import json

        findings = [
            {
                "line": f.line,
                "text": f.text,
                "verdict": f.verdict,
                "lhs": f.lhs,
                "rhs": f.rhs,
                "message": f.message,
            }
            | ({"cell": f.cell} if f.cell is not None else {})
            for f in self.findings
        ]
        return json.dumps(
            {"findings": findings, "summary": self.summary}, ensure_ascii=False, indent=2
        )

    @property
    def exit_code(self) -> int:
        """1 when any link is an error, else 0."""
        return 1 if self.summary["error"] else 0


def document_of(text: str, fmt: InputFormat, source: str = "<text>") -> tuple[str, Format]:
    """The document lint reads and its format: a notebook's Markdown cells as Markdown,
    any other text as it is."""
    if fmt == "notebook":
        from symnn.verify.lint.notebook import notebook_markdown

        return notebook_markdown(text, source)[0], "markdown"
    return text, fmt


def lint_text(text: str, fmt: InputFormat, source: str = "<text>") -> LintReport:
    """Judge every link of every math span of a document given as text.

    A notebook (``fmt="notebook"``, the JSON of an ``.ipynb`` file) is read by its
    Markdown cells; each finding then names its cell and its line in that cell.
    """
    from symnn.verify.lint.extract import find_math_spans
    from symnn.verify.lint.judge import Judge
    from symnn.verify.lint.relations import split_relations

    if fmt == "notebook":
        from symnn.verify.lint.notebook import cell_line, notebook_markdown

        document, cells = notebook_markdown(text, source)
        inner = lint_text(document, "markdown", source)
        located = []
        for finding in inner.findings:
            cell, line = cell_line(cells, finding.line)
            located.append(replace(finding, line=line, cell=cell))
        return LintReport(source, "notebook", tuple(located))
    from symnn.verify.lint.displays import display_places

    spans = find_math_spans(text, fmt)
    judge = Judge(display_places([span.text for span in spans]))
    findings = []
    headings = [m.start() for m in _HEADING[fmt].finditer(text)]
    section = 0
    for span in spans:
        while section < len(headings) and headings[section] < span.start:
            section += 1
            judge.forget_names()  # a name's value holds within its section
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


_HEADING: dict[str, re.Pattern[str]] = {
    "markdown": re.compile(r"^[ \t]{0,3}#{1,6}[ \t]", re.MULTILINE),
    "text": re.compile(r"^[ \t]{0,3}#{1,6}[ \t]", re.MULTILINE),
    "latex": re.compile(r"\\(?:part|chapter|(?:sub){0,2}section|paragraph)\*?\s*[\[{]"),
    "html": re.compile(r"<h[1-6]\b", re.IGNORECASE),
}
"""Where a section begins in each format (the values a sheet named are forgotten there)."""


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


def lint_file(path: Path | str, fmt: InputFormat | None = None) -> LintReport:
    """Lint a sheet file; its format comes from ``fmt`` or else from its name and content."""
    from symnn.verify.lint.formats import detect_format

    sheet = Path(path)
    text = read_sheet(sheet)
    return lint_text(text, fmt or detect_format(sheet.name, text), str(sheet))
