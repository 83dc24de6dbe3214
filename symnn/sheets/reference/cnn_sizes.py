"""Shapes, parameter counts and receptive fields of a CNN stack (the reference of kind ``cnn_sizes``).

Written separately from the kind: an axis's output count is the number of window starts that fit
(``range``), not the floor formula; the receptive field is found by following one output back
through the layers, widening an interval of input rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from symnn.sheets.reference.arrays import Values

Layer = tuple[str, int, int, int, int, int, bool]
"""(type, size, stride, padding, dilation, count, bias)."""


def evaluate_cnn_sizes(shape: tuple[int, int, int], layers: Sequence[Layer]) -> Values:
    """``out{l}``, ``params{l}`` and ``rf{l}`` (conv and pool layers) for every layer, and ``params`` in total.

    >>> evaluate_cnn_sizes((227, 227, 3), [("conv", 11, 4, 0, 1, 96, True)])["out1"]
    array([[55., 55., 96.]])
    """
    h, w, c = shape
    flat: int | None = None
    values: Values = {}
    total = 0
    spatial: list[tuple[int, int, int]] = []  # (span, stride, padding) of the conv/pool layers so far
    for l, (kind, size, stride, padding, dilation, count, bias) in enumerate(layers, start=1):
        if kind == "dense":
            inputs = flat if flat is not None else h * w * c
            params = count * (inputs + int(bias))
            flat = count
            values[f"out{l}"] = np.array([[float(count)]])
        else:
            span = dilation * (size - 1) + 1
            pad = padding if kind == "conv" else 0
            h = len(range(0, h + 2 * pad - span + 1, stride))
            w = len(range(0, w + 2 * pad - span + 1, stride))
            params = count * (size * size * c + int(bias)) if kind == "conv" else 0
            if kind == "conv":
                c = count
            values[f"out{l}"] = np.array([[float(h), float(w), float(c)]])
            spatial.append((span, stride, pad))
            # Output row 0 of the last layer, followed back: the input rows it sees.
            lo, hi = 0, 0
            for span_, stride_, _ in reversed(spatial):
                lo, hi = lo * stride_, hi * stride_ + span_ - 1
            values[f"rf{l}"] = float(hi - lo + 1)
        values[f"params{l}"] = float(params)
        total += params
    values["params"] = float(total)
    return values
