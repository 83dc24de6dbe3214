"""Markdown with ``$…$`` / ``$$…$$`` mathematics, as GitHub renders it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sympy as sp

from symnn.core.decimals import DEFAULT_DECIMALS, approximate, is_exact_decimal
from symnn.sheets.render import plots
from symnn.sheets.render.printing import chain, latex, preface, result_links, sentence_runs
from symnn.sheets.steps import Derivation, Equation, Figure, Heading, Inline, Prose, Sheet, Step, Table, Text, run


def _inline(part: Inline) -> str:
    typed = run(part)
    return typed.text if isinstance(typed, Text) else f"${latex(typed.expr)}$"


def inline_text(parts: Iterable[Inline]) -> str:
    """Prose (or a caption) as Markdown: text as written, mathematics between single dollars."""
    return "".join(_inline(p) for p in parts)


def _cell(part: Inline, decimals: int) -> str:
    if isinstance(part, sp.Basic) and part.is_number and not is_exact_decimal(part):
        return f"${latex(approximate(part, decimals))}$"
    return _inline(part)


def _equation(step: Equation, decimals: int) -> str:
    links = chain(step.lhs, [step.formula, *step.substituted], step.exact, decimals,
                  step.exact_shown)
    body = " ".join(f"{r} {t}" if r else t for r, t in links)
    return f"$$\n{body}\n$$"


def _heading(step: Heading, decimals: int) -> str:
    return f"### {step.text}"


def _prose(step: Prose, decimals: int) -> str:
    return inline_text(step.parts)


def _table(step: Table, decimals: int) -> str:
    lines = ["| " + " | ".join(_inline(h) for h in step.header) + " |",
             "|" + "---|" * len(step.header)]
    lines += ["| " + " | ".join(_cell(c, decimals) for c in row) + " |" for row in step.rows]
    return "\n".join(lines)


def figure_markdown(step: Figure, figure_prefix: str = "") -> str:
    """A plot as an image beside the Markdown file, or a note when matplotlib is missing."""
    if not plots.available():
        return f"*{step.title}: {plots.MISSING_NOTE}*"
    return f"![{step.title}]({plots.figure_file(step, figure_prefix, 'png')})"


def _figure(step: Figure, decimals: int) -> str:
    return figure_markdown(step)


RENDERERS: dict[type, Callable[..., str]] = {
    Heading: _heading, Prose: _prose, Equation: _equation, Table: _table, Figure: _figure,
}


def render_step(step: Step, decimals: int = DEFAULT_DECIMALS) -> str:
    """One step as Markdown."""
    return RENDERERS[type(step)](step, decimals)


def render_derivation(d: Derivation, number: int | str, decimals: int = DEFAULT_DECIMALS,
                      figures: bool = False, figure_prefix: str = "") -> str:
    """One exercise: its steps, final results and remarks."""
    blocks = [f"## Exercise {number}: {d.title}"]
    for step in d.steps:
        if not isinstance(step, Figure):
            blocks.append(render_step(step, decimals))
        elif figures:
            blocks.append(figure_markdown(step, figure_prefix))
    items = []
    for name in d.summary:
        q = d.quantity(name)
        links = result_links(q, decimals)
        math = " ".join(f"{r} {t}" if r else t for r, t in links)
        items.append(f"- {inline_text(sentence_runs(q.caption))}: ${math}$")
    if items:
        blocks += ["### Final results", "\n".join(items)]
    if d.remarks:
        blocks.append("### Remarks")
        blocks += [_prose(r, decimals) for r in d.remarks]
    return "\n\n".join(blocks)


def to_markdown(sheet: Sheet, decimals: int = DEFAULT_DECIMALS, figures: bool = False,
                figure_prefix: str = "") -> str:
    """The whole sheet as one Markdown document.

    With ``figures``, each plot is an image ``{figure_prefix}{name}.png`` beside the file
    (see :func:`symnn.sheets.render.plots.figure_files`).
    """
    head = [f"# {sheet.title}", preface(decimals, sheet.settings.get("detail", "full"))]
    body = [render_derivation(d, i, decimals, figures, figure_prefix)
            for i, d in enumerate(sheet.derivations, start=1)]
    return "\n\n".join(head + body) + "\n"
