"""``symnn variants``: per-student variants of a sheet, drawn reproducibly and checked.

A sheet may give random parameters instead of numbers (read by
:mod:`symnn.sheets.templates`).  Variant *n* of seed *S* is drawn from its own
generator, so it is the same whatever the count, the order or the number of worker
processes.  A draw is rejected (and redrawn) when it makes a poor exercise: the
constraints of :class:`~symnn.sheets.constraints.Constraints` have defaults and can
be changed per exercise in an ``[exercise.reject]`` table; each kind says which
ones a draw breaks.  Every accepted variant is solved exactly and cross-checked
against the numpy evaluator like any sheet.

The library entry point is :func:`generate_variants`; it takes any
:class:`concurrent.futures.Executor` (a process pool, or a cluster's executor).
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from symnn.errors import MathDomainError, ParseError, ShapeError, SpecError, SymnnError
from symnn.sheets.loading import parse_exercise
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.templates import ExerciseTemplate, load_template

MAX_COUNT = 10_000
"""Most variants one run may ask for."""
MAX_DRAWS = 1000
"""Most draws per exercise and variant before the constraints are declared impossible."""

FEATURE_RANGE = "every feature varies: no zero range or variance (feature_range)"


def _constant_feature(raw: Mapping[str, Any]) -> bool:
    """Whether a drawn X (rows of numbers) has a constant column; checked before the spec reader refuses it."""
    X = raw.get("X")
    if not isinstance(X, list) or not X or not all(isinstance(r, list) for r in X):
        return False
    if any(isinstance(v, list) for r in X for v in r):
        return False  # channels of matrices (conv2d, pool): not a data matrix of features
    return any(len({row[j] for row in X if j < len(row)}) == 1 for j in range(len(X[0])))


def _too_many_decimals(value: Any, places: int) -> bool:
    import sympy as sp

    entries = list(value) if isinstance(value, sp.MatrixBase) else [value]
    for v in entries:
        if isinstance(v, sp.Rational):
            q = int(v.q)
            twos = fives = 0
            while q % 2 == 0:
                q, twos = q // 2, twos + 1
            while q % 5 == 0:
                q, fives = q // 5, fives + 1
            if q != 1 or max(twos, fives) > places:
                return True
    return False


# ---------------------------------------------------------------------------
# Drawing one exercise until it passes.

INVALID = "the drawn numbers are valid input"
DEFINED = "every value is defined for the drawn numbers (no log of 0, no division by 0)"


@dataclass
class _Tally:
    """Why draws were rejected, for the message when none passes."""

    reasons: Counter[str] = field(default_factory=Counter)
    """Failed constraint -> number of draws it rejected."""
    invalid: SpecError | None = None
    """The last input error a draw caused."""


def draw_exercise(template: ExerciseTemplate, rng: random.Random, variant: int) -> tuple[ExerciseSpec[Any], Any, int]:
    """Draw until the numbers pass every numeric constraint; return the spec, its derivation and the draws used."""
    from symnn.sheets.crosscheck import crosscheck
    from symnn.sheets.kinds import kind_of, solve_exercise

    tally = _Tally()
    for attempt in range(1, MAX_DRAWS + 1):
        raw = template.draw(rng)
        if template.constraints.feature_range and _constant_feature(raw):
            tally.reasons[FEATURE_RANGE] += 1
            continue
        try:
            spec = parse_exercise(raw, template.index, template.where)
        except (ShapeError, ParseError):
            raise
        except SpecError as exc:
            tally.reasons[INVALID] += 1
            tally.invalid = exc
            continue
        kind = kind_of(spec)
        values = kind.reference(spec.data)
        failed = kind.rejects(spec.data, values, template.constraints)
        if failed:
            tally.reasons.update(set(failed))
            continue
        try:
            derivation = solve_exercise(spec)
        except MathDomainError as exc:
            tally.reasons[DEFINED] += 1
            tally.invalid = exc
            continue
        places = template.constraints.decimals
        if places is not None and any(_too_many_decimals(q.exact, places) for q in derivation.quantities):
            tally.reasons[f"at most {places} decimal places in every rational result (decimals)"] += 1
            continue
        crosscheck(spec, derivation, values)
        return spec, derivation, attempt
    raise _impossible(template, variant, tally)


def _impossible(template: ExerciseTemplate, variant: int, tally: _Tally) -> SpecError:
    if tally.reasons and set(tally.reasons) <= {INVALID, DEFINED} and tally.invalid is not None:
        return tally.invalid
    reason, count = max(tally.reasons.items(), key=lambda item: (item[1], item[0]))
    others = ", ".join(f"{r} ({n})" for r, n in tally.reasons.most_common() if r != reason)
    return SpecError(
        f"{template.where}: exercise {template.index}: no draw for variant {variant} met the constraints within "
        f"{MAX_DRAWS} draws; the constraint failing most is: {reason} ({count} of {MAX_DRAWS} draws)"
        + (f"; also: {others}" if others else "")
        + ". Widen the random ranges or relax it in [exercise.reject]")


# ---------------------------------------------------------------------------
# One variant, rendered: plain data that crosses process boundaries.


@dataclass(frozen=True, slots=True)
class Variant:
    """One finished variant: its sheets, answer key and Moodle questions."""

    number: int
    """1-based variant number."""
    draws: int
    """Draws used (1 per exercise when nothing was rejected)."""
    student: str
    """Student sheet, Markdown (questions only)."""
    teacher: str
    """Teacher sheet, Markdown (statement and worked solution)."""
    key: dict[str, Any]
    """This variant's answer key, the form ``symnn sheet`` writes plus its variant number."""
    moodle: Any
    """The variant's Moodle question category (:class:`symnn.sheets.render.moodle.Category`)."""
    moodle_xml: str = ""
    """The category as Moodle XML (:func:`symnn.sheets.render.moodle.category_xml`), written where the
    variant is made so that the document is only joined at the end; empty when not written."""
    key_json: str = ""
    """:attr:`key` as JSON text, indented as it stands in the key file's list of variants
    (:func:`key_document`), written where the variant is made; empty when not written."""


def make_variant(text: str, source: str, seed: int, number: int, decimals: int = 3, detail: str = "full",
                 lean: bool = False) -> Variant:
    """Draw, solve, cross-check and render variant ``number`` of seed ``seed`` (a top-level, picklable task).

    With ``detail="brief"`` the teacher sheet is the brief answer key (:func:`symnn.sheets.steps.brief`).
    With ``lean`` the Moodle questions do not keep what they ask (:attr:`~symnn.sheets.render.moodle.
    NumericalQuestion.asked`, SymPy objects only the QTI export's rescaling reads): the variant is then
    plain text and numbers, cheap to send between processes."""
    from symnn.sheets.kinds import statement
    from symnn.sheets.render import markdown
    from symnn.sheets.render.json import to_answer_key
    from symnn.sheets.render.moodle import Category, category_xml, questions_for
    from symnn.sheets.render.printing import sentence_runs
    from symnn.sheets.statement import asked
    from symnn.sheets.steps import Sheet, brief

    template = load_template(text, source)
    rng = random.Random(f"symnn-variants:{seed}:{number}")
    drawn = [draw_exercise(t, rng, number) for t in template.exercises]
    title = f"{template.title} — variant {number}"
    sheet = Sheet(title, tuple(d for _, d, _ in drawn))
    student, teacher = [f"# {title}"], [f"# {title} (worked solutions)"]
    questions = []
    for i, ((spec, derivation, _), t) in enumerate(zip(drawn, template.exercises), start=1):
        lines = statement(spec)
        try:
            wanted = asked(derivation, t.asks)
        except KeyError:
            missing = [n for n in t.asks or () if n not in derivation.values()]
            raise SpecError(f"{t.where}: asks names {missing[0]!r}, which this exercise does not compute; it "
                            f"computes: {', '.join(q.name for q in derivation.quantities)}") from None
        given = "\n\n".join(markdown.render_step(_prose(line), decimals) for line in lines)
        heading = f"## Exercise {i}: {derivation.title}"
        items = "\n".join(f"{k}. {markdown.render_step(_prose((*sentence_runs(q.caption), ': ', q.symbol)), decimals)}"
                          for k, q in enumerate(wanted, start=1))
        student += [heading, given, "Compute:", items]
        body = markdown.render_derivation(brief(derivation) if detail == "brief" else derivation, i, decimals)
        teacher += [heading, given, body.split("\n\n", 1)[1] if "\n\n" in body else body]
        questions += questions_for(f"v{number:03d} {derivation.id}", lines, wanted, decimals)
    key = {"variant": number, **to_answer_key(sheet)}
    if lean:
        questions = [dataclasses.replace(q, asked=None) for q in questions]
    category = Category(f"{template.title}/Variant {number:03d}", tuple(questions))
    return Variant(number, sum(n for *_, n in drawn), "\n\n".join(student) + "\n", "\n\n".join(teacher) + "\n",
                   key, category, category_xml(category), _listed_json(key))


def _listed_json(key: dict[str, Any]) -> str:
    # json.dumps breaks lines only between tokens (a line break inside a string is written \n), so
    # indenting every line by two levels gives the text of the key inside the file's list.
    return json.dumps(key, indent=2, ensure_ascii=False).replace("\n", "\n    ")


def key_document(seed: int, variants: Sequence[Variant]) -> str:
    """The JSON answer key of the variants, ``{"seed": …, "variants": [...]}`` as ``json.dumps`` writes
    it with ``indent=2``; joined from each variant's :attr:`~Variant.key_json` when it has one."""
    if not variants or not all(v.key_json for v in variants):
        return json.dumps({"seed": seed, "variants": [v.key for v in variants]}, indent=2, ensure_ascii=False) + "\n"
    return ('{\n  "seed": ' + json.dumps(seed) + ',\n  "variants": [\n    '
            + ",\n    ".join(v.key_json for v in variants) + "\n  ]\n}\n")


def make_variants(text: str, source: str, seed: int, numbers: Sequence[int], decimals: int = 3,
                  detail: str = "full", lean: bool = False, texts: bool = False) -> list[Variant]:
    """:func:`make_variant` for each of ``numbers``: one task of a pool (a top-level, picklable function).

    With ``texts`` (and ``lean``) a variant comes back with only what its files are written from (its
    sheets, :attr:`~Variant.key_json` and :attr:`~Variant.moodle_xml`): its key dict and question
    category, which it would otherwise also carry, cost a quarter of a millisecond to send back."""
    made = [make_variant(text, source, seed, n, decimals, detail, lean) for n in numbers]
    if texts and lean:
        made = [dataclasses.replace(v, key={}, moodle=None) for v in made]
    return made


def _prose(line: Sequence[Any]) -> Any:
    from symnn.sheets.steps import Prose

    return Prose(tuple(line))


def generate_variants(text: str, count: int, seed: int, source: str = "<text>", decimals: int = 3,
                      executor: Executor | None = None, detail: str = "full", lean: bool = False) -> list[Variant]:
    """Variants 1…count of a sheet, drawn from ``seed``; in this process, or on ``executor``.

    ``executor`` may be any :class:`concurrent.futures.Executor` that runs tasks in separate
    processes (a process pool, or a distributed one such as Dask's); each variant is drawn
    from its own generator, so results do not depend on it.  Variant 1 is made here first:
    it reads the sheet and warms the caches (the formulas, proofs and printed forms every
    variant shares) before a forking pool starts its workers, which then inherit them; the
    others go out in chunks of :func:`chunk_size` variants per task.  Avoid thread pools:
    SymPy's expression cache is shared between threads and not thread-safe, so concurrent
    threads can see each other's unevaluated expressions.  ``lean``: see :func:`make_variant`.

    >>> sheet = '''
    ... [[exercise]]
    ... kind = "forward"
    ... W = { random = "uniform", low = -1, high = 1, step = 0.5, shape = [1, 2] }
    ... X = [1, 2]
    ... activation = "relu"
    ... '''
    >>> [v.key["exercises"][0]["quantities"]["Z"]["exact"] for v in generate_variants(sheet, 2, seed=7)]
    ['[[-5/2]]', '[[3/2]]']
    """
    return list(iter_variants(text, count, seed, source, decimals, executor, detail, lean))


def iter_variants(text: str, count: int, seed: int, source: str = "<text>", decimals: int = 3,
                  executor: Executor | None = None, detail: str = "full", lean: bool = False,
                  texts: bool = False) -> Iterator[Variant]:
    """:func:`generate_variants` one by one, in order, each as soon as it and those before it are made;
    a variant is not kept here once given (a large class's variants need not all be held at once).
    ``texts``: variants made on ``executor`` carry only their files' texts (see :func:`make_variants`)."""
    from symnn.core.progress import progress

    check_count(count)
    load_template(text, source)
    if executor is None:
        for n in progress(range(1, count + 1), label="variants", unit="variant"):
            yield make_variant(text, source, seed, n, decimals, detail, lean)
        return
    first = make_variant(text, source, seed, 1, decimals, detail, lean)
    size = chunk_size(count)
    futures = deque(executor.submit(make_variants, text, source, seed,
                                    tuple(range(start, min(start + size, count + 1))), decimals, detail, lean,
                                    texts)
                    for start in range(2, count + 1, size))

    def finished() -> Iterator[Variant]:
        yield first
        while futures:
            yield from futures.popleft().result()

    yield from progress(finished(), total=count, label="variants", unit="variant")


def chunk_size(count: int) -> int:
    """Variants per pool task: few enough tasks that sending them costs little, enough (about 100
    for a large class) that the workers finish together."""
    return max(1, min(10, count // 100))


def check_count(count: int) -> None:
    if not 1 <= count <= MAX_COUNT:
        raise SymnnError(f"--count must be between 1 and {MAX_COUNT}, got {count}")


# ---------------------------------------------------------------------------
# Files.

def sheet_name(stem: str, number: int, who: str) -> str:
    """The file name of variant ``number``'s ``student`` or ``teacher`` sheet."""
    return f"{stem}-v{number:03d}-{who}.md"


KEY, MOODLE, QTI12, QTI21 = "key.json", "moodle.xml", "qti12.zip", "qti21.zip"
"""The run's other files, named ``{stem}-KEY`` and so on."""


def render_files(variants: Sequence[Variant], seed: int, stem: str, out: Path,
                 formats: Sequence[str], decimals: int = 3) -> list[tuple[Path, str | bytes]]:
    """Every output file's path and text (nothing written yet)."""
    from symnn.sheets.render.moodle import category_xml, moodle_document

    files: list[tuple[Path, str | bytes]] = []
    if "md" in formats:
        for v in variants:
            files.append((out / sheet_name(stem, v.number, "student"), v.student))
            files.append((out / sheet_name(stem, v.number, "teacher"), v.teacher))
    if "json" in formats:
        files.append((out / f"{stem}-{KEY}", key_document(seed, variants)))
    if "moodle" in formats:
        files.append((out / f"{stem}-{MOODLE}", moodle_document([v.moodle_xml or category_xml(v.moodle)
                                                                   for v in variants])))
    if "qti" in formats:
        from symnn.sheets.render.qti import to_qti12, to_qti21

        title = variants[0].moodle.path.rsplit("/", 1)[0] if variants else stem
        categories = [v.moodle for v in variants]
        files.append((out / f"{stem}-{QTI12}", to_qti12(title, categories, decimals, stem)))
        files.append((out / f"{stem}-{QTI21}", to_qti21(title, categories, decimals, stem)))
    return files


class FileSink(Protocol):
    """Where :class:`VariantFiles` puts files (:class:`symnn.core.io.StagedFiles`)."""

    def write(self, path: Path, data: str | bytes) -> None:
        """The whole of one file."""

    def append(self, path: Path, text: str) -> None:
        """More of a file written piece by piece."""


class VariantFiles:
    """The files of :func:`render_files`, written as the variants come instead of once all are made.

    Each variant's sheets are written when it arrives; the answer key and the Moodle document are
    written piece by piece (the text :func:`key_document` and :func:`moodle_document` join); only
    the QTI export, which packs every question at once, keeps the variants' question categories
    until :meth:`finish`.  Variants must come in order of their numbers, as :func:`iter_variants`
    gives them."""

    def __init__(self, sink: FileSink, seed: int, stem: str, out: Path, formats: Sequence[str],
                 decimals: int = 3) -> None:
        self._sink, self._seed, self._stem, self._out = sink, seed, stem, out
        self._formats, self._decimals = tuple(formats), decimals
        self._count = 0
        self._categories: list[Any] = []

    def add(self, variant: Variant) -> None:
        """Write ``variant``'s sheets and its part of the key and the Moodle document."""
        from symnn.sheets.render.moodle import category_xml

        out, stem, first = self._out, self._stem, self._count == 0
        self._count += 1
        if "md" in self._formats:
            self._sink.write(out / sheet_name(stem, variant.number, "student"), variant.student)
            self._sink.write(out / sheet_name(stem, variant.number, "teacher"), variant.teacher)
        if "json" in self._formats:
            opening = '{\n  "seed": ' + json.dumps(self._seed) + ',\n  "variants": [\n    ' if first else ",\n    "
            self._sink.append(out / f"{stem}-{KEY}", opening + (variant.key_json or _listed_json(variant.key)))
        if "moodle" in self._formats:
            opening = '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n  ' if first else "\n  "
            self._sink.append(out / f"{stem}-{MOODLE}", opening + (variant.moodle_xml or category_xml(variant.moodle)))
        if "qti" in self._formats:
            self._categories.append(variant.moodle)

    def finish(self) -> None:
        """Close the key and the Moodle document and write the QTI export: after the last variant."""
        from symnn.sheets.render.moodle import moodle_document

        out, stem, none = self._out, self._stem, self._count == 0
        if "json" in self._formats:
            self._sink.append(out / f"{stem}-{KEY}", key_document(self._seed, []) if none else "\n  ]\n}\n")
        if "moodle" in self._formats:
            self._sink.append(out / f"{stem}-{MOODLE}", moodle_document([]) if none else "\n</quiz>\n")
        if "qti" in self._formats:
            from symnn.sheets.render.qti import to_qti12, to_qti21

            categories = self._categories
            title = categories[0].path.rsplit("/", 1)[0] if categories else stem
            self._sink.write(out / f"{stem}-{QTI12}", to_qti12(title, categories, self._decimals, stem))
            self._sink.write(out / f"{stem}-{QTI21}", to_qti21(title, categories, self._decimals, stem))


def superseded_by_run(stem: str) -> Callable[[str], bool]:
    """Whether a file name in the output folder is one :func:`render_files` writes for ``stem``.

    A new run of the sheet replaces all of them: the files of an earlier run that this one does
    not rewrite (variants beyond the new count, a format not asked for again) are removed, so the
    folder never holds sheets that its answer key does not describe.
    """
    others = "|".join(re.escape(name) for name in (KEY, MOODLE, QTI12, QTI21))
    pattern = re.compile(re.escape(stem) + rf"-(v\d{{3,}}-(student|teacher)\.md|{others})")
    return lambda name: pattern.fullmatch(name) is not None
