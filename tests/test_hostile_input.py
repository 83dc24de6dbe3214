"""Hostile input, families 2 and 3: nothing hangs, and every refusal is one line with exit 2
naming the file (and the exercise and field where there is one)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import sympy as sp

import symnn
from symnn.cli import main

NETWORK = """title = "t"
[[exercise]]
kind = "network"
x = [0.5]
y = 1
loss = "mse"
[[exercise.layers]]
W = [[0.5]]
activation = {{ formula = "{formula}", name = "custom" }}
"""


def run(argv: list[str], capsys: pytest.CaptureFixture[str], limit: float = 30.0) -> tuple[int, str]:
    start = time.monotonic()
    code = main(argv)
    elapsed = time.monotonic() - start
    err = capsys.readouterr().err
    assert elapsed < limit, f"{argv} took {elapsed:.1f} s"
    assert "Traceback" not in err
    return code, err


def sheet(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, Path]:
    spec = tmp_path / "s.toml"
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    code, err = run(["sheet", str(spec), "--out", str(out), "--quiet", "--format", "md,json"], capsys)
    return code, err, out


def refused(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str], *words: str) -> str:
    code, err, out = sheet(tmp_path, text, capsys)
    assert code == 2, err
    assert err.startswith("symnn: error: ") and err.count("\n") == 1, err
    assert str(tmp_path / "s.toml") in err
    for word in words:
        assert word in err, err
    assert not out.exists()  # nothing written, not even an empty folder
    return err


FORWARD = 'title = "t"\n[[exercise]]\nkind = "forward"\nW = [[{w}, 1]]\nX = [1, 1]\nb = [0]\nactivation = "relu"\n'


@pytest.mark.parametrize("number", ["1e999999999", "1e-999999999", "1e101", "1." + "1" * 70, "9" * 5000])
def test_huge_exponents_and_digits_are_refused_when_read(tmp_path, capsys, number):
    refused(tmp_path, FORWARD.format(w=number), capsys)


def test_deeply_nested_arrays_are_refused(tmp_path, capsys):
    text = FORWARD.format(w="1").replace("W = [[1, 1]]", "W = " + "[" * 5000 + "1" + "]" * 5000)
    refused(tmp_path, text, capsys, "nested")


@pytest.mark.parametrize(("formula", "words"), [
    ("sqrt(x - 5)", ("exercise ex1", "not a finite real number")),
    ("log(x - 5)", ("exercise ex1", "not a finite real number")),
    ("1/(x - 0.25)", ("exercise ex1",)),
    ("((x^64)^64)^64", ("exercise ex1", "too large")),
    ("x^1000000", ("exercise ex1", "exponent")),
    ("x^x^x^x@1000", ("exercise ex1", "too large to compute exactly")),  # found by benchmarks/fuzz_cli.py
    ("((x^64)^64)^64@1e50", ("exercise ex1", "too large to compute exactly")),  # found by benchmarks/fuzz_cli.py
    ("exp(exp(exp(exp(x))))@1e50", ("exercise ex1", "too large to compute")),  # found by benchmarks/fuzz_cli.py
])
def test_bad_custom_formulas_are_one_line_errors(tmp_path, capsys, formula, words):
    formula, _, weight = formula.partition("@")
    text = NETWORK.format(formula=formula)
    refused(tmp_path, text.replace("W = [[0.5]]", f"W = [[{weight}]]") if weight else text, capsys, *words)


def test_exponent_towers_finish(tmp_path, capsys):
    for i, formula in enumerate(["x^x^x^x", "exp(exp(exp(exp(x))))"]):
        folder = tmp_path / str(i)
        folder.mkdir()
        code, err, _ = sheet(folder, NETWORK.format(formula=formula), capsys)
        assert code in (0, 2), err


def test_exact_training_past_the_digit_limit_is_one_line(tmp_path, capsys):
    text = ('title = "t"\n[[exercise]]\nkind = "network"\nx = [0.5, -0.2]\ny = 1\nloss = "mse"\nsteps = 5\n'
            'learning_rate = 0.37\n[[exercise.layers]]\nW = [[0.13, 0.71], [-0.29, 0.43]]\n'
            'activation = "leaky_relu"\n[[exercise.layers]]\nW = [[0.37, -0.51]]\nactivation = "leaky_relu"\n')
    code, err, _ = sheet(tmp_path, text, capsys)
    assert code in (0, 2), err  # solved (certified decimals) or refused in one line, never a traceback
    if code == 2:
        assert "exercise ex1" in err and err.count("\n") == 1


@pytest.mark.parametrize("command", ["sheet", "lint", "check"])
def test_devices_and_fifos_are_refused_without_reading(tmp_path, capsys, command):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    seed = Path(symnn.__file__).parent / "sheets" / "seed.toml"
    for target in ("/dev/zero", str(fifo)):
        argv = {"sheet": ["sheet", target, "--out", str(tmp_path / "o")], "lint": ["lint", target],
                "check": ["check", str(seed), target]}[command]
        code, err = run(argv, capsys, limit=60)
        assert code == 2 and "not a regular file" in err, err


def test_nul_in_arguments(tmp_path, capsys):
    for argv in (["sheet", "a\x00b"], ["lint", "a\x00b"], ["sheet", "--out", "x\x00y", "--format", "md"]):
        code, err = run(argv, capsys)
        assert code == 2 and "\\x00" in err and "\x00" not in err


def test_unwritable_and_overlong_output_folders(tmp_path, capsys):
    for out in ("/proc/symnn-test", str(tmp_path / ("n" * 300))):
        code, err = run(["sheet", "--out", out, "--format", "md", "--quiet"], capsys)
        assert code == 2 and out[:20] in err


def test_long_spec_names_give_short_output_names(tmp_path, capsys):
    spec = tmp_path / ("n" * 240 + ".toml")
    spec.write_text(FORWARD.format(w="1"), encoding="utf-8")
    code, err = run(["sheet", str(spec), "--out", str(tmp_path / "o"), "--format", "md", "--quiet"], capsys)
    assert code == 0, err
    names = [p.name for p in (tmp_path / "o").iterdir()]
    assert "n" * 80 + ".md" in names
    assert all(n.startswith("n" * 80) and not n.startswith("n" * 81) and len(n) < 120 for n in names), names


@pytest.mark.parametrize("make", [lambda: sp.I, lambda: 1 + sp.I, lambda: sp.sqrt(-2), lambda: sp.log(-1),
                                  lambda: 10**5000, lambda: sp.Rational(1, 10**5000)])
def test_library_refuses_complex_and_huge_entries(make):
    with pytest.raises(symnn.SymnnError):
        symnn.Network([symnn.Dense([[make()]], None, "relu")])


def test_oversized_matrices_are_refused_up_front_with_the_way_past(tmp_path, capsys, monkeypatch):
    rows = ", ".join("[" + ", ".join([str(i)] * 101) + "]" for i in range(101))
    text = f'title = "t"\n[[exercise]]\nkind = "preprocessing"\nX = [{rows}]\nddof = 0\n'
    err = refused(tmp_path, text, capsys, "10,201 entries", "SYMNN_MAX_ENTRIES")
    assert "about 15 s" in err
    monkeypatch.setenv("SYMNN_MAX_ENTRIES", "20000")
    from symnn.sheets.loading import parse_sheet

    assert parse_sheet(text).exercises[0].kind == "preprocessing"  # read (not solved) past the limit


def test_lint_of_a_long_single_chain_is_linear_and_long_links_are_bounded(capsys):
    from symnn.verify.lint.report import lint_text

    chain = " = ".join(["1 + 1"] * 2 + ["2"] * 20000)
    start = time.monotonic()
    report = lint_text("\n\n$$" + chain + "$$\n", "markdown", "c.md")
    assert time.monotonic() - start < 60
    assert {f.line for f in report.findings} == {3} and report.summary["ok"] == 20001
    long_link = "$$" + " + ".join(["1"] * 8000) + " = 8000$$\n"
    finding = lint_text(long_link, "markdown", "l.md").findings[0]
    assert finding.verdict == "not checked" and "20,000 characters" in finding.message


def test_float_cancellation_is_an_input_limit_not_a_bug(tmp_path, capsys):
    # 1e100 + 1 - 1e100 is exactly 1; float64 says 0: exit 2 naming the span, not exit 1 "bug".
    text = 'title = "t"\n[[exercise]]\nkind = "forward"\nW = [[1e100, 1]]\nX = [1, 1]\nb = [-1e100]\nactivation = "relu"\n'
    refused(tmp_path, text, capsys, "10^100", "exercise ex1 (forward), quantity Z")
    big_step = ('title = "t"\n[[exercise]]\nkind = "gradient_check"\nW = 0.5\nx = 2\nb = 0.1\ny = 1\n'
                'epsilon = 123456789012345678901234567890\n')  # found by benchmarks/fuzz_cli.py
    (tmp_path / "2").mkdir()
    refused(tmp_path / "2", big_step, capsys, "epsilon must be at most 1")


def test_huge_values_in_network_diagrams(tmp_path, capsys):
    # found by benchmarks/fuzz_cli.py: a 100-digit gradient in the diagram's labels overflowed
    # decimal_text's 80-digit Decimal context (InvalidOperation)
    text = NETWORK.format(formula="exp(exp(exp(exp(x))))").replace("y = 1", "y = 1e100")
    code, err, out = sheet(tmp_path, text, capsys)
    assert code in (0, 2) and "Traceback" not in err


def test_decimal_text_of_any_size():
    from fractions import Fraction

    from symnn.core.decimals import decimal_text

    value = Fraction(10**150 + 2, 3)  # (10^150 + 2) / 3 = 33…34 exactly: 150 digits
    assert decimal_text(value, 3) == "3" * 149 + "4.000"
    assert decimal_text(value + Fraction(1, 8), None) == "3" * 149 + "4.125"


def test_a_kind_that_is_not_text_is_a_one_line_error(tmp_path, capsys):
    """Found by the fuzz campaign: ``kind .x = "activations"`` (a TOML dotted key) makes kind a table."""
    from symnn.cli import main

    sheet = tmp_path / "s.toml"
    sheet.write_text('title = "t"\n[[exercise]]\nkind .x = "activations"\nx = [1, 2]\n', encoding="utf-8")
    for argv in (["sheet", str(sheet), "--out", str(tmp_path / "o")],
                 ["variants", str(sheet), "--count", "1", "--out", str(tmp_path / "v")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "kind must be text, got a table" in err
