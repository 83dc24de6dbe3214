"""Reading and validating exercise sheets written in TOML.

Numbers are read with ``parse_float=decimal.Decimal`` and turned into
:class:`fractions.Fraction`, so ``0.1`` is exactly 1/10.  The result is plain data
(no SymPy): every later stage, the exact engine and the independent numpy
evaluator alike, starts from the same validated :class:`ExerciseSpec`.

Matrices are tuples of rows of Fractions.  A flat list is a column vector and a
bare number is a 1x1 matrix wherever a matrix is expected.
"""

from __future__ import annotations

import decimal
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

from symnn.core.calculus import ACTIVATIONS, LOSSES, SOFTMAX
from symnn.core.formula import Formula, parse_formula
from symnn.core.io import read_text
from symnn.errors import ParseError, ShapeError, SpecError, SymnnError

Matrix = tuple[tuple[Fraction, ...], ...]
"""A matrix as a tuple of rows of exact Fractions."""

PENALTIES = ("l2", "l2_half")
ACTIVATION_KINDS = ("relu", "leaky_relu", "sigmoid", "tanh")
NETWORK_ACTIVATIONS = (*ACTIVATIONS, SOFTMAX)
"""Activation names a network or forward layer may use (softmax only on the output layer)."""
REDUCTIONS = ("sum", "mean")
"""How a batch loss combines its samples' losses."""
MAX_STEPS = 20
"""Most gradient-descent steps one exercise may ask for."""
DEFAULT_EXPAND = (4, 4)
"""Matrices up to this many rows and columns have their substitution written out entry by entry."""


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


@dataclass(frozen=True, slots=True)
class ExerciseSpec:
    """A validated exercise: its kind, identity and its given data."""

    kind: str
    """The exercise kind, e.g. ``"network"``."""
    id: str
    """Identifier used in answer keys (``ex1``, ``ex2``, ... by default)."""
    title: str
    """Human title shown on the sheet."""
    fields: Mapping[str, Any]
    """The given data: Fractions, :data:`Matrix` tuples, names and :class:`Layer` tuples."""
    where: str = ""
    """``file:line`` of the exercise header, for error messages."""


@dataclass(frozen=True, slots=True)
class SheetSpec:
    """A whole sheet: a title and its exercises in order."""

    title: str
    """Sheet title."""
    exercises: tuple[ExerciseSpec, ...]
    """The exercises, in the order given."""
    source: str = "<text>"
    """Where the sheet came from (a path, or ``<builtin seed>``)."""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The TOML document as parsed (Decimals), kept for tools that need unread keys."""


# ---------------------------------------------------------------------------
# Field readers: each takes (value, context) and returns validated plain data.


class _Context:
    """Where we are while validating, so every message can say it."""

    def __init__(self, where: str, ex_id: str, kind: str) -> None:
        self.where = where
        self.ex_id = ex_id
        self.kind = kind

    def error(self, message: str, cls: type[SymnnError] = SpecError) -> SymnnError:
        return cls(f"{self.where}: exercise {self.ex_id} ({self.kind}): {message}")


def _number(value: Any, name: str, ctx: _Context) -> Fraction:
    if isinstance(value, bool):
        raise ctx.error(f"{name} must be a number, got the boolean {str(value).lower()}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ctx.error(f"{name} must be a finite number, got {value}")
        return Fraction(value)
    raise ctx.error(f"{name} must be a number, got {_describe(value)}")


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"{type(value).__name__} {value!r}"


def read_scalar(value: Any, name: str, ctx: _Context) -> Fraction:
    """A single exact number."""
    if isinstance(value, list):
        flat = [v for v in value]
        if len(flat) == 1 and not isinstance(flat[0], list):
            return _number(flat[0], name, ctx)
        raise ctx.error(f"{name} must be a single number, got a list of {len(flat)}")
    return _number(value, name, ctx)


def read_matrix(value: Any, name: str, ctx: _Context) -> Matrix:
    """A matrix: list of rows; a flat list is a column; a number is 1x1."""
    if not isinstance(value, list):
        return ((_number(value, name, ctx),),)
    if not value:
        raise ctx.error(f"{name} is empty")
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


def read_vector(value: Any, name: str, ctx: _Context) -> tuple[Fraction, ...]:
    """A flat list of numbers (a number alone is a list of one)."""
    if not isinstance(value, list):
        return (_number(value, name, ctx),)
    if not value:
        raise ctx.error(f"{name} is empty")
    if any(isinstance(v, list) for v in value):
        raise ctx.error(f"{name} must be a flat list of numbers")
    return tuple(_number(v, f"{name}[{i + 1}]", ctx) for i, v in enumerate(value))


_PLURAL = {"loss": "losses", "penalty": "penalties"}


def _choice(options: tuple[str, ...], what: str) -> Callable[[Any, str, _Context], str]:
    plural = _PLURAL.get(what, what + "s")

    def read(value: Any, name: str, ctx: _Context) -> str:
        if not isinstance(value, str):
            raise ctx.error(f"{name} must be a name, got {_describe(value)}")
        if value not in options:
            raise ctx.error(
                f"unknown {what} {value!r}; valid {plural}: {', '.join(options)}"
            )
        return value

    return read


def _choices(options: tuple[str, ...], what: str) -> Callable[[Any, str, _Context], tuple[str, ...]]:
    one = _choice(options, what)

    def read(value: Any, name: str, ctx: _Context) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise ctx.error(f"{name} must be a non-empty list of names")
        return tuple(one(v, name, ctx) for v in value)

    return read


def read_int(value: Any, name: str, ctx: _Context) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ctx.error(f"{name} must be a whole number, got {_describe(value)}")
    return value


def shape(m: Matrix) -> tuple[int, int]:
    """(rows, columns) of a spec matrix."""
    return (len(m), len(m[0]))


def shape_text(m: Matrix) -> str:
    r, c = shape(m)
    return f"{r}×{c}"


_CUSTOM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,15}")


def read_activation(value: Any, name: str, ctx: _Context) -> str | Formula:
    """A built-in activation's name, or a custom one: a table ``{ formula = "...", name = "..." }``."""
    if isinstance(value, dict):
        return _read_custom(value, name, ctx)
    if not isinstance(value, str):
        raise ctx.error(f"{name} must be a name or a table {{ formula = \"...\" }}, got {_describe(value)}")
    if value not in NETWORK_ACTIVATIONS:
        raise ctx.error(f"unknown activation {value!r}; valid activations: {', '.join(NETWORK_ACTIVATIONS)}, "
                        "or a custom one written { formula = \"x / (1 + abs(x))\", name = \"softsign\" }")
    return value


def _read_custom(value: dict[str, Any], name: str, ctx: _Context) -> Formula:
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


def _activation_parts(value: str | Formula) -> tuple[str, Formula | None]:
    return (value.name, value) if isinstance(value, Formula) else (value, None)


def read_network_layers(value: Any, name: str, ctx: _Context) -> tuple[Layer, ...]:
    """Layers of a network: any built-in or custom activation, softmax on the output layer only."""
    return _read_layers(value, name, ctx, general=True)


def read_layers(value: Any, name: str, ctx: _Context) -> tuple[Layer, ...]:
    """Layers with built-in elementwise activations only."""
    return _read_layers(value, name, ctx, general=False)


def _read_layers(value: Any, name: str, ctx: _Context, general: bool) -> tuple[Layer, ...]:
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
            act, formula = _activation_parts(read_activation(raw["activation"], f"layer {i} activation", ctx))
        else:
            act = _choice(tuple(ACTIVATIONS), "activation")(raw["activation"], f"layer {i} activation", ctx)
            formula = None
        if act == SOFTMAX and i != len(value):
            raise ctx.error(f"layer {i}: softmax is only allowed on the output layer (layer {len(value)})")
        alpha = read_scalar(raw["alpha"], f"layer {i} alpha", ctx) if "alpha" in raw else None
        if b is not None and shape(b) != (shape(W)[0], 1):
            raise ctx.error(
                f"b{i} is {shape_text(b)} but W{i} is {shape_text(W)}; b{i} needs to be {shape(W)[0]}×1",
                ShapeError,
            )
        if act in ("leaky_relu", "elu") and alpha is None:
            alpha = Fraction(1, 100) if act == "leaky_relu" else Fraction(1)
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


def read_bool(value: Any, name: str, ctx: _Context) -> bool:
    if not isinstance(value, bool):
        raise ctx.error(f"{name} must be true or false, got {_describe(value)}")
    return value


def read_expand(value: Any, name: str, ctx: _Context) -> tuple[int, int]:
    """``[rows, columns]``: the largest matrix whose substitution is written out entry by entry."""
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)):
        raise ctx.error(f"{name} must be [rows, columns], two whole numbers of at least 1, e.g. [4, 4]")
    return (value[0], value[1])


Reader = Callable[[Any, str, _Context], Any]


@dataclass(frozen=True, slots=True)
class FieldRule:
    """How one field of an exercise kind is read."""

    read: Reader
    """Function turning the TOML value into validated plain data."""
    required: bool = True
    """Whether the field must be present."""
    default: Any = None
    """Value used when an optional field is absent."""


_loss = _choice(tuple(LOSSES), "loss")

SCHEMAS: dict[str, dict[str, FieldRule]] = {
    "forward": {
        "W": FieldRule(read_matrix),
        "X": FieldRule(read_matrix),
        "b": FieldRule(read_matrix, required=False),
        "activation": FieldRule(read_activation),
        "alpha": FieldRule(read_scalar, required=False),
        "expand": FieldRule(read_expand, required=False, default=DEFAULT_EXPAND),
    },
    "network": {
        "x": FieldRule(read_matrix),
        "y": FieldRule(read_matrix),
        "layers": FieldRule(read_network_layers),
        "loss": FieldRule(_loss),
        "learning_rate": FieldRule(read_scalar, required=False),
        "reduction": FieldRule(_choice(REDUCTIONS, "reduction"), required=False),
        "steps": FieldRule(read_int, required=False),
        "update_biases": FieldRule(read_bool, required=False, default=True),
        "expand": FieldRule(read_expand, required=False, default=DEFAULT_EXPAND),
    },
    "preprocessing": {
        "X": FieldRule(read_matrix),
        "ddof": FieldRule(read_int, required=False, default=0),
    },
    "activations": {
        "x": FieldRule(read_vector),
        "functions": FieldRule(_choices(ACTIVATION_KINDS, "function"), required=False,
                               default=ACTIVATION_KINDS),
        "alpha": FieldRule(read_scalar, required=False, default=Fraction(1, 100)),
    },
    "gradient_check": {
        "W": FieldRule(read_scalar),
        "x": FieldRule(read_scalar),
        "b": FieldRule(read_scalar),
        "y": FieldRule(read_scalar),
        "epsilon": FieldRule(read_scalar, required=False, default=Fraction(1, 10000)),
    },
    "regularization": {
        "W": FieldRule(read_matrix),
        "lambda": FieldRule(read_scalar),
        "grad": FieldRule(read_matrix),
        "learning_rate": FieldRule(read_scalar),
        "penalty": FieldRule(_choice(PENALTIES, "penalty"), required=False, default="l2"),
    },
    "error_analysis": {
        "y": FieldRule(read_scalar),
        "y_hat": FieldRule(read_scalar),
        "loss": FieldRule(_choice(("bce", "half_sse", "sse", "mse"), "loss"), required=False,
                          default="bce"),
        "layers": FieldRule(read_layers, required=False, default=()),
    },
}
"""Field rules per exercise kind: the names are the contract used by tests and tools."""

KINDS = tuple(SCHEMAS)


def _check_kind(kind: str, f: dict[str, Any], ctx: _Context) -> None:
    """Cross-field checks: shapes that must agree and values that must be in range."""
    if kind == "forward":
        W, X = f["W"], f["X"]
        if shape(W)[1] != shape(X)[0]:
            raise ctx.error(
                f"W is {shape_text(W)} but X is {shape_text(X)}; W needs {shape(X)[0]} columns "
                "to multiply X", ShapeError)
        b = f.get("b")
        if b is not None and shape(b) not in ((shape(W)[0], 1), (shape(W)[0], shape(X)[1])):
            raise ctx.error(f"b is {shape_text(b)} but W X is {shape(W)[0]}×{shape(X)[1]}; "
                            f"b needs {shape(W)[0]} rows", ShapeError)
        f["activation"], f["formula"] = _activation_parts(f["activation"])
        if f["activation"] in ("leaky_relu", "elu") and f.get("alpha") is None:
            f["alpha"] = Fraction(1, 100) if f["activation"] == "leaky_relu" else Fraction(1)
        if f["activation"] == SOFTMAX and shape(W)[0] < 2:
            raise ctx.error(f"softmax needs at least 2 outputs, but W is {shape_text(W)}")
    elif kind == "network":
        _check_network(f, ctx)
    elif kind == "preprocessing":
        X = f["X"]
        if shape(X)[0] < 2:
            raise ctx.error("X needs at least 2 samples (rows) to scale")
        if not 0 <= f["ddof"] < shape(X)[0]:
            raise ctx.error(f"ddof must be between 0 and {shape(X)[0] - 1}, got {f['ddof']}")
        for j in range(shape(X)[1]):
            col = [row[j] for row in X]
            if min(col) == max(col):
                raise ctx.error(
                    f"feature {j + 1} (column {j + 1} of X) is constant ({min(col)}): its range and "
                    f"standard deviation are 0, so it cannot be scaled")
    elif kind == "regularization":
        if shape(f["W"]) != shape(f["grad"]):
            raise ctx.error(f"grad is {shape_text(f['grad'])} but W is {shape_text(f['W'])}; "
                            "they must have the same shape", ShapeError)
    elif kind == "gradient_check":
        if f["epsilon"] <= 0:
            raise ctx.error(f"epsilon must be positive, got {f['epsilon']}")
    elif kind == "error_analysis":
        if f["loss"] == "bce":
            if f["y_hat"] in (0, 1):
                raise ctx.error(
                    f"binary cross-entropy with y_hat = {f['y_hat']} is infinite (log 0); "
                    "y_hat must lie strictly between 0 and 1")
            if not 0 < f["y_hat"] < 1:
                raise ctx.error(f"binary cross-entropy needs 0 < y_hat < 1, got {f['y_hat']}")
            if not 0 <= f["y"] <= 1:
                raise ctx.error(f"binary cross-entropy needs y in [0, 1], got {f['y']}")


def _check_network(f: dict[str, Any], ctx: _Context) -> None:
    """A network's shapes, targets, loss and training settings must fit together."""
    x, layers = f["x"], f["layers"]
    if shape(layers[0].W)[1] != shape(x)[0]:
        raise ctx.error(
            f"W1 is {shape_text(layers[0].W)} but x is {shape_text(x)}; "
            f"W1 needs {shape(x)[0]} columns", ShapeError)
    out, samples = shape(layers[-1].W)[0], shape(x)[1]
    softmax_out = layers[-1].activation == SOFTMAX
    if f["loss"] == "cross_entropy" and not softmax_out:
        raise ctx.error("cross_entropy needs a softmax output layer; for a single sigmoid output use bce")
    if softmax_out and out < 2:
        raise ctx.error(f"softmax needs at least 2 outputs, but W{len(layers)} is {shape_text(layers[-1].W)}")
    f["y_classes"] = None
    if f["loss"] == "cross_entropy" and shape(f["y"]) != (out, samples):
        f["y_classes"] = _class_indices(f["y"], out, samples, ctx)
        f["y"] = tuple(tuple(Fraction(int(c == k)) for c in f["y_classes"]) for k in range(out))
    y = f["y"]
    if shape(y) != (out, samples):
        raise ctx.error(f"y is {shape_text(y)} but the network outputs {out}×{samples}", ShapeError)
    if f["loss"] in ("bce", "cross_entropy"):
        for row in y:
            for v in row:
                if not 0 <= v <= 1:
                    raise ctx.error(f"{LOSSES[f['loss']].description} needs targets y in [0, 1], got {v}")
    if f["loss"] == "cross_entropy":
        for j in range(samples):
            total = sum(row[j] for row in y)
            if total != 1:
                raise ctx.error(f"cross_entropy needs each sample's targets to sum to 1 (one-hot), but "
                                f"column {j + 1} of y sums to {total}")
    if f["reduction"] is None:
        f["reduction"] = "mean" if f["loss"] == "mse" else "sum"
    if f["steps"] is not None:
        if not 1 <= f["steps"] <= MAX_STEPS:
            raise ctx.error(f"steps must be between 1 and {MAX_STEPS}, got {f['steps']}")
        if f["learning_rate"] is None:
            raise ctx.error(f"steps = {f['steps']} needs a learning_rate")
    if f["learning_rate"] is not None and f["learning_rate"] <= 0:
        raise ctx.error(f"learning_rate must be positive, got {f['learning_rate']}")


def _class_indices(y: Matrix, classes: int, samples: int, ctx: _Context) -> tuple[int, ...]:
    """Targets given as class indices (0-based): a number, or one row or column of them."""
    flat = [v for row in y for v in row]
    if len(flat) != samples or (shape(y)[0] != 1 and shape(y)[1] != 1):
        raise ctx.error(f"y is {shape_text(y)}; cross_entropy needs one-hot targets ({classes}×{samples}) "
                        f"or {samples} class index{'es' if samples > 1 else ''} (0 to {classes - 1})",
                        ShapeError)
    for v in flat:
        if v.denominator != 1 or not 0 <= v < classes:
            raise ctx.error(f"class index {v} in y is not a whole number from 0 to {classes - 1}")
    return tuple(int(v) for v in flat)


_HEADER = re.compile(r"^\s*\[\[\s*exercise\s*\]\]")


def _exercise_lines(text: str) -> list[int]:
    return [i for i, line in enumerate(text.splitlines(), start=1) if _HEADER.match(line)]


def parse_exercise(raw: Any, index: int, where: str) -> ExerciseSpec:
    """Validate one ``[[exercise]]`` table (``index`` counts from 1)."""
    default_id = f"ex{index}"
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: exercise {index} must be a table")
    ex_id = raw.get("id", default_id)
    if not isinstance(ex_id, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", ex_id):
        raise SpecError(f"{where}: exercise {index}: id must be a simple name, got {ex_id!r}")
    kind = raw.get("kind")
    ctx = _Context(where, ex_id, str(kind))
    if kind is None:
        raise SpecError(f"{where}: exercise {ex_id}: missing required field 'kind'; "
                        f"valid kinds: {', '.join(KINDS)}")
    if kind not in SCHEMAS:
        raise SpecError(f"{where}: exercise {ex_id}: unknown kind {kind!r}; "
                        f"valid kinds: {', '.join(KINDS)}")
    schema = SCHEMAS[kind]
    title = raw.get("title", "")
    if not isinstance(title, str):
        raise ctx.error(f"title must be text, got {_describe(title)}")
    extra = sorted(set(raw) - set(schema) - {"kind", "id", "title", "asks", "random", "reject"})
    if extra:
        raise ctx.error(f"unknown field {extra[0]!r}; fields of a {kind} exercise: "
                        f"{', '.join(schema)}")
    fields: dict[str, Any] = {}
    for name, rule in schema.items():
        if name in raw:
            fields[name] = rule.read(raw[name], name, ctx)
        elif rule.required:
            raise ctx.error(f"missing required field {name!r}")
        else:
            fields[name] = rule.default
    _check_kind(kind, fields, ctx)
    return ExerciseSpec(kind=kind, id=ex_id, title=title, fields=fields, where=where)


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
    >>> load_sheet('title = "t"\\n[[exercise]]\\nkind = "activations"\\nx = [0.1]').exercises[0].fields["x"]
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
