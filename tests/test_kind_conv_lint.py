"""The convolution kinds' own sheets lint clean, and lint finds a slip planted in them."""

from __future__ import annotations

from pathlib import Path

import pytest

from symnn.verify.lint.report import lint_text

EXAMPLES = Path(__file__).resolve().parent / "snapshots" / "examples"
KINDS = ("conv2d", "pool", "cnn_sizes", "conv_transpose")
FORMAT = {".md": "markdown", ".tex": "latex", ".html": "html"}
SHEETS = [EXAMPLES / f"{kind}{suffix}" for kind in KINDS for suffix in FORMAT]


@pytest.mark.parametrize("path", SHEETS, ids=[p.name for p in SHEETS])
def test_example_sheet_lints_clean(path):
    report = lint_text(path.read_text(encoding="utf-8"), FORMAT[path.suffix])
    problems = [f for f in report.findings if f.verdict in ("error", "rounding")]
    assert not problems, "\n".join(f"{f.line}: {f.text} -> {f.verdict}: {f.message}" for f in problems)
    assert sum(1 for f in report.findings if f.verdict == "ok") >= 8


@pytest.mark.parametrize("kind, right, slip", [
    ("conv2d", r"4 \cdot 3 = 19", r"4 \cdot 3 = 18"),
    ("conv2d", r"\left\lfloor{\frac{4 - 2 + 2 \cdot 1}{2}}\right\rfloor + 1 = 3",
     r"\left\lfloor{\frac{4 - 2 + 2 \cdot 1}{2}}\right\rfloor + 1 = 4"),
    ("pool", r"\max\left(0, 1, 3, 4\right) = 4", r"\max\left(0, 1, 3, 4\right) = 3"),
    ("cnn_sizes", r"96 \cdot \left(11 \cdot 11 \cdot 3 + 1\right) = 34944",
     r"96 \cdot \left(11 \cdot 11 \cdot 3 + 1\right) = 34848"),
    ("conv_transpose", r"2 \cdot 3 & 3 \cdot 2 & 3 \cdot 3\end{bmatrix} = \begin{bmatrix}0 & 0 & 0 & 1\\0 & 0 & 2 & 3\\0 & 2 & 0 & 3\\4 & 6 & 6 & 9",
     r"2 \cdot 3 & 3 \cdot 2 & 3 \cdot 3\end{bmatrix} = \begin{bmatrix}0 & 0 & 0 & 1\\0 & 0 & 2 & 3\\0 & 2 & 0 & 3\\4 & 6 & 6 & 8"),
])
def test_a_slip_planted_in_an_example_is_found(kind, right, slip):
    text = (EXAMPLES / f"{kind}.md").read_text(encoding="utf-8")
    assert right in text
    report = lint_text(text.replace(right, slip, 1), "markdown")
    assert any(f.verdict == "error" for f in report.findings)


def test_lint_reads_the_floor_of_the_size_rule():
    """``\\left\\lfloor … \\right\\rfloor`` (and bare ``\\lfloor … \\rfloor``) is floor: lint's vocabulary, added for
    these kinds."""
    ok = lint_text("$$\\left\\lfloor{\\frac{227 - 11}{4}}\\right\\rfloor + 1 = 55$$\n", "markdown")
    assert [f.verdict for f in ok.findings] == ["ok"]
    assert [f.verdict for f in lint_text("$$\\lfloor 7/2 \\rfloor = 3$$\n", "markdown").findings] == ["ok"]
    wrong = lint_text("$$\\left\\lfloor{\\frac{227 - 11}{4}}\\right\\rfloor = 55$$\n", "markdown")
    assert [f.verdict for f in wrong.findings] == ["error"]
