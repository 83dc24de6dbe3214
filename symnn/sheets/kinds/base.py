"""What one exercise kind declares, in one place: :class:`Kind`.

A kind's module defines its given data as a frozen dataclass (each field declared
with :func:`~symnn.sheets.fields.given`: its reader, its default, a docstring; a
``check(ctx)`` method for the rules between fields; for data with
:func:`~symnn.sheets.fields.derived` fields, a ``complete()`` method returning the
data with them filled in), its solver, and then one
``Kind(...)`` value naming everything else symnn needs of it: the numpy reference
that cross-checks it, its statement, the rules that reject a poor random draw, the
definitions ``symnn check`` compiles for it and its check recipes with their named
mistakes.  :mod:`symnn.sheets.kinds` lists the declarations, one line per kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from symnn.sheets.constraints import Constraints
from symnn.sheets.fields import Context, given_keys, read_given
from symnn.sheets.recipes import Program, Programs, Recipes, no_programs, no_recipes
from symnn.sheets.reference.arrays import Values
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.statement import Line, generic_statement
from symnn.sheets.steps import Derivation

S = TypeVar("S")


def no_rejections(data: object, values: Values, constraints: Constraints) -> list[str]:
    """A kind whose random draws are never rejected for their numbers."""
    return []


@dataclass(frozen=True, slots=True)
class Kind(Generic[S]):
    """Everything symnn knows about one exercise kind.

    >>> from symnn.sheets.kinds import KINDS
    >>> KINDS["preprocessing"].keys()
    ('X', 'ddof')
    """

    name: str
    """The kind's name in a sheet: ``kind = "preprocessing"``."""
    data: type[S]
    """The typed given data: a frozen dataclass whose fields are declared with ``given(...)``."""
    solve: Callable[[ExerciseSpec[S]], Derivation]
    """The worked solution, exact (SymPy)."""
    reference: Callable[[S], Values]
    """The independent numpy evaluator (:mod:`symnn.sheets.reference`): every quantity in float64 by name."""
    statement: Callable[[S], list[Line]] = generic_statement
    """The given data as lines of a student sheet (default: every field as ``name = value``)."""
    rejects: Callable[[S, Values, Constraints], list[str]] = no_rejections
    """The constraints a random draw breaks, judged on its reference values (``symnn variants``)."""
    programs: Callable[[S], dict[str, Program]] = no_programs
    """The definitions ``symnn check`` needs compiled for :attr:`recipes` (SymPy, once per key)."""
    recipes: Callable[[S, Programs], Recipes] = no_recipes
    """How each quantity follows from earlier ones, and the named mistakes (``symnn check``; no SymPy)."""
    def keys(self) -> tuple[str, ...]:
        """The TOML keys of the kind's fields, in order."""
        return given_keys(self.data)

    def read(self, raw: Mapping[str, Any], ctx: Context) -> S:
        """Read and validate the given data of one exercise table."""
        data = read_given(self.data, raw, ctx)
        check: Callable[[Context], None] | None = getattr(data, "check", None)
        if check is not None:
            check(ctx)
        complete: Callable[[], S] | None = getattr(data, "complete", None)
        return data if complete is None else complete()
