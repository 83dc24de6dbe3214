"""Property tests over random small networks: exact values against independent references."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from symnn.core.calculus import ACTIVATIONS
from symnn.sheets.crosscheck import crosscheck, exact_array
from symnn.sheets.kinds import solve_exercise
from symnn.sheets.kinds.network import DenseNetwork
from symnn.sheets.reference import numeric
from symnn.sheets.spec import ExerciseSpec, Layer

SMOOTH = ["sigmoid", "tanh", "identity", "softplus"]
ALL = SMOOTH + ["relu", "leaky_relu", "elu"]

# Each example solves a random network exactly: a share of the profile's count (see conftest.py).
NETWORKS = max(10, settings().max_examples * 4 // 5)
GRADIENT_NETWORKS = max(6, settings().max_examples // 2)

tenths = st.integers(-20, 20).map(lambda k: Fraction(k, 10))


@st.composite
def networks(draw, activations=ALL):
    sizes = draw(st.lists(st.integers(1, 3), min_size=2, max_size=4))
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        W = tuple(tuple(draw(tenths) for _ in range(n_in)) for _ in range(n_out))
        b = tuple((draw(tenths),) for _ in range(n_out)) if draw(st.booleans()) else None
        act = draw(st.sampled_from(activations))
        layers.append(Layer(W, b, act, Fraction(1, 10) if act in ("leaky_relu", "elu") else None))
    loss = draw(st.sampled_from(["bce", "half_sse", "sse", "mse"]))
    if loss == "bce":
        layers[-1] = Layer(layers[-1].W, layers[-1].b, "sigmoid", None)
        y = tuple((Fraction(draw(st.integers(0, 1))),) for _ in range(sizes[-1]))
    else:
        y = tuple((draw(tenths),) for _ in range(sizes[-1]))
    xv = tuple((draw(tenths),) for _ in range(sizes[0]))
    fields = {"x": xv, "y": y, "layers": tuple(layers), "loss": loss, "learning_rate": Fraction(1, 10)}
    return ExerciseSpec("network", "p1", "", DenseNetwork(**fields))


@settings(max_examples=NETWORKS)
@given(networks())
def test_exact_values_equal_the_numpy_evaluator(spec):
    d = solve_exercise(spec)
    assert crosscheck(spec, d) == len(d.quantities)


def _loss_with(spec: ExerciseSpec, layer: int, i: int, j: int, h: float) -> float:
    layers = list(spec.data.layers)
    W = [list(map(float, row)) for row in layers[layer].W]
    W[i][j] += h
    layers[layer] = Layer(tuple(tuple(row) for row in W), layers[layer].b, layers[layer].activation,
                          layers[layer].alpha)
    return float(numeric.evaluate_network({**spec.data.as_fields(), "layers": tuple(layers)})["L"])


@settings(max_examples=GRADIENT_NETWORKS)
@given(networks(activations=SMOOTH))
def test_sympy_gradients_agree_with_central_differences(spec):
    d = solve_exercise(spec)
    h = 1e-6
    for l, layer in enumerate(spec.data.layers, start=1):
        grad = exact_array(d.quantity(f"dL_dW{l}").exact)
        for i in range(len(layer.W)):
            for j in range(len(layer.W[0])):
                fd = (_loss_with(spec, l - 1, i, j, h) - _loss_with(spec, l - 1, i, j, -h)) / (2 * h)
                assert np.isclose(grad[i, j], fd, rtol=1e-5, atol=1e-7), (l, i, j, grad[i, j], fd)


@given(st.sampled_from(ALL), st.integers(-300, 300).map(lambda k: Fraction(k, 100)))
def test_activation_derivatives_agree_with_central_differences(name, point):
    act = ACTIVATIONS[name]
    assume(point != 0 or name in SMOOTH)  # the kinks are conventions, not limits
    alpha = sp.Rational(1, 10)
    p = sp.Rational(point.numerator, point.denominator)
    h = sp.Rational(1, 10**8)
    fd = (act.at(p + h, alpha) - act.at(p - h, alpha)) / (2 * h)
    exact = act.derivative_at(p, alpha)
    assert abs(float(sp.N(fd - exact, 30))) < 1e-8
