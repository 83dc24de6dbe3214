"""symnn: exact, step-by-step worked solutions for neural-network exercises.

The public names are imported lazily, so ``import symnn.numeric`` (the independent
numpy evaluator) never pulls in SymPy, and the command line starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "SymnnError": "symnn.errors",
    "load_sheet": "symnn.spec",
    "solve": "symnn.exercises",
    "Network": "symnn.network",
    "Dense": "symnn.network",
    "FactoredMatrix": "symnn.network",
    "Gradients": "symnn.network",
    "CertifiedMatrix": "symnn.certified",
    "CertifiedNumber": "symnn.certified",
    "derive": "symnn.matcalc",
    "MatrixDerivative": "symnn.matcalc",
    "sum_entries": "symnn.matcalc",
    "to_numpy": "symnn.numpy_functions",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'symnn' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
