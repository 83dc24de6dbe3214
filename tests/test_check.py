"""`symnn check`: verdicts, carried-forward errors, diagnoses, reports and bad input.

Expected values are computed here with fractions, math, statistics and decimal from
the exercises' given numbers, never taken from symnn; claims are written as a student
would, rounded from those independent values.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction as F
from functools import cache
from pathlib import Path

import pytest

from symnn.cli import main
from symnn.errors import ShapeError, SpecError, SymnnError
from symnn.sheets.loading import load_sheet
from symnn.verify.check.judge import VERDICTS, Result, check_answers, check_claims
from symnn.verify.check.key import SheetKey, build_key

ROOT = Path(__file__).resolve().parents[1]
SEED_SHEET = ROOT / "symnn" / "sheets" / "seed.toml"
SEED_ANSWERS = ROOT / "tests" / "fixtures" / "seed_answers.toml"


@cache
def seed_key() -> SheetKey:
    return build_key(load_sheet())


@cache
def key_of(text: str) -> SheetKey:
    return build_key(load_sheet(text))


def rounded(value: float | F, places: int) -> Decimal:
    """The value rounded half-even to ``places`` decimals: a claim as a careful student writes it."""
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, F) else Decimal(repr(value))
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def exact_decimal(value: F) -> Decimal:
    """A terminating fraction as the exact decimal a student writes, e.g. 1/100 as 0.01."""
    return Decimal(value.numerator) / Decimal(value.denominator)


def by_name(results: list[Result]) -> dict[tuple[str, str], Result]:
    return {(r.exercise, r.quantity): r for r in results}


def seed_results() -> dict[tuple[str, str], Result]:
    import tomllib

    answers = tomllib.loads(SEED_ANSWERS.read_text(encoding="utf-8"), parse_float=Decimal)
    return by_name(check_claims(seed_key(), answers))


# ---------------------------------------------------------------------------
# The hand-written seed sheet's own claims.


def test_fixture_transcribes_numbers_written_on_the_seed_sheet(seed_text):
    """Every claimed number of the fixture appears, as written, on the hand-written sheet."""
    claims = "\n".join(line.split("#")[0] for line in SEED_ANSWERS.read_text().splitlines() if "=" in line)
    numbers = set(re.findall(r"-?\d+(?:\.\d+)?", claims))
    written = set(re.findall(r"\d+(?:\.\d+)?", seed_text))
    missing = sorted(n for n in numbers if n.lstrip("-") not in written and not re.fullmatch(r"-?\d", n))
    assert not missing, f"not on the hand-written sheet: {missing}"


def test_seed_standardized_entry_3_2_is_wrong_and_nothing_else_in_it():
    mu2 = F(20 + 5 + 30, 3)
    sigma2 = math.sqrt(float(((20 - mu2) ** 2 + (5 - mu2) ** 2 + (30 - mu2) ** 2) / 3))
    expected = float(30 - mu2) / sigma2
    r = seed_results()["ex3", "X_std"]
    assert r.verdict == "wrong"
    assert r.entries[7] == "wrong" and r.entries.count("wrong") == 1
    assert r.value[2][1] == pytest.approx(expected, rel=1e-12)
    assert f"{expected:.4f}" in r.explanation and "1.297" in r.explanation and "(3, 2)" in r.explanation


def test_seed_sigma_2_is_accepted_as_a_one_unit_rounding_slip():
    """10.28 for σ₂ = 10.2740…: not the nearest rounding (10.27), but within one unit: rounding."""
    mu2 = F(55, 3)
    sigma2 = math.sqrt(float(((20 - mu2) ** 2 + (5 - mu2) ** 2 + (30 - mu2) ** 2) / 3))
    assert abs(10.28 - sigma2) < 0.01 and round(sigma2, 2) == 10.27
    r = seed_results()["ex3", "std"]
    assert r.verdict == "rounding" and r.entries == ("rounding",) * 3
    assert "10.28" in r.diagnosis and "nearest: 10.27" in r.diagnosis


def test_seed_l2_gradient_is_diagnosed_as_the_half_lambda_convention():
    results = seed_results()
    grad = results["ex6", "dpenalty_dW"]
    assert grad.verdict == "wrong" and "λ vs λ/2 convention" in grad.diagnosis
    W, G, lam, eta = [F(1), F(-2), F("0.5")], [F("0.1"), F("-0.4"), F("0.2")], F("0.01"), F("0.1")
    half = [w - eta * (g + lam * w) for w, g in zip(W, G)]  # the update with λW
    assert [float(v) for v in half] == [0.989, -1.958, 0.4795]
    new = results["ex6", "W_new"]
    assert new.verdict == "carried forward"
    assert "dpenalty_dW" in new.diagnosis and "λ vs λ/2 convention" in new.diagnosis
    assert new.value == [[float(w - eta * (g + 2 * lam * w))] for w, g in zip(W, G)]
    assert results["ex6", "penalty"].verdict == "correct"


def test_seed_sheet_has_no_other_wrong_claims():
    results = seed_results()
    wrong = sorted(k for k, r in results.items() if r.verdict in ("wrong", "carried forward"))
    assert wrong == [("ex3", "X_std"), ("ex6", "W_new"), ("ex6", "dpenalty_dW")]
    assert results["ex2", "L"].verdict == "rounding" and results["ex2", "A2"].verdict == "correct"
    assert results["ex5", "L_plus"].verdict == "rounding"  # 0.00502 for 251001/50000000


# ---------------------------------------------------------------------------
# The rounding rule.


@pytest.mark.parametrize("claim, exact, verdict", [
    pytest.param("0.693", "ln2", "rounding", id="rounded"),
    pytest.param("0.694", "ln2", "rounding", id="rounded-up-one-unit"),
    pytest.param("0.695", "ln2", "wrong", id="two-units"),
    pytest.param("0.69315", "ln2", "rounding", id="more-places"),
    pytest.param("0.6931", "ln2", "rounding", id="truncated"),
    pytest.param("0.7", "ln2", "rounding", id="one-place"),
    pytest.param("1", "ln2", "wrong", id="integer-is-exact"),
])
def test_rounding_rule_on_ln2(claim, exact, verdict):
    assert math.log(2) < 0.6932
    [r] = check_claims(seed_key(), {"ex2": {"L": Decimal(claim)}})
    assert r.verdict == verdict


def test_a_value_with_few_decimals_must_be_written_exactly():
    """W_new₁ is exactly 0.988: 0.989 is not a rounding of it, 0.9880 is the value itself."""
    exact = F(1) - F("0.1") * (F("0.1") + 2 * F("0.01"))
    assert exact == F("0.988")
    verdicts = [check_claims(seed_key(), {"ex6": {"W_new": [Decimal(c), Decimal("-1.956"), Decimal("0.479")]}})[0]
                .entries[0] for c in ("0.988", "0.9880", "0.989", "0.987")]
    assert verdicts == ["correct", "correct", "wrong", "wrong"]


def test_rounded_earlier_values_carry_their_rounding_into_later_ones():
    """X_std from the mean rounded to 1 decimal: off by more than a unit from the exact value,
    but exactly what the rounded mean gives, so it is a rounding, not an error."""
    X = [[5, 20, 10], [15, 5, 25], [10, 30, 15]]
    mean = [Decimal(10), Decimal("18.3"), Decimal("16.7")]
    sigma = [statistics.pstdev(col) for col in zip(*X)]
    from_rounded = [[(x - float(m)) / s for x, m, s in zip(row, mean, sigma)] for row in X]
    exact = [[(x - statistics.mean(col)) / s for x, col, s in zip(row, zip(*X), sigma)] for row in X]
    claim = [[rounded(v, 3) for v in row] for row in from_rounded]
    assert abs(float(claim[0][1]) - exact[0][1]) > 0.001  # not a rounding of the exact value
    results = by_name(check_claims(seed_key(), {"ex3": {"mean": mean, "X_std": claim}}))
    assert results["ex3", "mean"].verdict == "rounding"
    assert results["ex3", "X_std"].verdict == "rounding"
    assert "recomputed from your rounded mean" in results["ex3", "X_std"].explanation
    alone = check_claims(seed_key(), {"ex3": {"X_std": claim}})[0]
    assert alone.verdict == "wrong"  # without the rounded mean on the page nothing explains it


# ---------------------------------------------------------------------------
# Errors carried forward.


def test_wrong_z1_carries_into_a1_a2_and_the_loss():
    W1 = [[F("0.1"), F("0.3")], [F("-0.2"), F("0.4")]]
    x = [F("0.5"), F("-0.2")]
    z1 = [sum(w * v for w, v in zip(row, x)) for row in W1]
    slipped = [-z1[0], z1[1]]  # the student's sign slip in the first entry
    a1 = [max(v, F(0)) for v in slipped]
    z2 = F("0.2") * a1[0] - F("0.5") * a1[1]
    a2 = 1 / (1 + math.exp(-float(z2)))
    loss = -math.log(float(rounded(a2, 4)))
    answers = {"ex2": {
        "Z1": [exact_decimal(v) for v in slipped],
        "A1": [exact_decimal(v) for v in a1],
        "A2": rounded(a2, 4),
        "L": rounded(loss, 4),
    }}
    results = by_name(check_claims(seed_key(), answers))
    assert results["ex2", "Z1"].verdict == "wrong"
    assert results["ex2", "Z1"].diagnosis == "a sign slip in entry 1"
    for name, source in (("A1", "Z1"), ("A2", "A1"), ("L", "A2")):
        r = results["ex2", name]
        assert r.verdict == "carried forward", name
        assert r.diagnosis == f"follows from your earlier value of {source}"
        assert "follows from your earlier value" in r.explanation


def test_a_later_value_consistent_with_nothing_stays_wrong():
    answers = {"ex2": {"Z1": [Decimal("0.01"), Decimal("-0.18")], "A1": [Decimal("0.05"), 0]}}
    results = by_name(check_claims(seed_key(), answers))
    assert results["ex2", "A1"].verdict == "wrong"


def test_the_right_value_after_a_wrong_one_is_correct():
    answers = {"ex2": {"Z1": [Decimal("0.01"), Decimal("-0.18")], "A2": Decimal("0.5")}}
    results = by_name(check_claims(seed_key(), answers))
    assert results["ex2", "A2"].verdict == "correct"


def test_standardization_from_a_sample_sigma_is_carried_forward():
    X = [[5, 20, 10], [15, 5, 25], [10, 30, 15]]
    sample = [statistics.stdev(col) for col in zip(*X)]
    means = [statistics.mean(col) for col in zip(*X)]
    z = [[rounded((x - m) / s, 3) for x, m, s in zip(row, means, sample)] for row in X]
    answers = {"ex3": {"std": [rounded(s, 3) for s in sample], "X_std": z}}
    results = by_name(check_claims(seed_key(), answers))
    assert results["ex3", "std"].verdict == "wrong"
    assert "sample standard deviation" in results["ex3", "std"].diagnosis
    assert results["ex3", "X_std"].verdict == "carried forward"


# ---------------------------------------------------------------------------
# Diagnoses, one constructed example each.

# Three samples and no bias: the solver cannot yet add a bias column to a batch (see the report).
FORWARD_BATCH = """
[[exercise]]
kind = "forward"
W = [[1, 2], [3, 4]]
X = [[0.5, 1, 2], [0, 2, -1]]
activation = "relu"
"""


def forward_z(transposed_weights: bool = False) -> list[list[F]]:
    W, X = [[1, 2], [3, 4]], [[F("0.5"), 1, 2], [0, 2, -1]]
    if transposed_weights:
        W = [list(c) for c in zip(*W)]
    return [[sum(W[i][k] * X[k][j] for k in range(2)) for j in range(3)] for i in range(2)]


def decimals(rows: list[list[F]]) -> list[list[Decimal]]:
    return [[rounded(v, 4) for v in row] for row in rows]


def test_diagnosis_transposed_matrix_written_with_the_transposed_shape():
    Z = forward_z()
    [r] = check_claims(key_of(FORWARD_BATCH), {"ex1": {"Z": decimals([list(c) for c in zip(*Z)])}})
    assert r.verdict == "wrong" and "transposed" in r.diagnosis
    assert "Written as 3×2, but Z is 2×3" in r.explanation


NETWORK = """
[[exercise]]
kind = "network"
x = [1, 2]
y = 1
loss = "half_sse"
learning_rate = 0.5

[[exercise.layers]]
W = [[0.5, -1], [2, 1]]
b = [0.5, 0]
activation = "relu"

[[exercise.layers]]
W = [[1, -2]]
activation = "identity"
"""


def network_values() -> dict[str, list[list[F]]]:
    x, y = [F(1), F(2)], F(1)
    W1, b1, W2 = [[F("0.5"), F(-1)], [F(2), F(1)]], [F("0.5"), F(0)], [F(1), F(-2)]
    z1 = [sum(w * v for w, v in zip(row, x)) + b for row, b in zip(W1, b1)]
    a1 = [max(v, F(0)) for v in z1]
    a2 = sum(w * v for w, v in zip(W2, a1))
    d2 = a2 - y  # d/da of (y - a)²/2, identity output
    d1 = [w * d2 * (1 if z > 0 else 0) for w, z in zip(W2, z1)]
    return {"Z1": [[v] for v in z1], "dL_dW1": [[d * v for v in x] for d in d1],
            "delta1_without_slope": [[w * d2] for w in W2], "W1": W1, "d1": [[d] for d in d1]}


def test_network_reference_is_not_degenerate():
    v = network_values()
    assert v["Z1"] == [[F(-1)], [F(4)]]  # one dead and one live ReLU unit
    G = v["dL_dW1"]
    assert G != [list(c) for c in zip(*G)]  # not symmetric, so a transposed claim is detectable


def test_diagnosis_transposed_square_matrix():
    G = network_values()["dL_dW1"]
    [r] = check_claims(key_of(NETWORK), {"ex1": {"dL_dW1": decimals([list(c) for c in zip(*G)])}})
    assert r.verdict == "wrong" and r.diagnosis == "the matrix is transposed: this is dL_dW1ᵀ"


def test_diagnosis_missing_activation_derivative():
    v = network_values()
    [r] = check_claims(key_of(NETWORK), {"ex1": {"delta1": decimals(v["delta1_without_slope"])}})
    assert r.verdict == "wrong" and "derivative" in r.diagnosis
    x = [F(1), F(2)]
    grad = [[d[0] * xv for xv in x] for d in v["delta1_without_slope"]]
    [r] = check_claims(key_of(NETWORK), {"ex1": {"dL_dW1": decimals(grad)}})
    assert r.verdict == "wrong" and "derivative" in r.diagnosis


def test_diagnosis_missing_sigmoid_derivative_with_irrational_values():
    text = SEED_SHEET.read_text().replace('W = [[0.1, 0.3], [-0.2, 0.4]]\nactivation = "relu"',
                                         'W = [[0.1, 0.3], [-0.2, 0.4]]\nactivation = "sigmoid"')
    sig = lambda t: 1 / (1 + math.exp(-t))
    z1 = [0.1 * 0.5 + 0.3 * -0.2, -0.2 * 0.5 + 0.4 * -0.2]
    a1 = [sig(t) for t in z1]
    d2 = sig(0.2 * a1[0] - 0.5 * a1[1]) - 1
    back = [0.2 * d2, -0.5 * d2]
    right = [b * a * (1 - a) for b, a in zip(back, a1)]
    results = by_name(check_claims(key_of(text), {"ex2": {"delta1": [rounded(b, 4) for b in back]}}))
    assert results["ex2", "delta1"].verdict == "wrong" and "derivative" in results["ex2", "delta1"].diagnosis
    fine = check_claims(key_of(text), {"ex2": {"delta1": [rounded(b, 4) for b in right]}})[0]
    assert fine.verdict == "rounding"


def test_diagnosis_sign_slip():
    yhat = F("0.5") * 2 + F("0.1")
    gradient = (yhat - 1) * 2  # d/dW of (y - (Wx + b))²/2
    [r] = check_claims(seed_key(), {"ex5": {"dL_dW": exact_decimal(-gradient)}})
    assert r.verdict == "wrong" and r.diagnosis == "a sign slip: the opposite sign"


def test_diagnosis_population_vs_sample_sigma():
    X = [[5, 20, 10], [15, 5, 25], [10, 30, 15]]
    sample = [rounded(statistics.stdev(col), 3) for col in zip(*X)]
    [r] = check_claims(seed_key(), {"ex3": {"std": sample}})
    assert r.verdict == "wrong" and "sample standard deviation" in r.diagnosis and "population" in r.diagnosis


def test_diagnosis_population_vs_sample_sigma_the_other_way():
    text = SEED_SHEET.read_text().replace("ddof = 0", "ddof = 1")
    X = [[5, 20, 10], [15, 5, 25], [10, 30, 15]]
    population = [rounded(statistics.pstdev(col), 3) for col in zip(*X)]
    [r] = check_claims(key_of(text), {"ex3": {"std": population}})
    assert r.verdict == "wrong" and "population standard deviation" in r.diagnosis


def test_diagnosis_lambda_convention_the_other_way():
    text = SEED_SHEET.read_text().replace('penalty = "l2"', 'penalty = "l2_half"')
    W, lam = [F(1), F(-2), F("0.5")], F("0.01")
    [r] = check_claims(key_of(text), {"ex6": {"dpenalty_dW": [exact_decimal(2 * lam * w) for w in W]}})
    assert r.verdict == "wrong" and "λ vs λ/2 convention" in r.diagnosis
    [r] = check_claims(key_of(text), {"ex6": {"penalty": exact_decimal(lam * sum(w * w for w in W))}})
    assert r.verdict == "wrong" and "λ vs λ/2 convention" in r.diagnosis


def test_diagnosis_base_10_logarithm():
    [r] = check_claims(seed_key(), {"ex7": {"L": rounded(-math.log10(0.4), 3)}})
    assert r.verdict == "wrong" and "base-10" in r.diagnosis
    [r] = check_claims(seed_key(), {"ex2": {"L": rounded(-math.log10(0.5), 3)}})
    assert r.verdict == "wrong" and "base-10" in r.diagnosis


@pytest.mark.parametrize("exercise, name, claim, words", [
    pytest.param("ex5", "dL_dW_numeric", Decimal("0.4"), "ε instead of 2ε", id="epsilon"),
    pytest.param("ex5", "L", Decimal("0.010"), "factor ½", id="half"),
    pytest.param("ex6", "W_new", [Decimal("1.012"), Decimal("-2.044"), Decimal("0.521")], "along the gradient",
                 id="ascent"),
    pytest.param("ex7", "dL_dz", Decimal("-2.5"), "derivative is missing", id="output-derivative"),
    pytest.param("ex4", "sigmoid_prime", [Decimal("0.119"), Decimal("0.269"), Decimal("0.5"), Decimal("0.731"),
                                           Decimal("0.881")], "not its derivative", id="function-for-derivative"),
])
def test_more_named_mistakes(exercise, name, claim, words):
    [r] = check_claims(seed_key(), {exercise: {name: claim}})
    assert r.verdict == "wrong" and words in r.diagnosis


def test_named_mistake_values_are_independent_checks():
    """The claims of the parametrized cases above, computed here."""
    L = lambda w: (1 - (w * 2 + F("0.1"))) ** 2 / 2
    assert (L(F("0.5001")) - L(F("0.4999"))) / F("0.0001") == F("0.4")
    assert 2 * L(F("0.5")) == F("0.01")
    W, G = [F(1), F(-2), F("0.5")], [F("0.1"), F("-0.4"), F("0.2")]
    assert [w + F("0.1") * (g + 2 * F("0.01") * w) for w, g in zip(W, G)] == [F("1.012"), F("-2.044"), F("0.521")]
    assert -1 / F("0.4") == F("-2.5")


def test_forward_bias_and_weight_mistakes():
    [r] = check_claims(key_of(FORWARD_BATCH), {"ex1": {"Z": decimals(forward_z(transposed_weights=True))}})
    assert r.verdict == "wrong" and "weights were used transposed" in r.diagnosis
    [r] = check_claims(key_of(FORWARD_BATCH), {"ex1": {"Z": decimals(forward_z())}})
    assert r.verdict == "correct"
    W, x = [[F("0.2"), F("0.8")], [F("0.4"), F("0.3")]], [F(1), F("0.5")]
    no_bias = [sum(w * v for w, v in zip(row, x)) for row in W]
    [r] = check_claims(seed_key(), {"ex1": {"Z": [exact_decimal(v) for v in no_bias]}})
    assert r.verdict == "wrong" and r.diagnosis == "the bias b was not added"


def test_he_variance_for_standard_deviation():
    text = """
[[exercise]]
kind = "error_analysis"
y = 0
y_hat = 0.25
loss = "bce"
[[exercise.layers]]
W = [[0.1, 0.2, 0.3, 0.4]]
activation = "sigmoid"
"""
    [r] = check_claims(key_of(text), {"ex1": {"he_std1": exact_decimal(F(2, 4))}})
    assert r.verdict == "wrong" and "variance" in r.diagnosis
    [r] = check_claims(key_of(text), {"ex1": {"he_std1": rounded(math.sqrt(2 / 4), 4)}})
    assert r.verdict == "rounding"


def test_unexplained_wrong_value_has_no_diagnosis():
    [r] = check_claims(seed_key(), {"ex1": {"Z": [Decimal("0.8"), Decimal("0.65")]}})
    assert r.verdict == "wrong" and r.diagnosis is None
    assert r.explanation == "Entry 1 is 0.8 but the exact value is 0.7."


# ---------------------------------------------------------------------------
# Claims in every accepted form, and the library entry point.


def test_vector_orientation_and_scalars_in_any_form():
    key = seed_key()
    forms = [[Decimal("0.7"), Decimal("0.65")], [[Decimal("0.7")], [Decimal("0.65")]],
             [[Decimal("0.7"), Decimal("0.65")]]]
    assert [check_claims(key, {"ex1": {"Z": f}})[0].verdict for f in forms] == ["correct"] * 3
    assert check_claims(key, {"ex2": {"A2": [Decimal("0.5")]}})[0].verdict == "correct"
    assert check_claims(key, {"ex2": {"A2": [[Decimal("0.5")]]}})[0].verdict == "correct"


def test_check_answers_accepts_floats_ints_and_fractions():
    results = check_answers(load_sheet(), {"ex5": {"L": 0.005, "dL_dW": F(1, 5), "y_hat": 1.1}, "ex1": {"A": [0.7, 0.65]}})
    assert [(r.exercise, r.quantity, r.verdict) for r in results] == [
        ("ex1", "A", "correct"), ("ex5", "y_hat", "correct"), ("ex5", "L", "correct"), ("ex5", "dL_dW", "correct")]


# ---------------------------------------------------------------------------
# Command line: JSON, tables, exit codes, bad input, many files.


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_json_output_schema(capsys):
    code, out, err = run(capsys, SEED_SHEET, SEED_ANSWERS, "--json")
    assert code == 1 and err == ""
    data = json.loads(out)
    assert list(data) == ["results"]
    for item in data["results"]:
        assert list(item) == ["exercise", "quantity", "verdict", "claimed", "exact", "value", "diagnosis"]
        assert isinstance(item["exercise"], str) and isinstance(item["quantity"], str)
        assert item["verdict"] in VERDICTS and isinstance(item["exact"], str)
        assert item["diagnosis"] is None or isinstance(item["diagnosis"], str)
    by = {(i["exercise"], i["quantity"]): i for i in data["results"]}
    assert by["ex6", "W_new"]["claimed"] == [0.989, -1.958, 0.4795]
    assert by["ex3", "mean"]["claimed"] == [10, 18.33, 16.67]
    assert by["ex2", "L"] == {"exercise": "ex2", "quantity": "L", "verdict": "rounding", "claimed": 0.693,
                              "exact": "log(2)", "value": math.log(2), "diagnosis": None}


def test_table_output_and_colour_only_when_asked(capsys, tmp_path):
    good = write(tmp_path, "good.toml", "[ex1]\nZ = [0.7, 0.65]\nA = [0.7, 0.65]\n")
    code, out, _ = run(capsys, SEED_SHEET, good)
    assert code == 0 and "\x1b[" not in out
    assert out.splitlines()[0].split() == ["exercise", "quantity", "verdict", "explanation"]
    assert out.splitlines()[-1] == "2 quantities checked: 2 correct"
    code, out, _ = run(capsys, SEED_SHEET, good, "--color", "always")
    assert "\x1b[32mcorrect\x1b[0m" in out


def test_exit_codes(capsys, tmp_path):
    good = write(tmp_path, "good.toml", "[ex6]\npenalty = 0.0525\n")
    rounding = write(tmp_path, "rounding.toml", "[ex7]\nL = 0.916\n")
    wrong = write(tmp_path, "wrong.toml", "[ex7]\nL = 0.398\n")
    assert run(capsys, SEED_SHEET, good)[0] == 0
    assert run(capsys, SEED_SHEET, rounding)[0] == 0
    assert run(capsys, SEED_SHEET, wrong)[0] == 1
    assert run(capsys, SEED_SHEET, good, rounding)[0] == 0
    assert run(capsys, SEED_SHEET, good, wrong)[0] == 1


BAD = [
    pytest.param(None, "no such file", id="missing"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "not a UTF-8 text file", id="binary"),
    pytest.param("[ex1\nZ = 1\n", "TOML syntax error", id="toml-syntax"),
    pytest.param("", "no claims", id="empty"),
    pytest.param("[ex9]\nZ = 1\n", "unknown exercise 'ex9'; exercises of this sheet: ex1, ex2, ex3, ex4, ex5, ex6, ex7",
                 id="unknown-exercise"),
    pytest.param("[ex3]\nsigma = [1, 2, 3]\n",
                 "[ex3] unknown quantity 'sigma'; quantities of ex3: X_min, X_max, X_minmax, mean, std, X_std",
                 id="unknown-quantity"),
    pytest.param("[ex3]\nX_std = [[1, 2], [3, 4]]\n", "[ex3] X_std: the claim is 2×2 but X_std is 3×3",
                 id="shape"),
    pytest.param("[ex1]\nZ = [0.7, 0.65, 1]\n", "[ex1] Z: a list of 3 numbers is claimed but Z is 2×1", id="length"),
    pytest.param("[ex6]\nW_new = 1.0\n", "[ex6] W_new: a single number is claimed but W_new is 3×1", id="scalar"),
    pytest.param("[ex3]\nX_std = [[1, 2, 3], [3, 4], [1, 2, 3]]\n", "row 2 has 2 entries but row 1 has 3",
                 id="ragged"),
    pytest.param('[ex1]\nZ = [0.7, "0.65"]\n', "[ex1] Z[2] must be a number, got the text '0.65'", id="text"),
    pytest.param("[ex1]\nZ = [0.7, true]\n", "[ex1] Z[2] must be a number, got bool True", id="bool"),
    pytest.param("[ex2]\nL = nan\n", "[ex2] L must be a finite number, got NaN", id="nan"),
    pytest.param("[ex2]\nL = 1e400\n", "larger exponent than symnn checks", id="huge"),
    pytest.param("ex1 = 3\n", "ex1 must be a table [ex1] of claimed quantities", id="not-a-table"),
]


@pytest.mark.parametrize("content, message", BAD)
def test_bad_input_is_one_line_exit_2(capsys, tmp_path, content, message):
    path = tmp_path / "answers.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, SEED_SHEET, path)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"symnn: error: {path}")


def test_bad_spec_and_bad_jobs(capsys, tmp_path):
    code, _, err = run(capsys, tmp_path / "nope.toml", SEED_ANSWERS)
    assert code == 2 and "no such file" in err
    code, _, err = run(capsys, SEED_SHEET, SEED_ANSWERS, "--jobs", "0")
    assert code == 2 and "--jobs must be at least 1" in err


def test_bad_file_among_many_is_reported_and_the_rest_checked(capsys, tmp_path):
    bad = write(tmp_path, "bad.toml", "[ex1]\nZ = 'x'\n")
    code, out, err = run(capsys, SEED_SHEET, SEED_ANSWERS, bad)
    assert code == 2
    rows = out.splitlines()
    assert rows[1].split()[1:] == ["18", "9", "1", "2", "wrong"]
    assert rows[2].split() == [str(bad), "-", "-", "-", "-", "error"]
    assert err == f"symnn: error: {bad}: [ex1] Z must be a number, got the text 'x'\n"


def class_of_submissions(tmp_path: Path) -> list[Path]:
    texts = [SEED_ANSWERS.read_text(), "[ex1]\nZ = [0.7, 0.65]\n", "[ex7]\nL = 0.398\n",
             "[ex2]\nZ1 = [0.01, -0.18]\nA1 = [0.01, 0]\n", "[ex3]\nstd = [5, 12.583, 7.638]\n", "[ex4]\nrelu = 1\n"]
    return [write(tmp_path, f"s{i}.toml", t) for i, t in enumerate(texts * 2)]


def test_many_files_give_one_summary_table(capsys, tmp_path):
    paths = class_of_submissions(tmp_path)
    code, out, err = run(capsys, SEED_SHEET, *paths)
    lines = out.splitlines()
    assert lines[0].split() == ["file", "correct", "rounding", "carried", "forward", "wrong", "worst"]
    assert len(lines) == 1 + len(paths) + 1
    assert lines[2].split() == [str(paths[1]), "1", "0", "0", "0", "correct"]
    assert lines[-1] == "12 files: 2 without a wrong answer, 8 with wrong answers, 2 not checked (errors on stderr)"
    assert code == 2 and err.count("\n") == 2  # s5 twice: relu is 1×5, not a single number


@pytest.mark.parametrize("extra", [(), ("--json",), ("--details",)])
def test_jobs_2_gives_the_same_output_as_jobs_1(capsys, tmp_path, extra):
    paths = class_of_submissions(tmp_path)
    one = run(capsys, SEED_SHEET, *paths, "--jobs", "1", *extra)
    two = run(capsys, SEED_SHEET, *paths, "--jobs", "2", *extra)
    assert one == two
    if extra == ("--json",):
        files = json.loads(one[1])["files"]
        assert [f["file"] for f in files] == [str(p) for p in paths]


def test_output_is_deterministic(capsys):
    assert run(capsys, SEED_SHEET, SEED_ANSWERS) == run(capsys, SEED_SHEET, SEED_ANSWERS)


def test_bad_input_from_python_raises_our_errors():
    key = seed_key()
    with pytest.raises(ShapeError):
        check_claims(key, {"ex1": {"Z": [[1, 2], [3, 4]]}})
    with pytest.raises(SpecError):
        check_claims(key, {"ex1": {"Z": None}})
    with pytest.raises(SymnnError):
        check_claims(key, ["ex1"])  # type: ignore[arg-type]
