"""What a dense network computes, as SymPy rules: one per layer, one for the objective.

Every rule comes from a definition in :mod:`symnn.core.calculus` (an activation, its
``sympy.diff`` derivative, SymPy's simplified output delta, a loss term, softmax and its
delta); a number domain (:mod:`symnn.library.engine.domains`) evaluates them.  Nothing here
differentiates by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from symnn.core import calculus
from symnn.core.calculus import Activation, Loss, default_reduction
from symnn.core.formula import Formula

__all__ = ["ColumnRule", "LayerRule", "Objective", "Rule", "default_reduction", "layer_rule",
           "softmax_delta_rules"]


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """A scalar formula a domain evaluates entry by entry over matrices of one shape.

    Rules are made once (cached) and compared by identity, so a domain caches what it
    compiles from one at the cost of a pointer hash.
    """

    expr: sp.Expr
    """The formula, in :attr:`variables` (and the symbols of :attr:`constants`)."""
    variables: tuple[sp.Symbol, ...]
    """One symbol per argument matrix, in order."""
    constants: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()
    """Fixed values (alpha of leaky ReLU / ELU)."""
    label: str | None = None
    """What the value is, for the error when it is undefined (None: the caller checks)."""
    tidy: bool = False
    """Whether exact symbolic values are combined over one denominator (the sheets' printed form)."""


@dataclass(frozen=True, slots=True, eq=False)
class ColumnRule:
    """A vector formula (softmax, its delta) applied to each column: one expression per output row."""

    exprs: tuple[sp.Expr, ...]
    """Row i of a result column."""
    variables: tuple[sp.Symbol, ...]
    """The entries of one column of each argument matrix, concatenated."""
    label: str


@dataclass(frozen=True, slots=True, eq=False)
class LayerRule:
    """How one layer activates: an elementwise activation, or softmax over each column.

    Made by :func:`layer_rule` (cached), so equal layers share one rule, compared by identity.
    """

    name: str
    """Spec name (``"softmax"``, a built-in, or a custom activation's name)."""
    activation: Activation | None
    """The elementwise activation; None for softmax."""
    alpha: sp.Expr | None
    """The exact alpha of leaky ReLU / ELU, else None."""

    @property
    def display(self) -> str:
        return self.activation.display if self.activation is not None else "softmax"

    @property
    def is_softmax(self) -> bool:
        return self.activation is None

    @property
    def constants(self) -> tuple[tuple[sp.Symbol, sp.Expr], ...]:
        return () if self.alpha is None else ((calculus.alpha, self.alpha),)

    @property
    def elementwise(self) -> Activation:
        if self.activation is None:
            raise calculus.NotElementwise("softmax is a vector activation; only the output layer may use it")
        return self.activation

    def function(self) -> Rule:
        """a = f(z)."""
        return _function_rule(self)

    def slope(self) -> Rule:
        """f'(z), by ``sympy.diff`` of the definition."""
        return _slope_rule(self)

    def softmax(self, n: int) -> ColumnRule:
        """softmax of an n-row column."""
        return _softmax_rule(n)

    @property
    def stays_rational(self) -> bool:
        """Whether rational inputs give rational values and slopes."""
        return self.activation is not None and self.activation.maps_rationals_to_rationals


@cache
@cache
def _function_rule(layer: LayerRule) -> Rule:
    return Rule(layer.elementwise.definition, (calculus.x,), layer.constants, layer.display)


@cache
def _slope_rule(layer: LayerRule) -> Rule:
    return Rule(layer.elementwise.derivative, (calculus.x,), layer.constants, layer.display + "'")


@cache
def layer_rule(name: str, formula: Formula | None = None, alpha: sp.Expr | None = None) -> LayerRule:
    """The rule of a layer: softmax, a built-in by name, or a custom formula's activation.

    >>> layer_rule("leaky_relu", alpha=sp.Rational(1, 100)).function().constants
    ((alpha, 1/100),)
    """
    if name == calculus.SOFTMAX:
        return LayerRule(name, None, None)
    act = calculus.activation_for(name, formula)
    return LayerRule(name, act, alpha if act.has_alpha else None)


@cache
def softmax_delta_rules(loss: str, n: int, simplified: bool = False) -> tuple[sp.Expr, ...]:
    """∂loss/∂z_j of an n-class softmax output, in the outputs ŷ and targets y (SymPy's work).

    Cross-entropy: :func:`symnn.core.calculus.softmax_output_delta` (it simplifies to ŷ − y).
    Other losses: Σ_i J_ij ∂ℓ/∂ŷ_i with the SymPy Jacobian J and the loss's SymPy
    derivative, which stays cheap for many classes; ``simplified`` asks for SymPy's full
    simplification instead (the form a sheet prints).

    >>> softmax_delta_rules("cross_entropy", 2)
    (-y_1 + yhat_1, -y_2 + yhat_2)
    >>> softmax_delta_rules("half_sse", 2)[0]
    -yhat_1*yhat_2*(-y_2 + yhat_2) - yhat_1*(-y_1 + yhat_1)*(yhat_1 - 1)
    """
    if loss == "cross_entropy" or simplified:
        return calculus.softmax_output_delta(loss, n)
    sym, jacobian = calculus.softmax_symbols(n), calculus.softmax_jacobian(n)
    derivative = calculus.LOSSES[loss].derivative
    slopes = [derivative.xreplace({calculus.a: ak, calculus.y: yk}) for ak, yk in zip(sym.a, sym.y)]
    return tuple(sp.Add(*[jacobian[i, j] * slopes[i] for i in range(n)]) for j in range(n))


@dataclass(frozen=True, slots=True)
class Objective:
    """A loss with its reduction over the samples of a batch."""

    loss: Loss
    """The loss; its own ``reduction`` says whether a sample's entries are summed or averaged."""
    reduction: str
    """``"sum"`` or ``"mean"`` of the samples' losses."""
    simplified_softmax: bool = False
    """Whether a softmax delta uses SymPy's full simplification (sheets) or the Jacobian form (library)."""

    @staticmethod
    @cache
    def of(loss: str, reduction: str | None = None, simplified_softmax: bool = False) -> Objective:
        """The objective of a loss name; ``reduction`` defaults to :func:`default_reduction`.

        >>> Objective.of("mse").scale(2, 3)
        1/6
        >>> Objective.of("mse", "sum").scale(2, 3), Objective.of("bce", "mean").scale(1, 4)
        (1/2, 1/4)
        """
        return Objective(calculus.LOSSES[loss], reduction or default_reduction(loss), simplified_softmax)

    def scale(self, outputs: int, samples: int) -> sp.Rational:
        """The factor of every output delta: 1/n for a mean over outputs, 1/m for a mean over samples."""
        return _scale(self.loss.reduction == "mean", self.reduction == "mean", outputs, samples)

    def term(self) -> Rule:
        """ℓ(y, a) of one entry."""
        return _term_rule(self.loss.name)

    def slope(self) -> Rule:
        """∂ℓ/∂a of one entry (an output delta without the activation's derivative)."""
        return _loss_slope_rule(self.loss.name)

    def delta(self, layer: LayerRule) -> Rule:
        """∂ℓ/∂z of one entry through an elementwise output activation, in (a, y, z)."""
        return _delta_rule(self.loss.name, layer)

    def softmax_delta(self, n: int) -> ColumnRule:
        """∂ℓ/∂z of each softmax column, in (ŷ, y)."""
        return _softmax_delta_rule(self.loss.name, n, self.simplified_softmax)


@cache
def _delta_rule(loss: str, layer: LayerRule) -> Rule:
    expr = calculus.output_delta(loss, layer.elementwise)
    return Rule(expr, (calculus.a, calculus.y, calculus.x), layer.constants, "the loss gradient", tidy=True)


@cache
def _scale(mean_entries: bool, mean_samples: bool, outputs: int, samples: int) -> sp.Rational:
    per_entry = sp.Rational(1, outputs) if mean_entries else sp.S.One
    per_sample = sp.Rational(1, samples) if mean_samples else sp.S.One
    return per_entry * per_sample


@cache
def _softmax_rule(n: int) -> ColumnRule:
    return ColumnRule(calculus.softmax_definition(n), calculus.softmax_symbols(n).z, "softmax")


@cache
def _term_rule(loss: str) -> Rule:
    return Rule(calculus.LOSSES[loss].term, (calculus.y, calculus.a))


@cache
def _loss_slope_rule(loss: str) -> Rule:
    return Rule(calculus.LOSSES[loss].derivative, (calculus.y, calculus.a), label="the loss gradient")


@cache
def _softmax_delta_rule(loss: str, n: int, simplified: bool) -> ColumnRule:
    sym = calculus.softmax_symbols(n)
    return ColumnRule(softmax_delta_rules(loss, n, simplified), (*sym.a, *sym.y), "the loss gradient")
