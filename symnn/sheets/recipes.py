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
rationals (see :mod:`symnn.core.interval`); activations are the definitions of
:mod:`symnn.core.calculus` compiled once, when the answer key is built
(:func:`compile_activations`), and losses go through the network engine's
:func:`symnn.library.engine.loss_value`: never a second formula.
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
    "BASE10", "NO_ACTIVATION", "NO_DERIVATIVE", "Activation", "Alternative", "Compute", "Earlier",
    "Program", "Programs", "Recipes", "Rule", "activation", "compile_activations",
    "no_programs", "no_recipes",
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


def no_programs(data: object) -> dict[str, Program]:
    """A kind whose recipes need no compiled definitions."""
    return {}
