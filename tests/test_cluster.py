"""``--scheduler``: variants and checking on a real Dask distributed cluster give the local run's bytes.

A ``LocalCluster`` with separate worker processes stands in for a cluster of machines: the
work travels to the workers as pickled tasks (answers files as their texts), exactly as it
would to remote hosts.  Skipped when ``dask.distributed`` is not installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from symnn.cli import main

distributed = pytest.importorskip("distributed")

FORWARD = """
title = "Forward pass"

[[exercise]]
kind = "forward"
W = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [2, 2] }
b = { random = "uniform", low = -0.5, high = 0.5, step = 0.1, shape = [2] }
X = { random = "uniform", low = -1, high = 1, step = 0.1, shape = [2] }
activation = "sigmoid"
"""

ROOT = Path(__file__).resolve().parents[1]
SEED_ANSWERS = ROOT / "tests" / "fixtures" / "seed_answers.toml"


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=50) as cluster:
        yield cluster.scheduler_address


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_100_variants_on_a_cluster_are_byte_identical_to_one_process(tmp_path, scheduler):
    spec = tmp_path / "forward.toml"
    spec.write_text(FORWARD, encoding="utf-8")
    common = ["variants", str(spec), "--count", "100", "--seed", "5", "--format", "md,json,moodle", "-q"]
    assert main([*common, "--out", str(tmp_path / "local"), "--jobs", "1"]) == 0
    assert main([*common, "--out", str(tmp_path / "cluster"), "--scheduler", scheduler]) == 0
    local, cluster = files_of(tmp_path / "local"), files_of(tmp_path / "cluster")
    assert len(local) == 2 * 100 + 2
    assert cluster == local


def test_1000_answers_files_on_a_cluster_give_the_local_output(tmp_path, scheduler, capsys):
    texts = [SEED_ANSWERS.read_text(), "[ex1]\nZ = [0.7, 0.65]\n", "[ex7]\nL = 0.398\n",
             "[ex2]\nZ1 = [0.01, -0.18]\nA1 = [0.01, 0]\n", "[ex4]\nrelu = 1\n"]
    paths = []
    for i in range(1000):
        p = tmp_path / f"s{i:04d}.toml"
        p.write_text(texts[i % len(texts)], encoding="utf-8")
        paths.append(str(p))
    paths.append(str(tmp_path / "missing.toml"))  # read on the client: its error is reported in place
    outputs = []
    for extra in (["--jobs", "1"], ["--scheduler", scheduler]):
        code = main(["check", str(ROOT / "symnn" / "sheets" / "seed.toml"), *paths, "--json", *extra])
        out, err = capsys.readouterr()
        outputs.append((code, out, err))
    assert outputs[0][0] == 2 and "missing.toml: no such file" in outputs[0][2]
    assert outputs[1] == outputs[0]


def test_an_unreachable_scheduler_is_a_one_line_error(tmp_path, capsys):
    spec = tmp_path / "forward.toml"
    spec.write_text(FORWARD, encoding="utf-8")
    code = main(["variants", str(spec), "--count", "2", "--out", str(tmp_path / "o"),
                 "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("symnn: error: --scheduler tcp://127.0.0.1:9: cannot connect")
    assert err.count("\n") == 1
