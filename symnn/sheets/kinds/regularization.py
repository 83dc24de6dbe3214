"""L2 weight penalty and one regularized gradient step (kind ``regularization``)."""

from __future__ import annotations

import sympy as sp

from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, exact, to_matrix
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.steps import Derivation

lam, w, eta = sp.symbols("lambda w eta", real=True)
PENALTIES: dict[str, sp.Expr] = {"l2": lam * w**2, "l2_half": lam * w**2 / 2}
"""Each penalty's contribution of one weight w; the total is the sum over all weights."""


def solve_regularization(spec: ExerciseSpec) -> Derivation:
    """Penalty value, its SymPy derivative, and the regularized update."""
    f = spec.fields
    Wv, G = to_matrix(f["W"]), to_matrix(f["grad"])
    lam_v, eta_v = exact(f["lambda"]), exact(f["learning_rate"])
    name = f["penalty"]
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
    b.say("With the data-loss gradient G = ∂L/∂W given, one gradient-descent step with learning rate ",
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
