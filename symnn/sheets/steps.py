"""The typed steps of a worked solution: plain data between the engine and renderers.

An exercise module turns an :class:`~symnn.sheets.spec.ExerciseSpec` into a
:class:`Derivation`: an ordered list of steps plus the named exact quantities of
its answer key.  Renderers (Markdown, JSON, LaTeX, HTML) only read these objects;
they never differentiate or simplify, and the derivation never formats strings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeAlias

import sympy as sp

Inline: TypeAlias = str | sp.Basic
"""A piece of prose: plain text, or a SymPy object shown as inline math."""


@dataclass(frozen=True, slots=True)
class Heading:
    """A sub-step title inside an exercise."""

    text: str
    """The title, plain text."""


@dataclass(frozen=True, slots=True)
class Prose:
    """A sentence or paragraph of explanation, with inline mathematics."""

    parts: tuple[Inline, ...]
    """Text and SymPy objects in reading order."""


@dataclass(frozen=True, slots=True)
class Equation:
    """One displayed chain ``lhs = formula = substituted = exact ≈ decimal``.

    Any of ``formula``, ``substituted`` and ``exact`` may be missing; renderers
    show the ones present, in that order, and add the decimal value of ``exact``
    when it is not already exact as written.
    """

    lhs: sp.Basic
    """What is being computed, e.g. the symbol ``Z_1``."""
    formula: sp.Basic | None = None
    """The general formula in symbols, e.g. ``W_1 x + b_1``."""
    substituted: tuple[sp.Basic, ...] = ()
    """The same formula with the given numbers put in, unevaluated (possibly in stages)."""
    exact: sp.Basic | None = None
    """The exact result (a SymPy number or matrix)."""
    quantity: str | None = None
    """The answer-key name this equation defines, if any (e.g. ``"Z1"``)."""


@dataclass(frozen=True, slots=True)
class Table:
    """A small table of values (e.g. every activation at every input)."""

    header: tuple[Inline, ...]
    """Column titles."""
    rows: tuple[tuple[Inline, ...], ...]
    """Cells, row by row; numbers are exact SymPy values."""


@dataclass(frozen=True, slots=True)
class Figure:
    """A plot to be drawn by renderers that can (the data, not an image)."""

    title: str
    """Caption."""
    name: str
    """File stem for renderers that write the image beside the sheet."""
    curves: tuple[tuple[str, sp.Basic], ...]
    """(label, expression in ``symnn.core.calculus.x``) pairs to draw."""
    points: tuple[tuple[sp.Basic, sp.Basic], ...] = ()
    """Marked points (x, y), exact."""
    x_range: tuple[float, float] = (-4.0, 4.0)
    """Horizontal extent."""
    series: tuple[tuple[int, sp.Basic], ...] = ()
    """Data to draw as a line instead of curves, (step, exact value) pairs: a loss curve over training steps."""


Step: TypeAlias = Heading | Prose | Equation | Table | Figure
"""Any step of a derivation."""


@dataclass(frozen=True, slots=True)
class Quantity:
    """A named exact result in the answer key."""

    name: str
    """Answer-key name, e.g. ``"dL_dW1"``."""
    symbol: sp.Basic
    """How it is written on the sheet, e.g. ``∂L/∂W_1``."""
    exact: sp.Basic
    """The exact value: a SymPy number or an immutable matrix."""
    caption: str = ""
    """A few words for the final-results list."""


class NotebookDisplay:
    """Jupyter's display methods, shared by :class:`Derivation` and :class:`Sheet` (see :data:`NOTEBOOK`)."""

    __slots__ = ()

    def _repr_html_(self) -> str | None:
        return _show(self, "html")

    def _repr_markdown_(self) -> str | None:
        return _show(self, "markdown")

    def _repr_latex_(self) -> str | None:
        return _show(self, "latex")


@dataclass(frozen=True, slots=True)
class Derivation(NotebookDisplay):
    """The worked solution of one exercise."""

    id: str
    """Exercise id (``ex1`` ...)."""
    kind: str
    """Exercise kind."""
    title: str
    """Exercise title."""
    steps: tuple[Step, ...]
    """The worked solution, in reading order."""
    quantities: tuple[Quantity, ...]
    """Every named numeric result, in order of computation."""
    summary: tuple[str, ...]
    """Names of the quantities listed as final results."""
    remarks: tuple[Prose, ...] = ()
    """Closing notes (conventions used, disagreements with a common alternative)."""

    def quantity(self, name: str) -> Quantity:
        """The quantity called ``name``."""
        for q in self.quantities:
            if q.name == name:
                return q
        raise KeyError(f"exercise {self.id} has no quantity {name!r}")

    def values(self) -> dict[str, sp.Basic]:
        """Every quantity's exact value, by name."""
        return {q.name: q.exact for q in self.quantities}


@dataclass(frozen=True, slots=True)
class Sheet(NotebookDisplay):
    """A solved sheet: its title and every exercise's derivation."""

    title: str
    """Sheet title."""
    derivations: tuple[Derivation, ...]
    """One per exercise, in order."""
    settings: dict[str, object] = field(default_factory=dict, compare=False)
    """Display settings shared by renderers (e.g. ``decimals``)."""

    def __getitem__(self, exercise_id: str) -> Derivation:
        for d in self.derivations:
            if d.id == exercise_id:
                return d
        raise KeyError(f"no exercise {exercise_id!r}")


NOTEBOOK: dict[str, Callable[[Sheet | Derivation], str]] = {}
"""How a notebook shows a sheet or a derivation, by format (``html``, ``markdown``, ``latex``).

The renderers sit above these plain-data steps, so they register themselves here
(:func:`symnn.sheets.render.notebook.install`, done by :mod:`symnn.sheets.pipeline`, which
``symnn.solve`` comes from); a format not registered is not offered (Jupyter then tries the next).
"""


def _show(item: NotebookDisplay, fmt: str) -> str | None:
    display = NOTEBOOK.get(fmt)
    return display(item) if display is not None else None  # type: ignore[arg-type]
