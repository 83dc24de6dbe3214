"""Mathematics in prose is typeset: no paragraph of any format carries an untypeset subscript or formula.

Prose is typed runs (:class:`~symnn.sheets.steps.Text` and :class:`~symnn.sheets.steps.Math`); a
formula written into a text run (``Z_1``, ``x ≤ 0``, ``∂L/∂Z``, ``activation relu``) would reach
the reader as raw characters.  These tests read every built-in sheet (the seed and every
``symnn/sheets/examples/*.toml``, so a new kind's example sheet is covered when it is added) in
every format, and require every registered kind to appear in one of them.
"""

from __future__ import annotations

import json
import re
from functools import cache
from html.parser import HTMLParser
from typing import Any

import pytest

from symnn.sheets.steps import Heading, Math, Prose, Sheet, Table, Text, run

FORMULA = re.compile(
    r"[_^∂²³ᵀ′ŷ]"  # subscripts, exponents, partial derivatives, primes, hats written as text
    r"|[\w)\]]\s*[=≤≥≈<>]\s*[\w(\[−-]"  # a relation between operands: "x ≤ 0", "G = ∂L/∂W"
    r"|\b(?:activation|applies)\s+(?:relu|sigmoid|softmax|softplus|elu|tanh)\b"  # a code name: "activation relu"
)
"""What a formula looks like when it was written as text instead of a math run."""


def formula_in(text: str) -> str | None:
    """The first formula-like piece of ``text``, or None.

    >>> formula_in("Every entry of Z_1 is ≤ 0"), formula_in("the value of the branch x ≤ 0")
    ('_', 'x ≤ 0')
    >>> formula_in("activation relu"), formula_in("Sigmoid and tanh are smooth; 2×3 matrices, [0, 1]")
    ('activation relu', None)
    """
    match = FORMULA.search(text)
    return None if match is None else match.group(0)


def _builtin_names() -> list[str]:
    from symnn.sheets.loading import builtin_sheets

    return list(builtin_sheets())


@cache
def solved(name: str) -> tuple[Sheet, tuple[Any, ...]]:
    """A built-in sheet solved and cross-checked, with its exercises' specs."""
    from symnn.sheets.crosscheck import solve_checked
    from symnn.sheets.loading import load_builtin

    spec = load_builtin(name)
    return solve_checked(spec), spec.exercises


def test_every_registered_kind_has_a_builtin_sheet_so_its_prose_is_read_here():
    from symnn.sheets.kinds import KINDS

    covered = {e.kind for name in _builtin_names() for e in solved(name)[1]}
    assert set(KINDS) <= covered, f"kinds with no built-in example sheet: {sorted(set(KINDS) - covered)}"


def _text_runs(sheet: Sheet, exercises: tuple[Any, ...]) -> list[tuple[str, str]]:
    """(where, text) of every text run a reader sees: prose, headings, table cells, captions, statements."""
    from symnn.sheets.kinds import statement

    found: list[tuple[str, str]] = []
    for d in sheet.derivations:
        for step in (*d.steps, *d.remarks):
            if isinstance(step, Prose):
                found += [(f"{d.id} prose", r.text) for r in step.parts if isinstance(r, Text)]
            elif isinstance(step, Heading):
                found.append((f"{d.id} heading", step.text))
            elif isinstance(step, Table):
                found += [(f"{d.id} table", r.text) for row in (step.header, *step.rows)
                          for r in map(run, row) if isinstance(r, Text)]
        for q in d.quantities:
            caption = (q.caption,) if isinstance(q.caption, str) else q.caption
            found += [(f"{d.id} caption of {q.name}", r.text) for r in map(run, caption) if isinstance(r, Text)]
    for spec in exercises:
        for line in statement(spec):
            found += [(f"{spec.id} statement", r.text) for r in map(run, line) if isinstance(r, Text)]
    return found


@pytest.mark.parametrize("name", _builtin_names())
def test_text_runs_hold_no_formula(name):
    sheet, exercises = solved(name)
    bad = [(where, text, formula_in(text)) for where, text in _text_runs(sheet, exercises) if formula_in(text)]
    assert not bad, "\n".join(f"{where}: {found!r} in {text!r}" for where, text, found in bad)


def test_the_detector_finds_what_the_issue_names():
    for text in ("Every entry of Z_1 is ≤ 0", "Each layer computes Z_l = W_l A_(l−1) + b_l",
                 "activation relu", "(the value of the branch x ≤ 0)", "the output delta is simply ŷ − y ∂",
                 "the gradient of W^T"):
        assert formula_in(text), text
    for text in ("Sigmoid and tanh are smooth and bounded.", "W is 2×3, so Z is 2×1.", "[0, 1]",
                 "a ReLU unit whose input stays negative"):
        assert formula_in(text) is None, text


# ----- the rendered formats --------------------------------------------------------------------

def _markdown_prose(text: str) -> list[str]:
    """The Markdown's prose lines with their inline math removed (displays, images and tables' math too)."""
    from symnn.verify.lint.extract import find_math_spans

    spans = find_math_spans(text, "markdown")
    pieces, at = [], 0
    for span in spans:
        pieces.append(text[at:span.extent[0]])
        at = span.extent[1]
    pieces.append(text[at:])
    outside = " ".join(pieces)
    return [line for line in outside.splitlines() if line.strip() and not line.startswith("![")]


class _HtmlText(HTMLParser):
    """Text of an HTML page outside ``<math>``, ``<svg>``, ``<style>`` and ``<title>``."""

    SKIP = {"math", "svg", "style", "title"}

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.SKIP:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth == 0 and data.strip():
            self.text.append(data)


@pytest.mark.parametrize("name", _builtin_names())
def test_no_rendered_paragraph_has_an_untypeset_subscript_or_exponent(name):
    from symnn.sheets.render.html import to_html
    from symnn.sheets.render.json import to_json
    from symnn.sheets.render.latex import to_latex
    from symnn.sheets.render.markdown import to_markdown

    sheet, _ = solved(name)
    markdown = [line for line in _markdown_prose(to_markdown(sheet, figures=True)) if re.search(r"[_^]", line)]
    assert not markdown, markdown
    # In LaTeX, prose is escaped text: an underscore or caret there is an escaped \_ or \textasciicircum.
    latex = [line for line in to_latex(sheet).splitlines() if "\\_" in line or "\\textasciicircum" in line]
    assert not latex, latex
    parser = _HtmlText()
    parser.feed(to_html(sheet, figures=False))
    html = [t for t in parser.text if re.search(r"[_^]", t)]
    assert not html, html
    key = json.loads(to_json(sheet))
    captions = [q["caption"] for e in key["exercises"] for q in e["quantities"].values()
                if re.search(r"[_^]", q["caption"])]
    assert not captions, captions


def test_math_runs_are_typeset_in_every_format():
    import sympy as sp

    from symnn.sheets.render import html, latex, markdown, moodle
    from symnn.sheets.render.printing import plain_runs

    prose = Prose(("Every entry of ", sp.Symbol("Z_1"), " is negative."))
    assert isinstance(prose.parts[1], Math)
    assert markdown.render_step(prose) == "Every entry of $Z_{1}$ is negative."
    assert latex.render_step(prose, latex.LatexSettings()) == r"Every entry of \(Z_{1}\) is negative."
    page = html.html_fragment(Sheet("t", ()))
    assert "<math" not in page  # an empty sheet has no formula; the next one has exactly one
    paragraph = html.Element("div")
    html.render_step(prose, paragraph, html.HtmlSettings())
    assert html.serialise(paragraph).count("<math") == 1 and "Z_1" not in html.serialise(paragraph).split("<annotation")[0]
    assert r"\(Z_{1}\)" in moodle.question_html([prose.parts], ("?",))
    assert plain_runs(prose.parts) == "Every entry of Z₁ is negative."
