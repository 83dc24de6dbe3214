"""A vanilla (tanh) recurrent network over T steps with backpropagation through time, and one LSTM or GRU
step forward (kind ``rnn``).

Forward: a_t = W_x x_t + W_h h_{t-1} + b, h_t = tanh(a_t), y_t = W_y h_t + b_y, a loss per step from
:data:`symnn.core.calculus.LOSSES` and L = Σ_t L_t.  Backward: ``sympy.diff`` of the unrolled loss, a
SymPy expression in the parameters (as symbols, the given inputs and targets put in) and in a shift ε_t
added to each a_t, once per parameter entry and per ε_t; the values (ε = 0) then give the exact gradients
and δ_t = ∂L/∂a_t.  The sheet explains them by the BPTT recurrence
δ_t = (W_yᵀ ∂L_t/∂y_t + W_hᵀ δ_{t+1}) ⊙ tanh'(a_t) and the sums over the steps, which the numpy twin
computes (the cross-check compares them on every run; ``symnn check`` recomputes them over intervals).
The product of the Jacobians ∂h_t/∂h_{t-1} = diag(tanh'(a_t)) W_h, SymPy's Jacobian of the unrolled h_T in
h_1, shows why gradients through many steps vanish or explode.  ``cell = "lstm"`` or ``"gru"`` works one
step of that cell instead (gates stacked in PyTorch's order; the conventions are stated on the sheet).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy as sp

from symnn.core import interval as iv
from symnn.core.calculus import ACTIVATIONS, LOSSES
from symnn.core.calculus import a as prediction
from symnn.core.calculus import x as argument
from symnn.core.calculus import y as target
from symnn.core.domains import INTERVALS, evaluate
from symnn.core.interval import IMatrix, Interval
from symnn.core.program import compile_program
from symnn.errors import ShapeError
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, to_matrix
from symnn.sheets.constraints import Constraints
from symnn.sheets.fields import Context, Matrix, choice, given, read_matrix, shape, shape_text
from symnn.sheets.kinds.base import Kind
from symnn.sheets.recipes import NO_DERIVATIVE, Earlier, Program, Programs, Recipes
from symnn.sheets.reference.arrays import Values
from symnn.sheets.reference.rnn import evaluate_cell, evaluate_rnn
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.statement import Line
from symnn.sheets.steps import Derivation

TANH = ACTIVATIONS["tanh"]
SIGMOID = ACTIVATIONS["sigmoid"]
CELLS: dict[str, tuple[str, ...]] = {"rnn": (), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
"""Each cell and its gates, in the order their weights are stacked (PyTorch's order)."""
RNN_LOSSES = ("half_sse", "sse")
MAX_STEPS = 8
"""Most time steps: the unrolled loss nests T tanh's, and its exact derivatives grow with T."""
MAX_UNROLLED = 9
"""Most steps × hidden units of a vanilla RNN (8 × 1, 4 × 2, 3 × 3 ...)."""
MAX_HIDDEN = 8
"""Most hidden units (and inputs) of one LSTM or GRU step."""
L = sp.Symbol("L")
TRUNCATED = "the gradient from later steps (W_hᵀ δ_{t+1}) was left out of δ_t: backpropagation was truncated"
CURRENT_STATE = "∂L/∂W_h used h_t instead of the previous state h_{t-1}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Rnn:
    """A vanilla RNN's inputs, parameters and targets: h_t = tanh(W_x x_t + W_h h_{t-1} + b), y_t = W_y h_t + b_y."""

    x: Matrix = given(read_matrix)
    """The inputs, one row per time step (a flat list: one number per step)."""
    W_x: Matrix = given(read_matrix)
    """Input weights (hidden × inputs)."""
    W_h: Matrix = given(read_matrix)
    """Recurrent weights (hidden × hidden)."""
    b: Matrix | None = given(read_matrix, default=None)
    """Hidden bias (a column; none: 0)."""
    h0: Matrix | None = given(read_matrix, default=None)
    """The initial state h_0 (a column; none: 0)."""
    W_y: Matrix | None = given(read_matrix, default=None)
    """Output weights (outputs × hidden); needed by ``cell = "rnn"``."""
    b_y: Matrix | None = given(read_matrix, default=None)
    """Output bias (a column; none: 0)."""
    y: Matrix | None = given(read_matrix, default=None)
    """The targets, one row per time step (a flat list: one number per step); needed by ``cell = "rnn"``."""
    loss: str = given(choice(RNN_LOSSES, "loss"), default="half_sse")
    """The loss of each step, summed over the steps: ``half_sse`` is ½Σ(y − t)², ``sse`` is Σ(y − t)²."""
    cell: str = given(choice(tuple(CELLS), "cell"), default="rnn")
    """``rnn``: the vanilla tanh RNN over every step, with BPTT; ``lstm`` or ``gru``: one step forward of that cell,
    its gates' weights stacked in W_x, W_h and b in the order of :data:`CELLS` (i, f, g, o; r, z, n)."""
    c0: Matrix | None = given(read_matrix, default=None)
    """The initial cell state of an LSTM (a column; none: 0)."""

    @property
    def steps(self) -> int:
        return shape(self.x)[0]

    @property
    def hidden(self) -> int:
        return shape(self.W_h)[1]

    def check(self, ctx: Context) -> None:
        """The shapes fit one another and T is at most :data:`MAX_STEPS`; a gated cell takes one step."""
        if self.cell != "rnn":
            self.check_gated(ctx)
            return
        if self.W_y is None or self.y is None:
            raise ctx.error(f"a vanilla RNN (cell = \"rnn\") needs {'W_y' if self.W_y is None else 'y'}: "
                            "the outputs and their targets give the loss")
        if self.c0 is not None:
            raise ctx.error("c0 is the cell state of an LSTM; cell is \"rnn\"")
        T, n_in = shape(self.x)
        n_h = shape(self.W_h)[0]
        if shape(self.W_h) != (n_h, n_h):
            raise ctx.error(f"W_h is {shape_text(self.W_h)} but must be square (hidden × hidden)", ShapeError)
        if shape(self.W_x) != (n_h, n_in):
            raise ctx.error(f"W_x is {shape_text(self.W_x)} but must be {n_h}×{n_in} (hidden × inputs): "
                            f"W_h has {n_h} rows and each step of x has {n_in} entries", ShapeError)
        for name, value in (("b", self.b), ("h0", self.h0)):
            if value is not None and shape(value) not in ((n_h, 1), (1, n_h)):
                raise ctx.error(f"{name} is {shape_text(value)} but must have {n_h} entries", ShapeError)
        n_out = shape(self.W_y)[0]
        if shape(self.W_y)[1] != n_h:
            raise ctx.error(f"W_y is {shape_text(self.W_y)} but needs {n_h} columns (one per hidden unit)",
                            ShapeError)
        if self.b_y is not None and shape(self.b_y) not in ((n_out, 1), (1, n_out)):
            raise ctx.error(f"b_y is {shape_text(self.b_y)} but must have {n_out} entries", ShapeError)
        if shape(self.y) != (T, n_out):
            raise ctx.error(f"y is {shape_text(self.y)} but must be {T}×{n_out}: one row of {n_out} "
                            f"target(s) per step", ShapeError)
        if T > MAX_STEPS:
            raise ctx.error(f"x has {T} steps; at most {MAX_STEPS} are worked exactly")
        if T * n_h > MAX_UNROLLED:
            raise ctx.error(f"x has {T} steps and W_h {n_h} hidden units; steps × hidden units must be at most "
                            f"{MAX_UNROLLED} (the unrolled loss's exact derivatives grow fast)")

    def check_gated(self, ctx: Context) -> None:
        """One step; W_x, W_h and b stack one block per gate; no output layer."""
        gates = CELLS[self.cell]
        k = len(gates)
        T, n_in = shape(self.x)
        if T != 1:
            raise ctx.error(f"an {self.cell.upper()} exercise works one step forward; x has {T} steps")
        rows, n_h = shape(self.W_h)
        if n_h > MAX_HIDDEN or n_in > MAX_HIDDEN:
            raise ctx.error(f"an {self.cell.upper()} step here has at most {MAX_HIDDEN} hidden units and inputs; "
                            f"W_h has {n_h} columns and x {n_in} entries")
        if rows != k * n_h:
            raise ctx.error(f"W_h is {shape_text(self.W_h)} but an {self.cell.upper()} stacks {k} gates "
                            f"({', '.join(gates)}): it must be {k * n_h}×{n_h}", ShapeError)
        if shape(self.W_x) != (k * n_h, n_in):
            raise ctx.error(f"W_x is {shape_text(self.W_x)} but must be {k * n_h}×{n_in} ({k} gates × "
                            f"{n_h} hidden units, by {n_in} inputs)", ShapeError)
        for name, value, n in (("b", self.b, k * n_h), ("h0", self.h0, n_h), ("c0", self.c0, n_h)):
            if value is not None and shape(value) not in ((n, 1), (1, n)):
                raise ctx.error(f"{name} is {shape_text(value)} but must have {n} entries", ShapeError)
        if self.c0 is not None and self.cell != "lstm":
            raise ctx.error("c0 is the cell state of an LSTM; a GRU has none")
        for name in ("W_y", "b_y", "y"):
            if getattr(self, name) is not None:
                raise ctx.error(f"{name} belongs to the vanilla RNN's output layer; an {self.cell.upper()} "
                                "exercise works the cell's step only")


def _column(value: Matrix | None, n: int) -> sp.ImmutableMatrix:
    return sp.zeros(n, 1).as_immutable() if value is None else sp.ImmutableMatrix(n, 1, list(to_matrix(value)))


def math(plain: str, tex: str) -> nt.Label:
    """A formula written inline in prose: its plain text and its LaTeX."""
    return nt.Label(plain, tex)


def _plain(M: sp.MatrixBase) -> sp.Basic:
    """A 1×1 matrix as its entry (scalar RNNs read as numbers), else the matrix."""
    return M[0, 0] if M.shape == (1, 1) else sp.ImmutableMatrix(M)


def _name(base: str, M: sp.MatrixBase) -> sp.Basic:
    """The symbol of a quantity: a scalar symbol for 1×1, else a matrix symbol."""
    return sp.Symbol(base) if M.shape == (1, 1) else nt.matrix(base, *M.shape)


def _affine(*terms: tuple[sp.Basic, sp.Basic] | sp.Basic) -> sp.Basic:
    """W v + ... + c as written: a matrix expression when any factor is a matrix symbol."""
    products = [(sp.MatMul if any(isinstance(f, sp.MatrixExpr) for f in t) else sp.Mul)(*t, evaluate=False)
                if isinstance(t, tuple) else t for t in terms]
    if not any(isinstance(p, sp.MatrixExpr) for p in products):
        return sp.Add(*products, evaluate=False)
    rows = next(p.shape[0] for p in products if isinstance(p, sp.MatrixExpr))
    return sp.MatAdd(*[p if isinstance(p, sp.MatrixExpr) else nt.matrix(str(p), rows, 1) for p in products],
                     evaluate=False)


@dataclass(frozen=True, slots=True)
class Unrolled:
    """The exact forward pass and the unrolled loss as a SymPy function of the parameters."""

    params: dict[str, sp.ImmutableMatrix]
    """The parameters' values by name (W_x, W_h, b, W_y, b_y)."""
    symbols: dict[str, sp.ImmutableMatrix]
    """A symbol for each parameter entry, by parameter name."""
    shifts: list[sp.ImmutableMatrix]
    """A symbol ε_t added to each a_t in the unrolled loss (0 in value): ∂L/∂ε_t = ∂L/∂a_t = δ_t."""
    X: list[sp.ImmutableMatrix]
    """The input of each step, a column."""
    targets: list[sp.ImmutableMatrix]
    """The target of each step, a column."""
    a: list[sp.ImmutableMatrix]
    h: list[sp.ImmutableMatrix]
    """h_0 … h_T."""
    y: list[sp.ImmutableMatrix]
    losses: list[sp.Expr]
    loss: sp.Expr
    """The unrolled loss in the parameter symbols (and the shifts ε_t)."""

    def at_values(self) -> dict[sp.Symbol, sp.Basic]:
        """The parameters' values for their symbols, and 0 for every shift."""
        values = {sym: value for name, M in self.symbols.items() for sym, value in zip(M, self.params[name])}
        return {**values, **{e: sp.S.Zero for shift in self.shifts for e in shift}}


def step_loss(kind: str, out: sp.MatrixBase, tgt: sp.MatrixBase) -> sp.Expr:
    """One step's loss, from the loss's one definition (:data:`symnn.core.calculus.LOSSES`)."""
    term = LOSSES[kind].term
    return sp.Add(*[term.xreplace({target: t, prediction: o}) for o, t in zip(out, tgt)])


def unroll(f: Rnn) -> Unrolled:
    """The forward pass exactly, and the same recurrences on parameter symbols (the unrolled loss)."""
    assert f.W_y is not None and f.y is not None
    n_h, n_out = f.hidden, shape(f.W_y)[0]
    params = {"W_x": to_matrix(f.W_x), "W_h": to_matrix(f.W_h), "b": _column(f.b, n_h),
              "W_y": to_matrix(f.W_y), "b_y": _column(f.b_y, n_out)}
    symbols = {name: sp.ImmutableMatrix(*M.shape, lambda i, j, name=name: sp.Symbol(
        f"{name}[{i + 1},{j + 1}]", real=True)) for name, M in params.items()}
    X = [sp.ImmutableMatrix(to_matrix(f.x).row(t).T) for t in range(f.steps)]
    targets = [sp.ImmutableMatrix(to_matrix(f.y).row(t).T) for t in range(f.steps)]

    shifts = [sp.ImmutableMatrix(n_h, 1, [sp.Symbol(f"epsilon{t + 1}[{i + 1}]", real=True) for i in range(n_h)])
              for t in range(f.steps)]

    def run(p: dict[str, sp.ImmutableMatrix], shift: bool) -> tuple[
            list[sp.ImmutableMatrix], list[sp.ImmutableMatrix], list[sp.ImmutableMatrix], list[sp.Expr]]:
        a, h, y, losses = [], [_column(f.h0, n_h)], [], []
        for t in range(f.steps):
            a.append(sp.ImmutableMatrix(p["W_x"] * X[t] + p["W_h"] * h[-1] + p["b"] + (shifts[t] if shift else
                                                                                       sp.zeros(n_h, 1))))
            h.append(a[-1].applyfunc(lambda v: TANH.at(v)))
            y.append(sp.ImmutableMatrix(p["W_y"] * h[-1] + p["b_y"]))
            losses.append(step_loss(f.loss, y[-1], targets[t]))
        return a, h, y, losses

    a, h, y, losses = run(params, False)
    _, _, _, symbolic = run(symbols, True)
    return Unrolled(params, symbols, shifts, X, targets, a, h, y, losses, sp.Add(*symbolic))


def parameter_gradients(u: Unrolled) -> dict[str, sp.ImmutableMatrix]:
    """∂L/∂(each parameter entry): ``sympy.diff`` of the unrolled loss, then the parameters' values put in."""
    values = u.at_values()
    return {name: sp.ImmutableMatrix(*S.shape, [sp.diff(u.loss, s).xreplace(values) for s in S])
            for name, S in u.symbols.items()}


def deltas(u: Unrolled) -> list[sp.ImmutableMatrix]:
    """δ_t = ∂L/∂a_t = ∂L/∂ε_t: ``sympy.diff`` of the unrolled loss in the shift added to a_t, at ε = 0."""
    values = u.at_values()
    return [sp.ImmutableMatrix(len(shift), 1, [sp.diff(u.loss, e).xreplace(values) for e in shift])
            for shift in u.shifts]


def jacobian_product(f: Rnn, u: Unrolled) -> sp.ImmutableMatrix:
    """∂h_T/∂h_1 by SymPy's Jacobian of h_T unrolled from symbols for h_1, at the forward pass's values."""
    start = sp.ImmutableMatrix(f.hidden, 1, lambda i, j: sp.Symbol(f"h1[{i + 1}]", real=True))
    h = start
    for t in range(1, f.steps):
        h = sp.ImmutableMatrix(u.params["W_x"] * u.X[t] + u.params["W_h"] * h + u.params["b"]).applyfunc(TANH.at)
    J = sp.Matrix(h).jacobian(sp.Matrix(start))
    return sp.ImmutableMatrix(J.xreplace(dict(zip(start, u.h[1]))))


def solve_rnn(spec: ExerciseSpec[Rnn]) -> Derivation:
    """Forward pass step by step, the unrolled loss, its SymPy gradients explained by BPTT, the Jacobian product."""
    f = spec.data
    if f.cell != "rnn":
        return solve_gated(spec)
    u = unroll(f)
    T = f.steps
    b = Builder(spec, "Recurrent network: forward pass and backpropagation through time")
    p = u.params
    Wx, Wh, bias, Wy, by = (_name(n, p[k]) for n, k in (("W_x", "W_x"), ("W_h", "W_h"), ("b", "b"), ("W_y", "W_y"),
                                                         ("b_y", "b_y")))
    b.heading("Forward pass")
    b.say("At every step the state mixes the new input with the previous state; the output reads the state:")
    general_h = sp.Symbol("h_t")
    b.say(sp.Eq(sp.Symbol("a_t"), _affine((sp.Symbol("W_x"), sp.Symbol("x_t")), (sp.Symbol("W_h"), sp.Symbol(
              "h_{t-1}")), sp.Symbol("b")), evaluate=False), ", ",
          sp.Eq(general_h, nt.Applied("tanh", sp.Symbol("a_t")), evaluate=False), ", ",
          sp.Eq(sp.Symbol("y_t"), _affine((sp.Symbol("W_y"), general_h), sp.Symbol("b_y")), evaluate=False),
          f", with a loss per step ({LOSSES[f.loss].description}) summed over the {T} steps.")
    if f.h0 is None:
        b.say("The initial state is ", sp.Eq(_name("h_0", u.h[0]), _plain(u.h[0]), evaluate=False), ".")
    for t in range(1, T + 1):
        b.heading(f"Step {t}")
        xt, hp = _plain(u.X[t - 1]), _plain(u.h[t - 1])
        written: list[sp.Basic] = []
        if all(M.shape == (1, 1) for M in (p["W_x"], p["W_h"])):
            with sp.evaluate(False):
                written.append(sp.Add(sp.Mul(_plain(p["W_x"]), xt), sp.Mul(_plain(p["W_h"]), hp), _plain(p["b"])))
        b.equation(_name(f"a_{t}", u.a[t - 1]), _affine((Wx, _name(f"x_{t}", u.X[t - 1])),
                                                         (Wh, _name(f"h_{t - 1}", u.h[t - 1])), bias),
                   written,
                   _plain(u.a[t - 1]), quantity=f"a{t}", caption=f"pre-activation at step {t}")
        b.equation(_name(f"h_{t}", u.h[t]), nt.Applied("tanh", _name(f"a_{t}", u.a[t - 1])), (),
                   _plain(u.h[t]), quantity=f"h{t}", caption=f"state at step {t}")
        b.equation(_name(f"y_{t}", u.y[t - 1]), _affine((Wy, _name(f"h_{t}", u.h[t])), by), (),
                   _plain(u.y[t - 1]), quantity=f"y{t}", caption=f"output at step {t}")
        tgt = _plain(u.targets[t - 1])
        b.equation(sp.Symbol(f"L_{t}"), step_loss(f.loss, sp.Matrix([[sp.Symbol(f"y_{t}")]]),
                                                   sp.Matrix([[sp.Symbol(f"t_{t}")]]))
                   if u.y[t - 1].shape == (1, 1) else None, (), u.losses[t - 1], quantity=f"L{t}",
                   caption=f"loss at step {t} (target {tgt})" if u.y[t - 1].shape == (1, 1)
                   else f"loss at step {t}")
    total = sp.Add(*u.losses)
    b.equation(L, sp.Add(*[sp.Symbol(f"L_{t}") for t in range(1, T + 1)], evaluate=False), (), total, quantity="L",
               caption="total loss")
    _backward(b, f, u)
    summary = [f"h{t}" for t in range(1, T + 1)] + ["L", "dL_dW_x", "dL_dW_h", "dL_db", "dL_dW_y", "dL_db_y"]
    if T >= 2:
        summary.append(f"dh{T}_dh1")
    return b.done(summary)


def _backward(b: Builder, f: Rnn, u: Unrolled) -> None:
    T = f.steps
    b.heading("Backpropagation through time")
    b.say("The loss, unrolled over the steps, is one expression in the parameters; SymPy differentiates it "
          "with respect to every parameter entry and the given parameter values are put in.")
    if all(M.shape == (1, 1) for M in u.symbols.values()):
        plain = {M[0, 0]: sp.Symbol(name) for name, M in u.symbols.items()}
        b.equation(L, u.loss.xreplace({**plain, **{e: sp.S.Zero for shift in u.shifts for e in shift}}))
    grads = parameter_gradients(u)
    by_step = deltas(u)
    slope = TANH.derivative
    b.say("To read those derivatives, the chain rule runs backwards through time. SymPy gives ",
          sp.Eq(nt.Applied("tanh", argument, prime=True), slope, evaluate=False),
          ", which in the state is 1 − h², and for this loss ",
          sp.Eq(nt.Partial(sp.Symbol("L_t"), sp.Symbol("y_t")), LOSSES[f.loss].derivative.xreplace(
              {prediction: sp.Symbol("y_t"), target: sp.Symbol("t_t")}), evaluate=False),
          ". With ", math("δ_t = ∂L/∂a_t", r"\delta_{t} = \frac{\partial L}{\partial a_{t}}"),
          ", each step collects its own loss's gradient and what flows back from the next step: ",
          math("δ_T = (W_yᵀ ∂L_T/∂y_T) ⊙ (1 − h_T²)",
               r"\delta_{T} = \left(W_{y}^{T} \frac{\partial L_{T}}{\partial y_{T}}\right) \odot \left(1 - h_{T}^{2}\right)"),
          " and ", math("δ_t = (W_yᵀ ∂L_t/∂y_t + W_hᵀ δ_{t+1}) ⊙ (1 − h_t²)",
                        r"\delta_{t} = \left(W_{y}^{T} \frac{\partial L_{t}}{\partial y_{t}} + W_{h}^{T} "
                        r"\delta_{t+1}\right) \odot \left(1 - h_{t}^{2}\right)"), ".")
    for t in range(T, 0, -1):
        b.equation(_name(f"delta_{t}", by_step[t - 1]), None, (), _plain(by_step[t - 1]), quantity=f"delta{t}",
                   caption=f"δ at step {t}")
    b.say("(Each ", math("δ_t", r"\delta_{t}"), " is SymPy's derivative of the unrolled loss in a shift ",
          math("ε_t", r"\varepsilon_{t}"), " added to ", math("a_t", "a_{t}"), ", at ",
          math("ε_t = 0", r"\varepsilon_{t} = 0"), ".) The parameters are shared by all steps, "
          "so their gradients sum over the steps. The values are SymPy's derivatives of the unrolled loss; the "
          "numpy cross-check computes these sums, and they agree:")
    k = sp.Symbol("t")
    delta_t = sp.Symbol("delta_t")
    pieces = {
        "W_x": sp.Sum(sp.Mul(delta_t, nt.Label("x_t^T", r"x_{t}^{T}"), evaluate=False), (k, 1, T)),
        "W_h": sp.Sum(sp.Mul(delta_t, nt.Label("h_{t-1}^T", r"h_{t-1}^{T}"), evaluate=False), (k, 1, T)),
        "b": sp.Sum(delta_t, (k, 1, T)),
        "W_y": sp.Sum(sp.Mul(nt.Partial(sp.Symbol("L_t"), sp.Symbol("y_t")), nt.Label("h_t^T", r"h_{t}^{T}"),
                             evaluate=False), (k, 1, T)),
        "b_y": sp.Sum(nt.Partial(sp.Symbol("L_t"), sp.Symbol("y_t")), (k, 1, T)),
    }
    for name in ("W_x", "W_h", "b", "W_y", "b_y"):
        value = grads[name]
        b.equation(nt.Partial(L, sp.Symbol(name)), pieces[name], (), _plain(value), quantity=f"dL_d{name}",
                   caption=f"gradient of the loss with respect to {name}")
    if T < 2:
        return
    b.heading("Why gradients vanish or explode")
    J = jacobian_product(f, u)
    b.say(f"What step 1 contributes to the loss at step {T} flows back through the product of the Jacobians ",
          math("∂h_t/∂h_{t-1} = diag(1 − h_t²) W_h",
               r"\frac{\partial h_{t}}{\partial h_{t-1}} = \operatorname{diag}\left(1 - h_{t}^{2}\right) W_{h}"),
          ", one per step:")
    for t in range(2, T + 1) if T > 2 else ():
        factor = sp.ImmutableMatrix(sp.diag(*[1 - v**2 for v in u.h[t]]) * u.params["W_h"])
        b.equation(nt.Partial(_name(f"h_{t}", u.h[t]), _name(f"h_{t - 1}", u.h[t - 1])), None, (), _plain(factor))
    b.equation(nt.Partial(_name(f"h_{T}", u.h[T]), _name("h_1", u.h[1])), None, (), _plain(J),
               quantity=f"dh{T}_dh1", caption=f"∂h_{T}/∂h_1, the product of the step Jacobians")
    norm = math("‖W_h‖", r"\lVert W_{h} \rVert")
    b.say(f"SymPy's Jacobian of h_{T}, unrolled from h_1, equals that product. Each factor is at most ", norm,
          " in size, since 0 < 1 − h² ≤ 1: over many steps the product shrinks geometrically when ",
          math("‖W_h‖ < 1", r"\lVert W_{h} \rVert < 1"), " (the gradient vanishes) and can grow when ",
          math("‖W_h‖ > 1", r"\lVert W_{h} \rVert > 1"), " and the states stay away from saturation (it explodes).")


# ---------------------------------------------------------------------------
# The numpy twin, random draws, and ``symnn check``.


def reference(f: Rnn) -> Values:
    """The numpy twin (:func:`symnn.sheets.reference.rnn.evaluate_rnn`, ``evaluate_cell``)."""
    if f.cell != "rnn":
        return evaluate_cell(f.cell, f.x, f.W_x, f.W_h, f.b, f.h0, f.c0)
    assert f.W_y is not None and f.y is not None
    return evaluate_rnn(f.x, f.W_x, f.W_h, f.b, f.h0, f.W_y, f.b_y, f.y, f.loss)


def rnn_statement(f: Rnn) -> list[Line]:
    """The given data as a student reads it."""
    def given_matrix(name: str, value: Matrix | None) -> Line:
        return (sp.Eq(sp.Symbol(name), to_matrix(value) if value is not None else sp.S.Zero, evaluate=False),)

    if f.cell != "rnn":
        gates = ", ".join(CELLS[f.cell])
        lines: list[Line] = [(f"One {f.cell.upper()} step from the input ",
                              sp.Eq(sp.Symbol("x"), to_matrix(f.x), evaluate=False),
                              f"; W_x, W_h and b stack the gates' blocks in the order {gates}.",)]
        names = ("W_x", "W_h", "b", "h0", "c0") if f.cell == "lstm" else ("W_x", "W_h", "b", "h0")
        return lines + [given_matrix(n, getattr(f, n)) for n in names]
    lines = [("A tanh RNN, ", math("h_t = tanh(W_x x_t + W_h h_{t-1} + b)",
                                   r"h_{t} = \tanh\left(W_{x} x_{t} + W_{h} h_{t-1} + b\right)"), " and ",
              math("y_t = W_y h_t + b_y", r"y_{t} = W_{y} h_{t} + b_{y}"),
              f", runs over {f.steps} steps; row t of x is the input x_t and row t of y the target of y_t.",)]
    lines += [given_matrix(n, getattr(f, n)) for n in ("x", "W_x", "W_h", "b", "h0", "W_y", "b_y", "y")]
    lines.append((f"Each step's loss is {LOSSES[f.loss].description}; the loss L sums them over the steps.",))
    return lines


def rejects(f: Rnn, values: Values, c: Constraints) -> list[str]:
    """A pre-activation beyond the saturation bound (tanh flat: nothing to learn), and a recurrent gradient too
    small to read."""
    failed = []
    if f.cell != "rnn":
        if c.saturation is not None:
            bound = float(c.saturation)
            # |z| > bound exactly when |tanh(z)| > tanh(bound), or |2σ(z) − 1| = |tanh(z/2)| > tanh(bound/2).
            spread = [float(np.abs(np.asarray(values[g])).max()) / np.tanh(bound) if g in ("g", "n") else
                      float(np.abs(2 * np.asarray(values[g]) - 1).max()) / np.tanh(bound / 2) for g in CELLS[f.cell]]
            if max(spread) > 1:
                failed.append(f"no saturated gate input, |z| ≤ {c.saturation} (saturation)")
        return failed
    if c.saturation is not None and any(float(np.abs(np.asarray(values[f"a{t}"])).max()) > float(c.saturation)
                                        for t in range(1, f.steps + 1)):
        failed.append(f"no saturated tanh input, |a_t| ≤ {c.saturation} (saturation)")
    if c.min_gradient is not None and float(np.abs(np.asarray(values["dL_dW_h"])).max()) < float(c.min_gradient):
        failed.append(f"gradients not vanishingly small, some |∂L/∂W_h| ≥ {c.min_gradient} (min_gradient)")
    return failed


def programs(f: Rnn) -> dict[str, Program]:
    """tanh, its derivative in the output, and the loss with its derivative (SymPy), compiled."""
    slope = TANH.derivative_in_output()
    assert slope is not None
    return {"tanh": compile_program(TANH.definition), "dtanh": compile_program(slope),
            "sigmoid": compile_program(SIGMOID.definition),
            "loss": compile_program(LOSSES[f.loss].term), "dloss": compile_program(LOSSES[f.loss].derivative)}


def _column_i(rows: Matrix | None, n: int) -> IMatrix:
    return tuple((Interval.point(0),) for _ in range(n)) if rows is None else \
        tuple((v,) for v in iv.entries(iv.const(rows)))


def recipes(f: Rnn, programs: Programs) -> Recipes:
    """Each step from the student's previous state; deltas from their states, outputs and later deltas;
    gradients from their deltas.  Mistakes: truncated BPTT, tanh' left out, h_t for h_{t-1}."""
    if f.cell != "rnn":
        return gated_recipes(f, programs)
    assert f.W_y is not None and f.y is not None
    T, n_h = f.steps, f.hidden
    Wx, Wh, Wy = iv.const(f.W_x), iv.const(f.W_h), iv.const(f.W_y)
    bias, out_bias, h0 = _column_i(f.b, n_h), _column_i(f.b_y, shape(f.W_y)[0]), _column_i(f.h0, n_h)
    X = [tuple((v,) for v in row) for row in iv.const(f.x)]
    Y = [tuple((v,) for v in row) for row in iv.const(f.y)]

    def apply(name: str, M: IMatrix, **env: Interval) -> IMatrix:
        key = "a" if name == "dtanh" else "x"
        return iv.emap(lambda v: evaluate(programs[name], {key: v, **env}, INTERVALS), M)

    def state(v: Earlier, t: int) -> IMatrix:
        return h0 if t == 0 else v[f"h{t}"]

    def prev(t: int) -> tuple[str, ...]:
        return (f"h{t - 1}",) if t > 1 else ()

    def errors(v: Earlier, t: int) -> IMatrix:
        return tuple((evaluate(programs["dloss"], {"a": o[0], "y": g[0]}, INTERVALS),)
                     for o, g in zip(v[f"y{t}"], Y[t - 1]))

    def delta(v: Earlier, t: int, recurrent: bool = True, slope: bool = True) -> IMatrix:
        back = iv.matmul(iv.transpose(Wy), errors(v, t))
        if t < T and recurrent:
            back = iv.add(back, iv.matmul(iv.transpose(Wh), v[f"delta{t + 1}"]))
        return iv.hadamard(back, apply("dtanh", v[f"h{t}"])) if slope else back

    def step_rules(r: Recipes, t: int) -> None:
        def pre_activation(v: Earlier) -> IMatrix:
            return iv.add(iv.add(iv.matmul(Wx, X[t - 1]), iv.matmul(Wh, state(v, t - 1))), bias)

        def step_loss_value(v: Earlier) -> IMatrix:
            return iv.scalar(iv.total(evaluate(programs["loss"], {"a": o[0], "y": g[0]}, INTERVALS)
                                      for o, g in zip(v[f"y{t}"], Y[t - 1])))

        r.rule(f"a{t}", prev(t), pre_activation)
        r.rule(f"h{t}", (f"a{t}",), lambda v: apply("tanh", v[f"a{t}"]))
        r.rule(f"y{t}", (f"h{t}",), lambda v: iv.add(iv.matmul(Wy, v[f"h{t}"]), out_bias))
        r.rule(f"L{t}", (f"y{t}",), step_loss_value)
        later = (f"delta{t + 1}",) if t < T else ()
        r.rule(f"delta{t}", (f"y{t}", f"h{t}", *later), lambda v: delta(v, t))
        if t < T:
            r.mistake(f"delta{t}", (f"y{t}", f"h{t}"), lambda v: delta(v, t, recurrent=False), TRUNCATED)
        r.mistake(f"delta{t}", (f"y{t}", *later), lambda v: delta(v, t, slope=False), NO_DERIVATIVE)

    r = Recipes()
    for t in range(1, T + 1):
        step_rules(r, t)
    r.rule("L", tuple(f"L{t}" for t in range(1, T + 1)),
           lambda v: iv.scalar(iv.total(v[f"L{t}"][0][0] for t in range(1, T + 1))))
    deltas = tuple(f"delta{t}" for t in range(1, T + 1))
    states = tuple(f"h{t}" for t in range(1, T + 1))

    def total(parts: list[IMatrix]) -> IMatrix:
        out = parts[0]
        for p in parts[1:]:
            out = iv.add(out, p)
        return out

    r.rule("dL_dW_x", deltas, lambda v: total([iv.matmul(v[f"delta{t}"], iv.transpose(X[t - 1]))
                                               for t in range(1, T + 1)]))
    r.rule("dL_db", deltas, lambda v: total([v[f"delta{t}"] for t in range(1, T + 1)]))
    r.rule("dL_dW_h", deltas + states[:-1], lambda v: total([iv.matmul(v[f"delta{t}"], iv.transpose(state(v, t - 1)))
                                                            for t in range(1, T + 1)]))
    r.mistake("dL_dW_h", deltas + states, lambda v: total([iv.matmul(v[f"delta{t}"], iv.transpose(v[f"h{t}"]))
                                                          for t in range(1, T + 1)]), CURRENT_STATE)
    outputs = tuple(f"y{t}" for t in range(1, T + 1))
    r.rule("dL_dW_y", outputs + states, lambda v: total([iv.matmul(errors(v, t), iv.transpose(v[f"h{t}"]))
                                                        for t in range(1, T + 1)]))
    r.rule("dL_db_y", outputs, lambda v: total([errors(v, t) for t in range(1, T + 1)]))
    if T >= 2:
        def product(v: Earlier) -> IMatrix:
            out = tuple(tuple(Interval.point(int(i == j)) for j in range(n_h)) for i in range(n_h))
            for t in range(2, T + 1):
                slopes = apply("dtanh", v[f"h{t}"])
                factor = tuple(tuple(s[0] * w for w in row) for s, row in zip(slopes, Wh))
                out = iv.matmul(factor, out)
            return out

        r.rule(f"dh{T}_dh1", states[1:], product)
    return r


# ---------------------------------------------------------------------------
# One step of a gated cell.

TANH_OF_CELL = "tanh of the cell state was left out: h = o ⊙ c instead of o ⊙ tanh(c)"
RESET_BEFORE = ("the reset gate was applied to h_0 before W_hn (the original GRU, W_hn (r ⊙ h_0)); this convention "
                "(PyTorch's) applies it after: r ⊙ (W_hn h_0)")
UPDATE_SWAPPED = ("the update gate's roles were swapped: z ⊙ n + (1 − z) ⊙ h_0 (another common convention) instead "
                  "of (1 − z) ⊙ n + z ⊙ h_0")


@dataclass(frozen=True, slots=True)
class Step:
    """The exact values of one gated step."""

    x: sp.ImmutableMatrix
    h0: sp.ImmutableMatrix
    c0: sp.ImmutableMatrix
    blocks: dict[str, tuple[sp.ImmutableMatrix, sp.ImmutableMatrix, sp.ImmutableMatrix]]
    """Each gate's W_x rows, W_h rows and bias."""


def gated_step(f: Rnn) -> Step:
    """The given data of a gated step as exact matrices, split into the gates' blocks."""
    gates, n = CELLS[f.cell], f.hidden
    Wx, Wh, bias = to_matrix(f.W_x), to_matrix(f.W_h), _column(f.b, len(CELLS[f.cell]) * n)
    blocks = {g: (sp.ImmutableMatrix(Wx[k * n:(k + 1) * n, :]), sp.ImmutableMatrix(Wh[k * n:(k + 1) * n, :]),
                  sp.ImmutableMatrix(bias[k * n:(k + 1) * n, :])) for k, g in enumerate(gates)}
    return Step(sp.ImmutableMatrix(to_matrix(f.x).T), _column(f.h0, n), _column(f.c0, n), blocks)


GATE_WORDS = {"i": "input gate", "f": "forget gate", "g": "candidate cell state", "o": "output gate",
              "r": "reset gate", "z": "update gate", "n": "candidate state"}


def solve_gated(spec: ExerciseSpec[Rnn]) -> Derivation:
    """One LSTM or GRU step: every gate, then the new state(s)."""
    f = spec.data
    st = gated_step(f)
    n = f.hidden
    cell = f.cell.upper()
    b = Builder(spec, f"{cell} cell: one step forward")
    x_s, h0_s = _name("x", st.x), _name("h_0", st.h0)
    b.say(f"W_x, W_h and b stack the gates' blocks in the order {', '.join(CELLS[f.cell])}, {n} row(s) each; "
          "σ is the sigmoid and ⊙ multiplies entry by entry.")
    values: dict[str, sp.ImmutableMatrix] = {}
    for gate in CELLS[f.cell]:
        act = TANH if gate in ("g", "n") else SIGMOID
        Wx, Wh, bias = st.blocks[gate]
        Wx_s, Wh_s, b_s = _name(f"W_{{x{gate}}}", Wx), _name(f"W_{{h{gate}}}", Wh), _name(f"b_{gate}", bias)
        if f.cell == "gru" and gate == "n":
            z = sp.ImmutableMatrix(Wx * st.x + values["r"].multiply_elementwise(Wh * st.h0) + bias)
            inner = _affine((Wx_s, x_s), nt.Hadamard(_name("r", values["r"]), sp.MatMul(Wh_s, h0_s)) if n > 1 else
                            sp.Mul(sp.Symbol("r"), sp.Mul(Wh_s, h0_s, evaluate=False), evaluate=False), b_s)
        else:
            z = sp.ImmutableMatrix(Wx * st.x + Wh * st.h0 + bias)
            inner = _affine((Wx_s, x_s), (Wh_s, h0_s), b_s)
        values[gate] = z.applyfunc(act.at)
        wrap = nt.Elementwise(act.display, inner) if isinstance(inner, sp.MatrixExpr) else nt.Applied(act.display,
                                                                                                      inner)
        shown = (nt.Elementwise(act.display, z) if n > 1 else nt.Applied(act.display, z[0, 0]))
        b.equation(_name(gate, z), wrap, [shown], _plain(values[gate]), quantity=gate, caption=GATE_WORDS[gate])
    def prod(p: str, q: sp.Basic) -> sp.Basic:
        return nt.Hadamard(_name(p, st.h0), q) if n > 1 else sp.Mul(sp.Symbol(p), q, evaluate=False)

    if f.cell == "lstm":
        c1 = sp.ImmutableMatrix(values["f"].multiply_elementwise(st.c0) + values["i"].multiply_elementwise(values["g"]))
        formula = (sp.MatAdd(prod("f", _name("c_0", st.c0)), prod("i", _name("g", st.c0))) if n > 1 else
                   sp.Add(prod("f", sp.Symbol("c_0")), prod("i", sp.Symbol("g")), evaluate=False))
        b.equation(_name("c_1", c1), formula, (), _plain(c1), quantity="c1", caption="new cell state")
        h1 = sp.ImmutableMatrix(values["o"].multiply_elementwise(c1.applyfunc(TANH.at)))
        tanh_c = nt.Elementwise("tanh", _name("c_1", c1)) if n > 1 else nt.Applied("tanh", sp.Symbol("c_1"))
        b.equation(_name("h_1", h1), prod("o", tanh_c), (), _plain(h1), quantity="h1", caption="new hidden state")
        b.remark("The forget gate f keeps part of the old cell state and the input gate i admits part of the "
                 "candidate g; the output gate o decides how much of ", math("tanh(c_1)", r"\tanh\left(c_{1}\right)"),
                 " leaves as ", math("h_1", "h_{1}"), ".")
    else:
        z = values["z"]
        h1 = sp.ImmutableMatrix((sp.ones(n, 1) - z).multiply_elementwise(values["n"]) + z.multiply_elementwise(st.h0))
        if n > 1:
            one = nt.matrix("1", n, 1)
            formula = sp.MatAdd(nt.Hadamard(sp.MatAdd(one, sp.MatMul(-1, _name("z", z))), _name("n", z)),
                                nt.Hadamard(_name("z", z), h0_s))
        else:
            formula = sp.Add(sp.Mul(sp.Add(1, -sp.Symbol("z"), evaluate=False), sp.Symbol("n"), evaluate=False),
                             sp.Mul(sp.Symbol("z"), sp.Symbol("h_0"), evaluate=False), evaluate=False)
        b.equation(_name("h_1", h1), formula, (), _plain(h1), quantity="h1", caption="new hidden state")
        b.remark("Conventions differ between sources: here (as in PyTorch) the reset gate multiplies ",
                 math("W_hn h_0", r"W_{hn} h_{0}"), " after the product, and ",
                 math("h_1 = (1 − z) ⊙ n + z ⊙ h_0", r"h_{1} = \left(1 - z\right) \odot n + z \odot h_{0}"),
                 "; the original GRU writes ", math("W_hn (r ⊙ h_0)", r"W_{hn} \left(r \odot h_{0}\right)"),
                 ", and some texts swap the roles of z and 1 − z.")
    names = [*CELLS[f.cell], *(["c1"] if f.cell == "lstm" else []), "h1"]
    return b.done(names)


def gated_recipes(f: Rnn, programs: Programs) -> Recipes:
    """The new states from a student's gates; tanh(c) left out (LSTM), the other GRU conventions."""
    st = gated_step(f)
    n = f.hidden

    def col(M: sp.ImmutableMatrix) -> IMatrix:
        return iv.const([[Fraction(int(v.p), int(v.q)) for v in M.row(i)] for i in range(M.rows)])

    def tanh(M: IMatrix) -> IMatrix:
        return iv.emap(lambda v: evaluate(programs["tanh"], {"x": v}, INTERVALS), M)

    x, h0, c0 = col(st.x), col(st.h0), col(st.c0)
    r = Recipes()
    if f.cell == "lstm":
        r.rule("c1", ("f", "i", "g"), lambda v: iv.add(iv.hadamard(v["f"], c0), iv.hadamard(v["i"], v["g"])))
        r.rule("h1", ("o", "c1"), lambda v: iv.hadamard(v["o"], tanh(v["c1"])))
        r.mistake("h1", ("o", "c1"), lambda v: iv.hadamard(v["o"], v["c1"]), TANH_OF_CELL)
        return r
    ones = tuple((Interval.point(1),) for _ in range(n))
    Wx_n, Wh_n, b_n = (col(M) for M in st.blocks["n"])

    def candidate(v: Earlier, before: bool = False) -> IMatrix:
        recurrent = iv.matmul(Wh_n, iv.hadamard(v["r"], h0)) if before else iv.hadamard(v["r"], iv.matmul(Wh_n, h0))
        return tanh(iv.add(iv.add(iv.matmul(Wx_n, x), recurrent), b_n))

    def update(v: Earlier, swapped: bool = False) -> IMatrix:
        z, keep = (iv.sub(ones, v["z"]), v["z"]) if swapped else (v["z"], iv.sub(ones, v["z"]))
        return iv.add(iv.hadamard(keep, v["n"]), iv.hadamard(z, h0))

    r.rule("n", ("r",), candidate)
    if n > 1:  # with one hidden unit W_hn (r h_0) = r (W_hn h_0)
        r.mistake("n", ("r",), lambda v: candidate(v, before=True), RESET_BEFORE)
    r.rule("h1", ("z", "n"), update)
    r.mistake("h1", ("z", "n"), lambda v: update(v, swapped=True), UPDATE_SWAPPED)
    return r


RNN: Kind[Rnn] = Kind(name="rnn", data=Rnn, solve=solve_rnn, reference=reference, statement=rnn_statement,
                      rejects=rejects,
                      programs=programs, recipes=recipes)
"""The declaration of kind ``rnn``."""

