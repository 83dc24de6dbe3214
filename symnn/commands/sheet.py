"""``symnn sheet``: write worked solutions of exercise sheets (:mod:`symnn.sheets.pipeline`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from symnn.sheets.render.drawing import Drawer

FORMAT_NAMES = ("md", "json", "tex", "html", "pdf", "moodle", "qti")
"""The formats of :data:`symnn.sheets.pipeline.FORMATS` and its quizzes, ``QUIZ_FORMATS`` (a test holds
them equal), named here so that building the parser loads no renderer."""
DEFAULT_DECIMALS = 3
""":data:`symnn.core.decimals.DEFAULT_DECIMALS` (a test holds them equal)."""


def parse_formats(text: str) -> tuple[str, ...]:
    """The formats named in ``--format`` (comma-separated, first mention kept)."""
    from symnn.errors import SymnnError

    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in FORMAT_NAMES]
    if unknown or not names:
        raise SymnnError(f"unknown format {unknown[0] if unknown else text!r}; valid formats: {', '.join(FORMAT_NAMES)}")
    return names


def chosen_formats(args: argparse.Namespace) -> tuple[str, ...]:
    """The formats asked for: ``--format``, plus ``--pdf``; by default all, PDF when it can be made."""
    from symnn.errors import SymnnError
    from symnn.sheets import pipeline

    if args.format:
        formats = parse_formats(args.format)
    elif args.pdf or pipeline.pdf_engine_found():
        formats = (*pipeline.DEFAULT_FORMATS, "pdf")
    else:
        if not args.quiet:
            print(f"symnn: note: PDF skipped: {pipeline.INSTALL_HINT}", file=sys.stderr)
        formats = pipeline.DEFAULT_FORMATS
    if args.pdf and "pdf" not in formats:
        formats = (*formats, "pdf")
    if "pdf" in formats and not pipeline.pdf_engine_found():
        raise SymnnError(pipeline.INSTALL_HINT)
    return formats


FIGURE_FORMATS = ("md", "tex")
"""The formats whose plot files a drawing worker draws (those with ``Format.figures`` in
:data:`symnn.sheets.pipeline.FORMATS`; a test holds them equal).  HTML's inline SVG and the
PDF's figures are drawn in the main process."""


def draws_figures(args: argparse.Namespace) -> bool:
    """Whether the run writes plot files a worker draws: then that worker is started first (the
    default formats include Markdown)."""
    from symnn.errors import SymnnError

    if args.list:
        return False
    if not args.format:
        return True
    try:
        return any(name in FIGURE_FORMATS for name in parse_formats(args.format))
    except SymnnError:  # reported by chosen_formats, without a worker
        return False


def run(args: argparse.Namespace) -> int:
    """Solve, check and render every sheet; write the files only when all of them are done.

    A drawing worker is forked first, before SymPy and the pipeline are imported
    (:class:`symnn.sheets.render.drawing.Drawer`): matplotlib loads there meanwhile.
    """
    if draws_figures(args):
        from symnn.sheets.render.drawing import Drawer

        with Drawer() as drawer:
            return _run(args, drawer)
    return _run(args, None)


def _run(args: argparse.Namespace, drawer: Drawer | None) -> int:
    from symnn.commands.table import terminal_safe
    from symnn.core.io import write_files
    from symnn.errors import SymnnError
    from symnn.sheets import pipeline
    from symnn.sheets.loading import builtin_sheets, load_argument, load_sheet
    from symnn.sheets.render.plots import MISSING_NOTE

    if args.list:
        for name, title in builtin_sheets().items():
            print(f"{name:<16} {title}")
        return 0
    formats = chosen_formats(args)
    if args.decimals < 0 or args.decimals > 30:
        raise SymnnError(f"--decimals must be between 0 and 30, got {args.decimals}")
    specs = [load_argument(p) for p in args.spec] if args.spec else [load_sheet()]
    out = Path(args.out)
    rendered = pipeline.render_sheets(specs, formats, args.decimals, out, args.detail, drawer)
    if rendered.plots_missing and not args.quiet:
        print(f"symnn: note: {MISSING_NOTE}", file=sys.stderr)
    write_files(out, rendered.files)
    if not args.quiet:
        for path, _ in rendered.files:
            print(f"wrote {terminal_safe(str(path))}", file=sys.stderr)
    return 0


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``symnn sheet``."""
    p = subparsers.add_parser("sheet", help="write worked solutions of exercise sheets",
                              description="Solve exercise sheets exactly, cross-check every value with numpy "
                                          "and write them. Without SPEC, the built-in seed sheet.")
    p.add_argument("spec", nargs="*", metavar="SPEC",
                   help="TOML exercise sheet file(s), or the name of a built-in sheet (see --list)")
    p.add_argument("--list", action="store_true", help="list the built-in sheets and exit")
    p.add_argument("--format", "-f", help=f"comma-separated formats ({', '.join(FORMAT_NAMES)}); default: all "
                                           "(pdf only when a TeX engine is found)")
    p.add_argument("--pdf", action="store_true", help="also compile a PDF (needs latexmk, pdflatex, lualatex or tectonic)")
    p.add_argument("--out", "-o", default="output", help="output folder (default: output)")
    p.add_argument("--decimals", type=int, default=DEFAULT_DECIMALS, help="places after ≈ (default 3)")
    add_detail(p, "full: the worked walk-through (default); brief: an answer key with the formula, the "
                  "substitution and the result of each quantity, written as NAME-brief.*")
    p.add_argument("--quiet", "-q", action="store_true", help="do not list the files written")
    p.set_defaults(func=run)


DETAIL_NAMES = ("full", "brief")
""":data:`symnn.sheets.steps.DETAILS` (a test holds them equal), named here so that building the parser
loads no SymPy."""


def add_detail(p: argparse.ArgumentParser, help_text: str) -> None:
    """The ``--detail full|brief`` option."""
    p.add_argument("--detail", choices=DETAIL_NAMES, default="full", help=help_text)
