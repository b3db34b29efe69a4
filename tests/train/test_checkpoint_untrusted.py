"""Checkpoints from untrusted places and after crashes: types, paths and sizes checked before
anything is allocated; pruning order; loading falls back to the newest verifiable checkpoint."""
import json
import os

import numpy as np
import pytest

import gradwise as gw
from gradwise import nn
from gradwise.train import checkpoint
from gradwise.train.checkpoint import (
    CheckpointError, CheckpointManager, load_checkpoint, save_checkpoint,
)
from gradwise.train.logging import remove_partial_writes
from helpers import edit_json


def small_model():
    gw.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))


@pytest.fixture
def saved(tmp_path):
    path = save_checkpoint(tmp_path / "ckpt", small_model(), model_name="mlp",
                           model_config={"hidden": 8}, step=3, extra={"task": "x"})
    return path


@pytest.mark.parametrize("change, fragment", [
    (lambda m: m.update(model="mlp"), "'model' must be an object, got str"),
    (lambda m: m.update(step="3"), "'step' must be an integer >= 0, got str '3'"),
    (lambda m: m.update(epoch=True), "'epoch' must be an integer >= 0"),
    (lambda m: m["model"].update(keys=[]), "'model.keys' must be an object"),
    (lambda m: m["model"]["keys"]["0.weight"].update(shape=["8", 3]), "lists of integers"),
    (lambda m: m.update(metrics={"val_loss": "low"}), "'metrics' must be an object of numbers"),
    (lambda m: m.update(optimizer="adam"), "'optimizer' must be null or an object"),
    (lambda m: m.update(extra=[1]), "'extra' must be a JSON object"),
])
def test_checkpoint_json_with_wrong_types_is_refused(saved, change, fragment):
    edit_json(saved, change)
    with pytest.raises(CheckpointError, match="checkpoint field") as info:
        load_checkpoint(saved)
    assert fragment in str(info.value)


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "sub/ckpt.safetensors",
                                  "..", "ckpt.json"])
def test_tensors_file_is_confined_to_the_checkpoint_folder(saved, name):
    edit_json(saved, lambda m: m.update(tensors_file=name))
    with pytest.raises(CheckpointError, match="tensors_file"):
        load_checkpoint(saved)


def test_model_config_larger_than_every_stored_dimension_is_refused_before_allocating(saved,
                                                                                     monkeypatch):
    edit_json(saved, lambda m: m["model"]["config"].update(hidden=10**12))
    monkeypatch.setattr(checkpoint, "_safetensors", lambda: pytest.fail("tensors were loaded"))
    with pytest.raises(CheckpointError, match="asks for size 1000000000000"):
        load_checkpoint(saved)


def test_header_shapes_are_compared_with_the_metadata_before_loading(saved, monkeypatch):
    edit_json(saved, lambda m: m["model"]["keys"]["0.weight"].update(shape=[80000, 3]))
    monkeypatch.setattr(checkpoint, "_safetensors", lambda: pytest.fail("tensors were loaded"))
    with pytest.raises(CheckpointError, match=r"has shape \(8, 3\), the metadata says"):
        load_checkpoint(saved)


def test_deeply_nested_checkpoint_json_is_refused(saved):
    saved.write_text('{"format": ' + "[" * 200_000 + "]" * 200_000 + "}")
    with pytest.raises(CheckpointError, match="nested too deeply"):
        load_checkpoint(saved)


def test_safetensors_header_with_absurd_size_is_refused(saved):
    tensors = saved.with_suffix(".safetensors")
    data = bytearray(tensors.read_bytes())
    data[:8] = (1 << 62).to_bytes(8, "little")
    tensors.write_bytes(bytes(data))
    edit_json(saved, lambda m: m.update(tensors_sha256=checkpoint._sha256(tensors)))
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        load_checkpoint(saved)


class Killed(BaseException):
    pass


def manager_with_two(tmp_path, keep_last=1):
    manager = CheckpointManager(tmp_path, keep_last=keep_last)
    model = small_model()
    manager.save(model, step=1)
    return manager, model


def test_pruning_writes_the_index_before_deleting_old_checkpoints(tmp_path, monkeypatch):
    manager, model = manager_with_two(tmp_path)

    def kill(path):
        raise Killed

    monkeypatch.setattr(checkpoint, "_remove", kill)
    with pytest.raises(Killed):
        manager.save(model, step=2)
    index = json.loads((tmp_path / "index.json").read_text())
    assert index["latest"] == "ckpt-00000002" and index["checkpoints"] == ["ckpt-00000002"]
    assert load_checkpoint(tmp_path).step == 2


def test_a_kill_before_the_index_update_resumes_from_the_newest_checkpoint(tmp_path,
                                                                           monkeypatch):
    manager, model = manager_with_two(tmp_path)
    real = checkpoint._write_atomic

    def kill_at_index(target, write):
        if target.name == "index.json":
            raise Killed
        real(target, write)

    monkeypatch.setattr(checkpoint, "_write_atomic", kill_at_index)
    with pytest.raises(Killed):
        manager.save(model, step=2)
    monkeypatch.undo()
    assert json.loads((tmp_path / "index.json").read_text())["latest"] == "ckpt-00000001"
    assert load_checkpoint(tmp_path).step == 2
    again = CheckpointManager(tmp_path, keep_last=1)
    assert again.index["latest"] == "ckpt-00000002"
    again.save(model, step=3)
    assert sorted(p.name for p in tmp_path.glob("ckpt-*")) == ["ckpt-00000003.json",
                                                               "ckpt-00000003.safetensors"]


def test_an_index_naming_a_deleted_checkpoint_falls_back_to_one_that_verifies(tmp_path):
    manager, model = manager_with_two(tmp_path, keep_last=2)
    manager.save(model, step=2)
    for suffix in (".json", ".safetensors"):
        (tmp_path / f"ckpt-00000002{suffix}").unlink()
    ckpt = load_checkpoint(tmp_path)
    assert ckpt.step == 1 and "ckpt-00000002.json" in ckpt.skipped[0]
    assert CheckpointManager(tmp_path).index["checkpoints"] == ["ckpt-00000001"]


def test_a_corrupted_newest_checkpoint_falls_back_to_the_previous_one(tmp_path):
    manager, model = manager_with_two(tmp_path, keep_last=2)
    manager.save(model, step=2)
    tensors = tmp_path / "ckpt-00000002.safetensors"
    tensors.write_bytes(tensors.read_bytes()[:-1] + b"\0")
    ckpt = load_checkpoint(tmp_path)
    assert ckpt.step == 1 and "corrupted" in ckpt.skipped[0]
    with pytest.raises(CheckpointError, match="corrupted"):
        load_checkpoint(tmp_path / "ckpt-00000002.json")    # an explicit file: no fallback


def test_a_killed_write_leaves_a_tmp_file_that_resume_removes(tmp_path, monkeypatch):
    manager, model = manager_with_two(tmp_path / "checkpoints")

    def kill(tmp, target):
        raise Killed

    monkeypatch.setattr(checkpoint, "_replace_atomic", kill)
    with pytest.raises(Killed):
        manager.save(model, step=2)
    leftovers = sorted((tmp_path / "checkpoints").glob(".*.tmp-*"))
    assert [p.name for p in leftovers] == [f".ckpt-00000002.safetensors.tmp-{os.getpid()}"]
    (tmp_path / f".config.json.tmp-{os.getpid()}").write_text("{")
    removed = remove_partial_writes(tmp_path)
    assert sorted(removed) == sorted(leftovers + [tmp_path / f".config.json.tmp-{os.getpid()}"])
    assert not list(tmp_path.rglob(".*.tmp-*"))
    assert load_checkpoint(tmp_path).step == 1


def test_an_ordinary_error_during_a_write_removes_its_tmp_file(tmp_path, monkeypatch):
    def disk_full(tmp, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint, "_replace_atomic", disk_full)
    with pytest.raises(OSError):
        save_checkpoint(tmp_path / "c", small_model())
    assert list(tmp_path.iterdir()) == []


def test_checkpoint_records_the_log_position_of_its_manager_logger(tmp_path):
    from gradwise.train.logging import MetricLogger

    logger = MetricLogger(tmp_path, tensorboard=False)
    logger.log(1, {"loss": 1.0, "lr": 0.1})
    manager = CheckpointManager(tmp_path / "checkpoints", logger=logger)
    manager.save(small_model(), step=1)
    logger.log(2, {"loss": 0.5, "lr": 0.1})
    assert manager.log_position(1) == {"csv_rows": 2, "jsonl_lines": 1}
    logger.truncate_to(manager.log_position(1))
    logger.close()
    assert (tmp_path / "metrics.csv").read_text().count("\n") == 3     # header + 2 rows
    assert len((tmp_path / "metrics.jsonl").read_text().splitlines()) == 1
    np.testing.assert_array_equal(
        json.loads((tmp_path / "metrics.jsonl").read_text())["loss"], 1.0)
