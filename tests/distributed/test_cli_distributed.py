"""``mpiexec -n 2 gradwise train mnist``: the same figures as one process, printed once, and
one set of run files (rank 0's)."""
import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("mpi4py")

from mpi_launch import check, mpiexec_path  # noqa: E402

FLAGS = ["train", "mnist", "--limit", "128", "--epochs", "1", "--batch-size", "32"]
CLI = "-c", "import sys; from gradwise.cli.__main__ import main; sys.exit(main())"


def test_two_rank_cli_run_reports_the_single_process_figures(tmp_path, shared_data):
    one = check(subprocess.run([sys.executable, *CLI, *FLAGS, "--run-dir", tmp_path / "one"],
                               capture_output=True, text=True, timeout=300))
    two = check(run_ranks_cli(FLAGS + ["--run-dir", str(tmp_path / "two")]))
    assert two.stdout.count("epoch 1: train_loss") == 1, two.stdout
    line = [ln for ln in one.stdout.splitlines() if ln.startswith("epoch 1:")]
    assert line and line[0] in two.stdout  # same train/val figures at 4 decimals
    a = json.loads((tmp_path / "one" / "results.json").read_text())
    b = json.loads((tmp_path / "two" / "results.json").read_text())
    assert a.keys() == b.keys()
    for k in a:
        assert b[k] == pytest.approx(a[k], rel=1e-4), k
    assert sorted(p.name for p in (tmp_path / "two").glob("metrics.*")) == ["metrics.csv",
                                                                          "metrics.jsonl"]


def run_ranks_cli(args):
    """``mpiexec -n 2 python -c <gradwise main> ARGS`` (the console script's entry point)."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([mpiexec_path(), "-n", "2", sys.executable, *CLI, *args],
                          capture_output=True, text=True, timeout=300, env=env)
