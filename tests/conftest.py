"""Shared test options and fixtures.

``--update-golden`` regenerates golden files instead of comparing.  The built-in seed sheet is
solved (and cross-checked) once per run, and its HTML page rendered once: tests only read them.

Hypothesis runs the ``ci`` profile (50 examples per property) unless ``HYPOTHESIS_PROFILE``
names another: ``HYPOTHESIS_PROFILE=thorough python -m pytest`` runs 500.  A property whose
examples are expensive (each solves a random network) states a smaller count of its own.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from symnn.sheets.spec import SheetSpec
    from symnn.sheets.steps import Sheet
    from symnn.verify.check.key import SheetKey

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED_TEXT = SHARED / "seeds" / "000_0341d3dd9fb39621.txt"

settings.register_profile("ci", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config: pytest.Config) -> None:
    """SymPy work leaves a large, long-lived heap, and every full (oldest-generation) collection
    walks all of it: in a serial run they cost about 4 s.  Full collections here run at most once
    per 100 middle ones (CPython's default is 10); the young generations are collected as usual."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 100)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Imported modules and collected test items live for the whole run: no collection need walk them."""
    gc.freeze()


def pytest_unconfigure(config: pytest.Config) -> None:
    """The run leaves a large heap (SymPy expressions, compiled programs); freezing it spares the
    interpreter's exit a collector sweep over every object (seconds) before the process ends."""
    gc.freeze()


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


@pytest.fixture(autouse=True, scope="session")
def one_key_per_sheet() -> Iterator[None]:
    """``symnn check`` builds the answer key of each distinct sheet once per run (the command line
    is run many times on the same sheets); the first run of each still goes the whole way."""
    from symnn.verify.check import key as key_module

    build = key_module.build_key
    keys: dict[str, SheetKey] = {}

    def build_once(spec: SheetSpec) -> SheetKey:
        text = repr(spec)
        if text not in keys:
            keys[text] = build(spec)
        return keys[text]

    patch = pytest.MonkeyPatch()
    patch.setattr(key_module, "build_key", build_once)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def seed_sheet() -> Sheet:
    """The built-in seed sheet, solved exactly and cross-checked with numpy (``symnn sheet``'s path)."""
    from symnn.sheets.loading import load_sheet
    from symnn.sheets.pipeline import solve_checked

    return solve_checked(load_sheet())


@pytest.fixture(scope="session")
def mazur_sheet() -> Sheet:
    """The corpus sheet of Mazur's published worked example (tests/corpus), solved and cross-checked."""
    from symnn.sheets.loading import load_sheet
    from symnn.sheets.pipeline import solve_checked

    return solve_checked(load_sheet(ROOT / "tests" / "corpus" / "mazur_2015.toml"))


@pytest.fixture(scope="session")
def seed_html(seed_sheet: Sheet) -> str:
    """The seed sheet's standalone HTML page (MathML is the slow part of rendering)."""
    from symnn.sheets.render.html import to_html

    return to_html(seed_sheet)
