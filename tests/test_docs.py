"""The user guide (docs/): MkDocs builds it with warnings as errors, and it stays in step with the code.

Its Python examples run as doctests with the suite (``--doctest-glob=docs/*.md`` in pyproject); the
exercise-kind reference is generated from the kinds' declarations (tests/test_kinds.py keeps
``docs/kinds.md`` equal to it).  Here: the site builds strictly, every page is in the navigation,
and every command the guides show is one the CLI accepts.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_mkdocs_builds_the_guide_strictly(tmp_path):
    pytest.importorskip("mkdocs")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    for page in DOCS.glob("*.md"):
        assert (tmp_path / "site" / ("" if page.stem == "index" else page.stem) / "index.html").is_file()


def test_every_page_is_in_the_navigation():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in DOCS.glob("*.md"):
        assert f": {page.name}" in nav, f"{page.name} is not in mkdocs.yml's nav"


def shown_commands() -> list[tuple[str, list[str]]]:
    found = []
    for page in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        for block in re.findall(r"```sh\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            for line in block.splitlines():
                line = line.split("  #")[0].strip()
                if line.startswith("symnn "):
                    found.append((page.name, shlex.split(line)[1:]))
    return found


@pytest.mark.parametrize("page, argv", shown_commands(), ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_every_command_the_guides_show_parses(page, argv):
    from symnn.cli import build_parser

    try:
        build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse refuses: the guide shows an option that does not exist
        pytest.fail(f"{page}: `symnn {' '.join(argv)}` does not parse (exit {exc.code})")
