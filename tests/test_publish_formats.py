"""The tex, html and pdf formats through ``symnn sheet``, notebook display, and the LaTeX structure."""

from __future__ import annotations

import argparse

import pytest
import sympy as sp

import symnn.sheets.pipeline
from symnn.cli import main
from symnn.commands.sheet import chosen_formats
from symnn.sheets.render.latex import (
    LatexSettings,
    display_chain,
    escape,
    latex_fragment,
    to_latex,
    unicode_declarations,
)
from symnn.sheets.steps import Figure


def test_tex_and_html_are_written_with_the_plots_the_tex_includes(tmp_path, capsys):
    assert main(["sheet", "--format", "tex,html", "--out", str(tmp_path), "--quiet"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    tex = (tmp_path / "seed.tex").read_text(encoding="utf-8")
    included = sorted(part.split("}")[0] for part in tex.split("\\includegraphics[width=0.85\\linewidth]{")[1:])
    pytest.importorskip("matplotlib", reason="plots need matplotlib")
    assert included and set(included) <= set(names)
    assert names == sorted(["seed.tex", "seed.html", *included])


def test_unknown_format_lists_every_valid_one(tmp_path, capsys):
    assert main(["sheet", "--format", "md,docx", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'docx'" in err
    for name in ("md", "json", "tex", "html", "pdf"):
        assert name in err.split("valid formats:")[1]


def test_no_arguments_write_every_format_but_pdf_without_an_engine(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(symnn.sheets.pipeline, "find_engine", lambda: None)
    assert main(["sheet", "--out", str(tmp_path)]) == 0
    written = {p.name for p in tmp_path.iterdir()}
    assert {"seed.md", "seed.json", "seed.tex", "seed.html"} <= written and "seed.pdf" not in written
    assert "PDF skipped: no TeX engine found" in capsys.readouterr().err


def test_default_formats_include_pdf_when_an_engine_exists(monkeypatch):
    monkeypatch.setattr(symnn.sheets.pipeline, "find_engine", lambda: object())
    args = argparse.Namespace(format=None, pdf=False, quiet=True)
    assert chosen_formats(args) == ("md", "json", "tex", "html", "pdf")
    args = argparse.Namespace(format="md", pdf=True, quiet=True)
    assert chosen_formats(args) == ("md", "pdf")


def test_document_has_one_section_and_one_framed_result_per_exercise(seed_sheet):
    tex = to_latex(seed_sheet, figure_prefix="seed-")
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
    assert tex.count("\\section*{Exercise ") == len(seed_sheet.derivations)
    assert tex.count("\\begin{symnnresults}") == len(seed_sheet.derivations)
    figures = sum(isinstance(s, Figure) for d in seed_sheet.derivations for s in d.steps)
    assert tex.count("\\includegraphics") == figures
    assert "\\begin{cases}" in tex and "\\begin{bmatrix}" in tex and "\\odot" in tex


def test_document_declares_exactly_the_unicode_it_uses(seed_sheet):
    tex = to_latex(seed_sheet)
    body = tex.split("\\begin{document}")[1]
    declared = [line for line in tex.splitlines() if line.startswith("\\SymnnUnicode{")]
    assert declared == unicode_declarations(body)
    assert "\\SymnnUnicode{03C3}{σ}{\\ensuremath{\\sigma}}" in declared  # σ in the prose


@pytest.mark.parametrize("text", ["a_b", "50%", "x & y", "{}", "#1", "$5", "~", "^", "\\", "<|>"])
def test_escaped_text_has_no_bare_special_character(text):
    escaped = escape(text)
    for special in "_%&#$":
        assert escaped.count(special) == escaped.count("\\" + special)


def test_long_chains_are_measured_by_tex_and_plain_for_notebooks():
    links = [("", "L"), ("=", "a"), ("=", "b"), (r"\approx", "c")]
    measured = display_chain(links, LatexSettings())
    assert measured.startswith("\\SymnnChain{L}") and "\\SymnnLink{\\approx}{c}" in measured
    plain = display_chain(links, LatexSettings(standalone=False))
    assert plain == "\\begin{align*}\n  L &= a \\\\\n  &= b \\\\\n  &\\approx c\n\\end{align*}"


def test_notebook_displays_of_sheets_and_derivations(seed_sheet):
    html, markdown, latex = seed_sheet._repr_html_(), seed_sheet._repr_markdown_(), seed_sheet._repr_latex_()
    assert html.startswith('<div class="symnn"><style>') and "<math" in html and "<script" not in html
    assert markdown.startswith(f"# {seed_sheet.title}")
    assert "\\Symnn" not in latex and "\\documentclass" not in latex and "\\section*{" in latex
    d = seed_sheet["ex2"]
    assert "<math" in d._repr_html_() and d._repr_markdown_().startswith("## Exercise ex2: ")
    assert d._repr_latex_() == latex_fragment(d) and "\\frac{\\partial L}{\\partial W_{1}}" in d._repr_latex_()


def test_wide_matrices_raise_amsmath_column_limit():
    from symnn.sheets.steps import Derivation, Equation, Sheet

    wide = sp.ImmutableMatrix([list(range(14))])
    d = Derivation("ex1", "forward", "t", (Equation(sp.Symbol("M"), None, (), wide),), (), ())
    assert "\\setcounter{MaxMatrixCols}{14}" in to_latex(Sheet("t", (d,)))
