"""Plots of the activation exercise: right curves, reproducible files, and a note without matplotlib."""

from __future__ import annotations

import io

import numpy as np
import pytest
from publish_tools import require_matplotlib

from symnn.core.calculus import ACTIVATIONS
from symnn.sheets.render import plots
from symnn.sheets.render.html import to_html
from symnn.sheets.render.latex import to_latex
from symnn.sheets.render.markdown import to_markdown
from symnn.sheets.steps import Figure


def _first_plot(sheet):
    """The first activation plot of a sheet (not a diagram)."""
    return next(f for f in plots.figures_of(sheet) if f.diagram is None)


def test_curves_are_sampled_correctly():
    xs = np.linspace(-4, 4, 81)
    sigmoid = ACTIVATIONS["sigmoid"]
    np.testing.assert_allclose(plots.sample(sigmoid.definition, xs), 1 / (1 + np.exp(-xs)), rtol=1e-12)
    np.testing.assert_allclose(plots.sample(sigmoid.derivative, xs), np.exp(-xs) / (1 + np.exp(-xs)) ** 2,
                               rtol=1e-12)
    relu_slope = plots.sample(ACTIVATIONS["relu"].derivative, xs)
    np.testing.assert_array_equal(relu_slope, (xs > 0).astype(float))  # ReLU'(0) = 0, the sheet's convention


def test_a_step_is_not_drawn_as_a_steep_line():
    xs = np.linspace(-1, 1, 21)
    ys = plots.break_jumps((xs > 0).astype(float), 1.0)
    assert np.isnan(ys).sum() == 1 and np.isnan(ys[11]) and ys[10] == 0 and ys[12] == 1
    smooth = np.tanh(xs)
    np.testing.assert_array_equal(plots.break_jumps(smooth, 2.0), smooth)


def test_marked_points_are_widened_into_view():
    figure = Figure("t", "n", (), ((-7, 0), (2, 1)), x_range=(-4.0, 4.0))
    assert plots.horizontal_range(figure) == (-7.5, 4.0)


@pytest.mark.parametrize("extension, magic", [("svg", b"<?xml"), ("pdf", b"%PDF"), ("png", b"\x89PNG")])
def test_files_are_reproducible_and_carry_no_dates(seed_sheet, extension, magic):
    require_matplotlib()
    figure = _first_plot(seed_sheet)
    first = plots.draw.__wrapped__(figure, extension)
    again = plots.draw.__wrapped__(figure, extension)
    assert first.startswith(magic) and first == again
    assert b"CreationDate" not in first and b"<dc:date>" not in first
    if extension == "png":
        from PIL import Image

        image = Image.open(io.BytesIO(first))
        assert "Software" not in image.info and image.size == (900, 495)
    if extension == "svg":
        assert f"symnn-{figure.name}".encode() not in first  # the salt seeds ids, it is not written
        assert b"DejaVu" in first or b"<path" in first


def test_every_figure_has_a_file_per_format(seed_sheet):
    require_matplotlib()
    names = [f.name for f in plots.figures_of(seed_sheet)]
    assert names == ["ex1_network", "ex2_network", "ex4_relu", "ex4_leaky_relu", "ex4_sigmoid", "ex4_tanh"]
    files = plots.figure_files(seed_sheet, "seed-", "png")
    assert sorted(files) == sorted(f"seed-{n}.png" for n in names)


def test_png_draws_both_curves_in_their_colours(seed_sheet):
    require_matplotlib()
    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(plots.draw(_first_plot(seed_sheet), "png"))).convert("RGB"))
    for colour in plots.COLOURS[:2]:
        rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(image.astype(int) - rgb).sum(axis=2) < 30).sum() > 500, f"no {colour} curve drawn"


def test_without_matplotlib_every_format_says_so_instead_of_failing(seed_sheet, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(plots, "available", lambda: False)
    assert plots.figure_files(seed_sheet, "", "png") == {}
    page = to_html(seed_sheet)
    # Four activation plots and two network diagrams (ex1, ex2).
    assert page.count(plots.MISSING_NOTE) == 6 and "<svg" not in page
    tex = to_latex(seed_sheet)
    assert tex.count("matplotlib is not installed") == 6 and "includegraphics" not in tex
    assert to_markdown(seed_sheet, figures=True).count(plots.MISSING_NOTE) == 6

    import symnn.sheets.pipeline
    from symnn.cli import main

    monkeypatch.setattr(symnn.sheets.pipeline, "find_engine", lambda: None)
    assert main(["sheet", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "matplotlib is not installed" in err
    assert not list(tmp_path.glob("*.png")) and (tmp_path / "seed.html").exists()


def test_png_has_only_image_chunks(seed_sheet):
    require_matplotlib()
    data = plots.draw(_first_plot(seed_sheet), "png")
    chunks, position = [], 8
    while position < len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        chunks.append(data[position + 4:position + 8].decode())
        position += 12 + length
    assert set(chunks) <= {"IHDR", "pHYs", "IDAT", "IEND"}, chunks  # no time stamp, no software text
