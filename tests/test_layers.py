"""The import contracts of pyproject.toml ``[tool.importlinter]``: imports flow only downward
(cli, commands -> verify -> sheets -> library -> core -> errors; layers inside verify, sheets and
render), and the numpy reference never reaches SymPy, not even through another symnn module."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept(capsys, monkeypatch):
    cli = pytest.importorskip("importlinter.cli", reason="import-linter is a test extra: pip install -e '.[test]'")
    monkeypatch.chdir(ROOT)
    code = cli.lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert code == cli.EXIT_STATUS_SUCCESS, report
    assert "0 broken" in report
