"""Speed of `symnn lint` on the seed sheet (~27 KB) and on a generated ~600 KB HTML quiz page.

Run: python benchmarks/bench_lint.py [--runs 5] [--keep quiz.html]

The quiz page is generated here (deterministically): a few thousand questions in MathJax
delimiters (sigmoid, tanh, ReLU, matrix products, min-max scaling, means, logs), most
answers right, some rounded one unit off, some wrong.  Besides times, the table shows how
many errors and rounding slips were planted and how many lint found, as a sanity check.

Targets (issue 4): seed < 1 s, 600 KB quiz < 3 s.  "in-process" times one `lint_file`
call after the first (the parser is built once per process); "process" is a fresh
interpreter that imports symnn and lints, the way the command line runs.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from symnn.verify.lint.report import lint_file

SEED = next(
    (
        p / "shared" / "seeds" / "000_0341d3dd9fb39621.txt"
        for p in ROOT.parents
        if (p / "shared" / "seeds").is_dir()
    ),
    None,
)
TARGET_BYTES = 600_000


def _written(value: Fraction, places: int) -> str:
    """A rational that has at most ``places`` decimals, written with exactly that many."""
    scaled = value * 10**places
    text = (
        f"{abs(scaled.numerator) // 10**places}.{abs(scaled.numerator) % 10**places:0{places}d}"
        if places
        else str(abs(scaled.numerator))
    )
    return ("-" if value < 0 else "") + text


class Quiz:
    """Writes questions, planting slips in some answers and counting them per link."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.errors = 0
        self.rounding = 0

    def answer(self, exact: Fraction, places: int, kind: str) -> str:
        """``exact`` (a close rational stand-in for irrationals) written correctly, truncated or wrong."""
        unit = Fraction(1, 10**places)
        nearest = round(exact / unit) * unit
        if kind == "rounding":
            return _written(int(exact / unit) * unit, places)  # truncated toward zero
        if kind == "error":
            return _written(nearest + 3 * unit, places)
        return _written(nearest, places)

    def kind(self, exact: Fraction, places: int) -> str:
        """Decide this claim's slip: rounding slips only where truncating differs from rounding."""
        roll = self.random.random()
        unit = Fraction(1, 10**places)
        scaled = exact / unit
        truncation_differs = abs(scaled - int(scaled)) > Fraction(6, 10)  # clearly past the half
        if roll < 0.04:
            return "error"
        if roll < 0.08 and truncation_differs:
            return "rounding"
        return "ok"

    def claims(self, values: list[Fraction], places: int) -> list[str]:
        """Answers for the entries of one link; the link's plant is its worst entry."""
        kinds = [self.kind(v, places) for v in values]
        if "error" in kinds:
            self.errors += 1
        elif "rounding" in kinds:
            self.rounding += 1
        return [self.answer(v, places, k) for v, k in zip(values, kinds)]

    def sigmoid(self) -> str:
        z = self.random.randint(-300, 300) / 100
        value = Fraction(1 / (1 + math.exp(-z)))
        (claim,) = self.claims([value], 3)
        return (
            f"<p>Sigmoid: \\(\\sigma({z}) = \\frac{{1}}{{1 + e^{{{-z}}}}} \\approx {claim}\\)</p>"
        )

    def tanh(self) -> str:
        z = self.random.randint(-200, 200) / 100
        (claim,) = self.claims([Fraction(math.tanh(z))], 4)
        return f"<p>Tanh: \\(\\tanh({z}) \\approx {claim}\\)</p>"

    def relu(self) -> str:
        values = [Fraction(self.random.randint(-99, 99), 10) for _ in range(3)]
        cells = " \\\\ ".join(_written(v, 1) for v in values)
        results = " \\\\ ".join(self.claims([max(Fraction(0), v) for v in values], 1))
        return (
            f"<p>ReLU: \\[\\text{{ReLU}}\\left(\\begin{{bmatrix}} {cells} \\end{{bmatrix}}\\right) = "
            f"\\begin{{bmatrix}} {results} \\end{{bmatrix}}\\]</p>"
        )

    def product(self) -> str:
        w = [[Fraction(self.random.randint(-9, 9), 10) for _ in range(2)] for _ in range(2)]
        x = [Fraction(self.random.randint(-9, 9), 10) for _ in range(2)]
        rows = " \\\\ ".join(" &amp; ".join(_written(v, 1) for v in row) for row in w)
        column = " \\\\ ".join(_written(v, 1) for v in x)
        answer = " \\\\ ".join(self.claims([sum(a * b for a, b in zip(row, x)) for row in w], 2))
        return (
            f"<p>Forward pass: \\[ \\begin{{bmatrix}} {rows} \\end{{bmatrix}} \\cdot "
            f"\\begin{{bmatrix}} {column} \\end{{bmatrix}} = \\begin{{bmatrix}} {answer} \\end{{bmatrix}} \\]</p>"
        )

    def minmax(self) -> str:
        low, high = sorted(self.random.sample(range(100), 2))
        x = self.random.randint(low, high)
        (claim,) = self.claims([Fraction(x - low, high - low)], 3)
        return (
            f"<p>Min-max: \\(x' = \\frac{{{x} - {low}}}{{{high} - {low}}} = "
            f"\\frac{{{x - low}}}{{{high - low}}} \\approx {claim}\\)</p>"
        )

    def mean(self) -> str:
        values = [self.random.randint(1, 40) for _ in range(3)]
        total = sum(values)
        (claim,) = self.claims([Fraction(total, 3)], 2)
        return (
            f"<p>Mean: $$\\mu = \\frac{{{' + '.join(map(str, values))}}}{{3}} = "
            f"\\frac{{{total}}}{{3}} \\approx {claim}$$</p>"
        )

    def loss(self) -> str:
        p = Fraction(self.random.randint(1, 99), 100)
        (claim,) = self.claims([Fraction(-math.log(p))], 3)
        return (
            f"<p>Cross-entropy with y = 1: \\(L = -\\log({_written(p, 2)}) \\approx {claim}\\); "
            f"is \\(L &lt; 1\\)? {'yes' if -math.log(p) < 1 else 'no'}.</p>"
        )

    def page(self) -> str:
        kinds = [
            self.sigmoid,
            self.tanh,
            self.relu,
            self.product,
            self.minmax,
            self.mean,
            self.loss,
        ]
        head = (
            "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Quiz</title>"
            "<style>.q { margin: 1em; } /* \\(1 = 2\\) */</style>"
            "<script>window.MathJax = { tex: { inlineMath: [['\\\\(', '\\\\)']] } };</script>"
            "</head>\n<body>\n"
        )
        parts = [head]
        size = len(head)
        number = 0
        while size < TARGET_BYTES:
            number += 1
            question = f'<div class="q" id="q{number}"><h3>Question {number}</h3>\n{self.random.choice(kinds)()}\n</div>\n'
            parts.append(question)
            size += len(question.encode())
        parts.append("</body></html>\n")
        return "".join(parts)


def time_in_process(path: Path, runs: int) -> tuple[list[float], list[float], object]:
    """Wall and CPU seconds of lint_file after a first call (which builds the parser)."""
    report = lint_file(path)
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        report = lint_file(path)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus, report


def time_process(path: Path, runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of a fresh interpreter importing symnn and linting."""
    code = "import sys; from symnn.verify.lint.report import lint_file; sys.exit(lint_file(sys.argv[1]).exit_code)"
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, check=False)
        walls.append(time.perf_counter() - wall)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="also write the generated quiz page here")
    args = parser.parse_args()

    quiz = Quiz(seed=4)
    page = quiz.page()
    with tempfile.TemporaryDirectory() as tmp:
        quiz_path = Path(tmp) / "quiz.html"
        quiz_path.write_text(page, encoding="utf-8")
        if args.keep:
            args.keep.write_text(page, encoding="utf-8")
        cases = [("seed sheet", SEED, "< 1 s", None), ("generated quiz", quiz_path, "< 3 s", quiz)]
        header = (
            f"{'case':<15} {'KB':>4} {'links':>6} {'in-process wall/cpu s':>22} {'process wall/cpu s':>19}"
            f" {'target':>7} {'errors planted/found':>21} {'rounding planted/found':>23}"
        )
        print(header)
        print("-" * len(header))
        for name, path, target, planted in cases:
            if path is None or not path.is_file():
                print(f"{name:<15} (not available)")
                continue
            walls, cpus, report = time_in_process(path, args.runs)
            process_walls, process_cpus = time_process(path, args.runs)
            summary = report.summary  # type: ignore[attr-defined]
            errors = f"{'-' if planted is None else planted.errors}/{summary['error']}"
            rounding = f"{'-' if planted is None else planted.rounding}/{summary['rounding']}"
            in_process = f"{statistics.median(walls):.3f}/{statistics.median(cpus):.3f}"
            process = (
                f"{statistics.median(process_walls):.3f}/{statistics.median(process_cpus):.3f}"
            )
            print(
                f"{name:<15} {path.stat().st_size / 1000:>4.0f} {len(report.findings):>6} "  # type: ignore[attr-defined]
                f"{in_process:>22} {process:>19} {target:>7} {errors:>21} {rounding:>23}"
            )
        print(
            f"(medians of {args.runs} runs; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )


if __name__ == "__main__":
    main()
