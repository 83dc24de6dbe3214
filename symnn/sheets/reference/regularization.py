"""The L2 penalty, its gradient and one regularized step, in float64 (the reference of ``regularization``)."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np

from symnn.errors import SpecError
from symnn.sheets.reference.arrays import FloatArray, Rows, Values, as_matrix

PENALTIES: dict[str, tuple[Callable[[FloatArray, float], float], float]] = {
    "l2": (lambda W, lam: lam * float(np.sum(W * W)), 2.0),
    "l2_half": (lambda W, lam: 0.5 * lam * float(np.sum(W * W)), 1.0),
}
"""Penalty name -> (penalty(W, λ), c) where the penalty's gradient is cλW."""


def evaluate_regularization(W: Rows, lam: Fraction, grad: Rows, learning_rate: Fraction, penalty: str) -> Values:
    """The penalty, its gradient and the weights after one step against data gradient plus penalty gradient.

    >>> from fractions import Fraction as F
    >>> evaluate_regularization(((F(1),),), F(1, 10), ((F(0),),), F(1), "l2")["W_new"]
    array([[0.8]])
    """
    if penalty not in PENALTIES:
        raise SpecError(f"unknown penalty {penalty!r}; known: {', '.join(PENALTIES)}")
    weights, lam_f = as_matrix(W), float(lam)
    value, factor = PENALTIES[penalty]
    slope = factor * lam_f * weights
    return {
        "penalty": value(weights, lam_f),
        "dpenalty_dW": slope,
        "W_new": weights - float(learning_rate) * (as_matrix(grad) + slope),
    }
