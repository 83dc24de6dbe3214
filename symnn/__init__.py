"""symnn: exact, step-by-step worked solutions for neural-network exercises.

The public names are imported lazily, so ``import symnn.sheets.reference.numeric`` (the independent
numpy evaluator) never pulls in SymPy, and the command line starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "SymnnError": "symnn.errors",
    "load_sheet": "symnn.sheets.loading",
    "solve": "symnn.sheets.pipeline",
    "Network": "symnn.library.network",
    "Dense": "symnn.library.network",
    "FactoredMatrix": "symnn.library.gradients",
    "Gradients": "symnn.library.gradients",
    "CertifiedMatrix": "symnn.core.certified",
    "CertifiedNumber": "symnn.core.certified",
    "derive": "symnn.library.matcalc",
    "MatrixDerivative": "symnn.library.matcalc",
    "sum_entries": "symnn.library.matcalc",
    "hessian": "symnn.library.hessian",
    "to_numpy": "symnn.library.numpy_functions",
    "lint": "symnn.verify.api",
    "check": "symnn.verify.api",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'symnn' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
