"""QTI packages (``--format qti``): their documented structure, their determinism, and a round trip of
every answer back to the JSON key.

No maintained Python package ships the IMS QTI schemas, so the packages are checked against
the structure the specifications document: IMS content packaging (every file in the manifest,
every manifest file in the zip), QTI 1.2 numerical items as Canvas exports them, QTI 2.1 items
whose response processing compares a float with an absolute tolerance, and a test whose
sections each select one item.  The answers are then read back out of both packages and
compared with the exact values of the JSON answer key.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal
from fractions import Fraction
from io import BytesIO

import pytest
import sympy as sp

from symnn.cli import main
from symnn.sheets.render.moodle import Asked, Category, numerical_question
from symnn.sheets.render.qti import QTI12_NS, QTI21_NS, SMALLEST_PLAIN, to_qti12, to_qti21

CP = "{http://www.imsglobal.org/xsd/imscp_v1p1}"
Q12 = "{%s}" % QTI12_NS
Q21 = "{%s}" % QTI21_NS
NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")

VARIANTS = """
title = "Forward pass"

[[exercise]]
kind = "forward"
W = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [2, 2] }
b = { random = "uniform", low = -0.5, high = 0.5, step = 0.1, shape = [2] }
X = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [2] }
activation = "sigmoid"
"""


def unzip(data: bytes) -> dict[str, ET.Element]:
    with zipfile.ZipFile(BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: ET.fromstring(archive.read(name)) for name in archive.namelist()}


def manifest_files(files: dict[str, ET.Element]) -> set[str]:
    manifest = files["imsmanifest.xml"]
    assert manifest.tag == f"{CP}manifest"
    resources = manifest.findall(f"{CP}resources/{CP}resource")
    idents = [r.get("identifier") for r in resources]
    assert len(set(idents)) == len(idents) and all(NCNAME.match(i or "") for i in idents)
    listed = {f.get("href") for r in resources for f in r.findall(f"{CP}file")}
    for r in resources:
        assert r.get("href") in listed
        for d in r.findall(f"{CP}dependency"):
            assert d.get("identifierref") in idents
    return listed  # type: ignore[return-value]


@pytest.fixture(scope="module")
def seed_packages(tmp_path_factory):
    out = tmp_path_factory.mktemp("seed")
    assert main(["sheet", "--format", "json,qti", "--out", str(out), "-q"]) == 0
    again = tmp_path_factory.mktemp("again")
    assert main(["sheet", "--format", "qti", "--out", str(again), "-q"]) == 0
    for name in ("seed-qti12.zip", "seed-qti21.zip"):
        assert (out / name).read_bytes() == (again / name).read_bytes(), "QTI output is not deterministic"
    return out


def qti12_answers(files: dict[str, ET.Element]) -> dict[str, tuple[Decimal, Decimal, Decimal, str]]:
    """Item title -> (exact answer, low, high, question text), structure checked on the way."""
    [name] = [n for n in files if n != "imsmanifest.xml"]
    root = files[name]
    assert root.tag == f"{Q12}questestinterop"
    assessment = root.find(f"{Q12}assessment")
    top = assessment.find(f"{Q12}section")
    answers = {}
    for group in top.findall(f"{Q12}section"):
        assert group.find(f"{Q12}selection_ordering/{Q12}selection/{Q12}selection_number").text == "1"
        for item in group.findall(f"{Q12}item"):
            assert NCNAME.match(item.get("ident"))
            fields = {f.find(f"{Q12}fieldlabel").text: f.find(f"{Q12}fieldentry").text
                      for f in item.iter(f"{Q12}qtimetadatafield")}
            assert fields["question_type"] == "numerical_question"
            assert item.find(f".//{Q12}render_fib").get("fibtype") == "Decimal"
            condition = item.find(f"{Q12}resprocessing/{Q12}respcondition/{Q12}conditionvar/{Q12}or")
            exact = Decimal(condition.find(f"{Q12}varequal").text)
            low = Decimal(condition.find(f"{Q12}and/{Q12}vargte").text)
            high = Decimal(condition.find(f"{Q12}and/{Q12}varlte").text)
            text = item.find(f".//{Q12}mattext").text
            ET.fromstring(text)  # the question's HTML is well formed
            answers[item.get("title")] = (exact, low, high, text)
    return answers


def qti21_answers(files: dict[str, ET.Element]) -> dict[str, tuple[Decimal, Decimal]]:
    """Item title -> (correct response, tolerance), structure checked on the way."""
    tests = [e for e in files.values() if e.tag == f"{Q21}assessmentTest"]
    assert len(tests) == 1
    answers = {}
    for section in tests[0].iter(f"{Q21}assessmentSection"):
        assert section.find(f"{Q21}selection").get("select") == "1"
        for ref in section.findall(f"{Q21}assessmentItemRef"):
            item = files[ref.get("href")]
            assert item.tag == f"{Q21}assessmentItem" and item.get("identifier") == ref.get("identifier")
            declaration = item.find(f"{Q21}responseDeclaration")
            assert declaration.get("baseType") == "float" and declaration.get("cardinality") == "single"
            entry = item.find(f"{Q21}itemBody/{Q21}p/{Q21}textEntryInteraction")
            assert entry.get("responseIdentifier") == "RESPONSE"
            equal = item.find(f".//{Q21}responseIf/{Q21}equal")
            assert equal.get("toleranceMode") == "absolute"
            low, high = equal.get("tolerance").split()
            assert low == high
            answers[item.get("title")] = (Decimal(declaration.find(f".//{Q21}value").text), Decimal(low))
    return answers


def key_values(key_exercises) -> dict[str, float]:
    """Question name -> the JSON key's value, named as the questions are (``ex1 Z[1,2]``)."""
    values = {}
    for ex in key_exercises:
        for name, q in ex["quantities"].items():
            v = q["value"]
            if isinstance(v, list):
                flat = [(i, j, x) for i, row in enumerate(v) for j, x in enumerate(row)]
                if len(flat) == 1:
                    values[f"{ex['id']} {name}"] = flat[0][2]
                for i, j, x in flat:
                    values[f"{ex['id']} {name}[{i + 1},{j + 1}]"] = x
            else:
                values[f"{ex['id']} {name}"] = v
    return values


def test_seed_packages_have_the_documented_structure(seed_packages):
    for name in ("seed-qti12.zip", "seed-qti21.zip"):
        files = unzip((seed_packages / name).read_bytes())
        listed = manifest_files(files)
        assert listed == set(files) - {"imsmanifest.xml"}


def test_seed_answers_round_trip_to_the_json_key(seed_packages):
    key = key_values(json.loads((seed_packages / "seed.json").read_text())["exercises"])
    q12 = qti12_answers(unzip((seed_packages / "seed-qti12.zip").read_bytes()))
    q21 = qti21_answers(unzip((seed_packages / "seed-qti21.zip").read_bytes()))
    assert set(q12) == set(q21) and q12
    for title, (exact, low, high, _) in q12.items():
        value = key[title]
        assert low <= Decimal(repr(value)) <= high
        assert float(exact) == pytest.approx(value, rel=1e-15, abs=0)
        correct, tolerance = q21[title]
        assert correct == exact and low == exact - tolerance and high == exact + tolerance


def test_variants_give_one_group_per_question_with_every_variant(tmp_path):
    spec = tmp_path / "forward.toml"
    spec.write_text(VARIANTS, encoding="utf-8")
    assert main(["variants", str(spec), "--count", "4", "--format", "json,qti", "--out", str(tmp_path), "-q"]) == 0
    key = json.loads((tmp_path / "forward-key.json").read_text())
    files12 = unzip((tmp_path / "forward-qti12.zip").read_bytes())
    manifest_files(files12)
    [assessment_name] = [n for n in files12 if n != "imsmanifest.xml"]
    groups = files12[assessment_name].find(f"{Q12}assessment/{Q12}section").findall(f"{Q12}section")
    assert groups and all(len(g.findall(f"{Q12}item")) == 4 for g in groups)
    q12 = qti12_answers(files12)
    for variant in key["variants"]:
        values = key_values(variant["exercises"])
        for name, value in values.items():
            title = f"v{variant['variant']:03d} {name}"
            if title in q12:
                _, low, high, _ = q12[title]
                assert low <= Decimal(repr(value)) <= high
    assert len(q12) == 4 * len(groups)


def test_small_values_are_asked_scaled_so_canvas_does_not_round_them_to_zero():
    small = numerical_question("v1 ex1 L", Asked((("A loss.",),), "", sp.Symbol("L"), "loss",
                                                  sp.Rational(3217, 10**8)), 3)
    plain = numerical_question("v1 ex1 A", Asked((("A value.",),), "", sp.Symbol("A"), "", sp.Rational(1, 4)), 3)
    for data in (to_qti12("Q", [Category("Q", (small, plain))], 3), to_qti21("Q", [Category("Q", (small, plain))], 3)):
        texts = "".join(ET.tostring(e, encoding="unicode") for e in unzip(data).values())
        assert "multiplied by" in texts and "Canvas rounds numbers below 0.0001 to 0" in texts
    q12 = qti12_answers(unzip(to_qti12("Q", [Category("Q", (small, plain))], 3)))
    exact, low, high, text = q12["v1 ex1 L"]
    assert exact == Decimal("3.217") and "10^{5}" in text  # 0.00003217 asked times 10^5
    assert q12["v1 ex1 A"][0] == Decimal("0.25")
    assert all(v[0] == 0 or abs(v[0]) >= Decimal(repr(SMALLEST_PLAIN)) for v in q12.values())
    assert Fraction(str(exact)) / 10**5 == Fraction(3217, 10**8)
