"""Wall time of `symnn sheet` on the built-in seed sheet, as a whole process (SymPy import included).

Run: python benchmarks/bench_sheet.py [--runs 7]
Prints a table with the median and spread over the runs for each format set.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

CASES = {
    "md,json (issue 2 target < 1.5 s)": ["--format", "md,json"],
}


def time_once(extra: list[str]) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "symnn.cli", "sheet", "--out", out, "--quiet", *extra], check=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"{'case':<40} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, extra in CASES.items():
        times = [time_once(extra) for _ in range(args.runs)]
        print(f"{name:<40} {statistics.median(times):>9.3f} {min(times):>7.3f} {max(times):>7.3f}")


if __name__ == "__main__":
    main()
