"""Gradient checking of a one-weight linear model with central differences (kind ``gradient_check``)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from symnn.core import interval as iv
from symnn.core.domains import INTERVALS, evaluate
from symnn.core.interval import IMatrix, Interval
from symnn.core.program import compile_program
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, exact, unevaluated
from symnn.sheets.fields import Context, given, read_scalar
from symnn.sheets.kinds.base import Kind
from symnn.sheets.recipes import Earlier, Program, Programs, Recipes
from symnn.sheets.reference.arrays import Values
from symnn.sheets.reference.gradient_check import evaluate_gradient_check
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.steps import Derivation

W, x, b_, y, eps = sp.symbols("W x b y epsilon", real=True)
yhat = sp.Symbol("yhat")
L = sp.Symbol("L")
MODEL = sp.Add(sp.Mul(W, x), b_, evaluate=False)
LOSS = (y - MODEL) ** 2 / 2


@dataclass(frozen=True, slots=True, kw_only=True)
class GradientCheck:
    """A one-weight linear model ŷ = W x + b, its target, and the step of the central difference."""

    W: Fraction = given(read_scalar)
    """The weight whose gradient is checked."""
    x: Fraction = given(read_scalar)
    """The input."""
    b: Fraction = given(read_scalar)
    """The bias."""
    y: Fraction = given(read_scalar)
    """The target."""
    epsilon: Fraction = given(read_scalar, default=Fraction(1, 10000))
    """The perturbation ε of W."""

    def check(self, ctx: Context) -> None:
        """ε must be positive and at most 1 (a central difference over a wider step checks no
        gradient, and its float twin loses every digit to cancellation)."""
        if self.epsilon <= 0:
            raise ctx.error(f"epsilon must be positive, got {self.epsilon}")
        if self.epsilon > 1:
            raise ctx.error(f"epsilon must be at most 1 (a small step such as 0.0001), got {float(self.epsilon):g}")


def solve_gradient_check(spec: ExerciseSpec[GradientCheck]) -> Derivation:
    """Analytic derivative by SymPy, the central difference, and their relative error."""
    f = spec.data
    given = {W: exact(f.W), x: exact(f.x), b_: exact(f.b), y: exact(f.y)}
    epsilon = exact(f.epsilon)
    b = Builder(spec, "Gradient checking")
    b.heading("Analytic gradient")
    b.say("The model is ", sp.Eq(yhat, MODEL, evaluate=False), " with loss ",
          sp.Eq(L, (y - yhat) ** 2 / 2, evaluate=False), ". SymPy differentiates the loss with respect to ", W, ":")
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
    b.say("The central difference perturbs ", W, " by ", nt.Label("pm_epsilon", r"\pm \epsilon"), " with ", sp.Eq(eps, epsilon, evaluate=False),
          ":")
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
                                  quantity=name, caption=("loss at ", W + sign * eps))
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
        b.say("The loss is a quadratic polynomial in ", W, ", and the central difference of a quadratic is exact: "
              "the two gradients agree exactly, not just approximately. With floating-point arithmetic a "
              "relative error below about ", nt.Label("1e-7", "10^{-7}"), " would count as agreement.")
    return b.done(["dL_dW", "dL_dW_numeric", "rel_error"])


def reference(data: GradientCheck) -> Values:
    """The numpy twin."""
    return evaluate_gradient_check(data.W, data.x, data.b, data.y, data.epsilon)


def compiled(data: GradientCheck) -> dict[str, Program]:
    """The loss and its SymPy derivative, both written in ŷ (as the solver shows them)."""
    loss = LOSS.subs(MODEL, yhat)
    grad = sp.factor(sp.diff(LOSS, W).subs(MODEL, yhat)).subs(W * x + b_, yhat)
    if loss.has(W, b_) or grad.has(W, b_):
        raise TypeError("the gradient-check loss is not a function of y_hat alone")
    return {"gc_loss": compile_program(loss), "gc_grad": compile_program(grad)}


def recipes(data: GradientCheck, programs: Programs) -> Recipes:
    """Loss and gradients from a student's ŷ and losses; a dropped ½ and a difference divided by ε."""
    known = {"y": Interval.point(data.y), "x": Interval.point(data.x)}
    loss, grad = programs["gc_loss"], programs["gc_grad"]
    eps = data.epsilon

    def at(program: Program, v: Earlier) -> IMatrix:
        return iv.scalar(evaluate(program, {**known, "yhat": v["y_hat"][0][0]}, INTERVALS))

    def numeric(v: Earlier, divisor: Fraction) -> IMatrix:
        return iv.scalar((v["L_plus"][0][0] - v["L_minus"][0][0]) / divisor)

    def relative(v: Earlier) -> IMatrix:
        a, g = v["dL_dW"][0][0], v["dL_dW_numeric"][0][0]
        bottom = abs(a) + abs(g)
        if bottom.lo == 0 == bottom.hi:
            return iv.scalar(iv.ZERO)
        return iv.scalar(abs(a - g) / bottom)

    r = Recipes()
    r.rule("L", ("y_hat",), lambda v: at(loss, v))
    r.mistake("L", ("y_hat",), lambda v: iv.scale(2, at(loss, v)), "the factor ½ of the loss was left out")
    r.rule("dL_dW", ("y_hat",), lambda v: at(grad, v))
    r.rule("dL_dW_numeric", ("L_plus", "L_minus"), lambda v: numeric(v, 2 * eps))
    r.mistake("dL_dW_numeric", ("L_plus", "L_minus"), lambda v: numeric(v, eps),
              "the central difference was divided by ε instead of 2ε")
    r.rule("rel_error", ("dL_dW", "dL_dW_numeric"), relative)
    return r


GRADIENT_CHECK = Kind(
    name="gradient_check",
    data=GradientCheck,
    solve=solve_gradient_check,
    reference=reference,
    programs=compiled,
    recipes=recipes,
)
"""The declaration of kind ``gradient_check``."""
