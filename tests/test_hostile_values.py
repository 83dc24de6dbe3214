"""Hostile input, family 1: nothing is printed wrong.

Every expected number here comes from an independent evaluation with mpmath at 200 digits
(never from symnn's own balls), and every "ok"/"error" from comparing against it.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symnn.cli import main
from symnn.core.decimals import NotCertified, round_rational, to_finite_float
from symnn.verify.lint.report import lint_text

DIGITS = 200
"""mpmath's working digits in every reference below (set per test: other tests change mp.dps)."""


def network(weight: int, y: int, loss: str = "bce") -> str:
    return (f'title = "t"\n[[exercise]]\nkind = "network"\nx = [1]\ny = {y}\nloss = "{loss}"\n'
            f'[[exercise.layers]]\nW = [[{weight}]]\nactivation = "sigmoid"\n')


def sheet(tmp_path: Path, text: str, *formats: str) -> tuple[int, Path]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    spec = tmp_path / "s.toml"
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    code = main(["sheet", str(spec), "--out", str(out), "--quiet", "--format", ",".join(formats or ("json",))])
    return code, out


# ----- lint: no "ok" from an undecided bound ---------------------------------------------------

def at_digits(test):  # type: ignore[no-untyped-def]
    """Run ``test`` with mpmath at :data:`DIGITS` digits."""
    import functools

    @functools.wraps(test)
    def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
        with mpmath.workdps(DIGITS):
            return test(*args, **kwargs)
    return wrapped


def verdicts(text: str) -> list[str]:
    return [f.verdict for f in lint_text(text, "markdown", "t.md").findings]


@at_digits
def test_tiny_false_equalities_are_errors():
    # 1 - tanh(100) = 2.77e-87 and log(1 + e^-100) = 3.72e-44 (mpmath); the sheets wrote
    # 4.8e-35 and 9e-35, and an absolute 113/200-bit bound called such links ok.
    one_minus_tanh = 1 - mpmath.tanh(100)
    assert mpmath.mpf("2.7e-87") < one_minus_tanh < mpmath.mpf("2.8e-87")
    text = ("$$1 - \\tanh(100) = 4.814825 \\cdot 10^{-35}$$\n\n$$\\log(1+e^{-100}) = 9 \\cdot 10^{-35}$$\n\n"
            "$$1 - \\tanh(100) = 5 \\cdot 10^{-70}$$\n\n$$1 - \\tanh(200) = 5 \\cdot 10^{-200}$$\n")
    assert verdicts(text) == ["error"] * 4


@at_digits
def test_tiny_true_equalities_are_ok():
    left = 1 - mpmath.tanh(100)
    shown = mpmath.nstr(left, 3, min_fixed=1, max_fixed=0)  # e.g. '2.77e-87', from mpmath
    mantissa, exponent = shown.split("e")
    text = f"$$1 - \\tanh(100) = {mantissa} \\cdot 10^{{{int(exponent)}}}$$\n"
    assert verdicts(text) == ["ok"]


@at_digits
def test_value_shown_for_a_tiny_side_is_its_true_value():
    finding = lint_text("$$1 - \\tanh(100) = 5 \\cdot 10^{-70}$$\n", "markdown", "t.md").findings[0]
    assert finding.lhs.startswith(mpmath.nstr(1 - mpmath.tanh(100), 7, min_fixed=1, max_fixed=0)[:5])


# ----- every displayed decimal and JSON value is certified -------------------------------------

def json_value(out: Path, name: str) -> float:
    key = json.loads((out / "s.json").read_text())
    value = key["exercises"][0]["quantities"][name]["value"]
    return float(value) if not isinstance(value, list) else float(value[0][0])


@at_digits
def test_saturated_sigmoid_bce_is_right(tmp_path):
    code, out = sheet(tmp_path, network(1000, 0), "json", "md")
    assert code == 0
    with mpmath.workdps(1000):  # 1 - σ(1000) is about 1e-435
        exact = -mpmath.log(1 - 1 / (1 + mpmath.exp(-1000)))
    assert json_value(out, "L") == float(exact)  # the correctly rounded float (1000.0, not 402.7)
    assert "\\approx 1000" in (out / "s.md").read_text()


@at_digits
def test_tiny_loss_value_is_not_zero(tmp_path):
    code, out = sheet(tmp_path, network(200, 1))
    assert code == 0
    assert json_value(out, "L") == float(mpmath.log(1 + mpmath.exp(-200)))  # 1.38e-87, not 0.0


def reference_round(value: mpmath.mpf, places: int) -> Fraction:
    text = mpmath.nstr(value, 195, min_fixed=-10**6, max_fixed=10**6)
    with localcontext() as ctx:
        ctx.prec = 500
        return Fraction(Decimal(text).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN))


@settings(max_examples=60, deadline=None)
@given(st.integers(-400, 400), st.integers(1, 60), st.integers(0, 12),
       st.sampled_from(["exp", "log", "tanh", "sigmoid"]))
@at_digits
def test_rounding_matches_an_independent_evaluation(p, q, places, function):
    x = sp.Rational(p, q)
    if function == "log":
        x = abs(x) + sp.Rational(1, 7)
    build = {"exp": sp.exp, "log": sp.log, "tanh": sp.tanh, "sigmoid": lambda v: 1 / (1 + sp.exp(-v))}[function]
    mp = {"exp": mpmath.exp, "log": mpmath.log, "tanh": mpmath.tanh,
          "sigmoid": lambda v: 1 / (1 + mpmath.exp(-v))}[function]
    expected = reference_round(mp(mpmath.mpf(int(x.p)) / int(x.q)), places)
    assert Fraction(str(round_rational(build(x), places))) == expected


def test_values_beyond_float_range_are_refused_not_infinity(tmp_path, capsys):
    near = ('title = "t"\n[[exercise]]\nkind = "forward"\nW = [[1e100, 1]]\nX = [1e100, 1]\nb = [0]\n'
            'activation = "relu"\n')
    code, out = sheet(tmp_path, near, "json")  # 1e200 is a float
    assert code == 0 and json_value(out, "Z") == 1e200
    big = ('title = "t"\n[[exercise]]\nkind = "network"\nx = [1e100]\ny = 0\nloss = "mse"\n'
           '[[exercise.layers]]\nW = [[1e100]]\nactivation = "relu"\n[[exercise.layers]]\nW = [[1e100]]\n'
           'activation = "relu"\n')
    code, out = sheet(tmp_path / "big", big, "json")
    err = capsys.readouterr().err
    assert code == 2 and "beyond the range of a float" in err and "exercise ex1" in err
    assert not out.exists()


def test_non_real_and_non_finite_values_are_refused():
    for value in (sp.I, sp.zoo, sp.nan, sp.log(-1)):
        with pytest.raises(NotCertified):
            to_finite_float(value)


# ----- control characters never reach a file --------------------------------------------------

@pytest.mark.parametrize("char", ["\\u0007", "\\u0000", "\\u001b", "\\u0085", "\\u2028"])
def test_control_characters_in_text_are_refused(tmp_path, capsys, char):
    text = f'title = "Quiz{char}bell"\n[[exercise]]\nkind = "activations"\nx = [1]\nfunctions = ["relu"]\n'
    code, out = sheet(tmp_path, text, "md", "json", "tex", "html")
    err = capsys.readouterr().err
    assert code == 2 and "control character" in err and "title" in err
    assert not out.exists()
    exercise_title = text.replace(f'title = "Quiz{char}bell"', 'title = "ok"').replace(
        'kind = "activations"', f'kind = "activations"\ntitle = "a{char}"')
    code, _ = sheet(tmp_path / "2", exercise_title, "md")
    assert code == 2 and "exercise[0].title" in capsys.readouterr().err


@at_digits
def test_saturated_custom_sigmoid_bce_cross_checks(tmp_path):
    # float σ(100) is exactly 1.0, so the numpy twin computed 0 · log(0) = nan (found by the fuzz campaign)
    text = ('title = "t"\n[[exercise]]\nkind = "network"\nx = [1]\ny = 1\nloss = "bce"\n[[exercise.layers]]\n'
            'W = [[100]]\nactivation = { formula = "1/(1+exp(-x))", name = "mysig" }\n')
    code, out = sheet(tmp_path, text)
    assert code == 0
    assert json_value(out, "L") == float(mpmath.log(1 + mpmath.exp(-100)))


def test_float_saturation_is_an_input_limit_not_a_bug(tmp_path, capsys):
    text = ('title = "t"\n[[exercise]]\nkind = "network"\nx = [1]\ny = 0.5\nloss = "bce"\n[[exercise.layers]]\n'
            'W = [[1000]]\nactivation = { formula = "1/(1+exp(-x))", name = "mysig" }\n')
    code, _ = sheet(tmp_path, text)
    err = capsys.readouterr().err
    assert code == 2 and "float64 overflows or saturates" in err and "quantity L" in err
