"""Rigorous rational intervals (:mod:`symnn.core.interval`): what ``symnn check`` recomputes over.

A student's rounded 0.67 stands for every number that rounds to it, so the checker
recomputes each quantity of a network from the student's own earlier values as
intervals.  The engine's per-layer primitives run over this domain unchanged; each rule
is compiled once (:func:`symnn.core.program.compile_program`) and evaluated by
:data:`symnn.core.domains.INTERVALS`.  ``log_base`` recomputes a base-10 logarithm slip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import cache
from typing import Any

import sympy as sp

from symnn.core import interval as iv
from symnn.core.domains import INTERVALS, evaluate
from symnn.core.interval import IMatrix, Interval
from symnn.core.program import compile_program
from symnn.library.engine.rules import ColumnRule, Rule


def fraction(value: Any) -> Fraction:
    """An exact rational (SymPy, Fraction or int) as a Fraction."""
    if isinstance(value, sp.Rational):
        return Fraction(int(value.p), int(value.q))
    return Fraction(value)


@cache
def _function(expr: sp.Basic, variables: tuple[sp.Symbol, ...], log_base: int | None) -> Callable[..., Interval]:
    program = compile_program(expr, variables)
    return lambda *values: evaluate(program, dict(zip(program.variables, values)), INTERVALS, log_base)


class IntervalDomain:
    """The engine's domain of interval matrices."""

    name = "interval"

    def __init__(self, log_base: int | None = None) -> None:
        self.log_base = log_base

    def _compiled(self, expr: sp.Basic, variables: tuple[sp.Symbol, ...]) -> Callable[..., Interval]:
        return _function(expr, variables, self.log_base)

    def shape(self, a: IMatrix) -> tuple[int, int]:
        return iv.shape(a)

    def matmul(self, a: IMatrix, b: IMatrix) -> IMatrix:
        return iv.matmul(a, b)

    def transpose(self, a: IMatrix) -> IMatrix:
        return iv.transpose(a)

    def add(self, a: IMatrix, b: IMatrix) -> IMatrix:
        return iv.add(a, b)

    def sub(self, a: IMatrix, b: IMatrix) -> IMatrix:
        return iv.sub(a, b)

    def hadamard(self, a: IMatrix, b: IMatrix) -> IMatrix:
        return iv.hadamard(a, b)

    def add_bias(self, z: IMatrix, b: IMatrix) -> IMatrix:
        return iv.add(z, b)  # a one-column b is added to every column

    def row_sums(self, a: IMatrix) -> IMatrix:
        return iv.row_sums(a)

    def scale(self, k: Any, a: IMatrix) -> IMatrix:
        return iv.scale(fraction(k), a)

    def entrywise(self, rule: Rule, args: Sequence[IMatrix], scale: Any = None) -> IMatrix:
        function = self._compiled(rule.expr, (*rule.variables, *(s for s, _ in rule.constants)))
        constants = [Interval.point(fraction(v)) for _, v in rule.constants]
        factor = None if scale is None else fraction(scale)
        rows = []
        for row_values in zip(*args):
            row = [function(*entries, *constants) for entries in zip(*row_values)]
            rows.append(tuple(row if factor is None else [v * factor for v in row]))
        return tuple(rows)

    def columnwise(self, rule: ColumnRule, args: Sequence[IMatrix], scale: Any = None) -> IMatrix:
        functions = [self._compiled(e, rule.variables) for e in rule.exprs]
        factor = None if scale is None else fraction(scale)
        columns = []
        for j in range(iv.shape(args[0])[1]):
            column = [m[i][j] for m in args for i in range(len(m))]
            values = [f(*column) for f in functions]
            columns.append(values if factor is None else [v * factor for v in values])
        return tuple(tuple(column[i] for column in columns) for i in range(len(functions)))

    def column_totals(self, a: IMatrix) -> list[Any]:
        return [iv.total(column) for column in iv.transpose(a)]

    def total(self, values: Sequence[Any]) -> Any:
        return iv.total(values)

    def finite(self, value: Any, what: str, at: str) -> Any:
        return value


INTERVAL_DOMAIN = IntervalDomain()
"""Intervals with natural logarithms."""
BASE10_DOMAIN = IntervalDomain(log_base=10)
"""Intervals where every ln is a base-10 logarithm (a named mistake)."""
