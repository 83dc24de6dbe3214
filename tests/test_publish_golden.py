"""Golden files of the printed and published formats, and the committed output/ folder.

``tests/snapshots/seed.tex`` and ``seed.html`` are produced by the code and reviewed as
diffs (the .html opens in a browser).  Regenerate them, and output/, only with
``python -m pytest tests/test_publish_golden.py --update-golden``.

Both hold plots drawn by matplotlib, whose output changes between its versions: the
version that drew them is recorded beside them, and the comparison is skipped (with
the reason) under another version rather than failing on a library upgrade.
"""

from __future__ import annotations

import pytest
from publish_tools import ROOT, SNAPSHOTS, matplotlib_version

from symnn.cli import main
from symnn.sheets.render.html import to_html
from symnn.sheets.render.latex import to_latex

VERSION_FILE = SNAPSHOTS / "matplotlib-version.txt"
OUTPUT = ROOT / "output"


def require_recorded_matplotlib(update: bool) -> None:
    installed = matplotlib_version()
    if installed is None:
        pytest.skip("matplotlib is not installed; the golden files hold its plots (pip install 'symnn[plots]')")
    if update:
        VERSION_FILE.write_text(installed + "\n", encoding="utf-8")
        return
    recorded = VERSION_FILE.read_text(encoding="utf-8").strip() if VERSION_FILE.exists() else "none"
    if recorded != installed:
        pytest.skip(f"golden plots were drawn by matplotlib {recorded}, this is {installed}; "
                    "review and run pytest --update-golden")


@pytest.mark.parametrize("name, render", [
    ("seed.tex", lambda s: to_latex(s, figure_prefix="seed-")),
    ("seed.html", to_html),
])
def test_golden(seed_sheet, update_golden, name, render):
    require_recorded_matplotlib(update_golden)
    text = render(seed_sheet)
    path = SNAPSHOTS / name
    if update_golden:
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{name} changed; review the diff and run --update-golden"


def test_committed_output_matches_the_code(tmp_path, update_golden, monkeypatch):
    """``symnn sheet`` with no arguments regenerates output/ byte for byte (PDFs excepted:
    TeX embeds font subsets whose bytes depend on the TeX installation)."""
    require_recorded_matplotlib(update_golden)
    target = OUTPUT if update_golden else tmp_path
    assert main(["sheet", "--out", str(target), "--quiet"]) == 0
    produced = sorted(p.name for p in target.iterdir() if not p.name.startswith("."))
    for name in produced:
        if name.endswith(".pdf") and not name.startswith("seed-"):
            continue
        committed = OUTPUT / name
        assert committed.is_file(), f"output/{name} is missing; run `symnn sheet` and commit it"
        assert committed.read_bytes() == (target / name).read_bytes(), f"output/{name} is stale; run `symnn sheet`"
    stale = sorted({p.name for p in OUTPUT.iterdir()} - set(produced))
    if update_golden:
        for name in stale:
            (OUTPUT / name).unlink()
        stale = []
    assert not stale, f"output/ has files the code no longer writes: {stale}"
