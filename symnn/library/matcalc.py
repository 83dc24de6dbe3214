"""Matrix calculus: the derivative of a scalar expression of matrices, in matrix form.

``derive(f, X)`` returns ∂f/∂X, a matrix expression of X's shape (the gradient
layout: entry (i, j) is ∂f/∂X[i, j]), e.g. ``2 (W x − y) xᵀ`` for
``f = ‖W x − y‖²`` — what matrixcalculus.org offers, in Python.

SymPy's own ``MatrixExpr.diff`` silently returns 0 for some expressions (``Trace(E) +
1``, an explicit ``Sum`` of entries) and crashes or returns 4-index arrays for others.
symnn instead runs reverse-mode differentiation over the expression tree with one
small pull-back rule per node type, and then **verifies every result** against
``sympy.diff`` of the expression written out entry by entry (with small concrete sizes
substituted for symbolic ones).  An expression it has no rule for, or a result that
fails verification, raises :class:`DeriveError` — never a silent zero.

>>> import sympy as sp
>>> m, n = sp.symbols("m n", integer=True, positive=True)
>>> W, x, y = sp.MatrixSymbol("W", m, n), sp.MatrixSymbol("x", n, 1), sp.MatrixSymbol("y", m, 1)
>>> derive(sum_entries(sp.HadamardPower(W * x - y, 2)), W).formula
2*(W*x - y)*x.T
>>> E = sp.MatrixSymbol("E", n, n)
>>> derive(sp.Trace(E) + 1, E).formula
I
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct

from symnn.errors import SymnnError
from symnn.library import entrywise
from symnn.library.numpy_functions import NumpyFunction, function_arguments, to_numpy

Adjoint = Any
"""A scalar SymPy expression (for a scalar node) or a matrix expression (for a matrix node)."""


class DeriveError(SymnnError):
    """symnn cannot write this derivative in matrix form (it says which part and why)."""


def sum_entries(matrix: sp.MatrixExpr) -> sp.Expr:
    """The sum of all entries of a matrix expression, as a scalar: tr(1ᵀ M 1).

    (Indexing the 1×1 product with ``[0, 0]`` would make SymPy write out an explicit
    ``Sum``; the trace of a 1×1 matrix keeps the matrix form.)

    >>> n = sp.Symbol("n", integer=True, positive=True)
    >>> sum_entries(sp.MatrixSymbol("v", n, 1))
    Trace(1*v)
    """
    rows, cols = matrix.shape
    return sp.Trace(sp.OneMatrix(1, rows) * matrix * sp.OneMatrix(cols, 1))


# ---------------------------------------------------------------------------
# Reverse mode: each rule pulls a node's adjoint back onto its arguments.


@dataclass(slots=True)
class _Pullback:
    """Accumulates ∂f/∂X while walking the expression tree from the top."""

    wrt: sp.MatrixSymbol
    """The matrix X being differentiated by."""
    contributions: list[sp.MatrixExpr] = field(default_factory=list)
    """Adjoints that reached X, summed at the end."""

    def pull(self, node: sp.Basic, adjoint: Adjoint) -> None:
        if not node.has(self.wrt):
            return
        for kind in type(node).__mro__:
            rule = _RULES.get(kind)
            if rule is not None:
                rule(self, node, adjoint)
                return
        raise DeriveError(f"no matrix-calculus rule for {type(node).__name__} in {node}")


def _matrix_symbol(p: _Pullback, node: sp.MatrixSymbol, adjoint: Adjoint) -> None:
    p.contributions.append(adjoint)


def _add(p: _Pullback, node: sp.Basic, adjoint: Adjoint) -> None:
    for arg in node.args:
        p.pull(arg, adjoint)


def _mul(p: _Pullback, node: sp.Mul, adjoint: Adjoint) -> None:
    for i, arg in enumerate(node.args):
        others = sp.Mul(*(node.args[:i] + node.args[i + 1:]))
        p.pull(arg, adjoint * others)


def _pow(p: _Pullback, node: sp.Pow, adjoint: Adjoint) -> None:
    base, exponent = node.args
    p.pull(base, adjoint * exponent * base ** (exponent - 1))
    p.pull(exponent, adjoint * node * sp.log(base))


def _function(p: _Pullback, node: sp.Function, adjoint: Adjoint) -> None:
    if len(node.args) != 1:
        raise DeriveError(f"cannot differentiate {node}: only one-argument functions are supported")
    t = sp.Dummy("t")
    derivative = sp.diff(node.func(t), t)
    if derivative.has(sp.Derivative):
        raise DeriveError(f"SymPy does not know the derivative of {node.func}")
    p.pull(node.args[0], adjoint * derivative.xreplace({t: node.args[0]}))


def _trace(p: _Pullback, node: sp.Trace, adjoint: Adjoint) -> None:
    p.pull(node.arg, adjoint * sp.Identity(node.arg.rows))


def _determinant(p: _Pullback, node: sp.Determinant, adjoint: Adjoint) -> None:
    matrix = node.arg
    p.pull(matrix, adjoint * node * sp.Inverse(matrix).T)


def _matrix_element(p: _Pullback, node: sp.matrices.expressions.matexpr.MatrixElement,
                    adjoint: Adjoint) -> None:
    parent = node.parent
    if parent.shape != (1, 1):
        raise DeriveError(
            f"cannot write the derivative through the single entry {node} in matrix form; "
            "use whole-matrix operations (trace, sum_entries, products) instead")
    p.pull(parent, adjoint * sp.Identity(1))


def _sum(p: _Pullback, node: sp.Sum, adjoint: Adjoint) -> None:
    # An explicit Sum over entries: rewrite as a matrix expression first (SymPy's diff
    # of such a Sum by a MatrixSymbol is 0, silently).
    from sympy.tensor.array.expressions.from_array_to_matrix import convert_array_to_matrix
    from sympy.tensor.array.expressions.from_indexed_to_array import convert_indexed_to_array
    try:
        matrix_form = convert_array_to_matrix(convert_indexed_to_array(node))
    except Exception as exc:  # noqa: BLE001 - SymPy raises ValueError, NotImplementedError, ...
        raise DeriveError(f"cannot rewrite the sum {node} in matrix form ({exc})") from None
    if any(type(part).__module__.startswith("sympy.tensor")
           for part in sp.preorder_traversal(matrix_form)):
        raise DeriveError(f"cannot rewrite the sum {node} in matrix form (got {matrix_form})")
    if isinstance(matrix_form, sp.MatrixExpr):
        if matrix_form.shape != (1, 1):
            raise DeriveError(f"the sum {node} is not a scalar (got {matrix_form})")
        p.pull(matrix_form, adjoint * sp.Identity(1))
    elif isinstance(matrix_form, sp.Expr) and not matrix_form.has(sp.Sum):
        p.pull(matrix_form, adjoint)
    else:
        raise DeriveError(f"cannot rewrite the sum {node} in matrix form (got {matrix_form})")


def _matadd(p: _Pullback, node: sp.MatAdd, adjoint: Adjoint) -> None:
    for arg in node.args:
        p.pull(arg, adjoint)


def _product(factors: Sequence[sp.MatrixExpr]) -> sp.MatrixExpr | None:
    return sp.MatMul(*factors) if factors else None


def _matmul(p: _Pullback, node: sp.MatMul, adjoint: Adjoint) -> None:
    coefficient, matrices = node.as_coeff_matrices()
    whole = sp.MatMul(*matrices)
    if coefficient.has(p.wrt):
        p.pull(coefficient, sp.Trace(adjoint.T * whole))
    for i, factor in enumerate(matrices):
        left, right = _product(matrices[:i]), _product(matrices[i + 1:])
        pulled = coefficient * adjoint
        if left is not None:
            pulled = left.T * pulled
        if right is not None:
            pulled = pulled * right.T
        p.pull(factor, pulled)


def _matpow(p: _Pullback, node: sp.MatPow, adjoint: Adjoint) -> None:
    base, exponent = node.args
    if not (exponent.is_Integer and exponent > 0):
        raise DeriveError(f"cannot differentiate the matrix power {node} (only positive integer powers)")
    _matmul(p, sp.MatMul(*([base] * int(exponent))), adjoint)


def _transpose(p: _Pullback, node: sp.Transpose, adjoint: Adjoint) -> None:
    p.pull(node.arg, adjoint.T)


def _inverse(p: _Pullback, node: sp.Inverse, adjoint: Adjoint) -> None:
    p.pull(node.arg, -node.T * adjoint * node.T)


def _hadamard_product(p: _Pullback, node: HadamardProduct, adjoint: Adjoint) -> None:
    for i, arg in enumerate(node.args):
        others = node.args[:i] + node.args[i + 1:]
        p.pull(arg, HadamardProduct(adjoint, *others))


def _hadamard_power(p: _Pullback, node: HadamardPower, adjoint: Adjoint) -> None:
    base, exponent = node.args
    if exponent.has(p.wrt):
        raise DeriveError(f"cannot differentiate {node}: the exponent depends on {p.wrt}")
    p.pull(base, HadamardProduct(adjoint, exponent * HadamardPower(base, exponent - 1)))


def _elementwise(p: _Pullback, node: ElementwiseApplyFunction, adjoint: Adjoint) -> None:
    t = sp.Dummy("t")
    slope = sp.Lambda(t, sp.diff(node.function(t), t))
    p.pull(node.expr, HadamardProduct(adjoint, ElementwiseApplyFunction(slope, node.expr)))


def _explicit_matrix(p: _Pullback, node: sp.MatrixBase, adjoint: Adjoint) -> None:
    raise DeriveError(f"cannot differentiate an explicit matrix containing entries of {p.wrt} "
                      "in matrix form; write it with matrix operations")


_RULES: dict[type, Callable[[_Pullback, Any, Adjoint], None]] = {
    sp.MatrixSymbol: _matrix_symbol,
    sp.Add: _add,
    sp.Mul: _mul,
    sp.Pow: _pow,
    sp.Trace: _trace,
    sp.Determinant: _determinant,
    sp.matrices.expressions.matexpr.MatrixElement: _matrix_element,
    sp.Sum: _sum,
    sp.MatAdd: _matadd,
    sp.MatMul: _matmul,
    sp.MatPow: _matpow,
    sp.Transpose: _transpose,
    sp.Inverse: _inverse,
    HadamardProduct: _hadamard_product,
    HadamardPower: _hadamard_power,
    ElementwiseApplyFunction: _elementwise,
    sp.MatrixBase: _explicit_matrix,
    sp.Function: _function,
}


# ---------------------------------------------------------------------------
# Verification against sympy.diff of the expression written out entry by entry (:mod:`.entrywise`).


def verify(expr: sp.Basic, wrt: sp.MatrixSymbol, formula: sp.MatrixExpr) -> None:
    """Check ``formula`` entry by entry against ``sympy.diff``; raise DeriveError if it differs."""
    mismatch = entrywise.disagreement(expr, wrt, formula)
    if mismatch is not None:
        raise DeriveError(f"the matrix-form derivative of {expr} by {wrt} failed verification at {mismatch}")


# ---------------------------------------------------------------------------
# Public entry points.


def _tidy(formula: sp.MatrixExpr) -> sp.MatrixExpr:
    """Let SymPy merge identities, ones and repeated terms; drop first Hadamard powers."""
    return formula.doit().replace(
        lambda e: isinstance(e, HadamardPower) and e.exp == 1, lambda e: e.base)


__all__ = ["DeriveError", "MatrixDerivative", "NumpyFunction", "derive", "sum_entries", "to_numpy",
           "verify"]


def _scalar_root(expr: Any) -> sp.Basic:
    if isinstance(expr, sp.MatrixExpr):
        if expr.shape != (1, 1):
            raise DeriveError(
                f"derive needs a scalar, but the expression is a {expr.shape[0]}×{expr.shape[1]} "
                "matrix; reduce it with sp.Trace(...) or symnn.sum_entries(...)")
        return expr
    if not isinstance(expr, sp.Expr):
        raise DeriveError(f"derive needs a SymPy expression, got {type(expr).__name__}")
    return expr


@dataclass(frozen=True, slots=True)
class MatrixDerivative:
    """∂f/∂X for a scalar f of matrices, in matrix form and verified."""

    expression: sp.Basic
    """The scalar expression f."""
    wrt: sp.MatrixSymbol
    """The matrix X."""
    formula: sp.MatrixExpr
    """∂f/∂X, a matrix expression with X's shape."""

    def latex(self) -> str:
        r"""The formula as LaTeX, e.g. ``2 \left(- y + W x\right) x^{T}``."""
        return str(sp.latex(self.formula))

    def to_numpy(self) -> NumpyFunction:
        """The formula as a fast numpy function (see :func:`to_numpy`).

        It takes every matrix and symbol of the *expression* (sorted by name), even those
        the formula no longer contains, so that sizes are always known from the inputs.
        """
        inputs = (set(function_arguments(self.expression)) | set(function_arguments(self.formula))
                  | {self.wrt})
        return to_numpy(self.formula, sorted(inputs, key=str))

    def __str__(self) -> str:
        return str(self.formula)


def derive(expr: Any, wrt: sp.MatrixSymbol) -> MatrixDerivative:
    """The derivative of a scalar expression of matrix symbols by ``wrt``, in matrix form.

    The result is verified entry by entry against ``sympy.diff``; anything symnn cannot
    differentiate in matrix form raises :class:`DeriveError`.

    >>> n = sp.Symbol("n", integer=True, positive=True)
    >>> A, x = sp.MatrixSymbol("A", n, n), sp.MatrixSymbol("x", n, 1)
    >>> derive(x.T * A * x, x).formula
    A*x + A.T*x
    >>> derive(sp.log(sp.Determinant(A)), A).formula
    A.T**(-1)
    >>> derive(A[0, 1], A)
    Traceback (most recent call last):
    ...
    symnn.library.matcalc.DeriveError: cannot write the derivative through the single entry A[0, 1] in matrix form; use whole-matrix operations (trace, sum_entries, products) instead
    """
    if not isinstance(wrt, sp.MatrixSymbol):
        raise DeriveError(f"derive differentiates by a sympy.MatrixSymbol, got {type(wrt).__name__}; "
                          "for a scalar symbol use sympy.diff")
    root = _scalar_root(expr)
    try:
        formula = _pull_back(root, wrt)
        verify(root, wrt, formula)
    except (TypeError, ValueError, NotImplementedError, AttributeError, IndexError) as exc:
        # SymPy's own matrix machinery gave up somewhere inside; say so in one line.
        raise DeriveError(f"cannot differentiate {root} by {wrt}: SymPy raised "
                          f"{type(exc).__name__}: {exc}") from None
    return MatrixDerivative(root, wrt, formula)


def _pull_back(root: sp.Basic, wrt: sp.MatrixSymbol) -> sp.MatrixExpr:
    pullback = _Pullback(wrt)
    seed = sp.Identity(1) if isinstance(root, sp.MatrixExpr) else sp.Integer(1)
    pullback.pull(root, seed)
    if not pullback.contributions:
        return sp.ZeroMatrix(*wrt.shape)
    return _tidy(sp.MatAdd(*pullback.contributions))
