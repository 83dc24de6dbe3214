"""Gradient-descent steps 2…k in certified ball arithmetic, when exact values stop being rational.

With a sigmoid, tanh, softplus or ELU layer (or a bce / cross-entropy loss) every exact
step nests the previous step's exponentials inside new ones, so exact parameters grow
geometrically.  symnn keeps step 1's update exact and runs everything after it over
python-flint ``arb`` balls: the exact parameters after step 1 become balls at
:data:`START_BITS` bits or more, and :func:`symnn.core.certified.certify` redoes the whole trajectory at a
higher precision until every loss and final parameter has :data:`CERTIFIED_DIGITS`
guaranteed significant digits.

The rules are the calculus definitions compiled by :mod:`symnn.core.program` (activation,
its ``sympy.diff`` derivative, SymPy's simplified output delta, the loss term, softmax
and its simplified delta); nothing here differentiates by hand.

Answer-key convention: a certified quantity's ``exact`` value is the **certified decimal
itself as an exact rational** — the true value correctly rounded to
:data:`CERTIFIED_DIGITS` significant digits (every digit guaranteed), not the
transcendental true value.  The JSON key therefore keeps its schema (``exact`` a string
such as ``"1234567/1000000"``, ``latex``, ``value``), and the cross-check against the
numpy evaluator compares that rounding with float64, well inside its tolerance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import flint
import sympy as sp

from symnn.core.calculus import (
    a,
    output_delta,
    softmax_definition,
    softmax_output_delta,
    softmax_symbols,
    x,
    y,
)
from symnn.core.calculus import alpha as alpha_symbol
from symnn.core.certified import CertifiedMatrix, ball_endpoints, certify, round_significant
from symnn.core.program import BALLS, NotCompilable, compile_expression, compiled
from symnn.errors import SpecError

if TYPE_CHECKING:
    from symnn.sheets.kinds.network import Params, Rule, Setting

CERTIFIED_DIGITS = 20
"""Significant digits guaranteed in every certified loss and parameter."""
START_BITS = 200
"""Least binary precision of the ball trajectory (certify doubles it when digits are lost)."""

Balls = Any
"""A python-flint ``arb_mat``."""


@dataclass(frozen=True, slots=True)
class CertifiedTrajectory:
    """Losses after steps 1…k and the parameters after step k, as certified values."""

    losses: tuple[CertifiedMatrix, ...]
    """1×1 certified losses after steps 1, 2, …, k."""
    weights: tuple[CertifiedMatrix, ...]
    """W_l after step k, per layer."""
    biases: tuple[CertifiedMatrix | None, ...]
    """b_l after step k, per layer (None for a layer without bias)."""
    precision: int
    """Binary precision at which every entry reached its digits."""


# ---------------------------------------------------------------------------
# Compiled rules (one per layer), refused in one line when not available in balls.


@dataclass(frozen=True, slots=True)
class BallRule:
    """One layer's activation as ball functions of a column-per-sample matrix."""

    apply: Callable[[Balls], Balls]
    """A = f(Z)."""
    slope: Callable[[Balls], Balls] | None
    """f'(Z) entry by entry (None for softmax, which only ends a network)."""


def _compiled_or_refuse(expr: sp.Basic, variables: tuple[sp.Symbol, ...], what: str, k: int) -> Callable[..., Any]:
    function = compiled(expr, variables, BALLS.name)
    if function is None:
        raise SpecError(f"steps = {k}: {what} cannot be evaluated in ball arithmetic, so steps after the first "
                        "cannot be certified; ask for steps = 1")
    return function


def _entrywise(function: Callable[..., Any], alpha: Any) -> Callable[[Balls], Balls]:
    def run(Z: Balls) -> Balls:
        return flint.arb_mat(Z.nrows(), Z.ncols(), [function(v, alpha) for v in Z.entries()])
    return run


def _columnwise(functions: Sequence[Callable[..., Any]]) -> Callable[[Balls], Balls]:
    def run(Z: Balls) -> Balls:
        rows, cols = Z.nrows(), Z.ncols()
        out = flint.arb_mat(rows, cols)
        for j in range(cols):
            column = [Z[i, j] for i in range(rows)]
            for i, function in enumerate(functions):
                out[i, j] = function(*column)
        return out
    return run


def ball_rule(rule: Rule, n_out: int, k: int) -> BallRule:
    """The layer's activation (and slope) compiled from its SymPy definition."""
    if rule.activation is None:
        z = softmax_symbols(n_out).z
        return BallRule(_columnwise([_compiled_or_refuse(e, tuple(z), "softmax", k)
                                     for e in softmax_definition(n_out)]), None)
    act = rule.activation
    alpha = _ball(rule.alpha) if rule.alpha is not None else None
    definition = _compiled_or_refuse(act.definition, (x, alpha_symbol), f"the {rule.name} activation", k)
    derivative = _compiled_or_refuse(act.derivative, (x, alpha_symbol), f"the {rule.name} derivative", k)
    return BallRule(_entrywise(definition, alpha), _entrywise(derivative, alpha))


def _ball(value: sp.Basic) -> Any:
    """An exact SymPy number as a ball at the current precision."""
    try:
        return compile_expression(value, [], BALLS)()
    except NotCompilable as exc:
        raise SpecError(f"cannot evaluate {value} in ball arithmetic ({exc})") from None


def _balls(matrix: sp.MatrixBase) -> Balls:
    return flint.arb_mat(int(matrix.rows), int(matrix.cols), [_ball(v) for v in matrix])


# ---------------------------------------------------------------------------
# One network pass in balls.


@dataclass(frozen=True, slots=True)
class BallNetwork:
    """Everything a ball pass needs, compiled once per precision."""

    X: Balls
    """Inputs, one column per sample."""
    Y: Balls
    """Targets, one column per sample."""
    rules: tuple[BallRule, ...]
    """Activation per layer."""
    loss_term: Callable[..., Any]
    """ℓ(y, a) for one output entry."""
    delta: Callable[[Balls, Balls, Balls], Balls]
    """∂L/∂Z of the last layer from (Z_L, A_L, Y), the averaging factor included."""
    scale: Any
    """The averaging factor of the loss (1/n per sample, 1/m over a batch)."""
    eta: Any
    """Learning rate."""
    update_biases: bool
    """Whether biases move."""


def ball_network(setting: Setting, k: int) -> BallNetwork:
    """Compile the setting at the current precision."""
    n_out = int(setting.Y.rows)
    rules = tuple(ball_rule(rule, n_out, k) for rule in setting.rules)
    loss = setting.loss
    term = _compiled_or_refuse(loss.term, (y, a), f"the {loss.name} loss", k)
    scale = _ball(setting.scale)
    last = setting.rules[-1]
    if last.activation is None:
        sym = softmax_symbols(n_out)
        functions = [_compiled_or_refuse(e, (*sym.a, *sym.y), "the softmax output delta", k)
                     for e in softmax_output_delta(loss.name, n_out)]
        delta = _softmax_delta(functions, scale)
    else:
        rule = _compiled_or_refuse(output_delta(loss.name, last.activation), (a, y, x, alpha_symbol),
                                   "the output delta", k)
        alpha = _ball(last.alpha) if last.alpha is not None else None
        delta = _elementwise_delta(rule, alpha, scale)
    assert setting.learning_rate is not None  # steps need a learning rate (checked by the spec reader)
    return BallNetwork(_balls(setting.X), _balls(setting.Y), rules, term, delta,
                       scale, _ball(setting.learning_rate), setting.update_biases)


def _elementwise_delta(rule: Callable[..., Any], alpha: Any, scale: Any) -> Callable[..., Balls]:
    def run(Z: Balls, A: Balls, Y: Balls) -> Balls:
        values = [rule(av, yv, zv, alpha) * scale for zv, av, yv in zip(Z.entries(), A.entries(), Y.entries())]
        return flint.arb_mat(Z.nrows(), Z.ncols(), values)
    return run


def _softmax_delta(functions: Sequence[Callable[..., Any]], scale: Any) -> Callable[..., Balls]:
    def run(Z: Balls, A: Balls, Y: Balls) -> Balls:
        rows, cols = A.nrows(), A.ncols()
        out = flint.arb_mat(rows, cols)
        for j in range(cols):
            column = [A[i, j] for i in range(rows)] + [Y[i, j] for i in range(rows)]
            for i, function in enumerate(functions):
                out[i, j] = function(*column) * scale
        return out
    return run


def _bias_columns(bias: Balls, samples: int) -> Balls:
    return bias * flint.arb_mat(1, samples, [1] * samples)


def _hadamard(p: Balls, q: Balls) -> Balls:
    return flint.arb_mat(p.nrows(), p.ncols(), [u * v for u, v in zip(p.entries(), q.entries())])


def forward(net: BallNetwork, Ws: Sequence[Balls], bs: Sequence[Balls | None]) -> tuple[list[Balls], list[Balls]]:
    """Pre-activations Z_1…Z_L and activations A_0 = x, A_1…A_L, in balls."""
    Zs: list[Balls] = []
    As: list[Balls] = [net.X]
    samples = net.X.ncols()
    for W, bias, rule in zip(Ws, bs, net.rules):
        Z = W * As[-1]
        Zs.append(Z if bias is None else Z + _bias_columns(bias, samples))
        As.append(rule.apply(Zs[-1]))
    return Zs, As


def loss(net: BallNetwork, out: Balls) -> Balls:
    """The batch loss (1×1): every entry's term summed, times the averaging factor."""
    total = flint.arb(0)
    for yv, av in zip(net.Y.entries(), out.entries()):
        total += net.loss_term(yv, av)
    return flint.arb_mat([[total * net.scale]])


def step(net: BallNetwork, Ws: list[Balls], bs: list[Balls | None], Zs: list[Balls], As: list[Balls]
         ) -> tuple[list[Balls], list[Balls | None]]:
    """One gradient-descent step from a forward pass: δ_L, the chain rule back, then the update."""
    delta = net.delta(Zs[-1], As[-1], net.Y)
    new_Ws, new_bs = list(Ws), list(bs)
    ones = flint.arb_mat(net.X.ncols(), 1, [1] * net.X.ncols())
    for l in range(len(Ws) - 1, -1, -1):
        new_Ws[l] = Ws[l] - net.eta * (delta * As[l].transpose())
        if bs[l] is not None and net.update_biases:
            new_bs[l] = bs[l] - net.eta * (delta * ones)
        if l > 0:
            slope = net.rules[l - 1].slope
            assert slope is not None  # softmax is only ever the last layer (checked by the spec reader)
            delta = _hadamard(Ws[l].transpose() * delta, slope(Zs[l - 1]))
    return new_Ws, new_bs


def trajectory_balls(setting: Setting, params: Params, k: int) -> dict[str, Balls]:
    """From the exact parameters after step 1: losses after steps 1…k and the parameters after step k.

    Keys ``L_step{t}``, ``W{l}`` and ``b{l}``; runs at the current ball precision.
    """
    net = ball_network(setting, k)
    Ws = [_balls(W) for W in params.Ws]
    bs: list[Balls | None] = [None if bias is None else _balls(bias) for bias in params.bs]
    results: dict[str, Balls] = {}
    for t in range(1, k + 1):
        Zs, As = forward(net, Ws, bs)
        results[f"L_step{t}"] = loss(net, As[-1])
        if t < k:
            Ws, bs = step(net, Ws, bs, Zs, As)
    results.update({f"W{l}": W for l, W in enumerate(Ws, start=1)})
    results.update({f"b{l}": bias for l, bias in enumerate(bs, start=1) if bias is not None})
    return results


def certified_trajectory(setting: Setting, params: Params, k: int) -> CertifiedTrajectory:
    """Losses after steps 1…k and the parameters after step k with :data:`CERTIFIED_DIGITS` guaranteed digits.

    Starts from the exact parameters after step 1 (so the loss after step 1 is its
    forward pass in balls: its exact form nests the first step's exponentials and costs
    SymPy seconds to build, for a value the sheet could only round).
    """
    def compute(precision: int) -> dict[str, Balls]:
        with flint.ctx.workprec(max(precision, START_BITS)):
            return trajectory_balls(setting, params, k)

    results, precision = certify(compute, CERTIFIED_DIGITS)

    def certified(name: str) -> CertifiedMatrix:
        balls = results[name]
        return CertifiedMatrix((balls.nrows(), balls.ncols()), CERTIFIED_DIGITS, None, balls,
                               max(precision, START_BITS), refine=lambda p: compute(p)[name])

    return CertifiedTrajectory(
        losses=tuple(certified(f"L_step{t}") for t in range(1, k + 1)),
        weights=tuple(certified(f"W{l}") for l in range(1, len(params.Ws) + 1)),
        biases=tuple(certified(f"b{l}") if f"b{l}" in results else None for l in range(1, len(params.bs) + 1)),
        precision=max(precision, START_BITS))


def as_rational(matrix: CertifiedMatrix) -> sp.ImmutableMatrix:
    """The certified decimals as exact rationals (the answer key's ``exact``; see the module docstring).

    An entry too wide to certify (a true zero reached through cancellation) keeps its
    midpoint rounded to the same digits.

    >>> with flint.ctx.workprec(100):
    ...     e = CertifiedMatrix((1, 1), 5, None, flint.arb_mat([[flint.arb(1).exp()]]), 100)
    >>> as_rational(e)
    Matrix([[27183/10000]])
    """
    rows, cols = matrix.shape
    return sp.ImmutableMatrix(rows, cols, [_decimal_rational(matrix, i, j) for i in range(rows) for j in range(cols)])


def _decimal_rational(matrix: CertifiedMatrix, i: int, j: int) -> sp.Rational:
    text = matrix[i, j]
    if text.startswith("["):
        low, high = ball_endpoints(matrix.balls[i, j])
        text = round_significant((low + high) / 2, matrix.digits)
    return sp.Rational(text)
