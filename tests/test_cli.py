"""The command line, called as ``main(argv)``: good runs and every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from symnn.cli import main

GOOD = """title = "t"
[[exercise]]
kind = "forward"
W = [[0.2, 0.8], [0.4, 0.3]]
X = [1, 0.5]
b = [0.1, 0.1]
activation = "relu"
"""


def run(tmp_path: Path, text: str | None, *extra: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    args = ["sheet", "--out", str(tmp_path / "out"), "--quiet"]
    if text is not None:
        spec = tmp_path / "sheet.toml"
        spec.write_text(text, encoding="utf-8")
        args.insert(1, str(spec))
    code = main([*args, *extra])
    return code, capsys.readouterr().err


def test_seed_sheet_writes_markdown_and_json(tmp_path, capsys):
    code, err = run(tmp_path, None, "--format", "md,json", capsys=capsys)
    assert code == 0, err
    key = json.loads((tmp_path / "out" / "seed.json").read_text())
    assert [e["id"] for e in key["exercises"]] == [f"ex{i}" for i in range(1, 8)]
    q = key["exercises"][5]["quantities"]["W_new"]
    assert q["value"] == [[0.988], [-1.956], [0.479]]
    assert (tmp_path / "out" / "seed.md").read_text().startswith("# ")


def test_output_is_deterministic(tmp_path, capsys):
    assert run(tmp_path, GOOD, "--format", "md,json", capsys=capsys)[0] == 0
    first = (tmp_path / "out" / "sheet.md").read_bytes(), (tmp_path / "out" / "sheet.json").read_bytes()
    assert run(tmp_path, GOOD, "--format", "md,json", capsys=capsys)[0] == 0
    assert first == ((tmp_path / "out" / "sheet.md").read_bytes(), (tmp_path / "out" / "sheet.json").read_bytes())


BAD = [
    pytest.param('title = "t"\n[[exercise]]\nkind = "forward"\nW = [[1, 2]\n', "TOML syntax error", id="toml-syntax"),
    pytest.param(GOOD.replace('"forward"', '"convolution"'), "unknown kind 'convolution'; valid kinds: forward",
                 id="unknown-kind"),
    pytest.param(GOOD.replace('"relu"', '"swish"'), "unknown activation 'swish'; valid activations: identity, relu",
                 id="unknown-activation"),
    pytest.param(GOOD.replace("b = [0.1, 0.1]\n", ""). replace('activation = "relu"', ""),
                 "missing required field 'activation'", id="missing-field"),
    pytest.param(GOOD.replace("X = [1, 0.5]", "X = [1, 0.5, 2]"), "W is 2×2 but X is 3×1", id="shape-mismatch"),
    pytest.param(GOOD.replace("X = [1, 0.5]", 'X = [1, "half"]'), "X[2] must be a number, got the text 'half'",
                 id="non-numeric"),
    pytest.param(GOOD.replace("X = [1, 0.5]", "X = [1, nan]"), "must be a finite number, got NaN", id="nan"),
    pytest.param(GOOD.replace("X = [1, 0.5]", "X = [1, inf]"), "must be a finite number, got Infinity", id="inf"),
    pytest.param('[[exercise]]\nkind = "preprocessing"\nX = [[1, 2], [1, 3]]\n', "feature 1 (column 1 of X) is constant",
                 id="zero-range"),
    pytest.param('[[exercise]]\nkind = "error_analysis"\ny = 1\ny_hat = 0\n', "infinite (log 0)", id="bce-infinite"),
    pytest.param('[[exercise]]\nkind = "regularization"\nW = [1]\nlambda = 0.1\ngrad = [1]\nlearning_rate = 0.1\n'
                 'penalty = "l3"\n', "unknown penalty 'l3'; valid penalties: l2, l2_half", id="unknown-penalty"),
    pytest.param('[[exercise]]\nkind = "network"\nx = [1, 2]\ny = 1\nloss = "hinge"\n[[exercise.layers]]\n'
                 'W = [[1, 2]]\nactivation = "sigmoid"\n', "unknown loss 'hinge'; valid losses: bce", id="unknown-loss"),
    pytest.param('[[exercise]]\nkind = "network"\nx = [1, 2]\ny = 1\nloss = "bce"\n[[exercise.layers]]\n'
                 'W = [[1, 2], [3, 4]]\nactivation = "relu"\n[[exercise.layers]]\nW = [[1, 2, 3]]\n'
                 'activation = "sigmoid"\n', "W2 is 1×3 but layer 1 outputs 2 values (W1 is 2×2)", id="layer-shapes"),
]


@pytest.mark.parametrize("text, message", BAD)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, text, message):
    code, err = run(tmp_path, text, capsys=capsys)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(tmp_path / "sheet.toml") in err
    assert not (tmp_path / "out").exists()


def test_toml_syntax_error_names_the_line(tmp_path, capsys):
    code, err = run(tmp_path, 'title = "t"\n[[exercise]]\nkind = = "x"\n', capsys=capsys)
    assert code == 2 and "line 3" in err


def test_errors_name_the_exercise_and_its_line(tmp_path, capsys):
    text = GOOD + '\n[[exercise]]\nid = "second"\nkind = "forward"\nW = [[1]]\nX = [1, 2]\nactivation = "relu"\n'
    code, err = run(tmp_path, text, capsys=capsys)
    assert code == 2 and "sheet.toml:9: exercise second (forward): W is 1×1 but X is 2×1" in err


def test_missing_and_unreadable_files(tmp_path, capsys):
    assert main(["sheet", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o")]) == 2
    assert "nope.toml: no such file" in capsys.readouterr().err
    assert main(["sheet", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "is a directory" in capsys.readouterr().err
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    assert main(["sheet", str(binary), "--out", str(tmp_path / "o")]) == 2
    assert "not a UTF-8 text file" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_unknown_format_lists_valid_ones(tmp_path, capsys):
    code, err = run(tmp_path, GOOD, "--format", "docx", capsys=capsys)
    assert code == 2 and "unknown format 'docx'; valid formats: md, json" in err


def test_crosscheck_disagreement_stops_the_run(tmp_path, capsys, monkeypatch):
    import dataclasses

    from symnn.sheets.kinds import KINDS

    real = KINDS["forward"].reference

    def wrong(fields):
        values = dict(real(fields))
        values["Z"] = values["Z"] + 1e-6
        return values

    monkeypatch.setitem(KINDS, "forward", dataclasses.replace(KINDS["forward"], reference=wrong))
    code, err = run(tmp_path, GOOD, capsys=capsys)
    assert code == 1
    assert "cross-check failed: exercise ex1 (forward), quantity Z" in err
    assert not (tmp_path / "out").exists()


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2


def test_written_files_have_ordinary_permissions(tmp_path, capsys):
    import os
    import stat

    assert run(tmp_path, GOOD, "--format", "json", capsys=capsys)[0] == 0
    mode = stat.S_IMODE(os.stat(tmp_path / "out" / "sheet.json").st_mode)
    mask = os.umask(0)
    os.umask(mask)
    assert mode == 0o666 & ~mask


def test_the_parser_loads_no_sympy_and_names_what_the_pipelines_offer():
    import subprocess
    import sys

    code = "import sys; from symnn.cli import build_parser; build_parser(); print('sympy' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "False"

    from symnn.commands import sheet, variants
    from symnn.core.decimals import DEFAULT_DECIMALS
    from symnn.sheets import pipeline
    from symnn.sheets.variants import MAX_COUNT

    assert sheet.FORMAT_NAMES == (*pipeline.FORMATS, *pipeline.QUIZ_FORMATS)
    assert sheet.DEFAULT_DECIMALS == DEFAULT_DECIMALS and variants.MAX_COUNT == MAX_COUNT


def test_sheet_list_names_the_builtin_sheets(capsys):
    from symnn.cli import main

    assert main(["sheet", "--list"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[0] == "seed"


def test_sheet_by_builtin_name_writes_like_the_default(tmp_path):
    from symnn.cli import main

    assert main(["sheet", "seed", "--format", "md", "--out", str(tmp_path / "a"), "-q"]) == 0
    assert main(["sheet", "--format", "md", "--out", str(tmp_path / "b"), "-q"]) == 0
    assert (tmp_path / "a" / "seed.md").read_bytes() == (tmp_path / "b" / "seed.md").read_bytes()


def test_a_sheet_argument_is_a_path_never_toml_text(tmp_path, capsys):
    from symnn.cli import main

    assert main(["sheet", "p/a=b.toml", "--out", str(tmp_path), "-q"]) == 2
    err = capsys.readouterr().err
    assert "p/a=b.toml" in err and "TOML syntax" not in err


def test_unknown_name_is_a_missing_file(tmp_path, capsys):
    from symnn.cli import main

    assert main(["sheet", "no-such-sheet", "--out", str(tmp_path), "-q"]) == 2
    assert "no-such-sheet" in capsys.readouterr().err


def test_progress_is_silent_without_a_terminal():
    from symnn.core.progress import progress, set_quiet

    items = [1, 2, 3]
    assert progress(items, label="x") is items
    set_quiet(True)
    try:
        assert progress(items) is items
    finally:
        set_quiet(False)
