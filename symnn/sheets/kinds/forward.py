"""Kind ``forward``: one dense layer, its weighted sum and activation, written out.

The values are the network engine's (:mod:`symnn.library.engine`); the steps are the
network kind's layer steps (:mod:`symnn.sheets.kinds.network.writing`), and ``symnn check``
recomputes A from a student's Z with the network kind's layer rules.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from symnn.core import interval as iv
from symnn.core.calculus import SOFTMAX
from symnn.core.formula import Formula
from symnn.errors import ShapeError
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, to_matrix
from symnn.sheets.constraints import Constraints
from symnn.sheets.fields import (
    DEFAULT_ALPHA,
    Context,
    Layer,
    Matrix,
    activation_parts,
    derived,
    field_values,
    given,
    read_activation,
    read_expand,
    read_matrix,
    read_scalar,
    shape,
    shape_text,
)
from symnn.sheets.kinds.base import Kind
from symnn.sheets.kinds.network.data import DEFAULT_EXPAND, layer_rejects
from symnn.sheets.kinds.network.recipes import layer_of, layer_rules
from symnn.sheets.kinds.network.setting import rule_of
from symnn.sheets.kinds.network.writing import show_activation, show_rule_definitions, show_weighted_sum, shown
from symnn.sheets.pictures import network_figure
from symnn.sheets.recipes import Programs, Recipes
from symnn.sheets.reference import numeric
from symnn.sheets.reference.arrays import Values
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.statement import Line, activation_words
from symnn.sheets.steps import Derivation, Inline


@dataclass(frozen=True, slots=True, kw_only=True)
class Forward:
    """One dense layer and its input: Z = W X + b, A = f(Z)."""

    W: Matrix = given(read_matrix)
    """Weights, (outputs × inputs)."""
    X: Matrix = given(read_matrix)
    """The input, one column per sample."""
    b: Matrix | None = given(read_matrix, default=None)
    """Bias: a column, or one column per sample (none: no bias)."""
    activation: str = given(read_activation)
    """A built-in activation's name, ``softmax``, or a custom one: ``{ formula = "x / (1 + abs(x))", name = "softsign" }``."""
    alpha: Fraction | None = given(read_scalar, default=None)
    """Slope of leaky ReLU and ELU (default 0.01 for leaky ReLU, 1 for ELU)."""
    expand: tuple[int, int] = given(read_expand, default=DEFAULT_EXPAND)
    """Largest (rows, columns) whose substitutions are written out entry by entry."""
    formula: Formula | None = derived()
    """A custom activation's parsed formula (derived from ``activation``, not a TOML key)."""

    @property
    def layer(self) -> Layer:
        """The layer as a network layer."""
        return Layer(self.W, self.b, self.activation, self.alpha, self.formula)

    def as_fields(self) -> dict[str, Any]:
        """Every field by name (the form the numpy reference reads)."""
        return field_values(self)

    def check(self, ctx: Context) -> None:
        """W must multiply X, b must fit W X, softmax needs two outputs."""
        W, X = self.W, self.X
        if shape(W)[1] != shape(X)[0]:
            raise ctx.error(
                f"W is {shape_text(W)} but X is {shape_text(X)}; W needs {shape(X)[0]} columns "
                "to multiply X", ShapeError)
        if self.b is not None and shape(self.b) not in ((shape(W)[0], 1), (shape(W)[0], shape(X)[1])):
            raise ctx.error(f"b is {shape_text(self.b)} but W X is {shape(W)[0]}×{shape(X)[1]}; "
                            f"b needs {shape(W)[0]} rows", ShapeError)
        if self.activation == SOFTMAX and shape(W)[0] < 2:
            raise ctx.error(f"softmax needs at least 2 outputs, but W is {shape_text(W)}")

    def complete(self) -> Forward:
        """A custom activation split into its name and ``formula``; the activation's default alpha."""
        name, formula = activation_parts(self.activation)
        alpha = self.alpha if self.alpha is not None else DEFAULT_ALPHA.get(name)
        return replace(self, activation=name, formula=formula, alpha=alpha)


def solve_forward(spec: ExerciseSpec[Forward]) -> Derivation:
    """A single dense layer: weighted sum and activation."""
    f = spec.data
    b = Builder(spec, "Forward pass")
    rule = rule_of(f.layer)
    W, X = to_matrix(f.W), to_matrix(f.X)
    bias = to_matrix(f.b) if f.b is not None else None
    b.heading("Weighted sum")
    b.say("Each output is the weighted sum of the inputs plus its bias: row i of W times the input, "
          f"plus entry i of b. W is {W.rows}×{W.cols} and X is {X.rows}×{X.cols}, so Z is {W.rows}×{X.cols}.")
    Z = show_weighted_sum(b, None, W, X, bias, "X", f.expand)
    b.heading("Activation")
    show_rule_definitions(b, [rule], W.rows)
    A = show_activation(b, None, Z, rule, f.expand)
    b.step(network_figure(f"{spec.id}_network", [W], [X, A], biases=[bias]))  # issue 15: the layer drawn
    return b.done([n for n, v in (("Z", Z), ("A", A)) if shown(v)])


def forward_statement(f: Forward) -> list[Line]:
    """One dense layer's given data."""
    k = sp.Symbol("k", positive=True, integer=True)
    Z, Ws, Xs, A, bs = (nt.matrix(n, k, k) for n in ("Z", "W", "X", "A", "b"))
    parts: list[Inline] = ["A dense layer computes ", sp.Eq(Z, Ws * Xs + bs, evaluate=False), " and ",
                           sp.Eq(A, nt.Elementwise("f", Z), evaluate=False), " with ",
                           sp.Eq(sp.Symbol("W"), to_matrix(f.W), evaluate=False), ", ",
                           sp.Eq(sp.Symbol("X"), to_matrix(f.X), evaluate=False)]
    if f.b is not None:
        parts += [", ", sp.Eq(sp.Symbol("b"), to_matrix(f.b), evaluate=False)]
    return [(*parts, ", "), (*activation_words(f.activation, f.alpha, f.formula), ".")]


def forward_rejects(f: Forward, values: Values, c: Constraints) -> list[str]:
    """Kinks at 0 and saturation of a drawn layer."""
    return layer_rejects(f.activation, np.asarray(values["Z"]), c)


def forward_reference(f: Forward) -> Values:
    """The numpy twin (:func:`symnn.sheets.reference.numeric.evaluate_forward`)."""
    return numeric.evaluate_forward(f.as_fields())


def forward_recipes(f: Forward, programs: Programs) -> Recipes:
    """Z from the given data, A from a student's Z; a missing bias, transposed weights, no activation."""
    r = Recipes()
    b = iv.const(f.b) if f.b is not None else None
    layer_rules(r, None, iv.const(f.W), b, layer_of(f.activation, f.formula, f.alpha), None, iv.const(f.X))
    return r


FORWARD: Kind[Forward] = Kind(
    name="forward", data=Forward, solve=solve_forward, reference=forward_reference,
    statement=forward_statement, rejects=forward_rejects, recipes=forward_recipes)
"""The declaration of kind ``forward``."""
