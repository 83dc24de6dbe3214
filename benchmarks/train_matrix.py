"""Which networks train for k steps, certified? A matrix over hidden activations, output/loss pairs,
batch sizes and learning rates, through ``symnn.Network.train`` (in process, 10 digits).

Run: python benchmarks/train_matrix.py [--steps 10000] [--timeout 60] [--seed 5]

Each case is a 2-3-n network (n = 3 for a softmax output, else 1) with weights, biases, inputs and
targets drawn from a seeded generator (tenths); a case is certified ("ok", with the form that ran and
the last loss), refused with symnn's one-line reason, over the time bound, or a bug (any other
exception). Prints one line per case and a count of each outcome.
"""

from __future__ import annotations

import argparse
import random
import signal
import time
from collections import Counter

import symnn

HIDDEN = ("sigmoid", "tanh", "softplus", "elu", "relu", "leaky_relu")
OUTPUTS = (("sigmoid", "bce"), ("identity", "mse"), ("softmax", "cross_entropy"), ("sigmoid", "mse"))


class TimedOut(Exception):
    """The case ran past the time bound."""


def _alarm(*_: object) -> None:
    raise TimedOut


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--timeout", type=int, default=60)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    def tenths(rows: int, cols: int, top: int = 9) -> list[list[str]]:
        return [[str(rng.randint(-top, top) / 10) for _ in range(cols)] for _ in range(rows)]

    signal.signal(signal.SIGALRM, _alarm)
    outcomes: Counter[str] = Counter()
    for hidden in HIDDEN:
        for out, loss in OUTPUTS:
            for batch in (1, 3):
                for rate in ("0.1", "0.5"):
                    n_out = 3 if out == "softmax" else 1
                    net = symnn.Network([symnn.Dense(tenths(3, 2), tenths(1, 3, 5)[0], hidden),
                                         symnn.Dense(tenths(n_out, 3), tenths(1, n_out, 5)[0], out)])
                    x = tenths(2, batch, 10)
                    if out == "softmax":
                        y = [[1 if k == s % 3 else 0 for s in range(batch)] for k in range(3)]
                    elif out == "sigmoid":
                        y = [[rng.choice([0, 1]) for _ in range(batch)]]
                    else:
                        y = tenths(1, batch, 10)
                    start = time.perf_counter()
                    signal.alarm(args.timeout)
                    try:
                        run = net.train(x, y, loss, rate, args.steps, digits=10)
                        outcome, text = "ok", (f"{'mean-value' if run.centred else 'plain'}, "
                                               f"L = {run.loss_after(args.steps)[0, 0]}")
                    except symnn.SymnnError as exc:
                        outcome, text = "refused", str(exc)[:110]
                    except TimedOut:
                        outcome, text = "over time", f"over {args.timeout} s"
                    except Exception as exc:  # a bug: report it and go on
                        outcome, text = "bug", f"{type(exc).__name__}: {str(exc)[:100]}"
                    finally:
                        signal.alarm(0)
                    outcomes[outcome] += 1
                    print(f"{hidden:<10} {out:<8} {loss:<13} batch {batch} eta {rate}: "
                          f"{time.perf_counter() - start:6.2f} s  {outcome}: {text}", flush=True)
    print(", ".join(f"{name} {count}" for name, count in outcomes.most_common()))


if __name__ == "__main__":
    main()
