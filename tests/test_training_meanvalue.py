"""Training runs of 10,000 steps in the mean-value (centred) form (issue 12): networks whose plain balls
would need more than MAX_BITS, against independent mpmath loops at high precision, every kept digit equal;
the enclosures contain the high-precision reference; a sheet with steps = 10000 on such a network.
"""

from __future__ import annotations

from fractions import Fraction

import flint
import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_training import mpf, rounded_to

import symnn
import symnn.library.network as library_network
from symnn.core.domains import Undecided
from symnn.library import certified_runs, mean_value
from symnn.library.certified_runs import bits_lost
from symnn.library.trajectory import recorded_steps
from symnn.sheets.loading import load_sheet
from symnn.sheets.pipeline import solve_checked

# ---------------------------------------------------------------------------
# The independent reference: plain mpmath gradient descent, written from the textbook formulas
# (activations and their derivatives by hand, softmax with cross-entropy δ = ŷ − y).


def _sigmoid(z):
    return 1 / (1 + mpmath.exp(-z))


ACTIVATIONS = {
    "tanh": (mpmath.tanh, lambda z: 1 - mpmath.tanh(z) ** 2),
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    "softplus": (lambda z: mpmath.log(1 + mpmath.exp(z)), _sigmoid),
    "elu": (lambda z: z if z > 0 else mpmath.exp(z) - 1, lambda z: 1 if z > 0 else mpmath.exp(z)),
    "softsign": (lambda z: z / (1 + abs(z)), lambda z: 1 / (1 + abs(z)) ** 2),
    "identity": (lambda z: z, lambda z: 1),
}


def mp_run(X, Y, layers, loss, eta, steps, dps=60):
    """Losses after every step (index t) and the final [W, b] per layer; batch losses summed (mse: mean)."""
    with mpmath.workdps(dps):
        x = [[mpf(v) for v in row] for row in X]
        samples = len(x[0])
        Ws = [[[mpf(v) for v in row] for row in W] for W, _, _ in layers]
        bs = [[mpf(v) for v in b] for _, b, _ in layers]
        names = [name for _, _, name in layers]
        eta = mpf(eta)
        losses = []
        for t in range(steps + 1):
            As, Zs = [x], []
            for W, b, name in zip(Ws, bs, names):
                Z = [[sum(W[o][i] * As[-1][i][s] for i in range(len(W[0]))) + b[o] for s in range(samples)]
                     for o in range(len(W))]
                Zs.append(Z)
                if name == "softmax":
                    A = [[mpmath.exp(Z[o][s]) / sum(mpmath.exp(Z[q][s]) for q in range(len(Z))) for s in range(samples)]
                         for o in range(len(Z))]
                else:
                    A = [[ACTIVATIONS[name][0](v) for v in row] for row in Z]
                As.append(A)
            out, rows = As[-1], len(As[-1])
            if loss == "cross_entropy":
                value = -sum(Y[o][s] * mpmath.log(out[o][s]) for o in range(rows) for s in range(samples))
                delta = [[out[o][s] - Y[o][s] for s in range(samples)] for o in range(rows)]
            elif loss == "bce":
                value = -sum(Y[o][s] * mpmath.log(out[o][s]) + (1 - Y[o][s]) * mpmath.log(1 - out[o][s])
                             for o in range(rows) for s in range(samples))
                delta = [[(out[o][s] - Y[o][s]) / (out[o][s] * (1 - out[o][s])) *
                          ACTIVATIONS[names[-1]][1](Zs[-1][o][s]) for s in range(samples)] for o in range(rows)]
            else:  # mse: mean over the outputs and the samples
                scale = mpmath.mpf(1) / (rows * samples)
                value = scale * sum((out[o][s] - Y[o][s]) ** 2 for o in range(rows) for s in range(samples))
                delta = [[2 * scale * (out[o][s] - Y[o][s]) * ACTIVATIONS[names[-1]][1](Zs[-1][o][s])
                          for s in range(samples)] for o in range(rows)]
            losses.append(value)
            if t == steps:
                return losses, [[W, b] for W, b in zip(Ws, bs)]
            deltas = [delta]
            for l in range(len(Ws) - 1, 0, -1):
                W, after = Ws[l], deltas[0]
                deltas.insert(0, [[sum(W[o][i] * after[o][s] for o in range(len(W))) * ACTIVATIONS[names[l - 1]][1](
                    Zs[l - 1][i][s]) for s in range(samples)] for i in range(len(W[0]))])
            for l, (W, b, d) in enumerate(zip(Ws, bs, deltas)):
                A = As[l]
                Ws[l] = [[W[o][i] - eta * sum(d[o][s] * A[i][s] for s in range(samples)) for i in range(len(W[0]))]
                         for o in range(len(W))]
                bs[l] = [b[o] - eta * sum(d[o]) for o in range(len(W))]
    raise AssertionError("unreachable")


def dense(W, b, name):
    if name == "softsign":
        return symnn.Dense(W, b, "softsign", formula="x / (1 + abs(x))")
    return symnn.Dense(W, b, name)


def assert_every_digit(run, reference, dps, digits, checked_steps):
    losses, params = reference
    with mpmath.workdps(dps):
        assert run.initial_loss[0, 0] == rounded_to(losses[0], digits)
        for t in checked_steps:
            assert run.loss_after(t)[0, 0] == rounded_to(losses[t], digits), t
        named = run.parameters()
        for l, (W, b) in enumerate(params, start=1):
            assert [named[f"W{l}"][i, j] for i in range(len(W)) for j in range(len(W[0]))] == \
                [rounded_to(v, digits) for row in W for v in row], f"W{l}"
            assert [named[f"b{l}"][i, 0] for i in range(len(b))] == [rounded_to(v, digits) for v in b], f"b{l}"


# The issue's network: tanh then softmax, cross-entropy, a batch of two samples, three classes.
ISSUE_X = [["0.05", "0.3"], ["0.1", "-0.2"]]
ISSUE_Y = [[0, 1], [1, 0], [0, 0]]
ISSUE_LAYERS = [([["0.15", "0.2"], ["0.25", "0.3"]], ["0.35", "0.35"], "tanh"),
                ([["0.4", "0.45"], ["0.5", "0.55"], ["0.1", "-0.3"]], ["0.6", "0.6", "0.1"], "softmax")]


def network(layers):
    return symnn.Network([dense(*layer) for layer in layers])


def test_the_issue_network_trains_10000_steps_to_every_digit_of_an_mpmath_loop():
    run = network(ISSUE_LAYERS).train(ISSUE_X, ISSUE_Y, "cross_entropy", "0.5", 10_000, digits=15)
    assert run.precision < 1000  # plain balls would need ~43,000 bits
    reference = mp_run(ISSUE_X, ISSUE_Y, ISSUE_LAYERS, "cross_entropy", "0.5", 10_000, dps=40)
    assert_every_digit(run, reference, 40, 15, (1, 2, 50, 100, 1000, 3162, 7943, 10_000))
    assert reference[0][10_000] < reference[0][1000] < reference[0][0]


# Networks the plain balls cannot certify for this many steps (each > MAX_BITS), through the mean-value form.
BATCH3_X = [["0.8", "-0.6", "0.1"], ["-0.3", "0.9", "0.4"]]
BATCH3_Y = [[0, 1, 0], [0, 0, 1], [1, 0, 0]]
OUTPUT = ([["0.6", "-0.9", "0.2"], ["0.3", "0.4", "-0.5"], ["0.1", "0.2", "0.3"]], ["0", "0.1", "-0.1"], "softmax")


def hidden(name):
    return ([["0.7", "-0.4"], ["0.2", "0.5"], ["-0.3", "0.1"]], ["0.1", "-0.2", "0.05"], name)


CASES = {
    f"{name}-batch3/softmax-ce": (BATCH3_X, BATCH3_Y, "cross_entropy", "0.9", [hidden(name), OUTPUT])
    for name in ("softsign", "elu", "softplus")
}
"""Networks whose plain balls lose 12,000 to 19,000 bits over 3,000 steps (the mean-value form: 70 to 100)."""


@pytest.mark.parametrize("name", sorted(CASES))
def test_networks_beyond_the_plain_balls_train_to_every_digit_of_an_mpmath_loop(name):
    X, Y, loss, eta, layers = CASES[name]
    steps = 3000
    run = network(layers).train(X, Y, loss, eta, steps, digits=15)
    reference = mp_run(X, Y, layers, loss, eta, steps, dps=40)
    assert_every_digit(run, reference, 40, 15, recorded_steps(steps)[::7] + (steps,))


def plain_and_centred(layers, X, Y, loss, eta, steps):
    """The engine network, exact parameters and rate that Network.train hands to the trajectory."""
    captured = {}

    def capture(net, params, rate, *rest):
        captured.update(net=net, params=params, rate=rate)
        raise StopIteration

    original = library_network.certified_trajectory
    library_network.certified_trajectory = capture
    try:
        with pytest.raises(StopIteration):
            network(layers).train(X, Y, loss, eta, steps)
    finally:
        library_network.certified_trajectory = original
    return captured["net"], captured["params"], captured["rate"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_plain_balls_would_need_more_than_max_bits_for_these_cases(name):
    X, Y, loss, eta, layers = CASES[name]
    net, params, rate = plain_and_centred(layers, X, Y, loss, eta, 3000)
    assert bits_lost(net, params, rate, 3000) > certified_runs.MAX_BITS
    assert bits_lost(net, params, rate, 3000, centred=True) < 1000


HIDDEN = st.sampled_from(["tanh", "sigmoid", "softplus", "elu", "softsign"])
WEIGHT = st.integers(-9, 9).map(lambda n: f"{n / 10}")


@settings(max_examples=12, deadline=None)
@given(hidden=HIDDEN, weights=st.lists(WEIGHT, min_size=16, max_size=16), eta=st.sampled_from(["0.3", "1", "2.5"]),
       softmax=st.booleans())
def test_the_centred_enclosures_contain_the_high_precision_reference(hidden, weights, eta, softmax):
    """Every kept loss and final parameter ball of a centred run holds the mpmath value (to 10^-75)."""
    w = iter(weights)
    outputs = 2 if softmax else 1
    layers = [([[next(w), next(w)], [next(w), next(w)], [next(w), next(w)]], [next(w), next(w), next(w)], hidden),
              ([[next(w), next(w), next(w)] for _ in range(outputs)], [next(w)] * outputs,
               "softmax" if softmax else "sigmoid")]
    X, Y = [["0.5", "-0.2"], ["-0.7", "0.4"]], ([[1, 0], [0, 1]] if softmax else [[1, 0]])
    loss, steps = ("cross_entropy" if softmax else "bce"), 40
    net, params, rate = plain_and_centred(layers, X, Y, loss, eta, steps)
    try:
        with flint.ctx.workprec(300):
            found = certified_runs.trajectory_balls(net, params, rate, steps, keep=(1, 7, 20, steps), quiet=True,
                                                centred=True)
    except Undecided:  # a pre-activation ball straddling ELU's or softsign's kink
        return
    losses, final = mp_run(X, Y, layers, loss, eta, steps, dps=100)
    with mpmath.workdps(100):
        tolerance = mpmath.mpf(10) ** -75
        pairs = [(found[f"L_step{t}"][0, 0], losses[t]) for t in (0, 1, 7, 20, steps)]
        for l, (W, b) in enumerate(final, start=1):
            pairs += [(found[f"W{l}"][i, j], W[i][j]) for i in range(len(W)) for j in range(len(W[0]))]
            pairs += [(found[f"b{l}"][i, 0], b[i]) for i in range(len(b))]
        for ball, value in pairs:
            low, high = (mpmath.mpf(ball.mid().str(110, radius=False)) - mpmath.mpf(ball.rad().str(20, radius=False)),
                         mpmath.mpf(ball.mid().str(110, radius=False)) + mpmath.mpf(ball.rad().str(20, radius=False)))
            assert ball.is_finite() and low - tolerance <= value <= high + tolerance
            assert ball.rad() < mpmath.mpf(10) ** -60  # and the enclosure is tight


SHEET = """
[[exercise]]
id = "long"
kind = "network"
x = [[0.05, 0.3], [0.1, -0.2]]
y = [[0, 1], [1, 0], [0, 0]]
loss = "cross_entropy"
learning_rate = 0.5
steps = 10000
[[exercise.layers]]
W = [[0.15, 0.2], [0.25, 0.3]]
b = [0.35, 0.35]
activation = "tanh"
[[exercise.layers]]
W = [[0.4, 0.45], [0.5, 0.55], [0.1, -0.3]]
b = [0.6, 0.6, 0.1]
activation = "softmax"
"""


def test_a_sheet_with_10000_steps_on_the_issue_network_is_certified_and_cross_checked():
    d = solve_checked(load_sheet(SHEET)).derivations[0]  # the numpy cross-check runs inside
    reference = mp_run(ISSUE_X, ISSUE_Y, ISSUE_LAYERS, "cross_entropy", "0.5", 10_000, dps=40)[0]
    with mpmath.workdps(40):
        for t in (1, 100, 10_000):
            assert str(d.quantity(f"L_step{t}").exact) == str(mpmath_fraction(reference[t], 20)), t


def mpmath_fraction(value, digits):
    return Fraction(rounded_to(value, digits))


def test_the_run_plain_balls_refused_is_now_planned_in_the_mean_value_form():
    from test_training import WIDENING

    from symnn.sheets.kinds.network.setting import setting_of

    setting, params = setting_of(load_sheet(WIDENING).exercises[0])
    assert bits_lost(setting.net, params, setting.learning_rate, 10_000) > 20_000  # plain: about 2.5 per step
    centred, extra = certified_runs._plan(setting.net, params, setting.learning_rate, 10_000, 20, True)
    assert centred and extra < 400


@pytest.mark.parametrize("name", ["issue", "softsign-batch3/softmax-ce", "elu-batch3/softmax-ce"])
def test_the_step_jacobian_encloses_central_differences_of_an_mpmath_step(name):
    """The radii's soundness rests on the Jacobian: each entry, over a box around the start, holds
    (T(θ + h e_p) − T(θ − h e_p)) / 2h of the independent mpmath step (error ~h², h = 10^-20)."""
    from symnn.library.engine import Network, Params
    from symnn.library.engine.domains.jets import Jet

    X, Y, loss, eta, layers = (ISSUE_X, ISSUE_Y, "cross_entropy", "0.5", ISSUE_LAYERS) if name == "issue" \
        else CASES[name]
    net, params, rate = plain_and_centred(layers, X, Y, loss, eta, 1)
    flat = [(l, part, i, j) for l, (W, b, _) in enumerate(layers) for part, matrix in (("W", W), ("b", b))
            for i in range(len(matrix)) for j in range(len(matrix[0]) if part == "W" else 1)]
    with flint.ctx.workprec(200):
        jet_net = Network(Jet(certified_runs._balls(net.X), None), Jet(certified_runs._balls(net.Y), None), net.rules,
                          net.objective)
        box = Params(tuple(certified_runs._balls(W) + flint.arb(0, 2.0**-60) for W in params.Ws),
                     tuple(certified_runs._balls(b) + flint.arb(0, 2.0**-60) for b in params.bs))
        jacobian = mean_value.step_jacobian(jet_net, box, certified_runs.ball(rate))
    assert jacobian.nrows() == len(flat)

    def stepped(p, shift):
        moved = [(W, b, act) for W, b, act in layers]
        l, part, i, j = flat[p]
        W, b, act = ([list(row) for row in moved[l][0]], list(moved[l][1]), moved[l][2])
        if part == "W":
            W[i][j] = str(Fraction(W[i][j]) + shift)
        else:
            b[i] = str(Fraction(b[i]) + shift)
        moved[l] = (W, b, act)
        _, final = mp_run(X, Y, moved, loss, eta, 1, dps=60)
        return [v for W_, b_ in final for v in [*(x for row in W_ for x in row), *b_]]

    h = Fraction(1, 10**20)
    with mpmath.workdps(60):
        for p in range(len(flat)):
            plus, minus = stepped(p, h), stepped(p, -h)
            for i in range(len(flat)):
                difference = (plus[i] - minus[i]) / (2 * mpf(str(h)))
                entry = jacobian[i, p]
                middle, radius = mpmath.mpf(entry.mid().str(60, radius=False)), mpmath.mpf(entry.rad().str(20, radius=False))
                assert abs(difference - middle) <= radius + mpmath.mpf(10) ** -30, (i, p)
                assert radius < mpmath.mpf(10) ** -12  # a 2^-60 box keeps the enclosure tight


@pytest.mark.parametrize("update_biases", [True, False])
def test_the_step_jacobian_of_a_layer_without_bias_and_of_frozen_biases_matches_ball_differences(update_biases):
    """The jets' plumbing where the Jacobian leaves parameters out: an output layer without bias,
    and biases that do not move (their directions are not seeded).  Central differences of the
    plain ball step (h = 2^-80 at 300 bits, error ~h²) must lie in each entry."""
    from symnn.library import engine
    from symnn.library.engine import Network, Params
    from symnn.library.engine.domains.balls import BallDomain
    from symnn.library.engine.domains.jets import Jet

    layers = [symnn.Dense([["0.7", "-0.4"], ["0.2", "0.5"]], ["0.1", "-0.2"], "tanh"),
              symnn.Dense([["0.6", "-0.9"], ["0.3", "0.4"], ["0.1", "0.2"]], None, "softmax")]
    captured = {}

    def capture(net, params, rate, *rest):
        captured.update(net=net, params=params, rate=rate)
        raise StopIteration

    original, library_network.certified_trajectory = library_network.certified_trajectory, capture
    try:
        with pytest.raises(StopIteration):
            symnn.Network(layers).train(BATCH3_X, BATCH3_Y, "cross_entropy", "0.5", 1)
    finally:
        library_network.certified_trajectory = original
    net, params, rate = captured["net"], captured["params"], captured["rate"]
    with flint.ctx.workprec(300):
        X, Y = certified_runs._balls(net.X), certified_runs._balls(net.Y)
        box = Params(tuple(certified_runs._balls(W) for W in params.Ws),
                     tuple(None if b is None else certified_runs._balls(b) for b in params.bs))
        jacobian = mean_value.step_jacobian(Network(Jet(X, None), Jet(Y, None), net.rules, net.objective), box,
                                            certified_runs.ball(rate), update_biases)
        flat, d, ball_net = mean_value.flat_entries(box, update_biases), BallDomain(), Network(X, Y, net.rules, net.objective)
        assert jacobian.nrows() == len(flat) == (4 + 2 + 6 if update_biases else 4 + 6)

        def step(entries):
            p = mean_value.rebuilt_params(box, entries, update_biases)
            values = ball_net.forward(d, p)
            return mean_value.flat_entries(engine.descend(d, p, ball_net.deltas(d, p, values), values.As[:-1],
                                                   certified_runs.ball(rate), update_biases), update_biases)

        h = flint.arb(2) ** -80
        for p in range(len(flat)):
            up, down = list(flat), list(flat)
            up[p], down[p] = flat[p] + h, flat[p] - h
            for i, (a, b) in enumerate(zip(step(up), step(down))):
                assert abs((a - b) / (2 * h) - jacobian[i, p]) < flint.arb(2) ** -100, (i, p)


def test_a_kink_met_exactly_by_the_mean_value_form_is_a_one_line_error(monkeypatch):
    """A derivative's DiracDelta/Heaviside evaluated at exactly its jump decides no branch
    (NotCompilable from the compiled Piecewise); the run says so in one SpecError."""
    from symnn.core.domains import NotCompilable

    def kink(*args, **kwargs):
        raise NotCompilable("no Piecewise branch applies")

    monkeypatch.setattr(certified_runs, "trajectory_balls", kink)
    monkeypatch.setattr(certified_runs, "_plan", lambda *args, **kwargs: (True, 64))
    from symnn.errors import SpecError

    with pytest.raises(SpecError, match=r"^steps = 5: the mean-value form .* no Piecewise branch applies"):
        network(ISSUE_LAYERS).train(ISSUE_X, ISSUE_Y, "cross_entropy", "0.5", 5, digits=10)
