"""The JSON answer key: every quantity's exact value, LaTeX and float value, and its symbol and caption
in plain Unicode text (inline mathematics in its plain form: ``∂L/∂W₁``, ``gradient of W₁``)."""

from __future__ import annotations

import json
from typing import Any

from symnn.core.decimals import exact_text, to_float
from symnn.sheets.render.printing import latex, plain, plain_runs
from symnn.sheets.steps import Derivation, Sheet


def answer_key(d: Derivation) -> dict[str, Any]:
    """One exercise's entry of the answer key."""
    return {
        "id": d.id,
        "kind": d.kind,
        "title": d.title,
        "quantities": {
            q.name: {"exact": exact_text(q.exact), "latex": latex(q.exact), "value": to_float(q.exact),
                     "symbol": plain(q.symbol), "caption": plain_runs(q.caption)}
            for q in d.quantities
        },
    }


def to_answer_key(sheet: Sheet) -> dict[str, Any]:
    """The answer key of a sheet as plain data."""
    return {"title": sheet.title, "exercises": [answer_key(d) for d in sheet.derivations]}


def to_json(sheet: Sheet) -> str:
    """The answer key as deterministic JSON text."""
    return json.dumps(to_answer_key(sheet), indent=2, ensure_ascii=False) + "\n"
