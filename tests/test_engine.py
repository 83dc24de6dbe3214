"""The one network engine: the same passes over every number domain, and reduction everywhere.

The library (``symnn.Network``) and a sheet exercise of the same network must agree on every
gradient for both reductions; the ball and interval domains must enclose the exact values.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import flint
import pytest
import sympy as sp

import symnn
from symnn.core import interval as iv
from symnn.core.program import enclose
from symnn.library import engine
from symnn.library.engine import BALL_DOMAIN, EXACT, INTERVAL_DOMAIN, SYMBOLIC, Objective, layer_rule
from symnn.library.values import exact_matrix
from symnn.sheets.kinds import solve_exercise
from symnn.sheets.loading import load_sheet

W1 = [["0.5", "-1"], ["0.25", "0.75"], ["-0.5", "0.5"]]
B1 = ["0.1", "0", "-0.2"]
W2 = [["1", "-0.5", "0.25"], ["-0.75", "0.5", "1"]]
X = [["1", "0.5", "-1"], ["2", "-1", "0.5"]]
Y = [["1", "0", "0"], ["0", "1", "1"]]


def sheet_text(loss: str, reduction: str, out: str) -> str:
    def rows(m: list[list[str]]) -> str:
        return "[" + ", ".join("[" + ", ".join(r) + "]" for r in m) + "]"
    return (f'[[exercise]]\nkind = "network"\nx = {rows(X)}\ny = {rows(Y)}\nloss = "{loss}"\n'
            f'reduction = "{reduction}"\n'
            f'[[exercise.layers]]\nW = {rows(W1)}\nb = [{", ".join(B1)}]\nactivation = "tanh"\n'
            f'[[exercise.layers]]\nW = {rows(W2)}\nactivation = "{out}"\n')


@pytest.mark.parametrize("loss, out", [("bce", "sigmoid"), ("mse", "identity"), ("cross_entropy", "softmax")])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_library_and_sheet_agree_for_both_reductions(loss: str, out: str, reduction: str) -> None:
    derivation = solve_exercise(load_sheet(sheet_text(loss, reduction, out)).exercises[0])
    net = symnn.Network([symnn.Dense(W1, B1, "tanh"), symnn.Dense(W2, None, out)])
    grads = net.gradients(X, Y, loss, reduction=reduction)
    for name, quantity in (("W1", "dL_dW1"), ("b1", "dL_db1"), ("W2", "dL_dW2")):
        difference = grads[name] - derivation.quantity(quantity).exact
        assert all(negligible(v) for v in difference), (name, reduction)
    loss_value = net.loss(X, Y, loss, reduction=reduction)
    assert negligible(loss_value - derivation.quantity("L").exact)


def negligible(value: sp.Basic) -> bool:
    """Whether an exact difference lies within 1e-35 of 0: its rigorous arb enclosure says so."""
    low, high = enclose(value)
    return max(-low, high) < Fraction(1, 10**35)


def test_the_default_reduction_is_the_sheets() -> None:
    net = symnn.Network([symnn.Dense(W1, B1, "tanh"), symnn.Dense(W2, None, "identity")])
    assert net.loss(X, Y, "mse") == net.loss(X, Y, "mse", reduction="mean")
    assert net.loss(X, Y, "sse") == net.loss(X, Y, "sse", reduction="sum")
    with pytest.raises(symnn.SymnnError, match="unknown reduction 'average'"):
        net.loss(X, Y, "mse", reduction="average")


RULES = (layer_rule("softsign", symnn.Dense([[1]], None, "softsign", formula="x / (1 + abs(x))").formula),
         layer_rule("softmax"))
OBJECTIVE = Objective.of("cross_entropy", "mean")


def w1_gradient(domain: Any, matrices: dict[str, Any]) -> Any:
    """∂L/∂W1 by the engine's passes over one domain, from the domain's own matrices."""
    net = engine.Network(matrices["x"], matrices["y"], RULES, OBJECTIVE)
    params = engine.Params((matrices["W1"], matrices["W2"]), (None, None))
    values = net.forward(domain, params)
    return engine.gradients(domain, params, net.deltas(domain, params, values), values.As)["W1"]


def test_every_domain_runs_the_same_passes_and_encloses_the_exact_values() -> None:
    given = {name: exact_matrix(value, name) for name, value in (("W1", W1), ("W2", W2), ("x", X), ("y", Y))}
    rationals = {k: [[Fraction(int(e.p), int(e.q)) for e in row] for row in m.to_Matrix().tolist()]
                 for k, m in given.items()}
    truth = w1_gradient(SYMBOLIC, {k: sp.ImmutableMatrix(m.to_Matrix()) for k, m in given.items()})
    digits = [[Fraction(str(sp.N(v, 60))) for v in row] for row in truth.tolist()]
    assert max(abs(v) for v in (w1_gradient(EXACT, given).to_Matrix() - truth).evalf(50)) < 1e-45
    with flint.ctx.workprec(200):
        balls = w1_gradient(BALL_DOMAIN, {k: flint.arb_mat([[flint.arb(flint.fmpq(v.numerator, v.denominator))
                                                              for v in row] for row in m])
                                          for k, m in rationals.items()})
        assert all(balls[i, j].contains(flint.arb(str(sp.N(truth[i, j], 60)))) for i in range(3) for j in range(2))
    intervals = w1_gradient(INTERVAL_DOMAIN, {k: iv.const(m) for k, m in rationals.items()})
    slack = Fraction(1, 10**50)
    assert all(intervals[i][j].lo - slack <= digits[i][j] <= intervals[i][j].hi + slack
               for i in range(3) for j in range(2))
