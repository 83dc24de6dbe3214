"""Plots of :class:`~symnn.sheets.steps.Figure` steps with matplotlib (the optional ``[plots]`` extra).

Each figure shows every curve of the step (an activation and its derivative) over the
step's range, with the exercise's points marked on both; a figure with a diagram shows it
(:mod:`symnn.sheets.render.diagrams`), one with a series shows the loss curve.  This module
turns a Figure into a :class:`~symnn.sheets.render.drawing.Drawing` (floats and text only:
the curves sampled, each diagram number as certified text) and hands it to
:mod:`symnn.sheets.render.drawing`, which draws it here or in a worker that has no SymPy.

Diagram numbers (:func:`number_text`) are the exact value of the step, shown as its exact
decimal when that has at most :data:`EXACT_PLACES` places (or rounding would not change it)
and otherwise rounded (certified, half to even) to :data:`PLACES` places, with more places
for a small value so it keeps two significant digits.

Without matplotlib, :func:`available` is false and renderers print :data:`MISSING_NOTE`
in place of each plot instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from symnn.core.calculus import x as curve_variable
from symnn.core.decimals import decimal_text, is_exact_decimal, numeric_value, rational_text, round_rational
from symnn.sheets.render import diagrams, drawing
from symnn.sheets.render.drawing import COLOURS, Drawer, available, break_jumps, log_scaled
from symnn.sheets.steps import Derivation, Diagram, Figure, Sheet

__all__ = ["COLOURS", "Drawer", "MISSING_NOTE", "available", "break_jumps", "canvas", "draw", "drawing_of",
           "drawings_of", "figure_file", "figure_files", "figures_of", "horizontal_range", "log_scaled",
           "number_text", "sample"]

MISSING_NOTE = "Plot not drawn: matplotlib is not installed (pip install 'symnn[plots]')."
"""What a renderer prints in place of a plot when matplotlib is missing."""

PLACES = 2
"""Decimal places of a rounded number in a diagram (a picture has little room; the sheet has the rest)."""
EXACT_PLACES = 3
"""An exact decimal with at most this many places is shown as it is."""


def figure_file(figure: Figure, prefix: str, extension: str) -> str:
    """File name of a figure written beside a document, e.g. ``seed-ex4_relu.png``.

    >>> figure_file(Figure("t", "ex4_relu", ()), "seed-", "png")
    'seed-ex4_relu.png'
    """
    return drawing.file_name(figure.name, prefix, extension)


def figures_of(sheet: Sheet | Iterable[Derivation]) -> Iterator[Figure]:
    """Every Figure step of a sheet (or of some derivations), in reading order."""
    for derivation in sheet.derivations if isinstance(sheet, Sheet) else sheet:
        yield from (s for s in derivation.steps if isinstance(s, Figure))


def drawings_of(sheet: Sheet | Iterable[Derivation]) -> tuple[drawing.Drawing, ...]:
    """Every figure of a sheet (or of some derivations) as plain data for a drawing worker (none without
    matplotlib)."""
    return tuple(drawing_of(f) for f in figures_of(sheet)) if available() else ()


def figure_files(sheet: Sheet, prefix: str, extension: str) -> dict[str, bytes]:
    """Every figure of a sheet drawn as ``extension`` files, by file name (empty without matplotlib)."""
    if not available():
        return {}
    return {figure_file(f, prefix, extension): draw(f, extension) for f in figures_of(sheet)}


def sample(expr: sp.Basic, xs: np.ndarray) -> np.ndarray:
    """Float values of a curve at ``xs``; a constant curve gives a constant array.

    The code is SymPy's NumPy printing of ``expr`` run with the numpy module itself as its namespace:
    ``modules="numpy"`` would run ``from numpy import *``, which loads every lazy numpy submodule
    (``numpy.f2py`` and its imports, a tenth of a second) for nothing; the values are the same.
    """
    function = sp.lambdify(curve_variable, expr, modules=[np])
    # A curve may overflow in float64 at the ends of its range (e^1000 of a sigmoid at x = -1000):
    # the drawing takes inf and nan there, and numpy's warnings would reach the user's terminal.
    with np.errstate(all="ignore"):
        values = np.asarray(function(xs), dtype=float)
    return np.broadcast_to(values, xs.shape).copy()


def horizontal_range(figure: Figure) -> tuple[float, float]:
    """The figure's range, widened so every marked point lies inside with a margin."""
    low, high = figure.x_range
    marked = [float(p[0]) for p in figure.points]
    return min([low, *(m - 0.5 for m in marked)]), max([high, *(m + 0.5 for m in marked)])


def number_text(value: sp.Basic) -> str:
    """A number as a diagram shows it, with a true minus sign.

    >>> number_text(sp.Rational(-3, 4)), number_text(sp.Integer(12)), number_text(sp.Rational(1, 3))
    ('−0.75', '12', '0.33')
    >>> number_text(1 / (1 + sp.exp(-1))), number_text(sp.Rational(-1, 5)), number_text(sp.Rational(1, 300))
    ('0.73', '−0.2', '0.0033')
    """
    if is_exact_decimal(value) and len(rational_text(value).partition(".")[2]) <= EXACT_PLACES:
        text = rational_text(value)
    else:
        places, size = PLACES, abs(float(numeric_value(value)))
        while 0 < size < 10 ** (1 - places) and places < 12:
            places += 1
        rounded = round_rational(value, places)
        text = (rational_text(rounded) if rounded == value
                else decimal_text(Fraction(int(rounded.p), int(rounded.q)), places))
    return text.replace("-", "−")


def _text(value: sp.Basic | None) -> str | None:
    return None if value is None else number_text(value)


def picture(diagram: Diagram) -> diagrams.Picture:
    """A diagram with every number as the text drawn."""
    nodes = tuple(diagrams.Node(n.key, n.label, n.column, n.row, n.shape, _text(n.value), _text(n.gradient),
                                _text(n.bias)) for n in diagram.nodes)
    wires = tuple(diagrams.Wire(e.source, e.target, _text(e.above), _text(e.below)) for e in diagram.edges)
    return diagrams.Picture(nodes, wires, diagram.legend)


@cache
def drawing_of(figure: Figure) -> drawing.Drawing:
    """A Figure as plain data: a diagram's numbers as text, a series' values and the curves' samples as floats."""
    if figure.diagram is not None:
        return drawing.Drawing(figure.name, picture(figure.diagram))
    if figure.series:
        return drawing.Drawing(figure.name, drawing.Series(tuple(float(t) for t, _ in figure.series),
                                                           tuple(float(v) for _, v in figure.series)))
    low, high = horizontal_range(figure)
    xs = drawing.abscissae(low, high)
    marked = np.array([float(p[0]) for p in figure.points], dtype=float)
    given = tuple(float(p[1]) for p in figure.points)
    curves = []
    for index, (label, expr) in enumerate(figure.curves):
        heights = given if index == 0 or not marked.size else tuple(sample(expr, marked).tolist())
        curves.append(drawing.Curve(label, tuple(sample(expr, xs).tolist()), heights))
    return drawing.Drawing(figure.name, drawing.Curves(low, high, tuple(curves), tuple(marked.tolist())))


@cache
def canvas(figure: Figure) -> Any:
    """The matplotlib figure of a Figure step, built once and saved in every format asked for."""
    return drawing.build(drawing_of(figure))


@cache
def draw(figure: Figure, extension: str) -> bytes:
    """The figure as ``svg``, ``pdf`` or ``png`` bytes (deterministic for one matplotlib version)."""
    return drawing.save(canvas(figure), figure.name, extension)
