"""Check recipes of kind ``network`` (and the layer rules kind ``forward`` shares): the engine over intervals.

``symnn check`` recomputes each quantity from the student's own earlier values; every
recomputation here is one primitive of the network engine (:mod:`symnn.library.engine`)
run over rigorous rational intervals (:class:`~symnn.library.engine.IntervalDomain`), so
softmax, cross-entropy and custom activations are checked like every other layer.  The
named mistakes are the same primitives with one step left out or changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from symnn.core import interval as iv
from symnn.core.formula import Formula
from symnn.core.interval import IMatrix
from symnn.library import engine
from symnn.library.engine import BASE10_DOMAIN, LayerRule, Objective, layer_rule
from symnn.library.engine import INTERVAL_DOMAIN as D
from symnn.sheets.build import exact
from symnn.sheets.kinds.network.data import DenseNetwork
from symnn.sheets.recipes import BASE10, NO_ACTIVATION, NO_DERIVATIVE, Earlier, Programs, Recipes


def layer_of(activation: str, formula: Formula | None, alpha: Fraction | None) -> LayerRule:
    """The engine's rule of a spec layer (built-in, softmax, or custom formula)."""
    return layer_rule(activation, formula, None if alpha is None else exact(alpha))


def loss_value(objective: Objective, Y: IMatrix, A: IMatrix, log_base: int | None = None) -> IMatrix:
    """The loss as a 1×1 interval matrix; ``log_base=10`` recomputes a base-10 slip."""
    return iv.scalar(engine.loss_value(BASE10_DOMAIN if log_base == 10 else D, objective, Y, A))


def layer_rules(r: Recipes, l: int | None, W: IMatrix, b: IMatrix | None,
                 rule: LayerRule, prev: str | None, A_given: IMatrix) -> None:
    """Z = W A_prev + b and A = f(Z) for the layer ``l`` (None: the one-layer kind)."""
    tag = "" if l is None else str(l)
    Z, A = f"Z{tag}", f"A{tag}"

    def a_prev(v: Earlier) -> IMatrix:
        return v[prev] if prev is not None else A_given

    needs = (prev,) if prev is not None else ()
    if prev is not None:
        r.rule(Z, needs, lambda v: engine.affine(D, W, a_prev(v), b))
    r.rule(A, (Z,), lambda v: engine.activate(D, rule, v[Z]))
    if b is not None:
        r.mistake(Z, needs, lambda v: engine.affine(D, W, a_prev(v), None), "the bias b was not added")
    if iv.shape(W)[0] == iv.shape(W)[1]:
        r.mistake(Z, needs, lambda v: engine.affine(D, iv.transpose(W), a_prev(v), b),
                  "the weights were used transposed (Wᵀ instead of W)")
    r.mistake(A, (Z,), lambda v: v[Z], NO_ACTIVATION)


@dataclass(frozen=True, slots=True)
class _Network:
    """The given data of a network exercise; its rules are the engine's primitives over intervals."""

    x: IMatrix
    """The input A_0."""
    Y: IMatrix
    """The targets."""
    Ws: list[IMatrix]
    """Each layer's weights."""
    bs: list[IMatrix | None]
    """Each layer's bias, or None."""
    rules: tuple[LayerRule, ...]
    """Each layer's activation."""
    objective: Objective
    """The loss and its reduction."""

    @property
    def n(self) -> int:
        return len(self.Ws)

    def a_prev(self, v: Earlier, l: int) -> IMatrix:
        return v[f"A{l - 1}"] if l > 1 else self.x

    def prev_needs(self, l: int) -> tuple[str, ...]:
        return (f"A{l - 1}",) if l > 1 else ()

    def output_delta(self, v: Earlier) -> IMatrix:
        n = self.n
        return engine.output_delta(D, self.objective, self.rules[-1], v[f"Z{n}"], v[f"A{n}"], self.Y)

    def hidden_delta(self, v: Earlier, l: int) -> IMatrix:
        return engine.hidden_delta(D, self.Ws[l], v[f"delta{l + 1}"], self.rules[l - 1], v[f"Z{l}"])[2]

    def slip_needs(self, l: int) -> tuple[str, ...]:
        """What layer l's delta needs when its activation derivative is forgotten."""
        return (f"A{self.n}",) if l == self.n else (f"delta{l + 1}",)

    def slipped_delta(self, v: Earlier, l: int) -> IMatrix:
        """Layer l's delta without its activation derivative."""
        if l == self.n:
            return engine.loss_slope(D, self.objective, v[f"A{self.n}"], self.Y)
        return engine.backpropagated(D, self.Ws[l], v[f"delta{l + 1}"])


def _backward_rules(r: Recipes, net: _Network, l: int, lr: Fraction | None) -> None:
    """Layer l's delta (hidden layers), gradients and update, with their mistakes."""
    d, grad_W, needs = f"delta{l}", f"dL_dW{l}", net.prev_needs(l)
    if l < net.n:
        r.rule(d, (f"delta{l + 1}", f"Z{l}"), lambda v: net.hidden_delta(v, l))
        r.mistake(d, (f"delta{l + 1}",), lambda v: net.slipped_delta(v, l), NO_DERIVATIVE)
    r.rule(grad_W, (d, *needs), lambda v: engine.weight_gradient(D, v[d], net.a_prev(v, l)))
    r.mistake(grad_W, (*net.slip_needs(l), *needs),
              lambda v: engine.weight_gradient(D, net.slipped_delta(v, l), net.a_prev(v, l)), NO_DERIVATIVE)
    bias = net.bs[l - 1]
    if bias is not None:
        r.rule(f"dL_db{l}", (d,), lambda v: engine.bias_gradient(D, v[d]))
        r.mistake(f"dL_db{l}", net.slip_needs(l), lambda v: engine.bias_gradient(D, net.slipped_delta(v, l)),
                  NO_DERIVATIVE)
    if lr is not None:
        _descent(r, f"W{l}_new", grad_W, net.Ws[l - 1], lr)
        if bias is not None:
            _descent(r, f"b{l}_new", f"dL_db{l}", bias, lr)


def network_recipes(f: DenseNetwork, programs: Programs) -> Recipes:
    """The forward pass, loss, deltas, gradients and updates, each from a student's earlier values."""
    layers = f.layers
    net = _Network(iv.const(f.x), iv.const(f.y), [iv.const(layer.W) for layer in layers],
                   [iv.const(layer.b) if layer.b is not None else None for layer in layers],
                   tuple(layer_of(layer.activation, layer.formula, layer.alpha) for layer in layers),
                   Objective.of(f.loss, f.reduction))
    n, A_n = net.n, f"A{net.n}"
    r = Recipes()
    for l in range(1, n + 1):
        layer_rules(r, l, net.Ws[l - 1], net.bs[l - 1], net.rules[l - 1], f"A{l - 1}" if l > 1 else None, net.x)
    r.rule("L", (A_n,), lambda v: loss_value(net.objective, net.Y, v[A_n]))
    r.mistake("L", (A_n,), lambda v: loss_value(net.objective, net.Y, v[A_n], log_base=10), BASE10)
    r.rule(f"delta{n}", (f"Z{n}", A_n), net.output_delta)
    r.mistake(f"delta{n}", (A_n,), lambda v: net.slipped_delta(v, n), NO_DERIVATIVE)
    for l in range(n, 0, -1):
        _backward_rules(r, net, l, f.learning_rate)
    return r


def _descent(r: Recipes, name: str, grad: str, start: IMatrix, lr: Fraction) -> None:
    """A gradient-descent step and its sign mistake."""
    r.rule(name, (grad,), lambda v: engine.descent(D, start, v[grad], lr))
    r.mistake(name, (grad,), lambda v: engine.descent(D, start, v[grad], -lr),
              "the step went along the gradient (+η·gradient) instead of against it")
