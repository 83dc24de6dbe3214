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
rationals (see :mod:`symnn.core.interval`); activations and losses are the
compiled definitions of :mod:`symnn.core.calculus`, never a second formula.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from symnn.core import interval as iv
from symnn.core.domains import INTERVALS, Program, evaluate
from symnn.core.interval import IMatrix, Interval
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
# Building blocks shared by the kinds.


@dataclass(frozen=True, slots=True)
class Activation:
    """A compiled activation with its slope parameter."""

    f: Program
    """The definition in x (and alpha)."""
    df: Program
    """Its SymPy derivative in x."""
    alpha: Fraction | None
    """The slope of leaky ReLU / ELU, else None."""

    def env(self, z: Interval) -> dict[str, Interval]:
        env = {"x": z}
        if self.alpha is not None:
            env["alpha"] = Interval.point(self.alpha)
        return env

    def apply(self, m: IMatrix) -> IMatrix:
        return iv.emap(lambda z: evaluate(self.f, self.env(z), INTERVALS), m)

    def slope(self, m: IMatrix) -> IMatrix:
        return iv.emap(lambda z: evaluate(self.df, self.env(z), INTERVALS), m)


def activation(key: ExerciseKey, name: str, alpha: Fraction | None) -> Activation:
    return Activation(key.programs[f"f:{name}"], key.programs[f"df:{name}"], alpha)


def entries_of(m: IMatrix) -> list[Interval]:
    return iv.entries(m)


def affine(W: IMatrix, A: IMatrix, b: IMatrix | None) -> IMatrix:
    Z = iv.matmul(W, A)
    return iv.add(Z, b) if b is not None else Z


@dataclass(frozen=True, slots=True)
class Loss:
    """A compiled loss: one entry's term, its derivative in a, and the reduction."""

    term: Program
    """The loss of one entry in y and a."""
    dterm: Program
    """d term / d a."""
    mean: bool
    """Whether entries are averaged (else summed)."""

    def value(self, Y: IMatrix, A: IMatrix, log_base: int | None = None) -> IMatrix:
        terms = [evaluate(self.term, {"y": y, "a": a}, INTERVALS, log_base) for y, a in zip(entries_of(Y), entries_of(A))]
        total = iv.total(terms)
        return iv.scalar(total / len(terms) if self.mean else total)

    def gradient(self, Y: IMatrix, A: IMatrix) -> IMatrix:
        """∂L/∂A entry by entry (the output delta without the activation's derivative)."""
        n = len(entries_of(Y)) if self.mean else 1
        return tuple(tuple(evaluate(self.dterm, {"y": y, "a": a}, INTERVALS) / n for y, a in zip(ry, ra))
                     for ry, ra in zip(Y, A))


def loss_of(key: ExerciseKey, name: str) -> Loss:
    return Loss(key.programs[f"loss:{name}"], key.programs[f"dloss:{name}"], key.mean_loss)


BASE10 = "a base-10 logarithm was used where the natural logarithm ln belongs"
NO_ACTIVATION = "the activation was not applied"
NO_DERIVATIVE = "the activation's derivative f'(Z) is missing from the delta"


# ---------------------------------------------------------------------------
# One function per kind.


def _layer_rules(r: Recipes, l: int | None, W: IMatrix, b: IMatrix | None,
                 act: Activation, prev: str | None, A_given: IMatrix) -> None:
    """Z = W A_prev + b and A = f(Z) for the layer ``l`` (None: the one-layer kind)."""
    tag = "" if l is None else str(l)
    Z, A = f"Z{tag}", f"A{tag}"

    def a_prev(v: Values) -> IMatrix:
        return v[prev] if prev is not None else A_given

    needs = (prev,) if prev is not None else ()
    if prev is not None:
        r.rule(Z, needs, lambda v: affine(W, a_prev(v), b))
    r.rule(A, (Z,), lambda v: act.apply(v[Z]))
    if b is not None:
        r.mistake(Z, needs, lambda v: affine(W, a_prev(v), None), "the bias b was not added")
    if iv.shape(W)[0] == iv.shape(W)[1]:
        r.mistake(Z, needs, lambda v: affine(iv.transpose(W), a_prev(v), b),
                  "the weights were used transposed (Wᵀ instead of W)")
    r.mistake(A, (Z,), lambda v: v[Z], NO_ACTIVATION)


def forward_recipes(key: ExerciseKey) -> Recipes:
    f = key.fields
    r = Recipes()
    b = iv.const(f["b"]) if f.get("b") is not None else None
    _layer_rules(r, None, iv.const(f["W"]), b, activation(key, f["activation"], f.get("alpha")),
                 None, iv.const(f["X"]))
    return r


@dataclass(frozen=True, slots=True)
class _Network:
    """The given data of a network exercise, and its forward and backward rules."""

    x: IMatrix
    """The input A_0."""
    Y: IMatrix
    """The targets."""
    Ws: list[IMatrix]
    """Each layer's weights."""
    bs: list[IMatrix | None]
    """Each layer's bias, or None."""
    acts: list[Activation]
    """Each layer's activation."""
    loss: Loss
    """The loss."""
    delta_rule: Program
    """The output delta ∂L/∂Z of one entry, in x (= z), a and y."""

    @property
    def n(self) -> int:
        return len(self.Ws)

    def a_prev(self, v: Values, l: int) -> IMatrix:
        return v[f"A{l - 1}"] if l > 1 else self.x

    def prev_needs(self, l: int) -> tuple[str, ...]:
        return (f"A{l - 1}",) if l > 1 else ()

    def output_delta(self, v: Values) -> IMatrix:
        n, alpha = self.n, self.acts[-1].alpha
        scale = len(entries_of(self.Y)) if self.loss.mean else 1
        rows = []
        for rz, ra, ry in zip(v[f"Z{n}"], v[f"A{n}"], self.Y):
            row = []
            for z, a, y in zip(rz, ra, ry):
                env = {"x": z, "a": a, "y": y}
                if alpha is not None:
                    env["alpha"] = Interval.point(alpha)
                row.append(evaluate(self.delta_rule, env, INTERVALS) / scale)
            rows.append(tuple(row))
        return tuple(rows)

    def hidden_delta(self, v: Values, l: int, with_slope: bool = True) -> IMatrix:
        back = iv.matmul(iv.transpose(self.Ws[l]), v[f"delta{l + 1}"])
        return iv.hadamard(back, self.acts[l - 1].slope(v[f"Z{l}"])) if with_slope else back

    def slip_needs(self, l: int) -> tuple[str, ...]:
        """What layer l's delta needs when its activation derivative is forgotten."""
        return (f"A{self.n}",) if l == self.n else (f"delta{l + 1}",)

    def slipped_delta(self, v: Values, l: int) -> IMatrix:
        """Layer l's delta without its activation derivative."""
        if l == self.n:
            return self.loss.gradient(self.Y, v[f"A{self.n}"])
        return self.hidden_delta(v, l, with_slope=False)


def _backward_rules(r: Recipes, net: _Network, l: int, lr: Fraction | None) -> None:
    """Layer l's delta (hidden layers), gradients and update, with their mistakes."""
    d, grad_W, needs = f"delta{l}", f"dL_dW{l}", net.prev_needs(l)
    if l < net.n:
        r.rule(d, (f"delta{l + 1}", f"Z{l}"), lambda v: net.hidden_delta(v, l))
        r.mistake(d, (f"delta{l + 1}",), lambda v: net.slipped_delta(v, l), NO_DERIVATIVE)
    r.rule(grad_W, (d, *needs), lambda v: iv.matmul(v[d], iv.transpose(net.a_prev(v, l))))
    r.mistake(grad_W, (*net.slip_needs(l), *needs),
              lambda v: iv.matmul(net.slipped_delta(v, l), iv.transpose(net.a_prev(v, l))), NO_DERIVATIVE)
    bias = net.bs[l - 1]
    if bias is not None:
        r.rule(f"dL_db{l}", (d,), lambda v: iv.row_sums(v[d]))
        r.mistake(f"dL_db{l}", net.slip_needs(l), lambda v: iv.row_sums(net.slipped_delta(v, l)), NO_DERIVATIVE)
    if lr is not None:
        _descent(r, f"W{l}_new", grad_W, net.Ws[l - 1], lr)
        if bias is not None:
            _descent(r, f"b{l}_new", f"dL_db{l}", bias, lr)


def network_recipes(key: ExerciseKey) -> Recipes:
    f = key.fields
    layers = f["layers"]
    net = _Network(iv.const(f["x"]), iv.const(f["y"]), [iv.const(layer.W) for layer in layers],
                   [iv.const(layer.b) if layer.b is not None else None for layer in layers],
                   [activation(key, layer.activation, layer.alpha) for layer in layers], loss_of(key, f["loss"]),
                   key.programs[f"delta:{f['loss']}:{layers[-1].activation}"])
    n, A_n = net.n, f"A{net.n}"
    r = Recipes()
    for l in range(1, n + 1):
        _layer_rules(r, l, net.Ws[l - 1], net.bs[l - 1], net.acts[l - 1], f"A{l - 1}" if l > 1 else None, net.x)
    r.rule("L", (A_n,), lambda v: net.loss.value(net.Y, v[A_n]))
    r.mistake("L", (A_n,), lambda v: net.loss.value(net.Y, v[A_n], log_base=10), BASE10)
    r.rule(f"delta{n}", (f"Z{n}", A_n), net.output_delta)
    r.mistake(f"delta{n}", (A_n,), lambda v: net.slipped_delta(v, n), NO_DERIVATIVE)
    for l in range(n, 0, -1):
        _backward_rules(r, net, l, f.get("learning_rate"))
    return r


def _descent(r: Recipes, name: str, grad: str, start: IMatrix, lr: Fraction) -> None:
    """A gradient-descent step and its sign mistake."""
    r.rule(name, (grad,), lambda v: iv.sub(start, iv.scale(lr, v[grad])))
    r.mistake(name, (grad,), lambda v: iv.add(start, iv.scale(lr, v[grad])),
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
        _activation_mistakes(r, name, activation(key, name, f["alpha"]), points)
    return r


def _activation_mistakes(r: Recipes, name: str, act: Activation, points: IMatrix) -> None:
    r.mistake(f"{name}_prime", (), lambda v: act.apply(points), "this is the function itself, not its derivative")
    if name == "sigmoid":
        r.mistake(name, (), lambda v: act.apply(iv.scale(-1, points)),
                  "a sign slip in the exponent: 1/(1 + e^x) instead of 1/(1 + e^(−x))")


def gradient_check_recipes(key: ExerciseKey) -> Recipes:
    f = key.fields
    given = {"y": Interval.point(f["y"]), "x": Interval.point(f["x"])}
    loss, grad = key.programs["gc_loss"], key.programs["gc_grad"]
    eps = f["epsilon"]

    def at(program: Program, v: Values) -> IMatrix:
        return iv.scalar(evaluate(program, {**given, "yhat": v["y_hat"][0][0]}, INTERVALS))

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
        return iv.scalar(iv.total(evaluate(program, {"lambda": lam, "w": w}, INTERVALS) for w in entries_of(W)))

    def gradient(convention: str) -> IMatrix:
        program = key.programs[f"dpenalty:{convention}"]
        return iv.emap(lambda w: evaluate(program, {"lambda": lam, "w": w}, INTERVALS), W)

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
    loss = loss_of(key, f["loss"])
    r = Recipes()
    r.mistake("L", (), lambda v: loss.value(y, y_hat, log_base=10), BASE10)
    layers = f["layers"]
    if layers:
        out = key.programs.get(f"dout:{layers[-1].activation}")
        if out is not None:
            slope = evaluate(out, {"a": y_hat[0][0]}, INTERVALS)
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
