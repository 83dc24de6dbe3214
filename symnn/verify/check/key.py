"""The exact answer key prepared for checking: plain data, built once per sheet.

Building it solves every exercise with SymPy and cross-checks it with numpy, the
same path as ``symnn sheet`` (:func:`symnn.sheets.crosscheck.solve_checked`); what the
checker then needs is plain data that a worker process can use without SymPy: each
quantity's shape, its exact value where that is rational, a rational enclosure of
every entry, the texts shown to people, the given data, and the definitions each
kind's check recipes use, compiled to interval programs
(:attr:`symnn.sheets.kinds.base.Kind.programs`).

>>> from symnn.sheets.loading import load_sheet
>>> key = build_key(load_sheet())
>>> q = key["ex2"].quantity("L")
>>> q.exact_text, q.shape, q.exact
('log(2)', (1, 1), (None,))
>>> float(q.enclosure[0][0].lo)
0.6931471805599453
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from symnn.core.domains import NotCompilable, Program
from symnn.core.interval import IMatrix, Interval
from symnn.core.program import enclose
from symnn.sheets.spec import SheetSpec


@dataclass(frozen=True, slots=True)
class KeyQuantity:
    """One named exact result, in the form the checker compares claims with."""

    name: str
    """Answer-key name, e.g. ``"X_std"``."""
    shape: tuple[int, int]
    """(rows, columns); a scalar is (1, 1)."""
    scalar: bool
    """Whether the quantity is a number rather than a matrix."""
    exact: tuple[Fraction | None, ...]
    """Each entry row by row: its exact value when rational, else None."""
    enclosure: IMatrix
    """Each entry enclosed by rationals (a point when rational)."""
    exact_text: str
    """The exact value as plain text, e.g. ``[[7/10], [13/20]]`` or ``log(2)``."""
    entry_texts: tuple[str, ...]
    """Each entry's exact value as plain text, row by row."""
    value: float | list[list[float]]
    """The exact value as float(s), for JSON."""


@dataclass(frozen=True, slots=True)
class ExerciseKey:
    """One exercise's answer key and given data."""

    id: str
    """Exercise id, e.g. ``ex3``."""
    kind: str
    """Exercise kind."""
    data: Any
    """The given data, typed by the kind, as validated by :mod:`symnn.sheets.spec`."""
    quantities: tuple[KeyQuantity, ...]
    """Every quantity, in the order the derivation computes them."""
    programs: Mapping[str, Program]
    """The definitions the kind's check recipes use, compiled (:attr:`symnn.sheets.kinds.base.Kind.programs`)."""

    def quantity(self, name: str) -> KeyQuantity:
        for q in self.quantities:
            if q.name == name:
                return q
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(q.name for q in self.quantities)


@dataclass(frozen=True, slots=True)
class SheetKey:
    """The answer key of a whole sheet."""

    source: str
    """Where the sheet came from."""
    exercises: tuple[ExerciseKey, ...]
    """One per exercise, in sheet order."""

    def __getitem__(self, exercise_id: str) -> ExerciseKey:
        for e in self.exercises:
            if e.id == exercise_id:
                return e
        raise KeyError(exercise_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(e.id for e in self.exercises)


def _enclose(value: Any) -> tuple[Fraction | None, Interval, float]:
    """An entry's exact rational (if it is one), its enclosure and its float."""
    import sympy as sp

    if isinstance(value, sp.Rational):
        exact = Fraction(int(value.p), int(value.q))
        return exact, Interval.point(exact), float(exact)
    try:
        low, high = enclose(value)
    except (NotCompilable, ValueError) as exc:
        raise ValueError(f"cannot enclose {value}: {exc}") from None
    return None, Interval(low, high), float(low)


def key_quantity(name: str, value: Any) -> KeyQuantity:
    """The checker's form of one exact SymPy value (each entry evaluated once)."""
    import sympy as sp

    is_matrix = isinstance(value, sp.MatrixBase)
    rows = [list(value.row(i)) for i in range(value.rows)] if is_matrix else [[value]]
    done = [[_enclose(v) for v in row] for row in rows]
    texts = [[str(sp.sstr(v)) for v in row] for row in rows]
    # The same texts and floats as symnn.core.decimals.exact_text and to_float.
    exact_text = "[" + ", ".join("[" + ", ".join(row) + "]" for row in texts) + "]" if is_matrix else texts[0][0]
    return KeyQuantity(
        name=name,
        shape=(len(rows), len(rows[0])),
        scalar=not is_matrix,
        exact=tuple(e for row in done for e, _, _ in row),
        enclosure=tuple(tuple(i for _, i, _ in row) for row in done),
        exact_text=exact_text,
        entry_texts=tuple(t for row in texts for t in row),
        value=[[f for _, _, f in row] for row in done] if is_matrix else done[0][0][2],
    )


def build_key(spec: SheetSpec) -> SheetKey:
    """Solve and cross-check every exercise as ``symnn sheet`` does, and keep what checking needs."""
    from symnn.sheets.crosscheck import solve_checked
    from symnn.sheets.kinds import kind_of

    solved = solve_checked(spec)
    exercises = []
    for exercise, derivation in zip(spec.exercises, solved.derivations):
        exercises.append(ExerciseKey(
            id=exercise.id,
            kind=exercise.kind,
            data=exercise.data,
            quantities=tuple(key_quantity(q.name, q.exact) for q in derivation.quantities),
            programs=kind_of(exercise).programs(exercise.data),
        ))
    return SheetKey(spec.source, tuple(exercises))


__all__ = ["ExerciseKey", "KeyQuantity", "SheetKey", "build_key"]
