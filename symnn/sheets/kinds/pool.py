"""Max and average pooling, forward and backward (kind ``pool``).

Each channel of X is cut into F × F windows with stride S (the windows of
:func:`~symnn.sheets.kinds.conv_common.windows`, the convolution's), and each window gives
one output: its largest entry (max pooling) or its mean (average pooling).  Each axis has
⌊(H − F)/S⌋ + 1 outputs.

Backward, from an upstream gradient G = ∂L/∂Y: each output's G goes back to the entries of
its window times the local derivative, which is ``sympy.diff`` of the window's definition,
max(s₁, …, sₙ) or (s₁ + … + sₙ)/n, substituted with the window's numbers: 1 at the window's
largest entry and 0 elsewhere (max), 1/n everywhere (average).  Where windows overlap the
contributions add up.  At a tie the maximum has no derivative: ``ties = "first"`` (the
default) routes the gradient to the first largest entry in reading order, row by row, as
PyTorch and TensorFlow route it to one entry; ``ties = "split"`` shares it equally.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import partial

import numpy as np
import sympy as sp

from symnn.core import interval as iv
from symnn.core.interval import IMatrix, Interval
from symnn.errors import ShapeError
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, exact, to_matrix
from symnn.sheets.constraints import Constraints
from symnn.sheets.fields import Context, choice, given, read_int, shape
from symnn.sheets.kinds.base import Kind
from symnn.sheets.kinds.conv_common import Tensor, output_size, read_tensor, windows
from symnn.sheets.kinds.conv_notation import Maximum
from symnn.sheets.recipes import Compute, Earlier, Programs, Recipes
from symnn.sheets.reference.arrays import Values
from symnn.sheets.reference.pool import evaluate_pool
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.statement import Line
from symnn.sheets.steps import Derivation

MODES = ("max", "average")
TIES = ("first", "split")
LIMIT = 4096
"""Most input entries (C·H·W) a pool exercise may have."""
WORK = 8000
"""Most window entries (C × windows × F²) one exercise may take: each is a SymPy substitution (a few seconds)."""

Rows = list[list[sp.Basic]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Pool:
    """An input, the pooling window and its stride; optionally an upstream gradient for the backward pass."""

    X: Tensor = given(read_tensor)
    """The input: a matrix (one channel) or a list of C matrices; each channel is pooled on its own."""
    mode: str = given(choice(MODES, "mode"), default="max")
    """``max`` keeps each window's largest entry, ``average`` its mean."""
    size: int = given(read_int, default=2)
    """The window's side F (square windows)."""
    stride: int | None = given(read_int, default=None)
    """The step S between windows (default: the window's side, windows side by side)."""
    dY: Tensor | None = given(read_tensor, default=None)
    """The upstream gradient ∂L/∂Y, one matrix per channel (none: no backward pass)."""
    ties: str = given(choice(TIES, "tie rule"), default="first")
    """Max pooling at a window whose largest entry is shared: ``first`` routes the gradient to the first of them
    (reading order), ``split`` shares it equally."""

    @property
    def step(self) -> int:
        """The stride, defaulting to the window's side."""
        return self.stride if self.stride is not None else self.size

    @property
    def out_shape(self) -> tuple[int, int]:
        h, w = shape(self.X[0])
        return (output_size(h, self.size, self.step, 0), output_size(w, self.size, self.step, 0))

    def check(self, ctx: Context) -> None:
        """Window and stride in range, the window fits, dY has the output's shape."""
        h, w = shape(self.X[0])
        if len(self.X) * h * w > LIMIT:
            raise ctx.error(f"X has {len(self.X) * h * w} entries; at most {LIMIT} are worked out")
        if not 1 <= self.size <= 16:
            raise ctx.error(f"size must be a whole number from 1 to 16, got {self.size}")
        if not 1 <= self.step <= 16:
            raise ctx.error(f"stride must be a whole number from 1 to 16, got {self.step}")
        if self.size > min(h, w):
            raise ctx.error(f"a {self.size}×{self.size} window does not fit the {h}×{w} input", ShapeError)
        rows, cols = self.out_shape
        if len(self.X) * rows * cols * self.size ** 2 > WORK:
            raise ctx.error(f"{len(self.X) * rows * cols} windows of {self.size}×{self.size} are "
                            f"{len(self.X) * rows * cols * self.size ** 2:,} window entries; at most {WORK:,} are "
                            "worked out")
        if self.dY is not None and (len(self.dY) != len(self.X) or shape(self.dY[0]) != (rows, cols)):
            raise ctx.error(f"dY must be {len(self.X)} matrix(es) of {rows}×{cols}, one per channel (the output's "
                            f"shape), got {len(self.dY)} of {shape(self.dY[0])[0]}×{shape(self.dY[0])[1]}",
                            ShapeError)


def suffix(index: int, count: int) -> str:
    return str(index) if count > 1 else ""


def quantity_names(d: Pool) -> dict[str, list[str]]:
    """The answer key's names: sizes, Y per channel, ∂L/∂X per channel (with dY)."""
    C = len(d.X)
    return {"size": ["H_out", "W_out"], "Y": [f"Y{suffix(c, C)}" for c in range(1, C + 1)],
            "dX": [f"dL_dX{suffix(c, C)}" for c in range(1, C + 1)] if d.dY is not None else []}


def definition(mode: str, n: int) -> tuple[list[sp.Symbol], sp.Basic]:
    """One window's output in its entries s₁ … sₙ: max(s₁, …, sₙ) or (s₁ + … + sₙ)/n."""
    s = list(sp.symbols(f"s1:{n + 1}", real=True))
    return s, (sp.Max(*s) if mode == "max" else sp.Add(*s) / n)


def tied(values: list[sp.Basic]) -> bool:
    top = max(values)
    return sum(1 for v in values if v == top) > 1


def local_slopes(mode: str, ties: str, values: list[sp.Basic], slopes: list[sp.Basic],
                 s: list[sp.Symbol]) -> list[sp.Basic]:
    """∂y/∂s_k at one window's numbers: SymPy's derivative substituted, or at a tie of the maximum the tie rule."""
    if mode == "max" and tied(values):
        top = max(values)
        if ties == "first":
            first = values.index(top)
            return [sp.S.One if k == first else sp.S.Zero for k in range(len(values))]
        count = sum(1 for v in values if v == top)
        return [sp.Rational(1, count) if v == top else sp.S.Zero for v in values]
    env = dict(zip(s, values))
    return [slope.xreplace(env) for slope in slopes]


def solve_pool(spec: ExerciseSpec[Pool]) -> Derivation:
    """Output size, each window's max or mean with one written out, and the routed gradient."""
    d = spec.data
    b = Builder(spec, "Max pooling" if d.mode == "max" else "Average pooling")
    X: list[Rows] = [[[exact(v) for v in row] for row in m] for m in d.X]
    C, (H, W) = len(X), shape(d.X[0])
    Fs, S = d.size, d.step
    names = quantity_names(d)
    b.heading("Output size")
    b.say(("Each channel is pooled on its own, in " if C > 1 else "The input is pooled in ")
          + f"{Fs}×{Fs} windows with stride {S}; along each axis that gives ",
          sp.Add(sp.floor(sp.Mul(sp.Add(sp.Symbol("H"), sp.Mul(-1, sp.Symbol("F"), evaluate=False), evaluate=False),
                                 sp.Pow(sp.Symbol("S"), -1, evaluate=False), evaluate=False), evaluate=False),
                 1, evaluate=False), " outputs (no padding).")
    Ho, Wo = d.out_shape
    for n, lhs, name, axis in ((H, "H", "H_out", "rows"), (W, "W", "W_out", "columns")):
        numbers = sp.Add(sp.floor(sp.Mul(sp.Add(sp.Integer(n), sp.Integer(-Fs), evaluate=False),
                                         sp.Pow(sp.Integer(S), -1, evaluate=False), evaluate=False),
                                  evaluate=False), 1, evaluate=False)
        b.equation(nt.Named(lhs, "out"), None, [numbers], sp.Integer(output_size(n, Fs, S, 0)), quantity=name,
                   caption=f"output {axis}")
    grid = windows(H, W, (Fs, Fs), S)
    s, y = definition(d.mode, Fs * Fs)
    b.heading("Pooling")
    if d.mode == "max":
        b.say("Each output is the largest entry of its window.")
    else:
        b.say(f"Each output is the mean of its window's {Fs * Fs} entries.")

    def written(values: list[sp.Basic]) -> sp.Basic:
        if d.mode == "max":
            return Maximum(*values)
        return sp.Mul(sp.Add(*values, evaluate=False), sp.Pow(len(values), -1, evaluate=False), evaluate=False)

    Y: list[Rows] = []
    for c in range(C):
        cells = [[[X[c][r][t] for r, t, _, _ in cell] for cell in row] for row in grid]
        out = [[y.xreplace(dict(zip(s, values))) for values in row] for row in cells]
        Y.append(out)
        if c == 0:
            b.equation(nt.Entry(str(sp.MatrixSymbol("Y" + (f"_{c + 1}" if C > 1 else ""), Ho, Wo)), 1, 1), None,
                       [written(cells[0][0])], out[0][0])
        sym = sp.MatrixSymbol("Y" + (f"_{c + 1}" if C > 1 else ""), Ho, Wo)
        forms = [sp.ImmutableMatrix([[written(v) for v in row] for row in cells])] if Ho * Wo * Fs * Fs <= 64 else []
        b.equation(sym, None, forms, sp.ImmutableMatrix(out), quantity=names["Y"][c],
                   caption=f"pooled channel {c + 1}" if C > 1 else "pooled output")
    if d.dY is not None:
        show_backward(b, d, X, grid, s, y)
    return b.done(names["size"] + names["Y"] + names["dX"])


def show_backward(b: Builder, d: Pool, X: list[Rows], grid: list[list[list[tuple[int, int, int, int]]]],
                  s: list[sp.Symbol], y: sp.Basic) -> None:
    """Each window's G times SymPy's local derivative, added into the entries of the window."""
    assert d.dY is not None
    C, (H, W) = len(X), shape(d.X[0])
    names = quantity_names(d)
    L = sp.Symbol("L")
    G = [[[exact(v) for v in row] for row in m] for m in d.dY]
    slopes = [sp.diff(y, v) for v in s]
    b.heading("Backward pass")
    b.say("Each output's upstream gradient goes back to the entries of its window, times the local derivative "
          "of the window's output. SymPy differentiates the window's definition: ",
          sp.Eq(sp.Derivative(y, s[0]), slopes[0], evaluate=False), " and likewise for every entry"
          + (" (θ is the unit step: 1 for a positive argument, 0 for a negative one)." if d.mode == "max" else "."))
    if d.mode == "max":
        b.say("Substituted, that is 1 at the window's largest entry and 0 at the others: the maximum passes the whole "
              "gradient to the entry it came from (a switch), and the other entries get none. At a tie the maximum "
              "has no derivative; symnn "
              + ("routes the gradient to the first largest entry in reading order (row by row), as deep-learning "
                 "libraries route it to one entry." if d.ties == "first" else
                 "shares the gradient equally among the tied entries (ties = \"split\")."))
    else:
        b.say(f"Every entry of a window gets 1/{len(s)} of that window's gradient: average pooling spreads it "
              "evenly.")
    b.say("Where windows overlap, an entry collects the contributions of every window it belongs to."
          if d.step < d.size else "The windows do not overlap, so each entry receives from at most one window.")
    for c in range(C):
        dX: Rows = [[sp.S.Zero] * W for _ in range(H)]
        first_route = None
        for i, row in enumerate(grid):
            for j, cell in enumerate(row):
                values = [X[c][r][t] for r, t, _, _ in cell]
                local = local_slopes(d.mode, d.ties, values, slopes, s)
                for (r, t, _, _), k in zip(cell, local):
                    dX[r][t] += G[c][i][j] * k
                if first_route is None:
                    first_route = (G[c][i][j], cell, local)
        if c == 0 and first_route is not None:
            g, cell, local = first_route
            routed = sp.ImmutableMatrix(d.size, d.size, [sp.Mul(g, k, evaluate=False) for k in local])
            b.say("The first window, its gradient times each local derivative:")
            b.equation(nt.Label("pool_route11", r"G_{1,1} \cdot \frac{\partial Y_{1,1}}{\partial \text{window}}"), None,
                       [routed], sp.ImmutableMatrix(d.size, d.size, [g * k for k in local]))
        sym = sp.MatrixSymbol("X" + (f"_{c + 1}" if C > 1 else ""), H, W)
        b.equation(nt.partial(L, sym), None, (), sp.ImmutableMatrix(dX), quantity=names["dX"][c],
                   caption=f"gradient of channel {c + 1}" if C > 1 else "gradient of the input")


def pool_statement(d: Pool) -> list[Line]:
    C = len(d.X)
    lines: list[Line] = [((f"Input channel {c}: " if C > 1 else "Input: "),
                          sp.Eq(sp.MatrixSymbol("X" + (f"_{c}" if C > 1 else ""), *shape(m)), to_matrix(m),
                                evaluate=False), ".") for c, m in enumerate(d.X, start=1)]
    lines.append((f"{d.mode.capitalize()} pooling with {d.size}×{d.size} windows and stride {d.step}.",))
    if d.dY is not None:
        for c, m in enumerate(d.dY, start=1):
            out = sp.MatrixSymbol("Y" + (f"_{c}" if C > 1 else ""), *shape(m))
            lines.append(("Upstream gradient: ", sp.Eq(nt.partial(sp.Symbol("L"), out), to_matrix(m),
                                                        evaluate=False), "."))
        if d.mode == "max":
            lines.append(("At a tie the gradient goes to " + ("the first largest entry (reading order)."
                                                              if d.ties == "first" else
                                                              "every largest entry in equal shares."),))
    return lines


def pool_reference(d: Pool) -> Values:
    """The numpy twin."""
    return evaluate_pool(d.X, d.mode, d.size, d.step, d.dY, d.ties, quantity_names(d))


def pool_rejects(d: Pool, values: Values, c: Constraints) -> list[str]:
    """A max-pooling window with a shared maximum (pool_ties); an all-zero input gradient (min_gradient)."""
    found = []
    if c.pool_ties and d.mode == "max":
        h, w = shape(d.X[0])
        for m in d.X:
            if any(tied([m[r][t] for r, t, _, _ in cell]) for row in windows(h, w, (d.size, d.size), d.step)
                   for cell in row):
                found.append("no tie for the largest entry of a max-pooling window (pool_ties)")
                break
    if c.min_gradient is not None and d.dY is not None:
        if any(not np.any(np.abs(np.asarray(values[n])) >= float(c.min_gradient)) for n in quantity_names(d)["dX"]):
            found.append(f"every gradient has an entry of at least {c.min_gradient} in size (min_gradient)")
    return found


def number(n: int) -> Compute:
    value = iv.scalar(Interval.point(n))
    return lambda v: value


def pool_recipes(d: Pool, programs: Programs) -> Recipes:
    """Sizes and Y from the given data, ∂L/∂X from dY; the other mode, the +1, the stride, and the routing."""
    H, W = shape(d.X[0])
    Fs, S = d.size, d.step
    names = quantity_names(d)
    grid = windows(H, W, (Fs, Fs), S)
    r = Recipes()
    for name, n in (("H_out", H), ("W_out", W)):
        r.mistake(name, (), number((n - Fs) // S), "the + 1 is missing from ⌊(H − F)/S⌋ + 1")
        if S != 1:
            r.mistake(name, (), number(n - Fs + 1), "the stride was ignored: windows were placed at every position")
        if S != Fs:
            r.mistake(name, (), number(n // Fs), "the windows were placed side by side (stride F) instead of at "
                                                 "stride S")

    def pooled(c: int, mode: str, v: Earlier) -> IMatrix:
        m = d.X[c]
        out = []
        for row in grid:
            values = [[m[r][t] for r, t, _, _ in cell] for cell in row]
            out.append(tuple(Interval.point(max(vs) if mode == "max" else sum(vs, Fraction(0)) / len(vs)) for vs in values))
        return tuple(out)

    other = "average" if d.mode == "max" else "max"
    for c, name in enumerate(names["Y"]):
        r.mistake(name, (), partial(pooled, c, other), f"{other} pooling was computed where {d.mode} pooling is asked")
    if d.dY is None:
        return r
    G = [iv.const(m) for m in d.dY]

    def routed(c: int, how: str, v: Earlier) -> IMatrix:
        m = d.X[c]
        total = [[iv.ZERO] * W for _ in range(H)]
        for i, row in enumerate(grid):
            for j, cell in enumerate(row):
                values = [m[r][t] for r, t, _, _ in cell]
                top = max(values)
                first = values.index(top)
                count = sum(1 for x in values if x == top)
                for k, (r, t, _, _) in enumerate(cell):
                    if how == "first":
                        share = Fraction(1 if k == first else 0)
                    elif how == "split":
                        share = Fraction(1, count) if values[k] == top else Fraction(0)
                    elif how == "everywhere":
                        share = Fraction(1)
                    else:  # average
                        share = Fraction(1, len(values))
                    total[r][t] = total[r][t] + G[c][i][j] * share
        return tuple(tuple(row) for row in total)

    for c, name in enumerate(names["dX"]):
        r.mistake(name, (), partial(routed, c, "everywhere"),
                  "the whole gradient was copied to every entry of the window" + (
                      ", not divided by the window's size" if d.mode == "average" else
                      "; max pooling passes it to the largest entry only"))
        if d.mode == "max":
            r.mistake(name, (), partial(routed, c, "average"),
                      "the gradient was spread evenly, as average pooling does; max pooling passes it to the largest "
                      "entry only")
            other_tie = "split" if d.ties == "first" else "first"
            r.mistake(name, (), partial(routed, c, other_tie),
                      "the tie rule: " + ("the gradient was shared among the tied largest entries, but the sheet "
                                          "routes it to the first" if d.ties == "first" else
                                          "the gradient went to the first tied entry, but the sheet shares it"))
    return r


POOL: Kind[Pool] = Kind(
    name="pool",
    data=Pool,
    solve=solve_pool,
    reference=pool_reference,
    statement=pool_statement,
    rejects=pool_rejects,
    recipes=pool_recipes,
)
"""The declaration of kind ``pool``."""
