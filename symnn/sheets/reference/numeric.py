"""Dense layers and networks in float64 (the reference of kinds ``forward`` and ``network``).

The forward pass, the loss with its reduction, backpropagation and gradient-descent
steps, written with numpy only, on the functions of :mod:`symnn.sheets.reference.functions`.  Layers
are duck-typed: anything with ``W``, ``b``, ``activation``, ``alpha`` (and
optionally ``formula``).

>>> from fractions import Fraction as F
>>> values = evaluate_forward({"W": ((F(1), F(-1)),), "X": ((F(2),), (F(3),)),
...                            "b": None, "activation": "relu", "alpha": None})
>>> values["Z"], values["A"]
(array([[-1.]]), array([[0.]]))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

import symnn.core.formula as fm
from symnn.sheets.reference.arrays import FloatArray, Values, as_matrix, optional_float, required
from symnn.sheets.reference.functions import (
    activate,
    activation_slope,
    custom_activation,
    log_softmax,
    numeric_loss,
    sigmoid_bce,
    softmax,
    softmax_backward,
)


def _layer_values(layer: Any, Z: FloatArray) -> FloatArray:
    """A layer's activation: built-in, custom formula or softmax."""
    if getattr(layer, "formula", None) is not None:
        return custom_activation(layer.formula, Z).value
    if layer.activation == "softmax":
        return softmax(Z)
    return activate(layer.activation, Z, optional_float(layer.alpha))


KINKED = ("relu", "leaky_relu", "elu")
"""Built-in activations whose derivative at 0 is a convention (ReLU'(0) = 0, LeakyReLU'(0) = α)."""
KINK_SLACK = 64
"""Multiple of the float rounding bound within which a pre-activation counts as exactly 0 at a kink."""


def _at_kinks(layer: Any, Z: FloatArray, W: FloatArray, inputs: FloatArray, b: FloatArray | None) -> FloatArray:
    """``Z`` with the entries that are 0 up to float rounding set to exactly 0, at a kinked activation.

    The exact solution sees w·x + b = 0 (−0.1·(−1.1) − 0.1·1.1, say) and takes the derivative's
    convention there; float64 leaves a residue of about 1e-17 and would take the other branch.
    The bound is ``KINK_SLACK`` · ε · (inputs + 1) · (|W| |x| + |b|), far above that rounding and far
    below any non-zero value of the exercises' decimals.
    """
    if layer.activation not in KINKED or getattr(layer, "formula", None) is not None:
        return Z
    scale = np.abs(W) @ np.abs(inputs) + (np.abs(b) if b is not None else 0.0)
    bound = KINK_SLACK * np.finfo(float).eps * (W.shape[1] + 1) * scale
    return np.where(np.abs(Z) <= bound, 0.0, Z)


def _layer_slope(state: _LayerState, formula: fm.Formula | None) -> FloatArray:
    if formula is not None:
        return custom_activation(formula, state.Z).slope
    return activation_slope(state.activation, state.Z, state.alpha)


def evaluate_forward(fields: Mapping[str, Any]) -> Values:
    """One dense layer: Z = W X + b and A = f(Z)."""
    W = as_matrix(required(fields, "W"))
    X = as_matrix(required(fields, "X"))
    b = fields.get("b")
    layer = _FieldsLayer(required(fields, "activation"), fields.get("alpha"), fields.get("formula"))
    Z = _at_kinks(layer, W @ X + (as_matrix(b) if b is not None else 0.0), W, X,
                  as_matrix(b) if b is not None else None)
    return {"Z": Z, "A": _layer_values(layer, Z)}


@dataclass(frozen=True, slots=True)
class _FieldsLayer:
    """The activation fields of a ``forward`` exercise, shaped like a network layer."""

    activation: str
    """Activation name."""
    alpha: Fraction | None
    """Slope parameter, if any."""
    formula: fm.Formula | None
    """Custom formula, if any."""


@dataclass(frozen=True, slots=True)
class _LayerState:
    """One layer of a network, in floats, with what the forward pass computed."""

    W: FloatArray
    """Weights (outputs x inputs)."""
    b: FloatArray | None
    """Bias column, or None."""
    activation: str
    """Activation name."""
    alpha: float | None
    """Slope parameter of the activation, if any."""
    inputs: FloatArray
    """A_{l-1}, the layer's input."""
    Z: FloatArray
    """Pre-activation W A_{l-1} + b."""
    A: FloatArray
    """Activation f(Z), the layer's output."""
    formula: fm.Formula | None = None
    """A custom activation's formula, else None."""


@dataclass(frozen=True, slots=True)
class _Params:
    """A network's weights and biases in floats, with each layer's activation."""

    layers: tuple[Any, ...]
    """The spec layers (activation, alpha, formula are read from them)."""
    Ws: tuple[FloatArray, ...]
    """Weights per layer."""
    bs: tuple[FloatArray | None, ...]
    """Bias per layer, or None."""


def _initial_params(layers: Sequence[Any]) -> _Params:
    return _Params(tuple(layers), tuple(as_matrix(layer.W) for layer in layers),
                   tuple(None if layer.b is None else as_matrix(layer.b) for layer in layers))


def _forward_layers(x: FloatArray, layers: Sequence[Any], params: _Params | None = None) -> list[_LayerState]:
    params = params or _initial_params(layers)
    states = []
    inputs = x
    for layer, W, b in zip(layers, params.Ws, params.bs):
        alpha = optional_float(layer.alpha)
        Z = _at_kinks(layer, W @ inputs + (b if b is not None else 0.0), W, inputs, b)
        A = _layer_values(layer, Z)
        states.append(_LayerState(W, b, layer.activation, alpha, inputs, Z, A,
                                  getattr(layer, "formula", None)))
        inputs = A
    return states


def _sample_loss_and_delta(loss_name: str, y: FloatArray, out: _LayerState, column: int
                           ) -> tuple[float, FloatArray]:
    """One sample's loss and its ∂ℓ/∂z, from the output layer's column ``column``."""
    pick = slice(column, column + 1)
    yc, zc, ac = y[:, pick], out.Z[:, pick], out.A[:, pick]
    if loss_name == "bce" and out.activation == "sigmoid" and out.formula is None:
        return sigmoid_bce(yc, zc)
    if out.activation == "softmax" and out.formula is None:
        if loss_name == "cross_entropy":
            loss = float(-np.sum(np.where(yc != 0, yc * log_softmax(zc), 0.0)))
        else:
            loss = numeric_loss(loss_name).total(yc, ac)
        return loss, softmax_backward(ac, numeric_loss(loss_name).gradient(yc, ac))
    state = _LayerState(out.W, out.b, out.activation, out.alpha, out.inputs, zc, ac, out.formula)
    chosen = numeric_loss(loss_name)
    return chosen.total(yc, ac), chosen.gradient(yc, ac) * _layer_slope(state, out.formula)


def _output_loss_and_delta(
    loss_name: str, y: FloatArray, out: _LayerState, reduction: str = "sum"
) -> tuple[float, FloatArray]:
    """The batch loss and ∂L/∂Z: per-sample losses summed, or averaged when ``reduction`` is mean."""
    samples = [_sample_loss_and_delta(loss_name, y, out, j) for j in range(y.shape[1])]
    total = float(sum(loss for loss, _ in samples))
    delta = np.hstack([d for _, d in samples])
    if reduction == "mean":
        return total / y.shape[1], delta / y.shape[1]
    return total, delta


def evaluate_network(fields: Mapping[str, Any]) -> Values:
    """Every layer's Z and A, the loss, every delta and gradient, and the gradient-descent steps asked for."""
    x = as_matrix(required(fields, "x"))
    y = as_matrix(required(fields, "y"))
    layers = required(fields, "layers")
    loss_name = required(fields, "loss")
    reduction = fields.get("reduction") or ("mean" if loss_name == "mse" else "sum")
    states = _forward_layers(x, layers)
    values: Values = {}
    for number, state in enumerate(states, start=1):
        values[f"Z{number}"] = state.Z
        values[f"A{number}"] = state.A
    values["L"], delta = _output_loss_and_delta(loss_name, y, states[-1], reduction)
    gradients = _backpropagate(states, delta)
    values.update(gradients)
    learning_rate = optional_float(fields.get("learning_rate"))
    if learning_rate is None:
        return values
    update_biases = bool(fields.get("update_biases", True))
    step = _gradient_step(states, gradients, learning_rate, update_biases)
    values.update(step)
    params = _Params(tuple(layers), tuple(step[f"W{n}_new"] for n in range(1, len(layers) + 1)),  # type: ignore[misc]
                     tuple(step.get(f"b{n}_new", state.b) for n, state in enumerate(states, start=1)))  # type: ignore[misc]
    steps = fields.get("steps")
    if steps is None:
        return values
    for t in range(1, steps + 1):
        states = _forward_layers(x, layers, params)
        values[f"L_step{t}"], delta = _output_loss_and_delta(loss_name, y, states[-1], reduction)
        if t < steps:
            moved = _gradient_step(states, _backpropagate(states, delta), learning_rate, update_biases)
            params = _Params(params.layers, tuple(moved[f"W{n}_new"] for n in range(1, len(layers) + 1)),  # type: ignore[misc]
                             tuple(moved.get(f"b{n}_new", b) for n, b in enumerate(params.bs, start=1)))  # type: ignore[misc]
    if steps > 1:
        for n in range(1, len(layers) + 1):
            values[f"W{n}_step{steps}"] = params.Ws[n - 1]
            if params.bs[n - 1] is not None and update_biases:
                values[f"b{n}_step{steps}"] = params.bs[n - 1]  # type: ignore[assignment]
    return values


def _backpropagate(states: list[_LayerState], output_delta: FloatArray) -> Values:
    values: Values = {}
    delta = output_delta
    for number in range(len(states), 0, -1):
        state = states[number - 1]
        if number < len(states):
            upstream = states[number].W.T @ delta
            delta = upstream * _layer_slope(state, state.formula)
        values[f"delta{number}"] = delta
        values[f"dL_dW{number}"] = delta @ state.inputs.T
        if state.b is not None:
            values[f"dL_db{number}"] = delta.sum(axis=1, keepdims=True)
    return values


def _gradient_step(states: list[_LayerState], gradients: Values, learning_rate: float,
                   update_biases: bool = True) -> Values:
    values: Values = {}
    for number, state in enumerate(states, start=1):
        values[f"W{number}_new"] = state.W - learning_rate * gradients[f"dL_dW{number}"]
        if state.b is not None and update_biases:
            values[f"b{number}_new"] = state.b - learning_rate * gradients[f"dL_db{number}"]
    return values
