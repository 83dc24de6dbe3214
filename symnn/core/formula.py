"""A small safe parser for custom activation formulas such as ``"x / (1 + abs(x))"``.

The text is read by a recursive-descent parser of our own into the expression tree of
:mod:`symnn.core.nodes` (the tree the LaTeX reader of worked solutions builds too);
nothing here calls ``eval``, ``sympify`` or ``parse_expr``, and this module never imports
SymPy, so both the exact engine (which turns the tree into a SymPy expression) and the
independent numpy evaluator (which interprets the tree with dual numbers) start from the
same validated tree.  ``x`` is the :class:`~symnn.core.nodes.Symbol` ``x``; ``e`` and
``pi`` are constants; ``abs`` and ``sqrt`` are :class:`~symnn.core.nodes.Absolute` and
:class:`~symnn.core.nodes.Root`; the other functions are calls.

Grammar (``^`` and ``**`` are powers, right-associative and binding tighter than
a leading minus, so ``-x^2`` is ``-(x^2)``)::

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := ("-" | "+") unary | power
    power   := atom (("^" | "**") unary)?
    atom    := NUMBER | "x" | "e" | "pi" | FUNCTION "(" expr ("," expr)* ")" | "(" expr ")"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import symnn.core.nodes as nodes
from symnn.core.nodes import Node, chain
from symnn.errors import ParseError

MAX_LENGTH = 200
"""Longest formula accepted, in characters."""
MAX_DEPTH = 40
"""Deepest nesting of brackets and operators accepted."""
MAX_EXPONENT = 64
"""Largest constant exponent magnitude (keeps exact powers of numbers small)."""

FUNCTIONS: dict[str, int] = {
    "exp": 1, "log": 1, "ln": 1, "sqrt": 1, "abs": 1,
    "tanh": 1, "sinh": 1, "cosh": 1, "sin": 1, "cos": 1, "atan": 1,
    "sigmoid": 1, "max": 2, "min": 2,
}
"""Function names a formula may call, with their number of arguments."""
CONSTANTS = {"e": "E", "pi": "pi"}
"""Named constants, with the :class:`~symnn.core.nodes.Constant` each is."""
VARIABLE = "x"
"""The one variable of an activation formula."""
OPERATORS = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
"""Each arithmetic sign, with its :class:`~symnn.core.nodes.Chain` operator."""


@dataclass(frozen=True, slots=True)
class Formula:
    """A custom activation: its name for the sheet, its text and its parsed tree."""

    name: str
    """Name shown on the sheet, e.g. ``"softsign"`` (``"f"`` if none was given)."""
    text: str
    """The formula as written in the spec."""
    tree: Node
    """The parsed formula."""


_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?|\.\d+)|([A-Za-z_][A-Za-z_0-9]*)|(\*\*|[-+*/^(),]))")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    """``"number"``, ``"name"``, ``"op"`` or ``"end"``."""
    text: str
    """The token as written."""
    column: int
    """1-based position of its first character."""


def _tokens(text: str) -> list[_Token]:
    tokens, pos = [], 0
    stripped_end = len(text.rstrip())
    while pos < stripped_end:
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            column = pos + 1 + (len(text[pos:]) - len(text[pos:].lstrip()))
            raise ParseError(f"unexpected character {text[column - 1]!r} at character {column}")
        kind = "number" if match.group(1) else "name" if match.group(2) else "op"
        token_text = match.group(match.lastindex or 0)
        tokens.append(_Token(kind, token_text, match.start(match.lastindex or 0) + 1))
        pos = match.end()
    tokens.append(_Token("end", "", stripped_end + 1))
    return tokens


class _Parser:
    """Recursive descent over the token list; every error names the character."""

    def __init__(self, text: str, variables: tuple[str, ...] = (VARIABLE,)) -> None:
        self.tokens = _tokens(text)
        self.index = 0
        self.depth = 0
        self.variables = variables

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, message: str, token: _Token | None = None) -> ParseError:
        token = token or self.current
        where = "the end of the formula" if token.kind == "end" else f"character {token.column}"
        return ParseError(f"{message} at {where}")

    def expect(self, op: str) -> None:
        if self.current.text != op or self.current.kind != "op":
            found = "nothing" if self.current.kind == "end" else repr(self.current.text)
            raise self.error(f"expected {op!r} but found {found}")
        self.advance()

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"formula nested deeper than {MAX_DEPTH} levels")

    def expression(self) -> Node:
        self.nested()
        node = self.term()
        while self.current.kind == "op" and self.current.text in "+-":
            op = self.advance().text
            node = chain(OPERATORS[op], node, self.term())
        self.depth -= 1
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.current.kind == "op" and self.current.text in ("*", "/"):
            op = self.advance().text
            node = chain(OPERATORS[op], node, self.unary())
        return node

    def unary(self) -> Node:
        if self.current.kind == "op" and self.current.text in "+-":
            op = self.advance().text
            self.nested()
            operand = self.unary()
            self.depth -= 1
            return nodes.Negate(operand) if op == "-" else operand
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.current.kind == "op" and self.current.text in ("^", "**"):
            token = self.advance()
            self.nested()
            exponent = self.unary()
            self.depth -= 1
            node = nodes.Power(base, exponent)
            _check_power(node, token, self)
            return node
        return base

    def atom(self) -> Node:
        token = self.current
        if token.kind == "number":
            self.advance()
            whole, point, fraction = token.text.partition(".")
            return nodes.Number(Fraction(token.text), len(fraction) if point else None, token.text)
        if token.kind == "name":
            self.advance()
            if token.text in FUNCTIONS:
                return self.call(token)
            if token.text in self.variables:
                return nodes.Symbol(token.text)
            if token.text in CONSTANTS:
                return nodes.Constant("E" if token.text == "e" else "pi")
            raise self.error(
                f"unknown name {token.text!r}; a formula may use {', '.join(self.variables)}, e, pi and the "
                f"functions {', '.join(FUNCTIONS)}", token)
        if token.kind == "op" and token.text == "(":
            self.advance()
            node = self.expression()
            self.expect(")")
            return node
        found = "nothing" if token.kind == "end" else repr(token.text)
        names = " or ".join(self.variables)
        raise self.error(f"expected a number, {names}, a function or '(' but found {found}", token)

    def call(self, name: _Token) -> Node:
        if not (self.current.kind == "op" and self.current.text == "("):
            raise self.error(f"function {name.text} needs its argument in brackets, e.g. {name.text}(x)")
        self.advance()
        args = [self.expression()]
        while self.current.kind == "op" and self.current.text == ",":
            self.advance()
            args.append(self.expression())
        self.expect(")")
        wanted = FUNCTIONS[name.text]
        if len(args) != wanted:
            raise self.error(f"function {name.text} takes {wanted} argument{'s' if wanted > 1 else ''}, "
                             f"got {len(args)}", name)
        if name.text == "abs":
            return nodes.Absolute(args[0])
        if name.text == "sqrt":
            return nodes.Root(args[0], None)
        return nodes.Call(nodes.Function(name.text), tuple(args))


_ARITHMETIC = {
    "add": lambda p, q: p + q, "sub": lambda p, q: p - q,
    "mul": lambda p, q: p * q, "div": lambda p, q: p / q,
}


MAX_BITS = 4096
"""Largest constant (in bits) a formula may build with powers of numbers."""


def _constant_value(node: Node) -> Fraction | None:
    """The value of a constant rational sub-formula, else None; refuses huge powers of numbers."""
    if isinstance(node, nodes.Number):
        return node.value
    if isinstance(node, nodes.Negate):
        inner = _constant_value(node.operand)
        return None if inner is None else -inner
    if isinstance(node, nodes.Chain):
        value = _constant_value(node.first)
        operands = [(op, _constant_value(operand)) for op, operand in node.rest]
        for op, right in operands:
            if value is None or right is None or (op == "div" and right == 0):
                return None
            value = Fraction(_ARITHMETIC[op](value, right))
        return value
    if not isinstance(node, nodes.Power):
        return None
    left, right = _constant_value(node.base), _constant_value(node.exponent)
    if left is None or right is None or right.denominator != 1 or left == 0:
        return None
    size = max(left.numerator.bit_length(), left.denominator.bit_length())
    if abs(right) > MAX_EXPONENT or size * abs(right) > MAX_BITS:
        raise ParseError(f"a power of numbers is too large to compute exactly (over {MAX_BITS} bits)")
    return left ** int(right)


def _check_power(node: nodes.Power, token: _Token, parser: _Parser) -> None:
    """Refuse constant exponents (and constant powers) too large to compute exactly."""
    try:
        value = _constant_value(node.exponent)
        _constant_value(node)
    except ParseError as exc:
        raise parser.error(str(exc), token) from None
    if value is not None and abs(value) > MAX_EXPONENT:
        raise parser.error(f"exponent {value} is too large (at most {MAX_EXPONENT} in size)", token)


def parse_formula(text: str, variable: str = VARIABLE) -> Node:
    """Parse a formula in ``x`` (or in another ``variable``) into a tree; raise :class:`ParseError` naming
    the character.

    >>> parse_formula("theta^2", variable="theta")
    Power(base=Symbol(name='theta'), exponent=Number(value=Fraction(2, 1), decimals=None, text='2'))
    >>> parse_formula("x / (1 + abs(x))")
    Chain(first=Symbol(name='x'), rest=(('div', Chain(first=Number(value=Fraction(1, 1), decimals=None, \
text='1'), rest=(('add', Absolute(operand=Symbol(name='x'))),))),))
    >>> parse_formula("x / (1 + abs(x)")
    Traceback (most recent call last):
    ...
    symnn.errors.ParseError: expected ')' but found nothing at the end of the formula
    """
    tree = parse_expression(text, (variable,))
    if variable not in nodes.symbols(tree):
        raise ParseError(f"formula does not use {variable}; an activation must depend on its input {variable}"
                         if variable == VARIABLE else f"formula does not use {variable}")
    return tree


def parse_expression(text: str, variables: tuple[str, ...]) -> Node:
    """Parse a formula in the named ``variables`` (a computational graph's inputs) into a tree.

    The grammar and limits are those of :func:`parse_formula`; a variable must not be a
    function's or a constant's name, and the formula need not use every variable.

    >>> parse_expression("(x + y) * z", ("x", "y", "z")).rest
    (('mul', Symbol(name='z')),)
    >>> parse_expression("x * w", ("x",))
    Traceback (most recent call last):
    ...
    symnn.errors.ParseError: unknown name 'w'; a formula may use x, e, pi and the functions exp, log, ln, \
sqrt, abs, tanh, sinh, cosh, sin, cos, atan, sigmoid, max, min at character 5
    """
    reserved = [v for v in variables if v in FUNCTIONS or v in CONSTANTS]
    if reserved:
        raise ParseError(f"{reserved[0]!r} names a function or constant and cannot be a variable")
    if not isinstance(text, str):
        raise ParseError("a formula must be text")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"formula is {len(text)} characters long; at most {MAX_LENGTH} are accepted")
    if not text.strip():
        raise ParseError("formula is empty")
    parser = _Parser(text, variables)
    tree = parser.expression()
    if parser.current.kind != "end":
        raise parser.error(f"unexpected {parser.current.text!r}")
    return tree
