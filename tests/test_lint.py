"""``symnn lint``: verdicts on real and small sheets, rounding rules, reports and the CLI.

Every expected verdict is backed by a computation in this file (fractions, the math
module), not by symnn's own output.
"""

from __future__ import annotations

import argparse
import json
import math
import string
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from symnn.commands import lint
from symnn.commands.lint import to_json, to_table
from symnn.errors import SymnnError
from symnn.verify.lint.relations import split_relations
from symnn.verify.lint.report import Finding, LintReport, lint_file, lint_text

SEED_NAME = "000_0341d3dd9fb39621.txt"
SHARED = next(
    (p / "shared" for p in Path(__file__).resolve().parents if (p / "shared" / "seeds").is_dir()),
    None,
)
SEED = SHARED / "seeds" / SEED_NAME if SHARED else None
needs_seed = pytest.mark.skipif(
    SEED is None or not SEED.is_file(), reason="seed sheet not available"
)


def verdicts(text: str, fmt: str = "markdown") -> list[tuple[str, str]]:
    return [(f.text, f.verdict) for f in lint_text(text, fmt).findings]  # type: ignore[arg-type]


def only(text: str, fmt: str = "markdown") -> Finding:
    findings = [f for f in lint_text(text, fmt).findings if f.verdict != "not checked"]  # type: ignore[arg-type]
    assert len(findings) == 1, findings
    return findings[0]


# ----- the seed sheet -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def seed_report() -> LintReport:
    if SEED is None or not SEED.is_file():
        pytest.skip("seed sheet not available")
    return lint_file(SEED)


@needs_seed
def test_seed_has_exactly_one_error_the_standardized_entry(seed_report: LintReport) -> None:
    # The sheet's own numbers: mean 18.33 and deviation 10.28 for feature 2.
    entry = (Fraction(30) - Fraction("18.33")) / Fraction("10.28")
    assert abs(entry - Fraction("1.297")) > Fraction(1, 10)  # 1.135..., nowhere near 1.297
    true_sigma = math.sqrt(Fraction(2850, 27))  # population σ of (20, 5, 30)
    assert abs((30 - 55 / 3) / true_sigma - 1.297) > 0.1  # wrong with exact values too
    errors = [f for f in seed_report.findings if f.verdict == "error"]
    assert len(errors) == 1
    assert errors[0].line == 185
    assert r"\frac{30 - 18.33}{10.28}" in errors[0].text
    assert errors[0].message.startswith("Entry (3, 2):")
    assert "1.135" in errors[0].message and "1.297" in errors[0].message


@needs_seed
def test_seed_rounding_findings(seed_report: LintReport) -> None:
    assert round(math.sqrt(105.56), 2) == 10.27  # the sheet writes 10.28
    assert round(math.sqrt(2850 / 27), 2) == 10.27  # and so does the exact σ₂
    assert round(math.tanh(1), 3) == 0.762  # the sheet writes 0.761 (and -0.761)
    rounding = {(f.line, f.text) for f in seed_report.findings if f.verdict == "rounding"}
    assert rounding == {
        (171, r"\sqrt{105.56} \approx 10.28"),
        (263, r"\frac{e^{-1} - e^{1}}{e^{-1} + e^{1}} \approx -0.761"),
        (263, r"\frac{e^{1} - e^{-1}}{e^{1} + e^{-1}} \approx 0.761"),
    }


@needs_seed
@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        pytest.param(253, r"\frac{1}{1 + e^{2}} \approx 0.119", id="sigmoid-minus-2"),
        pytest.param(253, r"\frac{1}{1 + e^{-2}} \approx 0.881", id="sigmoid-2"),
        pytest.param(58, r"\max(0, -0.01)", id="max-zero"),
        pytest.param(
            377, r"\frac{1}{2}(0.01004) = 0.00502", id="gradient-check-rounded-intermediate"
        ),
        pytest.param(
            377, r"\frac{1}{2}(-0.1002)^2 = \frac{1}{2}(0.01004)", id="gradient-check-square"
        ),
        pytest.param(472, r"-2 + 0.042 = -1.958", id="regularization-update"),
        pytest.param(171, r"\frac{20 + 5 + 30}{3} = 18.33", id="rounded-mean"),
        pytest.param(529, r"\log(0.4) \approx -0.916", id="log"),
        pytest.param(98, r"-0.5 \cdot \begin{bmatrix} 0 \ 0 \end{bmatrix}^T", id="row-vs-column"),
    ],
)
def test_seed_spots_are_ok(seed_report: LintReport, line: int, fragment: str) -> None:
    matching = [
        f
        for f in seed_report.findings
        if f.line == line and fragment in f.text and f.verdict != "not checked"
    ]
    assert matching and all(f.verdict == "ok" for f in matching)


@needs_seed
def test_seed_independent_spot_values() -> None:
    """The ok verdicts above agree with the math module."""
    assert round(1 / (1 + math.exp(2)), 3) == 0.119 and round(1 / (1 + math.exp(-2)), 3) == 0.881
    assert Fraction("0.5001") * 2 + Fraction("0.1") == Fraction("1.1002")
    assert abs((1 - Fraction("1.1002")) ** 2 / 2 - Fraction("0.00502")) < Fraction(1, 10**5) / 2
    assert -2 - Fraction("0.1") * (Fraction("-0.4") - Fraction("0.02")) == Fraction("-1.958")
    assert round(math.log(0.4), 3) == -0.916


@needs_seed
def test_seed_summary_and_no_internal_errors(seed_report: LintReport) -> None:
    summary = seed_report.summary
    assert sum(summary.values()) == len(seed_report.findings)
    assert list(summary) == ["ok", "rounding", "error", "not checked"]
    assert not [f for f in seed_report.findings if "internal error" in f.message]
    assert seed_report.exit_code == 1


# ----- formats --------------------------------------------------------------------------------
def test_markdown_right_and_wrong() -> None:
    text = "Sum: $0.2 + 0.4 = 0.6$.\n\nWrong: $$0.2 \\cdot 0.4 = 0.8$$\n\n```\n$1 + 1 = 3$\n```\nand `$2 = 3$`."
    assert verdicts(text) == [("0.2 + 0.4 = 0.6", "ok"), (r"0.2 \cdot 0.4 = 0.8", "error")]


def test_markdown_dollar_amounts_are_not_math() -> None:
    assert verdicts("It costs $5 and $10 = $15 in total.") == []


def test_latex_align_chain_across_lines() -> None:
    text = r"""\documentclass{article}
\begin{document}
% $1 = 2$ is a comment
\begin{align}
L &= \frac{1}{2}(1 - 1.1)^2 \label{eq:loss} \\
  &= 0.005 \nonumber \\
  &\approx 0.006 \\
M &= 2 + 2 = 5
\end{align}
Inline \(3 \cdot 3 = 9\) and \[ \sqrt{2} \approx 1.414 \]
\end{document}
"""
    findings = lint_text(text, "latex").findings
    checked = [(f.line, f.text, f.verdict) for f in findings if f.verdict != "not checked"]
    assert checked == [
        (6, r"\frac{1}{2}(1 - 1.1)^2 = 0.005", "ok"),
        (7, r"0.005 \approx 0.006", "error"),
        (8, "2 + 2 = 5", "error"),
        (10, r"3 \cdot 3 = 9", "ok"),
        (10, r"\sqrt{2} \approx 1.414", "ok"),
    ]


def test_html_mathjax_right_and_wrong() -> None:
    text = """<!DOCTYPE html><html><head><style>p { content: "\\(1 = 2\\)"; }</style>
<script>var s = "\\\\(1 = 3\\\\)";</script></head><body>
<p>Q1: \\(\\sigma(0) = 0.5\\)</p>
<p>Q2: \\[ \\begin{bmatrix} 1 &amp; 2 \\end{bmatrix} \\cdot \\begin{bmatrix} 3 \\\\ 4 \\end{bmatrix} = 10 \\]</p>
<p>Q3: $$0.3 &lt; 0.2$$</p>
<pre>\\(5 = 6\\)</pre>
<script type="math/tex">2 \\cdot 2 = 4</script>
</body></html>"""
    found = [(f.line, f.text, f.verdict) for f in lint_text(text, "html").findings]
    assert found == [
        (3, r"\sigma(0) = 0.5", "ok"),
        (
            4,
            r"\begin{bmatrix} 1 & 2 \end{bmatrix} \cdot \begin{bmatrix} 3 \\ 4 \end{bmatrix} = 10",
            "error",
        ),
        (5, "0.3 < 0.2", "error"),
        (7, r"2 \cdot 2 = 4", "ok"),
    ]



def test_latex_symnn_macros_are_read_as_displays() -> None:
    # 0.25 + 0.5 = 0.75 exactly; 3/4 + 1/4 = 1, not 1.1.  \SymnnChain's third argument
    # repeats the chain for TeX's line breaking: were it read, each link would count twice.
    text = r"""\documentclass{article}
\newcommand\SymnnFit[1]{#1}
\begin{document}
\SymnnChain{x}
  {= 0.25 + 0.5 = 0.75}
  {\SymnnLink{=}{0.25 + 0.5}
   \SymnnLink{=}{0.75}}
\SymnnDisplay{\frac{3}{4} + \frac{1}{4} = 1.1}
\SymnnChain{y}{= 2 % a comment {
}{\SymnnLink{=}{2}}
Results: $\displaystyle \SymnnFit{\frac{1}{3}} \approx \SymnnFit{0.333}$
\SymnnChain{broken}
\end{document}
"""
    found = [(f.line, f.text, f.verdict) for f in lint_text(text, "latex").findings]
    assert found == [
        (5, "x = 0.25 + 0.5", "not checked"),
        (5, "0.25 + 0.5 = 0.75", "ok"),
        (8, r"\frac{3}{4} + \frac{1}{4} = 1.1", "error"),
        (9, "y = 2", "not checked"),
        (11, r"{\frac{1}{3}} \approx {0.333}", "ok"),
    ]


def test_html_mathml_tex_annotations_are_read() -> None:
    def formula(tex: str) -> str:
        return (
            '<math><semantics><mrow><mn>9</mn><mo>=</mo><mn>9</mn></mrow>'
            f'<annotation encoding="application/x-tex">{tex}</annotation></semantics></math>'
        )

    product = formula(r"2 \cdot 3 = 6")
    text = f"""<!DOCTYPE html><html><body>
<p>{product} and {formula("1 &lt; 0.5")}</p>
<!-- {formula("1 = 2")} -->
<pre>{formula("1 = 3")}</pre>
<math><semantics><mi>x</mi><annotation encoding="text/plain">1 = 4</annotation></semantics></math>
</body></html>"""
    found = [(f.line, f.text, f.verdict) for f in lint_text(text, "html").findings]
    # The presentation markup (9 = 9) is never read; only the TeX source is.
    assert found == [(2, r"2 \cdot 3 = 6", "ok"), (2, "1 < 0.5", "error")]


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        pytest.param(
            "$$\nL = 0.5 + 0.25\n$$\n$$\n= 0.9\n$$", "markdown",
            [(2, "L = 0.5 + 0.25", "not checked"), (5, "0.5 + 0.25 = 0.9", "error")],
            id="markdown-display-continues",
        ),
        pytest.param(
            r"\[ 1 + 1 \] \[ \approx 2.0 \]", "latex",
            [(1, r"1 + 1 \approx 2.0", "ok")],
            id="latex-display-continues",
        ),
        pytest.param(
            "<div><span>\\(x\\)</span>\n<span>\\(= 0.5 \\cdot 4\\)</span><span>\\(= 2\\)</span></div>",
            "html",
            [(2, "x = 0.5 \\cdot 4", "not checked"), (2, "0.5 \\cdot 4 = 2", "ok")],
            id="html-links-continue",
        ),
        pytest.param(
            "We have $2 + 2$, and so $= 5$.", "markdown", [], id="prose-between-does-not-join",
        ),
        pytest.param(
            "$$1 + 2$$ $$\\left(3\\right) = 3$$", "markdown",
            [(1, r"\left(3\right) = 3", "ok")],
            id="left-is-not-a-relation",
        ),
    ],
)
def test_a_span_opening_with_a_relation_continues_the_chain(
    text: str, fmt: str, expected: list[tuple[int, str, str]]
) -> None:
    found = [(f.line, f.text, f.verdict) for f in lint_text(text, fmt).findings]  # type: ignore[arg-type]
    assert found == expected

def test_format_detection(tmp_path: Path) -> None:
    page = tmp_path / "quiz"
    page.write_text("<html><body>\\(1 + 1 = 2\\)</body></html>")
    assert lint_file(page).format == "html"
    tex = tmp_path / "sheet.tex"
    tex.write_text("\\(1 + 1 = 3\\)")
    assert lint_file(tex).summary["error"] == 1


# ----- splitting ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("span", "links"),
    [
        pytest.param(r"a = 1, \quad b = 2", ["a = 1", "b = 2"], id="comma-quad"),
        pytest.param("a = 1; b = 2", ["a = 1", "b = 2"], id="semicolon"),
        pytest.param(r"a = 1 \qquad b \approx 2", ["a = 1", r"b \approx 2"], id="qquad"),
        pytest.param(r"x = 1 \text{ and } y = 2", ["x = 1", "y = 2"], id="text-and"),
        pytest.param("x = 1, 2, 3", ["x = 1, 2, 3"], id="list-stays-together"),
        pytest.param(
            r"f(x = 1) = \left( a = b \right) = 3",
            [r"f(x = 1) = \left( a = b \right)", r"\left( a = b \right) = 3"],
            id="nested-relations-ignored",
        ),
        pytest.param(r"a = b = c \approx d", ["a = b", "b = c", r"c \approx d"], id="chain"),
        pytest.param(r"a \leq 2 \neq 3", [r"a \leq 2", r"2 \neq 3"], id="other-relations"),
        pytest.param(r"a = 1 \Rightarrow b = 2.", ["a = 1", "b = 2"], id="implies-separates"),
        pytest.param(
            r"\begin{aligned} a &= 1 \\ &= 1 \\ b &= 2 \end{aligned}",
            ["a = 1", "1 = 1", "b = 2"],
            id="aligned",
        ),
    ],
)
def test_split_relations(span: str, links: list[str]) -> None:
    assert [link.text for link in split_relations(span)] == links


def test_several_equations_in_one_span_are_judged_separately() -> None:
    assert verdicts(
        r"$\mu = \frac{5 + 15 + 10}{3} = 10, \quad s = \sqrt{\frac{50}{3}} \approx 4.09$"
    ) == [
        (r"\mu = \frac{5 + 15 + 10}{3}", "not checked"),
        (r"\frac{5 + 15 + 10}{3} = 10", "ok"),
        (r"s = \sqrt{\frac{50}{3}}", "not checked"),
        (r"\sqrt{\frac{50}{3}} \approx 4.09", "rounding"),  # 4.0825 rounds to 4.08
    ]


# ----- rounding rules -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("span", "verdict"),
    [
        pytest.param(r"\frac{1}{3} = 0.333", "ok", id="equals-rounded"),
        pytest.param(r"\frac{1}{3} \approx 0.33", "ok", id="approx-rounded"),
        pytest.param(r"\frac{2}{3} \approx 0.666", "rounding", id="truncated"),
        pytest.param(r"\frac{2}{3} \approx 0.66", "rounding", id="truncated-2"),
        pytest.param(r"\frac{2}{3} \approx 0.65", "error", id="two-units-off"),
        pytest.param("0.5 - 1 = -0.4", "error", id="exact-value-needs-no-rounding"),
        pytest.param(r"\frac{7}{2} \approx 3", "ok", id="integer-after-approx-half"),
        pytest.param(r"\frac{10}{3} \approx 4", "rounding", id="integer-after-approx-off-by-one"),
        pytest.param(r"\frac{10}{3} = 3", "error", id="integer-after-equals-is-exact"),
        pytest.param(r"0.125 \approx 0.13", "ok", id="tie-up"),
        pytest.param(r"0.125 \approx 0.12", "ok", id="tie-down"),
        pytest.param(r"\sqrt{2} = \sqrt{2}", "ok", id="irrational-equal"),
        pytest.param(r"e^{1} \approx 2.72", "ok", id="euler"),
        pytest.param("0.2 < 0.5", "ok", id="less"),
        pytest.param(r"2 \geq 3", "error", id="greater-equal-false"),
    ],
)
def test_rounding_rules(span: str, verdict: str) -> None:
    assert only(f"${span}$").verdict == verdict


def _written(value: Fraction, places: int) -> str:
    scaled = value * 10**places
    assert scaled.denominator == 1
    return format(Decimal(scaled.numerator).scaleb(-places), "f")


@given(
    st.fractions(min_value=-50, max_value=50, max_denominator=997),
    st.integers(min_value=0, max_value=4),
)
def test_rounding_property(value: Fraction, places: int) -> None:
    """Correctly rounded → ok; truncated where that differs → rounding; two units off → error."""
    unit = Fraction(1, 10**places)
    scaled = value / unit
    assume(scaled.denominator != 1 and (2 * scaled).denominator != 1)  # needs rounding, no tie
    nearest = round(scaled) * unit
    truncated = math.trunc(scaled) * unit
    exact = f"\\frac{{{value.numerator}}}{{{value.denominator}}}"
    assert only(f"${exact} \\approx {_written(nearest, places)}$").verdict == "ok"
    if truncated != nearest:
        assert only(f"${exact} \\approx {_written(truncated, places)}$").verdict == "rounding"
    away = nearest + 2 * unit * (1 if nearest >= value else -1)
    assert only(f"${exact} \\approx {_written(away, places)}$").verdict == "error"


def test_sheet_rounded_values_carry_their_rounding() -> None:
    alone = "$0.33 \\cdot 3 = 1$"
    assert only(alone).verdict == "error"
    sheet = "First $\\frac{1}{3} \\approx 0.33$, then $0.33 \\cdot 3 = 1$."
    findings = [f for f in lint_text(sheet, "markdown").findings]
    assert [f.verdict for f in findings] == ["ok", "ok"]
    assert "sheet's own rounded value 0.33" in findings[1].message


def test_rounded_value_stands_only_for_what_it_rounded() -> None:
    # 0.5 stood for 0.46 earlier; that must not make 0.5 - 1 = -0.4 acceptable.
    sheet = "$0.46 \\approx 0.5$ and $0.5 - 1 = -0.4$"
    assert [f.verdict for f in lint_text(sheet, "markdown").findings] == ["ok", "error"]


# ----- substitution steps and reused roundings --------------------------------------------------
def checked(text: str) -> list[Finding]:
    return [f for f in lint_text(text, "markdown").findings if f.verdict != "not checked"]


def test_a_slip_inside_a_substitution_step_is_an_error() -> None:
    # The bias is 0.1; the step writes 0.2, so its entry is 0.8, not the 0.7 claimed.
    # Each given decimal is exact: widening 0.2 by half a unit would excuse the slip.
    assert Fraction("0.2") * 1 + Fraction("0.8") * Fraction("0.5") + Fraction("0.2") == Fraction("0.8")
    finding = only(
        r"$\begin{bmatrix}0.2 \cdot 1 + 0.8 \cdot 0.5 + 0.2\end{bmatrix} = \begin{bmatrix}0.7\end{bmatrix}$"
    )
    assert (finding.verdict, finding.lhs, finding.rhs) == ("error", "0.8", "0.7")


def test_a_slipped_substitution_step_in_a_chain_is_found_on_both_sides() -> None:
    product = r"\begin{bmatrix}0.2 & 0.8\end{bmatrix} \begin{bmatrix}1 \\ 0.5\end{bmatrix} + 0.1"
    exact = Fraction("0.2") * 1 + Fraction("0.8") * Fraction("0.5") + Fraction("0.1")
    assert exact == Fraction("0.7")
    right = rf"${product} = \begin{{bmatrix}}0.2 \cdot 1 + 0.8 \cdot 0.5 + 0.1\end{{bmatrix}} = 0.7$"
    assert [f.verdict for f in checked(right)] == ["ok", "ok"]
    slipped = right.replace("0.5 + 0.1", "0.5 + 0.2")
    found = [(f.verdict, f.lhs, f.rhs) for f in checked(slipped)]
    assert found == [("error", "0.7", "0.8"), ("error", "0.8", "0.7")]


def test_a_rounded_intermediate_in_a_substitution_step_is_ok() -> None:
    square = Fraction("-0.1002") ** 2
    assert square == Fraction("0.01004004") and round(square, 5) == Fraction("0.01004")
    assert square / 2 != Fraction("0.01004") / 2 == Fraction("0.00502")
    chain = r"$\frac{1}{2}(1 - 1.1002)^2 = \frac{1}{2}(-0.1002)^2 = \frac{1}{2}(0.01004) = 0.00502$"
    findings = checked(chain)
    assert [f.verdict for f in findings] == ["ok", "ok", "ok"]
    assert "sheet's own rounded value 0.01004" in findings[1].message


@pytest.mark.parametrize(
    ("written", "verdicts"),
    [
        pytest.param("0.01014", ["ok", "error", "error"], id="ten-units-off"),
        pytest.param("0.01005", ["ok", "rounding", "ok"], id="one-unit-off"),
    ],
)
def test_a_wrong_intermediate_in_a_substitution_step(written: str, verdicts: list[str]) -> None:
    # 0.01004004 rounds to 0.01004: 0.01005 is one unit off (a rounding slip), 0.01014 is
    # wrong.  Half of 0.01005 is 0.005025, which 0.00502 rounds; half of 0.01014 is not.
    square = Fraction("-0.1002") ** 2
    one_unit = abs(Fraction(written) - square) < Fraction(1, 10**5)
    assert abs(Fraction(written) - square) > Fraction(1, 2 * 10**5)
    assert one_unit == (written == "0.01005")
    assert (abs(Fraction(written) / 2 - Fraction("0.00502")) <= Fraction(1, 2 * 10**5)) == one_unit
    chain = (
        rf"$\frac{{1}}{{2}}(1 - 1.1002)^2 = \frac{{1}}{{2}}(-0.1002)^2 = \frac{{1}}{{2}}({written})"
        r" = 0.00502$"
    )
    assert [f.verdict for f in checked(chain)] == verdicts


def test_folded_partial_results_are_substitution_steps() -> None:
    # 2·(1/3)·3 = 2 and 10 - 1/3 - 1/3 = 28/3; 0.333 and 0.67 round 1/3 and 2/3.
    assert round(Fraction(1, 3), 3) == Fraction("0.333") and round(Fraction(2, 3), 2) == Fraction("0.67")
    text = (
        r"$2 \cdot \frac{1}{3} \cdot 3 = 2 \cdot 0.333 \cdot 3 = 1.998$ and "
        r"$10 - \frac{1}{3} - \frac{1}{3} = 10 - 0.67 = 9.33$"
    )
    assert [f.verdict for f in checked(text)] == ["ok"] * 4


def test_a_result_written_rounded_is_reused_with_its_rounding() -> None:
    # (5 - 18.33)·3 is -39.99 with 18.33 taken as written, -40 with the mean 55/3 it rounds.
    mean = Fraction(55, 3)
    assert round(mean, 2) == Fraction("18.33")
    assert (5 - Fraction("18.33")) * 3 == Fraction("-39.99") and (5 - mean) * 3 == -40
    reuse = r"$(5 - 18.33) \cdot 3 = -40.00$"
    assert only(reuse).verdict == "error"  # on its own, 18.33 is a given number
    findings = checked(r"$\mu = \frac{20 + 5 + 30}{3} = 18.33$, so " + reuse)
    assert [f.verdict for f in findings] == ["ok", "ok"]
    assert "sheet's own rounded value 18.33" in findings[1].message


def test_a_result_rounded_one_unit_off_is_reported_once() -> None:
    # sqrt(105.56) = 10.2742...: 10.28 is a rounding slip where written, and its square is
    # 105.56 again only with the value it stands for.
    root = math.sqrt(105.56)
    assert round(root, 2) == 10.27 and abs(10.28 - root) < 0.01
    assert Fraction("10.28") ** 2 == Fraction("105.6784")
    text = r"$\sqrt{105.56} \approx 10.28$, then $10.28 \cdot 10.28 \approx 105.56$"
    assert [f.verdict for f in checked(text)] == ["rounding", "ok"]
    assert only(r"$10.28 \cdot 10.28 \approx 105.56$").verdict == "error"


def test_a_given_near_an_unrelated_result_stays_exact() -> None:
    # The sheet computes 2/3 (0.666...) but never writes it as 0.67, then gives w = 0.67:
    # w is a given number, so 0.67 · 3 is 2.01 and = 2 is wrong.
    assert round(Fraction(2, 3), 2) == Fraction("0.67") and Fraction("0.67") * 3 == Fraction("2.01")
    text = r"$\frac{1}{3} + \frac{1}{3} = \frac{2}{3}$, $w = 0.67$, $0.67 \cdot 3 = 2$, $0.67 \cdot 3 = 2.01$"
    findings = checked(text)
    assert [f.verdict for f in findings] == ["ok", "error", "ok"]
    assert "rounded" not in findings[1].message


def test_a_given_in_a_substitution_step_is_not_a_rounding_of_its_neighbour() -> None:
    # 0.15 is written on the left (a given, not a result), so 0.2 in its place is a slip
    # even though 0.15 would round to 0.2; where the left side computes 0.15 it is not.
    assert Fraction("0.2") + Fraction("0.1") != Fraction("0.15") + Fraction("0.1")
    assert only(r"$0.15 + 0.1 = 0.2 + 0.1$").verdict == "error"
    assert only(r"$0.3 \cdot 0.5 + 0.1 = 0.2 + 0.1$").verdict == "ok"  # 0.15 computed, rounded


@given(
    st.fractions(min_value=-50, max_value=50, max_denominator=97),
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=2, max_value=9),
)
def test_substitution_property(value: Fraction, places: int, factor: int) -> None:
    """A correctly rounded intermediate is ok, one rounded the wrong way is rounding, one
    two units off is an error (the fractions module is the reference)."""
    unit = Fraction(1, 10**places)
    scaled = value / unit
    assume(scaled.denominator != 1 and (2 * scaled).denominator != 1)  # needs rounding, no tie
    nearest = round(scaled) * unit
    fraction = f"\\frac{{{value.numerator}}}{{{value.denominator}}}"

    def step(written: Fraction) -> str:
        return only(f"${fraction} \\cdot {factor} = {_written(written, places)} \\cdot {factor}$").verdict

    away = 1 if nearest >= value else -1
    truncated = nearest - away * unit  # past the value: between half a unit and a unit off
    assert unit / 2 < abs(truncated - value) < unit
    assert step(nearest) == "ok"
    assert step(truncated) == "rounding"
    assert step(nearest + 2 * away * unit) == "error"


# ----- matrices -------------------------------------------------------------------------------
def test_wrong_matrix_entry_is_named() -> None:
    finding = only(
        r"$\begin{bmatrix} \frac{1}{3} & 2 \\ 3 & 0.5 \cdot 3 \end{bmatrix} = \begin{bmatrix} 0.333 & 2 \\ 3 & 1.6 \end{bmatrix}$"
    )
    assert finding.verdict == "error"
    assert finding.message.startswith("Entry (2, 2):") and "1.5" in finding.message


def test_shape_mismatch_is_an_error() -> None:
    finding = only(
        r"$\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix} = \begin{bmatrix} 1 \\ 2 \end{bmatrix}$"
    )
    assert finding.verdict == "error" and "2×2" in finding.message and "2×1" in finding.message


def test_row_and_column_compare_as_vectors() -> None:
    finding = only(r"$\begin{bmatrix} 1 & 2 \end{bmatrix} = \begin{bmatrix} 1 \\ 2 \end{bmatrix}$")
    assert finding.verdict == "ok" and "row" in finding.message


def test_symbols_and_unreadable_sides_are_not_checked() -> None:
    report = lint_text(
        r"$Z = W \cdot X + b$ and $\frac{\partial L}{\partial W} = 0.2$ and $W \sim \mathcal{N}(0, 1)$",
        "markdown",
    )
    assert [f.verdict for f in report.findings] == ["not checked"] * 3
    assert "symbol Z" in report.findings[0].message
    assert "\\partial" in report.findings[1].message
    assert "\\sim" in report.findings[2].message


# ----- reports and the command line -----------------------------------------------------------
def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="symnn")
    lint.add_parser(parser.add_subparsers(required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def test_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sheet = tmp_path / "sheet.md"
    sheet.write_text("$1 + 1 = 2$\n\n$2 + 2 = 5$\n\n$x = 1$\n\n$\\frac{2}{3} \\approx 0.666$\n")
    assert _cli(["lint", str(sheet), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"findings", "summary"}
    assert [f["verdict"] for f in report["findings"]] == ["ok", "error", "not checked", "rounding"]
    assert [f["line"] for f in report["findings"]] == [1, 3, 5, 7]
    assert report["summary"] == {"ok": 1, "rounding": 1, "error": 1, "not checked": 1}
    for finding in report["findings"]:
        assert set(finding) == {"line", "text", "verdict", "lhs", "rhs", "message"}
        assert finding["message"].endswith(".") and "\n" not in finding["message"]
    assert report["findings"][1]["lhs"] == "4" and report["findings"][1]["rhs"] == "5"


def test_table_report_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sheet = tmp_path / "sheet.md"
    sheet.write_text("$1 + 1 = 2$\n")
    assert _cli(["lint", str(sheet)]) == 0
    out = capsys.readouterr().out
    assert "\033[" not in out  # not a terminal: no colour
    assert out.splitlines()[0].split()[:3] == ["LINE", "VERDICT", "LINK"]
    assert out.splitlines()[-1].endswith("1 links: 1 ok, 0 rounding, 0 error, 0 not checked")


def test_colour_only_when_asked() -> None:
    report = lint_text("$1 + 1 = 3$", "markdown")
    assert "\033[1;31m" in to_table(report, colour=True)
    assert "\033[" not in to_table(report, colour=False)


def test_problems_only_lists_rounding_and_errors() -> None:
    report = lint_text("$1 + 1 = 2$ $1 + 1 = 3$ $x = 1$", "markdown")
    body = to_table(report, problems_only=True).splitlines()[1:-1]
    assert len(body) == 1 and "error" in body[0]


def test_output_is_deterministic() -> None:
    text = "$\\frac{1}{3} \\approx 0.33$ then $0.33 \\cdot 3 = 1$ and $\\sigma(1) \\approx 0.731$"
    assert to_json(lint_text(text, "markdown")) == to_json(lint_text(text, "markdown"))


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        pytest.param(lambda p: p / "missing.md", "no such file", id="missing"),
        pytest.param(lambda p: p, "is a directory", id="directory"),
        pytest.param(
            lambda p: (p / "x.png").write_bytes(b"\x89PNG\x00\x00data") and p / "x.png",
            "binary",
            id="binary",
        ),
        pytest.param(
            lambda p: (p / "x.md").write_bytes(b"caf\xe9 $1=1$") and p / "x.md",
            "not UTF-8",
            id="latin-1",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path: Path, make: object, fragment: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(SymnnError) as caught:
        _cli(["lint", str(path)])
    assert caught.value.exit_code == 2
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


# ----- robustness -----------------------------------------------------------------------------
SOUP = [
    "0",
    "1",
    "0.5",
    "2.25",
    "x",
    "e",
    "+",
    "-",
    r"\cdot",
    "/",
    "^",
    "^{2}",
    "_1",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "=",
    r"\approx",
    "<",
    ",",
    ";",
    r"\quad",
    "&",
    r"\\",
    "\\ ",
    r"\frac{1}{3}",
    r"\sqrt{2}",
    r"\sigma(",
    r"\text{ReLU}(",
    r"\begin{bmatrix}",
    r"\end{bmatrix}",
    r"\begin{align}",
    r"\end{align}",
    r"\left(",
    r"\right)",
    "$",
    "$$",
    r"\(",
    r"\)",
    r"\[",
    r"\]",
    "<b>",
    "&amp;",
    "&lt;",
    "%",
    "`",
    "\n",
    "\n\n",
    r"\label{x}",
    r"\text{ and }",
]


@given(
    st.lists(st.sampled_from(SOUP), max_size=60).map(" ".join),
    st.sampled_from(["markdown", "latex", "html"]),
)
def test_lint_never_fails_on_token_soup(body: str, fmt: str) -> None:
    report = lint_text(f"$${body}$$ and ${body}$ \\[{body}\\]", fmt)  # type: ignore[arg-type]
    assert all(f.verdict in ("ok", "rounding", "error", "not checked") for f in report.findings)
    assert not [f for f in report.findings if "internal error" in f.message]


@given(st.text(alphabet=st.sampled_from(string.printable + "−×·≈’"), max_size=300))
def test_lint_never_fails_on_random_text(text: str) -> None:
    for fmt in ("markdown", "latex", "html"):
        report = lint_text(text, fmt)  # type: ignore[arg-type]
        assert not [f for f in report.findings if "internal error" in f.message]
