"""A short run of the CLI fuzz campaign (benchmarks/fuzz_cli.py runs the long one): hostile
sheets, TOML bytes, answers, lint inputs and variants through ``symnn.cli.main``, with no
traceback, hang, bad exit, multi-line error, invalid file or raw control byte."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import fuzz_cli  # noqa: E402


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="the per-case bound needs SIGALRM")
def test_short_fuzz_campaign_finds_nothing():
    previous = signal.signal(signal.SIGALRM, fuzz_cli._alarm)
    try:
        # Fewer solved sheets than the benchmark's mix, so that 300 cases take seconds.
        result = fuzz_cli.campaign(300, seed=20261130, bound=60, every=150, quiet=True,
                                   weights={"sheet": 0.06, "variants": 0.04})
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert sum(result["runs"].values()) == 300  # type: ignore[attr-defined]
    failures = result["failures"]
    assert not failures, {kind: found[:3] for kind, found in failures.items()}  # type: ignore[attr-defined]


def test_the_checker_sees_invalid_files(tmp_path):
    # The campaign is only as good as its validators: each must reject what it exists to catch.
    cases = {"a.json": '{"value": Infinity}', "b.xml": "<q>Quiz\x07bell</q>", "c.html": "<p><b>x</p>",
             "d.md": "a\x1b[2J", "e.tex": "\\section{\x00}", "f.html": '<a href="javascript:x">y</a>'}
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert fuzz_cli.invalid_file(tmp_path / name), name
    (tmp_path / "ok.html").write_text("<!DOCTYPE html><p>x<br></p>", encoding="utf-8")
    assert fuzz_cli.invalid_file(tmp_path / "ok.html") is None
