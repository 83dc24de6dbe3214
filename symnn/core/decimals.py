"""The number rules every sheet, key and checker shares: exact decimals, rounding, floats, plain text.

A terminating rational is its own exact decimal (``11/20`` is ``0.55``); any other exact value
is shown after ``≈`` correctly rounded half to even from a rigorous enclosure (arb balls,
narrowed until both ends round alike: never an unchecked ``evalf``), with more places for
small values so they keep three significant digits.  Floats (JSON, Moodle) are the correctly
rounded float of the value, and a value beyond the float range is refused.  Renderers print these numbers; the
solvers, the cross-check and the checker compute with the same rules, so they never import a
renderer.

>>> import sympy as sp
>>> approximate(sp.sqrt(2), 3), approximate(sp.Rational(1, 3000), 3)
(707/500, 333/1000000)
>>> rational_text(sp.Rational(-11, 200)), exact_text(sp.Matrix([[1, sp.Rational(1, 3)]]))
('-0.055', '[[1, 1/3]]')
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

import sympy as sp
from sympy.printing.str import StrPrinter

from symnn.core.balls import NotFinite
from symnn.core.domains import ENCLOSURE_BITS, NotCompilable, Undecided, enclose_at
from symnn.core.program import compile_program, enclose
from symnn.errors import MathDomainError

DEFAULT_DECIMALS = 3
"""Places after ``≈`` unless a sheet or the command line asks for others."""

NUMERIC_DIGITS = 50
"""Significant digits of the one cached evaluation every rounding and float reads."""


def terminating(value: sp.Rational | Fraction) -> bool:
    """Whether a rational has a finite decimal expansion (denominator 2^a 5^b)."""
    q = int(value.denominator)
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def rational_text(value: sp.Rational) -> str:
    """A terminating rational as an exact decimal string, e.g. ``-0.055``."""
    text = format(Decimal(int(value.p)) / Decimal(int(value.q)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def decimal_text(value: Fraction, places: int | None) -> str:
    """A Fraction as a decimal: exactly (places None, terminating values only) or rounded half to
    even to ``places``; in integer arithmetic, so a value of any size is exact (no Decimal context).

    >>> decimal_text(Fraction(55, 3), 2), decimal_text(Fraction(-1, 8), None), decimal_text(Fraction(-1, 1000), 2)
    ('18.33', '-0.125', '0.00')
    >>> decimal_text(Fraction(10**100 + 1, 3), 1)[-4:], decimal_text(Fraction(5, 2), 0)
    ('33.7', '2')
    """
    if places is None:
        q, places = value.denominator, 0
        while q % 10 == 0 or q % 2 == 0 or q % 5 == 0:
            q //= 10 if q % 10 == 0 else (2 if q % 2 == 0 else 5)
            places += 1
        if q != 1:
            raise ValueError(f"{value} has no finite decimal expansion")
        scaled = value * 10**places
        number = scaled.numerator // scaled.denominator
    else:
        number = round(value * 10**places)
    digits = str(abs(number)).rjust(places + 1, "0")
    text = f"{digits[:-places]}.{digits[-places:]}" if places else digits
    return ("-" if number < 0 else "") + text


MAX_ROUNDING_BITS = 1 << 16
"""The highest precision (bits) at which a rounding is decided before the value is refused."""


class NotCertified(MathDomainError):
    """A value whose decimals cannot be certified (not finite, or too close to a rounding tie)."""


@lru_cache(maxsize=1 << 16)
def enclosure(value: sp.Basic) -> tuple[Fraction, Fraction]:
    """Rigorous rational bounds of an exact value, tight enough that both round to the same float.

    Rationals are their own bounds; anything else is enclosed in arb balls by the one compiler
    (:func:`symnn.core.program.enclose`).  What the compiler does not read is evaluated by
    SymPy with ``strict=True`` (it raises rather than return digits it could not reach).
    Raises :class:`NotCertified` for a value that is not a finite real number.

    >>> enclosure(sp.Rational(1, 3))
    (Fraction(1, 3), Fraction(1, 3))
    >>> low, high = enclosure(-sp.log(1 - 1 / (1 + sp.exp(-1000))))
    >>> float(low), float(high)
    (1000.0, 1000.0)
    """
    if isinstance(value, sp.Rational):
        exact = Fraction(int(value.p), int(value.q))
        return exact, exact
    # No is_real/is_finite queries: SymPy's assumptions can answer differently from run to run
    # (1 - tanh(100) and log(1/(e^-200 + 1)) depend on the hash seed); the balls decide.
    try:
        return enclose(value)
    except NotCompilable:
        pass
    except ValueError as exc:
        raise NotCertified(f"{_short(value)} cannot be certified: {exc}") from None
    try:
        number = value.evalf(NUMERIC_DIGITS + 10, strict=True)
    except (sp.core.evalf.PrecisionExhausted, ValueError, TypeError) as exc:
        raise NotCertified(f"{_short(value)} cannot be evaluated reliably: {exc}") from None
    if not (number.is_Float or number.is_Rational) or number in (sp.oo, -sp.oo, sp.nan):
        raise NotCertified(f"{_short(value)} is not a finite real number")
    middle = Fraction(str(number)) if number.is_Float else Fraction(int(number.p), int(number.q))
    return middle, middle


def _short(value: sp.Basic) -> str:
    text = str(sp.sstr(value))
    return text if len(text) <= 60 else text[:57] + "..."


def numeric_value(value: sp.Basic) -> sp.Basic:
    """The exact value to :data:`NUMERIC_DIGITS` digits, from its rigorous :func:`enclosure`
    (cached there: an entry shown in several places of a sheet, its key and its Moodle
    questions is enclosed once).  Its float is the correctly rounded float of the value.

    >>> numeric_value(sp.log(2))
    0.69314718055994530941723212145817656807550013436025
    """
    low, high = enclosure(value)
    middle = (low + high) / 2
    return sp.Float(sp.Rational(middle.numerator, middle.denominator), NUMERIC_DIGITS)


@lru_cache(maxsize=1 << 16)
def to_finite_float(value: sp.Basic) -> float:
    """The correctly rounded float of an exact value; :class:`NotCertified` beyond the float range.
    (Cached: the cross-check, the answer key and Moodle each ask for it.)

    >>> to_finite_float(sp.exp(-200))
    1.3838965267367376e-87
    """
    low, high = enclosure(value)
    try:
        result = float((low + high) / 2)
    except OverflowError:
        result = math.inf
    if not math.isfinite(result):
        raise NotCertified(f"{_short(value)} is beyond the range of a float (about ±1.8e308), so it has no "
                           "JSON or Moodle number; use smaller numbers")
    return result


def round_fraction(value: Fraction, places: int) -> Fraction:
    """A rational rounded half to even to ``places`` places.

    >>> round_fraction(Fraction(5, 2000), 2), round_fraction(Fraction(-1, 3), 3)
    (Fraction(0, 1), Fraction(-333, 1000))
    """
    scale = Fraction(10) ** places
    return Fraction(_rounded_units(value, places)) / scale


def _rounded_units(value: Fraction, places: int) -> int:
    """``value · 10^places`` rounded half to even, in integers (what ``round`` does with a Fraction)."""
    if places < 0:
        return int(round(value * Fraction(10) ** places))
    scale: int = 10**places
    floor, remainder = divmod(value.numerator * scale, value.denominator)
    twice = 2 * remainder
    if twice < value.denominator or (twice == value.denominator and floor % 2 == 0):
        return floor
    return floor + 1


def round_rational(value: sp.Basic, decimals: int) -> sp.Rational:
    """The exact value correctly rounded (half to even) to ``decimals`` places, as an exact rational.

    Certified: both ends of a rigorous enclosure must round alike, else the enclosure is
    narrowed (arb balls at rising precision, up to :data:`MAX_ROUNDING_BITS`).

    >>> float(round_rational(1 - sp.tanh(100), 90))  # 2.7677930534...e-87
    2.768e-87
    """
    low, high = enclosure(value)
    bits = ENCLOSURE_BITS
    while low != high and _rounded_units(low, decimals) != _rounded_units(high, decimals):
        bits *= 4
        if bits > MAX_ROUNDING_BITS:
            raise NotCertified(f"{_short(value)} lies too close to a rounding tie at {decimals} places "
                               f"to be certified with {MAX_ROUNDING_BITS}-bit enclosures")
        try:
            low, high = enclose_at(compile_program(value), bits)
        except (Undecided, NotFinite):
            continue
    result = round_fraction(low, decimals)
    return sp.Rational(result.numerator, result.denominator)


def digits_for(value: sp.Basic, decimals: int) -> int:
    """Places to show: ``decimals``, or more so a small value keeps 3 significant digits."""
    low, high = enclosure(value)
    number = abs(low + high) / 2
    places = decimals
    # number < 10^(2 - places), in integers: number · 10^places < 100
    while 0 < number and places < 12 and (number < Fraction(10) ** (2 - places) if places < 0 else
                                          number.numerator * 10**places < 100 * number.denominator):
        places += 1
    return places


def is_exact_decimal(value: sp.Basic) -> bool:
    """Whether the value, printed, is already its own decimal (a terminating rational)."""
    if isinstance(value, sp.MatrixBase):
        return all(is_exact_decimal(v) for row in matrix_rows(value) for v in row)
    return bool(isinstance(value, sp.Rational) and terminating(value))


def approximate(value: sp.Basic, decimals: int) -> sp.Basic:
    """The decimal shown after ``≈``: the value rounded, entry by entry for a matrix.  (Remembered for
    an immutable value: a sheet shows a value's decimal in its step and in its final results, and
    Moodle asks for it again.)"""
    try:
        return _approximated(value, decimals)
    except TypeError:  # a mutable matrix has no hash
        return _approximate(value, decimals)


@lru_cache(maxsize=1 << 14)
def _approximated(value: sp.Basic, decimals: int) -> sp.Basic:
    return _approximate(value, decimals)


def _approximate(value: sp.Basic, decimals: int) -> sp.Basic:
    if isinstance(value, sp.MatrixBase):
        return sp.ImmutableMatrix(
            value.shape[0], value.shape[1], [approximate(v, decimals) for row in matrix_rows(value) for v in row]
        )
    return round_rational(value, digits_for(value, decimals))


def to_float(value: sp.Basic) -> float | list[list[float]]:
    """A correctly rounded float (or rows of them) for JSON; the exact value stays the record."""
    if isinstance(value, sp.MatrixBase):
        return [[to_finite_float(v) for v in row] for row in matrix_rows(value)]
    return to_finite_float(value)


def matrix_rows(m: Any) -> list[list[Any]]:
    """``m.tolist()``; for an immutable matrix read off the entries it holds as its arguments (``tolist``
    converts its internal representation afresh at every call, and a worked solution reads each value's
    entries many times)."""
    if type(m) is sp.ImmutableDenseMatrix:
        rows, cols = int(m.rows), int(m.cols)
        flat = m.args[2].args
        if len(flat) == rows * cols:
            return [list(flat[i * cols:(i + 1) * cols]) for i in range(rows)]
    return list(m.tolist())


MEMO_SIZE = 1 << 17
"""Most printed subexpressions a :class:`Remembering` printer keeps before it starts afresh."""


class Remembering:
    """A SymPy printer mixin that prints each subexpression once per process.

    Printing is a pure function of the (structurally compared) expression and the printer's
    settings, and a worked solution or an answer key prints the same entries, powers and sums
    many times (variants of one exercise: thousands of times).  Floats are printed afresh: two
    Floats of different precision compare equal but print differently.  Put it before the
    printer class: ``class P(Remembering, LatexPrinter)``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._memo: dict[sp.Basic, str] = {}

    def _print(self, expr: Any, **kwargs: Any) -> str:
        printed = super()._print  # type: ignore[misc]
        if kwargs or not isinstance(expr, sp.Basic) or isinstance(expr, sp.Float):
            return str(printed(expr, **kwargs))
        try:
            return self._memo[expr]
        except KeyError:
            pass
        except TypeError:  # a mutable matrix has no hash
            return str(printed(expr))
        text = str(printed(expr))
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        self._memo[expr] = text
        return text


def minus_sign(term: sp.Basic) -> bool | None:
    """``term.could_extract_minus_sign()`` where it is read off the term, None elsewhere.

    A rational: whether it is negative.  A power or an exponential: never (SymPy's default).  A
    product led by a nonzero rational whose next factor is neither a number nor zoo: whether the
    rational is negative (its negation then differs from it, so SymPy's ``self == -self`` test does
    not apply, and SymPy's answer is the rational's sign, which it deduces with every other fact of
    a new rational: about 50 µs each).  (SymPy negates ``c·zoo·…`` by leaving it as it is.)
    """
    if isinstance(term, sp.Rational):
        return int(term.p) < 0
    if type(term) in (sp.Pow, sp.exp):
        return False
    if type(term) is sp.Mul and len(term.args) >= 2:
        lead, after = term.args[0], term.args[1]
        if isinstance(lead, sp.Rational) and lead.p != 0 and not after.is_Number and after is not sp.zoo:
            return int(lead.p) < 0
    return None


def rational_over_sum(expr: sp.Basic) -> tuple[sp.Rational, sp.Add, sp.Basic | None] | None:
    """``(c, total, e^q)`` for a product ``c · total⁻¹`` or ``c · total⁻¹ · e^q`` (c a rational other
    than ±1, total a sum, q a positive rational), the form of a backpropagated sigmoid delta; else None.

    SymPy's LaTeX ``_print_Mul`` writes it as a fraction: the sign of c in front ("- "), the numerator
    |p| (dropped when it is 1) and e^q (kept in the numerator as q > 0), the denominator c's
    denominator and the bracketed sum (the sum alone, unbracketed, when c is an integer), factors
    joined by the multiplication symbol; ``sstr`` writes ``[-]numerator/(denominator)`` the same way
    with ``*``.  The sheet's LaTeX printer and the answer key's string printer write these directly
    (SymPy's ask the product for its sign first, which deduces every fact of a new rational).
    """
    if type(expr) is not sp.Mul or len(expr.args) not in (2, 3):
        return None
    c, inverse, *rest = expr.args
    if not isinstance(c, sp.Rational) or abs(c) == 1 or type(inverse) is not sp.Pow \
            or inverse.exp != -1 or type(inverse.base) is not sp.Add:
        return None
    power = rest[0] if rest else None
    if power is not None and not (type(power) is sp.exp and isinstance(power.args[0], sp.Rational)
                                  and power.args[0].p > 0):
        return None
    return c, inverse.base, power


class _RememberingStrPrinter(Remembering, StrPrinter):  # type: ignore[misc]
    """SymPy's string printer (the one ``sp.sstr`` uses, default settings), remembering; a sum of
    numbers is put in order with each factor's float worked out once (:func:`numbers_in_order`)."""

    def __init__(self) -> None:
        super().__init__()
        self._floats: dict[sp.Basic, complex] = {}

    def _print_Mul(self, expr: sp.Mul) -> str:
        parts = rational_over_sum(expr) if self.order is None else None
        if parts is None:
            return str(super()._print_Mul(expr))
        c, total, power = parts
        p, q = abs(int(c.p)), int(c.q)
        numerator = "*".join(([self._print(sp.Integer(p))] if p != 1 else [])
                             + ([self._print(power)] if power is not None else [])) or self._print(sp.S.One)
        denominator = f"({self._print(total)})"
        if q != 1:
            denominator = f"({self._print(sp.Integer(q))}*{denominator})"
        return ("-" if c.p < 0 else "") + f"{numerator}/{denominator}"

    def _print_Add(self, expr: sp.Add, order: Any = None) -> str:
        # A sum as sstr writes it: "-" or nothing, the first term, then " - " or " + " and each later
        # term without its leading "-".  A term would be bracketed if it bound more loosely than a
        # sum, which no rational, product, power or exponential does; SymPy's own asks each product
        # its precedence, hence its sign (every fact of a new rational), so these are written here.
        terms = self._as_ordered_terms(expr, order=order)
        if not all(isinstance(t, sp.Rational) or type(t) in (sp.Mul, sp.Pow, sp.exp) for t in terms):
            return str(super()._print_Add(expr, order=order))
        pieces = []
        for term in terms:
            text = self._print(term)
            pieces += ["-", text[1:]] if text.startswith("-") else ["+", text]
        return ("-" if pieces[0] == "-" else "") + " ".join(pieces[1:])

    def _as_ordered_terms(self, expr: sp.Basic, order: Any = None) -> list[sp.Basic]:
        if (order or self.order) is None and isinstance(expr, sp.Add):
            if len(self._floats) >= MEMO_SIZE:
                self._floats.clear()
            ordered = numbers_in_order(expr, self._floats)
            if ordered is not None:
                return ordered
        return list(super()._as_ordered_terms(expr, order))


def numbers_in_order(expr: sp.Add, floats: dict[sp.Basic, complex]) -> list[sp.Basic] | None:
    """The terms of a real sum of numbers in the order ``expr.as_ordered_terms()`` gives, or None
    when a term is not a real number whose float symnn can read (SymPy then orders the sum itself).

    The order, as observed of SymPy 1.14 (a test compares on 1,500 random sums):

    - a sum of two terms, a positive number and a negative number times one other factor
      (``1 - 2·e``), keeps the positive number first;
    - any other real sum lists its terms by increasing value (ties keep their order), a term's
      value being the float product of its leading coefficient and then each other factor in turn.

    Those floats are remembered in ``floats`` by coefficient and factor (the entries of one matrix
    share their factors, 1/(1 + e^z), and SymPy works each out afresh for every term).
    """
    values: list[float] = []
    for term in expr.args:
        coefficient, rest = term.as_coeff_Mul()
        value = _complex(coefficient, floats)
        for factor in sp.Mul.make_args(rest) if rest is not sp.S.One else ():
            if value is None or not factor.is_number or isinstance(factor, sp.Order):
                return None
            converted = _complex(factor, floats)
            value = None if converted is None else value * converted
        if value is None or value.imag:
            return None
        values.append(value.real)
    if len(values) == 2:
        for first, second in ((0, 1), (1, 0)):
            number, product = expr.args[first], expr.args[second]
            if _positive_number_and_negative_multiple(number, product):
                return [number, product]
    order = sorted(range(len(values)), key=values.__getitem__)
    return [expr.args[i] for i in order]


def _positive_number_and_negative_multiple(number: sp.Basic, product: sp.Basic) -> bool:
    """Whether ``number`` is a positive number and ``product`` a negative number times one other factor."""
    if not isinstance(number, (sp.Number, sp.NumberSymbol)) or type(product) is not sp.Mul or len(product.args) != 2:
        return False
    numbers = [f for f in product.args if isinstance(f, sp.Number)]
    return len(numbers) == 1 and sign_is(number, 1) and sign_is(numbers[0], -1)


def _complex(number: sp.Basic, floats: dict[sp.Basic, complex]) -> complex | None:
    """``complex(number)``, remembered in ``floats``; None when it cannot be converted."""
    converted = floats.get(number)
    if converted is None:
        try:
            converted = floats[number] = complex(number)
        except (TypeError, ValueError):
            return None
    return converted


def sign_is(number: sp.Basic, sign: int) -> bool:
    """``number.is_positive`` (sign 1) or ``number.is_negative`` (sign −1) as a plain bool; read off
    the numerator for an exact rational (asking SymPy deduces every fact of a new number, ~50 µs,
    and comparing builds a relation).

    >>> sign_is(sp.Rational(-1, 3), -1), sign_is(sp.Float(2.5), 1), sign_is(sp.Integer(0), 1)
    (True, True, False)
    """
    if isinstance(number, sp.Rational):
        return (int(number.p) > 0) if sign > 0 else (int(number.p) < 0)
    return bool(number.is_positive if sign > 0 else number.is_negative)


_STR = _RememberingStrPrinter()


def exact_text(value: sp.Basic) -> str:
    """Plain-text exact value: SymPy's string form (``sp.sstr``); matrices as nested lists of rows."""
    if isinstance(value, sp.MatrixBase):
        rows = ", ".join("[" + ", ".join(_STR.doprint(v) for v in row) + "]" for row in matrix_rows(value))
        return f"[{rows}]"
    return str(_STR.doprint(value))
