"""Comparing one metric of several runs (``gradwise plot RUN... --metric``)."""
import matplotlib.image
import pytest

from gradwise.cli import main
from gradwise.train.logging import MetricLogger
from gradwise.viz import compare_runs


def _run(path, errors):
    with MetricLogger(path) as log:
        for step, e in enumerate(errors, 1):
            log.log(step * 10, {"error": e, "loss": 2 * e}, split="train")
    return path


def test_compare_runs_draws_one_line_per_run(tmp_path):
    a = _run(tmp_path / "a", [0.5, 0.3, 0.2])
    b = _run(tmp_path / "b", [0.6, 0.5, 0.45])
    out = compare_runs([a, b], "train/error", tmp_path / "cmp.png", labels=["plain-20", "plain-56"])
    assert matplotlib.image.imread(out).shape[2] in (3, 4)


def test_compare_runs_errors_name_the_problem(tmp_path):
    a = _run(tmp_path / "a", [0.5])
    with pytest.raises(ValueError, match="must be SPLIT/NAME"):
        compare_runs([a], "error", tmp_path / "x.png")
    with pytest.raises(ValueError, match="no series 'val/error'; it has train/error, train/loss"):
        compare_runs([a], "val/error", tmp_path / "x.png")
    with pytest.raises(ValueError, match="2 labels for 1 runs"):
        compare_runs([a], "train/error", tmp_path / "x.png", labels=["x", "y"])
    with pytest.raises(FileNotFoundError, match="no metrics.csv"):
        compare_runs([tmp_path], "train/error", tmp_path / "x.png")


def test_cli_compares_runs_and_refuses_unclear_requests(tmp_path, capsys):
    a, b = _run(tmp_path / "a", [0.5, 0.4]), _run(tmp_path / "b", [0.7, 0.6])
    out = tmp_path / "cmp.png"
    assert main(["plot", str(a), str(b), "--metric", "train/error", "--out", str(out)]) == 0
    assert out.exists()
    assert main(["plot", str(a), str(b)]) == 2
    assert "without --metric" in capsys.readouterr().err
    assert main(["plot", str(a), "--metric", "train/error"]) == 2
    assert "needs --out" in capsys.readouterr().err
    assert main(["plot", str(a), "--metric", "train/nope", "--out", str(out)]) == 2
    assert "no series 'train/nope'" in capsys.readouterr().err
