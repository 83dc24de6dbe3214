"""Shared pieces for exercise modules: a derivation builder and exact conversions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import lru_cache
from typing import Any

import sympy as sp

from symnn.sheets.spec import ExerciseSpec, Matrix
from symnn.sheets.steps import Derivation, Equation, Heading, Inline, Prose, Quantity, Step, Table, runs

EXPANSION_LIMIT = 16
"""Matrices with more entries than this are not written out entry by entry."""


def exact(value: Fraction | int) -> sp.Rational:
    """A Fraction as an exact SymPy rational."""
    return sp.Rational(value.numerator, value.denominator) if isinstance(value, Fraction) else sp.Integer(value)


def to_matrix(m: Matrix) -> sp.ImmutableMatrix:
    """A spec matrix (rows of Fractions) as an exact SymPy matrix (remembered: a worked solution reads
    each given matrix several times)."""
    if isinstance(m, tuple) and all(type(row) is tuple and all(type(v) in (Fraction, int) for v in row) for row in m):
        return _given_matrix(m)
    return sp.ImmutableMatrix([[exact(v) for v in row] for row in m])


@lru_cache(maxsize=1024)
def _given_matrix(m: Matrix) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix([[exact(v) for v in row] for row in m])


def entrywise(m: sp.MatrixBase, f: Callable[[sp.Basic], sp.Basic]) -> sp.ImmutableMatrix:
    """Apply ``f`` to every entry."""
    return sp.ImmutableMatrix(m.rows, m.cols, [f(v) for v in m])


def unevaluated(expr: sp.Basic, mapping: dict[sp.Basic, sp.Basic]) -> sp.Basic:
    """``expr`` with symbols replaced by values, nothing computed (for substitution steps)."""
    with sp.evaluate(False):
        return expr.xreplace(mapping)


def product_expansion(A: sp.MatrixBase, B: sp.MatrixBase, c: sp.MatrixBase | None = None) -> sp.ImmutableMatrix:
    """The matrix ``A B (+ c)`` with every entry written as an unevaluated sum of products."""
    rows = []
    for i in range(A.rows):
        row = []
        for j in range(B.cols):
            terms: list[sp.Basic] = [sp.Mul(A[i, k], B[k, j], evaluate=False) for k in range(A.cols)]
            if c is not None:
                terms.append(c[i, j if c.cols > 1 else 0])
            row.append(sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0])
        rows.append(row)
    return sp.ImmutableMatrix(rows)


def as_scalar(form: sp.Basic) -> sp.Basic:
    """A 1×1 matrix as its entry (an exercise that states a scalar shows scalars); anything else as it is.

    >>> as_scalar(sp.ImmutableMatrix([[sp.Rational(1, 2)]])), as_scalar(sp.ImmutableMatrix([[1, 2]]))
    (1/2, Matrix([[1, 2]]))
    """
    if isinstance(form, sp.MatrixBase) and form.shape == (1, 1):
        return form[0, 0]
    if isinstance(form, sp.MatMul) and any(isinstance(f, sp.MatrixBase) and f.shape == (1, 1) for f in form.args):
        factors = [as_scalar(f) for f in form.args]
        if any(isinstance(f, sp.MatrixBase) for f in factors):  # a number times a matrix
            return sp.MatMul(*factors, evaluate=False)
        return sp.Mul(*factors, evaluate=False)
    return form


def small(*matrices: sp.MatrixBase) -> bool:
    """Whether matrices are small enough to write out entry by entry."""
    return all(m.rows * m.cols <= EXPANSION_LIMIT for m in matrices)


class Builder:
    """Collects the steps and quantities of one derivation, in order."""

    def __init__(self, spec: ExerciseSpec[Any], default_title: str) -> None:
        self.spec = spec
        self.title = spec.title or default_title
        self.steps: list[Step] = []
        self.quantities: list[Quantity] = []
        self.remarks: list[Prose] = []
        self.scalars = False
        """Whether 1×1 matrices are shown as scalars (the exercise states its output and target as numbers);
        the answer key keeps the matrices."""

    def heading(self, text: str) -> None:
        self.steps.append(Heading(text))

    def say(self, *parts: Inline) -> None:
        self.steps.append(Prose(runs(parts)))

    def remark(self, *parts: Inline) -> None:
        self.remarks.append(Prose(runs(parts)))

    def table(self, header: Sequence[Inline], rows: Sequence[Sequence[Inline]]) -> None:
        self.steps.append(Table(tuple(header), tuple(tuple(r) for r in rows)))

    def step(self, step: Step) -> None:
        self.steps.append(step)

    def equation(
        self,
        lhs: sp.Basic,
        formula: sp.Basic | None = None,
        substituted: Sequence[sp.Basic] | sp.Basic = (),
        value: sp.Basic | None = None,
        quantity: str | None = None,
        caption: str | tuple[Inline, ...] = "",
        exact_shown: bool = True,
    ) -> sp.Basic:
        """Show ``lhs = formula = substituted... = value`` and record ``quantity``; return value.

        With ``exact_shown`` false the chain ends ``= substituted ≈ decimal`` and the final results
        write the value as the last substitution (see :attr:`Equation.exact_shown`).
        """
        subs = (substituted,) if isinstance(substituted, sp.Basic) else tuple(substituted)
        exact_shown = exact_shown or not subs
        shown = value
        if self.scalars:
            subs, shown = tuple(as_scalar(s) for s in subs), None if value is None else as_scalar(value)
        self.steps.append(Equation(lhs, formula, subs, shown, quantity, exact_shown))
        if quantity is not None:
            if value is None:
                raise ValueError(f"quantity {quantity} needs a value")
            self.quantities.append(Quantity(quantity, lhs, value, caption, None if exact_shown else subs[-1],
                                            self.scalars))
        return value if value is not None else sp.S.Zero

    def done(self, summary: Sequence[str]) -> Derivation:
        return Derivation(
            id=self.spec.id,
            kind=self.spec.kind,
            title=self.title,
            steps=tuple(self.steps),
            quantities=tuple(self.quantities),
            summary=tuple(summary),
            remarks=tuple(self.remarks),
        )

