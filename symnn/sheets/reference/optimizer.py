"""Optimizer steps in float64, method by method (the reference of kind ``optimizer``).

Written separately from the exact rules: plain numpy loops over the steps.  Gradients are
given, or the derivative of the objective's parsed formula by dual numbers
(:func:`symnn.sheets.reference.functions.custom_activation`).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from symnn.core.formula import Formula
from symnn.sheets.reference.arrays import FloatArray, Rows, Values, as_matrix
from symnn.sheets.reference.functions import custom_activation


def _slope(formulas: Sequence[Formula], point: FloatArray) -> FloatArray:
    flat = point.reshape(-1)
    slopes = [custom_activation(formulas[i if len(formulas) > 1 else 0], np.array([[v]]))
              .slope[0, 0] for i, v in enumerate(flat)]
    return np.array(slopes, dtype=np.float64).reshape(point.shape)


def evaluate_optimizer(method: str, theta: Rows, learning_rate: Fraction, steps: int,
                       f: Sequence[Formula] | None = None, grads: Sequence[Rows] | None = None,
                       convention: str = "velocity", momentum: Fraction | None = None,
                       rho: Fraction | None = None, beta1: Fraction | None = None, beta2: Fraction | None = None,
                       epsilon: Fraction | None = None, weight_decay: Fraction = Fraction(0)) -> Values:
    """Every step's gradient, states and parameters: ``g1``, ``m1``, ``theta1``, … up to ``steps``.

    >>> from fractions import Fraction as F
    >>> out = evaluate_optimizer("sgd", ((F(1),),), F(1, 10), 2, grads=(((F(2),),), ((F(1),),)))
    >>> round(float(out["theta2"][0, 0]), 12)
    0.7
    """
    p = as_matrix(theta)
    lr, wd = float(learning_rate), float(weight_decay)
    mu_ = float(momentum) if momentum is not None else 0.0
    zeros = np.zeros_like(p)
    v, m, s = zeros.copy(), zeros.copy(), zeros.copy()
    out: Values = {}

    def gradient(step: int, at: FloatArray) -> FloatArray:
        if grads is not None:
            return as_matrix(grads[step - 1])
        assert f is not None
        return _slope(f, at)

    for step in range(1, steps + 1):
        at = p
        if method == "nesterov" and convention == "velocity":
            at = p + mu_ * v
            out[f"look{step}"] = at
        g = gradient(step, at)
        if wd and method != "adamw":
            out[f"grad{step}"] = g
            g = g + wd * at
        out[f"g{step}"] = g
        if method == "sgd":
            p = p - lr * g
        elif method in ("momentum", "nesterov"):
            if convention == "velocity":
                v = mu_ * v - lr * g
                p = p + v
            else:
                v = mu_ * v + g
                p = p - lr * (g + mu_ * v if method == "nesterov" else v)
            out[f"v{step}"] = v
        elif method in ("adagrad", "rmsprop"):
            assert epsilon is not None
            if method == "adagrad":
                s = s + g * g
            else:
                assert rho is not None
                s = float(rho) * s + (1 - float(rho)) * g * g
            p = p - lr * g / (np.sqrt(s) + float(epsilon))
            out[f"s{step}"] = s
        else:
            assert beta1 is not None and beta2 is not None and epsilon is not None
            b1, b2 = float(beta1), float(beta2)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_hat = m / (1 - b1**step)
            v_hat = v / (1 - b2**step)
            update = m_hat / (np.sqrt(v_hat) + float(epsilon))
            p = p - lr * (update + wd * p) if method == "adamw" else p - lr * update
            out.update({f"m{step}": m, f"v{step}": v, f"m_hat{step}": m_hat, f"v_hat{step}": v_hat})
        out[f"theta{step}"] = p
    return out
