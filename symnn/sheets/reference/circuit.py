"""The gates of a computational graph, read off a parsed formula tree: structure only, no arithmetic.

A formula such as ``1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))`` (parsed by
:func:`symnn.core.formula.parse_expression`) becomes the circuit students draw: one gate
per operation, in the order the forward pass computes them, the last one the output
``f``.  The rules:

* a chain ``a + b - c`` is read left to right into two-input gates, ``(a + b) - c``;
* a constant operand (a sub-formula without inputs: ``1``, ``-1``, ``pi``, ``2^3``) is
  folded into the gate, which then has one input: ``1 + u`` is the gate ``+1``, ``1 / u``
  the gate ``1/·``;
* ``e^u`` is the gate ``exp``; a power with a constant exponent is a one-input gate;
* an input (a named variable) is one node however often it is used: a second use is a
  second wire out of it, a *fork*, where the gradients of the branches add up.

This module is shared by the exact solver (:mod:`symnn.sheets.kinds.graph`), which gives
each gate a SymPy definition, and the float evaluator (:mod:`symnn.sheets.reference.graph`),
which gives it float rules of its own; neither's arithmetic is here.  It imports no SymPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import symnn.core.nodes as nodes
from symnn.core.nodes import Node

OUTPUT = "f"
"""The name of the last gate, the formula's value."""
LETTERS = ("q", "u", "v", "h", "t", "g")
"""Letters for the intermediate gates (``q1``, ``q2`` ...), the first one no input's name starts with."""
UNARY_CALLS = ("exp", "log", "ln", "sqrt", "abs", "tanh", "sinh", "cosh", "sin", "cos", "atan", "sigmoid")
"""Functions of one argument, each a one-input gate of that name."""
BINARY = ("add", "sub", "mul", "div", "pow", "max", "min")
"""Operations of two arguments; with one constant argument they become one-input gates."""


@dataclass(frozen=True, slots=True)
class Gate:
    """One operation of the graph."""

    name: str
    """Its node's name: ``q1``, ``q2``, ..., and ``f`` for the last."""
    op: str
    """``neg``, one of :data:`UNARY_CALLS` (``ln`` read as ``log``), or one of :data:`BINARY`."""
    inputs: tuple[str, ...]
    """The nodes it reads (input names or earlier gates' names), in argument order, without constants."""
    constant: Node | None = None
    """A constant argument folded in (a tree without variables), else None."""
    constant_first: bool = False
    """Whether the constant is the first argument (``1 / u``, ``2 - u``, ``2^u``, ``max(0, u)``)."""

    def arguments(self) -> tuple[str | None, ...]:
        """The operation's arguments in order: node names, with None where the constant goes."""
        if self.constant is None:
            return self.inputs
        return (None, *self.inputs) if self.constant_first else (*self.inputs, None)

    def sources(self) -> tuple[str, ...]:
        """The distinct nodes it reads, in order of first use (one wire each)."""
        return tuple(dict.fromkeys(self.inputs))


@dataclass(frozen=True, slots=True)
class Circuit:
    """A formula as gates in forward order (the last is :data:`OUTPUT`), with its inputs."""

    inputs: tuple[str, ...]
    """The input names, in the order the exercise gives them."""
    gates: tuple[Gate, ...]
    """Every gate, each after the gates it reads."""

    def gate(self, name: str) -> Gate:
        """The gate called ``name``."""
        for g in self.gates:
            if g.name == name:
                return g
        raise KeyError(name)

    def consumers(self, name: str) -> tuple[str, ...]:
        """The gates reading node ``name`` (inputs or gates), in forward order."""
        return tuple(g.name for g in self.gates if name in g.inputs)

    def is_gate(self, name: str) -> bool:
        """Whether ``name`` is a gate (not an input)."""
        return any(g.name == name for g in self.gates)


class NotACircuit(ValueError):
    """A formula that is no computational graph (a constant, or a bare input)."""


def is_constant(node: Node) -> bool:
    """Whether a sub-formula has no variables."""
    return not nodes.symbols(node)


def _binary(node: Node) -> tuple[str, Node, Node] | None:
    """A chain's last operation and its two operands: ``a + b - c`` is ``(a + b) - c``."""
    if isinstance(node, nodes.Chain) and node.rest:
        *front, (op, last) = node.rest
        left: Node = nodes.Chain(node.first, tuple(front)) if front else node.first
        return op, left, last
    return None


def _shape(node: Node) -> tuple[str, tuple[Node, ...]]:
    """An operation node's gate operation and its operands."""
    binary = _binary(node)
    if binary is not None:
        return binary[0], (binary[1], binary[2])
    if isinstance(node, nodes.Negate):
        return "neg", (node.operand,)
    if isinstance(node, nodes.Power):
        if isinstance(node.base, nodes.Constant) and node.base.name == "E":
            return "exp", (node.exponent,)
        return "pow", (node.base, node.exponent)
    if isinstance(node, nodes.Root) and node.index is None:
        return "sqrt", (node.radicand,)
    if isinstance(node, nodes.Absolute):
        return "abs", (node.operand,)
    if isinstance(node, nodes.Call):
        name = "log" if node.function.name == "ln" else node.function.name
        return name, node.arguments
    raise NotACircuit(f"a graph cannot contain {type(node).__name__}")


def build_circuit(tree: Node, inputs: tuple[str, ...]) -> Circuit:
    """The gates of a parsed formula in the named inputs.

    >>> from symnn.core.formula import parse_expression
    >>> c = build_circuit(parse_expression("(x + y) * z", ("x", "y", "z")), ("x", "y", "z"))
    >>> [(g.name, g.op, g.inputs) for g in c.gates]
    [('q1', 'add', ('x', 'y')), ('f', 'mul', ('q1', 'z'))]
    >>> [(g.name, g.op, g.inputs, g.constant_first) for g in build_circuit(
    ...     parse_expression("1 / (1 + exp(-x))", ("x",)), ("x",)).gates]
    [('q1', 'neg', ('x',), False), ('q2', 'exp', ('q1',), False), ('q3', 'add', ('q2',), True), ('f', 'div', ('q3',), True)]
    """
    if is_constant(tree):
        raise NotACircuit("the formula has no inputs; a graph needs at least one")
    if isinstance(tree, nodes.Symbol):
        raise NotACircuit("the formula is a bare input; a graph needs at least one operation")
    letter = next((c for c in LETTERS if not any(i.startswith(c) for i in inputs)), None)
    if letter is None:
        raise NotACircuit(f"the inputs' names leave no letter among {', '.join(LETTERS)} for the intermediate nodes")
    found: list[tuple[str, tuple[str, ...], Node | None, bool]] = []

    def visit(node: Node) -> str:
        if isinstance(node, nodes.Symbol):
            return node.name
        op, operands = _shape(node)
        constant: Node | None = None
        first = False
        names: list[str] = []
        for position, operand in enumerate(operands):
            if is_constant(operand):
                constant, first = operand, position == 0
            else:
                names.append(visit(operand))
        found.append((op, tuple(names), constant, first))
        return f"#{len(found) - 1}"

    visit(tree)
    names = [f"{letter}{i}" for i in range(1, len(found))] + [OUTPUT]
    rename = {f"#{i}": name for i, name in enumerate(names)}
    gates = tuple(Gate(name, op, tuple(rename.get(s, s) for s in sources), constant, first)
                  for name, (op, sources, constant, first) in zip(names, found))
    return Circuit(inputs, gates)


def forward_order(circuit: Circuit) -> tuple[str, ...]:
    """Every node (inputs, then gates) in forward order."""
    return (*circuit.inputs, *(g.name for g in circuit.gates))


def backward_order(circuit: Circuit) -> tuple[str, ...]:
    """Every node except the output, in the order backpropagation reaches them: gates last to first, then inputs."""
    return (*(g.name for g in reversed(circuit.gates[:-1])), *circuit.inputs)


def gradient_name(node: str) -> str:
    """The answer-key name of ∂f/∂node.

    >>> gradient_name("q1"), gradient_name("x")
    ('df_dq1', 'df_dx')
    """
    return f"d{OUTPUT}_d{node}"


def local_name(gate: str, source: str, circuit: Circuit) -> str:
    """The answer-key name of a gate's local derivative with respect to one of its sources.

    It is ``dq2_dq1``; for the output gate it is ``df_dq1``, the gradient itself, when the
    source feeds only the output; when the source also feeds other gates (a fork), the
    output's local derivative is ``df_dq1_local``.
    """
    name = f"d{gate}_d{source}"
    if gate == OUTPUT and circuit.consumers(source) != (OUTPUT,):
        return name + "_local"
    return name
