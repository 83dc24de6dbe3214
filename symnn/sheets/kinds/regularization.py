"""L2 weight penalty and one regularized gradient step (kind ``regularization``)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from symnn.core import interval as iv
from symnn.core.domains import INTERVALS, evaluate
from symnn.core.interval import IMatrix, Interval
from symnn.core.program import compile_program
from symnn.errors import ShapeError
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, exact, to_matrix
from symnn.sheets.fields import Context, Matrix, choice, given, read_matrix, read_scalar, shape, shape_text
from symnn.sheets.kinds.base import Kind
from symnn.sheets.recipes import Program, Programs, Recipes
from symnn.sheets.reference.arrays import Values
from symnn.sheets.reference.regularization import evaluate_regularization
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.steps import Derivation

lam, w, eta = sp.symbols("lambda w eta", real=True)
PENALTIES: dict[str, sp.Expr] = {"l2": lam * w**2, "l2_half": lam * w**2 / 2}
"""Each penalty's contribution of one weight w; the total is the sum over all weights."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Regularization:
    """Weights, their data-loss gradient, and an L2 penalty to add before one gradient step."""

    W: Matrix = given(read_matrix)
    """The weights."""
    lam: Fraction = given(read_scalar, key="lambda")
    """The penalty's strength λ."""
    grad: Matrix = given(read_matrix)
    """The data-loss gradient ∂L/∂W, the shape of W."""
    learning_rate: Fraction = given(read_scalar)
    """The step size η."""
    penalty: str = given(choice(tuple(PENALTIES), "penalty"), default="l2")
    """The convention: ``l2`` is λΣW², ``l2_half`` is ½λΣW²."""

    def check(self, ctx: Context) -> None:
        """The gradient has the shape of the weights."""
        if shape(self.W) != shape(self.grad):
            raise ctx.error(f"grad is {shape_text(self.grad)} but W is {shape_text(self.W)}; "
                            "they must have the same shape", ShapeError)


def solve_regularization(spec: ExerciseSpec[Regularization]) -> Derivation:
    """Penalty value, its SymPy derivative, and the regularized update."""
    f = spec.data
    Wv, G = to_matrix(f.W), to_matrix(f.grad)
    lam_v, eta_v = exact(f.lam), exact(f.learning_rate)
    name = f.penalty
    per_weight = PENALTIES[name]
    b = Builder(spec, "L2 regularization")
    Wsym = nt.matrix("W", *Wv.shape)
    penalty = nt.text("Penalty")
    b.heading("Penalty")
    coefficient = per_weight / w**2
    b.say("The penalty adds ", coefficient, " times the sum of the squared weights to the loss.")
    squares = [sp.Pow(v, 2, evaluate=False) for v in Wv]
    total = sp.Add(*[v**2 for v in Wv])
    factor = per_weight.xreplace({lam: lam_v, w: 1})
    value = factor * total
    with sp.evaluate(False):
        written = sp.Mul(factor, sp.Add(*squares))
    k = sp.Symbol("k", integer=True)
    b.equation(penalty, coefficient * sp.Sum(sp.Indexed("W", k) ** 2, (k, 1, len(Wv))), [written],
               value, quantity="penalty", caption="penalty")
    b.heading("Gradient of the penalty")
    d = sp.diff(per_weight, w)
    b.say("SymPy differentiates one weight's term: ", sp.Eq(sp.Derivative(per_weight, w), d, evaluate=False),
          ", so the penalty's gradient is that, entry by entry:")
    dW = sp.ImmutableMatrix(Wv.rows, Wv.cols, [d.xreplace({lam: lam_v, w: v}) for v in Wv])
    b.equation(nt.partial(penalty, Wsym), d.xreplace({w: Wsym}) if d.has(w) else d,
               [sp.MatMul(d.xreplace({lam: lam_v, w: 1}), Wv, evaluate=False)], dW,
               quantity="dpenalty_dW", caption="gradient of the penalty")
    b.heading("Update")
    new = sp.ImmutableMatrix(Wv - eta_v * (G + dW))
    Gs = nt.matrix("G", *Wv.shape)
    b.say("With the data-loss gradient ", sp.Eq(Gs, nt.partial(sp.Symbol("L"), Wsym), evaluate=False), " given, one gradient-descent step with learning rate ",
          sp.Eq(eta, eta_v, evaluate=False), " is:")
    b.equation(nt.NamedMatrix("W_new", *Wv.shape),
               sp.MatAdd(Wsym, sp.MatMul(-1, eta, sp.MatAdd(Gs, nt.partial(penalty, Wsym)))),
               [sp.MatAdd(Wv, sp.MatMul(-eta_v, sp.MatAdd(G, dW, evaluate=False), evaluate=False),
                          evaluate=False)], new, quantity="W_new", caption="updated weights")
    other = "l2_half" if name == "l2" else "l2"
    d_other = sp.diff(PENALTIES[other], w)
    other_new = sp.ImmutableMatrix(Wv - eta_v * (G + Wv.applyfunc(lambda v: d_other.xreplace({lam: lam_v, w: v}))))
    sum_sq = sp.Sum(sp.Indexed("W", k) ** 2, (k, 1, len(Wv)))
    b.remark("Convention: the penalty ", sp.Mul(coefficient, sum_sq, evaluate=False), " has gradient ",
             d.xreplace({w: Wsym}), ". The other common convention, ",
             sp.Mul(PENALTIES[other] / w**2, sum_sq, evaluate=False), ", has gradient ",
             d_other.xreplace({w: Wsym}),
             " and would give ", sp.Eq(nt.NamedMatrix("W_new", *Wv.shape), other_new, evaluate=False),
             ". An answer key showing those numbers used that convention, whatever penalty it states.")
    return b.done(["penalty", "dpenalty_dW", "W_new"])


def reference(data: Regularization) -> Values:
    """The numpy twin."""
    return evaluate_regularization(data.W, data.lam, data.grad, data.learning_rate, data.penalty)


def compiled(data: Regularization) -> dict[str, Program]:
    """Both penalty conventions and their SymPy derivatives, compiled."""
    programs = {}
    for name, term in PENALTIES.items():
        programs[f"penalty:{name}"] = compile_program(term)
        programs[f"dpenalty:{name}"] = compile_program(sp.diff(term, w))
    return programs


CONVENTIONS = {"l2": ("λΣW²", "2λW"), "l2_half": ("½λΣW²", "λW")}
"""Each penalty convention: the penalty and its gradient, as words for diagnoses."""


def recipes(data: Regularization, programs: Programs) -> Recipes:
    """The update from a student's penalty gradient; the other λ convention and the sign of the step."""
    W, G = iv.const(data.W), iv.const(data.grad)
    lam, lr = Interval.point(data.lam), data.learning_rate
    name = data.penalty
    other = "l2_half" if name == "l2" else "l2"
    (pen, grad), (o_pen, o_grad) = CONVENTIONS[name], CONVENTIONS[other]

    def penalty(convention: str) -> IMatrix:
        program = programs[f"penalty:{convention}"]
        return iv.scalar(iv.total(evaluate(program, {"lambda": lam, "w": w}, INTERVALS) for w in iv.entries(W)))

    def gradient(convention: str) -> IMatrix:
        program = programs[f"dpenalty:{convention}"]
        return iv.emap(lambda w: evaluate(program, {"lambda": lam, "w": w}, INTERVALS), W)

    def update(D: IMatrix, sign: int = -1) -> IMatrix:
        return iv.add(W, iv.scale(sign * lr, iv.add(G, D)))

    convention = "the λ vs λ/2 convention in L2 regularization"
    r = Recipes()
    r.rule("W_new", ("dpenalty_dW",), lambda v: update(v["dpenalty_dW"]))
    r.mistake("penalty", (), lambda v: penalty(other), f"{convention}: this is {o_pen}, but the penalty here is {pen}")
    r.mistake("dpenalty_dW", (), lambda v: gradient(other),
              f"{convention}: {o_grad} is the gradient of {o_pen}, but the penalty here is {pen}, whose gradient "
              f"is {grad}")
    r.mistake("W_new", (), lambda v: update(gradient(other)),
              f"{convention}: this is the update with {o_grad}, the gradient of {o_pen}, but the penalty here is "
              f"{pen}, whose gradient is {grad}")
    r.mistake("W_new", ("dpenalty_dW",), lambda v: update(v["dpenalty_dW"], sign=1),
              "the step went along the gradient (+η·gradient) instead of against it")
    return r


REGULARIZATION = Kind(
    name="regularization",
    data=Regularization,
    solve=solve_regularization,
    reference=reference,
    programs=compiled,
    recipes=recipes,
)
"""The declaration of kind ``regularization``."""
