"""The HTML page in a real browser: headless Chromium lays out its native MathML.

Skipped with a reason when Chromium is absent; CI installs it (.ci/install-tools).
Screenshots are left in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from publish_tools import artifacts, chromium, measure_in_browser


@pytest.fixture(scope="module")
def page(tmp_path_factory, seed_html):
    chromium()
    return seed_html, tmp_path_factory.mktemp("html")


SHOT_HEIGHT = 2600
"""Height of the window, and so of the screenshots."""


@pytest.fixture(scope="module")
def browse(page):
    """Chromium once per width: the page's measurements and its screenshot come from the same run."""
    text, folder = page
    runs: dict[int, tuple[dict[str, object], Path]] = {}

    def at(width: int) -> tuple[dict[str, object], Path]:
        if width not in runs:
            shot = artifacts() / f"seed-html-{width}px.png"
            shot.unlink(missing_ok=True)
            runs[width] = measure_in_browser(text, folder, width, screenshot=shot, height=SHOT_HEIGHT), shot
        return runs[width]

    return at


@pytest.mark.parametrize("width", [pytest.param(1000, id="desktop"), pytest.param(390, id="phone")])
def test_every_formula_renders_with_width_and_nothing_spills(page, browse, width):
    text, _ = page
    report, _ = browse(width)
    widths = report["widths"]
    assert report["merrors"] == 0
    assert len(widths) == text.count("<math "), "the browser saw a different number of formulas"
    empty = [i for i, w in enumerate(widths) if not w > 0]
    assert not empty, f"{len(empty)} formulas rendered with zero width, e.g. number {empty[0]}"
    # Native MathML layout puts a numerator above its denominator; text fallback would not.
    assert report["stacked"] and all(report["stacked"])
    # Wide formulas scroll inside their own box: the page itself never scrolls sideways.
    assert report["scrollWidth"] <= report["innerWidth"], report


@pytest.mark.parametrize("width", [pytest.param(1000, id="desktop"), pytest.param(390, id="phone")])
def test_screenshot_is_taken(browse, width):
    _, shot = browse(width)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000
