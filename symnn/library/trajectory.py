"""Gradient-descent runs of any length: exact while the rationals stay short, else certified balls.

With a sigmoid, tanh, softplus or ELU layer (or a bce / cross-entropy loss) every exact
step nests the previous step's exponentials inside new ones, and even a ReLU network with a
squared error doubles the digits of its rationals at every step.  :func:`run` is the one loop of
steps in any domain of the network engine (:mod:`symnn.library.engine`); :func:`exact_trajectory`
is the rational run, given up as soon as a value grows past :data:`EXACT_DIGITS` digits, and
:mod:`symnn.library.certified_runs` runs the steps over python-flint ``arb`` balls instead, every
printed digit guaranteed.

Which losses a run keeps (:func:`recorded_steps`): the loss after every step up to
:data:`EVERY_STEP_UP_TO`, then :data:`PER_DECADE` log-spaced steps per decade, and the
last step always.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal
from typing import Any, Generic, TypeAlias, TypeVar

import sympy as sp
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from symnn.core.progress import progress
from symnn.library import engine
from symnn.library.engine import EXACT

EVERY_STEP_UP_TO = 100
"""A run keeps the loss after every step up to this one."""
PER_DECADE = 20
"""Beyond :data:`EVERY_STEP_UP_TO`, a run keeps this many log-spaced steps per decade (and the last)."""
EXACT_DIGITS = 60
"""Most decimal digits of a numerator or denominator an exact run may reach before it is given up."""
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


def run(d: engine.Domain[M], net: engine.Network[M], params: engine.Params[M], rate: Any, k: int,
        update_biases: bool = True, keep: Sequence[int] | None = None, label: str = "",
        stop: Any = None, show: bool = True,
        step: Callable[[engine.Params[M]], engine.Params[M]] | None = None) -> Trajectory[M] | None:
    """``k`` gradient-descent steps from ``params`` in domain ``d``, keeping the losses after the steps ``keep``.

    ``step`` replaces the plain step (the mean-value form of :func:`symnn.library.mean_value.mean_value_step`); a kept
    loss is then the loss over that step's parameters.  ``stop(params)`` is asked after every
    step; when it is true the run is abandoned (None).  A progress bar
    (:func:`symnn.core.progress.progress`) shows long runs on a terminal.
    """
    kept = tuple(recorded_steps(k) if keep is None else keep)
    wanted = set(kept)
    losses: dict[int, Any] = {}
    steps = progress(range(k + 1), total=k + 1, label=label, unit="step", minimum=1000) if show else range(k + 1)
    for t in steps:
        recorded = t == 0 or t in wanted
        values = net.forward(d, params) if step is None or recorded else None
        if recorded:
            assert values is not None
            losses[t] = net.loss(d, values.As[-1])
        if t < k:
            if step is not None:
                params = step(params)
            else:
                assert values is not None
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


