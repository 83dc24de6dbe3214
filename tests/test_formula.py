"""The safe formula parser: trees, errors that point at the character, and two evaluations.

A custom activation is evaluated twice, independently: SymPy (definition and ``diff``)
in the exact engine, dual numbers in the numpy evaluator.  Both are compared here with
references written by hand in Python's ``math`` and with central differences.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from symnn.core.calculus import custom_activation, x
from symnn.core.formula import Formula, parse_formula
from symnn.errors import ParseError
from symnn.sheets.reference import numeric

# (formula, f written by hand with math)
CASES = [
    ("x / (1 + abs(x))", lambda v: v / (1 + abs(v))),
    ("x * sigmoid(x)", lambda v: v / (1 + math.exp(-v))),
    ("max(x, 0.1 * x)", lambda v: max(v, 0.1 * v) if v != 0.1 * v else 0.1 * v),
    ("-x^2 + 3*x - 1/2", lambda v: -(v**2) + 3 * v - 0.5),
    ("x ** 3 / 6 - x", lambda v: v**3 / 6 - v),
    ("ln(1 + exp(x))", lambda v: math.log(1 + math.exp(v))),
    ("tanh(x) + sin(x) * cos(x)", lambda v: math.tanh(v) + math.sin(v) * math.cos(v)),
    ("sqrt(x^2 + 1) - 1", lambda v: math.sqrt(v * v + 1) - 1),
    ("atan(x) * pi / e", lambda v: math.atan(v) * math.pi / math.e),
    ("min(x, 1) - 2^-1", lambda v: min(v, 1) - 0.5),
]
POINTS = [-2.5, -0.7, 0.3, 1.9]


def formula(text: str) -> Formula:
    return Formula("f", text, parse_formula(text))


@pytest.mark.parametrize("text, reference", CASES, ids=[c[0] for c in CASES])
def test_exact_and_dual_evaluations_match_a_hand_written_reference(text, reference):
    act = custom_activation(formula(text))
    dual = numeric.custom_activation(formula(text), np.array([POINTS]))
    h = 1e-6
    for k, p in enumerate(POINTS):
        point = sp.Rational(str(p))
        exact_value = float(sp.N(act.at(point), 30))
        exact_slope = float(sp.N(act.derivative_at(point), 30))
        slope = (reference(p + h) - reference(p - h)) / (2 * h)
        assert exact_value == pytest.approx(reference(p), rel=1e-12, abs=1e-12)
        assert dual.value[0, k] == pytest.approx(reference(p), rel=1e-12, abs=1e-12)
        assert exact_slope == pytest.approx(slope, rel=1e-6, abs=1e-6)
        assert dual.slope[0, k] == pytest.approx(exact_slope, rel=1e-12, abs=1e-12)


def test_the_derivative_comes_from_sympy_diff_of_the_definition():
    act = custom_activation(formula("x / (1 + abs(x))"))
    assert sp.simplify(act.derivative - sp.diff(x / (1 + sp.Abs(x)), x)) == 0
    assert act.derivative_at(sp.Integer(0)) == 1


@pytest.mark.parametrize("text, message", [
    ("x / (1 + abs(x)", "expected ')' but found nothing at the end of the formula"),
    ("x $ 2", "unexpected character '$' at character 3"),
    ("x + foo(x)", "unknown name 'foo'"),
    ("x + foo(x)", "at character 5"),
    ("2 * * x", "found '*' at character 5"),
    ("exp x", "needs its argument in brackets"),
    ("max(x)", "takes 2 arguments, got 1 at character 1"),
    ("x)", "unexpected ')' at character 2"),
    ("3 + 4", "does not use x"),
    ("", "formula is empty"),
    ("x^100", "exponent 100 is too large"),
    ("2^(2^(2^6)) * x", "too large"),
    ("((2^60)^60)^60 * x", "too large to compute exactly"),
    ("(" * 50 + "x" + ")" * 50, "nested deeper"),
    ("x" * 201, "at most 200"),
])
def test_errors_name_the_problem_and_the_character(text, message):
    with pytest.raises(ParseError) as err:
        parse_formula(text)
    assert message in str(err.value)


@given(st.text(alphabet="x0123456789.+-*/^(), abcdeilmnopqrstw", max_size=40))
def test_any_text_either_parses_or_raises_a_parse_error(text):
    try:
        tree = parse_formula(text)
    except ParseError:
        return
    custom_activation(Formula("f", text, tree))  # a parsed tree always converts to SymPy
