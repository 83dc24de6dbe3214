"""The functions of worked solutions, one rule per name: activations, exp and log, max
and min, softmax, sign, and the functions a sheet defines itself.

Each rule takes the evaluator (:class:`~symnn.verify.syntax.evaluate.Evaluator`: its
arithmetic, LeakyReLU's default slope, the sheet's definitions), the function as written
and its evaluated arguments.  Functions of a matrix apply entry by entry, except softmax
(over a vector, or each column of a matrix) and max/min of one matrix (over its entries).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from symnn.core.calculus import DEFAULT_ALPHA
from symnn.core.nodes import Definition, Function, Number
from symnn.errors import ParseError
from symnn.verify.syntax.grid import Grid, S, Value, entrywise, grid

if TYPE_CHECKING:
    from symnn.verify.syntax.evaluate import Arithmetic, Evaluator

_ONE = Number(Fraction(1), None, "1")

ACTIVATION_NAMES = ("relu", "leaky_relu", "sigmoid", "tanh", "softplus", "elu")
"""The activations the tokenizer can name; each is a key of :data:`symnn.core.calculus.ACTIVATIONS`
(listed here so that evaluating numbers never has to import SymPy)."""


def one_argument(function: Function, arguments: list[Value]) -> Value:
    if len(arguments) != 1:
        raise ParseError(f"{function} takes one argument, not {len(arguments)}")
    return arguments[0]


def apply_activation(ev: Evaluator[Any], function: Function, arguments: list[Value]) -> Value:
    argument = one_argument(function, arguments)
    default = ev.leaky_slope if function.name == "leaky_relu" else DEFAULT_ALPHA.get(function.name, Fraction(1))
    slope = function.parameter if isinstance(function.parameter, Fraction) else default
    return entrywise(lambda a: ev.arithmetic.activation(function, a, slope), argument, what="apply")


def apply_exp(ev: Evaluator[Any], function: Function, arguments: list[Value]) -> Value:
    no_derivative(function)
    return entrywise(ev.arithmetic.exp, one_argument(function, arguments), what="apply")


def apply_log(ev: Evaluator[Any], function: Function, arguments: list[Value]) -> Value:
    no_derivative(function)
    base = function.parameter if isinstance(function.parameter, Fraction) else None
    if base is not None and (base <= 0 or base == 1):
        raise ParseError(f"a logarithm to base {base} is not defined")
    argument = one_argument(function, arguments)
    return entrywise(lambda a: ev.arithmetic.log(a, base), argument, what="apply")


def apply_extremum(ev: Evaluator[Any], function: Function, arguments: list[Value]) -> Value:
    no_derivative(function)
    if len(arguments) == 1 and isinstance(arguments[0], Grid):
        return ev.arithmetic.extremum(function.name, arguments[0].entries())
    if len(arguments) < 2:
        raise ParseError(f"{function.name} needs two or more arguments")
    return entrywise(
        lambda *a: ev.arithmetic.extremum(function.name, list(a)),
        *arguments,
        what=f"take the {function.name} of",
    )


def apply_softmax(ev: Evaluator[Any], function: Function, arguments: list[Value]) -> Value:
    """e^{z_i} / Σ_j e^{z_j} over a vector, or over each column of a matrix."""
    no_derivative(function)
    argument = one_argument(function, arguments)
    if not isinstance(argument, Grid):
        return _softmax(ev.arithmetic, [argument])[0]
    if argument.is_vector:
        values = _softmax(ev.arithmetic, argument.entries())
        return grid(tuple((v,) for v in values) if argument.shape[1] == 1 else (tuple(values),))
    columns = [_softmax(ev.arithmetic, list(column)) for column in argument.transposed().rows]
    return grid(tuple(zip(*columns)))


def _softmax(arithmetic: Arithmetic[S], entries: list[S]) -> list[S]:
    if len(entries) == 1:  # e^a / e^a, exactly
        return [arithmetic.number(_ONE)]
    powers = [arithmetic.exp(entry) for entry in entries]
    total = powers[0]
    for power in powers[1:]:
        total = arithmetic.add(total, power)
    return [arithmetic.div(power, total) for power in powers]


def apply_sign(ev: Evaluator[Any], function: Function, arguments: list[Value]) -> Value:
    """sign(a) = a / |a|: ±1 where the sign is certain (sign(0) is not read)."""
    no_derivative(function)
    arithmetic = ev.arithmetic
    return entrywise(
        lambda a: arithmetic.div(a, arithmetic.absolute(a)),
        one_argument(function, arguments),
        what="apply",
    )


def apply_floor(ev: Evaluator[Any], function: Function, arguments: list[Value]) -> Value:
    """⌊a⌋, the largest whole number not above a (the convolution kinds' output-size rule)."""
    no_derivative(function)
    return entrywise(ev.arithmetic.floor, one_argument(function, arguments), what="apply")


def apply_definition(
    ev: Evaluator[S], function: Function, definition: Definition, arguments: list[Value]
) -> Value:
    """A function the sheet defines, applied entry by entry to its arguments."""
    if len(arguments) != len(definition.parameters):
        raise ParseError(
            f"{function} takes {len(definition.parameters)} argument"
            + ("s" if len(definition.parameters) != 1 else "")
            + f", not {len(arguments)}"
        )

    def body(*values: S) -> S:
        inner = ev.nested(dict(zip(definition.parameters, values)))
        return inner.scalar(definition.body, f"the value of {function}")

    return entrywise(body, *arguments, what="apply")


def no_derivative(function: Function) -> None:
    if function.derivative:
        raise ParseError(f"the derivative {function} is not read")


Rule = Callable[["Evaluator[Any]", Function, list[Value]], Value]

FUNCTION_RULES: dict[str, Rule] = {
    **dict.fromkeys(ACTIVATION_NAMES, apply_activation),
    "exp": apply_exp,
    **dict.fromkeys(("log", "ln"), apply_log),
    **dict.fromkeys(("max", "min"), apply_extremum),
    "softmax": apply_softmax,
    "sign": apply_sign,
    "floor": apply_floor,
}
"""One rule per function name (a name not listed is one the sheet may define)."""
