"""Kind ``cnn_sizes``: AlexNet's published numbers, independent window counting and receptive fields, check.

Shapes are counted here by sliding a window along an axis (a while loop), receptive fields by following
the set of input positions one output depends on back through every layer; never from symnn.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symnn.errors import ShapeError, SpecError
from symnn.sheets.crosscheck import solve_checked
from symnn.sheets.loading import load_builtin, load_sheet
from symnn.verify.check.judge import check_claims
from symnn.verify.check.key import SheetKey, build_key


def sheet(shape: list[int], layers: list[dict[str, Any]]) -> str:
    text = f'title = "t"\n[[exercise]]\nkind = "cnn_sizes"\ninput = {shape}\n'
    for layer in layers:
        text += "[[exercise.layers]]\n" + "".join(
            f"{k} = {str(v).lower() if isinstance(v, bool) else repr(v).replace(chr(39), chr(34))}\n"
            for k, v in layer.items())
    return text


def slide(n: int, span: int, stride: int, padding: int) -> int:
    count, start = 0, 0
    while start + span <= n + 2 * padding:
        count, start = count + 1, start + stride
    return count


def receptive_field(layers: list[dict[str, Any]], upto: int) -> int:
    """Input positions output 0 of layer ``upto`` depends on, along one axis (padding only shifts them)."""
    positions = {0}
    for layer in reversed(layers[:upto]):
        size, stride = layer["size"], layer.get("stride", 1 if layer["type"] == "conv" else layer["size"])
        dilation = layer.get("dilation", 1)
        positions = {p * stride + u * dilation for p in positions for u in range(size)}
    return max(positions) - min(positions) + 1


def test_alexnet_first_layer():
    """AlexNet (Krizhevsky et al. 2012; CS231n's notes): 227×227×3, 96 filters 11×11 stride 4 → 55×55×96."""
    d = solve_checked(load_sheet(sheet([227, 227, 3], [{"type": "conv", "filters": 96, "size": 11, "stride": 4}])))
    assert d["ex1"].quantity("out1").exact == sp.Matrix([[55, 55, 96]])
    assert d["ex1"].quantity("params1").exact == 96 * (11 * 11 * 3 + 1)
    assert d["ex1"].quantity("rf1").exact == 11
    example = solve_checked(load_builtin("cnn_sizes"))["ex1"]
    assert example.quantity("out1").exact == sp.Matrix([[55, 55, 96]])


@st.composite
def stacks(draw: Any) -> tuple[list[int], list[dict[str, Any]]]:
    h, w, c = draw(st.integers(8, 40)), draw(st.integers(8, 40)), draw(st.integers(1, 4))
    layers: list[dict[str, Any]] = []
    H, W = h, w
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["conv", "pool"]))
        size = draw(st.integers(1, 4))
        stride = draw(st.integers(1, 3))
        layer: dict[str, Any] = {"type": kind, "size": size, "stride": stride}
        padding, dilation = 0, 1
        if kind == "conv":
            padding, dilation = draw(st.integers(0, 2)), draw(st.integers(1, 2))
            layer.update(filters=draw(st.integers(1, 8)), padding=padding, dilation=dilation,
                         bias=draw(st.booleans()))
        span = dilation * (size - 1) + 1
        if slide(H, span, stride, padding) < 1 or slide(W, span, stride, padding) < 1:
            break
        H, W = slide(H, span, stride, padding), slide(W, span, stride, padding)
        layers.append(layer)
    if not layers or draw(st.booleans()):
        layers.append({"type": "dense", "units": draw(st.integers(1, 20))})
    return [h, w, c], layers


@settings(max_examples=40, deadline=None)
@given(stacks())
def test_shapes_parameters_and_receptive_fields(case):
    shape, layers = case
    d = solve_checked(load_sheet(sheet(shape, layers)))["ex1"]
    h, w, c = shape
    flat = None
    total = 0
    for l, layer in enumerate(layers, start=1):
        if layer["type"] == "dense":
            inputs = flat if flat is not None else h * w * c
            params = layer["units"] * (inputs + 1)
            flat = layer["units"]
            assert d.quantity(f"out{l}").exact == sp.Matrix([[flat]])
        else:
            stride = layer.get("stride", 1 if layer["type"] == "conv" else layer["size"])
            span = layer.get("dilation", 1) * (layer["size"] - 1) + 1
            padding = layer.get("padding", 0)
            h, w = slide(h, span, stride, padding), slide(w, span, stride, padding)
            params = 0
            if layer["type"] == "conv":
                params = layer["filters"] * (layer["size"] ** 2 * c + (1 if layer.get("bias", True) else 0))
                c = layer["filters"]
            assert d.quantity(f"out{l}").exact == sp.Matrix([[h, w, c]]), l
            assert d.quantity(f"rf{l}").exact == receptive_field(layers, l), l
        assert d.quantity(f"params{l}").exact == params, l
        total += params
    assert d.quantity("params").exact == total


STACK = [{"type": "conv", "filters": 4, "size": 3, "stride": 2, "padding": 1},
         {"type": "conv", "filters": 6, "size": 3, "dilation": 2},
         {"type": "pool", "size": 2},
         {"type": "dense", "units": 5}]
TEXT = sheet([17, 17, 3], STACK)


@cache
def key(text: str) -> SheetKey:
    return build_key(load_sheet(text))


def judge(claims: dict[str, Any]) -> Any:
    return {r.quantity: r for r in check_claims(key(TEXT), {"ex1": claims})}


def test_right_values_and_carried_forward():
    # 17 → ⌊(17 − 3 + 2)/2⌋ + 1 = 9 → 9 − 5 + 1 = 5 → ⌊(5 − 2)/2⌋ + 1 = 2; dense sees 2·2·6 = 24 values.
    right = judge({"out1": [9, 9, 4], "out2": [5, 5, 6], "out3": [2, 2, 6], "out4": [5], "params4": 5 * 25})
    assert {r.verdict for r in right.values()} == {"correct"}
    carried = judge({"out1": [8, 8, 4], "out2": [4, 4, 6]})
    assert carried["out1"].verdict == "wrong" and carried["out2"].verdict == "carried forward"


@pytest.mark.parametrize("claims, name, words", [
    ({"out1": [8, 8, 4]}, "out1", "+ 1 is missing"),
    ({"out1": [8, 8, 4], "out2": [6, 6, 6]}, "out2", "dilation was ignored"),
    ({"params1": 4 * 9 * 3}, "params1", "biases were not counted"),
    ({"params1": 4 * (9 + 1)}, "params1", "input channels were not counted"),
    ({"params4": 5 * 24}, "params4", "biases were not counted"),
    ({"rf2": 3 + 5 - 1}, "rf2", "jump was left out"),
])
def test_named_mistakes(claims, name, words):
    r = judge(claims)[name]
    assert r.verdict == "wrong" and words in r.diagnosis, r.diagnosis


def test_padding_forgotten():
    text = sheet([10, 10, 1], [{"type": "conv", "filters": 2, "size": 3, "padding": 2}])
    results = {r.quantity: r for r in check_claims(key(text), {"ex1": {"out1": [8, 8, 2]}})}
    assert results["out1"].verdict == "wrong" and "padding was forgotten" in results["out1"].diagnosis


@pytest.mark.parametrize("layers, cls, message", [
    ([{"type": "dense", "units": 3}, {"type": "conv", "filters": 1, "size": 1}], SpecError,
     "a conv layer cannot follow a dense layer"),
    ([{"type": "conv", "filters": 1, "size": 9}], ShapeError, "a 9×9 conv window does not fit its 8×8 input"),
    ([{"type": "norm"}], SpecError, "type must be one of conv, pool, dense"),
    ([{"type": "conv", "size": 3}], SpecError, "a conv layer needs filters"),
    ([{"type": "pool", "size": 2, "filters": 3}], SpecError, "unknown field 'filters'"),
])
def test_bad_input_is_named(layers, cls, message):
    with pytest.raises(cls) as caught:
        load_sheet(sheet([8, 8, 1], layers))
    assert message in str(caught.value) and "exercise ex1 (cnn_sizes)" in str(caught.value)


def test_variants_are_reproducible():
    from symnn.sheets.variants import generate_variants

    template = ('[[exercise]]\nkind = "cnn_sizes"\ninput = { choice = [[32, 32, 3], [28, 28, 1], [64, 64, 3]] }\n'
                '[[exercise.layers]]\ntype = "conv"\nfilters = { choice = [8, 16, 32] }\nsize = { choice = [3, 5] }\n'
                'stride = { choice = [1, 2] }\n[[exercise.layers]]\ntype = "pool"\nsize = 2\n'
                '[[exercise.layers]]\ntype = "dense"\nunits = 10\n')
    first = generate_variants(template, 8, seed=5)
    assert [v.key for v in first] == [v.key for v in generate_variants(template, 8, seed=5)]
    assert len({v.key["exercises"][0]["quantities"]["params"]["exact"] for v in first}) > 3
