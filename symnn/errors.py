"""One exception hierarchy for everything symnn reports to a user.

Every message is one line that names what was received, what was expected and where
(file, exercise, field, matrix and shape).  The CLI prints ``str(error)`` and exits
with :attr:`SymnnError.exit_code`.
"""

from __future__ import annotations


class SymnnError(Exception):
    """Base class: a problem symnn can explain in one line."""

    exit_code = 2


class SpecError(SymnnError):
    """An exercise file is missing, unreadable, malformed or inconsistent."""


class ShapeError(SpecError):
    """Two matrices that must fit together do not (names both and their shapes)."""


class MathDomainError(SpecError):
    """The given numbers make a quantity undefined or infinite (e.g. log 0, σ = 0)."""


class CrossCheckError(SymnnError):
    """An exact value disagrees with the independent numpy evaluator: a bug in symnn."""

    exit_code = 1


class ParseError(SymnnError):
    """Mathematical text that symnn's own safe parser cannot read."""
