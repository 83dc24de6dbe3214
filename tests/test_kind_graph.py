"""Kind ``graph``: computational graphs, forward and backward.

References here are independent of symnn's graph code: published numbers (CS231n), a
recursive float evaluator of the formula written in this file with central differences,
and SymPy expressions typed here from the formula (test code, never the parser's input).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction as F

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symnn.core.nodes as nodes
from symnn.cli import main
from symnn.core.formula import parse_expression
from symnn.errors import MathDomainError, ParseError
from symnn.sheets.crosscheck import solve_checked
from symnn.sheets.kinds import KINDS
from symnn.sheets.loading import load_builtin, load_sheet
from symnn.sheets.reference.circuit import build_circuit
from symnn.sheets.reference.graph import evaluate_graph
from symnn.verify.check.judge import check_claims
from symnn.verify.check.key import build_key

CS231N_CIRCUIT = """
[[exercise]]
kind = "graph"
f = "(x + y) * z"
values = { x = -2, y = 5, z = -4 }
"""

SIGMOID_NEURON = """
[[exercise]]
kind = "graph"
f = "1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))"
values = { w0 = 2, x0 = -1, w1 = -3, x1 = -2, w2 = -3 }
"""

FORK = """
[[exercise]]
kind = "graph"
f = "(x + y) * x"
values = { x = 3, y = 2 }
"""


def solved(text: str):
    return solve_checked(load_sheet(text))["ex1"]


def value(derivation, name: str) -> float:
    return float(derivation.quantity(name).exact)


# ---------------------------------------------------------------------------
# Published numbers: CS231n notes, "Backpropagation, Intuitions" (cs231n.github.io/optimization-2).


def test_cs231n_circuit_reproduces_the_published_numbers():
    d = solved(CS231N_CIRCUIT)
    exact = d.values()
    assert exact["q1"] == 3 and exact["f"] == -12
    assert exact["df_dx"] == -4 and exact["df_dy"] == -4 and exact["df_dz"] == 3


def test_cs231n_sigmoid_neuron_reproduces_the_published_numbers_to_two_places():
    d = solved(SIGMOID_NEURON)
    published = {"f": "0.73", "df_dw0": "-0.20", "df_dx0": "0.39", "df_dw1": "-0.39", "df_dx1": "-0.59",
                 "df_dw2": "0.20"}
    for name, printed in published.items():
        assert f"{value(d, name):.2f}" == printed, name
    # The output is exactly the sigmoid of w·x + b = 1.
    assert sp.simplify(d.quantity("f").exact - 1 / (1 + sp.exp(-1))) == 0


# ---------------------------------------------------------------------------
# Independent references: a float evaluator of the tree written here, central differences.

_FUNCTIONS = {
    "exp": math.exp, "log": math.log, "ln": math.log, "tanh": math.tanh, "sin": math.sin, "cos": math.cos,
    "sinh": math.sinh, "cosh": math.cosh, "atan": math.atan, "sigmoid": lambda u: 1 / (1 + math.exp(-u)),
    "max": max, "min": min,
}


def evaluate_tree(node, at: dict[str, float]) -> float:
    """The formula's value, straight from the parsed tree (no gates)."""
    match node:
        case nodes.Number(value=v):
            return float(v)
        case nodes.Symbol(name=name):
            return at[name]
        case nodes.Constant(name=name):
            return math.e if name == "E" else math.pi
        case nodes.Negate(operand=o):
            return -evaluate_tree(o, at)
        case nodes.Chain(first=first, rest=rest):
            total = evaluate_tree(first, at)
            for op, operand in rest:
                v = evaluate_tree(operand, at)
                total = {"add": total + v, "sub": total - v, "mul": total * v}.get(op, total / v if v else math.nan)
            return total
        case nodes.Power(base=b, exponent=e):
            return evaluate_tree(b, at) ** evaluate_tree(e, at)
        case nodes.Root(radicand=r):
            return math.sqrt(evaluate_tree(r, at))
        case nodes.Absolute(operand=o):
            return abs(evaluate_tree(o, at))
        case nodes.Call(function=fn, arguments=args):
            return _FUNCTIONS[fn.name](*[evaluate_tree(a, at) for a in args])
    raise TypeError(node)


FORMULAS = [
    ("(x + y) * z", ("x", "y", "z")),
    ("1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))", ("w0", "x0", "w1", "x1", "w2")),
    ("x * y + x", ("x", "y")),
    ("(x + y) * x - y / (1 + x^2)", ("x", "y")),
    ("tanh(a * b) + sigmoid(a - 2 * b) * cos(b)", ("a", "b")),
    ("max(x * y, 0.5) + min(x, y)^2", ("x", "y")),
    ("sqrt(x^2 + y^2 + 1) * log(2 + x^2)", ("x", "y")),
    ("2^x * atan(x * y) - pi * x / e", ("x", "y")),
]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(FORMULAS), st.lists(st.integers(-20, 20), min_size=5, max_size=5))
def test_twin_gradients_match_central_differences_of_the_formula(formula, numbers):
    text, names = formula
    tree = parse_expression(text, names)
    at = {n: F(k, 8) for n, k in zip(names, numbers)}
    circuit = build_circuit(tree, names)
    values = evaluate_graph(circuit, at)
    point = {n: float(v) for n, v in at.items()}
    assert values["f"] == pytest.approx(evaluate_tree(tree, point), rel=1e-12, abs=1e-12)
    h = 1e-6
    for name in names:
        up, down = dict(point), dict(point)
        up[name] += h
        down[name] -= h
        central = (evaluate_tree(tree, up) - evaluate_tree(tree, down)) / (2 * h)
        # Away from a kink (max/min switching inside ±h) the difference is accurate to ~1e-8.
        kinked = any(isinstance(n, nodes.Call) and n.function.name in ("max", "min") for n in nodes.walk(tree))
        if kinked and abs(central - values[f"df_d{name}"]) > 1e-4:
            continue
        assert values[f"df_d{name}"] == pytest.approx(central, rel=1e-5, abs=1e-6), (text, name)


def test_exact_gradients_equal_sympy_derivatives_typed_here():
    w0, x0, w1, x1, w2 = sp.symbols("w0 x0 w1 x1 w2")
    neuron = 1 / (1 + sp.exp(-(w0 * x0 + w1 * x1 + w2)))
    at = {w0: 2, x0: -1, w1: -3, x1: -2, w2: -3}
    d = solved(SIGMOID_NEURON)
    for s in (w0, x0, w1, x1, w2):
        assert sp.simplify(d.quantity(f"df_d{s}").exact - sp.diff(neuron, s).subs(at)) == 0


@pytest.mark.parametrize("text, names", FORMULAS, ids=[t for t, _ in FORMULAS])
def test_exact_solution_cross_checks_with_the_twin(text, names):
    values = ", ".join(f"{n} = {v}" for n, v in zip(names, ("0.5", "-1.25", "2", "0.75", "-1.5")))
    sheet = f'[[exercise]]\nkind = "graph"\nf = "{text}"\nvalues = {{ {values} }}\n'
    d = solved(sheet)  # solve_checked: every quantity against the float twin
    assert {f"df_d{n}" for n in names} <= set(d.values())


def test_a_fork_adds_the_gradients_of_its_branches():
    d = solved(FORK)
    # f = (x + y) x: ∂f/∂x = 2x + y = 8 = 3 (through x + y) + 5 (direct).
    assert d.values()["df_dx"] == 8 and d.values()["df_dy"] == 3


# ---------------------------------------------------------------------------
# symnn check: carried-forward values and the two named mistakes, each planted once.


def test_check_names_a_local_derivative_not_multiplied_by_the_upstream_gradient():
    key = build_key(load_sheet(SIGMOID_NEURON))
    # ∂f/∂q5 = ∂f/∂q6 · e^{q5}; the slip writes the local derivative e^{-1} alone.
    [r] = check_claims(key, {"ex1": {"df_dq5": Decimal(f"{math.exp(-1):.3f}")}})
    assert r.verdict == "wrong" and "not multiplied by the upstream gradient ∂f/∂q6" in r.diagnosis


def test_check_names_gradients_not_summed_at_a_fork():
    key = build_key(load_sheet(FORK))
    [r] = check_claims(key, {"ex1": {"df_dx": Decimal(3)}})  # only the branch through x + y
    assert r.verdict == "wrong" and "not summed at the fork" in r.diagnosis and "through q1" in r.diagnosis
    [r] = check_claims(key, {"ex1": {"df_dx": Decimal(5)}})  # only the direct branch
    assert r.verdict == "wrong" and "not summed at the fork" in r.diagnosis and "through f" in r.diagnosis


def test_check_carries_a_wrong_forward_value_forward():
    key = build_key(load_sheet(SIGMOID_NEURON))
    results = {r.quantity: r for r in check_claims(key, {"ex1": {"q3": Decimal(5), "q4": Decimal(2)}})}
    assert results["q3"].verdict == "wrong" and results["q4"].verdict == "carried forward"
    sig = 1 / (1 + math.exp(-1))
    fine = check_claims(key, {"ex1": {"df_dq6": Decimal(f"{-1 / (1 + math.exp(-1)) ** 2:.2f}"),
                                      "f": Decimal(f"{sig:.2f}")}})
    assert {r.verdict for r in fine} <= {"correct", "rounding"}


# ---------------------------------------------------------------------------
# Bad input: one line, exit 2, the formula text never evaluated.


@pytest.mark.parametrize("formula, values, words", [
    ("__import__('os').system('true')", "{ x = 1 }", "unexpected character"),
    ("x.__class__", "{ x = 1 }", "unexpected character"),
    ("x * w", "{ x = 1 }", "unknown name 'w'"),
    ("x + 1", "{ x = 1, y = 2 }", "input y is given a value but the formula does not use it"),
    ("3 * 4", "{ x = 1 }", "does not use it"),
    ("x", "{ x = 1 }", "a bare input"),
    ("exp(x)", "{ exp = 1 }", "cannot name an input"),
    ("x + y", "{ x = 1, y = 'two' }", "values.y must be a number"),
    ("x ^ 1000", "{ x = 1 }", "too large"),
    ("exp(exp(exp(x)))", "{ x = 100 }", "q2 = exp(q1) is larger than 10^100 in size"),
    ("x^64 * y", "{ x = 1e60, y = 1 }", "larger than 10^100"),
    (" + ".join(["x"] * 26), "{ x = 1 }", "f has 25 operations; at most 24"),
])
def test_bad_formulas_and_values_are_one_line_errors(tmp_path, capsys, formula, values, words):
    sheet = tmp_path / "bad.toml"
    sheet.write_text(f'[[exercise]]\nkind = "graph"\nf = "{formula}"\nvalues = {values}\n', encoding="utf-8")
    assert main(["sheet", str(sheet), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert "bad.toml:1: exercise ex1 (graph)" in err and words in err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_a_log_of_a_negative_number_is_a_math_domain_error():
    with pytest.raises(MathDomainError, match=r"exercise ex1 \(graph\): f = log\(q1\) is undefined at q1 = -2"):
        solved('[[exercise]]\nkind = "graph"\nf = "log(x - 3)"\nvalues = { x = 1 }\n')


def test_backpropagation_is_checked_against_the_derivative_of_the_whole_formula(monkeypatch):
    import symnn.sheets.kinds.graph as graph

    right = graph._local

    def slipped(gate, source):  # a wrong local derivative on one wire: ∂q1/∂x doubled
        rule = right(gate, source)
        return 2 * rule if (gate.name, source) == ("q1", "x") else rule

    monkeypatch.setattr(graph, "_local", slipped)
    with pytest.raises(ArithmeticError, match="backpropagation gives ∂f/∂x = -8 but sympy.diff of the formula gives -4"):
        solved(CS231N_CIRCUIT)


def test_the_formula_never_reaches_sympy_parsing(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("input text reached SymPy's parser")

    monkeypatch.setattr(sp, "sympify", forbidden, raising=True)
    monkeypatch.setattr(sp.parsing.sympy_parser, "parse_expr", forbidden, raising=True)
    spec = load_sheet(SIGMOID_NEURON)
    assert spec.exercises[0].data.circuit is not None
    with pytest.raises(ParseError):
        parse_expression("exec('1')", ("x",))


# ---------------------------------------------------------------------------
# Variants: reproducible, and the rejection rules hold on every draw.


VARIANTS = """
[[exercise]]
kind = "graph"
f = "max(x * y, 0) + log(x + z)"
values = { x = { random = "uniform", low = -3, high = 3, step = 1 }, y = { random = "uniform", low = -2, high = 2, step = 1 }, z = { random = "uniform", low = -2, high = 2, step = 1 } }
"""


def test_variants_are_reproducible_and_keep_the_rejection_rules():
    from symnn.sheets.variants import generate_variants

    first = generate_variants(VARIANTS, 100, seed=5)
    again = generate_variants(VARIANTS, 100, seed=5)
    assert [v.key for v in first] == [v.key for v in again]
    draws = set()
    for v in first:
        q = v.key["exercises"][0]["quantities"]
        assert any(abs(q[f"df_d{n}"]["value"]) >= 1e-3 for n in "xyz"), "all-zero gradients"
        assert q["q1"]["value"] != 0, "a tie at max(x y, 0)"  # x y = 0 ties max(·, 0)
        assert q["q3"]["value"] > 0, "log of a non-positive number"
        draws.add(v.key["exercises"][0]["quantities"]["f"]["exact"])
    assert len(draws) > 5


def test_rejections_name_their_constraints():
    from symnn.sheets.constraints import Constraints
    from symnn.sheets.kinds.graph import DEFINED, NONZERO, TIE

    kind = KINDS["graph"]

    def rejects(x: str, y: str, z: str, formula: str = "max(x * y, 0) + log(x + z)") -> list[str]:
        text = f'[[exercise]]\nkind = "graph"\nf = "{formula}"\nvalues = {{ x = {x}, y = {y}, z = {z} }}\n'
        data = load_sheet(text).exercises[0].data
        return kind.rejects(data, kind.reference(data), Constraints())

    assert rejects("1", "2", "1") == []
    assert rejects("1", "2", "-1") == [DEFINED]  # log 0
    assert rejects("0", "2", "1") == [TIE]  # max(0, 0)
    assert rejects("-1", "2", "1", "max(x, 0) * y + 0 * z") == [NONZERO]  # a dead max: every gradient 0
    assert rejects("-1", "2", "1", "max(x, 0) * y + z / 1000") == []  # ∂f/∂z = 0.001 is enough


# ---------------------------------------------------------------------------
# The example sheet, its picture and its own lint.


def test_example_sheet_draws_one_graph_per_exercise_in_every_format(tmp_path):
    from symnn.sheets.render import plots
    from symnn.sheets.render.html import to_html
    from symnn.sheets.render.latex import to_latex
    from symnn.sheets.render.markdown import to_markdown

    if not plots.available():
        pytest.skip("matplotlib is not installed")
    sheet = solve_checked(load_builtin("graph"))
    figures = [f for f in plots.figures_of(sheet)]
    assert [f.name for f in figures] == ["ex1_graph", "ex2_graph", "ex3_graph"]
    assert all(f.diagram is not None for f in figures)
    assert to_html(sheet).count("<svg") == 3
    assert to_latex(sheet, figure_prefix="graph-").count(r"\includegraphics") == 3
    assert to_markdown(sheet, figures=True, figure_prefix="graph-").count("](graph-ex") == 3


def test_example_sheet_output_lints_clean(tmp_path, capsys):
    assert main(["sheet", "graph", "--out", str(tmp_path), "--format", "md", "--quiet"]) == 0
    capsys.readouterr()
    code = main(["lint", str(tmp_path / "graph.md")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert " 0 error" in out
