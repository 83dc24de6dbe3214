"""Exact gradients at the speed of exact arithmetic: symnn against its limit and the alternatives.

An n-n-1 network (ReLU hidden layer, sigmoid output, binary cross-entropy, one sample,
random rational weights scaled like Glorot's uniform initialisation) for n = 4, 16, 64, 256:

* symnn exact         ``net.gradients(x, y, "bce")`` — every gradient exact (flint
                      rationals times the exact output error σ(z) − y);
* bare kernel         the same reverse-mode pass written directly on DomainMatrix (QQ),
                      the exact-arithmetic limit symnn is measured against;
* as SymPy            reading every gradient as a SymPy ``Matrix`` of exact expressions;
* certified 50        ``net.gradients(..., digits=50)``: arb balls with every digit certain;
* 50-digit text       additionally printing every entry as its certified decimal;
* naive SymPy         the loss as one expression, ``diff`` by every weight, substitute;
* numpy float64       the same gradients in stable float64 (σ(z) − y without cancellation);
* torch float64       autograd, if PyTorch is installed;
* extra peak RSS      resident memory added by one ``net.gradients`` call (exact / certified),
                      measured in a fresh process with the kernel's peak counter reset.

Run:  python benchmarks/bench_gradients.py [--sizes 4 16 64 256] [--naive-limit 16]
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import subprocess
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import symnn

Problem = dict[str, list[list[Fraction]]]


def make_problem(n: int, seed: int = 0) -> Problem:
    """Random rational weights, uniform in ±1/√n with varied denominators."""
    rng = random.Random(seed)
    scale = math.isqrt(n)

    def weight() -> Fraction:
        return Fraction(rng.randint(-999, 999), rng.randint(500, 1500) * scale)

    return {
        "W1": [[weight() for _ in range(n)] for _ in range(n)],
        "b1": [[weight()] for _ in range(n)],
        "W2": [[weight() for _ in range(n)]],
        "b2": [[weight()]],
        "x": [[Fraction(rng.randint(-99, 99), rng.randint(1, 99))] for _ in range(n)],
        "y": [[Fraction(1)]],
    }


def domain_matrix(rows: list[list[Fraction]]) -> DomainMatrix:
    return DomainMatrix([[QQ(v.numerator, v.denominator) for v in row] for row in rows],
                        (len(rows), len(rows[0])), QQ)


def bare_kernel(W1: DomainMatrix, b1: DomainMatrix, W2: DomainMatrix, b2: DomainMatrix,
                x: DomainMatrix, y: DomainMatrix) -> dict[str, Any]:
    """Reverse mode on DomainMatrix, nothing else: rational sensitivities and the exact δ."""
    z1 = W1.matmul(x) + b1
    flat = z1.to_list_flat()
    a1 = DomainMatrix.from_list_flat([v if v > 0 else QQ.zero for v in flat], z1.shape, QQ)
    mask = DomainMatrix.from_list_flat([QQ.one if v > 0 else QQ.zero for v in flat], z1.shape, QQ)
    z2 = W2.matmul(a1) + b2
    # σ(z) − y, the exact output error of sigmoid + cross-entropy (one SymPy expression).
    delta = 1 / (1 + sp.exp(-QQ.to_sympy(z2.to_list_flat()[0]))) - QQ.to_sympy(y.to_list_flat()[0])
    unit = DomainMatrix.from_list_flat([QQ.one], (1, 1), QQ)
    d1 = W2.transpose().matmul(unit).mul_elementwise(mask)
    return {"delta": delta, "W1": d1.matmul(x.transpose()), "b1": d1,
            "W2": unit.matmul(a1.transpose()), "b2": unit}


def network(problem: Problem) -> symnn.Network:
    return symnn.Network([symnn.Dense(problem["W1"], problem["b1"], "relu"),
                          symnn.Dense(problem["W2"], problem["b2"], "sigmoid")])


def naive_sympy(problem: Problem) -> dict[str, sp.Matrix]:
    """The loss as one expression of weight symbols, differentiated by each weight."""
    symbols, values = {}, {}
    for name in ("W1", "b1", "W2", "b2"):
        rows = problem[name]
        matrix = sp.Matrix(len(rows), len(rows[0]), lambda i, j, k=name: sp.Symbol(f"{k}_{i}_{j}"))
        symbols[name] = matrix
        values.update({matrix[i, j]: sp.Rational(rows[i][j].numerator, rows[i][j].denominator)
                       for i in range(matrix.rows) for j in range(matrix.cols)})
    x = sp.Matrix([[sp.Rational(v.numerator, v.denominator) for v in row] for row in problem["x"]])
    relu = sp.Piecewise((sp.Symbol("t"), sp.Symbol("t") > 0), (0, True))
    a1 = (symbols["W1"] * x + symbols["b1"]).applyfunc(lambda z: relu.subs(sp.Symbol("t"), z))
    a2 = 1 / (1 + sp.exp(-(symbols["W2"] * a1 + symbols["b2"])[0, 0]))
    loss = -sp.log(a2)  # y = 1
    return {name: matrix.applyfunc(lambda s: sp.diff(loss, s).xreplace(values))
            for name, matrix in symbols.items()}


def numpy_stable(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray,
                 x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    z1 = W1 @ x + b1
    a1 = np.maximum(z1, 0.0)
    z2 = W2 @ a1 + b2
    delta2 = (1 - y) / (1 + np.exp(-z2)) - y / (1 + np.exp(z2))
    delta1 = (W2.T @ delta2) * (z1 > 0)
    return {"W1": delta1 @ x.T, "b1": delta1, "W2": delta2 @ a1.T, "b2": delta2}


def torch_autograd(arrays: dict[str, np.ndarray]) -> Callable[[], Any] | None:
    try:
        import torch
    except ImportError:
        return None
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=k in ("W1", "b1", "W2", "b2"))
         for k, v in arrays.items()}

    def run() -> Any:
        for k in ("W1", "b1", "W2", "b2"):
            t[k].grad = None
        z2 = t["W2"] @ torch.relu(t["W1"] @ t["x"] + t["b1"]) + t["b2"]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z2, t["y"], reduction="sum")
        loss.backward()
        return t["W1"].grad

    return run


def best_time(function: Callable[[], Any], budget: float = 1.0, repeat: int = 7) -> float:
    """Best of ``repeat`` timings, each of as many calls as fit in budget/repeat seconds.

    The first call is a warm-up (it fills one-time caches such as SymPy's simplification
    of the output-error rule), the second sizes the batches.
    """
    function()
    start = time.perf_counter()
    function()
    once = time.perf_counter() - start
    number = max(1, int(budget / repeat / max(once, 1e-9)))
    best = math.inf
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for _ in range(number):
            function()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def single_time(function: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


# ---------------------------------------------------------------------------
# Memory, measured in a child process.


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def measure_memory(method: str, n: int) -> None:
    """Child-process entry point: print the extra peak RSS (KiB) of one gradients call."""
    problem = make_problem(n)
    net = network(problem)
    digits = 50 if method == "certified" else None
    net.gradients(problem["x"], problem["y"], "bce", digits=digits)  # warm caches
    gc.collect()
    baseline = _status_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) counter
    result = net.gradients(problem["x"], problem["y"], "bce", digits=digits)
    print(_status_kib("VmHWM") - baseline)
    del result


def memory_of(method: str, n: int) -> str:
    try:
        out = subprocess.run([sys.executable, __file__, "--memory", method, str(n)],
                             capture_output=True, text=True, check=True, timeout=600)
        return f"{int(out.stdout.split()[-1]) / 1024:.1f}"
    except (subprocess.SubprocessError, OSError, ValueError, IndexError):
        return "n/a"


# ---------------------------------------------------------------------------


def check_agreement(problem: Problem, grads: Any, certified: Any, kernel: dict[str, Any],
                    floats: dict[str, np.ndarray]) -> None:
    """The table is only worth printing if the methods agree."""
    factored = grads.factored("W1")
    assert factored is not None and factored.terms[0][1] == kernel["W1"]
    assert sp.simplify(factored.terms[0][0] - kernel["delta"]) == 0
    for name, values in floats.items():
        for (i, j), value in np.ndenumerate(values):
            low, high = certified[name].interval(i, j)
            tolerance = 1e-12 * max(abs(float(low)), abs(float(high)), 1e-300)
            assert float(low) - tolerance <= value <= float(high) + tolerance, (name, i, j)


def row(n: int, naive_limit: int) -> list[str]:
    problem = make_problem(n)
    net = network(problem)
    x, y = problem["x"], problem["y"]
    matrices = {k: domain_matrix(v) for k, v in problem.items()}
    arrays = {k: np.array([[float(v) for v in r] for r in rows]) for k, rows in problem.items()}
    args = [arrays[k] for k in ("W1", "b1", "W2", "b2", "x", "y")]
    margs = [matrices[k] for k in ("W1", "b1", "W2", "b2", "x", "y")]

    exact = best_time(lambda: net.gradients(x, y, "bce"))
    kernel = best_time(lambda: bare_kernel(*margs))
    certified = best_time(lambda: net.gradients(x, y, "bce", digits=50), repeat=3)
    grads = net.gradients(x, y, "bce")
    as_sympy = single_time(lambda: [grads[k] for k in net.gradients(x, y, "bce")])
    cert = net.gradients(x, y, "bce", digits=50)
    decimals = single_time(lambda: [m.decimals() for m in
                                    net.gradients(x, y, "bce", digits=50).values()])
    floats = numpy_stable(*args)
    check_agreement(problem, grads, cert, bare_kernel(*margs), floats)
    numpy_time = best_time(lambda: numpy_stable(*args))
    torch_run = torch_autograd(arrays)
    torch_text = f"{best_time(torch_run) * 1e3:.3f}" if torch_run else "not installed"
    naive_text = f"{single_time(lambda: naive_sympy(problem)):.2f}" if n <= naive_limit else "skipped"
    return [str(n), str(n * n + 2 * n + 1), f"{exact * 1e3:.2f}", f"{kernel * 1e3:.2f}",
            f"{exact / kernel:.2f}", f"{as_sympy * 1e3:.0f}", f"{certified * 1e3:.1f}",
            f"{decimals * 1e3:.0f}", naive_text, f"{numpy_time * 1e3:.3f}", torch_text,
            memory_of("exact", n), memory_of("certified", n)]


HEADER = ["n", "params", "symnn exact ms", "bare kernel ms", "ratio", "as SymPy ms",
          "certified 50 ms", "50-digit text ms", "naive SymPy s", "numpy f64 ms", "torch f64 ms",
          "exact +RSS MiB", "certified +RSS MiB"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 16, 64, 256])
    parser.add_argument("--naive-limit", type=int, default=16,
                        help="largest n for the naive SymPy way (it grows like n^4)")
    parser.add_argument("--memory", nargs=2, metavar=("METHOD", "N"), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.memory:
        measure_memory(options.memory[0], int(options.memory[1]))
        return 0
    print(f"python {sys.version.split()[0]}, sympy {sp.__version__}, "
          f"python-flint {__import__('flint').__version__}, numpy {np.__version__}")
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "|".join("---" for _ in HEADER) + "|")
    for n in options.sizes:
        print("| " + " | ".join(row(n, options.naive_limit)) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
