"""Forward passes and backpropagation through dense layers (kinds ``forward`` and ``network``).

Layer weights are (outputs x inputs): Z_l = W_l A_(l-1) + b_l and A_l = f_l(Z_l), one
column per sample.  The output delta comes from :mod:`symnn.core.calculus` (SymPy's
simplification of the loss composed with the output activation, or of softmax with
its loss); hidden deltas from the chain rule with each activation's SymPy
derivative.  The computations live in small functions on exact values
(:func:`forward_values`, :func:`backward_values`, ...); the ``show_*`` functions
write the same computations as steps for the first pass, and later
gradient-descent steps reuse the silent ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import sympy as sp

from symnn.core.calculus import (
    LOSSES,
    SOFTMAX,
    Activation,
    Loss,
    a,
    activation_for,
    output_delta,
    softmax_definition,
    softmax_jacobian,
    softmax_output_delta,
    softmax_symbols,
    x,
    y,
)
from symnn.core.calculus import alpha as alpha_symbol
from symnn.errors import MathDomainError, SpecError
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, entrywise, exact, product_expansion, to_matrix
from symnn.sheets.kinds.certified_training import CERTIFIED_DIGITS, as_rational, certified_trajectory
from symnn.sheets.render.printing import approximate
from symnn.sheets.spec import ExerciseSpec, Layer
from symnn.sheets.steps import Derivation, Equation, Quantity

SHOW_LIMIT = 64
"""Results with more entries than this are left to the answer key (a worked entry is shown)."""
GROWTH_LIMIT = 1000
"""Most SymPy operations the exact parameters may hold before another forward pass is refused.

With sigmoid-like activations every step nests the previous exponentials inside new
ones, so exact parameters grow geometrically; past this size a forward pass takes
minutes.  Piecewise-linear networks with polynomial losses stay rational and never
come near it."""

Matrix: TypeAlias = sp.ImmutableMatrix


# ---------------------------------------------------------------------------
# Exact computations (no steps).


@dataclass(frozen=True, slots=True)
class Rule:
    """How one layer activates: an elementwise activation, or softmax over each column."""

    name: str
    """Spec name (``"softmax"``, a built-in, or a custom activation's name)."""
    activation: Activation | None
    """The elementwise activation; None for softmax."""
    alpha: sp.Basic | None
    """The exact alpha of leaky ReLU / ELU, else None."""

    @property
    def display(self) -> str:
        return self.activation.display if self.activation is not None else "softmax"

    def apply(self, Z: Matrix) -> Matrix:
        """A = f(Z), exactly."""
        if self.activation is None:
            return softmax_columns(Z)
        act, alpha = self.activation, self.alpha
        return entrywise(Z, lambda v: finite(act.at(v, alpha), act.display, v))

    def slope(self, Z: Matrix) -> Matrix:
        """f'(Z) entry by entry (elementwise activations only)."""
        assert self.activation is not None, "softmax is an output layer; its slope is its Jacobian"
        act, alpha = self.activation, self.alpha
        return entrywise(Z, lambda v: finite(act.derivative_at(v, alpha), act.display + "'", v))


def finite(value: sp.Basic, what: str, at: sp.Basic) -> sp.Basic:
    """``value``, or a :class:`MathDomainError` when it is infinite or undefined."""
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise MathDomainError(f"{what} is undefined or infinite at {at}")
    return value


def rule_of(layer: Layer) -> Rule:
    """The activation rule of a spec layer."""
    if layer.activation == SOFTMAX:
        return Rule(SOFTMAX, None, None)
    act = activation_for(layer.activation, layer.formula)
    alpha = exact(layer.alpha) if act.has_alpha and layer.alpha is not None else None
    return Rule(layer.activation, act, alpha)


def softmax_columns(Z: Matrix) -> Matrix:
    """softmax of each column of Z, from the one definition in :mod:`symnn.core.calculus`."""
    n = Z.rows
    definition, z = softmax_definition(n), softmax_symbols(n).z
    columns = []
    for j in range(Z.cols):
        mapping = {z[i]: Z[i, j] for i in range(n)}
        columns.append([_tidy(e.xreplace(mapping)) for e in definition])
    return Matrix(n, Z.cols, lambda i, j: columns[j][i])


@dataclass(frozen=True, slots=True)
class Params:
    """The trainable parameters of a network at one moment."""

    Ws: tuple[Matrix, ...]
    """Weights per layer."""
    bs: tuple[Matrix | None, ...]
    """Bias column per layer (None for a layer without bias)."""


@dataclass(frozen=True, slots=True)
class Setting:
    """Everything about a network exercise except its parameters."""

    X: Matrix
    """Inputs, one column per sample."""
    Y: Matrix
    """Targets, one column per sample (one-hot for cross-entropy)."""
    rules: tuple[Rule, ...]
    """Activation rule per layer."""
    loss: Loss
    """The loss."""
    reduction: str
    """``"sum"`` or ``"mean"`` over the samples of a batch."""
    learning_rate: sp.Basic | None
    """η, or None when no gradient-descent step is asked for."""
    steps: int | None
    """Number of gradient-descent steps whose losses are asked for (None: one step, no loss after it)."""
    update_biases: bool
    """Whether biases take part in the gradient-descent steps."""

    @property
    def samples(self) -> int:
        return int(self.X.cols)

    @property
    def scale(self) -> sp.Rational:
        """The factor of every output delta: 1/n for a mean over outputs, 1/m for a mean over samples."""
        per_entry = sp.Rational(1, self.Y.rows) if self.loss.reduction == "mean" else sp.S.One
        per_sample = sp.Rational(1, self.samples) if self.reduction == "mean" else sp.S.One
        return per_entry * per_sample


def weighted_sum_value(W: Matrix, A_prev: Matrix, bias: Matrix | None) -> Matrix:
    """Z = W A_prev + b, the bias added to every column."""
    Z = W * A_prev
    if bias is not None:
        Z = Z + Matrix(W.rows, A_prev.cols, lambda i, j: bias[i, 0])
    return Matrix(Z)


def forward_values(setting: Setting, params: Params) -> tuple[list[Matrix], list[Matrix]]:
    """Pre-activations Z_1…Z_L and activations A_0 = x, A_1…A_L."""
    Zs: list[Matrix] = []
    As: list[Matrix] = [setting.X]
    for W, bias, rule in zip(params.Ws, params.bs, setting.rules):
        Zs.append(weighted_sum_value(W, As[-1], bias))
        As.append(rule.apply(Zs[-1]))
    return Zs, As


def sample_losses(setting: Setting, out: Matrix) -> list[sp.Basic]:
    """The loss of each sample (each column): its entries' terms summed, or averaged for MSE."""
    loss, Y = setting.loss, setting.Y
    losses = []
    for j in range(out.cols):
        terms = [loss.term.xreplace({y: Y[i, j], a: out[i, j]}) for i in range(out.rows)]
        total = sp.Add(*terms)
        losses.append(total / out.rows if loss.reduction == "mean" else total)
    return losses


def loss_value(setting: Setting, out: Matrix) -> sp.Basic:
    """The batch loss: the samples' losses summed or averaged."""
    total = sp.Add(*sample_losses(setting, out))
    value = total / setting.samples if setting.reduction == "mean" else total
    return finite(value, f"the {setting.loss.description}", "the network's output")


def output_delta_values(setting: Setting, Z: Matrix, A: Matrix) -> Matrix:
    """∂L/∂Z of the output layer, entry by entry, from SymPy's simplified rule."""
    rule, Y, scale = setting.rules[-1], setting.Y, setting.scale
    if rule.activation is None:
        rules = softmax_output_delta(setting.loss.name, Z.rows)
        sym = softmax_symbols(Z.rows)
        columns = []
        for j in range(Z.cols):
            mapping = {**{s: A[i, j] for i, s in enumerate(sym.a)}, **{s: Y[i, j] for i, s in enumerate(sym.y)}}
            columns.append([_tidy(r.xreplace(mapping) * scale) for r in rules])
        return Matrix(Z.rows, Z.cols, lambda i, j: columns[j][i])
    delta_rule = output_delta(setting.loss.name, rule.activation)

    def entry(zv: sp.Basic, av: sp.Basic, yv: sp.Basic) -> sp.Basic:
        mapping = {a: av, y: yv, x: zv}
        if rule.alpha is not None:
            mapping[alpha_symbol] = rule.alpha
        # subs (not xreplace) so a Piecewise derivative picks its branch for the number.
        return _tidy(delta_rule.subs(mapping) * scale)

    return Matrix(Z.rows, Z.cols, [entry(zv, av, yv) for zv, av, yv in zip(Z, A, Y)])


def hidden_delta_value(W_next: Matrix, d_next: Matrix, rule: Rule, Z: Matrix) -> tuple[Matrix, Matrix, Matrix]:
    """(W_next^T δ_next, f'(Z), their entrywise product δ)."""
    back = Matrix(W_next.T * d_next)
    slope = rule.slope(Z)
    return back, slope, Matrix(back.rows, back.cols, [_tidy(p * q) for p, q in zip(back, slope)])


def backward_values(setting: Setting, params: Params, Zs: list[Matrix], As: list[Matrix]) -> list[Matrix]:
    """δ_1…δ_L, from the output back."""
    deltas = [output_delta_values(setting, Zs[-1], As[-1])]
    for l in range(len(Zs) - 1, 0, -1):
        deltas.insert(0, hidden_delta_value(params.Ws[l], deltas[0], setting.rules[l - 1], Zs[l - 1])[2])
    return deltas


def weight_gradient(delta: Matrix, A_prev: Matrix) -> Matrix:
    """∂L/∂W = δ A_prev^T (summing over the samples)."""
    return Matrix(delta * A_prev.T)


def bias_gradient(delta: Matrix) -> Matrix:
    """∂L/∂b = δ's columns summed (one per sample)."""
    return Matrix(delta.rows, 1, [sp.Add(*delta.row(i)) for i in range(delta.rows)])


def descend(setting: Setting, params: Params, deltas: Sequence[Matrix], As: Sequence[Matrix]) -> Params:
    """One gradient-descent step: every parameter minus η times its gradient."""
    eta = setting.learning_rate
    assert eta is not None
    Ws = tuple(Matrix(W - eta * weight_gradient(d, A)) for W, d, A in zip(params.Ws, deltas, As))
    bs = tuple(
        Matrix(bias - eta * bias_gradient(d)) if bias is not None and setting.update_biases else bias
        for bias, d in zip(params.bs, deltas))
    return Params(Ws, bs)


# ---------------------------------------------------------------------------
# Showing the computations.


def fits(limit: tuple[int, int], *matrices: sp.MatrixBase) -> bool:
    """Whether every matrix is small enough to write its substitution out entry by entry."""
    return all(m.rows <= limit[0] and m.cols <= limit[1] for m in matrices)


def shown(value: sp.Basic) -> bool:
    """Whether a result is printed on the sheet (else only in the answer key)."""
    return not isinstance(value, sp.MatrixBase) or int(value.rows * value.cols) <= SHOW_LIMIT


def record(b: Builder, lhs: sp.Basic, formula: sp.Basic | None, substituted: Sequence[sp.Basic],
           value: Matrix, quantity: str, caption: str) -> Matrix:
    """Show an equation and record its quantity; a result too large to print goes to the answer key only."""
    if shown(value):
        b.equation(lhs, formula, substituted, value, quantity=quantity, caption=caption)
        return value
    b.step(Equation(lhs, formula, tuple(substituted)))
    b.quantities.append(Quantity(quantity, lhs, value, caption))
    b.say(f"The {value.rows}×{value.cols} result has {value.rows * value.cols} entries; all of them are in "
          f"the answer key under {quantity}.")
    return value


def define_activation(b: Builder, act: Activation, alpha: sp.Basic | None) -> None:
    """State an activation's definition and its SymPy derivative."""
    f_x = nt.Applied(act.display, x)
    df_x = nt.Applied(act.display, x, prime=True)
    if alpha is not None:
        b.say("Here ", sp.Eq(sp.Symbol("alpha"), alpha, evaluate=False), ".")
    b.equation(f_x, act.definition)
    b.equation(df_x, act.derivative)
    if act.name in ("relu", "leaky_relu", "elu"):
        b.say("At ", sp.Eq(x, 0, evaluate=False), " the derivative does not exist; symnn uses the convention ",
              sp.Eq(nt.Applied(act.display, sp.Integer(0), prime=True), act.derivative.subs(x, 0), evaluate=False),
              " (the value of the branch x ≤ 0).")
    elif act.has_kink:
        b.say("Where this formula has a corner (|x| or max/min switching), symnn uses the derivative SymPy "
              "gives at that point: sign(0) = 0, and at a tie max and min take the second argument's slope.")


def define_softmax(b: Builder, n: int) -> None:
    """State softmax for n classes and its Jacobian, both from SymPy."""
    sym = softmax_symbols(n)
    J = softmax_jacobian(n)
    b.say(f"Softmax turns the {n} pre-activations of each sample (a column) into probabilities that sum to 1:")
    b.equation(sp.Symbol("yhat_1"), softmax_definition(n)[0])
    b.say("and likewise for each class i. SymPy differentiates this definition; written in the outputs, "
          "its Jacobian is")
    b.equation(nt.Partial(sym.a[0], sym.z[0]), J[0, 0])
    b.equation(nt.Partial(sym.a[0], sym.z[1]), J[0, 1])


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
    Ws = nt.matrix(f"W{sfx}", W.rows, W.cols)
    As = nt.matrix(prev_name, A_prev.rows, A_prev.cols)
    Z = weighted_sum_value(W, A_prev, bias)
    formula: sp.Basic = Ws * As
    if bias is not None:
        # With several samples b is added to every column; written as a matrix of Z's shape.
        formula = formula + nt.matrix(f"b{sfx}", W.rows, A_prev.cols)
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
        b.say(f"W{sfx} is {W.rows}×{W.cols}, too large to write out every entry; each entry of Z{sfx} is "
              "computed the same way. The first one, worked:")
        b.equation(nt.Entry(f"Z{sfx}", 1, 1), general, [product_expansion(W[0, :], A_prev[:, 0],
                   None if bias is None else Matrix([[bias[0, 0]]]))[0, 0]], Z[0, 0])
    return Z


def show_activation(b: Builder, index: int | None, Z: Matrix, rule: Rule, limit: tuple[int, int]) -> Matrix:
    """Show and compute A = f(Z) (softmax: per column); return A."""
    sfx = "" if index is None else f"_{index}"
    Zs, As = nt.matrix(f"Z{sfx}", *Z.shape), nt.matrix(f"A{sfx}", *Z.shape)
    A = rule.apply(Z)
    subs: list[sp.Basic] = []
    if rule.name != "identity" and fits(limit, Z):
        subs.append(nt.Elementwise(rule.display, Z))
        if rule.activation is not None:
            subs.append(entrywise(Z, lambda v: nt.Applied(rule.display, v)))
    quantity = f"A{'' if index is None else index}"
    record(b, As, nt.Elementwise(rule.display, Zs), subs, A, quantity, "activation")
    if not fits(limit, Z) and rule.activation is not None:
        b.say("The first entry, worked:")
        b.equation(nt.Entry(f"A{sfx}", 1, 1), nt.Applied(rule.display, nt.Entry(f"Z{sfx}", 1, 1)),
                   [nt.Applied(rule.display, Z[0, 0])], A[0, 0])
    return A


# ---------------------------------------------------------------------------
# Kind ``forward``.


def solve_forward(spec: ExerciseSpec[Any]) -> Derivation:
    """A single dense layer: weighted sum and activation."""
    f = spec.fields
    b = Builder(spec, "Forward pass")
    rule = rule_of(Layer(f["W"], f.get("b"), f["activation"], f.get("alpha"), f.get("formula")))
    W, X = to_matrix(f["W"]), to_matrix(f["X"])
    bias = to_matrix(f["b"]) if f.get("b") is not None else None
    limit = f.get("expand", (4, 4))
    b.heading("Weighted sum")
    b.say("Each output is the weighted sum of the inputs plus its bias: row i of W times the input, "
          f"plus entry i of b. W is {W.rows}×{W.cols} and X is {X.rows}×{X.cols}, so Z is {W.rows}×{X.cols}.")
    Z = show_weighted_sum(b, None, W, X, bias, "X", limit)
    b.heading("Activation")
    show_rule_definitions(b, [rule], W.rows)
    A = show_activation(b, None, Z, rule, limit)
    return b.done([n for n, v in (("Z", Z), ("A", A)) if shown(v)])


# ---------------------------------------------------------------------------
# Kind ``network``.


def setting_of(spec: ExerciseSpec[Any]) -> tuple[Setting, Params]:
    """The exact setting and initial parameters of a network exercise."""
    f = spec.fields
    layers: tuple[Layer, ...] = f["layers"]
    lr = f.get("learning_rate")
    setting = Setting(
        X=to_matrix(f["x"]), Y=to_matrix(f["y"]), rules=tuple(rule_of(layer) for layer in layers),
        loss=LOSSES[f["loss"]], reduction=f.get("reduction") or ("mean" if f["loss"] == "mse" else "sum"),
        learning_rate=exact(lr) if lr is not None else None, steps=f.get("steps"),
        update_biases=bool(f.get("update_biases", True)))
    params = Params(tuple(to_matrix(layer.W) for layer in layers),
                    tuple(to_matrix(layer.b) if layer.b is not None else None for layer in layers))
    return setting, params


def solve_network(spec: ExerciseSpec[Any]) -> Derivation:
    """Forward pass, loss, backpropagation and (optionally) gradient-descent steps."""
    try:
        return _solve_network(spec)
    except SpecError as exc:
        raise type(exc)(f"{spec.where}: exercise {spec.id} (network): {exc}") from None


def _solve_network(spec: ExerciseSpec[Any]) -> Derivation:
    f = spec.fields
    setting, params = setting_of(spec)
    limit: tuple[int, int] = f.get("expand", (4, 4))
    b = Builder(spec, "Backpropagation")
    Zs, As = show_forward(b, setting, params, limit)
    show_loss(b, setting, As[-1], f.get("y_classes"), limit)
    deltas = show_backward(b, setting, params, Zs, As, limit)
    gradients = show_gradients(b, setting, params, deltas, As, limit)
    n_layers = len(params.Ws)
    summary = [*(f"A{l}" for l in range(1, n_layers + 1)), "L", *gradients]
    if setting.learning_rate is not None:
        summary += show_training(b, setting, params, deltas, As, limit)
    return b.done([q for q in summary if shown(b_value(b, q))])


def b_value(b: Builder, name: str) -> sp.Basic:
    """The recorded value of a quantity (for choosing what the final results list)."""
    for q in b.quantities:
        if q.name == name:
            return q.exact
    raise KeyError(name)


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


def show_forward(b: Builder, setting: Setting, params: Params, limit: tuple[int, int]
                 ) -> tuple[list[Matrix], list[Matrix]]:
    """The forward pass, layer by layer, with each activation defined before its first use."""
    X = setting.X
    b.heading("Forward pass")
    b.say(f"The input x is {X.rows}×{X.cols}"
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
            b.say(f"Every entry of Z_{l} is ≤ 0, so the ReLU layer outputs only zeros: it is dead for this "
                  "input, and no gradient flows back through it.")
    return Zs, As


def _loss_formula(loss: Loss, n: int, m: int, reduction: str) -> sp.Basic:
    """The loss in symbols: one sample's terms summed (or averaged), then the samples combined."""
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


def loss_substitution(setting: Setting, out: Matrix) -> sp.Basic:
    """The loss with the numbers put in, unevaluated, written −(…) when every term is negated."""
    term, Y = setting.loss.term, setting.Y
    negated = term.could_extract_minus_sign()
    inner = -term if negated else term
    per_sample = []
    with sp.evaluate(False):
        for j in range(out.cols):
            parts = [inner.xreplace({y: Y[i, j], a: out[i, j]}) for i in range(out.rows)
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
              limit: tuple[int, int]) -> sp.Basic:
    """The loss, stated with its reduction, substituted and evaluated."""
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
    subs = [loss_substitution(setting, out)] if fits(limit, out) else []
    b.equation(sp.Symbol("L"), _loss_formula(loss, n, m, setting.reduction), subs, L, quantity="L",
               caption="loss")
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
        back, slope, d = hidden_delta_value(W_next, d_next, rule, Zs[l - 1])
        deltas.insert(0, d)
        Wn = nt.matrix(f"W_{l + 1}", W_next.rows, W_next.cols)
        dn = nt.matrix(f"delta_{l + 1}", d_next.rows, d_next.cols)
        Zsym = nt.matrix(f"Z_{l}", d.rows, d.cols)
        formula = nt.Hadamard(sp.MatMul(Wn.T, dn), nt.Elementwise(rule.display, Zsym, prime=True))
        subs: list[sp.Basic] = []
        if fits(limit, W_next, d_next, d):
            subs = [nt.Hadamard(sp.MatMul(W_next.T, d_next, evaluate=False),
                                nt.Elementwise(rule.display, Zs[l - 1], prime=True)),
                    nt.Hadamard(back, slope)]
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


def show_output_delta(b: Builder, setting: Setting, Z: Matrix, A: Matrix, limit: tuple[int, int]) -> Matrix:
    """∂L/∂Z of the last layer: the rule SymPy finds, then the numbers."""
    L_sym, yhat, z = sp.Symbol("L"), sp.Symbol("yhat"), sp.Symbol("z")
    rule, loss, scale, L_idx = setting.rules[-1], setting.loss, setting.scale, len(setting.rules)
    d_out = output_delta_values(setting, Z, A)
    if scale != 1:
        b.say("Because the loss averages, every output delta carries the factor ", scale, ".")
    if rule.activation is None:
        sym = softmax_symbols(Z.rows)
        rules = softmax_output_delta(loss.name, Z.rows)
        b.say(f"SymPy differentiates the {loss.description} of softmax(z) with respect to each z_i "
              "(through the Jacobian above) and simplifies; for the first class:")
        b.equation(nt.Partial(L_sym, sym.z[0]), sp.factor(rules[0] * scale))
        if loss.name == "cross_entropy":
            b.say("Using that the targets of a sample sum to 1, every Jacobian term cancels: the output delta "
                  "is simply ŷ − y.")
        with sp.evaluate(False):
            d_sub = Matrix(Z.rows, Z.cols, lambda i, j: _written_softmax_delta(rules[i], sym, A, setting.Y, j,
                                                                                scale))
    else:
        delta_rule = output_delta(loss.name, rule.activation)
        general = sp.factor(loss.derivative) * scale
        b.say("The output delta is ∂L/∂Z of the last layer. SymPy differentiates the loss with respect to the "
              "prediction ŷ and multiplies by the activation's derivative; entry by entry:")
        b.equation(nt.Partial(L_sym, yhat), general.xreplace({a: yhat}))
        shown_rule = (delta_rule * scale).xreplace({a: yhat, x: z})
        if rule.alpha is not None:
            shown_rule = shown_rule.xreplace({alpha_symbol: rule.alpha})
        b.equation(nt.Partial(L_sym, z), shown_rule)
        if delta_rule == a - y:
            b.say("The activation's derivative cancels the loss's denominator: the output delta is simply ŷ − y"
                  + (" (times the averaging factor)." if scale != 1 else "."))
        with sp.evaluate(False):
            d_sub = Matrix(Z.rows, Z.cols, [shown_rule.xreplace({yhat: av, y: yv, z: zv})
                                            for zv, av, yv in zip(Z, A, setting.Y)])
    record(b, nt.matrix(f"delta_{L_idx}", *d_out.shape), None, [d_sub] if fits(limit, d_out) else [], d_out,
           f"delta{L_idx}", "output delta ∂L/∂Z")
    if not fits(limit, d_out):
        b.say("The first entry, worked:")
        b.equation(nt.Entry(f"delta_{L_idx}", 1, 1), None, [d_sub[0, 0]], d_out[0, 0])
    return d_out


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
        record(b, nt.partial(L_sym, nt.matrix(f"W_{l}", *params.Ws[l - 1].shape)),
               sp.MatMul(nt.matrix(f"delta_{l}", *d.shape), nt.matrix(prev, *A_prev.shape).T),
               subs, grad, f"dL_dW{l}", f"gradient of W_{l}")
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
            with sp.evaluate(False):
                summed = Matrix(d.rows, 1, [sp.Add(*d.row(i), evaluate=False) for i in range(d.rows)])
            subs_b = [summed] if d.cols > 1 and fits(limit, d) else []
            record(b, nt.partial(L_sym, nt.matrix(f"b_{l}", d.rows, 1)), formula, subs_b, gb, f"dL_db{l}",
                   f"gradient of b_{l}")
            names.append(f"dL_db{l}")
    return names


def show_training(b: Builder, setting: Setting, params: Params, deltas: list[Matrix], As: list[Matrix],
                  limit: tuple[int, int]) -> list[str]:
    """The first gradient-descent step in full, then the loss after each of the k steps."""
    eta = setting.learning_rate
    assert eta is not None
    L_sym = sp.Symbol("L")
    b.heading("Gradient-descent step")
    b.say("Each parameter moves against its gradient, scaled by the learning rate η = ", eta, ".")
    if not setting.update_biases and any(bias is not None for bias in params.bs):
        b.say("The biases are kept fixed in this exercise; only the weights move.")
    new = descend(setting, params, deltas, As[:-1])
    names: list[str] = []
    for l in range(1, len(params.Ws) + 1):
        W, grad = params.Ws[l - 1], weight_gradient(deltas[l - 1], As[l - 1])
        Wsym = nt.matrix(f"W_{l}", *W.shape)
        subs = ([sp.MatAdd(W, sp.MatMul(-eta, grad, evaluate=False), evaluate=False)]
                if fits(limit, W) else [])
        record(b, nt.matrix(f"W_{l}^new", *W.shape),
               sp.MatAdd(Wsym, sp.MatMul(-1, sp.Symbol("eta"), nt.partial(L_sym, Wsym))), subs, new.Ws[l - 1],
               f"W{l}_new", f"updated W_{l}")
        names.append(f"W{l}_new")
        if not fits(limit, W):
            with sp.evaluate(False):
                written = sp.Add(W[0, 0], sp.Mul(-eta, grad[0, 0]))
            b.say("The first entry, worked:")
            b.equation(nt.Entry(f"W_{l}^new", 1, 1), None, [written], new.Ws[l - 1][0, 0])
        bias = params.bs[l - 1]
        if bias is not None and setting.update_biases:
            gb = bias_gradient(deltas[l - 1])
            subs_b = ([sp.MatAdd(bias, sp.MatMul(-eta, gb, evaluate=False), evaluate=False)]
                      if fits(limit, bias) else [])
            record(b, nt.matrix(f"b_{l}^new", bias.rows, 1), None, subs_b, new.bs[l - 1] or bias,
                   f"b{l}_new", f"updated b_{l}")
            names.append(f"b{l}_new")
    if setting.steps is not None:
        names += show_later_steps(b, setting, new, setting.steps)
    return names


def show_later_steps(b: Builder, setting: Setting, params: Params, k: int) -> list[str]:
    """The loss after each step (steps 2…k repeat the same computation silently) and the final parameters.

    When every value stays rational the steps are exact; otherwise step 1 is exact and
    steps 2…k are certified decimals (:mod:`symnn.sheets.kinds.certified_training`).
    """
    b.heading("Loss after each step" if k > 1 else "Loss after the step")
    if k > 1:
        b.say(f"Steps 2 to {k} repeat the same forward pass, backpropagation and update with the new parameters.")
    if k > 1 and not stays_rational(setting):
        return _show_certified_steps(b, setting, params, k)
    rows: list[list[object]] = []
    names: list[str] = []
    for t in range(1, k + 1):
        _check_growth(params, t, k)
        Zs, As = forward_values(setting, params)
        L_t = _record_loss(b, setting, As[-1], t, names)
        rows.append([sp.Integer(t), _short(L_t)])
        if t < k:
            deltas = backward_values(setting, params, Zs, As)
            params = descend(setting, params, deltas, As[:-1])
    b.table(["step t", "loss after step t (rounded when long)"], rows)
    if k > 1:
        final = _final_parameters(setting, params.Ws, params.bs, k)
        for name, symbol, value, caption in final:
            b.quantities.append(Quantity(name, symbol, value, caption))
        b.say(f"The exact parameters after {k} steps have long numerators and denominators; they are in the "
              f"answer key under {', '.join(n for n, *_ in final)}. Rounded:")
        b.table(["parameter", "after step " + str(k)],
                [[symbol, approximate(value, APPROX_DECIMALS)] for _, symbol, value, _ in final])
    return names


def _record_loss(b: Builder, setting: Setting, out: Matrix, t: int, names: list[str]) -> sp.Basic:
    """The exact loss after step t, recorded as ``L_step{t}``."""
    L_t = loss_value(setting, out)
    b.quantities.append(Quantity(f"L_step{t}", sp.Symbol(f"L_step{t}"), L_t, f"loss after step {t}"))
    names.append(f"L_step{t}")
    return L_t


def _final_parameters(setting: Setting, Ws: Sequence[Matrix], bs: Sequence[Matrix | None], k: int
                      ) -> list[tuple[str, sp.Basic, Matrix, str]]:
    """(answer-key name, symbol, value, caption) of every trained parameter after k steps."""
    final = [(f"W{l}_step{k}", nt.matrix(f"W_{l}^({k})", *W.shape), W, f"W_{l} after {k} steps")
             for l, W in enumerate(Ws, start=1)]
    final += [(f"b{l}_step{k}", nt.matrix(f"b_{l}^({k})", bias.rows, 1), bias, f"b_{l} after {k} steps")
              for l, bias in enumerate(bs, start=1) if bias is not None and setting.update_biases]
    return final


def _show_certified_steps(b: Builder, setting: Setting, params: Params, k: int) -> list[str]:
    """The loss after each step and the final parameters as certified decimals (the step-1 update stays exact).

    The answer key's ``exact`` of a certified quantity is its certified decimal as an
    exact rational (see :mod:`symnn.sheets.kinds.certified_training`).
    """
    causes = sorted({r.name for r in setting.rules if not _rational_rule(r)})
    what = (f"{', '.join(causes)} activation{'s' if len(causes) > 1 else ''}" if causes
            else f"the {setting.loss.name} loss")
    _check_growth(params, 1, k)
    names: list[str] = []
    path = certified_trajectory(setting, params, k)
    digits = CERTIFIED_DIGITS
    b.say(f"With {what} the exact values after step 1 nest exponentials inside exponentials and grow with "
          f"every step, so the losses and steps 2 to {k} are computed in interval (ball) arithmetic, starting from the "
          f"exact parameters after step 1 above, at {path.precision} bits. Every decimal below is certified: "
          f"all {digits} significant digits are guaranteed (the true value rounds to exactly that decimal).")
    rows: list[list[object]] = []
    for t, ball in enumerate(path.losses, start=1):
        value = as_rational(ball)[0, 0]
        b.quantities.append(Quantity(f"L_step{t}", sp.Symbol(f"L_step{t}"), value,
                                     f"loss after step {t} (certified {digits}-digit decimal)"))
        names.append(f"L_step{t}")
        rows.append([sp.Integer(t), ball[0, 0]])
    b.table(["step t", "loss after step t (certified decimals)"], rows)
    final = _final_parameters(setting, [as_rational(W) for W in path.weights],
                              [None if bias is None else as_rational(bias) for bias in path.biases], k)
    for name, symbol, value, caption in final:
        b.quantities.append(Quantity(name, symbol, value, caption + f" (certified {digits}-digit decimals)"))
    b.say(f"The parameters after {k} steps, every digit certified (also in the answer key under "
          f"{', '.join(n for n, *_ in final)}):")
    b.table(["parameter", "after step " + str(k)], [[symbol, value] for _, symbol, value, _ in final])
    return names


APPROX_DECIMALS = 6
"""Places of the rounded values in the table of training steps."""


def _short(value: sp.Basic) -> sp.Basic:
    """The exact value when it prints briefly, else its rounding (the exact one stays in the answer key)."""
    if isinstance(value, sp.Rational) and len(str(value)) <= 16:
        return value
    return approximate(value, APPROX_DECIMALS)


def _rational_rule(rule: Rule) -> bool:
    return rule.activation is not None and rule.activation.maps_rationals_to_rationals


def stays_rational(setting: Setting) -> bool:
    """Whether every value of every step is a rational number (so many exact steps stay cheap)."""
    return setting.loss.name in ("half_sse", "sse", "mse") and all(_rational_rule(r) for r in setting.rules)


def _check_growth(params: Params, t: int, k: int) -> None:
    """Refuse a forward pass whose exact parameters have grown past :data:`GROWTH_LIMIT`."""
    size = sum(int(sp.count_ops(v)) for M in (*params.Ws, *(b for b in params.bs if b is not None)) for v in M)
    if size > GROWTH_LIMIT:
        raise SpecError(
            f"steps = {k}: after {t} step{'s' if t > 1 else ''} the exact parameters hold {size} operations "
            f"(each step nests the previous exponentials); symnn stops at {GROWTH_LIMIT}. Ask for at most "
            f"{t - 1} step{'s' if t != 2 else ''} with these activations, or use piecewise-linear activations "
            "with a squared-error loss, whose values stay rational")


def _tidy(value: sp.Basic) -> sp.Basic:
    """Combine an exact value over one denominator when that is cheap (never a full simplify)."""
    if value.is_Rational or value.count_ops() > 40:
        return value
    return sp.together(value)
