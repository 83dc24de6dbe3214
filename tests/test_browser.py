"""The HTML page in a real browser: headless Chromium lays out its native MathML.

Skipped with a reason when Chromium is absent; CI installs it (.ci/install-tools).
Screenshots are left in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import pytest
from publish_tools import artifacts, chromium, measure_in_browser, run_chromium


@pytest.fixture(scope="module")
def page(tmp_path_factory, seed_html):
    chromium()
    folder = tmp_path_factory.mktemp("html")
    (folder / "seed.html").write_text(seed_html, encoding="utf-8")
    return seed_html, folder


@pytest.mark.parametrize("width", [pytest.param(1000, id="desktop"), pytest.param(390, id="phone")])
def test_every_formula_renders_with_width_and_nothing_spills(page, width):
    text, folder = page
    report = measure_in_browser(text, folder, width)
    widths = report["widths"]
    assert report["merrors"] == 0
    assert len(widths) == text.count("<math "), "the browser saw a different number of formulas"
    empty = [i for i, w in enumerate(widths) if not w > 0]
    assert not empty, f"{len(empty)} formulas rendered with zero width, e.g. number {empty[0]}"
    # Native MathML layout puts a numerator above its denominator; text fallback would not.
    assert report["stacked"] and all(report["stacked"])
    # Wide formulas scroll inside their own box: the page itself never scrolls sideways.
    assert report["scrollWidth"] <= report["innerWidth"], report


@pytest.mark.parametrize("width, height", [pytest.param(1000, 2600, id="desktop"),
                                           pytest.param(390, 2600, id="phone")])
def test_screenshot_is_taken(page, width, height):
    _, folder = page
    shot = artifacts() / f"seed-html-{width}px.png"
    shot.unlink(missing_ok=True)
    run_chromium((folder / "seed.html").as_uri(), f"--screenshot={shot}", width=width, height=height)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000
