"""`symnn check` on softmax/cross-entropy and custom-activation networks.

The checker recomputes these through the one network engine over intervals; the
expected values here are computed independently with ``math`` and fractions from the
given numbers, and claims are rounded as a student would write them.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction as F

from test_check import key_of, rounded

from symnn.verify.check.judge import Result, check_claims

SOFTMAX = """
[[exercise]]
kind = "network"
x = [1, 2]
y = [0, 1, 0]
loss = "cross_entropy"

[[exercise.layers]]
W = [[0.5, -1], [1, 0.5]]
b = [0, 0.5]
activation = "relu"

[[exercise.layers]]
W = [[1, -1], [0.5, 0.2], [-1, 1]]
activation = "softmax"
"""

SOFTSIGN = """
[[exercise]]
kind = "network"
x = [1, 2]
y = 1
loss = "half_sse"

[[exercise.layers]]
W = [[0.5, -1], [1, 0.5]]
b = [0, 0.5]
activation = { formula = "x / (1 + abs(x))", name = "softsign" }

[[exercise.layers]]
W = [[1, -2]]
activation = "identity"
"""


def column(values: list[float | F], places: int = 4) -> list[Decimal]:
    return [rounded(v, places) for v in values]


def by_name(results: list[Result]) -> dict[str, Result]:
    return {r.quantity: r for r in results}


X = [F(1), F(2)]
W1, B1 = [[F("0.5"), F(-1)], [F(1), F("0.5")]], [F(0), F("0.5")]
Z1 = [sum(w * v for w, v in zip(row, X)) + b for row, b in zip(W1, B1)]  # [-3/2, 5/2]


def softmax_values(z1: list[F] = Z1) -> dict[str, list[float]]:
    W2 = [[F(1), F(-1)], [F("0.5"), F("0.2")], [F(-1), F(1)]]
    a1 = [max(v, F(0)) for v in z1]
    z2 = [float(sum(w * v for w, v in zip(row, a1))) for row in W2]
    total = sum(math.exp(v) for v in z2)
    a2 = [math.exp(v) / total for v in z2]
    y = [0, 1, 0]
    d2 = [a - t for a, t in zip(a2, y)]
    back = [sum(float(W2[k][i]) * d2[k] for k in range(3)) for i in range(2)]
    d1 = [b * (1 if z > 0 else 0) for b, z in zip(back, z1)]
    return {"Z2": z2, "A2": a2, "L": [-math.log(a2[1])], "delta2": d2, "back": back, "delta1": d1}


def test_softmax_network_correct_and_rounded():
    v = softmax_values()
    claims = {"A2": column(v["A2"]), "L": rounded(v["L"][0], 4), "delta2": column(v["delta2"]),
              "delta1": column(v["delta1"]), "Z1": [Decimal("-1.5"), Decimal("2.5")]}
    results = by_name(check_claims(key_of(SOFTMAX), {"ex1": claims}))
    assert results["Z1"].verdict == "correct"
    for name in ("A2", "L", "delta2", "delta1"):
        assert results[name].verdict == "rounding", (name, results[name].explanation)


def test_softmax_loss_from_a_rounded_output_is_a_rounding():
    v = softmax_values()
    a2 = column(v["A2"], 2)
    loss = -math.log(float(a2[1]))
    results = by_name(check_claims(key_of(SOFTMAX), {"ex1": {"A2": a2, "L": rounded(loss, 4)}}))
    assert results["A2"].verdict == "rounding"
    assert results["L"].verdict == "rounding"


def test_softmax_carried_forward_from_a_wrong_hidden_layer():
    slipped = [Z1[0], Z1[1] + 1]  # an arithmetic slip in the second entry of Z1
    v = softmax_values(slipped)
    answers = {"ex1": {"Z1": [rounded(z, 4) for z in slipped], "A1": [rounded(max(z, F(0)), 4) for z in slipped],
                       "A2": column(v["A2"]), "L": rounded(v["L"][0], 4)}}
    results = by_name(check_claims(key_of(SOFTMAX), answers))
    assert results["Z1"].verdict == "wrong"
    for name, source in (("A1", "Z1"), ("A2", "A1"), ("L", "A2")):
        assert results[name].verdict == "carried forward", name
        assert results[name].diagnosis == f"follows from your earlier value of {source}"


def test_softmax_named_mistakes():
    v = softmax_values()
    no_bias = [sum(w * x for w, x in zip(row, X)) for row in W1]
    results = by_name(check_claims(key_of(SOFTMAX), {"ex1": {"Z1": [rounded(z, 4) for z in no_bias]}}))
    results |= by_name(check_claims(key_of(SOFTMAX), {"ex1": {"delta1": column(v["back"])}}))
    assert results["Z1"].verdict == "wrong" and results["Z1"].diagnosis == "the bias b was not added"
    assert results["delta1"].verdict == "wrong" and "derivative" in results["delta1"].diagnosis


def softsign_values(z1: list[F] = Z1) -> dict[str, list[F]]:
    a1 = [z / (1 + abs(z)) for z in z1]
    W2 = [F(1), F(-2)]
    a2 = sum(w * a for w, a in zip(W2, a1))
    d2 = a2 - 1
    back = [w * d2 for w in W2]
    slopes = [1 / (1 + abs(z)) ** 2 for z in z1]  # d/dz z/(1+|z|)
    return {"A1": a1, "A2": [a2], "L": [(1 - a2) ** 2 / 2], "delta2": [d2], "back": back,
            "delta1": [b * s for b, s in zip(back, slopes)]}


def test_softsign_network_correct_and_rounded():
    v = softsign_values()
    claims = {"A1": column(v["A1"]), "A2": rounded(v["A2"][0], 4), "L": rounded(v["L"][0], 4),
              "delta1": column(v["delta1"])}
    results = by_name(check_claims(key_of(SOFTSIGN), {"ex1": claims}))
    for name in claims:
        assert results[name].verdict in ("correct", "rounding"), (name, results[name].explanation)
    exact = by_name(check_claims(key_of(SOFTSIGN), {"ex1": {"A1": [Decimal("-0.6"), Decimal("0.7142857")]}}))
    assert exact["A1"].entries[0] == "correct"


def test_softsign_carried_forward_and_named_mistakes():
    slipped = [-Z1[0], Z1[1]]
    v = softsign_values(slipped)
    answers = {"ex1": {"Z1": [rounded(z, 4) for z in slipped], "A1": column(v["A1"]), "A2": rounded(v["A2"][0], 4)}}
    results = by_name(check_claims(key_of(SOFTSIGN), answers))
    assert results["Z1"].verdict == "wrong"
    assert results["A1"].verdict == "carried forward" and results["A2"].verdict == "carried forward"
    right = softsign_values()
    mistakes = by_name(check_claims(key_of(SOFTSIGN), {"ex1": {"delta1": column(right["back"])}}))
    mistakes |= by_name(check_claims(key_of(SOFTSIGN), {"ex1": {"A1": [rounded(z, 4) for z in Z1]}}))
    assert mistakes["delta1"].verdict == "wrong" and "derivative" in mistakes["delta1"].diagnosis
    assert mistakes["A1"].verdict == "wrong" and mistakes["A1"].diagnosis == "the activation was not applied"


FORWARD_SOFTSIGN = """
[[exercise]]
kind = "forward"
W = [[1, 2], [3, -4]]
X = [1, 1]
activation = { formula = "x / (1 + abs(x))", name = "softsign" }
"""


def test_a_custom_activation_in_kind_forward():
    z = [F(1 + 2), F(3 - 4)]
    a = [v / (1 + abs(v)) for v in z]
    key = key_of(FORWARD_SOFTSIGN)
    right = by_name(check_claims(key, {"ex1": {"Z": [rounded(v, 4) for v in z], "A": [rounded(v, 4) for v in a]}}))
    assert right["Z"].verdict == right["A"].verdict == "correct"
    slipped = [z[0], -z[1]]
    carried = by_name(check_claims(key, {"ex1": {"Z": [rounded(v, 4) for v in slipped],
                                                 "A": [rounded(v / (1 + abs(v)), 4) for v in slipped]}}))
    assert carried["Z"].verdict == "wrong" and carried["A"].verdict == "carried forward"
    [raw] = check_claims(key, {"ex1": {"A": [rounded(v, 4) for v in z]}})
    assert raw.verdict == "wrong" and raw.diagnosis == "the activation was not applied"
