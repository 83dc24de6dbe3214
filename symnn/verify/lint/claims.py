"""What the right side of ``=`` or ``≈`` claims: the numbers written alone there.

A claim is the rounded result being judged: the whole right side, or each entry of a
matrix written there, when it is a written number (negated or not), a matrix of them, or a
mantissa times a power of ten (``2.5 \\times 10^{-4}``).  Each of its decimals stands for
the values that round to it; an integer after ``≈`` too.  A right side that is an
expression claims nothing rounded: its numbers are read by :mod:`symnn.verify.lint.rounded`.

>>> from symnn.verify.syntax.parse import parse_expression
>>> [(n.text, places) for n, places in claim_parts(parse_expression("-0.761"), approximate=True)]
[('0.761', 3)]
>>> claim_parts(parse_expression(r"0.2 \\cdot 1 + 0.1"), approximate=False) is None
True
"""

from __future__ import annotations

from fractions import Fraction

from symnn.core.interval import Interval
from symnn.core.nodes import Chain, Matrix, Negate, Node, Number, Power, Transpose

Claims = dict[int, int]
"""The claim's own numbers (by ``id`` of their node) and the places each is rounded to."""


def claim_numbers(rhs: Node, relation: str) -> Claims:
    """The numbers standing alone as the claim of ``=`` or ``≈``, with their places.

    The whole right side, or each entry of a matrix written there, is a claim when it is a
    written number (negated or not), a matrix of them, or a mantissa times a power of ten.
    An integer is a claim only after ``≈`` (``≈ 4`` means 3.5 to 4.5; ``= 4`` means 4).
    """
    if relation not in ("=", "≈"):
        return {}
    entries = [entry for row in rhs.rows for entry in row] if isinstance(rhs, Matrix) else [rhs]
    claims: Claims = {}
    for entry in entries:
        for number, places in claim_parts(entry, relation == "≈") or ():
            if places is not None:
                claims[id(number)] = places
    return claims


def claim_parts(node: Node, approximate: bool) -> list[tuple[Number, int | None]] | None:
    """The written numbers a claim consists of with the places each is rounded to (None:
    exact), or None when the claim is an expression."""
    match node:
        case Negate(inner) | Transpose(inner):
            return claim_parts(inner, approximate)
        case Matrix(rows):
            parts: list[tuple[Number, int | None]] = []
            for entry in (entry for row in rows for entry in row):
                found = claim_parts(entry, approximate)
                if found is None:
                    return None
                parts.extend(found)
            return parts
        case Number(decimals=decimals):
            return [(node, decimals if decimals is not None else (0 if approximate else None))]
        case Chain(mantissa, (("mul", Power(Number(value=ten, decimals=None), exponent)),)):
            digits = mantissa.operand if isinstance(mantissa, Negate) else mantissa
            power = _integer(exponent)
            if ten != 10 or power is None or not isinstance(digits, Number):
                return None
            places = (
                digits.decimals if digits.decimals is not None else (0 if approximate else None)
            )
            return [(digits, None if places is None else places - power)]
    return None


def _integer(node: Node) -> int | None:
    """The value of a written integer, negated or not; None for anything else."""
    sign = 1
    if isinstance(node, Negate):
        node, sign = node.operand, -1
    if isinstance(node, Number) and node.decimals is None:
        return sign * int(node.value)
    return None


def single_claim(node: Node) -> tuple[int, Number] | None:
    """(sign, number) for a claim that is one written number (in a 1×1 matrix or not)."""
    sign = 1
    while True:
        if isinstance(node, Negate):
            node, sign = node.operand, -sign
        elif isinstance(node, Transpose):
            node = node.operand
        elif isinstance(node, Matrix) and len(node.rows) == 1 and len(node.rows[0]) == 1:
            node = node.rows[0][0]
        else:
            break
    return (sign, node) if isinstance(node, Number) else None


def rounding_interval(node: Number, units: Fraction) -> Interval:
    return Interval.around(node.value, units * Fraction(1, 10 ** (node.decimals or 0)))


def written_numbers(node: Node) -> list[tuple[int, Number]] | None:
    """(sign, number) for a claim that is a signed number or a matrix of them, else None."""
    entries = [entry for row in node.rows for entry in row] if isinstance(node, Matrix) else [node]
    if isinstance(node, Matrix) and len(node.rows) == 1 and len(node.rows[0]) == 1:
        return None  # a 1×1 matrix is a number: leave it to the evaluator
    written = []
    for entry in entries:
        sign = 1
        if isinstance(entry, Negate):
            entry, sign = entry.operand, -1
        if not isinstance(entry, Number):
            return None
        written.append((sign, entry))
    return written
