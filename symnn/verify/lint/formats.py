"""The formats lint reads, and each format's *blanking*: what is not prose made spaces.

Code, comments, scripts, styles and HTML tags are replaced by spaces of the same length
(newlines kept), so a position in the blanked text is the same position, and line, in
the file.  :mod:`symnn.verify.lint.extract` finds math in the blanked text, and the HTML
report (:mod:`symnn.verify.lint.html`) shows prose from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePath
from typing import Literal

Format = Literal["markdown", "latex", "html", "text"]
"""The document formats lint reads (``text``: plain-text arithmetic, no math delimiters)."""

InputFormat = Literal["markdown", "latex", "html", "text", "notebook"]
"""What a file may be: a document format, or a Jupyter notebook (its Markdown cells)."""

INPUT_FORMATS: tuple[InputFormat, ...] = ("markdown", "latex", "html", "text", "notebook")
"""Every input format, in the order the command line lists them."""

_EXTENSIONS: dict[str, Format] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
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

_DELIMITED_MATH = re.compile(r"\$|\\\(|\\\[|\\begin\{")
"""A sign that a ``.txt`` file writes its math in TeX delimiters (else it is plain text)."""

_FENCE = re.compile(
    r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]*\1[ \t]*$|\Z)", re.MULTILINE | re.DOTALL
)
_INLINE_CODE = re.compile(r"(`+)(?!`).+?(?<!`)\1", re.DOTALL)
HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_TEX_COMMENT = re.compile(r"(?<!\\)%[^\n]*")
_VERBATIM = re.compile(
    r"\\begin\{(verbatim|lstlisting|minted)\*?\}.*?(?:\\end\{\1\*?\}|\Z)|\\verb(.).*?\2", re.DOTALL
)
SKIPPED_ELEMENT = re.compile(
    r"<(script|style|pre|code|textarea|noscript)\b[^>]*>.*?(?:</\1\s*>|\Z)",
    re.DOTALL | re.IGNORECASE,
)
_TAG = re.compile(r"<[A-Za-z/!?][^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*>", re.DOTALL)
_MATH_ELEMENT = re.compile(r"<math\b[^>]*>.*?(?:</math\s*>|\Z)", re.DOTALL | re.IGNORECASE)


def detect_format(name: str, text: str) -> InputFormat:
    """The format a file announces by its extension, or else by its content.

    A ``.ipynb`` file is a notebook; a ``.txt`` file is Markdown when it writes math in
    TeX delimiters (``$``, ``\\(``, ``\\[``, ``\\begin{``) and plain text otherwise.

    >>> detect_format("quiz.htm", "")
    'html'
    >>> detect_format("sheet", "\\\\documentclass{article}")
    'latex'
    >>> detect_format("answers.txt", "net_h1 = 0.15*0.05 + 0.2*0.1 + 0.35 = 0.3775")
    'text'
    """
    suffix = PurePath(name).suffix.lower()
    if suffix == ".ipynb":
        return "notebook"
    if suffix == ".txt":
        return "markdown" if _DELIMITED_MATH.search(text) else "text"
    by_extension = _EXTENSIONS.get(suffix)
    if by_extension is not None:
        return by_extension
    head = text[:4096].lower()
    if "<!doctype html" in head or "<html" in head or "<body" in head:
        return "html"
    if "\\documentclass" in head or "\\begin{document}" in text:
        return "latex"
    return "markdown"


def visible_text(text: str, fmt: Format) -> str:
    """The document with what is not prose (code, comments, tags) made spaces, newlines kept.

    >>> visible_text("<p>a &amp; b</p>", "html")
    '   a &amp; b    '
    """
    return _BLANKERS[fmt](text)


def spaces(text: str) -> str:
    """``text`` with every character but a newline made a space."""
    return re.sub(r"[^\n]", " ", text)


def blank_ranges(text: str, ranges: list[tuple[int, int]]) -> str:
    """``text`` with each of the (start, end) ranges, in order and apart, made spaces."""
    pieces, position = [], 0
    for start, end in ranges:
        pieces += [text[position:start], spaces(text[start:end])]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def blank(text: str, pattern: re.Pattern[str]) -> str:
    """``text`` with every match of ``pattern`` made spaces (newlines kept)."""

    def spaced(match: re.Match[str]) -> str:
        return spaces(match.group())

    return pattern.sub(spaced, text)


def _blank_markdown(text: str) -> str:
    for pattern in (_FENCE, HTML_COMMENT, _INLINE_CODE):
        text = blank(text, pattern)
    return text


def _blank_latex(text: str) -> str:
    text = blank(blank(text, _VERBATIM), _TEX_COMMENT)
    body = text.find("\\begin{document}")
    if body > 0:
        text = spaces(text[:body]) + text[body:]
    return text


def _blank_html(text: str) -> str:
    for pattern in (HTML_COMMENT, SKIPPED_ELEMENT, _MATH_ELEMENT, _TAG):
        text = blank(text, pattern)
    return text


def _blank_text(text: str) -> str:
    return text


_BLANKERS: dict[Format, Callable[[str], str]] = {
    "markdown": _blank_markdown,
    "latex": _blank_latex,
    "html": _blank_html,
    "text": _blank_text,
}
"""How each format hides what is not prose."""
