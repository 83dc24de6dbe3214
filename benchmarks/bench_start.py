"""Start-up cost of symnn as whole processes, against a bare `python -c "import sympy"` in the same run.

Run: python benchmarks/bench_start.py [--runs 5]

Cases (issue 12 targets, on a 2-core machine):
- the built-in seed sheet, --format md,json (target ≤ 2.5 × the SymPy import);
- `symnn --help` (target ≤ 0.3 s);
- the seed sheet as JSON alone: no plot files, so no drawing worker; the main process's own share
  (imports, solving, cross-check), the floor of the md,json case;
- one softmax layer, 3 inputs, 32 classes, one sample, cross-entropy, md,json (target ≤ 0.5 s of
  solving: the table shows the whole process and, beside it, the process minus a trivial sheet's
  process, which is the start-up every sheet pays).
Prints the median over the runs, its ratio to the SymPy import, and the load average.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def softmax_sheet(classes: int = 32) -> str:
    """One softmax layer (3 inputs, ``classes`` outputs), one sample, cross-entropy; weights seeded."""
    rng = random.Random(32)
    W = [[rng.randint(-10, 10) / 10 for _ in range(3)] for _ in range(classes)]
    return (f'title = "softmax, {classes} classes"\n\n[[exercise]]\nkind = "network"\nx = [0.5, -1, 2]\n'
            f'y = [[3]]\nloss = "cross_entropy"\n\n[[exercise.layers]]\nW = {W}\nactivation = "softmax"\n')


TRIVIAL = 'title = "trivial"\n\n[[exercise]]\nkind = "forward"\nW = [[1]]\nX = [1]\nactivation = "relu"\n'


def time_once(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        soft, trivial = Path(tmp, "softmax32.toml"), Path(tmp, "trivial.toml")
        soft.write_text(softmax_sheet(), encoding="utf-8")
        trivial.write_text(TRIVIAL, encoding="utf-8")
        symnn = [sys.executable, "-m", "symnn"]
        cases = {
            "python -c 'import sympy' (baseline)": [sys.executable, "-c", "import sympy"],
            "symnn --help (target <= 0.3 s)": [*symnn, "--help"],
            "seed sheet md,json (target <= 2.5x)": [*symnn, "sheet", "--format", "md,json", "--out", tmp, "--quiet"],
            "seed sheet json (no plot files)": [*symnn, "sheet", "--format", "json", "--out", tmp, "--quiet"],
            "trivial forward sheet md,json": [*symnn, "sheet", str(trivial), "--format", "md,json", "--out", tmp,
                                              "--quiet"],
            "softmax 32 classes md,json": [*symnn, "sheet", str(soft), "--format", "md,json", "--out", tmp,
                                           "--quiet"],
        }
        medians: dict[str, float] = {}
        # Interleave the cases run by run, so load changes hit every case alike.
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, command in cases.items():
                times[name].append(time_once(command))
        for name in cases:
            medians[name] = statistics.median(times[name])
    base = medians["python -c 'import sympy' (baseline)"]
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; runs: {args.runs}")
    print(f"{'case':<40} {'median s':>9} {'x sympy':>8} {'min s':>7} {'max s':>7}")
    for name in cases:
        print(f"{name:<40} {medians[name]:>9.3f} {medians[name] / base:>8.2f} {min(times[name]):>7.3f} "
              f"{max(times[name]):>7.3f}")
    solving = medians["softmax 32 classes md,json"] - medians["trivial forward sheet md,json"]
    print(f"{'softmax 32 minus trivial sheet (solving)':<40} {solving:>9.3f}")


if __name__ == "__main__":
    main()
