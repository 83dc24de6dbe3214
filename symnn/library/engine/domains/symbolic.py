"""Exact SymPy matrices: the values a worked solution prints.

Entries are exact SymPy numbers or expressions (``σ(3/2) − 1`` stays as it is).  A rule
marked ``tidy`` has its values combined over one denominator when that is cheap, which is
the form the sheets show; nothing is ever fully simplified.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import sympy as sp

from symnn.core.calculus import substitute
from symnn.core.decimals import matrix_rows
from symnn.errors import MathDomainError
from symnn.library.engine.rules import ColumnRule, Rule

Matrix: TypeAlias = sp.ImmutableMatrix

REMEMBERED_ENTRIES = 1 << 16
"""Most entries :meth:`Symbolic.entrywise` remembers before it starts afresh."""
REMEMBERED_PRODUCTS = 256
"""Most matrix products and row sums remembered (whole matrices, so few: the repeats come within one
worked solution)."""


def finite(value: sp.Basic, what: str, at: sp.Basic) -> sp.Basic:
    """``value``, or a :class:`MathDomainError` when it is infinite or undefined."""
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise MathDomainError(f"{what} is undefined or infinite at {at}")
    return value


TIDY_OPS = 40
"""Most operations (SymPy's ``count_ops``) of a value that :func:`tidy` combines over one denominator."""


def tidy(value: sp.Basic) -> sp.Basic:
    """Combine an exact value over one denominator when that is cheap (never a full simplify):
    when it has at most :data:`TIDY_OPS` operations.

    A sigmoid's value and delta are decided by their form (:func:`over_one_plus_exp`,
    :func:`sigmoid_over_one_denominator`).  ``count_ops`` builds a symbolic tally of every
    operation; a softmax output of 32 classes holds a 32-term sum, so :func:`surely_more_ops`
    first decides the clear cases without it.
    """
    if value.is_Rational or over_one_plus_exp(value):
        return value
    combined = sigmoid_over_one_denominator(value)
    if combined is not None:
        return combined
    if surely_more_ops(value, TIDY_OPS) or value.count_ops() > TIDY_OPS:
        return value
    return sp.together(value)


def surely_more_ops(value: sp.Basic, limit: int) -> bool:
    """Whether ``value`` has more than ``limit`` operations by a lower bound of SymPy's ``count_ops``.

    Every sum of k terms counts k − 1 additions or subtractions there, and every applied function
    (exp, log, …) one operation; the walk goes through the tree as ``count_ops`` does (a repeated
    subexpression each time) and stops as soon as the bound exceeds ``limit``.  False means "not
    decided", not "fewer".

    >>> z = sp.symbols("z_1:33")
    >>> surely_more_ops(sp.exp(z[0]) / sp.Add(*map(sp.exp, z)), 40), surely_more_ops(z[0] + 1, 40)
    (True, False)
    """
    bound = 0
    stack = [value]
    while stack:
        node = stack.pop()
        if node.is_Add:
            bound += len(node.args) - 1
        elif node.is_Function:
            bound += 1
        if bound > limit:
            return True
        stack.extend(node.args)
    return False


def sigmoid_over_one_denominator(value: sp.Basic) -> sp.Basic | None:
    """``together(value)`` for ``1/(1 + e^-a)``, ``-1 + 1/(1 + e^a)`` and ``-1 + 1/(1 + e^-a)`` (a a
    positive rational: a sigmoid output, and its delta against a target 1), built directly; else None.

    Over the one denominator 1 + e^a they are e^a/(1 + e^a), −e^a/(1 + e^a) and −1/(1 + e^a): the
    forms ``together`` gives (it multiplies a sum holding e^-a through by e^a), without its
    polynomial machinery.
    """
    shifted = type(value) is sp.Add and len(value.args) == 2 and sp.S.NegativeOne in value.args
    if shifted:
        value = value.args[1] if value.args[0] == -1 else value.args[0]
    if not _inverse_of_one_plus_exp(value, positive=False):
        return None
    first, second = value.base.args
    q = (second if first == 1 else first).args[0]
    if q > 0 and not shifted:
        return None  # already over its one denominator (over_one_plus_exp)
    power = sp.exp(abs(q))
    denominator = 1 + power
    if not shifted:
        return power / denominator
    return -power / denominator if q > 0 else -1 / denominator


def over_one_plus_exp(value: sp.Basic) -> bool:
    """Whether ``value`` is ``c · e^r / (1 + e^q)`` (c, r rational, q a positive rational; c and e^r may be
    absent), a sigmoid delta's form, which :func:`sympy.together` gives back as it is: it keeps a
    product's rational and a function as they are and writes a sum over a common denominator with
    its common factor taken out, and ``1 + e^q`` has neither (its terms are 1 and e^q; with q < 0,
    e^q counts as 1/e^-q and the sum is rewritten over e^-q).  Deciding so here spares counting its
    operations and running ``together``."""
    factors = value.args if type(value) is sp.Mul else (value,)
    if isinstance(factors[0], sp.Rational):
        factors = factors[1:]
    inverses = [f for f in factors if _inverse_of_one_plus_exp(f)]
    return len(inverses) == 1 and len(factors) <= 2 and all(f in inverses or _exp_of_rational(f) for f in factors)


def _inverse_of_one_plus_exp(value: sp.Basic, positive: bool = True) -> bool:
    """Whether ``value`` is 1/(1 + e^q), q a rational (a positive one unless ``positive`` is False)."""
    if type(value) is not sp.Pow or value.exp != -1 or type(value.base) is not sp.Add or len(value.base.args) != 2:
        return False
    first, second = value.base.args
    return (first == 1 and _exp_of_rational(second, positive)) or (second == 1 and _exp_of_rational(first, positive))


def _exp_of_rational(value: sp.Basic, positive: bool = False) -> bool:
    return type(value) is sp.exp and isinstance(value.args[0], sp.Rational) and (value.args[0].p > 0 or not positive)


def entries(a: Matrix) -> list[sp.Basic]:
    """The entries row by row (what iterating the matrix gives, read at once)."""
    return [e for row in matrix_rows(a) for e in row]


class Symbolic:
    """The domain of exact ``ImmutableMatrix`` values (the sheets)."""

    name = "sympy"

    def shape(self, a: Matrix) -> tuple[int, int]:
        return int(a.rows), int(a.cols)

    def matmul(self, a: Matrix, b: Matrix) -> Matrix:
        # Remembered: a worked solution forms each gradient δ Aᵀ several times (shown, stepped, updated).
        return self._remembered(("matmul", a, b), lambda: Matrix(a * b))

    def _remembered(self, key: tuple[str, Matrix, Matrix | None], compute: Callable[[], Matrix]) -> Matrix:
        """``compute()``, or what it gave for ``key`` in this process (the same operation on equal matrices)."""
        try:
            return self._products[key]
        except KeyError:
            pass
        except TypeError:  # a mutable matrix has no hash
            return compute()
        value = compute()
        if len(self._products) >= REMEMBERED_PRODUCTS:
            self._products.clear()
        self._products[key] = value
        return value

    def transpose(self, a: Matrix) -> Matrix:
        return a.T

    def add(self, a: Matrix, b: Matrix) -> Matrix:
        return Matrix(a + b)

    def sub(self, a: Matrix, b: Matrix) -> Matrix:
        return Matrix(a - b)

    def hadamard(self, a: Matrix, b: Matrix) -> Matrix:
        return Matrix(a.rows, a.cols, [tidy(p * q) for p, q in zip(entries(a), entries(b))])

    def add_bias(self, z: Matrix, b: Matrix) -> Matrix:
        return Matrix(z + Matrix(z.rows, z.cols, lambda i, j: b[i, 0]))

    def row_sums(self, a: Matrix) -> Matrix:
        return self._remembered(("row_sums", a, None), lambda: Matrix(a.rows, 1, [sp.Add(*row) for row in matrix_rows(a)]))

    def scale(self, k: Any, a: Matrix) -> Matrix:
        return k * a

    def __init__(self) -> None:
        self._entries: dict[tuple[Rule, tuple[sp.Basic, ...], Any], sp.Basic] = {}
        self._products: dict[tuple[str, Matrix, Matrix | None], Matrix] = {}

    def entrywise(self, rule: Rule, args: Sequence[Matrix], scale: Any = None) -> Matrix:
        constants = dict(rule.constants)
        remembered = self._entries

        def entry(values: tuple[sp.Basic, ...]) -> sp.Basic:
            # A rule at the same numbers gives the same value: remembered per process (variants of one
            # exercise put the same few numbers into ReLU, its derivative, ... thousands of times).
            key = (rule, values, scale)
            try:
                return remembered[key]
            except (KeyError, TypeError):
                pass
            value = substitute(rule.expr, {**dict(zip(rule.variables, values)), **constants})
            if scale is not None:
                value = value * scale
            if rule.tidy:
                value = tidy(value)
            value = value if rule.label is None else finite(value, rule.label, values[0])
            if len(remembered) >= REMEMBERED_ENTRIES:
                remembered.clear()
            remembered[key] = value
            return value

        first = args[0]
        return Matrix(first.rows, first.cols, [entry(values) for values in zip(*map(entries, args))])

    def columnwise(self, rule: ColumnRule, args: Sequence[Matrix], scale: Any = None) -> Matrix:
        rows, cols = self.shape(args[0])
        columns = []
        for j in range(cols):
            mapping = dict(zip(rule.variables, [m[i, j] for m in args for i in range(m.rows)]))
            column = [e.xreplace(mapping) for e in rule.exprs]
            columns.append([tidy(v if scale is None else v * scale) for v in column])
        return Matrix(rows, cols, lambda i, j: columns[j][i])

    def column_totals(self, a: Matrix) -> list[Any]:
        return [sp.Add(*a.col(j)) for j in range(a.cols)]

    def total(self, values: Sequence[Any]) -> Any:
        return sp.Add(*values)

    def finite(self, value: Any, what: str, at: str) -> Any:
        return finite(value, what, at)


SYMBOLIC = Symbolic()
"""The exact SymPy domain."""
