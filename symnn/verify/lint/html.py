"""``symnn lint SHEET --format html``: the sheet's math rendered, each checked link marked.

The page shows the document in reading order: its headings, and every paragraph that
holds a judged link, with the paragraph's prose as text and each math span as MathML
(display or inline, as in the source; the TeX in ``<code>`` when latex2mathml cannot
read it).  Under each paragraph, every link is listed with its verdict, as a colour *and*
a symbol (✓ ok, ≈ rounding, ✗ error, ? not checked) so that it reads in black and white,
with the finding's one-sentence message next to rounding slips and errors.

The page is built as an element tree with the helpers and the style sheet of
:mod:`symnn.sheets.render.html`: self-contained, no JavaScript, nothing fetched, deterministic.

>>> from symnn.verify.lint.report import lint_text
>>> text = "# Sums\\n\\nFirst $1 + 1 = 2$, then $$2 + 2 = 5$$\\n"
>>> page = to_html_report(lint_text(text, "markdown", "sums.md"), text, "markdown")
>>> page.count('class="mark error"'), page.count('class="mark ok"'), "<script" in page
(1, 1, False)
"""

from __future__ import annotations

import html as html_text
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from xml.etree.ElementTree import Element, SubElement

from symnn.errors import SymnnError
from symnn.sheets.render.html import PAGE_STYLE, STYLE, add_text, mathml, serialise
from symnn.verify.lint.extract import find_math_spans
from symnn.verify.lint.formats import Format, visible_text
from symnn.verify.lint.relations import split_relations
from symnn.verify.lint.report import Finding, LintReport

SYMBOLS: dict[str, str] = {"ok": "✓", "rounding": "≈", "error": "✗", "not checked": "?"}
"""The symbol of each verdict, so that a mark reads without colour."""

EXPLAINED = frozenset({"rounding", "error"})
"""Verdicts whose message is printed next to the link."""

LINT_STYLE = """
.symnn .summary { display: flex; flex-wrap: wrap; gap: .4rem; margin: .8rem 0 1.4rem; padding: 0; }
.symnn .badge { border-radius: 1rem; padding: .1rem .7rem; font: 600 .9rem/1.6 system-ui, sans-serif;
  border: 1px solid currentColor; }
.symnn .block { margin: 1rem 0; padding: .2rem 0 .2rem .8rem; border-left: 3px solid #ddd; }
.symnn .block.has-error { border-left-color: #b3261e; }
.symnn .block.has-rounding { border-left-color: #9a6700; }
.symnn .source { margin: .3rem 0; overflow-x: auto; }
.symnn .source math[display="block"] { margin: .5rem 0; }
.symnn .lineno { font: .8rem system-ui, sans-serif; color: #777; margin-right: .6em; text-decoration: none; }
.symnn .marks { list-style: none; margin: .2rem 0; padding: 0; font-size: .95em; }
.symnn .mark { margin: .15rem 0; overflow-x: auto; }
.symnn .symbol { display: inline-block; width: 1.4em; text-align: center; font-weight: bold;
  font-family: system-ui, sans-serif; }
.symnn .verdict { font: 600 .8rem system-ui, sans-serif; margin-right: .6em; }
.symnn .message { display: block; margin-left: 1.4em; font-size: .92em; }
.symnn code.tex { background: #f3f3f3; padding: 0 .2em; }
.symnn .ok { color: #1a7f37; }
.symnn .rounding { color: #9a6700; }
.symnn .error { color: #b3261e; }
.symnn .not-checked { color: #666; }
.symnn .mark math, .symnn .mark .message { color: #1b1b1b; }
@media print { .symnn .block { break-inside: avoid; } }
"""
"""Rules for the report's badges and marks, added to :data:`symnn.sheets.render.html.STYLE`."""

_BLOCK_BREAK: dict[Format, re.Pattern[str]] = {
    "markdown": re.compile(r"\n[ \t]*\n"),
    "text": re.compile(r"\n[ \t]*\n"),
    "latex": re.compile(r"\n[ \t]*\n"),
    "html": re.compile(
        r"\n[ \t]*\n|<(?:/?(?:p|div|li|ul|ol|dl|dt|dd|h[1-6]|section|article|header|footer|main|"
        r"nav|aside|table|thead|tbody|tr|td|th|blockquote|figure|body)\b[^>]*|br\s*/?|hr\s*/?)>",
        re.IGNORECASE,
    ),
}
"""What ends a paragraph in each format."""

_DISPLAY_OPENERS = ("$$", "\\[", "\\begin", "\\Symnn")
_MATH_TAG = re.compile(r"<math\b[^>]*>", re.IGNORECASE)
_BLOCK_MATH = re.compile(r"""display\s*=\s*["']block["']""", re.IGNORECASE)
_WHITE = re.compile(r"\s+")
_HTML_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class MarkedSpan:
    """One math span of the document and the findings on its links."""

    tex: str
    """The span's TeX (a continued chain's pieces joined)."""
    start: int
    """Offset of the span's opening delimiter in the document."""
    end: int
    """Offset just after its closing delimiter."""
    display: bool
    """Whether the source sets it as a display."""
    findings: tuple[Finding, ...]
    """The findings on its links, in order (none when it holds no relation)."""


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph of the document that holds math."""

    start: int
    """Offset of its first character."""
    end: int
    """Offset just after its last character."""
    line: int
    """Line (1-based) of its first math span."""
    spans: tuple[MarkedSpan, ...]
    """Its math spans, in order."""


@dataclass(frozen=True, slots=True)
class HeadingAt:
    """A heading of the document."""

    start: int
    """Its offset."""
    text: str
    """Its text."""


# ----- reading the document ------------------------------------------------------------------
def marked_spans(report: LintReport, source_text: str, fmt: Format) -> list[MarkedSpan]:
    """Every math span of the source with the report's findings on its links.

    The report must be the one :func:`~symnn.verify.lint.report.lint_text` made of this text;
    any other is a :class:`~symnn.errors.SymnnError`.
    """
    spans = find_math_spans(source_text, fmt)
    remaining = list(report.findings)
    marked = []
    for span in spans:
        start, end = span.extent
        count = len(split_relations(span.text))
        if count > len(remaining):
            break
        taken, remaining = remaining[:count], remaining[count:]
        display = _is_display(source_text, start, fmt)
        marked.append(MarkedSpan(span.text, start, end, display, tuple(taken)))
    if remaining or len(marked) != len(spans):
        raise SymnnError(
            f"{report.source}: the lint report does not belong to this text "
            f"({len(report.findings)} findings)"
        )
    return marked


def _is_display(text: str, start: int, fmt: Format) -> bool:
    """Display delimiters, an environment, symnn's display macros, or ``<math display="block">``."""
    if text.startswith(_DISPLAY_OPENERS, start):
        return True
    if fmt != "html":
        return False
    opening = text.rfind("<math", 0, start)
    if opening < 0 or text.find("</math", opening, start) >= 0:
        return False
    tag = _MATH_TAG.match(text, opening)
    return tag is not None and (_BLOCK_MATH.search(tag.group()) is not None)


def blocks(spans: list[MarkedSpan], source_text: str, fmt: Format) -> list[Block]:
    """The spans grouped by paragraph: each paragraph reaches out to the breaks around its math."""
    breaks = [(m.start(), m.end()) for m in _BLOCK_BREAK[fmt].finditer(source_text)]
    break_starts = [b[0] for b in breaks]
    break_ends = [b[1] for b in breaks]  # matches never overlap, so these are sorted too
    newlines = [m.start() for m in re.finditer("\n", source_text)]
    grouped: list[Block] = []
    for span in spans:
        last_before = bisect_right(break_ends, span.start) - 1
        start = break_ends[last_before] if last_before >= 0 else 0
        first_after = bisect_left(break_starts, span.end)
        end = break_starts[first_after] if first_after < len(breaks) else len(source_text)
        if grouped and start < grouped[-1].end:
            last = grouped[-1]
            grouped[-1] = Block(last.start, max(end, last.end), last.line, (*last.spans, span))
        else:
            line = bisect_right(newlines, span.start - 1) + 1
            grouped.append(Block(start, end, line, (span,)))
    return grouped


_ATX_HEADING = re.compile(r"^[ ]{0,3}#{1,6}[ \t]+([^\n]+)$", re.MULTILINE)
_TITLE_LINE = re.compile(
    r"(?:\A|\n[ \t]*\n)[ \t]*([A-Z][^\n$\\`*|<>]{0,78}[^\n$\\`*|<>.:,;!?])[ \t]*(?=\n[ \t]*\n|\n?\Z)"
)
"""A title written as a plain line: a paragraph of one short line, capitalised, no math,
no closing punctuation (``Exercise 1: Forward Pass``), as sheets pasted from a chat are."""


def _markdown_headings(text: str, visible: str) -> list[HeadingAt]:
    found = [
        HeadingAt(m.start(), m.group(1).strip().rstrip("#").strip())
        for m in _ATX_HEADING.finditer(visible)
    ]
    found += [HeadingAt(m.start(1), m.group(1).strip()) for m in _TITLE_LINE.finditer(visible)]
    return sorted(found, key=lambda heading: heading.start)


def _latex_headings(text: str, visible: str) -> list[HeadingAt]:
    pattern = r"\\(?:part|chapter|section|subsection|subsubsection)\*?\s*\{([^{}\n]*)\}"
    return [HeadingAt(m.start(), m.group(1).strip()) for m in re.finditer(pattern, visible)]


def _html_headings(text: str, visible: str) -> list[HeadingAt]:
    pattern = re.compile(r"<h[1-6]\b[^>]*>(.*?)</h[1-6]\s*>", re.IGNORECASE | re.DOTALL)
    return [
        HeadingAt(m.start(), _flat(html_text.unescape(_HTML_TAG.sub(" ", m.group(1)))))
        for m in pattern.finditer(text)
    ]


_HEADINGS: dict[Format, Callable[[str, str], list[HeadingAt]]] = {
    "markdown": _markdown_headings,
    "text": _markdown_headings,
    "latex": _latex_headings,
    "html": _html_headings,
}
"""How each format's headings are found, given the document and its visible text."""


def _prose_markdown(text: str, visible: str, start: int, end: int) -> str:
    return text[start:end]


def _prose_latex(text: str, visible: str, start: int, end: int) -> str:
    return visible[start:end]


def _prose_html(text: str, visible: str, start: int, end: int) -> str:
    return html_text.unescape(visible[start:end])


_PROSE: dict[Format, Callable[[str, str, int, int], str]] = {
    "markdown": _prose_markdown,
    "text": _prose_markdown,
    "latex": _prose_latex,
    "html": _prose_html,
}
"""The prose between two math spans: Markdown as written; LaTeX and HTML without markup."""


def _flat(text: str) -> str:
    return _WHITE.sub(" ", text)


# ----- building the page ---------------------------------------------------------------------
def formula(tex: str, display: bool) -> Element:
    """The MathML of a formula, or its TeX in ``<code class="tex">`` when latex2mathml fails.

    >>> serialise(formula("\\\\frac{1}{", False))
    '<code class="tex">\\\\frac{1}{</code>'
    """
    try:
        element = mathml(tex, display)
    # latex2mathml raises its own exception classes and assorted built-ins on TeX it
    # cannot read; any of them costs only this formula, which is shown as source instead.
    except Exception:  # noqa: BLE001
        code = Element("code", {"class": "tex"})
        code.text = tex
        return code
    if display:
        element.set("display", "block")
    return element


def _css_class(verdict: str) -> str:
    return verdict.replace(" ", "-")


def summary_badges(report: LintReport, parent: Element) -> None:
    """One coloured badge per verdict, with its count and symbol."""
    listing = SubElement(parent, "p", {"class": "summary"})
    SubElement(listing, "span", {"class": "badge"}).text = f"{len(report.findings)} links"
    for verdict, count in report.summary.items():
        badge = SubElement(listing, "span", {"class": f"badge {_css_class(verdict)}"})
        badge.text = f"{SYMBOLS[verdict]} {count} {verdict}"


def mark(finding: Finding, parent: Element) -> None:
    """One link with its verdict: symbol, word, the link as MathML, and the message if it explains a problem."""
    item = SubElement(parent, "li", {"class": f"mark {_css_class(finding.verdict)}"})
    SubElement(item, "span", {"class": "symbol", "aria-hidden": "true"}).text = SYMBOLS[
        finding.verdict
    ]
    SubElement(item, "span", {"class": "verdict"}).text = finding.verdict
    item.append(formula(finding.text, False))
    if finding.verdict in EXPLAINED:
        SubElement(item, "span", {"class": "message"}).text = finding.message


def render_block(
    block: Block, text: str, visible: str, fmt: Format, parent: Element, anchor: str
) -> None:
    """A paragraph: its prose and math as in the source, then its marked links."""
    verdicts = {f.verdict for span in block.spans for f in span.findings}
    classes = " ".join(["block", *(f"has-{v}" for v in ("error", "rounding") if v in verdicts)])
    section = SubElement(parent, "section", {"class": classes, "id": anchor})
    source = SubElement(section, "div", {"class": "source"})
    SubElement(source, "a", {"class": "lineno", "href": f"#{anchor}"}).text = f"line {block.line}"
    position = block.start
    for span in block.spans:
        add_text(source, _flat(_PROSE[fmt](text, visible, position, span.start)))
        source.append(formula(span.tex, span.display))
        position = span.end
    add_text(source, _flat(_PROSE[fmt](text, visible, position, block.end)).rstrip())
    marks = SubElement(section, "ul", {"class": "marks"})
    for span in block.spans:
        for finding in span.findings:
            mark(finding, marks)


def _shown(block: Block, problems_only: bool) -> bool:
    findings = [f for span in block.spans for f in span.findings]
    if problems_only:
        return any(f.verdict in EXPLAINED for f in findings)
    return bool(findings)


def to_html_report(
    report: LintReport, source_text: str, fmt: Format, problems_only: bool = False
) -> str:
    """The lint report as one self-contained HTML5 page (see the module's docstring).

    Headings and every paragraph with a judged link are shown (only those with a
    rounding slip or an error when ``problems_only``); the summary counts every link.
    """
    root = report_element(report, source_text, fmt, problems_only)
    title = f"{PurePath(report.source).name} — symnn lint"
    page = Element("html", {"lang": "en"})
    head = SubElement(page, "head")
    SubElement(head, "meta", {"charset": "utf-8"})
    SubElement(head, "meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"})
    SubElement(head, "meta", {"name": "generator", "content": "symnn lint"})
    SubElement(head, "title").text = title
    SubElement(head, "style").text = PAGE_STYLE + STYLE + LINT_STYLE
    SubElement(page, "body").append(root)
    return "<!DOCTYPE html>\n" + serialise(page) + "\n"


def to_html_fragment(
    report: LintReport, source_text: str, fmt: Format, problems_only: bool = False
) -> str:
    """The report as one ``<div>`` with its own style sheet, for a notebook's output cell."""
    root = report_element(report, source_text, fmt, problems_only)
    wrapper = Element("div", {"class": "symnn-lint-report"})
    SubElement(wrapper, "style").text = STYLE + LINT_STYLE
    wrapper.append(root)
    return serialise(wrapper)


def report_element(
    report: LintReport, source_text: str, fmt: Format, problems_only: bool = False
) -> Element:
    """The report's ``<div class="symnn lint">``: header, summary and marked paragraphs."""
    visible = visible_text(source_text, fmt)
    paragraphs = [
        b
        for b in blocks(marked_spans(report, source_text, fmt), source_text, fmt)
        if _shown(b, problems_only)
    ]
    headings = [h for h in _HEADINGS[fmt](source_text, visible) if h.text]
    title = f"{PurePath(report.source).name} — symnn lint"
    root = Element("div", {"class": "symnn lint"})
    header = SubElement(root, "header")
    SubElement(header, "h1").text = title
    SubElement(header, "p", {"class": "preface"}).text = (
        f"Every link of every equation chain in {report.source} ({report.format}), judged: "
        "✓ ok, ≈ rounding (off by at most one unit in its last place), ✗ error, ? not checked."
    )
    summary_badges(report, header)
    main = SubElement(root, "main")
    items: list[tuple[int, Block | HeadingAt]] = [(b.start, b) for b in paragraphs]
    items += [(h.start, h) for h in headings if not _inside(h.start, paragraphs)]
    anchors: dict[int, int] = {}
    for _, item in sorted(items, key=lambda pair: pair[0]):
        if isinstance(item, Block):
            render_block(item, source_text, visible, fmt, main, _anchor(item.line, anchors))
        else:
            SubElement(main, "h2").text = _flat(item.text)
    return root


def _anchor(line: int, used: dict[int, int]) -> str:
    """``line-12``, then ``line-12-2`` ... for further paragraphs on that line (one-line HTML)."""
    used[line] = used.get(line, 0) + 1
    return f"line-{line}" if used[line] == 1 else f"line-{line}-{used[line]}"


def _inside(offset: int, paragraphs: list[Block]) -> bool:
    return any(b.start <= offset < b.end for b in paragraphs)
