"""Functions a sheet defines itself (``\\operatorname{softsign}(x) = ...``) are used for the
links after their definition; a function it never defines is honestly not checked."""

from __future__ import annotations

import pytest

from symnn.verify.lint.report import lint_text


def _verdicts(text: str) -> list[tuple[str, str]]:
    return [(f.verdict, f.message) for f in lint_text(text, "markdown").findings]


DEFINES = "This defines {}; later links are evaluated with it."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            r"$\operatorname{softsign}\left(-0.01\right) = -\frac{1}{101}$",
            [("not checked", "The left side cannot be evaluated: the sheet does not define the function softsign.")],
            id="never-defined",
        ),
        pytest.param(
            r"$\operatorname{softsign}(x) = \frac{x}{1 + |x|}$, so $\operatorname{softsign}(-0.01) = -\frac{1}{101}$"
            r" and $\operatorname{softsign}(3) = 0.6$",
            [("not checked", DEFINES.format("softsign")), ("ok", "Both sides equal -1/101 = -0.00990099…."),
             ("error", "The left side is 0.75 but the right side is 0.6.")],
            id="defined-then-used",
        ),
        pytest.param(
            r"$\text{sq}(x) = x^{2}$ $\text{quad}(x) = \text{sq}(\text{sq}(x))$ $\text{quad}(2) = 16$",
            [("not checked", DEFINES.format("sq")), ("not checked", DEFINES.format("quad")),
             ("ok", "Both sides equal 16.")],
            id="a-definition-uses-another",
        ),
        pytest.param(
            r"$\operatorname{diff}(x, y) = x - y$ $\operatorname{diff}(\begin{bmatrix}3 & 4\end{bmatrix}, 1) = \begin{bmatrix}2 & 3\end{bmatrix}$",
            [("not checked", DEFINES.format("diff")), ("ok", "All 2 entries agree exactly.")],
            id="two-parameters-entrywise",
        ),
        pytest.param(
            r"$\operatorname{step}(x) = \begin{cases} 1 & \text{if } x > 0 \\ 0 & \text{otherwise}\end{cases}$"
            r" $\operatorname{step}(\begin{bmatrix}-2 & 0 & 0.5\end{bmatrix}) = \begin{bmatrix}0 & 0 & 1\end{bmatrix}$",
            [("not checked", DEFINES.format("step")), ("ok", "All 3 entries agree exactly.")],
            id="piecewise",
        ),
        pytest.param(
            r"$\operatorname{ff}(x) = \operatorname{ff}(x) + 1$ $\operatorname{ff}(1) = 2$",
            [("not checked", "The left side contains the symbol x, so it has no value to check."),
             ("not checked", "The left side cannot be evaluated: the sheet does not define the function ff.")],
            id="recursive-is-no-definition",
        ),
        pytest.param(
            r"$\operatorname{ff}(Z_1) = \operatorname{ff}(\begin{bmatrix}1\end{bmatrix})$",
            [("not checked", "The left side contains the symbol Z_1, so it has no value to check.")],
            id="a-body-without-its-parameter-is-no-definition",
        ),
        pytest.param(
            r"$\operatorname{ff}(x) = 2x$ $\operatorname{ff}(1, 2) = 2$",
            [("not checked", DEFINES.format("ff")),
             ("not checked", "The left side cannot be evaluated: ff takes 1 argument, not 2.")],
            id="wrong-argument-count",
        ),
    ],
)
def test_definitions(text: str, expected: list[tuple[str, str]]) -> None:
    assert _verdicts(text) == expected


def test_a_later_definition_replaces_an_earlier_one() -> None:
    text = r"$\operatorname{ff}(x) = 2x$ $\operatorname{ff}(1) = 2$ $\operatorname{ff}(x) = 3x$ $\operatorname{ff}(1) = 3$"
    assert [verdict for verdict, _ in _verdicts(text)] == ["not checked", "ok", "not checked", "ok"]
