"""What the convolution-family kinds share: reading stacks of matrices, and the one sliding-window definition.

The kinds ``conv2d``, ``pool`` and ``conv_transpose`` (and the size rule of
``cnn_sizes``) all slide a window over a grid.  Which input entry meets which kernel
entry is defined once here (:func:`correlate`, :func:`windows`), generically over the
entries' type: the solvers run it on SymPy numbers and symbols, ``symnn check``'s recipes
on :class:`~symnn.core.interval.Interval` values.  No SymPy is imported here.

Index rules (rows shown; columns alike).  The input of height H is padded with P zeros on
each side; a kernel of size F with dilation D covers D(F − 1) + 1 rows; output row i
(0-based) reads the padded rows iS + uD for u = 0 … F − 1, so the output has
⌊(H + 2P − D(F − 1) − 1)/S⌋ + 1 rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from symnn.errors import ShapeError
from symnn.sheets.fields import Context, Matrix, read_matrix, shape

T = TypeVar("T")

Tensor = tuple[Matrix, ...]
"""Channels of equal-shaped matrices, C × H × W (one matrix for one channel)."""
Stack = tuple[Tensor, ...]
"""Several tensors, e.g. F filters of C × kh × kw each."""
Grid = Sequence[Sequence[T]]
"""A matrix of any entry type, row by row."""


def depth(value: Any) -> int:
    """How deeply a TOML value nests lists: a number 0, a flat list 1, a matrix 2 …"""
    d = 0
    while isinstance(value, list) and value:
        value, d = value[0], d + 1
    return d


def read_tensor(value: Any, name: str, ctx: Context) -> Tensor:
    """Channels: one matrix (one channel), or a list of matrices of one shape (C channels)."""
    if depth(value) <= 2:
        return (read_matrix(value, name, ctx),)
    if depth(value) != 3 or not all(isinstance(v, list) for v in value):
        raise ctx.error(f"{name} must be a matrix or a list of matrices (one per channel)")
    channels = tuple(read_matrix(v, f"{name} channel {c}", ctx) for c, v in enumerate(value, start=1))
    first = shape(channels[0])
    for c, m in enumerate(channels[1:], start=2):
        if shape(m) != first:
            raise ctx.error(f"{name} channel {c} is {shape(m)[0]}×{shape(m)[1]} but channel 1 is "
                            f"{first[0]}×{first[1]}", ShapeError)
    return channels


def read_stack(value: Any, name: str, ctx: Context) -> Stack:
    """A matrix (one tensor of one channel), a list of matrices (one per tensor, each of one channel,
    regrouped by :func:`regroup` where channels are meant), or a list of lists of matrices."""
    d = depth(value)
    if d <= 2:
        return ((read_matrix(value, name, ctx),),)
    if d == 3:
        return tuple((read_matrix(v, f"{name}[{f}]", ctx),) for f, v in enumerate(value, start=1))
    if d == 4 and all(isinstance(v, list) for v in value):
        return tuple(read_tensor(v, f"{name}[{f}]", ctx) for f, v in enumerate(value, start=1))
    raise ctx.error(f"{name} must be a matrix, a list of matrices, or a list of lists of matrices")


def regroup(stack: Stack, channels: int) -> Stack:
    """A list of one-channel matrices read for a C-channel input (C > 1, C of them) is one tensor of C channels."""
    if channels > 1 and len(stack) == channels and all(len(t) == 1 for t in stack):
        return (tuple(t[0] for t in stack),)
    return stack


def extent(size: int, dilation: int) -> int:
    """Rows a kernel of ``size`` rows covers at ``dilation``: D(F − 1) + 1."""
    return dilation * (size - 1) + 1


def output_size(n: int, size: int, stride: int, padding: int, dilation: int = 1) -> int:
    """⌊(n + 2P − D(F − 1) − 1)/S⌋ + 1: outputs along one axis (≤ 0 when the kernel does not fit).

    >>> output_size(227, 11, 4, 0), output_size(4, 2, 2, 1)
    (55, 3)
    """
    return (n + 2 * padding - extent(size, dilation)) // stride + 1


def pad(grid: Grid[T], p: int, zero: T, q: int | None = None) -> list[list[T]]:
    """``grid`` with ``p`` rows of ``zero`` above and below and ``q`` columns (default ``p``) left and right."""
    q = p if q is None else q
    width = len(grid[0]) + 2 * q
    rows = [[zero] * width for _ in range(p)]
    rows += [[zero] * q + list(row) + [zero] * q for row in grid]
    rows += [[zero] * width for _ in range(p)]
    return rows


def crop(grid: Grid[T], p: int) -> list[list[T]]:
    """``grid`` without its outer ``p`` rows and columns."""
    return [list(row[p:len(row) - p]) for row in grid[p:len(grid) - p]]


def rot180(grid: Grid[T]) -> list[list[T]]:
    """The grid turned by 180°: rows and columns reversed (the flipped kernel)."""
    return [list(reversed(row)) for row in reversed(grid)]


def spread(grid: Grid[T], step: int, zero: T) -> list[list[T]]:
    """``step − 1`` rows and columns of ``zero`` between neighbouring entries (a stride undone)."""
    rows, cols = len(grid), len(grid[0])
    out = [[zero] * ((cols - 1) * step + 1) for _ in range((rows - 1) * step + 1)]
    for i in range(rows):
        for j in range(cols):
            out[i * step][j * step] = grid[i][j]
    return out


def windows(rows: int, cols: int, size: tuple[int, int], stride: int, dilation: int = 1,
            ) -> list[list[list[tuple[int, int, int, int]]]]:
    """For every output (i, j) of a grid of ``rows`` × ``cols`` (already padded): the (row, col) it reads
    for each kernel position (u, v), as (row, col, u, v)."""
    kh, kw = size
    out_rows = (rows - extent(kh, dilation)) // stride + 1
    out_cols = (cols - extent(kw, dilation)) // stride + 1
    return [[[(i * stride + u * dilation, j * stride + v * dilation, u, v) for u in range(kh) for v in range(kw)]
             for j in range(out_cols)] for i in range(out_rows)]


def correlate(inputs: Sequence[Grid[T]], kernels: Sequence[Grid[T]], stride: int, dilation: int,
              combine: Callable[[list[tuple[T, T]]], T]) -> list[list[T]]:
    """The cross-correlation of padded input channels with one filter's kernels, channel by channel summed:
    entry (i, j) is ``combine`` of the (input, kernel) factor pairs Σ_c Σ_u Σ_v X_c[iS + uD, jS + vD] K_c[u, v]."""
    first = kernels[0]
    grid = windows(len(inputs[0]), len(inputs[0][0]), (len(first), len(first[0])), stride, dilation)
    return [[combine([(x[r][s], k[u][v]) for x, k in zip(inputs, kernels) for r, s, u, v in cell])
             for cell in row] for row in grid]


def kernel_pairs(inputs: Grid[T], grad: Grid[T], size: tuple[int, int], stride: int, dilation: int,
                 ) -> list[list[list[tuple[T, T]]]]:
    """For every kernel position (u, v): the (upstream gradient, padded input) pairs it met, one per output.

    This is the chain rule's bookkeeping for ∂L/∂K[u, v] = Σ_ij ∂L/∂Y[i, j] · X[iS + uD, jS + vD];
    the solver differentiates with SymPy and uses these pairs only to write the sum out.
    """
    kh, kw = size
    pairs: list[list[list[tuple[T, T]]]] = [[[] for _ in range(kw)] for _ in range(kh)]
    for i, row in enumerate(windows(len(inputs), len(inputs[0]), size, stride, dilation)):
        for j, cell in enumerate(row):
            for r, s, u, v in cell:
                pairs[u][v].append((grad[i][j], inputs[r][s]))
    return pairs


def input_pairs(rows: int, cols: int, kernel: Grid[T], grad: Grid[T], stride: int, dilation: int,
                ) -> list[list[list[tuple[T, T]]]]:
    """For every entry (r, s) of a padded input of ``rows`` × ``cols``: the (upstream gradient, kernel) pairs
    of the outputs that read it — the scatter picture of ∂L/∂X."""
    pairs: list[list[list[tuple[T, T]]]] = [[[] for _ in range(cols)] for _ in range(rows)]
    for i, row in enumerate(windows(rows, cols, (len(kernel), len(kernel[0])), stride, dilation)):
        for j, cell in enumerate(row):
            for r, s, u, v in cell:
                pairs[r][s].append((grad[i][j], kernel[u][v]))
    return pairs

