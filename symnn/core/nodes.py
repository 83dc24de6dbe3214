"""The syntax tree of one mathematical expression, as plain frozen data.

Two readers build these nodes: the LaTeX parser of worked solutions
(:mod:`symnn.verify.syntax.parse`) and the reader of custom activation formulas
(:mod:`symnn.core.formula`).  Evaluators read them: exactly (SymPy) and on intervals
(:mod:`symnn.verify.syntax.evaluate`), as a SymPy definition (:mod:`symnn.core.calculus`),
and with dual numbers in the independent numpy reference.  Nothing here imports SymPy.

Long chains such as ``1 + 2 + 3`` or ``a \\cdot b / c`` are stored flat in a
:class:`Chain`, so the depth of a tree grows with nesting only, never with length.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

ADDITIVE = ("add", "sub")
"""Operators of an additive :class:`Chain`."""
MULTIPLICATIVE = ("mul", "div", "hadamard")
"""Operators of a multiplicative :class:`Chain`."""


@dataclass(frozen=True, slots=True)
class Number:
    """A number as written: ``3``, ``0.55`` (exactly 11/20), ``.5``."""

    value: Fraction
    """The exact value of the digits."""
    decimals: int | None
    """How many digits follow the decimal point (``0.50`` has 2); None for an integer."""
    text: str
    """The digits as written, for messages."""


@dataclass(frozen=True, slots=True)
class Symbol:
    """A name with no value: ``W``, ``Z_1``, ``\\hat{y}``, ``\\text{Penalty}``."""

    name: str
    """The name, subscripts included (``Z_1``)."""


@dataclass(frozen=True, slots=True)
class Constant:
    """Euler's number (``e^{...}``, ``\\mathrm{e}``) or pi."""

    name: Literal["E", "pi"]
    """Which constant."""


@dataclass(frozen=True, slots=True)
class Chain:
    """``first op1 x1 op2 x2 ...`` evaluated left to right (all additive or all multiplicative)."""

    first: Node
    """The leftmost operand."""
    rest: tuple[tuple[str, Node], ...]
    """Each following operator (one of ADDITIVE or MULTIPLICATIVE) with its operand."""


@dataclass(frozen=True, slots=True)
class Unary:
    """A node of one operand: :class:`Negate`, :class:`Transpose` or :class:`Absolute`."""

    operand: Node
    """What it applies to."""


@dataclass(frozen=True, slots=True)
class Negate(Unary):
    """Unary minus, as in ``-2`` or ``0.01 \\cdot -2``."""


@dataclass(frozen=True, slots=True)
class Power:
    """``base^{exponent}``; ``e^{x}`` has a :class:`Constant` base."""

    base: Node
    """The base."""
    exponent: Node
    """The exponent."""


@dataclass(frozen=True, slots=True)
class Transpose(Unary):
    """``A^T`` (a scalar is its own transpose)."""


@dataclass(frozen=True, slots=True)
class Root:
    """``\\sqrt{x}`` or ``\\sqrt[n]{x}``."""

    radicand: Node
    """The number under the root."""
    index: Node | None
    """The n of an n-th root; None for a square root."""


@dataclass(frozen=True, slots=True)
class Absolute(Unary):
    """``|x|``, applied entrywise to a matrix."""


@dataclass(frozen=True, slots=True)
class Function:
    """A named function as written: which one, its parameter, derivative or not."""

    name: str
    """Canonical name: ``relu``, ``leaky_relu``, ``sigmoid``, ``tanh``, ``softplus``,
    ``elu``, ``exp``, ``log``, ``max``, ``min``."""
    parameter: Fraction | Literal["E"] | None = None
    """The base of ``\\log_{10}`` (``"E"`` for ``\\log_e``), or the slope of
    ``\\text{LeakyReLU}_{0.1}``; None for the default."""
    derivative: bool = False
    """True for ``\\text{ReLU}'`` and the like."""

    def __str__(self) -> str:
        return self.name + ("'" if self.derivative else "")


@dataclass(frozen=True, slots=True)
class Call:
    """A function applied to arguments: ``\\max(0, x)``, ``\\log 2``, ``\\sigma(Z)``."""

    function: Function
    """Which function."""
    arguments: tuple[Node, ...]
    """The arguments in order (one, except for max and min)."""


@dataclass(frozen=True, slots=True)
class Matrix:
    """``\\begin{bmatrix}...\\end{bmatrix}`` or a bracketed list ``[1, 2, 3]`` (one row)."""

    rows: tuple[tuple[Node, ...], ...]
    """Rows of entries, all of the same length."""


@dataclass(frozen=True, slots=True)
class Condition:
    """``left < right`` (or ``>``, ``≤``, ``≥``): when a branch of :class:`Cases` applies."""

    left: Node
    """The left side."""
    comparison: str
    """``<``, ``>``, ``≤`` or ``≥``."""
    right: Node
    """The right side."""


@dataclass(frozen=True, slots=True)
class Cases:
    """``\\begin{cases} x & x > 0 \\\\ 0 & \\text{otherwise} \\end{cases}``: the first branch that holds."""

    branches: tuple[tuple[Node, Condition | None], ...]
    """Each branch's value and its condition (None for ``otherwise``), in order."""


Node = (
    Number
    | Symbol
    | Constant
    | Chain
    | Negate
    | Power
    | Transpose
    | Root
    | Absolute
    | Call
    | Matrix
    | Cases
)
"""Any node of an expression tree."""


@dataclass(frozen=True, slots=True)
class Definition:
    """A function a sheet defines: ``\\operatorname{softsign}(x) = \\frac{x}{1 + |x|}``."""

    parameters: tuple[str, ...]
    """The names of its parameters, in order (``("x",)``)."""
    body: Node
    """Its value in terms of the parameters."""


def chain(op: str, left: Node, right: Node) -> Chain:
    """``left op right``, appended to ``left`` when it is a chain of the same kind (additive
    or multiplicative), so that long sums and products stay flat.

    >>> chain("add", chain("add", Symbol("a"), Symbol("b")), Symbol("c")).rest
    (('add', Symbol(name='b')), ('add', Symbol(name='c')))
    """
    kind = ADDITIVE if op in ADDITIVE else MULTIPLICATIVE
    if isinstance(left, Chain) and left.rest and left.rest[0][0] in kind:
        return Chain(left.first, (*left.rest, (op, right)))
    return Chain(left, ((op, right),))


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of ``node``.

    >>> children(Negate(Symbol("x")))
    (Symbol(name='x'),)
    """
    match node:
        case Chain(first, rest):
            return (first, *(operand for _, operand in rest))
        case Unary(operand):
            return (operand,)
        case Power(base, exponent):
            return (base, exponent)
        case Root(radicand, index):
            return (radicand,) if index is None else (radicand, index)
        case Call(_, arguments):
            return arguments
        case Matrix(rows):
            return tuple(entry for row in rows for entry in row)
        case Cases(branches):
            return tuple(
                part
                for value, condition in branches
                for part in ((value,) if condition is None else (value, condition.left, condition.right))
            )
    return ()


def walk(node: Node) -> list[Node]:
    """Every node of the tree, parents before children (iterative, any depth).

    >>> [type(n).__name__ for n in walk(Negate(Number(Fraction(1), None, "1")))]
    ['Negate', 'Number']
    """
    found: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(reversed(children(current)))
    return found


def symbols(node: Node) -> list[str]:
    """Names of the symbols in the tree, in order of appearance, without repeats.

    >>> symbols(Chain(Symbol("W"), (("mul", Symbol("X")), ("add", Symbol("W")))))
    ['W', 'X']
    """
    names = [n.name for n in walk(node) if isinstance(n, Symbol)]
    return list(dict.fromkeys(names))


def literals(node: Node) -> list[Number]:
    """The numbers written in the tree, in order of appearance."""
    return [n for n in walk(node) if isinstance(n, Number)]
