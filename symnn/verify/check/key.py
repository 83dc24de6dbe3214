"""The exact answer key prepared for checking: plain data, built once per sheet.

Building it solves every exercise with SymPy and cross-checks it with numpy
(:func:`symnn.sheets.pipeline.solve_checked`); what the checker then needs is plain data
that a worker process can use without SymPy: each quantity's shape, its exact
value where that is rational, a rational enclosure of every entry, the texts shown
to people, and the activations and losses of the sheet compiled to interval
programs.

>>> from symnn.sheets.spec import load_sheet
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
from decimal import Decimal
from fractions import Fraction
from typing import Any

from symnn.sheets.spec import SheetSpec
from symnn.verify.check.interval import IMatrix, Interval, Program, compile_expr

ENCLOSURE_DIGITS = 60
"""Significant digits to which irrational exact values are evaluated."""
ENCLOSURE_SLACK = Fraction(1, 10**50)
"""Relative and absolute half-width of an irrational value's enclosure."""


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
    fields: Mapping[str, Any]
    """The given data, as validated by :mod:`symnn.sheets.spec`."""
    quantities: tuple[KeyQuantity, ...]
    """Every quantity, in the order the derivation computes them."""
    programs: Mapping[str, Program]
    """The activations, derivatives and losses this exercise uses, compiled (see :func:`programs_for`)."""

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
    number = sp.N(value, ENCLOSURE_DIGITS)
    if not (number.is_real and number.is_finite):
        raise ValueError(f"not a finite real number: {value}")
    mid = Fraction(Decimal(str(number)))
    slack = abs(mid) * ENCLOSURE_SLACK + ENCLOSURE_SLACK
    return None, Interval(mid - slack, mid + slack), float(mid)


def key_quantity(name: str, value: Any) -> KeyQuantity:
    """The checker's form of one exact SymPy value (each entry evaluated once)."""
    import sympy as sp

    is_matrix = isinstance(value, sp.MatrixBase)
    rows = [list(value.row(i)) for i in range(value.rows)] if is_matrix else [[value]]
    done = [[_enclose(v) for v in row] for row in rows]
    texts = [[str(sp.sstr(v)) for v in row] for row in rows]
    # The same texts and floats as symnn.sheets.render.printing.exact_text and to_float.
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


def programs_for(kind: str, fields: Mapping[str, Any]) -> dict[str, Program]:
    """Compile the definitions an exercise uses from :mod:`symnn.core.calculus` and the solvers.

    Names: ``dout:<activation>`` (derivative in terms of the output a), and per kind
    ``gc_loss``/``gc_grad`` and ``penalty:<name>``/``dpenalty:<name>``.  Activations, losses
    and network rules are the network engine's (:mod:`symnn.library.engine`), compiled
    by :mod:`symnn.verify.check.domain`.
    """
    from symnn.core.calculus import ACTIVATIONS

    acts: set[str] = set()
    programs: dict[str, Program] = {}
    if kind == "error_analysis":
        acts.update(layer.activation for layer in fields["layers"])
    elif kind == "gradient_check":
        programs.update(_gradient_check_programs())
    elif kind == "regularization":
        programs.update(_penalty_programs())
    for name in sorted(acts & set(ACTIVATIONS)):
        act = ACTIVATIONS[name]
        in_output = act.derivative_in_output()
        if in_output is not None:
            programs[f"dout:{name}"] = compile_expr(in_output)
    return programs


def _gradient_check_programs() -> dict[str, Program]:
    """The gradient-check loss and its SymPy derivative, both written in ŷ (as the solver shows them)."""
    import sympy as sp

    from symnn.sheets.kinds.gradient_check import LOSS, MODEL, W, b_, x, yhat

    loss = LOSS.subs(MODEL, yhat)
    grad = sp.factor(sp.diff(LOSS, W).subs(MODEL, yhat)).subs(W * x + b_, yhat)
    if loss.has(W, b_) or grad.has(W, b_):
        raise TypeError("the gradient-check loss is not a function of y_hat alone")
    return {"gc_loss": compile_expr(loss), "gc_grad": compile_expr(grad)}


def _penalty_programs() -> dict[str, Program]:
    import sympy as sp

    from symnn.sheets.kinds.regularization import PENALTIES, w

    programs = {}
    for name, term in PENALTIES.items():
        programs[f"penalty:{name}"] = compile_expr(term)
        programs[f"dpenalty:{name}"] = compile_expr(sp.diff(term, w))
    return programs


def build_key(spec: SheetSpec) -> SheetKey:
    """Solve and cross-check every exercise, and keep what checking needs."""
    from symnn.sheets.crosscheck import crosscheck
    from symnn.sheets.kinds import solve_exercise

    exercises = []
    for exercise in spec.exercises:
        derivation = solve_exercise(exercise)
        crosscheck(exercise, derivation)
        exercises.append(ExerciseKey(
            id=exercise.id,
            kind=exercise.kind,
            fields=dict(exercise.fields),
            quantities=tuple(key_quantity(q.name, q.exact) for q in derivation.quantities),
            programs=programs_for(exercise.kind, exercise.fields),
        ))
    return SheetKey(spec.source, tuple(exercises))


__all__ = ["ExerciseKey", "KeyQuantity", "SheetKey", "build_key"]
