"""The subcommands of ``symnn``: one module each (sheet, check, lint, variants), argparse and printing only.

Each module imports only the standard library when it is loaded, so building the whole
parser (``symnn --help``) loads no SymPy; a command imports the work it does when it runs.
:mod:`table` holds the aligned tables and verdict colours of ``check`` and ``lint``.
"""
