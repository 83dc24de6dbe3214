"""``symnn lint`` over several sheets (a class's hand-ins): each file's report, one JSON document, the
worst exit code, and a file that cannot be read reported without stopping the others."""

from __future__ import annotations

import json

from symnn.cli import main

GOOD = "$$0.5 + 0.25 = 0.75$$\n"
BAD = "$$0.5 + 0.25 = 0.95$$\n"


def test_each_sheet_gets_its_table_and_the_worst_exit_code_wins(tmp_path, capsys):
    good, bad = tmp_path / "good.md", tmp_path / "bad.md"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(BAD, encoding="utf-8")
    assert main(["lint", str(good)]) == 0
    capsys.readouterr()
    assert main(["lint", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{good}: 1 links: 1 ok" in out and f"{bad}: 1 links: 0 ok, 0 rounding, 1 error" in out
    assert out.rstrip().endswith("2 sheets: errors found")


def test_several_sheets_as_one_json_document_with_unreadable_files_in_place(tmp_path, capsys):
    good = tmp_path / "good.md"
    good.write_text(GOOD, encoding="utf-8")
    missing = tmp_path / "missing.md"
    assert main(["lint", str(good), str(missing), "--json"]) == 2
    captured = capsys.readouterr()
    files = json.loads(captured.out)["files"]
    assert [f["file"] for f in files] == [str(good), str(missing)]
    assert files[0]["summary"]["ok"] == 1 and "no such file" in files[1]["error"]
    assert captured.err.count("\n") == 1


def test_an_html_report_is_for_one_sheet(tmp_path, capsys):
    good = tmp_path / "good.md"
    good.write_text(GOOD, encoding="utf-8")
    assert main(["lint", str(good), str(good), "--format", "html"]) == 2
    assert "one page per sheet" in capsys.readouterr().err
