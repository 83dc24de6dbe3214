"""Interval arithmetic on exact Fractions, for recomputing a hand calculation.

A hand-written 18.33 stands for every number that rounds to it, so the checker
recomputes later quantities over intervals.  Rational operations are exact: an
:class:`Interval` holds two Fractions, and one point when both ends agree.
``exp``, ``log`` and ``tanh`` are enclosed by rationals on a 2^-160 grid from
mpmath values at 200 bits, widened far beyond mpmath's error, so an enclosure
always contains the true value; square roots use integer square roots and are
exact for perfect squares.  Nothing here imports SymPy: the definitions in
:mod:`symnn.core.calculus` are compiled once (:func:`compile_expr`, which does import
SymPy) into plain nested tuples that :func:`evaluate` interprets.

>>> from fractions import Fraction as F
>>> x = Interval(F(1), F(2))
>>> x * x - x
Interval(lo=Fraction(-1, 1), hi=Fraction(3, 1))
>>> sqrt(Interval.point(F(9, 4)))
Interval(lo=Fraction(3, 2), hi=Fraction(3, 2))
>>> exp(Interval.point(F(1))).contains(F(27182818284590452, 10**16))
False
>>> float(exp(Interval.point(F(1))).lo)
2.718281828459045
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath

WORK_BITS = 200
"""mpmath's working precision for exp, log and tanh."""
GRID = 2**160
"""Transcendental bounds are rounded outward to multiples of 1/GRID."""
SLACK = Fraction(1, 2**170)
"""Relative and absolute widening of an mpmath value: orders of magnitude above its error."""
EXP_LIMIT = 1000
"""exp of arguments beyond ±EXP_LIMIT is refused: no hand calculation goes there."""


class Undefined(ArithmeticError):
    """A recomputation leaves the domain: log of a value ≤ 0, a division by an interval holding 0."""


@dataclass(frozen=True, slots=True)
class Interval:
    """The closed interval [lo, hi] of rationals; a point when ``lo == hi``."""

    lo: Fraction
    """Lower end."""
    hi: Fraction
    """Upper end (≥ lo)."""

    @staticmethod
    def point(value: Fraction | int) -> Interval:
        """The interval holding just ``value``."""
        v = Fraction(value)
        return Interval(v, v)

    @property
    def is_point(self) -> bool:
        return self.lo == self.hi

    def contains(self, value: Fraction) -> bool:
        return self.lo <= value <= self.hi

    def hull(self, other: Interval) -> Interval:
        """The smallest interval holding both."""
        return Interval(min(self.lo, other.lo), max(self.hi, other.hi))

    def midpoint(self) -> Fraction:
        return (self.lo + self.hi) / 2

    def __add__(self, other: Operand) -> Interval:
        o = _coerce(other)
        return Interval(self.lo + o.lo, self.hi + o.hi)

    __radd__ = __add__

    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def __sub__(self, other: Operand) -> Interval:
        o = _coerce(other)
        return Interval(self.lo - o.hi, self.hi - o.lo)

    def __rsub__(self, other: Operand) -> Interval:
        return _coerce(other) - self

    def __mul__(self, other: Operand) -> Interval:
        o = _coerce(other)
        if self.lo == self.hi and o.lo == o.hi:
            p = self.lo * o.lo
            return Interval(p, p)
        products = (self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi)
        return Interval(min(products), max(products))

    __rmul__ = __mul__

    def reciprocal(self) -> Interval:
        if self.lo <= 0 <= self.hi:
            raise Undefined("division by an interval that contains 0")
        return Interval(1 / self.hi, 1 / self.lo)

    def __truediv__(self, other: Operand) -> Interval:
        return self * _coerce(other).reciprocal()

    def __rtruediv__(self, other: Operand) -> Interval:
        return _coerce(other) * self.reciprocal()

    def __pow__(self, n: int) -> Interval:
        if n < 0:
            return (self**-n).reciprocal()
        if n == 0:
            return ONE
        a, b = self.lo**n, self.hi**n
        if n % 2:
            return Interval(a, b)
        if self.lo >= 0:
            return Interval(a, b)
        if self.hi <= 0:
            return Interval(b, a)
        return Interval(Fraction(0), max(a, b))

    def __abs__(self) -> Interval:
        if self.lo >= 0:
            return self
        if self.hi <= 0:
            return -self
        return Interval(Fraction(0), max(-self.lo, self.hi))


Operand = Interval | Fraction | int
ZERO = Interval.point(0)
ONE = Interval.point(1)


def _coerce(value: Operand) -> Interval:
    return value if isinstance(value, Interval) else Interval.point(value)


# ---------------------------------------------------------------------------
# Transcendental functions: monotone, so each end is enclosed separately.


def _mp_fraction(value: Any) -> Fraction:
    """An mpmath number as the exact Fraction it stores (mantissa times a power of 2)."""
    sign, man, exp_, _ = value._mpf_  # mpmath keeps the sign apart from the mantissa
    if not man and exp_:
        raise Undefined(f"mpmath returned {value}")
    magnitude = Fraction(man * 2**exp_) if exp_ >= 0 else Fraction(man, 2**-exp_)
    return -magnitude if sign else magnitude


def _enclose(f: Callable[[Any], Any], x: Fraction) -> tuple[Fraction, Fraction]:
    """Rationals below and above f(x), on the 1/GRID grid."""
    with mpmath.workprec(WORK_BITS):
        value = _mp_fraction(f(mpmath.mpf(x.numerator) / x.denominator))
    slack = abs(value) * SLACK + SLACK
    return (Fraction(math.floor((value - slack) * GRID), GRID),
            Fraction(math.ceil((value + slack) * GRID), GRID))


def _increasing(f: Callable[[Any], Any], x: Interval, exact: Mapping[Fraction, Fraction]) -> Interval:
    lo = exact[x.lo] if x.lo in exact else _enclose(f, x.lo)[0]
    if x.is_point and x.lo in exact:
        return Interval(lo, lo)
    hi = exact[x.hi] if x.hi in exact else _enclose(f, x.hi)[1]
    return Interval(lo, hi)


def exp(x: Interval) -> Interval:
    """e^x (exactly 1 at 0)."""
    if x.hi > EXP_LIMIT or x.lo < -EXP_LIMIT:
        raise Undefined(f"exp of {float(x.hi):g} is beyond any hand calculation")
    return _increasing(mpmath.exp, x, {Fraction(0): Fraction(1)})


def log(x: Interval, base: int | None = None) -> Interval:
    """The natural logarithm, or the logarithm to ``base`` (exactly 0 at 1)."""
    if x.lo <= 0:
        raise Undefined("logarithm of a value ≤ 0")
    f = mpmath.log if base is None else (lambda v: mpmath.log(v, base))
    return _increasing(f, x, {Fraction(1): Fraction(0)})


def tanh(x: Interval) -> Interval:
    """tanh x (exactly 0 at 0)."""
    return _increasing(mpmath.tanh, x, {Fraction(0): Fraction(0)})


def _isqrt_fraction(v: Fraction, up: bool) -> Fraction:
    """√v rounded down (or up) to the 1/GRID grid; exact when v is a square of such a number."""
    scaled = v * GRID * GRID
    floor_scaled = scaled.numerator // scaled.denominator
    root = math.isqrt(floor_scaled)
    if up and (root * root != scaled):
        root += 1
    return Fraction(root, GRID)


def _exact_sqrt(v: Fraction) -> Fraction | None:
    p, q = math.isqrt(v.numerator), math.isqrt(v.denominator)
    return Fraction(p, q) if p * p == v.numerator and q * q == v.denominator else None


def sqrt(x: Interval) -> Interval:
    """√x, exact for squares of rationals."""
    if x.lo < 0:
        raise Undefined("square root of a negative value")
    lo = _exact_sqrt(x.lo)
    lo = lo if lo is not None else _isqrt_fraction(x.lo, up=False)
    if x.is_point and _exact_sqrt(x.lo) is not None:
        return Interval(lo, lo)
    hi = _exact_sqrt(x.hi)
    return Interval(lo, hi if hi is not None else _isqrt_fraction(x.hi, up=True))


def sign(x: Interval) -> Interval:
    """The sign (0 at 0, as SymPy's derivative of |x| there); [-1, 1] when x straddles 0."""
    lo = -1 if x.lo < 0 else (0 if x.lo == 0 else 1)
    hi = 1 if x.hi > 0 else (0 if x.hi == 0 else -1)
    return Interval(Fraction(lo), Fraction(hi))


# ---------------------------------------------------------------------------
# Matrices of intervals: tuples of rows, as spec matrices are.

IMatrix = tuple[tuple[Interval, ...], ...]
"""A matrix of intervals, row by row."""


def const(rows: Sequence[Sequence[Fraction]]) -> IMatrix:
    """A spec matrix (rows of Fractions) as point intervals."""
    return tuple(tuple(Interval.point(v) for v in row) for row in rows)


def shape(m: IMatrix) -> tuple[int, int]:
    return (len(m), len(m[0]))


def entries(m: IMatrix) -> list[Interval]:
    """Every entry, row by row."""
    return [v for row in m for v in row]


def transpose(m: IMatrix) -> IMatrix:
    return tuple(zip(*m))


def matmul(a: IMatrix, b: IMatrix) -> IMatrix:
    cols = transpose(b)
    return tuple(tuple(total(x * y for x, y in zip(row, col)) for col in cols) for row in a)


def total(terms: Any) -> Interval:
    """The sum of intervals (0 for none)."""
    result = ZERO
    for t in terms:
        result = result + t
    return result


def add(a: IMatrix, b: IMatrix) -> IMatrix:
    """a + b; a one-column b is added to every column of a (a bias)."""
    return tuple(tuple(x + (rb[j] if len(rb) > 1 else rb[0]) for j, x in enumerate(ra)) for ra, rb in zip(a, b))


def sub(a: IMatrix, b: IMatrix) -> IMatrix:
    return tuple(tuple(x - y for x, y in zip(ra, rb)) for ra, rb in zip(a, b))


def scale(k: Operand, m: IMatrix) -> IMatrix:
    return tuple(tuple(v * k for v in row) for row in m)


def emap(f: Callable[[Interval], Interval], m: IMatrix) -> IMatrix:
    """f applied to every entry."""
    return tuple(tuple(f(v) for v in row) for row in m)


def hadamard(a: IMatrix, b: IMatrix) -> IMatrix:
    return tuple(tuple(x * y for x, y in zip(ra, rb)) for ra, rb in zip(a, b))


def row_sums(m: IMatrix) -> IMatrix:
    """A column of each row's sum (the gradient of a bias)."""
    return tuple((total(row),) for row in m)


def scalar(v: Interval) -> IMatrix:
    """A 1×1 matrix."""
    return ((v,),)


# ---------------------------------------------------------------------------
# Programs: SymPy expressions compiled to nested tuples, evaluated over intervals.

Program = tuple[Any, ...]
"""An expression as nested tuples: ``("num", F)``, ``("var", name)``, ``("add", args)`` ..."""


def compile_expr(expr: Any) -> Program:
    """Compile one of symnn's own SymPy definitions (never user text) into a :data:`Program`.

    >>> import sympy as sp
    >>> t = sp.Symbol("t")
    >>> evaluate(compile_expr(1 / (1 + sp.exp(-t))), {"t": Interval.point(0)})
    Interval(lo=Fraction(1, 2), hi=Fraction(1, 2))
    """
    import sympy as sp

    if isinstance(expr, sp.Symbol):
        return ("var", expr.name)
    if isinstance(expr, sp.Rational):
        return ("num", Fraction(int(expr.p), int(expr.q)))
    if expr is sp.E:
        return ("exp", ("num", Fraction(1)))
    if isinstance(expr, (sp.Add, sp.Mul)):
        return ("add" if isinstance(expr, sp.Add) else "mul", tuple(compile_expr(a) for a in expr.args))
    if isinstance(expr, sp.Pow):
        base, power = expr.args
        if power == sp.Rational(1, 2):
            return ("sqrt", compile_expr(base))
        if power == sp.Rational(-1, 2):
            return ("pow", ("sqrt", compile_expr(base)), -1)
        if isinstance(power, sp.Integer):
            return ("pow", compile_expr(base), int(power))
        if base is sp.E:
            return ("exp", compile_expr(power))
    if isinstance(expr, (sp.exp, sp.log, sp.tanh, sp.Abs, sp.sign)):
        return (type(expr).__name__.lower(), compile_expr(expr.args[0]))
    if isinstance(expr, sp.Piecewise):
        return ("piecewise", tuple((_compile_condition(c), compile_expr(e)) for e, c in expr.args))
    raise TypeError(f"cannot compile {expr!r} for interval evaluation")


_RELATIONS = {"StrictGreaterThan": "gt", "GreaterThan": "ge", "StrictLessThan": "lt", "LessThan": "le"}


def _compile_condition(cond: Any) -> Program:
    import sympy as sp

    if cond is sp.true:
        return ("true",)
    name = _RELATIONS.get(type(cond).__name__)
    if name is None:
        raise TypeError(f"cannot compile the condition {cond!r}")
    return (name, compile_expr(cond.lhs), compile_expr(cond.rhs))


Env = Mapping[str, Interval]


def evaluate(program: Program, env: Env, log_base: int | None = None) -> Interval:
    """The interval of all values ``program`` takes over the intervals of ``env``.

    ``log_base`` replaces every natural logarithm (to recompute a base-10 slip).
    Overestimates where a variable occurs twice, never underestimates.
    """
    return _EVAL[program[0]](program, env, log_base)


def _eval_mul(p: Program, env: Env, base: int | None) -> Interval:
    # A factor that is exactly 0 wins even over an undefined one: in cross-entropy
    # (1 - y) log(1 - a) with y = 1 vanishes, whatever a is.
    values, failure = [], None
    for arg in p[1]:
        try:
            v = evaluate(arg, env, base)
        except Undefined as exc:
            failure = exc
            continue
        if v.lo == 0 == v.hi:
            return ZERO
        values.append(v)
    if failure is not None:
        raise failure
    result = ONE
    for v in values:
        result = result * v
    return result


def _split(cond: Program, env: Env, base: int | None) -> tuple[Env | None, Env | None]:
    """Environments where ``cond`` holds and where it fails (None: nowhere)."""
    if cond[0] == "true":
        return env, None
    lhs, rhs = cond[1], cond[2]
    c = evaluate(rhs, env, base)
    if lhs[0] == "var" and c.is_point:
        v, k = env[lhs[1]], c.lo
        above = v.lo > k if cond[0] in ("gt", "le") else v.lo >= k
        below = v.hi <= k if cond[0] in ("gt", "le") else v.hi < k
        if above or below:
            holds = above if cond[0] in ("gt", "ge") else below
            return (env, None) if holds else (None, env)
        upper = {**env, lhs[1]: Interval(k, v.hi)}
        lower = {**env, lhs[1]: Interval(v.lo, k)}
        return (upper, lower) if cond[0] in ("gt", "ge") else (lower, upper)
    # Not a plain variable against a constant: both branches may apply.
    return env, env


def _eval_piecewise(p: Program, env: Env, base: int | None) -> Interval:
    result: Interval | None = None
    current: Env | None = env
    for cond, expr in p[1]:
        if current is None:
            break
        holds, fails = _split(cond, current, base)
        if holds is not None:
            v = evaluate(expr, holds, base)
            result = v if result is None else result.hull(v)
        current = fails
    if result is None:
        raise Undefined("no branch of a piecewise definition applies")
    return result


_EVAL: dict[str, Callable[[Program, Env, int | None], Interval]] = {
    "num": lambda p, env, base: Interval.point(p[1]),
    "var": lambda p, env, base: env[p[1]],
    "add": lambda p, env, base: total(evaluate(a, env, base) for a in p[1]),
    "mul": _eval_mul,
    "pow": lambda p, env, base: evaluate(p[1], env, base) ** p[2],
    "sqrt": lambda p, env, base: sqrt(evaluate(p[1], env, base)),
    "exp": lambda p, env, base: exp(evaluate(p[1], env, base)),
    "log": lambda p, env, base: log(evaluate(p[1], env, base), base),
    "tanh": lambda p, env, base: tanh(evaluate(p[1], env, base)),
    "abs": lambda p, env, base: abs(evaluate(p[1], env, base)),
    "sign": lambda p, env, base: sign(evaluate(p[1], env, base)),
    "piecewise": _eval_piecewise,
}
