"""``python -m symnn``: the same command line as ``symnn``."""

from symnn.cli import run

run()
