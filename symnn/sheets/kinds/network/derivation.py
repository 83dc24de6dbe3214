"""The first pass of a network exercise written out: forward pass, loss, backpropagation, gradients.

The output delta comes from :mod:`symnn.core.calculus` (SymPy's simplification of the loss
composed with the output activation, or of softmax with its loss); hidden deltas from the
chain rule with each activation's SymPy derivative.  Every value is the engine's
(:mod:`symnn.sheets.kinds.network.setting`); the ``show_*`` functions write them as steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import sympy as sp

from symnn.core.calculus import (
    Activation,
    Loss,
    a,
    output_delta,
    softmax_symbols,
    x,
    y,
)
from symnn.core.calculus import alpha as alpha_symbol
from symnn.library import engine
from symnn.library.engine import SYMBOLIC
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, as_scalar, product_expansion
from symnn.sheets.derivative_forms import form_for
from symnn.sheets.kinds.network.setting import (
    Matrix,
    Params,
    Setting,
    bias_gradient,
    loss_value,
    output_delta_values,
    weight_gradient,
)
from symnn.sheets.kinds.network.writing import (
    GENERAL,
    fits,
    record,
    show_activation,
    show_rule_definitions,
    show_weighted_sum,
    written_softmax,
)


def show_forward(b: Builder, setting: Setting, params: Params, limit: tuple[int, int]
                 ) -> tuple[list[Matrix], list[Matrix]]:
    """The forward pass, layer by layer, with each activation defined before its first use."""
    X = setting.X
    b.heading("Forward pass")
    b.say("The input ", sp.Symbol("x"), f" is {X.rows}×{X.cols}"
          + (f" (one column per sample, {X.cols} samples)" if X.cols > 1 else "")
          + ". Each layer computes ", GENERAL["sum"], " and ", GENERAL["activation"], ", with ",
          GENERAL["input"], ".")
    missing = [str(l) for l, bias in enumerate(params.bs, start=1) if bias is None]
    if len(missing) == len(params.bs):
        b.say("No layer has a bias here: ", GENERAL["sum_no_bias"], ".")
    elif missing:
        listed = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
        b.say(f"Layer{'s' if len(missing) > 1 else ''} {listed} {'have' if len(missing) > 1 else 'has'} no bias: "
              "there ", GENERAL["sum_no_bias"], ".")
    seen: set[str] = set()
    Zs, As = [], [X]
    for l, (W, bias, rule) in enumerate(zip(params.Ws, params.bs, setting.rules), start=1):
        if rule.name not in seen:
            seen.add(rule.name)
            show_rule_definitions(b, [rule], W.rows)
        Z = show_weighted_sum(b, l, W, As[-1], bias, "x" if l == 1 else f"A_{l - 1}", limit)
        A = show_activation(b, l, Z, rule, limit)
        Zs.append(Z)
        As.append(A)
        if rule.name == "relu" and all(v <= 0 for v in Z):
            b.say("No entry of ", nt.matrix(f"Z_{l}", *Z.shape), " is positive, so the ", nt.FunctionName(rule.display),
                  " layer outputs only zeros: it is dead for this input, and no gradient flows back through it.")
    return Zs, As


@cache
def _loss_formula(loss: Loss, n: int, m: int, reduction: str) -> sp.Basic:
    """The loss in symbols: one sample's terms summed (or averaged), then the samples combined.

    Cached: it depends on the shape only, and variants of one exercise ask for it again and again.
    """
    yhat = sp.Symbol("yhat")
    if n == 1 and m == 1:
        return loss.term.xreplace({a: yhat})
    i, s = sp.Symbol("i", integer=True), sp.Symbol("s", integer=True)
    if m == 1:
        body = loss.term.xreplace({y: sp.Indexed("y", i), a: sp.Indexed("yhat", i)})
        total = sp.Sum(body, (i, 1, n))
        return total / n if loss.reduction == "mean" else total
    body = loss.term.xreplace({y: sp.Indexed("y", i, s), a: sp.Indexed("yhat", i, s)})
    inner: sp.Basic = sp.Sum(body, (i, 1, n))
    if loss.reduction == "mean":
        inner = inner / n
    total = sp.Sum(inner, (s, 1, m))
    return total / m if reduction == "mean" else total


UNEVALUATED_REBUILT = (sp.Add, sp.Mul, sp.Pow, sp.exp, sp.log)
"""The node types :func:`put_in_unevaluated` rebuilds itself: each reads its ``evaluate=False`` keyword
exactly where it would read SymPy's global ``evaluate`` flag, so ``type(*args, evaluate=False)`` is the
node that ``type(*args)`` makes inside ``with sympy.evaluate(False)``."""


def put_in_unevaluated(expr: sp.Basic, values: dict[sp.Basic, sp.Basic]) -> sp.Basic:
    """``expr.xreplace(values)`` as made inside ``with sympy.evaluate(False)``: the same tree, node for node.

    Entering and leaving that context clears SymPy's whole cache (twice per use), which a variant of an
    exercise then rebuilds at a cost of about a sixth of its time.  When every node that the replacement
    changes is one of :data:`UNEVALUATED_REBUILT`, the tree is rebuilt here with ``evaluate=False`` instead;
    otherwise (a ``Piecewise``, a relation, …) inside the context as before."""
    rebuilt = _rebuilt(expr, values)
    if rebuilt is not None:
        return rebuilt
    with sp.evaluate(False):
        return expr.xreplace(values)


def _rebuilt(expr: sp.Basic, values: dict[sp.Basic, sp.Basic]) -> sp.Basic | None:
    # Basic._xreplace, with the rebuild of a changed node made explicit; None: a node not to rebuild here.
    if expr in values:
        return values[expr]
    if not expr.args:
        return expr
    args, changed = [], False
    for arg in expr.args:
        new = _rebuilt(arg, values)
        if new is None:
            return None
        changed |= new is not arg
        args.append(new)
    if not changed:
        return expr
    if type(expr) not in UNEVALUATED_REBUILT:
        return None
    return expr.func(*args, evaluate=False)


def loss_substitution(setting: Setting, out: Matrix) -> sp.Basic:
    """The loss with the numbers put in, unevaluated, written −(…) when every term is negated."""
    term, Y = setting.loss.term, setting.Y
    negated = term.could_extract_minus_sign()
    inner = -term if negated else term
    per_sample = []
    for j in range(out.cols):
        parts = [put_in_unevaluated(inner, {y: Y[i, j], a: out[i, j]}) for i in range(out.rows)
                 if not (setting.loss.name == "cross_entropy" and Y[i, j] == 0)]
        total: sp.Basic = parts[0] if len(parts) == 1 else sp.Add(*parts, evaluate=False)
        if negated:
            total = sp.Mul(sp.S.NegativeOne, total, evaluate=False)
        if setting.loss.reduction == "mean" and out.rows > 1:
            total = sp.Mul(total, sp.Pow(out.rows, -1, evaluate=False), evaluate=False)
        per_sample.append(total)
    written: sp.Basic = per_sample[0] if len(per_sample) == 1 else sp.Add(*per_sample, evaluate=False)
    if setting.reduction == "mean" and out.cols > 1:
        written = sp.Mul(written, sp.Pow(out.cols, -1, evaluate=False), evaluate=False)
    return written


def show_loss(b: Builder, setting: Setting, out: Matrix, classes: Sequence[int] | None,
              limit: tuple[int, int], Z: Matrix | None = None) -> sp.Basic:
    """The loss, stated with its reduction, substituted and evaluated.

    After a softmax output (given its scores ``Z``) the outputs are substituted as a textbook writes
    them, ``e^{z_i} / Σ_j e^{z_j}``, and only the decimal follows.
    """
    loss, m, n = setting.loss, setting.samples, out.rows
    b.heading("Loss")
    text = f"The loss is the {loss.description}"
    if loss.reduction == "mean" and n > 1:
        text += f", averaged over the {n} outputs of a sample"
    elif n > 1:
        text += f", summed over the {n} outputs of a sample"
    if m > 1:
        text += (f"; the batch loss is the {'mean' if setting.reduction == 'mean' else 'sum'} of the {m} "
                 "samples' losses")
    b.say(text + ".")
    if classes is not None:
        b.say("The targets are given as class indices (counting from 0): "
              + ", ".join(str(c) for c in classes) + "; as one-hot columns they are y = ", setting.Y, ".")
    if loss.name == "cross_entropy":
        b.say("Only the true class of each sample contributes: its target is 1 and every other target is 0.")
    L = loss_value(setting, out)
    written = written_softmax(Z) if Z is not None and setting.rules[-1].activation is None else None
    subs = [loss_substitution(setting, out if written is None else written)] if fits(limit, out) else []
    b.equation(sp.Symbol("L"), _loss_formula(loss, n, m, setting.reduction), subs, L, quantity="L",
               caption="loss", exact_shown=written is None)
    return L


def show_backward(b: Builder, setting: Setting, params: Params, Zs: list[Matrix], As: list[Matrix],
                  limit: tuple[int, int]) -> list[Matrix]:
    """Output delta from SymPy's rule, then each hidden delta by the chain rule."""
    b.heading("Backpropagation")
    n_layers = len(Zs)
    d_out = show_output_delta(b, setting, Zs[-1], As[-1], limit)
    deltas: list[Matrix] = [d_out]
    for l in range(n_layers - 1, 0, -1):
        W_next, d_next, rule = params.Ws[l], deltas[0], setting.rules[l - 1]
        back, slope, d = engine.hidden_delta(SYMBOLIC, W_next, d_next, rule, Zs[l - 1])
        deltas.insert(0, d)
        formula = _hidden_delta_formula(l, W_next.shape, d_next.shape, d.shape, rule.display)
        subs: list[sp.Basic] = []
        if fits(limit, W_next, d_next, d):
            subs = [nt.Hadamard(as_scalar(sp.MatMul(W_next.T, d_next, evaluate=False)) if b.scalars
                                else sp.MatMul(W_next.T, d_next, evaluate=False),
                                nt.Elementwise(rule.display, Zs[l - 1], prime=True))]
            form = form_for(rule.activation)
            if form is not None:
                # f'(z) written with the layer's own values, e.g. σ'(z) = 0.5 · (1 − 0.5).
                subs.append(nt.Hadamard(back, Matrix(slope.rows, slope.cols, [form.at(z) for z in Zs[l - 1]])))
            subs.append(nt.Hadamard(back, slope))
        record(b, nt.matrix(f"delta_{l}", d.rows, d.cols), formula, subs, d, f"delta{l}",
               f"delta of layer {l}")
        if not fits(limit, W_next, d_next, d):
            k = sp.Symbol("k")
            entry = sp.Mul(sp.Sum(nt.Entry(f"W_{l + 1}", "k", 1) * nt.Entry(f"delta_{l + 1}", "k", 1),
                                  (k, 1, W_next.rows)),
                           nt.Applied(rule.display, nt.Entry(f"Z_{l}", 1, 1), prime=True), evaluate=False)
            written = sp.Mul(product_expansion(W_next.T[0, :], d_next[:, 0])[0, 0],
                             nt.Applied(rule.display, Zs[l - 1][0, 0], prime=True), evaluate=False)
            b.say("The first entry, worked:")
            b.equation(nt.Entry(f"delta_{l}", 1, 1), entry, [written], d[0, 0])
    return deltas


@cache
def _hidden_delta_formula(l: int, W_shape: tuple[int, int], d_next_shape: tuple[int, int],
                          d_shape: tuple[int, int], display: str) -> sp.Basic:
    """δ_l = (W_(l+1)ᵀ δ_(l+1)) ⊙ f'(Z_l) in symbols (cached: no number of the exercise in it)."""
    Wn, dn = nt.matrix(f"W_{l + 1}", *W_shape), nt.matrix(f"delta_{l + 1}", *d_next_shape)
    return nt.Hadamard(sp.MatMul(Wn.T, dn), nt.Elementwise(display, nt.matrix(f"Z_{l}", *d_shape), prime=True))


@cache
def _weight_gradient_formula(l: int, prev: str, W_shape: tuple[int, int], d_shape: tuple[int, int],
                             prev_shape: tuple[int, int]) -> tuple[sp.Basic, sp.Basic]:
    """(∂L/∂W_l, δ_l A_(l−1)ᵀ) in symbols (cached: no number of the exercise in them)."""
    return (nt.partial(sp.Symbol("L"), nt.matrix(f"W_{l}", *W_shape)),
            sp.MatMul(nt.matrix(f"delta_{l}", *d_shape), nt.matrix(prev, *prev_shape).T))


def show_output_delta(b: Builder, setting: Setting, Z: Matrix, A: Matrix, limit: tuple[int, int]) -> Matrix:
    """∂L/∂Z of the last layer: the rule SymPy finds, then the numbers."""
    L_sym, yhat, z = sp.Symbol("L"), sp.Symbol("yhat"), sp.Symbol("z")
    rule, loss, scale, L_idx = setting.rules[-1], setting.loss, setting.scale, len(setting.rules)
    d_out = output_delta_values(setting, Z, A)
    if scale != 1:
        b.say("Because the loss averages, every output delta carries the factor ", scale, ".")
    if rule.activation is None:
        sym = softmax_symbols(Z.rows)
        rules = setting.objective.softmax_delta(int(Z.rows)).exprs
        b.say(f"SymPy differentiates the {loss.description} of ", nt.Applied("softmax", sp.Symbol("z")),
              " with respect to each ", sp.Symbol("z_i"), " (through the Jacobian above) and simplifies; "
              "for the first class:")
        b.equation(nt.Partial(L_sym, sym.z[0]), sp.factor(rules[0] * scale))
        if loss.name == "cross_entropy":
            b.say("Using that the targets of a sample sum to 1, every Jacobian term cancels: the output delta "
                  "is simply ", sp.Symbol("yhat") - y, ".")
        written = written_softmax(Z)
        with sp.evaluate(False):
            d_sub = Matrix(Z.rows, Z.cols, lambda i, j: _written_softmax_delta(rules[i], sym, written, setting.Y, j,
                                                                                scale))
    else:
        delta_rule, general, shown_rule = _output_delta_rules(loss, rule.activation, rule.alpha, scale)
        b.say("The output delta is ", nt.partial(L_sym, nt.matrix(f"Z_{L_idx}", *Z.shape)), " of the last layer. "
              "SymPy differentiates the loss with respect to the prediction ", yhat, " and multiplies by the "
              "activation's derivative; entry by entry:")
        b.equation(nt.Partial(L_sym, yhat), general)
        chained = _chain_rule_in_output(general, rule.activation, shown_rule, yhat)
        if delta_rule != a - y and chained is not None:
            # The chain rule as a course writes it: dL/dŷ times f'(z) written with ŷ = f(z).
            b.equation(nt.Partial(L_sym, z), nt.Product(nt.Partial(L_sym, yhat), nt.Applied(rule.display, z, prime=True)),
                       [chained, shown_rule])
            b.say("SymPy confirms that this product equals its derivative of the composed loss; the "
                  "substitution below uses the product.")
            shown_rule = chained
        else:
            b.equation(nt.Partial(L_sym, z), shown_rule)
        if delta_rule == a - y:
            b.say("The activation's derivative cancels the loss's denominator: the output delta is simply ",
                  yhat - y, " (times the averaging factor)." if scale != 1 else ".")
        d_sub = Matrix(Z.rows, Z.cols, [put_in_unevaluated(shown_rule, {yhat: av, y: yv, z: zv})
                                        for zv, av, yv in zip(Z, A, setting.Y)])
    record(b, nt.matrix(f"delta_{L_idx}", *d_out.shape), None, [d_sub] if fits(limit, d_out) else [], d_out,
           f"delta{L_idx}", "output delta", exact_shown=rule.activation is not None)
    if not fits(limit, d_out):
        b.say("The first entry, worked:")
        b.equation(nt.Entry(f"delta_{L_idx}", 1, 1), None, [d_sub[0, 0]], d_out[0, 0])
    return d_out


@cache
def _output_delta_rules(loss: Loss, activation: Activation, alpha: sp.Basic | None, scale: sp.Basic
                        ) -> tuple[sp.Basic, sp.Basic, sp.Basic]:
    """(SymPy's output-delta rule, ∂L/∂ŷ as shown, ∂L/∂z as shown): the formulas of an elementwise
    output layer, independent of the numbers (cached: variants of one exercise reuse them)."""
    yhat, z = sp.Symbol("yhat"), sp.Symbol("z")
    delta_rule = output_delta(loss.name, activation)
    general = (sp.factor(loss.derivative) * scale).xreplace({a: yhat})
    shown_rule = (delta_rule * scale).xreplace({a: yhat, x: z})
    if alpha is not None:
        shown_rule = shown_rule.xreplace({alpha_symbol: alpha})
    return delta_rule, general, shown_rule


@cache  # proven once per (loss, activation, scale): variants solve the same rule many times
def _chain_rule_in_output(dL_dyhat: sp.Basic, activation: object, rule: sp.Basic, yhat: sp.Symbol) -> sp.Basic | None:
    """``∂L/∂ŷ · f′`` with f′ in its course form written in the output ŷ (σ′ = ŷ(1 − ŷ)), when the
    activation's form uses only its own value and SymPy proves the product equal to ``rule``."""
    form = form_for(activation)  # type: ignore[arg-type]
    if form is None or form.uses != (form.activation.name,):
        return None
    slope = form.at_values({form.activation.name: yhat})
    product = nt.Product(dL_dyhat, *(slope.args if isinstance(slope, nt.Product) else (slope,)))
    difference = product.doit() - rule
    # cancel first: it proves the built-in forms equal without simplify's import of sympy.physics
    if sp.cancel(difference) != 0 and sp.simplify(difference) != 0:
        return None
    return product


def _written_softmax_delta(rule: sp.Basic, sym: object, A: Matrix, Y: Matrix, j: int, scale: sp.Basic) -> sp.Basic:
    mapping = {**{s: A[i, j] for i, s in enumerate(sym.a)},  # type: ignore[attr-defined]
               **{s: Y[i, j] for i, s in enumerate(sym.y)}}  # type: ignore[attr-defined]
    written = rule.xreplace(mapping)
    return written if scale == 1 else sp.Mul(scale, written, evaluate=False)


def show_gradients(b: Builder, setting: Setting, params: Params, deltas: list[Matrix], As: list[Matrix],
                   limit: tuple[int, int]) -> list[str]:
    """∂L/∂W_l = δ_l A_(l−1)^T and ∂L/∂b_l = δ_l summed over samples; returns the quantity names."""
    b.heading("Gradients")
    if setting.samples > 1:
        b.say("With several samples the products below sum over them: ", GENERAL["weight_gradient"],
              " adds one outer product per sample, and ", GENERAL["bias_gradient"], " adds the columns of ",
              GENERAL["delta"], ".")
    L_sym, names = sp.Symbol("L"), []
    for l in range(1, len(params.Ws) + 1):
        d, A_prev = deltas[l - 1], As[l - 1]
        grad = weight_gradient(d, A_prev)
        prev = "x" if l == 1 else f"A_{l - 1}"
        subs = [sp.MatMul(d, A_prev.T, evaluate=False)] if fits(limit, d, A_prev, grad) else []
        label, general = _weight_gradient_formula(l, prev, params.Ws[l - 1].shape, d.shape, A_prev.shape)
        record(b, label, general, subs, grad, f"dL_dW{l}", ("gradient of ", sp.Symbol(f"W_{l}")))
        names.append(f"dL_dW{l}")
        if not fits(limit, d, A_prev, grad):
            s = sp.Symbol("s")
            b.say("The first entry, worked:")
            b.equation(nt.Partial(L_sym, nt.Entry(f"W_{l}", 1, 1)),
                       sp.Sum(nt.Entry(f"delta_{l}", 1, "s") * nt.Entry(prev, 1, "s"), (s, 1, d.cols)),
                       [product_expansion(d[0, :], A_prev[0, :].T)[0, 0]], grad[0, 0])
        if params.bs[l - 1] is not None:
            gb = bias_gradient(d)
            formula = nt.matrix(f"delta_{l}", *d.shape) if d.cols == 1 else None
            subs_b = []
            if d.cols > 1 and fits(limit, d):
                with sp.evaluate(False):
                    subs_b = [Matrix(d.rows, 1, [sp.Add(*d.row(i), evaluate=False) for i in range(d.rows)])]
            record(b, nt.partial(L_sym, nt.matrix(f"b_{l}", d.rows, 1)), formula, subs_b, gb, f"dL_db{l}",
                   ("gradient of ", sp.Symbol(f"b_{l}")))
            names.append(f"dL_db{l}")
    return names
