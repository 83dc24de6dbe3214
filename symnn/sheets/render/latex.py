r"""A standalone LaTeX document (article, amsmath) that pdflatex, lualatex or tectonic compile.

The mathematics comes from :func:`symnn.sheets.render.printing.latex` (SymPy's printer,
subclassed); this module only arranges it.  Two small TeX macros keep every display
inside the text width, measured by TeX itself rather than guessed here:

* ``\SymnnChain{lhs}{rest}{rows}`` sets ``lhs rest`` on one line when it fits, and
  otherwise the ``rows`` form, one link of the chain per line, aligned at the relations;
* ``\SymnnFit{math}`` shrinks one link (a wide matrix) to the room left on its line.

Plain text is escaped character by character; non-ASCII characters the engine does not
know (Greek letters, ``ŷ``, ``≈``, ...) are declared in the preamble with their LaTeX.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import sympy as sp

from symnn.core.decimals import DEFAULT_DECIMALS, approximate, is_exact_decimal
from symnn.sheets.render import plots
from symnn.sheets.render.printing import chain, latex, preface, result_links, sentence_runs
from symnn.sheets.steps import Derivation, Equation, Figure, Heading, Inline, Math, Prose, Sheet, Step, Table, Text, run

TEXT_ESCAPES = str.maketrans({
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
})
"""Characters special to TeX in running text, and how to write them literally."""

UNICODE_LATEX: dict[str, str] = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\varepsilon",
    "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "κ": r"\kappa", "λ": r"\lambda", "μ": r"\mu",
    "ν": r"\nu", "ξ": r"\xi", "π": r"\pi", "ρ": r"\rho", "σ": r"\sigma", "τ": r"\tau",
    "φ": r"\varphi", "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega", "Γ": r"\Gamma", "Δ": r"\Delta",
    "Θ": r"\Theta", "Λ": r"\Lambda", "Π": r"\Pi", "Σ": r"\Sigma", "Φ": r"\Phi", "Ψ": r"\Psi",
    "Ω": r"\Omega", "ŷ": r"\hat{y}", "∂": r"\partial", "⊙": r"\odot", "≈": r"\approx",
    "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "−": "-", "×": r"\times", "·": r"\cdot",
    "±": r"\pm", "→": r"\to", "∑": r"\sum", "∞": r"\infty", "∈": r"\in", "√": r"\surd",
    "½": r"\tfrac{1}{2}", "²": r"^{2}", "³": r"^{3}", "¹": r"^{1}", "ᵀ": r"^{T}", "′": r"'",
    "₀": r"_{0}", "₁": r"_{1}", "₂": r"_{2}", "₃": r"_{3}", "‖": r"\|",
}
"""Mathematical characters that may appear in text or symbol names, as LaTeX math."""

UNICODE_TEXT: dict[str, str] = {
    "—": r"\textemdash{}", "–": r"\textendash{}", "‘": "`", "’": "'", "“": "``", "”": "''",
    "…": r"\dots{}", "\u00a0": "~",
}
"""Punctuation that pdfTeX knows but LuaTeX's and XeTeX's 8-bit fonts lack, as LaTeX text."""


def unicode_latex(character: str) -> str | None:
    """How a non-ASCII character is typeset, or None to leave it to the engine."""
    if character in UNICODE_LATEX:
        return r"\ensuremath{%s}" % UNICODE_LATEX[character]
    return UNICODE_TEXT.get(character)


PREAMBLE = r"""\documentclass[11pt,a4paper]{article}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage[margin=2.4cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{graphicx}
\usepackage{xcolor}
\usepackage{booktabs}
\usepackage{parskip}
\allowdisplaybreaks
\renewcommand\arraystretch{1.3}
% \SymnnUnicode{code}{character}{latex}: how a non-ASCII character is typeset: declared
% for pdfTeX's UTF-8 input, an active character under LuaTeX and XeTeX.
\ifdefined\DeclareUnicodeCharacter
  \newcommand\SymnnUnicode[3]{\DeclareUnicodeCharacter{#1}{#3}}
\else
  \newcommand\SymnnUnicode[3]{\catcode`#2=\active
    \begingroup\lccode`\~=`#2\lowercase{\endgroup\protected\def~}{#3}}
\fi
\definecolor{SymnnFrame}{gray}{0.45}
\definecolor{SymnnFill}{gray}{0.96}
\newsavebox\SymnnBox
\newsavebox\SymnnResultsBox
\newlength\SymnnRoom
% \SymnnFit{math}: display-style math, shrunk to \SymnnRoom when wider.
\newcommand\SymnnFit[1]{%
  \sbox\SymnnBox{$\displaystyle #1$}%
  \ifdim\wd\SymnnBox>\SymnnRoom\resizebox{\SymnnRoom}{!}{\usebox\SymnnBox}\else\usebox\SymnnBox\fi}
% \SymnnChain{lhs}{rest}{links}: "lhs rest" on one line if it fits; otherwise the
% \SymnnLink{relation}{math} items of links are packed greedily into lines of an align*,
% aligned at the relations, and a link wider than a line is shrunk.
\newtoks\SymnnRows
\newlength\SymnnUsed
\newcommand\SymnnLink[2]{%
  \sbox\SymnnBox{$\displaystyle{}#1 #2$}%
  \ifdim\SymnnUsed>0pt
    \ifdim\dimexpr\SymnnUsed+\wd\SymnnBox\relax>\SymnnRoom
      \SymnnRows=\expandafter{\the\SymnnRows\\&}\SymnnUsed=0pt
    \fi
  \fi
  \SymnnRows=\expandafter{\the\SymnnRows\SymnnFit{{}#1 #2}}%
  \advance\SymnnUsed\wd\SymnnBox}
\newcommand\SymnnChain[3]{%
  \sbox\SymnnBox{$\displaystyle #1 #2$}%
  \ifdim\wd\SymnnBox>\linewidth
    \sbox\SymnnBox{$\displaystyle #1$}%
    \setlength\SymnnRoom{\dimexpr\linewidth-\wd\SymnnBox-2em\relax}%
    \SymnnRows={}\SymnnUsed=0pt #3%
    \edef\SymnnNext{\noexpand\begin{align*}\unexpanded{#1}&\the\SymnnRows\noexpand\end{align*}}%
    \SymnnNext
  \else
    \[#1 #2\]%
  \fi}
% \SymnnDisplay{math}: one display, shrunk to the line when wider.
\newcommand\SymnnDisplay[1]{\setlength\SymnnRoom{\linewidth}\[\SymnnFit{#1}\]}
% \SymnnWide{material}: a table or picture, shrunk to the line when wider.
\newcommand\SymnnWide[1]{%
  \sbox\SymnnBox{#1}%
  \ifdim\wd\SymnnBox>\linewidth\resizebox{\linewidth}{!}{\usebox\SymnnBox}\else\usebox\SymnnBox\fi}
% symnnresults: the framed box of an exercise's final results; its lines break only
% after a relation, and a link wider than the box is shrunk.
\newenvironment{symnnresults}
  {\par\medskip\noindent\setlength\fboxsep{8pt}\begin{lrbox}{\SymnnResultsBox}%
   \begin{minipage}{\dimexpr\linewidth-2\fboxsep-2\fboxrule\relax}\raggedright}
  {\end{minipage}\end{lrbox}%
   \fcolorbox{SymnnFrame}{SymnnFill}{\usebox\SymnnResultsBox}\par\medskip}
"""
"""Document class, packages and symnn's layout macros."""


@dataclass(frozen=True, slots=True)
class LatexSettings:
    """How a sheet is written in LaTeX."""

    decimals: int = DEFAULT_DECIMALS
    """Places after ≈."""
    figures: bool = True
    """Whether Figure steps appear (as a graphic, or a note without matplotlib)."""
    figure_prefix: str = ""
    """File-name prefix of the figure PDFs included beside the document."""
    standalone: bool = True
    """A whole document using symnn's macros; otherwise plain amsmath for notebooks."""


def escape(text: str) -> str:
    r"""Plain text with TeX's special characters written literally.

    >>> escape("50% of x_1 & {y}")
    '50\\% of x\\_1 \\& \\{y\\}'
    """
    return text.translate(TEXT_ESCAPES)


def unicode_declarations(document: str) -> list[str]:
    r"""``\SymnnUnicode`` lines for the known non-ASCII characters of ``document``.

    >>> unicode_declarations("x ≈ σ — é")
    ['\\SymnnUnicode{03C3}{σ}{\\ensuremath{\\sigma}}', '\\SymnnUnicode{2014}{—}{\\textemdash{}}', '\\SymnnUnicode{2248}{≈}{\\ensuremath{\\approx}}']
    """
    used = sorted({c for c in document if unicode_latex(c) is not None})
    return [r"\SymnnUnicode{%04X}{%s}{%s}" % (ord(c), c, unicode_latex(c)) for c in used]


def inline(part: Inline) -> str:
    r"""A piece of prose: escaped text, or inline mathematics ``\(...\)``."""
    typed = run(part)
    return escape(typed.text) if isinstance(typed, Text) else r"\(%s\)" % latex(typed.expr)


def inline_text(parts: Iterable[Inline]) -> str:
    """Prose (or a caption) as LaTeX."""
    return "".join(inline(p) for p in parts)


def cell(part: Inline, decimals: int) -> str:
    """A table cell; exact values that are not decimals are shown rounded."""
    if isinstance(part, sp.Basic) and part.is_number and not is_exact_decimal(part):
        return r"\(%s\)" % latex(approximate(part, decimals))
    return inline(part)


def display_chain(links: list[tuple[str, str]], settings: LatexSettings) -> str:
    """One displayed chain ``lhs = a = b ≈ c``: measured by TeX, or plain amsmath."""
    lhs, rest = links[0][1], links[1:]
    if not rest:
        return r"\SymnnDisplay{%s}" % lhs if settings.standalone else r"\[ %s \]" % lhs
    one_line = " ".join(f"{r} {t}" for r, t in rest)
    if not settings.standalone:
        if len(rest) == 1:
            return r"\[ %s %s \]" % (lhs, one_line)
        rows = " \\\\\n  ".join(f"&{r} {t}" for r, t in rest)
        return "\\begin{align*}\n  %s %s\n\\end{align*}" % (lhs, rows)
    links_tex = "\n   ".join(r"\SymnnLink{%s}{%s}" % (r, t) for r, t in rest)
    return "\\SymnnChain{%s}\n  {%s}\n  {%s}" % (lhs, one_line, links_tex)


def inline_chain(links: list[tuple[str, str]], settings: LatexSettings) -> str:
    """A chain as display-style inline math, each link shrunk to the line if wider (standalone)."""
    fit = (lambda t: r"\SymnnFit{%s}" % t) if settings.standalone else (lambda t: t)
    return "$\\displaystyle %s$" % " ".join(
        [fit(links[0][1])] + [f"{r} {fit(t)}" for r, t in links[1:]])


def _heading(step: Heading, settings: LatexSettings) -> str:
    return r"\subsection*{%s}" % escape(step.text)


def _prose(step: Prose, settings: LatexSettings) -> str:
    return inline_text(step.parts)


def _equation(step: Equation, settings: LatexSettings) -> str:
    return display_chain(chain(step.lhs, [step.formula, *step.substituted], step.exact, settings.decimals,
                  step.exact_shown),
                         settings)


def _table(step: Table, settings: LatexSettings) -> str:
    lines = [r"\begin{tabular}{%s}" % ("c" * len(step.header)), r"\toprule",
             " & ".join(inline(h) for h in step.header) + r" \\", r"\midrule"]
    lines += [" & ".join(cell(c, settings.decimals) for c in row) + r" \\" for row in step.rows]
    lines += [r"\bottomrule", r"\end{tabular}"]
    table = "\n".join(lines)
    if settings.standalone:
        table = r"\SymnnWide{%s}" % table
    return "\\begin{center}\n%s\n\\end{center}" % table


def _figure(step: Figure, settings: LatexSettings) -> str:
    caption = r"{\small\itshape %s\par}" % escape(step.title)
    if not plots.available():
        return "\\begin{center}\n%s\n\\end{center}" % (r"{\small\itshape %s\par}" % escape(plots.MISSING_NOTE))
    graphic = r"\includegraphics[width=0.85\linewidth]{%s}" % plots.figure_file(step, settings.figure_prefix, "pdf")
    # A minipage keeps the picture and its caption on one page.
    return "\\begin{center}\\begin{minipage}{\\linewidth}\\centering\n%s\\\\[2pt]\n%s\n\\end{minipage}\\end{center}" % (
        graphic, caption)


RENDERERS: dict[type, Callable[[Step, LatexSettings], str]] = {
    Heading: _heading, Prose: _prose, Equation: _equation, Table: _table, Figure: _figure,  # type: ignore[dict-item]
}
"""How each kind of step is written."""


def render_step(step: Step, settings: LatexSettings) -> str:
    """One step as LaTeX."""
    return RENDERERS[type(step)](step, settings)


def final_results(d: Derivation, settings: LatexSettings) -> str:
    """The exercise's final results, framed (standalone) or as a list."""
    items = []
    for name in d.summary:
        q = d.quantity(name)
        math = inline_chain(result_links(q, settings.decimals), settings)
        items.append(r"\item %s: %s" % (inline_text(sentence_runs(q.caption)), math))
    # Inside the list, \linewidth is the items' width: room for a link and a relation after it.
    room = "\\setlength\\SymnnRoom{\\dimexpr\\linewidth-2.5em\\relax}\n" if settings.standalone else ""
    body = "\\textbf{Final results}\n\\begin{itemize}\n%s%s\n\\end{itemize}" % (room, "\n".join(items))
    if settings.standalone:
        return "\\begin{symnnresults}\n%s\n\\end{symnnresults}" % body
    return body


def render_derivation(d: Derivation, label: object, settings: LatexSettings) -> str:
    """One exercise: a section with its steps, framed final results and remarks."""
    text = r"\section*{Exercise %s: %s}" % (escape(str(label)), escape(d.title))
    for step in d.steps:
        if settings.figures or not isinstance(step, Figure):
            # A display continues the paragraph before it; a blank line would add a line of space.
            text += ("\n" if isinstance(step, Equation) else "\n\n") + render_step(step, settings)
    blocks = [text, final_results(d, settings)] if d.summary else [text]
    if d.remarks:
        blocks.append(r"\subsection*{Remarks}")
        blocks += [_prose(r, settings) for r in d.remarks]
    return "\n\n".join(blocks)


def math_objects(sheet: Sheet) -> Iterator[sp.Basic]:
    """Every SymPy object a sheet displays."""
    for d in sheet.derivations:
        for step in (*d.steps, *d.remarks):
            if isinstance(step, Equation):
                yield from (e for e in (step.lhs, step.formula, *step.substituted, step.exact) if e is not None)
            elif isinstance(step, Prose):
                yield from (p.expr for p in step.parts if isinstance(p, Math))
            elif isinstance(step, Table):
                yield from (c for row in (step.header, *step.rows) for c in row if isinstance(c, sp.Basic))
        for q in d.quantities:
            yield from (q.symbol, q.exact)


def widest_matrix(sheet: Sheet) -> int:
    """The most columns of any matrix on the sheet (amsmath must be told when above 10)."""
    widths = [m.cols for obj in math_objects(sheet)
              for m in ([obj] if isinstance(obj, sp.MatrixBase) else obj.atoms(sp.ImmutableDenseMatrix))]
    return max(widths, default=0)


def document(title: str, body: Iterable[str], decimals: int, matrix_columns: int = 10, detail: object = "full") -> str:
    """The standalone document around the rendered exercises."""
    text = "\n\n".join([
        r"\begin{center}{\LARGE\bfseries %s\par}\end{center}" % escape(title),
        escape(preface(decimals, detail)),
        *body,
    ])
    declarations = unicode_declarations(text)
    columns = r"\setcounter{MaxMatrixCols}{%d}" % max(10, matrix_columns) + "\n"
    return "".join([PREAMBLE, columns, *(line + "\n" for line in declarations),
                    "\\begin{document}\n\n", text, "\n\n\\end{document}\n"])


def to_latex(sheet: Sheet, decimals: int = DEFAULT_DECIMALS, figures: bool = True, figure_prefix: str = "") -> str:
    r"""The whole sheet as a standalone LaTeX document.

    Figures are included as ``{figure_prefix}{name}.pdf`` beside the document (see
    :func:`symnn.sheets.render.plots.figure_files`).

    >>> from symnn.sheets.kinds import solve
    >>> from symnn.sheets.loading import load_sheet
    >>> text = to_latex(solve(load_sheet()), figures=False)
    >>> text.startswith("\\documentclass") and "\\section*{Exercise 1: " in text
    True
    """
    settings = LatexSettings(decimals, figures, figure_prefix)
    body = [render_derivation(d, i, settings) for i, d in enumerate(sheet.derivations, start=1)]
    return document(sheet.title, body, decimals, widest_matrix(sheet), sheet.settings.get("detail", "full"))


def latex_fragment(sheet_or_derivation: Sheet | Derivation, decimals: int = DEFAULT_DECIMALS) -> str:
    """Plain amsmath LaTeX without figures or symnn's macros, for notebooks (``_repr_latex_``)."""
    settings = LatexSettings(decimals, figures=False, standalone=False)
    if isinstance(sheet_or_derivation, Derivation):
        return render_derivation(sheet_or_derivation, sheet_or_derivation.id, settings)
    body = [render_derivation(d, i, settings) for i, d in enumerate(sheet_or_derivation.derivations, start=1)]
    return "\n\n".join([r"\section*{%s}" % escape(sheet_or_derivation.title), *body])
