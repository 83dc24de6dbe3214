"""Wall time of writing the seed sheet in every format, as a whole process, and of the PDF compile.

Run: python benchmarks/bench_formats.py [--runs 5]
Prints one table: the median and spread of wall time over the runs, and the median CPU
time (user + system of the child processes, which a busy machine does not inflate), of
  * `symnn sheet --format md,json,tex,html` as a whole process (issue 3 target: < 3 s),
  * `symnn sheet --format pdf` as a whole process, and
  * the TeX engine alone compiling the already rendered .tex (what the PDF adds).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def whole_process(formats: str) -> Callable[[], tuple[float, float]]:
    """Wall and CPU seconds of one `symnn sheet` process (CPU is what a busy machine cannot inflate)."""
    def once() -> tuple[float, float]:
        with tempfile.TemporaryDirectory() as out:
            start, cpu = time.perf_counter(), child_cpu()
            subprocess.run([sys.executable, "-m", "symnn.cli", "sheet", "--format", formats, "--out", out,
                            "--quiet"], check=True, cwd=ROOT)
            return time.perf_counter() - start, child_cpu() - cpu
    return once


def engine_only() -> Callable[[], tuple[float, float]]:
    from symnn.sheets.kinds import solve
    from symnn.sheets.loading import load_sheet
    from symnn.sheets.render import plots
    from symnn.sheets.render.latex import to_latex
    from symnn.sheets.render.pdf import compile_latex, require_engine

    engine = require_engine()
    sheet = solve(load_sheet())
    tex, figures = to_latex(sheet, figure_prefix="seed-"), plots.figure_files(sheet, "seed-", "pdf")

    def once() -> tuple[float, float]:
        start, cpu = time.perf_counter(), child_cpu()
        compile_latex(tex, figures, stem="seed", engine=engine)
        return time.perf_counter() - start, child_cpu() - cpu
    once.__name__ = engine.name
    return once


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from symnn.sheets.render.pdf import find_engine

    cases: dict[str, Callable[[], tuple[float, float]]] = {"md,json,tex,html (target < 3 s)": whole_process("md,json,tex,html")}
    if find_engine() is not None:
        cases["pdf, whole process"] = whole_process("pdf")
        compile_once = engine_only()
        cases[f"pdf compile only ({compile_once.__name__})"] = compile_once
    else:
        print("no TeX engine on PATH: PDF rows skipped")
    print(f"{'case':<40} {'median s':>9} {'min s':>7} {'max s':>7} {'cpu s':>7}")
    for name, once in cases.items():
        runs = [once() for _ in range(args.runs)]
        times, cpus = [r[0] for r in runs], [r[1] for r in runs]
        print(f"{name:<40} {statistics.median(times):>9.3f} {min(times):>7.3f} {max(times):>7.3f} "
              f"{statistics.median(cpus):>7.3f}")


if __name__ == "__main__":
    main()
