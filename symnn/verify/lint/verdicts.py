"""The verdicts of lint and how one compared pair of numbers earns its verdict.

:mod:`symnn.verify.lint.judge` reads a link's two sides and lines their values up
(:func:`pairing`, :func:`entries`); each pair of numbers becomes an :class:`Entry`, whose
:func:`outcome` applies the rules 1 to 5 stated in the judge's docstring.  Order relations
(``<``, ``≤``, ``≠`` ...) are judged by :func:`judge_order`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from symnn.core.interval import Interval
from symnn.core.nodes import Matrix, Node, Number
from symnn.verify.lint.claims import Claims, rounding_interval
from symnn.verify.lint.display import TIGHT, show_value
from symnn.verify.syntax.grid import Grid, shape_name

Verdict = Literal["ok", "rounding", "error", "not checked"]
VERDICTS: tuple[Verdict, ...] = ("ok", "rounding", "error", "not checked")
"""Every verdict, in the order reports list them."""

Outcome = Literal["equal", "rounded", "sheet", "rounding", "error"]
OUTCOME_VERDICT: dict[Outcome, Verdict] = {
    "equal": "ok",
    "rounded": "ok",
    "sheet": "ok",
    "rounding": "rounding",
    "error": "error",
}
SEVERITY: dict[Outcome, int] = {"equal": 0, "rounded": 1, "sheet": 2, "rounding": 3, "error": 4}
Value = Interval | Grid[Interval]


@dataclass(frozen=True, slots=True)
class Judgement:
    """The verdict on one link, with both sides' values and one explaining sentence."""

    verdict: Verdict
    """ok, rounding, error or not checked."""
    lhs: str
    """The left side's value (its TeX when it has no value)."""
    rhs: str
    """The right side's value (its TeX when it has no value)."""
    message: str
    """One sentence saying why."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One compared pair of numbers (a whole scalar side, or one matrix entry)."""

    label: str
    """"" for scalars, "(2, 1)" or "3" for entries."""
    exact: Interval
    """The left side with every number exact."""
    claimed: Interval
    """The right side with every number exact."""
    claimed_half: Interval
    """The right side: the claim on its rounding interval, rounded numbers widened."""
    claimed_unit: Interval
    """The same with the claim widened by a whole unit in its last place."""
    lenient: Interval | None
    """The left side with the sheet's rounded numbers widened, if it uses any."""
    places: int | None
    """Decimal places of the claim (None: no rounded claim, e.g. an expression)."""
    claim: tuple[int, Number] | None
    """(sign, number) when the claim is one written number (``0.119``, ``-1.297``)."""
    used_left: tuple[str, ...]
    """The sheet's rounded numbers this entry's left side reuses, as written."""
    used_right: tuple[str, ...]
    """The sheet's rounded numbers this entry's right side reuses, as written."""
    slipped: tuple[str, ...]
    """Decimals of this entry's right side rounded one unit off in a substitution step."""

    @property
    def used(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.used_left + self.used_right))


Pairing = Literal["scalar", "grid", "vector"]


def pairing(left: Value, right: Value) -> tuple[Pairing | None, str]:
    """How the two sides line up, or None and a sentence saying why they cannot."""
    if isinstance(left, Interval) and isinstance(right, Interval):
        return "scalar", ""
    if isinstance(left, Grid) and isinstance(right, Grid):
        if left.shape == right.shape:
            return "grid", ""
        if left.is_vector and right.is_vector and len(left.entries()) == len(right.entries()):
            return "vector", ""
    kinds = [
        "a number" if isinstance(v, Interval) else f"a {shape_name(v.shape)} matrix"
        for v in (left, right)
    ]
    return None, f"The left side is {kinds[0]} but the right side is {kinds[1]}."


def entries(
    pairing: Pairing,
    left: Value,
    right: Value,
    rhs: Node,
    claims: Claims,
    literals_of: Callable[[Node], list[Number]],
) -> list[tuple[str, Interval, Interval, int | None, Node]]:
    """(label, left value, right value, claim places, right node) for each compared pair."""
    if not (isinstance(left, Grid) and isinstance(right, Grid)):
        return [("", left, right, _places(literals_of(rhs), claims), rhs)]  # type: ignore[list-item]
    nodes = [entry for row in rhs.rows for entry in row] if isinstance(rhs, Matrix) else []
    columns = right.shape[1]
    result = []
    for k, (a, b) in enumerate(zip(left.entries(), right.entries())):
        node = nodes[k] if len(nodes) == len(right.entries()) else rhs
        label = (
            f"({k // columns + 1}, {k % columns + 1})"
            if pairing == "grid" and not right.is_vector
            else str(k + 1)
        )
        result.append((label, a, b, _places(literals_of(node), claims), node))
    return result


def entry_nodes(side: Node, count: int) -> list[Node]:
    """The tree of each entry of a side when it is written as a matrix, else the side."""
    nodes = [entry for row in side.rows for entry in row] if isinstance(side, Matrix) else []
    return nodes if len(nodes) == count else [side] * count


def _places(numbers: list[Number], claims: Claims) -> int | None:
    """Places the claim is rounded to: the most of any of its numbers (None: no claim)."""
    places = [claims[id(n)] for n in numbers if id(n) in claims]
    return max(places) if places else None


# ----- verdicts ------------------------------------------------------------------------------
def equal(a: Interval, b: Interval) -> bool:
    if a.is_point and b.is_point:
        return a.lo == b.lo
    scale = max(Fraction(1), abs(a.midpoint))
    return a.intersects(b) and a.width <= TIGHT * scale and b.width <= TIGHT * scale


def _representable(value: Interval, places: int) -> bool:
    return value.is_point and (value.lo * Fraction(10) ** places).denominator == 1


def _rounds_to_claim(entry: Entry) -> bool:
    """Whether the exact left side rounds to the claim itself (not only to what a
    restated rounded result stands for)."""
    if entry.claim is None or not entry.used_right:
        return True
    sign, number = entry.claim
    own = rounding_interval(number, Fraction(1, 2))
    return entry.exact.intersects(own if sign == 1 else -own)


def outcome(entry: Entry) -> Outcome:
    if equal(entry.exact, entry.claimed):
        return "equal"
    if entry.exact.intersects(entry.claimed_half):
        if entry.places is not None and _rounds_to_claim(entry):
            return "rounded"
        if entry.used_right:
            return "sheet"
    if entry.lenient is not None and entry.lenient.intersects(entry.claimed_half):
        return "sheet"
    reaches = entry.exact.intersects(entry.claimed_unit) or (
        entry.lenient is not None and entry.lenient.intersects(entry.claimed_unit)
    )
    if reaches and entry.slipped:  # an intermediate result rounded one unit off
        return "rounding"
    if entry.places is not None and reaches and not _representable(entry.exact, entry.places):
        return "rounding"
    return "error"


def judge_order(
    relation: str, left: Interval | Grid[Interval], right: Interval | Grid[Interval]
) -> Judgement:
    shown = (show_value(left), show_value(right))
    if not (isinstance(left, Interval) and isinstance(right, Interval)):
        return Judgement(
            "not checked", *shown, f"The relation {relation} is checked between numbers only."
        )
    holds = {
        "<": left.hi < right.lo,
        ">": left.lo > right.hi,
        "≤": left.hi <= right.lo,
        "≥": left.lo >= right.hi,
        "≠": not left.intersects(right),
    }[relation]
    fails = {
        "<": left.lo >= right.hi,
        ">": left.hi <= right.lo,
        "≤": left.lo > right.hi,
        "≥": left.hi < right.lo,
        "≠": equal(left, right),
    }[relation]
    if holds:
        return Judgement("ok", *shown, f"{shown[0]} {relation} {shown[1]} holds.")
    if fails:
        return Judgement("error", *shown, f"{shown[0]} {relation} {shown[1]} is false.")
    return Judgement("not checked", *shown, f"The two sides are too close to decide {relation}.")
