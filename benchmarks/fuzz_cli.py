"""Fuzz campaign through the real command line: sheets, answers and lint inputs, random and hostile.

Run: nice python benchmarks/fuzz_cli.py [--count 100000] [--seed 1] [--bound 30] [--subprocess-every 500]
     [--minutes M]

Each case writes its input files into a fresh folder and calls :func:`symnn.cli.main` in this
process (standard output and error captured) under a per-case time bound (``--bound``
seconds, a SIGALRM timer) and a process-wide memory limit (``--memory`` GiB, RLIMIT_AS).
One case in ``--subprocess-every`` also runs as ``python -m symnn`` in a subprocess (same
bound, as a timeout), so what escapes an in-process run (a crash of the interpreter, output
buffered at exit) is seen too.

Generators (picked at random, weighted towards the cheap ones so a campaign reaches many
cases): ``sheet`` (a valid exercise of the core kinds with hostile edits: numbers, strings,
shapes, nesting, custom formulas, file names, options), ``example`` (the same edits of every
built-in example sheet, one per kind), ``toml`` (byte-level mutations of a
valid sheet: truncation, flips, NUL, invalid UTF-8), ``answers`` (``symnn check`` of a small
sheet with hostile claims), ``lint`` (hostile LaTeX math in Markdown/LaTeX/HTML, every report
format) and ``variants`` (a small template, Moodle XML included).

A case fails when it:

- lets an exception escape ``main`` (a **traceback**), or prints ``Traceback`` in a subprocess;
- runs past the bound (a **hang**);
- exits with a code other than 0, 1 or 2, or exits 1 from ``sheet``/``variants`` (a cross-check
  disagreement), or exits 2 without a one-line ``symnn: error:`` (or argparse usage) message;
- writes an **invalid file**: JSON that ``json`` rejects (NaN/Infinity included), XML that
  ``xml.etree`` rejects, HTML with control characters or unbalanced tags (``html.parser``
  with a tag stack), Markdown/TeX with control characters;
- prints raw control bytes (ESC, BEL, ...) to the terminal.

It prints a table of cases run, per generator, and the first failures of each kind; the
exit status is 1 if any case failed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from symnn.cli import main  # noqa: E402

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control bytes no text output may carry (tab, newline and carriage return allowed)."""


class Hang(BaseException):
    """Raised by the alarm when a case runs past its bound."""


@dataclass
class Case:
    """One run: the command line (``{dir}`` stands for the case's folder) and its input files."""

    generator: str
    argv: list[str]
    files: dict[str, bytes] = field(default_factory=dict)
    special: list[str] = field(default_factory=list)
    """Special inputs made in the folder: ``fifo:NAME``."""


# ----- generators ------------------------------------------------------------------------------

EXERCISES = {
    "forward": 'kind = "forward"\nW = [[0.2, 0.8], [0.4, 0.3]]\nX = [1, 0.5]\nb = [0.1, 0.1]\nactivation = "{act}"\n',
    "network": ('kind = "network"\nx = [0.5, -0.2]\ny = 1\nloss = "{loss}"\n[[exercise.layers]]\n'
                'W = [[0.1, 0.3], [-0.2, 0.4]]\nactivation = "relu"\n[[exercise.layers]]\nW = [[0.2, -0.5]]\n'
                'activation = "sigmoid"\n'),
    "custom": ('kind = "network"\nx = [0.5]\ny = 1\nloss = "mse"\n[[exercise.layers]]\nW = [[0.5]]\n'
               'activation = {{ formula = "{formula}", name = "custom" }}\n'),
    "preprocessing": 'kind = "preprocessing"\nX = [[5, 20, 10], [15, 5, 25], [10, 30, 15]]\nddof = 0\n',
    "activations": 'kind = "activations"\nx = [-2, -1, 0, 1, 2]\nfunctions = ["relu", "sigmoid", "tanh"]\n',
    "gradient_check": 'kind = "gradient_check"\nW = 0.5\nx = 2\nb = 0.1\ny = 1\nepsilon = 0.0001\n',
    "regularization": ('kind = "regularization"\nW = [1, -2, 0.5]\nlambda = 0.01\ngrad = [0.1, -0.4, 0.2]\n'
                       'learning_rate = 0.1\npenalty = "l2"\n'),
}
NUMBERS = ["0", "-0.0", "1", "-1", "0.1", "1e100", "1e-100", "1e101", "1e-101", "1e308", "1e999999999",
           "-1e-999999999", "nan", "inf", "-inf", "1." + "3" * 70, "9" * 400, "9" * 5000, "0x10", "1_000",
           "123456789012345678901234567890", "1e50", "-7.25", "3.14159", "2", "1000", "-1000", "200"]
VALUES = ['"text"', "true", "[]", "[[]]", "[[1, 2], [3]]", "{}", "[" * 40 + "1" + "]" * 40,
          "[" * 3000 + "]" * 3000, '"\\u0000"', "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", "1979-05-27T07:32:00Z"]
STRINGS = ["Quiz\\u0007bell", "\\u001b[2J", "a\\u0000b", "<script>alert(1)</script>", "]]></text><x>",
           "a}\\\\message{X}{b", "$x$ & % # _ ^ ~ \\\\", "\\\\input{/etc/passwd}", "x" * 5000, "Ünïcödé ∑ 🚀",
           "\\u202etxt.exe", "line\\nbreak", "\\u2028", "\\\\href{javascript:alert(1)}{x}", ""]
FORMULAS = ["x", "sqrt(x - 5)", "log(x - 5)", "1/(x - 0.5)", "((x^64)^64)^64", "x^x^x^x", "exp(exp(exp(exp(x))))",
            "x^1000000", "exp(1e9*x)", "(" * 300 + "x" + ")" * 300, "abs(x)/(1+abs(x))", "tanh(x)*x", "x^-1",
            "__import__('os')", "x + y", "", "exp(x)^x", "log(0*x)", "0^x", "x^0.5", "max(x, 0)"]
ACTS = ["relu", "sigmoid", "tanh", "leaky_relu", "softplus", "nope", "", "RELU"]
LOSSES = ["mse", "bce", "ce", "hinge", "nope"]
NAMES = ["s.toml", "a}\\message{X}{b #%.toml", "my sheet.toml", "ü.toml", "-x.toml", "n" * 240 + ".toml",
         "t\x1b]0;t\x07.toml", ".toml", "s.TOML", "s"]


def _exercise(rng: random.Random) -> str:
    kind = rng.choice(list(EXERCISES))
    return "[[exercise]]\n" + EXERCISES[kind].format(act=rng.choice(ACTS[:4]), loss=rng.choice(LOSSES[:2]),
                                                     formula=rng.choice(FORMULAS))


def _mutate_sheet(text: str, rng: random.Random) -> str:
    """One to three hostile edits of a valid sheet's TOML."""
    for _ in range(rng.randint(1, 3)):
        choice = rng.random()
        numbers = list(re.finditer(r"(?<![\w.\"])-?\d[\d.e+-]*", text))
        if choice < 0.45 and numbers:
            m = rng.choice(numbers)
            text = text[:m.start()] + rng.choice(NUMBERS + VALUES if rng.random() < 0.3 else NUMBERS) + text[m.end():]
        elif choice < 0.6:
            text = text.replace('title = "t"', f'title = "{rng.choice(STRINGS)}"', 1)
        elif choice < 0.7:
            text = re.sub(r'activation = "\w*"', f'activation = "{rng.choice(ACTS)}"', text, count=1)
        elif choice < 0.75:
            text = re.sub(r'loss = "\w*"', f'loss = "{rng.choice(LOSSES)}"', text, count=1)
        elif choice < 0.85:
            key = rng.choice(["steps", "learning_rate", "id", "extra", "alpha", "title", "ddof", "decimals"])
            text = text.replace("[[exercise]]\n", f"[[exercise]]\n{key} = {rng.choice(NUMBERS + VALUES)}\n", 1)
        elif choice < 0.95:
            lines = text.splitlines()
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i] if rng.random() < 0.5 else rng.choice(VALUES))
            text = "\n".join(lines) + "\n"
        else:
            text = text.replace("[[exercise]]\n", "[[exercise]]\n" + rng.choice(["kind = 3\n", 'id = "a b"\n']), 1)
    return text


def gen_sheet(rng: random.Random) -> Case:
    text = 'title = "t"\n' + "".join(_exercise(rng) for _ in range(rng.randint(1, 2)))
    if rng.random() < 0.85:
        text = _mutate_sheet(text, rng)
    name = rng.choice(NAMES) if rng.random() < 0.25 else "s.toml"
    argv = ["sheet", "{dir}/" + name, "--out", "{dir}/out", "--format", rng.choice(["md", "json", "md,json,tex,html"])]
    if rng.random() < 0.15:
        argv += ["--decimals", rng.choice(["-1", "0", "12", "30", "31", "999999999999"])]
    return Case("sheet", argv, {name: text.encode("utf-8")})


EXAMPLES = sorted((ROOT / "symnn" / "sheets" / "examples").glob("*.toml"))
"""The built-in example sheets, one per kind: bases for hostile edits of every kind."""


def gen_example(rng: random.Random) -> Case:
    text = rng.choice(EXAMPLES).read_text(encoding="utf-8") if EXAMPLES else 'title = "t"\n' + _exercise(rng)
    text = _mutate_sheet(text, rng)
    return Case("example", ["sheet", "{dir}/s.toml", "--out", "{dir}/out", "--format",
                            rng.choice(["md", "json", "md,json,tex,html"])], {"s.toml": text.encode("utf-8")})


def gen_toml(rng: random.Random) -> Case:
    data = bytearray(("title = \"t\"\n" + _exercise(rng)).encode("utf-8"))
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        if op < 0.3 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif op < 0.5 and data:
            del data[rng.randrange(len(data)):]
        elif op < 0.7:
            data[rng.randrange(len(data) + 1):0] = rng.choice([b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\x1b[2J",
                                                                 b"[[", b"]]", b'"', b"=", b"\n[[exercise]]\n"])
        else:
            i = rng.randrange(len(data) + 1)
            data[i:i] = bytes(rng.randrange(32, 127) for _ in range(rng.randint(1, 8)))
    special = []
    path = "{dir}/s.toml"
    roll = rng.random()
    if roll < 0.02:
        path = "/dev/zero"
    elif roll < 0.04:
        special, path = ["fifo:f.toml"], "{dir}/f.toml"
    elif roll < 0.06:
        path = "{dir}/missing.toml"
    elif roll < 0.08:
        path = "{dir}"
    elif roll < 0.09:
        path = "a\x00b.toml"
    return Case("toml", ["sheet", path, "--out", "{dir}/out", "--format", "md,json"], {"s.toml": bytes(data)}, special)


SMALL_SHEET = ('title = "t"\n[[exercise]]\nid = "f"\nkind = "forward"\nW = [[0.2, 0.8], [0.4, 0.3]]\nX = [1, 0.5]\n'
               'b = [0.1, 0.1]\nactivation = "sigmoid"\n')
CLAIMS = ["[[0.599], [0.599]]", "[[0.6], [0.6]]", "0.5", "[[1e999999999], [1]]", "nan", "inf", '"0.6"', "[[]]",
          "[" * 500 + "1" + "]" * 500, "9" * 5000, "[[0.6, 0.6]]", "1." + "0" * 80, "true", "{a = 1}",
          "[[0.1e-99999], [2]]", "[[0.59868766], [0.59868766]]"]


def gen_answers(rng: random.Random) -> Case:
    lines = ["[f]"]
    for _ in range(rng.randint(1, 3)):
        claims = CLAIMS if rng.random() < 0.5 else CLAIMS[:2] + CLAIMS[-1:]
        lines.append(rng.choice(["Z", "A", "Z", "A", "Q", "z", '"Z"']) + " = " + rng.choice(claims))
    if rng.random() < 0.2:
        lines.insert(0, rng.choice(["[g]", "[f.x]", "[[f]]", "x = 1"]))
    text = "\n".join(lines) + "\n"
    if rng.random() < 0.1:
        text += "\x00\x1b[2J"
    argv = ["check", "{dir}/s.toml", "{dir}/a.toml"] + (["--json"] if rng.random() < 0.3 else [])
    return Case("answers", argv, {"s.toml": SMALL_SHEET.encode(), "a.toml": text.encode("utf-8", "surrogatepass")})


ATOMS = ["1", "0.5", "2.718", "10^{-35}", "10^{999999}", "e^{-100}", "e^{100000}", "\\tanh(100)", "\\log(1+e^{-100})",
         "\\sqrt{-1}", "\\frac{1}{0}", "\\sigma(0.3)", "\\ln(0)", "x", "\\pi", "0.1", "4.814825 \\cdot 10^{-35}",
         "\\href{javascript:alert(1)}{1}", "\\style{background:url(http://a.invalid)}{2}", "\\class{c}{3}",
         "\\begin{bmatrix}1 & 2\\\\3 & 4\\end{bmatrix}", "2^{2^{2^{2^{2}}}}", "9^{9^{9}}", "1.5", "\\max(0, -1)",
         "\\input{x}", "\x1b[2J", "\x07", "\\frac{\\frac{\\frac{1}{2}}{3}}{4}"]
OPERATORS = [" + ", " - ", " \\cdot ", " / ", "^", " \\times "]
RELATIONS = [" = ", " \\approx ", " < ", " \\neq ", " = ", " = "]


def _expression(rng: random.Random, depth: int = 0) -> str:
    if depth > 3 or rng.random() < 0.4:
        return rng.choice(ATOMS)
    roll = rng.random()
    if roll < 0.6:
        return _expression(rng, depth + 1) + rng.choice(OPERATORS) + _expression(rng, depth + 1)
    if roll < 0.8:
        return "\\left(" + _expression(rng, depth + 1) + "\\right)"
    return "\\frac{" + _expression(rng, depth + 1) + "}{" + _expression(rng, depth + 1) + "}"


def gen_lint(rng: random.Random) -> Case:
    fmt = rng.choice(["md", "tex", "html"])
    chains = []
    for _ in range(rng.randint(1, 6)):
        parts = [_expression(rng) for _ in range(rng.randint(2, 4))]
        chain = "".join(p + rng.choice(RELATIONS) for p in parts[:-1]) + parts[-1]
        if rng.random() < 0.05:
            chain = "(" * rng.randint(50, 3000) + "1" + ")" * rng.randint(50, 3000)
        chains.append(chain)
    if fmt == "md":
        text = "\n\n".join(f"$${c}$$" if rng.random() < 0.7 else f"Text ${c}$ more." for c in chains)
    elif fmt == "tex":
        text = "\\begin{document}\n" + "\n".join(f"\\[{c}\\]" for c in chains) + "\n\\end{document}\n"
    else:
        text = "<html><body>" + "".join(f"<p>\\[{c}\\]</p>" for c in chains) + "<script>x</script></body></html>"
    name = f"in.{fmt}"
    report = rng.choice(["table", "json", "html"])
    argv = ["lint", "{dir}/" + name, "--format", report]
    if rng.random() < 0.5:
        argv += ["--out", "{dir}/out/report." + {"table": "txt", "json": "json", "html": "html"}[report]]
    return Case("lint", argv, {name: text.encode("utf-8")})


TEMPLATE = ('title = "t"\n[[exercise]]\nkind = "forward"\n'
            'W = {{ random = "uniform", low = {low}, high = {high}, step = {step}, shape = [2, 2] }}\n'
            'X = {{ choice = [[0.5, 1.0], [1.0, -0.5]] }}\nb = [0.1, 0.1]\nactivation = "relu"\n')


def gen_variants(rng: random.Random) -> Case:
    bounds = ["-1", "1", "0.1", "0", "1e99", "-1e99", "1e-99", "1e999999", "nan", "2", "0.5", "-0.5"]
    text = TEMPLATE.format(low=rng.choice(bounds[:2] + bounds), high=rng.choice(bounds[1:2] + bounds),
                           step=rng.choice(["0.1", "0.1", "0.5"] + bounds))
    if rng.random() < 0.3:
        text = _mutate_sheet(text if rng.random() < 0.7 else SMALL_SHEET, rng)
    if rng.random() < 0.3:
        text = text.replace('title = "t"', f'title = "{rng.choice(STRINGS)}"')
    argv = ["variants", "{dir}/s.toml", "--count", rng.choice(["1", "1", "2", "2", "0", "10001"]), "--seed",
            str(rng.randrange(100)), "--out", "{dir}/out", "--format", "md,json,moodle", "--jobs", "1", "--quiet"]
    return Case("variants", argv, {"s.toml": text.encode("utf-8")})


GENERATORS: dict[str, tuple[Callable[[random.Random], Case], float]] = {
    "sheet": (gen_sheet, 0.30), "toml": (gen_toml, 0.30), "answers": (gen_answers, 0.10),
    "lint": (gen_lint, 0.27), "variants": (gen_variants, 0.03), "example": (gen_example, 0.10),
}


# ----- checking what a case wrote and printed ---------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
        "mspace", "none", "mprescripts"}


class StrictHTML(HTMLParser):
    """html.parser with a tag stack: every element closed, in order (void elements excepted)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on") or (value and ("javascript:" in value.lower() or re.search(r"url\((?!#)", value.lower()))):
                self.problem = f"attribute {name}={value!r}"
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problem = self.problem or f"</{tag}> closes <{self.stack[-1] if self.stack else ''}>"
            return
        self.stack.pop()


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def invalid_file(path: Path) -> str | None:
    """Why a written file is invalid, or None."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None if path.suffix in (".png", ".pdf") else "not UTF-8"
    suffix = path.suffix
    if suffix in (".png", ".pdf"):
        return None
    if CONTROL.search(text):
        return f"control character {CONTROL.search(text).group()!r}"  # type: ignore[union-attr]
    try:
        if suffix == ".json":
            json.loads(text, parse_constant=_no_constant)
        elif suffix == ".xml":
            ET.fromstring(text)
        elif suffix == ".html":
            parser = StrictHTML()
            parser.feed(text)
            parser.close()
            if parser.problem or parser.stack:
                return parser.problem or f"unclosed <{parser.stack[-1]}>"
    except (ValueError, ET.ParseError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@dataclass
class Outcome:
    kind: str  # ok, traceback, hang, exit, message, invalid, terminal
    detail: str = ""


def judge_run(case: Case, code: int | None, out: str, err: str, folder: Path) -> list[Outcome]:
    found = []
    if code not in (0, 1, 2):
        found.append(Outcome("exit", f"exit {code}"))
    if code == 1 and case.argv[0] in ("sheet", "variants"):
        found.append(Outcome("exit", f"exit 1 (cross-check) {err.strip()[:300]}"))
    if code == 2:
        lines = err.strip().splitlines()
        usage = lines and lines[0].startswith("usage:")
        if not usage and not (len(lines) >= 1 and lines[-1].startswith("symnn: error: ")
                              and sum(not line.startswith("symnn: note:") for line in lines) == 1):
            found.append(Outcome("message", err.strip()[:300]))
    if CONTROL.search(out.replace("\r", "")) or CONTROL.search(err.replace("\r", "")):
        found.append(Outcome("terminal", repr((out + err)[:200])))
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_fifo() and "out" in path.relative_to(folder).parts:
            problem = invalid_file(path)
            if problem:
                found.append(Outcome("invalid", f"{path.name}: {problem}"))
    return found


# ----- running ----------------------------------------------------------------------------------

def prepare(case: Case, folder: Path) -> list[str]:
    for name, data in case.files.items():
        try:
            (folder / name).write_bytes(data)
        except (OSError, ValueError):
            pass
    for special in case.special:
        kind, name = special.split(":", 1)
        if kind == "fifo":
            (folder / name).unlink(missing_ok=True)
            os.mkfifo(folder / name)
    return [a.replace("{dir}", str(folder)) for a in case.argv]


def _alarm(signum: int, frame: object) -> None:
    raise Hang()


def run_in_process(case: Case, folder: Path, bound: float) -> tuple[list[Outcome], float]:
    argv = prepare(case, folder)
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    code: int | None = None
    outcomes: list[Outcome] = []
    signal.setitimer(signal.ITIMER_REAL, bound)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except Hang:
        outcomes.append(Outcome("hang", f"past {bound:g} s"))
    except SystemExit as exc:
        code = int(exc.code or 0) if not isinstance(exc.code, str) else 2
    except BaseException as exc:  # noqa: BLE001 - any escape is the finding
        # The escaping exception's own frames (symnn's among them) first; SymPy chains long contexts.
        tb = "".join(traceback.format_exception(exc, limit=-40, chain=False))
        outcomes.append(Outcome("traceback", f"{type(exc).__name__}: {str(exc)[:200]}\n{tb}"))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    elapsed = time.perf_counter() - start
    if not outcomes:
        outcomes = judge_run(case, code, out.getvalue(), err.getvalue(), folder)
    return outcomes, elapsed


def run_subprocess(case: Case, folder: Path, bound: float) -> list[Outcome]:
    argv = prepare(case, folder)
    shutil.rmtree(folder / "out", ignore_errors=True)
    try:
        done = subprocess.run([sys.executable, "-m", "symnn", *argv], cwd=ROOT, capture_output=True,
                              timeout=bound + 10, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return [Outcome("hang", f"subprocess past {bound + 10:g} s")]
    except ValueError:  # a NUL in an argument cannot even be passed to exec
        return []
    out = done.stdout.decode("utf-8", "replace")
    err = done.stderr.decode("utf-8", "replace")
    if "Traceback" in err:
        return [Outcome("traceback", "subprocess: " + err[-600:])]
    return judge_run(case, done.returncode, out, err, folder)


def save_failure(keep: Path, case: Case, outcome: Outcome) -> None:
    """Keep a failing case whole (the report shows only the first 400 characters of each input)."""
    folder = keep / f"failure-{sum(1 for _ in keep.glob('failure-*')) + 1}"
    folder.mkdir(parents=True)
    for name, data in case.files.items():
        (folder / Path(name).name).write_bytes(data)
    (folder / "report.txt").write_text(f"{outcome.kind} ({case.generator}) {case.argv}\n{outcome.detail}\n",
                                       encoding="utf-8")


def campaign(count: int, seed: int, bound: float, every: int, quiet: bool = False,
             minutes: float | None = None, weights: dict[str, float] | None = None,
             keep: Path | None = None) -> dict[str, object]:
    """Run ``count`` cases (``weights`` may change how often each generator is picked); with ``keep``,
    each failing case's input files, command line and report are saved in ``keep/failure-N/``."""
    rng = random.Random(seed)
    names = list(GENERATORS)
    chosen = {n: GENERATORS[n][1] for n in names} | (weights or {})
    weights_list = [chosen[n] for n in names]
    runs: Counter[str] = Counter()
    failures: dict[str, list[tuple[str, str, list[str]]]] = {}
    seconds: Counter[str] = Counter()
    subprocess_runs = 0
    slowest = (0.0, "")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="symnn-fuzz-") as base:
        for i in range(count):
            if minutes is not None and time.perf_counter() - start > 60 * minutes:
                break
            name = rng.choices(names, weights_list)[0]
            case = GENERATORS[name][0](random.Random(rng.getrandbits(64)))
            folder = Path(base) / f"c{i}"
            folder.mkdir()
            outcomes, elapsed = run_in_process(case, folder, bound)
            if every and i % every == every - 1:
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                outcomes += run_subprocess(case, folder, bound)
                subprocess_runs += 1
            runs[name] += 1
            seconds[name] += elapsed
            if elapsed > slowest[0]:
                slowest = (elapsed, f"{name}: {case.argv}")
            for outcome in outcomes:
                if keep is not None:
                    save_failure(keep, case, outcome)
                shown = {k: v[:400].decode("utf-8", "replace") for k, v in case.files.items()}
                outcome.detail += f"\n  input: {shown}"
                failures.setdefault(outcome.kind, []).append((name, outcome.detail, case.argv))
                if not quiet:
                    print(f"  FAILURE {outcome.kind} ({name}) {case.argv}: {outcome.detail[:2000]}",
                          file=sys.stderr, flush=True)
            shutil.rmtree(folder, ignore_errors=True)
            if not quiet and (i + 1) % 1000 == 0:
                print(f"  {i + 1} cases, {time.perf_counter() - start:.0f} s, "
                      f"{sum(len(v) for v in failures.values())} failures", file=sys.stderr, flush=True)
    return {"runs": runs, "failures": failures, "seconds": seconds, "subprocess": subprocess_runs,
            "elapsed": time.perf_counter() - start, "slowest": slowest}


def report(result: dict[str, object], bound: float) -> int:
    runs: Counter[str] = result["runs"]  # type: ignore[assignment]
    failures: dict[str, list[tuple[str, str, list[str]]]] = result["failures"]  # type: ignore[assignment]
    seconds: Counter[str] = result["seconds"]  # type: ignore[assignment]
    print(f"{'generator':<10} {'cases':>8} {'mean ms':>8}")
    for name in GENERATORS:
        if runs[name]:
            print(f"{name:<10} {runs[name]:>8} {1000 * seconds[name] / runs[name]:>8.1f}")
    total = sum(runs.values())
    print(f"{'total':<10} {total:>8}   in {result['elapsed']:.0f} s; {result['subprocess']} also as subprocesses")
    slowest = result["slowest"]
    print(f"slowest case: {slowest[0]:.1f} s ({str(slowest[1])[:160]})")  # type: ignore[index]
    kinds = ["traceback", "hang", "exit", "message", "invalid", "terminal"]
    print("  ".join(f"{k}: {len(failures.get(k, []))}" for k in kinds) + f"   (time bound {bound:g} s per case)")
    for kind in kinds:
        for name, detail, argv in failures.get(kind, [])[:5]:
            print(f"--- {kind} ({name}) {argv}\n{detail}")
    return 1 if any(failures.get(k) for k in kinds) else 0


def main_fuzz(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bound", type=float, default=30.0, help="seconds per case before it counts as a hang")
    parser.add_argument("--memory", type=float, default=6.0, help="address-space limit of the process, GiB")
    parser.add_argument("--subprocess-every", type=int, default=500)
    parser.add_argument("--minutes", type=float, default=None, help="stop after this long and report what ran")
    parser.add_argument("--keep", type=Path, default=None, help="save each failing case's input here")
    args = parser.parse_args(argv)
    limit = int(args.memory * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, _alarm)
    return report(campaign(args.count, args.seed, args.bound, args.subprocess_every, minutes=args.minutes,
                           keep=args.keep), args.bound)


if __name__ == "__main__":
    sys.exit(main_fuzz())
