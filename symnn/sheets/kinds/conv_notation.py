"""Notation of the convolution kinds: the correlation ``A ⋆ B`` and the turned kernel ``rot180(K)``.

Labels for the sheet, printed in LaTeX and plain text; nothing here computes (the
values come from :mod:`symnn.sheets.kinds.conv_common`'s one definition and ``sympy.diff``).
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.precedence import PRECEDENCE


class Correlation(sp.MatrixExpr):  # type: ignore[misc]
    """The (valid) cross-correlation ``A ⋆ B`` of a grid with a kernel: the kernel slides over A unflipped."""

    def __new__(cls, grid: sp.Basic, kernel: sp.Basic) -> Correlation:
        obj: Correlation = sp.Basic.__new__(cls, grid, kernel)
        return obj

    @property
    def shape(self) -> tuple[Any, Any]:
        grid, kernel = self.args
        return (grid.shape[0] - kernel.shape[0] + 1, grid.shape[1] - kernel.shape[1] + 1)

    def _latex(self, printer: Any) -> str:
        return r" \star ".join(printer.parenthesize(a, PRECEDENCE["Mul"], strict=False) for a in self.args)

    def _sympystr(self, printer: Any) -> str:
        return " ⋆ ".join(printer.parenthesize(a, PRECEDENCE["Mul"], strict=False) for a in self.args)


class Rot180(sp.MatrixExpr):  # type: ignore[misc]
    """A kernel turned by 180° (rows and columns reversed): the flipped kernel of a true convolution."""

    def __new__(cls, arg: sp.Basic) -> Rot180:
        obj: Rot180 = sp.Basic.__new__(cls, arg)
        return obj

    @property
    def shape(self) -> tuple[Any, Any]:
        return self.args[0].shape  # type: ignore[no-any-return]

    def _latex(self, printer: Any) -> str:
        return r"\operatorname{rot180}\left(%s\right)" % printer._print(self.args[0])

    def _sympystr(self, printer: Any) -> str:
        return "rot180(%s)" % printer._print(self.args[0])


class Maximum(sp.Expr):  # type: ignore[misc]
    """max(a, b, …) written with every argument in its order, repeats kept (SymPy's Max sorts and merges them)."""

    is_commutative = True  # a scalar; see symnn.sheets.notation.Ratio

    def __new__(cls, *args: sp.Basic) -> Maximum:
        obj: Maximum = sp.Basic.__new__(cls, *args)
        return obj

    def _latex(self, printer: Any) -> str:
        return r"\max\left(%s\right)" % ", ".join(printer._print(a) for a in self.args)

    def _sympystr(self, printer: Any) -> str:
        return "max(%s)" % ", ".join(printer._print(a) for a in self.args)


def product(a: sp.Basic, b: sp.Basic) -> sp.Basic:
    """The product a·b written out, nothing computed: a factor −1 goes second, so the sheet shows
    ``0 · (−1)`` rather than a bare ``− 0``."""
    if a == -1 and b != -1:
        a, b = b, a
    return sp.Mul(a, b, evaluate=False)


def minus_one(symbol: sp.Basic, *more: sp.Basic) -> sp.Basic:
    """``symbol − 1`` (``− more…``) as written, e.g. ``F − 1 − P``: SymPy would order it ``−1 + F − P``."""
    return sp.Add(symbol, -1, *[sp.Mul(-1, m, evaluate=False) for m in more], evaluate=False)
