"""A faster start (issue 12): what ``symnn sheet`` loads, where its plots are drawn, and that the
cheaper ways give the same results as the slow ones.

* The written derivative forms are proven by cancelling a rational function of eˣ, not by
  ``sympy.simplify``: the verdict must be simplify's for every form against every derivative.
* A whole seed-sheet run loads neither ``sympy.physics`` (simplify, solve) nor ``numpy.f2py``
  (``lambdify(modules="numpy")``'s star import); its drawing worker never loads SymPy.
* Figures drawn by the worker from plain data are the bytes drawn in-process, and each exercise's
  figures are submitted as it is solved without changing which files are written, or their order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp
from publish_tools import require_matplotlib

from symnn.core.calculus import ACTIVATIONS
from symnn.sheets import derivative_forms as df
from symnn.sheets.render import drawing, plots

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("form", sorted(df.FORMS))
@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_a_form_is_proven_exactly_when_simplify_proves_it(form, act):
    written, uses = df.FORMS[form]
    derivative = ACTIVATIONS[act].derivative
    expanded = written.xreplace({df._applied(name): ACTIVATIONS[name].definition for name in uses})
    slow = sp.simplify(expanded.doit() - derivative) == 0
    assert df.proven_equal(written, uses, derivative) == slow
    assert slow == (form == act)  # each form is its own activation's derivative and no other's


PROBE = """
import json, sys
from symnn.sheets.render import drawing

drawn = drawing.draw_files

def probe(drawings, prefix, extension):  # runs in the worker: record what it has loaded
    with open(sys.argv[2], "a", encoding="utf-8") as log:
        log.write(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("sympy", "mpmath"))) + "\\n")
    return drawn(drawings, prefix, extension)

drawing.draw_files = probe
from symnn.cli import main
code = main(["sheet", "--format", "md,json", "--out", sys.argv[1], "--quiet"])
print(json.dumps({"code": code, "loaded": sorted(m for m in sys.modules
                                                 if m.startswith(("sympy.physics", "numpy.f2py")))}))
"""


def test_the_seed_sheet_run_loads_no_units_no_f2py_and_its_worker_no_sympy(tmp_path):
    require_matplotlib()
    log = tmp_path / "worker.log"
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-c", PROBE, str(out), str(log)], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    result = json.loads(run.stdout)
    assert result == {"code": 0, "loaded": []}
    tasks = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(tasks) == 3  # one task per exercise with figures: ex1, ex2 and ex4
    assert all(loaded == [] for loaded in tasks)
    assert sorted(p.name for p in out.glob("*.png")) == sorted(
        f"seed-{name}.png" for name in ("ex1_network", "ex2_network", "ex4_relu", "ex4_leaky_relu",
                                        "ex4_sigmoid", "ex4_tanh"))


def test_the_worker_draws_the_bytes_drawn_in_process(seed_sheet):
    require_matplotlib()
    drawings = plots.drawings_of(seed_sheet)
    assert [d.name for d in drawings] == [f.name for f in plots.figures_of(seed_sheet)]
    with drawing.Drawer() as drawer:
        assert drawer._pool is not None  # a worker, not the in-process fallback
        worker = drawer.submit(drawings, "seed-", "png").result()
    assert worker == plots.figure_files(seed_sheet, "seed-", "png")
    assert list(worker) == [plots.figure_file(f, "seed-", "png") for f in plots.figures_of(seed_sheet)]


def test_figures_are_submitted_per_exercise_in_the_files_order(tmp_path):
    require_matplotlib()
    from symnn.sheets.loading import load_sheet
    from symnn.sheets.pipeline import render_sheets

    full = render_sheets([load_sheet()], ["md", "json", "tex"], 3, tmp_path)
    names = [p.name for p, _ in full.files]
    figures = ["ex1_network", "ex2_network", "ex4_relu", "ex4_leaky_relu", "ex4_sigmoid", "ex4_tanh"]
    # The documents first, then each format's figures in reading order (as when drawn per sheet).
    assert names == ["seed.md", "seed.json", "seed.tex", *(f"seed-{f}.png" for f in figures),
                     *(f"seed-{f}.pdf" for f in figures)]
    brief = render_sheets([load_sheet()], ["md", "tex"], 3, tmp_path, detail="brief")
    assert [p.name for p, _ in brief.files] == ["seed-brief.md", "seed-brief.tex"]  # a brief key has no plots


def test_the_command_knows_which_formats_write_plot_files():
    from symnn.commands.sheet import FIGURE_FORMATS
    from symnn.sheets.pipeline import FORMATS

    assert set(FIGURE_FORMATS) == {name for name, fmt in FORMATS.items() if fmt.figures}


def test_json_alone_starts_no_drawing_worker(tmp_path, monkeypatch):
    from symnn.cli import main

    def refuse(self):
        raise AssertionError("a drawing worker was started")

    monkeypatch.setattr(drawing.Drawer, "__enter__", refuse)
    assert main(["sheet", "--format", "json", "--out", str(tmp_path), "--quiet"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["seed.json"]


def test_the_program_flushes_its_output_and_keeps_the_exit_code_when_it_skips_the_teardown(tmp_path):
    # python -m symnn ends with os._exit (cli.run): what it printed must still arrive, with the code.
    program = [sys.executable, "-m", "symnn", "sheet", "--format", "json", "--out", str(tmp_path)]
    done = subprocess.run(program, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and done.stderr == f"wrote {tmp_path / 'seed.json'}\n"
    assert json.loads((tmp_path / "seed.json").read_text(encoding="utf-8"))
    listed = subprocess.run([sys.executable, "-m", "symnn", "sheet", "--list"], capture_output=True, text=True,
                            cwd=ROOT)
    assert listed.returncode == 0 and listed.stdout.startswith("seed ")
    refused = subprocess.run([*program, "--decimals", "99"], capture_output=True, text=True, cwd=ROOT)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and refused.stdout == ""


def test_a_profiled_run_ends_the_normal_way_so_the_profiler_writes_its_results(tmp_path):
    # os._exit would skip cProfile's (and coverage's) writing at exit.
    stats = tmp_path / "run.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "symnn", "sheet", "--format",
                           "json", "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert stats.stat().st_size > 0


SHARED = """
import json, os, sys
from symnn.sheets.render import drawing

from symnn.sheets.render import diagrams

picture = diagrams.Picture(
    (diagrams.Node("0.0", "$x_{1}$", 0, 0.0, "neuron", value="1", bias="0.1"),
     diagrams.Node("1.0", "$a^{(1)}_{1}$", 1, 0.0, "neuron", value="-0.5", gradient="0.25")),
    (diagrams.Wire("0.0", "1.0", above="0.2"),), ("weights and activations", "deltas"))
batch = tuple(drawing.Drawing(f"w{i}", picture) for i in range(3))
alone = drawing.draw_files(batch, "x-", "png")  # not a warmed-up worker: drawn here, one by one
drawing.draw.cache_clear()
drawing.canvas.cache_clear()
drawing._warm = True
main, real = os.getpid(), drawing._one_by_one
here = []

def helper_fails(drawings, prefix, extension):
    if os.getpid() != main and sys.argv[1] == "fail":
        raise RuntimeError("the helper fails")
    if os.getpid() == main:
        here.append([d.name for d in drawings])
    return real(drawings, prefix, extension)

drawing._one_by_one = helper_fails
shared = drawing.draw_files(batch, "x-", "png")
print(json.dumps({"same": shared == alone, "order": list(shared), "here": here}))
"""


@pytest.mark.parametrize("helper", ["works", "fail"])
def test_a_worker_shares_a_batch_with_a_forked_helper_and_redraws_its_half_if_it_fails(helper):
    require_matplotlib()
    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    run = subprocess.run([sys.executable, "-c", SHARED, helper], capture_output=True, text=True, cwd=ROOT,
                         check=True)
    # The worker draws the first half; the helper the rest, or, when it fails, the worker as well.
    here = [["w0", "w1"]] if helper == "works" else [["w0", "w1"], ["w2"]]
    assert json.loads(run.stdout) == {"same": True, "order": ["x-w0.png", "x-w1.png", "x-w2.png"], "here": here}
