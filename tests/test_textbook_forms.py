"""Worked solutions in the forms teachers write: softmax as e^{z_i}/Σⱼ e^{z_j} with the given scores,
derivatives in terms of the function's own value, scalars as scalars, and the brief answer key."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
import sympy as sp

from symnn.core.decimals import approximate, rational_text


@pytest.fixture(scope="module")
def softmax_sheet():
    from symnn.sheets.crosscheck import solve_checked
    from symnn.sheets.loading import load_builtin

    return solve_checked(load_builtin("softmax"))


def test_cs231n_softmax_example_is_reproduced_to_its_printed_digits(softmax_sheet):
    # Stanford CS231n, "Linear classification" notes (https://cs231n.github.io/linear-classify/):
    # scores (-2.85, 0.86, 0.28), true class 2: probabilities 0.631 and 0.353 (its 0.016 for the first
    # class comes from rounding the exponentials first: exactly it is 0.01545), loss 1.04.
    d = softmax_sheet["ex1"]
    probabilities = d.quantity("A1").exact
    assert [rational_text(approximate(p, 3)) for p in probabilities[1:]] == ["0.631", "0.353"]
    assert rational_text(approximate(d.quantity("L").exact, 2)) == "1.04"
    scores = [-2.85, 0.86, 0.28]
    total = sum(math.exp(s) for s in scores)
    assert float(probabilities[0]) == pytest.approx(math.exp(scores[0]) / total, rel=1e-14)


def test_softmax_is_substituted_as_written_and_only_the_decimal_follows(softmax_sheet):
    from symnn.sheets.render.markdown import to_markdown

    text = to_markdown(softmax_sheet)
    written = r"\frac{e^{-2.85}}{e^{-2.85} + e^{0.86} + e^{0.28}}"
    activation = next(line for line in text.splitlines() if line.startswith(r"A_{1} = \operatorname{softmax}"))
    assert written in activation and r"\approx" in activation
    loss = next(line for line in text.splitlines() if line.startswith("L = "))
    assert r"\frac{e^{0.28}}{e^{-2.85} + e^{0.86} + e^{0.28}}" in loss and loss.endswith(r"\approx 1.04")
    delta = next(line for line in text.splitlines() if line.startswith(r"\delta_{1} = "))
    assert written + " - 0" in delta
    for line in (activation, loss, delta):
        assert r"e^{3.13}" not in line and r"e^{3.71}" not in line  # never SymPy's divided-through form


def test_the_written_softmax_is_exactly_the_value():
    from symnn.sheets.kinds.network.writing import written_softmax

    Z = sp.ImmutableMatrix([[sp.Rational(-57, 20)], [sp.Rational(43, 50)], [sp.Rational(7, 25)]])
    written = written_softmax(Z)
    exps = [sp.exp(z) for z in Z]
    for entry, e in zip(written, exps):
        assert sp.simplify(entry.doit() - e / sum(exps)) == 0
    assert Decimal(str(sp.N(written[1].doit(), 20))).quantize(Decimal("0.001")) == Decimal("0.631")
