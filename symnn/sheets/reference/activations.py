"""Activation functions and their slopes at given points, in float64 (the reference of kind ``activations``)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from symnn.sheets.reference.arrays import Values, as_row
from symnn.sheets.reference.functions import activate, activation_slope


def evaluate_activations(x: Sequence[Fraction], functions: Sequence[str], alpha: Fraction) -> Values:
    """Each function and its derivative at every point, as 1 x n rows.

    >>> from fractions import Fraction as F
    >>> evaluate_activations((F(-2), F(3)), ("leaky_relu",), F(1, 10))["leaky_relu_prime"]
    array([[0.1, 1. ]])
    """
    points = as_row(x)
    values: Values = {}
    for name in functions:
        values[name] = activate(name, points, float(alpha))
        values[f"{name}_prime"] = activation_slope(name, points, float(alpha))
    return values
