"""Exact SymPy arithmetic for the evaluator: what :func:`~symnn.verify.syntax.parse.parse_math` returns.

Rationals stay rational, ``e`` and logarithms stay symbolic, activations come from their
one definition in :mod:`symnn.core.calculus`.  Powers are refused before they are computed
when the result would be huge (``10^{10^{10}}``).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import sympy as sp

from symnn.core.calculus import ACTIVATIONS
from symnn.core.calculus import alpha as calculus_alpha
from symnn.core.calculus import x as calculus_x
from symnn.core.domains import INTERVALS, NotCompilable, evaluate
from symnn.core.interval import working_precision
from symnn.core.nodes import Function, Node, Number
from symnn.core.program import compile_program
from symnn.errors import ParseError
from symnn.verify.syntax.evaluate import DEFAULT_LEAKY_SLOPE, MAX_BITS, MAX_EXPONENT, run
from symnn.verify.syntax.grid import Grid


def _bits(value: sp.Rational) -> int:
    return max(int(value.p).bit_length(), int(value.q).bit_length())


class Exact:
    """Exact SymPy arithmetic: rationals stay rational, e and logs stay symbolic."""

    def number(self, node: Number) -> sp.Expr:
        return sp.Rational(node.value.numerator, node.value.denominator)

    def constant(self, name: str) -> sp.Expr:
        return sp.E if name == "E" else sp.pi

    def symbol(self, name: str) -> sp.Expr:
        return sp.Symbol(name)

    def add(self, a: sp.Expr, b: sp.Expr) -> sp.Expr:
        return a + b

    def sub(self, a: sp.Expr, b: sp.Expr) -> sp.Expr:
        return a - b

    def mul(self, a: sp.Expr, b: sp.Expr) -> sp.Expr:
        return a * b

    def div(self, a: sp.Expr, b: sp.Expr) -> sp.Expr:
        if _certain_sign(b, "the divisor") == 0:
            raise ParseError("division by zero")
        return a / b

    def negate(self, a: sp.Expr) -> sp.Expr:
        return -a

    def power(self, base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
        if exponent.is_Rational:
            numerator, denominator = int(exponent.p), int(exponent.q)
            if abs(numerator) > MAX_EXPONENT or denominator > MAX_EXPONENT:
                raise ParseError(f"an exponent of {exponent} is too large to compute")
            if base.is_Rational and _bits(base) * abs(numerator) > MAX_BITS:
                raise ParseError(f"a power with exponent {exponent} is too large to compute")
            sign = _certain_sign(base, "the base") if numerator < 0 or denominator > 1 else None
            if sign == 0 and numerator < 0:
                raise ParseError("division by zero (0 to a negative power)")
            if sign == -1 and denominator % 2 == 0:
                raise ParseError("an even root of a negative number")
            if sign == -1 and denominator > 1:
                return sp.real_root(base, denominator) ** numerator
        return base**exponent

    def exp(self, a: sp.Expr) -> sp.Expr:
        return sp.exp(a)

    def log(self, a: sp.Expr, base: Fraction | None) -> sp.Expr:
        sign = _certain_sign(a, "the logarithm's argument")
        if sign is not None and sign <= 0:
            raise ParseError(f"the logarithm of {a}, which is not positive")
        return (
            sp.log(a) if base is None else sp.log(a, sp.Rational(base.numerator, base.denominator))
        )

    def root(self, a: sp.Expr, index: sp.Expr | None) -> sp.Expr:
        n = sp.Integer(2) if index is None else index
        if not (n.is_Integer and 1 <= n <= MAX_EXPONENT):
            raise ParseError(f"a root of index {n} is not read")
        if _certain_sign(a, "the radicand") == -1:
            if n % 2 == 0:
                raise ParseError(f"an even root of {a}, which is negative")
            return sp.real_root(a, n)
        return sp.sqrt(a) if n == 2 else sp.root(a, n)

    def absolute(self, a: sp.Expr) -> sp.Expr:
        return sp.Abs(a)

    def floor(self, a: sp.Expr) -> sp.Expr:
        return sp.floor(a)

    def activation(self, function: Function, a: sp.Expr, slope: Fraction) -> sp.Expr:
        rule = ACTIVATIONS[function.name]
        expr = rule.derivative if function.derivative else rule.definition
        values = {calculus_x: a, calculus_alpha: sp.Rational(slope.numerator, slope.denominator)}
        if isinstance(expr, sp.Piecewise) and not a.free_symbols:
            return _piecewise_at(expr, values)
        alpha = values[calculus_alpha] if rule.has_alpha else None
        return rule.derivative_at(a, alpha) if function.derivative else rule.at(a, alpha)

    def extremum(self, name: str, values: list[sp.Expr]) -> sp.Expr:
        return sp.Max(*values) if name == "max" else sp.Min(*values)

    def compare(self, a: sp.Expr, b: sp.Expr) -> int | None:
        return sign_of(a - b)


SIGN_PRECISIONS = (113, 500, 2000)
"""Bits tried, in turn, to decide the sign of an irrational number."""

_BRANCH_TESTS: dict[type, Callable[[int], bool]] = {
    sp.StrictGreaterThan: lambda sign: sign > 0,
    sp.GreaterThan: lambda sign: sign >= 0,
    sp.StrictLessThan: lambda sign: sign < 0,
    sp.LessThan: lambda sign: sign <= 0,
}
"""Each comparison with zero, as a test of a certain sign."""


def sign_of(value: sp.Expr) -> int | None:
    """-1, 0 or 1 when the sign of a number is certain; None for symbols or when undecided.

    Rationals are compared exactly; anything else by a rigorous interval enclosure, never
    by SymPy's comparisons or assumptions (which misjudge e.g. log(1 + e^-59.7), about
    1.2e-26, as not positive).
    """
    if value.free_symbols:
        return None
    if value.is_Rational:
        numerator = int(value.p)
        return (numerator > 0) - (numerator < 0)
    for bits in SIGN_PRECISIONS:  # tiny values need more bits: log(σ(97)) is about -4e-43
        try:
            with working_precision(bits):
                bounds = evaluate(compile_program(value), {}, INTERVALS)
        except (ParseError, NotCompilable):
            return None
        if bounds.lo > 0:
            return 1
        if bounds.hi < 0:
            return -1
        if bounds.is_point:
            return 0
    return None


def _certain_sign(value: sp.Expr, what: str) -> int | None:
    """The sign of a number (None for symbolic values); refuses a number of unknown sign."""
    sign = sign_of(value)
    if sign is None and not value.free_symbols:
        raise ParseError(f"cannot decide the sign of {what} {value}")
    return sign


def _piecewise_at(expr: sp.Piecewise, values: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
    """The branch of a piecewise definition at a number, chosen by a certain sign."""
    for branch, condition in expr.args:
        if condition is sp.true:
            return branch.xreplace(values)
        test = _BRANCH_TESTS.get(type(condition))
        if test is None:
            raise ParseError(f"cannot decide the condition {condition}")
        difference = (condition.lhs - condition.rhs).xreplace(values)
        sign = _certain_sign(difference, "the activation's argument")
        if sign is not None and test(sign):
            return branch.xreplace(values)
    raise ParseError("no branch of a piecewise activation applies")


def evaluate_exact(node: Node, leaky_slope: Fraction = DEFAULT_LEAKY_SLOPE) -> Any:
    """The exact SymPy value of a tree (an ImmutableMatrix for a matrix)."""
    result = run(node, Exact(), leaky_slope)
    if isinstance(result, Grid):
        return sp.ImmutableMatrix([list(row) for row in result.rows])
    return result
