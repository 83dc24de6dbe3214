"""The given data of kind ``network``: its fields and checks, statement, rejection rules and numpy twin."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from symnn.core.calculus import LOSSES, SOFTMAX, default_reduction
from symnn.errors import ShapeError
from symnn.sheets.build import exact, to_matrix
from symnn.sheets.constraints import KINKED, SATURATING, ZERO, Constraints
from symnn.sheets.fields import (
    Context,
    Layer,
    Matrix,
    choice,
    derived,
    field_values,
    given,
    read_bool,
    read_expand,
    read_int,
    read_matrix,
    read_network_layers,
    read_scalar,
    shape,
    shape_text,
)
from symnn.sheets.reference import numeric
from symnn.sheets.reference.arrays import Values
from symnn.sheets.statement import Line, general_rules, layer_line
from symnn.sheets.steps import Inline

REDUCTIONS = ("sum", "mean")
"""How a batch loss combines its samples' losses (default: :func:`symnn.core.calculus.default_reduction`)."""
MAX_STEPS = 20
"""Most gradient-descent steps one exercise may ask for."""
DEFAULT_EXPAND = (4, 4)
"""Matrices up to this many rows and columns have their substitution written out entry by entry."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DenseNetwork:
    """A dense network, its input and targets, its loss, and optionally gradient-descent steps."""

    x: Matrix = given(read_matrix)
    """The input, one column per sample."""
    y: Matrix = given(read_matrix)
    """The targets, one column per sample; for cross_entropy also class indices from 0 (kept as one-hot columns)."""
    layers: tuple[Layer, ...] = given(read_network_layers)
    """The layers, input side first: tables with ``W``, ``b`` (optional), ``activation`` (as in kind ``forward``; softmax on the last layer only) and ``alpha``."""
    loss: str = given(choice(tuple(LOSSES), "loss"))
    """The loss of one sample: its entries' terms summed (averaged for mse)."""
    learning_rate: Fraction | None = given(read_scalar, default=None)
    """η of a gradient-descent step (none: no step)."""
    reduction: str | None = given(choice(REDUCTIONS, "reduction"), default=None)
    """How a batch's sample losses combine (default: mean for mse, sum otherwise)."""
    steps: int | None = given(read_int, default=None)
    """How many steps' losses are asked for (none: one step, no loss after it)."""
    update_biases: bool = given(read_bool, default=True)
    """Whether the biases move in the steps."""
    expand: tuple[int, int] = given(read_expand, default=DEFAULT_EXPAND)
    """Largest (rows, columns) whose substitutions are written out entry by entry."""
    y_classes: tuple[int, ...] | None = derived()
    """The class indices (from 0) when ``y`` was given that way, else None (derived, not a TOML key)."""

    def as_fields(self) -> dict[str, Any]:
        """Every field by name (the form the numpy reference reads)."""
        return field_values(self)

    def check(self, ctx: Context) -> None:
        """Shapes, targets, loss and training settings fit together."""
        x, layers = self.x, self.layers
        if shape(layers[0].W)[1] != shape(x)[0]:
            raise ctx.error(
                f"W1 is {shape_text(layers[0].W)} but x is {shape_text(x)}; "
                f"W1 needs {shape(x)[0]} columns", ShapeError)
        out, samples = self._outputs()
        softmax_out = layers[-1].activation == SOFTMAX
        if self.loss == "cross_entropy" and not softmax_out:
            raise ctx.error("cross_entropy needs a softmax output layer; for a single sigmoid output use bce")
        if softmax_out and out < 2:
            raise ctx.error(f"softmax needs at least 2 outputs, but W{len(layers)} is {shape_text(layers[-1].W)}")
        if self._as_classes():
            _check_class_indices(self.y, out, samples, ctx)  # then the one-hot y fits by construction
        else:
            _check_targets(self.y, self.loss, out, samples, ctx)
        if self.steps is not None:
            if not 1 <= self.steps <= MAX_STEPS:
                raise ctx.error(f"steps must be between 1 and {MAX_STEPS}, got {self.steps}")
            if self.learning_rate is None:
                raise ctx.error(f"steps = {self.steps} needs a learning_rate")
        if self.learning_rate is not None and self.learning_rate <= 0:
            raise ctx.error(f"learning_rate must be positive, got {self.learning_rate}")

    def complete(self) -> DenseNetwork:
        """Class-index targets as one-hot columns (the indices kept in ``y_classes``); the default reduction."""
        reduction = self.reduction or default_reduction(self.loss)
        if not self._as_classes():
            return replace(self, reduction=reduction)
        classes = tuple(int(v) for row in self.y for v in row)
        y = tuple(tuple(Fraction(int(c == k)) for c in classes) for k in range(self._outputs()[0]))
        return replace(self, y=y, y_classes=classes, reduction=reduction)

    def _outputs(self) -> tuple[int, int]:
        """(outputs, samples): the shape of the network's output and of its targets."""
        return shape(self.layers[-1].W)[0], shape(self.x)[1]

    def _as_classes(self) -> bool:
        """Whether ``y`` gives class indices: cross-entropy targets not of the output's shape."""
        return self.loss == "cross_entropy" and shape(self.y) != self._outputs()


def _check_targets(y: Matrix, loss: str, out: int, samples: int, ctx: Context) -> None:
    """Targets of the output's shape; in [0, 1] for bce and cross-entropy, one-hot columns for the latter."""
    if shape(y) != (out, samples):
        raise ctx.error(f"y is {shape_text(y)} but the network outputs {out}×{samples}", ShapeError)
    if loss in ("bce", "cross_entropy"):
        for row in y:
            for v in row:
                if not 0 <= v <= 1:
                    raise ctx.error(f"{LOSSES[loss].description} needs targets y in [0, 1], got {v}")
    if loss == "cross_entropy":
        for j in range(samples):
            total = sum(row[j] for row in y)
            if total != 1:
                raise ctx.error(f"cross_entropy needs each sample's targets to sum to 1 (one-hot), but "
                                f"column {j + 1} of y sums to {total}")


def _check_class_indices(y: Matrix, classes: int, samples: int, ctx: Context) -> None:
    """Targets given as class indices (0-based): a number, or one row or column of them."""
    flat = [v for row in y for v in row]
    if len(flat) != samples or (shape(y)[0] != 1 and shape(y)[1] != 1):
        raise ctx.error(f"y is {shape_text(y)}; cross_entropy needs one-hot targets ({classes}×{samples}) "
                        f"or {samples} class index{'es' if samples > 1 else ''} (0 to {classes - 1})",
                        ShapeError)
    for v in flat:
        if v.denominator != 1 or not 0 <= v < classes:
            raise ctx.error(f"class index {v} in y is not a whole number from 0 to {classes - 1}")


def network_statement(f: DenseNetwork) -> list[Line]:
    """A network's given data: input, targets, layers, loss and training settings."""
    x, layers = to_matrix(f.x), f.layers
    samples = x.cols
    opening = (f"A network with {len(layers)} dense layer{'s' if len(layers) > 1 else ''} (",
               *general_rules(), ") receives the input ")
    lines: list[Line] = [(*opening,
                          sp.Eq(sp.Symbol("x"), x, evaluate=False),
                          f" ({samples} samples, one per column)." if samples > 1 else ".")]
    if f.y_classes is not None:
        lines.append(("The target classes (counting from 0) are " + ", ".join(map(str, f.y_classes)) + ".",))
    elif len(f.y) == 1 and len(f.y[0]) == 1:
        lines.append(("The target is ", sp.Eq(sp.Symbol("y"), exact(f.y[0][0]), evaluate=False), "."))
    else:
        lines.append(("The targets are ", sp.Eq(sp.Symbol("y"), to_matrix(f.y), evaluate=False), "."))
    lines += [layer_line(n, layer) for n, layer in enumerate(layers, start=1)]
    words = f"The loss is the {LOSSES[f.loss].description}"
    if samples > 1:
        words += f"; the batch loss is the {f.reduction or 'sum'} of the samples' losses"
    lines.append((words + ".",))
    if f.learning_rate is not None:
        rate: list[Inline] = ["Gradient descent uses the learning rate ",
                              sp.Eq(sp.Symbol("eta"), exact(f.learning_rate), evaluate=False)]
        if f.steps is not None:
            rate.append(f" for {f.steps} step{'s' if f.steps > 1 else ''}")
        if not f.update_biases:
            rate.append("; the biases stay fixed")
        lines.append((*rate, "."))
    return lines


def layer_rejects(activation: str, Z: np.ndarray[Any, Any], c: Constraints) -> list[str]:
    """A drawn layer's pre-activations Z at a ReLU-type kink (0) or deep in a sigmoid/tanh's saturation."""
    found = []
    if c.relu_zero and activation in KINKED and np.any(np.abs(Z) < ZERO):
        found.append("no pre-activation exactly 0 at a ReLU-type layer (relu_zero)")
    if c.saturation is not None and activation in SATURATING and np.any(np.abs(Z) > float(c.saturation)):
        found.append(f"no saturated sigmoid/tanh input, |z| ≤ {c.saturation} (saturation)")
    return found


def network_rejects(f: DenseNetwork, values: Values, c: Constraints) -> list[str]:
    """Kinks at 0, saturation, softmax ties, dead layers and vanishing gradients of a drawn network."""
    layers = f.layers
    found: list[str] = []
    dead_layers = [l for l, layer in enumerate(layers[:-1], start=1)
                   if layer.activation == "relu" and not np.any(np.asarray(values[f"A{l}"]))]
    for l, layer in enumerate(layers, start=1):
        Z = np.asarray(values[f"Z{l}"])
        found += layer_rejects(layer.activation, Z, c)
        if c.softmax_ties and layer.activation == "softmax":
            top = np.sort(Z, axis=0)[-2:, :]
            if np.any(np.abs(top[1] - top[0]) < ZERO):
                found.append("no tie between the two largest softmax inputs (softmax_ties)")
    if c.dead == "reject" and dead_layers:
        found.append("no dead hidden ReLU layer (dead = \"reject\")")
    if c.dead == "require" and not dead_layers:
        found.append("a dead hidden ReLU layer, as the exercise asks (dead = \"require\")")
    if c.min_gradient is not None:
        # A dead layer zeroes its own gradient, every one below it, and the next layer's
        # (whose input is all zeros): only layers after that must learn.
        first = max(dead_layers, default=-1) + 2 if c.dead != "reject" and dead_layers else 1
        for l in range(first, len(layers) + 1):
            if np.max(np.abs(np.asarray(values[f"dL_dW{l}"]))) < float(c.min_gradient):
                found.append(f"gradients not vanishingly small, some |∂L/∂W| ≥ {c.min_gradient} (min_gradient)")
                break
    return found


def network_reference(f: DenseNetwork) -> Values:
    """The numpy twin (:func:`symnn.sheets.reference.numeric.evaluate_network`)."""
    return numeric.evaluate_network(f.as_fields())
