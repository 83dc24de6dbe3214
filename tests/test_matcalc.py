"""symnn.derive against elementwise sympy.diff, on a corpus that includes SymPy's failures.

The reference here is written independently of symnn.library.matcalc's own verification:
every matrix symbol becomes an explicit matrix of scalar symbols with sizes chosen
here (3 and 2, not matcalc's 2, 3, ...), the scalar is differentiated by each entry with
``sympy.diff``, and both sides are compared exactly at random rational points and,
through ``to_numpy``, in float64.
"""

from __future__ import annotations

import doctest
import functools
import random

import numpy as np
import pytest
import sympy as sp

import symnn
from symnn.errors import SymnnError
from symnn.library import matcalc, numpy_functions
from symnn.library.matcalc import DeriveError, derive, sum_entries

m, n = sp.symbols("m n", integer=True, positive=True)
W, x, y = sp.MatrixSymbol("W", m, n), sp.MatrixSymbol("x", n, 1), sp.MatrixSymbol("y", m, 1)
A, B, E = sp.MatrixSymbol("A", n, n), sp.MatrixSymbol("B", n, n), sp.MatrixSymbol("E", n, n)
i, j = sp.symbols("i j", integer=True)
residual = W * x - y

SIZES = {m: 3, n: 2}

CORPUS = [
    # SymPy's MatrixExpr.diff returns 0 for these:
    pytest.param(sp.Trace(E) + 1, E, id="trace-plus-one"),
    pytest.param(sp.Sum(E[i, j], (i, 0, n - 1), (j, 0, n - 1)), E, id="explicit-sum"),
    pytest.param(sp.Sum(E[i, j] ** 2, (i, 0, n - 1), (j, 0, n - 1)), E, id="explicit-sum-squares"),
    pytest.param(sp.Sum(E[i, i], (i, 0, n - 1)), E, id="explicit-sum-diagonal"),
    pytest.param(sp.log(sp.Determinant(A)), A, id="log-det"),
    pytest.param(sp.exp(sp.Trace(A)), A, id="exp-trace"),
    # SymPy raises or returns a 4-index array for these:
    pytest.param(residual.T * residual, W, id="least-squares-by-W"),
    pytest.param(sum_entries(sp.HadamardPower(residual, 2)), W, id="sum-of-squares-hadamard"),
    pytest.param(sp.sqrt(sp.Trace(A.T * A)), A, id="frobenius-norm"),
    pytest.param(sp.Determinant(A), A, id="det"),
    # Ones SymPy gets right, as a control:
    pytest.param(residual.T * residual, x, id="least-squares-by-x"),
    pytest.param(x.T * A * x, x, id="quadratic-form-by-x"),
    pytest.param(x.T * A * x, A, id="quadratic-form-by-A"),
    pytest.param(sp.Trace(A * B), A, id="trace-AB"),
    pytest.param(sp.Trace(A * B * A.T), A, id="trace-ABAt"),
    pytest.param(sp.Trace(A.I), A, id="trace-inverse"),
    pytest.param(sp.Trace(A) ** 2, A, id="trace-squared"),
    pytest.param(sp.Trace(A ** 3), A, id="trace-cube"),
    pytest.param(sp.Trace(A) * sp.Trace(B * A), A, id="product-of-traces"),
    pytest.param(sum_entries(sp.HadamardProduct(A, B)), A, id="hadamard"),
    pytest.param(sum_entries(W.applyfunc(sp.exp)), W, id="elementwise-exp"),
    pytest.param(sum_entries(W.applyfunc(sp.tanh)) * sp.Trace(A), W, id="elementwise-tanh-times-trace"),
    pytest.param(sp.log(1 + sp.exp(-(x.T * A * x)[0, 0])), x, id="softplus-of-quadratic"),
    pytest.param(sp.Trace(B) + 3, A, id="independent"),
]


def explicit_form(expr: sp.Basic) -> tuple[sp.Basic, dict]:
    """The expression with every matrix symbol replaced by a matrix of scalar symbols."""
    concrete = expr.xreplace(SIZES).doit()
    matrices = {}
    for symbol in concrete.atoms(sp.MatrixSymbol):
        rows, cols = (int(s) for s in symbol.shape)
        matrices[symbol] = sp.ImmutableMatrix(
            rows, cols, lambda r, c, s=symbol: sp.Symbol(f"{s.name}_{r}_{c}"))
    value = _evaluate(concrete.xreplace(matrices))
    if isinstance(value, sp.MatrixBase):
        value = value[0, 0]
    return value, matrices


def written_out(formula: sp.Basic, matrices: dict) -> sp.Matrix:
    concrete = formula.xreplace(SIZES)
    explicit = matrices | {s: sp.ImmutableMatrix(int(s.shape[0]), int(s.shape[1]),
                                                 lambda r, c, s=s: sp.Symbol(f"{s.name}_{r}_{c}"))
                           for s in concrete.atoms(sp.MatrixSymbol) if s not in matrices}
    value = concrete.xreplace(explicit)
    return sp.Matrix(_evaluate(value))


def _evaluate(node: sp.Basic) -> sp.Basic:
    if isinstance(node, sp.MatrixBase) or not node.args:
        return node.as_explicit() if isinstance(node, sp.MatrixExpr) and not isinstance(
            node, sp.MatrixSymbol) else node
    rebuilt = node.func(*[_evaluate(a) for a in node.args]).doit()
    if isinstance(rebuilt, sp.MatrixExpr) and not isinstance(rebuilt, sp.MatrixBase):
        return rebuilt.as_explicit()
    return rebuilt


@functools.cache
def derived(expr: sp.Basic, wrt: sp.MatrixSymbol) -> matcalc.MatrixDerivative:
    """``derive`` once per corpus entry: the two corpus tests below check the same result."""
    return derive(expr, wrt)


@pytest.mark.parametrize("expr, wrt", CORPUS)
def test_matrix_form_equals_elementwise_diff(expr: sp.Basic, wrt: sp.MatrixSymbol) -> None:
    result = derived(expr, wrt)
    assert result.formula.shape == wrt.shape
    scalar, matrices = explicit_form(expr)
    concrete_wrt = wrt.xreplace(SIZES)
    entries = matrices.get(concrete_wrt) or sp.ImmutableMatrix(
        int(concrete_wrt.shape[0]), int(concrete_wrt.shape[1]),
        lambda r, c: sp.Symbol(f"{wrt.name}_{r}_{c}"))
    candidate = written_out(result.formula, matrices | {concrete_wrt: entries})
    rng = random.Random(5)
    symbols = sorted(scalar.free_symbols | candidate.free_symbols, key=str)
    for _ in range(2):
        # Diagonal-dominant values keep determinants positive for the log-det case.
        point = {s: sp.Rational(rng.randint(1, 9), rng.randint(1, 5))
                 + (5 if s.name.split("_")[1:2] == s.name.split("_")[2:3] else 0) for s in symbols}
        for r in range(entries.rows):
            for c in range(entries.cols):
                expected = sp.diff(scalar, entries[r, c]).xreplace(point)
                got = candidate[r, c].xreplace(point)
                assert abs(sp.N(got - expected, 50)) < 1e-40 * max(1, abs(sp.N(expected))), (r, c)


@pytest.mark.parametrize("expr, wrt", [p for p in CORPUS if p.id not in {"explicit-sum",
                                       "explicit-sum-squares", "explicit-sum-diagonal"}])
def test_to_numpy_matches_central_differences(expr: sp.Basic, wrt: sp.MatrixSymbol) -> None:
    result = derived(expr, wrt)
    function = result.to_numpy()
    value_function = matcalc.to_numpy(expr if not isinstance(expr, sp.MatrixExpr) else expr[0, 0],
                                      function.arguments)
    rng = np.random.default_rng(3)
    inputs = {}
    for argument in function.arguments:
        shape = tuple(int(sp.sympify(s).xreplace(SIZES)) for s in argument.shape)
        inputs[str(argument)] = rng.uniform(0.5, 1.5, size=shape) + (
            3 * np.eye(shape[0]) if shape[0] == shape[1] and shape[0] > 1 else 0)
    gradient = np.asarray(function(**inputs), dtype=float)
    h = 1e-6
    base = inputs[str(wrt)]
    for index in np.ndindex(base.shape):
        up, down = base.copy(), base.copy()
        up[index] += h
        down[index] -= h
        numeric = (float(np.squeeze(value_function(**(inputs | {str(wrt): up}))))
                   - float(np.squeeze(value_function(**(inputs | {str(wrt): down}))))) / (2 * h)
        assert gradient[index] == pytest.approx(numeric, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("expr, wrt", [
    pytest.param(sp.Trace(E) + 1, E, id="trace-plus-one"),
    pytest.param(sp.Sum(E[i, j], (i, 0, n - 1), (j, 0, n - 1)), E, id="explicit-sum"),
    pytest.param(sp.log(sp.Determinant(A)), A, id="log-det"),
])
def test_never_a_silent_zero_where_sympy_gives_one(expr: sp.Basic, wrt: sp.MatrixSymbol) -> None:
    sympy_answer = expr.diff(wrt)  # SymPy 1.14 answers 0, the reason this module exists
    assert sympy_answer == 0 or isinstance(sympy_answer, sp.ZeroMatrix)
    assert not isinstance(derive(expr, wrt).formula, sp.ZeroMatrix)


def test_a_wrong_rule_is_caught_by_verification(monkeypatch: pytest.MonkeyPatch) -> None:
    # Break the transpose rule: derive must refuse rather than return the wrong matrix.
    monkeypatch.setitem(matcalc._RULES, sp.Transpose, lambda p, node, adjoint: p.pull(node.arg, adjoint))
    with pytest.raises(DeriveError, match="failed verification"):
        derive(sp.Trace(A * B * A.T), A)


def test_verify_rejects_a_zero_for_a_nonzero_derivative() -> None:
    with pytest.raises(DeriveError, match="failed verification"):
        matcalc.verify(sp.Trace(E) + 1, E, sp.ZeroMatrix(n, n))


@pytest.mark.parametrize("expr, wrt, message", [
    pytest.param(A[0, 1], A, "single entry", id="entry"),
    pytest.param(W * x, W, "derive needs a scalar", id="not-scalar"),
    pytest.param(sp.Trace(A), sp.Symbol("a"), "MatrixSymbol", id="wrt-symbol"),
    pytest.param(sp.Sum(W[i, j] * x[j, 0], (i, 0, m - 1), (j, 0, n - 1)), W, "cannot rewrite the sum",
                 id="sum-without-matrix-form"),
    pytest.param(sp.Trace(sp.Matrix([[A[0, 0], 1], [0, 1]])), A, "explicit matrix", id="explicit"),
    pytest.param(sum_entries(sp.HadamardPower(A, sp.Trace(A))), A, "exponent depends", id="power"),
])
def test_what_cannot_be_derived_is_an_error(expr: sp.Basic, wrt: sp.Basic, message: str) -> None:
    with pytest.raises(DeriveError, match=message):
        derive(expr, wrt)


def test_results_print_as_latex_and_are_symnn_errors() -> None:
    result = symnn.derive(sum_entries(sp.HadamardPower(residual, 2)), W)
    assert result.latex() == r"2 \left(W x - y\right) x^{T}"
    assert issubclass(DeriveError, SymnnError)


def test_to_numpy_reads_sizes_and_checks_them() -> None:
    function = derive(residual.T * residual, W).to_numpy()
    assert function.parameters == ("W", "x", "y")
    Wv, xv, yv = np.ones((3, 2)), np.ones((2, 1)), np.zeros((3, 1))
    assert np.allclose(function(Wv, xv, yv), 2 * (Wv @ xv - yv) @ xv.T)
    with pytest.raises(SymnnError, match="n = 3"):
        function(Wv, np.ones((3, 1)), yv)
    with pytest.raises(SymnnError, match="missing"):
        function(Wv, xv)
    with pytest.raises(SymnnError, match="unknown argument 'z'"):
        function(Wv, xv, yv, z=1)


@pytest.mark.parametrize("module", [matcalc, numpy_functions])
def test_docstring_examples(module: object) -> None:
    assert doctest.testmod(module).failed == 0
