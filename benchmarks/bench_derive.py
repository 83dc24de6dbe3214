"""symnn.derive against SymPy's MatrixExpr.diff on the Matrix Cookbook's scalar identities.

Run: python benchmarks/bench_derive.py [--repeat 3]
For each identity of tests/test_cookbook.py, at symbolic sizes and at concrete sizes (X 3×3, or
4×3 where the Cookbook's X is not square): the median time of symnn.derive (formula and its
verification at random exact points), the time of SymPy's own diff (stopped after 5 s), and
whether SymPy's answer is right (checked at random exact points by symnn's point check).
Prints a table, then the summary the issue asks for: the slowest derive, and derive's time as
a multiple of SymPy's on the identities SymPy gets right.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import sympy as sp
from test_cookbook import IDENTITIES, m, n

from symnn.library import pointcheck
from symnn.library.matcalc import derive

CONCRETE = {n: 3, m: 4}


class TimedOut(Exception):
    pass


def _alarm(signum, frame):
    raise TimedOut


def timed(call, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def sympy_diff(f, wrt, limit: float = 5.0) -> tuple[float | None, object]:
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    start = time.perf_counter()
    try:
        result = f.diff(wrt)
    except TimedOut:
        return None, "timeout"
    except Exception as exc:  # noqa: BLE001 - SymPy raises many kinds
        return time.perf_counter() - start, f"error: {type(exc).__name__}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return time.perf_counter() - start, result


def sympy_right(f, wrt, result) -> bool:
    if not isinstance(result, sp.MatrixExpr) or result.shape != wrt.shape:
        return False
    try:
        return pointcheck.disagreement(f, wrt, result) is None
    except Exception:  # noqa: BLE001 - SymPy's form may hold what the point check cannot read
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'eq':>5} {'sizes':<9} {'derive ms':>9} {'sympy ms':>9} {'sympy':<8} {'ratio':>6}")
    slowest, ratios = 0.0, []
    for identity in IDENTITIES:
        for label, sizes in (("symbolic", {}), ("concrete", CONCRETE)):
            f, wrt = identity.f.xreplace(sizes), identity.wrt.xreplace(sizes)
            ours, _ = timed(lambda f=f, wrt=wrt: derive(f, wrt), args.repeat)
            theirs, result = sympy_diff(f, wrt)
            right = theirs is not None and sympy_right(f, wrt, result)
            verdict = "right" if right else ("timeout" if theirs is None else "wrong/err")
            ratio = ours / theirs if right and theirs else None
            if ratio is not None:
                ratios.append(ratio)
            slowest = max(slowest, ours)
            print(f"{identity.number:>5} {label:<9} {ours * 1000:>9.1f} "
                  f"{'-' if theirs is None else f'{theirs * 1000:.1f}':>9} {verdict:<8} "
                  f"{'-' if ratio is None else f'{ratio:.2f}':>6}")
    print(f"\nslowest derive: {slowest * 1000:.1f} ms (target < 50 ms)")
    if ratios:
        print(f"derive / SymPy where SymPy is right ({len(ratios)} cases): median {statistics.median(ratios):.2f}×, "
              f"max {max(ratios):.2f}× (target ≤ 3×)")


if __name__ == "__main__":
    main()
