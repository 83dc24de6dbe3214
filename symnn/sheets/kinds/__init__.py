"""One module per exercise kind: a validated spec in, a :class:`~symnn.sheets.steps.Derivation` out."""

from __future__ import annotations

from collections.abc import Callable

from symnn.sheets.kinds.activations import solve_activations
from symnn.sheets.kinds.error_analysis import solve_error_analysis
from symnn.sheets.kinds.forward import solve_forward
from symnn.sheets.kinds.gradient_check import solve_gradient_check
from symnn.sheets.kinds.network import solve_network
from symnn.sheets.kinds.preprocessing import solve_preprocessing
from symnn.sheets.kinds.regularization import solve_regularization
from symnn.sheets.spec import ExerciseSpec, SheetSpec
from symnn.sheets.steps import Derivation, Sheet

SOLVERS: dict[str, Callable[[ExerciseSpec], Derivation]] = {
    "forward": solve_forward,
    "network": solve_network,
    "preprocessing": solve_preprocessing,
    "activations": solve_activations,
    "gradient_check": solve_gradient_check,
    "regularization": solve_regularization,
    "error_analysis": solve_error_analysis,
}
"""The solver of each exercise kind."""


def solve_exercise(spec: ExerciseSpec) -> Derivation:
    """The worked solution of one exercise."""
    return SOLVERS[spec.kind](spec)


def solve(sheet: SheetSpec) -> Sheet:
    """Work every exercise of a sheet exactly.

    >>> from symnn.sheets.spec import load_sheet
    >>> solved = solve(load_sheet())
    >>> solved["ex6"].quantity("W_new").exact.T
    Matrix([[247/250, -489/250, 479/1000]])
    """
    return Sheet(sheet.title, tuple(solve_exercise(e) for e in sheet.exercises))
