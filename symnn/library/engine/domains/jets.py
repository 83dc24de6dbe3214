"""Forward-mode derivatives over ``arb`` balls: a value with its tangent in every parameter direction.

A :class:`Jet` is an ``arb_mat`` of values (r × c) and the ``arb_mat`` of their derivatives
along ``P`` directions (r·c × P: row i·c + j holds entry (i, j)'s derivatives; ``None`` for a
constant such as the inputs and targets).  Every operation maps the tangents by one matrix
product (a Kronecker factor, a diagonal of partial derivatives, a permutation), so the work
per direction stays inside flint.  :class:`JetDomain` implements the engine's
:class:`~symnn.library.engine.passes.Domain` on jets: matrix arithmetic by the product and
sum rules, and every rule (an activation, a loss delta, softmax) by its one SymPy
definition — the value from the definition, each partial derivative from ``sympy.diff`` of
that same definition, both compiled by :func:`symnn.core.program.compiled` over balls, as
:class:`~symnn.library.engine.domains.balls.BallDomain` does.  Seeded at a box of parameters
with unit tangents, one gradient-descent step in this domain gives an enclosure of the
step's Jacobian over the whole box (:func:`symnn.library.mean_value.mean_value_step`
uses it).

A branch condition a ball cannot decide raises :class:`symnn.core.program.Undecided`, as over
balls.  A rule whose derivative the compiler cannot read raises :class:`NoDerivative`.

>>> import flint
>>> from symnn.library.engine import layer_rule
>>> d = JetDomain(1)
>>> z = Jet(flint.arb_mat([[0]]), flint.arb_mat([[1]]))
>>> out = d.entrywise(layer_rule("tanh").function(), [z])
>>> out.value[0, 0], out.tangent[0, 0]
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


class NoDerivative(Exception):
    """A rule (or its ``sympy.diff`` derivative) cannot be evaluated over balls."""


@dataclass(frozen=True, slots=True)
class Jet:
    """A matrix of balls with its derivative along every direction."""

    value: Any
    """The ``arb_mat`` of values, r × c."""
    tangent: Any | None
    """The r·c × P ``arb_mat`` of derivatives (row i·c + j: entry (i, j)); None: a constant."""


@dataclass(frozen=True, slots=True)
class JetNumber:
    """A scalar ball with its derivative along every direction (a loss, a column total)."""

    value: Any
    """The ``arb`` value."""
    tangent: Any | None
    """The 1 × P ``arb_mat`` of derivatives; None: a constant."""

    def __add__(self, other: JetNumber) -> JetNumber:
        return JetNumber(self.value + other.value, _plus(self.tangent, other.tangent))

    def __truediv__(self, whole: int) -> JetNumber:
        return JetNumber(self.value / whole, None if self.tangent is None else self.tangent / whole)


def _plus(a: Any | None, b: Any | None) -> Any | None:
    if a is None:
        return b
    return a if b is None else a + b


def _times(left: Any, tangent: Any | None) -> Any | None:
    return None if tangent is None else left * tangent


def _sparse(rows: int, cols: int, entries: dict[tuple[int, int], Any]) -> Any:
    """An ``arb_mat`` with the given entries, zero elsewhere."""
    matrix = flint.arb_mat(rows, cols)
    for (i, j), value in entries.items():
        matrix[i, j] = value
    return matrix


def _diagonal(values: Sequence[Any]) -> Any:
    return _sparse(len(values), len(values), {(i, i): v for i, v in enumerate(values)})


@cache
def _transposition(rows: int, cols: int) -> Any:
    """The permutation taking the row-major entries of an r × c matrix to those of its transpose."""
    return _sparse(rows * cols, rows * cols, {(j * rows + i, i * cols + j): 1 for i in range(rows) for j in range(cols)})


@cache
def _spread(rows: int, cols: int) -> Any:
    """(r·c × r): entry (i, j) of a matrix whose every column is a given r-column."""
    return _sparse(rows * cols, rows, {(i * cols + j, i): 1 for i in range(rows) for j in range(cols)})


@cache
def _column_sum(rows: int, cols: int) -> Any:
    """(c × r·c): the sum of each column's entries."""
    return _sparse(cols, rows * cols, {(j, i * cols + j): 1 for i in range(rows) for j in range(cols)})


def _function(expr: sp.Expr, variables: tuple[sp.Symbol, ...]) -> Any:
    function = compiled(expr, variables, BALLS.name)
    if function is None:
        raise NoDerivative(f"{expr} cannot be evaluated over balls")
    return function


def _derivative(expr: sp.Expr, variable: sp.Symbol) -> sp.Expr:
    """``sympy.diff`` of ``expr``, its distributions replaced by their values away from their jumps.

    The derivative of ``sign`` (from a custom formula's ``abs``) is ``DiracDelta``, of ``Max``
    a ``Heaviside``: on a box where their argument stays away from 0 the rule is smooth and they
    are 0 and 0 or 1; a ball that touches 0 decides no branch (:class:`Undecided`, or no value).
    """
    derivative = sp.diff(expr, variable)
    return derivative.replace(sp.DiracDelta, lambda arg, *order: sp.Piecewise((0, sp.Ne(arg, 0)))).replace(
        sp.Heaviside, lambda arg, *at_zero: sp.Piecewise((1, arg > 0), (0, arg < 0)))


@cache
def _entry_rule(rule: Rule) -> tuple[Any, tuple[Any, ...]]:
    """The rule's value and its partial derivatives by ``sympy.diff``, compiled over balls."""
    symbols = (*rule.variables, *(s for s, _ in rule.constants))
    partials = tuple(_function(_derivative(rule.expr, v), symbols) for v in rule.variables)
    return _function(rule.expr, symbols), partials


@cache
def _column_rule(rule: ColumnRule) -> tuple[tuple[Any, ...], tuple[tuple[Any, ...], ...]]:
    """Each row's formula and its partial derivatives in every column variable, by ``sympy.diff``."""
    values = tuple(_function(e, rule.variables) for e in rule.exprs)
    partials = tuple(tuple(_function(_derivative(e, v), rule.variables) for v in rule.variables) for e in rule.exprs)
    return values, partials


def _scaled(entries: list[Any], factor: Any) -> list[Any]:
    return entries if factor is None else [v * factor for v in entries]


class JetDomain:
    """Jets with ``directions`` tangent directions; rules evaluated with their ``sympy.diff`` partials."""

    name = "arb-jet"

    def __init__(self, directions: int) -> None:
        self.directions = directions

    def shape(self, a: Jet) -> tuple[int, int]:
        return a.value.nrows(), a.value.ncols()

    def matmul(self, a: Jet, b: Jet) -> Jet:
        """d(AB) = dA·B + A·dB, row-major: (I_n ⊗ Bᵀ) dA + (A ⊗ I_m) dB."""
        (n, k), m = self.shape(a), b.value.ncols()
        tangent = None
        if a.tangent is not None:
            right = _sparse(n * m, n * k, {(i * m + j, i * k + l): b.value[l, j]
                                           for i in range(n) for j in range(m) for l in range(k)})
            tangent = right * a.tangent
        if b.tangent is not None:
            left = _sparse(n * m, k * m, {(i * m + j, l * m + j): a.value[i, l]
                                          for i in range(n) for j in range(m) for l in range(k)})
            tangent = _plus(tangent, left * b.tangent)
        return Jet(a.value * b.value, tangent)

    def transpose(self, a: Jet) -> Jet:
        return Jet(a.value.transpose(), _times(_transposition(*self.shape(a)), a.tangent))

    def add(self, a: Jet, b: Jet) -> Jet:
        return Jet(a.value + b.value, _plus(a.tangent, b.tangent))

    def sub(self, a: Jet, b: Jet) -> Jet:
        tangent = a.tangent if b.tangent is None else (-b.tangent if a.tangent is None else a.tangent - b.tangent)
        return Jet(a.value - b.value, tangent)

    def hadamard(self, a: Jet, b: Jet) -> Jet:
        """d(a ∘ b) = diag(b) da + diag(a) db."""
        av, bv = a.value.entries(), b.value.entries()
        rows, cols = self.shape(a)
        tangent = _plus(None if a.tangent is None else _diagonal(bv) * a.tangent,
                        None if b.tangent is None else _diagonal(av) * b.tangent)
        return Jet(flint.arb_mat(rows, cols, [u * v for u, v in zip(av, bv)]), tangent)

    def add_bias(self, z: Jet, b: Jet) -> Jet:
        rows, cols = self.shape(z)
        value = z.value + b.value * flint.arb_mat(1, cols, [1] * cols)
        return Jet(value, _plus(z.tangent, _times(_spread(rows, cols), b.tangent)))

    def row_sums(self, a: Jet) -> Jet:
        rows, cols = self.shape(a)
        if cols == 1:
            return a
        return Jet(a.value * flint.arb_mat(cols, 1, [1] * cols),
                   _times(_column_sum(cols, rows) * _transposition(rows, cols), a.tangent))

    def scale(self, k: Any, a: Jet) -> Jet:
        factor = ball(k)
        return Jet(factor * a.value, None if a.tangent is None else factor * a.tangent)

    def entrywise(self, rule: Rule, args: Sequence[Jet], scale: Any = None) -> Jet:
        """The rule at every entry; its tangent Σ_i diag(∂rule/∂v_i) · (tangent of argument i)."""
        value_of, partials = _entry_rule(rule)
        constants = [ball(v) for _, v in rule.constants]
        factor = None if scale is None else ball(scale)
        rows, cols = self.shape(args[0])
        columns = list(zip(*(m.value.entries() for m in args)))
        values = _scaled([value_of(*entries, *constants) for entries in columns], factor)
        tangent = None
        for i, m in enumerate(args):
            if m.tangent is not None:
                slopes = _scaled([partials[i](*entries, *constants) for entries in columns], factor)
                tangent = _plus(tangent, _diagonal(slopes) * m.tangent)
        return Jet(flint.arb_mat(rows, cols, values), tangent)

    def columnwise(self, rule: ColumnRule, args: Sequence[Jet], scale: Any = None) -> Jet:
        """The rule on every column; its tangent the rule's Jacobian in each column times the column's tangent."""
        functions, partials = _column_rule(rule)
        factor = None if scale is None else ball(scale)
        rows, cols = self.shape(args[0])
        out = flint.arb_mat(rows, cols)
        slopes: list[dict[tuple[int, int], Any]] = [{} for _ in args]
        for j in range(cols):
            column = [m.value[i, j] for m in args for i in range(m.value.nrows())]
            for i, function in enumerate(functions):
                value = function(*column)
                out[i, j] = value if factor is None else value * factor
            variable = 0
            for a, m in enumerate(args):
                for k in range(m.value.nrows()):
                    if m.tangent is not None:
                        for i in range(rows):
                            slope = partials[i][variable](*column)
                            slopes[a][i * cols + j, k * cols + j] = slope if factor is None else slope * factor
                    variable += 1
        tangent = None
        for a, m in enumerate(args):
            if m.tangent is not None:
                tangent = _plus(tangent, _sparse(rows * cols, m.value.nrows() * cols, slopes[a]) * m.tangent)
        return Jet(out, tangent)

    def column_totals(self, a: Jet) -> list[JetNumber]:
        rows, cols = self.shape(a)
        sums = a.value.transpose() * flint.arb_mat(rows, 1, [1] * rows)
        tangents = None if a.tangent is None else _column_sum(rows, cols) * a.tangent
        return [JetNumber(sums[j, 0], None if tangents is None else
                          flint.arb_mat(1, self.directions, [tangents[j, p] for p in range(self.directions)]))
                for j in range(cols)]

    def total(self, values: Sequence[JetNumber]) -> JetNumber:
        result = JetNumber(flint.arb(0), None)
        for v in values:
            result = result + v
        return result

    def finite(self, value: Any, what: str, at: str) -> Any:
        return value
