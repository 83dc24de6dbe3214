"""The library API (issue 11): ``symnn.lint`` and ``symnn.check`` return report objects
with findings, a summary, JSON and an HTML view for Jupyter."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

import symnn
from symnn.errors import SymnnError

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_lint_text_summary_json_and_html() -> None:
    assert Fraction("0.2") * Fraction("0.4") == Fraction("0.08")
    report = symnn.lint(r"Sum: $0.2 + 0.4 = 0.6$, product: $0.2 \cdot 0.4 = 0.8$")
    assert report.summary == {"ok": 1, "rounding": 0, "error": 1, "not checked": 0}
    assert [f.text for f in report.errors] == [r"0.2 \cdot 0.4 = 0.8"]
    data = json.loads(report.to_json())
    assert data["summary"]["error"] == 1 and data["findings"][1]["verdict"] == "error"
    html = report._repr_html_()
    assert html.startswith("<div") and "<math" in html and "<script" not in html
    assert "mark error" in html
    assert report.to_html().startswith("<!DOCTYPE html>")
    assert "1 error" in repr(report)


def test_lint_plain_text_and_paths(tmp_path: Path) -> None:
    assert symnn.lint("0.4 × 0.5 + 0.6 = 0.8").summary["ok"] == 1  # no delimiters: plain text
    sheet = tmp_path / "sheet.md"
    sheet.write_text("$1 + 1 = 3$\n", encoding="utf-8")
    assert symnn.lint(sheet).summary["error"] == 1
    assert symnn.lint(str(sheet)).report.source == str(sheet)
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text(
        json.dumps({"cells": [{"cell_type": "markdown", "source": "$1 + 1 = 3$"}], "nbformat": 4}),
        encoding="utf-8",
    )
    result = symnn.lint(notebook)
    assert result.findings[0].cell == 1 and "<math" in result._repr_html_()
    with pytest.raises(SymnnError, match="unknown format"):
        symnn.lint("$1 = 1$", format="word")  # type: ignore[arg-type]


def test_check_mapping_and_file() -> None:
    import math

    assert round(math.log(2), 3) == 0.693  # L = ln 2 in the seed's exercise 2
    report = symnn.check(None, {"ex2": {"L": Decimal("0.693")}})
    assert report.summary["rounding"] == 1 and not report.wrong
    assert json.loads(report.to_json())["results"][0]["verdict"] == "rounding"
    assert "<table" in report._repr_html_()
    from_file = symnn.check(None, FIXTURES / "seed_answers.toml")
    assert sum(from_file.summary.values()) == len(from_file.results) > 0
    assert "quantities" in repr(from_file)
