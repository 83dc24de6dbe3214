"""A single prediction's loss and the initialization scales of each layer, in floats (``error_analysis``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Protocol

import numpy as np

from symnn.sheets.reference.arrays import FloatArray, Rows, Values, as_matrix
from symnn.sheets.reference.functions import numeric_loss

OUTPUT_SLOPES_IN_A: dict[str, Callable[[float], float]] = {
    "sigmoid": lambda a: a * (1.0 - a),
    "tanh": lambda a: 1.0 - a * a,
}
"""f'(z) written in the output a = f(z), for the activations where that form exists."""


class LayerData(Protocol):
    """What this evaluator reads of a layer: its weights and its activation's name."""

    @property
    def W(self) -> Rows:
        """Weights (outputs x inputs)."""

    @property
    def activation(self) -> str:
        """Activation name."""


def initialization_figures(number: int, W: FloatArray) -> Values:
    """Layer ``number``'s fans, Glorot limit, He scale, largest weight and weight spread."""
    fan_out, fan_in = W.shape
    return {
        f"fan_in{number}": float(fan_in),
        f"fan_out{number}": float(fan_out),
        f"glorot_limit{number}": math.sqrt(6.0 / (fan_in + fan_out)),
        f"he_std{number}": math.sqrt(2.0 / fan_in),
        f"max_abs_W{number}": float(np.max(np.abs(W))),
        f"std_W{number}": float(np.sqrt(np.mean((W - W.mean()) ** 2))),
    }


def evaluate_error_analysis(y: Fraction, y_hat: Fraction, loss: str, layers: Sequence[LayerData]) -> Values:
    """The loss, its derivative in ŷ (and in z where the output activation allows), and each layer's figures.

    >>> from fractions import Fraction as F
    >>> evaluate_error_analysis(F(1), F(1, 2), "mse", ())["dL_dyhat"]
    -1.0
    """
    target, prediction = np.array([[float(y)]]), np.array([[float(y_hat)]])
    chosen = numeric_loss(loss)
    dL_dyhat = float(chosen.gradient(target, prediction)[0, 0])
    values: Values = {"L": chosen.total(target, prediction), "dL_dyhat": dL_dyhat}
    if layers and layers[-1].activation in OUTPUT_SLOPES_IN_A:
        values["dL_dz"] = dL_dyhat * OUTPUT_SLOPES_IN_A[layers[-1].activation](float(y_hat))
    for number, layer in enumerate(layers, start=1):
        values.update(initialization_figures(number, as_matrix(layer.W)))
    return values
