"""Wall time of writing the seed sheet in every format, as a whole process, and of the PDF compile.

Run: python benchmarks/bench_formats.py [--runs 5]
Prints one table: the median and spread over the runs of
  * `symnn sheet --format md,json,tex,html` as a whole process (issue 3 target: < 3 s),
  * `symnn sheet --format pdf` as a whole process, and
  * the TeX engine alone compiling the already rendered .tex (what the PDF adds).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing


def whole_process(formats: str) -> Callable[[], float]:
    def once() -> float:
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "symnn.cli", "sheet", "--format", formats, "--out", out,
                            "--quiet"], check=True, cwd=ROOT)
            return time.perf_counter() - start
    return once


def engine_only() -> Callable[[], float]:
    from symnn.exercises import solve
    from symnn.render import plots
    from symnn.render.latex import to_latex
    from symnn.render.pdf import compile_latex, require_engine
    from symnn.spec import load_sheet

    engine = require_engine()
    sheet = solve(load_sheet())
    tex, figures = to_latex(sheet, figure_prefix="seed-"), plots.figure_files(sheet, "seed-", "pdf")

    def once() -> float:
        start = time.perf_counter()
        compile_latex(tex, figures, stem="seed", engine=engine)
        return time.perf_counter() - start
    once.__name__ = engine.name
    return once


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from symnn.render.pdf import find_engine

    cases: dict[str, Callable[[], float]] = {"md,json,tex,html (target < 3 s)": whole_process("md,json,tex,html")}
    if find_engine() is not None:
        cases["pdf, whole process"] = whole_process("pdf")
        compile_once = engine_only()
        cases[f"pdf compile only ({compile_once.__name__})"] = compile_once
    else:
        print("no TeX engine on PATH: PDF rows skipped")
    print(f"{'case':<40} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, once in cases.items():
        times = [once() for _ in range(args.runs)]
        print(f"{name:<40} {statistics.median(times):>9.3f} {min(times):>7.3f} {max(times):>7.3f}")


if __name__ == "__main__":
    main()
