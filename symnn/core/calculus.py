"""Activations and losses, each defined once as a SymPy expression.

Every derivative symnn shows or uses comes from :func:`sympy.diff` of these
definitions; no second, hand-typed derivative formula exists anywhere.  ReLU-type
functions are written as ``Piecewise`` with the strict branch ``x > 0`` first, so
``diff`` yields the convention ReLU'(0) = 0 (and LeakyReLU'(0) = alpha).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, lru_cache
from typing import Any

import sympy as sp
from sympy.core.parameters import global_parameters

from symnn.core import formula as fm
from symnn.core import nodes
from symnn.errors import MathDomainError, SpecError

x = sp.Symbol("x", real=True)
"""The argument of every activation definition."""
alpha = sp.Symbol("alpha", positive=True)
"""The slope/scale parameter of leaky ReLU and ELU."""
DEFAULT_ALPHA = {"leaky_relu": Fraction(1, 100), "elu": Fraction(1)}
"""The value of :data:`alpha` when an exercise or a layer gives none (stated here only)."""
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
        return _derivative(self.definition)

    @property
    def has_alpha(self) -> bool:
        return alpha in self.definition.free_symbols

    def function(self) -> sp.Function:
        """An undefined function carrying the display name, for general formulas."""
        return sp.Function(self.display)

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
        return _derivative_in_output(self)

    @property
    def maps_rationals_to_rationals(self) -> bool:
        """Whether rational inputs give rational values and slopes (no exp, log, roots, tanh ...)."""
        d = self.definition
        return (not (d.atoms(sp.Function) - d.atoms(sp.Abs, sp.sign, sp.Piecewise))
                and all(p.exp.is_Integer for p in d.atoms(sp.Pow))
                and not d.has(sp.E, sp.pi))

    @property
    def has_kink(self) -> bool:
        """Whether the derivative is a convention somewhere (a Piecewise, abs or sign inside)."""
        return bool(self.definition.has(sp.Piecewise, sp.Abs, sp.sign, sp.Max, sp.Min))


def _substitute(expr: sp.Expr, value: sp.Expr, alpha_value: sp.Expr | None) -> sp.Expr:
    values = {x: value}
    if alpha_value is not None:
        values[alpha] = alpha_value
    return substitute(expr, values)


def substitute(expr: sp.Basic, values: dict[sp.Symbol, sp.Basic]) -> sp.Expr:
    """``expr`` with symbols replaced by values: the one way symnn puts numbers into a rule.

    ``xreplace`` rebuilds every node, so a Piecewise re-evaluates its conditions and
    picks the branch of the number (ReLU'(0) = 0 by the strict ``x > 0`` branch):

    >>> substitute(ACTIVATIONS["relu"].derivative, {x: sp.Integer(0)})
    0
    >>> substitute(ACTIVATIONS["leaky_relu"].definition, {x: sp.Integer(-2), alpha: sp.Rational(1, 100)})
    -1/50
    """
    expr = sp.sympify(expr, strict=True)
    if _variable_powers(expr):
        return _bounded_replace(expr, values)
    if _has_log(expr):
        return _replace_with_known_logs(expr, values)[0]
    return expr.xreplace(values)


@lru_cache(maxsize=1024)
def _has_log(expr: sp.Basic) -> bool:
    return bool(expr.has(sp.log))


def _replace_with_known_logs(expr: sp.Basic, values: dict[sp.Symbol, sp.Basic]) -> tuple[sp.Basic, bool]:
    """``(expr.xreplace(values), whether anything changed)``, rebuilt node by node as ``xreplace`` does,
    except where SymPy's answer is known without asking (a loss of a sigmoid output: a binary
    cross-entropy evaluates both logarithms, and each asks its argument's facts, about 0.3 ms):

    - the logarithm of a :func:`sigmoid_between_zero_and_one` value is built as it stands, which is
      what ``log`` gives: its evaluation returns nothing for a number that is not negative, not zero,
      not algebraic and not a power of e (the value lies strictly between 0 and 1 and is
      transcendental, e^q being transcendental for a nonzero rational q);
    - a product of 0 and such logarithms (and rationals) is 0, as ``Mul`` makes it: zero times
      finite factors (the logarithm of a number in (0, 1) is finite); not inside
      ``sympy.evaluate(False)``, where it stays a product.
    """
    if expr in values:
        return values[expr], True
    if not isinstance(expr, sp.Basic) or not expr.args:
        return expr, False
    rebuilt = [_replace_with_known_logs(arg, values) for arg in expr.args]
    if not any(changed for _, changed in rebuilt):
        return expr, False
    args = [arg for arg, _ in rebuilt]
    if type(expr) is sp.log and len(args) == 1 and _known_between_zero_and_one(args[0]):
        return sp.log(args[0], evaluate=False), True
    if type(expr) is sp.Mul and global_parameters.evaluate and sp.S.Zero in args and all(
            isinstance(f, sp.Rational) or (type(f) is sp.log and _known_between_zero_and_one(f.args[0]))
            for f in args):
        return sp.S.Zero, True
    return expr.func(*args), True


def _known_between_zero_and_one(value: sp.Basic) -> bool:
    return sigmoid_between_zero_and_one(value) or softmax_share(value)


def softmax_share(value: sp.Basic) -> bool:
    """Whether ``value`` is ``e^q / (t_1 + … + t_n)``, q a rational (e itself for q = 1) and every t_k a positive rational, e,
    e^r or a positive rational times e or e^r (r rational): a softmax output as SymPy builds it, which
    lies strictly between 0 and 1 and is transcendental, so ``log`` leaves it as it stands (as for
    :func:`sigmoid_between_zero_and_one`; a test compares with ``xreplace``)."""
    if type(value) is not sp.Mul or len(value.args) != 2:
        return False
    first, second = value.args
    power, inverse = (second, first) if type(first) is sp.Pow else (first, second)
    if not (power is sp.E or (type(power) is sp.exp and isinstance(power.args[0], sp.Rational))) \
            or type(inverse) is not sp.Pow or inverse.exp != -1 or type(inverse.base) is not sp.Add:
        return False
    return all(_positive_exponential_term(t) for t in inverse.base.args)


def _positive_exponential_term(term: sp.Basic) -> bool:
    """A positive rational, e, e^r (r rational), or a positive rational times e or e^r."""
    if isinstance(term, sp.Rational):
        return int(term.p) > 0
    if type(term) is sp.Mul and len(term.args) == 2 and isinstance(term.args[0], sp.Rational):
        if int(term.args[0].p) <= 0:
            return False
        term = term.args[1]
    return term is sp.E or (type(term) is sp.exp and isinstance(term.args[0], sp.Rational))


def sigmoid_between_zero_and_one(value: sp.Basic) -> bool:
    """Whether ``value`` is ``1/(1 + e^q)`` or ``1 - 1/(1 + e^q)`` with ``q`` a rational (a sigmoid's
    value and its complement, as SymPy builds them; q is nonzero, as e^0 would have made the sum 2)."""
    if type(value) is sp.Add and len(value.args) == 2 and sp.S.One in value.args:
        other = value.args[1] if value.args[0] == 1 else value.args[0]
        if type(other) is not sp.Mul or len(other.args) != 2 or other.args[0] != -1:
            return False
        value = other.args[1]
    if type(value) is not sp.Pow or value.exp != -1 or type(value.base) is not sp.Add or len(value.base.args) != 2:
        return False
    first, second = value.base.args
    power = second if first == 1 else first if second == 1 else sp.S.One
    return type(power) is sp.exp and isinstance(power.args[0], sp.Rational)


MAX_POWER_BITS = 20_000
"""The largest exact power (bits of |base| times |exponent|) that :func:`substitute` lets SymPy
build; a custom formula such as ``x^x^x`` at x = 500 would otherwise compute 500^(500^500)."""


@lru_cache(maxsize=1024)
def _variable_powers(expr: sp.Basic) -> bool:
    """Whether ``expr`` has a power whose exponent is not a number (x^x, 2^(x^3)) or is a large one
    (``((x^64)^64)^64`` is x^262144), or an exponential of an exponential."""
    return (any(not p.exp.is_number or (p.exp.is_Rational and abs(p.exp) > 8) for p in expr.atoms(sp.Pow))
            or any(e.args[0].has(sp.exp) for e in expr.atoms(sp.exp)))


def _bounded_replace(expr: sp.Basic, values: dict[sp.Symbol, sp.Basic]) -> sp.Basic:
    """``xreplace`` bottom-up, refusing a power of numbers larger than :data:`MAX_POWER_BITS`."""
    if expr in values:
        return values[expr]
    if not expr.args:
        return expr
    args = [_bounded_replace(a, values) for a in expr.args]
    if isinstance(expr, sp.Pow):
        base, exponent = args
        if base.is_Rational and exponent.is_Rational and base not in (0, 1, -1):
            bits = max(int(base.p).bit_length(), int(base.q).bit_length())
            if abs(exponent) * bits > MAX_POWER_BITS:
                raise MathDomainError(f"a power in the formula is too large to compute exactly (over "
                                      f"{MAX_POWER_BITS} bits): {_brief(base)}^{_brief(exponent)}")
    if expr.func is sp.exp and args[0].is_number and not args[0].is_Rational and _huge(args[0]):
        raise MathDomainError(f"an exponential in the formula is too large to compute (its argument is beyond "
                              f"±{MAX_EXP_ARGUMENT:,})")
    return expr.func(*args)


MAX_EXP_ARGUMENT = 70_000
"""The largest |a| whose exp(a) :func:`substitute` builds when ``a`` is itself irrational
(exp(exp(2.5e49)) would send SymPy's evaluation computing e to 10^49 bits)."""


def _huge(value: sp.Basic) -> bool:
    """Whether an irrational number is beyond ±:data:`MAX_EXP_ARGUMENT` (or not finite), from a 64-bit ball."""
    from symnn.core.domains import NotCompilable, Undecided, ball_at
    from symnn.core.program import compile_program

    try:
        ball = ball_at(compile_program(value), 64)
    except (NotCompilable, Undecided):
        return False
    return bool(not ball.is_finite() or ball.abs_upper() > MAX_EXP_ARGUMENT)


def _brief(value: sp.Rational) -> str:
    bits = max(int(value.p).bit_length(), int(value.q).bit_length())
    if bits >= 200:
        return f"(a {int(bits * 0.30103)}-digit number)"
    return str(value) if value.is_Integer and value >= 0 else f"({value})"


_relu = sp.Piecewise((x, x > 0), (0, True))


class NotElementwise(SpecError, KeyError):
    """A name that is not a built-in elementwise activation (softmax, or a custom one) was looked up."""

    def __str__(self) -> str:
        return str(self.args[0])


class _Registry(dict[str, "Activation"]):
    """The built-in activations; looking up another name is a one-line symnn error, not a KeyError."""

    def __missing__(self, key: str) -> Activation:
        raise NotElementwise(
            f"activation {key!r} is not a built-in elementwise activation; softmax is a vector activation "
            "(output layer only) and a custom activation needs its formula (activation_for(name, formula))")


ACTIVATIONS: dict[str, Activation] = _Registry({
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
})
"""Every elementwise activation symnn knows, by spec name."""


@cache
def _derivative(definition: sp.Expr) -> sp.Expr:
    return sp.diff(definition, x)


@cache
def _derivative_in_output(act: Activation) -> sp.Expr | None:
    """Rewrite f'(x) as an expression of a = f(x) when SymPy can.

    First try replacing f(x) itself (tanh' is 1 - tanh(x)**2); otherwise solve
    ``a = f(x)`` for the exponential inside f and substitute it into f' (by :func:`_invert`,
    exactly and without ``sympy.solve`` for every built-in; ``sympy.solve`` only for a custom
    formula that :func:`_invert` cannot undo).
    """
    f, d = act.definition, _derivative(act.definition)
    if isinstance(f, sp.Piecewise) or x not in d.free_symbols:
        return None
    direct = d.subs(f, a)
    if x not in direct.free_symbols:
        return sp.factor(direct)
    for g in sorted(f.atoms(sp.exp), key=sp.default_sort_key):
        G = sp.Dummy("G", positive=True)
        solution = _invert(f.subs(g, G), G)
        solutions = [solution] if solution is not None else sp.solve(sp.Eq(a, f.subs(g, G)), G)
        if len(solutions) == 1:
            substituted = d.subs(g, solutions[0])
            candidate = sp.factor(sp.cancel(substituted))
            if x in candidate.free_symbols:  # rare (custom formulas): let simplify try identities
                candidate = sp.factor(sp.simplify(substituted))
            if x not in candidate.free_symbols:
                return candidate
    return None


def _invert(h: sp.Expr, G: sp.Symbol) -> sp.Expr | None:
    """The one G with ``a = h(G)`` when h is a log, constant shift or scale of a rational function of G
    whose numerator of ``h(G) - a`` is of degree 1 in G; else None (the caller falls back to ``sympy.solve``).

    Exact and cheap: no ``sympy.solve``, whose solution check imports ``sympy.physics.units``.

    >>> G = sp.Symbol("G", positive=True)
    >>> _invert(1 / (1 + G), G)
    -(a - 1)/a
    >>> _invert(sp.log(1 + G) - sp.log(2), G)
    2*exp(a) - 1
    """
    rhs: sp.Expr = a
    while True:
        if isinstance(h, sp.log):
            h, rhs = h.args[0], sp.exp(rhs)
        elif isinstance(h, sp.Add) and (constant := h.as_independent(G, as_Add=True)[0]) != 0:
            h, rhs = h - constant, rhs - constant
        elif isinstance(h, sp.Mul) and (coefficient := h.as_independent(G, as_Add=False)[0]) != 1:
            h, rhs = h / coefficient, rhs / coefficient
        else:
            break
    numerator = sp.fraction(sp.together(h - rhs))[0]
    try:
        poly = sp.Poly(sp.expand(numerator), G)
    except sp.PolynomialError:
        return None
    if poly.degree() != 1 or rhs.has(G):
        return None
    c1, c0 = poly.all_coeffs()
    return sp.factor(-c0 / c1)


SOFTMAX = "softmax"
"""The one vector activation: exp(z_i) / Σ_j exp(z_j) over each column (output layer only)."""


def _piecewise_max(p: sp.Expr, q: sp.Expr) -> sp.Expr:
    # Strict branch first, like ReLU: at a tie the second argument's branch (and slope) is used.
    return sp.Piecewise((p, p > q), (q, True))


def _piecewise_min(p: sp.Expr, q: sp.Expr) -> sp.Expr:
    return sp.Piecewise((p, p < q), (q, True))


_FORMULA_FUNCTIONS: dict[str, Callable[..., sp.Expr]] = {
    "exp": sp.exp, "log": sp.log, "ln": sp.log,
    "tanh": sp.tanh, "sinh": sp.sinh, "cosh": sp.cosh, "sin": sp.sin, "cos": sp.cos, "atan": sp.atan,
    "sigmoid": lambda v: 1 / (1 + sp.exp(-v)), "max": _piecewise_max, "min": _piecewise_min,
}
_FORMULA_OPERATORS: dict[str, Callable[[sp.Expr, sp.Expr], sp.Expr]] = {
    "add": lambda p, q: p + q, "sub": lambda p, q: p - q, "mul": lambda p, q: p * q,
    "div": lambda p, q: p / q,
}
_FORMULA_CONSTANTS = {"E": sp.E, "pi": sp.pi}


def _formula_chain(node: nodes.Chain) -> sp.Expr:
    result = formula_to_sympy(node.first)
    for op, operand in node.rest:
        result = _FORMULA_OPERATORS[op](result, formula_to_sympy(operand))
    return result


_FORMULA_NODES: dict[type, Callable[[Any], sp.Expr]] = {
    nodes.Number: lambda node: sp.Rational(node.value.numerator, node.value.denominator),
    nodes.Symbol: lambda node: x,
    nodes.Constant: lambda node: _FORMULA_CONSTANTS[node.name],
    nodes.Negate: lambda node: -formula_to_sympy(node.operand),
    nodes.Chain: _formula_chain,
    nodes.Power: lambda node: formula_to_sympy(node.base) ** formula_to_sympy(node.exponent),
    nodes.Absolute: lambda node: sp.Abs(formula_to_sympy(node.operand)),
    nodes.Root: lambda node: sp.sqrt(formula_to_sympy(node.radicand)),
    nodes.Call: lambda node: _FORMULA_FUNCTIONS[node.function.name](
        *[formula_to_sympy(arg) for arg in node.arguments]),
}
"""One rule per node of a formula tree (:func:`symnn.core.formula.parse_formula` builds no others)."""


def formula_to_sympy(node: nodes.Node) -> sp.Expr:
    """A parsed formula tree as a SymPy expression in :data:`x` (built node by node, never parsed).

    >>> formula_to_sympy(fm.parse_formula("x / (1 + abs(x))"))
    x/(Abs(x) + 1)
    """
    return _FORMULA_NODES[type(node)](node)


@cache
def custom_activation(formula: fm.Formula) -> Activation:
    """The activation defined by a custom formula; its derivative is again ``sympy.diff``.

    >>> act = custom_activation(fm.Formula("softsign", "x / (1 + abs(x))",
    ...                                    fm.parse_formula("x / (1 + abs(x))")))
    >>> act.derivative_at(sp.Integer(1))
    1/4
    """
    return Activation(formula.name, formula.name, formula_to_sympy(formula.tree))


def activation_for(name: str, formula: fm.Formula | None = None) -> Activation:
    """The elementwise activation of a layer: a built-in by name, or its custom formula."""
    return custom_activation(formula) if formula is not None else ACTIVATIONS[name]


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


def default_reduction(loss: str) -> str:
    """How a batch's per-sample losses combine when nothing says: the mean for ``mse``, else the sum.

    >>> default_reduction("mse"), default_reduction("bce")
    ('mean', 'sum')
    """
    return "mean" if loss == "mse" else "sum"


LOSSES: dict[str, Loss] = {
    l_.name: l_
    for l_ in (
        # Kept unevaluated so the sheet shows the usual form -(y ln a + (1 - y) ln(1 - a)).
        Loss("bce", "binary cross-entropy",
             sp.Mul(-1, sp.Add(y * sp.log(a), (1 - y) * sp.log(1 - a)), evaluate=False), "sum"),
        Loss("half_sse", "half the sum of squared errors", (y - a) ** 2 / 2, "sum"),
        Loss("sse", "sum of squared errors", (y - a) ** 2, "sum"),
        Loss("mse", "mean squared error", (y - a) ** 2, "mean"),
        Loss("cross_entropy", "categorical cross-entropy", -y * sp.log(a), "sum"),
    )
}
"""Every loss symnn knows, by spec name."""


@cache
def _loss_derivative(name: str) -> sp.Expr:
    return sp.diff(LOSSES[name].term, a)


@cache
def output_delta(loss: str, activation: str | Activation) -> sp.Expr:
    """∂(loss term)/∂z for an output a = f(z), simplified by SymPy, in terms of a and y.

    For sigmoid with binary cross-entropy SymPy reduces this to ``a - y``.  When the
    activation's derivative has no form in ``a`` (ReLU), the result keeps ``x``
    for the pre-activation.
    """
    act = ACTIVATIONS[activation] if isinstance(activation, str) else activation
    dl_da = _loss_derivative(loss)
    df = _derivative_in_output(act)
    if df is None:
        return dl_da * act.derivative
    # cancel, not simplify: the same result for every built-in (a test holds it), without
    # simplify's import of sympy.physics.units (about 0.3 s of every start).
    return sp.factor(sp.cancel(dl_da * df))


# ---------------------------------------------------------------------------
# Softmax: a vector activation; its Jacobian and the softmax + cross-entropy delta
# are found by SymPy from the one definition below, for the actual number of classes.


@dataclass(frozen=True, slots=True)
class SoftmaxSymbols:
    """The symbols of an n-class softmax: pre-activations, outputs and targets."""

    z: tuple[sp.Symbol, ...]
    """Pre-activations z_1 … z_n."""
    a: tuple[sp.Symbol, ...]
    """Outputs a_i = softmax(z)_i, written ŷ_i on a sheet."""
    y: tuple[sp.Symbol, ...]
    """Targets y_1 … y_n."""


@cache
def softmax_symbols(n: int) -> SoftmaxSymbols:
    """Numbered symbols for an n-class softmax."""
    return SoftmaxSymbols(sp.symbols(f"z_1:{n + 1}", real=True),
                          sp.symbols(f"yhat_1:{n + 1}", positive=True),
                          sp.symbols(f"y_1:{n + 1}", real=True))


def softmax_definition(n: int) -> tuple[sp.Expr, ...]:
    """softmax(z)_i = exp(z_i) / Σ_j exp(z_j), for i = 1 … n."""
    z = softmax_symbols(n).z
    total = sp.Add(*[sp.exp(zj) for zj in z])
    return tuple(sp.exp(zi) / total for zi in z)


def _in_outputs(expr: sp.Expr, n: int) -> sp.Expr:
    """Rewrite an expression in z as one in the outputs a_i, using exp(z_i) = a_i · Σ_j exp(z_j)."""
    sym = softmax_symbols(n)
    total = sp.Symbol("S", positive=True)
    expr = expr.xreplace({sp.Add(*[sp.exp(zj) for zj in sym.z]): total})

    def outputs(term: sp.exp) -> sp.Expr:
        argument = sp.expand(term.args[0])
        return sp.Mul(*[(ak * total) ** argument.coeff(zk) for zk, ak in zip(sym.z, sym.a)])

    expr = expr.replace(lambda t: isinstance(t, sp.exp), outputs)
    return sp.expand(expr)


def _relabelled(expr: sp.Expr, n: int, *first: int) -> sp.Expr:
    """``expr`` with the symbols of class k renamed to those of class π(k), where π lists ``first``
    then the other classes in order.

    Softmax and every loss summed over the classes are symmetric in the classes, so an
    entry derived for classes (0, 1) becomes the entry for (i, j) by this renaming.
    """
    order = [*first, *(k for k in range(n) if k not in first)]
    sym = softmax_symbols(n)
    free = expr.free_symbols
    return expr.xreplace({old[k]: old[order[k]] for old in (sym.z, sym.a, sym.y) for k in range(n) if old[k] in free})


@cache
def _softmax_jacobian_forms(n: int) -> tuple[sp.Expr, sp.Expr | None]:
    """(∂a_1/∂z_1, ∂a_1/∂z_2) by ``sympy.diff`` of the definition, written in the outputs.

    The terms e^{z_3} … e^{z_n} of the denominator involve neither z_1 nor z_2, so they are gathered
    into one positive symbol before SymPy differentiates (and put back after): the derivatives
    are those of the whole definition (a test compares), and 1,000 classes cost what 3 do.
    """
    soft, z = softmax_definition(n), softmax_symbols(n).z
    terms = [sp.exp(zj) for zj in z]
    others = sp.Add(*terms[2:])
    gathered = sp.Dummy("R", positive=True)
    first = soft[0].xreplace({sp.Add(*terms): sp.Add(*terms[:2], gathered)}) if n > 2 else soft[0]

    def derivative(zj: sp.Symbol) -> sp.Expr:
        return sp.factor(_in_outputs(sp.diff(first, zj).xreplace({gathered: others}), n))

    return derivative(z[0]), None if n == 1 else derivative(z[1])


@cache
def softmax_jacobian_entry(n: int, i: int, j: int) -> sp.Expr:
    """Entry (i, j) of :func:`softmax_jacobian` alone: a sheet with 32 classes shows two entries
    and its cross-entropy delta reads one column, so the other 1,000 are never built."""
    diagonal, off = _softmax_jacobian_forms(n)
    if i == j:
        return _relabelled(diagonal, n, i)
    assert off is not None
    return _relabelled(off, n, i, j)


@cache
def softmax_jacobian(n: int) -> sp.ImmutableMatrix:
    """∂a_i/∂z_j by ``sympy.diff`` of the definition, written in the outputs: a_i(δ_ij − a_j).

    SymPy derives one diagonal entry (∂a_1/∂z_1) and one off-diagonal entry (∂a_1/∂z_2);
    every other entry is one of them with the classes relabelled (softmax is symmetric in
    its classes), so n = 32 costs two derivatives, not 1024.

    >>> softmax_jacobian(2)[0, 0], softmax_jacobian(2)[0, 1]
    (-yhat_1*(yhat_1 - 1), -yhat_1*yhat_2)
    """
    return sp.ImmutableMatrix(n, n, lambda i, j: softmax_jacobian_entry(n, i, j))


@cache
def softmax_output_delta(loss: str, n: int) -> tuple[sp.Expr, ...]:
    """∂(loss)/∂z_i for a softmax output, in the outputs a and targets y, simplified by SymPy.

    SymPy differentiates the loss of softmax(z) with respect to z_1 and rewrites the
    result in the outputs.  For cross-entropy that derivative is the chain rule
    Σ_k ∂ℓ/∂a_k · ∂a_k/∂z_1, with ∂ℓ/∂a by ``sympy.diff`` of the loss and ∂a_k/∂z_1 from
    :func:`softmax_jacobian` (``sympy.diff`` of the definition; the sheet shows that Jacobian
    anyway): the same result as differentiating the composed sum, without SymPy expanding n
    logarithms of quotients (a test compares the two).  The targets sum to 1 (one-hot or a
    probability vector); substituting that constraint lets SymPy cancel every other term,
    leaving ŷ_1 − y_1.  The loss is a sum over the classes, symmetric in them, so ∂L/∂z_i is
    that result with classes 1 and i relabelled (a test derives every entry directly and compares).

    >>> softmax_output_delta("cross_entropy", 3)
    (-y_1 + yhat_1, -y_2 + yhat_2, -y_3 + yhat_3)
    """
    sym, soft = softmax_symbols(n), softmax_definition(n)
    term = LOSSES[loss].term

    def derived(i: int) -> sp.Expr:
        if loss == "cross_entropy":
            slope = LOSSES[loss].derivative
            d = sp.Add(*[softmax_jacobian_entry(n, k, i) * slope.xreplace({a: sym.a[k], y: sym.y[k]})
                         for k in range(n)])
            other = sym.y[(i + 1) % n]
            return sp.expand(d.xreplace({other: 1 - sp.Add(*[yk for yk in sym.y if yk != other])}))
        total = sp.Add(*[term.xreplace({y: yk, a: sk}) for yk, sk in zip(sym.y, soft)])
        return sp.factor(_in_outputs(sp.diff(total, sym.z[i]), n))

    if n == 1:
        return (derived(0),)
    first = derived(0)
    return tuple(_relabelled(first, n, i, (i + 1) % n) for i in range(n))
