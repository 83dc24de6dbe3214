"""The worked solution of a network exercise: forward pass, loss, backpropagation, gradients, steps."""

from __future__ import annotations

import sympy as sp

from symnn.errors import SpecError
from symnn.sheets.build import Builder
from symnn.sheets.kinds.network.data import DenseNetwork
from symnn.sheets.kinds.network.derivation import show_backward, show_forward, show_gradients, show_loss
from symnn.sheets.kinds.network.setting import setting_of
from symnn.sheets.kinds.network.training import show_training
from symnn.sheets.kinds.network.writing import shown
from symnn.sheets.pictures import network_figure
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.steps import Derivation


def solve_network(spec: ExerciseSpec[DenseNetwork]) -> Derivation:
    """Forward pass, loss, backpropagation and (optionally) gradient-descent steps."""
    try:
        return _solve_network(spec)
    except SpecError as exc:
        raise type(exc)(f"{spec.where}: exercise {spec.id} (network): {exc}") from None


def _solve_network(spec: ExerciseSpec[DenseNetwork]) -> Derivation:
    setting, params = setting_of(spec)
    limit = spec.data.expand
    b = Builder(spec, "Backpropagation")
    b.scalars = setting.Y.shape == (1, 1)  # one output, one sample: the target and output are numbers
    Zs, As = show_forward(b, setting, params, limit)
    show_loss(b, setting, As[-1], spec.data.y_classes, limit, Z=Zs[-1])
    deltas = show_backward(b, setting, params, Zs, As, limit)
    b.step(network_figure(f"{spec.id}_network", params.Ws, As, deltas, params.bs))  # issue 15: the network drawn
    gradients = show_gradients(b, setting, params, deltas, As, limit)
    n_layers = len(params.Ws)
    summary = [*(f"A{l}" for l in range(1, n_layers + 1)), "L", *gradients]
    if setting.learning_rate is not None:
        summary += show_training(b, setting, params, deltas, As, limit)
    return b.done([q for q in summary if shown(_recorded(b, q))])


def _recorded(b: Builder, name: str) -> sp.Basic:
    """The recorded value of a quantity (for choosing what the final results list)."""
    for q in b.quantities:
        if q.name == name:
            return q.exact
    raise KeyError(name)
