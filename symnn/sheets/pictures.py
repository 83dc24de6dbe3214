"""The picture of a dense network, as a :class:`~symnn.sheets.steps.Figure` step with a diagram.

Kinds ``network`` and ``forward`` add it to their worked solutions: one column of units per
layer, a wire per weight with the weight on it, each unit's activation in its circle, its
bias beside its name and, after backpropagation, its delta δ = ∂L/∂z below.  A layer wider than :data:`WIDEST`
shows its first units, an ellipsis and its last unit.  With several samples the picture
shows the first.  It is data only; :mod:`symnn.sheets.render.diagrams` draws it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from symnn.sheets.steps import Diagram, DiagramEdge, DiagramNode, Figure

WIDEST = 6
"""Most units drawn in a layer; a wider one shows the first ``WIDEST - 2``, an ellipsis and the last."""


def shown_units(count: int) -> list[int | None]:
    """The 0-based units drawn for a layer of ``count`` units, None where the ellipsis goes.

    >>> shown_units(3), shown_units(10)
    ([0, 1, 2], [0, 1, 2, 3, None, 9])
    """
    if count <= WIDEST:
        return list(range(count))
    return [*range(WIDEST - 2), None, count - 1]


def _unit_label(layer: int, unit: int) -> str:
    return f"$x_{{{unit + 1}}}$" if layer == 0 else f"$a^{{({layer})}}_{{{unit + 1}}}$"


def network_figure(name: str, Ws: Sequence[sp.MatrixBase], As: Sequence[sp.MatrixBase],
                   deltas: Sequence[sp.MatrixBase] | None = None,
                   biases: Sequence[sp.MatrixBase | None] | None = None) -> Figure:
    """The picture of a network: ``As`` are the input and every layer's activations, ``deltas`` each
    layer's δ, ``biases`` each layer's bias column (None for a layer without).

    >>> W = sp.Matrix([[1, 2]]); x = sp.Matrix([[3], [4]])
    >>> figure = network_figure("ex1_network", [W], [x, W * x])
    >>> [(n.key, n.value) for n in figure.diagram.nodes], [(e.source, e.target, e.above) for e in figure.diagram.edges]
    ([('0.0', 3), ('0.1', 4), ('1.0', 11)], [('0.0', '1.0', 1), ('0.1', '1.0', 2)])
    """
    sizes = [A.rows for A in As]
    drawn = [shown_units(n) for n in sizes]
    tallest = max(len(units) for units in drawn)
    nodes: list[DiagramNode] = []
    for layer, units in enumerate(drawn):
        top = (tallest - len(units)) / 2
        for position, unit in enumerate(units):
            if unit is None:
                nodes.append(DiagramNode(f"{layer}.more", "", layer, top + position, "ellipsis"))
                continue
            delta = deltas[layer - 1][unit, 0] if deltas is not None and layer > 0 else None
            bias = biases[layer - 1] if biases is not None and layer > 0 else None
            nodes.append(DiagramNode(f"{layer}.{unit}", _unit_label(layer, unit), layer, top + position, "neuron",
                                     value=As[layer][unit, 0], gradient=delta,
                                     bias=bias[unit, 0] if bias is not None else None))
    edges = [DiagramEdge(f"{layer - 1}.{j}", f"{layer}.{i}", above=W[i, j])
             for layer, W in enumerate(Ws, start=1)
             for i in drawn[layer] if i is not None
             for j in drawn[layer - 1] if j is not None]
    samples = As[0].cols
    biased = biases is not None and any(b is not None for b in biases)
    title = "The network: weights on the wires, activations in the units" + (
        ", biases beside their names" if biased else "") + (
        ", deltas δ = ∂L/∂z below the units" if deltas is not None else "") + (
        f" (sample 1 of {samples})" if samples > 1 else "")
    legend = ("weights, biases and activations" if biased else "weights and activations",
              "deltas δ = ∂L/∂z" if deltas is not None else "")
    return Figure(title, name, (), diagram=Diagram(tuple(nodes), tuple(edges), legend))
