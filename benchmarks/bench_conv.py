"""Speed of the convolution kinds (issue 13): each example sheet as a whole process, and a 3-channel 8×8 layer.

Run: python benchmarks/bench_conv.py [--runs 5]

Targets: each built-in example sheet of the convolution kinds, all formats but PDF, under 2 s as a whole
process; a 3-channel 8×8 input with four 3×3 filters, forward and backward, under 3 s (timed here both in
process, solve and numpy cross-check, and as a whole `symnn sheet` process writing md and json).  The
machine is shared, so each row also gives the time of `python -c "import sympy"` measured alongside, and
the ratio to it.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this tree's symnn, for the in-process row

EXAMPLES = ("conv2d", "pool", "conv_transpose", "cnn_sizes")


def layer_sheet(seed: int = 13) -> str:
    """A conv2d exercise: 3 channels of 8×8, four 3×3 filters, biases and an upstream gradient."""
    rng = random.Random(seed)

    def grid(rows: int, cols: int, low: int, high: int) -> str:
        return "[" + ", ".join("[" + ", ".join(str(rng.randint(low, high)) for _ in range(cols)) + "]"
                               for _ in range(rows)) + "]"

    X = "[" + ", ".join(grid(8, 8, -3, 3) for _ in range(3)) + "]"
    K = "[" + ", ".join("[" + ", ".join(grid(3, 3, -2, 2) for _ in range(3)) + "]" for _ in range(4)) + "]"
    dY = "[" + ", ".join(grid(6, 6, -2, 2) for _ in range(4)) + "]"
    return (f'title = "3-channel 8x8, four 3x3 filters"\n[[exercise]]\nkind = "conv2d"\nX = {X}\nK = {K}\n'
            f"b = [1, -1, 0.5, 0]\ndY = {dY}\n")


CPU: list[float] = []
"""CPU seconds (user + system) of each whole-process run, in order: less disturbed by other load than wall time."""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def whole_process(args: list[str]) -> float:
    with tempfile.TemporaryDirectory() as out:
        start, cpu = time.perf_counter(), _children_cpu()
        subprocess.run([sys.executable, "-m", "symnn.cli", "sheet", *args, "--out", out, "--quiet"], check=True)
        CPU.append(_children_cpu() - cpu)
        return time.perf_counter() - start


def baseline() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sympy"], check=True)
    return time.perf_counter() - start


def in_process(text: str) -> float:
    from symnn.sheets.crosscheck import solve_checked
    from symnn.sheets.loading import load_sheet

    start = time.perf_counter()
    solve_checked(load_sheet(text))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from symnn.sheets.loading import builtin_sheets

    print(f"{'case':<56} {'median s':>9} {'max s':>7} {'cpu s':>6} {'sympy s':>8} {'ratio':>6}")
    rows: list[tuple[str, list[float], list[float], list[float]]] = []
    for name in EXAMPLES:
        if name in builtin_sheets():
            times, base = [], []
            CPU.clear()
            for _ in range(args.runs):
                base.append(baseline())
                times.append(whole_process([name, "--format", "md,json,tex,html"]))
            rows.append((f"sheet {name} md,json,tex,html (target < 2 s)", times, base, list(CPU)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "layer.toml"
        path.write_text(layer_sheet(), encoding="utf-8")
        times, base = [], []
        CPU.clear()
        for _ in range(args.runs):
            base.append(baseline())
            times.append(whole_process([str(path), "--format", "md,json"]))
        rows.append(("3x8x8 input, four 3x3 filters, process md,json (< 3 s)", times, base, list(CPU)))
    times = [in_process(layer_sheet()) for _ in range(args.runs)]
    rows.append(("3x8x8 input, four 3x3 filters, solve+crosscheck (< 3 s)", times, [0.0] * args.runs, []))
    for label, times, base, cpu in rows:
        b = statistics.median(base)
        ratio = f"{statistics.median(times) / b:>6.1f}" if b else f"{'-':>6}"
        spent = f"{statistics.median(cpu):>6.2f}" if cpu else f"{'-':>6}"
        print(f"{label:<56} {statistics.median(times):>9.3f} {max(times):>7.3f} {spent} {b:>8.3f} {ratio}")


if __name__ == "__main__":
    main()
