"""The one sentence that explains a judgement on ``=`` or ``≈``: what each side is worth,
which rounding or which of the sheet's own rounded values makes it hold, or why it fails.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from symnn.core.interval import Interval
from symnn.verify.lint.display import approximate, rounded_text, show
from symnn.verify.lint.verdicts import OUTCOME_VERDICT, SEVERITY, Entry, Outcome, Pairing


def message(entries: list[Entry], outcomes: list[Outcome], pairing: Pairing) -> str:
    if pairing == "scalar":
        return _sentence(_entry_sentence(entries[0], outcomes[0]))
    worst = max(outcomes, key=SEVERITY.__getitem__)
    orientation = (
        " (one side is a row, the other a column; compared as vectors)"
        if pairing == "vector"
        else ""
    )
    count = len(entries)
    if OUTCOME_VERDICT[worst] == "ok":
        rounded = sum(1 for o in outcomes if o != "equal")
        how = "exactly" if not rounded else f"({rounded} within rounding)"
        return f"All {count} entries agree {how}{orientation}."
    index = outcomes.index(worst)
    others: list[str] = [OUTCOME_VERDICT[o] for k, o in enumerate(outcomes) if k != index]
    tally = [
        f"{others.count(v)} {name}"
        for v, name in (("error", "also wrong"), ("rounding", "off by rounding"), ("ok", "fine"))
        if others.count(v)
    ]
    rest = f" (other entries: {', '.join(tally)})" if tally else ""
    return f"Entry {entries[index].label}: {_entry_sentence(entries[index], worst)}{rest}{orientation}."


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _entry_sentence(entry: Entry, outcome: Outcome) -> str:
    exact = show(entry.exact, entry.places)
    claimed = show(entry.claimed, entry.places)
    places = _places_name(entry.places)
    single = entry.claim is not None
    sentences: dict[Outcome, Callable[[], str]] = {
        "equal": lambda: f"both sides equal {exact}",
        "rounded": lambda: (
            f"{exact} rounds to {claimed} at {places}"
            if single
            else f"{exact} agrees with {claimed}, whose numbers are rounded to {places}"
        ),
        "sheet": lambda: _sheet_sentence(entry, exact, claimed),
        "rounding": lambda: (
            f"the left side is {exact} but the right side is {claimed}: its "
            f"{_listing(entry.slipped)} {'is' if len(entry.slipped) == 1 else 'are'} "
            "rounded one unit off in the last place"
            if entry.slipped
            else f"{exact} rounds to {rounded_text(entry.exact, entry.places)}, not {claimed}: one unit off in the last place"
            + _truncated(entry)
            if single
            else f"{exact} differs from {claimed} by one unit in the last of its {places}"
        ),
        "error": lambda: (
            f"the left side is {exact} but the right side is {claimed}"
            + (f", even allowing for {_sheet_values(entry.used)}" if entry.used else "")
        ),
    }
    return sentences[outcome]()


def _truncated(entry: Entry) -> str:
    """`` (truncated instead of rounded)`` when the claim cuts the value's digits off."""
    if entry.claim is None or entry.places is None or not entry.exact.is_point and (
        entry.exact.width > Fraction(1, 10 ** (entry.places + 6))
    ):
        return ""
    sign, number = entry.claim
    value = entry.exact.midpoint * sign
    scale = 10**entry.places
    truncated = Fraction(int(value * scale), scale)  # int() cuts toward zero
    return " (truncated instead of rounded)" if truncated == number.value else ""


def _sheet_sentence(entry: Entry, exact: str, claimed: str) -> str:
    """Why a link holds with the sheet's own rounded values, naming them."""
    at = f" at {_places_name(entry.places)}" if entry.places is not None else ""
    if entry.used_right and entry.exact.intersects(entry.claimed_half):
        return (
            f"the right side is {claimed} as written, but with {_sheet_values(entry.used_right)} "
            f"it can be {_range(entry.claimed_half)}, which includes the left side's {exact}"
        )
    if entry.used_right:
        return (
            f"with {_sheet_values(entry.used)} the left side can be {_range(entry.lenient)} "
            f"and the right side {_range(entry.claimed_half)}, which meet"
        )
    return (
        f"the left side is {exact}, but with {_sheet_values(entry.used_left)} it can be "
        f"{_range(entry.lenient)}, which agrees with {claimed}{at}"
    )


def _sheet_values(used: tuple[str, ...]) -> str:
    return f"the sheet's own rounded {_listing(used)}"


def _places_name(places: int | None) -> str:
    if places is not None and places < 0:
        return f"a multiple of {10**-places}"
    return (
        "a whole number"
        if places == 0
        else f"{places} decimal place" + ("s" if places != 1 else "")
    )


def _listing(used: tuple[str, ...]) -> str:
    return ("value " if len(used) == 1 else "values ") + ", ".join(used)


def _range(value: Interval | None) -> str:
    if value is None:
        return ""
    return f"{approximate(value.lo, 6)} to {approximate(value.hi, 6)}"
