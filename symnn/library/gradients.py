"""Exact gradients as the library returns them: a lazy mapping of SymPy matrices, and factored sums."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import sympy as sp
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from symnn.library import backprop
from symnn.library.values import to_sympy_matrix


@dataclass(frozen=True, slots=True)
class FactoredMatrix:
    """An exact matrix Σ coefficient_k · R_k with exact scalars and rational matrices R_k.

    A network whose only transcendental part is its output layer has gradients of this
    form (δ_k the output errors); keeping them factored costs one rational matrix per
    term instead of one SymPy expression per entry.

    >>> m = FactoredMatrix(((sp.exp(-1), DomainMatrix([[QQ(1), QQ(2)]], (1, 2), QQ)),))
    >>> m[0, 1], m.shape
    (2*exp(-1), (1, 2))
    >>> m.as_explicit()
    Matrix([[exp(-1), 2*exp(-1)]])
    """

    terms: tuple[tuple[sp.Expr, DomainMatrix], ...]
    """(exact scalar, ``QQ`` matrix) pairs."""

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return self.terms[0][1].shape  # type: ignore[no-any-return]

    def __getitem__(self, index: tuple[int, int]) -> sp.Expr:
        i, j = index
        return sp.Add(*[c * QQ.to_sympy(m.rep.getitem(i, j)) for c, m in self.terms])

    def as_explicit(self) -> sp.Matrix:
        """Every entry as an exact SymPy expression."""
        return to_sympy_matrix(backprop.explicit(backprop.Factored(self.terms)))

    def as_expr(self) -> sp.MatrixExpr:
        """The product form as a SymPy matrix expression (for LaTeX)."""
        parts = [sp.MatMul(c, sp.ImmutableMatrix(to_sympy_matrix(m))) for c, m in self.terms]
        return parts[0] if len(parts) == 1 else sp.MatAdd(*parts)


@dataclass(frozen=True, slots=True, eq=False)
class Gradients(Mapping[str, sp.Matrix]):
    """Exact gradients by parameter name (``W1``, ``b1``, ...), in layer order.

    All values are computed when the object is made (exactly, as flint rational
    matrices or exact SymPy expressions); each becomes a SymPy ``Matrix`` the first time
    it is read, so a caller that needs only some of them, or the fast forms below,
    never pays for converting 65536 entries into SymPy numbers.
    """

    raw: dict[str, backprop.Gradient]
    """Per parameter: a ``QQ``/``EXRAW`` :class:`DomainMatrix` or a factored sum."""
    _matrices: dict[str, sp.Matrix] = field(default_factory=dict, repr=False)
    """SymPy matrices already built."""

    def __getitem__(self, name: str) -> sp.Matrix:
        if name not in self._matrices:
            self._matrices[name] = to_sympy_matrix(backprop.explicit(self.raw[name]))
        return self._matrices[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def __repr__(self) -> str:
        return repr(dict(self.items()))

    def domain_matrix(self, name: str) -> DomainMatrix:
        """The gradient as a :class:`DomainMatrix` (``QQ`` when rational): no conversion."""
        return backprop.explicit(self.raw[name])

    def factored(self, name: str) -> FactoredMatrix | None:
        """The gradient as Σ δ_k R_k when it was computed that way, else None."""
        gradient = self.raw[name]
        return FactoredMatrix(gradient.terms) if isinstance(gradient, backprop.Factored) else None
