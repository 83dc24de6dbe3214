"""How numbers and formulas are printed: one LaTeX printer shared by every format.

Exact rationals whose decimal expansion terminates are printed as decimals
(``11/20`` is ``0.55``: still exact), others as fractions; matrices as
``bmatrix``; products with ``\\cdot``; terms in the order the derivation built them.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter

DEFAULT_DECIMALS = 3


def terminating(value: sp.Rational) -> bool:
    """Whether a rational has a finite decimal expansion (denominator 2^a 5^b)."""
    q = int(value.q)
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


class SheetLatexPrinter(LatexPrinter):  # type: ignore[misc]
    """SymPy's LaTeX printer with a worked solution's conventions."""

    _default_settings = {
        **LatexPrinter._default_settings,
        "order": "none",
        "mul_symbol": "dot",
        "mat_str": "bmatrix",
        "mat_delim": "",
        "ln_notation": True,
    }

    def _print_Rational(self, expr: sp.Rational) -> str:
        if terminating(expr):
            return rational_text(expr)
        return str(super()._print_Rational(expr))

    def _print_Exp1(self, expr: Any) -> str:
        # Upright e: Euler's number, never a variable called e (what symnn lint reads too).
        return r"\mathrm{e}"

    def _print_MatAdd(self, expr: sp.MatAdd) -> str:
        # Print terms as built; SymPy's own version negates terms, which evaluates them.
        parts: list[str] = []
        for term in expr.args:
            sign, body = "+", term
            if isinstance(term, sp.MatMul) and term.args[0].is_Number and term.args[0] < 0:
                sign = "-"
                coeff = -term.args[0]
                rest = term.args[1:]
                body = sp.MatMul(*rest, evaluate=False) if coeff == 1 else sp.MatMul(coeff, *rest, evaluate=False)
                if len(body.args) == 1:
                    body = body.args[0]
            text = self._print(body)
            if isinstance(body, sp.MatAdd):
                text = r"\left(%s\right)" % text
            parts.append(text if not parts and sign == "+" else f"{sign} {text}" if parts else f"-{text}")
        return " ".join(parts)

    def _print_MatMul(self, expr: sp.MatMul) -> str:
        factors = []
        for factor in expr.args:
            text = self._print(factor)
            if isinstance(factor, (sp.MatAdd, sp.Add)) or (factor.is_Number and factor < 0):
                text = r"\left(%s\right)" % text
            factors.append(text)
        return " ".join(factors)

    def _print_Add(self, expr: sp.Add) -> str:
        # A written-out sum of products of numbers (0.2·0.5 + (−0.6)·(−0.1)) is printed as built:
        # SymPy's own version negates a term to print "−", which evaluates the product.
        if not all(t.is_Number or _numeric_product(t) for t in expr.args):
            return str(super()._print_Add(expr))
        parts = [self._print(expr.args[0])]
        for term in expr.args[1:]:
            if term.is_Number and term < 0:
                parts.append("- " + self._print(-term))
            elif isinstance(term, sp.Mul) and term.args[0] == sp.S.NegativeOne:
                rest = term.args[1] if len(term.args) == 2 else sp.Mul(*term.args[1:], evaluate=False)
                text = self._print(rest)
                parts.append("- " + (r"\left(%s\right)" % text if text.startswith("-") else text))
            else:
                parts.append("+ " + self._print(term))
        return " ".join(parts)

    def _print_Mul(self, expr: sp.Mul) -> str:
        args = expr.args
        if _numeric_product(expr) and args[0] != sp.S.NegativeOne:
            return r" \cdot ".join(r"\left(%s\right)" % self._print(f) if f < 0 else self._print(f) for f in args)
        # An unevaluated -1 * (number) reads as "-(number)", not "(-1)(number)".
        if len(args) >= 2 and args[0] == sp.S.NegativeOne:
            rest = args[1] if len(args) == 2 else sp.Mul(*args[1:], evaluate=False)
            text = str(self._print(rest))
            if text.startswith("-") or isinstance(rest, sp.Add):
                text = r"\left(%s\right)" % text
            return "-" + text
        return str(super()._print_Mul(expr))


def _numeric_product(term: sp.Basic) -> bool:
    """An unevaluated product of two or more numbers, as a substitution step writes it."""
    return isinstance(term, sp.Mul) and len(term.args) >= 2 and all(f.is_Number for f in term.args)


_PRINTER = SheetLatexPrinter()


def latex(expr: sp.Basic) -> str:
    """LaTeX for any SymPy object or notation object."""
    return str(_PRINTER.doprint(expr))


def preface(decimals: int) -> str:
    """The sentence under a sheet's title: what the numbers mean."""
    return ("Worked solutions generated by symnn. Every value is exact; a decimal after ≈ is rounded to "
            f"{decimals} places (more for small values). ReLU'(0) is taken as 0.")


def sentence_case(caption: str) -> str:
    """A caption with its first letter capitalised, unless it is a symbol (σ stays σ).

    >>> sentence_case("loss"), sentence_case("σ at each input")
    ('Loss', 'σ at each input')
    """
    return caption[:1].upper() + caption[1:] if caption[:1].isascii() else caption


NUMERIC_DIGITS = 50
"""Significant digits of the one cached evaluation every rounding and float reads."""


@lru_cache(maxsize=1 << 16)
def numeric_value(value: sp.Basic) -> sp.Basic:
    """The exact value evaluated once to :data:`NUMERIC_DIGITS` digits (cached: an entry shown in
    several places of a sheet, its key and its Moodle questions is evaluated once)."""
    return sp.N(value, NUMERIC_DIGITS)


def round_rational(value: sp.Basic, decimals: int) -> sp.Rational:
    """The exact value rounded to ``decimals`` places, as an exact rational."""
    number = numeric_value(value) if decimals <= NUMERIC_DIGITS - 30 else sp.N(value, 30 + decimals)
    if not number.is_real or not number.is_finite:
        raise ValueError(f"not a finite real number: {value}")
    text = format(Decimal(str(number)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_EVEN), "f")
    return sp.Rational(text)


def digits_for(value: sp.Basic, decimals: int) -> int:
    """Places to show: ``decimals``, or more so a small value keeps 3 significant digits."""
    number = abs(float(numeric_value(value)))
    places = decimals
    while 0 < number < 10 ** (2 - places) and places < 12:
        places += 1
    return places


def is_exact_decimal(value: sp.Basic) -> bool:
    """Whether the value, printed, is already its own decimal (a terminating rational)."""
    if isinstance(value, sp.MatrixBase):
        return all(is_exact_decimal(v) for v in value)
    return bool(isinstance(value, sp.Rational) and terminating(value))


def approximate(value: sp.Basic, decimals: int) -> sp.Basic:
    """The decimal shown after ``≈``: the value rounded, entry by entry for a matrix."""
    if isinstance(value, sp.MatrixBase):
        return sp.ImmutableMatrix(
            value.shape[0], value.shape[1], [approximate(v, decimals) for v in value]
        )
    return round_rational(value, digits_for(value, decimals))


def to_float(value: sp.Basic) -> float | list[list[float]]:
    """A float (or rows of floats) for JSON; the exact value stays the record."""
    if isinstance(value, sp.MatrixBase):
        return [[float(numeric_value(v)) for v in value.row(i)] for i in range(value.rows)]
    return float(numeric_value(value))


def exact_text(value: sp.Basic) -> str:
    """Plain-text exact value: SymPy's string form; matrices as nested lists of rows."""
    if isinstance(value, sp.MatrixBase):
        rows = ", ".join("[" + ", ".join(sp.sstr(v) for v in value.row(i)) + "]" for i in range(value.rows))
        return f"[{rows}]"
    return str(sp.sstr(value))


LONGEST_ENTRY = 250
"""Characters of LaTeX one entry may take before a form is too long to read on a sheet."""


def readable(form: sp.Basic) -> bool:
    """Whether every entry of a form prints in at most :data:`LONGEST_ENTRY` characters."""
    entries = list(form) if isinstance(form, sp.MatrixBase) else [form]
    return all(len(latex(e)) <= LONGEST_ENTRY for e in entries)


def chain(lhs: sp.Basic, forms: list[sp.Basic | None], value: sp.Basic | None, decimals: int) -> list[tuple[str, str]]:
    """The (relation, LaTeX) links of ``lhs = form = ... = value ≈ decimal``; relations are LaTeX too.

    Forms that print identically to the previous one are dropped, and the decimal is
    added only when the exact value is not already a terminating decimal.  Forms with an
    entry too long to read (nested exponentials of deep sigmoid networks) are left out:
    the sheet then shows the formula and the decimal, and the answer key keeps the exact value.
    """
    links: list[tuple[str, str]] = [("", latex(lhs))]
    for form in [*forms, value]:
        if form is None or not readable(form):
            continue
        text = latex(form)
        if text != links[-1][1]:
            links.append(("=", text))
    if value is not None and not is_exact_decimal(value):
        links.append((r"\approx", latex(approximate(value, decimals))))
    return links
