"""``--detail brief``: per quantity its formula, substitution and result — the compact key teachers hand out.

Golden files of the seed, softmax and sigmoid sheets in the brief form live in
``tests/snapshots/brief/`` (the full forms are the other golden files); regenerate them with
``python -m pytest tests/test_brief.py --update-golden`` and review the diff.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from symnn.sheets.steps import Equation, Heading, Sheet, brief, with_detail
from symnn.verify.lint.report import lint_text

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "brief"
SHEETS = ("seed", "softmax", "sigmoid")
FORMATS = {"md": "markdown", "tex": "latex", "html": "html"}


@cache
def full(name: str) -> Sheet:
    from symnn.sheets.crosscheck import solve_checked
    from symnn.sheets.loading import load_builtin

    return solve_checked(load_builtin(name))


def rendered(name: str, fmt: str) -> str:
    from symnn.sheets.render.html import to_html
    from symnn.sheets.render.latex import to_latex
    from symnn.sheets.render.markdown import to_markdown

    render = {"md": to_markdown, "tex": to_latex, "html": to_html}[fmt]
    return render(with_detail(full(name), "brief"))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", SHEETS)
def test_brief_golden(update_golden, name, fmt):
    text = rendered(name, fmt)
    path = SNAPSHOTS / f"{name}.{fmt}"
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{path.name} changed; review and run with --update-golden"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", SHEETS)
def test_every_link_of_the_brief_key_lints_correct(name, fmt):
    report = lint_text(rendered(name, fmt), FORMATS[fmt])
    problems = [f for f in report.findings if f.verdict in ("error", "rounding")]
    assert not problems, "\n".join(f"{f.line}: {f.text} -> {f.verdict}: {f.message}" for f in problems)
    assert sum(1 for f in report.findings if f.verdict == "ok") >= 10


@pytest.mark.parametrize("name", SHEETS)
def test_brief_keeps_formula_last_substitution_and_result_of_every_shown_quantity(name):
    for d in full(name).derivations:
        short = brief(d)
        assert all(isinstance(s, Equation | Heading) for s in short.steps)
        kept = {s.quantity: s for s in short.steps if isinstance(s, Equation)}
        for step in d.steps:
            if isinstance(step, Equation) and step.quantity is not None:
                b = kept[step.quantity]
                assert (b.lhs, b.formula, b.exact, b.exact_shown) == (step.lhs, step.formula, step.exact,
                                                                       step.exact_shown)
                assert b.substituted == step.substituted[-1:]
        # Headings only above something kept; final results only for what no equation shows.
        assert not any(isinstance(a, Heading) and isinstance(b, Heading) for a, b in zip(short.steps, short.steps[1:]))
        assert not short.steps or not isinstance(short.steps[-1], Heading)
        assert set(short.summary) == set(d.summary) - set(kept)
        assert short.values() == d.values()  # the answer key is the same


def test_the_cli_writes_the_brief_key_beside_the_full_sheet(tmp_path):
    from symnn.cli import main
    from symnn.commands.sheet import DETAIL_NAMES
    from symnn.sheets.steps import DETAILS

    assert DETAIL_NAMES == DETAILS
    assert main(["sheet", "sigmoid", "--detail", "brief", "--format", "md,json", "--out", str(tmp_path), "-q"]) == 0
    assert main(["sheet", "sigmoid", "--format", "md", "--out", str(tmp_path), "-q"]) == 0
    assert {"sigmoid-brief.json", "sigmoid-brief.md", "sigmoid.md"} <= {p.name for p in tmp_path.iterdir()}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("sigmoid-brief-")]  # no plots in a brief key
    short, long = (tmp_path / "sigmoid-brief.md").read_text(), (tmp_path / "sigmoid.md").read_text()
    assert "Brief answer key" in short and len(short) < len(long) / 2
    assert "SymPy confirms" not in short and "SymPy confirms" in long


def test_variants_write_brief_teacher_sheets():
    from symnn.sheets.variants import generate_variants

    sheet = """
[[exercise]]
kind = "forward"
W = { random = "uniform", low = -1, high = 1, step = 0.5, shape = [2, 2] }
X = [1, 2]
activation = "sigmoid"
"""
    full_key, brief_key = (generate_variants(sheet, 1, seed=3, detail=d)[0] for d in ("full", "brief"))
    assert brief_key.key == full_key.key and brief_key.student == full_key.student
    assert "SymPy confirms" in full_key.teacher and "SymPy confirms" not in brief_key.teacher
    assert r"A = \sigma\left(Z\right)" in brief_key.teacher
