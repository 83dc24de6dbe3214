"""The exercise kinds: one module each, declaring a :class:`~symnn.sheets.kinds.base.Kind`; one line each here.

Adding a kind is one new module (with its reference evaluator in
:mod:`symnn.sheets.reference` and its tests) and one line in :data:`KINDS` (its name and where its declaration is); see
CONTRIBUTING.md.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any

from symnn.errors import SymnnError
from symnn.sheets.kinds.base import Kind
from symnn.sheets.spec import ExerciseSpec, SheetSpec
from symnn.sheets.statement import Line
from symnn.sheets.steps import Derivation, Sheet


class Registry(MutableMapping[str, Kind[Any]]):
    """The kinds by name, each module imported the first time its kind is asked for.

    A sheet of one kind loads that kind's module only (the 17 together take a tenth of the
    start-up of a one-exercise sheet).  Listing the names imports nothing; listing the values
    imports every module.  A test may set or replace a kind as in a dict.
    """

    def __init__(self, declared: dict[str, str]) -> None:
        self._where = dict(declared)
        self._loaded: dict[str, Kind[Any]] = {}

    def __getitem__(self, name: str) -> Kind[Any]:
        if name not in self._loaded:
            module, _, attribute = self._where[name].rpartition(".")
            kind = getattr(importlib.import_module(module), attribute)
            if kind.name != name:  # a wrong line in KINDS below
                raise LookupError(f"{self._where[name]} declares kind {kind.name!r}, not {name!r}")
            self._loaded[name] = kind
        return self._loaded[name]

    def __setitem__(self, name: str, kind: Kind[Any]) -> None:
        self._where.setdefault(name, "")
        self._loaded[name] = kind

    def __delitem__(self, name: str) -> None:
        del self._where[name]
        self._loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, name: object) -> bool:
        return name in self._where


KINDS: MutableMapping[str, Kind[Any]] = Registry({
    "forward": "symnn.sheets.kinds.forward.FORWARD",
    "network": "symnn.sheets.kinds.network.NETWORK",
    "preprocessing": "symnn.sheets.kinds.preprocessing.PREPROCESSING",
    "activations": "symnn.sheets.kinds.activations.ACTIVATIONS_KIND",
    "gradient_check": "symnn.sheets.kinds.gradient_check.GRADIENT_CHECK",
    "regularization": "symnn.sheets.kinds.regularization.REGULARIZATION",
    "error_analysis": "symnn.sheets.kinds.error_analysis.ERROR_ANALYSIS",
    "dropout": "symnn.sheets.kinds.dropout.DROPOUT",
    "optimizer": "symnn.sheets.kinds.optimizer.OPTIMIZER",
    "batchnorm": "symnn.sheets.kinds.batchnorm.BATCHNORM",
    "graph": "symnn.sheets.kinds.graph.GRAPH",
    "conv2d": "symnn.sheets.kinds.conv2d.CONV2D",
    "pool": "symnn.sheets.kinds.pool.POOL",
    "cnn_sizes": "symnn.sheets.kinds.cnn_sizes.CNN_SIZES",
    "conv_transpose": "symnn.sheets.kinds.conv_transpose.CONV_TRANSPOSE",
    "attention": "symnn.sheets.kinds.attention.ATTENTION",
    "rnn": "symnn.sheets.kinds.rnn.RNN",
})
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
