"""The numpy evaluator against references written separately in this file.

Expected values come from plain-Python references: exact Fraction arithmetic for
everything linear (matrix products, min/max, means, variances, penalties), and
``math`` for the transcendental steps, using textbook formulas that differ from the
evaluator's stable ones (cosh instead of sech, log(1 - a) instead of softplus).
Gradients are also checked against central finite differences of the evaluator's
own loss, and the saturated sigmoid/cross-entropy case against mpmath.
"""

from __future__ import annotations

import ast
import itertools
import math
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import mpmath
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from symnn.errors import SpecError, SymnnError
from symnn.sheets.fields import given_items
from symnn.sheets.kinds import kind_of
from symnn.sheets.loading import load_sheet
from symnn.sheets.reference.activations import evaluate_activations
from symnn.sheets.reference.numeric import activation_slope, evaluate_forward, evaluate_network
from symnn.sheets.spec import ExerciseSpec, Layer

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "symnn" / "sheets" / "reference"


def given_of(exercise: ExerciseSpec[Any]) -> dict[str, Any]:
    """An exercise's given data by name, as this file's references read it (derived fields included)."""
    data = exercise.data
    return data.as_fields() if hasattr(data, "as_fields") else dict(given_items(data))


def matrix_of(values: Mapping[str, Any], name: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    value = values[name]
    assert isinstance(value, np.ndarray) and value.ndim == 2, name
    return value


def scalar_of(values: Mapping[str, Any], name: str) -> float:
    value = values[name]
    assert type(value) is float, name
    return value

Number = Fraction | float
Rows = list[list[Number]]


# ---------------------------------------------------------------------------
# Plain-Python references.


def matmul(A: Sequence[Sequence[Number]], B: Sequence[Sequence[Number]]) -> Rows:
    return [
        [sum((A[i][k] * B[k][j] for k in range(len(B))), Fraction(0)) for j in range(len(B[0]))]
        for i in range(len(A))
    ]


def transpose(A: Sequence[Sequence[Number]]) -> Rows:
    return [list(col) for col in zip(*A)]


def elementwise(f: Callable[..., Number], *matrices: Sequence[Sequence[Number]]) -> Rows:
    return [[f(*entries) for entries in zip(*rows)] for rows in zip(*matrices)]


def sigmoid_textbook(z: Number) -> float:
    return 1 / (1 + math.exp(-z))


ScalarRule = Callable[[Any, Any], Number]

REFERENCE_ACTIVATIONS: dict[str, tuple[ScalarRule, ScalarRule]] = {
    "identity": (lambda z, a: z, lambda z, a: Fraction(1)),
    "relu": (lambda z, a: z if z > 0 else Fraction(0), lambda z, a: Fraction(1 if z > 0 else 0)),
    "leaky_relu": (lambda z, a: z if z > 0 else a * z, lambda z, a: Fraction(1) if z > 0 else a),
    "sigmoid": (
        lambda z, a: sigmoid_textbook(z),
        lambda z, a: math.exp(-z) / (1 + math.exp(-z)) ** 2,
    ),
    "tanh": (lambda z, a: math.tanh(z), lambda z, a: 1 / math.cosh(z) ** 2),
    "softplus": (lambda z, a: math.log(1 + math.exp(z)), lambda z, a: sigmoid_textbook(z)),
    "elu": (
        lambda z, a: z if z > 0 else a * (math.exp(z) - 1),
        lambda z, a: Fraction(1) if z > 0 else a * math.exp(z),
    ),
}
"""name -> (f(z, alpha), f'(z, alpha)), textbook forms."""


def reference_loss(name: str, ys: Rows, preds: Rows) -> tuple[Number, Rows]:
    """The loss and ∂L/∂a for every entry."""
    count = sum(len(row) for row in ys)
    terms: dict[str, tuple[ScalarRule, ScalarRule]] = {
        "bce": (
            lambda y, a: -(y * math.log(a) + (1 - y) * math.log(1 - a)),
            lambda y, a: (a - y) / (a * (1 - a)),
        ),
        "half_sse": (lambda y, a: (y - a) ** 2 / 2, lambda y, a: a - y),
        "sse": (lambda y, a: (y - a) ** 2, lambda y, a: 2 * (a - y)),
        "mse": (lambda y, a: (y - a) ** 2 / count, lambda y, a: 2 * (a - y) / count),
    }
    term, slope = terms[name]
    total = sum(term(y, a) for row_y, row_a in zip(ys, preds) for y, a in zip(row_y, row_a))
    return total, elementwise(slope, ys, preds)


def reference_network(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Forward pass, loss, backpropagation and one step, entry by entry."""
    out: dict[str, Any] = {}
    inputs: list[Rows] = [[list(row) for row in fields["x"]]]
    zs: list[Rows] = []
    layers = fields["layers"]
    for number, layer in enumerate(layers, start=1):
        z = matmul(layer.W, inputs[-1])
        if layer.b is not None:
            z = [[v + layer.b[i][0] for v in row] for i, row in enumerate(z)]
        f = REFERENCE_ACTIVATIONS[layer.activation][0]
        zs.append(z)
        inputs.append([[f(v, layer.alpha) for v in row] for row in z])
        out[f"Z{number}"], out[f"A{number}"] = z, inputs[-1]
    out["L"], dL_da = reference_loss(fields["loss"], [list(r) for r in fields["y"]], inputs[-1])
    upstream = dL_da
    for number in range(len(layers), 0, -1):
        layer = layers[number - 1]
        slope = REFERENCE_ACTIVATIONS[layer.activation][1]
        delta = [[u * slope(v, layer.alpha) for u, v in zip(row_u, row_z)]
                 for row_u, row_z in zip(upstream, zs[number - 1])]
        out[f"delta{number}"] = delta
        out[f"dL_dW{number}"] = matmul(delta, transpose(inputs[number - 1]))
        if layer.b is not None:
            out[f"dL_db{number}"] = [[sum(row, Fraction(0))] for row in delta]
        upstream = matmul(transpose(layer.W), delta)
    rate = fields["learning_rate"]
    if rate is not None:
        for number, layer in enumerate(layers, start=1):
            out[f"W{number}_new"] = elementwise(
                lambda w, g: w - rate * g, layer.W, out[f"dL_dW{number}"]
            )
            if layer.b is not None:
                out[f"b{number}_new"] = elementwise(
                    lambda w, g: w - rate * g, layer.b, out[f"dL_db{number}"]
                )
    if rate is not None and fields.get("steps") == 1:
        moved = [SimpleNamespace(W=out[f"W{n}_new"], b=out.get(f"b{n}_new"), activation=layer.activation,
                                 alpha=layer.alpha) for n, layer in enumerate(layers, start=1)]
        after = reference_network({**fields, "layers": moved, "learning_rate": None, "steps": None})
        out["L_step1"] = after["L"]
    return out


def reference_forward(fields: Mapping[str, Any]) -> dict[str, Any]:
    z = matmul(fields["W"], fields["X"])
    b = fields["b"]
    if b is not None:
        # b is a column (broadcast across samples) or one bias per entry of W X.
        z = [[v + b[i][j if len(b[i]) > 1 else 0] for j, v in enumerate(row)]
             for i, row in enumerate(z)]
    f = REFERENCE_ACTIVATIONS[fields["activation"]][0]
    return {"Z": z, "A": elementwise(lambda v: f(v, fields["alpha"]), z)}


def reference_preprocessing(fields: Mapping[str, Any]) -> dict[str, Any]:
    X, ddof = fields["X"], fields["ddof"]
    columns = transpose(X)
    low = [min(c) for c in columns]
    high = [max(c) for c in columns]
    mean = [sum(c, Fraction(0)) / len(c) for c in columns]
    variance = [sum((v - m) ** 2 for v in c) / (len(c) - ddof) for c, m in zip(columns, mean)]
    std = [math.sqrt(v) for v in variance]
    return {
        "X_min": [low],
        "X_max": [high],
        "X_minmax": [[(v - lo) / (hi - lo) for v, lo, hi in zip(row, low, high)] for row in X],
        "mean": [mean],
        "std": [std],
        "X_std": [[float(v - m) / s for v, m, s in zip(row, mean, std)] for row in X],
    }


def reference_activations(fields: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fields["functions"]:
        f, slope = REFERENCE_ACTIVATIONS[name]
        out[name] = [[f(v, fields["alpha"]) for v in fields["x"]]]
        out[f"{name}_prime"] = [[slope(v, fields["alpha"]) for v in fields["x"]]]
    return out


def reference_gradient_check(fields: Mapping[str, Any]) -> dict[str, Any]:
    W, x, b, y, eps = (fields[k] for k in ("W", "x", "b", "y", "epsilon"))

    def loss(w: Fraction) -> Fraction:
        return Fraction((y - (w * x + b)) ** 2 / 2)

    gradient = -(y - (W * x + b)) * x
    numeric = (loss(W + eps) - loss(W - eps)) / (2 * eps)
    both = abs(gradient) + abs(numeric)
    return {
        "y_hat": W * x + b,
        "L": loss(W),
        "dL_dW": gradient,
        "L_plus": loss(W + eps),
        "L_minus": loss(W - eps),
        "dL_dW_numeric": numeric,
        "rel_error": Fraction(0) if both == 0 else abs(gradient - numeric) / both,
    }


def reference_regularization(fields: Mapping[str, Any]) -> dict[str, Any]:
    W, lam, rate = fields["W"], fields["lambda"], fields["learning_rate"]
    half = fields["penalty"] == "l2_half"
    squares = sum((w * w for row in W for w in row), Fraction(0))
    slope = elementwise(lambda w: (1 if half else 2) * lam * w, W)
    return {
        "penalty": lam * squares / (2 if half else 1),
        "dpenalty_dW": slope,
        "W_new": elementwise(lambda w, g, s: w - rate * (g + s), W, fields["grad"], slope),
    }


def reference_error_analysis(fields: Mapping[str, Any]) -> dict[str, Any]:
    y, y_hat, layers = fields["y"], fields["y_hat"], fields["layers"]
    loss, slope = reference_loss(fields["loss"], [[y]], [[y_hat]])
    out: dict[str, Any] = {"L": loss, "dL_dyhat": slope[0][0]}
    if layers and layers[-1].activation == "sigmoid":
        out["dL_dz"] = slope[0][0] * y_hat * (1 - y_hat)
    if layers and layers[-1].activation == "tanh":
        out["dL_dz"] = slope[0][0] * (1 - y_hat**2)
    for number, layer in enumerate(layers, start=1):
        entries = [w for row in layer.W for w in row]
        mean = sum(entries, Fraction(0)) / len(entries)
        fan_out, fan_in = len(layer.W), len(layer.W[0])
        out |= {
            f"fan_in{number}": fan_in,
            f"fan_out{number}": fan_out,
            f"glorot_limit{number}": math.sqrt(Fraction(6, fan_in + fan_out)),
            f"he_std{number}": math.sqrt(Fraction(2, fan_in)),
            f"max_abs_W{number}": max(abs(w) for w in entries),
            f"std_W{number}": math.sqrt(sum((w - mean) ** 2 for w in entries) / len(entries)),
        }
    return out


REFERENCES: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "forward": reference_forward,
    "network": reference_network,
    "preprocessing": reference_preprocessing,
    "activations": reference_activations,
    "gradient_check": reference_gradient_check,
    "regularization": reference_regularization,
    "error_analysis": reference_error_analysis,
}


def assert_matches(
    values: Mapping[str, Any], expected: Mapping[str, Any], rtol: float = 1e-12, atol: float = 1e-14
) -> None:
    """Same names; floats for scalars, 2-D float64 arrays for matrices; close values."""
    assert sorted(values) == sorted(expected)
    for name, want in expected.items():
        got = values[name]
        if isinstance(want, list):
            assert isinstance(got, np.ndarray), name
            assert got.dtype == np.float64 and got.shape == (len(want), len(want[0])), name
            wanted = np.array([[float(v) for v in row] for row in want])
            np.testing.assert_allclose(got, wanted, rtol=rtol, atol=atol, err_msg=name)
        else:
            assert type(got) is float, name
            assert math.isclose(got, float(want), rel_tol=rtol, abs_tol=atol), (name, got, want)


# ---------------------------------------------------------------------------
# Independence from the exact engine.


def test_importing_the_evaluator_never_loads_sympy() -> None:
    modules = ", ".join(f"symnn.sheets.reference.{path.stem}" for path in sorted(REFERENCE.glob("[!_]*.py")))
    code = f"import {modules}, sys; assert 'sympy' not in sys.modules, 'sympy was imported'"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr


def test_evaluating_a_network_never_loads_sympy() -> None:
    # The fields are written as literal Fractions in the child, so symnn.sheets.spec (which
    # imports SymPy through calculus) stays out of the process.
    code = (
        "from fractions import Fraction as F; from types import SimpleNamespace as L; import sys\n"
        "from symnn.sheets.reference.numeric import evaluate_network\n"
        "from symnn.sheets.reference.error_analysis import evaluate_error_analysis\n"
        "layers = (L(W=((F(1), F(2)),), b=((F(0),),), activation='sigmoid', alpha=None),)\n"
        "evaluate_network({'x': ((F(1),), (F(2),)), 'y': ((F(1),),), 'layers': layers,\n"
        "                  'loss': 'bce', 'learning_rate': F(1, 10)})\n"
        "evaluate_error_analysis(F(1), F(1, 2), 'mse', layers)\n"
        "assert 'sympy' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", sorted(REFERENCE.glob("*.py")), ids=lambda path: path.stem)
def test_the_evaluator_imports_only_numpy_the_standard_library_and_errors(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    allowed_roots = {"__future__", "collections", "dataclasses", "fractions", "math", "typing",
                     "numpy"}
    # symnn.core.formula is the safe parser, symnn.core.nodes its plain-dataclass tree (the one
    # the LaTeX reader builds too); neither imports SymPy.
    trees = ("symnn.core.formula", "symnn.core.nodes")
    outside = {m for m in imported if m.split(".")[0] not in allowed_roots
               and m not in ("symnn.errors", *trees)
               and not m.startswith("symnn.sheets.reference.")}
    assert not outside
    for module in trees:
        source = ast.parse((REPO / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
        names = {alias.name for node in ast.walk(source) if isinstance(node, ast.Import) for alias in node.names}
        names |= {node.module or "" for node in ast.walk(source) if isinstance(node, ast.ImportFrom)}
        assert not {m for m in names if m.split(".")[0] not in allowed_roots | {"re", "symnn"}}
        assert {m for m in names if m.startswith("symnn")} <= {"symnn.errors", *trees}
    assert "lambdify" not in path.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# Every kind against its reference: the seed sheet and hand-written sheets.

SEED = load_sheet()


@pytest.mark.parametrize("exercise", SEED.exercises, ids=[e.kind for e in SEED.exercises])
def test_seed_exercise_matches_the_fraction_reference(exercise: Any) -> None:
    expected = REFERENCES[exercise.kind](given_of(exercise))
    assert_matches(kind_of(exercise).reference(exercise.data), expected)


def test_seed_sheet_covers_every_kind() -> None:
    assert {e.kind for e in SEED.exercises} == set(REFERENCES)


SHEETS = [
    pytest.param(
        """kind = "network"
        x = [[0.5, -1.0], [1.5, 0.25]]
        y = [[1, 0]]
        loss = "mse"
        learning_rate = 0.5
        [[exercise.layers]]
        W = [[0.3, -0.2], [0.7, 0.4], [-0.5, 0.1]]
        b = [0.1, -0.2, 0.05]
        activation = "tanh"
        [[exercise.layers]]
        W = [[0.6, -0.4, 0.9]]
        b = [0.05]
        activation = "sigmoid"
        """,
        id="two-layer-tanh-sigmoid-mse-two-samples-step",
    ),
    pytest.param(
        """kind = "network"
        x = [1, 2]
        y = 0
        loss = "bce"
        learning_rate = 0.1
        [[exercise.layers]]
        W = [[0.5, 0.25], [-0.3, 0.8]]
        b = [0.1, 0.2]
        activation = "relu"
        [[exercise.layers]]
        W = [[1.2, -0.7]]
        b = [0.3]
        activation = "sigmoid"
        """,
        id="relu-sigmoid-bce-step",
    ),
    pytest.param(
        """kind = "network"
        x = [[1, -1, 2]]
        y = [[1, 0, -1], [0.5, 0.5, 0.5]]
        loss = "sse"
        [[exercise.layers]]
        W = [[0.5], [-1.5]]
        b = [0.25, 0.5]
        activation = "leaky_relu"
        alpha = 0.1
        [[exercise.layers]]
        W = [[1, -0.5], [0.3, 0.2]]
        activation = "elu"
        alpha = 0.5
        [[exercise.layers]]
        W = [[0.4, -0.6], [1, 1]]
        b = [0, 0.1]
        activation = "identity"
        """,
        id="leaky-elu-identity-sse-three-samples",
    ),
    pytest.param(
        """kind = "network"
        x = [0.2, -0.4, 0.6]
        y = 0.5
        loss = "half_sse"
        learning_rate = 1
        [[exercise.layers]]
        W = [[0.1, 0.2, 0.3]]
        activation = "softplus"
        """,
        id="softplus-half-sse-no-bias",
    ),
    pytest.param(
        """kind = "network"
        x = [[1, 0], [0, 1]]
        y = [[1, 0], [0.25, 1]]
        loss = "bce"
        [[exercise.layers]]
        W = [[2, -1], [0.5, 0.5]]
        b = [-0.5, 0.1]
        activation = "sigmoid"
        """,
        id="sigmoid-bce-two-outputs-soft-targets",
    ),
    pytest.param(
        """kind = "forward"
        W = [[1, 2], [3, -4]]
        X = [[0.5, 1, -1], [0.25, -2, 1]]
        b = [[0.1, 0.2, 0.3], [0, -0.1, 0.5]]
        activation = "elu"
        alpha = 0.5
        """,
        id="forward-elu-bias-per-column",
    ),
    pytest.param(
        """kind = "forward"
        W = [[1, -2, 0.5]]
        X = [[1, 2], [3, -4], [0.5, 0]]
        activation = "leaky_relu"
        """,
        id="forward-leaky-default-alpha-no-bias",
    ),
    pytest.param(
        """kind = "forward"
        W = 2
        X = [[0.3, -0.3]]
        b = 0.1
        activation = "softplus"
        """,
        id="forward-softplus-1x1-weight",
    ),
    pytest.param(
        """kind = "preprocessing"
        X = [[1, 2], [3, 7], [4, -1], [0.5, 2.5]]
        ddof = 1
        """,
        id="preprocessing-sample-std",
    ),
    pytest.param(
        """kind = "activations"
        x = [-3, -0.5, 0, 0.25, 4]
        functions = ["tanh", "leaky_relu"]
        alpha = 0.2
        """,
        id="activations-subset-alpha",
    ),
    pytest.param(
        """kind = "gradient_check"
        W = -1.25
        x = 0.75
        b = 0.3
        y = -2
        epsilon = 0.001
        """,
        id="gradient-check-negative",
    ),
    pytest.param(
        """kind = "gradient_check"
        W = 0.5
        x = 2
        b = 0
        y = 1
        """,
        id="gradient-check-zero-gradient",
    ),
    pytest.param(
        """kind = "regularization"
        W = [[0.5, -1], [2, 0.25]]
        lambda = 0.1
        grad = [[0.1, 0.2], [-0.3, 0]]
        learning_rate = 0.05
        penalty = "l2_half"
        """,
        id="regularization-l2-half-matrix",
    ),
    pytest.param(
        """kind = "error_analysis"
        y = -0.5
        y_hat = 0.3
        loss = "mse"
        [[exercise.layers]]
        W = [[0.5, 0.2, -0.1], [-0.3, 0.8, 0.6]]
        activation = "relu"
        [[exercise.layers]]
        W = [[0.7, -0.6]]
        activation = "tanh"
        """,
        id="error-analysis-tanh-mse",
    ),
    pytest.param(
        """kind = "error_analysis"
        y = 0.25
        y_hat = 0.6
        loss = "bce"
        [[exercise.layers]]
        W = [[0.5, -0.5]]
        b = [0.125]
        activation = "sigmoid"
        """,
        id="error-analysis-bce-soft-target",
    ),
    pytest.param(
        """kind = "network"
        x = [[0.5, 1], [0.25, -0.5]]
        y = [[0.75, 0]]
        loss = "bce"
        [[exercise.layers]]
        W = [[0.4, 0.6]]
        b = [0.1]
        activation = "identity"
        """,
        id="identity-output-bce-generic-form",
    ),
    pytest.param(
        """kind = "error_analysis"
        y = 2
        y_hat = 1.5
        loss = "half_sse"
        """,
        id="error-analysis-no-layers",
    ),
    pytest.param(
        """kind = "error_analysis"
        y = 0
        y_hat = 0.9
        loss = "sse"
        [[exercise.layers]]
        W = [[1, 2, 3, 4]]
        activation = "identity"
        """,
        id="error-analysis-identity-output-no-dz",
    ),
]


@pytest.mark.parametrize("body", SHEETS)
def test_exercise_matches_the_reference(body: str) -> None:
    text = 'title = "t"\n[[exercise]]\n' + "\n".join(line.strip() for line in body.splitlines())
    exercise = load_sheet(text).exercises[0]
    expected = REFERENCES[exercise.kind](given_of(exercise))
    assert_matches(kind_of(exercise).reference(exercise.data), expected, rtol=1e-11, atol=1e-13)


def test_layers_are_duck_typed() -> None:
    F = Fraction
    layer = SimpleNamespace(W=((F(2), F(-1)),), b=((F(1, 2),),), activation="identity", alpha=None)
    values = evaluate_network({"x": ((F(1),), (F(3),)), "y": ((F(0),),), "layers": (layer,),
                                  "loss": "half_sse", "learning_rate": None})
    # z = 2 - 3 + 1/2 = -1/2; L = 1/8; delta = -1/2; dW = delta x^T; db = delta.
    assert values["L"] == 0.125
    np.testing.assert_array_equal(values["dL_dW1"], [[-0.5, -1.5]])
    np.testing.assert_array_equal(values["dL_db1"], [[-0.5]])


# ---------------------------------------------------------------------------
# Gradients against central finite differences of the evaluator's own loss.

STEP = Fraction(1, 10**6)
KINKED = ("relu", "leaky_relu", "elu")

small = st.integers(-200, 200).map(lambda k: Fraction(k, 100))


def matrices(rows: int, cols: int) -> st.SearchStrategy[tuple[tuple[Fraction, ...], ...]]:
    return st.tuples(*[st.tuples(*[small] * cols)] * rows)


@st.composite
def networks(draw: st.DrawFn) -> dict[str, Any]:
    loss = draw(st.sampled_from(["bce", "half_sse", "sse", "mse"]))
    sizes = draw(st.lists(st.integers(1, 3), min_size=2, max_size=4))
    samples = draw(st.integers(1, 2))
    names = st.sampled_from(
        ["identity", "relu", "leaky_relu", "sigmoid", "tanh", "softplus", "elu"]
    )
    layers = []
    for number, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes), start=1):
        activation = draw(names)
        if loss == "bce" and number == len(sizes) - 1:
            activation = "sigmoid"  # cross-entropy needs outputs in (0, 1)
        alpha = draw(st.integers(1, 50).map(lambda k: Fraction(k, 100))) if activation in (
            "leaky_relu", "elu") else None
        bias = draw(st.none() | matrices(fan_out, 1))
        layers.append(Layer(draw(matrices(fan_out, fan_in)), bias, activation, alpha))
    quarters = st.integers(0, 4).map(lambda k: Fraction(k, 4))
    y_entry = quarters if loss == "bce" else small
    y = draw(st.tuples(*[st.tuples(*[y_entry] * samples)] * sizes[-1]))
    return {"x": draw(matrices(sizes[0], samples)), "y": y, "layers": tuple(layers),
            "loss": loss, "learning_rate": None}


def nudged(matrix: tuple[tuple[Fraction, ...], ...], i: int, j: int, by: Fraction) -> Any:
    return tuple(tuple(v + by if (r, c) == (i, j) else v for c, v in enumerate(row))
                 for r, row in enumerate(matrix))


def loss_with(
    fields: dict[str, Any], number: int, part: str, i: int, j: int, by: Fraction
) -> float:
    """The evaluator's loss with one entry of W_number or b_number moved by ``by``."""
    layers = list(fields["layers"])
    old = layers[number - 1]
    if part == "W":
        layers[number - 1] = Layer(nudged(old.W, i, j, by), old.b, old.activation, old.alpha)
    else:
        layers[number - 1] = Layer(old.W, nudged(old.b, i, j, by), old.activation, old.alpha)
    value = evaluate_network({**fields, "layers": tuple(layers)})["L"]
    assert isinstance(value, float)
    return value


@given(networks())
def test_backpropagation_matches_central_differences(fields: dict[str, Any]) -> None:
    values = evaluate_network(fields)
    for number, layer in enumerate(fields["layers"], start=1):
        if layer.activation in KINKED:
            # A pre-activation this close to the kink would let the step cross it.
            assume(float(np.min(np.abs(values[f"Z{number}"]))) > 1e-3)
    loss = values["L"]
    assert isinstance(loss, float) and math.isfinite(loss)
    for number, layer in enumerate(fields["layers"], start=1):
        parts = [("W", f"dL_dW{number}", layer.W)]
        if layer.b is not None:
            parts.append(("b", f"dL_db{number}", layer.b))
        for part, name, matrix in parts:
            gradient = values[name]
            assert isinstance(gradient, np.ndarray)
            assert gradient.shape == (len(matrix), len(matrix[0]))
            for i in range(len(matrix)):
                for j in range(len(matrix[0])):
                    up = loss_with(fields, number, part, i, j, STEP)
                    down = loss_with(fields, number, part, i, j, -STEP)
                    numeric = (up - down) / (2 * float(STEP))
                    # Rounding in L costs about 1e-16 |L| / 1e-6 in the difference quotient.
                    tolerance = 1e-6 * (1 + abs(loss) + abs(gradient[i, j]))
                    assert abs(numeric - gradient[i, j]) <= tolerance, (name, i, j, numeric)


# ---------------------------------------------------------------------------
# Saturation and extreme arguments, against mpmath at 60 digits.

mpmath.mp.dps = 60


def relative_error(got: float, want: Any) -> float:
    return float(abs((mpmath.mpf(got) - want) / want))


@pytest.mark.parametrize(("z", "y"), [(40, 1), (-40, 0), (40, Fraction(1, 4)), (-700, 1), (30, 0)])
def test_saturated_sigmoid_cross_entropy_stays_accurate(z: int, y: Fraction) -> None:
    F = Fraction
    layer = Layer(W=((F(z),),), b=None, activation="sigmoid", alpha=None)
    values = evaluate_network({"x": ((F(1),),), "y": ((F(y),),), "layers": (layer,),
                                  "loss": "bce", "learning_rate": None})
    exact_y = mpmath.mpf(y.numerator) / y.denominator
    sigma = 1 / (1 + mpmath.exp(-z))
    loss = -(exact_y * mpmath.log(sigma) + (1 - exact_y) * mpmath.log(1 - sigma))
    delta = sigma - exact_y
    assert math.isfinite(scalar_of(values, "L"))
    assert relative_error(scalar_of(values, "L"), loss) < 1e-12
    assert relative_error(float(matrix_of(values, "delta1")[0, 0]), delta) < 1e-12
    assert relative_error(float(matrix_of(values, "dL_dW1")[0, 0]), delta) < 1e-12


def test_saturated_loss_is_about_e_to_the_minus_40() -> None:
    F = Fraction
    layer = Layer(W=((F(40),),), b=None, activation="sigmoid", alpha=None)
    values = evaluate_network({"x": ((F(1),),), "y": ((F(1),),), "layers": (layer,),
                                  "loss": "bce", "learning_rate": None})
    assert math.isclose(scalar_of(values, "L"), math.exp(-40), rel_tol=1e-15)
    assert math.isclose(matrix_of(values, "delta1")[0, 0], -math.exp(-40), rel_tol=1e-15)


MP_ACTIVATIONS: dict[str, tuple[Callable[[Any, Any], Any], Callable[[Any, Any], Any]]] = {
    "identity": (lambda z, a: z, lambda z, a: mpmath.mpf(1)),
    "relu": (lambda z, a: max(z, 0), lambda z, a: mpmath.mpf(1 if z > 0 else 0)),
    "leaky_relu": (lambda z, a: z if z > 0 else a * z, lambda z, a: 1 if z > 0 else a),
    "sigmoid": (lambda z, a: 1 / (1 + mpmath.exp(-z)),
                lambda z, a: mpmath.exp(-z) / (1 + mpmath.exp(-z)) ** 2),
    "tanh": (lambda z, a: mpmath.tanh(z), lambda z, a: mpmath.sech(z) ** 2),
    "softplus": (lambda z, a: mpmath.log(1 + mpmath.exp(z)), lambda z, a: 1 / (1 + mpmath.exp(-z))),
    "elu": (lambda z, a: z if z > 0 else a * (mpmath.exp(z) - 1),
            lambda z, a: 1 if z > 0 else a * mpmath.exp(z)),
}

EXTREMES = [Fraction(z) for z in (-1000, -745, -40, -20, -3, Fraction(-1, 3), Fraction(-1, 10**9),
                                  0, Fraction(1, 10**9), Fraction(1, 3), 3, 20, 40, 710, 1000)]


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name", list(MP_ACTIVATIONS))
def test_activation_and_slope_match_mpmath_without_overflow(name: str) -> None:
    alpha = Fraction(3, 10)
    fields = {"W": ((Fraction(1),),), "X": (tuple(EXTREMES),), "b": None,
              "activation": name, "alpha": alpha}
    values = evaluate_forward(fields)
    f, slope = MP_ACTIVATIONS[name]
    a = mpmath.mpf(3) / 10
    zs = [mpmath.mpf(z.numerator) / z.denominator for z in EXTREMES]
    want = np.array([[float(f(z, a)) for z in zs]])
    np.testing.assert_allclose(values["A"], want, rtol=4e-16, atol=1e-300)
    want_slope = np.array([[float(slope(z, a)) for z in zs]])
    got_slope = activation_slope(name, matrix_of(values, "Z"), float(alpha))
    np.testing.assert_allclose(got_slope, want_slope, rtol=4e-16, atol=1e-300)
    if name in ("relu", "leaky_relu", "sigmoid", "tanh"):
        rows = evaluate_activations(tuple(EXTREMES), (name,), alpha)
        np.testing.assert_allclose(rows[f"{name}_prime"], want_slope, rtol=4e-16, atol=1e-300)


@pytest.mark.parametrize(("name", "at_zero"), [("relu", 0.0), ("leaky_relu", 0.25), ("elu", 0.25)])
def test_kink_conventions_at_zero(name: str, at_zero: float) -> None:
    F = Fraction
    layer = Layer(W=((F(1),),), b=None, activation=name, alpha=F(1, 4))
    values = evaluate_network({"x": ((F(0),),), "y": ((F(1),),), "layers": (layer,),
                                  "loss": "half_sse", "learning_rate": None})
    # a = f(0) = 0, so dL/da = -1 and delta = -f'(0).
    assert matrix_of(values, "delta1")[0, 0] == -at_zero


# ---------------------------------------------------------------------------
# Shapes, types and errors.


def test_one_by_one_results_stay_two_dimensional() -> None:
    values = evaluate_forward({"W": ((Fraction(2),),), "X": ((Fraction(3),),),
                                  "b": ((Fraction(1),),), "activation": "tanh", "alpha": None})
    assert matrix_of(values, "Z").shape == (1, 1) and matrix_of(values, "Z")[0, 0] == 7.0


def test_unknown_kind_names_the_kind() -> None:
    with pytest.raises(SymnnError, match="'softmax_layer'"):
        kind_of("softmax_layer")


def test_missing_field_names_the_field() -> None:
    # Typed kinds cannot miss a field; the kinds still read by name name the one missing.
    with pytest.raises(SpecError, match="'loss'"):
        evaluate_network({"x": ((Fraction(1),),), "y": ((Fraction(0),),), "layers": ()})


def test_alpha_is_required_for_leaky_relu() -> None:
    with pytest.raises(SpecError, match="leaky_relu.*alpha"):
        evaluate_forward({"W": ((Fraction(1),),), "X": ((Fraction(1),),), "b": None,
                             "activation": "leaky_relu", "alpha": None})
