"""Certified decimals in the answer key, when exact values stop being rational.

With a sigmoid, tanh, softplus or ELU layer (or a bce / cross-entropy loss) every exact
step nests the previous step's exponentials inside new ones, so a network exercise keeps
step 1's update exact and runs steps 2…k in ball arithmetic
(:func:`symnn.library.trajectory.certified_trajectory`, on the one network engine) with
:data:`CERTIFIED_DIGITS` guaranteed significant digits.

Answer-key convention: a certified quantity's ``exact`` value is the **certified decimal
itself as an exact rational** — the true value correctly rounded to
:data:`CERTIFIED_DIGITS` significant digits (every digit guaranteed), not the
transcendental true value.  The JSON key therefore keeps its schema (``exact`` a string
such as ``"1234567/1000000"``, ``latex``, ``value``), and the cross-check against the
numpy evaluator compares that rounding with float64, well inside its tolerance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import flint  # noqa: F401 - used by the docstring example
import sympy as sp

from symnn.core.certified import CertifiedMatrix, ball_endpoints, round_significant
from symnn.library.trajectory import CertifiedTrajectory
from symnn.library.trajectory import certified_trajectory as _certified_trajectory

if TYPE_CHECKING:
    from symnn.sheets.kinds.network import Params, Setting

CERTIFIED_DIGITS = 20
"""Significant digits guaranteed in every certified loss and parameter."""


def certified_trajectory(setting: Setting, params: Params, k: int) -> CertifiedTrajectory:
    """Losses after steps 1…k and the parameters after step k, from the exact parameters after step 1."""
    assert setting.learning_rate is not None  # steps need a learning rate (checked by the spec reader)
    return _certified_trajectory(setting.net, params, setting.learning_rate, k, CERTIFIED_DIGITS,
                                 setting.update_biases)


def as_rational(matrix: CertifiedMatrix) -> sp.ImmutableMatrix:
    """The certified decimals as exact rationals (the answer key's ``exact``; see the module docstring).

    An entry too wide to certify (a true zero reached through cancellation) keeps its
    midpoint rounded to the same digits.

    >>> with flint.ctx.workprec(100):
    ...     e = CertifiedMatrix((1, 1), 5, None, flint.arb_mat([[flint.arb(1).exp()]]), 100)
    >>> as_rational(e)
    Matrix([[27183/10000]])
    """
    rows, cols = matrix.shape
    return sp.ImmutableMatrix(rows, cols, [_decimal_rational(matrix, i, j) for i in range(rows) for j in range(cols)])


def _decimal_rational(matrix: CertifiedMatrix, i: int, j: int) -> sp.Rational:
    text = matrix[i, j]
    if text.startswith("["):
        low, high = ball_endpoints(matrix.balls[i, j])
        text = round_significant((low + high) / 2, matrix.digits)
    return sp.Rational(text)
