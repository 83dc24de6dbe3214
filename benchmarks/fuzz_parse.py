"""Fuzz campaign: many random inputs through the parser, both evaluators and `symnn lint`.

Run: python benchmarks/fuzz_parse.py [--count 100000] [--seed 1]

Five generators feed the campaign in turn:

- ``printable``: random printable text (plus a few Unicode signs);
- ``soup``: random sequences of LaTeX-like tokens (commands, brackets, environments);
- ``mutant``: real expressions from worked solutions with random edits;
- ``valid``: random well-formed expressions from a small grammar; for these the exact
  SymPy value (``parse_math``) must lie inside the interval enclosure, a differential
  check between the two evaluators;
- ``document``: each input also goes through ``lint_text`` as Markdown, LaTeX and HTML.

A failure is any exception other than ParseError from the parser, any exception at all
from lint, a lint finding that reports an internal error, an input taking longer than
two seconds, or a differential mismatch.  Failures are printed (first five per kind) and
make the exit status 1.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import sympy as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from symnn.core.interval import Interval
from symnn.errors import ParseError
from symnn.verify.lint.report import lint_text
from symnn.verify.syntax.evaluate import evaluate_interval
from symnn.verify.syntax.grid import Grid
from symnn.verify.syntax.parse import parse_expression, parse_math

DOMAIN_WORDS = ("negative", "not positive", "division by zero", "cannot decide")
"""Refusals of the exact evaluator that are decisions about a number's domain or sign."""

SLOW = 2.0
"""Seconds after which one input counts as a failure."""

TOKENS = [
    "0",
    "1",
    "2",
    "0.5",
    "10",
    "3.14",
    "0.001",
    "-",
    "+",
    r"\cdot",
    r"\times",
    "/",
    r"\odot",
    "^",
    "_",
    "^T",
    "^{",
    "}",
    "{",
    "(",
    ")",
    "[",
    "]",
    "|",
    ",",
    "&",
    r"\\",
    "\\ ",
    "'",
    "=",
    r"\approx",
    "<",
    r"\leq",
    r"\frac",
    r"\dfrac",
    r"\sqrt",
    r"\sqrt[3]",
    r"\log",
    r"\ln",
    r"\log_{10}",
    r"\exp",
    r"\max",
    r"\min",
    r"\sigma",
    r"\tanh",
    r"\text{ReLU}",
    r"\text{LeakyReLU}",
    r"\text{Sigmoid}",
    r"\text{Tanh}",
    r"\operatorname{ReLU}",
    r"\mathrm{e}",
    "e",
    "x",
    "W",
    r"\hat{y}",
    r"\pi",
    r"\left(",
    r"\right)",
    r"\left[",
    r"\right]",
    r"\left|",
    r"\right|",
    r"\left.",
    r"\begin{bmatrix}",
    r"\end{bmatrix}",
    r"\begin{pmatrix}",
    r"\end{pmatrix}",
    r"\begin{array}{cc}",
    r"\end{array}",
    r"\begin{cases}",
    r"\end{cases}",
    r"\begin{align}",
    r"\end{align}",
    r"\,",
    r"\;",
    r"\quad",
    r"\%",
    r"\text{",
    r"\label{a}",
    r"\boxed{",
    r"\partial",
    r"\sum",
    r"\unknown",
    "$",
    "$$",
    r"\(",
    r"\)",
    r"\[",
    r"\]",
    "%",
    "\n",
    "  ",
]

CORPUS = [
    r"\begin{bmatrix} 0.2 & 0.8 \ 0.4 & 0.3 \end{bmatrix} \cdot \begin{bmatrix} 1 \ 0.5 \end{bmatrix}",
    r"\begin{bmatrix} (0.1 \cdot 0.5) + (0.3 \cdot -0.2) \ (-0.2 \cdot 0.5) + (0.4 \cdot -0.2) \end{bmatrix}",
    r"-\left(1 \cdot \log(0.5) + (1 - 1) \cdot \log(1 - 0.5)\right)",
    r"\sqrt{\frac{(20-18.33)^2 + (5-18.33)^2 + (30-18.33)^2}{3}}",
    r"\frac{e^{-2} - e^{2}}{e^{-2} + e^{2}}",
    r"\frac{1}{2}(1 - 1.1002)^2",
    r"0.01 \cdot -2",
    r"\text{ReLU}\left(\begin{bmatrix} 8.9 \\ 7.3 \\ -1.6 \end{bmatrix}\right)",
    r"\max(0, -0.01)",
    r"-2 - 0.1 \cdot (-0.4 + (-0.02))",
    r"\frac{0.00502 - 0.00498}{2 \cdot 10^{-4}}",
    r"\sigma'(0.3) \odot \begin{bmatrix} 1 \\ 2 \end{bmatrix}^T",
    r"\log_{10} 1000 + \sqrt[3]{-8}",
    r"\mu_1 = \frac{5 + 15 + 10}{3} = 10, \quad \sigma_1 = \sqrt{\frac{50}{3}} \approx 4.08",
]


def printable(rng: random.Random) -> str:
    alphabet = string.printable + "−×·√πσ≈’"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 200)))


def soup(rng: random.Random) -> str:
    return rng.choice(["", " "]).join(rng.choice(TOKENS) for _ in range(rng.randint(0, 60)))


def mutant(rng: random.Random) -> str:
    text = list(rng.choice(CORPUS))
    for _ in range(rng.randint(1, 6)):
        position = rng.randrange(len(text) + 1)
        edit = rng.random()
        if edit < 0.35 and text:
            del text[min(position, len(text) - 1)]
        elif edit < 0.7:
            text.insert(position, rng.choice(string.printable))
        elif edit < 0.85:
            text.insert(position, rng.choice(TOKENS))
        elif text:
            start = rng.randrange(len(text))
            text[position:position] = text[start : start + rng.randint(1, 20)]
    return "".join(text)


def valid(rng: random.Random, depth: int = 0) -> str:
    """A random well-formed scalar expression (division and logs may still be undefined)."""
    if depth > 3 or rng.random() < 0.3:
        return rng.choice(
            [str(rng.randint(0, 20)), f"{rng.randint(0, 99) / 100}", f"{rng.randint(1, 999) / 10}"]
        )
    a, b = valid(rng, depth + 1), valid(rng, depth + 1)
    forms: list[Callable[[], str]] = [
        lambda: f"{a} + {b}",
        lambda: f"{a} - {b}",
        lambda: f"{a} \\cdot {b}",
        lambda: f"\\frac{{{a}}}{{{b}}}",
        lambda: f"({a})^{{{rng.randint(-3, 4)}}}",
        lambda: f"\\sqrt{{{a}}}",
        lambda: f"\\log({a})",
        lambda: f"e^{{{rng.randint(-5, 5)}}}",
        lambda: f"\\sigma({a})",
        lambda: f"\\tanh(-{a})",
        lambda: f"\\max({a}, {b})",
        lambda: f"\\text{{ReLU}}({a} - {b})",
        lambda: f"-({a})",
        lambda: f"\\left({a}\\right) {b}" if not b[0].isdigit() else f"({a})({b})",
        lambda: f"\\text{{LeakyReLU}}(-{a})",
        lambda: f"|{a} - {b}|",
    ]
    return rng.choice(forms)()


def check_parse(text: str, differential: bool) -> str | None:
    """None if the input is handled correctly, else a description of the failure."""
    try:
        tree = parse_expression(text)
    except ParseError:
        return None
    try:
        enclosure = evaluate_interval(tree)
    except ParseError:
        enclosure = None
    if differential and isinstance(enclosure, Interval):
        try:
            exact = parse_math(text)
        except ParseError as error:
            # The exact path may rightly refuse what a clipped or straddling enclosure
            # still evaluates (sqrt of -4e-43, sign undecidable): domain decisions only.
            if any(word in str(error) for word in DOMAIN_WORDS):
                return None
            return f"exact evaluation refused what intervals evaluated: {error}"
        # SymPy cannot always decide e.g. tanh(8000) <= 1 symbolically: compare at 80 digits.
        value = sp.Float(sp.N(exact, 80), 80)
        slack = sp.Float(10, 80) ** -60 * max(1, abs(value))
        low, high = (sp.Rational(v.numerator, v.denominator) for v in (enclosure.lo, enclosure.hi))
        if not (low - slack <= value <= high + slack):
            return f"exact value {exact} outside the enclosure [{float(low)}, {float(high)}]"
    elif isinstance(enclosure, (Interval, Grid)) and random.random() < 0.05:
        try:
            parse_math(text)
        except ParseError:
            pass
    return None


def check_lint(text: str) -> str | None:
    documents = {
        "markdown": f"A ${text}$ and $$x = {text} = 1$$",
        "latex": f"\\begin{{align}} a &= {text} \\\\ &\\approx 0.5 \\end{{align}} \\({text}\\)",
        "html": f"<p>\\({text} = 2\\)</p><script>{text}</script>\\[{text}\\]",
    }
    for fmt, document in documents.items():
        report = lint_text(document, fmt)  # type: ignore[arg-type]
        broken = [f for f in report.findings if "internal error" in f.message]
        if broken:
            return f"{fmt}: {broken[0].message}"
    return None


def _parses(text: str) -> int:
    """1 if the text parses, else 0 (any other failure was recorded by the checks)."""
    try:
        parse_expression(text)
    except Exception:  # noqa: BLE001
        return 0
    return 1


GENERATORS: dict[str, Callable[[random.Random], str]] = {
    "printable": printable,
    "soup": soup,
    "mutant": mutant,
    "valid": valid,
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--count", type=int, default=100_000, help="inputs in total (default 100000)"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    random.seed(args.seed)
    names = list(GENERATORS)
    counts: Counter[str] = Counter()
    parsed: Counter[str] = Counter()
    slowest: dict[str, float] = defaultdict(float)
    failures: dict[str, list[tuple[str, str]]] = defaultdict(list)
    started = time.perf_counter()
    for index in range(args.count):
        name = names[index % len(names)]
        text = GENERATORS[name](rng)
        begin = time.perf_counter()
        try:
            problem = check_parse(text, differential=name == "valid")
            if problem is None and index % 2 == 0:
                problem = check_lint(text)
                counts["document"] += 1
        except Exception:  # noqa: BLE001  (the campaign's point: record anything unexpected)
            problem = (
                "unexpected exception: " + traceback.format_exc(limit=3).strip().splitlines()[-1]
            )
        elapsed = time.perf_counter() - begin
        counts[name] += 1
        parsed[name] += _parses(text)
        slowest[name] = max(slowest[name], elapsed)
        if elapsed > SLOW:
            problem = problem or f"took {elapsed:.2f} s"
        if problem:
            failures[name].append((text, problem))
    total = time.perf_counter() - started

    print(
        f"{'generator':<10} {'inputs':>8} {'parsed':>8} {'refused':>8} {'failures':>9} {'slowest ms':>11}"
    )
    for name in names:
        print(
            f"{name:<10} {counts[name]:>8} {parsed[name]:>8} {counts[name] - parsed[name]:>8} "
            f"{len(failures[name]):>9} {slowest[name] * 1000:>11.1f}"
        )
    print(f"{'(lint)':<10} {counts['document']:>8} documents × 3 formats linted")
    print(
        f"{sum(counts[n] for n in names)} inputs in {total:.1f} s; "
        f"{sum(len(v) for v in failures.values())} failures"
    )
    for name, items in failures.items():
        for text, problem in items[:5]:
            print(f"FAIL [{name}] {problem}\n    input: {text!r}")
    return 1 if any(failures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
