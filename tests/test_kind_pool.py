"""Kind ``pool``: published numbers, an independent loop implementation, finite differences, check, variants.

Expected values come from this file's loops over window positions and from finite differences of its
loss L = Σ G·Y (for max pooling with a step smaller than half the gap to each window's runner-up, so the
maximum does not change hands), never from symnn.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction as F
from functools import cache
from typing import Any

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symnn.errors import ShapeError, SpecError
from symnn.sheets.crosscheck import solve_checked
from symnn.sheets.loading import load_builtin, load_sheet
from symnn.sheets.variants import generate_variants
from symnn.verify.check.judge import check_claims
from symnn.verify.check.key import SheetKey, build_key

Grid = list[list[F]]


def starts(n: int, size: int, stride: int) -> list[int]:
    out, s = [], 0
    while s + size <= n:
        out.append(s)
        s += stride
    return out


def loop_pool(X: Grid, mode: str, size: int, stride: int) -> Grid:
    out = []
    for r in starts(len(X), size, stride):
        row = []
        for c in starts(len(X[0]), size, stride):
            window = [X[r + a][c + b] for a in range(size) for b in range(size)]
            row.append(max(window) if mode == "max" else sum(window, F(0)) / len(window))
        out.append(row)
    return out


def loop_route(X: Grid, G: Grid, size: int, stride: int, ties: str) -> Grid:
    """Max pooling's gradient routed by hand: to the first largest entry, or shared among the largest."""
    dX = [[F(0)] * len(X[0]) for _ in X]
    for i, r in enumerate(starts(len(X), size, stride)):
        for j, c in enumerate(starts(len(X[0]), size, stride)):
            cells = [(r + a, c + b) for a in range(size) for b in range(size)]
            top = max(X[p][q] for p, q in cells)
            winners = [(p, q) for p, q in cells if X[p][q] == top]
            for p, q in (winners[:1] if ties == "first" else winners):
                dX[p][q] += G[i][j] / (1 if ties == "first" else len(winners))
    return dX


def toml_value(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, F):
        return str(Decimal(v.numerator) / Decimal(v.denominator))
    if isinstance(v, str):
        return f'"{v}"'
    return str(v)


def sheet(**fields: Any) -> str:
    body = "\n".join(f"{k} = {toml_value(v)}" for k, v in fields.items())
    return f'title = "t"\n[[exercise]]\nkind = "pool"\n{body}\n'


def as_grid(m: sp.MatrixBase) -> Grid:
    return [[F(int(v.p), int(v.q)) for v in m.row(i)] for i in range(m.rows)]


# ---------------------------------------------------------------------------
# Published numbers.

D2L_X = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_d2l_max_and_average_pooling():
    """d2l.ai, Dive into Deep Learning §7.5: 2×2 pooling of X = 0…8 at stride 1 gives [[4, 5], [7, 8]] (max)
    and [[2, 3], [5, 6]] (average)."""
    d = solve_checked(load_sheet(sheet(X=D2L_X, size=2, stride=1)))["ex1"]
    assert d.quantity("Y").exact == sp.Matrix([[4, 5], [7, 8]])
    d = solve_checked(load_sheet(sheet(X=D2L_X, size=2, stride=1, mode="average")))["ex1"]
    assert d.quantity("Y").exact == sp.Matrix([[2, 3], [5, 6]])
    assert solve_checked(load_builtin("pool"))["ex1"].quantity("Y").exact == sp.Matrix([[4, 5], [7, 8]])


# ---------------------------------------------------------------------------
# Properties.


@st.composite
def pools(draw: Any) -> dict[str, Any]:
    size = draw(st.integers(1, 3))
    stride = draw(st.integers(1, 3))
    H, W = draw(st.integers(size, 5)), draw(st.integers(size, 5))
    mode = draw(st.sampled_from(["max", "average"]))
    ties = draw(st.sampled_from(["first", "split"]))
    entry = st.integers(-4, 4).map(F)
    X = draw(st.lists(st.lists(entry, min_size=W, max_size=W), min_size=H, max_size=H))
    rows, cols = len(starts(H, size, stride)), len(starts(W, size, stride))
    G = draw(st.lists(st.lists(entry, min_size=cols, max_size=cols), min_size=rows, max_size=rows))
    return {"X": X, "mode": mode, "size": size, "stride": stride, "dY": G, "ties": ties}


@settings(max_examples=40, deadline=None)
@given(pools())
def test_forward_and_backward_agree_with_loops_and_finite_differences(s):
    d = solve_checked(load_sheet(sheet(**s)))["ex1"]
    X, G, size, stride = s["X"], s["dY"], s["size"], s["stride"]
    assert as_grid(d.quantity("Y").exact) == loop_pool(X, s["mode"], size, stride)
    got = as_grid(d.quantity("dL_dX").exact)

    def L(X_: Grid) -> F:
        Y = loop_pool(X_, s["mode"], size, stride)
        return sum((g * y for gr, yr in zip(G, Y) for g, y in zip(gr, yr)), F(0))

    windows = [[X[r + a][c + b] for a in range(size) for b in range(size)]
               for r in starts(len(X), size, stride) for c in starts(len(X[0]), size, stride)]
    has_tie = any(sorted(w)[-1] == sorted(w)[-2] for w in windows if len(w) > 1)
    if s["mode"] == "max" and has_tie:
        assert got == loop_route(X, G, size, stride, s["ties"])
        return
    # A step below half of every window's gap between its largest and second-largest entry (≥ 1 here).
    h = F(1, 4)
    for i, row in enumerate(X):
        for j, value in enumerate(row):
            def at(x: F, i: int = i, j: int = j) -> F:
                X2 = [list(r) for r in X]
                X2[i][j] = x
                return L(X2)
            assert got[i][j] == (at(value + h) - at(value - h)) / (2 * h), (i, j)


# ---------------------------------------------------------------------------
# symnn check: one planted claim per named mistake.

TIE_SHEET = sheet(X=[[1, 3, 2, 0], [3, 0, 1, 4], [5, 6, 2, 2], [7, 1, 0, 1]], size=2, dY=[[1, 2], [-1, F(1, 2)]])
AVG_SHEET = sheet(X=[[1, 2, 0, 4], [3, 1, 1, 2], [0, 2, 5, 1], [1, 1, 3, 3]], size=2, mode="average",
                  dY=[[1, -1], [2, 0]])
OVERLAP = sheet(X=[[1, 2, 0, 4, 1], [3, 1, 1, 2, 0], [0, 2, 5, 1, 7], [1, 1, 3, 3, 2], [2, 0, 1, 4, 6]], size=3,
                stride=2)


@cache
def key(text: str) -> SheetKey:
    return build_key(load_sheet(text))


def judge(text: str, claims: dict[str, Any]) -> Any:
    return {r.quantity: r for r in check_claims(key(text), {"ex1": claims})}


def claim(grid: Grid) -> list[list[Any]]:
    return [[int(v) if v.denominator == 1 else Decimal(v.numerator) / Decimal(v.denominator) for v in r]
            for r in grid]


def test_size_mistakes():
    # H = 5, F = 3, S = 2: right ⌊2/2⌋ + 1 = 2; without the + 1: 1; stride ignored: 5 − 3 + 1 = 3.
    assert judge(OVERLAP, {"H_out": 2})["H_out"].verdict == "correct"
    r = judge(OVERLAP, {"H_out": 1})["H_out"]
    assert r.verdict == "wrong" and "+ 1 is missing" in r.diagnosis
    r = judge(OVERLAP, {"H_out": 3})["H_out"]
    assert r.verdict == "wrong" and "stride was ignored" in r.diagnosis
    # H = 8, F = 2, S = 3: right ⌊6/3⌋ + 1 = 3; windows side by side (stride F): 8 // 2 = 4.
    wide = sheet(X=[[1] * 8] * 8, size=2, stride=3)
    assert judge(wide, {"H_out": 3})["H_out"].verdict == "correct"
    r = judge(wide, {"H_out": 4})["H_out"]
    assert r.verdict == "wrong" and "side by side" in r.diagnosis


def test_the_other_mode():
    X = [[F(v) for v in r] for r in [[1, 3, 2, 0], [3, 0, 1, 4], [5, 6, 2, 2], [7, 1, 0, 1]]]
    r = judge(TIE_SHEET, {"Y": claim(loop_pool(X, "average", 2, 2))})["Y"]
    assert r.verdict == "wrong" and "average pooling was computed" in r.diagnosis
    A = [[F(v) for v in r] for r in [[1, 2, 0, 4], [3, 1, 1, 2], [0, 2, 5, 1], [1, 1, 3, 3]]]
    r = judge(AVG_SHEET, {"Y": claim(loop_pool(A, "max", 2, 2))})["Y"]
    assert r.verdict == "wrong" and "max pooling was computed" in r.diagnosis


def test_routing_mistakes():
    X = [[F(v) for v in r] for r in [[1, 3, 2, 0], [3, 0, 1, 4], [5, 6, 2, 2], [7, 1, 0, 1]]]
    G = [[F(1), F(2)], [F(-1), F(1, 2)]]
    assert judge(TIE_SHEET, {"dL_dX": claim(loop_route(X, G, 2, 2, "first"))})["dL_dX"].verdict == "correct"
    r = judge(TIE_SHEET, {"dL_dX": claim(loop_route(X, G, 2, 2, "split"))})["dL_dX"]
    assert r.verdict == "wrong" and "tie rule" in r.diagnosis
    everywhere = [[G[i // 2][j // 2] for j in range(4)] for i in range(4)]
    r = judge(TIE_SHEET, {"dL_dX": claim(everywhere)})["dL_dX"]
    assert r.verdict == "wrong" and "copied to every entry" in r.diagnosis
    evenly = [[G[i // 2][j // 2] / 4 for j in range(4)] for i in range(4)]
    r = judge(TIE_SHEET, {"dL_dX": claim(evenly)})["dL_dX"]
    assert r.verdict == "wrong" and "spread evenly" in r.diagnosis
    GA = [[F(1), F(-1)], [F(2), F(0)]]
    r = judge(AVG_SHEET, {"dL_dX": claim([[GA[i // 2][j // 2] for j in range(4)] for i in range(4)])})["dL_dX"]
    assert r.verdict == "wrong" and "not divided by the window's size" in r.diagnosis


# ---------------------------------------------------------------------------
# Variants and bad input.

TEMPLATE = """
title = "pool variants"
[[exercise]]
kind = "pool"
X = { random = "uniform", low = 0, high = 9, step = 1, shape = [4, 4] }
size = 2
dY = { random = "uniform", low = -2, high = 2, step = 1, shape = [2, 2] }
"""


def test_variants_reject_a_tie_unless_asked():
    variants = generate_variants(TEMPLATE, 15, seed=3)
    assert [v.key for v in variants] == [v.key for v in generate_variants(TEMPLATE, 15, seed=3)]
    assert sum(v.draws for v in variants) > 15  # ties among 0…9 are common: some draws were redrawn
    for v in variants:
        x = load_drawn_X(v.teacher)
        for r in (0, 2):
            for c in (0, 2):
                window = sorted([x[r][c], x[r][c + 1], x[r + 1][c], x[r + 1][c + 1]])
                assert window[-1] != window[-2]
    allowed = TEMPLATE.replace("size = 2", "size = 2\nreject = { pool_ties = false, min_gradient = false }")
    assert sum(v.draws for v in generate_variants(allowed, 15, seed=3)) == 15


def load_drawn_X(teacher: str) -> list[list[int]]:
    """The drawn input as the teacher sheet states it: ``X = \\begin{bmatrix}…\\end{bmatrix}``."""
    body = teacher.split("X = \\begin{bmatrix}", 1)[1].split("\\end{bmatrix}", 1)[0]
    return [[int(v) for v in row.split("&")] for row in body.split("\\\\")]


@pytest.mark.parametrize("fields, cls, message", [
    ({"X": [[1, 2], [3, 4]], "size": 3}, ShapeError, "a 3×3 window does not fit the 2×2 input"),
    ({"X": [[1, 2], [3, 4]], "size": 2, "dY": [[1, 2]]}, ShapeError, "dY must be 1 matrix(es) of 1×1"),
    ({"X": [[1, 2], [3, 4]], "mode": "min"}, SpecError, "unknown mode 'min'"),
    ({"X": [[1, 2], [3, 4]], "stride": 0}, SpecError, "stride must be a whole number from 1 to 16"),
])
def test_bad_input_is_named(fields, cls, message):
    with pytest.raises(cls) as caught:
        load_sheet(sheet(**fields))
    assert message in str(caught.value) and "exercise ex1 (pool)" in str(caught.value)


def test_a_pooling_too_large_to_work_out_is_refused():
    with pytest.raises(SpecError, match=r"exercise ex1 \(pool\): 3721 windows of 4×4 are 59,536 window entries"):
        load_sheet(sheet(X=[[1] * 64] * 64, size=4, stride=1))
