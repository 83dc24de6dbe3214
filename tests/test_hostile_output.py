"""Hostile input, families 4 and 5: nothing injects, nothing is half written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from symnn.cli import main
from symnn.core.io import STAGING_PREFIX

ROOT = Path(__file__).resolve().parents[1]


def test_lint_html_report_drops_script_links_styles_and_classes(tmp_path, capsys):
    sheet = tmp_path / "inj.md"
    sheet.write_text("$$\\href{javascript:alert(1)}{x} = 1$$\n\n$$\\style{background:url(http://a.invalid/x)}{y} = 2$$"
                     "\n\n$$\\class{evil}{z} = 3$$\n\n$$\\toggle{a}{b}\\endtoggle = 4$$\n\n$$1 + 1 = 2$$ \x1b[2J\x07\n",
                     encoding="utf-8")
    report = tmp_path / "r.html"
    assert main(["lint", str(sheet), "--format", "html", "--out", str(report)]) in (0, 1)
    page = report.read_text(encoding="utf-8")
    for bad in ("<script", "\x1b", "\x07"):
        assert bad not in page, bad
    links: list[str] = []
    values: list[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            links.extend(v or "" for k, v in attrs if k in ("href", "src", "style"))
            values.extend(v or "" for _, v in attrs)

    Links().feed(page)
    assert all(link.startswith("#") for link in links), links
    assert not [v for v in values if "javascript" in v or "url(" in v or v == "evil"]


def test_terminal_output_escapes_control_bytes(tmp_path, capsys):
    sheet = tmp_path / "t\x1b]0;title\x07.md"
    sheet.write_text("$$1 + 1 = 2 \\quad \x1b[2J 2 + 2 = 5$$\n", encoding="utf-8")
    main(["lint", str(sheet)])
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "\\x1b" in out


def test_file_names_are_data(tmp_path, capsys):
    spec = tmp_path / "a}\\message{X}{b #%.toml"
    spec.write_text((ROOT / "symnn" / "sheets" / "seed.toml").read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sheet", str(spec), "--out", str(out), "--format", "md,tex", "--quiet"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names and all(set(n) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
                         for n in names), names
    tex = next(out.glob("*.tex")).read_text(encoding="utf-8")
    assert "\\message" not in tex


# ----- nothing half written ------------------------------------------------------------------

PAUSE_AFTER_STAGING = """
import pathlib, sys, time
from symnn.cli import main
original = pathlib.Path.write_bytes
def staged(self, data):
    result = original(self, data)
    if ".symnn-staging-" in str(self):
        print("STAGED", flush=True)
        time.sleep(120)
    return result
pathlib.Path.write_bytes = staged
sys.exit(main(sys.argv[1:]))
"""


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_kill_9_while_writing_keeps_the_previous_run(tmp_path):
    out = tmp_path / "out"
    argv = ["sheet", "--out", str(out), "--format", "md,json", "--quiet"]
    assert main([*argv, "--decimals", "3"]) == 0
    before = snapshot(out)
    child = subprocess.Popen([sys.executable, "-c", PAUSE_AFTER_STAGING, *argv, "--decimals", "5"],
                             cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "STAGED"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    visible = {k: v for k, v in snapshot(out).items() if not k.startswith(STAGING_PREFIX)}
    assert visible == before  # the killed run changed nothing the user sees
    assert any(p.name.startswith(STAGING_PREFIX) for p in out.iterdir())
    assert main([*argv, "--decimals", "5"]) == 0  # the next run completes and removes the stale staging
    assert not any(p.name.startswith(STAGING_PREFIX) for p in out.iterdir())
    assert snapshot(out) != before


@pytest.mark.parametrize("delay", [1.5, 3.0])
def test_kill_9_at_any_moment_leaves_one_whole_run(tmp_path, delay):
    out = tmp_path / "out"
    argv = ["-m", "symnn", "sheet", "--out", str(out), "--format", "md,json", "--quiet"]
    subprocess.run([sys.executable, *argv, "--decimals", "3"], cwd=ROOT, check=True)
    first = snapshot(out)
    subprocess.run([sys.executable, *argv, "--decimals", "5"], cwd=ROOT, check=True)
    second = snapshot(out)
    subprocess.run([sys.executable, *argv, "--decimals", "3"], cwd=ROOT, check=True)
    child = subprocess.Popen([sys.executable, *argv, "--decimals", "5"], cwd=ROOT)
    time.sleep(delay)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    visible = {k: v for k, v in snapshot(out).items() if not k.startswith(STAGING_PREFIX)}
    assert visible in (first, second)


TEMPLATE = ('title = "t"\n[[exercise]]\nkind = "forward"\n'
            'W = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [2, 2] }\n'
            'X = { choice = [[0.5, 1.0], [1.0, -0.5]] }\nb = [0.1, 0.1]\nactivation = "relu"\n')


def test_kill_9_during_variants_keeps_the_previous_run(tmp_path):
    spec = tmp_path / "t.toml"
    spec.write_text(TEMPLATE, encoding="utf-8")
    out = tmp_path / "v"
    argv = ["variants", str(spec), "--count", "3", "--out", str(out), "--format", "md,json,moodle", "--jobs", "1",
            "--quiet"]
    assert main([*argv, "--seed", "1"]) == 0
    before = snapshot(out)
    child = subprocess.Popen([sys.executable, "-c", PAUSE_AFTER_STAGING, *argv, "--seed", "2"],
                             cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "STAGED"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    visible = {k: v for k, v in snapshot(out).items() if not k.startswith(STAGING_PREFIX)}
    assert visible == before  # no sheet of seed 2 beside the key of seed 1, no zero-byte file
    assert main([*argv, "--seed", "2"]) == 0
    after = snapshot(out)
    assert set(after) == set(before) and after != before
    assert not any(k.startswith(STAGING_PREFIX) for k in after)


def test_kill_9_while_a_pool_streams_variants_keeps_the_previous_run(tmp_path):
    """--jobs 2 writes each variant's files into the staging folder as it arrives: killed when some are
    there, the folder still shows the previous run only."""
    spec = tmp_path / "t.toml"
    spec.write_text(TEMPLATE, encoding="utf-8")
    out = tmp_path / "v"
    argv = ["-m", "symnn", "variants", str(spec), "--count", "400", "--out", str(out), "--format", "md,json,moodle",
            "--jobs", "2", "--quiet"]
    subprocess.run([sys.executable, *argv, "--seed", "1"], cwd=ROOT, check=True)
    before = snapshot(out)
    child = subprocess.Popen([sys.executable, *argv, "--seed", "2"], cwd=ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        staged = 0
        while staged < 20 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            staged = sum(len(list(p.iterdir())) for p in out.iterdir() if p.name.startswith(STAGING_PREFIX))
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the command and its pool workers
        child.wait()
    assert staged >= 20, "the run ended before its files were staged"
    visible = {k: v for k, v in snapshot(out).items() if not k.startswith(STAGING_PREFIX)}
    assert visible == before
    subprocess.run([sys.executable, *argv, "--seed", "2"], cwd=ROOT, check=True)
    after = snapshot(out)
    assert set(after) == set(before) and after != before


def test_a_curve_overflowing_in_float_prints_no_numpy_warning(tmp_path):
    """Found by the fuzz campaign: a sigmoid plotted out to x = -1000 overflows e^{-x} in float64 while
    its curve is sampled; numpy's RuntimeWarnings reached stderr (several lines) beside the `wrote` lines."""
    sheet = tmp_path / "s.toml"
    sheet.write_text('title = "t"\n[[exercise]]\nkind = "activations"\nx = [-2, -1000, 0, 1]\n'
                     'functions = ["relu", "sigmoid", "tanh"]\n', encoding="utf-8")
    for formats in ("json", "md,json,html"):
        done = subprocess.run([sys.executable, "-m", "symnn", "sheet", str(sheet), "--format", formats,
                               "--out", str(tmp_path / formats)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert all(line.startswith("wrote ") for line in done.stderr.splitlines()), done.stderr
