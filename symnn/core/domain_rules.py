"""The primitive rules of the number domains in :mod:`symnn.core.domains`.

Comparisons and signs on exact numbers and balls, the functions of one interval, and the
one way intervals choose Piecewise branches: each branch is evaluated on the part of the
interval where its condition may hold, and the results are joined.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import flint

from symnn.core import interval as iv
from symnn.core.interval import Interval

Env = Sequence[Any]
Closure = Callable[[Env], Any]
Split = Callable[[Env], tuple[Env | None, Env | None]]

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt, "ge": operator.ge, "lt": operator.lt,
    "le": operator.le, "eq": operator.eq, "ne": operator.ne,
}


def compare(op: str, a: Any, b: Any) -> bool:
    """``a op b`` with Python's comparison (certain-only for arb balls)."""
    return _OPERATORS[op](a, b)


class Undecided(Exception):
    """A branch condition could not be decided on a ball; more precision may decide it."""


def rational_sign(value: Any) -> Any:
    return flint.fmpq(int(value > 0) - int(value < 0))


def ball_sign(value: Any) -> Any:
    # The derivative of abs: a ball straddling 0 (but not exactly 0) cannot be given a sign.
    for test, sign in ((value > 0, 1), (value < 0, -1), (value == 0, 0)):
        if test:
            return flint.arb(sign)
    raise Undecided(f"cannot decide the sign of {value}")


def _interval_sign(x: Interval) -> Interval:
    return Interval(Fraction((x.lo > 0) - (x.lo < 0)), Fraction((x.hi > 0) - (x.hi < 0)))


def _fixing(value: Fraction, function: Callable[[Interval], Interval]) -> Callable[[Interval], Interval]:
    """``function``, but exactly ``value`` at the point 0 (sinh 0 = 0, cos 0 = 1)."""
    exact = Interval.point(value)
    return lambda x: exact if x.is_point and x.lo == 0 else function(x)


def interval_functions() -> dict[str, Callable[[Interval], Interval]]:
    """The functions of one interval, by program name."""
    zero, one = Fraction(0), Fraction(1)
    return {
        "exp": iv.exp, "log": iv.log, "tanh": iv.tanh, "abs": iv.absolute, "sign": _interval_sign,
        "sinh": _fixing(zero, lambda x: iv.increasing(lambda v: v.sinh(), x)),
        "atan": _fixing(zero, lambda x: iv.increasing(lambda v: v.atan(), x)),
        "erf": _fixing(zero, lambda x: iv.increasing(lambda v: v.erf(), x)),
        "cosh": _fixing(one, lambda x: iv.increasing(lambda v: v.cosh(), iv.absolute(x))),
        "sin": _fixing(zero, lambda x: iv.over_ball(lambda v: v.sin(), x)),
        "cos": _fixing(one, lambda x: iv.over_ball(lambda v: v.cos(), x)),
    }


# ---------------------------------------------------------------------------
# Piecewise over intervals.


def _truth(op: str, a: Interval, b: Interval) -> bool | None:
    """Whether ``a op b`` holds for every choice (True), for none (False), or it depends (None)."""
    if op in ("lt", "le"):
        return _truth("gt" if op == "lt" else "ge", b, a)
    if op in ("eq", "ne"):
        equal = True if a.is_point and b.is_point and a.lo == b.lo else (False if not a.intersects(b) else None)
        return equal if op == "eq" or equal is None else not equal
    strict = op == "gt"
    if a.lo > b.hi or (not strict and a.lo >= b.hi):
        return True
    if a.hi < b.lo or (strict and a.hi <= b.lo):
        return False
    return None


def _split_variable(op: str, index: int, edge: Closure) -> Split:
    """Split the interval of one variable at an edge: where ``x op edge`` holds and where it fails."""
    holds_above = op in ("gt", "ge")
    strict_above = op in ("gt", "le")  # the side above the edge excludes the edge itself

    def split(env: Env) -> tuple[Env | None, Env | None]:
        v, k = env[index], edge(env)
        if not k.is_point:
            return _by_truth(op, v, k, env)
        above = v.lo > k.lo if strict_above else v.lo >= k.lo
        below = v.hi <= k.lo if strict_above else v.hi < k.lo
        if above or below:
            return (env, None) if (above if holds_above else below) else (None, env)
        upper, lower = list(env), list(env)
        upper[index], lower[index] = Interval(k.lo, v.hi), Interval(v.lo, k.lo)
        return (upper, lower) if holds_above else (lower, upper)

    return split


def _by_truth(op: str, a: Interval, b: Interval, env: Env) -> tuple[Env | None, Env | None]:
    truth = _truth(op, a, b)
    return (env, None) if truth else ((None, env) if truth is False else (env, env))


def _splitter(node: tuple[Any, ...], build: Callable[[tuple[Any, ...]], Closure]) -> Split:
    tag = node[0]
    if tag in ("true", "false"):
        return (lambda env: (env, None)) if tag == "true" else (lambda env: (None, env))
    if tag == "cmp":
        op, lhs, rhs = node[1], node[2], node[3]
        if lhs[0] == "var" and op in ("gt", "ge", "lt", "le"):
            return _split_variable(op, lhs[1], build(rhs))
        if rhs[0] == "var" and op in ("gt", "ge", "lt", "le"):
            return _split_variable(_MIRRORED[op], rhs[1], build(lhs))
        left, right = build(lhs), build(rhs)
        return lambda env: _by_truth(op, left(env), right(env), env)
    truth = _three_valued(node, build)

    def split(env: Env) -> tuple[Env | None, Env | None]:
        value = truth(env)
        return (env, None) if value else ((None, env) if value is False else (env, env))

    return split


_MIRRORED = {"gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}


def _three_valued(node: tuple[Any, ...], build: Callable[[tuple[Any, ...]], Closure]) -> Callable[[Env], bool | None]:
    tag = node[0]
    if tag in ("true", "false"):
        return lambda env: tag == "true"
    if tag == "cmp":
        left, right = build(node[2]), build(node[3])
        return lambda env: _truth(node[1], left(env), right(env))
    if tag == "not":
        part = _three_valued(node[1], build)
        return lambda env: _negated(part(env))
    parts = [_three_valued(p, build) for p in node[1]]
    decisive: bool = tag == "or"  # one True decides an "or", one False an "and"

    def combine(env: Env) -> bool | None:
        values = [part(env) for part in parts]
        if decisive in values:
            return decisive
        return None if None in values else not decisive

    return combine


def _negated(truth: bool | None) -> bool | None:
    return None if truth is None else not truth


def interval_piecewise(node: tuple[Any, ...], build: Callable[[tuple[Any, ...]], Closure]) -> Closure:
    """A Piecewise over intervals: each branch on the part where its condition may hold, joined."""
    branches = [(_splitter(condition, build), build(value)) for condition, value in node[1]]

    def piecewise(env: Env) -> Interval:
        result: Interval | None = None
        current: Env | None = env
        for split, value in branches:
            if current is None:
                break
            holds, current = split(current)
            if holds is not None:
                part = value(holds)
                result = part if result is None else result.hull(part)
        if result is None:
            raise iv.Undefined("no branch of a piecewise definition applies")
        return result

    return piecewise
