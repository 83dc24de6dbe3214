"""The ``symnn sheet`` pipeline: spec → derivations → cross-check → rendered files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from symnn.crosscheck import crosscheck
from symnn.errors import SymnnError
from symnn.exercises import solve_exercise
from symnn.io import prepare_dir, write_atomic
from symnn.render.json import to_json
from symnn.render.markdown import to_markdown
from symnn.render.printing import DEFAULT_DECIMALS
from symnn.spec import SEED_NAME, SheetSpec, load_sheet
from symnn.steps import Sheet


@dataclass(frozen=True, slots=True)
class Format:
    """An output format: its file suffix and how a solved sheet becomes its bytes."""

    suffix: str
    """File name suffix, e.g. ``.md``."""
    render: Callable[[Sheet, int], str | bytes]
    """Renderer taking the sheet and the number of decimals."""


FORMATS: dict[str, Format] = {
    "md": Format(".md", lambda s, d: to_markdown(s, decimals=d)),
    "json": Format(".json", lambda s, d: to_json(s)),
}
"""Every output format by name."""

DEFAULT_FORMATS = ("md", "json")


def solve_checked(spec: SheetSpec) -> Sheet:
    """Solve every exercise exactly and cross-check every quantity with numpy."""
    derivations = []
    for exercise in spec.exercises:
        d = solve_exercise(exercise)
        crosscheck(exercise, d)
        derivations.append(d)
    return Sheet(spec.title, tuple(derivations))


def parse_formats(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise SymnnError(f"unknown format {unknown[0] if unknown else text!r}; valid formats: {', '.join(FORMATS)}")
    return names


def stem_of(spec: SheetSpec) -> str:
    return "seed" if spec.source == SEED_NAME else Path(spec.source).stem


def run(args: argparse.Namespace) -> int:
    formats = parse_formats(args.format) if args.format else DEFAULT_FORMATS
    if args.decimals < 0 or args.decimals > 30:
        raise SymnnError(f"--decimals must be between 0 and 30, got {args.decimals}")
    specs = [load_sheet(p) for p in args.spec] if args.spec else [load_sheet()]
    stems = [stem_of(s) for s in specs]
    if len(set(stems)) != len(stems):
        raise SymnnError("two sheets would write files of the same name; give them different file names")
    rendered: list[tuple[Path, str | bytes]] = []
    out = Path(args.out)
    for spec, stem in zip(specs, stems):
        sheet = solve_checked(spec)
        for name in formats:
            fmt = FORMATS[name]
            rendered.append((out / f"{stem}{fmt.suffix}", fmt.render(sheet, args.decimals)))
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
    p.add_argument("--format", "-f", help=f"comma-separated formats ({', '.join(FORMATS)}); default: all")
    p.add_argument("--out", "-o", default="output", help="output folder (default: output)")
    p.add_argument("--decimals", type=int, default=DEFAULT_DECIMALS, help="places after ≈ (default 3)")
    p.add_argument("--quiet", "-q", action="store_true", help="do not list the files written")
    p.set_defaults(func=run)
