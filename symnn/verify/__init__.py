"""Checking hand calculations: a safe LaTeX math parser, ``symnn lint`` and ``symnn check``.

Names are imported lazily, so ``import symnn.verify`` (and registering the ``lint``
subcommand) does not load lark or SymPy.

- :func:`parse_math` (text → exact SymPy value), :func:`parse_expression` (text → tree)
- :func:`split_relations` (one math span → links ``a = b``)
- :func:`lint_text`, :func:`lint_file` (a whole sheet → :class:`LintReport`)
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "parse_math": "symnn.verify.syntax.parse",
    "parse_expression": "symnn.verify.syntax.parse",
    "split_relations": "symnn.verify.lint.relations",
    "Link": "symnn.verify.lint.relations",
    "find_math_spans": "symnn.verify.lint.extract",
    "lint_text": "symnn.verify.lint.report",
    "lint_file": "symnn.verify.lint.report",
    "LintReport": "symnn.verify.lint.report",
    "Finding": "symnn.verify.lint.report",
    "Judge": "symnn.verify.lint.judge",
    "check_answers": "symnn.verify.check.judge",
}

__all__ = [
    "Finding",
    "Judge",
    "Link",
    "check_answers",
    "LintReport",
    "find_math_spans",
    "lint_file",
    "lint_text",
    "parse_expression",
    "parse_math",
    "split_relations",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'symnn.verify' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
