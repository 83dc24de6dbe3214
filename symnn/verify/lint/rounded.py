"""What a decimal written inside an expression stands for: itself, or a value the sheet rounded.

A hand calculation reuses its own results rounded: a mean of 55/3 comes back as 18.33,
the square (-0.1002)² = 0.01004004 as 0.01004.  Such a decimal is no given number but a
rounding of something computed earlier, and stands for the values between what is written
and what it rounds.  Every other decimal in an expression is exactly what it says (a
weight of 0.2 is 0.2, so a bias written 0.2 instead of 0.1 is a slip, not a rounding).

A decimal counts as a rounding only where the sheet itself shows where it came from (see
:mod:`symnn.verify.lint.judge` for the rule as a whole):

- :func:`substitution_sites`: a substitution step writes it where the side before computes
  a value (``½(-0.1002)² = ½(0.01004)``);
- :class:`RoundedClaims`: the sheet wrote it earlier as the rounded result of a computation
  (``\\frac{55}{3} = 18.33``).

Closeness alone is no evidence: in a long sheet almost every given decimal lies within half
a unit of some earlier result, and taking it for a rounding of that result would excuse
real slips.

>>> from symnn.core.nodes import Number
>>> mean = Interval.point(Fraction(55, 3))
>>> rounding_of(Number(Fraction("18.33"), 2, "18.33"), mean)
Interval(lo=Fraction(1833, 100), hi=Fraction(55, 3))
>>> rounding_of(Number(Fraction("18.34"), 2, "18.34"), mean) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from symnn.core import interval as iv
from symnn.core.interval import Interval
from symnn.core.nodes import Call, Chain, Matrix, Negate, Node, Number, Power, Root, Unary
from symnn.errors import ParseError


def rounding_of(
    number: Number, value: Interval, units: Fraction = Fraction(1, 2)
) -> Interval | None:
    """What the decimal ``number`` stands for if it is a rounding of ``value``, else None.

    A decimal with k places rounds a computed value when some value the computation allows
    lies within half a unit in its k-th place (ties either way), and the computed value is
    not a number that already has at most k places (0.2 for a computed 0.15 is a rounding;
    0.2 for a computed 0.1 is not).  Signs are ignored: 1.297 rounds -1.2967.  The decimal
    then stands for the values between itself and the part of ``value`` that rounds to it.
    With ``units=1`` the same for a rounding off by up to one unit in its last place.

    >>> rounding_of(Number(Fraction("0.2"), 1, "0.2"), Interval.point(Fraction("0.15")))
    Interval(lo=Fraction(3, 20), hi=Fraction(1, 5))
    >>> rounding_of(Number(Fraction("0.2"), 1, "0.2"), Interval.point(Fraction("0.1"))) is None
    True
    """
    places = number.decimals
    if not places:
        return None
    magnitude = iv.absolute(value)
    half = Interval.around(number.value, units / 10**places)
    if not magnitude.intersects(half) or _has_places(magnitude, places):
        return None
    stood = Interval(max(magnitude.lo, half.lo), min(magnitude.hi, half.hi))
    stood = stood.hull(Interval.point(number.value))
    return stood.hull(-stood) if number.value == 0 else stood  # 0.00 may round either sign


def _has_places(value: Interval, places: int) -> bool:
    """Whether ``value`` is one number written exactly with at most ``places`` decimals."""
    return value.is_point and (value.lo * 10**places).denominator == 1


# ----- substitution steps ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Site:
    """A place where a substitution step writes a decimal for something the side before computes."""

    computed: tuple[Node, ...]
    """The node of the side before that computes the value, or the operands of the run of
    a chain that the decimal replaces."""
    operators: tuple[str, ...]
    """The operators joining a run's operands, as the run reads on its own (one fewer than
    the operands; none for a single node)."""
    number: Number
    """The decimal written in its place."""


_INVERSE = {"add": "sub", "sub": "add", "mul": "div", "div": "mul", "hadamard": "div"}
"""The operator a run's inner operators become after a leading ``-`` or ``/``."""


def substitution_sites(left: Node, right: Node) -> list[Site]:
    """Where ``right`` writes a decimal in place of a computation of ``left``.

    The two trees are walked together while they have the same form (the same operators,
    functions and matrix shapes); where the right side has a written decimal (negated or
    not) and the left side a computation (not a written number), that is a site.  A chain
    may also be written shorter, one run of its operands folded into a single decimal
    (``2 \\cdot \\frac{1}{3} \\cdot 3`` becoming ``2 \\cdot 0.333 \\cdot 3``).

    >>> from symnn.verify.syntax.parse import parse_expression
    >>> [s.number.text for s in substitution_sites(
    ...     parse_expression(r"\\frac{1}{2}(-0.1002)^2"), parse_expression(r"\\frac{1}{2}(0.01004)"))]
    ['0.01004']
    """
    sites: list[Site] = []
    pairs = [(left, right)]
    while pairs:
        before, after = pairs.pop()
        number = _written_decimal(after)
        if number is not None:
            if number.decimals and _written_decimal(before) is None:
                sites.append(Site((before,), (), number))
            continue
        if isinstance(before, Chain) and isinstance(after, Chain):
            folded = _folded_run(before, after)
            if folded is not None:
                site, rest = folded
                sites.append(site)
                pairs.extend(rest)
                continue
        pairs.extend(_aligned(before, after))
    return sites


def _folded_run(left: Chain, right: Chain) -> tuple[Site, list[tuple[Node, Node]]] | None:
    """The decimal operand of the shorter chain ``right`` that replaces a run of operands of
    ``left`` (all other operands and operators corresponding), with the pairs left to walk."""
    operands_left = [left.first, *(operand for _, operand in left.rest)]
    operands_right = [right.first, *(operand for _, operand in right.rest)]
    ops_left, ops_right = _operators(left.rest), _operators(right.rest)
    length = len(operands_left) - len(operands_right) + 1  # operands folded into one
    if length < 2:
        return None
    for start, operand in enumerate(operands_right):
        number = _written_decimal(operand)
        if number is None or not number.decimals:
            continue
        if ops_left[:start] != ops_right[:start]:
            break  # the operators before the run no longer agree for any later start
        if ops_left[start + length - 1 :] != ops_right[start:]:
            continue
        inner = ops_left[start : start + length - 1]
        if start and ops_left[start - 1] in ("sub", "div"):  # a - (x + y) is a - x - y
            inner = [_INVERSE[operator] for operator in inner]
        run = tuple(operands_left[start : start + length])
        rest = list(zip(operands_left[:start], operands_right[:start])) + list(
            zip(operands_left[start + length :], operands_right[start + 1 :])
        )
        return Site(run, tuple(inner), number), rest
    return None


def site_value(site: Site, values: Mapping[int, Any]) -> Interval | None:
    """The value the side before computed at a site, from the value of each of its nodes
    (by ``id``); None when it is not a number (a matrix) or cannot be told.

    >>> from symnn.core.nodes import Number
    >>> third = (Number(Fraction(1), None, "1"), Number(Fraction(3), None, "3"))
    >>> values = {id(third[0]): Interval.point(Fraction(1)), id(third[1]): Interval.point(Fraction(3))}
    >>> site_value(Site(third, ("div",), Number(Fraction("0.333"), 3, "0.333")), values)
    Interval(lo=Fraction(1, 3), hi=Fraction(1, 3))
    """
    found = [values.get(id(node)) for node in site.computed]
    operands = [value for value in found if isinstance(value, Interval)]
    if len(operands) != len(found):
        return None
    result = operands[0]
    try:
        for operator, value in zip(site.operators, operands[1:]):
            result = _SCALAR_OPERATIONS[operator](result, value)
    except ParseError:  # a run dividing by a number that may be zero
        return None
    return result


_SCALAR_OPERATIONS = {
    "add": Interval.__add__,
    "sub": Interval.__sub__,
    "mul": Interval.__mul__,
    "hadamard": Interval.__mul__,
    "div": Interval.__truediv__,
}
"""Each chain operator on numbers."""


def _written_decimal(node: Node) -> Number | None:
    """The number of a written number, negated or not (``0.5``, ``-0.1002``)."""
    while isinstance(node, Negate):
        node = node.operand
    return node if isinstance(node, Number) else None


def _aligned(left: Node, right: Node) -> list[tuple[Node, Node]]:
    """The corresponding children of two nodes of the same form, else none."""
    match left, right:
        case Chain(first_a, rest_a), Chain(first_b, rest_b) if _operators(rest_a) == _operators(
            rest_b
        ):
            return [(first_a, first_b)] + [(a, b) for (_, a), (_, b) in zip(rest_a, rest_b)]
        case Unary(a), Unary(b) if type(left) is type(right):
            return [(a, b)]
        case Power(base_a, exponent_a), Power(base_b, exponent_b):
            return [(base_a, base_b), (exponent_a, exponent_b)]
        case Root(radicand_a, index_a), Root(radicand_b, index_b):
            if index_a is None or index_b is None:
                return [(radicand_a, radicand_b)] if index_a is index_b else []
            return [(radicand_a, radicand_b), (index_a, index_b)]
        case Call(function_a, arguments_a), Call(function_b, arguments_b) if (
            function_a == function_b and len(arguments_a) == len(arguments_b)
        ):
            return list(zip(arguments_a, arguments_b))
        case Matrix(rows_a), Matrix(rows_b) if [len(r) for r in rows_a] == [len(r) for r in rows_b]:
            return [(a, b) for row_a, row_b in zip(rows_a, rows_b) for a, b in zip(row_a, row_b)]
    return []


def _operators(rest: tuple[tuple[str, Node], ...]) -> list[str]:
    return [operator for operator, _ in rest]


# ----- results the sheet wrote rounded ---------------------------------------------------------
class RoundedClaims:
    """The decimals a sheet wrote as rounded results, and what each stood for.

    A claim (a number written alone after ``=`` or ``≈``) judged ok or rounding stands,
    wherever the sheet reuses it later, for the values between it and what it rounded:
    18.33 after ``\\frac{55}{3} = 18.33``, 10.28 after ``\\sqrt{105.56} \\approx 10.28``
    (10.274...; the one-unit slip is reported where it is made, not again on reuse).

    >>> from symnn.core.nodes import Number
    >>> claims = RoundedClaims()
    >>> mean = Number(Fraction("18.33"), 2, "18.33")
    >>> claims.learn(mean, Interval(Fraction("18.33"), Fraction(55, 3)))
    >>> claims.meaning(mean) == Interval(Fraction("18.33"), Fraction(55, 3))
    True
    >>> claims.meaning(Number(Fraction("18.330"), 3, "18.330")) is None  # other places
    True
    """

    __slots__ = ("_stood",)

    def __init__(self) -> None:
        self._stood: dict[tuple[Fraction, int], Interval] = {}

    def learn(self, number: Number, stood: Interval) -> None:
        """Remember that the claim ``number`` stood for the values in ``stood``."""
        key = (number.value, number.decimals or 0)
        known = self._stood.get(key)
        self._stood[key] = stood if known is None else known.hull(stood)

    def copy(self) -> RoundedClaims:
        """An independent copy (to judge a link again another way)."""
        copied = RoundedClaims()
        copied._stood = dict(self._stood)
        return copied

    def meaning(self, number: Number) -> Interval | None:
        """What a decimal stands for as a rounded result written earlier, or None."""
        if not number.decimals:
            return None
        return self._stood.get((number.value, number.decimals))
