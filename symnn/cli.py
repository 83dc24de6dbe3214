"""The ``symnn`` command line: ``main(argv=None) -> int``, called directly by tests."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from symnn import __version__
from symnn.commands import check, lint, sheet, variants
from symnn.errors import SymnnError

_TOO_LARGE = (OverflowError, RecursionError, MemoryError)
"""What an input too large for every bound raises; reported in one line, exit 2."""


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand (:mod:`symnn.commands`); building it loads no SymPy."""
    parser = argparse.ArgumentParser(
        prog="symnn", description="Exact worked solutions for neural-network exercises, and checks of hand work.")
    parser.add_argument("--version", action="version", version=f"symnn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (sheet, check, lint, variants):
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run symnn with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its one-line usage error
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    from symnn.core.progress import set_quiet

    set_quiet(bool(getattr(args, "quiet", False)))
    try:
        return int(args.func(args))
    except SymnnError as exc:
        from symnn.commands.table import terminal_safe

        print(f"symnn: error: {terminal_safe(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except _TOO_LARGE as exc:
        # Last resort: the readers bound what they accept, so this is a size no bound foresaw.
        print(f"symnn: error: the input makes numbers or structures too large to compute with "
              f"({type(exc).__name__}); use smaller numbers", file=sys.stderr)
        return 2
    except ValueError as exc:
        if "integer string conversion" not in str(exc):
            raise
        print("symnn: error: a number has more than 4300 digits; use smaller numbers", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("symnn: interrupted", file=sys.stderr)
        return 130


def run() -> NoReturn:
    """The ``symnn`` program (console script and ``python -m symnn``): :func:`main`, then exit at once.

    Everything a command does is finished when :func:`main` returns (files written, drawing
    workers joined), so the process flushes its output and ends with ``os._exit`` instead of
    tearing the interpreter down: freeing SymPy's modules and caches object by object takes a
    tenth of a second or more, after the work is done.  An exception that escapes :func:`main`
    (a bug) still ends the normal way, with its traceback, and so does a run under a profiler or
    tracer (``python -m cProfile -m symnn``, coverage), which writes its results at exit.
    """
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can be said there
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
