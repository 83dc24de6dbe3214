"""Scaled dot-product attention, forward and backward (kind ``attention``).

S = Q Kᵀ/√d, A = softmax of each row of S (over the keys the mask allows), O = A V; given an
upstream gradient G = ∂L/∂O, the gradients to Q, K and V.  Every derivative is ``sympy.diff``
of the one forward definition, taken once per entry pattern on symbols and then given the
numbers (so 4 queries with d = 8 stay fast): one score s = Σ q_m k_m/√d, the softmax of
:mod:`symnn.core.calculus` (its Jacobian in the weights), and L = Σ G ⊙ (A V) with the weights
as symbols.  The chain rule joins the pieces; the matrix forms the sheet shows
(G Vᵀ, Aᵀ G, A ⊙ (∂L/∂A − rowsum), ∂L/∂S K/√d, (∂L/∂S)ᵀ Q/√d) are confirmed equal to the
derivatives on symbols before they are written.  Exponentials and √d stay exact; forms too long
to read are left to the answer key and the sheet shows their certified decimals.  Several heads
split the columns of Q, K and V into equal blocks and concatenate the heads' outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

from symnn.core import interval as iv
from symnn.core.calculus import softmax_definition, softmax_jacobian, softmax_symbols
from symnn.core.domains import INTERVALS, evaluate
from symnn.core.interval import IMatrix, Interval
from symnn.core.program import compile_program
from symnn.errors import ShapeError
from symnn.sheets import notation as nt
from symnn.sheets.build import Builder, product_expansion, small, to_matrix
from symnn.sheets.constraints import Constraints
from symnn.sheets.fields import Context, Matrix, given, read_int, read_matrix, shape, shape_text
from symnn.sheets.kinds.base import Kind
from symnn.sheets.kinds.network.writing import record, shown
from symnn.sheets.recipes import Compute, Earlier, Program, Programs, Recipes
from symnn.sheets.reference.arrays import Values
from symnn.sheets.reference.attention import evaluate_attention, head_names
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.statement import Line
from symnn.sheets.steps import Derivation, Inline

L = sp.Symbol("L")
_n_q, _n_k, _d, _d_v = sp.symbols("n_q n_k d d_v", positive=True, integer=True)
_Q, _K, _V = nt.matrix("Q", _n_q, _d), nt.matrix("K", _n_k, _d), nt.matrix("V", _n_k, _d_v)
_A, _S, _G, _O = (nt.matrix(name, _n_q, n) for name, n in (("A", _n_k), ("S", _n_k), ("G", _d_v), ("O", _d_v)))
_SCORES = sp.MatMul(1 / sp.sqrt(_d), _Q, _K.T)
"""General notation for the prose: Q Kᵀ/√d and the matrices it names."""
_i, _j, _h, _m_ = sp.symbols("i j h m")
MAX_TOKENS = 8
"""Most queries and most keys: the exact softmax of a row of n scores and its derivatives grow with n."""
MAX_WIDTH = 64
"""Most columns of Q, K and V."""
MASKED = "masked entries (mask 0) get weight 0"


@dataclass(frozen=True, slots=True, kw_only=True)
class Attention:
    """Queries, keys and values of scaled dot-product attention, an optional mask and upstream gradient."""

    Q: Matrix = given(read_matrix)
    """The queries, one per row (n_q × d)."""
    K: Matrix = given(read_matrix)
    """The keys, one per row (n_k × d)."""
    V: Matrix = given(read_matrix)
    """The values, one per row (n_k × d_v)."""
    mask: Matrix | None = given(read_matrix, default=None)
    """Which keys each query may attend to (n_q × n_k): 1 allows, 0 masks (weight 0); none: all."""
    upstream: Matrix | None = given(read_matrix, default=None)
    """The upstream gradient G = ∂L/∂O (n_q × d_v); none: forward pass only."""
    heads: int = given(read_int, default=1)
    """Number of heads: Q, K (d columns) and V (d_v columns) split into this many equal column blocks."""

    def check(self, ctx: Context) -> None:
        """Q and K share d; V has a row per key; mask and upstream fit; the heads divide d and d_v."""
        (nq, d), (nk, dk), (nv, dv) = shape(self.Q), shape(self.K), shape(self.V)
        if d != dk:
            raise ctx.error(f"Q is {shape_text(self.Q)} but K is {shape_text(self.K)}; queries and keys "
                            "need the same number of columns d", ShapeError)
        if nv != nk:
            raise ctx.error(f"V is {shape_text(self.V)} but K is {shape_text(self.K)}; V needs one row "
                            "per key", ShapeError)
        if self.mask is not None:
            if shape(self.mask) != (nq, nk):
                raise ctx.error(f"mask is {shape_text(self.mask)} but Q Kᵀ is {nq}×{nk}", ShapeError)
            for i, row in enumerate(self.mask, start=1):
                bad = [v for v in row if v not in (0, 1)]
                if bad:
                    raise ctx.error(f"mask entries must be 0 or 1, got {bad[0]} in row {i}")
                if not any(row):
                    raise ctx.error(f"mask row {i} masks every key; query {i} needs at least one")
        if max(nq, nk) > MAX_TOKENS or max(d, dv) > MAX_WIDTH:
            raise ctx.error(f"Q is {nq}×{d}, K {nk}×{dk} and V {nv}×{dv}; at most {MAX_TOKENS} queries and keys "
                            f"and {MAX_WIDTH} columns are worked exactly")
        if self.upstream is not None and shape(self.upstream) != (nq, dv):
            raise ctx.error(f"upstream is {shape_text(self.upstream)} but the output O = A V is "
                            f"{nq}×{dv}", ShapeError)
        if not 1 <= self.heads <= d:
            raise ctx.error(f"heads must be between 1 and d = {d}, got {self.heads}")
        if d % self.heads or dv % self.heads:
            raise ctx.error(f"heads = {self.heads} must divide d = {d} and d_v = {dv}")

    def allowed(self, i: int) -> list[int]:
        """The keys query i (0-based) attends to."""
        n = shape(self.K)[0]
        return list(range(n)) if self.mask is None else [j for j in range(n) if self.mask[i][j]]


# ---------------------------------------------------------------------------
# The forward definitions and their SymPy derivatives, once per entry pattern.


@cache
def score_pattern(d: int) -> tuple[sp.Expr, tuple[sp.Symbol, ...], tuple[sp.Symbol, ...], tuple[sp.Expr, ...],
                                   tuple[sp.Expr, ...]]:
    """One score s = Σ_m q_m k_m / √d (the forward definition) and its SymPy derivatives in each q_m and k_m."""
    q = sp.symbols(f"q_1:{d + 1}", real=True)
    k = sp.symbols(f"k_1:{d + 1}", real=True)
    s = sp.Add(*[qm * km for qm, km in zip(q, k)]) / sp.sqrt(d)
    return s, q, k, tuple(sp.diff(s, qm) for qm in q), tuple(sp.diff(s, km) for km in k)


@cache
def output_pattern(nk: int, dv: int) -> tuple[tuple[sp.Symbol, ...], sp.ImmutableMatrix, tuple[sp.Symbol, ...],
                                              tuple[sp.Expr, ...], sp.ImmutableMatrix]:
    """One query's share of the loss, L_i = Σ_c g_c Σ_j a_j v_jc, with its weights, the values and its row of G
    as symbols; SymPy's ∂L_i/∂a_j and ∂L_i/∂v_jc.  L is the sum of the rows' shares, so ∂L/∂v_jc sums them.

    The matrix forms G Vᵀ and Aᵀ G are confirmed equal to the derivatives here, on symbols.
    """
    a = sp.symbols(f"a_1:{nk + 1}", real=True)
    v = sp.ImmutableMatrix(nk, dv, lambda j, c: sp.Symbol(f"v_{j + 1},{c + 1}", real=True))
    g = sp.symbols(f"g_1:{dv + 1}", real=True)
    share = sp.Add(*[g[c] * a[j] * v[j, c] for c in range(dv) for j in range(nk)])
    dA = tuple(sp.diff(share, aj) for aj in a)
    dV = sp.ImmutableMatrix(nk, dv, lambda j, c: sp.diff(share, v[j, c]))
    row_a, row_g = sp.ImmutableMatrix([a]), sp.ImmutableMatrix([g])
    if (sp.ImmutableMatrix([dA]) - row_g * v.T).expand() != sp.zeros(1, nk) or \
            (dV - row_a.T * row_g).expand() != sp.zeros(nk, dv):
        raise AssertionError("the matrix forms G Vᵀ and Aᵀ G differ from SymPy's derivatives")
    return a, v, g, dA, dV


@cache
def softmax_chain(n: int) -> tuple[sp.Expr, ...]:
    """∂L/∂s_l = Σ_j ∂L/∂a_j · ∂a_j/∂s_l for one row of n allowed scores, with SymPy's Jacobian.

    Written in the weights a_j and c_j = ∂L/∂a_j; confirmed equal to a_l (c_l − Σ_j a_j c_j) for
    weights that sum to 1.
    """
    a = softmax_symbols(n).a
    c = sp.symbols(f"c_1:{n + 1}", real=True)
    J = softmax_jacobian(n)
    chained = tuple(sp.Add(*[c[j] * J[j, m] for j in range(n)]) for m in range(n))
    inner = sp.Add(*[aj * cj for aj, cj in zip(a, c)])
    on_simplex = {a[-1]: 1 - sp.Add(*a[:-1])}  # the weights of a row sum to 1
    for m in range(n):
        if sp.expand((chained[m] - a[m] * (c[m] - inner)).xreplace(on_simplex)) != 0:
            raise AssertionError("the softmax chain rule differs from a_l (c_l - Σ a_j c_j)")
    return chained


@cache
def chain_in_exponentials(n: int) -> tuple[tuple[sp.Expr, ...], tuple[sp.Symbol, ...], tuple[sp.Symbol, ...]]:
    """:func:`softmax_chain` with each weight written a_j = E_j / Σ E (E_j = exp(s_j)): E_m Σ_j (c_m − c_j) E_j / (Σ E)².

    An exact algebraic rewrite of SymPy's result on symbols (so the numbers put in give short exact forms).
    """
    a, c = softmax_symbols(n).a, sp.symbols(f"c_1:{n + 1}", real=True)
    E, T = sp.symbols(f"E_1:{n + 1}", positive=True), sp.Symbol("T", positive=True)
    total = sp.Add(*E)
    out = []
    for m, chained in enumerate(softmax_chain(n)):
        inner = sp.expand(sp.expand(chained.xreplace({aj: Ej / T for aj, Ej in zip(a, E)}) * T**2 / E[m])
                          .xreplace({T: total}))
        out.append(E[m] * inner / total**2)
    return tuple(out), E, c


@cache
def row_forms(n: int) -> tuple[sp.Expr, sp.Expr, tuple[sp.Symbol, ...], tuple[sp.Symbol, ...], tuple[sp.Symbol, ...],
                               tuple[sp.Symbol, ...]]:
    """Two sums over one row of n allowed scores, each put over one denominator in E_j = exp(s_j), on symbols.

    * an output entry Σ_j a_j w_j = Σ_j w_j E_j / Σ E (the softmax definition times the values w_j);
    * a query-gradient entry Σ_j (∂L/∂s_j) κ_j = (Σ_j Σ_l κ_j (c_j − c_l) E_j E_l) / (Σ E)², with
      :func:`softmax_chain` for ∂L/∂s_j (c_j = ∂L/∂a_j) and κ_j = ∂s_j/∂q, SymPy's score derivative.

    Exact algebraic rewrites of SymPy's results, so the numbers put in give short exact forms.
    """
    soft, z = softmax_definition(n), softmax_symbols(n).z
    a, c = softmax_symbols(n).a, sp.symbols(f"c_1:{n + 1}", real=True)
    w, kappa = sp.symbols(f"w_1:{n + 1}", real=True), sp.symbols(f"kappa_1:{n + 1}", real=True)
    E, T = sp.symbols(f"E_1:{n + 1}", positive=True), sp.Symbol("T", positive=True)
    total = sp.Add(*E)
    output = sp.Add(*[wj * sj for wj, sj in zip(w, soft)]).xreplace({zj: sp.log(Ej) for zj, Ej in zip(z, E)})
    output = sp.expand(sp.together(output) * total) / total
    chained = sp.Add(*[kj * cj for kj, cj in zip(kappa, softmax_chain(n))])
    numerator = sp.expand(sp.expand(chained.xreplace({aj: Ej / T for aj, Ej in zip(a, E)}) * T**2).xreplace({T: total}))
    return output, numerator / total**2, E, w, c, kappa


# ---------------------------------------------------------------------------
# Exact values.


@dataclass(frozen=True, slots=True)
class Head:
    """One head's exact values."""

    S: sp.ImmutableMatrix
    A: sp.ImmutableMatrix
    O: sp.ImmutableMatrix
    dA: sp.ImmutableMatrix | None
    dS: sp.ImmutableMatrix | None
    dV: sp.ImmutableMatrix | None
    dQ: sp.ImmutableMatrix | None
    dK: sp.ImmutableMatrix | None


def blocks(M: sp.ImmutableMatrix, heads: int) -> list[sp.ImmutableMatrix]:
    """The column blocks of M, one per head."""
    w = M.cols // heads
    return [sp.ImmutableMatrix(M[:, h * w:(h + 1) * w]) for h in range(heads)]


def solve_head(f: Attention, Q: sp.ImmutableMatrix, K: sp.ImmutableMatrix, V: sp.ImmutableMatrix,
               G: sp.ImmutableMatrix | None) -> Head:
    """Scores, weights, output and (given G) the gradients of one head, exactly."""
    nq, d = Q.shape
    nk = K.rows
    s, q, k, ds_dq, ds_dk = score_pattern(d)
    S = sp.ImmutableMatrix(nq, nk, lambda i, j: s.xreplace({**dict(zip(q, Q.row(i))), **dict(zip(k, K.row(j)))}))
    rows = []
    for i in range(nq):
        allowed = f.allowed(i)
        soft, z = softmax_definition(len(allowed)), softmax_symbols(len(allowed)).z
        at = {z[m]: S[i, j] for m, j in enumerate(allowed)}
        row = [sp.S.Zero] * nk
        for m, j in enumerate(allowed):
            row[j] = soft[m].xreplace(at)
        rows.append(row)
    A = sp.ImmutableMatrix(rows)
    O_rows = []
    for i in range(nq):
        allowed = f.allowed(i)
        output, _, E, w, _, _ = row_forms(len(allowed))
        exps = {E[m]: sp.exp(S[i, j]) for m, j in enumerate(allowed)}
        O_rows.append([output.xreplace({**exps, **{w[m]: V[j, col] for m, j in enumerate(allowed)}})
                       for col in range(V.cols)])
    O = sp.ImmutableMatrix(O_rows)
    if G is None:
        return Head(S, A, O, None, None, None, None, None)
    a, v, g, dA_row, dV_row = output_pattern(nk, V.cols)
    values = dict(zip(v, V))
    dA = sp.ImmutableMatrix(nq, nk, lambda i, j: dA_row[j].xreplace({**values, **dict(zip(g, G.row(i)))}))
    dV = sp.ImmutableMatrix(nk, V.cols, lambda j, c: sp.Add(*[
        dV_row[j, c].xreplace({a[j]: A[i, j], g[c]: G[i, c]}) for i in range(nq)]))
    dS_rows = []
    for i in range(nq):
        allowed = f.allowed(i)
        chain, E, c = chain_in_exponentials(len(allowed))
        at = {**{E[m]: sp.exp(S[i, j]) for m, j in enumerate(allowed)},
              **{c[m]: dA[i, j] for m, j in enumerate(allowed)}}
        row = [sp.S.Zero] * nk
        for m, j in enumerate(allowed):
            row[j] = chain[m].xreplace(at)
        dS_rows.append(row)
    dS = sp.ImmutableMatrix(dS_rows)
    dQ_rows = []
    for i in range(nq):
        allowed = f.allowed(i)
        _, gradient, E, _, c, kappa = row_forms(len(allowed))
        at = {**{E[m]: sp.exp(S[i, j]) for m, j in enumerate(allowed)},
              **{c[m]: dA[i, j] for m, j in enumerate(allowed)}}
        dQ_rows.append([gradient.xreplace({**at, **{kappa[m]: ds_dq[col].xreplace({k[col]: K[j, col]})
                                                   for m, j in enumerate(allowed)}}) for col in range(d)])
    dQ = sp.ImmutableMatrix(dQ_rows)
    dK = sp.ImmutableMatrix(nk, d, lambda j, m: sp.Add(*[dS[i, j] * ds_dk[m].xreplace({q[m]: Q[i, m]})
                                                         for i in range(nq)]))
    return Head(S, A, O, dA, dS, dV, dQ, dK)


# ---------------------------------------------------------------------------
# The worked solution.


def _show(b: Builder, lhs: sp.Basic, formula: sp.Basic | None, substituted: tuple[sp.Basic, ...],
          value: sp.ImmutableMatrix, quantity: str | None = None, caption: str | tuple[Inline, ...] = "") -> None:
    """An equation whose value may be too large to print: then the sheet says so and the key keeps it."""
    if quantity is not None:
        record(b, lhs, formula, substituted, value, quantity, caption)
    elif shown(value):
        b.equation(lhs, formula, substituted, value)


def _m(name: str, M: sp.MatrixBase) -> sp.MatrixSymbol:
    return nt.matrix(name, M.rows, M.cols)


def _sub(tag: str) -> str:
    return f"_{tag}" if tag else ""


def solve_attention(spec: ExerciseSpec[Attention]) -> Derivation:
    """Scores, weights, output, and the gradients to Q, K and V by ``sympy.diff``."""
    f = spec.data
    Q, K, V = to_matrix(f.Q), to_matrix(f.K), to_matrix(f.V)
    G = to_matrix(f.upstream) if f.upstream is not None else None
    H = f.heads
    b = Builder(spec, "Scaled dot-product attention" if H == 1 else "Multi-head attention")
    dh = Q.cols // H
    tags = head_names(H)
    Qb, Kb, Vb = blocks(Q, H), blocks(K, H), blocks(V, H)
    Gb = blocks(G, H) if G is not None else [None] * H
    solved = [solve_head(f, Qb[h], Kb[h], Vb[h], Gb[h]) for h in range(H)]
    d_sym = sp.Symbol("d")
    if H > 1:
        b.say(f"With {H} heads, each head ", _h, f" takes its own block of {dh} columns of ", _Q, " and ", _K,
              f" and {V.cols // H} of ", _V, ", attends on its own with ", sp.Eq(d_sym, dh, evaluate=False),
              ", and the heads' outputs are written side by side (concatenated).")
    for h, (tag, head) in enumerate(zip(tags, solved)):
        if H > 1:
            b.heading(f"Head {tag}")
            b.say(f"Head {tag} uses columns {h * dh + 1}–{(h + 1) * dh} of ", _Q, " and ", _K, ", and its block of ",
                  _V, ":")
            _show(b, _m(f"Q_{tag}", Qb[h]), None, (), Qb[h])
            _show(b, _m(f"K_{tag}", Kb[h]), None, (), Kb[h])
            _show(b, _m(f"V_{tag}", Vb[h]), None, (), Vb[h])
        _forward(b, f, tag, Qb[h], Kb[h], Vb[h], head, dh, first=h == 0)
    if H > 1:
        O = sp.ImmutableMatrix(sp.Matrix.hstack(*[hd.O for hd in solved]))
        b.heading("Concatenated output")
        b.say("The heads' outputs side by side:")
        _show(b, _m("O", O), None, (), O, quantity="O", caption="attention output")
    summary = [f"A{tag}" for tag in tags] + ["O"]
    if G is not None:
        for h, (tag, head) in enumerate(zip(tags, solved)):
            _backward(b, tag, Qb[h], Kb[h], Vb[h], Gb[h], head, first=h == 0, heads=H)
        full = {name: sp.ImmutableMatrix(sp.Matrix.hstack(*[getattr(hd, attr) for hd in solved]))
                for name, attr in (("dL_dQ", "dQ"), ("dL_dK", "dK"), ("dL_dV", "dV"))}
        if H > 1:
            b.heading("Gradients of the inputs")
            b.say("Each head's gradients fill that head's columns:")
            for name, letter in (("dL_dQ", "Q"), ("dL_dK", "K"), ("dL_dV", "V")):
                M = full[name]
                _show(b, nt.partial(L, _m(letter, M)), None, (), M, quantity=name,
                           caption=("gradient of the loss with respect to ", sp.Symbol(letter)))
        summary += ["dL_dQ", "dL_dK", "dL_dV"]
    b.remark("The scale ", 1 / sp.sqrt(_d), " keeps the scores of long vectors from growing with ", _d,
             "; without it the softmax saturates and its gradients vanish. Each row of ", _A, " sums to 1: the "
             "softmax runs over the keys (along a row of ", _S, "), one distribution per query.")
    return b.done(summary)


def _forward(b: Builder, f: Attention, tag: str, Q: sp.ImmutableMatrix, K: sp.ImmutableMatrix,
             V: sp.ImmutableMatrix, head: Head, d: int, first: bool) -> None:
    sub = _sub(tag)
    Qs, Ks, Vs = _m(f"Q{sub}", Q), _m(f"K{sub}", K), _m(f"V{sub}", V)
    Ss, As = _m(f"S{sub}", head.S), _m(f"A{sub}", head.A)
    d_sym = sp.Symbol("d")
    s, q, k, _, _ = score_pattern(d)
    if not tag:
        b.heading("Scores")
    if first:
        b.say("Each query (a row of ", _Q, ") is compared with each key (a row of ", _K, ") by their dot product, "
              "scaled by ", 1 / sp.sqrt(_d), " where ", _d, " is the length of a key: ", sp.Eq(sp.Symbol("s_ij"), sp.Mul(
                  sp.Sum(sp.Symbol("q_im") * sp.Symbol("k_jm"), (sp.Symbol("m"), 1, d_sym)),
                  1 / sp.sqrt(d_sym), evaluate=False), evaluate=False),
              ". All scores at once are ", _SCORES, " (", _K, " transposed, so that row ", _i, " of ", _Q,
              " meets row ", _j, " of ", _K, ").")
    b.say("Here ", sp.Eq(d_sym, d, evaluate=False), ", so ", sp.Eq(sp.sqrt(d_sym), sp.sqrt(d), evaluate=False),
          ".")
    subs: list[sp.Basic] = []
    if small(Q, K) and Q.cols <= 4:
        subs.append(sp.MatMul(sp.Pow(sp.sqrt(d), -1, evaluate=False), Q, K.T, evaluate=False))
    b.equation(Ss, sp.MatMul(1 / sp.sqrt(d_sym), Qs, Ks.T), subs, head.S, quantity=f"S{tag}",
               caption="attention scores")
    b.say("For example the first score:")
    with sp.evaluate(False):
        worked = product_expansion(Q[0, :], K[0, :].T)[0, 0] / sp.sqrt(d)
    b.equation(nt.Entry(f"S{sub}", 1, 1), None, [worked], head.S[0, 0])
    if f.mask is not None:
        masked = [(i + 1, j + 1) for i in range(Q.rows) for j in range(K.rows) if not f.mask[i][j]]
        b.say("The mask forbids " + ", ".join(f"key {j} to query {i}" for i, j in masked) + ": those scores are "
              "set to ", -sp.oo, " before the softmax, so their weights are 0.")
    if not tag:
        b.heading("Attention weights")
    if first:
        b.say("Each row of ", _S, " becomes a probability distribution over the keys with the softmax; for query ",
              _i, ", over the keys it may attend to:")
        n = max(len(f.allowed(i)) for i in range(Q.rows))
        scores = {z: sp.Symbol(f"s_i{m + 1}") for m, z in enumerate(softmax_symbols(n).z)}
        b.equation(sp.Symbol("a_i1"), nt.softmax_form(softmax_definition(n)[0].xreplace(scores),
                                                      tuple(scores.values()), sp.Symbol("s_ij"), sp.Symbol("j")))
    b.equation(As, nt.Elementwise("softmax", Ss), (), head.A, quantity=f"A{tag}",
               caption="attention weights (each row sums to 1)")
    row = next((i for i in range(Q.rows) if len(f.allowed(i)) > 1), 0)
    allowed = f.allowed(row)
    b.say(f"For example the first weight of row {row + 1}, with the scores of that row:")
    with sp.evaluate(False):
        parts = [sp.exp(head.S[row, j]) for j in allowed]
        worked_a = sp.Mul(parts[0], sp.Pow(sp.Add(*parts), -1))
    b.equation(nt.Entry(f"A{sub}", row + 1, allowed[0] + 1), None, [worked_a], head.A[row, allowed[0]])
    if not tag:
        b.heading("Output")
    b.say("Each output row is the weighted average of the value rows, with that query's weights:")
    _show(b, _m(f"O{sub}", head.O), sp.MatMul(As, Vs), (), head.O, quantity="O" if not tag else f"O{tag}",
               caption="attention output" if not tag else f"output of head {tag}")


def _backward(b: Builder, tag: str, Q: sp.ImmutableMatrix, K: sp.ImmutableMatrix, V: sp.ImmutableMatrix,
              G: sp.ImmutableMatrix, head: Head, first: bool, heads: int) -> None:
    assert head.dA is not None and head.dS is not None and head.dQ is not None
    sub = _sub(tag)
    Qs, Ks, Vs, Gs = _m(f"Q{sub}", Q), _m(f"K{sub}", K), _m(f"V{sub}", V), _m(f"G{sub}", G)
    As, Ss = _m(f"A{sub}", head.A), _m(f"S{sub}", head.S)
    d_sym = sp.Symbol("d")
    b.heading("Backward pass" if not tag else f"Backward pass, head {tag}")
    if first:
        g11, a11, v11 = sp.Symbol("g_ic"), sp.Symbol("a_ij"), sp.Symbol("v_jc")
        b.say("The upstream gradient ", sp.Eq(_G, nt.partial(L, _O), evaluate=False), " is given; the loss ",
              sp.Eq(L, nt.Label("Σ G ⊙ O", r"\sum G \odot O"), evaluate=False), " has exactly that gradient at ",
              _O, ", so its derivatives are the ones asked for. SymPy differentiates ",
              sp.Eq(L, sp.Sum(g11 * sp.Sum(a11 * v11, (sp.Symbol("j"), 1, K.rows)), (sp.Symbol("i"), 1, Q.rows),
                              (sp.Symbol("c"), 1, V.cols)), evaluate=False),
              " with the weights, values and ", _G, " as symbols:")
        a, v, g, dA_row, dV_row = output_pattern(K.rows, V.cols)
        b.say("One query's share of it is ", sp.Eq(sp.Symbol("L_i"), sp.Add(*[g[c] * a[j] * v[j, c] for c in
              range(V.cols) for j in range(K.rows)]), evaluate=False), " (its row of ", _G, ", its weights ",
              sp.Symbol("a_j"), "); SymPy gives")
        b.equation(nt.Partial(sp.Symbol("L_i"), a[0]), dA_row[0])
        b.equation(nt.Partial(sp.Symbol("L_i"), v[0, 0]), dV_row[0, 0])
        b.say("and likewise for every entry; ", _V, " is shared by the queries, so ", nt.partial(L, _V),
              " sums the shares. In matrices, ", sp.Eq(nt.partial(L, _A), sp.MatMul(_G, _V.T), evaluate=False),
              " and ", sp.Eq(nt.partial(L, _V), sp.MatMul(_A.T, _G), evaluate=False),
              " (SymPy confirms both equal to its derivatives).")
    if heads > 1:
        b.say(f"Head {tag} receives the columns of ", _G, " that its output filled:")
        _show(b, Gs, None, (), G)
    dAs = nt.partial(L, As)
    b.equation(dAs, sp.MatMul(Gs, Vs.T), (), head.dA, quantity=f"dL_dA{tag}",
               caption="gradient of the loss with respect to the weights")
    if heads == 1:
        _show(b, nt.partial(L, Vs), sp.MatMul(As.T, Gs), (), head.dV, quantity="dL_dV",
                   caption=("gradient of the loss with respect to ", _V))
    if first:
        sym = softmax_symbols(2)
        a_, s_ = sp.symbols("a_1:3", positive=True), sp.symbols("s_1:3", real=True)
        J = softmax_jacobian(2).xreplace(dict(zip(sym.a, a_)))
        b.say("Through the softmax: SymPy differentiates its definition; written in the weights, its Jacobian "
              "within one row is")
        b.equation(nt.Partial(a_[0], s_[0]), J[0, 0])
        b.equation(nt.Partial(a_[0], s_[1]), J[0, 1])
        c = [nt.Partial(L, sp.Symbol(f"a_i{m}")) for m in ("j", "l")]
        b.say("so, summing ", nt.Label("∂L/∂a_ij · ∂a_ij/∂s_il", r"\frac{\partial L}{\partial a_{ij}} \cdot "
                                       r"\frac{\partial a_{ij}}{\partial s_{il}}"),
              " over the keys ", _j, " of the row, ",
              sp.Eq(nt.Partial(L, sp.Symbol("s_il")), sp.Mul(sp.Symbol("a_il"), sp.Add(
                  c[1], -sp.Sum(sp.Symbol("a_ij") * c[0], (sp.Symbol("j"), 1, K.rows))), evaluate=False), evaluate=False),
              " (SymPy confirms it for every row length used here). Masked scores get 0.")
    b.equation(nt.partial(L, Ss), None, (), head.dS, quantity=f"dL_dS{tag}",
               caption="gradient of the loss with respect to the scores")
    if first:
        s, q, k, ds_dq, ds_dk = score_pattern(Q.cols)
        b.say("Through the scores: SymPy differentiates one score, ", sp.Eq(sp.Symbol("s"), s, evaluate=False), ":")
        b.equation(nt.Partial(sp.Symbol("s"), q[0]), ds_dq[0])
        b.equation(nt.Partial(sp.Symbol("s"), k[0]), ds_dk[0])
        b.say("and likewise for every ", _m_, "; summing over the scores each entry of ", _Q, " and ", _K,
              " appears in gives the matrix forms below.")
    dSs = nt.partial(L, Ss)
    if heads == 1:
        _show(b, nt.partial(L, Qs), sp.MatMul(1 / sp.sqrt(d_sym), dSs, Ks), (), head.dQ, quantity="dL_dQ",
                   caption=("gradient of the loss with respect to ", _Q))
        _show(b, nt.partial(L, Ks), sp.MatMul(1 / sp.sqrt(d_sym), dSs.T, Qs), (), head.dK, quantity="dL_dK",
                   caption=("gradient of the loss with respect to ", _K))
    else:
        _show(b, nt.partial(L, Vs), sp.MatMul(As.T, Gs), (), head.dV)
        _show(b, nt.partial(L, Qs), sp.MatMul(1 / sp.sqrt(d_sym), dSs, Ks), (), head.dQ)
        _show(b, nt.partial(L, Ks), sp.MatMul(1 / sp.sqrt(d_sym), dSs.T, Qs), (), head.dK)


# ---------------------------------------------------------------------------
# The numpy twin, random draws, and ``symnn check``.


def reference(f: Attention) -> Values:
    """The numpy twin (:func:`symnn.sheets.reference.attention.evaluate_attention`)."""
    return evaluate_attention(f.Q, f.K, f.V, f.mask, f.upstream, f.heads)


def attention_statement(f: Attention) -> list[Line]:
    """The given data as a student reads it."""
    lines: list[Line] = [("Scaled dot-product attention ",
                          sp.Eq(_O, sp.MatMul(nt.Elementwise("softmax", _SCORES), _V), evaluate=False),
                          ", the softmax along each row, with ",
                          sp.Eq(sp.Symbol("Q"), to_matrix(f.Q), evaluate=False), ", ",
                          sp.Eq(sp.Symbol("K"), to_matrix(f.K), evaluate=False), " and ",
                          sp.Eq(sp.Symbol("V"), to_matrix(f.V), evaluate=False), ".")]
    if f.mask is not None:
        lines.append(("The mask ", sp.Eq(sp.Symbol("M"), to_matrix(f.mask), evaluate=False),
                      " lets query ", _i, " attend to key ", _j, " where its entry is 1; a 0 masks the score "
                      "(weight 0)."))
    if f.heads > 1:
        lines.append((f"There are {f.heads} heads: each takes its own equal block of the columns of ", _Q, ", ", _K,
                      " and ", _V, ", and their outputs are concatenated."))
    if f.upstream is not None:
        lines.append(("The upstream gradient is ", sp.Eq(nt.partial(L, sp.Symbol("O")), to_matrix(f.upstream),
                                                          evaluate=False), "."))
    return lines


def rejects(f: Attention, values: Values, c: Constraints) -> list[str]:
    """A row whose allowed scores are all equal (uniform weights: its query learns nothing), a row whose scores
    spread wider than the saturation bound (a one-hot softmax), and vanishing gradients to Q."""
    failed = []
    for tag in head_names(f.heads):
        S = np.asarray(values[f"S{tag}"])
        for i in range(S.shape[0]):
            row = S[i, f.allowed(i)]
            spread = float(row.max() - row.min())
            if c.softmax_ties and len(row) > 1 and spread < 1e-9:
                failed.append("no query with all its allowed scores equal, which gives uniform weights (softmax_ties)")
            if c.saturation is not None and spread > float(c.saturation):
                failed.append(f"no query whose scores spread more than {c.saturation}, which saturates the "
                              "softmax (saturation)")
    if c.min_gradient is not None and "dL_dQ" in values:
        if float(np.abs(np.asarray(values["dL_dQ"])).max()) < float(c.min_gradient):
            failed.append(f"gradients not vanishingly small, some |∂L/∂Q| ≥ {c.min_gradient} (min_gradient)")
    return failed


def programs(f: Attention) -> dict[str, Program]:
    """The softmax of each row length used and its Jacobian in the weights (SymPy), compiled."""
    out: dict[str, Program] = {}
    nq, nk = shape(f.Q)[0], shape(f.K)[0]
    rows = [f.allowed(i) for i in range(nq)]
    lengths = {len(keys) for keys in rows} | {sum(j in keys for keys in rows) for j in range(nk)} - {0}
    for n in sorted(lengths):
        soft = softmax_definition(n)
        for m in range(n):
            out[f"softmax:{n}:{m}"] = compile_program(soft[m], softmax_symbols(n).z)
            out[f"chain:{n}:{m}"] = compile_program(softmax_chain(n)[m],
                                                   (*softmax_symbols(n).a, *sp.symbols(f"c_1:{n + 1}", real=True)))
    return out


def _softmax_rows(programs: Programs, S: IMatrix, allowed: list[list[int]]) -> IMatrix:
    """Row softmax of S over each row's allowed entries (the compiled definition, over intervals)."""
    out = []
    for i, row in enumerate(S):
        keys = allowed[i]
        n = len(keys)
        env = {f"z_{m + 1}": row[j] for m, j in enumerate(keys)}
        values = [Interval.point(0)] * len(row)
        for m, j in enumerate(keys):
            values[j] = evaluate(programs[f"softmax:{n}:{m}"], env, INTERVALS)
        out.append(tuple(values))
    return tuple(out)


def _chain_rows(programs: Programs, A: IMatrix, dA: IMatrix, allowed: list[list[int]]) -> IMatrix:
    """∂L/∂S from the weights and ∂L/∂A, row by row (the compiled chain rule through the softmax)."""
    out = []
    for i, row in enumerate(A):
        keys = allowed[i]
        n = len(keys)
        env = {**{f"yhat_{m + 1}": row[j] for m, j in enumerate(keys)},
               **{f"c_{m + 1}": dA[i][j] for m, j in enumerate(keys)}}
        values = [Interval.point(0)] * len(row)
        for m, j in enumerate(keys):
            values[j] = evaluate(programs[f"chain:{n}:{m}"], env, INTERVALS)
        out.append(tuple(values))
    return tuple(out)


def _columns(M: IMatrix, start: int, width: int) -> IMatrix:
    return tuple(row[start:start + width] for row in M)


def _hstack(parts: list[IMatrix]) -> IMatrix:
    return tuple(tuple(v for p in parts for v in p[i]) for i in range(len(parts[0])))


NO_SCALE = "the scores were not scaled by 1/√d (√d left out)"
WRONG_AXIS = "the softmax ran down each column (over the queries) instead of along each row (over the keys)"
NOT_TRANSPOSED = "K was not transposed: Q K instead of Q Kᵀ"


def _head_rules(r: Recipes, f: Attention, programs: Programs, tag: str, Qh: IMatrix, Kh: IMatrix,
                root: Interval) -> None:
    """One head's scores (mistakes only: they follow from the given data), weights and score gradient."""
    nq, nk = len(Qh), len(Kh)
    allowed = [f.allowed(i) for i in range(nq)]
    by_column = [[i for i in range(nq) if j in allowed[i]] for j in range(nk)]
    S, A, dA, dS = f"S{tag}", f"A{tag}", f"dL_dA{tag}", f"dL_dS{tag}"
    raw = iv.matmul(Qh, iv.transpose(Kh))

    def weights(v: Earlier) -> IMatrix:
        return _softmax_rows(programs, v[S], allowed)

    def down_columns(v: Earlier) -> IMatrix:
        return iv.transpose(_softmax_rows(programs, iv.transpose(v[S]), by_column))

    def unscaled_weights(v: Earlier) -> IMatrix:
        return _softmax_rows(programs, raw, allowed)

    def score_gradient(v: Earlier) -> IMatrix:
        return _chain_rows(programs, v[A], v[dA], allowed)

    r.mistake(S, (), lambda v: raw, NO_SCALE)
    if len(Qh[0]) == nk:
        not_transposed = iv.scale(root.reciprocal(), iv.matmul(Qh, Kh))
        r.mistake(S, (), lambda v: not_transposed, NOT_TRANSPOSED)
    r.rule(A, (S,), weights)
    if all(by_column):
        r.mistake(A, (S,), down_columns, WRONG_AXIS)
    r.mistake(A, (), unscaled_weights, NO_SCALE)
    if f.upstream is not None:
        r.rule(dS, (A, dA), score_gradient)


def recipes(f: Attention, programs: Programs) -> Recipes:
    """Weights from a student's scores, output from their weights, gradients from their earlier gradients;
    √d left out, softmax over the wrong axis, K not transposed."""
    H = f.heads
    Q, K, V = iv.const(f.Q), iv.const(f.K), iv.const(f.V)
    dh, dvh = len(Q[0]) // H, len(V[0]) // H
    root = iv.sqrt(Interval.point(dh))
    tags = head_names(H)
    r = Recipes()
    for h, tag in enumerate(tags):
        _head_rules(r, f, programs, tag, _columns(Q, h * dh, dh), _columns(K, h * dh, dh), root)
    heads_A = tuple(f"A{t}" for t in tags)
    values = [_columns(V, h * dvh, dvh) for h in range(H)]

    def head_output(name: str, h: int) -> Compute:
        return lambda v: iv.matmul(v[name], values[h])

    if H > 1:
        for h, name in enumerate(heads_A):
            r.rule(f"O{tags[h]}", (name,), head_output(name, h))
    r.rule("O", heads_A, lambda v: _hstack([head_output(a, h)(v) for h, a in enumerate(heads_A)]))
    if f.upstream is None:
        return r
    G = iv.const(f.upstream)
    heads_dS = tuple(f"dL_dS{t}" for t in tags)
    inverse_root = root.reciprocal()
    one = Interval.point(1)

    def grad_Q(v: Earlier, scale: Interval) -> IMatrix:
        return _hstack([iv.scale(scale, iv.matmul(v[s], _columns(K, h * dh, dh))) for h, s in enumerate(heads_dS)])

    def grad_K(v: Earlier, scale: Interval, transposed: bool = True) -> IMatrix:
        return _hstack([iv.scale(scale, iv.matmul(iv.transpose(v[s]) if transposed else v[s],
                                                  _columns(Q, h * dh, dh))) for h, s in enumerate(heads_dS)])

    r.rule("dL_dV", heads_A, lambda v: _hstack([iv.matmul(iv.transpose(v[a]), _columns(G, h * dvh, dvh))
                                                for h, a in enumerate(heads_A)]))
    r.rule("dL_dQ", heads_dS, lambda v: grad_Q(v, inverse_root))
    r.rule("dL_dK", heads_dS, lambda v: grad_K(v, inverse_root))
    r.mistake("dL_dQ", heads_dS, lambda v: grad_Q(v, one), NO_SCALE)
    r.mistake("dL_dK", heads_dS, lambda v: grad_K(v, one), NO_SCALE)
    if len(Q) == len(K):
        r.mistake("dL_dK", heads_dS, lambda v: grad_K(v, inverse_root, transposed=False),
                  "∂L/∂S was not transposed: ∂L/∂S Q instead of (∂L/∂S)ᵀ Q")
    return r


ATTENTION: Kind[Attention] = Kind(
    name="attention", data=Attention, solve=solve_attention, reference=reference,
    statement=attention_statement, rejects=rejects,
    programs=programs, recipes=recipes)
"""The declaration of kind ``attention``."""
