"""Transposed convolution, forward (kind ``conv_transpose``).

Each input entry x[i, j] scatters a copy of the kernel scaled by itself onto the output, its top-left
corner at row iS, column jS (stride S); where copies overlap they add up.  With C input channels and
several filters (one kernel per input channel each, as in ``conv2d``), output channel f is the sum of
the scatters of every channel c with kernel K_{f,c}, plus the filter's bias.  Padding P crops P rows
and columns from every side of that sum, so each axis has (H − 1)S − 2P + F outputs.

The same result is a plain cross-correlation: spread the input by the stride (S − 1 zeros between
entries), pad it with F − 1 − P zeros and correlate with the kernel turned by 180°; the sheet shows
both and confirms they agree.  It is the backward pass of a convolution with the same kernel, stride
and padding, which is why it is called *transposed*.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from functools import partial

import sympy as sp

from symnn.core import interval as iv
from symnn.core.interval import IMatrix, Interval
from symnn.errors import ShapeError, SymnnError
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, exact, to_matrix
from symnn.sheets.fields import Context, given, read_int, read_vector, shape
from symnn.sheets.kinds.base import Kind
from symnn.sheets.kinds.conv_common import (
    Stack,
    Tensor,
    correlate,
    crop,
    pad,
    read_stack,
    read_tensor,
    regroup,
    rot180,
    spread,
)
from symnn.sheets.kinds.conv_notation import Correlation, Rot180, product
from symnn.sheets.recipes import Compute, Earlier, Programs, Recipes
from symnn.sheets.reference.arrays import Values
from symnn.sheets.reference.conv_transpose import evaluate_conv_transpose
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.statement import Line
from symnn.sheets.steps import Derivation, Inline

LIMIT = 4096
"""Most output entries a conv_transpose exercise may have."""
WORK = 100_000
"""Most scattered products (input entries × kernel entries × channels × filters) one exercise may take."""

Rows = list[list[sp.Basic]]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConvTranspose:
    """An input, the kernels, the stride and the padding of a transposed convolution."""

    X: Tensor = given(read_tensor)
    """The input: a matrix (one channel) or a list of C matrices."""
    K: Stack = given(read_stack)
    """The kernels, laid out as in ``conv2d``: a matrix, a list of C matrices (one filter), a list of matrices
    (several filters of a one-channel input) or a list of filters, each a list of C matrices."""
    b: tuple[Fraction, ...] | None = given(read_vector, default=None)
    """One bias per filter (output channel); none: no bias."""
    stride: int = given(read_int, default=1)
    """The step S between the places neighbouring input entries scatter to."""
    padding: int = given(read_int, default=0)
    """P rows and columns cropped from every side of the scattered sum."""

    @property
    def out_shape(self) -> tuple[int, int]:
        (h, w), (kh, kw) = shape(self.X[0]), shape(self.K[0][0])
        return ((h - 1) * self.stride - 2 * self.padding + kh, (w - 1) * self.stride - 2 * self.padding + kw)

    def check(self, ctx: Context) -> None:
        """Filters match the input's channels; the crop leaves at least one row and column."""
        if not 1 <= self.stride <= 16 or not 0 <= self.padding <= 16:
            raise ctx.error(f"stride must be 1 to 16 and padding 0 to 16, got {self.stride} and {self.padding}")
        channels = len(self.X)
        filters = regroup(self.K, channels)
        first = shape(filters[0][0])
        for f, tensor in enumerate(filters, start=1):
            if len(tensor) != channels:
                raise ctx.error(f"filter {f} has {len(tensor)} channel(s) but X has {channels}", ShapeError)
            for c, m in enumerate(tensor, start=1):
                if shape(m) != first:
                    raise ctx.error(f"filter {f} channel {c} is {shape(m)[0]}×{shape(m)[1]} but filter 1's "
                                    f"kernels are {first[0]}×{first[1]}", ShapeError)
        rows, cols = replace(self, K=filters).out_shape
        if rows < 1 or cols < 1:
            raise ctx.error(f"padding {self.padding} crops the whole output ({rows}×{cols})", ShapeError)
        if rows * cols * len(filters) > LIMIT:
            raise ctx.error(f"the output has {rows * cols * len(filters)} entries; at most {LIMIT} are worked out")
        h, w = shape(self.X[0])
        products = channels * len(filters) * h * w * first[0] * first[1]
        if products > WORK:
            raise ctx.error(f"this transposed convolution scatters {products:,} products; at most {WORK:,} are worked "
                            "out")
        if self.b is not None and len(self.b) != len(filters):
            raise ctx.error(f"b has {len(self.b)} entries but there are {len(filters)} filters", ShapeError)

    def complete(self) -> ConvTranspose:
        """The filters regrouped as in ``conv2d``."""
        return replace(self, K=regroup(self.K, len(self.X)))


def scatter_pairs(X: list[Rows], kernels: list[Rows], stride: int) -> list[list[list[tuple[sp.Basic, sp.Basic]]]]:
    """Before the crop: for every output entry, the (input, kernel) pairs scattered onto it, channel by channel."""
    (h, w), (kh, kw) = (len(X[0]), len(X[0][0])), (len(kernels[0]), len(kernels[0][0]))
    rows, cols = (h - 1) * stride + kh, (w - 1) * stride + kw
    pairs: list[list[list[tuple[sp.Basic, sp.Basic]]]] = [[[] for _ in range(cols)] for _ in range(rows)]
    for x, k in zip(X, kernels):
        for i in range(h):
            for j in range(w):
                for u in range(kh):
                    for v in range(kw):
                        pairs[i * stride + u][j * stride + v].append((x[i][j], k[u][v]))
    return pairs


def _total(pairs: list[tuple[sp.Basic, sp.Basic]]) -> sp.Basic:
    return sp.Add(*[a * b for a, b in pairs])


def suffix(index: int, count: int) -> str:
    return str(index) if count > 1 else ""


def solve_conv_transpose(spec: ExerciseSpec[ConvTranspose]) -> Derivation:
    """Output size, the scatter of each input entry, the cropped sum, and the same as a correlation."""
    d = spec.data
    b = Builder(spec, "Transposed convolution")
    X: list[Rows] = [[[exact(v) for v in row] for row in m] for m in d.X]
    K: list[list[Rows]] = [[[[exact(v) for v in row] for row in m] for m in t] for t in d.K]
    F, C = len(K), len(X)
    (H, W), (kh, kw) = shape(d.X[0]), shape(d.K[0][0])
    S, P = d.stride, d.padding
    Ho, Wo = d.out_shape
    zero = sp.S.Zero
    b.heading("Output size")
    b.say("Each input entry scatters a whole kernel, its copies S apart, so each axis has (H − 1)S + F entries "
          "before P rows and columns are cropped from every side:")
    for n, big, name, axis, k in ((H, "H", "H_out", "rows", kh), (W, "W", "W_out", "columns", kw)):
        with sp.evaluate(False):
            formula = sp.Add(sp.Mul(sp.Add(sp.Symbol(big), -1), sp.Symbol("S")),
                             sp.Mul(-2, sp.Symbol("P")), sp.Symbol("F"))
            numbers = sp.Add(sp.Mul(sp.Add(sp.Integer(n), -1), sp.Integer(S)),
                             sp.Mul(sp.Integer(-2), sp.Integer(P)), sp.Integer(k))
        b.equation(nt.Named(big, "out"), formula, [numbers], sp.Integer((n - 1) * S - 2 * P + k), quantity=name,
                   caption=f"output {axis}")
    b.heading("Scatter")
    b.say(f"Input entry x[i, j] adds x[i, j]·K to the {kh}×{kw} block whose top-left corner is row (i − 1)S + 1, "
          "column (j − 1)S + 1 of the uncropped output; where blocks overlap their entries add up"
          + (" (with several input channels, each channel scatters its own kernel and the results add)" if C > 1
             else "") + ".")
    for f in range(F):
        pairs = scatter_pairs(X, K[f], S)
        full = [[_total(cell) for cell in row] for row in pairs]
        if f == 0:
            shown = [(i, j) for i in range(H) for j in range(W)][: 4 if H * W > 4 else H * W]
            for i, j in shown:
                block: Rows = [[zero] * len(full[0]) for _ in full]
                value: Rows = [[zero] * len(full[0]) for _ in full]
                for u in range(kh):
                    for v in range(kw):
                        block[i * S + u][j * S + v] = product(X[0][i][j], K[0][0][u][v])
                        value[i * S + u][j * S + v] = X[0][i][j] * K[0][0][u][v]
                label = nt.Label(f"tconv_scatter{i + 1}_{j + 1}" + ("" if C == 1 and F == 1 else "_multi"), r"x_{%d,%d} \cdot K" % (i + 1, j + 1)
                                 if C == 1 and F == 1 else r"(X_{1})_{%d,%d} \cdot K_{1,1}" % (i + 1, j + 1))
                b.equation(label, None, [sp.ImmutableMatrix(block)], sp.ImmutableMatrix(value))
            if len(shown) < H * W:
                b.say(f"… and likewise for the other {H * W - len(shown)} input entries.")
        if P:
            b.say(f"The sum of every block, before cropping {P} row{'s' if P > 1 else ''} and column"
                  f"{'s' if P > 1 else ''} from each side:")
            b.equation(nt.Label("tconv_Yfull" + (f"{f + 1}" if F > 1 else ""), r"Y^{\text{full}}" + (f"_{{{f + 1}}}" if F > 1 else "")), None, (),
                       sp.ImmutableMatrix(full))
        Y = crop(full, P)
        if d.b is not None:
            Y = [[v + exact(d.b[f]) for v in row] for row in Y]
        cropped = crop(pairs, P)
        written = sp.ImmutableMatrix([[_written(cell, exact(d.b[f]) if d.b is not None else None) for cell in row]
                                      for row in cropped]) if Ho * Wo <= 16 else None
        sym = sp.MatrixSymbol("Y" + (f"_{f + 1}" if F > 1 else ""), Ho, Wo)
        b.equation(sym, None, [written] if written is not None else [], sp.ImmutableMatrix(Y),
                   quantity=f"Y{suffix(f + 1, F)}", caption=f"output channel {f + 1}" if F > 1 else "output")
        show_as_correlation(b, d, X, K[f], Y, f)
    return b.done(["H_out", "W_out"] + [f"Y{suffix(f, F)}" for f in range(1, F + 1)])


def _written(pairs: list[tuple[sp.Basic, sp.Basic]], bias: sp.Basic | None) -> sp.Basic:
    terms: list[sp.Basic] = [product(a, b) for a, b in pairs]
    if bias is not None:
        terms.append(bias)
    if not terms:
        return sp.S.Zero
    return sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]


def show_as_correlation(b: Builder, d: ConvTranspose, X: list[Rows], K: list[Rows], Y: Rows, f: int) -> None:
    """The same output as spread, padded input correlated with the turned kernel; confirmed equal."""
    zero = sp.S.Zero
    S, P = d.stride, d.padding
    kh, kw = len(K[0]), len(K[0][0])
    if kh - 1 - P < 0 or kw - 1 - P < 0:
        return  # padding larger than the kernel: the correlation form would need negative padding
    grids = [pad(spread(x, S, zero), kh - 1 - P, zero, kw - 1 - P) for x in X]
    turned = [rot180(k) for k in K]
    out = correlate(grids, turned, 1, 1, _total)
    if d.b is not None:
        out = [[v + exact(d.b[f]) for v in row] for row in out]
    if out != Y:
        raise SymnnError("conv_transpose: the correlation form disagrees with the scatter")
    if f != 0 or len(X) > 1:
        return
    b.say("The same output as a cross-correlation: "
          + (f"put S − 1 = {S - 1} zero{'s' if S > 2 else ''} between neighbouring input entries, " if S > 1 else "")
          + f"pad with F − 1 − P = {kh - 1 - P} zero{'s' if kh - 1 - P != 1 else ''} on every side and correlate "
            "with the kernel turned by 180°:")
    tilde = sp.MatrixSymbol(r"\tilde{X}", len(grids[0]), len(grids[0][0]))
    b.equation(tilde, None, (), sp.ImmutableMatrix(grids[0]))
    ksym = sp.MatrixSymbol("K", kh, kw)
    b.equation(sp.MatrixSymbol("Y", len(Y), len(Y[0])), Correlation(tilde, Rot180(ksym)),
               [Correlation(tilde, sp.ImmutableMatrix(turned[0]))], sp.ImmutableMatrix(Y))


def statement(d: ConvTranspose) -> list[Line]:
    F, C = len(d.K), len(d.X)
    lines: list[Line] = [((f"Input channel {c}: " if C > 1 else "Input: "),
                          sp.Eq(sp.MatrixSymbol("X" + (f"_{c}" if C > 1 else ""), *shape(m)), to_matrix(m),
                                evaluate=False), ".") for c, m in enumerate(d.X, start=1)]
    for f, tensor in enumerate(d.K, start=1):
        parts: list[Inline] = [f"Filter {f}: " if F > 1 else "Kernel: "]
        for c, m in enumerate(tensor, start=1):
            sub = ",".join(p for p in (suffix(f, F), suffix(c, C)) if p)
            parts += [sp.Eq(sp.MatrixSymbol("K" + (f"_{{{sub}}}" if sub else ""), *shape(m)), to_matrix(m),
                            evaluate=False), ", "]
        if d.b is not None:
            parts += [sp.Eq(sp.Symbol(f"b_{f}" if F > 1 else "b"), exact(d.b[f - 1]), evaluate=False), ", "]
        parts[-1] = "."
        lines.append(tuple(parts))
    lines.append((f"Transposed convolution with stride {d.stride} and padding {d.padding}.",))
    return lines


def reference(d: ConvTranspose) -> Values:
    """The numpy twin."""
    F = len(d.K)
    return evaluate_conv_transpose(d.X, d.K, d.b, d.stride, d.padding,
                                   [f"Y{suffix(f, F)}" for f in range(1, F + 1)])


def number(n: int) -> Compute:
    value = iv.scalar(Interval.point(n))
    return lambda v: value


def recipes(d: ConvTranspose, programs: Programs) -> Recipes:
    """The size rule's slips and two scatter mistakes: the kernel turned, and overlaps overwritten instead of added."""
    F = len(d.K)
    (H, W), (kh, kw) = shape(d.X[0]), shape(d.K[0][0])
    S, P = d.stride, d.padding
    r = Recipes()
    for name, n, k in (("H_out", H, kh), ("W_out", W, kw)):
        right = (n - 1) * S - 2 * P + k
        if P:
            r.mistake(name, (), number((n - 1) * S + k), "the padding was not cropped: (H − 1)S + F leaves out −2P")
        if n * S != right:
            r.mistake(name, (), number(n * S), "the input size was multiplied by the stride: the last kernel copy "
                                               "reaches F − S past it, less the padding, so (H − 1)S − 2P + F")
        r.mistake(name, (), number((n - k + 2 * P) // S + 1),
                  "the convolution's size rule was used; a transposed convolution grows: (H − 1)S − 2P + F")

    def scattered(f: int, how: str, earlier: Earlier) -> IMatrix:
        rows, cols = (H - 1) * S + kh, (W - 1) * S + kw
        out = [[iv.ZERO] * cols for _ in range(rows)]
        for x, k in zip(d.X, d.K[f]):
            kernel = rot180(k) if how == "turned" else [list(row) for row in k]
            for i in range(H):
                for j in range(W):
                    for u in range(kh):
                        for q in range(kw):
                            value = Interval.point(x[i][j] * kernel[u][q])
                            cell = out[i * S + u][j * S + q]
                            out[i * S + u][j * S + q] = value if how == "overwrite" else cell + value
        cropped = crop(out, P)
        shift = d.b[f] if d.b is not None else Fraction(0)
        return tuple(tuple(e + shift for e in row) for row in cropped)

    for f in range(F):
        name = f"Y{suffix(f + 1, F)}"
        r.mistake(name, (), partial(scattered, f, "turned"),
                  "the kernel was turned by 180° before scattering; the scatter places K as it is")
        r.mistake(name, (), partial(scattered, f, "overwrite"),
                  "overlapping kernel copies overwrote each other; they add up")
    return r


CONV_TRANSPOSE: Kind[ConvTranspose] = Kind(
    name="conv_transpose",
    data=ConvTranspose,
    solve=solve_conv_transpose,
    reference=reference,
    statement=statement,
    recipes=recipes,
)
"""The declaration of kind ``conv_transpose``."""
