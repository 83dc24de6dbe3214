"""The HTML page, read as a browser's parser reads it: self-contained, no script, valid MathML."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest
import sympy as sp

from symnn.sheets.render.html import mathml, serialise, to_html
from symnn.sheets.steps import Figure


class Page(HTMLParser):
    """Every start tag with its attributes, and the text of <style> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


@pytest.fixture(scope="module")
def page(seed_html):
    parser = Page()
    parser.feed(seed_html)
    return seed_html, parser


def test_page_is_html5_with_a_viewport_and_one_title(page):
    text, parsed = page
    assert text.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    names = [t for t, _ in parsed.tags]
    assert names.count("title") == 1 and names.count("h1") == 1
    assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}) in parsed.tags


def test_page_has_no_script_and_requests_nothing(page):
    _, parsed = page
    names = {t for t, _ in parsed.tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed", "video", "audio", "source"}
    for tag, attrs in parsed.tags:
        for key in ("src", "href", "srcset", "action", "data"):
            value = attrs.get(key)
            assert value is None or value.startswith("#"), f"<{tag} {key}={value!r}> would load something"
        assert not any(k.startswith("on") for k in attrs), f"<{tag}> has an event handler"
    css = "".join(parsed.styles)
    assert "url(" not in css and "@import" not in css


def test_every_exercise_has_a_section_linked_from_the_contents(page, seed_sheet):
    _, parsed = page
    ids = [a["id"] for _, a in parsed.tags if a.get("id")]
    duplicated = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicated, f"ids used twice: {duplicated[:5]}"
    sections = [a["id"] for t, a in parsed.tags if t == "section" and a.get("class") == "exercise"]
    assert sections == [d.id for d in seed_sheet.derivations]
    links = [a["href"] for t, a in parsed.tags if t == "a"]
    assert links == [f"#{d.id}" for d in seed_sheet.derivations]


def test_mathml_has_no_errors_and_every_formula_is_there(page, seed_sheet):
    text, parsed = page
    assert "merror" not in text
    maths = [a for t, a in parsed.tags if t == "math"]
    equations = sum(1 for d in seed_sheet.derivations for s in d.steps if type(s).__name__ == "Equation")
    assert len(maths) > 2 * equations  # each chain is at least two links
    assert all(a.get("xmlns") == "http://www.w3.org/1998/Math/MathML" for a in maths)


def test_one_inline_svg_plot_per_figure_step(page, seed_sheet):
    _, parsed = page
    figures = [s for d in seed_sheet.derivations for s in d.steps if isinstance(s, Figure)]
    svgs = [a for t, a in parsed.tags if t == "svg"]
    pytest.importorskip("matplotlib", reason="plots need matplotlib (pip install 'symnn[plots]')")
    assert len(svgs) == len(figures) == 6  # four activation plots, two network diagrams
    assert [a["aria-label"] for a in svgs] == [f.title for f in figures]
    assert all("viewbox" in a and "width" not in a for a in svgs)  # scales with the page


def test_results_are_framed_once_per_exercise(page, seed_sheet):
    _, parsed = page
    assert sum(1 for t, a in parsed.tags if a.get("class") == "results") == len(seed_sheet.derivations)


@pytest.mark.parametrize("tex, expected", [
    pytest.param(r"\operatorname{ReLU}\left(x\right)", "<mi>ReLU</mi>", id="operator-name-is-a-name"),
    pytest.param(r"\left(-0.2\right)", '<mo form="prefix">\u2212</mo>', id="minus-after-fence-is-a-sign"),
    pytest.param(r"0.2 - 0", "<mo>\u2212</mo>", id="minus-between-numbers-is-binary"),
    pytest.param(r"\operatorname{ReLU}'", "<mrow><mi>ReLU</mi><mo>\u2032</mo></mrow>", id="prime-on-the-line"),
    pytest.param(r"\left(x\right)", 'stretchy="false"', id="small-fences-stay-small"),
    pytest.param(r"\left(\frac{1}{2}\right)", 'stretchy="true"', id="fences-grow-around-fractions"),
    pytest.param(r"a \approx b", "<mo>\u2248</mo>", id="entities-become-characters"),
])
def test_mathml_corrections(tex, expected):
    assert expected in serialise(mathml(tex))


def test_text_is_escaped_by_the_serialiser():
    from symnn.sheets.steps import Derivation, Prose, Sheet

    d = Derivation("ex1", "forward", "a <b> & c", (Prose(("x < y & z", sp.Symbol("x"))),), (), ())
    text = to_html(Sheet("T <1>", (d,)), figures=False)
    assert "a &lt;b&gt; &amp; c" in text and "x &lt; y &amp; z" in text


def test_every_formula_carries_its_tex_source(page):
    _, parsed = page
    maths = [t for t, _ in parsed.tags if t == "math"]
    annotations = [a for t, a in parsed.tags if t == "annotation"]
    assert len(annotations) == len(maths)
    assert all(a == {"encoding": "application/x-tex"} for a in annotations)


def test_annotation_follows_the_presentation_and_is_escaped():
    from xml.etree.ElementTree import fromstring

    tex = r"\frac{1}{2} < x \approx 0.5"
    element = fromstring(serialise(mathml(tex)))  # the serialised text parses back as XML
    (semantics,) = list(element)
    assert [child.tag.split("}")[-1] for child in semantics] == ["mrow", "annotation"]
    assert semantics[1].text == tex and "&lt; x" in serialise(mathml(tex))
