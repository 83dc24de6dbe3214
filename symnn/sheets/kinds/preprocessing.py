"""Min-max scaling and standardization of a data matrix (kind ``preprocessing``).

Rows are samples and columns are features; every statistic is per feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from symnn.core import interval as iv
from symnn.core.interval import IMatrix
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, small, to_matrix
from symnn.sheets.fields import Context, Matrix, given, read_int, read_matrix, shape
from symnn.sheets.kinds.base import Kind
from symnn.sheets.recipes import Earlier, Programs, Recipes
from symnn.sheets.reference.arrays import Values
from symnn.sheets.reference.preprocessing import evaluate_preprocessing
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.steps import Derivation


@dataclass(frozen=True, slots=True, kw_only=True)
class Preprocessing:
    """A data matrix to scale, feature by feature."""

    X: Matrix = given(read_matrix)
    """The data: one sample per row, one feature per column."""
    ddof: int = given(read_int, default=0)
    """Delta degrees of freedom of the standard deviation: 0 divides by n (population), 1 by n − 1 (sample)."""

    def check(self, ctx: Context) -> None:
        """At least two samples, a valid ddof, and no constant feature."""
        rows, columns = shape(self.X)
        if rows < 2:
            raise ctx.error("X needs at least 2 samples (rows) to scale")
        if not 0 <= self.ddof < rows:
            raise ctx.error(f"ddof must be between 0 and {rows - 1}, got {self.ddof}")
        for j in range(columns):
            col = [row[j] for row in self.X]
            if min(col) == max(col):
                raise ctx.error(
                    f"feature {j + 1} (column {j + 1} of X) is constant ({min(col)}): its range and "
                    f"standard deviation are 0, so it cannot be scaled")


def _row(values: list[sp.Basic]) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix([values])


def _sub(i: int) -> str:
    return f"_{i}"


def solve_preprocessing(spec: ExerciseSpec[Preprocessing]) -> Derivation:
    """Per-feature min, max, min-max scaling, mean, standard deviation and z-scores."""
    X = to_matrix(spec.data.X)
    ddof = spec.data.ddof
    n, m = X.shape
    b = Builder(spec, "Data preprocessing")
    cols = [list(X.col(j)) for j in range(m)]
    xsym = sp.Symbol("x")

    b.heading("Min-max scaling")
    b.say(f"X has {n} samples (rows) and {m} features (columns). Min-max scaling maps each feature onto "
          "[0, 1] using that feature's own minimum and maximum:")
    lo, hi = nt.Named("x", "min"), nt.Named("x", "max")
    with sp.evaluate(False):
        rule = sp.Mul(sp.Add(xsym, sp.Mul(-1, lo)), sp.Pow(sp.Add(hi, sp.Mul(-1, lo)), -1))
    b.equation(nt.Named("x", "scaled"), rule)
    mins = [min(c) for c in cols]
    maxs = [max(c) for c in cols]
    for j in range(m):
        b.equation(nt.Label(f"min{j + 1}", r"\min_{%d}" % (j + 1)), None, [sp.Min(*cols[j], evaluate=False)] if n <= 8 else [],
                   mins[j])
        b.equation(nt.Label(f"max{j + 1}", r"\max_{%d}" % (j + 1)), None, [sp.Max(*cols[j], evaluate=False)] if n <= 8 else [],
                   maxs[j])
    b.equation(nt.NamedMatrix("X_min", 1, m), None, (), _row(mins), quantity="X_min",
               caption="feature minima")
    b.equation(nt.NamedMatrix("X_max", 1, m), None, (), _row(maxs), quantity="X_max",
               caption="feature maxima")
    scaled = sp.ImmutableMatrix(n, m, lambda i, j: (X[i, j] - mins[j]) / (maxs[j] - mins[j]))
    with sp.evaluate(False):
        written = sp.ImmutableMatrix(
            n, m, lambda i, j: sp.Mul(X[i, j] - mins[j], sp.Pow(maxs[j] - mins[j], -1)))
    b.equation(nt.NamedMatrix("X_minmax", n, m), None, [written] if small(X) else [], scaled,
               quantity="X_minmax", caption="min-max scaled data")

    b.heading("Standardization")
    divisor = n - ddof
    which = "population" if ddof == 0 else f"sample (ddof = {ddof})"
    b.say(f"Standardization subtracts each feature's mean and divides by its {which} standard deviation, "
          f"the square root of the squared deviations summed and divided by {divisor}.")
    mu, sigma = sp.Symbol("mu"), sp.Symbol("sigma")
    b.equation(sp.Symbol("z"), (xsym - mu) / sigma)
    means, stds = [], []
    for j in range(m):
        mean = sp.Add(*cols[j]) / n
        with sp.evaluate(False):
            mean_written = sp.Mul(sp.Add(*cols[j]), sp.Pow(n, -1))
        b.equation(sp.Symbol(f"mu{_sub(j + 1)}"), None, [mean_written] if n <= 8 else [], mean)
        var = sp.Add(*[(v - mean) ** 2 for v in cols[j]]) / divisor
        std = sp.sqrt(var)
        with sp.evaluate(False):
            squares = sp.Add(*[sp.Pow(sp.Add(v, sp.Mul(-1, mean)), 2) for v in cols[j]])
            std_written = sp.sqrt(sp.Mul(squares, sp.Pow(divisor, -1)))
        b.equation(sp.Symbol(f"sigma{_sub(j + 1)}"), None,
                   [std_written, sp.sqrt(var, evaluate=False)] if n <= 8 else [sp.sqrt(var, evaluate=False)], std)
        means.append(mean)
        stds.append(std)
    b.equation(sp.Symbol("mu"), None, (), _row(means), quantity="mean", caption="feature means")
    b.equation(sp.Symbol("sigma"), None, (), _row(stds), quantity="std", caption="feature standard deviations")
    z = sp.ImmutableMatrix(n, m, lambda i, j: sp.radsimp((X[i, j] - means[j]) / stds[j]))
    with sp.evaluate(False):
        z_written = sp.ImmutableMatrix(
            n, m, lambda i, j: sp.Mul(sp.Add(X[i, j], sp.Mul(-1, means[j])), sp.Pow(stds[j], -1)))
    b.equation(nt.NamedMatrix("X_std", n, m), None, [z_written] if small(X) else [], z, quantity="X_std",
               caption="standardized data")
    b.remark("Min-max scaling keeps every feature in [0, 1] but one outlier squeezes all other values together; "
             "standardization gives each feature mean 0 and standard deviation 1 without bounding the range.")
    return b.done(["X_minmax", "mean", "std", "X_std"])


def reference(data: Preprocessing) -> Values:
    """The numpy twin."""
    return evaluate_preprocessing(data.X, data.ddof)


def recipes(data: Preprocessing, programs: Programs) -> Recipes:
    """Scaled values from a student's own statistics; the population/sample σ mix-up."""
    X, ddof = data.X, data.ddof
    n, m = shape(X)
    other = 1 if ddof == 0 else 0
    columns = [[row[j] for row in X] for j in range(m)]
    means = [sum(c, Fraction(0)) / n for c in columns]
    # Σ(x - μ)² = Σ(x - x̄)² + n(x̄ - μ)²: a student's rounded μ enters once, so the
    # interval stays as narrow as the rounding it stands for.
    spread = [sum(((v - mu) ** 2 for v in c), Fraction(0)) for c, mu in zip(columns, means)]

    def std(v: Earlier, divisor_ddof: int) -> IMatrix:
        mu = v["mean"][0]
        return (tuple(iv.sqrt((spread[j] + n * (means[j] - mu[j]) ** 2) / (n - divisor_ddof))
                      for j in range(m)),)

    def standardize(v: Earlier, sigma: IMatrix) -> IMatrix:
        mu = v["mean"][0]
        return tuple(tuple((row[j] - mu[j]) / sigma[0][j] for j in range(m)) for row in X)

    def min_max(v: Earlier) -> IMatrix:
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


PREPROCESSING = Kind(
    name="preprocessing",
    data=Preprocessing,
    solve=solve_preprocessing,
    reference=reference,
    recipes=recipes,
)
"""The declaration of kind ``preprocessing``."""
