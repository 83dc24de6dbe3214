"""How each quantity follows from earlier ones, and the named mistakes worth testing for.

Every exercise kind declares, in its module, a small table per exercise: for each
quantity, the earlier quantities it is computed from and the function computing it
(with the given data closed over).  ``symnn check`` uses it to recompute a student's
later answers from their own earlier answers: over intervals, so a rounded 18.33
carries its rounding into the standardized values, and a wrong Z1 carries into A1.
Quantities missing from a table depend on the given data only.

The alternatives are the same kind of recipe for a known mistake (a sample σ for a
population σ, the λ/2 convention, a base-10 logarithm, a missing activation
derivative ...), each with the one sentence that names it.  Arithmetic is exact on
rationals (see :mod:`symnn.core.interval`); activations and losses are the
definitions of :mod:`symnn.core.calculus` compiled once, when the answer key is
built (:func:`compile_activations`, :func:`compile_losses`), never a second formula.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from symnn.core import interval as iv
from symnn.core.domains import INTERVALS, Program, evaluate
from symnn.core.interval import IMatrix, Interval
from symnn.core.program import compile_program

Earlier = Mapping[str, IMatrix]
"""Earlier quantities by name (scalars as 1×1 matrices)."""
Compute = Callable[[Earlier], IMatrix]
"""A recomputation from earlier quantities."""
Programs = Mapping[str, Program]
"""The compiled definitions an exercise uses, by name (see :func:`compile_activations`)."""

__all__ = [
    "BASE10", "NO_ACTIVATION", "NO_DERIVATIVE", "Activation", "Alternative", "Compute", "Earlier", "Loss",
    "Program", "Programs", "Recipes", "Rule", "activation", "affine", "compile_activations", "compile_delta",
    "compile_losses", "entries_of", "loss_of", "no_programs", "no_recipes",
]

@dataclass(frozen=True, slots=True)
class Rule:
    """How one quantity is computed from earlier ones."""

    needs: tuple[str, ...]
    """Names of the earlier quantities it reads."""
    compute: Compute
    """The computation, given those quantities (the given data are closed over)."""


@dataclass(frozen=True, slots=True)
class Alternative:
    """A named mistake: what the quantity would be had it been made."""

    needs: tuple[str, ...]
    """Names of the earlier quantities it reads."""
    compute: Compute
    """The mistaken computation."""
    diagnosis: str
    """One sentence naming the mistake."""


@dataclass(frozen=True, slots=True)
class Recipes:
    """The dependency table and the named mistakes of one exercise."""

    rules: dict[str, Rule] = field(default_factory=dict)
    """Quantity name → how it follows from earlier quantities."""
    alternatives: dict[str, list[Alternative]] = field(default_factory=dict)
    """Quantity name → mistakes to test a wrong claim against, in order."""

    def rule(self, name: str, needs: tuple[str, ...], compute: Compute) -> None:
        """Declare how ``name`` is computed from ``needs``."""
        self.rules[name] = Rule(needs, compute)

    def mistake(self, name: str, needs: tuple[str, ...], compute: Compute, diagnosis: str) -> None:
        """Declare a named mistake for ``name``, tested in the order declared."""
        self.alternatives.setdefault(name, []).append(Alternative(needs, compute, diagnosis))


# ---------------------------------------------------------------------------
# Building blocks shared by the kinds.


@dataclass(frozen=True, slots=True)
class Activation:
    """A compiled activation with its slope parameter."""

    f: Program
    """The definition in x (and alpha)."""
    df: Program
    """Its SymPy derivative in x."""
    alpha: Fraction | None
    """The slope of leaky ReLU / ELU, else None."""

    def env(self, z: Interval) -> dict[str, Interval]:
        env = {"x": z}
        if self.alpha is not None:
            env["alpha"] = Interval.point(self.alpha)
        return env

    def apply(self, m: IMatrix) -> IMatrix:
        return iv.emap(lambda z: evaluate(self.f, self.env(z), INTERVALS), m)

    def slope(self, m: IMatrix) -> IMatrix:
        return iv.emap(lambda z: evaluate(self.df, self.env(z), INTERVALS), m)


def activation(programs: Programs, name: str, alpha: Fraction | None) -> Activation:
    """The compiled activation ``name`` (its programs ``f:name`` and ``df:name``)."""
    return Activation(programs[f"f:{name}"], programs[f"df:{name}"], alpha)


def entries_of(m: IMatrix) -> list[Interval]:
    return iv.entries(m)


def affine(W: IMatrix, A: IMatrix, b: IMatrix | None) -> IMatrix:
    Z = iv.matmul(W, A)
    return iv.add(Z, b) if b is not None else Z


@dataclass(frozen=True, slots=True)
class Loss:
    """A compiled loss: one entry's term, its derivative in a, and the reduction."""

    term: Program
    """The loss of one entry in y and a."""
    dterm: Program
    """d term / d a."""
    mean: bool
    """Whether entries are averaged (else summed)."""

    def value(self, Y: IMatrix, A: IMatrix, log_base: int | None = None) -> IMatrix:
        terms = [evaluate(self.term, {"y": y, "a": a}, INTERVALS, log_base) for y, a in zip(entries_of(Y), entries_of(A))]
        total = iv.total(terms)
        return iv.scalar(total / len(terms) if self.mean else total)

    def gradient(self, Y: IMatrix, A: IMatrix) -> IMatrix:
        """∂L/∂A entry by entry (the output delta without the activation's derivative)."""
        n = len(entries_of(Y)) if self.mean else 1
        return tuple(tuple(evaluate(self.dterm, {"y": y, "a": a}, INTERVALS) / n for y, a in zip(ry, ra))
                     for ry, ra in zip(Y, A))


def loss_of(programs: Programs, name: str, mean: bool) -> Loss:
    """The compiled loss ``name`` (its programs ``loss:name`` and ``dloss:name``)."""
    return Loss(programs[f"loss:{name}"], programs[f"dloss:{name}"], mean)


BASE10 = "a base-10 logarithm was used where the natural logarithm ln belongs"
NO_ACTIVATION = "the activation was not applied"
NO_DERIVATIVE = "the activation's derivative f'(Z) is missing from the delta"


def no_recipes(data: object, programs: Programs) -> Recipes:
    """No dependencies and no named mistakes: every quantity is judged against the key alone."""
    return Recipes()


# ---------------------------------------------------------------------------
# Compiling the definitions a kind's recipes use (SymPy, once per answer key).


def compile_activations(names: Iterable[str]) -> dict[str, Program]:
    """``f:<name>``, ``df:<name>`` (derivative in x) and, where it exists, ``dout:<name>`` (in the output a)."""
    from symnn.core.calculus import ACTIVATIONS

    programs: dict[str, Program] = {}
    for name in sorted(set(names)):
        act = ACTIVATIONS[name]
        programs[f"f:{name}"] = compile_program(act.definition)
        programs[f"df:{name}"] = compile_program(act.derivative)
        in_output = act.derivative_in_output()
        if in_output is not None:
            programs[f"dout:{name}"] = compile_program(in_output)
    return programs


def compile_losses(names: Iterable[str]) -> dict[str, Program]:
    """``loss:<name>`` (one entry's term in y and a) and ``dloss:<name>`` (its derivative in a)."""
    from symnn.core.calculus import LOSSES

    programs: dict[str, Program] = {}
    for name in sorted(set(names)):
        programs[f"loss:{name}"] = compile_program(LOSSES[name].term)
        programs[f"dloss:{name}"] = compile_program(LOSSES[name].derivative)
    return programs


def compile_delta(loss: str, activation: str) -> dict[str, Program]:
    """``delta:<loss>:<activation>``: the output delta ∂L/∂z of one entry, in x (= z), a and y."""
    from symnn.core.calculus import output_delta

    return {f"delta:{loss}:{activation}": compile_program(output_delta(loss, activation))}


def no_programs(data: object) -> dict[str, Program]:
    """A kind whose recipes need no compiled definitions."""
    return {}
