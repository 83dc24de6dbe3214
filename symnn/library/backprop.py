"""The library's exact and certified gradients, as strategies over the one network engine.

The network itself — forward pass, output delta, chain rule, gradients — is
:mod:`symnn.library.engine`; this module chooses the domain and keeps exact work cheap:

* ``QQ`` :class:`DomainMatrix` (flint ``fmpq_mat`` underneath) while every value is
  rational — identity, ReLU and leaky-ReLU layers with rational weights;
* ``EXRAW`` :class:`DomainMatrix` (SymPy expressions) once a value is transcendental or
  symbolic, e.g. after a sigmoid;
* ``arb_mat`` balls for certified decimals, starting from the exact rational prefix so
  that a ReLU kink is never judged on a rounded number.

When only the output layer (and the loss) is transcendental, every gradient is a
combination ``Σ δ_k R_k`` of the output errors δ_k with *rational* matrices R_k, so the
R_k are computed over ``QQ`` at full speed and the δ_k kept exact (:class:`Factored`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

import flint
import sympy as sp
from sympy import EXRAW, QQ
from sympy.polys.matrices import DomainMatrix

from symnn.core.formula import Formula
from symnn.library import engine
from symnn.library.engine import BALL_DOMAIN, EXACT, LayerRule, Objective
from symnn.library.engine.domains.balls import ball
from symnn.library.engine.domains.exact import to_expr

__all__ = ["FACTOR_LIMIT", "Factored", "Gradient", "LayerLike", "RationalPrefix", "ball_gradients", "ball_loss",
           "ball_outputs", "explicit", "forward", "gradients", "lift", "parameter_names", "rational_prefix",
           "rules_of", "to_expr"]

FACTOR_LIMIT = 16
"""Most output errors for which gradients are kept as ``Σ δ_k R_k`` with rational R_k."""


class LayerLike(Protocol):
    """What the engine reads from a layer (:class:`symnn.library.network.Dense`)."""

    @property
    def W(self) -> DomainMatrix: ...

    @property
    def b(self) -> DomainMatrix | None: ...

    @property
    def activation(self) -> str: ...

    @property
    def alpha(self) -> Any: ...

    @property
    def formula(self) -> Formula | None: ...


@dataclass(frozen=True, slots=True)
class Factored:
    """An exact gradient written as Σ coefficient_k · matrix_k with rational matrices."""

    terms: tuple[tuple[sp.Expr, DomainMatrix], ...]
    """(exact scalar, ``QQ`` matrix) pairs."""


Gradient: TypeAlias = "DomainMatrix | Factored"
"""An exact gradient: one matrix (``QQ`` or ``EXRAW``) or a factored sum."""
Pass: TypeAlias = engine.Pass[DomainMatrix]


def rules_of(layers: Sequence[LayerLike]) -> tuple[LayerRule, ...]:
    """The engine's rule of each layer."""
    return tuple(engine.layer_rule(layer.activation, layer.formula, None if layer.alpha is None else to_expr(layer.alpha))
                 for layer in layers)


def _params(layers: Sequence[LayerLike]) -> engine.Params[DomainMatrix]:
    return engine.Params(tuple(layer.W for layer in layers), tuple(layer.b for layer in layers))


def parameter_names(layers: Sequence[LayerLike]) -> list[str]:
    """``W1, b1, W2, b2, ...`` in layer order (no b for a layer without bias)."""
    return [name for i, layer in enumerate(layers, start=1)
            for name in (f"W{i}", f"b{i}")[: 1 if layer.b is None else 2]]


# ---------------------------------------------------------------------------
# Exact passes.


def forward(layers: Sequence[LayerLike], x: DomainMatrix) -> Pass:
    """Exact forward pass: every layer's pre-activation and activation."""
    return engine.forward(EXACT, rules_of(layers), _params(layers), x)


def _backward(layers: Sequence[LayerLike], rules: Sequence[LayerRule], values: Pass,
              delta: DomainMatrix) -> dict[str, DomainMatrix]:
    params = _params(layers)
    deltas = engine.backward(EXACT, rules, params.Ws, values.Zs, delta)
    return engine.gradients(EXACT, params, deltas, values.As)


def _rational_below_output(layers: Sequence[LayerLike], rules: Sequence[LayerRule], values: Pass) -> bool:
    """Whether everything the backward pass multiplies δ_L by is rational."""
    return (all(layer.W.domain == QQ for layer in layers)
            and all(a.domain == QQ for a in values.As[:-1])
            and all(z.domain == QQ for z in values.Zs[:-1])
            and all(EXACT.stays_rational(rule) for rule in rules[:-1]))


def gradients(layers: Sequence[LayerLike], x: DomainMatrix, y: DomainMatrix,
              objective: Objective) -> dict[str, Gradient]:
    """Exact gradients: rational, factored Σ δ_k R_k, or SymPy expressions."""
    rules = rules_of(layers)
    values = engine.forward(EXACT, rules, _params(layers), x)
    delta = engine.output_delta(EXACT, objective, rules[-1], values.Zs[-1], values.As[-1], y)
    if delta.domain == QQ:
        return dict(_backward(layers, rules, values, delta))
    nonzero = [(k, v) for k, v in enumerate(delta.to_list_flat()) if v != 0]
    if len(nonzero) <= FACTOR_LIMIT and _rational_below_output(layers, rules, values):
        return _factored_gradients(layers, rules, values, delta.shape, nonzero)
    return dict(_backward(layers, rules, values, delta))


def _factored_gradients(layers: Sequence[LayerLike], rules: Sequence[LayerRule], values: Pass,
                        shape: tuple[int, int], nonzero: list[tuple[int, sp.Expr]]) -> dict[str, Gradient]:
    names = parameter_names(layers)
    if not nonzero:
        return {name: _zeros_like(layers, name) for name in names}
    terms: dict[str, list[tuple[sp.Expr, DomainMatrix]]] = {name: [] for name in names}
    for k, coefficient in nonzero:
        unit = DomainMatrix.from_list_flat(
            [QQ.one if i == k else QQ.zero for i in range(shape[0] * shape[1])], shape, QQ)
        for name, matrix in _backward(layers, rules, values, unit).items():
            terms[name].append((coefficient, matrix))
    return {name: Factored(tuple(terms[name])) for name in names}


def _zeros_like(layers: Sequence[LayerLike], name: str) -> DomainMatrix:
    layer = layers[int(name[1:]) - 1]
    matrix = layer.W if name[0] == "W" else layer.b
    assert matrix is not None  # names come from the layers themselves
    return DomainMatrix.zeros(matrix.shape, QQ)


def explicit(gradient: Gradient) -> DomainMatrix:
    """A gradient as one matrix of exact entries (SymPy expressions when not rational)."""
    if isinstance(gradient, DomainMatrix):
        return gradient
    total: DomainMatrix | None = None
    for coefficient, matrix in gradient.terms:
        term = matrix.convert_to(EXRAW) * coefficient
        total = term if total is None else total + term
    assert total is not None  # Factored always has at least one term
    return total


# ---------------------------------------------------------------------------
# Certified (ball) passes, continuing an exact rational prefix.


def lift(matrix: DomainMatrix | Any) -> Any:
    """An exact matrix as an ``arb_mat`` at the current precision (balls pass through)."""
    if isinstance(matrix, flint.arb_mat):
        return matrix
    if matrix.domain == QQ:
        rep = matrix.to_dense().rep
        if hasattr(rep, "rep") and isinstance(rep.rep, flint.fmpq_mat):
            return flint.arb_mat(rep.rep)
    return flint.arb_mat([[ball(v) for v in row] for row in matrix.to_list()])


@dataclass(frozen=True, slots=True)
class RationalPrefix:
    """The part of a forward pass that is exactly rational, computed once."""

    values: Pass
    """Pre-activations and activations (A_0 … A_r) of the first ``rational_layers`` layers, exact."""
    rational_layers: int
    """How many leading layers have a rational input, pre-activation and output."""
    next_pre_activation: DomainMatrix | None
    """The first non-rational layer's pre-activation when still rational (None otherwise)."""

    @property
    def next_input(self) -> DomainMatrix:
        """The (rational) input of the first non-rational layer, or the output."""
        return self.values.As[-1]


def rational_prefix(layers: Sequence[LayerLike], x: DomainMatrix) -> RationalPrefix:
    """Run the forward pass over QQ for as long as every value stays rational."""
    rules = rules_of(layers)
    values: Pass = engine.Pass([], [x])
    for layer, rule in zip(layers, rules):
        a = values.As[-1]
        rational_params = layer.W.domain == QQ and (layer.b is None or layer.b.domain == QQ)
        z = engine.affine(EXACT, layer.W, a, layer.b) if rational_params and a.domain == QQ else None
        if z is None or not EXACT.stays_rational(rule):
            return RationalPrefix(values, len(values.Zs), z)
        values.Zs.append(z)
        values.As.append(engine.activate(EXACT, rule, z))
    return RationalPrefix(values, len(values.Zs), None)


def ball_forward(layers: Sequence[LayerLike], prefix: RationalPrefix) -> engine.Pass[Any]:
    """Continue the forward pass in balls."""
    rules = rules_of(layers)
    Zs = [lift(z) for z in prefix.values.Zs]
    As = [lift(a) for a in prefix.values.As]
    for index in range(prefix.rational_layers, len(layers)):
        layer = layers[index]
        exact_z = prefix.next_pre_activation if index == prefix.rational_layers else None
        z = lift(exact_z) if exact_z is not None else engine.affine(
            BALL_DOMAIN, lift(layer.W), As[-1], None if layer.b is None else lift(layer.b))
        Zs.append(z)
        As.append(engine.activate(BALL_DOMAIN, rules[index], z))
    return engine.Pass(Zs, As)


def ball_outputs(layers: Sequence[LayerLike], prefix: RationalPrefix) -> Any:
    """The network's output as balls at the current precision."""
    return ball_forward(layers, prefix).As[-1]


def ball_gradients(layers: Sequence[LayerLike], prefix: RationalPrefix, y: DomainMatrix,
                   objective: Objective) -> dict[str, Any]:
    """Gradients as ``arb_mat`` balls at the current precision.

    The slopes of the rational prefix are exact (lifted), so no ball ever meets ReLU's kink.
    """
    rules = rules_of(layers)
    values = ball_forward(layers, prefix)
    delta = engine.output_delta(BALL_DOMAIN, objective, rules[-1], values.Zs[-1], values.As[-1], lift(y))
    slopes = [lift(engine.slope(EXACT, rule, z)) for rule, z in zip(rules, prefix.values.Zs)]
    # The backward pass reads W_2 … W_L only, and the gradients only whether a layer has a bias:
    # W_1 (often the largest) and the biases are never lifted to balls.
    params = engine.Params((layers[0].W, *(lift(layer.W) for layer in layers[1:])),
                           tuple(layer.b for layer in layers))
    deltas = engine.backward(BALL_DOMAIN, rules, params.Ws, values.Zs, delta, slopes)
    return engine.gradients(BALL_DOMAIN, params, deltas, values.As)


def ball_loss(objective: Objective, output: Any, y: DomainMatrix) -> Any:
    """The loss value as a ball."""
    return engine.loss_value(BALL_DOMAIN, objective, lift(y), output)
