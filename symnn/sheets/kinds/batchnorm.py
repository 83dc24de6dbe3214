"""Batch normalization of a mini-batch: training forward, backward and inference (kind ``batchnorm``).

Rows of X are the N samples of the mini-batch and columns the features; every statistic is
per feature.  The forward pass is defined once, in stages, as SymPy expressions
(:data:`MEAN`, :data:`VARIANCE`, :data:`NORMALIZED`, :data:`OUTPUT`); the backward pass
multiplies the upstream gradient through each stage's SymPy derivative (the chain rule
through x̂, σ² and μ), and the running statistics follow PyTorch's convention:
running ← (1 − momentum)·running + momentum·batch, with the batch variance unbiased (N − 1)
unless asked otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import numpy as np
import sympy as sp

from symnn.core import interval as iv
from symnn.core.interval import IMatrix, Interval
from symnn.errors import ShapeError
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, exact, small, to_matrix
from symnn.sheets.constraints import Constraints
from symnn.sheets.fields import Context, Matrix, choice, given, read_matrix, read_scalar, read_vector, shape
from symnn.sheets.kinds.base import Kind
from symnn.sheets.recipes import Earlier, Programs, Recipes
from symnn.sheets.reference.arrays import Values
from symnn.sheets.reference.batchnorm import evaluate_batchnorm
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.statement import Line
from symnn.sheets.steps import Derivation

# ---------------------------------------------------------------------------
# The forward pass of one feature, stage by stage, in symbols.

L = nt.Label
N = sp.Symbol("N", positive=True, integer=True)
x_i, x_k = sp.symbols("x_i x_k", real=True)
mu = sp.Symbol("mu", real=True)
var = L("sigma2", r"\sigma^{2}", nonnegative=True)
eps = sp.Symbol("epsilon", positive=True)
gamma, beta = sp.symbols("gamma beta", real=True)
xhat = L("xhat_i", r"\hat{x}_{i}", real=True)
k = sp.Symbol("k", integer=True, positive=True)
MEAN = sp.Sum(sp.Indexed("x", k), (k, 1, N)) / N
"""μ = (1/N) Σ x_k."""
VARIANCE = sp.Sum(sp.Add(sp.Indexed("x", k), -mu, evaluate=False) ** 2, (k, 1, N)) / N
"""σ² = (1/N) Σ (x_k − μ)², the population variance."""
NORMALIZED = sp.Add(x_i, -mu, evaluate=False) / sp.sqrt(sp.Add(var, eps, evaluate=False))
"""x̂_i = (x_i − μ)/√(σ² + ε)."""
OUTPUT = gamma * xhat + beta
"""y_i = γ x̂_i + β."""



@dataclass(frozen=True, slots=True)
class LocalDerivatives:
    """Each stage's local derivatives, by ``sympy.diff`` of the stages above."""

    dxhat_dx: sp.Expr
    dxhat_dvar: sp.Expr
    dxhat_dmu: sp.Expr
    dvar_dx: sp.Expr
    """σ²'s derivative through its own term (x_i − μ)²/N."""
    dvar_dmu: sp.Expr
    """σ²'s derivative with respect to μ, per term; summed over k it is −(2/N) Σ(x_k − μ) = 0."""
    dmu_dx: sp.Expr
    dy_dxhat: sp.Expr
    dy_dgamma: sp.Expr
    dy_dbeta: sp.Expr


@cache
def local_derivatives() -> LocalDerivatives:
    """The stages' local derivatives, derived on first use (not when the kinds are loaded: every
    ``symnn sheet`` run loads this module)."""
    return LocalDerivatives(
        dxhat_dx=sp.diff(NORMALIZED, x_i), dxhat_dvar=sp.diff(NORMALIZED, var), dxhat_dmu=sp.diff(NORMALIZED, mu),
        dvar_dx=sp.factor(sp.diff((x_i - mu) ** 2 / N, x_i)), dvar_dmu=sp.factor(sp.diff((x_k - mu) ** 2 / N, mu)),
        dmu_dx=sp.diff(x_i / N, x_i), dy_dxhat=sp.diff(OUTPUT, xhat), dy_dgamma=sp.diff(OUTPUT, gamma),
        dy_dbeta=sp.diff(OUTPUT, beta))


ESTIMATES = ("unbiased", "biased")
XHAT = L("Xhat", r"\hat{X}")
RUNNING = L("running ← (1 − momentum)·running + momentum·batch",
            r"\text{running} \leftarrow (1 - \text{momentum}) \cdot \text{running} + \text{momentum} \cdot \text{batch}")
"""The running-average rule, in words, for the prose."""
SHOWN_XHAT, SHOWN_VAR = L("X̂", r"\hat{X}"), L("σ²", r"\sigma^{2}", nonnegative=True)
"""X̂ and σ² named as they read, for captions (the JSON key writes a caption's symbols by name)."""
N_MINUS_1 = sp.Add(N, -1, evaluate=False)
"""N − 1 as written (SymPy would order it −1 + N)."""
"""The normalized batch x̂ as a matrix."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchNorm:
    """A mini-batch to normalize, the layer's γ, β and ε, and optionally an upstream gradient and running statistics."""

    X: Matrix = given(read_matrix)
    """The mini-batch: one sample per row, one feature per column (a flat list is one feature)."""
    gamma: tuple[Fraction, ...] | None = given(read_vector, default=None)
    """The scale γ, one per feature (default 1 each)."""
    beta: tuple[Fraction, ...] | None = given(read_vector, default=None)
    """The shift β, one per feature (default 0 each)."""
    epsilon: Fraction = given(read_scalar, default=Fraction(1, 100000))
    """ε, added to the variance under the square root (default 1e-5, PyTorch's)."""
    grad: Matrix | None = given(read_matrix, default=None)
    """The upstream gradient ∂L/∂Y, the shape of X (none: no backward pass)."""
    running_mean: tuple[Fraction, ...] | None = given(read_vector, default=None)
    """The running mean before this batch, one per feature (none: no running statistics)."""
    running_var: tuple[Fraction, ...] | None = given(read_vector, default=None)
    """The running variance before this batch, one per feature (with running_mean)."""
    momentum: Fraction = given(read_scalar, default=Fraction(1, 10))
    """The weight of the batch in the running statistics: running ← (1 − momentum)·running + momentum·batch."""
    running_var_estimate: str = given(choice(ESTIMATES, "estimate"), default="unbiased")
    """The batch variance the running variance averages: ``unbiased`` divides by N − 1 (PyTorch), ``biased`` by N."""
    X_test: Matrix | None = given(read_matrix, default=None)
    """Inputs at test time, normalized with the updated running statistics (needs them)."""

    def check(self, ctx: Context) -> None:
        """At least 2 samples; γ, β, running statistics one per feature; shapes; 0 < momentum ≤ 1; ε ≥ 0."""
        n, m = shape(self.X)
        if n < 2:
            raise ctx.error("X needs at least 2 samples (rows) to normalize over a batch")
        if n * m > 64:
            raise ctx.error(f"X has {n * m} entries; at most 64 are accepted")
        for name in ("gamma", "beta", "running_mean", "running_var"):
            value = getattr(self, name)
            if value is not None and len(value) != m:
                raise ctx.error(f"{name} has {len(value)} entries but X has {m} feature{'s' if m > 1 else ''} "
                                "(columns); give one per feature", ShapeError)
        if self.epsilon < 0:
            raise ctx.error(f"epsilon must not be negative, got {self.epsilon}")
        if self.epsilon == 0:
            for j in range(m):
                if len({row[j] for row in self.X}) == 1:
                    raise ctx.error(f"feature {j + 1} (column {j + 1} of X) is constant, so its variance is 0 and "
                                    "with epsilon = 0 it cannot be normalized; give epsilon > 0")
        for name in ("grad", "X_test"):
            value = getattr(self, name)
            if value is None:
                continue
            if name == "grad" and shape(value) != (n, m):
                raise ctx.error(f"grad is {shape(value)[0]}×{shape(value)[1]} but X is {n}×{m}; they must have the "
                                "same shape", ShapeError)
            if name == "X_test" and shape(value)[1] != m:
                raise ctx.error(f"X_test has {shape(value)[1]} columns but X has {m} features", ShapeError)
        if (self.running_mean is None) != (self.running_var is None):
            raise ctx.error("give running_mean and running_var together")
        if self.running_var is not None and any(v < 0 for v in self.running_var):
            raise ctx.error("running_var must not be negative")
        if self.X_test is not None and self.running_mean is None:
            raise ctx.error("X_test is normalized with the running statistics: give running_mean and running_var")
        if not 0 < self.momentum <= 1:
            raise ctx.error(f"momentum must lie in (0, 1], got {self.momentum}")

    @property
    def features(self) -> int:
        return shape(self.X)[1]

    def scale(self) -> tuple[Fraction, ...]:
        return self.gamma if self.gamma is not None else (Fraction(1),) * self.features

    def shift(self) -> tuple[Fraction, ...]:
        return self.beta if self.beta is not None else (Fraction(0),) * self.features


# ---------------------------------------------------------------------------
# The worked solution.


def _row(values: Sequence[sp.Basic]) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix([list(values)])


def _sub(name: str, j: int, m: int) -> sp.Symbol:
    """A per-feature symbol: μ, or μ_j when there are several features."""
    tex = {"mu": r"\mu", "var": r"\sigma^{2}", "dgamma": r"\frac{\partial L}{\partial \gamma}",
           "dbeta": r"\frac{\partial L}{\partial \beta}", "dvar": r"\frac{\partial L}{\partial \sigma^{2}}",
           "dmean": r"\frac{\partial L}{\partial \mu}"}[name]
    if m == 1:
        return L(f"bn_{name}", tex)
    if name in ("mu", "var"):
        return L(f"bn_{name}{j}", r"%s_{%d}" % (tex, j))
    return L(f"bn_{name}{j}", tex.replace(r"\gamma", r"\gamma_{%d}" % j).replace(r"\beta", r"\beta_{%d}" % j)
             .replace(r"\sigma^{2}", r"\sigma^{2}_{%d}" % j).replace(r"\mu", r"\mu_{%d}" % j))


def _written(n: int, m: int, entry: object) -> sp.ImmutableMatrix:
    with sp.evaluate(False):
        return sp.ImmutableMatrix(n, m, [entry(i, j) for i in range(n) for j in range(m)])  # type: ignore[operator]


def solve_batchnorm(spec: ExerciseSpec[BatchNorm]) -> Derivation:
    """Statistics, x̂ and Y; the gradients through every stage; the running statistics and test-time output."""
    f = spec.data
    X = to_matrix(f.X)
    n, m = X.shape
    g = [exact(v) for v in f.scale()]
    bt = [exact(v) for v in f.shift()]
    e = exact(f.epsilon)
    b = Builder(spec, "Batch normalization")
    cols = [list(X.col(j)) for j in range(m)]
    show = small(X) and n <= 8

    b.heading("Mini-batch statistics")
    b.say("The mini-batch holds ", sp.Eq(N, n, evaluate=False), f" samples (rows) of {m} "
          f"feature{'s' if m > 1 else ''} (columns). Training mode normalizes each feature with the batch's own "
          "mean and population variance (divided by ", N, ", not ", N_MINUS_1, "):")
    b.equation(mu, MEAN)
    b.equation(var, VARIANCE)
    means, variances = [], []
    for j in range(m):
        mean = sp.Add(*cols[j]) / n
        with sp.evaluate(False):
            mean_written = sp.Mul(sp.Add(*cols[j]), sp.Pow(n, -1))
            var_written = sp.Mul(sp.Add(*[sp.Pow(sp.Add(v, sp.Mul(-1, mean)), 2) for v in cols[j]]), sp.Pow(n, -1))
        variance = sp.Add(*[(v - mean) ** 2 for v in cols[j]]) / n
        b.equation(_sub("mu", j + 1, m), None, [mean_written] if show else [], mean)
        b.equation(_sub("var", j + 1, m), None, [var_written] if show else [], variance)
        means.append(mean)
        variances.append(variance)
    b.equation(nt.Label("bn_mean_row", r"\mu"), None, (), _row(means), quantity="mean", caption="feature means")
    b.equation(nt.Label("bn_var_row", r"\sigma^{2}"), None, (), _row(variances), quantity="var",
               caption="feature variances (population)")

    b.heading("Normalize, scale and shift")
    b.say("Each entry is centred and divided by the square root of its feature's variance plus ",
          sp.Eq(eps, e, evaluate=False), ", then scaled by ", gamma, " and shifted by ", beta, ":")
    b.equation(xhat, NORMALIZED)
    b.equation(L("y_i", "y_{i}"), OUTPUT)
    stds = [sp.sqrt(variances[j] + e) for j in range(m)]
    Xhat = sp.ImmutableMatrix(n, m, lambda i, j: sp.radsimp((X[i, j] - means[j]) / stds[j]))
    b.equation(XHAT, None,
               [_written(n, m, lambda i, j: sp.Mul(sp.Add(X[i, j], sp.Mul(-1, means[j])),
                                                   sp.Pow(sp.sqrt(sp.Add(variances[j], e)), -1)))] if show else [],
               Xhat, quantity="xhat", caption="normalized batch")
    gamma_row, beta_row = _row(g), _row(bt)
    b.say("with ", sp.Eq(gamma, gamma_row if m > 1 else g[0], evaluate=False), " and ",
          sp.Eq(beta, beta_row if m > 1 else bt[0], evaluate=False), ":")
    Y = sp.ImmutableMatrix(n, m, lambda i, j: sp.expand(g[j] * Xhat[i, j] + bt[j]))
    b.equation(L("Y_bn", "Y"), None,
               [_written(n, m, lambda i, j: sp.Add(sp.Mul(g[j], Xhat[i, j]), bt[j]))]
               if show and all(v.is_Rational for v in Xhat) else [], Y,
               quantity="Y", caption="batch-normalized output")
    summary = ["mean", "var", "xhat", "Y"]

    if f.grad is not None:
        summary += _backward(b, f, X, means, variances, stds, Xhat, g, show)
    if f.running_mean is not None and f.running_var is not None:
        summary += _running(b, f, n, m, means, variances, g, bt, e)
    b.remark("Named slips: dividing the variance by ", N_MINUS_1, " (that is the unbiased estimate, used only for the "
             "running variance), forgetting ", eps, " under the square root, and backpropagating only through ",
             xhat, " while leaving out the paths through ", mu, " and ", var, ", which every ", x_i, " also feeds.")
    return b.done(summary)


def _backward(b: Builder, f: BatchNorm, X: sp.ImmutableMatrix, means: list[sp.Basic], variances: list[sp.Basic],
              stds: list[sp.Basic], Xhat: sp.ImmutableMatrix, g: list[sp.Basic], show: bool) -> list[str]:
    n, m = X.shape
    G = to_matrix(f.grad)  # type: ignore[arg-type]
    b.heading("Backward pass")
    d = local_derivatives()
    b.say("With the upstream gradient ", sp.Eq(L("G_bn", "G"), nt.Partial(L("L_bn", "L"), L("Y_bn", "Y")),
                                                evaluate=False),
          " given, SymPy differentiates each stage of the forward pass. The output ",
          sp.Eq(L("y_i", "y_{i}"), sp.Add(sp.Mul(gamma, xhat), beta, evaluate=False), evaluate=False), " gives:")
    dL_dY = nt.Label("G_bn", "G")
    b.equation(nt.Partial(L("y_i", "y_{i}"), gamma), d.dy_dgamma)
    b.equation(nt.Partial(L("y_i", "y_{i}"), beta), d.dy_dbeta)
    b.equation(nt.Partial(L("y_i", "y_{i}"), xhat), d.dy_dxhat)
    dgamma = _row([sp.radsimp(sp.Add(*[G[i, j] * Xhat[i, j] for i in range(n)])) for j in range(m)])
    dbeta = _row([sp.Add(*[G[i, j] for i in range(n)]) for j in range(m)])
    b.equation(_sub("dgamma", 1, 1), None, (), dgamma, quantity="dgamma", caption=("gradient of ", gamma))
    b.equation(_sub("dbeta", 1, 1), None, (), dbeta, quantity="dbeta", caption=("gradient of ", beta))
    dxhat = sp.ImmutableMatrix(n, m, lambda i, j: G[i, j] * d.dy_dxhat.xreplace({gamma: g[j]}))
    b.equation(nt.Partial(nt.Label("L_bn", "L"), XHAT), sp.Mul(dL_dY, gamma, evaluate=False), (), dxhat,
               quantity="dxhat", caption=("gradient of ", SHOWN_XHAT))
    b.say("Every ", x_i, " reaches the loss three ways: through its own ", xhat, ", through ", var, " and through ",
          mu, ". The local derivatives, by SymPy:")
    b.equation(nt.Partial(xhat, x_i), d.dxhat_dx)
    b.equation(nt.Partial(xhat, var), d.dxhat_dvar)
    b.equation(nt.Partial(xhat, mu), d.dxhat_dmu)
    b.equation(nt.Partial(var, x_i), d.dvar_dx)
    b.equation(nt.Partial(mu, x_i), d.dmu_dx)
    b.say("and ", sp.Eq(nt.Partial(var, mu), sp.Sum(d.dvar_dmu, (x_k, x_k, x_k)).func(d.dvar_dmu, (k, 1, N)),
                        evaluate=False), ", which is 0 because the deviations from the mean add up to 0.")
    dvars, dmeans = [], []
    for j in range(m):
        local = {mu: means[j], var: variances[j], eps: exact(f.epsilon), N: n}
        dvar = sp.radsimp(sp.Add(*[dxhat[i, j] * d.dxhat_dvar.xreplace({**local, x_i: X[i, j]}) for i in range(n)]))
        dmean = sp.radsimp(sp.Add(*[dxhat[i, j] * d.dxhat_dmu.xreplace(local) for i in range(n)])
                           + dvar * sp.Add(*[d.dvar_dmu.xreplace({**local, x_k: X[i, j]}) for i in range(n)]))
        dvars.append(dvar)
        dmeans.append(dmean)
    b.equation(_sub("dvar", 1, 1), sp.Sum(sp.Mul(nt.Partial(nt.Label("L_bn", "L"), xhat),
                                                 nt.Partial(xhat, var), evaluate=False), (sp.Symbol("i"), 1, N)),
               (), _row(dvars), quantity="dvar", caption=("gradient of ", SHOWN_VAR))
    b.equation(_sub("dmean", 1, 1), sp.Sum(sp.Mul(nt.Partial(nt.Label("L_bn", "L"), xhat),
                                                  nt.Partial(xhat, mu), evaluate=False), (sp.Symbol("i"), 1, N)),
               (), _row(dmeans), quantity="dmean", caption=("gradient of ", mu))
    dX = sp.ImmutableMatrix(n, m, lambda i, j: sp.radsimp(
        dxhat[i, j] * d.dxhat_dx.xreplace({var: variances[j], eps: exact(f.epsilon)})
        + dvars[j] * d.dvar_dx.xreplace({x_i: X[i, j], mu: means[j], N: n})
        + dmeans[j] * d.dmu_dx.xreplace({N: n})))
    with sp.evaluate(False):
        chain = sp.Add(sp.Mul(nt.Partial(nt.Label("L_bn", "L"), xhat), nt.Partial(xhat, x_i)),
                       sp.Mul(nt.Partial(nt.Label("L_bn", "L"), var), nt.Partial(var, x_i)),
                       sp.Mul(nt.Partial(nt.Label("L_bn", "L"), mu), nt.Partial(mu, x_i)))
    b.say("By the chain rule, ", sp.Eq(nt.Partial(nt.Label("L_bn", "L"), x_i), chain, evaluate=False), ":")
    b.equation(nt.Partial(nt.Label("L_bn", "L"), nt.Label("X_bn", "X")), None, (), dX, quantity="dX",
               caption="gradient of the batch")
    b.say("The three paths sum to 0 over the batch in every feature (shifting all of a feature's inputs by the same "
          "amount changes nothing after normalization), a quick check on ",
          nt.Partial(L("L_bn", "L"), L("X_bn", "X")), ".")
    return ["dgamma", "dbeta", "dX"]


def _running(b: Builder, f: BatchNorm, n: int, m: int, means: list[sp.Basic], variances: list[sp.Basic],
             g: list[sp.Basic], bt: list[sp.Basic], e: sp.Basic) -> list[str]:
    assert f.running_mean is not None and f.running_var is not None
    mom = exact(f.momentum)
    b.heading("Running statistics and inference")
    unbiased = f.running_var_estimate == "unbiased"
    b.say("During training the layer also keeps running averages for test time: ", RUNNING, ", with ",
          sp.Eq(nt.text("momentum"), mom, evaluate=False), ". The running variance averages the batch variance ",
          *(("made unbiased, ", nt.Product(var, nt.Ratio(N, N_MINUS_1)), " (as PyTorch does).") if unbiased
            else ("as computed (divided by ", N, ").")))
    batch_var = [v * sp.Rational(n, n - 1) if unbiased else v for v in variances]
    new_mean = _row([(1 - mom) * exact(r) + mom * mean for r, mean in zip(f.running_mean, means)])
    new_var = _row([(1 - mom) * exact(r) + mom * v for r, v in zip(f.running_var, batch_var)])
    with sp.evaluate(False):
        mean_written = _row([sp.Add(sp.Mul(sp.Add(1, sp.Mul(-1, mom)), exact(r)), sp.Mul(mom, mean))
                             for r, mean in zip(f.running_mean, means)])
        var_written = _row([sp.Add(sp.Mul(sp.Add(1, sp.Mul(-1, mom)), exact(r)), sp.Mul(mom, v))
                            for r, v in zip(f.running_var, batch_var)])
    b.equation(L("running_mean", r"\mu_{\text{run}}"), None, [mean_written], new_mean, quantity="running_mean_new",
               caption="running mean after this batch")
    b.equation(L("running_var", r"\sigma^{2}_{\text{run}}"), None, [var_written], new_var,
               quantity="running_var_new", caption="running variance after this batch")
    names = ["running_mean_new", "running_var_new"]
    if f.X_test is not None:
        T = to_matrix(f.X_test)
        b.say("At test time the layer normalizes with the running statistics instead of the batch's own, so each "
              "test sample's output does not depend on the others:")
        Yt = sp.ImmutableMatrix(T.rows, m, lambda i, j: sp.radsimp(
            g[j] * (T[i, j] - new_mean[0, j]) / sp.sqrt(new_var[0, j] + e) + bt[j]))
        b.equation(L("Y_test", r"Y_{\text{test}}"), None, (), Yt, quantity="Y_test", caption="output at test time")
        names.append("Y_test")
    return names


def reference(data: BatchNorm) -> Values:
    """The numpy twin."""
    return evaluate_batchnorm(data.X, data.scale(), data.shift(), data.epsilon, data.grad, data.running_mean,
                              data.running_var, data.momentum, data.running_var_estimate == "unbiased", data.X_test)


def batchnorm_statement(data: BatchNorm) -> list[Line]:
    """The batch, γ, β and ε; the upstream gradient; the running statistics and test inputs when given."""
    m = data.features

    def row(values: Sequence[Fraction]) -> sp.Basic:
        return _row([exact(v) for v in values]) if m > 1 else exact(values[0])

    lines: list[Line] = [
        ("The mini-batch (one sample per row) is ", sp.Eq(L("X_bn", "X"), to_matrix(data.X), evaluate=False), "."),
        ("The layer has ", sp.Eq(gamma, row(data.scale()), evaluate=False), ", ",
         sp.Eq(beta, row(data.shift()), evaluate=False), " and ", sp.Eq(eps, exact(data.epsilon), evaluate=False),
         "."),
    ]
    if data.grad is not None:
        lines.append(("The upstream gradient is ", sp.Eq(nt.Partial(L("L_bn", "L"), L("Y_bn", "Y")),
                                                          to_matrix(data.grad), evaluate=False), "."))
    if data.running_mean is not None and data.running_var is not None:
        lines.append(("The running statistics before this batch are ",
                      sp.Eq(L("running_mean_old", r"\mu_{\text{run}}"), row(data.running_mean), evaluate=False),
                      " and ", sp.Eq(L("running_var_old", r"\sigma^{2}_{\text{run}}"), row(data.running_var),
                                     evaluate=False),
                      ", updated with ", sp.Eq(nt.text("momentum"), exact(data.momentum), evaluate=False), " (",
                      RUNNING, ", the batch variance ",
                      *(("unbiased, divided by ", N_MINUS_1) if data.running_var_estimate == "unbiased"
                        else ("biased, divided by ", N)), ")."))
    if data.X_test is not None:
        lines.append(("At test time the input is ", sp.Eq(L("X_test", r"X_{\text{test}}"), to_matrix(data.X_test),
                                                           evaluate=False), "."))
    return lines


def batchnorm_rejects(data: BatchNorm, values: Values, c: Constraints) -> list[str]:
    """A feature with (almost) no spread (``feature_range``), or a vanishing gradient of the batch (``min_gradient``)."""
    found = []
    if c.feature_range and np.any(np.asarray(values["var"]) < 1e-9):
        found.append("every feature varies: no zero variance in the batch (feature_range)")
    if c.min_gradient is not None and "dX" in values and np.max(np.abs(np.asarray(values["dX"]))) < float(
            c.min_gradient):
        found.append(f"gradients not vanishingly small, some |∂L/∂X| ≥ {c.min_gradient} (min_gradient)")
    return found


# ---------------------------------------------------------------------------
# symnn check.


def recipes(data: BatchNorm, programs: Programs) -> Recipes:
    """Each stage from a student's earlier values; N − 1 for N, ε forgotten, the μ and σ² paths left out."""
    n, m = shape(data.X)
    X = data.X
    g, bt, e = data.scale(), data.shift(), data.epsilon
    columns = [[row[j] for row in X] for j in range(m)]
    means = [sum(c, Fraction(0)) / n for c in columns]
    # Σ(x − μ)² = Σ(x − x̄)² + N(x̄ − μ)²: a student's rounded μ enters once, so the interval stays narrow.
    spread = [sum(((v - mu_) ** 2 for v in c), Fraction(0)) for c, mu_ in zip(columns, means)]
    G = data.grad

    def row(v: Earlier, name: str) -> tuple[Interval, ...]:
        return v[name][0]

    def variance(v: Earlier, divisor: int) -> IMatrix:
        mu_ = row(v, "mean")
        return (tuple((spread[j] + n * (means[j] - mu_[j]) ** 2) / divisor for j in range(m)),)

    def normalized(v: Earlier, epsilon: Fraction, var_row: Sequence[Interval] | None = None) -> IMatrix:
        mu_, s2 = row(v, "mean"), var_row if var_row is not None else row(v, "var")
        return tuple(tuple((X[i][j] - mu_[j]) / iv.sqrt(s2[j] + epsilon) for j in range(m)) for i in range(n))

    def scaled(xh: IMatrix) -> IMatrix:
        return tuple(tuple(xh[i][j] * g[j] + bt[j] for j in range(m)) for i in range(n))

    r = Recipes()
    r.rule("var", ("mean",), lambda v: variance(v, n))
    r.rule("xhat", ("mean", "var"), lambda v: normalized(v, e))
    r.rule("Y", ("xhat",), lambda v: scaled(v["xhat"]))
    sample = "the variance was divided by N − 1 (the unbiased estimate); batch normalization divides by N"
    r.mistake("var", ("mean",), lambda v: variance(v, n - 1), sample)
    r.mistake("xhat", ("mean",), lambda v: normalized(v, e, variance(v, n - 1)[0]), sample)
    r.mistake("Y", ("mean",), lambda v: scaled(normalized(v, e, variance(v, n - 1)[0])), sample)
    if e != 0:
        forgot = "ε was left out: the square root is of σ² + ε, not of σ² alone"
        r.mistake("xhat", ("mean", "var"), lambda v: normalized(v, Fraction(0)), forgot)
        r.mistake("Y", ("mean", "var"), lambda v: scaled(normalized(v, Fraction(0))), forgot)
    if G is not None:
        _backward_recipes(r, data, means, e)
    if data.running_mean is not None and data.running_var is not None:
        _running_recipes(r, data)
    return r


def _backward_recipes(r: Recipes, data: BatchNorm, means: list[Fraction], e: Fraction) -> None:
    n, m = shape(data.X)
    X, G = data.X, data.grad
    assert G is not None

    def std(v: Earlier, j: int) -> Interval:
        return iv.sqrt(v["var"][0][j] + e)

    def deviation(v: Earlier, i: int, j: int) -> Interval:
        return X[i][j] - v["mean"][0][j]

    def dvar(v: Earlier) -> IMatrix:
        dxh = v["dxhat"]
        return (tuple(iv.total(dxh[i][j] * deviation(v, i, j) for i in range(n)) * Fraction(-1, 2)
                      / (std(v, j) * std(v, j) * std(v, j)) for j in range(m)),)

    def dmean(v: Earlier) -> IMatrix:
        dxh = v["dxhat"]
        return (tuple(-iv.total(dxh[i][j] for i in range(n)) / std(v, j) for j in range(m)),)

    def dx(v: Earlier, through_var: bool = True, through_mean: bool = True) -> IMatrix:
        dxh = v["dxhat"]
        out = []
        for i in range(n):
            entries = []
            for j in range(m):
                value = dxh[i][j] / std(v, j)
                if through_var:
                    value = value + v["dvar"][0][j] * deviation(v, i, j) * Fraction(2, n)
                if through_mean:
                    value = value + v["dmean"][0][j] / n
                entries.append(value)
            out.append(tuple(entries))
        return tuple(out)

    r.rule("dgamma", ("xhat",), lambda v: (tuple(iv.total(v["xhat"][i][j] * G[i][j] for i in range(n))
                                                 for j in range(m)),))
    r.rule("dvar", ("dxhat", "mean", "var"), dvar)
    r.rule("dmean", ("dxhat", "var"), dmean)
    r.rule("dX", ("dxhat", "mean", "var", "dvar", "dmean"), dx)
    both = "the paths through μ and σ² were left out: every x_i also changes the batch's mean and variance"
    r.mistake("dX", ("dxhat", "var"), lambda v: dx(v, False, False), both)
    r.mistake("dX", ("dxhat", "mean", "var", "dmean"), lambda v: dx(v, through_var=False),
              "the path through σ² was left out of ∂L/∂x")
    r.mistake("dX", ("dxhat", "mean", "var", "dvar"), lambda v: dx(v, through_mean=False),
              "the path through μ was left out of ∂L/∂x")


def _running_recipes(r: Recipes, data: BatchNorm) -> None:
    n, m = shape(data.X)
    assert data.running_mean is not None and data.running_var is not None
    mom = data.momentum
    old_mean, old_var = data.running_mean, data.running_var
    unbiased = data.running_var_estimate == "unbiased"

    def average(old: Sequence[Fraction], batch: Sequence[Interval], weight: Fraction) -> IMatrix:
        return (tuple(batch[j] * weight + (1 - weight) * old[j] for j in range(m)),)

    def batch_var(v: Earlier, unbiased_: bool) -> tuple[Interval, ...]:
        return tuple(s * Fraction(n, n - 1) if unbiased_ else s for s in v["var"][0])

    r.rule("running_mean_new", ("mean",), lambda v: average(old_mean, v["mean"][0], mom))
    r.rule("running_var_new", ("var",), lambda v: average(old_var, batch_var(v, unbiased), mom))
    if mom != Fraction(1, 2):
        swapped = ("the momentum weighted the old running value instead of the batch (running ← momentum·running "
                   "+ (1 − momentum)·batch is the other convention)")
        r.mistake("running_mean_new", ("mean",), lambda v: average(old_mean, v["mean"][0], 1 - mom), swapped)
        r.mistake("running_var_new", ("var",), lambda v: average(old_var, batch_var(v, unbiased), 1 - mom), swapped)
    r.mistake("running_var_new", ("var",), lambda v: average(old_var, batch_var(v, not unbiased), mom),
              "the running variance averaged the " + ("biased batch variance (divided by N) where the unbiased one "
              "(N − 1) is asked" if unbiased else "unbiased batch variance (N − 1) where the biased one (N) is asked"))
    if data.X_test is not None:
        T, g, bt, e = data.X_test, data.scale(), data.shift(), data.epsilon

        def test_output(v: Earlier) -> IMatrix:
            mu_, s2 = v["running_mean_new"][0], v["running_var_new"][0]
            return tuple(tuple((T[i][j] - mu_[j]) / iv.sqrt(s2[j] + e) * g[j] + bt[j] for j in range(m))
                         for i in range(len(T)))

        r.rule("Y_test", ("running_mean_new", "running_var_new"), test_output)


BATCHNORM = Kind(
    name="batchnorm",
    data=BatchNorm,
    solve=solve_batchnorm,
    reference=reference,
    statement=batchnorm_statement,
    rejects=batchnorm_rejects,
    recipes=recipes,
)
"""The declaration of kind ``batchnorm``."""
