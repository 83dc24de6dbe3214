"""Training runs as whole processes, against a bare `python -c "import sympy"` in the same run.

Run: python benchmarks/bench_train.py [--runs 5]

Cases (issue 12 targets, on a 2-core machine):
- the 2-2-2 logistic example (Mazur's weights; inputs 0.05, 0.10; targets 0.01, 0.99; squared
  error; learning rate 0.5) with steps = 10000, md + json + its loss-curve plot (target < 5 s);
- a 2-3-1 ReLU -> sigmoid network with binary cross-entropy, steps = 1, md + json (target < 1.5 s);
- the issue's 2-3-3 tanh -> softmax cross-entropy network (batch of 2, learning rate 0.5) with
  steps = 10000, md + json + plot: plain balls would need ~43,000 bits, so it runs in the
  mean-value form;
- a 2-3-1 tanh -> identity regression with squared error, steps = 10000: it fits its one sample and
  the loss falls geometrically, below 1E-300 from step 631 (reported as that bound; refused before);
- in process: Network.train for the 2-2-2 example, 10,000 steps, 20 certified digits;
- in process, once each (--no-centred skips them): the issue's tanh -> softmax cross-entropy
  network (batch of 2, 3 classes, learning rate 0.5), 15 digits, plain balls against the
  mean-value (centred) form at 1,000 and 1,900 steps (the most plain balls fit in 8192 bits), and
  at 10,000 steps (plain refused);
  the working precision and the seconds of each.
Prints the median over the runs, its ratio to the SymPy import, and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAZUR = """
title = "2-2-2 logistic network, 10,000 steps"

[[exercise]]
kind = "network"
x = [0.05, 0.10]
y = [0.01, 0.99]
loss = "half_sse"
learning_rate = 0.5
steps = 10000

[[exercise.layers]]
W = [[0.15, 0.20], [0.25, 0.30]]
b = [0.35, 0.35]
activation = "sigmoid"

[[exercise.layers]]
W = [[0.40, 0.45], [0.50, 0.55]]
b = [0.60, 0.60]
activation = "sigmoid"
"""

RELU_SIGMOID = """
title = "2-3-1 ReLU -> sigmoid, one step"

[[exercise]]
kind = "network"
x = [0.5, -0.3]
y = 1
loss = "bce"
learning_rate = 0.1
steps = 1

[[exercise.layers]]
W = [[0.2, -0.4], [0.7, 0.1], [-0.5, 0.3]]
b = [0.1, -0.2, 0.3]
activation = "relu"

[[exercise.layers]]
W = [[0.6, -0.8, 0.4]]
b = [0.2]
activation = "sigmoid"
"""

TANH_SOFTMAX = """
title = "tanh -> softmax cross-entropy, 10,000 steps (the mean-value form)"

[[exercise]]
kind = "network"
x = [[0.05, 0.3], [0.1, -0.2]]
y = [[0, 1], [1, 0], [0, 0]]
loss = "cross_entropy"
learning_rate = 0.5
steps = 10000

[[exercise.layers]]
W = [[0.15, 0.2], [0.25, 0.3]]
b = [0.35, 0.35]
activation = "tanh"

[[exercise.layers]]
W = [[0.4, 0.45], [0.5, 0.55], [0.1, -0.3]]
b = [0.6, 0.6, 0.1]
activation = "softmax"
"""

REGRESSION = """
title = "2-3-1 tanh -> identity regression, 10,000 steps (a loss that vanishes)"

[[exercise]]
kind = "network"
x = [0.5, -0.3]
y = [[0.8]]
loss = "mse"
learning_rate = 0.1
steps = 10000

[[exercise.layers]]
W = [[0.3, -0.2], [0.5, 0.1], [-0.4, 0.6]]
b = [0.1, -0.1, 0.2]
activation = "tanh"

[[exercise.layers]]
W = [[0.7, -0.5, 0.2]]
b = [0.05]
activation = "identity"
"""

IN_PROCESS = """
import time
import symnn
net = symnn.Network([symnn.Dense([["0.15", "0.20"], ["0.25", "0.30"]], ["0.35", "0.35"], "sigmoid"),
                     symnn.Dense([["0.40", "0.45"], ["0.50", "0.55"]], ["0.60", "0.60"], "sigmoid")])
start = time.perf_counter()
run = net.train(["0.05", "0.10"], ["0.01", "0.99"], "half_sse", "0.5", 10_000, digits=20)
print(time.perf_counter() - start)
"""


CENTRED = """
import sys, time
import symnn
net = symnn.Network([symnn.Dense([["0.15", "0.2"], ["0.25", "0.3"]], ["0.35", "0.35"], "tanh"),
                     symnn.Dense([["0.4", "0.45"], ["0.5", "0.55"], ["0.1", "-0.3"]], ["0.6", "0.6", "0.1"],
                                 "softmax")])
steps, centred = int(sys.argv[1]), {"plain": False, "centred": True}[sys.argv[2]]
start = time.perf_counter()
try:
    run = net.train([["0.05", "0.3"], ["0.1", "-0.2"]], [[0, 1], [1, 0], [0, 0]], "cross_entropy", "0.5", steps,
                    digits=15, centred=centred)
except symnn.SymnnError as exc:
    print("refused", str(exc).split("need about ")[1].split(" bits")[0], time.perf_counter() - start)
else:
    print(run.precision, run.loss_after(steps)[0, 0], time.perf_counter() - start)
"""


def time_once(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-centred", action="store_true", help="skip the plain / mean-value comparison")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        mazur, relu = Path(tmp, "mazur10000.toml"), Path(tmp, "relu_sigmoid.toml")
        tanh_softmax = Path(tmp, "tanh_softmax10000.toml")
        tanh_softmax.write_text(TANH_SOFTMAX, encoding="utf-8")
        regression = Path(tmp, "regression10000.toml")
        regression.write_text(REGRESSION, encoding="utf-8")
        mazur.write_text(MAZUR, encoding="utf-8")
        relu.write_text(RELU_SIGMOID, encoding="utf-8")
        symnn = [sys.executable, "-m", "symnn", "sheet", "--format", "md,json", "--out", tmp, "--quiet"]
        cases = {
            "python -c 'import sympy' (baseline)": [sys.executable, "-c", "import sympy"],
            "2-2-2 sigmoid, steps = 10000 (< 5 s)": [*symnn, str(mazur)],
            "2-3-1 ReLU->sigmoid BCE, steps = 1 (< 1.5 s)": [*symnn, str(relu)],
            "2-3-3 tanh->softmax CE, steps = 10000 (centred)": [*symnn, str(tanh_softmax)],
            "2-3-1 tanh->identity MSE, steps = 10000": [*symnn, str(regression)],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        inner: list[float] = []
        for _ in range(args.runs):
            for name, command in cases.items():
                times[name].append(time_once(command))
            out = subprocess.run([sys.executable, "-c", IN_PROCESS], check=True, capture_output=True, text=True)
            inner.append(float(out.stdout.strip()))
    base = statistics.median(times["python -c 'import sympy' (baseline)"])
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; runs: {args.runs}")
    print(f"{'case':<46} {'median s':>9} {'x sympy':>8} {'min s':>7} {'max s':>7}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<46} {median:>9.3f} {median / base:>8.2f} {min(values):>7.3f} {max(values):>7.3f}")
    print(f"{'Network.train 2-2-2, 10,000 steps (in process)':<46} {statistics.median(inner):>9.3f}")
    if not args.no_centred:
        centred_table()


def centred_table() -> None:
    """The issue's tanh -> softmax network: plain balls against the mean-value form (in process, once each)."""
    print()
    print("tanh -> softmax cross-entropy (batch 2, 3 classes, eta = 0.5), Network.train(digits=15), in process")
    print(f"{'steps':>6} {'form':<8} {'bits':>8} {'seconds':>8}  loss after the last step")
    for steps, form in ((1000, "plain"), (1000, "centred"), (1900, "plain"), (1900, "centred"), (10_000, "plain"),
                        (10_000, "centred")):
        out = subprocess.run([sys.executable, "-c", CENTRED, str(steps), form], check=True, capture_output=True,
                             text=True).stdout.split()
        if out[0] == "refused":
            print(f"{steps:>6} {form:<8} {out[1]:>8} {float(out[2]):>8.3f}  refused: needs more than 8192 bits")
        else:
            print(f"{steps:>6} {form:<8} {out[0]:>8} {float(out[2]):>8.3f}  {out[1]}")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
