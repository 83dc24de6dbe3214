"""Wall time of kind ``rnn`` as whole processes (SymPy import included), beside a baseline.

Run: python benchmarks/bench_rnn.py [--runs 5]

Cases:
* the built-in example sheet ``rnn`` in md, json, tex and html (all formats but PDF): issue 14's < 2 s;
* two hidden units over three steps (the exact derivatives of the unrolled loss grow with T and the
  hidden size: this is where a sheet starts to cost), md and json.

The machine is shared, so each case is also given as a ratio to ``python -c "import sympy"`` timed in
the same run, and with the child's CPU time (user + system, less sensitive to load); note the load beside
the figures.
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
from pathlib import Path

THREE_STEPS = """
[[exercise]]
kind = "rnn"
x = [[1, 0], [0.5, -1], [0, 1]]
W_x = [[0.5, -0.25], [0.25, 0.5]]
W_h = [[0.5, -0.5], [0.25, 0.75]]
b = [0.1, 0]
W_y = [[1, -1]]
y = [0.5, -0.5, 0]
"""


def run(args: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sheet = Path(tmp) / "three.toml"
        sheet.write_text(THREE_STEPS, encoding="utf-8")
        out = str(Path(tmp) / "out")
        cases = {
            "python -c 'import sympy' (baseline)": ["-c", "import sympy"],
            "example sheet, md,json,tex,html (< 2 s)": ["-m", "symnn.cli", "sheet", "rnn", "--out", out,
                                                         "--quiet", "--format", "md,json,tex,html"],
            "2 hidden units, 3 steps, md,json": ["-m", "symnn.cli", "sheet", str(sheet), "--out", out,
                                                  "--quiet", "--format", "md,json"],
        }
        print(f"load average: {os.getloadavg()[0]:.2f}")
        print(f"{'case':<46} {'median s':>9} {'min s':>7} {'max s':>7} {'× baseline':>11} {'CPU s':>7}")
        baseline = None
        for name, argv in cases.items():
            runs = [run(argv) for _ in range(options.runs)]
            times = [wall for wall, _ in runs]
            median = statistics.median(times)
            baseline = baseline or median
            cpu = statistics.median(c for _, c in runs)
            print(f"{name:<46} {median:>9.3f} {min(times):>7.3f} {max(times):>7.3f} {median / baseline:>11.2f} "
                  f"{cpu:>7.3f}")


if __name__ == "__main__":
    main()
