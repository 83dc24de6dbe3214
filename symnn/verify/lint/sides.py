"""One side of a link as the judge reads it: its value with every written number exact,
and with the sheet's rounded numbers standing for what they rounded.

What each number stands for is decided by :mod:`symnn.verify.lint.judge` (the rules) with
:mod:`symnn.verify.lint.claims` and :mod:`symnn.verify.lint.rounded`; here the side is
evaluated on intervals under those meanings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from symnn.core.interval import Interval
from symnn.core.nodes import Node, Number
from symnn.errors import ParseError
from symnn.verify.lint.claims import Claims, rounding_interval, written_numbers
from symnn.verify.lint.verdicts import Value
from symnn.verify.syntax.evaluate import Definitions, evaluate_interval
from symnn.verify.syntax.grid import Grid


@dataclass(frozen=True, slots=True)
class Reading:
    """One numeric side of a link as read."""

    tree: Node
    """Its syntax tree."""
    exact: Value
    """Its value with every written number exact."""
    meanings: dict[int, Interval]
    """What its rounded numbers stand for, by ``id`` of their node (a claim only when it
    restates a result the sheet wrote rounded earlier)."""
    sheet: Value | None
    """Its value with those numbers standing for what they rounded (None if it has none)."""
    node_values: dict[int, Value] | None
    """The value of each of its nodes with its rounded numbers, by ``id`` (None when it
    has none: then its exact evaluation tells)."""
    slips: dict[int, Interval]
    """Decimals of a substitution step rounded one unit off in their last place, with the
    values between each and what it should round (a right side's only)."""


def _recorder(values: dict[int, Value]) -> Callable[[Node, Value], None]:
    """A recorder keeping the value of every node of a tree, by ``id`` of the node."""

    def record(node: Node, value: Value) -> None:
        values[id(node)] = value

    return record


def evaluate_or_none(
    node: Node,
    literal: Callable[[Number], Interval],
    recorded: dict[int, Value] | None = None,
    definitions: Definitions | None = None,
    names: Mapping[Any, Value] | None = None,
) -> Value | None:
    """The side evaluated with ``literal``; None if that fails (a widened divisor may be 0).

    ``recorded``, if given, receives the value of every node by ``id``; ``definitions``
    are the functions the sheet defined.
    """
    try:
        return evaluate_interval(
            node,
            literal,
            record=None if recorded is None else _recorder(recorded),
            definitions=definitions,
            names=names,
        )
    except ParseError:
        return None


def flat(value: Value | None) -> list[Interval] | None:
    if value is None:
        return None
    return value.entries() if isinstance(value, Grid) else [value]


def claim_values(
    rhs: Reading,
    claims: Claims,
    units: Fraction,
    definitions: Definitions,
    names: Mapping[Any, Value] | None = None,
) -> list[Interval] | None:
    """The right side's entries with its claim widened by ``units`` in the last place and
    its rounded numbers standing for what they rounded (with a whole unit, its slips too)."""
    slips = rhs.slips if units >= 1 else {}

    def literal(node: Number) -> Interval:
        if id(node) in claims:
            restated = rhs.meanings.get(id(node))
            widened = rounding_interval(node, units)
            return widened if restated is None else widened.hull(restated)
        stood = rhs.meanings.get(id(node)) or Interval.point(node.value)
        slip = slips.get(id(node))
        return stood if slip is None else stood.hull(slip)

    written = written_numbers(rhs.tree)
    if written is not None:  # the usual claim: numbers as written, no evaluation needed
        return [literal(number) if sign > 0 else -literal(number) for sign, number in written]
    return flat(evaluate_or_none(rhs.tree, literal, definitions=definitions, names=names))
