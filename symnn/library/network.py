"""Dense networks with exact gradients: the library face of symnn.

>>> import symnn
>>> net = symnn.Network([
...     symnn.Dense([[1, "-1/2"], ["0.25", 2]], ["0.1", 0], "relu"),
...     symnn.Dense([[3, -1]], [0], "identity"),
... ])
>>> net.forward([1, 2])
Matrix([[-79/20]])
>>> grads = net.gradients([1, 2], [0], loss="half_sse")
>>> grads["W2"], grads["b2"]
(Matrix([[-79/200, -1343/80]]), Matrix([[-79/20]]))
>>> net.step([1, 2], [0], "half_sse", "1/10").parameters["W2"]
Matrix([[6079/2000, 543/800]])

A transcendental output keeps its exact form, and ``digits=`` gives certified decimals:

>>> out = symnn.Network([symnn.Dense([[1, 1]], [0], "sigmoid")])
>>> out.gradients([1, "1/2"], [1], "bce")["W1"]
Matrix([[-1 + 1/(exp(-3/2) + 1), -1/2 + 1/(2*(exp(-3/2) + 1))]])
>>> out.gradients([1, "1/2"], [1], "bce", digits=30)["W1"][0, 0]
'-0.182425523806356340392782821344'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import flint
import sympy as sp
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from symnn.core import calculus
from symnn.core.certified import CertifiedMatrix, CertifiedNumber, certify
from symnn.core.formula import Formula, parse_formula
from symnn.errors import MathDomainError, ShapeError, SpecError
from symnn.library import backprop, engine
from symnn.library.certified_runs import CertifiedTrajectory, certified_trajectory
from symnn.library.engine import EXACT, Objective
from symnn.library.gradients import FactoredMatrix as FactoredMatrix
from symnn.library.gradients import Gradients
from symnn.library.values import exact_entry, exact_matrix, shape_text, to_sympy_matrix

_DEFAULT_ALPHA = {"leaky_relu": QQ(1, 100), "elu": QQ(1)}


_BUILT_IN = (*calculus.ACTIVATIONS, calculus.SOFTMAX)
_CUSTOM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,15}")


def _activation_name(activation: Any) -> str:
    if activation is None:
        return "identity"
    if not isinstance(activation, str) or activation not in _BUILT_IN:
        raise SpecError(f"unknown activation {activation!r}; valid activations: {', '.join(_BUILT_IN)}, "
                        "or a custom one: Dense(W, b, \"softsign\", formula=\"x / (1 + abs(x))\")")
    return activation


def _custom_formula(activation: Any, formula: str | Formula) -> Formula:
    """A custom activation's parsed formula; its name is ``activation`` (default ``f``)."""
    if isinstance(formula, Formula):
        if activation not in (None, formula.name):
            raise SpecError(f"activation {activation!r} does not match the formula's name {formula.name!r}")
        return formula
    if not isinstance(formula, str):
        raise SpecError(f"formula must be text in x, e.g. \"x / (1 + abs(x))\", got {type(formula).__name__}")
    name = "f" if activation is None else activation
    if not isinstance(name, str) or not _CUSTOM_NAME.fullmatch(name) or name in _BUILT_IN:
        raise SpecError(f"a custom activation's name must be a short word (letters and digits) that is not "
                        f"a built-in activation, got {name!r}")
    return Formula(name, formula, parse_formula(formula))


def _read_alpha(activation: str, function: calculus.Activation | None, alpha: Any,
                allow_float: bool) -> Any:
    if function is None or not function.has_alpha:
        if alpha is not None:
            raise SpecError(f"{activation} takes no alpha, but alpha={alpha!r} was given")
        return None
    if alpha is None:
        return _DEFAULT_ALPHA[activation]
    return exact_entry(alpha, f"{activation} alpha", allow_float)


@dataclass(frozen=True, slots=True, init=False, repr=False)
class Dense:
    """One dense layer, ``z = W a + b``, ``a' = activation(z)``.

    ``W`` is (outputs × inputs); ``b`` a column of outputs (a flat list is a column).
    Entries: ints, strings like ``"0.1"`` or ``"1/3"``, Fractions, SymPy numbers or
    symbols; floats only with ``allow_float=True``.  ``activation`` is a built-in name
    (default identity), ``"softmax"`` (output layer only), or, with ``formula=`` text in
    ``x``, a custom activation's name (default ``f``).

    >>> Dense([[1, 2], [3, 4]], [0, "1/2"], "leaky_relu")
    Dense(2×2, leaky_relu, alpha=1/100)
    >>> Dense([[1, 2], [3, 4]], None, "softsign", formula="x / (1 + abs(x))")
    Dense(2×2, softsign(x) = x / (1 + abs(x)))
    >>> Dense([[1, 2]], [0, 1], "relu")
    Traceback (most recent call last):
    ...
    symnn.errors.ShapeError: Dense layer: b is 2×1 but W is 1×2; b needs 1×1 (one entry per output)
    """

    W: DomainMatrix
    """Weights, exact: over QQ when rational, else SymPy expressions (EXRAW)."""
    b: DomainMatrix | None
    """Bias column, or None for a layer without bias."""
    activation: str
    """A key of :data:`symnn.core.calculus.ACTIVATIONS`, ``"softmax"``, or a custom activation's name."""
    alpha: Any
    """Slope/scale for leaky ReLU and ELU (exact), else None."""
    formula: Formula | None
    """A custom activation's parsed formula (its derivative is ``sympy.diff``), else None."""

    def __init__(self, W: Any, b: Any = None, activation: str | None = None, *,
                 formula: str | Formula | None = None, alpha: Any = None,
                 allow_float: bool = False) -> None:
        weights = exact_matrix(W, "W", allow_float)
        bias = None if b is None else exact_matrix(b, "b", allow_float)
        if bias is not None and bias.shape != (weights.shape[0], 1):
            raise ShapeError(
                f"Dense layer: b is {shape_text(bias.shape)} but W is {shape_text(weights.shape)}; "
                f"b needs {weights.shape[0]}×1 (one entry per output)")
        custom = None if formula is None else _custom_formula(activation, formula)
        name = custom.name if custom is not None else _activation_name(activation)
        if name == calculus.SOFTMAX and weights.shape[0] < 2:
            raise ShapeError(f"softmax needs at least 2 outputs, but W is {shape_text(weights.shape)}")
        function = None if name == calculus.SOFTMAX else calculus.activation_for(name, custom)
        object.__setattr__(self, "W", weights)
        object.__setattr__(self, "b", bias)
        object.__setattr__(self, "activation", name)
        object.__setattr__(self, "alpha", _read_alpha(name, function, alpha, allow_float))
        object.__setattr__(self, "formula", custom)

    @property
    def shape(self) -> tuple[int, int]:
        """(outputs, inputs)."""
        return self.W.shape  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        alpha = "" if self.alpha is None else f", alpha={self.alpha}"
        custom = "" if self.formula is None else f"(x) = {self.formula.text}"
        return f"Dense({shape_text(self.shape)}, {self.activation}{custom}{alpha})"


def _check_softmax_placement(layers: tuple[Dense, ...]) -> None:
    for index, layer in enumerate(layers[:-1], start=1):
        if layer.activation == calculus.SOFTMAX:
            raise SpecError(f"layer {index}: softmax is only for the output layer (layer {len(layers)}); "
                            "use an elementwise activation in hidden layers")


def _check_chain(layers: tuple[Dense, ...]) -> None:
    for index in range(1, len(layers)):
        previous, current = layers[index - 1], layers[index]
        if current.shape[1] != previous.shape[0]:
            raise ShapeError(
                f"layer {index + 1}: W{index + 1} is {shape_text(current.shape)} but layer {index} "
                f"outputs {previous.shape[0]} values (W{index} is {shape_text(previous.shape)}); "
                f"W{index + 1} needs {previous.shape[0]} columns")


def _loss_name(loss: str) -> str:
    if loss not in calculus.LOSSES:
        raise SpecError(f"unknown loss {loss!r}; valid losses: {', '.join(calculus.LOSSES)}")
    return loss


REDUCTIONS = ("sum", "mean")
"""How the samples' losses of a batch combine."""


def _reduction(reduction: str | None) -> str | None:
    if reduction is not None and reduction not in REDUCTIONS:
        raise SpecError(f"unknown reduction {reduction!r}; valid reductions: {', '.join(REDUCTIONS)} "
                        "(default: mean for mse, sum otherwise)")
    return reduction


MAX_DIGITS = 100_000
"""Most significant digits a certified result may ask for (beyond, arithmetic takes hours)."""


MAX_TRAIN_STEPS = 1_000_000
"""Most gradient-descent steps :meth:`Network.train` runs (10,000 take about half a second)."""


def _check_digits(digits: int | None) -> None:
    if digits is None:
        return
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= MAX_DIGITS:
        raise SpecError(f"digits must be a whole number from 1 to {MAX_DIGITS}, got {digits!r}")


@dataclass(frozen=True, slots=True, init=False, repr=False)
class Network:
    """A feed-forward network of :class:`Dense` layers with exact (or certified) gradients.

    Parameters are named ``W1, b1, W2, b2, ...`` by layer.  Inputs ``x`` are columns
    (one column per sample).  A sample's loss adds its entries' terms (``mse`` averages
    them); ``reduction="sum"`` or ``"mean"`` combines the samples' losses, by default the
    mean for ``mse`` and the sum otherwise (:func:`symnn.core.calculus.default_reduction`),
    as on a sheet.

    >>> net = Network([Dense([[1, -1]], [0], "identity")])
    >>> x, y = [[1, 3], [2, 1]], [[0, 0]]
    >>> net.loss(x, y, "half_sse"), net.loss(x, y, "half_sse", reduction="mean")
    (5/2, 5/4)
    >>> net.gradients(x, y, "half_sse", reduction="mean")["W1"]
    Matrix([[5/2, 0]])
    >>> net.step(x, y, "half_sse", 1, reduction="mean").parameters["b1"]
    Matrix([[-1/2]])
    """

    layers: tuple[Dense, ...]
    """The layers, input side first."""

    def __init__(self, layers: Iterable[Dense]) -> None:
        chain = tuple(layers)
        if not chain:
            raise SpecError("a Network needs at least one layer")
        for index, layer in enumerate(chain, start=1):
            if not isinstance(layer, Dense):
                raise SpecError(f"layer {index} must be a symnn.Dense, got {type(layer).__name__}")
        _check_chain(chain)
        _check_softmax_placement(chain)
        object.__setattr__(self, "layers", chain)

    @classmethod
    def from_spec(cls, spec: Any) -> Network:
        """Build from a sheet exercise of kind ``network`` or its tuple of spec layers.

        >>> from symnn.sheets.loading import load_sheet
        >>> ex = next(e for e in load_sheet().exercises if e.kind == "network")
        >>> Network.from_spec(ex).layers[0].activation in calculus.ACTIVATIONS
        True
        """
        layers = spec.data.layers if hasattr(spec, "data") else spec
        return cls(Dense([list(r) for r in layer.W],
                         None if layer.b is None else [list(r) for r in layer.b],
                         layer.activation, formula=layer.formula, alpha=layer.alpha)
                   for layer in layers)

    def __repr__(self) -> str:
        return f"Network([{', '.join(map(repr, self.layers))}])"

    @property
    def parameters(self) -> dict[str, sp.Matrix]:
        """Every parameter as a SymPy matrix (a copy), by name."""
        params: dict[str, sp.Matrix] = {}
        for index, layer in enumerate(self.layers, start=1):
            params[f"W{index}"] = to_sympy_matrix(layer.W.copy())
            if layer.b is not None:
                params[f"b{index}"] = to_sympy_matrix(layer.b.copy())
        return params

    # -- inputs ---------------------------------------------------------------

    def _input(self, x: Any, allow_float: bool) -> DomainMatrix:
        matrix = exact_matrix(x, "x", allow_float)
        needed = self.layers[0].shape[1]
        if matrix.shape[0] != needed:
            raise ShapeError(
                f"x is {shape_text(matrix.shape)} but W1 is {shape_text(self.layers[0].shape)}; "
                f"x needs {needed} rows (one column per sample)")
        return matrix

    def _target(self, y: Any, x: DomainMatrix, loss: str, allow_float: bool) -> DomainMatrix:
        matrix = exact_matrix(y, "y", allow_float)
        expected = (self.layers[-1].shape[0], x.shape[1])
        if matrix.shape != expected:
            raise ShapeError(
                f"y is {shape_text(matrix.shape)} but the network outputs {shape_text(expected)} "
                f"for this x (layer {len(self.layers)}: W{len(self.layers)} is "
                f"{shape_text(self.layers[-1].shape)})")
        if loss in ("bce", "cross_entropy") and matrix.domain == QQ:
            for k, value in enumerate(matrix.to_list_flat(), start=1):
                if not 0 <= value <= 1:
                    raise MathDomainError(f"{calculus.LOSSES[loss].description} needs targets in [0, 1]; "
                                          f"y entry {k} is {value}")
        if loss == "cross_entropy":
            _check_distributions(matrix)
        return matrix

    def _loss(self, loss: str) -> str:
        """The loss's name, once it is known and fits the output layer."""
        known = _loss_name(loss)
        last = self.layers[-1]
        if known == "cross_entropy" and last.activation != calculus.SOFTMAX:
            raise SpecError(f"cross_entropy needs a softmax output layer, but layer {len(self.layers)} is "
                            f"{last.activation}; for a single sigmoid output use bce")
        return known

    def _objective(self, loss: str, reduction: str | None) -> Objective:
        """The loss (known, fitting the output layer) with its reduction over the samples."""
        return Objective.of(self._loss(loss), _reduction(reduction))

    # -- exact and certified computations --------------------------------------

    def forward(self, x: Any, *, digits: int | None = None, allow_float: bool = False) -> Any:
        """The network's output: an exact SymPy matrix, or certified decimals with ``digits``."""
        _check_digits(digits)
        inputs = self._input(x, allow_float)
        if digits is None:
            return to_sympy_matrix(backprop.forward(self.layers, inputs).As[-1])
        prefix = backprop.rational_prefix(self.layers, inputs)
        if prefix.rational_layers == len(self.layers):
            return CertifiedMatrix.from_exact(prefix.next_input, digits)
        return self._certified(lambda p: {"out": backprop.ball_outputs(self.layers, prefix)},
                               digits)["out"]

    def loss(self, x: Any, y: Any, loss: str, *, reduction: str | None = None, digits: int | None = None,
             allow_float: bool = False) -> Any:
        """The loss value: exact SymPy number (or formula), or a :class:`CertifiedNumber`."""
        _check_digits(digits)
        objective = self._objective(loss, reduction)
        inputs = self._input(x, allow_float)
        targets = self._target(y, inputs, objective.loss.name, allow_float)
        if digits is None:
            output = backprop.forward(self.layers, inputs).As[-1]
            return engine.loss_value(EXACT, objective, targets, output)
        prefix = backprop.rational_prefix(self.layers, inputs)
        result = self._certified(
            lambda p: {"loss": flint.arb_mat([[backprop.ball_loss(
                objective, backprop.ball_outputs(self.layers, prefix), targets)]])}, digits)
        return CertifiedNumber(result["loss"])

    def gradients(self, x: Any, y: Any, loss: str, *, reduction: str | None = None, digits: int | None = None,
                  allow_float: bool = False) -> Mapping[str, Any]:
        """∂loss/∂parameter for every parameter, keyed ``"W1"``, ``"b1"``, ...

        Exact by default: a :class:`Gradients` mapping of SymPy matrices (rational, or
        exact expressions such as ``σ(3/2) − 1``).  With ``digits=n``: a dict of
        :class:`CertifiedMatrix` values whose printed decimals are all correct.
        """
        _check_digits(digits)
        objective = self._objective(loss, reduction)
        inputs = self._input(x, allow_float)
        targets = self._target(y, inputs, objective.loss.name, allow_float)
        if digits is None:
            return Gradients(backprop.gradients(self.layers, inputs, targets, objective))
        prefix = backprop.rational_prefix(self.layers, inputs)
        if prefix.rational_layers == len(self.layers):
            exact = backprop.gradients(self.layers, inputs, targets, objective)
            if all(isinstance(g, DomainMatrix) and g.domain == QQ for g in exact.values()):
                return {k: CertifiedMatrix.from_exact(backprop.explicit(g), digits)
                        for k, g in exact.items()}
        return self._certified(
            lambda p: backprop.ball_gradients(self.layers, prefix, targets, objective), digits)

    def _certified(self, compute: Callable[[int], Mapping[str, Any]],
                   digits: int) -> dict[str, CertifiedMatrix]:
        balls, precision = certify(compute, digits)
        return {key: CertifiedMatrix((m.nrows(), m.ncols()), digits, None, m, precision,
                                     refine=_refiner(compute, key))
                for key, m in balls.items()}

    def step(self, x: Any, y: Any, loss: str, learning_rate: Any, *, reduction: str | None = None,
             allow_float: bool = False) -> Network:
        """One exact gradient-descent step: a new network with ``W − η ∂loss/∂W``."""
        objective = self._objective(loss, reduction)
        rate = exact_entry(learning_rate, "learning_rate", allow_float)
        inputs = self._input(x, allow_float)
        targets = self._target(y, inputs, objective.loss.name, allow_float)
        grads = backprop.gradients(self.layers, inputs, targets, objective)
        return Network(self._updated(index, layer, grads, rate)
                       for index, layer in enumerate(self.layers, start=1))

    def train(self, x: Any, y: Any, loss: str, learning_rate: Any, steps: int, *, digits: int = 20,
              reduction: str | None = None, update_biases: bool = True, allow_float: bool = False,
              keep: Sequence[int] | None = None, centred: bool | None = None) -> CertifiedTrajectory:
        """``steps`` gradient-descent steps from this network's exact parameters, certified.

        The run is the sheets' one (:func:`symnn.library.certified_runs.certified_trajectory`):
        python-flint balls started from the exact parameters, redone at a higher precision
        until every kept loss and final parameter has ``digits`` guaranteed significant
        digits.  ``keep`` lists the steps whose losses are kept (default: every step to 100,
        then 20 log-spaced per decade, and the last: :func:`~symnn.library.trajectory.recorded_steps`).
        A run whose plain balls would widen past 4,096 bits runs in the mean-value (centred)
        form; ``centred=True`` or ``False`` chooses the form (the run's ``centred`` says which ran).

        >>> net = Network([Dense([["0.5", "-0.25"]], ["0.1"], "sigmoid")])
        >>> run = net.train([1, 2], [1], "bce", "0.5", 3, digits=12)
        >>> run.steps, run.initial_loss[0, 0], run.loss_after(3)[0, 0]
        ((1, 2, 3), '0.644396660074', '0.0868372632290')
        >>> run.parameters()["W1"][0, 0]
        '0.883331106905'
        """
        _check_digits(digits)
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_TRAIN_STEPS:
            raise SpecError(f"steps must be a whole number from 1 to {MAX_TRAIN_STEPS}, got {steps!r}")
        objective = self._objective(loss, reduction)
        rate = exact_entry(learning_rate, "learning_rate", allow_float)
        if not rate > 0:
            raise SpecError(f"learning_rate must be positive, got {learning_rate!r}")
        inputs = self._input(x, allow_float)
        targets = self._target(y, inputs, objective.loss.name, allow_float)
        net = engine.Network(inputs, targets, backprop.rules_of(self.layers), objective)
        params = engine.Params(tuple(layer.W for layer in self.layers), tuple(layer.b for layer in self.layers))
        return certified_trajectory(net, params, rate, steps, digits, update_biases, keep, centred)

    @staticmethod
    def _updated(index: int, layer: Dense, grads: Mapping[str, backprop.Gradient], rate: Any) -> Dense:
        def update(param: DomainMatrix, grad: backprop.Gradient) -> DomainMatrix:
            return engine.descent(EXACT, param, backprop.explicit(grad), rate)

        W = update(layer.W, grads[f"W{index}"])
        b = None if layer.b is None else update(layer.b, grads[f"b{index}"])
        return Dense(W, b, None if layer.formula is not None else layer.activation, formula=layer.formula,
                     alpha=None if layer.alpha is None else _alpha_value(layer.alpha))


def _check_distributions(y: DomainMatrix) -> None:
    """Cross-entropy's δ = ŷ − y holds when each target column sums to 1 (one-hot or probabilities)."""
    for column, values in enumerate(y.transpose().to_list(), start=1):
        total = sp.Add(*[backprop.to_expr(v) for v in values])
        if sp.simplify(total - 1) != 0:
            raise MathDomainError(f"cross_entropy needs each target column to sum to 1 (one-hot or "
                                  f"probabilities); column {column} of y sums to {total}")


def _refiner(compute: Callable[[int], Mapping[str, Any]], key: str) -> Callable[[int], Any]:
    """Recompute one named result at a given precision."""
    return lambda precision: compute(precision)[key]


def _alpha_value(alpha: Any) -> Any:
    return QQ.to_sympy(alpha) if QQ.of_type(alpha) else alpha
