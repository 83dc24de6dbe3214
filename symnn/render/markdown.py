"""Markdown with ``$…$`` / ``$$…$$`` mathematics, as GitHub renders it."""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from symnn.render.printing import (
    DEFAULT_DECIMALS,
    approximate,
    chain,
    is_exact_decimal,
    latex,
    preface,
    sentence_case,
)
from symnn.steps import Derivation, Equation, Figure, Heading, Inline, Prose, Sheet, Step, Table

RELATION = {"=": "=", "≈": r"\approx"}


def _inline(part: Inline) -> str:
    return part if isinstance(part, str) else f"${latex(part)}$"


def _cell(part: Inline, decimals: int) -> str:
    if isinstance(part, sp.Basic) and part.is_number and not is_exact_decimal(part):
        return f"${latex(approximate(part, decimals))}$"
    return _inline(part)


def _equation(step: Equation, decimals: int) -> str:
    links = chain(step.lhs, [step.formula, *step.substituted], step.exact, decimals)
    body = " ".join(f"{RELATION[r]} {t}" if r else t for r, t in links)
    return f"$$\n{body}\n$$"


def _heading(step: Heading, decimals: int) -> str:
    return f"### {step.text}"


def _prose(step: Prose, decimals: int) -> str:
    return "".join(_inline(p) for p in step.parts)


def _table(step: Table, decimals: int) -> str:
    lines = ["| " + " | ".join(_inline(h) for h in step.header) + " |",
             "|" + "---|" * len(step.header)]
    lines += ["| " + " | ".join(_cell(c, decimals) for c in row) + " |" for row in step.rows]
    return "\n".join(lines)


def _figure(step: Figure, decimals: int) -> str:
    return f"![{step.title}]({step.name}.png)"


RENDERERS: dict[type, Callable[..., str]] = {
    Heading: _heading, Prose: _prose, Equation: _equation, Table: _table, Figure: _figure,
}


def render_step(step: Step, decimals: int = DEFAULT_DECIMALS) -> str:
    """One step as Markdown."""
    return RENDERERS[type(step)](step, decimals)


def render_derivation(d: Derivation, number: int, decimals: int = DEFAULT_DECIMALS,
                      figures: bool = False) -> str:
    """One exercise: its steps, final results and remarks."""
    blocks = [f"## Exercise {number}: {d.title}"]
    blocks += [render_step(s, decimals) for s in d.steps if figures or not isinstance(s, Figure)]
    blocks.append("### Final results")
    items = []
    for name in d.summary:
        q = d.quantity(name)
        links = chain(q.symbol, [], q.exact, decimals)
        math = " ".join(f"{RELATION[r]} {t}" if r else t for r, t in links)
        items.append(f"- {sentence_case(q.caption)}: ${math}$")
    blocks.append("\n".join(items))
    if d.remarks:
        blocks.append("### Remarks")
        blocks += [_prose(r, decimals) for r in d.remarks]
    return "\n\n".join(blocks)


def to_markdown(sheet: Sheet, decimals: int = DEFAULT_DECIMALS, figures: bool = False) -> str:
    """The whole sheet as one Markdown document."""
    head = [f"# {sheet.title}", preface(decimals)]
    body = [render_derivation(d, i, decimals, figures) for i, d in enumerate(sheet.derivations, start=1)]
    return "\n\n".join(head + body) + "\n"
