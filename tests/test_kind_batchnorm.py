"""Kind ``batchnorm``: the published [1, 2, 3, 4] example, the forward pass against loops written here
(60-digit decimals), every backward formula against finite differences, properties of ∂L/∂X,
``check``'s named mistakes (one planted claim each), variants, bad input and its own lint.

Expected values are computed here from the given numbers, never taken from symnn.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction as F
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symnn.core.decimals import numeric_value
from symnn.errors import ShapeError, SpecError
from symnn.sheets.crosscheck import crosscheck
from symnn.sheets.kinds import solve_exercise
from symnn.sheets.loading import load_sheet
from symnn.sheets.variants import generate_variants
from symnn.verify.check.judge import check_claims
from symnn.verify.check.key import build_key

SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "examples" / "batchnorm.md"
CTX = decimal.Context(prec=60)


@pytest.fixture(autouse=True)
def sixty_digits():
    with decimal.localcontext(CTX):
        yield


def text_of(value: Any) -> str:
    if isinstance(value, F):
        return str(Decimal(value.numerator) / Decimal(value.denominator))
    if isinstance(value, list):
        return "[" + ", ".join(text_of(v) for v in value) + "]"
    return f'"{value}"' if isinstance(value, str) else str(value)


def sheet(**fields: Any) -> str:
    return '[[exercise]]\nkind = "batchnorm"\n' + "".join(f"{k} = {text_of(v)}\n" for k, v in fields.items())


def solved(text: str) -> dict[str, sp.Basic]:
    spec = load_sheet(text).exercises[0]
    derivation = solve_exercise(spec)
    crosscheck(spec, derivation)
    return derivation.values()


def floats(value: sp.Basic) -> np.ndarray:
    return np.array([[float(numeric_value(v)) for v in value.row(i)] for i in range(value.rows)])


def decimals_of(value: sp.Basic) -> list[list[Decimal]]:
    return [[Decimal(str(numeric_value(v))) for v in value.row(i)] for i in range(value.rows)]


def d(value: F | int) -> Decimal:
    value = F(value)
    return Decimal(value.numerator) / Decimal(value.denominator)


# ---------------------------------------------------------------------------
# The published example: batch norm of [1, 2, 3, 4] with ε = 0 is [−1.34164, −0.44721, 0.44721, 1.34164].


def test_the_published_example_to_its_printed_digits():
    values = solved(sheet(X=[1, 2, 3, 4], epsilon=0))
    printed = [Decimal("-1.34164"), Decimal("-0.44721"), Decimal("0.44721"), Decimal("1.34164")]
    got = [row[0].quantize(Decimal("0.00001")) for row in decimals_of(values["Y"])]
    assert got == printed
    assert list(values["Y"]) == [-3 * sp.sqrt(5) / 5, -sp.sqrt(5) / 5, sp.sqrt(5) / 5, 3 * sp.sqrt(5) / 5]


# ---------------------------------------------------------------------------
# Forward against loops; backward against finite differences.

entry = st.decimals(min_value=-3, max_value=3, places=1, allow_nan=False, allow_infinity=False).map(F)


@st.composite
def batches(draw):
    n, m = draw(st.integers(2, 4)), draw(st.integers(1, 2))
    X = [[draw(entry) for _ in range(m)] for _ in range(n)]
    for j in range(m):  # a constant feature is refused with ε = 0 and degenerate otherwise
        if len({row[j] for row in X}) == 1:
            X[0][j] += 1
    gamma = [draw(st.sampled_from([F(1), F(2), F("0.5"), F(-1)])) for _ in range(m)]
    beta = [draw(entry) for _ in range(m)]
    eps = draw(st.sampled_from([F(0), F("0.01"), F("1e-5")]))
    grad = [[draw(entry) for _ in range(m)] for _ in range(n)]
    return X, gamma, beta, eps, grad


@settings(max_examples=20, deadline=None)
@given(batches())
def test_forward_matches_a_loop_written_from_the_definition(case):
    X, gamma, beta, eps, grad = case
    values = solved(sheet(X=X, gamma=gamma, beta=beta, epsilon=eps, grad=grad))
    n, m = len(X), len(X[0])
    for j in range(m):
        column = [d(row[j]) for row in X]
        mean = sum(column) / n
        variance = sum((x - mean) ** 2 for x in column) / n
        assert abs(Decimal(str(numeric_value(values["mean"][0, j]))) - mean) < Decimal("1e-40")
        assert abs(Decimal(str(numeric_value(values["var"][0, j]))) - variance) < Decimal("1e-40")
        for i in range(n):
            y = d(gamma[j]) * (column[i] - mean) / (variance + d(eps)).sqrt() + d(beta[j])
            assert abs(decimals_of(values["Y"])[i][j] - y) < Decimal("1e-35")


@settings(max_examples=15, deadline=None)
@given(batches())
def test_every_backward_formula_matches_central_differences(case):
    """∂L/∂X, ∂L/∂γ, ∂L/∂β for L = Σ G ⊙ Y, and ∂L/∂x̂, ∂L/∂σ², ∂L/∂μ by perturbing that stage, in floats."""
    X, gamma, beta, eps, grad = case
    values = solved(sheet(X=X, gamma=gamma, beta=beta, epsilon=eps, grad=grad))
    x, g, b, G = (np.array(v, dtype=float) for v in (X, [gamma], [beta], grad))
    e = float(eps)

    def stages(x: np.ndarray, g: np.ndarray = g, b: np.ndarray = b, dmu: float = 0.0, dvar: float = 0.0,
               dxhat: np.ndarray | None = None) -> float:
        mu = x.mean(axis=0) + dmu
        var = ((x - x.mean(axis=0)) ** 2).mean(axis=0) + dvar
        xhat = (x - mu) / np.sqrt(var + e)
        if dxhat is not None:
            xhat = xhat + dxhat
        return float(np.sum(G * (g * xhat + b)))

    h = 1e-6

    def central(f: Any, shape: tuple[int, ...]) -> np.ndarray:
        out = np.zeros(shape)
        for idx in np.ndindex(shape):
            up, down = np.zeros(shape), np.zeros(shape)
            up[idx], down[idx] = h, -h
            out[idx] = (f(up) - f(down)) / (2 * h)
        return out

    checks = {
        "dX": central(lambda p: stages(x + p), x.shape),
        "dgamma": central(lambda p: stages(x, g=g + p), g.shape),
        "dbeta": central(lambda p: stages(x, b=b + p), b.shape),
        "dxhat": central(lambda p: stages(x, dxhat=p), x.shape),
    }
    for j in range(x.shape[1]):
        def one(p: np.ndarray, j: int = j, what: str = "mu") -> float:
            shift = np.zeros(x.shape[1])
            shift[j] = p[0]
            return stages(x, **{("dmu" if what == "mu" else "dvar"): shift})  # type: ignore[arg-type]
        checks.setdefault("dmean", np.zeros((1, x.shape[1])))[0, j] = central(one, (1,))[0]
        checks.setdefault("dvar", np.zeros((1, x.shape[1])))[0, j] = central(
            lambda p, j=j: one(p, j, "var"), (1,))[0]
    for name, numeric in checks.items():
        assert np.allclose(floats(values[name]), numeric, rtol=1e-5, atol=1e-6), name


@settings(max_examples=10, deadline=None)
@given(batches())
def test_the_gradient_of_the_batch_sums_to_zero_in_every_feature(case):
    X, gamma, beta, eps, grad = case
    dX = solved(sheet(X=X, gamma=gamma, beta=beta, epsilon=eps, grad=grad))["dX"]
    for j in range(dX.cols):
        assert sp.radsimp(sp.Add(*dX.col(j))) == 0


def test_running_statistics_and_test_time_output_by_hand():
    values = solved(sheet(X=[[1], [3], [2]], epsilon=F("0.01"), running_mean=[F(1)], running_var=[F(2)],
                          momentum=F("0.2"), X_test=[[4]]))
    mean, unbiased = F(2), F(1)  # (1 + 3 + 2)/3; ((−1)² + 1² + 0²)/(3 − 1)
    new_mean, new_var = F("0.8") * 1 + F("0.2") * mean, F("0.8") * 2 + F("0.2") * unbiased
    assert values["running_mean_new"][0, 0] == sp.Rational(new_mean.numerator, new_mean.denominator)
    assert values["running_var_new"][0, 0] == sp.Rational(new_var.numerator, new_var.denominator)
    test = (d(4) - d(new_mean)) / (d(new_var) + d(F("0.01"))).sqrt()
    assert abs(decimals_of(values["Y_test"])[0][0] - test) < Decimal("1e-35")


# ---------------------------------------------------------------------------
# check: one planted claim per named mistake.

CASE = dict(X=[[1, 2], [3, -2], [2, 0], [F("0.5"), 1]], gamma=[2, F("0.5")], beta=[F("0.1"), F("-0.1")],
            epsilon=F("0.01"), grad=[[F("0.5"), F("0.2")], [-1, F("0.1")], [F("0.25"), F("-0.3")], [F("0.1"), F("0.4")]],
            running_mean=[0, F("0.5")], running_var=[1, 2], momentum=F("0.2"))


def forward(eps: Decimal, ddof: int = 0) -> dict[str, Any]:
    X = [[d(v) for v in row] for row in CASE["X"]]
    n, m = len(X), len(X[0])
    mean = [sum(row[j] for row in X) / n for j in range(m)]
    var = [sum((row[j] - mean[j]) ** 2 for row in X) / (n - ddof) for j in range(m)]
    xhat = [[(X[i][j] - mean[j]) / (var[j] + eps).sqrt() for j in range(m)] for i in range(n)]
    return {"X": X, "mean": mean, "var": var, "xhat": xhat}


def backward(paths: set[str]) -> list[list[Decimal]]:
    f = forward(d(CASE["epsilon"]))
    X, mean, var = f["X"], f["mean"], f["var"]
    n, m = len(X), len(X[0])
    G = [[d(v) for v in row] for row in CASE["grad"]]
    gamma, eps = [d(v) for v in CASE["gamma"]], d(CASE["epsilon"])
    dxhat = [[G[i][j] * gamma[j] for j in range(m)] for i in range(n)]
    std = [(var[j] + eps).sqrt() for j in range(m)]
    dvar = [sum(dxhat[i][j] * (X[i][j] - mean[j]) for i in range(n)) * Decimal("-0.5") / std[j] ** 3
            for j in range(m)]
    dmean = [-sum(dxhat[i][j] for i in range(n)) / std[j] for j in range(m)]
    return [[dxhat[i][j] / std[j] + (dvar[j] * 2 * (X[i][j] - mean[j]) / n if "var" in paths else 0)
             + (dmean[j] / n if "mean" in paths else 0) for j in range(m)] for i in range(n)]


def rounded(rows: Any) -> Any:
    if isinstance(rows, list):
        return [rounded(r) for r in rows]
    return rows.quantize(Decimal("0.000001"))


def diagnose(claims: dict[str, Any], name: str) -> str | None:
    results = check_claims(build_key(load_sheet(sheet(**CASE))), {"ex1": claims})
    [r] = [r for r in results if r.quantity == name]
    assert r.verdict == "wrong", (r.verdict, r.explanation)
    return r.diagnosis


@pytest.mark.parametrize("claims, name, words", [
    pytest.param(lambda: {"var": [rounded(forward(d(F("0.01")), ddof=1)["var"])]}, "var", "N − 1", id="n-minus-1"),
    pytest.param(lambda: {"xhat": rounded(forward(d(F("0.01")), ddof=1)["xhat"])}, "xhat", "N − 1",
                 id="n-minus-1-xhat"),
    pytest.param(lambda: {"xhat": rounded(forward(Decimal(0))["xhat"])}, "xhat", "ε was left out", id="epsilon"),
    pytest.param(lambda: {"dX": rounded(backward(set()))}, "dX", "paths through μ and σ² were left out",
                 id="no-mu-sigma-paths"),
    pytest.param(lambda: {"dX": rounded(backward({"mean"}))}, "dX", "path through σ² was left out", id="no-sigma"),
    pytest.param(lambda: {"dX": rounded(backward({"var"}))}, "dX", "path through μ was left out", id="no-mu"),
])
def test_each_named_mistake_is_diagnosed(claims, name, words):
    found = diagnose(claims(), name)
    assert found is not None and words in found


def test_running_statistics_mistakes_are_diagnosed():
    f = forward(d(F("0.01")))
    swapped = [rounded(Decimal("0.2") * d(r) + Decimal("0.8") * mu) for r, mu in zip(CASE["running_mean"], f["mean"])]
    found = diagnose({"running_mean_new": [swapped]}, "running_mean_new")
    assert found is not None and "other convention" in found
    biased = [rounded(Decimal("0.8") * d(r) + Decimal("0.2") * s) for r, s in zip(CASE["running_var"], f["var"])]
    found = diagnose({"running_var_new": [biased]}, "running_var_new")
    assert found is not None and "biased batch variance" in found


def test_a_rounded_mean_carries_into_the_variance():
    key = build_key(load_sheet(sheet(**CASE)))
    f = forward(d(F("0.01")))
    results = {r.quantity: r for r in check_claims(key, {"ex1": {"mean": [rounded(f["mean"])],
                                                                 "var": [rounded(f["var"])]}})}
    assert {r.verdict for r in results.values()} <= {"correct", "rounding"}


# ---------------------------------------------------------------------------
# Variants, bad input and lint.


def test_variants_reject_a_constant_feature_and_a_vanishing_gradient():
    template = """
[[exercise]]
kind = "batchnorm"
X = { choice = [[[1, 1], [1, 2]], [[1, 0], [2, 3]]] }
epsilon = 0.01
grad = { choice = [[[0, 0], [0, 0]], [[1, 0.5], [-1, 0.25]]] }
"""
    for v in generate_variants(template, 4, seed=5):
        q = v.key["exercises"][0]["quantities"]
        assert q["var"]["exact"] == "[[1/4, 9/4]]" and q["dbeta"]["exact"] != "[[0, 0]]"


@pytest.mark.parametrize("extra, message, error", [
    ("X = [1]\n", "X needs at least 2 samples", SpecError),
    ("X = [1, 2]\ngamma = [1, 2]\n", "gamma has 2 entries but X has 1 feature", ShapeError),
    ("X = [1, 1]\nepsilon = 0\n", "feature 1 .* is constant", SpecError),
    ("X = [1, 2]\ngrad = [[1, 2]]\n", "grad is 1×2 but X is 2×1", ShapeError),
    ("X = [1, 2]\nrunning_mean = [0]\n", "give running_mean and running_var together", SpecError),
    ("X = [1, 2]\nX_test = [3]\n", "X_test is normalized with the running statistics", SpecError),
    ("X = [1, 2]\nmomentum = 0\n", r"momentum must lie in \(0, 1\]", SpecError),
])
def test_bad_input_is_one_line_naming_the_exercise(extra, message, error):
    with pytest.raises(error, match=r"<text>:\d+: exercise ex1 \(batchnorm\): " + message):
        load_sheet('[[exercise]]\nkind = "batchnorm"\n' + extra)


@pytest.mark.parametrize("suffix, fmt", [(".md", "markdown"), (".tex", "latex"), (".html", "html")])
def test_the_example_sheet_lints_clean(suffix, fmt):
    from symnn.verify.lint.report import lint_text

    report = lint_text(SNAPSHOT.with_suffix(suffix).read_text(encoding="utf-8"), fmt)
    problems = [f for f in report.findings if f.verdict in ("error", "rounding")]
    assert not problems, problems
    assert sum(1 for f in report.findings if f.verdict == "ok") >= 20
