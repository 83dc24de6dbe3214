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

>>> from symnn.sheets.loading import load_sheet
>>> from symnn.verify.check.key import build_key
>>> key = build_key(load_sheet())
>>> results = check_claims(key, {"ex6": {"dpenalty_dW": [0.01, -0.02, 0.005], "W_new": [0.989, -1.958, 0.4795]}})
>>> [(r.quantity, r.verdict) for r in results]
[('dpenalty_dW', 'wrong'), ('W_new', 'carried forward')]
>>> results[0].diagnosis.split(":")[0]
'the λ vs λ/2 convention in L2 regularization'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from functools import partial
from typing import Any

from symnn.core import interval as iv
from symnn.core.interval import IMatrix, Undefined
from symnn.core.progress import progress
from symnn.errors import SymnnError
from symnn.sheets.spec import SheetSpec
from symnn.verify.check.answers import Claim, answers_source, read_answers_file, read_answers_text, read_claims
from symnn.verify.check.explain import Judgement, Known
from symnn.verify.check.key import ExerciseKey, KeyQuantity, SheetKey, build_key
from symnn.verify.check.recipes import Alternative, Recipes, recipes_for
from symnn.verify.check.verdicts import CARRIED, VERDICTS, WRONG, FileReport, Result

__all__ = ["VERDICTS", "FileReport", "Result", "check_answers", "check_claims", "check_file", "check_files"]


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
        alternatives = [(alt.diagnosis, partial(self.alternative_value, alt))
                        for alt in self.recipes.alternatives.get(q.name, [])]
        judgement = Judgement(q, claim, implied, alternatives)
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

    >>> from decimal import Decimal
    >>> from symnn.sheets.loading import load_sheet
    >>> [r.verdict for r in check_answers(load_sheet(), {"ex2": {"L": Decimal("0.693")}})]
    ['rounding']
    """
    return check_claims(build_key(sheet_spec), answers_mapping)


# ---------------------------------------------------------------------------
# Many files at once.


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
        return _failed(path, exc)
    return _counted(path, results, keep)


def _counted(path: str, results: list[Result], keep: bool) -> FileReport:
    counts = {v: sum(1 for r in results if r.verdict == v) for v in VERDICTS}
    return FileReport(path, counts, tuple(results) if keep else (), None)


def _failed(path: str, exc: SymnnError) -> FileReport:
    return FileReport(path, dict.fromkeys(VERDICTS, 0), (), str(exc))


def _report_texts(key: SheetKey, files: Sequence[tuple[str, str]], keep: bool) -> list[FileReport]:
    """Check answers files already read (path, text): a task for a remote worker, which needs no shared disk."""
    reports = []
    for path, text in files:
        try:
            reports.append(_counted(path, check_claims(key, read_answers_text(text, path), path), keep))
        except SymnnError as exc:
            reports.append(_failed(path, exc))
    return reports


def check_files(key: SheetKey, paths: Sequence[str], jobs: int = 1, keep: bool = True,
                executor: Executor | None = None) -> list[FileReport]:
    """Check many answers files in ``jobs`` local processes, or on ``executor``; reports come back in the
    order given, the same whichever way they were computed.

    With ``keep=False`` only the counts travel back from the workers (the summary table
    needs nothing else), which saves most of the cost of passing results between processes.
    ``executor`` is any :class:`concurrent.futures.Executor` running tasks in other processes or on other
    machines (a Dask cluster's, ``distributed.Client(address).get_executor()``): the files are read here
    and their texts sent in chunks, so the workers need no shared file system.
    """
    if executor is not None:
        return _on_executor(key, paths, keep, executor)
    if jobs <= 1 or len(paths) <= 1:
        return [_report(p, keep, key) for p in progress(paths, label="checking", unit="file")]
    chunk = max(1, len(paths) // (jobs * 8))
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(key,)) as pool:
        reports = pool.map(partial(_report, keep=keep), paths, chunksize=chunk)
        return list(progress(reports, total=len(paths), label="checking", unit="file"))


CHUNK_FILES = 50
"""Answers files per task sent to an executor."""


def _on_executor(key: SheetKey, paths: Sequence[str], keep: bool, executor: Executor) -> list[FileReport]:
    unread: dict[int, FileReport] = {}
    texts: list[tuple[int, str, str]] = []
    for i, path in enumerate(paths):
        try:
            text = answers_source(path)
        except SymnnError as exc:
            unread[i] = _failed(path, exc)
            continue
        texts.append((i, path, text))
    chunks = [texts[i:i + CHUNK_FILES] for i in range(0, len(texts), CHUNK_FILES)]
    futures = [executor.submit(_report_texts, key, [(p, t) for _, p, t in c], keep) for c in chunks]
    done: dict[int, FileReport] = dict(unread)
    for c, future in zip(chunks, progress(futures, label="checking", unit="chunk")):
        for (i, _, _), report in zip(c, future.result()):
            done[i] = report
    return [done[i] for i in range(len(paths))]
