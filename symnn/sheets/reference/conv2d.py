"""A 2-D convolution layer forward and backward in float64 (the reference of kind ``conv2d``).

Written separately from the kind: the forward pass takes each output's window as a numpy
slice of the padded input (a strided slice for the dilation) and sums its product with
the kernel; the kernel gradient sums G-weighted windows; the input gradient scatters each
output's G-weighted kernel back onto the window it read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np

from symnn.sheets.reference.arrays import FloatArray, Rows, Values, as_matrix

Tensor = Sequence[Rows]


def _stack(tensor: Tensor) -> FloatArray:
    return np.stack([as_matrix(m) for m in tensor])


def conv_sizes(h: int, w: int, kh: int, kw: int, stride: int, padding: int, dilation: int) -> tuple[int, int]:
    """Output rows and columns: how many window starts fit in the padded input."""
    span_h, span_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    return (len(range(0, h + 2 * padding - span_h + 1, stride)), len(range(0, w + 2 * padding - span_w + 1, stride)))


def evaluate_conv2d(X: Tensor, K: Sequence[Tensor], b: Sequence[Fraction] | None, stride: int, padding: int,
                    dilation: int, flip: bool, dY: Tensor | None, loss: str | None, target: Tensor | None,
                    names: Mapping[str, Sequence[str]]) -> Values:
    """Sizes, parameter count, outputs and (with dY or a loss) every gradient, under the kind's ``names``.

    >>> from fractions import Fraction as F
    >>> x = tuple(tuple(F(v) for v in range(3 * r, 3 * r + 3)) for r in range(3))
    >>> k = ((F(0), F(1)), (F(2), F(3)))
    >>> names = {"size": ["H_out", "W_out", "params"], "Y": ["Y"], "dY": [], "db": [], "dK": [], "dX": []}
    >>> evaluate_conv2d((x,), ((k,),), None, 1, 0, 1, False, None, None, None, names)["Y"]
    array([[19., 25.],
           [37., 43.]])
    """
    x = np.pad(_stack(X), ((0, 0), (padding, padding), (padding, padding)))
    kernels = np.stack([_stack(t) for t in K])  # filters × channels × kh × kw
    if flip:
        kernels = kernels[:, :, ::-1, ::-1]
    n_f, n_c, kh, kw = kernels.shape
    h, w = len(X[0]), len(X[0][0])
    rows, cols = conv_sizes(h, w, kh, kw, stride, padding, dilation)
    bias = np.array([float(v) for v in b]) if b is not None else np.zeros(n_f)

    def window(i: int, j: int) -> FloatArray:
        r, c = i * stride, j * stride
        return x[:, r:r + dilation * (kh - 1) + 1:dilation, c:c + dilation * (kw - 1) + 1:dilation]

    y = np.zeros((n_f, rows, cols))
    for i in range(rows):
        for j in range(cols):
            y[:, i, j] = np.tensordot(kernels, window(i, j), axes=([1, 2, 3], [0, 1, 2])) + bias
    values: Values = {"H_out": float(rows), "W_out": float(cols),
                      "params": float(n_f * (n_c * kh * kw + (1 if b is not None else 0)))}
    for f, name in enumerate(names["Y"]):
        values[name] = y[f]
    if dY is None and loss is None:
        return values
    if dY is not None:
        g = _stack(dY)
    elif loss == "sum":
        g = np.ones_like(y)
    else:
        g = y - (_stack(target) if target is not None else 0.0)
    for f, name in enumerate(names["dY"]):
        values[name] = g[f]
    if names["db"]:
        values["dL_db"] = g.sum(axis=(1, 2)).reshape(-1, 1)
    d_kernels = np.zeros_like(kernels)
    d_x = np.zeros_like(x)
    for i in range(rows):
        for j in range(cols):
            patch = window(i, j)
            d_kernels += g[:, i, j][:, None, None, None] * patch[None]
            r, c = i * stride, j * stride
            d_x[:, r:r + dilation * (kh - 1) + 1:dilation, c:c + dilation * (kw - 1) + 1:dilation] += (
                np.tensordot(g[:, i, j], kernels, axes=(0, 0)))
    if flip:
        d_kernels = d_kernels[:, :, ::-1, ::-1]
    for index, name in enumerate(names["dK"]):
        values[name] = d_kernels[index // n_c, index % n_c]
    d_x = d_x[:, padding:padding + h, padding:padding + w]
    for c, name in enumerate(names["dX"]):
        values[name] = d_x[c]
    return values
