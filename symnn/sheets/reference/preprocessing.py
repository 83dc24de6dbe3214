"""Min-max scaling and standardization in float64 (the reference of kind ``preprocessing``)."""

from __future__ import annotations

import numpy as np

from symnn.sheets.reference.arrays import Rows, Values, as_matrix


def evaluate_preprocessing(X: Rows, ddof: int) -> Values:
    """Per-feature minima, maxima, min-max scaled data, means, standard deviations and z-scores.

    >>> from fractions import Fraction as F
    >>> evaluate_preprocessing(((F(1),), (F(3),)), 0)["X_std"].T
    array([[-1.,  1.]])
    """
    data = as_matrix(X)
    low = data.min(axis=0, keepdims=True)
    high = data.max(axis=0, keepdims=True)
    mean = data.mean(axis=0, keepdims=True)
    squared = ((data - mean) ** 2).sum(axis=0, keepdims=True)
    std = np.sqrt(squared / (data.shape[0] - ddof))
    return {
        "X_min": low,
        "X_max": high,
        "X_minmax": (data - low) / (high - low),
        "mean": mean,
        "std": std,
        "X_std": (data - mean) / std,
    }
