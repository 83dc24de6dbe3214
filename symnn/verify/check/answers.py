"""Reading an answers file: TOML claims, validated against the answer key's names and shapes.

Numbers are read exactly (``parse_float=Decimal``) and keep the number of decimals
they are written with, which the rounding rule needs.  Anything that is not a
claim symnn can check is a :class:`~symnn.errors.SpecError` (or
:class:`~symnn.errors.ShapeError`) with a one-line message naming the file, the
exercise, the quantity and, for an entry, its position.

>>> from symnn.sheets.loading import load_sheet
>>> from symnn.verify.check.key import build_key
>>> [claim] = read_claims(build_key(load_sheet()), {"ex1": {"Z": [Decimal("0.70"), 1]}})
>>> claim.values, claim.places
(((Fraction(7, 10),), (Fraction(1, 1),)), ((2,), (None,)))
"""

from __future__ import annotations

import decimal
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from symnn.core.io import read_text
from symnn.errors import ShapeError, SpecError
from symnn.verify.check.key import ExerciseKey, KeyQuantity, SheetKey

MAX_FILE_BYTES = 1_000_000
"""Answers files larger than this are refused."""
MAX_DIGITS = 40
"""Claims with more significant digits than this are refused."""
MAX_MAGNITUDE = 30
"""Claims beyond 10^±30 are refused: no hand calculation of these kinds goes there."""


@dataclass(frozen=True, slots=True)
class Claim:
    """One claimed quantity as read from an answers file."""

    exercise: str
    """Exercise id."""
    quantity: str
    """Quantity name."""
    written: Any
    """The claim as written: a number, a list or a list of rows (Decimals and ints)."""
    values: tuple[tuple[Fraction, ...], ...]
    """The claimed entries as a matrix; a flat list is oriented as the quantity is."""
    places: tuple[tuple[int | None, ...], ...]
    """Decimals written for each entry; None for an integer, which claims an exact value."""
    transposed: bool
    """Whether the matrix is written with the transposed shape of the quantity."""


def _number(value: Any, where: str) -> tuple[Fraction, int | None]:
    """A claimed number as an exact Fraction and its decimals (None: written as an integer)."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float, Fraction)):
        shown = f"the text {value!r}" if isinstance(value, str) else f"{type(value).__name__} {value!r}"
        raise SpecError(f"{where} must be a number, got {shown}")
    if isinstance(value, (int, Fraction)):
        if abs(value) > 10**MAX_MAGNITUDE:
            raise SpecError(f"{where} = {value} is beyond 1e{MAX_MAGNITUDE}, too large to be checked")
        return Fraction(value), None
    if isinstance(value, float):
        value = Decimal(repr(value))  # the shortest decimal that reads back as this float
    if not value.is_finite():
        raise SpecError(f"{where} must be a finite number, got {value}")
    sign, digits, exponent = value.as_tuple()
    if len(digits) > MAX_DIGITS or (value != 0 and abs(value.adjusted()) > MAX_MAGNITUDE):
        raise SpecError(f"{where} = {value} has more digits or a larger exponent than symnn checks "
                        f"(at most {MAX_DIGITS} digits and 1e±{MAX_MAGNITUDE})")
    magnitude = int("".join(map(str, digits)))
    n = -magnitude if sign else magnitude
    if int(exponent) >= 0:
        return Fraction(n * 10 ** int(exponent)), None
    return Fraction(n, 10 ** -int(exponent)), -int(exponent)


def _shape_text(shape: tuple[int, int]) -> str:
    return f"{shape[0]}×{shape[1]}"


def _rows(value: Any, q: KeyQuantity, where: str) -> tuple[list[list[Any]], bool]:
    """The claim as rows in the quantity's orientation, and whether it is written transposed."""
    rows, cols = q.shape
    if not isinstance(value, list):
        _number(value, where)  # a text or a table is reported as such, before its shape
        if q.shape != (1, 1):
            raise ShapeError(f"{where}: a single number is claimed but {q.name} is {_shape_text(q.shape)}")
        return [[value]], False
    if not value:
        raise SpecError(f"{where} is an empty list")
    if all(not isinstance(v, list) for v in value):
        if (rows == 1 or cols == 1) and len(value) == rows * cols:
            return ([list(value)] if rows == 1 else [[v] for v in value]), False
        raise ShapeError(f"{where}: a list of {len(value)} numbers is claimed but {q.name} is "
                         f"{_shape_text(q.shape)}")
    if not all(isinstance(v, list) for v in value):
        raise SpecError(f"{where} mixes numbers and rows; write every row as a list")
    width = len(value[0])
    for i, row in enumerate(value, start=1):
        if len(row) != width or not row:
            raise ShapeError(f"{where}: row {i} has {len(row)} entries but row 1 has {width}")
    claimed = (len(value), width)
    if claimed == q.shape:
        return value, False
    if rows == 1 or cols == 1:
        if claimed == (cols, rows):  # a vector's orientation is not checked
            return ([[r[0] for r in value]] if rows == 1 else [[v] for v in value[0]]), False
    elif claimed == (cols, rows):
        return value, True
    raise ShapeError(f"{where}: the claim is {_shape_text(claimed)} but {q.name} is {_shape_text(q.shape)}")


def read_claim(exercise: ExerciseKey, name: str, value: Any, source: str) -> Claim:
    """Validate one claimed quantity against the key's shape."""
    where = f"{source}: [{exercise.id}] {name}"
    try:
        q = exercise.quantity(name)
    except KeyError:
        raise SpecError(f"{source}: [{exercise.id}] unknown quantity {name!r}; quantities of {exercise.id}: "
                        f"{', '.join(exercise.names)}") from None
    rows, transposed = _rows(value, q, where)
    single = len(rows) == 1 and len(rows[0]) == 1 and not isinstance(value, list)
    parsed = [[_number(v, where if single else f"{where}[{i + 1}]" + (f"[{j + 1}]" if len(row) > 1 and len(rows) > 1 else ""))
               for j, v in enumerate(row)] for i, row in enumerate(rows)]
    return Claim(exercise.id, name, value, tuple(tuple(v for v, _ in row) for row in parsed),
                 tuple(tuple(k for _, k in row) for row in parsed), transposed)


def read_claims(key: SheetKey, answers: Mapping[str, Any], source: str = "<answers>") -> list[Claim]:
    """Every claim of an answers mapping (as parsed from TOML), in sheet order."""
    if not isinstance(answers, Mapping):
        raise SpecError(f"{source}: answers must be a table of exercises")
    for ex_id, table in answers.items():
        if ex_id not in key.ids:
            raise SpecError(f"{source}: unknown exercise {ex_id!r}; exercises of this sheet: {', '.join(key.ids)}")
        if not isinstance(table, Mapping):
            raise SpecError(f"{source}: {ex_id} must be a table [{ex_id}] of claimed quantities, "
                            f"e.g. [{ex_id}] then {key[ex_id].names[0]} = ...")
    claims = []
    for exercise in key.exercises:
        table = answers.get(exercise.id, {})
        for name, value in table.items():
            if name not in exercise.names:
                read_claim(exercise, name, value, source)  # raises the unknown-quantity error
        claims += [read_claim(exercise, name, table[name], source) for name in exercise.names if name in table]
    if not claims:
        raise SpecError(f"{source}: no claims; write a table per exercise, e.g. [{key.ids[0]}] then "
                        f"{key.exercises[0].names[0]} = ...")
    return claims


def read_answers_file(path: str | Path) -> dict[str, Any]:
    """Parse an answers file (TOML, numbers as exact Decimals), or say in one line why not."""
    return read_answers_text(answers_source(path), str(path))


def answers_source(path: str | Path) -> str:
    """The text of an answers file, refused in one line when it is too big or unreadable."""
    p = Path(path)
    try:
        too_big = p.is_file() and p.stat().st_size > MAX_FILE_BYTES
    except OSError:
        too_big = False  # read_text says what is wrong with the path
    if too_big:
        raise SpecError(f"{p}: larger than {MAX_FILE_BYTES // 1000} kB; not an answers file")
    return read_text(p, "an answers file", MAX_FILE_BYTES)


def read_answers_text(text: str, source: str) -> dict[str, Any]:
    """Parse the TOML text of an answers file (numbers as exact Decimals); ``source`` names it in errors."""
    try:
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: TOML syntax error: {exc}") from None
    except decimal.InvalidOperation:
        raise SpecError(f"{source}: a number cannot be read exactly") from None
    except RecursionError:
        raise SpecError(f"{source}: arrays or tables nested too deep") from None
    except ValueError as exc:  # tomllib's int() of a number beyond Python's 4300-digit limit
        raise SpecError(f"{source}: a number cannot be read ({exc.args[0].split(':')[0]})") from None
