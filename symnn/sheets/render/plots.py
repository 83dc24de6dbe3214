"""Plots of :class:`~symnn.sheets.steps.Figure` steps with matplotlib (the optional ``[plots]`` extra).

Each figure shows every curve of the step (an activation and its derivative) over the
step's range, with the exercise's points marked on both.  The output is byte-for-byte
reproducible for one matplotlib version: a fixed font (DejaVu Sans, shipped with
matplotlib), a per-figure SVG hash salt, and no dates or software names in the metadata.

Without matplotlib, :func:`available` is false and renderers print :data:`MISSING_NOTE`
in place of each plot instead of failing.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import importlib.util
import io
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from symnn.core.calculus import x as curve_variable
from symnn.sheets.render import diagrams
from symnn.sheets.steps import Figure, Sheet

MISSING_NOTE = "Plot not drawn: matplotlib is not installed (pip install 'symnn[plots]')."
"""What a renderer prints in place of a plot when matplotlib is missing."""

SAMPLES = 801
"""Points per curve; odd, so that x = 0 of a symmetric range is sampled exactly."""

STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "mathtext.fontset": "dejavusans",
    "svg.fonttype": "path",
    "pdf.fonttype": 3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
}
"""matplotlib settings shared by every plot (fixed, so output does not depend on a user's rc file)."""

COLOURS = ("#1f5fa8", "#c0392b", "#2e7d32", "#6a1b9a")
"""Line colours, one per curve in order (function, derivative, ...)."""

METADATA: dict[str, dict[str, Any]] = {
    "svg": {"Date": None},
    "pdf": {"CreationDate": None, "ModDate": None},
    "png": {"Software": None},
}
"""Per-format metadata overrides that remove dates and build-specific text."""


def available() -> bool:
    """Whether matplotlib can be imported (the ``[plots]`` extra is installed)."""
    return importlib.util.find_spec("matplotlib") is not None


def figure_file(figure: Figure, prefix: str, extension: str) -> str:
    """File name of a figure written beside a document, e.g. ``seed-ex4_relu.png``.

    >>> figure_file(Figure("t", "ex4_relu", ()), "seed-", "png")
    'seed-ex4_relu.png'
    """
    return f"{prefix}{figure.name}.{extension}"


def figures_of(sheet: Sheet) -> Iterator[Figure]:
    """Every Figure step of a sheet, in reading order."""
    for derivation in sheet.derivations:
        yield from (s for s in derivation.steps if isinstance(s, Figure))


def figure_files(sheet: Sheet, prefix: str, extension: str) -> dict[str, bytes]:
    """Every figure of a sheet drawn as ``extension`` files, by file name (empty without matplotlib)."""
    if not available():
        return {}
    return {figure_file(f, prefix, extension): draw(f, extension) for f in figures_of(sheet)}


def draw_files(figures: tuple[Figure, ...], prefix: str, extension: str) -> dict[str, bytes]:
    """Figures drawn as ``extension`` files, by file name (a picklable task for a worker)."""
    return {figure_file(f, prefix, extension): draw(f, extension) for f in figures}


def warm_up(parent: int | None = None) -> bool:
    """Import matplotlib (a third of a second) so a worker is ready when the figures are.

    With ``parent`` (the process that forked the worker), the worker also exits as soon as that
    process is gone: a forked worker holds both ends of its task pipe, so when the parent is killed
    (SIGKILL, an out-of-memory kill) nothing else would ever end it.
    """
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    return available() and bool(importlib.import_module("matplotlib.figure"))


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL)
    os._exit(0)


PARENT_POLL = 0.5
"""Seconds between a drawing worker's checks that the process which forked it is still there."""


WORKERS = 1
"""Drawing processes: one (on two cores a second worker's matplotlib import slows the solving main
process more than it gains: the seed sheet took 1.56 s with one, 1.75–1.97 s with two)."""


class Drawer:
    """Draws plot files in forked worker processes while the main process solves and renders.

    On a 2-core machine this hides matplotlib's import and rasterisation behind the
    exact work; each figure is its own task, so :data:`WORKERS` processes share a sheet's
    figures.  The files are the same bytes as when drawn in-process.  Use as a context
    manager; :meth:`submit` returns a future of ``{file name: bytes}``.
    """

    def __init__(self) -> None:
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._used = False

    def __enter__(self) -> Drawer:
        if available() and "fork" in multiprocessing.get_all_start_methods():
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=WORKERS, mp_context=multiprocessing.get_context("fork"))
            for _ in range(WORKERS):
                self._pool.submit(warm_up, os.getpid())
        return self

    def submit(self, sheet: Sheet, prefix: str, extension: str) -> concurrent.futures.Future[dict[str, bytes]]:
        figures = tuple(figures_of(sheet))
        if self._pool is None or not figures:
            done: concurrent.futures.Future[dict[str, bytes]] = concurrent.futures.Future()
            done.set_result(figure_files(sheet, prefix, extension))
            return done
        self._used = True
        parts = [self._pool.submit(draw_files, (figure,), prefix, extension) for figure in figures]
        joined: concurrent.futures.Future[dict[str, bytes]] = concurrent.futures.Future()
        lock = threading.Lock()

        def join(_: object) -> None:
            with lock:
                if not all(part.done() for part in parts) or joined.done():
                    return
                try:
                    files = {name: data for part in parts for name, data in part.result().items()}
                except BaseException as exc:  # the drawing's own error, raised where the result is read
                    joined.set_exception(exc)
                else:
                    joined.set_result(files)

        for part in parts:
            part.add_done_callback(join)
        return joined

    def __exit__(self, *exc: object) -> None:
        if self._pool is None:
            return
        if not self._used:
            # No figure came: stop the workers' matplotlib warm-up instead of waiting for it
            # (a third of a second, more on a loaded machine, on every sheet without plots).
            for process in list((getattr(self._pool, "_processes", None) or {}).values()):
                process.terminate()
        self._pool.shutdown(wait=True, cancel_futures=True)


def sample(expr: sp.Basic, xs: np.ndarray) -> np.ndarray:
    """Float values of a curve at ``xs``; a constant curve gives a constant array.

    The code is SymPy's NumPy printing of ``expr`` run with the numpy module itself as its namespace:
    ``modules="numpy"`` would run ``from numpy import *``, which loads every lazy numpy submodule
    (``numpy.f2py`` and its imports, a tenth of a second) for nothing; the values are the same.
    """
    function = sp.lambdify(curve_variable, expr, modules=[np])
    values = np.asarray(function(xs), dtype=float)
    return np.broadcast_to(values, xs.shape).copy()


def break_jumps(ys: np.ndarray, span: float) -> np.ndarray:
    """The values with NaN where the curve jumps, so a step is not drawn as a steep line."""
    out = ys.copy()
    jumps = np.flatnonzero(np.abs(np.diff(ys)) > 0.2 * span)
    out[jumps + 1] = np.nan
    return out


def horizontal_range(figure: Figure) -> tuple[float, float]:
    """The figure's range, widened so every marked point lies inside with a margin."""
    low, high = figure.x_range
    marked = [float(p[0]) for p in figure.points]
    return min([low, *(m - 0.5 for m in marked)]), max([high, *(m + 0.5 for m in marked)])


def style(figure: Figure) -> Any:
    """The matplotlib settings of one figure: the shared style and its own SVG id salt."""
    return {**STYLE, "svg.hashsalt": f"symnn-{figure.name}"}


@cache
def canvas(figure: Figure) -> Any:
    """The matplotlib figure of a Figure step (its diagram, if it has one), built once and saved in every format asked for."""
    import matplotlib
    from matplotlib.figure import Figure as Canvas

    with matplotlib.rc_context(style(figure)):
        if figure.diagram is not None:
            return diagrams.canvas(figure)
        built = Canvas(figsize=(6.0, 3.3))
        # Fixed margins: constrained layout would measure every label on every save.
        if figure.series:  # room for the loss axis label and the last step's tick label
            built.subplots_adjust(left=0.12, right=0.95, top=0.975, bottom=0.135)
        else:
            built.subplots_adjust(left=0.085, right=0.985, top=0.975, bottom=0.135)
        (_plot_series if figure.series else _plot)(built.add_subplot(), figure)
    return built


@cache
def draw(figure: Figure, extension: str) -> bytes:
    """The figure as ``svg``, ``pdf`` or ``png`` bytes (deterministic for one matplotlib version)."""
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context(style(figure)):
        canvas(figure).savefig(buffer, format=extension, metadata=METADATA[extension],
                               dpi=150 if extension == "png" else "figure")
    return buffer.getvalue()


def _plot(ax: Any, figure: Figure) -> None:
    low, high = horizontal_range(figure)
    xs = np.linspace(low, high, SAMPLES)
    marked = np.array([float(p[0]) for p in figure.points], dtype=float)
    given = np.array([float(p[1]) for p in figure.points], dtype=float)
    ax.axhline(0, color="0.55", linewidth=0.8, zorder=1)
    ax.axvline(0, color="0.55", linewidth=0.8, zorder=1)
    for index, (label, expr) in enumerate(figure.curves):
        colour = COLOURS[index % len(COLOURS)]
        ys = sample(expr, xs)
        span = float(np.nanmax(ys) - np.nanmin(ys)) or 1.0
        ax.plot(xs, break_jumps(ys, span), color=colour, linewidth=2 if index == 0 else 1.6,
                linestyle="-" if index == 0 else "--", label=f"{label}(x)", zorder=2)
        if marked.size:
            heights = given if index == 0 else sample(expr, marked)
            # The function's dots sit on top of the derivative's larger rings where both coincide.
            ax.plot(marked, heights, linestyle="none", marker="o", markersize=5 if index == 0 else 7.5,
                    markeredgecolor=colour, markerfacecolor=colour if index == 0 else "white",
                    zorder=4 if index == 0 else 3)
    ax.set_xlim(low, high)
    ax.set_xlabel("x")
    ax.grid(True, color="0.9", linewidth=0.6)
    ax.legend(loc="upper left", frameon=False)


LOG_SPAN = 10.0
"""A series whose largest value is this many times its smallest (all positive) is drawn on a log scale."""


def log_scaled(values: np.ndarray) -> bool:
    """Whether a series spans at least a decade of positive values (then its axis is logarithmic).

    >>> log_scaled(np.array([0.3, 0.01])), log_scaled(np.array([0.3, 0.2])), log_scaled(np.array([1.0, 0.0]))
    (True, False, False)
    """
    return bool(values.size and np.min(values) > 0 and np.max(values) >= LOG_SPAN * np.min(values))


def _plot_series(ax: Any, figure: Figure) -> None:
    """A loss curve: the value after each recorded step, a log scale when it spans decades."""
    steps = np.array([float(t) for t, _ in figure.series], dtype=float)
    values = np.array([float(v) for _, v in figure.series], dtype=float)
    ax.plot(steps, values, color=COLOURS[0], linewidth=1.8, marker="o" if steps.size <= 30 else None,
            markersize=4, label="L", zorder=2)
    if log_scaled(values):
        ax.set_yscale("log")
    ax.set_xlim(float(steps.min()), float(steps.max()))
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.grid(True, color="0.9", linewidth=0.6)
