"""The verdict, diagnosis and explanation of one claimed quantity (see :mod:`symnn.verify.check.judge`).

A :class:`Judgement` compares each written entry with the exact value and, where that fails,
with the value recomputed from the student's earlier claims (a :class:`Known`); it then names
the mistake when a recipe's alternative, a transpose or a sign slip reproduces the claim, and
says so in one sentence with the numbers that matter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from symnn.core import interval as iv
from symnn.core.decimals import decimal_text, terminating
from symnn.core.interval import IMatrix
from symnn.verify.check.answers import Claim
from symnn.verify.check.key import KeyQuantity
from symnn.verify.check.rounding import WRONG_ENTRY, Entry, accepts, box, judge_again, judge_direct, nearest
from symnn.verify.check.verdicts import CARRIED, CORRECT, RANK, ROUNDING, WRONG, Result


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


def matches(claim: Claim, value: IMatrix | None) -> bool:
    """Whether every entry of the claim, as written, is a rounding of ``value``."""
    if value is None or iv.shape(value) != (len(claim.values), len(claim.values[0])):
        return False
    return all(accepts(c, k, v) for cr, kr, vr in zip(claim.values, claim.places, value)
               for c, k, v in zip(cr, kr, vr))


class Judgement:
    """The verdict, diagnosis and explanation of one claim."""

    def __init__(self, q: KeyQuantity, claim: Claim, implied: Known,
                 alternatives: Sequence[tuple[str, Callable[[], IMatrix | None]]]) -> None:
        self.q, self.claim, self.implied, self.alternatives = q, claim, implied, alternatives
        self.flat = [(c, k) for cr, kr in zip(claim.values, claim.places) for c, k in zip(cr, kr)]
        self.entries: list[Entry] = []

    @property
    def recomputed(self) -> IMatrix | None:
        """The value implied by the student's earlier claims (None if none bears on it, or undefined)."""
        return self.implied.value if self.implied.sources else None

    def judge(self) -> list[Entry]:
        if self.claim.transposed:
            return [WRONG_ENTRY] * len(self.flat)
        entries = [judge_direct(c, k, exact, E)
                   for (c, k), exact, E in zip(self.flat, self.q.exact, iv.entries(self.q.enclosure))]
        if all(e.verdict != WRONG for e in entries) or self.recomputed is None:
            return entries
        P = iv.entries(self.recomputed)
        tainted = bool(self.implied.tainted)
        return [e if e.verdict != WRONG else judge_again(c, k, p, tainted)
                for e, (c, k), p in zip(entries, self.flat, P)]

    def boxes(self) -> IMatrix:
        """The student's value behind the claim, for later recomputations."""
        boxes = [box(c, k, e) for (c, k), e in zip(self.flat, self.entries)]
        cols = len(self.claim.values[0])
        matrix = tuple(tuple(boxes[i:i + cols]) for i in range(0, len(boxes), cols))
        return iv.transpose(matrix) if self.claim.transposed else matrix

    def result(self) -> Result:
        q, claim = self.q, self.claim
        self.entries = entries = self.judge()
        verdict = max((e.verdict for e in entries), key=RANK.__getitem__)
        diagnosis, sentence = DESCRIBE[verdict](self, entries)
        return Result(claim.exercise, q.name, verdict, _json_number(claim.written), q.exact_text, q.value,
                      diagnosis, sentence, tuple(e.verdict for e in entries))

    # -- diagnoses ---------------------------------------------------------

    def named_mistake(self, generic: bool) -> str | None:
        for diagnosis, value in self.alternatives:
            if matches(self.claim, value()):
                return diagnosis
        if not generic:
            return None
        references = [self.q.enclosure] + ([self.recomputed] if self.recomputed is not None else [])
        rows, cols = self.q.shape
        for ref in references:
            against = "" if ref is self.q.enclosure else ", against the value that follows from your earlier values"
            if rows > 1 and cols > 1 and matches(self.claim, iv.transpose(ref)) and (
                    self.claim.transposed or not matches(self.claim, ref)):
                return f"the matrix is transposed: this is {self.q.name}ᵀ{against}"
            if matches(self.claim, iv.scale(-1, ref)):
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
        if exact is not None and terminating(exact):
            return decimal_text(exact, None)
        enclosure = iv.entries(self.q.enclosure)[index]
        return f"{self.q.entry_texts[index]} ≈ {decimal_text(enclosure.midpoint, self.places())}"

    def whole_text(self) -> str:
        if len(self.flat) == 1:
            return self.value_text(0)
        return "[" + ", ".join(self.value_text(i).split(" ≈ ")[-1] for i in range(len(self.flat))) + "]"

    def describe_correct(self, entries: list[Entry]) -> tuple[str | None, str]:
        return None, "Matches the exact value."

    def describe_rounding(self, entries: list[Entry]) -> tuple[str | None, str]:
        slips = []
        for i, ((c, k), e) in enumerate(zip(self.flat, entries)):
            if e.verdict == ROUNDING and not e.recomputed and not self.nearest_anywhere(i):
                nearest = decimal_text(iv.entries(self.q.enclosure)[i].midpoint, k)
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
        if nearest(c, k, iv.entries(self.q.enclosure)[i]):
            return True
        return self.recomputed is not None and nearest(c, k, iv.entries(self.recomputed)[i])

    def describe_carried(self, entries: list[Entry]) -> tuple[str | None, str]:
        earlier = ", ".join(self.implied.tainted)
        diagnosis = f"follows from your earlier value of {earlier}"
        also = self.named_mistake(generic=False)
        if also:
            diagnosis += f"; {also}"
        exact = f" {self.whole_text()}" if len(self.flat) <= 4 else ""
        return diagnosis, (f"Not the exact value{exact}, but it follows from your earlier value of {earlier}"
                           f"{f' — {also}' if also else ''}.")

    def describe_wrong(self, entries: list[Entry]) -> tuple[str | None, str]:
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


DESCRIBE = {
    CORRECT: Judgement.describe_correct,
    ROUNDING: Judgement.describe_rounding,
    CARRIED: Judgement.describe_carried,
    WRONG: Judgement.describe_wrong,
}


def _written(c: Fraction, k: int | None) -> str:
    return decimal_text(c, k) if k is not None or c.denominator == 1 else str(c)


def _json_number(value: Any) -> Any:
    if isinstance(value, list):
        return [_json_number(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    return float(value)


