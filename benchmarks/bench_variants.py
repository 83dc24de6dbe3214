"""Wall time of `symnn variants` and of a large network sheet, as whole processes (SymPy import included).

Run: python benchmarks/bench_variants.py [--runs 3]

Cases (issue 5 targets on a 2-core machine):
- 100 variants of a 2-3-1 ReLU/sigmoid backpropagation exercise, student + teacher Markdown,
  JSON key and Moodle XML, with --jobs 1 and --jobs 2 (target < 10 s);
- a 16-16-16-1 ReLU/sigmoid network sheet, JSON and Markdown (target < 3 s).
Prints a table with the median and spread over the runs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VARIANTS_SHEET = """\
title = "Backpropagation 2-3-1"

[[exercise]]
kind = "network"
title = "Backpropagation through a 2-3-1 network"
x = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [2] }
y = { choice = [0, 1] }
loss = "bce"
learning_rate = 0.1

[[exercise.layers]]
W = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [3, 2] }
b = { random = "uniform", low = -0.5, high = 0.5, step = 0.1, shape = [3] }
activation = "relu"

[[exercise.layers]]
W = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [1, 3] }
b = { random = "uniform", low = -0.5, high = 0.5, step = 0.1, shape = [1] }
activation = "sigmoid"
"""


def _matrix(rng: random.Random, rows: int, cols: int) -> str:
    return "[" + ", ".join("[" + ", ".join(f"{rng.randint(-10, 10) / 20}" for _ in range(cols)) + "]"
                           for _ in range(rows)) + "]"


def large_sheet() -> str:
    """A 16-16-16-1 ReLU network with a sigmoid output, fixed weights (seeded), one sample."""
    rng = random.Random(16)
    layers = []
    for n_in, n_out, act in ((16, 16, "relu"), (16, 16, "relu"), (16, 1, "sigmoid")):
        layers.append(f"[[exercise.layers]]\nW = {_matrix(rng, n_out, n_in)}\n"
                      f"b = {[rng.randint(-4, 4) / 20 for _ in range(n_out)]}\nactivation = \"{act}\"\n")
    x = [rng.randint(-10, 10) / 10 for _ in range(16)]
    return ("title = \"A 16-16-16-1 network\"\n\n[[exercise]]\nkind = \"network\"\n"
            f"x = {x}\ny = 1\nloss = \"bce\"\nlearning_rate = 0.1\n\n" + "\n".join(layers))


def time_command(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "symnn.cli", *args], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "bp231.toml").write_text(VARIANTS_SHEET, encoding="utf-8")
        (folder / "net16.toml").write_text(large_sheet(), encoding="utf-8")
        cases = {
            "100 variants, md+json+moodle, --jobs 1 (< 10 s)":
                ["variants", str(folder / "bp231.toml"), "--count", "100", "--seed", "1", "--format",
                 "md,json,moodle", "--jobs", "1", "--quiet", "--out", str(folder / "v1")],
            "100 variants, md+json+moodle, --jobs 2 (< 10 s)":
                ["variants", str(folder / "bp231.toml"), "--count", "100", "--seed", "1", "--format",
                 "md,json,moodle", "--jobs", "2", "--quiet", "--out", str(folder / "v2")],
            "16-16-16-1 sheet, md+json (< 3 s)":
                ["sheet", str(folder / "net16.toml"), "--format", "md,json", "--quiet", "--out",
                 str(folder / "s")],
        }
        print(f"{'case':<52} {'median s':>9} {'min s':>7} {'max s':>7}")
        for name, command in cases.items():
            times = [time_command(command) for _ in range(args.runs)]
            print(f"{name:<52} {statistics.median(times):>9.3f} {min(times):>7.3f} {max(times):>7.3f}")


if __name__ == "__main__":
    main()
