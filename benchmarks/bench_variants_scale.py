"""Variants at the scale of a large class: 1,000 variants of a 2-3-1 ReLU -> sigmoid BCE exercise.

Run: python benchmarks/bench_variants_scale.py [--count 1000] [--jobs 2] [--against /path/to/other/checkout]

Times `symnn variants ... --format md,json,moodle --jobs N` as a whole process (issue 12 target:
1,000 variants in under 10 s with --jobs 2), beside `python -c "import sympy"`, with the CPU time
of the whole process tree (the command and its pool workers) and the CPU time per variant in one
process.  On a shared machine the wall time grows with the load; the CPU time much less, and
CPU s / jobs is about what the wall time would be on an idle machine.  With --against, the same
run from another checkout (e.g. main) is timed too, interleaved run by run, and the two output
folders are compared byte for byte.  --runs N repeats each and reports the median.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_variants import VARIANTS_SHEET  # noqa: E402 - the same exercise as the issue-5 benchmark

PER_VARIANT = """
import time
from symnn.sheets.variants import make_variant
make_variant(SHEET, "<bench>", 1, 1)
start = time.process_time()
for n in range(2, 42):
    make_variant(SHEET, "<bench>", 1, n)
print((time.process_time() - start) / 40)
"""


def run_variants(checkout: Path, sheet: Path, out: Path, count: int, jobs: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its workers)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "symnn", "variants", str(sheet), "--count", str(count), "--seed", "1",
                    "--format", "md,json,moodle", "--jobs", str(jobs), "--quiet", "--out", str(out)],
                   check=True, cwd=checkout, env={**os.environ, "PYTHONPATH": str(checkout)})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def per_variant(checkout: Path) -> float:
    code = f"SHEET = {VARIANTS_SHEET!r}\n{PER_VARIANT}"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=checkout,
                         env={**os.environ, "PYTHONPATH": str(checkout)})
    return float(out.stdout.strip())


def same_files(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir())
    if names != sorted(p.name for p in b.iterdir()):
        return False
    return all(filecmp.cmp(a / n, b / n, shallow=False) for n in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1, help="runs of each checkout, interleaved (median reported)")
    parser.add_argument("--against", type=Path, help="another checkout to time and compare with")
    args = parser.parse_args()
    here = Path(__file__).resolve().parent.parent
    checkouts = {"this tree": here}
    if args.against:
        checkouts["against"] = args.against.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        sheet = Path(tmp, "bp231.toml")
        sheet.write_text(VARIANTS_SHEET, encoding="utf-8")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import sympy"], check=True)
        sympy_import = time.perf_counter() - start
        print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; "
              f"python -c 'import sympy': {sympy_import:.3f} s")
        # Each run writes a folder of its own, removed only at the end: a run over the previous one's
        # files frees their inodes, and ext4 without a journal then looks past every recently freed
        # inode for each new file (measured: creating 2,000 files took 1.3-1.9 s of kernel time
        # instead of 0.1 s), which would be timed as the command's.
        outs = {name: Path(tmp, name.replace(" ", "_")) for name in checkouts}
        walls: dict[str, list[float]] = {name: [] for name in checkouts}
        cpus: dict[str, list[float]] = {name: [] for name in checkouts}
        for run in range(args.runs):
            for name, checkout in checkouts.items():
                outs[name] = Path(tmp, f"{name.replace(' ', '_')}-{run + 1}")
                wall, cpu = run_variants(checkout, sheet, outs[name], args.count, args.jobs)
                walls[name].append(wall)
                cpus[name].append(cpu)
        print(f"{'checkout':<12} {'variants':>8} {'jobs':>4} {'wall s':>8} {'x sympy':>8} {'CPU s':>7} "
              f"{'CPU s/jobs':>10} {'CPU ms/variant':>15}")
        for name, checkout in checkouts.items():
            wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
            print(f"{name:<12} {args.count:>8} {args.jobs:>4} {wall:>8.2f} {wall / sympy_import:>8.1f} {cpu:>7.2f} "
                  f"{cpu / args.jobs:>10.2f} {per_variant(checkout) * 1000:>15.1f}")
        if args.against:
            base, mine = statistics.median(walls["against"]), statistics.median(walls["this tree"])
            print(f"wall time ratio this tree / against: {mine / base:.2f}; CPU ratio: "
                  f"{statistics.median(cpus['this tree']) / statistics.median(cpus['against']):.2f}")
            print("outputs byte-identical:", same_files(outs["this tree"], outs["against"]))
        print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
