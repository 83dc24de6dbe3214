"""The TeX commands that read arguments or need context: ``\\frac``, ``\\sqrt``,
``\\left``/``\\right``, ``\\begin{bmatrix}``, names in ``\\text{}``, styles and accents.

Each handler is called by the tokenizer (:mod:`symnn.verify.syntax.tokens`) with the
command's name, where it starts, where its name ends, the end of the text being read,
the nesting depth and whether it stands inside a matrix; it emits the command's tokens
and returns the position after everything it consumed.  TeX's rule for an argument (a
braced group, else one character or one command) is the tokenizer's ``argument``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from symnn.core.nodes import Function
from symnn.verify.syntax.vocabulary import (
    ACCENTS,
    COMPARISONS,
    CONDITION_WORDS,
    DELIMITERS,
    FUNCTION_CLOSERS,
    FUNCTION_DELIMITERS,
    FUNCTION_NAMES,
    LEXEME,
    MATRIX_ENVIRONMENTS,
    NAMING_COMMANDS,
    OPEN_PAREN_AHEAD,
    OPENERS,
    OTHERWISE_WORDS,
    SKIPPED_WITH_ARGUMENT,
    STYLE_COMMANDS,
)

if TYPE_CHECKING:
    from symnn.verify.syntax.tokens import Tokenizer

_FUNCTION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]+")
"""A name the sheet may define as a function (two or more letters and digits)."""
_ENVIRONMENT = re.compile(r"\\(begin|end)\s*\{([^{}]*)\}")


def pi(
    t: Tokenizer, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
) -> int:
    t.emit("CONSTANT", "pi", start)
    return after


def fraction(
    t: Tokenizer, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
) -> int:
    t.emit("_FRAC", "\\frac", start)
    numerator = t.grouped_argument(after, end, "\\" + name, depth)
    return t.grouped_argument(numerator, end, "\\" + name, depth)


def square_root(
    t: Tokenizer, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
) -> int:
    t.emit("_SQRT", "\\sqrt", start)
    opening = t.skip_space(after)
    if t.text.startswith("[", opening):
        closing = t.text.find("]", opening, end)
        if closing < 0:
            raise t.fail("\\sqrt[ without ]", opening)
        t.emit("_INDEX_OPEN", "[", opening)
        t.run(opening + 1, closing, depth + 1, in_matrix=False)
        t.emit("_INDEX_CLOSE", "]", closing)
        after = closing + 1
    return t.grouped_argument(after, end, "\\sqrt", depth)


def naming(
    t: Tokenizer, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
) -> int:
    """``\\text{ReLU}`` is a function, ``\\mathrm{e}`` is Euler's number, else a symbol.

    Another name of a few letters followed by ``(`` (``\\operatorname{softsign}(x)``) is a
    function the sheet itself may define.
    """
    content, after = t.raw_argument(after, end, "\\" + name)
    function = FUNCTION_NAMES.get(content.lower().replace(" ", "").replace("-", ""))
    if function is not None:
        t.emit("FUNCTION", Function(function), start)
    elif _FUNCTION_NAME.fullmatch(content) and OPEN_PAREN_AHEAD.match(t.text, after, end):
        t.emit("FUNCTION", Function(content), start)
    elif t.cases and content.lower() in CONDITION_WORDS:
        pass  # "x & \\text{if } x > 0": the comparison follows
    elif t.cases and content.lower() in OTHERWISE_WORDS:
        t.emit("_OTHERWISE", content, start)
    elif content == "e":
        t.emit("CONSTANT", "E", start)
    elif content:
        t.emit("SYMBOL", content, start)
    return after


def styled(
    t: Tokenizer, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
) -> int:
    """Bold ``W`` is the symbol ``W``; an accent keeps its name: ``\\hat{y}`` is ``hat(y)``."""
    content, after = t.raw_argument(after, end, "\\" + name)
    t.emit("SYMBOL", f"{name}({content})" if name in ACCENTS else content, start)
    return after


def skipped(
    t: Tokenizer, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
) -> int:
    return t.raw_argument(after, end, "\\" + name)[1]


def boxed(
    t: Tokenizer, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
) -> int:
    if name == "textcolor":
        after = t.raw_argument(after, end, "\\textcolor")[1]
    return t.grouped_argument(after, end, "\\" + name, depth)


def delimiter(
    t: Tokenizer, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
) -> int:
    """``\\left(`` opens like ``(``; ``\\left.`` and ``\\right.`` are invisible."""
    position = t.skip_space(after)
    match = LEXEME.match(t.text, position, end)
    lexeme = match.group() if match else ""
    if match is not None and (lexeme in FUNCTION_DELIMITERS or lexeme in FUNCTION_CLOSERS):
        return floor_bracket(t, lexeme[1:], start, match.end(), end, depth, in_matrix)
    kinds = DELIMITERS.get(lexeme)
    if kinds is None or match is None:
        raise t.fail(f"\\{name} must be followed by a bracket", position)
    kind = kinds[0] if name == "left" else kinds[1]
    if kind is not None:
        if kind in OPENERS:
            t.check_depth(depth, start)
        t.emit(kind, lexeme, start)
    return match.end()


def environment(
    t: Tokenizer, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
) -> int:
    match = _ENVIRONMENT.match(t.text, start, end)
    if match is None or match.group(1) != "begin":
        raise t.fail(f"unexpected \\{name}", start)
    kind = match.group(2).strip()
    if kind not in MATRIX_ENVIRONMENTS and kind != "cases":
        raise t.fail(f"environment {kind} is not read", start)
    closing = environment_end(t, kind, match.end(), end)
    body = match.end()
    if kind == "array":  # skip the column specification {cc}
        body = t.raw_argument(body, closing.start(), "\\begin{array}")[1]
    t.check_depth(depth + 1, start)
    tokens = ("_BEGIN_CASES", "_END_CASES") if kind == "cases" else ("_BEGIN_MATRIX", "_END_MATRIX")
    t.emit(tokens[0], kind, start)
    t.cases += kind == "cases"
    t.run(body, closing.start(), depth + 1, in_matrix=True)
    t.cases -= kind == "cases"
    if t.tokens[-1].type == "_ROWSEP":
        t.tokens.pop()
    t.emit(tokens[1], kind, closing.start())
    return closing.end()


def comparison(
    t: Tokenizer, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
) -> int:
    """``\\leq`` and the like: a comparison in a condition of ``\\begin{cases}``."""
    if not t.cases:
        raise t.fail(f"relation '\\{name}' inside an expression", start)
    t.emit("COMPARISON", COMPARISONS[name], start)
    return after


def environment_end(t: Tokenizer, kind: str, position: int, end: int) -> re.Match[str]:
    nested = 0
    for match in _ENVIRONMENT.finditer(t.text, position, end):
        if match.group(2).strip() != kind:
            continue
        if match.group(1) == "begin":
            nested += 1
        elif nested:
            nested -= 1
        else:
            return match
    raise t.fail(f"\\begin{{{kind}}} without \\end{{{kind}}}", position)


def floor_bracket(
    t: Tokenizer, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
) -> int:
    """``\\lfloor`` opens a call of floor, ``\\rfloor`` closes it (with or without ``\\left``/``\\right``)."""
    function = FUNCTION_DELIMITERS.get("\\" + name)
    if function is not None:
        t.check_depth(depth, start)
        t.emit("FUNCTION", Function(function), start)
        t.emit("_LPAR", "(", start)
    else:
        t.emit("_RPAR", ")", start)
    return after


CommandHandler = Callable[["Tokenizer", str, int, int, int, int, bool], int]
"""A handler: (tokenizer, name, start, after, end, depth, in_matrix) -> next position."""

COMMAND_HANDLERS: dict[str, CommandHandler] = {
    **dict.fromkeys(("frac", "dfrac", "tfrac", "cfrac"), fraction),
    "sqrt": square_root,
    "pi": pi,
    **dict.fromkeys(("left", "right"), delimiter),
    **dict.fromkeys(("begin", "end"), environment),
    **dict.fromkeys((name for name in COMPARISONS if name.isalpha()), comparison),
    **dict.fromkeys(("boxed", "textcolor"), boxed),
    **dict.fromkeys(NAMING_COMMANDS, naming),
    **dict.fromkeys(STYLE_COMMANDS | ACCENTS, styled),
    **dict.fromkeys(SKIPPED_WITH_ARGUMENT, skipped),
    **dict.fromkeys((name[1:] for name in (*FUNCTION_DELIMITERS, *FUNCTION_CLOSERS)), floor_bracket),
}
"""Commands that read arguments or need context."""
