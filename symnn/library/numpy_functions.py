"""Fast numpy functions from SymPy formulas (``sympy.lambdify`` with matrix support).

A formula from :func:`symnn.derive` or from a symbolic network's gradients becomes a
numpy function of its matrix symbols and scalar symbols.  Symbolic sizes (``n`` in an
``n×n`` matrix) are read from the arrays passed in, and the formula is compiled once per
set of sizes.

>>> import sympy as sp, numpy as np
>>> n = sp.Symbol("n", integer=True, positive=True)
>>> A = sp.MatrixSymbol("A", n, n)
>>> to_numpy(sp.Trace(A) * A)(np.eye(2))
array([[2., 0.],
       [0., 2.]])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.hadamard import HadamardPower
from sympy.printing.numpy import NumPyPrinter

from symnn.errors import SymnnError


class _MatrixNumPyPrinter(NumPyPrinter):  # type: ignore[misc]
    """NumPy printer that also knows elementwise powers, ones and elementwise functions."""

    def _print_HadamardPower(self, expr: HadamardPower) -> str:
        return f"numpy.power({self._print(expr.base)}, {self._print(expr.exp)})"

    def _print_Trace(self, expr: sp.Trace) -> str:
        return f"numpy.trace({self._print(expr.arg)})"

    def _print_Determinant(self, expr: sp.Determinant) -> str:
        return f"numpy.linalg.det({self._print(expr.arg)})"

    def _print_OneMatrix(self, expr: sp.OneMatrix) -> str:
        return f"numpy.ones(({self._print(expr.shape[0])}, {self._print(expr.shape[1])}))"

    def _print_ElementwiseApplyFunction(self, expr: ElementwiseApplyFunction) -> str:
        variable = expr.function.variables[0]
        body = self._print(expr.function.expr)
        return f"(lambda {self._print(variable)}: {body})({self._print(expr.expr)})"


def _size_symbols(formula: sp.Basic) -> set[sp.Symbol]:
    """Symbols used as sizes anywhere in ``formula`` (matrix symbols, I_n, ones)."""
    sizes: set[sp.Symbol] = set()
    for node in sp.preorder_traversal(formula):
        if isinstance(node, sp.MatrixExpr):
            for size in node.shape:
                sizes |= sp.sympify(size, strict=True).free_symbols
    return sizes


def function_arguments(formula: sp.Basic) -> tuple[sp.Basic, ...]:
    matrices = set(formula.atoms(sp.MatrixSymbol))
    dims = _size_symbols(formula)
    scalars = {s for s in formula.free_symbols
               if isinstance(s, sp.Symbol) and s not in dims}
    return tuple(sorted(matrices | scalars, key=lambda s: str(s)))


@dataclass(frozen=True, slots=True)
class NumpyFunction:
    """A formula compiled with ``sympy.lambdify`` to numpy; sizes are read from the inputs.

    >>> import numpy as np
    >>> n = sp.Symbol("n", integer=True, positive=True)
    >>> A = sp.MatrixSymbol("A", n, n)
    >>> f = to_numpy(2 * A.T)
    >>> f.parameters
    ('A',)
    >>> f(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[2., 6.],
           [4., 8.]])
    """

    formula: sp.Basic
    """The formula being evaluated."""
    arguments: tuple[sp.Basic, ...]
    """Matrix symbols and scalar symbols, in call order (sorted by name)."""
    _compiled: dict[tuple[tuple[sp.Symbol, int], ...], Callable[..., Any]] = field(
        default_factory=dict, compare=False, repr=False)
    """lambdified functions, one per assignment of symbolic sizes."""

    @property
    def parameters(self) -> tuple[str, ...]:
        """Argument names in call order."""
        return tuple(str(a) for a in self.arguments)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        values = self._bind(args, kwargs)
        dims = self._sizes(values)
        unknown = _size_symbols(self.formula) - set(dims)
        if unknown:
            raise SymnnError(f"cannot tell the size(s) {', '.join(sorted(map(str, unknown)))} "
                             "from the inputs; pass the matrices that have them")
        key = tuple(sorted(dims.items(), key=lambda item: str(item[0])))
        if key not in self._compiled:
            concrete = self.formula.xreplace(dims)
            arguments = [a.xreplace(dims) for a in self.arguments]
            self._compiled[key] = sp.lambdify(arguments, concrete, modules="numpy",
                                              printer=_MatrixNumPyPrinter)
        return self._compiled[key](*values)

    def _bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
        names = self.parameters
        if len(args) > len(names):
            raise SymnnError(f"expected at most {len(names)} arguments ({', '.join(names)}), "
                             f"got {len(args)}")
        bound = dict(zip(names, args))
        for key, value in kwargs.items():
            if key not in names:
                raise SymnnError(f"unknown argument {key!r}; arguments: {', '.join(names)}")
            bound[key] = value
        missing = [n for n in names if n not in bound]
        if missing:
            raise SymnnError(f"missing argument(s): {', '.join(missing)}")
        return [bound[n] for n in names]

    def _sizes(self, values: list[Any]) -> dict[sp.Symbol, int]:
        import numpy as np

        dims: dict[sp.Symbol, int] = {}
        for argument, value in zip(self.arguments, values):
            if not isinstance(argument, sp.MatrixSymbol):
                continue
            shape = np.shape(value)
            for size, actual in zip(argument.shape, shape):
                size = sp.sympify(size, strict=True)
                if size.is_Symbol:
                    if dims.setdefault(size, actual) != actual:
                        raise SymnnError(f"{argument} has {size} = {actual}, but another input "
                                         f"has {size} = {dims[size]}")
                elif size.is_Integer and int(size) != actual:
                    raise SymnnError(f"{argument} must be {argument.shape}, got shape {shape}")
        return dims


def to_numpy(formula: Any, arguments: Sequence[sp.Basic] | None = None) -> NumpyFunction:
    """A numpy function evaluating ``formula`` (a matrix expression, matrix or scalar).

    Arguments are ``arguments`` if given, else the formula's matrix symbols and free
    scalar symbols sorted by name; pass them positionally or by keyword.  Symbolic
    sizes are read from the arrays given.

    >>> import numpy as np
    >>> w = sp.Symbol("w")
    >>> to_numpy(sp.Matrix([[w**2, 3 * w]]))(2.0)
    array([[4., 6.]])
    """
    if hasattr(formula, "_sympy_") and not isinstance(formula, sp.Basic):
        formula = formula._sympy_()
    if isinstance(formula, sp.MatrixBase):
        formula = sp.ImmutableMatrix(formula)
    if not isinstance(formula, sp.Basic):
        raise SymnnError(f"to_numpy needs a SymPy formula, got {type(formula).__name__}")
    chosen = tuple(arguments) if arguments is not None else function_arguments(formula)
    return NumpyFunction(formula, chosen)
