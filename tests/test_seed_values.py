"""The seed sheet's values, computed independently here with fractions and math.

Nothing below is copied from the hand-written seed sheet or from symnn's output: each expected
value is computed in the test from the exercise's given numbers.  Where the hand-written sheet
disagrees with exact computation, the test says so.
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import pytest
import sympy as sp


def value(seed_sheet, ex: str, name: str):
    v = seed_sheet[ex].quantity(name).exact
    if isinstance(v, sp.MatrixBase):
        return [[_f(e) for e in v.row(i)] for i in range(v.rows)]
    return _f(v)


def _f(e):
    return F(int(e.p), int(e.q)) if e.is_Rational else float(sp.N(e, 30))


def test_forward_layer(seed_sheet):
    W = [[F("0.2"), F("0.8")], [F("0.4"), F("0.3")]]
    x = [F(1), F("0.5")]
    z = [sum(w * xi for w, xi in zip(row, x)) + F("0.1") for row in W]
    assert value(seed_sheet, "ex1", "Z") == [[z[0]], [z[1]]]
    assert value(seed_sheet, "ex1", "A") == [[max(F(0), z[0])], [max(F(0), z[1])]]


def test_backprop_dead_relu_layer(seed_sheet):
    W1 = [[F("0.1"), F("0.3")], [F("-0.2"), F("0.4")]]
    x = [F("0.5"), F("-0.2")]
    z1 = [sum(w * xi for w, xi in zip(row, x)) for row in W1]
    assert value(seed_sheet, "ex2", "Z1") == [[z1[0]], [z1[1]]]
    assert all(z < 0 for z in z1)  # the layer is dead for this input
    assert value(seed_sheet, "ex2", "A1") == [[0], [0]]
    assert value(seed_sheet, "ex2", "A2") == [[F(1, 2)]]
    assert value(seed_sheet, "ex2", "L") == pytest.approx(math.log(2), rel=1e-15)
    assert value(seed_sheet, "ex2", "delta2") == [[F(1, 2) - 1]]
    assert value(seed_sheet, "ex2", "dL_dW1") == [[0, 0], [0, 0]]
    assert value(seed_sheet, "ex2", "dL_dW2") == [[0, 0]]


def test_output_delta_is_found_by_sympy_for_sigmoid_bce(seed_sheet):
    from symnn.core.calculus import a, output_delta, y

    assert sp.simplify(output_delta("bce", "sigmoid") - (a - y)) == 0


def test_preprocessing(seed_sheet):
    X = [[5, 20, 10], [15, 5, 25], [10, 30, 15]]
    cols = list(zip(*X))
    assert value(seed_sheet, "ex3", "X_minmax") == [
        [F(v - min(c), max(c) - min(c)) for v, c in zip(row, cols)] for row in X]
    means = [F(sum(c), len(c)) for c in cols]
    assert value(seed_sheet, "ex3", "mean") == [means]
    stds = [math.sqrt(sum((v - m) ** 2 for v in c) / len(c)) for c, m in zip(cols, means)]
    assert value(seed_sheet, "ex3", "std") == [pytest.approx(stds, rel=1e-14)]
    z = [[float(v - m) / s for v, m, s in zip(row, means, stds)] for row in X]
    got = value(seed_sheet, "ex3", "X_std")
    for r_got, r_ref in zip(got, z):
        assert r_got == pytest.approx(r_ref, rel=1e-13, abs=1e-15)
    # The hand-written seed_sheet gives 1.297 for row 3, feature 2; exactly it is (30 - 55/3)/σ₂:
    assert round(z[2][1], 3) == 1.136
    # and σ₂ ≈ 10.274, which the hand-written seed_sheet rounds to 10.28 (it is 10.27 to 2 places).
    assert round(stds[1], 2) == 10.27


def test_activations(seed_sheet):
    xs = [-2, -1, 0, 1, 2]
    assert value(seed_sheet, "ex4", "relu") == [[max(0, v) for v in xs]]
    assert value(seed_sheet, "ex4", "leaky_relu") == [[v if v > 0 else F(1, 100) * v for v in xs]]
    assert value(seed_sheet, "ex4", "sigmoid") == [pytest.approx([1 / (1 + math.exp(-v)) for v in xs], rel=1e-14)]
    assert value(seed_sheet, "ex4", "tanh") == [pytest.approx([math.tanh(v) for v in xs], rel=1e-14, abs=1e-300)]
    assert value(seed_sheet, "ex4", "relu_prime") == [[1 if v > 0 else 0 for v in xs]]  # ReLU'(0) = 0
    s = [1 / (1 + math.exp(-v)) for v in xs]
    assert value(seed_sheet, "ex4", "sigmoid_prime") == [pytest.approx([t * (1 - t) for t in s], rel=1e-13)]


def test_gradient_check_is_exact_for_a_quadratic(seed_sheet):
    W, x, b, y, eps = F("0.5"), F(2), F("0.1"), F(1), F("0.0001")

    def loss(w):
        return (y - (w * x + b)) ** 2 / 2

    analytic = -(y - (W * x + b)) * x
    numeric = (loss(W + eps) - loss(W - eps)) / (2 * eps)
    assert value(seed_sheet, "ex5", "dL_dW") == analytic
    assert value(seed_sheet, "ex5", "L_plus") == loss(W + eps)
    assert value(seed_sheet, "ex5", "dL_dW_numeric") == numeric == analytic
    assert value(seed_sheet, "ex5", "rel_error") == 0


def test_regularization_uses_the_declared_penalty(seed_sheet):
    W, g, lam, eta = [F(1), F(-2), F("0.5")], [F("0.1"), F("-0.4"), F("0.2")], F("0.01"), F("0.1")
    assert value(seed_sheet, "ex6", "penalty") == lam * sum(w * w for w in W)
    # λΣW² has gradient 2λW: the update is W − η(g + 2λW) = [0.988, −1.956, 0.479].
    new = [w - eta * (gi + 2 * lam * w) for w, gi in zip(W, g)]
    assert value(seed_sheet, "ex6", "W_new") == [[v] for v in new]
    assert new == [F("0.988"), F("-1.956"), F("0.479")]
    # The hand-written seed_sheet updates with λW (the λ/2 convention) and gets 0.989, −1.958, 0.4795;
    # the sheet's remark names that convention and its numbers.
    other = [w - eta * (gi + lam * w) for w, gi in zip(W, g)]
    remark = " ".join(str(p) for r in seed_sheet["ex6"].remarks for p in r.parts)
    assert all(str(sp.Rational(v.numerator, v.denominator)) in remark for v in other)


def test_error_analysis(seed_sheet):
    _y, yh = 1, 0.4
    assert value(seed_sheet, "ex7", "L") == pytest.approx(-math.log(yh), rel=1e-15)
    assert value(seed_sheet, "ex7", "dL_dyhat") == F(-1) / F(2, 5)
    assert value(seed_sheet, "ex7", "dL_dz") == F(2, 5) - 1
    assert value(seed_sheet, "ex7", "glorot_limit1") == pytest.approx(math.sqrt(6 / 4), rel=1e-15)
    assert value(seed_sheet, "ex7", "glorot_limit2") == pytest.approx(math.sqrt(6 / 3), rel=1e-15)
    assert value(seed_sheet, "ex7", "he_std1") == 1
    w1 = [0.5, 0.2, -0.3, 0.8]
    m = sum(w1) / 4
    assert value(seed_sheet, "ex7", "std_W1") == pytest.approx(math.sqrt(sum((w - m) ** 2 for w in w1) / 4), rel=1e-14)
    assert value(seed_sheet, "ex7", "max_abs_W2") == F(7, 10)
