"""A 2-D convolution layer, forward and backward (kind ``conv2d``).

The input X has C channels of H × W (one matrix for one channel); each of the filters has
C kernels of F_h × F_w and a bias.  The layer pads X with P zeros on every side and slides
every filter over it with stride S (and dilation D):

    Y_f[i, j] = b_f + Σ_c Σ_u Σ_v X_c[iS + uD, jS + vD] · K_{f,c}[u, v]     (0-based, X padded)

so each axis has ⌊(H − F + 2P)/S⌋ + 1 outputs, F taken as D(F − 1) + 1 when D > 1.  This is
what deep-learning libraries call convolution; mathematically it is cross-correlation.  With
``flip = true`` the kernel is turned by 180° first, which is the convolution of signal
processing.

Backward, from an upstream gradient G = ∂L/∂Y (given as ``dY``, or from a loss on Y): the
gradients are ``sympy.diff`` of L = Σ G ⊙ Y with Y built by the same definition from a kernel
(or an input, or a bias) of symbols, the other data substituted first (Y is linear in each,
so substituting before or after differentiating is the same).  The sheet also shows that
∂L/∂X is the "full" convolution of G with the turned kernel, and confirms it equals the
derivative.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from functools import partial

import numpy as np
import sympy as sp

from symnn.core import interval as iv
from symnn.core.domains import INTERVALS, evaluate
from symnn.core.interval import IMatrix, Interval
from symnn.core.program import compile_program
from symnn.errors import ShapeError, SymnnError
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, exact, to_matrix
from symnn.sheets.constraints import Constraints
from symnn.sheets.fields import Context, choice, given, read_bool, read_int, read_vector, shape
from symnn.sheets.kinds.base import Kind
from symnn.sheets.kinds.conv_common import (
    Stack,
    Tensor,
    correlate,
    crop,
    extent,
    input_pairs,
    kernel_pairs,
    output_size,
    pad,
    read_stack,
    read_tensor,
    regroup,
    rot180,
    spread,
    windows,
)
from symnn.sheets.kinds.conv_notation import Correlation, Rot180, product
from symnn.sheets.recipes import Compute, Earlier, Program, Programs, Recipes
from symnn.sheets.reference.arrays import Values
from symnn.sheets.reference.conv2d import evaluate_conv2d
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.statement import Line
from symnn.sheets.steps import Derivation, Inline

LIMIT = 4096
"""Most input entries (C·H·W) and most output entries a conv2d exercise may have."""
MOST = 16
"""Largest stride, padding and dilation."""
WORK = 250_000
"""Most elementary steps one exercise may take (written products, plus SymPy's term-by-term derivatives for the
backward pass): about ten seconds; the 3-channel 8×8 layer with four 3×3 filters takes about 46 000."""

y_, t_ = sp.symbols("y t", real=True)
LOSSES: dict[str, sp.Expr] = {"sum": y_, "half_sse": (y_ - t_) ** 2 / 2}
"""Each loss's term for one output entry y (target t); L is the sum of the terms over every entry of Y."""
LOSS_WORDS = {"sum": "L = ΣY, the sum of every output entry",
              "half_sse": "L = ½Σ(Y − T)², half the summed squared error against the target T"}

Rows = list[list[sp.Basic]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Conv2d:
    """An input, filters and the layer's settings; optionally an upstream gradient or a loss for the backward pass."""

    X: Tensor = given(read_tensor)
    """The input: a matrix (one channel) or a list of C matrices (C channels of H × W)."""
    K: Stack = given(read_stack)
    """The filters: a matrix (one filter of one channel), a list of C matrices (one filter of a C-channel input),
    a list of matrices (several filters of a one-channel input) or a list of filters, each a list of C matrices."""
    b: tuple[Fraction, ...] | None = given(read_vector, default=None)
    """One bias per filter (none: no bias)."""
    stride: int = given(read_int, default=1)
    """The step S between neighbouring windows, along rows and columns."""
    padding: int = given(read_int, default=0)
    """P rows and columns of zeros added on every side of the input."""
    dilation: int = given(read_int, default=1)
    """The spacing D between the input entries one kernel reads (1: adjacent)."""
    flip: bool = given(read_bool, default=False)
    """Whether the kernel is turned by 180° first (true convolution); false is cross-correlation, as deep-learning
    libraries compute it."""
    dY: Tensor | None = given(read_tensor, default=None)
    """The upstream gradient ∂L/∂Y, one matrix per filter (none: no backward pass unless a loss is given)."""
    loss: str | None = given(choice(tuple(LOSSES), "loss"), default=None)
    """A loss on Y instead of dY: ``sum`` is L = ΣY, ``half_sse`` is L = ½Σ(Y − T)²."""
    target: Tensor | None = given(read_tensor, default=None)
    """The target T of ``half_sse``, one matrix per filter (default: zeros)."""

    @property
    def out_shape(self) -> tuple[int, int]:
        """(rows, columns) of each output map."""
        (kh, kw), (h, w) = shape(self.K[0][0]), shape(self.X[0])
        return (output_size(h, kh, self.stride, self.padding, self.dilation),
                output_size(w, kw, self.stride, self.padding, self.dilation))

    @property
    def backward(self) -> bool:
        """Whether the exercise has a backward pass."""
        return self.dY is not None or self.loss is not None

    def check(self, ctx: Context) -> None:
        """Settings in range, filters matching the input's channels, an output of at least 1×1, gradient shapes."""
        for name, value, low in (("stride", self.stride, 1), ("padding", self.padding, 0),
                                 ("dilation", self.dilation, 1)):
            if not low <= value <= MOST:
                raise ctx.error(f"{name} must be a whole number from {low} to {MOST}, got {value}")
        channels, (h, w) = len(self.X), shape(self.X[0])
        if channels * h * w > LIMIT:
            raise ctx.error(f"X has {channels * h * w} entries; at most {LIMIT} are worked out")
        filters = regroup(self.K, channels)
        first = shape(filters[0][0])
        for f, tensor in enumerate(filters, start=1):
            if len(tensor) != channels:
                raise ctx.error(f"filter {f} has {len(tensor)} channel(s) but X has {channels}; give each filter "
                                "one kernel per input channel", ShapeError)
            for c, m in enumerate(tensor, start=1):
                if shape(m) != first:
                    raise ctx.error(f"filter {f} channel {c} is {shape(m)[0]}×{shape(m)[1]} but filter 1's kernels "
                                    f"are {first[0]}×{first[1]}", ShapeError)
        rows, cols = replace(self, K=filters).out_shape
        if rows < 1 or cols < 1:
            raise ctx.error(f"a {first[0]}×{first[1]} kernel (dilation {self.dilation}) does not fit the "
                            f"{h}×{w} input with padding {self.padding}: the output would be {rows}×{cols}",
                            ShapeError)
        if rows * cols * len(filters) > LIMIT:
            raise ctx.error(f"the output has {rows * cols * len(filters)} entries; at most {LIMIT} are worked out")
        size = first[0] * first[1]
        steps = len(filters) * rows * cols * channels * size
        if self.backward:
            steps = steps * (channels + len(filters) + 1) + channels * (h * w) ** 2 + len(filters) * (channels * size) ** 2
        if steps > WORK:
            raise ctx.error(f"this layer takes about {steps:,} steps to work out exactly; at most {WORK:,} are done "
                            "(use a smaller input or kernel, or fewer channels or filters)")
        if self.b is not None and len(self.b) != len(filters):
            raise ctx.error(f"b has {len(self.b)} entries but there are {len(filters)} filters; give one bias "
                            "per filter", ShapeError)
        if self.dY is not None and self.loss is not None:
            raise ctx.error("give either dY (the upstream gradient) or loss, not both")
        if self.target is not None and self.loss != "half_sse":
            raise ctx.error('target belongs to loss = "half_sse"')
        for name, grad in (("dY", self.dY), ("target", self.target)):
            if grad is None:
                continue
            if len(grad) != len(filters) or shape(grad[0]) != (rows, cols):
                raise ctx.error(f"{name} must be {len(filters)} matrix(es) of {rows}×{cols}, one per filter "
                                f"(the output's shape), got {len(grad)} of {shape(grad[0])[0]}×{shape(grad[0])[1]}",
                                ShapeError)

    def complete(self) -> Conv2d:
        """The filters regrouped: a list of C matrices for a C-channel input is one filter."""
        return replace(self, K=regroup(self.K, len(self.X)))


# ---------------------------------------------------------------------------
# Names.


def suffix(index: int, count: int) -> str:
    """A 1-based index written only when there is more than one."""
    return str(index) if count > 1 else ""


def kernel_suffix(f: int, c: int, filters: int, channels: int) -> str:
    """K_{f,c}'s subscript: ``1_2`` for filter 1, channel 2; parts of a count of one are left out."""
    return "_".join(p for p in (suffix(f, filters), suffix(c, channels)) if p)


def kernel_symbol(base: str, f: int, c: int, filters: int, channels: int, rows: int, cols: int) -> sp.MatrixSymbol:
    parts = [p for p in (suffix(f, filters), suffix(c, channels)) if p]
    return sp.MatrixSymbol(base + ("_{%s}" % ",".join(parts) if parts else ""), rows, cols)


def indexed(base: str, index: int, count: int, rows: int, cols: int) -> sp.MatrixSymbol:
    return sp.MatrixSymbol(base + (f"_{index}" if count > 1 else ""), rows, cols)


def quantity_names(data: Conv2d) -> dict[str, list[str]]:
    """The answer key's names by group: sizes, Y, dL_dY, dL_db, dL_dK, dL_dX (only what the exercise computes)."""
    F, C = len(data.K), len(data.X)
    names = {"size": ["H_out", "W_out", "params"], "Y": [f"Y{suffix(f, F)}" for f in range(1, F + 1)],
             "dY": [], "db": [], "dK": [], "dX": []}
    if data.backward:
        if data.loss is not None:
            names["dY"] = [f"dL_dY{suffix(f, F)}" for f in range(1, F + 1)]
        if data.b is not None:
            names["db"] = ["dL_db"]
        names["dK"] = [f"dL_dK{kernel_suffix(f, c, F, C)}" for f in range(1, F + 1) for c in range(1, C + 1)]
        names["dX"] = [f"dL_dX{suffix(c, C)}" for c in range(1, C + 1)]
    return names


# ---------------------------------------------------------------------------
# The worked solution.


def _written(pairs: list[tuple[sp.Basic, sp.Basic]], extra: sp.Basic | None = None) -> sp.Basic:
    """A sum of products written out, nothing computed."""
    terms: list[sp.Basic] = [product(a, b) for a, b in pairs]
    if extra is not None:
        terms.append(extra)
    return sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]


def _total(pairs: list[tuple[sp.Basic, sp.Basic]]) -> sp.Basic:
    return sp.Add(*[a * b for a, b in pairs])


def _matrix(rows: Rows) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(rows)


def _effective(kernel: Rows, flip: bool) -> Rows:
    """The kernel the window slides: as given (cross-correlation) or turned by 180° (convolution)."""
    return rot180(kernel) if flip else [list(r) for r in kernel]


def size_formula(N: sp.Basic, F: sp.Basic, P: sp.Basic, S: sp.Basic) -> sp.Basic:
    """⌊(N − F + 2P)/S⌋ + 1 as written, nothing computed."""
    return sp.Add(sp.floor(sp.Mul(sp.Add(N, sp.Mul(-1, F, evaluate=False), sp.Mul(2, P, evaluate=False),
                                         evaluate=False), sp.Pow(S, -1, evaluate=False), evaluate=False),
                           evaluate=False), 1, evaluate=False)


def show_size(b: Builder, data: Conv2d, axis: str, n: int, k: int) -> int:
    """⌊(H − F + 2P)/S⌋ + 1 with the numbers (one axis)."""
    S, P, D = data.stride, data.padding, data.dilation
    big, sym = ("H", "H_out") if axis == "rows" else ("W", "W_out")
    N, Fs, Ps, Ss = sp.Symbol(big), sp.Symbol("F"), sp.Symbol("P"), sp.Symbol("S")
    size = extent(k, D)
    if D > 1:
        Fs = nt.Named("F", "eff")
    formula = size_formula(N, Fs, Ps, Ss)
    numbers = sp.Add(sp.floor(sp.Mul(sp.Add(sp.Integer(n), sp.Integer(-size), sp.Mul(2, sp.Integer(P), evaluate=False),
                                            evaluate=False), sp.Pow(sp.Integer(S), -1, evaluate=False),
                                     evaluate=False), evaluate=False), 1, evaluate=False)
    value = output_size(n, k, S, P, D)
    b.equation(nt.Named(big, "out"), formula, [numbers], sp.Integer(value), quantity=sym,
               caption=f"output {axis}")
    return value


def solve_conv2d(spec: ExerciseSpec[Conv2d]) -> Derivation:
    """Output size, parameter count, the correlation with one worked entry, and the backward pass."""
    d = spec.data
    b = Builder(spec, "2-D convolution")
    X: list[Rows] = [[[exact(v) for v in row] for row in m] for m in d.X]
    K: list[list[Rows]] = [[[[exact(v) for v in row] for row in m] for m in t] for t in d.K]
    F, C = len(K), len(X)
    (H, W), (kh, kw) = shape(d.X[0]), shape(d.K[0][0])
    S, P, D = d.stride, d.padding, d.dilation
    bias = [exact(v) for v in d.b] if d.b is not None else None
    names = quantity_names(d)
    zero = sp.S.Zero

    b.heading("Output size")
    b.say(f"X has {C} channel{'s' if C > 1 else ''} of {H}×{W} and there {'are' if F > 1 else 'is'} {F} "
          f"filter{'s' if F > 1 else ''} of {C}×{kh}×{kw}: one {kh}×{kw} kernel per input channel. Along each axis "
          "a kernel of size F, padding P and stride S give ",
          size_formula(*sp.symbols("H F P S")), " outputs"
          + (" (W for H along the columns)." if D == 1 else
             f"; with dilation D = {D} the kernel spans D(F − 1) + 1 entries, which take F's place."))
    if D > 1:
        for axis, k in (("rows", kh), ("columns", kw)):
            with sp.evaluate(False):
                spanned = sp.Add(sp.Mul(sp.Integer(D), sp.Add(sp.Integer(k), -1)), 1)
            label = nt.Label("conv_F_eff" + ("" if kh == kw else f"_{axis}"),
                             r"F_{\text{eff}}" + ("" if kh == kw else r"^{\text{%s}}" % axis))
            b.equation(label, None, [spanned], sp.Integer(extent(k, D)))
            if kh == kw:
                break
    Ho = show_size(b, d, "rows", H, kh)
    Wo = show_size(b, d, "columns", W, kw)
    per = C * kh * kw
    with sp.evaluate(False):
        product = sp.Mul(sp.Integer(C), sp.Integer(kh), sp.Integer(kw))
        counted = sp.Mul(sp.Integer(F), sp.Add(product, 1)) if bias is not None else sp.Mul(sp.Integer(F), product)
    b.say(f"Each filter has C·F_h·F_w = {per} weights" + (" and one bias." if bias is not None else " and no bias."))
    b.equation(nt.text("params"), None, [counted], sp.Integer(F * (per + (1 if bias is not None else 0))),
               quantity="params", caption="number of parameters")

    b.heading("Cross-correlation")
    b.say("What deep-learning libraries call convolution is cross-correlation: each kernel slides over the "
          "padded input without being flipped, and each output is the sum of the products of the entries it "
          "covers, plus the filter's bias: Y_f[i, j] = b_f + Σ_c Σ_u Σ_v X_c[(i − 1)S + (u − 1)D + 1, "
          "(j − 1)S + (v − 1)D + 1] · K_{f,c}[u, v] (1-based, in the padded input).")
    Keff = [[_effective(k, d.flip) for k in t] for t in K]
    if d.flip:
        b.say("Here flip = true asks for the true (signal-processing) convolution: the kernel is turned by 180° "
              "first, rows and columns reversed, and that turned kernel is slid as above.")
        for f in range(F):
            for c in range(C):
                sym = kernel_symbol("K", f + 1, c + 1, F, C, kh, kw)
                b.equation(Rot180(sym), None, (), _matrix(Keff[f][c]))
    else:
        b.say("Signal processing's convolution would turn the kernel by 180° first (flip = true); "
              "cross-correlation does not.")
    Xp = [pad(x, P, zero) for x in X]
    if P:
        b.say(f"Padding adds {P} row{'s' if P > 1 else ''} and column{'s' if P > 1 else ''} of zeros on every side:")
        for c in range(C):
            label = nt.Label("conv_Xpad" + (f"{c + 1}" if C > 1 else ""),
                             r"X^{\text{pad}}" + (f"_{{{c + 1}}}" if C > 1 else ""))
            b.equation(label, None, (), _matrix(Xp[c]))
    Y = [correlate(Xp, Keff[f], S, D, _total) for f in range(F)]
    if bias is not None:
        Y = [[[v + bias[f] for v in row] for row in Y[f]] for f in range(F)]
    first = windows(len(Xp[0]), len(Xp[0][0]), (kh, kw), S, D)[0][0]
    worked = [(Xp[c][r][s], Keff[0][c][u][v]) for c in range(C) for r, s, u, v in first]
    b.say("The first output entry, written out:")
    written = _written(worked, bias[0] if bias is not None else None)
    b.equation(nt.Entry(str(indexed("Y", 1, F, Ho, Wo)), 1, 1), None, [written], Y[0][0][0])
    small = Ho * Wo * (len(worked) + 1) <= 64
    for f in range(F):
        out = indexed("Y", f + 1, F, Ho, Wo)
        forms: list[sp.Basic] = []
        if small:
            cells = windows(len(Xp[0]), len(Xp[0][0]), (kh, kw), S, D)
            forms.append(sp.ImmutableMatrix([[_written([(Xp[c][r][s], Keff[f][c][u][v]) for c in range(C)
                                                        for r, s, u, v in cell], bias[f] if bias else None)
                                               for cell in row] for row in cells]))
        b.equation(out, None, forms, _matrix(Y[f]), quantity=names["Y"][f],
                   caption=f"output of filter {f + 1}" if F > 1 else "output")
    if d.backward:
        show_backward(b, d, X, K, Keff, Xp, Y, bias)
    summary = names["size"] + names["Y"] + names["db"] + names["dK"] + names["dX"]
    return b.done(summary)


def show_backward(b: Builder, d: Conv2d, X: list[Rows], K: list[list[Rows]], Keff: list[list[Rows]],
                  Xp: list[Rows], Y: list[Rows], bias: list[sp.Basic] | None) -> None:
    """∂L/∂Y (from a loss), ∂L/∂b, ∂L/∂K and ∂L/∂X: sympy.diff of L = Σ G ⊙ Y, Y built from symbols."""
    F, C = len(K), len(X)
    (H, W), (kh, kw) = shape(d.X[0]), shape(d.K[0][0])
    S, P, D = d.stride, d.padding, d.dilation
    Ho, Wo = len(Y[0]), len(Y[0][0])
    names = quantity_names(d)
    L = sp.Symbol("L")
    zero = sp.S.Zero
    b.heading("Backward pass")
    if d.loss is not None:
        term = LOSSES[d.loss]
        local = sp.diff(term, y_)
        T = ([[[exact(v) for v in row] for row in m] for m in d.target] if d.target is not None
             else [[[zero] * Wo for _ in range(Ho)] for _ in range(F)])
        b.say(f"The loss is {LOSS_WORDS[d.loss]}. SymPy differentiates one entry's term: ",
              sp.Eq(sp.Derivative(term, y_), local, evaluate=False), ", so entry by entry:")
        G = [[[local.xreplace({y_: Y[f][i][j], t_: T[f][i][j]}) for j in range(Wo)] for i in range(Ho)]
             for f in range(F)]
        for f in range(F):
            out = indexed("Y", f + 1, F, Ho, Wo)
            b.equation(nt.partial(L, out), None, (), _matrix(G[f]), quantity=names["dY"][f],
                       caption=f"upstream gradient of filter {f + 1}" if F > 1 else "upstream gradient")
    else:
        assert d.dY is not None
        G = [[[exact(v) for v in row] for row in m] for m in d.dY]
        b.say("The upstream gradient G = ∂L/∂Y is given, one matrix per filter.")
    b.say("Every gradient below is SymPy's derivative of L = Σ_f Σ_ij G_f[i, j] · Y_f[i, j] (the chain rule "
          "with G fixed), where Y is built by the forward definition from a bias, a kernel or an input of "
          "symbols and the given numbers substituted for the rest.")
    shift = bias if bias is not None else [zero] * F

    def forward(inputs: list[Rows], kernels: list[list[Rows]], biases: list[sp.Basic]) -> list[Rows]:
        """Y by the forward definition (the kernels already turned when flip = true)."""
        return [[[y + biases[f] for y in row] for row in correlate(inputs, kernels[f], S, D, _total)]
                for f in range(F)]

    def loss(Ys: list[Rows]) -> sp.Basic:
        """L = Σ G ⊙ Y, G held fixed."""
        return sp.Add(*[G[f][i][j] * Ys[f][i][j] for f in range(F) for i in range(Ho) for j in range(Wo)])

    # One parameter group of symbols at a time, the given numbers for the rest: a filter's kernels, the biases,
    # an input channel.  Y is linear in each group, so this is the derivative of the all-symbolic Y, substituted.
    ks = [[[[sp.Symbol(f"k{f}_{c}_{u}_{v}") for v in range(kw)] for u in range(kh)] for c in range(C)]
          for f in range(F)]
    bs = [sp.Symbol(f"b{f}") for f in range(F)]
    if d.b is not None:
        L_b = loss(forward(Xp, Keff, bs))
        db = [sp.diff(L_b, bs[f]) for f in range(F)]
        b.say("The bias is added to every output of its filter, so its gradient is the sum of that filter's G:")
        sums = []
        for f in range(F):
            entries = [G[f][i][j] for i in range(Ho) for j in range(Wo)]
            sums.append(sp.Add(*entries, evaluate=False) if len(entries) > 1 else entries[0])
        b.equation(nt.partial(L, sp.MatrixSymbol("b", F, 1)), None,
                   [sp.ImmutableMatrix(F, 1, sums)] if Ho * Wo <= 36 else [], sp.ImmutableMatrix(F, 1, db),
                   quantity="dL_db", caption="gradient of the biases")
    b.say("A kernel entry meets one input entry per output, so its gradient is the sum of G times those input "
          "entries: the padded input correlated with G" + (" (spread by the stride)" if S > 1 else "")
          + (", read at the turned kernel's positions" if d.flip else "") + ".")
    dK = []
    for f in range(F):
        kernels = [[_effective(k, d.flip) for k in ks[g]] if g == f else Keff[g] for g in range(F)]
        L_K = loss(forward(Xp, kernels, shift))
        dK.append([[[sp.diff(L_K, ks[f][c][u][v]) for v in range(kw)] for u in range(kh)] for c in range(C)])
    # The worked entry: which (G, X) pairs kernel entry (1, 1) met, written out and confirmed equal to the derivative.
    u0, v0 = (kh - 1, kw - 1) if d.flip else (0, 0)
    pairs = kernel_pairs(Xp[0], G[0], (kh, kw), S, D)[u0][v0]
    written = _written(pairs)
    if sp.expand(sp.Add(*[g * x for g, x in pairs])) != dK[0][0][0][0]:
        raise SymnnError("conv2d: the written-out kernel gradient disagrees with SymPy's derivative")
    first = kernel_symbol("K", 1, 1, F, C, kh, kw)
    b.equation(nt.Partial(L, nt.Entry(str(first), 1, 1)), None, [written], dK[0][0][0][0])
    for f in range(F):
        for c in range(C):
            sym = kernel_symbol("K", f + 1, c + 1, F, C, kh, kw)
            b.equation(nt.partial(L, sym), None, (), _matrix(dK[f][c]),
                       quantity=f"dL_dK{kernel_suffix(f + 1, c + 1, F, C)}",
                       caption=f"gradient of filter {f + 1}'s kernel" + (f" on channel {c + 1}" if C > 1 else ""))
    xs = [[[sp.Symbol(f"x{c}_{i}_{j}") for j in range(W)] for i in range(H)] for c in range(C)]
    dX = []
    for c in range(C):
        L_X = loss(forward([pad(xs[c], P, zero) if e == c else Xp[e] for e in range(C)], Keff, shift))
        dX.append([[sp.diff(L_X, xs[c][i][j]) for j in range(W)] for i in range(H)])
    show_full_convolution(b, d, G, Keff, dX, names["dX"])


def full_convolution(G: Rows, kernel: Rows, stride: int, dilation: int, padding: int, rows: int, cols: int,
                     ) -> tuple[Rows, Rows, Rows]:
    """∂L/∂X of one (filter, channel) as a full convolution: (G spread and padded, the turned kernel, the result).

    G is spread by the stride (S − 1 zeros between entries), padded with the kernel's extent − 1 zeros on every
    side and correlated with the kernel turned by 180° (spread by the dilation); the result covers the padded
    input, short of rows and columns no window reached (zeros), and the padding is cropped.
    """
    zero = sp.S.Zero
    turned = rot180(spread(kernel, dilation, zero))
    grid = pad(spread(G, stride, zero), len(turned) - 1, zero, len(turned[0]) - 1)
    full = correlate([grid], [turned], 1, 1, _total)
    rows_p, cols_p = rows + 2 * padding, cols + 2 * padding
    covered = [list(r) + [zero] * (cols_p - len(r)) for r in full] + [[zero] * cols_p
                                                                    for _ in range(rows_p - len(full))]
    return grid, turned, crop(covered, padding)


def show_full_convolution(b: Builder, d: Conv2d, G: list[Rows], Keff: list[list[Rows]], dX: list[Rows],
                          names: list[str]) -> None:
    """∂L/∂X written as the full convolution of G with the turned kernel, confirmed equal to SymPy's derivative."""
    F, C = len(Keff), len(dX)
    (H, W), (kh, kw) = shape(d.X[0]), shape(d.K[0][0])
    S, P, D = d.stride, d.padding, d.dilation
    L = sp.Symbol("L")
    steps = []
    if S > 1:
        steps.append(f"put S − 1 = {S - 1} zero{'s' if S > 2 else ''} between neighbouring entries of G")
    rows, cols = extent(kh, D) - 1, extent(kw, D) - 1
    steps.append(f"pad G with F − 1 zeros on every side ({rows} row{'s' if rows != 1 else ''} above and below, "
                 f"{cols} column{'s' if cols != 1 else ''} left and right)")
    steps.append("correlate it with the kernel turned by 180°" + (" and spread by the dilation" if D > 1 else "") + (" (the kernel as given, since flip = true "
                                                                   "turned it once already)" if d.flip else ""))
    if P:
        steps.append(f"drop the {P} outer row{'s' if P > 1 else ''} and column{'s' if P > 1 else ''} that belong "
                     "to the padding")
    b.say("The same gradient of the input is a \"full\" convolution: " + "; ".join(steps) + ".")
    for c in range(C):
        total: list[list[sp.Basic]] = [[sp.S.Zero] * W for _ in range(H)]
        terms_sym: list[sp.Basic] = []
        terms_num: list[sp.Basic] = []
        for f in range(F):
            grid, turned, part = full_convolution(G[f], Keff[f][c], S, D, P, H, W)
            total = [[total[i][j] + part[i][j] for j in range(W)] for i in range(H)]
            gsym = sp.MatrixSymbol(r"\tilde{G}" + (f"_{f + 1}" if F > 1 else ""), len(grid), len(grid[0]))
            ksym = kernel_symbol("K", f + 1, c + 1, F, C, kh, kw)
            terms_sym.append(Correlation(gsym, Rot180(ksym) if not d.flip else ksym))
            terms_num.append(Correlation(gsym, _matrix(turned)))
            if c == 0:
                b.equation(gsym, None, (), _matrix(grid))
        if total != dX[c]:
            raise SymnnError("conv2d: the full convolution disagrees with SymPy's derivative of the input")
        sym = indexed("X", c + 1, C, H, W)
        formula = sp.MatAdd(*terms_sym, evaluate=False) if F > 1 else terms_sym[0]
        numbers = sp.MatAdd(*terms_num, evaluate=False) if F > 1 else terms_num[0]
        b.equation(nt.partial(L, sym), formula, [numbers] if P == 0 else [], _matrix(dX[c]), quantity=names[c],
                   caption=f"gradient of input channel {c + 1}" if C > 1 else "gradient of the input")


# ---------------------------------------------------------------------------
# Statement, reference, variants and check.


def conv2d_statement(d: Conv2d) -> list[Line]:
    """The input, the filters, the settings and what the backward pass starts from."""
    F, C = len(d.K), len(d.X)
    lines: list[Line] = []
    for c, m in enumerate(d.X, start=1):
        lines.append(((f"Input channel {c}: " if C > 1 else "Input: "),
                      sp.Eq(indexed("X", c, C, *shape(m)), to_matrix(m), evaluate=False), "."))
    for f, tensor in enumerate(d.K, start=1):
        parts: list[Inline] = [f"Filter {f}: " if F > 1 else "Filter: "]
        for c, m in enumerate(tensor, start=1):
            parts += [sp.Eq(kernel_symbol("K", f, c, F, C, *shape(m)), to_matrix(m), evaluate=False), ", "]
        if d.b is not None:
            parts += [sp.Eq(sp.Symbol(f"b_{f}" if F > 1 else "b"), exact(d.b[f - 1]), evaluate=False), ", "]
        parts[-1] = "."
        lines.append(tuple(parts))
    settings = f"Stride {d.stride}, padding {d.padding}" + (f", dilation {d.dilation}" if d.dilation > 1 else "")
    lines.append((settings + (", true convolution (the kernel turned by 180°)." if d.flip
                              else ", cross-correlation (as deep-learning libraries compute it)."),))
    if d.dY is not None:
        for f, m in enumerate(d.dY, start=1):
            out = indexed("Y", f, F, *shape(m))
            lines.append(("Upstream gradient: ", sp.Eq(nt.partial(sp.Symbol("L"), out), to_matrix(m),
                                                        evaluate=False), "."))
    if d.loss is not None:
        lines.append((f"The loss is {LOSS_WORDS[d.loss]}.",))
        if d.target is not None:
            for f, m in enumerate(d.target, start=1):
                lines.append(("Target: ", sp.Eq(indexed("T", f, F, *shape(m)), to_matrix(m), evaluate=False), "."))
    return lines


def conv2d_reference(d: Conv2d) -> Values:
    """The numpy twin."""
    return evaluate_conv2d(d.X, d.K, d.b, d.stride, d.padding, d.dilation, d.flip, d.dY, d.loss, d.target,
                           quantity_names(d))


def conv2d_rejects(d: Conv2d, values: Values, c: Constraints) -> list[str]:
    """A drawn exercise whose gradient of the kernel, the input or the bias is all zeros (min_gradient)."""
    if c.min_gradient is None or not d.backward:
        return []
    names = quantity_names(d)
    bound = float(c.min_gradient)
    for group in ("db", "dK", "dX"):
        for name in names[group]:
            if not np.any(np.abs(np.asarray(values[name])) >= bound):
                return [f"every gradient has an entry of at least {c.min_gradient} in size (min_gradient)"]
    return []


def conv2d_programs(d: Conv2d) -> dict[str, Program]:
    """The loss's SymPy derivative in one output entry, compiled."""
    if d.loss is None:
        return {}
    return {"dloss": compile_program(sp.diff(LOSSES[d.loss], y_))}


def number(n: int) -> Compute:
    """A recipe giving the whole number ``n`` whatever the earlier values."""
    value = iv.scalar(Interval.point(n))
    return lambda v: value


def _icorrelate(inputs: list[IMatrix], kernels: list[IMatrix], stride: int, dilation: int) -> IMatrix:
    out = correlate(inputs, kernels, stride, dilation, lambda pairs: iv.total(x * k for x, k in pairs))
    return tuple(tuple(r) for r in out)


def _ipad(m: IMatrix, p: int) -> IMatrix:
    return tuple(tuple(r) for r in pad(m, p, iv.ZERO))


def conv2d_recipes(d: Conv2d, programs: Programs) -> Recipes:
    """Sizes, Y, and the gradients from a student's ∂L/∂Y; named mistakes of size, orientation, bias and padding."""
    F, C = len(d.K), len(d.X)
    (H, W), (kh, kw) = shape(d.X[0]), shape(d.K[0][0])
    S, P, D = d.stride, d.padding, d.dilation
    names = quantity_names(d)
    X = [iv.const(m) for m in d.X]
    Xp = [_ipad(x, P) for x in X]
    K = [[iv.const(m) for m in t] for t in d.K]
    Ho, Wo = d.out_shape
    r = Recipes()

    for name, n, k in (("H_out", H, kh), ("W_out", W, kw)):
        size = extent(k, D)
        r.mistake(name, (), number((n - size + 2 * P) // S), "the + 1 is missing from ⌊(H − F + 2P)/S⌋ + 1")
        r.mistake(name, (), number((n - size) // S + 1), "the padding was forgotten: ⌊(H − F)/S⌋ + 1 leaves out 2P")
        r.mistake(name, (), number((n - size + P) // S + 1),
                  "the padding was counted on one side only: P instead of 2P")
        r.mistake(name, (), number(-((size - n - 2 * P) // S) + 1),
                  "the division was rounded up instead of down: the last window must fit inside the padded input")
        if S > 1:
            r.mistake(name, (), number((n - size + 2 * P) // (S - 1) + 1),
                      "the stride is off by one: divided by S − 1")
        if D > 1:
            r.mistake(name, (), number((n - k + 2 * P) // S + 1),
                      "the dilation was ignored: the kernel spans D(F − 1) + 1 entries, not F")
    per = C * kh * kw
    has_bias = d.b is not None
    if has_bias:
        r.mistake("params", (), number(F * per), "the biases were not counted (one per filter)")
    if C > 1:
        r.mistake("params", (), number(F * (kh * kw + (1 if has_bias else 0))),
                  "the input channels were not counted: each filter has one kernel per channel")
    r.mistake("params", (), number(F * per * Ho * Wo + (F if has_bias else 0)),
              "the weights were counted once per output position; a kernel's weights are shared")

    def forward(f: int, turned: bool, with_bias: bool, v: Earlier) -> IMatrix:
        kernels = [tuple(tuple(row) for row in (rot180(k) if turned else k)) for k in K[f]]
        out = _icorrelate(Xp, kernels, S, D)
        if with_bias and d.b is not None:
            shift = d.b[f]
            out = iv.emap(lambda y: y + shift, out)
        return out

    for f, name in enumerate(names["Y"]):
        r.mistake(name, (), partial(forward, f, not d.flip, True),
                  "the kernel was turned by 180° (true convolution)" if not d.flip else
                  "the kernel was not turned by 180°: this is cross-correlation, but flip = true asks for convolution")
        if d.b is not None and any(d.b):
            r.mistake(name, (), partial(forward, f, d.flip, False), "the bias was not added")
    if not d.backward:
        return r

    if d.loss is not None:
        dloss = programs["dloss"]
        T = [iv.const(m) for m in d.target] if d.target is not None else None

        def upstream(f: int, v: Earlier) -> IMatrix:
            Yv = v[names["Y"][f]]
            return tuple(tuple(evaluate(dloss, {"y": y, "t": T[f][i][j] if T else iv.ZERO}, INTERVALS)
                               for j, y in enumerate(row)) for i, row in enumerate(Yv))

        for f, name in enumerate(names["dY"]):
            r.rule(name, (names["Y"][f],), partial(upstream, f))
        needs = tuple(names["dY"])

        def grads(v: Earlier) -> list[IMatrix]:
            return [v[n] for n in names["dY"]]
    else:
        assert d.dY is not None
        given_G = [iv.const(m) for m in d.dY]
        needs = ()

        def grads(v: Earlier) -> list[IMatrix]:
            return given_G

    if d.b is not None:
        r.rule("dL_db", needs, lambda v: tuple((iv.total(iv.entries(g)),) for g in grads(v)))
        r.mistake("dL_db", needs, lambda v: tuple((iv.total(iv.entries(g)) / (Ho * Wo),) for g in grads(v)),
                  "the upstream gradient was averaged instead of summed")

    def kernel_grad(f: int, c: int, turned: bool, v: Earlier) -> IMatrix:
        pairs = kernel_pairs(Xp[c], grads(v)[f], (kh, kw), S, D)
        out = [[iv.total(g * x for g, x in cell) for cell in row] for row in pairs]
        if turned:
            out = rot180(out)
        return tuple(tuple(row) for row in out)

    for f in range(F):
        for c in range(C):
            name = f"dL_dK{kernel_suffix(f + 1, c + 1, F, C)}"
            r.rule(name, needs, partial(kernel_grad, f, c, d.flip))
            r.mistake(name, needs, partial(kernel_grad, f, c, not d.flip),
                      "the kernel gradient is turned by 180°: "
                      + ("with flip = true each kernel entry meets the input at the turned position"
                         if d.flip else "cross-correlation's kernel gradient is the input correlated with G, "
                                        "unturned"))

    def input_grad(c: int, turned: bool, v: Earlier) -> IMatrix:
        rows, cols = H + 2 * P, W + 2 * P
        total = [[iv.ZERO] * cols for _ in range(rows)]
        for f in range(F):
            kernel = K[f][c] if turned == d.flip else tuple(tuple(r) for r in rot180(K[f][c]))
            for i, row in enumerate(input_pairs(rows, cols, kernel, grads(v)[f], S, D)):
                for j, cell in enumerate(row):
                    total[i][j] = total[i][j] + iv.total(g * k for g, k in cell)
        return tuple(tuple(row) for row in crop(total, P))

    for c, name in enumerate(names["dX"]):
        r.rule(name, needs, partial(input_grad, c, False))
        r.mistake(name, needs, partial(input_grad, c, True),
                  "the kernel in the full convolution was not turned by 180°"
                  if not d.flip else "the kernel in the full convolution was turned once more: with flip = true "
                                     "the forward pass already turned it")
    return r


CONV2D: Kind[Conv2d] = Kind(
    name="conv2d",
    data=Conv2d,
    solve=solve_conv2d,
    reference=conv2d_reference,
    statement=conv2d_statement,
    rejects=conv2d_rejects,
    programs=conv2d_programs,
    recipes=conv2d_recipes,
)
"""The declaration of kind ``conv2d``."""
