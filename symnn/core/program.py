"""Fast evaluators compiled from the calculus definitions, over exact or ball arithmetic.

The rules themselves live once, as SymPy expressions, in :mod:`symnn.core.calculus`.  Using
``subs`` on them for every entry of a 256×256 network would cost far more than the
matrix products, so each definition is compiled once into nested Python closures
that walk the same expression tree over a *ring*:

* :data:`RATIONALS` — flint ``fmpq`` numbers (SymPy's ``QQ``); an expression that needs
  ``exp``, ``log`` or a fractional power is not compilable here, which is exactly how
  symnn tells piecewise-linear rules (exact over the rationals) from transcendental ones;
* :data:`BALLS` — python-flint ``arb`` balls, for certified decimals.  A Piecewise branch
  condition that a ball cannot decide (a ball straddling ReLU's kink) raises
  :class:`Undecided` so the caller can retry at a higher precision.

No text is evaluated: the closures are built from SymPy's own expression objects.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import flint
import sympy as sp
from sympy import QQ
from sympy.core.relational import Relational

Env = Sequence[Any]
Closure = Callable[[Env], Any]


class NotCompilable(Exception):
    """The expression uses an operation the ring does not have (e.g. ``exp`` over QQ)."""


class Undecided(Exception):
    """A branch condition could not be decided on a ball; more precision may decide it."""


@dataclass(frozen=True, slots=True)
class Ring:
    """Arithmetic that compiled expressions run in."""

    name: str
    """Short name used in messages, e.g. ``"QQ"``."""
    constant: Callable[[sp.Rational], Any]
    """A SymPy rational as an element of the ring."""
    functions: Mapping[type, Callable[[Any], Any]]
    """Elementary functions by SymPy class (``sp.exp`` → ``arb.exp``); absent means unsupported."""
    named_constants: Mapping[sp.Basic, Callable[[], Any]]
    """Constants such as E and pi."""
    decide: Callable[[Callable[[Any, Any], bool], Callable[[Any, Any], bool], Any, Any], bool]
    """``decide(op, negated_op, a, b)``: whether ``op(a, b)`` holds, or raise :class:`Undecided`."""
    real_powers: bool
    """Whether non-integer exponents are available (balls: yes; rationals: no)."""


def _decide_exactly(op: Callable[[Any, Any], bool], negated: Callable[[Any, Any], bool],
                    a: Any, b: Any) -> bool:
    return op(a, b)


def _decide_on_balls(op: Callable[[Any, Any], bool], negated: Callable[[Any, Any], bool],
                     a: Any, b: Any) -> bool:
    # arb comparisons are True only when certain, so both directions must be asked.
    if op(a, b):
        return True
    if negated(a, b):
        return False
    raise Undecided(f"cannot decide {a} vs {b}")


def _rational_sign(value: Any) -> Any:
    return QQ(int(value > 0) - int(value < 0))


def _ball_sign(value: Any) -> Any:
    # The derivative of abs: a ball straddling 0 (but not exactly 0) cannot be given a sign.
    for test, sign in ((value > 0, 1), (value < 0, -1), (value == 0, 0)):
        if test:
            return flint.arb(sign)
    raise Undecided(f"cannot decide the sign of {value}")


def _ball_constant(value: sp.Rational) -> Any:
    return flint.arb(flint.fmpq(int(value.p), int(value.q)))


RATIONALS = Ring(
    name="QQ",
    constant=lambda value: QQ(int(value.p), int(value.q)),
    # abs and sign keep rationals rational (custom formulas such as x / (1 + abs(x))).
    functions={sp.Abs: abs, sp.sign: _rational_sign},
    named_constants={},
    decide=_decide_exactly,
    real_powers=False,
)
"""Exact rational arithmetic with flint ``fmpq`` elements."""

BALLS = Ring(
    name="arb",
    constant=_ball_constant,
    functions={
        sp.exp: lambda v: v.exp(),
        sp.log: lambda v: v.log(),
        sp.tanh: lambda v: v.tanh(),
        sp.sinh: lambda v: v.sinh(),
        sp.cosh: lambda v: v.cosh(),
        sp.sin: lambda v: v.sin(),
        sp.cos: lambda v: v.cos(),
        sp.atan: lambda v: v.atan(),
        sp.erf: lambda v: v.erf(),
        sp.Abs: lambda v: abs(v),
        sp.sign: _ball_sign,
    },
    named_constants={sp.E: flint.arb.const_e, sp.pi: flint.arb.pi},
    decide=_decide_on_balls,
    real_powers=True,
)
"""Ball arithmetic with python-flint ``arb`` at the context precision."""

_RELATIONS: dict[type, tuple[Callable[[Any, Any], bool], Callable[[Any, Any], bool]]] = {
    sp.StrictGreaterThan: (operator.gt, operator.le),
    sp.GreaterThan: (operator.ge, operator.lt),
    sp.StrictLessThan: (operator.lt, operator.ge),
    sp.LessThan: (operator.le, operator.gt),
    sp.Equality: (operator.eq, operator.ne),
    sp.Unequality: (operator.ne, operator.eq),
}


def _symbol(node: sp.Symbol, slots: Mapping[sp.Symbol, int], ring: Ring) -> Closure:
    if node not in slots:
        raise NotCompilable(f"free symbol {node} is not an argument")
    index = slots[node]
    return lambda env: env[index]


def _rational(node: sp.Rational, slots: Mapping[sp.Symbol, int], ring: Ring) -> Closure:
    value = ring.constant(node)
    return lambda env: value


def _named_constant(node: sp.Basic, slots: Mapping[sp.Symbol, int], ring: Ring) -> Closure:
    if node not in ring.named_constants:
        raise NotCompilable(f"{node} is not available over {ring.name}")
    make = ring.named_constants[node]
    return lambda env: make()


def _add(node: sp.Add, slots: Mapping[sp.Symbol, int], ring: Ring) -> Closure:
    terms = [compile_node(arg, slots, ring) for arg in node.args]
    first, rest = terms[0], terms[1:]

    def add(env: Env) -> Any:
        total = first(env)
        for term in rest:
            total = total + term(env)
        return total

    return add


def _mul(node: sp.Mul, slots: Mapping[sp.Symbol, int], ring: Ring) -> Closure:
    factors = [compile_node(arg, slots, ring) for arg in node.args]
    first, rest = factors[0], factors[1:]

    def mul(env: Env) -> Any:
        product = first(env)
        for factor in rest:
            product = product * factor(env)
        return product

    return mul


def _pow(node: sp.Pow, slots: Mapping[sp.Symbol, int], ring: Ring) -> Closure:
    base = compile_node(node.base, slots, ring)
    if node.exp.is_Integer:
        exponent = int(node.exp)
        return lambda env: base(env) ** exponent
    if not ring.real_powers:
        raise NotCompilable(f"the power {node} is not rational")
    power = compile_node(node.exp, slots, ring)
    return lambda env: base(env) ** power(env)


def _function(node: sp.Function, slots: Mapping[sp.Symbol, int], ring: Ring) -> Closure:
    function = ring.functions.get(type(node))
    if function is None or len(node.args) != 1:
        raise NotCompilable(f"{type(node).__name__} is not available over {ring.name}")
    argument = compile_node(node.args[0], slots, ring)
    return lambda env: function(argument(env))


def _relational(node: Relational, slots: Mapping[sp.Symbol, int], ring: Ring) -> Closure:
    op, negated = _RELATIONS[type(node)]
    lhs, rhs = compile_node(node.lhs, slots, ring), compile_node(node.rhs, slots, ring)
    decide = ring.decide
    return lambda env: decide(op, negated, lhs(env), rhs(env))


def _true(node: sp.Basic, slots: Mapping[sp.Symbol, int], ring: Ring) -> Closure:
    return lambda env: True


def _false(node: sp.Basic, slots: Mapping[sp.Symbol, int], ring: Ring) -> Closure:
    return lambda env: False


def _and(node: sp.And, slots: Mapping[sp.Symbol, int], ring: Ring) -> Closure:
    parts = [compile_node(arg, slots, ring) for arg in node.args]
    return lambda env: all(part(env) for part in parts)


def _or(node: sp.Or, slots: Mapping[sp.Symbol, int], ring: Ring) -> Closure:
    parts = [compile_node(arg, slots, ring) for arg in node.args]
    return lambda env: any(part(env) for part in parts)


def _not(node: sp.Not, slots: Mapping[sp.Symbol, int], ring: Ring) -> Closure:
    part = compile_node(node.args[0], slots, ring)
    return lambda env: not part(env)


def _piecewise(node: sp.Piecewise, slots: Mapping[sp.Symbol, int], ring: Ring) -> Closure:
    branches = [(compile_node(pair.expr, slots, ring), compile_node(pair.cond, slots, ring))
                for pair in node.args]

    def piecewise(env: Env) -> Any:
        for value, condition in branches:
            if condition(env):
                return value(env)
        raise NotCompilable("no Piecewise branch applies")

    return piecewise


_COMPILERS: dict[type, Callable[[Any, Mapping[sp.Symbol, int], Ring], Closure]] = {
    sp.Symbol: _symbol,
    sp.Rational: _rational,
    sp.NumberSymbol: _named_constant,
    sp.Add: _add,
    sp.Mul: _mul,
    sp.Pow: _pow,
    sp.Piecewise: _piecewise,
    sp.Function: _function,
    Relational: _relational,
    sp.logic.boolalg.BooleanTrue: _true,
    sp.logic.boolalg.BooleanFalse: _false,
    sp.And: _and,
    sp.Or: _or,
    sp.Not: _not,
}


def compile_node(node: sp.Basic, slots: Mapping[sp.Symbol, int], ring: Ring) -> Closure:
    """A closure evaluating ``node`` with argument values taken from an env sequence."""
    for kind in type(node).__mro__:
        compiler = _COMPILERS.get(kind)
        if compiler is not None:
            return compiler(node, slots, ring)
    raise NotCompilable(f"{type(node).__name__} is not supported over {ring.name}")


def compile_expression(expr: sp.Basic, variables: Sequence[sp.Symbol], ring: Ring) -> Callable[..., Any]:
    """A function of ``variables`` (positional) evaluating ``expr`` over ``ring``.

    >>> from symnn.core.calculus import ACTIVATIONS, x
    >>> relu = compile_expression(ACTIVATIONS["relu"].definition, [x], RATIONALS)
    >>> relu(QQ(-1, 3)), relu(QQ(5, 2))
    (0, 5/2)
    >>> compile_expression(ACTIVATIONS["sigmoid"].definition, [x], RATIONALS)
    Traceback (most recent call last):
    ...
    symnn.core.program.NotCompilable: exp is not available over QQ
    """
    body = compile_node(sp.sympify(expr, strict=True), {v: i for i, v in enumerate(variables)}, ring)
    return lambda *values: body(values)


@cache
def compiled(expr: sp.Basic, variables: tuple[sp.Symbol, ...], ring_name: str) -> Callable[..., Any] | None:
    """:func:`compile_expression` cached per definition, or ``None`` when not compilable."""
    try:
        return compile_expression(expr, variables, _RINGS[ring_name])
    except NotCompilable:
        return None


_RINGS = {RATIONALS.name: RATIONALS, BALLS.name: BALLS}
