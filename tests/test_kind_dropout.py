"""Kind ``dropout``: the exact solution against loops written here, finite differences, the expectation,
``check``'s named mistakes (one planted claim each), variants, bad input and its own lint.

Expected values are computed here from the given numbers with fractions and plain loops, never
taken from symnn.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symnn.errors import ShapeError, SpecError
from symnn.sheets.crosscheck import crosscheck
from symnn.sheets.kinds import solve_exercise
from symnn.sheets.loading import load_sheet
from symnn.sheets.reference.dropout import evaluate_dropout
from symnn.sheets.variants import generate_variants
from symnn.verify.check.judge import check_claims
from symnn.verify.check.key import build_key

SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "examples" / "dropout.md"


def sheet(A: list[list[F]], M: list[list[int]], p: F, grad: list[list[F]] | None = None) -> str:
    def rows(m: list[list[F]] | list[list[int]]) -> str:
        return "[" + ", ".join("[" + ", ".join(str(Decimal(v.numerator) / Decimal(v.denominator))
                                              if isinstance(v, F) else str(v) for v in r) + "]" for r in m) + "]"
    text = f'[[exercise]]\nkind = "dropout"\nA = {rows(A)}\nM = {rows(M)}\np = {Decimal(p.numerator) / Decimal(p.denominator)}\n'
    return text + (f"grad = {rows(grad)}\n" if grad is not None else "")


def loops(A: list[list[F]], M: list[list[int]], p: F, grad: list[list[F]] | None) -> dict[str, list[list[F]]]:
    """Inverted dropout written out entry by entry."""
    out = {"A_drop": [[a * m / p for a, m in zip(ra, rm)] for ra, rm in zip(A, M)],
           "A_test": [list(r) for r in A]}
    if grad is not None:
        out["dA"] = [[g * m / p for g, m in zip(rg, rm)] for rg, rm in zip(grad, M)]
    return out


EXAMPLE = ([[F("0.5"), F("-1.2")], [F(2), F("0.4")], [F("-0.3"), F("1.5")]], [[1, 0], [1, 1], [0, 1]], F("0.8"),
           [[F("0.1"), F("0.2")], [F("-0.5"), F("0.3")], [F("0.25"), F("-0.4")]])


def solved(A, M, p, grad=None):
    spec = load_sheet(sheet(A, M, p, grad)).exercises[0]
    derivation = solve_exercise(spec)
    crosscheck(spec, derivation)
    return derivation.values()


def as_fractions(value) -> list[list[F]]:
    return [[F(int(v.p), int(v.q)) for v in value.row(i)] for i in range(value.rows)]


small = st.decimals(min_value=-3, max_value=3, places=2, allow_nan=False, allow_infinity=False).map(F)


@st.composite
def exercises(draw):
    rows, cols = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    A = [[draw(small) for _ in range(cols)] for _ in range(rows)]
    M = [[draw(st.sampled_from([0, 1])) for _ in range(cols)] for _ in range(rows)]
    p = draw(st.sampled_from([F(1, 2), F(4, 5), F(9, 10), F(1, 4), F(3, 5)]))
    grad = [[draw(small) for _ in range(cols)] for _ in range(rows)]
    return A, M, p, grad


@settings(max_examples=25, deadline=None)
@given(exercises())
def test_exact_solution_and_numpy_twin_agree_with_loops(case):
    A, M, p, grad = case
    want = loops(A, M, p, grad)
    values = solved(A, M, p, grad)
    numeric = evaluate_dropout(tuple(map(tuple, A)), tuple(tuple(F(v) for v in r) for r in M), p,
                               tuple(map(tuple, grad)))
    for name, expected in want.items():
        assert as_fractions(values[name]) == expected, name
        assert np.allclose(numeric[name], np.array(expected, dtype=float), rtol=1e-12, atol=0), name


@settings(max_examples=20, deadline=None)
@given(exercises())
def test_backward_matches_central_differences_of_the_forward(case):
    """∂L/∂A for L = Σ grad ⊙ A_drop, by central differences of a float forward written here."""
    A, M, p, grad = case
    dA = np.array(as_fractions(solved(A, M, p, grad)["dA"]), dtype=float)
    a, mask, g = np.array(A, dtype=float), np.array(M, dtype=float), np.array(grad, dtype=float)

    def loss(x: np.ndarray) -> float:
        return float(np.sum(g * mask * x / float(p)))

    h = 1e-6
    numeric = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (loss(up) - loss(down)) / (2 * h)
    assert np.allclose(numeric, dA, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("p", [F(1, 2), F(4, 5), F(1, 8)])
def test_the_expectation_over_every_mask_is_the_activation(p):
    """Average of the solver's A_drop over all 2^n masks, weighted by their probabilities, is A exactly."""
    A = [[F(3, 2), F(-2)]]
    average = [[F(0), F(0)]]
    for bits in itertools.product([0, 1], repeat=2):
        if p == 1 and 0 in bits:
            continue
        weight = F(1)
        for bit in bits:
            weight *= p if bit else 1 - p
        values = as_fractions(solved(A, [list(bits)], p)["A_drop"])
        average = [[s + weight * v for s, v in zip(average[0], values[0])]]
    assert average == A


def test_the_worked_solution_states_the_expectation_and_test_time():
    text = SNAPSHOT.read_text(encoding="utf-8")
    assert r"\operatorname{E}\left[a_{\text{drop}}\right] = p \cdot \frac{a}{p} + \left(1 - p\right) \cdot 0 = a" in text
    assert r"\frac{\partial a_{\text{drop}}}{\partial a} = \frac{m}{p}" in text
    assert "A_{\\text{test}} = A = " in text


# ---------------------------------------------------------------------------
# check: one planted claim per named mistake.


def decimals(m: list[list[F]]) -> list[list[Decimal]]:
    return [[Decimal(v.numerator) / Decimal(v.denominator) for v in r] for r in m]


A, M, P, G = EXAMPLE


def planted(name: str, claim: list[list[F]]) -> str | None:
    key = build_key(load_sheet(sheet(A, M, P, G)))
    [r] = check_claims(key, {"ex1": {name: decimals(claim)}})
    assert r.verdict == "wrong"
    return r.diagnosis


def mapped(f, X=A, mask=M):
    return [[f(x, m) for x, m in zip(rx, rm)] for rx, rm in zip(X, mask)]


@pytest.mark.parametrize("name, claim, words", [
    pytest.param("A_drop", mapped(lambda a, m: a * m), "not divided by p", id="no-scaling"),
    pytest.param("A_drop", mapped(lambda a, m: a * m * P), "multiplied by p", id="times-p"),
    pytest.param("A_drop", mapped(lambda a, m: a * m / (1 - P)), "drop probability 1 − p", id="drop-probability"),
    pytest.param("A_drop", mapped(lambda a, m: a * (1 - m) / P), "mask was read backwards", id="mask-backwards"),
    pytest.param("dA", mapped(lambda g, m: g / P, G), "mask was not applied", id="backward-no-mask"),
    pytest.param("dA", mapped(lambda g, m: g * m, G), "not divided by p", id="backward-no-scaling"),
    pytest.param("A_test", mapped(lambda a, m: a * P), "scaled by p at test time", id="test-times-p"),
    pytest.param("A_test", mapped(lambda a, m: a / P), "divided by p at test time", id="test-divided"),
])
def test_each_named_mistake_is_diagnosed(name, claim, words):
    diagnosis = planted(name, claim)
    assert diagnosis is not None and words in diagnosis


def test_right_answers_and_roundings_are_accepted():
    key = build_key(load_sheet(sheet(A, M, P, G)))
    right = loops(A, M, P, G)
    results = check_claims(key, {"ex1": {name: decimals(v) for name, v in right.items()}})
    assert {r.verdict for r in results} == {"correct"}


# ---------------------------------------------------------------------------
# Variants and bad input.


TEMPLATE = """
[[exercise]]
kind = "dropout"
A = { random = "uniform", low = -2, high = 2, step = 0.5, shape = [2, 2] }
M = { choice = [[[0, 0], [0, 0]], [[1, 1], [1, 1]], [[1, 0], [0, 1]], [[0, 1], [1, 1]]] }
p = { choice = [0.5, 0.8] }
grad = { random = "uniform", low = -1, high = 1, step = 0.5, shape = [2, 2] }
"""


def test_variants_reject_masks_that_keep_nothing_or_everything():
    for v in generate_variants(TEMPLATE, 8, seed=4):
        exact = v.key["exercises"][0]["quantities"]["A_drop"]["exact"]
        teacher = v.teacher
        assert "The mask keeps 0 of" not in teacher and "keeps 4 of the 4" not in teacher, exact


def test_variants_reject_a_vanishing_gradient():
    text = TEMPLATE.replace('grad = { random = "uniform", low = -1, high = 1, step = 0.5, shape = [2, 2] }',
                            "grad = [[0, 0], [0, 0]]")
    with pytest.raises(SpecError, match="min_gradient"):
        generate_variants(text, 1, seed=1)


@pytest.mark.parametrize("extra, message, error", [
    ('A = [[1, 2]]\nM = [[1, 0, 1]]\n', r"M is 1×3 but A is 1×2", ShapeError),
    ('A = [[1, 2]]\nM = [[1, 0.5]]\n', r"M\[1\]\[2\] is 1/2, but a dropout mask holds only 0 \(drop\) and 1", SpecError),
    ('A = [[1, 2]]\nM = [[1, 0]]\np = 0\n', r"p is the keep probability and must lie in \(0, 1\], got 0", SpecError),
    ('A = [[1, 2]]\nM = [[1, 0]]\np = 1\n', r"p = 1 keeps every entry, but M drops some", SpecError),
    ('A = [[1, 2]]\nM = [[1, 0]]\ngrad = [1, 2]\n', r"grad is 2×1 but A is 1×2", ShapeError),
])
def test_bad_input_is_one_line_naming_the_exercise(extra, message, error):
    with pytest.raises(error, match=r"<text>:\d+: exercise ex1 \(dropout\): " + message):
        load_sheet('[[exercise]]\nkind = "dropout"\n' + extra)


@pytest.mark.parametrize("suffix, fmt", [(".md", "markdown"), (".tex", "latex"), (".html", "html")])
def test_the_example_sheet_lints_clean(suffix, fmt):
    from symnn.verify.lint.report import lint_text

    report = lint_text(SNAPSHOT.with_suffix(suffix).read_text(encoding="utf-8"), fmt)
    problems = [f for f in report.findings if f.verdict in ("error", "rounding")]
    assert not problems, problems
    assert sum(1 for f in report.findings if f.verdict == "ok") >= 2


def test_a_slip_planted_in_the_example_sheet_is_found():
    from symnn.verify.lint.report import lint_text

    right = r"= \begin{bmatrix}0.625 & 0\\2.5 & 0.5\\0 & 1.875\end{bmatrix}"
    text = SNAPSHOT.read_text(encoding="utf-8")
    assert right in text
    report = lint_text(text.replace(right, right.replace("0.625", "0.652"), 1), "markdown")
    assert [f.verdict for f in report.findings if f.verdict == "error"] == ["error"]
