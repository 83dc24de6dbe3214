"""Kind ``conv_transpose``: d2l.ai's published numbers, the adjoint of a loop convolution, check.

The independent expectation: a transposed convolution is the adjoint of the convolution with the same
kernel, stride and padding, so Y[r][s] = Σ_ij X[i][j] · conv(E_rs)[i][j], with E_rs the unit matrix at
(r, s) and conv this file's own loop implementation; never symnn's scatter.
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

from symnn.errors import ShapeError
from symnn.sheets.crosscheck import solve_checked
from symnn.sheets.loading import load_builtin, load_sheet
from symnn.verify.check.judge import check_claims
from symnn.verify.check.key import SheetKey, build_key

Grid = list[list[F]]


def loop_conv(Z: Grid, K: Grid, S: int, P: int) -> Grid:
    H, W, kh, kw = len(Z), len(Z[0]), len(K), len(K[0])

    def z(r: int, c: int) -> F:
        return Z[r - P][c - P] if 0 <= r - P < H and 0 <= c - P < W else F(0)

    return [[sum((z(i * S + u, j * S + v) * K[u][v] for u in range(kh) for v in range(kw)), F(0))
             for j in range((W + 2 * P - kw) // S + 1)] for i in range((H + 2 * P - kh) // S + 1)]


def adjoint(X: list[Grid], K: list[Grid], S: int, P: int) -> Grid:
    """One output channel of the transposed convolution, as the adjoint of the loop convolution."""
    h, w, kh, kw = len(X[0]), len(X[0][0]), len(K[0]), len(K[0][0])
    rows, cols = (h - 1) * S - 2 * P + kh, (w - 1) * S - 2 * P + kw
    out = [[F(0)] * cols for _ in range(rows)]
    for r in range(rows):
        for s in range(cols):
            unit = [[F(1) if (a, b) == (r, s) else F(0) for b in range(cols)] for a in range(rows)]
            for x, k in zip(X, K):
                image = loop_conv(unit, k, S, P)
                out[r][s] += sum((x[i][j] * image[i][j] for i in range(h) for j in range(w)), F(0))
    return out


def toml_value(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, F):
        return str(Decimal(v.numerator) / Decimal(v.denominator))
    return str(v)


def sheet(**fields: Any) -> str:
    return 'title = "t"\n[[exercise]]\nkind = "conv_transpose"\n' + "".join(
        f"{k} = {toml_value(v)}\n" for k, v in fields.items())


def as_grid(m: sp.MatrixBase) -> Grid:
    return [[F(int(v.p), int(v.q)) for v in m.row(i)] for i in range(m.rows)]


def test_d2l_transposed_convolution_at_stride_1_and_2():
    """d2l.ai, Dive into Deep Learning §14.10: X = K = [[0, 1], [2, 3]] gives [[0, 0, 1], [0, 4, 6], [4, 12, 9]]
    at stride 1 and [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]] at stride 2."""
    example = solve_checked(load_builtin("conv_transpose"))
    assert example["ex1"].quantity("Y").exact == sp.Matrix([[0, 0, 1], [0, 4, 6], [4, 12, 9]])
    assert example["ex2"].quantity("Y").exact == sp.Matrix([[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]])


@st.composite
def cases(draw: Any) -> dict[str, Any]:
    C, n_f = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    S = draw(st.integers(1, 3))
    P = draw(st.integers(0, 1))
    if (h - 1) * S - 2 * P + kh < 1 or (w - 1) * S - 2 * P + kw < 1:
        P = 0
    entry = st.integers(-3, 3).map(F)
    grid = lambda r, c: st.lists(st.lists(entry, min_size=c, max_size=c), min_size=r, max_size=r)  # noqa: E731
    X = draw(st.lists(grid(h, w), min_size=C, max_size=C))
    K = draw(st.lists(st.lists(grid(kh, kw), min_size=C, max_size=C), min_size=n_f, max_size=n_f))
    return {"X": X, "K": K, "S": S, "P": P}


@settings(max_examples=40, deadline=None)
@given(cases())
def test_scatter_equals_the_adjoint_of_convolution(c):
    C, n_f = len(c["X"]), len(c["K"])
    fields = {"X": c["X"] if C > 1 else c["X"][0], "K": c["K"] if C > 1 else [k[0] for k in c["K"]],
              "stride": c["S"], "padding": c["P"]}
    d = solve_checked(load_sheet(sheet(**fields)))["ex1"]
    for f in range(n_f):
        name = f"Y{f + 1}" if n_f > 1 else "Y"
        assert as_grid(d.quantity(name).exact) == adjoint(c["X"], c["K"][f], c["S"], c["P"]), name


TEXT = sheet(X=[[1, -1], [2, F(1, 2)]], K=[[1, 0, -1], [2, 1, 0], [0, 1, 1]], stride=2, padding=1)


@cache
def key() -> SheetKey:
    return build_key(load_sheet(TEXT))


def judge(claims: dict[str, Any]) -> Any:
    return {r.quantity: r for r in check_claims(key(), {"ex1": claims})}


def claim(grid: Grid) -> list[list[Any]]:
    return [[int(v) if v.denominator == 1 else Decimal(v.numerator) / Decimal(v.denominator) for v in r]
            for r in grid]


def test_size_mistakes():
    # H = 2, S = 2, P = 1, F = 3: right (2 − 1)·2 − 2 + 3 = 3; uncropped 5; H·S = 4; conv's rule ⌊(2 − 3 + 2)/2⌋ + 1 = 1.
    assert judge({"H_out": 3})["H_out"].verdict == "correct"
    for value, words in ((5, "padding was not cropped"), (4, "multiplied by the stride"), (1, "size rule")):
        r = judge({"H_out": value})["H_out"]
        assert r.verdict == "wrong" and words in r.diagnosis, (value, r.diagnosis)


def test_scatter_mistakes():
    X = [[F(1), F(-1)], [F(2), F(1, 2)]]
    K = [[F(1), F(0), F(-1)], [F(2), F(1), F(0)], [F(0), F(1), F(1)]]
    right = adjoint([X], [K], 2, 1)
    assert judge({"Y": claim(right)})["Y"].verdict == "correct"
    turned = adjoint([X], [[row[::-1] for row in K[::-1]]], 2, 1)
    r = judge({"Y": claim(turned)})["Y"]
    assert r.verdict == "wrong" and "turned by 180°" in r.diagnosis
    # Overwriting: copies placed in reading order, each replacing what was there (computed here by hand).
    full = [[F(0)] * 5 for _ in range(5)]
    for i in range(2):
        for j in range(2):
            for u in range(3):
                for v in range(3):
                    full[2 * i + u][2 * j + v] = X[i][j] * K[u][v]
    r = judge({"Y": claim([row[1:4] for row in full[1:4]])})["Y"]
    assert r.verdict == "wrong" and "overwrote" in r.diagnosis


def test_bad_input_is_named():
    with pytest.raises(ShapeError, match=r"exercise ex1 \(conv_transpose\): padding 2 crops the whole output"):
        load_sheet(sheet(X=[[1]], K=[[1, 2], [3, 4]], padding=2))
    with pytest.raises(ShapeError, match="filter 1 has 1 channel"):
        load_sheet(sheet(X=[[[1]], [[2]]], K=[[[[1]]]]))


def test_variants_are_reproducible():
    from symnn.sheets.variants import generate_variants

    template = ('[[exercise]]\nkind = "conv_transpose"\n'
                'X = { random = "uniform", low = -2, high = 2, step = 1, shape = [2, 2] }\n'
                'K = { random = "uniform", low = -1, high = 1, step = 0.5, shape = [2, 2] }\nstride = 2\n')
    first = generate_variants(template, 8, seed=2)
    assert [v.key for v in first] == [v.key for v in generate_variants(template, 8, seed=2)]
    assert len({v.key["exercises"][0]["quantities"]["Y"]["exact"] for v in first}) > 4


def test_a_transposed_convolution_too_large_is_refused():
    with pytest.raises(Exception, match=r"scatters 1,048,576 products; at most 100,000"):
        load_sheet(sheet(X=[[1] * 32] * 32, K=[[1] * 32] * 32))
