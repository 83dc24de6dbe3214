"""Reading the given data of an exercise: one reader per kind of TOML value.

Every reader takes ``(value, name, ctx)`` and returns validated plain data (no
SymPy): numbers as exact :class:`fractions.Fraction` (TOML is parsed with
``parse_float=decimal.Decimal``, so ``0.1`` is exactly 1/10), matrices as tuples of
rows, names checked against their options.  A bad value raises a one-line
:class:`~symnn.errors.SpecError` naming ``file:line``, the exercise and the field.

A flat list is a column vector and a bare number is a 1x1 matrix wherever a matrix
is expected.
"""

from __future__ import annotations

import decimal
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from fractions import Fraction
from typing import Any, TypeVar, cast

from symnn.core.calculus import ACTIVATIONS, SOFTMAX
from symnn.core.calculus import DEFAULT_ALPHA as DEFAULT_ALPHA  # re-exported: the kinds read it here
from symnn.core.formula import Formula, parse_formula
from symnn.errors import ParseError, ShapeError, SpecError, SymnnError

Matrix = tuple[tuple[Fraction, ...], ...]
"""A matrix as a tuple of rows of exact Fractions."""

NETWORK_ACTIVATIONS = (*ACTIVATIONS, SOFTMAX)
"""Activation names a network or forward layer may use (softmax only on the output layer)."""
T = TypeVar("T")



@dataclass(frozen=True, slots=True)
class Layer:
    """One dense layer, Z = W A_prev + b, A = activation(Z)."""

    W: Matrix
    """Weights, (outputs x inputs)."""
    b: Matrix | None
    """Bias column (outputs x 1), or None for a layer without bias."""
    activation: str
    """Name of the activation, a key of :data:`symnn.core.calculus.ACTIVATIONS`."""
    alpha: Fraction | None = None
    """Slope parameter for leaky ReLU / ELU, else None."""
    formula: Formula | None = None
    """A custom activation's parsed formula (then ``activation`` is its display name), else None."""


class Context:
    """Where we are while validating, so every message can say it."""

    def __init__(self, where: str, ex_id: str, kind: str) -> None:
        self.where = where
        self.ex_id = ex_id
        self.kind = kind

    def error(self, message: str, cls: type[SymnnError] = SpecError) -> SymnnError:
        """The error to raise: ``file:line: exercise id (kind): message``."""
        return cls(f"{self.where}: exercise {self.ex_id} ({self.kind}): {message}")


MAX_GIVEN_EXPONENT = 100
"""A given number is at most 10^100 in size and at least 10^-100 apart from 0 (exponents are
bounded when read, before any exact arithmetic: ``1e999999999`` would take forever)."""
MAX_GIVEN_DIGITS = 60
"""A given number has at most this many significant digits."""


def _number(value: Any, name: str, ctx: Context) -> Fraction:
    if isinstance(value, bool):
        raise ctx.error(f"{name} must be a number, got the boolean {str(value).lower()}")
    if isinstance(value, int):
        if value.bit_length() > MAX_GIVEN_EXPONENT * 3.33:  # before str(value) can hit the int-to-str limit
            raise ctx.error(f"{name} is an integer larger than 10^{MAX_GIVEN_EXPONENT}; "
                            f"given numbers are at most 10^{MAX_GIVEN_EXPONENT}")
        return Fraction(value)
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ctx.error(f"{name} must be a finite number, got {value}")
        if value and abs(value.adjusted()) > MAX_GIVEN_EXPONENT:
            raise ctx.error(f"{name} = {_brief(value)} is out of range: given numbers lie between "
                            f"10^-{MAX_GIVEN_EXPONENT} and 10^{MAX_GIVEN_EXPONENT} in size (or are 0)")
        if len(value.as_tuple().digits) > MAX_GIVEN_DIGITS:
            raise ctx.error(f"{name} = {_brief(value)} has more than {MAX_GIVEN_DIGITS} significant digits")
        return Fraction(value)
    raise ctx.error(f"{name} must be a number, got {describe(value)}")


def _brief(value: decimal.Decimal) -> str:
    text = str(value)
    return text if len(text) <= 40 else f"{text[:20]}…{text[-12:]}"


def describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"{type(value).__name__} {value!r}"


def read_scalar(value: Any, name: str, ctx: Context) -> Fraction:
    """A single exact number."""
    if isinstance(value, list):
        flat = [v for v in value]
        if len(flat) == 1 and not isinstance(flat[0], list):
            return _number(flat[0], name, ctx)
        raise ctx.error(f"{name} must be a single number, got a list of {len(flat)}")
    return _number(value, name, ctx)


MAX_ENTRIES = 40_000
"""The most entries of one given matrix or vector (200×200) unless ``SYMNN_MAX_ENTRIES`` says otherwise:
exact work grows faster than the entries, so larger inputs are refused before any work starts."""
MAX_ENTRIES_BY_KIND = {"preprocessing": 10_000}
"""Kinds whose exact work grows fastest get a lower default (100×100)."""
COST = {"preprocessing": "100×100 takes about 15 s", "network": "a 200-200-1 network takes about 7 s"}
"""What the largest default size costs (measured on a loaded 2-core machine), said when refusing."""


def max_entries(kind: str = "") -> int:
    """The limit for ``kind``, or the ``SYMNN_MAX_ENTRIES`` environment variable when it is a positive integer."""
    text = os.environ.get("SYMNN_MAX_ENTRIES", "")
    if text.isdigit() and 0 < len(text) < 10 and int(text) > 0:
        return int(text)
    return MAX_ENTRIES_BY_KIND.get(kind, MAX_ENTRIES)


def _check_entries(count: int, name: str, ctx: Context) -> None:
    limit = max_entries(ctx.kind)
    if count > limit:
        cost = COST.get(ctx.kind, "a 200×200 matrix takes seconds")
        raise ctx.error(f"{name} has {count:,} entries, more than the {limit:,} symnn solves by default "
                        f"(exact work grows faster than the entries: {cost}, larger inputs can take minutes); "
                        "set SYMNN_MAX_ENTRIES to go past it")


def read_matrix(value: Any, name: str, ctx: Context) -> Matrix:
    """A matrix: list of rows; a flat list is a column; a number is 1x1."""
    if not isinstance(value, list):
        return ((_number(value, name, ctx),),)
    if not value:
        raise ctx.error(f"{name} is empty")
    _check_entries(sum(len(v) if isinstance(v, list) else 1 for v in value), name, ctx)
    if all(not isinstance(v, list) for v in value):
        return tuple((_number(v, f"{name}[{i + 1}]", ctx),) for i, v in enumerate(value))
    if not all(isinstance(v, list) for v in value):
        raise ctx.error(f"{name} mixes numbers and rows; write every row as a list")
    width = len(value[0])
    rows = []
    for i, row in enumerate(value):
        if len(row) != width:
            raise ctx.error(
                f"{name} row {i + 1} has {len(row)} entries but row 1 has {width}",
                ShapeError,
            )
        if width == 0:
            raise ctx.error(f"{name} row {i + 1} is empty")
        rows.append(
            tuple(_number(v, f"{name}[{i + 1}][{j + 1}]", ctx) for j, v in enumerate(row))
        )
    return tuple(rows)


def read_vector(value: Any, name: str, ctx: Context) -> tuple[Fraction, ...]:
    """A flat list of numbers (a number alone is a list of one)."""
    if not isinstance(value, list):
        return (_number(value, name, ctx),)
    _check_entries(len(value), name, ctx)
    if not value:
        raise ctx.error(f"{name} is empty")
    if any(isinstance(v, list) for v in value):
        raise ctx.error(f"{name} must be a flat list of numbers")
    return tuple(_number(v, f"{name}[{i + 1}]", ctx) for i, v in enumerate(value))


_PLURAL = {"loss": "losses", "penalty": "penalties"}


@dataclass(frozen=True, slots=True)
class Choice:
    """A reader of one name out of :attr:`options` (or, with :attr:`many`, a non-empty list of them)."""

    options: tuple[str, ...]
    """The valid names, in the order messages list them."""
    what: str
    """What a name is, for messages (``loss``, ``penalty``)."""
    many: bool = False
    """Whether the field is a list of names."""

    def __call__(self, value: Any, name: str, ctx: Context) -> Any:
        if not self.many:
            return self._one(value, name, ctx)
        if not isinstance(value, list) or not value:
            raise ctx.error(f"{name} must be a non-empty list of names")
        return tuple(self._one(v, name, ctx) for v in value)

    def _one(self, value: Any, name: str, ctx: Context) -> str:
        if not isinstance(value, str):
            raise ctx.error(f"{name} must be a name, got {describe(value)}")
        if value not in self.options:
            plural = _PLURAL.get(self.what, self.what + "s")
            raise ctx.error(f"unknown {self.what} {value!r}; valid {plural}: {', '.join(self.options)}")
        return value


def choice(options: tuple[str, ...], what: str) -> Choice:
    """A reader of one name out of ``options``."""
    return Choice(options, what)


def choices(options: tuple[str, ...], what: str) -> Choice:
    """A reader of a non-empty list of names out of ``options``."""
    return Choice(options, what, many=True)


def read_int(value: Any, name: str, ctx: Context) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ctx.error(f"{name} must be a whole number, got {describe(value)}")
    return value


def shape(m: Matrix) -> tuple[int, int]:
    """(rows, columns) of a spec matrix."""
    return (len(m), len(m[0]))


def shape_text(m: Matrix) -> str:
    r, c = shape(m)
    return f"{r}×{c}"


_CUSTOM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,15}")


def read_activation(value: Any, name: str, ctx: Context) -> str | Formula:
    """A built-in activation's name, or a custom one: a table ``{ formula = "...", name = "..." }``."""
    if isinstance(value, dict):
        return _read_custom(value, name, ctx)
    if not isinstance(value, str):
        raise ctx.error(f"{name} must be a name or a table {{ formula = \"...\" }}, got {describe(value)}")
    if value not in NETWORK_ACTIVATIONS:
        raise ctx.error(f"unknown activation {value!r}; valid activations: {', '.join(NETWORK_ACTIVATIONS)}, "
                        "or a custom one written { formula = \"x / (1 + abs(x))\", name = \"softsign\" }")
    return value


def _read_custom(value: dict[str, Any], name: str, ctx: Context) -> Formula:
    unknown = sorted(set(value) - {"formula", "name"})
    if unknown:
        raise ctx.error(f"{name}: unknown field {unknown[0]!r}; a custom activation has formula and name")
    text = value.get("formula")
    if not isinstance(text, str):
        raise ctx.error(f"{name}: a custom activation needs formula = \"...\" (text in x)")
    display = value.get("name", "f")
    if not isinstance(display, str) or not _CUSTOM_NAME.fullmatch(display) or display in NETWORK_ACTIVATIONS:
        raise ctx.error(f"{name}: custom activation name must be a short word (letters and digits) that is "
                        f"not a built-in activation, got {display!r}")
    try:
        tree = parse_formula(text)
    except ParseError as exc:
        raise ctx.error(f"{name} formula {text!r}: {exc}", ParseError) from None
    return Formula(display, text, tree)


def activation_parts(value: str | Formula) -> tuple[str, Formula | None]:
    return (value.name, value) if isinstance(value, Formula) else (value, None)


def read_network_layers(value: Any, name: str, ctx: Context) -> tuple[Layer, ...]:
    """Layers of a network: any built-in or custom activation, softmax on the output layer only."""
    return _read_layers(value, name, ctx, general=True)


def read_layers(value: Any, name: str, ctx: Context) -> tuple[Layer, ...]:
    """Layers with built-in elementwise activations only."""
    return _read_layers(value, name, ctx, general=False)


def _read_layers(value: Any, name: str, ctx: Context, general: bool) -> tuple[Layer, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise ctx.error(f"{name} must be a list of tables [[exercise.layers]] with W and activation")
    layers = []
    for i, raw in enumerate(value, start=1):
        unknown = sorted(set(raw) - {"W", "b", "activation", "alpha"})
        if unknown:
            raise ctx.error(f"layer {i}: unknown field {unknown[0]!r}; layer fields: W, b, activation, alpha")
        if "W" not in raw:
            raise ctx.error(f"layer {i}: missing required field 'W'")
        if "activation" not in raw:
            raise ctx.error(f"layer {i}: missing required field 'activation'")
        W = read_matrix(raw["W"], f"W{i}", ctx)
        b = read_matrix(raw["b"], f"b{i}", ctx) if "b" in raw else None
        if general:
            act, formula = activation_parts(read_activation(raw["activation"], f"layer {i} activation", ctx))
        else:
            act = choice(tuple(ACTIVATIONS), "activation")(raw["activation"], f"layer {i} activation", ctx)
            formula = None
        if act == SOFTMAX and i != len(value):
            raise ctx.error(f"layer {i}: softmax is only allowed on the output layer (layer {len(value)})")
        alpha = read_scalar(raw["alpha"], f"layer {i} alpha", ctx) if "alpha" in raw else None
        if b is not None and shape(b) != (shape(W)[0], 1):
            raise ctx.error(
                f"b{i} is {shape_text(b)} but W{i} is {shape_text(W)}; b{i} needs to be {shape(W)[0]}×1",
                ShapeError,
            )
        if alpha is None:
            alpha = DEFAULT_ALPHA.get(act)
        layers.append(Layer(W, b, act, alpha, formula))
    for i in range(1, len(layers)):
        prev, cur = layers[i - 1], layers[i]
        if shape(cur.W)[1] != shape(prev.W)[0]:
            raise ctx.error(
                f"W{i + 1} is {shape_text(cur.W)} but layer {i} outputs {shape(prev.W)[0]} values "
                f"(W{i} is {shape_text(prev.W)}); W{i + 1} needs {shape(prev.W)[0]} columns",
                ShapeError,
            )
    return tuple(layers)


def read_bool(value: Any, name: str, ctx: Context) -> bool:
    if not isinstance(value, bool):
        raise ctx.error(f"{name} must be true or false, got {describe(value)}")
    return value


def read_expand(value: Any, name: str, ctx: Context) -> tuple[int, int]:
    """``[rows, columns]``: the largest matrix whose substitution is written out entry by entry."""
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)):
        raise ctx.error(f"{name} must be [rows, columns], two whole numbers of at least 1, e.g. [4, 4]")
    return (value[0], value[1])


Reader = Callable[[Any, str, Context], Any]




# ---------------------------------------------------------------------------
# A kind's given data as a typed dataclass: each field declared once, with its reader.

_REQUIRED: Any = object()


def given(read: Reader, *, default: Any = _REQUIRED, key: str | None = None) -> Any:
    """Declare one field of a kind's given data: how it is read, its default (none: required), its TOML key.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Example:
    ...     rate: Fraction = given(read_scalar, key="lambda")
    ...     steps: int = given(read_int, default=1)
    >>> read_given(Example, {"lambda": decimal.Decimal("0.5")}, Context("f:1", "ex1", "example"))
    Example(rate=Fraction(1, 2), steps=1)
    """
    metadata = {"read": read, "key": key}
    if default is _REQUIRED:
        return field(metadata=metadata)
    return field(default=default, metadata=metadata)


def derived(default: Any = None) -> Any:
    """Declare a field of a kind's given data that is not a TOML key: the data's ``complete()`` fills it in.

    (Network targets given as class indices keep them here, while ``y`` holds the one-hot columns.)
    """
    return field(default=default, metadata={"derived": True})


def given_fields(data: Any) -> list[Any]:
    """The fields declared with :func:`given`, in order (not the :func:`derived` ones)."""
    return [f for f in fields(data) if "read" in f.metadata]


def given_keys(data: type[Any]) -> tuple[str, ...]:
    """The TOML keys of a given-data dataclass, in declaration order."""
    return tuple(f.metadata.get("key") or f.name for f in given_fields(data))


def read_given(data: type[T], raw: Mapping[str, Any], ctx: Context) -> T:
    """Read every declared field of ``data`` from the exercise table ``raw``, in declaration order."""
    values: dict[str, Any] = {}
    for f in given_fields(cast(Any, data)):
        key = f.metadata.get("key") or f.name
        if key in raw:
            values[f.name] = f.metadata["read"](raw[key], key, ctx)
        elif f.default is MISSING:
            raise ctx.error(f"missing required field {key!r}")
    return data(**values)


def given_items(data: Any) -> list[tuple[str, Any]]:
    """The given data as (TOML key, value) pairs, in declaration order."""
    return [(f.metadata.get("key") or f.name, getattr(data, f.name)) for f in given_fields(data)]


def field_values(data: Any) -> dict[str, Any]:
    """Every field of a given-data dataclass by name, :func:`derived` ones included."""
    return {f.name: getattr(data, f.name) for f in fields(data)}
