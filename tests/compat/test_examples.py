"""The programs in examples/ give PyTorch's losses when run on gradwise by the import swap alone.

Each program is run twice in this process with runpy, as ``python PROGRAM --steps N`` would run
it: once as written (``import torch`` is PyTorch), once inside ``gradwise_as_torch()`` from
examples/run_with_gradwise.py (``torch``, ``torch.nn``, ... resolve to gradwise). Each program
draws its initial weights and data with NumPy from fixed seeds, so both runs start equal, and
prints one loss per line. Tolerance: float32, relative 1e-4 (plus an absolute 1e-6 for losses
near zero).
"""
import pathlib
import re
import runpy
import subprocess
import sys

import numpy as np
import pytest
import torch

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
sys.path.insert(0, str(EXAMPLES))
from run_with_gradwise import gradwise_as_torch  # noqa: E402

# "loss 2.3", "loss_D 1.4", "valid loss 2.2": every number printed after a loss label
_LOSS = re.compile(r"\bloss\w* ([-+0-9.eE]+|nan|inf)\b")


def run_program(name, steps, capsys, monkeypatch, gradwise):
    """The losses ``examples/<name>.py --steps <steps>`` prints, under gradwise or PyTorch."""
    path = EXAMPLES / f"{name}.py"
    monkeypatch.setattr(sys, "argv", [str(path), "--steps", str(steps)])
    capsys.readouterr()
    if gradwise:
        with gradwise_as_torch():
            namespace = runpy.run_path(str(path), run_name="__main__")
    else:
        namespace = runpy.run_path(str(path), run_name="__main__")
    expected = sys.modules["gradwise"] if gradwise else torch
    assert namespace["torch"] is expected and namespace["F"].__name__.endswith("nn.functional")
    out = capsys.readouterr().out
    return np.array([float(v) for v in _LOSS.findall(out)])


def test_gradwise_as_torch_swaps_the_modules_and_puts_torch_back():
    import gradwise
    import gradwise.nn.functional
    with gradwise_as_torch():
        import torch as inner
        import torch.nn.functional as inner_F
        from torch.utils.data import DataLoader
        assert inner is gradwise and inner_F is gradwise.nn.functional
        assert DataLoader is gradwise.data.DataLoader
    import torch as outer
    assert outer is torch and sys.modules["torch.nn"] is torch.nn


@pytest.mark.parametrize("name, steps", [
    ("cnn_mnist", 3), ("lstm_lm", 3), ("seq2seq_attention", 3), ("vae", 3), ("dcgan", 3),
    ("transformer_lm", 3),
])
def test_example_gives_pytorch_losses_under_gradwise(name, steps, capsys, monkeypatch):
    theirs = run_program(name, steps, capsys, monkeypatch, gradwise=False)
    ours = run_program(name, steps, capsys, monkeypatch, gradwise=True)
    assert len(theirs) >= steps and theirs.shape == ours.shape
    assert np.isfinite(ours).all()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)


def test_run_with_gradwise_runs_a_program_from_the_command_line():
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "run_with_gradwise.py"), str(EXAMPLES / "cnn_mnist.py"),
         "--steps", "1"], capture_output=True, text=True, check=True, timeout=120).stdout
    assert re.match(r"step 1 loss \d", out) and "test loss" in out
