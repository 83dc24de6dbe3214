"""The statement of an exercise: its given data as lines of text and mathematics.

A student sheet shows only this and the list of asked quantities; a teacher sheet
shows it above the worked solution.  Lines are plain data (tuples of text and SymPy
objects, like :class:`~symnn.sheets.steps.Prose`), so the Markdown and Moodle renderers
print the same statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy as sp

from symnn.core.calculus import SOFTMAX, activation_for
from symnn.sheets import notation as nt
from symnn.sheets.build import exact, to_matrix
from symnn.sheets.fields import Layer, given_items
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


def activation_words(name: str, alpha: Fraction | None, formula: Any) -> Line:
    """How a layer's activation reads in a statement (its formula, or alpha where it has one)."""
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


def layer_line(number: int, layer: Layer) -> Line:
    """One layer of a network as a line: its weights, bias and activation."""
    parts: list[Inline] = [f"Layer {number}: ", sp.Eq(sp.Symbol(f"W_{number}"), to_matrix(layer.W), evaluate=False)]
    if layer.b is not None:
        parts += [", ", sp.Eq(sp.Symbol(f"b_{number}"), to_matrix(layer.b), evaluate=False)]
    else:
        parts.append(", no bias")
    parts.append(", ")
    parts += activation_words(layer.activation, layer.alpha, layer.formula)
    parts.append(".")
    return tuple(parts)


def generic_statement(data: object) -> list[Line]:
    """Every given field as ``name = value``, one per line (the default statement of a kind)."""
    lines: list[Line] = []
    for name, value in given_items(data):
        if value is None or name == "expand":
            continue
        if isinstance(value, tuple) and value and isinstance(value[0], Layer):
            lines += [layer_line(n, layer) for n, layer in enumerate(value, start=1)]
            continue
        shown = _value(value)
        lines.append((sp.Eq(sp.Symbol(name), shown, evaluate=False),) if isinstance(shown, sp.Basic)
                     else (f"{name}: {shown}",))
    return lines


def asked(derivation: Derivation, names: Sequence[str] | None) -> list[Quantity]:
    """The quantities a student is asked for: ``names`` in order, or the derivation's final results."""
    return [derivation.quantity(n) for n in (names if names is not None else derivation.summary)]
