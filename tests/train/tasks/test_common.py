"""The task protocol of train/runner.py (reached through train/tasks/common.py): run_task /
evaluate_task on the skeleton task of docs/adding_a_task.md (executed from the doc itself), the
closed-form path, the report."""
import json
import pathlib
import re
import sys
import types

from gradwise.train.checkpoint import load_checkpoint
from gradwise.train.tasks import esn
from gradwise.train.tasks.common import evaluate_task, report, run_task

DOC = pathlib.Path(__file__).resolve().parents[3] / "docs" / "adding_a_task.md"


def skeleton_task():
    """The ``python`` block of docs/adding_a_task.md as the module gradwise.train.tasks.blobs."""
    (source,) = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    module = types.ModuleType("gradwise.train.tasks.blobs")
    module.__package__ = "gradwise.train.tasks"
    sys.modules[module.__name__] = module     # dataclasses resolve annotations through it
    try:
        exec(compile(source, str(DOC), "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module


def test_the_documented_skeleton_trains_tests_and_evaluates_to_the_same_numbers(tmp_path, capsys):
    task = skeleton_task()
    run_dir = tmp_path / "blobs"
    config = task.Config(train_size=200, batch_size=20, max_steps=15, lr=1e-2)
    results = run_task(task, config, run_dir)
    out = capsys.readouterr().out
    assert "blobs: 200 training points, 3 blobs, " in out and " parameters" in out
    assert set(results) == {"test_loss", "test_acc"} and results["test_acc"] > 0.5
    assert json.loads((run_dir / "config.json").read_text())["task"] == "blobs"
    ckpt = load_checkpoint(run_dir / "checkpoints")
    assert ckpt.step == 15 and ckpt.extra["task"] == "blobs"
    assert evaluate_task(task, run_dir, quiet=True) == results      # rebuilt from the checkpoint


def test_a_closed_form_model_is_fitted_tested_logged_and_checkpointed_once(tmp_path):
    config = esn.Config(length=400, reservoir_size=30, washout=20, delays=5)
    results = run_task(esn, config, tmp_path / "esn", quiet=True)
    ckpt = load_checkpoint(tmp_path / "esn" / "checkpoints")
    assert ckpt.step == 0 and ckpt.model_name == "esn"
    logged = [json.loads(line) for line in (tmp_path / "esn" / "metrics.jsonl").read_text()
              .splitlines()]
    assert [r["split"] for r in logged] == ["test"]
    assert logged[0]["one_step_nrmse"] == results["one_step_nrmse"]
    assert "horizon" not in logged[0]                     # only the float scores are logged
    again = evaluate_task(esn, tmp_path / "esn", quiet=True)
    assert again == results


def test_report_prints_scores_on_one_line_and_text_as_blocks(capsys):
    report({"test_acc": 0.5, "folds": 3, "sample": "ab\ncd"}, quiet=False)
    assert capsys.readouterr().out == "test: test_acc 0.5000  folds 3\nsample:\nab\ncd\n"
    report({"test_acc": 0.5}, quiet=True)
    assert capsys.readouterr().out == ""
