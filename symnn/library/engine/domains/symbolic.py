"""Exact SymPy matrices: the values a worked solution prints.

Entries are exact SymPy numbers or expressions (``σ(3/2) − 1`` stays as it is).  A rule
marked ``tidy`` has its values combined over one denominator when that is cheap, which is
the form the sheets show; nothing is ever fully simplified.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import sympy as sp

from symnn.core.calculus import substitute
from symnn.errors import MathDomainError
from symnn.library.engine.rules import ColumnRule, Rule

Matrix: TypeAlias = sp.ImmutableMatrix


def finite(value: sp.Basic, what: str, at: sp.Basic) -> sp.Basic:
    """``value``, or a :class:`MathDomainError` when it is infinite or undefined."""
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise MathDomainError(f"{what} is undefined or infinite at {at}")
    return value


def tidy(value: sp.Basic) -> sp.Basic:
    """Combine an exact value over one denominator when that is cheap (never a full simplify)."""
    if value.is_Rational or value.count_ops() > 40:
        return value
    return sp.together(value)


class Symbolic:
    """The domain of exact ``ImmutableMatrix`` values (the sheets)."""

    name = "sympy"

    def shape(self, a: Matrix) -> tuple[int, int]:
        return int(a.rows), int(a.cols)

    def matmul(self, a: Matrix, b: Matrix) -> Matrix:
        return Matrix(a * b)

    def transpose(self, a: Matrix) -> Matrix:
        return a.T

    def add(self, a: Matrix, b: Matrix) -> Matrix:
        return Matrix(a + b)

    def sub(self, a: Matrix, b: Matrix) -> Matrix:
        return Matrix(a - b)

    def hadamard(self, a: Matrix, b: Matrix) -> Matrix:
        return Matrix(a.rows, a.cols, [tidy(p * q) for p, q in zip(a, b)])

    def add_bias(self, z: Matrix, b: Matrix) -> Matrix:
        return Matrix(z + Matrix(z.rows, z.cols, lambda i, j: b[i, 0]))

    def row_sums(self, a: Matrix) -> Matrix:
        return Matrix(a.rows, 1, [sp.Add(*a.row(i)) for i in range(a.rows)])

    def scale(self, k: Any, a: Matrix) -> Matrix:
        return k * a

    def entrywise(self, rule: Rule, args: Sequence[Matrix], scale: Any = None) -> Matrix:
        constants = dict(rule.constants)

        def entry(values: tuple[sp.Basic, ...]) -> sp.Basic:
            value = substitute(rule.expr, {**dict(zip(rule.variables, values)), **constants})
            if scale is not None:
                value = value * scale
            if rule.tidy:
                value = tidy(value)
            return value if rule.label is None else finite(value, rule.label, values[0])

        first = args[0]
        return Matrix(first.rows, first.cols, [entry(values) for values in zip(*args)])

    def columnwise(self, rule: ColumnRule, args: Sequence[Matrix], scale: Any = None) -> Matrix:
        rows, cols = self.shape(args[0])
        columns = []
        for j in range(cols):
            mapping = dict(zip(rule.variables, [m[i, j] for m in args for i in range(m.rows)]))
            column = [e.xreplace(mapping) for e in rule.exprs]
            columns.append([tidy(v if scale is None else v * scale) for v in column])
        return Matrix(rows, cols, lambda i, j: columns[j][i])

    def column_totals(self, a: Matrix) -> list[Any]:
        return [sp.Add(*a.col(j)) for j in range(a.cols)]

    def total(self, values: Sequence[Any]) -> Any:
        return sp.Add(*values)

    def finite(self, value: Any, what: str, at: str) -> Any:
        return finite(value, what, at)


SYMBOLIC = Symbolic()
"""The exact SymPy domain."""
