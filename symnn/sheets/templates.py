"""A sheet whose numbers may be random: random parameters and exercise templates.

A sheet may give random parameters instead of numbers::

    W = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [3, 2] }
    x = { choice = [[0.5, 1.0], [1.0, -0.5]] }

or name them in an ``[exercise.random]`` table (``W1``, ``b2``, ``alpha1`` address
layers; other keys address fields).  :func:`load_template` finds and validates them
once; :mod:`symnn.sheets.variants` draws from them.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from symnn.errors import SpecError
from symnn.sheets.constraints import Constraints, read_constraints
from symnn.sheets.fields import MAX_GIVEN_EXPONENT
from symnn.sheets.spec import read_document

RANDOM_KINDS = ("uniform",)
"""Distributions a ``random`` table may name."""


# ---------------------------------------------------------------------------
# Random parameters.


@dataclass(frozen=True, slots=True)
class Uniform:
    """Uniform over the grid low, low + step, …, up to high; one draw per entry of ``shape``."""

    low: Decimal
    """Smallest value."""
    high: Decimal
    """Largest value allowed (reached when high − low is a multiple of step)."""
    step: Decimal
    """Grid spacing: every value is low plus a whole number of steps."""
    shape: tuple[int, ...]
    """``()`` for a number, ``(n,)`` for a flat list (a column), ``(rows, cols)`` for a matrix."""

    def draw(self, rng: random.Random) -> Any:
        count = int((self.high - self.low) // self.step)

        def one() -> Decimal:
            return self.low + self.step * rng.randint(0, count)

        if not self.shape:
            return one()
        if len(self.shape) == 1:
            return [one() for _ in range(self.shape[0])]
        return [[one() for _ in range(self.shape[1])] for _ in range(self.shape[0])]


@dataclass(frozen=True, slots=True)
class Choice:
    """One of the listed values (numbers, lists, or names such as activations)."""

    options: tuple[Any, ...]
    """The values to choose from."""

    def draw(self, rng: random.Random) -> Any:
        return copy.deepcopy(self.options[rng.randrange(len(self.options))])


Random = Uniform | Choice


MAX_GRID_POINTS = 10**9
"""The most values a uniform random table's grid may have (low, low + step, …, high)."""


def _decimal(value: Any, name: str, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise SpecError(f"{where}: {name} must be a number, got {value!r}")
    number = Decimal(value)
    if not number.is_finite() or (number and abs(number.adjusted()) > MAX_GIVEN_EXPONENT):
        raise SpecError(f"{where}: {name} must be a finite number between 10^-{MAX_GIVEN_EXPONENT} and "
                        f"10^{MAX_GIVEN_EXPONENT} in size (or 0), got {value}")
    return number


def read_random(table: Mapping[str, Any], where: str) -> Random:
    """Validate a ``{ random = … }`` or ``{ choice = [...] }`` table."""
    if "choice" in table:
        extra = sorted(set(table) - {"choice"})
        if extra:
            raise SpecError(f"{where}: a choice table has only the key choice, not {extra[0]!r}")
        options = table["choice"]
        if not isinstance(options, list) or not options:
            raise SpecError(f"{where}: choice must be a non-empty list of values")
        return Choice(tuple(options))
    extra = sorted(set(table) - {"random", "low", "high", "step", "shape"})
    if extra:
        raise SpecError(f"{where}: unknown key {extra[0]!r} in a random table; keys: random, low, high, step, shape")
    if table["random"] not in RANDOM_KINDS:
        raise SpecError(f"{where}: unknown distribution {table['random']!r}; valid: {', '.join(RANDOM_KINDS)}")
    for key in ("low", "high", "step"):
        if key not in table:
            raise SpecError(f"{where}: a uniform random table needs {key}")
    low, high, step = (_decimal(table[k], k, where) for k in ("low", "high", "step"))
    if low > high:
        raise SpecError(f"{where}: impossible range: low = {low} is above high = {high}")
    if step <= 0:
        raise SpecError(f"{where}: step must be positive, got {step}")
    if (high - low) / step > MAX_GRID_POINTS:
        raise SpecError(f"{where}: low = {low}, high = {high} and step = {step} make more than "
                        f"{MAX_GRID_POINTS:,} grid points; use a larger step")
    if step > high - low:
        raise SpecError(f"{where}: step = {step} is larger than the range high − low = {high - low}; "
                        "use choice = [...] for a fixed value")
    shape = table.get("shape", [])
    if (not isinstance(shape, list) or len(shape) > 2
            or not all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 64 for n in shape)):
        raise SpecError(f"{where}: shape must be [n] or [rows, columns] with sizes from 1 to 64, got {shape!r}")
    return Uniform(low, high, step, tuple(shape))


def is_random(value: Any) -> bool:
    """Whether a TOML value is a random-parameter table."""
    return isinstance(value, dict) and ("random" in value or "choice" in value)


Path_ = tuple[str | int, ...]
"""Where a value sits inside an exercise table: keys and list indices."""


def _collect(value: Any, path: Path_, where: str, found: list[tuple[Path_, Random]]) -> None:
    if is_random(value):
        found.append((path, read_random(value, f"{where}: {_path_text(path)}")))
    elif isinstance(value, dict):
        for key, item in value.items():
            _collect(item, (*path, key), where, found)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _collect(item, (*path, i), where, found)


def _path_text(path: Path_) -> str:
    if len(path) >= 3 and path[0] == "layers":
        return f"layer {int(path[1]) + 1} {path[2]}"
    return ".".join(str(p) for p in path)


_LAYER_KEY = re.compile(r"(W|b|alpha|activation)(\d+)")


def _named_path(key: str, raw: Mapping[str, Any], where: str) -> Path_:
    """Where an ``[exercise.random]`` key points: ``W2`` is layer 2's W; ``x`` is the field x."""
    match = _LAYER_KEY.fullmatch(key)
    if match and isinstance(raw.get("layers"), list):
        number = int(match.group(2))
        if not 1 <= number <= len(raw["layers"]):
            raise SpecError(f"{where}: random {key}: there is no layer {number} "
                            f"(the network has {len(raw['layers'])})")
        return ("layers", number - 1, match.group(1))
    return (key,)


def _set(target: Any, path: Path_, value: Any) -> None:
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


# ---------------------------------------------------------------------------
# Templates: a sheet with its random parameters found and validated once.


@dataclass(frozen=True, slots=True)
class ExerciseTemplate:
    """One exercise of a sheet with random parameters."""

    index: int
    """1-based position in the sheet."""
    where: str
    """``file:line`` for messages."""
    raw: dict[str, Any]
    """The exercise table without its random, reject and asks keys."""
    randoms: tuple[tuple[Path_, Random], ...]
    """Where each random parameter goes and how it is drawn."""
    constraints: Constraints
    """The rejection rules."""
    asks: tuple[str, ...] | None
    """Names of the asked quantities (None: the exercise's final results)."""

    def draw(self, rng: random.Random) -> dict[str, Any]:
        raw = copy.deepcopy(self.raw)
        for path, r in self.randoms:
            _set(raw, path, r.draw(rng))
        return raw


@dataclass(frozen=True, slots=True)
class Template:
    """A sheet whose numbers may be random."""

    title: str
    """Sheet title."""
    source: str
    """Where it came from."""
    exercises: tuple[ExerciseTemplate, ...]
    """Its exercises in order."""


def _asks(value: Any, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise SpecError(f"{where}: asks must be a non-empty list of quantity names, e.g. [\"L\", \"dL_dW1\"]")
    return tuple(value)


def _exercise_template(raw: Any, index: int, where: str) -> ExerciseTemplate:
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: exercise {index} must be a table")
    raw = dict(raw)
    named = raw.pop("random", None)
    constraints = read_constraints(raw.pop("reject", None), where)
    asks = _asks(raw.pop("asks", None), where)
    found: list[tuple[Path_, Random]] = []
    _collect(raw, (), where, found)
    if named is not None:
        if not isinstance(named, dict):
            raise SpecError(f"{where}: random must be a table of parameters, e.g. [exercise.random]")
        for key, table in named.items():
            if not is_random(table):
                raise SpecError(f"{where}: random.{key} must be a table with random = \"uniform\" or choice")
            found.append((_named_path(key, raw, where), read_random(table, f"{where}: random.{key}")))
    return ExerciseTemplate(index, where, raw, tuple(found), constraints, asks)


@cache
def load_template(text: str, source: str = "<text>") -> Template:
    """Read a sheet whose numbers may be random (cached: worker processes read it once)."""
    document = read_document(text, source)
    templates = tuple(_exercise_template(raw, i, where)
                      for i, (raw, where) in enumerate(zip(document.exercises, document.wheres), start=1))
    return Template(document.title, source, templates)
