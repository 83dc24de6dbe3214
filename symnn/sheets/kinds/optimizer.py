"""k update steps of a gradient-based optimizer (kind ``optimizer``).

Every method is one list of update rules, written once as SymPy expressions in the
state of step t − 1, the gradient g_t and the hyperparameters (:data:`METHODS`):

* ``sgd``: θ_t = θ_{t−1} − η g_t
* ``momentum``, ``nesterov``: with ``convention = "velocity"`` v_t = μ v_{t−1} − η g_t and
  θ_t = θ_{t−1} + v_t (Nesterov takes g_t at the look-ahead point θ_{t−1} + μ v_{t−1});
  with ``convention = "accumulated"`` v_t = μ v_{t−1} + g_t and θ_t = θ_{t−1} − η v_t
  (Nesterov: θ_t = θ_{t−1} − η (g_t + μ v_t), the gradient taken at θ_{t−1})
* ``adagrad``: s_t = s_{t−1} + g_t², θ_t = θ_{t−1} − η g_t / (√s_t + ε)
* ``rmsprop``: s_t = ρ s_{t−1} + (1 − ρ) g_t², θ_t = θ_{t−1} − η g_t / (√s_t + ε)
* ``adam``: m_t, v_t, the bias-corrected m̂_t = m_t / (1 − β₁ᵗ), v̂_t = v_t / (1 − β₂ᵗ) and
  θ_t = θ_{t−1} − α m̂_t / (√v̂_t + ε); ``adamw`` subtracts α λ θ_{t−1} as well (decoupled
  weight decay), while any other method with a weight decay λ adds λ θ_{t−1} to the gradient (L2).

Every state starts at 0.  The gradient g_t is either given for every step, or the derivative
SymPy takes of a given objective f(θ) (one formula for every entry of θ, or one per entry;
the objective is their sum).  The solver applies the rules exactly while the values stay
short: rationals, then square roots such as √0.1.  When the exact forms grow past
:data:`EXACT_CHARACTERS`, the remaining steps run in certified ball arithmetic (python-flint
``arb`` through the one compiler, :func:`symnn.core.certified.certify`); their answer-key
values are the certified decimals as exact rationals, as for a network's training steps.
The same compiled rules, and variants of them (the other momentum convention, ε under the
root, the bias correction left out or counted from the wrong step, L2 for decoupled decay),
are what ``symnn check`` recomputes a student's answers with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import flint
import numpy as np
import sympy as sp

from symnn.core import interval as iv
from symnn.core.calculus import formula_to_sympy
from symnn.core.calculus import x as formula_variable
from symnn.core.certified import CertifiedMatrix, certify
from symnn.core.decimals import approximate, rational_text, terminating
from symnn.core.domains import BALLS, INTERVALS, Program, evaluate, function_of
from symnn.core.formula import Formula, parse_formula
from symnn.core.interval import IMatrix, Interval
from symnn.core.program import compile_program
from symnn.errors import MathDomainError, ParseError, ShapeError
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, exact, small
from symnn.sheets.constraints import Constraints
from symnn.sheets.fields import Context, Matrix, choice, describe, given, read_int, read_matrix, read_scalar, shape
from symnn.sheets.kinds.base import Kind
from symnn.sheets.kinds.network.training import CERTIFIED_DIGITS, as_rational
from symnn.sheets.recipes import Earlier, Programs, Recipes
from symnn.sheets.reference.arrays import Values
from symnn.sheets.reference.optimizer import evaluate_optimizer
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.statement import Line
from symnn.sheets.steps import Derivation, Inline, Quantity

# ---------------------------------------------------------------------------
# The symbols of the update rules: one definition each, printed as a sheet writes them.

L = nt.Label
theta_prev, theta_t = L("theta_prev", r"\theta_{t-1}"), L("theta_t", r"\theta_{t}")
g_t, grad_t = L("g_t", "g_{t}"), L("grad_t", r"\nabla f_{t}")
look_t = L("look_t", r"\tilde{\theta}_{t}")
v_prev, v_t = L("v_prev", "v_{t-1}"), L("v_t", "v_{t}")
m_prev, m_t = L("m_prev", "m_{t-1}"), L("m_t", "m_{t}")
s_prev, s_t = L("s_prev", "s_{t-1}"), L("s_t", "s_{t}")
m_hat_t, v_hat_t = L("m_hat_t", r"\hat{m}_{t}"), L("v_hat_t", r"\hat{v}_{t}")
eta, mu, rho = sp.symbols("eta mu rho", positive=True)
alpha = sp.Symbol("alpha", positive=True)
beta1, beta2 = L("beta_1", r"\beta_{1}", positive=True), L("beta_2", r"\beta_{2}", positive=True)
eps, lam = sp.Symbol("epsilon", positive=True), sp.Symbol("lambda", nonnegative=True)
t = sp.Symbol("t", positive=True, integer=True)

STEP_TEX = {"theta": r"\theta", "g": "g", "grad": r"\nabla f", "look": r"\tilde{\theta}", "v": "v", "m": "m",
            "s": "s", "m_hat": r"\hat{m}", "v_hat": r"\hat{v}"}
"""LaTeX of each quantity stem, which takes the step as a subscript."""
CURRENT = {"theta": theta_t, "g": g_t, "grad": grad_t, "look": look_t, "v": v_t, "m": m_t, "s": s_t,
           "m_hat": m_hat_t, "v_hat": v_hat_t}
"""The symbol of each quantity at step t."""
PREVIOUS = {"theta": theta_prev, "v": v_prev, "m": m_prev, "s": s_prev}
"""The symbol of each carried state at step t − 1."""
CAPTIONS = {"theta": "parameters", "g": "gradient", "grad": "gradient of the objective",
            "look": "look-ahead point", "v": "velocity", "m": "first moment", "s": "accumulated squared gradients",
            "m_hat": "bias-corrected first moment", "v_hat": "bias-corrected second moment"}


@dataclass(frozen=True, slots=True)
class Update:
    """One line of a method's update: ``stem_t = rule``."""

    stem: str
    """The quantity's stem (``"m"``, ``"theta"`` ...): its answer-key name is the stem and the step, ``m1``."""
    rule: sp.Expr
    """The new value, in earlier symbols of this step, the previous state and the hyperparameters."""


# The rules are built unevaluated, so a sheet prints them in the order written here; substituting
# numbers (xreplace) evaluates them.
with sp.evaluate(False):
    SGD = (Update("theta", theta_prev - eta * g_t),)
    ADAPTIVE = {
        "adagrad": (Update("s", s_prev + g_t**2), Update("theta", theta_prev - eta * g_t / (sp.sqrt(s_t) + eps))),
        "rmsprop": (Update("s", rho * s_prev + (1 - rho) * g_t**2),
                    Update("theta", theta_prev - eta * g_t / (sp.sqrt(s_t) + eps))),
    }
    ADAM = (Update("m", beta1 * m_prev + (1 - beta1) * g_t), Update("v", beta2 * v_prev + (1 - beta2) * g_t**2),
            Update("m_hat", m_t / (1 - beta1**t)), Update("v_hat", v_t / (1 - beta2**t)))
    ADAM_STEP = alpha * m_hat_t / (sp.sqrt(v_hat_t) + eps)
    ADAM_THETA = Update("theta", theta_prev - ADAM_STEP)
    ADAMW_THETA = Update("theta", sp.Add(theta_prev, -ADAM_STEP, -alpha * lam * theta_prev))
    MOMENTUM = {
        "velocity": (Update("v", mu * v_prev - eta * g_t), Update("theta", theta_prev + v_t)),
        "accumulated": (Update("v", mu * v_prev + g_t), Update("theta", theta_prev - eta * v_t)),
    }
    NESTEROV = {
        "velocity": MOMENTUM["velocity"],
        "accumulated": (Update("v", mu * v_prev + g_t), Update("theta", theta_prev - eta * (g_t + mu * v_t))),
    }
    LOOKAHEAD = theta_prev + mu * v_prev
    L2_GRADIENT = grad_t + lam * theta_prev
    L2_LOOKAHEAD = grad_t + lam * look_t


def method_updates(method: str, convention: str) -> tuple[Update, ...]:
    """The update rules of a method after the gradient g_t (see the module docstring)."""
    if method == "sgd":
        return SGD
    if method == "momentum":
        return MOMENTUM[convention]
    if method == "nesterov":
        return NESTEROV[convention]
    if method in ADAPTIVE:
        return ADAPTIVE[method]
    return (*ADAM, ADAM_THETA if method == "adam" else ADAMW_THETA)


METHODS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
CONVENTIONS = ("velocity", "accumulated")
HYPERPARAMETERS: dict[str, tuple[str, ...]] = {
    "sgd": (), "momentum": ("momentum",), "nesterov": ("momentum",), "adagrad": ("epsilon",),
    "rmsprop": ("rho", "epsilon"), "adam": ("beta1", "beta2", "epsilon"), "adamw": ("beta1", "beta2", "epsilon"),
}
"""The hyperparameters each method reads besides the learning rate and the weight decay."""
DEFAULTS = {"momentum": Fraction(9, 10), "rho": Fraction(9, 10), "beta1": Fraction(9, 10),
            "beta2": Fraction(999, 1000), "epsilon": Fraction(1, 10**8)}
MAX_STEPS = 1000
"""Most steps one exercise may ask for."""
EXACT_CHARACTERS = 240
"""Longest text one exact entry may take before the steps switch to certified ball arithmetic."""
TABLE_ROWS = 12
"""A table of later steps lists every step up to this many, else the first and last few."""

# ---------------------------------------------------------------------------
# Given data.


def read_objective(value: Any, name: str, ctx: Context) -> tuple[Formula, ...]:
    """One formula in theta (for every entry of θ), or a list of them (one per entry, row by row)."""
    texts = value if isinstance(value, list) else [value]
    if not texts or not all(isinstance(v, str) for v in texts):
        raise ctx.error(f"{name} must be a formula in theta, e.g. \"theta^2\", or a list of them, "
                        f"got {describe(value)}")
    formulas = []
    for text in texts:
        try:
            formulas.append(Formula("f", text, parse_formula(text, variable="theta")))
        except ParseError as exc:
            raise ctx.error(f"{name} formula {text!r}: {exc}", ParseError) from None
    return tuple(formulas)


def read_gradients(value: Any, name: str, ctx: Context) -> tuple[Matrix, ...]:
    """A list with one gradient per step, each written like θ (a number, a flat list or a list of rows)."""
    if not isinstance(value, list) or not value:
        raise ctx.error(f"{name} must be a list with one gradient per step, e.g. [10, 9.8]")
    if len(value) > MAX_STEPS:
        raise ctx.error(f"{name} has {len(value)} steps; at most {MAX_STEPS} are accepted")
    return tuple(read_matrix(v, f"{name}[{i}]", ctx) for i, v in enumerate(value, start=1))


def _hyper(default: Fraction | None = None) -> Any:
    return given(read_scalar, default=default)


@dataclass(frozen=True, slots=True, kw_only=True)
class Optimizer:
    """Starting parameters, where their gradients come from, a method and its hyperparameters."""

    method: str = given(choice(METHODS, "method"))
    """The optimizer."""
    theta: Matrix = given(read_matrix)
    """The starting parameters θ₀ (a number, a column or a matrix)."""
    f: tuple[Formula, ...] | None = given(read_objective, default=None)
    """The objective, a formula in theta applied to every entry, or one formula per entry (row by row); the
    objective is their sum and SymPy derives g_t from it. Give f or grads."""
    grads: tuple[Matrix, ...] | None = given(read_gradients, default=None)
    """The gradient of every step, each written like theta (for Nesterov's velocity convention: at the look-ahead
    point). Give f or grads."""
    steps: int | None = given(read_int, default=None)
    """How many steps (default: one per given gradient, else 1)."""
    learning_rate: Fraction = given(read_scalar)
    """The step size η (α in Adam and AdamW)."""
    convention: str = given(choice(CONVENTIONS, "convention"), default="velocity")
    """Momentum and Nesterov only: ``velocity`` is v ← μv − ηg, θ ← θ + v; ``accumulated`` is v ← μv + g,
    θ ← θ − ηv."""
    momentum: Fraction | None = _hyper()
    """μ of momentum and Nesterov (default 0.9)."""
    rho: Fraction | None = _hyper()
    """The decay ρ of RMSProp's average of squared gradients (default 0.9)."""
    beta1: Fraction | None = _hyper()
    """β₁ of Adam and AdamW (default 0.9)."""
    beta2: Fraction | None = _hyper()
    """β₂ of Adam and AdamW (default 0.999)."""
    epsilon: Fraction | None = _hyper()
    """ε of AdaGrad, RMSProp, Adam and AdamW, added outside the square root (default 1e-8)."""
    weight_decay: Fraction | None = _hyper()
    """λ: AdamW decouples it (θ ← θ − αλθ besides the Adam step, default 0.01); any other method adds λθ to the
    gradient (L2, default 0)."""
    show_steps: int = given(read_int, default=3)
    """How many steps are worked in full; later ones are listed in a table."""

    def check(self, ctx: Context) -> None:
        """f or grads (not both), shapes, sizes, the hyperparameters the method reads and their ranges."""
        rows, cols = shape(self.theta)
        if (self.f is None) == (self.grads is None):
            raise ctx.error("give either f (an objective to differentiate) or grads (one gradient per step), "
                            "not " + ("both" if self.f is not None else "neither"))
        if rows * cols > 64:
            raise ctx.error(f"theta has {rows * cols} entries; at most 64 are accepted")
        if self.f is not None and len(self.f) not in (1, rows * cols):
            raise ctx.error(f"f lists {len(self.f)} formulas but theta has {rows * cols} entries; give one formula "
                            "for every entry, or one per entry")
        if self.grads is not None:
            for i, grad in enumerate(self.grads, start=1):
                if shape(grad) != (rows, cols):
                    raise ctx.error(f"grads[{i}] is {shape(grad)[0]}×{shape(grad)[1]} but theta is {rows}×{cols}; "
                                    "each step's gradient has the shape of theta", ShapeError)
            if self.steps is not None and self.steps != len(self.grads):
                raise ctx.error(f"steps = {self.steps} but grads lists {len(self.grads)} gradients; give one per step")
        if self.steps is not None and not 1 <= self.steps <= MAX_STEPS:
            raise ctx.error(f"steps must be between 1 and {MAX_STEPS}, got {self.steps}")
        if not 0 <= self.show_steps <= 10:
            raise ctx.error(f"show_steps must be between 0 and 10, got {self.show_steps}")
        if self.learning_rate <= 0:
            raise ctx.error(f"learning_rate must be positive, got {self.learning_rate}")
        used = HYPERPARAMETERS[self.method]
        for name in ("momentum", "rho", "beta1", "beta2", "epsilon"):
            value = getattr(self, name)
            if value is not None and name not in used:
                raise ctx.error(f"{name} is not used by {self.method}; {self.method} reads "
                                + (", ".join(("learning_rate", *used, "weight_decay"))))
            if value is None:
                continue
            if name == "epsilon" and not 0 < value <= 1:
                raise ctx.error(f"epsilon must lie in (0, 1], got {value}")
            if name != "epsilon" and not 0 <= value < 1:
                raise ctx.error(f"{name} must lie in [0, 1), got {value}")
        if self.weight_decay is not None and self.weight_decay < 0:
            raise ctx.error(f"weight_decay must not be negative, got {self.weight_decay}")
        if self.convention != "velocity" and self.method not in ("momentum", "nesterov"):
            raise ctx.error(f"convention is for momentum and nesterov only, not {self.method}")

    def complete(self) -> Optimizer:
        """The step count and the method's hyperparameters filled in with their defaults."""
        filled: dict[str, Any] = {name: DEFAULTS[name] for name in HYPERPARAMETERS[self.method]
                                  if getattr(self, name) is None}
        if self.weight_decay is None:
            filled["weight_decay"] = Fraction(1, 100) if self.method == "adamw" else Fraction(0)
        if self.steps is None:
            filled["steps"] = len(self.grads) if self.grads is not None else 1
        return replace(self, **filled)

    @property
    def count(self) -> int:
        """The number of steps (after :meth:`complete`)."""
        return self.steps or 1

    def formula(self, index: int) -> Formula:
        """The objective's formula for entry ``index`` (row-major)."""
        assert self.f is not None
        return self.f[index] if len(self.f) > 1 else self.f[0]


# ---------------------------------------------------------------------------
# The rules of one exercise: its updates with the hyperparameters put in.


@dataclass(frozen=True)
class Setting:
    """What one exercise's steps need: the rules, the hyperparameters and where gradients come from."""

    data: Optimizer
    """The completed given data."""
    updates: tuple[Update, ...]
    """The method's rules after the gradient."""
    constants: dict[sp.Basic, sp.Basic]
    """Each hyperparameter symbol's exact value."""

    @property
    def shape(self) -> tuple[int, int]:
        return shape(self.data.theta)

    @property
    def lookahead(self) -> bool:
        """Whether the gradient is taken at θ_{t−1} + μ v_{t−1} (Nesterov, velocity convention)."""
        return self.data.method == "nesterov" and self.data.convention == "velocity"

    @property
    def l2(self) -> bool:
        """Whether λθ_{t−1} is added to the gradient."""
        return self.data.method != "adamw" and bool(self.data.weight_decay)

    @property
    def l2_gradient(self) -> sp.Expr:
        """g_t with L2 weight decay: λ times the point the gradient is taken at (the look-ahead point for Nesterov)."""
        return L2_LOOKAHEAD if self.lookahead else L2_GRADIENT

    @property
    def states(self) -> tuple[str, ...]:
        """The stems carried from step to step besides θ."""
        return tuple(u.stem for u in self.updates if u.stem in PREVIOUS and u.stem != "theta")

    def objective(self, index: int) -> sp.Expr:
        """f of entry ``index`` in the symbol θ_{t−1}... as SymPy builds it from the parsed formula."""
        return formula_to_sympy(self.data.formula(index).tree).xreplace({formula_variable: THETA})

    def derivative(self, index: int) -> sp.Expr:
        return sp.diff(self.objective(index), THETA)


THETA = sp.Symbol("theta", real=True)
"""The variable of the objective's formulas."""


def setting_of(data: Optimizer, updates: tuple[Update, ...] | None = None) -> Setting:
    constants: dict[sp.Basic, sp.Basic] = {eta: exact(data.learning_rate), alpha: exact(data.learning_rate),
                                           lam: exact(data.weight_decay or 0)}
    for name, symbol in (("momentum", mu), ("rho", rho), ("beta1", beta1), ("beta2", beta2), ("epsilon", eps)):
        value = getattr(data, name)
        if value is not None:
            constants[symbol] = exact(value)
    return Setting(data, updates or method_updates(data.method, data.convention), constants)


def _rule(setting: Setting, rule: sp.Expr, step: int) -> sp.Expr:
    """A rule with the hyperparameters and the step number put in (exactly: β₁ᵗ is a rational)."""
    return rule.xreplace({**setting.constants, t: sp.Integer(step)})


# ---------------------------------------------------------------------------
# Exact steps.

State = dict[str, list[sp.Basic]]
"""Stem → entries (row-major) of the current values."""


def _too_long(value: sp.Basic) -> bool:
    return len(str(value)) > EXACT_CHARACTERS


def _defined(value: sp.Basic, what: str, step: int) -> sp.Basic:
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or value.is_real is False:
        raise MathDomainError(f"step {step}: the {what} is undefined or not a real number at these values")
    return value


def _gradient_entries(setting: Setting, point: list[sp.Basic], step: int) -> list[sp.Basic]:
    data = setting.data
    if data.grads is not None:
        return [exact(v) for row in data.grads[step - 1] for v in row]
    return [_defined(setting.derivative(i).xreplace({THETA: p}), "gradient", step) for i, p in enumerate(point)]


def exact_step(setting: Setting, state: State, step: int) -> State:
    """Step ``step`` exactly: every quantity of the step by its stem (the gradient first)."""
    size = len(state["theta"])
    new: State = {}
    point = state["theta"]
    if setting.lookahead:
        look = _rule(setting, LOOKAHEAD, step)
        point = [look.xreplace({theta_prev: state["theta"][i], v_prev: state["v"][i]}) for i in range(size)]
        new["look"] = point
    raw = _gradient_entries(setting, point, step)
    if setting.l2:
        new["grad"] = raw
        rule = _rule(setting, setting.l2_gradient, step)
        new["g"] = [rule.xreplace({grad_t: raw[i], theta_prev: state["theta"][i], look_t: point[i]})
                    for i in range(size)]
    else:
        new["g"] = raw
    for update in setting.updates:
        rule = _rule(setting, update.rule, step)
        values = []
        for i in range(size):
            env = {theta_prev: state["theta"][i], **{PREVIOUS[s]: state[s][i] for s in setting.states},
                   **{CURRENT[k]: new[k][i] for k in new}}
            value = _defined(rule.xreplace(env), CAPTIONS[update.stem], step)
            if _too_long(value):
                raise TooLong(len(str(value)))
            values.append(value)
        new[update.stem] = values
    return new


class TooLong(Exception):
    """An exact value grew past :data:`EXACT_CHARACTERS`: the steps from here on are certified instead."""

    def __init__(self, characters: int) -> None:
        super().__init__(characters)
        self.characters = characters


def initial_state(setting: Setting) -> State:
    size = len(setting.data.theta) * len(setting.data.theta[0])
    state: State = {"theta": [exact(v) for row in setting.data.theta for v in row]}
    for stem in setting.states:
        state[stem] = [sp.Integer(0)] * size
    return state


# ---------------------------------------------------------------------------
# Certified steps: the same rules compiled once and run over arb balls.


@dataclass(frozen=True)
class Compiled:
    """A method's rules with the hyperparameters put in, compiled once; the step t stays a variable."""

    look: Program | None
    """The look-ahead point (Nesterov's velocity form), else None."""
    l2: Program | None
    """The gradient with L2 weight decay, else None."""
    updates: tuple[tuple[str, Program], ...]
    """Each update's stem and program, in order."""
    slopes: tuple[Program, ...]
    """The objective's derivative of every entry, in θ (none when the gradients are given)."""


def compile_rules(setting: Setting) -> Compiled:
    constants = setting.constants
    size = setting.shape[0] * setting.shape[1]
    return Compiled(
        compile_program(LOOKAHEAD.xreplace(constants)) if setting.lookahead else None,
        compile_program(setting.l2_gradient.xreplace(constants)) if setting.l2 else None,
        tuple((u.stem, compile_program(u.rule.xreplace(constants))) for u in setting.updates),
        tuple(compile_program(setting.derivative(i), (THETA,)) for i in range(size)) if setting.data.f is not None
        else ())


SYMBOL_STEMS = {**{str(symbol): stem for stem, symbol in CURRENT.items()}, str(t): "t"}
SYMBOL_PREVIOUS = {str(symbol): stem for stem, symbol in PREVIOUS.items()}


def ball_steps(setting: Setting, rules: Compiled, start: State, first: int, last: int) -> dict[str, Any]:
    """Steps ``first``…``last`` over balls at the current precision, from the exact state before ``first``.

    Returns ``theta{t}`` of every step as an ``arb_mat``.
    """
    rows, cols = setting.shape
    size = rows * cols

    def ball(value: sp.Basic) -> Any:
        return function_of(compile_program(value), BALLS)()

    state = {stem: [ball(v) for v in values] for stem, values in start.items()}
    data = setting.data
    slopes = [function_of(program, BALLS) for program in rules.slopes]
    look, l2 = rules.look, rules.l2
    out: dict[str, Any] = {}
    for step in range(first, last + 1):
        new: dict[str, list[Any]] = {"t": [flint.arb(step)] * size}
        if look is not None:
            new["look"] = [_run(look, i, state, new) for i in range(size)]
        point = new.get("look", state["theta"])
        if data.grads is not None:
            raw = [ball(exact(v)) for row in data.grads[step - 1] for v in row]
        else:
            raw = [slopes[i](point[i]) for i in range(size)]
        if l2 is not None:
            new["grad"] = raw
            new["g"] = [_run(l2, i, state, new) for i in range(size)]
        else:
            new["g"] = raw
        for stem, program in rules.updates:
            new[stem] = [_run(program, i, state, new) for i in range(size)]
        state.update({stem: new[stem] for stem in state})
        out[f"theta{step}"] = flint.arb_mat(rows, cols, state["theta"])
    return out


def _run(program: Program, i: int, state: Mapping[str, list[Any]], new: Mapping[str, list[Any]]) -> Any:
    env = {name: state[SYMBOL_PREVIOUS[name]][i] if name in SYMBOL_PREVIOUS else new[SYMBOL_STEMS[name]][i]
           for name in program.variables}
    return evaluate(program, env, BALLS)


# ---------------------------------------------------------------------------
# The whole trajectory: exact while short, then certified.


@dataclass(frozen=True)
class Trajectory:
    """Every exact step, then the certified parameters of the remaining ones."""

    exact: tuple[State, ...]
    """The quantities of steps 1…e, exactly."""
    certified: tuple[CertifiedMatrix, ...]
    """θ after steps e + 1…k, certified."""
    precision: int
    """The binary precision of the certified steps (0 when every step is exact)."""
    grew: int
    """Characters of the exact entry that stopped the exact steps (0 when none did)."""


def run_trajectory(setting: Setting) -> Trajectory:
    """The k steps: exact while every entry stays short, then in certified ball arithmetic."""
    k = setting.data.count
    states: list[State] = []
    state = initial_state(setting)
    grew = 0
    for step in range(1, k + 1):
        try:
            new = exact_step(setting, state, step)
        except TooLong as grown:
            grew = grown.characters
            break
        states.append(new)
        state = {stem: new[stem] for stem in state}
    if len(states) == k:
        return Trajectory(tuple(states), (), 0, 0)
    first = len(states) + 1

    rules = compile_rules(setting)

    def compute(precision: int) -> dict[str, Any]:
        return ball_steps(setting, rules, state, first, k)

    results, precision = certify(compute, CERTIFIED_DIGITS)
    rows, cols = setting.shape
    certified = tuple(
        CertifiedMatrix((rows, cols), CERTIFIED_DIGITS, None, results[f"theta{step}"], precision,
                        refine=_refiner(compute, f"theta{step}"))
        for step in range(first, k + 1))
    return Trajectory(tuple(states), certified, precision, grew)


def _refiner(compute: Callable[[int], dict[str, Any]], name: str) -> Callable[[int], Any]:
    def refined(precision: int) -> Any:
        with flint.ctx.workprec(precision):
            return compute(precision)[name]
    return refined


# ---------------------------------------------------------------------------
# The worked solution.

NAMES = {"sgd": "Stochastic gradient descent", "momentum": "Gradient descent with momentum",
         "nesterov": "Nesterov momentum", "adagrad": "AdaGrad", "rmsprop": "RMSProp", "adam": "Adam",
         "adamw": "AdamW"}


def step_symbol(stem: str, step: int | str) -> nt.Label:
    """The quantity ``stem`` at step ``step``, e.g. m̂ at step 2 written \\hat{m}_{2}."""
    return nt.Label(f"{stem}_{step}", "%s_{%s}" % (STEP_TEX[stem], step))


def _shaped(setting: Setting, entries: Sequence[sp.Basic]) -> sp.Basic:
    rows, cols = setting.shape
    return entries[0] if rows * cols == 1 else sp.ImmutableMatrix(rows, cols, list(entries))


def _short(value: sp.Basic) -> bool:
    return bool(value.is_Rational and len(str(value)) <= 24)


def solve_optimizer(spec: ExerciseSpec[Optimizer]) -> Derivation:
    """The update rules, the first steps in full, the rest in a table (exact, or certified when too long)."""
    data = spec.data
    setting = setting_of(data)
    b = Builder(spec, NAMES[data.method])
    k = data.count
    _show_rules(b, setting)
    try:
        path = run_trajectory(setting)
    except MathDomainError as exc:
        raise MathDomainError(f"{spec.where}: exercise {spec.id} (optimizer): {exc}") from None
    shown = min(data.show_steps, len(path.exact))
    previous = initial_state(setting)
    for step, state in enumerate(path.exact[:shown], start=1):
        b.heading(f"Step {step}")
        _show_step(b, setting, previous, state, step)
        previous = {stem: state[stem] for stem in previous}
    summary = [f"theta{step}" for step in range(1, shown + 1)]
    if len(path.exact) > shown:
        b.heading(f"Steps {shown + 1} to {len(path.exact)}" if shown + 1 < len(path.exact) else f"Step {shown + 1}")
        b.say("The same updates, step after step; every value is still exact (rounded here):")

        def rounded(step: int) -> sp.Basic:
            value = _shaped(setting, path.exact[step - 1]["theta"])
            return value if _all_short(value) else approximate(value, 6)

        _table(b, list(range(shown + 1, len(path.exact) + 1)), rounded)
        if k == len(path.exact):
            value = _shaped(setting, path.exact[-1]["theta"])
            b.quantities.append(Quantity(f"theta{k}", step_symbol("theta", k), value, f"parameters after {k} steps"))
            summary.append(f"theta{k}")
    if path.certified:
        first = len(path.exact) + 1
        b.heading(f"Steps {first} to {k} (certified)" if first < k else f"Step {k} (certified)")
        b.say(f"The exact values keep growing: an entry of step {first} would take {path.grew} characters to "
              f"write exactly. So steps {first} to {k} apply the same update rules in "
              f"ball arithmetic, starting from the exact values after step {first - 1}, at {path.precision} bits; "
              f"every decimal below is certified: all {CERTIFIED_DIGITS} significant digits are guaranteed.")
        _table(b, list(range(first, k + 1)),
               lambda step: _shaped(setting, list(as_rational(path.certified[step - first]))))
        final = as_rational(path.certified[-1])
        b.quantities.append(Quantity(f"theta{k}", step_symbol("theta", k), _shaped(setting, list(final)),
                                     f"parameters after {k} steps (certified {CERTIFIED_DIGITS}-digit decimals)"))
        summary.append(f"theta{k}")
    _remarks(b, setting)
    return b.done(summary)


def _all_short(value: sp.Basic) -> bool:
    entries = list(value) if isinstance(value, sp.MatrixBase) else [value]
    return all(_short(v) for v in entries)


def _table(b: Builder, steps: list[int], cell: Callable[[int], sp.Basic]) -> None:
    """θ after each step: every step up to :data:`TABLE_ROWS`, else the first and last few (only those computed)."""
    half = TABLE_ROWS // 2
    shown: list[int | None] = list(steps) if len(steps) <= TABLE_ROWS else [*steps[:half], None, *steps[-half:]]
    b.table(["step t", "parameters after step t"],
            [[sp.Integer(step), cell(step)] if step is not None else ["…", "…"] for step in shown])


def _rate(setting: Setting) -> sp.Symbol:
    return alpha if setting.data.method in ("adam", "adamw") else eta


def _givens(setting: Setting) -> list[sp.Basic]:
    """Each hyperparameter as ``symbol = value``."""
    data = setting.data
    givens = [sp.Eq(_rate(setting), exact(data.learning_rate), evaluate=False)]
    for name, symbol in (("momentum", mu), ("rho", rho), ("beta1", beta1), ("beta2", beta2), ("epsilon", eps)):
        value = getattr(data, name)
        if value is not None:
            givens.append(sp.Eq(symbol, exact(value), evaluate=False))
    if data.weight_decay:
        givens.append(sp.Eq(lam, exact(data.weight_decay), evaluate=False))
    return givens


def _show_rules(b: Builder, setting: Setting) -> None:
    data = setting.data
    b.heading("Update rules")
    parts: list[Inline] = [f"{NAMES[data.method]} with "]
    for i, given_value in enumerate(_givens(setting)):
        parts += [", " if i else "", given_value]
    b.say(*parts, ". Every state starts at 0.")
    if data.method in ("momentum", "nesterov"):
        b.say("Convention: " + ("the velocity v holds the step itself, v ← μv − ηg and θ ← θ + v."
                                if data.convention == "velocity" else
                                "the velocity v accumulates gradients, v ← μv + g, and θ ← θ − ηv."))
    if setting.lookahead:
        b.say("Nesterov's gradient is taken at the look-ahead point, where the momentum alone would carry θ:")
        b.equation(look_t, LOOKAHEAD)
    if setting.l2:
        b.say("The weight decay is L2 regularization: λθ is added to the gradient of the objective"
              + (", both taken at the look-ahead point." if setting.lookahead else "."))
        b.equation(g_t, setting.l2_gradient)
    for update in setting.updates:
        b.equation(CURRENT[update.stem], update.rule)
    if data.method == "adamw":
        b.say("AdamW decouples the weight decay: αλθ_{t−1} is subtracted directly, not added to the gradient, so "
              "it does not pass through the moments.")
    if data.f is not None:
        b.say("The gradient is SymPy's derivative of the objective" +
              (", entry by entry (the objective is the sum over the entries of θ):" if len(setting.data.theta) *
               len(setting.data.theta[0]) > 1 else ":"))
        seen: set[str] = set()
        for i in range(len(data.f)):
            if data.f[i].text in seen:
                continue
            seen.add(data.f[i].text)
            fi = sp.Function("f" if len(data.f) == 1 else f"f_{i + 1}")
            b.equation(fi(THETA), setting.objective(i))
            b.equation(sp.Derivative(fi(THETA), THETA), setting.derivative(i))
    else:
        b.say("The gradient of every step is given" + (" (at the look-ahead point)." if setting.lookahead else "."))


def _show_step(b: Builder, setting: Setting, previous: State, state: State, step: int) -> None:
    size = len(previous["theta"])
    data = setting.data
    order = [stem for stem in ("look", "grad", "g") if stem in state] + [u.stem for u in setting.updates]
    rules = {u.stem: u.rule for u in setting.updates}
    rules["look"] = LOOKAHEAD
    rules["g"] = setting.l2_gradient
    for stem in order:
        value = _shaped(setting, state[stem])
        written: list[sp.Basic] = []
        if stem == ("grad" if setting.l2 else "g"):
            if data.f is not None:
                point = state["look"] if "look" in state else previous["theta"]
                entries = [_unevaluated(setting.derivative(i), {THETA: point[i]}) for i in range(size)]
                if all(_short(p) for p in point):
                    written = [_shaped(setting, entries)]
        else:
            rule = rules[stem]
            inputs = [{theta_prev: previous["theta"][i], **{PREVIOUS[s]: previous[s][i] for s in setting.states},
                       **{CURRENT[k]: state[k][i] for k in state}} for i in range(size)]
            if all(_short(v) for env in inputs for symbol, v in env.items() if rule.has(symbol)) and (
                    size == 1 or small(sp.ImmutableMatrix(*setting.shape, [0] * size))):
                constants = {**setting.constants, t: sp.Integer(step)}
                written = [_shaped(setting, [_unevaluated(rule, {**constants, **_numerators(rule, env)})
                                             for env in inputs])]
        b.equation(step_symbol(stem, step), None, written, value, quantity=f"{stem}{step}",
                   caption=f"{CAPTIONS[stem]} after step {step}" if stem == "theta" else f"{CAPTIONS[stem]} at step "
                   f"{step}")


def _numerators(rule: sp.Basic, env: Mapping[sp.Basic, sp.Basic]) -> dict[sp.Basic, sp.Basic]:
    """``env`` with the lone numerator of a quotient rule (m_t in m̂_t = m_t/(1 − β₁ᵗ)) written as its decimal.

    A fraction's printer moves a rational factor's denominator under the bar (0.1/(1 − 0.999)
    would read 1/(10·(1 − 0.999))); a label keeps the number where the rule has it.
    """
    out = dict(env)
    if isinstance(rule, sp.Mul) and len(rule.args) == 2 and isinstance(rule.args[1], sp.Pow) \
            and rule.args[1].exp == -1 and rule.args[0] in env:
        value = env[rule.args[0]]
        if isinstance(value, sp.Rational) and terminating(value):
            text = rational_text(value)
            out[rule.args[0]] = nt.Label(f"number {text}", text)
    return out


def _unevaluated(expr: sp.Basic, mapping: Mapping[sp.Basic, sp.Basic]) -> sp.Basic:
    with sp.evaluate(False):
        return expr.xreplace(dict(mapping))


def _remarks(b: Builder, setting: Setting) -> None:
    method = setting.data.method
    if method in ("adam", "adamw"):
        b.remark("Bias correction: m and v start at 0, so early on they underestimate the gradient's moments; "
                 "dividing by 1 − β₁ᵗ and 1 − β₂ᵗ (t counted from 1 at the first step) removes that bias. ε is "
                 "added outside the square root, √v̂ + ε, as in the Adam paper and PyTorch.")
    if method in ("momentum", "nesterov"):
        other = "accumulated" if setting.data.convention == "velocity" else "velocity"
        b.remark(f"The other common convention ({other}: " +
                 ("v ← μv + g, θ ← θ − ηv" if other == "accumulated" else "v ← μv − ηg, θ ← θ + v") +
                 ") gives other velocities: " + ("−v/η" if other == "accumulated" else "−ηv") +
                 (". With a constant learning rate the parameters come out the same." if setting.data.method ==
                  "momentum" else ". For Nesterov momentum the two forms also give different parameters."))
    if method in ("adagrad", "rmsprop"):
        b.remark("ε is added outside the square root, √s + ε (PyTorch); some texts put it inside, √(s + ε).")


def reference(data: Optimizer) -> Values:
    """The numpy twin."""
    return evaluate_optimizer(data.method, data.theta, data.learning_rate, data.count, data.f, data.grads,
                              data.convention, data.momentum, data.rho, data.beta1, data.beta2, data.epsilon,
                              data.weight_decay or Fraction(0))


def optimizer_statement(data: Optimizer) -> list[Line]:
    """The method, θ₀, the objective or the gradients, the hyperparameters and the number of steps."""
    setting = setting_of(data)
    theta0 = step_symbol("theta", 0)
    lines: list[Line] = [(f"{NAMES[data.method]} for {data.count} step{'s' if data.count > 1 else ''}, from ",
                          sp.Eq(theta0, _shaped(setting, initial_state(setting)["theta"]), evaluate=False), ".")]
    if data.method in ("momentum", "nesterov"):
        lines.append((f"Momentum convention: {data.convention} ("
                      + ("v ← μv − ηg, θ ← θ + v" if data.convention == "velocity" else "v ← μv + g, θ ← θ − ηv")
                      + ").",))
    if data.f is not None:
        size = len(data.theta) * len(data.theta[0])
        if len(data.f) == 1:
            lines.append(("The objective is ", sp.Eq(sp.Function("f")(THETA), setting.objective(0), evaluate=False),
                          " (summed over the entries of θ)." if size > 1 else "."))
        else:
            for i in range(size):
                lines.append((f"The objective's term for entry {i + 1} of θ is ",
                              sp.Eq(sp.Function(f"f_{i + 1}")(THETA), setting.objective(i), evaluate=False), "."))
    else:
        assert data.grads is not None
        for step, grad in enumerate(data.grads, start=1):
            lines.append((f"The gradient at step {step} is ",
                          sp.Eq(step_symbol("g", step), _shaped(setting, [exact(v) for row in grad for v in row]),
                                evaluate=False), "."))
    parts: list[Inline] = ["Hyperparameters: "]
    for i, given_value in enumerate(_givens(setting)):
        parts += [", " if i else "", given_value]
    lines.append((*parts, "."))
    return lines


def optimizer_rejects(data: Optimizer, values: Values, c: Constraints) -> list[str]:
    """A vanishing first gradient (``min_gradient``), or steps that run away from the start."""
    found = []
    if c.min_gradient is not None and np.max(np.abs(np.asarray(values["g1"]))) < float(c.min_gradient):
        found.append(f"gradients not vanishingly small, some |g₁| ≥ {c.min_gradient} (min_gradient)")
    bound = 100 * (1 + max(abs(float(v)) for row in data.theta for v in row))
    thetas = [np.asarray(values[f"theta{step}"]) for step in range(1, data.count + 1)]
    if any(not np.all(np.isfinite(p)) or np.max(np.abs(p)) > bound for p in thetas):
        found.append("steps that stay bounded: no |θ_t| above 100 (1 + max|θ₀|) (optimizer)")
    return found


# ---------------------------------------------------------------------------
# symnn check: the step recomputed from a student's own earlier values, and the named mistakes.


@dataclass(frozen=True, slots=True)
class Slip:
    """A named mistake: the whole step recomputed with other rules."""

    name: str
    """A short key for its compiled programs."""
    updates: tuple[Update, ...]
    """The rules the mistake uses in place of the method's."""
    l2: bool
    """Whether λθ_{t−1} is added to the gradient."""
    diagnosis: str
    """The sentence naming it."""
    first_step: int = 1
    """The first step at which the mistake can be made."""


def _replaced(updates: tuple[Update, ...], changes: Mapping[str, sp.Expr]) -> tuple[Update, ...]:
    return tuple(Update(u.stem, changes.get(u.stem, u.rule)) for u in updates)


def slips(setting: Setting) -> list[Slip]:
    """The mistakes worth naming for this exercise's method (see the module docstring)."""
    data, updates = setting.data, setting.updates
    found: list[Slip] = []
    if data.method in ("adam", "adamw"):
        with sp.evaluate(False):
            found.append(Slip("no_bias", _replaced(updates, {"m_hat": m_t, "v_hat": v_t}), setting.l2,
                              "the bias correction was left out: m and v were used where m̂ = m/(1 − β₁ᵗ) and "
                              "v̂ = v/(1 − β₂ᵗ) belong"))
            for shift, words in ((1, "t + 1"), (-1, "t − 1")):
                found.append(Slip(f"bias_shift{shift}", _replaced(updates, {
                    "m_hat": m_t / (1 - beta1 ** (t + shift)), "v_hat": v_t / (1 - beta2 ** (t + shift))}),
                    setting.l2, f"the step counter of the bias correction is off by one: 1 − βᵗ was computed with "
                    f"{words} in place of t (t counts from 1 at the first step)", 1 if shift > 0 else 2))
            inside = ADAM_STEP.xreplace({sp.sqrt(v_hat_t) + eps: sp.sqrt(v_hat_t + eps)})
            theta_inside = (sp.Add(theta_prev, -inside, -alpha * lam * theta_prev) if data.method == "adamw"
                            else theta_prev - inside)
        found.append(Slip("eps_inside", _replaced(updates, {"theta": theta_inside}), setting.l2,
                          "ε was put inside the square root, √(v̂ + ε), where it belongs outside, √v̂ + ε"))
        if data.method == "adamw":
            found.append(Slip("l2", (*ADAM, ADAM_THETA), True,
                              "the weight decay was added to the gradient (L2 regularization, Adam) instead of "
                              "being decoupled (AdamW subtracts αλθ from the parameters directly)"))
        elif setting.l2:
            found.append(Slip("decoupled", (*ADAM, ADAMW_THETA), False,
                              "the weight decay was decoupled (AdamW) instead of added to the gradient as L2 "
                              "regularization, as Adam with weight decay does"))
    if data.method in ADAPTIVE:
        with sp.evaluate(False):
            rate = eta * g_t / (sp.sqrt(s_t + eps))
        found.append(Slip("eps_inside", _replaced(updates, {"theta": theta_prev - rate}), setting.l2,
                          "ε was put inside the square root, √(s + ε), where it belongs outside, √s + ε"))
    if data.method in ("momentum", "nesterov"):
        other = "accumulated" if data.convention == "velocity" else "velocity"
        rules = (MOMENTUM if data.method == "momentum" else NESTEROV)[other]
        forms = {"velocity": "v ← μv − ηg, θ ← θ + v", "accumulated": "v ← μv + g, θ ← θ − ηv"}
        found.append(Slip("convention", rules, setting.l2,
                          f"the other momentum convention was used ({forms[other]}) where this exercise states "
                          f"{forms[data.convention]}"))
    return found


def _step_programs(setting: Setting, key: str, updates: tuple[Update, ...], l2: bool, step: int
                   ) -> dict[str, Program]:
    out = {f"{key}:{u.stem}:{step}": compile_program(_rule(setting, u.rule, step)) for u in updates}
    if l2:
        out[f"{key}:g:{step}"] = compile_program(_rule(setting, setting.l2_gradient, step))
    return out


def compiled(data: Optimizer) -> dict[str, Program]:
    """Each shown step's rules (and every named mistake's), the look-ahead point and the objective's slopes."""
    setting = setting_of(data)
    programs: dict[str, Program] = {}
    shown = min(data.show_steps, data.count)
    for step in range(1, shown + 1):
        programs.update(_step_programs(setting, "right", setting.updates, setting.l2, step))
        programs[f"look:{step}"] = compile_program(_rule(setting, LOOKAHEAD, step))
        for slip in slips(setting):
            if step >= slip.first_step:
                programs.update(_step_programs(setting, slip.name, slip.updates, slip.l2, step))
    if data.f is not None:
        size = len(data.theta) * len(data.theta[0])
        programs.update({f"slope:{i}": compile_program(setting.derivative(i), (THETA,)) for i in range(size)})
    return programs


def recipes(data: Optimizer, programs: Programs) -> Recipes:
    """Every shown quantity from the student's earlier ones; each named mistake recomputes the step."""
    setting = setting_of(data)
    rows, cols = setting.shape
    size = rows * cols
    start = {"theta": [Interval.point(v) for row in data.theta for v in row],
             **{stem: [iv.ZERO] * size for stem in setting.states}}
    shown = min(data.show_steps, data.count)
    r = Recipes()

    def matrix(entries: Sequence[Interval]) -> IMatrix:
        return tuple(tuple(entries[i * cols:(i + 1) * cols]) for i in range(rows))

    def earlier(v: Earlier, stem: str, step: int) -> list[Interval]:
        if step == 0:
            return start[stem]
        return iv.entries(v[f"{stem}{step}"])

    def run(program: Program, v: Earlier, step: int, extra: Mapping[str, list[Interval]]) -> IMatrix:
        values = []
        for i in range(size):
            env = {}
            for name in program.variables:
                if name in SYMBOL_PREVIOUS:
                    env[name] = earlier(v, SYMBOL_PREVIOUS[name], step - 1)[i]
                else:
                    stem = SYMBOL_STEMS[name]
                    env[name] = extra[stem][i] if stem in extra else iv.entries(v[f"{stem}{step}"])[i]
            values.append(evaluate(program, env, INTERVALS))
        return matrix(values)

    def needs(program: Program, step: int, skip: Sequence[str] = ()) -> tuple[str, ...]:
        found = []
        for name in program.variables:
            if name in SYMBOL_PREVIOUS and step > 1:
                found.append(f"{SYMBOL_PREVIOUS[name]}{step - 1}")
            elif name in SYMBOL_STEMS and SYMBOL_STEMS[name] not in skip:
                found.append(f"{SYMBOL_STEMS[name]}{step}")
        return tuple(dict.fromkeys(found))

    def applying(program: Program, step: int) -> Callable[[Earlier], IMatrix]:
        return lambda v: run(program, v, step, {})

    def slopes_at(step: int) -> Callable[[Earlier], IMatrix]:
        return lambda v: _slopes(programs, v, step, setting, earlier, matrix)

    for step in range(1, shown + 1):
        if setting.lookahead:
            look = programs[f"look:{step}"]
            r.rule(f"look{step}", needs(look, step), applying(look, step))
        if data.f is not None:
            at = f"look{step}" if setting.lookahead else f"theta{step - 1}"
            raw = "grad" if setting.l2 else "g"
            r.rule(f"{raw}{step}", (at,) if step > 1 or setting.lookahead else (),
                   slopes_at(step))
        stems = ["g"] if setting.l2 else []
        stems += [u.stem for u in setting.updates]
        for stem in stems:
            program = programs[f"right:{stem}:{step}"]
            r.rule(f"{stem}{step}", needs(program, step), applying(program, step))
        for slip in slips(setting):
            if step < slip.first_step:
                continue
            _slip_mistakes(r, slip, programs, setting, step, run, needs)
    return r


def _slopes(programs: Programs, v: Earlier, step: int, setting: Setting,
            earlier: Callable[[Earlier, str, int], list[Interval]],
            matrix: Callable[[Sequence[Interval]], IMatrix]) -> IMatrix:
    point = iv.entries(v[f"look{step}"]) if setting.lookahead else earlier(v, "theta", step - 1)
    return matrix([evaluate(programs[f"slope:{i}"], {"theta": p}, INTERVALS) for i, p in enumerate(point)])


def _slip_mistakes(r: Recipes, slip: Slip, programs: Programs, setting: Setting, step: int,
                   run: Callable[..., IMatrix], needs: Callable[..., tuple[str, ...]]) -> None:
    """The slip's step recomputed from the previous step's values and this step's gradient, stem by stem."""
    right = {u.stem: u.rule for u in setting.updates}
    changed = {u.stem for u in slip.updates if right.get(u.stem) != u.rule}
    gradient = "grad" if setting.l2 else "g"
    chain = (["g"] if slip.l2 else []) + [u.stem for u in slip.updates]
    if slip.l2 != setting.l2:
        changed.add("g")
    inputs: tuple[str, ...] = (f"{gradient}{step}",)
    affected: set[str] = set()
    for stem in chain:
        program = programs[f"{slip.name}:{stem}:{step}"]
        uses = {SYMBOL_STEMS.get(name) for name in program.variables}
        if stem in changed or uses & affected:
            affected.add(stem)
        inputs += tuple(n for n in needs(program, step, skip=(*chain, "g", "grad")) if n not in inputs)
    if not affected:
        return
    for stem in chain:
        if stem not in affected or stem == "g":
            continue

        def compute(v: Earlier, upto: str = stem) -> IMatrix:
            extra: dict[str, list[Interval]] = {}
            if slip.l2:
                grad = iv.entries(v[f"{gradient}{step}"])
                extra["grad"] = grad
            else:
                extra["g"] = iv.entries(v[f"{gradient}{step}"])
            for name in chain:
                result = run(programs[f"{slip.name}:{name}:{step}"], v, step, extra)
                extra[name] = iv.entries(result)
                if name == upto:
                    return result
            raise KeyError(upto)

        r.mistake(f"{stem}{step}", inputs, compute, slip.diagnosis)


OPTIMIZER = Kind(
    name="optimizer",
    data=Optimizer,
    solve=solve_optimizer,
    reference=reference,
    statement=optimizer_statement,
    rejects=optimizer_rejects,
    programs=compiled,
    recipes=recipes,
)
"""The declaration of kind ``optimizer``."""
