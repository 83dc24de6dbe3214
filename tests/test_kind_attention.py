"""Kind ``attention``: the numpy twin against a loop implementation written here, finite differences for
every backward formula, the exact solver against the twin on random draws, the named mistakes of
``symnn check``, bad input, variants, and the example sheet's own lint.

The independent values here are plain Python loops over floats (``math.exp``, ``math.sqrt``),
written from the definitions, never from symnn.
"""

from __future__ import annotations

import math
import random
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction as F
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symnn.cli import main
from symnn.sheets.loading import load_builtin, load_sheet
from symnn.sheets.reference.attention import evaluate_attention

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------
# An independent loop implementation.


def loop_attention(Q, K, V, mask, heads):
    """Output rows of multi-head attention, by loops over floats."""
    nq, d, nk, dv = len(Q), len(Q[0]), len(K), len(V[0])
    dh, dvh = d // heads, dv // heads
    O = [[0.0] * dv for _ in range(nq)]
    weights = []
    for h in range(heads):
        A = []
        for i in range(nq):
            keys = [j for j in range(nk) if mask is None or mask[i][j]]
            s = {j: sum(Q[i][h * dh + m] * K[j][h * dh + m] for m in range(dh)) / math.sqrt(dh) for j in keys}
            top = max(s.values())
            e = {j: math.exp(s[j] - top) for j in keys}
            z = sum(e.values())
            row = [e[j] / z if j in e else 0.0 for j in range(nk)]
            A.append(row)
            for c in range(dvh):
                O[i][h * dvh + c] = sum(row[j] * V[j][h * dvh + c] for j in range(nk))
        weights.append(A)
    return O, weights


def loop_loss(Q, K, V, mask, G, heads):
    O, _ = loop_attention(Q, K, V, mask, heads)
    return sum(G[i][c] * O[i][c] for i in range(len(O)) for c in range(len(O[0])))


def central_difference(Q, K, V, mask, G, heads, which, i, j, h=1e-6):
    def at(delta):
        mats = {"Q": [r[:] for r in Q], "K": [r[:] for r in K], "V": [r[:] for r in V]}
        mats[which][i][j] += delta
        return loop_loss(mats["Q"], mats["K"], mats["V"], mask, G, heads)
    return (at(h) - at(-h)) / (2 * h)


tenths = st.integers(-10, 10).map(lambda n: F(n, 10))


@st.composite
def problems(draw, max_size=4):
    heads = draw(st.sampled_from([1, 1, 2]))
    nq, nk = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    d = heads * draw(st.integers(1, 3))
    dv = heads * draw(st.integers(1, 2))

    def matrix(r, c):
        return tuple(tuple(draw(tenths) for _ in range(c)) for _ in range(r))

    mask = None
    if draw(st.booleans()):
        rows = []
        for _ in range(nq):
            row = [draw(st.sampled_from([F(0), F(1)])) for _ in range(nk)]
            row[draw(st.integers(0, nk - 1))] = F(1)
            rows.append(tuple(row))
        mask = tuple(rows)
    return matrix(nq, d), matrix(nk, d), matrix(nk, dv), mask, matrix(nq, dv), heads


def floats(M):
    return None if M is None else [[float(v) for v in row] for row in M]


@settings(max_examples=60, deadline=None)
@given(problems())
def test_twin_matches_the_loop_implementation(problem):
    Q, K, V, mask, G, heads = problem
    values = evaluate_attention(Q, K, V, mask, G, heads)
    O, weights = loop_attention(floats(Q), floats(K), floats(V), floats(mask), heads)
    assert np.allclose(values["O"], O, rtol=1e-12, atol=1e-12)
    for h, tag in enumerate([""] if heads == 1 else ["1", "2"]):
        assert np.allclose(values[f"A{tag}"], weights[h], rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_every_backward_formula_matches_finite_differences(problem):
    Q, K, V, mask, G, heads = problem
    values = evaluate_attention(Q, K, V, mask, G, heads)
    q, k, v, m, g = floats(Q), floats(K), floats(V), floats(mask), floats(G)
    for which, M in (("Q", q), ("K", k), ("V", v)):
        grad = values[f"dL_d{which}"]
        for i in range(len(M)):
            for j in range(len(M[0])):
                fd = central_difference(q, k, v, m, g, heads, which, i, j)
                assert abs(grad[i, j] - fd) < 1e-6 * (1 + abs(fd)), (which, i, j, grad[i, j], fd)


def _sheet(problem) -> str:
    Q, K, V, mask, G, heads = problem

    def toml(M):
        return "[" + ", ".join("[" + ", ".join(str(Decimal(v.numerator) / v.denominator) for v in row) + "]"
                               for row in M) + "]"

    text = f'[[exercise]]\nkind = "attention"\nQ = {toml(Q)}\nK = {toml(K)}\nV = {toml(V)}\nupstream = {toml(G)}\n'
    text += f"heads = {heads}\n"
    if mask is not None:
        text += f"mask = {toml(mask)}\n"
    return text


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_size=3))
def test_exact_solution_agrees_with_the_twin_and_its_rows_sum_to_one(problem):
    import sympy as sp

    from symnn.core.program import enclose
    from symnn.sheets.crosscheck import crosscheck
    from symnn.sheets.kinds import solve_exercise

    spec = load_sheet(_sheet(problem)).exercises[0]
    derivation = solve_exercise(spec)
    assert crosscheck(spec, derivation) == len(derivation.quantities)
    A = derivation.quantity("A" if problem[-1] == 1 else "A1").exact
    for i in range(A.rows):
        low, high = enclose(sp.Add(*A.row(i)) - 1)
        assert low <= 0 <= high and high - low < F(1, 10**40)


def test_matrix_forms_are_confirmed_on_symbols_for_every_pattern():
    import sympy as sp

    from symnn.core.calculus import softmax_symbols
    from symnn.sheets.kinds.attention import chain_in_exponentials, output_pattern, row_forms, softmax_chain

    rng = random.Random(3)
    for n in range(1, 6):
        chain = softmax_chain(n)
        in_exps, E, c = chain_in_exponentials(n)
        output, gradient, E2, w, c2, kappa = row_forms(n)
        s = [rng.uniform(-2, 2) for _ in range(n)]
        cs = [rng.uniform(-2, 2) for _ in range(n)]
        ws = [rng.uniform(-2, 2) for _ in range(n)]
        ks = [rng.uniform(-2, 2) for _ in range(n)]
        z = sum(math.exp(x) for x in s)
        a = [math.exp(x) / z for x in s]
        inner = sum(ai * ci for ai, ci in zip(a, cs))
        expected = [a[m] * (cs[m] - inner) for m in range(n)]  # the textbook softmax backward, written here
        env = {**dict(zip(softmax_symbols(n).a, a)), **dict(zip(c, cs))}
        exps = {**dict(zip(E, map(math.exp, s))), **dict(zip(c, cs))}
        for m in range(n):
            assert math.isclose(float(chain[m].xreplace(env)), expected[m], abs_tol=1e-12)
            assert math.isclose(float(in_exps[m].xreplace(exps)), expected[m], abs_tol=1e-12)
        at = {**dict(zip(E2, map(math.exp, s))), **dict(zip(w, ws)), **dict(zip(c2, cs)), **dict(zip(kappa, ks))}
        assert math.isclose(float(output.xreplace(at)), sum(ai * wi for ai, wi in zip(a, ws)), abs_tol=1e-12)
        assert math.isclose(float(gradient.xreplace(at)), sum(e * k for e, k in zip(expected, ks)), abs_tol=1e-12)
    a, v, g, dA, dV = output_pattern(3, 2)
    assert dA[0] == g[0] * v[0, 0] + g[1] * v[0, 1] and dV[2, 1] == a[2] * g[1]
    assert isinstance(dA[0], sp.Expr)


# ---------------------------------------------------------------------------
# symnn check: one planted claim per named mistake.


@cache
def example_key():
    from symnn.verify.check.key import build_key

    return build_key(load_builtin("attention"))


def rounded(M, places=4):
    return [[Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN) for x in row]
            for row in M]


def example_inputs(index=0):
    spec = load_builtin("attention").exercises[index]
    f = spec.data
    return floats(f.Q), floats(f.K), floats(f.V), floats(f.mask), floats(f.upstream)


def claim(name, value, exercise="causal"):
    from symnn.verify.check.judge import check_claims

    [r] = check_claims(example_key(), {exercise: {name: value}})
    return r


def matmul(A, B):
    return [[sum(A[i][k] * B[k][j] for k in range(len(B))) for j in range(len(B[0]))] for i in range(len(A))]


def transpose(A):
    return [list(r) for r in zip(*A)]


def softmax_rows(S, mask):
    out = []
    for i, row in enumerate(S):
        keys = [j for j in range(len(row)) if mask[i][j]]
        z = sum(math.exp(row[j]) for j in keys)
        out.append([math.exp(row[j]) / z if j in keys else 0.0 for j in range(len(row))])
    return out


def test_scores_without_the_square_root_are_named():
    Q, K, *_ = example_inputs()
    r = claim("S", rounded(matmul(Q, transpose(K))))
    assert r.verdict == "wrong" and "√d left out" in r.diagnosis


def test_scores_with_K_not_transposed_are_named():
    Q, K, *_ = example_inputs()
    S = [[x / math.sqrt(3) for x in row] for row in matmul(Q, K)]
    r = claim("S", rounded(S))
    assert r.verdict == "wrong" and "K was not transposed" in r.diagnosis


def test_softmax_over_the_wrong_axis_is_named_and_carried_from_the_students_scores():
    Q, K, _, mask, _ = example_inputs()
    S = [[x / math.sqrt(3) for x in row] for row in matmul(Q, transpose(K))]
    columns = transpose(softmax_rows(transpose(S), transpose(mask)))
    from symnn.verify.check.judge import check_claims

    results = check_claims(example_key(), {"causal": {"S": rounded(S, 6), "A": rounded(columns)}})
    r = {x.quantity: x for x in results}["A"]
    assert r.verdict == "wrong" and "instead of along each row" in r.diagnosis


def test_weights_from_unscaled_scores_are_named():
    Q, K, _, mask, _ = example_inputs()
    r = claim("A", rounded(softmax_rows(matmul(Q, transpose(K)), mask)))
    assert r.verdict == "wrong" and "√d left out" in r.diagnosis


def test_query_gradient_without_the_square_root_is_named():
    Q, K, V, mask, G = example_inputs()
    S = [[x / math.sqrt(3) for x in row] for row in matmul(Q, transpose(K))]
    A = softmax_rows(S, mask)
    dA = matmul(G, transpose(V))
    dS = [[A[i][j] * (dA[i][j] - sum(A[i][k] * dA[i][k] for k in range(3))) for j in range(3)] for i in range(3)]
    r = claim("dL_dQ", rounded(matmul(dS, K), 5))
    assert r.verdict == "wrong" and "√d left out" in r.diagnosis
    r = claim("dL_dQ", rounded([[x / math.sqrt(3) for x in row] for row in matmul(dS, K)], 5))
    assert r.verdict in ("correct", "rounding")


def test_a_wrong_score_carries_into_the_weights():
    Q, K, _, mask, _ = example_inputs()
    S = [[x / math.sqrt(3) for x in row] for row in matmul(Q, transpose(K))]
    S[1][0] += 0.5  # a slip in one score
    from symnn.verify.check.judge import check_claims

    results = {r.quantity: r for r in check_claims(example_key(), {"causal": {"S": rounded(S, 6),
                                                                              "A": rounded(softmax_rows(S, mask))}})}
    assert results["S"].verdict == "wrong"
    assert results["A"].verdict == "carried forward"


# ---------------------------------------------------------------------------
# Bad input, variants, lint.


@pytest.mark.parametrize("extra, message", [
    ("mask = [[1, 0], [1, 1]]", "mask is 2×2 but Q Kᵀ is 2×3"),
    ("mask = [[1, 0, 2], [1, 1, 1]]", "mask entries must be 0 or 1, got 2 in row 1"),
    ("mask = [[0, 0, 0], [1, 1, 1]]", "mask row 1 masks every key"),
    ("heads = 3", "heads must be between 1 and d = 2, got 3"),
    ("heads = 2", "heads = 2 must divide d = 2 and d_v = 1"),
    ("upstream = [[1, 2]]", "upstream is 1×2 but the output O = A V is 2×1"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, extra, message):
    sheet = tmp_path / "bad.toml"
    sheet.write_text('[[exercise]]\nkind = "attention"\nQ = [[1, 0], [0, 1]]\nK = [[1, 1], [0, 1], [1, 0]]\n'
                     f"V = [1, 2, 3]\n{extra}\n", encoding="utf-8")
    assert main(["sheet", str(sheet), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and "bad.toml" in err and "ex1 (attention)" in err


def test_too_many_queries_is_refused(tmp_path, capsys):
    rows = ", ".join(["[1, 0]"] * 9)
    sheet = tmp_path / "many.toml"
    sheet.write_text(f'[[exercise]]\nkind = "attention"\nQ = [{rows}]\nK = [[1, 0]]\nV = [1]\n', encoding="utf-8")
    assert main(["sheet", str(sheet), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "at most 8 queries and keys and 64 columns" in capsys.readouterr().err


def test_variants_reject_uniform_rows_and_vanishing_gradients():
    from symnn.sheets.constraints import Constraints
    from symnn.sheets.kinds.attention import rejects
    from symnn.sheets.variants import generate_variants

    uniform = load_sheet('[[exercise]]\nkind = "attention"\nQ = [[0, 0]]\nK = [[1, 0], [0, 1]]\nV = [1, 1]\n'
                         "upstream = [[1]]\n").exercises[0]
    values = evaluate_attention(uniform.data.Q, uniform.data.K, uniform.data.V, None, uniform.data.upstream, 1)
    failed = rejects(uniform.data, values, Constraints())
    assert any("softmax_ties" in f for f in failed) and any("min_gradient" in f for f in failed)
    assert rejects(uniform.data, values, Constraints(softmax_ties=False, min_gradient=None)) == []
    template = """
[[exercise]]
kind = "attention"
Q = { random = "uniform", low = -1, high = 1, step = 0.5, shape = [2, 2] }
K = [[1, 0], [0, 1]]
V = [[1], [-1]]
upstream = [[1], [1]]
"""
    variants = generate_variants(template, 3, seed=5)
    for v in variants:
        S = v.key["exercises"][0]["quantities"]["S"]["exact"]
        assert "sqrt(2)" in S or S == "[[0, 0], [0, 0]]"
    assert len({v.key["exercises"][0]["quantities"]["S"]["exact"] for v in variants}) == 3


@pytest.mark.parametrize("suffix", [".md", ".tex", ".html"])
def test_the_example_sheet_lints_clean_and_a_planted_slip_is_found(suffix):
    from symnn.verify.lint.report import lint_text

    text = (ROOT / "tests" / "snapshots" / "examples" / f"attention{suffix}").read_text(encoding="utf-8")
    fmt = {".md": "markdown", ".tex": "latex", ".html": "html"}[suffix]
    report = lint_text(text, fmt)
    assert not [f for f in report.findings if f.verdict in ("error", "rounding")]
    assert sum(f.verdict == "ok" for f in report.findings) >= 20
    slipped = text.replace(r"0.572 & 0.857\\0 & 0.761", r"0.572 & 0.857\\0 & 0.716", 1)
    if suffix == ".md":
        assert slipped != text
        assert any(f.verdict == "error" for f in lint_text(slipped, fmt).findings)


def test_gradients_equal_sympy_diff_of_the_whole_loss_exactly():
    """On a small case, differentiate L = Σ G ⊙ softmax(Q Kᵀ/√d) V as one expression in every entry of Q, K, V
    (written here from the definition), put the numbers in, and compare exactly with the solver's gradients."""
    import sympy as sp

    from symnn.core.program import enclose
    from symnn.sheets.kinds import solve_exercise

    text = ('[[exercise]]\nkind = "attention"\nQ = [[1, -0.5], [0.5, 1]]\nK = [[0.5, 1], [-1, 0.5], [1, 1]]\n'
            "V = [[1], [-0.5], [2]]\nmask = [[1, 1, 0], [1, 1, 1]]\nupstream = [[1], [-2]]\n")
    spec = load_sheet(text).exercises[0]
    derivation = solve_exercise(spec)
    f = spec.data
    q = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"q{i}{j}"))
    k = sp.Matrix(3, 2, lambda i, j: sp.Symbol(f"k{i}{j}"))
    v = sp.Matrix(3, 1, lambda i, j: sp.Symbol(f"v{i}{j}"))
    S = q * k.T / sp.sqrt(2)
    loss = 0
    for i in range(2):
        keys = [j for j in range(3) if f.mask[i][j]]
        z = sum(sp.exp(S[i, j]) for j in keys)
        loss += sp.Rational(f.upstream[i][0]) * sum(sp.exp(S[i, j]) / z * v[j, 0] for j in keys)
    values = {**{q[i, j]: sp.Rational(f.Q[i][j]) for i in range(2) for j in range(2)},
              **{k[i, j]: sp.Rational(f.K[i][j]) for i in range(3) for j in range(2)},
              **{v[i, 0]: sp.Rational(f.V[i][0]) for i in range(3)}}
    for name, M in (("dL_dQ", q), ("dL_dK", k), ("dL_dV", v)):
        mine = derivation.quantity(name).exact
        for index in range(len(M)):
            direct = sp.diff(loss, M[index]).xreplace(values)
            low, high = enclose(direct - mine[index])
            assert low <= 0 <= high and high - low < F(1, 10**40), (name, index)
