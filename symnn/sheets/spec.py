"""The data of a sheet: its typed exercises, and the reader of its TOML document.

Numbers are read with ``parse_float=decimal.Decimal`` and turned into
:class:`fractions.Fraction`, so ``0.1`` is exactly 1/10.  The result is plain data
(no SymPy): every later stage, the exact engine and the independent numpy
evaluator alike, starts from the same validated :class:`ExerciseSpec`, whose
``data`` is the kind's own typed given data (see :mod:`symnn.sheets.kinds`).

Validating an exercise is its kind's job; :mod:`symnn.sheets.loading` dispatches to it.
Matrices are tuples of rows of Fractions.  A flat list is a column vector and a
bare number is a 1x1 matrix wherever a matrix is expected.
"""

from __future__ import annotations

import decimal
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from symnn.errors import SpecError
from symnn.sheets.fields import Layer, Matrix

__all__ = ["Document", "ExerciseSpec", "Layer", "Matrix", "SheetSpec", "read_document"]

S = TypeVar("S")

COMMON_KEYS = ("kind", "id", "title", "asks", "random", "reject")
"""Keys every exercise table may have besides its kind's fields."""


@dataclass(frozen=True, slots=True)
class ExerciseSpec(Generic[S]):
    """A validated exercise: its kind, identity and its given data."""

    kind: str
    """The exercise kind, e.g. ``"network"``."""
    id: str
    """Identifier used in answer keys (``ex1``, ``ex2``, ... by default)."""
    title: str
    """Human title shown on the sheet."""
    data: S
    """The given data, typed by the kind (e.g. :class:`symnn.sheets.kinds.preprocessing.Preprocessing`)."""
    where: str = ""
    """``file:line`` of the exercise header, for error messages."""


@dataclass(frozen=True, slots=True)
class SheetSpec:
    """A whole sheet: a title and its exercises in order."""

    title: str
    """Sheet title."""
    exercises: tuple[ExerciseSpec[Any], ...]
    """The exercises, in the order given."""
    source: str = "<text>"
    """Where the sheet came from (a path, or ``<builtin seed>``)."""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The TOML document as parsed (Decimals), kept for tools that need unread keys."""


_HEADER = re.compile(r"^\s*\[\[\s*exercise\s*\]\]")


def _exercise_lines(text: str) -> list[int]:
    return [i for i, line in enumerate(text.splitlines(), start=1) if _HEADER.match(line)]


@dataclass(frozen=True, slots=True)
class Document:
    """A sheet's TOML, read but not yet validated exercise by exercise."""

    doc: Mapping[str, Any]
    """The parsed TOML (numbers as Decimals)."""
    title: str
    """The sheet title."""
    exercises: list[Any]
    """The raw ``[[exercise]]`` tables, in order."""
    wheres: tuple[str, ...]
    """``file:line`` of each exercise header, for error messages."""


MAX_DEPTH = 32
"""The deepest nesting of arrays and tables a sheet may have (a matrix needs 2)."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
"""Control characters (all but tab and newline), which no output format can carry as they are."""


def control_character(text: str) -> str | None:
    r"""The first control character of ``text`` (tab and newline allowed) as an escape, or None.

    >>> control_character("Quiz\u0007bell"), control_character("a\tb")
    ("'\\x07'", None)
    """
    found = _CONTROL.search(text)
    return None if found is None else ascii(found.group())


def _check_values(doc: Mapping[str, Any], source: str) -> None:
    """Refuse text with control characters and nesting deeper than :data:`MAX_DEPTH` (iteratively)."""
    stack: list[tuple[Any, str, int]] = [(doc, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise SpecError(f"{source}: {path or 'the sheet'} is nested more than {MAX_DEPTH} deep")
        if isinstance(value, str):
            bad = control_character(value)
            if bad is not None:
                raise SpecError(f"{source}: {path} contains the control character {bad}; "
                                "text may not contain control characters")
        elif isinstance(value, dict):
            for key, item in value.items():
                bad = control_character(key)
                if bad is not None:
                    raise SpecError(f"{source}: a key contains the control character {bad}")
                stack.append((item, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))


def read_document(text: str, source: str = "<text>") -> Document:
    """Parse the TOML of a sheet and find its title and exercise tables (and their lines).

    Text with control characters (other than tab and newline) and nesting deeper than
    :data:`MAX_DEPTH` are refused here, so no output format ever receives them.
    """
    try:
        doc = tomllib.loads(text, parse_float=decimal.Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: TOML syntax error: {exc}") from None
    except RecursionError:
        raise SpecError(f"{source}: arrays or tables nested too deep (at most {MAX_DEPTH})") from None
    except ValueError as exc:  # tomllib's int() of a number beyond Python's 4300-digit limit
        raise SpecError(f"{source}: a number cannot be read ({exc.args[0].split(':')[0]})") from None
    _check_values(doc, source)
    title = doc.get("title", "Exercises")
    if not isinstance(title, str):
        raise SpecError(f"{source}: title must be text")
    exercises = doc.get("exercise")
    if not isinstance(exercises, list) or not exercises:
        raise SpecError(f"{source}: no exercises; write each one as an [[exercise]] table with a kind")
    lines = _exercise_lines(text)
    wheres = tuple(f"{source}:{lines[i]}" if i < len(lines) else source for i in range(len(exercises)))
    return Document(doc, title, exercises, wheres)


SEED_NAME = "<builtin seed>"
"""The source name of the built-in seed sheet in messages."""
