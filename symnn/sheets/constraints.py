"""What makes a drawn exercise a poor one: the rejection rules of ``symnn variants``.

Every exercise gets the defaults of :class:`Constraints`; an ``[exercise.reject]``
table changes them.  Each kind says which of them its drawn numbers break
(:attr:`symnn.sheets.kinds.base.Kind.rejects`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from symnn.errors import SpecError

ZERO = 1e-9
"""Below this magnitude a pre-activation counts as 0 (drawn grid values are exact multiples of the step)."""
KINKED = ("relu", "leaky_relu", "elu")
"""Activations whose derivative at 0 is a convention."""
SATURATING = ("sigmoid", "tanh")
"""Activations whose derivative vanishes for large inputs."""


@dataclass(frozen=True, slots=True)
class Constraints:
    """Rejection rules for drawn numbers, with the defaults every exercise gets."""

    relu_zero: bool = True
    """Reject a pre-activation of exactly 0 at a ReLU-type layer (its derivative is a convention there)."""
    dead: str = "reject"
    """``"reject"`` a hidden ReLU layer that outputs only zeros, ``"allow"`` it, or ``"require"`` one."""
    saturation: Fraction | None = Fraction(4)
    """Reject a sigmoid/tanh pre-activation with |z| above this (None: no bound)."""
    min_gradient: Fraction | None = Fraction(1, 1000)
    """Reject a layer whose weight gradient has no entry of at least this size (None: no bound)."""
    softmax_ties: bool = True
    """Reject a sample whose two largest softmax inputs are equal."""
    feature_range: bool = True
    """Reject a feature (column of X) with zero range or variance."""
    decimals: int | None = None
    """Reject a rational result with more decimal places than this (None: any)."""
    pool_ties: bool = True
    """Reject a max-pooling window whose largest entry is shared (the gradient's route is then a convention)."""


DEAD_CHOICES = ("reject", "allow", "require")


def _bound(value: Any, key: str, where: str) -> Fraction | None:
    if value is False:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value < 0:
        raise SpecError(f"{where}: reject.{key} must be a non-negative number or false, got {value!r}")
    return Fraction(value)


def _flag(value: Any, key: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"{where}: reject.{key} must be true or false, got {value!r}")
    return value


def _dead(value: Any, key: str, where: str) -> str:
    if value not in DEAD_CHOICES:
        raise SpecError(f"{where}: reject.dead must be one of {', '.join(DEAD_CHOICES)}, got {value!r}")
    return str(value)


def _places(value: Any, key: str, where: str) -> int | None:
    if value is False:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 30:
        raise SpecError(f"{where}: reject.decimals must be a whole number from 0 to 30 or false, got {value!r}")
    return value


_CONSTRAINT_READERS: dict[str, Callable[[Any, str, str], Any]] = {
    "relu_zero": _flag, "dead": _dead, "saturation": _bound, "min_gradient": _bound,
    "softmax_ties": _flag, "feature_range": _flag, "decimals": _places, "pool_ties": _flag,
}


def read_constraints(table: Any, where: str) -> Constraints:
    """An ``[exercise.reject]`` table over the defaults."""
    if table is None:
        return Constraints()
    if not isinstance(table, dict):
        raise SpecError(f"{where}: reject must be a table, e.g. [exercise.reject]")
    unknown = sorted(set(table) - set(_CONSTRAINT_READERS))
    if unknown:
        raise SpecError(f"{where}: unknown constraint {unknown[0]!r}; constraints: {', '.join(_CONSTRAINT_READERS)}")
    return Constraints(**{k: _CONSTRAINT_READERS[k](v, k, where) for k, v in table.items()})
