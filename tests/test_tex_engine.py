"""The LaTeX document in a real TeX engine, and the PDF's text read back with pdftotext.

Skipped with a reason when no engine (or poppler) is installed; CI installs them
(.ci/install-tools).  The expected numbers are computed here with the math module,
independently of symnn.
"""

from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path

import pytest
import sympy as sp
from publish_tools import artifacts, require_tool

from symnn.sheets.render import plots
from symnn.sheets.render.latex import UNICODE_LATEX, UNICODE_TEXT, to_latex
from symnn.sheets.render.pdf import ENGINES, TEX_FLAGS, Engine, TexError, compile_latex, find_engine
from symnn.sheets.steps import Derivation, Equation, Prose, Quantity, Sheet

OVERFULL = re.compile(r"^Overfull \\[hv]box \((\d+(?:\.\d+)?)pt too (?:wide|high)\)", re.MULTILINE)
TOLERANCE_PT = 5.0


def require_engine() -> None:
    if find_engine() is None:
        pytest.skip("no TeX engine (latexmk, pdflatex, lualatex, tectonic) on PATH; .ci/install-tools installs one")


def pdf_text(pdf: bytes, folder: Path) -> str:
    require_tool("pdftotext", "poppler-utils reads the PDF's text")
    path = folder / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout


def worst_overfull(log: str) -> float:
    return max((float(m) for m in OVERFULL.findall(log)), default=0.0)


@pytest.fixture(scope="module")
def seed_pdf(tmp_path_factory, seed_sheet):
    require_engine()
    sheet = seed_sheet
    tex = to_latex(sheet, figure_prefix="seed-")
    compiled = compile_latex(tex, plots.figure_files(sheet, "seed-", "pdf"), stem="seed")
    folder = tmp_path_factory.mktemp("pdf")
    (artifacts() / "seed.pdf").write_bytes(compiled.pdf)
    return sheet, compiled, pdf_text(compiled.pdf, folder)


def test_seed_sheet_compiles_cleanly(seed_pdf):
    _, compiled, _ = seed_pdf
    assert compiled.pdf.startswith(b"%PDF")
    assert "Undefined control sequence" not in compiled.log
    assert "not set up for use with LaTeX" not in compiled.log  # every Unicode character is declared
    assert "Missing character" not in compiled.log
    assert worst_overfull(compiled.log) <= TOLERANCE_PT, OVERFULL.findall(compiled.log)


def minus(text: str) -> str:
    return text.replace("-", "\u2212")  # TeX prints a minus sign, not a hyphen


def test_pdf_text_holds_the_key_results(seed_pdf):
    sheet, _, text = seed_pdf
    flat = " ".join(text.split())
    for d in sheet.derivations:
        assert d.title in flat
    sigmoid = [1 / (1 + math.exp(-x)) for x in (-2, -1, 1, 2)]
    w, grad, lam, lr = [1, -2, 0.5], [0.1, -0.4, 0.2], 0.01, 0.1
    updated = [wi - lr * (gi + 2 * lam * wi) for wi, gi in zip(w, grad)]
    expected = [
        f"ln (2) ≈ {math.log(2):.3f}",                 # ex2: BCE loss at ŷ = 1/2
        f"≈ {-math.log(0.4):.3f}",                      # ex7: BCE loss at ŷ = 0.4
        *(f"{s:.3f}" for s in sigmoid),                # ex4: σ at the given points
        *(minus(f"{u:.3f}") for u in updated),          # ex6: one regularised step
        f"{0.01 * sum(v * v for v in w):g}",           # ex6: the penalty
        "Final results",
    ]
    missing = [e for e in expected if e not in flat]
    assert not missing, f"not in the PDF text: {missing}"
    assert flat.count("Final results") == len(sheet.derivations)


def test_pdf_pages_rendered_for_people(seed_pdf, tmp_path):
    require_tool("pdftoppm", "poppler-utils renders PDF pages")
    _, compiled, _ = seed_pdf
    source = tmp_path / "seed.pdf"
    source.write_bytes(compiled.pdf)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "2", str(source),
                    str(artifacts() / "seed-pdf-page")], check=True)
    assert sorted(p.name for p in artifacts().glob("seed-pdf-page-*.png"))[:2]


def stress_sheet() -> Sheet:
    """Every special character in prose, every declared Unicode character, a very wide
    matrix and a long chain: the document must still compile and stay inside the margins."""
    specials = "Specials: # $ % & ~ _ ^ \\ { } < > | and 100% sure."
    unicode_text = "Unicode: " + " ".join([*UNICODE_LATEX, *UNICODE_TEXT])
    wide = sp.ImmutableMatrix([[sp.Rational(10**9 + k, 7) for k in range(16)]])
    x = sp.Symbol("x")
    long_sum = sp.Add(*[sp.Mul(sp.Rational(k, 3), sp.Symbol(f"w_{k}"), evaluate=False) for k in range(1, 25)],
                      evaluate=False)
    steps = (
        Prose((specials,)),
        Prose((unicode_text, " and in math ", sp.Symbol("ΣW²") + sp.Symbol("ŷ"))),
        Equation(sp.Symbol("M"), None, (), wide),
        Equation(sp.Symbol("S"), long_sum, (long_sum.subs(x, 1), long_sum), sp.Rational(1, 3) + sp.sqrt(2)),
    )
    d = Derivation("ex1", "forward", "Stress & 100% {edge} cases", steps,
                   (Quantity("M", sp.Symbol("M"), wide, "a wide matrix"),), ("M",))
    return Sheet("Stress test: $ & _ #", (d,))


@pytest.mark.parametrize("engine", ["pdflatex", "lualatex"])
def test_special_characters_wide_matrices_and_long_chains_fit(tmp_path, engine):
    require_tool(engine, "a TeX engine symnn falls back to")
    compiled = compile_latex(to_latex(stress_sheet()), stem="stress", engine=Engine(engine, TEX_FLAGS))
    assert "Undefined control sequence" not in compiled.log
    assert "Missing character" not in compiled.log
    assert worst_overfull(compiled.log) <= TOLERANCE_PT, OVERFULL.findall(compiled.log)
    text = pdf_text(compiled.pdf, tmp_path)
    assert "Specials: # $ % & ~ _ ^ \\ { } < > | and 100% sure." in text
    assert "Stress & 100% {edge} cases" in text


def test_a_failing_compile_names_the_first_error_and_its_line():
    require_engine()
    document = "\\documentclass{article}\n\\begin{document}\nfine\n\\notacommand\n\\end{document}\n"
    with pytest.raises(TexError) as caught:
        compile_latex(document)
    assert caught.value.line == 4
    assert "Undefined control sequence" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_cli_keeps_the_tex_and_writes_no_pdf_when_tex_fails(tmp_path, capsys, monkeypatch):
    require_engine()
    import symnn.sheets.pipeline
    from symnn.cli import main

    broken = "\\documentclass{article}\n\\begin{document}\n\\brokenmacro\n\\end{document}\n"
    monkeypatch.setattr(symnn.sheets.pipeline, "to_latex", lambda *a, **k: broken)
    code = main(["sheet", "--format", "pdf", "--out", str(tmp_path), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "line 3" in err and "Undefined control sequence" in err
    assert (tmp_path / "seed.tex").read_text() == broken
    assert not (tmp_path / "seed.pdf").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "a temporary file was left behind"


def fake_programs(folder: Path, names: list[str]) -> None:
    for name in names:
        program = folder / name
        program.write_text("#!/bin/sh\nexit 0\n")
        program.chmod(0o755)


@pytest.mark.parametrize("present, chosen", [
    (["tectonic", "lualatex", "pdflatex", "latexmk"], "latexmk"),
    (["tectonic", "lualatex", "pdflatex"], "pdflatex"),
    (["tectonic", "lualatex"], "lualatex"),
    (["tectonic"], "tectonic"),
])
def test_engines_are_tried_in_order(tmp_path, monkeypatch, present, chosen):
    fake_programs(tmp_path, present)
    monkeypatch.setenv("PATH", str(tmp_path))
    engine = find_engine()
    assert engine is not None and engine.name == chosen
    assert [e.name for e in ENGINES] == ["latexmk", "pdflatex", "lualatex", "tectonic"]


@pytest.mark.parametrize("argv", [["--format", "pdf"], ["--pdf"], ["--format", "md", "--pdf"]])
def test_asking_for_pdf_without_an_engine_says_what_to_install(tmp_path, monkeypatch, capsys, argv):
    from symnn.cli import main

    monkeypatch.setenv("PATH", str(tmp_path))
    code = main(["sheet", "--out", str(tmp_path / "out"), "--quiet", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "no TeX engine found" in err and "install" in err
    assert not (tmp_path / "out").exists()
