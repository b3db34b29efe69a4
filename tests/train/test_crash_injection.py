"""Crash injection: a kill at every file operation of checkpoint saving and pruning and at every
log write, then ``--resume``; each case must end bitwise equal to the uninterrupted run, logs
(metrics.csv, metrics.jsonl) and checkpoint index included, with no temporary file left.

A kill is simulated by raising a BaseException just before the chosen operation runs, so
``except Exception`` clean-ups are skipped just as they are for ``kill -9``.
"""
import pathlib

import pytest
import safetensors.numpy

from gradwise import cli
from gradwise.cli import main
from gradwise.train import checkpoint, logging

ARGS = ["train", "adding", "--seq-len", "10", "--limit", "64", "--train-size", "64",
        "--test-size", "16", "--hidden-size", "8", "--batch-size", "16", "--max-steps", "6",
        "--checkpoint-every", "2", "--keep-last", "1", "--log-every", "1", "--quiet"]


class Killed(BaseException):
    """Stands for kill -9: not an Exception, so no clean-up handler sees it."""


class Injector:
    """Counts the injectable operations and raises Killed before the ``kill_at``-th one."""

    def __init__(self, monkeypatch, kill_at=None):
        self.calls, self.kill_at, self.names = 0, kill_at, []
        for owner, name in ((checkpoint, "_replace_atomic"), (checkpoint, "_dump_json"),
                            (checkpoint, "_remove"), (safetensors.numpy, "save_file"),
                            (logging.MetricLogger, "log")):
            monkeypatch.setattr(owner, name, self.wrap(getattr(owner, name), name))

    def wrap(self, fn, name):
        def injected(*args, **kwargs):
            self.calls += 1
            self.names.append(name)
            if self.calls == self.kill_at:
                raise Killed(f"killed before {name} (operation {self.calls})")
            return fn(*args, **kwargs)
        return injected


def snapshot(run_dir: pathlib.Path) -> dict:
    """What must match the uninterrupted run: final tensors, logs and the checkpoint index."""
    ckpts = run_dir / "checkpoints"
    return {"tensors": safetensors.numpy.load_file(str(ckpts / "ckpt-00000006.safetensors")),
            "metrics.csv": (run_dir / "metrics.csv").read_text(),
            "metrics.jsonl": (run_dir / "metrics.jsonl").read_text(),
            "index": (ckpts / "index.json").read_text(),
            "files": sorted(p.name for p in ckpts.iterdir())}


def assert_same_run(a: dict, b: dict) -> None:
    assert a["tensors"].keys() == b["tensors"].keys()
    for k in a["tensors"]:
        assert (a["tensors"][k] == b["tensors"][k]).all(), k
    for key in ("metrics.csv", "metrics.jsonl", "index", "files"):
        assert a[key] == b[key], key


@pytest.fixture(autouse=True)
def no_plots(monkeypatch):
    monkeypatch.setattr(cli, "_plot_quietly", lambda run_dir, quiet: None)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("reference") / "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli, "_plot_quietly", lambda run_dir, quiet: None)
        counter = Injector(mp)
        assert main([*ARGS, "--run-dir", str(run_dir)]) == 0
    return snapshot(run_dir), counter.names


def first_kill_point_after_a_checkpoint(names) -> int:
    # the first save ends with its index written (the second _replace_atomic after the JSON)
    replaces = [i for i, n in enumerate(names, 1) if n == "_replace_atomic"]
    return replaces[2] + 1


def test_reference_run_exercises_saving_pruning_and_logging(reference):
    _, names = reference
    assert {"_replace_atomic", "_dump_json", "_remove", "save_file", "log"} <= set(names)
    assert len(names) - first_kill_point_after_a_checkpoint(names) < 30   # all cases tested


@pytest.mark.parametrize("offset", range(30))
def test_kill_at_any_save_prune_or_log_step_resumes_to_the_uninterrupted_run(
        offset, reference, tmp_path, monkeypatch):
    expected, names = reference
    kill_at = first_kill_point_after_a_checkpoint(names) + offset
    if kill_at > len(names):
        pytest.skip(f"the run has only {len(names)} injectable operations")
    run_dir = tmp_path / "run"
    with monkeypatch.context() as mp:
        Injector(mp, kill_at)
        with pytest.raises(Killed):
            main([*ARGS, "--run-dir", str(run_dir)])
    assert main(["train", "adding", "--resume", str(run_dir), "--quiet"]) == 0
    assert not list(run_dir.rglob("*.tmp-*")), "temporary files of the killed run remain"
    assert_same_run(snapshot(run_dir), expected)
