"""Gradient checking of a one-weight linear model with central differences (kind ``gradient_check``)."""

from __future__ import annotations

import sympy as sp

from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, exact, unevaluated
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.steps import Derivation

W, x, b_, y, eps = sp.symbols("W x b y epsilon", real=True)
yhat = sp.Symbol("yhat")
L = sp.Symbol("L")
MODEL = sp.Add(sp.Mul(W, x), b_, evaluate=False)
LOSS = (y - MODEL) ** 2 / 2


def solve_gradient_check(spec: ExerciseSpec) -> Derivation:
    """Analytic derivative by SymPy, the central difference, and their relative error."""
    f = spec.fields
    given = {W: exact(f["W"]), x: exact(f["x"]), b_: exact(f["b"]), y: exact(f["y"])}
    epsilon = exact(f["epsilon"])
    b = Builder(spec, "Gradient checking")
    b.heading("Analytic gradient")
    b.say("The model is ŷ = W x + b with loss L = ½(y − ŷ)². SymPy differentiates the loss with respect to W:")
    yh = b.equation(yhat, MODEL, [unevaluated(MODEL, given)], MODEL.xreplace(given), quantity="y_hat",
                    caption="prediction")
    loss_in_yhat = (y - yhat) ** 2 / 2
    b.equation(L, loss_in_yhat, [unevaluated(loss_in_yhat, {y: given[y], yhat: yh})], LOSS.xreplace(given),
               quantity="L", caption="loss")
    grad = sp.diff(LOSS, W)
    grad_in_yhat = sp.factor(grad.subs(MODEL, yhat)).subs(W * x + b_, yhat)
    analytic = grad.xreplace(given)
    b.equation(nt.Partial(L, W), grad_in_yhat,
               [unevaluated(grad_in_yhat, {y: given[y], yhat: yh, x: given[x]})], analytic,
               quantity="dL_dW", caption="analytic gradient")
    b.heading("Numerical gradient")
    b.say("The central difference perturbs W by ±ε with ", sp.Eq(eps, epsilon, evaluate=False), ":")
    Lf = sp.Function("L")
    with sp.evaluate(False):
        numeric_formula = sp.Mul(sp.Add(Lf(W + eps), sp.Mul(-1, Lf(W - eps))), sp.Pow(sp.Mul(2, eps), -1))
    values = {}
    for sign, name in ((1, "L_plus"), (-1, "L_minus")):
        shifted = {**given, W: given[W] + sign * epsilon}
        y_shift = MODEL.xreplace(shifted)
        with sp.evaluate(False):
            written = [sp.Mul(sp.Rational(1, 2), sp.Pow(sp.Add(given[y], sp.Mul(-1, y_shift)), 2))]
        values[name] = b.equation(sp.Function("L")(W + sign * eps), None, written, LOSS.xreplace(shifted),
                                  quantity=name, caption=f"loss at W {'+' if sign > 0 else '−'} ε")
    numeric = (values["L_plus"] - values["L_minus"]) / (2 * epsilon)
    with sp.evaluate(False):
        written_numeric = sp.Mul(sp.Add(values["L_plus"], sp.Mul(-1, values["L_minus"])),
                                 sp.Pow(sp.Mul(2, epsilon), -1))
    g_a, g_n = nt.Label("g_an", r"g_{\text{an}}"), nt.Label("g_num", r"g_{\text{num}}")
    b.equation(g_n, numeric_formula, [written_numeric], numeric, quantity="dL_dW_numeric",
               caption="central-difference gradient")
    b.heading("Comparison")
    denominator = abs(analytic) + abs(numeric)
    rel = abs(analytic - numeric) / denominator if denominator != 0 else sp.S.Zero
    with sp.evaluate(False):
        rel_formula = sp.Mul(sp.Abs(sp.Add(g_a, sp.Mul(-1, g_n))), sp.Pow(sp.Add(sp.Abs(g_a), sp.Abs(g_n)), -1))
    b.equation(sp.Symbol("r"), rel_formula, (), rel, quantity="rel_error",
               caption="relative error")
    if sp.degree(sp.expand(LOSS), W) <= 2:
        b.say("The loss is a quadratic polynomial in W, and the central difference of a quadratic is exact: "
              "the two gradients agree exactly, not just approximately. With floating-point arithmetic a "
              "relative error below about 1e-7 would count as agreement.")
    return b.done(["dL_dW", "dL_dW_numeric", "rel_error"])
