"""Writing one layer as steps: definitions of the activations, Z = W A + b and A = f(Z).

Shared by the kinds ``forward`` (one layer) and ``network``; the values come from
:mod:`symnn.sheets.kinds.network.setting` (the engine), the steps only show them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import sympy as sp

from symnn.core.calculus import (
    ACTIVATIONS,
    Activation,
    softmax_definition,
    softmax_jacobian_entry,
    softmax_symbols,
    x,
)
from symnn.library import engine
from symnn.library.engine import SYMBOLIC
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, entrywise, product_expansion
from symnn.sheets.derivative_forms import form_for
from symnn.sheets.kinds.network.setting import Matrix, Rule
from symnn.sheets.steps import Equation, Inline, Quantity, Step

SHOW_LIMIT = 64
"""Results with more entries than this are left to the answer key (a worked entry is shown)."""


def fits(limit: tuple[int, int], *matrices: sp.MatrixBase) -> bool:
    """Whether every matrix is small enough to write its substitution out entry by entry."""
    return all(m.rows <= limit[0] and m.cols <= limit[1] for m in matrices)


def shown(value: sp.Basic) -> bool:
    """Whether a result is printed on the sheet (else only in the answer key)."""
    return not isinstance(value, sp.MatrixBase) or int(value.rows * value.cols) <= SHOW_LIMIT


def record(b: Builder, lhs: sp.Basic, formula: sp.Basic | None, substituted: Sequence[sp.Basic],
           value: Matrix, quantity: str, caption: str | tuple[Inline, ...], exact_shown: bool = True) -> Matrix:
    """Show an equation and record its quantity; a result too large to print goes to the answer key only."""
    if shown(value):
        b.equation(lhs, formula, substituted, value, quantity=quantity, caption=caption, exact_shown=exact_shown)
        return value
    b.step(Equation(lhs, formula, tuple(substituted)))
    b.quantities.append(Quantity(quantity, lhs, value, caption))
    b.say(f"The {value.rows}×{value.cols} result has {value.rows * value.cols} entries; all of them are in "
          "the answer key under ", nt.Code(quantity), ".")
    return value


def written_softmax(Z: Matrix) -> Matrix:
    """Softmax of each column as a textbook writes it with the given scores, nothing computed:
    entry (i, j) is ``e^{z_ij} / (e^{z_1j} + … + e^{z_nj})``.

    SymPy would divide through by one exponential (``1 / (1 + e^{3.13} + e^{3.71})``); this form
    is the substitution a student writes, and it is exactly the value.
    """
    with sp.evaluate(False):
        sums = [sp.Add(*[sp.exp(Z[k, j]) for k in range(Z.rows)]) for j in range(Z.cols)]
        return Matrix(Z.rows, Z.cols, lambda i, j: nt.Ratio(sp.exp(Z[i, j]), sums[j]))


_DEFINITIONS: dict[tuple[Activation, sp.Basic | None, bool], tuple[Step, ...]] = {}
"""The steps :func:`define_activation` wrote, by (activation, alpha, scalars): they hold no number
of the exercise, so variants of one exercise state each definition from the same steps."""


def define_activation(b: Builder, act: Activation, alpha: sp.Basic | None) -> None:
    """State an activation's definition and its SymPy derivative."""
    key = (act, alpha, b.scalars)
    known = _DEFINITIONS.get(key)
    if known is not None:
        b.steps.extend(known)
        return
    start, quantities, remarks = len(b.steps), len(b.quantities), len(b.remarks)
    _define_activation(b, act, alpha)
    if len(b.quantities) == quantities and len(b.remarks) == remarks:  # only steps: safe to repeat
        _DEFINITIONS[key] = tuple(b.steps[start:])


def _define_activation(b: Builder, act: Activation, alpha: sp.Basic | None) -> None:
    f_x = nt.Applied(act.display, x)
    df_x = nt.Applied(act.display, x, prime=True)
    if alpha is not None:
        b.say("Here ", sp.Eq(sp.Symbol("alpha"), alpha, evaluate=False), ".")
    b.equation(f_x, act.definition)
    form = form_for(act)
    b.equation(df_x, act.derivative, [] if form is None else [form.written])
    if form is not None:
        b.say("The first form is SymPy's derivative of the definition; the second is how it is usually "
              "written, in terms of ", nt.FunctionName(ACTIVATIONS[form.uses[0]].display),
              " itself. SymPy confirms they are the same function (their difference simplifies to 0), "
              "and the substitutions below use the second form.")
    if act.name in ("relu", "leaky_relu", "elu"):
        b.say("At ", sp.Eq(x, 0, evaluate=False), " the derivative does not exist; symnn uses the convention ",
              sp.Eq(nt.Applied(act.display, sp.Integer(0), prime=True), act.derivative.subs(x, 0), evaluate=False),
              " (the value of the branch ", sp.Le(x, 0), ").")
    elif act.has_kink:
        b.say("Where this formula has a corner (", sp.Abs(x), " or max/min switching), symnn uses the derivative "
              "SymPy gives at that point: ", sp.Eq(sp.Function("sign")(0), 0, evaluate=False),
              ", and at a tie max and min take the second argument's slope.")


def define_softmax(b: Builder, n: int) -> None:
    """State softmax for n classes and its Jacobian, both from SymPy."""
    sym = softmax_symbols(n)
    b.say(f"Softmax turns the {n} pre-activations of each sample (a column) into probabilities that sum to 1:")
    b.equation(sp.Symbol("yhat_1"), nt.softmax_form(softmax_definition(n)[0], sym.z, sp.Symbol("z_j", real=True),
                                                    sp.Symbol("j", integer=True)))
    b.say("and likewise for each class ", sp.Symbol("i"), ". SymPy differentiates this definition; written in the outputs, "
          "its Jacobian is")
    b.equation(nt.Partial(sym.a[0], sym.z[0]), softmax_jacobian_entry(n, 0, 0))
    b.equation(nt.Partial(sym.a[0], sym.z[1]), softmax_jacobian_entry(n, 0, 1))


def show_rule_definitions(b: Builder, rules: Sequence[Rule], n_out: int) -> None:
    """Define each distinct activation once, before the forward pass uses it."""
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen or rule.name == "identity":
            continue
        seen.add(rule.name)
        if rule.activation is None:
            define_softmax(b, n_out)
        else:
            define_activation(b, rule.activation, rule.alpha)


def show_weighted_sum(b: Builder, index: int | None, W: Matrix, A_prev: Matrix, bias: Matrix | None,
                      prev_name: str, limit: tuple[int, int]) -> Matrix:
    """Show and compute Z = W A_prev + b (b added to every column); return Z."""
    sfx = "" if index is None else f"_{index}"
    Z = engine.affine(SYMBOLIC, W, A_prev, bias)
    formula = _weighted_sum_formula(sfx, prev_name, W.shape, A_prev.shape, bias is not None)
    substituted: list[sp.Basic] = []
    if fits(limit, W, A_prev, Z):
        product: sp.Basic = sp.MatMul(W, A_prev, evaluate=False)
        spread = None if bias is None else Matrix(W.rows, A_prev.cols, lambda i, j: bias[i, 0])
        substituted = [sp.MatAdd(product, spread, evaluate=False) if spread is not None else product]
        if W.cols <= 8:
            substituted.append(product_expansion(W, A_prev, bias))
    quantity = f"Z{'' if index is None else index}"
    record(b, nt.matrix(f"Z{sfx}", *Z.shape), formula, substituted, Z, quantity, "pre-activation")
    if not fits(limit, W, A_prev, Z):
        k = sp.Symbol("k")
        general: sp.Basic = sp.Sum(nt.Entry(f"W{sfx}", 1, "k") * nt.Entry(prev_name, "k", 1), (k, 1, W.cols))
        if bias is not None:
            general = general + nt.Entry(f"b{sfx}", 1)
        b.say(nt.matrix(f"W{sfx}", W.rows, W.cols), f" is {W.rows}×{W.cols}, too large to write out every entry; "
              "each entry of ", nt.matrix(f"Z{sfx}", W.rows, A_prev.cols), " is computed the same way. "
              "The first one, worked:")
        b.equation(nt.Entry(f"Z{sfx}", 1, 1), general, [product_expansion(W[0, :], A_prev[:, 0],
                   None if bias is None else Matrix([[bias[0, 0]]]))[0, 0]], Z[0, 0])
    return Z


@cache
def _weighted_sum_formula(sfx: str, prev_name: str, W_shape: tuple[int, int], A_shape: tuple[int, int],
                          with_bias: bool) -> sp.Basic:
    """W A_prev (+ b) in symbols (cached: no number of the exercise in it)."""
    formula: sp.Basic = nt.matrix(f"W{sfx}", *W_shape) * nt.matrix(prev_name, *A_shape)
    if with_bias:
        # With several samples b is added to every column; written as a matrix of Z's shape.
        formula = formula + nt.matrix(f"b{sfx}", W_shape[0], A_shape[1])
    return formula


def show_activation(b: Builder, index: int | None, Z: Matrix, rule: Rule, limit: tuple[int, int]) -> Matrix:
    """Show and compute A = f(Z) (softmax: per column); return A."""
    sfx = "" if index is None else f"_{index}"
    Zs, As = nt.matrix(f"Z{sfx}", *Z.shape), nt.matrix(f"A{sfx}", *Z.shape)
    A = engine.activate(SYMBOLIC, rule, Z)
    subs: list[sp.Basic] = []
    if rule.name != "identity" and fits(limit, Z) and b.scalars and Z.shape == (1, 1):
        subs.append(nt.Applied(rule.display, Z[0, 0]))
    elif rule.name != "identity" and fits(limit, Z):
        subs.append(nt.Elementwise(rule.display, Z))
        if rule.activation is not None:
            subs.append(entrywise(Z, lambda v: nt.Applied(rule.display, v)))
        else:
            subs.append(written_softmax(Z))
    quantity = f"A{'' if index is None else index}"
    record(b, As, nt.Elementwise(rule.display, Zs), subs, A, quantity, "activation",
           exact_shown=rule.activation is not None or not subs)
    if not fits(limit, Z) and rule.activation is not None:
        b.say("The first entry, worked:")
        b.equation(nt.Entry(f"A{sfx}", 1, 1), nt.Applied(rule.display, nt.Entry(f"Z{sfx}", 1, 1)),
                   [nt.Applied(rule.display, Z[0, 0])], A[0, 0])
    return A


def _general() -> dict[str, sp.Basic]:
    """The layer rules in general matrix notation, for inline use in prose."""
    rows, cols = sp.symbols("n m", positive=True, integer=True)
    Z, W = nt.matrix("Z_l", rows, cols), nt.matrix("W_l", rows, rows)
    A_prev, bias = nt.matrix("A_{l-1}", rows, cols), nt.matrix("b_l", rows, cols)
    A, delta = nt.matrix("A_l", rows, cols), nt.matrix("delta_l", rows, cols)
    return {
        "sum": sp.Eq(Z, W * A_prev + bias, evaluate=False),
        "sum_no_bias": sp.Eq(Z, W * A_prev, evaluate=False),
        "activation": sp.Eq(A, nt.Elementwise("f_l", Z), evaluate=False),
        "input": sp.Eq(nt.matrix("A_0", rows, cols), nt.matrix("x", rows, cols), evaluate=False),
        "weight_gradient": sp.Eq(nt.partial(sp.Symbol("L"), W), sp.MatMul(delta, A_prev.T), evaluate=False),
        "bias_gradient": nt.partial(sp.Symbol("L"), nt.matrix("b_l", rows, 1)),
        "delta": delta,
    }


GENERAL = _general()
"""General layer rules shown inline in the prose."""
