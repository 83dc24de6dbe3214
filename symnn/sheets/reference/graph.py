"""A computational graph in floats: forward values, local derivatives, backpropagated gradients.

The reference of kind ``graph``.  It walks the same gates as the exact solver
(:mod:`symnn.sheets.reference.circuit`, structure only) but computes with float rules
written here: each operation's value and its partial derivative in each argument by the
textbook formulas, never SymPy.  A value undefined for the given numbers (log of a
negative number, a division by 0) comes back as ``nan`` or ``inf``; the exact solver
reports it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction

import numpy as np

import symnn.core.nodes as nodes
from symnn.core.nodes import Node
from symnn.sheets.reference.arrays import Values
from symnn.sheets.reference.circuit import OUTPUT, Circuit, Gate, gradient_name, local_name

Rule = Callable[..., float]
"""An operation's value, or its partial derivative in one argument, from the argument values."""


def _sigmoid(u: float) -> float:
    return 1.0 / (1.0 + math.exp(-u)) if u >= 0 else math.exp(u) / (1.0 + math.exp(u))


def _safe(rule: Rule) -> Rule:
    """The rule, with nan for arguments outside its domain (the exact solver names those)."""
    def safe(*args: float) -> float:
        try:
            return float(rule(*args))
        except (ValueError, ZeroDivisionError, OverflowError):
            return math.nan
    return safe


VALUE: dict[str, Rule] = {
    "neg": lambda u: -u,
    "add": lambda u, v: u + v, "sub": lambda u, v: u - v, "mul": lambda u, v: u * v, "div": lambda u, v: u / v,
    "pow": lambda u, v: u ** v,
    "max": lambda u, v: u if u > v else v, "min": lambda u, v: u if u < v else v,
    "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "abs": abs, "tanh": math.tanh, "sinh": math.sinh,
    "cosh": math.cosh, "sin": math.sin, "cos": math.cos, "atan": math.atan, "sigmoid": _sigmoid,
}
"""Each operation's value."""

PARTIALS: dict[str, tuple[Rule, ...]] = {
    "neg": (lambda u: -1.0,),
    "add": (lambda u, v: 1.0, lambda u, v: 1.0),
    "sub": (lambda u, v: 1.0, lambda u, v: -1.0),
    "mul": (lambda u, v: v, lambda u, v: u),
    "div": (lambda u, v: 1.0 / v, lambda u, v: -u / (v * v)),
    # d(u^v)/du = v u^(v-1); d(u^v)/dv = u^v ln u (only used where the exponent is a variable).
    "pow": (lambda u, v: v * u ** (v - 1.0), lambda u, v: u ** v * math.log(u)),
    # At a tie the second argument counts as the larger (the exact engine's convention).
    "max": (lambda u, v: 1.0 if u > v else 0.0, lambda u, v: 0.0 if u > v else 1.0),
    "min": (lambda u, v: 1.0 if u < v else 0.0, lambda u, v: 0.0 if u < v else 1.0),
    "exp": (math.exp,),
    "log": (lambda u: 1.0 / u,),
    "sqrt": (lambda u: 0.5 / math.sqrt(u),),
    "abs": (lambda u: float(np.sign(u)),),
    "tanh": (lambda u: 1.0 - math.tanh(u) ** 2,),
    "sinh": (math.cosh,), "cosh": (math.sinh,), "sin": (math.cos,), "cos": (lambda u: -math.sin(u),),
    "atan": (lambda u: 1.0 / (1.0 + u * u),),
    "sigmoid": (lambda u: _sigmoid(u) * (1.0 - _sigmoid(u)),),
}
"""Each operation's partial derivative in each of its arguments, in order."""

_CONSTANTS = {"E": math.e, "pi": math.pi}
_CHAIN: dict[str, Rule] = {"add": VALUE["add"], "sub": VALUE["sub"], "mul": VALUE["mul"], "div": VALUE["div"]}


def constant_value(node: Node) -> float:
    """A constant sub-formula (no variables) in floats."""
    if isinstance(node, nodes.Number):
        return float(node.value)
    if isinstance(node, nodes.Constant):
        return _CONSTANTS[node.name]
    if isinstance(node, nodes.Negate):
        return -constant_value(node.operand)
    if isinstance(node, nodes.Chain):
        result = constant_value(node.first)
        for op, operand in node.rest:
            result = _safe(_CHAIN[op])(result, constant_value(operand))
        return result
    if isinstance(node, nodes.Power):
        return _safe(VALUE["pow"])(constant_value(node.base), constant_value(node.exponent))
    if isinstance(node, nodes.Root) and node.index is None:
        return _safe(math.sqrt)(constant_value(node.radicand))
    if isinstance(node, nodes.Absolute):
        return abs(constant_value(node.operand))
    if isinstance(node, nodes.Call):
        name = "log" if node.function.name == "ln" else node.function.name
        return _safe(VALUE[name])(*[constant_value(a) for a in node.arguments])
    raise ValueError(f"not a constant: {node!r}")


def _arguments(gate: Gate, values: Mapping[str, float]) -> list[float]:
    constant = constant_value(gate.constant) if gate.constant is not None else 0.0
    return [constant if a is None else values[a] for a in gate.arguments()]


def forward(circuit: Circuit, inputs: Mapping[str, Fraction]) -> dict[str, float]:
    """Every node's value: the inputs, then each gate's."""
    values = {name: float(inputs[name]) for name in circuit.inputs}
    for gate in circuit.gates:
        values[gate.name] = _safe(VALUE[gate.op])(*_arguments(gate, values))
    return values


def local_derivative(gate: Gate, source: str, values: Mapping[str, float]) -> float:
    """∂gate/∂source: the partials of every argument position the source fills, added."""
    args = _arguments(gate, values)
    return sum(_safe(PARTIALS[gate.op][position])(*args)
               for position, name in enumerate(gate.arguments()) if name == source)


def kinks(circuit: Circuit, values: Mapping[str, float]) -> list[str]:
    """Gates evaluated where their derivative is a convention: a tie at max/min, |·| at 0."""
    found = []
    for gate in circuit.gates:
        args = _arguments(gate, values)
        if (gate.op in ("max", "min") and args[0] == args[1]) or (gate.op == "abs" and args[0] == 0):
            found.append(gate.name)
    return found


def evaluate_graph(circuit: Circuit, inputs: Mapping[str, Fraction]) -> Values:
    """Every node's value, every local derivative and every gradient ∂f/∂node, by the solver's names.

    >>> from fractions import Fraction as F
    >>> from symnn.core.formula import parse_expression
    >>> from symnn.sheets.reference.circuit import build_circuit
    >>> c = build_circuit(parse_expression("(x + y) * z", ("x", "y", "z")), ("x", "y", "z"))
    >>> v = evaluate_graph(c, {"x": F(-2), "y": F(5), "z": F(-4)})
    >>> v["q1"], v["f"], v["df_dx"], v["df_dy"], v["df_dz"]
    (3.0, -12.0, -4.0, -4.0, 3.0)
    """
    values = forward(circuit, inputs)
    result: Values = {g.name: values[g.name] for g in circuit.gates}
    gradients = {name: 0.0 for name in values}
    gradients[OUTPUT] = 1.0
    for gate in reversed(circuit.gates):
        for source in gate.sources():
            local = local_derivative(gate, source, values)
            result[local_name(gate.name, source, circuit)] = local
            gradients[source] += gradients[gate.name] * local
    for name in values:
        if name != OUTPUT:
            result[gradient_name(name)] = gradients[name]
    return result
