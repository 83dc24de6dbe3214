"""Golden files: the seed sheet's Markdown and JSON (output/ is checked in test_publish_golden).

Golden files are produced by the code and reviewed as diffs; regenerate them with
``python -m pytest tests/test_golden.py --update-golden``, never by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from symnn.sheets.render.json import to_json
from symnn.sheets.render.markdown import to_markdown

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOTS = ROOT / "tests" / "snapshots"


@pytest.mark.parametrize("name, render", [("seed.md", to_markdown), ("seed.json", to_json)])
def test_golden(seed_sheet, update_golden, name, render):
    text = render(seed_sheet)
    path = SNAPSHOTS / name
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{name} changed; review and run with --update-golden"


def test_unreadably_long_exact_forms_stay_in_the_key_not_on_the_sheet(mazur_sheet):
    import json

    from symnn.sheets.render.printing import LONGEST_ENTRY

    markdown = to_markdown(mazur_sheet)
    key = json.loads(to_json(mazur_sheet))
    exact = key["exercises"][0]["quantities"]["delta2"]["exact"]
    assert len(exact) > LONGEST_ENTRY  # nested exponentials: exact, but not for reading
    assert exact not in markdown
    assert r"\delta_{2} \approx" in markdown  # the sheet still gives the value
    assert max(len(line) for line in markdown.splitlines()) < 3000


def _examples() -> list[str]:
    from symnn.sheets.loading import builtin_sheets

    return [name for name in builtin_sheets() if name != "seed"]


@pytest.mark.parametrize("name", _examples())
@pytest.mark.parametrize("fmt", ["md", "json", "tex", "html"])
def test_builtin_example_golden(update_golden, name, fmt):
    """Every built-in example sheet (``symnn/sheets/examples/NAME.toml``) in every text format, solved
    and cross-checked with numpy: ``tests/snapshots/examples/NAME.FMT``."""
    from symnn.sheets.crosscheck import solve_checked
    from symnn.sheets.loading import load_builtin
    from symnn.sheets.render.html import to_html
    from symnn.sheets.render.latex import to_latex

    renderers = {"md": to_markdown, "json": to_json, "tex": to_latex, "html": to_html}
    text = renderers[fmt](solve_checked(load_builtin(name)))
    path = SNAPSHOTS / "examples" / f"{name}.{fmt}"
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{path.name} changed; review and run with --update-golden"
