"""Exact SymPy arithmetic for the evaluator: what :func:`~symnn.verify.parse.parse_math` returns.

Rationals stay rational, ``e`` and logarithms stay symbolic, activations come from their
one definition in :mod:`symnn.calculus`.  Powers are refused before they are computed
when the result would be huge (``10^{10^{10}}``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy as sp

from symnn.calculus import ACTIVATIONS
from symnn.errors import ParseError
from symnn.verify.evaluate import DEFAULT_LEAKY_SLOPE, MAX_BITS, MAX_EXPONENT, Grid, run
from symnn.verify.nodes import Function, Node, Number


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
        if b.is_zero:
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
            if base.is_zero and numerator < 0:
                raise ParseError("division by zero (0 to a negative power)")
            if base.is_negative and denominator % 2 == 0:
                raise ParseError("an even root of a negative number")
            if base.is_negative and denominator > 1:
                return sp.real_root(base, denominator) ** numerator
        return base**exponent

    def exp(self, a: sp.Expr) -> sp.Expr:
        return sp.exp(a)

    def log(self, a: sp.Expr, base: Fraction | None) -> sp.Expr:
        if a.is_zero or a.is_negative:
            raise ParseError(f"the logarithm of {a}, which is not positive")
        return (
            sp.log(a) if base is None else sp.log(a, sp.Rational(base.numerator, base.denominator))
        )

    def root(self, a: sp.Expr, index: sp.Expr | None) -> sp.Expr:
        n = sp.Integer(2) if index is None else index
        if not (n.is_Integer and 1 <= n <= MAX_EXPONENT):
            raise ParseError(f"a root of index {n} is not read")
        if a.is_negative:
            if n % 2 == 0:
                raise ParseError(f"an even root of {a}, which is negative")
            return sp.real_root(a, n)
        return sp.sqrt(a) if n == 2 else sp.root(a, n)

    def absolute(self, a: sp.Expr) -> sp.Expr:
        return sp.Abs(a)

    def activation(self, function: Function, a: sp.Expr, slope: Fraction) -> sp.Expr:
        rule = ACTIVATIONS[function.name]
        alpha = sp.Rational(slope.numerator, slope.denominator) if rule.has_alpha else None
        return rule.derivative_at(a, alpha) if function.derivative else rule.at(a, alpha)

    def extremum(self, name: str, values: list[sp.Expr]) -> sp.Expr:
        return sp.Max(*values) if name == "max" else sp.Min(*values)


def evaluate_exact(node: Node, leaky_slope: Fraction = DEFAULT_LEAKY_SLOPE) -> Any:
    """The exact SymPy value of a tree (an ImmutableMatrix for a matrix)."""
    result = run(node, Exact(), leaky_slope)
    if isinstance(result, Grid):
        return sp.ImmutableMatrix([list(row) for row in result.rows])
    return result
