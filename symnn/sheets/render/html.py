"""One self-contained HTML5 file: MathML from latex2mathml, inline SVG plots, no JavaScript.

The page is built as an element tree and serialised once.  Every formula is the LaTeX
of :func:`symnn.sheets.render.printing.latex` converted to MathML, which browsers render
natively; nothing is fetched from the network.  A displayed chain is a row of links
(``lhs``, ``= a``, ``≈ b``) that wraps link by link on a narrow screen, and a link
wider than the screen scrolls sideways instead of spilling over the page.
"""

from __future__ import annotations

import copy
import html as html_text
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote
from xml.etree.ElementTree import Element, SubElement, fromstring, tostring

import sympy as sp
from latex2mathml.converter import convert_to_element

from symnn.core.decimals import DEFAULT_DECIMALS, approximate, is_exact_decimal
from symnn.sheets.render import plots
from symnn.sheets.render.printing import chain, latex, preface, result_links, sentence_runs
from symnn.sheets.steps import Derivation, Equation, Figure, Heading, Inline, Prose, Sheet, Step, Table, Text, run

SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"

STYLE = """
.symnn { max-width: 52rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; color: #1b1b1b;
  font: 17px/1.55 "Latin Modern Roman", Georgia, "Times New Roman", serif; }
.symnn math { font-family: "Latin Modern Math", "STIX Two Math", "DejaVu Math TeX Gyre", math; font-size: 1.08em; }
.symnn h1 { font-size: 1.9rem; line-height: 1.2; margin: 1rem 0 .5rem; }
.symnn h2 { font-size: 1.45rem; line-height: 1.25; margin: 2.6rem 0 .6rem; padding-bottom: .2rem;
  border-bottom: 1px solid #c8c8c8; }
.symnn h3 { font-size: 1.1rem; margin: 1.5rem 0 .4rem; }
.symnn p { margin: .6rem 0; }
.symnn .preface { color: #444; }
.symnn nav.toc { border: 1px solid #ddd; border-radius: 4px; padding: .4rem 1.2rem; margin: 1.2rem 0; }
.symnn nav.toc h2 { font-size: 1.1rem; border: 0; margin: .4rem 0; padding: 0; }
.symnn nav.toc ol { margin: .2rem 0 .6rem; padding-left: 1.4rem; }
.symnn a { color: #1f4f8f; }
.symnn .chain { display: flex; flex-wrap: wrap; justify-content: center; align-items: center;
  gap: .3rem 0; margin: .9rem 0; }
.symnn mtd { padding: .2em .4em; }
.symnn mtd:first-child { padding-left: .12em; }
.symnn mtd:last-child { padding-right: .12em; }
.symnn .link { max-width: 100%; overflow-x: auto; overflow-y: hidden; padding: .2rem 0; }
.symnn .results { border: 1px solid #8a8a8a; border-radius: 4px; background: #f6f6f3;
  padding: .3rem 1.1rem .6rem; margin: 1.6rem 0; }
.symnn .results h3 { margin: .6rem 0 .3rem; }
.symnn .results ul { margin: 0; padding-left: 1.1rem; }
.symnn .results li { margin: .35rem 0; }
.symnn .results .item { display: flex; flex-wrap: wrap; align-items: center; gap: .3rem 0; }
.symnn .results .item > span:first-child { margin-right: .5em; }
.symnn .table-wrap { overflow-x: auto; margin: .9rem 0; }
.symnn table { border-collapse: collapse; margin: 0 auto; border-top: 1.5px solid #333;
  border-bottom: 1.5px solid #333; }
.symnn th, .symnn td { padding: .3rem .9rem; text-align: center; }
.symnn thead th { border-bottom: 1px solid #333; font-weight: normal; }
.symnn figure.plot { margin: 1.2rem auto; max-width: 38rem; }
.symnn figure.plot svg { display: block; width: 100%; height: auto; }
.symnn figcaption { text-align: center; font-style: italic; font-size: .92em; color: #333; }
.symnn .note { font-style: italic; color: #555; text-align: center; }
@media (max-width: 40rem) {
  .symnn { font-size: 16px; padding: .6rem .8rem 2rem; }
  .symnn h1 { font-size: 1.5rem; }
  .symnn h2 { font-size: 1.25rem; }
  .symnn .chain { justify-content: flex-start; padding-left: 1.5em; }
  .symnn .chain > .link:first-child { margin-left: -1.5em; }
}
@media print {
  .symnn { max-width: none; padding: 0; font-size: 11pt; }
  .symnn nav.toc { display: none; }
  .symnn .link, .symnn .table-wrap { overflow: visible; }
  .symnn .results, .symnn figure, .symnn .chain, .symnn table { break-inside: avoid; }
  .symnn h2, .symnn h3 { break-after: avoid; }
  .symnn a { color: inherit; text-decoration: none; }
}
"""
"""The page's style sheet; every rule is scoped to ``.symnn`` so it also works inside a notebook."""

PAGE_STYLE = "body { margin: 0; background: #fff; }"
"""Rules that only a standalone page needs."""


@dataclass(frozen=True, slots=True)
class HtmlSettings:
    """How a sheet is written in HTML."""

    decimals: int = DEFAULT_DECIMALS
    """Places after ≈."""
    figures: bool = True
    """Whether Figure steps appear (as inline SVG, or a note without matplotlib)."""


TEX_ENCODING = "application/x-tex"
"""The annotation encoding of a formula's TeX source (as MathJax and KaTeX write it)."""


def mathml(tex: str, display: bool = False) -> Element:
    """The MathML element of a LaTeX formula (display style when ``display``), its TeX annotated.

    >>> serialise(mathml("x")).split("<mrow>")[1]
    '<mi>x</mi></mrow><annotation encoding="application/x-tex">x</annotation></semantics></math>'
    """
    return copy.deepcopy(_converted(tex, display))  # a fresh tree: the caller inserts it in a page


@lru_cache(maxsize=1 << 14)
def _converted(tex: str, display: bool) -> Element:
    """Each formula is converted once (symbols and matrices recur across a sheet and its formats)."""
    element = convert_to_element(tex, display="inline")
    if display:
        element.set("displaystyle", "true")
    for node in element.iter():
        # latex2mathml stores characters as entity references ("&#x02248;"); a tree holds text.
        if node.text:
            node.text = html_text.unescape(node.text)
    for parent in element.iter():
        for index, child in enumerate(parent):
            for rule in TIDY_RULES.get(child.tag, ()):
                rule(child, parent[index - 1] if index else None)
    sanitise_mathml(element)
    annotate(element, tex)
    return element


MATHML_NAMESPACE = "http://www.w3.org/1998/Math/MathML"
MATHML_ELEMENTS = frozenset({
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub",
    "msubsup", "mfrac", "msqrt", "mroot", "mtable", "mtr", "mtd", "mover", "munder", "munderover", "mstyle",
    "mpadded", "mphantom", "menclose", "merror", "mmultiscripts", "mprescripts", "none",
})
"""The MathML elements a formula may contain; any other becomes ``<mrow>`` (its content kept)."""
MATHML_ATTRIBUTES = frozenset({
    "xmlns", "display", "displaystyle", "scriptlevel", "mathvariant", "mathsize", "stretchy", "fence", "form",
    "separator", "lspace", "rspace", "minsize", "maxsize", "symmetric", "largeop", "movablelimits", "accent",
    "accentunder", "columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines", "frame",
    "framespacing", "equalrows", "equalcolumns", "linethickness", "width", "height", "depth", "voffset",
    "notation", "encoding", "align", "mathcolor", "mathbackground",
})
"""The attributes a formula's elements may carry; no ``href``, ``style``, ``class``, ``id`` or ``on*``."""
_SAFE_VALUE = re.compile(r"[#A-Za-z0-9 .,%+-]*")
"""Attribute values are plain words, numbers, lengths and colours (no ``url(``, quotes or ``:``)."""


def sanitise_mathml(element: Element) -> None:
    """Keep only allow-listed MathML elements and attributes with plain values (in place).

    latex2mathml turns ``\\href{javascript:…}``, ``\\style{…url(…)}`` and ``\\class{…}`` of the
    TeX it reads into attributes; a page symnn writes must never carry them (a script link,
    a remote fetch), whoever wrote the TeX.

    >>> e = convert_to_element(r"\\href{javascript:alert(1)}{x} \\style{background:url(http://a)}{y}")
    >>> sanitise_mathml(e)
    >>> "javascript" in serialise(e) or "url(" in serialise(e) or "href" in serialise(e)
    False
    """
    for node in element.iter():
        if node.tag not in MATHML_ELEMENTS:
            node.tag = "mrow"
        for name in list(node.attrib):
            value = node.attrib[name]
            if name == "xmlns" and value == MATHML_NAMESPACE:
                continue
            if name not in MATHML_ATTRIBUTES or not _SAFE_VALUE.fullmatch(value):
                del node.attrib[name]


def annotate(element: Element, tex: str) -> None:
    """Keep the formula's TeX in ``<semantics>``, after its presentation.

    A browser renders only the first child of ``<semantics>``; the annotation lets a
    reader copy the source and lets ``symnn lint`` check the page's arithmetic.

    >>> formula = Element("math")
    >>> SubElement(formula, "mn").text = "2"
    >>> annotate(formula, "2")
    >>> serialise(formula)
    '<math><semantics><mn>2</mn><annotation encoding="application/x-tex">2</annotation></semantics></math>'
    """
    presentation = list(element)
    for child in presentation:
        element.remove(child)
    semantics = SubElement(element, "semantics")
    if len(presentation) == 1:
        semantics.append(presentation[0])
    else:
        SubElement(semantics, "mrow").extend(presentation)
    SubElement(semantics, "annotation", {"encoding": TEX_ENCODING}).text = tex


def operator_name(node: Element, before: Element | None) -> None:
    """``\\operatorname{ReLU}`` arrives as an operator ``<mo>``, spaced like a relation; it is a name."""
    if node.text and len(node.text) > 1 and node.text.isalpha():
        node.tag = "mi"


def sign(node: Element, before: Element | None) -> None:
    """A minus sign that opens a group or follows an operator is a sign, not a subtraction."""
    if node.text in ("\u2212", "+") and (before is None or (before.tag == "mo" and before.get("form") != "postfix")):
        node.set("form", "prefix")


def prime(node: Element, before: Element | None) -> None:
    """``f'`` arrives as a superscript prime, which a math font already raises: set it on the line."""
    if len(node) == 2 and node[1].text == "\u2032":
        node.tag = "mrow"
        node[1].tag = "mo"


TALL = frozenset({"mfrac", "mtable", "munderover", "munder", "msqrt", "mroot"})
"""Elements taller than a line of text, which fences must grow around."""


def fences(node: Element, before: Element | None) -> None:
    """``\\left( x \\right)`` around a line-high group keeps its parentheses at their natural size.

    Chromium stretches a stretchy fence to the font's first size variant even around a
    single letter, which leaves a visible gap inside; TeX does not.
    """
    if len(node) < 2 or node[0].tag != "mo" or node[0].get("fence") != "true":
        return
    if not any(d.tag in TALL for d in node.iter()):
        for fence in (node[0], node[-1]):
            if fence.get("fence") == "true":
                fence.set("stretchy", "false")


TIDY_RULES: dict[str, tuple[Callable[[Element, Element | None], None], ...]] = {
    "mo": (operator_name, sign),
    "msup": (prime,),
    "mrow": (fences,),
}
"""Corrections of latex2mathml's output, by element name."""


def add_inline(parent: Element, part: Inline) -> None:
    """Append a piece of prose: text, or inline MathML."""
    typed = run(part)
    if isinstance(typed, Text):
        add_text(parent, typed.text)
    else:
        parent.append(mathml(latex(typed.expr)))


def add_text(parent: Element, text: str) -> None:
    """Append text after the last child of ``parent`` (ElementTree keeps it in ``tail``)."""
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def add_links(parent: Element, links: list[tuple[str, str]]) -> None:
    """Append each link of a chain (``lhs``, ``= a``, ``≈ b``) as a separately wrapping span."""
    for relation, tex in links:
        span = SubElement(parent, "span", {"class": "link"})
        span.append(mathml(f"{relation} {tex}" if relation else tex, display=True))


def _heading(step: Heading, parent: Element, settings: HtmlSettings) -> None:
    SubElement(parent, "h3").text = step.text


def _prose(step: Prose, parent: Element, settings: HtmlSettings) -> None:
    paragraph = SubElement(parent, "p")
    for part in step.parts:
        add_inline(paragraph, part)


def _equation(step: Equation, parent: Element, settings: HtmlSettings) -> None:
    links = chain(step.lhs, [step.formula, *step.substituted], step.exact, settings.decimals,
                  step.exact_shown)
    add_links(SubElement(parent, "div", {"class": "chain"}), links)


def _cell(parent: Element, part: Inline, decimals: int) -> None:
    if isinstance(part, sp.Basic) and part.is_number and not is_exact_decimal(part):
        part = approximate(part, decimals)
    add_inline(parent, part)


def _table(step: Table, parent: Element, settings: HtmlSettings) -> None:
    table = SubElement(SubElement(parent, "div", {"class": "table-wrap"}), "table")
    header = SubElement(SubElement(table, "thead"), "tr")
    for title in step.header:
        add_inline(SubElement(header, "th", {"scope": "col"}), title)
    body = SubElement(table, "tbody")
    for row in step.rows:
        tr = SubElement(body, "tr")
        for value in row:
            _cell(SubElement(tr, "td"), value, settings.decimals)


def _figure(step: Figure, parent: Element, settings: HtmlSettings) -> None:
    if not plots.available():
        SubElement(parent, "p", {"class": "note"}).text = plots.MISSING_NOTE
        return
    figure = SubElement(parent, "figure", {"class": "plot"})
    figure.append(inline_svg(plots.draw(step, "svg"), step.name, step.title))
    SubElement(figure, "figcaption").text = step.title


RENDERERS: dict[type, Callable[[Step, Element, HtmlSettings], None]] = {
    Heading: _heading, Prose: _prose, Equation: _equation, Table: _table, Figure: _figure,  # type: ignore[dict-item]
}
"""How each kind of step is appended to the page."""


def inline_svg(data: bytes, prefix: str, title: str) -> Element:
    """matplotlib's SVG as an element for an HTML page.

    Namespaces become plain tag names (as the HTML parser expects), the RDF metadata
    and the global style rule are dropped, and every id is prefixed so that several
    plots on one page never share an id.
    """
    svg = fromstring(data)
    for node in list(svg.iter()):
        for child in list(node):
            if child.tag in (f"{SVG_NAMESPACE}metadata", f"{SVG_NAMESPACE}style"):
                node.remove(child)
    for node in svg.iter():
        node.tag = node.tag.removeprefix(SVG_NAMESPACE)
        if "id" in node.attrib:
            node.set("id", f"{prefix}-{node.get('id')}")
        href = node.attrib.pop(XLINK_HREF, None)
        if href is not None:
            node.set("href", f"#{prefix}-{href.removeprefix('#')}")
        clip = node.get("clip-path")
        if clip is not None:
            node.set("clip-path", clip.replace("url(#", f"url(#{prefix}-"))
    for size in ("width", "height"):
        svg.attrib.pop(size, None)
    svg.set("style", "stroke-linejoin: round; stroke-linecap: butt")
    svg.set("role", "img")
    svg.set("aria-label", title)
    return svg


def render_step(step: Step, parent: Element, settings: HtmlSettings) -> None:
    """Append one step to ``parent``."""
    RENDERERS[type(step)](step, parent, settings)


def section_id(d: Derivation) -> str:
    """The fragment identifier of an exercise's section."""
    return quote(d.id, safe="")


def final_results(d: Derivation, parent: Element, settings: HtmlSettings) -> None:
    """The framed list of an exercise's final results."""
    box = SubElement(parent, "section", {"class": "results"})
    SubElement(box, "h3").text = "Final results"
    items = SubElement(box, "ul")
    for name in d.summary:
        q = d.quantity(name)
        item = SubElement(SubElement(items, "li"), "div", {"class": "item"})
        label = SubElement(item, "span")
        for part in (*sentence_runs(q.caption), ":"):
            add_inline(label, part)
        add_links(item, result_links(q, settings.decimals))


def render_derivation(d: Derivation, label: object, parent: Element, settings: HtmlSettings) -> None:
    """One exercise as a section: its steps, final results and remarks."""
    section = SubElement(parent, "section", {"class": "exercise", "id": section_id(d)})
    SubElement(section, "h2").text = f"Exercise {label}: {d.title}"
    for step in d.steps:
        if settings.figures or not isinstance(step, Figure):
            render_step(step, section, settings)
    if d.summary:
        final_results(d, section, settings)
    if d.remarks:
        SubElement(section, "h3").text = "Remarks"
        for remark in d.remarks:
            _prose(remark, section, settings)


def contents(sheet: Sheet, parent: Element) -> None:
    """The table of contents: one link per exercise."""
    nav = SubElement(parent, "nav", {"class": "toc", "aria-label": "Contents"})
    SubElement(nav, "h2").text = "Contents"
    listing = SubElement(nav, "ol")
    for d in sheet.derivations:
        SubElement(SubElement(listing, "li"), "a", {"href": f"#{section_id(d)}"}).text = d.title


def sheet_element(sheet: Sheet, settings: HtmlSettings) -> Element:
    """The whole sheet as one ``<div class="symnn">``."""
    root = Element("div", {"class": "symnn"})
    header = SubElement(root, "header")
    SubElement(header, "h1").text = sheet.title
    SubElement(header, "p", {"class": "preface"}).text = preface(settings.decimals, sheet.settings.get("detail", "full"))
    contents(sheet, root)
    main = SubElement(root, "main")
    for number, d in enumerate(sheet.derivations, start=1):
        render_derivation(d, number, main, settings)
    return root


_HTML_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Characters an HTML document may not contain, even as character references."""


def serialise(element: Element) -> str:
    """An element as HTML text; a control character (from a linted file, say) becomes U+FFFD.

    >>> p = Element("p")
    >>> p.text = "a" + chr(27) + "[2Jb" + chr(0)
    >>> serialise(p) == "<p>a" + chr(0xFFFD) + "[2Jb" + chr(0xFFFD) + "</p>"
    True
    """
    return _HTML_CONTROL.sub("\ufffd", str(tostring(element, encoding="unicode", method="html")))


def to_html(sheet: Sheet, decimals: int = DEFAULT_DECIMALS, figures: bool = True) -> str:
    """The whole sheet as one self-contained HTML5 page.

    >>> from symnn.sheets.kinds import solve
    >>> from symnn.sheets.loading import load_sheet
    >>> page = to_html(solve(load_sheet()), figures=False)
    >>> page.startswith("<!DOCTYPE html>") and "<math" in page and "<script" not in page
    True
    """
    settings = HtmlSettings(decimals, figures)
    page = Element("html", {"lang": "en"})
    head = SubElement(page, "head")
    SubElement(head, "meta", {"charset": "utf-8"})
    SubElement(head, "meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"})
    SubElement(head, "meta", {"name": "generator", "content": "symnn"})
    SubElement(head, "title").text = sheet.title
    SubElement(head, "style").text = PAGE_STYLE + STYLE
    SubElement(page, "body").append(sheet_element(sheet, settings))
    return "<!DOCTYPE html>\n" + serialise(page) + "\n"


def html_fragment(sheet_or_derivation: Sheet | Derivation, decimals: int = DEFAULT_DECIMALS) -> str:
    """A ``<div>`` with its own scoped style, for notebooks (``_repr_html_``)."""
    settings = HtmlSettings(decimals)
    if isinstance(sheet_or_derivation, Sheet):
        root = sheet_element(sheet_or_derivation, settings)
    else:
        root = Element("div", {"class": "symnn"})
        render_derivation(sheet_or_derivation, sheet_or_derivation.id, root, settings)
    style = Element("style")
    style.text = STYLE
    root.insert(0, style)
    return serialise(root)
