"""Find the math spans of a Markdown, LaTeX or HTML document.

Every format is first *blanked*: code, comments, scripts, styles and HTML tags are
replaced by spaces of the same length (newlines kept), so a position in the blanked text
is the same position, and line, in the file.  Math is then found left to right, each
opener paired with its own closer, so a ``$`` inside ``\\[...\\]`` is never an opener.

- Markdown: ``$$...$$``, ``$...$``, ``\\[...\\]``, ``\\(...\\)`` and math environments;
  fenced and inline code are skipped.  Inline ``$...$`` follows pandoc's rules (no space
  just inside the dollars, no digit after the closing one, so "$5 and $10" is not math),
  and also MathJax's: ``$ 0.15 \\times 0.05 = 0.0075 $`` with spaces inside is math when
  it holds a relation sign or a TeX command and is closed within its paragraph by a
  ``$`` not followed by a digit.
- LaTeX: the same delimiters after ``\\begin{document}`` (when present), with ``%``
  comments and verbatim skipped; and the display macros of symnn's own documents
  (:data:`SYMNN_DISPLAYS`), whose ``\\SymnnFit{x}`` reads as the plain group ``{x}``.
- Plain text: arithmetic with no delimiters (``net_h1 = 0.15*0.05 + 0.35 = 0.3575``),
  read by :mod:`symnn.verify.lint.plain` and written as TeX.
- HTML: MathJax's delimiters ``\\(...\\)``, ``\\[...\\]``, ``$$...$$`` and environments,
  plus ``<script type="math/tex">`` and the TeX source a MathML formula carries in
  ``<annotation encoding="application/x-tex">``; entities are decoded inside each span;
  script, style, pre, code, textarea, comments and MathML's presentation markup are
  skipped, as MathJax does.

A span that opens with a relation sign and follows the span before it with nothing but
white space (or markup) between continues that span's chain: ``$$a = b$$ $$= c$$`` is
the chain ``a = b = c``, and so is a MathML page that sets each link of a chain as a
formula of its own so that the links wrap separately.

>>> [s.text for s in find_math_spans("Sum: $1 + 1 = 2$, costs $5 and $10.", "markdown")]
['1 + 1 = 2']
>>> [s.text for s in find_math_spans("$$a = 1$$ $$= 1.0$$", "markdown")]
['a = 1 = 1.0']
>>> [s.text for s in find_math_spans("\\\\SymnnChain{x}{= \\\\SymnnFit{1}}{\\\\SymnnLink{=}{1}}", "latex")]
['x  =          {1}']
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from symnn.verify.lint.formats import (
    HTML_COMMENT,
    SKIPPED_ELEMENT,
    Format,
    blank,
    blank_ranges,
    visible_text,
)

__all__ = ["SYMNN_DISPLAYS", "MathSpan", "find_math_spans"]

_MATH_ENVIRONMENTS = (
    "equation|equation\\*|align|align\\*|alignat|alignat\\*|gather|gather\\*|multline|"
    "multline\\*|flalign|flalign\\*|eqnarray|eqnarray\\*|displaymath|math"
)

_OPENER = {
    "markdown": re.compile(r"(?<!\\)(\$\$|\$|\\\[|\\\(|\\begin\{(" + _MATH_ENVIRONMENTS + r")\})"),
    "latex": re.compile(r"(?<!\\)(\$\$|\$|\\\[|\\\(|\\begin\{(" + _MATH_ENVIRONMENTS + r")\})"),
    "html": re.compile(r"(?<!\\)(\$\$|\\\[|\\\(|\\begin\{(" + _MATH_ENVIRONMENTS + r")\})"),
}
_CLOSERS = {
    "$$": re.compile(r"(?<!\\)\$\$"),
    "\\[": re.compile(r"\\\]"),
    "\\(": re.compile(r"\\\)"),
}
_INLINE_DOLLAR_CLOSER = re.compile(r"(?<![\\\s])\$(?!\d)")
_SPACED_DOLLAR_CLOSER = re.compile(r"(?<!\\)\$(?!\d)")
_MATH_INSIDE = re.compile(r"\\[A-Za-z]|[=<>≈≤≥≠^_]")
"""What makes a ``$ ... $`` with spaces inside math rather than two amounts of money."""
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_ENDS_WITH_NUMBER = re.compile(
    r"(?:=|\\approx)\s*(?:[-−]?\s*\d+(?:\.\d+)?|\\begin\{bmatrix\}[-−\d.\s&]*\\end\{bmatrix\})\s*$"
)
"""A chain whose last side is a written number (or a row of them): a finished result."""

_MATH_SCRIPT = re.compile(
    r"<script\b[^>]*type\s*=\s*[\"']math/tex[^\"']*[\"'][^>]*>(.*?)</script\s*>",
    re.DOTALL | re.IGNORECASE,
)
_TEX_ANNOTATION = re.compile(
    r"<annotation\b[^>]*\bencoding\s*=\s*[\"']"
    r"(?:application/x-tex|text/x-tex|application/x-latex|tex|latex)[\"'][^>]*>"
    r"(.*?)</annotation\s*>",
    re.DOTALL | re.IGNORECASE,
)
_BRACE = re.compile(r"\\.|[{}]", re.DOTALL)
_LEADING_RELATION = re.compile(r"\s*(?:\{\}\s*)?(\\[A-Za-z]+|[=<>≈≠≤≥≃])")

SYMNN_DISPLAYS: dict[str, tuple[int, int]] = {
    "SymnnChain": (3, 2),
    "SymnnDisplay": (1, 1),
}
"""symnn's own LaTeX display macros: (arguments taken, how many of the first are the math).

``\\SymnnChain{lhs}{rest}{links}`` displays ``lhs rest``; its third argument repeats
``rest`` as ``\\SymnnLink`` items for TeX's line breaking and is not read again.
``\\SymnnDisplay{x}`` displays ``x``.
"""

_SYMNN_DISPLAY = re.compile(r"\\(" + "|".join(SYMNN_DISPLAYS) + r")(?![A-Za-z])")
_SYMNN_GROUP = re.compile(r"\\SymnnFit(?![A-Za-z])")
"""symnn's macro that only sizes its argument: ``\\SymnnFit{x}`` reads as the group ``{x}``."""


@dataclass(frozen=True, slots=True)
class MathSpan:
    """The TeX of one piece of math: between delimiters, in a macro or in an annotation."""

    text: str
    """The TeX (HTML entities decoded; a continued chain's pieces joined by white space)."""
    start: int
    """Offset of the TeX in the document."""
    line: int
    """Line (1-based) of the TeX's first character."""
    extent: tuple[int, int]
    """Where the span lies in the document, delimiters included (a continued chain's
    extent runs from its first piece's opener to its last piece's closer)."""

    def line_at(self, offset: int) -> int:
        """The document line of a position inside :attr:`text`."""
        return self.line + self.text.count("\n", 0, offset)


@dataclass(frozen=True, slots=True)
class _Found:
    """A span as found, before continued chains are joined."""

    text: str
    """The TeX (entities decoded); its newlines are the document's."""
    start: int
    """Offset of the TeX in the document."""
    end: int
    """Offset just after the TeX in the document."""
    outer_start: int
    """Offset of the span's opening delimiter (or of the TeX, when markup surrounds it)."""
    outer_end: int
    """Offset just after the span's closing delimiter."""


def find_math_spans(text: str, fmt: Format) -> list[MathSpan]:
    """Every math span of a document, in order of position.

    >>> [s.extent for s in find_math_spans("Sum: $1 + 1 = 2$ and $$a = 1$$ $$= 1.0$$", "markdown")]
    [(5, 16), (21, 40)]
    """
    newlines = [match.start() for match in re.finditer("\n", text)]
    return [
        MathSpan(
            f.text, f.start, bisect_right(newlines, f.start - 1) + 1, (f.outer_start, f.outer_end)
        )
        for f in _found(text, fmt)
    ]


def _found(text: str, fmt: Format) -> list[_Found]:
    """The spans of a document as found, continued chains joined."""
    blanked = visible_text(text, fmt)
    return _continued_chains_joined(_FINDERS[fmt](text, blanked), text, blanked, fmt == "text")


# ----- finders, one per format ---------------------------------------------------------------
def _find_markdown(text: str, blanked: str) -> list[_Found]:
    return _delimited(text, blanked, "markdown", _identity)


def _find_latex(text: str, blanked: str) -> list[_Found]:
    """Delimited spans and symnn's display macros; ``\\SymnnFit`` is read as a plain group.

    The TeX is read from the blanked text, so a ``%`` comment inside math is no part of it.
    """
    source = blank(blanked, _SYMNN_GROUP)
    macros = _symnn_displays(source, blanked)
    # Nothing inside a macro call is read again (its last argument repeats its math).
    blanked = blank_ranges(blanked, [(span.outer_start, span.outer_end) for span in macros])
    return sorted([*macros, *_delimited(source, blanked, "latex", _identity)], key=_position)


def _find_html(text: str, blanked: str) -> list[_Found]:
    """MathJax's delimited spans, ``math/tex`` scripts and MathML's TeX annotations."""
    uncommented = blank(text, HTML_COMMENT)
    visible = blank(uncommented, SKIPPED_ELEMENT)
    found = _delimited(text, blanked, "html", html.unescape)
    found += _elements(text, uncommented, _MATH_SCRIPT)
    found += _elements(text, visible, _TEX_ANNOTATION)
    return sorted(found, key=_position)


def _elements(text: str, searched: str, pattern: re.Pattern[str]) -> list[_Found]:
    """The decoded content of each element ``pattern`` finds in ``searched`` (``text`` blanked)."""
    return [
        _Found(html.unescape(text[m.start(1) : m.end(1)]), *m.span(1), *m.span(1))
        for m in pattern.finditer(searched)
    ]


def _position(span: _Found) -> int:
    return span.start


def _identity(text: str) -> str:
    return text


# ----- delimiters ----------------------------------------------------------------------------
def _delimited(
    source: str, blanked: str, fmt: Format, decode: Callable[[str], str]
) -> list[_Found]:
    """Each delimited span, left to right, its TeX read from ``source``."""
    found: list[_Found] = []
    opener = _OPENER[fmt]
    position = 0
    paragraphs = _Paragraphs(blanked)
    while True:
        match = opener.search(blanked, position)
        if match is None:
            return found
        span = _closer(blanked, match, paragraphs)
        if span is None:
            position = match.end()  # an opener without closer is text (e.g. a lone $)
            continue
        content_start, content_end, position = span
        if content_end > content_start:
            found.append(
                _Found(
                    decode(source[content_start:content_end]),
                    content_start,
                    content_end,
                    match.start(),
                    position,
                )
            )


def _closer(
    blanked: str, opener: re.Match[str], paragraphs: _Paragraphs | None = None
) -> tuple[int, int, int] | None:
    """(content start, content end, where to resume) for an opener, or None if unclosed.

    An environment's content keeps its \\begin and \\end, which the relation splitter
    reads as layout (its rows are equations).
    """
    token, environment = opener.group(1), opener.group(2)
    if environment is not None:
        end_tag = f"\\end{{{environment}}}"
        end = blanked.find(end_tag, opener.end())
        return None if end < 0 else (opener.start(), end + len(end_tag), end + len(end_tag))
    if token == "$":
        match = _inline_dollar_closer(blanked, opener.end(), paragraphs)
    else:
        match = _CLOSERS[token].search(blanked, opener.end())
    return None if match is None else (opener.end(), match.start(), match.end())


class _Paragraphs:
    """Where each paragraph of a document ends, and where no ``$`` can close any more:
    found once per document, so a page of many ``$`` costs linear time."""

    __slots__ = ("closer_free", "ends")

    def __init__(self, blanked: str) -> None:
        self.ends = [m.start() for m in _BLANK_LINE.finditer(blanked)] + [len(blanked)]
        self.closer_free: tuple[int, int] = (-1, -1)
        """(from, to): no ``$`` that may close lies in that range."""

    def end_after(self, position: int) -> int:
        return self.ends[bisect_right(self.ends, position)] if position < self.ends[-1] else self.ends[-1]


def _inline_dollar_closer(
    blanked: str, start: int, paragraphs: _Paragraphs | None = None
) -> re.Match[str] | None:
    """Pandoc's rule: ``$x$`` with no space just inside and no digit just after; or
    MathJax's: ``$ x = 1 $`` with spaces inside, when what it holds is visibly math."""
    if start >= len(blanked) or blanked[start] == "$":
        return None
    paragraphs = paragraphs or _Paragraphs(blanked)
    low, high = paragraphs.closer_free
    if low <= start and start < high:
        return None  # no closer between here and the end of the paragraph
    limit = paragraphs.end_after(start - 1)
    match = _SPACED_DOLLAR_CLOSER.search(blanked, start, limit)
    if match is None:
        paragraphs.closer_free = (start, limit)
        return None
    pandoc = not blanked[start].isspace() and not blanked[match.start() - 1].isspace()
    if pandoc or _MATH_INSIDE.search(blanked, start, match.start()):
        return match
    return None


# ----- symnn's LaTeX macros ------------------------------------------------------------------
def _symnn_displays(source: str, blanked: str) -> list[_Found]:
    """The math of each of symnn's display macros (:data:`SYMNN_DISPLAYS`).

    The math arguments are read as one span: the braces between them become spaces, so
    every character keeps its offset and line.  A call whose arguments are not all
    there is left alone (it is text).
    """
    if _SYMNN_DISPLAY.search(blanked) is None:
        return []
    closing = _brace_pairs(blanked)
    found: list[_Found] = []
    for match in _SYMNN_DISPLAY.finditer(blanked):
        if found and match.start() < found[-1].outer_end:
            continue  # inside the arguments of the call before
        taken, math = SYMNN_DISPLAYS[match.group(1)]
        arguments = _braced_arguments(blanked, match.end(), taken, closing)
        if arguments is None:
            continue
        start, end = arguments[0][0] + 1, arguments[math - 1][1]
        between = [
            (close - start, opening + 1 - start)
            for (_, close), (opening, _) in pairwise(arguments[:math])
        ]
        text = blank_ranges(source[start:end], between)
        found.append(_Found(text, start, end, match.start(), arguments[-1][1] + 1))
    return found


def _braced_arguments(
    text: str, position: int, count: int, closing: dict[int, int]
) -> list[tuple[int, int]] | None:
    """(opening, closing) brace offsets of ``count`` braced arguments from ``position``."""
    arguments = []
    for _ in range(count):
        while position < len(text) and text[position].isspace():
            position += 1
        if position not in closing:
            return None
        arguments.append((position, closing[position]))
        position = closing[position] + 1
    return arguments


def _brace_pairs(text: str) -> dict[int, int]:
    """The offset of the ``}`` closing each balanced ``{`` (``\\{`` and ``\\}`` are characters).

    One pass over the whole text, so that many unclosed calls cost no more than one.
    """
    pairs: dict[int, int] = {}
    open_braces: list[int] = []
    for match in _BRACE.finditer(text):
        if match.group() == "{":
            open_braces.append(match.start())
        elif match.group() == "}" and open_braces:
            pairs[open_braces.pop()] = match.start()
    return pairs


# ----- chains continued in a following span --------------------------------------------------
def _continued_chains_joined(
    found: list[_Found], text: str, blanked: str, lines_only: bool = False
) -> list[_Found]:
    """Join each span that opens with a relation to the span just before it.

    Only when nothing but white space or markup lies between the two (in plain text,
    ``lines_only``, no blank line either); the TeX is joined by a space and the newlines
    between them, so lines stay right.
    """
    groups: list[list[_Found]] = []
    for span in found:
        if (
            groups
            and _continues(groups[-1][-1], span, blanked)
            and not (lines_only and _ends_line_chain(groups[-1][-1], span, blanked))
        ):
            groups[-1].append(span)
        else:
            groups.append([span])
    return [_joined(group, text) for group in groups]


def _ends_line_chain(previous: _Found, span: _Found, blanked: str) -> bool:
    """In plain text a chain ends at a blank line, or where its last side is a number:
    ``= 0.5944`` under ``= 0.3825`` is the next quantity, not a link ``0.3825 = 0.5944``."""
    return bool(
        _BLANK_LINE.search(blanked, previous.outer_end, span.outer_start)
        or _ENDS_WITH_NUMBER.search(previous.text)
    )


def _continues(previous: _Found, span: _Found, blanked: str) -> bool:
    return (
        previous.outer_end <= span.outer_start
        and _opens_with_relation(span.text)
        and not blanked[previous.outer_end : span.outer_start].strip()
    )


def _joined(group: list[_Found], text: str) -> _Found:
    """One span of a chain's pieces, joined by a space and the newlines between them."""
    first, last = group[0], group[-1]
    if first is last:
        return first
    pieces = [first.text]
    for before, after in pairwise(group):
        pieces += [" " + "\n" * text.count("\n", before.end, after.start), after.text]
    return _Found("".join(pieces), first.start, last.end, first.outer_start, last.outer_end)


def _opens_with_relation(tex: str) -> bool:
    """Whether the TeX starts with a relation sign that lint judges (``= 2``, ``\\approx 0.5``)."""
    from symnn.verify.lint.relations import CHECKED_RELATIONS, RELATIONS

    match = _LEADING_RELATION.match(tex)
    return match is not None and RELATIONS.get(match.group(1)) in CHECKED_RELATIONS


# ----- blanking ------------------------------------------------------------------------------

def _find_text(text: str, blanked: str) -> list[_Found]:
    """Plain-text arithmetic, each chain written as TeX (:mod:`symnn.verify.lint.plain`)."""
    from symnn.verify.lint.plain import plain_chains

    return [_Found(tex, start, end, start, end) for tex, start, end in plain_chains(text)]


_FINDERS: dict[Format, Callable[[str, str], list[_Found]]] = {
    "markdown": _find_markdown,
    "latex": _find_latex,
    "html": _find_html,
    "text": _find_text,
}
"""How each format's spans are found, given the document and its blanked text."""
