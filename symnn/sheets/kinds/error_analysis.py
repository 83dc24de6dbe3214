"""Loss of a single prediction and a quantitative look at weight initialization (kind ``error_analysis``)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from symnn.core import interval as iv
from symnn.core.calculus import ACTIVATIONS, LOSSES, a, output_delta, y
from symnn.core.domains import INTERVALS, evaluate
from symnn.core.interval import IMatrix
from symnn.library import engine
from symnn.library.engine import BASE10_DOMAIN, Objective
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, exact, to_matrix, unevaluated
from symnn.sheets.fields import Context, Layer, choice, given, read_layers, read_scalar
from symnn.sheets.kinds.base import Kind
from symnn.sheets.recipes import (
    BASE10,
    Earlier,
    Program,
    Programs,
    Recipes,
    compile_activations,
)
from symnn.sheets.reference.arrays import Values
from symnn.sheets.reference.error_analysis import evaluate_error_analysis
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.steps import Derivation

yhat, z, L = sp.Symbol("yhat"), sp.Symbol("z"), sp.Symbol("L")
n_in = nt.Label("n_in", r"n_{\text{in}}", positive=True, integer=True)
n_out = nt.Label("n_out", r"n_{\text{out}}", positive=True, integer=True)
GLOROT_TEX = r"\ell_{\text{Glorot}}"
HE_TEX = r"\sigma_{\text{He}}"
SINGLE_LOSSES = ("bce", "half_sse", "sse", "mse")
"""The losses of one prediction this kind explains."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorAnalysis:
    """One prediction against its target, and optionally the layers of the network that made it."""

    y: Fraction = given(read_scalar)
    """The target."""
    y_hat: Fraction = given(read_scalar)
    """The prediction."""
    loss: str = given(choice(SINGLE_LOSSES, "loss"), default="bce")
    """The loss of the prediction."""
    layers: tuple[Layer, ...] = given(read_layers, default=())
    """The network's layers, whose weights are compared with the Glorot and He scales (none: no such part)."""

    def check(self, ctx: Context) -> None:
        """Binary cross-entropy needs 0 < ŷ < 1 and y in [0, 1]."""
        if self.loss == "bce":
            if self.y_hat in (0, 1):
                raise ctx.error(
                    f"binary cross-entropy with y_hat = {self.y_hat} is infinite (log 0); "
                    "y_hat must lie strictly between 0 and 1")
            if not 0 < self.y_hat < 1:
                raise ctx.error(f"binary cross-entropy needs 0 < y_hat < 1, got {self.y_hat}")
            if not 0 <= self.y <= 1:
                raise ctx.error(f"binary cross-entropy needs y in [0, 1], got {self.y}")


def solve_error_analysis(spec: ExerciseSpec[ErrorAnalysis]) -> Derivation:
    """The loss, its derivative at the output, and each layer's weights against Glorot and He scales."""
    f = spec.data
    loss = LOSSES[f.loss]
    y_v, yh_v = exact(f.y), exact(f.y_hat)
    b = Builder(spec, "Error analysis")
    b.heading("Loss")
    term = unevaluated(loss.term, {a: yhat})
    # -log(2/5) reads better as log(5/2): combine logs of rationals.
    value = sp.logcombine(sp.expand_log(loss.value([y_v], [yh_v]), force=True), force=True)
    b.equation(L, term, [unevaluated(term, {y: y_v, yhat: yh_v})], value, quantity="L", caption="loss")
    b.heading("Gradient at the output")
    d = loss.derivative.xreplace({a: yhat})
    b.equation(nt.Partial(L, yhat), d, [unevaluated(d, {y: y_v, yhat: yh_v})],
               sp.together(d.xreplace({y: y_v, yhat: yh_v})), quantity="dL_dyhat",
               caption="derivative with respect to the prediction")
    layers = f.layers
    summary = ["L", "dL_dyhat"]
    if layers:
        act = ACTIVATIONS[layers[-1].activation]
        rule = output_delta(loss.name, act.name)
        if act.derivative_in_output() is not None:
            b.say("The output layer applies ", nt.FunctionName(act.display), ", whose derivative SymPy writes in "
                  "terms of its output; the chain rule through it gives, for the pre-activation ", z, ":")
            shown = rule.xreplace({a: yhat})
            b.equation(nt.Partial(L, z), shown, [unevaluated(shown, {y: y_v, yhat: yh_v})],
                       sp.together(rule.xreplace({a: yh_v, y: y_v})), quantity="dL_dz",
                       caption="derivative with respect to the output pre-activation")
            summary.append("dL_dz")
        b.heading("Weight initialization")
        b.say("A layer with ", n_in, " inputs and ", n_out, " outputs keeps the variance of signals and gradients roughly "
              "constant when its weights are drawn on the following scales:")
        glorot = sp.sqrt(6 / (n_in + n_out))
        he = sp.sqrt(2 / n_in)
        b.equation(nt.Label("limit_Glorot", GLOROT_TEX), glorot)
        b.equation(nt.Label("sigma_He", HE_TEX), he)
        limit = nt.Label("limit_Glorot", GLOROT_TEX)
        b.say("Glorot (Xavier) draws uniformly from ", sp.Interval(-limit, limit), " and suits ",
              nt.FunctionName("tanh"), " and ", nt.FunctionName("σ"), " layers; He draws from a normal "
              "distribution with that standard deviation and suits ", nt.FunctionName("ReLU"), " layers.")
        for l, layer in enumerate(layers, start=1):
            W = to_matrix(layer.W)
            fo, fi = W.shape
            b.heading(f"Layer {l} ({fi} → {fo}, {ACTIVATIONS[layer.activation].display})")
            b.equation(nt.layer_label(r"n_{\text{in}}", "n_in", l), None, (), sp.Integer(fi),
                       quantity=f"fan_in{l}", caption="fan-in")
            b.equation(nt.layer_label(r"n_{\text{out}}", "n_out", l), None, (), sp.Integer(fo),
                       quantity=f"fan_out{l}", caption="fan-out")
            g = b.equation(nt.layer_label(GLOROT_TEX, "limit_Glorot", l), None, [unevaluated(glorot, {n_in: fi, n_out: fo})],
                           glorot.xreplace({n_in: fi, n_out: fo}), quantity=f"glorot_limit{l}",
                           caption="Glorot uniform limit")
            h = b.equation(nt.layer_label(HE_TEX, "sigma_He", l), None, [unevaluated(he, {n_in: fi})],
                           he.xreplace({n_in: fi}), quantity=f"he_std{l}", caption="He standard deviation")
            entries = list(W)
            biggest = max(abs(v) for v in entries)
            mean = sp.Add(*entries) / len(entries)
            std = sp.sqrt(sp.Add(*[(v - mean) ** 2 for v in entries]) / len(entries))
            b.equation(nt.Label(f"max|W{l}|", r"\max \lvert W_{%d} \rvert" % l), None, (), biggest, quantity=f"max_abs_W{l}",
                       caption="largest weight magnitude")
            b.equation(nt.Label(f"s_W{l}", r"s_{W_{%d}}" % l), None, (), std, quantity=f"std_W{l}",
                       caption="standard deviation of the weights")
            outside = sum(1 for v in entries if abs(v) > g)
            ratio = std / h
            b.equation(nt.Label(f"s_W{l}/sigma_He{l}", r"s_{W_{%d}} / \sigma_{\text{He}}^{(%d)}" % (l, l)),
                       None, (), ratio)
            b.say(f"All {len(entries)} weights lie inside the Glorot range" if outside == 0 else
                  f"{outside} of the {len(entries)} weights lie outside the Glorot range",
                  "; their spread is " + ("below" if ratio < 1 else "at or above") + " the He scale"
                  + (", unremarkable for so few weights." if ratio < 1 else "."))
        summary += [f"glorot_limit{l}" for l in range(1, len(layers) + 1)]
        summary += [f"he_std{l}" for l in range(1, len(layers) + 1)]
    b.remark("A saturated sigmoid (", sp.Abs(z), " large) has a derivative near 0 and stalls learning, and a ReLU unit whose "
             "pre-activation stays negative passes no gradient. Initializing on the Glorot or He scale, "
             "normalizing the inputs and monitoring the fraction of dead units address both.")
    return b.done(summary)


def reference(data: ErrorAnalysis) -> Values:
    """The numpy twin."""
    return evaluate_error_analysis(data.y, data.y_hat, data.loss, data.layers)


def compiled(data: ErrorAnalysis) -> dict[str, Program]:
    """The layers' activations, compiled (the recipes read the output layer's derivative in ŷ)."""
    return compile_activations(layer.activation for layer in data.layers)


def recipes(data: ErrorAnalysis, programs: Programs) -> Recipes:
    """∂L/∂z from a student's ∂L/∂ŷ and the initialization scales from their fans; their typical slips."""
    y_, y_hat = iv.const([[data.y]]), iv.const([[data.y_hat]])
    objective = Objective.of(data.loss)
    r = Recipes()
    r.mistake("L", (), lambda v: iv.scalar(engine.loss_value(BASE10_DOMAIN, objective, y_, y_hat)), BASE10)
    if data.layers:
        out = programs.get(f"dout:{data.layers[-1].activation}")
        if out is not None:
            slope = evaluate(out, {"a": y_hat[0][0]}, INTERVALS)
            r.rule("dL_dz", ("dL_dyhat",), lambda v: iv.scale(slope, v["dL_dyhat"]))
            r.mistake("dL_dz", ("dL_dyhat",), lambda v: v["dL_dyhat"],
                      "the output activation's derivative is missing: this is ∂L/∂ŷ, not ∂L/∂z")
    for l in range(1, len(data.layers) + 1):
        _initialization_rules(r, l)
    return r


def _initialization_rules(r: Recipes, l: int) -> None:
    """Layer l's Glorot limit √(6/(n_in + n_out)) and He scale √(2/n_in) from its fans."""
    fi, fo = f"fan_in{l}", f"fan_out{l}"

    def fans(v: Earlier) -> IMatrix:
        return iv.add(v[fi], v[fo])

    r.rule(f"glorot_limit{l}", (fi, fo), lambda v: iv.emap(lambda s: iv.sqrt(6 / s), fans(v)))
    r.mistake(f"glorot_limit{l}", (fi, fo), lambda v: iv.emap(lambda s: 6 / s, fans(v)),
              "the square root of the Glorot limit is missing")
    r.rule(f"he_std{l}", (fi,), lambda v: iv.emap(lambda s: iv.sqrt(2 / s), v[fi]))
    r.mistake(f"he_std{l}", (fi,), lambda v: iv.emap(lambda s: 2 / s, v[fi]),
              "this is the He variance 2/n_in, not the standard deviation √(2/n_in)")


ERROR_ANALYSIS = Kind(
    name="error_analysis",
    data=ErrorAnalysis,
    solve=solve_error_analysis,
    reference=reference,
    programs=compiled,
    recipes=recipes,
)
"""The declaration of kind ``error_analysis``."""
