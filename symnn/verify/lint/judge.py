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

  c. **a display** (:mod:`symnn.verify.lint.displays`): the page shows it displays its
     numbers at a fixed precision (padded places, the same places nearly everywhere), the
     link is ``≈`` at the decimal's own places, the decimal is a shorter rounding of a
     result written earlier, or it has seven or more significant digits; it then stands
     for its whole rounding interval (never a claim the sheet computed exactly).

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

**Named values.**  A link whose left side is one name (``net_{h1}``, ``\\text{out}_{h1}``,
``w_5^+``; not a lone Latin letter) or a derivative written as a fraction of ∂ terms
gives that name the value of its chain (the tightest value the chain's sides agree on);
later links that use the name are evaluated with it.  A name holds until the next heading.
A claim of the chain stands there for what it rounded, entry by entry: after ``≈`` (or as
a display) its whole rounding interval, never the point it writes.  So a name whose chain
has an exact value lint reads keeps that value (``a_2 = 0.6 + \\frac{\\tanh(0.6)}{2} \\approx 0.869``:
``\\tanh(a_2)`` is the tanh of the exact value, not of 0.869), and a name given only a
rounded display stands for its rounding interval: a later side using it holds with the
sheet's own rounded values when it meets the other side (rule 3).

**Softmax of a matrix.**  It runs over each column (a batch of column vectors) or over
each row (attention's scores, one row per query); a link written with it is read over
columns, and over rows when it is an error over columns and holds over rows.

An error's message names the likely slip when one reinterpretation makes the link hold
(:mod:`symnn.verify.lint.diagnose`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from symnn.core.interval import PRECISION, Interval, working_precision
from symnn.core.nodes import (
    Call,
    Chain,
    Definition,
    Node,
    Number,
    Symbol,
    children,
    literals,
    symbols,
    walk,
)
from symnn.errors import ParseError
from symnn.verify.lint import messages, verdicts
from symnn.verify.lint.claims import Claims, claim_numbers, single_claim
from symnn.verify.lint.diagnose import diagnose
from symnn.verify.lint.display import TIGHT, show_value
from symnn.verify.lint.displays import ShownResults, display_interval, long_display
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
from symnn.verify.syntax.evaluate import evaluate_interval, exact_literal, named_prefix
from symnn.verify.syntax.functions import softmax_over_rows, softmax_rows
from symnn.verify.syntax.grid import Grid
from symnn.verify.syntax.parse import parse_expression
from symnn.verify.syntax.tokens import tokenize
from symnn.verify.syntax.vocabulary import BUILT_IN_FUNCTIONS

_SIDE_NAMES = ("left", "right")
_SOFTMAX = "softmax"
"""Links that write it may be read with the softmax of a matrix over its rows."""
_PARTIAL = re.compile(r"\\partial(?![A-Za-z])")

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


@dataclass(frozen=True, slots=True)
class _State:
    """What judging one link may change, saved to judge it again another way."""

    claims: RoundedClaims
    shown: ShownResults
    exact_results: set[tuple[Fraction, int]]
    diagnoses: dict[tuple[tuple[str, str], bool], str | None]
    last_rhs: Reading | None
    carried: dict[int, Interval]
    link_places: int | None


class Judge:
    """Judges the links of one sheet in order, remembering what its numbers stand for.

    >>> from symnn.verify.lint.relations import split_relations
    >>> judge = Judge()
    >>> [judge.judge(link).verdict for link in split_relations(r"\\frac{55}{3} = 18.33, \\quad 1 + 1 = 3")]
    ['ok', 'error']
    """

    def __init__(self, display_places: int | None = None) -> None:
        self.display_places = display_places
        """The places the sheet displays its numbers at (:mod:`~symnn.verify.lint.displays`)."""
        self.shown = ShownResults()
        self._exact_results: set[tuple[Fraction, int]] = set()
        """Claims equal to a left side that used no rounded number: exact, never displays."""
        self._link_places: int | None = None
        self._restating = False
        self._diagnoses: dict[tuple[tuple[str, str], bool], str | None] = {}
        self.claims = RoundedClaims()
        self._previous_rhs: Side | None = None
        self._carried: dict[int, Interval] = {}
        self._trees: dict[str, Node | ParseError] = {}
        self._values: dict[str, Value | ParseError] = {}
        self._node_values: dict[str, dict[int, Value]] = {}
        self._literal_cache: dict[int, list[Number]] = {}
        self._names: dict[str, list[str]] = {}
        self.names: dict[str | Node, Value] = {}
        """The values the sheet has given names so far (``net_h1``, ``out_h1``; a named
        derivative by its tree)."""
        self._naming: str | Node | None = None
        self._last_rhs: Reading | None = None
        self.definitions: dict[str, Definition] = {}
        """The functions the sheet has defined so far, by name (``softsign'``)."""

    # ----- public ------------------------------------------------------------------------
    def judge(self, link: Link) -> Judgement:
        """The judgement of one link (it may teach the judge what the sheet rounded)."""
        continuing = link.lhs is self._previous_rhs
        carried = self._carried if continuing else {}
        self._link_places = None  # set by the link's own claim, never left from the last
        self._previous_rhs, self._carried = link.rhs, {}
        if not continuing:
            self._naming = None
        texts = (link.lhs.text, link.rhs.text)
        if link.relation not in CHECKED_RELATIONS:
            self._naming = None
            return self._unchecked(
                texts, f"The relation {link.relation_text} is not a computation symnn checks."
            )
        defined = self._define(texts) if link.relation == "=" else None
        if defined is not None:
            return self._unchecked(
                texts, f"This defines {defined}; later links are evaluated with it."
            )
        named = self._name_of(texts[0]) if link.relation in ("=", "≈") else None
        if named is not None:
            return self._named(named, link, texts)
        before = self._state() if _SOFTMAX in texts[0] or _SOFTMAX in texts[1] else None
        judgement = self._judge_decided(link, texts, carried)
        rows = False
        if before is not None and judgement.verdict == "error":
            # The softmax of a matrix runs over its columns (a batch) or its rows
            # (attention's scores): the link is read the way it holds, if one does.
            after = self._state()
            self._restore(before)
            with softmax_over_rows():
                by_rows = self._judge_decided(link, texts, carried)
            if by_rows.verdict in ("ok", "rounding"):
                judgement, rows = by_rows, True
            else:
                self._restore(after)
        if self._naming is not None:
            with softmax_over_rows() if rows else nullcontext():
                if self._last_rhs is not None:
                    rhs = self._last_rhs
                    claims = claim_numbers(rhs.tree, link.relation)
                    meaning = self._meaning_of(rhs, claims, link.relation == "≈")
                    self._assign(self._naming, meaning)
                else:  # ``\\hat{y} = \\sigma(y) = 0.7491``: the name still gets the number
                    self._assign_written(self._naming, texts[1], link.relation)
        return judgement

    def _state(self) -> _State:
        """What judging one link may change (to judge it again another way)."""
        return _State(
            self.claims.copy(),
            self.shown.copy(),
            set(self._exact_results),
            dict(self._diagnoses),
            self._last_rhs,
            dict(self._carried),
            self._link_places,
        )

    def _restore(self, state: _State) -> None:
        self.claims = state.claims.copy()
        self.shown = state.shown.copy()
        self._exact_results = set(state.exact_results)
        self._diagnoses = dict(state.diagnoses)
        self._last_rhs = state.last_rhs
        self._carried = dict(state.carried)
        self._link_places = state.link_places

    def _assign_written(self, name: str | Node, text: str, relation: str) -> None:
        """Give ``name`` the value of a right side that is a written number (or numbers)."""
        tree = self._tree(text)
        if isinstance(tree, ParseError) or self._symbols(text, tree):
            return
        exact = self._value(text)
        if isinstance(exact, ParseError):
            return
        claims = claim_numbers(tree, relation)
        rhs = self._read(tree, exact, claims, {})
        self._assign(name, self._meaning_of(rhs, claims, relation == "≈"))

    def _judge_decided(
        self, link: Link, texts: tuple[str, str], carried: dict[int, Interval]
    ) -> Judgement:
        """:meth:`_judge_values` at a precision where both exact sides are decided.

        The exact sides are first enclosed at rising precision until every entry is decided
        (:func:`decided`); the link is then judged at that precision.  A side still undecided
        at :data:`MAX_JUDGE_BITS` (a value too close to 0 to tell) leaves the link not checked:
        no verdict comes from a bound that cannot tell the sides apart.  A link longer than
        :data:`MAX_LINK_CHARS` is not checked either.
        """
        if len(texts[0]) + len(texts[1]) > MAX_LINK_CHARS:
            self._last_rhs = None
            return self._unchecked(
                texts, f"The link is longer than {MAX_LINK_CHARS:,} characters, more than symnn checks."
            )
        bits = self._decided_bits(link, texts)
        if bits is None:
            self._last_rhs = None
            return self._unchecked(
                texts, f"A side is too close to 0 to be decided with {MAX_JUDGE_BITS}-bit enclosures."
            )
        if bits == PRECISION:
            return self._judge_values(link, texts, carried)
        with working_precision(bits):
            return self._judge_values(link, texts, carried)

    def _decided_bits(self, link: Link, texts: tuple[str, str]) -> int | None:
        """The precision at which both exact sides of an ``=``/``≈`` link are decided
        (:data:`PRECISION` for any other link, one with symbols or one whose reading fails later);
        None if none is."""
        if link.relation not in ("=", "≈"):
            return PRECISION
        trees: list[Node] = []
        for text in texts:
            tree = self._tree(text)
            if isinstance(tree, ParseError) or self._symbols(text, tree):
                return PRECISION  # named values are intervals of their own width: judged as they are
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

    def _judge_values(
        self, link: Link, texts: tuple[str, str], carried: dict[int, Interval]
    ) -> Judgement:
        """The judgement of a link whose sides are numbers (or the sheet's named values)."""
        self._last_rhs = None
        trees: list[Node] = []
        called: list[tuple[str, str]] = []
        for side, text in zip(_SIDE_NAMES, texts):
            tree = self._tree(text)
            if isinstance(tree, ParseError):
                return self._unchecked(texts, f"The {side} side cannot be read: {tree}.")
            name = self._called_names(text, tree)
            if name:
                called.append((side, name))
            names = self._unknown_symbols(text, tree)
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
        self._link_places = (
            max(claims.values()) if link.relation == "≈" and claims else None
        )
        lhs = self._read(trees[0], values[0], {}, carried)
        steps, slips = self._substitutions(texts[0], lhs, trees[1], claims)
        self._restating = any(self._symbols(t, tree) for t, tree in zip(texts, trees))
        rhs = self._read(trees[1], values[1], claims, steps, slips)
        self._restating = False
        self._carried = steps  # the chain goes on from the right side
        self._last_rhs = rhs
        if link.relation in ("=", "≈"):
            judgement = self._judge_equality(lhs, rhs, claims, texts)
            if called and judgement.verdict != "ok":
                # ``\\hat{y}(W + \\epsilon)`` may call ŷ rather than multiply by it: a link
                # that holds as a product is ok, any other is left unjudged.
                side, name = called[0]
                self._last_rhs = None
                return self._unchecked(
                    texts,
                    f"The {side} side writes {name} followed by a parenthesis, which may be "
                    "a function call, and as a product the link does not hold; not checked.",
                )
            return judgement
        return verdicts.judge_order(link.relation, lhs.exact, rhs.exact)

    # ----- named values ------------------------------------------------------------------
    def _name_of(self, text: str) -> str | Node | None:
        """The name a side is, when it is one name alone (``net_{h1}``, ``\\text{out}_{h1}``),
        or a derivative written as a fraction of ∂ terms (``\\frac{\\partial E}{\\partial w}``,
        then the tree is the name)."""
        tree = self._tree(text)
        if isinstance(tree, Chain) and _is_derivative(tree):
            return tree
        if not isinstance(tree, Symbol):
            return None
        name = tree.name.rstrip("'")
        # A lone Latin letter is too often a condition or a variable ("at $x = 0$"):
        # only a name with a subscript or of several letters holds a value.
        return tree.name if "_" in name or len(name) > 1 else None

    def forget_names(self) -> None:
        """Forget the values the sheet named (a new section or exercise begins)."""
        self.names.clear()
        self._naming = None

    def _unknown_symbols(self, text: str, tree: Node) -> list[str]:
        """The symbols of a side that have no value (named values and named derivatives
        have theirs)."""
        found = self._symbols(text, tree)
        if not found or not self.names:
            return found
        if not any(not isinstance(key, str) for key in self.names):
            return [n for n in found if n not in self.names]
        unknown: list[str] = []
        stack = [tree]
        while stack:
            node = stack.pop()
            if isinstance(node, Chain) and node in self.names:
                continue
            if isinstance(node, Chain):
                start = named_prefix(node, self.names)
                if start:
                    stack.extend(operand for _, operand in node.rest[start:])
                    continue
            if isinstance(node, Symbol):
                if node.name not in self.names and node.name not in unknown:
                    unknown.append(node.name)
                continue
            stack.extend(children(node))
        return unknown

    def _refers(self, tree: Node, text: str, name: str | Node) -> bool:
        """Whether a side uses the name (``\\hat{y} = \\sigma(\\hat{y})`` relates ŷ to itself)."""
        if isinstance(name, str):
            return name in self._symbols(text, tree)
        return any(node == name for node in walk(tree) if isinstance(node, Chain))

    def _called_names(self, text: str, tree: Node) -> str | None:
        """A named value written right before ``(``: ``\\hat{y}(W + \\epsilon)`` calls ŷ
        rather than multiplying by it, so the side has no value to check."""
        if not self.names or not any(n in self.names for n in self._symbols(text, tree)):
            return None
        tokens = tokenize(_PARTIAL.sub(r"\\text{∂}", text))
        for k, (token, following) in enumerate(zip(tokens, tokens[1:])):
            if token.type == "SYMBOL" and token.value in self.names and following.type == "_LPAR":
                if not _group_uses(tokens, k + 1, token.value):
                    return str(token.value)  # ``out(1 - out)`` is a product, not a call
        return None

    def _named(self, name: str | Node, link: Link, texts: tuple[str, str]) -> Judgement:
        """``name = rhs``: the name gets the right side's value, and keeps the value of
        the chain's later sides (``net_{h1} = 0.15 \\cdot 0.05 + … = 0.3775``)."""
        tree = self._tree(texts[1])
        shown = name if isinstance(name, str) else texts[0]
        if not isinstance(tree, ParseError) and self._refers(tree, texts[1], name):
            self._naming = None  # ``\\hat{y} = \\sigma(\\hat{y})`` is an equation, not a value
            return self._unchecked(texts, f"This relates {shown} to itself; it gives no value.")
        self._naming = name
        value: Value | None = None
        if not isinstance(tree, ParseError) and not self._unknown_symbols(texts[1], tree):
            claims = claim_numbers(tree, link.relation)
            exact = self._value(texts[1])
            if not isinstance(exact, ParseError):
                rhs = self._read(tree, exact, claims, {})
                value = self._meaning_of(rhs, claims, link.relation == "≈")
        if value is None:
            self.names.pop(name, None)  # a name given a new meaning loses its old value
            return self._unchecked(texts, f"This names {shown}; it has no value yet.")
        self._assign(name, value)
        return self._unchecked(
            texts,
            f"This gives {shown} the value {show_value(value)}; later links using it are checked.",
        )

    def _meaning_of(self, rhs: Reading, claims: Claims, approximate: bool) -> Value:
        """What a right side stands for, as the value of the name it gives a value.

        Each number of its claim (the number written alone there, or each entry of a
        matrix written there) stands for what it rounded: after ``≈``, or when it is a
        display, its whole rounding interval (never the point it writes); a claim judged
        earlier also for the values between it and what it rounded; else (a given written
        after ``=``) what it says.  Any other side stands for its value with its rounded
        numbers.  The chain's exact value, when it has one, narrows this (:meth:`_assign`).
        """
        if not claims:
            return rhs.sheet if rhs.sheet is not None else rhs.exact

        def literal(number: Number) -> Interval:
            places = claims.get(id(number))
            if places is None:  # not the claim: what the side read it as
                return rhs.meanings.get(id(number)) or Interval.point(number.value)
            stood = self.claims.meaning(number)
            if approximate or self._displayed(number):
                shown = display_interval(number.value, places)
                stood = shown if stood is None else stood.hull(shown)
            return stood if stood is not None else Interval.point(number.value)

        value = evaluate_or_none(rhs.tree, literal, None, self.definitions, self.names)
        if value is not None:
            return value
        return rhs.sheet if rhs.sheet is not None else rhs.exact

    def _assign(self, name: str | Node, value: Value) -> None:
        """Give ``name`` a value; along one chain it keeps the tightest value its sides
        agree on (``= \\frac{4427}{59590} \\approx 0.0743`` keeps the fraction, and
        ``= \\tanh(\\frac{3}{4}) \\approx 0.635`` keeps the tanh: a rounded display
        never replaces the exact value it rounds), and takes a value that disagrees (the
        sheet carries its own slip forward)."""
        known = self.names.get(name)
        self.names[name] = value if known is None else _tightest(known, value)

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
            self.names,
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
            if not number.decimals:
                continue
            if id(number) in claims:
                # A link written with named values restates results computed before
                # (``\\tanh(X) = [-0.964, -0.761, …]``): a rounded result stands for what
                # it rounded there, and a slip in it was reported where it was made.
                restated = self.claims.meaning(number) if self._restating else None
                if restated is not None and not restated.is_point:
                    meanings[id(number)] = restated
                continue
            stood, step = self.claims.meaning(number), steps.get(id(number))
            if step is not None:
                stood = step if stood is None else stood.hull(step)
            if self._displayed(number):
                shown = display_interval(number.value, number.decimals)
                stood = shown if stood is None else stood.hull(shown)
            if stood is not None and not stood.is_point:
                meanings[id(number)] = stood
        return meanings

    def _displayed(self, number: Number) -> bool:
        """Whether a decimal operand is a display standing for its rounding interval."""
        places = number.decimals or 0
        if (number.value, places) in self._exact_results:
            return False  # the sheet computed it exactly: ``= 0.005 \approx 0.006`` is wrong
        if places >= 2 and places in (self.display_places, self._link_places):
            return True
        return self.shown.rounds(number.value, places) or long_display(number)

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
                # ∂ is read as a name here, so that a derivative can be named
                # (``\\frac{\\partial E}{\\partial w} = 0.08``); the parser itself refuses it.
                self._trees[text] = parse_expression(_PARTIAL.sub(r"\\text{∂}", text))
            except ParseError as error:
                self._trees[text] = error
        return self._trees[text]

    def _symbols(self, text: str, tree: Node) -> list[str]:
        names = self._names.get(text)
        if names is None:
            names = self._names[text] = symbols(tree)
        return names

    def _value(self, text: str) -> Value | ParseError:
        """A side's exact value (cached, unless it uses named values, which may change)."""
        cached = not softmax_rows()  # the caches hold values with softmax over columns
        if cached and text in self._values:
            return self._values[text]
        tree = self._tree(text)
        try:
            value: Value | ParseError = (
                tree
                if isinstance(tree, ParseError)
                else evaluate_interval(tree, definitions=self.definitions, names=self.names)
            )
        except ParseError as error:
            value = error
        if cached and (isinstance(tree, ParseError) or not self._symbols(text, tree)):
            self._values[text] = value
        return value

    def _exact_nodes(self, text: str) -> dict[int, Value]:
        """The exact value of each node of a side, by ``id`` (only substitution steps need
        them, so they are computed on demand)."""
        cached = not softmax_rows()  # the cache holds values with softmax over columns
        if cached and text in self._node_values:
            return self._node_values[text]
        values: dict[int, Value] = {}
        tree = self._tree(text)
        if not isinstance(tree, ParseError):
            evaluate_or_none(tree, exact_literal, values, self.definitions, self.names)
            if self._symbols(text, tree) or not cached:
                return values  # named values may change: not cached
        self._node_values[text] = values
        return values

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
    def _judge_equality(
        self, lhs: Reading, rhs: Reading, claims: Claims, texts: tuple[str, str]
    ) -> Judgement:
        left, right = lhs.exact, rhs.exact
        pairing, problem = verdicts.pairing(left, right)
        if pairing is None:
            return Judgement("error", show_value(left), show_value(right), problem)
        base = verdicts.entries(pairing, left, right, rhs.tree, claims, self._literals)
        if all(verdicts.equal(exact, claimed) for _, exact, claimed, _, _ in base):
            half = unit = None  # the common case: no rounding to weigh
            lenient = flat(lhs.sheet)  # (a result of displayed numbers carries their rounding)
        elif not claims and not rhs.meanings and not rhs.slips:  # exact as written
            half = unit = None
            lenient = flat(lhs.sheet)
        else:
            half = claim_values(rhs, claims, Fraction(1, 2), self.definitions, self.names)
            unit = claim_values(rhs, claims, Fraction(1), self.definitions, self.names)
            lenient = flat(lhs.sheet)
        if lenient is None and self._rounded_names(lhs.tree):
            lenient = flat(lhs.exact)  # its named values stand for their rounding
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
                (self._used(left_nodes[k], lhs.meanings) + self._rounded_names(left_nodes[k]))
                if lenient
                else (),
                (self._used(node, rhs.meanings) if half else ()) + self._rounded_names(node),
                self._used(node, rhs.slips) if unit else (),
            )
            for k, (label, exact, claimed, places, node) in enumerate(base)
        ]
        outcomes = [verdicts.outcome(entry) for entry in entries]
        for entry, outcome in zip(entries, outcomes):
            if outcome in ("rounded", "sheet", "rounding") or (
                outcome == "equal" and entry.lenient is not None
            ):
                self._learn(entry, outcome)
            if outcome != "error" and entry.claim is not None and entry.claim[1].decimals:
                number = entry.claim[1]
                self.shown.learn(number.value, number.decimals or 0)
                if outcome == "equal" and entry.lenient is None and entry.exact.is_point:
                    self._exact_results.add((number.value, number.decimals or 0))
        message = messages.message(entries, outcomes, pairing)
        worst = max(outcomes, key=SEVERITY.__getitem__)
        if worst == "error" and pairing == "scalar":
            clause = self._diagnosis(lhs, rhs, entries[0], texts)
            if clause is not None:
                message += f" Likely slip: {clause}."
        return Judgement(OUTCOME_VERDICT[worst], show_value(left), show_value(right), message)

    def _diagnosis(self, lhs: Reading, rhs: Reading, entry: Entry, texts: tuple[str, str]) -> str | None:
        """The likely slip of a scalar link that is an error (:mod:`.diagnose`); a link
        written with numbers only is diagnosed once, however often a page repeats it."""
        uses_names = any(self._symbols(t, tree) for t, tree in zip(texts, (lhs.tree, rhs.tree)))
        key = (texts, entry.lenient is not None)
        uses_names = uses_names or softmax_rows()  # (the cache holds softmax over columns)
        if not uses_names and key in self._diagnoses:
            return self._diagnoses[key]
        meanings = {**lhs.meanings, **rhs.meanings}

        def standing(number: Number) -> Interval:
            return meanings.get(id(number)) or Interval.point(number.value)

        def evaluate(
            tree: Node, literal: Callable[[Number], Interval] | None
        ) -> Interval | None:
            value = evaluate_or_none(tree, literal or standing, None, self.definitions, self.names)
            return value if isinstance(value, Interval) else None

        left = entry.lenient if entry.lenient is not None else entry.exact
        found = diagnose(
            lhs.tree,
            rhs.tree,
            left,
            entry.claim,
            entry.claimed_half,
            entry.places,
            evaluate,
            self.names if uses_names else {},  # a named value in place of another needs names
        )
        if not uses_names:
            self._diagnoses[key] = found
        return found

    def _rounded_names(self, node: Node) -> tuple[str, ...]:
        """The named values a tree uses that stand for a rounding interval (the name was
        given only a rounded display), as names."""
        if not self.names:
            return ()
        return tuple(
            name
            for name in symbols(node)
            if (value := self.names.get(name)) is not None and not _tight(value)
        )

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
        if outcome == "equal" and entry.lenient is not None:  # the left side used displays
            own = Interval.around(number.value, Fraction(1, 2 * 10**number.decimals))
            lenient = entry.lenient if sign == 1 else -entry.lenient
            if not lenient.intersects(own):
                return
            meant = Interval(max(lenient.lo, own.lo), min(lenient.hi, own.hi))
            self.claims.learn(number, Interval.point(number.value).hull(meant))
            return
        if outcome == "sheet" and entry.lenient is not None:
            meant = Interval(
                max(entry.lenient.lo, entry.claimed_half.lo),
                min(entry.lenient.hi, entry.claimed_half.hi),
            )
        self.claims.learn(number, Interval.point(number.value).hull(meant if sign == 1 else -meant))


def _tightest(known: Value, new: Value) -> Value:
    """The common part of two values of one name, or ``new`` when they do not meet."""
    if isinstance(known, Interval) and isinstance(new, Interval):
        if not known.intersects(new):
            return new
        return Interval(max(known.lo, new.lo), min(known.hi, new.hi))
    if isinstance(known, Grid) and isinstance(new, Grid) and known.shape == new.shape:
        rows = tuple(
            tuple(_tightest(a, b) for a, b in zip(row_a, row_b))
            for row_a, row_b in zip(known.rows, new.rows)
        )
        if all(isinstance(e, Interval) for row in rows for e in row):
            return Grid(rows)  # type: ignore[arg-type]
    return new


def _tight(value: Value) -> bool:
    """Whether a value is one number (up to the enclosure's width), entry by entry."""
    entries = value.entries() if isinstance(value, Grid) else [value]
    return all(e.width <= TIGHT * max(Fraction(1), abs(e.midpoint)) for e in entries)


def _group_uses(tokens: list[Any], opening: int, name: object) -> bool:
    """Whether the parenthesised group opening at ``tokens[opening]`` uses ``name``."""
    depth = 0
    for token in tokens[opening:]:
        if token.type == "_LPAR":
            depth += 1
        elif token.type == "_RPAR":
            depth -= 1
            if depth == 0:
                return False
        elif token.type == "SYMBOL" and token.value == name:
            return True
    return False


def _is_derivative(tree: Chain) -> bool:
    """A fraction of ∂ terms and names, no number (``\\frac{\\partial E_{o1}}{\\partial w_5}``)."""
    nodes = walk(tree)
    return (
        len(tree.rest) == 1
        and tree.rest[0][0] == "div"
        and any(isinstance(n, Symbol) and n.name == "∂" for n in nodes)
        and not any(isinstance(n, Number) for n in nodes)
    )
