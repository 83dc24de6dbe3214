"""The fast paths behind ``symnn variants`` at the scale of a class: each must write what the plain
path writes, byte for byte.

Every remembered result (printed subexpressions, entrywise values, general formulas, statement
HTML) is compared with a fresh computation; the Moodle and JSON documents joined from per-variant
pieces with the documents ElementTree and ``json.dumps`` write for the whole; the integer rounding
with the Fraction form it replaced.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import random
import xml.etree.ElementTree as ET
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction

import pytest
import sympy as sp
from sympy.printing.latex import LatexPrinter

from symnn.core.decimals import _rounded_units, digits_for, exact_text, round_fraction, round_rational
from symnn.sheets.render import moodle
from symnn.sheets.render.moodle import Category, NumericalQuestion, category_xml, moodle_document, to_moodle_xml
from symnn.sheets.render.printing import SheetLatexPrinter, latex
from symnn.sheets.variants import Variant, chunk_size, generate_variants, key_document, make_variant

BP231 = """
title = "Backpropagation 2-3-1"

[[exercise]]
kind = "network"
x = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [2] }
y = { choice = [0, 1] }
loss = "bce"
learning_rate = 0.1

[[exercise.layers]]
W = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [3, 2] }
b = { random = "uniform", low = -0.5, high = 0.5, step = 0.1, shape = [3] }
activation = "relu"

[[exercise.layers]]
W = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [1, 3] }
b = { random = "uniform", low = -0.5, high = 0.5, step = 0.1, shape = [1] }
activation = "sigmoid"
"""


def _whole_tree_xml(categories: list[Category]) -> str:
    """Moodle XML as one ElementTree, indented once (the way the document was written before)."""
    quiz = ET.Element("quiz")
    for category in categories:
        moodle._category(quiz, category.path)
        for question in category.questions:
            moodle._numerical(quiz, question)
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"


@pytest.mark.parametrize("sizes", [(), (0,), (1,), (2, 0, 3), (31, 31)], ids=str)
def test_the_moodle_document_joined_from_categories_is_the_whole_tree(sizes):
    q = NumericalQuestion("v1 L", "<div><p>Compute \\(L\\) &amp; <b>x</b> < 1.</p></div>", -0.5, 0.0005)
    categories = [Category(f"T/Variant {i:03d}", (q,) * n) for i, n in enumerate(sizes, start=1)]
    assert moodle_document([category_xml(c) for c in categories]) == _whole_tree_xml(categories)
    assert to_moodle_xml(categories) == _whole_tree_xml(categories)


def test_the_key_file_joined_from_variants_is_json_dumps_of_the_whole():
    keys = [{"variant": 1, "text": "a\nb \"é\"", "rows": [[0.5, -2], [1e-300, 3]], "empty": {}, "none": []},
            {"variant": 2, "exercises": [{"id": "ex1", "quantities": {}}]}]
    variants = [Variant(k["variant"], 1, "", "", k, None, "", json.dumps(k, indent=2, ensure_ascii=False)
                        .replace("\n", "\n    ")) for k in keys]
    for seed in (0, -7, 2**70):
        expected = json.dumps({"seed": seed, "variants": keys}, indent=2, ensure_ascii=False) + "\n"
        assert key_document(seed, variants) == expected
        assert key_document(seed, [Variant(v.number, 1, "", "", v.key, None) for v in variants]) == expected


def test_a_variant_carries_its_moodle_and_key_text_and_lean_drops_only_what_qti_reads():
    full, lean = make_variant(BP231, "<text>", 4, 2), make_variant(BP231, "<text>", 4, 2, lean=True)
    assert (full.student, full.teacher, full.key, full.moodle_xml, full.key_json) == (
        lean.student, lean.teacher, lean.key, lean.moodle_xml, lean.key_json)
    assert full.moodle_xml == category_xml(full.moodle)
    assert all(q.asked is not None for q in full.moodle.questions)
    assert all(q.asked is None for q in lean.moodle.questions)
    assert [(q.name, q.html, q.answer, q.tolerance) for q in full.moodle.questions] == [
        (q.name, q.html, q.answer, q.tolerance) for q in lean.moodle.questions]
    assert "sympy" not in str(pickle.dumps(lean))  # plain text and numbers cross the process boundary


def test_pool_chunks_give_the_variants_made_one_by_one():
    one_by_one = [make_variant(BP231, "<text>", 9, n) for n in range(1, 6)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        pooled = generate_variants(BP231, 5, seed=9, executor=pool, lean=True)
    assert [(v.number, v.teacher, v.key_json, v.moodle_xml) for v in pooled] == [
        (v.number, v.teacher, v.key_json, v.moodle_xml) for v in one_by_one]
    assert [chunk_size(n) for n in (1, 99, 100, 1000, 10_000)] == [1, 1, 1, 10, 10]


def _fresh_latex(expr: sp.Basic) -> str:
    """The sheet printer without its memo: every subexpression printed afresh."""
    printer = SheetLatexPrinter()
    printer._print = lambda e, **kw: LatexPrinter._print(printer, e, **kw)  # type: ignore[method-assign]
    return str(printer.doprint(expr))


def _fresh_exact_text(value: sp.Basic) -> str:
    """The answer key's exact text with SymPy's ``sstr`` (each call a fresh printer)."""
    if isinstance(value, sp.MatrixBase):
        rows = ", ".join("[" + ", ".join(sp.sstr(v) for v in value.row(i)) + "]" for i in range(value.rows))
        return f"[{rows}]"
    return str(sp.sstr(value))


def test_remembered_printing_writes_what_fresh_printing_writes():
    variant = make_variant(BP231, "<text>", 3, 1)
    assert variant.teacher  # warms the memos with a real variant's expressions
    E = sp.exp(sp.Rational(31, 100))
    exprs = [E / (10 * (1 + E)), -sp.Rational(7, 10) * E / (1 + E), sp.Rational(-3, 5) + E / (100 * (1 + E)),
             -sp.log(1 / (1 + E)), sp.ImmutableMatrix([[E, sp.Rational(1, 3)], [sp.Rational(-11, 20), 1 - E]]),
             sp.Mul(sp.Rational(-1, 10), sp.Rational(2, 5), evaluate=False), sp.Float("0.1", 30) + sp.Symbol("x")]
    for expr in exprs:
        assert latex(expr) == _fresh_latex(expr)
        assert exact_text(expr) == _fresh_exact_text(expr)


def test_integer_rounding_is_the_fraction_rounding():
    rng = random.Random(5)
    for _ in range(20_000):
        value = Fraction(rng.randint(-10**7, 10**7), rng.randint(1, 10**rng.randint(0, 9)))
        if rng.random() < 0.3:  # exact ties at the last place
            value = Fraction(rng.randint(-999, 999) * 5, 10**rng.randint(1, 6))
        places = rng.randint(-3, 10)
        scale = Fraction(10) ** places
        assert _rounded_units(value, places) == round(value * scale)
        assert round_fraction(value, places) == Fraction(round(value * scale)) / scale


@pytest.mark.parametrize("value", [sp.Rational(1, 3000), sp.Rational(-5, 2000), sp.exp(-9), sp.log(2) / 10**5,
                                   1 - sp.tanh(100)], ids=str)
def test_rounding_and_places_of_exact_values(value):
    places = digits_for(value, 3)
    number = abs(Fraction(str(sp.N(value, 60))))
    expected = 3
    while 0 < number < Fraction(10) ** (2 - expected) and expected < 12:
        expected += 1
    assert places == expected
    rounded = round_rational(value, places)
    assert abs(Fraction(int(rounded.p), int(rounded.q)) - Fraction(str(sp.N(value, 60)))) <= Fraction(1, 2 * 10**places)


def _values_to_put_in(rng: random.Random) -> list[sp.Basic]:
    special = [sp.Integer(0), sp.Integer(1), sp.Integer(-1), sp.Rational(1, 2), sp.Integer(2)]
    drawn = [sp.Rational(rng.randint(-30, 30), rng.randint(1, 12)) for _ in range(6)]
    z = sp.Rational(rng.randint(-20, 20), 10)
    return special + drawn + [1 / (1 + sp.exp(-z)), sp.exp(z), sp.log(2) * z]


def test_putting_numbers_in_unevaluated_builds_the_tree_the_evaluate_context_builds():
    """Every built-in output-delta rule and loss term, with numbers that would collapse terms if evaluated
    (0, 1, −1) and ones that stay symbolic (e^z): the explicit rebuild and the context give the same tree;
    a Piecewise (ReLU-type rules) goes through the context."""
    from symnn.core.calculus import ACTIVATIONS, LOSSES, a, y
    from symnn.sheets.kinds.network.derivation import _output_delta_rules, put_in_unevaluated

    yhat, z = sp.Symbol("yhat"), sp.Symbol("z")
    rng = random.Random(12)
    forms = []
    for loss in LOSSES.values():
        forms += [(loss.term, (y, a)), (-loss.term, (y, a))]
        for act in ACTIVATIONS.values():
            alpha = sp.Rational(1, 100) if act.has_alpha else None
            for scale in (sp.Integer(1), sp.Rational(1, 3)):
                forms.append((_output_delta_rules(loss, act, alpha, scale)[2], (yhat, y, z)))
    checked = 0
    for form, symbols in forms:
        for _ in range(6):
            values = dict(zip(symbols, (rng.choice(_values_to_put_in(rng)) for _ in symbols)))
            with sp.evaluate(False):
                expected = form.xreplace(values)
            got = put_in_unevaluated(form, values)
            assert sp.srepr(got) == sp.srepr(expected), (form, values)
            assert latex(got) == latex(expected)
            checked += 1
    assert checked == len(forms) * 6 and any(f.has(sp.Piecewise) for f, _ in forms)


# ----- files written as the variants come --------------------------------------------------------


@pytest.mark.parametrize("formats", [("md", "json", "moodle"), ("json",), ("moodle", "qti"), ("md",)])
def test_files_written_as_variants_come_are_the_files_rendered_at_the_end(tmp_path, formats):
    from symnn.core.io import StagedFiles, write_files
    from symnn.sheets.variants import VariantFiles, render_files

    lean = "qti" not in formats
    variants = generate_variants(BP231, 3, seed=4, lean=lean)
    # the plain path: key and Moodle documents from the whole variants (no pre-written text)
    whole = [dataclasses.replace(v, moodle_xml="", key_json="") for v in variants]
    write_files(tmp_path / "a", render_files(whole, 4, "s", tmp_path / "a", formats))
    with StagedFiles(tmp_path / "b") as staged:
        files = VariantFiles(staged, 4, "s", tmp_path / "b", formats)
        for v in variants:
            files.add(v)
        files.finish()
        staged.commit()
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a == b and len(a) == 2 * 3 * ("md" in formats) + ("json" in formats) + ("moodle" in formats) + 2 * ("qti" in formats)
    assert len(staged) == len(b)


def _files(folder):
    return {p.name: (p.read_bytes(), p.stat().st_mode) for p in sorted(folder.iterdir())}


def test_staged_files_change_nothing_until_commit_and_clean_up_after_a_failure(tmp_path):
    from symnn.core.io import STAGING_PREFIX, StagedFiles

    out = tmp_path / "out"
    out.mkdir()
    (out / "s-key.json").write_text("old key")
    (out / "s-v009-student.md").write_text("old sheet")
    (out / "notes.txt").write_text("mine")
    before = _files(out)
    with pytest.raises(RuntimeError), StagedFiles(out, lambda name: name.startswith("s-")) as staged:
        staged.write(out / "s-v001-student.md", "new")
        staged.append(out / "s-key.json", "new ")
        staged.append(out / "s-key.json", "key")
        visible = {p.name: (p.read_bytes(), p.stat().st_mode) for p in out.iterdir() if p.is_file()}
        assert visible == before and any(p.name.startswith(STAGING_PREFIX) for p in out.iterdir())
        raise RuntimeError("a variant failed")
    assert _files(out) == before  # nothing renamed, no staging folder left
    with StagedFiles(out, lambda name: name.startswith("s-")) as staged:
        staged.write(out / "s-v001-student.md", "new")
        staged.append(out / "s-key.json", "new ")
        staged.append(out / "s-key.json", "key")
        staged.commit()
    after = _files(out)
    assert sorted(after) == ["notes.txt", "s-key.json", "s-v001-student.md"]  # v009 superseded, notes kept
    assert after["s-key.json"][0] == b"new key" and after["s-key.json"][1] == after["s-v001-student.md"][1]
    fresh = tmp_path / "fresh"
    with pytest.raises(RuntimeError), StagedFiles(fresh) as staged:
        staged.write(fresh / "a.md", "x")
        raise RuntimeError
    assert not fresh.exists()  # a folder the failed run made is removed again


def test_variants_in_a_pool_stream_the_reference_files(tmp_path):
    """The command with --jobs 2 (files written as chunks arrive) writes what one process writes."""
    from symnn.cli import main

    spec = tmp_path / "bp.toml"
    spec.write_text(BP231, encoding="utf-8")
    argv = ["variants", str(spec), "--count", "12", "--seed", "3", "--format", "md,json,moodle", "--quiet"]
    assert main([*argv, "--jobs", "2", "--out", str(tmp_path / "two")]) == 0
    assert main([*argv, "--jobs", "1", "--out", str(tmp_path / "one")]) == 0
    assert _files(tmp_path / "one") == _files(tmp_path / "two") and len(_files(tmp_path / "one")) == 26


def test_matrix_rows_are_tolist():
    from symnn.core.decimals import matrix_rows

    rng = random.Random(3)
    for rows, cols in [(0, 0), (0, 2), (2, 0), (1, 1), (3, 2), (2, 5)]:
        values = [sp.Rational(rng.randint(-9, 9), rng.randint(1, 4)) * (sp.exp(sp.Symbol("x")) if rng.random() < 0.3 else 1)
                  for _ in range(rows * cols)]
        for m in (sp.ImmutableMatrix(rows, cols, values), sp.Matrix(rows, cols, values)):
            assert matrix_rows(m) == m.tolist()
            assert all(type(a) is type(b) for r, t in zip(matrix_rows(m), m.tolist()) for a, b in zip(r, t))


def test_variants_sent_back_as_texts_write_the_same_files(tmp_path):
    from symnn.core.io import StagedFiles
    from symnn.sheets.variants import VariantFiles, make_variants

    whole = make_variants(BP231, "<t>", 5, (2, 3), lean=True)
    texts = make_variants(BP231, "<t>", 5, (2, 3), lean=True, texts=True)
    assert all(t.key == {} and t.moodle is None for t in texts)
    assert [dataclasses.replace(w, key={}, moodle=None) for w in whole] == texts
    assert make_variants(BP231, "<t>", 5, (2,), texts=True)[0].key  # not lean (QTI asked): nothing dropped
    for name, variants in (("whole", whole), ("texts", texts)):
        with StagedFiles(tmp_path / name) as staged:
            files = VariantFiles(staged, 5, "s", tmp_path / name, ("md", "json", "moodle"))
            for v in variants:
                files.add(v)
            files.finish()
            staged.commit()
    assert _files(tmp_path / "whole") == _files(tmp_path / "texts")


# ----- entrywise products: a product or sum of matrices is bracketed without asking its sign --------


def test_an_entrywise_factor_is_bracketed_as_parenthesize_brackets_it():
    """Every factor prints as SymPy's ``parenthesize(f, Mul, strict=False)`` prints it, in LaTeX and in
    plain text: products and sums of explicit matrices (led by a negative number or not, so with either
    precedence) are bracketed, a matrix symbol, an explicit matrix or an applied function is not."""
    from sympy.printing.precedence import PRECEDENCE
    from sympy.printing.str import StrPrinter

    from symnn.sheets import notation as nt

    rng = random.Random(5)
    W, A = sp.MatrixSymbol("W", 3, 1), sp.MatrixSymbol("A", 3, 1)
    cases = 0
    for _ in range(12):
        M = sp.ImmutableMatrix(3, 1, [sp.Rational(rng.randint(-9, 9), 10) for _ in range(3)])
        d = sp.ImmutableMatrix(1, 1, [-1 / (1 + sp.exp(sp.Rational(rng.randint(-9, 9), 10)))])
        product = sp.MatMul(M, d, evaluate=False)
        negative = sp.MatMul(sp.Integer(-1), M, d, evaluate=False)
        total = sp.MatAdd(M, M.applyfunc(lambda v: 2 * v), evaluate=False)
        factors = [product, negative, total, W, M, nt.Elementwise("ReLU", A, prime=True)]
        assert [nt.bracketed_factor(f) for f in factors] == [True, True, True, False, False, False]
        for f in factors:
            for g in (W, f):
                h = nt.Hadamard(f, g)
                latex_printer, str_printer = SheetLatexPrinter(), StrPrinter()
                assert latex_printer._print(h) == r" \odot ".join(
                    latex_printer.parenthesize(x, PRECEDENCE["Mul"], strict=False) for x in (f, g))
                assert str_printer._print(h) == " ⊙ ".join(
                    str_printer.parenthesize(x, PRECEDENCE["Mul"], strict=False) for x in (f, g))
                cases += 1
    assert cases == 12 * 6 * 2


def test_remembered_decimals_are_the_decimals_of_each_value_and_place_count():
    """``approximate`` remembers immutable values per number of places; a mutable matrix is rounded afresh."""
    from symnn.core.decimals import _approximate, approximate

    rng = random.Random(9)
    for _ in range(40):
        z = sp.Rational(rng.randint(-999, 999), 1000)
        value = 1 / (1 + sp.exp(z))
        M = sp.Matrix([[value, z], [sp.log(1 + value), sp.Rational(rng.randint(1, 99), 7)]])
        for places in (3, 6, 2, 3):
            assert approximate(value, places) == _approximate(value, places)
            assert approximate(sp.ImmutableMatrix(M), places) == _approximate(M, places) == approximate(M, places)
    assert approximate(sp.Rational(1, 3), 3) != approximate(sp.Rational(1, 3), 6)


# ----- sums of numbers put in order for the answer key's exact text ----------------------------------


def _numeric_sums(rng: random.Random, count: int) -> list[sp.Basic]:
    """Sums of numbers of the kinds a worked solution holds (rationals, e^q, 1/(1 + e^q), logarithms),
    with the exception's shape (a positive number plus a negative multiple of one factor) often,
    and now and then π, e, √2, i, e^(iq), floats of two precisions, a symbol or zoo."""
    def q() -> sp.Rational:
        return sp.Rational(rng.randint(-30, 30), rng.choice([1, 2, 5, 10, 100, 7]))

    def atom() -> sp.Basic:
        return [
            lambda: sp.exp(q()), lambda: 1 / (1 + sp.exp(q())), lambda: sp.log(abs(q()) + 1), lambda: sp.pi,
            lambda: sp.E, lambda: sp.sqrt(2), lambda: sp.I, lambda: sp.Float(rng.random(), rng.choice([15, 30])),
            lambda: sp.Symbol("x"), lambda: sp.zoo, lambda: 1 / (sp.exp(q()) + 1) ** 2, lambda: sp.exp(sp.I * q()),
        ][rng.choice([0, 1, 1, 1, 2, 10, 0, 1] * 4 + list(range(12)) + [6, 11] * 4)]()

    sums = []
    while len(sums) < count:
        if rng.random() < 0.4:  # number + c·factor: the exception when the number is positive and c negative
            total = sp.Add(q(), sp.Mul(q(), atom()))
        else:
            total = sp.Add(*(sp.Mul(q(), *(atom() for _ in range(rng.randint(0, 2)))) for _ in range(rng.randint(2, 4))))
        if isinstance(total, sp.Add):
            sums.append(total)
    return sums


def test_sums_of_numbers_are_put_in_sympys_order():
    """``numbers_in_order`` gives ``as_ordered_terms()`` for every sum it orders (with floats remembered
    across all of them), declines a sum with a symbol or a complex term, and the remembering string printer still
    writes ``sp.sstr``; both orders of the exception's shape occur."""
    from symnn.core.decimals import _RememberingStrPrinter, numbers_in_order

    rng = random.Random(31)
    floats: dict[sp.Basic, complex] = {}
    printer = _RememberingStrPrinter()
    ordered = declined = exception = 0
    for total in _numeric_sums(rng, 1500):
        got = numbers_in_order(total, floats)
        if got is None:
            declined += 1
            assert total.free_symbols or total.has(sp.zoo) or total.has(sp.nan) or total.has(sp.I), total
        else:
            assert got == total.as_ordered_terms(), total
            ordered += 1
            exception += len(got) == 2 and _sign(got[0]) > 0 and _sign(got[1]) < 0
        assert printer.doprint(total) == sp.sstr(total)
    assert ordered > 800 and declined > 20 and exception > 20 and floats


def _sign(term: sp.Basic) -> int:
    """The sign of a real term's value (0 for a complex or infinite one)."""
    try:
        value = complex(term)
    except (TypeError, ValueError):
        return 0
    return 0 if value.imag or value.real != value.real else (value.real > 0) - (value.real < 0)


# ----- products and sums whose signs and fractions the printers read off themselves ---------------


def _signed_terms(rng: random.Random, count: int) -> list[sp.Basic]:
    """Terms of the kinds a backpropagated sigmoid gives (c/(1 + e^q), c·e^q/(1 + e^q), c/(d·(1 + e^q)))
    and their near relatives the printers leave to SymPy (c = ±1, e^q with q < 0, another factor, a
    symbol, a sum with a common factor, unevaluated products with zoo or nan), with rationals, powers
    and exponentials."""
    x = sp.Symbol("x")

    def q(nonzero: bool = True) -> sp.Rational:
        value = sp.Rational(rng.randint(-40, 40), rng.choice([1, 1, 2, 5, 10, 100, 1000, 3, 7]))
        return value if value or not nonzero else sp.Rational(1, 3)

    def total() -> sp.Basic:
        return rng.choice([lambda: 1 + sp.exp(q()), lambda: sp.exp(q()) + 1, lambda: 2 + 3 * sp.exp(q()),
                           lambda: 1 + x, lambda: sp.exp(q()) - 1, lambda: q() + sp.exp(q()) + sp.exp(q())])()

    def term() -> sp.Basic:
        return rng.choice([
            lambda: q() / total(), lambda: q() / total(), lambda: q() * sp.exp(abs(q())) / total(),
            lambda: q() * sp.exp(q()) / total(), lambda: -1 / total(), lambda: sp.exp(q()) / total(),
            lambda: q() * x / total(), lambda: q() / total() ** 2, lambda: q() / (total() * total()),
            lambda: q(), lambda: sp.exp(q()), lambda: 1 / total(), lambda: q() * sp.exp(q()),
            lambda: sp.Mul(q(), sp.Integer(rng.randint(-3, 3)), evaluate=False), lambda: q() * x,
            lambda: sp.Mul(q(), sp.zoo, evaluate=False), lambda: sp.Mul(q(), sp.zoo, x, evaluate=False),
            lambda: sp.Mul(q(), x, sp.zoo, evaluate=False), lambda: sp.Mul(q(), sp.nan, x, evaluate=False),
        ])()

    return [term() for _ in range(count)]


def test_signs_read_off_a_term_are_sympys():
    from symnn.core.decimals import minus_sign

    read = 0
    for t in _signed_terms(random.Random(3), 3000):
        sign = minus_sign(t)
        if sign is not None:
            assert sign == t.could_extract_minus_sign(), t
            read += 1
    assert read > 2000


def test_fractions_and_sums_written_directly_are_sympys():
    """Every product and sum of the generated terms prints as SymPy's own ``_print_Mul``/``_print_Add``
    print it on the same printer, in LaTeX and in the answer key's ``sstr`` form (and ``sp.sstr``
    agrees); most products are of the form written directly."""
    from sympy.printing.str import StrPrinter

    from symnn.core.decimals import _RememberingStrPrinter, rational_over_sum

    rng = random.Random(8)
    terms = _signed_terms(rng, 1200)
    sums = [sp.Add(*rng.sample(terms, rng.randint(2, 4))) for _ in range(600)]
    direct = 0
    for expr in terms + sums:
        latex_printer, str_printer = SheetLatexPrinter(), _RememberingStrPrinter()
        if isinstance(expr, sp.Mul):  # (the sheet writes -1·x as -x, and a product of numbers as built)
            direct += rational_over_sum(expr) is not None
            if expr.args[0] != -1 and not all(f.is_Number for f in expr.args):
                assert latex_printer._print_Mul(expr) == LatexPrinter._print_Mul(latex_printer, expr), expr
            assert str_printer._print_Mul(expr) == StrPrinter._print_Mul(str_printer, expr), expr
        if isinstance(expr, sp.Add):
            assert latex_printer._print_Add(expr) == LatexPrinter._print_Add(latex_printer, expr), expr
            assert str_printer._print_Add(expr) == StrPrinter._print_Add(str_printer, expr), expr
        assert str_printer.doprint(expr) == sp.sstr(expr)
    assert direct > 150


def test_values_over_one_plus_exp_are_what_together_gives():
    """``tidy`` leaves c·e^r/(1 + e^q) as it is without running ``together``: for random such values and
    their near relatives (other coefficients in the sum, a square, two sums, a symbol), the quick
    answer is ``together``'s whenever it is given, and it is given for most of the family."""
    from symnn.library.engine.domains.symbolic import over_one_plus_exp, tidy

    rng = random.Random(17)
    x = sp.Symbol("x")

    def q() -> sp.Rational:
        return sp.Rational(rng.randint(-30, 30) or 7, rng.choice([1, 2, 10, 100, 1000, 3]))

    quick = 0
    for _ in range(800):
        e, total = sp.exp(q()), rng.choice([1 + sp.exp(q()), sp.exp(q()) + 1, 2 + 4 * sp.exp(q()),
                                            1 + 2 * sp.exp(q()), 1 + x, 1 + sp.exp(x), 3 + sp.exp(q())])
        value = rng.choice([q() / total, q() * e / total, e / total, 1 / total, q() / total ** 2,
                            q() / (total * (1 + sp.exp(q()))), q() * x / total, -e / total])
        if over_one_plus_exp(value):
            quick += 1
            assert sp.together(value) == value, value
        assert tidy(value) == (value if value.count_ops() > 40 else sp.together(value))
    assert quick > 50


def test_sigmoid_outputs_and_deltas_over_one_denominator_are_what_together_gives():
    """1/(1 + e^-a), -1 + 1/(1 + e^±a) are written over 1 + e^a directly: for random a of both signs
    and shifts 0, -1 (and -1/2, 1, 2 + ..., which go to together), ``tidy`` gives ``together``'s tree."""
    from symnn.library.engine.domains.symbolic import sigmoid_over_one_denominator, tidy

    rng = random.Random(29)
    quick = 0
    for _ in range(600):
        q = sp.Rational(rng.randint(-3000, 3000) or 1, rng.choice([1, 10, 100, 1000, 7]))
        shift = rng.choice([0, -1, -1, sp.Rational(-1, 2), 1])
        value = shift + rng.choice([1 / (1 + sp.exp(q)), 1 / (1 + sp.exp(q)), 1 / (2 + sp.exp(q)),
                                    sp.exp(q) / (1 + sp.exp(q))])
        direct = sigmoid_over_one_denominator(value)
        expected = sp.together(value)
        if direct is not None:
            quick += 1
            assert sp.srepr(direct) == sp.srepr(expected), value
        assert sp.srepr(tidy(value)) == sp.srepr(expected), value
    assert quick > 150


# ----- logarithms of sigmoid values put into a loss ------------------------------------------------


def test_known_logarithms_put_into_a_rule_give_what_xreplace_gives():
    """``substitute`` builds the logarithm of a sigmoid value (or its complement) as it stands and a
    zero times such logarithms as 0; for every built-in loss term and activation, at sigmoid values,
    complements, rationals (0 and 1 included) and other irrationals, with targets 0, 1 and between, it
    gives the tree ``xreplace`` gives, and the quick rules are used for most sigmoid values."""
    from symnn.core import calculus
    from symnn.core.calculus import ACTIVATIONS, LOSSES, a, alpha, substitute, x, y

    rng = random.Random(23)

    def q() -> sp.Rational:
        return sp.Rational(rng.randint(-2000, 2000) or 3, rng.choice([1, 10, 100, 1000]))

    def value() -> sp.Basic:
        return rng.choice([
            lambda: 1 / (1 + sp.exp(q())), lambda: 1 - 1 / (1 + sp.exp(q())), lambda: 1 / (1 + sp.exp(q())),
            lambda: sp.Rational(rng.randint(0, 10), 10), lambda: sp.Integer(rng.choice([0, 1, 2, -1])),
            lambda: sp.exp(q()) / (1 + sp.exp(q())), lambda: 1 / (2 + sp.exp(q())), lambda: sp.tanh(q()),
            lambda: 1 / (1 + sp.exp(q())) ** 2, lambda: 1 + 1 / (1 + sp.exp(q())),
        ])()

    forms = [(loss.term, (y, a)) for loss in LOSSES.values()]
    forms += [(rule, (x,)) for act in ACTIVATIONS.values() for rule in (act.definition, act.derivative)
              if rule.has(sp.log)]
    quick = 0
    for form, symbols in forms:
        for _ in range(60):
            values = {s: (sp.Integer(rng.choice([0, 1])) if s == y and rng.random() < 0.8 else value())
                      for s in symbols}
            values[alpha] = sp.Rational(1, 100)
            got, expected = substitute(form, values), form.xreplace(values)
            assert sp.srepr(got) == sp.srepr(expected), (form, values)
            quick += any(calculus.sigmoid_between_zero_and_one(v) for v in values.values())
    assert len(forms) >= 5 and quick > 100
    # inside evaluate(False) a zero times the logarithms stays a product, as xreplace leaves it
    loss = LOSSES["bce"].term
    for target in (0, 1):
        values = {y: sp.Integer(target), a: 1 / (1 + sp.exp(q()))}
        with sp.evaluate(False):
            got, expected = substitute(loss, values), loss.xreplace(values)
        assert sp.srepr(got) == sp.srepr(expected) and got.has(sp.log(values[a], evaluate=False))


def test_given_matrices_remembered_are_the_matrices_built_afresh():
    """``to_matrix`` remembers tuples of Fractions and ints (equal entries of either type give the same
    SymPy numbers) and builds anything else afresh; each is the matrix of its own entries."""
    from symnn.sheets.build import exact, to_matrix

    rng = random.Random(37)
    for _ in range(300):
        rows, cols = rng.randint(1, 3), rng.randint(1, 3)
        m = tuple(tuple(rng.choice([Fraction(rng.randint(-9, 9), rng.choice([1, 2, 10])), rng.randint(-2, 2)])
                        for _ in range(cols)) for _ in range(rows))
        fresh = sp.ImmutableMatrix([[exact(v) for v in row] for row in m])
        for given in (m, [list(row) for row in m]):
            assert sp.srepr(to_matrix(given)) == sp.srepr(fresh)
    assert to_matrix(()) == sp.ImmutableMatrix([]) and to_matrix(((Fraction(1, 1),),)) == to_matrix(((1,),))


def test_logarithms_of_softmax_outputs_put_into_a_loss_give_what_xreplace_gives():
    """``substitute`` builds the logarithm of a softmax output e^q/(Σ e^r) as it stands and a zero times
    it as 0: for outputs of 2 to 6 classes with scores that repeat, are 0 or 1 (SymPy writes e^0 = 1 and
    e^1 = e) or large, in the cross-entropy's term with targets 0, 1 and between, it gives the tree
    ``xreplace`` gives, and the quick rule is used for most of them."""
    from symnn.core.calculus import LOSSES, a, softmax_definition, softmax_share, softmax_symbols, substitute, y

    rng = random.Random(41)
    term = LOSSES["cross_entropy"].term
    quick = 0
    for _ in range(400):
        n = rng.randint(2, 6)
        scores = [rng.choice([sp.Integer(0), sp.Integer(1), sp.Rational(rng.randint(-300, 300), rng.choice([1, 10, 20])),
                              sp.Rational(rng.randint(-5, 5), 10)]) for _ in range(n)]
        outputs = [s.xreplace(dict(zip(softmax_symbols(n).z, scores))) for s in softmax_definition(n)]
        for output in outputs:
            target = rng.choice([sp.Integer(0), sp.Integer(0), sp.Integer(1), sp.Rational(1, 3)])
            values = {y: target, a: output}
            got, expected = substitute(term, values), term.xreplace(values)
            assert sp.srepr(got) == sp.srepr(expected), values
            quick += softmax_share(output)
    assert quick > 600
