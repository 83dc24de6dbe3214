"""Second derivatives in matrix form: ``hessian(f, x)``.

For a vector ``x`` (n×1) the Hessian is the n×n matrix of ∂²f/∂x_i∂x_j; ``xᵀAx`` gives
``A + Aᵀ``.  For a matrix ``W`` (m×n) it is the mn×mn matrix of the second derivatives by
the entries of vec(W) (columns stacked), written with Kronecker products — the
"Jacobian of the gradient in vec form" of matrix calculus: ½‖Wx − y‖² gives x xᵀ ⊗ I.

How: the gradient G = ∂f/∂X comes from :func:`symnn.derive` (verified).  Differentiating
the scalar tr(Uᵀ G) by X for a new matrix U gives R(U), linear in U, with
vec(R(U)) = H vec(U); the Hessian is read off R term by term with
vec(A U B) = (Bᵀ ⊗ A) vec(U), vec(c ⊙ U) = diag(c) vec(U) for a column c, and a scalar
factor tr(Cᵀ U) giving vec(P) vec(C)ᵀ for a column P.  The result is verified: at random
exact points (:mod:`.pointcheck`) against the derivative of tr(Vᵀ G) for a random V.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.hadamard import HadamardProduct
from sympy.matrices.expressions.kronecker import KroneckerProduct, combine_kronecker

from symnn.library import pointcheck
from symnn.library.matcalc import DeriveError, MatrixDerivative, derive


def _is_column(m: sp.MatrixExpr) -> bool:
    return bool(m.shape[1] == 1)


def _kron(left: sp.MatrixExpr | None, right: sp.MatrixExpr | None, rows: Any, cols: Any) -> sp.MatrixExpr:
    """Bᵀ ⊗ A for the product A · X · B (``left`` = A or None, ``right`` = B or None; X is rows×cols)."""
    a = left if left is not None else sp.Identity(rows)
    bt = right.T if right is not None else sp.Identity(cols)
    if bt.shape == (1, 1):
        return sp.Trace(bt) * a if not isinstance(bt, sp.Identity) else a
    if a.shape == (1, 1):
        return sp.Trace(a) * bt if not isinstance(a, sp.Identity) else bt
    if a.shape[1] == 1 and bt.shape[0] == 1:
        return a * bt  # a row ⊗ a column is their outer product
    return KroneckerProduct(bt, a)


class _Linear:
    """The matrix L with vec(term) = L vec(U), for a term linear in the matrix symbol U."""

    def __init__(self, u: sp.MatrixSymbol) -> None:
        self.u = u

    def of(self, term: sp.Basic) -> sp.MatrixExpr:
        u = self.u
        if term == u:
            return sp.Identity(u.rows * u.cols)
        if isinstance(term, sp.Transpose):
            inner = term.arg
            if _is_column(inner) or inner.shape[0] == 1:
                return self.of(inner)  # vec(vᵀ) = vec(v) for a vector
            raise DeriveError(f"the Hessian needs vec({term}), a commutation matrix symnn does not write")
        if isinstance(term, sp.MatAdd):
            return sp.MatAdd(*(self.of(t) for t in term.args if t.has(u)))
        if isinstance(term, sp.MatMul):
            return self._matmul(term)
        if isinstance(term, HadamardProduct):
            linear = [a for a in term.args if a.has(u)]
            if len(linear) != 1:
                raise DeriveError(f"{term} is not linear in {u}")
            others = [a for a in term.args if not a.has(u)]
            weight = HadamardProduct(*others) if len(others) > 1 else others[0]
            if not _is_column(weight):
                raise DeriveError(f"the Hessian needs diag(vec({weight})), which symnn writes only for columns")
            return DiagMatrix(weight) * self.of(linear[0])
        raise DeriveError(f"cannot read the Hessian from {term} ({type(term).__name__})")

    def _matmul(self, term: sp.MatMul) -> sp.MatrixExpr:
        u = self.u
        coefficient, matrices = term.as_coeff_matrices()
        carriers = [k for k, m in enumerate(matrices) if m.has(u)]
        if coefficient.has(u):
            if carriers:
                raise DeriveError(f"{term} is not linear in {u}")
            product = sp.MatMul(*matrices)
            if not _is_column(product):
                raise DeriveError(f"the Hessian needs vec({product}), which symnn writes only for columns")
            slope = derive(coefficient, u).formula  # the scalar is tr(slopeᵀ U)
            if not _is_column(slope):
                raise DeriveError(f"the Hessian needs vec({slope}), which symnn writes only for columns")
            return product * slope.T
        if len(carriers) != 1:
            raise DeriveError(f"{term} is not linear in {u}")
        k = carriers[0]
        middle = matrices[k]
        left = sp.MatMul(*matrices[:k]) if k else None
        right = sp.MatMul(*matrices[k + 1:]) if k + 1 < len(matrices) else None
        operator = _kron(left, right, middle.shape[0], middle.shape[1])
        return coefficient * operator * self.of(middle)


def _tidy(formula: sp.MatrixExpr) -> sp.MatrixExpr:
    """Merge Kronecker products where SymPy can ((A ⊗ B)(C ⊗ D) = AC ⊗ BD); SymPy's rewriting cannot rebuild a
    DiagMatrix, so a formula holding one is only tidied by ``doit``."""
    try:
        done = formula.doit()
        return done if done.has(DiagMatrix) else combine_kronecker(done).doit()
    except (AttributeError, TypeError, ValueError):  # SymPy's rewriting gives up on some Sums: keep the form
        return formula


def hessian(f: Any, x: sp.MatrixSymbol, verify: str = "points") -> MatrixDerivative:
    """The Hessian of a scalar expression by a vector (n×n) or, in vec form, by a matrix (mn×mn).

    >>> n = sp.Symbol("n", integer=True, positive=True)
    >>> x, A = sp.MatrixSymbol("x", n, 1), sp.MatrixSymbol("A", n, n)
    >>> hessian(x.T * A * x, x).formula
    A + A.T
    >>> hessian((x.T * x) ** 2, x).formula
    (4*Trace(x.T*x))*I + 8*x*x.T
    >>> m = sp.Symbol("m", integer=True, positive=True)
    >>> W, v, y = sp.MatrixSymbol("W", m, n), sp.MatrixSymbol("v", n, 1), sp.MatrixSymbol("y", m, 1)
    >>> hessian((W * v - y).T * (W * v - y), W).formula
    2*(KroneckerProduct(v*v.T, I))
    """
    gradient = derive(f, x, verify=verify).formula
    u = sp.MatrixSymbol("U_hessian", *x.shape)
    pulled = derive(sp.Trace(u.T * gradient), x, verify=verify).formula
    formula = _tidy(_Linear(u).of(pulled)) if pulled.has(u) else sp.ZeroMatrix(x.rows * x.cols, x.rows * x.cols)
    if verify == "points":
        _check(gradient, x, formula)
    return MatrixDerivative(f, x, formula)


def _check(gradient: sp.MatrixExpr, x: sp.MatrixSymbol, formula: sp.MatrixExpr) -> None:
    """H vec(V) must be the derivative of tr(Vᵀ G) by x, vectorised, at random points (V random too)."""
    v = sp.MatrixSymbol("V_hessian", *x.shape)
    if _is_column(x):
        claim = formula.T * v
        try:
            mismatch = pointcheck.disagreement(sp.Trace(v.T * gradient), x, claim)
        except pointcheck.Unverifiable as exc:
            raise DeriveError(f"cannot verify the Hessian by {x}: {exc}") from None
        if mismatch is not None:
            raise DeriveError(f"the Hessian by {x} failed verification {mismatch}")
        return
    try:
        mismatch = pointcheck.vec_disagreement(sp.Trace(v.T * gradient), x, v, formula)
    except pointcheck.Unverifiable as exc:
        raise DeriveError(f"cannot verify the Hessian by {x}: {exc}") from None
    if mismatch is not None:
        raise DeriveError(f"the Hessian by {x} failed verification {mismatch}")


__all__ = ["hessian"]
