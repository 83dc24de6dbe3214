"""Gradient-descent steps of a network exercise: the first in full, then the loss after each step.

When every value stays rational the steps are exact; otherwise step 1 is exact and steps
2…k are certified decimals from :func:`symnn.library.trajectory.certified_trajectory` (the
engine over arb balls).

Answer-key convention: a certified quantity's ``exact`` value is the **certified decimal
itself as an exact rational** — the true value correctly rounded to
:data:`CERTIFIED_DIGITS` significant digits (every digit guaranteed), not the
transcendental true value.  The JSON key therefore keeps its schema (``exact`` a string
such as ``"1234567/1000000"``, ``latex``, ``value``), and the cross-check against the
numpy evaluator compares that rounding with float64, well inside its tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence

import flint  # noqa: F401 - used by the docstring example
import sympy as sp

from symnn.core.certified import CertifiedMatrix, ball_endpoints, round_significant
from symnn.core.decimals import approximate
from symnn.errors import SpecError
from symnn.library.engine import SYMBOLIC
from symnn.library.trajectory import CertifiedTrajectory
from symnn.library.trajectory import certified_trajectory as _certified_trajectory
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
from symnn.sheets.steps import Quantity

GROWTH_LIMIT = 1000
"""Most SymPy operations the exact parameters may hold before another forward pass is refused.

With sigmoid-like activations every step nests the previous exponentials inside new
ones, so exact parameters grow geometrically; past this size a forward pass takes
minutes.  Piecewise-linear networks with polynomial losses stay rational and never
come near it."""


APPROX_DECIMALS = 6
"""Places of the rounded values in the table of training steps."""


CERTIFIED_DIGITS = 20
"""Significant digits guaranteed in every certified loss and parameter."""


def certified_trajectory(setting: Setting, params: Params, k: int) -> CertifiedTrajectory:
    """Losses after steps 1…k and the parameters after step k, from the exact parameters after step 1."""
    assert setting.learning_rate is not None  # steps need a learning rate (checked by the spec reader)
    return _certified_trajectory(setting.net, params, setting.learning_rate, k, CERTIFIED_DIGITS,
                                 setting.update_biases)


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


def show_training(b: Builder, setting: Setting, params: Params, deltas: list[Matrix], As: list[Matrix],
                  limit: tuple[int, int]) -> list[str]:
    """The first gradient-descent step in full, then the loss after each of the k steps."""
    eta = setting.learning_rate
    assert eta is not None
    L_sym = sp.Symbol("L")
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
        record(b, nt.matrix(f"W_{l}^new", *W.shape),
               sp.MatAdd(Wsym, sp.MatMul(-1, sp.Symbol("eta"), nt.partial(L_sym, Wsym))), subs, new.Ws[l - 1],
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
        names += show_later_steps(b, setting, new, setting.steps)
    return names


def show_later_steps(b: Builder, setting: Setting, params: Params, k: int) -> list[str]:
    """The loss after each step (steps 2…k repeat the same computation silently) and the final parameters.

    When every value stays rational the steps are exact; otherwise step 1 is exact and
    steps 2…k are certified decimals (see the module docstring).
    """
    b.heading("Loss after each step" if k > 1 else "Loss after the step")
    if k > 1:
        b.say(f"Steps 2 to {k} repeat the same forward pass, backpropagation and update with the new parameters.")
    if k > 1 and not stays_rational(setting):
        return _show_certified_steps(b, setting, params, k)
    assert setting.learning_rate is not None
    losses, params = setting.net.train(SYMBOLIC, params, setting.learning_rate, k, setting.update_biases,
                                       before_pass=lambda current, t: _check_growth(current, t, k))
    names: list[str] = []
    rows: list[list[object]] = []
    for t, L_t in enumerate(losses, start=1):
        _record_loss(b, L_t, t, names)
        rows.append([sp.Integer(t), _short(L_t)])
    b.table(["step t", "loss after step t (rounded when long)"], rows)
    if k > 1:
        final = _final_parameters(setting, params.Ws, params.bs, k)
        for name, symbol, value, caption in final:
            b.quantities.append(Quantity(name, symbol, value, caption))
        b.say(f"The exact parameters after {k} steps have long numerators and denominators; they are in the "
              f"answer key under {', '.join(n for n, *_ in final)}. Rounded:")
        b.table(["parameter", "after step " + str(k)],
                [[symbol, approximate(value, APPROX_DECIMALS)] for _, symbol, value, _ in final])
    return names


def _record_loss(b: Builder, L_t: sp.Basic, t: int, names: list[str]) -> None:
    """Record the exact loss after step t as ``L_step{t}``."""
    b.quantities.append(Quantity(f"L_step{t}", sp.Symbol(f"L_step{t}"), L_t, f"loss after step {t}"))
    names.append(f"L_step{t}")


def _final_parameters(setting: Setting, Ws: Sequence[Matrix], bs: Sequence[Matrix | None], k: int
                      ) -> list[tuple[str, sp.Basic, Matrix, str]]:
    """(answer-key name, symbol, value, caption) of every trained parameter after k steps."""
    final = [(f"W{l}_step{k}", nt.matrix(f"W_{l}^({k})", *W.shape), W, f"W_{l} after {k} steps")
             for l, W in enumerate(Ws, start=1)]
    final += [(f"b{l}_step{k}", nt.matrix(f"b_{l}^({k})", bias.rows, 1), bias, f"b_{l} after {k} steps")
              for l, bias in enumerate(bs, start=1) if bias is not None and setting.update_biases]
    return final


def _show_certified_steps(b: Builder, setting: Setting, params: Params, k: int) -> list[str]:
    """The loss after each step and the final parameters as certified decimals (the step-1 update stays exact).

    The answer key's ``exact`` of a certified quantity is its certified decimal as an
    exact rational (see the module docstring).
    """
    causes = sorted({r.name for r in setting.rules if not r.stays_rational})
    what = (f"{', '.join(causes)} activation{'s' if len(causes) > 1 else ''}" if causes
            else f"the {setting.loss.name} loss")
    _check_growth(params, 1, k)
    names: list[str] = []
    path = certified_trajectory(setting, params, k)
    digits = CERTIFIED_DIGITS
    b.say(f"With {what} the exact values after step 1 nest exponentials inside exponentials and grow with "
          f"every step, so the losses and steps 2 to {k} are computed in interval (ball) arithmetic, starting from the "
          f"exact parameters after step 1 above, at {path.precision} bits. Every decimal below is certified: "
          f"all {digits} significant digits are guaranteed (the true value rounds to exactly that decimal).")
    rows: list[list[object]] = []
    for t, ball in enumerate(path.losses, start=1):
        value = as_rational(ball)[0, 0]
        b.quantities.append(Quantity(f"L_step{t}", sp.Symbol(f"L_step{t}"), value,
                                     f"loss after step {t} (certified {digits}-digit decimal)"))
        names.append(f"L_step{t}")
        rows.append([sp.Integer(t), ball[0, 0]])
    b.table(["step t", "loss after step t (certified decimals)"], rows)
    final = _final_parameters(setting, [as_rational(W) for W in path.weights],
                              [None if bias is None else as_rational(bias) for bias in path.biases], k)
    for name, symbol, value, caption in final:
        b.quantities.append(Quantity(name, symbol, value, caption + f" (certified {digits}-digit decimals)"))
    b.say(f"The parameters after {k} steps, every digit certified (also in the answer key under ",
          *[part for i, (n, *_) in enumerate(final) for part in ((", " if i else ""), nt.Code(n))], "):")
    b.table(["parameter", "after step " + str(k)], [[symbol, value] for _, symbol, value, _ in final])
    return names


def _short(value: sp.Basic) -> sp.Basic:
    """The exact value when it prints briefly, else its rounding (the exact one stays in the answer key)."""
    if isinstance(value, sp.Rational) and len(str(value)) <= 16:
        return value
    return approximate(value, APPROX_DECIMALS)


def _check_growth(params: Params, t: int, k: int) -> None:
    """Refuse a forward pass whose exact parameters have grown past :data:`GROWTH_LIMIT`."""
    size = sum(int(sp.count_ops(v)) for M in (*params.Ws, *(b for b in params.bs if b is not None)) for v in M)
    if size > GROWTH_LIMIT:
        raise SpecError(
            f"steps = {k}: after {t} step{'s' if t > 1 else ''} the exact parameters hold {size} operations "
            f"(each step nests the previous exponentials); symnn stops at {GROWTH_LIMIT}. Ask for at most "
            f"{t - 1} step{'s' if t != 2 else ''} with these activations, or use piecewise-linear activations "
            "with a squared-error loss, whose values stay rational")
