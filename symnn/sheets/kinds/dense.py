"""Kinds ``forward`` and ``network``, declared over their by-name given data.

These two kinds still read their given data as a mapping of field names (their
solver is :mod:`symnn.sheets.kinds.network`); this module adapts them to
:class:`~symnn.sheets.kinds.base.Kind`: the field rules and the checks between
fields, the statements, the rejection rules of random draws and the definitions
their check recipes (:mod:`symnn.sheets.kinds.dense_recipes`) need compiled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from symnn.core.calculus import LOSSES, SOFTMAX
from symnn.errors import ShapeError
from symnn.sheets.build import exact, to_matrix
from symnn.sheets.constraints import KINKED, SATURATING, ZERO, Constraints
from symnn.sheets.fields import (
    DEFAULT_ALPHA,
    Context,
    Matrix,
    Reader,
    activation_parts,
    choice,
    read_activation,
    read_bool,
    read_expand,
    read_int,
    read_matrix,
    read_network_layers,
    read_scalar,
    shape,
    shape_text,
)
from symnn.sheets.kinds.base import Kind
from symnn.sheets.kinds.dense_recipes import forward_recipes, network_recipes
from symnn.sheets.kinds.network import solve_forward, solve_network
from symnn.sheets.recipes import Program, compile_activations, compile_delta, compile_losses
from symnn.sheets.reference import numeric
from symnn.sheets.reference.arrays import Values
from symnn.sheets.statement import Line, activation_words, layer_line
from symnn.sheets.steps import Inline

Fields = Mapping[str, Any]
"""Given data read by name."""

REDUCTIONS = ("sum", "mean")
"""How a batch loss combines its samples' losses."""
MAX_STEPS = 20
"""Most gradient-descent steps one exercise may ask for."""
DEFAULT_EXPAND = (4, 4)
"""Matrices up to this many rows and columns have their substitution written out entry by entry."""


@dataclass(frozen=True, slots=True)
class FieldRule:
    """How one field of a kind read by name is read."""

    read: Reader
    """Function turning the TOML value into validated plain data."""
    required: bool = True
    """Whether the field must be present."""
    default: Any = None
    """Value used when an optional field is absent."""


def read_by_name(schema: Mapping[str, FieldRule], check: Callable[[dict[str, Any], Context], None]
                 ) -> Callable[[Mapping[str, Any], Context], Fields]:
    """A reader of given data kept as a mapping: each field by its rule, then ``check`` (which may complete it)."""
    def read(raw: Mapping[str, Any], ctx: Context) -> Fields:
        fields: dict[str, Any] = {}
        for name, rule in schema.items():
            if name in raw:
                fields[name] = rule.read(raw[name], name, ctx)
            elif rule.required:
                raise ctx.error(f"missing required field {name!r}")
            else:
                fields[name] = rule.default
        check(fields, ctx)
        return fields
    return read


FORWARD_FIELDS = {
    "W": FieldRule(read_matrix),
    "X": FieldRule(read_matrix),
    "b": FieldRule(read_matrix, required=False),
    "activation": FieldRule(read_activation),
    "alpha": FieldRule(read_scalar, required=False),
    "expand": FieldRule(read_expand, required=False, default=DEFAULT_EXPAND),
}
"""Field rules of kind ``forward``."""

NETWORK_FIELDS = {
    "x": FieldRule(read_matrix),
    "y": FieldRule(read_matrix),
    "layers": FieldRule(read_network_layers),
    "loss": FieldRule(choice(tuple(LOSSES), "loss")),
    "learning_rate": FieldRule(read_scalar, required=False),
    "reduction": FieldRule(choice(REDUCTIONS, "reduction"), required=False),
    "steps": FieldRule(read_int, required=False),
    "update_biases": FieldRule(read_bool, required=False, default=True),
    "expand": FieldRule(read_expand, required=False, default=DEFAULT_EXPAND),
}
"""Field rules of kind ``network``."""


def _check_forward(f: dict[str, Any], ctx: Context) -> None:
    """W must multiply X, b must fit W X; the activation is split into its name and formula."""
    W, X = f["W"], f["X"]
    if shape(W)[1] != shape(X)[0]:
        raise ctx.error(
            f"W is {shape_text(W)} but X is {shape_text(X)}; W needs {shape(X)[0]} columns "
            "to multiply X", ShapeError)
    b = f.get("b")
    if b is not None and shape(b) not in ((shape(W)[0], 1), (shape(W)[0], shape(X)[1])):
        raise ctx.error(f"b is {shape_text(b)} but W X is {shape(W)[0]}×{shape(X)[1]}; "
                        f"b needs {shape(W)[0]} rows", ShapeError)
    f["activation"], f["formula"] = activation_parts(f["activation"])
    if f.get("alpha") is None:
        f["alpha"] = DEFAULT_ALPHA.get(f["activation"])
    if f["activation"] == SOFTMAX and shape(W)[0] < 2:
        raise ctx.error(f"softmax needs at least 2 outputs, but W is {shape_text(W)}")


def _check_network(f: dict[str, Any], ctx: Context) -> None:
    """A network's shapes, targets, loss and training settings must fit together."""
    x, layers = f["x"], f["layers"]
    if shape(layers[0].W)[1] != shape(x)[0]:
        raise ctx.error(
            f"W1 is {shape_text(layers[0].W)} but x is {shape_text(x)}; "
            f"W1 needs {shape(x)[0]} columns", ShapeError)
    out, samples = shape(layers[-1].W)[0], shape(x)[1]
    softmax_out = layers[-1].activation == SOFTMAX
    if f["loss"] == "cross_entropy" and not softmax_out:
        raise ctx.error("cross_entropy needs a softmax output layer; for a single sigmoid output use bce")
    if softmax_out and out < 2:
        raise ctx.error(f"softmax needs at least 2 outputs, but W{len(layers)} is {shape_text(layers[-1].W)}")
    f["y_classes"] = None
    if f["loss"] == "cross_entropy" and shape(f["y"]) != (out, samples):
        f["y_classes"] = _class_indices(f["y"], out, samples, ctx)
        f["y"] = tuple(tuple(Fraction(int(c == k)) for c in f["y_classes"]) for k in range(out))
    y = f["y"]
    if shape(y) != (out, samples):
        raise ctx.error(f"y is {shape_text(y)} but the network outputs {out}×{samples}", ShapeError)
    if f["loss"] in ("bce", "cross_entropy"):
        for row in y:
            for v in row:
                if not 0 <= v <= 1:
                    raise ctx.error(f"{LOSSES[f['loss']].description} needs targets y in [0, 1], got {v}")
    if f["loss"] == "cross_entropy":
        for j in range(samples):
            total = sum(row[j] for row in y)
            if total != 1:
                raise ctx.error(f"cross_entropy needs each sample's targets to sum to 1 (one-hot), but "
                                f"column {j + 1} of y sums to {total}")
    if f["reduction"] is None:
        f["reduction"] = "mean" if f["loss"] == "mse" else "sum"
    if f["steps"] is not None:
        if not 1 <= f["steps"] <= MAX_STEPS:
            raise ctx.error(f"steps must be between 1 and {MAX_STEPS}, got {f['steps']}")
        if f["learning_rate"] is None:
            raise ctx.error(f"steps = {f['steps']} needs a learning_rate")
    if f["learning_rate"] is not None and f["learning_rate"] <= 0:
        raise ctx.error(f"learning_rate must be positive, got {f['learning_rate']}")


def _class_indices(y: Matrix, classes: int, samples: int, ctx: Context) -> tuple[int, ...]:
    """Targets given as class indices (0-based): a number, or one row or column of them."""
    flat = [v for row in y for v in row]
    if len(flat) != samples or (shape(y)[0] != 1 and shape(y)[1] != 1):
        raise ctx.error(f"y is {shape_text(y)}; cross_entropy needs one-hot targets ({classes}×{samples}) "
                        f"or {samples} class index{'es' if samples > 1 else ''} (0 to {classes - 1})",
                        ShapeError)
    for v in flat:
        if v.denominator != 1 or not 0 <= v < classes:
            raise ctx.error(f"class index {v} in y is not a whole number from 0 to {classes - 1}")
    return tuple(int(v) for v in flat)


def network_statement(f: Fields) -> list[Line]:
    """A network's given data: input, targets, layers, loss and training settings."""
    x, layers = to_matrix(f["x"]), f["layers"]
    samples = x.cols
    opening = (f"A network with {len(layers)} dense layer{'s' if len(layers) > 1 else ''} "
               "(Z_l = W_l A_(l−1) + b_l, A_l = f_l(Z_l), A_0 = x) receives the input ")
    lines: list[Line] = [(opening,
                          sp.Eq(sp.Symbol("x"), x, evaluate=False),
                          f" ({samples} samples, one per column)." if samples > 1 else ".")]
    if f.get("y_classes") is not None:
        lines.append(("The target classes (counting from 0) are " + ", ".join(map(str, f["y_classes"])) + ".",))
    else:
        lines.append(("The targets are ", sp.Eq(sp.Symbol("y"), to_matrix(f["y"]), evaluate=False), "."))
    lines += [layer_line(n, layer) for n, layer in enumerate(layers, start=1)]
    loss = LOSSES[f["loss"]]
    words = f"The loss is the {loss.description}"
    if samples > 1:
        words += f"; the batch loss is the {f.get('reduction') or 'sum'} of the samples' losses"
    lines.append((words + ".",))
    if f.get("learning_rate") is not None:
        rate: list[Inline] = ["Gradient descent uses the learning rate ",
                              sp.Eq(sp.Symbol("eta"), exact(f["learning_rate"]), evaluate=False)]
        if f.get("steps") is not None:
            rate.append(f" for {f['steps']} step{'s' if f['steps'] > 1 else ''}")
        if not f.get("update_biases", True):
            rate.append("; the biases stay fixed")
        lines.append((*rate, "."))
    return lines


def forward_statement(f: Fields) -> list[Line]:
    """One dense layer's given data."""
    parts: list[Inline] = ["A dense layer computes Z = W X + b and A = f(Z) with ",
                           sp.Eq(sp.Symbol("W"), to_matrix(f["W"]), evaluate=False), ", ",
                           sp.Eq(sp.Symbol("X"), to_matrix(f["X"]), evaluate=False)]
    if f.get("b") is not None:
        parts += [", ", sp.Eq(sp.Symbol("b"), to_matrix(f["b"]), evaluate=False)]
    return [(*parts, ", "), (*activation_words(f["activation"], f.get("alpha"), f.get("formula")), ".")]


def network_rejects(f: Mapping[str, Any], values: Values, c: Constraints) -> list[str]:
    """Kinks at 0, saturation, softmax ties, dead layers and vanishing gradients of a drawn network."""
    layers = f["layers"]
    found: list[str] = []
    dead_layers = [l for l, layer in enumerate(layers[:-1], start=1)
                   if layer.activation == "relu" and not np.any(np.asarray(values[f"A{l}"]))]
    for l, layer in enumerate(layers, start=1):
        Z = np.asarray(values[f"Z{l}"])
        if c.relu_zero and layer.activation in KINKED and np.any(np.abs(Z) < ZERO):
            found.append("no pre-activation exactly 0 at a ReLU-type layer (relu_zero)")
        if c.saturation is not None and layer.activation in SATURATING and np.any(np.abs(Z) > float(c.saturation)):
            found.append(f"no saturated sigmoid/tanh input, |z| ≤ {c.saturation} (saturation)")
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


def forward_rejects(f: Mapping[str, Any], values: Values, c: Constraints) -> list[str]:
    """Kinks at 0 and saturation of a drawn layer."""
    Z, name = np.asarray(values["Z"]), f["activation"]
    found = []
    if c.relu_zero and name in KINKED and np.any(np.abs(Z) < ZERO):
        found.append("no pre-activation exactly 0 at a ReLU-type layer (relu_zero)")
    if c.saturation is not None and name in SATURATING and np.any(np.abs(Z) > float(c.saturation)):
        found.append(f"no saturated sigmoid/tanh input, |z| ≤ {c.saturation} (saturation)")
    return found


def forward_programs(f: Fields) -> dict[str, Program]:
    """The layer's activation, compiled."""
    return compile_activations([f["activation"]])


def network_programs(f: Fields) -> dict[str, Program]:
    """Every layer's activation, the loss and the output delta, compiled."""
    layers = f["layers"]
    return {**compile_delta(f["loss"], layers[-1].activation),
            **compile_activations(layer.activation for layer in layers), **compile_losses([f["loss"]])}


FORWARD: Kind[Fields] = Kind(
    name="forward", data=dict, solve=solve_forward, reference=numeric.evaluate_forward,
    statement=forward_statement, rejects=forward_rejects, programs=forward_programs, recipes=forward_recipes,
    reader=read_by_name(FORWARD_FIELDS, _check_forward), fields=tuple(FORWARD_FIELDS))
"""The declaration of kind ``forward``."""

NETWORK: Kind[Fields] = Kind(
    name="network", data=dict, solve=solve_network, reference=numeric.evaluate_network,
    statement=network_statement, rejects=network_rejects, programs=network_programs, recipes=network_recipes,
    reader=read_by_name(NETWORK_FIELDS, _check_network), fields=tuple(NETWORK_FIELDS))
"""The declaration of kind ``network``."""
