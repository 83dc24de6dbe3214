"""``symnn check SPEC ANSWERS...``: claimed answers against the exact answer key.

An answers file is TOML: one table per exercise id, one claimed value per quantity
name of the JSON answer key (``[ex3]`` then ``X_std = [[-1.225, 0.162, -1.069], ...]``).
Numbers are read as exact decimals.  A flat list may be given for a row or a column
vector and a bare number for a 1×1 quantity.

Each claimed quantity gets a verdict, entry by entry and then the worst of them:

``correct``
    The claim equals the exact value.
``rounding``
    The claim is the exact value rounded to the places it is written with, or the
    value recomputed from the student's own rounded earlier answers, rounded so.
``carried forward``
    Wrong, but it follows from a wrong earlier answer of the same student: the
    recomputation from their earlier claims agrees with it.
``wrong``
    Neither; with a diagnosis when a named mistake reproduces the claim.

The rounding rule.  A claim written with k decimals, say 18.33, stands for the
numbers that round to it, [c − ½·10^-k, c + ½·10^-k].  A claim c is accepted for a
value v when c is one of the two k-decimal neighbours of v (|c − v| < 10^-k): the
nearest rounding, or one unit off in the last place, as rounding up, truncating or a
double rounding gives.  A value with no more than k decimals must therefore be
written exactly: 0.989 for 0.988 is wrong, not rounding.  A claim written without a
decimal point (an integer) is an exact claim.  Later quantities are recomputed from
the student's earlier claims, each taken as its rounding interval (joined with the
value it was accepted for), over exact rational interval arithmetic; a claim within
one unit of that recomputed range is accepted too.  So the seed sheet's σ₂ = 10.28
(exactly 5√38/3 = 10.2740…) is ``rounding``: it is not the nearest rounding (10.27)
and no rounding of the sheet's mean 18.33 explains it, but it is within one unit of
its last place, the slip the rule forgives; its diagnosis says so.  The standardized
entry 1.297 is ``wrong``: from any mean in [18.325, 18.335] and any σ₂ in
[10.274, 10.285] the entry lies in [1.134, 1.137].

>>> from symnn.sheets.spec import load_sheet
>>> from symnn.verify.check.key import build_key
>>> key = build_key(load_sheet())
>>> results = check_claims(key, {"ex6": {"dpenalty_dW": [0.01, -0.02, 0.005], "W_new": [0.989, -1.958, 0.4795]}})
>>> [(r.quantity, r.verdict) for r in results]
[('dpenalty_dW', 'wrong'), ('W_new', 'carried forward')]
>>> results[0].diagnosis.split(":")[0]
'the λ vs λ/2 convention in L2 regularization'
"""

from __future__ import annotations

import argparse
import decimal
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import partial
from typing import Any

from symnn.core import interval as iv
from symnn.core.interval import IMatrix, Interval, Undefined
from symnn.errors import SymnnError
from symnn.sheets.spec import SheetSpec
from symnn.verify.check.answers import Claim, read_answers_file, read_claims
from symnn.verify.check.key import ExerciseKey, KeyQuantity, SheetKey, build_key
from symnn.verify.check.recipes import Alternative, Recipes, recipes_for

CORRECT, ROUNDING, CARRIED, WRONG = "correct", "rounding", "carried forward", "wrong"
VERDICTS = (CORRECT, ROUNDING, CARRIED, WRONG)
"""Every verdict, from best to worst."""
_RANK = {v: i for i, v in enumerate(VERDICTS)}

# ---------------------------------------------------------------------------
# Verdicts.


@dataclass(frozen=True, slots=True)
class Result:
    """The verdict on one claimed quantity."""

    exercise: str
    """Exercise id."""
    quantity: str
    """Quantity name."""
    verdict: str
    """One of :data:`VERDICTS`: the worst verdict of its entries."""
    claimed: Any
    """The claim as written, as JSON-ready numbers: floats, and ints where written as integers."""
    exact: str
    """The exact value as plain text."""
    value: float | list[list[float]]
    """The exact value as float(s)."""
    diagnosis: str | None
    """The named mistake (or the earlier value it follows from, or a rounding remark); None if none."""
    explanation: str
    """One sentence for people, with the numbers that matter."""
    entries: tuple[str, ...]
    """Each entry's verdict, row by row."""

    def to_json(self) -> dict[str, Any]:
        """The entry of ``--json`` output."""
        return {"exercise": self.exercise, "quantity": self.quantity, "verdict": self.verdict,
                "claimed": self.claimed, "exact": self.exact, "value": self.value, "diagnosis": self.diagnosis}


def _within(claim: Fraction, places: int, value: Interval, halves: int) -> bool:
    """Whether ``value`` reaches within ``halves``/2 units of the claim's last place (ends exclusive
    for whole units, inclusive for half units), in integer arithmetic."""
    scale = 2 * 10**places
    n = claim.numerator * (scale // claim.denominator)  # the claim has ``places`` decimals: exact
    lo, hi = value.lo, value.hi
    below = lo.numerator * scale - (n + halves) * lo.denominator  # sign of lo - (claim + reach)
    above = hi.numerator * scale - (n - halves) * hi.denominator  # sign of hi - (claim - reach)
    return bool((below <= 0 and above >= 0) if halves % 2 else (below < 0 and above > 0))


def accepts(claim: Fraction, places: int | None, value: Interval) -> bool:
    """Whether the claim is a rounding of some number in ``value`` to its places (see the module doc).

    >>> accepts(Fraction("10.28"), 2, Interval.point(Fraction("10.274")))
    True
    >>> accepts(Fraction("0.989"), 3, Interval.point(Fraction("0.988")))
    False
    """
    if places is None:
        return value.contains(claim)
    return _within(claim, places, value, 2)


def _nearest(claim: Fraction, places: int | None, value: Interval) -> bool:
    """Whether the claim is the correct (nearest) rounding of some number in ``value``."""
    if places is None:
        return value.contains(claim)
    return _within(claim, places, value, 1)


class Known:
    """What the student's work implies about one quantity; its value is computed on first use."""

    __slots__ = ("_compute", "_value", "sources", "tainted")

    def __init__(self, value: IMatrix | None | Callable[[], IMatrix | None], tainted: tuple[str, ...] = (),
                 sources: tuple[str, ...] = ()) -> None:
        self._compute = value if callable(value) else None
        self._value = None if callable(value) else value
        self.tainted = tainted
        """Wrong claimed quantities it rests on (the nearest ones)."""
        self.sources = sources
        """Claimed quantities it rests on (the nearest ones); empty for the exact key's value."""

    @property
    def value(self) -> IMatrix | None:
        """The student's value as intervals (None: it cannot be recomputed)."""
        if self._compute is not None:
            self._value, self._compute = self._compute(), None
        return self._value


@dataclass(frozen=True, slots=True)
class _Entry:
    verdict: str
    matched: Interval | None
    recomputed: bool


_WRONG_ENTRY = _Entry(WRONG, None, False)


def _judge_direct(c: Fraction, k: int | None, exact: Fraction | None, E: Interval) -> _Entry:
    if exact is not None and c == exact:
        return _Entry(CORRECT, E, False)
    if accepts(c, k, E):
        return _Entry(ROUNDING, E, False)
    return _WRONG_ENTRY


def _judge_again(c: Fraction, k: int | None, P: Interval | None, tainted: bool) -> _Entry:
    if P is not None and accepts(c, k, P):
        return _Entry(CARRIED if tainted else ROUNDING, P, True)
    return _WRONG_ENTRY


def _box(c: Fraction, k: int | None, entry: _Entry) -> Interval:
    """The student's own value behind a written entry: its rounding interval and what it matched."""
    if k is None or entry.verdict == CORRECT:
        return Interval.point(c)
    half = Fraction(1, 2 * 10**k)
    box = Interval(c - half, c + half)
    return box.hull(entry.matched) if entry.matched is not None else box


def _union(groups: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    nonempty = [g for g in groups if g]
    if len(nonempty) <= 1:
        return nonempty[0] if nonempty else ()
    return tuple(dict.fromkeys(name for g in nonempty for name in g))


_RECIPES: dict[int, tuple[ExerciseKey, Recipes]] = {}


def _recipes(exercise: ExerciseKey) -> Recipes:
    """The exercise's recipes, built once per key object (a worker checks many files against one key)."""
    cached = _RECIPES.get(id(exercise))
    if cached is None or cached[0] is not exercise:
        cached = _RECIPES[id(exercise)] = (exercise, recipes_for(exercise))
    return cached[1]


class _Checker:
    """Checks one exercise's claims in the order the derivation computes them."""

    def __init__(self, exercise: ExerciseKey, claims: Mapping[str, Claim]) -> None:
        self.exercise = exercise
        self.claims = claims
        self.recipes: Recipes = _recipes(exercise)
        self.known: dict[str, Known] = {}

    def run(self) -> list[Result]:
        results = []
        for q in self.exercise.quantities:
            result = self.step(q)
            if result is not None:
                results.append(result)
        return results

    def values(self, needs: tuple[str, ...]) -> dict[str, IMatrix] | None:
        """The student's values of ``needs``, or None when one cannot be recomputed."""
        out = {}
        for name in needs:
            known = self.known.get(name)
            value = known.value if known is not None else None
            if value is None:
                return None
            out[name] = value
        return out

    def recompute(self, q: KeyQuantity) -> Known:
        """The quantity as the student's earlier claims imply it (the key's value if none bears on it)."""
        rule = self.recipes.rules.get(q.name)
        deps = [self.known[n] for n in rule.needs] if rule else []
        sources = _union([d.sources for d in deps])
        if rule is None or not sources:
            return Known(q.enclosure)

        def compute() -> IMatrix | None:
            values = self.values(rule.needs)
            try:
                value = rule.compute(values) if values is not None else None
            except Undefined:
                return None
            if value is not None and iv.shape(value) != q.shape:
                raise AssertionError(f"recipe for {self.exercise.id} {q.name} gives shape {iv.shape(value)}")
            return value

        return Known(compute, _union([d.tainted for d in deps]), sources)

    def step(self, q: KeyQuantity) -> Result | None:
        implied = self.recompute(q)
        claim = self.claims.get(q.name)
        if claim is None:
            self.known[q.name] = implied
            return None
        judgement = _Judgement(self, q, claim, implied)
        result = judgement.result()
        self.known[q.name] = Known(judgement.boxes, (q.name,) if result.verdict in (WRONG, CARRIED) else (),
                                   (q.name,))
        return result

    def alternative_value(self, alt: Alternative) -> IMatrix | None:
        values = self.values(alt.needs)
        if values is None:
            return None
        try:
            return alt.compute(values)
        except Undefined:
            return None


def _matches(claim: Claim, value: IMatrix | None) -> bool:
    """Whether every entry of the claim, as written, is a rounding of ``value``."""
    if value is None or iv.shape(value) != (len(claim.values), len(claim.values[0])):
        return False
    return all(accepts(c, k, v) for cr, kr, vr in zip(claim.values, claim.places, value)
               for c, k, v in zip(cr, kr, vr))


class _Judgement:
    """The verdict, diagnosis and explanation of one claim."""

    def __init__(self, checker: _Checker, q: KeyQuantity, claim: Claim, implied: Known) -> None:
        self.checker, self.q, self.claim, self.implied = checker, q, claim, implied
        self.flat = [(c, k) for cr, kr in zip(claim.values, claim.places) for c, k in zip(cr, kr)]
        self.entries: list[_Entry] = []

    @property
    def recomputed(self) -> IMatrix | None:
        """The value implied by the student's earlier claims (None if none bears on it, or undefined)."""
        return self.implied.value if self.implied.sources else None

    def judge(self) -> list[_Entry]:
        if self.claim.transposed:
            return [_WRONG_ENTRY] * len(self.flat)
        entries = [_judge_direct(c, k, exact, E)
                   for (c, k), exact, E in zip(self.flat, self.q.exact, iv.entries(self.q.enclosure))]
        if all(e.verdict != WRONG for e in entries) or self.recomputed is None:
            return entries
        P = iv.entries(self.recomputed)
        tainted = bool(self.implied.tainted)
        return [e if e.verdict != WRONG else _judge_again(c, k, p, tainted)
                for e, (c, k), p in zip(entries, self.flat, P)]

    def boxes(self) -> IMatrix:
        """The student's value behind the claim, for later recomputations."""
        boxes = [_box(c, k, e) for (c, k), e in zip(self.flat, self.entries)]
        cols = len(self.claim.values[0])
        matrix = tuple(tuple(boxes[i:i + cols]) for i in range(0, len(boxes), cols))
        return iv.transpose(matrix) if self.claim.transposed else matrix

    def result(self) -> Result:
        q, claim = self.q, self.claim
        self.entries = entries = self.judge()
        verdict = max((e.verdict for e in entries), key=_RANK.__getitem__)
        diagnosis, sentence = _DESCRIBE[verdict](self, entries)
        return Result(claim.exercise, q.name, verdict, _json_number(claim.written), q.exact_text, q.value,
                      diagnosis, sentence, tuple(e.verdict for e in entries))

    # -- diagnoses ---------------------------------------------------------

    def named_mistake(self, generic: bool) -> str | None:
        for alt in self.checker.recipes.alternatives.get(self.q.name, []):
            if _matches(self.claim, self.checker.alternative_value(alt)):
                return alt.diagnosis
        if not generic:
            return None
        references = [self.q.enclosure] + ([self.recomputed] if self.recomputed is not None else [])
        rows, cols = self.q.shape
        for ref in references:
            against = "" if ref is self.q.enclosure else ", against the value that follows from your earlier values"
            if rows > 1 and cols > 1 and _matches(self.claim, iv.transpose(ref)) and (
                    self.claim.transposed or not _matches(self.claim, ref)):
                return f"the matrix is transposed: this is {self.q.name}ᵀ{against}"
            if _matches(self.claim, iv.scale(-1, ref)):
                whole = "the opposite sign" if len(self.flat) == 1 else "every entry has the opposite sign"
                return f"a sign slip: {whole}{against}"
        return self.sign_slips()

    def sign_slips(self) -> str | None:
        if self.claim.transposed:
            return None
        exact = iv.entries(self.q.enclosure)
        again = iv.entries(self.recomputed) if self.recomputed is not None else [None] * len(exact)
        slips, wrong = [], 0
        for i, ((c, k), E, P) in enumerate(zip(self.flat, exact, again)):
            if accepts(c, k, E) or (P is not None and accepts(c, k, P)):
                continue
            wrong += 1
            if c != 0 and (accepts(c, k, -E) or (P is not None and accepts(c, k, -P))):
                slips.append(self.label(i))
        if not slips or len(slips) != wrong:
            return None
        return f"a sign slip in {' and '.join(slips)}" if len(slips) <= 2 else f"sign slips in {len(slips)} entries"

    def label(self, index: int) -> str:
        rows, cols = self.q.shape
        if rows == 1 and cols == 1:
            return "the value"
        if rows == 1 or cols == 1:
            return f"entry {index + 1}"
        return f"entry ({index // cols + 1}, {index % cols + 1})"

    # -- sentences ---------------------------------------------------------

    def places(self) -> int:
        return max([k for _, k in self.flat if k is not None] + [2]) + 1

    def value_text(self, index: int) -> str:
        exact = self.q.exact[index]
        if exact is not None and _terminating(exact):
            return _decimal_text(exact, None)
        enclosure = iv.entries(self.q.enclosure)[index]
        return f"{self.q.entry_texts[index]} ≈ {_decimal_text(enclosure.midpoint, self.places())}"

    def whole_text(self) -> str:
        if len(self.flat) == 1:
            return self.value_text(0)
        return "[" + ", ".join(self.value_text(i).split(" ≈ ")[-1] for i in range(len(self.flat))) + "]"

    def describe_correct(self, entries: list[_Entry]) -> tuple[str | None, str]:
        return None, "Matches the exact value."

    def describe_rounding(self, entries: list[_Entry]) -> tuple[str | None, str]:
        slips = []
        for i, ((c, k), e) in enumerate(zip(self.flat, entries)):
            if e.verdict == ROUNDING and not e.recomputed and not self.nearest_anywhere(i):
                nearest = _decimal_text(iv.entries(self.q.enclosure)[i].midpoint, k)
                slips.append(f"{_written(c, k)} for {self.value_text(i)} (nearest: {nearest})")
        note = None
        if slips:
            shown = ", ".join(slips[:3]) + (f" and {len(slips) - 3} more" if len(slips) > 3 else "")
            note = f"not the nearest rounding but within one unit of the last place: {shown}"
        if any(e.recomputed for e in entries):
            sentence = (f"Agrees, to the places written, with the value recomputed from your rounded "
                        f"{', '.join(self.implied.sources)}")
        elif len(self.flat) == 1:
            sentence = f"Agrees with the exact value {self.value_text(0)} to the places written"
        else:
            sentence = "Every entry agrees with the exact value to the places written"
        return note, sentence + (f"; {note}." if note else ".")

    def nearest_anywhere(self, i: int) -> bool:
        c, k = self.flat[i]
        if _nearest(c, k, iv.entries(self.q.enclosure)[i]):
            return True
        return self.recomputed is not None and _nearest(c, k, iv.entries(self.recomputed)[i])

    def describe_carried(self, entries: list[_Entry]) -> tuple[str | None, str]:
        earlier = ", ".join(self.implied.tainted)
        diagnosis = f"follows from your earlier value of {earlier}"
        also = self.named_mistake(generic=False)
        if also:
            diagnosis += f"; {also}"
        exact = f" {self.whole_text()}" if len(self.flat) <= 4 else ""
        return diagnosis, (f"Not the exact value{exact}, but it follows from your earlier value of {earlier}"
                           f"{f' — {also}' if also else ''}.")

    def describe_wrong(self, entries: list[_Entry]) -> tuple[str | None, str]:
        diagnosis = self.named_mistake(generic=True)
        rows, cols = self.q.shape
        if self.claim.transposed:
            sentence = (f"Written as {cols}×{rows}, but {self.q.name} is {rows}×{cols}"
                        f" ({self.whole_text()})")
        else:
            wrong = [i for i, e in enumerate(entries) if e.verdict == WRONG]
            first = wrong[0]
            c, k = self.flat[first]
            subject = "Claimed" if len(self.flat) == 1 else f"{self.label(first).capitalize()} is"
            sentence = f"{subject} {_written(c, k)} but the exact value is {self.value_text(first)}"
            if len(wrong) > 1:
                sentence += f", and {len(wrong) - 1} more {'entry is' if len(wrong) == 2 else 'entries are'} wrong"
        return diagnosis, sentence + (f"; cause: {diagnosis}." if diagnosis else ".")


_DESCRIBE = {
    CORRECT: _Judgement.describe_correct,
    ROUNDING: _Judgement.describe_rounding,
    CARRIED: _Judgement.describe_carried,
    WRONG: _Judgement.describe_wrong,
}


def _terminating(value: Fraction) -> bool:
    q = value.denominator
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def _decimal_text(value: Fraction, places: int | None) -> str:
    """A Fraction as a decimal: exactly (places None, terminating values only) or rounded to ``places``."""
    with decimal.localcontext() as ctx:
        ctx.prec = 80
        d = Decimal(value.numerator) / Decimal(value.denominator)
        if places is not None:
            d = d.quantize(Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_EVEN)
    text = format(d, "f")
    if places is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def _written(c: Fraction, k: int | None) -> str:
    return _decimal_text(c, k) if k is not None or c.denominator == 1 else str(c)


def _json_number(value: Any) -> Any:
    if isinstance(value, list):
        return [_json_number(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    return float(value)


def check_claims(key: SheetKey, answers: Mapping[str, Any], source: str = "<answers>") -> list[Result]:
    """Check an answers mapping (exercise id → quantity → claim) against a prepared key."""
    claims = read_claims(key, answers, source)
    results: list[Result] = []
    for exercise in key.exercises:
        mine = {c.quantity: c for c in claims if c.exercise == exercise.id}
        if mine:
            results += _Checker(exercise, mine).run()
    return results


def check_answers(sheet_spec: SheetSpec, answers_mapping: Mapping[str, Any]) -> list[Result]:
    """Check claimed answers against a sheet: the library entry point.

    ``answers_mapping`` maps exercise ids to tables of claimed values (numbers as
    Decimals, as ``tomllib`` reads them with ``parse_float=Decimal``; ints; Fractions;
    or floats, taken as their shortest decimal form).

    >>> from symnn.sheets.spec import load_sheet
    >>> [r.verdict for r in check_answers(load_sheet(), {"ex2": {"L": Decimal("0.693")}})]
    ['rounding']
    """
    return check_claims(build_key(sheet_spec), answers_mapping)


# ---------------------------------------------------------------------------
# Many files at once.


@dataclass(frozen=True, slots=True)
class FileReport:
    """The results of one answers file, or why it could not be checked."""

    path: str
    """The file as given."""
    counts: dict[str, int]
    """How many quantities got each verdict."""
    results: tuple[Result, ...]
    """Its results (empty when it could not be read, or when only the counts were asked for)."""
    error: str | None
    """The one-line error for a bad file, else None."""


def check_file(key: SheetKey, path: str) -> list[Result]:
    """Check one answers file; bad input raises :class:`~symnn.errors.SpecError`."""
    return check_claims(key, read_answers_file(path), path)


_WORKER_KEY: SheetKey | None = None


def _init_worker(key: SheetKey) -> None:
    global _WORKER_KEY
    _WORKER_KEY = key


def _report(path: str, keep: bool = True, key: SheetKey | None = None) -> FileReport:
    try:
        results = check_file(key or _WORKER_KEY, path)  # type: ignore[arg-type]
    except SymnnError as exc:
        return FileReport(path, dict.fromkeys(VERDICTS, 0), (), str(exc))
    counts = {v: sum(1 for r in results if r.verdict == v) for v in VERDICTS}
    return FileReport(path, counts, tuple(results) if keep else (), None)


def check_files(key: SheetKey, paths: Sequence[str], jobs: int = 1, keep: bool = True) -> list[FileReport]:
    """Check many answers files in ``jobs`` processes; reports come back in the order given.

    With ``keep=False`` only the counts travel back from the workers (the summary table
    needs nothing else), which saves most of the cost of passing results between processes.
    """
    if jobs <= 1 or len(paths) <= 1:
        return [_report(p, keep, key) for p in paths]
    chunk = max(1, len(paths) // (jobs * 8))
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(key,)) as pool:
        return list(pool.map(partial(_report, keep=keep), paths, chunksize=chunk))


# ---------------------------------------------------------------------------
# Command line.


def run(args: argparse.Namespace) -> int:
    from symnn.sheets.spec import load_sheet
    from symnn.verify.check import report
    if args.jobs < 1:
        raise SymnnError(f"--jobs must be at least 1, got {args.jobs}")
    key = build_key(load_sheet(args.spec))
    colour = report.use_colour(args.color, sys.stdout)
    if len(args.answers) == 1:
        results = check_file(key, args.answers[0])
        print(report.json_results(results) if args.json else report.results_table(results, colour), end="")
        return 1 if any(r.verdict == WRONG for r in results) else 0
    reports = check_files(key, args.answers, args.jobs, keep=args.json or args.details)
    print(report.json_files(reports) if args.json else report.summary_table(reports, colour, args.details), end="")
    for r in reports:
        if r.error:
            print(f"symnn: error: {r.error}", file=sys.stderr)
    if any(r.error for r in reports):
        return 2
    return 1 if any(r.counts[WRONG] for r in reports) else 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "check", help="check claimed answers against the exact solutions",
        description="Check claimed answers (TOML: [exercise id] then quantity = value) against a sheet's exact "
                    "solutions: correct, rounding, carried forward or wrong, with a diagnosis where a known "
                    "mistake explains the claim. Exit 1 if anything is wrong, 2 on bad input.")
    p.add_argument("spec", metavar="SPEC", help="TOML exercise sheet")
    p.add_argument("answers", nargs="+", metavar="ANSWERS", help="TOML answers file(s)")
    p.add_argument("--json", action="store_true", help="machine-readable results")
    p.add_argument("--jobs", "-j", type=int, default=1, help="processes for many files (default 1)")
    p.add_argument("--details", action="store_true", help="with many files, also each file's table")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour the verdicts (default: only on a terminal)")
    p.set_defaults(func=run)
