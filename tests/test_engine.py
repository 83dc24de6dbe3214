"""The one network engine: the same passes over every number domain, and reduction everywhere.

The library (``symnn.Network``) and a sheet exercise of the same network must agree on every
gradient for both reductions; the ball and interval domains must enclose the exact values.
"""

from __future__ import annotations

from fractions import Fraction

import flint
import pytest
import sympy as sp

import symnn
from symnn.core import interval as iv
from symnn.library import engine
from symnn.library.engine import BALL_DOMAIN, EXACT, INTERVAL_DOMAIN, SYMBOLIC, Objective, layer_rule
from symnn.library.values import exact_matrix
from symnn.sheets.kinds import solve_exercise
from symnn.sheets.spec import load_sheet

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
        difference = (grads[name] - derivation.quantity(quantity).exact).evalf(40)
        assert max(abs(v) for v in difference) < 1e-35, (name, reduction)
    loss_value = net.loss(X, Y, loss, reduction=reduction)
    assert abs(sp.N(loss_value - derivation.quantity("L").exact, 40)) < 1e-35


def test_the_default_reduction_is_the_sheets() -> None:
    net = symnn.Network([symnn.Dense(W1, B1, "tanh"), symnn.Dense(W2, None, "identity")])
    assert net.loss(X, Y, "mse") == net.loss(X, Y, "mse", reduction="mean")
    assert net.loss(X, Y, "sse") == net.loss(X, Y, "sse", reduction="sum")
    with pytest.raises(symnn.SymnnError, match="unknown reduction 'average'"):
        net.loss(X, Y, "mse", reduction="average")


def _rules() -> tuple[engine.LayerRule, ...]:
    softsign = symnn.Dense([[1]], None, "softsign", formula="x / (1 + abs(x))").formula
    return (layer_rule("softsign", softsign), layer_rule("softmax"))


def test_every_domain_runs_the_same_passes_and_encloses_the_exact_values() -> None:
    rules, objective = _rules(), Objective.of("cross_entropy", "mean")
    exact = {name: exact_matrix(value, name) for name, value in (("W1", W1), ("W2", W2), ("x", X), ("y", Y))}
    symbolic = {k: sp.ImmutableMatrix(exact_matrix(v, k).to_Matrix()) for k, v in
                (("W1", W1), ("W2", W2), ("x", X), ("y", Y))}
    params = engine.Params((symbolic["W1"], symbolic["W2"]), (None, None))
    net = engine.Network(symbolic["x"], symbolic["y"], rules, objective)
    values = net.forward(SYMBOLIC, params)
    deltas = net.deltas(SYMBOLIC, params, values)
    truth = engine.gradients(SYMBOLIC, params, deltas, values.As)["W1"]

    exact_values = engine.forward(EXACT, rules, engine.Params((exact["W1"], exact["W2"]), (None, None)), exact["x"])
    assert exact_values.Zs[0].to_Matrix() == values.Zs[0]

    with flint.ctx.workprec(200):
        balls = {k: flint.arb_mat([[flint.arb(flint.fmpq(int(e.p), int(e.q))) for e in row] for row in m.tolist()])
                 for k, m in symbolic.items()}
        ball_net = engine.Network(balls["x"], balls["y"], rules, objective)
        ball_params = engine.Params((balls["W1"], balls["W2"]), (None, None))
        ball_values = ball_net.forward(BALL_DOMAIN, ball_params)
        ball_grad = engine.gradients(BALL_DOMAIN, ball_params, ball_net.deltas(BALL_DOMAIN, ball_params, ball_values),
                                     ball_values.As)["W1"]
        for i in range(3):
            for j in range(2):
                assert ball_grad[i, j].contains(flint.arb(str(sp.N(truth[i, j], 60))))

    ivs = {k: iv.const([[Fraction(int(e.p), int(e.q)) for e in row] for row in m.tolist()]) for k, m in symbolic.items()}
    iv_net = engine.Network(ivs["x"], ivs["y"], rules, objective)
    iv_params = engine.Params((ivs["W1"], ivs["W2"]), (None, None))
    iv_values = iv_net.forward(INTERVAL_DOMAIN, iv_params)
    iv_grad = engine.gradients(INTERVAL_DOMAIN, iv_params, iv_net.deltas(INTERVAL_DOMAIN, iv_params, iv_values),
                               iv_values.As)["W1"]
    for i in range(3):
        for j in range(2):
            value = Fraction(str(sp.N(truth[i, j], 60)))
            assert iv_grad[i][j].lo - Fraction(1, 10**50) <= value <= iv_grad[i][j].hi + Fraction(1, 10**50)
