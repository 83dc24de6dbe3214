"""Interval arithmetic: every enclosure contains the true value (checked with the decimal module
at 80 digits, independently of mpmath), and operations contain every pointwise result."""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symnn.core import interval as iv
from symnn.core.domains import INTERVALS, evaluate
from symnn.core.interval import Interval
from symnn.core.program import compile_program

CTX = decimal.Context(prec=80)
TINY = Decimal("1e-70")

rationals = st.fractions(min_value=-50, max_value=50, max_denominator=10**6)


def as_decimal(x: F) -> Decimal:
    return CTX.divide(Decimal(x.numerator), Decimal(x.denominator))


def encloses(interval: Interval, value: Decimal) -> bool:
    """The interval holds the 80-digit value, up to that value's own error."""
    return CTX.subtract(as_decimal(interval.lo), TINY) <= value <= CTX.add(as_decimal(interval.hi), TINY)


def d_exp(x: Decimal) -> Decimal:
    return CTX.exp(x)


def d_tanh(x: Decimal) -> Decimal:
    e = CTX.exp(CTX.multiply(2, x))
    return CTX.divide(CTX.subtract(e, 1), CTX.add(e, 1))


@given(rationals)
def test_exp_and_tanh_enclose_the_true_value(x):
    point = Interval.point(x)
    assert encloses(iv.exp(point), d_exp(as_decimal(x)))
    assert encloses(iv.tanh(point), d_tanh(as_decimal(x)))
    width = iv.exp(point).hi - iv.exp(point).lo
    assert width <= F(1, 10**40) * (1 + iv.exp(point).hi)


@given(st.fractions(min_value=F(1, 10**6), max_value=10**6, max_denominator=10**6))
def test_logarithms_and_roots_enclose_the_true_value(x):
    point = Interval.point(x)
    assert encloses(iv.log(point), CTX.ln(as_decimal(x)))
    assert encloses(iv.log(point, 10), CTX.log10(as_decimal(x)))
    assert encloses(iv.sqrt(point), CTX.sqrt(as_decimal(x)))


def test_exact_points_stay_exact():
    assert iv.exp(iv.ZERO) == iv.ONE and iv.log(iv.ONE) == iv.ZERO and iv.tanh(iv.ZERO) == iv.ZERO
    assert iv.sqrt(Interval.point(F(49, 16))) == Interval.point(F(7, 4))
    assert iv.sqrt(Interval(F(4), F(9))) == Interval(F(2), F(3))


def test_domain_errors_are_undefined_not_crashes():
    for f, x in ((iv.log, Interval(F(-1), F(1))), (iv.sqrt, Interval.point(F(-1))),
                 (Interval.reciprocal, Interval(F(-1), F(2))), (iv.exp, Interval.point(F(10**6)))):
        with pytest.raises(iv.Undefined):
            f(x)


intervals = st.tuples(rationals, rationals).map(lambda p: Interval(min(p), max(p)))


@given(intervals, intervals, st.floats(0, 1), st.floats(0, 1), st.integers(0, 4))
def test_operations_contain_every_pointwise_result(a, b, s, t, n):
    x = a.lo + (a.hi - a.lo) * F(s)
    y = b.lo + (b.hi - b.lo) * F(t)
    assert (a + b).contains(x + y) and (a - b).contains(x - y) and (a * b).contains(x * y)
    assert (a**n).contains(x**n) and abs(a).contains(abs(x))
    if not b.contains(F(0)):
        assert (a / b).contains(x / y)


@given(intervals, st.floats(0, 1))
def test_compiled_piecewise_relu_and_its_derivative(a, s):
    from symnn.core.calculus import ACTIVATIONS

    relu = ACTIVATIONS["relu"]
    f, df = compile_program(relu.definition), compile_program(relu.derivative)
    x = a.lo + (a.hi - a.lo) * F(s)
    assert evaluate(f, {"x": a}, INTERVALS).contains(max(x, F(0)))
    assert evaluate(f, {"x": a}, INTERVALS).lo >= 0  # the branches are evaluated on their own parts
    assert evaluate(df, {"x": a}, INTERVALS).contains(F(1) if x > 0 else F(0))
    sig = compile_program(ACTIVATIONS["sigmoid"].definition)
    true = CTX.divide(1, CTX.add(1, CTX.exp(CTX.minus(as_decimal(x)))))
    assert encloses(evaluate(sig, {"x": a}, INTERVALS), true)


def test_undefined_is_both_the_checkers_and_the_linters_error():
    from symnn.errors import ParseError

    assert issubclass(iv.Undefined, ParseError) and issubclass(iv.Undefined, ArithmeticError)


def test_sizes_stay_bounded():
    """No expression builds numbers large enough to stall the process (the lint relies on it)."""
    big = Interval.point(F(3) ** 5000)
    with pytest.raises(iv.Undefined, match="bits"):
        big * big * big * big * big
    with pytest.raises(iv.Undefined, match="too large"):
        iv.power_integer(Interval.point(F(3)), 10**6)
    with pytest.raises(iv.Undefined):
        iv.exp(Interval.point(F(20_000)))
    for value in (iv.exp(Interval.point(F(9_999))), iv.exp(Interval.point(F(-9_999)))):
        assert max(value.hi.numerator.bit_length(), value.lo.denominator.bit_length()) <= iv.MAX_BITS


def test_precision_can_be_raised_for_a_block():
    with iv.working_precision(1000):
        wide = iv.exp(Interval.point(F(1, 3)))
    narrow = iv.exp(Interval.point(F(1, 3)))
    assert wide.width < F(1, 2**900) < narrow.width


@given(st.fractions(min_value=F(1, 10**4), max_value=10**4, max_denominator=10**4), st.sampled_from(["log", "exp", "sqrt"]))
def test_constant_enclosures_are_rigorous_and_give_the_correctly_rounded_float(x, name):
    import sympy as sp

    from symnn.core.domains import enclose_constant

    r = sp.Rational(x.numerator, x.denominator)
    expr = {"log": sp.log(r), "exp": sp.exp(r / 100), "sqrt": sp.sqrt(r)}[name]
    if expr.is_Rational:
        return
    true = {"log": CTX.ln(as_decimal(x)), "exp": CTX.exp(as_decimal(x / 100)), "sqrt": CTX.sqrt(as_decimal(x))}[name]
    low, high = enclose_constant(compile_program(expr))
    assert encloses(Interval(low, high), true)
    assert float(low) == float(high) == float(F(true))
