"""Evaluate an expression tree, exactly (SymPy) or on intervals (for rounding).

One evaluator walks the tree; an *arithmetic* supplies the numbers.
:class:`~symnn.verify.syntax.exact.Exact` builds SymPy values (what
:func:`~symnn.verify.syntax.parse.parse_math` returns); :class:`Intervals` builds :class:`~symnn.core.interval.Interval` enclosures and lets
the caller decide what interval each written number stands for (the lint widens
rounded decimals).  Matrices, shapes and entrywise functions are handled once, here,
for both.

Matrix rules, as hand-written sheets use them: ``\\cdot``, ``\\times`` and juxtaposition
between matrices is the matrix product, or the dot product of two vectors of the same
shape; ``\\odot`` is entrywise; a number combines with every entry; functions apply
entrywise; a 1×1 matrix is a number.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any, Generic, Protocol

from symnn.core import interval as iv
from symnn.core.calculus import DEFAULT_ALPHA
from symnn.core.interval import Interval
from symnn.core.nodes import (
    Absolute,
    Call,
    Cases,
    Chain,
    Condition,
    Constant,
    Definition,
    Function,
    Matrix,
    Negate,
    Node,
    Number,
    Power,
    Root,
    Symbol,
    Transpose,
)
from symnn.errors import ParseError
from symnn.verify.syntax.functions import FUNCTION_RULES, apply_definition
from symnn.verify.syntax.grid import (
    Grid,
    S,
    Value,
    dot,
    entrywise,
    grid,
    matrix_product,
    shape_name,
)

TIME_LIMIT = 2.0
"""Seconds one evaluation may take before it is refused."""
MAX_EXPONENT = 1_000
"""The largest |n| of an integer power computed."""
MAX_BITS = iv.MAX_BITS
"""The most bits of an exact rational built by a power."""
DEFAULT_LEAKY_SLOPE = DEFAULT_ALPHA["leaky_relu"]
"""The slope of LeakyReLU when a sheet writes none (the sheets' own default)."""


class Arithmetic(Protocol[S]):
    """The number operations an evaluation needs."""

    def number(self, node: Number) -> S: ...
    def constant(self, name: str) -> S: ...
    def symbol(self, name: str) -> S: ...
    def add(self, a: S, b: S) -> S: ...
    def sub(self, a: S, b: S) -> S: ...
    def mul(self, a: S, b: S) -> S: ...
    def div(self, a: S, b: S) -> S: ...
    def negate(self, a: S) -> S: ...
    def power(self, base: S, exponent: S) -> S: ...
    def exp(self, a: S) -> S: ...
    def log(self, a: S, base: Fraction | None) -> S: ...
    def root(self, a: S, index: S | None) -> S: ...
    def absolute(self, a: S) -> S: ...
    def floor(self, a: S) -> S: ...
    def activation(self, function: Function, a: S, slope: Fraction) -> S: ...
    def extremum(self, name: str, values: list[S]) -> S: ...
    def compare(self, a: S, b: S) -> int | None: ...


Recorder = Callable[[Node, Value], None]
"""Called with every node of a tree and its value, as the evaluation computes them."""


Definitions = Mapping[str, Definition]
"""The functions a sheet defines, by name as written (``softsign``, ``softsign'``)."""


def named_prefix(node: Chain, compounds: Mapping[Any, Any]) -> int:
    """How many operators of a chain belong to a named expression it starts with (0: none).

    ``\\frac{a}{b} \\cdot c`` is the chain a / b · c: its first two operands are the
    fraction a/b, which the sheet may have named.
    """
    for count in range(len(node.rest) - 1, 0, -1):
        if Chain(node.first, node.rest[:count]) in compounds:
            return count
    return 0


def run(node: Node, arithmetic: Arithmetic[S], leaky_slope: Fraction) -> Value:
    """Evaluate ``node`` with ``arithmetic`` within :data:`TIME_LIMIT`."""
    return Evaluator(arithmetic, leaky_slope).value(node)


class Evaluator(Generic[S]):
    """Walks one tree with one arithmetic, within a time limit.

    ``definitions`` are the functions the sheet defines; ``bindings`` the values of a
    definition's parameters while its body is evaluated.
    """

    __slots__ = (
        "arithmetic",
        "bindings",
        "compounds",
        "deadline",
        "definitions",
        "leaky_slope",
        "record",
    )

    def __init__(
        self,
        arithmetic: Arithmetic[S],
        leaky_slope: Fraction,
        record: Recorder | None = None,
        definitions: Definitions | None = None,
    ) -> None:
        self.arithmetic = arithmetic
        self.deadline = time.monotonic() + TIME_LIMIT
        self.leaky_slope = leaky_slope
        self.record = record
        self.definitions: Definitions = definitions or {}
        self.bindings: dict[str, Any] = {}
        self.compounds: Mapping[Node, Any] = {}
        """Values the sheet named by an expression (``\\frac{\\partial E}{\\partial w}``)."""

    def value(self, node: Node) -> Value:
        if time.monotonic() > self.deadline:
            raise ParseError(f"evaluation took longer than {TIME_LIMIT:g} s")
        if self.compounds and type(node) is Chain and node in self.compounds:
            result = self.compounds[node]  # a value the sheet named by an expression
        else:
            result = _NODE_RULES[type(node)](self, node)
        if self.record is not None:
            self.record(node, result)
        return result

    def scalar(self, node: Node, what: str) -> S:
        result = self.value(node)
        if isinstance(result, Grid):
            raise ParseError(f"{what} must be a number, not a {shape_name(result.shape)} matrix")
        return result  # type: ignore[no-any-return]

    # ----- one rule per node type ----------------------------------------------------------
    def number(self, node: Number) -> Value:
        return self.arithmetic.number(node)

    def symbol(self, node: Symbol) -> Value:
        if node.name in self.bindings:
            return self.bindings[node.name]
        return self.arithmetic.symbol(node.name)

    def constant(self, node: Constant) -> Value:
        return self.arithmetic.constant(node.name)

    def chain(self, node: Chain) -> Value:
        rest = node.rest
        start = named_prefix(node, self.compounds) if self.compounds else 0
        if start:  # ``\\frac{\\partial E}{\\partial o} \\cdot …`` starts with a named fraction
            result = self.compounds[Chain(node.first, rest[:start])]
            rest = rest[start:]
        else:
            result = self.value(node.first)
        for operator, operand in rest:
            result = _CHAIN_RULES[operator](self, result, self.value(operand))
        return result

    def negate(self, node: Negate) -> Value:
        return entrywise(self.arithmetic.negate, self.value(node.operand), what="negate")

    def power(self, node: Power) -> Value:
        exponent = self.scalar(node.exponent, "an exponent")
        if isinstance(node.base, Constant) and node.base.name == "E":
            return self.arithmetic.exp(exponent)
        base = self.value(node.base)
        if isinstance(base, Grid):
            raise ParseError(f"powers of a {shape_name(base.shape)} matrix are not read")
        return self.arithmetic.power(base, exponent)

    def transpose(self, node: Transpose) -> Value:
        operand = self.value(node.operand)
        return operand.transposed() if isinstance(operand, Grid) else operand

    def root(self, node: Root) -> Value:
        index = None if node.index is None else self.scalar(node.index, "the index of a root")
        return entrywise(
            lambda a: self.arithmetic.root(a, index), self.value(node.radicand), what="root"
        )

    def absolute(self, node: Absolute) -> Value:
        return entrywise(self.arithmetic.absolute, self.value(node.operand), what="take |·| of")

    def cases(self, node: Cases) -> Value:
        for value, condition in node.branches:
            if condition is None or self.holds(condition):
                return self.value(value)
        raise ParseError("no branch of the cases holds")

    def holds(self, condition: Condition) -> bool:
        """Whether a condition certainly holds (False if it certainly fails; else refused)."""
        left = self.scalar(condition.left, "a side of a condition")
        right = self.scalar(condition.right, "a side of a condition")
        sign = self.arithmetic.compare(left, right)
        if sign is None:
            raise ParseError(f"cannot decide whether {condition.comparison} holds")
        return _COMPARISON_TESTS[condition.comparison](sign)

    def matrix(self, node: Matrix) -> Value:
        rows = tuple(
            tuple(self.scalar(entry, "a matrix entry") for entry in row) for row in node.rows
        )
        return grid(rows)

    def call(self, node: Call) -> Value:
        arguments = [self.value(argument) for argument in node.arguments]
        rule = FUNCTION_RULES.get(node.function.name)
        if rule is not None:
            return rule(self, node.function, arguments)
        definition = self.definitions.get(str(node.function))
        if definition is None:
            raise ParseError(f"the sheet does not define the function {node.function}")
        return apply_definition(self, node.function, definition, arguments)

    def nested(self, bindings: dict[str, Any]) -> Evaluator[S]:
        """An evaluator of a definition's body: these parameter values, the same deadline."""
        inner: Evaluator[S] = Evaluator(self.arithmetic, self.leaky_slope, None, self.definitions)
        inner.deadline, inner.bindings = self.deadline, bindings
        return inner

    # ----- operators -----------------------------------------------------------------------
    def add(self, a: Value, b: Value) -> Value:
        return entrywise(self.arithmetic.add, a, b, what="add")

    def sub(self, a: Value, b: Value) -> Value:
        return entrywise(self.arithmetic.sub, a, b, what="subtract")

    def hadamard(self, a: Value, b: Value) -> Value:
        return entrywise(self.arithmetic.mul, a, b, what="multiply entrywise")

    def div(self, a: Value, b: Value) -> Value:
        return entrywise(self.arithmetic.div, a, b, what="divide")

    def mul(self, a: Value, b: Value) -> Value:
        if not (isinstance(a, Grid) and isinstance(b, Grid)):
            return entrywise(self.arithmetic.mul, a, b, what="multiply")
        arithmetic = self.arithmetic
        if a.shape[1] == b.shape[0]:
            return matrix_product(a, b, arithmetic.add, arithmetic.mul)
        if a.shape == b.shape and a.is_vector:
            return dot(a.entries(), b.entries(), arithmetic.add, arithmetic.mul)
        raise ParseError(
            f"cannot multiply a {shape_name(a.shape)} matrix by a {shape_name(b.shape)} matrix"
        )


_NODE_RULES: dict[type, Callable[[Any, Any], Value]] = {
    Number: Evaluator.number,
    Symbol: Evaluator.symbol,
    Constant: Evaluator.constant,
    Chain: Evaluator.chain,
    Negate: Evaluator.negate,
    Power: Evaluator.power,
    Transpose: Evaluator.transpose,
    Root: Evaluator.root,
    Absolute: Evaluator.absolute,
    Matrix: Evaluator.matrix,
    Call: Evaluator.call,
    Cases: Evaluator.cases,
}
"""One evaluation rule per node type."""

_CHAIN_RULES: dict[str, Callable[[Any, Value, Value], Value]] = {
    "add": Evaluator.add,
    "sub": Evaluator.sub,
    "mul": Evaluator.mul,
    "div": Evaluator.div,
    "hadamard": Evaluator.hadamard,
}
"""One rule per chain operator."""

_COMPARISON_TESTS: dict[str, Callable[[int], bool]] = {
    "<": lambda sign: sign < 0,
    ">": lambda sign: sign > 0,
    "≤": lambda sign: sign <= 0,
    "≥": lambda sign: sign >= 0,
}
"""Each comparison, as a test of the sign of left minus right."""


# ----- interval arithmetic -----------------------------------------------------------------
def exact_literal(node: Number) -> Interval:
    """A written number taken as exactly what it says."""
    return Interval.point(node.value)


class Intervals:
    """Interval arithmetic; ``literal`` decides what interval each written number means."""

    __slots__ = ("literal",)

    def __init__(self, literal: Callable[[Number], Interval] = exact_literal) -> None:
        self.literal = literal

    def number(self, node: Number) -> Interval:
        return self.literal(node)

    def constant(self, name: str) -> Interval:
        return iv.euler() if name == "E" else iv.pi()

    def symbol(self, name: str) -> Interval:
        raise ParseError(f"the symbol {name} has no value")

    def add(self, a: Interval, b: Interval) -> Interval:
        return a + b

    def sub(self, a: Interval, b: Interval) -> Interval:
        return a - b

    def mul(self, a: Interval, b: Interval) -> Interval:
        return a * b

    def div(self, a: Interval, b: Interval) -> Interval:
        return a / b

    def negate(self, a: Interval) -> Interval:
        return -a

    def power(self, base: Interval, exponent: Interval) -> Interval:
        return iv.power(base, exponent)

    def exp(self, a: Interval) -> Interval:
        return iv.exp(a)

    def log(self, a: Interval, base: Fraction | None) -> Interval:
        if base is not None and a.is_point:
            exponent = iv.integer_log(a.lo, base)
            if exponent is not None:
                return Interval.point(Fraction(exponent))
        natural = iv.log(a)
        return natural if base is None else natural / iv.log(Interval.point(base))

    def root(self, a: Interval, index: Interval | None) -> Interval:
        if index is None:
            return iv.root(a, 2)
        if not index.is_point or index.lo.denominator != 1:
            raise ParseError("the index of a root must be a whole number")
        return iv.root(a, int(index.lo))

    def absolute(self, a: Interval) -> Interval:
        return iv.absolute(a)

    def floor(self, a: Interval) -> Interval:
        return Interval(Fraction(math.floor(a.lo)), Fraction(math.floor(a.hi)))

    def activation(self, function: Function, a: Interval, slope: Fraction) -> Interval:
        from symnn.core.domains import INTERVALS, function_of
        from symnn.core.program import activation_program

        program = activation_program(function.name, function.derivative)
        value: Interval = function_of(program, INTERVALS)(a, Interval.point(slope))
        return value

    def extremum(self, name: str, values: list[Interval]) -> Interval:
        return iv.maximum(values) if name == "max" else iv.minimum(values)

    def compare(self, a: Interval, b: Interval) -> int | None:
        difference = a - b
        if difference.lo > 0 or difference.hi < 0:
            return 1 if difference.lo > 0 else -1
        return 0 if difference.is_point else None


def evaluate_interval(
    node: Node,
    literal: Callable[[Number], Interval] = exact_literal,
    leaky_slope: Fraction = DEFAULT_LEAKY_SLOPE,
    record: Recorder | None = None,
    definitions: Definitions | None = None,
    names: Mapping[Any, Value] | None = None,
) -> Interval | Grid[Interval]:
    """An enclosure of the tree's value, each written number read through ``literal``.

    ``record``, if given, is called with every node and its value as they are computed;
    ``definitions`` are the functions the sheet defined, ``names`` the values it gave
    names (``net_h1``, by name; ``\\frac{\\partial E}{\\partial w}``, by its tree).

    >>> from symnn.verify.syntax.parse import parse_expression
    >>> evaluate_interval(parse_expression("0.1 + 0.2"))
    Interval(lo=Fraction(3, 10), hi=Fraction(3, 10))
    """
    evaluator = Evaluator(Intervals(literal), leaky_slope, record, definitions)
    if names:
        evaluator.bindings = {k: v for k, v in names.items() if isinstance(k, str)}
        evaluator.compounds = {k: v for k, v in names.items() if not isinstance(k, str)}
    result: Interval | Grid[Interval] = evaluator.value(node)
    return result
