"""symnn.Network against independent references.

* a pure ``fractions.Fraction`` implementation of forward and backward passes,
  written here by hand, must agree bit for bit on random piecewise-linear networks;
* the naive SymPy way (the whole loss as one expression, ``diff`` by every weight)
  must agree with the exact transcendental and symbolic results;
* bad input gives one-line symnn errors.
"""

from __future__ import annotations

import doctest
import importlib
import itertools
import random
from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import symnn
from symnn.core.program import enclose
from symnn.errors import MathDomainError, ParseError, ShapeError, SpecError
from symnn.library import network

# ---------------------------------------------------------------------------
# The independent reference: plain Fractions, nested lists, hand-written rules.

Matrix = list[list[Fraction]]


def ref_activation(name: str, z: Fraction, alpha: Fraction) -> Fraction:
    if name == "identity":
        return z
    if name == "relu":
        return z if z > 0 else Fraction(0)
    return z if z > 0 else alpha * z  # leaky_relu


def ref_slope(name: str, z: Fraction, alpha: Fraction) -> Fraction:
    if name == "identity":
        return Fraction(1)
    if name == "relu":
        return Fraction(1) if z > 0 else Fraction(0)
    return Fraction(1) if z > 0 else alpha


def ref_loss_slope(loss: str, a: Fraction, y: Fraction, count: int) -> Fraction:
    """d(loss)/d(a) for one entry."""
    return {"sse": 2 * (a - y), "half_sse": a - y, "mse": 2 * (a - y) / count}[loss]


def matmul(A: Matrix, B: Matrix) -> Matrix:
    return [[sum((A[i][k] * B[k][j] for k in range(len(B))), Fraction(0))
             for j in range(len(B[0]))] for i in range(len(A))]


def transpose(A: Matrix) -> Matrix:
    return [list(col) for col in zip(*A)]


def reference_gradients(layers: list[dict], x: Matrix, y: Matrix, loss: str) -> dict[str, Matrix]:
    samples = len(x[0])
    inputs, pre = [], []
    a = x
    for layer in layers:
        inputs.append(a)
        z = matmul(layer["W"], a)
        if layer["b"] is not None:
            z = [[z[i][s] + layer["b"][i][0] for s in range(samples)] for i in range(len(z))]
        pre.append(z)
        a = [[ref_activation(layer["act"], v, layer["alpha"]) for v in row] for row in z]
    count = len(y) * samples
    last = layers[-1]
    delta = [[ref_loss_slope(loss, a[i][s], y[i][s], count)
              * ref_slope(last["act"], pre[-1][i][s], last["alpha"])
              for s in range(samples)] for i in range(len(y))]
    grads: dict[str, Matrix] = {}
    for index in range(len(layers), 0, -1):
        layer = layers[index - 1]
        grads[f"W{index}"] = matmul(delta, transpose(inputs[index - 1]))
        if layer["b"] is not None:
            grads[f"b{index}"] = [[sum(row, Fraction(0))] for row in delta]
        if index > 1:
            below = layers[index - 2]
            back = matmul(transpose(layer["W"]), delta)
            delta = [[back[i][s] * ref_slope(below["act"], pre[index - 2][i][s], below["alpha"])
                      for s in range(samples)] for i in range(len(back))]
    return grads


def reference_output(layers: list[dict], x: Matrix) -> Matrix:
    a = x
    for layer in layers:
        z = matmul(layer["W"], a)
        if layer["b"] is not None:
            z = [[v + layer["b"][i][0] for v in row] for i, row in enumerate(z)]
        a = [[ref_activation(layer["act"], v, layer["alpha"]) for v in row] for row in z]
    return a


def as_fractions(matrix: sp.Matrix) -> Matrix:
    """A SymPy matrix of rationals as Fractions (fails on anything else)."""
    rows = []
    for i in range(matrix.rows):
        row = []
        for j in range(matrix.cols):
            entry = matrix[i, j]
            assert isinstance(entry, sp.Rational), entry
            row.append(Fraction(int(entry.p), int(entry.q)))
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------
# Hypothesis: random piecewise-linear networks.

fractions = st.builds(Fraction, st.integers(-30, 30), st.integers(1, 12))
# Integers near zero make exact zeros at ReLU kinks likely, exercising ReLU'(0) = 0.
entries = st.one_of(fractions, st.integers(-2, 2).map(Fraction))


def matrices(rows: int, cols: int) -> st.SearchStrategy[Matrix]:
    return st.lists(st.lists(entries, min_size=cols, max_size=cols), min_size=rows, max_size=rows)


@st.composite
def networks(draw: st.DrawFn) -> tuple[list[dict], Matrix, Matrix, str]:
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    samples = draw(st.integers(1, 3))
    layers = []
    for n_in, n_out in itertools.pairwise(sizes):
        act = draw(st.sampled_from(["identity", "relu", "leaky_relu"]))
        layers.append({
            "W": draw(matrices(n_out, n_in)),
            "b": draw(st.one_of(st.none(), matrices(n_out, 1))),
            "act": act,
            "alpha": draw(fractions.filter(lambda f: f != 0)) if act == "leaky_relu" else Fraction(0),
        })
    x = draw(matrices(sizes[0], samples))
    y = draw(matrices(sizes[-1], samples))
    loss = draw(st.sampled_from(["sse", "half_sse", "mse"]))
    return layers, x, y, loss


def build(layers: list[dict]) -> symnn.Network:
    return symnn.Network(
        symnn.Dense(layer["W"], layer["b"], layer["act"],
                    alpha=layer["alpha"] if layer["act"] == "leaky_relu" else None)
        for layer in layers)


@given(networks())
def test_exact_gradients_equal_fraction_reference(case: tuple) -> None:
    layers, x, y, loss = case
    expected = reference_gradients(layers, x, y, loss)
    got = build(layers).gradients(x, y, loss)
    assert list(got) == [k for i in range(1, len(layers) + 1)
                         for k in (f"W{i}", f"b{i}") if k in expected]
    for name, matrix in expected.items():
        assert as_fractions(got[name]) == matrix, name


@given(networks())
def test_forward_and_step_equal_fraction_reference(case: tuple) -> None:
    layers, x, y, loss = case
    net = build(layers)
    assert as_fractions(net.forward(x)) == reference_output(layers, x)
    rate = Fraction(1, 7)
    stepped = net.step(x, y, loss, rate).parameters
    grads = reference_gradients(layers, x, y, loss)
    for index, layer in enumerate(layers, start=1):
        for key, value in (("W", layer["W"]), ("b", layer["b"])):
            if value is None:
                continue
            name = f"{key}{index}"
            expected = [[v - rate * g for v, g in zip(row, grow)]
                        for row, grow in zip(value, grads[name])]
            assert as_fractions(stepped[name]) == expected


def test_relu_kink_uses_the_calculus_convention() -> None:
    # z = 0 exactly: ReLU'(0) = 0, so nothing flows to W1.
    net = symnn.Network([symnn.Dense([[1, -1]], None, "relu"), symnn.Dense([[2]], None, "identity")])
    grads = net.gradients([3, 3], [1], "half_sse")
    assert grads["W1"] == sp.Matrix([[0, 0]])


# ---------------------------------------------------------------------------
# Transcendental and symbolic results against the naive SymPy way.


def naive_gradients(layer_specs: list[tuple], x: list, y: list, loss: str) -> dict[str, sp.Matrix]:
    """The loss as one SymPy expression of weight symbols, differentiated by each weight."""
    symbols, values = {}, {}
    a = sp.Matrix(x)
    for index, (W, b, act) in enumerate(layer_specs, start=1):
        Ws = sp.Matrix(len(W), len(W[0]), lambda i, j, k=index: sp.Symbol(f"W{k}_{i}{j}"))
        bs = sp.Matrix(len(b), 1, lambda i, j, k=index: sp.Symbol(f"b{k}_{i}"))
        symbols[f"W{index}"], symbols[f"b{index}"] = Ws, bs
        values.update({Ws[i, j]: sp.Rational(W[i][j]) for i in range(Ws.rows) for j in range(Ws.cols)})
        values.update({bs[i]: sp.Rational(b[i]) for i in range(bs.rows)})
        z = Ws * a + bs
        f = {"sigmoid": lambda t: 1 / (1 + sp.exp(-t)), "tanh": sp.tanh,
             "identity": lambda t: t}[act]
        a = z.applyfunc(f)
    terms = {"bce": lambda t, p: -(t * sp.log(p) + (1 - t) * sp.log(1 - p)),
             "half_sse": lambda t, p: (t - p) ** 2 / 2}
    total = sum(terms[loss](sp.Rational(t), p) for t, p in zip(y, a))
    return {name: m.applyfunc(lambda s: sp.diff(total, s).xreplace(values))
            for name, m in symbols.items()}


def assert_equal_exactly(got: sp.Matrix, expected: sp.Matrix) -> None:
    assert got.shape == expected.shape
    for g, e in zip(got, expected):
        difference = sp.simplify(g - e)
        assert difference == 0 or abs(sp.N(difference, 60)) < sp.Float("1e-55"), (g, e)


@pytest.mark.parametrize("specs, loss", [
    pytest.param([([[1, "-1/2"], ["1/4", 2]], [0, 1], "identity"), ([[1, 1]], ["1/3"], "sigmoid")],
                 "bce", id="identity-sigmoid-bce"),
    pytest.param([([["1/2", -1]], [2], "tanh"), ([[3]], [0], "sigmoid")], "bce", id="tanh-sigmoid-bce"),
    pytest.param([([[1, 2]], [0], "sigmoid"), ([[2], [-1]], [0, 1], "identity")], "half_sse",
                 id="sigmoid-identity-sse"),
])
def test_transcendental_gradients_equal_naive_sympy(specs: list, loss: str) -> None:
    x, y = [1, "1/2"], [1] * len(specs[-1][0])
    net = symnn.Network(symnn.Dense(W, b, act) for W, b, act in specs)
    got = net.gradients(x, y, loss)
    expected = naive_gradients([(W, [sp.Rational(v) for v in b], a) for W, b, a in specs],
                               [sp.Rational(v) for v in x], y, loss)
    for name, matrix in expected.items():
        assert_equal_exactly(sp.Matrix(got[name]), matrix)


def test_transcendental_output_gradients_are_kept_factored() -> None:
    net = symnn.Network([symnn.Dense([[1, 2], [-1, "1/2"]], [0, 1], "relu"),
                         symnn.Dense([[1, -1]], [0], "sigmoid")])
    grads = net.gradients(["1/2", 1], [1], "bce")
    for name in grads:
        factored = grads.factored(name)
        assert isinstance(factored, network.FactoredMatrix)
        assert_equal_exactly(factored.as_explicit(), grads[name])
        assert sp.simplify(factored[0, 0] - grads[name][0, 0]) == 0


def test_rational_gradients_are_plain_sympy_matrices() -> None:
    net = symnn.Network([symnn.Dense([[1, "1/2"]], [0], "identity")])
    grads = net.gradients([2, 4], [1], "half_sse")
    assert grads["W1"] == sp.Matrix([[6, 12]]) and grads["b1"] == sp.Matrix([[3]])
    assert grads.domain_matrix("W1").domain == sp.QQ and grads.factored("W1") is None
    assert dict(grads) == {"W1": sp.Matrix([[6, 12]]), "b1": sp.Matrix([[3]])}


def test_symbolic_mode_gives_formulas_that_match_numbers() -> None:
    W1, b1 = sp.MatrixSymbol("W1", 2, 2), sp.MatrixSymbol("b1", 2, 1)
    w = sp.symbols("w0:2")
    net = symnn.Network([symnn.Dense(W1, b1, "sigmoid"), symnn.Dense([list(w)], [0], "identity")])
    x = ["1/2", -1]
    formulas = net.gradients(x, [1], "half_sse")
    assert formulas["W1"].free_symbols >= set(w)
    numbers = {W1: sp.Matrix([[1, -2], [sp.Rational(1, 3), 1]]), b1: sp.Matrix([0, 1]),
               w[0]: 2, w[1]: -1}
    numeric_net = symnn.Network([symnn.Dense(numbers[W1], numbers[b1], "sigmoid"),
                                 symnn.Dense([[2, -1]], [0], "identity")])
    exact = numeric_net.gradients(x, [1], "half_sse")
    substitution = {W1[i, j]: numbers[W1][i, j] for i in range(2) for j in range(2)}
    substitution |= {b1[i, 0]: numbers[b1][i] for i in range(2)} | {w[0]: 2, w[1]: -1}
    for name in exact:
        assert_equal_exactly(formulas[name].xreplace(substitution), exact[name])
    as_numpy = symnn.to_numpy(formulas["W2"])
    import numpy as np
    values = as_numpy(b1=np.array([[0.0], [1.0]]), W1=np.array([[1.0, -2.0], [1 / 3, 1.0]]),
                      w0=2.0, w1=-1.0)
    assert np.allclose(values, np.array(exact["W2"], dtype=float), rtol=1e-12)


def test_symbolic_relu_keeps_its_piecewise_rule() -> None:
    w = sp.Symbol("w")
    net = symnn.Network([symnn.Dense([[w]], [0], "relu")])
    grad = net.gradients([1], [0], "half_sse")["W1"][0, 0]
    assert grad.xreplace({w: 3}) == 3 and grad.xreplace({w: -3}) == 0


def test_from_spec_builds_the_sheet_network() -> None:
    sheet = symnn.load_sheet()
    exercise = next(e for e in sheet.exercises if e.kind == "network")
    net = symnn.Network.from_spec(exercise)
    spec_layers = exercise.data.layers
    assert len(net.layers) == len(spec_layers)
    for layer, spec in zip(net.layers, spec_layers):
        assert as_fractions(sp.Matrix(layer.W.to_Matrix())) == [list(r) for r in spec.W]
        assert layer.activation == spec.activation
    net.gradients([list(r) for r in exercise.data.x], [list(r) for r in exercise.data.y],
                  exercise.data.loss)


# ---------------------------------------------------------------------------
# Input reading and errors.


def test_entries_are_read_exactly() -> None:
    layer = symnn.Dense([["0.1", "1/3", Fraction(2, 7), sp.Rational(-5, 2), 4, "-2.5e-3"]])
    assert as_fractions(sp.Matrix(layer.W.to_Matrix())) == [[
        Fraction(1, 10), Fraction(1, 3), Fraction(2, 7), Fraction(-5, 2), Fraction(4), Fraction(-1, 400)]]


def test_floats_need_the_opt_in() -> None:
    with pytest.raises(SpecError, match="allow_float=True"):
        symnn.Dense([[0.1]])
    layer = symnn.Dense([[0.1, 2.5]], allow_float=True)
    assert as_fractions(sp.Matrix(layer.W.to_Matrix())) == [[Fraction(1, 10), Fraction(5, 2)]]
    net = symnn.Network([symnn.Dense([[1]])])
    with pytest.raises(SpecError, match="allow_float=True"):
        net.forward([0.5])
    assert net.forward([0.5], allow_float=True) == sp.Matrix([[sp.Rational(1, 2)]])


@pytest.mark.parametrize("build_it, error, message", [
    pytest.param(lambda: symnn.Network([symnn.Dense([[1, 2]], None, "relu"),
                                        symnn.Dense([[1, 2, 3]])]),
                 ShapeError, r"layer 2: W2 is 1×3 but layer 1 outputs 1 values \(W1 is 1×2\)",
                 id="chain"),
    pytest.param(lambda: symnn.Dense([[1, 2]], [1, 2]), ShapeError, "b is 2×1 but W is 1×2",
                 id="bias"),
    pytest.param(lambda: symnn.Dense([[1, 2], [3]]), ShapeError, "row 2 has 1 entries", id="ragged"),
    pytest.param(lambda: symnn.Dense([["abc"]]), SpecError, "cannot read 'abc' as a number",
                 id="text"),
    pytest.param(lambda: symnn.Dense([["1e99999999"]]), SpecError, "exponent", id="huge-exponent"),
    pytest.param(lambda: symnn.Dense([[True]]), SpecError, "boolean", id="bool"),
    pytest.param(lambda: symnn.Dense([[1]], None, "swish"), SpecError, "unknown activation 'swish'",
                 id="activation"),
    pytest.param(lambda: symnn.Dense([[1]], None, "relu", alpha="1/2"), SpecError, "takes no alpha",
                 id="alpha"),
    pytest.param(lambda: symnn.Network([]), SpecError, "at least one layer", id="empty"),
    pytest.param(lambda: symnn.Network([[[1]]]), SpecError, "must be a symnn.Dense", id="not-dense"),
])
def test_bad_networks_are_refused(build_it: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        build_it()  # type: ignore[operator]


@pytest.fixture
def small_net() -> symnn.Network:
    return symnn.Network([symnn.Dense([[1, 2], [3, 4], [5, 6]], [0, 0, 0], "relu"),
                          symnn.Dense([[1, 1, 1]], [0], "sigmoid")])


@pytest.mark.parametrize("call, error, message", [
    pytest.param(lambda n: n.forward([1, 2, 3]), ShapeError,
                 r"x is 3×1 but W1 is 3×2; x needs 2 rows", id="x-rows"),
    pytest.param(lambda n: n.gradients([1, 2], [1, 0], "bce"), ShapeError,
                 r"y is 2×1 but the network outputs 1×1 .*layer 2", id="y-shape"),
    pytest.param(lambda n: n.gradients([1, 2], [1], "hinge"), SpecError, "unknown loss 'hinge'",
                 id="loss"),
    pytest.param(lambda n: n.gradients([1, 2], [2], "bce"), MathDomainError, r"targets in \[0, 1\]",
                 id="bce-target"),
    pytest.param(lambda n: n.gradients([1, 2], [1], "bce", digits=0), SpecError, "digits",
                 id="digits"),
    pytest.param(lambda n: n.step([1, 2], [1], "bce", 0.1), SpecError, "allow_float", id="rate"),
])
def test_bad_calls_are_refused(small_net: symnn.Network, call: object, error: type,
                               message: str) -> None:
    with pytest.raises(error, match=message):
        call(small_net)  # type: ignore[operator]


def test_log_zero_is_a_domain_error() -> None:
    net = symnn.Network([symnn.Dense([[1]], [0], "relu")])
    with pytest.raises(MathDomainError, match="output unit 1, sample 1"):
        net.gradients([-1], [1], "bce")


def test_symbolic_parameters_cannot_be_certified() -> None:
    net = symnn.Network([symnn.Dense([[sp.Symbol("w")]], [0], "sigmoid")])
    with pytest.raises(SpecError, match="symbolic"):
        net.gradients([1], [1], "bce", digits=10)


@pytest.mark.parametrize("module", ["symnn.library.network", "symnn.library.values", "symnn.core.program",
                                    "symnn.library.backprop", "symnn.library.gradients", "symnn.library.engine",
                                    "symnn.library.engine.rules"])
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


# ---------------------------------------------------------------------------
# Softmax outputs and custom activations against the naive SymPy way.

# Written here independently of symnn.core.calculus: elementwise rules and the softmax itself.
NAIVE_ELEMENTWISE = {
    "identity": lambda t: t,
    "relu": lambda t: sp.Piecewise((t, t > 0), (0, True)),
    "sigmoid": lambda t: 1 / (1 + sp.exp(-t)),
    "tanh": sp.tanh,
    "softsign": lambda t: t / (1 + sp.Abs(t)),
    "swish": lambda t: t / (1 + sp.exp(-t)),
    "cube": lambda t: t ** 3 / 3 - t,
}
CUSTOM_FORMULAS = {"softsign": "x / (1 + abs(x))", "swish": "x * sigmoid(x)", "cube": "x^3/3 - x"}
NAIVE_TERMS = {
    "cross_entropy": lambda t, p: -t * sp.log(p),
    "half_sse": lambda t, p: (t - p) ** 2 / 2,
    "mse": lambda t, p: (t - p) ** 2,
    "bce": lambda t, p: -(t * sp.log(p) + (1 - t) * sp.log(1 - p)),
}


def naive_softmax_column(z: sp.Matrix) -> sp.Matrix:
    total = sum(sp.exp(v) for v in z)
    return z.applyfunc(lambda v: sp.exp(v) / total)


def naive_network_gradients(layers: list[tuple], x: sp.Matrix, y: sp.Matrix,
                            loss: str) -> dict[str, sp.Matrix]:
    """The whole batch loss as one expression of real weight symbols, ``diff`` by each."""
    symbols, values = {}, {}
    a = x
    for index, (W, b, act) in enumerate(layers, start=1):
        Ws = sp.Matrix(W.rows, W.cols, lambda i, j, k=index: sp.Symbol(f"W{k}_{i}{j}", real=True))
        bs = sp.Matrix(b.rows, 1, lambda i, j, k=index: sp.Symbol(f"b{k}_{i}", real=True))
        symbols[f"W{index}"], symbols[f"b{index}"] = Ws, bs
        values.update(dict(zip(Ws, W)) | dict(zip(bs, b)))
        z = Ws * a + bs * sp.ones(1, a.cols)
        if act == "softmax":
            a = sp.Matrix.hstack(*[naive_softmax_column(z[:, s]) for s in range(z.cols)])
        else:
            a = z.applyfunc(NAIVE_ELEMENTWISE[act])
    total = sum(NAIVE_TERMS[loss](t, p) for t, p in zip(y, a))
    if loss == "mse":
        total = total / (y.rows * y.cols)
    return {name: m.applyfunc(lambda s: sp.diff(total, s).xreplace(values))
            for name, m in symbols.items()}


def assert_same_value(got: sp.Matrix, expected: sp.Matrix) -> None:
    """Two exact matrices agree to 45 digits: a rigorous arb enclosure of each exact difference
    (narrower than 1e-50) lies within 1e-45 of 0, relative to the expected value."""
    assert got.shape == expected.shape
    for g, e in zip(got, expected):
        low, high = enclose(g - e)
        scale = max(1, abs(float(enclose(e)[0])))
        assert max(-low, high) < Fraction(1, 10**45) * Fraction(scale), (g, e)


def random_network(seed: int, sizes: list[int], acts: list[str], samples: int
                   ) -> tuple[list[tuple], sp.Matrix, sp.Matrix]:
    rng = random.Random(seed)

    def q() -> sp.Rational:
        return sp.Rational(rng.randint(-9, 9), rng.randint(1, 6))

    layers = [(sp.Matrix(n_out, n_in, lambda i, j: q()), sp.Matrix(n_out, 1, lambda i, j: q()), act)
              for (n_in, n_out), act in zip(itertools.pairwise(sizes), acts)]
    x = sp.Matrix(sizes[0], samples, lambda i, j: q())
    classes = [rng.randrange(sizes[-1]) for _ in range(samples)]
    y = sp.Matrix(sizes[-1], samples, lambda i, j: int(classes[j] == i))
    return layers, x, y


def symnn_network(layers: list[tuple]) -> symnn.Network:
    return symnn.Network(symnn.Dense(W.tolist(), b.tolist(), act, formula=CUSTOM_FORMULAS.get(act))
                         for W, b, act in layers)


@pytest.mark.parametrize("sizes, acts, loss, samples", [
    pytest.param([2, 3], ["softmax"], "cross_entropy", 1, id="softmax-ce"),
    pytest.param([3, 2, 3], ["relu", "softmax"], "cross_entropy", 2, id="relu-softmax-ce-batch"),
    pytest.param([2, 3, 4], ["tanh", "softmax"], "cross_entropy", 1, id="tanh-softmax-ce"),
    pytest.param([2, 2, 3], ["softsign", "softmax"], "cross_entropy", 2, id="softsign-softmax-ce"),
    pytest.param([2, 3, 3], ["relu", "softmax"], "half_sse", 1, id="relu-softmax-sse"),
    pytest.param([2, 3], ["softmax"], "mse", 2, id="softmax-mse-batch"),
    pytest.param([3, 2], ["softmax"], "bce", 1, id="softmax-bce"),
])
@pytest.mark.parametrize("seed", [1, 2])
def test_softmax_gradients_equal_naive_sympy(sizes: list[int], acts: list[str], loss: str,
                                             samples: int, seed: int) -> None:
    layers, x, y = random_network(seed, sizes, acts, samples)
    got = symnn_network(layers).gradients(x.tolist(), y.tolist(), loss)
    expected = naive_network_gradients(layers, x, y, loss)
    assert list(got) == list(expected)
    for name, matrix in expected.items():
        assert_same_value(got[name], matrix)


def test_softmax_cross_entropy_output_delta_is_yhat_minus_y() -> None:
    # With no hidden layer, ∂L/∂b = ŷ − y exactly, entry for entry, as SymPy expressions.
    net = symnn.Network([symnn.Dense([[1, 0], [0, 1], [1, 1]], [0, "1/2", -1], "softmax")])
    x, y = [1, 2], [0, 0, 1]
    output = net.forward(x)
    grads = net.gradients(x, y, "cross_entropy")
    assert grads["b1"] == output - sp.Matrix(y)
    assert sp.simplify(sum(output) - 1) == 0


def test_softmax_loss_equals_log_sum_exp() -> None:
    net = symnn.Network([symnn.Dense([[1, 0], [0, 1], [1, 1]], [0, "1/2", -1], "softmax")])
    z = [sp.Integer(1), sp.Rational(5, 2), sp.Integer(2)]
    value = net.loss([1, 2], [0, 1, 0], "cross_entropy")
    assert sp.simplify(value - (sp.log(sum(sp.exp(v) for v in z)) - z[1])) == 0


@pytest.mark.parametrize("sizes, acts, loss", [
    pytest.param([2, 2, 1], ["softsign", "identity"], "half_sse", id="softsign-hidden"),
    pytest.param([2, 2, 1], ["swish", "sigmoid"], "bce", id="swish-hidden"),
    pytest.param([2, 2, 2], ["tanh", "cube"], "mse", id="cube-output"),
    pytest.param([2, 2, 1], ["relu", "softsign"], "half_sse", id="softsign-output"),
])
@pytest.mark.parametrize("seed", [3, 4])
def test_custom_activation_gradients_equal_naive_sympy(sizes: list[int], acts: list[str], loss: str,
                                                       seed: int) -> None:
    layers, x, y = random_network(seed, sizes, acts, 2)
    y = y.applyfunc(lambda v: sp.Rational(1, 3) + v / 3)  # inside (0, 1) for bce
    got = symnn_network(layers).gradients(x.tolist(), y.tolist(), loss)
    expected = naive_network_gradients(layers, x, y, loss)
    for name, matrix in expected.items():
        assert_same_value(got[name], matrix)


def test_rational_custom_activation_stays_rational() -> None:
    # softsign maps rationals to rationals, so gradients are exact rationals (QQ, no SymPy work).
    layers, x, y = random_network(5, [3, 2, 1], ["softsign", "identity"], 2)
    net = symnn_network(layers)
    got = net.gradients(x.tolist(), y.tolist(), "half_sse")
    expected = naive_network_gradients(layers, x, y, "half_sse")
    for name, matrix in expected.items():
        assert got.domain_matrix(name).domain == sp.QQ
        assert got[name] == matrix


def test_custom_activation_api() -> None:
    named = symnn.Dense([[1]], [0], "softsign", formula="x / (1 + abs(x))")
    anonymous = symnn.Dense([[1]], [0], formula="x / (1 + abs(x))")
    assert (named.activation, anonymous.activation) == ("softsign", "f")
    assert repr(named) == "Dense(1×1, softsign(x) = x / (1 + abs(x)))"
    net = symnn.Network([named])
    assert net.forward(["-3"]) == sp.Matrix([[sp.Rational(-3, 4)]])
    stepped = net.step(["-3"], [0], "half_sse", 1)
    assert stepped.layers[0].formula == named.formula
    # ∂/∂w of ½ f(w·x)² at w = 1, x = −3: f(−3) f′(−3) (−3) with f′(x) = 1/(1 + |x|)².
    assert stepped.parameters["W1"] == sp.Matrix([[1 - sp.Rational(-3, 4) * sp.Rational(1, 16) * -3]])


def test_from_spec_keeps_softmax_and_custom_layers() -> None:
    sheet = symnn.load_sheet('''title = "t"
[[exercise]]
kind = "network"
x = [1, 2]
y = [0, 1]
loss = "cross_entropy"
[[exercise.layers]]
W = [[1, -1], [0.5, 2]]
activation = { formula = "x / (1 + abs(x))", name = "softsign" }
[[exercise.layers]]
W = [[1, 2], [-1, 1]]
activation = "softmax"
''')
    net = symnn.Network.from_spec(sheet.exercises[0])
    assert [layer.activation for layer in net.layers] == ["softsign", "softmax"]
    layers = [(sp.Matrix([[1, -1], [sp.Rational(1, 2), 2]]), sp.zeros(2, 1), "softsign"),
              (sp.Matrix([[1, 2], [-1, 1]]), sp.zeros(2, 1), "softmax")]
    expected = naive_network_gradients(layers, sp.Matrix([1, 2]), sp.Matrix([0, 1]), "cross_entropy")
    got = net.gradients([1, 2], [0, 1], "cross_entropy")
    for name in ("W1", "W2"):
        assert_same_value(got[name], expected[name])


@pytest.mark.parametrize("build_it, error, message", [
    pytest.param(lambda: symnn.Network([symnn.Dense([[1], [2]], [0, 0], "softmax"),
                                        symnn.Dense([[1, 1]], [0], "sigmoid")]),
                 SpecError, "layer 1: softmax is only for the output layer", id="hidden-softmax"),
    pytest.param(lambda: symnn.Dense([[1, 2]], [0], "softmax"), ShapeError,
                 "softmax needs at least 2 outputs", id="one-class-softmax"),
    pytest.param(lambda: symnn.Dense([[1], [2]], None, "softmax", alpha=1), SpecError,
                 "softmax takes no alpha", id="softmax-alpha"),
    pytest.param(lambda: symnn.Dense([[1]], None, formula="x / (1 + abs(x)"), ParseError,
                 r"expected '\)'", id="formula-syntax"),
    pytest.param(lambda: symnn.Dense([[1]], None, formula="__import__('os')"), ParseError,
                 "unexpected|unknown|not", id="formula-injection"),
    pytest.param(lambda: symnn.Dense([[1]], None, "relu", formula="x^2"), SpecError,
                 "not a built-in activation, got 'relu'", id="formula-name-clash"),
    pytest.param(lambda: symnn.Dense([[1]], None, formula=3), SpecError, "formula must be text",
                 id="formula-not-text"),
    pytest.param(lambda: symnn.Dense([[1]], None, formula="x^2", alpha=1), SpecError, "takes no alpha",
                 id="formula-alpha"),
])
def test_bad_softmax_and_custom_layers_are_refused(build_it: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        build_it()  # type: ignore[operator]


@pytest.fixture
def softmax_net() -> symnn.Network:
    return symnn.Network([symnn.Dense([[1, 2], [3, 4]], [0, 0], "relu"),
                          symnn.Dense([[1, -1], [0, 1], [1, 1]], [0, 0, 0], "softmax")])


@pytest.mark.parametrize("call, error, message", [
    pytest.param(lambda n: n.gradients([1, 2], [0, 1, 1], "cross_entropy"), MathDomainError,
                 "column 1 of y sums to 2", id="not-one-hot"),
    pytest.param(lambda n: n.gradients([1, 2], [0, 2, -1], "cross_entropy"), MathDomainError,
                 r"targets in \[0, 1\]", id="negative-target"),
    pytest.param(lambda n: n.gradients([1, 2], [0, 1], "cross_entropy"), ShapeError,
                 "y is 2×1 but the network outputs 3×1", id="y-shape"),
    pytest.param(lambda n: symnn.Network([symnn.Dense([[1, 1]], [0], "sigmoid")]).gradients(
        [1, 2], [1], "cross_entropy"), SpecError, "cross_entropy needs a softmax output layer",
        id="ce-without-softmax"),
    pytest.param(lambda n: symnn.Network([symnn.Dense([[1, 1]], [0], "sigmoid")]).loss(
        [1, 2], [1], "cross_entropy", digits=5), SpecError, "needs a softmax output layer",
        id="ce-loss-without-softmax"),
])
def test_bad_softmax_calls_are_refused(softmax_net: symnn.Network, call: object, error: type,
                                       message: str) -> None:
    with pytest.raises(error, match=message):
        call(softmax_net)  # type: ignore[operator]
