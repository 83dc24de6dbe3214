"""Name the likely slip behind an error: the one reinterpretation that makes the link hold.

When a link is an error, a few single changes are tried, in this order; the first that
makes the two sides agree (the claim on its rounding interval, the sheet's rounded numbers
standing for what they rounded) is named in the message:

1. **a power of ten**: the claim times 10ᵏ (k = ±1, ±2, ±3) holds, e.g. ``0.36350306``
   written for 0.036350306 (a dropped zero);
2. **digits**: the correct rounding, or the one with a place more, becomes the claim by
   swapping two neighbouring digits or by dropping one (``0.539`` for 0.593, ``0.59327``
   for 0.593727);
3. **a minus sign dropped or added in an exponent**: ``\\frac{1}{1+e^{0.3775}}`` holds with
   ``e^{-0.3775}`` (every exponent of ``e`` and argument of ``\\exp`` is tried);
4. **precedence**: ``-1.4^2`` (which is -(1.4²)) holds as ``(-1.4)^2``;
5. **a value from elsewhere on the sheet**: one number of the link is a value the sheet
   named (the learning rate η = 0.5), and putting another named value in its place (the
   weight w₅ = 0.40) makes the link hold.

Truncation instead of rounding is a *rounding* verdict; its message says so
(:mod:`symnn.verify.lint.messages`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from fractions import Fraction
from typing import Any

from symnn.core import interval as iv
from symnn.core.interval import Interval
from symnn.core.nodes import (
    Absolute,
    Call,
    Chain,
    Constant,
    Matrix,
    Negate,
    Node,
    Number,
    Power,
    Root,
    Symbol,
    Transpose,
    walk,
)
from symnn.verify.lint.display import rounded_text, show

Evaluate = Callable[[Node, Callable[[Number], Interval] | None], Interval | None]
"""Evaluates a tree (with an optional override of what its numbers stand for); None if it
has no number value."""

MAX_TRIES = 400
"""The most reinterpretations tried for one link (a long link costs no more)."""


def diagnose(
    left: Node,
    right: Node,
    left_value: Interval,
    claim: tuple[int, Number] | None,
    claimed: Interval,
    places: int | None,
    evaluate: Evaluate,
    names: Mapping[Any, object],
) -> str | None:
    """The likely slip of a link that is an error, as a clause, or None.

    ``left_value`` is the left side's value, ``claimed`` the right side on its rounding
    interval, ``claim`` the right side when it is one written number with ``places`` places,
    ``evaluate`` evaluates a tree as the judge does, ``names`` the sheet's named values.
    """
    if claim is not None and places is not None:
        found = _power_of_ten(left_value, claim, claimed) or _digits(left_value, claim, places)
        if found:
            return found
    tried = 0
    for variant, clause in _variants(left):
        tried += 1
        if tried > MAX_TRIES:
            return None
        value = evaluate(variant, None)
        if value is not None and value.intersects(claimed):
            return f"{clause}, which gives {show(value, places)}"
    return _sheet_value(left, right, left_value, claimed, evaluate, names)


# ----- the claim's digits ----------------------------------------------------------------------
def _power_of_ten(value: Interval, claim: tuple[int, Number], claimed: Interval) -> str | None:
    for k in (1, -1, 2, -2, 3, -3):
        scaled = Interval(claimed.lo * Fraction(10) ** k, claimed.hi * Fraction(10) ** k)
        if scaled.lo > scaled.hi:
            scaled = Interval(scaled.hi, scaled.lo)
        if value.intersects(scaled):
            places = abs(k)
            bigger = k < 0  # the claim is 10^|k| times the value
            small = abs(value.midpoint) < 1
            what = "a zero dropped" if bigger == small else "a zero too many"
            return (
                f"the decimal point is {places} place{'s' if places > 1 else ''} off "
                f"({what}?): the value is {show(value)}"
            )
    return None


def _digits(value: Interval, claim: tuple[int, Number], places: int) -> str | None:
    written = claim[1].text
    magnitude = iv.absolute(value)
    right = rounded_text(magnitude, places)
    if _swapped(right, written):
        return f"two neighbouring digits are swapped: the value rounds to {right}"
    longer = rounded_text(magnitude, places + 1)
    for k, character in enumerate(longer):
        if character.isdigit() and longer[:k] + longer[k + 1 :] == written:
            return f"a digit is dropped: the value rounds to {longer}"
    return None


def _swapped(right: str, written: str) -> bool:
    if len(right) != len(written) or right == written:
        return False
    differ = [k for k, (a, b) in enumerate(zip(right, written)) if a != b]
    return (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and right[differ[0]] == written[differ[1]]
        and right[differ[1]] == written[differ[0]]
        and "." not in (right[differ[0]], right[differ[1]])
    )


# ----- reinterpretations of the left side ------------------------------------------------------
def _variants(tree: Node) -> Iterator[tuple[Node, str]]:
    """Trees that differ from ``tree`` by one likely slip, each with a clause naming it."""
    for node in walk(tree):
        if isinstance(node, Power) and isinstance(node.base, Constant) and node.base.name == "E":
            flipped = _flip(node.exponent)
            yield _replaced(tree, node, Power(node.base, flipped)), (
                f"a minus sign is {'dropped' if isinstance(flipped, Negate) else 'added'} in "
                f"the exponent of e: the link holds with e^{{{_text(flipped)}}}"
            )
        elif isinstance(node, Call) and node.function.name == "exp" and len(node.arguments) == 1:
            flipped = _flip(node.arguments[0])
            yield _replaced(tree, node, Call(node.function, (flipped,))), (
                "a minus sign is dropped or added in the argument of exp: the link holds "
                f"with exp({_text(flipped)})"
            )
        elif isinstance(node, Negate) and isinstance(node.operand, Power):
            power = node.operand
            yield _replaced(tree, node, Power(Negate(power.base), power.exponent)), (
                f"-{_text(power.base)}^{{{_text(power.exponent)}}} is -({_text(power.base)}"
                f"^{{{_text(power.exponent)}}}); the link holds with "
                f"(-{_text(power.base)})^{{{_text(power.exponent)}}} (a precedence slip)"
            )


def _flip(node: Node) -> Node:
    return node.operand if isinstance(node, Negate) else Negate(node)


def _text(node: Node) -> str:
    """A short text of a small tree for a message (a written number as written)."""
    if isinstance(node, Number):
        return node.text
    if isinstance(node, Negate):
        return "-" + _text(node.operand)
    if isinstance(node, Symbol):
        return node.name
    return "…"


def _replaced(root: Node, target: Node, new: Node) -> Node:
    """``root`` with the node ``target`` (by identity) replaced by ``new``."""
    if root is target:
        return new
    match root:
        case Chain(first, rest):
            return Chain(
                _replaced(first, target, new),
                tuple((op, _replaced(operand, target, new)) for op, operand in rest),
            )
        case Negate(operand):
            return Negate(_replaced(operand, target, new))
        case Transpose(operand):
            return Transpose(_replaced(operand, target, new))
        case Absolute(operand):
            return Absolute(_replaced(operand, target, new))
        case Power(base, exponent):
            return Power(_replaced(base, target, new), _replaced(exponent, target, new))
        case Root(radicand, index):
            return Root(
                _replaced(radicand, target, new),
                None if index is None else _replaced(index, target, new),
            )
        case Call(function, arguments):
            return Call(function, tuple(_replaced(a, target, new) for a in arguments))
        case Matrix(rows):
            return Matrix(tuple(tuple(_replaced(e, target, new) for e in row) for row in rows))
    return root


# ----- a value from elsewhere on the sheet -----------------------------------------------------
def _sheet_value(
    left: Node,
    right: Node,
    left_value: Interval,
    claimed: Interval,
    evaluate: Evaluate,
    names: Mapping[Any, object],
) -> str | None:
    """A number of the link that is a named value, where another named value makes it hold."""
    values = {
        name: value.lo
        for name, value in names.items()
        if isinstance(name, str) and isinstance(value, Interval) and value.is_point
    }
    if len(values) < 2:
        return None
    tried = 0
    for side, tree in (("right", right), ("left", left)):
        for number in (n for n in walk(tree) if isinstance(n, Number)):
            used = [name for name, value in values.items() if value == number.value]
            if not used:
                continue
            for name, value in values.items():
                if value == number.value:
                    continue
                tried += 1
                if tried > MAX_TRIES:
                    return None

                def literal(n: Number, target: Number = number, put: Fraction = value) -> Interval:
                    return Interval.point(put if n is target else n.value)

                result = evaluate(tree, literal)
                if result is None:
                    continue
                holds = (
                    result.intersects(claimed) if side == "left" else left_value.intersects(result)
                )
                if holds:
                    return (
                        f"{number.text} ({used[0]}) is used where {name} = "
                        f"{show(Interval.point(value))} belongs, which makes the link hold"
                    )
    return None
