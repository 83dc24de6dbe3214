"""Certified decimals: every printed digit guaranteed, by ball arithmetic.

A transcendental gradient such as ``σ(3/2) − 1`` has no finite decimal form.  symnn
computes it with python-flint's ``arb`` balls: each number is a midpoint and a radius
that provably contains the true value.  A decimal with ``digits`` significant digits is
printed only when *every* point of the ball rounds to the same decimal, so the text is
the correctly rounded true value.  When a ball is too wide for that, the computation is
redone at a higher precision (:func:`certify`); an entry that stays undecidable (an exact
zero reached through cancellation, say) prints as an enclosure ``[+/- 1.0e-300]``
instead of digits that might be wrong.

Rational results never need balls: they are rounded exactly from their fractions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import flint
from sympy import QQ  # noqa: F401 - used by the docstring examples
from sympy.polys.matrices import DomainMatrix

from symnn.core.domains import Undecided
from symnn.errors import MathDomainError

GUARD_BITS = 24
"""Extra bits beyond the requested digits, so that rounding is rarely ambiguous."""
MAX_REFINEMENTS = 5
"""How many times the working precision is doubled before giving up on an entry."""


def bits_for(digits: int) -> int:
    """Binary precision needed for ``digits`` significant decimal digits plus guard bits.

    >>> bits_for(50)
    191
    """
    return math.ceil(digits * math.log2(10)) + GUARD_BITS


def round_significant(value: Fraction, digits: int) -> str:
    """``value`` correctly rounded (half to even) to ``digits`` significant digits.

    >>> round_significant(Fraction(2, 3), 5), round_significant(Fraction(-1, 8), 2)
    ('0.66667', '-0.12')
    >>> round_significant(Fraction(999996, 1000000), 5), round_significant(Fraction(0), 3)
    ('1.0000', '0')
    >>> round_significant(Fraction(1, 3 * 10**9), 3)
    '3.33E-10'
    """
    if value == 0:
        return "0"
    sign = 1 if value < 0 else 0
    magnitude = abs(value)
    exponent = len(str(magnitude.numerator)) - len(str(magnitude.denominator))
    if Fraction(10) ** exponent > magnitude:
        exponent -= 1
    significand = round(magnitude * Fraction(10) ** (digits - 1 - exponent))
    if significand >= 10**digits:
        exponent += 1
        significand = round(magnitude * Fraction(10) ** (digits - 1 - exponent))
    decimal = Decimal((sign, tuple(int(c) for c in str(significand)), exponent - digits + 1))
    return str(decimal)


def ball_endpoints(ball: Any) -> tuple[Fraction, Fraction]:
    """The exact lower and upper ends of an ``arb`` ball, as Fractions.

    Midpoint and radius are read exactly; ``arb.lower()`` would round to the context
    precision.
    """
    middle, radius = _exact_fraction(ball.mid()), _exact_fraction(ball.rad())
    return middle - radius, middle + radius


def _exact_fraction(exact_ball: Any) -> Fraction:
    if exact_ball.is_zero():
        return Fraction(0)
    mantissa, exponent = (int(part) for part in exact_ball.man_exp())
    return Fraction(mantissa * 2**exponent) if exponent >= 0 else Fraction(mantissa, 2**-exponent)


def below(ball: Any, bound: Fraction) -> bool:
    """Whether every point of ``ball`` is less than ``bound`` (exactly decided).

    >>> below(flint.arb(0, 1e-310), Fraction(1, 10**300)), below(flint.arb(1e-299), Fraction(1, 10**300))
    (True, False)
    """
    return bool(ball.is_finite() and ball_endpoints(ball)[1] < bound)


def ball_decimal(ball: Any, digits: int) -> str | None:
    """The correctly rounded decimal of every point in ``ball``, or None if they differ.

    >>> with flint.ctx.workprec(200):
    ...     ball_decimal(flint.arb(1).exp(), 30)
    '2.71828182845904523536028747135'
    >>> with flint.ctx.workprec(20):
    ...     print(ball_decimal(flint.arb(1).exp(), 30))
    None
    """
    if not ball.is_finite():
        return None
    low, high = ball_endpoints(ball)
    text = round_significant(low, digits)
    return text if low == high or round_significant(high, digits) == text else None


def accurate_enough(ball: Any, bits: int) -> bool:
    """Whether ``ball`` pins its value down to ``bits`` relative bits (exact balls always do)."""
    return bool(ball.is_exact() or ball.rel_accuracy_bits() >= bits)


def matrix_entries(balls: Any) -> list[Any]:
    """The entries of an ``arb_mat`` in row-major order."""
    return list(balls.entries())


Compute = Callable[[int], Mapping[str, Any]]
"""A computation at a binary precision, returning named ``arb_mat`` results."""


def certify(compute: Compute, digits: int, enough: Callable[[str, Any, int], bool] | None = None
            ) -> tuple[dict[str, Any], int]:
    """Run ``compute`` at increasing precision until every entry has ``digits`` digits.

    ``enough(name, ball, bits)``, when given, decides instead of :func:`accurate_enough` whether an
    entry of the result ``name`` is known well enough (a vanishing training loss: a certified bound).

    Returns the results and the precision that achieved them.  Entries that stay too wide
    after :data:`MAX_REFINEMENTS` doublings (typically exact zeros reached through
    cancellation) are returned as they are; :class:`CertifiedMatrix` prints them as
    enclosures.
    """
    needed = bits_for(digits)
    precision = needed + 32
    undecided: Undecided | None = None
    best: tuple[dict[str, Any], int] | None = None
    for _ in range(MAX_REFINEMENTS + 1):
        try:
            with flint.ctx.workprec(precision):
                results = dict(compute(precision))
        except Undecided as exc:
            undecided = exc
            precision *= 2
            continue
        best = (results, precision)
        if all(accurate_enough(b, needed) if enough is None else enough(name, b, needed)
               for name, m in results.items() for b in matrix_entries(m)):
            return best
        precision *= 2
    if best is None:
        raise MathDomainError(
            f"cannot certify the result: a branch condition stays undecided at {precision // 2} "
            f"bits ({undecided}); a pre-activation is too close to an activation's kink")
    if not all(b.is_finite() for m in best[0].values() for b in matrix_entries(m)):
        raise MathDomainError("the result is undefined at these values (e.g. log 0 or a division "
                              "by zero in the loss gradient)")
    return best


@dataclass(frozen=True, slots=True)
class CertifiedMatrix:
    """A matrix whose decimals are guaranteed: exact fractions or refinable balls.

    >>> m = CertifiedMatrix.from_exact(DomainMatrix([[QQ(1, 3), QQ(2)]], (1, 2), QQ), 10)
    >>> m[0, 0], m[0, 1]
    ('0.3333333333', '2.000000000')
    >>> m.interval(0, 0)
    (Fraction(1, 3), Fraction(1, 3))
    """

    shape: tuple[int, int]
    """(rows, columns)."""
    digits: int
    """Significant decimal digits guaranteed in every printed entry."""
    exact: DomainMatrix | None
    """The exact rational values when the result is rational, else None."""
    balls: Any
    """The ``arb_mat`` of enclosures (None for an exact result)."""
    precision: int
    """Binary precision at which :attr:`balls` was computed."""
    refine: Callable[[int], Any] | None = field(default=None, compare=False, repr=False)
    """Recomputes :attr:`balls` at a higher precision when rounding is ambiguous."""
    _refined: dict[int, Any] = field(default_factory=dict, compare=False, repr=False)
    """Balls recomputed by :attr:`refine`, by precision."""
    floor: Fraction | None = None
    """When given, an entry whose enclosure lies wholly below it prints as that certified bound,
    ``<1E-300``, instead of digits (a training loss that vanishes: see :func:`below`)."""

    @classmethod
    def from_exact(cls, values: DomainMatrix, digits: int) -> CertifiedMatrix:
        """Wrap exact rational values (their decimals are rounded exactly)."""
        return cls(values.shape, digits, values.to_dense(), None, 0)

    def interval(self, i: int, j: int) -> tuple[Fraction, Fraction]:
        """Exact bounds (lower, upper) that contain the true entry (i, j)."""
        if self.exact is not None:
            value = self.exact.rep.getitem(i, j)
            fraction = Fraction(int(value.numerator), int(value.denominator))
            return fraction, fraction
        return ball_endpoints(self.balls[i, j])

    def ball(self, i: int, j: int) -> Any:
        """Entry (i, j) as an ``arb`` ball (exact rationals at the digits' precision)."""
        if self.exact is not None:
            value = self.exact.rep.getitem(i, j)
            with flint.ctx.workprec(bits_for(self.digits)):
                return flint.arb(flint.fmpq(int(value.numerator), int(value.denominator)))
        return self.balls[i, j]

    def contains(self, i: int, j: int, value: Fraction | int) -> bool:
        """Whether the exact number ``value`` lies in the enclosure of entry (i, j)."""
        low, high = self.interval(i, j)
        return low <= Fraction(value) <= high

    def __getitem__(self, index: tuple[int, int]) -> str:
        """The certified decimal of entry (i, j)."""
        i, j = index
        if self.exact is not None:
            low, _ = self.interval(i, j)
            return round_significant(low, self.digits)
        return self._ball_text(i, j)

    def bounded(self, i: int, j: int) -> bool:
        """Whether entry (i, j) is certified to lie below :attr:`floor` (it prints as that bound)."""
        return self.floor is not None and self.exact is None and below(self.balls[i, j], self.floor)

    def _ball_text(self, i: int, j: int) -> str:
        if self.bounded(i, j):
            assert self.floor is not None
            return "<" + round_significant(self.floor, 1)
        balls, precision = self.balls, self.precision
        for _ in range(MAX_REFINEMENTS + 1):
            text = ball_decimal(balls[i, j], self.digits)
            if text is not None or self.refine is None:
                break
            precision *= 2
            if precision not in self._refined:
                with flint.ctx.workprec(precision):
                    self._refined[precision] = self.refine(precision)
            balls = self._refined[precision]
        return text if text is not None else str(balls[i, j].str(5))

    def decimals(self) -> tuple[tuple[str, ...], ...]:
        """Every entry as a certified decimal, row by row."""
        rows, cols = self.shape
        return tuple(tuple(self[i, j] for j in range(cols)) for i in range(rows))

    def __str__(self) -> str:
        return "\n".join("[" + ", ".join(row) + "]" for row in self.decimals())


@dataclass(frozen=True, slots=True)
class CertifiedNumber:
    """One certified scalar (e.g. a loss value), printed as its guaranteed decimal.

    >>> str(CertifiedNumber(CertifiedMatrix.from_exact(DomainMatrix([[QQ(1, 7)]], (1, 1), QQ), 5)))
    '0.14286'
    """

    matrix: CertifiedMatrix
    """The value as a 1×1 certified matrix."""

    @property
    def digits(self) -> int:
        """Significant decimal digits guaranteed."""
        return self.matrix.digits

    def interval(self) -> tuple[Fraction, Fraction]:
        """Exact bounds (lower, upper) that contain the true value."""
        return self.matrix.interval(0, 0)

    def ball(self) -> Any:
        """The value as an ``arb`` ball."""
        return self.matrix.ball(0, 0)

    def __str__(self) -> str:
        return self.matrix[0, 0]
