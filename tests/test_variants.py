"""``symnn variants``: reproducible draws, neural-network-aware rejection, the three outputs.

Drawn numbers are checked against the declared grids with plain Decimals; rejection rules
against numpy recomputations of the drawn networks written here; Moodle XML by parsing it
and checking the structure of Moodle's documented question format.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from fractions import Fraction
from html.parser import HTMLParser

import numpy as np
import pytest

from symnn.cli import main
from symnn.errors import SpecError, SymnnError
from symnn.sheets import variants as vmod
from symnn.sheets.variants import generate_variants, load_template, make_variant

BP231 = """
title = "Backpropagation 2-3-1"

[[exercise]]
kind = "network"
title = "Backpropagation through a 2-3-1 network"
x = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [2] }
y = { choice = [0, 1] }
loss = "bce"
learning_rate = 0.1
asks = ["A2", "L", "dL_dW1", "dL_db2"]

[[exercise.layers]]
W = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [3, 2] }
b = { random = "uniform", low = -0.5, high = 0.5, step = 0.1, shape = [3] }
activation = "relu"

[[exercise.layers]]
W = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [1, 3] }
b = { random = "uniform", low = -0.5, high = 0.5, step = 0.1, shape = [1] }
activation = "sigmoid"
"""


@pytest.fixture(scope="module")
def six():
    return generate_variants(BP231, 6, seed=11)


def given(variant):
    """The drawn numbers of a variant, read back from its answer key's exercise via a fresh draw."""
    return variant.key["exercises"][0]["quantities"]


def drawn_specs(seed, count, text=BP231):
    """Re-draw the accepted specs (the same generator the variants use) for inspection."""
    import random

    template = load_template(text)
    out = []
    for n in range(1, count + 1):
        rng = random.Random(f"symnn-variants:{seed}:{n}")
        out.append([vmod.draw_exercise(t, rng, n)[0] for t in template.exercises])
    return out


def test_the_same_seed_gives_the_same_variants_whatever_the_count_or_executor(six):
    again = generate_variants(BP231, 3, seed=11)
    assert [v.key for v in again] == [v.key for v in six[:3]]
    with ProcessPoolExecutor(max_workers=2) as pool:
        pooled = generate_variants(BP231, 6, seed=11, executor=pool)
    assert [v.teacher for v in pooled] == [v.teacher for v in six]
    other = generate_variants(BP231, 3, seed=12)
    assert [v.key for v in other] != [v.key for v in six[:3]]


def test_every_drawn_number_lies_on_its_grid():
    for (spec,) in drawn_specs(11, 6):
        f = spec.data.as_fields()
        values = [v for row in f["x"] for v in row] + [v for l in f["layers"] for row in l.W for v in row]
        for v in values:
            assert -1 <= v <= 1 and (v * 10).denominator == 1
        for l in f["layers"]:
            for (v,) in l.b:
                assert Fraction(-1, 2) <= v <= Fraction(1, 2) and (v * 10).denominator == 1
        assert f["y"] in (((0,),), ((1,),))


def test_default_rejection_holds_on_every_accepted_variant():
    for (spec,) in drawn_specs(11, 6):
        f = spec.data.as_fields()
        x = np.array(f["x"], dtype=float)
        W1, b1 = np.array(f["layers"][0].W, dtype=float), np.array(f["layers"][0].b, dtype=float)
        W2, b2 = np.array(f["layers"][1].W, dtype=float), np.array(f["layers"][1].b, dtype=float)
        z1 = W1 @ x + b1
        z2 = W2 @ np.maximum(z1, 0) + b2
        assert np.all(np.abs(z1) > 1e-9)             # no ReLU input exactly 0
        assert np.any(z1 > 0)                         # the hidden layer is not dead
        assert np.all(np.abs(z2) <= 4)                # no saturated sigmoid
        a2 = 1 / (1 + np.exp(-z2))
        delta2 = a2 - np.array(f["y"], dtype=float)
        assert np.max(np.abs(delta2 @ np.maximum(z1, 0).T)) >= 1e-3


def test_the_three_outputs(six, tmp_path):
    spec = tmp_path / "bp.toml"
    spec.write_text(BP231)
    out = tmp_path / "out"
    assert main(["variants", str(spec), "--count", "3", "--seed", "11", "--out", str(out),
                 "--format", "md,json,moodle", "--quiet"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["bp-key.json", "bp-moodle.xml"] + [f"bp-v00{n}-{who}.md" for n in (1, 2, 3)
                                                         for who in ("student", "teacher")]
    key = json.loads((out / "bp-key.json").read_text())
    assert key["seed"] == 11 and [v["variant"] for v in key["variants"]] == [1, 2, 3]
    assert key["variants"][0]["exercises"][0]["quantities"] == six[0].key["exercises"][0]["quantities"]
    student = (out / "bp-v001-student.md").read_text()
    teacher = (out / "bp-v001-teacher.md").read_text()
    assert "Compute:" in student and "### Backpropagation" not in student
    assert "### Backpropagation" in teacher and "### Forward pass" in teacher


def test_a_new_run_replaces_every_file_of_the_earlier_run_and_nothing_else(tmp_path):
    """4 variants and then 2 over the same folder: no v003, v004 of the first run stay beside the new
    key, nor its Moodle file when the new run does not ask for Moodle; other files are untouched."""
    spec = tmp_path / "bp.toml"
    spec.write_text(BP231)
    out = tmp_path / "out"
    assert main(["variants", str(spec), "--count", "4", "--seed", "11", "--out", str(out),
                 "--format", "md,json,moodle", "--quiet"]) == 0
    mine = ["notes.txt", "bp-v001-student.md.orig", "other-v001-student.md", "bp-key.json.bak"]
    for name in mine:
        (out / name).write_text("the teacher's own file")
    assert main(["variants", str(spec), "--count", "2", "--seed", "12", "--out", str(out),
                 "--format", "md,json", "--quiet"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["bp-key.json", *mine] + [f"bp-v00{n}-{who}.md" for n in (1, 2)
                                                     for who in ("student", "teacher")])
    assert json.loads((out / "bp-key.json").read_text())["seed"] == 12


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.paragraphs = 0

    def handle_starttag(self, tag, attrs):
        self.paragraphs += tag == "p"


def test_moodle_xml_follows_the_question_format(six):
    from symnn.sheets.render.moodle import to_moodle_xml

    root = ET.fromstring(to_moodle_xml([v.moodle for v in six]))
    assert root.tag == "quiz"
    questions = root.findall("question")
    categories = [q for q in questions if q.get("type") == "category"]
    assert [c.findtext("category/text") for c in categories] == [
        f"$course$/top/Backpropagation 2-3-1/Variant {n:03d}" for n in range(1, 7)]
    numerical = [q for q in questions if q.get("type") == "numerical"]
    # asks: A2 (1×1), L, dL_dW1 (3×2 → 6 entries), dL_db2 (1×1) = 9 questions per variant
    assert len(numerical) == 6 * 9
    assert all(q.get("type") in ("category", "numerical") for q in questions)
    current = None
    for q in questions:
        if q.get("type") == "category":
            current = int(q.findtext("category/text")[-3:])
            continue
        for tag in ("name/text", "questiontext/text", "generalfeedback/text", "defaultgrade", "penalty",
                    "hidden", "answer/text", "answer/tolerance"):
            assert q.find(tag) is not None, tag
        assert q.find("questiontext").get("format") == "html"
        answer = q.find("answer")
        assert answer.get("fraction") == "100"
        assert float(answer.findtext("tolerance")) > 0
        html = _Text()
        html.feed(q.findtext("questiontext/text"))
        assert html.paragraphs >= 2
        name = q.findtext("name/text")
        assert name.startswith(f"v{current:03d} ex1 ")
        quantity, _, entry = name.split()[2].partition("[")
        exact = six[current - 1].key["exercises"][0]["quantities"][quantity]["value"]
        flat = np.ravel(exact)
        index = 0
        if entry:
            i, j = (int(k) for k in entry.rstrip("]").split(","))
            index = (i - 1) * np.shape(exact)[1] + (j - 1)
        assert float(answer.findtext("text")) == pytest.approx(flat[index], rel=1e-15)


def test_every_variant_is_cross_checked(monkeypatch):
    import symnn.sheets.crosscheck as cc

    calls = []
    real = cc.crosscheck
    monkeypatch.setattr(cc, "crosscheck", lambda *a, **k: calls.append(1) or real(*a, **k))
    generate_variants(BP231, 2, seed=3)
    assert len(calls) == 2


DEAD = """
[[exercise]]
kind = "network"
x = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [2] }
y = 1
loss = "bce"
[exercise.random]
W1 = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [2, 2] }
W2 = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [1, 2] }
[exercise.reject]
dead = "require"
[[exercise.layers]]
activation = "relu"
[[exercise.layers]]
activation = "sigmoid"
"""


def test_an_exercise_can_ask_for_a_dead_layer_like_the_seed_exercise_2():
    for (spec,) in drawn_specs(5, 4, DEAD):
        f = spec.data.as_fields()
        z1 = np.array(f["layers"][0].W, dtype=float) @ np.array(f["x"], dtype=float)
        assert np.all(z1 < 0)  # dead, and never exactly 0 at the ReLU
    md = generate_variants(DEAD, 1, seed=5)[0].teacher
    assert "it is dead for this input" in md


def test_declared_decimals_keep_rational_results_short():
    text = BP231.replace('loss = "bce"', 'loss = "half_sse"').replace('activation = "sigmoid"',
                                                                      'activation = "identity"')
    text = text.replace('asks = ["A2", "L", "dL_dW1", "dL_db2"]', "[exercise.reject]\ndecimals = 4")
    for v in generate_variants(text, 3, seed=2):
        for q in v.key["exercises"][0]["quantities"].values():
            for entry in np.ravel(q["value"]):
                assert Decimal(repr(float(entry))).as_tuple().exponent >= -4


def test_impossible_constraints_name_the_constraint_failing_most(tmp_path, capsys):
    text = BP231.replace('x = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [2] }', "x = [0, 0]")
    text = text.replace('b = { random = "uniform", low = -0.5, high = 0.5, step = 0.1, shape = [3] }', "")
    spec = tmp_path / "never.toml"
    spec.write_text(text)
    out = tmp_path / "out"
    assert main(["variants", str(spec), "--count", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no draw for variant 1 met the constraints within 1000 draws" in err
    assert "the constraint failing most is: no pre-activation exactly 0 at a ReLU-type layer (relu_zero)" in err
    assert err.count("\n") == 1 and not out.exists()


@pytest.mark.parametrize("change, message", [
    (("low = -1, high = 1, step = 0.1, shape = [2]", "low = 1, high = -1, step = 0.1, shape = [2]"),
     "impossible range: low = 1 is above high = -1"),
    (("low = -1, high = 1, step = 0.1, shape = [2]", "low = -1, high = 1, step = 5, shape = [2]"),
     "step = 5 is larger than the range high − low = 2"),
    (("low = -1, high = 1, step = 0.1, shape = [2]", "low = -1, high = 1, step = 0, shape = [2]"),
     "step must be positive"),
    (('random = "uniform", low = -1, high = 1, step = 0.1, shape = [2]',
      'random = "gauss", low = -1, high = 1, step = 0.1, shape = [2]'), "unknown distribution 'gauss'"),
    (("y = { choice = [0, 1] }", "y = { choice = [] }"), "choice must be a non-empty list"),
    (('asks = ["A2", "L", "dL_dW1", "dL_db2"]', 'asks = ["A2"]\n[exercise.reject]\nsaturate = 3'),
     "unknown constraint 'saturate'; constraints: relu_zero, dead"),
    (('activation = "relu"', 'activation = "relux"'), "unknown activation 'relux'; valid activations"),
    (("shape = [1, 3] }", "shape = [1, 2] }"), "W2 is 1×2 but layer 1 outputs 3 values"),
    (('asks = ["A2", "L", "dL_dW1", "dL_db2"]', 'asks = ["A2", "dL_dW9"]'),
     "asks names 'dL_dW9', which this exercise does not compute"),
])
def test_bad_random_sheets_exit_2_and_write_nothing(tmp_path, capsys, change, message):
    spec = tmp_path / "bad.toml"
    spec.write_text(BP231.replace(*change, 1))
    out = tmp_path / "out"
    assert main(["variants", str(spec), "--count", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize("args, message", [
    (["--count", "0"], "--count must be between 1 and 10000, got 0"),
    (["--count", "10001"], "--count must be between 1 and 10000, got 10001"),
    (["--count", "2", "--format", "md,pdf"], "unknown format 'pdf'; valid formats: md, json, moodle"),
    (["--count", "2", "--jobs", "-1"], "--jobs must be between 0"),
])
def test_bad_options_exit_2(tmp_path, capsys, args, message):
    spec = tmp_path / "bp.toml"
    spec.write_text(BP231)
    assert main(["variants", str(spec), "--out", str(tmp_path / "out"), *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_process_pool_gives_the_same_files_as_one_process(tmp_path):
    spec = tmp_path / "bp.toml"
    spec.write_text(BP231)
    for jobs in ("1", "2"):
        assert main(["variants", str(spec), "--count", "4", "--seed", "9", "--jobs", jobs, "--quiet",
                     "--format", "md,json,moodle", "--out", str(tmp_path / jobs)]) == 0
    one, two = tmp_path / "1", tmp_path / "2"
    assert sorted(p.name for p in one.iterdir()) == sorted(p.name for p in two.iterdir())
    for p in one.iterdir():
        assert p.read_bytes() == (two / p.name).read_bytes()


def test_the_library_rejects_a_bad_count():
    with pytest.raises(SymnnError, match="--count must be between 1 and 10000"):
        generate_variants(BP231, 10_001, seed=0)


def test_make_variant_is_a_plain_picklable_task():
    import pickle

    v = make_variant(BP231, "<text>", 4, 2)
    assert pickle.loads(pickle.dumps(v)).key == v.key


def test_other_kinds_get_variants_too():
    text = """
[[exercise]]
kind = "preprocessing"
X = { random = "uniform", low = 0, high = 3, step = 1, shape = [3, 2] }
"""
    for (spec,) in drawn_specs(1, 5, text):
        X = np.array(spec.data.X, dtype=float)
        assert np.all(X.max(axis=0) > X.min(axis=0))  # no zero-range feature survives
    assert "SpecError" not in repr(generate_variants(text, 2, seed=1)[0].key)


def test_a_sheet_without_random_parameters_cannot_be_a_spec_error():
    with pytest.raises(SpecError, match="no exercises"):
        load_template('title = "t"')


def test_draws_where_a_value_is_undefined_are_redrawn():
    text = """
[[exercise]]
kind = "network"
x = { random = "uniform", low = -1, high = 1, step = 0.5, shape = [1] }
y = 1
loss = "half_sse"
[[exercise.layers]]
W = [[1]]
activation = { formula = "log(x + 1)", name = "lg" }
[exercise.reject]
min_gradient = false
"""
    for (spec,) in drawn_specs(0, 4, text):
        assert spec.data.x[0][0] > -1  # log(0) at x = -1 was redrawn
