"""Kind ``rnn``: the numpy twin against a loop implementation written here, finite differences for every
backward quantity (parameter gradients, δ_t, the Jacobian product), the exact solver against the twin on
random draws, the published BPTT walkthrough (and its slip, for ``symnn check`` and ``symnn lint``), the
named mistakes, bad input and variants.

Independent values are plain Python loops over floats (``math.tanh``), written from the recurrences.
"""

from __future__ import annotations

import math
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
from symnn.sheets.reference.rnn import evaluate_rnn

ROOT = Path(__file__).resolve().parents[1]
WALKTHROUGH = ROOT / "tests" / "corpus" / "bptt_walkthrough.toml"


# ---------------------------------------------------------------------------
# An independent loop implementation over floats.


def run(p, x, h0, targets, half=True, nudge=None, start=None):
    """States and total loss; ``nudge=(t, i, eps)`` adds eps to a_t[i]; ``start=(h1)`` replaces h_1."""
    n_h = len(p["W_h"])
    h = list(h0)
    states, loss = [h], 0.0
    for t, xt in enumerate(x, start=1):
        a = [sum(p["W_x"][i][k] * xt[k] for k in range(len(xt))) + sum(p["W_h"][i][k] * h[k] for k in range(n_h))
             + p["b"][i] for i in range(n_h)]
        if nudge is not None and nudge[0] == t:
            a[nudge[1]] += nudge[2]
        h = [math.tanh(v) for v in a]
        if start is not None and t == 1:
            h = list(start)
        states.append(h)
        y = [sum(p["W_y"][o][k] * h[k] for k in range(n_h)) + p["b_y"][o] for o in range(len(p["W_y"]))]
        loss += (0.5 if half else 1.0) * sum((yo - to) ** 2 for yo, to in zip(y, targets[t - 1]))
    return states, loss


@st.composite
def problems(draw, max_steps=4, max_hidden=3):
    quarter = st.integers(-4, 4).map(lambda n: F(n, 4))
    T, n_h = draw(st.integers(1, max_steps)), draw(st.integers(1, max_hidden))
    n_in, n_out = draw(st.integers(1, 2)), draw(st.integers(1, 2))

    def matrix(r, c):
        return tuple(tuple(draw(quarter) for _ in range(c)) for _ in range(r))

    return {"x": matrix(T, n_in), "W_x": matrix(n_h, n_in), "W_h": matrix(n_h, n_h), "b": matrix(n_h, 1),
            "h0": matrix(n_h, 1), "W_y": matrix(n_out, n_h), "b_y": matrix(n_out, 1), "y": matrix(T, n_out),
            "loss": draw(st.sampled_from(["half_sse", "sse"]))}


def floats(M):
    return [[float(v) for v in row] for row in M]


def params(problem):
    p = {k: floats(problem[k]) for k in ("W_x", "W_h", "W_y")}
    p["b"] = [r[0] for r in floats(problem["b"])]
    p["b_y"] = [r[0] for r in floats(problem["b_y"])]
    return p


def twin(problem):
    return evaluate_rnn(problem["x"], problem["W_x"], problem["W_h"], problem["b"], problem["h0"], problem["W_y"],
                        problem["b_y"], problem["y"], problem["loss"])


def loop(problem, p=None, **kw):
    return run(params(problem) if p is None else p, floats(problem["x"]), [r[0] for r in floats(problem["h0"])],
               floats(problem["y"]), problem["loss"] == "half_sse", **kw)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_twin_forward_matches_the_loop_implementation(problem):
    values = twin(problem)
    states, loss = loop(problem)
    for t in range(1, len(problem["x"]) + 1):
        assert np.allclose(values[f"h{t}"].ravel(), states[t], rtol=1e-12, atol=1e-12)
    assert math.isclose(values["L"], loss, rel_tol=1e-12, abs_tol=1e-12)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_every_backward_quantity_matches_finite_differences(problem):
    values, eps = twin(problem), 1e-6
    base = params(problem)
    for name in ("W_x", "W_h", "W_y", "b", "b_y"):
        grad = np.asarray(values[f"dL_d{name}"])
        for i in range(grad.shape[0]):
            for j in range(grad.shape[1]):
                def at(delta, name=name, i=i, j=j):
                    p = {k: [list(r) if isinstance(r, list) else r for r in v] for k, v in base.items()}
                    if name in ("b", "b_y"):
                        p[name][i] += delta
                    else:
                        p[name][i][j] += delta
                    return loop(problem, p)[1]
                fd = (at(eps) - at(-eps)) / (2 * eps)
                assert abs(grad[i, j] - fd) < 1e-6 * (1 + abs(fd)), (name, i, j)
    T, n_h = len(problem["x"]), len(base["W_h"])
    for t in range(1, T + 1):
        for i in range(n_h):
            fd = (loop(problem, nudge=(t, i, eps))[1] - loop(problem, nudge=(t, i, -eps))[1]) / (2 * eps)
            assert abs(values[f"delta{t}"][i, 0] - fd) < 1e-6 * (1 + abs(fd)), (t, i)
    if T >= 2:
        h1 = loop(problem)[0][1]
        J = values[f"dh{T}_dh1"]
        for k in range(n_h):
            up, down = list(h1), list(h1)
            up[k] += eps
            down[k] -= eps
            column = (np.array(loop(problem, start=up)[0][T]) - np.array(loop(problem, start=down)[0][T])) / (2 * eps)
            assert np.allclose(J[:, k], column, atol=1e-6), k


def toml(problem) -> str:
    def m(M):
        return "[" + ", ".join("[" + ", ".join(str(Decimal(v.numerator) / v.denominator) for v in row) + "]"
                               for row in M) + "]"
    keys = ("x", "W_x", "W_h", "b", "h0", "W_y", "b_y", "y")
    return '[[exercise]]\nkind = "rnn"\n' + "".join(f"{k} = {m(problem[k])}\n" for k in keys) + \
        f'loss = "{problem["loss"]}"\n'


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_steps=3, max_hidden=2))
def test_exact_solution_agrees_with_the_twin(problem):
    from symnn.sheets.crosscheck import crosscheck
    from symnn.sheets.kinds import solve_exercise

    spec = load_sheet(toml(problem)).exercises[0]
    derivation = solve_exercise(spec)
    assert crosscheck(spec, derivation) == len(derivation.quantities)


# ---------------------------------------------------------------------------
# The published walkthrough (numbers as quoted in issue 14; the walkthrough's source is not named there):
# x = (1.0, 2.0), h0 = 0, W_x = 0.5, W_h = 0.1, b = 0, W_y = 2.0, targets (1, 2), L = ½Σ(y − t)²:
# h1 = tanh(0.5) ≈ 0.4621, y1 ≈ 0.9242; later it writes tanh(1.04621) as 0.7790, a slip.


def rounded(value, places):
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)


@cache
def walkthrough():
    from symnn.sheets.kinds import solve_exercise

    return solve_exercise(load_sheet(WALKTHROUGH).exercises[0])


def certified(value, places):
    """The exact value rounded to ``places`` from its certified enclosure (both ends must agree)."""
    from symnn.core.program import enclose

    low, high = enclose(value)
    ends = {Decimal(low.numerator) / Decimal(low.denominator), Decimal(high.numerator) / Decimal(high.denominator)}
    texts = {e.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN) for e in ends}
    assert len(texts) == 1
    return texts.pop()


@pytest.mark.parametrize("quantity, published", [("h1", "0.4621"), ("y1", "0.9242")])
def test_walkthrough_published_figures(quantity, published):
    value = walkthrough().quantity(quantity).exact
    assert str(certified(value, 4)) == published


def test_walkthrough_slip_and_the_true_value():
    a2, h2 = walkthrough().quantity("a2").exact, walkthrough().quantity("h2").exact
    assert str(certified(a2, 5)) == "1.04621"
    assert str(certified(h2, 4)) == "0.7803"  # tanh(1.0462117…); the walkthrough's 0.7790 is a slip
    assert rounded(math.tanh(1 + math.tanh(0.5) / 10), 4) == Decimal("0.7803")


def test_check_carries_the_walkthrough_slip_forward():
    from symnn.verify.check.judge import check_claims
    from symnn.verify.check.key import build_key

    key = build_key(load_sheet(WALKTHROUGH))
    claims = {"h1": Decimal("0.4621"), "y1": Decimal("0.9242"), "a2": Decimal("1.04621"),
              "h2": Decimal("0.7790"), "y2": Decimal("1.5580"), "L2": Decimal("0.0977")}
    results = {r.quantity: r for r in check_claims(key, {"walkthrough": claims})}
    assert {n: results[n].verdict for n in ("h1", "y1", "a2")} == dict.fromkeys(("h1", "y1", "a2"), "rounding")
    assert results["h2"].verdict == "wrong"
    assert results["y2"].verdict == "carried forward" and results["L2"].verdict == "carried forward"
    assert 2 * Decimal("0.7790") == Decimal("1.5580") and rounded((2 - 1.558) ** 2 / 2, 4) == Decimal("0.0977")


def test_lint_finds_the_walkthrough_slip_on_its_line():
    from symnn.verify.lint.report import lint_text

    sheet = ("# BPTT\n\n$$\nh_1 = \\tanh(0.5) \\approx 0.4621\n$$\n\n"
             "$$\nh_2 = \\tanh(1.04621) \\approx 0.7790\n$$\n\n$$\nh_2 = \\tanh(1.04621) \\approx 0.7803\n$$\n")
    report = lint_text(sheet, "markdown")
    verdicts = {(f.line, f.verdict) for f in report.findings if f.verdict != "not checked"}
    assert verdicts == {(4, "ok"), (8, "error"), (12, "ok")}


# ---------------------------------------------------------------------------
# Named mistakes, one planted claim each, computed here on the example's vector exercise.


@cache
def vector_key():
    from symnn.verify.check.key import build_key

    return build_key(load_builtin("rnn"))


def vector_problem():
    f = load_builtin("rnn").exercises[1].data
    return {"x": f.x, "W_x": f.W_x, "W_h": f.W_h, "b": f.b, "h0": ((F(0),), (F(0),)), "W_y": f.W_y,
            "b_y": ((F(0),),), "y": f.y, "loss": f.loss}


def forward_floats():
    problem = vector_problem()
    p = params(problem)
    states, _ = loop(problem)
    x, y = floats(problem["x"]), floats(problem["y"])
    outputs = [[sum(p["W_y"][0][k] * h[k] for k in range(2))] for h in states[1:]]
    errors = [[o[0] - t[0]] for o, t in zip(outputs, y)]
    return p, states, x, errors


def back(p, states, errors, t, later):
    """W_yᵀ e_t (+ W_hᵀ later)."""
    out = [p["W_y"][0][i] * errors[t - 1][0] for i in range(2)]
    if later is not None:
        out = [out[i] + sum(p["W_h"][k][i] * later[k] for k in range(2)) for i in range(2)]
    return out


def claim(name, value):
    from symnn.verify.check.judge import check_claims

    [r] = check_claims(vector_key(), {"vector": {name: value}})
    return r


def column(values, places=4):
    return [[rounded(v, places)] for v in values]


def test_truncated_bptt_is_named():
    p, states, _, errors = forward_floats()
    delta1 = [g * (1 - h * h) for g, h in zip(back(p, states, errors, 1, None), states[1])]
    r = claim("delta1", column(delta1))
    assert r.verdict == "wrong" and "truncated" in r.diagnosis


def test_missing_tanh_derivative_is_named():
    p, states, _, errors = forward_floats()
    r = claim("delta2", column(back(p, states, errors, 2, None)))
    assert r.verdict == "wrong" and "derivative" in r.diagnosis


def test_current_state_in_the_recurrent_gradient_is_named():
    p, states, _, errors = forward_floats()
    d2 = [g * (1 - h * h) for g, h in zip(back(p, states, errors, 2, None), states[2])]
    d1 = [g * (1 - h * h) for g, h in zip(back(p, states, errors, 1, d2), states[1])]
    wrong = [[sum(d[i] * h[j] for d, h in ((d1, states[1]), (d2, states[2]))) for j in range(2)] for i in range(2)]
    right = [[sum(d[i] * h[j] for d, h in ((d1, states[0]), (d2, states[1]))) for j in range(2)] for i in range(2)]
    r = claim("dL_dW_h", [[rounded(v, 4) for v in row] for row in wrong])
    assert r.verdict == "wrong" and "previous state" in r.diagnosis
    assert claim("dL_dW_h", [[rounded(v, 4) for v in row] for row in right]).verdict in ("correct", "rounding")


# ---------------------------------------------------------------------------
# Bad input, variants, the example sheet's own lint.


@pytest.mark.parametrize("extra, message", [
    ("W_h = [[0.5, 0.1]]", "W_h is 1×2 but must be square"),
    ("W_h = 0.1\nW_x = [[1, 2]]", "W_x is 1×2 but must be 1×1"),
    ("W_h = 0.1\nW_x = 0.5\ny = [1]", "y is 1×1 but must be 2×1"),
    ("W_h = 0.1\nW_x = 0.5\ny = [1, 2]\nloss = \"bce\"", "loss"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, extra, message):
    sheet = tmp_path / "bad.toml"
    text = '[[exercise]]\nkind = "rnn"\nx = [1, 2]\nW_y = 2\n' + extra + "\n"
    if "y =" not in extra:
        text += "y = [1, 2]\n"
    if "W_x" not in extra:
        text += "W_x = 0.5\n"
    sheet.write_text(text, encoding="utf-8")
    assert main(["sheet", str(sheet), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and "ex1 (rnn)" in err


def test_too_many_steps_is_refused(tmp_path, capsys):
    sheet = tmp_path / "long.toml"
    sheet.write_text('[[exercise]]\nkind = "rnn"\nx = [1, 2, 3, 4, 5, 6, 7, 8, 9]\nW_x = 0.5\nW_h = 0.1\n'
                     "W_y = 1\ny = [1, 2, 3, 4, 5, 6, 7, 8, 9]\n", encoding="utf-8")
    assert main(["sheet", str(sheet), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "x has 9 steps; at most 8" in capsys.readouterr().err


def test_too_large_an_unrolled_network_is_refused(tmp_path, capsys):
    sheet = tmp_path / "wide.toml"
    sheet.write_text('[[exercise]]\nkind = "rnn"\nx = [1, 2, 3, 4]\nW_x = [1, 1, 1]\n'
                     "W_h = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]\nW_y = [[1, 1, 1]]\ny = [1, 2, 3, 4]\n", encoding="utf-8")
    assert main(["sheet", str(sheet), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "steps × hidden units must be at most 9" in capsys.readouterr().err


def test_variants_reject_saturated_steps():
    from symnn.sheets.constraints import Constraints
    from symnn.sheets.kinds.rnn import rejects
    from symnn.sheets.variants import generate_variants

    saturated = load_sheet('[[exercise]]\nkind = "rnn"\nx = [5, 1]\nW_x = 1\nW_h = 0.5\nW_y = 1\ny = [1, 0]\n')
    f = saturated.exercises[0].data
    values = evaluate_rnn(f.x, f.W_x, f.W_h, f.b, f.h0, f.W_y, f.b_y, f.y, f.loss)
    assert any("saturation" in r for r in rejects(f, values, Constraints()))
    assert not rejects(f, values, Constraints(saturation=None))
    template = """
[[exercise]]
kind = "rnn"
x = [1, -1]
W_x = { random = "uniform", low = -1, high = 1, step = 0.25 }
W_h = { random = "uniform", low = -1, high = 1, step = 0.25 }
W_y = 1
y = [0.5, 0]
[exercise.reject]
saturation = 1
"""
    variants = generate_variants(template, 3, seed=2)
    assert len({v.key["exercises"][0]["quantities"]["h2"]["exact"] for v in variants}) == 3


@pytest.mark.parametrize("suffix", [".md", ".tex", ".html"])
def test_the_example_sheet_lints_clean(suffix):
    from symnn.verify.lint.report import lint_text

    text = (ROOT / "tests" / "snapshots" / "examples" / f"rnn{suffix}").read_text(encoding="utf-8")
    report = lint_text(text, {".md": "markdown", ".tex": "latex", ".html": "html"}[suffix])
    assert not [f for f in report.findings if f.verdict in ("error", "rounding")]
    assert sum(f.verdict == "ok" for f in report.findings) >= 20


# ---------------------------------------------------------------------------
# One LSTM or GRU step.


def sigmoid(v):
    return 1 / (1 + math.exp(-v))


def loop_cell(cell, x, W_x, W_h, b, h0, c0, reset_before=False, swapped=False, tanh_of_cell=True):
    """One step by loops over floats; the keyword arguments make the named mistakes."""
    n = len(W_h[0])

    def pre(gate, hidden=None):
        rows = range(gate * n, (gate + 1) * n)
        h = h0 if hidden is None else hidden
        return [sum(W_x[r][k] * x[k] for k in range(len(x))) + sum(W_h[r][k] * h[k] for k in range(n)) + b[r]
                for r in rows]

    if cell == "lstm":
        i, f = [sigmoid(v) for v in pre(0)], [sigmoid(v) for v in pre(1)]
        g, o = [math.tanh(v) for v in pre(2)], [sigmoid(v) for v in pre(3)]
        c = [f[k] * c0[k] + i[k] * g[k] for k in range(n)]
        return {"i": i, "f": f, "g": g, "o": o, "c1": c,
                "h1": [o[k] * (math.tanh(c[k]) if tanh_of_cell else c[k]) for k in range(n)]}
    r, z = [sigmoid(v) for v in pre(0)], [sigmoid(v) for v in pre(1)]
    rows = range(2 * n, 3 * n)
    if reset_before:
        inner = [sum(W_x[q][k] * x[k] for k in range(len(x))) + sum(W_h[q][k] * r[k] * h0[k] for k in range(n)) + b[q]
                 for q in rows]
    else:
        inner = [sum(W_x[q][k] * x[k] for k in range(len(x))) + r[q - 2 * n] * sum(W_h[q][k] * h0[k] for k in range(n))
                 + b[q] for q in rows]
    cand = [math.tanh(v) for v in inner]
    keep = [1 - v for v in z] if not swapped else z
    carry = z if not swapped else [1 - v for v in z]
    return {"r": r, "z": z, "n": cand, "h1": [keep[k] * cand[k] + carry[k] * h0[k] for k in range(n)]}


@st.composite
def cells(draw):
    quarter = st.integers(-4, 4).map(lambda n: F(n, 4))
    cell = draw(st.sampled_from(["lstm", "gru"]))
    k, n, n_in = (4 if cell == "lstm" else 3), draw(st.integers(1, 2)), draw(st.integers(1, 2))

    def matrix(r, c):
        return tuple(tuple(draw(quarter) for _ in range(c)) for _ in range(r))

    return {"cell": cell, "x": matrix(1, n_in), "W_x": matrix(k * n, n_in), "W_h": matrix(k * n, n),
            "b": matrix(k * n, 1), "h0": matrix(n, 1), "c0": matrix(n, 1) if cell == "lstm" else None}


def cell_floats(p):
    return (floats(p["x"])[0], floats(p["W_x"]), floats(p["W_h"]), [r[0] for r in floats(p["b"])],
            [r[0] for r in floats(p["h0"])], None if p["c0"] is None else [r[0] for r in floats(p["c0"])])


@settings(max_examples=60, deadline=None)
@given(cells())
def test_twin_cell_matches_the_loop_implementation(p):
    from symnn.sheets.reference.rnn import evaluate_cell

    values = evaluate_cell(p["cell"], p["x"], p["W_x"], p["W_h"], p["b"], p["h0"], p["c0"])
    expected = loop_cell(p["cell"], *cell_floats(p))
    assert set(values) == set(expected)
    for name, v in expected.items():
        assert np.allclose(values[name].ravel(), v, rtol=1e-12, atol=1e-12), name


def cell_toml(p) -> str:
    def m(M):
        return "[" + ", ".join("[" + ", ".join(str(Decimal(v.numerator) / v.denominator) for v in row) + "]"
                               for row in M) + "]"
    keys = [k for k in ("x", "W_x", "W_h", "b", "h0", "c0") if p[k] is not None]
    return f'[[exercise]]\nkind = "rnn"\ncell = "{p["cell"]}"\n' + "".join(f"{k} = {m(p[k])}\n" for k in keys)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells())
def test_exact_cell_agrees_with_the_twin(p):
    from symnn.sheets.crosscheck import crosscheck
    from symnn.sheets.kinds import solve_exercise

    spec = load_sheet(cell_toml(p)).exercises[0]
    derivation = solve_exercise(spec)
    assert crosscheck(spec, derivation) == len(derivation.quantities)


def cell_claim(exercise, name, value):
    from symnn.verify.check.judge import check_claims

    [r] = check_claims(vector_key(), {exercise: {name: value}})
    return r


def example_cell(index):
    f = load_builtin("rnn").exercises[index].data
    p = {"cell": f.cell, "x": f.x, "W_x": f.W_x, "W_h": f.W_h, "b": f.b, "h0": f.h0, "c0": f.c0}
    return cell_floats(p)


def test_lstm_without_tanh_of_the_cell_state_is_named():
    wrong = loop_cell("lstm", *example_cell(3), tanh_of_cell=False)["h1"]
    r = cell_claim("lstm", "h1", column(wrong))
    assert r.verdict == "wrong" and "tanh of the cell state" in r.diagnosis


def test_gru_reset_gate_before_the_product_is_named():
    wrong = loop_cell("gru", *example_cell(4), reset_before=True)["n"]
    r = cell_claim("gru", "n", column(wrong))
    assert r.verdict == "wrong" and "reset gate" in r.diagnosis


def test_gru_update_gate_swapped_is_named():
    right = loop_cell("gru", *example_cell(4))
    wrong = loop_cell("gru", *example_cell(4), swapped=True)["h1"]
    r = cell_claim("gru", "h1", column(wrong))
    assert r.verdict == "wrong" and "roles were swapped" in r.diagnosis
    assert cell_claim("gru", "h1", column(right["h1"])).verdict in ("correct", "rounding")


@pytest.mark.parametrize("text, message", [
    ('cell = "lstm"\nx = [1, 2]\nW_x = [[1], [1], [1], [1]]\nW_h = [[1], [1], [1], [1]]', "x has 2 steps"),
    ('cell = "lstm"\nx = [1]\nW_x = [[1], [1], [1]]\nW_h = [[1], [1], [1]]', "stacks 4 gates (i, f, g, o)"),
    ('cell = "gru"\nx = [1]\nW_x = [[1], [1], [1]]\nW_h = [[1], [1], [1]]\nc0 = 1', "a GRU has none"),
    ('cell = "gru"\nx = [1]\nW_x = [[1], [1], [1]]\nW_h = [[1], [1], [1]]\nW_y = 1', "W_y belongs to the vanilla"),
    ('x = [1]\nW_x = 1\nW_h = 1', "needs W_y"),
])
def test_bad_cell_input_is_one_line_exit_2(tmp_path, capsys, text, message):
    sheet = tmp_path / "bad.toml"
    sheet.write_text('[[exercise]]\nkind = "rnn"\n' + text + "\n", encoding="utf-8")
    assert main(["sheet", str(sheet), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
