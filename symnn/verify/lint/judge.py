"""Judge one link ``lhs REL rhs`` of a hand calculation: ok, rounding, error or not checked.

What a written number stands for (claims: :mod:`symnn.verify.lint.claims`; rounded numbers
inside expressions: :mod:`symnn.verify.lint.rounded`; intervals: :mod:`symnn.core.interval`):

- **The claim.**  A decimal standing alone as the right side of ``=`` or ``≈`` (or alone as
  an entry of a matrix written there, negated or not, or as the mantissa of ``d × 10ⁿ``) is
  the rounded result being judged: with k places it stands for every value that rounds to
  it, [d - ½·10⁻ᵏ, d + ½·10⁻ᵏ].  After ``≈`` a bare integer stands for [n - ½, n + ½].
- **Every other decimal is exact** (a given weight 0.2 is 0.2, on either side), unless the
  sheet shows it is a rounding of a value it computed; it then stands for the values
  between what is written and what it rounds.  A decimal with k places *rounds* a
  computed value when that value lies within ½·10⁻ᵏ of it (signs ignored) and is not
  itself a number with at most k places.  The sheet shows it in two ways:

  a. **a substitution step**: the left side of the same link computes a value in the
     place where the right side writes the decimal (the two trees have the same form
     around it, or the right side's chain folds the left side's first steps into its
     first operand): ½(-0.1002)² = ½(0.01004), √((20 - 18.33)² + …) ≈ √(2.78 + …),
     ⅓·3 ≈ 0.33·3.  The decimal keeps that meaning in the next link of the same chain
     (``= ½(0.01004) = 0.00502``);
  b. **a result written rounded earlier**: a claim judged ok or rounding in an earlier
     link (``\\frac{55}{3} = 18.33``, ``\\sqrt{105.56} \\approx 10.28``) stands, wherever
     it is reused, for the values between it and what it rounded.  A one-unit slip is
     reported where it is made, and not again on reuse.

  Closeness alone is no evidence: a decimal that merely lies near some earlier result is
  exact (in a long sheet almost every given is within half a unit of something).  The
  sheet's own values are intervals too: a side that uses rounded numbers is evaluated with
  them, so (20 - 18.33)² may be anything from (5/3)² to 1.67², and 2.78 rounds it.

The verdict on each pair of values (a scalar side, or one matrix entry):

1. Both sides with every number exact are equal → **ok**.
2. The exact left side lies in the claim's rounding interval → **ok** (correctly
   rounded; hand sheets also write ``= 0.333``).
3. The two sides, each with the sheet's rounded numbers standing for what they rounded,
   meet (the claim on its rounding interval) → **ok** ("holds with the sheet's own
   rounded values").
4. Otherwise, if widening the claim by one whole unit in its last place reaches the left
   side, and the exact left side is not itself a number with at most k places (so
   rounding was needed at all) → **rounding**.  Likewise when a decimal of a substitution
   step rounds what the left side computes there one unit off (0.01005 written for
   (-0.1002)² = 0.01004004) and that makes the link hold.
5. Anything else → **error**: no consistent rounding makes the link hold.  A right side
   that is an expression is never a rounded result itself, so a slip inside a
   substitution step (a bias 0.2 written for 0.1) is an error, not a rounding.

Matrices are judged entry by entry; the worst entry decides and is named.  Links with a
symbol, with text the parser cannot read, or with a relation such as ``\\sim`` are
**not checked**.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from symnn.core.interval import Interval
from symnn.errors import ParseError
from symnn.verify.lint.claims import (
    Claims,
    claim_numbers,
    rounding_interval,
    single_claim,
    written_numbers,
)
from symnn.verify.lint.display import TIGHT, approximate, rounded_text, show, show_value
from symnn.verify.lint.relations import CHECKED_RELATIONS, Link, Side
from symnn.verify.lint.rounded import RoundedClaims, rounding_of, site_value, substitution_sites
from symnn.verify.syntax.evaluate import Grid, evaluate_interval, exact_literal, shape_name
from symnn.verify.syntax.nodes import (
    Matrix,
    Node,
    Number,
    literals,
    symbols,
)
from symnn.verify.syntax.parse import parse_expression

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
_SIDE_NAMES = ("left", "right")

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
class _Reading:
    """One numeric side of a link as read."""

    tree: Node
    """Its syntax tree."""
    exact: Value
    """Its value with every written number exact."""
    meanings: dict[int, Interval]
    """What its rounded numbers stand for, by ``id`` of their node (claims excluded)."""
    sheet: Value | None
    """Its value with those numbers standing for what they rounded (None if it has none)."""
    node_values: dict[int, Value] | None
    """The value of each of its nodes with its rounded numbers, by ``id`` (None when it
    has none: then its exact evaluation tells)."""
    slips: dict[int, Interval]
    """Decimals of a substitution step rounded one unit off in their last place, with the
    values between each and what it should round (a right side's only)."""


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


class Judge:
    """Judges the links of one sheet in order, remembering what its numbers stand for.

    >>> from symnn.verify.lint.relations import split_relations
    >>> judge = Judge()
    >>> [judge.judge(link).verdict for link in split_relations(r"\\frac{55}{3} = 18.33, \\quad 1 + 1 = 3")]
    ['ok', 'error']
    """

    def __init__(self) -> None:
        self.claims = RoundedClaims()
        self._previous_rhs: Side | None = None
        self._carried: dict[int, Interval] = {}
        self._trees: dict[str, Node | ParseError] = {}
        self._values: dict[str, Value | ParseError] = {}
        self._node_values: dict[str, dict[int, Value]] = {}
        self._literal_cache: dict[int, list[Number]] = {}
        self._names: dict[str, list[str]] = {}

    # ----- public ------------------------------------------------------------------------
    def judge(self, link: Link) -> Judgement:
        """The judgement of one link (it may teach the judge what the sheet rounded)."""
        carried = self._carried if link.lhs is self._previous_rhs else {}
        self._previous_rhs, self._carried = link.rhs, {}
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
        claims = claim_numbers(trees[1], link.relation)
        lhs = self._read(trees[0], values[0], {}, carried)
        steps, slips = self._substitutions(texts[0], lhs, trees[1], claims)
        rhs = self._read(trees[1], values[1], claims, steps, slips)
        self._carried = steps  # the chain goes on from the right side
        if link.relation in ("=", "≈"):
            return self._judge_equality(lhs, rhs, claims)
        return _judge_order(link.relation, lhs.exact, rhs.exact)

    # ----- reading sides -----------------------------------------------------------------
    def _read(
        self,
        tree: Node,
        exact: Value,
        claims: Claims,
        steps: dict[int, Interval],
        slips: dict[int, Interval] | None = None,
    ) -> _Reading:
        """A side's values: exact, and with its rounded numbers standing for what they rounded.

        ``steps`` are its decimals known to round what the side before it computed (a
        substitution step), ``slips`` those that round it one unit off.
        """
        meanings = self._meanings(self._literals(tree), claims, steps)
        slips = slips or {}
        if not meanings:
            return _Reading(tree, exact, meanings, None, None, slips)
        node_values: dict[int, Value] = {}
        sheet = _evaluate_or_none(
            tree, lambda n: meanings.get(id(n)) or Interval.point(n.value), node_values
        )
        return _Reading(
            tree, exact, meanings, sheet, node_values if sheet is not None else None, slips
        )

    def _meanings(
        self, numbers: list[Number], claims: Claims, steps: dict[int, Interval]
    ) -> dict[int, Interval]:
        """What each rounded number of a side stands for (exact numbers and claims left out)."""
        meanings: dict[int, Interval] = {}
        for number in numbers:
            if not number.decimals or id(number) in claims:
                continue
            stood, step = self.claims.meaning(number), steps.get(id(number))
            if step is not None:
                stood = step if stood is None else stood.hull(step)
            if stood is not None and not stood.is_point:
                meanings[id(number)] = stood
        return meanings

    def _substitutions(
        self, text: str, lhs: _Reading, rhs: Node, claims: Claims
    ) -> tuple[dict[int, Interval], dict[int, Interval]]:
        """The right side's decimals that round what the left side computes in their place,
        and those that round it one unit off (each with what it stands for)."""
        sites = [s for s in substitution_sites(lhs.tree, rhs) if id(s.number) not in claims]
        if not sites:
            return {}, {}
        values = lhs.node_values if lhs.node_values is not None else self._exact_nodes(text)
        steps: dict[int, Interval] = {}
        slips: dict[int, Interval] = {}
        for site in sites:
            value = site_value(site, values)
            if value is None:
                continue
            stood = rounding_of(site.number, value)
            if stood is not None:
                steps[id(site.number)] = stood
                continue
            stood = rounding_of(site.number, value, Fraction(1))
            if stood is not None:
                slips[id(site.number)] = stood
        return steps, slips

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

    def _value(self, text: str) -> Value | ParseError:
        if text not in self._values:
            tree = self._tree(text)
            try:
                self._values[text] = (
                    tree if isinstance(tree, ParseError) else evaluate_interval(tree)
                )
            except ParseError as error:
                self._values[text] = error
        return self._values[text]

    def _exact_nodes(self, text: str) -> dict[int, Value]:
        """The exact value of each node of a side, by ``id`` (only substitution steps need
        them, so they are computed on demand)."""
        if text not in self._node_values:
            values: dict[int, Value] = {}
            tree = self._tree(text)
            if not isinstance(tree, ParseError):
                _evaluate_or_none(tree, exact_literal, values)
            self._node_values[text] = values
        return self._node_values[text]

    def _literals(self, node: Node) -> list[Number]:
        """The written numbers of a tree (memoized: trees live as long as the judge)."""
        found = self._literal_cache.get(id(node))
        if found is None:
            found = self._literal_cache[id(node)] = literals(node)
        return found

    @staticmethod
    def _unchecked(texts: tuple[str, str], message: str) -> Judgement:
        return Judgement("not checked", texts[0], texts[1], message)

    # ----- = and ≈ -----------------------------------------------------------------------
    def _judge_equality(self, lhs: _Reading, rhs: _Reading, claims: Claims) -> Judgement:
        left, right = lhs.exact, rhs.exact
        pairing, problem = _pairing(left, right)
        if pairing is None:
            return Judgement("error", show_value(left), show_value(right), problem)
        base = _entries(pairing, left, right, rhs.tree, claims, self._literals)
        if all(_equal(exact, claimed) for _, exact, claimed, _, _ in base):
            half = unit = lenient = None  # the common case: no rounding to weigh
        elif not claims and not rhs.meanings and not rhs.slips:  # exact as written
            half = unit = None
            lenient = _flat(lhs.sheet)
        else:
            half = _claim_values(rhs, claims, Fraction(1, 2))
            unit = _claim_values(rhs, claims, Fraction(1))
            lenient = _flat(lhs.sheet)
        left_nodes = _entry_nodes(lhs.tree, len(base))
        entries = [
            _Entry(
                label,
                exact,
                claimed,
                half[k] if half else claimed,
                unit[k] if unit else claimed,
                lenient[k] if lenient else None,
                places,
                single_claim(node),
                self._used(left_nodes[k], lhs.meanings) if lenient else (),
                self._used(node, rhs.meanings) if half else (),
                self._used(node, rhs.slips) if unit else (),
            )
            for k, (label, exact, claimed, places, node) in enumerate(base)
        ]
        outcomes = [_outcome(entry) for entry in entries]
        for entry, outcome in zip(entries, outcomes):
            if outcome in ("rounded", "sheet", "rounding"):
                self._learn(entry, outcome)
        message = _message(entries, outcomes, pairing)
        worst = max(outcomes, key=_SEVERITY.__getitem__)
        return Judgement(_OUTCOME_VERDICT[worst], show_value(left), show_value(right), message)

    def _used(self, node: Node, meanings: dict[int, Interval]) -> tuple[str, ...]:
        """The rounded numbers of a tree that stand for more than themselves, as written."""
        if not meanings:
            return ()
        return tuple(dict.fromkeys(n.text for n in self._literals(node) if id(n) in meanings))

    def _learn(self, entry: _Entry, outcome: Outcome) -> None:
        """Remember what an accepted claim of one written number stood for.

        It stands for the values between what is written and what it rounds: the exact
        left side, or the part of the left side's range that rounds to it.
        """
        if entry.claim is None:
            return
        sign, number = entry.claim
        if not number.decimals:
            return
        meant = entry.exact
        if outcome == "sheet" and entry.lenient is not None:
            meant = Interval(
                max(entry.lenient.lo, entry.claimed_half.lo),
                min(entry.lenient.hi, entry.claimed_half.hi),
            )
        self.claims.learn(number, Interval.point(number.value).hull(meant if sign == 1 else -meant))


def _recorder(values: dict[int, Value]) -> Callable[[Node, Value], None]:
    """A recorder keeping the value of every node of a tree, by ``id`` of the node."""

    def record(node: Node, value: Value) -> None:
        values[id(node)] = value

    return record


def _evaluate_or_none(
    node: Node,
    literal: Callable[[Number], Interval],
    recorded: dict[int, Value] | None = None,
) -> Value | None:
    """The side evaluated with ``literal``; None if that fails (a widened divisor may be 0)."""
    try:
        return evaluate_interval(
            node, literal, record=None if recorded is None else _recorder(recorded)
        )
    except ParseError:
        return None


def _flat(value: Value | None) -> list[Interval] | None:
    if value is None:
        return None
    return value.entries() if isinstance(value, Grid) else [value]


def _claim_values(rhs: _Reading, claims: Claims, units: Fraction) -> list[Interval] | None:
    """The right side's entries with its claim widened by ``units`` in the last place and
    its rounded numbers standing for what they rounded (with a whole unit, its slips too)."""
    slips = rhs.slips if units >= 1 else {}

    def literal(node: Number) -> Interval:
        if id(node) in claims:
            return rounding_interval(node, units)
        stood = rhs.meanings.get(id(node)) or Interval.point(node.value)
        slip = slips.get(id(node))
        return stood if slip is None else stood.hull(slip)

    written = written_numbers(rhs.tree)
    if written is not None:  # the usual claim: numbers as written, no evaluation needed
        return [literal(number) if sign > 0 else -literal(number) for sign, number in written]
    return _flat(_evaluate_or_none(rhs.tree, literal))


# ----- entries and shapes --------------------------------------------------------------------
Pairing = Literal["scalar", "grid", "vector"]


def _pairing(left: Value, right: Value) -> tuple[Pairing | None, str]:
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


def _entry_nodes(side: Node, count: int) -> list[Node]:
    """The tree of each entry of a side when it is written as a matrix, else the side."""
    nodes = [entry for row in side.rows for entry in row] if isinstance(side, Matrix) else []
    return nodes if len(nodes) == count else [side] * count


def _places(numbers: list[Number], claims: Claims) -> int | None:
    """Places the claim is rounded to: the most of any of its numbers (None: no claim)."""
    places = [claims[id(n)] for n in numbers if id(n) in claims]
    return max(places) if places else None


# ----- verdicts ------------------------------------------------------------------------------
def _equal(a: Interval, b: Interval) -> bool:
    if a.is_point and b.is_point:
        return a.lo == b.lo
    scale = max(Fraction(1), abs(a.midpoint))
    return a.intersects(b) and a.width <= TIGHT * scale and b.width <= TIGHT * scale


def _representable(value: Interval, places: int) -> bool:
    return value.is_point and (value.lo * Fraction(10) ** places).denominator == 1


def _outcome(entry: _Entry) -> Outcome:
    if _equal(entry.exact, entry.claimed):
        return "equal"
    if entry.exact.intersects(entry.claimed_half):
        if entry.places is not None:
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


def _judge_order(
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
    exact = show(entry.exact, entry.places)
    claimed = show(entry.claimed, entry.places)
    places = _places_name(entry.places)
    single = entry.claim is not None
    sentences: dict[Outcome, Callable[[], str]] = {
        "equal": lambda: f"both sides equal {exact}",
        "rounded": lambda: (
            f"{exact} rounds to {claimed} at {places}"
            if single
            else f"{exact} agrees with {claimed}, whose numbers are rounded to {places}"
        ),
        "sheet": lambda: _sheet_sentence(entry, exact, claimed),
        "rounding": lambda: (
            f"the left side is {exact} but the right side is {claimed}: its "
            f"{_listing(entry.slipped)} {'is' if len(entry.slipped) == 1 else 'are'} "
            "rounded one unit off in the last place"
            if entry.slipped
            else f"{exact} rounds to {rounded_text(entry.exact, entry.places)}, not {claimed}: one unit off in the last place"
            if single
            else f"{exact} differs from {claimed} by one unit in the last of its {places}"
        ),
        "error": lambda: (
            f"the left side is {exact} but the right side is {claimed}"
            + (f", even allowing for {_sheet_values(entry.used)}" if entry.used else "")
        ),
    }
    return sentences[outcome]()


def _sheet_sentence(entry: _Entry, exact: str, claimed: str) -> str:
    """Why a link holds with the sheet's own rounded values, naming them."""
    at = f" at {_places_name(entry.places)}" if entry.places is not None else ""
    if entry.used_right and entry.exact.intersects(entry.claimed_half):
        return (
            f"the right side is {claimed} as written, but with {_sheet_values(entry.used_right)} "
            f"it can be {_range(entry.claimed_half)}, which includes the left side's {exact}"
        )
    if entry.used_right:
        return (
            f"with {_sheet_values(entry.used)} the left side can be {_range(entry.lenient)} "
            f"and the right side {_range(entry.claimed_half)}, which meet"
        )
    return (
        f"the left side is {exact}, but with {_sheet_values(entry.used_left)} it can be "
        f"{_range(entry.lenient)}, which agrees with {claimed}{at}"
    )


def _sheet_values(used: tuple[str, ...]) -> str:
    return f"the sheet's own rounded {_listing(used)}"


def _places_name(places: int | None) -> str:
    if places is not None and places < 0:
        return f"a multiple of {10**-places}"
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
    return f"{approximate(value.lo, 6)} to {approximate(value.hi, 6)}"
