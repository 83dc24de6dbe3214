"""Helpers for the tests of the printed and published formats: real tools, or a clear skip."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOTS = ROOT / "tests" / "snapshots"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--hide-scrollbars",
    "--force-device-scale-factor=1",
)


def artifacts() -> Path:
    """The folder for files a person may want to look at after a run (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def require_tool(name: str, why: str) -> str:
    """The path of a program, or skip the test saying what is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed ({why}); .ci/install-tools installs it")
    return path


def require_matplotlib() -> None:
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("matplotlib is not installed (pip install 'symnn[plots]')")


def matplotlib_version() -> str | None:
    try:
        return importlib.metadata.version("matplotlib")
    except importlib.metadata.PackageNotFoundError:
        return None


def chromium() -> str:
    """The Chromium executable, or skip."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("Chromium is not installed (needed to render the HTML); .ci/install-tools installs it")


def run_chromium(url: str, *arguments: str, width: int = 1000, height: int = 2000) -> str:
    """Run headless Chromium on ``url`` with a fresh profile; its standard output."""
    executable = chromium()
    with tempfile.TemporaryDirectory(prefix="symnn-chromium-") as profile:
        result = subprocess.run(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
             *arguments, url],
            capture_output=True, timeout=120, stdin=subprocess.DEVNULL, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    return result.stdout.decode("utf-8", errors="replace")


MEASURE = """
<script>
(() => {
  const maths = [...document.querySelectorAll('math')];
  const fracs = [...document.querySelectorAll('mfrac')].map(f => {
    const [num, den] = [...f.children].map(c => c.getBoundingClientRect());
    return num.bottom <= den.top + 1;
  });
  document.body.setAttribute('data-report', JSON.stringify({
    widths: maths.map(m => m.getBoundingClientRect().width),
    merrors: document.querySelectorAll('merror').length,
    stacked: fracs,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
})();
</script>
"""
"""Injected into a copy of the page by the browser test only: measures the rendered MathML."""


def measure_in_browser(html: str, folder: Path, width: int, screenshot: Path | None = None,
                       height: int = 2000) -> dict[str, object]:
    """Lay out a copy of the page in Chromium at ``width`` and report what the browser rendered;
    with ``screenshot``, the same run also saves a PNG of the page (the probe changes nothing visible)."""
    probe = folder / f"probe-{width}.html"
    probe.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    shot = (f"--screenshot={screenshot}",) if screenshot is not None else ()
    dom = run_chromium(probe.as_uri(), "--dump-dom", *shot, width=width, height=height)
    start = dom.index('data-report="') + len('data-report="')
    import html as html_text

    return json.loads(html_text.unescape(dom[start:dom.index('"', start)]))  # type: ignore[no-any-return]
