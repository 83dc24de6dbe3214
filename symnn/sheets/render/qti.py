"""IMS QTI packages: numerical questions for Canvas (QTI 1.2) and for Blackboard and other importers (QTI 2.1).

Both packages are zip files holding an ``imsmanifest.xml`` (IMS Content Packaging) and the
questions, built as element trees and serialised once; the zip entries carry a fixed
timestamp, so the same questions give the same bytes.

* **QTI 1.2, as Canvas imports it** (:func:`to_qti12`): one ``<assessment>`` whose sections
  are *question groups*.  Group *k* holds question *k* of every variant and Canvas draws one
  of them per student (``selection_number`` 1), so each student gets one version of every
  question.  A numerical question is Canvas's ``numerical_question``: a ``render_fib`` of
  ``fibtype="Decimal"`` scored by an exact value or the range of the tolerance.
* **QTI 2.1** (:func:`to_qti21`): one ``assessmentItem`` per question with a float
  ``textEntryInteraction`` scored by ``<equal toleranceMode="absolute">``, and an
  ``assessmentTest`` whose sections select one item each, as above.

The tolerance is Moodle's (:mod:`symnn.sheets.render.moodle`): half a unit in the last place
asked for.  **Small values are asked scaled.**  Canvas rounds a numerical answer below 1e-4
to 0, so a correct 0.0000321 could not be told from 0: a value of magnitude below
:data:`SMALLEST_PLAIN` is asked multiplied by a power of ten that brings it to at least 1
(the question says so and why), in both packages alike.  Question texts are HTML with
``\\( … \\)`` mathematics, which Canvas and most QTI players typeset with MathJax.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO

from symnn.sheets.render.moodle import Category, NumericalQuestion, numerical_question

SMALLEST_PLAIN = 1e-4
"""Magnitudes below this are asked scaled (Canvas rounds smaller numerical answers to 0)."""
SCALE_NOTE = "(Canvas rounds numbers below 0.0001 to 0, so this small value is asked scaled.)"
"""What a scaled question says of why."""

QTI12_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
QTI21_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
QTI21_LOCATION = f"{QTI21_NS} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
CP_LOCATION = f"{CP_NS} http://www.imsglobal.org/xsd/imscp_v1p1.xsd"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
"""Every zip entry's timestamp: fixed, so the bytes depend on the questions only."""


@dataclass(frozen=True, slots=True)
class Group:
    """One question group: the same question in every variant; one is drawn per student."""

    identifier: str
    """The group's identifier (``q01``)."""
    title: str
    """Its title (``Question 1``)."""
    questions: tuple[NumericalQuestion, ...]
    """Its questions, one per variant, in variant order."""


def scaled_for_canvas(question: NumericalQuestion, decimals: int) -> NumericalQuestion:
    """The question as Canvas can grade it: unchanged, or asking for the value times ``10**k`` when its
    magnitude is below :data:`SMALLEST_PLAIN` (``k`` the least power that brings it to at least 1).

    >>> import sympy as sp
    >>> from symnn.sheets.render.moodle import Asked
    >>> q = numerical_question("v1 L", Asked((), "", sp.Symbol("L"), "", sp.Rational(321, 10**7)), 3)
    >>> scaled_for_canvas(q, 3).answer, scaled_for_canvas(q, 3).tolerance
    (3.21, 0.0005)
    """
    if question.asked is None or question.answer == 0 or abs(question.answer) >= SMALLEST_PLAIN:
        return question
    scale = -math.floor(math.log10(abs(question.answer)))
    return numerical_question(question.name, question.asked, decimals, scale, SCALE_NOTE)


def groups_of(categories: Sequence[Category], decimals: int) -> list[Group]:
    """Question *k* of every category (variant) in group *k*, each asked as Canvas can grade it."""
    count = max((len(c.questions) for c in categories), default=0)
    groups = []
    for k in range(count):
        questions = tuple(scaled_for_canvas(c.questions[k], decimals) for c in categories if k < len(c.questions))
        groups.append(Group(f"q{k + 1:02d}", f"Question {k + 1}", questions))
    return groups


def identifier(text: str) -> str:
    """An XML identifier (an NCName) from a question's name: ``v001 ex2 W1[1,2]`` → ``v001_ex2_W1_1_2``."""
    ident = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "item"
    return ident if re.match(r"[A-Za-z_]", ident) else f"i_{ident}"


def _number(value: float) -> str:
    return repr(float(value))


def _bounds(q: NumericalQuestion) -> tuple[str, str]:
    """The accepted range, answer ∓ tolerance, in decimal arithmetic (no binary rounding tails)."""
    answer, tolerance = Decimal(repr(q.answer)), Decimal(repr(q.tolerance))
    return str(answer - tolerance), str(answer + tolerance)


def _zip(files: Sequence[tuple[str, str]]) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


def _xml(root: ET.Element) -> str:
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _manifest(package: str, resources: Sequence[tuple[str, str, Sequence[str], Sequence[str]]]) -> str:
    """An IMS content-packaging manifest: (identifier, type, files, dependencies) per resource."""
    manifest = ET.Element("manifest", {"xmlns": CP_NS, "xmlns:xsi": XSI_NS, "identifier": f"{package}_manifest",
                                       "xsi:schemaLocation": CP_LOCATION})
    metadata = _sub(manifest, "metadata")
    _sub(metadata, "schema", "IMS Content")
    _sub(metadata, "schemaversion", "1.1.3")
    _sub(manifest, "organizations")
    container = _sub(manifest, "resources")
    for ident, kind, files, needs in resources:
        resource = _sub(container, "resource", identifier=ident, type=kind, href=files[0])
        for name in files:
            _sub(resource, "file", href=name)
        for need in needs:
            _sub(resource, "dependency", identifierref=need)
    return _xml(manifest)


# ---------------------------------------------------------------------------
# QTI 1.2 (Canvas)


def _field(parent: ET.Element, label: str, entry: str) -> None:
    field = _sub(parent, "qtimetadatafield")
    _sub(field, "fieldlabel", label)
    _sub(field, "fieldentry", entry)


def _item12(section: ET.Element, q: NumericalQuestion) -> None:
    item = _sub(section, "item", ident=identifier(q.name), title=q.name)
    meta = _sub(_sub(item, "itemmetadata"), "qtimetadata")
    _field(meta, "question_type", "numerical_question")
    _field(meta, "points_possible", "1.0")
    presentation = _sub(item, "presentation")
    _sub(_sub(presentation, "material"), "mattext", q.html, texttype="text/html")
    response = _sub(presentation, "response_str", ident="response1", rcardinality="Single")
    _sub(_sub(response, "render_fib", fibtype="Decimal"), "response_label", ident="answer1")
    processing = _sub(item, "resprocessing")
    _sub(_sub(processing, "outcomes"), "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
    condition = _sub(processing, "respcondition", **{"continue": "No"})
    either = _sub(_sub(condition, "conditionvar"), "or")
    _sub(either, "varequal", _number(q.answer), respident="response1")
    within = _sub(either, "and")
    low, high = _bounds(q)
    _sub(within, "vargte", low, respident="response1")
    _sub(within, "varlte", high, respident="response1")
    _sub(condition, "setvar", "100", action="Set", varname="SCORE")


def to_qti12(title: str, categories: Sequence[Category], decimals: int, package: str = "symnn_quiz") -> bytes:
    """The QTI 1.2 package Canvas imports: one question group per question, one version drawn per student."""
    quiz = identifier(package)
    root = ET.Element("questestinterop", {"xmlns": QTI12_NS})
    assessment = _sub(root, "assessment", ident=quiz, title=title)
    _field(_sub(assessment, "qtimetadata"), "cc_maxattempts", "1")
    top = _sub(assessment, "section", ident="root_section")
    for group in groups_of(categories, decimals):
        section = _sub(top, "section", ident=group.identifier, title=group.title)
        selection = _sub(_sub(section, "selection_ordering"), "selection")
        _sub(selection, "selection_number", "1")
        _sub(_sub(selection, "selection_extension"), "points_per_item", "1.0")
        for q in group.questions:
            _item12(section, q)
    assessment_file = f"{quiz}/{quiz}.xml"
    return _zip([("imsmanifest.xml", _manifest(quiz, [(quiz, "imsqti_xmlv1p2", [assessment_file], [])])),
                 (assessment_file, _xml(root))])


# ---------------------------------------------------------------------------
# QTI 2.1


def _body(item_body: ET.Element, html: str) -> None:
    """The question's HTML fragment as QTI XHTML, then the answer box in a paragraph of its own."""
    item_body.append(ET.fromstring(html))  # plain XHTML tags: they take the document's QTI namespace
    answer = _sub(item_body, "p", "Answer: ")
    _sub(answer, "textEntryInteraction", responseIdentifier="RESPONSE", expectedLength="16")


def _item21(q: NumericalQuestion, ident: str) -> str:
    item = ET.Element("assessmentItem", {
        "xmlns": QTI21_NS, "xmlns:xsi": XSI_NS, "xsi:schemaLocation": QTI21_LOCATION,
        "identifier": ident, "title": q.name, "adaptive": "false", "timeDependent": "false"})
    response = _sub(item, "responseDeclaration", identifier="RESPONSE", cardinality="single", baseType="float")
    _sub(_sub(response, "correctResponse"), "value", _number(q.answer))
    score = _sub(item, "outcomeDeclaration", identifier="SCORE", cardinality="single", baseType="float")
    _sub(_sub(score, "defaultValue"), "value", "0")
    _body(_sub(item, "itemBody"), q.html)
    processing = _sub(item, "responseProcessing")
    when = _sub(_sub(processing, "responseCondition"), "responseIf")
    equal = _sub(when, "equal", toleranceMode="absolute", tolerance=f"{_number(q.tolerance)} {_number(q.tolerance)}")
    _sub(equal, "variable", identifier="RESPONSE")
    _sub(equal, "correct", identifier="RESPONSE")
    _sub(_sub(when, "setOutcomeValue", identifier="SCORE"), "baseValue", "1", baseType="float")
    return _xml(item)


def to_qti21(title: str, categories: Sequence[Category], decimals: int, package: str = "symnn_quiz") -> bytes:
    """The QTI 2.1 package: an item per question and a test drawing one version of each question."""
    quiz = identifier(package)
    test = ET.Element("assessmentTest", {"xmlns": QTI21_NS, "xmlns:xsi": XSI_NS,
                                         "xsi:schemaLocation": QTI21_LOCATION, "identifier": quiz, "title": title})
    part = _sub(test, "testPart", identifier="part1", navigationMode="nonlinear", submissionMode="simultaneous")
    files: list[tuple[str, str]] = []
    resources: list[tuple[str, str, Sequence[str], Sequence[str]]] = []
    for group in groups_of(categories, decimals):
        section = _sub(part, "assessmentSection", identifier=group.identifier, title=group.title, visible="true")
        _sub(section, "selection", select="1")
        for q in group.questions:
            ident = f"{group.identifier}_{identifier(q.name)}"
            href = f"items/{ident}.xml"
            _sub(section, "assessmentItemRef", identifier=ident, href=href)
            files.append((href, _item21(q, ident)))
            resources.append((ident, "imsqti_item_xmlv2p1", [href], []))
    test_file = f"{quiz}.xml"
    resources.insert(0, (quiz, "imsqti_test_xmlv2p1", [test_file], [r[0] for r in resources]))
    return _zip([("imsmanifest.xml", _manifest(quiz, resources)), (test_file, _xml(test)), *files])
