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
from fractions import Fraction
from typing import Any

from symnn.core.domains import NotCompilable, Program, enclose_constant
from symnn.core.interval import IMatrix, Interval
from symnn.core.program import compile_program
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
    fields: Mapping[str, Any]
    """The given data, as validated by :mod:`symnn.sheets.spec`."""
    quantities: tuple[KeyQuantity, ...]
    """Every quantity, in the order the derivation computes them."""
    programs: Mapping[str, Program]
    """The activations, derivatives and losses this exercise uses, compiled (see :func:`programs_for`)."""
    mean_loss: bool = False
    """Whether the exercise's loss averages its entries (else sums them)."""

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
        low, high = enclose_constant(compile_program(value))
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

    Names: ``f:<activation>``, ``df:<activation>`` (derivative in x),
    ``dout:<activation>`` (derivative in terms of the output a), ``loss:<loss>`` (one
    entry's term), ``dloss:<loss>`` (d term/da), ``delta:<loss>:<activation>`` (the
    output delta), and per kind ``gc_loss``/``gc_grad`` and ``penalty:<name>``/``dpenalty:<name>``.
    """
    from symnn.core.calculus import ACTIVATIONS, LOSSES, output_delta

    acts: set[str] = set()
    losses: set[str] = set()
    programs: dict[str, Program] = {}
    if kind == "forward":
        acts.add(fields["activation"])
    elif kind == "activations":
        acts.update(fields["functions"])
    elif kind in ("network", "error_analysis"):
        acts.update(layer.activation for layer in fields["layers"])
        losses.add(fields["loss"])
        if fields["layers"]:
            last = fields["layers"][-1].activation
            programs[f"delta:{fields['loss']}:{last}"] = compile_program(output_delta(fields["loss"], last))
    elif kind == "gradient_check":
        programs.update(_gradient_check_programs())
    elif kind == "regularization":
        programs.update(_penalty_programs())
    for name in sorted(acts):
        act = ACTIVATIONS[name]
        programs[f"f:{name}"] = compile_program(act.definition)
        programs[f"df:{name}"] = compile_program(act.derivative)
        in_output = act.derivative_in_output()
        if in_output is not None:
            programs[f"dout:{name}"] = compile_program(in_output)
    for name in sorted(losses):
        programs[f"loss:{name}"] = compile_program(LOSSES[name].term)
        programs[f"dloss:{name}"] = compile_program(LOSSES[name].derivative)
    return programs


def _gradient_check_programs() -> dict[str, Program]:
    """The gradient-check loss and its SymPy derivative, both written in ŷ (as the solver shows them)."""
    import sympy as sp

    from symnn.sheets.kinds.gradient_check import LOSS, MODEL, W, b_, x, yhat

    loss = LOSS.subs(MODEL, yhat)
    grad = sp.factor(sp.diff(LOSS, W).subs(MODEL, yhat)).subs(W * x + b_, yhat)
    if loss.has(W, b_) or grad.has(W, b_):
        raise TypeError("the gradient-check loss is not a function of y_hat alone")
    return {"gc_loss": compile_program(loss), "gc_grad": compile_program(grad)}


def _penalty_programs() -> dict[str, Program]:
    import sympy as sp

    from symnn.sheets.kinds.regularization import PENALTIES, w

    programs = {}
    for name, term in PENALTIES.items():
        programs[f"penalty:{name}"] = compile_program(term)
        programs[f"dpenalty:{name}"] = compile_program(sp.diff(term, w))
    return programs


def _mean_loss(fields: Mapping[str, Any]) -> bool:
    from symnn.core.calculus import LOSSES

    loss = fields.get("loss")
    return isinstance(loss, str) and LOSSES[loss].reduction == "mean"


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
            mean_loss=_mean_loss(exercise.fields),
        ))
    return SheetKey(spec.source, tuple(exercises))


__all__ = ["ExerciseKey", "KeyQuantity", "SheetKey", "build_key"]
