"""How each quantity follows from earlier ones, and the named mistakes worth testing for.

For every exercise kind a small table declares, per quantity, the earlier
quantities it is computed from and the function computing it (with the given data
closed over).  The checker uses it to recompute a student's later answers from
their own earlier answers: over intervals, so a rounded 18.33 carries its rounding
into the standardized values, and a wrong Z1 carries into A1.  Quantities missing
from a table depend on the given data only.

The alternatives are the same kind of recipe for a known mistake (a sample σ for a
population σ, the λ/2 convention, a base-10 logarithm, a missing activation
derivative ...), each with the one sentence that names it.  Arithmetic is exact on
rationals (see :mod:`symnn.verify.check.interval`); activations and losses are the
compiled definitions of :mod:`symnn.core.calculus`, never a second formula.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from symnn.core.formula import Formula
from symnn.library import engine
from symnn.library.engine import LayerRule, Objective, layer_rule
from symnn.sheets.build import exact
from symnn.verify.check import interval as iv
from symnn.verify.check.domain import BASE10 as BASE10_DOMAIN
from symnn.verify.check.domain import INTERVALS as D
from symnn.verify.check.interval import IMatrix, Interval, Program
from symnn.verify.check.key import ExerciseKey

Values = Mapping[str, IMatrix]
"""Earlier quantities by name (scalars as 1×1 matrices)."""
Compute = Callable[[Values], IMatrix]


@dataclass(frozen=True, slots=True)
class Rule:
    """How one quantity is computed from earlier ones."""

    needs: tuple[str, ...]
    """Names of the earlier quantities it reads."""
    compute: Compute
    """The computation, given those quantities (the given data are closed over)."""


@dataclass(frozen=True, slots=True)
class Alternative:
    """A named mistake: what the quantity would be had it been made."""

    needs: tuple[str, ...]
    """Names of the earlier quantities it reads."""
    compute: Compute
    """The mistaken computation."""
    diagnosis: str
    """One sentence naming the mistake."""


@dataclass(frozen=True, slots=True)
class Recipes:
    """The dependency table and the named mistakes of one exercise."""

    rules: dict[str, Rule] = field(default_factory=dict)
    """Quantity name → how it follows from earlier quantities."""
    alternatives: dict[str, list[Alternative]] = field(default_factory=dict)
    """Quantity name → mistakes to test a wrong claim against, in order."""

    def rule(self, name: str, needs: tuple[str, ...], compute: Compute) -> None:
        self.rules[name] = Rule(needs, compute)

    def mistake(self, name: str, needs: tuple[str, ...], compute: Compute, diagnosis: str) -> None:
        self.alternatives.setdefault(name, []).append(Alternative(needs, compute, diagnosis))


# ---------------------------------------------------------------------------
# Building blocks shared by the kinds: the network engine over intervals.


def layer_of(activation: str, formula: Formula | None, alpha: Fraction | None) -> LayerRule:
    """The engine's rule of a spec layer (built-in, softmax, or custom formula)."""
    return layer_rule(activation, formula, None if alpha is None else exact(alpha))


def loss_value(objective: Objective, Y: IMatrix, A: IMatrix, log_base: int | None = None) -> IMatrix:
    """The loss as a 1×1 interval matrix; ``log_base`` recomputes a base-10 slip."""
    return iv.scalar(engine.loss_value(BASE10_DOMAIN if log_base == 10 else D, objective, Y, A))


BASE10 = "a base-10 logarithm was used where the natural logarithm ln belongs"
NO_ACTIVATION = "the activation was not applied"
NO_DERIVATIVE = "the activation's derivative f'(Z) is missing from the delta"


# ---------------------------------------------------------------------------
# One function per kind.


def _layer_rules(r: Recipes, l: int | None, W: IMatrix, b: IMatrix | None,
                 rule: LayerRule, prev: str | None, A_given: IMatrix) -> None:
    """Z = W A_prev + b and A = f(Z) for the layer ``l`` (None: the one-layer kind)."""
    tag = "" if l is None else str(l)
    Z, A = f"Z{tag}", f"A{tag}"

    def a_prev(v: Values) -> IMatrix:
        return v[prev] if prev is not None else A_given

    needs = (prev,) if prev is not None else ()
    if prev is not None:
        r.rule(Z, needs, lambda v: engine.affine(D, W, a_prev(v), b))
    r.rule(A, (Z,), lambda v: engine.activate(D, rule, v[Z]))
    if b is not None:
        r.mistake(Z, needs, lambda v: engine.affine(D, W, a_prev(v), None), "the bias b was not added")
    if iv.shape(W)[0] == iv.shape(W)[1]:
        r.mistake(Z, needs, lambda v: engine.affine(D, iv.transpose(W), a_prev(v), b),
                  "the weights were used transposed (Wᵀ instead of W)")
    r.mistake(A, (Z,), lambda v: v[Z], NO_ACTIVATION)


def forward_recipes(key: ExerciseKey) -> Recipes:
    f = key.fields
    r = Recipes()
    b = iv.const(f["b"]) if f.get("b") is not None else None
    _layer_rules(r, None, iv.const(f["W"]), b, layer_of(f["activation"], f.get("formula"), f.get("alpha")),
                 None, iv.const(f["X"]))
    return r


@dataclass(frozen=True, slots=True)
class _Network:
    """The given data of a network exercise; its rules are the engine's primitives over intervals."""

    x: IMatrix
    """The input A_0."""
    Y: IMatrix
    """The targets."""
    Ws: list[IMatrix]
    """Each layer's weights."""
    bs: list[IMatrix | None]
    """Each layer's bias, or None."""
    rules: tuple[LayerRule, ...]
    """Each layer's activation."""
    objective: Objective
    """The loss and its reduction."""

    @property
    def n(self) -> int:
        return len(self.Ws)

    def a_prev(self, v: Values, l: int) -> IMatrix:
        return v[f"A{l - 1}"] if l > 1 else self.x

    def prev_needs(self, l: int) -> tuple[str, ...]:
        return (f"A{l - 1}",) if l > 1 else ()

    def output_delta(self, v: Values) -> IMatrix:
        n = self.n
        return engine.output_delta(D, self.objective, self.rules[-1], v[f"Z{n}"], v[f"A{n}"], self.Y)

    def hidden_delta(self, v: Values, l: int) -> IMatrix:
        return engine.hidden_delta(D, self.Ws[l], v[f"delta{l + 1}"], self.rules[l - 1], v[f"Z{l}"])[2]

    def slip_needs(self, l: int) -> tuple[str, ...]:
        """What layer l's delta needs when its activation derivative is forgotten."""
        return (f"A{self.n}",) if l == self.n else (f"delta{l + 1}",)

    def slipped_delta(self, v: Values, l: int) -> IMatrix:
        """Layer l's delta without its activation derivative."""
        if l == self.n:
            return engine.loss_slope(D, self.objective, v[f"A{self.n}"], self.Y)
        return engine.backpropagated(D, self.Ws[l], v[f"delta{l + 1}"])


def _backward_rules(r: Recipes, net: _Network, l: int, lr: Fraction | None) -> None:
    """Layer l's delta (hidden layers), gradients and update, with their mistakes."""
    d, grad_W, needs = f"delta{l}", f"dL_dW{l}", net.prev_needs(l)
    if l < net.n:
        r.rule(d, (f"delta{l + 1}", f"Z{l}"), lambda v: net.hidden_delta(v, l))
        r.mistake(d, (f"delta{l + 1}",), lambda v: net.slipped_delta(v, l), NO_DERIVATIVE)
    r.rule(grad_W, (d, *needs), lambda v: engine.weight_gradient(D, v[d], net.a_prev(v, l)))
    r.mistake(grad_W, (*net.slip_needs(l), *needs),
              lambda v: engine.weight_gradient(D, net.slipped_delta(v, l), net.a_prev(v, l)), NO_DERIVATIVE)
    bias = net.bs[l - 1]
    if bias is not None:
        r.rule(f"dL_db{l}", (d,), lambda v: engine.bias_gradient(D, v[d]))
        r.mistake(f"dL_db{l}", net.slip_needs(l), lambda v: engine.bias_gradient(D, net.slipped_delta(v, l)),
                  NO_DERIVATIVE)
    if lr is not None:
        _descent(r, f"W{l}_new", grad_W, net.Ws[l - 1], lr)
        if bias is not None:
            _descent(r, f"b{l}_new", f"dL_db{l}", bias, lr)


def network_recipes(key: ExerciseKey) -> Recipes:
    f = key.fields
    layers = f["layers"]
    net = _Network(iv.const(f["x"]), iv.const(f["y"]), [iv.const(layer.W) for layer in layers],
                   [iv.const(layer.b) if layer.b is not None else None for layer in layers],
                   tuple(layer_of(layer.activation, layer.formula, layer.alpha) for layer in layers),
                   Objective.of(f["loss"], f.get("reduction")))
    n, A_n = net.n, f"A{net.n}"
    r = Recipes()
    for l in range(1, n + 1):
        _layer_rules(r, l, net.Ws[l - 1], net.bs[l - 1], net.rules[l - 1], f"A{l - 1}" if l > 1 else None, net.x)
    r.rule("L", (A_n,), lambda v: loss_value(net.objective, net.Y, v[A_n]))
    r.mistake("L", (A_n,), lambda v: loss_value(net.objective, net.Y, v[A_n], log_base=10), BASE10)
    r.rule(f"delta{n}", (f"Z{n}", A_n), net.output_delta)
    r.mistake(f"delta{n}", (A_n,), lambda v: net.slipped_delta(v, n), NO_DERIVATIVE)
    for l in range(n, 0, -1):
        _backward_rules(r, net, l, f.get("learning_rate"))
    return r


def _descent(r: Recipes, name: str, grad: str, start: IMatrix, lr: Fraction) -> None:
    """A gradient-descent step and its sign mistake."""
    r.rule(name, (grad,), lambda v: engine.descent(D, start, v[grad], lr))
    r.mistake(name, (grad,), lambda v: engine.descent(D, start, v[grad], -lr),
              "the step went along the gradient (+η·gradient) instead of against it")


def preprocessing_recipes(key: ExerciseKey) -> Recipes:
    f = key.fields
    X = f["X"]
    n, m = len(X), len(X[0])
    ddof = int(f["ddof"])
    other = 1 if ddof == 0 else 0
    columns = [[row[j] for row in X] for j in range(m)]
    means = [sum(c, Fraction(0)) / n for c in columns]
    # Σ(x - μ)² = Σ(x - x̄)² + n(x̄ - μ)²: a student's rounded μ enters once, so the
    # interval stays as narrow as the rounding it stands for.
    spread = [sum(((v - mu) ** 2 for v in c), Fraction(0)) for c, mu in zip(columns, means)]

    def std(v: Values, divisor_ddof: int) -> IMatrix:
        mu = v["mean"][0]
        return (tuple(iv.sqrt((spread[j] + n * (means[j] - mu[j]) ** 2) / (n - divisor_ddof))
                      for j in range(m)),)

    def standardize(v: Values, sigma: IMatrix) -> IMatrix:
        mu = v["mean"][0]
        return tuple(tuple((row[j] - mu[j]) / sigma[0][j] for j in range(m)) for row in X)

    def min_max(v: Values) -> IMatrix:
        lo, hi = v["X_min"][0], v["X_max"][0]
        return tuple(tuple((row[j] - lo[j]) / (hi[j] - lo[j]) for j in range(m)) for row in X)

    which = {0: "the population one (dividing by n)", 1: "the sample one (dividing by n − 1)"}
    used = {0: "population", 1: "sample"}[other]
    slip = (f"the {used} standard deviation was used where {which.get(ddof, f'the one with ddof = {ddof}')} "
            "is asked")
    r = Recipes()
    r.rule("X_minmax", ("X_min", "X_max"), min_max)
    r.rule("std", ("mean",), lambda v: std(v, ddof))
    r.rule("X_std", ("mean", "std"), lambda v: standardize(v, v["std"]))
    r.mistake("std", ("mean",), lambda v: std(v, other), slip)
    r.mistake("X_std", ("mean",), lambda v: standardize(v, std(v, other)), slip)
    return r


def activations_recipes(key: ExerciseKey) -> Recipes:
    f = key.fields
    points = (tuple(Interval.point(v) for v in f["x"]),)
    r = Recipes()
    for name in f["functions"]:
        _activation_mistakes(r, name, layer_of(name, None, f["alpha"]), points)
    return r


def _activation_mistakes(r: Recipes, name: str, rule: LayerRule, points: IMatrix) -> None:
    r.mistake(f"{name}_prime", (), lambda v: engine.activate(D, rule, points),
              "this is the function itself, not its derivative")
    if name == "sigmoid":
        r.mistake(name, (), lambda v: engine.activate(D, rule, iv.scale(-1, points)),
                  "a sign slip in the exponent: 1/(1 + e^x) instead of 1/(1 + e^(−x))")


def gradient_check_recipes(key: ExerciseKey) -> Recipes:
    f = key.fields
    given = {"y": Interval.point(f["y"]), "x": Interval.point(f["x"])}
    loss, grad = key.programs["gc_loss"], key.programs["gc_grad"]
    eps = f["epsilon"]

    def at(program: Program, v: Values) -> IMatrix:
        return iv.scalar(iv.evaluate(program, {**given, "yhat": v["y_hat"][0][0]}))

    def numeric(v: Values, divisor: Fraction) -> IMatrix:
        return iv.scalar((v["L_plus"][0][0] - v["L_minus"][0][0]) / divisor)

    def relative(v: Values) -> IMatrix:
        a, g = v["dL_dW"][0][0], v["dL_dW_numeric"][0][0]
        bottom = abs(a) + abs(g)
        if bottom.lo == 0 == bottom.hi:
            return iv.scalar(iv.ZERO)
        return iv.scalar(abs(a - g) / bottom)

    r = Recipes()
    r.rule("L", ("y_hat",), lambda v: at(loss, v))
    r.mistake("L", ("y_hat",), lambda v: iv.scale(2, at(loss, v)), "the factor ½ of the loss was left out")
    r.rule("dL_dW", ("y_hat",), lambda v: at(grad, v))
    r.rule("dL_dW_numeric", ("L_plus", "L_minus"), lambda v: numeric(v, 2 * eps))
    r.mistake("dL_dW_numeric", ("L_plus", "L_minus"), lambda v: numeric(v, eps),
              "the central difference was divided by ε instead of 2ε")
    r.rule("rel_error", ("dL_dW", "dL_dW_numeric"), relative)
    return r


CONVENTIONS = {"l2": ("λΣW²", "2λW"), "l2_half": ("½λΣW²", "λW")}
"""Each penalty convention: the penalty and its gradient, as words for diagnoses."""


def regularization_recipes(key: ExerciseKey) -> Recipes:
    f = key.fields
    W, G = iv.const(f["W"]), iv.const(f["grad"])
    lam, lr = Interval.point(f["lambda"]), f["learning_rate"]
    name = f["penalty"]
    other = "l2_half" if name == "l2" else "l2"
    (pen, grad), (o_pen, o_grad) = CONVENTIONS[name], CONVENTIONS[other]

    def penalty(convention: str) -> IMatrix:
        program = key.programs[f"penalty:{convention}"]
        return iv.scalar(iv.total(iv.evaluate(program, {"lambda": lam, "w": w}) for w in iv.entries(W)))

    def gradient(convention: str) -> IMatrix:
        program = key.programs[f"dpenalty:{convention}"]
        return iv.emap(lambda w: iv.evaluate(program, {"lambda": lam, "w": w}), W)

    def update(D: IMatrix, sign: int = -1) -> IMatrix:
        return iv.add(W, iv.scale(sign * lr, iv.add(G, D)))

    convention = "the λ vs λ/2 convention in L2 regularization"
    r = Recipes()
    r.rule("W_new", ("dpenalty_dW",), lambda v: update(v["dpenalty_dW"]))
    r.mistake("penalty", (), lambda v: penalty(other), f"{convention}: this is {o_pen}, but the penalty here is {pen}")
    r.mistake("dpenalty_dW", (), lambda v: gradient(other),
              f"{convention}: {o_grad} is the gradient of {o_pen}, but the penalty here is {pen}, whose gradient "
              f"is {grad}")
    r.mistake("W_new", (), lambda v: update(gradient(other)),
              f"{convention}: this is the update with {o_grad}, the gradient of {o_pen}, but the penalty here is "
              f"{pen}, whose gradient is {grad}")
    r.mistake("W_new", ("dpenalty_dW",), lambda v: update(v["dpenalty_dW"], sign=1),
              "the step went along the gradient (+η·gradient) instead of against it")
    return r


def error_analysis_recipes(key: ExerciseKey) -> Recipes:
    f = key.fields
    y, y_hat = iv.const([[f["y"]]]), iv.const([[f["y_hat"]]])
    objective = Objective.of(f["loss"])
    r = Recipes()
    r.mistake("L", (), lambda v: loss_value(objective, y, y_hat, log_base=10), BASE10)
    layers = f["layers"]
    if layers:
        out = key.programs.get(f"dout:{layers[-1].activation}")
        if out is not None:
            slope = iv.evaluate(out, {"a": y_hat[0][0]})
            r.rule("dL_dz", ("dL_dyhat",), lambda v: iv.scale(slope, v["dL_dyhat"]))
            r.mistake("dL_dz", ("dL_dyhat",), lambda v: v["dL_dyhat"],
                      "the output activation's derivative is missing: this is ∂L/∂ŷ, not ∂L/∂z")
    for l in range(1, len(layers) + 1):
        _initialization_rules(r, l)
    return r


def _initialization_rules(r: Recipes, l: int) -> None:
    """Layer l's Glorot limit √(6/(n_in + n_out)) and He scale √(2/n_in) from its fans."""
    fi, fo = f"fan_in{l}", f"fan_out{l}"

    def fans(v: Values) -> IMatrix:
        return iv.add(v[fi], v[fo])

    r.rule(f"glorot_limit{l}", (fi, fo), lambda v: iv.emap(lambda s: iv.sqrt(6 / s), fans(v)))
    r.mistake(f"glorot_limit{l}", (fi, fo), lambda v: iv.emap(lambda s: 6 / s, fans(v)),
              "the square root of the Glorot limit is missing")
    r.rule(f"he_std{l}", (fi,), lambda v: iv.emap(lambda s: iv.sqrt(2 / s), v[fi]))
    r.mistake(f"he_std{l}", (fi,), lambda v: iv.emap(lambda s: 2 / s, v[fi]),
              "this is the He variance 2/n_in, not the standard deviation √(2/n_in)")


RECIPES: dict[str, Callable[[ExerciseKey], Recipes]] = {
    "forward": forward_recipes,
    "network": network_recipes,
    "preprocessing": preprocessing_recipes,
    "activations": activations_recipes,
    "gradient_check": gradient_check_recipes,
    "regularization": regularization_recipes,
    "error_analysis": error_analysis_recipes,
}
"""The recipes of each exercise kind."""


def recipes_for(key: ExerciseKey) -> Recipes:
    """The dependency table and named mistakes of one exercise.

    >>> from symnn.sheets.spec import load_sheet
    >>> from symnn.verify.check.key import build_key
    >>> r = recipes_for(build_key(load_sheet())["ex3"])
    >>> r.rules["X_std"].needs
    ('mean', 'std')
    """
    return RECIPES[key.kind](key)


__all__ = ["Alternative", "Recipes", "Rule", "recipes_for"]
