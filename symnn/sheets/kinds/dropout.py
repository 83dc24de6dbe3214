"""Inverted dropout with a given mask: forward, backward, why it scales by 1/p, and test time (kind ``dropout``).

One definition, ``a_drop = m a / p`` for an activation ``a``, its mask entry ``m`` (1 keeps,
0 drops) and the keep probability ``p``: the forward pass applies it entry by entry, the
backward pass multiplies the upstream gradient by its SymPy derivative ``∂a_drop/∂a``, and
the expectation argument averages it over ``m ~ Bernoulli(p)``.  At test time inverted
dropout passes the activations through unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy as sp

from symnn.core import interval as iv
from symnn.errors import ShapeError
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, exact, small, to_matrix
from symnn.sheets.constraints import Constraints
from symnn.sheets.fields import Context, Matrix, given, read_matrix, read_scalar, shape, shape_text
from symnn.sheets.kinds.base import Kind
from symnn.sheets.recipes import Programs, Recipes
from symnn.sheets.reference.arrays import Values
from symnn.sheets.reference.dropout import evaluate_dropout
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.statement import Line
from symnn.sheets.steps import Derivation

a, m, p = sp.symbols("a m p", real=True)
DROPPED = a * m / p
"""Inverted dropout of one activation ``a`` with mask entry ``m`` and keep probability ``p``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Dropout:
    """Activations, the dropout mask drawn for them, the keep probability and (optionally) an upstream gradient."""

    A: Matrix = given(read_matrix)
    """The activations."""
    M: Matrix = given(read_matrix)
    """The mask: 1 keeps an entry, 0 drops it; the shape of A."""
    p: Fraction = given(read_scalar, default=Fraction(1, 2))
    """The keep probability (the probability that a mask entry is 1), 0 < p ≤ 1."""
    grad: Matrix | None = given(read_matrix, default=None)
    """The upstream gradient ∂L/∂A_drop, the shape of A (none: no backward numbers)."""

    def check(self, ctx: Context) -> None:
        """The mask has the shape of A and only 0s and 1s; 0 < p ≤ 1 (p = 1 keeps everything); grad has A's shape."""
        if shape(self.M) != shape(self.A):
            raise ctx.error(f"M is {shape_text(self.M)} but A is {shape_text(self.A)}; they must have the same shape",
                            ShapeError)
        for i, row in enumerate(self.M, start=1):
            for j, v in enumerate(row, start=1):
                if v not in (0, 1):
                    raise ctx.error(f"M[{i}][{j}] is {v}, but a dropout mask holds only 0 (drop) and 1 (keep)")
        if not 0 < self.p <= 1:
            raise ctx.error(f"p is the keep probability and must lie in (0, 1], got {self.p}")
        if self.p == 1 and any(v == 0 for row in self.M for v in row):
            raise ctx.error("p = 1 keeps every entry, but M drops some (has a 0)")
        if self.grad is not None and shape(self.grad) != shape(self.A):
            raise ctx.error(f"grad is {shape_text(self.grad)} but A is {shape_text(self.A)}; "
                            "they must have the same shape", ShapeError)


def _written(M: sp.MatrixBase, X: sp.MatrixBase, keep: sp.Basic) -> sp.ImmutableMatrix:
    """Every entry as ``m·x/p``, nothing computed."""
    with sp.evaluate(False):
        return sp.ImmutableMatrix(M.rows, M.cols, [sp.Mul(sp.Mul(mv, xv), sp.Pow(keep, -1)) for mv, xv in zip(M, X)])


def solve_dropout(spec: ExerciseSpec[Dropout]) -> Derivation:
    """Forward with the given mask, backward by SymPy's derivative, the expectation argument, and test time."""
    f = spec.data
    A, M, keep = to_matrix(f.A), to_matrix(f.M), exact(f.p)
    rows, cols = A.shape
    b = Builder(spec, "Inverted dropout")
    Asym, Msym = nt.matrix("A", rows, cols), nt.matrix("M", rows, cols)
    a_drop = nt.Named("a", "drop")

    b.heading("Forward pass (training)")
    kept = sum(1 for v in M if v == 1)
    b.say("Inverted dropout keeps an activation where its mask entry is 1, drops it where it is 0, and divides the "
          "kept ones by the keep probability ", sp.Eq(p, keep, evaluate=False), ". For one activation a with mask "
          "entry m:")
    b.equation(a_drop, DROPPED)
    b.say(f"The mask keeps {kept} of the {rows * cols} activations (a fraction of {sp.Rational(kept, rows * cols)}; "
          f"on average a fraction p is kept).")
    forward = sp.ImmutableMatrix(A.multiply_elementwise(M) / keep)
    formula = sp.MatMul(sp.Pow(p, -1), nt.Hadamard(Msym, Asym), evaluate=False)
    b.equation(nt.NamedMatrix("A_drop", rows, cols), formula, [_written(M, A, keep)] if small(A) else [], forward,
               quantity="A_drop", caption="activations after dropout")
    summary = ["A_drop"]

    b.heading("Backward pass")
    slope = sp.diff(DROPPED, a)
    b.say("SymPy differentiates the definition with respect to the activation: ",
          sp.Eq(nt.Partial(a_drop, a), slope, evaluate=False),
          ". A dropped activation gets no gradient; a kept one gets the upstream gradient divided by p.")
    if f.grad is not None:
        G = to_matrix(f.grad)
        Gsym = nt.MatrixPartial(sp.Symbol("L"), nt.NamedMatrix("A_drop", rows, cols))
        backward = sp.ImmutableMatrix(G.multiply_elementwise(M) / keep)
        b.equation(nt.MatrixPartial(sp.Symbol("L"), Asym),
                   sp.MatMul(sp.Pow(p, -1), nt.Hadamard(Msym, Gsym), evaluate=False),
                   [_written(M, G, keep)] if small(A) else [], backward,
                   quantity="dA", caption="gradient with respect to the activations")
        summary.append("dA")

    b.heading("Why divide by p: the expectation")
    b.say("Each mask entry is 1 with probability p and 0 with probability 1 − p, so the expected output of one "
          "activation is")
    outcomes = [(p, DROPPED.xreplace({m: 1})), (1 - p, DROPPED.xreplace({m: 0}))]
    with sp.evaluate(False):
        terms = sp.Add(*[sp.Mul(prob, sp.UnevaluatedExpr(value)) for prob, value in outcomes])
    expected = nt.Label("E[a_drop]", r"\operatorname{E}\left[a_{\text{drop}}\right]")
    b.equation(expected, terms, [sp.simplify(sp.Add(*[prob * value for prob, value in outcomes]))])
    b.say("the activation itself, whatever p is. Training with dropout therefore sees activations of the same "
          "expected size as the full network does at test time.")

    b.heading("Test time")
    b.say("At test time nothing is dropped and, because the training pass already divided by p, nothing is "
          "scaled either: the layer passes its activations through unchanged.")
    b.equation(nt.NamedMatrix("A_test", rows, cols), Asym, (), A, quantity="A_test",
               caption="activations at test time")
    summary.append("A_test")
    b.remark("Convention: this is inverted dropout, which scales by 1/p during training. The original "
             "formulation keeps the kept activations as they are during training and instead multiplies by p at "
             "test time, which gives the same expected values.")
    return b.done(summary)


def reference(data: Dropout) -> Values:
    """The numpy twin."""
    return evaluate_dropout(data.A, data.M, data.p, data.grad)


def dropout_statement(data: Dropout) -> list[Line]:
    """The activations, the mask, the keep probability and the upstream gradient when given."""
    rows, cols = shape(data.A)
    lines: list[Line] = [
        ("The activations are ", sp.Eq(nt.matrix("A", rows, cols), to_matrix(data.A), evaluate=False), "."),
        ("The dropout mask drawn for them (1 keeps, 0 drops) is ",
         sp.Eq(nt.matrix("M", rows, cols), to_matrix(data.M), evaluate=False), ", with keep probability ",
         sp.Eq(p, exact(data.p), evaluate=False), "."),
    ]
    if data.grad is not None:
        lines.append(("The upstream gradient is ", sp.Eq(nt.MatrixPartial(sp.Symbol("L"), nt.NamedMatrix(
            "A_drop", rows, cols)), to_matrix(data.grad), evaluate=False), "."))
    return lines


def dropout_rejects(data: Dropout, values: Values, c: Constraints) -> list[str]:
    """A drawn mask must keep something and drop something; the gradient must not vanish (``min_gradient``)."""
    found = []
    kept = sum(1 for row in data.M for v in row if v == 1)
    if kept == 0 or (kept == len(data.M) * len(data.M[0]) and data.p < 1):
        found.append("a mask that keeps some activations and drops others (dropout)")
    if c.min_gradient is not None and "dA" in values and np.max(np.abs(np.asarray(values["dA"]))) < float(
            c.min_gradient):
        found.append(f"gradients not vanishingly small, some |∂L/∂A| ≥ {c.min_gradient} (min_gradient)")
    return found


def recipes(data: Dropout, programs: Programs) -> Recipes:
    """The scaling left out or done with p or 1 − p, the mask read backwards, and scaling at test time."""
    A, M, keep = iv.const(data.A), iv.const(data.M), data.p
    flipped = iv.emap(lambda v: 1 - v, M)
    r = Recipes()
    r.mistake("A_drop", (), lambda v: iv.hadamard(M, A), "the kept activations were not divided by p")
    r.mistake("A_drop", (), lambda v: iv.scale(keep, iv.hadamard(M, A)),
              "the kept activations were multiplied by p instead of divided by p (inverted dropout divides by p "
              "during training)")
    if keep < 1:
        r.mistake("A_drop", (), lambda v: iv.scale(1 / (1 - keep), iv.hadamard(M, A)),
                  "the kept activations were divided by the drop probability 1 − p instead of the keep probability p")
        r.mistake("A_drop", (), lambda v: iv.scale(1 / keep, iv.hadamard(flipped, A)),
                  "the mask was read backwards: 1 keeps an activation and 0 drops it")
    if data.grad is not None:
        G = iv.const(data.grad)
        r.mistake("dA", (), lambda v: iv.scale(1 / keep, G),
                  "the mask was not applied in the backward pass: dropped activations get no gradient")
        r.mistake("dA", (), lambda v: iv.hadamard(M, G), "the gradient was not divided by p")
    r.mistake("A_test", (), lambda v: iv.scale(keep, A),
              "the activations were scaled by p at test time, as the original (non-inverted) dropout does; "
              "inverted dropout already divided by p during training, so at test time nothing is scaled")
    r.mistake("A_test", (), lambda v: iv.scale(1 / keep, A),
              "the activations were divided by p at test time; inverted dropout scales only during training")
    return r


DROPOUT = Kind(
    name="dropout",
    data=Dropout,
    solve=solve_dropout,
    reference=reference,
    statement=dropout_statement,
    rejects=dropout_rejects,
    recipes=recipes,
)
"""The declaration of kind ``dropout``."""
