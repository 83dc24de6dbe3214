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
from sympy.matrices.expressions.kronecker import KroneckerProduct

from symnn.errors import SymnnError
from symnn.library import entrywise, pointcheck
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
    t = sp.Dummy("t", real=True)  # real: |t|' is sign(t), not SymPy's complex form with re and im
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


def _scalar_multiple_of_identity(adjoint: Adjoint) -> sp.Expr | None:
    """c when the adjoint is c·I (as a trace passes it down), else None."""
    if isinstance(adjoint, sp.Identity):
        return sp.Integer(1)
    if isinstance(adjoint, sp.MatMul):
        coefficient, matrices = adjoint.as_coeff_matrices()
        if len(matrices) == 1 and isinstance(matrices[0], sp.Identity):
            return coefficient
    return None


def _matpow(p: _Pullback, node: sp.MatPow, adjoint: Adjoint) -> None:
    base, exponent = node.args
    if exponent.has(p.wrt):
        raise DeriveError(f"cannot differentiate {node}: the exponent depends on {p.wrt}")
    if exponent.is_Integer and exponent > 0:
        _matmul(p, sp.MatMul(*([base] * int(exponent))), adjoint)
        return
    if base.shape == (1, 1):
        # A 1×1 matrix to any power is a scalar power: d(s^a) = a s^(a−1) ds.
        p.pull(base, adjoint * exponent * sp.MatPow(base, exponent - 1))
        return
    if exponent.is_Integer and exponent < 0:
        _matmul(p, sp.MatMul(*([sp.Inverse(base)] * int(-exponent))), adjoint)
        return
    c = _scalar_multiple_of_identity(adjoint)
    if c is not None and exponent.is_integer and exponent.is_positive:
        # Under a trace: d tr(Xᵏ) = k tr(Xᵏ⁻¹ dX) for any positive integer k (the trace is cyclic).
        p.pull(base, c * exponent * sp.MatPow(base, exponent - 1).T)
        return
    raise DeriveError(f"cannot differentiate the matrix power {node} in matrix form (integer powers, powers "
                      "of a 1×1 matrix, and a symbolic power directly under a trace are supported)")



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
    t = sp.Dummy("t", real=True)  # real: |t|' is sign(t)
    slope = sp.Lambda(t, sp.diff(node.function(t), t))
    p.pull(node.expr, HadamardProduct(adjoint, ElementwiseApplyFunction(slope, node.expr)))


def _kronecker(p: _Pullback, node: KroneckerProduct, adjoint: Adjoint) -> None:
    """A ⊗ B: under a trace (adjoint c·I), d tr(A ⊗ B) = tr(B) tr(dA) + tr(A) tr(dB); otherwise, at concrete
    sizes, ∂/∂A[i, j] = tr(G_ijᵀ B) and ∂/∂B = Σ A[i, j] G_ij over the blocks G_ij of the adjoint G."""
    if len(node.args) != 2:
        _kronecker(p, KroneckerProduct(node.args[0], KroneckerProduct(*node.args[1:])), adjoint)
        return
    left, right = node.args
    c = _scalar_multiple_of_identity(adjoint)
    if c is not None and left.is_square and right.is_square:
        p.pull(left, c * sp.Trace(right) * sp.Identity(left.rows))
        p.pull(right, c * sp.Trace(left) * sp.Identity(right.rows))
        return
    sizes = (*left.shape, *right.shape)
    if not all(s.is_Integer for s in sizes):
        raise DeriveError(f"cannot differentiate {node} in matrix form at symbolic sizes (only under a trace); "
                          "give concrete sizes")
    rows, cols, p_rows, p_cols = (int(s) for s in sizes)

    def block(i: int, j: int) -> sp.MatrixExpr:
        return adjoint[i * p_rows:(i + 1) * p_rows, j * p_cols:(j + 1) * p_cols]

    p.pull(left, sp.ImmutableMatrix(rows, cols, lambda i, j: sp.Trace(block(i, j).T * right)))
    p.pull(right, sp.MatAdd(*(left[i, j] * block(i, j) for i in range(rows) for j in range(cols))))


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
    KroneckerProduct: _kronecker,
    sp.MatrixBase: _explicit_matrix,
    sp.Function: _function,
}


# ---------------------------------------------------------------------------
# Verification against sympy.diff of the expression written out entry by entry (:mod:`.entrywise`).


VERIFY_MODES = ("points", "symbolic", "none")
"""How :func:`derive` checks its result: at random exact points (default), symbolically, or not at all."""


def verify(expr: sp.Basic, wrt: sp.MatrixSymbol, formula: sp.MatrixExpr, mode: str = "points",
           budget: float = 5.0) -> None:
    """Check ``formula`` against the elementwise derivative of ``expr``; raise DeriveError if it differs.

    ``"points"``: at random exact points (:mod:`.pointcheck`; bounded by ``budget`` seconds).
    ``"symbolic"``: entry by entry against ``sympy.diff`` of the expression written out
    (:mod:`.entrywise`; complete, but it may take long on inverses of large matrices).
    """
    if mode == "none":
        return
    if mode == "symbolic":
        mismatch = entrywise.disagreement(expr, wrt, formula)
    elif mode == "points":
        try:
            mismatch = pointcheck.disagreement(expr, wrt, formula, budget=budget)
        except pointcheck.Unverifiable as exc:
            raise DeriveError(f"cannot verify the derivative of {expr} by {wrt}: {exc}; pass verify=\"symbolic\" "
                              "for the full symbolic check or verify=\"none\" to skip it") from None
    else:
        raise DeriveError(f"verify must be one of {', '.join(VERIFY_MODES)}, got {mode!r}")
    if mismatch is not None:
        raise DeriveError(f"the matrix-form derivative of {expr} by {wrt} failed verification {mismatch}")


# ---------------------------------------------------------------------------
# Public entry points.


def _unit_signs(expr: sp.Basic) -> sp.Basic:
    """sign(u)·u/|u| is 1 wherever the derivative exists (u ≠ 0): drop such triples from products."""
    if not isinstance(expr, sp.Mul):
        return expr
    factors = list(expr.args)
    for s in [f for f in factors if isinstance(f, sp.sign)]:
        u = s.args[0]
        inverse_abs = sp.Pow(sp.Abs(u), -1)
        if u in factors and inverse_abs in factors:
            for f in (s, u, inverse_abs):
                factors.remove(f)
    return sp.Mul(*factors)


def _tidy(formula: sp.MatrixExpr) -> sp.MatrixExpr:
    """Let SymPy merge identities, ones and repeated terms; drop first Hadamard powers and unit signs."""
    return formula.doit().replace(
        lambda e: isinstance(e, HadamardPower) and e.exp == 1, lambda e: e.base).replace(
        lambda e: isinstance(e, sp.Mul) and e.has(sp.sign), _unit_signs).doit()


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


def derive(expr: Any, wrt: sp.MatrixSymbol, verify: str = "points") -> MatrixDerivative:
    """The derivative of a scalar expression of matrix symbols by ``wrt``, in matrix form.

    **The guarantee.**  The formula comes from reverse-mode rules (one per node type) and is
    then verified against the *elementwise* derivative of ``expr``:

    * ``verify="points"`` (the default): at three random points with small concrete sizes
      (chosen so that every inverse exists), every entry of the formula is compared with
      the forward-mode derivative by that entry — exactly over the rationals when ``expr``
      is rational in its entries, over certified arb balls otherwise.  A wrong formula
      passes only if it agrees with the true derivative at all three random points, which
      by the Schwartz–Zippel lemma has probability below 10⁻⁹.  The check costs
      milliseconds and gives up (DeriveError) after 5 s instead of hanging.
    * ``verify="symbolic"``: entry by entry against ``sympy.diff`` of the written-out
      expression — a proof for the concrete sizes tried, but slow on inverses.
    * ``verify="none"``: no check.

    Anything symnn cannot differentiate in matrix form, or whose verification fails or
    cannot be carried out, raises :class:`DeriveError`; symnn never returns a silent zero.
    ``Abs`` differentiates to ``sign``, valid where its argument is not 0.

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
        _verify(root, wrt, formula, verify)
    except (TypeError, ValueError, NotImplementedError, AttributeError, IndexError) as exc:
        # SymPy's own matrix machinery gave up somewhere inside; say so in one line.
        raise DeriveError(f"cannot differentiate {root} by {wrt}: SymPy raised "
                          f"{type(exc).__name__}: {exc}") from None
    return MatrixDerivative(root, wrt, formula)


_verify = verify


def _pull_back(root: sp.Basic, wrt: sp.MatrixSymbol) -> sp.MatrixExpr:
    pullback = _Pullback(wrt)
    seed = sp.Identity(1) if isinstance(root, sp.MatrixExpr) else sp.Integer(1)
    pullback.pull(root, seed)
    if not pullback.contributions:
        return sp.ZeroMatrix(*wrt.shape)
    return _tidy(sp.MatAdd(*pullback.contributions))
