"""Kind ``forward``: one dense layer, its weighted sum and activation, written out.

The values are the network engine's (:mod:`symnn.library.engine`); the steps are the
network kind's layer steps (:mod:`symnn.sheets.kinds.network.writing`).
"""

from __future__ import annotations

from symnn.sheets.build import Builder, to_matrix
from symnn.sheets.kinds.network.setting import rule_of
from symnn.sheets.kinds.network.writing import show_activation, show_rule_definitions, show_weighted_sum, shown
from symnn.sheets.spec import ExerciseSpec, Layer
from symnn.sheets.steps import Derivation


def solve_forward(spec: ExerciseSpec) -> Derivation:
    """A single dense layer: weighted sum and activation."""
    f = spec.fields
    b = Builder(spec, "Forward pass")
    rule = rule_of(Layer(f["W"], f.get("b"), f["activation"], f.get("alpha"), f.get("formula")))
    W, X = to_matrix(f["W"]), to_matrix(f["X"])
    bias = to_matrix(f["b"]) if f.get("b") is not None else None
    limit = f.get("expand", (4, 4))
    b.heading("Weighted sum")
    b.say("Each output is the weighted sum of the inputs plus its bias: row i of W times the input, "
          f"plus entry i of b. W is {W.rows}×{W.cols} and X is {X.rows}×{X.cols}, so Z is {W.rows}×{X.cols}.")
    Z = show_weighted_sum(b, None, W, X, bias, "X", limit)
    b.heading("Activation")
    show_rule_definitions(b, [rule], W.rows)
    A = show_activation(b, None, Z, rule, limit)
    return b.done([n for n, v in (("Z", Z), ("A", A)) if shown(v)])
