"""``symnn lint`` reads what people really write: MathJax ``$ … $``, empty ``\\\\ \\\\`` rows,
``1e-5``, Jupyter notebooks and plain-text arithmetic (issue 11).

Every expected verdict is backed by a computation here (fractions, the math module).
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symnn.commands.lint import to_json
from symnn.errors import SymnnError
from symnn.verify.lint.formats import detect_format
from symnn.verify.lint.report import lint_file, lint_text


def judged(text: str, fmt: str = "markdown") -> list[tuple[str, str]]:
    return [
        (f.text, f.verdict)
        for f in lint_text(text, fmt).findings  # type: ignore[arg-type]
        if f.verdict != "not checked"
    ]


# ----- $ … $ with spaces inside (MathJax) -------------------------------------------------------
def test_inline_dollars_with_inner_spaces_are_math() -> None:
    assert Fraction("0.15") * Fraction("0.05") + Fraction("0.2") * Fraction("0.1") + Fraction("0.35") == Fraction("0.3775")
    text = "Net input: $ 0.15 \\times 0.05 + 0.2 \\times 0.1 + 0.35 = 0.3775 $ and $ 0.5 \\cdot 0.2 = 0.2 $."
    assert judged(text) == [
        ("0.15 \\times 0.05 + 0.2 \\times 0.1 + 0.35 = 0.3775", "ok"),
        ("0.5 \\cdot 0.2 = 0.2", "error"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "It costs $5 and $10 = $15 in total.",
        "It costs $ 5 and $ 10 in total.",
        "Between $5 and $ 7, nothing = is math.",
    ],
)
def test_money_stays_prose(text: str) -> None:
    assert lint_text(text, "markdown").findings == ()


# ----- \\ \\ empty rows ---------------------------------------------------------------------------
def test_empty_rows_in_aligned_keep_the_chain() -> None:
    assert Fraction(1, 2) * Fraction("0.5") ** 2 == Fraction("0.125")
    text = "$$\\begin{aligned} E &= \\frac{1}{2}(0.5)^2 \\\\ \\\\ &= 0.125 \\\\[4pt] \\\\ &= 0.135 \\end{aligned}$$"
    assert judged(text) == [("\\frac{1}{2}(0.5)^2 = 0.125", "ok"), ("0.125 = 0.135", "error")]


# ----- 1e-5 ------------------------------------------------------------------------------------
def test_scientific_notation_is_a_number() -> None:
    assert Fraction("1e-5") * 100 == Fraction("0.001") and Fraction("0.5") - Fraction("1e-3") == Fraction("0.499")
    assert judged("$1e-5 \\cdot 100 = 0.001$, $0.5 - 1e-3 = 0.499$, $2.5E3 = 2600$") == [
        ("1e-5 \\cdot 100 = 0.001", "ok"),
        ("0.5 - 1e-3 = 0.499", "ok"),
        ("2.5E3 = 2600", "error"),
    ]
    # e raised to a power stays Euler's number
    assert judged("$2e^{1} \\approx 5.44$") == [("2e^{1} \\approx 5.44", "ok")]
    assert round(2 * math.e, 2) == 5.44


def test_a_claim_in_scientific_notation_is_rounded_to_its_places() -> None:
    value = 1 / (1 + math.exp(10))
    assert f"{value:.1e}" == "4.5e-05"
    assert judged("$\\frac{1}{1 + e^{10}} \\approx 4.5e-5$") == [("\\frac{1}{1 + e^{10}} \\approx 4.5e-5", "ok")]


# ----- notebooks ----------------------------------------------------------------------------------
def _notebook(*cells: tuple[str, str | list[str]]) -> str:
    return json.dumps(
        {
            "cells": [{"cell_type": kind, "source": source, "metadata": {}} for kind, source in cells],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


def test_notebook_markdown_cells_are_linted_with_cell_numbers(tmp_path: Path) -> None:
    assert Fraction("0.5") * Fraction("0.2") == Fraction("0.1")
    path = tmp_path / "homework.ipynb"
    path.write_text(
        _notebook(
            ("markdown", ["# Forward pass\n", "\n", "$$0.15 \\times 0.05 + 0.35 = 0.3575$$\n"]),
            ("code", "1 + 1 == 3  # $1 + 1 = 3$ in code is not read"),
            ("markdown", "Then\n\n$ 0.5 \\cdot 0.2 = 0.2 $"),
        ),
        encoding="utf-8",
    )
    assert detect_format(path.name, path.read_text()) == "notebook"
    report = lint_file(path)
    assert report.format == "notebook"
    found = [(f.cell, f.line, f.verdict) for f in report.findings]
    assert found == [(1, 3, "ok"), (3, 3, "error")]
    assert json.loads(to_json(report))["findings"][1]["cell"] == 3
    assert report.findings[1].where == "cell 3, line 3"


def test_a_broken_notebook_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SymnnError, match="is not a Jupyter notebook"):
        lint_file(path)


# ----- plain text -------------------------------------------------------------------------------
PLAIN = """Forward pass, by hand.
The net input is net_h1 = 0.15*0.05 + 0.2*0.1 + 0.35 = 0.3775 (including bias).
out_h1 = 1/(1+e^(-0.3775)) = 0.593269992
E = ½(0.01 − 0.75)² = 0.27
check: 0.5*0.2 + 0.1 = 0.3, and 1e-5 × 100 = 0.001
the sum of the products and the bias, a line that starts with = continues the chain above:
net_h1 = (0.15)(0.05) + (0.20)(0.10) + 0.35
= 0.0075 + 0.020 + 0.35 = 0.3825 (a slip)
"""


def test_plain_text_arithmetic_is_read() -> None:
    assert Fraction("0.15") * Fraction("0.05") + Fraction("0.2") * Fraction("0.1") + Fraction("0.35") == Fraction("0.3775")
    assert round(1 / (1 + math.exp(-0.3775)), 9) == 0.593269992
    assert round(0.5 * (0.01 - 0.75) ** 2, 2) == 0.27
    assert Fraction("0.5") * Fraction("0.2") + Fraction("0.1") == Fraction("0.2")
    assert Fraction("0.0075") + Fraction("0.020") + Fraction("0.35") == Fraction("0.3775")
    found = [(f.line, f.verdict) for f in lint_text(PLAIN, "text").findings if f.verdict != "not checked"]
    assert found == [(2, "ok"), (3, "ok"), (4, "ok"), (5, "error"), (5, "ok"), (8, "ok"), (8, "error")]


def test_a_txt_file_without_delimiters_is_plain_text(tmp_path: Path) -> None:
    plain = tmp_path / "answers.txt"
    plain.write_text(PLAIN, encoding="utf-8")
    assert lint_file(plain).format == "text"
    marked = tmp_path / "sheet.txt"
    marked.write_text("$1 + 1 = 3$", encoding="utf-8")
    assert lint_file(marked).format == "markdown"


def test_plain_text_names_and_prose_are_left_out() -> None:
    texts = [f.text for f in lint_text("So net_h1 = 0.15*0.05 + 0.35 = 0.3575. Done: x = 2 is nice", "text").findings]
    assert texts == ["\\text{net}_{h1} = 0.15*0.05 + 0.35", "0.15*0.05 + 0.35 = 0.3575", "x = 2"]


def test_plain_text_with_the_format_option(tmp_path: Path) -> None:
    from symnn.cli import main

    path = tmp_path / "notes.md"
    path.write_text("0.4 × 0.5 + 0.6 = 0.8\n", encoding="utf-8")
    assert main(["lint", str(path)]) == 0  # as Markdown, there is no math
    assert main(["lint", "--input-format", "text", str(path)]) == 0
    path.write_text("0.4 × 0.5 + 0.6 = 0.9\n", encoding="utf-8")
    assert main(["lint", "--input-format", "text", str(path)]) == 1


# ----- never a traceback -------------------------------------------------------------------------

PLAIN_ALPHABET = "0123456789.+-*/^()=≈,; ½²×−e_abnetxyz\n√σ|"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=PLAIN_ALPHABET, max_size=300))
def test_plain_text_never_fails(text: str) -> None:
    report = lint_text(text, "text")
    assert all("internal error" not in f.message for f in report.findings)


def test_deep_plain_text_is_skipped_not_a_crash() -> None:
    assert lint_text("x = " + "2^(" * 3000 + "1" + ")" * 3000 + " = 2", "text").findings == ()
    assert len(lint_text("(" * 50000 + " = 1", "text").findings) == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(
        st.sampled_from(["cells", "cell_type", "source", "markdown", "x"]), inner, max_size=4
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_is_a_notebook_or_a_one_line_error(value: object) -> None:
    try:
        lint_text(json.dumps(value), "notebook")
    except SymnnError as error:
        assert "\n" not in str(error)
