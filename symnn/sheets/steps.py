"""The typed steps of a worked solution: plain data between the engine and renderers.

An exercise module turns an :class:`~symnn.sheets.spec.ExerciseSpec` into a
:class:`Derivation`: an ordered list of steps plus the named exact quantities of
its answer key.  Renderers (Markdown, JSON, LaTeX, HTML) only read these objects;
they never differentiate or simplify, and the derivation never formats strings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeAlias

import sympy as sp


@dataclass(frozen=True, slots=True)
class Text:
    """A run of words in prose: never mathematics.

    Symbols, subscripts, exponents and relations belong in a :class:`Math` run, which
    every renderer typesets; a text run is printed as it is (escaped where a format needs it).
    """

    text: str
    """The words, plain Unicode text."""

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Math:
    """A run of inline mathematics in prose: ``$Z_1$`` in Markdown, ``\\(Z_1\\)`` in LaTeX,
    MathML in HTML, a plain Unicode form (``Z₁``) in the JSON key."""

    expr: sp.Basic
    """The SymPy object (or notation object) shown."""

    def __str__(self) -> str:
        return str(self.expr)


Run: TypeAlias = Text | Math
"""One typed run of prose."""

Inline: TypeAlias = str | sp.Basic | Text | Math
"""What a derivation may write in prose: a ``str`` is a :class:`Text` run, a SymPy object a :class:`Math` run."""


def run(part: Inline) -> Run:
    """The typed run of a piece of prose.

    >>> run("the input "), run(sp.Symbol("x"))
    (Text(text='the input '), Math(expr=x))
    """
    if isinstance(part, Text | Math):
        return part
    if isinstance(part, str):
        return Text(part)
    if isinstance(part, sp.Basic):
        return Math(part)
    raise TypeError(f"prose takes text or SymPy objects, got {type(part).__name__}: {part!r}")


def runs(parts: Iterable[Inline]) -> tuple[Run, ...]:
    """Pieces of prose as typed runs, adjacent text runs joined."""
    result: list[Run] = []
    for part in parts:
        typed = run(part)
        if isinstance(typed, Text) and result and isinstance(result[-1], Text):
            result[-1] = Text(result[-1].text + typed.text)
        elif not (isinstance(typed, Text) and not typed.text):
            result.append(typed)
    return tuple(result)


@dataclass(frozen=True, slots=True)
class Heading:
    """A sub-step title inside an exercise."""

    text: str
    """The title, plain text."""


@dataclass(frozen=True, slots=True)
class Prose:
    """A sentence or paragraph of explanation: text runs and inline math runs.

    Built from any mix of ``str``, SymPy objects and runs (see :func:`runs`); the
    stored ``parts`` are always typed runs, so renderers dispatch on :class:`Text` and :class:`Math`.

    >>> Prose(("Every entry of ", sp.Symbol("Z_1"), " is negative.")).parts[1]
    Math(expr=Z_1)
    """

    parts: tuple[Run, ...]
    """Text and math runs in reading order."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", runs(self.parts))


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
    exact_shown: bool = True
    """Whether the exact value is written after the substitutions.  False when the last substitution
    already is the exact value as a textbook writes it (softmax's ``e^{z_i} / Σ_j e^{z_j}`` with the
    given scores) and SymPy's simplified form would only rewrite it; the decimal still follows."""


@dataclass(frozen=True, slots=True)
class Table:
    """A small table of values (e.g. every activation at every input)."""

    header: tuple[Inline, ...]
    """Column titles."""
    rows: tuple[tuple[Inline, ...], ...]
    """Cells, row by row; numbers are exact SymPy values."""


@dataclass(frozen=True, slots=True)
class DiagramNode:
    """One node of a :class:`Diagram`: a gate of a computational graph, a neuron, an input."""

    key: str
    """Unique within its diagram; edges name nodes by it."""
    label: str
    """What is written in (or, for an input, at) the node: ``+``, ``exp``, ``x``; mathtext allowed."""
    column: int
    """Position from left (0) to right."""
    row: float
    """Position from top (0) down, in node spacings."""
    shape: str = "gate"
    """``gate`` (a circle with its operation), ``input`` (a name, no circle), ``output`` (the result's
    name at the end of the last wire), ``neuron`` (a circle with its value) or ``ellipsis`` (⋮: units left out)."""
    value: sp.Basic | None = None
    """The forward value shown in (a neuron) or beside (an output) the node, exact."""
    gradient: sp.Basic | None = None
    """The gradient shown below the node (a neuron's δ, a fork's summed gradient), exact."""
    bias: sp.Basic | None = None
    """A neuron's bias, shown beside its name as ``b = …``, exact."""


@dataclass(frozen=True, slots=True)
class DiagramEdge:
    """One wire of a :class:`Diagram`, from ``source`` to ``target``."""

    source: str
    """Key of the node the wire leaves."""
    target: str
    """Key of the node the wire enters."""
    above: sp.Basic | None = None
    """Shown above the wire: the value it carries (a graph), or the weight (a network); exact."""
    below: sp.Basic | None = None
    """Shown below the wire: the gradient flowing back along it; exact."""


@dataclass(frozen=True, slots=True)
class Diagram:
    """A picture of nodes and wires (a computational graph, a network), drawn by
    :mod:`symnn.sheets.render.diagrams` in place of a :class:`Figure`'s curves."""

    nodes: tuple[DiagramNode, ...]
    """Every node, in drawing order."""
    edges: tuple[DiagramEdge, ...]
    """Every wire."""
    legend: tuple[str, str] = ("", "")
    """What the two colours of numbers are, written under the picture: the forward numbers
    (values, weights) and the backward ones (gradients, deltas); an empty text is left out."""


@dataclass(frozen=True, slots=True)
class Figure:
    """A plot (or, with :attr:`diagram`, a diagram) to be drawn by renderers that can (the data, not an image)."""

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
    diagram: Diagram | None = None
    """A diagram drawn instead of curves (then ``curves`` is empty)."""


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
    caption: str | tuple[Inline, ...] = ""
    """A few words for the final-results list: text, or prose with math runs (``("gradient of ", W_1)``)."""
    display: sp.Basic | None = None
    """How the final results write the value instead of ``exact`` (softmax's textbook form
    ``e^{z_i} / Σ_j e^{z_j}``), followed by its decimal; the answer key keeps ``exact``."""
    scalar: bool = False
    """Whether a 1×1 matrix value is written as its entry (the exercise states it as a number)."""

    @property
    def shown(self) -> sp.Basic:
        """The value as the sheet writes it: a 1×1 matrix's entry when :attr:`scalar`, else :attr:`exact`."""
        if self.scalar and isinstance(self.exact, sp.MatrixBase) and self.exact.shape == (1, 1):
            return self.exact[0, 0]
        return self.exact


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


DETAILS = ("full", "brief")
"""How much of a worked solution a sheet shows: ``full`` (the walk-through) or ``brief`` (an answer key)."""


def brief(d: Derivation) -> Derivation:
    """The brief answer key of a worked solution: per quantity its formula, substitution and result.

    Each equation that defines a quantity keeps its general formula, its last (most written-out)
    substitution and its result; prose, tables, plots, remarks and intermediate equations go, and
    a heading stays only above something kept.  The final results list only what no kept equation
    shows (e.g. values too large to print, or certified values after many training steps).
    """
    kept: list[Step] = []
    heading: Heading | None = None
    shown: set[str] = set()
    for step in d.steps:
        if isinstance(step, Heading):
            heading = step
        elif isinstance(step, Equation) and step.quantity is not None:
            if heading is not None:
                kept.append(heading)
                heading = None
            kept.append(Equation(step.lhs, step.formula, step.substituted[-1:], step.exact, step.quantity,
                                 step.exact_shown))
            shown.add(step.quantity)
    return Derivation(d.id, d.kind, d.title, tuple(kept), d.quantities,
                      tuple(name for name in d.summary if name not in shown))


def with_detail(sheet: Sheet, detail: str) -> Sheet:
    """The sheet at a level of detail (:data:`DETAILS`); renderers read it from ``settings["detail"]``."""
    if detail not in DETAILS:
        raise ValueError(f"unknown detail {detail!r}; valid: {', '.join(DETAILS)}")
    if detail == "full":
        return sheet
    return Sheet(sheet.title, tuple(brief(d) for d in sheet.derivations), {**sheet.settings, "detail": detail})


NOTEBOOK: dict[str, Callable[[Sheet | Derivation], str]] = {}
"""How a notebook shows a sheet or a derivation, by format (``html``, ``markdown``, ``latex``).

The renderers sit above these plain-data steps, so they register themselves here
(:func:`symnn.sheets.render.notebook.install`, done by :mod:`symnn.sheets.pipeline`, which
``symnn.solve`` comes from); a format not registered is not offered (Jupyter then tries the next).
"""


def _show(item: NotebookDisplay, fmt: str) -> str | None:
    display = NOTEBOOK.get(fmt)
    return display(item) if display is not None else None  # type: ignore[arg-type]
