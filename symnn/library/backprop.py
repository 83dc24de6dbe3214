"""Reverse-mode differentiation of dense networks, exactly or in certified balls.

One forward/backward recipe runs over three kinds of numbers:

* ``QQ`` :class:`DomainMatrix` (flint ``fmpq_mat`` underneath) while every value is
  rational — identity, ReLU and leaky-ReLU layers with rational weights;
* ``EXRAW`` :class:`DomainMatrix` (SymPy expressions) once a value is transcendental or
  symbolic, e.g. after a sigmoid;
* ``arb_mat`` balls for certified decimals, starting from the exact rational prefix so
  that a ReLU kink is never judged on a rounded number.

When only the output layer (and the loss) is transcendental, every gradient is a
combination ``Σ δ_k R_k`` of the output errors δ_k with *rational* matrices R_k, so the
R_k are computed over ``QQ`` at full speed and the δ_k kept exact (:class:`Factored`).

Activation values, slopes and output errors come from the definitions in
:mod:`symnn.core.calculus`, compiled once by :mod:`symnn.core.program`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol, TypeAlias

import flint
import sympy as sp
from sympy import EXRAW, QQ
from sympy.polys.matrices import DomainMatrix

from symnn.core import calculus
from symnn.core.formula import Formula
from symnn.core.program import BALLS, RATIONALS, NotCompilable, compile_expression, compiled
from symnn.errors import MathDomainError, SpecError

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
class Tape:
    """Values recorded by an exact forward pass, per layer."""

    inputs: tuple[DomainMatrix, ...]
    """a_{l-1}: the input of each layer (x for the first)."""
    pre_activations: tuple[DomainMatrix, ...]
    """z_l = W_l a_{l-1} + b_l."""
    output: DomainMatrix
    """a_L, the network's output."""


@dataclass(frozen=True, slots=True)
class Factored:
    """An exact gradient written as Σ coefficient_k · matrix_k with rational matrices."""

    terms: tuple[tuple[sp.Expr, DomainMatrix], ...]
    """(exact scalar, ``QQ`` matrix) pairs."""


Gradient: TypeAlias = "DomainMatrix | Factored"
"""An exact gradient: one matrix (``QQ`` or ``EXRAW``) or a factored sum."""


# ---------------------------------------------------------------------------
# Elementwise rules, compiled from the calculus definitions.

_ARGUMENTS = (calculus.x, calculus.alpha)
_DELTA_ARGUMENTS = (calculus.a, calculus.y, calculus.x, calculus.alpha)


def _rational_rule(expr: sp.Expr, arguments: tuple[sp.Symbol, ...], alpha: Any) -> Callable[..., Any] | None:
    if alpha is not None and not QQ.of_type(alpha):
        return None
    return compiled(expr, arguments, RATIONALS.name)


def _symbolic_alpha(alpha: Any) -> sp.Expr | None:
    return QQ.to_sympy(alpha) if QQ.of_type(alpha) else alpha


def _map(matrix: DomainMatrix, function: Callable[[Any], Any], domain: Any) -> DomainMatrix:
    values = [function(v) for v in matrix.to_list_flat()]
    return DomainMatrix.from_list_flat(values, matrix.shape, domain)


def to_expr(value: Any) -> sp.Expr:
    """An exact entry (flint rational or SymPy expression) as a SymPy expression."""
    return QQ.to_sympy(value) if QQ.of_type(value) else value


def _apply_rule(expr: sp.Expr, layer: LayerLike, z: DomainMatrix) -> DomainMatrix:
    """f(z) elementwise: over QQ when the rule is rational there, else as SymPy values."""
    rule = _rational_rule(expr, _ARGUMENTS, layer.alpha) if z.domain == QQ else None
    if rule is not None:
        alpha = layer.alpha
        return _map(z, lambda v: rule(v, alpha), QQ)
    alpha_expr = _symbolic_alpha(layer.alpha)
    subs = {calculus.alpha: alpha_expr} if alpha_expr is not None else {}
    return _map(z, lambda v: _substitute(expr, {calculus.x: to_expr(v), **subs}), EXRAW)


def _substitute(expr: sp.Expr, values: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
    # Piecewise conditions must be re-evaluated, which xreplace does when it rebuilds.
    return expr.xreplace(values)


def is_softmax(layer: LayerLike) -> bool:
    """Whether the layer is a softmax (a vector activation, output layer only)."""
    return layer.activation == calculus.SOFTMAX


def elementwise(layer: LayerLike) -> calculus.Activation:
    """The layer's elementwise activation: a built-in, or its custom formula's."""
    if is_softmax(layer):
        raise SpecError("softmax is a vector activation; only the output layer may use it")
    return calculus.activation_for(layer.activation, layer.formula)


def activate(layer: LayerLike, z: DomainMatrix) -> DomainMatrix:
    """The layer's activation applied to its pre-activation (softmax: per column)."""
    if is_softmax(layer):
        return _softmax_columns(z)
    return _apply_rule(elementwise(layer).definition, layer, z)


def _softmax_columns(z: DomainMatrix) -> DomainMatrix:
    """softmax of each column, from the one definition in :mod:`symnn.core.calculus`."""
    rows, cols = z.shape
    definition, symbols = calculus.softmax_definition(rows), calculus.softmax_symbols(rows).z
    entries = [[to_expr(v) for v in row] for row in z.to_list()]
    columns = [[d.xreplace({symbols[i]: entries[i][j] for i in range(rows)}) for d in definition]
               for j in range(cols)]
    return DomainMatrix([[columns[j][i] for j in range(cols)] for i in range(rows)], z.shape, EXRAW)


def slope(layer: LayerLike, z: DomainMatrix) -> DomainMatrix:
    """The activation's derivative (by ``sympy.diff`` of its definition) at z."""
    return _apply_rule(elementwise(layer).derivative, layer, z)


def is_rational_rule(layer: LayerLike) -> bool:
    """Whether the activation and its slope stay rational on rational inputs."""
    if is_softmax(layer):
        return False
    act = elementwise(layer)
    return (_rational_rule(act.definition, _ARGUMENTS, layer.alpha) is not None
            and _rational_rule(act.derivative, _ARGUMENTS, layer.alpha) is not None)


# ---------------------------------------------------------------------------
# Exact matrix helpers that unify QQ with EXRAW.


def _unified(a: DomainMatrix, b: DomainMatrix) -> tuple[DomainMatrix, DomainMatrix]:
    if a.domain == b.domain:
        return a, b
    return a.convert_to(EXRAW), b.convert_to(EXRAW)


def matmul(a: DomainMatrix, b: DomainMatrix) -> DomainMatrix:
    a, b = _unified(a, b)
    return a.matmul(b)


def add(a: DomainMatrix, b: DomainMatrix) -> DomainMatrix:
    a, b = _unified(a, b)
    return a + b


def hadamard(a: DomainMatrix, b: DomainMatrix) -> DomainMatrix:
    a, b = _unified(a, b)
    return a.mul_elementwise(b)


def row_sums(a: DomainMatrix) -> DomainMatrix:
    if a.shape[1] == 1:
        return a
    return a.matmul(DomainMatrix.ones((a.shape[1], 1), a.domain))


def broadcast_bias(b: DomainMatrix, samples: int) -> DomainMatrix:
    if samples == 1:
        return b
    return b.matmul(DomainMatrix.ones((1, samples), b.domain))


def affine(layer: LayerLike, a: DomainMatrix) -> DomainMatrix:
    z = matmul(layer.W, a)
    return z if layer.b is None else add(z, broadcast_bias(layer.b, a.shape[1]))


# ---------------------------------------------------------------------------
# Exact forward and backward passes.


def forward(layers: Sequence[LayerLike], x: DomainMatrix) -> Tape:
    """Exact forward pass recording every layer's input and pre-activation."""
    inputs: list[DomainMatrix] = []
    pre: list[DomainMatrix] = []
    a = x
    for layer in layers:
        inputs.append(a)
        z = affine(layer, a)
        pre.append(z)
        a = activate(layer, z)
    return Tape(tuple(inputs), tuple(pre), a)


def output_error(layers: Sequence[LayerLike], tape: Tape, y: DomainMatrix, loss: str) -> DomainMatrix:
    """δ_L = ∂loss/∂z_L, from calculus.output_delta (SymPy's simplification of dℓ/da·f′)."""
    layer = layers[-1]
    scale = _mean_scale(loss, y)
    if is_softmax(layer):
        return _softmax_error(loss, tape.output, y, sp.Rational(1, scale))
    expr = calculus.output_delta(loss, elementwise(layer))
    a, z = tape.output, tape.pre_activations[-1]
    if a.domain == QQ and y.domain == QQ and z.domain == QQ:
        rule = _rational_rule(expr, _DELTA_ARGUMENTS, layer.alpha)
        if rule is not None:
            return _rational_error(rule, a, y, z, layer.alpha, QQ(1, scale))
    return _symbolic_error(expr, a, y, z, _symbolic_alpha(layer.alpha), sp.Rational(1, scale))


@cache
def softmax_delta_rules(loss: str, n: int) -> tuple[sp.Expr, ...]:
    """∂loss/∂z_j of an n-class softmax output, in the outputs ŷ and targets y (SymPy's work).

    Cross-entropy: :func:`symnn.core.calculus.softmax_output_delta` (it simplifies to ŷ − y).
    Other losses: Σ_i J_ij ∂ℓ/∂ŷ_i with the SymPy Jacobian J and the loss's SymPy
    derivative, which stays cheap for many classes (SymPy's full simplification does not).

    >>> softmax_delta_rules("cross_entropy", 2)
    (-y_1 + yhat_1, -y_2 + yhat_2)
    >>> softmax_delta_rules("half_sse", 2)[0]
    -yhat_1*yhat_2*(-y_2 + yhat_2) - yhat_1*(-y_1 + yhat_1)*(yhat_1 - 1)
    """
    if loss == "cross_entropy":
        return calculus.softmax_output_delta(loss, n)
    sym, jacobian = calculus.softmax_symbols(n), calculus.softmax_jacobian(n)
    derivative = calculus.LOSSES[loss].derivative
    slopes = [derivative.xreplace({calculus.a: ak, calculus.y: yk}) for ak, yk in zip(sym.a, sym.y)]
    return tuple(sp.Add(*[jacobian[i, j] * slopes[i] for i in range(n)]) for j in range(n))


def _softmax_error(loss: str, a: DomainMatrix, y: DomainMatrix, scale: sp.Rational) -> DomainMatrix:
    rows, cols = a.shape
    rules, sym = softmax_delta_rules(loss, rows), calculus.softmax_symbols(rows)
    outputs = [[to_expr(v) for v in row] for row in a.to_list()]
    targets = [[to_expr(v) for v in row] for row in y.to_list()]
    values = [[sp.S.Zero] * cols for _ in range(rows)]
    for j in range(cols):
        subs = {**{sym.a[i]: outputs[i][j] for i in range(rows)},
                **{sym.y[i]: targets[i][j] for i in range(rows)}}
        for i, rule in enumerate(rules):
            values[i][j] = rule.xreplace(subs) * scale
    return DomainMatrix(values, a.shape, EXRAW)


def _mean_scale(loss: str, y: DomainMatrix) -> int:
    rows, cols = y.shape
    return rows * cols if calculus.LOSSES[loss].reduction == "mean" else 1


def _rational_error(rule: Callable[..., Any], a: DomainMatrix, y: DomainMatrix, z: DomainMatrix,
                    alpha: Any, scale: Any) -> DomainMatrix:
    values = []
    for k, (ak, yk, zk) in enumerate(zip(a.to_list_flat(), y.to_list_flat(), z.to_list_flat())):
        try:
            values.append(rule(ak, yk, zk, alpha) * scale)
        except ZeroDivisionError:
            raise _undefined_error(k, a.shape[1], ak) from None
    return DomainMatrix.from_list_flat(values, a.shape, QQ)


def _symbolic_error(expr: sp.Expr, a: DomainMatrix, y: DomainMatrix, z: DomainMatrix,
                    alpha: sp.Expr | None, scale: sp.Rational) -> DomainMatrix:
    values = []
    flat = zip(a.to_list_flat(), y.to_list_flat(), z.to_list_flat())
    for k, (ak, yk, zk) in enumerate(flat):
        subs = {calculus.a: to_expr(ak), calculus.y: to_expr(yk), calculus.x: to_expr(zk)}
        if alpha is not None:
            subs[calculus.alpha] = alpha
        value = _substitute(expr, subs) * scale
        if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            raise _undefined_error(k, a.shape[1], to_expr(ak))
        values.append(value)
    return DomainMatrix.from_list_flat(values, a.shape, EXRAW)


def _undefined_error(flat_index: int, samples: int, value: Any) -> MathDomainError:
    unit, sample = divmod(flat_index, samples)
    return MathDomainError(
        f"the loss gradient is undefined at output unit {unit + 1}, sample {sample + 1}: "
        f"the prediction is {value} (e.g. log 0 in cross-entropy)")


def parameter_names(layers: Sequence[LayerLike]) -> list[str]:
    """``W1, b1, W2, b2, ...`` in layer order (no b for a layer without bias)."""
    return [name for i, layer in enumerate(layers, start=1)
            for name in (f"W{i}", f"b{i}")[: 1 if layer.b is None else 2]]


def _in_layer_order(layers: Sequence[LayerLike], grads: dict[str, Any]) -> dict[str, Any]:
    return {name: grads[name] for name in parameter_names(layers)}


def backward(layers: Sequence[LayerLike], tape: Tape, delta: DomainMatrix) -> dict[str, DomainMatrix]:
    """Gradients of every parameter, given δ_L = ∂loss/∂z_L (one sample per column)."""
    grads: dict[str, DomainMatrix] = {}
    for index in range(len(layers), 0, -1):
        layer = layers[index - 1]
        grads[f"W{index}"] = matmul(delta, tape.inputs[index - 1].transpose())
        if layer.b is not None:
            grads[f"b{index}"] = row_sums(delta)
        if index > 1:
            back = matmul(layer.W.transpose(), delta)
            delta = hadamard(back, slope(layers[index - 2], tape.pre_activations[index - 2]))
    return _in_layer_order(layers, grads)


def _rational_below_output(layers: Sequence[LayerLike], tape: Tape) -> bool:
    """Whether everything the backward pass multiplies δ_L by is rational."""
    return (all(layer.W.domain == QQ for layer in layers)
            and all(a.domain == QQ for a in tape.inputs)
            and all(z.domain == QQ for z in tape.pre_activations[:-1])
            and all(is_rational_rule(layer) for layer in layers[:-1]))


def gradients(layers: Sequence[LayerLike], x: DomainMatrix, y: DomainMatrix,
              loss: str) -> dict[str, Gradient]:
    """Exact gradients: rational, factored Σ δ_k R_k, or SymPy expressions."""
    tape = forward(layers, x)
    delta = output_error(layers, tape, y, loss)
    if delta.domain == QQ:
        return dict(backward(layers, tape, delta))
    nonzero = [(k, v) for k, v in enumerate(delta.to_list_flat()) if v != 0]
    if len(nonzero) <= FACTOR_LIMIT and _rational_below_output(layers, tape):
        return _factored_gradients(layers, tape, delta.shape, nonzero)
    return dict(backward(layers, tape, delta))


def _factored_gradients(layers: Sequence[LayerLike], tape: Tape, shape: tuple[int, int],
                        nonzero: list[tuple[int, sp.Expr]]) -> dict[str, Gradient]:
    names = parameter_names(layers)
    terms: dict[str, list[tuple[sp.Expr, DomainMatrix]]] = {name: [] for name in names}
    for k, coefficient in nonzero:
        unit = DomainMatrix.from_list_flat(
            [QQ.one if i == k else QQ.zero for i in range(shape[0] * shape[1])], shape, QQ)
        for name, matrix in backward(layers, tape, unit).items():
            terms[name].append((coefficient, matrix))
    if not nonzero:
        return {name: _zeros_like(layers, name) for name in names}
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
# Certified (ball) passes.


def lift(matrix: DomainMatrix | Any) -> Any:
    """An exact matrix as an ``arb_mat`` at the current precision (balls pass through)."""
    if isinstance(matrix, flint.arb_mat):
        return matrix
    if matrix.domain == QQ:
        rep = matrix.to_dense().rep
        if hasattr(rep, "rep") and isinstance(rep.rep, flint.fmpq_mat):
            return flint.arb_mat(rep.rep)
        return flint.arb_mat([[_ball(v) for v in row] for row in matrix.to_list()])
    return flint.arb_mat([[_ball(v) for v in row] for row in matrix.to_list()])


def _ball(value: Any) -> Any:
    if QQ.of_type(value):
        return flint.arb(flint.fmpq(int(value.numerator), int(value.denominator)))
    try:
        return compile_expression(value, [], BALLS)()
    except NotCompilable:
        raise SpecError(
            f"certified decimals need numbers, but {value} is symbolic; substitute values "
            "for its symbols first, or omit digits= for an exact formula") from None


def _ball_alpha(alpha: Any) -> Any:
    return None if alpha is None else _ball(alpha)


def _ball_map(matrix: Any, function: Callable[[Any], Any]) -> Any:
    values = [function(v) for v in matrix.entries()]
    return flint.arb_mat(matrix.nrows(), matrix.ncols(), values)


def _ball_rule(expr: sp.Expr, layer: LayerLike, z: Any) -> Any:
    rule = compiled(expr, _ARGUMENTS, BALLS.name)
    if rule is None:
        raise SpecError(f"{layer.activation} cannot be evaluated in ball arithmetic")
    alpha = _ball_alpha(layer.alpha)
    return _ball_map(z, lambda v: rule(v, alpha))


def _ball_hadamard(a: Any, b: Any) -> Any:
    values = [u * v for u, v in zip(a.entries(), b.entries())]
    return flint.arb_mat(a.nrows(), a.ncols(), values)


def _ball_row_sums(a: Any) -> Any:
    if a.ncols() == 1:
        return a
    return a * flint.arb_mat(a.ncols(), 1, [1] * a.ncols())


def _ball_affine(layer: LayerLike, a: Any) -> Any:
    z = lift(layer.W) * a
    if layer.b is None:
        return z
    return z + lift(broadcast_bias(layer.b, a.ncols()))


@dataclass(frozen=True, slots=True)
class RationalPrefix:
    """The part of a forward pass that is exactly rational, computed once."""

    tape: Tape
    """Inputs and pre-activations of the first ``rational_layers`` layers (exact)."""
    rational_layers: int
    """How many leading layers have a rational input, pre-activation and output."""
    next_input: DomainMatrix
    """The (rational) input of the first non-rational layer, or the output."""
    next_pre_activation: DomainMatrix | None
    """That layer's pre-activation when still rational (None otherwise)."""


def rational_prefix(layers: Sequence[LayerLike], x: DomainMatrix) -> RationalPrefix:
    """Run the forward pass over QQ for as long as every value stays rational."""
    inputs: list[DomainMatrix] = []
    pre: list[DomainMatrix] = []
    a = x
    for layer in layers:
        rational_params = layer.W.domain == QQ and (layer.b is None or layer.b.domain == QQ)
        z = affine(layer, a) if rational_params and a.domain == QQ else None
        if z is None or not is_rational_rule(layer):
            return RationalPrefix(Tape(tuple(inputs), tuple(pre), a), len(inputs), a, z)
        inputs.append(a)
        pre.append(z)
        a = activate(layer, z)
    return RationalPrefix(Tape(tuple(inputs), tuple(pre), a), len(inputs), a, None)


def ball_forward(layers: Sequence[LayerLike], prefix: RationalPrefix) -> tuple[list[Any], list[Any], Any]:
    """Continue the forward pass in balls; returns (inputs, pre-activations, output)."""
    inputs = [lift(a) for a in prefix.tape.inputs]
    pre = [lift(z) for z in prefix.tape.pre_activations]
    a = lift(prefix.next_input)
    for index in range(prefix.rational_layers, len(layers)):
        layer = layers[index]
        inputs.append(a)
        exact_z = prefix.next_pre_activation if index == prefix.rational_layers else None
        z = lift(exact_z) if exact_z is not None else _ball_affine(layer, a)
        pre.append(z)
        a = _ball_softmax(z) if is_softmax(layer) else _ball_rule(elementwise(layer).definition, layer, z)
    return inputs, pre, a


def _ball_columns(rules: Sequence[sp.Expr], symbols: Sequence[sp.Symbol], columns: Sequence[Any],
                  rows: int) -> Any:
    """Vector rules (one expression per row, in ``symbols``) applied to each column of values."""
    compiled_rules = [compiled(rule, tuple(symbols), BALLS.name) for rule in rules]
    if any(rule is None for rule in compiled_rules):
        raise SpecError("softmax cannot be evaluated in ball arithmetic")
    results = [[rule(*column) for rule in compiled_rules] for column in columns]  # type: ignore[misc]
    return flint.arb_mat([[results[j][i] for j in range(len(columns))] for i in range(rows)])


def _ball_column_list(matrix: Any) -> list[list[Any]]:
    return [[matrix[i, j] for i in range(matrix.nrows())] for j in range(matrix.ncols())]


def _ball_softmax(z: Any) -> Any:
    n = z.nrows()
    return _ball_columns(calculus.softmax_definition(n), calculus.softmax_symbols(n).z,
                         _ball_column_list(z), n)


def _ball_softmax_error(loss: str, output: Any, y: DomainMatrix) -> Any:
    n, targets = output.nrows(), lift(y)
    sym = calculus.softmax_symbols(n)
    columns = [a + t for a, t in zip(_ball_column_list(output), _ball_column_list(targets))]
    delta = _ball_columns(softmax_delta_rules(loss, n), sym.a + sym.y, columns, n)
    return delta * (flint.arb(1) / _mean_scale(loss, y))


def ball_gradients(layers: Sequence[LayerLike], prefix: RationalPrefix, y: DomainMatrix,
                   loss: str) -> dict[str, Any]:
    """Gradients as ``arb_mat`` balls at the current precision."""
    inputs, pre, output = ball_forward(layers, prefix)
    last = layers[-1]
    if is_softmax(last):
        delta = _ball_softmax_error(loss, output, y)
    else:
        delta = _ball_elementwise_error(last, loss, output, pre[-1], y)
    grads: dict[str, Any] = {}
    for index in range(len(layers), 0, -1):
        layer = layers[index - 1]
        grads[f"W{index}"] = delta * inputs[index - 1].transpose()
        if layer.b is not None:
            grads[f"b{index}"] = _ball_row_sums(delta)
        if index > 1:
            below = layers[index - 2]
            slopes = _prefix_slope(below, prefix, index - 2)
            if slopes is None:
                slopes = _ball_rule(elementwise(below).derivative, below,
                                    pre[index - 2])
            delta = _ball_hadamard(lift(layer.W).transpose() * delta, slopes)
    return _in_layer_order(layers, grads)


def _ball_elementwise_error(last: LayerLike, loss: str, output: Any, z: Any, y: DomainMatrix) -> Any:
    rule = compiled(calculus.output_delta(loss, elementwise(last)), _DELTA_ARGUMENTS, BALLS.name)
    if rule is None:
        raise SpecError(f"the {loss} gradient through {last.activation} cannot be evaluated in balls")
    alpha = _ball_alpha(last.alpha)
    scale = flint.arb(1) / _mean_scale(loss, y)
    delta_values = [rule(a, t, v, alpha) * scale
                    for a, t, v in zip(output.entries(), lift(y).entries(), z.entries())]
    return flint.arb_mat(output.nrows(), output.ncols(), delta_values)


def _prefix_slope(layer: LayerLike, prefix: RationalPrefix, index: int) -> Any | None:
    """Exact slopes of a rational-prefix layer (no ball ever meets ReLU's kink)."""
    if index >= prefix.rational_layers:
        return None
    return lift(slope(layer, prefix.tape.pre_activations[index]))


def ball_outputs(layers: Sequence[LayerLike], prefix: RationalPrefix) -> Any:
    """The network's output as balls at the current precision."""
    return ball_forward(layers, prefix)[2]


def ball_loss(loss: str, output: Any, y: DomainMatrix) -> Any:
    """The loss value as a ball."""
    rule = compiled(calculus.LOSSES[loss].term, (calculus.y, calculus.a), BALLS.name)
    if rule is None:
        raise SpecError(f"the {loss} loss cannot be evaluated in balls")
    total = flint.arb(0)
    for t, a in zip(lift(y).entries(), output.entries()):
        total += rule(t, a)
    return total / _mean_scale(loss, y)
