"""The Trainer: budgets, clipping, schedulers, callbacks, early stopping, exact resume."""
import numpy as np
import pytest

import gradwise as gw
from gradwise import nn, optim
from gradwise.data import DataLoader, TensorDataset
from gradwise.train import (
    Accuracy, Callback, CheckpointError, CheckpointManager, EarlyStopping, MetricLogger,
    StepOutput, Trainer, read_metrics,
)

RNG = np.random.default_rng(0)
X = RNG.standard_normal((40, 4)).astype(np.float32)
Y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1).astype(np.int64)   # 3 classes


def build(seed, tmp_path=None, max_steps=None, epochs=None, callbacks=(), **kwargs):
    """Model with dropout (library RNG), Adam, a per-step scheduler and a shuffling loader."""
    gw.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Dropout(0.3), nn.Linear(16, 3))
    opt = optim.Adam(model.parameters(), lr=0.02)
    sched = optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.7)
    train = DataLoader(TensorDataset(X, Y), batch_size=8, shuffle=True)          # 5 batches
    val = DataLoader(TensorDataset(X[:16], Y[:16]), batch_size=8)
    mgr = CheckpointManager(tmp_path / "ckpt", keep_last=2) if tmp_path is not None else None
    trainer = Trainer(model, opt, train, loss_fn=nn.CrossEntropyLoss(), val_loader=val,
                      max_steps=max_steps, epochs=epochs, grad_clip=1.0, scheduler=sched,
                      scheduler_interval="step", metrics=[Accuracy()], checkpoints=mgr,
                      callbacks=[EarlyStopping(patience=50), *callbacks], quiet=True,
                      model_name="mlp", **kwargs)
    return trainer


def state_of(trainer):
    params = {k: v.array.copy() for k, v in trainer.model.state_dict().items()}
    opt = trainer.optimizer.state_dict()["state"]
    return params, {i: {k: np.asarray(getattr(v, "data", v)).copy() for k, v in s.items()}
                    for i, s in opt.items()}


def assert_bitwise_equal(a, b):
    (pa, oa), (pb, ob) = a, b
    assert pa.keys() == pb.keys() and oa.keys() == ob.keys()
    for k in pa:
        assert pa[k].dtype == pb[k].dtype
        np.testing.assert_array_equal(pa[k], pb[k])     # exact equality, not allclose
    for i in oa:
        for k in oa[i]:
            np.testing.assert_array_equal(oa[i][k], ob[i][k])


def test_interrupted_and_resumed_run_is_bitwise_identical_to_uninterrupted(tmp_path):
    n_steps, k = 23, 12                    # 5 batches/epoch: k stops mid-epoch 3, n mid-epoch 5
    full = build(0, max_steps=n_steps)
    full.fit()

    first = build(0, tmp_path, max_steps=k)
    first.fit()
    first.save_checkpoint()
    assert first.batch_in_epoch == 2

    resumed = build(123, tmp_path, max_steps=n_steps)     # fresh objects, different init
    resumed.resume(tmp_path / "ckpt")
    assert resumed.step == k and resumed.epoch == 2
    resumed.fit()
    assert resumed.step == full.step == n_steps
    assert_bitwise_equal(state_of(full), state_of(resumed))
    assert resumed.optimizer.param_groups[0]["lr"] == full.optimizer.param_groups[0]["lr"]
    assert [h["val_loss"] for h in resumed.history] == [h["val_loss"] for h in full.history]


class Kill(Callback):
    def __init__(self, at):
        self.at = at

    def on_step_end(self, trainer, logs):
        if trainer.step == self.at:
            raise KeyboardInterrupt


def test_killed_run_resumes_from_its_last_periodic_checkpoint_exactly(tmp_path):
    full = build(0, max_steps=17)
    full.fit()
    killed = build(0, tmp_path, max_steps=17, checkpoint_every=4, callbacks=[Kill(10)])
    with pytest.raises(KeyboardInterrupt):
        killed.fit()
    resumed = build(5, tmp_path, max_steps=17, checkpoint_every=4, callbacks=[Kill(-1)])
    resumed.resume(tmp_path / "ckpt")
    assert resumed.step == 8                 # the latest periodic checkpoint before the kill
    resumed.fit()
    assert_bitwise_equal(state_of(full), state_of(resumed))


def test_resume_from_corrupted_checkpoint_changes_nothing(tmp_path):
    first = build(0, tmp_path, max_steps=6)
    first.fit()
    first.save_checkpoint()
    for ckpt in (tmp_path / "ckpt").glob("ckpt-*.json"):  # nothing verifiable to fall back on
        ckpt.write_text(ckpt.read_text()[:-40])
    fresh = build(1, tmp_path, max_steps=12)
    before = state_of(fresh)
    with pytest.raises(CheckpointError, match="invalid JSON"):
        fresh.resume(tmp_path / "ckpt")
    assert_bitwise_equal(before, state_of(fresh))
    assert fresh.step == 0


def test_epoch_budget_eval_logging_and_per_epoch_history(tmp_path):
    logger = MetricLogger(tmp_path, tensorboard=False)
    trainer = build(0, epochs=3, logger=logger, log_every=2)
    history = trainer.fit()
    logger.close()
    assert trainer.step == 15 and trainer.epoch == 3
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert all(0.0 <= h["val_acc"] <= 1.0 for h in history)
    series = read_metrics(tmp_path)
    steps, losses = series[("train", "loss")]
    np.testing.assert_array_equal(steps, [2, 4, 6, 8, 10, 12, 14])
    assert series[("val", "loss")][0].tolist() == [5, 10, 15]
    assert ("train_epoch", "acc") in series


def test_training_reduces_the_loss_and_clips_the_gradient_norm():
    seen = []

    class Record(Callback):
        def on_step_end(self, trainer, logs):
            seen.append(logs["grad_norm"])

    trainer = build(0, epochs=6, callbacks=[Record()])
    trainer.grad_clip = 0.05
    trainer.fit()
    assert trainer.history[-1]["val_loss"] < trainer.history[0]["val_loss"]
    # the reported norm is the norm BEFORE clipping; after clipping it is at most 0.05
    total = np.sqrt(sum(float((p.grad.array ** 2).sum()) for p in trainer.model.parameters()))
    assert total <= 0.05 + 1e-6 and max(seen) > 0.05


def test_early_stopping_stops_when_the_metric_stalls():
    calls = {"n": 0}

    def constant_step(model, batch, training):
        x, y = batch
        out = model(x)
        calls["n"] += 1
        return StepOutput((out * 0.0).sum() + 1.0, len(y))   # the loss never improves

    gw.manual_seed(0)
    model = nn.Linear(4, 3)
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1),
                      DataLoader(TensorDataset(X, Y), batch_size=20), step_fn=constant_step,
                      val_loader=DataLoader(TensorDataset(X, Y), batch_size=20), epochs=50,
                      callbacks=[EarlyStopping("val_loss", patience=2)], quiet=True)
    trainer.fit()
    assert trainer.epoch == 4        # epoch 1 sets the best, epochs 2-4 do not improve
    assert trainer.should_stop


def test_reduce_lr_on_plateau_steps_per_epoch_with_the_monitored_metric():
    gw.manual_seed(0)
    model = nn.Linear(4, 3)
    opt = optim.SGD(model.parameters(), lr=1.0)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    trainer = Trainer(model, opt, DataLoader(TensorDataset(X, Y), batch_size=40),
                      step_fn=lambda m, b, t: StepOutput((m(b[0]) * 0.0).sum() + 1.0, 40),
                      val_loader=DataLoader(TensorDataset(X, Y), batch_size=40), epochs=3,
                      scheduler=sched, quiet=True)
    trainer.fit()
    assert opt.param_groups[0]["lr"] == 0.25      # no improvement after epochs 2 and 3


def test_stateful_step_function_state_is_saved_and_restored(tmp_path):
    class Carry:
        """Carries a running sum across batches like a hidden state across BPTT windows."""

        def __init__(self):
            self.h = np.zeros(3, np.float32)

        def reset(self, training):
            self.h = np.zeros(3, np.float32)

        def state_dict(self):
            return {"h": self.h}

        def load_state_dict(self, state):
            self.h = np.array(state["h"])

        def __call__(self, model, batch, training):
            x, y = batch
            out = model(x) + gw.tensor(self.h)
            self.h = self.h * 0.5 + out.array.mean(0)
            return StepOutput(nn.functional.cross_entropy(out, y), len(y), out, y)

    def run(seed, steps, resume=False):
        gw.manual_seed(seed)
        model = nn.Linear(4, 3)
        opt = optim.SGD(model.parameters(), lr=0.1)
        t = Trainer(model, opt, DataLoader(TensorDataset(X, Y), batch_size=8, shuffle=True),
                    step_fn=Carry(), max_steps=steps, quiet=True,
                    checkpoints=CheckpointManager(tmp_path))
        if resume:
            t.resume(tmp_path)
        t.fit()
        return t

    full = run(0, 9)
    part = run(0, 7)
    part.save_checkpoint()
    resumed = run(3, 9, resume=True)
    np.testing.assert_array_equal(resumed.step_fn.h, full.step_fn.h)
    np.testing.assert_array_equal(resumed.model.weight.array, full.model.weight.array)


def test_bad_arguments_are_rejected_early():
    gw.manual_seed(0)
    model = nn.Linear(4, 3)
    opt = optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(TensorDataset(X, Y), batch_size=8)
    with pytest.raises(ValueError, match="step_fn or a loss_fn"):
        Trainer(model, opt, loader, epochs=1)
    with pytest.raises(ValueError, match="epochs, max_steps or both"):
        Trainer(model, opt, loader, loss_fn=nn.CrossEntropyLoss())
    with pytest.raises(ValueError, match="scheduler_interval"):
        Trainer(model, opt, loader, loss_fn=nn.CrossEntropyLoss(), epochs=1,
                scheduler_interval="batch")
    with pytest.raises(ValueError, match="grad_clip must be > 0"):
        Trainer(model, opt, loader, loss_fn=nn.CrossEntropyLoss(), epochs=1, grad_clip=0)


def test_diverging_loss_raises_a_clear_error():
    gw.manual_seed(0)
    model = nn.Linear(4, 3)
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1),
                      DataLoader(TensorDataset(X, Y), batch_size=8),
                      step_fn=lambda m, b, t: StepOutput(m(b[0]).sum() * float("nan"), 8),
                      epochs=1, quiet=True)
    with pytest.raises(FloatingPointError, match="loss became nan at step 1"):
        trainer.fit()
