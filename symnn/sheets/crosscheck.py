"""Every exact quantity against the independent numpy evaluator.

A disagreement is a bug in symnn, never a property of the input: it stops the run
(:class:`~symnn.errors.CrossCheckError`, exit code 1) naming the exercise and quantity.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp

from symnn.core.decimals import NotCertified, to_finite_float
from symnn.errors import CrossCheckError, MathDomainError
from symnn.sheets.kinds import kind_of, solve_exercise
from symnn.sheets.spec import ExerciseSpec, SheetSpec
from symnn.sheets.steps import Derivation, Sheet

RTOL = 1e-9
"""Relative tolerance between the exact value (evaluated to 30 digits) and float64."""
ATOL = 1e-12
"""Absolute tolerance, which matters only where the value is 0."""


def exact_array(value: sp.Basic) -> np.ndarray:
    """The exact value's correctly rounded float64 (from a rigorous enclosure; refused beyond the float range)."""
    if isinstance(value, sp.MatrixBase):
        return np.array([[to_finite_float(v) for v in value.row(i)] for i in range(value.rows)], dtype=float)
    return np.array(to_finite_float(value))


def crosscheck(spec: ExerciseSpec[Any], derivation: Derivation, reference: Mapping[str, object] | None = None) -> int:
    """Compare each quantity with the kind's numpy reference evaluator; return how many were checked."""
    if reference is None:
        with np.errstate(all="ignore"):  # an overflow shows as a disagreement or a refused value below
            reference = kind_of(spec).reference(spec.data)
    ref = reference
    for q in derivation.quantities:
        if q.name not in ref:
            raise CrossCheckError(
                f"cross-check: exercise {derivation.id} ({derivation.kind}): quantity {q.name} has no numeric "
                "reference; the numpy evaluator must compute every quantity")
        try:
            mine = exact_array(q.exact)
        except NotCertified as exc:
            raise MathDomainError(f"{spec.where}: exercise {derivation.id} ({derivation.kind}), quantity "
                                  f"{q.name}: {exc}") from None
        theirs = np.asarray(ref[q.name], dtype=float)
        if theirs.size != mine.size:
            raise CrossCheckError(
                f"cross-check: exercise {derivation.id}: {q.name} has shape {mine.shape} exactly but "
                f"{theirs.shape} numerically")
        theirs = theirs.reshape(mine.shape)
        if not np.allclose(mine, theirs, rtol=RTOL, atol=ATOL):
            worst = np.unravel_index(np.argmax(np.abs(mine - theirs)), mine.shape) if mine.ndim else ()
            raise CrossCheckError(
                f"cross-check failed: exercise {derivation.id} ({derivation.kind}), quantity {q.name}"
                f"{list(int(i) + 1 for i in worst) if worst else ''}: exact "
                f"{mine[worst] if worst else float(mine)!r} but numpy {theirs[worst] if worst else float(theirs)!r}")
    return len(derivation.quantities)


def solve_checked(spec: SheetSpec) -> Sheet:
    """Solve every exercise exactly and cross-check every quantity with numpy (``symnn sheet`` and ``check``)."""
    derivations = []
    for exercise in spec.exercises:
        d = solve_exercise(exercise)
        crosscheck(exercise, d)
        derivations.append(d)
    return Sheet(spec.title, tuple(derivations))
