"""symnn's two halves keep each other honest: every sheet symnn generates lints clean."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from symnn.verify.lint.report import lint_text

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


def _column(entries):
    """A column value as lint reports it: ``[[0.7], [0.65]]``."""
    return "[" + ", ".join(f"[{Decimal(e.numerator) / Decimal(e.denominator)}]" for e in entries) + "]"


F = Fraction
SUBSTITUTION_SLIPS = [
    pytest.param(
        r"0.2 \cdot 1 + 0.8 \cdot 0.5 + 0.1",
        r"0.2 \cdot 1 + 0.8 \cdot 0.5 + 0.2",
        [F("0.2") * 1 + F("0.8") * F("0.5") + F("0.1"), F("0.4") * 1 + F("0.3") * F("0.5") + F("0.1")],
        [F("0.2") * 1 + F("0.8") * F("0.5") + F("0.2"), F("0.4") * 1 + F("0.3") * F("0.5") + F("0.1")],
        id="bias-in-W-X-plus-b",
    ),
    pytest.param(
        r"0.1 \cdot 0.5 + 0.3 \cdot \left(-0.2\right)",
        r"0.1 \cdot 0.5 + 0.3 \cdot \left(-0.1\right)",
        [F("0.1") * F("0.5") + F("0.3") * F("-0.2"), F("-0.2") * F("0.5") + F("0.4") * F("-0.2")],
        [F("0.1") * F("0.5") + F("0.3") * F("-0.1"), F("-0.2") * F("0.5") + F("0.4") * F("-0.2")],
        id="input-in-W1-x",
    ),
]
"""A given number changed inside a substitution step (matrices on the left, the entries
written out on the right, the result after): the step's first entry, right and slipped."""


@pytest.mark.parametrize(("written", "slipped", "right", "wrong"), SUBSTITUTION_SLIPS)
@pytest.mark.parametrize("path", GOLDEN, ids=[p.name for p in GOLDEN])
def test_a_slip_inside_a_substitution_step_is_found(path, written, slipped, right, wrong):
    # The step's given numbers are exact: had lint read them as rounded (±0.05 each), the
    # slipped step would still agree with both its neighbours.  Both links touching the
    # step are wrong: the product is `right`, the step now says `wrong`, and the result
    # written after it is `right` again.  The first occurrence of the text is the step the
    # reader sees (in the LaTeX, \SymnnChain's second argument; in the HTML, its annotation).
    assert right[0] != wrong[0] and right[1] == wrong[1]
    text = path.read_text(encoding="utf-8")
    at = text.index(written)
    line = text.count("\n", 0, at) + 1
    report = lint_text(text[:at] + slipped + text[at + len(written) :], FORMAT[path.suffix])
    errors = [(f.line, f.lhs, f.rhs) for f in report.findings if f.verdict == "error"]
    assert errors == [(line, _column(right), _column(wrong)), (line, _column(wrong), _column(right))]
    assert all(
        f.message.startswith("Entry 1:") for f in report.findings if f.verdict == "error"
    )


# ----- softmax / cross-entropy and custom activations ---------------------------------------
FIXTURES = Path(__file__).resolve().parent / "fixtures"
NETWORKS = ("lint_softmax", "lint_softsign", "lint_piecewise")
"""Sheets of networks with a softmax output and cross-entropy, with a custom activation
(softsign, written as a formula in the spec), and with a piecewise one (``max(x, 0.1 * x)``,
which the sheet defines with ``\\begin{cases}``) before a softmax over a batch."""


@pytest.fixture(scope="module")
def network_sheets(tmp_path_factory):
    """The md, tex and html sheets symnn writes for each network, by (stem, suffix)."""
    from symnn.cli import main

    out = tmp_path_factory.mktemp("network-sheets")
    for stem in NETWORKS:
        assert main(["sheet", str(FIXTURES / f"{stem}.toml"), "--format", "md,tex,html", "--out", str(out)]) == 0
    # The network diagrams' images are written beside the sheets: only the sheets are read.
    return {(p.stem, p.suffix): p.read_text(encoding="utf-8") for p in out.iterdir() if p.suffix in FORMAT}


LINKS_CHECKED = {
    "lint_softmax": [r"\operatorname{softmax}\left(\begin{bmatrix}0.018"],
    "lint_softsign": [
        r"\operatorname{softsign}\left(\begin{bmatrix}-0.01",
        r"\begin{bmatrix}\operatorname{softsign}\left(-0.01\right)",
        r"\left(\begin{bmatrix}0.2\\-0.5\end{bmatrix} \left(-\frac{1}{1 + e^{\frac{4427}{59590}}}\right)\right) \odot \operatorname{softsign}'",
    ],
    "lint_piecewise": [
        r"\operatorname{lrelu2}\left(\begin{bmatrix}-0.01",
        r"\begin{bmatrix}\operatorname{lrelu2}\left(-0.01\right)",
        r"\operatorname{softmax}\left(\begin{bmatrix}0.0088",
    ],
}
"""Links that need softmax, or the sheet's own definitions of softsign, softsign' and lrelu2,
to be checked."""


@pytest.mark.parametrize("suffix", FORMAT)
@pytest.mark.parametrize("stem", NETWORKS)
def test_network_sheets_lint_clean_and_their_activations_are_checked(network_sheets, stem, suffix):
    report = lint_text(network_sheets[stem, suffix], FORMAT[suffix])
    problems = [f for f in report.findings if f.verdict in ("error", "rounding")]
    assert not problems, "\n".join(f"{f.line}: {f.text} -> {f.verdict}: {f.message}" for f in problems)
    assert not [f for f in report.findings if "internal error" in f.message]
    for start in LINKS_CHECKED[stem]:
        verdicts = [f.verdict for f in report.findings if f.text.startswith(start)]
        assert verdicts and set(verdicts) == {"ok"}, (start, verdicts)


@pytest.mark.parametrize("suffix", FORMAT)
def test_a_custom_activation_is_checked_by_its_definition_on_the_sheet(network_sheets, suffix):
    report = lint_text(network_sheets["lint_softsign", suffix], FORMAT[suffix])
    definitions = [f.message for f in report.findings if f.message.startswith("This defines")]
    assert definitions == [
        "This defines softsign; later links are evaluated with it.",
        "This defines softsign'; later links are evaluated with it.",
    ]


PLANTED = {
    "lint_softmax": (
        r"\begin{bmatrix}\frac{e^{0.018}}{e^{0.018} + e^{0.027} + e^{-0.036}}",
        r"\begin{bmatrix}\frac{e^{0.019}}{e^{0.018} + e^{0.027} + e^{-0.036}}",
        r"\operatorname{softmax}",
    ),
    "lint_softsign": (r"- \frac{9}{59}", r"- \frac{9}{58}", r"\begin{bmatrix}\operatorname{softsign}"),
    "lint_piecewise": (r"= \begin{bmatrix}-0.001", r"= \begin{bmatrix}-0.011", r"\begin{bmatrix}\operatorname{lrelu2}"),
}
"""A slip in the first written result of each activation: softmax(Z)₁ written as a textbook
does, e^{z₁}/Σⱼ e^{zⱼ}, with e^{0.019} for e^{0.018}, softsign(-0.18) as -9/58 for -9/59, lrelu2(-0.01) as -0.011 for -0.001."""


@pytest.mark.parametrize("suffix", FORMAT)
@pytest.mark.parametrize("stem", NETWORKS)
def test_a_slip_in_an_activation_is_found_on_its_line(network_sheets, stem, suffix):
    written, slipped, link = PLANTED[stem]
    text = network_sheets[stem, suffix]
    at = text.index(written)
    line = text.count("\n", 0, at) + 1
    report = lint_text(text[:at] + slipped + text[at + len(written) :], FORMAT[suffix])
    errors = [f for f in report.findings if f.verdict == "error"]
    assert errors and errors[0].line == line and errors[0].text.startswith(link)
    assert all(f.line == line for f in report.findings if f.verdict in ("error", "rounding"))
