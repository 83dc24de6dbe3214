"""Certified decimals against independent references.

* high-precision central finite differences of a forward pass written here in mpmath;
* float64 gradients written here in numpy, in stable form (σ(z) − 1 = −1/(1 + e^z)),
  which must fall inside the balls up to float rounding — while the naive float64
  formula visibly fails once the sigmoid saturates;
* Python's ``decimal`` module for correctly rounded rationals.
"""

from __future__ import annotations

import decimal
import doctest
import itertools
import random
from fractions import Fraction

import flint
import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import symnn
from symnn.core import certified
from symnn.core.certified import CertifiedMatrix, round_significant
from symnn.errors import MathDomainError

# ---------------------------------------------------------------------------
# Reference 1: the network written again in mpmath, differentiated numerically.

MP_ACTIVATIONS = {
    "identity": lambda z: z,
    "relu": lambda z: z if z > 0 else mpmath.mpf(0),
    "leaky_relu": lambda z: z if z > 0 else z / 100,
    "sigmoid": lambda z: 1 / (1 + mpmath.exp(-z)),
    "tanh": mpmath.tanh,
    "softsign": lambda z: z / (1 + abs(z)),
    "swish": lambda z: z / (1 + mpmath.exp(-z)),
}
CUSTOM_FORMULAS = {"softsign": "x / (1 + abs(x))", "swish": "x * sigmoid(x)"}
MP_LOSSES = {
    "bce": lambda t, a: -(t * mpmath.log(a) + (1 - t) * mpmath.log(1 - a)),
    "half_sse": lambda t, a: (t - a) ** 2 / 2,
    "sse": lambda t, a: (t - a) ** 2,
    "mse": lambda t, a: (t - a) ** 2,
    "cross_entropy": lambda t, a: -t * mpmath.log(a),
}


def mp_softmax(z: list[list]) -> list[list]:
    """Each column exponentiated and normalised, in mpmath."""
    columns = [[row[s] for row in z] for s in range(len(z[0]))]
    normalised = [[mpmath.exp(v) / mpmath.fsum(mpmath.exp(u) for u in column) for v in column]
                  for column in columns]
    return [[normalised[s][i] for s in range(len(columns))] for i in range(len(z))]


def mp_loss(params: dict[str, list[list]], acts: list[str], x: list[list], y: list[list],
            loss: str) -> mpmath.mpf:
    a = x
    for index, act in enumerate(acts, start=1):
        W, b = params[f"W{index}"], params[f"b{index}"]
        z = [[sum(W[i][k] * a[k][s] for k in range(len(a))) + b[i][0]
              for s in range(len(x[0]))] for i in range(len(W))]
        a = mp_softmax(z) if act == "softmax" else [[MP_ACTIVATIONS[act](v) for v in row] for row in z]
    total = sum(MP_LOSSES[loss](y[i][s], a[i][s]) for i in range(len(y)) for s in range(len(y[0])))
    return total / (len(y) * len(y[0])) if loss == "mse" else total


def finite_differences(params: dict, acts: list[str], x: list, y: list, loss: str) -> dict:
    """Central differences with h = 1e-30 at 90 digits: error about h² ≈ 1e-60."""
    with mpmath.workdps(90):
        h = mpmath.mpf(10) ** -30
        grads = {}
        for name, matrix in params.items():
            rows = []
            for i, row in enumerate(matrix):
                out = []
                for j, value in enumerate(row):
                    row[j] = value + h
                    up = mp_loss(params, acts, x, y, loss)
                    row[j] = value - h
                    down = mp_loss(params, acts, x, y, loss)
                    row[j] = value
                    out.append((up - down) / (2 * h))
                rows.append(out)
            grads[name] = rows
        return grads


def random_case(seed: int, sizes: list[int], acts: list[str], samples: int = 1):
    rng = random.Random(seed)

    def q() -> Fraction:
        return Fraction(rng.randint(-12, 12), rng.randint(1, 9))

    layers = [([[q() for _ in range(n_in)] for _ in range(n_out)], [[q()] for _ in range(n_out)])
              for n_in, n_out in itertools.pairwise(sizes)]
    x = [[q() for _ in range(samples)] for _ in range(sizes[0])]
    y = [[Fraction(rng.randint(0, 4), 4) for _ in range(samples)] for _ in range(sizes[-1])]
    if acts[-1] == "softmax":  # one-hot targets
        classes = [rng.randrange(sizes[-1]) for _ in range(samples)]
        y = [[Fraction(int(classes[s] == i)) for s in range(samples)] for i in range(sizes[-1])]
    net = symnn.Network(symnn.Dense(W, b, act, formula=CUSTOM_FORMULAS.get(act))
                        for (W, b), act in zip(layers, acts))
    return net, layers, x, y


def mp_matrix(matrix: list[list[Fraction]]) -> list[list]:
    """Fractions as mpmath numbers at 120 digits (so the reference starts from exact inputs)."""
    with mpmath.workdps(120):
        return [[mpmath.mpf(v.numerator) / v.denominator for v in row] for row in matrix]


def mp_params(layers: list) -> dict:
    params = {}
    for index, (W, b) in enumerate(layers, start=1):
        params[f"W{index}"], params[f"b{index}"] = mp_matrix(W), mp_matrix(b)
    return params


def mp_interval(bounds: tuple[Fraction, Fraction]) -> tuple[mpmath.mpf, mpmath.mpf]:
    with mpmath.workdps(120):
        return tuple(mpmath.mpf(b.numerator) / b.denominator for b in bounds)  # type: ignore[return-value]


def correctly_rounded(text: str, true_value: mpmath.mpf, digits: int, slack: float) -> bool:
    """|text − true| ≤ half a unit in the last of ``digits`` places (plus the reference's error)."""
    value = mpmath.mpf(text)
    if value == 0:
        return abs(true_value) <= slack
    exponent = mpmath.floor(mpmath.log10(abs(value)))
    half_ulp = mpmath.mpf(10) ** (exponent - digits + 1) / 2
    return abs(value - true_value) <= half_ulp + slack


CASES = [
    pytest.param([3, 4, 1], ["relu", "sigmoid"], "bce", 1, id="relu-sigmoid-bce"),
    pytest.param([2, 3, 2], ["sigmoid", "tanh"], "half_sse", 1, id="sigmoid-tanh-sse"),
    pytest.param([2, 3, 1], ["tanh", "identity"], "mse", 2, id="tanh-identity-mse-batch"),
    pytest.param([2, 2, 2, 1], ["leaky_relu", "sigmoid", "sigmoid"], "bce", 1,
                 id="leaky-sigmoid-sigmoid-bce"),
    pytest.param([3, 4, 3], ["relu", "softmax"], "cross_entropy", 2, id="relu-softmax-ce-batch"),
    pytest.param([2, 3, 4], ["tanh", "softmax"], "cross_entropy", 1, id="tanh-softmax-ce"),
    pytest.param([2, 3, 3], ["relu", "softmax"], "mse", 2, id="relu-softmax-mse-batch"),
    pytest.param([2, 3, 3], ["softsign", "softmax"], "cross_entropy", 1, id="softsign-softmax-ce"),
    pytest.param([2, 3, 1], ["swish", "sigmoid"], "bce", 1, id="swish-sigmoid-bce"),
    pytest.param([2, 2, 1], ["tanh", "softsign"], "half_sse", 2, id="tanh-softsign-sse-batch"),
]


@pytest.mark.parametrize("sizes, acts, loss, samples", CASES)
@pytest.mark.parametrize("seed", [1, 2])
def test_certified_and_exact_gradients_match_finite_differences(
        sizes: list[int], acts: list[str], loss: str, samples: int, seed: int) -> None:
    net, layers, x, y = random_case(seed, sizes, acts, samples)
    digits = 30
    got = net.gradients(x, y, loss, digits=digits)
    exact = net.gradients(x, y, loss)
    reference = finite_differences(mp_params(layers), acts, mp_matrix(x), mp_matrix(y), loss)
    with mpmath.workdps(120):
        for name, rows in reference.items():
            for i, row in enumerate(rows):
                for j, fd in enumerate(row):
                    low, high = mp_interval(got[name].interval(i, j))
                    slack = mpmath.mpf(10) ** -45 * max(1, abs(fd))
                    assert low - slack <= fd <= high + slack, (name, i, j)
                    assert correctly_rounded(got[name][i, j], fd, digits, slack), (name, i, j)
                    # The exact (symbolic) gradient, evaluated by SymPy's own evalf.
                    value = mpmath.mpf(str(sp.N(exact[name][i, j], 60)))
                    assert abs(value - fd) <= slack, (name, i, j)


# ---------------------------------------------------------------------------
# Reference 2: float64 in stable form.


def stable_sigmoid_error(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """σ(z) − y without cancellation: (1 − y)/(1 + e^−z) − y/(1 + e^z)."""
    return (1 - y) / (1 + np.exp(-z)) - y / (1 + np.exp(z))


def numpy_gradients(W1, b1, W2, b2, x, y, stable: bool = True) -> dict[str, np.ndarray]:
    z1 = W1 @ x + b1
    a1 = np.maximum(z1, 0)
    z2 = W2 @ a1 + b2
    delta2 = stable_sigmoid_error(z2, y) if stable else 1 / (1 + np.exp(-z2)) - y
    delta1 = (W2.T @ delta2) * (z1 > 0)
    return {"W1": delta1 @ x.T, "b1": delta1, "W2": delta2 @ a1.T, "b2": delta2}


def as_float(matrix: list[list[Fraction]]) -> np.ndarray:
    return np.array([[float(v) for v in row] for row in matrix])


@pytest.mark.parametrize("seed", range(4))
def test_certified_balls_contain_stable_float64(seed: int) -> None:
    net, layers, x, y = random_case(seed, [6, 8, 1], ["relu", "sigmoid"])
    (W1, b1), (W2, b2) = layers
    floats = numpy_gradients(*(as_float(m) for m in (W1, b1, W2, b2, x, y)))
    got = net.gradients(x, y, "bce", digits=40)
    for name, values in floats.items():
        for (i, j), value in np.ndenumerate(values):
            low, high = got[name].interval(i, j)
            tolerance = 1e-12 * max(abs(float(low)), abs(float(high)), 1e-300)
            assert float(low) - tolerance <= value <= float(high) + tolerance, (name, i, j)


def stable_softmax_gradients(W1, b1, W2, b2, x, y) -> dict[str, np.ndarray]:
    """ReLU then softmax with cross-entropy, in float64 via log-sum-exp (z − max before exp)."""
    z1 = W1 @ x + b1
    a1 = np.maximum(z1, 0)
    z2 = W2 @ a1 + b2
    shifted = z2 - z2.max(axis=0, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    delta2 = np.exp(log_softmax) - y
    delta1 = (W2.T @ delta2) * (z1 > 0)
    return {"W1": delta1 @ x.T, "b1": delta1.sum(axis=1, keepdims=True),
            "W2": delta2 @ a1.T, "b2": delta2.sum(axis=1, keepdims=True)}


def stable_cross_entropy(W1, b1, W2, b2, x, y) -> float:
    z2 = W2 @ np.maximum(W1 @ x + b1, 0) + b2
    top = z2.max(axis=0, keepdims=True)
    log_sum_exp = top + np.log(np.exp(z2 - top).sum(axis=0, keepdims=True))
    return float((-(y * (z2 - log_sum_exp))).sum())


def assert_inside(ball: CertifiedMatrix, values: np.ndarray) -> None:
    """Every float inside its ball, up to float64 rounding of the matrix's largest terms."""
    # Backprop sums terms of the matrix's size, so a small entry carries their absolute error.
    tolerance = 1e-12 * max(1.0, float(np.abs(values).max()))
    for (i, j), value in np.ndenumerate(values):
        low, high = ball.interval(i, j)
        assert float(low) - tolerance <= value <= float(high) + tolerance, (i, j, value)


@pytest.mark.parametrize("seed, scale", [(0, 1), (1, 1), (2, 1), (3, 200)])
def test_certified_softmax_balls_contain_stable_float64(seed: int, scale: int) -> None:
    # scale 200 pushes the logits into the hundreds, where a naive exp overflows in float64.
    net, layers, x, y = random_case(seed, [5, 6, 4], ["relu", "softmax"], samples=2)
    (W1, b1), (W2, b2) = layers
    W2 = [[v * scale for v in row] for row in W2]
    net = symnn.Network([net.layers[0], symnn.Dense(W2, b2, "softmax")])
    floats = [as_float(m) for m in (W1, b1, W2, b2, x, y)]
    got = net.gradients(x, y, "cross_entropy", digits=40)
    for name, values in stable_softmax_gradients(*floats).items():
        assert_inside(got[name], values)
    low, high = net.loss(x, y, "cross_entropy", digits=40).interval()
    expected = stable_cross_entropy(*floats)
    tolerance = 1e-12 * max(1.0, abs(expected))
    assert float(low) - tolerance <= expected <= float(high) + tolerance


def test_saturated_softmax_naive_float_fails_but_certified_agrees_with_stable() -> None:
    net = symnn.Network([symnn.Dense([[1], [0], [-1]], [0, 0, 0], "softmax")])
    x, y = [[800]], [[0], [0], [1]]
    got = net.gradients(x, y, "cross_entropy", digits=30)
    with np.errstate(over="ignore", invalid="ignore"):
        z = np.array([[800.0], [0.0], [-800.0]])
        naive = np.exp(z) / np.exp(z).sum() - np.array(y, dtype=float)
    assert np.isnan(naive).any()
    stable = stable_softmax_gradients(np.eye(1), np.zeros((1, 1)), np.array([[1.0], [0.0], [-1.0]]),
                                      np.zeros((3, 1)), np.array([[800.0]]), np.array(y, dtype=float))
    assert_inside(got["b1"], stable["b2"])
    with mpmath.workdps(60):
        true_value = mpmath.exp(-800) / (1 + mpmath.exp(-800) + mpmath.exp(-1600))
        assert correctly_rounded(got["b1"][1, 0], true_value, 30, mpmath.mpf(10) ** -400)


def test_saturated_sigmoid_naive_float_fails_but_certified_agrees_with_stable() -> None:
    # z2 = 40: σ(40) rounds to 1.0 in float64, so the naive σ(z) − 1 is exactly 0.
    net = symnn.Network([symnn.Dense([[1]], [0], "relu"), symnn.Dense([[1]], [0], "sigmoid")])
    got = net.gradients([40], [1], "bce", digits=50)
    args = [np.array([[v]], dtype=float) for v in (1, 0, 1, 0, 40, 1)]
    naive = numpy_gradients(*args, stable=False)["b2"][0, 0]
    stable = numpy_gradients(*args, stable=True)["b2"][0, 0]
    with mpmath.workdps(120):
        true_value = -1 / (1 + mpmath.exp(40))
        assert correctly_rounded(got["b2"][0, 0], true_value, 50, mpmath.mpf(10) ** -110)
    certified_value = float(got["b2"][0, 0])
    assert naive == 0.0
    assert abs(stable - certified_value) <= 1e-15 * abs(certified_value)


def test_deep_saturation_is_certified_by_raising_precision() -> None:
    # σ(300) − 1 ≈ −5e−131: the first pass cancels every bit, so certify() must refine.
    net = symnn.Network([symnn.Dense([[1]], [0], "sigmoid")])
    got = net.gradients([300], [1], "bce", digits=50)
    assert got["b1"].precision > certified.bits_for(50) + 32
    with mpmath.workdps(400):
        true_value = -1 / (1 + mpmath.exp(300))
        assert correctly_rounded(got["b1"][0, 0], true_value, 50, mpmath.mpf(10) ** -390)


def test_forward_and_loss_are_certified() -> None:
    net, layers, x, y = random_case(7, [3, 3, 1], ["tanh", "sigmoid"])
    with mpmath.workdps(80):
        params = mp_params(layers)
        a = mp_matrix(x)
        for index, act in enumerate(["tanh", "sigmoid"], start=1):
            W, b = params[f"W{index}"], params[f"b{index}"]
            a = [[MP_ACTIVATIONS[act](sum(W[i][k] * a[k][0] for k in range(len(a))) + b[i][0])]
                 for i in range(len(W))]
        loss = mp_loss(params, ["tanh", "sigmoid"], mp_matrix(x), mp_matrix(y), "bce")
        slack = mpmath.mpf(10) ** -70
        assert correctly_rounded(net.forward(x, digits=40)[0, 0], a[0][0], 40, slack)
        assert correctly_rounded(str(net.loss(x, y, "bce", digits=40)), loss, 40, slack)


def test_stepped_network_with_transcendental_weights_is_certified() -> None:
    net = symnn.Network([symnn.Dense([["1/2", -1]], [0], "relu"),
                         symnn.Dense([[2]], ["1/3"], "sigmoid")])
    stepped = net.step([3, 1], [1], "bce", "1/2")
    assert any(not v.is_Rational for v in stepped.parameters["W2"])
    with mpmath.workdps(120):
        params = {name: [[mpmath.mpf(str(sp.N(v, 110))) for v in m.row(i)] for i in range(m.rows)]
                  for name, m in stepped.parameters.items()}
    got = stepped.gradients([3, 1], [1], "bce", digits=30)
    reference = finite_differences(params, ["relu", "sigmoid"], [[3], [1]], [[1]], "bce")
    with mpmath.workdps(120):
        for name, rows in reference.items():
            for i, row in enumerate(rows):
                for j, fd in enumerate(row):
                    assert correctly_rounded(got[name][i, j], fd, 30, mpmath.mpf(10) ** -45)


# ---------------------------------------------------------------------------
# Reference 3: Python's decimal module for rationals.


@given(st.fractions().filter(lambda f: f != 0), st.integers(1, 60))
def test_round_significant_matches_decimal_module(value: Fraction, digits: int) -> None:
    context = decimal.Context(prec=digits, rounding=decimal.ROUND_HALF_EVEN)
    expected = context.divide(decimal.Decimal(value.numerator), decimal.Decimal(value.denominator))
    assert decimal.Decimal(round_significant(value, digits)) == expected
    assert len(round_significant(value, digits).lstrip("-").split("E")[0].replace(".", "")
               .lstrip("0")) <= digits


def test_rational_results_are_rounded_exactly() -> None:
    net = symnn.Network([symnn.Dense([["1/3", "2/7"]], ["1/11"], "relu")])
    got = net.gradients([1, 1], [0], "half_sse", digits=25)
    exact = net.gradients([1, 1], [0], "half_sse")
    context = decimal.Context(prec=25)
    for name in exact:
        value = exact[name][0, 0]
        assert got[name].exact is not None
        expected = context.divide(decimal.Decimal(int(value.p)), decimal.Decimal(int(value.q)))
        assert decimal.Decimal(got[name][0, 0]) == expected


# ---------------------------------------------------------------------------
# What cannot be certified is said, not guessed.


def test_a_kink_that_balls_cannot_decide_is_an_error() -> None:
    # Two equal sigmoid units cancel: z2 = σ(1) − σ(1) = 0 exactly, at ReLU's kink;
    # a ball around 0 can never tell which side, at any precision.
    net = symnn.Network([symnn.Dense([[1], [1]], [0, 0], "sigmoid"),
                         symnn.Dense([[1, -1]], [0], "relu")])
    with pytest.raises(MathDomainError, match="kink"):
        net.gradients([1], [0], "half_sse", digits=10)


def test_undecidable_entries_print_as_enclosures() -> None:
    with flint.ctx.workprec(100):
        balls = flint.arb_mat([[flint.arb(0, flint.arb(2) ** -90), flint.arb(1) / 3]])
    matrix = CertifiedMatrix((1, 2), 10, None, balls, 100)
    assert matrix[0, 0].startswith("[+/-")
    assert matrix[0, 1] == "0.3333333333"
    assert matrix.contains(0, 0, 0) and not matrix.contains(0, 1, Fraction(1, 3) + Fraction(1, 10**20))


def test_docstring_examples() -> None:
    assert doctest.testmod(certified).failed == 0


def test_an_undefined_certified_gradient_is_an_error() -> None:
    # tanh output 0 with cross-entropy: log 0, so the gradient does not exist.
    net = symnn.Network([symnn.Dense([[1]], [0], "tanh")])
    with pytest.raises(MathDomainError, match="undefined"):
        net.gradients([0], [1], "bce", digits=10)
