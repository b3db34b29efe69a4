"""Checkpoints: round trip, atomic files, keep-last-K/best, corrupted and mismatched files."""
import json
import os

import numpy as np
import pytest
import safetensors.numpy

import gradwise as gw
from gradwise import nn, optim
from gradwise.train.checkpoint import (
    CheckpointError, CheckpointManager, find_checkpoint, load_checkpoint, restore_checkpoint,
    save_checkpoint,
)


def make(seed, hidden=5):
    gw.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, hidden), nn.Tanh(), nn.Linear(hidden, 2))
    opt = optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.99))
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    return model, opt, sched


def train_a_little(model, opt, sched, steps=3):
    rng = np.random.default_rng(0)
    for _ in range(steps):
        x = gw.tensor(rng.standard_normal((4, 3)).astype(np.float32))
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()
        sched.step()


def params(model):
    return {k: v.array.copy() for k, v in model.state_dict().items()}


def assert_same_params(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_round_trip_restores_model_optimizer_scheduler_and_rng(tmp_path):
    model, opt, sched = make(0)
    train_a_little(model, opt, sched)
    gw.manual_seed(42)
    path = save_checkpoint(tmp_path / "ckpt", model, opt, sched, model_name="mlp",
                           model_config={"hidden": 5, "sizes": (3, 2)}, epoch=1, step=3,
                           metrics={"val_loss": 0.5}, extra={"vocab": ["a", "b"]},
                           extra_tensors={"hidden": np.arange(6.0).reshape(2, 3)})
    expected_draw = gw.randn(3).array
    assert path.suffix == ".json" and (tmp_path / "ckpt.safetensors").exists()

    model2, opt2, sched2 = make(1)
    gw.manual_seed(7)
    ckpt = restore_checkpoint(path, model2, opt2, sched2, model_name="mlp")
    assert_same_params(params(model), params(model2))
    s1, s2 = opt.state_dict(), opt2.state_dict()
    assert s1["param_groups"] == s2["param_groups"]
    assert s2["param_groups"][0]["betas"] == (0.8, 0.99)          # the tuple survives JSON
    for i in s1["state"]:
        assert s1["state"][i]["step"] == s2["state"][i]["step"] == 3
        for k in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_array_equal(s1["state"][i][k].array, s2["state"][i][k].array)
    assert sched2.last_epoch == sched.last_epoch and sched2.get_last_lr() == sched.get_last_lr()
    np.testing.assert_array_equal(gw.randn(3).array, expected_draw)   # library RNG restored
    assert ckpt.step == 3 and ckpt.epoch == 1 and ckpt.metrics == {"val_loss": 0.5}
    assert ckpt.model_config == {"hidden": 5, "sizes": [3, 2]}
    assert ckpt.extra == {"vocab": ["a", "b"]}
    np.testing.assert_array_equal(ckpt.extra_tensors["hidden"], np.arange(6.0).reshape(2, 3))


def test_files_are_plain_safetensors_and_json_without_pickle(tmp_path):
    model, opt, sched = make(0)
    train_a_little(model, opt, sched)
    path = save_checkpoint(tmp_path / "c", model, opt, sched, model_name="mlp")
    tensors = safetensors.numpy.load_file(str(tmp_path / "c.safetensors"))
    np.testing.assert_array_equal(tensors["model.0.weight"], model[0].weight.array)
    assert "optimizer.state.0.exp_avg" in " ".join(tensors)
    meta = json.loads(path.read_text())
    assert meta["format"] == "gradwise-checkpoint" and meta["model"]["name"] == "mlp"
    assert meta["optimizer"]["type"] == "Adam" and meta["scheduler"]["type"] == "StepLR"
    for p in tmp_path.iterdir():
        assert b"\x80\x04\x95" not in p.read_bytes()       # no pickle protocol-4 frame anywhere
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]   # temp files renamed


def test_corrupted_tensors_file_fails_clearly_and_changes_nothing(tmp_path):
    model, opt, sched = make(0)
    train_a_little(model, opt, sched)
    save_checkpoint(tmp_path / "c", model, opt, sched)
    tensors_file = tmp_path / "c.safetensors"
    raw = bytearray(tensors_file.read_bytes())
    raw[-3] ^= 0xFF
    tensors_file.write_bytes(bytes(raw))
    before_files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    model2, opt2, sched2 = make(1)
    before = params(model2)
    opt_before = opt2.state_dict()
    with pytest.raises(CheckpointError, match="corrupted"):
        restore_checkpoint(tmp_path / "c.json", model2, opt2, sched2)
    assert_same_params(before, params(model2))
    assert opt2.state_dict()["state"] == opt_before["state"] == {}
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before_files


@pytest.mark.parametrize("damage", ["truncate", "not_json", "wrong_format", "missing_tensors"])
def test_damaged_metadata_raises_checkpoint_error(tmp_path, damage):
    model, opt, sched = make(0)
    path = save_checkpoint(tmp_path / "c", model, opt, sched)
    text = path.read_text()
    if damage == "truncate":
        path.write_text(text[: len(text) // 2])
    elif damage == "not_json":
        path.write_bytes(b"\x00\x01binary")
    elif damage == "wrong_format":
        path.write_text(json.dumps({"format": "other"}))
    else:
        (tmp_path / "c.safetensors").unlink()
    model2, _, _ = make(1)
    before = params(model2)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert str(path.name) in str(info.value) or "c.safetensors" in str(info.value)
    assert_same_params(before, params(model2))


def test_mismatched_model_fails_naming_the_shapes_and_changes_nothing(tmp_path):
    model, opt, sched = make(0, hidden=5)
    path = save_checkpoint(tmp_path / "c", model, opt, sched, model_name="mlp")
    other, opt2, sched2 = make(1, hidden=6)
    before = params(other)
    with pytest.raises(CheckpointError, match=r"0\.weight: checkpoint shape \(5, 3\), model "
                                              r"shape \(6, 3\)"):
        restore_checkpoint(path, other, opt2, sched2)
    assert_same_params(before, params(other))
    with pytest.raises(CheckpointError, match="is for model 'mlp', not 'cnn'"):
        restore_checkpoint(path, *make(1), model_name="cnn")


def test_mismatched_optimizer_or_scheduler_type_is_rejected_before_any_copy(tmp_path):
    model, opt, sched = make(0)
    train_a_little(model, opt, sched)
    path = save_checkpoint(tmp_path / "c", model, opt, sched)
    model2, _, _ = make(1)
    before = params(model2)
    sgd = optim.SGD(model2.parameters(), lr=0.1)
    with pytest.raises(CheckpointError, match="holds Adam state, the optimizer is SGD"):
        restore_checkpoint(path, model2, sgd)
    opt2 = optim.Adam(model2.parameters())
    exp = optim.lr_scheduler.ExponentialLR(opt2, gamma=0.9)
    with pytest.raises(CheckpointError, match="'StepLR', expected 'ExponentialLR'"):
        restore_checkpoint(path, model2, opt2, exp)
    assert_same_params(before, params(model2))


def test_failure_while_copying_rolls_everything_back(tmp_path, monkeypatch):
    model, opt, sched = make(0)
    train_a_little(model, opt, sched)
    path = save_checkpoint(tmp_path / "c", model, opt, sched)
    model2, opt2, sched2 = make(1)
    train_a_little(model2, opt2, sched2, steps=1)
    before, opt_before = params(model2), opt2.state_dict()
    rng_before = gw.get_rng_state()

    def broken(state):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(sched2, "load_state_dict", broken)   # fails after model and optimizer
    with pytest.raises(CheckpointError, match="disk on fire"):
        restore_checkpoint(path, model2, opt2, sched2)
    assert_same_params(before, params(model2))
    after = opt2.state_dict()
    for i in opt_before["state"]:
        np.testing.assert_array_equal(after["state"][i]["exp_avg"].array,
                                      opt_before["state"][i]["exp_avg"].array)
        assert after["state"][i]["step"] == 1
    assert gw.get_rng_state() == rng_before


def test_manager_has_step_lists_the_steps_it_keeps(tmp_path):
    model, opt, sched = make(0)
    mgr = CheckpointManager(tmp_path, keep_last=1)
    assert not mgr.has_step(1)
    mgr.save(model, opt, sched, step=1)
    mgr.save(model, opt, sched, step=2)
    assert mgr.has_step(2) and not mgr.has_step(1)            # step 1 was pruned
    assert CheckpointManager(tmp_path).has_step(2)           # reconciled from the files


def test_manager_keeps_last_k_and_the_best_and_survives_reopening(tmp_path):
    model, opt, sched = make(0)
    mgr = CheckpointManager(tmp_path, keep_last=2, monitor="val_loss", mode="min")
    losses = [0.9, 0.3, 0.5, 0.6, 0.4]
    for step, loss in enumerate(losses, start=1):
        mgr.save(model, opt, sched, step=step, metrics={"val_loss": loss})
    names = sorted(p.name for p in tmp_path.glob("ckpt-*.json"))
    assert names == ["ckpt-00000002.json", "ckpt-00000004.json", "ckpt-00000005.json"]
    assert mgr.best().name == "ckpt-00000002.json" and mgr.latest().name == "ckpt-00000005.json"
    assert find_checkpoint(tmp_path, "best") == tmp_path / "ckpt-00000002.json"
    assert find_checkpoint(tmp_path.parent / tmp_path.name) == tmp_path / "ckpt-00000005.json"
    reopened = CheckpointManager(tmp_path, keep_last=2, monitor="val_loss")
    reopened.save(model, opt, sched, step=6, metrics={"val_loss": 0.35})
    assert reopened.best().name == "ckpt-00000002.json"
    assert not (tmp_path / "ckpt-00000004.json").exists()
    assert not (tmp_path / "ckpt-00000004.safetensors").exists()


def test_save_replaces_files_atomically_via_os_replace(tmp_path, monkeypatch):
    model, opt, sched = make(0)
    save_checkpoint(tmp_path / "c", model, opt, sched, step=1)
    old = (tmp_path / "c.json").read_bytes()
    calls = []
    real_replace = os.replace

    def failing_replace(src, dst):
        calls.append(dst)
        if str(dst).endswith(".json"):
            raise OSError("power cut")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    train_a_little(model, opt, sched)
    with pytest.raises(OSError, match="power cut"):
        save_checkpoint(tmp_path / "c", model, opt, sched, step=2)
    monkeypatch.setattr(os, "replace", real_replace)
    assert (tmp_path / "c.json").read_bytes() == old          # the old metadata is intact
    with pytest.raises(CheckpointError, match="corrupted or does not belong"):
        load_checkpoint(tmp_path / "c.json")                  # new tensors, old JSON: detected
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]
