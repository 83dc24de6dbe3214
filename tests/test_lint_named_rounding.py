"""Named values and their rounded displays (the false alarm on symnn's own rnn sheet).

``a_{2} = <exact expression> \\approx [0.869, -0.314]`` gives a_2 its exact value: the
display only rounds it, so ``\\tanh(a_2)`` is the tanh of the exact value.  When the display
is the only value the sheet gives, the name stands for its rounding interval (never the
written point).  The expected values are recomputed here with ``math`` (double precision
is ample at these distances from the rounding boundaries, which are asserted).
"""

from __future__ import annotations

import math

import pytest

from symnn.verify.lint.report import lint_text


def verdicts(text: str) -> list[tuple[str, str]]:
    return [(f.text, f.verdict) for f in lint_text(text, "markdown").findings]


A = (0.6 + math.tanh(0.6) / 2, -0.375 + math.tanh(0.25) / 4)
"""The exact a_2 of the sheets below."""

NAMED_EXACTLY = (
    "$$\na_{2} = W_{x} x_{2} + b = \\begin{bmatrix}0.6 + \\frac{\\tanh\\left(0.6\\right)}{2}"
    "\\\\-0.375 + \\frac{\\tanh\\left(0.25\\right)}{4}\\end{bmatrix} \\approx "
    "\\begin{bmatrix}0.869\\\\-0.314\\end{bmatrix}\n$$\n\n"
    "$$\nh_{2} = \\tanh\\left(a_{2}\\right) = \\begin{bmatrix}"
    "\\tanh\\left(0.6 + \\frac{\\tanh\\left(0.6\\right)}{2}\\right)\\\\"
    "\\tanh\\left(-0.375 + \\frac{\\tanh\\left(0.25\\right)}{4}\\right)\\end{bmatrix} \\approx "
    "\\begin{bmatrix}0.701\\\\-0.304\\end{bmatrix}\n$$\n"
)


def test_the_display_rounds_the_exact_value_and_tanh_of_the_display_differs() -> None:
    assert (round(A[0], 3), round(A[1], 3)) == (0.869, -0.314)
    assert (round(math.tanh(A[0]), 3), round(math.tanh(A[1]), 3)) == (0.701, -0.304)
    # the written points would not do: tanh(0.869) is 2.4e-4 away from tanh(a_2)
    assert abs(math.tanh(0.869) - math.tanh(A[0])) > 1e-4


def test_a_name_given_by_an_exact_chain_keeps_its_exact_value_inside_tanh() -> None:
    found = verdicts(NAMED_EXACTLY)
    tanh_link = [v for t, v in found if t.startswith(r"\tanh\left(a_{2}\right) =")]
    assert tanh_link == ["ok"]
    assert not [t for t, v in found if v in ("error", "rounding")]


def test_a_slip_inside_the_tanh_is_still_found() -> None:
    # 0.7 for 0.6 inside the first tanh: the exact a_2 does not allow it
    assert abs(math.tanh(0.7 + math.tanh(0.6) / 2) - math.tanh(A[0])) > 1e-2
    slipped = NAMED_EXACTLY.replace(r"\tanh\left(0.6 + \frac", r"\tanh\left(0.7 + \frac", 1)
    assert slipped != NAMED_EXACTLY
    found = verdicts(slipped)
    assert [v for t, v in found if t.startswith(r"\tanh\left(a_{2}\right) =")] == ["error"]


def test_a_scalar_name_keeps_its_exact_value_too() -> None:
    text = (
        "$$a_{1} = 0.6 + \\frac{\\tanh\\left(0.6\\right)}{2} \\approx 0.869$$\n\n"
        "$$h_{1} = \\tanh\\left(a_{1}\\right) = "
        "\\tanh\\left(0.6 + \\frac{\\tanh\\left(0.6\\right)}{2}\\right) \\approx 0.701$$\n"
    )
    found = verdicts(text)
    assert [v for t, v in found if t.startswith(r"\tanh\left(a_{1}\right) =")] == ["ok"]


# ----- the display is the only value: the name stands for its rounding interval -----------
TRUE_A = (0.7464, -0.0571)
"""A value the display [0.746, -0.057] rounds (the sheet computed it elsewhere)."""

ONLY_DISPLAYED = (
    "$$\na_{2} = W x + b \\approx \\begin{bmatrix}0.746\\\\-0.057\\end{bmatrix}\n$$\n\n"
    "$$\nh_{2} = \\tanh\\left(a_{2}\\right) \\approx \\begin{bmatrix}CLAIM\\end{bmatrix}\n$$\n"
)


def test_the_true_value_lies_in_the_display_and_tanh_of_the_written_point_is_off() -> None:
    assert (round(TRUE_A[0], 3), round(TRUE_A[1], 3)) == (0.746, -0.057)
    assert (round(math.tanh(TRUE_A[0]), 4), round(math.tanh(TRUE_A[1]), 4)) == (0.6330, -0.0570)
    # read as the point 0.746, tanh is 0.63276: more than one unit of 0.6330 away
    assert abs(math.tanh(0.746) - 0.6330) > 1.5e-4


@pytest.mark.parametrize("claim", [r"0.6330\\-0.0570", r"0.6325\\-0.0569"])
def test_a_name_known_only_by_its_display_allows_what_the_display_allows(claim: str) -> None:
    # tanh over [0.7455, 0.7465] is [0.63243, 0.63314]: both claims lie within it
    assert math.tanh(0.7455) < 0.6325 and math.tanh(0.7465) > 0.6330
    found = verdicts(ONLY_DISPLAYED.replace("CLAIM", claim))
    link = [v for t, v in found if t.startswith(r"\tanh\left(a_{2}\right)")]
    assert link == ["ok"]


def test_a_claim_outside_what_the_display_allows_is_an_error() -> None:
    assert math.tanh(0.7465) < 0.6390
    found = verdicts(ONLY_DISPLAYED.replace("CLAIM", r"0.6400\\-0.0570"))
    assert [v for t, v in found if t.startswith(r"\tanh\left(a_{2}\right)")] == ["error"]


def test_a_scalar_name_known_only_by_its_display() -> None:
    text = "$$a_{2} = W x + b \\approx 0.746$$\n\n$$h_{2} = \\tanh\\left(a_{2}\\right) \\approx 0.6330$$\n"
    found = verdicts(text)
    assert [v for t, v in found if t.startswith(r"\tanh\left(a_{2}\right)")] == ["ok"]


def test_a_displayed_name_against_an_exact_side_holds_when_the_display_allows_it() -> None:
    # a_2 is 0.746 rounded: 0.7464 and 1.7464 = a_2 + 1 are allowed, 1.7474 is not
    assert round(0.7464, 3) == 0.746 and round(0.7474, 3) != 0.746
    text = (
        "$$a_{2} = W x + b \\approx 0.746$$\n\n"
        "$$\\tanh\\left(a_{2}\\right) = \\tanh\\left(\\frac{7464}{10000}\\right)$$\n\n"
        "$$a_{2} + 1 = \\frac{17464}{10000}$$\n\n"
        "$$\\frac{17464}{10000} = a_{2} + 1$$\n\n"
        "$$a_{2} + 1 = \\frac{17474}{10000}$$\n"
    )
    assert [v for _, v in verdicts(text)][2:] == ["ok", "ok", "ok", "error"]


# ----- softmax of a matrix: over columns (a batch) or over rows (attention's scores) ------
def _softmax(values: list[float]) -> list[float]:
    powers = [math.exp(v) for v in values]
    return [p / sum(powers) for p in powers]


S = r"\begin{bmatrix}1 & 0\\0.5 & 0.5\end{bmatrix}"


def test_softmax_of_a_matrix_is_read_over_rows_or_columns_whichever_the_sheet_writes() -> None:
    rows = [_softmax([1, 0]), _softmax([0.5, 0.5])]
    columns = list(zip(*[_softmax([1, 0.5]), _softmax([0, 0.5])]))
    assert [round(v, 3) for v in rows[0]] == [0.731, 0.269]
    assert [round(v, 3) for v in columns[0]] == [0.622, 0.378]
    by_rows = rf"$$\operatorname{{softmax}}\left({S}\right) \approx \begin{{bmatrix}}0.731 & 0.269\\0.5 & 0.5\end{{bmatrix}}$$"
    by_columns = rf"$$\operatorname{{softmax}}\left({S}\right) \approx \begin{{bmatrix}}0.622 & 0.378\\0.378 & 0.622\end{{bmatrix}}$$"
    slipped = rf"$$\operatorname{{softmax}}\left({S}\right) \approx \begin{{bmatrix}}0.731 & 0.269\\0.7 & 0.3\end{{bmatrix}}$$"
    assert [v for _, v in verdicts(by_rows)] == ["ok"]
    assert [v for _, v in verdicts(by_columns)] == ["ok"]
    assert [v for _, v in verdicts(slipped)] == ["error"]
