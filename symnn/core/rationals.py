"""Exact rational helpers: integer roots and logarithms, found without floating point error."""

from __future__ import annotations

import math
from fractions import Fraction

MAX_EXPONENT = 1000
"""Exponents, root indices and exact logarithms are looked for up to this size."""


def integer_log(value: Fraction, base: Fraction) -> int | None:
    """n when value is exactly base**n (so log₁₀ 1000 is exactly 3), else None.

    >>> integer_log(Fraction(1, 100), Fraction(10)), integer_log(Fraction(5), Fraction(10))
    (-2, None)
    """
    if value <= 0 or base <= 0 or base == 1:
        return None
    estimate = round(_float_log(value) / _float_log(base))
    if abs(estimate) > MAX_EXPONENT:
        return None
    return estimate if base**estimate == value else None


def _float_log(value: Fraction) -> float:
    return math.log(value.numerator) - math.log(value.denominator)


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
