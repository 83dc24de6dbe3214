"""Activation functions evaluated at given points (kind ``activations``)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from symnn.core import interval as iv
from symnn.core.calculus import ACTIVATIONS, x
from symnn.core.calculus import alpha as alpha_symbol
from symnn.core.interval import IMatrix, Interval
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, exact, unevaluated
from symnn.sheets.derivative_forms import form_for
from symnn.sheets.fields import DEFAULT_ALPHA, choices, given, read_scalar, read_vector
from symnn.sheets.kinds.base import Kind
from symnn.sheets.kinds.network.writing import define_activation
from symnn.sheets.recipes import Activation, Program, Programs, Recipes, activation, compile_activations
from symnn.sheets.reference.activations import evaluate_activations
from symnn.sheets.reference.arrays import Values
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.steps import Derivation, Figure

FUNCTIONS = ("relu", "leaky_relu", "sigmoid", "tanh")
"""The functions this kind evaluates (all of them unless ``functions`` names some)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Activations:
    """Points at which to evaluate activation functions and their derivatives."""

    x: tuple[Fraction, ...] = given(read_vector)
    """The inputs."""
    functions: tuple[str, ...] = given(choices(FUNCTIONS, "function"), default=FUNCTIONS)
    """The functions to evaluate, in order."""
    alpha: Fraction = given(read_scalar, default=DEFAULT_ALPHA["leaky_relu"])
    """The negative-side slope of leaky ReLU."""


def solve_activations(spec: ExerciseSpec[Activations]) -> Derivation:
    """Each function and its SymPy derivative at every input, with a table and plots."""
    f = spec.data
    points = [exact(v) for v in f.x]
    alpha = exact(f.alpha)
    b = Builder(spec, "Activation functions")
    table_rows: list[list[sp.Basic]] = [[p] for p in points]
    header: list[object] = [sp.Symbol("x")]
    for name in f.functions:
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
                   quantity=name, caption=(nt.FunctionName(act.display), " at each input"))
        form = form_for(act)
        written_slopes = () if form is None else (sp.ImmutableMatrix([[form.at(p) for p in points]]),)
        b.equation(nt.Applied(act.display, sp.Symbol("x"), prime=True), None, written_slopes,
                   sp.ImmutableMatrix([slopes]),
                   quantity=f"{name}_prime", caption=("derivative of ", nt.FunctionName(act.display), " at each input"))
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
             "slope ", alpha_symbol, " keeps a small gradient there. Sigmoid and tanh are smooth and bounded; their "
             "derivatives vanish for large ", sp.Abs(x), " (saturation). Tanh is zero-centred, sigmoid is not.")
    return b.done(list(f.functions))


def reference(data: Activations) -> Values:
    """The numpy twin."""
    return evaluate_activations(data.x, data.functions, data.alpha)


def compiled(data: Activations) -> dict[str, Program]:
    """The functions, compiled."""
    return compile_activations(data.functions)


def recipes(data: Activations, programs: Programs) -> Recipes:
    """Named mistakes only: the function given for its derivative, and sigmoid's sign slip."""
    points = (tuple(Interval.point(v) for v in data.x),)
    r = Recipes()
    for name in data.functions:
        _mistakes(r, name, activation(programs, name, data.alpha), points)
    return r


def _mistakes(r: Recipes, name: str, act: Activation, points: IMatrix) -> None:
    r.mistake(f"{name}_prime", (), lambda v: act.apply(points), "this is the function itself, not its derivative")
    if name == "sigmoid":
        r.mistake(name, (), lambda v: act.apply(iv.scale(-1, points)),
                  "a sign slip in the exponent: 1/(1 + e^x) instead of 1/(1 + e^(−x))")


ACTIVATIONS_KIND = Kind(
    name="activations",
    data=Activations,
    solve=solve_activations,
    reference=reference,
    programs=compiled,
    recipes=recipes,
)
"""The declaration of kind ``activations``."""
