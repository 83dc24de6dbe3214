"""The exercise kinds: one module each, declaring a :class:`~symnn.sheets.kinds.base.Kind`; one line each here.

Adding a kind is one new module (with its reference evaluator in
:mod:`symnn.sheets.reference` and its tests) and one line in :data:`KINDS`; see
CONTRIBUTING.md.
"""

from __future__ import annotations

from typing import Any

from symnn.errors import SymnnError
from symnn.sheets.kinds.activations import ACTIVATIONS_KIND
from symnn.sheets.kinds.attention import ATTENTION
from symnn.sheets.kinds.base import Kind
from symnn.sheets.kinds.batchnorm import BATCHNORM
from symnn.sheets.kinds.cnn_sizes import CNN_SIZES
from symnn.sheets.kinds.conv2d import CONV2D
from symnn.sheets.kinds.conv_transpose import CONV_TRANSPOSE
from symnn.sheets.kinds.dropout import DROPOUT
from symnn.sheets.kinds.error_analysis import ERROR_ANALYSIS
from symnn.sheets.kinds.forward import FORWARD
from symnn.sheets.kinds.gradient_check import GRADIENT_CHECK
from symnn.sheets.kinds.graph import GRAPH
from symnn.sheets.kinds.network import NETWORK
from symnn.sheets.kinds.optimizer import OPTIMIZER
from symnn.sheets.kinds.pool import POOL
from symnn.sheets.kinds.preprocessing import PREPROCESSING
from symnn.sheets.kinds.regularization import REGULARIZATION
from symnn.sheets.kinds.rnn import RNN
from symnn.sheets.spec import ExerciseSpec, SheetSpec
from symnn.sheets.statement import Line
from symnn.sheets.steps import Derivation, Sheet

KINDS: dict[str, Kind[Any]] = {kind.name: kind for kind in (
    FORWARD,
    NETWORK,
    PREPROCESSING,
    ACTIVATIONS_KIND,
    GRADIENT_CHECK,
    REGULARIZATION,
    ERROR_ANALYSIS,
    DROPOUT,
    OPTIMIZER,
    BATCHNORM,
    GRAPH,
    CONV2D,
    POOL,
    CNN_SIZES,
    CONV_TRANSPOSE,
    ATTENTION,
    RNN,
)}
"""Every exercise kind by name, in the order error messages list them."""


def kind_of(spec: ExerciseSpec[Any] | str) -> Kind[Any]:
    """The declaration of an exercise's kind (or of the kind named).

    >>> kind_of("sorting")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symnn.errors.SymnnError: no exercise kind 'sorting'; known kinds: forward, network, ...
    """
    name = spec if isinstance(spec, str) else spec.kind
    kind = KINDS.get(name)
    if kind is None:
        raise SymnnError(f"no exercise kind {name!r}; known kinds: {', '.join(KINDS)}")
    return kind


def solve_exercise(spec: ExerciseSpec[Any]) -> Derivation:
    """The worked solution of one exercise."""
    return kind_of(spec).solve(spec)


def statement(spec: ExerciseSpec[Any]) -> list[Line]:
    """The given data of an exercise, as lines.

    >>> from symnn.sheets.loading import load_sheet
    >>> statement(load_sheet().exercises[1])[-1]
    ('The loss is the binary cross-entropy.',)
    """
    return kind_of(spec).statement(spec.data)


def solve(sheet: SheetSpec) -> Sheet:
    """Work every exercise of a sheet exactly.

    >>> from symnn.sheets.loading import load_sheet
    >>> solved = solve(load_sheet())
    >>> solved["ex6"].quantity("W_new").exact.T
    Matrix([[247/250, -489/250, 479/1000]])
    """
    return Sheet(sheet.title, tuple(solve_exercise(e) for e in sheet.exercises))
