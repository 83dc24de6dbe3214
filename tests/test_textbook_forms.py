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


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softplus"])
def test_course_forms_of_derivatives_match_finite_differences(name):
    # Independent of SymPy's proof: the written form, evaluated in floats, against a central
    # difference of the activation's definition.
    from symnn.core.calculus import ACTIVATIONS
    from symnn.sheets.derivative_forms import value_form

    form = value_form(name)
    f = sp.lambdify(sp.Symbol("x", real=True), ACTIVATIONS[name].definition, "math")
    for point in (-2.5, -0.3, 0.0, 0.7, 3.0):
        written = float(form.at(sp.Rational(str(point))).doit())
        h = 1e-6
        assert written == pytest.approx((f(point + h) - f(point - h)) / (2 * h), rel=1e-7, abs=1e-9)


def test_a_wrong_course_form_is_refused():
    from symnn.core.calculus import ACTIVATIONS
    from symnn.sheets.derivative_forms import FORMS, proven_equal

    written, uses = FORMS["tanh"]
    assert proven_equal(written, uses, ACTIVATIONS["tanh"].derivative)
    assert not proven_equal(written, uses, ACTIVATIONS["sigmoid"].derivative)


@pytest.fixture(scope="module")
def sigmoid_markdown():
    from symnn.sheets.crosscheck import solve_checked
    from symnn.sheets.loading import load_builtin
    from symnn.sheets.render.markdown import to_markdown

    return to_markdown(solve_checked(load_builtin("sigmoid")))


def test_sigmoid_derivative_is_written_as_students_learn_it_and_used(sigmoid_markdown):
    lines = sigmoid_markdown.splitlines()
    definition = next(line for line in lines if line.startswith(r"\sigma'\left(x\right) = \frac"))
    assert definition.endswith(r"= \sigma\left(x\right) \cdot \left(1 - \sigma\left(x\right)\right)")
    assert "SymPy confirms they are the same function" in sigmoid_markdown
    hidden = next(line for line in lines if line.startswith(r"\delta_{1} = "))
    assert r"\begin{bmatrix}0.5 \cdot \left(1 - 0.5\right)\\0.5 \cdot \left(1 - 0.5\right)\end{bmatrix}" in hidden
    tanh = next(line for line in lines if line.startswith(r"\tanh'\left(x\right) = 1"))
    assert tanh.endswith(r"= 1 - \tanh\left(x\right)^{2}")


def test_a_scalar_target_and_output_are_shown_as_scalars_and_kept_as_matrices_in_the_key(seed_sheet):
    from symnn.sheets.kinds import statement
    from symnn.sheets.loading import load_sheet
    from symnn.sheets.render.json import to_answer_key
    from symnn.sheets.render.markdown import render_step, to_markdown

    text = to_markdown(seed_sheet)
    for written in (r"A_{2} = \sigma\left(Z_{2}\right) = \sigma\left(0\right) = 0.5",
                    r"\delta_{2} = 0.5 - 1 = -0.5", "- Activation: $A_{2} = 0.5$"):
        assert written in text, written
    assert r"\begin{bmatrix}0.5\end{bmatrix}" not in text and r"\begin{bmatrix}-0.5\end{bmatrix}" not in text
    from symnn.sheets.steps import Prose

    lines = [render_step(Prose(line)) for line in statement(load_sheet().exercises[1])]
    assert "The target is $y = 1$." in lines
    key = to_answer_key(seed_sheet)["exercises"][1]["quantities"]
    assert key["A2"]["exact"] == "[[1/2]]" and key["delta2"]["exact"] == "[[-1/2]]"
    # A network with two outputs keeps its matrices.
    assert r"\delta_{2} = \begin{bmatrix}" in to_markdown(_solved("softmax"))


def _solved(name):
    from symnn.sheets.crosscheck import solve_checked
    from symnn.sheets.loading import load_builtin

    return solve_checked(load_builtin(name))


REPEATED_SOFTMAX_BCE = """
import sys
from symnn.cli import main
sheet = sys.argv[1]
for run in range(3):
    for fmt in ("json", "md"):
        assert main(["sheet", sheet, "--out", sys.argv[2] + str(run), "--format", fmt]) == 0
"""


def test_written_softmax_survives_repeated_solving_in_one_process(tmp_path):
    """The fuzz campaign's rare traceback: a softmax output with the binary cross-entropy, solved a
    second time in the same process, made SymPy ask whether the written fraction commutes; the
    assumption system evaluated it inside ``evaluate(False)`` and a SymPy ``Mul`` failed with
    ``TypeError: invalid input: Mod(1*1, 2*1)``. A fresh process is needed: it depends on SymPy's
    cache, which the rest of the suite fills differently."""
    import subprocess
    import sys

    sheet = tmp_path / "s.toml"
    sheet.write_text('title = "t"\n[[exercise]]\nkind = "network"\nx = [-2.85, 0.86, 0.28]\ny = [0, 0, 1]\n'
                     'loss = "bce"\n[[exercise.layers]]\nW = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]\n'
                     'activation = "softmax"\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", REPEATED_SOFTMAX_BCE, str(sheet), str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("classes", [4, 5, 12, 32])
def test_the_softmax_definition_is_written_whole_for_any_number_of_classes(classes):
    # Written out, the denominator of 12 classes orders z_10 before z_2, and beyond about 14 classes
    # it was too long for a sheet and the definition showed its left side alone.
    from symnn.sheets.crosscheck import solve_checked
    from symnn.sheets.loading import parse_sheet
    from symnn.sheets.render.markdown import to_markdown

    weights = [[(i + j) % 5 - 2 for j in range(2)] for i in range(classes)]
    sheet = parse_sheet(f'title = "t"\n[[exercise]]\nkind = "network"\nx = [1, -1]\ny = [[1]]\n'
                        f'loss = "cross_entropy"\n[[exercise.layers]]\nW = {weights}\nactivation = "softmax"\n')
    text = to_markdown(solve_checked(sheet))
    definition = text.split("probabilities that sum to 1:", 1)[1].split("$$")[1].strip()
    if classes <= 4:
        terms = " + ".join(f"e^{{z_{{{j}}}}}" for j in range(1, classes + 1))
        assert definition == rf"\hat{{y}}_{{1}} = \frac{{e^{{z_{{1}}}}}}{{{terms}}}"
    else:
        assert definition == rf"\hat{{y}}_{{1}} = \frac{{e^{{z_{{1}}}}}}{{\sum_{{j=1}}^{{{classes}}} e^{{z_{{j}}}}}}"
