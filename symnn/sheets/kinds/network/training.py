"""Gradient-descent steps of a network exercise: the first in full, then the loss after each step.

The update of step 1 is always shown exactly.  The run of k steps (k up to
:data:`~symnn.sheets.kinds.network.data.MAX_STEPS`) is exact while every value stays a short
rational (piecewise-linear activations, squared-error loss, at most
:data:`~symnn.library.trajectory.EXACT_DIGITS` digits); otherwise the loss after every kept
step and the final parameters are certified decimals from
:func:`symnn.library.certified_runs.certified_trajectory` (the engine over arb balls, started from
the exact given parameters).  Runs longer than 100 steps keep a stated selection of their
losses (:func:`~symnn.library.trajectory.recorded_steps`); every run with k > 1 ends with a
loss-curve plot.

Answer-key convention: a certified quantity's ``exact`` value is the **certified decimal
itself as an exact rational** — the true value correctly rounded to
:data:`CERTIFIED_DIGITS` significant digits (every digit guaranteed), not the
transcendental true value.  The JSON key therefore keeps its schema (``exact`` a string
such as ``"1234567/1000000"``, ``latex``, ``value``), and the cross-check against the
numpy evaluator compares that rounding with float64, well inside its tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import flint  # noqa: F401 - used by the docstring example
import sympy as sp
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from symnn.core.certified import CertifiedMatrix, ball_endpoints, round_significant
from symnn.core.decimals import approximate
from symnn.library import engine
from symnn.library.certified_runs import LOSS_FLOOR, CertifiedTrajectory
from symnn.library.certified_runs import certified_trajectory as _certified_trajectory
from symnn.library.engine.domains.exact import to_expr
from symnn.library.trajectory import EVERY_STEP_UP_TO, EXACT_DIGITS, PER_DECADE, Trajectory, shown_steps
from symnn.library.trajectory import exact_trajectory as _exact_trajectory
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder
from symnn.sheets.kinds.network.setting import (
    Matrix,
    Params,
    Setting,
    bias_gradient,
    descend,
    stays_rational,
    weight_gradient,
)
from symnn.sheets.kinds.network.writing import fits, record
from symnn.sheets.steps import Figure, Quantity

APPROX_DECIMALS = 6
"""Places of the rounded values in the table of training steps."""


SUMMARY_STEPS = 10
"""Runs up to this long list every loss among the final results; longer ones the last."""


CERTIFIED_DIGITS = 20
"""Significant digits guaranteed in every certified loss and parameter."""

MEAN_VALUE_NOTE = (", each step in the mean-value form (the step from the midpoints of the balls plus an "
                   "enclosure of its Jacobian over the balls times their radii, so the balls widen only as "
                   "far as the step itself spreads them)")
"""What a sheet adds when the run is centred (:func:`symnn.library.mean_value.mean_value_step`)."""


def certified_trajectory(setting: Setting, params: Params, k: int) -> CertifiedTrajectory:
    """The kept losses of k steps from the exact initial parameters, and the parameters after step k."""
    assert setting.learning_rate is not None  # steps need a learning rate (checked by the spec reader)
    return _certified_trajectory(setting.net, params, setting.learning_rate, k, CERTIFIED_DIGITS,
                                 setting.update_biases)


def exact_trajectory(setting: Setting, params: Params, k: int) -> Trajectory[DomainMatrix] | None:
    """The k steps in exact rationals, or None when a value is not rational or its digits grow past
    :data:`symnn.library.trajectory.EXACT_DIGITS` (then the run is certified instead)."""
    assert setting.learning_rate is not None
    if not stays_rational(setting):
        return None
    net = engine.Network(_qq(setting.X), _qq(setting.Y), setting.rules, setting.objective)
    start = engine.Params(tuple(_qq(W) for W in params.Ws), tuple(None if b is None else _qq(b) for b in params.bs))
    return _exact_trajectory(net, start, setting.learning_rate, k, setting.update_biases)


def _qq(matrix: Matrix) -> DomainMatrix:
    return DomainMatrix.from_Matrix(matrix).convert_to(QQ).to_dense()


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


LOSS_FLOOR_TEXT = round_significant(LOSS_FLOOR, 1)
"""How a table writes :data:`~symnn.library.certified_runs.LOSS_FLOOR` (``1E-300``)."""


def show_training(b: Builder, setting: Setting, params: Params, deltas: list[Matrix], As: list[Matrix],
                  limit: tuple[int, int]) -> list[str]:
    """The first gradient-descent step in full, then the loss after each of the k steps."""
    eta = setting.learning_rate
    assert eta is not None
    b.heading("Gradient-descent step")
    b.say("Each parameter moves against its gradient, scaled by the learning rate ",
          sp.Eq(sp.Symbol("eta"), eta, evaluate=False), ".")
    if not setting.update_biases and any(bias is not None for bias in params.bs):
        b.say("The biases are kept fixed in this exercise; only the weights move.")
    new = descend(setting, params, deltas, As[:-1])
    names: list[str] = []
    for l in range(1, len(params.Ws) + 1):
        W, grad = params.Ws[l - 1], weight_gradient(deltas[l - 1], As[l - 1])
        Wsym = nt.matrix(f"W_{l}", *W.shape)
        subs = ([sp.MatAdd(W, sp.MatMul(-eta, grad, evaluate=False), evaluate=False)]
                if fits(limit, W) else [])
        record(b, nt.matrix(f"W_{l}^new", *W.shape), _update_formula(Wsym), subs, new.Ws[l - 1],
               f"W{l}_new", f"updated W_{l}")
        names.append(f"W{l}_new")
        if not fits(limit, W):
            with sp.evaluate(False):
                written = sp.Add(W[0, 0], sp.Mul(-eta, grad[0, 0]))
            b.say("The first entry, worked:")
            b.equation(nt.Entry(f"W_{l}^new", 1, 1), None, [written], new.Ws[l - 1][0, 0])
        bias = params.bs[l - 1]
        if bias is not None and setting.update_biases:
            gb = bias_gradient(deltas[l - 1])
            subs_b = ([sp.MatAdd(bias, sp.MatMul(-eta, gb, evaluate=False), evaluate=False)]
                      if fits(limit, bias) else [])
            record(b, nt.matrix(f"b_{l}^new", bias.rows, 1), None, subs_b, new.bs[l - 1] or bias,
                   f"b{l}_new", f"updated b_{l}")
            names.append(f"b{l}_new")
    if setting.steps is not None:
        names += show_later_steps(b, setting, params, setting.steps)
    return names


@cache
def _update_formula(W: sp.MatrixSymbol) -> sp.Basic:
    """W − η ∂L/∂W in symbols (cached: no number of the exercise in it)."""
    return sp.MatAdd(W, sp.MatMul(-1, sp.Symbol("eta"), nt.partial(sp.Symbol("L"), W)))


def show_later_steps(b: Builder, setting: Setting, params: Params, k: int) -> list[str]:
    """The loss after each step (steps 2…k repeat the same computation silently), the final parameters
    and the loss curve.

    ``params`` are the exact initial parameters.  The run is exact while its rationals stay
    short (piecewise-linear activations with a squared-error loss); otherwise every loss and
    the final parameters are certified decimals computed from ``params`` (see the module
    docstring).  For long runs the answer key keeps a stated selection of the losses
    (:func:`symnn.library.trajectory.recorded_steps`) and the sheet's table fewer.
    """
    b.heading("Loss after each step" if k > 1 else "Loss after the step")
    if k > 1:
        b.say(f"Steps 2 to {k} repeat the same forward pass, backpropagation and update with the new parameters.")
    exact = exact_trajectory(setting, params, k)
    if exact is None:
        names, steps, losses, initial = _show_certified_steps(b, setting, params, k)
    else:
        names, steps, losses, initial = _show_exact_steps(b, setting, exact, k)
    if k > 1:
        _show_loss_curve(b, k, initial, steps, losses)
    # The final results list every loss of a short run, else the last one recorded (all stay in the
    # answer key; a loss below the floor is only bounded, and not recorded).
    return names if k <= SUMMARY_STEPS else names[-1:]


def _thinning_note(b: Builder, k: int, steps: Sequence[int]) -> None:
    if k > EVERY_STEP_UP_TO:
        b.say(f"The answer key holds the loss after every step up to step {EVERY_STEP_UP_TO}, then after "
              f"{PER_DECADE} steps per decade spaced evenly on a log scale, and after the last step "
              f"({len(steps)} losses in all, under ", nt.Code("L_step1"), " … ", nt.Code(f"L_step{k}"),
              "); the table shows some of them.")


def _show_exact_steps(b: Builder, setting: Setting, path: Trajectory[DomainMatrix], k: int
                      ) -> tuple[list[str], tuple[int, ...], list[sp.Basic], sp.Basic]:
    """The exact losses after the kept steps and the exact final parameters."""
    names: list[str] = []
    losses = [to_expr(loss) for loss in path.losses]
    for t, L_t in zip(path.steps, losses):
        _record_loss(b, L_t, t, names)
    _thinning_note(b, k, path.steps)
    shown = set(shown_steps(k))
    b.table(["step t", "loss after step t (rounded when long)"],
            [[sp.Integer(t), _short(L_t)] for t, L_t in zip(path.steps, losses) if t in shown])
    if k > 1:
        final = _final_parameters(setting, [M.to_Matrix().as_immutable() for M in path.final.Ws],
                                  [None if v is None else v.to_Matrix().as_immutable() for v in path.final.bs], k)
        for name, symbol, value, caption in final:
            b.quantities.append(Quantity(name, symbol, value, caption))
        b.say(f"The exact parameters after {k} steps are in the answer key under "
              f"{', '.join(n for n, *_ in final)}. Rounded:")
        b.table(["parameter", "after step " + str(k)],
                [[symbol, approximate(value, APPROX_DECIMALS)] for _, symbol, value, _ in final])
    return names, path.steps, losses, to_expr(path.initial_loss)


def _record_loss(b: Builder, L_t: sp.Basic, t: int, names: list[str], caption: str = "") -> None:
    """Record the loss after step t as ``L_step{t}``."""
    b.quantities.append(Quantity(f"L_step{t}", sp.Symbol(f"L_step{t}"), L_t, f"loss after step {t}{caption}"))
    names.append(f"L_step{t}")


def _final_parameters(setting: Setting, Ws: Sequence[Matrix], bs: Sequence[Matrix | None], k: int
                      ) -> list[tuple[str, sp.Basic, Matrix, str]]:
    """(answer-key name, symbol, value, caption) of every trained parameter after k steps."""
    final = [(f"W{l}_step{k}", nt.matrix(f"W_{l}^({k})", *W.shape), W, f"W_{l} after {k} steps")
             for l, W in enumerate(Ws, start=1)]
    final += [(f"b{l}_step{k}", nt.matrix(f"b_{l}^({k})", bias.rows, 1), bias, f"b_{l} after {k} steps")
              for l, bias in enumerate(bs, start=1) if bias is not None and setting.update_biases]
    return final


def _show_certified_steps(b: Builder, setting: Setting, params: Params, k: int
                          ) -> tuple[list[str], tuple[int, ...], list[sp.Basic], sp.Basic]:
    """The losses after the kept steps and the final parameters as certified decimals, from the exact
    initial parameters (the step-1 update above stays exact).

    The answer key's ``exact`` of a certified quantity is its certified decimal as an
    exact rational (see the module docstring).
    """
    causes = sorted({r.name for r in setting.rules if not r.stays_rational})
    if causes:
        why = (f"With {', '.join(causes)} activation{'s' if len(causes) > 1 else ''} every exact step nests the "
               "previous step's exponentials inside new ones")
    elif not stays_rational(setting):
        why = f"With the {setting.loss.name} loss every exact step nests the previous step's logarithms and quotients"
    else:
        why = (f"The exact values stay rational, but their numerators and denominators pass {EXACT_DIGITS} digits "
               f"within these {k} step{'s' if k > 1 else ''}")
    names: list[str] = []
    path = certified_trajectory(setting, params, k)
    digits = CERTIFIED_DIGITS
    b.say(f"{why}, so the loss after {'each step' if k > 1 else 'the step'}"
          f"{f' and the parameters after step {k}' if k > 1 else ''} are computed in interval (ball) arithmetic, "
          f"starting from the exact given parameters, at {path.precision} bits"
          f"{MEAN_VALUE_NOTE if path.centred else ''}. Every decimal below is certified: "
          f"all {digits} significant digits are guaranteed (the true value rounds to exactly that decimal).")
    losses: list[sp.Basic] = []
    steps: list[int] = []
    for t, ball in zip(path.steps, path.losses):
        if ball.bounded(0, 0):  # certified below LOSS_FLOOR: a bound, not digits
            continue
        value = as_rational(ball)[0, 0]
        losses.append(value)
        steps.append(t)
        _record_loss(b, value, t, names, f" (certified {digits}-digit decimal)")
    _thinning_note(b, k, path.steps)
    shown = set(shown_steps(k))
    b.table(["step t", "loss after step t (certified decimals)"],
            [[sp.Integer(t), ball[0, 0]] for t, ball in zip(path.steps, path.losses) if t in shown])
    bounded = [t for t in path.steps if t not in steps]
    if bounded:
        b.say(f"From step {bounded[0]} on the loss is certified to be below {LOSS_FLOOR_TEXT} (it falls "
              "geometrically: the network fits its batch exactly). That is beyond the range of a float, so the "
              "table gives the bound, and the answer key and the plot stop at "
              + (f"step {steps[-1]}." if steps else "the start."))
    if k > 1:
        final = _final_parameters(setting, [as_rational(W) for W in path.weights],
                                  [None if bias is None else as_rational(bias) for bias in path.biases], k)
        for name, symbol, value, caption in final:
            b.quantities.append(Quantity(name, symbol, value, caption + f" (certified {digits}-digit decimals)"))
        b.say(f"The parameters after {k} steps, every digit certified (also in the answer key under ",
              *[part for i, (n, *_) in enumerate(final) for part in ((", " if i else ""), nt.Code(n))], "):")
        b.table(["parameter", "after step " + str(k)], [[symbol, value] for _, symbol, value, _ in final])
    return names, tuple(steps), losses, as_rational(path.initial_loss)[0, 0]


def _show_loss_curve(b: Builder, k: int, initial: sp.Basic, steps: Sequence[int], losses: Sequence[sp.Basic]
                     ) -> None:
    """The loss before training and after each kept step, as a plot."""
    series = ((0, initial), *zip(steps, losses))
    b.step(Figure(f"Loss during {k} steps of gradient descent", f"{b.spec.id}_loss", (), series=tuple(series)))


def _short(value: sp.Basic) -> sp.Basic:
    """The exact value when it prints briefly, else its rounding (the exact one stays in the answer key)."""
    if isinstance(value, sp.Rational) and len(str(value)) <= 16:
        return value
    return approximate(value, APPROX_DECIMALS)
