"""A compiled :class:`~symnn.core.program.Program` evaluated over each number domain symnn needs.

* :data:`RATIONALS` — exact flint ``fmpq`` numbers (SymPy's ``QQ``); a program that needs
  ``exp``, ``log`` or a fractional power is not available here, which is exactly how
  symnn tells piecewise-linear rules (exact over the rationals) from transcendental ones;
* :data:`BALLS` — python-flint ``arb`` balls at the context precision, for certified
  decimals.  A branch condition a ball cannot decide (a ball straddling ReLU's kink)
  raises :class:`Undecided`, so the caller can retry at a higher precision;
* :data:`INTERVALS` — rigorous :class:`~symnn.core.interval.Interval` enclosures over
  intervals of inputs.  A Piecewise branch is evaluated on the part of the interval where
  its condition holds, so ReLU of [-1, 2] is [0, 2], not a looser hull.

Each domain chooses a Piecewise branch one way: the first condition that holds (exactly,
or certainly on a ball); intervals take the hull of every branch that may hold, each on
its own part.  A program is turned once per domain into nested closures
(:func:`function_of`, cached), so mapping a rule over every entry of a large matrix costs
little more than the arithmetic.  Nothing here imports SymPy.

>>> from fractions import Fraction as F
>>> from symnn.core.calculus import ACTIVATIONS, x
>>> from symnn.core.program import compile_program
>>> relu = compile_program(ACTIVATIONS["relu"].definition, (x,))
>>> evaluate(relu, {"x": Interval(F(-1), F(2))}, INTERVALS)
Interval(lo=Fraction(0, 1), hi=Fraction(2, 1))
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import cache, lru_cache
from typing import Any

import flint

from symnn.core import interval as iv
from symnn.core.balls import NotFinite, bounds
from symnn.core.domain_rules import (
    Undecided as Undecided,
)
from symnn.core.domain_rules import (
    ball_sign,
    compare,
    interval_functions,
    interval_piecewise,
    rational_sign,
)
from symnn.core.interval import Interval

Node = tuple[Any, ...]
"""A program node: nested tuples of strings, Fractions, ints and nodes."""
Env = Sequence[Any]
Closure = Callable[[Env], Any]


@dataclass(frozen=True, slots=True)
class Program:
    """A compiled definition: what the domains evaluate (built by :func:`symnn.core.program.compile_program`)."""

    variables: tuple[str, ...]
    """Argument names, in the order of the slots ``("var", i)`` refer to."""
    body: Node
    """The expression as nested tuples (see the module docstring)."""


class NotCompilable(Exception):
    """The program uses an operation the domain does not have (e.g. ``exp`` over QQ)."""


@dataclass(frozen=True, eq=False)
class Domain:
    """The arithmetic a program runs in."""

    name: str
    """Short name used in messages, e.g. ``"QQ"``."""
    number: Callable[[Fraction], Any]
    """A rational as an element of the domain."""
    functions: Mapping[str, Callable[[Any], Any]]
    """Functions of one argument by program name (``"exp"``); absent means unsupported."""
    constants: Mapping[str, Callable[[], Any]]
    """``"E"`` and ``"pi"``, computed at the current precision."""
    real_power: Callable[[Any, Any], Any] | None
    """base ** exponent for a non-integer exponent, if the domain has it."""
    extrema: Mapping[str, Callable[[list[Any]], Any]]
    """``"max"`` and ``"min"`` of several values."""
    decide: Callable[[str, Any, Any], bool] | None
    """Whether ``a op b`` holds (``op`` is ``"gt"`` ...); None for intervals, which split instead."""
    integer_power: Callable[[Any, int], Any] = operator.pow
    """base ** n for an integer n (Python's ``**`` unless the domain needs its own)."""
    log_to_base: Callable[[Any, int], Any] | None = None
    """log of a value to an integer base, for :func:`evaluate`'s ``log_base``."""
    rounds_numbers: bool = False
    """Whether a rational is rounded to the current precision (so 1/3 is made at each call)."""


def _ball_integer_power(value: Any, n: int) -> Any:
    """``value ** n`` for a ball and an integer n.

    python-flint's ``**`` takes the power through a logarithm, which is nan for a ball that
    contains 0 (tanh(z)² with z a tiny ball around 0); such a ball is multiplied out instead
    (by squaring), which encloses the power as rigorously.
    """
    if not value.contains(0):
        return value**n
    if n < 0:
        return 1 / _ball_integer_power(value, -n)
    result, square = flint.arb(1), value
    while n:
        if n & 1:
            result *= square
        n >>= 1
        if n:
            square *= square
    return result


def _decide_exactly(op: str, a: Any, b: Any) -> bool:
    return compare(op, a, b)


def _decide_on_balls(op: str, a: Any, b: Any) -> bool:
    # arb comparisons are True only when certain, so both directions must be asked.
    if compare(op, a, b):
        return True
    if compare(_NEGATED[op], a, b):
        return False
    raise Undecided(f"cannot decide {a} vs {b}")


_NEGATED = {"gt": "le", "ge": "lt", "lt": "ge", "le": "gt", "eq": "ne", "ne": "eq"}

RATIONALS = Domain(
    name="QQ",
    number=lambda value: flint.fmpq(value.numerator, value.denominator),
    # abs and sign keep rationals rational (custom formulas such as x / (1 + abs(x))).
    functions={"abs": abs, "sign": rational_sign},
    constants={},
    real_power=None,
    extrema={"max": max, "min": min},
    decide=_decide_exactly,
)
"""Exact rational arithmetic with flint ``fmpq`` elements (SymPy's ``QQ``)."""

BALLS = Domain(
    name="arb",
    number=lambda value: flint.arb(flint.fmpq(value.numerator, value.denominator)),
    functions={
        "exp": lambda v: v.exp(), "log": lambda v: v.log(), "tanh": lambda v: v.tanh(),
        "sinh": lambda v: v.sinh(), "cosh": lambda v: v.cosh(), "sin": lambda v: v.sin(),
        "cos": lambda v: v.cos(), "atan": lambda v: v.atan(), "erf": lambda v: v.erf(),
        "abs": abs, "sign": ball_sign,
    },
    constants={"E": flint.arb.const_e, "pi": flint.arb.pi},
    real_power=lambda base, exponent: base**exponent,
    integer_power=_ball_integer_power,
    extrema={"max": lambda values: _fold(values, lambda a, b: a.max(b)),
             "min": lambda values: _fold(values, lambda a, b: a.min(b))},
    decide=_decide_on_balls,
    log_to_base=lambda v, base: v.log() / flint.arb(base).log(),
    rounds_numbers=True,
)
"""Ball arithmetic with python-flint ``arb`` at the context precision."""

INTERVALS = Domain(
    name="interval",
    number=Interval.point,
    functions=interval_functions(),
    constants={"E": iv.euler, "pi": iv.pi},
    real_power=iv.power,
    extrema={"max": iv.maximum, "min": iv.minimum},
    decide=None,
    log_to_base=iv.log,
)
"""Rigorous enclosures with exact rational ends (:mod:`symnn.core.interval`)."""

DOMAINS = {domain.name: domain for domain in (RATIONALS, BALLS, INTERVALS)}


def _fold(values: list[Any], operation: Callable[[Any, Any], Any]) -> Any:
    result = values[0]
    for value in values[1:]:
        result = operation(result, value)
    return result


@lru_cache(maxsize=4096)
def function_of(program: Program, domain: Domain) -> Callable[..., Any]:
    """``program`` as a function of its variables (positional) over ``domain``, built once."""
    body = _build(program.body, domain)
    return lambda *values: body(values)


def evaluate(program: Program, env: Mapping[str, Any], domain: Domain, log_base: int | None = None) -> Any:
    """The value of ``program`` with its variables taken from ``env`` by name.

    ``log_base`` replaces every natural logarithm (to recompute a base-10 slip).
    Over intervals: overestimates where a variable occurs twice, never underestimates.
    """
    if log_base is not None:
        domain = _rebased(domain, log_base)
    return function_of(program, domain)(*(env[name] for name in program.variables))


ENCLOSURE_BITS = 200
"""Starting precision of :func:`enclose_constant`, in bits."""
RELATIVE_WIDTH = Fraction(1, 2**166)
"""The widest enclosure :func:`enclose_constant` settles for, relative to the value (plus absolute)."""
MAX_ENCLOSURE_BITS = 200 * 2**7
"""Beyond this precision (25,600 bits) :func:`enclose_constant` settles for what it has, or
gives up on a ball that is still not finite."""


def ball_at(program: Program, bits: int) -> Any:
    """The arb ball of a program without variables at ``bits`` bits (it may be infinite or NaN)."""
    if program.variables:
        raise ValueError(f"a constant has no variables, not {', '.join(program.variables)}")
    with flint.ctx.workprec(bits):
        return _build(program.body, BALLS)(())


def enclose_at(program: Program, bits: int) -> tuple[Fraction, Fraction]:
    """Rational bounds of a program without variables from arb balls at ``bits`` bits.

    Raises :class:`Undecided` when a branch condition cannot be decided at that precision and
    :class:`~symnn.core.balls.NotFinite` when a ball is infinite or NaN (a true overflow, a
    value outside a function's domain, or only a ball too wide at this precision: the log of
    ``1 - σ(1000)``, whose ball straddles 0 below 1,443 bits).
    """
    if program.variables:
        raise ValueError(f"a constant has no variables, not {', '.join(program.variables)}")
    with flint.ctx.workprec(bits):
        # Built here, not by the cached function_of: a constant is enclosed once, so its
        # closures are not worth keeping.
        return bounds(_build(program.body, BALLS)(()))


def enclose_constant(program: Program) -> tuple[Fraction, Fraction]:
    """Rational bounds of a program without variables, from arb balls at rising precision.

    Precision rises until the enclosure is narrower than :data:`RELATIVE_WIDTH` and both
    ends round to the same float, so ``float`` of either end is the correctly rounded value.
    A ball that is not finite is retried at a higher precision too (cancellation before a
    logarithm needs more bits); one still not finite at :data:`MAX_ENCLOSURE_BITS` is a
    ``ValueError``.

    >>> from symnn.core.program import compile_program
    >>> import sympy as sp
    >>> low, high = enclose_constant(compile_program(sp.log(2)))
    >>> float(low), float(high) == float(low), high - low < Fraction(1, 10**50)
    (0.6931471805599453, True, True)
    >>> low, _ = enclose_constant(compile_program(-sp.log(1 - 1 / (1 + sp.exp(-1000)))))
    >>> float(low)
    1000.0
    """
    bits, found = ENCLOSURE_BITS, None
    while True:
        problem = "a branch condition stays undecided"
        try:
            found = enclose_at(program, bits)
        except Undecided:
            pass
        except NotFinite as exc:
            problem = f"not a finite real number: {exc}"
        if found is not None:
            low, high = found
            tight = high - low <= (abs(low) + 1) * RELATIVE_WIDTH
            if (tight and _same_float(low, high)) or bits >= MAX_ENCLOSURE_BITS:
                return found
        elif bits >= MAX_ENCLOSURE_BITS:
            raise ValueError(problem)
        bits *= 2


def _same_float(low: Fraction, high: Fraction) -> bool:
    """Whether both ends round to the same float (two values beyond the float range do)."""
    try:
        return float(low) == float(high)
    except OverflowError:
        return True


@cache
def _rebased(domain: Domain, base: int) -> Domain:
    if domain.log_to_base is None:
        raise NotCompilable(f"logarithms to base {base} are not available over {domain.name}")
    to_base = domain.log_to_base
    return replace(domain, name=f"{domain.name}/log{base}",
                   functions={**domain.functions, "log": lambda v: to_base(v, base)})


# ---------------------------------------------------------------------------
# Building closures from program nodes.


def _build(node: tuple[Any, ...], domain: Domain) -> Closure:
    return _BUILDERS[node[0]](node, domain)


def _number(node: tuple[Any, ...], domain: Domain) -> Closure:
    rational, number = node[1], domain.number
    if domain.rounds_numbers and rational.denominator & (rational.denominator - 1):
        return lambda env: number(rational)  # not a binary fraction: round at the caller's precision
    value = number(rational)
    return lambda env: value


def _variable(node: tuple[Any, ...], domain: Domain) -> Closure:
    index = node[1]
    return lambda env: env[index]


def _constant(node: tuple[Any, ...], domain: Domain) -> Closure:
    make = domain.constants.get(node[1])
    if make is None:
        raise NotCompilable(f"{node[1]} is not available over {domain.name}")
    return lambda env: make()


def _add(node: tuple[Any, ...], domain: Domain) -> Closure:
    terms = [_build(arg, domain) for arg in node[1]]
    first, rest = terms[0], terms[1:]

    def add(env: Env) -> Any:
        total = first(env)
        for term in rest:
            total = total + term(env)
        return total

    return add


def _mul(node: tuple[Any, ...], domain: Domain) -> Closure:
    factors = [_build(arg, domain) for arg in node[1]]
    if domain.decide is None:
        return _interval_product(factors)
    first, rest = factors[0], factors[1:]

    def mul(env: Env) -> Any:
        product = first(env)
        for factor in rest:
            product = product * factor(env)
        return product

    return mul


def _interval_product(factors: list[Closure]) -> Closure:
    # A factor that is exactly 0 wins even over an undefined one: in cross-entropy
    # (1 - y) log(1 - a) with y = 1 vanishes, whatever a is.
    def mul(env: Env) -> Any:
        values, failure = [], None
        for factor in factors:
            try:
                value = factor(env)
            except iv.Undefined as exc:
                failure = exc
                continue
            if value.lo == 0 == value.hi:
                return iv.ZERO
            values.append(value)
        if failure is not None:
            raise failure
        return _fold(values, lambda a, b: a * b)

    return mul


def _power(node: tuple[Any, ...], domain: Domain) -> Closure:
    base, exponent, power = _build(node[1], domain), node[2], domain.integer_power
    return lambda env: power(base(env), exponent)


def _real_power(node: tuple[Any, ...], domain: Domain) -> Closure:
    power = domain.real_power
    if power is None:
        raise NotCompilable(f"non-integer powers are not available over {domain.name}")
    base, exponent = _build(node[1], domain), _build(node[2], domain)
    return lambda env: power(base(env), exponent(env))


def _function(node: tuple[Any, ...], domain: Domain) -> Closure:
    function = domain.functions.get(node[1])
    if function is None:
        raise NotCompilable(f"{node[1]} is not available over {domain.name}")
    argument = _build(node[2], domain)
    return lambda env: function(argument(env))


def _extremum(node: tuple[Any, ...], domain: Domain) -> Closure:
    extremum = domain.extrema[node[0]]
    parts = [_build(arg, domain) for arg in node[1]]
    return lambda env: extremum([part(env) for part in parts])


def _piecewise(node: tuple[Any, ...], domain: Domain) -> Closure:
    if domain.decide is None:
        return interval_piecewise(node, lambda n: _build(n, domain))
    branches = [(_condition(condition, domain), _build(value, domain)) for condition, value in node[1]]

    def piecewise(env: Env) -> Any:
        for condition, value in branches:
            if condition(env):
                return value(env)
        raise NotCompilable("no Piecewise branch applies")

    return piecewise


def _condition(node: tuple[Any, ...], domain: Domain) -> Callable[[Env], bool]:
    tag = node[0]
    if tag in ("true", "false"):
        return lambda env: tag == "true"
    if tag == "cmp":
        decide, op = domain.decide, node[1]
        assert decide is not None
        lhs, rhs = _build(node[2], domain), _build(node[3], domain)
        return lambda env: decide(op, lhs(env), rhs(env))
    parts = [_condition(part, domain) for part in (node[1:] if tag == "not" else node[1])]
    if tag == "not":
        return lambda env: not parts[0](env)
    combine = all if tag == "and" else any
    return lambda env: combine(part(env) for part in parts)


_BUILDERS: dict[str, Callable[[tuple[Any, ...], Domain], Closure]] = {
    "num": _number,
    "var": _variable,
    "const": _constant,
    "add": _add,
    "mul": _mul,
    "pow": _power,
    "rpow": _real_power,
    "fn": _function,
    "max": _extremum,
    "min": _extremum,
    "piecewise": _piecewise,
}
