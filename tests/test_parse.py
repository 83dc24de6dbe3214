"""The safe LaTeX math parser: exact values, refusals, and robustness against any input.

Expected values are written here as SymPy expressions built by hand, never taken from
the parser; the interval evaluator is checked to enclose the same exact values.
"""

from __future__ import annotations

import doctest
import importlib
import string
import time
from fractions import Fraction

import mpmath
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from symnn.core.interval import Interval
from symnn.errors import ParseError
from symnn.verify.syntax.evaluate import evaluate_interval
from symnn.verify.syntax.grid import Grid
from symnn.verify.syntax.parse import _parser, parse_expression, parse_math

R = sp.Rational
E = sp.E


def sigmoid(v: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-v))


CASES = [
    pytest.param("0.55", R(11, 20), id="decimal-exact"),
    pytest.param("0.50", R(1, 2), id="trailing-zero"),
    pytest.param(".5", R(1, 2), id="leading-dot"),
    pytest.param("42", sp.Integer(42), id="integer"),
    pytest.param("0.1 + 0.2", R(3, 10), id="no-float-drift"),
    pytest.param("1 - 0.011", R(989, 1000), id="subtraction"),
    pytest.param(r"0.5 \cdot 2 + 0.1", R(11, 10), id="cdot"),
    pytest.param(r"3 \times 4", sp.Integer(12), id="times"),
    pytest.param("7 / 2", R(7, 2), id="slash"),
    pytest.param(r"0.01 \cdot -2", R(-1, 50), id="unary-minus-after-cdot"),
    pytest.param(r"-2 - 0.1 \cdot -0.42", R(-979, 500), id="minus-minus"),
    pytest.param("-(-0.1) \\cdot 2", R(1, 5), id="negated-group"),
    pytest.param("2x", None, id="implicit-symbolic"),
    pytest.param(r"\frac{1}{2}(0.01004)", R(251, 50000), id="frac-times-group"),
    pytest.param(r"\frac{1}{2}(-0.1002)^2", R(251001, 50000000), id="frac-power"),
    pytest.param(r"\frac12", R(1, 2), id="frac-unbraced-digits"),
    pytest.param(r"\frac{1}2", R(1, 2), id="frac-mixed-arguments"),
    pytest.param(r"\dfrac{3}{4}", R(3, 4), id="dfrac"),
    pytest.param("2^{10}", sp.Integer(1024), id="power-braced"),
    pytest.param("2^3", sp.Integer(8), id="power-digit"),
    pytest.param("10^{-4}", R(1, 10000), id="negative-power"),
    pytest.param("-2^2", sp.Integer(-4), id="minus-binds-looser-than-power"),
    pytest.param("(-2)^2", sp.Integer(4), id="parenthesised-base"),
    pytest.param(r"2\sqrt{2}", 2 * sp.sqrt(2), id="implicit-sqrt"),
    pytest.param(r"\sqrt{\frac{50}{3}}", sp.sqrt(R(50, 3)), id="sqrt-frac"),
    pytest.param(r"\sqrt{0.25}", R(1, 2), id="sqrt-exact"),
    pytest.param(r"\sqrt[3]{27}", sp.Integer(3), id="cube-root"),
    pytest.param(r"\sqrt[3]{-8}", sp.Integer(-2), id="odd-root-negative"),
    pytest.param(r"\log(0.5)", sp.log(R(1, 2)), id="log-natural"),
    pytest.param(r"\ln 2", sp.log(2), id="ln-bare"),
    pytest.param(r"\log_{10}(1000)", sp.Integer(3), id="log10"),
    pytest.param(r"\log_2 8", sp.Integer(3), id="log2-bare"),
    pytest.param(r"\log{\left(2 \right)}", sp.log(2), id="sympy-style-log"),
    pytest.param(r"e^{-2}", sp.exp(-2), id="euler-power"),
    pytest.param("e^x", None, id="euler-symbolic-power"),
    pytest.param(r"\exp(1)", E, id="exp"),
    pytest.param(r"\mathrm{e}", E, id="mathrm-e"),
    pytest.param(r"\frac{1}{1 + e^{2}}", 1 / (1 + sp.exp(2)), id="sigmoid-by-hand"),
    pytest.param(
        r"\frac{e^{1} - e^{-1}}{e^{1} + e^{-1}}", (E - 1 / E) / (E + 1 / E), id="tanh-by-hand"
    ),
    pytest.param(r"\max(0, -0.01)", sp.Integer(0), id="max"),
    pytest.param(r"\min(3, 0.5, 2)", R(1, 2), id="min-three"),
    pytest.param(r"\text{ReLU}(0.7)", R(7, 10), id="relu"),
    pytest.param(r"\text{ReLU}(-2)", sp.Integer(0), id="relu-negative"),
    pytest.param(r"\operatorname{ReLU}(3)", sp.Integer(3), id="operatorname"),
    pytest.param(r"\text{LeakyReLU}(-2)", R(-1, 50), id="leaky-default-slope"),
    pytest.param(r"\text{LeakyReLU}_{0.1}(-2)", R(-1, 5), id="leaky-given-slope"),
    pytest.param(r"\sigma(0)", R(1, 2), id="sigma"),
    pytest.param(r"\sigma(2)", sigmoid(sp.Integer(2)), id="sigma-2"),
    pytest.param(r"\text{Sigmoid}(-1)", sigmoid(sp.Integer(-1)), id="Sigmoid-text"),
    pytest.param(r"\tanh(1)", sp.tanh(1), id="tanh"),
    pytest.param(r"\text{Tanh}(-2)", sp.tanh(-2), id="Tanh-text"),
    pytest.param(r"\sigma'(0)", R(1, 4), id="sigmoid-derivative"),
    pytest.param(r"\text{ReLU}'(0.7)", sp.Integer(1), id="relu-derivative"),
    pytest.param(
        r"-\left(1 \cdot \log(0.5) + (1 - 1) \cdot \log(1 - 0.5)\right)", sp.log(2), id="bce"
    ),
    pytest.param(r"\left[ 2 + 3 \right] \cdot 2", sp.Integer(10), id="left-bracket-group"),
    pytest.param(r"[2 + 3]", sp.Integer(5), id="bracket-group"),
    pytest.param(r"2 \, \cdot \; 3 \quad + \! 1", sp.Integer(7), id="spacing"),
    pytest.param(r"|{-3}| + \left|-2\right|", sp.Integer(5), id="absolute"),
    pytest.param("(2) |3 - 5| \\cdot |-1| |2|", sp.Integer(8), id="absolute-juxtaposed"),
    pytest.param("||1 - 3| - 5|", sp.Integer(3), id="absolute-nested"),
    pytest.param(r"50\%", R(1, 2), id="percent"),
    pytest.param("3 \u2212 1 \u00d7 2", sp.Integer(1), id="unicode-operators"),
    pytest.param(r"\boxed{0.25}", R(1, 4), id="boxed"),
    pytest.param(r"\pi", sp.pi, id="pi"),
    pytest.param(r"\operatorname{sign}{\left(-3 \right)}", sp.Integer(-1), id="sign"),
    pytest.param(r"\operatorname{softmax}(3)", sp.Integer(1), id="softmax-of-one-number"),
    pytest.param(
        r"\begin{cases} 0.5 & \text{for}\: 0.5 > 0 \\0 & \text{otherwise} \end{cases}",
        R(1, 2),
        id="cases-first-branch",
    ),
    pytest.param(
        r"\begin{cases} -0.5 & \text{if } -0.5 \geq \frac{-0.5}{10} \\ \frac{-0.5}{10} & \text{otherwise} \end{cases}",
        R(-1, 20),
        id="cases-otherwise",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_exact_value(text: str, expected: sp.Expr | None) -> None:
    value = parse_math(text)
    if expected is None:
        assert value.free_symbols, "a symbolic input must keep its symbols"
        return
    assert not value.atoms(sp.Float), "decimals must never become floats"
    assert sp.simplify(value - expected) == 0


@pytest.mark.parametrize(("text", "expected"), [c for c in CASES if c.values[1] is not None])
def test_interval_encloses_exact_value(text: str, expected: sp.Expr) -> None:
    enclosure = evaluate_interval(parse_expression(text))
    assert isinstance(enclosure, Interval)
    low, high = (sp.Rational(v.numerator, v.denominator) for v in (enclosure.lo, enclosure.hi))
    assert low <= expected <= high
    assert enclosure.width <= Fraction(1, 10**25)
    if expected.is_Rational:
        assert enclosure.is_point, "rational results stay exact"


MATRIX_CASES = [
    pytest.param(
        r"\begin{bmatrix} 0.2 & 0.8 \ 0.4 & 0.3 \end{bmatrix} \cdot \begin{bmatrix} 1 \ 0.5 \end{bmatrix}",
        sp.Matrix([[R(3, 5)], [R(11, 20)]]),
        id="seed-lone-backslash-rows",
    ),
    pytest.param(
        r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \\ \end{pmatrix} \begin{pmatrix} 1 \\ 1 \end{pmatrix}",
        sp.Matrix([[3], [7]]),
        id="pmatrix-trailing-row-break-juxtaposed",
    ),
    pytest.param(
        r"\text{ReLU}(\begin{bmatrix} 0.7 \\ -0.65 \end{bmatrix})",
        sp.Matrix([[R(7, 10)], [0]]),
        id="relu-entrywise",
    ),
    pytest.param(
        r"\begin{bmatrix} -0.1 \\ 0.25 \end{bmatrix} \odot \begin{bmatrix} 2 \\ 4 \end{bmatrix}",
        sp.Matrix([[R(-1, 5)], [1]]),
        id="hadamard",
    ),
    pytest.param(
        r"\begin{bmatrix} 1 \\ 2 \end{bmatrix} \cdot \begin{bmatrix} 3 \\ 4 \end{bmatrix}^T",
        sp.Matrix([[3, 4], [6, 8]]),
        id="outer-product-transpose",
    ),
    pytest.param(r"\begin{bmatrix} 1 \\ 2 \end{bmatrix}^{\top}", sp.Matrix([[1, 2]]), id="top"),
    pytest.param(
        r"[0.01 \cdot 1, 0.01 \cdot -2]", sp.Matrix([[R(1, 100), R(-1, 50)]]), id="bracket-list"
    ),
    pytest.param(
        r"\max(0, \begin{bmatrix} -1 & 2 \end{bmatrix})", sp.Matrix([[0, 2]]), id="max-broadcast"
    ),
    pytest.param(
        r"\left[\begin{matrix}1 & 2\\3 & 4\end{matrix}\right] - 1",
        sp.Matrix([[0, 1], [2, 3]]),
        id="sympy-style-matrix",
    ),
    pytest.param(
        r"\sqrt{\begin{bmatrix} 4 & 9 \end{bmatrix}}",
        sp.Matrix([[2, 3]]),
        id="sqrt-entrywise",
    ),
    pytest.param(
        r"\operatorname{softmax}\left(\begin{bmatrix} 0 \\ \ln 3 \end{bmatrix}\right)",
        sp.Matrix([[R(1, 4)], [R(3, 4)]]),
        id="softmax-column",
    ),
    pytest.param(
        r"\text{softmax}(\begin{bmatrix} 0 & 0 \\ \ln 3 & 0 \end{bmatrix})",
        sp.Matrix([[R(1, 4), R(1, 2)], [R(3, 4), R(1, 2)]]),
        id="softmax-each-column",
    ),
]


@pytest.mark.parametrize(("text", "expected"), MATRIX_CASES)
def test_matrix_value(text: str, expected: sp.Matrix) -> None:
    assert sp.Matrix(parse_math(text)) == expected


def test_dot_product_of_two_columns_is_a_number() -> None:
    text = r"\begin{bmatrix} 0.2 \\ -0.5 \end{bmatrix} \cdot \begin{bmatrix} 2 \\ 1 \end{bmatrix}"
    assert parse_math(text) == R(2, 5) - R(1, 2)


def test_interval_matrix_matches_exact() -> None:
    text = str(MATRIX_CASES[0].values[0])
    enclosure = evaluate_interval(parse_expression(text))
    assert isinstance(enclosure, Grid)
    assert [e.lo for e in enclosure.entries()] == [Fraction(3, 5), Fraction(11, 20)]


def test_symbols_keep_names_with_subscripts() -> None:
    value = parse_math(r"X_{\text{min}} + \hat{y} + \sigma_2 + Z_1")
    assert {s.name for s in value.free_symbols} == {"X_min", "hat(y)", "sigma_2", "Z_1"}


def test_tex_argument_rules() -> None:
    """An unbraced argument is one character: ``2^34`` is 2³ then a stray 4, refused."""
    with pytest.raises(ParseError):
        parse_math("2^34")
    assert parse_math("2^{34}") == 2**34
    assert parse_math("x^2y") == sp.Symbol("x") ** 2 * sp.Symbol("y")
    assert parse_math(r"\frac 1 3") == R(1, 3)


UNREADABLE = [
    pytest.param("", id="empty"),
    pytest.param("2 3", id="two-numbers"),
    pytest.param("1 +", id="dangling-operator"),
    pytest.param("(1 + 2", id="unclosed-paren"),
    pytest.param(r"\frac{1}", id="frac-one-argument"),
    pytest.param(r"\partial L", id="unknown-command"),
    pytest.param("x = 1", id="relation-inside"),
    pytest.param(r"\begin{bmatrix} 1 & 2 \\ 3 \end{bmatrix}", id="ragged-matrix"),
    pytest.param(r"\begin{cases} 1 \end{cases}", id="cases"),
    pytest.param("1 & 2", id="ampersand-outside-matrix"),
    pytest.param("1/0", id="division-by-zero"),
    pytest.param(r"\log(0)", id="log-zero"),
    pytest.param(r"\sqrt{-4}", id="sqrt-negative"),
    pytest.param(
        r"\begin{bmatrix} 1 & 2 \end{bmatrix} \cdot \begin{bmatrix} 1 & 2 \end{bmatrix}^T^T",
        id="double-script",
    ),
    pytest.param(r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}^2", id="matrix-power"),
    pytest.param(
        r"\begin{bmatrix} 1 & 2 \end{bmatrix} + \begin{bmatrix} 1 \\ 2 \end{bmatrix}",
        id="shape-mismatch",
    ),
    pytest.param(r"\max(1)", id="max-one-number"),
    pytest.param("}", id="stray-brace"),
    pytest.param("{", id="open-brace"),
    pytest.param("- - - - - 1", id="sign-run"),
    pytest.param(r"\begin{cases} 1 & 1 > 1 \end{cases}", id="cases-no-branch-holds"),
    pytest.param(r"1 \leq 2", id="comparison-outside-cases"),
    pytest.param(r"\operatorname{softmax}'(1)", id="softmax-derivative"),
    pytest.param(r"\operatorname{softsign}(1)", id="undefined-function"),
]


@pytest.mark.parametrize("text", UNREADABLE)
def test_unreadable_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_math(text)
    assert "\n" not in str(caught.value) and str(caught.value)


def test_error_message_names_the_problem() -> None:
    with pytest.raises(ParseError, match=r"unknown command \\partial at character 7"):
        parse_math(r"\frac{\partial L}{\partial W}")


HOSTILE = [
    pytest.param(r"10^{10^{10}}", id="tower-10"),
    pytest.param(r"2^{2^{2^{2^{2^{2}}}}}", id="tower-2"),
    pytest.param(r"9^{9^{9}}", id="tower-9"),
    pytest.param(r"(10^{900})^{900}", id="huge-bits"),
    pytest.param(r"0.123456789^{1000} \cdot 7^{1000} \cdot 3^{1000}", id="many-bits"),
    pytest.param("1" * 1200, id="long-number"),
    pytest.param("{" * 100 + "1" + "}" * 100, id="deep-braces"),
    pytest.param("(" * 100 + "1" + ")" * 100, id="deep-parens"),
    pytest.param(r"\sqrt{" * 60 + "2" + "}" * 60, id="deep-sqrt"),
    pytest.param(r"\frac{1}{" * 45 + "2" + "}" * 45, id="deep-frac"),
    pytest.param("1+" * 600_000 + "1", id="one-megabyte"),
    pytest.param(r"\begin{bmatrix}" * 50 + "1" + r"\end{bmatrix}" * 50, id="deep-matrices"),
    pytest.param(r"\exp(\exp(\exp(10)))", id="exp-tower"),
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_refused_quickly(text: str) -> None:
    started = time.monotonic()
    with pytest.raises(ParseError):
        tree = parse_expression(text)
        evaluate_interval(tree)  # the numeric evaluation lint uses
    assert time.monotonic() - started < 2.0


def test_long_flat_sum_is_fine() -> None:
    text = "+".join(["1"] * 4000)  # 7999 characters: long, but not deep
    assert parse_math(text) == 4000


def test_exact_evaluation_refuses_huge_powers() -> None:
    for text in (r"10^{10^{10}}", r"(10^{900})^{900}", r"2^{2^{2^{2^{2^{2}}}}}"):
        with pytest.raises(ParseError, match="too large"):
            parse_math(text)


def test_grammar_is_conflict_free() -> None:
    _parser()  # built with strict=True: any LALR conflict would raise here


@pytest.mark.parametrize(
    "module",
    [
        "symnn.verify.syntax.tokens",
        "symnn.verify.syntax.vocabulary",
        "symnn.verify.syntax.commands",
        "symnn.verify.syntax.parse",
        "symnn.core.nodes",
        "symnn.core.interval",
        "symnn.core.balls",
        "symnn.core.rationals",
        "symnn.core.program",
        "symnn.core.domains",
        "symnn.verify.syntax.evaluate",
        "symnn.verify.syntax.grid",
        "symnn.verify.syntax.functions",
        "symnn.verify.lint.relations",
        "symnn.verify.lint.extract",
        "symnn.verify.lint.formats",
        "symnn.verify.lint.judge",
        "symnn.verify.lint.verdicts",
        "symnn.verify.lint.messages",
        "symnn.verify.lint.report",
    ],
)
def test_doctests(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0


# ----- robustness: nothing but ParseError, in bounded time ----------------------------------
LATEX_VOCABULARY = [
    "0",
    "1",
    "2",
    "0.5",
    "10",
    "3.14",
    "x",
    "e",
    "W",
    "+",
    "-",
    "*",
    "/",
    "^",
    "_",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "|",
    ",",
    "&",
    "'",
    "=",
    r"\\",
    "\\ ",
    r"\cdot",
    r"\times",
    r"\odot",
    r"\frac",
    r"\sqrt",
    r"\log",
    r"\ln",
    r"\exp",
    r"\max",
    r"\min",
    r"\sigma",
    r"\tanh",
    r"\text{ReLU}",
    r"\text{LeakyReLU}",
    r"\text{Sigmoid}",
    r"\mathrm{e}",
    r"\left(",
    r"\right)",
    r"\left[",
    r"\right]",
    r"\left|",
    r"\right|",
    r"\begin{bmatrix}",
    r"\end{bmatrix}",
    r"\begin{pmatrix}",
    r"\end{pmatrix}",
    "^T",
    "^{T}",
    r"\,",
    r"\quad",
    r"\%",
    r"\approx",
    r"\pi",
    r"\hat{y}",
    r"\operatorname{ReLU}",
    r"\sqrt[3]",
    r"\log_{10}",
    r"\begin{array}{cc}",
    r"\end{array}",
    r"\begin{cases}",
    r"\end{cases}",
    r"\text{",
    r"\unknown",
]

token_soup = st.lists(st.sampled_from(LATEX_VOCABULARY), max_size=40).map(" ".join)
any_text = st.text(alphabet=st.sampled_from(string.printable + "−×·√πσ≈’"), max_size=200)


def _parses_or_refuses(text: str) -> None:
    started = time.monotonic()
    try:
        tree = parse_expression(text)
        try:
            parse_math(text)
        except ParseError:
            pass
        evaluate_interval(tree)
    except ParseError as error:
        assert str(error) and "\n" not in str(error)
    assert time.monotonic() - started < 2.0


@given(token_soup)
def test_token_soup_only_raises_parse_error(text: str) -> None:
    _parses_or_refuses(text)


@given(any_text)
def test_random_text_only_raises_parse_error(text: str) -> None:
    _parses_or_refuses(text)


numbers = st.fractions(min_value=-1000, max_value=1000, max_denominator=10**6)


@given(numbers, numbers, st.sampled_from(["+", "-", r"\cdot"]))
def test_written_decimals_combine_exactly(a: Fraction, b: Fraction, operator: str) -> None:
    """Any two decimals, written out, combine to the exact rational result."""
    text_a, text_b = (f"{float(v):.6f}" for v in (a, b))
    exact_a, exact_b = Fraction(text_a), Fraction(text_b)
    expected = {"+": exact_a + exact_b, "-": exact_a - exact_b, r"\cdot": exact_a * exact_b}[
        operator
    ]
    value = parse_math(f"{text_a} {operator} ({text_b})")
    assert value == sp.Rational(expected.numerator, expected.denominator)


def test_activation_names_are_calculus_activations() -> None:
    from symnn.core.calculus import ACTIVATIONS
    from symnn.verify.syntax.functions import ACTIVATION_NAMES
    from symnn.verify.syntax.vocabulary import FUNCTION_NAMES

    assert set(ACTIVATION_NAMES) <= set(ACTIVATIONS)
    # softmax (a vector function) and sign are plain arithmetic, not elementwise activations
    named = set(FUNCTION_NAMES.values()) - {"exp", "log", "ln", "max", "min", "softmax", "sign"}
    assert named <= set(ACTIVATION_NAMES)


@given(st.integers(min_value=0, max_value=10**60), st.integers(min_value=2, max_value=12))
def test_integer_nthroot_is_the_floor_root(value: int, index: int) -> None:
    from symnn.core.interval import integer_nthroot

    root, exact = integer_nthroot(value, index)
    assert root**index <= value < (root + 1) ** index
    assert exact == (root**index == value)


@given(st.fractions(min_value=-20, max_value=20, max_denominator=1000))
def test_activation_enclosures_contain_sympy_values(value: Fraction) -> None:
    """The interval activations (compiled from symnn.core.calculus) enclose SymPy's exact values."""
    from symnn.core.calculus import ACTIVATIONS
    from symnn.core.domains import INTERVALS, function_of
    from symnn.core.program import activation_program

    point = Interval.point(value)
    slope = Interval.point(Fraction(1, 10))
    for name in ("relu", "leaky_relu", "sigmoid", "tanh", "softplus", "elu"):
        for derivative in (False, True):
            if derivative and value == 0 and name in ("relu", "leaky_relu", "elu"):
                continue  # the kink: the convention is tested elsewhere
            rule = ACTIVATIONS[name]
            exact_input = sp.Rational(value.numerator, value.denominator)
            alpha = sp.Rational(1, 10) if rule.has_alpha else None
            expected = (
                rule.derivative_at(exact_input, alpha)
                if derivative
                else rule.at(exact_input, alpha)
            )
            got = function_of(activation_program(name, derivative), INTERVALS)(point, slope)
            low, high = (sp.Rational(v.numerator, v.denominator) for v in (got.lo, got.hi))
            assert low <= expected <= high, (name, derivative, value)
            assert got.width <= Fraction(1, 10**25)


def test_tiny_positive_argument_takes_the_positive_branch() -> None:
    """Found by the fuzz campaign: SymPy's Piecewise.subs compares at low precision."""
    tiny = r"-\log(\sqrt{\sigma(59.7)})"  # = log(1 + e^-59.7)/2 ≈ 5.9e-27 > 0
    exact = -sp.log(1 / sp.sqrt(1 + sp.exp(-R(597, 10))))
    with mpmath.workdps(50):  # independent reference (SymPy's own is_positive says False here)
        assert mpmath.log(1 + mpmath.exp(-mpmath.mpf("59.7"))) / 2 > mpmath.mpf("5e-27")
    assert sp.simplify(parse_math(rf"\text{{ReLU}}({tiny})") - exact) == 0
    assert sp.simplify(parse_math(rf"\text{{LeakyReLU}}({tiny})") - exact) == 0
    assert parse_math(rf"\text{{ReLU}}'({tiny})") == 1
    assert parse_math(r"\text{ReLU}(-0.5)") == 0 and parse_math(r"\text{ReLU}(0)") == 0
