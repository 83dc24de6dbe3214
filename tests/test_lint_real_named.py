"""Named values (issue 11): ``net_{h1} = 0.3775`` gives the name a value, and later links
that use the name are checked.  Values are recomputed here with fractions and math."""

from __future__ import annotations

import math
from fractions import Fraction

from symnn.verify.lint.report import lint_text


def found(text: str, fmt: str = "markdown") -> list[tuple[str, str]]:
    return [(f.text, f.verdict) for f in lint_text(text, fmt).findings]  # type: ignore[arg-type]


NET_H1 = Fraction("0.15") * Fraction("0.05") + Fraction("0.2") * Fraction("0.1") + Fraction("0.35")


def test_a_named_value_makes_later_links_checkable() -> None:
    assert NET_H1 == Fraction("0.3775")
    out_h1 = 1 / (1 + math.exp(-0.3775))
    assert round(out_h1, 9) == 0.593269992
    text = (
        r"$$\text{net}_{h1} = 0.15 \times 0.05 + 0.2 \times 0.1 + 0.35 = 0.3775$$"
        "\n\n"
        r"$$\text{out}_{h1} = \frac{1}{1+e^{-\text{net}_{h1}}} = \frac{1}{1+e^{-0.3775}} = 0.593269992$$"
    )
    verdicts = found(text)
    assert verdicts[0][1] == "not checked"  # the naming link itself
    assert [v for _, v in verdicts[1:]] == ["ok", "not checked", "ok", "ok"]
    assert verdicts[2][0].startswith(r"\text{out}_{h1} =")


def test_a_name_written_without_text_is_one_name() -> None:
    # net_{h1} is the name net_h1, not n·e·t_h1
    text = "$net_{h1} = 0.3775$ and $out_{h1} = \\frac{1}{1+e^{-net_{h1}}} \\approx 0.5933$"
    assert round(1 / (1 + math.exp(-0.3775)), 4) == 0.5933
    assert found(text)[-1] == (r"\frac{1}{1+e^{-net_{h1}}} \approx 0.5933", "ok")


def test_a_wrong_value_substituted_for_a_name_is_an_error() -> None:
    # w_5 is 0.40; substituting the learning rate 0.5 for it changes the product.
    assert Fraction("0.40") * Fraction("0.593269992") != Fraction("0.5") * Fraction("0.593269992")
    text = (
        r"$w_5 = 0.40$, $\eta = 0.5$, $\text{out}_{h1} = 0.593269992$: "
        r"$w_5 \cdot \text{out}_{h1} = 0.5 \cdot 0.593269992$"
    )
    assert found(text)[-1] == (r"w_5 \cdot \text{out}_{h1} = 0.5 \cdot 0.593269992", "error")
    right = text.replace(r"= 0.5 \cdot", r"= 0.40 \cdot")
    assert found(right)[-1][1] == "ok"


def test_single_letters_and_other_sections_keep_no_value() -> None:
    # "At $x = 0$" is a condition, not a value for x; a name is forgotten at a heading.
    text = "At $x = 0$ it is flat.\n\n$x + 1 = 1$\n\n# Part 1\n\n$w_1 = 2$\n\n$w_1 + 1 = 3$\n\n# Part 2\n\n$w_1 + 1 = 5$"
    verdicts = found(text)
    assert verdicts[1] == ("x + 1 = 1", "not checked")
    assert verdicts[3] == ("w_1 + 1 = 3", "ok")
    assert verdicts[4] == ("w_1 + 1 = 5", "not checked")


def test_a_name_used_like_a_function_is_not_multiplied() -> None:
    text = r"$\hat{y}_1 = 1.1$ and $\hat{y}_1(W + 0.1) = 0.5001 \cdot 2 + 0.1$"
    assert found(text)[-1][1] == "not checked"


def test_a_name_keeps_the_exact_value_of_its_chain() -> None:
    # Z_2 = 4427/59590 ≈ 0.0743: sigma(Z_2) is computed with the fraction, not with 0.0743.
    assert round(Fraction(4427, 59590), 4) == Fraction("0.0743")
    text = r"$Z_2 = \frac{4427}{59590} \approx 0.0743$, $\sigma(Z_2) = \frac{1}{1 + e^{-\frac{4427}{59590}}}$"
    assert found(text)[-1][1] == "ok"


def test_plain_text_names() -> None:
    text = "net_h1 = 0.3775\nout_h1 = 1/(1+e^(-net_h1)) = 0.593269992\nw5*out_h1 = 0.5*0.593269992\n"
    verdicts = found(text, "text")
    assert verdicts[2] == ("1/(1+e^{(-\\text{net}_{h1})}) = 0.593269992", "ok")
    assert verdicts[-1][1] == "not checked"  # w5 was never given a value
