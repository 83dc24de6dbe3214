"""Speed of issue 14's first kinds (optimizer, batchnorm, dropout), each as a whole process.

* each built-in example sheet (``symnn sheet NAME``) in md, json, tex and html (all formats but PDF):
  target under 2 s;
* Adam for 100 steps on a 3×3 parameter matrix (f = θ² on every entry; steps 3…100 run in certified
  ball arithmetic): target under 2 s, as a whole ``symnn sheet`` process (md, json) and in-process solve.

The machine may be shared: every case is also shown as a ratio to ``python -c "import sympy"`` timed
in the same run (the floor of any symnn process), and as CPU seconds (user + system of the child),
which a loaded machine stretches less than wall time.  Note the load (``uptime``) beside the figures.

Run: python benchmarks/bench_optimizer.py [--runs 5]
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

ADAM_3X3 = """
[[exercise]]
kind = "optimizer"
method = "adam"
theta = [[1, -2, 0.5], [3, -1, 2], [-0.5, 1.5, -3]]
f = "theta^2"
learning_rate = 0.1
steps = 100
"""


def run_once(command: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(command: list[str], runs: int) -> tuple[float, float]:
    results = [run_once(command) for _ in range(runs)]
    return statistics.median(w for w, _ in results), statistics.median(c for _, c in results)


def in_process_adam() -> float:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's symnn, as `python -m` uses
    from symnn.sheets.crosscheck import solve_checked
    from symnn.sheets.loading import parse_sheet

    start = time.perf_counter()
    solve_checked(parse_sheet(ADAM_3X3))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as out:
        adam = Path(out) / "adam3x3.toml"
        adam.write_text(ADAM_3X3, encoding="utf-8")
        sheet = [python, "-m", "symnn", "sheet", "--out", out, "--quiet"]
        cases = {
            'baseline: python -c "import sympy"': [python, "-c", "import sympy"],
            **{f"example {name}: md,json,tex,html (< 2 s)": [*sheet, "-f", "md,json,tex,html", name]
               for name in ("dropout", "optimizer", "batchnorm")},
            "Adam 100 steps, 3×3: md,json (< 2 s)": [*sheet, "-f", "md,json", str(adam)],
        }
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'case':<48} {'wall s':>7} {'cpu s':>6} {'× import sympy':>15}")
        baseline = None
        for name, command in cases.items():
            wall, cpu = measure(command, args.runs)
            baseline = baseline or wall
            print(f"{name:<48} {wall:>7.3f} {cpu:>6.3f} {wall / baseline:>15.2f}")
    print(f"{'Adam 100 steps, 3×3: solve + cross-check in process':<48} {in_process_adam():>7.3f}")


if __name__ == "__main__":
    main()
