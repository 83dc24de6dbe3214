"""Checking a matrix-form derivative against ``sympy.diff`` of its expression written out entry by entry.

Symbolic sizes get small distinct values (2, 3, 4, ...), every matrix symbol becomes an
explicit matrix of scalar symbols, and each entry of the candidate derivative is compared
with ``sympy.diff`` of the written-out scalar by that entry: symbolically, or at random
exact points.  :func:`symnn.library.matcalc.verify` raises on the first disagreement.

>>> import sympy as sp
>>> n = sp.Symbol("n", integer=True, positive=True)
>>> E = sp.MatrixSymbol("E", n, n)
>>> disagreement(sp.Trace(E), E, sp.Identity(n)) is None
True
>>> disagreement(sp.Trace(E), E, sp.ZeroMatrix(n, n))
'entry (0, 0): 0 ≠ ∂/∂E[0,0] = 1'
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import sympy as sp

__all__ = ["disagreement"]


def disagreement(expr: sp.Basic, wrt: sp.MatrixSymbol, formula: sp.MatrixExpr) -> str | None:
    """The first entry where ``formula`` differs from ``sympy.diff`` of ``expr`` by ``wrt`` (None: none)."""
    dims = _dimension_values(expr, wrt)
    matrices = expr.atoms(sp.MatrixSymbol) | formula.atoms(sp.MatrixSymbol) | {wrt}
    explicit = _explicit_matrices(matrices, dims)
    scalar = _written_out(expr, dims, explicit)
    if isinstance(scalar, sp.MatrixBase):
        scalar = scalar[0, 0]
    candidate = sp.Matrix(_written_out(formula, dims, explicit).as_explicit())
    entries = explicit[wrt.xreplace(dims)]
    variables = sorted(set().union(*(m.free_symbols for m in explicit.values())), key=str)
    for i in range(entries.rows):
        for j in range(entries.cols):
            expected = sp.diff(scalar, entries[i, j])
            if not _same(candidate[i, j], expected, variables):
                return f"entry ({i}, {j}): {candidate[i, j]} ≠ ∂/∂{entries[i, j]} = {expected}"
    return None



def _dimension_values(expr: sp.Basic, wrt: sp.MatrixSymbol) -> dict[sp.Symbol, int]:
    """Small distinct sizes for every symbolic dimension (2, 3, 4, ...)."""
    dims: set[sp.Symbol] = set()
    for matrix in expr.atoms(sp.MatrixSymbol) | {wrt}:
        for size in matrix.shape:
            dims |= sp.sympify(size, strict=True).free_symbols
    return {d: 2 + k for k, d in enumerate(sorted(dims, key=sp.default_sort_key))}


def _explicit_matrices(matrices: set[sp.MatrixSymbol], dims: dict[sp.Symbol, int]
                       ) -> dict[sp.MatrixSymbol, sp.ImmutableMatrix]:
    explicit = {}
    for matrix in sorted(matrices, key=sp.default_sort_key):
        rows, cols = (int(sp.sympify(s, strict=True).xreplace(dims)) for s in matrix.shape)
        explicit[matrix.xreplace(dims)] = sp.ImmutableMatrix(
            rows, cols, lambda i, j, name=matrix.name: sp.Symbol(f"{name}[{i},{j}]"))
    return explicit


def _explicit_node(node: sp.Basic) -> sp.Basic:
    """Rebuild ``node`` bottom-up with every matrix written out entry by entry."""
    if isinstance(node, sp.MatrixBase):
        return node
    if not node.args or isinstance(node, (sp.Identity, sp.OneMatrix, sp.ZeroMatrix)):
        return node.as_explicit() if isinstance(node, sp.MatrixExpr) else node
    rebuilt = node.func(*[_explicit_node(arg) for arg in node.args]).doit()
    if isinstance(rebuilt, sp.MatrixExpr) and not isinstance(rebuilt, sp.MatrixBase):
        return rebuilt.as_explicit()
    return rebuilt


def _written_out(expr: sp.Basic, dims: dict[sp.Symbol, int],
                 explicit: dict[sp.MatrixSymbol, sp.ImmutableMatrix]) -> Any:
    # Concrete sizes first, so that explicit Sums over entries expand to single entries.
    concrete = expr.xreplace(dims).doit()
    return _explicit_node(concrete.xreplace(explicit))


def _same(a: sp.Expr, b: sp.Expr, variables: Sequence[sp.Symbol]) -> bool:
    """Whether two scalar expressions are equal: symbolically, or at random exact points.

    Agreement to 40 digits at three random rational points (evaluated with 60 digits)
    counts as equal when SymPy cannot cancel the difference itself.
    """
    difference = a - b
    if difference == 0 or sp.expand(difference) == 0:
        return True
    rng = random.Random(20240607)
    agreed = 0
    for _ in range(8):
        point = {v: sp.Rational(rng.randint(1, 97), rng.randint(1, 13)) for v in variables}
        value, size = (sp.N(e.xreplace(point), 60) for e in (difference, a))
        if not (value.is_number and size.is_number) or value.has(sp.nan, sp.zoo, sp.oo):
            continue
        if abs(complex(value)) > 1e-40 * max(1.0, abs(complex(size))):
            return False
        agreed += 1
        if agreed == 3:
            return True
    return bool(sp.simplify(difference) == 0)
