"""The dense network, once: per-layer primitives and the passes composed from them.

Layer weights are (outputs × inputs): ``Z_l = W_l A_(l-1) + b_l`` and ``A_l = f_l(Z_l)``,
one column per sample.  Every function takes the number domain ``d`` first
(:mod:`symnn.library.engine.domains`): exact SymPy matrices for the sheets, ``QQ``
DomainMatrix for the library, arb balls for certified values, rational intervals for
``symnn check``.  The domain does arithmetic and evaluates rules; the network logic — the
chain rule, the reduction of the loss, the gradients and the descent step — is here
and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from symnn.library.engine.rules import ColumnRule, LayerRule, Objective, Rule

M = TypeVar("M")
"""A matrix of the domain."""


class Domain(Protocol[M]):
    """Matrix arithmetic over one kind of number, and evaluation of rules entry by entry.

    The domain's numbers (entries, :meth:`column_totals`, :meth:`total`) divide by a whole number with ``/``.
    """

    def shape(self, a: M) -> tuple[int, int]: ...

    def matmul(self, a: M, b: M) -> M: ...

    def transpose(self, a: M) -> M: ...

    def add(self, a: M, b: M) -> M: ...

    def sub(self, a: M, b: M) -> M: ...

    def hadamard(self, a: M, b: M) -> M: ...

    def add_bias(self, z: M, b: M) -> M:
        """``z`` plus the column ``b`` in every column."""

    def row_sums(self, a: M) -> M: ...

    def scale(self, k: Any, a: M) -> M:
        """``k · a`` for an exact number ``k``."""

    def entrywise(self, rule: Rule, args: Sequence[M], scale: Any = None) -> M:
        """``rule`` at each entry of the argument matrices (times ``scale``)."""

    def columnwise(self, rule: ColumnRule, args: Sequence[M], scale: Any = None) -> M:
        """``rule`` on each column of the argument matrices (times ``scale``)."""

    def column_totals(self, a: M) -> list[Any]: ...

    def total(self, values: Sequence[Any]) -> Any: ...

    def finite(self, value: Any, what: str, at: str) -> Any:
        """``value``, or an error naming ``what`` and where (``at``) when it is infinite or undefined."""


@dataclass(frozen=True, slots=True)
class Params(Generic[M]):
    """The trainable parameters of a network at one moment."""

    Ws: tuple[M, ...]
    """Weights per layer."""
    bs: tuple[M | None, ...]
    """Bias column per layer (None for a layer without bias)."""


@dataclass(frozen=True, slots=True)
class Pass(Generic[M]):
    """The values of one forward pass."""

    Zs: list[M]
    """Pre-activations Z_1 … Z_L."""
    As: list[M]
    """Activations A_0 = x, A_1 … A_L."""


# ---------------------------------------------------------------------------
# Per-layer primitives.


def affine(d: Domain[M], W: M, A_prev: M, b: M | None) -> M:
    """Z = W A_prev + b, the bias added to every column."""
    Z = d.matmul(W, A_prev)
    return Z if b is None else d.add_bias(Z, b)


def activate(d: Domain[M], rule: LayerRule, Z: M) -> M:
    """A = f(Z): elementwise, or softmax of each column."""
    if rule.is_softmax:
        return d.columnwise(rule.softmax(d.shape(Z)[0]), [Z])
    return d.entrywise(rule.function(), [Z])


def slope(d: Domain[M], rule: LayerRule, Z: M) -> M:
    """f'(Z) entry by entry (elementwise activations only)."""
    return d.entrywise(rule.slope(), [Z])


def output_delta(d: Domain[M], objective: Objective, rule: LayerRule, Z: M, A: M, Y: M) -> M:
    """∂L/∂Z of the output layer from SymPy's simplified rule, the reduction's factor included."""
    rows, samples = d.shape(Z)
    factor = objective.scale(rows, samples)
    if rule.is_softmax:
        return d.columnwise(objective.softmax_delta(rows), [A, Y], factor)
    return d.entrywise(objective.delta(rule), [A, Y, Z], factor)


def loss_slope(d: Domain[M], objective: Objective, A: M, Y: M) -> M:
    """∂L/∂A of the output layer (the output delta without the activation's derivative)."""
    rows, samples = d.shape(A)
    return d.entrywise(objective.slope(), [Y, A], objective.scale(rows, samples))


def backpropagated(d: Domain[M], W_next: M, delta_next: M) -> M:
    """W_nextᵀ δ_next: the next layer's delta carried back through its weights."""
    return d.matmul(d.transpose(W_next), delta_next)


def hidden_delta(d: Domain[M], W_next: M, delta_next: M, rule: LayerRule, Z: M,
                 slopes: M | None = None) -> tuple[M, M, M]:
    """(W_nextᵀ δ_next, f'(Z), their entrywise product δ); ``slopes`` when already known."""
    back = backpropagated(d, W_next, delta_next)
    f_prime = slope(d, rule, Z) if slopes is None else slopes
    return back, f_prime, d.hadamard(back, f_prime)


def weight_gradient(d: Domain[M], delta: M, A_prev: M) -> M:
    """∂L/∂W = δ A_prevᵀ (summing over the samples)."""
    return d.matmul(delta, d.transpose(A_prev))


def bias_gradient(d: Domain[M], delta: M) -> M:
    """∂L/∂b = δ's columns summed (one per sample)."""
    return d.row_sums(delta)


def descent(d: Domain[M], param: M, gradient: M, rate: Any) -> M:
    """param − η · gradient."""
    return d.sub(param, d.scale(rate, gradient))


def loss_value(d: Domain[M], objective: Objective, Y: M, A: M, what: str = "the network's output") -> Any:
    """The batch loss: each sample's terms summed (averaged for a mean loss), then the samples reduced."""
    rows, samples = d.shape(A)
    sample_losses = d.column_totals(d.entrywise(objective.term(), [Y, A]))
    if objective.loss.reduction == "mean":
        sample_losses = [value / rows for value in sample_losses]
    value = d.total(sample_losses)
    if objective.reduction == "mean":
        value = value / samples
    return d.finite(value, f"the {objective.loss.description}", what)


# ---------------------------------------------------------------------------
# Whole passes.


def forward(d: Domain[M], rules: Sequence[LayerRule], params: Params[M], X: M) -> Pass[M]:
    """Pre-activations Z_1…Z_L and activations A_0 = x, A_1…A_L."""
    Zs: list[M] = []
    As: list[M] = [X]
    for W, b, rule in zip(params.Ws, params.bs, rules):
        Zs.append(affine(d, W, As[-1], b))
        As.append(activate(d, rule, Zs[-1]))
    return Pass(Zs, As)


def backward(d: Domain[M], rules: Sequence[LayerRule], Ws: Sequence[M], Zs: Sequence[M], delta: M,
             slopes: Sequence[M | None] = ()) -> list[M]:
    """δ_1…δ_L from δ_L, by the chain rule; ``slopes[l]`` replaces f'_(l+1)(Z_(l+1)) when given."""
    deltas = [delta]
    for l in range(len(Zs) - 1, 0, -1):
        known = slopes[l - 1] if l - 1 < len(slopes) else None
        deltas.insert(0, hidden_delta(d, Ws[l], deltas[0], rules[l - 1], Zs[l - 1], known)[2])
    return deltas


def gradients(d: Domain[M], params: Params[M], deltas: Sequence[M], As: Sequence[M]) -> dict[str, M]:
    """``W1, b1, W2, …`` → ∂L/∂parameter, in layer order."""
    grads: dict[str, M] = {}
    for l, (b, delta, A_prev) in enumerate(zip(params.bs, deltas, As), start=1):
        grads[f"W{l}"] = weight_gradient(d, delta, A_prev)
        if b is not None:
            grads[f"b{l}"] = bias_gradient(d, delta)
    return grads


def descend(d: Domain[M], params: Params[M], deltas: Sequence[M], As: Sequence[M], rate: Any,
            update_biases: bool = True) -> Params[M]:
    """One gradient-descent step: every parameter minus η times its gradient."""
    Ws = tuple(descent(d, W, weight_gradient(d, delta, A), rate) for W, delta, A in zip(params.Ws, deltas, As))
    bs = tuple(descent(d, b, bias_gradient(d, delta), rate) if b is not None and update_biases else b
               for b, delta in zip(params.bs, deltas))
    return Params(Ws, bs)


@dataclass(frozen=True, slots=True)
class Network(Generic[M]):
    """A network's fixed data in one domain: inputs, targets, layer rules and objective."""

    X: M
    """Inputs, one column per sample."""
    Y: M
    """Targets, one column per sample."""
    rules: tuple[LayerRule, ...]
    """Activation rule per layer."""
    objective: Objective
    """The loss and its reduction."""

    def forward(self, d: Domain[M], params: Params[M]) -> Pass[M]:
        return forward(d, self.rules, params, self.X)

    def loss(self, d: Domain[M], out: M) -> Any:
        return loss_value(d, self.objective, self.Y, out)

    def deltas(self, d: Domain[M], params: Params[M], values: Pass[M]) -> list[M]:
        """δ_1…δ_L of a forward pass."""
        delta = output_delta(d, self.objective, self.rules[-1], values.Zs[-1], values.As[-1], self.Y)
        return backward(d, self.rules, params.Ws, values.Zs, delta)

    def train(self, d: Domain[M], params: Params[M], rate: Any, steps: int, update_biases: bool = True,
              before_pass: Callable[[Params[M], int], None] | None = None) -> tuple[list[Any], Params[M]]:
        """The loss before each of ``steps`` passes (t = 1…steps) and the parameters after the last step.

        The parameters are stepped ``steps - 1`` times: ``params`` are the values after step 1.
        """
        losses: list[Any] = []
        for t in range(1, steps + 1):
            if before_pass is not None:
                before_pass(params, t)
            values = self.forward(d, params)
            losses.append(self.loss(d, values.As[-1]))
            if t < steps:
                params = descend(d, params, self.deltas(d, params, values), values.As[:-1], rate, update_biases)
        return losses, params
