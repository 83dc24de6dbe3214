"""Activations and losses, each defined once as a SymPy expression.

Every derivative symnn shows or uses comes from :func:`sympy.diff` of these
definitions; no second, hand-typed derivative formula exists anywhere.  ReLU-type
functions are written as ``Piecewise`` with the strict branch ``x > 0`` first, so
``diff`` yields the convention ReLU'(0) = 0 (and LeakyReLU'(0) = alpha).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

x = sp.Symbol("x", real=True)
"""The argument of every activation definition."""
alpha = sp.Symbol("alpha", positive=True)
"""The slope/scale parameter of leaky ReLU and ELU."""
y = sp.Symbol("y", real=True)
"""A target entry in a loss definition."""
a = sp.Symbol("a", real=True)
"""A prediction entry (the network's output) in a loss definition."""


@dataclass(frozen=True)
class Activation:
    """An elementwise activation function: its name, notation and definition."""

    name: str
    """Spec name, e.g. ``"leaky_relu"``."""
    display: str
    """Name as printed on a sheet (an operator name), e.g. ``"LeakyReLU"``."""
    definition: sp.Expr
    """The function as an expression of :data:`x` (and :data:`alpha`)."""

    @property
    def derivative(self) -> sp.Expr:
        """d/dx of the definition, by ``sympy.diff``."""
        return _derivative(self.name)

    @property
    def has_alpha(self) -> bool:
        return alpha in self.definition.free_symbols

    def function(self) -> sp.Function:
        """An undefined function carrying the display name, for general formulas."""
        return sp.Function(self.display)  # type: ignore[no-any-return]

    def at(self, value: sp.Expr, alpha_value: sp.Expr | None = None) -> sp.Expr:
        """The exact value of the activation at ``value``."""
        return _substitute(self.definition, value, alpha_value)

    def derivative_at(self, value: sp.Expr, alpha_value: sp.Expr | None = None) -> sp.Expr:
        """The exact derivative at ``value``."""
        return _substitute(self.derivative, value, alpha_value)

    def derivative_in_output(self) -> sp.Expr | None:
        """The derivative written in terms of the output ``a = f(x)``, if SymPy finds one.

        For sigmoid this is ``a(1 - a)``, for tanh ``1 - a**2``; ``None`` when the
        derivative cannot be written without ``x`` (e.g. ReLU's indicator).
        """
        return _derivative_in_output(self.name)


def _substitute(expr: sp.Expr, value: sp.Expr, alpha_value: sp.Expr | None) -> sp.Expr:
    subs = {x: value}
    if alpha_value is not None:
        subs[alpha] = alpha_value
    return sp.sympify(expr).xreplace(subs) if not isinstance(expr, sp.Piecewise) else expr.subs(subs)


_relu = sp.Piecewise((x, x > 0), (0, True))

ACTIVATIONS: dict[str, Activation] = {
    a_.name: a_
    for a_ in (
        Activation("identity", "id", x),
        Activation("relu", "ReLU", _relu),
        Activation("leaky_relu", "LeakyReLU", sp.Piecewise((x, x > 0), (alpha * x, True))),
        Activation("sigmoid", "σ", 1 / (1 + sp.exp(-x))),
        Activation("tanh", "tanh", sp.tanh(x)),
        Activation("softplus", "softplus", sp.log(1 + sp.exp(x))),
        Activation("elu", "ELU", sp.Piecewise((x, x > 0), (alpha * (sp.exp(x) - 1), True))),
    )
}
"""Every elementwise activation symnn knows, by spec name."""


@cache
def _derivative(name: str) -> sp.Expr:
    return sp.diff(ACTIVATIONS[name].definition, x)


@cache
def _derivative_in_output(name: str) -> sp.Expr | None:
    """Rewrite f'(x) as an expression of a = f(x) when SymPy can.

    First try replacing f(x) itself (tanh' is 1 - tanh(x)**2); otherwise solve
    ``a = f(x)`` for the exponential inside f and substitute it into f'.
    """
    act = ACTIVATIONS[name]
    f, d = act.definition, _derivative(name)
    if isinstance(f, sp.Piecewise) or x not in d.free_symbols:
        return None
    direct = d.subs(f, a)
    if x not in direct.free_symbols:
        return sp.factor(direct)
    for g in sorted(f.atoms(sp.exp), key=sp.default_sort_key):
        G = sp.Dummy("G", positive=True)
        solutions = sp.solve(sp.Eq(a, f.subs(g, G)), G)
        if len(solutions) == 1:
            candidate = sp.factor(sp.simplify(d.subs(g, solutions[0])))
            if x not in candidate.free_symbols:
                return candidate
    return None


@dataclass(frozen=True)
class Loss:
    """A loss: a per-entry term in (y, a) and how entries are reduced."""

    name: str
    """Spec name, e.g. ``"bce"``."""
    description: str
    """Words for the sheet."""
    term: sp.Expr
    """The loss contributed by one entry, an expression of :data:`y` and :data:`a`."""
    reduction: str
    """``"sum"`` or ``"mean"`` over all entries (and samples)."""

    def value(self, ys: list[sp.Expr], preds: list[sp.Expr]) -> sp.Expr:
        """The exact loss over paired lists of targets and predictions."""
        total = sp.Add(*[self.term.xreplace({y: t, a: p}) for t, p in zip(ys, preds)])
        return total / len(ys) if self.reduction == "mean" else total

    @property
    def derivative(self) -> sp.Expr:
        """d(term)/da by ``sympy.diff`` (before the mean's 1/N)."""
        return _loss_derivative(self.name)


LOSSES: dict[str, Loss] = {
    l_.name: l_
    for l_ in (
        # Kept unevaluated so the sheet shows the usual form -(y ln a + (1 - y) ln(1 - a)).
        Loss("bce", "binary cross-entropy",
             sp.Mul(-1, sp.Add(y * sp.log(a), (1 - y) * sp.log(1 - a)), evaluate=False), "sum"),
        Loss("half_sse", "half the sum of squared errors", (y - a) ** 2 / 2, "sum"),
        Loss("sse", "sum of squared errors", (y - a) ** 2, "sum"),
        Loss("mse", "mean squared error", (y - a) ** 2, "mean"),
    )
}
"""Every loss symnn knows, by spec name."""


@cache
def _loss_derivative(name: str) -> sp.Expr:
    return sp.diff(LOSSES[name].term, a)


@cache
def output_delta(loss: str, activation: str) -> sp.Expr:
    """∂(loss term)/∂z for an output a = f(z), simplified by SymPy, in terms of a and y.

    For sigmoid with binary cross-entropy SymPy reduces this to ``a - y``.  When the
    activation's derivative has no form in ``a`` (ReLU), the result keeps ``x``
    for the pre-activation.
    """
    dl_da = _loss_derivative(loss)
    df = _derivative_in_output(activation)
    if df is None:
        return dl_da * ACTIVATIONS[activation].derivative
    return sp.factor(sp.simplify(dl_da * df))
