"""Closed intervals with exact rational endpoints, for judging rounded numbers.

A written decimal such as 18.33 may stand for any value in [18.325, 18.335]; evaluating
an expression on such intervals tells which values the written numbers allow.  Sums,
products, quotients and integer powers of rationals stay exact (a point interval is an
exact rational), so ``0.1 + 0.2`` is exactly 3/10.  Irrational results (exp, log, roots,
tanh) are enclosed rigorously by mpmath's interval arithmetic at 113 bits and come back
as tight intervals with binary-fraction endpoints.

Every result is checked against :data:`MAX_BITS`, so no expression can build numbers
large enough to stall the process; the check raises :class:`~symnn.errors.ParseError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

from mpmath.ctx_iv import MPIntervalContext
from mpmath.libmp import finf, fnan, fninf, to_rational

from symnn.errors import ParseError

MAX_BITS = 20_000
"""The most bits in the numerator or denominator of any endpoint."""
MAX_EXP_ARGUMENT = 10_000
"""exp(x) is refused for |x| above this (e^10000 has 4343 digits)."""
PRECISION = 113
"""Working precision of the irrational enclosures, in bits (quadruple precision)."""

_IV = MPIntervalContext()
_IV.prec = PRECISION
_NON_FINITE = (finf, fninf, fnan)


def _checked(value: Fraction) -> Fraction:
    if value.numerator.bit_length() > MAX_BITS or value.denominator.bit_length() > MAX_BITS:
        raise ParseError(f"a value needs more than {MAX_BITS} bits")
    return value


@dataclass(frozen=True, slots=True)
class Interval:
    """All real numbers from ``lo`` to ``hi`` (both included)."""

    lo: Fraction
    """The lower end."""
    hi: Fraction
    """The upper end, never below ``lo``."""

    @staticmethod
    def point(value: Fraction) -> Interval:
        """The interval holding exactly ``value``.

        >>> Interval.point(Fraction(1, 3)) + Interval.point(Fraction(2, 3))
        Interval(lo=Fraction(1, 1), hi=Fraction(1, 1))
        """
        return Interval(value, value)

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

    def intersects(self, other: Interval) -> bool:
        """Whether the two intervals share a number."""
        return self.lo <= other.hi and other.lo <= self.hi

    def hull(self, other: Interval) -> Interval:
        """The smallest interval holding both."""
        return Interval(min(self.lo, other.lo), max(self.hi, other.hi))

    def distance(self, other: Interval) -> Fraction:
        """The gap between the two intervals (0 when they meet)."""
        return max(Fraction(0), other.lo - self.hi, self.lo - other.hi)

    def __add__(self, other: Interval) -> Interval:
        return Interval(_checked(self.lo + other.lo), _checked(self.hi + other.hi))

    def __sub__(self, other: Interval) -> Interval:
        return Interval(_checked(self.lo - other.hi), _checked(self.hi - other.lo))

    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def __mul__(self, other: Interval) -> Interval:
        if self.is_point and other.is_point:
            return Interval.point(_checked(self.lo * other.lo))
        products = (self.lo * other.lo, self.lo * other.hi, self.hi * other.lo, self.hi * other.hi)
        return Interval(_checked(min(products)), _checked(max(products)))

    def __truediv__(self, other: Interval) -> Interval:
        if other.lo <= 0 <= other.hi:
            raise ParseError(
                "division by zero" if other.is_point else "division by a number that may be zero"
            )
        return self * Interval(1 / other.hi, 1 / other.lo)

    def contains_zero(self) -> bool:
        return self.lo <= 0 <= self.hi


def power_integer(base: Interval, exponent: int) -> Interval:
    """base ** exponent for an integer exponent (sign-aware for even powers).

    >>> power_integer(Interval(Fraction(-2), Fraction(1)), 2)
    Interval(lo=Fraction(0, 1), hi=Fraction(4, 1))
    """
    if exponent < 0:
        return Interval.point(Fraction(1)) / power_integer(base, -exponent)
    bits = max(
        abs(base.lo).numerator.bit_length(),
        abs(base.hi).numerator.bit_length(),
        base.lo.denominator.bit_length(),
        base.hi.denominator.bit_length(),
    )
    if bits * exponent > MAX_BITS:
        raise ParseError(f"a power with exponent {exponent} is too large to compute")
    low, high = base.lo**exponent, base.hi**exponent
    if exponent % 2 == 0 and base.lo < 0 < base.hi:
        return Interval(Fraction(0), max(low, high))
    return Interval(min(low, high), max(low, high))


def _to_iv(value: Fraction) -> object:
    numerator = _IV.mpf(value.numerator)
    return numerator if value.denominator == 1 else numerator / _IV.mpf(value.denominator)


def _from_iv(value: object) -> Interval:
    low, high = value._mpi_  # type: ignore[attr-defined]
    if low in _NON_FINITE or high in _NON_FINITE:
        raise ParseError("a value too large to represent")
    return Interval(_checked(Fraction(*to_rational(low))), _checked(Fraction(*to_rational(high))))


def _increasing(function: Callable[[object], object]) -> Callable[[Interval], Interval]:
    """Lift an increasing function of one mpmath interval to :class:`Interval`."""

    def lifted(x: Interval) -> Interval:
        low = _from_iv(function(_to_iv(x.lo)))
        if x.is_point:
            return low
        return Interval(low.lo, _from_iv(function(_to_iv(x.hi))).hi)

    return lifted


def _tanh(x: object) -> object:
    return 1 - 2 / (_IV.exp(2 * x) + 1)  # type: ignore[operator]


_exp = _increasing(_IV.exp)
_log = _increasing(_IV.log)
_tanh_lifted = _increasing(_tanh)


def exp(x: Interval) -> Interval:
    """e**x, enclosed.

    >>> exp(Interval.point(Fraction(0)))
    Interval(lo=Fraction(1, 1), hi=Fraction(1, 1))
    """
    if x.is_point and x.lo == 0:
        return Interval.point(Fraction(1))
    if max(abs(x.lo), abs(x.hi)) > MAX_EXP_ARGUMENT:
        raise ParseError(f"e to a power beyond ±{MAX_EXP_ARGUMENT} is too large to compute")
    return _exp(x)


def log(x: Interval) -> Interval:
    """Natural logarithm; refuses numbers that may be zero or negative."""
    if x.lo <= 0:
        raise ParseError("logarithm of a number that is not positive")
    if x.is_point and x.lo == 1:
        return Interval.point(Fraction(0))
    return _log(x)


def integer_log(value: Fraction, base: Fraction) -> int | None:
    """n when value is exactly base**n (so log₁₀ 1000 is exactly 3), else None.

    >>> integer_log(Fraction(1, 100), Fraction(10)), integer_log(Fraction(5), Fraction(10))
    (-2, None)
    """
    if value <= 0 or base <= 0 or base == 1:
        return None
    estimate = round(_float_log(value) / _float_log(base))
    if abs(estimate) > MAX_EXPONENT_FOR_LOG:
        return None
    return estimate if base**estimate == value else None


MAX_EXPONENT_FOR_LOG = 1000
"""Exact logarithms are looked for up to this exponent."""


def _float_log(value: Fraction) -> float:
    return math.log(value.numerator) - math.log(value.denominator)


def tanh(x: Interval) -> Interval:
    """Hyperbolic tangent (increasing), enclosed."""
    if x.is_point and x.lo == 0:
        return x
    return _tanh_lifted(x)


def euler() -> Interval:
    """An enclosure of e (at the working precision)."""
    return _euler(_IV.prec)


def pi() -> Interval:
    """An enclosure of pi (at the working precision)."""
    return _pi(_IV.prec)


@cache
def _euler(bits: int) -> Interval:
    return exp(Interval.point(Fraction(1)))


@cache
def _pi(bits: int) -> Interval:
    return _from_iv(_IV.pi)


@contextmanager
def working_precision(bits: int) -> Iterator[None]:
    """Compute irrational enclosures at ``bits`` bits inside the block (not thread-safe)."""
    previous = _IV.prec
    _IV.prec = bits
    try:
        yield
    finally:
        _IV.prec = previous


def integer_nthroot(value: int, index: int) -> tuple[int, bool]:
    """(floor of the index-th root of a non-negative integer, whether it is exact).

    >>> integer_nthroot(27, 3), integer_nthroot(28, 3)
    ((3, True), (3, False))
    """
    if value < 2:
        return value, True
    if index == 2:
        root = math.isqrt(value)
        return root, root * root == value
    root = 1 << -(-value.bit_length() // index)  # 2^ceil(bits/index) is above the root
    while True:  # Newton's method on integers, descending to the floor of the root
        better = ((index - 1) * root + value // root ** (index - 1)) // index
        if better >= root:
            return root, root**index == value
        root = better


def _exact_root(value: Fraction, index: int) -> Fraction | None:
    """The index-th root of a non-negative rational when it is rational, else None."""
    numerator, numerator_exact = integer_nthroot(value.numerator, index)
    denominator, denominator_exact = integer_nthroot(value.denominator, index)
    return Fraction(numerator, denominator) if numerator_exact and denominator_exact else None


def _root_of_non_negative(value: Fraction, index: int) -> Interval:
    exact = _exact_root(value, index)
    if exact is not None:
        return Interval.point(exact)
    return exp(log(Interval.point(value)) / Interval.point(Fraction(index)))


def root(x: Interval, index: int) -> Interval:
    """The real index-th root; odd roots of negatives are negative.

    A widened interval that dips below zero (e.g. the rounding interval of 0.00) is cut
    at zero for an even root, since only its non-negative part has a root.

    >>> root(Interval.point(Fraction(1, 4)), 2)
    Interval(lo=Fraction(1, 2), hi=Fraction(1, 2))
    >>> root(Interval.point(Fraction(-8)), 3)
    Interval(lo=Fraction(-2, 1), hi=Fraction(-2, 1))
    """
    if index < 1 or index > 1000:
        raise ParseError(f"a root of index {index} is not read")
    odd = index % 2 == 1
    if x.hi < 0 and not odd:
        raise ParseError("even root of a negative number")
    low = _signed_root(x.lo if odd else max(x.lo, Fraction(0)), index)
    if x.is_point:
        return low
    return Interval(low.lo, _signed_root(x.hi, index).hi)


def _signed_root(value: Fraction, index: int) -> Interval:
    if value < 0:
        return -_root_of_non_negative(-value, index)
    return _root_of_non_negative(value, index)


def power(base: Interval, exponent: Interval) -> Interval:
    """base ** exponent: exact for integer exponents, otherwise via exp(exponent · log base)."""
    if exponent.is_point and exponent.lo.denominator == 1:
        if abs(exponent.lo) > 1000:
            raise ParseError(f"an exponent of {exponent.lo} is too large to compute")
        return power_integer(base, int(exponent.lo))
    if exponent.is_point and exponent.lo.denominator <= 1000 and abs(exponent.lo.numerator) <= 1000:
        rooted = root(base, exponent.lo.denominator)
        return power_integer(rooted, exponent.lo.numerator)
    if base.lo <= 0:
        raise ParseError("a non-integer power of a number that may be negative")
    logarithm = log(base)
    corners = [
        exponent.lo * logarithm.lo,
        exponent.lo * logarithm.hi,
        exponent.hi * logarithm.lo,
        exponent.hi * logarithm.hi,
    ]
    return exp(Interval(min(corners), max(corners)))


def maximum(values: list[Interval]) -> Interval:
    """The interval of max over choices from each interval."""
    return Interval(max(v.lo for v in values), max(v.hi for v in values))


def minimum(values: list[Interval]) -> Interval:
    """The interval of min over choices from each interval."""
    return Interval(min(v.lo for v in values), min(v.hi for v in values))


def absolute(x: Interval) -> Interval:
    """|x| over the interval."""
    if x.lo >= 0:
        return x
    if x.hi <= 0:
        return -x
    return Interval(Fraction(0), max(-x.lo, x.hi))
