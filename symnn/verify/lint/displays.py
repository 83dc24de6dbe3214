"""Numbers a sheet only *displays* rounded: which decimals stand for their rounding interval.

A quiz page that shows every number with four places (``4.7000``, ``1.0000``, ``0.0050``)
or a note that shows a weight vector as ``0.674, -0.335, -0.404`` computed those values
elsewhere with more digits and displays them rounded; a result combined from them is right
when it lies within what the displayed operands can produce.  Such a decimal stands for
its whole rounding interval [d - ½·10⁻ᵏ, d + ½·10⁻ᵏ] wherever it is an operand (never as
the claim being judged).  The sheet has to *show* that it displays at a fixed precision;
a decimal is a display when

1. **the sheet displays at k places** (:func:`display_places`): it pads decimals with
   trailing zeros at k ≥ 3 places (at least two such, like ``4.7000`` and ``0.0050``;
   the most places if several), or
   nearly all its decimals have the same k ≥ 3 places (at least
   :data:`SAME_PLACES_SHARE` of them, and :data:`SAME_PLACES_COUNT` or more), and the
   decimal has k places;
2. **the link says so**: it is written with ``≈`` and the decimal has as many places
   (two or more) as the claim (``-0.9955 \\cdot 4.7000 \\approx -4.6791``);
3. **it is a shorter rounding of a result written earlier**: it has k ≥ 3 places and
   equals, rounded to k places, a number the sheet wrote as a result with more places
   (``0.59327`` after ``\\text{out}_{h1} = 0.593269992``);
4. **it is long**: it has :data:`LONG_DIGITS` or more significant digits
   (``0.75136507``).  No one gives a weight or an input like that; it is a computed
   value shown rounded, even where the link that computed it was wrong for another reason.

A decimal the sheet computed exactly (a claim equal to its left side with no rounding)
is never a display.

A given written with fewer places (a weight ``0.2`` on a sheet that shows results at
three places) stays exact, and so does every decimal of a sheet that shows no display
precision: the seed's ``\\frac{30 - 18.33}{10.28} = 1.297`` stays an error.

>>> display_places([r"-0.9955 \\cdot 4.7000 \\approx -4.6791", r"-\\log(0.0050) \\approx 5.3050"])
4
>>> display_places([r"\\frac{55}{3} = 18.33", r"0.2 \\cdot 0.4 + 0.1 = 0.18"]) is None
True
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from fractions import Fraction

from symnn.core.interval import Interval
from symnn.core.nodes import Number

SAME_PLACES_SHARE = Fraction(2, 3)
"""The share of a sheet's decimals that must have the same places to show a precision."""
SAME_PLACES_COUNT = 4
"""The fewest decimals with the same places that show a precision."""
PADDED_COUNT = 2
"""The fewest decimals padded with trailing zeros at the same places that show a precision."""

LONG_DIGITS = 7
"""Significant digits from which a decimal is a computed value displayed rounded (rule 4)."""

_DECIMAL = re.compile(r"(?<![\w.])\d+\.(\d+)(?![\d.]|[eE][+-]?\d)")


def display_places(texts: Iterable[str]) -> int | None:
    """The places a sheet displays its numbers at (rule 1), or None if it shows none."""
    places: Counter[int] = Counter()
    padded: Counter[int] = Counter()
    for text in texts:
        for match in _DECIMAL.finditer(text):
            fraction = match.group(1)
            places[len(fraction)] += 1
            if len(fraction) >= 2 and fraction.endswith("0"):
                padded[len(fraction)] += 1
    if not places:
        return None
    total = sum(places.values())
    shown = [k for k, count in padded.items() if count >= PADDED_COUNT and k >= 3]
    if shown:
        return max(shown)  # givens padded to two places (0.10, 0.20) stay exact
    k, count = places.most_common(1)[0]
    if k >= 3 and count >= SAME_PLACES_COUNT and count >= SAME_PLACES_SHARE * total:
        return k
    return None


def long_display(number: Number) -> bool:
    """Rule 4: a decimal with :data:`LONG_DIGITS` or more significant digits.

    >>> long_display(Number(Fraction("0.75136507"), 8, "0.75136507"))
    True
    >>> long_display(Number(Fraction("0.0050"), 4, "0.0050"))
    False
    """
    if not number.decimals:
        return False
    digits = number.text.replace(".", "").lstrip("0")
    return digits.isdigit() and len(digits) >= LONG_DIGITS


def display_interval(value: Fraction, places: int) -> Interval:
    """The values a decimal with ``places`` places displays: its rounding interval."""
    return Interval.around(value, Fraction(1, 2 * 10**places))


class ShownResults:
    """The shorter roundings of results the sheet wrote (rule 3).

    >>> shown = ShownResults()
    >>> shown.learn(Fraction("0.593269992"), 9)
    >>> shown.rounds(Fraction("0.59327"), 5), shown.rounds(Fraction("0.59328"), 5)
    (True, False)
    """

    __slots__ = ("_known",)

    MIN_PLACES = 3
    """Roundings to fewer places are too likely to match by chance."""

    def __init__(self) -> None:
        self._known: set[tuple[Fraction, int]] = set()

    def learn(self, value: Fraction, places: int) -> None:
        """Remember a result written with ``places`` places (its sign ignored)."""
        magnitude = abs(value)
        for k in range(self.MIN_PLACES, min(places, 40)):
            unit = Fraction(1, 10**k)
            scaled = magnitude / unit
            below = scaled.numerator // scaled.denominator
            self._known.add((below * unit, k))
            if scaled - below >= Fraction(1, 2):
                self._known.add(((below + 1) * unit, k))

    def rounds(self, value: Fraction, places: int) -> bool:
        """Whether ``value`` with ``places`` places rounds a result written earlier."""
        return places >= self.MIN_PLACES and (abs(value), places) in self._known
