"""symnn's two halves keep each other honest: every sheet symnn generates lints clean."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from symnn.verify.lint import lint_text

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
GOLDEN = sorted(p for p in SNAPSHOTS.glob("seed.*") if p.suffix in (".md", ".tex", ".html"))
FORMAT = {".md": "markdown", ".tex": "latex", ".html": "html"}


def test_there_are_golden_sheets_to_lint():
    assert {p.suffix for p in GOLDEN} == {".md", ".tex", ".html"}


@pytest.mark.parametrize("path", GOLDEN, ids=[p.name for p in GOLDEN])
def test_golden_sheet_lints_clean(path):
    report = lint_text(path.read_text(encoding="utf-8"), FORMAT[path.suffix])
    problems = [f for f in report.findings if f.verdict in ("error", "rounding")]
    assert not problems, "\n".join(f"{f.line}: {f.text} -> {f.verdict}: {f.message}" for f in problems)
    checked = sum(1 for f in report.findings if f.verdict == "ok")
    assert checked >= 80, f"only {checked} links were checked numerically"



SLIP = (r"= \begin{bmatrix}0.7\\0.65\end{bmatrix}", r"= \begin{bmatrix}0.7\\0.66\end{bmatrix}")
"""The end of exercise 1's first chain (Z = W X + b) as the sheet writes it, and with a slip."""


@pytest.mark.parametrize("path", GOLDEN, ids=[p.name for p in GOLDEN])
def test_a_slip_planted_in_a_golden_sheet_is_found_on_its_line(path):
    # Proves lint reads the chain the reader sees.  Z's second entry is 0.4·1 + 0.3·0.5 + 0.1
    # = 0.65 exactly (fractions below), so 0.66 is wrong, not a rounding.  The first
    # occurrence of the text is the chain itself: in the LaTeX, \SymnnChain's second
    # argument (its third repeats the links); in the HTML, the last link's TeX annotation.
    assert Fraction("0.4") * 1 + Fraction("0.3") * Fraction("0.5") + Fraction("0.1") == Fraction("0.65")
    text = path.read_text(encoding="utf-8")
    at = text.index(SLIP[0])
    line = text.count("\n", 0, at) + 1
    report = lint_text(text[:at] + SLIP[1] + text[at + len(SLIP[0]) :], FORMAT[path.suffix])
    errors = [(f.line, f.rhs) for f in report.findings if f.verdict == "error"]
    assert errors == [(line, "[[0.7], [0.66]]")]
