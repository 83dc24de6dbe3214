"""Gradient-descent runs of any length: exact while the rationals stay short, else certified balls.

With a sigmoid, tanh, softplus or ELU layer (or a bce / cross-entropy loss) every exact
step nests the previous step's exponentials inside new ones, and even a ReLU network with a
squared error doubles the digits of its rationals at every step.  :func:`certified_trajectory`
runs the steps over python-flint ``arb`` balls instead, on the one network engine
(:mod:`symnn.library.engine`), **from the exact initial parameters** (never from a rounded
number): every pass is redone at a higher precision by :func:`symnn.core.certified.certify`
until every kept loss and final parameter has the requested guaranteed significant digits.
:func:`exact_trajectory` is the rational run, given up as soon as a value grows past
:data:`EXACT_DIGITS` digits.

Which losses a run keeps (:func:`recorded_steps`): the loss after every step up to
:data:`EVERY_STEP_UP_TO`, then :data:`PER_DECADE` log-spaced steps per decade, and the
last step always.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal
from typing import Any, Generic, TypeAlias, TypeVar

import flint
import sympy as sp
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from symnn.core.certified import CertifiedMatrix, bits_for, certify
from symnn.core.progress import progress
from symnn.errors import SpecError
from symnn.library import engine
from symnn.library.engine import EXACT
from symnn.library.engine.domains.balls import BallDomain, ball

EVERY_STEP_UP_TO = 100
"""A run keeps the loss after every step up to this one."""
PER_DECADE = 20
"""Beyond :data:`EVERY_STEP_UP_TO`, a run keeps this many log-spaced steps per decade (and the last)."""
EXACT_DIGITS = 60
"""Most decimal digits of a numerator or denominator an exact run may reach before it is given up."""
EXTRA_BITS = 64
"""Bits above the requested digits, and above the bits the balls are expected to lose, of a certified run."""
PROBE_STEPS = 64
"""Steps of the short run that measures how many bits the balls lose per step."""
PROBE_BITS = 1024
"""Precision of that short run."""
MAX_BITS = 8192
"""Most working bits of a certified run (a run needing more is refused, with the steps that fit)."""

Matrix: TypeAlias = sp.ImmutableMatrix
M = TypeVar("M")


def _log_series(k: int) -> list[tuple[int, int]]:
    """(i, round(100 · 10^(i/20))) for i = 1, 2, … while below k, in decimal arithmetic (no platform pow)."""
    context = Context(prec=30)
    series: list[tuple[int, int]] = []
    index = 1
    while True:
        exponent = Decimal(index) / PER_DECADE
        step = int((Decimal(EVERY_STEP_UP_TO) * context.power(Decimal(10), exponent)).to_integral_value())
        if step >= k:
            return series
        series.append((index, step))
        index += 1


def recorded_steps(k: int) -> tuple[int, ...]:
    """The steps whose losses a run of ``k`` steps keeps: 1…100, then 20 per decade (log-spaced), and k.

    >>> recorded_steps(3)
    (1, 2, 3)
    >>> kept = recorded_steps(10_000)
    >>> len(kept), kept[98:104], kept[-3:]
    (140, (99, 100, 112, 126, 141, 158), (7943, 8913, 10000))
    """
    kept = set(range(1, min(k, EVERY_STEP_UP_TO) + 1)) | {step for _, step in _log_series(k)} | {k}
    return tuple(sorted(kept))


def shown_steps(k: int) -> tuple[int, ...]:
    """The kept steps a worked sheet lists in its table: 1…10, every tenth to 100, 4 per decade beyond, and k.

    >>> shown_steps(4)
    (1, 2, 3, 4)
    >>> shown_steps(10_000)[8:]
    (9, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 178, 316, 562, 1000, 1778, 3162, 5623, 10000)
    """
    shown = {t for t in range(1, min(k, EVERY_STEP_UP_TO) + 1) if t <= 10 or t % 10 == 0}
    shown |= {step for index, step in _log_series(k) if index % 5 == 0} | {k}
    return tuple(sorted(shown))


@dataclass(frozen=True, slots=True)
class Trajectory(Generic[M]):
    """The losses of a gradient-descent run and its final parameters, in one domain."""

    steps: tuple[int, ...]
    """The steps t whose losses are kept (:func:`recorded_steps`), ascending; the last is the run's length."""
    initial_loss: Any
    """The loss before any step."""
    losses: tuple[Any, ...]
    """The loss after step t, for each t of :attr:`steps`."""
    final: engine.Params[M]
    """The parameters after the last step."""

    def loss_after(self, t: int) -> Any:
        """The loss after step ``t`` (0: before any step); only kept steps."""
        return self.initial_loss if t == 0 else self.losses[self.steps.index(t)]


@dataclass(frozen=True, slots=True)
class CertifiedTrajectory:
    """A run's kept losses and final parameters as certified values (every printed digit guaranteed)."""

    steps: tuple[int, ...]
    """The steps t whose losses are kept, ascending; the last is the run's length."""
    initial_loss: CertifiedMatrix
    """1×1: the loss before any step."""
    losses: tuple[CertifiedMatrix, ...]
    """1×1 certified loss after step t, for each t of :attr:`steps`."""
    weights: tuple[CertifiedMatrix, ...]
    """W_l after the last step, per layer."""
    biases: tuple[CertifiedMatrix | None, ...]
    """b_l after the last step, per layer (None for a layer without bias)."""
    precision: int
    """Binary precision at which every entry reached its digits."""

    def loss_after(self, t: int) -> CertifiedMatrix:
        """The certified loss after step ``t`` (0: before any step); only kept steps."""
        if t != 0 and t not in self.steps:
            raise KeyError(f"the loss after step {t} was not kept; kept: steps {self.steps[0]}…{self.steps[-1]} "
                           "(every step to 100, then 20 per decade); pass keep= to choose")
        return self.initial_loss if t == 0 else self.losses[self.steps.index(t)]

    def parameters(self) -> dict[str, CertifiedMatrix]:
        """The parameters after the last step by name, ``W1, b1, W2, …``."""
        named: dict[str, CertifiedMatrix] = {}
        for l, (W, b) in enumerate(zip(self.weights, self.biases), start=1):
            named[f"W{l}"] = W
            if b is not None:
                named[f"b{l}"] = b
        return named


def _balls(matrix: Any) -> Any:
    """An exact matrix (SymPy, or a ``QQ``/``EXRAW`` DomainMatrix) as an ``arb_mat``."""
    if isinstance(matrix, DomainMatrix):
        rows, cols = matrix.shape
        return flint.arb_mat(rows, cols, [ball(v) for v in matrix.to_list_flat()])
    return flint.arb_mat(int(matrix.rows), int(matrix.cols), [ball(v) for v in matrix])


def run(d: engine.Domain[M], net: engine.Network[M], params: engine.Params[M], rate: Any, k: int,
        update_biases: bool = True, keep: Sequence[int] | None = None, label: str = "",
        stop: Any = None, show: bool = True) -> Trajectory[M] | None:
    """``k`` gradient-descent steps from ``params`` in domain ``d``, keeping the losses after the steps ``keep``.

    ``stop(params)`` is asked after every step; when it is true the run is abandoned (None).
    A progress bar (:func:`symnn.core.progress.progress`) shows long runs on a terminal.
    """
    kept = tuple(recorded_steps(k) if keep is None else keep)
    wanted = set(kept)
    losses: dict[int, Any] = {}
    steps = progress(range(k + 1), total=k + 1, label=label, unit="step", minimum=1000) if show else range(k + 1)
    for t in steps:
        values = net.forward(d, params)
        if t == 0 or t in wanted:
            losses[t] = net.loss(d, values.As[-1])
        if t < k:
            params = engine.descend(d, params, net.deltas(d, params, values), values.As[:-1], rate, update_biases)
            if stop is not None and stop(params):
                return None
    return Trajectory(kept, losses[0], tuple(losses[t] for t in kept), params)


def _too_long(limit: int) -> Any:
    """Whether some entry of ``QQ`` parameters has a numerator or denominator past ``limit`` digits."""
    bound = 10**limit

    def check(params: engine.Params[DomainMatrix]) -> bool:
        for matrix in (*params.Ws, *(b for b in params.bs if b is not None)):
            if matrix.domain != QQ:
                return True
            for value in matrix.to_list_flat():
                if abs(value.numerator) >= bound or value.denominator >= bound:
                    return True
        return False

    return check


def exact_trajectory(net: engine.Network[DomainMatrix], params: engine.Params[DomainMatrix], rate: Any, k: int,
                     update_biases: bool = True, limit: int = EXACT_DIGITS,
                     keep: Sequence[int] | None = None) -> Trajectory[DomainMatrix] | None:
    """The run in exact ``QQ`` arithmetic, or None once a parameter's numerator or denominator passes
    ``limit`` digits (or a value stops being rational): then only certified decimals are readable."""
    rational = (net.X.domain == QQ and net.Y.domain == QQ and QQ.of_type(QQ.convert(rate))
                and all(EXACT.stays_rational(rule) for rule in net.rules))
    if not rational or _too_long(limit)(params):
        return None
    return run(EXACT, net, params, QQ.convert(rate), k, update_biases, keep, "exact steps", _too_long(limit))


def bits_lost(net: engine.Network[Any], params: engine.Params[Any], rate: Any, k: int,
              update_biases: bool = True) -> float:
    """About how many bits of accuracy the balls lose over k steps, extrapolated from short runs.

    Ball arithmetic treats every entry's error as independent, so the radii grow by about a
    fixed factor per step even where the true trajectory contracts: the bits lost grow
    linearly with the steps (about 0.02 per step for a small sigmoid network once it
    settles, about 2 for a tanh or softmax network with a large learning rate).  A run of
    2 × :data:`PROBE_STEPS` steps at :data:`PROBE_BITS` measures the loss over its first
    and second half; the second half's rate is extrapolated to the remaining steps.
    """
    return _extrapolation(net, params, rate, k, update_biases)(k)


def _extrapolation(net: engine.Network[Any], params: engine.Params[Any], rate: Any, k: int,
                   update_biases: bool) -> Callable[[int], float]:
    """The bits lost over t ≤ k steps, as a function of t, from the short runs of :func:`bits_lost`."""
    probe = min(k, 2 * PROBE_STEPS)
    half = probe // 2
    with flint.ctx.workprec(PROBE_BITS):
        results = trajectory_balls(net, params, rate, probe, update_biases, (half, probe), quiet=True)
    lost_half = PROBE_BITS - min(_accuracy(b) for b in results[f"L_step{half}"].entries())
    lost = PROBE_BITS - min(_accuracy(b) for m in results.values() for b in m.entries())
    per_step = max(0.0, (lost - lost_half) / max(1, probe - half))
    return lambda t: float(lost) if t <= probe else lost + per_step * (t - probe)


def _accuracy(ball: Any) -> int:
    if ball.is_exact():
        return PROBE_BITS
    return int(ball.rel_accuracy_bits()) if ball.is_finite() else 0


def _start_bits(net: engine.Network[Any], params: engine.Params[Any], rate: Any, k: int, digits: int,
                update_biases: bool) -> int:
    """Bits above the requested digits' for a run of k steps: the bits the balls will lose, with a margin."""
    lost_after = _extrapolation(net, params, rate, k, update_biases)

    def extra(t: int) -> int:
        return EXTRA_BITS + math.ceil(1.25 * lost_after(t))

    needed = bits_for(digits) + extra(k)
    if needed > MAX_BITS:
        fits, too_many = 1, k  # the most steps within MAX_BITS, by bisection
        while too_many - fits > 1:
            middle = (fits + too_many) // 2
            fits, too_many = (middle, too_many) if bits_for(digits) + extra(middle) <= MAX_BITS else (fits, middle)
        lost = lost_after(k)
        raise SpecError(
            f"steps = {k}: the certified balls lose about {lost / k:.2f} bits per step with this network "
            f"(each step widens them, although training itself converges), so {k} steps would need about "
            f"{needed} bits of working precision; symnn stops at {MAX_BITS}. Ask for at most {fits} steps, "
            "or a smaller learning rate")
    return extra(k)


def trajectory_balls(net: engine.Network[Any], params: engine.Params[Any], rate: Any, k: int,
                     update_biases: bool = True, keep: Sequence[int] | None = None,
                     quiet: bool = False) -> dict[str, Any]:
    """The run over balls at the current precision, from exact parameters, as named ``arb_mat`` results.

    Keys ``L_step0`` (before any step) and ``L_step{t}`` for the kept steps t, ``W{l}`` and
    ``b{l}`` (after the last step).  Anything the balls cannot evaluate is refused with a
    :class:`symnn.errors.SpecError`.
    """
    d = BallDomain(lambda what: f"steps = {k}: {what} cannot be evaluated in ball arithmetic, so the "
                                "steps cannot be certified")
    ball_net = engine.Network(_balls(net.X), _balls(net.Y), net.rules, net.objective)
    start = engine.Params(tuple(_balls(W) for W in params.Ws),
                          tuple(None if b is None else _balls(b) for b in params.bs))
    path = run(d, ball_net, start, ball(rate), k, update_biases, keep,
               "" if quiet else f"certified steps ({flint.ctx.prec} bits)", show=not quiet)
    assert path is not None
    results: dict[str, Any] = {"L_step0": flint.arb_mat([[path.initial_loss]])}
    results.update({f"L_step{t}": flint.arb_mat([[loss]]) for t, loss in zip(path.steps, path.losses)})
    results.update({f"W{l}": W for l, W in enumerate(path.final.Ws, start=1)})
    results.update({f"b{l}": b for l, b in enumerate(path.final.bs, start=1) if b is not None})
    return results


def certified_trajectory(net: engine.Network[Any], params: engine.Params[Any], rate: Any, k: int,
                         digits: int, update_biases: bool = True,
                         keep: Sequence[int] | None = None) -> CertifiedTrajectory:
    """The kept losses of ``k`` steps from the exact ``params`` and the final parameters, ``digits`` guaranteed.

    ``params``, the inputs and targets are exact (SymPy matrices or DomainMatrix); the
    balls start from them, so no rounding happens before the first step.
    """
    kept = tuple(recorded_steps(k) if keep is None else keep)
    extra = _start_bits(net, params, rate, k, digits, update_biases)

    def compute(precision: int) -> dict[str, Any]:
        with flint.ctx.workprec(precision + extra):
            results = trajectory_balls(net, params, rate, k, update_biases, kept)
        # Rounded (outward) to the bits the digits need: a midpoint of 16,000 bits would print
        # as a 5,000-digit fraction on the way to its 20 digits.
        with flint.ctx.workprec(precision + EXTRA_BITS):
            return {name: flint.arb_mat(m.nrows(), m.ncols(), [+entry for entry in m.entries()])
                    for name, m in results.items()}

    results, precision = certify(compute, digits)

    def certified(name: str) -> CertifiedMatrix:
        found = results[name]
        return CertifiedMatrix((found.nrows(), found.ncols()), digits, None, found, precision + extra,
                               refine=lambda p: compute(p)[name])

    return CertifiedTrajectory(
        steps=kept,
        initial_loss=certified("L_step0"),
        losses=tuple(certified(f"L_step{t}") for t in kept),
        weights=tuple(certified(f"W{l}") for l in range(1, len(params.Ws) + 1)),
        biases=tuple(certified(f"b{l}") if f"b{l}" in results else None for l in range(1, len(params.bs) + 1)),
        precision=precision + extra)
