"""Notation objects for general formulas: symbols as a sheet writes them.

These are small SymPy objects (so renderers print them with SymPy's printers) for
things SymPy has no class for: an activation applied entrywise, the Hadamard
product written ``⊙``, a partial derivative written as a fraction, and a name with
a text subscript.  Each knows how to print itself in LaTeX (``_latex``) and as
plain text (``_sympystr``); nothing here computes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sympy as sp
from sympy.printing.precedence import PRECEDENCE

ACTIVATION_LATEX = {
    "id": r"\operatorname{id}",
    "ReLU": r"\operatorname{ReLU}",
    "LeakyReLU": r"\operatorname{LeakyReLU}",
    "σ": r"\sigma",
    "tanh": r"\tanh",
    "softplus": r"\operatorname{softplus}",
    "ELU": r"\operatorname{ELU}",
    "f_l": "f_{l}",
    "f": "f",
}
"""LaTeX for each activation's display name (see ``Activation.display``)."""


def function_latex(display: str, prime: bool = False) -> str:
    """LaTeX of an activation's name, with a prime for its derivative."""
    base = ACTIVATION_LATEX.get(display, r"\operatorname{%s}" % display)
    return base + ("'" if prime else "")


class FunctionName(sp.Symbol):  # type: ignore[misc]
    r"""An activation's name set as its symbol in prose, with no argument: ReLU, σ, tanh.

    >>> from sympy import latex
    >>> latex(FunctionName("σ")), latex(FunctionName("ReLU"))
    ('\\sigma', '\\operatorname{ReLU}')
    """

    def _latex(self, printer: Any) -> str:
        return function_latex(str(self.name))


@lru_cache(maxsize=4096)
def matrix(name: str, rows: int, cols: int) -> sp.MatrixSymbol:
    """A named matrix symbol, e.g. ``matrix("W_1", 2, 3)`` (made once: symbols are immutable)."""
    return sp.MatrixSymbol(name, rows, cols)


class Elementwise(sp.MatrixExpr):  # type: ignore[misc]
    """An activation (or its derivative) applied entry by entry to a matrix."""

    def __new__(cls, display: str, arg: sp.Basic, prime: bool = False) -> Elementwise:
        name = sp.Symbol(display) if isinstance(display, str) else display  # a Symbol when unpickled
        obj: Elementwise = sp.Basic.__new__(cls, name, arg, sp.true if prime else sp.false)
        return obj

    @property
    def display(self) -> str:
        return str(self.args[0].name)

    @property
    def arg(self) -> sp.Basic:
        return self.args[1]

    @property
    def prime(self) -> bool:
        return bool(self.args[2])

    @property
    def shape(self) -> tuple[Any, Any]:
        return self.arg.shape  # type: ignore[no-any-return]

    def _latex(self, printer: Any) -> str:
        return r"%s\left(%s\right)" % (function_latex(self.display, self.prime), printer._print(self.arg))

    def _sympystr(self, printer: Any) -> str:
        return "%s%s(%s)" % (self.display, "'" if self.prime else "", printer._print(self.arg))


class Applied(sp.Expr):  # type: ignore[misc]
    """An activation (or its derivative) applied to a scalar."""

    is_commutative = True  # see Ratio

    def __new__(cls, display: str, arg: sp.Basic, prime: bool = False) -> Applied:
        name = sp.Symbol(display) if isinstance(display, str) else display  # a Symbol when unpickled
        obj: Applied = sp.Basic.__new__(cls, name, sp.sympify(arg, strict=True), sp.true if prime else sp.false)
        return obj

    _latex = Elementwise._latex
    _sympystr = Elementwise._sympystr
    display = Elementwise.display
    arg = Elementwise.arg
    prime = Elementwise.prime


class Hadamard(sp.MatrixExpr):  # type: ignore[misc]
    """The entrywise product ``A ⊙ B`` of matrices of one shape."""

    def __new__(cls, *factors: sp.Basic) -> Hadamard:
        obj: Hadamard = sp.Basic.__new__(cls, *factors)
        return obj

    @property
    def shape(self) -> tuple[Any, Any]:
        return self.args[0].shape  # type: ignore[no-any-return]

    def _latex(self, printer: Any) -> str:
        # Not strict: a matrix product factor (precedence Mul) is bracketed, (W^T δ) ⊙ f'(Z).
        return r" \odot ".join(r"\left(%s\right)" % printer._print(f) if bracketed_factor(f)
                               else printer.parenthesize(f, PRECEDENCE["Mul"], strict=False) for f in self.args)

    def _sympystr(self, printer: Any) -> str:
        return " ⊙ ".join("(%s)" % printer._print(f) if bracketed_factor(f)
                          else printer.parenthesize(f, PRECEDENCE["Mul"], strict=False) for f in self.args)


def bracketed_factor(factor: sp.Basic) -> bool:
    """Whether a factor of an entrywise product is a product or sum of matrices, which is bracketed.

    Their precedence is at most a product's whatever their sign (a sum's is lower, a product's is a
    product's, or a sum's when it leads with a minus sign), so ``parenthesize(f, Mul, strict=False)``
    always brackets them; asking it anyway makes SymPy multiply the matrices out to look for a sign."""
    return type(factor) in (sp.MatMul, sp.MatAdd)


class Ratio(sp.Expr):  # type: ignore[misc]
    """A fraction written as given, ``\\frac{num}{den}``: SymPy would move a numerator ``e^{-2.85}``
    into the denominator as ``e^{2.85}``; a substitution keeps what the student writes.

    The written forms (this, :class:`Applied`, :class:`Product`, :class:`Partial`) are scalars, and
    say so: ``is_commutative`` is declared, not asked. Asked, SymPy's assumption system derives it
    from other facts, which evaluates the form numerically; inside ``evaluate(False)`` that reached a
    SymPy ``Mul`` that fails (``TypeError: invalid input: Mod(1*1, 2*1)``), found by the fuzz campaign
    on a softmax output with the binary cross-entropy.
    """

    is_commutative = True

    def __new__(cls, num: sp.Basic, den: sp.Basic) -> Ratio:
        obj: Ratio = sp.Basic.__new__(cls, num, den)
        return obj

    def _latex(self, printer: Any) -> str:
        return r"\frac{%s}{%s}" % (printer._print(self.args[0]), printer._print(self.args[1]))

    def _sympystr(self, printer: Any) -> str:
        return "%s/%s" % (printer.parenthesize(self.args[0], PRECEDENCE["Mul"]),
                          printer.parenthesize(self.args[1], PRECEDENCE["Mul"], strict=True))

    def doit(self, **hints: Any) -> sp.Basic:
        return self.args[0] / self.args[1]


WRITTEN_OUT_TERMS = 4
"""Most terms a softmax denominator is written out with; more are written as a sum ``Σ_j e^{z_j}``."""


def softmax_form(definition: sp.Expr, names: tuple[sp.Symbol, ...], term: sp.Symbol, index: sp.Symbol) -> sp.Basic:
    """The first softmax output as a sheet writes it: ``definition`` (its SymPy form, denominator
    written out) for at most :data:`WRITTEN_OUT_TERMS` classes, else ``e^{names[0]}`` over the sum of
    ``e^{term}`` for ``index`` from 1 to the number of classes.

    A written-out sum of many terms would be too long to read (and SymPy orders ``z_10`` before
    ``z_2``), so a textbook writes the sum sign.

    >>> z = sp.symbols("z_1:7")
    >>> softmax_form(sp.exp(z[0]) / sp.Add(*map(sp.exp, z)), z, sp.Symbol("z_j"), sp.Symbol("j"))
    exp(z_1)/Sum(exp(z_j), (j, 1, 6))
    """
    if len(names) <= WRITTEN_OUT_TERMS:
        return definition
    return sp.exp(names[0]) / sp.Sum(sp.exp(term), (index, 1, len(names)))


class Product(sp.Expr):  # type: ignore[misc]
    """A product written factor by factor with ``\\cdot``, as given: SymPy would print ``0.5 · (1 − 0.5)``
    as a fraction over 2."""

    is_commutative = True  # see Ratio

    def __new__(cls, *factors: sp.Basic) -> Product:
        obj: Product = sp.Basic.__new__(cls, *factors)
        return obj

    def _latex(self, printer: Any) -> str:
        parts = []
        for factor in self.args:
            text = printer._print(factor)
            if isinstance(factor, sp.Add) or text.startswith("-"):
                text = r"\left(%s\right)" % text
            parts.append(text)
        return r" \cdot ".join(parts)

    def _sympystr(self, printer: Any) -> str:
        return " · ".join(printer.parenthesize(f, PRECEDENCE["Mul"]) for f in self.args)

    def doit(self, **hints: Any) -> sp.Basic:
        return sp.Mul(*[f.doit(**hints) if isinstance(f, sp.Basic) else f for f in self.args])


class Partial(sp.Expr):  # type: ignore[misc]
    """The name of a derivative, written ``∂num/∂den`` (a label, not an operation)."""

    is_commutative = True  # see Ratio

    def __new__(cls, num: sp.Basic, den: sp.Basic) -> Partial:
        obj: Partial = sp.Basic.__new__(cls, num, den)
        return obj

    def _latex(self, printer: Any) -> str:
        return r"\frac{\partial %s}{\partial %s}" % (printer._print(self.args[0]), printer._print(self.args[1]))

    def _sympystr(self, printer: Any) -> str:
        return "∂%s/∂%s" % (printer._print(self.args[0]), printer._print(self.args[1]))


class Named(sp.Symbol):  # type: ignore[misc]
    """A scalar symbol with an upright text subscript, e.g. ``W_new`` or ``X_min``."""

    def __new__(cls, base: str, subscript: str, **assumptions: Any) -> Named:
        obj: Named = sp.Symbol.__new__(cls, f"{base}_{subscript}", **assumptions)
        return obj

    def __getnewargs_ex__(self) -> tuple[tuple[str, str], dict[str, Any]]:
        base, _, sub = self.name.partition("_")
        return ((base, sub), self.assumptions0)

    def _latex(self, printer: Any) -> str:
        base, _, sub = self.name.partition("_")
        return r"%s_{\text{%s}}" % (base, sub)


class NamedMatrix(sp.MatrixSymbol):  # type: ignore[misc]
    """A matrix symbol with an upright text subscript, e.g. ``X_minmax``."""

    def _latex(self, printer: Any) -> str:
        base, _, sub = str(self.name).partition("_")
        return r"%s_{\text{%s}}" % (base, sub) if sub else base


class Code(sp.Symbol):  # type: ignore[misc]
    """A name from the answer key or the sheet file (``dL_dW1``), set in typewriter type in prose."""

    def _latex(self, printer: Any) -> str:
        return r"\texttt{%s}" % self.name.replace("_", r"\_")

    def _sympystr(self, printer: Any) -> str:
        return str(self.name)


def text(s: str) -> sp.Symbol:
    """A plain word usable inside formulas (e.g. ``Penalty``), printed upright."""
    return _Text(s)


class _Text(sp.Symbol):  # type: ignore[misc]
    def _latex(self, printer: Any) -> str:
        return r"\text{%s}" % self.name


class MatrixPartial(sp.MatrixExpr):  # type: ignore[misc]
    """∂L/∂W for a matrix W: a matrix of W's shape (a label, not an operation)."""

    def __new__(cls, num: sp.Basic, den: sp.MatrixSymbol) -> MatrixPartial:
        obj: MatrixPartial = sp.Basic.__new__(cls, num, den)
        return obj

    @property
    def shape(self) -> tuple[Any, Any]:
        return self.args[1].shape  # type: ignore[no-any-return]

    _latex = Partial._latex
    _sympystr = Partial._sympystr


def partial(num: sp.Basic, den: sp.Basic) -> sp.Basic:
    """The label ∂num/∂den, a matrix expression when den is a matrix symbol."""
    if isinstance(den, sp.MatrixExpr):
        return MatrixPartial(num, den)
    return Partial(num, den)


class Entry(sp.Symbol):  # type: ignore[misc]
    """One entry of a named matrix, 1-based, e.g. ``(W_2)_{1,3}`` (a label for worked entries)."""

    def __new__(cls, matrix_name: str, row: int | str, col: int | str | None = None) -> Entry:
        index = f"{row}" if col is None else f"{row},{col}"
        obj: Entry = sp.Symbol.__new__(cls, f"{matrix_name}[{index}]")
        return obj

    def __getnewargs_ex__(self) -> tuple[tuple[str, str], dict[str, Any]]:
        name, _, index = self.name.partition("[")
        return ((name, index.rstrip("]")), {})

    def _latex(self, printer: Any) -> str:
        name, _, index = self.name.partition("[")
        base = printer._print(sp.Symbol(name))
        return (r"\left(%s\right)_{%s}" if "_" in name else r"%s_{%s}") % (base, index.rstrip("]"))

    def _sympystr(self, printer: Any) -> str:
        return str(self.name)


class Label(sp.Symbol):  # type: ignore[misc]
    """A symbol with its own fixed LaTeX, e.g. ``Label("limit_Glorot", r"\\ell_{\\text{Glorot}}")``."""

    _tex: dict[str, str] = {}

    def __new__(cls, plain: str, tex: str, **assumptions: Any) -> Label:
        cls._tex[plain] = tex
        obj: Label = sp.Symbol.__new__(cls, plain, **assumptions)
        return obj

    def __getnewargs_ex__(self) -> tuple[tuple[str, str], dict[str, Any]]:
        return ((self.name, self._tex[self.name]), self.assumptions0)

    def _latex(self, printer: Any) -> str:
        return self._tex[self.name]


def layer_label(base_tex: str, plain: str, layer: int) -> Label:
    """A per-layer quantity's name with the layer as a bracketed superscript."""
    return Label(f"{plain}{layer}", "%s^{(%d)}" % (base_tex, layer))
