"""python-flint ``arb_mat`` balls at the context precision: certified values.

A rule is the calculus definition compiled by :mod:`symnn.core.program` over balls; a
Piecewise condition a ball cannot decide raises :class:`symnn.core.program.Undecided`, so
:func:`symnn.core.certified.certify` retries at a higher precision.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import flint
import sympy as sp
from sympy import QQ

from symnn.core.domains import BALLS, NotCompilable
from symnn.core.program import compile_expression, compiled
from symnn.errors import SpecError
from symnn.library.engine.rules import ColumnRule, Rule

Balls = Any
"""A python-flint ``arb_mat``."""


def ball(value: Any) -> Any:
    """An exact number (SymPy, flint rational, or a ball) as a ball at the current precision."""
    if isinstance(value, flint.arb):
        return value
    if QQ.of_type(value):
        return flint.arb(flint.fmpq(int(value.numerator), int(value.denominator)))
    if isinstance(value, sp.Rational):
        return flint.arb(flint.fmpq(int(value.p), int(value.q)))
    try:
        return compile_expression(value, [], BALLS)()
    except NotCompilable:
        raise SpecError(
            f"certified decimals need numbers, but {value} is symbolic; substitute values "
            "for its symbols first, or omit digits= for an exact formula") from None


def balls(matrix: sp.MatrixBase) -> Balls:
    """An exact SymPy matrix as balls."""
    return flint.arb_mat(int(matrix.rows), int(matrix.cols), [ball(v) for v in matrix])


class BallDomain:
    """The domain of ``arb_mat`` balls.

    ``refusal`` turns what cannot be evaluated (``"the softmax"``) into the sentence of
    the :class:`SpecError` raised for it.
    """

    name = "arb"

    def __init__(self, refusal: Callable[[str], str] | None = None) -> None:
        self.refusal = refusal or (lambda what: f"{what} cannot be evaluated in ball arithmetic")

    def _compiled(self, expr: sp.Basic, variables: tuple[sp.Symbol, ...], what: str) -> Callable[..., Any]:
        function = compiled(expr, variables, BALLS.name)
        if function is None:
            raise SpecError(self.refusal(what))
        return function

    def shape(self, a: Balls) -> tuple[int, int]:
        return a.nrows(), a.ncols()

    def matmul(self, a: Balls, b: Balls) -> Balls:
        return a * b

    def transpose(self, a: Balls) -> Balls:
        return a.transpose()

    def add(self, a: Balls, b: Balls) -> Balls:
        return a + b

    def sub(self, a: Balls, b: Balls) -> Balls:
        return a - b

    def hadamard(self, a: Balls, b: Balls) -> Balls:
        return flint.arb_mat(a.nrows(), a.ncols(), [u * v for u, v in zip(a.entries(), b.entries())])

    def add_bias(self, z: Balls, b: Balls) -> Balls:
        return z + b * flint.arb_mat(1, z.ncols(), [1] * z.ncols())

    def row_sums(self, a: Balls) -> Balls:
        if a.ncols() == 1:
            return a
        return a * flint.arb_mat(a.ncols(), 1, [1] * a.ncols())

    def scale(self, k: Any, a: Balls) -> Balls:
        return ball(k) * a

    def entrywise(self, rule: Rule, args: Sequence[Balls], scale: Any = None) -> Balls:
        what = rule.label or "the loss"
        function = self._compiled(rule.expr, (*rule.variables, *(s for s, _ in rule.constants)), what)
        constants = [ball(v) for _, v in rule.constants]
        factor = None if scale is None else ball(scale)
        values = [function(*entries, *constants) for entries in zip(*(m.entries() for m in args))]
        if factor is not None:
            values = [v * factor for v in values]
        return flint.arb_mat(args[0].nrows(), args[0].ncols(), values)

    def columnwise(self, rule: ColumnRule, args: Sequence[Balls], scale: Any = None) -> Balls:
        functions = [self._compiled(e, rule.variables, rule.label) for e in rule.exprs]
        rows, cols = args[0].nrows(), args[0].ncols()
        factor = None if scale is None else ball(scale)
        out = flint.arb_mat(rows, cols)
        for j in range(cols):
            column = [m[i, j] for m in args for i in range(m.nrows())]
            for i, function in enumerate(functions):
                value = function(*column)
                out[i, j] = value if factor is None else value * factor
        return out

    def column_totals(self, a: Balls) -> list[Any]:
        totals = []
        for j in range(a.ncols()):
            total = flint.arb(0)
            for i in range(a.nrows()):
                total += a[i, j]
            totals.append(total)
        return totals

    def total(self, values: Sequence[Any]) -> Any:
        result = flint.arb(0)
        for v in values:
            result += v
        return result

    def finite(self, value: Any, what: str, at: str) -> Any:
        return value


BALL_DOMAIN = BallDomain()
"""Balls, refusing what they cannot evaluate with a plain sentence."""
