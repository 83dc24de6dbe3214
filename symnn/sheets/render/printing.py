"""How formulas are printed: one LaTeX printer shared by every format.

Exact rationals whose decimal expansion terminates are printed as decimals
(``11/20`` is ``0.55``: still exact; the number rules are :mod:`symnn.core.decimals`), others as fractions; matrices as
``bmatrix``; products with ``\\cdot``; terms in the order the derivation built them.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from symnn.core.certified import round_significant
from symnn.core.decimals import (
    Remembering,
    approximate,
    is_exact_decimal,
    matrix_rows,
    minus_sign,
    rational_over_sum,
    rational_text,
    sign_is,
    terminating,
)
from symnn.sheets.steps import Inline, Quantity, Run, Text, run


class SheetLatexPrinter(Remembering, LatexPrinter):  # type: ignore[misc]
    """SymPy's LaTeX printer with a worked solution's conventions, printing each subexpression once
    per process (:class:`~symnn.core.decimals.Remembering`)."""

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

    def _print_matrix_contents(self, expr: Any) -> str:
        # SymPy's own for a named environment, with the rows read at once (slicing each row is slow).
        environment = self._settings["mat_str"]
        if environment in (None, "array"):
            return str(super()._print_matrix_contents(expr))
        rows = [" & ".join(self._print(e) for e in row) for row in matrix_rows(expr)]
        return r"\begin{%s}%s\end{%s}" % (environment, r"\\".join(rows), environment)

    def _print_Exp1(self, expr: Any) -> str:
        # Upright e: Euler's number, never a variable called e (what symnn lint reads too).
        return r"\mathrm{e}"

    def _print_MatAdd(self, expr: sp.MatAdd) -> str:
        # Print terms as built; SymPy's own version negates terms, which evaluates them.
        parts: list[str] = []
        for term in expr.args:
            sign, body = "+", term
            if isinstance(term, sp.MatMul) and term.args[0].is_Number and sign_is(term.args[0], -1):
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
            # A negative factor is bracketed: "M -1/(1 + e)" would read as a subtraction.
            if isinstance(factor, (sp.MatAdd, sp.Add)) or text.lstrip().startswith("-"):
                text = r"\left(%s\right)" % text
            factors.append(text)
        return " ".join(factors)

    def _print_Add(self, expr: sp.Add) -> str:
        # A written-out sum of products of numbers (0.2·0.5 + (−0.6)·(−0.1)) is printed as built:
        # SymPy's own version negates a term to print "−", which evaluates the product.
        if not all(t.is_Number or _numeric_product(t) for t in expr.args):
            return self._signed_terms(expr)
        parts = [self._print(expr.args[0])]
        for term in expr.args[1:]:
            if term.is_Number and sign_is(term, -1):
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
            return r" \cdot ".join(r"\left(%s\right)" % self._print(f) if sign_is(f, -1) else self._print(f)
                                   for f in args)
        # An unevaluated -1 * (number) reads as "-(number)", not "(-1)(number)".
        if len(args) >= 2 and args[0] == sp.S.NegativeOne:
            rest = args[1] if len(args) == 2 else sp.Mul(*args[1:], evaluate=False)
            text = str(self._print(rest))
            if text.startswith("-") or isinstance(rest, sp.Add):
                text = r"\left(%s\right)" % text
            return "-" + text
        parts = rational_over_sum(expr)
        if parts is not None and self._plain_fractions:
            return self._rational_over_sum(*parts)
        return str(super()._print_Mul(expr))

    @property
    def _plain_fractions(self) -> bool:
        """Whether the settings write a fraction as ``\\frac`` with one multiplication symbol (the sheets'
        settings; short and long fractions folded, or a separate symbol between numbers, go to SymPy)."""
        settings = self._settings
        return (not settings["fold_short_frac"] and settings["long_frac_ratio"] is None
                and settings["mul_symbol_latex"] == settings["mul_symbol_latex_numbers"])

    def _rational_over_sum(self, c: sp.Rational, total: sp.Add, power: sp.Basic | None) -> str:
        """``c · e^q / total`` as SymPy's ``_print_Mul`` writes it (see :func:`rational_over_sum`):
        ``[- ]\\frac{numerator}{denominator}``, the numerator |p| (left out when 1) times e^q, the
        denominator the sum, bracketed after q when q is not 1."""
        times = self._settings["mul_symbol_latex"]
        p, q = abs(int(c.p)), int(c.q)
        factors = ([self._print(sp.Integer(p))] if p != 1 else []) + ([self._print(power)] if power is not None else [])
        numerator = times.join(factors) if factors else self._print(sp.S.One)
        denominator = (self._print(total) if q == 1
                       else self._print(sp.Integer(q)) + times + r"\left(%s\right)" % self._print(total))
        return ("- " if c.p < 0 else "") + r"\frac{%s}{%s}" % (numerator, denominator)

    def _signed_terms(self, expr: sp.Add) -> str:
        """A sum as SymPy's ``_print_Add`` writes it (terms in their order, " - " and the negated
        term for a term that leads with a minus sign), with each term's sign read by :func:`minus_sign`
        when it can be (SymPy's own question deduces every fact of a new number); else SymPy's own."""
        terms = expr.args
        signs = [minus_sign(t) for t in terms[1:]]
        if None in signs or self.order != "none":
            return str(super()._print_Add(expr))
        pieces: list[str] = []
        for i, (term, negative) in enumerate(zip(terms, [False, *signs])):
            if i:
                pieces.append(" - " if negative else " + ")
            shown = -term if negative else term
            text = self._print(shown)
            pieces.append(r"\left(%s\right)" % text if self._needs_add_brackets(shown) else text)
        return "".join(pieces)


def _numeric_product(term: sp.Basic) -> bool:
    """An unevaluated product of two or more numbers, as a substitution step writes it."""
    return isinstance(term, sp.Mul) and len(term.args) >= 2 and all(f.is_Number for f in term.args)


_PRINTER = SheetLatexPrinter()


def latex(expr: sp.Basic) -> str:
    """LaTeX for any SymPy object or notation object (each printed once: every format prints it)."""
    try:
        return _printed(expr)
    except TypeError:  # a mutable matrix has no hash
        return str(_PRINTER.doprint(expr))


@lru_cache(maxsize=1 << 16)
def _printed(expr: sp.Basic) -> str:
    return str(_PRINTER.doprint(expr))


SUBSCRIPTS = str.maketrans("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
SUPERSCRIPTS = str.maketrans("0123456789+-=()inT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿᵀ")
GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η", "theta": "θ",
    "lambda": "λ", "mu": "μ", "sigma": "σ", "tau": "τ", "phi": "φ", "yhat": "ŷ", "Delta": "Δ", "Sigma": "Σ",
}
"""Symbol names written as one Unicode letter in the plain form."""


def _scripted(text: str, table: dict[int, int]) -> str | None:
    """``text`` in Unicode sub- or superscript characters, or None when one has none."""
    converted = text.translate(table)
    return None if any(a == b for a, b in zip(text, converted) if not a.isspace()) else converted


class PlainPrinter(StrPrinter):  # type: ignore[misc]
    """Plain Unicode text of a formula, for the JSON key: ``Z₁``, ``∂L/∂W₂``, ``x²``, ``a · b``.

    >>> plain(sp.Symbol("Z_1")), plain(sp.Symbol("delta_2") ** 2), plain(sp.Le(sp.Symbol("x"), 0))
    ('Z₁', 'δ₂²', 'x ≤ 0')
    """

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return plain_name(str(expr.name))

    _print_MatrixSymbol = _print_Symbol

    def _print_Transpose(self, expr: Any) -> str:
        return str(self.parenthesize(expr.arg, 1000, strict=True)) + "ᵀ"

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        exponent = _scripted(str(expr.exp), SUPERSCRIPTS) if expr.exp.is_Integer and expr.exp > 0 else None
        if exponent is None:
            return str(super()._print_Pow(expr, rational)).replace("**", "^")
        return str(self.parenthesize(expr.base, 1000, strict=True)) + exponent

    def _print_Mul(self, expr: sp.Mul) -> str:
        return str(super()._print_Mul(expr)).replace("*", " · ")

    def _print_Relational(self, expr: Any) -> str:
        relation = {"==": "=", "<=": "≤", ">=": "≥", "!=": "≠"}.get(expr.rel_op, expr.rel_op)
        return f"{self._print(expr.lhs)} {relation} {self._print(expr.rhs)}"

    def _print_Exp1(self, expr: Any) -> str:
        return "e"


def plain_name(name: str) -> str:
    """A symbol's name in plain Unicode: ``delta_2`` is ``δ₂``, ``A_{l-1}`` is ``Aₗ₋₁``.

    A subscript with no Unicode form stays as written (``W_new``).
    """
    base, underscore, sub = name.partition("_")
    base = GREEK.get(base, base)
    if not underscore:
        return base
    sub = sub.strip("{}")
    scripted = _scripted(sub, SUBSCRIPTS)
    return base + scripted if scripted is not None else f"{base}_{sub}"


_PLAIN = PlainPrinter()


def plain(expr: sp.Basic) -> str:
    """The plain Unicode text of a formula (the JSON key's form of inline mathematics)."""
    return str(_PLAIN.doprint(expr))


def plain_runs(parts: tuple[Inline, ...] | str) -> str:
    """Prose as one line of plain text: text runs as written, math runs in :func:`plain` form."""
    pieces = (parts,) if isinstance(parts, str) else parts
    return "".join(r.text if isinstance(r, Text) else plain(r.expr) for r in map(run, pieces))


def sentence_runs(parts: tuple[Inline, ...] | str) -> tuple[Run, ...]:
    """A caption's runs with its first letter capitalised when it opens with words (see :func:`sentence_case`)."""
    typed = [run(p) for p in ((parts,) if isinstance(parts, str) else parts)]
    if typed and isinstance(typed[0], Text):
        typed[0] = Text(sentence_case(typed[0].text))
    return tuple(typed)


def preface(decimals: int, detail: object = "full") -> str:
    """The sentence under a sheet's title: what the numbers mean (and, for a brief key, what it shows)."""
    opening = ("Brief answer key generated by symnn: the formula, the substitution and the result of each "
               "quantity." if detail == "brief" else "Worked solutions generated by symnn.")
    return (f"{opening} Every value is exact; a decimal after ≈ is rounded to "
            f"{decimals} places (more for small values). ReLU'(0) is taken as 0.")


def sentence_case(caption: str) -> str:
    """A caption with its first letter capitalised, unless it is a symbol (σ stays σ).

    >>> sentence_case("loss"), sentence_case("σ at each input")
    ('Loss', 'σ at each input')
    """
    return caption[:1].upper() + caption[1:] if caption[:1].isascii() else caption


LONGEST_ENTRY = 250
"""Characters of LaTeX one entry may take before a form is too long to read on a sheet."""


def readable(form: sp.Basic) -> bool:
    """Whether every entry of a form prints in at most :data:`LONGEST_ENTRY` characters."""
    entries = [e for row in matrix_rows(form) for e in row] if isinstance(form, sp.MatrixBase) else [form]
    return all(len(latex(e)) <= LONGEST_ENTRY for e in entries)


def result_links(q: Quantity, decimals: int) -> list[tuple[str, str]]:
    """The links of a final result: ``symbol = value ≈ decimal``, or ``symbol = written form ≈ decimal``."""
    return chain(q.symbol, [] if q.display is None else [q.display], q.shown, decimals, q.display is None)


def chain(lhs: sp.Basic, forms: list[sp.Basic | None], value: sp.Basic | None, decimals: int,
          value_shown: bool = True) -> list[tuple[str, str]]:
    """The (relation, LaTeX) links of ``lhs = form = ... = value ≈ decimal``; relations are LaTeX too.

    Without ``value_shown`` the exact value is not written (the last form already is it, as a
    textbook writes it), only its decimal.

    Forms that print identically to the previous one are dropped, and the decimal is
    added only when the exact value is not already a terminating decimal.  Forms with an
    entry too long to read (nested exponentials of deep sigmoid networks) are left out:
    the sheet then shows the formula and the decimal, and the answer key keeps the exact value.
    """
    links: list[tuple[str, str]] = [("", latex(lhs))]
    for form in [*forms, value if value_shown else None]:
        if form is None or not readable(form):
            continue
        text = latex(form)
        if text != links[-1][1]:
            links.append(("=", text))
    if value is not None and not is_exact_decimal(value):
        links.append((r"\approx", latex(approximate(value, decimals))))
    elif value is not None and not readable(value) and isinstance(value, sp.Rational):
        # A long exact decimal (a certified loss of 10^-269 has 290 places): its leading digits
        links.append((r"\approx", scientific(value, decimals)))
    elif value is not None and not value_shown and latex(value) != links[-1][1]:
        links.append(("=", latex(value)))
    return links


def scientific(value: sp.Rational, digits: int) -> str:
    """LaTeX of ``value`` rounded to ``digits`` significant digits in scientific notation.

    >>> print(scientific(sp.Rational(887, 10**271), 3), scientific(sp.Rational(-31416, 10**4), 3))
    8.87 \\cdot 10^{-269} -3.14
    """
    text = round_significant(Fraction(int(value.p), int(value.q)), digits)
    mantissa, _, exponent = text.partition("E")
    return mantissa if not exponent else rf"{mantissa} \cdot 10^{{{int(exponent)}}}"
