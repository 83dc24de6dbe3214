"""The statement of an exercise: its given data as lines of text and mathematics.

A student sheet shows only this and the list of asked quantities; a teacher sheet
shows it above the worked solution.  Lines are plain data (tuples of text and SymPy
objects, like :class:`~symnn.sheets.steps.Prose`), so the Markdown and Moodle renderers
print the same statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from functools import cache
from typing import Any

import sympy as sp

from symnn.core.calculus import ACTIVATIONS, SOFTMAX, activation_for
from symnn.sheets import notation as nt
from symnn.sheets.build import exact, to_matrix
from symnn.sheets.fields import Layer, given_items
from symnn.sheets.steps import Derivation, Inline, Quantity

Line = tuple[Inline, ...]
"""One line of a statement: text and mathematics in reading order."""


def _value(value: Any) -> Inline | Line:
    """A spec value as something printable: numbers and matrices exact, activations as their symbols,
    other names as words."""
    if isinstance(value, Fraction | int) and not isinstance(value, bool):
        return exact(value)
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return to_matrix(value)
    if isinstance(value, tuple) and all(isinstance(v, Fraction | int) and not isinstance(v, bool) for v in value):
        return sp.Tuple(*(exact(v) for v in value))
    if isinstance(value, tuple):
        parts: list[Inline] = []
        for i, v in enumerate(value):
            shown = _value(v)
            parts += [", "] if i else []
            parts += list(shown) if isinstance(shown, tuple) else [shown]
        return tuple(parts)
    if isinstance(value, str) and value in ACTIVATIONS:
        return activation_symbol(value)
    return str(value).replace("_", " ")


def activation_symbol(name: str, formula: Any = None) -> sp.Basic:
    """An activation set as its symbol in prose: ``relu`` is ReLU, ``sigmoid`` is σ, ``tanh`` is tanh."""
    if name == SOFTMAX:
        return nt.FunctionName("softmax")
    return nt.FunctionName(activation_for(name, formula).display)


def activation_words(name: str, alpha: Fraction | None, formula: Any) -> Line:
    """How a layer's activation reads in a statement (its formula, or alpha where it has one)."""
    if formula is not None:
        act = activation_for(name, formula)
        return ("activation ", activation_symbol(name, formula), ", defined as ",
                sp.Eq(nt.Applied(act.display, sp.Symbol("x")), act.definition, evaluate=False))
    if name == SOFTMAX:
        return ("activation ", activation_symbol(name), " (over each column)")
    words: Line = ("activation ", activation_symbol(name))
    if alpha is not None and name in ("leaky_relu", "elu"):
        return (*words, " with ", sp.Eq(sp.Symbol("alpha"), exact(alpha), evaluate=False))
    return words


@cache
def general_rules() -> Line:
    """A dense layer's rules in general notation, for a statement: ``Z_l = W_l A_{l-1} + b_l, A_l = f_l(Z_l), A_0 = x``
    (made once: the same line opens every network statement)."""
    n = sp.Symbol("n", positive=True, integer=True)
    Z, A, A_prev, W, b = (nt.matrix(name, n, n) for name in ("Z_l", "A_l", "A_{l-1}", "W_l", "b_l"))
    return (sp.Eq(Z, W * A_prev + b, evaluate=False), ", ", sp.Eq(A, nt.Elementwise("f_l", Z), evaluate=False), ", ",
            sp.Eq(nt.matrix("A_0", n, n), nt.matrix("x", n, n), evaluate=False))


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


FIELD_SYMBOLS = {"learning_rate": "eta", "y_hat": "yhat"}
"""Given fields whose usual symbol is not their name."""
GREEK_NAMES = frozenset({"alpha", "beta", "gamma", "delta", "epsilon", "eta", "lambda", "mu", "sigma", "tau", "theta"})


def field_symbol(name: str) -> sp.Basic:
    """How a given field's name is written in a formula: ``x``, ``α``, ``η`` (learning_rate), ``ŷ`` (y_hat),
    an upright word (``ddof``) or a name with an upright subscript (``W_new``)."""
    name = FIELD_SYMBOLS.get(name, name)
    if len(name) == 1 or name in GREEK_NAMES or name == "yhat":
        return sp.Symbol(name)
    base, underscore, sub = name.partition("_")
    if underscore and len(base) == 1:
        return nt.Named(base, sub)
    return nt.text(name.replace("_", " "))


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
        label = name.replace("_", " ")
        if isinstance(shown, sp.Basic) and not isinstance(shown, nt.FunctionName):
            lines.append((sp.Eq(field_symbol(name), shown, evaluate=False),))
        else:
            lines.append((f"{label}: ", *(shown if isinstance(shown, tuple) else (shown,))))
    return lines


def asked(derivation: Derivation, names: Sequence[str] | None) -> list[Quantity]:
    """The quantities a student is asked for: ``names`` in order, or the derivation's final results."""
    return [derivation.quantity(n) for n in (names if names is not None else derivation.summary)]
