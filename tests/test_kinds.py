"""The kind declarations: one module and one registry line make a kind, for every command.

A toy kind declared in this file (``scaled_square``: y = c x, z = y²) is registered
for one test at a time and must then work like the built-in kinds: its sheet is
read and validated with the usual messages, solved, cross-checked against its
numpy twin, stated on a student sheet, drawn as variants and checked by
``symnn check`` with its own recipe and named mistake.  The built-in declarations
are held to the same shape: typed given data with a docstring on every field.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp

from symnn.core import interval as iv
from symnn.errors import SpecError
from symnn.sheets.build import Builder, exact
from symnn.sheets.crosscheck import solve_checked
from symnn.sheets.fields import Context, given, read_scalar
from symnn.sheets.kinds import KINDS, kind_of, statement
from symnn.sheets.kinds.base import Kind
from symnn.sheets.loading import load_sheet
from symnn.sheets.recipes import Programs, Recipes
from symnn.sheets.reference.arrays import Values
from symnn.sheets.spec import ExerciseSpec
from symnn.sheets.steps import Derivation
from symnn.sheets.variants import generate_variants
from symnn.verify.check.judge import check_claims
from symnn.verify.check.key import build_key


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ScaledSquare:
    """A number to scale and square."""

    x: Fraction = given(read_scalar)
    """The input."""
    c: Fraction = given(read_scalar, default=Fraction(3))
    """The scale."""

    def check(self, ctx: Context) -> None:
        """The scale must not be 0."""
        if self.c == 0:
            raise ctx.error("c must not be 0")


def solve_scaled_square(spec: ExerciseSpec[ScaledSquare]) -> Derivation:
    b = Builder(spec, "Scaled square")
    y = b.equation(sp.Symbol("y"), None, (), exact(spec.data.c) * exact(spec.data.x), quantity="y", caption="y")
    b.equation(sp.Symbol("z"), None, (), y**2, quantity="z", caption="z")
    return b.done(["z"])


def scaled_square_reference(data: ScaledSquare) -> Values:
    y = float(data.c) * float(data.x)
    return {"y": y, "z": y * y}


def scaled_square_recipes(data: ScaledSquare, programs: Programs) -> Recipes:
    r = Recipes()
    r.rule("z", ("y",), lambda v: iv.scalar(v["y"][0][0] * v["y"][0][0]))
    r.mistake("z", ("y",), lambda v: iv.scalar(2 * v["y"][0][0]), "y was doubled instead of squared")
    return r


def scaled_square_rejects(data: ScaledSquare, values: Values, constraints: object) -> list[str]:
    return ["a positive y (toy rule)"] if float(values["y"]) <= 0 else []


SCALED_SQUARE = Kind(name="scaled_square", data=ScaledSquare, solve=solve_scaled_square,
                     reference=scaled_square_reference, recipes=scaled_square_recipes,
                     rejects=scaled_square_rejects)

SHEET = 'title = "t"\n[[exercise]]\nkind = "scaled_square"\nx = 0.5\n'


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> Kind[ScaledSquare]:
    """The toy kind's one registry line, for one test."""
    monkeypatch.setitem(KINDS, "scaled_square", SCALED_SQUARE)
    return SCALED_SQUARE


def test_a_new_kind_is_read_solved_cross_checked_and_stated(registered: Kind[ScaledSquare]) -> None:
    spec = load_sheet(SHEET)
    exercise = spec.exercises[0]
    assert exercise.data == ScaledSquare(x=Fraction(1, 2), c=Fraction(3))
    assert solve_checked(spec)["ex1"].quantity("z").exact == sp.Rational(9, 4)
    assert [str(line[0]) for line in statement(exercise)] == ["Eq(x, 1/2)", "Eq(c, 3)"]


def test_a_new_kind_gets_the_usual_messages(registered: Kind[ScaledSquare]) -> None:
    with pytest.raises(SpecError, match=r"<text>:2: exercise ex1 \(scaled_square\): unknown field 'w'; "
                                        r"fields of a scaled_square exercise: x, c$"):
        load_sheet(SHEET + "w = 1\n")
    with pytest.raises(SpecError, match=r"exercise ex1 \(scaled_square\): missing required field 'x'$"):
        load_sheet('[[exercise]]\nkind = "scaled_square"\n')
    with pytest.raises(SpecError, match=r"exercise ex1 \(scaled_square\): c must not be 0$"):
        load_sheet(SHEET + "c = 0\n")


def test_a_new_kind_is_checked_with_its_recipes_and_mistakes(registered: Kind[ScaledSquare]) -> None:
    key = build_key(load_sheet(SHEET))
    results = {r.quantity: r for r in check_claims(key, {"ex1": {"y": Decimal(2), "z": Decimal(4)}})}
    assert results["y"].verdict == "wrong" and results["z"].verdict == "carried forward"
    doubled = check_claims(key, {"ex1": {"y": Decimal("1.5"), "z": Decimal(3)}})[1]
    assert doubled.verdict == "wrong" and doubled.diagnosis == "y was doubled instead of squared"


def test_a_new_kind_gets_variants_with_its_rejection_rule(registered: Kind[ScaledSquare]) -> None:
    text = '[[exercise]]\nkind = "scaled_square"\nx = { choice = [-1, 1] }\n'
    keys = [v.key["exercises"][0]["quantities"]["y"]["exact"] for v in generate_variants(text, 4, seed=3)]
    assert keys == ["3"] * 4


def test_an_unknown_kind_is_named() -> None:
    with pytest.raises(SpecError, match="unknown kind 'scaled_square'; valid kinds: forward, network, "):
        load_sheet(SHEET)
    with pytest.raises(Exception, match="no exercise kind 'scaled_square'; known kinds: forward"):
        kind_of("scaled_square")


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
def test_typed_given_data_is_frozen_slotted_and_documented(kind: Kind[object]) -> None:
    data = kind.data
    assert dataclasses.is_dataclass(data), kind.name
    params = data.__dataclass_params__  # type: ignore[attr-defined]
    assert params.frozen and hasattr(data, "__slots__")
    tree = ast.parse(inspect.getsource(data))
    body = tree.body[0].body  # type: ignore[attr-defined]
    documented = {node.target.id for node, after in zip(body, body[1:])
                  if isinstance(node, ast.AnnAssign) and isinstance(after, ast.Expr)
                  and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str)}
    assert documented == {f.name for f in dataclasses.fields(data)}, kind.name
    assert all("read" in f.metadata or f.metadata.get("derived") for f in dataclasses.fields(data)), kind.name


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
def test_every_kind_is_declared_in_its_own_module(kind: Kind[object]) -> None:
    module = Path(inspect.getfile(kind.solve))
    assert kind.name in (module.stem, module.parent.name), kind.name  # a module, or a package of its own
    assert Path(inspect.getfile(kind.reference)).parent.name in ("kinds", "reference", kind.name), kind.name


def test_the_kinds_reference_is_generated_from_the_declarations() -> None:
    from symnn.sheets.docs import reference

    written = (Path(__file__).resolve().parents[1] / "docs" / "kinds.md").read_text(encoding="utf-8")
    assert written == reference(), "regenerate it: python -m symnn.sheets.docs > docs/kinds.md"


def test_a_sheet_loads_only_the_modules_of_its_own_kinds():
    # The registry imports a kind's module the first time the kind is asked for (start-up time).
    import subprocess
    import sys

    code = ("import sys\nfrom symnn.sheets.crosscheck import solve_checked\nfrom symnn.sheets.loading import load_builtin\n"
            "solve_checked(load_builtin('softmax'))\n"
            "print(sorted({m.split('.')[3] for m in sys.modules if m.startswith('symnn.sheets.kinds.')}))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['base', 'network']"


def test_the_registry_lists_every_kind_module_and_each_declares_its_own_name():
    modules = {p.stem for p in Path(inspect.getfile(Kind)).parent.iterdir() if p.suffix == ".py" or p.is_dir()}
    helpers = {"__init__", "base", "conv_common", "conv_notation", "__pycache__"}
    assert set(KINDS) == modules - helpers
    assert all(KINDS[name].name == name for name in KINDS)
