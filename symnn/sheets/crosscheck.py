"""Every exact quantity against the independent numpy evaluator.

A disagreement is a bug in symnn, never a property of the input: it stops the run
(:class:`~symnn.errors.CrossCheckError`, exit code 1) naming the exercise and quantity.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp

from symnn.errors import CrossCheckError
from symnn.sheets.kinds import kind_of, solve_exercise
from symnn.sheets.render.printing import numeric_value
from symnn.sheets.spec import ExerciseSpec, SheetSpec
from symnn.sheets.steps import Derivation, Sheet

RTOL = 1e-9
"""Relative tolerance between the exact value (evaluated to 30 digits) and float64."""
ATOL = 1e-12
"""Absolute tolerance, which matters only where the value is 0."""


def exact_array(value: sp.Basic) -> np.ndarray:
    """The exact value evaluated to 30 significant digits, then as float64."""
    if isinstance(value, sp.MatrixBase):
        return np.array([[float(numeric_value(v)) for v in value.row(i)] for i in range(value.rows)], dtype=float)
    return np.array(float(numeric_value(value)))


def crosscheck(spec: ExerciseSpec[Any], derivation: Derivation, reference: Mapping[str, object] | None = None) -> int:
    """Compare each quantity with the kind's numpy reference evaluator; return how many were checked."""
    ref = kind_of(spec).reference(spec.data) if reference is None else reference
    for q in derivation.quantities:
        if q.name not in ref:
            raise CrossCheckError(
                f"cross-check: exercise {derivation.id} ({derivation.kind}): quantity {q.name} has no numeric "
                "reference; the numpy evaluator must compute every quantity")
        mine = exact_array(q.exact)
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
