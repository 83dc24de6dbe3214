"""Interval versions of the activations, compiled from their one SymPy definition.

:mod:`symnn.core.calculus` defines each activation (and, by ``sympy.diff``, its derivative)
once.  This module walks that expression tree once per activation and returns a Python
function on :class:`~symnn.core.interval.Interval` values, so the rounding judge uses
exactly the definition the rest of symnn uses, with no second hand-typed formula.

``Piecewise`` branches are evaluated on the part of the interval where their condition
holds, so ReLU of [-1, 2] is [0, 2], not a looser hull.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import cache

import sympy as sp

from symnn.core import interval as iv
from symnn.core.calculus import ACTIVATIONS, alpha, x
from symnn.core.interval import Interval
from symnn.errors import ParseError

Environment = dict[sp.Symbol, Interval]
Compiled = Callable[[Environment], Interval]


@cache
def activation(name: str, derivative: bool) -> Callable[[Interval, Interval], Interval]:
    """The activation ``name`` (or its derivative) as a function of an interval and alpha.

    >>> relu = activation("relu", derivative=False)
    >>> relu(Interval(Fraction(-1), Fraction(2)), Interval.point(Fraction(1)))
    Interval(lo=Fraction(0, 1), hi=Fraction(2, 1))
    """
    if name not in ACTIVATIONS:
        raise ParseError(f"the activation {name} is not defined in symnn.core.calculus")
    compiled = _compiled(name, derivative)

    def evaluate(value: Interval, slope: Interval) -> Interval:
        return compiled({x: value, alpha: slope})

    return evaluate


def enclosure(expr: sp.Basic) -> Interval:
    """A rigorous enclosure of a numeric SymPy expression (no free symbols).

    SymPy's own comparisons evaluate at low precision and can be wrong for tiny values
    (``log(1 + e^-59.7) > 0`` comes out False); the sign of an enclosure is certain
    whenever the enclosure does not contain zero.

    >>> enclosure(sp.log(1 + sp.exp(-sp.Rational(597, 10)))).lo > 0
    True
    """
    return _compile(expr)({})


@cache
def _compiled(name: str, derivative: bool) -> Compiled:
    definition = ACTIVATIONS[name]
    return _compile(definition.derivative if derivative else definition.definition)


def _compile(expr: sp.Basic) -> Compiled:
    for kind, compiler in _COMPILERS:
        if isinstance(expr, kind):
            return compiler(expr)
    raise ParseError(f"cannot evaluate {type(expr).__name__} on intervals")  # a new calculus rule


def _number(expr: sp.Basic) -> Compiled:
    value = Interval.point(Fraction(int(expr.p), int(expr.q)))
    return lambda environment: value


def _symbol(expr: sp.Basic) -> Compiled:
    def lookup(environment: Environment) -> Interval:
        if expr not in environment:
            raise ParseError(f"no value for {expr} in an activation")
        return environment[expr]

    return lookup


def _fold(operation: Callable[[Interval, Interval], Interval]) -> Callable[[sp.Basic], Compiled]:
    def compiler(expr: sp.Basic) -> Compiled:
        parts = [_compile(arg) for arg in expr.args]

        def evaluate(environment: Environment) -> Interval:
            result = parts[0](environment)
            for part in parts[1:]:
                result = operation(result, part(environment))
            return result

        return evaluate

    return compiler


def _power(expr: sp.Basic) -> Compiled:
    base, exponent = (_compile(arg) for arg in expr.args)
    return lambda environment: iv.power(base(environment), exponent(environment))


def _unary(function: Callable[[Interval], Interval]) -> Callable[[sp.Basic], Compiled]:
    def compiler(expr: sp.Basic) -> Compiled:
        argument = _compile(expr.args[0])
        return lambda environment: function(argument(environment))

    return compiler


def _constant(value: Callable[[], Interval]) -> Callable[[sp.Basic], Compiled]:
    return lambda expr: lambda environment: value()


def _many(function: Callable[[list[Interval]], Interval]) -> Callable[[sp.Basic], Compiled]:
    def compiler(expr: sp.Basic) -> Compiled:
        parts = [_compile(arg) for arg in expr.args]
        return lambda environment: function([part(environment) for part in parts])

    return compiler


def _piecewise(expr: sp.Basic) -> Compiled:
    branches = [(_compile(value), condition) for value, condition in expr.args]

    def evaluate(environment: Environment) -> Interval:
        remaining: Interval | None = environment[x]
        result: Interval | None = None
        for value, condition in branches:
            if remaining is None:
                break
            holds, remaining = _split(condition, remaining)
            if holds is not None:
                part = value({**environment, x: holds})
                result = part if result is None else result.hull(part)
        if result is None:
            raise ParseError("no branch of a piecewise activation applies")
        return result

    return evaluate


def _split(condition: sp.Basic, domain: Interval) -> tuple[Interval | None, Interval | None]:
    """(part of domain where condition holds, part where it does not), closed at the edge."""
    if condition is sp.true:
        return domain, None
    if not isinstance(condition, sp.core.relational.Relational) or condition.lhs != x:
        raise ParseError(f"cannot split an interval on the condition {condition}")
    edge = Fraction(int(condition.rhs.p), int(condition.rhs.q))
    above = isinstance(condition, (sp.StrictGreaterThan, sp.GreaterThan))
    strict = isinstance(condition, (sp.StrictGreaterThan, sp.StrictLessThan))
    upper_part = Interval(max(domain.lo, edge), domain.hi)
    lower_part = Interval(domain.lo, min(domain.hi, edge))
    upper_exists = domain.hi > edge if strict == above else domain.hi >= edge
    lower_exists = domain.lo <= edge if strict == above else domain.lo < edge
    upper = upper_part if upper_exists else None
    lower = lower_part if lower_exists else None
    return (upper, lower) if above else (lower, upper)


_COMPILERS: tuple[tuple[type, Callable[[sp.Basic], Compiled]], ...] = (
    (sp.Rational, _number),
    (sp.Symbol, _symbol),
    (sp.Add, _fold(lambda a, b: a + b)),
    (sp.Mul, _fold(lambda a, b: a * b)),
    (sp.Pow, _power),
    (sp.exp, _unary(iv.exp)),
    (sp.log, _unary(iv.log)),
    (sp.tanh, _unary(iv.tanh)),
    (sp.Piecewise, _piecewise),
    (type(sp.E), _constant(iv.euler)),
    (type(sp.pi), _constant(iv.pi)),
    (sp.Abs, _unary(iv.absolute)),
    (sp.Max, _many(iv.maximum)),
    (sp.Min, _many(iv.minimum)),
)
"""How each kind of SymPy node becomes an interval function (checked in order)."""
