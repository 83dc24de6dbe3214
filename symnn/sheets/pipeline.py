"""The ``symnn sheet`` pipeline: spec → derivations → cross-check → rendered files.

It is also where the public :func:`solve` comes from: a solved sheet and its exercises
display themselves in a notebook once this module is loaded (:mod:`~symnn.sheets.render.notebook`).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from symnn.core.io import safe_stem, write_atomic
from symnn.errors import SymnnError
from symnn.sheets.crosscheck import solve_checked
from symnn.sheets.kinds import solve
from symnn.sheets.render import notebook, plots
from symnn.sheets.render.json import to_json
from symnn.sheets.render.latex import to_latex
from symnn.sheets.render.markdown import to_markdown
from symnn.sheets.render.pdf import INSTALL_HINT, TexError, compile_pdf, find_engine
from symnn.sheets.spec import SEED_NAME, SheetSpec
from symnn.sheets.steps import DETAILS, Derivation, Sheet, brief, with_detail

__all__ = ["DEFAULT_FORMATS", "FORMATS", "INSTALL_HINT", "Format", "Rendered", "pdf_engine_found", "render_sheets",
           "solve", "solve_checked", "stem_of"]


@dataclass(frozen=True, slots=True)
class Format:
    """An output format: its file suffix and how a solved sheet becomes its bytes."""

    suffix: str
    """File name suffix, e.g. ``.md``."""
    render: Callable[[Sheet, int, Path], str | bytes]
    """Renderer taking the sheet, the number of decimals and the path it will be written to."""
    figures: str | None = None
    """Image type of the plots written beside the file (``png``, ``pdf``), if any."""


def figure_prefix(target: Path) -> str:
    """File-name prefix of the plots written beside ``target``: ``seed.md`` → ``seed-``."""
    return f"{target.stem}-"


def render_pdf(sheet: Sheet, decimals: int, target: Path) -> bytes:
    """Compile the LaTeX form; on failure keep the .tex (and its log) beside ``target`` and say where."""
    prefix = figure_prefix(target)
    tex = to_latex(sheet, decimals=decimals, figure_prefix=prefix)
    figures = plots.figure_files(sheet, prefix, "pdf")
    try:
        return compile_pdf(tex, figures, stem=target.stem)
    except TexError as exc:
        kept = target.with_suffix(".tex")
        keep: list[tuple[Path, str | bytes]] = [(kept, tex), (target.with_suffix(".log"), exc.log)]
        keep += [(target.parent / name, data) for name, data in figures.items()]
        for path, data in keep:
            write_atomic(path, data)
        raise SymnnError(f"{exc}; the document is kept as {kept} (TeX log: {kept.with_suffix('.log')})") from None


def render_html(sheet: Sheet, decimals: int) -> str:
    """The HTML page (its renderer, with the MathML converter, is loaded only when HTML is asked for)."""
    from symnn.sheets.render.html import to_html

    return to_html(sheet, decimals=decimals)


FORMATS: dict[str, Format] = {
    "md": Format(".md", lambda s, d, t: to_markdown(s, decimals=d, figures=True, figure_prefix=figure_prefix(t)),
                 figures="png"),
    "json": Format(".json", lambda s, d, t: to_json(s)),
    "tex": Format(".tex", lambda s, d, t: to_latex(s, decimals=d, figure_prefix=figure_prefix(t)), figures="pdf"),
    "html": Format(".html", lambda s, d, t: render_html(s, d)),
    "pdf": Format(".pdf", render_pdf),
}
"""Every output format by name."""

DEFAULT_FORMATS = ("md", "json", "tex", "html")
"""Written when no format is named; PDF is added when a TeX engine is found."""


QUIZ_FORMATS = ("moodle", "qti")
"""Formats that ask the sheet's results as a quiz: Moodle XML, and QTI packages (1.2 for Canvas, 2.1)."""


def quiz_files(spec: SheetSpec, sheet: Sheet, name: str, decimals: int, out: Path, stem: str
               ) -> list[tuple[Path, str | bytes]]:
    """A single quiz of the sheet (its exercises' final results, or those its ``asks`` names)."""
    from symnn.sheets.kinds import statement
    from symnn.sheets.render.moodle import Category, questions_for, to_moodle_xml
    from symnn.sheets.render.qti import to_qti12, to_qti21
    from symnn.sheets.statement import asked

    questions = []
    raw_exercises = spec.raw.get("exercise", []) if isinstance(spec.raw, dict) else []
    for i, (exercise, derivation) in enumerate(zip(spec.exercises, sheet.derivations)):
        raw = raw_exercises[i] if i < len(raw_exercises) and isinstance(raw_exercises[i], dict) else {}
        names = raw.get("asks")
        wanted = asked(derivation, names if isinstance(names, list) and names and
                       all(n in derivation.values() for n in names) else None)
        questions += questions_for(derivation.id, statement(exercise), wanted, decimals)
    category = Category(sheet.title, tuple(questions))
    if name == "moodle":
        return [(out / f"{stem}-moodle.xml", to_moodle_xml([category]))]
    return [(out / f"{stem}-qti12.zip", to_qti12(sheet.title, [category], decimals, stem)),
            (out / f"{stem}-qti21.zip", to_qti21(sheet.title, [category], decimals, stem))]


def stem_of(spec: SheetSpec) -> str:
    """The file-name stem of a sheet's outputs: a built-in sheet's name (``seed``), else the spec file's
    stem, sanitised (:func:`symnn.core.io.safe_stem`: no TeX, spaces or control characters in names)."""
    if spec.source == SEED_NAME:
        return "seed"
    if spec.source.startswith("<builtin ") and spec.source.endswith(">"):
        return safe_stem(spec.source[len("<builtin "):-1])
    return safe_stem(Path(spec.source).stem)


def pdf_engine_found() -> bool:
    """Whether a TeX engine is installed (then PDF is among the default formats)."""
    return find_engine() is not None


@dataclass(frozen=True, slots=True)
class Rendered:
    """Every file of a run, rendered but not yet written."""

    files: tuple[tuple[Path, str | bytes], ...]
    """Each file's path and contents, in writing order (the plots last)."""
    plots_missing: bool
    """Whether a sheet has plots that could not be drawn (matplotlib is not installed)."""


def render_sheets(specs: Sequence[SheetSpec], formats: Sequence[str], decimals: int, out: Path,
                  detail: str = "full", drawer: plots.Drawer | None = None) -> Rendered:
    """Solve, cross-check and render every sheet in every format (plots drawn in parallel); write nothing.

    The plots are drawn by ``drawer`` (entered by the caller: ``symnn sheet`` starts it before it
    imports this module), else by a drawer started here when a format writes plot files.

    With ``detail="brief"`` each sheet is its brief answer key (:func:`symnn.sheets.steps.brief`),
    written as ``STEM-brief.*`` so that it sits beside the full walk-through.
    """
    if detail not in DETAILS:
        raise SymnnError(f"unknown detail {detail!r}; valid: {', '.join(DETAILS)}")
    stems = [stem_of(s) + ("" if detail == "full" else f"-{detail}") for s in specs]
    if len(set(stems)) != len(stems):
        raise SymnnError("two sheets would write files of the same name; give them different file names")
    rendered: list[tuple[Path, str | bytes]] = []
    drawn: list[concurrent.futures.Future[dict[str, bytes]]] = []
    sheets = []
    pictured = [name for name in formats if name not in QUIZ_FORMATS and FORMATS[name].figures]
    if drawer is not None or not pictured:  # no worker for formats without plot files
        context: contextlib.AbstractContextManager[plots.Drawer] = contextlib.nullcontext(drawer or plots.Drawer())
    else:
        context = plots.Drawer()
    with context as active:
        for spec, stem in zip(specs, stems):
            # Each exercise's figures go to the drawing worker as soon as it is solved.
            pending: dict[str, list[concurrent.futures.Future[dict[str, bytes]]]] = {n: [] for n in pictured}

            def draw(derivation: Derivation, stem: str = stem,
                     pending: dict[str, list[concurrent.futures.Future[dict[str, bytes]]]] = pending) -> None:
                if not pending:  # no format of this run writes plot files: nothing to sample
                    return
                drawings = plots.drawings_of([derivation if detail == "full" else brief(derivation)])
                for name, futures in pending.items():
                    fmt = FORMATS[name]
                    if drawings and fmt.figures:
                        prefix = figure_prefix(out / f"{stem}{fmt.suffix}")
                        futures.append(active.submit(drawings, prefix, fmt.figures))

            sheet = with_detail(solve_checked(spec, draw), detail)
            sheets.append(sheet)
            for name in formats:
                if name in QUIZ_FORMATS:
                    rendered += quiz_files(spec, sheet, name, decimals, out, stem)
                    continue
                fmt = FORMATS[name]
                target = out / f"{stem}{fmt.suffix}"
                drawn += pending.get(name, [])
                rendered.append((target, fmt.render(sheet, decimals, target)))
        for future in drawn:
            rendered += [(out / file_name, data) for file_name, data in future.result().items()]
    missing = not plots.available() and any(True for s in sheets for _ in plots.figures_of(s))
    return Rendered(tuple(rendered), missing)


notebook.install()  # symnn.solve comes from here: its sheets display themselves in notebooks
