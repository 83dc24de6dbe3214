"""Loss of a single prediction and a quantitative look at weight initialization (kind ``error_analysis``)."""

from __future__ import annotations

import sympy as sp

from symnn.core.calculus import ACTIVATIONS, LOSSES, a, output_delta, y
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, exact, to_matrix, unevaluated
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.steps import Derivation

yhat, z, L = sp.Symbol("yhat"), sp.Symbol("z"), sp.Symbol("L")
n_in = nt.Label("n_in", r"n_{\text{in}}", positive=True, integer=True)
n_out = nt.Label("n_out", r"n_{\text{out}}", positive=True, integer=True)
GLOROT_TEX = r"\ell_{\text{Glorot}}"
HE_TEX = r"\sigma_{\text{He}}"


def solve_error_analysis(spec: ExerciseSpec) -> Derivation:
    """The loss, its derivative at the output, and each layer's weights against Glorot and He scales."""
    f = spec.fields
    loss = LOSSES[f["loss"]]
    y_v, yh_v = exact(f["y"]), exact(f["y_hat"])
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
    layers = f["layers"]
    summary = ["L", "dL_dyhat"]
    if layers:
        act = ACTIVATIONS[layers[-1].activation]
        rule = output_delta(loss.name, act.name)
        if act.derivative_in_output() is not None:
            b.say(f"The output layer applies {act.display}, whose derivative SymPy writes in terms of its output; "
                  "the chain rule through it gives, for the pre-activation z:")
            shown = rule.xreplace({a: yhat})
            b.equation(nt.Partial(L, z), shown, [unevaluated(shown, {y: y_v, yhat: yh_v})],
                       sp.together(rule.xreplace({a: yh_v, y: y_v})), quantity="dL_dz",
                       caption="derivative with respect to the output pre-activation")
            summary.append("dL_dz")
        b.heading("Weight initialization")
        b.say("A layer with n_in inputs and n_out outputs keeps the variance of signals and gradients roughly "
              "constant when its weights are drawn on the following scales:")
        glorot = sp.sqrt(6 / (n_in + n_out))
        he = sp.sqrt(2 / n_in)
        b.equation(nt.Label("limit_Glorot", GLOROT_TEX), glorot)
        b.equation(nt.Label("sigma_He", HE_TEX), he)
        b.say("Glorot (Xavier) draws uniformly from [−limit, limit] and suits tanh and sigmoid layers; He draws "
              "from a normal distribution with that standard deviation and suits ReLU layers.")
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
    b.remark("A saturated sigmoid (|z| large) has a derivative near 0 and stalls learning, and a ReLU unit whose "
             "pre-activation stays negative passes no gradient. Initializing on the Glorot or He scale, "
             "normalizing the inputs and monitoring the fraction of dead units address both.")
    return b.done(summary)
