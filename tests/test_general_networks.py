"""General networks (issue 5): softmax, cross-entropy, custom activations, batches, optional
biases, several gradient-descent steps and large layers, against references written here.

The references are plain numpy forward passes with textbook formulas; every gradient is
checked against central finite differences of that reference loss, so neither SymPy's
derivatives nor the numpy evaluator's hand-written backward pass is trusted.  Runs with
piecewise-linear activations are checked exactly against plain Fractions.
"""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from symnn.cli import main
from symnn.core.calculus import softmax_jacobian, softmax_output_delta, softmax_symbols
from symnn.errors import ParseError, ShapeError, SpecError
from symnn.sheets.loading import load_sheet
from symnn.sheets.pipeline import solve_checked
from symnn.sheets.render.markdown import to_markdown
from symnn.sheets.render.printing import latex

REFERENCE = {
    "identity": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "softsign": lambda z: z / (1 + np.abs(z)),
    "softmax": lambda z: np.exp(z) / np.exp(z).sum(axis=0),
}


def forward(params, x, acts):
    a = x
    for (W, b), act in zip(params, acts):
        a = REFERENCE[act](W @ a + (b if b is not None else 0.0))
    return a


def loss(params, x, y, acts, name, reduction):
    a = forward(params, x, acts)
    per_entry = {
        "cross_entropy": lambda: -(y * np.log(a)),
        "bce": lambda: -(y * np.log(a) + (1 - y) * np.log(1 - a)),
        "half_sse": lambda: 0.5 * (y - a) ** 2,
        "mse": lambda: (y - a) ** 2 / y.shape[0],
    }[name]()
    per_sample = per_entry.sum(axis=0)
    return per_sample.mean() if reduction == "mean" else per_sample.sum()


def numeric_gradient(params, index, which, f, h=1e-6):
    base = params[index][which]
    grad = np.zeros_like(base)
    for pos in np.ndindex(base.shape):
        for sign in (1, -1):
            moved = [[p.copy() if p is not None else None for p in layer] for layer in params]
            moved[index][which][pos] += sign * h
            grad[pos] += sign * f(moved) / (2 * h)
    return grad


def as_float(value):
    return np.array(value.evalf(30).tolist(), dtype=float) if isinstance(value, sp.MatrixBase) \
        else float(sp.N(value, 30))


def sheet(text):
    return solve_checked(load_sheet(text))


SOFTMAX_BATCH = """
[[exercise]]
kind = "network"
x = [[0.5, -1.0, 0.2], [1.0, 0.3, -0.4]]
y = [[2, 0, 1]]
loss = "cross_entropy"
reduction = "mean"
learning_rate = 0.5
[[exercise.layers]]
W = [[0.1, -0.3], [0.2, 0.4], [-0.5, 0.1]]
b = [0.05, -0.1, 0.0]
activation = "tanh"
[[exercise.layers]]
W = [[0.3, -0.2, 0.1], [-0.1, 0.4, 0.2], [0.2, 0.1, -0.3]]
activation = "softmax"
"""

CUSTOM = """
[[exercise]]
kind = "network"
x = [[0.8, -0.6], [-0.3, 0.9]]
y = [[1, 0]]
loss = "bce"
[[exercise.layers]]
W = [[0.7, -0.4], [0.2, 0.5]]
b = [0.1, -0.2]
activation = { formula = "x / (1 + abs(x))", name = "softsign" }
[[exercise.layers]]
W = [[0.6, -0.9]]
activation = "sigmoid"
"""


def params_of(spec_text):
    layers = load_sheet(spec_text).exercises[0].data.layers
    return [[np.array(l.W, dtype=float), None if l.b is None else np.array(l.b, dtype=float)] for l in layers]


@pytest.mark.parametrize("text, acts, name, reduction", [
    (SOFTMAX_BATCH, ["tanh", "softmax"], "cross_entropy", "mean"),
    (CUSTOM, ["softsign", "sigmoid"], "bce", "sum"),
], ids=["softmax-cross-entropy-batch-mean", "custom-softsign-batch-sum"])
def test_gradients_match_finite_differences_of_an_independent_loss(text, acts, name, reduction):
    d = sheet(text).derivations[0]
    f = load_sheet(text).exercises[0].data.as_fields()
    x, y = np.array(f["x"], dtype=float), np.array(f["y"], dtype=float)
    params = params_of(text)
    L = lambda p: loss(p, x, y, acts, name, reduction)
    assert as_float(d.quantity("L").exact) == pytest.approx(L(params), rel=1e-12)
    for l, (W, b) in enumerate(params, start=1):
        assert as_float(d.quantity(f"dL_dW{l}").exact) == pytest.approx(numeric_gradient(params, l - 1, 0, L),
                                                                        rel=1e-6, abs=1e-9)
        if b is not None:
            assert as_float(d.quantity(f"dL_db{l}").exact) == pytest.approx(
                numeric_gradient(params, l - 1, 1, L), rel=1e-6, abs=1e-9)


def test_class_indices_become_one_hot_columns():
    f = load_sheet(SOFTMAX_BATCH).exercises[0].data.as_fields()
    assert f["y_classes"] == (2, 0, 1)
    assert f["y"] == ((0, 1, 0), (0, 0, 1), (1, 0, 0))


@pytest.mark.parametrize("n", [2, 3, 5])
def test_sympy_finds_the_softmax_cross_entropy_delta_and_jacobian(n):
    sym = softmax_symbols(n)
    assert softmax_output_delta("cross_entropy", n) == tuple(a - y for a, y in zip(sym.a, sym.y))
    J = softmax_jacobian(n)
    # Against a finite-difference Jacobian of softmax at a point.
    z = np.linspace(-1, 1.3, n)
    soft = REFERENCE["softmax"]
    h = 1e-6
    numeric = np.column_stack([(soft((z + h * e)[:, None]) - soft((z - h * e)[:, None]))[:, 0] / (2 * h)
                               for e in np.eye(n)])
    at = dict(zip(sym.a, soft(z[:, None])[:, 0]))
    assert np.array(J.subs(at).evalf().tolist(), dtype=float) == pytest.approx(numeric, abs=1e-8)


def test_the_softmax_sheet_states_the_simplification():
    md = to_markdown(sheet(SOFTMAX_BATCH))
    assert "every Jacobian term cancels" in md
    assert "the batch loss is the mean of the 3 samples' losses" in md
    assert "class indices (counting from 0): 2, 0, 1" in md


RELU_STEPS = """
[[exercise]]
kind = "network"
x = [[0.5, -1.0, 0.3], [1.0, 0.2, -0.4]]
y = [[1, 0, 0.5]]
loss = "mse"
learning_rate = 0.1
steps = 4
[[exercise.layers]]
W = [[0.1, 0.3], [-0.2, 0.4], [0.5, -0.1]]
b = [0.1, 0.0, -0.1]
activation = "relu"
[[exercise.layers]]
W = [[0.2, -0.5, 0.3]]
activation = "identity"
"""


def fraction_training(steps):
    """Plain-Fraction gradient descent for RELU_STEPS (mse, mean over the 3 samples, one output)."""
    F = Fraction
    X = [[F("0.5"), F("-1.0"), F("0.3")], [F("1.0"), F("0.2"), F("-0.4")]]
    Y = [F(1), F(0), F("0.5")]
    W1 = [[F("0.1"), F("0.3")], [F("-0.2"), F("0.4")], [F("0.5"), F("-0.1")]]
    b1 = [F("0.1"), F(0), F("-0.1")]
    W2 = [F("0.2"), F("-0.5"), F("0.3")]
    eta, m = F("0.1"), 3
    losses = []

    def run():
        Z1 = [[sum(W1[i][k] * X[k][s] for k in range(2)) + b1[i] for s in range(m)] for i in range(3)]
        A1 = [[max(v, F(0)) for v in row] for row in Z1]
        out = [sum(W2[i] * A1[i][s] for i in range(3)) for s in range(m)]
        return Z1, A1, out

    for t in range(steps + 1):
        Z1, A1, out = run()
        if t:
            losses.append(sum((Y[s] - out[s]) ** 2 for s in range(m)) / m)
        if t == steps:
            break
        d2 = [2 * (out[s] - Y[s]) / m for s in range(m)]
        d1 = [[W2[i] * d2[s] * (1 if Z1[i][s] > 0 else 0) for s in range(m)] for i in range(3)]
        gW2 = [sum(d2[s] * A1[i][s] for s in range(m)) for i in range(3)]
        gW1 = [[sum(d1[i][s] * X[k][s] for s in range(m)) for k in range(2)] for i in range(3)]
        gb1 = [sum(d1[i]) for i in range(3)]
        W2 = [W2[i] - eta * gW2[i] for i in range(3)]
        W1 = [[W1[i][k] - eta * gW1[i][k] for k in range(2)] for i in range(3)]
        b1 = [b1[i] - eta * gb1[i] for i in range(3)]
    return losses, W1


def test_several_steps_agree_exactly_with_plain_fractions():
    d = sheet(RELU_STEPS).derivations[0]
    losses, W1 = fraction_training(4)
    for t, expected in enumerate(losses, start=1):
        assert d.quantity(f"L_step{t}").exact == sp.Rational(expected.numerator, expected.denominator)
    assert d.quantity("W1_step4").exact == sp.Matrix([[sp.Rational(v.numerator, v.denominator) for v in row]
                                                       for row in W1])
    assert losses == sorted(losses, reverse=True)  # the loss falls at every step


def test_later_steps_through_a_custom_activation_are_certified():
    # softsign's derivative involves sign(x), which the ball evaluator decides (or refuses at a kink).
    text = CUSTOM.replace('loss = "bce"', 'loss = "bce"\nlearning_rate = 0.1\nsteps = 3')
    d = sheet(text).derivations[0]  # solved and cross-checked against numpy
    losses = [float(d.quantity(f"L_step{t}").exact) for t in (1, 2, 3)]
    assert losses[0] > losses[1] > losses[2]


def test_biases_can_stay_fixed_and_layers_can_lack_them():
    text = RELU_STEPS.replace("steps = 4", "steps = 1\nupdate_biases = false")
    d = sheet(text).derivations[0]
    names = {q.name for q in d.quantities}
    assert "dL_db1" in names and "b1_new" not in names and "dL_db2" not in names


def wide_network(width=16):
    rng = np.random.default_rng(5)
    rows = lambda r, c: [[round(float(v), 1) for v in rng.integers(-5, 6, c) / 10] for _ in range(r)]
    return (f'[[exercise]]\nkind = "network"\nx = {[round(float(v), 1) for v in (rng.integers(-9, 10, width) / 10)]}\n'
            'y = 1\nloss = "bce"\nlearning_rate = 0.1\n'
            f'[[exercise.layers]]\nW = {rows(width, width)}\nb = {[0.1] * width}\nactivation = "relu"\n'
            f'[[exercise.layers]]\nW = {rows(width, width)}\nactivation = "relu"\n'
            f'[[exercise.layers]]\nW = {rows(1, width)}\nactivation = "sigmoid"\n')


def test_large_layers_show_one_worked_entry_and_keep_every_value_in_the_key(tmp_path):
    text = wide_network()
    path = tmp_path / "wide.toml"
    path.write_text(text)
    assert main(["sheet", str(path), "--out", str(tmp_path), "--format", "md,json", "--quiet"]) == 0
    md = (tmp_path / "wide.md").read_text()
    assert r"\left(Z_{1}\right)_{1,1} = " in md and r"\sum_{k=1}^{16}" in md
    assert r"the answer key under $\texttt{dL\_dW2}$" in md
    assert md.count(r"\begin{bmatrix}") < 80  # no 16×16 matrix is written out in a substitution
    key = json.loads((tmp_path / "wide.json").read_text())
    values = key["exercises"][0]["quantities"]
    assert np.array(values["dL_dW2"]["value"]).shape == (16, 16)
    assert np.array(values["W2_new"]["value"]).shape == (16, 16)


def test_the_expansion_limit_is_configurable():
    text = CUSTOM.replace('loss = "bce"', 'loss = "bce"\nexpand = [1, 1]')
    md = to_markdown(sheet(text))
    assert r"\left(Z_{1}\right)_{1,1}" in md
    assert r"\left(Z_{1}\right)_{1,1}" not in to_markdown(sheet(CUSTOM))


def test_the_hidden_delta_brackets_the_matrix_product():
    md = to_markdown(sheet(CUSTOM))
    assert r"\left(W_{2}^{T} \delta_{2}\right) \odot" in md


@pytest.mark.parametrize("change, error, message", [
    (('activation = "tanh"', 'activation = "tanhh"'), SpecError,
     "unknown activation 'tanhh'; valid activations: identity, relu"),
    (('activation = "tanh"', 'activation = "softmax"'), SpecError, "softmax is only allowed on the output layer"),
    (('loss = "cross_entropy"', 'loss = "hinge"'), SpecError, "valid losses: bce, half_sse, sse, mse, cross_entropy"),
    (('W = [[0.3, -0.2, 0.1], [-0.1, 0.4, 0.2], [0.2, 0.1, -0.3]]', 'W = [[0.3, -0.2], [-0.1, 0.4], [0.2, 0.1]]'),
     ShapeError, "W2 is 3×2 but layer 1 outputs 3 values (W1 is 3×2); W2 needs 3 columns"),
    (('y = [[2, 0, 1]]', 'y = [[2, 0, 3]]'), SpecError, "class index 3 in y is not a whole number from 0 to 2"),
    (('activation = "tanh"', 'activation = { formula = "x / (1 + abs(x)" }'), ParseError,
     "expected ')' but found nothing at the end of the formula"),
    (('activation = "tanh"', 'activation = { formula = "x + @" }'), ParseError, "at character 5"),
    (('learning_rate = 0.5', 'steps = 2'), SpecError, "steps = 2 needs a learning_rate"),
])
def test_bad_networks_get_one_line_errors(change, error, message):
    with pytest.raises(error) as err:
        load_sheet(SOFTMAX_BATCH.replace(*change))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_cross_entropy_needs_a_softmax_output():
    with pytest.raises(SpecError, match="cross_entropy needs a softmax output layer"):
        load_sheet(CUSTOM.replace('loss = "bce"', 'loss = "cross_entropy"'))


def test_a_bad_sheet_exits_2_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(SOFTMAX_BATCH.replace('activation = "tanh"', 'activation = { formula = "x ^^ 2" }'))
    out = tmp_path / "out"
    assert main(["sheet", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "character" in err
    assert not out.exists()


def test_custom_names_print_as_operators():
    assert latex(sp.Symbol("x")) == "x"
    md = to_markdown(sheet(CUSTOM))
    assert r"\operatorname{softsign}\left(x\right) = \frac{x}{" in md


FORWARD = """
[[exercise]]
kind = "forward"
W = [[0.2, 0.8], [0.4, 0.3], [-0.5, 0.1]]
X = [[1, 0.5], [0.5, -1]]
b = [0.1, 0.1, 0]
activation = "softmax"

[[exercise]]
kind = "forward"
W = [[0.2, 0.8], [0.4, 0.3]]
X = [1, 0.5]
activation = { formula = "x * sigmoid(x)", name = "swish" }
"""


def test_a_single_layer_takes_softmax_and_custom_activations():
    solved = sheet(FORWARD)
    W = np.array([[0.2, 0.8], [0.4, 0.3], [-0.5, 0.1]])
    Z = W @ np.array([[1, 0.5], [0.5, -1]]) + np.array([[0.1], [0.1], [0]])
    assert as_float(solved["ex1"].quantity("A").exact) == pytest.approx(REFERENCE["softmax"](Z), rel=1e-13)
    z = np.array([[0.2, 0.8], [0.4, 0.3]]) @ np.array([[1], [0.5]])
    assert as_float(solved["ex2"].quantity("A").exact) == pytest.approx(z / (1 + np.exp(-z)), rel=1e-13)


def test_check_gives_verdicts_on_a_softmax_batch(tmp_path, capsys):
    """`symnn check` recomputes softmax/cross-entropy through the network engine (no refusal)."""
    f = load_sheet(SOFTMAX_BATCH).exercises[0].data.as_fields()
    x, y = np.array(f["x"], dtype=float), np.array(f["y"], dtype=float)
    value = loss(params_of(SOFTMAX_BATCH), x, y, ["tanh", "softmax"], "cross_entropy", "mean")
    spec, answers = tmp_path / "sm.toml", tmp_path / "answers.toml"
    spec.write_text(SOFTMAX_BATCH)
    answers.write_text(f"[ex1]\nL = {value:.4f}\n")
    assert main(["check", str(spec), str(answers)]) == 0
    assert "rounding" in capsys.readouterr().out
    answers.write_text(f"[ex1]\nL = {value + 0.01:.4f}\n")
    assert main(["check", str(spec), str(answers)]) == 1
    assert "wrong" in capsys.readouterr().out
