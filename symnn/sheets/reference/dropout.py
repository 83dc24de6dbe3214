"""Inverted dropout forward, backward and at test time, in float64 (the reference of kind ``dropout``)."""

from __future__ import annotations

from fractions import Fraction

from symnn.sheets.reference.arrays import Rows, Values, as_matrix


def evaluate_dropout(A: Rows, M: Rows, p: Fraction, grad: Rows | None) -> Values:
    """The kept activations scaled by 1/p, the gradient through the same mask, and the test-time output.

    >>> from fractions import Fraction as F
    >>> evaluate_dropout(((F(2), F(4)),), ((F(1), F(0)),), F(1, 2), None)["A_drop"]
    array([[4., 0.]])
    """
    activations, mask, keep = as_matrix(A), as_matrix(M), float(p)
    values: Values = {
        "A_drop": mask * activations / keep,
        "A_test": activations.copy(),
    }
    if grad is not None:
        values["dA"] = as_matrix(grad) * mask / keep
    return values
