"""Notebook display: how a solved sheet or one exercise shows itself in Jupyter.

:mod:`symnn.sheets.steps` is plain data below the renderers; :func:`install` tells its
``_repr_html_``, ``_repr_markdown_`` and ``_repr_latex_`` which renderer to call.  HTML
is a fragment with MathML and its own scoped style, LaTeX plain amsmath without symnn's
macros, and a sheet uses the ``decimals`` of its display settings.
"""

from __future__ import annotations

from symnn.core.decimals import DEFAULT_DECIMALS
from symnn.sheets import steps
from symnn.sheets.render.latex import latex_fragment
from symnn.sheets.render.markdown import render_derivation, to_markdown
from symnn.sheets.steps import Derivation, Sheet


def decimals_of(sheet: Sheet) -> int:
    """The places after ``≈`` a sheet asks for in its settings (default 3)."""
    value = sheet.settings.get("decimals", DEFAULT_DECIMALS)
    return value if isinstance(value, int) else DEFAULT_DECIMALS


def html(item: Sheet | Derivation) -> str:
    """A ``<div>`` with MathML and its own scoped style."""
    from symnn.sheets.render.html import html_fragment  # with the MathML converter: loaded when first shown

    return html_fragment(item, decimals_of(item)) if isinstance(item, Sheet) else html_fragment(item)


def markdown(item: Sheet | Derivation) -> str:
    """The sheet's Markdown, or one exercise's section."""
    return to_markdown(item, decimals_of(item)) if isinstance(item, Sheet) else render_derivation(item, item.id)


def latex(item: Sheet | Derivation) -> str:
    """Plain amsmath LaTeX."""
    return latex_fragment(item, decimals_of(item)) if isinstance(item, Sheet) else latex_fragment(item)


def install() -> None:
    """Let every sheet and derivation display itself in a notebook (idempotent)."""
    steps.NOTEBOOK.update(html=html, markdown=markdown, latex=latex)
