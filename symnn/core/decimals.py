"""The number rules every sheet, key and checker shares: exact decimals, rounding, floats, plain text.

A terminating rational is its own exact decimal (``11/20`` is ``0.55``); any other exact value
is shown after ``≈`` rounded half to even from one cached 50-digit evaluation, with more places
for small values so they keep three significant digits.  Renderers print these numbers; the
solvers, the cross-check and the checker compute with the same rules, so they never import a
renderer.

>>> import sympy as sp
>>> approximate(sp.sqrt(2), 3), approximate(sp.Rational(1, 3000), 3)
(707/500, 333/1000000)
>>> rational_text(sp.Rational(-11, 200)), exact_text(sp.Matrix([[1, sp.Rational(1, 3)]]))
('-0.055', '[[1, 1/3]]')
"""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from functools import lru_cache

import sympy as sp

from symnn.core.domains import NotCompilable
from symnn.core.program import enclose

DEFAULT_DECIMALS = 3
"""Places after ``≈`` unless a sheet or the command line asks for others."""

NUMERIC_DIGITS = 50
"""Significant digits of the one cached evaluation every rounding and float reads."""


def terminating(value: sp.Rational | Fraction) -> bool:
    """Whether a rational has a finite decimal expansion (denominator 2^a 5^b)."""
    q = int(value.denominator)
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def rational_text(value: sp.Rational) -> str:
    """A terminating rational as an exact decimal string, e.g. ``-0.055``."""
    text = format(Decimal(int(value.p)) / Decimal(int(value.q)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def decimal_text(value: Fraction, places: int | None) -> str:
    """A Fraction as a decimal: exactly (places None, terminating values only) or rounded to ``places``.

    >>> decimal_text(Fraction(55, 3), 2), decimal_text(Fraction(-1, 8), None), decimal_text(Fraction(-1, 1000), 2)
    ('18.33', '-0.125', '0.00')
    """
    with decimal.localcontext() as ctx:
        ctx.prec = 80
        d = Decimal(value.numerator) / Decimal(value.denominator)
        if places is not None:
            d = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    text = format(d, "f")
    if places is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


@lru_cache(maxsize=1 << 16)
def numeric_value(value: sp.Basic) -> sp.Basic:
    """The exact value evaluated once to :data:`NUMERIC_DIGITS` digits (cached: an entry shown in
    several places of a sheet, its key and its Moodle questions is evaluated once).

    A number that is not rational is enclosed in arb balls by the one compiler (rigorous, and
    far faster than SymPy's ``evalf`` on the nested exponentials of a deep network); SymPy
    evaluates what the compiler does not read.

    >>> numeric_value(sp.log(2)) == sp.N(sp.log(2), NUMERIC_DIGITS)
    True
    """
    if not value.is_Number:
        enclosed = _enclosed(value)
        if enclosed is not None:
            return enclosed
    return sp.N(value, NUMERIC_DIGITS)


def _enclosed(value: sp.Basic) -> sp.Basic | None:
    """The midpoint of a rigorous enclosure (narrower than 10^-50 relative) as a Float, or None."""
    try:
        low, high = enclose(value)
    except (NotCompilable, ValueError):
        return None
    middle = (low + high) / 2
    return sp.N(sp.Rational(middle.numerator, middle.denominator), NUMERIC_DIGITS)


def round_rational(value: sp.Basic, decimals: int) -> sp.Rational:
    """The exact value rounded to ``decimals`` places, as an exact rational."""
    number = numeric_value(value) if decimals <= NUMERIC_DIGITS - 30 else sp.N(value, 30 + decimals)
    if not number.is_real or not number.is_finite:
        raise ValueError(f"not a finite real number: {value}")
    text = format(Decimal(str(number)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_EVEN), "f")
    return sp.Rational(text)


def digits_for(value: sp.Basic, decimals: int) -> int:
    """Places to show: ``decimals``, or more so a small value keeps 3 significant digits."""
    number = abs(float(numeric_value(value)))
    places = decimals
    while 0 < number < 10 ** (2 - places) and places < 12:
        places += 1
    return places


def is_exact_decimal(value: sp.Basic) -> bool:
    """Whether the value, printed, is already its own decimal (a terminating rational)."""
    if isinstance(value, sp.MatrixBase):
        return all(is_exact_decimal(v) for v in value)
    return bool(isinstance(value, sp.Rational) and terminating(value))


def approximate(value: sp.Basic, decimals: int) -> sp.Basic:
    """The decimal shown after ``≈``: the value rounded, entry by entry for a matrix."""
    if isinstance(value, sp.MatrixBase):
        return sp.ImmutableMatrix(
            value.shape[0], value.shape[1], [approximate(v, decimals) for v in value]
        )
    return round_rational(value, digits_for(value, decimals))


def to_float(value: sp.Basic) -> float | list[list[float]]:
    """A float (or rows of floats) for JSON; the exact value stays the record."""
    if isinstance(value, sp.MatrixBase):
        return [[float(numeric_value(v)) for v in value.row(i)] for i in range(value.rows)]
    return float(numeric_value(value))


def exact_text(value: sp.Basic) -> str:
    """Plain-text exact value: SymPy's string form; matrices as nested lists of rows."""
    if isinstance(value, sp.MatrixBase):
        rows = ", ".join("[" + ", ".join(sp.sstr(v) for v in value.row(i)) + "]" for i in range(value.rows))
        return f"[{rows}]"
    return str(sp.sstr(value))
