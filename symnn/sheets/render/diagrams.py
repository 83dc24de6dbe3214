"""Diagrams drawn with matplotlib from plain data: computational graphs and networks.

A diagram is nodes in columns joined by wires.  The forward numbers (a graph's values, a
network's weights and activations) are drawn in green, the backward ones (gradients,
deltas) in red.  This module draws a :class:`Picture`, the plain form of a
:class:`~symnn.sheets.steps.Diagram` whose numbers are already text (made by
:func:`symnn.sheets.render.plots.number_text`, certified, in the process that solved the
sheet), so it needs neither SymPy nor symnn's exact arithmetic: a drawing worker forked
before SymPy is imported can draw it.  :mod:`symnn.sheets.render.drawing` calls :func:`canvas`
for a drawing that carries a picture, so a diagram is placed in every format exactly like a
plot (SVG in HTML, PDF in LaTeX, PNG beside Markdown) and is as reproducible: the same fixed
style, no dates, fixed sizes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

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


@dataclass(frozen=True, slots=True)
class Node:
    """A :class:`~symnn.sheets.steps.DiagramNode` with its numbers as the text drawn."""

    key: str
    """Unique within its picture; wires name nodes by it."""
    label: str
    """What is written in (or at) the node; mathtext allowed."""
    column: int
    """Position from left (0) to right."""
    row: float
    """Position from top (0) down, in node spacings."""
    shape: str
    """``gate``, ``input``, ``output``, ``neuron`` or ``ellipsis`` (as a DiagramNode's)."""
    value: str | None = None
    """The forward value's text, if any."""
    gradient: str | None = None
    """The gradient's text, if any."""
    bias: str | None = None
    """A neuron's bias as text, if any."""


@dataclass(frozen=True, slots=True)
class Wire:
    """A :class:`~symnn.sheets.steps.DiagramEdge` with its numbers as the text drawn."""

    source: str
    """Key of the node the wire leaves."""
    target: str
    """Key of the node the wire enters."""
    above: str | None = None
    """Text above the wire (a value carried, a weight), if any."""
    below: str | None = None
    """Text below the wire (a gradient), if any."""


@dataclass(frozen=True, slots=True)
class Picture:
    """A diagram as plain data: what :func:`canvas` draws."""

    nodes: tuple[Node, ...]
    """Every node, in drawing order."""
    wires: tuple[Wire, ...]
    """Every wire."""
    legend: tuple[str, str] = ("", "")
    """The forward and the backward numbers' legend texts (an empty one is left out)."""


def _look(diagram: Picture) -> str:
    return "network" if any(n.shape == "neuron" for n in diagram.nodes) else "graph"


def layout(diagram: Picture) -> tuple[dict[str, tuple[float, float]], float, float]:
    """Each node's centre in inches (y up), and the picture's width and height (legend included)."""
    look = _look(diagram)
    columns = max(n.column for n in diagram.nodes)
    rows = max(n.row for n in diagram.nodes)
    # A bias is written right of its unit's name: room for it beside the last column.
    width = 2 * MARGIN + columns * COLUMN[look] + (0.55 if any(n.bias is not None for n in diagram.nodes) else 0.0)
    # A unit's name sits above its circle: room for it over the top row.
    head = 0.3 if look == "network" else 0.0
    legend = LEGEND + (_legend_lines(diagram.legend, width) - 1) * LEGEND_LINE if any(diagram.legend) else 0.0
    height = 2 * MARGIN + head + rows * ROW[look] + legend
    top = height - MARGIN - head
    centres = {n.key: (MARGIN + n.column * COLUMN[look], top - n.row * ROW[look]) for n in diagram.nodes}
    return centres, width, height


def canvas(diagram: Picture) -> Any:
    """The matplotlib figure of a picture (call inside the plots' style context)."""
    from matplotlib.figure import Figure as Canvas

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
    for wire in diagram.wires:
        _wire(ax, wire, nodes, centres, font, _look(diagram))
    for node in diagram.nodes:
        _node(ax, node, centres[node.key], font)
    _legend(ax, diagram.legend, width, font)
    return built


SCRIPTED = re.compile(r"\$([A-Za-z])(?:\^\{([0-9()+\-]+)\})?(?:_\{([0-9A-Za-z]+)\})?\$")
"""A label that is one letter with an optional superscript and subscript, ``$a^{(1)}_{2}$``."""
SCRIPT_SIZE = 0.7
"""A script's size as a fraction of its letter's (TeX's and mathtext's)."""
SUBSCRIPT_DROP = (0.15, 0.31)
"""How far a subscript's baseline lies below the letter's, in ems of the letter: alone, and under a
superscript (both as mathtext sets DejaVu Sans, measured from its output)."""
SUPERSCRIPT_RISE = 0.53
"""How far a superscript's baseline lies above the letter's, in ems of the letter."""
ITALIC_CORRECTION = 0.046
"""How much further right a superscript starts than a subscript after an italic letter, in ems."""
CAP_HEIGHT = 0.73
"""Height of a capital or a digit above the baseline, in ems (DejaVu Sans)."""


def _width(text: str, size: float, style: Literal["normal", "italic"]) -> float:
    """Width of a plain text in points, from the font's own metrics (no layout, no renderer); the
    family is the drawing style's (:func:`canvas` runs inside it)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    prop = FontProperties(style=style, size=size)
    return float(text_to_path.get_text_width_height_descent(text, prop, ismath=False)[0])


def label(ax: Any, x: float, y: float, text: str, fontsize: float, va: str, scale: float, **style: Any) -> None:
    """Write a node's name centred at ``x``; ``va`` places it vertically at ``y`` as matplotlib's does.

    A letter with scripts (``$a^{(1)}_{2}$``, the names of every network picture) is set from
    plain texts: the letter in italic, the scripts upright at :data:`SCRIPT_SIZE`, stacked after
    it.  It looks as mathtext sets it and costs no mathtext parse (about 2.5 ms a name, a
    quarter of a network picture's drawing).  Any other name is left to mathtext.
    """
    match = SCRIPTED.fullmatch(text)
    if match is None:
        ax.text(x, y, text, ha="center", va=va, fontsize=fontsize, **style)
        return
    letter, sup, sub = match.groups()
    if not sup and not sub:
        ax.text(x, y, letter, ha="center", va=va, fontsize=fontsize, fontstyle="italic", **style)
        return
    small = fontsize * SCRIPT_SIZE
    inch = 1 / 72 / scale  # one point in the picture's units (inches of the unscaled picture)
    letter_width = _width(letter, fontsize, "italic") * inch
    after = max(_width(sup or "", small, "normal"), _width(sub or "", small, "normal")) * inch
    left = x - (letter_width + after) / 2
    drop = SUBSCRIPT_DROP[bool(sup)] * fontsize * inch if sub else 0.0
    top = max(CAP_HEIGHT * fontsize, (SUPERSCRIPT_RISE * fontsize + CAP_HEIGHT * small) if sup else 0.0) * inch
    baseline = {"bottom": y + drop, "top": y - top, "center": y + (drop - top) / 2, "baseline": y}[va]
    ax.text(left, baseline, letter, ha="left", va="baseline", fontsize=fontsize, fontstyle="italic", **style)
    if sup:
        ax.text(left + letter_width + ITALIC_CORRECTION * fontsize * inch, baseline + SUPERSCRIPT_RISE * fontsize * inch,
                sup, ha="left", va="baseline", fontsize=small, **style)
    if sub:
        ax.text(left + letter_width, baseline - drop, sub, ha="left", va="baseline", fontsize=small, **style)


def radius(node: Node) -> float | None:
    """A drawn circle's radius in inches (a gate grows to hold a long label), None for a node without one."""
    if node.shape == "gate":
        return max(RADIUS["gate"], 0.05 + 0.042 * len(node.label))
    return RADIUS.get(node.shape)


def _reach(node: Node, towards: tuple[float, float], centre: tuple[float, float]) -> tuple[float, float]:
    """Where a wire meets a node's outline, coming from ``towards``."""
    size = radius(node)
    if size is None:
        # A name without a circle: stop just beside the text.
        size = 0.12 + 0.045 * len(node.label.strip("$"))
    dx, dy = towards[0] - centre[0], towards[1] - centre[1]
    length = math.hypot(dx, dy) or 1.0
    return centre[0] + size * dx / length, centre[1] + size * dy / length


def _wire(ax: Any, edge: Wire, nodes: dict[str, Node], centres: dict[str, tuple[float, float]],
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
        ax.text(x + side * gap * normal[0], y + side * gap * normal[1], value, color=colour,
                fontsize=font * 0.92, rotation=angle, rotation_mode="anchor", ha="center",
                va="bottom" if side > 0 else "top", zorder=5,
                bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none"}
                if look == "network" else None)


def _node(ax: Any, node: Node, centre: tuple[float, float], font: float) -> None:
    from matplotlib.patches import Circle

    x, y = centre
    size = radius(node)
    if size is not None:
        # add_artist: the limits are set, so add_patch's update of the data limits is not needed
        ax.add_artist(Circle(centre, size, facecolor="white", edgecolor=INK, linewidth=1.1, zorder=3))
        if node.shape == "gate":
            ax.text(x, y, node.label, ha="center", va="center", fontsize=font * (1.0 if len(node.label) < 4 else 0.85),
                    color=INK, zorder=4)
        else:
            label(ax, x, y + size + 0.04, node.label, font * 0.9, "bottom", font / 9.0, color=INK, zorder=4)
            if node.bias is not None:
                ax.text(x + 0.2, y + size + 0.04, f"b = {node.bias}", ha="left", va="bottom",
                        fontsize=font * 0.8, color=FORWARD, zorder=4)
            if node.value is not None:
                ax.text(x, y, node.value, ha="center", va="center", fontsize=font * 0.85,
                        color=FORWARD, zorder=4)
        if node.gradient is not None:
            ax.text(x, y - size - 0.04, node.gradient, ha="center", va="top", fontsize=font * 0.85,
                    color=BACKWARD, zorder=4)
        return
    if node.shape == "ellipsis":
        ax.text(x, y, "⋮", ha="center", va="center", fontsize=font * 1.6, color=INK, zorder=4)
        return
    label(ax, x, y, node.label, font * 1.1, "center", font / 9.0, color=INK, zorder=4)
    if node.value is not None:
        ax.text(x, y + 0.16, node.value, ha="center", va="bottom", fontsize=font * 0.92,
                color=FORWARD, zorder=4)
    if node.gradient is not None:
        ax.text(x, y - 0.16, node.gradient, ha="center", va="top", fontsize=font * 0.92,
                color=BACKWARD, zorder=4)


LEGEND_LINE = 0.25
"""Distance between the two lines of a stacked legend, in inches."""
LEGEND_CHARACTER = 0.075
"""About the width of one legend character, in inches of the unscaled picture (9 pt × 0.9, an
average glyph of 0.6 em): the legend's font is scaled with the picture, so this does not change."""


def _legend_lines(legend: tuple[str, str], width: float) -> int:
    """1 when the legend's texts fit side by side (centred at thirds of the width), else 2: stacked,
    as a one-layer network's narrow picture needs."""
    shown = [text for text in legend if text]
    if len(shown) < 2:
        return 1
    room = width / (len(shown) + 1)  # between the two centres
    return 1 if room >= sum(len(t) for t in shown) * LEGEND_CHARACTER / 2 + 0.2 else 2


def _legend(ax: Any, legend: tuple[str, str], width: float, font: float) -> None:
    shown = [(text, colour) for text, colour in zip(legend, (FORWARD, BACKWARD)) if text]
    if not shown:
        return
    if _legend_lines(legend, width) == 2:
        for line, (text, colour) in enumerate(reversed(shown)):
            ax.text(width / 2, LEGEND / 2 + 0.05 + line * LEGEND_LINE, text, ha="center", va="center",
                    fontsize=font * 0.9, color=colour)
        return
    step = width / (len(shown) + 1)
    for i, (text, colour) in enumerate(shown, start=1):
        ax.text(step * i, LEGEND / 2 + 0.05, text, ha="center", va="center", fontsize=font * 0.9, color=colour)
