"""``gradwise export RUN_DIR --onnx FILE`` on a tiny trained MNIST run: ONNX Runtime's test
accuracy equals ``gradwise eval``'s on the same checkpoint."""
import re

import numpy as np
import pytest

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from gradwise.cli import main  # noqa: E402


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_exported_mnist_run_reproduces_eval_accuracy(capsys, tmp_path, shared_data):
    from gradwise.train.checkpoint import load_checkpoint
    from gradwise.train.tasks import mnist

    run_dir = tmp_path / "mnist"
    run_cli(capsys, "train", "mnist", "--limit", "200", "--batch-size", "16", "--max-steps", "4",
            "--run-dir", run_dir, "--quiet")
    path = tmp_path / "model.onnx"
    out = run_cli(capsys, "export", run_dir, "--onnx", path)
    ckpt_path = re.search(r"exported (\S+\.json)", out).group(1)
    acc = float(re.search(r"test_acc\s+(\S+)", run_cli(capsys, "eval", ckpt_path)).group(1))

    ckpt = load_checkpoint(ckpt_path)
    x, y = mnist._load_test(mnist.Config(**ckpt.extra["task_config"]), ckpt.extra["rgb"])
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["image"]
    pred = np.concatenate([session.run(None, {"image": x[i:i + 17]})[0].argmax(1)
                           for i in range(0, len(y), 17)])  # batches of another size
    assert len(y) >= 40
    assert f"{(pred == y).mean():.4f}" == f"{acc:.4f}"


def test_export_of_a_task_without_a_signature_is_a_user_error(capsys, tmp_path):
    from gradwise.cli import CLIError
    from gradwise.cli.export import signature

    with pytest.raises(CLIError, match="no input signature for task 'adding'"):
        signature("adding", None, {})


def test_export_without_onnx_installed_says_how_to_install(capsys, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "gradwise.onnx", None)  # import gradwise.onnx fails
    code = main(["export", str(tmp_path), "--onnx", str(tmp_path / "m.onnx")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "needs the onnx package" in err and "pip install 'gradwise[onnx]'" in err
