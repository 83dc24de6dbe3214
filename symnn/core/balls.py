"""python-flint ``arb`` balls and exact rationals: the bridge between ball arithmetic and intervals.

A ball is a midpoint and a radius, both binary fractions, so its ends are exact rationals:
:func:`bounds` turns any ball into the two Fractions that enclose it, which is how the
irrational values of :mod:`symnn.core.interval` and of the checker's answer key are enclosed
rigorously.

>>> import flint
>>> with flint.ctx.workprec(100):
...     low, high = bounds(from_fraction(Fraction(1, 3)).exp())
>>> float(low), 0 < high - low < Fraction(1, 10**28)
(1.3956124250860895, True)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

import flint

PRECISION = 200
"""Default working precision of rigorous enclosures (:mod:`symnn.core.interval`), in bits."""

_PRECISION = [PRECISION]


def precision() -> int:
    """The working precision of rigorous enclosures, in bits."""
    return _PRECISION[-1]


@contextmanager
def working_precision(bits: int) -> Iterator[None]:
    """Compute rigorous enclosures at ``bits`` bits inside the block (not thread-safe)."""
    _PRECISION.append(bits)
    try:
        yield
    finally:
        _PRECISION.pop()


class NotFinite(ArithmeticError):
    """A ball is infinite or NaN (an overflow or a value outside a function's domain)."""


def from_fraction(value: Fraction) -> Any:
    """The ball enclosing ``value`` at the context precision (exact when it fits)."""
    return flint.arb(flint.fmpq(value.numerator, value.denominator))


def exact_fraction(exact: Any) -> Fraction:
    """An exact ball (radius 0, e.g. a ball's midpoint) as the Fraction it stores."""
    mantissa, exponent = (int(part) for part in exact.man_exp())
    if exponent >= 0:
        return Fraction(mantissa << exponent)
    return Fraction(mantissa, 1 << -exponent)


def bounds(ball: Any) -> tuple[Fraction, Fraction]:
    """The rationals ``mid - rad`` and ``mid + rad`` enclosing a finite ball.

    >>> bounds(flint.arb(3))
    (Fraction(3, 1), Fraction(3, 1))
    """
    if not ball.is_finite():
        raise NotFinite(f"the ball {ball} is not finite")
    middle, radius = exact_fraction(ball.mid()), exact_fraction(ball.rad())
    return middle - radius, middle + radius


def covering(low: Fraction, high: Fraction) -> Any:
    """A ball holding every number from ``low`` to ``high``."""
    if low == high:
        return from_fraction(low)
    return from_fraction(low).union(from_fraction(high))
