"""The library's entry points for checking: ``symnn.lint`` and ``symnn.check``.

Both return a report object with the findings, a summary, JSON, and an HTML view that
Jupyter shows by itself (``_repr_html_``): a lint report as the sheet's math in MathML
with every link marked, as ``symnn lint --format html`` does; a check report as a table.

>>> report = lint(r"Sum: $0.2 + 0.4 = 0.6$, product: $0.2 \\cdot 0.4 = 0.8$")
>>> report.summary
{'ok': 1, 'rounding': 0, 'error': 1, 'not checked': 0}
>>> [f.verdict for f in report.errors]
['error']
>>> "<math" in report._repr_html_()
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import Element, SubElement

from symnn.errors import SymnnError

if TYPE_CHECKING:
    from symnn.sheets.spec import SheetSpec
    from symnn.verify.check.verdicts import Result
    from symnn.verify.lint.formats import InputFormat
    from symnn.verify.lint.report import Finding, LintReport

__all__ = ["CheckReport", "LintResult", "check", "lint"]

_LOOKS_LIKE_PATH_LIMIT = 4096
"""A string longer than this, or with a newline, is text, never a path."""


@dataclass(frozen=True, slots=True)
class LintResult:
    """What :func:`lint` found in one sheet."""

    report: LintReport
    """The findings, in document order, as the command line reports them."""
    document: str
    """The text that was read (a notebook's Markdown cells joined)."""
    document_format: str
    """How that text was read: markdown, latex, html or text."""

    @property
    def findings(self) -> tuple[Finding, ...]:
        """One finding per link."""
        return self.report.findings

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings that are errors."""
        return tuple(f for f in self.findings if f.verdict == "error")

    @property
    def summary(self) -> dict[str, int]:
        """How many links got each verdict (every verdict listed)."""
        return self.report.summary

    def to_json(self) -> str:
        """The report as ``symnn lint --json`` writes it."""
        return self.report.to_json()

    def to_html(self, problems_only: bool = False) -> str:
        """A self-contained HTML page, as ``symnn lint --format html`` writes it."""
        from symnn.verify.lint.html import to_html_report

        return to_html_report(self.report, self.document, self.document_format, problems_only)  # type: ignore[arg-type]

    def _repr_html_(self) -> str:
        from symnn.verify.lint.html import to_html_fragment

        return to_html_fragment(self.report, self.document, self.document_format)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {verdict}" for verdict, n in self.summary.items())
        return f"<LintResult {self.report.source}: {len(self.findings)} links: {counts}>"


def lint(text_or_path: str | Path, format: InputFormat | None = None) -> LintResult:  # noqa: A002
    """Check the arithmetic of a sheet given as text or as a path (str or Path).

    A string is a path when it names an existing file (and has no newline); otherwise it
    is the sheet's text.  ``format`` is markdown, latex, html, text (plain-text arithmetic)
    or notebook (a Jupyter ``.ipynb``); by default it comes from the file's name and
    content, and text given directly is read as Markdown when it has math delimiters and
    as plain text otherwise.
    """
    from symnn.verify.lint.formats import INPUT_FORMATS, detect_format
    from symnn.verify.lint.report import document_of, lint_text, read_sheet

    if format is not None and format not in INPUT_FORMATS:
        raise SymnnError(f"unknown format {format!r}; expected one of {', '.join(INPUT_FORMATS)}")
    path = _as_path(text_or_path)
    if path is not None:
        text, source = read_sheet(path), str(path)
        fmt = format or detect_format(path.name, text)
    else:
        text, source = str(text_or_path), "<text>"
        fmt = format or detect_format("text.txt", text)
    report = lint_text(text, fmt, source)
    document, document_format = document_of(text, fmt, source)
    return LintResult(report, document, document_format)


def _as_path(value: str | Path) -> Path | None:
    if isinstance(value, Path):
        return value
    if "\n" in value or len(value) > _LOOKS_LIKE_PATH_LIMIT:
        return None
    try:
        path = Path(value)
        return path if path.is_file() else None
    except (OSError, ValueError):
        return None


# ----- symnn.check ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CheckReport:
    """What :func:`check` found: one result per claimed quantity."""

    results: tuple[Result, ...]
    """In sheet order."""

    @property
    def summary(self) -> dict[str, int]:
        """How many quantities got each verdict (every verdict listed)."""
        from symnn.verify.check.verdicts import VERDICTS

        counts = dict.fromkeys(VERDICTS, 0)
        for result in self.results:
            counts[result.verdict] += 1
        return counts

    @property
    def wrong(self) -> tuple[Result, ...]:
        """The results that are wrong."""
        return tuple(r for r in self.results if r.verdict == "wrong")

    def to_json(self) -> str:
        """The report as ``symnn check --json`` writes it."""
        return json.dumps(
            {"results": [r.to_json() for r in self.results], "summary": self.summary},
            indent=2,
            ensure_ascii=False,
        )

    def _repr_html_(self) -> str:
        from symnn.sheets.render.html import STYLE, serialise
        from symnn.verify.lint.html import LINT_STYLE

        wrapper = Element("div", {"class": "symnn-check-report"})
        SubElement(wrapper, "style").text = STYLE + LINT_STYLE
        root = SubElement(wrapper, "div", {"class": "symnn check"})
        counts = ", ".join(f"{n} {verdict}" for verdict, n in self.summary.items())
        SubElement(root, "p", {"class": "preface"}).text = f"{len(self.results)} quantities: {counts}"
        table = SubElement(root, "table")
        head = SubElement(table, "tr")
        for title in ("exercise", "quantity", "verdict", "exact", "why"):
            SubElement(head, "th").text = title
        for result in self.results:
            row = SubElement(table, "tr")
            SubElement(row, "td").text = result.exercise
            SubElement(row, "td").text = result.quantity
            css = {"correct": "ok", "rounding": "rounding", "carried forward": "rounding"}
            SubElement(row, "td", {"class": css.get(result.verdict, "error")}).text = result.verdict
            SubElement(row, "td").text = result.exact
            SubElement(row, "td").text = result.explanation
        return serialise(wrapper)

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {verdict}" for verdict, n in self.summary.items())
        return f"<CheckReport {len(self.results)} quantities: {counts}>"


def check(
    spec: SheetSpec | str | Path | None, answers: Mapping[str, Any] | str | Path
) -> CheckReport:
    """Check claimed answers against a sheet's exact key.

    ``spec`` is a sheet (a path, TOML text, a loaded :class:`~symnn.sheets.spec.SheetSpec`,
    or None for the built-in seed sheet); ``answers`` maps exercise ids to tables of
    claimed values, or is the path of an answers TOML file.

    >>> from decimal import Decimal
    >>> check(None, {"ex2": {"L": Decimal("0.693")}}).summary["rounding"]
    1
    """
    from symnn.sheets.loading import load_sheet
    from symnn.sheets.spec import SheetSpec
    from symnn.verify.check.answers import read_answers_file
    from symnn.verify.check.judge import check_claims
    from symnn.verify.check.key import build_key

    sheet = spec if isinstance(spec, SheetSpec) else load_sheet(spec)
    key = build_key(sheet)
    if isinstance(answers, (str, Path)):
        return CheckReport(tuple(check_claims(key, read_answers_file(answers), str(answers))))
    return CheckReport(tuple(check_claims(key, answers)))
