"""Golden files: the seed sheet's Markdown and JSON, and the committed output/ folder.

Golden files are produced by the code and reviewed as diffs; regenerate them with
``python -m pytest tests/test_golden.py --update-golden``, never by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from symnn.render.json import to_json
from symnn.render.markdown import to_markdown
from symnn.sheet import solve_checked
from symnn.spec import load_sheet

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOTS = ROOT / "tests" / "snapshots"


@pytest.fixture(scope="module")
def seed_sheet():
    return solve_checked(load_sheet())


@pytest.mark.parametrize("name, render", [("seed.md", to_markdown), ("seed.json", to_json)])
def test_golden(seed_sheet, update_golden, name, render):
    text = render(seed_sheet)
    path = SNAPSHOTS / name
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{name} changed; review and run with --update-golden"


def test_committed_output_matches_the_code(tmp_path):
    from symnn.cli import main

    assert main(["sheet", "--out", str(tmp_path), "--quiet"]) == 0
    committed = ROOT / "output"
    for produced in sorted(tmp_path.iterdir()):
        if produced.suffix == ".pdf":
            continue
        mine = committed / produced.name
        assert mine.is_file(), f"output/{produced.name} is missing; run `symnn sheet` and commit it"
        assert mine.read_bytes() == produced.read_bytes(), f"output/{produced.name} is stale; run `symnn sheet`"
