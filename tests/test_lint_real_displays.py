"""Rounded displays (issue 11): a number a sheet only displays at a fixed precision stands
for its rounding interval; a given stays exact; a rounded result reused carries its rounding.

Each expected verdict is backed here by interval arithmetic done with fractions and the
math module: the claim lies within what the displayed operands can produce (ok), or not.
"""

from __future__ import annotations

import math
from fractions import Fraction

from symnn.verify.lint.report import lint_text


def checked(text: str, fmt: str = "markdown") -> list[tuple[str, str]]:
    return [
        (f.text, f.verdict)
        for f in lint_text(text, fmt).findings  # type: ignore[arg-type]
        if f.verdict != "not checked"
    ]


def _range(values: list[float]) -> tuple[float, float]:
    return min(values), max(values)


def test_a_quiz_page_showing_four_places_everywhere() -> None:
    # -0.9955 · 4.7000 is -4.67885 as written (rounds to -4.6789 or -4.6788), but with the
    # operands anywhere in their rounding intervals it reaches -4.6791.
    low, high = _range([a * b for a in (0.99545, 0.99555) for b in (4.69995, 4.70005)])
    assert low <= 4.6791 <= high and round(0.9955 * 4.7, 4) != 4.6791
    low, high = _range([-math.log(0.00495), -math.log(0.00505)])
    assert low <= 5.3050 <= high and round(-math.log(0.005), 4) != 5.3050
    page = (
        r"$-0.9955 \cdot 4.7000 \approx -4.6791$, $-\log(0.0050) \approx 5.3050$, "
        r"$1.0000 - 0.0050 = 0.9950$, $2.5000 \cdot 4.0000 \approx 10.0300$"
    )
    assert abs(2.5 * 4 - 10.03) > 0.0003 * 4 + 0.001  # far beyond what displays allow
    assert checked(page) == [
        (r"-0.9955 \cdot 4.7000 \approx -4.6791", "ok"),
        (r"-\log(0.0050) \approx 5.3050", "ok"),
        ("1.0000 - 0.0050 = 0.9950", "ok"),
        (r"2.5000 \cdot 4.0000 \approx 10.0300", "error"),
    ]


def test_a_weight_vector_displayed_at_three_places() -> None:
    exact = Fraction("0.674") - Fraction("0.335") - Fraction("0.404")
    assert exact == Fraction("-0.065") and abs(Fraction("-0.0652") - exact) <= Fraction(3, 2000)
    note = (
        r"$w = (0.674, -0.335, -0.404)$ and $x = (1, 1, 1)$: "
        r"$(1 \times 0.674) + (1 \times -0.335) + (1 \times -0.404) = -0.0652$"
    )
    assert checked(note) == [(r"(1 \times 0.674) + (1 \times -0.335) + (1 \times -0.404) = -0.0652", "ok")]
    wrong = note.replace("-0.0652", "-0.0752")
    assert abs(Fraction("-0.0752") - exact) > Fraction(3, 2000)
    assert checked(wrong)[0][1] == "error"


def test_without_a_display_precision_givens_stay_exact() -> None:
    # the same sum on a sheet with mixed places: the weights are given numbers
    sheet = r"$\frac{1}{3} \approx 0.33$ and $0.2 + 0.5 = 0.7$, then $0.674 - 0.335 - 0.404 = -0.0652$"
    assert checked(sheet)[-1] == ("0.674 - 0.335 - 0.404 = -0.0652", "error")
    # a given weight with fewer places than the display precision stays exact
    page = r"$0.2000 \cdot 1.5000 = 0.3000$, $0.5000 + 0.1000 = 0.6000$, $0.2 \cdot 3 \approx 0.6001$"
    assert checked(page)[-1] == (r"0.2 \cdot 3 \approx 0.6001", "error")


def test_the_seed_error_stays_with_displays() -> None:
    # (30 - 18.33)/10.28 is 1.135...; no rounding of 18.33 or 10.28 reaches 1.297.
    low, high = _range([(30 - a) / b for a in (18.325, 18.335) for b in (10.275, 10.285)])
    assert high < 1.2965
    sheet = r"$\frac{20 + 5 + 30}{3} = 18.33$, $\sqrt{105.56} \approx 10.28$, $\frac{30 - 18.33}{10.28} = 1.297$"
    assert checked(sheet)[-1] == (r"\frac{30 - 18.33}{10.28} = 1.297", "error")


def test_a_rounded_sum_reused_carries_its_rounding() -> None:
    # 0.149 and 0.368 round e^{-1.904} and e^{-1}; their sum 1.517 stands for a range, and
    # 0.368 / 1.517 = 0.24258 as written but 0.2420 to 0.2430 with what they stand for.
    assert round(math.exp(-1.904), 3) == 0.149 and round(math.exp(-1), 3) == 0.368
    assert round(0.368 / 1.517, 3) == 0.243
    low, high = _range([a / b for a in (0.3675, 0.3685) for b in (1.5165, 1.5175)])
    assert low <= 0.2425 and high >= 0.2415
    sheet = (
        r"$e^{-1.904} \approx 0.149$ and $e^{-1} \approx 0.368$, so $0.149 + 1.0 + 0.368 = 1.517$"
        r" and $\frac{0.368}{1.517} \approx 0.242$"
    )
    assert [v for _, v in checked(sheet)] == ["ok", "ok", "ok", "ok"]
    assert [v for _, v in checked(sheet.replace("0.242$", "0.252$"))][-1] == "error"


def test_a_shorter_rounding_of_an_earlier_result_is_a_display() -> None:
    # Mazur's out_h1 and out_h2, written with 9 places, reused at 5 places.
    out_h1 = 1 / (1 + math.exp(-0.3775))
    out_h2 = 1 / (1 + math.exp(-0.3925))
    assert round(out_h1, 9) == 0.593269992 and round(out_h2, 9) == 0.596884378
    net = 0.4 * out_h1 + 0.45 * out_h2 + 0.6
    assert round(net, 8) == 1.10590597
    assert Fraction("0.4") * Fraction("0.59327") + Fraction("0.45") * Fraction("0.59688") + Fraction("0.6") == Fraction("1.105904")
    text = (
        "out_h1 = 1/(1+e^(-0.3775)) = 0.593269992\n"
        "out_h2 = 1/(1+e^(-0.3925)) = 0.596884378\n"
        "net_o1 = 0.4 × 0.59327 + 0.45 × 0.59688 + 0.6 = 1.10590597\n"
    )
    assert [v for _, v in checked(text, "text")] == ["ok", "ok", "ok"]
    alone = "net_o1 = 0.4 × 0.59327 + 0.45 × 0.59688 + 0.6 = 1.10590597\n"
    assert [v for _, v in checked(alone, "text")] == ["error"]


def test_an_exact_result_in_a_chain_is_not_a_display() -> None:
    assert Fraction(1, 2) * (1 - Fraction("1.1")) ** 2 == Fraction("0.005")
    assert checked(r"$\frac{1}{2}(1 - 1.1)^2 = 0.005 \approx 0.006$") == [
        (r"\frac{1}{2}(1 - 1.1)^2 = 0.005", "ok"),
        (r"0.005 \approx 0.006", "error"),
    ]
