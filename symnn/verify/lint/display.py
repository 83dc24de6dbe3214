"""Values written for people: exact when short, otherwise approximations with enough digits.

>>> show(Interval.point(Fraction(1, 3)))
'1/3 = 0.3333333…'
>>> show_value(Grid(((Interval.point(Fraction(7, 10)),), (Interval.point(Fraction(13, 20)),))))
'[[0.7], [0.65]]'
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction
from functools import lru_cache

from symnn.core.interval import Interval
from symnn.verify.syntax.grid import Grid

TIGHT = Fraction(1, 2**90)
"""An enclosure at most this wide (relative to its size) is shown as one number."""


def rounded_text(value: Interval, places: int | None) -> str:
    digits = places or 0
    with localcontext() as context:
        context.prec = 60
        mid = Decimal(value.midpoint.numerator) / Decimal(value.midpoint.denominator)
        return _plain(mid.quantize(Decimal(1).scaleb(-digits)))


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    return "0" if text in ("-0", "-0.0") else text


def exact_decimal(value: Fraction, limit: int = 12) -> str | None:
    """The finite decimal expansion of ``value`` if it has at most ``limit`` places.

    >>> exact_decimal(Fraction(-11, 20)), exact_decimal(Fraction(1, 3))
    ('-0.55', None)
    """
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    places = max(twos, fives)
    if denominator != 1 or places > limit:
        return None
    scaled = value * 10**places
    return _plain(Decimal(scaled.numerator).scaleb(-places))


def approximate(value: Fraction, significant: int) -> str:
    with localcontext() as context:
        context.prec = max(significant, 1)
        number = Decimal(value.numerator) / Decimal(value.denominator)
    return (
        _plain(number.normalize())
        if abs(number) >= Decimal("1e-6") or number == 0
        else f"{number:e}"
    )


def show(value: Interval, places: int | None = None) -> str:
    """A value for a message: exact when short, else an approximation with enough digits."""
    digits = max(7, (places or 0) + 4)
    if value.is_point:
        return _show_point(value.lo, digits)
    if value.width <= TIGHT * max(Fraction(1), abs(value.midpoint)):
        return f"{approximate(value.midpoint, digits)}…"
    return f"between {approximate(value.lo, digits)} and {approximate(value.hi, digits)}"


@lru_cache(maxsize=4096)
def _show_point(value: Fraction, digits: int) -> str:
    exact = exact_decimal(value)
    if exact is not None:
        return exact
    if value.denominator < 10**6:
        return f"{value.numerator}/{value.denominator} = {approximate(value, digits)}…"
    return f"{approximate(value, digits)}…"


def _show_entry(value: Interval) -> str:
    if value.is_point:
        exact = exact_decimal(value.lo)
        if exact is not None:
            return exact
    return approximate(value.midpoint, 7) + "…"


def show_value(value: Interval | Grid[Interval]) -> str:
    """A side's value for a report: a number, or ``[[a, b], [c, d]]``."""
    if isinstance(value, Interval):
        return show(value)
    return (
        "["
        + ", ".join("[" + ", ".join(_show_entry(e) for e in row) + "]" for row in value.rows)
        + "]"
    )
