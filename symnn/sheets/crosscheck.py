"""Every exact quantity against the independent numpy evaluator.

A disagreement is a bug in symnn, never a property of the input: it stops the run
(:class:`~symnn.errors.CrossCheckError`, exit code 1) naming the exercise and quantity.
"""

from __future__ import annotations

import dataclasses
import decimal
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from symnn.core.decimals import NotCertified, matrix_rows, to_finite_float
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
        return np.array([[to_finite_float(v) for v in row] for row in matrix_rows(value)], dtype=float)
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
            if np.all(np.isfinite(mine)) and not np.all(np.isfinite(theirs)):
                raise MathDomainError(
                    f"{spec.where}: exercise {derivation.id} ({derivation.kind}), quantity {q.name}: float64 "
                    f"overflows or saturates here (numpy's {_shown(theirs)} against the exact {_shown(mine)}), so "
                    "the cross-check every value must pass cannot be made; use less extreme numbers")
            span = given_span(spec.data)
            if span > MAX_FLOAT_SPAN:
                raise MathDomainError(
                    f"{spec.where}: exercise {derivation.id} ({derivation.kind}), quantity {q.name}: the given "
                    f"numbers span about 10^{span} (smallest to largest), too wide for the float64 cross-check "
                    f"every value must pass (numpy's {_shown(theirs)} against the exact {_shown(mine)}); use "
                    f"numbers within 10^{MAX_FLOAT_SPAN} of each other")
            worst = np.unravel_index(np.argmax(np.abs(mine - theirs)), mine.shape) if mine.ndim else ()
            raise CrossCheckError(
                f"cross-check failed: exercise {derivation.id} ({derivation.kind}), quantity {q.name}"
                f"{list(int(i) + 1 for i in worst) if worst else ''}: exact "
                f"{mine[worst] if worst else float(mine)!r} but numpy {theirs[worst] if worst else float(theirs)!r}")
    return len(derivation.quantities)


MAX_EXACT_DIGITS = 2000
"""The most digits in the numerator or denominator of an exact value a sheet shows (a 2000-digit
fraction fills a page; Python refuses to print integers above 4300 digits at all)."""

_TOO_LARGE = (OverflowError, RecursionError, MemoryError, decimal.InvalidOperation)


def exact_digits(value: sp.Basic) -> int:
    """The most decimal digits of any integer or fraction part in an exact value (from bit
    lengths, so a huge number is never converted to text).

    >>> exact_digits(sp.Rational(1, 3) + sp.exp(sp.Integer(10) ** 40))
    41
    """
    entries = list(value) if isinstance(value, sp.MatrixBase) else [value]
    bits = 0
    for entry in entries:
        for atom in entry.atoms(sp.Rational):
            bits = max(bits, int(atom.p).bit_length(), int(atom.q).bit_length())
    return int(bits * 0.30103) + 1


def check_size(spec: ExerciseSpec[Any], derivation: Derivation) -> None:
    """Refuse a derivation whose exact values are too long to show (:data:`MAX_EXACT_DIGITS`)."""
    for q in derivation.quantities:
        digits = exact_digits(q.exact)
        if digits > MAX_EXACT_DIGITS:
            raise MathDomainError(
                f"{spec.where}: exercise {derivation.id} ({derivation.kind}), quantity {q.name}: its exact value "
                f"has about {digits} digits, more than the {MAX_EXACT_DIGITS} a sheet shows; use smaller "
                "exponents, fewer steps or numbers with fewer digits")


def solve_bounded(exercise: ExerciseSpec[Any]) -> Derivation:
    """Solve one exercise; values too large to compute with become a one-line error naming it."""
    try:
        derivation = solve_exercise(exercise)
    except _TOO_LARGE as exc:
        raise MathDomainError(f"{exercise.where}: exercise {exercise.id} ({exercise.kind}): the exact values "
                              f"grow too large to compute ({type(exc).__name__}); use smaller numbers or "
                              "fewer steps") from None
    except ValueError as exc:
        if "integer string conversion" not in str(exc):
            raise
        raise MathDomainError(f"{exercise.where}: exercise {exercise.id} ({exercise.kind}): an exact value has "
                              f"more than {MAX_EXACT_DIGITS} digits; use smaller numbers or fewer steps") from None
    check_size(exercise, derivation)
    return derivation


MAX_FLOAT_SPAN = 12
"""Orders of magnitude between the smallest and largest given number (non-zero) beyond which a
float64 disagreement is put down to cancellation in the float twin, and reported as a limit
of the input (exit 2), not as a bug."""


def given_span(data: Any) -> int:
    """log10 of the ratio between the largest and smallest non-zero given number (0 if fewer than two).

    >>> from fractions import Fraction
    >>> given_span((Fraction(10**100), (Fraction(1), Fraction(0))))
    100
    """
    found: list[Fraction] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, Fraction):
            if item:
                found.append(abs(item))
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
    if len(found) < 2:
        return 0
    ratio = max(found) / min(found)
    return len(str(ratio.numerator // ratio.denominator)) - 1


def _shown(values: np.ndarray) -> str:
    return np.array2string(np.asarray(values).ravel()[:3], precision=6)


def solve_checked(spec: SheetSpec, solved: Callable[[Derivation], None] | None = None) -> Sheet:
    """Solve every exercise exactly and cross-check every quantity with numpy (``symnn sheet`` and ``check``).

    ``solved`` is called with each derivation as soon as it is solved, before its cross-check
    (``symnn sheet`` hands its figures to the drawing worker then, which draws them while this
    process cross-checks and solves the next exercise).  The figures' numbers are certified on
    their own, and a failed cross-check stops the run before anything is written.
    """
    derivations = []
    for exercise in spec.exercises:
        d = solve_bounded(exercise)
        if solved is not None:
            try:
                solved(d)
            except Exception:
                # The figures read the values the cross-check reads first; it names a bad one with its
                # file, exercise and quantity (a complex or undefined value, say), else this error stands.
                crosscheck(exercise, d)
                raise
        crosscheck(exercise, d)
        derivations.append(d)
    return Sheet(spec.title, tuple(derivations))
