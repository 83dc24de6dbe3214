"""The independent float64 evaluator's functions: activations, custom formulas, softmax and losses.

:mod:`symnn.sheets.reference` is the referee for every exact value symnn prints: a
second implementation, written separately from the exact engine.  It imports only
numpy and the standard library (never SymPy, never :mod:`symnn.sheets.spec` or
:mod:`symnn.core.calculus`, nothing lambdified), so a mistake in one implementation
cannot hide in the other.  Each kind's evaluator (``symnn.sheets.reference.<kind>``, and
:mod:`symnn.sheets.reference.numeric` for ``forward`` and ``network``)
reads the same validated given data the exact engine reads and returns every
quantity under the same name.

Scalars come back as Python floats, matrices as 2-D float64 arrays (a 1x1 result
stays 2-D).  Functions that overflow or lose accuracy in their textbook form are
written in stable forms (sigmoid, softplus, ELU, and binary cross-entropy on a
sigmoid output, which is computed from the pre-activation).  A quantity that is
undefined for the given numbers (say log 0 in a loss) comes back as ``inf`` or
``nan`` rather than raising: the exact engine reports domain errors, this module
only measures.

Custom activations arrive as a parsed formula tree (:mod:`symnn.core.formula`, which
has no SymPy either); this module interprets the tree with forward-mode dual
numbers, so f and f' come from arithmetic rules written here, not from SymPy's
``diff``.  Softmax outputs backpropagate through the softmax Jacobian
diag(a) − a aᵀ applied column by column.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

import symnn.core.formula as fm
from symnn.core.nodes import Absolute, Call, Chain, Constant, Negate, Node, Number, Power, Root, Symbol
from symnn.errors import SpecError
from symnn.sheets.reference.arrays import FloatArray

# ---------------------------------------------------------------------------
# Activations: value and slope, each in a form that neither overflows nor cancels.


def _sigmoid(z: FloatArray) -> FloatArray:
    # exp of a non-positive number never overflows; pick the branch that uses it.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sigmoid_slope(z: FloatArray) -> FloatArray:
    # σ(z)(1 − σ(z)) = σ(z)σ(−z): no 1 − σ cancellation when σ saturates.
    return _sigmoid(z) * _sigmoid(-z)


def _tanh_slope(z: FloatArray) -> FloatArray:
    # 1 − tanh² = sech², and sech z = 2e^{−|z|} / (1 + e^{−2|z|}) keeps every digit.
    e = np.exp(-np.abs(z))
    sech = 2.0 * e / (1.0 + e * e)
    return sech * sech


def _softplus(z: FloatArray) -> FloatArray:
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _elu(z: FloatArray, alpha: float) -> FloatArray:
    # Clamp before expm1 so the unused branch of np.where cannot overflow.
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def _elu_slope(z: FloatArray, alpha: float) -> FloatArray:
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))


@dataclass(frozen=True, slots=True)
class ElementwiseFunction:
    """An activation as two float64 array functions of the pre-activation."""

    value: Callable[[FloatArray, float], FloatArray]
    """f(z), given z and the slope parameter alpha (ignored unless :attr:`uses_alpha`)."""
    slope: Callable[[FloatArray, float], FloatArray]
    """f'(z) with the conventions ReLU'(0) = 0, LeakyReLU'(0) = ELU'(0) = alpha."""
    uses_alpha: bool = False
    """Whether the function needs the parameter alpha."""


ACTIVATIONS: dict[str, ElementwiseFunction] = {
    "identity": ElementwiseFunction(lambda z, _: z.copy(), lambda z, _: np.ones_like(z)),
    "relu": ElementwiseFunction(
        lambda z, _: np.where(z > 0, z, 0.0), lambda z, _: np.where(z > 0, 1.0, 0.0)
    ),
    "leaky_relu": ElementwiseFunction(
        lambda z, alpha: np.where(z > 0, z, alpha * z),
        lambda z, alpha: np.where(z > 0, 1.0, alpha),
        uses_alpha=True,
    ),
    "sigmoid": ElementwiseFunction(lambda z, _: _sigmoid(z), lambda z, _: _sigmoid_slope(z)),
    "tanh": ElementwiseFunction(lambda z, _: np.tanh(z), lambda z, _: _tanh_slope(z)),
    "softplus": ElementwiseFunction(lambda z, _: _softplus(z), lambda z, _: _sigmoid(z)),
    "elu": ElementwiseFunction(_elu, _elu_slope, uses_alpha=True),
}
"""Every activation the evaluator knows, by spec name."""


def _activation(name: str) -> ElementwiseFunction:
    if name not in ACTIVATIONS:
        raise SpecError(
            f"the numeric evaluator has no activation {name!r}; known: {', '.join(ACTIVATIONS)}"
        )
    return ACTIVATIONS[name]


def _alpha_for(name: str, alpha: float | None) -> float:
    if not _activation(name).uses_alpha:
        return math.nan
    if alpha is None:
        raise SpecError(f"activation {name!r} needs alpha, but none was given")
    return alpha


def activate(name: str, z: FloatArray, alpha: float | None = None) -> FloatArray:
    """The activation ``name`` applied to every entry of ``z``.

    >>> activate("sigmoid", np.array([[-1000.0, 0.0, 1000.0]]))
    array([[0. , 0.5, 1. ]])
    """
    return _activation(name).value(np.asarray(z, dtype=np.float64), _alpha_for(name, alpha))


def activation_slope(name: str, z: FloatArray, alpha: float | None = None) -> FloatArray:
    """The derivative of activation ``name`` at every entry of ``z``.

    >>> activation_slope("leaky_relu", np.array([[-1.0, 0.0, 2.0]]), 0.1)
    array([[0.1, 0.1, 1. ]])
    """
    return _activation(name).slope(np.asarray(z, dtype=np.float64), _alpha_for(name, alpha))


# ---------------------------------------------------------------------------
# Custom activations: the formula tree interpreted with dual numbers (value, slope).


@dataclass(frozen=True, slots=True)
class Dual:
    """A value and its derivative with respect to the activation's input, entry by entry."""

    value: FloatArray
    """f at every entry."""
    slope: FloatArray
    """f' at every entry."""


def _constant(c: float, like: FloatArray) -> Dual:
    return Dual(np.full_like(like, c), np.zeros_like(like))


def _add(p: Dual, q: Dual) -> Dual:
    return Dual(p.value + q.value, p.slope + q.slope)


def _sub(p: Dual, q: Dual) -> Dual:
    return Dual(p.value - q.value, p.slope - q.slope)


def _mul(p: Dual, q: Dual) -> Dual:
    return Dual(p.value * q.value, p.slope * q.value + p.value * q.slope)


def _div(p: Dual, q: Dual) -> Dual:
    return Dual(p.value / q.value, (p.slope * q.value - p.value * q.slope) / (q.value * q.value))


def _pow(p: Dual, q: Dual) -> Dual:
    value = p.value ** q.value
    # d(p^q) = q p^(q-1) p' + p^q ln(p) q'; the second term only where q varies.
    slope = q.value * p.value ** (q.value - 1.0) * p.slope
    varying = q.slope != 0
    if np.any(varying):
        slope = slope + np.where(varying, value * np.log(np.where(varying, p.value, 1.0)) * q.slope, 0.0)
    return Dual(value, slope)


def _chain(f: Callable[[FloatArray], FloatArray], df: Callable[[FloatArray], FloatArray]
           ) -> Callable[[Dual], Dual]:
    return lambda p: Dual(f(p.value), df(p.value) * p.slope)


def _pick(take_first: Callable[[FloatArray, FloatArray], NDArray[np.bool_]]) -> Callable[[Dual, Dual], Dual]:
    # At a tie the second argument wins, value and slope alike (the exact engine's convention).
    def pick(p: Dual, q: Dual) -> Dual:
        first = take_first(p.value, q.value)
        return Dual(np.where(first, p.value, q.value), np.where(first, p.slope, q.slope))
    return pick


_DUAL_FUNCTIONS: dict[str, Callable[..., Dual]] = {
    "exp": _chain(np.exp, np.exp),
    "log": _chain(np.log, lambda v: 1.0 / v),
    "ln": _chain(np.log, lambda v: 1.0 / v),
    "sqrt": _chain(np.sqrt, lambda v: 0.5 / np.sqrt(v)),
    "abs": _chain(np.abs, np.sign),
    "tanh": _chain(np.tanh, lambda v: 1.0 - np.tanh(v) ** 2),
    "sinh": _chain(np.sinh, np.cosh),
    "cosh": _chain(np.cosh, np.sinh),
    "sin": _chain(np.sin, np.cos),
    "cos": _chain(np.cos, lambda v: -np.sin(v)),
    "atan": _chain(np.arctan, lambda v: 1.0 / (1.0 + v * v)),
    "sigmoid": _chain(_sigmoid, _sigmoid_slope),
    "max": _pick(lambda p, q: p > q),
    "min": _pick(lambda p, q: p < q),
}
_DUAL_OPERATORS: dict[str, Callable[[Dual, Dual], Dual]] = {
    "add": _add, "sub": _sub, "mul": _mul, "div": _div,
}
_DUAL_CONSTANTS = {"E": math.e, "pi": math.pi}


def _dual(node: Node, z: FloatArray) -> Dual:
    """The formula and its derivative at every entry of z."""
    if isinstance(node, Number):
        return _constant(float(node.value), z)
    if isinstance(node, Symbol):
        return Dual(z, np.ones_like(z))
    if isinstance(node, Constant):
        return _constant(_DUAL_CONSTANTS[node.name], z)
    if isinstance(node, Negate):
        inner = _dual(node.operand, z)
        return Dual(-inner.value, -inner.slope)
    if isinstance(node, Chain):
        result = _dual(node.first, z)
        for op, operand in node.rest:
            result = _DUAL_OPERATORS[op](result, _dual(operand, z))
        return result
    if isinstance(node, Power):
        return _pow(_dual(node.base, z), _dual(node.exponent, z))
    if isinstance(node, Absolute):
        return _DUAL_FUNCTIONS["abs"](_dual(node.operand, z))
    if isinstance(node, Root) and node.index is None:
        return _DUAL_FUNCTIONS["sqrt"](_dual(node.radicand, z))
    if isinstance(node, Call):
        return _DUAL_FUNCTIONS[node.function.name](*[_dual(arg, z) for arg in node.arguments])
    raise SpecError(f"the numeric evaluator cannot read formula node {node!r}")


def custom_activation(formula: fm.Formula, z: FloatArray) -> Dual:
    """A custom activation's value and slope at every entry of ``z``.

    >>> tree = fm.parse_formula("x / (1 + abs(x))")
    >>> d = custom_activation(fm.Formula("softsign", "x / (1 + abs(x))", tree), np.array([[1.0, -3.0]]))
    >>> d.value, d.slope
    (array([[ 0.5 , -0.75]]), array([[0.25  , 0.0625]]))
    """
    with np.errstate(all="ignore"):
        return _dual(formula.tree, np.asarray(z, dtype=np.float64))


def softmax(z: FloatArray) -> FloatArray:
    """Softmax of every column, shifted by the column's maximum so exp never overflows.

    >>> softmax(np.array([[0.0], [np.log(3.0)]]))
    array([[0.25],
           [0.75]])
    """
    shifted = np.exp(z - z.max(axis=0, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=0, keepdims=True), dtype=np.float64)


def log_softmax(z: FloatArray) -> FloatArray:
    """log softmax of every column, computed without forming the probabilities."""
    top = z.max(axis=0, keepdims=True)
    return np.asarray(z - top - np.log(np.exp(z - top).sum(axis=0, keepdims=True)), dtype=np.float64)


def softmax_backward(a: FloatArray, upstream: FloatArray) -> FloatArray:
    """Jᵀ g for every column, with the softmax Jacobian J = diag(a) − a aᵀ (symmetric)."""
    return np.asarray(a * (upstream - (a * upstream).sum(axis=0, keepdims=True)), dtype=np.float64)


# ---------------------------------------------------------------------------
# Losses over all entries of the target y and the prediction a.


def _bce(y: FloatArray, a: FloatArray) -> float:
    # A term whose coefficient is exactly 0 is 0 (as in the exact loss), even where a saturated
    # float prediction makes its logarithm infinite (0 · log 0 would be nan).
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(-np.sum(np.where(y != 0, y * np.log(a), 0.0) + np.where(y != 1, (1.0 - y) * np.log1p(-a), 0.0)))


def _bce_gradient(y: FloatArray, a: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y != 0, -y / a, 0.0) + np.where(y != 1, (1.0 - y) / (1.0 - a), 0.0)


def _cross_entropy(y: FloatArray, a: FloatArray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(-np.sum(np.where(y != 0, y * np.log(a), 0.0)))


def _cross_entropy_gradient(y: FloatArray, a: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y != 0, -y / a, 0.0)


@dataclass(frozen=True, slots=True)
class NumericLoss:
    """A loss as float64 functions of the targets and the predictions."""

    total: Callable[[FloatArray, FloatArray], float]
    """L(y, a), summed or averaged over all entries."""
    gradient: Callable[[FloatArray, FloatArray], FloatArray]
    """∂L/∂a for every entry, including the mean's 1/N."""


LOSSES: dict[str, NumericLoss] = {
    "bce": NumericLoss(_bce, _bce_gradient),
    "half_sse": NumericLoss(lambda y, a: float(0.5 * np.sum((y - a) ** 2)), lambda y, a: a - y),
    "sse": NumericLoss(lambda y, a: float(np.sum((y - a) ** 2)), lambda y, a: 2.0 * (a - y)),
    "mse": NumericLoss(
        lambda y, a: float(np.mean((y - a) ** 2)), lambda y, a: 2.0 * (a - y) / y.size
    ),
    "cross_entropy": NumericLoss(_cross_entropy, _cross_entropy_gradient),
}
"""Every loss the evaluator knows, by spec name."""


def numeric_loss(name: str) -> NumericLoss:
    """The loss ``name``, or an error naming the known ones."""
    if name not in LOSSES:
        raise SpecError(f"the numeric evaluator has no loss {name!r}; known: {', '.join(LOSSES)}")
    return LOSSES[name]


def sigmoid_bce(y: FloatArray, z: FloatArray) -> tuple[float, FloatArray]:
    """Binary cross-entropy of a = σ(z) and its gradient ∂L/∂z, computed from z.

    log σ(z) = −softplus(−z) and log(1 − σ(z)) = −softplus(z); σ(z) − y is written
    as (1 − y)σ(z) − yσ(−z), so both stay accurate when the sigmoid saturates.

    >>> loss, delta = sigmoid_bce(np.array([[1.0]]), np.array([[40.0]]))
    >>> f"{loss:.6e} {delta[0, 0]:.6e}"
    '4.248354e-18 -4.248354e-18'
    """
    loss = float(np.sum(y * _softplus(-z) + (1.0 - y) * _softplus(z)))
    delta = (1.0 - y) * _sigmoid(z) - y * _sigmoid(-z)
    return loss, delta
