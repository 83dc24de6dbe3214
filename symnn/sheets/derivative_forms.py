"""Derivatives in the form courses teach: σ′ = σ(1 − σ), tanh′ = 1 − tanh², softplus′ = σ.

The derivative itself always comes from ``sympy.diff`` of the activation's one definition
(:attr:`symnn.core.calculus.Activation.derivative`).  This module only offers a second way to
*write* it, in terms of function values, and proves on first use that it is the same function:
the difference between the written form (each function replaced by its definition) and the
diff result, rewritten in exponentials, is a rational function of t = eˣ that SymPy cancels to
0, or the form is refused.  (Exact polynomial arithmetic, not ``sympy.simplify``: simplify
imports ``sympy.physics.units``, a tenth of a second on every run.)  Substitutions then read as a
student writes them: ``σ′(z) = 0.5 · (1 − 0.5)`` once ``σ(z) = 0.5`` is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from symnn.core.calculus import ACTIVATIONS, Activation, x
from symnn.sheets import notation as nt


@dataclass(frozen=True, slots=True)
class ValueForm:
    """An activation's derivative written with function values, proven equal to SymPy's derivative."""

    activation: Activation
    """The activation whose derivative this writes."""
    written: sp.Basic
    """The form at ``x``, e.g. ``σ(x) · (1 − σ(x))`` (functions as :class:`~symnn.sheets.notation.Applied`)."""
    uses: tuple[str, ...]
    """Spec names of the functions whose values the form needs (``sigmoid`` for softplus′)."""

    def at(self, point: sp.Basic) -> sp.Basic:
        """The form at ``point`` with each function's exact value put in, nothing computed:
        ``0.5 · (1 − 0.5)`` for σ′(0)."""
        values = {nt.Applied(ACTIVATIONS[name].display, x): ACTIVATIONS[name].at(point) for name in self.uses}
        with sp.evaluate(False):
            return self.written.xreplace(values)

    def at_values(self, values: dict[str, sp.Basic]) -> sp.Basic:
        """The form with the functions' values given by spec name (e.g. a layer's known outputs)."""
        mapping = {nt.Applied(ACTIVATIONS[name].display, x): values[name] for name in self.uses}
        with sp.evaluate(False):
            return self.written.xreplace(mapping)


def _applied(name: str) -> sp.Basic:
    return nt.Applied(ACTIVATIONS[name].display, x)


def _forms() -> dict[str, tuple[sp.Basic, tuple[str, ...]]]:
    """The forms courses write, before they are proven: (form at x, functions it uses)."""
    with sp.evaluate(False):
        s, t = _applied("sigmoid"), _applied("tanh")
        return {
            "sigmoid": (nt.Product(s, sp.Add(1, sp.Mul(-1, s))), ("sigmoid",)),
            "tanh": (sp.Add(1, sp.Mul(-1, sp.Pow(t, 2))), ("tanh",)),
            "softplus": (s, ("sigmoid",)),
        }


FORMS = _forms()
"""The written forms by activation spec name."""


def proven_equal(written: sp.Basic, uses: tuple[str, ...], derivative: sp.Basic) -> bool:
    """Whether ``written`` (each function replaced by its definition) equals ``derivative``, proven by SymPy.

    The proof: the difference, rewritten in exponentials, with eˣ replaced by a positive symbol t,
    no longer holds x and cancels to 0 as a rational function of t.  A difference that is not a
    rational function of eˣ is not proven (False), so a form is never accepted on a guess.

    >>> s = ACTIVATIONS["sigmoid"]
    >>> proven_equal(FORMS["sigmoid"][0], ("sigmoid",), s.derivative)
    True
    >>> proven_equal(FORMS["tanh"][0], ("tanh",), s.derivative)
    False
    >>> proven_equal(FORMS["softplus"][0], ("sigmoid",), ACTIVATIONS["softplus"].derivative)
    True
    """
    expanded = written.xreplace({_applied(name): ACTIVATIONS[name].definition for name in uses})
    t = sp.Dummy("t", positive=True)
    difference = (expanded.doit() - derivative).rewrite(sp.exp).subs(sp.exp(x), t)
    if x in difference.free_symbols:
        return False
    return bool(sp.cancel(sp.together(difference)) == 0)


def form_for(act: Activation | None) -> ValueForm | None:
    """The course form of a built-in activation's derivative (None for softmax, a custom activation
    or one without a form)."""
    if act is None or act.name not in FORMS or ACTIVATIONS[act.name] != act:
        return None
    return value_form(act.name)


@cache
def value_form(name: str) -> ValueForm | None:
    """The course form of a built-in activation's derivative, proven equal to its SymPy derivative;
    None for an activation without one (ReLU's is its own piecewise form).

    >>> from symnn.sheets.render.printing import latex
    >>> latex(value_form("sigmoid").written), latex(value_form("sigmoid").at(sp.Integer(0)))
    ('\\\\sigma\\\\left(x\\\\right) \\\\cdot \\\\left(1 - \\\\sigma\\\\left(x\\\\right)\\\\right)', '0.5 \\\\cdot \\\\left(1 - 0.5\\\\right)')
    """
    if name not in FORMS:
        return None
    act = ACTIVATIONS[name]
    written, uses = FORMS[name]
    if not proven_equal(written, uses, act.derivative):
        raise AssertionError(f"the written form of {name}' is not SymPy's derivative")  # a bug in FORMS, not input
    return ValueForm(act, written, uses)
