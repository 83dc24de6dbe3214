"""Min-max scaling and standardization of a data matrix (kind ``preprocessing``).

Rows are samples and columns are features; every statistic is per feature.
"""

from __future__ import annotations

import sympy as sp

from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, small, to_matrix
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.steps import Derivation


def _row(values: list[sp.Basic]) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix([values])


def _sub(i: int) -> str:
    return f"_{i}"


def solve_preprocessing(spec: ExerciseSpec) -> Derivation:
    """Per-feature min, max, min-max scaling, mean, standard deviation and z-scores."""
    X = to_matrix(spec.fields["X"])
    ddof = int(spec.fields["ddof"])
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
