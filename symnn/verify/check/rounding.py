"""The rounding rule of ``symnn check`` (see :mod:`symnn.verify.check.judge`) and each entry's verdict.

A claim written with k decimals is accepted for a value when it is one of the value's two
k-decimal neighbours; the comparisons are done in integer arithmetic on the claim and the
ends of the value's interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from symnn.core.interval import Interval
from symnn.verify.check.verdicts import CARRIED, CORRECT, ROUNDING, WRONG


def _within(claim: Fraction, places: int, value: Interval, halves: int) -> bool:
    """Whether ``value`` reaches within ``halves``/2 units of the claim's last place (ends exclusive
    for whole units, inclusive for half units), in integer arithmetic."""
    scale = 2 * 10**places
    n = claim.numerator * (scale // claim.denominator)  # the claim has ``places`` decimals: exact
    lo, hi = value.lo, value.hi
    below = lo.numerator * scale - (n + halves) * lo.denominator  # sign of lo - (claim + reach)
    above = hi.numerator * scale - (n - halves) * hi.denominator  # sign of hi - (claim - reach)
    return bool((below <= 0 and above >= 0) if halves % 2 else (below < 0 and above > 0))


def accepts(claim: Fraction, places: int | None, value: Interval) -> bool:
    """Whether the claim is a rounding of some number in ``value`` to its places (see the module doc).

    >>> accepts(Fraction("10.28"), 2, Interval.point(Fraction("10.274")))
    True
    >>> accepts(Fraction("0.989"), 3, Interval.point(Fraction("0.988")))
    False
    """
    if places is None:
        return value.contains(claim)
    return _within(claim, places, value, 2)


def nearest(claim: Fraction, places: int | None, value: Interval) -> bool:
    """Whether the claim is the correct (nearest) rounding of some number in ``value``."""
    if places is None:
        return value.contains(claim)
    return _within(claim, places, value, 1)


@dataclass(frozen=True, slots=True)
class Entry:
    """The verdict on one written entry of a claim."""

    verdict: str
    """The entry's verdict."""
    matched: Interval | None
    """The value it was accepted for (None when wrong)."""
    recomputed: bool
    """Whether it was accepted for the value recomputed from the student's earlier claims."""


WRONG_ENTRY = Entry(WRONG, None, False)
"""A wrong entry."""


def judge_direct(c: Fraction, k: int | None, exact: Fraction | None, E: Interval) -> Entry:
    """An entry ``c`` written with ``k`` decimals against the exact value (``E`` encloses it)."""
    if exact is not None and c == exact:
        return Entry(CORRECT, E, False)
    if accepts(c, k, E):
        return Entry(ROUNDING, E, False)
    return WRONG_ENTRY


def judge_again(c: Fraction, k: int | None, P: Interval | None, tainted: bool) -> Entry:
    """An entry against ``P``, the value recomputed from the student's earlier claims."""
    if P is not None and accepts(c, k, P):
        return Entry(CARRIED if tainted else ROUNDING, P, True)
    return WRONG_ENTRY


def box(c: Fraction, k: int | None, entry: Entry) -> Interval:
    """The student's own value behind a written entry: its rounding interval and what it matched."""
    if k is None or entry.verdict == CORRECT:
        return Interval.point(c)
    half = Fraction(1, 2 * 10**k)
    around = Interval(c - half, c + half)
    return around.hull(entry.matched) if entry.matched is not None else around
