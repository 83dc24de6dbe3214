"""Kind ``optimizer``: the published Adam example, every method against loops written here (exact
fractions, or 60-digit decimals where square roots enter), gradients against finite differences of
the objective, the certified steps, ``check``'s named mistakes (one planted claim each), variants,
bad input and its own lint.

Expected values are computed here from the given numbers, never taken from symnn.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction as F
from pathlib import Path
from typing import Any

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symnn.core.decimals import numeric_value
from symnn.errors import ParseError, ShapeError, SpecError
from symnn.sheets.crosscheck import crosscheck
from symnn.sheets.kinds import solve_exercise
from symnn.sheets.loading import load_sheet
from symnn.sheets.variants import generate_variants
from symnn.verify.check.judge import check_claims
from symnn.verify.check.key import build_key

SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "examples" / "optimizer.md"
CTX = decimal.Context(prec=60)


@pytest.fixture(autouse=True)
def sixty_digits():
    """The loops' Decimal arithmetic runs at 60 significant digits."""
    with decimal.localcontext(CTX):
        yield


def text_of(value: Any) -> str:
    if isinstance(value, F):
        return str(Decimal(value.numerator) / Decimal(value.denominator))
    if isinstance(value, list):
        return "[" + ", ".join(text_of(v) for v in value) + "]"
    return f'"{value}"' if isinstance(value, str) else str(value)


def sheet(**fields: Any) -> str:
    lines = ['[[exercise]]', 'kind = "optimizer"']
    for name, value in fields.items():
        lines.append(f'{name} = "{value}"' if isinstance(value, str) else f"{name} = {text_of(value)}")
    return "\n".join(lines) + "\n"


def solved(text: str) -> dict[str, sp.Basic]:
    spec = load_sheet(text).exercises[0]
    derivation = solve_exercise(spec)
    crosscheck(spec, derivation)
    return derivation.values()


def certified_names(text: str) -> set[str]:
    """The quantities given as certified 20-digit decimals (past the exact steps)."""
    derivation = solve_exercise(load_sheet(text).exercises[0])
    return {q.name for q in derivation.quantities if "certified" in q.caption}


def entries(value: sp.Basic) -> list[sp.Basic]:
    return list(value) if isinstance(value, sp.MatrixBase) else [value]


# ---------------------------------------------------------------------------
# Independent loops: one step of every method, over Fractions or 60-digit Decimals.


def sqrt(x: Any) -> Any:
    return CTX.sqrt(x)


def loop(method: str, theta: list[Any], grads: list[list[Any]], lr: Any, *, convention: str = "velocity",
         mu: Any = None, rho: Any = None, b1: Any = None, b2: Any = None, eps: Any = None, wd: Any = 0,
         slip: str = "") -> list[dict[str, list[Any]]]:
    """Every step's quantities by name, written from the textbook formulas; ``slip`` plants a mistake."""
    n = len(theta)
    v, m, s = [0] * n, [0] * n, [0] * n
    steps = []
    for t, grad in enumerate(grads, start=1):
        out: dict[str, list[Any]] = {}
        decoupled = method == "adamw"
        if slip == "l2":
            decoupled = False
        if slip == "decoupled":
            decoupled = True
        # L2 adds λ times the point the gradient is taken at: the look-ahead point for Nesterov's velocity form.
        at = ([theta[i] + mu * v[i] for i in range(n)] if method == "nesterov" and convention == "velocity"
              else theta)
        g = [grad[i] + (wd * at[i] if wd and not decoupled else 0) for i in range(n)]
        out["g"] = g
        if method == "sgd":
            theta = [theta[i] - lr * g[i] for i in range(n)]
        elif method in ("momentum", "nesterov"):
            form = convention if slip != "convention" else {"velocity": "accumulated",
                                                             "accumulated": "velocity"}[convention]
            if form == "velocity":
                v = [mu * v[i] - lr * g[i] for i in range(n)]
                theta = [theta[i] + v[i] for i in range(n)]
            else:
                v = [mu * v[i] + g[i] for i in range(n)]
                step = [g[i] + mu * v[i] if method == "nesterov" else v[i] for i in range(n)]
                theta = [theta[i] - lr * step[i] for i in range(n)]
            out["v"] = v
        elif method in ("adagrad", "rmsprop"):
            s = [s[i] + g[i] ** 2 if method == "adagrad" else rho * s[i] + (1 - rho) * g[i] ** 2 for i in range(n)]
            root = [sqrt(s[i] + eps) if slip == "eps_inside" else sqrt(s[i]) + eps for i in range(n)]
            theta = [theta[i] - lr * g[i] / root[i] for i in range(n)]
            out["s"] = s
        else:
            m = [b1 * m[i] + (1 - b1) * g[i] for i in range(n)]
            v = [b2 * v[i] + (1 - b2) * g[i] ** 2 for i in range(n)]
            k = t + 1 if slip == "shift+" else t - 1 if slip == "shift-" and t >= 2 else t
            m_hat = m if slip == "no_bias" else [m[i] / (1 - b1**k) for i in range(n)]
            v_hat = v if slip == "no_bias" else [v[i] / (1 - b2**k) for i in range(n)]
            root = [sqrt(v_hat[i] + eps) if slip == "eps_inside" else sqrt(v_hat[i]) + eps for i in range(n)]
            theta = [theta[i] - lr * m_hat[i] / root[i] - (lr * wd * theta[i] if decoupled else 0)
                     for i in range(n)]
            out.update(m=m, v=v, m_hat=m_hat, v_hat=v_hat)
        out["theta"] = theta
        steps.append(out)
    return steps


def decimal_of(value: F | int) -> Decimal:
    value = F(value)
    return CTX.divide(Decimal(value.numerator), Decimal(value.denominator))


def close(exact: sp.Basic, expected: Any) -> bool:
    got = Decimal(str(numeric_value(exact)))
    want = decimal_of(expected) if isinstance(expected, F | int) else expected
    return abs(got - want) <= Decimal("1e-35") * (1 + abs(want))


# ---------------------------------------------------------------------------
# The published example (Adam on f(θ) = θ², as issue 14 quotes it): g₁ = 10, m₁ = 1, v₁ = 0.1,
# m̂₁ = 10, v̂₁ = 100, θ₁ = 4.9, g₂ = 9.8.

ADAM = sheet(method="adam", theta=5, f="theta^2", learning_rate=F("0.1"), beta1=F("0.9"), beta2=F("0.999"),
             epsilon=F("1e-8"), steps=2)


def test_the_published_adam_example():
    values = solved(ADAM)
    assert (values["g1"], values["m1"], values["v1"]) == (10, sp.Rational(1), sp.Rational(1, 10))
    assert (values["m_hat1"], values["v_hat1"]) == (10, 100)
    # θ₁ = 5 − 0.1·10/(√100 + 1e-8) is not 4.9 exactly: ε keeps it just above, at 4900000005/1000000001.
    theta1 = F(5) - F(1, 10) * 10 / (10 + F(1, 10**8))
    assert values["theta1"] == sp.Rational(theta1.numerator, theta1.denominator) and theta1 != F("4.9")
    assert round(theta1, 1) == F("4.9") and round(theta1, 9) == F("4.9") and round(theta1, 10) == F("4.9000000001")
    assert values["g2"] == 2 * values["theta1"] and round(2 * theta1, 1) == F("9.8")


def test_the_published_numbers_are_accepted_by_check_to_their_printed_digits():
    key = build_key(load_sheet(ADAM))
    claims = {"g1": Decimal(10), "m1": Decimal(1), "v1": Decimal("0.1"), "m_hat1": Decimal(10),
              "v_hat1": Decimal(100), "theta1": Decimal("4.9"), "g2": Decimal("9.8")}
    verdicts = {r.quantity: r.verdict for r in check_claims(key, {"ex1": claims})}
    assert verdicts == {"g1": "correct", "m1": "correct", "v1": "correct", "m_hat1": "correct", "v_hat1": "correct",
                        "theta1": "rounding", "g2": "rounding"}


# ---------------------------------------------------------------------------
# Every method against the loops.

small = st.decimals(min_value=-2, max_value=2, places=1, allow_nan=False, allow_infinity=False).map(F)
rates = st.sampled_from([F(1, 10), F(1, 2), F(1, 20), F(1)])
fractions01 = st.sampled_from([F(1, 2), F(9, 10), F(3, 4), F(0)])


@st.composite
def exercises(draw):
    method = draw(st.sampled_from(["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]))
    n, k = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    theta = [draw(small) for _ in range(n)]
    grads = [[draw(small) for _ in range(n)] for _ in range(k)]
    fields: dict[str, Any] = {"method": method, "theta": theta, "grads": grads, "learning_rate": draw(rates)}
    options: dict[str, Any] = {}
    if method in ("momentum", "nesterov"):
        fields["momentum"] = options["mu"] = draw(fractions01)
        convention = draw(st.sampled_from(["velocity", "accumulated"]))
        fields["convention"] = options["convention"] = convention
    if method in ("adagrad", "rmsprop", "adam", "adamw"):
        fields["epsilon"] = options["eps"] = draw(st.sampled_from([F(1, 10), F(1, 10**8), F(1, 2)]))
    if method == "rmsprop":
        fields["rho"] = options["rho"] = draw(fractions01)
    if method in ("adam", "adamw"):
        fields["beta1"] = options["b1"] = draw(fractions01)
        fields["beta2"] = options["b2"] = draw(st.sampled_from([F(999, 1000), F(9, 10), F(1, 2)]))
    if draw(st.booleans()) or method == "adamw":
        fields["weight_decay"] = options["wd"] = draw(st.sampled_from([F(1, 10), F(1, 100)]))
    return fields, options


@settings(max_examples=30, deadline=None)
@given(exercises())
def test_every_method_matches_a_loop_written_from_the_formulas(case):
    fields, options = case
    text = sheet(**fields, show_steps=3)
    values, certified = solved(text), certified_names(text)
    exact_loop = fields["method"] in ("sgd", "momentum", "nesterov")
    convert = (lambda x: x) if exact_loop else decimal_of
    steps = loop(fields["method"], [convert(v) for v in fields["theta"]],
                 [[convert(v) for v in g] for g in fields["grads"]], convert(fields["learning_rate"]),
                 **{k: (convert(v) if isinstance(v, F) else v) for k, v in options.items()})
    for t, step in enumerate(steps, start=1):
        for stem, expected in step.items():
            if f"{stem}{t}" in certified:  # past the exact steps: 20 certified significant digits
                got = entries(values[f"{stem}{t}"])
                assert all(abs(Decimal(str(numeric_value(g))) - e) <= Decimal("1e-19") * abs(e)
                           for g, e in zip(got, expected))
                continue
            if f"{stem}{t}" not in values:
                continue
            got = entries(values[f"{stem}{t}"])
            if exact_loop:
                assert [F(int(v.p), int(v.q)) for v in got] == expected, (stem, t)
            else:
                assert all(close(g, e) for g, e in zip(got, expected)), (stem, t, got, expected)


@settings(max_examples=20, deadline=None)
@given(st.integers(-3, 3), st.integers(-3, 3), st.integers(1, 3), small)
def test_derived_gradients_match_central_differences(a, b, power, start):
    """g₁ = f'(θ₀) from SymPy against a central difference of f written here, in floats."""
    formula = f"{a}*theta^{power + 1} + {b}*theta"
    values = solved(sheet(method="sgd", theta=start, f=formula, learning_rate=F(1, 100)))

    def f(x: float) -> float:
        return a * x ** (power + 1) + b * x

    h, x0 = 1e-6, float(start)
    assert abs(float(numeric_value(values["g1"])) - (f(x0 + h) - f(x0 - h)) / (2 * h)) < 1e-5 * (1 + abs(a) * 10)


def test_nesterov_velocity_takes_the_gradient_at_the_look_ahead_point():
    values = solved(sheet(method="nesterov", theta=[2, 1], f=["theta^2", "10*theta^2"], learning_rate=F("0.05"),
                          momentum=F("0.5"), steps=2))
    theta, v = [F(2), F(1)], [F(0), F(0)]
    slopes = [lambda x: 2 * x, lambda x: 20 * x]
    for t in (1, 2):
        look = [theta[i] + F(1, 2) * v[i] for i in range(2)]
        g = [slopes[i](look[i]) for i in range(2)]
        v = [F(1, 2) * v[i] - F(1, 20) * g[i] for i in range(2)]
        theta = [theta[i] + v[i] for i in range(2)]
        assert [F(int(x.p), int(x.q)) for x in entries(values[f"look{t}"])] == look
        assert [F(int(x.p), int(x.q)) for x in entries(values[f"theta{t}"])] == theta


def test_long_runs_switch_to_certified_digits_that_match_a_60_digit_loop():
    text = sheet(method="adam", theta=1, f="theta^4 - theta", learning_rate=F("0.1"), steps=10, show_steps=1)
    spec = load_sheet(text).exercises[0]
    derivation = solve_exercise(spec)
    theta = decimal_of(1)
    m = v = Decimal(0)
    b1, b2, eps, lr = decimal_of(F("0.9")), decimal_of(F("0.999")), decimal_of(F("1e-8")), decimal_of(F("0.1"))
    for t in range(1, 11):
        g = 4 * theta**3 - 1
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        m_hat, v_hat = CTX.divide(m, 1 - b1**t), CTX.divide(v, 1 - b2**t)
        theta = theta - CTX.divide(lr * m_hat, sqrt(v_hat) + eps)
    certified = derivation.quantity("theta10")
    assert "certified 20-digit" in certified.caption
    want = CTX.create_decimal(theta).quantize(Decimal("1e-20"))
    assert Decimal(str(sp.Rational(certified.exact).p)) / Decimal(str(sp.Rational(certified.exact).q)) == want
    assert any("ball arithmetic" in str(part) for step in derivation.steps for part in getattr(step, "parts", ()))


# ---------------------------------------------------------------------------
# check: one planted claim per named mistake, computed here with the mistaken rule.


def rounded(value: Any, places: int = 8) -> Decimal:
    value = decimal_of(value) if isinstance(value, F | int) else value
    return value.quantize(Decimal(1).scaleb(-places))


def diagnosis(text: str, claims: dict[str, Any]) -> str | None:
    [r] = check_claims(build_key(load_sheet(text)), {"ex1": claims})
    assert r.verdict == "wrong", (r.verdict, r.explanation)
    return r.diagnosis


ADAM_BIG_EPS = dict(method="adam", theta=[1, -2], grads=[[F("0.5"), F(-1)], [F("0.3"), F("0.2")]],
                    learning_rate=F("0.1"), beta1=F("0.9"), beta2=F("0.99"), epsilon=F("0.5"))


def adam_loop(slip: str = "", **extra: Any) -> list[dict[str, list[Any]]]:
    fields = {**ADAM_BIG_EPS, **extra}
    d = decimal_of
    return loop(fields["method"], [d(x) for x in fields["theta"]], [[d(x) for x in g] for g in fields["grads"]],
                d(fields["learning_rate"]), b1=d(fields["beta1"]), b2=d(fields["beta2"]), eps=d(fields["epsilon"]),
                wd=d(fields.get("weight_decay", 0)), slip=slip)


@pytest.mark.parametrize("slip, name, step, words", [
    pytest.param("shift+", "m_hat", 1, "off by one", id="bias-counter-plus-one"),
    pytest.param("shift-", "theta", 2, "off by one", id="bias-counter-minus-one"),
    pytest.param("no_bias", "theta", 1, "bias correction was left out", id="no-bias-correction"),
    pytest.param("no_bias", "m_hat", 2, "bias correction was left out", id="no-bias-correction-m-hat"),
    pytest.param("eps_inside", "theta", 1, "inside the square root", id="epsilon-inside"),
])
def test_adam_named_mistakes(slip, name, step, words):
    claim = [rounded(x) for x in adam_loop(slip)[step - 1][name]]
    right = adam_loop()
    earlier = {f"{stem}{t}": [rounded(x) for x in values] for t, s in enumerate(right[: step - 1], start=1)
               for stem, values in s.items()}
    found = diagnosis(sheet(**ADAM_BIG_EPS), {**earlier, f"{name}{step}": claim}) if not earlier else None
    if earlier:
        results = check_claims(build_key(load_sheet(sheet(**ADAM_BIG_EPS))),
                               {"ex1": {**earlier, f"{name}{step}": claim}})
        [r] = [r for r in results if r.quantity == f"{name}{step}"]
        assert r.verdict == "wrong"
        found = r.diagnosis
    assert found is not None and words in found


def test_adamw_with_l2_weight_decay_is_diagnosed():
    fields = {**ADAM_BIG_EPS, "method": "adamw", "weight_decay": F("0.1")}
    claim = [rounded(x) for x in adam_loop("l2", method="adamw", weight_decay=F("0.1"))[0]["theta"]]
    found = diagnosis(sheet(**fields), {"theta1": claim})
    assert found is not None and "added to the gradient (L2" in found


def test_adam_with_decoupled_weight_decay_is_diagnosed():
    fields = {**ADAM_BIG_EPS, "weight_decay": F("0.1")}
    claim = [rounded(x) for x in adam_loop("decoupled", weight_decay=F("0.1"))[0]["theta"]]
    found = diagnosis(sheet(**fields), {"theta1": claim})
    assert found is not None and "decoupled (AdamW) instead of added to the gradient" in found


@pytest.mark.parametrize("convention", ["velocity", "accumulated"])
def test_the_other_momentum_convention_is_diagnosed(convention):
    fields = dict(method="momentum", theta=[1, -1], grads=[[F("0.4"), F("-0.2")], [F("0.3"), F("0.1")]],
                  learning_rate=F("0.1"), momentum=F("0.9"), convention=convention)
    other = loop("momentum", fields["theta"], fields["grads"], fields["learning_rate"], mu=fields["momentum"],
                 convention=convention, slip="convention")
    found = diagnosis(sheet(**fields), {"v1": [rounded(x) for x in other[0]["v"]]})
    assert found is not None and "other momentum convention" in found
    right = loop("momentum", fields["theta"], fields["grads"], fields["learning_rate"], mu=fields["momentum"],
                 convention=convention)
    # With a constant learning rate the conventions differ in v only (by a factor −η): θ agrees.
    assert other[1]["theta"] == right[1]["theta"] and other[0]["v"] != right[0]["v"]


def test_rmsprop_epsilon_inside_the_root_is_diagnosed():
    fields = dict(method="rmsprop", theta=[1, 2], grads=[[F("0.5"), F(-1)]], learning_rate=F("0.1"),
                  rho=F("0.9"), epsilon=F("0.1"))
    d = decimal_of
    inside = loop("rmsprop", [d(1), d(2)], [[d(F("0.5")), d(-1)]], d(F("0.1")), rho=d(F("0.9")), eps=d(F("0.1")),
                  slip="eps_inside")
    found = diagnosis(sheet(**fields), {"theta1": [rounded(x) for x in inside[0]["theta"]]})
    assert found is not None and "inside the square root" in found


def test_a_wrong_gradient_carries_forward_into_the_moments():
    key = build_key(load_sheet(ADAM))
    results = {r.quantity: r for r in check_claims(key, {"ex1": {"g1": Decimal(12), "m1": Decimal("1.2")}})}
    assert results["g1"].verdict == "wrong" and results["m1"].verdict == "carried forward"


# ---------------------------------------------------------------------------
# Variants, bad input and lint.


TEMPLATE = """
[[exercise]]
kind = "optimizer"
method = "sgd"
theta = { random = "uniform", low = -1, high = 1, step = 0.5, shape = [2] }
grads = [{ choice = [[0, 0], [0.5, -0.5]] }, [0.25, 0.25]]
learning_rate = { choice = [0.1, 1000] }
"""


def test_variants_reject_vanishing_gradients_and_runaway_steps():
    for v in generate_variants(TEMPLATE, 6, seed=2):
        quantities = v.key["exercises"][0]["quantities"]
        assert quantities["g1"]["exact"] != "[[0], [0]]"
        assert all(abs(x[0]) < 300 for x in quantities["theta2"]["value"])


@pytest.mark.parametrize("extra, message, error", [
    ('method = "adam"\ntheta = 1\nlearning_rate = 0.1\n', "give either f .* or grads .*, not neither", SpecError),
    ('method = "adam"\ntheta = 1\nf = "theta^2"\ngrads = [1]\nlearning_rate = 0.1\n', "not both", SpecError),
    ('method = "sgd"\ntheta = 1\nf = "x^2"\nlearning_rate = 0.1\n', "f formula 'x\\^2': unknown name 'x'; a formula "
     "may use theta", ParseError),
    ('method = "sgd"\ntheta = [1, 2]\ngrads = [[1, 2, 3]]\nlearning_rate = 0.1\n', r"grads\[1\] is 3×1 but theta is "
     "2×1", ShapeError),
    ('method = "sgd"\ntheta = 1\ngrads = [1]\nlearning_rate = 0.1\nbeta1 = 0.9\n', "beta1 is not used by sgd",
     SpecError),
    ('method = "adam"\ntheta = 1\ngrads = [1]\nlearning_rate = 0.1\nbeta2 = 1\n', r"beta2 must lie in \[0, 1\)",
     SpecError),
    ('method = "sgd"\ntheta = 1\ngrads = [1, 2]\nsteps = 3\nlearning_rate = 0.1\n', "steps = 3 but grads lists 2",
     SpecError),
    ('method = "adam"\ntheta = 1\ngrads = [1]\nlearning_rate = 0.1\nconvention = "accumulated"\n',
     "convention is for momentum and nesterov only", SpecError),
    ('method = "sgd"\ntheta = 1\nf = "sqrt(theta)"\nsteps = 2\nlearning_rate = 4\n', "undefined or not a real",
     SpecError),
])
def test_bad_input_is_one_line_naming_the_exercise(extra, message, error):
    with pytest.raises(error, match=message):
        spec = load_sheet('[[exercise]]\nkind = "optimizer"\n' + extra).exercises[0]
        solve_exercise(spec)


@pytest.mark.parametrize("suffix, fmt", [(".md", "markdown"), (".tex", "latex"), (".html", "html")])
def test_the_example_sheet_lints_clean(suffix, fmt):
    from symnn.verify.lint.report import lint_text

    report = lint_text(SNAPSHOT.with_suffix(suffix).read_text(encoding="utf-8"), fmt)
    problems = [f for f in report.findings if f.verdict in ("error", "rounding")]
    assert not problems, problems
    assert sum(1 for f in report.findings if f.verdict == "ok") >= 40
