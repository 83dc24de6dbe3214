"""Drawing plots and diagrams from plain data with matplotlib, in a worker forked early.

A :class:`Drawing` holds only floats and text (no SymPy): :mod:`symnn.sheets.render.plots`
makes it from a :class:`~symnn.sheets.steps.Figure` in the process that solved the sheet
(curve samples, certified number texts), and this module turns it into file bytes.  So a
drawing worker needs neither SymPy nor the sheet pipeline, and ``symnn sheet`` forks it
(:class:`Drawer`) before it imports them: matplotlib loads in the worker while the main
process loads SymPy and solves.

The output is byte-for-byte reproducible for one matplotlib version: a fixed font (DejaVu Sans,
shipped with matplotlib), a per-figure SVG hash salt, and no dates or software names in the
metadata.  Without matplotlib, :func:`available` is false and nothing is drawn.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import importlib.util
import io
import multiprocessing
import os
import sys
import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from symnn.sheets.render import diagrams

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


@dataclass(frozen=True, slots=True)
class Curve:
    """One sampled curve of a plot."""

    label: str
    """Legend text, e.g. ``σ(x)``."""
    values: tuple[float, ...]
    """The curve at the plot's :func:`abscissae`."""
    marked: tuple[float, ...]
    """Heights of the dots at the plot's marked points."""


@dataclass(frozen=True, slots=True)
class Curves:
    """Curves over a range with marked points (an activation and its derivative)."""

    low: float
    """Left end of the range drawn."""
    high: float
    """Right end of the range drawn."""
    curves: tuple[Curve, ...]
    """The curves, the function first."""
    marked: tuple[float, ...]
    """The marked points' abscissae."""


@dataclass(frozen=True, slots=True)
class Series:
    """A loss curve: the value after each recorded step."""

    steps: tuple[float, ...]
    """The steps recorded."""
    values: tuple[float, ...]
    """The loss after each."""


@dataclass(frozen=True, slots=True)
class Drawing:
    """Everything needed to draw one figure: floats and text only (picklable, no SymPy)."""

    name: str
    """The figure's file stem (also its SVG id salt)."""
    content: Curves | Series | diagrams.Picture
    """What is drawn."""


def available() -> bool:
    """Whether matplotlib can be imported (the ``[plots]`` extra is installed)."""
    return importlib.util.find_spec("matplotlib") is not None


def abscissae(low: float, high: float) -> np.ndarray:
    """The :data:`SAMPLES` points at which a curve over ``[low, high]`` is sampled."""
    return np.linspace(low, high, SAMPLES)


def break_jumps(ys: np.ndarray, span: float) -> np.ndarray:
    """The values with NaN where the curve jumps, so a step is not drawn as a steep line."""
    out = ys.copy()
    jumps = np.flatnonzero(np.abs(np.diff(ys)) > 0.2 * span)
    out[jumps + 1] = np.nan
    return out


def style(name: str) -> Any:
    """The matplotlib settings of one figure: the shared style and its own SVG id salt."""
    return {**STYLE, "svg.hashsalt": f"symnn-{name}"}


def build(drawing: Drawing) -> Any:
    """A new matplotlib figure of a drawing."""
    import matplotlib
    from matplotlib.figure import Figure as Canvas

    with matplotlib.rc_context(style(drawing.name)):
        if isinstance(drawing.content, diagrams.Picture):
            return diagrams.canvas(drawing.content)
        built = Canvas(figsize=(6.0, 3.3))
        # Fixed margins: constrained layout would measure every label on every save.
        if isinstance(drawing.content, Series):  # room for the loss axis label and the last step's tick label
            built.subplots_adjust(left=0.12, right=0.95, top=0.975, bottom=0.135)
            _plot_series(built.add_subplot(), drawing.content)
        else:
            built.subplots_adjust(left=0.085, right=0.985, top=0.975, bottom=0.135)
            _plot(built.add_subplot(), drawing.content)
    return built


def save(canvas: Any, name: str, extension: str) -> bytes:
    """A built figure as ``svg``, ``pdf`` or ``png`` bytes (deterministic for one matplotlib version)."""
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context(style(name)):
        canvas.savefig(buffer, format=extension, metadata=METADATA[extension],
                       dpi=150 if extension == "png" else "figure")
    return buffer.getvalue()


@cache
def canvas(drawing: Drawing) -> Any:
    """The matplotlib figure of a drawing, built once and saved in every format asked for."""
    return build(drawing)


@cache
def draw(drawing: Drawing, extension: str) -> bytes:
    """The drawing as ``svg``, ``pdf`` or ``png`` bytes."""
    return save(canvas(drawing), drawing.name, extension)


def file_name(name: str, prefix: str, extension: str) -> str:
    """File name of a figure written beside a document, e.g. ``seed-ex4_relu.png``.

    >>> file_name("ex4_relu", "seed-", "png")
    'seed-ex4_relu.png'
    """
    return f"{prefix}{name}.{extension}"


def draw_files(drawings: tuple[Drawing, ...], prefix: str, extension: str) -> dict[str, bytes]:
    """Drawings as ``extension`` files, by file name, in order (a picklable task for a worker).

    In a warmed-up drawing worker a batch of several drawings is shared with a helper forked from
    the worker (:func:`_shared`); anywhere else they are drawn here, one after the other.
    """
    if _warm and len(drawings) > 1 and hasattr(os, "fork"):
        return _shared(drawings, prefix, extension)
    return _one_by_one(drawings, prefix, extension)


def _one_by_one(drawings: tuple[Drawing, ...], prefix: str, extension: str) -> dict[str, bytes]:
    return {file_name(d.name, prefix, extension): draw(d, extension) for d in drawings}


def _shared(drawings: tuple[Drawing, ...], prefix: str, extension: str) -> dict[str, bytes]:
    """The batch drawn by this worker and a helper forked from it, half each.

    The helper is a copy of a worker that has matplotlib loaded and warmed up, so it starts
    drawing at once (a second worker started beside the first would import matplotlib again:
    a third of a second of a core that the solving main process needs).  It sends its files back
    through a pipe and exits; if it fails, its half is drawn here (so a drawing's own error is
    raised here, in the worker's task).
    """
    import pickle

    middle = (len(drawings) + 1) // 2
    mine, theirs = drawings[:middle], drawings[middle:]
    read_end, write_end = os.pipe()
    helper = os.fork()
    if helper == 0:  # the helper: draw, send, and leave without any of the worker's cleanup
        code = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(pickle.dumps(_one_by_one(theirs, prefix, extension)))
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        files = _one_by_one(mine, prefix, extension)
    finally:
        with os.fdopen(read_end, "rb") as pipe:
            sent = pipe.read()
        _, status = os.waitpid(helper, 0)
    helped = pickle.loads(sent) if status == 0 and sent else _one_by_one(theirs, prefix, extension)
    return {**files, **helped}


def _plot(ax: Any, plot: Curves) -> None:
    xs = abscissae(plot.low, plot.high)
    marked = np.array(plot.marked, dtype=float)
    ax.axhline(0, color="0.55", linewidth=0.8, zorder=1)
    ax.axvline(0, color="0.55", linewidth=0.8, zorder=1)
    for index, curve in enumerate(plot.curves):
        colour = COLOURS[index % len(COLOURS)]
        ys = np.array(curve.values, dtype=float)
        span = float(np.nanmax(ys) - np.nanmin(ys)) or 1.0
        ax.plot(xs, break_jumps(ys, span), color=colour, linewidth=2 if index == 0 else 1.6,
                linestyle="-" if index == 0 else "--", label=f"{curve.label}(x)", zorder=2)
        if marked.size:
            # The function's dots sit on top of the derivative's larger rings where both coincide.
            ax.plot(marked, np.array(curve.marked, dtype=float), linestyle="none", marker="o",
                    markersize=5 if index == 0 else 7.5, markeredgecolor=colour,
                    markerfacecolor=colour if index == 0 else "white", zorder=4 if index == 0 else 3)
    ax.set_xlim(plot.low, plot.high)
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


def _plot_series(ax: Any, series: Series) -> None:
    """A loss curve: the value after each recorded step, a log scale when it spans decades."""
    steps = np.array(series.steps, dtype=float)
    values = np.array(series.values, dtype=float)
    ax.plot(steps, values, color=COLOURS[0], linewidth=1.8, marker="o" if steps.size <= 30 else None,
            markersize=4, label="L", zorder=2)
    if log_scaled(values):
        ax.set_yscale("log")
    ax.set_xlim(float(steps.min()), float(steps.max()))
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.grid(True, color="0.9", linewidth=0.6)


def warm_up(parent: int | None = None) -> bool:
    """Import matplotlib, build the mathtext parser and load the Agg backend and the font, so a
    worker is ready when the figures are.

    No picture is drawn or encoded: a worker often gets its first figure before a warm-up picture
    would be done (a sheet of one small exercise), and the first real figure pays the same costs
    itself; what is done here is only what every figure needs (a tenth less of a one-figure
    sheet's start than drawing a sample picture).

    With ``parent`` (the process that forked the worker), the worker also exits as soon as that
    process is gone: a forked worker holds both ends of its task pipe, so when the parent is killed
    (SIGKILL, an out-of-memory kill) nothing else would ever end it.
    """
    global _warm
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    if not available():
        return False
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as Canvas
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    with matplotlib.rc_context(style("warm-up")):
        MathTextParser("agg").parse("$x_{1}$", 100, FontProperties(family=STYLE["font.family"], size=9))
        tiny = Canvas(figsize=(0.5, 0.5))
        tiny.text(0.5, 0.5, "0.5")
        FigureCanvasAgg(tiny).draw()  # type: ignore[no-untyped-call]
    _warm = parent is not None
    return True


_warm = False
"""Whether this process is a warmed-up drawing worker (then it shares a batch with a forked helper)."""


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL)
    os._exit(0)


PARENT_POLL = 0.5
"""Seconds between a drawing worker's checks that the process which forked it is still there."""


WORKERS = 1
"""Drawing processes: one (on two cores a second worker's matplotlib import slows the solving main
process more than it gains: the seed sheet took 1.56 s with one, 1.75–1.97 s with two)."""


SWITCH_INTERVAL = 0.0005
"""Seconds a thread holding the GIL runs before a waiting one gets it, while a :class:`Drawer` is open."""


class Drawer:
    """Draws plot files in forked worker processes while the main process solves and renders.

    On a 2-core machine this hides matplotlib's import and rasterisation behind the exact
    work; each submitted batch (an exercise's figures) is one task, which a warmed-up worker shares
    with a helper it forks (:func:`draw_files`).
    The files are the same bytes as when drawn in-process.  ``symnn sheet`` enters a drawer
    before it imports SymPy, so the worker (which never needs SymPy) loads matplotlib meanwhile.
    Use as a context manager; :meth:`submit` returns a future of ``{file name: bytes}``.
    """

    def __init__(self) -> None:
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._used = False
        self._interval = sys.getswitchinterval()

    def __enter__(self) -> Drawer:
        # A submitted batch reaches the worker through the pool's own threads, each of which waits
        # for the GIL while this process solves; at the default switch interval (5 ms) a figure
        # waited about 15 ms before its drawing began.  The pool's threads are otherwise asleep, so a
        # shorter interval costs the solving nothing.
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        if available() and "fork" in multiprocessing.get_all_start_methods():
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=WORKERS, mp_context=multiprocessing.get_context("fork"))
            for _ in range(WORKERS):
                self._pool.submit(warm_up, os.getpid())
        return self

    def submit(self, drawings: tuple[Drawing, ...], prefix: str, extension: str
               ) -> concurrent.futures.Future[dict[str, bytes]]:
        """Draw ``drawings`` as ``extension`` files named with ``prefix``; in this process without a worker."""
        if self._pool is None or not drawings:
            done: concurrent.futures.Future[dict[str, bytes]] = concurrent.futures.Future()
            done.set_result(draw_files(drawings, prefix, extension) if available() else {})
            return done
        self._used = True
        parts = [self._pool.submit(draw_files, drawings, prefix, extension)]
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
        sys.setswitchinterval(self._interval)
        if self._pool is None:
            return
        if not self._used:
            # No figure came: stop the workers' matplotlib warm-up instead of waiting for it
            # (a third of a second, more on a loaded machine, on every sheet without plots).
            for process in list((getattr(self._pool, "_processes", None) or {}).values()):
                process.terminate()
        self._pool.shutdown(wait=True, cancel_futures=True)
