"""Activation functions evaluated at given points (kind ``activations``)."""

from __future__ import annotations

import sympy as sp

from symnn.core.calculus import ACTIVATIONS, x
from symnn.core.calculus import alpha as alpha_symbol
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, exact, unevaluated
from symnn.sheets.kinds.network.writing import define_activation
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.steps import Derivation, Figure


def solve_activations(spec: ExerciseSpec) -> Derivation:
    """Each function and its SymPy derivative at every input, with a table and plots."""
    f = spec.fields
    points = [exact(v) for v in f["x"]]
    alpha = exact(f["alpha"])
    b = Builder(spec, "Activation functions")
    table_rows: list[list[sp.Basic]] = [[p] for p in points]
    header: list[object] = ["x"]
    for name in f["functions"]:
        act = ACTIVATIONS[name]
        a_val = alpha if act.has_alpha else None
        b.heading(act.display if act.display != "σ" else "Sigmoid")
        define_activation(b, act, a_val)
        values, slopes = [], []
        for p in points:
            value = act.at(p, a_val)
            written = []
            if not isinstance(act.definition, (sp.Piecewise, sp.Function)):
                mapping = {x: p, alpha_symbol: a_val} if a_val is not None else {x: p}
                written.append(unevaluated(act.definition, mapping))
            b.equation(nt.Applied(act.display, p), None, written, value)
            values.append(value)
            slopes.append(act.derivative_at(p, a_val))
        b.equation(nt.Applied(act.display, sp.Symbol("x")), None, (), sp.ImmutableMatrix([values]),
                   quantity=name, caption=f"{act.display} at each input")
        b.equation(nt.Applied(act.display, sp.Symbol("x"), prime=True), None, (), sp.ImmutableMatrix([slopes]),
                   quantity=f"{name}_prime", caption=f"derivative of {act.display} at each input")
        curve = act.definition.xreplace({alpha_symbol: a_val}) if a_val is not None else act.definition
        slope = act.derivative.xreplace({alpha_symbol: a_val}) if a_val is not None else act.derivative
        b.step(Figure(f"{act.display} and its derivative", f"{spec.id}_{name}",
                      ((act.display, curve), (act.display + "'", slope)),
                      tuple(zip(points, values))))
        for row, v in zip(table_rows, values):
            row.append(v)
        header.append(nt.Applied(act.display, sp.Symbol("x")))
    b.heading("All values")
    b.table(header, table_rows)
    b.remark("ReLU and leaky ReLU are piecewise linear: cheap, and their gradient does not shrink for positive "
             "inputs, but a ReLU unit whose input stays negative passes no gradient (a dead unit); the leaky "
             "slope α keeps a small gradient there. Sigmoid and tanh are smooth and bounded; their derivatives "
             "vanish for large |x| (saturation). Tanh is zero-centred, sigmoid is not.")
    return b.done(list(f["functions"]))
