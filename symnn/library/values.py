"""Turning the numbers and matrices people pass in code into exact values.

Entries may be ints, strings such as ``"0.1"``, ``"-2.5e-3"`` or ``"1/3"`` (read by
:class:`fractions.Fraction`, never by ``sympify``), Fractions, or SymPy numbers and
symbols.  Floats are inexact, so they are refused unless the caller opts in with
``allow_float=True``; then a float is read through its shortest decimal ``repr``
(``0.1`` becomes exactly 1/10).

A matrix whose entries are all rational becomes a :class:`DomainMatrix` over ``QQ``
(python-flint underneath), the fast exact path; anything else (symbols, ``sqrt(2)``)
becomes a :class:`DomainMatrix` over ``EXRAW`` holding SymPy expressions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy import EXRAW, QQ
from sympy.polys.matrices import DomainMatrix

from symnn.errors import ShapeError, SpecError

Entry = Any
"""One exact entry: a flint ``fmpq`` (an element of ``QQ``) or a SymPy expression."""

_EXPONENT = re.compile(r"[eE]\s*([+-]?\d+)")
_MAX_EXPONENT = 10_000
"""Decimal exponents beyond this are refused: ``1e999999999`` would exhaust memory."""


def shape_text(shape: tuple[int, int]) -> str:
    """``(2, 3)`` as ``"2×3"``, the way every message writes shapes.

    >>> shape_text((2, 3))
    '2×3'
    """
    return f"{shape[0]}×{shape[1]}"


def _float_entry(value: float, where: str, allow_float: bool) -> Entry:
    if not allow_float:
        raise SpecError(
            f"{where} is the float {value!r}; floats are inexact, so write it as a string "
            f"{str(repr(value))!r} or a Fraction, or pass allow_float=True to read floats "
            "by their decimal repr"
        )
    if not math.isfinite(value):
        raise SpecError(f"{where} is {value!r}; only finite numbers are allowed")
    fraction = Fraction(repr(value))
    return QQ(fraction.numerator, fraction.denominator)


def _text_entry(value: str, where: str, allow_float: bool) -> Entry:
    exponent = _EXPONENT.search(value)
    if exponent is not None and abs(int(exponent.group(1))) > _MAX_EXPONENT:
        raise SpecError(f"{where}: the exponent in {value!r} is too large (limit ±{_MAX_EXPONENT})")
    try:
        fraction = Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise SpecError(
            f"{where}: cannot read {value!r} as a number; write an integer, a decimal like "
            "'0.1' or a fraction like '1/3' (for a symbol pass a sympy.Symbol)"
        ) from None
    return QQ(fraction.numerator, fraction.denominator)


def _sympy_entry(value: sp.Basic, where: str, allow_float: bool) -> Entry:
    if isinstance(value, sp.Float):
        return _float_entry(float(value), where, allow_float)
    if isinstance(value, sp.Rational):
        return _bounded(int(value.p), int(value.q), where)
    if not isinstance(value, sp.Expr) or isinstance(value, sp.MatrixBase):
        raise SpecError(f"{where} must be a number or a scalar expression, got {type(value).__name__}")
    if value.has(sp.Float):
        raise SpecError(f"{where} contains a float ({value}); write its numbers exactly")
    if value.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise SpecError(f"{where} is not finite ({value})")
    if value.has(sp.I):
        raise SpecError(f"{where} is not a real number ({value})")
    return value


def _bool_entry(value: bool, where: str, allow_float: bool) -> Entry:
    raise SpecError(f"{where} must be a number, got the boolean {value}")


MAX_ENTRY_BITS = 6644
"""The most bits in an exact entry's numerator or denominator (2000 decimal digits)."""


def _bounded(numerator: int, denominator: int, where: str) -> Entry:
    if max(abs(numerator).bit_length(), denominator.bit_length()) > MAX_ENTRY_BITS:
        raise SpecError(f"{where} has more than 2000 digits; entries are at most 2000 digits long")
    return QQ(numerator, denominator)


def _int_entry(value: int, where: str, allow_float: bool) -> Entry:
    return _bounded(int(value), 1, where)


def _fraction_entry(value: Fraction, where: str, allow_float: bool) -> Entry:
    return _bounded(value.numerator, value.denominator, where)


_ENTRY_READERS: dict[type, Callable[[Any, str, bool], Entry]] = {
    bool: _bool_entry,
    int: _int_entry,
    float: _float_entry,
    str: _text_entry,
    Fraction: _fraction_entry,
    sp.Basic: _sympy_entry,
}


def _numpy_scalar(value: Any) -> Any:
    """A numpy scalar as the matching Python number (numpy is optional here)."""
    kind = type(value).__module__
    if kind == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


def exact_entry(value: Any, where: str, allow_float: bool = False) -> Entry:
    """One exact entry: ``QQ`` for rational numbers, a SymPy expression otherwise.

    >>> exact_entry("0.1", "x"), exact_entry(Fraction(1, 3), "x"), exact_entry(sp.Symbol("w"), "x")
    (1/10, 1/3, w)
    >>> exact_entry(0.1, "W1[1][1]")
    Traceback (most recent call last):
    ...
    symnn.errors.SpecError: W1[1][1] is the float 0.1; floats are inexact, so write it as a string '0.1' or a Fraction, or pass allow_float=True to read floats by their decimal repr
    >>> exact_entry(0.1, "x", allow_float=True)
    1/10
    """
    value = _numpy_scalar(value)
    if type(value) in _ENTRY_READERS:
        return _ENTRY_READERS[type(value)](value, where, allow_float)
    for kind, reader in _ENTRY_READERS.items():
        if isinstance(value, kind):
            return reader(value, where, allow_float)
    raise SpecError(
        f"{where} must be a number (int, str like '1/3', Fraction or SymPy number), "
        f"got {type(value).__name__}"
    )


def _rows(value: Any, name: str) -> list[list[Any]]:
    """Nested lists of entries: a flat sequence is a column, a lone number is 1×1."""
    if isinstance(value, sp.MatrixExpr) and not isinstance(value, sp.MatrixBase):
        value = value.as_explicit()
    if isinstance(value, sp.MatrixBase):
        return value.tolist()  # type: ignore[no-any-return]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    if not isinstance(value, Sequence) or isinstance(value, str):
        return [[value]]
    if len(value) == 0:
        raise SpecError(f"{name} is empty")
    nested = [isinstance(row, Sequence) and not isinstance(row, str) for row in value]
    if not any(nested):
        return [[entry] for entry in value]
    if not all(nested):
        raise SpecError(f"{name} mixes numbers and rows; write every row as a list")
    width = len(value[0])
    for i, row in enumerate(value, start=1):
        if len(row) != width:
            raise ShapeError(f"{name} row {i} has {len(row)} entries but row 1 has {width}")
    if width == 0:
        raise SpecError(f"{name} has empty rows")
    return [list(row) for row in value]


def exact_matrix(value: Any, name: str, allow_float: bool = False) -> DomainMatrix:
    """A matrix of exact entries: over ``QQ`` when all are rational, else ``EXRAW``.

    Accepts nested lists (rows), a flat list (a column), a lone number (1×1), a SymPy
    matrix or ``MatrixSymbol`` (its entries), or a :class:`DomainMatrix`.

    >>> exact_matrix([["1/2", 0], [3, "0.25"]], "W1")
    DomainMatrix([[1/2, 0], [3, 1/4]], (2, 2), QQ)
    >>> exact_matrix([1, 2], "x").shape
    (2, 1)
    >>> exact_matrix([[1, 2], [3]], "W1")
    Traceback (most recent call last):
    ...
    symnn.errors.ShapeError: W1 row 2 has 1 entries but row 1 has 2
    """
    if isinstance(value, DomainMatrix):
        return _normalise_domain(value, name, allow_float)
    rows = _rows(value, name)
    entries = [
        [exact_entry(v, f"{name}[{i}][{j}]", allow_float) for j, v in enumerate(row, start=1)]
        for i, row in enumerate(rows, start=1)
    ]
    shape = (len(entries), len(entries[0]))
    if all(QQ.of_type(v) for row in entries for v in row):
        return DomainMatrix(entries, shape, QQ)
    symbolic = [[QQ.to_sympy(v) if QQ.of_type(v) else v for v in row] for row in entries]
    return DomainMatrix(symbolic, shape, EXRAW)


def _normalise_domain(value: DomainMatrix, name: str, allow_float: bool) -> DomainMatrix:
    if value.domain == QQ:
        return value.to_dense()
    if value.domain.is_ZZ:
        return value.convert_to(QQ).to_dense()
    return exact_matrix(value.to_Matrix(), name, allow_float)


def to_sympy_matrix(matrix: DomainMatrix) -> sp.Matrix:
    """A SymPy ``Matrix`` with the same exact entries.

    SymPy stores a ``Matrix`` as a sparse :class:`DomainMatrix` over ``QQ`` or ``EXRAW``,
    so rational results convert without re-reading any number as a SymPy object.

    >>> to_sympy_matrix(exact_matrix([["1/2", 3]], "W"))
    Matrix([[1/2, 3]])
    """
    return matrix.to_Matrix()
