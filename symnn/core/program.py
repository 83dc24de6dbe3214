"""symnn's one compiler: a SymPy definition becomes a small picklable :class:`Program`.

The rules live once, as SymPy expressions, in :mod:`symnn.core.calculus` (and in the sheet
kinds).  Walking SymPy's tree for every entry of a 256×256 network, or shipping SymPy to
the checker's worker processes, would cost far more than the arithmetic, so each
definition is compiled once into plain nested tuples; :mod:`symnn.core.domains` evaluates
a program over each number domain (exact rationals, arb balls, rigorous intervals).

Nodes: ``("num", Fraction)``, ``("var", slot)``, ``("const", "E" | "pi")``,
``("add", args)``, ``("mul", args)``, ``("pow", base, int)``, ``("rpow", base, exponent)``,
``("fn", name, arg)``, ``("max", args)``, ``("min", args)``,
``("piecewise", ((condition, value), ...))``; conditions ``("true",)``, ``("false",)``,
``("cmp", "gt" | "ge" | "lt" | "le" | "eq" | "ne", lhs, rhs)``, ``("and", parts)``,
``("or", parts)``, ``("not", part)``.

No text is evaluated: programs are built from SymPy's own expression objects.

>>> from symnn.core.calculus import ACTIVATIONS, x
>>> compile_program(ACTIVATIONS["relu"].definition, (x,))
Program(variables=('x',), body=('piecewise', ((('cmp', 'gt', ('var', 0), ('num', Fraction(0, 1))), ('var', 0)), (('true',), ('num', Fraction(0, 1))))))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import cache, lru_cache
from typing import Any

import sympy as sp
from sympy.core.relational import Relational

from symnn.core.domains import DOMAINS, Domain, Node, NotCompilable, Program, enclose_constant, function_of
from symnn.errors import ParseError

_FUNCTIONS: dict[type, str] = {
    sp.exp: "exp", sp.log: "log", sp.tanh: "tanh", sp.sinh: "sinh", sp.cosh: "cosh",
    sp.sin: "sin", sp.cos: "cos", sp.atan: "atan", sp.erf: "erf", sp.Abs: "abs", sp.sign: "sign",
}
"""SymPy functions of one argument, by the name the domains know them by."""

_RELATIONS: dict[type, str] = {
    sp.StrictGreaterThan: "gt", sp.GreaterThan: "ge", sp.StrictLessThan: "lt",
    sp.LessThan: "le", sp.Equality: "eq", sp.Unequality: "ne",
}

_CONSTANTS: dict[sp.Basic, str] = {sp.E: "E", sp.pi: "pi"}


@lru_cache(maxsize=4096)
def compile_program(expr: sp.Basic, variables: tuple[sp.Symbol, ...] | None = None) -> Program:
    """Compile a SymPy expression (built by symnn, never parsed from text) into a :class:`Program`.

    ``variables`` fixes the argument order; by default the free symbols sorted by name.

    >>> t = sp.Symbol("t")
    >>> compile_program(1 / (1 + sp.exp(-t))).variables
    ('t',)
    """
    expr = sp.sympify(expr, strict=True)
    if variables is None:
        variables = tuple(sorted(expr.free_symbols, key=lambda s: s.name))
    slots = {v: i for i, v in enumerate(variables)}
    return Program(tuple(v.name for v in variables), _node(expr, slots))


def _node(expr: sp.Basic, slots: dict[sp.Symbol, int]) -> Node:
    for kind in type(expr).__mro__:
        compiler = _COMPILERS.get(kind)
        if compiler is not None:
            return compiler(expr, slots)
    if type(expr) in _FUNCTIONS and len(expr.args) == 1:
        return ("fn", _FUNCTIONS[type(expr)], _node(expr.args[0], slots))
    raise NotCompilable(f"{type(expr).__name__} is not supported")


def _symbol(expr: sp.Symbol, slots: dict[sp.Symbol, int]) -> Node:
    if expr not in slots:
        raise NotCompilable(f"free symbol {expr} is not an argument")
    return ("var", slots[expr])


def _constant(expr: sp.Basic, slots: dict[sp.Symbol, int]) -> Node:
    if expr not in _CONSTANTS:
        raise NotCompilable(f"the constant {expr} is not supported")
    return ("const", _CONSTANTS[expr])


def _pow(expr: sp.Pow, slots: dict[sp.Symbol, int]) -> Node:
    base = _node(expr.base, slots)
    if expr.exp.is_Integer:
        return ("pow", base, int(expr.exp))
    return ("rpow", base, _node(expr.exp, slots))


def _many(tag: str) -> Callable[[sp.Basic, dict[sp.Symbol, int]], Node]:
    return lambda expr, slots: (tag, tuple(_node(arg, slots) for arg in expr.args))


def _piecewise(expr: sp.Piecewise, slots: dict[sp.Symbol, int]) -> Node:
    return ("piecewise", tuple((_node(pair.cond, slots), _node(pair.expr, slots)) for pair in expr.args))


def _relational(expr: Relational, slots: dict[sp.Symbol, int]) -> Node:
    if type(expr) not in _RELATIONS:
        raise NotCompilable(f"the condition {expr} is not supported")
    return ("cmp", _RELATIONS[type(expr)], _node(expr.lhs, slots), _node(expr.rhs, slots))


_COMPILERS: dict[type, Callable[[Any, dict[sp.Symbol, int]], Node]] = {
    sp.Symbol: _symbol,
    sp.Rational: lambda expr, slots: ("num", Fraction(int(expr.p), int(expr.q))),
    sp.NumberSymbol: _constant,
    sp.Add: _many("add"),
    sp.Mul: _many("mul"),
    sp.Pow: _pow,
    sp.Max: _many("max"),
    sp.Min: _many("min"),
    sp.Piecewise: _piecewise,
    Relational: _relational,
    sp.logic.boolalg.BooleanTrue: lambda expr, slots: ("true",),
    sp.logic.boolalg.BooleanFalse: lambda expr, slots: ("false",),
    sp.And: _many("and"),
    sp.Or: _many("or"),
    sp.Not: lambda expr, slots: ("not", _node(expr.args[0], slots)),
}


def compile_expression(expr: sp.Basic, variables: Sequence[sp.Symbol], domain: Domain) -> Callable[..., Any]:
    """A function of ``variables`` (positional) evaluating ``expr`` over ``domain``.

    >>> from sympy import QQ
    >>> from symnn.core.calculus import ACTIVATIONS, x
    >>> from symnn.core.domains import RATIONALS
    >>> relu = compile_expression(ACTIVATIONS["relu"].definition, [x], RATIONALS)
    >>> relu(QQ(-1, 3)), relu(QQ(5, 2))
    (0, 5/2)
    >>> compile_expression(ACTIVATIONS["sigmoid"].definition, [x], RATIONALS)
    Traceback (most recent call last):
    ...
    symnn.core.domains.NotCompilable: exp is not available over QQ
    """
    return function_of(compile_program(expr, tuple(variables)), domain)


@cache
def compiled(expr: sp.Basic, variables: tuple[sp.Symbol, ...], domain_name: str) -> Callable[..., Any] | None:
    """:func:`compile_expression` cached per definition, or ``None`` when not compilable."""
    try:
        return compile_expression(expr, variables, DOMAINS[domain_name])
    except NotCompilable:
        return None


@cache
def activation_program(name: str, derivative: bool) -> Program:
    """An activation of :mod:`symnn.core.calculus` (or its derivative) as a program in (x, alpha)."""
    from symnn.core.calculus import ACTIVATIONS, alpha, x

    if name not in ACTIVATIONS:
        raise ParseError(f"the activation {name} is not defined in symnn.core.calculus")
    rule = ACTIVATIONS[name]
    return compile_program(rule.derivative if derivative else rule.definition, (x, alpha))


def enclose(expr: sp.Basic) -> tuple[Fraction, Fraction]:
    """Rigorous rational bounds of a numeric SymPy expression (no free symbols), from arb balls.

    Raises :class:`NotCompilable` for what the compiler cannot read and ``ValueError`` for a
    value that is not a finite real number.

    >>> low, high = enclose(sp.log(2))
    >>> float(low)
    0.6931471805599453
    """
    return enclose_constant(compile_program(expr))
