"""The ``symnn sheet`` pipeline: spec → derivations → cross-check → rendered files."""

from __future__ import annotations

import argparse
import concurrent.futures
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from symnn.core.io import prepare_dir, write_atomic
from symnn.errors import SymnnError
from symnn.sheets.crosscheck import solve_checked
from symnn.sheets.render import plots
from symnn.sheets.render.html import to_html
from symnn.sheets.render.json import to_json
from symnn.sheets.render.latex import to_latex
from symnn.sheets.render.markdown import to_markdown
from symnn.sheets.render.pdf import INSTALL_HINT, TexError, compile_pdf, find_engine
from symnn.sheets.render.printing import DEFAULT_DECIMALS
from symnn.sheets.spec import SEED_NAME, SheetSpec, load_sheet
from symnn.sheets.steps import Sheet


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


FORMATS: dict[str, Format] = {
    "md": Format(".md", lambda s, d, t: to_markdown(s, decimals=d, figures=True, figure_prefix=figure_prefix(t)),
                 figures="png"),
    "json": Format(".json", lambda s, d, t: to_json(s)),
    "tex": Format(".tex", lambda s, d, t: to_latex(s, decimals=d, figure_prefix=figure_prefix(t)), figures="pdf"),
    "html": Format(".html", lambda s, d, t: to_html(s, decimals=d)),
    "pdf": Format(".pdf", render_pdf),
}
"""Every output format by name."""

DEFAULT_FORMATS = ("md", "json", "tex", "html")
"""Written when no format is named; PDF is added when a TeX engine is found."""


def parse_formats(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise SymnnError(f"unknown format {unknown[0] if unknown else text!r}; valid formats: {', '.join(FORMATS)}")
    return names


def stem_of(spec: SheetSpec) -> str:
    return "seed" if spec.source == SEED_NAME else Path(spec.source).stem


def chosen_formats(args: argparse.Namespace) -> tuple[str, ...]:
    """The formats asked for: ``--format``, plus ``--pdf``; by default all, PDF when it can be made."""
    if args.format:
        formats = parse_formats(args.format)
    elif args.pdf or find_engine() is not None:
        formats = (*DEFAULT_FORMATS, "pdf")
    else:
        if not args.quiet:
            print(f"symnn: note: PDF skipped: {INSTALL_HINT}", file=sys.stderr)
        formats = DEFAULT_FORMATS
    if args.pdf and "pdf" not in formats:
        formats = (*formats, "pdf")
    if "pdf" in formats and find_engine() is None:
        raise SymnnError(INSTALL_HINT)
    return formats


def run(args: argparse.Namespace) -> int:
    formats = chosen_formats(args)
    if args.decimals < 0 or args.decimals > 30:
        raise SymnnError(f"--decimals must be between 0 and 30, got {args.decimals}")
    specs = [load_sheet(p) for p in args.spec] if args.spec else [load_sheet()]
    stems = [stem_of(s) for s in specs]
    if len(set(stems)) != len(stems):
        raise SymnnError("two sheets would write files of the same name; give them different file names")
    rendered: list[tuple[Path, str | bytes]] = []
    drawn: list[concurrent.futures.Future[dict[str, bytes]]] = []
    out = Path(args.out)
    sheets = []
    with plots.Drawer() as drawer:
        for spec, stem in zip(specs, stems):
            sheet = solve_checked(spec)
            sheets.append(sheet)
            for name in formats:
                fmt = FORMATS[name]
                target = out / f"{stem}{fmt.suffix}"
                if fmt.figures:
                    drawn.append(drawer.submit(sheet, figure_prefix(target), fmt.figures))
                rendered.append((target, fmt.render(sheet, args.decimals, target)))
        for future in drawn:
            rendered += [(out / file_name, data) for file_name, data in future.result().items()]
    if not plots.available() and not args.quiet and any(True for s in sheets for _ in plots.figures_of(s)):
        print(f"symnn: note: {plots.MISSING_NOTE}", file=sys.stderr)
    # Nothing is written until every sheet has been solved, checked and rendered.
    prepare_dir(out)
    for path, data in rendered:
        write_atomic(path, data)
        if not args.quiet:
            print(f"wrote {path}", file=sys.stderr)
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("sheet", help="write worked solutions of exercise sheets",
                              description="Solve exercise sheets exactly, cross-check every value with numpy "
                                          "and write them. Without SPEC, the built-in seed sheet.")
    p.add_argument("spec", nargs="*", metavar="SPEC", help="TOML exercise sheet(s)")
    p.add_argument("--format", "-f", help=f"comma-separated formats ({', '.join(FORMATS)}); default: all "
                                           "(pdf only when a TeX engine is found)")
    p.add_argument("--pdf", action="store_true", help="also compile a PDF (needs latexmk, pdflatex, lualatex or tectonic)")
    p.add_argument("--out", "-o", default="output", help="output folder (default: output)")
    p.add_argument("--decimals", type=int, default=DEFAULT_DECIMALS, help="places after ≈ (default 3)")
    p.add_argument("--quiet", "-q", action="store_true", help="do not list the files written")
    p.set_defaults(func=run)
