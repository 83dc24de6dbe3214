"""The fast derivations of calculus against slow, independent ones (issue 12, "a faster start").

* ``output_delta`` rewrites f′ in the output without ``sympy.solve`` and cancels instead of
  ``simplify``: each result must equal the chain rule applied to the composed definitions,
  loss(y, f(x)) differentiated in x by SymPy.
* the softmax Jacobian and output deltas derive one entry and relabel the classes: each entry
  must equal the one SymPy derives directly for that entry.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import sympy as sp

from symnn.core import calculus as c


@pytest.mark.parametrize("loss", sorted(c.LOSSES))
@pytest.mark.parametrize("act", sorted(c.ACTIVATIONS))
def test_output_delta_is_the_chain_rule_of_the_composed_definitions(loss, act):
    f = c.ACTIVATIONS[act].definition
    composed = c.LOSSES[loss].term.xreplace({c.a: f})
    direct = sp.diff(composed, c.x)
    ours = c.output_delta(loss, act).xreplace({c.a: f})
    # Piecewise activations keep x: compare on each side of the kink.
    compared = 0
    for point in (sp.Rational(-7, 5), sp.Rational(3, 4), sp.Rational(2, 5)):
        at = {c.x: point, c.alpha: sp.Rational(1, 10), c.y: sp.Rational(1, 3)}
        expected = direct.subs(at)
        if not expected.is_finite:  # e.g. bce of a ReLU output 0
            continue
        assert sp.N(ours.subs(at) - expected, 30) == pytest.approx(0, abs=1e-25)
        compared += 1
    assert compared
    if not isinstance(f, sp.Piecewise):
        assert sp.simplify(ours - direct) == 0


def test_sigmoid_and_tanh_slopes_in_the_output_are_found_without_solve(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("sympy.solve called")

    monkeypatch.setattr(sp, "solve", refuse)
    c._derivative_in_output.cache_clear()
    try:
        assert sp.expand(c.ACTIVATIONS["sigmoid"].derivative_in_output() - c.a * (1 - c.a)) == 0
        assert sp.expand(c.ACTIVATIONS["tanh"].derivative_in_output() - (1 - c.a**2)) == 0
        assert c.ACTIVATIONS["softplus"].derivative_in_output() is not None
    finally:
        c._derivative_in_output.cache_clear()


def test_built_in_deltas_do_not_load_sympy_physics():
    code = ("import sys\nfrom symnn.core import calculus as c\n"
            "[c.output_delta(l, a) for l in c.LOSSES for a in c.ACTIVATIONS]\n"
            "c.softmax_output_delta('cross_entropy', 4)\n"
            "print('sympy.physics' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _direct_softmax_delta(loss: str, n: int, i: int) -> sp.Expr:
    sym, soft = c.softmax_symbols(n), c.softmax_definition(n)
    total = sp.Add(*[c.LOSSES[loss].term.xreplace({c.y: yk, c.a: sk}) for yk, sk in zip(sym.y, soft)])
    d = sp.diff(total, sym.z[i])
    # Back in z: every output is its definition; targets one-hot-free (sum to 1 only for CE).
    return d


@pytest.mark.parametrize("n", [2, 3, 4])
@pytest.mark.parametrize("loss", sorted(c.LOSSES))
def test_relabelled_softmax_deltas_equal_each_entry_derived_directly(loss, n):
    sym, soft = c.softmax_symbols(n), c.softmax_definition(n)
    zs = [sp.Rational(k + 1, 3) - k * sp.Rational(4, 7) for k in range(n)]
    ys = [sp.Rational(2 * k + 1, n * n) for k in range(n)]
    ys[-1] = 1 - sum(ys[:-1])  # the targets sum to 1, as cross-entropy's delta assumes
    at = {**dict(zip(sym.z, zs)), **dict(zip(sym.y, ys))}
    outputs = {a_k: s.xreplace(at) for a_k, s in zip(sym.a, soft)}
    ours = c.softmax_output_delta(loss, n)
    J = c.softmax_jacobian(n)
    for i in range(n):
        direct = _direct_softmax_delta(loss, n, i).xreplace(at)
        assert sp.N(ours[i].xreplace(at).xreplace(outputs) - direct, 30) == pytest.approx(0, abs=1e-25)
        for j in range(n):
            entry = sp.diff(soft[i], sym.z[j]).xreplace(at)
            assert sp.N(J[i, j].xreplace(outputs) - entry, 30) == pytest.approx(0, abs=1e-25)


@pytest.mark.parametrize("n", [2, 3, 5])
def test_cross_entropy_delta_by_the_chain_rule_is_the_derivative_of_the_composed_sum(n):
    # softmax_output_delta sums ∂ℓ/∂a_k · ∂a_k/∂z_1 (the Jacobian); SymPy differentiating the loss of
    # softmax(z) itself, rewritten in the outputs under Σ y = 1, must give the same expression.
    sym, soft = c.softmax_symbols(n), c.softmax_definition(n)
    term = c.LOSSES["cross_entropy"].term
    total = sp.Add(*[term.xreplace({c.y: yk, c.a: sk}) for yk, sk in zip(sym.y, soft)])
    direct = c._in_outputs(sp.diff(total, sym.z[0]), n)
    direct = sp.expand(direct.xreplace({sym.y[1]: 1 - sp.Add(*[yk for yk in sym.y if yk != sym.y[1]])}))
    assert c.softmax_output_delta("cross_entropy", n)[0] == direct == sym.a[0] - sym.y[0]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7])
def test_jacobian_forms_with_the_other_classes_gathered_are_those_of_the_whole_definition(n):
    # _softmax_jacobian_forms gathers e^{z_3} … e^{z_n} into one symbol before differentiating.
    sym, soft = c.softmax_symbols(n), c.softmax_definition(n)
    whole = [sp.factor(c._in_outputs(sp.diff(soft[0], zj), n)) for zj in sym.z[:2]]
    diagonal, off = c._softmax_jacobian_forms(n)
    assert diagonal == whole[0] == (-sym.a[0] * (sym.a[0] - 1) if n > 1 else 0)
    assert off == (whole[1] if n > 1 else None)
