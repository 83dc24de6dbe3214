"""Judge one link ``lhs REL rhs`` of a hand calculation: ok, rounding, error or not checked.

How rounding is judged (intervals, :mod:`symnn.verify.interval`):

1. Both sides are evaluated with every written number taken exactly.  Equal → **ok**.
2. The right side is the claim.  A decimal written there with k places stands for every
   value that rounds to it, [d - ½·10⁻ᵏ, d + ½·10⁻ᵏ]; after ``≈`` a bare integer stands
   for [n - ½, n + ½].  If the exact left side lies in the right side evaluated on those
   intervals → **ok** (correctly rounded; hand sheets also write ``= 0.333``).
3. The left side may reuse numbers the sheet rounded earlier (a mean of 18.33 for 55/3).
   Each such number stands for the values between what is written and the exact value it
   rounded; if the left side evaluated that way meets the right side's rounding
   interval → **ok** ("holds with the sheet's own rounded values").
4. Otherwise, if widening the right side's decimals by one whole unit in the last place
   reaches the left side, and the exact left side is not itself a number with at most k
   places (so rounding was needed at all) → **rounding**.
5. Anything else → **error**: no consistent rounding makes the link hold.

Matrices are judged entry by entry; the worst entry decides and is named.  Links with a
symbol, with text the parser cannot read, or with a relation such as ``\\sim`` are
**not checked**.  Every link judged ok-by-rounding or rounding teaches the judge the
rounded numbers on its right side, for step 3 of later links.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import lru_cache
from typing import Literal

from symnn.errors import ParseError
from symnn.verify.evaluate import Grid, evaluate_interval, exact_literal, shape_name
from symnn.verify.interval import Interval
from symnn.verify.nodes import Matrix, Negate, Node, Number, literals, symbols
from symnn.verify.parse import parse_expression
from symnn.verify.relations import CHECKED_RELATIONS, Link

Verdict = Literal["ok", "rounding", "error", "not checked"]
VERDICTS: tuple[Verdict, ...] = ("ok", "rounding", "error", "not checked")
"""Every verdict, in the order reports list them."""

Outcome = Literal["equal", "rounded", "sheet", "rounding", "error"]
_OUTCOME_VERDICT: dict[Outcome, Verdict] = {
    "equal": "ok",
    "rounded": "ok",
    "sheet": "ok",
    "rounding": "rounding",
    "error": "error",
}
_SEVERITY: dict[Outcome, int] = {"equal": 0, "rounded": 1, "sheet": 2, "rounding": 3, "error": 4}
_TIGHT = Fraction(1, 2**90)
_SIDE_NAMES = ("left", "right")


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
class _Entry:
    """One compared pair of numbers (a whole scalar side, or one matrix entry)."""

    label: str
    """"" for scalars, "(2, 1)" or "3" for entries."""
    exact: Interval
    """The left side with every number exact."""
    claimed: Interval
    """The right side with every number exact."""
    claimed_half: Interval
    """The right side on its rounding intervals."""
    claimed_unit: Interval
    """The right side with its decimals widened by a whole unit."""
    lenient: Interval | None
    """The left side with the sheet's rounded numbers widened, if it uses any."""
    places: int | None
    """Decimal places written on the right (None: nothing rounded there)."""
    claim_node: Node
    """The right side's tree for this entry (to learn its rounded numbers)."""
    used: tuple[str, ...]
    """The sheet's rounded numbers this entry's left side reuses, as written."""

    @property
    def single_claim(self) -> bool:
        """Whether the claim is one written number (``0.119``, ``-1.297``)."""
        node = self.claim_node.operand if isinstance(self.claim_node, Negate) else self.claim_node
        return isinstance(node, Number)


class Judge:
    """Judges the links of one sheet in order, remembering the numbers it rounded.

    >>> from symnn.verify.relations import split_relations
    >>> judge = Judge()
    >>> [judge.judge(link).verdict for link in split_relations(r"\\frac{55}{3} = 18.33, \\quad 1 + 1 = 3")]
    ['ok', 'error']
    """

    def __init__(self) -> None:
        self.rounded: dict[tuple[Fraction, int], Interval] = {}
        self._trees: dict[str, Node | ParseError] = {}
        self._values: dict[str, Interval | Grid[Interval] | ParseError] = {}
        self._literal_cache: dict[int, list[Number]] = {}
        self._names: dict[str, list[str]] = {}

    # ----- public ------------------------------------------------------------------------
    def judge(self, link: Link) -> Judgement:
        """The judgement of one link (it may teach the judge rounded numbers)."""
        texts = (link.lhs.text, link.rhs.text)
        if link.relation not in CHECKED_RELATIONS:
            return self._unchecked(
                texts, f"The relation {link.relation_text} is not a computation symnn checks."
            )
        trees: list[Node] = []
        for side, text in zip(_SIDE_NAMES, texts):
            tree = self._tree(text)
            if isinstance(tree, ParseError):
                return self._unchecked(texts, f"The {side} side cannot be read: {tree}.")
            names = self._symbols(text, tree)
            if names:
                return self._unchecked(
                    texts,
                    f"The {side} side contains the symbol {names[0]}, so it has no value to check.",
                )
            trees.append(tree)
        values = []
        for side, text in zip(_SIDE_NAMES, texts):
            value = self._value(text)
            if isinstance(value, ParseError):
                return self._unchecked(texts, f"The {side} side cannot be evaluated: {value}.")
            values.append(value)
        if link.relation in ("=", "≈"):
            return self._judge_equality(link, trees[0], trees[1], values[0], values[1])
        return _judge_order(link.relation, values[0], values[1])

    # ----- caches ------------------------------------------------------------------------
    def _tree(self, text: str) -> Node | ParseError:
        if text not in self._trees:
            try:
                self._trees[text] = parse_expression(text)
            except ParseError as error:
                self._trees[text] = error
        return self._trees[text]

    def _symbols(self, text: str, tree: Node) -> list[str]:
        names = self._names.get(text)
        if names is None:
            names = self._names[text] = symbols(tree)
        return names

    def _value(self, text: str) -> Interval | Grid[Interval] | ParseError:
        if text not in self._values:
            tree = self._tree(text)
            try:
                self._values[text] = (
                    tree if isinstance(tree, ParseError) else evaluate_interval(tree)
                )
            except ParseError as error:
                self._values[text] = error
        return self._values[text]

    @staticmethod
    def _unchecked(texts: tuple[str, str], message: str) -> Judgement:
        return Judgement("not checked", texts[0], texts[1], message)

    # ----- = and ≈ -----------------------------------------------------------------------
    def _judge_equality(
        self,
        link: Link,
        lhs: Node,
        rhs: Node,
        left: Interval | Grid[Interval],
        right: Interval | Grid[Interval],
    ) -> Judgement:
        pairing, problem = _pairing(left, right)
        if pairing is None:
            return Judgement("error", _show_value(left), _show_value(right), problem)
        bare = _bare_literals(rhs) if link.relation == "≈" else set()
        base = _entries(pairing, left, right, rhs, bare, self._literals)
        if all(_equal(exact, claimed) for _, exact, claimed, _, _ in base):
            half = unit = lenient = None  # the common case: no rounding to weigh
        else:
            half = _widened(rhs, Fraction(1, 2), bare)
            unit = _widened(rhs, Fraction(1), bare)
            lenient = self._lenient(lhs)
        left_nodes = _entry_nodes(lhs, len(base))
        entries = [
            _Entry(
                label,
                exact,
                claimed,
                half[k] if half else claimed,
                unit[k] if unit else claimed,
                lenient[k] if lenient else None,
                places,
                node,
                tuple(self._used_rounded(left_nodes[k])) if lenient else (),
            )
            for k, (label, exact, claimed, places, node) in enumerate(base)
        ]
        outcomes = [_outcome(entry) for entry in entries]
        for entry, outcome in zip(entries, outcomes):
            if outcome in ("rounded", "sheet", "rounding"):
                self._learn(entry, outcome)
        message = _message(entries, outcomes, pairing)
        worst = max(outcomes, key=_SEVERITY.__getitem__)
        return Judgement(_OUTCOME_VERDICT[worst], _show_value(left), _show_value(right), message)

    def _literals(self, node: Node) -> list[Number]:
        """The written numbers of a tree (memoized: trees live as long as the judge)."""
        found = self._literal_cache.get(id(node))
        if found is None:
            found = self._literal_cache[id(node)] = literals(node)
        return found

    def _lenient(self, lhs: Node) -> list[Interval] | None:
        if not self._used_rounded(lhs):
            return None
        return _flat_or_none(lhs, self._stood_for)

    def _stood_for(self, node: Number) -> Interval:
        """What a written number may stand for: itself, or what the sheet rounded to it."""
        exact = Interval.point(node.value)
        return self.rounded.get((node.value, node.decimals), exact) if node.decimals else exact

    def _used_rounded(self, node: Node) -> list[str]:
        return list(
            dict.fromkeys(
                n.text
                for n in self._literals(node)
                if n.decimals and (n.value, n.decimals) in self.rounded
            )
        )

    def _learn(self, entry: _Entry, outcome: Outcome) -> None:
        """Remember what the rounded numbers of a claim stood for.

        A claim that is one number stands for the values between what is written and
        what it rounds (the exact left side, or the part of the left side's range that
        rounds to it).  The numbers of a longer claim stand for their rounding intervals.
        """
        node, sign = entry.claim_node, 1
        if isinstance(node, Negate):
            node, sign = node.operand, -1
        if isinstance(node, Number):
            if node.decimals:
                meant = entry.exact
                if outcome == "sheet" and entry.lenient is not None:
                    meant = Interval(
                        max(entry.lenient.lo, entry.claimed_half.lo),
                        min(entry.lenient.hi, entry.claimed_half.hi),
                    )
                self._remember(
                    node, Interval.point(node.value).hull(meant if sign == 1 else -meant)
                )
            return
        for number in literals(entry.claim_node):
            if number.decimals:
                self._remember(number, _rounding_interval(number, Fraction(1, 2)))

    def _remember(self, node: Number, stood: Interval) -> None:
        key = (node.value, node.decimals or 0)
        known = self.rounded.get(key)
        self.rounded[key] = stood if known is None else known.hull(stood)


# ----- entries and shapes --------------------------------------------------------------------
Pairing = Literal["scalar", "grid", "vector"]


def _pairing(
    left: Interval | Grid[Interval], right: Interval | Grid[Interval]
) -> tuple[Pairing | None, str]:
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


def _entries(
    pairing: Pairing,
    left: Interval | Grid[Interval],
    right: Interval | Grid[Interval],
    rhs: Node,
    bare: set[int],
    literals_of: Callable[[Node], list[Number]],
) -> list[tuple[str, Interval, Interval, int | None, Node]]:
    if not (isinstance(left, Grid) and isinstance(right, Grid)):
        return [("", left, right, _places(literals_of(rhs), bare), rhs)]  # type: ignore[list-item]
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
        result.append((label, a, b, _places(literals_of(node), bare), node))
    return result


def _entry_nodes(side: Node, count: int) -> list[Node]:
    """The tree of each entry of a side when it is written as a matrix, else the side."""
    nodes = [entry for row in side.rows for entry in row] if isinstance(side, Matrix) else []
    return nodes if len(nodes) == count else [side] * count


def _places(numbers: list[Number], bare: set[int]) -> int | None:
    """Decimal places written in a claim: the most of any decimal in it."""
    places = [n.decimals for n in numbers if n.decimals is not None]
    if places:
        return max(places)
    if any(id(n) in bare for n in numbers):
        return 0
    return None


def _bare_literals(rhs: Node) -> set[int]:
    """Integers standing alone as a claim after ``≈`` (``\\approx 4`` means 3.5 to 4.5)."""
    nodes = [entry for row in rhs.rows for entry in row] if isinstance(rhs, Matrix) else [rhs]
    bare = set()
    for node in nodes:
        inner = node.operand if isinstance(node, Negate) else node
        if isinstance(inner, Number) and inner.decimals is None:
            bare.add(id(inner))
    return bare


def _rounding_interval(node: Number, units: Fraction) -> Interval:
    return Interval.around(node.value, units * Fraction(1, 10 ** (node.decimals or 0)))


def _widened(rhs: Node, units: Fraction, bare: set[int]) -> list[Interval] | None:
    def literal(node: Number) -> Interval:
        if node.decimals is not None or id(node) in bare:
            return _rounding_interval(node, units)
        return exact_literal(node)

    written = _written_numbers(rhs)
    if written is not None:  # the usual claim: numbers as written, no evaluation needed
        return [literal(number) if sign > 0 else -literal(number) for sign, number in written]
    return _flat_or_none(rhs, literal)


def _written_numbers(node: Node) -> list[tuple[int, Number]] | None:
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


def _flat_or_none(node: Node, literal: Callable[[Number], Interval]) -> list[Interval] | None:
    """The side's entries evaluated with ``literal``; None if that evaluation fails."""
    try:
        value = evaluate_interval(node, literal)
    except ParseError:  # e.g. a widened divisor that may be zero: use the exact value
        return None
    return value.entries() if isinstance(value, Grid) else [value]


# ----- verdicts ------------------------------------------------------------------------------
def _equal(a: Interval, b: Interval) -> bool:
    if a.is_point and b.is_point:
        return a.lo == b.lo
    scale = max(Fraction(1), abs(a.midpoint))
    return a.intersects(b) and a.width <= _TIGHT * scale and b.width <= _TIGHT * scale


def _representable(value: Interval, places: int) -> bool:
    return value.is_point and (value.lo * 10**places).denominator == 1


def _outcome(entry: _Entry) -> Outcome:
    if _equal(entry.exact, entry.claimed):
        return "equal"
    if entry.places is not None and entry.exact.intersects(entry.claimed_half):
        return "rounded"
    if entry.lenient is not None and entry.lenient.intersects(entry.claimed_half):
        return "sheet"
    reaches = entry.exact.intersects(entry.claimed_unit) or (
        entry.lenient is not None and entry.lenient.intersects(entry.claimed_unit)
    )
    if entry.places is not None and reaches and not _representable(entry.exact, entry.places):
        return "rounding"
    return "error"


def _judge_order(
    relation: str, left: Interval | Grid[Interval], right: Interval | Grid[Interval]
) -> Judgement:
    shown = (_show_value(left), _show_value(right))
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
        "≠": _equal(left, right),
    }[relation]
    if holds:
        return Judgement("ok", *shown, f"{shown[0]} {relation} {shown[1]} holds.")
    if fails:
        return Judgement("error", *shown, f"{shown[0]} {relation} {shown[1]} is false.")
    return Judgement("not checked", *shown, f"The two sides are too close to decide {relation}.")


# ----- messages ------------------------------------------------------------------------------
def _message(entries: list[_Entry], outcomes: list[Outcome], pairing: Pairing) -> str:
    if pairing == "scalar":
        return _sentence(_entry_sentence(entries[0], outcomes[0]))
    worst = max(outcomes, key=_SEVERITY.__getitem__)
    orientation = (
        " (one side is a row, the other a column; compared as vectors)"
        if pairing == "vector"
        else ""
    )
    count = len(entries)
    if _OUTCOME_VERDICT[worst] == "ok":
        rounded = sum(1 for o in outcomes if o != "equal")
        how = "exactly" if not rounded else f"({rounded} within rounding)"
        return f"All {count} entries agree {how}{orientation}."
    index = outcomes.index(worst)
    others: list[str] = [_OUTCOME_VERDICT[o] for k, o in enumerate(outcomes) if k != index]
    tally = [
        f"{others.count(v)} {name}"
        for v, name in (("error", "also wrong"), ("rounding", "off by rounding"), ("ok", "fine"))
        if others.count(v)
    ]
    rest = f" (other entries: {', '.join(tally)})" if tally else ""
    return f"Entry {entries[index].label}: {_entry_sentence(entries[index], worst)}{rest}{orientation}."


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _entry_sentence(entry: _Entry, outcome: Outcome) -> str:
    exact = _show(entry.exact, entry.places)
    claimed = _show(entry.claimed, entry.places)
    places = _places_name(entry.places)
    sheet = f"the sheet's own rounded {_listing(entry.used)}"
    sentences: dict[Outcome, Callable[[], str]] = {
        "equal": lambda: f"both sides equal {exact}",
        "rounded": lambda: (
            f"{exact} rounds to {claimed} at {places}"
            if entry.single_claim
            else f"{exact} agrees with {claimed}, whose numbers are rounded to {places}"
        ),
        "sheet": lambda: (
            f"the left side is {exact}, but with {sheet} it can be {_range(entry.lenient)}, "
            f"which agrees with {claimed} at {places}"
        ),
        "rounding": lambda: (
            f"{exact} rounds to {_rounded(entry.exact, entry.places)}, not {claimed}: one unit off in the last place"
            if entry.single_claim
            else f"{exact} differs from {claimed} by one unit in the last of its {places}"
        ),
        "error": lambda: (
            f"the left side is {exact} but the right side is {claimed}"
            + (f", even allowing for {sheet}" if entry.used else "")
        ),
    }
    return sentences[outcome]()


def _places_name(places: int | None) -> str:
    return (
        "a whole number"
        if places == 0
        else f"{places} decimal place" + ("s" if places != 1 else "")
    )


def _listing(used: tuple[str, ...]) -> str:
    return ("value " if len(used) == 1 else "values ") + ", ".join(used)


def _range(value: Interval | None) -> str:
    if value is None:
        return ""
    return f"{_approximate(value.lo, 6)} to {_approximate(value.hi, 6)}"


def _rounded(value: Interval, places: int | None) -> str:
    digits = places or 0
    with localcontext() as context:
        context.prec = 60
        mid = Decimal(value.midpoint.numerator) / Decimal(value.midpoint.denominator)
        return _plain(mid.quantize(Decimal(1).scaleb(-digits)))


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    return "0" if text in ("-0", "-0.0") else text


def _exact_decimal(value: Fraction, limit: int = 12) -> str | None:
    """The finite decimal expansion of ``value`` if it has at most ``limit`` places.

    >>> _exact_decimal(Fraction(-11, 20)), _exact_decimal(Fraction(1, 3))
    ('-0.55', None)
    """
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    places = max(twos, fives)
    if denominator != 1 or places > limit:
        return None
    scaled = value * 10**places
    return _plain(Decimal(scaled.numerator).scaleb(-places))


def _approximate(value: Fraction, significant: int) -> str:
    with localcontext() as context:
        context.prec = max(significant, 1)
        number = Decimal(value.numerator) / Decimal(value.denominator)
    return (
        _plain(number.normalize())
        if abs(number) >= Decimal("1e-6") or number == 0
        else f"{number:e}"
    )


def _show(value: Interval, places: int | None = None) -> str:
    """A value for a message: exact when short, else an approximation with enough digits."""
    digits = max(7, (places or 0) + 4)
    if value.is_point:
        return _show_point(value.lo, digits)
    if value.width <= _TIGHT * max(Fraction(1), abs(value.midpoint)):
        return f"{_approximate(value.midpoint, digits)}…"
    return f"between {_approximate(value.lo, digits)} and {_approximate(value.hi, digits)}"


@lru_cache(maxsize=4096)
def _show_point(value: Fraction, digits: int) -> str:
    exact = _exact_decimal(value)
    if exact is not None:
        return exact
    if value.denominator < 10**6:
        return f"{value.numerator}/{value.denominator} = {_approximate(value, digits)}…"
    return f"{_approximate(value, digits)}…"


def _show_entry(value: Interval) -> str:
    if value.is_point:
        exact = _exact_decimal(value.lo)
        if exact is not None:
            return exact
    return _approximate(value.midpoint, 7) + "…"


def _show_value(value: Interval | Grid[Interval]) -> str:
    """A side's value for a report: a number, or ``[[a, b], [c, d]]``."""
    if isinstance(value, Interval):
        return _show(value)
    return (
        "["
        + ", ".join("[" + ", ".join(_show_entry(e) for e in row) + "]" for row in value.rows)
        + "]"
    )
