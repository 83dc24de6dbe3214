"""Shared test options: ``--update-golden`` regenerates golden files instead of comparing."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED_TEXT = SHARED / "seeds" / "000_0341d3dd9fb39621.txt"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden files from the current code instead of comparing")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def seed_text() -> str:
    """The original hand-written seed sheet; the test is skipped when ../shared is absent."""
    if not SEED_TEXT.is_file():
        pytest.skip(f"{SEED_TEXT} is absent (../shared is not checked out)")
    return SEED_TEXT.read_text(encoding="utf-8")
