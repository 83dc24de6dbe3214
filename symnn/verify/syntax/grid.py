"""Matrix values of an evaluation: rows of entries of one arithmetic, whatever its numbers.

:mod:`symnn.verify.syntax.evaluate` computes with these for every arithmetic (exact SymPy
values, intervals): a function of a matrix applies entry by entry, a number combines with
every entry, and a 1×1 matrix is a number.  Sizes are bounded by :data:`MAX_ENTRIES`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from symnn.errors import ParseError

S = TypeVar("S")

MAX_ENTRIES = 10_000
"""The most entries of any matrix built while evaluating."""


@dataclass(frozen=True, slots=True)
class Grid(Generic[S]):
    """A matrix value: rows of entries of one arithmetic."""

    rows: tuple[tuple[S, ...], ...]
    """The entries, row by row."""

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.rows[0])

    @property
    def is_vector(self) -> bool:
        return 1 in self.shape

    def entries(self) -> list[S]:
        return [entry for row in self.rows for entry in row]

    def transposed(self) -> Grid[S]:
        return Grid(tuple(zip(*self.rows)))


Value = Any
"""A scalar of the arithmetic, or a :class:`Grid` of them."""


def shape_name(shape: tuple[int, int]) -> str:
    """``2×3``."""
    return f"{shape[0]}×{shape[1]}"


def grid(rows: tuple[tuple[Any, ...], ...]) -> Value:
    """The matrix of ``rows`` (a 1×1 matrix is its entry); refuses one too large."""
    if len(rows) * len(rows[0]) > MAX_ENTRIES:
        raise ParseError(f"a matrix with more than {MAX_ENTRIES} entries")
    return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else Grid(rows)


def entrywise(operation: Callable[..., Any], *values: Value, what: str) -> Value:
    """Apply a scalar operation entry by entry; numbers combine with every entry."""
    grids = [v for v in values if isinstance(v, Grid)]
    if not grids:
        return operation(*values)
    shape = grids[0].shape
    for other in grids[1:]:
        if other.shape != shape:
            raise ParseError(
                f"cannot {what} a {shape_name(shape)} and a {shape_name(other.shape)} matrix"
            )
    rows = []
    for i in range(shape[0]):
        rows.append(
            tuple(
                operation(*(v.rows[i][j] if isinstance(v, Grid) else v for v in values))
                for j in range(shape[1])
            )
        )
    return grid(tuple(rows))


Operation = Callable[[S, S], S]


def matrix_product(a: Grid[S], b: Grid[S], add: Operation[S], mul: Operation[S]) -> Value:
    """The product of an m×n and an n×p matrix, with the arithmetic's ``add`` and ``mul``."""
    rows_a, inner = a.shape
    columns = b.shape[1]
    if rows_a * columns > MAX_ENTRIES or rows_a * columns * inner > 10 * MAX_ENTRIES:
        raise ParseError("a matrix product too large to compute")
    rows = tuple(
        tuple(
            dot(list(a.rows[i]), [b.rows[k][j] for k in range(inner)], add, mul)
            for j in range(columns)
        )
        for i in range(rows_a)
    )
    return grid(rows)


def dot(left: list[S], right: list[S], add: Operation[S], mul: Operation[S]) -> S:
    """The sum of the products of two equally long lists of entries."""
    total = mul(left[0], right[0])
    for x, y in zip(left[1:], right[1:]):
        total = add(total, mul(x, y))
    return total
