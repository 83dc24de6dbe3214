"""Gradient-descent steps in certified ball arithmetic, when exact values stop being rational.

With a sigmoid, tanh, softplus or ELU layer (or a bce / cross-entropy loss) every exact
step nests the previous step's exponentials inside new ones, so exact parameters grow
geometrically.  :func:`certified_trajectory` runs the steps over python-flint ``arb``
balls instead, on the one network engine (:mod:`symnn.library.engine`): the exact starting
parameters become balls at :data:`START_BITS` bits or more, and
:func:`symnn.core.certified.certify` redoes the whole trajectory at a higher precision until
every loss and final parameter has the requested guaranteed significant digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

import flint
import sympy as sp

from symnn.core.certified import CertifiedMatrix, certify
from symnn.library import engine
from symnn.library.engine.domains.balls import BallDomain, balls

START_BITS = 200
"""Least binary precision of the ball trajectory (certify doubles it when digits are lost)."""

Matrix: TypeAlias = sp.ImmutableMatrix


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


def trajectory_balls(net: engine.Network[Matrix], params: engine.Params[Matrix], rate: sp.Basic, k: int,
                     update_biases: bool = True) -> dict[str, Any]:
    """From exact parameters: the losses at them and after each of k − 1 further steps, and the final parameters.

    Keys ``L_step{t}`` (t = 1…k), ``W{l}`` and ``b{l}``; runs at the current ball precision.
    Anything the balls cannot evaluate is refused with a :class:`symnn.errors.SpecError`.
    """
    d = BallDomain(lambda what: f"steps = {k}: {what} cannot be evaluated in ball arithmetic, so steps after the "
                                "first cannot be certified; ask for steps = 1")
    ball_net = engine.Network(balls(net.X), balls(net.Y), net.rules, net.objective)
    start = engine.Params(tuple(balls(W) for W in params.Ws),
                          tuple(None if b is None else balls(b) for b in params.bs))
    losses, final = ball_net.train(d, start, rate, k, update_biases)
    results: dict[str, Any] = {f"L_step{t}": flint.arb_mat([[loss]]) for t, loss in enumerate(losses, start=1)}
    results.update({f"W{l}": W for l, W in enumerate(final.Ws, start=1)})
    results.update({f"b{l}": b for l, b in enumerate(final.bs, start=1) if b is not None})
    return results


def certified_trajectory(net: engine.Network[Matrix], params: engine.Params[Matrix], rate: sp.Basic, k: int,
                         digits: int, update_biases: bool = True) -> CertifiedTrajectory:
    """Losses after steps 1…k and the parameters after step k with ``digits`` guaranteed digits.

    ``params`` are the exact parameters after step 1 (so the loss after step 1 is its
    forward pass in balls: its exact form nests the first step's exponentials and costs
    SymPy seconds to build, for a value a sheet could only round).
    """
    def compute(precision: int) -> dict[str, Any]:
        with flint.ctx.workprec(max(precision, START_BITS)):
            return trajectory_balls(net, params, rate, k, update_biases)

    results, precision = certify(compute, digits)

    def certified(name: str) -> CertifiedMatrix:
        found = results[name]
        return CertifiedMatrix((found.nrows(), found.ncols()), digits, None, found,
                               max(precision, START_BITS), refine=lambda p: compute(p)[name])

    return CertifiedTrajectory(
        losses=tuple(certified(f"L_step{t}") for t in range(1, k + 1)),
        weights=tuple(certified(f"W{l}") for l in range(1, len(params.Ws) + 1)),
        biases=tuple(certified(f"b{l}") if f"b{l}" in results else None for l in range(1, len(params.bs) + 1)),
        precision=max(precision, START_BITS))
