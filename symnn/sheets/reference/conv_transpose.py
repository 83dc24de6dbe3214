"""Transposed convolution forward in float64 (the reference of kind ``conv_transpose``).

Written separately from the kind: each input entry adds its multiple of the kernel to a numpy slice
of the uncropped output, which is then cropped by the padding.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from symnn.sheets.reference.arrays import Rows, Values, as_matrix


def evaluate_conv_transpose(X: Sequence[Rows], K: Sequence[Sequence[Rows]], b: Sequence[Fraction] | None,
                            stride: int, padding: int, names: Sequence[str]) -> Values:
    """Output sizes and every output channel, under ``names``.

    >>> from fractions import Fraction as F
    >>> x = ((F(0), F(1)), (F(2), F(3)))
    >>> evaluate_conv_transpose((x,), (((x,)),), None, 1, 0, ["Y"])["Y"]
    array([[ 0.,  0.,  1.],
           [ 0.,  4.,  6.],
           [ 4., 12.,  9.]])
    """
    x = np.stack([as_matrix(m) for m in X])
    h, w = x.shape[1:]
    values: Values = {}
    for f, filt in enumerate(K):
        k = np.stack([as_matrix(m) for m in filt])
        kh, kw = k.shape[1:]
        full = np.zeros(((h - 1) * stride + kh, (w - 1) * stride + kw))
        for c in range(x.shape[0]):
            for i in range(h):
                for j in range(w):
                    full[i * stride:i * stride + kh, j * stride:j * stride + kw] += x[c, i, j] * k[c]
        out = full[padding:full.shape[0] - padding, padding:full.shape[1] - padding]
        if b is not None:
            out = out + float(b[f])
        values[names[f]] = out
        values["H_out"], values["W_out"] = float(out.shape[0]), float(out.shape[1])
    return values
