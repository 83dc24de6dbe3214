"""The check recipes of an exercise, as its kind declares them (:attr:`symnn.sheets.kinds.base.Kind.recipes`).

The recipes themselves (rules, named mistakes and their building blocks) live with
each kind, in :mod:`symnn.sheets.kinds` and :mod:`symnn.sheets.recipes`; the checker
only consumes them.
"""

from __future__ import annotations

from symnn.sheets.kinds import kind_of
from symnn.sheets.recipes import Alternative, Recipes, Rule
from symnn.verify.check.key import ExerciseKey


def recipes_for(key: ExerciseKey) -> Recipes:
    """The dependency table and named mistakes of one exercise.

    >>> from symnn.sheets.loading import load_sheet
    >>> from symnn.verify.check.key import build_key
    >>> r = recipes_for(build_key(load_sheet())["ex3"])
    >>> r.rules["X_std"].needs
    ('mean', 'std')
    """
    return kind_of(key.kind).recipes(key.data, key.programs)


__all__ = ["Alternative", "Recipes", "Rule", "recipes_for"]
