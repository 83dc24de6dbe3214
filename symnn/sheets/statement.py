"""The statement of an exercise: its given data as lines of text and mathematics.

A student sheet shows only this and the list of asked quantities; a teacher sheet
shows it above the worked solution.  Lines are plain data (tuples of text and SymPy
objects, like :class:`~symnn.sheets.steps.Prose`), so the Markdown and Moodle renderers
print the same statement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import sympy as sp

from symnn.core.calculus import LOSSES, SOFTMAX, activation_for
from symnn.sheets import notation as nt
from symnn.sheets.build import exact, to_matrix
from symnn.sheets.spec import ExerciseSpec, Layer
from symnn.sheets.steps import Derivation, Inline, Quantity

Line = tuple[Inline, ...]
"""One line of a statement: text and mathematics in reading order."""


def _value(value: Any) -> Inline:
    """A spec value as something printable: numbers and matrices exact, names as text."""
    if isinstance(value, Fraction | int) and not isinstance(value, bool):
        return exact(value)
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return to_matrix(value)
    if isinstance(value, tuple):
        return ", ".join(str(_value(v)) for v in value)
    return str(value)


def _eq(name: str, value: Any) -> sp.Basic:
    shown = _value(value)
    return sp.Eq(sp.Symbol(name), shown, evaluate=False) if isinstance(shown, sp.Basic) else sp.Symbol(name)


def _activation_words(name: str, alpha: Fraction | None, formula: Any) -> Line:
    if formula is not None:
        act = activation_for(name, formula)
        return (f"activation {name}, defined as ", sp.Eq(nt.Applied(act.display, sp.Symbol("x")),
                                                          act.definition, evaluate=False))
    if name == SOFTMAX:
        return ("activation softmax (over each column)",)
    words = f"activation {name}"
    if alpha is not None and name in ("leaky_relu", "elu"):
        return (words + " with ", sp.Eq(sp.Symbol("alpha"), exact(alpha), evaluate=False))
    return (words,)


def _layer_line(number: int, layer: Layer) -> Line:
    parts: list[Inline] = [f"Layer {number}: ", sp.Eq(sp.Symbol(f"W_{number}"), to_matrix(layer.W), evaluate=False)]
    if layer.b is not None:
        parts += [", ", sp.Eq(sp.Symbol(f"b_{number}"), to_matrix(layer.b), evaluate=False)]
    else:
        parts.append(", no bias")
    parts.append(", ")
    parts += _activation_words(layer.activation, layer.alpha, layer.formula)
    parts.append(".")
    return tuple(parts)


def network_statement(f: Mapping[str, Any]) -> list[Line]:
    """A network's given data: input, targets, layers, loss and training settings."""
    x, layers = to_matrix(f["x"]), f["layers"]
    samples = x.cols
    opening = (f"A network with {len(layers)} dense layer{'s' if len(layers) > 1 else ''} "
               "(Z_l = W_l A_(l−1) + b_l, A_l = f_l(Z_l), A_0 = x) receives the input ")
    lines: list[Line] = [(opening,
                          sp.Eq(sp.Symbol("x"), x, evaluate=False),
                          f" ({samples} samples, one per column)." if samples > 1 else ".")]
    if f.get("y_classes") is not None:
        lines.append(("The target classes (counting from 0) are " + ", ".join(map(str, f["y_classes"])) + ".",))
    else:
        lines.append(("The targets are ", sp.Eq(sp.Symbol("y"), to_matrix(f["y"]), evaluate=False), "."))
    lines += [_layer_line(n, layer) for n, layer in enumerate(layers, start=1)]
    loss = LOSSES[f["loss"]]
    words = f"The loss is the {loss.description}"
    if samples > 1:
        words += f"; the batch loss is the {f.get('reduction') or 'sum'} of the samples' losses"
    lines.append((words + ".",))
    if f.get("learning_rate") is not None:
        rate: list[Inline] = ["Gradient descent uses the learning rate ",
                              sp.Eq(sp.Symbol("eta"), exact(f["learning_rate"]), evaluate=False)]
        if f.get("steps") is not None:
            rate.append(f" for {f['steps']} step{'s' if f['steps'] > 1 else ''}")
        if not f.get("update_biases", True):
            rate.append("; the biases stay fixed")
        lines.append((*rate, "."))
    return lines


def forward_statement(f: Mapping[str, Any]) -> list[Line]:
    """One dense layer's given data."""
    parts: list[Inline] = ["A dense layer computes Z = W X + b and A = f(Z) with ",
                           sp.Eq(sp.Symbol("W"), to_matrix(f["W"]), evaluate=False), ", ",
                           sp.Eq(sp.Symbol("X"), to_matrix(f["X"]), evaluate=False)]
    if f.get("b") is not None:
        parts += [", ", sp.Eq(sp.Symbol("b"), to_matrix(f["b"]), evaluate=False)]
    return [(*parts, ", "), (*_activation_words(f["activation"], f.get("alpha"), f.get("formula")), ".")]


def generic_statement(f: Mapping[str, Any]) -> list[Line]:
    """Every given field as ``name = value``, one per line."""
    lines: list[Line] = []
    for name, value in f.items():
        if value is None or name == "expand":
            continue
        if isinstance(value, tuple) and value and isinstance(value[0], Layer):
            lines += [_layer_line(n, layer) for n, layer in enumerate(value, start=1)]
            continue
        shown = _value(value)
        lines.append((sp.Eq(sp.Symbol(name), shown, evaluate=False),) if isinstance(shown, sp.Basic)
                     else (f"{name}: {shown}",))
    return lines


STATEMENTS: dict[str, Callable[[Mapping[str, Any]], list[Line]]] = {
    "network": network_statement,
    "forward": forward_statement,
}
"""Statement writers for kinds whose data reads better as sentences; others use :func:`generic_statement`."""


def statement(spec: ExerciseSpec) -> list[Line]:
    """The given data of an exercise, as lines.

    >>> from symnn.sheets.spec import load_sheet
    >>> statement(load_sheet().exercises[1])[-1]
    ('The loss is the binary cross-entropy.',)
    """
    return STATEMENTS.get(spec.kind, generic_statement)(spec.fields)


def asked(derivation: Derivation, names: Sequence[str] | None) -> list[Quantity]:
    """The quantities a student is asked for: ``names`` in order, or the derivation's final results."""
    return [derivation.quantity(n) for n in (names if names is not None else derivation.summary)]
