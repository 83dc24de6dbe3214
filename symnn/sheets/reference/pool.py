"""Max and average pooling forward and backward in float64 (the reference of kind ``pool``).

Written separately from the kind: windows are numpy slices; max pooling routes each gradient
with ``argmax`` (numpy's first largest entry in reading order) or shares it over the mask of
largest entries; average pooling adds a constant block.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from symnn.sheets.reference.arrays import Rows, Values, as_matrix


def evaluate_pool(X: Sequence[Rows], mode: str, size: int, stride: int, dY: Sequence[Rows] | None, ties: str,
                  names: Mapping[str, Sequence[str]]) -> Values:
    """Sizes, pooled channels and (with dY) the input gradient, under the kind's ``names``.

    >>> from fractions import Fraction as F
    >>> x = tuple(tuple(F(v) for v in range(3 * r, 3 * r + 3)) for r in range(3))
    >>> evaluate_pool((x,), "max", 2, 1, None, "first", {"Y": ["Y"], "dX": []})["Y"]
    array([[4., 5.],
           [7., 8.]])
    """
    h, w = len(X[0]), len(X[0][0])
    starts_r, starts_c = range(0, h - size + 1, stride), range(0, w - size + 1, stride)
    values: Values = {"H_out": float(len(starts_r)), "W_out": float(len(starts_c))}
    for c, m in enumerate(X):
        x = as_matrix(m)
        y = np.zeros((len(starts_r), len(starts_c)))
        dx = np.zeros_like(x)
        g = as_matrix(dY[c]) if dY is not None else None
        for i, r in enumerate(starts_r):
            for j, s in enumerate(starts_c):
                block = x[r:r + size, s:s + size]
                if mode == "max":
                    y[i, j] = block.max()
                    if g is not None:
                        if ties == "first":
                            a, b = np.unravel_index(int(np.argmax(block)), block.shape)
                            dx[r + a, s + b] += g[i, j]
                        else:
                            mask = block == block.max()
                            dx[r:r + size, s:s + size] += g[i, j] * mask / mask.sum()
                else:
                    y[i, j] = block.mean()
                    if g is not None:
                        dx[r:r + size, s:s + size] += g[i, j] / block.size
        values[names["Y"][c]] = y
        if g is not None:
            values[names["dX"][c]] = dx
    return values
