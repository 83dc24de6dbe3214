"""Reading and validating exercise sheets written in TOML.

Numbers are read with ``parse_float=decimal.Decimal`` and turned into
:class:`fractions.Fraction`, so ``0.1`` is exactly 1/10.  The result is plain data
(no SymPy): every later stage, the exact engine and the independent numpy
evaluator alike, starts from the same validated :class:`ExerciseSpec`, whose
``data`` is the kind's own typed given data (see :mod:`symnn.sheets.kinds`).

Matrices are tuples of rows of Fractions.  A flat list is a column vector and a
bare number is a 1x1 matrix wherever a matrix is expected.
"""

from __future__ import annotations

import decimal
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

from symnn.core.io import read_text
from symnn.errors import SpecError
from symnn.sheets.fields import Context, Layer, Matrix, describe

__all__ = ["ExerciseSpec", "Layer", "Matrix", "SheetSpec", "load_sheet", "parse_exercise", "parse_sheet"]

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


def parse_exercise(raw: Any, index: int, where: str) -> ExerciseSpec[Any]:
    """Validate one ``[[exercise]]`` table (``index`` counts from 1) with its kind's declaration."""
    from symnn.sheets.kinds import KINDS

    default_id = f"ex{index}"
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: exercise {index} must be a table")
    ex_id = raw.get("id", default_id)
    if not isinstance(ex_id, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", ex_id):
        raise SpecError(f"{where}: exercise {index}: id must be a simple name, got {ex_id!r}")
    kind = raw.get("kind")
    ctx = Context(where, ex_id, str(kind))
    if kind is None:
        raise SpecError(f"{where}: exercise {ex_id}: missing required field 'kind'; "
                        f"valid kinds: {', '.join(KINDS)}")
    if kind not in KINDS:
        raise SpecError(f"{where}: exercise {ex_id}: unknown kind {kind!r}; "
                        f"valid kinds: {', '.join(KINDS)}")
    declaration = KINDS[kind]
    title = raw.get("title", "")
    if not isinstance(title, str):
        raise ctx.error(f"title must be text, got {describe(title)}")
    keys = declaration.keys()
    extra = sorted(set(raw) - set(keys) - set(COMMON_KEYS))
    if extra:
        raise ctx.error(f"unknown field {extra[0]!r}; fields of a {kind} exercise: {', '.join(keys)}")
    return ExerciseSpec(kind=kind, id=ex_id, title=title, data=declaration.read(raw, ctx), where=where)


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


def read_document(text: str, source: str = "<text>") -> Document:
    """Parse the TOML of a sheet and find its title and exercise tables (and their lines)."""
    try:
        doc = tomllib.loads(text, parse_float=decimal.Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: TOML syntax error: {exc}") from None
    title = doc.get("title", "Exercises")
    if not isinstance(title, str):
        raise SpecError(f"{source}: title must be text")
    exercises = doc.get("exercise")
    if not isinstance(exercises, list) or not exercises:
        raise SpecError(f"{source}: no exercises; write each one as an [[exercise]] table with a kind")
    lines = _exercise_lines(text)
    wheres = tuple(f"{source}:{lines[i]}" if i < len(lines) else source for i in range(len(exercises)))
    return Document(doc, title, exercises, wheres)


def parse_sheet(text: str, source: str = "<text>") -> SheetSpec:
    """Parse and validate the TOML text of a sheet."""
    document = read_document(text, source)
    specs = []
    seen: set[str] = set()
    for i, (raw, where) in enumerate(zip(document.exercises, document.wheres), start=1):
        spec = parse_exercise(raw, i, where)
        if spec.id in seen:
            raise SpecError(f"{where}: exercise id {spec.id!r} is used twice")
        seen.add(spec.id)
        specs.append(spec)
    return SheetSpec(title=document.title, exercises=tuple(specs), source=source, raw=document.doc)


SEED_NAME = "<builtin seed>"


def seed_text() -> str:
    """The TOML text of the built-in default sheet."""
    return resources.files("symnn").joinpath("sheets/seed.toml").read_text(encoding="utf-8")


def load_sheet(path_or_text: str | Path | None = None) -> SheetSpec:
    """Load a sheet from a path, from TOML text, or (``None``) the built-in seed sheet.

    >>> sheet = load_sheet()
    >>> [e.kind for e in sheet.exercises][:2]
    ['forward', 'network']
    >>> load_sheet('title = "t"\\n[[exercise]]\\nkind = "activations"\\nx = [0.1]').exercises[0].data.x
    (Fraction(1, 10),)
    """
    if path_or_text is None:
        return parse_sheet(seed_text(), SEED_NAME)
    if isinstance(path_or_text, Path) or (
        "\n" not in path_or_text and "=" not in path_or_text
    ):
        path = Path(path_or_text)
        return parse_sheet(read_text(path, "a sheet file"), str(path))
    return parse_sheet(path_or_text)
