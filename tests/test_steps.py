"""Several gradient-descent steps of networks whose values are not rational: certified decimals.

The reference is an independent mpmath implementation written here (derivatives typed by
hand, 50 digits for the decimals, 120 digits for the enclosure check).
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import sympy as sp

from symnn.sheets.kinds.network import backward_values, descend, forward_values, setting_of
from symnn.sheets.kinds.network.training import CERTIFIED_DIGITS, certified_trajectory
from symnn.sheets.loading import load_sheet
from symnn.sheets.pipeline import solve_checked
from symnn.sheets.render.json import to_json
from symnn.sheets.render.markdown import to_markdown

SIGMOID_BCE = """
[[exercise]]
kind = "network"
x = [[0.5, -0.3], [-0.3, 0.8]]
y = [[1, 0]]
loss = "bce"
reduction = "mean"
learning_rate = 0.5
steps = 3
[[exercise.layers]]
W = [[0.2, -0.4], [0.7, 0.1]]
b = [0.1, -0.2]
activation = "sigmoid"
[[exercise.layers]]
W = [[0.6, -0.9]]
b = [0.05]
activation = "sigmoid"
"""


def mp_training(steps: int, dps: int):
    """Plain mpmath gradient descent for SIGMOID_BCE: losses after each step and the final parameters."""
    with mpmath.workdps(dps):
        F = lambda text: mpmath.mpf(Fraction(text).numerator) / Fraction(text).denominator
        X = [[F("0.5"), F("-0.3")], [F("-0.3"), F("0.8")]]
        Y = [1, 0]
        W1 = [[F("0.2"), F("-0.4")], [F("0.7"), F("0.1")]]
        b1 = [F("0.1"), F("-0.2")]
        W2 = [F("0.6"), F("-0.9")]
        b2 = F("0.05")
        eta, m = F("0.5"), 2
        sig = lambda v: 1 / (1 + mpmath.exp(-v))
        losses = []
        for t in range(steps + 1):
            A1 = [[sig(W1[i][0] * X[0][s] + W1[i][1] * X[1][s] + b1[i]) for s in range(m)] for i in range(2)]
            out = [sig(W2[0] * A1[0][s] + W2[1] * A1[1][s] + b2) for s in range(m)]
            if t:
                losses.append(-sum(Y[s] * mpmath.log(out[s]) + (1 - Y[s]) * mpmath.log(1 - out[s])
                                   for s in range(m)) / m)
            if t == steps:
                break
            d2 = [(out[s] - Y[s]) / m for s in range(m)]
            d1 = [[W2[i] * d2[s] * A1[i][s] * (1 - A1[i][s]) for s in range(m)] for i in range(2)]
            W2 = [W2[i] - eta * sum(d2[s] * A1[i][s] for s in range(m)) for i in range(2)]
            b2 = b2 - eta * sum(d2)
            W1 = [[W1[i][k] - eta * sum(d1[i][s] * X[k][s] for s in range(m)) for k in range(2)] for i in range(2)]
            b1 = [b1[i] - eta * sum(d1[i]) for i in range(2)]
        return losses, {"W1": W1, "b1": b1, "W2": [W2], "b2": [b2]}


def within_last_digit(exact: sp.Rational, reference: mpmath.mpf) -> bool:
    """Whether ``exact`` is ``reference`` correctly rounded to CERTIFIED_DIGITS significant digits."""
    with mpmath.workdps(50):
        mine = mpmath.mpf(int(exact.p)) / int(exact.q)
        exponent = int(mpmath.floor(mpmath.log10(abs(reference))))
        half_unit = mpmath.mpf(10) ** (exponent - CERTIFIED_DIGITS + 1) / 2
        return bool(abs(mine - reference) <= half_unit)


def test_sigmoid_bce_losses_after_three_steps_match_mpmath_to_every_certified_digit():
    d = solve_checked(load_sheet(SIGMOID_BCE)).derivations[0]
    losses, _ = mp_training(3, 50)
    for t in (1, 2, 3):
        assert within_last_digit(d.quantity(f"L_step{t}").exact, losses[t - 1]), t
    assert losses[2] < losses[1] < losses[0]  # the reference itself trains


def test_parameters_after_three_steps_match_mpmath_to_every_certified_digit():
    d = solve_checked(load_sheet(SIGMOID_BCE)).derivations[0]
    _, params = mp_training(3, 50)
    for name, expected in params.items():
        rows = expected if isinstance(expected[0], list) else [[v] for v in expected]
        got = d.quantity(f"{name}_step3").exact
        assert got.shape == (len(rows), len(rows[0]))
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                assert within_last_digit(got[i, j], value), (name, i, j)


def params_after_step_one(text: str):
    setting, params = setting_of(load_sheet(text).exercises[0])
    Zs, As = forward_values(setting, params)
    return setting, descend(setting, params, backward_values(setting, params, Zs, As), As[:-1])


def test_the_certified_balls_contain_the_true_values():
    setting, params = params_after_step_one(SIGMOID_BCE)
    path = certified_trajectory(setting, params, 3)
    losses, final = mp_training(3, 120)
    with mpmath.workdps(120):
        assert len(path.losses) == 3
        for ball, reference in zip(path.losses, losses):
            low, high = ball.interval(0, 0)
            assert mpmath.mpf(low.numerator) / low.denominator <= reference <= \
                mpmath.mpf(high.numerator) / high.denominator
            assert high - low < Fraction(1, 10**40)  # and the balls are tight
        for l, W in enumerate(path.weights, start=1):
            for i, row in enumerate(final[f"W{l}"]):
                for j, reference in enumerate(row):
                    low, high = W.interval(i, j)
                    assert mpmath.mpf(low.numerator) / low.denominator <= reference <= \
                        mpmath.mpf(high.numerator) / high.denominator


def test_the_sheet_says_the_digits_are_certified_and_output_is_deterministic():
    first, second = (solve_checked(load_sheet(SIGMOID_BCE)) for _ in range(2))
    markdown = to_markdown(first)
    assert markdown == to_markdown(second) and to_json(first) == to_json(second)
    assert f"all {CERTIFIED_DIGITS} significant digits are guaranteed" in markdown
    losses, _ = mp_training(3, 50)
    with mpmath.workdps(50):
        assert mpmath.nstr(losses[2], CERTIFIED_DIGITS, strip_zeros=False) in markdown


SOFTMAX_STEPS = """
[[exercise]]
kind = "network"
x = [[0.8, -0.6], [-0.3, 0.9]]
y = [[1, 0], [0, 1]]
loss = "cross_entropy"
learning_rate = 0.5
steps = 3
[[exercise.layers]]
W = [[0.7, -0.4], [0.2, 0.5]]
b = [0.1, -0.2]
activation = "tanh"
[[exercise.layers]]
W = [[0.6, -0.9], [0.3, 0.4]]
activation = "softmax"
"""


def test_softmax_cross_entropy_steps_are_certified_and_cross_checked():
    d = solve_checked(load_sheet(SOFTMAX_STEPS)).derivations[0]  # solve_checked compares with numpy
    values = [float(d.quantity(f"L_step{t}").exact) for t in (1, 2, 3)]
    assert values == sorted(values, reverse=True)
    assert d.quantity("W2_step3").exact.shape == (2, 2)


def test_every_builtin_sheet_survives_pickling():
    """Variants and checking send results between processes (a pool, a Dask cluster), so every step of
    every built-in sheet must unpickle (symnn's notation classes rebuild from their args), and every
    quantity must come back with its exact value and symbol.  (SymPy re-evaluates an unevaluated
    substitution when it is unpickled, so a sheet is rendered where it is solved, never after.)"""
    import pickle

    from symnn.sheets.crosscheck import solve_checked
    from symnn.sheets.loading import builtin_sheets, load_builtin

    for name in builtin_sheets():
        sheet = solve_checked(load_builtin(name))
        again = pickle.loads(pickle.dumps(sheet))
        for d, e in zip(sheet.derivations, again.derivations):
            assert [(q.name, q.symbol, q.exact) for q in d.quantities] == \
                [(q.name, q.symbol, q.exact) for q in e.quantities], name
