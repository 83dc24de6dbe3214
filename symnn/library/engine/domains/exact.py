"""Exact DomainMatrix values: ``QQ`` (flint rationals) while rational, ``EXRAW`` expressions after.

A rule runs over ``QQ`` at full speed when every argument is rational and the rule
compiles there (:mod:`symnn.core.program`: no ``exp``, ``log`` or fractional power);
otherwise its values are SymPy expressions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import sympy as sp
from sympy import EXRAW, QQ
from sympy.polys.matrices import DomainMatrix

from symnn.core.calculus import substitute
from symnn.core.domains import RATIONALS
from symnn.core.program import compiled
from symnn.errors import MathDomainError
from symnn.library.engine.rules import ColumnRule, LayerRule, Rule


def to_expr(value: Any) -> sp.Expr:
    """An exact entry (flint rational or SymPy expression) as a SymPy expression."""
    return QQ.to_sympy(value) if QQ.of_type(value) else value


def _rational(value: Any) -> Any:
    """An exact number as a ``QQ`` element, or None when it is not rational."""
    if QQ.of_type(value):
        return value
    if isinstance(value, sp.Rational):
        return QQ(int(value.p), int(value.q))
    return None


def _unified(a: DomainMatrix, b: DomainMatrix) -> tuple[DomainMatrix, DomainMatrix]:
    if a.domain == b.domain:
        return a, b
    return a.convert_to(EXRAW), b.convert_to(EXRAW)


def _undefined(rule: Rule | ColumnRule, flat_index: int, samples: int, value: Any) -> MathDomainError:
    unit, sample = divmod(flat_index, samples)
    return MathDomainError(f"{rule.label or 'a value'} is undefined at output unit {unit + 1}, sample {sample + 1}: "
                           f"the value there is {value} (e.g. log 0 in cross-entropy)")


@cache
def _rational_function(rule: Rule) -> tuple[Callable[..., Any], tuple[Any, ...]] | None:
    """The rule over ``QQ`` with its constants, or None when it is not rational there."""
    constants = tuple(_rational(v) for _, v in rule.constants)
    if any(c is None for c in constants):
        return None
    function = compiled(rule.expr, (*rule.variables, *(s for s, _ in rule.constants)), RATIONALS.name)
    return None if function is None else (function, constants)


@cache
def _stays_rational(rule: LayerRule) -> bool:
    if rule.is_softmax:
        return False
    return _rational_function(rule.function()) is not None and _rational_function(rule.slope()) is not None


def _rational_rule(rule: Rule, args: Sequence[DomainMatrix]) -> tuple[Callable[..., Any], tuple[Any, ...]] | None:
    for m in args:
        if m.domain != QQ:
            return None
    return _rational_function(rule)


class Exact:
    """The domain of exact :class:`DomainMatrix` values (the library)."""

    name = "exact"

    def stays_rational(self, rule: LayerRule) -> bool:
        """Whether the layer's activation and slope stay ``QQ`` on rational inputs."""
        return _stays_rational(rule)

    def shape(self, a: DomainMatrix) -> tuple[int, int]:
        return a.shape  # type: ignore[no-any-return]

    def matmul(self, a: DomainMatrix, b: DomainMatrix) -> DomainMatrix:
        a, b = _unified(a, b)
        return a.matmul(b)

    def transpose(self, a: DomainMatrix) -> DomainMatrix:
        return a.transpose()

    def add(self, a: DomainMatrix, b: DomainMatrix) -> DomainMatrix:
        a, b = _unified(a, b)
        return a + b

    def sub(self, a: DomainMatrix, b: DomainMatrix) -> DomainMatrix:
        a, b = _unified(a, b)
        return a - b

    def hadamard(self, a: DomainMatrix, b: DomainMatrix) -> DomainMatrix:
        a, b = _unified(a, b)
        return a.mul_elementwise(b)

    def add_bias(self, z: DomainMatrix, b: DomainMatrix) -> DomainMatrix:
        samples = z.shape[1]
        spread = b if samples == 1 else b.matmul(DomainMatrix.ones((1, samples), b.domain))
        return self.add(z, spread)

    def row_sums(self, a: DomainMatrix) -> DomainMatrix:
        if a.shape[1] == 1:
            return a
        return a.matmul(DomainMatrix.ones((a.shape[1], 1), a.domain))

    def scale(self, k: Any, a: DomainMatrix) -> DomainMatrix:
        rational = _rational(k)
        if a.domain == QQ and rational is not None:
            return a * rational
        return a.convert_to(EXRAW) * to_expr(k)

    def entrywise(self, rule: Rule, args: Sequence[DomainMatrix], scale: Any = None) -> DomainMatrix:
        shape, samples = args[0].shape, args[0].shape[1]
        fast = _rational_rule(rule, args)
        factor = None if scale is None else _rational(scale)
        if fast is not None and (scale is None or factor is not None):
            function, constants = fast
            try:
                if len(args) == 1 and not constants:  # an activation or its slope: the common case
                    values = [function(v) for v in args[0].to_list_flat()]
                else:
                    values = [function(*entries, *constants) for entries in zip(*(m.to_list_flat() for m in args))]
            except ZeroDivisionError:
                raise self._first_undefined(rule, args, function, constants) from None
            if factor is not None:
                values = [v * factor for v in values]
            return DomainMatrix.from_list_flat(values, shape, QQ)
        columns = [m.to_list_flat() for m in args]
        constants_map = dict(rule.constants)
        exprs = []
        for k, entries in enumerate(zip(*columns)):
            value = substitute(rule.expr, {**dict(zip(rule.variables, map(to_expr, entries))), **constants_map})
            if scale is not None:
                value = value * to_expr(scale)
            if rule.label is not None and value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
                raise _undefined(rule, k, samples, to_expr(entries[0]))
            exprs.append(value)
        return DomainMatrix.from_list_flat(exprs, shape, EXRAW)

    @staticmethod
    def _first_undefined(rule: Rule, args: Sequence[DomainMatrix], function: Callable[..., Any],
                         constants: tuple[Any, ...]) -> MathDomainError:
        """The error naming the first entry where a rational rule divides by zero."""
        for k, entries in enumerate(zip(*(m.to_list_flat() for m in args))):
            try:
                function(*entries, *constants)
            except ZeroDivisionError:
                return _undefined(rule, k, args[0].shape[1], to_expr(entries[0]))
        return MathDomainError(f"{rule.label or 'a value'} is undefined")

    def columnwise(self, rule: ColumnRule, args: Sequence[DomainMatrix], scale: Any = None) -> DomainMatrix:
        rows, cols = args[0].shape
        entries = [[[to_expr(v) for v in row] for row in m.to_list()] for m in args]
        values = [[sp.S.Zero] * cols for _ in range(rows)]
        for j in range(cols):
            mapping = dict(zip(rule.variables, [m[i][j] for m in entries for i in range(len(m))]))
            for i, expr in enumerate(rule.exprs):
                value = expr.xreplace(mapping)
                values[i][j] = value if scale is None else value * to_expr(scale)
        return DomainMatrix(values, (rows, cols), EXRAW)

    def column_totals(self, a: DomainMatrix) -> list[Any]:
        return [sp.Add(*[to_expr(v) for v in column]) for column in a.transpose().to_list()]

    def total(self, values: Sequence[Any]) -> Any:
        return sp.Add(*values)

    def finite(self, value: Any, what: str, at: str) -> Any:
        return value


EXACT = Exact()
"""The exact DomainMatrix domain."""
