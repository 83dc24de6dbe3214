"""Diagnoses (issue 11): an error's message names the likely slip when a single
reinterpretation makes the link hold; one planted case per slip family.  Each expected
value is recomputed here with the math module or fractions."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from symnn.verify.lint.report import lint_text


def last(text: str) -> tuple[str, str]:
    finding = lint_text(text, "markdown").findings[-1]
    return finding.verdict, finding.message


def test_a_minus_dropped_in_an_exponent() -> None:
    assert round(1 / (1 + math.exp(-0.3775)), 9) == 0.593269992
    assert abs(1 / (1 + math.exp(0.3775)) - 0.593269992) > 0.1
    verdict, message = last(r"$\frac{1}{1+e^{0.3775}} = 0.593269992$")
    assert verdict == "error"
    assert "minus sign is dropped in the exponent of e" in message and "e^{-0.3775}" in message


def test_a_power_of_ten() -> None:
    value = Fraction("0.5") * Fraction("0.072700612")
    assert value == Fraction("0.036350306")
    verdict, message = last(r"$0.5 \cdot 0.072700612 = 0.36350306$")
    assert verdict == "error" and "decimal point is 1 place off" in message and "zero dropped" in message


def test_two_digits_swapped() -> None:
    assert round(1 / (1 + math.exp(-0.3775)), 4) == 0.5933
    verdict, message = last(r"$\frac{1}{1+e^{-0.3775}} = 0.5393$")
    assert verdict == "error" and "two neighbouring digits are swapped" in message and "0.5933" in message


def test_a_digit_dropped() -> None:
    value = Fraction("0.4") * Fraction("1.483175")
    assert value == Fraction("0.59327")
    verdict, message = last(r"$0.4 \cdot 1.483175 = 0.5927$")
    assert verdict == "error" and "a digit is dropped" in message and "0.59327" in message


def test_a_precedence_slip() -> None:
    assert 1 + (-1.4) ** 2 == pytest.approx(2.96) and 1 - 1.4**2 == pytest.approx(-0.96)
    verdict, message = last(r"$1 + -1.4^2 = 2.96$")
    assert verdict == "error" and "precedence" in message and "(-1.4)^{2}" in message


def test_a_value_from_elsewhere_on_the_sheet() -> None:
    out_h1 = Fraction("0.593269992")
    assert Fraction("0.40") * out_h1 != Fraction("0.5") * out_h1
    verdict, message = last(
        r"$w_5 = 0.40$, $\eta = 0.5$, $\text{out}_{h1} = 0.593269992$, "
        r"$w_5 \cdot \text{out}_{h1} = 0.5 \cdot 0.593269992$"
    )
    assert verdict == "error" and "0.5 (eta) is used where w_5 = 0.4 belongs" in message


def test_truncation_instead_of_rounding() -> None:
    third = Fraction(2, 3)
    assert round(third, 3) == Fraction("0.667") and int(third * 1000) == 666  # cut: 0.666
    verdict, message = last(r"$\frac{2}{3} \approx 0.666$")
    assert verdict == "rounding" and "truncated instead of rounded" in message
    verdict, message = last(r"$\frac{5}{8} \approx 0.62$")  # 0.625: a tie, not a cut
    assert verdict == "ok"


def test_no_diagnosis_for_an_unrelated_error() -> None:
    verdict, message = last(r"$0.2 + 0.4 = 0.9$")
    assert verdict == "error" and "Likely slip" not in message
