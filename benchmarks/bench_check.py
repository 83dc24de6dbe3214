"""Wall time of `symnn check SPEC answers/*.toml` for a class of generated submissions.

Run: python benchmarks/bench_check.py [--files 1000] [--runs 3] [--jobs 1 2]
Generates the answers files in a temporary folder (every quantity of the built-in
seed sheet, rounded to 2–5 decimals, a few entries wrong on purpose), then times the
whole command as a process (SymPy import and solving the sheet included) for each
--jobs value, and prints a table with the median and spread over the runs, and the
CPU seconds of all processes (a figure that other load on the machine does not inflate).
The target of issue 4 is under 10 s for 1,000 files on 2 cores.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from symnn.sheets.kinds import kind_of
from symnn.sheets.loading import load_sheet

SEED_SHEET = ROOT / "symnn" / "sheets" / "seed.toml"


def _number(value: float, places: int, rng: random.Random, slip: bool) -> str:
    if slip:
        value += rng.choice((-3, 3, 7)) * 10**-places
    text = f"{value:.{places}f}"
    return "0.0" if float(text) == 0 else text


def _toml_value(value: object, places: int, rng: random.Random, slip_rate: float) -> str:
    import numpy as np

    array = np.atleast_2d(np.asarray(value, dtype=float))
    rows = ["[" + ", ".join(_number(float(v), places, rng, rng.random() < slip_rate) for v in row) + "]"
            for row in array]
    return rows[0] if len(rows) == 1 else "[" + ", ".join(rows) + "]"


def write_submissions(folder: Path, count: int, seed: int = 4) -> list[Path]:
    """``count`` answers files for the seed sheet: all quantities, mostly right, some slips."""
    rng = random.Random(seed)
    sheet = load_sheet()
    reference = {e.id: kind_of(e).reference(e.data) for e in sheet.exercises}
    paths = []
    for n in range(count):
        lines = [f"# generated submission {n}"]
        for ex_id, values in reference.items():
            lines.append(f"[{ex_id}]")
            for name, value in values.items():
                lines.append(f"{name} = {_toml_value(value, rng.randint(2, 5), rng, 0.03)}")
        path = folder / f"student_{n:04d}.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # includes the pool's workers once reaped
    return usage.ru_utime + usage.ru_stime


def time_once(paths: list[Path], jobs: int) -> tuple[float, float]:
    """Wall seconds and CPU seconds (all processes) of one run."""
    cpu, start = _cpu(), time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "symnn.cli", "check", str(SEED_SHEET), *map(str, paths),
                           "--jobs", str(jobs)], check=False, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"symnn check failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, _cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_submissions(Path(tmp), args.files)
        quantities = sum(1 for line in paths[0].read_text().splitlines() if " = " in line)
        print(f"{args.files} answers files, {quantities} claimed quantities each, seed sheet")
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        print(f"{'jobs':>4} {'median s':>9} {'min s':>7} {'max s':>7} {'files/s':>8} {'CPU s':>7}")
        for jobs in args.jobs:
            runs = [time_once(paths, jobs) for _ in range(args.runs)]
            times = [wall for wall, _ in runs]
            median = statistics.median(times)
            cpu = statistics.median(c for _, c in runs)
            print(f"{jobs:>4} {median:>9.3f} {min(times):>7.3f} {max(times):>7.3f} {args.files / median:>8.0f} "
                  f"{cpu:>7.2f}")


if __name__ == "__main__":
    main()
