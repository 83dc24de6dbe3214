"""Forward-mode derivatives over ``arb`` balls: a value with its tangent in every parameter direction.

A :class:`Jet` is an ``arb_mat`` of values and, for each of ``P`` directions, the ``arb_mat``
of their derivatives along it (``None`` where that derivative is exactly zero, as for the
inputs and targets).  :class:`JetDomain` implements the engine's
:class:`~symnn.library.engine.passes.Domain` on jets: matrix arithmetic by the product and
sum rules, and every rule (an activation, a loss delta, softmax) by its one SymPy
definition — the value from the definition, each partial derivative from ``sympy.diff`` of
that same definition, both compiled by :func:`symnn.core.program.compiled` over balls, as
:class:`~symnn.library.engine.domains.balls.BallDomain` does.  Seeded at a box of parameters
with unit tangents, one gradient-descent step in this domain gives an enclosure of the
step's Jacobian over the whole box (:func:`symnn.library.trajectory.mean_value_trajectory`
uses it).

A branch condition a ball cannot decide raises :class:`symnn.core.program.Undecided`, as over
balls.  A rule whose derivative the compiler cannot read raises :class:`NoDerivative`.

>>> import flint
>>> from symnn.library.engine import layer_rule
>>> d = JetDomain(1)
>>> z = Jet(flint.arb_mat([[0]]), (flint.arb_mat([[1]]),))
>>> out = d.entrywise(layer_rule("tanh").function(), [z])
>>> out.value[0, 0], out.tangents[0][0, 0]
(0, 1.00000000000000)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import flint
import sympy as sp

from symnn.core.domains import BALLS
from symnn.core.program import compiled
from symnn.library.engine.domains.balls import ball
from symnn.library.engine.rules import ColumnRule, Rule

Tangents = tuple[Any | None, ...]
"""One ``arb_mat`` (or None: exactly zero) per direction."""


class NoDerivative(Exception):
    """A rule (or its ``sympy.diff`` derivative) cannot be evaluated over balls."""


@dataclass(frozen=True, slots=True)
class Jet:
    """A matrix of balls with its derivative along every direction."""

    value: Any
    """The ``arb_mat`` of values."""
    tangents: Tangents | None
    """Per direction, the ``arb_mat`` of derivatives (None entries are exactly zero); None: a constant."""


@dataclass(frozen=True, slots=True)
class JetNumber:
    """A scalar ball with its derivative along every direction (a loss, a column total)."""

    value: Any
    """The ``arb`` value."""
    tangents: tuple[Any | None, ...]
    """Per direction, the ``arb`` derivative (None: exactly zero)."""

    def __add__(self, other: JetNumber) -> JetNumber:
        return JetNumber(self.value + other.value, tuple(_plus(a, b) for a, b in zip(self.tangents, other.tangents)))

    def __truediv__(self, whole: int) -> JetNumber:
        return JetNumber(self.value / whole, tuple(None if t is None else t / whole for t in self.tangents))


def _plus(a: Any | None, b: Any | None) -> Any | None:
    if a is None:
        return b
    return a if b is None else a + b


def _minus(a: Any | None, b: Any | None) -> Any | None:
    if b is None:
        return a
    return -b if a is None else a - b


def _function(expr: sp.Expr, variables: tuple[sp.Symbol, ...]) -> Any:
    function = compiled(expr, variables, BALLS.name)
    if function is None:
        raise NoDerivative(f"{expr} cannot be evaluated over balls")
    return function


@cache
def _entry_rule(rule: Rule) -> tuple[Any, tuple[Any, ...]]:
    """The rule's value and its partial derivatives by ``sympy.diff``, compiled over balls."""
    symbols = (*rule.variables, *(s for s, _ in rule.constants))
    partials = tuple(_function(sp.diff(rule.expr, v), symbols) for v in rule.variables)
    return _function(rule.expr, symbols), partials


@cache
def _column_rule(rule: ColumnRule) -> tuple[tuple[Any, ...], tuple[tuple[Any, ...], ...]]:
    """Each row's formula and its partial derivatives in every column variable, by ``sympy.diff``."""
    values = tuple(_function(e, rule.variables) for e in rule.exprs)
    partials = tuple(tuple(_function(sp.diff(e, v), rule.variables) for v in rule.variables) for e in rule.exprs)
    return values, partials


def _scaled(entries: list[Any], factor: Any) -> list[Any]:
    return entries if factor is None else [v * factor for v in entries]


class JetDomain:
    """Jets with ``directions`` tangents each; rules evaluated with their ``sympy.diff`` partials."""

    name = "arb-jet"

    def __init__(self, directions: int) -> None:
        self.directions = directions

    def _tangents(self, a: Jet) -> Tangents:
        return (None,) * self.directions if a.tangents is None else a.tangents

    @staticmethod
    def _jet(value: Any, tangents: Tangents) -> Jet:
        return Jet(value, None if all(t is None for t in tangents) else tangents)

    def shape(self, a: Jet) -> tuple[int, int]:
        return a.value.nrows(), a.value.ncols()

    def matmul(self, a: Jet, b: Jet) -> Jet:
        tangents = tuple(_plus(None if ta is None else ta * b.value, None if tb is None else a.value * tb)
                         for ta, tb in zip(self._tangents(a), self._tangents(b)))
        return self._jet(a.value * b.value, tangents)

    def transpose(self, a: Jet) -> Jet:
        return self._jet(a.value.transpose(), tuple(None if t is None else t.transpose() for t in self._tangents(a)))

    def add(self, a: Jet, b: Jet) -> Jet:
        return self._jet(a.value + b.value, tuple(map(_plus, self._tangents(a), self._tangents(b))))

    def sub(self, a: Jet, b: Jet) -> Jet:
        return self._jet(a.value - b.value, tuple(map(_minus, self._tangents(a), self._tangents(b))))

    def hadamard(self, a: Jet, b: Jet) -> Jet:
        av, bv = a.value.entries(), b.value.entries()
        rows, cols = self.shape(a)

        def product(ta: Any | None, tb: Any | None) -> Any | None:
            if ta is None and tb is None:
                return None
            left = [0] * len(av) if ta is None else [u * v for u, v in zip(ta.entries(), bv)]
            right = [0] * len(av) if tb is None else [u * v for u, v in zip(av, tb.entries())]
            return flint.arb_mat(rows, cols, [u + v for u, v in zip(left, right)])

        value = flint.arb_mat(rows, cols, [u * v for u, v in zip(av, bv)])
        return self._jet(value, tuple(map(product, self._tangents(a), self._tangents(b))))

    def add_bias(self, z: Jet, b: Jet) -> Jet:
        ones = flint.arb_mat(1, z.value.ncols(), [1] * z.value.ncols())
        return self.add(z, Jet(b.value * ones, None if b.tangents is None else
                               tuple(None if t is None else t * ones for t in b.tangents)))

    def row_sums(self, a: Jet) -> Jet:
        if a.value.ncols() == 1:
            return a
        return self.matmul(a, Jet(flint.arb_mat(a.value.ncols(), 1, [1] * a.value.ncols()), None))

    def scale(self, k: Any, a: Jet) -> Jet:
        factor = ball(k)
        return self._jet(factor * a.value, tuple(None if t is None else factor * t for t in self._tangents(a)))

    def entrywise(self, rule: Rule, args: Sequence[Jet], scale: Any = None) -> Jet:
        """The rule at every entry; along each direction, Σ_i ∂rule/∂v_i · (tangent of argument i)."""
        value_of, partials = _entry_rule(rule)
        constants = [ball(v) for _, v in rule.constants]
        factor = None if scale is None else ball(scale)
        rows, cols = self.shape(args[0])
        columns = list(zip(*(m.value.entries() for m in args)))
        values = _scaled([value_of(*entries, *constants) for entries in columns], factor)
        moving = [i for i, m in enumerate(args) if m.tangents is not None]
        slopes = {i: _scaled([partials[i](*entries, *constants) for entries in columns], factor) for i in moving}
        tangents: list[Any | None] = []
        for p in range(self.directions):
            total: list[Any] | None = None
            for i in moving:
                t = args[i].tangents[p]  # type: ignore[index]
                if t is None:
                    continue
                term = [u * v for u, v in zip(slopes[i], t.entries())]
                total = term if total is None else [u + v for u, v in zip(total, term)]
            tangents.append(None if total is None else flint.arb_mat(rows, cols, total))
        return self._jet(flint.arb_mat(rows, cols, values), tuple(tangents))

    def columnwise(self, rule: ColumnRule, args: Sequence[Jet], scale: Any = None) -> Jet:
        """The rule on every column; along each direction, its Jacobian in the column times the column's tangent."""
        functions, partials = _column_rule(rule)
        factor = None if scale is None else ball(scale)
        rows, cols = args[0].value.nrows(), args[0].value.ncols()
        # Column variable k is row i of argument a, for (a, i) = slots[k] (the arguments' rows, concatenated).
        slots = [(a, i) for a, m in enumerate(args) for i in range(m.value.nrows())]
        moving = [k for k, (a, _) in enumerate(slots) if args[a].tangents is not None]
        out = flint.arb_mat(rows, cols)
        tangents: list[Any | None] = [None] * self.directions
        for j in range(cols):
            column = [m.value[i, j] for m in args for i in range(m.value.nrows())]
            for i, function in enumerate(functions):
                value = function(*column)
                out[i, j] = value if factor is None else value * factor
            slopes = {(i, k): partials[i][k](*column) for i in range(rows) for k in moving}
            for p in range(self.directions):
                steps = [(k, t[i, j]) for k in moving for a, i in [slots[k]]
                         for t in [args[a].tangents[p]] if t is not None]  # type: ignore[index]
                if not steps:
                    continue
                found = tangents[p]
                if found is None:
                    found = tangents[p] = flint.arb_mat(rows, cols)
                for i in range(rows):
                    total = flint.arb(0)
                    for k, dv in steps:
                        total += slopes[i, k] * dv
                    found[i, j] = total if factor is None else total * factor
        return self._jet(out, tuple(tangents))

    def column_totals(self, a: Jet) -> list[JetNumber]:
        rows, cols = self.shape(a)
        totals = []
        for j in range(cols):
            value = flint.arb(0)
            for i in range(rows):
                value += a.value[i, j]
            derivatives: list[Any | None] = []
            for t in self._tangents(a):
                if t is None:
                    derivatives.append(None)
                    continue
                total = flint.arb(0)
                for i in range(rows):
                    total += t[i, j]
                derivatives.append(total)
            totals.append(JetNumber(value, tuple(derivatives)))
        return totals

    def total(self, values: Sequence[JetNumber]) -> JetNumber:
        result = JetNumber(flint.arb(0), (None,) * self.directions)
        for v in values:
            result = result + v
        return result

    def finite(self, value: Any, what: str, at: str) -> Any:
        return value
