"""Closed intervals with exact rational endpoints: symnn's one interval type.

A written 18.33 may stand for any value in [18.325, 18.335]; evaluating on such intervals
tells which values the written numbers allow (``lint``) and what a hand calculation's later
numbers may be (``check``).  Rational operations stay exact (a point interval is an exact
rational, so ``0.1 + 0.2`` is exactly 3/10); irrational results are enclosed rigorously by
python-flint ``arb`` balls at :func:`precision` bits, with binary-fraction endpoints.  A value
outside a function's domain, or too large to compute (every result is checked against
:data:`MAX_BITS`, so nothing can stall the process), raises :class:`Undefined`.

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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import flint

from symnn.core.balls import PRECISION as PRECISION
from symnn.core.balls import NotFinite, bounds, covering, from_fraction, precision
from symnn.core.balls import working_precision as working_precision
from symnn.core.rationals import MAX_EXPONENT
from symnn.core.rationals import integer_log as integer_log
from symnn.core.rationals import integer_nthroot as integer_nthroot
from symnn.errors import ParseError

MAX_BITS = 20_000
"""The most bits in the numerator or denominator of any endpoint."""
MAX_EXP_ARGUMENT = 10_000
"""exp(x) is refused for |x| above this (e^10000 has 4343 digits)."""


class Undefined(ParseError, ArithmeticError):
    """A value outside a function's domain, or too large to compute: "no information" to
    ``check``, and to ``lint`` (as a :class:`~symnn.errors.ParseError`) a relation it cannot check."""


def _checked(value: Fraction) -> Fraction:
    if value.numerator.bit_length() > MAX_BITS or value.denominator.bit_length() > MAX_BITS:
        raise Undefined(f"a value needs more than {MAX_BITS} bits")
    return value


@dataclass(frozen=True, slots=True)
class Interval:
    """All real numbers from ``lo`` to ``hi`` (both included); a point when they agree."""

    lo: Fraction
    """The lower end."""
    hi: Fraction
    """The upper end, never below ``lo``."""

    @staticmethod
    def point(value: Fraction | int) -> Interval:
        """The interval holding exactly ``value``.

        >>> Interval.point(Fraction(1, 3)) + Interval.point(Fraction(2, 3))
        Interval(lo=Fraction(1, 1), hi=Fraction(1, 1))
        """
        exact = Fraction(value)
        return Interval(exact, exact)

    @staticmethod
    def around(value: Fraction, radius: Fraction) -> Interval:
        """[value - radius, value + radius]."""
        return Interval(value - radius, value + radius)

    @property
    def is_point(self) -> bool:
        return self.lo == self.hi

    @property
    def width(self) -> Fraction:
        return self.hi - self.lo

    @property
    def midpoint(self) -> Fraction:
        return (self.lo + self.hi) / 2

    def contains(self, value: Fraction | int) -> bool:
        return self.lo <= value <= self.hi

    def contains_zero(self) -> bool:
        return self.lo <= 0 <= self.hi

    def intersects(self, other: Interval) -> bool:
        """Whether the two intervals share a number."""
        return self.lo <= other.hi and other.lo <= self.hi

    def hull(self, other: Interval) -> Interval:
        """The smallest interval holding both."""
        return Interval(min(self.lo, other.lo), max(self.hi, other.hi))

    def __add__(self, other: Operand) -> Interval:
        o = _coerce(other)
        return Interval(_checked(self.lo + o.lo), _checked(self.hi + o.hi))

    __radd__ = __add__

    def __sub__(self, other: Operand) -> Interval:
        o = _coerce(other)
        return Interval(_checked(self.lo - o.hi), _checked(self.hi - o.lo))

    def __rsub__(self, other: Operand) -> Interval:
        return _coerce(other) - self

    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def __mul__(self, other: Operand) -> Interval:
        o = _coerce(other)
        if self.is_point and o.is_point:
            return Interval.point(_checked(self.lo * o.lo))
        products = (self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi)
        return Interval(_checked(min(products)), _checked(max(products)))

    __rmul__ = __mul__

    def reciprocal(self) -> Interval:
        """1/x; refuses an interval holding 0."""
        if self.contains_zero():
            raise Undefined("division by zero" if self.is_point else "division by a number that may be zero")
        return Interval(1 / self.hi, 1 / self.lo)

    def __truediv__(self, other: Operand) -> Interval:
        return self * _coerce(other).reciprocal()

    def __rtruediv__(self, other: Operand) -> Interval:
        return _coerce(other) * self.reciprocal()

    def __pow__(self, exponent: int) -> Interval:
        return power_integer(self, exponent)

    def __abs__(self) -> Interval:
        return absolute(self)


Operand = Interval | Fraction | int
ZERO = Interval.point(0)
ONE = Interval.point(1)


def _coerce(value: Operand) -> Interval:
    return value if isinstance(value, Interval) else Interval.point(value)


def power_integer(base: Interval, exponent: int) -> Interval:
    """base ** exponent for an integer exponent (sign-aware for even powers).

    >>> power_integer(Interval(Fraction(-2), Fraction(1)), 2)
    Interval(lo=Fraction(0, 1), hi=Fraction(4, 1))
    """
    if exponent < 0:
        return power_integer(base, -exponent).reciprocal()
    bits = max(abs(base.lo).numerator.bit_length(), abs(base.hi).numerator.bit_length(),
               base.lo.denominator.bit_length(), base.hi.denominator.bit_length())
    if bits * exponent > MAX_BITS:
        raise Undefined(f"a power with exponent {exponent} is too large to compute")
    low, high = base.lo**exponent, base.hi**exponent
    if exponent % 2 == 0 and base.lo < 0 < base.hi:
        return Interval(Fraction(0), max(low, high))
    return Interval(min(low, high), max(low, high))


# ---------------------------------------------------------------------------
# Irrational functions, enclosed by arb balls at the working precision.


def _from_ball(ball: Any) -> Interval:
    try:
        low, high = bounds(ball)
    except NotFinite as exc:
        raise Undefined("a value too large to represent") from exc
    return Interval(_checked(low), _checked(high))


def _ball_at(function: Callable[[Any], Any], value: Fraction) -> Interval:
    with flint.ctx.workprec(precision()):
        return _from_ball(function(from_fraction(value)))


def increasing(function: Callable[[Any], Any], x: Interval) -> Interval:
    """An increasing function of a ball, lifted to intervals end by end."""
    low = _ball_at(function, x.lo)
    return low if x.is_point else Interval(low.lo, _ball_at(function, x.hi).hi)


def over_ball(function: Callable[[Any], Any], x: Interval) -> Interval:
    """Any function of a ball, over the ball covering ``x`` (rigorous, maybe wider than needed)."""
    if x.is_point:
        return _ball_at(function, x.lo)
    with flint.ctx.workprec(precision()):
        return _from_ball(function(covering(x.lo, x.hi)))


def exp(x: Interval) -> Interval:
    """e**x, enclosed (exactly 1 at 0).

    >>> exp(Interval.point(Fraction(0)))
    Interval(lo=Fraction(1, 1), hi=Fraction(1, 1))
    """
    if x.is_point and x.lo == 0:
        return ONE
    if max(abs(x.lo), abs(x.hi)) > MAX_EXP_ARGUMENT:
        raise Undefined(f"e to a power beyond ±{MAX_EXP_ARGUMENT} is too large to compute")
    return increasing(lambda v: v.exp(), x)


def log(x: Interval, base: Fraction | int | None = None) -> Interval:
    """The natural logarithm, or the logarithm to ``base``; refuses numbers that may be ≤ 0.

    >>> log(Interval.point(Fraction(1000)), 10)
    Interval(lo=Fraction(3, 1), hi=Fraction(3, 1))
    """
    if x.lo <= 0:
        raise Undefined("logarithm of a number that is not positive")
    if base is not None:
        b = Fraction(base)
        exponent = integer_log(x.lo, b) if x.is_point else None
        if exponent is not None:
            return Interval.point(exponent)
        if b <= 0 or b == 1:
            raise Undefined(f"a logarithm to base {b} is not defined")
        return log(x) / log(Interval.point(b))
    if x.is_point and x.lo == 1:
        return ZERO
    return increasing(lambda v: v.log(), x)


def tanh(x: Interval) -> Interval:
    """Hyperbolic tangent (increasing), enclosed (exactly 0 at 0)."""
    return x if x.is_point and x.lo == 0 else increasing(lambda v: v.tanh(), x)


def euler() -> Interval:
    """An enclosure of e (at the working precision)."""
    return exp(ONE)


def pi() -> Interval:
    """An enclosure of pi (at the working precision)."""
    with flint.ctx.workprec(precision()):
        return _from_ball(flint.arb.pi())


def _root_of_non_negative(value: Fraction, index: int) -> Interval:
    numerator, numerator_exact = integer_nthroot(value.numerator, index)
    denominator, denominator_exact = integer_nthroot(value.denominator, index)
    if numerator_exact and denominator_exact:
        return Interval.point(Fraction(numerator, denominator))
    return _ball_at(lambda v: v.root(index), value)


def _signed_root(value: Fraction, index: int) -> Interval:
    return -_root_of_non_negative(-value, index) if value < 0 else _root_of_non_negative(value, index)


def root(x: Interval, index: int) -> Interval:
    """The real index-th root (exact when rational); odd roots of negatives are negative.

    A widened interval that dips below zero (e.g. the rounding interval of 0.00) is cut
    at zero for an even root, since only its non-negative part has a root.

    >>> root(Interval.point(Fraction(1, 4)), 2)
    Interval(lo=Fraction(1, 2), hi=Fraction(1, 2))
    >>> root(Interval.point(Fraction(-8)), 3)
    Interval(lo=Fraction(-2, 1), hi=Fraction(-2, 1))
    """
    if index < 1 or index > MAX_EXPONENT:
        raise Undefined(f"a root of index {index} is not read")
    odd = index % 2 == 1
    if x.hi < 0 and not odd:
        raise Undefined("even root of a negative number")
    low = _signed_root(x.lo if odd else max(x.lo, Fraction(0)), index)
    return low if x.is_point else Interval(low.lo, _signed_root(x.hi, index).hi)


def sqrt(x: Interval) -> Interval:
    """The square root (exact for squares of rationals), see :func:`root`."""
    return root(x, 2)


def power(base: Interval, exponent: Interval) -> Interval:
    """base ** exponent: exact for integer exponents, otherwise via exp(exponent · log base)."""
    if exponent.is_point and exponent.lo.denominator == 1:
        if abs(exponent.lo) > MAX_EXPONENT:
            raise Undefined(f"an exponent of {exponent.lo} is too large to compute")
        return power_integer(base, int(exponent.lo))
    small = exponent.lo.denominator <= MAX_EXPONENT and abs(exponent.lo.numerator) <= MAX_EXPONENT
    if exponent.is_point and small:
        return power_integer(root(base, exponent.lo.denominator), exponent.lo.numerator)
    if base.lo <= 0:
        raise Undefined("a non-integer power of a number that may be negative")
    return exp(exponent * log(base))


def maximum(values: Sequence[Interval]) -> Interval:
    """The interval of max over choices from each interval."""
    return Interval(max(v.lo for v in values), max(v.hi for v in values))


def minimum(values: Sequence[Interval]) -> Interval:
    """The interval of min over choices from each interval."""
    return Interval(min(v.lo for v in values), min(v.hi for v in values))


def absolute(x: Interval) -> Interval:
    """|x| over the interval."""
    if x.lo >= 0:
        return x
    if x.hi <= 0:
        return -x
    return Interval(Fraction(0), max(-x.lo, x.hi))


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


def total(terms: Iterable[Interval]) -> Interval:
    """The sum of intervals (0 for none)."""
    result = ZERO
    for t in terms:
        result = result + t
    return result


def matmul(a: IMatrix, b: IMatrix) -> IMatrix:
    cols = transpose(b)
    return tuple(tuple(total(x * y for x, y in zip(row, col)) for col in cols) for row in a)


def add(a: IMatrix, b: IMatrix) -> IMatrix:
    """a + b; a one-column b is added to every column of a (a bias)."""
    return tuple(tuple(x + (rb[j] if len(rb) > 1 else rb[0]) for j, x in enumerate(ra))
                 for ra, rb in zip(a, b))


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
