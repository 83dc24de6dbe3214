"""Throughput per core of `symnn variants` and `symnn check` locally (--jobs 2) and on a Dask cluster.

Run: python benchmarks/bench_cluster.py [--variants 1000] [--files 10000] [--workers 2]
Starts a dask.distributed LocalCluster with --workers worker processes (one thread each) and
times each command as a whole process: variants of a 2-3-1 ReLU→sigmoid BCE exercise (md, json)
and a class of generated answers files for the seed sheet (as bench_check.py writes them).
Prints wall seconds, items per second and items per second per core, and checks that the
cluster run wrote the same bytes as the local one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_check import SEED_SHEET, write_submissions

BP231 = """
title = "Backpropagation 2-3-1"

[[exercise]]
kind = "network"
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


def timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "symnn", *argv], capture_output=True, text=True, cwd=ROOT,
                          check=False)
    return time.perf_counter() - start, done


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def main() -> None:
    from distributed import LocalCluster

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variants", type=int, default=1000)
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"{'work':<28} {'where':<16} {'wall s':>7} {'items/s':>8} {'/s/core':>8}")
    with tempfile.TemporaryDirectory() as tmp, LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
            silence_logs=50) as cluster:
        base = Path(tmp)
        spec = base / "bp231.toml"
        spec.write_text(BP231, encoding="utf-8")
        answers = write_submissions(base, args.files)
        runs = {
            f"{args.variants} variants": (args.variants, lambda out: [
                "variants", str(spec), "--count", str(args.variants), "--out", str(out), "-q", "--format", "md,json"]),
            f"{args.files} answers files": (args.files, lambda out: [
                "check", str(SEED_SHEET), *map(str, answers), "--json"]),
        }
        for work, (count, argv) in runs.items():
            outputs = []
            for where, extra in ((f"--jobs {args.workers}", ["--jobs", str(args.workers)]),
                                 (f"cluster x{args.workers}", ["--scheduler", cluster.scheduler_address])):
                out = base / f"out-{len(outputs)}-{work.split()[1]}"
                seconds, done = timed([*argv(out), *extra])
                if done.returncode not in (0, 1):
                    raise SystemExit(f"{work} ({where}) failed: {done.stderr.strip()[-500:]}")
                outputs.append(folder_bytes(out) if out.exists() else done.stdout)
                print(f"{work:<28} {where:<16} {seconds:>7.2f} {count / seconds:>8.1f} "
                      f"{count / seconds / args.workers:>8.1f}")
            print(f"{'':<28} {'same bytes:':<16} {outputs[0] == outputs[1]}")


if __name__ == "__main__":
    main()
