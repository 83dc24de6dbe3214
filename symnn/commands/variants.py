"""``symnn variants``: per-student variants of a sheet (:mod:`symnn.sheets.variants`)."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Generator
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from symnn.commands.sheet import DEFAULT_DECIMALS, add_detail

if TYPE_CHECKING:
    from symnn.sheets.variants import Variant

FORMAT_NAMES = ("md", "json", "moodle", "qti")
"""Output formats of ``symnn variants``."""
MAX_COUNT = 10_000
""":data:`symnn.sheets.variants.MAX_COUNT` (a test holds them equal), for the help text."""


def parse_formats(text: str | None) -> tuple[str, ...]:
    """The formats named in ``--format`` (default: md and json)."""
    from symnn.errors import SymnnError

    if not text:
        return ("md", "json")
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in FORMAT_NAMES]
    if unknown or not names:
        raise SymnnError(f"unknown format {unknown[0] if unknown else text!r}; "
                         f"valid formats: {', '.join(FORMAT_NAMES)}")
    return names


GC_THRESHOLDS = (10_000, 50, 1000)
"""The garbage collector's thresholds while variants are made.  Solving and printing allocate
millions of short-lived SymPy objects with hardly any cycles; at Python's default (700, 10, 10)
the collector takes about a tenth of the time, mostly re-walking the long-lived caches."""


def _worker_start() -> None:
    """A pool worker's start: what it inherited from the parent (modules, warm caches) is frozen
    out of the collector's walks, and the thresholds are :data:`GC_THRESHOLDS`."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _generate(args: argparse.Namespace, text: str, jobs: int, lean: bool) -> Generator[Variant, None, None]:
    """The variants in order, as they are made: on the cluster, in this process or in a pool of ``jobs``
    processes (which lives until the last is given)."""
    from concurrent.futures import ProcessPoolExecutor

    from symnn.sheets.variants import iter_variants

    if args.scheduler:
        from symnn.commands.cluster import cluster_executor

        with cluster_executor(args.scheduler) as executor:
            yield from iter_variants(text, args.count, args.seed, args.spec, args.decimals, executor, args.detail,
                                     lean, texts=True)
        return
    if jobs == 1:
        yield from iter_variants(text, args.count, args.seed, args.spec, args.decimals, detail=args.detail)
        return
    with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_start) as pool:
        yield from iter_variants(text, args.count, args.seed, args.spec, args.decimals, pool, args.detail, lean,
                                 texts=True)  # VariantFiles writes from the texts alone


def run(args: argparse.Namespace) -> int:
    """Draw, solve and check every variant (in ``--jobs`` processes), writing each one's files as it comes
    into a staging folder; the files are renamed into place only when every variant is done."""
    from symnn.commands.table import terminal_safe
    from symnn.core.io import StagedFiles, read_text, safe_stem
    from symnn.errors import SymnnError
    from symnn.sheets.templates import load_template
    from symnn.sheets.variants import VariantFiles, check_count, superseded_by_run

    check_count(args.count)
    formats = parse_formats(args.format)
    if args.jobs < 0 or args.jobs > 256:
        raise SymnnError(f"--jobs must be between 0 (one per core) and 256, got {args.jobs}")
    if args.decimals < 0 or args.decimals > 30:
        raise SymnnError(f"--decimals must be between 0 and 30, got {args.decimals}")
    text = read_text(args.spec, "a sheet file")
    jobs = args.jobs or os.cpu_count() or 1
    lean = "qti" not in formats  # only the QTI export reads what each Moodle question asks
    template = load_template(text, args.spec)  # a bad sheet fails here, before any folder or worker
    out = Path(args.out)
    stem = safe_stem(Path(args.spec).stem)
    count = draws = 0
    thresholds = gc.get_threshold()
    with StagedFiles(out, superseded_by_run(stem)) as staged:  # nothing is renamed into place before commit
        files = VariantFiles(staged, args.seed, stem, out, formats, args.decimals)
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            with closing(_generate(args, text, jobs, lean)) as variants:  # a failed write stops the pool too
                for variant in variants:
                    files.add(variant)
                    count, draws = count + 1, draws + variant.draws
        finally:
            gc.set_threshold(*thresholds)
        files.finish()
        staged.commit()
    if not args.quiet:
        redrawn = draws - count * len(template.exercises)
        print(terminal_safe(f"wrote {len(staged)} files for {count} variants to {out} ({redrawn} draws rejected)"),
              file=sys.stderr)
    return 0


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``symnn variants``."""
    p = subparsers.add_parser(
        "variants", help="write per-student variants of a sheet with random parameters",
        description="Draw COUNT variants of a sheet whose numbers may be random, reproducibly from SEED; "
                    "reject draws that make poor exercises; solve and cross-check each; write student "
                    "sheets, teacher sheets, one JSON answer key and (optionally) Moodle XML.")
    p.add_argument("spec", metavar="SPEC", help="TOML sheet with random parameters")
    p.add_argument("--count", "-n", type=int, required=True, help=f"number of variants (1 to {MAX_COUNT})")
    p.add_argument("--seed", "-s", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", "-o", default="variants", help="output folder (default: variants)")
    p.add_argument("--format", "-f", help=f"comma-separated formats ({', '.join(FORMAT_NAMES)}); "
                                          "default: md,json")
    p.add_argument("--jobs", "-j", type=int, default=1, help="worker processes (0: one per core; default 1)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on the Dask distributed cluster at ADDRESS (e.g. tcp://host:8786) instead of --jobs")
    p.add_argument("--decimals", type=int, default=DEFAULT_DECIMALS, help="places after ≈ and for Moodle answers (default 3)")
    add_detail(p, "full: teacher sheets with the worked walk-through (default); brief: teacher sheets as "
                  "answer keys with the formula, the substitution and the result of each quantity")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar; do not report what was written")
    p.set_defaults(func=run)
