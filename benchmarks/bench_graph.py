"""Wall time of `symnn sheet graph` (the computational-graph example), as a whole process.

Issue 13 asks for each built-in example sheet, all formats but PDF (md, json, tex, html,
with every picture drawn), under 2 s as a whole process.  On a shared machine the absolute
time is noisy, so the table also gives the ratio to a baseline process run alternately
with it: ``python -c "import sympy"``, and the CPU seconds (user + system) of the process and
its drawing worker, which load barely changes: CPU time under 2 s on 2 cores means under
2 s of wall time on an idle machine.

Run: python benchmarks/bench_graph.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

CASES = {
    "graph: md,json,tex,html (target < 2 s)": ["sheet", "graph", "--format", "md,json,tex,html"],
    "seed: md,json,tex,html (network diagrams)": ["sheet", "--format", "md,json,tex,html"],
}
BASELINE = [sys.executable, "-c", "import sympy"]


CPU: list[float] = []
"""CPU seconds (user + system) of each timed process and its workers, in order."""


def time_once(command: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def time_sheet(extra: list[str]) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as out:
        wall = time_once([sys.executable, "-m", "symnn", *extra, "--out", out, "--quiet"])
        return wall, CPU[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"{'case':<44} {'median s':>9} {'min s':>7} {'max s':>7} {'÷ import sympy':>15} {'CPU s':>7}")
    for name, extra in CASES.items():
        times, baseline, cpu = [], [], []
        for _ in range(args.runs):
            baseline.append(time_once(BASELINE))
            wall, used = time_sheet(extra)
            times.append(wall)
            cpu.append(used)
        ratio = statistics.median(times) / statistics.median(baseline)
        print(f"{name:<44} {statistics.median(times):>9.3f} {min(times):>7.3f} {max(times):>7.3f} {ratio:>15.2f} "
              f"{statistics.median(cpu):>7.3f}")
    label = 'baseline: python -c "import sympy"'
    print(f"{label:<44} {statistics.median(baseline):>9.3f}")


if __name__ == "__main__":
    main()
