"""Arithmetic written as plain text, with no math delimiters: read it as TeX.

Student answers and README-style notes write ``net_h1 = 0.15*0.05 + 0.2*0.1 + 0.35 = 0.3775``,
``E = ½(0.01 − 0.75136507)² = 0.274811083`` or ``1/(1+e^(-0.3775)) = 0.593269992`` on a line
of their own or inside a sentence.  Each line is cut into *pieces* at top-level ``, `` and
``;``; in a piece with a relation sign (``=``, ``≈``, ``~=``) the chain is the longest
stretch that reads as mathematics:

- the first side keeps only its end that reads as an expression, the last side only its
  start ("The net input is net_h1 = ... = 0.3775 (including bias)." keeps
  ``net_h1 = ... = 0.3775``); a middle side that is not all mathematics cuts the chain;
- two operands side by side with a space between end an expression ("is 0.5"), and so do
  a word of two or more letters (prose, unless it names a function called with ``(`` or is
  the only thing left of ``=``), a parenthesis holding a word, and any other character;
- a line that starts with a relation continues the chain of the line before
  (``= 0.0075 + 0.020 + 0.35`` under ``net_h1 = 0.15*0.05 + 0.2*0.1 + 0.35``), but not
  across a blank line;
- a line whose every side lists the same number of values separated by ``, ``
  (``= 0.16984606, 0.82474496``) is a chain of row vectors.

The stretch is then written as TeX for the parser: ``net_h1`` becomes
``\\text{net}_{h1}`` (a name, so ``net`` is not n·e·t), ``x^(-1)`` becomes ``x^{(-1)}``,
``²`` ``^{2}``, ``½`` ``\\frac{1}{2}``, ``**`` ``^``, ``w₅`` ``w_{5}``, ``exp(`` ``\\exp(``,
``sqrt(…)`` and ``√(…)`` ``\\sqrt{(…)}``.  ``*``, ``×``, ``·``, ``−``, ``÷`` and ``1e-5``
are read by the parser as they are.

>>> [tex for tex, _, _ in plain_chains("So net_h1 = 0.15*0.05 + 0.35 = 0.3575.")]
['\\\\text{net}_{h1} = 0.15*0.05 + 0.35 = 0.3575']
>>> [tex for tex, _, _ in plain_chains("E = ½(0.01 − 0.75)² ≈ 0.27")]
['E = \\\\frac{1}{2}(0.01 − 0.75)^{2} \\\\approx 0.27']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["plain_chains"]

MAX_NESTING = 40
"""Lines nesting parentheses deeper than this are skipped (the parser's own limit)."""

_TOKEN = re.compile(
    r"(?P<space>[ \t]+)"
    r"|(?P<number>(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d{1,6}(?![\d.]))?)"
    r"|(?P<name>[A-Za-zα-ωΑ-Ω](?:[A-Za-z0-9]*)(?:_\{[A-Za-z0-9,]+\}|_[A-Za-z0-9]+)*[₀-₉]*'*)"
    r"|(?P<relation>~=|≈|≃|=)"
    r"|(?P<power>\*\*|\^)"
    r"|(?P<operator>[-+*/×·⋅÷−–])"
    r"|(?P<open>\()"
    r"|(?P<close>\))"
    r"|(?P<postfix>[²³]|⁻¹)"
    r"|(?P<vulgar>[½⅓¼¾⅔])"
    r"|(?P<root>√)"
    r"|(?P<cut>[,;](?=\s)|;)"
    r"|(?P<other>.)"
)

_FUNCTIONS = {
    "exp": "\\exp",
    "log": "\\log",
    "ln": "\\ln",
    "tanh": "\\tanh",
    "max": "\\max",
    "min": "\\min",
    "sigmoid": "\\operatorname{sigmoid}",
    "relu": "\\operatorname{ReLU}",
    "ReLU": "\\operatorname{ReLU}",
    "softplus": "\\operatorname{softplus}",
    "sqrt": "\\sqrt",
    "σ": "\\sigma",
}
"""Function names written in plain text (called with a parenthesis) and their TeX."""

_VULGAR = {"½": "\\frac{1}{2}", "⅓": "\\frac{1}{3}", "¼": "\\frac{1}{4}", "¾": "\\frac{3}{4}", "⅔": "\\frac{2}{3}"}
_POSTFIX = {"²": "^{2}", "³": "^{3}", "⁻¹": "^{-1}"}
_SUBSCRIPT_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_RELATIONS = {"=": "=", "~=": "\\approx", "≈": "\\approx", "≃": "\\approx"}
_OPERANDS_END = frozenset({"number", "name", "close", "postfix", "vulgar"})
_OPERANDS_START = frozenset({"number", "name", "vulgar", "root", "function"})
_MATH_LINE = re.compile(r"[=≈≃]")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    """number, name, word, function, relation, power, operator, open, close, postfix,
    vulgar, root, cut or other."""
    text: str
    """As written."""
    start: int
    """Offset in the document."""
    spaced: bool
    """Whether white space comes just before it."""


def plain_chains(text: str) -> list[tuple[str, int, int]]:
    """(TeX, start, end) of every chain of plain-text arithmetic, in document order."""
    found: list[tuple[str, int, int]] = []
    offset = 0
    read: dict[str, list[tuple[str, int, int]]] = {}  # a line repeated is read once
    for line in text.split("\n"):
        if _MATH_LINE.search(line):
            chains = read.get(line)
            if chains is None:
                chains = read[line] = _line_chains(line)
            found.extend((tex, offset + start, offset + end) for tex, start, end in chains)
        offset += len(line) + 1
    return found


def _line_chains(line: str) -> list[tuple[str, int, int]]:
    """The chains of one line, with offsets in the line."""
    tokens = _tokens(line, 0)
    if _deepest(tokens) > MAX_NESTING:  # the parser refuses it anyway
        return []
    vector = _vector_chain(tokens)
    if vector is not None:
        return [vector]
    return [chain for piece in _pieces(tokens) for chain in _chains(piece)]


def _deepest(tokens: list[_Token]) -> int:
    depth = deepest = 0
    for token in tokens:
        depth += (token.kind == "open") - (token.kind == "close" and depth > 0)
        deepest = max(deepest, depth)
    return deepest


def _vector_chain(tokens: list[_Token]) -> tuple[str, int, int] | None:
    """A chain whose every side lists the same number of values, ``= a, b`` under
    ``= -(…), -(…)``: its sides are written as row vectors, compared entry by entry."""
    sides: list[list[list[_Token]]] = [[[]]]
    relations: list[_Token] = []
    depth = 0
    for token in tokens:
        depth += (token.kind == "open") - (token.kind == "close" and depth > 0)
        if token.kind == "relation" and depth == 0:
            relations.append(token)
            sides.append([[]])
        elif token.kind == "cut" and token.text == "," and depth == 0:
            sides[-1].append([])
        else:
            sides[-1][-1].append(token)
    written = [side for side in sides if any(side)]
    counts = {len(side) for side in written}
    if not relations or len(counts) != 1 or counts == {1} or len(written) < 1:
        return None
    if any(not _is_math(part) for side in written for part in side):
        return None
    parts: list[str] = []
    for k, side in enumerate(sides):
        if k:
            parts.append(_RELATIONS[relations[k - 1].text])
        if any(side):
            parts.append(
                "\\begin{bmatrix}" + " & ".join(_tex(part) for part in side) + "\\end{bmatrix}"
            )
    every = [t for side in sides for part in side for t in part] + relations
    start = min(t.start for t in every)
    end = max(t.start + len(t.text) for t in every)
    return " ".join(parts), start, end


def _tokens(line: str, offset: int) -> list[_Token]:
    tokens: list[_Token] = []
    spaced = True
    for match in _TOKEN.finditer(line):
        kind = match.lastgroup or "other"
        if kind == "space":
            spaced = True
            continue
        word = match.group()
        if kind == "name":
            after = line[match.end() : match.end() + 1]
            if word in _FUNCTIONS and after == "(":
                kind = "function"
            elif _is_word(word) and not (word == "e" and after == "^"):
                kind = "word"
        tokens.append(_Token(kind, word, offset + match.start(), spaced))
        spaced = False
    return tokens


def _is_word(name: str) -> bool:
    """A run of two or more letters with no subscript or digit: prose, not a name."""
    return len(name) >= 2 and name.isalpha()


def _pieces(tokens: list[_Token]) -> list[list[_Token]]:
    """The line cut at top-level ``, `` and ``;``."""
    pieces: list[list[_Token]] = [[]]
    depth = 0
    for token in tokens:
        depth += token.kind == "open"
        depth -= token.kind == "close" and depth > 0
        if token.kind == "cut" and depth == 0:
            pieces.append([])
        else:
            pieces[-1].append(token)
    return [p for p in pieces if any(t.kind == "relation" for t in p)]


def _chains(tokens: list[_Token]) -> list[tuple[str, int, int]]:
    """The chains of one piece: its sides split at relations, trimmed to mathematics."""
    sides: list[list[_Token]] = [[]]
    relations: list[_Token] = []
    for token in tokens:
        if token.kind == "relation":
            relations.append(token)
            sides.append([])
        else:
            sides[-1].append(token)
    chains: list[tuple[str, int, int]] = []
    current: list[list[_Token]] = [_suffix(sides[0])]
    used: list[_Token] = []
    for relation, side in zip(relations, sides[1:]):
        head = _prefix(side)
        current.append(head)
        used.append(relation)
        if len(head) != len(side):  # prose inside: the chain ends here
            chains.extend(_written(current, used))
            current, used = [_suffix(side)], []
    chains.extend(_written(current, used))
    return chains


def _written(sides: list[list[_Token]], relations: list[_Token]) -> list[tuple[str, int, int]]:
    """The chain as TeX, or nothing when it has no link with two sides."""
    if len(sides) < 2 or not any(sides[k] and sides[k + 1] for k in range(len(relations))):
        return []
    parts: list[str] = []
    for k, side in enumerate(sides):
        if k:
            parts.append(_RELATIONS[relations[k - 1].text])
        parts.append(_tex(side))
    tokens = [t for side in sides for t in side] + relations
    start = min(t.start for t in tokens)
    end = max(t.start + len(t.text) for t in tokens)
    return [(" ".join(p for p in parts if p), start, end)]


def _breaks(before: _Token, token: _Token) -> bool:
    """Whether ``token`` cannot continue an expression that ``before`` is part of."""
    if token.kind in ("word", "other", "cut") or before.kind in ("word", "other", "cut"):
        return True
    return token.spaced and before.kind in _OPERANDS_END and token.kind in _OPERANDS_START


def _runs(tokens: list[_Token]) -> list[tuple[int, int]]:
    """(start, end) index ranges of the stretches of ``tokens`` that read as mathematics."""
    runs: list[tuple[int, int]] = []
    start = 0
    depth = 0
    prose = _prose_groups(tokens)
    for k, token in enumerate(tokens):
        if k > start and _breaks(tokens[k - 1], token) and depth == 0:
            runs.append((start, k))
            start = k
        if token.kind == "open":
            depth += 1
            if k in prose:
                runs.append((start, k))
                start, depth = k, 0
        elif token.kind == "close":
            depth = max(0, depth - 1)
    runs.append((start, len(tokens)))
    return [r for r in runs if _is_math(tokens[r[0] : r[1]])]


def _prose_groups(tokens: list[_Token]) -> set[int]:
    """The indices of the ``(`` whose group holds a word or another character, or is
    never closed: "(including bias)".  One pass, so a line of many parentheses costs
    no more than one."""
    found: set[int] = set()
    frames: list[list[int]] = []  # [index of the "(", whether its group holds prose]
    for k, token in enumerate(tokens):
        if token.kind == "open":
            frames.append([k, 0])
        elif token.kind == "close" and frames:
            opening, holds = frames.pop()
            if holds:
                found.add(opening)
                if frames:
                    frames[-1][1] = 1
        elif token.kind in ("word", "other") and frames:
            frames[-1][1] = 1
    found.update(opening for opening, _ in frames)
    return found


def _is_math(run: list[_Token]) -> bool:
    kinds = {t.kind for t in run}
    if not run or kinds & {"word", "other", "cut"}:
        return False
    depth = 0
    for token in run:
        depth += (token.kind == "open") - (token.kind == "close")
        if depth < 0:
            return False
    return depth == 0 and run[-1].kind not in ("operator", "power", "function", "root")


def _suffix(side: list[_Token]) -> list[_Token]:
    """The end of a first side that reads as mathematics (a lone word names the value)."""
    if side and side[-1].kind == "word" and (len(side) == 1 or _breaks(side[-2], side[-1])):
        return side[-1:]
    runs = _runs(side)
    return side[runs[-1][0] :] if runs and runs[-1][1] == len(side) else []


def _prefix(side: list[_Token]) -> list[_Token]:
    """The start of a later side that reads as mathematics."""
    runs = _runs(side)
    return side[: runs[0][1]] if runs and runs[0][0] == 0 else []


def _tex(tokens: list[_Token]) -> str:
    pieces: list[str] = []
    k = 0
    while k < len(tokens):
        token = tokens[k]
        space = " " if token.spaced and pieces else ""
        if token.kind == "power":
            exponent, k = _exponent(tokens, k + 1)
            pieces.append(f"^{{{exponent}}}")
            continue
        if token.kind in ("root",) or token.kind == "function" and token.text == "sqrt":
            argument, k = _group(tokens, k + 1)
            pieces.append(f"{space}\\sqrt{{{argument}}}")
            continue
        pieces.append(space + _word(token))
        k += 1
    return "".join(pieces)


def _exponent(tokens: list[_Token], k: int) -> tuple[str, int]:
    """The TeX of what ``^`` raises to: a parenthesised group, or a signed operand."""
    if k < len(tokens) and tokens[k].kind == "open":
        return _group(tokens, k)
    sign = ""
    if k < len(tokens) and tokens[k].kind == "operator" and tokens[k].text in "-−+":
        sign, k = tokens[k].text, k + 1
    if k < len(tokens):
        return sign + _word(tokens[k]), k + 1
    return sign, k


def _group(tokens: list[_Token], k: int) -> tuple[str, int]:
    """The TeX of a parenthesised group starting at ``k`` (or of one token)."""
    if k >= len(tokens):
        return "", k
    if tokens[k].kind != "open":
        return _word(tokens[k]), k + 1
    depth, end = 0, k
    for end in range(k, len(tokens)):
        depth += (tokens[end].kind == "open") - (tokens[end].kind == "close")
        if depth == 0:
            break
    return _tex(tokens[k : end + 1]), end + 1


def _word(token: _Token) -> str:
    text = token.text
    if token.kind == "function":
        return _FUNCTIONS[text]
    if token.kind == "vulgar":
        return _VULGAR[text]
    if token.kind == "postfix":
        return _POSTFIX[text]
    if token.kind in ("name", "word"):
        return _name(text)
    return text


def _name(text: str) -> str:
    """``net_h1`` → ``\\text{net}_{h1}``, ``w₅`` → ``w_{5}``, ``E_total`` → ``E_{total}``."""
    primes = len(text) - len(text.rstrip("'"))
    text = text.rstrip("'")
    digits = ""
    if text[-1:] in "₀₁₂₃₄₅₆₇₈₉":
        stripped = text.rstrip("₀₁₂₃₄₅₆₇₈₉")
        digits, text = text[len(stripped) :].translate(_SUBSCRIPT_DIGITS), stripped
    base, _, subscript = text.partition("_")
    subscript = subscript.replace("{", "").replace("}", "").replace("_", "")
    subscript = subscript or digits
    head = base if len(base) == 1 else f"\\text{{{base}}}"
    return head + (f"_{{{subscript}}}" if subscript else "") + "'" * primes
