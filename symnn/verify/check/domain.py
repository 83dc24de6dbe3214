"""Rational intervals as a number domain of the network engine (:mod:`symnn.library.engine`).

``symnn check`` recomputes each quantity of a network from the student's own earlier
values, which are intervals (a rounded 0.67 stands for every number rounding to it).  The
engine's per-layer primitives run over this domain unchanged; only the arithmetic is
interval arithmetic (:mod:`symnn.verify.check.interval`), and each SymPy rule is compiled
once into an interval program.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from functools import cache
from typing import Any

import sympy as sp

from symnn.library.engine.rules import ColumnRule, Rule
from symnn.verify.check import interval as iv
from symnn.verify.check.interval import IMatrix, Interval, Program, compile_expr


@cache
def _program(expr: sp.Basic) -> Program:
    return compile_expr(expr)


def fraction(value: Any) -> Fraction:
    """An exact rational (SymPy, Fraction or int) as a Fraction."""
    if isinstance(value, sp.Rational):
        return Fraction(int(value.p), int(value.q))
    return Fraction(value)


class IntervalDomain:
    """The engine's domain of interval matrices; ``log_base`` recomputes a base-10 logarithm slip."""

    name = "interval"

    def __init__(self, log_base: int | None = None) -> None:
        self.log_base = log_base

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
        return iv.add(z, b)

    def row_sums(self, a: IMatrix) -> IMatrix:
        return iv.row_sums(a)

    def scale(self, k: Any, a: IMatrix) -> IMatrix:
        return iv.scale(fraction(k), a)

    def _env(self, symbols: Sequence[sp.Symbol], values: Sequence[Interval],
             constants: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()) -> dict[str, Interval]:
        env = {s.name: v for s, v in zip(symbols, values)}
        env.update({s.name: Interval.point(fraction(v)) for s, v in constants})
        return env

    def entrywise(self, rule: Rule, args: Sequence[IMatrix], scale: Any = None) -> IMatrix:
        program = _program(rule.expr)
        factor = None if scale is None else fraction(scale)
        rows = []
        for row_values in zip(*args):
            row = []
            for entries in zip(*row_values):
                value = iv.evaluate(program, self._env(rule.variables, entries, rule.constants), self.log_base)
                row.append(value if factor is None else value * factor)
            rows.append(tuple(row))
        return tuple(rows)

    def columnwise(self, rule: ColumnRule, args: Sequence[IMatrix], scale: Any = None) -> IMatrix:
        programs = [_program(e) for e in rule.exprs]
        factor = None if scale is None else fraction(scale)
        columns = []
        for j in range(iv.shape(args[0])[1]):
            env = self._env(rule.variables, [m[i][j] for m in args for i in range(len(m))])
            values = [iv.evaluate(p, env, self.log_base) for p in programs]
            columns.append([v if factor is None else v * factor for v in values])
        return tuple(tuple(column[i] for column in columns) for i in range(len(programs)))

    def column_totals(self, a: IMatrix) -> list[Any]:
        return [iv.total(column) for column in iv.transpose(a)]

    def total(self, values: Sequence[Any]) -> Any:
        return iv.total(values)

    def divide(self, value: Any, n: int) -> Any:
        return value / n

    def finite(self, value: Any, what: str, at: str) -> Any:
        return value


INTERVALS = IntervalDomain()
"""Intervals with natural logarithms."""
BASE10 = IntervalDomain(log_base=10)
"""Intervals where every ln is a base-10 logarithm (a named mistake)."""
