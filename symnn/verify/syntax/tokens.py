"""Turn the LaTeX of one expression into the tokens of the grammar in ``latex_math.lark``.

TeX's own rules decide what an argument is: ``\\frac12`` is ½, ``x^23`` is x²·3, and
``e^{...}`` is Euler's number only when a superscript follows.  The tokenizer applies
those rules and hands the parser a normalized stream in which every argument of
``\\frac``, ``\\sqrt`` and ``^`` is braced, so the grammar needs no TeX knowledge.

Hostile input is refused here, before any parsing: texts longer than
:data:`MAX_CHARS`, nesting deeper than :data:`MAX_NESTING`, numbers with more than
:data:`MAX_DIGITS` digits, long runs of signs.  Every refusal is a
:class:`~symnn.errors.ParseError` naming the character position.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction

from lark import Token

from symnn.core.nodes import Function
from symnn.errors import ParseError
from symnn.verify.syntax.commands import COMMAND_HANDLERS
from symnn.verify.syntax.vocabulary import (
    CHARACTERS,
    CLOSERS,
    COMPARISONS,
    FUNCTION_COMMANDS,
    GREEK,
    IGNORED_COMMANDS,
    LEXEME,
    OPEN_PAREN_AHEAD,
    OPENERS,
    OPERAND_EXPECTED,
    OPERATOR_COMMANDS,
    SIGNS,
    UNICODE_SYMBOLS,
)

MAX_CHARS = 10_000
"""The longest expression read, in characters."""
MAX_NESTING = 40
"""The deepest nesting of braces, brackets, parentheses and environments."""
MAX_DIGITS = 1_000
"""The most digits in one written number."""
MAX_SIGNS = 4
"""The most unary signs in a row (``- - x``)."""

_SPACE = re.compile(r"\s*")
_BRACE = re.compile(r"\\.|[{}]", re.DOTALL)
_TRANSPOSE_AHEAD = re.compile(
    r"\s*(?:T(?![A-Za-z])|\\top\b|\\intercal\b|\\mathsf\{T\}|\\mathrm\{T\}"
    r"|\{\s*(?:T|\\top|\\intercal|\\mathsf\{T\}|\\mathrm\{T\})\s*\})"
)
_PRIME_AHEAD = re.compile(r"\s*(?:\\prime\b|\{\s*\\prime\s*\})")
_PARAMETER = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*")
_SUBSCRIPTED_WORD = re.compile(r"([A-Za-z]{2,})(?=_)")
"""A name of several letters written with a subscript (``net_{h1}``, ``target_{o1}``)."""
_NAME_MARK_AHEAD = re.compile(r"\s*(?:([+*])(?![\w{(\\])|\{\s*([+*]|\\star|new|old|\(\d+\))\s*\})")
"""A superscript that marks a name (``w^+``, ``w^{new}``, ``w^{(1)}``) rather than a power."""
_SCIENTIFIC = re.compile(r"[eE]([+-]?\d{1,6})(?![\d.^])")
"""The exponent of a number in scientific notation, right after its digits (``1e-5``)."""
_EULER_TEXT = re.compile(r"\s*(?:e|\\mathrm\{e\}|\\text\{e\})\s*")


def tokenize(text: str) -> list[Token]:
    """The grammar's tokens for ``text``, or a ParseError naming what cannot be read.

    >>> [t.type for t in tokenize(r"\\frac12")]
    ['_FRAC', '_LBRACE', 'NUMBER', '_RBRACE', '_LBRACE', 'NUMBER', '_RBRACE']
    >>> [t.type for t in tokenize(r"0.01 \\cdot -2")]
    ['NUMBER', '_TIMES', '_MINUS', 'NUMBER']
    """
    if len(text) > MAX_CHARS:
        raise ParseError(f"expression is {len(text)} characters long; the limit is {MAX_CHARS}")
    tokenizer = Tokenizer(text)
    tokenizer.run(0, len(text), depth=0, in_matrix=False)
    return tokenizer.tokens


class Tokenizer:
    """One pass over one expression; ``run`` recurses into arguments and environments."""

    __slots__ = ("cases", "open_bars", "open_brackets", "text", "tokens")

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Token] = []
        self.open_brackets = 0
        self.open_bars = 0
        self.cases = 0
        """How many ``\\begin{cases}`` enclose the text being read (comparisons are read there)."""

    # ----- helpers -------------------------------------------------------------------------
    def fail(self, message: str, position: int) -> ParseError:
        snippet = self.text[max(0, position - 12) : position + 12].replace("\n", " ")
        return ParseError(f"{message} at character {position + 1} (near '{snippet}')")

    def emit(self, kind: str, value: object, position: int) -> None:
        if kind in SIGNS and self.expects_operand():
            run = 0
            for token in reversed(self.tokens):
                if token.type not in SIGNS:
                    break
                run += 1
            if run >= MAX_SIGNS:
                raise self.fail(f"more than {MAX_SIGNS} signs in a row", position)
        if kind in OPENERS:
            self.open_brackets += 1
        elif kind in CLOSERS:
            self.open_brackets = max(0, self.open_brackets - 1)
        self.tokens.append(Token(kind, value, start_pos=position))

    def expects_operand(self) -> bool:
        return not self.tokens or self.tokens[-1].type in OPERAND_EXPECTED

    def check_depth(self, depth: int, position: int) -> None:
        if depth + self.open_brackets > MAX_NESTING:
            raise self.fail(f"nesting deeper than {MAX_NESTING} levels", position)

    def skip_space(self, position: int) -> int:
        match = _SPACE.match(self.text, position)
        return match.end() if match else position

    def closing_brace(self, opening: int, end: int) -> int:
        """Position of the ``}`` matching the ``{`` at ``opening``."""
        depth = 0
        for match in _BRACE.finditer(self.text, opening, end):
            if match.group() == "{":
                depth += 1
            elif match.group() == "}":
                depth -= 1
                if depth == 0:
                    return match.start()
        raise self.fail("unbalanced '{'", opening)

    def argument(self, position: int, end: int, command: str) -> tuple[int, int, int]:
        """(start, stop, next position) of the argument that begins at ``position``.

        A braced group is an argument; otherwise TeX takes one character or one command.
        """
        start = self.skip_space(position)
        if start >= end:
            raise self.fail(f"{command} is missing an argument", position)
        if self.text[start] == "{":
            stop = self.closing_brace(start, end)
            return start + 1, stop, stop + 1
        match = LEXEME.match(self.text, start, end)
        lexeme = match.group() if match else "}"
        if match is None or lexeme == "}" or lexeme.startswith("\\") and not lexeme[1:].isalpha():
            raise self.fail(f"{command} is missing an argument", start)
        if lexeme[0].isdigit() or lexeme[0] == ".":
            return start, start + 1, start + 1
        return start, match.end(), match.end()

    def raw_argument(self, position: int, end: int, command: str) -> tuple[str, int]:
        """The text of a braced (or single-lexeme) argument, unread, and the next position."""
        start, stop, after = self.argument(position, end, command)
        return " ".join(self.text[start:stop].split()), after

    def group(self, start: int, stop: int, depth: int, opening: int) -> None:
        """Emit ``{`` tokens-of-the-range ``}``."""
        self.emit("_LBRACE", "{", opening)
        self.run(start, stop, depth + 1, in_matrix=False)
        self.emit("_RBRACE", "}", stop)

    def grouped_argument(self, position: int, end: int, command: str, depth: int) -> int:
        """Emit the argument that begins at ``position`` as a braced group; the next position."""
        first, stop, after = self.argument(position, end, command)
        self.group(first, stop, depth, first)
        return after

    # ----- the main loop -------------------------------------------------------------------
    def run(self, start: int, end: int, depth: int, in_matrix: bool) -> None:
        self.check_depth(depth, start)
        position = start
        while position < end:
            match = LEXEME.match(self.text, position, end)
            if match is None:  # cannot happen: the pattern matches any single character
                raise self.fail("unreadable text", position)
            position = self.lexeme(match.group(), match.start(), match.end(), end, depth, in_matrix)

    def lexeme(
        self, lexeme: str, start: int, after: int, end: int, depth: int, in_matrix: bool
    ) -> int:
        """Emit the tokens of one lexeme; return the position after everything it consumed."""
        first = lexeme[0]
        if first.isspace() or first == "~":
            return after
        if first.isdigit() or first == ".":
            return self.number(lexeme, start, after)
        if first == "\\":
            return self.command(lexeme, start, after, end, depth, in_matrix)
        if first.isalpha() and first.isascii():
            return self.letter(first, start, after, end)
        handler = _CHARACTER_HANDLERS.get(first)
        if handler is not None:
            return handler(self, start, after, end, depth, in_matrix)
        kind = CHARACTERS.get(first)
        if kind is not None:
            if kind in OPENERS:
                self.check_depth(depth, start)
            self.emit(kind, first, start)
            return after
        if first in UNICODE_SYMBOLS:
            return self.symbol_or_sigmoid("sigma" if first == "σ" else first, start, after, end)
        if first == "π":
            self.emit("CONSTANT", "pi", start)
            return after
        if first in COMPARISONS and self.cases:
            self.emit("COMPARISON", COMPARISONS[first], start)
            return after
        if first in "=<>≈≤≥≠":
            raise self.fail(f"relation '{first}' inside an expression", start)
        raise self.fail(f"unexpected character {first!r}", start)

    def number(self, lexeme: str, start: int, after: int) -> int:
        """A written number; ``1e-5`` and ``2.5E3`` (scientific notation, no spaces, the
        ``e`` not raised to a power) are numbers too, with the places they resolve to."""
        if lexeme == ".":
            raise self.fail("a '.' that is not part of a number", start)
        digits = lexeme.replace(".", "")
        if len(digits) > MAX_DIGITS:
            raise self.fail(f"a number with more than {MAX_DIGITS} digits", start)
        fraction = lexeme.partition(".")[2]
        decimals = len(fraction) if "." in lexeme else None
        value = Fraction(int(digits), 10 ** len(fraction))
        scientific = _SCIENTIFIC.match(self.text, after)
        if scientific is not None:
            exponent = int(scientific.group(1))
            if abs(exponent) > MAX_DIGITS:
                raise self.fail(f"a power of ten beyond 10^{MAX_DIGITS}", start)
            value *= Fraction(10) ** exponent
            places = len(fraction) - exponent
            decimals = places if places > 0 else None
            lexeme, after = self.text[start : scientific.end()], scientific.end()
        self.emit("NUMBER", (value, decimals, lexeme), start)
        return after

    def letter(self, letter: str, start: int, after: int, end: int) -> int:
        """A letter is a symbol (``e`` raised to a power is Euler's number); a word of
        letters with a subscript is one name: ``net_{h1}`` is net_h1, not n·e·t_h1."""
        word = _SUBSCRIPTED_WORD.match(self.text, start, end)
        if word is not None:
            self.emit("SYMBOL", word.group(1), start)
            return word.end(1)
        if letter == "e" and self.text.startswith("^", self.skip_space(after)):
            self.emit("CONSTANT", "E", start)
        else:
            self.emit("SYMBOL", letter, start)
        return after

    def symbol_or_sigmoid(self, name: str, start: int, after: int, end: int) -> int:
        """``\\sigma(x)`` is the sigmoid; a bare ``\\sigma`` or ``\\sigma_2`` is a symbol."""
        if name == "sigma" and OPEN_PAREN_AHEAD.match(self.text, after, end):
            self.emit("FUNCTION", Function("sigmoid"), start)
        else:
            self.emit("SYMBOL", name, start)
        return after

    # ----- commands ------------------------------------------------------------------------
    def command(
        self, lexeme: str, start: int, after: int, end: int, depth: int, in_matrix: bool
    ) -> int:
        name = lexeme[1:].rstrip("*") if lexeme[1:2].isalpha() else lexeme[1:]
        if name in ("\\", "cr") or (name[:1].isspace() or name == "") and in_matrix:
            return self.row_separator(lexeme, start, after, end, in_matrix)
        if name[:1].isspace() or name in IGNORED_COMMANDS:
            return after
        if name in ("|", "Vert", "lVert", "rVert"):  # ‖x‖ of a number is |x|
            return self.bar(start, after, end, depth, in_matrix)
        kind = OPERATOR_COMMANDS.get(name)
        if kind is not None:
            self.emit(kind, lexeme, start)
            return after
        handler = COMMAND_HANDLERS.get(name)
        if handler is not None:
            return handler(self, name, start, after, end, depth, in_matrix)
        if name in GREEK or name == "sigma":
            return self.symbol_or_sigmoid(name, start, after, end)
        function = FUNCTION_COMMANDS.get(name)
        if function is not None:
            self.emit("FUNCTION", Function(function), start)
            return after
        raise self.fail(f"unknown command {lexeme}", start)

    def row_separator(self, lexeme: str, start: int, after: int, end: int, in_matrix: bool) -> int:
        if not in_matrix:
            raise self.fail(f"row break {lexeme.strip()} outside a matrix", start)
        self.emit("_ROWSEP", "\\\\", start)
        skipped = self.skip_space(after)
        if self.text.startswith("[", skipped):  # \\[2pt] spacing
            closing = self.text.find("]", skipped, end)
            return closing + 1 if closing >= 0 else after
        return after

    # ----- characters with behaviour -------------------------------------------------------
    def brace(self, start: int, after: int, end: int, depth: int, in_matrix: bool) -> int:
        closing = self.closing_brace(start, end)
        self.group(start + 1, closing, depth, start)
        return closing + 1

    def stray_brace(self, start: int, after: int, end: int, depth: int, in_matrix: bool) -> int:
        raise self.fail("unbalanced '}'", start)

    def bar(self, start: int, after: int, end: int, depth: int, in_matrix: bool) -> int:
        """``|`` opens where an operand is due or when no bar is open (``2|x|``), else closes."""
        if self.expects_operand() or self.open_bars == 0:
            self.check_depth(depth, start)
            self.open_bars += 1
            self.emit("_LABS", "|", start)
        else:
            self.open_bars -= 1
            self.emit("_RABS", "|", start)
        return after

    def ampersand(self, start: int, after: int, end: int, depth: int, in_matrix: bool) -> int:
        if not in_matrix:
            raise self.fail("'&' outside a matrix", start)
        self.emit("_AMP", "&", start)
        return after

    def superscript(self, start: int, after: int, end: int, depth: int, in_matrix: bool) -> int:
        transpose = _TRANSPOSE_AHEAD.match(self.text, after, end)
        if transpose:
            self.emit("_TRANSPOSE", "^T", start)
            return transpose.end()
        prime = _PRIME_AHEAD.match(self.text, after, end)
        if prime:
            self.mark_prime(start)
            return prime.end()
        previous = self.tokens[-1] if self.tokens else None
        marker = _NAME_MARK_AHEAD.match(self.text, after, end)
        if marker and previous is not None and previous.type == "SYMBOL":
            # ``w_5^+``, ``w_6^{+}``, ``w^{new}``: an updated weight's name, not a power
            self.replace_last(f"{previous.value}^{marker.group(1) or marker.group(2)}")
            return marker.end()
        self.emit("_CARET", "^", start)
        return self.grouped_argument(after, end, "^", depth)

    def subscript(self, start: int, after: int, end: int, depth: int, in_matrix: bool) -> int:
        content, after = self.raw_argument(after, end, "_")
        previous = self.tokens[-1] if self.tokens else None
        if previous is not None and previous.type == "SYMBOL":
            self.replace_last(f"{previous.value}_{_plain_name(content)}")
        elif previous is not None and previous.type == "FUNCTION":
            self.replace_last(self.with_parameter(previous.value, content, start))
        else:
            raise self.fail("a subscript '_' that follows no name", start)
        return after

    def with_parameter(self, function: Function, content: str, position: int) -> Function:
        """``\\log_{10}`` takes a base, ``\\text{LeakyReLU}_{0.1}`` a slope."""
        if function.name not in ("log", "leaky_relu", "elu"):
            raise self.fail(f"a subscript on {function.name}", position)
        number = _PARAMETER.fullmatch(content)
        if number:
            digits = number.group(1)
            whole, _, fraction = digits.partition(".")
            value = Fraction(int(whole + fraction or "0"), 10 ** len(fraction))
            return Function(function.name, value, function.derivative)
        if function.name == "log" and _EULER_TEXT.fullmatch(content):
            return Function("ln", None, function.derivative)
        raise self.fail(
            f"a subscript '{content}' on {function.name} that is not a number", position
        )

    def prime(self, start: int, after: int, end: int, depth: int, in_matrix: bool) -> int:
        self.mark_prime(start)
        return after

    def mark_prime(self, position: int) -> None:
        previous = self.tokens[-1] if self.tokens else None
        if previous is not None and previous.type == "SYMBOL":
            self.replace_last(f"{previous.value}'")
        elif previous is not None and previous.type == "FUNCTION" and not previous.value.derivative:
            function: Function = previous.value
            self.replace_last(Function(function.name, function.parameter, derivative=True))
        else:
            raise self.fail("a prime that follows no function or name", position)

    def replace_last(self, value: object) -> None:
        previous = self.tokens.pop()
        self.tokens.append(Token(previous.type, value, start_pos=previous.start_pos))


def _plain_name(subscript: str) -> str:
    """``\\text{min}`` → ``min``: a subscript as a readable part of a symbol's name."""
    return _NAME_WRAPPER.sub(r"\1", subscript).replace("{", "").replace("}", "")


_NAME_WRAPPER = re.compile(r"\\(?:text|textrm|mathrm|mathit|operatorname|mathbf)\s*\{([^{}]*)\}")

_Handler = Callable[[Tokenizer, int, int, int, int, bool], int]

_CHARACTER_HANDLERS: dict[str, _Handler] = {
    "{": Tokenizer.brace,
    "}": Tokenizer.stray_brace,
    "|": Tokenizer.bar,
    "&": Tokenizer.ampersand,
    "^": Tokenizer.superscript,
    "_": Tokenizer.subscript,
    "'": Tokenizer.prime,
    "\u2019": Tokenizer.prime,
    "\u2032": Tokenizer.prime,
}
"""Characters whose meaning depends on what surrounds them."""
