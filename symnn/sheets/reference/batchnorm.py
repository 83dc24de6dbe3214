"""Batch normalization in float64, forward and backward, vectorized (the reference of kind ``batchnorm``).

The backward pass is the compact textbook form
dx = γ / (N √(σ² + ε)) · (N dy − Σ dy − x̂ Σ(dy x̂)), written separately from the exact
engine's chain rule through μ and σ².
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from symnn.sheets.reference.arrays import Rows, Values, as_matrix, as_row


def evaluate_batchnorm(X: Rows, gamma: tuple[Fraction, ...], beta: tuple[Fraction, ...], epsilon: Fraction,
                       grad: Rows | None, running_mean: tuple[Fraction, ...] | None,
                       running_var: tuple[Fraction, ...] | None, momentum: Fraction, unbiased_running: bool,
                       X_test: Rows | None) -> Values:
    """Statistics, normalized and scaled batch, gradients, running statistics and test-time output.

    >>> from fractions import Fraction as F
    >>> out = evaluate_batchnorm(((F(1),), (F(2),), (F(3),), (F(4),)), (F(1),), (F(0),), F(0), None, None, None,
    ...                          F(1, 10), True, None)
    >>> [round(float(v), 5) for v in out["Y"][:, 0]]
    [-1.34164, -0.44721, 0.44721, 1.34164]
    """
    x = as_matrix(X)
    n = x.shape[0]
    g, b, eps = as_row(gamma), as_row(beta), float(epsilon)
    mean = x.mean(axis=0, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=0, keepdims=True)
    std = np.sqrt(var + eps)
    xhat = (x - mean) / std
    out: Values = {"mean": mean, "var": var, "xhat": xhat, "Y": g * xhat + b}
    if grad is not None:
        dy = as_matrix(grad)
        dxhat = dy * g
        out["dgamma"] = (dy * xhat).sum(axis=0, keepdims=True)
        out["dbeta"] = dy.sum(axis=0, keepdims=True)
        out["dxhat"] = dxhat
        # Σ dx̂ (x − μ) summed with dx̂ centred too (the same sum, as Σ (x − μ) = 0): a column whose dx̂ is
        # constant gives exactly 0, where float64's x − μ leaves about 1e-16 that std^-3 magnifies.
        centred = dxhat - dxhat.mean(axis=0, keepdims=True)
        out["dvar"] = (centred * (x - mean)).sum(axis=0, keepdims=True) * -0.5 * std**-3
        out["dmean"] = -dxhat.sum(axis=0, keepdims=True) / std
        out["dX"] = g / (n * std) * (n * dy - dy.sum(axis=0, keepdims=True)
                                     - xhat * (dy * xhat).sum(axis=0, keepdims=True))
    if running_mean is not None and running_var is not None:
        m = float(momentum)
        batch_var = var * n / (n - 1) if unbiased_running else var
        new_mean = (1 - m) * as_row(running_mean) + m * mean
        new_var = (1 - m) * as_row(running_var) + m * batch_var
        out["running_mean_new"] = new_mean
        out["running_var_new"] = new_var
        if X_test is not None:
            out["Y_test"] = g * (as_matrix(X_test) - new_mean) / np.sqrt(new_var + eps) + b
    return out
