"""Moodle XML: one numerical question per asked value, a question category per variant.

The format is Moodle's documented question XML (``<quiz>`` of ``<question>``
elements; ``type="category"`` entries set the category of the questions after
them; ``type="numerical"`` questions carry an ``<answer fraction="100">`` with a
``<tolerance>``).  Question texts are HTML with ``\\( … \\)`` mathematics for
Moodle's MathJax filter.  Everything is built as element trees and serialised once.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import sympy as sp

from symnn.core.decimals import DEFAULT_DECIMALS, digits_for, to_finite_float
from symnn.sheets.render.printing import latex
from symnn.sheets.statement import Line
from symnn.sheets.steps import Quantity, Text, run


@dataclass(frozen=True, slots=True)
class NumericalQuestion:
    """One numerical question: its name, HTML text, the correct value and the accepted error."""

    name: str
    """Question name shown in Moodle's question bank."""
    html: str
    """The question text, an HTML fragment."""
    answer: float
    """The correct value (the exact value rounded to double precision)."""
    tolerance: float
    """Absolute tolerance: half a unit in the last place a student is asked to give."""
    asked: Asked | None = None
    """What is asked, kept so another export can ask it differently (a small value scaled, for Canvas)."""


@dataclass(frozen=True, slots=True)
class Asked:
    """The parts of a question before it is written: the statement, what to compute, the exact value."""

    lines: tuple[Line, ...]
    """The exercise's statement."""
    where: str
    """``entry (i, j) of `` for one entry of a matrix, else empty."""
    symbol: sp.Basic
    """The quantity's symbol."""
    caption: Any
    """The quantity's caption: text, or text and math runs."""
    value: sp.Basic
    """The exact value asked for."""


@dataclass(frozen=True, slots=True)
class Category:
    """A question category (one per variant) and its questions."""

    path: str
    """Category path below the course, e.g. ``symnn/Backprop/Variant 001``."""
    questions: tuple[NumericalQuestion, ...]
    """The questions of the category, in order."""


def _math(expr: sp.Basic) -> str:
    return rf"\({latex(expr)}\)"


def _paragraph(parts: Line) -> str:
    """One line as an HTML paragraph ``<p>…</p>``."""
    p = ET.Element("p")
    p.text = "".join(typed.text if isinstance(typed, Text) else _math(typed.expr) for typed in map(run, parts))
    return ET.tostring(p, encoding="unicode", method="html")


def _statement(lines: tuple[Line, ...]) -> str:
    return "".join(_paragraph(line) for line in lines)


_remembered_statement = lru_cache(maxsize=256)(_statement)
_remembered_paragraph = lru_cache(maxsize=4096)(_paragraph)


def question_html(lines: Sequence[Line], ask: Line) -> str:
    """The statement's lines and the question, as an HTML fragment: a ``<div>`` of paragraphs (what
    ElementTree writes for the ``<div>`` element holding them, written as their concatenation)."""
    # A statement opens every question of its exercise, and the same questions (entry (1, 2) of ∂L/∂W₁,
    # to 3 places) are asked of every variant: each is serialised once.
    try:
        statement, question = _remembered_statement(tuple(lines)), _remembered_paragraph(ask)
    except TypeError:  # a part with no hash (a mutable matrix)
        statement, question = _statement(tuple(lines)), _paragraph(ask)
    return "<div>" + statement + question + "</div>"


def _entries(q: Quantity) -> list[tuple[str, str, sp.Basic]]:
    """(words, name suffix, value) for a scalar, or for every entry of a matrix quantity."""
    if not isinstance(q.exact, sp.MatrixBase):
        return [("", "", q.exact)]
    if q.exact.rows * q.exact.cols == 1:
        return [("", "", q.exact[0, 0])]
    return [(f"entry ({i + 1}, {j + 1}) of ", f"[{i + 1},{j + 1}]", q.exact[i, j])
            for i in range(q.exact.rows) for j in range(q.exact.cols)]


def questions_for(prefix: str, lines: Sequence[Line], quantities: Sequence[Quantity],
                  decimals: int = DEFAULT_DECIMALS) -> list[NumericalQuestion]:
    """One numerical question per asked scalar, or per entry of an asked matrix."""
    questions = []
    for q in quantities:
        for where, suffix, value in _entries(q):
            asked = Asked(tuple(lines), where, q.symbol, q.caption, value)
            questions.append(numerical_question(f"{prefix} {q.name}{suffix}", asked, decimals))
    return questions


def numerical_question(name: str, asked: Asked, decimals: int = DEFAULT_DECIMALS, scale: int = 0,
                       note: str = "") -> NumericalQuestion:
    """The question asking for ``asked.value`` to ``decimals`` places (more for a small value), or for the
    value times ``10**scale`` when ``scale`` is set (``note`` then says why)."""
    value = asked.value * sp.Integer(10) ** scale if scale else asked.value
    places = digits_for(value, decimals)
    caption: Line = ((" (", *((asked.caption,) if isinstance(asked.caption, str) else asked.caption), ")")
                     if asked.caption else ())
    if scale:
        ask: Line = (f"Compute {asked.where}", asked.symbol, *caption, ". Enter it multiplied by ",
                     sp.Pow(10, scale, evaluate=False), f", to {places} decimal places. {note}".rstrip())
    else:
        ask = (f"Compute {asked.where}", asked.symbol, *caption, f". Give it to {places} decimal places.")
    return NumericalQuestion(name=name, html=question_html(asked.lines, ask), answer=to_finite_float(value),
                             tolerance=float(Decimal(5).scaleb(-(places + 1))), asked=asked)


def _text(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    ET.SubElement(element, "text").text = text
    return element


def _category(quiz: ET.Element, path: str) -> None:
    question = ET.SubElement(quiz, "question", {"type": "category"})
    _text(question, "category", f"$course$/top/{path}")
    _text(question, "info", "", format="html")


def _numerical(quiz: ET.Element, q: NumericalQuestion) -> None:
    question = ET.SubElement(quiz, "question", {"type": "numerical"})
    _text(question, "name", q.name)
    _text(question, "questiontext", q.html, format="html")
    _text(question, "generalfeedback", "", format="html")
    ET.SubElement(question, "defaultgrade").text = "1.0000000"
    ET.SubElement(question, "penalty").text = "0.3333333"
    ET.SubElement(question, "hidden").text = "0"
    answer = _text(question, "answer", repr(q.answer), fraction="100", format="moodle_auto_format")
    _text(answer, "feedback", "", format="html")
    ET.SubElement(answer, "tolerance").text = repr(q.tolerance)
    ET.SubElement(question, "unitgradingtype").text = "0"
    ET.SubElement(question, "unitpenalty").text = "0.1000000"
    ET.SubElement(question, "showunits").text = "3"
    ET.SubElement(question, "unitsleft").text = "0"


def to_moodle_xml(categories: Sequence[Category]) -> str:
    """The Moodle XML document: each category, then its numerical questions.

    >>> q = NumericalQuestion("v1 L", "<p>Compute L.</p>", 0.5, 0.0005)
    >>> print(to_moodle_xml([Category("symnn/Variant 001", (q,))]).splitlines()[1])
    <quiz>
    """
    return moodle_document([category_xml(c) for c in categories])


def category_xml(category: Category) -> str:
    """One category and its questions as they stand inside ``<quiz>`` (indented two spaces), with no
    leading or trailing line break: what :func:`moodle_document` joins.  Written where the category is
    made (a worker process of ``symnn variants``), so the document is only joined at the end."""
    quiz = ET.Element("quiz")
    _category(quiz, category.path)
    for question in category.questions:
        _numerical(quiz, question)
    ET.indent(quiz)
    text = ET.tostring(quiz, encoding="unicode")
    # ElementTree wrote "<quiz>\n  " + the elements separated by "\n  " + "\n</quiz>".
    return text[len("<quiz>\n  "):-len("\n</quiz>")]


def moodle_document(categories: Sequence[str]) -> str:
    """The Moodle XML document of categories written by :func:`category_xml`: the text ElementTree
    writes for one ``<quiz>`` holding them all (indented by ``ET.indent``)."""
    body = "<quiz>\n  " + "\n  ".join(categories) + "\n</quiz>" if categories else "<quiz />"
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
