"""Shapes, parameter counts and receptive fields through a stack of CNN layers (kind ``cnn_sizes``).

The input is H × W × C.  Layer by layer:

* ``conv`` (n filters of F × F, stride S, padding P, dilation D): output ⌊(H − F + 2P)/S⌋ + 1 along each
  axis (F taken as D(F − 1) + 1 when D > 1) by n channels; n·(F·F·C + 1) parameters (without the 1 when
  ``bias = false``);
* ``pool`` (F × F, stride S, default F): ⌊(H − F)/S⌋ + 1 along each axis, the channels kept; no parameters;
* ``dense`` (n units): the input flattened to H·W·C values (or the previous dense layer's units), n outputs,
  n·(inputs + 1) parameters.

The receptive field r (input rows one output sees) and the jump j (input rows between neighbouring outputs)
start at r = 1, j = 1; each conv or pool layer gives r + (F − 1)·j and j·S.  A dense layer sees the whole input.
Everything is a whole number, worked exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import sympy as sp

from symnn.core import interval as iv
from symnn.core.interval import IMatrix, Interval, Undefined
from symnn.errors import ShapeError
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder
from symnn.sheets.fields import Context, describe, given
from symnn.sheets.kinds.base import Kind
from symnn.sheets.kinds.conv_common import extent, output_size
from symnn.sheets.recipes import Earlier, Programs, Recipes
from symnn.sheets.reference.arrays import Values
from symnn.sheets.reference.cnn_sizes import evaluate_cnn_sizes
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.statement import Line
from symnn.sheets.steps import Derivation, Inline

TYPES = ("conv", "pool", "dense")
KEYS = {"conv": ("type", "filters", "size", "stride", "padding", "dilation", "bias"),
        "pool": ("type", "size", "stride"),
        "dense": ("type", "units", "bias")}
MOST = 100_000
"""Largest size, count or setting a layer may give."""
LAYERS = 64
"""Most layers in one stack."""


@dataclass(frozen=True, slots=True)
class CnnLayer:
    """One layer of the stack."""

    type: str
    """``conv``, ``pool`` or ``dense``."""
    size: int = 1
    """The kernel's or window's side F (conv, pool)."""
    stride: int = 1
    """The stride S (conv, pool)."""
    padding: int = 0
    """The zero padding P on every side (conv)."""
    dilation: int = 1
    """The kernel's dilation D (conv)."""
    count: int = 0
    """Filters (conv) or units (dense)."""
    bias: bool = True
    """Whether the layer has biases (conv, dense)."""


def _whole(value: Any, name: str, ctx: Context, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MOST:
        raise ctx.error(f"{name} must be a whole number from {low} to {MOST}, got {describe(value)}")
    return value


def read_input(value: Any, name: str, ctx: Context) -> tuple[int, int, int]:
    """``[H, W, C]`` (or ``[H, W]`` for one channel)."""
    if not isinstance(value, list) or len(value) not in (2, 3):
        raise ctx.error(f"{name} must be [height, width, channels], e.g. [227, 227, 3]")
    h, w, *c = (_whole(v, f"{name}[{i + 1}]", ctx, 1) for i, v in enumerate(value))
    return (h, w, c[0] if c else 1)


def read_cnn_layers(value: Any, name: str, ctx: Context) -> tuple[CnnLayer, ...]:
    """A list of tables ``{ type = "conv", filters = 96, size = 11, stride = 4 }`` …"""
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise ctx.error(f"{name} must be a list of tables [[exercise.layers]] with a type (conv, pool or dense)")
    if len(value) > LAYERS:
        raise ctx.error(f"{name} has {len(value)} layers; at most {LAYERS} are worked out")
    layers = []
    for i, raw in enumerate(value, start=1):
        kind = raw.get("type")
        if kind not in TYPES:
            raise ctx.error(f"layer {i}: type must be one of {', '.join(TYPES)}, got {describe(kind)}")
        unknown = sorted(set(raw) - set(KEYS[kind]))
        if unknown:
            raise ctx.error(f"layer {i}: unknown field {unknown[0]!r}; a {kind} layer has "
                            f"{', '.join(KEYS[kind][1:])}")
        bias = raw.get("bias", True)
        if not isinstance(bias, bool):
            raise ctx.error(f"layer {i}: bias must be true or false, got {describe(bias)}")
        if kind == "dense":
            if "units" not in raw:
                raise ctx.error(f"layer {i}: a dense layer needs units")
            layers.append(CnnLayer("dense", count=_whole(raw["units"], f"layer {i} units", ctx, 1), bias=bias))
            continue
        if "size" not in raw:
            raise ctx.error(f"layer {i}: a {kind} layer needs size")
        size = _whole(raw["size"], f"layer {i} size", ctx, 1)
        stride = _whole(raw.get("stride", 1 if kind == "conv" else size), f"layer {i} stride", ctx, 1)
        if kind == "pool":
            layers.append(CnnLayer("pool", size=size, stride=stride))
            continue
        if "filters" not in raw:
            raise ctx.error(f"layer {i}: a conv layer needs filters")
        layers.append(CnnLayer("conv", size=size, stride=stride,
                               padding=_whole(raw.get("padding", 0), f"layer {i} padding", ctx, 0),
                               dilation=_whole(raw.get("dilation", 1), f"layer {i} dilation", ctx, 1),
                               count=_whole(raw["filters"], f"layer {i} filters", ctx, 1), bias=bias))
    return tuple(layers)


@dataclass(frozen=True, slots=True)
class Shape:
    """What flows between layers: H × W × C, or a flat vector of ``C`` values (``flat``)."""

    h: int
    w: int
    c: int
    flat: bool = False

    @property
    def size(self) -> int:
        return self.c if self.flat else self.h * self.w * self.c


def step(layer: CnnLayer, before: Shape) -> tuple[Shape, int]:
    """The layer's output shape and its parameter count."""
    if layer.type == "dense":
        return Shape(1, 1, layer.count, True), layer.count * (before.size + (1 if layer.bias else 0))
    if layer.type == "pool":
        return Shape(output_size(before.h, layer.size, layer.stride, 0),
                     output_size(before.w, layer.size, layer.stride, 0), before.c), 0
    h = output_size(before.h, layer.size, layer.stride, layer.padding, layer.dilation)
    w = output_size(before.w, layer.size, layer.stride, layer.padding, layer.dilation)
    return Shape(h, w, layer.count), layer.count * (layer.size * layer.size * before.c + (1 if layer.bias else 0))


@dataclass(frozen=True, slots=True, kw_only=True)
class CnnSizes:
    """An input shape and a stack of conv, pool and dense layers."""

    input: tuple[int, int, int] = given(read_input)
    """The input's [height, width, channels]."""
    layers: tuple[CnnLayer, ...] = given(read_cnn_layers)
    """The layers in order: ``{ type = "conv", filters, size, stride = 1, padding = 0, dilation = 1, bias = true }``,
    ``{ type = "pool", size, stride = size }`` or ``{ type = "dense", units, bias = true }``."""

    def shapes(self) -> list[tuple[Shape, int]]:
        """Each layer's output shape and parameter count."""
        out, before = [], Shape(*self.input)
        for layer in self.layers:
            before, params = step(layer, before)
            out.append((before, params))
        return out

    def check(self, ctx: Context) -> None:
        """Every kernel and window fits what reaches it; conv and pool layers come before dense ones."""
        before = Shape(*self.input)
        for i, layer in enumerate(self.layers, start=1):
            if before.flat and layer.type != "dense":
                raise ctx.error(f"layer {i}: a {layer.type} layer cannot follow a dense layer")
            after, _ = step(layer, before)
            if after.h < 1 or after.w < 1:
                raise ctx.error(f"layer {i}: a {layer.size}×{layer.size} {layer.type} window does not fit its "
                                f"{before.h}×{before.w} input" + (f" with padding {layer.padding}" if layer.padding
                                                                  else ""), ShapeError)
            before = after


def shape_value(s: Shape) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix([[s.c]]) if s.flat else sp.ImmutableMatrix([[s.h, s.w, s.c]])


def _floor_rule(n: int, size: int, padding: int, stride: int) -> sp.Basic:
    terms: list[sp.Basic] = [sp.Integer(n), sp.Integer(-size)]
    if padding:
        terms.append(sp.Mul(2, sp.Integer(padding), evaluate=False))
    return sp.Add(sp.floor(sp.Mul(sp.Add(*terms, evaluate=False), sp.Pow(sp.Integer(stride), -1, evaluate=False),
                                  evaluate=False), evaluate=False), 1, evaluate=False)


def solve_cnn_sizes(spec: ExerciseSpec[CnnSizes]) -> Derivation:
    """A table of shapes, parameters and receptive fields, each rule written out with its numbers."""
    d = spec.data
    b = Builder(spec, "Sizes through a CNN")
    H, W, C = d.input
    b.say(f"The input is {H}×{W}×{C} (height × width × channels). A conv or pool layer gives ", _generic_rule(),
          " outputs along each axis; the receptive field grows by (F − 1) times the jump, the product of the "
          "strides so far.")
    before = Shape(H, W, C)
    rf, jump = 1, 1
    rows: list[tuple[Inline, ...]] = [("input", "", f"{H}×{W}×{C}", "", "1×1")]
    total = 0
    for l, layer in enumerate(d.layers, start=1):
        after, params = step(layer, before)
        b.heading(f"Layer {l}: {layer.type}")
        words = {"conv": f"{layer.count} filter{'s' if layer.count > 1 else ''} of {layer.size}×{layer.size}, "
                         f"stride {layer.stride}, padding {layer.padding}"
                         + (f", dilation {layer.dilation}" if layer.dilation > 1 else ""),
                 "pool": f"{layer.size}×{layer.size} windows, stride {layer.stride}",
                 "dense": f"{layer.count} unit{'s' if layer.count > 1 else ''}"}[layer.type]
        b.say(words.capitalize() + (" (no bias)." if not layer.bias and layer.type != "pool" else "."))
        if layer.type != "dense":
            span = extent(layer.size, layer.dilation)
            if layer.dilation > 1:
                with sp.evaluate(False):
                    spanned = sp.Add(sp.Mul(sp.Integer(layer.dilation), sp.Add(sp.Integer(layer.size), -1)), 1)
                b.equation(nt.Label("cnn_F_eff", r"F_{\text{eff}}"), None, [spanned], sp.Integer(span))
            padding = layer.padding
            b.equation(nt.Label(f"cnn_H{l}", r"H_{%d}" % l), None, [_floor_rule(before.h, span, padding, layer.stride)],
                       sp.Integer(after.h))
            b.equation(nt.Label(f"cnn_W{l}", r"W_{%d}" % l), None,
                       [_floor_rule(before.w, span, padding, layer.stride)], sp.Integer(after.w))
            b.say(f"so the output is {after.h}×{after.w}×{after.c}"
                  + (" (the channels are kept)." if layer.type == "pool" else " (one channel per filter)."))
        else:
            b.say(f"It sees the {before.size} values of its input" + (" flattened" if not before.flat else "")
                  + f" and gives {after.c}.")
        b.equation(nt.Label(f"cnn_shape{l}", r"\text{shape}_{%d}" % l), None, (), shape_value(after),
                   quantity=f"out{l}", caption=f"output shape of layer {l}")
        if layer.type == "conv":
            with sp.evaluate(False):
                per = sp.Mul(sp.Integer(layer.size), sp.Integer(layer.size), sp.Integer(before.c))
                written = sp.Mul(sp.Integer(layer.count), sp.Add(per, 1) if layer.bias else per)
        elif layer.type == "dense":
            with sp.evaluate(False):
                written = sp.Mul(sp.Integer(layer.count),
                                 sp.Add(sp.Integer(before.size), 1) if layer.bias else sp.Integer(before.size))
        else:
            written = None
        if written is not None:
            b.equation(nt.Label(f"cnn_params{l}", r"\text{params}_{%d}" % l), None, [written], sp.Integer(params),
                       quantity=f"params{l}", caption=f"parameters of layer {l}")
        else:
            b.say("A pooling layer has no parameters.")
            b.equation(nt.Label(f"cnn_params{l}", r"\text{params}_{%d}" % l), None, (), sp.Integer(0),
                       quantity=f"params{l}", caption=f"parameters of layer {l}")
        if layer.type != "dense" and not before.flat:
            new_rf = rf + (extent(layer.size, layer.dilation) - 1) * jump
            with sp.evaluate(False):
                grown = sp.Add(sp.Integer(rf), sp.Mul(sp.Add(sp.Integer(extent(layer.size, layer.dilation)), -1),
                                                      sp.Integer(jump)))
            b.equation(nt.Label(f"cnn_r{l}", r"r_{%d}" % l), None, [grown], sp.Integer(new_rf), quantity=f"rf{l}",
                       caption=f"receptive field of layer {l}")
            rf, jump = new_rf, jump * layer.stride
            field = f"{rf}×{rf}"
        else:
            field = "whole input"
        total += params
        shown = f"{after.c}" if after.flat else f"{after.h}×{after.w}×{after.c}"
        rows.append((f"{l}", layer.type, shown, sp.Integer(params), field))
        before = after
    b.heading("Summary")
    b.table(("layer", "type", "output", "parameters", "receptive field"), rows)
    counts = [p for _, p in d.shapes()]
    written_total = sp.Add(*[sp.Integer(p) for p in counts], evaluate=False) if len(counts) > 1 else sp.Integer(total)
    b.equation(nt.text("params"), None, [written_total], sp.Integer(total), quantity="params",
               caption="parameters in total")
    n = len(d.layers)
    return b.done([f"out{n}", "params"])


def _generic_rule() -> sp.Basic:
    H, F, P, S = sp.symbols("H F P S")
    return sp.Add(sp.floor(sp.Mul(sp.Add(H, sp.Mul(-1, F, evaluate=False), sp.Mul(2, P, evaluate=False),
                                         evaluate=False), sp.Pow(S, -1, evaluate=False), evaluate=False),
                           evaluate=False), 1, evaluate=False)


def cnn_statement(d: CnnSizes) -> list[Line]:
    H, W, C = d.input
    lines: list[Line] = [(f"Input: {H}×{W}×{C}.",)]
    for l, layer in enumerate(d.layers, start=1):
        if layer.type == "conv":
            text = (f"conv, {layer.count} filters of {layer.size}×{layer.size}, stride {layer.stride}, "
                    f"padding {layer.padding}" + (f", dilation {layer.dilation}" if layer.dilation > 1 else ""))
        elif layer.type == "pool":
            text = f"pool, {layer.size}×{layer.size}, stride {layer.stride}"
        else:
            text = f"dense, {layer.count} units"
        if layer.type != "pool" and not layer.bias:
            text += ", no bias"
        lines.append((f"Layer {l}: {text}.",))
    return lines


def cnn_reference(d: CnnSizes) -> Values:
    """The numpy twin."""
    return evaluate_cnn_sizes(d.input, [(x.type, x.size, x.stride, x.padding, x.dilation, x.count, x.bias)
                                        for x in d.layers])


def _whole_of(value: Interval) -> int:
    if not value.is_point or value.lo.denominator != 1:
        raise Undefined("a size must be a whole number")
    return int(value.lo)


def _shape_of(m: IMatrix, flat: bool) -> Shape:
    entries = [_whole_of(v) for v in iv.entries(m)]
    return Shape(1, 1, entries[0], True) if flat else Shape(entries[0], entries[1], entries[2])


def _as_imatrix(s: Shape) -> IMatrix:
    return ((Interval.point(s.c),),) if s.flat else ((Interval.point(s.h), Interval.point(s.w), Interval.point(s.c)),)


def cnn_recipes(d: CnnSizes, programs: Programs) -> Recipes:
    """Each layer's shape and parameters from the student's previous shape; the usual slips of each rule."""
    r = Recipes()
    shapes = [Shape(*d.input)] + [s for s, _ in d.shapes()]
    jumps, fields = [1], [1]
    for layer in d.layers:
        if layer.type == "dense":
            break
        fields.append(fields[-1] + (extent(layer.size, layer.dilation) - 1) * jumps[-1])
        jumps.append(jumps[-1] * layer.stride)

    def before(l: int, v: Earlier) -> Shape:
        return shapes[0] if l == 1 else _shape_of(v[f"out{l - 1}"], shapes[l - 1].flat)

    def out(l: int, variant: str, v: Earlier) -> IMatrix:
        layer, prev = d.layers[l - 1], before(l, v)
        if variant == "right":
            return _as_imatrix(step(layer, prev)[0])
        span = extent(layer.size, layer.dilation)
        pad = layer.padding if layer.type == "conv" else 0

        def rule(n: int) -> int:
            if variant == "plus_one":
                return (n - span + 2 * pad) // layer.stride
            if variant == "no_padding":
                return (n - span) // layer.stride + 1
            return (n - layer.size + 2 * pad) // layer.stride + 1  # no_dilation

        channels = layer.count if layer.type == "conv" else prev.c
        return _as_imatrix(Shape(rule(prev.h), rule(prev.w), channels))

    def params(l: int, variant: str, v: Earlier) -> IMatrix:
        layer, prev = d.layers[l - 1], before(l, v)
        if variant == "right":
            return iv.scalar(Interval.point(step(layer, prev)[1]))
        if variant == "no_bias":
            return iv.scalar(Interval.point(step(CnnLayer(**{**_fields(layer), "bias": False}), prev)[1]))
        # conv: the input channels left out
        return iv.scalar(Interval.point(layer.count * (layer.size * layer.size + 1)))

    for l, layer in enumerate(d.layers, start=1):
        needs = () if l == 1 else (f"out{l - 1}",)
        r.rule(f"out{l}", needs, partial(out, l, "right"))
        r.rule(f"params{l}", needs, partial(params, l, "right"))
        if layer.type != "dense":
            r.mistake(f"out{l}", needs, partial(out, l, "plus_one"), "the + 1 is missing from ⌊(H − F + 2P)/S⌋ + 1")
            if layer.type == "conv" and layer.padding:
                r.mistake(f"out{l}", needs, partial(out, l, "no_padding"),
                          "the padding was forgotten: ⌊(H − F)/S⌋ + 1 leaves out 2P")
            if layer.dilation > 1:
                r.mistake(f"out{l}", needs, partial(out, l, "no_dilation"),
                          "the dilation was ignored: the kernel spans D(F − 1) + 1 entries, not F")
        if layer.type != "pool" and layer.bias:
            r.mistake(f"params{l}", needs, partial(params, l, "no_bias"),
                      "the biases were not counted: one per " + ("filter" if layer.type == "conv" else "unit"))
        if layer.type == "conv" and shapes[l - 1].c > 1:
            r.mistake(f"params{l}", needs, partial(params, l, "no_channels"),
                      "the input channels were not counted: each filter has F·F weights per input channel")
        if layer.type != "dense" and l < len(fields):
            span = extent(layer.size, layer.dilation)
            plain = fields[l - 1] + span - 1
            r.mistake(f"rf{l}", (), _constant(plain),
                      "the jump was left out: the receptive field grows by (F − 1) times the product of the "
                      "earlier strides, not by F − 1")
    return r


def _fields(layer: CnnLayer) -> dict[str, Any]:
    return {"type": layer.type, "size": layer.size, "stride": layer.stride, "padding": layer.padding,
            "dilation": layer.dilation, "count": layer.count, "bias": layer.bias}


def _constant(n: int) -> Any:
    value = iv.scalar(Interval.point(n))
    return lambda v: value


CNN_SIZES: Kind[CnnSizes] = Kind(
    name="cnn_sizes",
    data=CnnSizes,
    solve=solve_cnn_sizes,
    reference=cnn_reference,
    statement=cnn_statement,
    recipes=cnn_recipes,
)
"""The declaration of kind ``cnn_sizes``."""
