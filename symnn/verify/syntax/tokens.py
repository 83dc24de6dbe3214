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

from symnn.errors import ParseError
from symnn.verify.syntax.nodes import Function

MAX_CHARS = 10_000
"""The longest expression read, in characters."""
MAX_NESTING = 40
"""The deepest nesting of braces, brackets, parentheses and environments."""
MAX_DIGITS = 1_000
"""The most digits in one written number."""
MAX_SIGNS = 4
"""The most unary signs in a row (``- - x``)."""

_LEXEME = re.compile(r"\\[A-Za-z]+\*?|\\.|\\$|\d+(?:\.\d+)?|\.\d+|\s+|.", re.DOTALL)
_SPACE = re.compile(r"\s*")
_BRACE = re.compile(r"\\.|[{}]", re.DOTALL)
_ENVIRONMENT = re.compile(r"\\(begin|end)\s*\{([^{}]*)\}")
_OPEN_PAREN_AHEAD = re.compile(
    r"\s*(?:'|\u2019|\u2032|\^\s*\\prime\b|\^\s*\{\s*\\prime\s*\})?"
    r"\s*(?:\\left\s*|\\[bB]igg?l?\s*)?\("
)
_TRANSPOSE_AHEAD = re.compile(
    r"\s*(?:T(?![A-Za-z])|\\top\b|\\intercal\b|\\mathsf\{T\}|\\mathrm\{T\}"
    r"|\{\s*(?:T|\\top|\\intercal|\\mathsf\{T\}|\\mathrm\{T\})\s*\})"
)
_PRIME_AHEAD = re.compile(r"\s*(?:\\prime\b|\{\s*\\prime\s*\})")
_PARAMETER = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*")
_EULER_TEXT = re.compile(r"\s*(?:e|\\mathrm\{e\}|\\text\{e\})\s*")

# Terminals that leave the parser expecting an operand next (decides what `|` opens).
_OPERAND_EXPECTED = frozenset(
    [
        "_PLUS",
        "_MINUS",
        "_TIMES",
        "_DIV",
        "_ODOT",
        "_COMMA",
        "_LPAR",
        "_LBRACK",
        "_LBRACE",
        "_LABS",
        "_AMP",
        "_ROWSEP",
        "_BEGIN_MATRIX",
        "_CARET",
        "_FRAC",
        "_SQRT",
        "_INDEX_OPEN",
        "FUNCTION",
    ]
)
_SIGNS = frozenset({"_PLUS", "_MINUS"})

_CHARACTERS: dict[str, str] = {
    "+": "_PLUS",
    "-": "_MINUS",
    "\u2212": "_MINUS",
    "\u2013": "_MINUS",
    "*": "_TIMES",
    "\u00d7": "_TIMES",
    "\u00b7": "_TIMES",
    "\u22c5": "_TIMES",
    "/": "_DIV",
    "\u00f7": "_DIV",
    "\u2299": "_ODOT",
    "\u2218": "_ODOT",
    ",": "_COMMA",
    "(": "_LPAR",
    ")": "_RPAR",
    "[": "_LBRACK",
    "]": "_RBRACK",
}
"""Single characters that are operators or brackets."""

_OPERATOR_COMMANDS: dict[str, str] = {
    "cdot": "_TIMES",
    "times": "_TIMES",
    "ast": "_TIMES",
    "cdotp": "_TIMES",
    "div": "_DIV",
    "odot": "_ODOT",
    "circ": "_ODOT",
    "%": "_PERCENT",
    "lvert": "_LABS",
    "rvert": "_RABS",
    "lbrack": "_LBRACK",
    "rbrack": "_RBRACK",
}
"""Commands that are operators or brackets."""

_IGNORED_COMMANDS = frozenset(
    [
        ",",
        ";",
        ":",
        "!",
        ">",
        "quad",
        "qquad",
        "enspace",
        "thinspace",
        "medspace",
        "thickspace",
        "negthinspace",
        "displaystyle",
        "textstyle",
        "scriptstyle",
        "big",
        "Big",
        "bigg",
        "Bigg",
        "bigl",
        "bigr",
        "Bigl",
        "Bigr",
        "biggl",
        "biggr",
        "Biggl",
        "Biggr",
        "limits",
        "nolimits",
        "nonumber",
        "notag",
        "mathstrut",
        "strut",
    ]
)
"""Spacing and sizing commands, which do not change the value."""

_SKIPPED_WITH_ARGUMENT = frozenset(
    ["label", "tag", "hspace", "vspace", "phantom", "hphantom", "vphantom", "color"]
)
"""Commands whose one argument is skipped."""

_GREEK = frozenset(
    [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "varepsilon",
        "zeta",
        "eta",
        "theta",
        "vartheta",
        "iota",
        "kappa",
        "lambda",
        "mu",
        "nu",
        "xi",
        "rho",
        "varrho",
        "tau",
        "upsilon",
        "phi",
        "varphi",
        "chi",
        "psi",
        "omega",
        "ell",
        "Gamma",
        "Delta",
        "Theta",
        "Lambda",
        "Xi",
        "Sigma",
        "Upsilon",
        "Phi",
        "Psi",
        "Omega",
    ]
)
"""Greek letters read as symbols (``\\pi`` is a constant, ``\\sigma`` may be the sigmoid)."""

_UNICODE_SYMBOLS = frozenset("αβγδεζηθικλμνξρτυφχψωΓΔΘΛΞΣΦΨΩ")
"""Greek letters typed directly."""

_FUNCTION_COMMANDS: dict[str, str] = {
    "max": "max",
    "min": "min",
    "exp": "exp",
    "log": "log",
    "ln": "ln",
    "tanh": "tanh",
}
"""Commands that name a function."""

_FUNCTION_NAMES: dict[str, str] = {
    "relu": "relu",
    "leakyrelu": "leaky_relu",
    "leaky_relu": "leaky_relu",
    "lrelu": "leaky_relu",
    "sigmoid": "sigmoid",
    "sigm": "sigmoid",
    "tanh": "tanh",
    "softplus": "softplus",
    "elu": "elu",
    "exp": "exp",
    "log": "log",
    "ln": "ln",
    "max": "max",
    "min": "min",
}
"""Function names written inside ``\\text{}``, ``\\operatorname{}`` or ``\\mathrm{}`` (lower case)."""

_NAMING_COMMANDS = frozenset(
    [
        "text",
        "textrm",
        "textit",
        "textbf",
        "textnormal",
        "textsf",
        "mathrm",
        "mathit",
        "operatorname",
        "mbox",
    ]
)
"""Commands whose argument is a name: a function, ``e``, or a multi-letter symbol."""

_STYLE_COMMANDS = frozenset(
    ["mathbf", "boldsymbol", "bm", "mathcal", "mathbb", "mathfrak", "mathsf", "mathtt"]
)
"""Commands whose argument is a styled symbol (bold W is still the name W)."""

_ACCENTS = frozenset(
    [
        "hat",
        "widehat",
        "bar",
        "overline",
        "tilde",
        "widetilde",
        "vec",
        "dot",
        "ddot",
        "check",
        "breve",
        "acute",
        "grave",
    ]
)
"""Accents: ``\\hat{y}`` is the symbol ``hat(y)``."""

_MATRIX_ENVIRONMENTS = frozenset(
    ["bmatrix", "pmatrix", "Bmatrix", "matrix", "smallmatrix", "array"]
)
"""Environments read as matrices."""

_DELIMITERS: dict[str, tuple[str | None, str | None]] = {
    "(": ("_LPAR", "_RPAR"),
    ")": ("_LPAR", "_RPAR"),
    "[": ("_LBRACK", "_RBRACK"),
    "]": ("_LBRACK", "_RBRACK"),
    "\\{": ("_LPAR", "_RPAR"),
    "\\}": ("_LPAR", "_RPAR"),
    "|": ("_LABS", "_RABS"),
    "\\vert": ("_LABS", "_RABS"),
    "\\lvert": ("_LABS", "_RABS"),
    "\\rvert": ("_LABS", "_RABS"),
    ".": (None, None),
}
"""What ``\\left`` and ``\\right`` may be followed by: (token after \\left, token after \\right)."""

_OPENERS = frozenset({"_LPAR", "_LBRACK", "_LABS"})
_CLOSERS = frozenset({"_RPAR", "_RBRACK", "_RABS"})


def tokenize(text: str) -> list[Token]:
    """The grammar's tokens for ``text``, or a ParseError naming what cannot be read.

    >>> [t.type for t in tokenize(r"\\frac12")]
    ['_FRAC', '_LBRACE', 'NUMBER', '_RBRACE', '_LBRACE', 'NUMBER', '_RBRACE']
    >>> [t.type for t in tokenize(r"0.01 \\cdot -2")]
    ['NUMBER', '_TIMES', '_MINUS', 'NUMBER']
    """
    if len(text) > MAX_CHARS:
        raise ParseError(f"expression is {len(text)} characters long; the limit is {MAX_CHARS}")
    tokenizer = _Tokenizer(text)
    tokenizer.run(0, len(text), depth=0, in_matrix=False)
    return tokenizer.tokens


class _Tokenizer:
    """One pass over one expression; ``run`` recurses into arguments and environments."""

    __slots__ = ("open_bars", "open_brackets", "text", "tokens")

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Token] = []
        self.open_brackets = 0
        self.open_bars = 0

    # ----- helpers -------------------------------------------------------------------------
    def fail(self, message: str, position: int) -> ParseError:
        snippet = self.text[max(0, position - 12) : position + 12].replace("\n", " ")
        return ParseError(f"{message} at character {position + 1} (near '{snippet}')")

    def emit(self, kind: str, value: object, position: int) -> None:
        if kind in _SIGNS and self.expects_operand():
            run = 0
            for token in reversed(self.tokens):
                if token.type not in _SIGNS:
                    break
                run += 1
            if run >= MAX_SIGNS:
                raise self.fail(f"more than {MAX_SIGNS} signs in a row", position)
        if kind in _OPENERS:
            self.open_brackets += 1
        elif kind in _CLOSERS:
            self.open_brackets = max(0, self.open_brackets - 1)
        self.tokens.append(Token(kind, value, start_pos=position))

    def expects_operand(self) -> bool:
        return not self.tokens or self.tokens[-1].type in _OPERAND_EXPECTED

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
        match = _LEXEME.match(self.text, start, end)
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

    # ----- the main loop -------------------------------------------------------------------
    def run(self, start: int, end: int, depth: int, in_matrix: bool) -> None:
        self.check_depth(depth, start)
        position = start
        while position < end:
            match = _LEXEME.match(self.text, position, end)
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
        kind = _CHARACTERS.get(first)
        if kind is not None:
            if kind in _OPENERS:
                self.check_depth(depth, start)
            self.emit(kind, first, start)
            return after
        if first in _UNICODE_SYMBOLS:
            return self.symbol_or_sigmoid("sigma" if first == "σ" else first, start, after, end)
        if first == "π":
            self.emit("CONSTANT", "pi", start)
            return after
        if first in "=<>≈≤≥≠":
            raise self.fail(f"relation '{first}' inside an expression", start)
        raise self.fail(f"unexpected character {first!r}", start)

    def number(self, lexeme: str, start: int, after: int) -> int:
        if lexeme == ".":
            raise self.fail("a '.' that is not part of a number", start)
        digits = lexeme.replace(".", "")
        if len(digits) > MAX_DIGITS:
            raise self.fail(f"a number with more than {MAX_DIGITS} digits", start)
        fraction = lexeme.partition(".")[2]
        decimals = len(fraction) if "." in lexeme else None
        value = Fraction(int(digits), 10 ** len(fraction))
        self.emit("NUMBER", (value, decimals, lexeme), start)
        return after

    def letter(self, letter: str, start: int, after: int, end: int) -> int:
        if letter == "e" and self.text.startswith("^", self.skip_space(after)):
            self.emit("CONSTANT", "E", start)
        else:
            self.emit("SYMBOL", letter, start)
        return after

    def symbol_or_sigmoid(self, name: str, start: int, after: int, end: int) -> int:
        """``\\sigma(x)`` is the sigmoid; a bare ``\\sigma`` or ``\\sigma_2`` is a symbol."""
        if name == "sigma" and _OPEN_PAREN_AHEAD.match(self.text, after, end):
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
        if name[:1].isspace() or name in _IGNORED_COMMANDS:
            return after
        kind = _OPERATOR_COMMANDS.get(name)
        if kind is not None:
            self.emit(kind, lexeme, start)
            return after
        handler = _COMMAND_HANDLERS.get(name)
        if handler is not None:
            return handler(self, name, start, after, end, depth, in_matrix)
        if name in _GREEK or name == "sigma":
            return self.symbol_or_sigmoid(name, start, after, end)
        function = _FUNCTION_COMMANDS.get(name)
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

    def pi(self, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool) -> int:
        self.emit("CONSTANT", "pi", start)
        return after

    def fraction(
        self, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
    ) -> int:
        self.emit("_FRAC", "\\frac", start)
        for _ in range(2):
            first, stop, after = self.argument(after, end, "\\" + name)
            self.group(first, stop, depth, first)
        return after

    def square_root(
        self, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
    ) -> int:
        self.emit("_SQRT", "\\sqrt", start)
        opening = self.skip_space(after)
        if self.text.startswith("[", opening):
            closing = self.text.find("]", opening, end)
            if closing < 0:
                raise self.fail("\\sqrt[ without ]", opening)
            self.emit("_INDEX_OPEN", "[", opening)
            self.run(opening + 1, closing, depth + 1, in_matrix=False)
            self.emit("_INDEX_CLOSE", "]", closing)
            after = closing + 1
        first, stop, after = self.argument(after, end, "\\sqrt")
        self.group(first, stop, depth, first)
        return after

    def naming(
        self, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
    ) -> int:
        """``\\text{ReLU}`` is a function, ``\\mathrm{e}`` is Euler's number, else a symbol."""
        content, after = self.raw_argument(after, end, "\\" + name)
        function = _FUNCTION_NAMES.get(content.lower().replace(" ", "").replace("-", ""))
        if function is not None:
            self.emit("FUNCTION", Function(function), start)
        elif content == "e":
            self.emit("CONSTANT", "E", start)
        elif content:
            self.emit("SYMBOL", content, start)
        return after

    def styled(
        self, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
    ) -> int:
        content, after = self.raw_argument(after, end, "\\" + name)
        self.emit("SYMBOL", content, start)
        return after

    def accent(
        self, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
    ) -> int:
        content, after = self.raw_argument(after, end, "\\" + name)
        self.emit("SYMBOL", f"{name}({content})", start)
        return after

    def skipped(
        self, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
    ) -> int:
        return self.raw_argument(after, end, "\\" + name)[1]

    def boxed(
        self, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
    ) -> int:
        if name == "textcolor":
            after = self.raw_argument(after, end, "\\textcolor")[1]
        first, stop, after = self.argument(after, end, "\\" + name)
        self.group(first, stop, depth, first)
        return after

    def delimiter(
        self, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
    ) -> int:
        """``\\left(`` opens like ``(``; ``\\left.`` and ``\\right.`` are invisible."""
        position = self.skip_space(after)
        match = _LEXEME.match(self.text, position, end)
        lexeme = match.group() if match else ""
        kinds = _DELIMITERS.get(lexeme)
        if kinds is None or match is None:
            raise self.fail(f"\\{name} must be followed by a bracket", position)
        kind = kinds[0] if name == "left" else kinds[1]
        if kind is not None:
            if kind in _OPENERS:
                self.check_depth(depth, start)
            self.emit(kind, lexeme, start)
        return match.end()

    def environment(
        self, name: str, start: int, after: int, end: int, depth: int, in_matrix: bool
    ) -> int:
        match = _ENVIRONMENT.match(self.text, start, end)
        if match is None or match.group(1) != "begin":
            raise self.fail(f"unexpected \\{name}", start)
        kind = match.group(2).strip()
        if kind not in _MATRIX_ENVIRONMENTS:
            raise self.fail(f"environment {kind} is not read", start)
        closing = self.environment_end(kind, match.end(), end)
        body = match.end()
        if kind == "array":  # skip the column specification {cc}
            body = self.raw_argument(body, closing.start(), "\\begin{array}")[1]
        self.check_depth(depth + 1, start)
        self.emit("_BEGIN_MATRIX", kind, start)
        self.run(body, closing.start(), depth + 1, in_matrix=True)
        if self.tokens[-1].type == "_ROWSEP":
            self.tokens.pop()
        self.emit("_END_MATRIX", kind, closing.start())
        return closing.end()

    def environment_end(self, kind: str, position: int, end: int) -> re.Match[str]:
        nested = 0
        for match in _ENVIRONMENT.finditer(self.text, position, end):
            if match.group(2).strip() != kind:
                continue
            if match.group(1) == "begin":
                nested += 1
            elif nested:
                nested -= 1
            else:
                return match
        raise self.fail(f"\\begin{{{kind}}} without \\end{{{kind}}}", position)

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
        self.emit("_CARET", "^", start)
        first, stop, after = self.argument(after, end, "^")
        self.group(first, stop, depth, first)
        return after

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

_Handler = Callable[[_Tokenizer, int, int, int, int, bool], int]
_CommandHandler = Callable[[_Tokenizer, str, int, int, int, int, bool], int]

_CHARACTER_HANDLERS: dict[str, _Handler] = {
    "{": _Tokenizer.brace,
    "}": _Tokenizer.stray_brace,
    "|": _Tokenizer.bar,
    "&": _Tokenizer.ampersand,
    "^": _Tokenizer.superscript,
    "_": _Tokenizer.subscript,
    "'": _Tokenizer.prime,
    "\u2019": _Tokenizer.prime,
    "\u2032": _Tokenizer.prime,
}
"""Characters whose meaning depends on what surrounds them."""

_COMMAND_HANDLERS: dict[str, _CommandHandler] = {
    "frac": _Tokenizer.fraction,
    "dfrac": _Tokenizer.fraction,
    "tfrac": _Tokenizer.fraction,
    "cfrac": _Tokenizer.fraction,
    "sqrt": _Tokenizer.square_root,
    "pi": _Tokenizer.pi,
    "left": _Tokenizer.delimiter,
    "right": _Tokenizer.delimiter,
    "begin": _Tokenizer.environment,
    "end": _Tokenizer.environment,
    "boxed": _Tokenizer.boxed,
    "textcolor": _Tokenizer.boxed,
    **{name: _Tokenizer.naming for name in _NAMING_COMMANDS},
    **{name: _Tokenizer.styled for name in _STYLE_COMMANDS},
    **{name: _Tokenizer.accent for name in _ACCENTS},
    **{name: _Tokenizer.skipped for name in _SKIPPED_WITH_ARGUMENT},
}
"""Commands that read arguments or need context."""
