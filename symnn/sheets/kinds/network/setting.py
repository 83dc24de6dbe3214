"""The exact values of a network exercise, from the one network engine over SymPy matrices.

Layer weights are (outputs x inputs): Z_l = W_l A_(l-1) + b_l and A_l = f_l(Z_l), one
column per sample.  Every value comes from :mod:`symnn.library.engine` (its
:data:`~symnn.library.engine.SYMBOLIC` domain); this module only reads the spec into the
engine's terms (:class:`Setting`, :data:`Params`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import sympy as sp

from symnn.core.calculus import (
    LOSSES,
    Loss,
    default_reduction,
)
from symnn.library import engine
from symnn.library.engine import SYMBOLIC, LayerRule, Objective, layer_rule
from symnn.sheets.build import exact, to_matrix
from symnn.sheets.fields import Layer
from symnn.sheets.kinds.network.data import DenseNetwork
from symnn.sheets.spec import ExerciseSpec

Matrix: TypeAlias = sp.ImmutableMatrix


Params: TypeAlias = engine.Params[Matrix]


Rule = LayerRule
"""How one layer activates (the engine's :class:`~symnn.library.engine.LayerRule`)."""


def rule_of(layer: Layer) -> Rule:
    """The activation rule of a spec layer."""
    return layer_rule(layer.activation, layer.formula, exact(layer.alpha) if layer.alpha is not None else None)


@dataclass(frozen=True, slots=True)
class Setting:
    """Everything about a network exercise except its parameters."""

    X: Matrix
    """Inputs, one column per sample."""
    Y: Matrix
    """Targets, one column per sample (one-hot for cross-entropy)."""
    rules: tuple[Rule, ...]
    """Activation rule per layer."""
    loss: Loss
    """The loss."""
    reduction: str
    """``"sum"`` or ``"mean"`` over the samples of a batch."""
    learning_rate: sp.Basic | None
    """η, or None when no gradient-descent step is asked for."""
    steps: int | None
    """Number of gradient-descent steps whose losses are asked for (None: one step, no loss after it)."""
    update_biases: bool
    """Whether biases take part in the gradient-descent steps."""

    @property
    def samples(self) -> int:
        return int(self.X.cols)

    @property
    def objective(self) -> Objective:
        """The loss and its reduction (a softmax delta in SymPy's fully simplified form, as shown)."""
        return Objective(self.loss, self.reduction, simplified_softmax=True)

    @property
    def net(self) -> engine.Network[Matrix]:
        """The engine's view: inputs, targets, rules and objective."""
        return engine.Network(self.X, self.Y, self.rules, self.objective)

    @property
    def scale(self) -> sp.Rational:
        """The factor of every output delta: 1/n for a mean over outputs, 1/m for a mean over samples."""
        return self.objective.scale(int(self.Y.rows), self.samples)


def setting_of(spec: ExerciseSpec[DenseNetwork]) -> tuple[Setting, Params]:
    """The exact setting and initial parameters of a network exercise."""
    f = spec.data
    setting = Setting(
        X=to_matrix(f.x), Y=to_matrix(f.y), rules=tuple(rule_of(layer) for layer in f.layers),
        loss=LOSSES[f.loss], reduction=f.reduction or default_reduction(f.loss),
        learning_rate=exact(f.learning_rate) if f.learning_rate is not None else None, steps=f.steps,
        update_biases=f.update_biases)
    params = engine.Params(tuple(to_matrix(layer.W) for layer in f.layers),
                           tuple(to_matrix(layer.b) if layer.b is not None else None for layer in f.layers))
    return setting, params


def forward_values(setting: Setting, params: Params) -> tuple[list[Matrix], list[Matrix]]:
    """Pre-activations Z_1…Z_L and activations A_0 = x, A_1…A_L."""
    values = setting.net.forward(SYMBOLIC, params)
    return values.Zs, values.As


def loss_value(setting: Setting, out: Matrix) -> sp.Basic:
    """The batch loss: the samples' losses summed or averaged."""
    return setting.net.loss(SYMBOLIC, out)


def output_delta_values(setting: Setting, Z: Matrix, A: Matrix) -> Matrix:
    """∂L/∂Z of the output layer, entry by entry, from SymPy's simplified rule."""
    return engine.output_delta(SYMBOLIC, setting.objective, setting.rules[-1], Z, A, setting.Y)


def backward_values(setting: Setting, params: Params, Zs: list[Matrix], As: list[Matrix]) -> list[Matrix]:
    """δ_1…δ_L, from the output back."""
    return setting.net.deltas(SYMBOLIC, params, engine.Pass(Zs, As))


def weight_gradient(delta: Matrix, A_prev: Matrix) -> Matrix:
    """∂L/∂W = δ A_prev^T (summing over the samples)."""
    return engine.weight_gradient(SYMBOLIC, delta, A_prev)


def bias_gradient(delta: Matrix) -> Matrix:
    """∂L/∂b = δ's columns summed (one per sample)."""
    return engine.bias_gradient(SYMBOLIC, delta)


def descend(setting: Setting, params: Params, deltas: Sequence[Matrix], As: Sequence[Matrix]) -> Params:
    """One gradient-descent step: every parameter minus η times its gradient."""
    assert setting.learning_rate is not None
    return engine.descend(SYMBOLIC, params, deltas, As, setting.learning_rate, setting.update_biases)


def stays_rational(setting: Setting) -> bool:
    """Whether every value of every step is a rational number (so many exact steps stay cheap)."""
    return setting.loss.name in ("half_sse", "sse", "mse") and all(r.stays_rational for r in setting.rules)
