"""Diagrams (issue 15's network picture, issue 13's computational graph): right data, reproducible files."""

from __future__ import annotations

import io

import numpy as np
import pytest
import sympy as sp
from publish_tools import require_matplotlib

from symnn.core.formula import parse_expression
from symnn.sheets.kinds.graph import placement
from symnn.sheets.pictures import WIDEST, network_figure, shown_units
from symnn.sheets.reference.circuit import build_circuit
from symnn.sheets.render import diagrams, drawing, plots
from symnn.sheets.render.html import to_html
from symnn.sheets.render.latex import to_latex
from symnn.sheets.render.markdown import to_markdown


def _diagrams(sheet):
    return {f.name: f for f in plots.figures_of(sheet) if f.diagram is not None}


def test_the_seed_draws_the_forward_layer_and_the_network(seed_sheet):
    figures = _diagrams(seed_sheet)
    assert sorted(figures) == ["ex1_network", "ex2_network"]
    layer = figures["ex1_network"].diagram
    # Kind forward, W = [[0.2, 0.8], [0.4, 0.3]], X = [1, 0.5], b = 0.1: A = ReLU(W X + b).
    weights = {(e.source, e.target): e.above for e in layer.edges}
    assert weights == {("0.0", "1.0"): sp.Rational(1, 5), ("0.1", "1.0"): sp.Rational(4, 5),
                       ("0.0", "1.1"): sp.Rational(2, 5), ("0.1", "1.1"): sp.Rational(3, 10)}
    values = {n.key: n.value for n in layer.nodes}
    assert values == {"0.0": 1, "0.1": sp.Rational(1, 2), "1.0": sp.Rational(7, 10), "1.1": sp.Rational(13, 20)}
    assert all(n.gradient is None for n in layer.nodes)  # a forward pass has no deltas
    assert [n.bias for n in layer.nodes] == [None, None, sp.Rational(1, 10), sp.Rational(1, 10)]
    network = figures["ex2_network"].diagram
    deltas = {n.key: n.gradient for n in network.nodes if n.gradient is not None}
    assert set(deltas) == {"1.0", "1.1", "2.0"}  # every unit after the input has its δ
    assert deltas["2.0"] == seed_sheet["ex2"].quantity("delta2").exact[0, 0]


def test_a_wide_layer_is_drawn_with_an_ellipsis():
    assert shown_units(WIDEST) == list(range(WIDEST))
    assert shown_units(9) == [0, 1, 2, 3, None, 8]
    W1 = sp.Matrix(9, 3, lambda i, j: sp.Rational(i - j, 10))
    W2 = sp.Matrix(1, 9, lambda i, j: sp.Rational(j, 10))
    x = sp.Matrix([1, 2, 3])
    A1 = W1 * x
    figure = network_figure("wide", [W1, W2], [x, A1, W2 * A1])
    nodes = figure.diagram.nodes
    assert [n.key for n in nodes if n.column == 1] == ["1.0", "1.1", "1.2", "1.3", "1.more", "1.8"]
    assert [n.shape for n in nodes if n.key == "1.more"] == ["ellipsis"]
    edges = figure.diagram.edges
    assert len(edges) == 3 * 5 + 5  # wires only between drawn units
    assert all(e.above == W1[int(e.target[2:]), int(e.source[2:])] for e in edges if e.target.startswith("1."))


def test_several_samples_picture_the_first_and_say_so():
    X = sp.Matrix([[1, 2], [3, 4]])
    W = sp.Matrix([[1, -1]])
    figure = network_figure("two", [W], [X, W * X])
    assert "sample 1 of 2" in figure.title
    assert [n.value for n in figure.diagram.nodes] == [1, 3, -2]


@pytest.mark.parametrize("text, names", [
    ("(x + y) * z", ("x", "y", "z")),
    ("1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))", ("w0", "x0", "w1", "x1", "w2")),
    ("(x + y) * (x - y) + x * y", ("x", "y")),
    ("max(x * y, 0) + log(x + 2) * y", ("x", "y")),
])
def test_graph_nodes_are_apart_and_every_wire_goes_right(text, names):
    circuit = build_circuit(parse_expression(text, names), names)
    where = placement(circuit)
    for a in where:
        for b in where:
            if a < b and where[a][0] == where[b][0]:
                assert abs(where[a][1] - where[b][1]) >= 1, (a, b, where)
    for gate in circuit.gates:
        assert all(where[s][0] < where[gate.name][0] for s in gate.sources())


@pytest.mark.parametrize("extension, magic", [("svg", b"<?xml"), ("pdf", b"%PDF"), ("png", b"\x89PNG")])
def test_diagram_files_are_reproducible_and_carry_no_dates(seed_sheet, extension, magic):
    require_matplotlib()
    figure = _diagrams(seed_sheet)["ex2_network"]
    first = plots.draw.__wrapped__(figure, extension)
    plots.canvas.cache_clear()
    again = plots.draw.__wrapped__(figure, extension)
    assert first.startswith(magic) and first == again
    assert b"CreationDate" not in first and b"<dc:date>" not in first


def test_png_shows_forward_and_backward_numbers_in_their_colours(seed_sheet):
    require_matplotlib()
    from PIL import Image

    data = plots.draw(_diagrams(seed_sheet)["ex2_network"], "png")
    image = np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)
    for colour in (diagrams.FORWARD, diagrams.BACKWARD):
        rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(image - rgb).sum(axis=2) < 60).sum() > 50, f"no {colour} numbers drawn"


def test_every_format_places_the_diagrams(seed_sheet):
    require_matplotlib()
    page = to_html(seed_sheet)
    assert page.count('aria-label="The network: weights on the wires, activations in the units') == 2
    assert "ex2_network-" in page  # the SVG's ids are prefixed, so two pictures never share one
    assert to_latex(seed_sheet, figure_prefix="seed-").count("{seed-ex2_network.pdf}") == 1
    assert "](seed-ex1_network.png)" in to_markdown(seed_sheet, figures=True, figure_prefix="seed-")


def test_numbers_are_exact_decimals_or_rounded_with_a_true_minus():
    assert plots.number_text(sp.Rational(-1, 8)) == "−0.125"
    assert plots.number_text(sp.Rational(-1, 16)) == "−0.062"  # 4 places is too many: rounded half to even
    assert plots.number_text(sp.exp(-1)) == "0.37"
    assert plots.number_text(sp.Rational(1, 2000)) == "0.0005"
    assert plots.number_text(sp.Rational(1, 3000)) == "0.00033"


@pytest.mark.parametrize("name", ["softmax", "sigmoid"])
def test_the_legend_texts_never_overlap(name):
    """A one-layer network's picture is narrow: its two legend texts are stacked instead of drawn
    over each other (they were, side by side); a wider picture keeps them side by side."""
    require_matplotlib()
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from symnn.sheets.crosscheck import solve_checked
    from symnn.sheets.loading import load_builtin

    sheet = solve_checked(load_builtin(name))
    checked = 0
    for figure in _diagrams(sheet).values():
        picture = plots.picture(figure.diagram)
        if sum(1 for text in picture.legend if text) < 2:
            continue
        with matplotlib.rc_context(drawing.style(figure.name)):
            built = diagrams.canvas(picture)
            agg = FigureCanvasAgg(built)
            agg.draw()  # lays the texts out
        renderer = agg.get_renderer()
        legend = [t for t in built.axes[0].texts if t.get_text() in picture.legend]
        assert len(legend) == 2
        first, second = (t.get_window_extent(renderer) for t in legend)
        assert not first.overlaps(second), (figure.name, first, second)
        assert built.axes[0].bbox.contains(*first.p0) and built.axes[0].bbox.contains(*second.p1)
        checked += 1
    assert checked


def _texts(picture):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = drawing.build(drawing.Drawing("t", picture))
    canvas = FigureCanvasAgg(figure)
    canvas.draw()  # lays every text out, as saving does
    renderer = canvas.get_renderer()
    return [(t.get_text(), t.get_fontstyle(), t.get_fontsize(), t.get_window_extent(renderer))
            for t in figure.axes[0].texts]


def test_unit_names_are_set_from_plain_texts_stacked_after_an_italic_letter():
    # No mathtext parse for a network's names (a quarter of its drawing time); the scripts stand
    # right of the letter, the superscript above the subscript, the whole centred on the unit.
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    node = diagrams.Node("1.0", "$a^{(2)}_{13}$", 0, 0.0, "neuron")
    texts = _texts(diagrams.Picture((node,), ()))
    assert all("$" not in text for text, *_ in texts)
    (letter, style, size, box), (sup, _, small, up), (sub, _, _, down) = texts
    assert (letter, style, sup, sub) == ("a", "italic", "(2)", "13")
    assert small == pytest.approx(size * diagrams.SCRIPT_SIZE)
    assert up.x0 >= box.x1 - 1 and down.x0 >= box.x1 - 1 and up.y0 > down.y0
    figure = drawing.build(drawing.Drawing("t", diagrams.Picture((node,), ())))
    FigureCanvasAgg(figure).draw()
    centre = figure.axes[0].transData.transform((diagrams.MARGIN, 0))[0]
    assert (box.x0 + max(up.x1, down.x1)) / 2 == pytest.approx(centre, abs=2)


def test_other_names_are_left_to_mathtext():
    require_matplotlib()
    node = diagrams.Node("in", r"$\alpha_{1} + b$", 0, 0.0, "input")
    assert [text for text, *_ in _texts(diagrams.Picture((node,), ()))] == [r"$\alpha_{1} + b$"]
