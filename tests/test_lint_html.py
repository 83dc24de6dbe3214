"""``symnn lint --format html``: the page marks every link once, is well-formed and self-contained.

Expected verdicts come from the arithmetic in tests/test_lint.py (the seed sheet's one
error and three rounding slips) and from small sums checked here with fractions.
"""

from __future__ import annotations

import argparse
import re
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path

import pytest

from symnn.commands import lint
from symnn.errors import SymnnError
from symnn.verify.lint.extract import find_math_spans
from symnn.verify.lint.html import to_html_report
from symnn.verify.lint.report import LintReport, lint_text

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOTS = ROOT / "tests" / "snapshots"
VOID = frozenset(
    {"meta", "link", "br", "hr", "img", "input", "col", "area", "base", "wbr", "source"}
)


class StrictParser(HTMLParser):
    """Records every start tag and fails on an end tag that does not close the open element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def parsed(page: str) -> StrictParser:
    parser = StrictParser()
    parser.feed(page)
    parser.close()
    assert not parser.problems, parser.problems[:5]
    assert parser.stack == [], parser.stack
    return parser


def marks(page: str, verdict: str) -> int:
    return page.count(f'class="mark {verdict}"')


def assert_self_contained(page: str, parser: StrictParser) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    tags = {tag for tag, _ in parser.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    for _, attrs in parser.tags:
        for name in ("href", "src"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), value
    assert "url(" not in page and "@import" not in page
    # The only absolute URI is MathML's namespace name, which nothing fetches.
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) <= {"http://www.w3.org/1998/Math/MathML"}


# ----- the hand-written seed sheet -------------------------------------------------------------
SEED = next(
    (
        p / "shared" / "seeds" / "000_0341d3dd9fb39621.txt"
        for p in ROOT.parents
        if (p / "shared" / "seeds").is_dir()
    ),
    None,
)


@pytest.fixture
def seed_text() -> str:
    """The hand-written seed sheet from ../shared (found from a worktree too); skipped when absent."""
    if SEED is None or not SEED.is_file():
        pytest.skip("the seed sheet (../shared/seeds) is absent")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def seed_page(seed_text: str) -> tuple[LintReport, str]:
    report = lint_text(seed_text, "markdown", "000_0341d3dd9fb39621.txt")
    return report, to_html_report(report, seed_text, "markdown")


def test_seed_page_marks_one_error_and_three_roundings(seed_page: tuple[LintReport, str]) -> None:
    report, page = seed_page
    assert marks(page, "error") == 1
    assert marks(page, "rounding") == 3
    # Every link is marked exactly once, whatever its verdict.
    total = sum(marks(page, v) for v in ("ok", "rounding", "error", "not-checked"))
    assert total == len(report.findings)
    error_item = page[page.index('class="mark error"') :].split("</li>", 1)[0]
    assert "✗" in error_item and "1.135" in error_item and "1.297" in error_item


def test_seed_page_is_well_formed_and_self_contained(seed_page: tuple[LintReport, str]) -> None:
    _, page = seed_page
    assert_self_contained(page, parsed(page))
    assert "000_0341d3dd9fb39621.txt" in page.split("</title>")[0]
    assert "<merror" not in page


def test_seed_page_keeps_reading_order_and_headings(seed_page: tuple[LintReport, str]) -> None:
    _, page = seed_page
    lines = [int(n) for n in re.findall(r'id="line-(\d+)"', page)]
    assert lines == sorted(lines) and len(lines) == len(set(lines))
    assert 171 in lines and 185 in lines  # the rounding slip and the error (tests/test_lint.py)
    # The sheet writes its titles as plain lines; they head the page's sections.
    assert "<h2>Exercise 1: Forward Pass Calculation</h2>" in page
    assert "<h2>Given:</h2>" not in page


# ----- symnn's own sheets lint clean and render without fallback -------------------------------
@pytest.mark.parametrize("name, fmt", [("seed.md", "markdown"), ("seed.html", "html")])
def test_generated_sheet_page(name: str, fmt: str) -> None:
    text = (SNAPSHOTS / name).read_text(encoding="utf-8")
    report = lint_text(text, fmt, name)  # type: ignore[arg-type]
    page = to_html_report(report, text, fmt)  # type: ignore[arg-type]
    parser = parsed(page)
    assert_self_contained(page, parser)
    assert "<merror" not in page
    assert 'class="tex"' not in page  # latex2mathml read every formula symnn wrote
    assert marks(page, "error") == marks(page, "rounding") == 0
    assert marks(page, "ok") == report.summary["ok"] > 0
    ids = [attrs["id"] for _, attrs in parser.tags if "id" in attrs]
    assert len(ids) == len(set(ids))  # unique even when the source is one long line


# ----- small documents -------------------------------------------------------------------------
def test_display_inline_prose_and_messages() -> None:
    assert Fraction("0.2") + Fraction("0.4") == Fraction("0.6") and 2 * Fraction("0.4") != Fraction(
        "0.9"
    )
    text = "# Sums\n\nFirst $0.2 + 0.4 = 0.6$, then\n$$2 \\cdot 0.4 = 0.9$$\n\nNo math here.\n"
    report = lint_text(text, "markdown", "sums.md")
    page = to_html_report(report, text, "markdown")
    assert_self_contained(page, parsed(page))
    assert marks(page, "ok") == 1 and marks(page, "error") == 1
    displays = re.findall(r'<math[^>]*display="(\w+)"', page)
    assert displays.count("block") == 1  # the $$ span; the $ span and the marks are inline
    assert "First " in page and ", then" in page and "No math here" not in page
    assert "<h2>Sums</h2>" in page
    error_item = page[page.index('class="mark error"') :].split("</li>", 1)[0]
    (finding,) = [f for f in report.findings if f.verdict == "error"]
    assert finding.message in error_item and "✗" in error_item
    ok_item = page[page.index('class="mark ok"') :].split("</li>", 1)[0]
    assert "✓" in ok_item and 'class="message"' not in ok_item  # ok links carry no message


def test_prose_is_escaped_and_unreadable_tex_is_shown_as_source() -> None:
    text = "<script>alert(1)</script> & $$\\left( 1 + 1 = 2$$ and $1 + 1 = 2$\n"
    page = to_html_report(lint_text(text, "markdown"), text, "markdown")
    assert "<script" not in page and "&lt;script&gt;" in page
    assert_self_contained(page, parsed(page))
    assert '<code class="tex">\\left( 1 + 1 = 2</code>' in page  # latex2mathml refuses it


def test_html_source_prose_has_no_markup() -> None:
    text = "<html><body><p>Q1 &amp; Q2: \\(0.5 + 0.25 = 0.75\\)</p><p>Q3: \\(1 &lt; 0.5\\)</p></body></html>"
    page = to_html_report(lint_text(text, "html"), text, "html")
    assert marks(page, "ok") == 1 and marks(page, "error") == 1
    assert "Q1 &amp; Q2:" in page and "&lt;p&gt;" not in page
    assert page.count('class="source"') == 2  # each <p> is its own paragraph


def test_problems_only_shows_only_paragraphs_with_a_problem() -> None:
    text = "$1 + 1 = 2$\n\n$2 + 2 = 5$\n\n$\\frac{2}{3} \\approx 0.66$\n"
    report = lint_text(text, "markdown")
    page = to_html_report(report, text, "markdown", problems_only=True)
    assert re.findall(r'id="line-(\d+)"', page) == ["3", "5"]
    assert "✓ 1 ok" in page  # the summary still counts every link


def test_output_is_deterministic() -> None:
    text = "$\\frac{1}{3} \\approx 0.33$ then $0.33 \\cdot 3 = 1$\n\n$$\\sigma(1) \\approx 0.731$$"
    first = to_html_report(lint_text(text, "markdown"), text, "markdown")
    assert first == to_html_report(lint_text(text, "markdown"), text, "markdown")


def test_a_report_of_another_text_is_refused() -> None:
    report = lint_text("$1 = 1$ and $2 = 2$", "markdown")
    with pytest.raises(SymnnError, match="does not belong"):
        to_html_report(report, "$1 = 1$", "markdown")
    assert len(find_math_spans("$1 = 1$", "markdown")) == 1


# ----- the command line ------------------------------------------------------------------------
def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="symnn")
    lint.add_parser(parser.add_subparsers(required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def test_cli_html_to_file_and_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sheet = tmp_path / "sheet.md"
    sheet.write_text("$1 + 1 = 2$\n\n$2 + 2 = 5$\n", encoding="utf-8")
    out = tmp_path / "report" / "sheet.html"
    assert _cli(["lint", str(sheet), "--format", "html", "--out", str(out)]) == 1
    assert capsys.readouterr().out == ""
    written = out.read_text(encoding="utf-8")
    assert marks(written, "error") == 1 and marks(written, "ok") == 1
    assert [p.name for p in out.parent.iterdir()] == ["sheet.html"]  # no temp file left
    assert _cli(["lint", str(sheet), "--format", "html"]) == 1
    assert capsys.readouterr().out == written


def test_cli_json_flag_and_format_must_agree(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.md"
    sheet.write_text("$1 + 1 = 2$\n", encoding="utf-8")
    with pytest.raises(SymnnError) as caught:
        _cli(["lint", str(sheet), "--json", "--format", "html"])
    assert caught.value.exit_code == 2 and "\n" not in str(caught.value)


# ----- in a real browser (skipped without Chromium) ---------------------------------------------
@pytest.mark.parametrize("width", [pytest.param(1000, id="desktop"), pytest.param(390, id="phone")])
def test_browser_renders_every_formula_and_nothing_spills(tmp_path: Path, width: int) -> None:
    from publish_tools import chromium, measure_in_browser

    chromium()
    text = (SNAPSHOTS / "seed.md").read_text(encoding="utf-8")
    page = to_html_report(lint_text(text, "markdown", "seed.md"), text, "markdown")
    report = measure_in_browser(page, tmp_path, width)
    widths = report["widths"]
    assert report["merrors"] == 0
    assert isinstance(widths, list) and len(widths) == page.count("<math ")
    assert all(w > 0 for w in widths)
    assert report["stacked"] and all(report["stacked"])  # type: ignore[arg-type]
    assert report["scrollWidth"] <= report["innerWidth"], report  # type: ignore[operator]
