"""Kind ``conv2d``: published numbers, an independent loop implementation, finite differences, check, variants.

Expected values come from this file's own loop implementation (plain Python on Fractions, written from the
textbook index formula Y[i][j] = b + Σ_c Σ_u Σ_v Xpad_c[i·S + u·D][j·S + v·D]·K_c[u][v]) and from central finite
differences of its loss, never from symnn; published numbers are taken with their source.
"""

from __future__ import annotations

import math
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
from symnn.sheets.kinds import solve_exercise
from symnn.sheets.loading import load_builtin, load_sheet
from symnn.sheets.variants import generate_variants
from symnn.verify.check.judge import check_claims
from symnn.verify.check.key import SheetKey, build_key

Grid = list[list[F]]


# ---------------------------------------------------------------------------
# The independent loop implementation.


def loop_conv(X: list[Grid], K: list[list[Grid]], b: list[F] | None, S: int, P: int, D: int, flip: bool,
              ) -> list[Grid]:
    """Every output map by four nested loops over the padded input."""
    C, H, W = len(X), len(X[0]), len(X[0][0])
    kh, kw = len(K[0][0]), len(K[0][0][0])
    Hp, Wp = H + 2 * P, W + 2 * P

    def x_at(c: int, r: int, s: int) -> F:
        r, s = r - P, s - P
        return X[c][r][s] if 0 <= r < H and 0 <= s < W else F(0)

    out = []
    for f, kernel in enumerate(K):
        rows = []
        i = 0
        while i * S + D * (kh - 1) < Hp:
            row = []
            j = 0
            while j * S + D * (kw - 1) < Wp:
                total = b[f] if b is not None else F(0)
                for c in range(C):
                    for u in range(kh):
                        for v in range(kw):
                            k = kernel[c][kh - 1 - u][kw - 1 - v] if flip else kernel[c][u][v]
                            total += x_at(c, i * S + u * D, j * S + v * D) * k
                row.append(total)
                j += 1
            rows.append(row)
            i += 1
        out.append(rows)
    return out


def loss_of(Y: list[Grid], G: list[Grid] | None, target: list[Grid] | None, loss: str | None) -> F:
    if G is not None:
        return sum((g * y for Gf, Yf in zip(G, Y) for gr, yr in zip(Gf, Yf) for g, y in zip(gr, yr)), F(0))
    if loss == "sum":
        return sum((y for Yf in Y for yr in Yf for y in yr), F(0))
    T = target or [[[F(0)] * len(Y[0][0]) for _ in Y[0]] for _ in Y]
    return sum(((y - t) ** 2 / 2 for Yf, Tf in zip(Y, T) for yr, tr in zip(Yf, Tf) for y, t in zip(yr, tr)), F(0))


def finite_difference(L: Any, value: F) -> F:
    """Central difference with step 1: exact for L of degree ≤ 2 in the entry, as conv losses here are."""
    return (L(value + 1) - L(value - 1)) / 2


# ---------------------------------------------------------------------------
# Sheets.


def toml_value(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, F):
        return str(Decimal(v.numerator) / Decimal(v.denominator))
    return repr(v) if isinstance(v, str) else str(v)


def sheet(**fields: Any) -> str:
    body = "\n".join(f"{k} = {toml_value(v) if not isinstance(v, str) else repr(v).replace(chr(39), chr(34))}"
                     for k, v in fields.items())
    return f'title = "t"\n[[exercise]]\nkind = "conv2d"\n{body}\n'


def solved(**fields: Any) -> Any:
    return solve_checked(load_sheet(sheet(**fields)))["ex1"]


def as_grid(m: sp.MatrixBase) -> list[list[F]]:
    return [[F(int(v.p), int(v.q)) for v in m.row(i)] for i in range(m.rows)]


# ---------------------------------------------------------------------------
# Published numbers (corpus).

D2L_X = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
COURSE_X = [[1, 0, -2, 1], [0, 1, 1, 0], [0, 1, 0, 1], [-3, 4, 0, 0]]
COURSE_K = [[2, 1], [0, 1]]


def test_d2l_cross_correlation():
    """d2l.ai, Dive into Deep Learning §7.2: X = 0…8 as 3×3, K = [[0, 1], [2, 3]] → [[19, 25], [37, 43]]."""
    d = solved(X=D2L_X, K=[[0, 1], [2, 3]])
    assert d.quantity("Y").exact == sp.Matrix([[19, 25], [37, 43]])
    assert (d.quantity("H_out").exact, d.quantity("W_out").exact, d.quantity("params").exact) == (2, 2, 4)


@pytest.mark.parametrize("stride, padding, published", [
    (1, 0, [[3, -1, -3], [2, 3, 3], [5, 2, 1]]),
    (2, 0, [[3, -3], [5, 1]]),
    (2, 1, [[1, -2, 0], [0, 3, 0], [-3, 8, 0]]),
])
def test_course_sheet_strides_and_padding(stride, padding, published):
    """A course exercise sheet's convolution of a 4×4 input with K = [[2, 1], [0, 1]]; all three printed
    results agree with our exact computation (no slip to note)."""
    d = solved(X=COURSE_X, K=COURSE_K, stride=stride, padding=padding)
    assert d.quantity("Y").exact == sp.Matrix(published)
    assert as_grid(d.quantity("Y").exact) == loop_conv([[[F(v) for v in r] for r in COURSE_X]],
                                                       [[[[F(v) for v in r] for r in COURSE_K]]],
                                                       None, stride, padding, 1, False)[0]


def test_alexnet_first_layer_size():
    """AlexNet's first layer: 227×227×3, 96 filters 11×11 at stride 4 → 55×55×96 (the size rule, via the kind's
    own definition; the whole layer is too large to work out entry by entry)."""
    from symnn.sheets.kinds.conv_common import output_size

    assert output_size(227, 11, 4, 0) == 55


def test_the_example_sheet_reproduces_the_published_numbers():
    sheet_ = solve_checked(load_builtin("conv2d"))
    assert sheet_["ex1"].quantity("Y").exact == sp.Matrix([[19, 25], [37, 43]])
    assert sheet_["ex2"].quantity("Y").exact == sp.Matrix([[1, -2, 0], [0, 3, 0], [-3, 8, 0]]) + sp.ones(3, 3)


# ---------------------------------------------------------------------------
# Properties against the loop implementation and finite differences.

small = st.integers(-3, 3).map(F)


@st.composite
def layers(draw: Any) -> dict[str, Any]:
    C = draw(st.integers(1, 2))
    n_f = draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    D = draw(st.integers(1, 2))
    S = draw(st.integers(1, 3))
    P = draw(st.integers(0, 2))
    H = draw(st.integers(max(1, D * (kh - 1) + 1 - 2 * P), 5))
    W = draw(st.integers(max(1, D * (kw - 1) + 1 - 2 * P), 5))
    grid = lambda r, c: st.lists(st.lists(small, min_size=c, max_size=c), min_size=r, max_size=r)  # noqa: E731
    X = draw(st.lists(grid(H, W), min_size=C, max_size=C))
    K = draw(st.lists(st.lists(grid(kh, kw), min_size=C, max_size=C), min_size=n_f, max_size=n_f))
    b = draw(st.one_of(st.none(), st.lists(small.map(lambda v: v / 2), min_size=n_f, max_size=n_f)))
    flip = draw(st.booleans())
    Ho, Wo = (H + 2 * P - D * (kh - 1) - 1) // S + 1, (W + 2 * P - D * (kw - 1) - 1) // S + 1
    mode = draw(st.sampled_from(["dY", "sum", "half_sse"]))
    spec: dict[str, Any] = {"X": X, "K": K, "b": b, "S": S, "P": P, "D": D, "flip": flip, "G": None,
                            "loss": None, "target": None}
    if mode == "dY":
        spec["G"] = draw(st.lists(grid(Ho, Wo), min_size=n_f, max_size=n_f))
    else:
        spec["loss"] = mode
        if mode == "half_sse" and draw(st.booleans()):
            spec["target"] = draw(st.lists(grid(Ho, Wo), min_size=n_f, max_size=n_f))
    return spec


def toml_fields(s: dict[str, Any]) -> dict[str, Any]:
    C, n_f = len(s["X"]), len(s["K"])
    fields: dict[str, Any] = {"X": s["X"] if C > 1 else s["X"][0],
                              "K": s["K"] if C > 1 else [k[0] for k in s["K"]],
                              "stride": s["S"], "padding": s["P"], "dilation": s["D"], "flip": s["flip"]}
    if s["b"] is not None:
        fields["b"] = s["b"]
    for key, name in (("G", "dY"), ("target", "target")):
        if s[key] is not None:
            fields[name] = s[key] if n_f > 1 else s[key][0]
    if s["loss"] is not None:
        fields["loss"] = s["loss"]
    return fields


def suffix(i: int, n: int) -> str:
    return str(i) if n > 1 else ""


@settings(max_examples=30, deadline=None)
@given(layers())
def test_forward_and_backward_agree_with_loops_and_finite_differences(s):
    d = solved(**toml_fields(s))  # solve_checked: the numpy twin agrees too
    X, K, b = s["X"], s["K"], s["b"]
    C, n_f = len(X), len(K)
    args = (s["S"], s["P"], s["D"], s["flip"])
    Y = loop_conv(X, K, b, *args)
    for f in range(n_f):
        assert as_grid(d.quantity(f"Y{suffix(f + 1, n_f)}").exact) == Y[f]

    def L(X_: Any, K_: Any, b_: Any) -> F:
        return loss_of(loop_conv(X_, K_, b_, *args), s["G"], s["target"], s["loss"])

    for f in range(n_f):
        for c in range(C):
            name = "dL_dK" + "_".join(p for p in (suffix(f + 1, n_f), suffix(c + 1, C)) if p)
            got = as_grid(d.quantity(name).exact)
            for u, row in enumerate(K[f][c]):
                for v, value in enumerate(row):
                    def with_k(k: F, f: int = f, c: int = c, u: int = u, v: int = v) -> F:
                        K2 = [[[list(r) for r in m] for m in t] for t in K]
                        K2[f][c][u][v] = k
                        return L(X, K2, b)
                    assert got[u][v] == finite_difference(with_k, value), (name, u, v)
    for c in range(C):
        got = as_grid(d.quantity(f"dL_dX{suffix(c + 1, C)}").exact)
        for i, row in enumerate(X[c]):
            for j, value in enumerate(row):
                def with_x(x: F, c: int = c, i: int = i, j: int = j) -> F:
                    X2 = [[list(r) for r in m] for m in X]
                    X2[c][i][j] = x
                    return L(X2, K, b)
                assert got[i][j] == finite_difference(with_x, value), (c, i, j)
    if b is not None:
        db = d.quantity("dL_db").exact
        for f in range(n_f):
            def with_b(v: F, f: int = f) -> F:
                b2 = list(b)
                b2[f] = v
                return L(X, K, b2)
            assert db[f, 0] == finite_difference(with_b, b[f])


# ---------------------------------------------------------------------------
# Worked solution: the full convolution is shown, and the first entry is written out.


def test_the_sheet_shows_the_size_rule_the_worked_entry_and_the_full_convolution():
    from symnn.sheets.render.markdown import to_markdown

    md = to_markdown(solve_checked(load_builtin("conv2d")))
    assert r"\left\lfloor{\frac{4 - 2 + 2 \cdot 1}{2}}\right\rfloor + 1 = 3" in md
    assert "Y_{1,1} = 0 \\cdot 0 + 1 \\cdot 1 + 3 \\cdot 2 + 4 \\cdot 3 = 19" in md
    assert r"\tilde{G} \star \operatorname{rot180}\left(K\right)" in md
    assert "cross-correlation" in md and "flip = true" in md


# ---------------------------------------------------------------------------
# symnn check: carried-forward values and one planted claim per named mistake.

SHEET2 = sheet(X=[[1, 0, -2, 1], [0, 1, 1, 0], [0, 1, 0, 1], [-3, 4, 0, 0]], K=[[2, 1], [0, 1]], b=[1], stride=2,
               padding=1, dY=[[1, -1, 0], [0, 2, 1], [1, 0, -1]])
SHEET3 = sheet(X=[[[1, 0, -2], [0, 1, 1], [0, 1, 0]], [[2, -1, 0], [1, 1, 0], [0, 0, 1]]],
               K=[[[[1, 0], [0, -1]], [[0, 1], [1, 0]]], [[[1, 1], [0, 0]], [[0, 0], [-1, 1]]]],
               b=[F(1, 2), -1], loss="half_sse")
SHEET_DIL = sheet(X=[[1, 2, 0, -1, 1], [0, 1, 3, 1, 0], [2, -1, 0, 1, 2], [1, 0, 1, 0, -2], [0, 3, -1, 2, 1]],
                  K=[[1, -1], [2, 0]], dilation=2, stride=2, loss="sum")


@cache
def key(text: str) -> SheetKey:
    return build_key(load_sheet(text))


def judge(text: str, claims: dict[str, Any]) -> dict[str, Any]:
    return {r.quantity: r for r in check_claims(key(text), {"ex1": claims})}


def ints(grid: list[list[F]]) -> list[list[Any]]:
    return [[int(v) if v.denominator == 1 else Decimal(v.numerator) / Decimal(v.denominator) for v in row]
            for row in grid]


X2 = [[[F(v) for v in r] for r in COURSE_X]]
K2 = [[[[F(2), F(1)], [F(0), F(1)]]]]


SIZE_MISTAKES = {
    # name: (the wrong rule, computed here, words of the diagnosis); in the order the kind tests them
    "plus-one": (lambda H, F_, P, S: (H - F_ + 2 * P) // S, "the + 1 is missing"),
    "no-padding": (lambda H, F_, P, S: len(range(0, H - F_ + 1, S)), "padding was forgotten"),
    "one-side": (lambda H, F_, P, S: (H - F_ + P) // S + 1, "one side only"),
    "ceiling": (lambda H, F_, P, S: math.ceil(F(H - F_ + 2 * P, S)) + 1, "rounded up instead of down"),
    "stride": (lambda H, F_, P, S: (H - F_ + 2 * P) // (S - 1) + 1 if S > 1 else None, "stride is off by one"),
}


def right_size(H: int, F_: int, P: int, S: int) -> int:
    """Outputs along one axis: how many window starts fit in the padded input."""
    return len(range(0, H + 2 * P - F_ + 1, S))


def distinguishing(mistake: str) -> tuple[int, int, int, int]:
    """Sizes (H, F, P, S) at which the mistake gives a value unlike the right one and every mistake tested before it."""
    names = list(SIZE_MISTAKES)
    for H in range(3, 12):
        for F_ in range(1, 4):
            for P in range(0, 3):
                for S in range(1, 4):
                    if right_size(H, F_, P, S) < 1:
                        continue
                    value = SIZE_MISTAKES[mistake][0](H, F_, P, S)
                    earlier = {SIZE_MISTAKES[n][0](H, F_, P, S) for n in names[:names.index(mistake)]}
                    if value is not None and value >= 0 and value != right_size(H, F_, P, S) and value not in earlier:
                        return H, F_, P, S
    raise AssertionError(mistake)


@pytest.mark.parametrize("mistake", list(SIZE_MISTAKES))
def test_named_size_mistakes(mistake):
    H, F_, P, S = distinguishing(mistake)
    text = sheet(X=[[1] * H] * H, K=[[1] * F_] * F_, stride=S, padding=P)
    assert judge(text, {"H_out": right_size(H, F_, P, S)})["H_out"].verdict == "correct"
    rule, words = SIZE_MISTAKES[mistake]
    r = judge(text, {"H_out": rule(H, F_, P, S)})["H_out"]
    assert r.verdict == "wrong" and words in r.diagnosis, (H, F_, P, S, r.diagnosis)


def test_dilation_ignored():
    text = sheet(X=[[1] * 6] * 6, K=[[1, 0, 1], [0, 1, 0], [1, 0, 1]], dilation=2)
    assert judge(text, {"H_out": 6 - 5 + 1})["H_out"].verdict == "correct"
    r = judge(text, {"H_out": 6 - 3 + 1})["H_out"]
    assert r.verdict == "wrong" and "dilation was ignored" in r.diagnosis


def test_kernel_flipped_or_not():
    flipped = loop_conv(X2, K2, [F(1)], 2, 1, 1, True)[0]
    r = judge(SHEET2, {"Y": ints(flipped)})["Y"]
    assert r.verdict == "wrong" and "turned by 180°" in r.diagnosis
    flipped_text = SHEET2.replace("stride = 2", "stride = 2\nflip = true")
    unflipped = loop_conv(X2, K2, [F(1)], 2, 1, 1, False)[0]
    r = judge(flipped_text, {"Y": ints(unflipped)})["Y"]
    assert r.verdict == "wrong" and "not turned by 180°" in r.diagnosis


def test_bias_not_added_and_parameter_mistakes():
    r = judge(SHEET2, {"Y": ints(loop_conv(X2, K2, None, 2, 1, 1, False)[0])})["Y"]
    assert r.verdict == "wrong" and r.diagnosis == "the bias was not added"
    assert judge(SHEET2, {"params": 2 * 2 + 1})["params"].verdict == "correct"
    r = judge(SHEET2, {"params": 2 * 2})["params"]
    assert r.verdict == "wrong" and "biases were not counted" in r.diagnosis
    r = judge(SHEET3, {"params": 2 * (2 * 2 + 1)})["params"]
    assert r.verdict == "wrong" and "channels were not counted" in r.diagnosis
    r = judge(SHEET2, {"params": 2 * 2 * 9 + 1})["params"]
    assert r.verdict == "wrong" and "weights are shared" in r.diagnosis


def backward_of(X: list[Grid], K: list[list[Grid]], G: list[Grid], S: int, P: int, flip_kernel: bool,
                ) -> tuple[Grid, Grid]:
    """(∂L/∂K, ∂L/∂X) of one filter and channel by finite differences of this file's loops (for planted claims)."""
    def L(X_: Any, K_: Any) -> F:
        return loss_of(loop_conv(X_, K_, None, S, P, 1, flip_kernel), G, None, None)
    dK = [[finite_difference(lambda k, u=u, v=v: L(X, [[[[k if (a, c) == (u, v) else K[0][0][a][c]
                                                           for c in range(len(K[0][0][0]))]
                                                          for a in range(len(K[0][0]))]]]), K[0][0][u][v])
           for v in range(len(K[0][0][0]))] for u in range(len(K[0][0]))]
    dX = [[finite_difference(lambda x, i=i, j=j: L([[[x if (a, c) == (i, j) else X[0][a][c] for c in range(len(X[0][0]))]
                                                     for a in range(len(X[0]))]], K), X[0][i][j])
           for j in range(len(X[0][0]))] for i in range(len(X[0]))]
    return dK, dX


def test_gradients_carry_forward_and_the_turned_kernel_mistakes():
    G = [[[F(v) for v in r] for r in [[1, -1, 0], [0, 2, 1], [1, 0, -1]]]]
    dK, dX = backward_of(X2, K2, G, 2, 1, False)
    results = judge(SHEET2, {"dL_dK": ints(dK), "dL_dX": ints(dX), "dL_db": [3]})
    assert {r.verdict for r in results.values()} == {"correct"}
    r = judge(SHEET2, {"dL_dK": ints([row[::-1] for row in dK[::-1]])})["dL_dK"]
    assert r.verdict == "wrong" and "turned by 180°" in r.diagnosis
    # The full convolution with the kernel left unturned is the backward pass of the flipped forward pass.
    _, dX_unturned = backward_of(X2, K2, G, 2, 1, True)
    r = judge(SHEET2, {"dL_dX": ints(dX_unturned)})["dL_dX"]
    assert r.verdict == "wrong" and "not turned by 180°" in r.diagnosis
    r = judge(SHEET2, {"dL_db": [F(3, 9)]})["dL_db"]
    assert r.verdict == "wrong" and "averaged" in r.diagnosis


def test_a_wrong_output_carries_into_the_upstream_gradient_of_a_loss():
    d = solve_checked(load_sheet(SHEET3))["ex1"]
    Y1 = as_grid(d.quantity("Y1").exact)
    wrong = [[Y1[0][0] + 1, Y1[0][1]], Y1[1]]
    # half_sse without a target: ∂L/∂Y = Y, so the student's wrong Y carries forward.
    results = judge(SHEET3, {"Y1": ints(wrong), "dL_dY1": ints(wrong)})
    assert results["Y1"].verdict == "wrong" and results["dL_dY1"].verdict == "carried forward"


# ---------------------------------------------------------------------------
# Variants and bad input.

TEMPLATE = """
title = "conv variants"
[[exercise]]
kind = "conv2d"
X = { random = "uniform", low = -2, high = 2, step = 1, shape = [4, 4] }
K = { random = "uniform", low = -1, high = 1, step = 1, shape = [2, 2] }
stride = 2
padding = 1
dY = { random = "uniform", low = -1, high = 1, step = 1, shape = [3, 3] }
"""


def test_variants_are_reproducible_and_have_no_all_zero_gradient():
    """Kernels of −1/0/1 are often all zero (then ∂L/∂X is zero): the rejection rule redraws them."""
    first = generate_variants(TEMPLATE, 12, seed=4)
    again = generate_variants(TEMPLATE, 12, seed=4)
    assert [v.key for v in first] == [v.key for v in again]
    assert len({str(v.key["exercises"][0]["quantities"]["Y"]["exact"]) for v in first}) > 6
    for v in first:
        q = v.key["exercises"][0]["quantities"]
        for name in ("dL_dK", "dL_dX"):
            entries = q[name]["exact"].replace("[", " ").replace("]", " ").replace(",", " ").split()
            assert any(F(e) != 0 for e in entries), name


@pytest.mark.parametrize("fields, cls, message", [
    ({"X": [[1, 2], [3, 4]], "K": [[1, 2, 3], [1, 2, 3], [1, 2, 3]]}, ShapeError, "does not fit the 2×2 input"),
    ({"X": [[[1, 2], [3, 4]], [[1, 2], [3, 4]]], "K": [[[[1]]]]}, ShapeError, "filter 1 has 1 channel(s) but X has 2"),
    ({"X": [[1, 2], [3, 4]], "K": [[1]], "dY": [[1]]}, ShapeError, "dY must be 1 matrix(es) of 2×2"),
    ({"X": [[1, 2], [3, 4]], "K": [[1]], "dY": [[1, 1], [1, 1]], "loss": "sum"}, SpecError, "either dY"),
    ({"X": [[1, 2], [3, 4]], "K": [[1]], "stride": 0}, SpecError, "stride must be a whole number from 1"),
    ({"X": [[1, 2], [3, 4]], "K": [[1]], "b": [1, 2]}, ShapeError, "b has 2 entries but there are 1 filters"),
    ({"X": [[1, 2], [3, 4]], "K": [[1]], "loss": "l1"}, SpecError, "unknown loss 'l1'"),
])
def test_bad_input_is_named(fields, cls, message):
    with pytest.raises(cls) as caught:
        load_sheet(sheet(**fields))
    assert message in str(caught.value) and "exercise ex1 (conv2d)" in str(caught.value)


def test_solve_without_backward_has_only_forward_quantities():
    d = solve_exercise(load_sheet(sheet(X=D2L_X, K=[[0, 1], [2, 3]])).exercises[0])
    assert [q.name for q in d.quantities] == ["H_out", "W_out", "params", "Y"]


def test_a_draw_with_an_all_zero_gradient_is_rejected_and_redrawn():
    text = TEMPLATE.replace('K = { random = "uniform", low = -1, high = 1, step = 1, shape = [2, 2] }',
                            "K = { choice = [[[0, 0], [0, 0]], [[1, 2], [0, 1]]] }")
    variants = generate_variants(text, 10, seed=1)
    for v in variants:
        exact = v.key["exercises"][0]["quantities"]["dL_dX"]["exact"]
        assert any(F(e) != 0 for e in exact.replace("[", " ").replace("]", " ").replace(",", " ").split())
    assert sum(v.draws for v in variants) > len(variants)  # some draws had the zero kernel
    relaxed = text.replace("dY =", "reject = { min_gradient = false }\ndY =")
    assert sum(v.draws for v in generate_variants(relaxed, 10, seed=1)) == 10


def test_variants_of_a_multichannel_layer_and_of_every_example_sheet():
    """Channels of matrices pass the variants' data-matrix pre-check (it once tripped over 3-D X)."""
    template = """
[[exercise]]
kind = "conv2d"
X = [{ random = "uniform", low = -2, high = 2, step = 1, shape = [3, 3] },
     { random = "uniform", low = -2, high = 2, step = 1, shape = [3, 3] }]
K = [[[1, 0], [0, -1]], [[0, 1], [1, 0]]]
loss = "sum"
"""
    variants = generate_variants(template, 4, seed=9)
    assert len({v.key["exercises"][0]["quantities"]["Y"]["exact"] for v in variants}) > 1
    from importlib import resources

    for name in ("conv2d", "pool", "cnn_sizes", "conv_transpose"):
        text = resources.files("symnn").joinpath(f"sheets/examples/{name}.toml").read_text(encoding="utf-8")
        assert len(generate_variants(text, 1, seed=1)) == 1


def test_a_layer_too_large_to_work_out_is_refused_at_once():
    big = [[1] * 40] * 40  # 1600 input entries: its input gradient alone would take 1600² derivative steps
    with pytest.raises(SpecError, match=r"exercise ex1 \(conv2d\): this layer takes about 2,\d{3},\d{3} steps"):
        load_sheet(sheet(X=big, K=[[1, 0], [0, 1]], loss="sum"))
    load_sheet(sheet(X=big, K=[[1, 0], [0, 1]]))  # forward only: 1521 products, fine


def test_labels_of_two_exercises_do_not_overwrite_each_other():
    """A padded one-channel exercise and a padded two-channel one on one sheet: each keeps its own X^pad."""
    from symnn.sheets.render.markdown import to_markdown

    one = sheet(X=[[1, 2], [3, 4]], K=[[1]], padding=1)
    two = one.replace('title = "t"\n', "").replace("X = [[1, 2], [3, 4]]", "X = [[[1, 2], [3, 4]], [[0, 1], [1, 0]]]")
    two = two.replace("K = [[1]]", "K = [[[[1]], [[2]]]]")
    md = to_markdown(solve_checked(load_sheet(one + two)))
    first, second = md.split("## Exercise 2")
    assert "X^{\\text{pad}} = " in first and "X^{\\text{pad}}_{1} = " in second
