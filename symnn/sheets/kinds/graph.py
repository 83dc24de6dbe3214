"""A scalar computational graph, forward and backward (kind ``graph``): the circuit diagrams students draw.

The formula (``f = "(x + y) * z"``) is read by symnn's own parser
(:func:`symnn.core.formula.parse_expression`; the text never reaches SymPy's parser) and
split into gates (:mod:`symnn.sheets.reference.circuit`).  Each gate gets one SymPy
definition in the names of the nodes it reads; its value is that definition at the
forward values, and its local derivative on each wire is ``sympy.diff`` of the same
definition.  Backpropagation multiplies each local derivative by the gradient arriving
from above and adds the products where a node feeds several gates.  The gradients of the
inputs are then checked equal to ``sympy.diff`` of the whole formula.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from symnn.core import nodes
from symnn.core.calculus import formula_to_sympy
from symnn.core.decimals import NotCertified, enclosure
from symnn.core.domains import INTERVALS, NotCompilable, evaluate
from symnn.core.formula import CONSTANTS, FUNCTIONS, parse_expression
from symnn.core.interval import IMatrix, Interval
from symnn.core.interval import scalar as interval_scalar
from symnn.core.nodes import Node
from symnn.core.program import compile_program, enclose
from symnn.errors import MathDomainError, ParseError
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, exact
from symnn.sheets.constraints import ZERO, Constraints
from symnn.sheets.fields import Context, derived, describe, given, read_scalar
from symnn.sheets.kinds.base import Kind
from symnn.sheets.recipes import Earlier, Program, Programs, Recipes
from symnn.sheets.reference.arrays import Values
from symnn.sheets.reference.circuit import (
    OUTPUT,
    Circuit,
    Gate,
    NotACircuit,
    backward_order,
    build_circuit,
    gradient_name,
    local_name,
)
from symnn.sheets.reference.graph import evaluate_graph, forward, kinks
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.statement import Line
from symnn.sheets.steps import Derivation, Diagram, DiagramEdge, DiagramNode, Figure

INPUT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,7}")
"""An input's name: a letter, then up to seven letters or digits (``x``, ``w0``, ``bias``)."""
MAX_INPUTS = 12
"""Most inputs a graph may have."""
MAX_GATES = 24
"""Most operations a graph may have (a picture and a sheet stay readable)."""


def read_formula_text(value: Any, name: str, ctx: Context) -> str:
    """The formula as text, e.g. ``"(x + y) * z"`` (parsed once the inputs are known)."""
    if not isinstance(value, str):
        raise ctx.error(f"{name} must be a formula in quotes, e.g. \"(x + y) * z\", got {describe(value)}")
    return value


def read_inputs(value: Any, name: str, ctx: Context) -> tuple[tuple[str, Fraction], ...]:
    """A table of input names and their values, ``{ x = -2, y = 5, z = -4 }``, in the order given."""
    if not isinstance(value, dict) or not value:
        raise ctx.error(f"{name} must be a table of the inputs' values, e.g. {{ x = -2, y = 5 }}")
    if len(value) > MAX_INPUTS:
        raise ctx.error(f"{name} gives {len(value)} inputs; at most {MAX_INPUTS} are allowed")
    read = []
    for key, number in value.items():
        if not INPUT_NAME.fullmatch(key) or key in FUNCTIONS or key in CONSTANTS or key == OUTPUT:
            raise ctx.error(f"{name}: {key!r} cannot name an input; use a letter and up to 7 letters or digits, "
                            f"not {OUTPUT}, e, pi or a function's name")
        read.append((key, read_scalar(number, f"{name}.{key}", ctx)))
    return tuple(read)


@dataclass(frozen=True, slots=True, kw_only=True)
class Graph:
    """A formula in named inputs and the inputs' values."""

    f: str = given(read_formula_text)
    """The formula, e.g. ``"(x + y) * z"`` or ``"1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))"``: + − * / ^, exp, log, sqrt, abs, max, min, tanh, sigmoid ... of the inputs and numbers."""
    values: tuple[tuple[str, Fraction], ...] = given(read_inputs)
    """Each input's value, ``{ x = -2, y = 5, z = -4 }``; the formula uses every input named here."""
    circuit: Circuit | None = derived()
    """The formula's gates (derived from ``f``, not a TOML key)."""

    @property
    def inputs(self) -> tuple[str, ...]:
        """The input names, in the order given."""
        return tuple(name for name, _ in self.values)

    def parse(self) -> Circuit:
        """The formula's gates; :class:`ParseError` or :class:`NotACircuit` when it is none."""
        tree = parse_expression(self.f, self.inputs)
        unused = [name for name in self.inputs if name not in nodes.symbols(tree)]
        if unused:
            raise NotACircuit(f"input {unused[0]} is given a value but the formula does not use it")
        return build_circuit(tree, self.inputs)

    def check(self, ctx: Context) -> None:
        """The formula reads, uses every input given, and has between 1 and :data:`MAX_GATES` operations."""
        try:
            circuit = self.parse()
        except ParseError as exc:
            raise ctx.error(f"f {self.f!r}: {exc}", ParseError) from None
        except NotACircuit as exc:
            raise ctx.error(f"f {self.f!r}: {exc}") from None
        if len(circuit.gates) > MAX_GATES:
            raise ctx.error(f"f has {len(circuit.gates)} operations; at most {MAX_GATES} make a readable graph")

    def complete(self) -> Graph:
        """The formula's gates in ``circuit``."""
        return replace(self, circuit=self.parse())

    @property
    def gates(self) -> Circuit:
        """The circuit (read when the exercise was)."""
        if self.circuit is None:
            raise ValueError("the graph's formula has not been read")
        return self.circuit


# ---------------------------------------------------------------------------
# One SymPy definition per gate.


def _max(p: sp.Expr, q: sp.Expr) -> sp.Expr:
    # At a tie the second argument is taken (value and slope), as for max in custom activations.
    return sp.Piecewise((p, p > q), (q, True))


def _min(p: sp.Expr, q: sp.Expr) -> sp.Expr:
    return sp.Piecewise((p, p < q), (q, True))


OPERATIONS: dict[str, Any] = {
    "neg": lambda u: -u, "add": lambda u, v: u + v, "sub": lambda u, v: u - v, "mul": lambda u, v: u * v,
    "div": lambda u, v: u / v, "pow": lambda u, v: u ** v, "max": _max, "min": _min,
    "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "abs": sp.Abs, "tanh": sp.tanh, "sinh": sp.sinh,
    "cosh": sp.cosh, "sin": sp.sin, "cos": sp.cos, "atan": sp.atan, "sigmoid": lambda u: 1 / (1 + sp.exp(-u)),
}
"""Each operation's SymPy definition in its arguments; local derivatives are ``sympy.diff`` of these."""

_WRITTEN: dict[str, Any] = {
    "neg": lambda u: sp.Mul(-1, u), "add": lambda u, v: sp.Add(u, v), "sub": lambda u, v: sp.Add(u, sp.Mul(-1, v)),
    "mul": lambda u, v: sp.Mul(u, v), "div": lambda u, v: sp.Pow(v, -1) if u == 1 else sp.Mul(u, sp.Pow(v, -1)), "pow": lambda u, v: sp.Pow(u, v),
    "max": lambda u, v: sp.Max(u, v), "min": lambda u, v: sp.Min(u, v),
}
"""How a gate is written on the sheet where it differs from its definition (nothing evaluated)."""

LABELS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "^", "max": "max", "min": "min", "neg": "×−1",
          "sqrt": "√", "abs": "|·|", "sigmoid": "σ", "log": "ln"}
"""The sign drawn in a gate's circle (a function's own name where not listed)."""


def symbol(name: str) -> sp.Symbol:
    """A node's symbol (real, so that |u| differentiates to sign u)."""
    return sp.Symbol(name, real=True)


def constant(node: Node) -> sp.Expr:
    """A constant sub-formula, exactly (the custom-activation rules of :mod:`symnn.core.calculus`)."""
    return formula_to_sympy(node)


def _arguments(gate: Gate, values: dict[str, sp.Expr] | None = None) -> list[sp.Expr]:
    """The gate's arguments: node symbols (or their values), with the folded constant in its place."""
    folded = constant(gate.constant) if gate.constant is not None else sp.S.Zero
    return [folded if a is None else (symbol(a) if values is None else values[a]) for a in gate.arguments()]


def definition(gate: Gate) -> sp.Expr:
    """The gate's value in the symbols of the nodes it reads."""
    return sp.sympify(OPERATIONS[gate.op](*_arguments(gate)))


def written(gate: Gate) -> sp.Basic:
    """The gate's definition as the sheet writes it (unevaluated)."""
    with sp.evaluate(False):
        rule = _WRITTEN.get(gate.op)
        args = _arguments(gate)
        return rule(*args) if rule is not None else OPERATIONS[gate.op](*args)


def label(gate: Gate) -> str:
    """The text in a gate's circle: its sign, with a folded constant (``+1``, ``×−1``, ``1/·``, ``^2``)."""
    sign = LABELS.get(gate.op, gate.op)
    if gate.constant is None:
        return sign
    value = constant(gate.constant)
    text = str(sp.sstr(value)).replace("-", "−").replace("exp(1)", "e").replace("E", "e")
    if len(text) > 5:
        text = "c"
    if gate.op == "neg":
        return sign
    if gate.op in ("max", "min"):
        return f"{sign}(·,{text})" if not gate.constant_first else f"{sign}({text},·)"
    if gate.op == "mul" and text == "−1":
        return "×−1"
    if gate.constant_first and gate.op in ("sub", "div", "pow"):
        return {"sub": f"{text}−·", "div": f"{text}/·", "pow": f"{text}^·"}[gate.op]
    if gate.op == "add" and text.startswith("−"):
        return text
    return f"{sign}{text}"


@cache
def _local(gate: Gate, source: str) -> sp.Expr:
    """∂gate/∂source by ``sympy.diff`` of the gate's definition."""
    return sp.diff(definition(gate), symbol(source))


LARGEST = Fraction(10) ** 100
"""Largest magnitude of a value, local derivative or gradient on a sheet (e^1000 would be exact but unreadable)."""


def _checked(spec: ExerciseSpec[Graph], what: str, value: sp.Expr, at: dict[str, sp.Expr], gate: Gate) -> sp.Expr:
    """The value, or a one-line error when it is undefined or too large to work with.

    Both are decided by the value's rigorous enclosure (arb balls), not by SymPy's ``is_real`` /
    ``is_finite``, which may answer None for a finite value, differently from run to run.
    """
    try:
        low, high = enclosure(value)
    except NotCertified:
        raise _undefined(spec, what, at, gate) from None
    except OverflowError:  # e^(e^100): its bounds have no exact rational form at all
        low = high = LARGEST + 1
    if max(abs(low), abs(high)) > LARGEST:
        raise MathDomainError(f"{spec.where}: exercise {spec.id} (graph): {what} is larger than 10^100 in size; "
                              "give inputs that keep the values smaller")
    return value


def _undefined(spec: ExerciseSpec[Graph], what: str, at: dict[str, sp.Expr], gate: Gate) -> MathDomainError:
    values = ", ".join(f"{s} = {sp.sstr(at[s])}" for s in gate.sources())
    return MathDomainError(f"{spec.where}: exercise {spec.id} (graph): {what} is undefined at {values}")


def _substituted(expr: sp.Basic, at: dict[str, sp.Expr]) -> sp.Basic:
    with sp.evaluate(False):
        return expr.xreplace({symbol(k): v for k, v in at.items()})


def _whole_formula(circuit: Circuit) -> sp.Expr:
    """The formula in the inputs' symbols: every gate's definition put into the next."""
    expr: dict[str, sp.Expr] = {name: symbol(name) for name in circuit.inputs}
    for gate in circuit.gates:
        expr[gate.name] = definition(gate).xreplace({symbol(s): expr[s] for s in gate.sources()})
    return expr[OUTPUT]


def _written_formula(circuit: Circuit) -> sp.Basic:
    """The formula as written, from the gates (unevaluated)."""
    expr: dict[str, sp.Basic] = {name: symbol(name) for name in circuit.inputs}
    for gate in circuit.gates:
        with sp.evaluate(False):
            expr[gate.name] = written(gate).xreplace({symbol(s): expr[s] for s in gate.sources()})
    return expr[OUTPUT]


SIMPLIFY_OPS = 40
"""Above this many operations a difference is not given to ``sympy.simplify`` (seconds, for nothing)."""
AGREEMENT = Fraction(1, 10**40)
"""How close to 0 the certified enclosure of a difference SymPy cannot simplify must be."""


def _equal(a: sp.Expr, b: sp.Expr) -> bool:
    """Whether two exact numbers agree: by SymPy when ``expand`` (or, for a short difference,
    ``simplify``) decides it, and otherwise by a rigorous arb enclosure of their difference lying
    within :data:`AGREEMENT` of 0 (equal to 40 certified digits)."""
    difference = sp.expand(a - b)
    if difference == 0 or (sp.count_ops(difference) <= SIMPLIFY_OPS and sp.simplify(difference) == 0):
        return True
    try:
        low, high = enclose(difference)
    except (NotCompilable, ValueError):
        return bool(sp.simplify(difference) == 0)
    return -AGREEMENT <= low and high <= AGREEMENT


def solve_graph(spec: ExerciseSpec[Graph]) -> Derivation:
    """Forward values, local derivatives, backpropagated gradients, the check against sympy.diff, and the picture."""
    data = spec.data
    circuit = data.gates
    b = Builder(spec, "Computational graph")
    values: dict[str, sp.Expr] = {name: exact(v) for name, v in data.values}
    given = {name: values[name] for name in circuit.inputs}
    n = len(circuit.gates)

    b.heading("Forward pass")
    named: list[Any] = []
    for i, gate in enumerate(circuit.gates[:-1]):
        named += [", " if i else "; the intermediate nodes are called ", symbol(gate.name)]
    b.say(f"The formula splits into {n} operation{'s' if n > 1 else ''}, one node each", *named,
          ". The forward pass computes them in order from the inputs:")
    for gate in circuit.gates:
        value = _checked(spec, f"{gate.name} = {sp.sstr(written(gate))}",
                         sp.sympify(OPERATIONS[gate.op](*_arguments(gate, values))), values, gate)
        values[gate.name] = value
        b.equation(symbol(gate.name), written(gate), [_substituted(written(gate), values)], value,
                   quantity=gate.name,
                   caption=("the output ", symbol(OUTPUT)) if gate.name == OUTPUT else ("node ", symbol(gate.name)))

    b.heading("Local derivatives")
    b.say("Each node's derivative with respect to each node it reads is SymPy's derivative of the node's "
          "definition, at the forward values:")
    locals_: dict[tuple[str, str], sp.Expr] = {}
    for gate in circuit.gates:
        for source in gate.sources():
            rule = _local(gate, source)
            at = _substituted(rule, values)
            local = _checked(spec, f"∂{gate.name}/∂{source} = {sp.sstr(rule)}",
                             sp.sympify(rule.xreplace({symbol(k): v for k, v in values.items()})), values, gate)
            locals_[gate.name, source] = local
            name = local_name(gate.name, source, circuit)
            shown = [at] if rule.free_symbols else []
            final = name == gradient_name(source) and source in circuit.inputs
            b.equation(_local_symbol(gate.name, source, name), rule, shown, local, quantity=name,
                       caption=("gradient with respect to ", symbol(source)) if final
                       else ("local derivative of ", symbol(gate.name), " with respect to ", symbol(source)))

    b.heading("Backward pass")
    b.say("Backpropagation starts with ", sp.Eq(_gradient_symbol(OUTPUT), 1, evaluate=False),
          " at the output and goes backwards: a node's gradient is the "
          "gradient of each node it feeds times the local derivative on that wire, added over all the wires "
          "leaving it (where a node feeds several others, a fork, the gradients add up).")
    gradients: dict[str, sp.Expr] = {OUTPUT: sp.S.One}
    for node in backward_order(circuit):
        consumers = circuit.consumers(node)
        terms = [gradients[c] * locals_[c, node] for c in consumers]
        gradients[node] = _checked(spec, f"∂f/∂{node}", sp.Add(*terms), values, circuit.gates[-1])
        name = gradient_name(node)
        if consumers == (OUTPUT,):
            b.say(symbol(node), " feeds only the output, so its gradient is ", symbol(OUTPUT),
                  "'s local derivative found above:")
            b.equation(_gradient_symbol(node), None, (), gradients[node])
            continue
        with sp.evaluate(False):
            rule = sp.Add(*[sp.Mul(_gradient_symbol(c), _local_symbol(c, node, local_name(c, node, circuit)))
                            if c != OUTPUT else _local_symbol(c, node, local_name(c, node, circuit))
                            for c in consumers])
            put_in = sp.Add(*[sp.Mul(gradients[c], locals_[c, node]) if c != OUTPUT else locals_[c, node]
                              for c in consumers])
        if len(consumers) > 1:
            fed: list[Any] = []
            for i, c in enumerate(consumers):
                fed += [" and " if i == len(consumers) - 1 else ", " if i else "", symbol(c)]
            b.say(symbol(node), " feeds ", *fed, ": a fork, so the gradients of its branches add up.")
        caption = ("gradient with respect to " if node in circuit.inputs else "gradient at node ", symbol(node))
        b.equation(_gradient_symbol(node), rule, [put_in], gradients[node], quantity=name, caption=caption)

    b.step(Figure("The graph: values above the wires, gradients ∂f/∂· below", f"{spec.id}_graph", (),
                  diagram=_diagram(circuit, values, gradients, locals_)))

    b.heading("Check against the derivative of the whole formula")
    whole = _whole_formula(circuit)
    b.say("Differentiating the whole formula with SymPy gives the same gradients of the inputs:")
    for name in circuit.inputs:
        direct = sp.diff(whole, symbol(name))
        at = direct.xreplace({symbol(k): v for k, v in given.items()})
        if not _equal(sp.sympify(at), gradients[name]):
            raise ArithmeticError(f"exercise {spec.id}: backpropagation gives ∂f/∂{name} = {gradients[name]} "
                                  f"but sympy.diff of the formula gives {at}")
        b.equation(_gradient_symbol(name), _compact(direct), (), gradients[name])

    b.remark("A node's gradient is the sum over the wires leaving it of (gradient of the node the wire enters) × "
             "(local derivative on the wire); a node that feeds one other node has a single term.")
    return b.done([OUTPUT, *(gradient_name(name) for name in circuit.inputs)])


COMPACT_OPS = 30
"""A derivative with more operations than this is shown as ``sympy.diff`` gives it (factoring costs seconds)."""


def _compact(expr: sp.Expr) -> sp.Expr:
    """The formula's derivative in a short form when SymPy finds one quickly."""
    if sp.count_ops(expr) > COMPACT_OPS:
        return expr
    shorter = sp.factor(expr)
    return shorter if sp.count_ops(shorter) < sp.count_ops(expr) else expr


def _gradient_symbol(node: str) -> sp.Basic:
    return nt.Partial(sp.Symbol(OUTPUT), symbol(node))


def _local_symbol(gate: str, source: str, name: str) -> sp.Basic:
    if name.endswith("_local"):
        return nt.Label(name, r"\left.\frac{\partial %s}{\partial %s}\right|_{\text{local}}"
                        % (sp.latex(symbol(gate)), sp.latex(symbol(source))))
    return nt.Partial(symbol(gate), symbol(source))


# ---------------------------------------------------------------------------
# The picture.


def placement(circuit: Circuit) -> dict[str, tuple[int, float]]:
    """Each node's (column, row): a gate one column right of the furthest node it reads, an input just left
    of its first reader, rows from the inputs' order of first use, nodes of one column kept apart."""
    column: dict[str, int] = {}
    for gate in circuit.gates:
        column[gate.name] = 1 + max((column[s] for s in gate.sources() if s in column), default=0)
    for name in circuit.inputs:
        column[name] = min(column[c] for c in circuit.consumers(name)) - 1
    shift = -min(column.values())
    order: list[str] = []
    for gate in circuit.gates:
        order += [s for s in gate.inputs if s in circuit.inputs and s not in order]
    row: dict[str, float] = {name: float(i) for i, name in enumerate(order)}
    for gate in circuit.gates:
        row[gate.name] = sum(row[s] for s in gate.sources()) / len(gate.sources())
    for c in set(column.values()):
        members = sorted((n for n in column if column[n] == c), key=lambda n: (row[n], n))
        for above, below in zip(members, members[1:]):
            if row[below] < row[above] + 1:
                row[below] = row[above] + 1
    return {n: (column[n] + shift, row[n]) for n in column}


def _diagram(circuit: Circuit, values: dict[str, sp.Expr], gradients: dict[str, sp.Expr],
             locals_: dict[tuple[str, str], sp.Expr]) -> Diagram:
    where = placement(circuit)
    top = min(r for _, r in where.values())
    drawn: list[DiagramNode] = []
    for name in circuit.inputs:
        col, row = where[name]
        fork = len(circuit.consumers(name)) > 1
        drawn.append(DiagramNode(name, _mathtext(name), col, row - top, "input",
                                 gradient=gradients[name] if fork else None))
    for gate in circuit.gates:
        col, row = where[gate.name]
        fork = len(circuit.consumers(gate.name)) > 1
        drawn.append(DiagramNode(gate.name, label(gate), col, row - top, "gate",
                                 gradient=gradients[gate.name] if fork else None))
    out_col, out_row = where[OUTPUT]
    drawn.append(DiagramNode("out", "$f$", out_col + 1, out_row - top, "output"))
    edges = [DiagramEdge(s, g.name, values[s], gradients[g.name] * locals_[g.name, s])
             for g in circuit.gates for s in g.sources()]
    edges.append(DiagramEdge(OUTPUT, "out", values[OUTPUT], sp.S.One))
    return Diagram(tuple(drawn), tuple(edges), ("values above the wires", "gradients ∂f/∂· below the wires"))


def _mathtext(name: str) -> str:
    """An input's name with its digits as a subscript, ``w0`` as $w_{0}$."""
    match = re.fullmatch(r"([A-Za-z]+)(\d+)", name)
    return f"${match.group(1)}_{{{match.group(2)}}}$" if match else f"${name}$"


# ---------------------------------------------------------------------------
# Statement, reference, variants, check.


def graph_statement(data: Graph) -> list[Line]:
    """The formula and the inputs' values."""
    circuit = data.gates
    parts: list[Any] = ["Inputs: "]
    for i, (name, value) in enumerate(data.values):
        parts += [", " if i else "", sp.Eq(symbol(name), exact(value), evaluate=False)]
    return [("The computational graph of ", sp.Eq(sp.Symbol(OUTPUT), _written_formula(circuit), evaluate=False),
             "."), (*parts, "."),
            ("Compute the value of every node in a forward pass and the gradient of ", sp.Symbol(OUTPUT),
             " with respect to every input by backpropagation.")]


def graph_reference(data: Graph) -> Values:
    """The numpy twin (:func:`symnn.sheets.reference.graph.evaluate_graph`)."""
    return evaluate_graph(data.gates, dict(data.values))


DEFINED = "every value is defined (no log of a non-positive number, no division by 0) (always)"
NONZERO = "some gradient ∂f/∂input of at least min_gradient in size: not all zero (min_gradient)"
TIE = "no tie at a max or min and no |·| at 0, where the derivative is a convention (relu_zero)"


def graph_rejects(data: Graph, values: Values, c: Constraints) -> list[str]:
    """Undefined values, all-zero input gradients, and (unless allowed) ties at max/min and |·| at 0."""
    failed = []
    numbers = np.array([float(np.asarray(v)) for v in values.values()])
    if not np.all(np.isfinite(numbers)):
        return [DEFINED]
    smallest = float(c.min_gradient) if c.min_gradient is not None else ZERO
    if all(abs(float(np.asarray(values[gradient_name(n)]))) < smallest for n in data.inputs):
        failed.append(NONZERO)
    if c.relu_zero and kinks(data.gates, forward(data.gates, dict(data.values))):
        failed.append(TIE)
    return failed


def graph_programs(data: Graph) -> dict[str, Program]:
    """Each gate's definition and each local derivative, compiled for ``symnn check``."""
    circuit = data.gates
    programs: dict[str, Program] = {}
    for gate in circuit.gates:
        variables = tuple(symbol(s) for s in gate.sources())
        programs[f"gate:{gate.name}"] = compile_program(definition(gate), variables)
        for source in gate.sources():
            programs[f"local:{gate.name}:{source}"] = compile_program(_local(gate, source), variables)
    return programs


def graph_recipes(data: Graph, programs: Programs) -> Recipes:
    """Values, local derivatives and gradients from a student's own earlier numbers; two named mistakes:
    a local derivative not multiplied by the upstream gradient, and one branch of a fork kept alone."""
    circuit = data.gates
    given = {name: Interval.point(v) for name, v in data.values}

    def env(gate: Gate, v: Earlier) -> dict[str, Interval]:
        return {s: given[s] if s in given else v[s][0][0] for s in gate.sources()}

    def at(program: Program, gate: Gate) -> Any:
        return lambda v: interval_scalar(evaluate(program, env(gate, v), INTERVALS))

    r = Recipes()
    for gate in circuit.gates:
        needs = tuple(s for s in gate.sources() if s not in given)
        r.rule(gate.name, needs, at(programs[f"gate:{gate.name}"], gate))
        for source in gate.sources():
            r.rule(local_name(gate.name, source, circuit), needs, at(programs[f"local:{gate.name}:{source}"], gate))

    def upstream(c: str, v: Earlier) -> Interval:
        return Interval.point(Fraction(1)) if c == OUTPUT else v[gradient_name(c)][0][0]

    def branch(node: str, c: str) -> tuple[tuple[str, ...], Any]:
        local = local_name(c, node, circuit)
        needs = (local,) if c == OUTPUT else (gradient_name(c), local)
        return needs, lambda v: interval_scalar(upstream(c, v) * v[local][0][0])

    for node in backward_order(circuit):
        consumers = circuit.consumers(node)
        if consumers == (OUTPUT,):
            continue  # its gradient is f's local derivative, a rule above
        name = gradient_name(node)
        branches = [branch(node, c) for c in consumers]
        needs = tuple(dict.fromkeys(n for b_needs, _ in branches for n in b_needs))
        r.rule(name, needs, _summed([compute for _, compute in branches]))
        locals_needed = tuple(local_name(c, node, circuit) for c in consumers)
        upstreams = " and ".join(f"∂f/∂{c}" for c in consumers if c != OUTPUT)
        r.mistake(name, locals_needed, _summed([_read(n) for n in locals_needed]),
                  f"the local derivative{'s' if len(consumers) > 1 else ''} of {node} "
                  f"{'were' if len(consumers) > 1 else 'was'} not multiplied by the upstream gradient {upstreams}")
        if len(consumers) > 1:
            for c, (b_needs, compute) in zip(consumers, branches):
                others = ", ".join(o for o in consumers if o != c)
                r.mistake(name, b_needs, compute,
                          f"the gradients were not summed at the fork: {node} also feeds {others}, and only the "
                          f"branch through {c} was kept")
    return r


def _read(name: str) -> Any:
    return lambda v: v[name]


def _summed(parts: list[Any]) -> Any:
    """The sum of scalar computations (each a 1×1 interval matrix)."""
    def total(v: Earlier) -> IMatrix:
        result = parts[0](v)[0][0]
        for part in parts[1:]:
            result = result + part(v)[0][0]
        return interval_scalar(result)
    return total


GRAPH: Kind[Graph] = Kind(
    name="graph", data=Graph, solve=solve_graph, reference=graph_reference, statement=graph_statement,
    rejects=graph_rejects, programs=graph_programs, recipes=graph_recipes)
"""The declaration of kind ``graph``."""
