"""Certified gradient-descent runs: the steps over python-flint ``arb`` balls, every printed digit guaranteed.

:func:`certified_trajectory` runs the steps of :func:`symnn.library.trajectory.run` over balls, on
the one network engine, **from the exact initial parameters** (never from a rounded number):
every pass is redone at a higher precision by :func:`symnn.core.certified.certify` until every
kept loss and final parameter has the requested guaranteed significant digits.  Short probes
first plan the working precision (:func:`bits_lost`), choose the form of the steps, and refuse
a run that no precision within :data:`MAX_BITS` would certify, or that diverges.

Plain ball steps lose the dependency between θ and −η∇L(θ), so their radii grow by a fixed
factor per step even while training converges (about 3.4 bits per step for a tanh → softmax
network with η = 1/2).  A run whose plain balls would need more than :data:`CENTRED_FROM_BITS`
runs in the **mean-value (centred) form** instead when that loses fewer bits
(:func:`symnn.library.mean_value.mean_value_step`): the step from the box's exact midpoints, plus an enclosure of the
step's Jacobian over the whole box (forward-mode derivatives over balls,
:mod:`symnn.library.engine.domains.jets`) times the box's radii.  By the mean value theorem
this encloses the step from every point of the box, and its radii grow only as the Jacobian
carries them (75 bits over 10,000 steps of that network).

A loss that vanishes (a network that can fit its batch exactly: with an identity output and a
squared error it falls geometrically, to about 10^-4800 after 10,000 steps) would need thousands
of working bits for relative digits that nobody reads, and float64 (the numpy cross-check, the
answer key's ``value``) cannot hold it.  So a kept loss certified to lie below
:data:`LOSS_FLOOR` is reported as that bound (``<1E-300``) instead of digits, and the bits a run
plans for its losses are their absolute accuracy plus, while they are above the floor, their
magnitude.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import flint
from sympy.polys.matrices import DomainMatrix

from symnn.core.certified import CertifiedMatrix, accurate_enough, below, bits_for, certify
from symnn.core.domains import NotCompilable, Undecided
from symnn.errors import SpecError
from symnn.library import engine
from symnn.library.engine.domains.balls import BallDomain, ball
from symnn.library.engine.domains.jets import Jet, NoDerivative
from symnn.library.mean_value import mean_value_step
from symnn.library.trajectory import recorded_steps, run

EXTRA_BITS = 64
"""Bits above the requested digits, and above the bits the balls are expected to lose, of a certified run."""
PROBE_STEPS = 64
"""Steps of the short run that measures how many bits the balls lose per step."""
PROBE_BITS = 1024
"""Precision of that short run."""
MAX_BITS = 8192
"""Most working bits of a certified run (a run needing more is refused, with the steps that fit)."""
CENTRED_FROM_BITS = 4096
"""A run whose plain balls would need more bits than this runs in the mean-value form when that loses
fewer bits (plain steps cost more with every bit; measured on a tanh → softmax network: about equal
at 4,368 bits, the mean-value run 4× faster where the plain one needs 8,192)."""
LOSS_FLOOR = Fraction(1, 10**300)
"""A kept loss certified to lie below this is reported as the bound, not as digits (float64's range
ends near 2.2E-308)."""
FLOOR_BITS = math.ceil(300 * math.log2(10))
"""Binary digits below 1 of :data:`LOSS_FLOOR`: the most extra bits a loss's magnitude asks for."""


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
    centred: bool = False
    """Whether the steps ran in the mean-value (centred) form rather than as plain ball steps."""

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


def bits_lost(net: engine.Network[Any], params: engine.Params[Any], rate: Any, k: int,
              update_biases: bool = True, centred: bool = False) -> float:
    """About how many bits of accuracy the balls lose over k steps, extrapolated from short runs.

    Plain ball arithmetic treats every entry's error as independent, so the radii grow by
    about a fixed factor per step even where the true trajectory contracts: the bits lost
    grow linearly with the steps (about 0.02 per step for a small sigmoid network once it
    settles, about 2 to 3.5 for a tanh or softmax network with a large learning rate).
    ``centred`` measures the mean-value run (:func:`run` with :func:`mean_value_step`) instead, whose radii grow
    only as fast as the entrywise magnitude of the step's Jacobian carries them.  A run of
    2 × :data:`PROBE_STEPS` steps at :data:`PROBE_BITS` measures the loss over its first
    and second half; the second half's rate is extrapolated to the remaining steps.
    """
    return _extrapolation(net, params, rate, k, update_biases, centred)(k)


def _extrapolation(net: engine.Network[Any], params: engine.Params[Any], rate: Any, k: int,
                   update_biases: bool, centred: bool = False) -> Callable[[int], float]:
    """The bits lost over t ≤ k steps, as a function of t, from the short runs of :func:`bits_lost`.

    Plain balls lose a fixed number of bits per step: the second half's rate is extrapolated.
    The mean-value form's losses usually slow down as training converges (a 2-3-3 tanh →
    softmax network: 43 bits after 64 steps, 52 after 128, 75 after 10,000): when the probe's
    second half lost no more than its second quarter, the bits lost per *doubling* of the
    steps are extrapolated instead, else the bits per step as for plain balls.  Either way
    :func:`symnn.core.certified.certify` redoes a run that falls short at a higher precision.
    """
    probe = min(k, 2 * PROBE_STEPS)
    half, quarter = probe // 2, probe // 4
    kept = (quarter, half, probe) if centred and quarter >= 1 else (half, probe)

    def lost_after(t: int) -> tuple[int, Any]:
        # The parameters' relative accuracy after t steps, and the loss's absolute one (a loss that
        # vanishes loses relative digits with its magnitude, which is planned for apart).
        with flint.ctx.workprec(PROBE_BITS):
            results = trajectory_balls(net, params, rate, t, update_biases, (t,), quiet=True, centred=centred)
        known = min(_accuracy(b, _is_loss(name)) for name, m in results.items() for b in m.entries())
        return PROBE_BITS - known, results[f"L_step{t}"][0, 0]

    found = [lost_after(t) for t in kept]
    (lost_half, loss_half), (lost, loss) = found[-2:]
    lost_quarter = found[0][0]
    magnitude = _magnitude_bits(loss_half, loss, probe - half)
    per_step = max(0.0, (lost - lost_half) / max(1, probe - half))
    if centred and quarter >= 1 and lost - lost_half <= lost_half - lost_quarter:
        per_doubling = max(0.0, lost - lost_half)
        return lambda t: magnitude(t, probe) + (float(lost) if t <= probe else lost + per_doubling * math.log2(t / probe))
    return lambda t: magnitude(t, probe) + (float(lost) if t <= probe else lost + per_step * (t - probe))


def _magnitude_bits(earlier: Any, later: Any, steps: int) -> Callable[[int, int], float]:
    """The bits below 1 of the smallest loss above :data:`LOSS_FLOOR` a run will keep, as a function
    of the run's length t (the probe's last step is ``probe``), from two losses ``steps`` apart.

    Relative digits of a loss of 2^-m need m more bits than the same digits of a loss near 1.  A
    loss that falls geometrically is extrapolated (and capped at :data:`FLOOR_BITS`: a loss below
    the floor is only bounded); :func:`symnn.core.certified.certify` redoes a run that falls short.
    """
    def log2(ball: Any) -> float:
        return _log2(ball.mid()) if ball.is_finite() and not ball.mid().is_zero() else -float(FLOOR_BITS)

    first, last = log2(earlier), log2(later)
    slope = min(0.0, (last - first) / max(1, steps))

    def bits(t: int, probe: int) -> float:
        return min(float(FLOOR_BITS), max(0.0, -(last + slope * max(0, t - probe))))

    return bits


def _is_loss(name: str) -> bool:
    """Whether a result of :func:`trajectory_balls` is a kept loss (``L_step{t}``) rather than a parameter."""
    return name.startswith("L_step")


def _accuracy(ball: Any, absolute: bool = False) -> int:
    """Bits of ``ball`` known, relative to its value (or, ``absolute``, to 1: a loss's), at most
    :data:`PROBE_BITS`."""
    if ball.is_exact():
        return PROBE_BITS
    if not ball.is_finite():
        return 0
    if absolute:
        return PROBE_BITS if ball.rad().is_zero() else max(0, min(PROBE_BITS, int(-_log2(ball.rad()))))
    return min(PROBE_BITS, int(ball.rel_accuracy_bits()))


def _log2(exact: Any) -> float:
    """log2 |x| of a nonzero exact ``arb`` (a midpoint or a radius), of any size (no float conversion).

    >>> _log2(flint.arb(2) ** -5000), _log2(flint.arb(3) * 2 ** 3000)
    (-5000.0, 3001.0)
    """
    mantissa, exponent = (int(part) for part in exact.man_exp())
    return float(exponent + abs(mantissa).bit_length() - 1)


def _plan(net: engine.Network[Any], params: engine.Params[Any], rate: Any, k: int, digits: int,
          update_biases: bool, centred: bool | None = None) -> tuple[bool, int]:
    """Whether the run is centred (mean-value form), and its bits above the requested digits'.

    By default (``centred`` None) the plain ball run when it needs at most
    :data:`CENTRED_FROM_BITS` (it is the cheaper per step), else the mean-value run
    (:func:`run` with :func:`mean_value_step`) when its probe loses fewer bits; a run that needs more than
    :data:`MAX_BITS` in every form tried is refused, naming the steps that fit.  The extra
    bits: the bits the balls will lose, with a margin.
    """
    automatic = centred is None
    try:
        if centred:
            lost_after = _extrapolation(net, params, rate, k, update_biases, centred=True)
        else:
            lost_after, centred = _extrapolation(net, params, rate, k, update_biases), False
    except NoDerivative as exc:
        raise SpecError(f"steps = {k}: the mean-value form needs every rule's derivative over balls, "
                        f"but {exc}") from None
    except Undecided:
        raise SpecError(f"steps = {k}: within the first {min(k, 2 * PROBE_STEPS)} steps a pre-activation lands on "
                        "an activation's kink (ReLU's 0, say) exactly or within 2^-1024 of it, where ball "
                        "arithmetic cannot tell which side it is on, so the steps cannot be certified; change "
                        "the numbers slightly or ask for fewer steps") from None
    tried = {"mean-value form" if centred else "plain ball steps": lost_after}
    if automatic and bits_for(digits) + _extra(lost_after(k)) > CENTRED_FROM_BITS:
        try:
            mean_value = _extrapolation(net, params, rate, k, update_biases, centred=True)
        except (NoDerivative, Undecided):
            pass  # a rule without a derivative over balls, or a kink inside the probe's boxes: plain balls only
        else:
            tried["mean-value form"] = mean_value
            if mean_value(k) < lost_after(k):
                lost_after, centred = mean_value, True
    if bits_for(digits) + _extra(lost_after(k)) > MAX_BITS:
        raise _divergence(net, params, rate, k, update_biases) or _refusal(k, digits, tried)
    return centred, _extra(lost_after(k))


DIVERGING = 1000
"""A run whose loss after the probe's steps is this many times its loss before training diverges."""


def _divergence(net: engine.Network[Any], params: engine.Params[Any], rate: Any, k: int,
                update_biases: bool) -> SpecError | None:
    """The error for a run of k steps whose loss grows :data:`DIVERGING`-fold within the probe's steps
    (gradient descent diverges at this learning rate: no precision would help), else None."""
    probe = min(k, 2 * PROBE_STEPS)
    try:
        with flint.ctx.workprec(PROBE_BITS):
            results = trajectory_balls(net, params, rate, probe, update_biases, (probe,), quiet=True)
    except (Undecided, SpecError, OverflowError):
        return None
    before, after = results["L_step0"][0, 0], results[f"L_step{probe}"][0, 0]
    if not (before.is_finite() and before.mid() > 0):
        return None
    if after.is_finite() and not after.mid() > DIVERGING * before.mid():
        return None
    grown = after.mid().str(3, radius=False) if after.is_finite() else "beyond every bound"
    return SpecError(f"steps = {k}: the loss grows from {before.mid().str(3, radius=False)} before training to "
                     f"{grown} after {probe} steps: gradient descent diverges at this learning rate; use a "
                     "smaller one")


def _refusal(k: int, digits: int, tried: dict[str, Callable[[int], float]]) -> SpecError:
    """The error for a run of k steps that needs more than :data:`MAX_BITS` in every form tried."""
    fits = 1
    for lost_after in tried.values():  # the most steps within MAX_BITS, by bisection
        low, high = 1, k
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if bits_for(digits) + _extra(lost_after(middle)) <= MAX_BITS else (low, middle)
        fits = max(fits, low)
    lost = min(lost_after(k) for lost_after in tried.values())
    forms = "; ".join(f"{name}: {lost_after(k) / k:.2f}" for name, lost_after in tried.items())
    return SpecError(
        f"steps = {k}: the certified balls lose about {lost / k:.2f} bits per step with this network ({forms}; "
        f"each step widens them, although training itself may converge), so {k} steps would need about "
        f"{bits_for(digits) + _extra(lost)} bits of working precision; symnn stops at {MAX_BITS}. "
        f"Ask for at most {fits} steps, or a smaller learning rate")


def _extra(lost: float) -> int:
    return EXTRA_BITS + math.ceil(1.25 * lost)


def trajectory_balls(net: engine.Network[Any], params: engine.Params[Any], rate: Any, k: int,
                     update_biases: bool = True, keep: Sequence[int] | None = None,
                     quiet: bool = False, centred: bool = False) -> dict[str, Any]:
    """The run over balls at the current precision, from exact parameters, as named ``arb_mat`` results.

    Keys ``L_step0`` (before any step) and ``L_step{t}`` for the kept steps t, ``W{l}`` and
    ``b{l}`` (after the last step).  ``centred``: every step in the mean-value form
    (:func:`run` with :func:`mean_value_step`).  Anything the balls cannot evaluate is refused with a
    :class:`symnn.errors.SpecError`.
    """
    d = BallDomain(lambda what: f"steps = {k}: {what} cannot be evaluated in ball arithmetic, so the "
                                "steps cannot be certified")
    X, Y = _balls(net.X), _balls(net.Y)
    ball_net = engine.Network(X, Y, net.rules, net.objective)
    start = engine.Params(tuple(_balls(W) for W in params.Ws),
                          tuple(None if b is None else _balls(b) for b in params.bs))
    label = "" if quiet else f"certified steps ({flint.ctx.prec} bits{', mean-value form' if centred else ''})"
    step: Callable[[engine.Params[Any]], engine.Params[Any]] | None = None
    if centred:
        jet_net = engine.Network(Jet(X, None), Jet(Y, None), net.rules, net.objective)
        rate_ball = ball(rate)

        def step(box: engine.Params[Any]) -> engine.Params[Any]:
            return mean_value_step(d, ball_net, jet_net, box, rate_ball, update_biases)
    path = run(d, ball_net, start, ball(rate), k, update_biases, keep, label, show=not quiet, step=step)
    assert path is not None
    results: dict[str, Any] = {"L_step0": flint.arb_mat([[path.initial_loss]])}
    results.update({f"L_step{t}": flint.arb_mat([[loss]]) for t, loss in zip(path.steps, path.losses)})
    results.update({f"W{l}": W for l, W in enumerate(path.final.Ws, start=1)})
    results.update({f"b{l}": b for l, b in enumerate(path.final.bs, start=1) if b is not None})
    return results


def certified_trajectory(net: engine.Network[Any], params: engine.Params[Any], rate: Any, k: int,
                         digits: int, update_biases: bool = True,
                         keep: Sequence[int] | None = None, centred: bool | None = None) -> CertifiedTrajectory:
    """The kept losses of ``k`` steps from the exact ``params`` and the final parameters, ``digits`` guaranteed.

    ``params``, the inputs and targets are exact (SymPy matrices or DomainMatrix); the
    balls start from them, so no rounding happens before the first step.  ``centred``
    chooses plain ball steps (False) or the mean-value form (True); by default
    (None) the plain run where it needs at most :data:`CENTRED_FROM_BITS`, else the one that
    loses fewer bits.
    """
    kept = tuple(recorded_steps(k) if keep is None else keep)
    centred, extra = _plan(net, params, rate, k, digits, update_biases, centred)

    def compute(precision: int) -> dict[str, Any]:
        with flint.ctx.workprec(precision + extra):
            try:
                results = trajectory_balls(net, params, rate, k, update_biases, kept, centred=centred)
            except NotCompilable as exc:  # a derivative's DiracDelta/Heaviside at exactly its jump
                raise SpecError(f"steps = {k}: the mean-value form of the certified steps needs every rule's "
                                f"derivative on each step's box, but {exc} there (a kink of the activation "
                                "is met exactly); ask for fewer steps or change the numbers") from None
        # Rounded (outward) to the bits the digits need: a midpoint of 16,000 bits would print
        # as a 5,000-digit fraction on the way to its 20 digits.
        with flint.ctx.workprec(precision + EXTRA_BITS):
            return {name: flint.arb_mat(m.nrows(), m.ncols(), [+entry for entry in m.entries()])
                    for name, m in results.items()}

    def enough(name: str, entry: Any, bits: int) -> bool:
        return accurate_enough(entry, bits) or (_is_loss(name) and below(entry, LOSS_FLOOR))

    results, precision = certify(compute, digits, enough)

    def certified(name: str) -> CertifiedMatrix:
        found = results[name]
        return CertifiedMatrix((found.nrows(), found.ncols()), digits, None, found, precision + extra,
                               refine=lambda p: compute(p)[name],
                               floor=LOSS_FLOOR if _is_loss(name) else None)

    return CertifiedTrajectory(
        centred=centred,
        steps=kept,
        initial_loss=certified("L_step0"),
        losses=tuple(certified(f"L_step{t}") for t in kept),
        weights=tuple(certified(f"W{l}") for l in range(1, len(params.Ws) + 1)),
        biases=tuple(certified(f"b{l}") if f"b{l}" in results else None for l in range(1, len(params.bs) + 1)),
        precision=precision + extra)
