"""Split the TeX of one math span into equations, and each equation into links.

A span may hold several equations (``a = 1, \\quad b = 2``), rows of an ``align``
(``L &= x \\\\ &= y``, where a row that starts with a relation continues the equation
above), and chains (``a = b = c \\approx d``).  :func:`split_relations` finds the relation
signs that stand at the top level (not inside braces, brackets, ``\\left...\\right`` or a
nested environment) and returns every link of every chain: ``(a, =, b)``,
``(b, =, c)``, ``(c, ≈, d)``.  It never parses the sides; that is the parser's job, and a
side it cannot read costs only that link.

>>> [(l.lhs.text, l.relation, l.rhs.text) for l in split_relations(r"\\mu = \\frac{30}{3} = 10, \\quad s \\approx 4.08")]
[('\\\\mu', '=', '\\\\frac{30}{3}'), ('\\\\frac{30}{3}', '=', '10'), ('s', '≈', '4.08')]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

_LEXEME = re.compile(r"\\[A-Za-z]+\*?|\\.|[{}()\[\]&=<>;,:≈≠≤≥≃∼≡→∈∝⇒⟹⇔]", re.DOTALL)
_DELIMITER = re.compile(r"\s*(?:\\[A-Za-z]+|\\.|.)", re.DOTALL)
_ENVIRONMENT = re.compile(r"\\(begin|end)\s*\{([^{}]*)\}")
_BRACED = re.compile(r"\s*\{([^{}]*)\}")
_OPTIONAL = re.compile(r"\s*\[[^\[\]]*\]")

RELATIONS: dict[str, str] = {
    "=": "=",
    "<": "<",
    ">": ">",
    "≈": "≈",
    "≠": "≠",
    "≤": "≤",
    "≥": "≥",
    "≃": "≈",
    "∼": "∼",
    "≡": "≡",
    "→": "→",
    "∈": "∈",
    "∝": "∝",
    "\\approx": "≈",
    "\\simeq": "≈",
    "\\approxeq": "≈",
    "\\thickapprox": "≈",
    "\\doteq": "≈",
    "\\neq": "≠",
    "\\ne": "≠",
    "\\leq": "≤",
    "\\le": "≤",
    "\\leqslant": "≤",
    "\\geq": "≥",
    "\\ge": "≥",
    "\\geqslant": "≥",
    "\\lt": "<",
    "\\gt": ">",
    "\\sim": "∼",
    "\\equiv": "≡",
    "\\coloneqq": ":=",
    "\\coloneq": ":=",
    "\\to": "→",
    "\\rightarrow": "→",
    "\\longrightarrow": "→",
    "\\mapsto": "↦",
    "\\in": "∈",
    "\\propto": "∝",
    "\\cong": "≅",
}
"""Relation signs, each with its canonical form."""

CHECKED_RELATIONS = frozenset({"=", "≈", "<", ">", "≤", "≥", "≠"})
"""Relations whose two numeric sides can be judged."""

_SEPARATORS = frozenset(
    [
        ";",
        "\\quad",
        "\\qquad",
        "\\Rightarrow",
        "\\Longrightarrow",
        "\\implies",
        "\\iff",
        "\\Leftrightarrow",
        "\\Longleftrightarrow",
        "\\therefore",
        "\\because",
        "⇒",
        "⟹",
        "⇔",
    ]
)
"""Signs that end one equation and start the next."""

_SEPARATOR_WORDS = frozenset(
    [
        "and",
        "or",
        "where",
        "with",
        "for",
        "if",
        "since",
        "so",
        "thus",
        "hence",
        "then",
        "i.e.",
        "e.g.",
        "when",
        "because",
        "as",
    ]
)
"""Words in ``\\text{...}`` that separate equations (``a = 1 \\text{ and } b = 2``)."""

_TEXT_COMMANDS = frozenset({"\\text", "\\textrm", "\\mbox", "\\textnormal", "\\mathrm"})

_TRANSPARENT = frozenset(
    [
        "aligned",
        "align",
        "align*",
        "alignat",
        "alignat*",
        "gathered",
        "gather",
        "gather*",
        "split",
        "equation",
        "equation*",
        "multline",
        "multline*",
        "flalign",
        "flalign*",
        "eqnarray",
        "eqnarray*",
        "displaymath",
        "math",
    ]
)
"""Environments that only lay equations out; their rows are equations of the span."""

_BLANKED_COMMANDS = frozenset(
    {"\\nonumber", "\\notag", "\\displaystyle", "\\textstyle", "\\scriptstyle"}
)
"""Layout commands that are no part of any side (a style switch does not change a value)."""
_BLANKED_WITH_ARGUMENT = frozenset({"\\label", "\\tag", "\\tag*"})
_TRAILING = re.compile(r"(?:\s|[,.;]|\\[,;:!]|\\quad|\\qquad)+$")

EventKind = Literal["relation", "separator", "comma", "row"]
_Blank = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a relation, as written."""

    text: str
    """The TeX of the side, trimmed (alignment marks and labels blanked out)."""
    start: int
    """Offset of the side's first character in the span."""


@dataclass(frozen=True, slots=True)
class Link:
    """Two neighbouring sides of a chain and the relation between them."""

    lhs: Side
    """The left side."""
    relation: str
    """The canonical relation: ``=``, ``≈``, ``<``, ``≤``, ... (see :data:`RELATIONS`)."""
    relation_text: str
    """The relation as written, e.g. ``\\approx``."""
    rhs: Side
    """The right side."""
    position: int
    """Offset of the relation sign in the span (its line is the link's line)."""

    @property
    def text(self) -> str:
        """The link as one line of TeX."""
        return " ".join(f"{self.lhs.text} {self.relation_text} {self.rhs.text}".split())


@dataclass(frozen=True, slots=True)
class _Event:
    """Something found at the top level of a span."""

    kind: EventKind
    """What it is."""
    start: int
    """Where it starts."""
    end: int
    """Where it ends."""
    relation: str = ""
    """The canonical relation, for a relation."""


def split_relations(text: str) -> list[Link]:
    """Every link of every chain in one math span, in order.

    >>> [l.text for l in split_relations("L &= 1 + 1 \\\\\\\\ &= 2")]
    ['L = 1 + 1', '1 + 1 = 2']
    """
    blanked, events = _scan(text)
    links: list[Link] = []
    for statement in _statements(blanked, events):
        links.extend(_chain_links(blanked, text, statement))
    return links


def _scan(text: str) -> tuple[str, list[_Event]]:
    """Blank out layout marks and list the top-level relations and separators."""
    chars = list(text)
    events: list[_Event] = []
    stack: list[str] = []
    position = 0

    def blank(start: int, end: int) -> None:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "

    while True:
        match = _LEXEME.search(text, position)
        if match is None:
            break
        lexeme, start, position = match.group(), match.start(), match.end()
        if lexeme == "{":
            stack.append("{")
        elif lexeme == "}":
            while stack and stack.pop() != "{":
                pass
        elif lexeme in "([":
            stack.append("(")
        elif lexeme in ")]":
            if stack and stack[-1] == "(":
                stack.pop()
        elif lexeme in ("\\left", "\\right"):
            position = _delimiter_end(text, position)
            if lexeme == "\\left":
                stack.append("left")
            elif stack and stack[-1] == "left":
                stack.pop()
        elif lexeme in ("\\begin", "\\end"):
            position = _environment(text, start, position, stack, blank)
        elif stack:
            continue
        else:
            position = _top_level(text, lexeme, start, position, events, blank)
    return "".join(chars), events


def _delimiter_end(text: str, position: int) -> int:
    match = _DELIMITER.match(text, position)
    return match.end() if match else position


def _environment(text: str, start: int, position: int, stack: list[str], blank: _Blank) -> int:
    match = _ENVIRONMENT.match(text, start)
    if match is None:
        return position
    name = match.group(2).strip()
    if name in _TRANSPARENT and not any(frame.startswith("env") for frame in stack):
        end = match.end()
        if match.group(1) == "begin" and name.startswith("alignat"):
            argument = _BRACED.match(text, end)
            end = argument.end() if argument else end
        blank(start, end)
        return end
    if match.group(1) == "begin":
        stack.append("env:" + name)
    else:
        while stack and stack.pop() != "env:" + name:
            pass
    return match.end()


def _top_level(
    text: str, lexeme: str, start: int, position: int, events: list[_Event], blank: _Blank
) -> int:
    """Record or blank one lexeme found outside any group; return where scanning resumes."""
    if lexeme == ":" and text.startswith("=", position):
        events.append(_Event("relation", start, position + 1, ":="))
        return position + 1
    relation = RELATIONS.get(lexeme)
    if relation is not None:
        events.append(_Event("relation", start, position, relation))
    elif lexeme in _SEPARATORS:
        events.append(_Event("separator", start, position))
    elif lexeme == ",":
        events.append(_Event("comma", start, position))
    elif lexeme in ("\\\\", "\\cr"):
        optional = _OPTIONAL.match(text, position)
        end = optional.end() if optional else position
        events.append(_Event("row", start, end))
        blank(start, end)  # a continued row must not leave its break inside a side
        return end
    elif lexeme == "&" or lexeme in _BLANKED_COMMANDS:
        blank(start, position)
    elif lexeme.rstrip("*") in _BLANKED_WITH_ARGUMENT or lexeme in _BLANKED_WITH_ARGUMENT:
        argument = _BRACED.match(text, position)
        end = argument.end() if argument else position
        blank(start, end)
        return end
    elif lexeme in _TEXT_COMMANDS:
        argument = _BRACED.match(text, position)
        if argument and _is_separator_text(argument.group(1)):
            events.append(_Event("separator", start, argument.end()))
            return argument.end()
    return position


def _is_separator_text(content: str) -> bool:
    words = content.replace(",", " , ").split()
    return bool(words) and (words[0].lower() in _SEPARATOR_WORDS or words == [","])


def _statements(blanked: str, events: list[_Event]) -> list[list[_Event]]:
    """Group events into equations: each is [start marker, relations..., end marker]."""
    groups: list[tuple[_Event, list[_Event], _Event]] = []
    low = _Event("separator", 0, 0)
    inside: list[_Event] = []
    for index, event in enumerate(events):
        if _is_boundary(blanked, events, index):
            groups.append((low, inside, event))
            low, inside = event, []
        elif event.kind in ("relation", "comma"):
            inside.append(event)
    groups.append((low, inside, _Event("separator", len(blanked), len(blanked))))
    statements: list[list[_Event]] = []
    for low, inside, high in groups:
        statements.extend(_merge_commas(low, high, inside))
    return statements


def _is_boundary(blanked: str, events: list[_Event], index: int) -> bool:
    """A separator, or a row break whose next row does not start with a relation.

    Empty rows (``\\\\ \\\\``, often written for vertical space) are skipped: the row
    after them may still continue the equation above.
    """
    event = events[index]
    if event.kind == "separator":
        return True
    if event.kind != "row":
        return False
    following = events[index + 1] if index + 1 < len(events) else None
    while (
        following is not None
        and following.kind == "row"
        and not blanked[event.end : following.start].strip()
    ):
        index += 1
        event = following
        following = events[index + 1] if index + 1 < len(events) else None
    continues = (
        following is not None
        and following.kind == "relation"
        and not blanked[event.end : following.start].strip()
    )
    return not continues


def _merge_commas(low: _Event, high: _Event, inside: list[_Event]) -> list[list[_Event]]:
    """Split at top-level commas, but keep a piece without a relation with its neighbour.

    ``x = 1, y = 2`` is two equations; ``x = 1, 2, 3`` stays one (its right side is a list).
    """
    pieces: list[list[_Event]] = [[]]
    cuts: list[_Event] = []
    for event in inside:
        if event.kind == "comma":
            cuts.append(event)
            pieces.append([])
        elif event.kind == "relation":
            pieces[-1].append(event)
    statements: list[list[_Event]] = []
    current: list[_Event] = []
    start = low
    for index, relations in enumerate(pieces):
        if relations and any(e.kind == "relation" for e in current):
            statements.append([start, *current, cuts[index - 1]])
            start, current = cuts[index - 1], []
        current.extend(relations)
    statements.append([start, *current, high])
    return [s for s in statements if len(s) > 2]


def _chain_links(blanked: str, original: str, statement: list[_Event]) -> list[Link]:
    sides = [_side(blanked, left.end, right.start) for left, right in pairwise(statement)]
    relations = statement[1:-1]
    links = []
    for index, relation in enumerate(relations):
        lhs, rhs = sides[index], sides[index + 1]
        if lhs.text and rhs.text:
            written = original[relation.start : relation.end]
            links.append(Link(lhs, relation.relation, written, rhs, relation.start))
    return links


def _side(blanked: str, start: int, end: int) -> Side:
    raw = blanked[start:end]
    trimmed = _TRAILING.sub("", raw)
    stripped = trimmed.lstrip()
    offset = start + len(trimmed) - len(stripped)
    return Side(" ".join(stripped.split()), offset)
