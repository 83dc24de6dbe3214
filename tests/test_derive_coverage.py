"""symnn.derive beyond the first round: the expressions that hung or were refused, the point check's
guarantee, and symnn.hessian — each judged by an exact reference written here, independent of
symnn's own verification (SymPy on explicit matrices of scalar symbols, at concrete sizes)."""

from __future__ import annotations

import random

import numpy as np
import pytest
import sympy as sp
from sympy import KroneckerProduct
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.hadamard import HadamardPower
from sympy.matrices.expressions.kronecker import matrix_kronecker_product as kronecker_product

import symnn
from symnn.library import pointcheck
from symnn.library.matcalc import DeriveError, derive, sum_entries

n, m, k = sp.symbols("n m k", integer=True, positive=True)
X, A, B, C = (sp.MatrixSymbol(s, n, n) for s in "XABC")
Xr = sp.MatrixSymbol("X", m, n)
Cm, Bm = sp.MatrixSymbol("C", m, m), sp.MatrixSymbol("B", m, m)
x = sp.MatrixSymbol("x", n, 1)


S, T = sp.symbols("s t", real=True)


def numbers(f, wrt, sizes, seed):
    """Random rational matrices for every matrix symbol at concrete sizes, by symbol."""
    rng = random.Random(seed)
    out = {}
    for symbol in sorted(f.atoms(sp.MatrixSymbol) | {wrt}, key=lambda s: s.name):
        concrete = symbol.xreplace(sizes)
        rows, cols = (int(d) for d in concrete.shape)
        out[concrete] = sp.Matrix(rows, cols, lambda i, j: sp.Rational(rng.randint(-9, 9) or 1, rng.randint(1, 5)))
    return out


def evaluate(expr, values):
    """An expression at explicit matrices (entries may hold s, t), written out node by node: inverses by
    adjugate and determinants by Berkowitz, so nothing symbolic is inverted."""
    value = expr.xreplace({k: sp.ImmutableMatrix(v) for k, v in values.items()})
    explicit = (sp.MatrixBase,)
    rules = [
        (lambda e: isinstance(e, (sp.OneMatrix, sp.Identity, sp.ZeroMatrix)) and all(d.is_Integer for d in e.shape),
         lambda e: sp.ImmutableMatrix(e.as_explicit())),
        (lambda e: isinstance(e, sp.Inverse) and isinstance(e.arg, explicit),
         lambda e: sp.ImmutableMatrix(e.arg).inv(method="ADJ")),
        (lambda e: isinstance(e, sp.Determinant) and isinstance(e.arg, explicit),
         lambda e: sp.ImmutableMatrix(e.arg).det(method="berkowitz")),
        (lambda e: isinstance(e, ElementwiseApplyFunction) and isinstance(e.expr, explicit),
         lambda e: sp.ImmutableMatrix(e.expr).applyfunc(e.function)),
        (lambda e: isinstance(e, HadamardPower) and isinstance(e.base, explicit),
         lambda e: sp.ImmutableMatrix(e.base).applyfunc(lambda c: c ** e.exp)),
        (lambda e: isinstance(e, KroneckerProduct) and all(isinstance(a, explicit) for a in e.args),
         lambda e: sp.ImmutableMatrix(kronecker_product(*e.args))),
        (lambda e: isinstance(e, DiagMatrix) and isinstance(e.args[0], explicit),
         lambda e: sp.ImmutableMatrix(sp.diag(*e.args[0]))),
    ]
    for _ in range(8):
        before = value
        for test, rewrite in rules:
            value = value.replace(test, rewrite)
        value = value.doit()
        if value == before:
            break
    return value


def scalar(value):
    return value[0, 0] if isinstance(value, sp.MatrixBase) else value


def reference_gradient(f, wrt, sizes, values):
    """∂f/∂wrt[i, j] = d/dt f(W + t Eᵢⱼ) at t = 0, exactly, for every entry."""
    concrete, w = f.xreplace(sizes), wrt.xreplace(sizes)
    W0 = values[w]
    out = sp.zeros(*W0.shape)
    for i in range(W0.rows):
        for j in range(W0.cols):
            moved = W0.copy()
            moved[i, j] += T
            out[i, j] = sp.diff(scalar(evaluate(concrete, values | {w: moved})), T).subs(T, 0)
    return out


def value_at(formula, sizes, values):
    value = evaluate(formula.xreplace(sizes), values)
    return sp.Matrix(value.as_explicit() if isinstance(value, sp.MatrixExpr) else value)


def close(P, Q):
    return P.shape == Q.shape and all(abs(sp.N(e, 40)) < 1e-30 for e in P - Q)


# The expressions that hung for more than 20 s (the elementwise check inverted symbolic matrices),
# and those that were refused: now each is derived, verified and right.
CASES = [
    pytest.param(sp.Trace(sp.Inverse(X + A)), X, {n: 3}, id="trace-inverse-sum"),
    pytest.param(sp.Determinant(Xr.T * Cm * Xr), Xr, {m: 3, n: 2}, id="det-XtAX-nonsquare"),
    pytest.param(sp.Trace(sp.Inverse(Xr.T * Cm * Xr) * A), Xr, {m: 3, n: 2}, id="trace-inverse-XtCX-A"),
    pytest.param(sp.Trace((A + Xr.T * Cm * Xr).inv() * (Xr.T * Bm * Xr)), Xr, {m: 3, n: 2}, id="sympy-test-derivatives"),
    pytest.param(sp.log(sp.Determinant(Xr.T * Xr)), Xr, {m: 3, n: 2}, id="log-det-XtX-symbolic-sizes"),
    pytest.param((x.T * x) ** sp.Rational(1, 2), x, {n: 3}, id="norm-as-1x1-power"),
    pytest.param((x.T * A * x) ** sp.Rational(3, 2), x, {n: 2}, id="fractional-power-of-quadratic"),
    pytest.param(sp.log(sp.Abs(sp.Determinant(X))), X, {n: 3}, id="log-abs-det"),
    pytest.param(sum_entries(X.applyfunc(sp.Abs)), X, {n: 2}, id="sum-of-abs"),
    pytest.param(sp.Trace(KroneckerProduct(A, X)), X, {n: 2}, id="trace-kronecker"),
    pytest.param(sp.Trace(X ** 3), X, {n: 3}, id="trace-power"),
    pytest.param(sp.Trace(X ** -2 * A), X, {n: 2}, id="negative-power"),
]


@pytest.mark.parametrize("f, wrt, sizes", CASES)
def test_previously_hanging_or_refused_expressions_are_derived_right(f, wrt, sizes):
    formula = derive(f, wrt).formula
    values = numbers(f, wrt, sizes, seed=str(f))
    assert close(value_at(formula, sizes, values), reference_gradient(f, wrt, sizes, values))


def test_symbolic_powers_under_a_trace():
    formula = derive(sp.Trace(X ** k), X).formula
    assert formula == k * (X ** (k - 1)).T
    for power in (2, 3, 4):
        f = sp.Trace(X ** power)
        values = numbers(f, X, {n: 2}, seed=power)
        assert close(value_at(formula.xreplace({k: power}), {n: 2}, values), reference_gradient(f, X, {n: 2}, values))


def test_abs_differentiates_through_sign_and_the_numpy_form_is_evaluable():
    d = derive(sum_entries(X.applyfunc(sp.Abs)), X)
    assert not d.formula.has(sp.Derivative, sp.re, sp.im)
    assert np.array_equal(d.to_numpy()(np.array([[1.0, -2.0], [3.0, -0.5]])), np.array([[1.0, -1.0], [1.0, -1.0]]))


def test_a_size_symbol_has_derivative_zero():
    assert derive(n, A).formula == sp.ZeroMatrix(n, n)


def test_a_wrong_formula_is_caught_by_the_point_check():
    assert pointcheck.disagreement(sp.Trace(X * X.T), X, 2 * X.T) is not None  # 2X, not 2Xᵀ
    assert pointcheck.disagreement(sp.log(sp.Determinant(X)), X, sp.Inverse(X)) is not None  # transpose missing
    assert pointcheck.disagreement(sp.exp(sp.Trace(A * X)), X, sp.exp(sp.Trace(A * X)) * A) is not None


def test_the_symbolic_check_is_still_available_and_modes_are_named():
    assert derive(sp.Trace(A * X), X, verify="symbolic").formula == A.T
    assert derive(sp.Trace(A * X), X, verify="none").formula == A.T
    with pytest.raises(DeriveError, match="verify must be one of points, symbolic, none"):
        derive(sp.Trace(A * X), X, verify="maybe")


def test_an_unverifiable_result_is_an_error_not_a_silent_answer():
    # Every point makes XᵀX singular when X has fewer rows than columns... at every size order tried
    # the check still finds sizes where it is invertible, so use a function undefined everywhere:
    f = sp.log(-sp.Trace(X.T * X) - 1)  # log of a negative number at every real point
    with pytest.raises(DeriveError, match="cannot verify"):
        derive(f, X)


# ---------------------------------------------------------------------------
# symnn.hessian


def reference_hessian(f, wrt, sizes, values):
    """∂²f/∂vec(W)_a∂vec(W)_b = ∂²/∂s∂t f(W + s E_a + t E_b) at 0, exactly (vec stacks the columns)."""
    concrete, w = f.xreplace(sizes), wrt.xreplace(sizes)
    W0 = values[w]
    cells = [(i, j) for j in range(W0.cols) for i in range(W0.rows)]
    out = sp.zeros(len(cells), len(cells))
    for a, (i, j) in enumerate(cells):
        for b, (p, q) in enumerate(cells):
            moved = W0.copy()
            moved[i, j] += S
            moved[p, q] += T
            out[a, b] = sp.diff(scalar(evaluate(concrete, values | {w: moved})), S, T).subs({S: 0, T: 0})
    return out


HESSIANS = [
    pytest.param(x.T * A * x, x, {n: 3}, id="quadratic-form"),
    pytest.param((x.T * x) ** 2, x, {n: 3}, id="squared-norm-squared"),
    pytest.param(sum_entries(x.applyfunc(sp.exp)), x, {n: 3}, id="sum-exp"),
    pytest.param(sp.log(1 + sp.exp(-sp.Trace(x.T * A * x))), x, {n: 2}, id="softplus-of-quadratic"),
]


@pytest.mark.parametrize("f, wrt, sizes", HESSIANS)
def test_hessian_by_a_vector(f, wrt, sizes):
    formula = symnn.hessian(f, wrt).formula
    values = numbers(f, wrt, sizes, seed=str(f))
    assert close(value_at(formula, sizes, values), reference_hessian(f, wrt, sizes, values))


def test_hessian_of_a_layer_loss_in_vec_kronecker_form():
    W, v, y = sp.MatrixSymbol("W", m, n), sp.MatrixSymbol("v", n, 1), sp.MatrixSymbol("y", m, 1)
    least_squares = symnn.hessian((W * v - y).T * (W * v - y), W).formula
    assert least_squares.has(KroneckerProduct)
    tanh_loss = sum_entries(sp.HadamardPower((W * v).applyfunc(sp.tanh) - y, 2)) / 2
    for f in ((W * v - y).T * (W * v - y), tanh_loss):
        formula = symnn.hessian(f, W).formula
        sizes = {m: 2, n: 3}
        values = numbers(f, W, sizes, seed=str(f))
        assert close(value_at(formula, sizes, values), reference_hessian(f, W, sizes, values))
