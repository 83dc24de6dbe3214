"""Checking a matrix-form derivative at random exact points: cheap, bounded, and sound with high probability.

:func:`disagreement` compares a candidate ∂f/∂X with the *elementwise* derivative of f at a
few random points.  At each point every matrix symbol gets a random matrix of small
rationals (symbolic sizes get small concrete values, chosen so that every inverse and
determinant in f and in the candidate exists), and f is differentiated by each entry
X[i, j] in forward mode — a value and a tangent carried through every node — over:

* **the rationals, exactly** (python-flint ``fmpq``/``fmpq_mat``) while f is rational in its
  entries (sums, products, traces, determinants, inverses, integer powers): then value and
  tangent are exact, and entry (i, j) of the candidate must *equal* the tangent;
* **arb balls** (``arb``/``arb_mat``, at least 128 bits) once a transcendental function, a
  fractional power or a constant such as e appears: then the candidate's ball and the
  tangent's ball must overlap, and a candidate is wrong only when they provably do not.

Each scalar function's own derivative comes from ``sympy.diff`` of the function at a real
argument (compiled once by :mod:`symnn.core.program`); nothing here is a hand-typed rule.

Why it is sound: a wrong formula and the true derivative are different rational (or, after
the functions, analytic) functions of the entries; by the Schwartz–Zippel lemma two different
rational functions of bounded degree agree at a random point of a large grid with
probability at most degree/grid size, so a wrong formula survives three independent points
with probability far below 10⁻⁹ for the sizes used.  :func:`disagreement` is deterministic
(its random points come from a generator seeded by the expression), so the same input gives
the same verdict.  It never calls SymPy's symbolic inverse, ``rref`` or ``simplify``, and it
gives up with :class:`Unverifiable` after ``budget`` seconds instead of hanging.

>>> import sympy as sp
>>> n = sp.Symbol("n", integer=True, positive=True)
>>> X, A = sp.MatrixSymbol("X", n, n), sp.MatrixSymbol("A", n, n)
>>> disagreement(sp.Trace(sp.Inverse(X + A)), X, -(sp.Inverse(X + A) ** 2).T) is None
True
>>> print(disagreement(sp.Trace(sp.Inverse(X + A)), X, -sp.Inverse(X + A).T))
at random point 1 (sizes n=2), entry (0, 0): the formula gives ... but ∂f/∂X[0,0] is ...
"""

from __future__ import annotations

import hashlib
import itertools
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import flint
import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct
from sympy.matrices.expressions.kronecker import KroneckerProduct

from symnn.core.domains import BALLS, NotCompilable
from symnn.core.program import compile_expression

POINTS = 3
"""Random points per verification."""
GRID = 97
"""Entries are p/q with |p| ≤ GRID and 1 ≤ q ≤ 7: a grid of about 1,300 values per entry."""
BITS = 128
"""Working precision of the ball arithmetic (doubled on an undecided comparison, up to 1024)."""


class Unverifiable(Exception):
    """The check could not be carried out (no sizes or points where f is defined, or out of time)."""


class _Singular(Exception):
    """f or the candidate is undefined at this point (a singular matrix, a log of 0, a kink)."""


class _NeedsBalls(Exception):
    """f is not rational in its entries: evaluate over arb balls."""


# ---------------------------------------------------------------------------
# The two number systems.


@dataclass(frozen=True, slots=True)
class _Field:
    """Scalars and matrices of one number system."""

    name: str
    scalar: Callable[[Any], Any]
    matrix: Callable[[int, int, list[Any]], Any]
    exact: bool


def _qq_scalar(value: Any) -> Any:
    return flint.fmpq(value) if not isinstance(value, flint.fmpq) else value


def _arb_scalar(value: Any) -> Any:
    if isinstance(value, flint.arb):
        return value
    return flint.arb(flint.fmpq(value)) if not isinstance(value, flint.fmpq) else flint.arb(value)


QQ = _Field("QQ", _qq_scalar, lambda r, c, entries: flint.fmpq_mat(r, c, entries), True)
ARB = _Field("arb", _arb_scalar, lambda r, c, entries: flint.arb_mat(r, c, [_arb_scalar(e) for e in entries]),
             False)


def _is_matrix(value: Any) -> bool:
    return isinstance(value, (flint.fmpq_mat, flint.arb_mat))


def _zero_like(value: Any, field: _Field) -> Any:
    if _is_matrix(value):
        return field.matrix(value.nrows(), value.ncols(), [0] * (value.nrows() * value.ncols()))
    return field.scalar(0)


def _entries(m: Any) -> list[Any]:
    return [m[i, j] for i in range(m.nrows()) for j in range(m.ncols())]


def _entrywise(field: _Field, m: Any, fn: Callable[[Any], Any]) -> Any:
    return field.matrix(m.nrows(), m.ncols(), [fn(e) for e in _entries(m)])


def _entrywise2(field: _Field, a: Any, b: Any, fn: Callable[[Any, Any], Any]) -> Any:
    return field.matrix(a.nrows(), a.ncols(), [fn(x, y) for x, y in zip(_entries(a), _entries(b))])


def _trace(m: Any) -> Any:
    total = m[0, 0] * 0
    for i in range(min(m.nrows(), m.ncols())):
        total += m[i, i]
    return total


def _inverse(m: Any) -> Any:
    try:
        return m.inv()
    except ZeroDivisionError:
        raise _Singular from None


def _kron(field: _Field, a: Any, b: Any) -> Any:
    rows, cols = a.nrows() * b.nrows(), a.ncols() * b.ncols()
    entries = [a[i // b.nrows(), j // b.ncols()] * b[i % b.nrows(), j % b.ncols()]
               for i in range(rows) for j in range(cols)]
    return field.matrix(rows, cols, entries)


# ---------------------------------------------------------------------------
# Forward mode: (value, tangent) through every node; a tangent of None is zero.


@dataclass(slots=True)
class _Evaluator:
    field: _Field
    values: Mapping[sp.Basic, Any]
    """Every matrix symbol and scalar symbol at this point (sizes already concrete)."""
    wrt: sp.MatrixSymbol
    direction: tuple[int, int] | None
    """The entry differentiated by, or None for values only."""
    cache: dict[sp.Basic, tuple[Any, Any]]

    def run(self, node: sp.Basic) -> tuple[Any, Any]:
        found = self.cache.get(node)
        if found is None:
            found = self._node(node)
            self.cache[node] = found
        return found

    def _node(self, node: sp.Basic) -> tuple[Any, Any]:
        f = self.field
        if node == self.wrt:
            value = self.values[node]
            if self.direction is None:
                return value, None
            i, j = self.direction
            tangent = _zero_like(value, f)
            tangent[i, j] = f.scalar(1)
            return value, tangent
        if node in self.values:
            return self.values[node], None
        if isinstance(node, sp.Rational):
            return f.scalar(flint.fmpq(int(node.p), int(node.q))), None
        if node is sp.E or node is sp.pi:
            if f.exact:
                raise _NeedsBalls
            return (flint.arb.const_e() if node is sp.E else flint.arb.pi()), None
        if isinstance(node, (sp.Identity, sp.ZeroMatrix, sp.OneMatrix)):
            rows, cols = (int(s) for s in node.shape)
            kind = type(node)
            cells = [int(i == j) if kind is sp.Identity else int(kind is sp.OneMatrix)
                     for i in range(rows) for j in range(cols)]
            return f.matrix(rows, cols, cells), None
        rule = _RULES.get(type(node))
        if rule is None:
            for kind in type(node).__mro__:
                rule = _RULES.get(kind)
                if rule is not None:
                    break
        if rule is None:
            raise Unverifiable(f"the point check cannot evaluate {type(node).__name__} ({node})")
        return rule(self, node)


def _add(e: _Evaluator, node: sp.Basic) -> tuple[Any, Any]:
    parts = [e.run(a) for a in node.args]
    value = parts[0][0]
    for v, _ in parts[1:]:
        value = value + v
    tangents = [t for _, t in parts if t is not None]
    tangent = None
    for t in tangents:
        tangent = t if tangent is None else tangent + t
    return value, tangent


def _scale(a: Any, b: Any) -> Any:
    """a·b where either may be a scalar or a matrix (a 1×1 matrix times a matrix counts as a scalar)."""
    if _is_matrix(a) and _is_matrix(b):
        if a.ncols() == b.nrows():
            return a * b
        if a.nrows() == a.ncols() == 1:
            return a[0, 0] * b
        if b.nrows() == b.ncols() == 1:
            return a * b[0, 0]
        raise Unverifiable(f"cannot multiply {a.nrows()}×{a.ncols()} by {b.nrows()}×{b.ncols()}")
    return a * b


def _product(e: _Evaluator, factors: list[Any]) -> tuple[Any, Any]:
    """The product rule over nodes (or (value, tangent) pairs already evaluated)."""
    parts = [a if isinstance(a, tuple) else e.run(a) for a in factors]
    value = parts[0][0]
    for v, _ in parts[1:]:
        value = _scale(value, v)
    tangent = None
    for k, (_, t) in enumerate(parts):
        if t is None:
            continue
        term = None
        for m, (v, _) in enumerate(parts):
            piece = t if m == k else v
            term = piece if term is None else _scale(term, piece)
        tangent = term if tangent is None else tangent + term
    return value, tangent


def _mul(e: _Evaluator, node: sp.Basic) -> tuple[Any, Any]:
    return _product(e, list(node.args))


def _power(e: _Evaluator, base: Any, dbase: Any, exponent: sp.Basic) -> tuple[Any, Any]:
    """A scalar (or 1×1) base to a constant exponent."""
    f = e.field
    if _is_matrix(base):
        base, dbase = base[0, 0], None if dbase is None else dbase[0, 0]
    if exponent.is_Integer:
        k = int(exponent)
        if k < 0 and base == 0:
            raise _Singular
        value = base ** k
        tangent = None if dbase is None else f.scalar(k) * base ** (k - 1) * dbase
        return value, tangent
    if f.exact:
        raise _NeedsBalls
    q = e.run(exponent)[0]
    if not (base > 0):
        raise _Singular  # a real power of a number not provably positive
    value = (q * base.log()).exp()
    tangent = None if dbase is None else q * value / base * dbase
    return value, tangent


def _pow(e: _Evaluator, node: sp.Pow) -> tuple[Any, Any]:
    base, exponent = node.args
    if exponent.has(e.wrt) or exponent.free_symbols - set(e.values):
        return e.run(sp.exp(exponent * sp.log(base)))
    if not exponent.is_Number:
        exponent = sp.Integer(int(e.run(exponent)[0])) if e.field.exact else exponent
    b, db = e.run(base)
    value, tangent = _power(e, b, db, exponent)
    return value, tangent


_COMPILED: dict[Any, Callable[[Any], Any]] = {}


def _compiled(body: sp.Basic, t: sp.Symbol) -> Callable[[Any], Any]:
    """A one-variable expression compiled once over arb balls (by :mod:`symnn.core.program`)."""
    key = (body, t)
    found = _COMPILED.get(key)
    if found is None:
        try:
            found = compile_expression(body, [t], BALLS)
        except NotCompilable as exc:
            raise Unverifiable(f"the point check cannot evaluate {body} ({exc})") from None
        _COMPILED[key] = found
    return found


_T = sp.Dummy("t", real=True)


def _apply(e: _Evaluator, func: Any, value: Any, tangent: Any) -> tuple[Any, Any]:
    """A function of one argument applied to a value (entrywise to a matrix), with its tangent: the
    function's own derivative is ``sympy.diff`` at a real argument."""
    if e.field.exact:
        raise _NeedsBalls
    if isinstance(func, sp.Lambda):
        t, body = _T, func.expr.xreplace({func.variables[0]: _T})
    else:
        t, body = _T, func(_T)
    fn = _compiled(body, t)
    slope = None if tangent is None else _compiled(sp.diff(body, t), t)
    kinked = body.has(sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min, sp.Piecewise)

    def one(v: Any) -> Any:
        if kinked and v.contains(0):
            raise _Singular  # at (or too near) a kink: try another point
        out = fn(v)
        if not out.is_finite():
            raise _Singular  # outside the function's domain (a log of a negative number ...)
        return out

    try:
        if _is_matrix(value):
            out = _entrywise(e.field, value, one)
            dout = None if slope is None else _entrywise2(e.field, _entrywise(e.field, value, slope), tangent,
                                                         lambda a, b: a * b)
            return out, dout
        return one(value), None if slope is None else slope(value) * tangent
    except (ValueError, ZeroDivisionError, ArithmeticError):
        raise _Singular from None


def _function(e: _Evaluator, node: sp.Function) -> tuple[Any, Any]:
    if len(node.args) != 1:
        raise Unverifiable(f"the point check cannot evaluate {node} (not a function of one argument)")
    value, tangent = e.run(node.args[0])
    if e.field.exact and isinstance(node, (sp.Abs, sp.sign)):
        if value == 0:
            raise _Singular  # |x| and sign(x) have no derivative at 0
        sign = 1 if value > 0 else -1
        if isinstance(node, sp.Abs):
            return value * sign, None if tangent is None else tangent * sign
        return e.field.scalar(sign), None
    if isinstance(node, sp.sign):
        if value.contains(0):
            raise _Singular
        return e.field.scalar(1 if value > 0 else -1), None
    return _apply(e, node.func, value, tangent)


def _trace_rule(e: _Evaluator, node: sp.Trace) -> tuple[Any, Any]:
    value, tangent = e.run(node.arg)
    return _trace(value), None if tangent is None else _trace(tangent)


def _determinant(e: _Evaluator, node: sp.Determinant) -> tuple[Any, Any]:
    value, tangent = e.run(node.arg)
    det = value.det()
    if tangent is None:
        return det, None
    if det == 0:
        raise _Singular
    return det, det * _trace(_inverse(value) * tangent)


def _element(e: _Evaluator, node: Any) -> tuple[Any, Any]:
    value, tangent = e.run(node.parent)
    i, j = int(node.i), int(node.j)
    return value[i, j], None if tangent is None else tangent[i, j]


def _matmul(e: _Evaluator, node: sp.MatMul) -> tuple[Any, Any]:
    return _product(e, list(node.args))


def _matpow(e: _Evaluator, node: sp.MatPow) -> tuple[Any, Any]:
    base, exponent = node.args
    value, tangent = e.run(base)
    if value.nrows() == value.ncols() == 1 and not (exponent.is_Integer and exponent > 0):
        v, t = _power(e, value, tangent, exponent if exponent.is_Number else exponent.xreplace(
            {s: sp.Integer(int(e.values[s])) for s in exponent.free_symbols if s in e.values}))
        return e.field.matrix(1, 1, [v]), None if t is None else e.field.matrix(1, 1, [t])
    k = int(exponent) if exponent.is_Integer else int(e.run(exponent)[0])
    if k < 0:
        value, tangent = _inverse(value), None if tangent is None else -_inverse(value) * tangent * _inverse(value)
        k = -k
    if k == 0:
        return _identity(e.field, value.nrows()), None
    return _product(e, [(value, tangent)] * k)


def _identity(field: _Field, n: int) -> Any:
    return field.matrix(n, n, [int(i == j) for i in range(n) for j in range(n)])


def _transpose(e: _Evaluator, node: sp.Transpose) -> tuple[Any, Any]:
    value, tangent = e.run(node.arg)
    return value.transpose(), None if tangent is None else tangent.transpose()


def _inverse_rule(e: _Evaluator, node: sp.Inverse) -> tuple[Any, Any]:
    value, tangent = e.run(node.arg)
    inverse = _inverse(value)
    return inverse, None if tangent is None else -(inverse * tangent * inverse)


def _hadamard_product(e: _Evaluator, node: HadamardProduct) -> tuple[Any, Any]:
    parts = [e.run(a) for a in node.args]
    def times(a: Any, b: Any) -> Any:
        return _entrywise2(e.field, a, b, lambda x, y: x * y)

    value = parts[0][0]
    for v, _ in parts[1:]:
        value = times(value, v)
    tangent = None
    for k, (_, t) in enumerate(parts):
        if t is None:
            continue
        term = t
        for m, (v, _) in enumerate(parts):
            if m != k:
                term = times(term, v)
        tangent = term if tangent is None else tangent + term
    return value, tangent


def _hadamard_power(e: _Evaluator, node: HadamardPower) -> tuple[Any, Any]:
    base, exponent = node.args
    value, tangent = e.run(base)
    pairs = [_power(e, v, None if tangent is None else t, exponent)
             for v, t in zip(_entries(value), _entries(tangent) if tangent is not None else [None] * value.nrows()
                             * value.ncols())]
    out = e.field.matrix(value.nrows(), value.ncols(), [p[0] for p in pairs])
    dout = None if tangent is None else e.field.matrix(value.nrows(), value.ncols(), [p[1] for p in pairs])
    return out, dout


def _elementwise(e: _Evaluator, node: ElementwiseApplyFunction) -> tuple[Any, Any]:
    value, tangent = e.run(node.expr)
    return _apply(e, node.function, value, tangent)


def _kronecker(e: _Evaluator, node: KroneckerProduct) -> tuple[Any, Any]:
    parts = [e.run(a) for a in node.args]
    value = parts[0][0]
    for v, _ in parts[1:]:
        value = _kron(e.field, value, v)
    tangent = None
    for k, (_, t) in enumerate(parts):
        if t is None:
            continue
        term = None
        for m, (v, _) in enumerate(parts):
            piece = t if m == k else v
            term = piece if term is None else _kron(e.field, term, piece)
        tangent = term if tangent is None else tangent + term
    return value, tangent


def _explicit(e: _Evaluator, node: sp.MatrixBase) -> tuple[Any, Any]:
    cells = [e.run(entry) for entry in node]
    value = e.field.matrix(node.rows, node.cols, [c[0] for c in cells])
    if all(c[1] is None for c in cells):
        return value, None
    return value, e.field.matrix(node.rows, node.cols,
                                 [c[1] if c[1] is not None else e.field.scalar(0) for c in cells])


def _diag(e: _Evaluator, node: Any) -> tuple[Any, Any]:
    value, tangent = e.run(node.args[0])
    entries = _entries(value)
    size = len(entries)

    def square(cells: list[Any]) -> Any:
        return e.field.matrix(size, size, [cells[i] if i == j else 0 for i in range(size) for j in range(size)])

    return square(entries), None if tangent is None else square(_entries(tangent))


def _slice(e: _Evaluator, node: Any) -> tuple[Any, Any]:
    value, tangent = e.run(node.parent)
    (r0, r1, rs), (c0, c1, cs) = ((int(v) for v in part) for part in (node.rowslice, node.colslice))
    rows, cols = range(r0, r1, rs), range(c0, c1, cs)

    def cut(m: Any) -> Any:
        return e.field.matrix(len(rows), len(cols), [m[i, j] for i in rows for j in cols])

    return cut(value), None if tangent is None else cut(tangent)


def _sum(e: _Evaluator, node: sp.Sum) -> tuple[Any, Any]:
    written = node.doit()
    if written.has(sp.Sum):
        raise Unverifiable(f"the point check cannot expand the sum {node}")
    return e.run(written)


_RULES: dict[type, Callable[[_Evaluator, Any], tuple[Any, Any]]] = {
    sp.Add: _add,
    sp.MatAdd: _add,
    sp.Mul: _mul,
    sp.Pow: _pow,
    sp.Trace: _trace_rule,
    sp.Determinant: _determinant,
    sp.matrices.expressions.matexpr.MatrixElement: _element,
    sp.MatMul: _matmul,
    sp.MatPow: _matpow,
    sp.Transpose: _transpose,
    sp.Inverse: _inverse_rule,
    HadamardProduct: _hadamard_product,
    HadamardPower: _hadamard_power,
    ElementwiseApplyFunction: _elementwise,
    KroneckerProduct: _kronecker,
    sp.MatrixBase: _explicit,
    sp.Sum: _sum,
    DiagMatrix: _diag,
    sp.MatrixSlice: _slice,
    sp.Function: _function,
}


# ---------------------------------------------------------------------------
# Sizes, points and the comparison.


def _size_symbols(*exprs: sp.Basic) -> list[sp.Symbol]:
    found: set[sp.Symbol] = set()
    for expr in exprs:
        for matrix in expr.atoms(sp.MatrixSymbol):
            for size in matrix.shape:
                found |= sp.sympify(size, strict=True).free_symbols
        for node in sp.preorder_traversal(expr):
            if isinstance(node, (sp.Identity, sp.ZeroMatrix, sp.OneMatrix)):
                for size in node.shape:
                    found |= sp.sympify(size, strict=True).free_symbols
    return sorted(found, key=sp.default_sort_key)


def size_choices(symbols: list[sp.Symbol]) -> list[dict[sp.Symbol, int]]:
    """Concrete sizes to try, in order: distinct small values (2, 3, ...) in every order, then all equal."""
    if not symbols:
        return [{}]
    base = list(range(2, 2 + len(symbols)))
    choices = [{s: sp.Integer(v) for s, v in zip(symbols, order)}
               for order in itertools.islice(itertools.permutations(base), 24)]
    return [*choices, dict.fromkeys(symbols, sp.Integer(3))]


def _random_value(rng: random.Random) -> flint.fmpq:
    while True:
        value = flint.fmpq(rng.randint(-GRID, GRID), rng.randint(1, 7))
        if value != 0:
            return value


def _point(expr: sp.Basic, formula: sp.Basic, wrt: sp.MatrixSymbol, dims: Mapping[sp.Symbol, int],
           rng: random.Random) -> dict[sp.Basic, Any]:
    """Random rational values for every matrix and scalar symbol (sizes made concrete)."""
    values: dict[sp.Basic, Any] = {}
    matrices = expr.atoms(sp.MatrixSymbol) | formula.atoms(sp.MatrixSymbol) | {wrt}
    for matrix in sorted(matrices, key=sp.default_sort_key):
        rows, cols = (int(sp.sympify(s, strict=True).xreplace(dims)) for s in matrix.shape)
        values[matrix.xreplace(dims)] = flint.fmpq_mat(rows, cols, [_random_value(rng) for _ in range(rows * cols)])
    sizes = set(dims)
    scalars = (expr.free_symbols | formula.free_symbols) - sizes - set(matrices)
    for symbol in sorted((s for s in scalars if isinstance(s, sp.Symbol)), key=sp.default_sort_key):
        values[symbol] = flint.fmpq(rng.randint(2, 4)) if symbol.is_integer else _random_value(rng)
    return values


def _as_field(values: Mapping[sp.Basic, Any], field: _Field) -> dict[sp.Basic, Any]:
    if field.exact:
        return dict(values)
    out: dict[sp.Basic, Any] = {}
    for key, value in values.items():
        out[key] = flint.arb_mat(value) if isinstance(value, flint.fmpq_mat) else _arb_scalar(value)
    return out


def _scalar_of(value: Any) -> Any:
    if _is_matrix(value):
        if value.nrows() != 1 or value.ncols() != 1:
            raise Unverifiable("the expression is not a scalar")
        return value[0, 0]
    return value


def _text(value: Any) -> str:
    if isinstance(value, flint.fmpq):
        text = str(value)
    else:
        text = value.str(10, radius=False)
    return text if len(text) <= 12 else text[:12] + "..."


def _plain(evaluator: _Evaluator, formula: sp.Basic, vec_of: sp.MatrixSymbol | None) -> Any:
    """The candidate's value: the formula itself, or (``vec_of`` V) the formula times vec(V) folded back."""
    value = evaluator.run(formula)[0]
    if vec_of is None:
        return value
    v = evaluator.run(vec_of)[0]
    rows, cols = v.nrows(), v.ncols()
    column = evaluator.field.matrix(rows * cols, 1, [v[i, j] for j in range(cols) for i in range(rows)])
    product = value * column
    return evaluator.field.matrix(rows, cols, [product[j * rows + i, 0] for i in range(rows) for j in range(cols)])


def _compare_at(expr: sp.Basic, wrt: sp.MatrixSymbol, formula: sp.MatrixExpr, values: Mapping[sp.Basic, Any],
                field: _Field, deadline: float, vec_of: sp.MatrixSymbol | None = None) -> str | None | bool:
    """The first disagreement at this point (a message), None if every entry agrees, False if undecided."""
    concrete_wrt = next(k for k in values if isinstance(k, sp.MatrixSymbol) and k.name == wrt.name)
    point = _as_field(values, field)
    shared: dict[sp.Basic, tuple[Any, Any]] = {}
    candidate = _plain(_Evaluator(field, point, concrete_wrt, None, shared), formula, vec_of)
    if not _is_matrix(candidate):
        candidate = field.matrix(1, 1, [candidate])
    rows, cols = point[concrete_wrt].nrows(), point[concrete_wrt].ncols()
    if (candidate.nrows(), candidate.ncols()) != (rows, cols):
        return f"the formula is {candidate.nrows()}×{candidate.ncols()} but {wrt} is {rows}×{cols}"
    undecided = False
    for i in range(rows):
        for j in range(cols):
            if time.monotonic() > deadline:
                raise Unverifiable("the point check ran out of time")
            _, tangent = _Evaluator(field, point, concrete_wrt, (i, j), {}).run(expr)
            slope = _scalar_of(tangent) if tangent is not None else field.scalar(0)
            claimed = candidate[i, j]
            if field.exact:
                if claimed != slope:
                    return f"entry ({i}, {j}): the formula gives {_text(claimed)} but ∂f/∂{wrt}[{i},{j}] is {_text(slope)}"
                continue
            difference = claimed - slope
            if not difference.is_finite():
                raise _Singular
            if not difference.contains(0):
                return f"entry ({i}, {j}): the formula gives {_text(claimed)} but ∂f/∂{wrt}[{i},{j}] is {_text(slope)}"
            if difference.rad() > 1e-20 * max(1.0, abs(float(slope.mid()))):
                undecided = True
    return False if undecided else None


def _seed(expr: sp.Basic, wrt: sp.MatrixSymbol, formula: sp.Basic) -> int:
    return int.from_bytes(hashlib.sha256(f"{sp.srepr(expr)}|{wrt}|{sp.srepr(formula)}".encode()).digest()[:8], "big")


def vec_disagreement(expr: sp.Basic, wrt: sp.MatrixSymbol, v: sp.MatrixSymbol, operator: sp.MatrixExpr,
                     points: int = POINTS, budget: float = 5.0) -> str | None:
    """As :func:`disagreement`, for a derivative given as an operator on vec(V): entry (i, j) of the
    derivative must be entry j·rows + i of ``operator`` · vec(V) (columns stacked)."""
    return disagreement(expr, wrt, operator, points, budget, vec_of=v)


def disagreement(expr: sp.Basic, wrt: sp.MatrixSymbol, formula: sp.MatrixExpr, points: int = POINTS,
                 budget: float = 5.0, vec_of: sp.MatrixSymbol | None = None) -> str | None:
    """Where ``formula`` differs from the elementwise derivative of ``expr`` by ``wrt`` (None: it agrees at
    ``points`` random points); :class:`Unverifiable` when no point can be evaluated within ``budget`` seconds."""
    deadline = time.monotonic() + budget
    rng = random.Random(_seed(expr, wrt, formula))
    choices = size_choices(_size_symbols(expr, formula, wrt))
    checked = attempts = 0
    for dims in choices:
        concrete_expr, concrete_formula = expr.xreplace(dims), formula.xreplace(dims)
        concrete_wrt = wrt.xreplace(dims)
        failures = 0
        while checked < points and failures < 6:
            attempts += 1
            if time.monotonic() > deadline:
                raise Unverifiable(f"the point check ran out of time ({budget:g} s)")
            values = _point(concrete_expr, concrete_formula, concrete_wrt, dims, rng)
            verdict: str | None | bool
            try:
                try:
                    verdict = _compare_at(concrete_expr, concrete_wrt, concrete_formula, values, QQ, deadline,
                                          None if vec_of is None else vec_of.xreplace(dims))
                except _NeedsBalls:
                    verdict = False
                    bits = BITS
                    while verdict is False and bits <= 1024:
                        with flint.ctx.workprec(bits):
                            verdict = _compare_at(concrete_expr, concrete_wrt, concrete_formula, values, ARB,
                                                  deadline, None if vec_of is None else vec_of.xreplace(dims))
                        bits *= 2
            except _Singular:
                failures += 1
                continue
            if verdict is False:
                failures += 1
                continue
            if verdict is not None:
                where = ", ".join(f"{s}={v}" for s, v in dims.items())
                return f"at random point {checked + 1}" + (f" (sizes {where})" if where else "") + f", {verdict}"
            checked += 1
        if checked >= points:
            return None
        checked = 0
    raise Unverifiable(f"no sizes and points found where {expr} and its derivative are defined "
                       f"({attempts} tried)")
