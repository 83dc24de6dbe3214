"""symnn: exact, step-by-step worked solutions for neural-network exercises."""

from symnn.errors import SymnnError
from symnn.spec import load_sheet

__all__ = ["SymnnError", "load_sheet"]
__version__ = "0.1.0"
