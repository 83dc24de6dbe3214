"""Float64 arrays from a spec's exact plain data: what every reference evaluator starts from.

Like the whole of :mod:`symnn.sheets.reference`, this imports only numpy and the
standard library (never SymPy).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symnn.errors import SpecError

Rows = tuple[tuple[Fraction, ...], ...]
"""A spec matrix: rows of exact Fractions (the same shape as :data:`symnn.sheets.fields.Matrix`)."""
FloatArray = NDArray[np.float64]
"""A 2-D float64 matrix."""
Value = float | FloatArray
"""One evaluated quantity: a scalar or a 2-D matrix."""
Values = dict[str, Value]
"""Every evaluated quantity of an exercise, by its contract name."""


def as_matrix(rows: Iterable[Iterable[Fraction]]) -> FloatArray:
    """A spec matrix (tuple of rows of Fractions) as a 2-D float64 array.

    ``float(Fraction)`` rounds correctly, so every entry is the nearest double.

    >>> as_matrix(((Fraction(1, 4), Fraction(1)),))
    array([[0.25, 1.  ]])
    """
    return np.array([[float(v) for v in row] for row in rows], dtype=np.float64, ndmin=2)


def as_row(values: Iterable[Fraction]) -> FloatArray:
    """A flat spec vector as a 1 x n row matrix.

    >>> as_row((Fraction(1), Fraction(-1, 2)))
    array([[ 1. , -0.5]])
    """
    return np.array([[float(v) for v in values]], dtype=np.float64)


def required(fields: Mapping[str, Any], name: str) -> Any:
    """A field of given data read by name (the forward and network evaluators take a mapping), with a message naming it when absent."""
    if name not in fields:
        raise SpecError(
            f"the numeric evaluator needs the field {name!r} but got only: {', '.join(fields)}"
        )
    return fields[name]


def optional_float(value: Fraction | None) -> float | None:
    """An optional exact number as a float."""
    return None if value is None else float(value)
