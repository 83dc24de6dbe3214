"""Diagrams of :class:`~symnn.sheets.steps.Diagram` data with matplotlib: computational graphs and networks.

A diagram is nodes in columns joined by wires.  The forward numbers (a graph's values, a
network's weights and activations) are drawn in green, the backward ones (gradients,
deltas) in red; each number is the exact value of the step, shown as its exact decimal
when that has at most :data:`EXACT_PLACES` places (or rounding would not change it) and
otherwise rounded (certified, half to even) to :data:`PLACES` places, with more places for
a small value so it keeps two significant digits.  :mod:`symnn.sheets.render.plots` calls :func:`canvas` for a
:class:`~symnn.sheets.steps.Figure` that carries a diagram, so a diagram is placed in
every format exactly like a plot (SVG in HTML, PDF in LaTeX, PNG beside Markdown) and is
as reproducible: the same fixed style, no dates, fixed sizes.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import sympy as sp

from symnn.core.decimals import decimal_text, is_exact_decimal, numeric_value, rational_text, round_rational
from symnn.sheets.steps import Diagram, DiagramEdge, DiagramNode, Figure

PLACES = 2
"""Decimal places of a rounded number in a diagram (a picture has little room; the sheet has the rest)."""
EXACT_PLACES = 3
"""An exact decimal with at most this many places is shown as it is."""
FORWARD = "#2e7d32"
"""Colour of the forward numbers: values on the wires, weights, activations."""
BACKWARD = "#c0392b"
"""Colour of the backward numbers: gradients and deltas."""
INK = "#222222"
"""Colour of nodes, wires and labels."""
COLUMN = {"graph": 1.55, "network": 2.3}
"""Horizontal distance between columns, in inches, by the diagram's look."""
ROW = {"graph": 0.95, "network": 1.05}
"""Vertical distance between rows, in inches."""
RADIUS = {"gate": 0.21, "neuron": 0.3}
"""Circle radius of the drawn node shapes, in inches."""
MARGIN = 0.45
"""Blank border around the nodes, in inches."""
LEGEND = 0.42
"""Height of the legend strip under the picture, in inches."""
MAX_WIDTH = 11.0
"""Widest picture drawn, in inches; a wider one is scaled down as a whole."""


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


def _look(diagram: Diagram) -> str:
    return "network" if any(n.shape == "neuron" for n in diagram.nodes) else "graph"


def layout(diagram: Diagram) -> tuple[dict[str, tuple[float, float]], float, float]:
    """Each node's centre in inches (y up), and the picture's width and height (legend included)."""
    look = _look(diagram)
    columns = max(n.column for n in diagram.nodes)
    rows = max(n.row for n in diagram.nodes)
    # A bias is written right of its unit's name: room for it beside the last column.
    width = 2 * MARGIN + columns * COLUMN[look] + (0.55 if any(n.bias is not None for n in diagram.nodes) else 0.0)
    # A unit's name sits above its circle: room for it over the top row.
    head = 0.3 if look == "network" else 0.0
    height = 2 * MARGIN + head + rows * ROW[look] + (LEGEND if any(diagram.legend) else 0.0)
    top = height - MARGIN - head
    centres = {n.key: (MARGIN + n.column * COLUMN[look], top - n.row * ROW[look]) for n in diagram.nodes}
    return centres, width, height


def canvas(figure: Figure) -> Any:
    """The matplotlib figure of a Figure step's diagram (call inside the plots' style context)."""
    from matplotlib.figure import Figure as Canvas

    diagram = figure.diagram
    if diagram is None:
        raise ValueError(f"figure {figure.name} has no diagram")
    centres, width, height = layout(diagram)
    scale = min(1.0, MAX_WIDTH / width)
    built = Canvas(figsize=(width * scale, height * scale))
    ax = built.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.set_axis_off()
    font = 9.0 * scale
    nodes = {n.key: n for n in diagram.nodes}
    for edge in diagram.edges:
        _wire(ax, edge, nodes, centres, font, _look(diagram))
    for node in diagram.nodes:
        _node(ax, node, centres[node.key], font)
    _legend(ax, diagram.legend, width, font)
    return built


def radius(node: DiagramNode) -> float | None:
    """A drawn circle's radius in inches (a gate grows to hold a long label), None for a node without one."""
    if node.shape == "gate":
        return max(RADIUS["gate"], 0.05 + 0.042 * len(node.label))
    return RADIUS.get(node.shape)


def _reach(node: DiagramNode, towards: tuple[float, float], centre: tuple[float, float]) -> tuple[float, float]:
    """Where a wire meets a node's outline, coming from ``towards``."""
    size = radius(node)
    if size is None:
        # A name without a circle: stop just beside the text.
        size = 0.12 + 0.045 * len(node.label.strip("$"))
    dx, dy = towards[0] - centre[0], towards[1] - centre[1]
    length = math.hypot(dx, dy) or 1.0
    return centre[0] + size * dx / length, centre[1] + size * dy / length


def _wire(ax: Any, edge: DiagramEdge, nodes: dict[str, DiagramNode], centres: dict[str, tuple[float, float]],
          font: float, look: str) -> None:
    source, target = nodes[edge.source], nodes[edge.target]
    start = _reach(source, centres[target.key], centres[source.key])
    end = _reach(target, centres[source.key], centres[target.key])
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": "-|>", "color": INK, "linewidth": 0.9, "shrinkA": 0, "shrinkB": 0,
                            "mutation_scale": 9})
    angle = math.degrees(math.atan2(end[1] - start[1], end[0] - start[0]))
    # A graph's numbers sit mid-wire, values above and gradients below.  A network's weights
    # are staggered along the wires by the unit they enter, so the labels of the wires
    # leaving one unit do not sit on top of each other.
    t = 0.5
    if look == "network":
        column = sorted(n.row for n in nodes.values() if n.column == target.column and n.shape == "neuron")
        t = 0.2 + 0.5 * column.index(target.row) / max(1, len(column) - 1)
    x, y = start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1])
    normal = (-math.sin(math.radians(angle)), math.cos(math.radians(angle)))
    gap = 0.075
    for value, side, colour in ((edge.above, 1, FORWARD), (edge.below, -1, BACKWARD)):
        if value is None:
            continue
        ax.text(x + side * gap * normal[0], y + side * gap * normal[1], number_text(value), color=colour,
                fontsize=font * 0.92, rotation=angle, rotation_mode="anchor", ha="center",
                va="bottom" if side > 0 else "top", zorder=5,
                bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none"}
                if look == "network" else None)


def _node(ax: Any, node: DiagramNode, centre: tuple[float, float], font: float) -> None:
    from matplotlib.patches import Circle

    x, y = centre
    size = radius(node)
    if size is not None:
        ax.add_patch(Circle(centre, size, facecolor="white", edgecolor=INK, linewidth=1.1, zorder=3))
        if node.shape == "gate":
            ax.text(x, y, node.label, ha="center", va="center", fontsize=font * (1.0 if len(node.label) < 4 else 0.85),
                    color=INK, zorder=4)
        else:
            ax.text(x, y + size + 0.04, node.label, ha="center", va="bottom", fontsize=font * 0.9, color=INK,
                    zorder=4)
            if node.bias is not None:
                ax.text(x + 0.2, y + size + 0.04, f"b = {number_text(node.bias)}", ha="left", va="bottom",
                        fontsize=font * 0.8, color=FORWARD, zorder=4)
            if node.value is not None:
                ax.text(x, y, number_text(node.value), ha="center", va="center", fontsize=font * 0.85,
                        color=FORWARD, zorder=4)
        if node.gradient is not None:
            ax.text(x, y - size - 0.04, number_text(node.gradient), ha="center", va="top", fontsize=font * 0.85,
                    color=BACKWARD, zorder=4)
        return
    if node.shape == "ellipsis":
        ax.text(x, y, "⋮", ha="center", va="center", fontsize=font * 1.6, color=INK, zorder=4)
        return
    ax.text(x, y, node.label, ha="center", va="center", fontsize=font * 1.1, color=INK, zorder=4)
    if node.value is not None:
        ax.text(x, y + 0.16, number_text(node.value), ha="center", va="bottom", fontsize=font * 0.92,
                color=FORWARD, zorder=4)
    if node.gradient is not None:
        ax.text(x, y - 0.16, number_text(node.gradient), ha="center", va="top", fontsize=font * 0.92,
                color=BACKWARD, zorder=4)


def _legend(ax: Any, legend: tuple[str, str], width: float, font: float) -> None:
    shown = [(text, colour) for text, colour in zip(legend, (FORWARD, BACKWARD)) if text]
    if not shown:
        return
    step = width / (len(shown) + 1)
    for i, (text, colour) in enumerate(shown, start=1):
        ax.text(step * i, LEGEND / 2 + 0.05, text, ha="center", va="center", fontsize=font * 0.9, color=colour)
