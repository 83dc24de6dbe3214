"""The verdicts of ``symnn check`` and the results that carry them: plain data, standard library only.

The command line imports this module to print results, so it loads nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CORRECT, ROUNDING, CARRIED, WRONG = "correct", "rounding", "carried forward", "wrong"
VERDICTS = (CORRECT, ROUNDING, CARRIED, WRONG)
"""Every verdict, from best to worst."""
RANK = {v: i for i, v in enumerate(VERDICTS)}
"""Each verdict's place in :data:`VERDICTS` (the worst of several is the highest)."""


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
