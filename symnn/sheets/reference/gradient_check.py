"""Analytic and central-difference gradients of ½(y − (W x + b))², in floats (the reference of ``gradient_check``)."""

from __future__ import annotations

from fractions import Fraction

from symnn.sheets.reference.arrays import Values


def evaluate_gradient_check(W: Fraction, x: Fraction, b: Fraction, y: Fraction, epsilon: Fraction) -> Values:
    """The prediction, the loss, both gradients and their relative error.

    >>> from fractions import Fraction as F
    >>> evaluate_gradient_check(F(1, 2), F(2), F(1, 2), F(1), F(1, 10000))["dL_dW"]
    1.0
    """
    w, xv, bv, yv, eps = float(W), float(x), float(b), float(y), float(epsilon)
    y_hat = w * xv + bv
    y_hat_plus = (w + eps) * xv + bv
    y_hat_minus = (w - eps) * xv + bv
    gradient = -(yv - y_hat) * xv
    # L+ − L− = ½(ŷ− − ŷ+)(2y − ŷ+ − ŷ−) and ŷ+ − ŷ− = 2εx: dividing out 2ε by hand
    # avoids the cancellation that subtracting two nearly equal losses would cost.
    numeric = -xv * (yv - 0.5 * (y_hat_plus + y_hat_minus))
    both = abs(gradient) + abs(numeric)
    return {
        "y_hat": y_hat,
        "L": 0.5 * (yv - y_hat) ** 2,
        "dL_dW": gradient,
        "L_plus": 0.5 * (yv - y_hat_plus) ** 2,
        "L_minus": 0.5 * (yv - y_hat_minus) ** 2,
        "dL_dW_numeric": numeric,
        "rel_error": 0.0 if both == 0 else abs(gradient - numeric) / both,
    }
