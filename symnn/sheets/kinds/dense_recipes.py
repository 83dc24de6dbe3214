"""Check recipes of kinds ``forward`` and ``network``: the dense layers recomputed over intervals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from symnn.core import interval as iv
from symnn.core.calculus import LOSSES
from symnn.core.domains import INTERVALS, Program, evaluate
from symnn.core.interval import IMatrix, Interval
from symnn.sheets.recipes import (
    BASE10,
    NO_ACTIVATION,
    NO_DERIVATIVE,
    Activation,
    Earlier,
    Loss,
    Programs,
    Recipes,
    activation,
    affine,
    entries_of,
    loss_of,
)

Fields = Mapping[str, Any]
"""Given data read by name."""


def _layer_rules(r: Recipes, l: int | None, W: IMatrix, b: IMatrix | None,
                 act: Activation, prev: str | None, A_given: IMatrix) -> None:
    """Z = W A_prev + b and A = f(Z) for the layer ``l`` (None: the one-layer kind)."""
    tag = "" if l is None else str(l)
    Z, A = f"Z{tag}", f"A{tag}"

    def a_prev(v: Earlier) -> IMatrix:
        return v[prev] if prev is not None else A_given

    needs = (prev,) if prev is not None else ()
    if prev is not None:
        r.rule(Z, needs, lambda v: affine(W, a_prev(v), b))
    r.rule(A, (Z,), lambda v: act.apply(v[Z]))
    if b is not None:
        r.mistake(Z, needs, lambda v: affine(W, a_prev(v), None), "the bias b was not added")
    if iv.shape(W)[0] == iv.shape(W)[1]:
        r.mistake(Z, needs, lambda v: affine(iv.transpose(W), a_prev(v), b),
                  "the weights were used transposed (Wᵀ instead of W)")
    r.mistake(A, (Z,), lambda v: v[Z], NO_ACTIVATION)


def forward_recipes(f: Fields, programs: Programs) -> Recipes:
    """Z from the given data, A from a student's Z; a missing bias, transposed weights, no activation."""
    r = Recipes()
    b = iv.const(f["b"]) if f.get("b") is not None else None
    _layer_rules(r, None, iv.const(f["W"]), b, activation(programs, f["activation"], f.get("alpha")),
                 None, iv.const(f["X"]))
    return r


@dataclass(frozen=True, slots=True)
class _Network:
    """The given data of a network exercise, and its forward and backward rules."""

    x: IMatrix
    """The input A_0."""
    Y: IMatrix
    """The targets."""
    Ws: list[IMatrix]
    """Each layer's weights."""
    bs: list[IMatrix | None]
    """Each layer's bias, or None."""
    acts: list[Activation]
    """Each layer's activation."""
    loss: Loss
    """The loss."""
    delta_rule: Program
    """The output delta ∂L/∂Z of one entry, in x (= z), a and y."""

    @property
    def n(self) -> int:
        return len(self.Ws)

    def a_prev(self, v: Earlier, l: int) -> IMatrix:
        return v[f"A{l - 1}"] if l > 1 else self.x

    def prev_needs(self, l: int) -> tuple[str, ...]:
        return (f"A{l - 1}",) if l > 1 else ()

    def output_delta(self, v: Earlier) -> IMatrix:
        n, alpha = self.n, self.acts[-1].alpha
        scale = len(entries_of(self.Y)) if self.loss.mean else 1
        rows = []
        for rz, ra, ry in zip(v[f"Z{n}"], v[f"A{n}"], self.Y):
            row = []
            for z, a, y in zip(rz, ra, ry):
                env = {"x": z, "a": a, "y": y}
                if alpha is not None:
                    env["alpha"] = Interval.point(alpha)
                row.append(evaluate(self.delta_rule, env, INTERVALS) / scale)
            rows.append(tuple(row))
        return tuple(rows)

    def hidden_delta(self, v: Earlier, l: int, with_slope: bool = True) -> IMatrix:
        back = iv.matmul(iv.transpose(self.Ws[l]), v[f"delta{l + 1}"])
        return iv.hadamard(back, self.acts[l - 1].slope(v[f"Z{l}"])) if with_slope else back

    def slip_needs(self, l: int) -> tuple[str, ...]:
        """What layer l's delta needs when its activation derivative is forgotten."""
        return (f"A{self.n}",) if l == self.n else (f"delta{l + 1}",)

    def slipped_delta(self, v: Earlier, l: int) -> IMatrix:
        """Layer l's delta without its activation derivative."""
        if l == self.n:
            return self.loss.gradient(self.Y, v[f"A{self.n}"])
        return self.hidden_delta(v, l, with_slope=False)


def _backward_rules(r: Recipes, net: _Network, l: int, lr: Fraction | None) -> None:
    """Layer l's delta (hidden layers), gradients and update, with their mistakes."""
    d, grad_W, needs = f"delta{l}", f"dL_dW{l}", net.prev_needs(l)
    if l < net.n:
        r.rule(d, (f"delta{l + 1}", f"Z{l}"), lambda v: net.hidden_delta(v, l))
        r.mistake(d, (f"delta{l + 1}",), lambda v: net.slipped_delta(v, l), NO_DERIVATIVE)
    r.rule(grad_W, (d, *needs), lambda v: iv.matmul(v[d], iv.transpose(net.a_prev(v, l))))
    r.mistake(grad_W, (*net.slip_needs(l), *needs),
              lambda v: iv.matmul(net.slipped_delta(v, l), iv.transpose(net.a_prev(v, l))), NO_DERIVATIVE)
    bias = net.bs[l - 1]
    if bias is not None:
        r.rule(f"dL_db{l}", (d,), lambda v: iv.row_sums(v[d]))
        r.mistake(f"dL_db{l}", net.slip_needs(l), lambda v: iv.row_sums(net.slipped_delta(v, l)), NO_DERIVATIVE)
    if lr is not None:
        _descent(r, f"W{l}_new", grad_W, net.Ws[l - 1], lr)
        if bias is not None:
            _descent(r, f"b{l}_new", f"dL_db{l}", bias, lr)


def network_recipes(f: Fields, programs: Programs) -> Recipes:
    """The forward pass, loss, deltas, gradients and updates, each from a student's earlier values."""
    layers = f["layers"]
    loss = loss_of(programs, f["loss"], LOSSES[f["loss"]].reduction == "mean")
    net = _Network(iv.const(f["x"]), iv.const(f["y"]), [iv.const(layer.W) for layer in layers],
                   [iv.const(layer.b) if layer.b is not None else None for layer in layers],
                   [activation(programs, layer.activation, layer.alpha) for layer in layers], loss,
                   programs[f"delta:{f['loss']}:{layers[-1].activation}"])
    n, A_n = net.n, f"A{net.n}"
    r = Recipes()
    for l in range(1, n + 1):
        _layer_rules(r, l, net.Ws[l - 1], net.bs[l - 1], net.acts[l - 1], f"A{l - 1}" if l > 1 else None, net.x)
    r.rule("L", (A_n,), lambda v: net.loss.value(net.Y, v[A_n]))
    r.mistake("L", (A_n,), lambda v: net.loss.value(net.Y, v[A_n], log_base=10), BASE10)
    r.rule(f"delta{n}", (f"Z{n}", A_n), net.output_delta)
    r.mistake(f"delta{n}", (A_n,), lambda v: net.slipped_delta(v, n), NO_DERIVATIVE)
    for l in range(n, 0, -1):
        _backward_rules(r, net, l, f.get("learning_rate"))
    return r


def _descent(r: Recipes, name: str, grad: str, start: IMatrix, lr: Fraction) -> None:
    """A gradient-descent step and its sign mistake."""
    r.rule(name, (grad,), lambda v: iv.sub(start, iv.scale(lr, v[grad])))
    r.mistake(name, (grad,), lambda v: iv.add(start, iv.scale(lr, v[grad])),
              "the step went along the gradient (+η·gradient) instead of against it")
