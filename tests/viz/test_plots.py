"""Plots: each writes a PNG of the expected size; bad input and missing matplotlib fail clearly."""
import json
import sys

import matplotlib.image
import numpy as np
import pytest

import gradwise as gw
from gradwise import nn, optim
from gradwise.train import MissingDependencyError
from gradwise.train.checkpoint import CheckpointManager
from gradwise.train.logging import MetricLogger, save_artifact
from gradwise.viz import (
    plot_attention, plot_confusion_matrix, plot_curves, plot_feature_maps, plot_filters,
    plot_gradient_flow, plot_run,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def read_png(path):
    assert path.read_bytes()[:8] == PNG_MAGIC
    img = matplotlib.image.imread(str(path))
    assert img.std() > 0.01            # not a blank canvas
    return img


def test_gradient_flow_plot_draws_each_series_on_a_log_axis(tmp_path):
    t = np.arange(50)
    path = plot_gradient_flow({"tanh RNN": 0.8 ** t[::-1], "LSTM": 0.99 ** t[::-1],
                               "dead": np.zeros(50)}, tmp_path / "g.png")
    img = read_png(path)
    assert img.shape[:2] == (420, 700)
    with pytest.raises(ValueError, match=r"must be 1-D \(T,\)"):
        plot_gradient_flow({"x": np.zeros((2, 3))}, tmp_path / "bad.png")


def test_curves_one_panel_per_metric(tmp_path):
    series = {("train", "loss"): (np.arange(1, 11), np.linspace(2, 1, 10)),
              ("val", "loss"): (np.array([5, 10]), np.array([1.8, 1.2])),
              ("val", "acc"): (np.array([5, 10]), np.array([0.4, 0.6]))}
    img = read_png(plot_curves(series, tmp_path / "c.png", title="run"))
    assert img.shape[1] == 2 * 420            # two panels side by side
    with pytest.raises(ValueError, match=r"no series for metrics \['bleu'\]"):
        plot_curves(series, tmp_path / "c2.png", metrics=["bleu"])


def test_filters_feature_maps_attention_and_confusion(tmp_path):
    rng = np.random.default_rng(0)
    read_png(plot_filters(rng.standard_normal((6, 3, 5, 5)), tmp_path / "f.png"))
    read_png(plot_filters(rng.standard_normal((4, 1, 3, 3)), tmp_path / "f1.png"))
    read_png(plot_feature_maps(rng.standard_normal((1, 6, 12, 12)), tmp_path / "m.png"))
    att = rng.dirichlet(np.ones(4), size=3)
    read_png(plot_attention(att, ["je", "suis", "là", "<eos>"], ["i", "am", "here"],
                            tmp_path / "a.png"))
    read_png(plot_confusion_matrix([[5, 1], [2, 7]], tmp_path / "cm.png", labels=["neg", "pos"]))
    with pytest.raises(ValueError, match=r"\(C_out, C_in, kH, kW\)"):
        plot_filters(np.zeros((3, 3)), tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"weights \(3, 4\) do not match 3 target x 2 source"):
        plot_attention(att, ["a", "b"], ["x", "y", "z"], tmp_path / "x.png")
    with pytest.raises(ValueError, match="3 labels for 2 classes"):
        plot_confusion_matrix(np.eye(2), tmp_path / "x.png", labels=["a", "b", "c"])


def test_plot_run_draws_everything_the_run_directory_has(tmp_path):
    with MetricLogger(tmp_path, tensorboard=False) as log:
        for step in range(1, 6):
            log.log(step, {"loss": 1.0 / step})
        log.log(5, {"loss": 0.5, "acc": 0.7}, split="val")
    save_artifact(tmp_path, "gradient_flow", {"series": {"RNN": np.ones(5), "LSTM": np.ones(5)}})
    save_artifact(tmp_path, "confusion", {"matrix": np.eye(3, dtype=int), "labels": list("abc")})
    save_artifact(tmp_path, "attention", {"weights": np.eye(2), "source": ["a", "b"],
                                          "target": ["x", "y"]})
    model = nn.Module()
    model.conv_weight = nn.Parameter(gw.randn(4, 1, 3, 3))   # any 4-D weight is a conv kernel
    CheckpointManager(tmp_path / "checkpoints").save(model, optim.SGD(model.parameters(), lr=1),
                                                    step=1)
    written = sorted(p.name for p in plot_run(tmp_path))
    assert written == ["attention.png", "confusion_matrix.png", "curves.png", "filters.png",
                       "gradient_flow.png"]
    for name in written:
        read_png(tmp_path / name)
    assert json.loads((tmp_path / "confusion.json").read_text())["labels"] == ["a", "b", "c"]


def test_plot_run_errors_for_empty_or_missing_directories(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing to plot"):
        plot_run(tmp_path)
    with pytest.raises(FileNotFoundError, match="run directory not found"):
        plot_run(tmp_path / "nope")


def test_missing_matplotlib_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)     # makes `import matplotlib` fail
    with pytest.raises(MissingDependencyError) as info:
        plot_gradient_flow({"a": np.ones(3)}, tmp_path / "g.png")
    assert "pip install 'gradwise[plot]'" in str(info.value)
    assert not (tmp_path / "g.png").exists()
