"""Forward passes and backpropagation through dense layers (kinds ``forward`` and ``network``).

Layer weights are (outputs x inputs): Z_l = W_l A_(l-1) + b_l and A_l = f_l(Z_l).
The output delta comes from :func:`symnn.calculus.output_delta` (SymPy's
simplification of the loss composed with the activation); hidden deltas from the
chain rule with each activation's SymPy derivative.
"""

from __future__ import annotations

import sympy as sp

from symnn import notation as nt
from symnn.calculus import ACTIVATIONS, LOSSES, Activation, a, output_delta, x, y
from symnn.calculus import alpha as alpha_symbol
from symnn.exercises._build import Builder, entrywise, exact, product_expansion, small, to_matrix
from symnn.spec import ExerciseSpec, Layer
from symnn.steps import Derivation


def _alpha(act: Activation, alpha: object) -> sp.Basic | None:
    return exact(alpha) if act.has_alpha and alpha is not None else None  # type: ignore[arg-type]


def define_activation(b: Builder, act: Activation, alpha: sp.Basic | None) -> None:
    """State an activation's definition and its SymPy derivative."""
    f_x = nt.Applied(act.display, x)
    df_x = nt.Applied(act.display, x, prime=True)
    definition, derivative = act.definition, act.derivative
    if alpha is not None:
        b.say("Here ", sp.Eq(sp.Symbol("alpha"), alpha, evaluate=False), ".")
    b.equation(f_x, definition)
    b.equation(df_x, derivative)
    if act.name in ("relu", "leaky_relu", "elu"):
        b.say("At ", sp.Eq(x, 0, evaluate=False), " the derivative does not exist; symnn uses the convention ",
              sp.Eq(nt.Applied(act.display, sp.Integer(0), prime=True), act.derivative.subs(x, 0), evaluate=False),
              " (the value of the branch x ≤ 0).")


def weighted_sum(
    b: Builder,
    index: int | None,
    W: sp.ImmutableMatrix,
    A_prev: sp.ImmutableMatrix,
    bias: sp.ImmutableMatrix | None,
    prev_name: str,
) -> sp.ImmutableMatrix:
    """Show and compute Z = W A_prev + b (b added to every column); return Z."""
    sfx = "" if index is None else f"_{index}"
    Ws = nt.matrix(f"W{sfx}", W.rows, W.cols)
    As = nt.matrix(prev_name, A_prev.rows, A_prev.cols)
    Z = W * A_prev
    formula: sp.Basic = Ws * As
    substituted: list[sp.Basic] = [sp.MatMul(W, A_prev, evaluate=False)]
    if bias is not None:
        Z = Z + sp.ImmutableMatrix(W.rows, A_prev.cols, lambda i, j: bias[i, 0])
        formula = formula + nt.matrix(f"b{sfx}", W.rows, 1)
        substituted = [sp.MatAdd(substituted[0], bias, evaluate=False)]
    Z = sp.ImmutableMatrix(Z)
    if small(Z) and W.cols <= 8:
        substituted.append(product_expansion(W, A_prev, bias))
    return b.equation(nt.matrix(f"Z{sfx}", *Z.shape), formula, substituted, Z,  # type: ignore[return-value]
                      quantity=f"Z{'' if index is None else index}", caption="pre-activation")


def activate(
    b: Builder, index: int | None, Z: sp.ImmutableMatrix, act: Activation, alpha: sp.Basic | None
) -> sp.ImmutableMatrix:
    """Show and compute A = f(Z) entry by entry; return A."""
    sfx = "" if index is None else f"_{index}"
    Zs, As = nt.matrix(f"Z{sfx}", *Z.shape), nt.matrix(f"A{sfx}", *Z.shape)
    A = entrywise(Z, lambda v: act.at(v, alpha))
    subs: list[sp.Basic] = []
    if act.name != "identity":
        subs.append(nt.Elementwise(act.display, Z))
        if small(Z):
            subs.append(entrywise(Z, lambda v: nt.Applied(act.display, v)))
    return b.equation(As, nt.Elementwise(act.display, Zs), subs, A,  # type: ignore[return-value]
                      quantity=f"A{'' if index is None else index}", caption="activation")


def solve_forward(spec: ExerciseSpec) -> Derivation:
    """A single dense layer: weighted sum and activation."""
    f = spec.fields
    b = Builder(spec, "Forward pass")
    act = ACTIVATIONS[f["activation"]]
    alpha = _alpha(act, f.get("alpha"))
    W, X = to_matrix(f["W"]), to_matrix(f["X"])
    bias = to_matrix(f["b"]) if f.get("b") is not None else None
    b.heading("Weighted sum")
    b.say("Each output is the weighted sum of the inputs plus its bias: row i of W times the input, "
          f"plus entry i of b. W is {W.rows}×{W.cols} and X is {X.rows}×{X.cols}, so Z is {W.rows}×{X.cols}.")
    Z = weighted_sum(b, None, W, X, bias, "X")
    b.heading("Activation")
    define_activation(b, act, alpha)
    activate(b, None, Z, act, alpha)
    return b.done(["Z", "A"])


def _loss_formula(loss: str, n: int) -> sp.Basic:
    term = LOSSES[loss].term
    yhat = sp.Symbol("yhat")
    if n == 1:
        return term.xreplace({a: yhat})
    i = sp.Symbol("i", integer=True)
    body = term.xreplace({y: sp.Indexed("y", i), a: sp.Indexed("yhat", i)})
    total = sp.Sum(body, (i, 1, n))
    return total / n if LOSSES[loss].reduction == "mean" else total


def solve_network(spec: ExerciseSpec) -> Derivation:
    """Forward pass, loss, backpropagation and (optionally) one gradient-descent step."""
    f = spec.fields
    layers: tuple[Layer, ...] = f["layers"]
    loss = LOSSES[f["loss"]]
    b = Builder(spec, "Backpropagation")
    X, Y = to_matrix(f["x"]), to_matrix(f["y"])
    n_layers = len(layers)
    acts = [ACTIVATIONS[layer.activation] for layer in layers]
    alphas = [_alpha(act, layer.alpha) for act, layer in zip(acts, layers)]
    Ws = [to_matrix(layer.W) for layer in layers]
    bs = [to_matrix(layer.b) if layer.b is not None else None for layer in layers]

    b.heading("Forward pass")
    b.say(f"The input x is {X.rows}×{X.cols}" + (" (one column per sample)" if X.cols > 1 else "")
          + ". Each layer computes Z_l = W_l A_(l−1) + b_l and A_l = f_l(Z_l), with A_0 = x.")
    seen: set[str] = set()
    Zs, As = [], [X]
    for l, (W, bias, act, alpha) in enumerate(zip(Ws, bs, acts, alphas), start=1):
        if act.name not in seen and act.name != "identity":
            seen.add(act.name)
            define_activation(b, act, alpha)
        Z = weighted_sum(b, l, W, As[-1], bias, "x" if l == 1 else f"A_{l - 1}")
        A = activate(b, l, Z, act, alpha)
        Zs.append(Z)
        As.append(A)
        if act.name == "relu" and all(v <= 0 for v in Z):
            b.say(f"Every entry of Z_{l} is ≤ 0, so the ReLU layer outputs only zeros: it is dead for this "
                  "input, and no gradient flows back through it.")
    out = As[-1]

    b.heading("Loss")
    n_entries = Y.rows * Y.cols
    L = loss.value(list(Y), list(out))
    L_sym = sp.Symbol("L")
    with sp.evaluate(False):
        parts = [loss.term.xreplace({y: t, a: p}) for t, p in zip(Y, out)]
    sub = parts[0] if len(parts) == 1 else sp.Add(*parts, evaluate=False)
    if loss.reduction == "mean":
        sub = sp.Mul(sub, sp.Pow(n_entries, -1, evaluate=False), evaluate=False)
    b.say(f"The loss is the {loss.description}"
          + (f", taken over all {n_entries} output entries" if n_entries > 1 else "") + ".")
    b.equation(L_sym, _loss_formula(loss.name, n_entries), [sub] if small(Y) else [], L, quantity="L",
               caption="loss")

    b.heading("Backpropagation")
    out_act = acts[-1]
    general = sp.factor(loss.derivative) if loss.reduction == "sum" else loss.derivative / n_entries
    delta_rule = output_delta(loss.name, out_act.name)
    if loss.reduction == "mean":
        delta_rule = delta_rule / n_entries
    yhat = sp.Symbol("yhat")
    z = sp.Symbol("z")
    b.say("The output delta is ∂L/∂Z of the last layer. SymPy differentiates the loss with respect to the "
          "prediction ŷ and multiplies by the activation's derivative; entry by entry:")
    b.equation(nt.Partial(L_sym, yhat), general.xreplace({a: yhat}))
    shown = delta_rule.xreplace({a: yhat, x: z})
    if alphas[-1] is not None:
        shown = shown.xreplace({alpha_symbol: alphas[-1]})
    b.equation(nt.Partial(L_sym, z), shown)
    if delta_rule == a - y:
        b.say("The activation's derivative cancels the loss's denominator: the output delta is simply ŷ − y.")

    deltas: list[sp.ImmutableMatrix] = [sp.ImmutableMatrix([[0]])] * n_layers
    Zl, Al = Zs[-1], out

    def out_delta(zv: sp.Basic, av: sp.Basic, yv: sp.Basic) -> sp.Basic:
        mapping = {a: av, y: yv, x: zv}
        if alphas[-1] is not None:
            mapping[alpha_symbol] = alphas[-1]
        # subs (not xreplace) so a Piecewise derivative picks its branch for the number.
        return delta_rule.subs(mapping)

    d_out = sp.ImmutableMatrix(Zl.rows, Zl.cols, [out_delta(zv, av, yv) for zv, av, yv in zip(Zl, Al, Y)])
    d_out = sp.ImmutableMatrix(d_out.rows, d_out.cols, [_tidy(v) for v in d_out])
    deltas[-1] = d_out
    L_idx = n_layers
    with sp.evaluate(False):
        d_sub = sp.ImmutableMatrix(Zl.rows, Zl.cols,
                                   [shown.xreplace({yhat: av, y: yv, z: zv}) for zv, av, yv in zip(Zl, Al, Y)])
    b.equation(sp.Symbol(f"delta_{L_idx}"), None, [d_sub] if small(d_out) else [], d_out,
               quantity=f"delta{L_idx}", caption="output delta ∂L/∂Z")
    for l in range(n_layers - 1, 0, -1):
        W_next, d_next = Ws[l], deltas[l]
        act, alpha = acts[l - 1], alphas[l - 1]
        back = sp.ImmutableMatrix(W_next.T * d_next)
        fprime = entrywise(Zs[l - 1], lambda v: act.derivative_at(v, alpha))
        d = sp.ImmutableMatrix(back.rows, back.cols, [_tidy(p * q) for p, q in zip(back, fprime)])
        deltas[l - 1] = d
        Wn = nt.matrix(f"W_{l + 1}", W_next.rows, W_next.cols)
        dn = nt.matrix(f"delta_{l + 1}", d_next.rows, d_next.cols)
        Zsym = nt.matrix(f"Z_{l}", d.rows, d.cols)
        formula = nt.Hadamard(sp.MatMul(Wn.T, dn), nt.Elementwise(act.display, Zsym, prime=True))
        subs = [nt.Hadamard(sp.MatMul(W_next.T, d_next, evaluate=False),
                            nt.Elementwise(act.display, Zs[l - 1], prime=True)),
                nt.Hadamard(back, fprime)]
        b.equation(nt.matrix(f"delta_{l}", d.rows, d.cols), formula, subs, d, quantity=f"delta{l}",
                   caption=f"delta of layer {l}")
    b.heading("Gradients")
    for l in range(1, n_layers + 1):
        d, A_prev = deltas[l - 1], As[l - 1]
        grad = sp.ImmutableMatrix(d * A_prev.T)
        prev = "x" if l == 1 else f"A_{l - 1}"
        b.equation(nt.partial(L_sym, nt.matrix(f"W_{l}", *Ws[l - 1].shape)),
                   sp.MatMul(nt.matrix(f"delta_{l}", *d.shape), nt.matrix(prev, *A_prev.shape).T),
                   [sp.MatMul(d, A_prev.T, evaluate=False)], grad, quantity=f"dL_dW{l}",
                   caption=f"gradient of W_{l}")
        if bs[l - 1] is not None:
            gb = sp.ImmutableMatrix(d.rows, 1, [sum(d.row(i)) for i in range(d.rows)])
            b.equation(nt.partial(L_sym, nt.matrix(f"b_{l}", d.rows, 1)), nt.matrix(f"delta_{l}", *d.shape)
                       if d.cols == 1 else None, [], gb, quantity=f"dL_db{l}", caption=f"gradient of b_{l}")
    lr = f.get("learning_rate")
    if lr is not None:
        eta = exact(lr)
        b.heading("Gradient-descent step")
        b.say("Each parameter moves against its gradient, scaled by the learning rate η = ", eta, ".")
        for l in range(1, n_layers + 1):
            W = Ws[l - 1]
            grad = sp.ImmutableMatrix(deltas[l - 1] * As[l - 1].T)
            new = sp.ImmutableMatrix(W - eta * grad)
            Wsym = nt.matrix(f"W_{l}", *W.shape)
            b.equation(nt.matrix(f"W_{l}^new", *W.shape),
                       sp.MatAdd(Wsym, sp.MatMul(-1, sp.Symbol("eta"), nt.partial(L_sym, Wsym))),
                       [sp.MatAdd(W, sp.MatMul(-eta, grad, evaluate=False), evaluate=False)], new,
                       quantity=f"W{l}_new", caption=f"updated W_{l}")
            if bs[l - 1] is not None:
                d = deltas[l - 1]
                gb = sp.ImmutableMatrix(d.rows, 1, [sum(d.row(i)) for i in range(d.rows)])
                bias = sp.ImmutableMatrix(bs[l - 1])
                b.equation(nt.matrix(f"b_{l}^new", bias.rows, 1), None,
                           [sp.MatAdd(bias, sp.MatMul(-eta, gb, evaluate=False), evaluate=False)],
                           sp.ImmutableMatrix(bias - eta * gb), quantity=f"b{l}_new", caption=f"updated b_{l}")
    summary = [f"A{l}" for l in range(1, n_layers + 1)] + ["L"]
    summary += [f"dL_dW{l}" for l in range(1, n_layers + 1)]
    summary += [f"dL_db{l}" for l in range(1, n_layers + 1) if bs[l - 1] is not None]
    if lr is not None:
        summary += [f"W{l}_new" for l in range(1, n_layers + 1)]
    return b.done(summary)


def _tidy(value: sp.Basic) -> sp.Basic:
    """Combine an exact value over one denominator when that is cheap (never a full simplify)."""
    if value.is_Rational or value.count_ops() > 40:
        return value
    return sp.together(value)
