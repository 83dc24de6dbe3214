"""The mean-value (centred) form of a certified gradient-descent step.

A plain ball step loses the dependency between θ and −η∇L(θ), so its radii grow by a fixed
factor per step even while training converges.  :func:`mean_value_step` takes the step from the
box's exact midpoints and adds an enclosure of the step's Jacobian over the whole box
(:func:`step_jacobian`: forward-mode derivatives over balls,
:mod:`symnn.library.engine.domains.jets`) times the box's radii; by the mean value theorem this
encloses the step from every point of the box.  :mod:`symnn.library.certified_runs` runs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import flint

from symnn.library import engine
from symnn.library.engine.domains.balls import BallDomain
from symnn.library.engine.domains.jets import Jet, JetDomain

JACOBIAN_BITS = 128
"""Precision of the Jacobian enclosure of a mean-value step (it only multiplies the tiny radii)."""


def moving_matrices(params: engine.Params[Any], update_biases: bool) -> list[Any]:
    """The matrices a step changes, in order: W1, b1 (when biases move), W2, …"""
    moving: list[Any] = []
    for W, b in zip(params.Ws, params.bs):
        moving.append(W)
        if b is not None and update_biases:
            moving.append(b)
    return moving


def rebuilt_params(params: engine.Params[Any], entries: Sequence[Any], update_biases: bool) -> engine.Params[Any]:
    """``params`` with the moving matrices' entries replaced by ``entries`` (in :func:`moving_matrices`'s order)."""
    position = 0

    def take(matrix: Any) -> Any:
        nonlocal position
        size = matrix.nrows() * matrix.ncols()
        position += size
        return flint.arb_mat(matrix.nrows(), matrix.ncols(), list(entries[position - size:position]))

    Ws: list[Any] = []
    bs: list[Any] = []
    for W, b in zip(params.Ws, params.bs):
        Ws.append(take(W))
        bs.append(take(b) if b is not None and update_biases else b)
    return engine.Params(tuple(Ws), tuple(bs))


def flat_entries(params: engine.Params[Any], update_biases: bool) -> list[Any]:
    return [entry for matrix in moving_matrices(params, update_biases) for entry in matrix.entries()]


def seeded_jets(params: engine.Params[Any], update_biases: bool) -> tuple[engine.Params[Jet], int]:
    """Jets of the parameters (rounded outward to the current precision) with unit tangents, and their count."""
    moving = {id(m) for m in moving_matrices(params, update_biases)}
    directions = sum(m.nrows() * m.ncols() for m in moving_matrices(params, update_biases))
    offset = 0

    def jet(matrix: Any) -> Jet:
        nonlocal offset
        rows, cols = matrix.nrows(), matrix.ncols()
        value = flint.arb_mat(rows, cols, [+entry for entry in matrix.entries()])
        if id(matrix) not in moving:
            return Jet(value, None)
        unit = flint.arb_mat(rows * cols, directions)
        for index in range(rows * cols):
            unit[index, offset + index] = 1
        offset += rows * cols
        return Jet(value, unit)

    Ws: list[Jet] = []
    bs: list[Jet | None] = []
    for W, b in zip(params.Ws, params.bs):  # in the order of moving_matrices: W1, b1, W2, …
        Ws.append(jet(W))
        bs.append(None if b is None else jet(b))
    return engine.Params(tuple(Ws), tuple(bs)), directions


def step_jacobian(net: engine.Network[Jet], box: engine.Params[Any], rate: Any, update_biases: bool = True) -> Any:
    """An enclosure of the Jacobian of one gradient-descent step over the box of balls ``box``.

    The step runs once in :class:`~symnn.library.engine.domains.jets.JetDomain`, seeded at
    the box with unit tangents; entry (i, p) of the ``arb_mat`` encloses ∂θ'_i/∂θ_p at every
    point of the box (the moving parameters flattened in order W1, b1, W2, …).
    """
    seeded, directions = seeded_jets(box, update_biases)
    jets = JetDomain(directions)
    values = net.forward(jets, seeded)
    stepped = engine.descend(jets, seeded, net.deltas(jets, seeded, values), values.As[:-1], rate, update_biases)
    entries: list[Any] = []
    for matrix in moving_matrices(stepped, update_biases):
        tangent = matrix.tangent
        size = matrix.value.nrows() * matrix.value.ncols()
        entries.extend(tangent.entries() if tangent is not None else [0] * (size * directions))
    return flint.arb_mat(directions, directions, entries)


def mean_value_step(d: BallDomain, net: engine.Network[Any], jet_net: engine.Network[Jet],
                    box: engine.Params[Any], rate: Any, update_biases: bool = True) -> engine.Params[Any]:
    """Balls enclosing one step from every point of the box ``box``, by the mean-value form.

    With m the midpoints of the box and u ∋ θ − m its radii: T(θ) = T(m) + J̄ (θ − m), where
    each entry of J̄ (the Jacobian averaged along the segment from m to θ) lies in the
    enclosure of the Jacobian over the box; so T(θ) lies in the balls T(m) + J(box) · u.
    T(m) is computed from exact midpoints, so its radius is only rounding: the radii do not
    compound the dependency between θ and −η∇L(θ) as a plain ball step does.
    """
    flat = flat_entries(box, update_biases)
    centre = rebuilt_params(box, [entry.mid() for entry in flat], update_biases)
    values = net.forward(d, centre)
    image = flat_entries(engine.descend(d, centre, net.deltas(d, centre, values), values.As[:-1], rate, update_biases),
                  update_biases)
    if all(entry.rad() == 0 for entry in flat):
        return rebuilt_params(box, image, update_biases)
    with flint.ctx.workprec(JACOBIAN_BITS):
        jacobian = step_jacobian(jet_net, box, rate, update_biases)
        spread = (jacobian * flint.arb_mat(len(flat), 1, [entry - entry.mid() for entry in flat])).entries()
    return rebuilt_params(box, [centre + offset for centre, offset in zip(image, spread)], update_biases)
