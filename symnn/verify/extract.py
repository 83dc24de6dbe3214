"""Find the math spans of a Markdown, LaTeX or HTML document.

Every format is first *blanked*: code, comments, scripts, styles and HTML tags are
replaced by spaces of the same length (newlines kept), so a position in the blanked text
is the same position, and line, in the file.  Math is then found left to right, each
opener paired with its own closer, so a ``$`` inside ``\\[...\\]`` is never an opener.

- Markdown: ``$$...$$``, ``$...$`` (pandoc's rules: no space inside the dollars, no
  digit after the closing one, so "$5 and $10" is not math), ``\\[...\\]``, ``\\(...\\)``
  and math environments; fenced and inline code are skipped.
- LaTeX: the same delimiters after ``\\begin{document}`` (when present), with ``%``
  comments and verbatim skipped.
- HTML: MathJax's delimiters ``\\(...\\)``, ``\\[...\\]``, ``$$...$$`` and environments,
  plus ``<script type="math/tex">``; entities are decoded inside each span; script,
  style, pre, code, textarea and comments are skipped, as MathJax does.

>>> [s.text for s in find_math_spans("Sum: $1 + 1 = 2$, costs $5 and $10.", "markdown")]
['1 + 1 = 2']
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

Format = Literal["markdown", "latex", "html"]

_MATH_ENVIRONMENTS = (
    "equation|equation\\*|align|align\\*|alignat|alignat\\*|gather|gather\\*|multline|"
    "multline\\*|flalign|flalign\\*|eqnarray|eqnarray\\*|displaymath|math"
)
_EXTENSIONS: dict[str, Format] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".txt": "markdown",
    ".rmd": "markdown",
    ".qmd": "markdown",
    ".tex": "latex",
    ".latex": "latex",
    ".ltx": "latex",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
}
"""File extensions and the format they announce."""

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
_BLANK_LINE = re.compile(r"\n[ \t]*\n")

_FENCE = re.compile(
    r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]*\1[ \t]*$|\Z)", re.MULTILINE | re.DOTALL
)
_INLINE_CODE = re.compile(r"(`+)(?!`).+?(?<!`)\1", re.DOTALL)
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_TEX_COMMENT = re.compile(r"(?<!\\)%[^\n]*")
_VERBATIM = re.compile(
    r"\\begin\{(verbatim|lstlisting|minted)\*?\}.*?(?:\\end\{\1\*?\}|\Z)|\\verb(.).*?\2", re.DOTALL
)
_SKIPPED_ELEMENT = re.compile(
    r"<(script|style|pre|code|textarea|noscript)\b[^>]*>.*?(?:</\1\s*>|\Z)",
    re.DOTALL | re.IGNORECASE,
)
_MATH_SCRIPT = re.compile(
    r"<script\b[^>]*type\s*=\s*[\"']math/tex[^\"']*[\"'][^>]*>(.*?)</script\s*>",
    re.DOTALL | re.IGNORECASE,
)
_TAG = re.compile(r"<[A-Za-z/!?][^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*>", re.DOTALL)


@dataclass(frozen=True, slots=True)
class MathSpan:
    """The TeX between one pair of math delimiters."""

    text: str
    """The TeX inside the delimiters (HTML entities decoded)."""
    start: int
    """Offset of the TeX in the document."""
    line: int
    """Line (1-based) of the TeX's first character."""

    def line_at(self, offset: int) -> int:
        """The document line of a position inside :attr:`text`."""
        return self.line + self.text.count("\n", 0, offset)


def detect_format(name: str, text: str) -> Format:
    """The format a file announces by its extension, or else by its content.

    >>> detect_format("quiz.htm", "")
    'html'
    >>> detect_format("sheet", "\\\\documentclass{article}")
    'latex'
    """
    by_extension = _EXTENSIONS.get(PurePath(name).suffix.lower())
    if by_extension is not None:
        return by_extension
    head = text[:4096].lower()
    if "<!doctype html" in head or "<html" in head or "<body" in head:
        return "html"
    if "\\documentclass" in head or "\\begin{document}" in text:
        return "latex"
    return "markdown"


def find_math_spans(text: str, fmt: Format) -> list[MathSpan]:
    """Every math span of a document, in order of position."""
    blanked = _BLANKERS[fmt](text)
    newlines = [match.start() for match in re.finditer("\n", text)]
    decode: Callable[[str], str] = html.unescape if fmt == "html" else _identity
    spans = [
        MathSpan(decode(text[start:end]), start, bisect_right(newlines, start - 1) + 1)
        for start, end in _delimited(blanked, fmt)
    ]
    if fmt == "html":
        spans.extend(
            MathSpan(
                html.unescape(m.group(1)), m.start(1), bisect_right(newlines, m.start(1) - 1) + 1
            )
            for m in _MATH_SCRIPT.finditer(text)
        )
        spans.sort(key=lambda span: span.start)
    return spans


def _identity(text: str) -> str:
    return text


def _delimited(blanked: str, fmt: Format) -> list[tuple[int, int]]:
    """(start, end) of the content of each delimited span, left to right."""
    found: list[tuple[int, int]] = []
    opener = _OPENER[fmt]
    position = 0
    while True:
        match = opener.search(blanked, position)
        if match is None:
            return found
        span = _closer(blanked, match)
        if span is None:
            position = match.end()  # an opener without closer is text (e.g. a lone $)
            continue
        content_start, content_end, position = span
        if content_end > content_start:
            found.append((content_start, content_end))


def _closer(blanked: str, opener: re.Match[str]) -> tuple[int, int, int] | None:
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
        match = _inline_dollar_closer(blanked, opener.end())
    else:
        match = _CLOSERS[token].search(blanked, opener.end())
    return None if match is None else (opener.end(), match.start(), match.end())


def _inline_dollar_closer(blanked: str, start: int) -> re.Match[str] | None:
    """Pandoc's rule: ``$x$`` with no space just inside and no digit just after."""
    if start >= len(blanked) or blanked[start].isspace() or blanked[start] == "$":
        return None
    paragraph_end = _BLANK_LINE.search(blanked, start)
    limit = paragraph_end.start() if paragraph_end else len(blanked)
    return _INLINE_DOLLAR_CLOSER.search(blanked, start, limit)


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    def spaces(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group())

    return pattern.sub(spaces, text)


def _blank_markdown(text: str) -> str:
    for pattern in (_FENCE, _HTML_COMMENT, _INLINE_CODE):
        text = _blank(text, pattern)
    return text


def _blank_latex(text: str) -> str:
    text = _blank(_blank(text, _VERBATIM), _TEX_COMMENT)
    body = text.find("\\begin{document}")
    if body > 0:
        text = re.sub(r"[^\n]", " ", text[:body]) + text[body:]
    return text


def _blank_html(text: str) -> str:
    for pattern in (_HTML_COMMENT, _SKIPPED_ELEMENT, _TAG):
        text = _blank(text, pattern)
    return text


_BLANKERS: dict[Format, Callable[[str], str]] = {
    "markdown": _blank_markdown,
    "latex": _blank_latex,
    "html": _blank_html,
}
"""How each format hides what is not prose."""
