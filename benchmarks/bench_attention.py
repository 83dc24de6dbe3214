"""Wall time of kind ``attention`` as whole processes (SymPy import included), beside a baseline.

Run: python benchmarks/bench_attention.py [--runs 5]

Cases (issue 14 targets):
* the built-in example sheet ``attention`` in md, json, tex and html (all formats but PDF): < 2 s;
* 4 queries, 4 keys, d = 8 (and d_v = 8), forward and backward, solved exactly, cross-checked with
  numpy and written as md and json: < 3 s.

The machine is shared, so each case is also given as a ratio to ``python -c "import sympy"``
timed in the same run, and with the child's CPU time (user + system, less sensitive to load); note the load (``uptime``) beside the figures.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def big_sheet(seed: int = 14) -> str:
    """4 queries, 4 keys, d = d_v = 8, entries multiples of 0.1 in [-1, 1], with an upstream gradient."""
    rng = random.Random(seed)

    def matrix(rows: int, cols: int) -> str:
        return "[" + ", ".join("[" + ", ".join(str(rng.randint(-10, 10) / 10) for _ in range(cols)) + "]"
                               for _ in range(rows)) + "]"

    return (f'[[exercise]]\nkind = "attention"\nQ = {matrix(4, 8)}\nK = {matrix(4, 8)}\nV = {matrix(4, 8)}\n'
            f"upstream = {matrix(4, 8)}\n")


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
        sheet = Path(tmp) / "big.toml"
        sheet.write_text(big_sheet(), encoding="utf-8")
        out = str(Path(tmp) / "out")
        cases = {
            "python -c 'import sympy' (baseline)": ["-c", "import sympy"],
            "example sheet, md,json,tex,html (< 2 s)": ["-m", "symnn.cli", "sheet", "attention", "--out", out,
                                                         "--quiet", "--format", "md,json,tex,html"],
            "4 queries, d = 8, fwd+bwd, md,json (< 3 s)": ["-m", "symnn.cli", "sheet", str(sheet), "--out", out,
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
