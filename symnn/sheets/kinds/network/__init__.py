"""Kind ``network``: forward pass, loss, backpropagation and gradient-descent steps of a dense network.

* :mod:`~symnn.sheets.kinds.network.setting` — the exercise in the engine's terms, and its exact values
  (:mod:`symnn.library.engine` over SymPy matrices);
* :mod:`~symnn.sheets.kinds.network.writing` — one layer as steps (shared with kind ``forward``);
* :mod:`~symnn.sheets.kinds.network.derivation` — the first pass written out;
* :mod:`~symnn.sheets.kinds.network.training` — gradient-descent steps, exact or certified.
"""

from __future__ import annotations

import sympy as sp

from symnn.errors import SpecError
from symnn.sheets.build import Builder
from symnn.sheets.kinds.network.derivation import show_backward, show_forward, show_gradients, show_loss
from symnn.sheets.kinds.network.setting import (
    Matrix,
    Params,
    Rule,
    Setting,
    backward_values,
    bias_gradient,
    descend,
    forward_values,
    loss_value,
    output_delta_values,
    rule_of,
    setting_of,
    stays_rational,
    weight_gradient,
)
from symnn.sheets.kinds.network.training import show_training
from symnn.sheets.kinds.network.writing import (
    define_activation,
    show_activation,
    show_rule_definitions,
    show_weighted_sum,
    shown,
)
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.steps import Derivation

__all__ = ["Matrix", "Params", "Rule", "Setting", "backward_values", "bias_gradient", "define_activation", "descend",
           "forward_values", "loss_value", "output_delta_values", "rule_of", "setting_of",
           "show_activation", "show_rule_definitions", "show_weighted_sum", "shown", "solve_network", "stays_rational",
           "weight_gradient"]


def solve_network(spec: ExerciseSpec) -> Derivation:
    """Forward pass, loss, backpropagation and (optionally) gradient-descent steps."""
    try:
        return _solve_network(spec)
    except SpecError as exc:
        raise type(exc)(f"{spec.where}: exercise {spec.id} (network): {exc}") from None


def _solve_network(spec: ExerciseSpec) -> Derivation:
    f = spec.fields
    setting, params = setting_of(spec)
    limit: tuple[int, int] = f.get("expand", (4, 4))
    b = Builder(spec, "Backpropagation")
    Zs, As = show_forward(b, setting, params, limit)
    show_loss(b, setting, As[-1], f.get("y_classes"), limit)
    deltas = show_backward(b, setting, params, Zs, As, limit)
    gradients = show_gradients(b, setting, params, deltas, As, limit)
    n_layers = len(params.Ws)
    summary = [*(f"A{l}" for l in range(1, n_layers + 1)), "L", *gradients]
    if setting.learning_rate is not None:
        summary += show_training(b, setting, params, deltas, As, limit)
    return b.done([q for q in summary if shown(b_value(b, q))])


def b_value(b: Builder, name: str) -> sp.Basic:
    """The recorded value of a quantity (for choosing what the final results list)."""
    for q in b.quantities:
        if q.name == name:
            return q.exact
    raise KeyError(name)
