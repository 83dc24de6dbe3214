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
**not checked**.  So is a link that *defines* a function the sheet names itself,
``\\operatorname{softsign}(x) = \\frac{x}{1 + |x|}`` (a name no built-in function has,
applied to distinct symbols; a right side using each of them and nothing else, piecewise
with ``\\begin{cases}`` or not): it is remembered, and the links after it are evaluated
with it.  A function the sheet never defines leaves its links not checked.
"""

from __future__ import annotations

from fractions import Fraction

from symnn.core.interval import PRECISION, Interval, working_precision
from symnn.core.nodes import Call, Definition, Node, Number, Symbol, literals, symbols, walk
from symnn.errors import ParseError
from symnn.verify.lint import messages, verdicts
from symnn.verify.lint.claims import Claims, claim_numbers, single_claim
from symnn.verify.lint.display import show_value
from symnn.verify.lint.relations import CHECKED_RELATIONS, Link, Side
from symnn.verify.lint.rounded import RoundedClaims, rounding_of, site_value, substitution_sites
from symnn.verify.lint.sides import Reading, claim_values, evaluate_or_none, flat
from symnn.verify.lint.verdicts import (
    OUTCOME_VERDICT,
    SEVERITY,
    VERDICTS,
    Entry,
    Judgement,
    Outcome,
    Value,
    Verdict,
)
from symnn.verify.syntax.evaluate import evaluate_interval, exact_literal
from symnn.verify.syntax.grid import Grid
from symnn.verify.syntax.parse import parse_expression
from symnn.verify.syntax.vocabulary import BUILT_IN_FUNCTIONS

_SIDE_NAMES = ("left", "right")

MAX_LINK_CHARS = 20_000
"""The longest link (both sides together) that is judged; a longer one is not checked, so one
pathological formula cannot cost more than a bounded time (the limit stated in the report)."""
MAX_JUDGE_BITS = PRECISION * 4**4
"""The highest precision (in bits) at which a link's exact sides are enclosed before the link
is left not checked (12,800 bits: values down to about 10^-3800 relative are told apart)."""
DECIDED_WIDTH = Fraction(1, 2**100)
"""An exact side's enclosure is decided when it is narrower than this, relative to its size."""


def decided(value: Interval | Grid[Interval]) -> bool:
    """Whether every entry of an exact side's enclosure is decided: a point, or an interval
    away from 0 narrower than :data:`DECIDED_WIDTH` relative to its smallest end (an absolute
    bound is not enough: 1 - tanh(100) is 2.8e-87, and an enclosure of width 1e-60 around it
    would call it equal to 5e-70).

    >>> decided(Interval(Fraction(-1, 10**60), Fraction(1, 10**60))), decided(Interval.point(Fraction(0)))
    (False, True)
    """
    for entry in value.entries() if isinstance(value, Grid) else [value]:
        if entry.is_point:
            continue
        if entry.lo <= 0 <= entry.hi:
            return False
        if entry.width > DECIDED_WIDTH * min(abs(entry.lo), abs(entry.hi)):
            return False
    return True

__all__ = ["VERDICTS", "Judge", "Judgement", "Verdict"]


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
        self.definitions: dict[str, Definition] = {}
        """The functions the sheet has defined so far, by name (``softsign'``)."""

    # ----- public ------------------------------------------------------------------------
    def judge(self, link: Link) -> Judgement:
        """The judgement of one link (it may teach the judge what the sheet rounded).

        Its exact sides are first enclosed at rising precision until every entry is decided
        (:func:`decided`); the link is then judged at that precision.  A side still undecided
        at :data:`MAX_JUDGE_BITS` (a value too close to 0 to tell) leaves the link not checked:
        no verdict comes from a bound that cannot tell the sides apart.
        """
        if len(link.lhs.text) + len(link.rhs.text) > MAX_LINK_CHARS:
            self._previous_rhs, self._carried = link.rhs, {}
            return self._unchecked(
                (link.lhs.text, link.rhs.text),
                f"The link is longer than {MAX_LINK_CHARS:,} characters, more than symnn checks.",
            )
        bits = self._decided_bits(link)
        if bits is None:
            self._previous_rhs, self._carried = link.rhs, {}
            return self._unchecked(
                (link.lhs.text, link.rhs.text),
                f"A side is too close to 0 to be decided with {MAX_JUDGE_BITS}-bit enclosures.",
            )
        if bits == PRECISION:
            return self._judge(link)
        with working_precision(bits):
            return self._judge(link)

    def _decided_bits(self, link: Link) -> int | None:
        """The precision at which both exact sides of an ``=``/``≈`` link are decided
        (:data:`PRECISION` for any other link, whose reading fails later); None if none is."""
        if link.relation not in ("=", "≈"):
            return PRECISION
        texts = (link.lhs.text, link.rhs.text)
        trees: list[Node] = []
        for text in texts:
            tree = self._tree(text)
            if isinstance(tree, ParseError) or self._symbols(text, tree):
                return PRECISION
            trees.append(tree)
        bits = PRECISION
        for tree, text in zip(trees, texts):
            value = self._value(text)
            if isinstance(value, ParseError):
                return PRECISION
            while not decided(value):
                if bits >= MAX_JUDGE_BITS:
                    return None
                bits *= 4
                with working_precision(bits):
                    try:
                        value = evaluate_interval(tree, definitions=self.definitions)
                    except ParseError:
                        return PRECISION
                self._values[text] = value  # narrower, so right at every precision
        return bits

    def _judge(self, link: Link) -> Judgement:
        carried = self._carried if link.lhs is self._previous_rhs else {}
        self._previous_rhs, self._carried = link.rhs, {}
        texts = (link.lhs.text, link.rhs.text)
        if link.relation not in CHECKED_RELATIONS:
            return self._unchecked(
                texts, f"The relation {link.relation_text} is not a computation symnn checks."
            )
        defined = self._define(texts) if link.relation == "=" else None
        if defined is not None:
            return self._unchecked(
                texts, f"This defines {defined}; later links are evaluated with it."
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
        return verdicts.judge_order(link.relation, lhs.exact, rhs.exact)

    def _define(self, texts: tuple[str, str]) -> str | None:
        """Learn ``f(x) = body`` when the link defines a function the sheet names itself
        (``\\operatorname{softsign}(x) = \\frac{x}{1 + |x|}``); the function's name if it does.

        The left side calls a name no built-in function has, on distinct symbols; the
        right side uses each of them, no other symbol, and only functions already known.
        """
        head = self._tree(texts[0])
        if not isinstance(head, Call) or head.function.name in BUILT_IN_FUNCTIONS:
            return None
        body = self._tree(texts[1])
        if isinstance(body, ParseError) or head.function.parameter is not None:
            return None
        parameters = [a.name for a in head.arguments if isinstance(a, Symbol)]
        if len(parameters) != len(head.arguments) or len(set(parameters)) != len(parameters):
            return None
        name = str(head.function)
        called = {str(n.function) for n in walk(body) if isinstance(n, Call)}
        custom = {c for c in called if c.rstrip("'") not in BUILT_IN_FUNCTIONS}
        if set(self._symbols(texts[1], body)) != set(parameters) or name in called:
            return None  # the body must use every parameter and nothing else, and not itself
        if not custom <= set(self.definitions):
            return None
        self.definitions[name] = Definition(tuple(parameters), body)
        self._values.clear()  # a side that called it before may have a value now
        self._node_values.clear()
        return name

    # ----- reading sides -----------------------------------------------------------------
    def _read(
        self,
        tree: Node,
        exact: Value,
        claims: Claims,
        steps: dict[int, Interval],
        slips: dict[int, Interval] | None = None,
    ) -> Reading:
        """A side's values: exact, and with its rounded numbers standing for what they rounded.

        ``steps`` are its decimals known to round what the side before it computed (a
        substitution step), ``slips`` those that round it one unit off.
        """
        meanings = self._meanings(self._literals(tree), claims, steps)
        slips = slips or {}
        if not meanings:
            return Reading(tree, exact, meanings, None, None, slips)
        node_values: dict[int, Value] = {}
        sheet = evaluate_or_none(
            tree,
            lambda n: meanings.get(id(n)) or Interval.point(n.value),
            node_values,
            self.definitions,
        )
        return Reading(
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
        self, text: str, lhs: Reading, rhs: Node, claims: Claims
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
                    tree
                    if isinstance(tree, ParseError)
                    else evaluate_interval(tree, definitions=self.definitions)
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
                evaluate_or_none(tree, exact_literal, values, self.definitions)
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
    def _judge_equality(self, lhs: Reading, rhs: Reading, claims: Claims) -> Judgement:
        left, right = lhs.exact, rhs.exact
        pairing, problem = verdicts.pairing(left, right)
        if pairing is None:
            return Judgement("error", show_value(left), show_value(right), problem)
        base = verdicts.entries(pairing, left, right, rhs.tree, claims, self._literals)
        if all(verdicts.equal(exact, claimed) for _, exact, claimed, _, _ in base):
            half = unit = lenient = None  # the common case: no rounding to weigh
        elif not claims and not rhs.meanings and not rhs.slips:  # exact as written
            half = unit = None
            lenient = flat(lhs.sheet)
        else:
            half = claim_values(rhs, claims, Fraction(1, 2), self.definitions)
            unit = claim_values(rhs, claims, Fraction(1), self.definitions)
            lenient = flat(lhs.sheet)
        left_nodes = verdicts.entry_nodes(lhs.tree, len(base))
        entries = [
            Entry(
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
        outcomes = [verdicts.outcome(entry) for entry in entries]
        for entry, outcome in zip(entries, outcomes):
            if outcome in ("rounded", "sheet", "rounding"):
                self._learn(entry, outcome)
        message = messages.message(entries, outcomes, pairing)
        worst = max(outcomes, key=SEVERITY.__getitem__)
        return Judgement(OUTCOME_VERDICT[worst], show_value(left), show_value(right), message)

    def _used(self, node: Node, meanings: dict[int, Interval]) -> tuple[str, ...]:
        """The rounded numbers of a tree that stand for more than themselves, as written."""
        if not meanings:
            return ()
        return tuple(dict.fromkeys(n.text for n in self._literals(node) if id(n) in meanings))

    def _learn(self, entry: Entry, outcome: Outcome) -> None:
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
